/* SPDX-License-Identifier: MIT */
/*
 * Two runs against one reference target on 127.0.0.1, not reset in
 * between: the second run judges only what the target applies during
 * it, against a probe taken before its first delivery.
 */
#include "support.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STRIPE_CASSETTE HR_SRC_DIR "/fixtures/stripe-lifecycle.ndjson"
#define SECRET "HOOKREPLAY_SECRET=whsec_YmFzZWxpbmUtdGVzdC1zZWNyZXQ="

static char *env_secret[] = {SECRET, NULL};

#define FAULTS                                                                 \
    "[{\"match\":{\"p\":0.3},\"action\":{\"duplicate\":{\"copies\":2}}},"      \
    "{\"match\":{\"p\":0.1},\"action\":{\"signature\":\"forged\"}}]"
/* Objects keyed by id, compared on status. */
#define COLLECTIONS                                                            \
    "\"collections\":[{\"items\":\"/objects\",\"truth\":\"*\","                \
    "\"fields\":{\"/status\":\"/status\"}}],"

struct run {
    cJSON *totals; /* result.json's totals */
    cJSON *recon;  /* ... and reconciliation (NULL without collections) */
    char *err;     /* the run's stderr */
};

/* Runs the Stripe cassette with FAULTS against the target at url, with
 * a self-report probe (and collections when asked). */
static struct run run_once(const char *url, int collections)
{
    char *out, json[4096];
    struct t_result r;
    struct run o;
    cJSON *res;

    snprintf(json, sizeof(json),
             "{\"hookreplay\":\"scenario\",\"version\":1,"
             "\"cassette\":\"%s\",\"seed\":5,"
             "\"targets\":{\"stripe\":{\"url\":\"%s/webhooks/stripe\"}},"
             "\"replay\":{\"pacing\":\"asap\",\"retry_time_scale\":0},"
             "\"faults\":" FAULTS ","
             "\"probe\":{\"http\":\"%s/__state\",\"after_ms\":50,%s"
             "\"duplicate_snapshots\":0,"
             "\"applied\":{\"counts\":\"/applied\"}},"
             "\"reconcile\":{\"deadline_ms\":3000,\"interval_ms\":50,"
             "\"stable_probes\":2}}",
             STRIPE_CASSETTE, url, url, collections ? COLLECTIONS : "");
    out = t_run_scenario(&r, json, env_secret, 120000);
    ck_assert_msg(r.exit_code <= 1, "run failed: %s", r.err);
    res = t_read_result(out);
    o.totals = cJSON_DetachItemFromObject(res, "totals");
    ck_assert_ptr_nonnull(o.totals);
    o.recon = cJSON_DetachItemFromObject(res, "reconciliation");
    o.err = r.err;
    r.err = NULL;
    cJSON_Delete(res);
    t_result_free(&r);
    free(out);
    return o;
}

static void run_free(struct run *o)
{
    cJSON_Delete(o->totals);
    cJSON_Delete(o->recon);
    free(o->err);
}

static struct t_server start_target(const char *mode)
{
    struct t_server s;

    t_target_start(&s, mode, "stripe", NULL, env_secret);
    return s;
}

START_TEST(a_second_run_against_a_naive_target_counts_the_same_duplicates)
{
    struct t_server s = start_target("naive");
    struct run a = run_once(s.url, 0), b = run_once(s.url, 0);

    ck_assert_double_gt(t_json_num(a.totals, "duplicates_processed"), 0);
    ck_assert_double_eq(t_json_num(b.totals, "duplicates_processed"),
                        t_json_num(a.totals, "duplicates_processed"));
    ck_assert_double_eq(t_json_num(b.totals, "duplicates_sent"),
                        t_json_num(a.totals, "duplicates_sent"));
    ck_assert_double_gt(t_json_num(a.totals, "forged_accepted"), 0);
    ck_assert_double_eq(t_json_num(b.totals, "forged_accepted"),
                        t_json_num(a.totals, "forged_accepted"));
    /* Only the second run finds the first one's events. */
    ck_assert_ptr_null(strstr(a.err, "not reset"));
    ck_assert_ptr_nonnull(strstr(b.err, "not reset"));
    ck_assert_ptr_nonnull(strstr(b.err, "hooks.reset"));
    run_free(&a);
    run_free(&b);
    t_server_stop(&s);
}
END_TEST

START_TEST(a_second_run_against_a_correct_target_finds_nothing_lost_or_doubled)
{
    struct t_server s = start_target("correct");
    struct run a = run_once(s.url, 1), b = run_once(s.url, 1);

    ck_assert_double_eq(t_json_num(a.totals, "duplicates_processed"), 0);
    ck_assert_double_eq(t_json_num(b.totals, "duplicates_processed"), 0);
    ck_assert_double_eq(t_json_num(b.totals, "forged_accepted"), 0);
    ck_assert_double_eq(t_json_num(a.recon, "lost_events"), 0);
    /* Events applied by the first run are not lost in the second, and
     * none was applied twice since the baseline. */
    ck_assert_double_eq(t_json_num(b.recon, "lost_events"), 0);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(
                         b.recon, "applied_more_than_once")),
                     0);
    ck_assert_ptr_nonnull(strstr(b.err, "not reset"));
    run_free(&a);
    run_free(&b);
    t_server_stop(&s);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("baseline");
    TCase *tc = tcase_create("reruns");

    tcase_set_timeout(tc, 280);
    tcase_add_test(
        tc, a_second_run_against_a_naive_target_counts_the_same_duplicates);
    tcase_add_test(
        tc,
        a_second_run_against_a_correct_target_finds_nothing_lost_or_doubled);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return t_run_suite(suite());
}
