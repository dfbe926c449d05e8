/* SPDX-License-Identifier: MIT */
/*
 * Retries as providers make them, seen from a real server: the profile's
 * schedule, Retry-After honoured in wall-clock time when the profile says
 * so, a fresh signature per attempt, and Slack's retry headers.
 */
#include "sign.h"
#include "support.h"

#include <check.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_SEEN 16

/* What the server saw, and how it answers: the first `fail` requests get
 * `status` (with Retry-After when retry_after > 0), later ones 200. */
static struct {
    pthread_mutex_t mu;
    int n, fail, status, retry_after;
    double at[MAX_SEEN];
    char retry_num[MAX_SEEN][16], retry_reason[MAX_SEEN][32];
    char sig[MAX_SEEN][200];
} srv = {PTHREAD_MUTEX_INITIALIZER, 0, 0, 0, 0, {0}, {{0}}, {{0}}, {{0}}};

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void copy_header(struct MHD_Connection *c, const char *name, char *out,
                        size_t cap)
{
    const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);

    snprintf(out, cap, "%s", v ? v : "");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
                                  const char *url, const char *method,
                                  const char *version, const char *data,
                                  size_t *size, void **state)
{
    struct MHD_Response *r;
    enum MHD_Result rc;
    int status = 200, k;
    char ra[16];

    (void)cls, (void)url, (void)method, (void)version, (void)data;
    if (!*state) {
        *state = (void *)1;
        return MHD_YES;
    }
    if (*size) {
        *size = 0; /* the body is not needed */
        return MHD_YES;
    }
    pthread_mutex_lock(&srv.mu);
    k = srv.n < MAX_SEEN ? srv.n : MAX_SEEN - 1;
    srv.at[k] = now_s();
    copy_header(c, "X-Slack-Retry-Num", srv.retry_num[k], 16);
    copy_header(c, "X-Slack-Retry-Reason", srv.retry_reason[k], 32);
    copy_header(c, "webhook-signature", srv.sig[k], 200);
    if (!srv.sig[k][0])
        copy_header(c, "X-Slack-Signature", srv.sig[k], 200);
    if (srv.n++ < srv.fail)
        status = srv.status;
    pthread_mutex_unlock(&srv.mu);
    r = MHD_create_response_from_buffer(2, (void *)"ok",
                                        MHD_RESPMEM_PERSISTENT);
    if (status != 200 && srv.retry_after > 0) {
        snprintf(ra, sizeof(ra), "%d", srv.retry_after);
        MHD_add_response_header(r, "Retry-After", ra);
    }
    rc = MHD_queue_response(c, (unsigned)status, r);
    MHD_destroy_response(r);
    return rc;
}

static struct MHD_Daemon *serve(int fail, int status, int retry_after,
                                int *port)
{
    struct MHD_Daemon *d;

    pthread_mutex_lock(&srv.mu);
    srv.n = 0;
    srv.fail = fail;
    srv.status = status;
    srv.retry_after = retry_after;
    memset(srv.sig, 0, sizeof(srv.sig));
    pthread_mutex_unlock(&srv.mu);
    d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
                         on_request, NULL, MHD_OPTION_END);
    ck_assert_ptr_nonnull(d);
    *port = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port;
    return d;
}

/* A one-event cassette for a profile (id and type in the body). */
static void one_event(const char *path, const char *profile)
{
    char text[1024];

    snprintf(text, sizeof(text),
             "{\"hookreplay\":\"cassette\",\"version\":1,\"endpoints\":"
             "{\"e\":{\"profile\":\"%s\"}}}\n"
             "{\"seq\":1,\"at_ms\":0,\"kind\":\"webhook\",\"endpoint\":\"e\","
             "\"event\":{\"id\":\"msg_retry_1\",\"type\":\"x.y\"},"
             "\"request\":{\"method\":\"POST\",\"path\":\"/\",\"query\":\"\","
             "\"headers\":[],\"body\":\"{\\\"type\\\":\\\"x.y\\\","
             "\\\"event_id\\\":\\\"msg_retry_1\\\",\\\"data\\\":{}}\"}}\n",
             profile);
    ck_assert_int_eq(t_write_file(path, text, strlen(text)), 0);
}

static void replay(const char *profile, int port, const char *scale)
{
    char *dir = t_tmpdir(), cas[600], out[600], url[64];
    char *argv[] = {HR_BIN,
                    "run",
                    "--cassette",
                    cas,
                    "--target",
                    url,
                    "--retry-time-scale",
                    (char *)scale,
                    "--out",
                    out,
                    "--quiet",
                    "--no-handshake",
                    NULL};
    char *env[] = {"HOOKREPLAY_SECRET=whsec_cmV0cmllcy10ZXN0LXNlY3JldA==",
                   NULL};
    struct t_result r;

    snprintf(cas, sizeof(cas), "%s/c.ndjson", dir);
    snprintf(out, sizeof(out), "%s/out", dir);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/hook", port);
    one_event(cas, profile);
    ck_assert_int_eq(t_run(&r, argv, env, NULL, 60000), 0);
    if (r.exit_code) {
        char path[700];
        cJSON *res;

        snprintf(path, sizeof(path), "%s/result.json", out);
        res = t_read_json(path);
        ck_abort_msg(
            "exit %d: %s", r.exit_code,
            res ? cJSON_PrintUnformatted(cJSON_GetObjectItem(res, "checks"))
                : r.err);
    }
    t_result_free(&r);
    free(dir);
}

START_TEST(retry_after_is_waited_in_wall_clock_when_the_profile_honours_it)
{
    int port;
    struct MHD_Daemon *d = serve(1, 429, 1, &port);

    /* scale 0 would retry at once; Retry-After: 1 must still be kept */
    replay("standard-webhooks", port, "0");
    MHD_stop_daemon(d);
    ck_assert_int_eq(srv.n, 2);
    ck_assert_msg(srv.at[1] - srv.at[0] >= 0.95, "retried after %.3f s",
                  srv.at[1] - srv.at[0]);
    /* each attempt is signed anew */
    ck_assert_str_ne(srv.sig[0], "");
    ck_assert_str_ne(srv.sig[0], srv.sig[1]);
}
END_TEST

START_TEST(retry_after_is_ignored_when_the_provider_does_not_honour_it)
{
    int port;
    struct MHD_Daemon *d = serve(1, 429, 30, &port);

    replay("stripe", port, "0"); /* Stripe: schedule only */
    MHD_stop_daemon(d);
    ck_assert_int_eq(srv.n, 2);
    /* far below the 30 s asked for, with room for a slow machine */
    ck_assert_msg(srv.at[1] - srv.at[0] < 10, "waited %.3f s",
                  srv.at[1] - srv.at[0]);
}
END_TEST

START_TEST(slack_retries_carry_their_number_and_reason)
{
    int port;
    struct MHD_Daemon *d = serve(2, 500, 0, &port);

    replay("slack", port, "0");
    MHD_stop_daemon(d);
    ck_assert_int_eq(srv.n, 3);
    ck_assert_str_eq(srv.retry_num[0], "");
    ck_assert_str_eq(srv.retry_num[1], "1");
    ck_assert_str_eq(srv.retry_reason[1], "http_error");
    ck_assert_str_eq(srv.retry_num[2], "2");
}
END_TEST

START_TEST(the_schedule_is_the_profiles_scaled_by_retry_time_scale)
{
    int port;
    struct MHD_Daemon *d = serve(1, 503, 0, &port);
    double gap;

    /* Standard Webhooks waits 5 s before the second attempt: at a scale
     * of 0.1 that is 0.5 s, never less. */
    replay("standard-webhooks", port, "0.1");
    MHD_stop_daemon(d);
    ck_assert_int_eq(srv.n, 2);
    gap = srv.at[1] - srv.at[0];
    ck_assert_msg(gap >= 0.45 && gap < 3, "retried after %.3f s", gap);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("retries");
    TCase *tc = tcase_create("retries");

    tcase_set_timeout(tc, 120);
    tcase_add_test(
        tc, retry_after_is_waited_in_wall_clock_when_the_profile_honours_it);
    tcase_add_test(tc,
                   retry_after_is_ignored_when_the_provider_does_not_honour_it);
    tcase_add_test(tc, slack_retries_carry_their_number_and_reason);
    tcase_add_test(tc, the_schedule_is_the_profiles_scaled_by_retry_time_scale);
    suite_add_tcase(s, tc);
    return t_run_suite(s);
}
