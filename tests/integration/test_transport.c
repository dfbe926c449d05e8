/* SPDX-License-Identifier: MIT */
/*
 * Connection faults against the reference targets: reset, slow, refused
 * and http10 each expose a flaw of the naive consumer that the correct
 * one does not have. Real targets on 127.0.0.1, real scenarios.
 */
#include "support.h"

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define STRIPE_CASSETTE HR_SRC_DIR "/fixtures/stripe-lifecycle.ndjson"
#define ASAP "\"pacing\":\"asap\",\"retry_time_scale\":0"

static char *env[] = {"HOOKREPLAY_SECRET=whsec_dHJhbnNwb3J0LXRlc3RzLTE=",
                      "HOOKREPLAY_API_KEY=sk_test_transport", NULL};

/* Every attempt Stripe's profile allows (1 + 10 retries) does this. */
#define EVERY_ATTEMPT(step)                                                    \
    "{\"script\":[" step "," step "," step "," step "," step "," step "," step \
    "," step "," step "," step "," step "]}"

struct outcome {
    int exit_code;
    cJSON *result;
};

/* Starts a target of mode; with api_port > 0 it reconciles with the API
 * there (correct mode polls its event list every 200 ms). */
static void start_target(struct t_server *s, const char *mode, int api_port)
{
    char api[64];
    char *extra[] = {"--api", api, "--poll-ms", "200", NULL};

    snprintf(api, sizeof(api), "http://127.0.0.1:%d", api_port);
    t_target_start(s, mode, "stripe", api_port > 0 ? extra : NULL, env);
}

/*
 * Replays the Stripe cassette with the fault rules (a JSON list body)
 * against a fresh target of mode. replay is the "replay" body; extra is
 * more top-level scenario fields (with a leading comma) or "". With
 * api_port > 0 the mock API runs there and the probe also reads the
 * objects, so that consistency is judged.
 */
static struct outcome run(const char *mode, const char *faults,
                          const char *replay, const char *extra, int api_port)
{
    struct outcome o;
    struct t_server s;
    char json[8192], api[300];

    start_target(&s, mode, api_port);
    snprintf(api, sizeof(api),
             ",\"api\":{\"listen\":\"127.0.0.1:%d\"},\"reconcile\":"
             "{\"deadline_ms\":3000,\"interval_ms\":100,\"stable_probes\":3}",
             api_port);
    snprintf(json, sizeof(json),
             "{\"hookreplay\":\"scenario\",\"version\":1,"
             "\"cassette\":\"%s\",\"seed\":7,"
             "\"targets\":{\"stripe\":{\"url\":\"%s/webhooks/stripe\"}},"
             "\"replay\":{%s},\"faults\":[%s],"
             "\"probe\":{\"http\":\"%s/__state\","
             "\"applied\":{\"counts\":\"/applied\"}%s}%s%s}",
             STRIPE_CASSETTE, s.url, replay, faults, s.url,
             api_port > 0 ? ",\"collections\":[{\"items\":\"/objects\","
                            "\"truth\":\"*\",\"fields\":{\"/status\":"
                            "\"/status\",\"/email\":\"/email\",\"/deleted\":"
                            "\"/deleted\"},\"deleted\":\"flag\"}]"
                          : "",
             api_port > 0 ? api : "", extra);
    o.result = t_run_judged(json, env, &o.exit_code);
    t_server_stop(&s);
    return o;
}

static double check_value(const struct outcome *o, const char *name)
{
    return t_json_num(t_check(o->result, name), "value");
}

/* The event with this seq in a result. */
static const cJSON *event_at(const struct outcome *o, int seq)
{
    const cJSON *ev;

    cJSON_ArrayForEach(ev, cJSON_GetObjectItem(o->result, "events"))
    {
        if (t_json_num(ev, "seq") == seq)
            return ev;
    }
    ck_abort_msg("no event with seq %d", seq);
    return NULL;
}

static const char *first_step(const cJSON *ev)
{
    const cJSON *a = cJSON_GetArrayItem(cJSON_GetObjectItem(ev, "attempts"), 0);

    return cJSON_GetObjectItem(a, "step")->valuestring;
}

static int consistent(const struct outcome *o)
{
    return cJSON_IsTrue(cJSON_GetObjectItem(
        cJSON_GetObjectItem(o->result, "reconciliation"), "consistent"));
}

START_TEST(resets_mid_body_are_applied_by_naive_then_again_on_retry)
{
    /* Half the body, a stall, then RST: the naive consumer has read the
     * half and acts on it when the connection dies; the retry is then
     * applied again. The correct one drops the cut-off request. */
    const char *faults = "{\"match\":{\"seq\":[2,4]},\"action\":"
                         "{\"connection\":\"reset\"}}";
    struct outcome c = run("correct", faults, ASAP, "", 0);
    struct outcome n = run("naive", faults, ASAP, "", 0);

    ck_assert_str_eq(first_step(event_at(&n, 3)), "reset");
    ck_assert_int_eq(t_json_num(n.result, "totals.injected_failures"), 3);
    ck_assert_str_eq(t_check_result(n.result, "max_duplicates_processed"),
                     "fail");
    /* up to all three; on a loaded machine the RST can still beat the
     * reader of a request the single worker has not reached */
    ck_assert_int_ge(check_value(&n, "max_duplicates_processed"), 1);
    ck_assert_int_le(check_value(&n, "max_duplicates_processed"), 3);
    ck_assert_int_eq(n.exit_code, 1);
    ck_assert_str_eq(t_check_result(c.result, "max_duplicates_processed"),
                     "pass");
    ck_assert_str_eq(t_check_result(c.result, "min_delivery_rate"), "pass");
    ck_assert_int_eq(c.exit_code, 0);
    cJSON_Delete(c.result);
    cJSON_Delete(n.result);
}
END_TEST

START_TEST(slow_bodies_hold_naive_single_worker_and_delay_every_ack)
{
    /* One body dribbles for about 2 s. The naive consumer serves one
     * request at a time, so the deliveries sent meanwhile are answered
     * only after it; the correct one answers them at once. The slow
     * delivery's own latency counts from its last byte: the dribble is
     * the sender's doing, not the target's. */
    const char *faults =
        "{\"match\":{\"seq\":[2,2]},\"action\":{\"connection\":\"slow\"}}";
    const char *limit = ",\"thresholds\":{\"max_ack_p99_ms\":1000}";
    struct outcome c = run("correct", faults, ASAP, limit, 0);
    struct outcome n = run("naive", faults, ASAP, limit, 0);
    const cJSON *slow =
        cJSON_GetArrayItem(cJSON_GetObjectItem(event_at(&c, 2), "attempts"), 0);

    ck_assert_str_eq(first_step(event_at(&c, 2)), "slow");
    ck_assert(t_json_num(slow, "body_end_ms") - t_json_num(slow, "sent_ms") >=
              1500);
    ck_assert(t_json_num(slow, "ack_ms") < 1000);
    ck_assert_str_eq(t_check_result(c.result, "max_ack_p99_ms"), "pass");
    ck_assert_int_eq(c.exit_code, 0);
    ck_assert_str_eq(t_check_result(n.result, "max_ack_p99_ms"), "fail");
    ck_assert(t_json_num(n.result, "totals.ack_latency_ms.from_actual.p99") >=
              1500);
    /* the queue delays, it does not lose: every event still arrives */
    ck_assert_str_eq(t_check_result(n.result, "min_delivery_rate"), "pass");
    cJSON_Delete(c.result);
    cJSON_Delete(n.result);
}
END_TEST

START_TEST(http10_is_refused_by_naive_front_server_and_taken_by_correct)
{
    /* Behind a front server that speaks only HTTP/1.1, every HTTP/1.0
     * attempt is answered 505 and never reaches the naive consumer. */
    const char *faults =
        "{\"match\":{\"type\":\"invoice.*\"},\"action\":" EVERY_ATTEMPT(
            "\"http10\"") "}";
    struct outcome c = run("correct", faults, ASAP, "", 0);
    struct outcome n = run("naive", faults, ASAP, "", 0);
    const cJSON *a;

    ck_assert_str_eq(t_check_result(c.result, "min_delivery_rate"), "pass");
    ck_assert_int_eq(c.exit_code, 0);
    ck_assert_str_eq(t_check_result(n.result, "min_delivery_rate"), "fail");
    ck_assert_int_eq(n.exit_code, 1);
    cJSON_ArrayForEach(a, cJSON_GetObjectItem(n.result, "events"))
    {
        const cJSON *last;

        if (strncmp(cJSON_GetObjectItem(a, "type")->valuestring, "invoice.", 8))
            continue;
        last = cJSON_GetArrayItem(cJSON_GetObjectItem(a, "attempts"), 10);
        ck_assert_ptr_nonnull(last);
        ck_assert_str_eq(cJSON_GetObjectItem(last, "step")->valuestring,
                         "http10");
        ck_assert_int_eq(t_json_num(last, "status"), 505);
    }
    cJSON_Delete(c.result);
    cJSON_Delete(n.result);
}
END_TEST

START_TEST(refused_events_leave_naive_inconsistent_and_polling_consistent)
{
    /* The provider never connects for these events, on any attempt, and
     * gives up: only a consumer that reconciles with the API has them. */
    const char *faults =
        "{\"match\":{\"seq\":[6,12]},\"action\":" EVERY_ATTEMPT(
            "\"refused\"") "}";
    const char *replay = "\"pacing\":\"recorded\",\"speed\":20,"
                         "\"retry_time_scale\":0";
    struct outcome n = run("naive", faults, replay, "", t_unused_port());
    struct outcome c = run("correct", faults, replay, "", t_unused_port());
    const cJSON *ev = event_at(&n, 6);

    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(ev, "attempts")),
                     11);
    ck_assert(!cJSON_IsTrue(cJSON_GetObjectItem(ev, "delivered")));
    ck_assert_str_eq(first_step(ev), "refused");
    ck_assert(!consistent(&n));
    ck_assert_str_eq(t_check_result(n.result, "require_consistent"), "fail");
    ck_assert(t_json_num(n.result, "reconciliation.lost_events") > 0);
    ck_assert(consistent(&c));
    ck_assert_str_eq(t_check_result(c.result, "require_consistent"), "pass");
    /* every event applied: the refused ones came from polling */
    ck_assert_int_eq(t_json_num(c.result, "reconciliation.lost_events"), 0);
    ck_assert(!cJSON_IsTrue(cJSON_GetObjectItem(event_at(&c, 6), "delivered")));
    /* the seven given up on (seq 6 to 12) count as recovered, through
     * the API */
    ck_assert_int_eq(t_json_num(c.result, "reconciliation.recovered"), 7);
    ck_assert_int_eq(t_json_num(n.result, "reconciliation.recovered"), 0);
    {
        const cJSON *r = cJSON_GetArrayItem(
            cJSON_GetObjectItem(cJSON_GetObjectItem(c.result, "reconciliation"),
                                "recovered_events"),
            0);
        const cJSON *via = cJSON_GetObjectItem(r, "via");

        ck_assert(cJSON_IsString(via));
        ck_assert_msg(strcmp(via->valuestring, "not through the API") != 0,
                      "via %s", via->valuestring);
    }
    cJSON_Delete(c.result);
    cJSON_Delete(n.result);
}
END_TEST

/* A raw connection to port on 127.0.0.1 that has sent text. */
static int raw_send(int port, const char *text)
{
    struct sockaddr_in a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    return fd;
}

/* What arrives on fd within wait_ms, until the peer closes; "" if
 * nothing. The caller frees it. */
static char *raw_read(int fd, int wait_ms)
{
    static char buf[4096];
    size_t len = 0;
    struct pollfd p = {fd, POLLIN, 0};
    ssize_t n;

    while (len + 1 < sizeof(buf) && poll(&p, 1, wait_ms) == 1 &&
           (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
        len += (size_t)n;
    buf[len] = '\0';
    return strdup(buf);
}

START_TEST(naive_target_serves_one_request_at_a_time_and_refuses_http10)
{
    struct t_server s;
    int busy, queued, old, tries;
    char *got;

    start_target(&s, "naive", 0);
    busy = raw_send(s.port, "POST /webhooks/stripe HTTP/1.1\r\nHost: t\r\n"
                            "Content-Type: application/json\r\n"
                            "Content-Length: 9\r\n\r\n{\"id\"");
    /* Until the target has read the held request's headers, the worker
     * is free and a later request may be served; a slow machine needs a
     * while for that. Once held, no later request is answered. */
    for (tries = 0;; tries++) {
        queued = raw_send(s.port, "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n");
        got = raw_read(queued, 500);
        if (got[0] == '\0')
            break;
        /* 10 s of answers: the held request never took the worker */
        ck_assert_msg(tries < 200, "answered while the worker is held: %s",
                      got);
        free(got);
        close(queued);
        usleep(50000);
    }
    free(got);
    ck_assert_int_eq(write(busy, ":\"e\"}", 5), 5);
    got = raw_read(busy, 5000);
    ck_assert_msg(strstr(got, "Connection: close"), "%s", got);
    free(got);
    got = raw_read(queued, 5000); /* then its turn comes, and it closes */
    ck_assert_msg(!strncmp(got, "HTTP/1.1 200", 12), "%s", got);
    ck_assert_ptr_nonnull(strstr(got, "Connection: close"));
    free(got);
    old = raw_send(s.port, "POST /webhooks/stripe HTTP/1.0\r\n"
                           "Content-Length: 2\r\n\r\n{}");
    got = raw_read(old, 5000);
    ck_assert_msg(strstr(got, " 505 "), "%s", got);
    free(got);
    close(busy);
    close(queued);
    close(old);
    t_server_stop(&s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("transport");
    TCase *tc = tcase_create("transport");

    tcase_set_timeout(tc, 240);
    tcase_add_test(tc,
                   resets_mid_body_are_applied_by_naive_then_again_on_retry);
    tcase_add_test(tc,
                   slow_bodies_hold_naive_single_worker_and_delay_every_ack);
    tcase_add_test(
        tc, http10_is_refused_by_naive_front_server_and_taken_by_correct);
    tcase_add_test(
        tc, refused_events_leave_naive_inconsistent_and_polling_consistent);
    tcase_add_test(
        tc, naive_target_serves_one_request_at_a_time_and_refuses_http10);
    suite_add_tcase(s, tc);
    return t_run_suite(s);
}
