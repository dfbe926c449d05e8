/* SPDX-License-Identifier: MIT */
/*
 * Provider handshakes against the reference targets on 127.0.0.1:
 * Slack's url_verification and GitHub's ping, sent by `hookreplay run`
 * before the first delivery, and sent by hand unsigned.
 */
#include "sign.h"
#include "support.h"

#include <check.h>
#include <ctype.h>
#include <curl/curl.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char *env_secret[] = {"HOOKREPLAY_SECRET=handshake-test-secret", NULL};

/* Slack: the id lives in the body (event_id). */
static const char slack_cassette[] =
    "{\"hookreplay\":\"cassette\",\"version\":1,\"endpoints\":"
    "{\"e\":{\"profile\":\"slack\"}}}\n"
    "{\"seq\":1,\"at_ms\":0,\"kind\":\"webhook\",\"endpoint\":\"e\","
    "\"event\":{\"id\":\"Ev01\",\"type\":\"message\",\"object\":\"C1\"},"
    "\"request\":{\"method\":\"POST\",\"path\":\"/\",\"query\":\"\","
    "\"headers\":[],\"body\":\"{\\\"type\\\":\\\"event_callback\\\","
    "\\\"event_id\\\":\\\"Ev01\\\",\\\"event_time\\\":1700000000,"
    "\\\"event\\\":{\\\"type\\\":\\\"message\\\",\\\"channel\\\":\\\"C1\\\"}}"
    "\"}}\n";

struct outcome {
    cJSON *result; /* result.json */
    cJSON *state;  /* the target's /__state after the run */
};

/* Starts a target of mode for profile, runs the cassette against it
 * with the handshake on, and reads both sides. */
static struct outcome run_against(const char *mode, const char *profile,
                                  const char *cassette)
{
    char *dir = t_tmpdir(), cas[600], out[600], url[200];
    char *argv[] = {HR_BIN,     "run", "--cassette", cas,
                    "--target", url,   "--profile",  (char *)profile,
                    "--out",    out,   "--quiet",    NULL};
    struct t_server s;
    struct t_result r;
    struct outcome o;

    t_target_start(&s, mode, profile, NULL, env_secret);
    snprintf(cas, sizeof(cas), "%s/c.ndjson", dir);
    snprintf(out, sizeof(out), "%s/out", dir);
    snprintf(url, sizeof(url), "%s/webhooks/%s", s.url, profile);
    ck_assert_int_eq(t_write_file(cas, cassette, strlen(cassette)), 0);
    ck_assert_int_eq(t_run(&r, argv, env_secret, NULL, 60000), 0);
    ck_assert_msg(r.exit_code == 0 || r.exit_code == 1, "run: %s", r.err);
    o.result = t_read_result(out);
    o.state = t_target_state(&s);
    t_result_free(&r);
    t_server_stop(&s);
    free(dir);
    return o;
}

static void outcome_free(struct outcome *o)
{
    cJSON_Delete(o->result);
    cJSON_Delete(o->state);
}

static const char *handshake_error(const struct outcome *o)
{
    const cJSON *e = cJSON_GetObjectItem(
        cJSON_GetObjectItem(o->result, "totals"), "handshake_error");

    return cJSON_IsString(e) ? e->valuestring : "";
}

/* The X-GitHub-Delivery of the last ping a bare server was sent. */
static struct {
    pthread_mutex_t mu;
    char ping_id[128];
} seen = {PTHREAD_MUTEX_INITIALIZER, ""};

static enum MHD_Result on_any(void *cls, struct MHD_Connection *c,
                              const char *url, const char *method,
                              const char *version, const char *data,
                              size_t *size, void **state)
{
    const char *ev =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-GitHub-Event");
    const char *id =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-GitHub-Delivery");
    struct MHD_Response *r;
    enum MHD_Result rc;

    (void)cls, (void)url, (void)method, (void)version, (void)data;
    if (!*state) {
        *state = (void *)1;
        return MHD_YES;
    }
    if (*size) {
        *size = 0;
        return MHD_YES;
    }
    pthread_mutex_lock(&seen.mu);
    if (ev && strcmp(ev, "ping") == 0)
        snprintf(seen.ping_id, sizeof(seen.ping_id), "%s", id ? id : "");
    pthread_mutex_unlock(&seen.mu);
    r = MHD_create_response_from_buffer(2, (void *)"ok",
                                        MHD_RESPMEM_PERSISTENT);
    rc = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return rc;
}

/* 1 when s is shaped as a UUID: 8-4-4-4-12 lower-case hex digits. */
static int uuid_shaped(const char *s)
{
    static const int groups[] = {8, 4, 4, 4, 12};
    int g, i;

    for (g = 0; g < 5; g++) {
        for (i = 0; i < groups[g]; i++, s++)
            if (!isxdigit((unsigned char)*s) || isupper((unsigned char)*s))
                return 0;
        if (*s != (g < 4 ? '-' : '\0'))
            return 0;
        s += g < 4;
    }
    return 1;
}

/* Runs the GitHub cassette against a bare server; the ping's id. */
static void ping_id_of_a_run(char *id, size_t cap)
{
    char *dir = t_tmpdir(), cas[600], out[600], url[200];
    char *argv[] = {HR_BIN,      "run",    "--cassette", cas, "--target", url,
                    "--profile", "github", "--out",      out, "--quiet",  NULL};
    struct MHD_Daemon *d =
        MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, on_any,
                         NULL, MHD_OPTION_END);
    struct t_result r;

    ck_assert_ptr_nonnull(d);
    snprintf(cas, sizeof(cas), "%s/c.ndjson", dir);
    snprintf(out, sizeof(out), "%s/out", dir);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/",
             MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port);
    ck_assert_int_eq(
        t_write_file(cas, t_github_one_delivery, strlen(t_github_one_delivery)),
        0);
    seen.ping_id[0] = '\0';
    ck_assert_int_eq(t_run(&r, argv, env_secret, NULL, 60000), 0);
    ck_assert_msg(r.exit_code == 0, "run: %s", r.err);
    t_result_free(&r);
    MHD_stop_daemon(d);
    pthread_mutex_lock(&seen.mu);
    snprintf(id, cap, "%s", seen.ping_id);
    pthread_mutex_unlock(&seen.mu);
    free(dir);
}

START_TEST(githubs_ping_carries_a_new_guid_each_run)
{
    char a[128], b[128];

    ping_id_of_a_run(a, sizeof(a));
    ping_id_of_a_run(b, sizeof(b));
    ck_assert_msg(uuid_shaped(a), "ping id '%s'", a);
    ck_assert_msg(uuid_shaped(b), "ping id '%s'", b);
    ck_assert_str_ne(a, b);
}
END_TEST

START_TEST(correct_target_answers_slacks_url_verification_challenge)
{
    struct outcome o = run_against("correct", "slack", slack_cassette);

    ck_assert_double_eq(t_json_num(o.result, "totals.handshakes"), 1);
    ck_assert_double_eq(t_json_num(o.result, "totals.handshakes_ok"), 1);
    ck_assert_str_eq(handshake_error(&o), "");
    ck_assert_double_eq(t_json_num(o.state, "handshakes"), 1);
    /* The handshake is no event: only the delivery was applied. */
    ck_assert_double_eq(t_json_num(o.state, "processed"), 1);
    ck_assert_double_eq(t_json_num(o.state, "rejected"), 0);
    ck_assert_int_eq(
        cJSON_GetArraySize(cJSON_GetObjectItem(o.state, "applied")), 1);
    outcome_free(&o);
}
END_TEST

START_TEST(naive_target_fails_slacks_url_verification_and_the_run_says_so)
{
    struct outcome o = run_against("naive", "slack", slack_cassette);

    ck_assert_double_eq(t_json_num(o.result, "totals.handshakes"), 1);
    ck_assert_double_eq(t_json_num(o.result, "totals.handshakes_ok"), 0);
    ck_assert_ptr_nonnull(strstr(handshake_error(&o), "2xx"));
    ck_assert_double_eq(t_json_num(o.state, "handshakes"), 0);
    ck_assert_double_eq(t_json_num(o.state, "processed"), 1);
    outcome_free(&o);
}
END_TEST

START_TEST(correct_target_answers_githubs_ping_without_applying_it)
{
    struct outcome o = run_against("correct", "github", t_github_one_delivery);

    ck_assert_double_eq(t_json_num(o.result, "totals.handshakes_ok"), 1);
    ck_assert_double_eq(t_json_num(o.state, "handshakes"), 1);
    ck_assert_double_eq(t_json_num(o.state, "processed"), 1);
    ck_assert_int_eq(
        cJSON_GetArraySize(cJSON_GetObjectItem(o.state, "applied")), 1);
    ck_assert_double_eq(t_json_num(o.state, "applied.d-1"), 1);
    outcome_free(&o);
}
END_TEST

START_TEST(naive_target_throws_on_githubs_ping_and_the_run_says_so)
{
    struct outcome o = run_against("naive", "github", t_github_one_delivery);

    ck_assert_double_eq(t_json_num(o.result, "totals.handshakes_ok"), 0);
    ck_assert_ptr_nonnull(strstr(handshake_error(&o), "2xx"));
    ck_assert_double_eq(t_json_num(o.state, "processed"), 1);
    outcome_free(&o);
}
END_TEST

static size_t keep(char *p, size_t size, size_t n, void *ud)
{
    strncat(ud, p, size * n < 200 ? size * n : 200);
    return size * n;
}

/* POSTs a url_verification signed with secret (NULL: unsigned);
 * returns the status, the answer's start in answer[256]. */
static long post_challenge(const struct t_server *s, const char *secret,
                           char *answer)
{
    static const char body[] = "{\"token\":\"t\",\"challenge\":\"c-42x\","
                               "\"type\":\"url_verification\"}";
    const char *secrets[] = {secret};
    struct hr_sign_input in = {0};
    struct hr_message m = {0};
    struct hr_err err = {0};
    struct curl_slist *hl = curl_slist_append(NULL, "Content-Type: "
                                                    "application/json");
    CURL *c = curl_easy_init();
    char url[200], line[400];
    long status = 0;
    size_t i;

    in.scheme = HR_SCHEME_SLACK;
    in.secrets = secrets;
    in.n_secrets = 1;
    in.timestamp = (int64_t)time(NULL);
    in.body = (const unsigned char *)body;
    in.body_len = strlen(body);
    ck_assert(!secret || hr_sign(&in, &m, &err) == 0);
    for (i = 0; i < m.n_headers; i++) {
        snprintf(line, sizeof(line), "%s: %s", m.headers[i].name,
                 m.headers[i].value);
        hl = curl_slist_append(hl, line);
    }
    answer[0] = '\0';
    snprintf(url, sizeof(url), "%s/webhooks/slack", s->url);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, keep);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, answer);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(hl);
    curl_easy_cleanup(c);
    for (i = 0; i < m.n_headers; i++) {
        hr_free(m.headers[i].name);
        hr_free(m.headers[i].value);
    }
    hr_free(m.headers);
    return status;
}

START_TEST(correct_target_echoes_a_signed_challenge_and_refuses_others)
{
    char answer[256];
    struct t_server s;

    t_target_start(&s, "correct", "slack", NULL, env_secret);
    ck_assert_int_eq(post_challenge(&s, "handshake-test-secret", answer), 200);
    ck_assert_str_eq(answer, "{\"challenge\":\"c-42x\"}");
    ck_assert_int_eq(post_challenge(&s, "somebody-else", answer), 400);
    ck_assert_ptr_null(strstr(answer, "c-42x"));
    ck_assert_int_eq(post_challenge(&s, NULL, answer), 400);
    ck_assert_ptr_null(strstr(answer, "c-42x"));
    t_server_stop(&s);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("handshakes");
    TCase *tc = tcase_create("reference targets");

    tcase_set_timeout(tc, 120);
    tcase_add_test(tc,
                   correct_target_answers_slacks_url_verification_challenge);
    tcase_add_test(
        tc, naive_target_fails_slacks_url_verification_and_the_run_says_so);
    tcase_add_test(tc, correct_target_answers_githubs_ping_without_applying_it);
    tcase_add_test(tc, naive_target_throws_on_githubs_ping_and_the_run_says_so);
    tcase_add_test(tc, githubs_ping_carries_a_new_guid_each_run);
    tcase_add_test(tc,
                   correct_target_echoes_a_signed_challenge_and_refuses_others);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    int rc;

    hr_alloc_init();
    curl_global_init(CURL_GLOBAL_DEFAULT);
    rc = t_run_suite(suite());
    curl_global_cleanup();
    return rc;
}
