/* SPDX-License-Identifier: MIT */
/* The one-screen summary printed at the end of a run. */
#include "run.h"

#include <string.h>

static void print_latency(FILE *f, const char *label, const struct hr_hist *h)
{
    if (!h->total) {
        fprintf(f, "  %-12s no answers\n", label);
        return;
    }
    fprintf(f, "  %-12s p50 %.1f ms  p95 %.1f ms  p99 %.1f ms  max %.1f ms\n",
            label, hr_hist_quantile(h, 0.50) / 1000.0,
            hr_hist_quantile(h, 0.95) / 1000.0,
            hr_hist_quantile(h, 0.99) / 1000.0, h->max_us / 1000.0);
}

static void print_statuses(FILE *f, const struct hr_run_totals *t)
{
    int i, any = 0;

    fprintf(f, "  %-12s", "answers");
    for (i = 0; i < HR_STATUS_MAX; i++) {
        if (t->status[i]) {
            fprintf(f, " %d x%lld", i, (long long)t->status[i]);
            any = 1;
        }
    }
    if (t->err_connect)
        fprintf(f, " connect-error x%lld", (long long)t->err_connect);
    if (t->err_timeout)
        fprintf(f, " timeout x%lld", (long long)t->err_timeout);
    if (t->err_other)
        fprintf(f, " transport-error x%lld", (long long)t->err_other);
    if (!any && !t->err_connect && !t->err_timeout && !t->err_other)
        fprintf(f, " none");
    fputc('\n', f);
}

/* What the faults did, when there were any. */
static void print_faults(FILE *f, const struct hr_run_totals *t)
{
    if (t->duplicates_sent)
        fprintf(f, "  %-12s %lld sent, %lld acknowledged\n", "duplicates",
                (long long)t->duplicates_sent,
                (long long)t->duplicates_delivered);
    if (t->attacker_sent) {
        fprintf(f, "  %-12s %lld sent, %lld acknowledged (2xx), ", "forged",
                (long long)t->attacker_sent,
                (long long)t->attacker_acknowledged);
        if (t->forged_accepted >= 0)
            fprintf(f, "%lld accepted\n", (long long)t->forged_accepted);
        else
            fprintf(f, "accepted not measured (%s)\n",
                    t->probe_error[0] ? "the probe failed" : "no probe");
    }
    if (t->dropped)
        fprintf(f, "  %-12s %lld never sent (only the API has them)\n",
                "dropped", (long long)t->dropped);
    if (t->injected_failures)
        fprintf(f, "  %-12s %lld attempts failed on purpose\n", "injected",
                (long long)t->injected_failures);
    if (t->handshakes)
        fprintf(f, "  %-12s %lld/%lld answered as the provider expects%s%s\n",
                "handshake", (long long)t->handshakes_ok,
                (long long)t->handshakes, t->handshake_error[0] ? ": " : "",
                t->handshake_error);
    if (t->probe_error[0])
        fprintf(f, "  %-12s %s\n", "probe", t->probe_error);
}

/* Reconciliation: how soon the target matched the truth, or who not. */
static void print_recon(FILE *f, const struct hr_run_totals *t)
{
    const struct hr_compare *m = &t->last;
    size_t i;

    if (!t->recon_measured)
        return;
    if (t->recon_reads == 0)
        fprintf(f, "  %-12s not measured: no probe read the state (%.200s)\n",
                "truth", t->probe_error[0] ? t->probe_error : "failed");
    else if (t->consistent)
        fprintf(f,
                "  %-12s consistent %lld ms after the replay (stable; "
                "first match %lld ms), %lld objects\n",
                "truth", (long long)t->stable_match_ms,
                (long long)t->first_match_ms, (long long)m->objects);
    else
        fprintf(f,
                "  %-12s NOT consistent by the deadline: %lld of %lld "
                "objects wrong (%lld missing, %lld stale, %lld diverged, "
                "%lld not deleted)\n",
                "truth", (long long)(m->objects - m->consistent + m->extra),
                (long long)m->objects, (long long)m->missing,
                (long long)m->stale, (long long)m->diverged,
                (long long)m->not_deleted);
    for (i = 0; i < m->n_wrong && i < 5 && !t->consistent; i++)
        fprintf(f, "  %-12s %s %s%s%s\n", "", m->wrong[i].kind, m->wrong[i].id,
                m->wrong[i].detail ? ": " : "",
                m->wrong[i].detail ? m->wrong[i].detail : "");
    if (t->lost_events >= 0)
        fprintf(f,
                "  %-12s %lld lost (never applied), %lld applied out of "
                "order, %lld undelivered applied anyway\n",
                "events", (long long)t->lost_events, (long long)t->out_of_order,
                (long long)t->recovered);
}

/* 1 when some measured check failed, as opposed to only missing ones. */
static int a_check_failed(const struct hr_verdict_set *v)
{
    size_t i;

    for (i = 0; i < v->n; i++)
        if (v->checks[i].measured && !v->checks[i].passed)
            return 1;
    return 0;
}

static const char *verdict_text(const struct hr_verdict_set *v)
{
    switch (v->exit_code) {
    case HR_EXIT_OK:
        return "PASS";
    case HR_EXIT_THRESHOLD:
        return a_check_failed(v) ? "FAIL (a threshold failed)"
                                 : "FAIL (a check could not be measured)";
    case HR_EXIT_INPUT:
        return "INPUT ERROR (the cassette went bad; partial result)";
    case HR_EXIT_TARGET:
        return "UNREACHABLE (the target never answered)";
    default:
        return "ERROR";
    }
}

void hr_run_summary(FILE *f, const struct hr_scenario *s,
                    const struct hr_run_totals *t,
                    const struct hr_verdict_set *v, const char *result_path)
{
    size_t i;

    fprintf(f, "hookreplay: %lld event%s in %.2f s%s\n", (long long)t->events,
            t->events == 1 ? "" : "s", t->duration_ms / 1000.0,
            t->interrupted ? " (interrupted)" : "");
    fprintf(f, "  %-12s %lld/%lld (%.1f%%)  failed %lld  attempts %lld\n",
            "delivered", (long long)t->delivered,
            (long long)(t->events - t->dropped),
            t->events > t->dropped ? 100.0 * (double)t->delivered /
                                         (double)(t->events - t->dropped)
                                   : 0,
            (long long)t->failed, (long long)t->attempts);
    if (t->skipped)
        fprintf(f, "  %-12s %lld deliveries to endpoints without a target\n",
                "skipped", (long long)t->skipped);
    print_statuses(f, t);
    print_faults(f, t);
    print_latency(f, "ack latency", &t->ack_actual);
    print_latency(f, "from plan", &t->ack_planned);
    print_recon(f, t);
    for (i = 0; i < v->n; i++) {
        const struct hr_check *c = &v->checks[i];

        fprintf(f, "  %-12s %s %s %g: ", i ? "" : "checks", c->name, c->op,
                c->threshold);
        if (c->measured)
            fprintf(f, "%g %s\n", c->value, c->passed ? "pass" : "FAIL");
        else if (c->required)
            fprintf(f, "not measured: FAIL (asked for, or its probe failed)\n");
        else
            fprintf(f, "not measured (added by default: does not fail)\n");
        if (c->note[0])
            fprintf(f, "  %-12s   %s\n", "", c->note);
    }
    if (t->input_error)
        fprintf(f, "  %-12s %s\n", "input", t->input_msg);
    fprintf(f, "  %-12s %s\n", "verdict", verdict_text(v));
    if (result_path)
        fprintf(f, "  %-12s %s\n", "result", result_path);
    (void)s;
}
