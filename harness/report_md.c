/* SPDX-License-Identifier: MIT */
/* The Markdown report: short enough for a PR comment or a CI summary. */
#include "report.h"

#include <string.h>

#define MAX_EVENT_LINES 10

/*
 * Payload text in Markdown: HTML-significant characters become entities
 * (renderers pass raw HTML through) and Markdown punctuation is escaped,
 * so an event id can neither inject markup nor break a table.
 */
static void md_escape(FILE *f, const char *s)
{
    const char *p;

    for (p = s ? s : ""; *p; p++) {
        if (*p == '<')
            fputs("&lt;", f);
        else if (*p == '>')
            fputs("&gt;", f);
        else if (*p == '&')
            fputs("&amp;", f);
        else if (*p == '|')
            fputs("&#124;", f);
        else if (*p == '\n' || *p == '\r' || *p == '\t')
            fputc(' ', f);
        else if (strchr("\\`*_[]~", *p))
            fprintf(f, "\\%c", *p);
        else
            fputc(*p, f);
    }
}

/* "s" unless n is exactly one: "1 event", "2 events", "0 events". */
static const char *plural(double n)
{
    return n == 1 ? "" : "s";
}

static int checks_have_notes(const cJSON *checks)
{
    const cJSON *c;

    cJSON_ArrayForEach(c, checks)
    {
        if (hr_report_str(c, "note", NULL))
            return 1;
    }
    return 0;
}

static void checks_table(FILE *f, const cJSON *res)
{
    const cJSON *c, *checks = cJSON_GetObjectItemCaseSensitive(res, "checks");

    if (cJSON_GetArraySize(checks) == 0) {
        fputs("No thresholds were set, so nothing was judged.\n\n", f);
        return;
    }
    fputs("| check | threshold | value | result | evidence |\n"
          "|---|---|---|---|---|\n",
          f);
    cJSON_ArrayForEach(c, checks)
    {
        const char *r = hr_report_str(c, "result", "");
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(c, "value");
        const char *op;

        fputs("| ", f);
        md_escape(f, hr_report_str(c, "name", "?"));
        op = hr_report_str(c, "op", "?");
        fputs(" | ", f);
        if (strcmp(op, ">=") == 0 || strcmp(op, "<=") == 0)
            fputs(op, f); /* safe as they are, and easier to read */
        else
            md_escape(f, op);
        fprintf(f, " %g | ", hr_report_num(c, "threshold", 0));
        if (cJSON_IsNumber(v))
            fprintf(f, "%g", v->valuedouble);
        else
            fputs("-", f);
        fprintf(f, " | %s | ",
                strcmp(r, "fail") == 0   ? "**fail**"
                : strcmp(r, "pass") == 0 ? "pass"
                                         : "not measured");
        md_escape(f, hr_report_str(c, "evidence", "?"));
        fputs(" |\n", f);
    }
    fputc('\n', f);
    cJSON_ArrayForEach(c, checks)
    {
        const char *note = hr_report_str(c, "note", NULL);

        if (!note)
            continue;
        fputs("- ", f);
        md_escape(f, hr_report_str(c, "name", "?"));
        fputs(": ", f);
        md_escape(f, note);
        fputc('\n', f);
    }
    if (cJSON_GetArraySize(checks) && checks_have_notes(checks))
        fputc('\n', f);
}

static void statuses(FILE *f, const cJSON *t)
{
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(t, "status_counts");
    const cJSON *it;
    int any = 0;

    fputs("Answers:", f);
    cJSON_ArrayForEach(it, st)
    {
        fprintf(f, "%s ", any ? "," : "");
        md_escape(f, it->string);
        fprintf(f, " x%g", it->valuedouble);
        any = 1;
    }
    fprintf(f, "%s; connect errors %g, timeouts %g, other errors %g.\n\n",
            any ? "" : " none", hr_report_num(t, "errors.connect", 0),
            hr_report_num(t, "errors.timeout", 0),
            hr_report_num(t, "errors.other", 0));
}

static void latency_row(FILE *f, const char *label, const cJSON *lat)
{
    if (hr_report_num(lat, "count", 0) == 0) {
        fprintf(f, "| %s | - | - | - | - |\n", label);
        return;
    }
    fprintf(f, "| %s | %g | %g | %g | %g |\n", label,
            hr_report_num(lat, "p50", 0), hr_report_num(lat, "p95", 0),
            hr_report_num(lat, "p99", 0), hr_report_num(lat, "max", 0));
}

/*
 * "26 of 26 sendable events delivered (100.0%); 5 dropped ...": the rate
 * is of the events that were sent, as in the text summary, and dropped
 * events are counted apart so the numbers add up to the events.
 */
static void delivered_line(FILE *f, const cJSON *t)
{
    double events = hr_report_num(t, "events", 0);
    double dropped = hr_report_num(t, "dropped", 0);
    double sendable = events - dropped;
    double attempts = hr_report_num(t, "attempts", 0);
    double retries = hr_report_num(t, "retries", 0);

    fprintf(f, "**Deliveries:** %g of %g %sevent%s delivered (%.1f%%)",
            hr_report_num(t, "delivered", 0), sendable,
            dropped > 0 ? "sendable " : "", plural(sendable),
            100.0 * hr_report_num(t, "delivery_rate", 0));
    if (dropped > 0)
        fprintf(f,
                "; %g dropped on purpose (never sent: only the API "
                "has %s)",
                dropped, dropped == 1 ? "it" : "them");
    fprintf(f, "; %g failed, %g attempt%s, %g retr%s.\n",
            hr_report_num(t, "failed", 0), attempts, plural(attempts), retries,
            retries == 1 ? "y" : "ies");
}

static void deliveries(FILE *f, const cJSON *res)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(res, "totals");
    const cJSON *lat = cJSON_GetObjectItemCaseSensitive(t, "ack_latency_ms");

    delivered_line(f, t);
    statuses(f, t);
    fputs("| ack latency (ms) | p50 | p95 | p99 | max |\n"
          "|---|---|---|---|---|\n",
          f);
    latency_row(f, "from send",
                cJSON_GetObjectItemCaseSensitive(lat, "from_actual"));
    latency_row(f, "from plan",
                cJSON_GetObjectItemCaseSensitive(lat, "from_planned"));
    fputc('\n', f);
}

#define MAX_WRONG_NAMED 5

static void wrong_objects(FILE *f, const cJSON *rec)
{
    const cJSON *w;
    int i = 0;

    cJSON_ArrayForEach(w, cJSON_GetObjectItemCaseSensitive(rec, "wrong"))
    {
        if (i++ == MAX_WRONG_NAMED)
            break;
        fputs(i > 1 ? "; " : ": ", f);
        md_escape(f, hr_report_str(w, "id", "?"));
        fputs(" ", f);
        md_escape(f, hr_report_str(w, "kind", "?"));
        if (hr_report_str(w, "detail", NULL)) {
            fputs(" (", f);
            md_escape(f, hr_report_str(w, "detail", ""));
            fputs(")", f);
        }
    }
}

/* One line: consistent after N ms, or which objects stayed wrong. */
static void consistency(FILE *f, const cJSON *res)
{
    const cJSON *rec = cJSON_GetObjectItemCaseSensitive(res, "reconciliation");
    double objects = hr_report_num(rec, "objects", 0);
    double lost = hr_report_num(rec, "lost_events", 0);
    double bad = objects - hr_report_num(rec, "consistent_objects", 0) +
                 hr_report_num(rec, "extra", 0);

    if (!cJSON_IsObject(rec))
        return;
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rec, "consistent")))
        fprintf(f,
                "**Consistency:** consistent %g ms after the replay, "
                "%g object%s",
                hr_report_num(rec, "stable_match_ms", 0), objects,
                plural(objects));
    else {
        fprintf(f,
                "**Consistency:** NOT consistent by the %g ms deadline, "
                "%g of %g object%s wrong",
                hr_report_num(rec, "deadline_ms", 0), bad, objects,
                plural(objects));
        wrong_objects(f, rec);
        if (bad > MAX_WRONG_NAMED)
            fprintf(f, "; and %g more", bad - MAX_WRONG_NAMED);
    }
    if (lost > 0)
        fprintf(f, ". %g event%s never applied", lost, plural(lost));
    fputs(".\n\n", f);
}

/* "; violated 3 (/v1/events x3)": the routes where a call came early. */
static void retry_after_routes(FILE *f, const cJSON *api)
{
    const cJSON *ra = cJSON_GetObjectItemCaseSensitive(api, "retry_after");
    const cJSON *r,
        *per = cJSON_GetObjectItemCaseSensitive(ra, "violated_per_route");
    double violated = hr_report_num(ra, "violated", 0);
    int any = 0;

    fprintf(f, ", %s%g%s", violated > 0 ? "**violated " : "violated ", violated,
            violated > 0 ? "**" : "");
    cJSON_ArrayForEach(r, per)
    {
        fputs(any ? ", " : " (", f);
        md_escape(f, r->string);
        fprintf(f, " x%g", cJSON_IsNumber(r) ? r->valuedouble : 0);
        any = 1;
    }
    if (any)
        fputc(')', f);
}

static void api_line(FILE *f, const cJSON *res)
{
    const cJSON *api = cJSON_GetObjectItemCaseSensitive(res, "api");
    double calls = hr_report_num(api, "calls", 0);

    if (!cJSON_IsObject(api))
        return;
    fprintf(f,
            "**Provider API:** %g call%s by the target (%.1f/s), %g hit by "
            "faults, %g answered 429; Retry-After honoured %g",
            calls, plural(calls), hr_report_num(api, "polling_rate_per_s", 0),
            hr_report_num(api, "calls_with_faults", 0),
            hr_report_num(api, "calls_per_status.429", 0),
            hr_report_num(api, "retry_after.honoured", 0));
    retry_after_routes(f, api);
    fputs(".\n\n", f);
}

static void failed_events(FILE *f, const cJSON *res)
{
    const cJSON *evs[MAX_EVENT_LINES];
    size_t n = hr_report_undelivered(res, evs, MAX_EVENT_LINES), i;
    char what[192];

    if (n == 0)
        return;
    if (n > MAX_EVENT_LINES)
        fprintf(f, "**Undelivered events** (first %d of %zu):\n\n",
                MAX_EVENT_LINES, n);
    else
        fputs("**Undelivered events:**\n\n", f);
    for (i = 0; i < n && i < MAX_EVENT_LINES; i++) {
        hr_report_last_outcome(evs[i], what, sizeof(what));
        fputs("- ", f);
        md_escape(f, hr_report_str(evs[i], "id", "(no id)"));
        fputs(" ", f);
        md_escape(f, hr_report_str(evs[i], "type", ""));
        fputs(": ", f);
        md_escape(f, what);
        fputc('\n', f);
    }
    fputc('\n', f);
}

int hr_report_markdown(FILE *f, const cJSON *res)
{
    const char *why =
        hr_report_str(res, "input_error", hr_report_str(res, "error", NULL));

    fprintf(f, "### hookreplay: **%s**\n\n", hr_report_verdict_label(res));
    fprintf(f, "%g event%s from ", hr_report_num(res, "totals.events", 0),
            plural(hr_report_num(res, "totals.events", 0)));
    md_escape(f, hr_report_str(res, "cassette", "?"));
    fprintf(f, ", seed %.0f, ", hr_report_num(res, "seed", 0));
    md_escape(f, hr_report_str(res, "pacing", "?"));
    fprintf(f, " pacing, %.2f s%s.\n\n",
            hr_report_num(res, "totals.duration_ms", 0) / 1000.0,
            cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(res, "interrupted"))
                ? ", interrupted"
                : "");
    if (why) {
        fputs("Stopped early: ", f);
        md_escape(f, why);
        fputs("\n\n", f);
    }
    checks_table(f, res);
    deliveries(f, res);
    consistency(f, res);
    api_line(f, res);
    failed_events(f, res);
    return ferror(f) ? -1 : 0;
}
