/* SPDX-License-Identifier: MIT */
/*
 * The API journal's aggregates: calls over time in bounded buckets, and
 * Retry-After judged per route.
 */
#include "journal.h"
#include "support.h"

#include <check.h>
#include <stdlib.h>

static void call_at(struct hr_journal *j, int64_t t_ms)
{
    struct hr_journal_entry e = {t_ms * 1000,  "GET", "/v1/events",
                                 "/v1/events", 200,   10,
                                 NULL,         -1,    t_ms * 1000};

    hr_journal_record(j, &e);
}

static double sum_counts(const cJSON *o, int *n)
{
    const cJSON *c;
    double total = 0;

    *n = cJSON_GetArraySize(cJSON_GetObjectItem(o, "counts"));
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(o, "counts"))
    {
        total += c->valuedouble;
    }
    return total;
}

START_TEST(calls_over_time_keep_50_ms_buckets_for_short_runs)
{
    struct hr_err err;
    struct hr_journal *j = hr_journal_new(NULL, &err);
    cJSON *s, *o;
    int n;

    ck_assert_ptr_nonnull(j);
    call_at(j, 0);
    call_at(j, 49);
    call_at(j, 50);
    call_at(j, 990);
    s = hr_journal_summary(j, 1000 * 1000);
    o = cJSON_GetObjectItem(s, "calls_over_time");
    ck_assert_int_eq((int)cJSON_GetObjectItem(o, "bucket_ms")->valuedouble, 50);
    ck_assert_int_eq((int)sum_counts(o, &n), 4);
    ck_assert_int_eq(n, 21); /* 0..1000 ms inclusive */
    ck_assert_int_eq(
        cJSON_GetArrayItem(cJSON_GetObjectItem(o, "counts"), 0)->valueint, 2);
    ck_assert_int_eq(
        cJSON_GetArrayItem(cJSON_GetObjectItem(o, "counts"), 19)->valueint, 1);
    cJSON_Delete(s);
    hr_journal_free(j);
}
END_TEST

START_TEST(calls_over_time_widen_and_keep_every_call_in_an_hour_run)
{
    struct hr_err err;
    struct hr_journal *j = hr_journal_new(NULL, &err);
    int64_t t;
    cJSON *s, *o;
    int n, calls = 0;

    ck_assert_ptr_nonnull(j);
    for (t = 0; t < 3600 * 1000; t += 7919, calls++)
        call_at(j, t);
    s = hr_journal_summary(j, 3600 * 1000 * 1000LL);
    o = cJSON_GetObjectItem(s, "calls_over_time");
    ck_assert_int_eq((int)sum_counts(o, &n), calls);
    ck_assert_int_le(n, 120);
    ck_assert_int_gt(n, 60); /* widened no more than needed */
    ck_assert(cJSON_GetObjectItem(o, "bucket_ms")->valuedouble * n >=
              3600 * 1000);
    cJSON_Delete(s);
    hr_journal_free(j);
}
END_TEST

START_TEST(calls_over_time_reach_a_call_later_than_the_elapsed_time)
{
    struct hr_err err;
    struct hr_journal *j = hr_journal_new(NULL, &err);
    cJSON *s, *o;
    int n;

    ck_assert_ptr_nonnull(j);
    call_at(j, 10);
    call_at(j, 20000);
    s = hr_journal_summary(j, 100 * 1000);
    o = cJSON_GetObjectItem(s, "calls_over_time");
    ck_assert_int_eq((int)sum_counts(o, &n), 2);
    ck_assert(cJSON_GetObjectItem(o, "bucket_ms")->valuedouble * n > 20000);
    cJSON_Delete(s);
    hr_journal_free(j);
}
END_TEST

/* One call on route at t_ms answered status, asking for ra_s (or -1). */
static void call_on(struct hr_journal *j, const char *route, int64_t t_ms,
                    int status, int64_t ra_s)
{
    struct hr_journal_entry e = {t_ms * 1000, "GET", route, route,      status,
                                 10,          NULL,  ra_s,  t_ms * 1000};

    hr_journal_record(j, &e);
}

START_TEST(retry_after_violations_are_counted_per_route)
{
    struct hr_err err;
    struct hr_journal *j = hr_journal_new(NULL, &err);
    cJSON *s, *ra, *per;

    ck_assert_ptr_nonnull(j);
    call_on(j, "/v1/events", 0, 429, 2);
    call_on(j, "/v1/customers", 100, 200, -1); /* another route: no judge */
    call_on(j, "/v1/events", 500, 429, 2);     /* too early: violated */
    call_on(j, "/v1/events", 1000, 429, 2);    /* too early again */
    call_on(j, "/v1/customers", 1100, 429, 1);
    call_on(j, "/v1/customers", 2200, 200, -1); /* waited: honoured */
    call_on(j, "/v1/events", 3000, 200, -1);    /* waited: honoured */
    s = hr_journal_summary(j, 4000 * 1000);
    ra = cJSON_GetObjectItem(s, "retry_after");
    ck_assert_int_eq(cJSON_GetObjectItem(ra, "given")->valueint, 4);
    ck_assert_int_eq(cJSON_GetObjectItem(ra, "violated")->valueint, 2);
    ck_assert_int_eq(cJSON_GetObjectItem(ra, "honoured")->valueint, 2);
    ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(ra, "honoured_all")));
    per = cJSON_GetObjectItem(ra, "violated_per_route");
    ck_assert_int_eq(cJSON_GetArraySize(per), 1);
    ck_assert_int_eq(cJSON_GetObjectItem(per, "/v1/events")->valueint, 2);
    cJSON_Delete(s);
    hr_journal_free(j);
}
END_TEST

START_TEST(a_call_without_an_answer_counts_under_status_0)
{
    struct hr_err err;
    struct hr_journal *j = hr_journal_new(NULL, &err);
    struct hr_journal_entry e = {
        0, "GET", "/v1/charges", "/v1/charges", 0, 5, "hang", -1, 0};
    cJSON *s;

    ck_assert_ptr_nonnull(j);
    hr_journal_record(j, &e);
    s = hr_journal_summary(j, 1000);
    ck_assert_int_eq(cJSON_GetObjectItem(s, "calls")->valueint, 1);
    ck_assert_int_eq(
        cJSON_GetObjectItem(cJSON_GetObjectItem(s, "calls_per_status"), "0")
            ->valueint,
        1);
    ck_assert_int_eq(
        cJSON_GetObjectItem(cJSON_GetObjectItem(s, "faults"), "hang")->valueint,
        1);
    ck_assert_int_eq(
        cJSON_GetArraySize(cJSON_GetObjectItem(
            cJSON_GetObjectItem(s, "retry_after"), "violated_per_route")),
        0);
    cJSON_Delete(s);
    hr_journal_free(j);
}
END_TEST

START_TEST(an_unanswered_call_stays_out_of_the_answer_times)
{
    struct hr_err err;
    struct hr_journal *j = hr_journal_new(NULL, &err);
    struct hr_journal_entry ok = {
        0, "GET", "/v1/charges", "/v1/charges", 200, 50000, NULL, -1, 0};
    struct hr_journal_entry hung = {
        0, "GET", "/v1/charges", "/v1/charges", 0, 5, "hang", -1, 0};
    const cJSON *lat;
    cJSON *s;

    ck_assert_ptr_nonnull(j);
    hr_journal_record(j, &ok);
    hr_journal_record(j, &hung);
    hr_journal_record(j, &hung);
    s = hr_journal_summary(j, 1000);
    ck_assert_int_eq(cJSON_GetObjectItem(s, "calls")->valueint, 3);
    lat = cJSON_GetObjectItem(s, "latency_us");
    /* the one answer took 50 ms; the two holds are not answers */
    ck_assert_msg(cJSON_GetObjectItem(lat, "p50")->valuedouble >= 49000,
                  "p50 %g", cJSON_GetObjectItem(lat, "p50")->valuedouble);
    ck_assert(cJSON_GetObjectItem(lat, "max")->valuedouble >= 49000);
    cJSON_Delete(s);
    hr_journal_free(j);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("journal");
    TCase *tc = tcase_create("journal");

    tcase_add_test(tc, calls_over_time_keep_50_ms_buckets_for_short_runs);
    tcase_add_test(tc,
                   calls_over_time_widen_and_keep_every_call_in_an_hour_run);
    tcase_add_test(tc,
                   calls_over_time_reach_a_call_later_than_the_elapsed_time);
    tcase_add_test(tc, retry_after_violations_are_counted_per_route);
    tcase_add_test(tc, a_call_without_an_answer_counts_under_status_0);
    tcase_add_test(tc, an_unanswered_call_stays_out_of_the_answer_times);
    suite_add_tcase(s, tc);
    return t_run_suite(s);
}
