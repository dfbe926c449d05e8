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

struct outcome {
    int exit_code;
    cJSON *result;
};

/* Runs the Stripe cassette with faults against a fresh target of mode;
 * probe_extra goes into the probe after its URL. */
static struct outcome run_dups(const char *mode, const char *faults,
                               const char *probe_extra)
{
    char *argv_t[] = {HR_BIN,      "target", "--mode", (char *)mode,
                      "--profile", "stripe", NULL};
    char *dir = t_tmpdir(), path[1024], out[512], json[4096];
    char *argv[] = {HR_BIN, "run", path, "--out", out, "--quiet", NULL};
    struct t_server s;
    struct t_result r;
    struct outcome o;

    ck_assert_int_eq(t_server_start(&s, argv_t, env_secret, 10000), 0);
    snprintf(path, sizeof(path), "%s/scenario.json", dir);
    snprintf(out, sizeof(out), "%s/out", dir);
    snprintf(json, sizeof(json),
             "{\"hookreplay\":\"scenario\",\"version\":1,"
             "\"cassette\":\"%s\",\"seed\":11,"
             "\"targets\":{\"stripe\":{\"url\":\"%s/webhooks/stripe\"}},"
             "\"replay\":{\"pacing\":\"asap\",\"retry_time_scale\":0},"
             "\"faults\":[%s],"
             "\"probe\":{\"http\":\"%s/__state\",\"after_ms\":50,%s},"
             "\"reconcile\":{\"deadline_ms\":2000,\"interval_ms\":50,"
             "\"stable_probes\":2}}",
             STRIPE_CASSETTE, s.url, faults, s.url, probe_extra);
    ck_assert_int_eq(t_write_file(path, json, strlen(json)), 0);
    ck_assert_int_eq(t_run(&r, argv, env_secret, NULL, 120000), 0);
    o.exit_code = r.exit_code;
    ck_assert_msg(r.exit_code <= 1, "run failed: %s", r.err);
    snprintf(path, sizeof(path), "%s/result.json", out);
    o.result = t_read_json(path);
    ck_assert_ptr_nonnull(o.result);
    t_result_free(&r);
    t_server_stop(&s);
    free(dir);
    return o;
}

static const cJSON *check(const struct outcome *o, const char *name)
{
    const cJSON *c;

    cJSON_ArrayForEach(c, cJSON_GetObjectItem(o->result, "checks"))
    {
        if (strcmp(cJSON_GetObjectItem(c, "name")->valuestring, name) == 0)
            return c;
    }
    ck_abort_msg("no check named %s", name);
    return NULL;
}

static const char *check_str(const struct outcome *o, const char *name,
                             const char *field)
{
    return cJSON_GetObjectItem(check(o, name), field)->valuestring;
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
    struct outcome c = run_dups("correct", NEW_ID_DUPS, COLLECTIONS("*"));
    struct outcome n = run_dups("naive", NEW_ID_DUPS, COLLECTIONS("*"));
    struct tally tc = tally_of(&c), tn = tally_of(&n);

    ck_assert_str_eq(check_str(&c, "max_duplicates_processed", "result"),
                     "pass");
    ck_assert_str_eq(check_str(&c, "max_duplicates_processed", "evidence"),
                     "state");
    ck_assert_int_eq(c.exit_code, 0);
    ck_assert_int_gt(tc.no, 0);
    ck_assert_int_eq(tc.yes, 0);
    ck_assert_int_eq(t_json_num(c.result, "totals.duplicates_processed"), 0);

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

START_TEST(same_id_duplicates_pass_the_correct_target_by_state_alone)
{
    struct outcome c = run_dups("correct", SAME_ID_DUPS, COLLECTIONS("*"));
    struct tally tc = tally_of(&c);

    ck_assert_str_eq(check_str(&c, "max_duplicates_processed", "result"),
                     "pass");
    ck_assert_str_eq(check_str(&c, "max_duplicates_processed", "evidence"),
                     "state");
    ck_assert_int_gt(tc.no, 0);
    ck_assert_int_eq(tc.yes, 0);
    ck_assert_int_eq(c.exit_code, 0);
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
    SRunner *sr;
    int failed;

    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, new_id_duplicates_are_processed_by_naive_only_by_state);
    tcase_add_test(tc, state_and_self_report_count_a_new_id_copy_once);
    tcase_add_test(tc,
                   same_id_duplicates_pass_the_correct_target_by_state_alone);
    tcase_add_test(tc,
                   a_copy_whose_object_the_probe_cannot_find_is_not_measured);
    tcase_add_test(tc, only_the_first_n_copies_are_checked);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
