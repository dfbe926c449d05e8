/* SPDX-License-Identifier: MIT */
/* Turns a run's totals into checks against thresholds and an exit code. */
#include "run.h"

#include <string.h>

static void add_check(struct hr_verdict_set *v, const char *name,
                      const char *op, double threshold, double value,
                      int measured)
{
    struct hr_check *c;

    if (v->n >= HR_MAX_CHECKS)
        return;
    c = &v->checks[v->n++];
    c->name = name;
    c->op = op;
    c->threshold = threshold;
    c->value = value;
    c->measured = measured;
    if (!measured)
        c->passed = 0;
    else if (op[0] == '>')
        c->passed = value >= threshold;
    else
        c->passed = value <= threshold;
}

void hr_run_judge(const struct hr_scenario *s, const struct hr_run_totals *t,
                  struct hr_verdict_set *v)
{
    const struct hr_thresholds *th = &s->thresholds;
    size_t i;

    memset(v, 0, sizeof(*v));
    if (th->has_min_delivery_rate)
        add_check(v, "min_delivery_rate", ">=", th->min_delivery_rate,
                  t->events ? (double)t->delivered / (double)t->events : 0,
                  t->events > 0);
    if (th->has_max_ack_p99_ms)
        add_check(v, "max_ack_p99_ms", "<=", (double)th->max_ack_p99_ms,
                  (double)hr_hist_quantile(&t->ack_actual, 0.99) / 1000.0,
                  t->ack_actual.total > 0);
    if (th->has_max_failed)
        add_check(v, "max_failed", "<=", (double)th->max_failed,
                  (double)t->failed, 1);
    v->exit_code = HR_EXIT_OK;
    for (i = 0; i < v->n; i++)
        if (!v->checks[i].passed)
            v->exit_code = HR_EXIT_THRESHOLD;
    if (t->attempts > 0 && t->answered == 0)
        v->exit_code = HR_EXIT_TARGET;
    if (t->input_error)
        v->exit_code = HR_EXIT_INPUT;
}
