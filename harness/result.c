/* SPDX-License-Identifier: MIT */
/* The streaming JSON result writer. */
#include "result.h"
#include "attempt.h"
#include "dupcheck.h"
#include "hist.h"
#include "plan.h"
#include "run.h"
#include "scenario.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

struct hr_result {
    FILE *f;
    char *path;
    int64_t n_events;
    int64_t deadline_ms; /* the consistency loop's, for the reports */
};

static int mkdir_p(const char *dir)
{
    char tmp[4096];
    size_t i, n = strlen(dir);

    if (n == 0 || n >= sizeof(tmp))
        return -1;
    memcpy(tmp, dir, n + 1);
    for (i = 1; i <= n; i++) {
        if (tmp[i] != '/' && tmp[i] != '\0')
            continue;
        tmp[i] = '\0';
        if (mkdir(tmp, 0755) && errno != EEXIST)
            return -1;
        tmp[i] = dir[i];
    }
    return 0;
}

static void iso_now(char *buf, size_t cap)
{
    time_t now = time(NULL);
    struct tm tm;

    gmtime_r(&now, &tm);
    strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static const char *pacing_name(enum hr_pacing p)
{
    return p == HR_PACE_RATE ? "rate" : p == HR_PACE_ASAP ? "asap" : "recorded";
}

static int write_head(struct hr_result *r, const struct hr_scenario *s)
{
    cJSON *h = cJSON_CreateObject();
    char when[32], *txt;
    size_t n;
    int rc;

    iso_now(when, sizeof(when));
    cJSON_AddStringToObject(h, "hookreplay", "result");
    cJSON_AddNumberToObject(h, "version", 1);
    cJSON_AddStringToObject(h, "started_at", when);
    if (s->path)
        cJSON_AddStringToObject(h, "scenario", s->path);
    cJSON_AddStringToObject(h, "cassette", s->cassette ? s->cassette : "");
    cJSON_AddNumberToObject(h, "seed", (double)s->seed);
    cJSON_AddStringToObject(h, "pacing", pacing_name(s->pacing));
    txt = cJSON_PrintUnformatted(h);
    cJSON_Delete(h);
    if (!txt)
        return -1;
    n = strlen(txt);
    txt[n - 1] = '\0'; /* drop the closing brace: events follow */
    rc = fprintf(r->f, "%s,\n\"events\":[\n", txt) < 0 ? -1 : 0;
    cJSON_free(txt);
    return rc;
}

struct hr_result *hr_result_open(const struct hr_scenario *s,
                                 struct hr_err *err)
{
    struct hr_result *r = hr_calloc(1, sizeof(*r));
    const char *dir = s->out_dir ? s->out_dir : "hookreplay-out";

    if (!r) {
        hr_errf(err, HR_EXIT_INTERNAL, "out of memory");
        return NULL;
    }
    r->deadline_ms = s->recon.deadline_ms;
    r->path = hr_path_join(dir, "result.json");
    if (!r->path || mkdir_p(dir)) {
        hr_errf(err, HR_EXIT_INPUT, "%s: cannot create folder: %s", dir,
                strerror(errno));
        goto fail;
    }
    r->f = fopen(r->path, "w");
    if (!r->f) {
        hr_errf(err, HR_EXIT_INPUT, "%s: %s", r->path, strerror(errno));
        goto fail;
    }
    if (write_head(r, s)) {
        hr_errf(err, HR_EXIT_INTERNAL, "%s: write failed", r->path);
        goto fail;
    }
    return r;
fail:
    if (r->f)
        fclose(r->f);
    hr_free(r->path);
    hr_free(r);
    return NULL;
}

const char *hr_result_path(const struct hr_result *r)
{
    return r->path;
}

static double ms(int64_t us)
{
    return (double)us / 1000.0;
}

static const char *step_name(int step)
{
    static const char *const names[] = {"deliver", "deliver", "timeout",
                                        "refused", "reset",   "truncated",
                                        "slow",    "http10"};

    return step >= 0 && step <= 7 ? names[step] : "deliver";
}

static cJSON *attempt_json(const struct hr_attempt *a, int n)
{
    cJSON *o = cJSON_CreateObject();

    cJSON_AddNumberToObject(o, "n", n);
    cJSON_AddStringToObject(o, "step", step_name(a->step));
    if (a->injected)
        cJSON_AddBoolToObject(o, "injected", 1);

    cJSON_AddNumberToObject(o, "planned_ms", ms(a->planned_us));
    cJSON_AddNumberToObject(o, "sent_ms", ms(a->sent_us));
    if (a->answered_us >= 0 && a->timed_out) {
        /* An injected timeout: the target answered, the provider had
         * already given up. */
        cJSON_AddNullToObject(o, "status");
        cJSON_AddStringToObject(o, "error", "timeout");
        cJSON_AddStringToObject(o, "detail",
                                "the provider gave up at its "
                                "response timeout (injected)");
        cJSON_AddNumberToObject(o, "late_status", a->status);
        cJSON_AddNumberToObject(
            o, "late_ack_ms",
            ms(a->answered_us - hr_attempt_request_end_us(a)));
    } else if (a->answered_us >= 0) {
        cJSON_AddNumberToObject(o, "answered_ms", ms(a->answered_us));
        cJSON_AddNumberToObject(o, "status", a->status);
        if (a->body_end_us > a->sent_us + 1000)
            cJSON_AddNumberToObject(o, "body_end_ms", ms(a->body_end_us));
        cJSON_AddNumberToObject(
            o, "ack_ms", ms(a->answered_us - hr_attempt_request_end_us(a)));
        cJSON_AddNumberToObject(o, "ack_from_planned_ms",
                                ms(a->answered_us - a->planned_us));
    } else {
        cJSON_AddNullToObject(o, "status");
        cJSON_AddStringToObject(o, "error",
                                a->timed_out        ? "timeout"
                                : a->connect_failed ? "connect"
                                                    : "transport");
        cJSON_AddStringToObject(o, "detail", a->error);
    }
    cJSON_AddNumberToObject(o, "bytes_sent", (double)a->bytes_sent);
    cJSON_AddNumberToObject(o, "bytes_received", (double)a->bytes_received);
    return o;
}

/* The payload fault an attempt carried, and how the target took it. */
static void add_payload(cJSON *aj, int payload, int ok)
{
    static const char *const names[] = {
        "",     "malformed",          "unknown_type", "oversized",
        "gzip", "wrong_content_type", "reformat"};

    if (payload > 0 && payload <= HR_PAY_REFORMAT)
        cJSON_AddStringToObject(aj, "payload", names[payload]);
    cJSON_AddStringToObject(aj, "payload_outcome",
                            ok ? "as_expected" : "mishandled");
}

static void add_item_fields(cJSON *o, const struct hr_plan_item *x)
{
    char labels[sizeof(x->labels)], *tok, *save = NULL;
    cJSON *f;

    cJSON_AddNumberToObject(o, "copy", x->copy);
    if (x->attacker) {
        cJSON_AddStringToObject(
            o, "attacker",
            x->sig_fault == HR_SIG_TAMPERED_CODE
                ? "tampered"
                : hr_sig_fault_name((enum hr_sig_fault)x->sig_fault));
        cJSON_AddStringToObject(o, "canary", x->canary);
    }
    if (x->dropped)
        cJSON_AddBoolToObject(o, "dropped", 1);
    f = cJSON_AddArrayToObject(o, "faults");
    memcpy(labels, x->labels, sizeof(labels));
    for (tok = strtok_r(labels, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save))
        cJSON_AddItemToArray(f, cJSON_CreateString(tok));
}

/* A copy's judgement by its object's snapshot. */
static void add_dupcheck(cJSON *o, const struct hr_dupcheck *dc)
{
    cJSON *d;

    if (!dc || !dc->checked)
        return;
    d = cJSON_AddObjectToObject(o, "duplicate_check");
    if (dc->processed >= 0)
        cJSON_AddBoolToObject(d, "processed", dc->processed);
    else
        cJSON_AddNullToObject(d, "processed");
    cJSON_AddStringToObject(d, "evidence", "state");
    if (dc->reason[0])
        cJSON_AddStringToObject(d, "reason", dc->reason);
}

int hr_result_event(struct hr_result *r, const struct hr_plan_item *x,
                    const char *endpoint, const struct hr_attempt *a,
                    int n_attempts, int delivered, const struct hr_dupcheck *dc,
                    struct hr_err *err)
{
    const struct hr_interaction *it = &x->it;
    cJSON *o = cJSON_CreateObject(), *arr;
    char *txt, *id = hr_attempt_event_id(x);
    int i, rc;

    cJSON_AddNumberToObject(o, "seq", (double)it->seq);
    cJSON_AddStringToObject(o, "endpoint", endpoint);
    cJSON_AddStringToObject(o, "id", id ? id : "");
    hr_free(id);
    if (it->has_event && it->event.type)
        cJSON_AddStringToObject(o, "type", it->event.type);
    if (it->has_event && it->event.object)
        cJSON_AddStringToObject(o, "object", it->event.object);
    add_item_fields(o, x);
    cJSON_AddNumberToObject(o, "planned_ms", (double)x->planned_us / 1000.0);
    add_dupcheck(o, dc);
    cJSON_AddBoolToObject(o, "delivered", delivered);
    /* Retries stop at the first success, so it is the last attempt. */
    cJSON_AddNumberToObject(o, "first_success_attempt",
                            delivered ? n_attempts : 0);
    arr = cJSON_AddArrayToObject(o, "attempts");
    for (i = 0; i < n_attempts; i++) {
        cJSON *aj = attempt_json(&a[i], i + 1);

        if (i == 0 && x->payload != HR_PAY_NONE)
            add_payload(aj, x->payload, a[i].payload_ok);
        cJSON_AddItemToArray(arr, aj);
    }
    txt = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!txt)
        return hr_errf(err, HR_EXIT_INTERNAL, "out of memory");
    rc = fprintf(r->f, "%s%s", r->n_events ? ",\n" : "", txt);
    cJSON_free(txt);
    r->n_events++;
    if (rc < 0)
        return hr_errf(err, HR_EXIT_INTERNAL, "%s: write failed", r->path);
    return 0;
}

static cJSON *recon_json(const struct hr_run_totals *t, int64_t deadline_ms)
{
    cJSON *o = cJSON_CreateObject(), *w, *c, *lost, *rec;
    const struct hr_compare *m = &t->last;
    size_t i;
    int k;

    cJSON_AddBoolToObject(o, "consistent", t->consistent);
    if (t->first_match_ms >= 0)
        cJSON_AddNumberToObject(o, "first_match_ms", (double)t->first_match_ms);
    else
        cJSON_AddNullToObject(o, "first_match_ms");
    if (t->consistent)
        cJSON_AddNumberToObject(o, "stable_match_ms",
                                (double)t->stable_match_ms);
    else
        cJSON_AddNullToObject(o, "stable_match_ms");
    cJSON_AddNumberToObject(o, "deadline_ms", (double)deadline_ms);
    cJSON_AddNumberToObject(o, "probes", (double)t->probes);
    cJSON_AddNumberToObject(o, "objects", (double)m->objects);
    cJSON_AddNumberToObject(o, "consistent_objects", (double)m->consistent);
    cJSON_AddNumberToObject(o, "missing", (double)m->missing);
    cJSON_AddNumberToObject(o, "stale", (double)m->stale);
    cJSON_AddNumberToObject(o, "diverged", (double)m->diverged);
    cJSON_AddNumberToObject(o, "not_deleted", (double)m->not_deleted);
    cJSON_AddNumberToObject(o, "extra", (double)m->extra);
    w = cJSON_AddArrayToObject(o, "wrong");
    for (i = 0; i < m->n_wrong; i++) {
        cJSON *x = cJSON_CreateObject();

        cJSON_AddStringToObject(x, "id", m->wrong[i].id);
        cJSON_AddStringToObject(x, "kind", m->wrong[i].kind);
        if (m->wrong[i].detail)
            cJSON_AddStringToObject(x, "detail", m->wrong[i].detail);
        cJSON_AddItemToArray(w, x);
    }
    c = cJSON_AddArrayToObject(o, "curve");
    for (k = 0; k < t->n_curve; k++) {
        cJSON *pt = cJSON_CreateArray();

        cJSON_AddItemToArray(pt, cJSON_CreateNumber((double)t->curve_t_ms[k]));
        cJSON_AddItemToArray(pt, cJSON_CreateNumber((double)t->curve_bad[k]));
        cJSON_AddItemToArray(c, pt);
    }
    if (t->lost_events >= 0) {
        cJSON_AddNumberToObject(o, "lost_events", (double)t->lost_events);
        cJSON_AddNumberToObject(o, "recovered", (double)t->recovered);
        cJSON_AddNumberToObject(o, "out_of_order", (double)t->out_of_order);
        rec = cJSON_AddArrayToObject(o, "applied_more_than_once");
        for (k = 0; k < t->n_multi; k++) {
            cJSON *x = cJSON_CreateObject();

            cJSON_AddStringToObject(x, "id", t->multi[k].id);
            cJSON_AddNumberToObject(x, "times", (double)t->multi[k].times);
            cJSON_AddItemToArray(rec, x);
        }
        rec = cJSON_AddArrayToObject(o, "recovered_events");
        for (k = 0; k < t->n_recovery; k++) {
            cJSON *x = cJSON_CreateObject();

            cJSON_AddStringToObject(x, "id", t->recovery[k].id);
            cJSON_AddStringToObject(x, "via", t->recovery[k].via);
            if (t->recovery[k].at_ms >= 0)
                cJSON_AddNumberToObject(x, "served_at_ms",
                                        (double)t->recovery[k].at_ms);
            cJSON_AddItemToArray(rec, x);
        }
        lost = cJSON_AddArrayToObject(o, "lost");
        for (k = 0; k < t->n_lost_ids; k++)
            cJSON_AddItemToArray(lost, cJSON_CreateString(t->lost_ids[k]));
    }
    return o;
}

static cJSON *latency_json(const struct hr_hist *h)
{
    cJSON *o = cJSON_CreateObject(), *b;
    size_t i;

    cJSON_AddNumberToObject(o, "count", (double)h->total);
    cJSON_AddNumberToObject(o, "p50", ms(hr_hist_quantile(h, 0.50)));
    cJSON_AddNumberToObject(o, "p95", ms(hr_hist_quantile(h, 0.95)));
    cJSON_AddNumberToObject(o, "p99", ms(hr_hist_quantile(h, 0.99)));
    cJSON_AddNumberToObject(o, "max", ms(h->max_us));
    cJSON_AddNumberToObject(
        o, "mean", h->total ? h->sum_us / 1000.0 / (double)h->total : 0);
    /* Sparse buckets [index, count] so results from shards merge exactly. */
    b = cJSON_AddArrayToObject(o, "buckets_us");
    for (i = 0; i < HR_HIST_BUCKETS; i++) {
        if (h->counts[i]) {
            cJSON *pair = cJSON_CreateArray();

            cJSON_AddItemToArray(pair, cJSON_CreateNumber((double)i));
            cJSON_AddItemToArray(pair,
                                 cJSON_CreateNumber((double)h->counts[i]));
            cJSON_AddItemToArray(b, pair);
        }
    }
    return o;
}

cJSON *hr_result_totals_json(const struct hr_run_totals *t)
{
    cJSON *o = cJSON_CreateObject(), *st, *er, *lat;
    char code[8];
    int i;

    int64_t sendable = t->events - t->dropped;
    int64_t sent = sendable + t->duplicates_sent + t->attacker_sent;

    cJSON_AddNumberToObject(o, "events", (double)t->events);
    cJSON_AddNumberToObject(o, "dropped", (double)t->dropped);
    if (t->skipped)
        cJSON_AddNumberToObject(o, "skipped", (double)t->skipped);
    cJSON_AddNumberToObject(o, "delivered", (double)t->delivered);
    cJSON_AddNumberToObject(o, "failed", (double)t->failed);
    cJSON_AddNumberToObject(
        o, "delivery_rate",
        sendable > 0 ? (double)t->delivered / (double)sendable : 0);
    cJSON_AddNumberToObject(o, "attempts", (double)t->attempts);
    cJSON_AddNumberToObject(o, "retries", (double)(t->attempts - sent));
    cJSON_AddNumberToObject(o, "duplicates_sent", (double)t->duplicates_sent);
    cJSON_AddNumberToObject(o, "duplicates_delivered",
                            (double)t->duplicates_delivered);
    cJSON_AddNumberToObject(o, "forged_sent", (double)t->attacker_sent);
    cJSON_AddNumberToObject(o, "forged_acknowledged",
                            (double)t->attacker_acknowledged);
    if (t->forged_accepted >= 0)
        cJSON_AddNumberToObject(o, "forged_accepted",
                                (double)t->forged_accepted);
    else
        cJSON_AddNullToObject(o, "forged_accepted");
    if (t->duplicates_processed >= 0)
        cJSON_AddNumberToObject(o, "duplicates_processed",
                                (double)t->duplicates_processed);
    else
        cJSON_AddNullToObject(o, "duplicates_processed");
    if (t->evidence_dups[0])
        cJSON_AddStringToObject(o, "duplicates_evidence", t->evidence_dups);
    if (t->duplicates_processed >= 0)
        cJSON_AddNumberToObject(o, "duplicates_covered",
                                (double)t->duplicates_covered);
    cJSON_AddNumberToObject(o, "redelivered", (double)t->redelivered);
    if (t->dups_checked) {
        cJSON *d = cJSON_AddObjectToObject(o, "duplicates_by_state");

        cJSON_AddNumberToObject(d, "checked", (double)t->dups_checked);
        cJSON_AddNumberToObject(d, "measured", (double)t->dups_measured);
        cJSON_AddNumberToObject(d, "processed", (double)t->dups_changed);
    }
    cJSON_AddNumberToObject(o, "injected_failures",
                            (double)t->injected_failures);
    cJSON_AddNumberToObject(o, "handshakes", (double)t->handshakes);
    cJSON_AddNumberToObject(o, "handshakes_ok", (double)t->handshakes_ok);
    if (t->handshake_error[0])
        cJSON_AddStringToObject(o, "handshake_error", t->handshake_error);
    cJSON_AddNumberToObject(o, "payload_faults", (double)t->payload_faults);
    cJSON_AddNumberToObject(o, "payload_mishandled",
                            (double)t->payload_mishandled);
    if (t->probe_error[0])
        cJSON_AddStringToObject(o, "probe_error", t->probe_error);
    cJSON_AddNumberToObject(o, "answered", (double)t->answered);
    st = cJSON_AddObjectToObject(o, "status_counts");
    for (i = 0; i < HR_STATUS_MAX; i++) {
        if (!t->status[i])
            continue;
        snprintf(code, sizeof(code), "%d", i);
        cJSON_AddNumberToObject(st, code, (double)t->status[i]);
    }
    er = cJSON_AddObjectToObject(o, "errors");
    cJSON_AddNumberToObject(er, "connect", (double)t->err_connect);
    cJSON_AddNumberToObject(er, "timeout", (double)t->err_timeout);
    cJSON_AddNumberToObject(er, "other", (double)t->err_other);
    lat = cJSON_AddObjectToObject(o, "ack_latency_ms");
    cJSON_AddItemToObject(lat, "from_actual", latency_json(&t->ack_actual));
    cJSON_AddItemToObject(lat, "from_planned", latency_json(&t->ack_planned));
    cJSON_AddNumberToObject(o, "duration_ms", (double)t->duration_ms);
    return o;
}

cJSON *hr_result_checks_json(const struct hr_verdict_set *v)
{
    cJSON *arr = cJSON_CreateArray();
    size_t i;

    for (i = 0; i < v->n; i++) {
        const struct hr_check *c = &v->checks[i];
        cJSON *o = cJSON_CreateObject();

        cJSON_AddStringToObject(o, "name", c->name);
        cJSON_AddStringToObject(o, "op", c->op);
        cJSON_AddNumberToObject(o, "threshold", c->threshold);
        if (c->measured)
            cJSON_AddNumberToObject(o, "value", c->value);
        else
            cJSON_AddNullToObject(o, "value");
        cJSON_AddStringToObject(o, "result",
                                !c->measured ? "not_measured"
                                : c->passed  ? "pass"
                                             : "fail");
        cJSON_AddStringToObject(o, "evidence",
                                c->evidence ? c->evidence : "status");
        /* whether not measuring it fails the run; report merge reads it */
        cJSON_AddBoolToObject(o, "required", c->required);
        if (c->note[0])
            cJSON_AddStringToObject(o, "note", c->note);
        cJSON_AddItemToArray(arr, o);
    }
    return arr;
}

const char *hr_result_verdict_name(int code)
{
    switch (code) {
    case HR_EXIT_OK:
        return "pass";
    case HR_EXIT_THRESHOLD:
        return "fail";
    case HR_EXIT_INPUT:
        return "input_error";
    case HR_EXIT_TARGET:
        return "unreachable";
    default:
        return "error";
    }
}

int hr_result_close(struct hr_result *r, const struct hr_run_totals *t,
                    const struct hr_verdict_set *v, const struct hr_err *fatal)
{
    cJSON *tail = cJSON_CreateObject();
    char *txt;
    int code = fatal ? fatal->code : v->exit_code, rc;

    cJSON_AddItemToObject(tail, "totals", hr_result_totals_json(t));
    if (t->recon_measured)
        cJSON_AddItemToObject(tail, "reconciliation",
                              recon_json(t, r->deadline_ms));
    if (t->api_summary)
        cJSON_AddItemReferenceToObject(tail, "api", t->api_summary);
    cJSON_AddItemToObject(tail, "checks", hr_result_checks_json(v));
    cJSON_AddStringToObject(tail, "verdict", hr_result_verdict_name(code));
    cJSON_AddNumberToObject(tail, "exit_code", code);
    cJSON_AddBoolToObject(tail, "interrupted", t->interrupted);
    if (t->input_error)
        cJSON_AddStringToObject(tail, "input_error", t->input_msg);
    if (fatal)
        cJSON_AddStringToObject(tail, "error", fatal->msg);
    txt = cJSON_PrintUnformatted(tail);
    cJSON_Delete(tail);
    rc = txt ? fprintf(r->f, "\n],%s\n", txt + 1) : -1;
    cJSON_free(txt);
    if (fclose(r->f))
        rc = -1;
    hr_free(r->path);
    hr_free(r);
    return rc < 0 ? -1 : 0;
}
