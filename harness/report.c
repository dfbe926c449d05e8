/* SPDX-License-Identifier: MIT */
/* Loading result files and the pieces every report writer shares. */
#include "report.h"
#include "jsonx.h"

#include <errno.h>
#include <math.h>
#include <string.h>

static const struct {
    const char *name;
    unsigned bit;
} format_names[] = {
    {"json", HR_REPORT_JSON},   {"junit", HR_REPORT_JUNIT},
    {"xml", HR_REPORT_JUNIT},   {"markdown", HR_REPORT_MARKDOWN},
    {"md", HR_REPORT_MARKDOWN}, {"html", HR_REPORT_HTML},
};

int hr_report_formats_parse(const char *list, unsigned *bits,
                            struct hr_err *err)
{
    const char *p = list;

    *bits = HR_REPORT_JSON;
    while (*p) {
        size_t n = strcspn(p, ","), i;

        for (i = 0; i < sizeof(format_names) / sizeof(format_names[0]); i++)
            if (strlen(format_names[i].name) == n &&
                strncmp(format_names[i].name, p, n) == 0)
                break;
        if (i == sizeof(format_names) / sizeof(format_names[0]))
            return hr_errf(err, HR_EXIT_INPUT,
                           "unknown report format '%.*s' (json, junit, "
                           "md, html)",
                           (int)n, p);
        *bits |= format_names[i].bit;
        p += n + (p[n] == ',');
    }
    return 0;
}

const char *hr_report_file_name(unsigned bit)
{
    switch (bit) {
    case HR_REPORT_JUNIT:
        return "report.xml";
    case HR_REPORT_MARKDOWN:
        return "report.md";
    case HR_REPORT_HTML:
        return "report.html";
    default:
        return "result.json";
    }
}

static int need(const cJSON *res, const char *key, int array, const char *path,
                struct hr_err *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(res, key);

    if (array ? cJSON_IsArray(v) : cJSON_IsObject(v))
        return 0;
    return hr_errf(err, HR_EXIT_INPUT, "%s: /%s: missing or not an %s", path,
                   key, array ? "array" : "object");
}

cJSON *hr_report_load(const char *path, struct hr_err *err)
{
    size_t len;
    char *text = hr_read_file(path, &len, err);
    cJSON *res;
    const cJSON *kind;

    if (!text)
        return NULL;
    res = hr_json_parse(path, text, len, 1, err);
    hr_free(text);
    if (!res)
        return NULL;
    kind = cJSON_GetObjectItemCaseSensitive(res, "hookreplay");
    if (!cJSON_IsString(kind) || strcmp(kind->valuestring, "result")) {
        hr_errf(err, HR_EXIT_INPUT,
                "%s: not a hookreplay result (\"hookreplay\" must be "
                "\"result\")",
                path);
        goto fail;
    }
    if (hr_report_num(res, "version", 0) != 1) {
        hr_errf(err, HR_EXIT_INPUT, "%s: /version: only version 1 is known",
                path);
        goto fail;
    }
    if (need(res, "events", 1, path, err) ||
        need(res, "checks", 1, path, err) || need(res, "totals", 0, path, err))
        goto fail;
    return res;
fail:
    cJSON_Delete(res);
    return NULL;
}

int hr_report_render(FILE *f, unsigned format, const cJSON *res,
                     struct hr_err *err)
{
    int rc;

    switch (format) {
    case HR_REPORT_JUNIT:
        rc = hr_report_junit(f, res);
        break;
    case HR_REPORT_MARKDOWN:
        rc = hr_report_markdown(f, res);
        break;
    case HR_REPORT_HTML:
        rc = hr_report_html(f, res);
        break;
    default:
        return hr_errf(err, HR_EXIT_INTERNAL, "no writer for format %u",
                       format);
    }
    if (rc || ferror(f))
        return hr_errf(err, HR_EXIT_INTERNAL, "write failed: %s",
                       strerror(errno));
    return 0;
}

static int write_one(const char *dir, unsigned bit, const cJSON *res, FILE *log,
                     struct hr_err *err)
{
    char *path = hr_path_join(dir, hr_report_file_name(bit));
    FILE *f = path ? fopen(path, "w") : NULL;
    int rc;

    if (!f) {
        hr_errf(err, HR_EXIT_INTERNAL, "%s: %s",
                path ? path : hr_report_file_name(bit), strerror(errno));
        hr_free(path);
        return -1;
    }
    rc = hr_report_render(f, bit, res, err);
    if (fclose(f) && rc == 0)
        rc = hr_errf(err, HR_EXIT_INTERNAL, "%s: %s", path, strerror(errno));
    if (rc == 0 && log)
        fprintf(log, "  %-12s %s\n", "report", path);
    hr_free(path);
    return rc;
}

int hr_report_write_all(const char *out_dir, unsigned bits, FILE *log,
                        struct hr_err *err)
{
    static const unsigned order[] = {HR_REPORT_JUNIT, HR_REPORT_MARKDOWN,
                                     HR_REPORT_HTML};
    char *path;
    cJSON *res;
    size_t i;
    int rc = 0;

    if (!(bits & ~(unsigned)HR_REPORT_JSON))
        return 0;
    path = hr_path_join(out_dir, "result.json");
    if (!path)
        return hr_errf(err, HR_EXIT_INTERNAL, "out of memory");
    res = hr_report_load(path, err);
    hr_free(path);
    if (!res)
        return -1;
    for (i = 0; i < sizeof(order) / sizeof(order[0]) && rc == 0; i++)
        if (bits & order[i])
            rc = write_one(out_dir, order[i], res, log, err);
    cJSON_Delete(res);
    return rc;
}

static void escape(FILE *f, const char *s, int xml)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");

    for (; *p; p++) {
        switch (*p) {
        case '&':
            fputs("&amp;", f);
            break;
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        case '\'':
            fputs("&#39;", f);
            break;
        default:
            /* XML 1.0 cannot hold most control characters at all. */
            if (*p < 0x20 && *p != '\n' && *p != '\t' && *p != '\r')
                fputc(xml ? '?' : ' ', f);
            else
                fputc(*p, f);
        }
    }
}

void hr_report_html_escape(FILE *f, const char *s)
{
    escape(f, s, 0);
}

void hr_report_xml_escape(FILE *f, const char *s)
{
    escape(f, s, 1);
}

double hr_report_num(const cJSON *o, const char *dotted, double dflt)
{
    char key[64];
    const char *dot;

    while (o && (dot = strchr(dotted, '.'))) {
        size_t n = (size_t)(dot - dotted);

        if (n >= sizeof(key))
            return dflt;
        memcpy(key, dotted, n);
        key[n] = '\0';
        o = cJSON_GetObjectItemCaseSensitive(o, key);
        dotted = dot + 1;
    }
    o = o ? cJSON_GetObjectItemCaseSensitive(o, dotted) : NULL;
    return cJSON_IsNumber(o) ? o->valuedouble : dflt;
}

const char *hr_report_str(const cJSON *o, const char *key, const char *dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

    return cJSON_IsString(v) ? v->valuestring : dflt;
}

const char *hr_report_verdict_label(const cJSON *res)
{
    const char *v = hr_report_str(res, "verdict", "");

    if (strcmp(v, "pass") == 0)
        return "PASS";
    if (strcmp(v, "fail") == 0)
        return "FAIL";
    if (strcmp(v, "input_error") == 0)
        return "INPUT ERROR";
    if (strcmp(v, "unreachable") == 0)
        return "UNREACHABLE";
    return "ERROR";
}

int hr_report_hist(const cJSON *lat, struct hr_hist *h)
{
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(lat, "buckets_us");
    const cJSON *pair;
    double max_ms = hr_report_num(lat, "max", 0);
    double mean_ms = hr_report_num(lat, "mean", 0);

    hr_hist_init(h);
    if (!cJSON_IsArray(b))
        return -1;
    cJSON_ArrayForEach(pair, b)
    {
        const cJSON *i = cJSON_GetArrayItem(pair, 0);
        const cJSON *n = cJSON_GetArrayItem(pair, 1);
        int64_t lo, hi;

        if (!cJSON_IsNumber(i) || !cJSON_IsNumber(n) || i->valuedouble < 0 ||
            i->valuedouble >= HR_HIST_BUCKETS || n->valuedouble < 0 ||
            n->valuedouble > 9e15)
            return -1;
        h->counts[(size_t)i->valuedouble] += (uint64_t)n->valuedouble;
        if (h->total == 0) {
            /* The exact minimum is not stored; the bucket's floor is a
             * lower bound and leaves every quantile unchanged. */
            hr_hist_bounds((size_t)i->valuedouble, &lo, &hi);
            h->min_us = lo;
        }
        h->total += (uint64_t)n->valuedouble;
    }
    h->max_us = (int64_t)llround(max_ms * 1000.0);
    h->sum_us = mean_ms * 1000.0 * (double)h->total;
    return 0;
}

enum hr_outcome hr_report_outcome(const cJSON *a)
{
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(a, "status");
    const char *e = hr_report_str(a, "error", "");

    if (cJSON_IsNumber(st))
        return st->valueint >= 200 && st->valueint < 300 ? HR_OUT_SUCCESS
                                                         : HR_OUT_STATUS;
    return strcmp(e, "timeout") == 0 ? HR_OUT_TIMEOUT : HR_OUT_CONNECT;
}

void hr_report_last_outcome(const cJSON *ev, char *buf, size_t cap)
{
    const cJSON *as = cJSON_GetObjectItemCaseSensitive(ev, "attempts");
    int n = cJSON_GetArraySize(as);
    const cJSON *a = n ? cJSON_GetArrayItem(as, n - 1) : NULL;
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(a, "status");
    const char *detail = hr_report_str(a, "detail", "");

    if (!a)
        snprintf(buf, cap, "never sent");
    else if (cJSON_IsNumber(st))
        snprintf(buf, cap, "status %d after %d attempt%s", st->valueint, n,
                 n == 1 ? "" : "s");
    else
        snprintf(buf, cap, "%s%s%s%s after %d attempt%s",
                 hr_report_str(a, "error", "error"), detail[0] ? " (" : "",
                 detail, detail[0] ? ")" : "", n, n == 1 ? "" : "s");
}

double hr_report_event_ack_ms(const cJSON *ev)
{
    const cJSON *as = cJSON_GetObjectItemCaseSensitive(ev, "attempts");
    const cJSON *a;
    double worst = -1;

    cJSON_ArrayForEach(a, as)
    {
        double v = hr_report_num(a, "ack_ms", -1);

        if (v > worst)
            worst = v;
    }
    return worst;
}

int hr_report_owed(const cJSON *ev)
{
    return !cJSON_GetObjectItemCaseSensitive(ev, "attacker") &&
           !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ev, "dropped"));
}

size_t hr_report_undelivered(const cJSON *res, const cJSON **out, size_t max)
{
    const cJSON *ev;
    size_t n = 0;

    cJSON_ArrayForEach(ev, cJSON_GetObjectItemCaseSensitive(res, "events"))
    {
        if (!hr_report_owed(ev) ||
            cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ev, "delivered")))
            continue;
        if (n < max)
            out[n] = ev;
        n++;
    }
    return n;
}

size_t hr_report_slowest(const cJSON *res, const cJSON **out, size_t max)
{
    const cJSON *ev;
    size_t n = 0, i;

    /* Insertion into a short sorted list: O(events * max). */
    cJSON_ArrayForEach(ev, cJSON_GetObjectItemCaseSensitive(res, "events"))
    {
        double v = hr_report_event_ack_ms(ev);

        if (v < 0)
            continue;
        for (i = n < max ? n : max; i > 0; i--) {
            if (hr_report_event_ack_ms(out[i - 1]) >= v)
                break;
            if (i < max)
                out[i] = out[i - 1];
        }
        if (i < max) {
            out[i] = ev;
            if (n < max)
                n++;
        }
    }
    return n;
}

void hr_report_fmt_ms(char *buf, size_t cap, double ms)
{
    if (ms == 0)
        snprintf(buf, cap, "0 ms");
    else if (ms < 1)
        snprintf(buf, cap, "%.0f \xc2\xb5s", ms * 1000.0);
    else if (ms < 1000)
        snprintf(buf, cap, "%.3g ms", ms);
    else
        snprintf(buf, cap, "%.3g s", ms / 1000.0);
}

double hr_report_nice_step(double span)
{
    double raw = span / 8, mag;

    if (!(raw > 0))
        return 1;
    mag = pow(10, floor(log10(raw)));
    if (raw / mag <= 1)
        return mag;
    if (raw / mag <= 2)
        return 2 * mag;
    return raw / mag <= 5 ? 5 * mag : 10 * mag;
}
