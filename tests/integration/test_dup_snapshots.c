/* SPDX-License-Identifier: MIT */
/*
 * Duplicates judged by state: each copy goes out alone between two
 * probes of its object's item, against real reference targets on
 * 127.0.0.1. A naive consumer applies a copy under a new id (its item
 * changes); a correct one leaves it without effect, with or without a
 * self-report of applied events.
 */
#include "support.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STRIPE_CASSETTE HR_SRC_DIR "/fixtures/stripe-lifecycle.ndjson"
#define SECRET "HOOKREPLAY_SECRET=whsec_dGVzdC1kdXBsaWNhdGUtc25hcHM="

static char *env_secret[] = {SECRET, NULL};

#define NEW_ID_DUPS                                                            \
    "{\"match\":{\"p\":0.5},\"action\":{\"duplicate\":{\"copies\":1,"          \
    "\"new_id\":true}}}"
#define SAME_ID_DUPS                                                           \
    "{\"match\":{\"p\":0.5},\"action\":{\"duplicate\":{\"copies\":1}}}"
/* Objects keyed by id, compared on status; probe extras go after it. */
#define COLLECTIONS(truth)                                                     \
    "\"collections\":[{\"items\":\"/objects\",\"truth\":\"" truth "\","        \
    "\"fields\":{\"/status\":\"/status\"}}]"
/* Enough snapshots for every copy the cassette gets. */
#define EVERY_COPY "\"duplicate_snapshots\":100," COLLECTIONS("*")

struct outcome {
    int exit_code;
    cJSON *result;
};

/* Runs the Stripe cassette with faults against a fresh target of mode;
 * probe_extra goes into the probe after its URL; thresholds is the
 * scenario's thresholds object. */
static struct outcome run_judged(const char *mode, const char *faults,
                                 const char *probe_extra,
                                 const char *thresholds)
{
    char json[4096];
    struct t_server s;
    struct outcome o;

    t_target_start(&s, mode, "stripe", NULL, env_secret);
    snprintf(json, sizeof(json),
             "{\"hookreplay\":\"scenario\",\"version\":1,"
             "\"cassette\":\"%s\",\"seed\":11,"
             "\"targets\":{\"stripe\":{\"url\":\"%s/webhooks/stripe\"}},"
             "\"replay\":{\"pacing\":\"asap\",\"retry_time_scale\":0},"
             "\"faults\":[%s],"
             "\"probe\":{\"http\":\"%s/__state\",\"after_ms\":50,%s},"
             "\"reconcile\":{\"deadline_ms\":2000,\"interval_ms\":50,"
             "\"stable_probes\":2},\"thresholds\":%s}",
             STRIPE_CASSETTE, s.url, faults, s.url, probe_extra, thresholds);
    o.result = t_run_judged(json, env_secret, &o.exit_code);
    t_server_stop(&s);
    return o;
}

static struct outcome run_dups(const char *mode, const char *faults,
                               const char *probe_extra)
{
    return run_judged(mode, faults, probe_extra, "{}");
}

static const char *check_str(const struct outcome *o, const char *name,
                             const char *field)
{
    return cJSON_GetObjectItem(t_check(o->result, name), field)->valuestring;
}

static const char *totals_str(const struct outcome *o, const char *field)
{
    const cJSON *v =
        cJSON_GetObjectItem(cJSON_GetObjectItem(o->result, "totals"), field);

    return cJSON_IsString(v) ? v->valuestring : "";
}

/* Copies judged by state: processed true, false, or null (unmeasured). */
struct tally {
    int checked, yes, no, unmeasured;
    char reason[200]; /* the first reason given */
};

static struct tally tally_of(const struct outcome *o)
{
    struct tally t;
    const cJSON *ev;

    memset(&t, 0, sizeof(t));
    cJSON_ArrayForEach(ev, cJSON_GetObjectItem(o->result, "events"))
    {
        const cJSON *d = cJSON_GetObjectItem(ev, "duplicate_check");
        const cJSON *p = cJSON_GetObjectItem(d, "processed");
        const cJSON *why = cJSON_GetObjectItem(d, "reason");

        if (!d)
            continue;
        ck_assert_int_gt(t_json_num(ev, "copy"), 0);
        ck_assert_str_eq(cJSON_GetObjectItem(d, "evidence")->valuestring,
                         "state");
        t.checked++;
        t.yes += cJSON_IsTrue(p);
        t.no += cJSON_IsFalse(p);
        t.unmeasured += cJSON_IsNull(p);
        if (cJSON_IsString(why) && !t.reason[0])
            snprintf(t.reason, sizeof(t.reason), "%s", why->valuestring);
    }
    return t;
}

START_TEST(new_id_duplicates_are_processed_by_naive_only_by_state)
{
    struct outcome c = run_dups("correct", NEW_ID_DUPS, EVERY_COPY);
    struct outcome n = run_dups("naive", NEW_ID_DUPS, EVERY_COPY);
    struct tally tc = tally_of(&c), tn = tally_of(&n);

    ck_assert_str_eq(check_str(&c, "max_duplicates_processed", "result"),
                     "pass");
    ck_assert_str_eq(check_str(&c, "max_duplicates_processed", "evidence"),
                     "state");
    ck_assert_int_eq(c.exit_code, 0);
    ck_assert_int_gt(tc.no, 0);
    ck_assert_int_eq(tc.yes, 0);
    ck_assert_int_eq(t_json_num(c.result, "totals.duplicates_processed"), 0);
    ck_assert_int_eq(t_json_num(c.result, "totals.duplicates_covered"),
                     t_json_num(c.result, "totals.duplicates_sent"));

    ck_assert_str_eq(check_str(&n, "max_duplicates_processed", "result"),
                     "fail");
    ck_assert_str_eq(check_str(&n, "max_duplicates_processed", "evidence"),
                     "state");
    ck_assert_int_eq(n.exit_code, 1);
    ck_assert_int_gt(tn.yes, 0);
    ck_assert_int_eq(t_json_num(n.result, "totals.duplicates_processed"),
                     tn.yes);
    ck_assert_int_eq(
        t_json_num(n.result, "totals.duplicates_by_state.processed"), tn.yes);
    ck_assert_str_eq(totals_str(&n, "duplicates_evidence"), "state");
    cJSON_Delete(c.result);
    cJSON_Delete(n.result);
}
END_TEST

START_TEST(state_and_self_report_count_a_new_id_copy_once)
{
    const char *probe =
        "\"applied\":{\"counts\":\"/applied\"}," COLLECTIONS("*");
    struct outcome n = run_dups("naive", NEW_ID_DUPS, probe);
    struct tally tn = tally_of(&n);

    /* each new id is applied once: only the state shows the copies */
    ck_assert_int_gt(tn.yes, 0);
    ck_assert_int_eq(t_json_num(n.result, "totals.duplicates_processed"),
                     tn.yes);
    ck_assert_str_eq(check_str(&n, "max_duplicates_processed", "evidence"),
                     "state+self-report");
    ck_assert_str_eq(check_str(&n, "max_duplicates_processed", "result"),
                     "fail");
    cJSON_Delete(n.result);
}
END_TEST

/* An unchanged item after a same-id copy is what a naive consumer that
 * re-applies the event leaves too: neither target passes by state. */
START_TEST(same_id_copies_that_change_nothing_are_inconclusive_by_state)
{
    struct outcome c = run_dups("correct", SAME_ID_DUPS, EVERY_COPY);
    struct outcome n = run_dups("naive", SAME_ID_DUPS, EVERY_COPY);
    struct tally tc = tally_of(&c), tn = tally_of(&n);

    ck_assert_int_gt(tc.checked, 0);
    ck_assert_int_eq(tc.no, 0);
    ck_assert_int_eq(tc.unmeasured, tc.checked);
    ck_assert_msg(strstr(tc.reason, "did not change"), "%s", tc.reason);
    ck_assert_str_eq(check_str(&c, "max_duplicates_processed", "result"),
                     "not_measured");
    ck_assert_int_eq(tn.no, 0);
    ck_assert_str_ne(check_str(&n, "max_duplicates_processed", "result"),
                     "pass");
    cJSON_Delete(c.result);
    cJSON_Delete(n.result);
}
END_TEST

START_TEST(same_id_copies_pass_the_correct_target_by_self_report)
{
    const char *probe = "\"applied\":{\"counts\":\"/applied\"}," EVERY_COPY;
    struct outcome c = run_dups("correct", SAME_ID_DUPS, probe);

    ck_assert_str_eq(check_str(&c, "max_duplicates_processed", "result"),
                     "pass");
    ck_assert_str_eq(check_str(&c, "max_duplicates_processed", "evidence"),
                     "self-report");
    ck_assert_int_eq(c.exit_code, 0);
    cJSON_Delete(c.result);
}
END_TEST

START_TEST(a_copy_that_overtakes_its_original_is_not_measured)
{
    /* Reordered after the copy is made: a copy may go out first. */
    struct outcome c =
        run_dups("correct",
                 NEW_ID_DUPS ",{\"match\":{\"p\":1},"
                             "\"action\":{\"reorder\":{\"window_ms\":400}}}",
                 EVERY_COPY);
    struct tally tc = tally_of(&c);
    const cJSON *ev;
    int overtaken = 0;

    cJSON_ArrayForEach(ev, cJSON_GetObjectItem(c.result, "events"))
    {
        const cJSON *d = cJSON_GetObjectItem(ev, "duplicate_check");
        const cJSON *why = cJSON_GetObjectItem(d, "reason");

        if (cJSON_IsString(why) &&
            !strcmp(why->valuestring,
                    "the original was not delivered before the copy")) {
            ck_assert(cJSON_IsNull(cJSON_GetObjectItem(d, "processed")));
            overtaken++;
        }
    }
    ck_assert_int_eq(tc.yes, 0);
    ck_assert_int_eq(t_json_num(c.result, "totals.duplicates_processed"), 0);
    ck_assert_str_ne(check_str(&c, "max_duplicates_processed", "result"),
                     "fail");
    ck_assert_int_eq(c.exit_code, 0);
    ck_assert_int_gt(overtaken, 0);
    ck_assert_int_gt(tc.no, 0);
    cJSON_Delete(c.result);
}
END_TEST

START_TEST(a_count_over_some_copies_proves_a_failure_but_never_a_pass)
{
    const char *one = "\"duplicate_snapshots\":1," COLLECTIONS("*");
    struct outcome at = run_judged("naive", NEW_ID_DUPS, one,
                                   "{\"max_duplicates_processed\":1}");
    struct outcome over = run_judged("naive", NEW_ID_DUPS, one,
                                     "{\"max_duplicates_processed\":0}");

    /* one copy of many measured: 1 is a lower bound, not a pass */
    ck_assert_int_gt(t_json_num(at.result, "totals.duplicates_sent"), 1);
    ck_assert_int_eq(t_json_num(at.result, "totals.duplicates_processed"), 1);
    ck_assert_str_eq(check_str(&at, "max_duplicates_processed", "result"),
                     "not_measured");
    ck_assert_int_eq(at.exit_code, 1); /* asked for, and not measured */
    ck_assert_int_eq(t_json_num(at.result, "totals.duplicates_covered"), 1);
    /* ... but above the limit it proves the failure */
    ck_assert_str_eq(check_str(&over, "max_duplicates_processed", "result"),
                     "fail");
    ck_assert_int_eq(over.exit_code, 1);
    cJSON_Delete(at.result);
    cJSON_Delete(over.result);
}
END_TEST

START_TEST(retries_after_a_failed_attempt_leave_state_alone_not_measured)
{
    /* Every copy is judged by state, but a reset attempt may have been
     * applied before its retry: only a self-report can tell. */
    struct outcome c = run_dups(
        "correct",
        "{\"match\":{\"type\":\"customer.*\"},\"action\":{\"duplicate\":"
        "{\"copies\":1,\"new_id\":true}}},"
        "{\"match\":{\"type\":\"charge.*\"},\"action\":"
        "{\"connection\":\"reset\"}}",
        EVERY_COPY);

    ck_assert_int_gt(t_json_num(c.result, "totals.duplicates_sent"), 0);
    ck_assert_int_eq(t_json_num(c.result, "totals.duplicates_covered"),
                     t_json_num(c.result, "totals.duplicates_sent"));
    ck_assert_int_gt(t_json_num(c.result, "totals.redelivered"), 0);
    ck_assert_int_eq(t_json_num(c.result, "totals.duplicates_processed"), 0);
    ck_assert_str_eq(check_str(&c, "max_duplicates_processed", "result"),
                     "not_measured");
    cJSON_Delete(c.result);
}
END_TEST

START_TEST(a_self_report_the_state_lacks_leaves_the_check_not_measured)
{
    /* The snapshots alone would pass; the self-report was asked for. */
    const char *probe =
        "\"applied\":{\"counts\":\"/no_such_list\"}," EVERY_COPY;
    struct outcome c = run_judged("correct", NEW_ID_DUPS, probe,
                                  "{\"max_duplicates_processed\":0}");

    ck_assert_int_gt(tally_of(&c).no, 0);
    ck_assert_str_eq(check_str(&c, "max_duplicates_processed", "result"),
                     "not_measured");
    ck_assert(cJSON_IsNull(cJSON_GetObjectItem(
        cJSON_GetObjectItem(c.result, "totals"), "duplicates_processed")));
    ck_assert_int_eq(c.exit_code, 1);
    cJSON_Delete(c.result);
}
END_TEST

START_TEST(a_copy_with_a_fault_of_its_own_is_not_checked)
{
    /* Every delivery, copies included, goes out over HTTP/1.0 first. */
    struct outcome c =
        run_dups("correct",
                 NEW_ID_DUPS ",{\"match\":{\"p\":1},"
                             "\"action\":{\"connection\":\"http10\"}}",
                 EVERY_COPY);

    ck_assert_int_gt(t_json_num(c.result, "totals.duplicates_sent"), 0);
    ck_assert_int_eq(tally_of(&c).checked, 0);
    ck_assert_ptr_null(cJSON_GetObjectItem(
        cJSON_GetObjectItem(c.result, "totals"), "duplicates_by_state"));
    cJSON_Delete(c.result);
}
END_TEST

START_TEST(a_copy_whose_object_the_probe_cannot_find_is_not_measured)
{
    /* Only customers are mapped; invoices are nowhere in the mapping. */
    struct outcome n =
        run_dups("naive",
                 "{\"match\":{\"type\":\"invoice.*\"},\"action\":"
                 "{\"duplicate\":{\"copies\":1,\"new_id\":true}}}",
                 COLLECTIONS("customer"));
    struct tally tn = tally_of(&n);

    ck_assert_int_gt(tn.checked, 0);
    ck_assert_int_eq(tn.unmeasured, tn.checked);
    ck_assert_str_eq(tn.reason, "the object is not in the target's state");
    ck_assert_str_eq(check_str(&n, "max_duplicates_processed", "result"),
                     "not_measured");
    ck_assert(cJSON_IsNull(cJSON_GetObjectItem(
        cJSON_GetObjectItem(n.result, "totals"), "duplicates_processed")));
    cJSON_Delete(n.result);
}
END_TEST

START_TEST(only_the_first_n_copies_are_checked)
{
    struct outcome a = run_dups("naive", NEW_ID_DUPS,
                                "\"duplicate_snapshots\":2," COLLECTIONS("*"));
    struct outcome b = run_dups("naive", NEW_ID_DUPS,
                                "\"duplicate_snapshots\":0," COLLECTIONS("*"));
    struct tally ta = tally_of(&a), tb = tally_of(&b);

    ck_assert_int_gt(t_json_num(a.result, "totals.duplicates_sent"), 2);
    ck_assert_int_eq(ta.checked, 2);
    ck_assert_int_eq(t_json_num(a.result, "totals.duplicates_by_state.checked"),
                     2);
    ck_assert_int_eq(tb.checked, 0);
    ck_assert_str_eq(check_str(&b, "max_duplicates_processed", "result"),
                     "not_measured");
    cJSON_Delete(a.result);
    cJSON_Delete(b.result);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("dup_snapshots");
    TCase *tc = tcase_create("dup_snapshots");

    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, new_id_duplicates_are_processed_by_naive_only_by_state);
    tcase_add_test(tc, state_and_self_report_count_a_new_id_copy_once);
    tcase_add_test(
        tc, same_id_copies_that_change_nothing_are_inconclusive_by_state);
    tcase_add_test(tc, same_id_copies_pass_the_correct_target_by_self_report);
    tcase_add_test(tc, a_copy_that_overtakes_its_original_is_not_measured);
    tcase_add_test(tc,
                   a_count_over_some_copies_proves_a_failure_but_never_a_pass);
    tcase_add_test(tc,
                   a_self_report_the_state_lacks_leaves_the_check_not_measured);
    tcase_add_test(
        tc, retries_after_a_failed_attempt_leave_state_alone_not_measured);
    tcase_add_test(tc, a_copy_with_a_fault_of_its_own_is_not_checked);
    tcase_add_test(tc,
                   a_copy_whose_object_the_probe_cannot_find_is_not_measured);
    tcase_add_test(tc, only_the_first_n_copies_are_checked);
    suite_add_tcase(s, tc);
    return t_run_suite(s);
}
