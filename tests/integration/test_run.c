/* SPDX-License-Identifier: MIT */
/*
 * `hookreplay run` end to end: real reference targets on 127.0.0.1, the
 * bundled Stripe cassette and imported GitHub examples, and bad input.
 */
#include "cassette.h"
#include "support.h"

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define STRIPE_CASSETTE HR_SRC_DIR "/fixtures/stripe-lifecycle.ndjson"
#define SECRET_ENV "HOOKREPLAY_SECRET=whsec_dGVzdC1zZWNyZXQtcnVuLTAwMDE="

static char *env_secret[] = {SECRET_ENV, NULL};
static char *env_wrong[] = {"HOOKREPLAY_SECRET=whsec_wrong", NULL};

/* Counts the webhook interactions of a cassette with the real reader. */
static int count_webhooks(const char *path)
{
    struct hr_err err;
    struct hr_cassette_reader *r = hr_cassette_open(path, &err);
    struct hr_interaction it;
    int n = 0, rc;

    ck_assert_msg(r != NULL, "%s", err.msg);
    hr_interaction_init(&it);
    while ((rc = hr_cassette_next(r, &it, &err)) == 1)
        n += it.kind == HR_KIND_WEBHOOK;
    ck_assert_int_eq(rc, 0);
    hr_interaction_clear(&it);
    hr_cassette_close(r);
    return n;
}

/* A target of mode for profile; slow_ms, when given, holds answers back. */
static void start_target(struct t_server *s, const char *mode,
                         const char *profile, const char *slow_ms)
{
    char *slow[] = {"--slow-ms", (char *)slow_ms, NULL};

    t_target_start(s, mode, profile, slow_ms ? slow : NULL, env_secret);
}

static void replay_against(const char *mode)
{
    struct t_server s;
    struct t_result r;
    char url[200], *out = t_tmpdir();
    int n = count_webhooks(STRIPE_CASSETTE);
    cJSON *res, *st;

    ck_assert_int_ge(n, 20);
    start_target(&s, mode, "stripe", NULL);
    snprintf(url, sizeof(url), "%s/webhooks/stripe", s.url);
    ck_assert_int_eq(
        t_replay_asap(&r, STRIPE_CASSETTE, url, out, env_secret, NULL), 0);
    ck_assert_ptr_nonnull(strstr(r.out, "verdict"));
    res = t_read_result(out);
    ck_assert_int_eq(t_json_num(res, "totals.events"), n);
    ck_assert_int_eq(t_json_num(res, "totals.delivered"), n);
    ck_assert_int_eq(t_json_num(res, "totals.attempts"), n);
    ck_assert_int_eq(t_json_num(res, "totals.status_counts.200"), n);
    ck_assert_int_eq(t_json_num(res, "totals.ack_latency_ms.from_actual.count"),
                     n);
    ck_assert(t_json_num(res, "totals.ack_latency_ms.from_actual.p99") > 0);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(res, "events")), n);
    st = t_target_state(&s);
    ck_assert_int_eq(t_json_num(st, "processed"), n);
    ck_assert_int_eq(t_json_num(st, "rejected"), 0);
    cJSON_Delete(st);
    cJSON_Delete(res);
    t_result_free(&r);
    t_server_stop(&s);
    free(out);
}

START_TEST(stripe_cassette_is_delivered_once_to_the_correct_target)
{
    replay_against("correct");
}
END_TEST

START_TEST(stripe_cassette_is_delivered_once_to_the_naive_target)
{
    replay_against("naive");
}
END_TEST

START_TEST(github_examples_are_accepted_by_the_correct_target)
{
    struct t_server s;
    struct t_result r;
    char url[200], cas[512], *out = t_tmpdir();
    char *imp[] = {
        HR_BIN, "import", "github", HR_SRC_DIR "/tests/data/github-payloads",
        "-o",   cas,      NULL};
    int n;
    cJSON *res, *st;

    snprintf(cas, sizeof(cas), "%s/github.ndjson", out);
    ck_assert_int_eq(t_run(&r, imp, NULL, NULL, 60000), 0);
    ck_assert_msg(r.exit_code == 0, "import: %s", r.err);
    t_result_free(&r);
    n = count_webhooks(cas);
    ck_assert_int_ge(n, 200);
    start_target(&s, "correct", "github", NULL);
    snprintf(url, sizeof(url), "%s/webhooks/github", s.url);
    ck_assert_int_eq(t_replay_asap(&r, cas, url, out, env_secret, NULL), 0);
    res = t_read_result(out);
    ck_assert_int_eq(t_json_num(res, "totals.delivered"), n);
    /* GitHub pings a new hook first: the handshake is one more, and the
     * examples' own pings are answered as handshakes too, not applied. */
    ck_assert_int_eq(t_json_num(res, "totals.handshakes_ok"), 1);
    st = t_target_state(&s);
    ck_assert_int_gt(t_json_num(st, "handshakes"), 1);
    ck_assert_int_eq(t_json_num(st, "processed") + t_json_num(st, "handshakes"),
                     n + 1);
    ck_assert_int_eq(t_json_num(st, "rejected"), 0);
    cJSON_Delete(st);
    cJSON_Delete(res);
    t_result_free(&r);
    t_server_stop(&s);
    free(out);
}
END_TEST

START_TEST(wrong_secret_is_rejected_and_retried_on_the_profile_schedule)
{
    struct t_server s;
    struct t_result r;
    char url[200], *out = t_tmpdir();
    int n = count_webhooks(STRIPE_CASSETTE);
    cJSON *res, *st;

    start_target(&s, "correct", "stripe", NULL);
    snprintf(url, sizeof(url), "%s/webhooks/stripe", s.url);
    ck_assert_int_eq(
        t_replay_asap(&r, STRIPE_CASSETTE, url, out, env_wrong, NULL), 1);
    res = t_read_result(out);
    ck_assert_int_eq(t_json_num(res, "totals.delivered"), 0);
    ck_assert_int_eq(t_json_num(res, "totals.failed"), n);
    /* stripe.json lists 10 retry delays: 11 attempts per event */
    ck_assert_int_eq(t_json_num(res, "totals.attempts"), n * 11);
    st = t_target_state(&s);
    ck_assert_int_eq(t_json_num(st, "processed"), 0);
    ck_assert_int_eq(t_json_num(st, "rejected"), n * 11);
    cJSON_Delete(st);
    cJSON_Delete(res);
    t_result_free(&r);
    t_server_stop(&s);
    free(out);
}
END_TEST

START_TEST(slow_target_fails_the_ack_latency_threshold)
{
    char *p99[] = {"--max-ack-p99-ms", "20", NULL};
    struct t_server s;
    struct t_result r;
    char url[200], *out = t_tmpdir();
    cJSON *res;

    start_target(&s, "correct", "stripe", "60");
    snprintf(url, sizeof(url), "%s/webhooks/stripe", s.url);
    ck_assert_int_eq(
        t_replay_asap(&r, STRIPE_CASSETTE, url, out, env_secret, p99), 1);
    res = t_read_result(out);
    ck_assert(t_json_num(res, "totals.ack_latency_ms.from_actual.p50") >= 60);
    ck_assert_str_eq(cJSON_GetObjectItem(res, "verdict")->valuestring, "fail");
    cJSON_Delete(res);
    t_result_free(&r);
    t_server_stop(&s);
    free(out);
}
END_TEST

/* A port on 127.0.0.1 with nothing listening. */
START_TEST(refused_target_exits_3_with_a_result_listing_the_errors)
{
    char *no_retries[] = {"--no-retries", NULL};
    struct t_result r;
    char url[200], *out = t_tmpdir();
    cJSON *res;

    snprintf(url, sizeof(url), "http://127.0.0.1:%d/hook", t_unused_port());
    ck_assert_int_eq(
        t_replay_asap(&r, STRIPE_CASSETTE, url, out, env_secret, no_retries),
        3);
    res = t_read_result(out);
    ck_assert_int_eq(t_json_num(res, "totals.answered"), 0);
    ck_assert(t_json_num(res, "totals.errors.connect") > 0);
    ck_assert_str_eq(cJSON_GetObjectItem(res, "verdict")->valuestring,
                     "unreachable");
    cJSON_Delete(res);
    t_result_free(&r);
    free(out);
}
END_TEST

/* Copies the first keep lines of the Stripe cassette, then tail. */
static void broken_copy(const char *path, int keep, const char *tail)
{
    FILE *in = fopen(STRIPE_CASSETTE, "r"), *o = fopen(path, "w");
    char *line = NULL;
    size_t cap = 0;
    int i;

    ck_assert(in && o);
    for (i = 0; i < keep && getline(&line, &cap, in) > 0; i++)
        fputs(line, o);
    fputs(tail, o);
    free(line);
    fclose(in);
    fclose(o);
}

static void check_broken(const char *tail, int line_no)
{
    struct t_server s;
    struct t_result r;
    char url[200], cas[512], where[64], *out = t_tmpdir();
    cJSON *res;

    snprintf(cas, sizeof(cas), "%s/broken.ndjson", out);
    broken_copy(cas, 6, tail); /* header + 5 deliveries */
    start_target(&s, "correct", "stripe", NULL);
    snprintf(url, sizeof(url), "%s/webhooks/stripe", s.url);
    ck_assert_int_eq(t_replay_asap(&r, cas, url, out, env_secret, NULL), 2);
    snprintf(where, sizeof(where), "broken.ndjson:%d:", line_no);
    ck_assert_msg(strstr(r.err, where) != NULL, "stderr: %s", r.err);
    res = t_read_result(out);
    ck_assert_int_eq(t_json_num(res, "totals.delivered"), 5);
    ck_assert_str_eq(cJSON_GetObjectItem(res, "verdict")->valuestring,
                     "input_error");
    cJSON_Delete(res);
    t_result_free(&r);
    t_server_stop(&s);
    free(out);
}

/* Two Shopify webhooks, the second without its shop domain and with an
 * empty API version: Shopify's library refuses such a delivery. */
static const char shopify_cassette[] =
    "{\"hookreplay\":\"cassette\",\"version\":1,\"endpoints\":"
    "{\"shop\":{\"profile\":\"shopify\"}}}\n"
    "{\"seq\":1,\"at_ms\":0,\"kind\":\"webhook\",\"endpoint\":\"shop\","
    "\"event\":{\"id\":\"e1\",\"type\":\"orders/create\"},"
    "\"request\":{\"method\":\"POST\",\"path\":\"/\",\"query\":\"\","
    "\"headers\":[[\"X-Shopify-Topic\",\"orders/create\"],"
    "[\"X-Shopify-Shop-Domain\",\"a.myshopify.com\"],"
    "[\"X-Shopify-API-Version\",\"2025-07\"],"
    "[\"X-Shopify-Webhook-Id\",\"w1\"],[\"X-Shopify-Event-Id\",\"e1\"]],"
    "\"body\":\"{\\\"id\\\":1}\"}}\n"
    "{\"seq\":2,\"at_ms\":5,\"kind\":\"webhook\",\"endpoint\":\"shop\","
    "\"event\":{\"id\":\"e2\",\"type\":\"orders/create\"},"
    "\"request\":{\"method\":\"POST\",\"path\":\"/\",\"query\":\"\","
    "\"headers\":[[\"X-Shopify-Topic\",\"orders/create\"],"
    "[\"X-Shopify-API-Version\",\"\"],"
    "[\"X-Shopify-Webhook-Id\",\"w2\"],[\"X-Shopify-Event-Id\",\"e2\"]],"
    "\"body\":\"{\\\"id\\\":2}\"}}\n";

START_TEST(a_webhook_its_provider_library_would_refuse_stops_the_run)
{
    struct t_server s;
    struct t_result r;
    char *out = t_tmpdir(), cas[600], url[200];
    cJSON *res;

    snprintf(cas, sizeof(cas), "%s/shop.ndjson", out);
    ck_assert_int_eq(
        t_write_file(cas, shopify_cassette, strlen(shopify_cassette)), 0);
    start_target(&s, "correct", "shopify", NULL);
    snprintf(url, sizeof(url), "%s/webhooks/shopify", s.url);
    ck_assert_int_eq(t_replay_asap(&r, cas, url, out, env_secret, NULL), 2);
    ck_assert_msg(strstr(r.err, "shop.ndjson:3: request.headers has no "
                                "X-Shopify-Shop-Domain"),
                  "stderr: %s", r.err);
    res = t_read_result(out);
    ck_assert_int_eq(t_json_num(res, "totals.delivered"), 1);
    ck_assert_str_eq(cJSON_GetObjectItem(res, "verdict")->valuestring,
                     "input_error");
    cJSON_Delete(res);
    t_result_free(&r);
    t_server_stop(&s);
    free(out);
}
END_TEST

START_TEST(truncated_line_keeps_a_partial_result_and_exits_2)
{
    check_broken("{\"seq\":99,\"at_ms\":1,\"kind\":\"web", 7);
}
END_TEST

START_TEST(invalid_json_line_keeps_a_partial_result_and_exits_2)
{
    check_broken("{\"seq\": 99, oops}\n", 7);
}
END_TEST

START_TEST(unknown_profile_missing_secret_and_bad_flags_exit_2)
{
    struct t_result r;
    char *out = t_tmpdir();
    char *a1[] = {HR_BIN,       "run",
                  "--cassette", STRIPE_CASSETTE,
                  "--target",   "http://127.0.0.1:9/x",
                  "--profile",  "nosuch",
                  "--out",      out,
                  NULL};
    char *a2[] = {HR_BIN,          "run",      "--cassette",
                  STRIPE_CASSETTE, "--target", "http://127.0.0.1:9/x",
                  "--out",         out,        NULL};
    char *a3[] = {HR_BIN,          "run",      "--cassette",
                  STRIPE_CASSETTE, "--target", "http://127.0.0.1:9/x",
                  "--secret",      "s",        NULL};
    char *noenv[] = {"HOOKREPLAY_SECRET", NULL};

    ck_assert_int_eq(t_run(&r, a1, env_secret, NULL, 20000), 0);
    ck_assert_int_eq(r.exit_code, 2);
    ck_assert_ptr_nonnull(strstr(r.err, "unknown profile 'nosuch'"));
    t_result_free(&r);
    unsetenv("HOOKREPLAY_SECRET");
    ck_assert_int_eq(t_run(&r, a2, noenv, NULL, 20000), 0);
    ck_assert_int_eq(r.exit_code, 2);
    ck_assert_ptr_nonnull(strstr(r.err, "HOOKREPLAY_SECRET"));
    t_result_free(&r);
    ck_assert_int_eq(t_run(&r, a3, env_secret, NULL, 20000), 0);
    ck_assert_int_eq(r.exit_code, 2);
    ck_assert_ptr_nonnull(strstr(r.err, "never taken from the command"));
    t_result_free(&r);
    free(out);
}
END_TEST

/* Webhook interactions whose type matches a prefix, by the reader. */
static int count_type_prefix(const char *path, const char *prefix)
{
    struct hr_err err;
    struct hr_cassette_reader *r = hr_cassette_open(path, &err);
    struct hr_interaction it;
    int n = 0;

    ck_assert_ptr_nonnull(r);
    hr_interaction_init(&it);
    while (hr_cassette_next(r, &it, &err) == 1)
        n += it.kind == HR_KIND_WEBHOOK && it.event.type &&
             strncmp(it.event.type, prefix, strlen(prefix)) == 0;
    hr_interaction_clear(&it);
    hr_cassette_close(r);
    return n;
}

START_TEST(send_delivers_only_the_matching_events_once)
{
    struct t_server s;
    struct t_result r;
    char *dir = t_tmpdir(), path[600], out[600], json[1024];
    int n = count_type_prefix(STRIPE_CASSETTE, "invoice.");
    cJSON *st;

    ck_assert_int_ge(n, 4);
    start_target(&s, "correct", "stripe", NULL);
    snprintf(path, sizeof(path), "%s/s.json", dir);
    snprintf(out, sizeof(out), "%s/out", dir);
    snprintf(json, sizeof(json),
             "{\"hookreplay\":\"scenario\",\"version\":1,\"cassette\":"
             "\"%s\",\"targets\":{\"stripe\":{\"url\":"
             "\"%s/webhooks/stripe\"}},\"faults\":[{\"action\":"
             "{\"drop\":{}}}]}",
             STRIPE_CASSETTE, s.url);
    ck_assert_int_eq(t_write_file(path, json, strlen(json)), 0);
    {
        char *argv[] = {HR_BIN,           "send",  path, "--match",
                        "type=invoice.*", "--out", out,  NULL};

        ck_assert_int_eq(t_run(&r, argv, env_secret, NULL, 30000), 0);
    }
    /* faults are off for send: the scenario's drop-all does not apply */
    ck_assert_msg(r.exit_code == 0, "%s %s", r.out, r.err);
    t_result_free(&r);
    st = t_target_state(&s);
    ck_assert_int_eq(t_json_num(st, "processed"), n);
    cJSON_Delete(st);
    {
        char *argv[] = {HR_BIN, "send", path, "--match", "colour=red", NULL};

        ck_assert_int_eq(t_run(&r, argv, env_secret, NULL, 30000), 0);
        ck_assert_int_eq(r.exit_code, 2);
        t_result_free(&r);
    }
    t_server_stop(&s);
    free(dir);
}
END_TEST

/*
 * The bundled cassette with every even delivery moved to a second
 * endpoint, "shop"; writes it to path and returns the count moved.
 */
static int split_cassette(const char *path)
{
    FILE *in = fopen(STRIPE_CASSETTE, "r"), *out = fopen(path, "w");
    const char *ep = "\"endpoint\":\"stripe\"";
    char *line = NULL, *at;
    size_t cap = 0;
    int n = 0, moved = 0;

    ck_assert(in && out);
    while (getline(&line, &cap, in) > 0) {
        at = strstr(line, ep);
        if (n++ == 0) {
            at = strstr(line, "\"endpoints\":{");
            ck_assert_ptr_nonnull(at);
            at += strlen("\"endpoints\":{");
            fprintf(out, "%.*s\"shop\":{\"profile\":\"stripe\"},%s",
                    (int)(at - line), line, at);
        } else if (at && n % 2 == 1) {
            fprintf(out, "%.*s\"endpoint\":\"shop\"%s", (int)(at - line), line,
                    at + strlen(ep));
            moved++;
        } else {
            fputs(line, out);
        }
    }
    free(line);
    fclose(in);
    ck_assert_int_eq(fclose(out), 0);
    return moved;
}

START_TEST(an_endpoint_without_a_target_is_skipped_and_counted)
{
    struct t_server s;
    struct t_result r;
    char *dir = t_tmpdir(), cas[600], path[600], out[600], json[1024];
    int n = count_webhooks(STRIPE_CASSETTE), moved;
    cJSON *st, *res;

    snprintf(cas, sizeof(cas), "%s/split.ndjson", dir);
    moved = split_cassette(cas);
    ck_assert_int_ge(moved, 10);
    ck_assert_int_eq(count_webhooks(cas), n);
    start_target(&s, "correct", "stripe", NULL);
    snprintf(path, sizeof(path), "%s/s.json", dir);
    snprintf(out, sizeof(out), "%s/out", dir);
    snprintf(json, sizeof(json),
             "{\"hookreplay\":\"scenario\",\"version\":1,\"cassette\":"
             "\"split.ndjson\",\"targets\":{\"stripe\":{\"url\":"
             "\"%s/webhooks/stripe\"}},\"replay\":{\"pacing\":\"asap\"}}",
             s.url);
    ck_assert_int_eq(t_write_file(path, json, strlen(json)), 0);
    {
        char *argv[] = {HR_BIN, "run", path, "--out", out, NULL};

        ck_assert_int_eq(t_run(&r, argv, env_secret, NULL, 60000), 0);
    }
    ck_assert_msg(r.exit_code == 0, "%s %s", r.out, r.err);
    ck_assert_msg(strstr(r.out, "skipped"), "%s", r.out);
    t_result_free(&r);
    res = t_read_result(out);
    ck_assert_int_eq(t_json_num(res, "totals.skipped"), moved);
    ck_assert_int_eq(t_json_num(res, "totals.delivered"), n - moved);
    ck_assert_double_eq(t_json_num(res, "totals.delivery_rate"), 1);
    st = t_target_state(&s);
    ck_assert_int_eq(t_json_num(st, "processed"), n - moved);
    cJSON_Delete(st);
    cJSON_Delete(res);
    t_server_stop(&s);
    free(dir);
}
END_TEST

START_TEST(every_command_explains_itself_with_help)
{
    const char *cmds[] = {"run",    "demo", "sign", "import", "target",
                          "report", "lint", "init", "send",   NULL};
    struct t_result r;
    int i;

    for (i = 0; cmds[i]; i++) {
        char *argv[] = {HR_BIN, (char *)cmds[i], "--help", NULL};

        ck_assert_int_eq(t_run(&r, argv, NULL, NULL, 10000), 0);
        ck_assert_int_eq(r.exit_code, 0);
        ck_assert_msg(strstr(r.out, "usage: hookreplay") != NULL,
                      "%s --help: %s", cmds[i], r.out);
        t_result_free(&r);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("run");
    TCase *tc = tcase_create("run");

    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, stripe_cassette_is_delivered_once_to_the_correct_target);
    tcase_add_test(tc, stripe_cassette_is_delivered_once_to_the_naive_target);
    tcase_add_test(tc, github_examples_are_accepted_by_the_correct_target);
    tcase_add_test(
        tc, wrong_secret_is_rejected_and_retried_on_the_profile_schedule);
    tcase_add_test(tc, slow_target_fails_the_ack_latency_threshold);
    tcase_add_test(tc, refused_target_exits_3_with_a_result_listing_the_errors);
    tcase_add_test(tc, truncated_line_keeps_a_partial_result_and_exits_2);
    tcase_add_test(tc, invalid_json_line_keeps_a_partial_result_and_exits_2);
    tcase_add_test(tc, unknown_profile_missing_secret_and_bad_flags_exit_2);
    tcase_add_test(tc, send_delivers_only_the_matching_events_once);
    tcase_add_test(tc, an_endpoint_without_a_target_is_skipped_and_counted);
    tcase_add_test(tc,
                   a_webhook_its_provider_library_would_refuse_stops_the_run);
    tcase_add_test(tc, every_command_explains_itself_with_help);
    suite_add_tcase(s, tc);
    return t_run_suite(s);
}
