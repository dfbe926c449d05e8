/* SPDX-License-Identifier: MIT */
/*
 * The probe against a baseline: a self-report reduced to what the
 * target applied since, and canaries judged against what was there.
 */
#include "probe.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

static cJSON *json(const char *text)
{
    cJSON *j = cJSON_Parse(text);

    ck_assert_ptr_nonnull(j);
    return j;
}

/* A probe whose self-report is at /applied, as "counts" or "ids". */
static struct hr_probe_cfg *probe_of(const char *kind)
{
    struct hr_probe_cfg *p = NULL;
    struct hr_err err = {0, ""};
    char text[200];
    cJSON *o;

    snprintf(text, sizeof(text),
             "{\"http\":\"http://127.0.0.1:1/s\","
             "\"applied\":{\"%s\":\"/applied\"}}",
             kind);
    o = json(text);
    ck_assert_int_eq(hr_probe_parse(o, "t", ".", &p, &err), 0);
    cJSON_Delete(o);
    return p;
}

/* Prints since(base, state) compactly; the caller frees. */
static char *since_text(const char *kind, const char *base, const char *state,
                        int keep_seen)
{
    struct hr_probe_cfg *p = probe_of(kind);
    cJSON *b = base ? json(base) : NULL, *s = json(state);
    cJSON *out = hr_probe_since(p, b, s, keep_seen);
    char *text;

    ck_assert_ptr_nonnull(out);
    text = cJSON_PrintUnformatted(out);
    cJSON_Delete(out);
    cJSON_Delete(b);
    cJSON_Delete(s);
    hr_probe_free(p);
    return text;
}

static void assert_since(const char *kind, const char *base, const char *state,
                         int keep_seen, const char *want)
{
    char *got = since_text(kind, base, state, keep_seen);

    ck_assert_str_eq(got, want);
    free(got);
}

START_TEST(counts_since_a_baseline_lose_the_baselines_count_per_id)
{
    assert_since("counts", "{\"applied\":{\"a\":2,\"b\":1},\"x\":1}",
                 "{\"applied\":{\"a\":5,\"b\":1,\"c\":2},\"x\":2}", 0,
                 "{\"applied\":{\"a\":3,\"c\":2},\"x\":2}");
}
END_TEST

START_TEST(counts_since_a_baseline_keep_events_seen_before_once_when_asked)
{
    assert_since("counts", "{\"applied\":{\"a\":2,\"b\":1}}",
                 "{\"applied\":{\"a\":5,\"b\":1,\"c\":2}}", 1,
                 "{\"applied\":{\"a\":3,\"b\":1,\"c\":2}}");
}
END_TEST

START_TEST(ids_since_a_baseline_lose_the_earliest_occurrences)
{
    assert_since("ids", "{\"applied\":[\"a\",\"b\",\"a\"]}",
                 "{\"applied\":[\"a\",\"b\",\"a\",\"c\",\"a\",\"b\",\"b\"]}", 0,
                 "{\"applied\":[\"c\",\"a\",\"b\",\"b\"]}");
    assert_since("ids", "{\"applied\":[\"a\",\"b\"]}",
                 "{\"applied\":[\"a\",\"b\",\"c\"]}", 1,
                 "{\"applied\":[\"a\",\"b\",\"c\"]}");
    assert_since("ids", "{\"applied\":[\"a\",\"a\",\"a\"]}",
                 "{\"applied\":[\"a\"]}", 0, "{\"applied\":[]}");
}
END_TEST

START_TEST(no_baseline_leaves_the_state_as_it_is)
{
    assert_since("counts", NULL, "{\"applied\":{\"a\":5}}", 0,
                 "{\"applied\":{\"a\":5}}");
}
END_TEST

START_TEST(duplicates_since_a_baseline_count_only_this_runs_extras)
{
    struct hr_probe_cfg *p = probe_of("counts");
    cJSON *b = json("{\"applied\":{\"a\":3,\"b\":1}}");
    cJSON *s = json("{\"applied\":{\"a\":6,\"b\":2}}");
    cJSON *since = hr_probe_since(p, b, s, 0);

    ck_assert_int_eq(hr_probe_duplicates(p, s), 6);
    ck_assert_int_eq(hr_probe_duplicates(p, since), 2);
    cJSON_Delete(since);
    cJSON_Delete(b);
    cJSON_Delete(s);
    hr_probe_free(p);
}
END_TEST

START_TEST(a_canary_left_by_an_earlier_run_is_not_accepted_again)
{
    struct hr_canaries c = {0};

    ck_assert_int_eq(hr_canaries_add(&c, "cnryAAAA", "evt_cnryAAAA", 1, 1), 0);
    ck_assert_int_eq(hr_canaries_add(&c, "cnryBBBB", "evt_cnryBBBB", 2, 1), 0);
    /* Both in the state, only A was there before the run. */
    ck_assert_int_eq(
        hr_canaries_judge_since(&c, "{cnryAAAA cnryBBBB}", "{cnryAAAA}", NULL),
        1);
    ck_assert_int_eq(c.v[0].accepted, 0);
    ck_assert_int_eq(c.v[1].accepted, 1);
    /* The self-report since the baseline shows A applied again. */
    ck_assert_int_eq(hr_canaries_judge_since(&c, "{cnryAAAA}", "{cnryAAAA}",
                                             "{\"evt_cnryAAAA\":1}"),
                     1);
    ck_assert_int_eq(c.v[0].accepted, 1);
    /* No baseline: plain presence. */
    ck_assert_int_eq(
        hr_canaries_judge_since(&c, "{cnryAAAA cnryBBBB}", NULL, NULL), 2);
    hr_canaries_free(&c);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("probe");
    TCase *tc = tcase_create("baseline");

    tcase_add_test(tc, counts_since_a_baseline_lose_the_baselines_count_per_id);
    tcase_add_test(
        tc, counts_since_a_baseline_keep_events_seen_before_once_when_asked);
    tcase_add_test(tc, ids_since_a_baseline_lose_the_earliest_occurrences);
    tcase_add_test(tc, no_baseline_leaves_the_state_as_it_is);
    tcase_add_test(tc, duplicates_since_a_baseline_count_only_this_runs_extras);
    tcase_add_test(tc, a_canary_left_by_an_earlier_run_is_not_accepted_again);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    int failed;

    hr_alloc_init();
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
