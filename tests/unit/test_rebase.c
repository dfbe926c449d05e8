/* SPDX-License-Identifier: MIT */
/* Unit tests for the rebase_time rule over bodies (rebase.c, mutate.c). */
#include "mutate.h"
#include "profile.h"
#include "rebase.h"
#include "support.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct hr_profile *stripe;

static const unsigned char *u(const char *s)
{
    return (const unsigned char *)s;
}

/* The body after the rule, "(same)" when nothing moved. */
static const char *rebased(const struct hr_rebase *r, const char *body)
{
    static char buf[1024];
    unsigned char *out;
    size_t n;
    int rc = hr_rebase_body(r, u(body), strlen(body), &out, &n);

    ck_assert_int_ge(rc, 0);
    if (rc == 1) {
        ck_assert_ptr_null(out);
        return "(same)";
    }
    ck_assert_uint_eq(n, strlen((char *)out));
    snprintf(buf, sizeof(buf), "%s", (char *)out);
    hr_free(out);
    return buf;
}

static void setup(void)
{
    struct hr_err err;

    stripe = hr_profile_load("stripe", NULL, &err);
    ck_assert_msg(stripe != NULL, "%s", err.msg);
}

static void teardown(void)
{
    hr_profile_free(stripe);
}

START_TEST(named_times_move_at_any_depth_and_nothing_else_does)
{
    struct hr_rebase r = {100, NULL, NULL, 0};

    r.profile = stripe;
    ck_assert_str_eq(rebased(&r,
                             "{\"created\": 1000,\n \"data\": {\"object\": "
                             "{\"created\":2000, \"amount\": 2000, \"items\": "
                             "[{\"period_end\":3000,\"name\":\"created\"}]}}}"),
                     "{\"created\": 1100,\n \"data\": {\"object\": "
                     "{\"created\":2100, \"amount\": 2000, \"items\": "
                     "[{\"period_end\":3100,\"name\":\"created\"}]}}}");
    /* Fractions, nulls, booleans and non-time strings stay as written. */
    ck_assert_str_eq(
        rebased(&r, "{\"created\":1.5,\"canceled_at\":null,\"ended_at\":"
                    "\"soon\",\"trial_end\":\"2020-09-01T10:00:00Z\"}"),
        "{\"created\":1.5,\"canceled_at\":null,\"ended_at\":"
        "\"soon\",\"trial_end\":\"2020-09-01T10:01:40Z\"}");
    /* Keys are compared after their escapes are decoded. */
    ck_assert_str_eq(rebased(&r, "{\"cr\\u0065ated\":7}"),
                     "{\"cr\\u0065ated\":107}");
}
END_TEST

START_TEST(a_value_reached_by_a_pointer_and_a_name_moves_once)
{
    char *ptrs[] = {"/data/object/created", "/data/object/when", "/nope"};
    struct hr_rebase r = {-60, NULL, ptrs, 3};

    r.profile = stripe;
    ck_assert_str_eq(
        rebased(&r, "{\"created\":600,\"data\":{\"object\":{\"created\":"
                    "700,\"when\":\"2020-01-01 00:01:00+02:00\"}}}"),
        "{\"created\":540,\"data\":{\"object\":{\"created\":"
        "640,\"when\":\"2020-01-01 00:00:00+02:00\"}}}");
}
END_TEST

START_TEST(pointers_alone_work_without_a_profile)
{
    char *ptrs[] = {"/t"};
    struct hr_rebase r = {5, NULL, ptrs, 1};

    ck_assert_str_eq(rebased(&r, "{\"t\":10,\"created\":10}"),
                     "{\"t\":15,\"created\":10}");
}
END_TEST

START_TEST(nothing_moves_without_a_shift_json_or_a_time)
{
    struct hr_rebase r = {0, NULL, NULL, 0};

    r.profile = stripe;
    ck_assert_str_eq(rebased(&r, "{\"created\":1}"), "(same)");
    r.delta_s = 9;
    ck_assert_str_eq(rebased(&r, "token=abc&created=1"), "(same)");
    ck_assert_str_eq(rebased(&r, "{\"created\":1"), "(same)");
    ck_assert_str_eq(rebased(&r, "{\"amount\":1}"), "(same)");
    ck_assert_int_eq(
        hr_rebase_body(NULL, u("{}"), 2, &(unsigned char *){0}, &(size_t){0}),
        1);
}
END_TEST

START_TEST(query_parameters_on_time_fields_are_recognised)
{
    struct hr_rebase r = {1, NULL, NULL, 0};

    r.profile = stripe;
    ck_assert_int_eq(hr_rebase_param(&r, "created"), 1);
    ck_assert_int_eq(hr_rebase_param(&r, "created[gte]"), 1);
    ck_assert_int_eq(hr_rebase_param(&r, "due_date[lt]"), 1);
    ck_assert_int_eq(hr_rebase_param(&r, "limit"), 0);
    ck_assert_int_eq(hr_rebase_param(&r, "create"), 0);
    r.profile = NULL;
    ck_assert_int_eq(hr_rebase_param(&r, "created"), 0);
}
END_TEST

START_TEST(spans_beyond_the_body_are_refused)
{
    struct hr_time_span s = {2, 40, HR_TIME_UNIX_S};
    unsigned char *out;
    size_t n;

    ck_assert_int_eq(hr_body_shift_times(u("[1]"), 3, &s, 1, 1, &out, &n), -1);
    ck_assert_ptr_null(out);
}
END_TEST

START_TEST(the_rule_fails_cleanly_when_memory_runs_out)
{
    static const char body[] = "{\"created\":1,\"data\":{\"object\":"
                               "{\"created\":2,\"period_end\":3}}}";
    char *ptrs[] = {"/data/object/created"};
    struct hr_rebase r = {1, NULL, ptrs, 1};
    unsigned char *out = NULL;
    size_t n;
    int rc = -1, k;

    r.profile = stripe;
    for (k = 0; rc != 0 && k < 200; k++) {
        hr_alloc_fail_after(k);
        rc = hr_rebase_body(&r, u(body), strlen(body), &out, &n);
        hr_alloc_fail_after(-1);
        if (rc)
            ck_assert_ptr_null(out);
    }
    ck_assert_int_eq(rc, 0);
    ck_assert_int_gt(k, 1);
    ck_assert_str_eq((char *)out, "{\"created\":2,\"data\":{\"object\":"
                                  "{\"created\":3,\"period_end\":4}}}");
    hr_free(out);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("rebase");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, named_times_move_at_any_depth_and_nothing_else_does);
    tcase_add_test(tc, a_value_reached_by_a_pointer_and_a_name_moves_once);
    tcase_add_test(tc, pointers_alone_work_without_a_profile);
    tcase_add_test(tc, nothing_moves_without_a_shift_json_or_a_time);
    tcase_add_test(tc, query_parameters_on_time_fields_are_recognised);
    tcase_add_test(tc, spans_beyond_the_body_are_refused);
    tcase_add_test(tc, the_rule_fails_cleanly_when_memory_runs_out);
    suite_add_tcase(s, tc);
    return t_run_suite(s);
}
