/* SPDX-License-Identifier: MIT */
/* Delay distributions: each one's samples have the shape it promises. */
#include "faults.h"
#include "support.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define N_DRAWS 20000

static int cmp_ms(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

/* N_DRAWS samples in milliseconds, one per event key, sorted. */
static double *draws(const struct hr_delay *d, const double *emp, size_t n_emp)
{
    double *v = malloc(N_DRAWS * sizeof(*v));
    char key[32];
    int i;

    ck_assert_ptr_nonnull(v);
    for (i = 0; i < N_DRAWS; i++) {
        snprintf(key, sizeof(key), "evt_%d", i);
        v[i] = (double)hr_delay_sample_us(d, 7, 0, key, 1, emp, n_emp) / 1000.0;
    }
    qsort(v, N_DRAWS, sizeof(*v), cmp_ms);
    return v;
}

static double quantile(const double *v, double q)
{
    return v[(size_t)(q * (N_DRAWS - 1))];
}

static double mean(const double *v)
{
    double s = 0;
    int i;

    for (i = 0; i < N_DRAWS; i++)
        s += v[i];
    return s / N_DRAWS;
}

/* Share of samples at or below x. */
static double below(const double *v, double x)
{
    int i, n = 0;

    for (i = 0; i < N_DRAWS; i++)
        n += v[i] <= x;
    return (double)n / N_DRAWS;
}

static void assert_near(double got, double want, double tol)
{
    ck_assert_msg(fabs(got - want) <= tol, "got %.4f, want %.4f +- %.4f", got,
                  want, tol);
}

START_TEST(fixed_delays_are_all_the_same)
{
    struct hr_delay d = {.dist = HR_DIST_FIXED, .a = 250};
    double *v = draws(&d, NULL, 0);

    assert_near(v[0], 250, 0.001);
    assert_near(v[N_DRAWS - 1], 250, 0.001);
    free(v);
}
END_TEST

START_TEST(uniform_delays_fill_their_range_evenly)
{
    struct hr_delay d = {.dist = HR_DIST_UNIFORM, .a = 10, .b = 110};
    double *v = draws(&d, NULL, 0);

    ck_assert(v[0] >= 10 && v[N_DRAWS - 1] <= 110);
    assert_near(mean(v), 60, 1.0);
    assert_near(quantile(v, 0.25), 35, 1.5);
    assert_near(quantile(v, 0.75), 85, 1.5);
    free(v);
}
END_TEST

START_TEST(normal_delays_have_their_mean_and_spread)
{
    struct hr_delay d = {.dist = HR_DIST_NORMAL, .a = 100, .b = 15};
    double *v = draws(&d, NULL, 0);

    assert_near(mean(v), 100, 0.5);
    /* one standard deviation either side holds about 68.3% */
    assert_near(below(v, 115) - below(v, 85), 0.6827, 0.015);
    free(v);
}
END_TEST

START_TEST(normal_delays_below_zero_are_sent_at_once)
{
    struct hr_delay d = {.dist = HR_DIST_NORMAL, .a = 0, .b = 50};
    double *v = draws(&d, NULL, 0);

    ck_assert(v[0] >= 0);
    assert_near(below(v, 0), 0.5, 0.015);
    free(v);
}
END_TEST

START_TEST(lognormal_delays_have_their_median_and_sigma)
{
    struct hr_delay d = {.dist = HR_DIST_LOGNORMAL, .a = 40, .b = 0.5};
    double *v = draws(&d, NULL, 0);

    assert_near(quantile(v, 0.5), 40, 1.0);
    /* median * e^sigma is one sigma up: about 84.1% lie below */
    assert_near(below(v, 40 * exp(0.5)), 0.8413, 0.012);
    ck_assert(v[0] > 0);
    free(v);
}
END_TEST

START_TEST(pareto_delays_start_at_their_scale_with_a_power_tail)
{
    struct hr_delay d = {.dist = HR_DIST_PARETO, .a = 20, .b = 1.5};
    double *v = draws(&d, NULL, 0);

    ck_assert(v[0] >= 20 - 0.001);
    /* P(X > 2 scale) = 2^-shape, P(X > 4 scale) = 4^-shape */
    assert_near(1 - below(v, 40), pow(2, -1.5), 0.012);
    assert_near(1 - below(v, 80), pow(4, -1.5), 0.008);
    free(v);
}
END_TEST

START_TEST(percentile_delays_meet_their_percentiles_and_interpolate)
{
    struct hr_delay d = {.dist = HR_DIST_PERCENTILES, .n_pcts = 2};
    double *v;

    d.pct_q[0] = 0.50;
    d.pct_ms[0] = 5;
    d.pct_q[1] = 0.99;
    d.pct_ms[1] = 100;
    v = draws(&d, NULL, 0);
    assert_near(quantile(v, 0.50), 5, 0.3);
    assert_near(quantile(v, 0.99), 100, 3);
    /* halfway between p50 and p99 in rank is halfway in value */
    assert_near(quantile(v, 0.745), 52.5, 3);
    /* nothing beyond the last percentile's value */
    ck_assert(v[N_DRAWS - 1] <= 100.001);
    free(v);
}
END_TEST

START_TEST(empirical_delays_resample_the_recorded_latencies_evenly)
{
    const double rec[] = {3, 17, 250};
    struct hr_delay d = {.dist = HR_DIST_EMPIRICAL};
    double *v = draws(&d, rec, 3);
    int i;

    for (i = 0; i < N_DRAWS; i++)
        ck_assert(v[i] == 3 || v[i] == 17 || v[i] == 250);
    assert_near(below(v, 3), 1.0 / 3, 0.015);
    assert_near(below(v, 17) - below(v, 3), 1.0 / 3, 0.015);
    free(v);
}
END_TEST

START_TEST(delays_are_the_same_for_the_same_seed_and_key)
{
    struct hr_delay d = {.dist = HR_DIST_LOGNORMAL, .a = 40, .b = 0.8};

    ck_assert_int_eq(hr_delay_sample_us(&d, 9, 2, "evt_x", 1, NULL, 0),
                     hr_delay_sample_us(&d, 9, 2, "evt_x", 1, NULL, 0));
    ck_assert_int_ne(hr_delay_sample_us(&d, 9, 2, "evt_x", 1, NULL, 0),
                     hr_delay_sample_us(&d, 10, 2, "evt_x", 1, NULL, 0));
    ck_assert_int_ne(hr_delay_sample_us(&d, 9, 2, "evt_x", 1, NULL, 0),
                     hr_delay_sample_us(&d, 9, 2, "evt_x", 2, NULL, 0));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("delays");
    TCase *tc = tcase_create("delays");

    tcase_add_test(tc, fixed_delays_are_all_the_same);
    tcase_add_test(tc, uniform_delays_fill_their_range_evenly);
    tcase_add_test(tc, normal_delays_have_their_mean_and_spread);
    tcase_add_test(tc, normal_delays_below_zero_are_sent_at_once);
    tcase_add_test(tc, lognormal_delays_have_their_median_and_sigma);
    tcase_add_test(tc, pareto_delays_start_at_their_scale_with_a_power_tail);
    tcase_add_test(tc,
                   percentile_delays_meet_their_percentiles_and_interpolate);
    tcase_add_test(tc, empirical_delays_resample_the_recorded_latencies_evenly);
    tcase_add_test(tc, delays_are_the_same_for_the_same_seed_and_key);
    suite_add_tcase(s, tc);
    return t_run_suite(s);
}
