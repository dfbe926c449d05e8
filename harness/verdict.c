/* SPDX-License-Identifier: MIT */
/* Turns a run's totals into checks against thresholds and an exit code. */
#include "run.h"
#include "faults.h"

#include <stdio.h>
#include <string.h>

static void add_check(struct hr_verdict_set *v, const char *name,
                      const char *op, double threshold, double value,
                      int measured, const char *evidence)
{
    struct hr_check *c;

    if (v->n >= HR_MAX_CHECKS)
        return;
    c = &v->checks[v->n++];
    c->note[0] = '\0';
    c->name = name;
    c->op = op;
    c->threshold = threshold;
    c->value = value;
    c->measured = measured;
    c->evidence = evidence;
    if (!measured)
        c->passed = 0;
    else if (op[0] == '>')
        c->passed = value >= threshold;
    else
        c->passed = value <= threshold;
}

static void judge_delivery(const struct hr_thresholds *th,
                           const struct hr_run_totals *t,
                           struct hr_verdict_set *v)
{
    int64_t sendable = t->events - t->dropped;

    if (th->has_min_delivery_rate)
        add_check(v, "min_delivery_rate", ">=", th->min_delivery_rate,
                  sendable > 0 ? (double)t->delivered / (double)sendable : 0,
                  sendable > 0, "status");
    if (th->has_min_delivery_rate && v->n)
        v->checks[v->n - 1].required = 1; /* nothing sent proves nothing */
    if (th->has_max_ack_p99_ms)
        add_check(v, "max_ack_p99_ms", "<=", (double)th->max_ack_p99_ms,
                  (double)hr_hist_quantile(&t->ack_actual, 0.99) / 1000.0,
                  t->ack_actual.total > 0, "status");
    if (th->has_max_ack_p99_ms && v->n)
        v->checks[v->n - 1].required = 1; /* no answer timed proves nothing */
    if (th->has_max_failed) {
        add_check(v, "max_failed", "<=", (double)th->max_failed,
                  (double)t->failed, 1, "status");
        v->checks[v->n - 1].required = 1; /* asked for */
    }
    if (t->handshakes > 0)
        add_check(v, "handshake", ">=", (double)t->handshakes,
                  (double)t->handshakes_ok, 1, "status");
    if (t->payload_faults > 0)
        add_check(v, "max_payload_mishandled", "<=", 0,
                  (double)t->payload_mishandled, 1, "status");
}

static double dup_limit(const struct hr_thresholds *th)
{
    return th->has_max_duplicates_processed
               ? (double)th->max_duplicates_processed
               : 0;
}

/*
 * A count that covers only some of the copies sent is a lower bound: it
 * proves a failure when it is above the limit, and nothing otherwise.
 */
static int dups_measured(const struct hr_thresholds *th,
                         const struct hr_run_totals *t)
{
    if (t->duplicates_processed < 0)
        return 0;
    return t->duplicates_covered >= t->duplicates_sent + t->redelivered ||
           (double)t->duplicates_processed > dup_limit(th);
}

/*
 * Forged and duplicate checks rest on the probe. Their default limit is
 * 0 whenever the run sent what they judge; without evidence they are
 * reported as not measured, never as passed. Only a limit the scenario
 * set makes a check that could not be measured fail the run.
 */
static void judge_evidence(const struct hr_thresholds *th,
                           const struct hr_run_totals *t,
                           struct hr_verdict_set *v)
{
    if (th->has_max_forged_accepted || t->attacker_sent > 0)
        add_check(v, "max_forged_accepted", "<=",
                  th->has_max_forged_accepted ? (double)th->max_forged_accepted
                                              : 0,
                  (double)t->forged_accepted, t->forged_accepted >= 0,
                  t->evidence_forged[0] ? t->evidence_forged : "state");
    if (v->n && !strcmp(v->checks[v->n - 1].name, "max_forged_accepted")) {
        struct hr_check *c = &v->checks[v->n - 1];

        /* a probe that was configured and failed is asked-for evidence
         * missing: the run fails on it */
        c->required = th->has_max_forged_accepted || t->probe_error[0];
        if (t->forged_accepted >= 0 && t->forged_discarded > 0)
            snprintf(c->note, sizeof(c->note),
                     "warning: %lld of %lld forged requests were "
                     "acknowledged (2xx) although not applied; answer "
                     "4xx so the provider's delivery log shows them refused",
                     (long long)t->forged_discarded,
                     (long long)t->attacker_sent);
    }
    if (th->has_max_forged_acknowledged)
        add_check(v, "max_forged_acknowledged",
                  "<=", (double)th->max_forged_acknowledged,
                  (double)t->attacker_acknowledged, 1, "status");
    if (th->has_max_forged_acknowledged && v->n)
        v->checks[v->n - 1].required = 1;
    if (th->has_max_duplicates_processed || t->duplicates_sent > 0 ||
        t->injected_failures > 0)
        add_check(v, "max_duplicates_processed", "<=", dup_limit(th),
                  (double)t->duplicates_processed, dups_measured(th, t),
                  t->evidence_dups[0] ? t->evidence_dups : "self-report");
    if (v->n && !strcmp(v->checks[v->n - 1].name, "max_duplicates_processed")) {
        struct hr_check *c = &v->checks[v->n - 1];

        c->required = th->has_max_duplicates_processed || t->probe_error[0];
        /* Refusing a copy is not applying it twice, but the provider
         * retries what was refused, for days, and may disable the
         * endpoint over it. */
        if (t->dups_refused > 0)
            snprintf(c->note, sizeof(c->note),
                     "warning: %lld of %lld duplicate copies were answered "
                     "with errors, never 2xx; a provider retries those and "
                     "may disable the endpoint: answer a duplicate 2xx",
                     (long long)t->dups_refused, (long long)t->duplicates_sent);
    }
}

int hr_payload_outcome_ok(int fault, int status)
{
    int ok2xx = status >= 200 && status <= 299;

    switch (fault) {
    case HR_PAY_MALFORMED:
        return status >= 400 && status <= 499;
    case HR_PAY_UNKNOWN_TYPE:
    case HR_PAY_REFORMAT:
        return ok2xx;
    case HR_PAY_OVERSIZED:
        return ok2xx || status == 413;
    case HR_PAY_GZIP:
        return ok2xx || status == 400 || status == 415;
    case HR_PAY_WRONG_CONTENT_TYPE:
        return ok2xx || status == 415;
    default:
        return 1;
    }
}

static void no_objects_note(struct hr_check *c, int judged,
                            const struct hr_run_totals *t)
{
    if (!judged && t->recon_reads == 0)
        snprintf(c->note, sizeof(c->note),
                 "no probe read the state before the deadline: %.200s",
                 t->probe_error[0] ? t->probe_error : "the probe failed");
    else if (!judged)
        snprintf(c->note, sizeof(c->note), "%s",
                 "the collections matched no object of the truth: check "
                 "their \"truth\" kinds (a profile without a truth, such "
                 "as github, has none)");
}

/*
 * Consistency rests on the state the probe reads: required by default
 * whenever collections map it onto the truth.
 */
static void judge_consistency(const struct hr_thresholds *th,
                              const struct hr_run_totals *t,
                              int64_t deadline_ms, struct hr_verdict_set *v)
{
    /* A match over no truth object judged nothing: the collections name
     * no kind the truth holds (or the profile keeps no truth). */
    int judged = t->recon_reads > 0 && (!t->consistent || t->last.objects > 0);

    if (!t->recon_measured)
        return;
    if (!th->has_require_consistent || th->require_consistent) {
        add_check(v, "require_consistent", ">=", 1, t->consistent ? 1 : 0,
                  judged, "state");
        v->checks[v->n - 1].required = 1; /* on by default with collections */
        no_objects_note(&v->checks[v->n - 1], judged, t);
    }
    if (th->has_max_time_to_consistency_ms) {
        /* Never consistent: the whole deadline went by, and it fails. */
        add_check(v, "max_time_to_consistency_ms",
                  "<=", (double)th->max_time_to_consistency_ms,
                  t->consistent ? (double)t->stable_match_ms
                                : (double)deadline_ms,
                  judged, "state");
        v->checks[v->n - 1].required = 1;
        no_objects_note(&v->checks[v->n - 1], judged, t);
        if (!t->consistent)
            v->checks[v->n - 1].passed = 0;
    }
    if (th->has_max_stale_objects) {
        add_check(v, "max_stale_objects", "<=", (double)th->max_stale_objects,
                  (double)t->last.stale, t->probe_error[0] == '\0' && judged,
                  "state");
        v->checks[v->n - 1].required = 1;
        no_objects_note(&v->checks[v->n - 1], judged, t);
    }
    if (th->has_max_lost_events) {
        add_check(v, "max_lost_events", "<=", (double)th->max_lost_events,
                  (double)t->lost_events, t->lost_events >= 0, "self-report");
        v->checks[v->n - 1].required = 1;
    }
}

void hr_run_judge(const struct hr_scenario *s, const struct hr_run_totals *t,
                  struct hr_verdict_set *v)
{
    size_t i;

    memset(v, 0, sizeof(*v));
    judge_delivery(&s->thresholds, t, v);
    judge_evidence(&s->thresholds, t, v);
    judge_consistency(&s->thresholds, t, s->recon.deadline_ms, v);
    v->exit_code = HR_EXIT_OK;
    for (i = 0; i < v->n; i++)
        if ((v->checks[i].measured && !v->checks[i].passed) ||
            (!v->checks[i].measured && v->checks[i].required))
            v->exit_code = HR_EXIT_THRESHOLD;
    if (t->attempts > 0 && t->answered == 0 &&
        t->injected_failures < t->attempts)
        v->exit_code = HR_EXIT_TARGET;
    if (t->input_error)
        v->exit_code = HR_EXIT_INPUT;
}
