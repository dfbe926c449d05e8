/* SPDX-License-Identifier: MIT */
/*
 * Duplicates judged by state: a changed item means processed, and the
 * count joins the target's self-report without counting a copy twice.
 */
#include "dupcheck.h"
#include "support.h"

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

START_TEST(a_same_id_copy_that_left_the_item_unchanged_proves_nothing)
{
    cJSON *a = json("{\"id\":\"cus_1\",\"status\":\"active\"}");
    cJSON *same = json("{\"status\":\"active\",\"id\":\"cus_1\"}");
    cJSON *b = json("{\"id\":\"cus_1\",\"status\":\"past_due\"}");
    char why[160] = "";

    ck_assert_int_eq(hr_dupcheck_judge(a, same, 1, why, sizeof(why)), 0);
    ck_assert_str_eq(why, "");
    ck_assert_int_eq(hr_dupcheck_judge(a, same, 0, why, sizeof(why)), -1);
    ck_assert_msg(strstr(why, "did not change"), "%s", why);
    ck_assert_int_eq(hr_dupcheck_judge(a, b, 0, why, sizeof(why)), 1);
    ck_assert_int_eq(hr_dupcheck_judge(a, NULL, 0, why, sizeof(why)), 1);
    ck_assert_int_eq(hr_dupcheck_judge(a, b, 1, why, sizeof(why)), 1);
    cJSON_Delete(a);
    cJSON_Delete(same);
    cJSON_Delete(b);
}
END_TEST

START_TEST(state_alone_counts_the_copies_that_changed_their_object)
{
    struct hr_dupcheck_log g = {0};
    struct hr_dupcheck_sent sent = {3, 1};
    int64_t covered = -1;
    char ev[24];

    ck_assert_int_eq(
        hr_dupcheck_total(&g, NULL, NULL, &sent, &covered, ev, sizeof(ev)), -1);
    ck_assert_str_eq(ev, "");
    ck_assert_int_eq(covered, 0);
    hr_dupcheck_log_add(&g, "evt_1", 1, 1);
    hr_dupcheck_log_add(&g, "evt_2", 1, 0);
    hr_dupcheck_log_add(&g, "evt_3", 0, 1);
    ck_assert_int_eq(
        hr_dupcheck_total(&g, NULL, NULL, &sent, &covered, ev, sizeof(ev)), 2);
    ck_assert_str_eq(ev, "state");
    ck_assert_int_eq(covered, 3);
    hr_dupcheck_log_free(&g);
    ck_assert_int_eq(g.n, 0);
}
END_TEST

START_TEST(state_alone_covers_only_the_copies_it_measured)
{
    struct hr_dupcheck_log g = {0};
    struct hr_dupcheck_sent sent = {18, 18};
    int64_t covered = -1;
    char ev[24];

    /* 18 copies sent, one measured: the count is a lower bound */
    hr_dupcheck_log_add(&g, "evt_1", 1, 1);
    ck_assert_int_eq(
        hr_dupcheck_total(&g, NULL, NULL, &sent, &covered, ev, sizeof(ev)), 1);
    ck_assert_int_eq(covered, 1);
    hr_dupcheck_log_free(&g);
}
END_TEST

START_TEST(self_report_alone_is_what_the_target_counts)
{
    struct hr_dupcheck_log g = {0};
    struct hr_probe_cfg *p = counts_probe();
    cJSON *st = json("{\"applied\":{\"evt_1\":3,\"evt_2\":1}}");
    struct hr_dupcheck_sent same = {4, 0}, mixed = {4, 3};
    int64_t covered = -1;
    char ev[24];

    ck_assert_int_eq(
        hr_dupcheck_total(&g, p, st, &same, &covered, ev, sizeof(ev)), 2);
    ck_assert_str_eq(ev, "self-report");
    ck_assert_int_eq(covered, 4);
    /* copies under new ids are beyond what a self-report can see */
    ck_assert_int_eq(
        hr_dupcheck_total(&g, p, st, &mixed, &covered, ev, sizeof(ev)), 2);
    ck_assert_int_eq(covered, 1);
    cJSON_Delete(st);
    hr_probe_free(p);
}
END_TEST

START_TEST(a_self_report_that_cannot_be_read_leaves_no_evidence)
{
    struct hr_dupcheck_log g = {0};
    struct hr_probe_cfg *p = counts_probe();
    cJSON *st = json("{\"other\":{}}");
    struct hr_dupcheck_sent sent = {2, 2};
    int64_t covered = -1;
    char ev[24] = "x";

    hr_dupcheck_log_add(&g, "evt_1", 1, 0);
    hr_dupcheck_log_add(&g, "evt_2", 1, 0);
    /* the final probe failed: the snapshots alone must not pass it */
    ck_assert_int_eq(
        hr_dupcheck_total(&g, p, NULL, &sent, &covered, ev, sizeof(ev)), -1);
    ck_assert_str_eq(ev, "");
    ck_assert_int_eq(covered, 0);
    ck_assert_int_eq(
        hr_dupcheck_total(&g, p, st, &sent, &covered, ev, sizeof(ev)), -1);
    hr_dupcheck_log_free(&g);
    cJSON_Delete(st);
    hr_probe_free(p);
}
END_TEST

START_TEST(acknowledged_originals_are_remembered_until_forgotten)
{
    struct hr_dupcheck_log g = {0};
    int64_t seqs[] = {7, 3, 12, 3, -5, 100000000000LL};
    size_t i;

    for (i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++)
        ck_assert_int_eq(hr_dupcheck_ack(&g, seqs[i]), 0);
    ck_assert_int_eq(g.n_acked, 5);
    for (i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++)
        ck_assert(hr_dupcheck_acked(&g, seqs[i]));
    ck_assert(!hr_dupcheck_acked(&g, 4));
    ck_assert(!hr_dupcheck_acked(&g, 13));
    for (i = 0; i < 1000; i++)
        ck_assert_int_eq(hr_dupcheck_ack(&g, (int64_t)(i * 7919 % 1009)), 0);
    for (i = 0; i < g.n_acked - 1; i++)
        ck_assert(g.acked[i] < g.acked[i + 1]);
    hr_dupcheck_forget_acks(&g);
    ck_assert(!hr_dupcheck_acked(&g, 7));
    ck_assert_int_eq(hr_dupcheck_ack(&g, 7), 0);
    ck_assert(hr_dupcheck_acked(&g, 7));
    hr_dupcheck_log_free(&g);
}
END_TEST

START_TEST(a_copy_seen_by_both_kinds_of_evidence_counts_once)
{
    struct hr_dupcheck_log g = {0};
    struct hr_probe_cfg *p = counts_probe();
    /* evt_1 applied twice (one extra), evt_2 once, its new-id copy once */
    cJSON *st = json("{\"applied\":{\"evt_1\":2,\"evt_2\":1,"
                     "\"evt_2_dup1\":1,\"evt_4\":1}}");
    struct hr_dupcheck_sent sent = {6, 2};
    int64_t covered = -1;
    char ev[24];

    hr_dupcheck_log_add(&g, "evt_1", 0, 1); /* also in the self-report */
    hr_dupcheck_log_add(&g, "evt_2", 1, 1); /* new id: state only */
    hr_dupcheck_log_add(&g, "evt_4", 0, 1); /* the count missed it */
    hr_dupcheck_log_add(&g, "evt_4", 0, 1); /* ... twice */
    hr_dupcheck_log_add(&g, "evt_5", 1, 0); /* unchanged: nothing */
    ck_assert_int_eq(
        hr_dupcheck_total(&g, p, st, &sent, &covered, ev, sizeof(ev)),
        1 + 1 + 2);
    ck_assert_str_eq(ev, "state+self-report");
    ck_assert_int_eq(covered, 6); /* 4 same-id by count, 2 new-id by state */
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

    tcase_add_test(tc, a_whole_item_that_changed_anywhere_was_processed);
    tcase_add_test(tc,
                   a_same_id_copy_that_left_the_item_unchanged_proves_nothing);
    tcase_add_test(tc, state_alone_counts_the_copies_that_changed_their_object);
    tcase_add_test(tc, state_alone_covers_only_the_copies_it_measured);
    tcase_add_test(tc, self_report_alone_is_what_the_target_counts);
    tcase_add_test(tc, a_self_report_that_cannot_be_read_leaves_no_evidence);
    tcase_add_test(tc, acknowledged_originals_are_remembered_until_forgotten);
    tcase_add_test(tc, a_copy_seen_by_both_kinds_of_evidence_counts_once);
    tcase_add_test(tc, applied_counts_come_from_counts_or_a_list_of_ids);
    tcase_add_test(tc, duplicate_snapshots_must_be_a_small_whole_number);
    suite_add_tcase(s, tc);
    return t_run_suite(s);
}
