/* SPDX-License-Identifier: MIT */
/*
 * Duplicates judged by state: a changed item means processed, and the
 * count joins the target's self-report without counting a copy twice.
 */
#include "dupcheck.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

static cJSON *json(const char *text)
{
    cJSON *j = cJSON_Parse(text);

    ck_assert_ptr_nonnull(j);
    return j;
}

/* A probe whose applied counts are at /applied. */
static struct hr_probe_cfg *counts_probe(void)
{
    struct hr_probe_cfg *p = NULL;
    struct hr_err err = {0, ""};
    cJSON *o = json("{\"http\":\"http://127.0.0.1:1/s\","
                    "\"applied\":{\"counts\":\"/applied\"}}");

    ck_assert_int_eq(hr_probe_parse(o, "t", ".", &p, &err), 0);
    cJSON_Delete(o);
    return p;
}

START_TEST(a_whole_item_that_changed_anywhere_was_processed)
{
    cJSON *a = json("{\"id\":\"cus_1\",\"event\":\"evt_1\",\"n\":[1,2]}");
    cJSON *same = json("{\"n\":[1,2],\"event\":\"evt_1\",\"id\":\"cus_1\"}");
    cJSON *b = json("{\"id\":\"cus_1\",\"event\":\"evt_1_dup1\",\"n\":[1,2]}");

    ck_assert_int_eq(hr_dupcheck_changed(a, same), 0);
    ck_assert_int_eq(hr_dupcheck_changed(a, b), 1);
    ck_assert_int_eq(hr_dupcheck_changed(a, NULL), 1);
    cJSON_Delete(a);
    cJSON_Delete(same);
    cJSON_Delete(b);
}
END_TEST

START_TEST(state_alone_counts_the_copies_that_changed_their_object)
{
    struct hr_dupcheck_log g = {0};
    char ev[24];

    ck_assert_int_eq(hr_dupcheck_total(&g, NULL, NULL, ev, sizeof(ev)), -1);
    ck_assert_str_eq(ev, "");
    hr_dupcheck_log_add(&g, "evt_1", 1, 1);
    hr_dupcheck_log_add(&g, "evt_2", 0, 0);
    hr_dupcheck_log_add(&g, "evt_3", 0, 1);
    ck_assert_int_eq(hr_dupcheck_total(&g, NULL, NULL, ev, sizeof(ev)), 2);
    ck_assert_str_eq(ev, "state");
    hr_dupcheck_log_free(&g);
    ck_assert_int_eq(g.n, 0);
}
END_TEST

START_TEST(self_report_alone_is_what_the_target_counts)
{
    struct hr_dupcheck_log g = {0};
    struct hr_probe_cfg *p = counts_probe();
    cJSON *st = json("{\"applied\":{\"evt_1\":3,\"evt_2\":1}}");
    char ev[24];

    ck_assert_int_eq(hr_dupcheck_total(&g, p, st, ev, sizeof(ev)), 2);
    ck_assert_str_eq(ev, "self-report");
    cJSON_Delete(st);
    hr_probe_free(p);
}
END_TEST

START_TEST(a_copy_seen_by_both_kinds_of_evidence_counts_once)
{
    struct hr_dupcheck_log g = {0};
    struct hr_probe_cfg *p = counts_probe();
    /* evt_1 applied twice (one extra), evt_2 once, its new-id copy once */
    cJSON *st = json("{\"applied\":{\"evt_1\":2,\"evt_2\":1,"
                     "\"evt_2_dup1\":1,\"evt_4\":1}}");
    char ev[24];

    hr_dupcheck_log_add(&g, "evt_1", 0, 1); /* also in the self-report */
    hr_dupcheck_log_add(&g, "evt_2", 1, 1); /* new id: state only */
    hr_dupcheck_log_add(&g, "evt_4", 0, 1); /* the count missed it */
    hr_dupcheck_log_add(&g, "evt_4", 0, 1); /* ... twice */
    hr_dupcheck_log_add(&g, "evt_5", 1, 0); /* unchanged: nothing */
    ck_assert_int_eq(hr_dupcheck_total(&g, p, st, ev, sizeof(ev)), 1 + 1 + 2);
    ck_assert_str_eq(ev, "state+self-report");
    hr_dupcheck_log_free(&g);
    cJSON_Delete(st);
    hr_probe_free(p);
}
END_TEST

START_TEST(applied_counts_come_from_counts_or_a_list_of_ids)
{
    struct hr_probe_cfg *p = counts_probe();
    struct hr_probe_cfg *q = NULL;
    struct hr_err err = {0, ""};
    cJSON *o = json("{\"http\":\"http://127.0.0.1:1/s\","
                    "\"applied\":{\"ids\":\"/ids\"}}");
    cJSON *st = json("{\"applied\":{\"a\":2},\"ids\":[\"a\",\"b\",\"a\"]}");

    ck_assert_int_eq(hr_probe_parse(o, "t", ".", &q, &err), 0);
    ck_assert_int_eq(hr_probe_applied_count(p, st, "a"), 2);
    ck_assert_int_eq(hr_probe_applied_count(p, st, "b"), 0);
    ck_assert_int_eq(hr_probe_applied_count(q, st, "a"), 2);
    ck_assert_int_eq(hr_probe_applied_count(q, st, "b"), 1);
    ck_assert_int_eq(hr_probe_applied_count(q, st, "c"), 0);
    cJSON_Delete(o);
    cJSON_Delete(st);
    hr_probe_free(p);
    hr_probe_free(q);
}
END_TEST

START_TEST(duplicate_snapshots_must_be_a_small_whole_number)
{
    static const char *const bad[] = {"-1", "1.5", "\"8\"", "100001", NULL};
    const char *const *b;
    struct hr_probe_cfg *p = NULL;
    struct hr_err err = {0, ""};
    char text[200];
    cJSON *o;

    for (b = bad; *b; b++) {
        snprintf(text, sizeof(text),
                 "{\"http\":\"http://127.0.0.1:1/s\","
                 "\"duplicate_snapshots\":%s}",
                 *b);
        o = json(text);
        err.msg[0] = '\0';
        ck_assert_int_eq(hr_probe_parse(o, "s.json", ".", &p, &err), -1);
        ck_assert_msg(strstr(err.msg, "s.json: /probe/duplicate_snapshots"),
                      "%s", err.msg);
        hr_probe_free(p);
        cJSON_Delete(o);
    }
    o = json("{\"http\":\"http://127.0.0.1:1/s\",\"duplicate_snapshots\":0}");
    ck_assert_int_eq(hr_probe_parse(o, "s.json", ".", &p, &err), 0);
    ck_assert_int_eq(p->duplicate_snapshots, 0);
    hr_probe_free(p);
    cJSON_Delete(o);
    o = json("{\"http\":\"http://127.0.0.1:1/s\"}");
    ck_assert_int_eq(hr_probe_parse(o, "s.json", ".", &p, &err), 0);
    ck_assert_int_eq(p->duplicate_snapshots, -1); /* the scenario settles */
    hr_probe_free(p);
    cJSON_Delete(o);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("dupcheck");
    TCase *tc = tcase_create("dupcheck");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, a_whole_item_that_changed_anywhere_was_processed);
    tcase_add_test(tc, state_alone_counts_the_copies_that_changed_their_object);
    tcase_add_test(tc, self_report_alone_is_what_the_target_counts);
    tcase_add_test(tc, a_copy_seen_by_both_kinds_of_evidence_counts_once);
    tcase_add_test(tc, applied_counts_come_from_counts_or_a_list_of_ids);
    tcase_add_test(tc, duplicate_snapshots_must_be_a_small_whole_number);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
