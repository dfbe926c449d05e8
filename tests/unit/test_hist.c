/* SPDX-License-Identifier: MIT */
/* The latency histogram: bucket bounds, quantiles and exact merges. */
#include "hist.h"
#include "support.h"

#include <check.h>
#include <stdlib.h>

START_TEST(hist_is_exact_below_128_us)
{
    struct hr_hist h;
    int64_t v;

    hr_hist_init(&h);
    for (v = 1; v <= 100; v++)
        hr_hist_add(&h, v);
    ck_assert_int_eq(hr_hist_quantile(&h, 0.50), 50);
    ck_assert_int_eq(hr_hist_quantile(&h, 0.95), 95);
    ck_assert_int_eq(hr_hist_quantile(&h, 0.99), 99);
    ck_assert_int_eq(hr_hist_quantile(&h, 1.0), 100);
    ck_assert_int_eq(h.min_us, 1);
}
END_TEST

START_TEST(hist_buckets_cover_every_value_once)
{
    int64_t v, lo, hi;

    for (v = 0; v < 5000000; v += 7) {
        size_t i = hr_hist_index(v);

        hr_hist_bounds(i, &lo, &hi);
        ck_assert_int_le(lo, v);
        ck_assert_int_ge(hi, v);
        /* relative width stays under 1.6% */
        ck_assert(v < 128 || (double)(hi - lo) / (double)lo < 0.016);
    }
}
END_TEST

START_TEST(hist_quantile_error_is_bounded_on_large_values)
{
    struct hr_hist h;
    int64_t v, got;

    hr_hist_init(&h);
    for (v = 1; v <= 10000; v++)
        hr_hist_add(&h, v * 1000); /* 1 ms .. 10 s */
    got = hr_hist_quantile(&h, 0.99);
    ck_assert_int_ge(got, 9900000);
    ck_assert_int_le(got, (int64_t)(9900000 * 1.016));
    ck_assert_int_eq(hr_hist_quantile(&h, 1.0), 10000000);
}
END_TEST

START_TEST(hist_merge_equals_one_histogram_of_all_values)
{
    struct hr_hist a, b, all;
    int i;

    hr_hist_init(&a);
    hr_hist_init(&b);
    hr_hist_init(&all);
    srand(7);
    for (i = 0; i < 20000; i++) {
        int64_t v = rand() % 3000000;

        hr_hist_add(i % 3 ? &a : &b, v);
        hr_hist_add(&all, v);
    }
    hr_hist_merge(&a, &b);
    ck_assert_uint_eq(a.total, all.total);
    ck_assert_int_eq(a.max_us, all.max_us);
    ck_assert_int_eq(a.min_us, all.min_us);
    ck_assert_int_eq(hr_hist_quantile(&a, 0.5), hr_hist_quantile(&all, 0.5));
    ck_assert_int_eq(hr_hist_quantile(&a, 0.99), hr_hist_quantile(&all, 0.99));
}
END_TEST

START_TEST(hist_empty_reports_zero)
{
    struct hr_hist h;

    hr_hist_init(&h);
    ck_assert_int_eq(hr_hist_quantile(&h, 0.99), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("hist");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, hist_is_exact_below_128_us);
    tcase_add_test(tc, hist_buckets_cover_every_value_once);
    tcase_add_test(tc, hist_quantile_error_is_bounded_on_large_values);
    tcase_add_test(tc, hist_merge_equals_one_histogram_of_all_values);
    tcase_add_test(tc, hist_empty_reports_zero);
    suite_add_tcase(s, tc);
    return t_run_suite(s);
}
