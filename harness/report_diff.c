/* SPDX-License-Identifier: MIT */
/*
 * Comparing two results: per check and for the key totals, what got
 * better or worse. Only checks decide whether it is a regression.
 */
#include "report.h"

#include <math.h>
#include <string.h>

/* How much worse new is than old, as a fraction of old (>0 is worse). */
static double worse_by(double old_v, double new_v, int higher_is_better)
{
    double d = higher_is_better ? old_v - new_v : new_v - old_v;

    if (d == 0)
        return 0;
    if (old_v == 0)
        return d > 0 ? INFINITY : -INFINITY;
    return d / fabs(old_v);
}

static const char *result_word(const cJSON *c)
{
    const char *r = hr_report_str(c, "result", "?");

    return strcmp(r, "not_measured") == 0 ? "not measured" : r;
}

static const cJSON *find_check(const cJSON *res, const char *name)
{
    const cJSON *c;

    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(res, "checks"))
    {
        if (strcmp(hr_report_str(c, "name", ""), name) == 0)
            return c;
    }
    return NULL;
}

static void value(FILE *f, const cJSON *c)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(c, "value");

    if (cJSON_IsNumber(v))
        fprintf(f, "%g (%s)", v->valuedouble, result_word(c));
    else
        fprintf(f, "- (%s)", result_word(c));
}

/* Compares one check; returns 1 when it regressed beyond tolerance. */
static int diff_check(FILE *f, const cJSON *o, const cJSON *n, double tol)
{
    const cJSON *ov = cJSON_GetObjectItemCaseSensitive(o, "value");
    const cJSON *nv = cJSON_GetObjectItemCaseSensitive(n, "value");
    int was_pass = strcmp(hr_report_str(o, "result", ""), "pass") == 0;
    int now_fail = strcmp(hr_report_str(n, "result", ""), "fail") == 0;
    int higher = strcmp(hr_report_str(n, "op", "<="), ">=") == 0;
    double w = 0;
    const char *verdict;
    int regressed = 0;

    if (cJSON_IsNumber(ov) && cJSON_IsNumber(nv))
        w = worse_by(ov->valuedouble, nv->valuedouble, higher);
    if (was_pass && now_fail) {
        verdict = "REGRESSED (pass -> fail)";
        regressed = 1;
    } else if (w > tol) {
        verdict = "REGRESSED (worse beyond tolerance)";
        regressed = 1;
    } else if (cJSON_IsNumber(ov) && !cJSON_IsNumber(nv)) {
        verdict = "no longer measured";
    } else if (w > 0) {
        verdict = "worse, within tolerance";
    } else if (w < 0 || (!was_pass && !now_fail &&
                         strcmp(hr_report_str(n, "result", ""), "pass") == 0)) {
        verdict = "better";
    } else {
        verdict = "same";
    }
    fprintf(f, "  %-22s ", hr_report_str(n, "name", "?"));
    value(f, o);
    fputs(" -> ", f);
    value(f, n);
    if (isfinite(w) && w != 0)
        fprintf(f, " %+.1f%%", (higher ? -w : w) * 100.0);
    fprintf(f, "  %s\n", verdict);
    return regressed;
}

static int diff_checks(FILE *f, const cJSON *old_r, const cJSON *new_r,
                       double tol)
{
    const cJSON *c;
    int regressions = 0;

    fprintf(f, "checks (tolerance %g):\n", tol);
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(new_r, "checks"))
    {
        const char *name = hr_report_str(c, "name", "");
        const cJSON *o = find_check(old_r, name);

        if (o) {
            regressions += diff_check(f, o, c, tol);
            continue;
        }
        fprintf(f, "  %-22s new check: ", name);
        value(f, c);
        /* a check that is new and failing is a regression too */
        if (strcmp(hr_report_str(c, "result", ""), "fail") == 0) {
            fputs("  REGRESSED (new and failing)", f);
            regressions++;
        }
        fputc('\n', f);
    }
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(old_r, "checks"))
    {
        if (!find_check(new_r, hr_report_str(c, "name", "")))
            fprintf(f, "  %-22s no longer checked\n",
                    hr_report_str(c, "name", ""));
    }
    return regressions;
}

static const struct {
    const char *path, *label;
    int higher_is_better;
} key_totals[] = {
    {"totals.events", "events", -1},
    {"totals.delivery_rate", "delivery rate", 1},
    {"totals.failed", "failed events", 0},
    {"totals.retries", "retries", 0},
    {"totals.errors.connect", "connect errors", 0},
    {"totals.errors.timeout", "timeouts", 0},
    {"totals.errors.other", "other errors", 0},
    {"totals.ack_latency_ms.from_actual.p50", "ack p50 ms", 0},
    {"totals.ack_latency_ms.from_actual.p95", "ack p95 ms", 0},
    {"totals.ack_latency_ms.from_actual.p99", "ack p99 ms", 0},
    {"totals.ack_latency_ms.from_actual.max", "ack max ms", 0},
    {"totals.ack_latency_ms.from_planned.p99", "ack p99 from plan ms", 0},
};

static void diff_totals(FILE *f, const cJSON *old_r, const cJSON *new_r)
{
    size_t i;

    fputs("totals:\n", f);
    for (i = 0; i < sizeof(key_totals) / sizeof(key_totals[0]); i++) {
        double o = hr_report_num(old_r, key_totals[i].path, 0);
        double n = hr_report_num(new_r, key_totals[i].path, 0);
        int hib = key_totals[i].higher_is_better;
        double w = hib < 0 ? 0 : worse_by(o, n, hib);

        fprintf(f, "  %-22s %g -> %g", key_totals[i].label, o, n);
        if (o == n)
            fputs("  same\n", f);
        else if (hib < 0)
            fputs("  changed\n", f);
        else
            fprintf(f, "  %s\n", w > 0 ? "worse" : "better");
    }
}

int hr_report_diff(FILE *f, const cJSON *old_r, const cJSON *new_r,
                   double tolerance)
{
    int regressions;

    fprintf(f, "verdict: %s -> %s\n", hr_report_verdict_label(old_r),
            hr_report_verdict_label(new_r));
    regressions = diff_checks(f, old_r, new_r, tolerance);
    /* A verdict that got worse (pass to fail, unreachable, error) is a
     * regression even when no single check says so. */
    if (hr_report_num(old_r, "exit_code", 0) == 0 &&
        hr_report_num(new_r, "exit_code", 0) != 0) {
        fprintf(f, "verdict regressed: exit code %g -> %g\n",
                hr_report_num(old_r, "exit_code", 0),
                hr_report_num(new_r, "exit_code", 0));
        regressions++;
    }
    diff_totals(f, old_r, new_r);
    fprintf(f, "%d check%s regressed\n", regressions,
            regressions == 1 ? "" : "s");
    return regressions > 0;
}
