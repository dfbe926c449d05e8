/* SPDX-License-Identifier: MIT */
/*
 * `hookreplay run` rules a first-time user meets: a cassette piped on
 * stdin, checks that cannot be measured, what counts as an answer, the
 * words for injected failures, a warning for a target never reached, and
 * a plan without a secret. Real targets on 127.0.0.1, real pipes.
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
#define SECRET "HOOKREPLAY_SECRET=whsec_dGVzdC1zZWNyZXQtcnVsZXMtMDE="

static char *env_secret[] = {SECRET, NULL};

/* Webhook lines of the bundled cassette (every line after the header). */
static int cassette_events(const char *text)
{
    int n = 0;

    for (; *text; text++)
        n += *text == '\n';
    return n - 1;
}

static void start_target(struct t_server *s)
{
    t_target_start(s, "correct", "stripe", NULL, env_secret);
}

/*
 * Writes a scenario over the Stripe cassette (or "-") aimed at url, with
 * the given replay fields, faults and thresholds; returns its path.
 */
static void write_scenario(char *path, size_t cap, const char *dir,
                           const char *cassette, const char *url,
                           const char *faults, const char *thresholds)
{
    char json[4096];

    snprintf(path, cap, "%s/scenario.json", dir);
    snprintf(json, sizeof(json),
             "{\"hookreplay\":\"scenario\",\"version\":1,"
             "\"cassette\":\"%s\",\"seed\":5,"
             "\"targets\":{\"stripe\":{\"url\":\"%s/webhooks/stripe\"}},"
             "\"replay\":{\"pacing\":\"asap\",\"retry_time_scale\":0,"
             "\"rebase_time\":true},"
             "\"faults\":[%s],\"thresholds\":{%s}}",
             cassette, url, faults ? faults : "", thresholds ? thresholds : "");
    ck_assert_int_eq(t_write_file(path, json, strlen(json)), 0);
}

/* Runs a scenario (stdin from data, may be NULL); out is its folder. */
static int run_scenario(const char *path, const char *out, const char *data,
                        struct t_result *r)
{
    char *argv[] = {HR_BIN, "run", (char *)path, "--out", (char *)out, NULL};

    ck_assert_int_eq(t_run(r, argv, env_secret, data, 120000), 0);
    return r->exit_code;
}

START_TEST(a_cassette_piped_on_stdin_is_replayed_whole)
{
    char *text = t_slurp(STRIPE_CASSETTE), *out = t_tmpdir(), url[200];
    char *argv[] = {HR_BIN,  "run", "--cassette", "-",    "--target", url,
                    "--out", out,   "--pacing",   "asap", "--quiet",  NULL};
    int n = cassette_events(text);
    struct t_server s;
    struct t_result r;
    cJSON *res;

    start_target(&s);
    snprintf(url, sizeof(url), "%s/webhooks/stripe", s.url);
    ck_assert_int_eq(t_run(&r, argv, env_secret, text, 120000), 0);
    ck_assert_msg(r.exit_code == 0, "exit %d: %s", r.exit_code, r.err);
    res = t_read_result(out);
    ck_assert_int_eq(t_json_num(res, "totals.events"), n);
    ck_assert_int_eq(t_json_num(res, "totals.delivered"), n);
    ck_assert_str_eq(cJSON_GetObjectItem(res, "cassette")->valuestring, "-");
    cJSON_Delete(res);
    t_result_free(&r);
    t_server_stop(&s);
    free(text);
    free(out);
}
END_TEST

START_TEST(a_two_line_cassette_on_stdin_is_not_called_empty)
{
    char *text = t_slurp(STRIPE_CASSETTE), *out = t_tmpdir(), url[200];
    char *argv[] = {HR_BIN,  "run", "--cassette", "-",    "--target", url,
                    "--out", out,   "--pacing",   "asap", "--quiet",  NULL};
    char *second = strchr(strchr(text, '\n') + 1, '\n');
    struct t_server s;
    struct t_result r;
    cJSON *res;

    second[1] = '\0'; /* the header and one webhook */
    start_target(&s);
    snprintf(url, sizeof(url), "%s/webhooks/stripe", s.url);
    ck_assert_int_eq(t_run(&r, argv, env_secret, text, 60000), 0);
    ck_assert_msg(r.exit_code == 0, "exit %d: %s", r.exit_code, r.err);
    res = t_read_result(out);
    ck_assert_int_eq(t_json_num(res, "totals.delivered"), 1);
    cJSON_Delete(res);
    t_result_free(&r);
    t_server_stop(&s);
    free(text);
    free(out);
}
END_TEST

/* Several passes (rebase_time, the mock API's recorded interactions). */
START_TEST(a_scenario_whose_cassette_is_stdin_reads_it_in_every_pass)
{
    char *text = t_slurp(STRIPE_CASSETTE), *dir = t_tmpdir(), path[600];
    char out[600];
    int n = cassette_events(text);
    struct t_server s;
    struct t_result r;
    cJSON *res;

    start_target(&s);
    write_scenario(path, sizeof(path), dir, "-", s.url, NULL, NULL);
    snprintf(out, sizeof(out), "%s/out", dir);
    ck_assert_msg(run_scenario(path, out, text, &r) == 0, "%s", r.err);
    res = t_read_result(out);
    ck_assert_int_eq(t_json_num(res, "totals.delivered"), n);
    cJSON_Delete(res);
    t_result_free(&r);
    t_server_stop(&s);
    free(text);
    free(dir);
}
END_TEST

START_TEST(dropping_every_event_fails_as_not_measured_not_as_a_threshold)
{
    char *dir = t_tmpdir(), path[600], out[600];
    struct t_server s;
    struct t_result r;
    cJSON *res;

    start_target(&s);
    write_scenario(path, sizeof(path), dir, STRIPE_CASSETTE, s.url,
                   "{\"action\":{\"drop\":{}}}", NULL);
    snprintf(out, sizeof(out), "%s/out", dir);
    ck_assert_int_eq(run_scenario(path, out, NULL, &r), 1);
    ck_assert_ptr_nonnull(strstr(r.out, "a check could not be measured"));
    ck_assert_ptr_null(strstr(r.out, "a threshold failed"));
    res = t_read_result(out);
    ck_assert_str_eq(t_check_result(res, "min_delivery_rate"), "not_measured");
    ck_assert_str_eq(cJSON_GetObjectItem(res, "verdict")->valuestring, "fail");
    cJSON_Delete(res);
    t_result_free(&r);
    t_server_stop(&s);
    free(dir);
}
END_TEST

START_TEST(a_default_duplicates_check_without_a_probe_does_not_fail_the_run)
{
    char *dir = t_tmpdir(), path[600], out[600];
    struct t_server s;
    struct t_result r;
    cJSON *res;

    start_target(&s);
    write_scenario(path, sizeof(path), dir, STRIPE_CASSETTE, s.url,
                   "{\"match\":{\"seq\":[2,3]},\"action\":{\"duplicate\":"
                   "{\"copies\":1}}}",
                   NULL);
    snprintf(out, sizeof(out), "%s/out", dir);
    ck_assert_msg(run_scenario(path, out, NULL, &r) == 0, "%s", r.out);
    ck_assert_ptr_nonnull(strstr(r.out, "added by default"));
    res = t_read_result(out);
    ck_assert_str_eq(t_check_result(res, "max_duplicates_processed"),
                     "not_measured");
    cJSON_Delete(res);
    t_result_free(&r);
    t_server_stop(&s);
    free(dir);
}
END_TEST

START_TEST(a_configured_probe_that_fails_fails_the_default_checks)
{
    char *dir = t_tmpdir(), path[600], out[600], json[2048];
    struct t_server s;
    struct t_result r;
    cJSON *res;

    start_target(&s);
    snprintf(path, sizeof(path), "%s/scenario.json", dir);
    /* the probe asks the target for a page it does not have */
    snprintf(json, sizeof(json),
             "{\"hookreplay\":\"scenario\",\"version\":1,"
             "\"cassette\":\"%s\",\"seed\":5,"
             "\"targets\":{\"stripe\":{\"url\":\"%s/webhooks/stripe\"}},"
             "\"replay\":{\"pacing\":\"asap\",\"retry_time_scale\":0},"
             "\"faults\":[{\"match\":{\"seq\":[2,3]},\"action\":"
             "{\"duplicate\":{\"copies\":1}}}],"
             "\"probe\":{\"http\":\"%s/no-such-state\","
             "\"applied\":{\"counts\":\"/applied\"}}}",
             STRIPE_CASSETTE, s.url, s.url);
    ck_assert_int_eq(t_write_file(path, json, strlen(json)), 0);
    snprintf(out, sizeof(out), "%s/out", dir);
    ck_assert_msg(run_scenario(path, out, NULL, &r) == 1, "%s", r.out);
    ck_assert_ptr_nonnull(strstr(r.out, "probe failed"));
    res = t_read_result(out);
    ck_assert_str_eq(t_check_result(res, "max_duplicates_processed"),
                     "not_measured");
    ck_assert_ptr_nonnull(
        cJSON_GetObjectItem(cJSON_GetObjectItem(res, "totals"), "probe_error"));
    ck_assert_str_eq(cJSON_GetObjectItem(res, "verdict")->valuestring, "fail");
    cJSON_Delete(res);
    t_result_free(&r);
    t_server_stop(&s);
    free(dir);
}
END_TEST

START_TEST(forged_acknowledged_is_measured_when_nothing_forged_was_sent)
{
    char *dir = t_tmpdir(), path[600], out[600];
    struct t_server s;
    struct t_result r;
    const cJSON *c;
    cJSON *res;

    start_target(&s);
    write_scenario(path, sizeof(path), dir, STRIPE_CASSETTE, s.url,
                   "{\"action\":{\"signature\":\"rotated\"}}",
                   "\"max_forged_acknowledged\":0");
    snprintf(out, sizeof(out), "%s/out", dir);
    ck_assert_msg(run_scenario(path, out, NULL, &r) == 0, "%s", r.out);
    res = t_read_result(out);
    c = t_check(res, "max_forged_acknowledged");
    ck_assert_ptr_nonnull(c);
    ck_assert_str_eq(cJSON_GetObjectItem(c, "result")->valuestring, "pass");
    ck_assert_int_eq(t_json_num(c, "value"), 0);
    cJSON_Delete(res);
    t_result_free(&r);
    t_server_stop(&s);
    free(dir);
}
END_TEST

/* An attempt of the given seq, number n (from 1), or NULL. */
static const cJSON *attempt_of(const cJSON *res, int seq, int n)
{
    const cJSON *ev;

    cJSON_ArrayForEach(ev, cJSON_GetObjectItem(res, "events"))
    {
        if (t_json_num(ev, "seq") == seq && t_json_num(ev, "copy") == 0)
            return cJSON_GetArrayItem(cJSON_GetObjectItem(ev, "attempts"),
                                      n - 1);
    }
    return NULL;
}

START_TEST(injected_failures_are_named_and_late_answers_are_timeouts)
{
    char *dir = t_tmpdir(), path[600], out[600], json[2048];
    struct t_server s;
    struct t_result r;
    const cJSON *a;
    cJSON *res;
    double answered, timeouts, attempts, other, s200;

    start_target(&s);
    snprintf(path, sizeof(path), "%s/scenario.json", dir);
    snprintf(json, sizeof(json),
             "{\"hookreplay\":\"scenario\",\"version\":1,"
             "\"cassette\":\"%s\",\"seed\":5,"
             "\"targets\":{\"stripe\":{\"url\":\"%s/webhooks/stripe\","
             "\"timeout_ms\":1000}},"
             "\"replay\":{\"pacing\":\"asap\",\"retry_time_scale\":0},"
             "\"faults\":[{\"match\":{\"seq\":[1,2]},\"action\":"
             "{\"timeout\":{}}},"
             "{\"match\":{\"seq\":[3,3]},\"action\":"
             "{\"connection\":\"reset\"}},"
             "{\"match\":{\"seq\":[4,4]},\"action\":"
             "{\"connection\":\"truncated\"}},"
             "{\"match\":{\"seq\":[5,5]},\"action\":"
             "{\"payload\":\"unknown_type\"}}]}",
             STRIPE_CASSETTE, s.url);
    ck_assert_int_eq(t_write_file(path, json, strlen(json)), 0);
    snprintf(out, sizeof(out), "%s/out", dir);
    ck_assert_msg(run_scenario(path, out, NULL, &r) <= 1, "%s", r.err);
    res = t_read_result(out);
    answered = t_json_num(res, "totals.answered");
    timeouts = t_json_num(res, "totals.errors.timeout");
    other = t_json_num(res, "totals.errors.other");
    attempts = t_json_num(res, "totals.attempts");
    s200 = t_json_num(res, "totals.status_counts.200");
    ck_assert(timeouts >= 2);
    ck_assert_int_eq(answered + timeouts + other +
                         t_json_num(res, "totals.errors.connect"),
                     attempts);
    ck_assert_int_eq(s200, answered);
    a = attempt_of(res, 1, 1);
    ck_assert_ptr_nonnull(a);
    ck_assert(cJSON_IsNumber(cJSON_GetObjectItem(a, "late_status")));
    a = attempt_of(res, 3, 1);
    ck_assert_ptr_nonnull(a);
    ck_assert_msg(strstr(cJSON_GetObjectItem(a, "detail")->valuestring,
                         "connection reset mid-body") != NULL,
                  "%s", cJSON_GetObjectItem(a, "detail")->valuestring);
    a = attempt_of(res, 4, 1);
    ck_assert_ptr_nonnull(a);
    ck_assert_msg(strstr(cJSON_GetObjectItem(a, "detail")->valuestring,
                         "body cut off after") != NULL,
                  "%s", cJSON_GetObjectItem(a, "detail")->valuestring);
    a = attempt_of(res, 5, 1);
    ck_assert_ptr_nonnull(a);
    ck_assert_str_eq(cJSON_GetObjectItem(a, "payload")->valuestring,
                     "unknown_type");
    cJSON_Delete(res);
    t_result_free(&r);
    t_server_stop(&s);
    free(dir);
}
END_TEST

/* A port nothing listens on: bound, then closed. */
START_TEST(a_target_never_reached_is_warned_about_once_even_when_quiet)
{
    char url[100], *out = t_tmpdir();
    char *argv[] = {HR_BIN,
                    "run",
                    "--cassette",
                    STRIPE_CASSETTE,
                    "--target",
                    url,
                    "--out",
                    out,
                    "--pacing",
                    "asap",
                    "--retry-time-scale",
                    "0",
                    "--quiet",
                    NULL};
    struct t_result r;
    const char *w;

    snprintf(url, sizeof(url), "http://127.0.0.1:%d/hooks", t_unused_port());
    ck_assert_int_eq(t_run(&r, argv, env_secret, NULL, 120000), 0);
    ck_assert_int_eq(r.exit_code, 3);
    w = strstr(r.err, "warning: 10 attempts and no connection to ");
    ck_assert_msg(w != NULL, "stderr: %s", r.err);
    ck_assert_ptr_nonnull(strstr(w, url));
    ck_assert_ptr_null(strstr(w + 1, "warning: 10 attempts"));
    t_result_free(&r);
    free(out);
}
END_TEST

/* A listener whose accept queue is full and never drained: further
 * connects get no answer to their SYN. Returns its port; fds get the
 * listener and the clients that fill the queue. */
static int full_listener(int fds[4])
{
    struct sockaddr_in a = {0};
    socklen_t len = sizeof(a);
    int i;

    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    fds[0] = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_eq(bind(fds[0], (struct sockaddr *)&a, sizeof(a)), 0);
    ck_assert_int_eq(listen(fds[0], 0), 0);
    ck_assert_int_eq(getsockname(fds[0], (struct sockaddr *)&a, &len), 0);
    for (i = 1; i < 4; i++) {
        fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        connect(fds[i], (struct sockaddr *)&a, sizeof(a));
    }
    {
        /* the first client holds the one place in the queue: wait until
         * its connection is made, however slowly */
        struct pollfd p = {fds[1], POLLOUT, 0};

        ck_assert_int_eq(poll(&p, 1, 30000), 1);
        ck_assert(!(p.revents & (POLLERR | POLLHUP)));
    }
    return ntohs(a.sin_port);
}

START_TEST(a_target_that_never_accepts_counts_as_not_connected)
{
    char *dir = t_tmpdir(), path[600], out[600], json[2048];
    struct t_result r;
    int fds[4], port = full_listener(fds), i;
    cJSON *res;

    snprintf(path, sizeof(path), "%s/scenario.json", dir);
    snprintf(out, sizeof(out), "%s/out", dir);
    snprintf(json, sizeof(json),
             "{\"hookreplay\":\"scenario\",\"version\":1,"
             "\"cassette\":\"%s\",\"seed\":5,"
             "\"targets\":{\"stripe\":{\"url\":"
             "\"http://127.0.0.1:%d/hooks\",\"timeout_ms\":300}},"
             "\"replay\":{\"pacing\":\"asap\",\"retries\":false,"
             "\"max_in_flight\":16}}",
             STRIPE_CASSETTE, port);
    ck_assert_int_eq(t_write_file(path, json, strlen(json)), 0);
    ck_assert_int_eq(run_scenario(path, out, NULL, &r), 3);
    ck_assert_msg(strstr(r.err, "warning: 10 attempts and no connection"),
                  "stderr: %s", r.err);
    res = t_read_result(out);
    ck_assert_int_eq(t_json_num(res, "totals.errors.connect"),
                     t_json_num(res, "totals.attempts"));
    cJSON_Delete(res);
    t_result_free(&r);
    for (i = 0; i < 4; i++)
        close(fds[i]);
    free(dir);
}
END_TEST

START_TEST(a_plan_needs_no_signing_secret)
{
    char *dir = t_tmpdir(), path[600];
    char *flags[] = {HR_BIN,          "run",      "--cassette",
                     STRIPE_CASSETTE, "--target", "http://127.0.0.1:9/x",
                     "--plan-only",   NULL};
    char *scen[] = {HR_BIN, "run", path, "--plan-only", NULL};
    char *bare[] = {"HOOKREPLAY_SECRET", NULL}; /* unset (glibc putenv) */
    struct t_result r;

    ck_assert_int_eq(t_run(&r, flags, bare, NULL, 60000), 0);
    ck_assert_msg(r.exit_code == 0, "%s", r.err);
    ck_assert_ptr_nonnull(strstr(r.out, "\"action\":\"deliver\""));
    t_result_free(&r);
    write_scenario(path, sizeof(path), dir, STRIPE_CASSETTE,
                   "http://127.0.0.1:9", NULL, NULL);
    ck_assert_int_eq(t_run(&r, scen, bare, NULL, 60000), 0);
    ck_assert_msg(r.exit_code == 0, "%s", r.err);
    ck_assert_ptr_nonnull(strstr(r.out, "\"action\":\"deliver\""));
    t_result_free(&r);
    free(dir);
}
END_TEST

/*
 * Runs cassette (text, endpoint "e" or "stripe") against a reference
 * target of profile with one collection whose truth kind is kind;
 * returns the result, the exit code in *code.
 */
static cJSON *run_collection(const char *profile, const char *cassette,
                             const char *endpoint, const char *kind, int *code)
{
    char *dir = t_tmpdir(), path[600], out[600], cas[600], json[2048];
    struct t_server s;
    struct t_result r;
    cJSON *res;

    t_target_start(&s, "correct", profile, NULL, env_secret);
    snprintf(cas, sizeof(cas), "%s/c.ndjson", dir);
    ck_assert_int_eq(t_write_file(cas, cassette, strlen(cassette)), 0);
    snprintf(path, sizeof(path), "%s/scenario.json", dir);
    snprintf(json, sizeof(json),
             "{\"hookreplay\":\"scenario\",\"version\":1,"
             "\"cassette\":\"%s\",\"seed\":5,"
             "\"targets\":{\"%s\":{\"url\":\"%s/\"}},"
             "\"replay\":{\"pacing\":\"asap\",\"handshake\":false},"
             "\"probe\":{\"http\":\"%s/__state\",\"collections\":"
             "[{\"items\":\"/objects\",\"truth\":\"%s\","
             "\"fields\":{\"/status\":\"/status\"}}]},"
             "\"reconcile\":{\"deadline_ms\":2000,\"interval_ms\":50}}",
             cas, endpoint, s.url, s.url, kind);
    ck_assert_int_eq(t_write_file(path, json, strlen(json)), 0);
    snprintf(out, sizeof(out), "%s/out", dir);
    *code = run_scenario(path, out, NULL, &r);
    res = t_read_result(out);
    t_result_free(&r);
    t_server_stop(&s);
    free(dir);
    return res;
}

/* Consistency over collections that match no object of the truth (a
 * kind misspelled, or GitHub's profile, which keeps no truth) judged
 * nothing: never a pass. */
START_TEST(consistency_over_no_truth_object_is_not_measured)
{
    char *stripe = t_slurp(STRIPE_CASSETTE);
    const cJSON *c;
    cJSON *res;
    int code;

    res = run_collection("github", t_github_one_delivery, "e", "issue", &code);
    ck_assert_int_eq(code, 1);
    ck_assert_str_eq(t_check_result(res, "require_consistent"), "not_measured");
    c = t_check(res, "require_consistent");
    ck_assert_ptr_nonnull(strstr(cJSON_GetObjectItem(c, "note")->valuestring,
                                 "no object of the truth"));
    cJSON_Delete(res);

    res = run_collection("stripe", stripe, "stripe", "customr", &code);
    ck_assert_int_eq(code, 1);
    ck_assert_str_eq(t_check_result(res, "require_consistent"), "not_measured");
    cJSON_Delete(res);
    /* the same run with the kind spelled right is judged, and passes */
    res = run_collection("stripe", stripe, "stripe", "customer", &code);
    ck_assert_int_eq(code, 0);
    ck_assert_str_eq(t_check_result(res, "require_consistent"), "pass");
    cJSON_Delete(res);
    free(stripe);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("run_rules");
    TCase *tc = tcase_create("run_rules");

    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, a_cassette_piped_on_stdin_is_replayed_whole);
    tcase_add_test(tc, a_two_line_cassette_on_stdin_is_not_called_empty);
    tcase_add_test(tc,
                   a_scenario_whose_cassette_is_stdin_reads_it_in_every_pass);
    tcase_add_test(
        tc, dropping_every_event_fails_as_not_measured_not_as_a_threshold);
    tcase_add_test(
        tc, a_default_duplicates_check_without_a_probe_does_not_fail_the_run);
    tcase_add_test(tc, a_configured_probe_that_fails_fails_the_default_checks);
    tcase_add_test(
        tc, forged_acknowledged_is_measured_when_nothing_forged_was_sent);
    tcase_add_test(tc,
                   injected_failures_are_named_and_late_answers_are_timeouts);
    tcase_add_test(tc,
                   a_target_never_reached_is_warned_about_once_even_when_quiet);
    tcase_add_test(tc, a_target_that_never_accepts_counts_as_not_connected);
    tcase_add_test(tc, a_plan_needs_no_signing_secret);
    tcase_add_test(tc, consistency_over_no_truth_object_is_not_measured);
    suite_add_tcase(s, tc);
    return t_run_suite(s);
}
