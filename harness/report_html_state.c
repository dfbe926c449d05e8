/* SPDX-License-Identifier: MIT */
/*
 * The HTML report's sections on the target's state: inconsistent objects
 * over time, the API calls the target made, and the objects it left
 * wrong. Charts are inline SVG; every id, detail and route goes through
 * hr_report_html_escape.
 */
#include "report.h"

#include <math.h>
#include <string.h>

#define esc hr_report_html_escape

#define MAX_ROUTES 12 /* rows of the calls-per-route table */

/* Plot area of both charts, in the 960-wide viewBox. */
#define CX0 64.0
#define CX1 930.0
#define CY0 34.0
#define CY1 196.0
#define CH 236

#define RED "#c62828"
#define GREEN "#1f7a3d"
#define PURPLE "#7b3fb0"
#define BLUE "#3566b0"

struct axes {
    double x_span, y_max;
};

/* "s" unless n is exactly one. */
static const char *plural(double n)
{
    return n == 1 ? "" : "s";
}

static double px(const struct axes *a, double x)
{
    return CX0 + x / a->x_span * (CX1 - CX0);
}

static double py(const struct axes *a, double y)
{
    return CY1 - y / a->y_max * (CY1 - CY0);
}

static void placeholder(FILE *f, const char *title)
{
    fprintf(f,
            "<section><h2>%s</h2><div class=\"placeholder\">not measured "
            "in this run</div></section>\n",
            title);
}

/* A whole-number y axis of at most five ticks above max. */
static double y_axis_max(double max, double *step)
{
    *step = max <= 4 ? 1 : ceil(max / 4);
    return max <= 0 ? 1 : *step * ceil(max / *step);
}

static void y_grid(FILE *f, const struct axes *a, double step,
                   const char *label)
{
    double v;

    for (v = 0; v <= a->y_max + 1e-9; v += step)
        fprintf(f,
                "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" "
                "stroke=\"#e4e7ec\"/><text x=\"%.1f\" y=\"%.1f\" "
                "text-anchor=\"end\">%g</text>\n",
                CX0, CX1, py(a, v), py(a, v), CX0 - 6, py(a, v) + 4, v);
    fprintf(f, "<text x=\"%.1f\" y=\"14\">%s</text>\n", CX0 - 40, label);
}

static void x_ticks(FILE *f, const struct axes *a, const char *label)
{
    double step = hr_report_nice_step(a->x_span), t;
    char lbl[32];

    for (t = 0; t <= a->x_span * 1.0001; t += step) {
        hr_report_fmt_ms(lbl, sizeof(lbl), t);
        fprintf(f,
                "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" "
                "stroke=\"#9aa3b2\"/><text x=\"%.1f\" y=\"%.1f\" "
                "text-anchor=\"middle\">%s</text>\n",
                px(a, t), px(a, t), CY1, CY1 + 5, px(a, t), CY1 + 18,
                t == 0 ? "0" : lbl);
    }
    fprintf(f,
            "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" "
            "stroke=\"#9aa3b2\"/><text x=\"%.1f\" y=\"%.1f\" "
            "text-anchor=\"end\">%s</text>\n",
            CX0, CX1, CY1, CY1, CX1, CY1 + 34.0, label);
}

/*
 * A labelled vertical marker; row staggers labels that would collide.
 * Labels near the right edge are drawn to the left of the line.
 */
static void marker(FILE *f, const struct axes *a, double t, const char *col,
                   const char *dash, const char *text, int row)
{
    double x = px(a, t);
    int left = x > CX1 - 200;

    fprintf(f,
            "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" "
            "stroke=\"%s\" stroke-width=\"2\"%s%s%s/>"
            "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" "
            "style=\"fill:%s;font-weight:600\">%s</text>\n",
            x, x, CY0 - 6 + 13.0 * row, CY1, col,
            dash ? " stroke-dasharray=\"" : "", dash ? dash : "",
            dash ? "\"" : "", left ? x - 5 : x + 5, CY0 + 4 + 13.0 * row,
            left ? "end" : "start", col, text);
}

/* ---- inconsistent objects over time ---- */

/* Item i of a curve point, or dflt when it is not a number. */
static double at(const cJSON *pt, int i, double dflt)
{
    const cJSON *v = cJSON_GetArrayItem(pt, i);

    return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

struct curve_info {
    const cJSON *curve;
    double last_t, max_bad, first, stable, deadline;
    int failed;
};

static void curve_scan(const cJSON *rec, struct curve_info *ci)
{
    const cJSON *pt;

    memset(ci, 0, sizeof(*ci));
    ci->curve = cJSON_GetObjectItemCaseSensitive(rec, "curve");
    ci->first = hr_report_num(rec, "first_match_ms", -1);
    ci->stable = hr_report_num(rec, "stable_match_ms", -1);
    ci->deadline = hr_report_num(rec, "deadline_ms", -1);
    cJSON_ArrayForEach(pt, ci->curve)
    {
        double b = at(pt, 1, -1);

        ci->last_t = fmax(ci->last_t, at(pt, 0, 0));
        if (b < 0)
            ci->failed++;
        else
            ci->max_bad = fmax(ci->max_bad, b);
    }
}

/*
 * The x span: the probes, stretched to the deadline when it is close
 * enough to share the chart (a run that matched at once would otherwise
 * be squeezed into the first pixels). Returns 1 when the deadline is on it.
 */
static int curve_span(const struct curve_info *ci, struct axes *a)
{
    double span = fmax(fmax(ci->last_t, ci->stable), 1);

    a->x_span = span * 1.05;
    if (ci->deadline >= 0 && ci->deadline <= span * 1.6) {
        a->x_span = fmax(a->x_span, ci->deadline * 1.04);
        return 1;
    }
    return 0;
}

/* The step line, broken at failed probes. */
static void curve_segments(FILE *f, const struct axes *a, const cJSON *curve,
                           int area)
{
    const cJSON *pt;
    double x_open = 0, x_last = 0;
    int open = 0;

    cJSON_ArrayForEach(pt, curve)
    {
        double t = at(pt, 0, 0), b = at(pt, 1, -1);

        if (b < 0) {
            if (open && area)
                fprintf(f, " V%.1f H%.1f Z", CY1, x_open);
            open = 0;
            continue;
        }
        if (open)
            fprintf(f, " H%.1f V%.1f", px(a, t), py(a, b));
        else
            fprintf(f, " M%.1f %.1f", px(a, t), py(a, b));
        if (!open)
            x_open = px(a, t);
        x_last = px(a, t);
        open = 1;
    }
    if (open && area)
        fprintf(f, " H%.1f V%.1f H%.1f Z", x_last, CY1, x_open);
}

/* The step line and the shaded area under it, broken at failed probes. */
static void curve_path(FILE *f, const struct axes *a, const cJSON *curve,
                       int all_good)
{
    fputs("<path fill=\"" RED "\" fill-opacity=\"0.12\" stroke=\"none\" "
          "d=\"",
          f);
    curve_segments(f, a, curve, 1);
    fprintf(f,
            "\"/>\n<path fill=\"none\" stroke=\"%s\" stroke-width=\"2.5\" "
            "stroke-linejoin=\"round\" d=\"",
            all_good ? GREEN : RED);
    curve_segments(f, a, curve, 0);
    fputs("\"/>\n", f);
}

static void curve_points(FILE *f, const struct axes *a, const cJSON *curve)
{
    const cJSON *pt;
    char lbl[32];

    cJSON_ArrayForEach(pt, curve)
    {
        double t = at(pt, 0, 0), b = at(pt, 1, -1);

        hr_report_fmt_ms(lbl, sizeof(lbl), t);
        if (b < 0) {
            fprintf(f,
                    "<g stroke=\"" PURPLE "\" stroke-width=\"2.5\">"
                    "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>"
                    "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>"
                    "<title>probe at %s failed</title></g>\n",
                    px(a, t) - 5, px(a, t) + 5, CY1 - 12, CY1 - 2, px(a, t) - 5,
                    px(a, t) + 5, CY1 - 2, CY1 - 12, lbl);
            continue;
        }
        fprintf(f,
                "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\">"
                "<title>%s after the replay: %g inconsistent</title>"
                "</circle>\n",
                px(a, t), py(a, b), b > 0 ? RED : GREEN, lbl, b);
    }
}

static void curve_markers(FILE *f, const struct axes *a,
                          const struct curve_info *ci, int deadline_on)
{
    char lbl[32], text[96];
    int row = 0;

    if (ci->first >= 0 && ci->first != ci->stable) {
        hr_report_fmt_ms(lbl, sizeof(lbl), ci->first);
        snprintf(text, sizeof(text), "first match %s", lbl);
        marker(f, a, ci->first, GREEN, "5 4", text, row++);
    }
    if (ci->stable >= 0) {
        hr_report_fmt_ms(lbl, sizeof(lbl), ci->stable);
        snprintf(text, sizeof(text), "%sconsistent from %s",
                 ci->first == ci->stable ? "first match, " : "", lbl);
        marker(f, a, ci->stable, GREEN, NULL, text, row++);
    }
    if (deadline_on) {
        hr_report_fmt_ms(lbl, sizeof(lbl), ci->deadline);
        snprintf(text, sizeof(text), "deadline %s", lbl);
        marker(f, a, ci->deadline, RED, "6 4", text, row);
    }
}

/* "2 missing, 1 stale": the kinds of wrong objects that occur. */
static void kinds(FILE *f, const cJSON *rec)
{
    static const char *const k[] = {"missing", "stale", "diverged",
                                    "not_deleted", "extra"};
    size_t i;
    int any = 0;

    for (i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
        double n = hr_report_num(rec, k[i], 0);

        if (n <= 0)
            continue;
        fprintf(f, "%s%g %s", any ? ", " : "", n,
                strcmp(k[i], "not_deleted") ? k[i] : "not deleted");
        any = 1;
    }
}

static void curve_headline(FILE *f, const cJSON *rec,
                           const struct curve_info *ci)
{
    char lbl[32];

    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rec, "consistent"))) {
        hr_report_fmt_ms(lbl, sizeof(lbl), ci->stable);
        fprintf(f,
                "<p class=\"headline ok\">Consistent %s after the replay: "
                "%s %g object%s match%s the provider.</p>\n",
                ci->stable == 0 ? "right" : lbl,
                hr_report_num(rec, "objects", 0) == 1 ? "the" : "all",
                hr_report_num(rec, "objects", 0),
                plural(hr_report_num(rec, "objects", 0)),
                hr_report_num(rec, "objects", 0) == 1 ? "es" : "");
        return;
    }
    hr_report_fmt_ms(lbl, sizeof(lbl), ci->deadline >= 0 ? ci->deadline : 0);
    fprintf(f,
            "<p class=\"headline bad\">NOT consistent by the %s deadline: "
            "%g of %g object%s wrong (",
            lbl,
            hr_report_num(rec, "objects", 0) -
                hr_report_num(rec, "consistent_objects", 0) +
                hr_report_num(rec, "extra", 0),
            hr_report_num(rec, "objects", 0),
            plural(hr_report_num(rec, "objects", 0)));
    kinds(f, rec);
    fputs(").</p>\n", f);
}

static void curve_legend(FILE *f, const struct curve_info *ci, int deadline_on)
{
    char lbl[32];

    fputs("<div class=\"legend\"><span><i class=\"sw\" style=\"background:" RED
          "\"></i>objects inconsistent with the provider at each "
          "probe</span><span><i class=\"sw\" style=\"background:" GREEN
          "\"></i>match</span>",
          f);
    if (ci->failed)
        fprintf(f,
                "<span style=\"color:" PURPLE ";font-weight:700\">&times; "
                "probe failed (%d)</span>",
                ci->failed);
    if (!deadline_on && ci->deadline >= 0) {
        hr_report_fmt_ms(lbl, sizeof(lbl), ci->deadline);
        fprintf(f, "<span>deadline %s (beyond the chart)</span>", lbl);
    }
    fputs("</div>\n", f);
}

void hr_report_html_consistency(FILE *f, const cJSON *res)
{
    static const char title[] = "Inconsistent objects over time";
    const cJSON *rec = cJSON_GetObjectItemCaseSensitive(res, "reconciliation");
    struct curve_info ci;
    struct axes a;
    double step;
    int deadline_on;

    if (!cJSON_IsObject(rec)) {
        placeholder(f, title);
        return;
    }
    curve_scan(rec, &ci);
    fprintf(f, "<section><h2>%s</h2>\n", title);
    curve_headline(f, rec, &ci);
    if (cJSON_GetArraySize(ci.curve) == 0) {
        fputs("<div class=\"placeholder\">No probe was made.</div>"
              "</section>\n",
              f);
        return;
    }
    deadline_on = curve_span(&ci, &a);
    /* Headroom above the highest point for the markers' labels. */
    a.y_max = y_axis_max(ci.max_bad * 1.25, &step);
    fprintf(f,
            "<svg viewBox=\"0 0 960 %d\" role=\"img\" aria-label=\""
            "inconsistent objects over time\">\n",
            CH);
    y_grid(f, &a, step, "inconsistent objects");
    x_ticks(f, &a, "time after the replay");
    curve_path(f, &a, ci.curve, ci.max_bad == 0);
    curve_points(f, &a, ci.curve);
    curve_markers(f, &a, &ci, deadline_on);
    fputs("</svg>\n", f);
    curve_legend(f, &ci, deadline_on);
    fprintf(f,
            "<p class=\"note\">%g probe%s after the last delivery; an "
            "object counts as consistent when every mapped field matches "
            "the provider's API.</p></section>\n",
            hr_report_num(rec, "probes", 0),
            plural(hr_report_num(rec, "probes", 0)));
}

/* ---- API calls over time ---- */

static void api_bars(FILE *f, const struct axes *a, const cJSON *counts,
                     double bucket_ms)
{
    const cJSON *c;
    double w = (CX1 - CX0) / a->x_span * bucket_ms;
    char lo[32], hi[32];
    int i = 0;

    cJSON_ArrayForEach(c, counts)
    {
        double v = cJSON_IsNumber(c) ? c->valuedouble : 0;

        if (v > 0) {
            hr_report_fmt_ms(lo, sizeof(lo), i * bucket_ms);
            hr_report_fmt_ms(hi, sizeof(hi), (i + 1) * bucket_ms);
            fprintf(f,
                    "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                    "height=\"%.1f\" rx=\"1.5\" fill=\"" BLUE "\"><title>"
                    "%s to %s: %g call%s</title></rect>\n",
                    px(a, i * bucket_ms) + 1, py(a, v), fmax(w - 2, 1),
                    CY1 - py(a, v), i ? lo : "0", hi, v, v == 1 ? "" : "s");
        }
        i++;
    }
}

static void api_chart(FILE *f, const cJSON *res, const cJSON *cot)
{
    const cJSON *counts = cJSON_GetObjectItemCaseSensitive(cot, "counts"), *c;
    double bucket_ms = hr_report_num(cot, "bucket_ms", 0), max = 0, step;
    double replay_ms = hr_report_num(res, "totals.duration_ms", -1);
    int n = cJSON_GetArraySize(counts);
    char lbl[32], axis[80];
    struct axes a;

    cJSON_ArrayForEach(c, counts)
    {
        if (cJSON_IsNumber(c))
            max = fmax(max, c->valuedouble);
    }
    a.x_span = n * bucket_ms;
    a.y_max = y_axis_max(max, &step);
    hr_report_fmt_ms(lbl, sizeof(lbl), bucket_ms);
    snprintf(axis, sizeof(axis), "calls per %s", lbl);
    fprintf(f,
            "<svg viewBox=\"0 0 960 %d\" role=\"img\" aria-label=\""
            "API calls over time\">\n",
            CH);
    y_grid(f, &a, step, axis);
    x_ticks(f, &a, "time since the run started");
    api_bars(f, &a, counts, bucket_ms);
    if (replay_ms > 0 && replay_ms <= a.x_span) {
        hr_report_fmt_ms(lbl, sizeof(lbl), replay_ms);
        snprintf(axis, sizeof(axis), "last delivery done %s", lbl);
        marker(f, &a, replay_ms, "#1d2330", "5 4", axis, 0);
    }
    fputs("</svg>\n", f);
}

/* Routes by calls, most first; returns how many were picked. */
static int top_routes(const cJSON *routes, const cJSON **out, int max)
{
    const cJSON *r;
    int n = 0, i;

    cJSON_ArrayForEach(r, routes)
    {
        if (!cJSON_IsNumber(r))
            continue;
        for (i = n < max ? n : max; i > 0; i--) {
            if (out[i - 1]->valuedouble >= r->valuedouble)
                break;
            if (i < max)
                out[i] = out[i - 1];
        }
        if (i < max) {
            out[i] = r;
            if (n < max)
                n++;
        }
    }
    return n;
}

static void api_routes(FILE *f, const cJSON *api)
{
    const cJSON *routes =
        cJSON_GetObjectItemCaseSensitive(api, "calls_per_route");
    const cJSON *top[MAX_ROUTES];
    int n = top_routes(routes, top, MAX_ROUTES), i;

    if (n == 0)
        return;
    fputs("<table class=\"narrow\"><tr><th>route</th><th>calls</th></tr>\n", f);
    for (i = 0; i < n; i++) {
        fputs("<tr><td class=\"id\">", f);
        esc(f, top[i]->string);
        fprintf(f, "</td><td>%g</td></tr>\n", top[i]->valuedouble);
    }
    fputs("</table>\n", f);
    if (cJSON_GetArraySize(routes) > n)
        fprintf(f, "<p class=\"note\">The %d busiest of %d routes.</p>\n", n,
                cJSON_GetArraySize(routes));
}

/* One row per route where a call came before its Retry-After. */
static void api_violations(FILE *f, const cJSON *ra)
{
    const cJSON *r;

    cJSON_ArrayForEach(
        r, cJSON_GetObjectItemCaseSensitive(ra, "violated_per_route"))
    {
        fputs("<tr><td>&nbsp;&nbsp;on <span class=\"id\">", f);
        esc(f, r->string);
        fprintf(f, "</span></td><td class=\"badv\">%g</td></tr>\n",
                cJSON_IsNumber(r) ? r->valuedouble : 0);
    }
}

static void api_facts(FILE *f, const cJSON *api)
{
    const cJSON *ra = cJSON_GetObjectItemCaseSensitive(api, "retry_after");
    double violated = hr_report_num(ra, "violated", 0);

    fprintf(f,
            "<table class=\"narrow\"><tr><th colspan=\"2\">the target and the "
            "API</th></tr>\n<tr><td>calls</td><td>%g</td></tr>\n"
            "<tr><td>polling rate</td><td>%.1f / s</td></tr>\n"
            "<tr><td>answered 429</td><td>%g</td></tr>\n"
            "<tr><td>Retry-After given</td><td>%g</td></tr>\n"
            "<tr><td>Retry-After honoured</td><td>%g</td></tr>\n"
            "<tr><td>Retry-After violated</td><td%s>%g</td></tr>\n",
            hr_report_num(api, "calls", 0),
            hr_report_num(api, "polling_rate_per_s", 0),
            hr_report_num(api, "calls_per_status.429", 0),
            hr_report_num(ra, "given", 0), hr_report_num(ra, "honoured", 0),
            violated > 0 ? " class=\"badv\"" : "", violated);
    api_violations(f, ra);
    fprintf(f,
            "<tr><td>calls hit by API faults</td><td>%g</td></tr>\n"
            "<tr><td>unmatched (404)</td><td>%g</td></tr>\n</table>\n",
            hr_report_num(api, "calls_with_faults", 0),
            hr_report_num(api, "unmatched", 0));
}

void hr_report_html_api(FILE *f, const cJSON *res)
{
    static const char title[] = "API calls made by the target over time";
    const cJSON *api = cJSON_GetObjectItemCaseSensitive(res, "api");
    const cJSON *cot = cJSON_GetObjectItemCaseSensitive(api, "calls_over_time");

    if (!cJSON_IsObject(api)) {
        placeholder(f, title);
        return;
    }
    fprintf(f, "<section><h2>%s</h2>\n", title);
    if (hr_report_num(api, "calls", 0) == 0)
        fputs("<div class=\"placeholder\">The target made no call to the "
              "provider's API: it relied on webhooks alone.</div>\n",
              f);
    else if (cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(cot, "counts")) &&
             hr_report_num(cot, "bucket_ms", 0) > 0)
        api_chart(f, res, cot);
    else
        fputs("<div class=\"placeholder\">not measured in this run</div>\n", f);
    if (hr_report_num(api, "calls", 0) > 0) {
        fputs("<div class=\"cols\">", f);
        api_facts(f, api);
        api_routes(f, api);
        fputs("</div>", f);
    }
    fputs("</section>\n", f);
}

/* ---- objects left wrong, lost events ---- */

static void wrong_rows(FILE *f, const cJSON *wrong)
{
    const cJSON *w;

    fputs("<table><tr><th>object</th><th>problem</th><th>detail</th></tr>\n",
          f);
    cJSON_ArrayForEach(w, wrong)
    {
        fputs("<tr><td class=\"id\">", f);
        esc(f, hr_report_str(w, "id", "?"));
        fputs("</td><td><span class=\"r fail\">", f);
        esc(f, hr_report_str(w, "kind", "?"));
        fputs("</span></td><td class=\"id\">", f);
        esc(f, hr_report_str(w, "detail", ""));
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n", f);
}

static void lost_list(FILE *f, const cJSON *rec)
{
    const cJSON *lost = cJSON_GetObjectItemCaseSensitive(rec, "lost"), *id;
    double n = hr_report_num(rec, "lost_events", 0);

    fprintf(f, "<h3>Events never applied (%g)</h3>\n<p class=\"ids\">", n);
    cJSON_ArrayForEach(id, lost)
    {
        fputs("<code>", f);
        esc(f, cJSON_IsString(id) ? id->valuestring : "?");
        fputs("</code> ", f);
    }
    fputs("</p>\n", f);
    if (n > cJSON_GetArraySize(lost))
        fprintf(f, "<p class=\"note\">The first %d %s listed.</p>\n",
                cJSON_GetArraySize(lost),
                cJSON_GetArraySize(lost) == 1 ? "is" : "are");
}

void hr_report_html_wrong(FILE *f, const cJSON *res)
{
    const cJSON *rec = cJSON_GetObjectItemCaseSensitive(res, "reconciliation");
    const cJSON *wrong = cJSON_GetObjectItemCaseSensitive(rec, "wrong");
    double lost = hr_report_num(rec, "lost_events", 0);
    double bad = hr_report_num(rec, "objects", 0) -
                 hr_report_num(rec, "consistent_objects", 0) +
                 hr_report_num(rec, "extra", 0);
    int n = cJSON_GetArraySize(wrong);

    if (!cJSON_IsObject(rec) || (n == 0 && lost <= 0))
        return;
    fprintf(f, "<section><h2>Objects left wrong (%g)</h2>\n", bad);
    if (n > 0)
        wrong_rows(f, wrong);
    if (bad > n)
        fprintf(f,
                "<p class=\"note\">The first %d %s listed; the counts "
                "above are exact.</p>\n",
                n, n == 1 ? "is" : "are");
    if (lost > 0)
        lost_list(f, rec);
    if (hr_report_num(rec, "recovered", 0) > 0)
        fprintf(f,
                "<p class=\"note\">%g event%s no webhook brought "
                "(dropped, or given up on) applied anyway.</p>\n",
                hr_report_num(rec, "recovered", 0),
                hr_report_num(rec, "recovered", 0) == 1 ? "" : "s");
    fputs("</section>\n", f);
}
