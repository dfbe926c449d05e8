/* SPDX-License-Identifier: MIT */
/*
 * The planner: same inputs give the same plan bytes, seeds change it,
 * fault counts follow their probabilities, rules do not disturb each
 * other, and reorder windows only permute.
 */
#define _GNU_SOURCE
#include "cassette.h"
#include "plan.h"
#include "scenario.h"
#include "support.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_EVENTS 2000

static char *cassette_text;
static size_t cassette_len;

/* A cassette of N_EVENTS deliveries, 10 ms apart, 50 objects. */
static void make_cassette(void)
{
    FILE *f = open_memstream(&cassette_text, &cassette_len);
    int i;

    fputs("{\"hookreplay\":\"cassette\",\"version\":1,\"endpoints\":"
          "{\"s\":{\"profile\":\"stripe\"}}}\n",
          f);
    for (i = 1; i <= N_EVENTS; i++)
        fprintf(f,
                "{\"seq\":%d,\"at_ms\":%d,\"kind\":\"webhook\","
                "\"endpoint\":\"s\",\"event\":{\"id\":\"evt_%d\","
                "\"type\":\"%s\",\"object\":\"obj_%d\"},"
                "\"request\":{\"method\":\"POST\",\"path\":\"/h\","
                "\"query\":\"\",\"headers\":[],\"body\":\"{}\"}}\n",
                i, i * 10, i, i % 3 ? "charge.succeeded" : "invoice.paid",
                i % 50);
    fclose(f);
}

static struct hr_scenario *scenario(uint64_t seed, const char *faults)
{
    struct hr_scenario *s = calloc(1, sizeof(*s));
    struct hr_err err;
    cJSON *j = cJSON_Parse(faults);

    hr_scenario_defaults(s);
    s->seed = seed;
    s->cassette = strdup("mem");
    s->cassette_mem = cassette_text;
    s->cassette_mem_len = cassette_len;
    ck_assert_msg(hr_faults_parse(j, "test", "/faults", &s->faults, &err) == 0,
                  "%s", err.msg);
    cJSON_Delete(j);
    return s;
}

/* The whole plan as NDJSON text (the caller frees it). */
static char *plan_text(uint64_t seed, const char *faults)
{
    struct hr_scenario *s = scenario(seed, faults);
    struct hr_err err;
    struct hr_cassette_reader *r =
        hr_cassette_open_mem("mem", cassette_text, cassette_len, &err);
    struct hr_planner *p = hr_planner_new(s, r, &err);
    struct hr_plan_item *x;
    char *text;
    size_t len;
    FILE *f = open_memstream(&text, &len);

    ck_assert_ptr_nonnull(p);
    while (hr_planner_next(p, &x, &err) == 1) {
        ck_assert_int_eq(hr_plan_item_write(f, x), 0);
        hr_plan_item_free(x);
    }
    fclose(f);
    hr_planner_free(p);
    hr_cassette_close(r);
    hr_scenario_free(s);
    return text;
}

static int count_lines_with(const char *text, const char *needle)
{
    int n = 0;
    const char *line = text;

    while (line && *line) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);

        if (memmem(line, len, needle, strlen(needle)))
            n++;
        line = end ? end + 1 : NULL;
    }
    return n;
}

#define MIX                                                                    \
    "[{\"match\":{\"p\":0.1},\"action\":{\"drop\":{}}},"                       \
    "{\"match\":{\"type\":\"charge.*\",\"p\":0.2},\"action\":"                 \
    "{\"duplicate\":{\"copies\":1,\"spacing_ms\":5}}},"                        \
    "{\"match\":{\"p\":0.3},\"action\":{\"delay\":{\"median_ms\":20,"          \
    "\"sigma\":1}}},"                                                          \
    "{\"match\":{\"p\":0.05},\"action\":{\"signature\":\"forged\"}}]"

START_TEST(same_seed_gives_identical_plan_bytes)
{
    char *a = plan_text(42, MIX), *b = plan_text(42, MIX);

    ck_assert_str_eq(a, b);
    ck_assert_int_ge(count_lines_with(a, "\"seq\":"), N_EVENTS);
    free(a);
    free(b);
}
END_TEST

START_TEST(different_seeds_give_different_plans)
{
    char *a = plan_text(42, MIX), *b = plan_text(43, MIX);

    ck_assert_str_ne(a, b);
    free(a);
    free(b);
}
END_TEST

/* |x - n p| within 5 standard deviations, for every seed tried. */
static void assert_binomial(int x, int n, double p)
{
    double mean = n * p, sd = sqrt(n * p * (1 - p));

    ck_assert_msg(x > mean - 5 * sd && x < mean + 5 * sd,
                  "%d not within 5 sd of %g (sd %g)", x, mean, sd);
}

START_TEST(fault_counts_follow_their_probabilities_over_many_seeds)
{
    uint64_t seed;
    int charges = N_EVENTS - N_EVENTS / 3;

    for (seed = 1; seed <= 30; seed++) {
        char *t = plan_text(seed, MIX);

        assert_binomial(count_lines_with(t, "\"action\":\"drop\",\"faults\""
                                            ":[\"drop\""),
                        N_EVENTS, 0.1);
        assert_binomial(count_lines_with(t, "\"copy\":1,") -
                            count_lines_with(t, "\"canary\""),
                        charges, 0.2);
        free(t);
    }
}
END_TEST

/* 1 when the recorded delivery of seq is planned as a drop. */
static int dropped_in(const char *plan, int seq)
{
    char needle[64];
    const char *at, *end;

    snprintf(needle, sizeof(needle), "{\"seq\":%d,\"copy\":0,", seq);
    at = strstr(plan, needle);
    ck_assert_ptr_nonnull(at);
    end = strchr(at, '\n');
    at = strstr(at, "\"action\":\"drop\"");
    return at && at < end;
}

START_TEST(appending_a_rule_changes_no_earlier_decision)
{
    char *a =
        plan_text(7, "[{\"match\":{\"p\":0.1},\"action\":{\"drop\":{}}}]");
    char *b = plan_text(7, "[{\"match\":{\"p\":0.1},\"action\":{\"drop\":{}}},"
                           "{\"match\":{\"p\":0.5},\"action\":{\"timeout\""
                           ":{}}}]");
    int i, dropped = 0;

    for (i = 1; i <= N_EVENTS; i++) {
        ck_assert_int_eq(dropped_in(a, i), dropped_in(b, i));
        dropped += dropped_in(a, i);
    }
    ck_assert_int_gt(dropped, 100);
    ck_assert_str_ne(a, b);
    free(a);
    free(b);
}
END_TEST

START_TEST(reorder_windows_permute_events_without_losing_any)
{
    char *t = plan_text(5, "[{\"action\":{\"reorder\":{\"window\":5}}}]");
    const char *line = t;
    int seen[N_EVENTS + 1] = {0}, i, prev = 0, inversions = 0;

    while (*line) {
        int seq = atoi(strstr(line, "\"seq\":") + 6);

        ck_assert(seq >= 1 && seq <= N_EVENTS);
        seen[seq]++;
        /* a window of 5 moves an event by at most 4 places */
        ck_assert_int_le(abs(seq - (prev + 1)), 8);
        inversions += seq < prev;
        prev = seq;
        line = strchr(line, '\n') + 1;
    }
    for (i = 1; i <= N_EVENTS; i++)
        ck_assert_int_eq(seen[i], 1);
    ck_assert_int_gt(inversions, N_EVENTS / 10);
    free(t);
}
END_TEST

START_TEST(plans_are_in_time_order)
{
    char *t = plan_text(9, MIX);
    const char *line = t;
    double prev = -1;

    while (*line) {
        double at = strtod(strstr(line, "\"at_ms\":") + 8, NULL);

        ck_assert(at >= prev);
        prev = at;
        line = strchr(line, '\n') + 1;
    }
    free(t);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("plan");
    TCase *tc = tcase_create("plan");
    int rc;

    make_cassette();
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, same_seed_gives_identical_plan_bytes);
    tcase_add_test(tc, different_seeds_give_different_plans);
    tcase_add_test(tc, fault_counts_follow_their_probabilities_over_many_seeds);
    tcase_add_test(tc, appending_a_rule_changes_no_earlier_decision);
    tcase_add_test(tc, reorder_windows_permute_events_without_losing_any);
    tcase_add_test(tc, plans_are_in_time_order);
    suite_add_tcase(s, tc);
    rc = t_run_suite(s);
    free(cassette_text);
    return rc;
}
