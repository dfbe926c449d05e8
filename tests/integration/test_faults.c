/* SPDX-License-Identifier: MIT */
/*
 * Every webhook fault against the reference targets: the flaw a fault
 * exists to expose is flagged on the naive consumer and not on the
 * correct one. Real targets on 127.0.0.1, real scenarios, real results.
 */
#include "support.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define STRIPE_CASSETTE HR_SRC_DIR "/fixtures/stripe-lifecycle.ndjson"
#define SECRET "HOOKREPLAY_SECRET=whsec_dGVzdC1zZWNyZXQtZmF1bHRzLTE="

static char *env_secret[] = {SECRET, NULL};

struct outcome {
    int exit_code;
    cJSON *result;
    cJSON *state; /* the target's /__state after the run */
};

/* Runs the Stripe cassette with the given fault rules (a JSON list body)
 * and extra scenario fields against a fresh target of the given mode. */
static struct outcome run_faults_replay(const char *mode, const char *faults,
                                        const char *extra_target,
                                        const char *replay);

static struct outcome run_faults(const char *mode, const char *faults,
                                 const char *extra_target)
{
    return run_faults_replay(mode, faults, extra_target,
                             "\"pacing\":\"asap\",\"retry_time_scale\":0");
}

static struct outcome run_faults_replay(const char *mode, const char *faults,
                                        const char *extra_target,
                                        const char *replay)
{
    struct outcome o;
    struct t_server s;
    char json[4096];

    t_target_start(&s, mode, "stripe", NULL, env_secret);
    snprintf(json, sizeof(json),
             "{\"hookreplay\":\"scenario\",\"version\":1,"
             "\"cassette\":\"%s\",\"seed\":11,"
             "\"targets\":{\"stripe\":{\"url\":\"%s/webhooks/stripe\"%s}},"
             "\"replay\":{%s},"
             "\"faults\":[%s],"
             "\"probe\":{\"http\":\"%s/__state\","
             "\"applied\":{\"counts\":\"/applied\"}}}",
             STRIPE_CASSETTE, s.url, extra_target ? extra_target : "", replay,
             faults, s.url);
    o.result = t_run_judged(json, env_secret, &o.exit_code);
    o.state = t_target_state(&s);
    t_server_stop(&s);
    return o;
}

static void outcome_free(struct outcome *o)
{
    cJSON_Delete(o->result);
    cJSON_Delete(o->state);
}

/* Runs a fault against both targets; the check must fail on naive only. */
static void flags_naive_only(const char *faults, const char *check_name)
{
    struct outcome c = run_faults("correct", faults, NULL);
    struct outcome n = run_faults("naive", faults, NULL);

    ck_assert_str_eq(t_check_result(c.result, check_name), "pass");
    ck_assert_int_eq(c.exit_code, 0);
    ck_assert_str_eq(t_check_result(n.result, check_name), "fail");
    ck_assert_int_eq(n.exit_code, 1);
    ck_assert_str_eq(t_check_result(c.result, "min_delivery_rate"), "pass");
    outcome_free(&c);
    outcome_free(&n);
}

START_TEST(duplicates_are_processed_twice_by_naive_only)
{
    flags_naive_only("{\"match\":{\"p\":0.4},\"action\":{\"duplicate\":"
                     "{\"copies\":2,\"spacing_ms\":3}}}",
                     "max_duplicates_processed");
}
END_TEST

START_TEST(forged_signatures_are_accepted_by_naive_only)
{
    flags_naive_only("{\"match\":{\"p\":0.3},\"action\":{\"signature\":"
                     "\"forged\"}}",
                     "max_forged_accepted");
}
END_TEST

START_TEST(stale_timestamps_are_accepted_by_naive_only)
{
    flags_naive_only("{\"match\":{\"p\":0.3},\"action\":{\"signature\":"
                     "\"stale\"}}",
                     "max_forged_accepted");
}
END_TEST

START_TEST(tampered_bodies_are_accepted_by_naive_only)
{
    flags_naive_only("{\"match\":{\"p\":0.3},\"action\":{\"signature\":"
                     "\"tampered\"}}",
                     "max_forged_accepted");
}
END_TEST

START_TEST(missing_signatures_are_accepted_by_naive_only)
{
    flags_naive_only("{\"match\":{\"type\":\"invoice.*\"},\"action\":"
                     "{\"signature\":\"missing\"}}",
                     "max_forged_accepted");
}
END_TEST

START_TEST(wrong_scheme_signatures_are_accepted_by_naive_only)
{
    flags_naive_only("{\"match\":{\"type\":\"customer.*\"},\"action\":"
                     "{\"signature\":\"wrong_scheme\"}}",
                     "max_forged_accepted");
}
END_TEST

START_TEST(injected_timeouts_make_naive_process_the_retry_again)
{
    /* The provider gives up at 300 ms although the target said 200, and
     * retries: only a consumer that deduplicates applies it once. */
    const char *faults = "{\"match\":{\"type\":\"charge.*\"},\"action\":"
                         "{\"timeout\":{}}}";
    struct outcome c = run_faults("correct", faults, ",\"timeout_ms\":300");
    struct outcome n = run_faults("naive", faults, ",\"timeout_ms\":300");

    ck_assert_str_eq(t_check_result(c.result, "max_duplicates_processed"),
                     "pass");
    ck_assert_str_eq(t_check_result(n.result, "max_duplicates_processed"),
                     "fail");
    ck_assert(t_json_num(c.result, "totals.injected_failures") >= 4);
    ck_assert_int_eq(t_json_num(c.result, "totals.delivery_rate"), 1);
    outcome_free(&c);
    outcome_free(&n);
}
END_TEST

/* The note on check name in result, or "". */
static const char *note_of(const cJSON *result, const char *name)
{
    const cJSON *n = cJSON_GetObjectItem(t_check(result, name), "note");

    return cJSON_IsString(n) ? n->valuestring : "";
}

START_TEST(a_consumer_refusing_redeliveries_is_warned_and_loses_acks)
{
    /* A unique key on the event id with its error uncaught: copies get
     * 500, which is not applying them twice but makes the provider
     * retry them; and an event whose 200 was lost is never taken. */
    const char *dups = "{\"match\":{\"p\":0.4},\"action\":{\"duplicate\":"
                       "{\"copies\":1,\"spacing_ms\":3}}}";
    const char *lost_ack = "{\"match\":{\"type\":\"charge.*\"},\"action\":"
                           "{\"timeout\":{}}}";
    struct outcome u = run_faults("unique", dups, NULL);
    struct outcome c = run_faults("correct", dups, NULL);

    ck_assert_str_eq(t_check_result(u.result, "max_duplicates_processed"),
                     "pass");
    ck_assert(t_json_num(u.result, "totals.duplicates_sent") >= 2);
    ck_assert_int_eq(t_json_num(u.result, "totals.duplicates_delivered"), 0);
    ck_assert_msg(strstr(note_of(u.result, "max_duplicates_processed"),
                         "answered with errors, never 2xx"),
                  "%s", note_of(u.result, "max_duplicates_processed"));
    ck_assert_str_eq(t_check_result(c.result, "max_duplicates_processed"),
                     "pass");
    ck_assert_str_eq(note_of(c.result, "max_duplicates_processed"), "");
    outcome_free(&u);
    outcome_free(&c);
    u = run_faults("unique", lost_ack, ",\"timeout_ms\":300");
    c = run_faults("correct", lost_ack, ",\"timeout_ms\":300");
    ck_assert_str_eq(t_check_result(u.result, "min_delivery_rate"), "fail");
    ck_assert_int_eq(u.exit_code, 1);
    ck_assert_str_eq(t_check_result(c.result, "min_delivery_rate"), "pass");
    outcome_free(&u);
    outcome_free(&c);
}
END_TEST

START_TEST(truncated_bodies_are_applied_by_naive_then_again_on_retry)
{
    /* The naive consumer reads to the end of the connection and acts on
     * what arrived; the provider then retries the failed attempt. */
    flags_naive_only("{\"match\":{\"seq\":[2,4]},\"action\":"
                     "{\"connection\":\"truncated\"}}",
                     "max_duplicates_processed");
}
END_TEST

START_TEST(rotated_signatures_are_accepted_by_the_correct_target)
{
    struct outcome c =
        run_faults("correct", "{\"action\":{\"signature\":\"rotated\"}}", NULL);

    ck_assert_str_eq(t_check_result(c.result, "min_delivery_rate"), "pass");
    ck_assert_int_eq(t_json_num(c.result, "totals.attempts"),
                     t_json_num(c.result, "totals.events"));
    ck_assert_int_eq(t_json_num(c.state, "rejected"), 0);
    outcome_free(&c);
}
END_TEST

START_TEST(dropped_events_are_never_sent_and_not_counted_as_failed)
{
    struct outcome c = run_faults(
        "correct", "{\"match\":{\"seq\":[3,7]},\"action\":{\"drop\":{}}}",
        NULL);

    ck_assert_int_eq(t_json_num(c.result, "totals.dropped"), 5);
    ck_assert_int_eq(t_json_num(c.state, "received"),
                     t_json_num(c.result, "totals.events") - 5);
    ck_assert_str_eq(t_check_result(c.result, "min_delivery_rate"), "pass");
    outcome_free(&c);
}
END_TEST

START_TEST(scripted_attempts_follow_the_script_then_deliver)
{
    struct outcome c = run_faults(
        "correct",
        "{\"match\":{\"seq\":[1,1]},\"action\":{\"script\":"
        "[\"refused\",\"reset\",\"truncated\",\"http10\",\"deliver\"]}}",
        NULL);
    const cJSON *ev, *first = NULL;
    const char *steps[] = {"refused", "reset", "truncated", "http10",
                           "deliver"};
    int i = 0;

    cJSON_ArrayForEach(ev, cJSON_GetObjectItem(c.result, "events"))
    {
        if (t_json_num(ev, "seq") == 1)
            first = ev;
    }
    ck_assert_ptr_nonnull(first);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(first, "attempts")),
                     4);
    cJSON_ArrayForEach(ev, cJSON_GetObjectItem(first, "attempts"))
    {
        ck_assert_str_eq(cJSON_GetObjectItem(ev, "step")->valuestring,
                         steps[i++]);
    }
    /* http10 delivered: Connection: close over HTTP/1.0 still works. */
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(first, "delivered")));
    ck_assert_int_eq(t_json_num(c.state, "processed"),
                     t_json_num(c.result, "totals.events"));
    outcome_free(&c);
}
END_TEST

START_TEST(slow_bodies_are_dribbled_and_still_delivered)
{
    struct outcome c = run_faults(
        "correct",
        "{\"match\":{\"seq\":[2,3]},\"action\":{\"connection\":\"slow\"}}",
        NULL);
    const cJSON *ev;

    cJSON_ArrayForEach(ev, cJSON_GetObjectItem(c.result, "events"))
    {
        const cJSON *a =
            cJSON_GetArrayItem(cJSON_GetObjectItem(ev, "attempts"), 0);

        if (t_json_num(ev, "seq") == 2) {
            ck_assert_str_eq(cJSON_GetObjectItem(a, "step")->valuestring,
                             "slow");
            /* 20 chunks, 100 ms apart; the ack counts from the last */
            ck_assert(t_json_num(a, "body_end_ms") - t_json_num(a, "sent_ms") >=
                      1500);
            ck_assert(t_json_num(a, "answered_ms") - t_json_num(a, "sent_ms") >=
                      1500);
        }
    }
    ck_assert_str_eq(t_check_result(c.result, "min_delivery_rate"), "pass");
    outcome_free(&c);
}
END_TEST

START_TEST(rebase_time_moves_event_times_to_the_run_start_keeping_gaps)
{
    double before = (double)time(NULL);
    struct outcome c = run_faults_replay(
        "correct", "", NULL, "\"pacing\":\"asap\",\"rebase_time\":true");
    const cJSON *objs = cJSON_GetObjectItem(c.state, "objects");
    double cus =
        t_json_num(cJSON_GetObjectItem(objs, "cus_6lsBvm5rJ0zyHc"), "created");
    double sub = t_json_num(
        cJSON_GetObjectItem(objs, "sub_fakefakefakefakefake0001"), "created");
    double after = (double)time(NULL);

    /* The last event (the subscription's deletion) lands at the start of
     * the run, which lies between the clock reads on either side of it;
     * the customer's last update keeps its recorded distance. */
    ck_assert_msg(sub >= before && sub <= after, "%.0f not in [%.0f, %.0f]",
                  sub, before, after);
    ck_assert_int_eq((long)(sub - cus), 1604221500L - 1602669800L);
    ck_assert_int_eq(t_check_result(c.result, "min_delivery_rate")[0], 'p');
    outcome_free(&c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("faults");
    TCase *tc = tcase_create("faults");

    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, duplicates_are_processed_twice_by_naive_only);
    tcase_add_test(tc, forged_signatures_are_accepted_by_naive_only);
    tcase_add_test(tc, stale_timestamps_are_accepted_by_naive_only);
    tcase_add_test(tc, tampered_bodies_are_accepted_by_naive_only);
    tcase_add_test(tc, missing_signatures_are_accepted_by_naive_only);
    tcase_add_test(tc, wrong_scheme_signatures_are_accepted_by_naive_only);
    tcase_add_test(tc, injected_timeouts_make_naive_process_the_retry_again);
    tcase_add_test(tc,
                   a_consumer_refusing_redeliveries_is_warned_and_loses_acks);
    tcase_add_test(tc,
                   truncated_bodies_are_applied_by_naive_then_again_on_retry);
    tcase_add_test(tc, rotated_signatures_are_accepted_by_the_correct_target);
    tcase_add_test(tc, dropped_events_are_never_sent_and_not_counted_as_failed);
    tcase_add_test(tc, scripted_attempts_follow_the_script_then_deliver);
    tcase_add_test(tc, slow_bodies_are_dribbled_and_still_delivered);
    tcase_add_test(tc,
                   rebase_time_moves_event_times_to_the_run_start_keeping_gaps);
    suite_add_tcase(s, tc);
    return t_run_suite(s);
}
