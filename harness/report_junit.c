/* SPDX-License-Identifier: MIT */
/* The JUnit XML report: one testcase per check, plus the deliveries. */
#include "report.h"

#include <string.h>

#define WORST_EVENTS 5

static void event_name(FILE *f, const cJSON *ev)
{
    hr_report_xml_escape(f, hr_report_str(ev, "id", "(no id)"));
    fputs(" (", f);
    hr_report_xml_escape(f, hr_report_str(ev, "type", "no type"));
    fputc(')', f);
}

static void list_undelivered(FILE *f, const cJSON *res)
{
    const cJSON *evs[WORST_EVENTS];
    size_t n = hr_report_undelivered(res, evs, WORST_EVENTS), i;
    char what[192];

    if (n == 0) {
        fputs("; no event was left undelivered", f);
        return;
    }
    fprintf(f, "; %zu undelivered, first: ", n);
    for (i = 0; i < n && i < WORST_EVENTS; i++) {
        hr_report_last_outcome(evs[i], what, sizeof(what));
        fputs(i ? "; " : "", f);
        event_name(f, evs[i]);
        fputs(": ", f);
        hr_report_xml_escape(f, what);
    }
}

static void list_slowest(FILE *f, const cJSON *res)
{
    const cJSON *evs[WORST_EVENTS];
    size_t n = hr_report_slowest(res, evs, WORST_EVENTS), i;

    fputs("; slowest: ", f);
    for (i = 0; i < n; i++) {
        fputs(i ? "; " : "", f);
        event_name(f, evs[i]);
        fprintf(f, ": %g ms", hr_report_event_ack_ms(evs[i]));
    }
}

/* The first wrong objects, with what differs. */
static void list_wrong(FILE *f, const cJSON *rec)
{
    const cJSON *w;
    int i = 0;

    cJSON_ArrayForEach(w, cJSON_GetObjectItemCaseSensitive(rec, "wrong"))
    {
        if (i == WORST_EVENTS)
            break;
        fputs(i++ ? "; " : "; wrong: ", f);
        hr_report_xml_escape(f, hr_report_str(w, "id", "?"));
        fputc(' ', f);
        hr_report_xml_escape(f, hr_report_str(w, "kind", "?"));
        if (hr_report_str(w, "detail", NULL)) {
            fputs(" (", f);
            hr_report_xml_escape(f, hr_report_str(w, "detail", ""));
            fputc(')', f);
        }
    }
    if (i == 0)
        fputs("; no object was left wrong", f);
}

static void list_lost(FILE *f, const cJSON *rec)
{
    const cJSON *id;
    int i = 0;

    if (hr_report_num(rec, "lost_events", 0) <= 0)
        return;
    fprintf(
        f, "; %g event%s never applied: ", hr_report_num(rec, "lost_events", 0),
        hr_report_num(rec, "lost_events", 0) == 1 ? "" : "s");
    cJSON_ArrayForEach(id, cJSON_GetObjectItemCaseSensitive(rec, "lost"))
    {
        if (i == WORST_EVENTS || !cJSON_IsString(id))
            break;
        fputs(i++ ? ", " : "", f);
        hr_report_xml_escape(f, id->valuestring);
    }
}

/* The consistency checks name the objects and events behind them. */
static void list_state(FILE *f, const cJSON *res, const char *name)
{
    const cJSON *rec = cJSON_GetObjectItemCaseSensitive(res, "reconciliation");

    if (!cJSON_IsObject(rec))
        return;
    if (strcmp(name, "max_lost_events") == 0) {
        list_lost(f, rec);
        return;
    }
    fprintf(f, "; %g of %g object%s wrong",
            hr_report_num(rec, "objects", 0) -
                hr_report_num(rec, "consistent_objects", 0) +
                hr_report_num(rec, "extra", 0),
            hr_report_num(rec, "objects", 0),
            hr_report_num(rec, "objects", 0) == 1 ? "" : "s");
    list_wrong(f, rec);
    list_lost(f, rec);
}

/* The failure message: the numbers, then the events that make them. */
static void failure(FILE *f, const cJSON *res, const cJSON *c)
{
    const char *name = hr_report_str(c, "name", "");

    fputs("      <failure type=\"threshold\" message=\"", f);
    hr_report_xml_escape(f, name);
    fprintf(f, ": %g, needed ", hr_report_num(c, "value", 0));
    hr_report_xml_escape(f, hr_report_str(c, "op", "?"));
    fprintf(f, " %g", hr_report_num(c, "threshold", 0));
    if (strcmp(name, "min_delivery_rate") == 0 ||
        strcmp(name, "max_failed") == 0)
        list_undelivered(f, res);
    else if (strstr(name, "ack") && strstr(name, "ms"))
        list_slowest(f, res);
    else if (strcmp(name, "require_consistent") == 0 ||
             strcmp(name, "max_time_to_consistency_ms") == 0 ||
             strcmp(name, "max_stale_objects") == 0 ||
             strcmp(name, "max_lost_events") == 0)
        list_state(f, res, name);
    fputs("\"/>\n", f);
}

static void check_case(FILE *f, const cJSON *res, const cJSON *c)
{
    const char *result = hr_report_str(c, "result", "");
    const char *note = hr_report_str(c, "note", NULL);

    fputs("    <testcase classname=\"hookreplay\" name=\"", f);
    hr_report_xml_escape(f, hr_report_str(c, "name", "?"));
    fputs("\" time=\"0\">\n", f);
    if (strcmp(result, "fail") == 0) {
        failure(f, res, c);
    } else if (strcmp(result, "pass") != 0) {
        fputs("      <skipped message=\"not measured", f);
        if (note) {
            fputs(": ", f);
            hr_report_xml_escape(f, note);
        }
        fputs("\"/>\n", f);
    }
    fputs("      <system-out>", f);
    hr_report_xml_escape(f, hr_report_str(c, "name", "?"));
    fputc(' ', f);
    hr_report_xml_escape(f, hr_report_str(c, "op", "?"));
    fprintf(f, " %g: ", hr_report_num(c, "threshold", 0));
    if (strcmp(result, "pass") == 0 || strcmp(result, "fail") == 0)
        fprintf(f, "%g (%s, evidence: ", hr_report_num(c, "value", 0), result);
    else
        fputs("not measured (evidence: ", f);
    hr_report_xml_escape(f, hr_report_str(c, "evidence", "?"));
    fputc(')', f);
    if (note && strcmp(result, "pass") == 0) {
        fputs("\n", f);
        hr_report_xml_escape(f, note);
    }
    fputs("</system-out>\n    </testcase>\n", f);
}

static void deliveries_case(FILE *f, const cJSON *res, int broken)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(res, "totals");
    const char *why =
        hr_report_str(res, "input_error", hr_report_str(res, "error", NULL));

    fprintf(f,
            "    <testcase classname=\"hookreplay\" name=\"deliveries\" "
            "time=\"%.3f\">\n",
            hr_report_num(t, "duration_ms", 0) / 1000.0);
    if (broken) {
        fputs("      <error type=\"", f);
        hr_report_xml_escape(f, hr_report_str(res, "verdict", "error"));
        fputs("\" message=\"", f);
        hr_report_xml_escape(f, why ? why
                                    : "the target never answered any "
                                      "delivery");
        fputs("\"/>\n", f);
    }
    fprintf(f,
            "      <system-out>events %g, delivered %g, failed %g, "
            "attempts %g, retries %g, answered %g, connect errors %g, "
            "timeouts %g, other errors %g; ack p50 %g ms, p95 %g ms, "
            "p99 %g ms, max %g ms</system-out>\n    </testcase>\n",
            hr_report_num(t, "events", 0), hr_report_num(t, "delivered", 0),
            hr_report_num(t, "failed", 0), hr_report_num(t, "attempts", 0),
            hr_report_num(t, "retries", 0), hr_report_num(t, "answered", 0),
            hr_report_num(t, "errors.connect", 0),
            hr_report_num(t, "errors.timeout", 0),
            hr_report_num(t, "errors.other", 0),
            hr_report_num(t, "ack_latency_ms.from_actual.p50", 0),
            hr_report_num(t, "ack_latency_ms.from_actual.p95", 0),
            hr_report_num(t, "ack_latency_ms.from_actual.p99", 0),
            hr_report_num(t, "ack_latency_ms.from_actual.max", 0));
}

static void count_results(const cJSON *checks, int *fail, int *skip)
{
    const cJSON *c;

    *fail = *skip = 0;
    cJSON_ArrayForEach(c, checks)
    {
        const char *r = hr_report_str(c, "result", "");

        if (strcmp(r, "fail") == 0)
            (*fail)++;
        else if (strcmp(r, "pass") != 0)
            (*skip)++;
    }
}

/* started_at without its "Z": the common JUnit schema wants no zone. */
static void timestamp(FILE *f, const cJSON *res)
{
    char ts[32];
    size_t n;

    snprintf(ts, sizeof(ts), "%s",
             hr_report_str(res, "started_at", "1970-01-01T00:00:00Z"));
    n = strlen(ts);
    if (n && ts[n - 1] == 'Z')
        ts[n - 1] = '\0';
    hr_report_xml_escape(f, ts);
}

static void property(FILE *f, const char *name, const char *value)
{
    fprintf(f, "      <property name=\"%s\" value=\"", name);
    hr_report_xml_escape(f, value);
    fputs("\"/>\n", f);
}

int hr_report_junit(FILE *f, const cJSON *res)
{
    const cJSON *checks = cJSON_GetObjectItemCaseSensitive(res, "checks");
    const cJSON *c;
    const char *verdict = hr_report_str(res, "verdict", "error");
    int fail, skip, tests = cJSON_GetArraySize(checks) + 1;
    int broken = strcmp(verdict, "pass") && strcmp(verdict, "fail");
    double secs = hr_report_num(res, "totals.duration_ms", 0) / 1000.0;
    char seed[32];

    count_results(checks, &fail, &skip);
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
    fprintf(f,
            "<testsuites name=\"hookreplay\" tests=\"%d\" failures=\"%d\" "
            "errors=\"%d\" skipped=\"%d\" time=\"%.3f\">\n",
            tests, fail, broken, skip, secs);
    fprintf(f,
            "  <testsuite name=\"hookreplay\" package=\"hookreplay\" "
            "id=\"0\" hostname=\"localhost\" tests=\"%d\" failures=\"%d\" "
            "errors=\"%d\" skipped=\"%d\" time=\"%.3f\" timestamp=\"",
            tests, fail, broken, skip, secs);
    timestamp(f, res);
    fputs("\">\n    <properties>\n", f);
    property(f, "cassette", hr_report_str(res, "cassette", ""));
    snprintf(seed, sizeof(seed), "%.0f", hr_report_num(res, "seed", 0));
    property(f, "seed", seed);
    property(f, "pacing", hr_report_str(res, "pacing", ""));
    property(f, "verdict", verdict);
    fputs("    </properties>\n", f);
    cJSON_ArrayForEach(c, checks)
    {
        check_case(f, res, c);
    }
    deliveries_case(f, res, broken);
    fputs("  </testsuite>\n</testsuites>\n", f);
    return ferror(f) ? -1 : 0;
}
