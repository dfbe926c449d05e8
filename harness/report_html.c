/* SPDX-License-Identifier: MIT */
/*
 * The HTML report: one self-contained page (inline CSS, charts drawn here
 * as inline SVG, no script, nothing fetched). Every payload-derived
 * string goes through hr_report_html_escape, and a Content Security
 * Policy forbids scripts and remote loads should one ever slip through.
 */
#include "report.h"

#include <math.h>
#include <string.h>

#define MAX_ROWS 120       /* timeline rows */
#define MAX_FAILED_ROWS 50 /* rows of the undelivered-events table */
#define MAX_SLOW_ROWS 10
#define PER_DECADE 5 /* histogram bars per power of ten */
#define MAX_BINS 80

#define esc hr_report_html_escape

static const char css[] =
    "*{box-sizing:border-box}"
    "body{margin:0;background:#f4f5f7;color:#1d2330;"
    "font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,"
    "'DejaVu Sans',sans-serif}"
    "main{max-width:1080px;margin:0 auto;padding:24px}"
    "header{border-radius:10px;padding:20px 24px;color:#fff;"
    "display:flex;gap:20px;align-items:center}"
    "header.pass{background:#1f7a3d}header.fail{background:#b3261e}"
    "header.other{background:#8a5a00}"
    ".verdict{font-size:34px;font-weight:700;letter-spacing:1px;"
    "border:2px solid rgba(255,255,255,.7);border-radius:8px;"
    "padding:4px 16px}"
    "header h1{margin:0;font-size:20px}"
    "header p{margin:4px 0 0;opacity:.92;word-break:break-all}"
    "section{background:#fff;border-radius:10px;margin-top:18px;"
    "padding:18px 22px;box-shadow:0 1px 2px rgba(0,0,0,.08)}"
    "h2{margin:0 0 12px;font-size:17px}"
    ".note{color:#5b6475;font-size:13px;margin:6px 0 0}"
    ".banner{background:#fff4e5;border:1px solid #f0b35b;"
    "border-radius:8px;padding:10px 14px;margin-top:14px}"
    ".tiles{display:grid;grid-template-columns:repeat(4,1fr);gap:12px}"
    ".tile{background:#f7f8fa;border-radius:8px;padding:10px 14px}"
    ".tile b{display:block;font-size:22px}"
    ".tile span{color:#5b6475;font-size:13px}"
    "table{border-collapse:collapse;width:100%;font-size:14px}"
    "th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #e4e7ec;"
    "vertical-align:top}"
    "th{color:#5b6475;font-weight:600}"
    "td.id{font-family:ui-monospace,'DejaVu Sans Mono',monospace;"
    "word-break:break-all}"
    ".r{font-weight:700;border-radius:4px;padding:1px 8px;font-size:13px}"
    ".r.pass{background:#dcf2e3;color:#1f7a3d}"
    ".r.fail{background:#fbe0de;color:#b3261e}"
    ".r.nm{background:#eceef2;color:#5b6475}"
    ".legend{display:flex;flex-wrap:wrap;gap:16px;font-size:13px;"
    "margin:8px 0 0;color:#39404d}"
    ".sw{display:inline-block;width:12px;height:12px;border-radius:2px;"
    "margin-right:6px;vertical-align:-1px}"
    ".placeholder{border:2px dashed #cfd4dc;border-radius:8px;"
    "padding:28px;text-align:center;color:#5b6475}"
    "svg{display:block;width:100%;height:auto}"
    "svg text{font:11px system-ui,'DejaVu Sans',sans-serif;fill:#39404d}"
    "h3{margin:16px 0 8px;font-size:15px}"
    ".tile.bad{background:#fbe0de;box-shadow:inset 4px 0 0 #b3261e}"
    ".tile.good{box-shadow:inset 4px 0 0 #2e8b57}"
    ".tiles.faults{margin-top:12px;grid-template-columns:repeat(3,1fr)}"
    ".headline{font-size:16px;font-weight:600;margin:0 0 10px;"
    "padding:8px 12px;border-radius:8px}"
    ".headline.ok{background:#dcf2e3;color:#1f7a3d}"
    ".headline.bad{background:#fbe0de;color:#b3261e}"
    ".cols{display:flex;gap:24px;align-items:flex-start;margin-top:14px}"
    ".cols table{width:auto;min-width:260px}"
    "td.badv{color:#b3261e;font-weight:700}"
    ".ids code{display:inline-block;background:#f4f5f7;border-radius:4px;"
    "padding:1px 6px;margin:2px 4px 2px 0;font-size:13px;"
    "word-break:break-all}"
    "footer{color:#5b6475;font-size:12px;text-align:center;margin:18px}";

/* Outcome colours, shared by the timeline and its legend. */
static const char *const outcome_colour[] = {"#2e8b57", "#e07b00", "#7b3fb0",
                                             "#c62828"};
static const char *const outcome_name[] = {"success (2xx)", "non-2xx answer",
                                           "timeout",
                                           "connection error (refused, reset)"};

#define fmt_ms hr_report_fmt_ms
#define nice_step hr_report_nice_step

static void head(FILE *f, const cJSON *res)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
          "<meta charset=\"utf-8\">\n"
          "<meta http-equiv=\"Content-Security-Policy\" content=\""
          "default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, "
          "initial-scale=1\">\n<title>hookreplay report: ",
          f);
    fputs(hr_report_verdict_label(res), f);
    fprintf(f, "</title>\n<style>%s</style>\n</head>\n<body>\n<main>\n", css);
}

static void verdict_header(FILE *f, const cJSON *res)
{
    const char *v = hr_report_str(res, "verdict", "error");
    const cJSON *merged = cJSON_GetObjectItemCaseSensitive(res, "merged_from");

    fprintf(f, "<header class=\"%s\"><div class=\"verdict\">%s</div><div>",
            strcmp(v, "pass") == 0   ? "pass"
            : strcmp(v, "fail") == 0 ? "fail"
                                     : "other",
            hr_report_verdict_label(res));
    fputs("<h1>hookreplay reliability report</h1><p>cassette ", f);
    esc(f, hr_report_str(res, "cassette", "?"));
    if (hr_report_str(res, "scenario", NULL)) {
        fputs(" &middot; scenario ", f);
        esc(f, hr_report_str(res, "scenario", ""));
    }
    fprintf(f, " &middot; seed %.0f &middot; ", hr_report_num(res, "seed", 0));
    esc(f, hr_report_str(res, "pacing", "?"));
    fputs(" pacing &middot; started ", f);
    esc(f, hr_report_str(res, "started_at", "?"));
    if (cJSON_IsArray(merged))
        fprintf(f, " &middot; merged from %d result%s",
                cJSON_GetArraySize(merged),
                cJSON_GetArraySize(merged) == 1 ? "" : "s");
    fputs("</p></div></header>\n", f);
}

static void banners(FILE *f, const cJSON *res)
{
    const char *why =
        hr_report_str(res, "input_error", hr_report_str(res, "error", NULL));
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(res, "totals");

    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(res, "interrupted")))
        fputs("<div class=\"banner\">The run was interrupted: the numbers "
              "cover the events finished before it stopped.</div>\n",
              f);
    if (hr_report_str(t, "probe_error", NULL)) {
        fputs("<div class=\"banner\">The target's state could not be "
              "read, so the checks that rest on it are not measured: ",
              f);
        esc(f, hr_report_str(t, "probe_error", ""));
        fputs("</div>\n", f);
    }
    if (why) {
        fputs("<div class=\"banner\">The run stopped early: ", f);
        esc(f, why);
        fputs("</div>\n", f);
    }
}

/* "s" unless n is exactly one. */
static const char *plural(double n)
{
    return n == 1 ? "" : "s";
}

static void tile(FILE *f, const char *value, const char *label)
{
    fprintf(f, "<div class=\"tile\"><b>%s</b><span>%s</span></div>", value,
            label);
}

static void tile_cls(FILE *f, int bad, const char *value, const char *label)
{
    fprintf(f, "<div class=\"tile%s\"><b>%s</b><span>%s</span></div>",
            bad ? " bad" : "", value, label);
}

/* "N processed again" for a count the probe may not have measured. */
static void measured(char *buf, size_t cap, const cJSON *t, const char *key,
                     const char *what)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(t, key);

    if (cJSON_IsNumber(v))
        snprintf(buf, cap, "%g %s", v->valuedouble, what);
    else
        snprintf(buf, cap, "%s: not measured", what);
}

static void fault_tiles(FILE *f, const cJSON *t)
{
    char v[64], l[160], m[80];
    double hs = hr_report_num(t, "handshakes", 0);
    double hs_ok = hr_report_num(t, "handshakes_ok", 0);
    double pm = hr_report_num(t, "payload_mishandled", 0);

    fputs("<div class=\"tiles faults\">", f);
    snprintf(v, sizeof(v), "%g sent", hr_report_num(t, "duplicates_sent", 0));
    measured(m, sizeof(m), t, "duplicates_processed", "processed again");
    snprintf(l, sizeof(l), "duplicates: %g acknowledged, %s",
             hr_report_num(t, "duplicates_delivered", 0), m);
    tile_cls(f, hr_report_num(t, "duplicates_processed", 0) > 0, v, l);
    snprintf(v, sizeof(v), "%g sent", hr_report_num(t, "forged_sent", 0));
    measured(m, sizeof(m), t, "forged_accepted", "accepted");
    snprintf(l, sizeof(l), "forged or tampered: %g acknowledged (2xx), %s",
             hr_report_num(t, "forged_acknowledged", 0), m);
    tile_cls(f, hr_report_num(t, "forged_accepted", 0) > 0, v, l);
    snprintf(v, sizeof(v), "%g", hr_report_num(t, "dropped", 0));
    tile_cls(f, 0, v,
             hr_report_num(t, "dropped", 0) == 1
                 ? "dropped: never sent, only the API has it"
                 : "dropped: never sent, only the API has them");
    snprintf(v, sizeof(v), "%g", hr_report_num(t, "injected_failures", 0));
    tile_cls(f, 0, v, "attempts failed on purpose");
    snprintf(v, sizeof(v), "%g / %g", hs_ok, hs);
    tile_cls(f, hs_ok < hs, v, "handshakes answered right / sent");
    snprintf(v, sizeof(v), "%g / %g", pm,
             hr_report_num(t, "payload_faults", 0));
    tile_cls(f, pm > 0, v, "payload faults mishandled / sent");
    fputs("</div>", f);
    if (hr_report_str(t, "handshake_error", NULL)) {
        fputs("<p class=\"note\">Handshake: ", f);
        esc(f, hr_report_str(t, "handshake_error", ""));
        fputs("</p>", f);
    }
}

static void tiles(FILE *f, const cJSON *t)
{
    const cJSON *lat = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(t, "ack_latency_ms"), "from_actual");
    int answered = hr_report_num(lat, "count", 0) > 0;
    double events = hr_report_num(t, "events", 0);
    double dropped = hr_report_num(t, "dropped", 0);
    char v[64], l[96];

    fputs("<section><h2>Deliveries</h2><div class=\"tiles\">", f);
    snprintf(v, sizeof(v), "%g", events);
    tile(f, v, events == 1 ? "event" : "events");
    snprintf(v, sizeof(v), "%g (%.1f%%)", hr_report_num(t, "delivered", 0),
             100.0 * hr_report_num(t, "delivery_rate", 0));
    /* The rate is of the events sent; dropped ones are counted apart. */
    if (dropped > 0)
        snprintf(l, sizeof(l), "delivered of %g sendable (%g dropped)",
                 events - dropped, dropped);
    else
        snprintf(l, sizeof(l), "delivered");
    tile(f, v, l);
    snprintf(v, sizeof(v), "%g", hr_report_num(t, "failed", 0));
    tile(f, v, "failed (never acknowledged)");
    snprintf(v, sizeof(v), "%g / %g", hr_report_num(t, "attempts", 0),
             hr_report_num(t, "retries", 0));
    tile(f, v, "attempts / retries");
    fmt_ms(v, sizeof(v), hr_report_num(lat, "p50", 0));
    tile(f, answered ? v : "-", "ack p50 (from send)");
    fmt_ms(v, sizeof(v), hr_report_num(lat, "p95", 0));
    tile(f, answered ? v : "-", "ack p95");
    fmt_ms(v, sizeof(v), hr_report_num(lat, "p99", 0));
    tile(f, answered ? v : "-", "ack p99");
    fmt_ms(v, sizeof(v), hr_report_num(lat, "max", 0));
    tile(f, answered ? v : "-", "ack max");
    fputs("</div>", f);
    fault_tiles(f, t);
    fprintf(f,
            "<p class=\"note\">Connection errors %g, timeouts %g, "
            "other transport errors %g; the run took %.2f s.</p>"
            "</section>\n",
            hr_report_num(t, "errors.connect", 0),
            hr_report_num(t, "errors.timeout", 0),
            hr_report_num(t, "errors.other", 0),
            hr_report_num(t, "duration_ms", 0) / 1000.0);
}

static void check_row(FILE *f, const cJSON *c)
{
    const char *r = hr_report_str(c, "result", "");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(c, "value");
    int pass = strcmp(r, "pass") == 0, fail = strcmp(r, "fail") == 0;

    fputs("<tr><td>", f);
    esc(f, hr_report_str(c, "name", "?"));
    fputs("</td><td>", f);
    esc(f, hr_report_str(c, "op", "?"));
    fprintf(f, " %g</td><td>", hr_report_num(c, "threshold", 0));
    if (cJSON_IsNumber(v))
        fprintf(f, "%g", v->valuedouble);
    else
        fputs("&ndash;", f);
    fprintf(f, "</td><td><span class=\"r %s\">%s</span></td><td>",
            pass   ? "pass"
            : fail ? "fail"
                   : "nm",
            pass   ? "pass"
            : fail ? "fail"
                   : "not measured");
    esc(f, hr_report_str(c, "evidence", "?"));
    fputs("</td><td>", f);
    esc(f, hr_report_str(c, "note", ""));
    fputs("</td></tr>\n", f);
}

static void checks_table(FILE *f, const cJSON *res)
{
    const cJSON *c, *checks = cJSON_GetObjectItemCaseSensitive(res, "checks");

    fputs("<section><h2>Checks</h2>\n", f);
    if (cJSON_GetArraySize(checks) == 0) {
        fputs("<p>No thresholds were set, so nothing was judged.</p>"
              "</section>\n",
              f);
        return;
    }
    fputs("<table><tr><th>check</th><th>threshold</th><th>value</th>"
          "<th>result</th><th>evidence</th><th>note</th></tr>\n",
          f);
    cJSON_ArrayForEach(c, checks)
    {
        check_row(f, c);
    }
    fputs("</table></section>\n", f);
}

/* Histogram bars on a log scale: PER_DECADE bars per power of ten. */
struct bins {
    double actual[MAX_BINS], planned[MAX_BINS];
    int n, dmin, dmax;
};

static void bin_range(const struct hr_hist *a, const struct hr_hist *p,
                      struct bins *b)
{
    int64_t lo_us = INT64_MAX, hi_us = 1, lo, hi;
    size_t i;

    for (i = 0; i < HR_HIST_BUCKETS; i++) {
        if (!a->counts[i] && !p->counts[i])
            continue;
        hr_hist_bounds(i, &lo, &hi);
        if (lo < lo_us)
            lo_us = lo;
        if (hi > hi_us)
            hi_us = hi;
    }
    b->dmin = (int)floor(log10(lo_us < 1 ? 1.0 : (double)lo_us));
    b->dmax = (int)ceil(log10((double)hi_us + 1.0));
    if (b->dmax <= b->dmin)
        b->dmax = b->dmin + 1;
    if ((b->dmax - b->dmin) * PER_DECADE > MAX_BINS)
        b->dmin = b->dmax - MAX_BINS / PER_DECADE;
    b->n = (b->dmax - b->dmin) * PER_DECADE;
}

static void fill_bins(const struct hr_hist *h, struct bins *b, double *out)
{
    size_t i;

    for (i = 0; i < HR_HIST_BUCKETS; i++) {
        int64_t lo, hi;
        double mid;
        int k;

        if (!h->counts[i])
            continue;
        hr_hist_bounds(i, &lo, &hi);
        mid = ((double)lo + (double)hi) / 2.0;
        k = (int)floor((log10(mid < 1 ? 1 : mid) - b->dmin) * PER_DECADE);
        k = k < 0 ? 0 : k >= b->n ? b->n - 1 : k;
        out[k] += (double)h->counts[i];
    }
}

#define HX0 64.0
#define HX1 940.0
#define HY0 28.0
#define HY1 214.0

static double hist_x(const struct bins *b, double us)
{
    double d = log10(us < 1 ? 1 : us) - b->dmin;

    return HX0 + d / (b->dmax - b->dmin) * (HX1 - HX0);
}

static void hist_axes(FILE *f, const struct bins *b, double ymax)
{
    int d, k;
    char lbl[32];

    for (k = 0; k <= 2; k++) {
        double y = HY1 - (HY1 - HY0) * k / 2.0;

        fprintf(f,
                "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" "
                "stroke=\"#e4e7ec\"/><text x=\"%.1f\" y=\"%.1f\" "
                "text-anchor=\"end\">%g</text>\n",
                HX0, HX1, y, y, HX0 - 6, y + 4, ymax * k / 2.0);
    }
    for (d = b->dmin; d <= b->dmax; d++) {
        double x = hist_x(b, pow(10, d));

        fmt_ms(lbl, sizeof(lbl), pow(10, d) / 1000.0);
        fprintf(f,
                "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" "
                "stroke=\"#9aa3b2\"/><text x=\"%.1f\" y=\"%.1f\" "
                "text-anchor=\"middle\">%s</text>\n",
                x, x, HY1, HY1 + 5, x, HY1 + 18, lbl);
    }
    fprintf(f,
            "<text x=\"%.1f\" y=\"14\">acknowledgements</text>"
            "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">ack latency "
            "(log scale)</text>\n",
            HX0 - 40, HX1, HY1 + 34);
}

static void hist_bars(FILE *f, const struct bins *b, double ymax)
{
    double w = (HX1 - HX0) / b->n;
    int k;

    for (k = 0; k < b->n; k++) {
        double x = HX0 + k * w, ha, hp;

        ha = (HY1 - HY0) * b->actual[k] / ymax;
        hp = (HY1 - HY0) * b->planned[k] / ymax;
        if (b->actual[k] > 0)
            fprintf(f,
                    "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                    "height=\"%.1f\" fill=\"#3566b0\"><title>%g from "
                    "send</title></rect>\n",
                    x + 1, HY1 - ha, w / 2 - 1, ha, b->actual[k]);
        if (b->planned[k] > 0)
            fprintf(f,
                    "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                    "height=\"%.1f\" fill=\"#f0a04b\"><title>%g from "
                    "plan</title></rect>\n",
                    x + w / 2, HY1 - hp, w / 2 - 1, hp, b->planned[k]);
    }
}

static void hist_marker(FILE *f, const struct bins *b, const char *name,
                        double ms, int row)
{
    double x = hist_x(b, ms * 1000.0);
    char lbl[32];

    fmt_ms(lbl, sizeof(lbl), ms);
    fprintf(f,
            "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" "
            "stroke=\"#1d2330\" stroke-dasharray=\"4 3\"/>"
            "<text x=\"%.1f\" y=\"%.1f\">%s %s</text>\n",
            x, x, HY0 - 4, HY1, x + 4, HY0 + 8 + 13 * row, name, lbl);
}

static void histogram(FILE *f, const cJSON *t)
{
    const cJSON *lat = cJSON_GetObjectItemCaseSensitive(t, "ack_latency_ms");
    const cJSON *la = cJSON_GetObjectItemCaseSensitive(lat, "from_actual");
    const cJSON *lp = cJSON_GetObjectItemCaseSensitive(lat, "from_planned");
    struct hr_hist *a = hr_malloc(sizeof(*a)), *p = hr_malloc(sizeof(*p));
    struct bins *b = hr_calloc(1, sizeof(*b));
    double ymax = 0;
    int k;

    fputs("<section><h2>Ack latency</h2>\n", f);
    if (!a || !p || !b || hr_report_hist(la, a) || hr_report_hist(lp, p) ||
        a->total + p->total == 0) {
        fputs("<div class=\"placeholder\">No delivery was answered, so "
              "there is no latency to draw.</div></section>\n",
              f);
        goto out;
    }
    bin_range(a, p, b);
    fill_bins(a, b, b->actual);
    fill_bins(p, b, b->planned);
    for (k = 0; k < b->n; k++)
        ymax = fmax(ymax, fmax(b->actual[k], b->planned[k]));
    fputs("<svg viewBox=\"0 0 960 256\" role=\"img\" aria-label=\"ack "
          "latency histogram\">\n",
          f);
    hist_axes(f, b, ymax);
    hist_bars(f, b, ymax);
    if (a->total) {
        hist_marker(f, b, "p50", hr_report_num(la, "p50", 0), 0);
        hist_marker(f, b, "p99", hr_report_num(la, "p99", 0), 1);
    }
    fputs("</svg>\n<div class=\"legend\"><span><i class=\"sw\" "
          "style=\"background:#3566b0\"></i>from the actual send</span>"
          "<span><i class=\"sw\" style=\"background:#f0a04b\"></i>from the "
          "planned send (shows a stalled sender)</span><span>dashed: p50 "
          "and p99 from send</span></div></section>\n",
          f);
out:
    hr_free(a);
    hr_free(p);
    hr_free(b);
}

static int interesting(const cJSON *ev)
{
    return (hr_report_owed(ev) &&
            !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ev, "delivered"))) ||
           cJSON_GetArraySize(
               cJSON_GetObjectItemCaseSensitive(ev, "attempts")) > 1;
}

/* Picks up to MAX_ROWS events, troubled ones first; returns how many. */
static int pick_rows(const cJSON *events, char *picked)
{
    const cJSON *ev;
    int i, n = 0, pass;

    for (pass = 0; pass < 2; pass++) {
        i = 0;
        cJSON_ArrayForEach(ev, events)
        {
            if (n < MAX_ROWS && !picked[i] && (pass == 1 || interesting(ev))) {
                picked[i] = 1;
                n++;
            }
            i++;
        }
    }
    return n;
}

static double attempt_end_ms(const cJSON *a)
{
    return hr_report_num(a, "answered_ms", hr_report_num(a, "sent_ms", 0));
}

static double time_span(const cJSON *events, const char *picked)
{
    const cJSON *ev, *a;
    double t = 0;
    int i = 0;

    cJSON_ArrayForEach(ev, events)
    {
        if (picked[i++])
            cJSON_ArrayForEach(a,
                               cJSON_GetObjectItemCaseSensitive(ev, "attempts"))
            {
                t = fmax(t, attempt_end_ms(a));
            }
    }
    return t > 0 ? t : 1;
}

#define TX0 270.0
#define TX1 944.0
#define TROW 16.0
#define TTOP 24.0

/* Writes at most max bytes of s, cut on a UTF-8 character boundary. */
static void esc_cut(FILE *f, const char *s, size_t max)
{
    char buf[64];
    size_t n = strlen(s);

    if (n <= max || max >= sizeof(buf) - 4) {
        esc(f, s);
        return;
    }
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
        max--;
    memcpy(buf, s, max);
    strcpy(buf + max, "\xe2\x80\xa6");
    esc(f, buf);
}

static void attempt_mark(FILE *f, const cJSON *a, double y, double span)
{
    double s = hr_report_num(a, "sent_ms", 0), e = attempt_end_ms(a);
    double x = TX0 + s / span * (TX1 - TX0);
    double w = fmax(3, (e - s) / span * (TX1 - TX0));
    enum hr_outcome o = hr_report_outcome(a);
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(a, "status");
    char lbl[32];

    fprintf(f,
            "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"10\" "
            "rx=\"2\" fill=\"%s\"><title>attempt %g, sent at ",
            x, y + 3, w, outcome_colour[o], hr_report_num(a, "n", 0));
    fmt_ms(lbl, sizeof(lbl), s);
    fputs(lbl, f);
    if (cJSON_IsNumber(st)) {
        fmt_ms(lbl, sizeof(lbl), hr_report_num(a, "ack_ms", 0));
        fprintf(f, ": status %d in %s", st->valueint, lbl);
    } else {
        fputs(": ", f);
        esc(f, hr_report_str(a, "error", "error"));
        fputs(" ", f);
        esc(f, hr_report_str(a, "detail", ""));
    }
    fputs("</title></rect>\n", f);
}

/* A dropped event has no attempt to draw: say why its row is empty. */
static void dropped_label(FILE *f, const cJSON *ev, double y)
{
    if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ev, "dropped")))
        return;
    fprintf(f,
            "<text x=\"%.1f\" y=\"%.1f\" style=\"fill:#6b7280;"
            "font-style:italic\">%s</text>\n",
            TX0 + 4, y + 12,
            hr_report_num(ev, "copy", 0) > 0
                ? "dropped with its event: never sent"
                : "dropped: only the API has it");
}

static void timeline_row(FILE *f, const cJSON *ev, int row, double span)
{
    const cJSON *as = cJSON_GetObjectItemCaseSensitive(ev, "attempts");
    const cJSON *a, *last = cJSON_GetArrayItem(as, cJSON_GetArraySize(as) - 1);
    double y = TTOP + row * TROW;
    int ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ev, "delivered")) ||
             !hr_report_owed(ev);

    if (row % 2)
        fprintf(f,
                "<rect x=\"0\" y=\"%.1f\" width=\"960\" height=\"%.1f\" "
                "fill=\"#f7f8fa\"/>\n",
                y, TROW);
    fprintf(f, "<text x=\"4\" y=\"%.1f\"%s><title>", y + 12,
            ok ? "" : " style=\"fill:#b3261e;font-weight:700\"");
    esc(f, hr_report_str(ev, "id", "(no id)"));
    fputs(" ", f);
    esc(f, hr_report_str(ev, "type", ""));
    fputs("</title>", f);
    esc_cut(f, hr_report_str(ev, "id", "(no id)"), 36);
    fputs("</text>\n", f);
    dropped_label(f, ev, y);
    a = cJSON_GetArrayItem(as, 0);
    if (a && last != a)
        fprintf(f,
                "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" "
                "stroke=\"#9aa3b2\"/>\n",
                TX0 + hr_report_num(a, "sent_ms", 0) / span * (TX1 - TX0),
                TX0 + attempt_end_ms(last) / span * (TX1 - TX0), y + 8, y + 8);
    cJSON_ArrayForEach(a, as)
    {
        attempt_mark(f, a, y, span);
    }
}

static void timeline_axis(FILE *f, double span, double bottom)
{
    double step = nice_step(span), t;
    char lbl[32];

    for (t = 0; t <= span * 1.0001; t += step) {
        double x = TX0 + t / span * (TX1 - TX0);

        fmt_ms(lbl, sizeof(lbl), t);
        fprintf(f,
                "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" "
                "stroke=\"#e4e7ec\"/><text x=\"%.1f\" y=\"%.1f\" "
                "text-anchor=\"middle\">%s</text>\n",
                x, x, TTOP - 4, bottom, x, TTOP - 8, t == 0 ? "0" : lbl);
    }
}

static void timeline_legend(FILE *f)
{
    int i;

    fputs("<div class=\"legend\">", f);
    for (i = 0; i < 4; i++)
        fprintf(f,
                "<span><i class=\"sw\" style=\"background:%s\"></i>%s"
                "</span>",
                outcome_colour[i], outcome_name[i]);
    fputs("<span>grey line: from first send to last answer</span>"
          "<span style=\"color:#b3261e;font-weight:700\">red id: never "
          "delivered</span></div>\n",
          f);
}

static void timeline(FILE *f, const cJSON *res)
{
    const cJSON *events = cJSON_GetObjectItemCaseSensitive(res, "events");
    const cJSON *ev;
    int total = cJSON_GetArraySize(events), rows, i = 0, row = 0;
    char *picked = hr_calloc((size_t)total + 1, 1);
    double span, bottom;

    fputs("<section><h2>Deliveries and retries over time</h2>\n", f);
    if (!picked || total == 0) {
        fputs("<div class=\"placeholder\">No event was replayed.</div>"
              "</section>\n",
              f);
        hr_free(picked);
        return;
    }
    rows = pick_rows(events, picked);
    span = time_span(events, picked);
    bottom = TTOP + rows * TROW;
    fprintf(f,
            "<svg viewBox=\"0 0 960 %.0f\" role=\"img\" aria-label=\""
            "deliveries over time\">\n",
            bottom + 6);
    timeline_axis(f, span, bottom);
    cJSON_ArrayForEach(ev, events)
    {
        if (picked[i++])
            timeline_row(f, ev, row++, span);
    }
    fputs("</svg>\n", f);
    timeline_legend(f);
    if (rows < total)
        fprintf(f,
                "<p class=\"note\">Showing %d of %d event%s: those retried "
                "or never delivered first, then the rest in order.</p>\n",
                rows, total, plural(total));
    fputs("<p class=\"note\">One row per event, x is time since the run "
          "started; hover a mark for its status and latency.</p>"
          "</section>\n",
          f);
    hr_free(picked);
}

static void event_cells(FILE *f, const cJSON *ev)
{
    fprintf(f, "<tr><td>%g</td><td class=\"id\">", hr_report_num(ev, "seq", 0));
    esc(f, hr_report_str(ev, "id", "(no id)"));
    fputs("</td><td>", f);
    esc(f, hr_report_str(ev, "type", ""));
    fputs("</td><td class=\"id\">", f);
    esc(f, hr_report_str(ev, "object", ""));
    fputs("</td><td>", f);
}

/* Opens a table of events: seq, event, type, object, then column last. */
static void event_table_head(FILE *f, const char *last)
{
    fprintf(f,
            "<table><tr><th>seq</th><th>event</th><th>type</th>"
            "<th>object</th><th>%s</th></tr>\n",
            last);
}

static void failed_table(FILE *f, const cJSON *res)
{
    const cJSON *evs[MAX_FAILED_ROWS];
    size_t n = hr_report_undelivered(res, evs, MAX_FAILED_ROWS), i;
    char what[192];

    if (n == 0)
        return;
    fprintf(f, "<section><h2>Undelivered events (%zu)</h2>\n", n);
    event_table_head(f, "last outcome");
    for (i = 0; i < n && i < MAX_FAILED_ROWS; i++) {
        event_cells(f, evs[i]);
        hr_report_last_outcome(evs[i], what, sizeof(what));
        esc(f, what);
        fputs("</td></tr>\n", f);
    }
    fputs("</table>", f);
    if (n > MAX_FAILED_ROWS)
        fprintf(f,
                "<p class=\"note\">The first %d are listed; "
                "result.json has them all.</p>",
                MAX_FAILED_ROWS);
    fputs("</section>\n", f);
}

static void slowest_table(FILE *f, const cJSON *res)
{
    const cJSON *evs[MAX_SLOW_ROWS];
    size_t n = hr_report_slowest(res, evs, MAX_SLOW_ROWS), i;
    char lbl[32];

    if (n == 0)
        return;
    fputs("<section><h2>Slowest acknowledgements</h2>\n", f);
    event_table_head(f, "ack latency");
    for (i = 0; i < n; i++) {
        event_cells(f, evs[i]);
        fmt_ms(lbl, sizeof(lbl), hr_report_event_ack_ms(evs[i]));
        fprintf(f, "%s</td></tr>\n", lbl);
    }
    fputs("</table></section>\n", f);
}

int hr_report_html(FILE *f, const cJSON *res)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(res, "totals");

    head(f, res);
    verdict_header(f, res);
    banners(f, res);
    checks_table(f, res);
    tiles(f, t);
    histogram(f, t);
    timeline(f, res);
    hr_report_html_consistency(f, res);
    hr_report_html_wrong(f, res);
    hr_report_html_api(f, res);
    failed_table(f, res);
    slowest_table(f, res);
    fputs("<footer>Written by hookreplay from its result file; every "
          "number here is in result.json.</footer>\n</main>\n</body>\n"
          "</html>\n",
          f);
    return ferror(f) ? -1 : 0;
}
