/* SPDX-License-Identifier: MIT */
/* Fault rules: parsing, matching helpers and seeded draws. */
#include "faults.h"
#include "jsonx.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void hr_faults_free(struct hr_faults *f)
{
    size_t i;

    for (i = 0; i < f->n; i++) {
        hr_free(f->rules[i].type_glob);
        hr_free(f->rules[i].object);
    }
    hr_free(f->rules);
    f->rules = NULL;
    f->n = 0;
}

int hr_glob_match(const char *g, const char *s)
{
    const char *star = NULL, *mark = NULL;

    while (*s) {
        if (*g == '*') {
            star = g++;
            mark = s;
        } else if (*g == '?' || *g == *s) {
            g++;
            s++;
        } else if (star) {
            g = star + 1;
            s = ++mark;
        } else {
            return 0;
        }
    }
    while (*g == '*')
        g++;
    return *g == '\0';
}

static uint64_t mix64(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

double hr_draw(uint64_t seed, int rule, const char *key, int attempt, int draw)
{
    uint64_t h = 1469598103934665603ULL;
    const unsigned char *p = (const unsigned char *)(key ? key : "");

    while (*p)
        h = (h ^ *p++) * 1099511628211ULL;
    h = mix64(h ^ mix64(seed));
    h = mix64(h ^ ((uint64_t)(uint32_t)rule << 32 | (uint32_t)attempt));
    h = mix64(h ^ (uint64_t)(uint32_t)draw);
    return (double)(h >> 11) * (1.0 / 9007199254740992.0);
}

/* A standard normal from two uniform draws (Box-Muller). */
static double normal01(uint64_t seed, int rule, const char *key, int att)
{
    double u1 = hr_draw(seed, rule, key, att, 1);
    double u2 = hr_draw(seed, rule, key, att, 2);

    if (u1 < 1e-300)
        u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

static double percentile_ms(const struct hr_delay *d, double u)
{
    int i;

    if (u <= d->pct_q[0])
        return d->pct_ms[0] * (d->pct_q[0] > 0 ? u / d->pct_q[0] : 1);
    for (i = 1; i < d->n_pcts; i++) {
        if (u <= d->pct_q[i]) {
            double f = (u - d->pct_q[i - 1]) / (d->pct_q[i] - d->pct_q[i - 1]);

            return d->pct_ms[i - 1] + f * (d->pct_ms[i] - d->pct_ms[i - 1]);
        }
    }
    return d->pct_ms[d->n_pcts - 1];
}

int64_t hr_delay_sample_us(const struct hr_delay *d, uint64_t seed, int rule,
                           const char *key, int attempt,
                           const double *empirical_ms, size_t n_empirical)
{
    double u = hr_draw(seed, rule, key, attempt, 0), ms = 0;

    switch (d->dist) {
    case HR_DIST_FIXED:
        ms = d->a;
        break;
    case HR_DIST_UNIFORM:
        ms = d->a + u * (d->b - d->a);
        break;
    case HR_DIST_NORMAL:
        ms = d->a + d->b * normal01(seed, rule, key, attempt);
        break;
    case HR_DIST_LOGNORMAL:
        ms = d->a * exp(d->b * normal01(seed, rule, key, attempt));
        break;
    case HR_DIST_PARETO:
        ms = d->a / pow(1.0 - u, 1.0 / d->b);
        break;
    case HR_DIST_PERCENTILES:
        ms = percentile_ms(d, u);
        break;
    case HR_DIST_EMPIRICAL:
        ms = n_empirical ? empirical_ms[(size_t)(u * (double)n_empirical)] : 0;
        break;
    }
    if (!(ms > 0))
        return 0;
    if (ms > 86400000.0 * 30)
        ms = 86400000.0 * 30; /* a heavy tail is capped at 30 days */
    return (int64_t)(ms * 1000.0);
}

struct ctx {
    const char *origin;
    char where[160];
    struct hr_err *err;
};

static int bad(struct ctx *c, const char *field, const char *what)
{
    return hr_errf(c->err, HR_EXIT_INPUT, "%s: %s%s: %s", c->origin, c->where,
                   field, what);
}

static int num(struct ctx *c, const cJSON *o, const char *key, double lo,
               double hi, double *out, int required)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    char field[64], what[96];

    snprintf(field, sizeof(field), "/%s", key);
    if (!v && !required)
        return 0;
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) ||
        v->valuedouble < lo || v->valuedouble > hi) {
        snprintf(what, sizeof(what), "%s a number from %g to %g",
                 v ? "must be" : "required:", lo, hi);
        return bad(c, field, what);
    }
    *out = v->valuedouble;
    return 0;
}

static int parse_match(struct ctx *c, const cJSON *m, struct hr_fault_rule *r)
{
    static const char *const keys[] = {"type", "object", "seq", "p", NULL};
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(m, "type");
    const cJSON *obj = cJSON_GetObjectItemCaseSensitive(m, "object");
    const cJSON *seq = cJSON_GetObjectItemCaseSensitive(m, "seq");
    size_t n = strlen(c->where);
    int rc;

    r->p = 1;
    r->seq_lo = INT64_MIN;
    r->seq_hi = INT64_MAX;
    if (!m)
        return 0;
    snprintf(c->where + n, sizeof(c->where) - n, "/match");
    rc = -1;
    if (!cJSON_IsObject(m)) {
        bad(c, "", "must be an object");
        goto out;
    }
    if (hr_json_only_keys(m, keys, c->origin, c->where, c->err))
        goto out;
    if ((type && !cJSON_IsString(type)) || (obj && !cJSON_IsString(obj))) {
        bad(c, "", "type and object must be strings");
        goto out;
    }
    r->type_glob = type ? hr_strdup(type->valuestring) : NULL;
    r->object = obj ? hr_strdup(obj->valuestring) : NULL;
    if (seq && (!cJSON_IsArray(seq) || cJSON_GetArraySize(seq) != 2 ||
                hr_json_int64(cJSON_GetArrayItem(seq, 0), &r->seq_lo) ||
                hr_json_int64(cJSON_GetArrayItem(seq, 1), &r->seq_hi) ||
                r->seq_lo > r->seq_hi)) {
        bad(c, "/seq", "must be [first, last] (inclusive)");
        goto out;
    }
    rc = num(c, m, "p", 0, 1, &r->p, 0);
out:
    c->where[n] = '\0';
    return rc;
}

static int parse_percentiles(struct ctx *c, const cJSON *o, struct hr_delay *d)
{
    const cJSON *it;

    cJSON_ArrayForEach(it, o)
    {
        const char *k = it->string;
        double q;

        if (d->n_pcts >= HR_MAX_PCTS || k[0] != 'p' || !cJSON_IsNumber(it) ||
            it->valuedouble < 0)
            return bad(c, "/percentiles",
                       "must map p50, p90, p99, p99.9 ... to milliseconds");
        q = strtod(k + 1, NULL) / 100.0;
        if (!(q > 0 && q < 1) ||
            (d->n_pcts && (q <= d->pct_q[d->n_pcts - 1] ||
                           it->valuedouble < d->pct_ms[d->n_pcts - 1])))
            return bad(c, "/percentiles",
                       "percentiles must increase, with values that do not "
                       "decrease");
        d->pct_q[d->n_pcts] = q;
        d->pct_ms[d->n_pcts++] = it->valuedouble;
    }
    if (!d->n_pcts)
        return bad(c, "/percentiles", "give at least one percentile");
    return 0;
}

/* Checks o's keys, naming errors under the rule's /action/NAME. */
static int only_keys(struct ctx *c, const cJSON *o, const char *name,
                     const char *const *keys)
{
    char where[200];

    snprintf(where, sizeof(where), "%s/action/%s", c->where, name);
    return hr_json_only_keys(o, keys, c->origin, where, c->err);
}

static int parse_delay(struct ctx *c, const cJSON *o, struct hr_delay *d)
{
    static const char *const keys[] = {
        "ms",    "min_ms",   "max_ms", "mean_ms",     "sd_ms",     "median_ms",
        "sigma", "scale_ms", "shape",  "percentiles", "empirical", NULL};
    const cJSON *pcts = cJSON_GetObjectItemCaseSensitive(o, "percentiles");

    if (!cJSON_IsObject(o))
        return bad(c, "/action/delay", "must be an object");
    if (only_keys(c, o, "delay", keys))
        return -1;
    strncat(c->where, "/action/delay", sizeof(c->where) - strlen(c->where) - 1);
    if (cJSON_GetObjectItemCaseSensitive(o, "ms")) {
        d->dist = HR_DIST_FIXED;
        return num(c, o, "ms", 0, 2.6e9, &d->a, 1);
    }
    if (cJSON_GetObjectItemCaseSensitive(o, "min_ms")) {
        d->dist = HR_DIST_UNIFORM;
        if (num(c, o, "min_ms", 0, 2.6e9, &d->a, 1) ||
            num(c, o, "max_ms", d->a, 2.6e9, &d->b, 1))
            return -1;
        return 0;
    }
    if (cJSON_GetObjectItemCaseSensitive(o, "mean_ms")) {
        d->dist = HR_DIST_NORMAL;
        return num(c, o, "mean_ms", 0, 2.6e9, &d->a, 1) ||
               num(c, o, "sd_ms", 0, 2.6e9, &d->b, 1);
    }
    if (cJSON_GetObjectItemCaseSensitive(o, "median_ms")) {
        d->dist = HR_DIST_LOGNORMAL;
        return num(c, o, "median_ms", 0, 2.6e9, &d->a, 1) ||
               num(c, o, "sigma", 0, 10, &d->b, 1);
    }
    if (cJSON_GetObjectItemCaseSensitive(o, "scale_ms")) {
        d->dist = HR_DIST_PARETO;
        return num(c, o, "scale_ms", 0, 2.6e9, &d->a, 1) ||
               num(c, o, "shape", 0.01, 100, &d->b, 1);
    }
    if (pcts) {
        d->dist = HR_DIST_PERCENTILES;
        return parse_percentiles(c, pcts, d);
    }
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "empirical"))) {
        d->dist = HR_DIST_EMPIRICAL;
        return 0;
    }
    return bad(c, "",
               "give ms, min_ms/max_ms, mean_ms/sd_ms, median_ms/"
               "sigma, scale_ms/shape, percentiles, or "
               "\"empirical\": true");
}

static int name_in(const char *s, const char *const *names)
{
    int i;

    for (i = 0; names[i]; i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    return -1;
}

static const char *const conn_names[] = {
    "", "refused", "reset", "truncated", "slow", "http10", NULL};
static const char *const sig_names[] = {
    "", "forged", "stale", "missing", "wrong_scheme", "rotated", NULL};
static const char *const pay_names[] = {
    "",     "malformed",          "unknown_type", "oversized",
    "gzip", "wrong_content_type", "reformat",     NULL};
static const char *const step_names[] = {"",        "deliver", "timeout",
                                         "refused", "reset",   "truncated",
                                         "slow",    "http10",  NULL};

static int parse_script(struct ctx *c, const cJSON *a, struct hr_fault_rule *r)
{
    const cJSON *it;

    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) < 1 ||
        cJSON_GetArraySize(a) > HR_MAX_SCRIPT)
        return bad(c, "/action/script", "must list 1 to 16 attempt actions");
    cJSON_ArrayForEach(it, a)
    {
        int k = cJSON_IsString(it) ? name_in(it->valuestring, step_names) : -1;

        if (k <= 0)
            return bad(c, "/action/script",
                       "each step is deliver, timeout, refused, reset, "
                       "truncated, slow or http10");
        r->script[r->n_script++] = (enum hr_step)k;
    }
    return 0;
}

static int parse_dup(struct ctx *c, const cJSON *o, struct hr_fault_rule *r)
{
    double copies = 1, spacing = 0;
    const cJSON *nid = cJSON_GetObjectItemCaseSensitive(o, "new_id");
    static const char *const keys[] = {"copies", "spacing_ms", "new_id", NULL};

    if (!cJSON_IsObject(o))
        return bad(c, "/action/duplicate", "must be an object");
    if (only_keys(c, o, "duplicate", keys) ||
        num(c, o, "copies", 1, 100, &copies, 0) ||
        num(c, o, "spacing_ms", 0, 8.64e7, &spacing, 0))
        return -1;
    if (nid && !cJSON_IsBool(nid))
        return bad(c, "/action/duplicate/new_id", "must be true or false");
    r->copies = (int)copies;
    r->spacing_ms = spacing;
    r->new_id = cJSON_IsTrue(nid);
    return 0;
}

static int parse_reorder(struct ctx *c, const cJSON *o, struct hr_fault_rule *r)
{
    static const char *const keys[] = {"window", "window_ms", NULL};
    double n = 0, ms = 0;

    if (!cJSON_IsObject(o) || only_keys(c, o, "reorder", keys) ||
        num(c, o, "window", 2, 10000, &n, 0) ||
        num(c, o, "window_ms", 1, 8.64e7, &ms, 0))
        return c->err->msg[0] ? -1
                              : bad(c, "/action/reorder", "must be an object");
    if ((n > 0) == (ms > 0))
        return bad(c, "/action/reorder",
                   "give one of window (events) or window_ms");
    r->window_events = (int)n;
    r->window_ms = ms;
    return 0;
}

static int parse_action_kind(struct ctx *c, const cJSON *key,
                             struct hr_fault_rule *r)
{
    const char *k = key->string;
    int v;

    if (strcmp(k, "delay") == 0) {
        r->action = HR_FA_DELAY;
        return parse_delay(c, key, &r->delay);
    }
    if (strcmp(k, "duplicate") == 0) {
        r->action = HR_FA_DUPLICATE;
        return parse_dup(c, key, r);
    }
    if (strcmp(k, "reorder") == 0) {
        r->action = HR_FA_REORDER;
        return parse_reorder(c, key, r);
    }
    if (strcmp(k, "drop") == 0 || strcmp(k, "timeout") == 0) {
        r->action = k[0] == 'd' ? HR_FA_DROP : HR_FA_TIMEOUT;
        return (cJSON_IsObject(key) && !key->child) || cJSON_IsTrue(key)
                   ? 0
                   : bad(c, "/action", "drop and timeout take {} or true");
    }
    if (strcmp(k, "script") == 0) {
        r->action = HR_FA_SCRIPT;
        return parse_script(c, key, r);
    }
    v = cJSON_IsString(key) ? -1 : -2;
    if (strcmp(k, "connection") == 0) {
        r->action = HR_FA_CONNECTION;
        if (v == -1)
            v = name_in(key->valuestring, conn_names);
        r->conn = (enum hr_conn_fault)(v > 0 ? v : 0);
        return v > 0 ? 0
                     : bad(c, "/action/connection",
                           "must be refused, reset, truncated, slow or "
                           "http10");
    }
    if (strcmp(k, "signature") == 0) {
        r->action = HR_FA_SIGNATURE;
        if (v == -1 && strcmp(key->valuestring, "tampered") == 0) {
            r->sig_fault = HR_SIG_TAMPERED_CODE;
            return 0;
        }
        if (v == -1)
            v = name_in(key->valuestring, sig_names);
        r->sig_fault = v;
        return v > 0 ? 0
                     : bad(c, "/action/signature",
                           "must be forged, stale, tampered, missing, "
                           "wrong_scheme or rotated");
    }
    if (strcmp(k, "payload") == 0) {
        const cJSON *size;

        r->action = HR_FA_PAYLOAD;
        if (cJSON_IsObject(key)) {
            size = cJSON_GetObjectItemCaseSensitive(key, "oversized");
            if (!size || hr_json_int64(size, &r->size_bytes) ||
                r->size_bytes < 1 || r->size_bytes > (1LL << 30))
                return bad(c, "/action/payload",
                           "{\"oversized\": BYTES} needs 1..2^30 bytes");
            r->payload = HR_PAY_OVERSIZED;
            return 0;
        }
        if (v == -1)
            v = name_in(key->valuestring, pay_names);
        r->payload = (enum hr_payload_fault)(v > 0 ? v : 0);
        if (r->payload == HR_PAY_OVERSIZED)
            r->size_bytes = 1 << 20;
        return v > 0 ? 0
                     : bad(c, "/action/payload",
                           "must be malformed, unknown_type, oversized, "
                           "gzip, wrong_content_type or reformat");
    }
    return hr_errf(c->err, HR_EXIT_INPUT, "%s: %s/action/%s: unknown action",
                   c->origin, c->where, k);
}

static int parse_rule(struct ctx *c, const cJSON *o, struct hr_fault_rule *r)
{
    static const char *const keys[] = {"match", "action", "stop", NULL};
    const cJSON *act = cJSON_GetObjectItemCaseSensitive(o, "action");
    const cJSON *stop = cJSON_GetObjectItemCaseSensitive(o, "stop");

    if (!cJSON_IsObject(o))
        return bad(c, "", "a rule must be an object with match and action");
    if (hr_json_only_keys(o, keys, c->origin, c->where, c->err) ||
        parse_match(c, cJSON_GetObjectItemCaseSensitive(o, "match"), r))
        return -1;
    if (stop && !cJSON_IsBool(stop))
        return bad(c, "/stop", "must be true or false");
    r->stop = cJSON_IsTrue(stop);
    if (!cJSON_IsObject(act) || cJSON_GetArraySize(act) != 1)
        return bad(c, "/action",
                   "must be an object with exactly one "
                   "action");
    return parse_action_kind(c, act->child, r);
}

int hr_faults_parse(const cJSON *arr, const char *origin, const char *where,
                    struct hr_faults *out, struct hr_err *err)
{
    struct ctx c;
    const cJSON *it;
    size_t i = 0;

    memset(out, 0, sizeof(*out));
    if (!arr)
        return 0;
    c.origin = origin;
    c.err = err;
    if (!cJSON_IsArray(arr))
        return hr_errf(err, HR_EXIT_INPUT, "%s: %s: must be a list of rules",
                       origin, where);
    out->n = (size_t)cJSON_GetArraySize(arr);
    out->rules = hr_calloc(out->n ? out->n : 1, sizeof(*out->rules));
    if (!out->rules)
        return hr_errf(err, HR_EXIT_INTERNAL, "out of memory");
    cJSON_ArrayForEach(it, arr)
    {
        snprintf(c.where, sizeof(c.where), "%s/%zu", where, i);
        if (parse_rule(&c, it, &out->rules[i++]))
            return -1;
    }
    return 0;
}

const char *hr_fault_label(const struct hr_fault_rule *r, char *buf, size_t cap)
{
    switch (r->action) {
    case HR_FA_DELAY:
        return "delay";
    case HR_FA_DUPLICATE:
        return r->new_id ? "duplicate_new_id" : "duplicate";
    case HR_FA_REORDER:
        return "reorder";
    case HR_FA_DROP:
        return "drop";
    case HR_FA_TIMEOUT:
        return "timeout";
    case HR_FA_SCRIPT:
        return "script";
    case HR_FA_CONNECTION:
        snprintf(buf, cap, "connection:%s", conn_names[r->conn]);
        return buf;
    case HR_FA_SIGNATURE:
        snprintf(buf, cap, "signature:%s",
                 r->sig_fault < 0 ? "tampered" : sig_names[r->sig_fault]);
        return buf;
    case HR_FA_PAYLOAD:
        snprintf(buf, cap, "payload:%s", pay_names[r->payload]);
        return buf;
    }
    return "?";
}
