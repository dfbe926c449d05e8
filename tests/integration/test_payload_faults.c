/* SPDX-License-Identifier: MIT */
/*
 * Payload faults against the reference targets: each flaw a payload
 * fault exists to expose is flagged on the target that has it and not on
 * the correct one, and acknowledging forgeries is told apart from
 * accepting them. Real targets on 127.0.0.1, real scenarios and results.
 */
#include "support.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STRIPE_CASSETTE HR_SRC_DIR "/fixtures/stripe-lifecycle.ndjson"
#define SECRET "HOOKREPLAY_SECRET=whsec_dGVzdC1zZWNyZXQtcGF5bG9hZHMtMQ=="

static char *env_secret[] = {SECRET, NULL};

struct outcome {
    int exit_code;
    cJSON *result;
    cJSON *state; /* the target's /__state after the run */
};

/* Runs the cassette with the fault rules (a JSON list body) and extra
 * top-level scenario members (",\"thresholds\":{...}" or "") against a
 * fresh target of the given mode. */
static struct outcome run_faults_with(const char *mode, const char *cassette,
                                      const char *faults, const char *extra)
{
    struct outcome o;
    struct t_server s;
    char json[4096];

    t_target_start(&s, mode, "stripe", NULL, env_secret);
    snprintf(json, sizeof(json),
             "{\"hookreplay\":\"scenario\",\"version\":1,"
             "\"cassette\":\"%s\",\"seed\":5,"
             "\"targets\":{\"stripe\":{\"url\":\"%s/webhooks/stripe\"}},"
             "\"replay\":{\"pacing\":\"asap\",\"retry_time_scale\":0},"
             "\"faults\":[%s],"
             "\"probe\":{\"http\":\"%s/__state\","
             "\"applied\":{\"counts\":\"/applied\"}}%s}",
             cassette, s.url, faults, s.url, extra);
    o.result = t_run_judged(json, env_secret, &o.exit_code);
    o.state = t_target_state(&s);
    t_server_stop(&s);
    return o;
}

static struct outcome run_faults(const char *mode, const char *cassette,
                                 const char *faults)
{
    return run_faults_with(mode, cassette, faults, "");
}

static void outcome_free(struct outcome *o)
{
    cJSON_Delete(o->result);
    cJSON_Delete(o->state);
}

/* The status of the first attempt of the event with sequence seq. */
static int first_status(const struct outcome *o, int seq)
{
    const cJSON *ev;

    cJSON_ArrayForEach(ev, cJSON_GetObjectItem(o->result, "events"))
    {
        if (t_json_num(ev, "seq") == seq)
            return (int)t_json_num(
                cJSON_GetArrayItem(cJSON_GetObjectItem(ev, "attempts"), 0),
                "status");
    }
    ck_abort_msg("no event with seq %d", seq);
    return -1;
}

/* A rule putting payload fault action (a JSON value) on seq 2 to 4. */
static void rule_for(char *buf, size_t size, const char *action)
{
    snprintf(buf, size,
             "{\"match\":{\"seq\":[2,4]},\"action\":{\"payload\":%s}}", action);
}

/*
 * Runs a payload fault against a flawed and the correct target: the
 * payload check fails on the flawed one only, and every event still gets
 * delivered to both (the fault is on the first attempt only).
 */
static void flags_flawed_only(const char *flawed, const char *cassette,
                              const char *action, int correct_status,
                              int flawed_status)
{
    char faults[256];
    struct outcome c, f;

    rule_for(faults, sizeof(faults), action);
    c = run_faults("correct", cassette, faults);
    f = run_faults(flawed, cassette, faults);
    ck_assert_str_eq(t_check_result(c.result, "max_payload_mishandled"),
                     "pass");
    ck_assert_int_eq(t_json_num(c.result, "totals.payload_mishandled"), 0);
    ck_assert_int_eq(c.exit_code, 0);
    ck_assert_str_eq(t_check_result(f.result, "max_payload_mishandled"),
                     "fail");
    ck_assert_int_eq(t_json_num(f.result, "totals.payload_mishandled"), 3);
    ck_assert_int_eq(f.exit_code, 1);
    ck_assert_int_eq(first_status(&c, 3), correct_status);
    ck_assert_int_eq(first_status(&f, 3), flawed_status);
    ck_assert_str_eq(t_check_result(c.result, "min_delivery_rate"), "pass");
    ck_assert_str_eq(t_check_result(f.result, "min_delivery_rate"), "pass");
    outcome_free(&c);
    outcome_free(&f);
}

START_TEST(malformed_json_crashes_naive_and_is_refused_by_correct)
{
    flags_flawed_only("naive", STRIPE_CASSETTE, "\"malformed\"", 400, 500);
}
END_TEST

START_TEST(unknown_event_types_crash_naive_and_are_ignored_by_correct)
{
    struct outcome c;
    char faults[256];

    flags_flawed_only("naive", STRIPE_CASSETTE, "\"unknown_type\"", 200, 500);
    /* The correct target acknowledged the three and applied none. */
    rule_for(faults, sizeof(faults), "\"unknown_type\"");
    c = run_faults("correct", STRIPE_CASSETTE, faults);
    ck_assert_int_eq(t_json_num(c.state, "ignored"), 3);
    ck_assert_int_eq(t_json_num(c.state, "processed"),
                     t_json_num(c.result, "totals.events") - 3);
    outcome_free(&c);
}
END_TEST

START_TEST(oversized_bodies_crash_naive_and_are_taken_by_correct)
{
    flags_flawed_only("naive", STRIPE_CASSETTE, "{\"oversized\":200000}", 200,
                      500);
}
END_TEST

START_TEST(gzip_bodies_crash_naive_and_are_refused_by_correct)
{
    flags_flawed_only("naive", STRIPE_CASSETTE, "\"gzip\"", 415, 500);
}
END_TEST

START_TEST(wrong_content_types_crash_naive_and_are_taken_by_correct)
{
    flags_flawed_only("naive", STRIPE_CASSETTE, "\"wrong_content_type\"", 200,
                      500);
}
END_TEST

/*
 * The Stripe cassette with every webhook body printed compactly, as a
 * provider sending compact JSON would: a consumer that re-serializes
 * before verifying gets these very bytes back and works, until a body
 * comes in other bytes. Returns the path (static).
 */
static const char *compact_cassette(void)
{
    static char path[1024];
    char line[1 << 16], *dir = t_tmpdir();
    FILE *in = fopen(STRIPE_CASSETTE, "r"), *out;

    ck_assert_ptr_nonnull(dir);
    snprintf(path, sizeof(path), "%s/compact.ndjson", dir);
    free(dir);
    out = fopen(path, "w");
    ck_assert_ptr_nonnull(in);
    ck_assert_ptr_nonnull(out);
    while (fgets(line, sizeof(line), in)) {
        cJSON *it = cJSON_Parse(line);
        cJSON *rq = cJSON_GetObjectItem(it, "request");
        cJSON *body = cJSON_GetObjectItem(rq, "body");
        cJSON *parsed = cJSON_IsString(body) && body->valuestring[0]
                            ? cJSON_Parse(body->valuestring)
                            : NULL;
        char *text;

        ck_assert_ptr_nonnull(it);
        if (parsed) {
            char *compact = cJSON_PrintUnformatted(parsed);

            cJSON_ReplaceItemInObject(rq, "body", cJSON_CreateString(compact));
            cJSON_free(compact);
        }
        text = cJSON_PrintUnformatted(it);
        fprintf(out, "%s\n", text);
        cJSON_free(text);
        cJSON_Delete(parsed);
        cJSON_Delete(it);
    }
    fclose(in);
    ck_assert_int_eq(fclose(out), 0);
    return path;
}

START_TEST(reformatted_bodies_fail_a_reserializing_verifier_only)
{
    const char *cassette = compact_cassette();
    struct outcome clean = run_faults("reserializing", cassette, "");

    /* Without the fault the flaw does not show: every event is taken. */
    ck_assert_str_eq(t_check_result(clean.result, "min_delivery_rate"), "pass");
    ck_assert_int_eq(t_json_num(clean.state, "rejected"), 0);
    outcome_free(&clean);
    flags_flawed_only("reserializing", cassette, "\"reformat\"", 200, 400);
}
END_TEST

START_TEST(acknowledged_forgeries_are_not_counted_as_accepted)
{
    const char *faults = "{\"match\":{\"p\":0.3},\"action\":{\"signature\":"
                         "\"forged\"}}";
    struct outcome a = run_faults("ack-all", STRIPE_CASSETTE, faults);
    double acked = t_json_num(a.result, "totals.forged_acknowledged");

    ck_assert_str_eq(t_check_result(a.result, "max_forged_accepted"), "pass");
    ck_assert_int_eq(a.exit_code, 0);
    ck_assert(acked > 0);
    ck_assert_int_eq(t_json_num(a.state, "discarded"), acked);
    ck_assert_int_eq(t_json_num(a.result, "totals.forged_accepted"), 0);
    /* the warning says what was seen, and where */
    ck_assert_ptr_nonnull(strstr(
        cJSON_GetObjectItem(t_check(a.result, "max_forged_accepted"), "note")
            ->valuestring,
        "acknowledged"));
    outcome_free(&a);
}
END_TEST

START_TEST(acknowledging_forgeries_fails_only_a_scenario_that_forbids_it)
{
    const char *faults = "{\"match\":{\"p\":0.3},\"action\":{\"signature\":"
                         "\"forged\"}}";
    const char *strict = ",\"thresholds\":{\"max_forged_acknowledged\":0}";
    struct outcome a =
        run_faults_with("ack-all", STRIPE_CASSETTE, faults, strict);
    struct outcome c =
        run_faults_with("correct", STRIPE_CASSETTE, faults, strict);

    ck_assert_str_eq(t_check_result(a.result, "max_forged_acknowledged"),
                     "fail");
    ck_assert_str_eq(t_check_result(a.result, "max_forged_accepted"), "pass");
    ck_assert_int_eq(a.exit_code, 1);
    ck_assert_str_eq(t_check_result(c.result, "max_forged_acknowledged"),
                     "pass");
    ck_assert_int_eq(t_json_num(c.result, "totals.forged_acknowledged"), 0);
    ck_assert(t_json_num(c.result, "totals.forged_sent") > 0);
    ck_assert_int_eq(c.exit_code, 0);
    outcome_free(&a);
    outcome_free(&c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("payload_faults");
    TCase *tc = tcase_create("payload_faults");

    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, malformed_json_crashes_naive_and_is_refused_by_correct);
    tcase_add_test(tc,
                   unknown_event_types_crash_naive_and_are_ignored_by_correct);
    tcase_add_test(tc, oversized_bodies_crash_naive_and_are_taken_by_correct);
    tcase_add_test(tc, gzip_bodies_crash_naive_and_are_refused_by_correct);
    tcase_add_test(tc,
                   wrong_content_types_crash_naive_and_are_taken_by_correct);
    tcase_add_test(tc, reformatted_bodies_fail_a_reserializing_verifier_only);
    tcase_add_test(tc, acknowledged_forgeries_are_not_counted_as_accepted);
    tcase_add_test(
        tc, acknowledging_forgeries_fails_only_a_scenario_that_forbids_it);
    suite_add_tcase(s, tc);
    return t_run_suite(s);
}
