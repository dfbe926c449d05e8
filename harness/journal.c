/* SPDX-License-Identifier: MIT */
/* The API journal: NDJSON lines on disk, aggregates in memory. */
#include "journal.h"
#include "hist.h"

#include <string.h>

#define MAX_PATH_LOGGED 200
#define STATUS_SLOTS 600
#define SERIES_BUCKETS 120 /* calls over time: at most this many */
#define SERIES_FIRST_MS 50 /* bucket width until the run outgrows it */

struct route_stat {
    char *route;
    int64_t calls, faults;
    int64_t ra_until_us; /* pending Retry-After deadline, or -1 */
    int64_t ra_violated; /* calls that came before that deadline */
};

struct fault_stat {
    char *label;
    int64_t calls;
};

/*
 * Calls per bucket of run time. The width doubles (neighbours merged)
 * whenever a call lands past the last bucket, so memory stays fixed
 * however long the run, and every call stays counted.
 */
struct series {
    int64_t bucket_ms;
    int64_t counts[SERIES_BUCKETS];
};

struct hr_journal {
    FILE *f;
    char *path;
    char *fbuf;
    int write_failed;
    int64_t calls, unmatched, faulted, first_us, last_us;
    int64_t status[STATUS_SLOTS];
    int64_t ra_given, ra_honoured, ra_violated;
    struct route_stat *routes;
    size_t n_routes;
    struct fault_stat *faults;
    size_t n_faults;
    struct hr_hist latency;
    struct series calls_over_time;
};

struct hr_journal *hr_journal_new(const char *path, struct hr_err *err)
{
    struct hr_journal *j = hr_calloc(1, sizeof(*j));

    if (!j) {
        hr_errf(err, HR_EXIT_INTERNAL, "out of memory");
        return NULL;
    }
    hr_hist_init(&j->latency);
    j->calls_over_time.bucket_ms = SERIES_FIRST_MS;
    j->first_us = -1;
    if (!path)
        return j;
    j->path = hr_strdup(path);
    j->f = fopen(path, "w");
    if (!j->f || !j->path) {
        hr_errf(err, HR_EXIT_INPUT, "%s: cannot create the API journal", path);
        hr_journal_free(j);
        return NULL;
    }
    j->fbuf = hr_malloc(1 << 16);
    if (j->fbuf)
        setvbuf(j->f, j->fbuf, _IOFBF, 1 << 16);
    return j;
}

static struct route_stat *route_for(struct hr_journal *j, const char *route)
{
    struct route_stat *r;
    size_t i;

    for (i = 0; i < j->n_routes; i++)
        if (strcmp(j->routes[i].route, route) == 0)
            return &j->routes[i];
    r = hr_realloc(j->routes, (j->n_routes + 1) * sizeof(*r));
    if (!r)
        return NULL;
    j->routes = r;
    r = &j->routes[j->n_routes];
    memset(r, 0, sizeof(*r));
    r->ra_until_us = -1;
    r->route = hr_strdup(route);
    if (!r->route)
        return NULL;
    j->n_routes++;
    return r;
}

static void count_fault(struct hr_journal *j, const char *label)
{
    struct fault_stat *f;
    size_t i;

    j->faulted++;
    for (i = 0; i < j->n_faults; i++)
        if (strcmp(j->faults[i].label, label) == 0) {
            j->faults[i].calls++;
            return;
        }
    f = hr_realloc(j->faults, (j->n_faults + 1) * sizeof(*f));
    if (!f)
        return;
    j->faults = f;
    f[j->n_faults].label = hr_strdup(label);
    f[j->n_faults].calls = 1;
    if (f[j->n_faults].label)
        j->n_faults++;
}

static void judge_retry_after(struct hr_journal *j, struct route_stat *r,
                              const struct hr_journal_entry *e)
{
    if (r->ra_until_us >= 0) {
        if (e->mono_us >= r->ra_until_us)
            j->ra_honoured++;
        else {
            j->ra_violated++;
            r->ra_violated++;
        }
        r->ra_until_us = -1;
    }
    if (e->status == 429 && e->retry_after_s >= 0) {
        j->ra_given++;
        r->ra_until_us = e->mono_us + e->retry_after_s * 1000000;
    }
}

static void series_widen(struct series *s)
{
    int i;

    for (i = 0; i < SERIES_BUCKETS / 2; i++)
        s->counts[i] = s->counts[2 * i] + s->counts[2 * i + 1];
    memset(s->counts + SERIES_BUCKETS / 2, 0,
           sizeof(s->counts) - sizeof(s->counts[0]) * (SERIES_BUCKETS / 2));
    s->bucket_ms *= 2;
}

/* Widens s until t_ms falls inside it; returns t_ms's bucket. */
static int series_fit(struct series *s, int64_t t_ms)
{
    if (t_ms < 0)
        t_ms = 0;
    while (t_ms / s->bucket_ms >= SERIES_BUCKETS)
        series_widen(s);
    return (int)(t_ms / s->bucket_ms);
}

/* Appends s as a JSON string, cut to max bytes, control bytes escaped. */
static size_t put_str(char *out, const char *s, size_t max)
{
    static const char hex[] = "0123456789abcdef";
    size_t i, n = 0;

    out[n++] = '"';
    for (i = 0; s && s[i] && i < max; i++) {
        unsigned char ch = (unsigned char)s[i];

        if (ch == '"' || ch == '\\') {
            out[n++] = '\\';
            out[n++] = (char)ch;
        } else if (ch < 0x20 || ch >= 0x7f) {
            memcpy(out + n, "\\u00", 4);
            out[n + 4] = hex[ch >> 4];
            out[n + 5] = hex[ch & 15];
            n += 6;
        } else {
            out[n++] = (char)ch;
        }
    }
    out[n++] = '"';
    return n;
}

/* Appends v in decimal; returns the bytes written (at most 20). */
static size_t put_u64(char *out, uint64_t v)
{
    char tmp[20];
    size_t n = 0, i;

    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    return n;
}

static size_t put_i64(char *out, int64_t v)
{
    if (v >= 0)
        return put_u64(out, (uint64_t)v);
    out[0] = '-';
    return 1 + put_u64(out + 1, (uint64_t)0 - (uint64_t)v);
}

/* Appends us as milliseconds with 3 decimals, as "%.3f" of us / 1000. */
static size_t put_ms(char *out, int64_t us)
{
    uint64_t a = us < 0 ? (uint64_t)0 - (uint64_t)us : (uint64_t)us;
    size_t n = 0;

    if (us < 0)
        out[n++] = '-';
    n += put_u64(out + n, a / 1000);
    out[n] = '.';
    out[n + 1] = (char)('0' + a / 100 % 10);
    out[n + 2] = (char)('0' + a / 10 % 10);
    out[n + 3] = (char)('0' + a % 10);
    return n + 4;
}

static size_t put_lit(char *out, const char *s)
{
    size_t n = strlen(s);

    memcpy(out, s, n);
    return n;
}

/* One line, built in a buffer and written with one call, with no printf:
 * the journal is on the server's hot path. */
static void write_line(struct hr_journal *j, const struct hr_journal_entry *e)
{
    char line[4096];
    size_t n;

    n = put_lit(line, "{\"t_ms\":");
    n += put_ms(line + n, e->t_us);
    n += put_lit(line + n, ",\"method\":");
    n += put_str(line + n, e->method, 16);
    n += put_lit(line + n, ",\"route\":");
    n += put_str(line + n, e->route, MAX_PATH_LOGGED);
    n += put_lit(line + n, ",\"path\":");
    n += put_str(line + n, e->path, MAX_PATH_LOGGED);
    n += put_lit(line + n, ",\"status\":");
    n += put_i64(line + n, e->status);
    n += put_lit(line + n, ",\"latency_us\":");
    n += put_i64(line + n, e->latency_us);
    if (e->fault) {
        n += put_lit(line + n, ",\"fault\":");
        n += put_str(line + n, e->fault, 64);
    }
    n += put_lit(line + n, "}\n");
    if (fwrite(line, 1, n, j->f) != n)
        j->write_failed = 1;
}

void hr_journal_record(struct hr_journal *j, const struct hr_journal_entry *e)
{
    struct route_stat *r = route_for(j, e->route ? e->route : "unmatched");

    j->calls++;
    if (j->first_us < 0)
        j->first_us = e->t_us;
    j->last_us = e->t_us;
    if (e->status >= 0 && e->status < STATUS_SLOTS)
        j->status[e->status]++;
    if (e->route && strcmp(e->route, "unmatched") == 0)
        j->unmatched++;
    /* A call answered with nothing (hang, reset) has no answer time:
     * counting its hold as one would pull the percentiles to 0. */
    if (e->status > 0)
        hr_hist_add(&j->latency, e->latency_us < 0 ? 0 : e->latency_us);
    j->calls_over_time
        .counts[series_fit(&j->calls_over_time, e->t_us / 1000)]++;
    if (r) {
        r->calls++;
        if (e->fault)
            r->faults++;
        judge_retry_after(j, r, e);
    }
    if (e->fault)
        count_fault(j, e->fault);
    if (j->f)
        write_line(j, e);
}

int64_t hr_journal_calls(const struct hr_journal *j)
{
    return j->calls;
}

static cJSON *by_route(const struct hr_journal *j)
{
    cJSON *o = cJSON_CreateObject();
    size_t i;

    for (i = 0; o && i < j->n_routes; i++)
        cJSON_AddNumberToObject(o, j->routes[i].route,
                                (double)j->routes[i].calls);
    return o;
}

static cJSON *by_status(const struct hr_journal *j)
{
    cJSON *o = cJSON_CreateObject();
    char key[8];
    int i;

    for (i = 0; o && i < STATUS_SLOTS; i++) {
        if (!j->status[i])
            continue;
        snprintf(key, sizeof(key), "%d", i);
        cJSON_AddNumberToObject(o, key, (double)j->status[i]);
    }
    return o;
}

static cJSON *by_fault(const struct hr_journal *j)
{
    cJSON *o = cJSON_CreateObject();
    size_t i;

    for (i = 0; o && i < j->n_faults; i++)
        cJSON_AddNumberToObject(o, j->faults[i].label,
                                (double)j->faults[i].calls);
    return o;
}

/* {"route": violations} for each route with at least one. */
static cJSON *violations_by_route(const struct hr_journal *j)
{
    cJSON *o = cJSON_CreateObject();
    size_t i;

    for (i = 0; o && i < j->n_routes; i++)
        if (j->routes[i].ra_violated)
            cJSON_AddNumberToObject(o, j->routes[i].route,
                                    (double)j->routes[i].ra_violated);
    return o;
}

static cJSON *retry_after(const struct hr_journal *j)
{
    cJSON *o = cJSON_CreateObject();

    if (!o)
        return NULL;
    cJSON_AddNumberToObject(o, "given", (double)j->ra_given);
    cJSON_AddNumberToObject(o, "honoured", (double)j->ra_honoured);
    cJSON_AddNumberToObject(o, "violated", (double)j->ra_violated);
    if (j->ra_honoured + j->ra_violated == 0)
        cJSON_AddNullToObject(o, "honoured_all");
    else
        cJSON_AddBoolToObject(o, "honoured_all", j->ra_violated == 0);
    cJSON_AddItemToObject(o, "violated_per_route", violations_by_route(j));
    return o;
}

static cJSON *latency(const struct hr_journal *j)
{
    cJSON *o = cJSON_CreateObject();

    if (!o)
        return NULL;
    cJSON_AddNumberToObject(o, "p50", hr_hist_quantile(&j->latency, 0.5));
    cJSON_AddNumberToObject(o, "p99", hr_hist_quantile(&j->latency, 0.99));
    cJSON_AddNumberToObject(o, "max", (double)j->latency.max_us);
    return o;
}

/* {"bucket_ms", "counts"} from 0 to elapsed (or the last call). */
static cJSON *over_time(const struct hr_journal *j, int64_t elapsed_us)
{
    struct series s = j->calls_over_time;
    cJSON *o = cJSON_CreateObject(), *c;
    int i, n = series_fit(&s, elapsed_us / 1000) + 1;

    for (i = n; i < SERIES_BUCKETS; i++)
        if (s.counts[i])
            n = i + 1;
    if (!o)
        return NULL;
    cJSON_AddNumberToObject(o, "bucket_ms", (double)s.bucket_ms);
    c = cJSON_AddArrayToObject(o, "counts");
    for (i = 0; c && i < n; i++)
        cJSON_AddItemToArray(c, cJSON_CreateNumber((double)s.counts[i]));
    return o;
}

cJSON *hr_journal_summary(const struct hr_journal *j, int64_t elapsed_us)
{
    cJSON *o = cJSON_CreateObject();
    double secs = elapsed_us > 0 ? (double)elapsed_us / 1e6 : 0;

    if (!o)
        return NULL;
    cJSON_AddNumberToObject(o, "calls", (double)j->calls);
    cJSON_AddNumberToObject(o, "polling_rate_per_s",
                            secs > 0 ? (double)j->calls / secs : 0);
    cJSON_AddItemToObject(o, "calls_per_route", by_route(j));
    cJSON_AddItemToObject(o, "calls_per_status", by_status(j));
    cJSON_AddNumberToObject(o, "calls_with_faults", (double)j->faulted);
    cJSON_AddItemToObject(o, "faults", by_fault(j));
    cJSON_AddItemToObject(o, "retry_after", retry_after(j));
    cJSON_AddNumberToObject(o, "unmatched", (double)j->unmatched);
    cJSON_AddItemToObject(o, "latency_us", latency(j));
    cJSON_AddItemToObject(o, "calls_over_time", over_time(j, elapsed_us));
    if (j->path)
        cJSON_AddStringToObject(o, "journal", j->path);
    else
        cJSON_AddNullToObject(o, "journal");
    return o;
}

int hr_journal_flush(struct hr_journal *j)
{
    if (j->f && fflush(j->f))
        j->write_failed = 1;
    return j->write_failed ? -1 : 0;
}

void hr_journal_free(struct hr_journal *j)
{
    size_t i;

    if (!j)
        return;
    if (j->f)
        fclose(j->f);
    for (i = 0; i < j->n_routes; i++)
        hr_free(j->routes[i].route);
    for (i = 0; i < j->n_faults; i++)
        hr_free(j->faults[i].label);
    hr_free(j->routes);
    hr_free(j->faults);
    hr_free(j->fbuf);
    hr_free(j->path);
    hr_free(j);
}
