/* SPDX-License-Identifier: MIT */
/*
 * Exact merge of shard results: counts add, histograms merge bucket by
 * bucket, percentiles come from the merged histogram, events are
 * concatenated, and the checks every shard shares (same op, same
 * threshold) are judged again on the merged totals by the same code a
 * run uses; one the totals cannot recompute keeps the shards' common
 * verdict; a check only some shards have is kept as not measured, with
 * a note saying why, and fails the merge only if a shard asked for it.
 */
#include "report.h"
#include "result.h"
#include "run.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int64_t num64(const cJSON *o, const char *dotted)
{
    return (int64_t)llround(hr_report_num(o, dotted, 0));
}

static int add_statuses(struct hr_run_totals *t, const cJSON *st)
{
    const cJSON *it;

    cJSON_ArrayForEach(it, st)
    {
        char *end;
        long code = strtol(it->string, &end, 10);

        if (*end || code < 0 || code >= HR_STATUS_MAX || !cJSON_IsNumber(it))
            return -1;
        t->status[code] += (int64_t)llround(it->valuedouble);
    }
    return 0;
}

static int add_latency(struct hr_hist *into, const cJSON *lat,
                       const char *which)
{
    struct hr_hist *h = hr_malloc(sizeof(*h));
    int rc;

    if (!h)
        return -1;
    rc = hr_report_hist(cJSON_GetObjectItemCaseSensitive(lat, which), h);
    if (rc == 0)
        hr_hist_merge(into, h);
    hr_free(h);
    return rc;
}

/*
 * Adds a count a shard may not have measured (null there): the sum over
 * the shards that measured it, -1 while none has. With a shard that did
 * not measure it the sum is a lower bound; the checks say so.
 */
static void add_measured(int64_t *into, const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

    if (!cJSON_IsNumber(v))
        return;
    if (*into < 0)
        *into = 0;
    *into += (int64_t)llround(v->valuedouble);
}

/* Keeps the first shard's message, named after the shard. */
static void first_message(char *into, size_t size, const cJSON *o,
                          const char *name, const char *shard)
{
    const char *msg = hr_report_str(o, name, "");

    if (!into[0] && msg[0])
        snprintf(into, size, "%s: %s", shard, msg);
}

/* The union of the shards' duplicate evidence words. */
static void add_dup_evidence(char *into, size_t size, const cJSON *o)
{
    const char *e = hr_report_str(o, "duplicates_evidence", "");
    int state = strstr(into, "state") || strstr(e, "state");
    int self = strstr(into, "self-report") || strstr(e, "self-report");

    snprintf(into, size, "%s%s%s", state ? "state" : "",
             state && self ? "+" : "", self ? "self-report" : "");
}

/* Adds the counts of deliberate faults and the evidence on them. */
static void add_fault_totals(struct hr_run_totals *t, const cJSON *o,
                             const char *shard)
{
    t->duplicates_sent += num64(o, "duplicates_sent");
    t->duplicates_delivered += num64(o, "duplicates_delivered");
    t->attacker_sent += num64(o, "forged_sent");
    t->attacker_acknowledged += num64(o, "forged_acknowledged");
    t->injected_failures += num64(o, "injected_failures");
    t->redelivered += num64(o, "redelivered");
    t->duplicates_covered += num64(o, "duplicates_covered");
    t->dups_checked += num64(o, "duplicates_by_state.checked");
    t->dups_measured += num64(o, "duplicates_by_state.measured");
    t->dups_changed += num64(o, "duplicates_by_state.processed");
    add_measured(&t->forged_accepted, o, "forged_accepted");
    add_measured(&t->duplicates_processed, o, "duplicates_processed");
    add_dup_evidence(t->evidence_dups, sizeof(t->evidence_dups), o);
    first_message(t->probe_error, sizeof(t->probe_error), o, "probe_error",
                  shard);
    first_message(t->handshake_error, sizeof(t->handshake_error), o,
                  "handshake_error", shard);
}

/* Adds one shard's totals into t. 0, or -1 when they are malformed. */
static int add_totals(struct hr_run_totals *t, const cJSON *res,
                      const char *shard)
{
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(res, "totals");
    const cJSON *lat = cJSON_GetObjectItemCaseSensitive(o, "ack_latency_ms");
    int64_t dur = num64(o, "duration_ms");

    t->events += num64(o, "events");
    /* The delivery rate is of the sendable events: dropped ones add up
     * too, or a merge of shards with drops could never reach 1. */
    t->dropped += num64(o, "dropped");
    t->skipped += num64(o, "skipped");
    t->delivered += num64(o, "delivered");
    t->failed += num64(o, "failed");
    t->attempts += num64(o, "attempts");
    t->answered += num64(o, "answered");
    t->err_connect += num64(o, "errors.connect");
    t->err_timeout += num64(o, "errors.timeout");
    t->err_other += num64(o, "errors.other");
    t->handshakes += num64(o, "handshakes");
    t->handshakes_ok += num64(o, "handshakes_ok");
    t->payload_faults += num64(o, "payload_faults");
    t->payload_mishandled += num64(o, "payload_mishandled");
    add_fault_totals(t, o, shard);
    /* Shards run side by side: the merged run took as long as the
     * longest shard. */
    if (dur > t->duration_ms)
        t->duration_ms = dur;
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(res, "interrupted")))
        t->interrupted = 1;
    if (add_statuses(t, cJSON_GetObjectItemCaseSensitive(o, "status_counts")) ||
        add_latency(&t->ack_actual, lat, "from_actual") ||
        add_latency(&t->ack_planned, lat, "from_planned"))
        return -1;
    return 0;
}

/* The thresholds a run's verdict.c knows, recovered from a check. */
static int known_threshold(struct hr_thresholds *th, const cJSON *c)
{
    const char *name = hr_report_str(c, "name", "");
    double v = hr_report_num(c, "threshold", 0);

    if (strcmp(name, "min_delivery_rate") == 0) {
        th->has_min_delivery_rate = 1;
        th->min_delivery_rate = v;
    } else if (strcmp(name, "max_ack_p99_ms") == 0) {
        th->has_max_ack_p99_ms = 1;
        th->max_ack_p99_ms = (int64_t)v;
    } else if (strcmp(name, "max_failed") == 0) {
        th->has_max_failed = 1;
        th->max_failed = (int64_t)v;
    } else {
        return -1;
    }
    return 0;
}

/*
 * 1 for the checks a run adds from its totals alone (no threshold to
 * agree on): the merged totals bring them back by themselves.
 */
static int from_totals(const char *name)
{
    return strcmp(name, "handshake") == 0 ||
           strcmp(name, "max_payload_mishandled") == 0;
}

/* The check named name in res, or NULL. */
static const cJSON *check_named(const cJSON *res, const char *name)
{
    const cJSON *c;

    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(res, "checks"))
    {
        if (strcmp(hr_report_str(c, "name", ""), name) == 0)
            return c;
    }
    return NULL;
}

static int same_check(const cJSON *a, const cJSON *b)
{
    return strcmp(hr_report_str(a, "op", ""), hr_report_str(b, "op", "")) ==
               0 &&
           hr_report_num(a, "threshold", 0) == hr_report_num(b, "threshold", 0);
}

/* 1 when an earlier shard (before shard i) already listed c's name. */
static int seen_before(cJSON *const *res, size_t i, const cJSON *c)
{
    size_t k;

    for (k = 0; k < i; k++)
        if (check_named(res[k], hr_report_str(c, "name", "")))
            return 1;
    return 0;
}

/*
 * 1 when the run that wrote c asked for it: its "required" (true when
 * absent, as in results written before the field). A run writes false
 * for checks it always measures; of those, the ones it adds only for a
 * threshold the scenario set, and require_consistent (required by
 * default with collections), count as asked for.
 */
static int asked_for(const cJSON *c)
{
    static const char *const set_only[] = {
        "max_failed", "max_time_to_consistency_ms", "require_consistent", NULL};
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(c, "required");
    size_t i;

    if (!cJSON_IsBool(r) || cJSON_IsTrue(r))
        return 1;
    for (i = 0; set_only[i]; i++)
        if (strcmp(hr_report_str(c, "name", ""), set_only[i]) == 0)
            return 1;
    return 0;
}

/* 1 when any shard asked for the check called name. */
static int asked_by_any(cJSON *const *res, size_t n, const char *name)
{
    size_t i;

    for (i = 0; i < n; i++) {
        const cJSON *c = check_named(res[i], name);

        if (c && asked_for(c))
            return 1;
    }
    return 0;
}

/* A copy of c's name, op, threshold and evidence, without a result. */
static cJSON *check_head(const cJSON *c)
{
    cJSON *o = cJSON_CreateObject();

    cJSON_AddStringToObject(o, "name", hr_report_str(c, "name", "?"));
    cJSON_AddStringToObject(o, "op", hr_report_str(c, "op", "<="));
    cJSON_AddNumberToObject(o, "threshold", hr_report_num(c, "threshold", 0));
    return o;
}

static void check_tail(cJSON *o, const cJSON *c, const char *result, int asked,
                       const char *note)
{
    cJSON_AddStringToObject(o, "result", result);
    cJSON_AddStringToObject(o, "evidence",
                            hr_report_str(c, "evidence", "status"));
    cJSON_AddBoolToObject(o, "required", asked);
    cJSON_AddStringToObject(o, "note", note);
}

/*
 * Why check c (first listed by some shard) cannot be judged on the merged
 * totals, written to note; 0 when it can (every shard has it with the
 * same op and threshold). Shards that lack it are named.
 */
static int why_unjudged(cJSON *const *res, const char *const *names, size_t n,
                        const cJSON *c, struct hr_buf *note)
{
    const char *name = hr_report_str(c, "name", "");
    size_t i, missing = 0, differ = 0;

    for (i = 0; i < n; i++) {
        const cJSON *o = check_named(res[i], name);

        if (!o) {
            hr_buf_printf(note, "%s%s", missing++ ? ", " : "", names[i]);
            continue;
        }
        differ += !same_check(o, c);
    }
    if (missing) {
        hr_buf_printf(note, " lacked this check, so it is not judged on "
                            "the merged totals");
        return -1;
    }
    if (differ) {
        hr_buf_printf(note, "the shards set different thresholds for it");
        return -1;
    }
    return 0;
}

/*
 * Adds a not-measured copy of c with note to arr. As in a run, it fails
 * the merge only when some shard asked for the check.
 */
static void add_unjudged(cJSON *arr, const cJSON *c, const char *note,
                         int asked, int *code)
{
    cJSON *o = check_head(c);

    cJSON_AddNullToObject(o, "value");
    check_tail(o, c, "not_measured", asked, note);
    cJSON_AddItemToArray(arr, o);
    if (asked && *code == HR_EXIT_OK)
        *code = HR_EXIT_THRESHOLD;
}

/* The shards' verdicts on one check, as kept by add_agreed. */
struct agreement {
    size_t failed, unmeasured;
    int sum;  /* value is the sum (a count with limit 0), else worst */
    int have; /* some shard measured a value */
    double value;
    struct hr_buf who_failed, who_unmeasured;
};

static void tally(struct agreement *a, const cJSON *o, const char *name, int le)
{
    const char *r = hr_report_str(o, "result", "");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "value");

    if (strcmp(r, "fail") == 0)
        hr_buf_printf(&a->who_failed, "%s%s", a->failed++ ? ", " : "", name);
    else if (strcmp(r, "pass") != 0 || !cJSON_IsNumber(v))
        hr_buf_printf(&a->who_unmeasured, "%s%s", a->unmeasured++ ? ", " : "",
                      name);
    if (!cJSON_IsNumber(v))
        return;
    if (!a->have)
        a->value = v->valuedouble;
    else if (a->sum)
        a->value += v->valuedouble;
    else if (le ? v->valuedouble > a->value : v->valuedouble < a->value)
        a->value = v->valuedouble;
    a->have = 1;
}

static void agreement_note(struct hr_buf *b, const struct agreement *a)
{
    const char *how = a->sum ? "the sum over the shards that measured it"
                             : "the worst shard's";

    hr_buf_printf(b, "not recomputable from merged totals; kept from the "
                     "shards, each judged on its own: ");
    if (a->failed)
        hr_buf_printf(b, "failed in %s", a->who_failed.data);
    else if (!a->unmeasured)
        hr_buf_printf(b, "every shard passed");
    if (a->unmeasured)
        hr_buf_printf(b, "%snot measured in %s", a->failed ? "; " : "",
                      a->who_unmeasured.data);
    if (a->failed || !a->unmeasured)
        hr_buf_printf(b, "; the value is %s", how);
}

/* 1 for checks whose value counts items, so shards' values add up. */
static int counts_items(const char *name)
{
    return strcmp(name, "max_forged_accepted") == 0 ||
           strcmp(name, "max_forged_acknowledged") == 0 ||
           strcmp(name, "max_duplicates_processed") == 0 ||
           strcmp(name, "max_lost_events") == 0 ||
           strcmp(name, "max_stale_objects") == 0;
}

/*
 * Adds check c, which every shard has with the same op and threshold but
 * the merged totals cannot recompute, as the shards judged it: failed
 * when any shard failed it, passed when all passed, else not measured.
 */
static void add_agreed(cJSON *arr, cJSON *const *res, const char *const *names,
                       size_t n, const cJSON *c, int asked, int *code)
{
    const char *name = hr_report_str(c, "name", "");
    int le = hr_report_str(c, "op", "<=")[0] == '<';
    struct agreement a;
    struct hr_buf note;
    size_t i;
    cJSON *o;

    memset(&a, 0, sizeof(a));
    a.sum = le && counts_items(name) && hr_report_num(c, "threshold", 1) == 0;
    for (i = 0; i < n; i++)
        tally(&a, check_named(res[i], name), names[i], le);
    hr_buf_init(&note, 0);
    agreement_note(&note, &a);
    if ((a.failed || !a.unmeasured) && a.have) {
        o = check_head(c);
        cJSON_AddNumberToObject(o, "value", a.value);
        check_tail(o, c, a.failed ? "fail" : "pass", asked, note.data);
        cJSON_AddItemToArray(arr, o);
        if (a.failed && *code == HR_EXIT_OK)
            *code = HR_EXIT_THRESHOLD;
    } else {
        add_unjudged(arr, c, note.data, asked, code);
    }
    hr_buf_free(&note);
    hr_buf_free(&a.who_failed);
    hr_buf_free(&a.who_unmeasured);
}

/* Sets in th every recomputable threshold all shards share. */
static void shared_thresholds(cJSON *const *res, const char *const *names,
                              size_t n, struct hr_thresholds *th)
{
    struct hr_buf note;
    const cJSON *c;
    size_t i;

    for (i = 0; i < n; i++)
        cJSON_ArrayForEach(c,
                           cJSON_GetObjectItemCaseSensitive(res[i], "checks"))
        {
            if (seen_before(res, i, c))
                continue;
            hr_buf_init(&note, 0);
            if (!why_unjudged(res, names, n, c, &note))
                known_threshold(th, c);
            hr_buf_free(&note);
        }
}

/* Adds each check the merged totals did not judge, as add_agreed says. */
static void add_kept(cJSON *arr, cJSON *const *res, const char *const *names,
                     size_t n, int *code)
{
    struct hr_thresholds probe;
    struct hr_buf note;
    const cJSON *c;
    size_t i;

    for (i = 0; i < n; i++)
        cJSON_ArrayForEach(c,
                           cJSON_GetObjectItemCaseSensitive(res[i], "checks"))
        {
            const char *name = hr_report_str(c, "name", "");
            int asked = asked_by_any(res, n, name);

            if (seen_before(res, i, c) || from_totals(name))
                continue;
            memset(&probe, 0, sizeof(probe));
            hr_buf_init(&note, 0);
            if (why_unjudged(res, names, n, c, &note))
                add_unjudged(arr, c, note.data ? note.data : "", asked, code);
            else if (known_threshold(&probe, c))
                add_agreed(arr, res, names, n, c, asked, code);
            hr_buf_free(&note);
        }
}

/*
 * Judges the merged totals with hr_run_judge against every recomputable
 * check that all shards share with the same op and threshold, and against
 * the checks a run adds from its totals (handshake, payload faults); sets
 * *code. Returns the checks array: re-judged checks carry a note saying
 * so; the others are kept as add_kept and add_unjudged say.
 */
static cJSON *judge(cJSON *const *res, const char *const *names, size_t n,
                    const struct hr_run_totals *t, int *code)
{
    struct hr_run_totals *only = hr_malloc(sizeof(*only));
    struct hr_scenario s;
    struct hr_verdict_set v;
    cJSON *arr, *it;

    if (!only)
        return NULL;
    /* The probe's evidence is judged per shard (add_kept): hide what
     * would make the verdict code judge it again on the sums. */
    *only = *t;
    only->attacker_sent = only->duplicates_sent = 0;
    only->injected_failures = 0;
    only->forged_accepted = only->duplicates_processed = -1;
    only->probe_error[0] = '\0';
    hr_scenario_defaults(&s);
    memset(&s.thresholds, 0, sizeof(s.thresholds));
    shared_thresholds(res, names, n, &s.thresholds);
    hr_run_judge(&s, only, &v);
    hr_free(only);
    *code = v.exit_code;
    arr = hr_result_checks_json(&v);
    cJSON_ArrayForEach(it, arr)
    {
        cJSON_DeleteItemFromObjectCaseSensitive(it, "note");
        cJSON_AddStringToObject(it, "note",
                                "judged again on the merged "
                                "totals");
    }
    add_kept(arr, res, names, n, code);
    return arr;
}

/* The first string at key among the results, or a joined list. */
static void merged_string(cJSON *out, cJSON *const *res, size_t n,
                          const char *key)
{
    struct hr_buf b;
    size_t i, j;

    hr_buf_init(&b, 0);
    for (i = 0; i < n; i++) {
        const char *s = hr_report_str(res[i], key, NULL);

        for (j = 0; s && j < i; j++) {
            const char *e = hr_report_str(res[j], key, NULL);

            if (e && strcmp(s, e) == 0)
                break;
        }
        if (s && j == i)
            hr_buf_printf(&b, "%s%s", b.len ? ", " : "", s);
    }
    if (b.len || strcmp(key, "cassette") == 0)
        cJSON_AddStringToObject(out, key, b.data ? b.data : "");
    hr_buf_free(&b);
}

static void head(cJSON *out, cJSON *const *res, const char *const *names,
                 size_t n)
{
    const char *start = hr_report_str(res[0], "started_at", "");
    cJSON *from;
    size_t i;

    for (i = 1; i < n; i++) {
        const char *s = hr_report_str(res[i], "started_at", "");

        if (strcmp(s, start) < 0)
            start = s;
    }
    cJSON_AddStringToObject(out, "hookreplay", "result");
    cJSON_AddNumberToObject(out, "version", 1);
    cJSON_AddStringToObject(out, "started_at", start);
    merged_string(out, res, n, "scenario");
    merged_string(out, res, n, "cassette");
    cJSON_AddNumberToObject(out, "seed", hr_report_num(res[0], "seed", 0));
    cJSON_AddStringToObject(out, "pacing",
                            hr_report_str(res[0], "pacing", "recorded"));
    from = cJSON_AddArrayToObject(out, "merged_from");
    for (i = 0; i < n; i++)
        cJSON_AddItemToArray(from, cJSON_CreateString(names[i]));
}

static void concat_events(cJSON *out, cJSON *const *res, size_t n)
{
    cJSON *all = cJSON_AddArrayToObject(out, "events");
    const cJSON *ev;
    size_t i;

    for (i = 0; i < n; i++)
        cJSON_ArrayForEach(ev,
                           cJSON_GetObjectItemCaseSensitive(res[i], "events"))
        {
            cJSON_AddItemToArray(all, cJSON_Duplicate(ev, 1));
        }
}

/* Stop reasons of the shards: input errors and fatal errors carry over. */
static void carry_errors(cJSON *out, cJSON *const *res,
                         const char *const *names, size_t n, int *code)
{
    size_t i;

    for (i = 0; i < n; i++) {
        const char *ie = hr_report_str(res[i], "input_error", NULL);
        const char *fe = hr_report_str(res[i], "error", NULL);
        char msg[1200];

        if (ie && !cJSON_GetObjectItemCaseSensitive(out, "input_error")) {
            snprintf(msg, sizeof(msg), "%s: %s", names[i], ie);
            cJSON_AddStringToObject(out, "input_error", msg);
            if (*code != HR_EXIT_INTERNAL)
                *code = HR_EXIT_INPUT;
        }
        if (fe && !cJSON_GetObjectItemCaseSensitive(out, "error")) {
            snprintf(msg, sizeof(msg), "%s: %s", names[i], fe);
            cJSON_AddStringToObject(out, "error", msg);
            *code = (int)hr_report_num(res[i], "exit_code", HR_EXIT_INTERNAL);
        }
    }
}

cJSON *hr_report_merge(cJSON *const *res, const char *const *names, size_t n,
                       struct hr_err *err)
{
    struct hr_run_totals *t = hr_calloc(1, sizeof(*t));
    cJSON *out = NULL, *checks;
    size_t i;
    int code;

    if (!t || n == 0) {
        hr_errf(err, t ? HR_EXIT_INPUT : HR_EXIT_INTERNAL,
                t ? "nothing to merge" : "out of memory");
        goto done;
    }
    t->forged_accepted = -1;
    t->duplicates_processed = -1;
    for (i = 0; i < n; i++) {
        if (add_totals(t, res[i], names[i])) {
            hr_errf(err, HR_EXIT_INPUT,
                    "%s: /totals: malformed counts or histogram", names[i]);
            goto done;
        }
    }
    out = cJSON_CreateObject();
    head(out, res, names, n);
    concat_events(out, res, n);
    cJSON_AddItemToObject(out, "totals", hr_result_totals_json(t));
    checks = judge(res, names, n, t, &code);
    if (!checks) {
        hr_errf(err, HR_EXIT_INTERNAL, "out of memory");
        cJSON_Delete(out);
        out = NULL;
        goto done;
    }
    cJSON_AddItemToObject(out, "checks", checks);
    carry_errors(out, res, names, n, &code);
    cJSON_AddStringToObject(out, "verdict", hr_result_verdict_name(code));
    cJSON_AddNumberToObject(out, "exit_code", code);
    cJSON_AddBoolToObject(out, "interrupted", t->interrupted);
    /* The stop reasons were added before the verdict; move them last so
     * the file reads in the order a run writes it. */
    checks = cJSON_DetachItemFromObject(out, "input_error");
    if (checks)
        cJSON_AddItemToObject(out, "input_error", checks);
    checks = cJSON_DetachItemFromObject(out, "error");
    if (checks)
        cJSON_AddItemToObject(out, "error", checks);
done:
    hr_free(t);
    return out;
}

int hr_report_write_json(FILE *f, const cJSON *res)
{
    const cJSON *it, *ev;
    int first = 1;

    fputc('{', f);
    for (it = res->child; it; it = it->next) {
        char *txt;

        fprintf(f, "%s\"%s\":", first ? "" : ",", it->string);
        first = 0;
        if (strcmp(it->string, "events") == 0) {
            fputs("[\n", f);
            cJSON_ArrayForEach(ev, it)
            {
                txt = cJSON_PrintUnformatted(ev);
                if (!txt)
                    return -1;
                fprintf(f, "%s%s", txt, ev->next ? ",\n" : "\n");
                cJSON_free(txt);
            }
            fputs("]", f);
            continue;
        }
        txt = cJSON_PrintUnformatted(it);
        if (!txt)
            return -1;
        fputs(txt, f);
        cJSON_free(txt);
        if (it->next && strcmp(it->next->string, "events") == 0)
            fputc('\n', f);
    }
    fputs("}\n", f);
    return ferror(f) ? -1 : 0;
}
