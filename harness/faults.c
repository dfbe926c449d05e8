/* SPDX-License-Identifier: MIT */
/* Fault rules: parsing, matching helpers and seeded draws. */
#include "faults.h"
#include "cassette.h"
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

int hr_fault_rule_may_match(const struct hr_fault_rule *r,
                            const struct hr_interaction *it)
{
    const char *type = it->has_event && it->event.type ? it->event.type : "";
    const char *obj = it->has_event && it->event.object ? it->event.object : "";

    if (r->type_glob && !hr_glob_match(r->type_glob, type))
        return 0;
    if (r->object && strcmp(r->object, obj))
        return 0;
    return it->seq >= r->seq_lo && it->seq <= r->seq_hi;
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

/* Where parsing is, and where problems go. */
struct ctx {
    char where[256]; /* the pointer of the part being parsed */
    hr_fault_problem_fn fn;
    void *ud;
    int n_problems;
};

/* Reports a problem at where + field; returns -1. */
static int bad(struct ctx *c, const char *field, const char *what)
{
    char ptr[320];

    snprintf(ptr, sizeof(ptr), "%s%s", c->where, field);
    c->fn(c->ud, ptr, what);
    c->n_problems++;
    return -1;
}

/* Appends "/" + key to where, escaped as RFC 6901 says; returns the old
 * length, for pop. */
static size_t push(struct ctx *c, const char *key)
{
    size_t n = strlen(c->where), i = n;

    if (i + 1 < sizeof(c->where))
        c->where[i++] = '/';
    for (; *key && i + 3 < sizeof(c->where); key++) {
        if (*key == '~' || *key == '/') {
            c->where[i++] = '~';
            c->where[i++] = *key == '~' ? '0' : '1';
        } else {
            c->where[i++] = *key;
        }
    }
    c->where[i] = '\0';
    return n;
}

static void pop(struct ctx *c, size_t n)
{
    c->where[n] = '\0';
}

/* Every key of o must be in keys; each other key is a problem. */
static int only_keys(struct ctx *c, const cJSON *o, const char *const *keys)
{
    const cJSON *it;
    int rc = 0;

    cJSON_ArrayForEach(it, o)
    {
        const char *const *k;
        char what[300];
        size_t n, len;

        for (k = keys; *k && strcmp(*k, it->string); k++)
            ;
        if (*k)
            continue;
        if (strcmp(it->string, "//") == 0) {
            snprintf(what, sizeof(what),
                     "fault rules do not accept \"//\" comments yet: "
                     "put the comment in the scenario's top-level \"//\"");
        } else {
            len = (size_t)snprintf(what, sizeof(what), "unknown field (known:");
            for (k = keys; *k && len < sizeof(what); k++)
                len += (size_t)snprintf(what + len, sizeof(what) - len, "%s %s",
                                        k == keys ? "" : ",", *k);
            if (len < sizeof(what))
                snprintf(what + len, sizeof(what) - len, ")");
        }
        n = push(c, it->string);
        rc = bad(c, "", what);
        pop(c, n);
    }
    return rc;
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

static int match_string(struct ctx *c, const cJSON *v, const char *field,
                        char **out)
{
    if (!v)
        return 0;
    if (!cJSON_IsString(v))
        return bad(c, field, "must be a string");
    *out = hr_strdup(v->valuestring);
    return 0;
}

static int parse_match(struct ctx *c, const cJSON *m, struct hr_fault_rule *r)
{
    static const char *const keys[] = {"type", "object", "seq", "p", NULL};
    const cJSON *seq = cJSON_GetObjectItemCaseSensitive(m, "seq");
    size_t n;
    int rc = 0;

    r->p = 1;
    r->seq_lo = INT64_MIN;
    r->seq_hi = INT64_MAX;
    if (!m)
        return 0;
    n = push(c, "match");
    if (!cJSON_IsObject(m)) {
        rc = bad(c, "", "must be an object");
        pop(c, n);
        return rc;
    }
    rc |= only_keys(c, m, keys);
    rc |= match_string(c, cJSON_GetObjectItemCaseSensitive(m, "type"), "/type",
                       &r->type_glob);
    rc |= match_string(c, cJSON_GetObjectItemCaseSensitive(m, "object"),
                       "/object", &r->object);
    if (seq && (!cJSON_IsArray(seq) || cJSON_GetArraySize(seq) != 2 ||
                hr_json_int64(cJSON_GetArrayItem(seq, 0), &r->seq_lo) ||
                hr_json_int64(cJSON_GetArrayItem(seq, 1), &r->seq_hi) ||
                r->seq_lo > r->seq_hi))
        rc = bad(c, "/seq", "must be [first, last] (inclusive)");
    rc |= num(c, m, "p", 0, 1, &r->p, 0);
    pop(c, n);
    return rc;
}

/* One "pNN": ms entry; 0, or -1 after reporting it. */
static int percentile(struct ctx *c, const cJSON *it, struct hr_delay *d)
{
    const char *k = it->string;
    double q = k[0] == 'p' ? strtod(k + 1, NULL) / 100.0 : 0;
    size_t n = push(c, k);
    int rc = 0;

    if (d->n_pcts >= HR_MAX_PCTS)
        rc = bad(c, "", "at most 8 percentiles");
    else if (!cJSON_IsNumber(it) || it->valuedouble < 0 || !(q > 0 && q < 1))
        rc = bad(c, "", "must map p50, p90, p99, p99.9 ... to milliseconds");
    else if (d->n_pcts && (q <= d->pct_q[d->n_pcts - 1] ||
                           it->valuedouble < d->pct_ms[d->n_pcts - 1]))
        rc = bad(c, "",
                 "percentiles must increase, with values that do not "
                 "decrease");
    pop(c, n);
    if (rc == 0) {
        d->pct_q[d->n_pcts] = q;
        d->pct_ms[d->n_pcts++] = it->valuedouble;
    }
    return rc;
}

static int parse_percentiles(struct ctx *c, const cJSON *o, struct hr_delay *d)
{
    const cJSON *it;
    int rc = 0;

    if (!cJSON_IsObject(o) || !o->child)
        return bad(c, "/percentiles",
                   "must map p50, p90, p99, p99.9 ... to milliseconds");
    cJSON_ArrayForEach(it, o)
    {
        size_t n = push(c, "percentiles");

        rc |= percentile(c, it, d);
        pop(c, n);
    }
    return rc;
}

/* The forms of a delay: the key that chooses each, and its partner. */
static const struct delay_form {
    const char *name, *key, *partner;
    enum hr_dist dist;
} delay_forms[] = {
    {"fixed", "ms", NULL, HR_DIST_FIXED},
    {"uniform", "min_ms", "max_ms", HR_DIST_UNIFORM},
    {"normal", "mean_ms", "sd_ms", HR_DIST_NORMAL},
    {"lognormal", "median_ms", "sigma", HR_DIST_LOGNORMAL},
    {"pareto", "scale_ms", "shape", HR_DIST_PARETO},
    {"percentiles", "percentiles", NULL, HR_DIST_PERCENTILES},
    {"empirical", "empirical", NULL, HR_DIST_EMPIRICAL},
};
#define N_DELAY_FORMS (sizeof(delay_forms) / sizeof(delay_forms[0]))

/* The form o's keys choose: the first whose key is given, else the first
 * whose partner is; NULL when neither. */
static const struct delay_form *delay_form_of(const cJSON *o)
{
    size_t i;

    for (i = 0; i < N_DELAY_FORMS; i++)
        if (cJSON_GetObjectItemCaseSensitive(o, delay_forms[i].key))
            return &delay_forms[i];
    for (i = 0; i < N_DELAY_FORMS; i++)
        if (delay_forms[i].partner &&
            cJSON_GetObjectItemCaseSensitive(o, delay_forms[i].partner))
            return &delay_forms[i];
    return NULL;
}

/* Each key of o that belongs to another form than f is a problem. */
static int foreign_delay_keys(struct ctx *c, const cJSON *o,
                              const struct delay_form *f)
{
    const cJSON *it;
    int rc = 0;

    cJSON_ArrayForEach(it, o)
    {
        char what[200];
        size_t n;

        if (strcmp(it->string, f->key) == 0 ||
            (f->partner && strcmp(it->string, f->partner) == 0))
            continue;
        snprintf(what, sizeof(what),
                 "does not belong to a %s delay (%s%s%s): give the "
                 "parameters of one form only",
                 f->name, f->key, f->partner ? ", " : "",
                 f->partner ? f->partner : "");
        n = push(c, it->string);
        rc = bad(c, "", what);
        pop(c, n);
    }
    return rc;
}

static int delay_params(struct ctx *c, const cJSON *o,
                        const struct delay_form *f, struct hr_delay *d)
{
    double lo_b = 0, hi_b = 2.6e9;
    int rc;

    d->dist = f->dist;
    if (f->dist == HR_DIST_PERCENTILES)
        return parse_percentiles(c, cJSON_GetObjectItemCaseSensitive(o, f->key),
                                 d);
    if (f->dist == HR_DIST_EMPIRICAL)
        return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, f->key))
                   ? 0
                   : bad(c, "/empirical", "must be true");
    rc = num(c, o, f->key, 0, 2.6e9, &d->a, 1);
    if (!f->partner)
        return rc;
    if (f->dist == HR_DIST_UNIFORM && rc == 0)
        lo_b = d->a;
    if (f->dist == HR_DIST_LOGNORMAL)
        hi_b = 10;
    if (f->dist == HR_DIST_PARETO) {
        lo_b = 0.01;
        hi_b = 100;
    }
    return rc | num(c, o, f->partner, lo_b, hi_b, &d->b, 1);
}

static int parse_delay(struct ctx *c, const cJSON *o, struct hr_delay *d)
{
    static const char *const keys[] = {
        "ms",    "min_ms",   "max_ms", "mean_ms",     "sd_ms",     "median_ms",
        "sigma", "scale_ms", "shape",  "percentiles", "empirical", NULL};
    const struct delay_form *f;
    int rc;

    if (!cJSON_IsObject(o))
        return bad(c, "", "must be an object");
    rc = only_keys(c, o, keys);
    f = delay_form_of(o);
    if (!f)
        return bad(c, "",
                   "give ms, min_ms/max_ms, mean_ms/sd_ms, median_ms/"
                   "sigma, scale_ms/shape, percentiles, or "
                   "\"empirical\": true");
    rc |= foreign_delay_keys(c, o, f);
    return rc | delay_params(c, o, f, d);
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
    int i = 0, rc = 0;

    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) < 1 ||
        cJSON_GetArraySize(a) > HR_MAX_SCRIPT)
        return bad(c, "", "must list 1 to 16 attempt actions");
    cJSON_ArrayForEach(it, a)
    {
        int k = cJSON_IsString(it) ? name_in(it->valuestring, step_names) : -1;
        char field[16];

        snprintf(field, sizeof(field), "/%d", i++);
        if (k <= 0)
            rc = bad(c, field,
                     "each step is deliver, timeout, refused, reset, "
                     "truncated, slow or http10");
        else
            r->script[r->n_script++] = (enum hr_step)k;
    }
    return rc;
}

static int parse_dup(struct ctx *c, const cJSON *o, struct hr_fault_rule *r)
{
    double copies = 1, spacing = 0;
    const cJSON *nid = cJSON_GetObjectItemCaseSensitive(o, "new_id");
    const cJSON *cp = cJSON_GetObjectItemCaseSensitive(o, "copies");
    static const char *const keys[] = {"copies", "spacing_ms", "new_id", NULL};
    int rc;

    if (!cJSON_IsObject(o))
        return bad(c, "", "must be an object");
    rc = only_keys(c, o, keys);
    if (cp &&
        (!cJSON_IsNumber(cp) || cp->valuedouble != floor(cp->valuedouble) ||
         cp->valuedouble < 1 || cp->valuedouble > HR_MAX_COPIES))
        rc = bad(c, "/copies",
                 "must be an integer from 1 to 63: an event fans out to at "
                 "most 64 deliveries (the original and 63 copies)");
    else if (cp)
        copies = cp->valuedouble;
    rc |= num(c, o, "spacing_ms", 0, 8.64e7, &spacing, 0);
    if (nid && !cJSON_IsBool(nid))
        rc = bad(c, "/new_id", "must be true or false");
    r->copies = (int)copies;
    r->spacing_ms = spacing;
    r->new_id = cJSON_IsTrue(nid);
    return rc;
}

static int parse_reorder(struct ctx *c, const cJSON *o, struct hr_fault_rule *r)
{
    static const char *const keys[] = {"window", "window_ms", NULL};
    double n = 0, ms = 0;
    int rc;

    if (!cJSON_IsObject(o))
        return bad(c, "", "must be an object");
    rc = only_keys(c, o, keys);
    rc |= num(c, o, "window", 2, 10000, &n, 0);
    rc |= num(c, o, "window_ms", 1, 8.64e7, &ms, 0);
    if (rc == 0 && (n > 0) == (ms > 0))
        rc = bad(c, "", "give one of window (events) or window_ms");
    r->window_events = (int)n;
    r->window_ms = ms;
    return rc;
}

/* A name from names (index from 1), or a problem naming them all. */
static int one_of(struct ctx *c, const cJSON *v, const char *const *names,
                  const char *what)
{
    int k = cJSON_IsString(v) ? name_in(v->valuestring, names) : -1;

    return k > 0 ? k : bad(c, "", what);
}

static int parse_signature(struct ctx *c, const cJSON *v,
                           struct hr_fault_rule *r)
{
    if (cJSON_IsString(v) && strcmp(v->valuestring, "tampered") == 0) {
        r->sig_fault = HR_SIG_TAMPERED_CODE;
        return 0;
    }
    r->sig_fault = one_of(c, v, sig_names,
                          "must be forged, stale, tampered, missing, "
                          "wrong_scheme or rotated");
    return r->sig_fault > 0 ? 0 : -1;
}

static int parse_payload(struct ctx *c, const cJSON *v, struct hr_fault_rule *r)
{
    static const char *const keys[] = {"oversized", NULL};
    const cJSON *size;
    int k, rc;

    if (cJSON_IsObject(v)) {
        rc = only_keys(c, v, keys);
        size = cJSON_GetObjectItemCaseSensitive(v, "oversized");
        if (!size || hr_json_int64(size, &r->size_bytes) || r->size_bytes < 1 ||
            r->size_bytes > (1LL << 30))
            return bad(c, size ? "/oversized" : "",
                       "{\"oversized\": BYTES} needs 1..2^30 bytes");
        r->payload = HR_PAY_OVERSIZED;
        return rc;
    }
    k = one_of(c, v, pay_names,
               "must be malformed, unknown_type, oversized, gzip, "
               "wrong_content_type or reformat");
    r->payload = (enum hr_payload_fault)(k > 0 ? k : 0);
    if (r->payload == HR_PAY_OVERSIZED)
        r->size_bytes = 1 << 20;
    return k > 0 ? 0 : -1;
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
                   : bad(c, "", "drop and timeout take {} or true");
    }
    if (strcmp(k, "script") == 0) {
        r->action = HR_FA_SCRIPT;
        return parse_script(c, key, r);
    }
    if (strcmp(k, "connection") == 0) {
        r->action = HR_FA_CONNECTION;
        v = one_of(c, key, conn_names,
                   "must be refused, reset, truncated, slow or http10");
        r->conn = (enum hr_conn_fault)(v > 0 ? v : 0);
        return v > 0 ? 0 : -1;
    }
    if (strcmp(k, "signature") == 0) {
        r->action = HR_FA_SIGNATURE;
        return parse_signature(c, key, r);
    }
    if (strcmp(k, "payload") == 0) {
        r->action = HR_FA_PAYLOAD;
        return parse_payload(c, key, r);
    }
    return bad(c, "",
               "unknown action (known: delay, duplicate, reorder, drop, "
               "timeout, connection, signature, payload, script)");
}

static int parse_action(struct ctx *c, const cJSON *act,
                        struct hr_fault_rule *r)
{
    size_t n;
    int rc;

    if (!cJSON_IsObject(act) || cJSON_GetArraySize(act) != 1)
        return bad(c, "/action",
                   act ? "must be an object with exactly one action (write "
                         "one rule per action)"
                       : "required: an object with exactly one action");
    n = push(c, "action");
    push(c, act->child->string);
    rc = parse_action_kind(c, act->child, r);
    pop(c, n);
    return rc;
}

static int parse_rule(struct ctx *c, const cJSON *o, struct hr_fault_rule *r)
{
    static const char *const keys[] = {"match", "action", "stop", NULL};
    const cJSON *stop = cJSON_GetObjectItemCaseSensitive(o, "stop");
    int rc;

    r->p = 1;
    r->seq_lo = INT64_MIN;
    r->seq_hi = INT64_MAX;
    if (!cJSON_IsObject(o))
        return bad(c, "", "a rule must be an object with match and action");
    rc = only_keys(c, o, keys);
    rc |= parse_match(c, cJSON_GetObjectItemCaseSensitive(o, "match"), r);
    if (stop && !cJSON_IsBool(stop))
        rc = bad(c, "/stop", "must be true or false");
    r->stop = cJSON_IsTrue(stop);
    return rc |
           parse_action(c, cJSON_GetObjectItemCaseSensitive(o, "action"), r);
}

int hr_faults_parse_each(const cJSON *arr, const char *where,
                         hr_fault_problem_fn fn, void *ud,
                         struct hr_faults *out)
{
    struct ctx c;
    const cJSON *it;
    size_t i = 0;

    memset(out, 0, sizeof(*out));
    memset(&c, 0, sizeof(c));
    c.fn = fn;
    c.ud = ud;
    snprintf(c.where, sizeof(c.where), "%s", where);
    if (!arr)
        return 0;
    if (!cJSON_IsArray(arr))
        return -bad(&c, "", "must be a list of rules");
    out->n = (size_t)cJSON_GetArraySize(arr);
    out->rules = hr_calloc(out->n ? out->n : 1, sizeof(*out->rules));
    if (!out->rules) {
        out->n = 0;
        return -bad(&c, "", "out of memory");
    }
    cJSON_ArrayForEach(it, arr)
    {
        char idx[24];
        size_t n;

        snprintf(idx, sizeof(idx), "%zu", i);
        n = push(&c, idx);
        parse_rule(&c, it, &out->rules[i++]);
        pop(&c, n);
    }
    return c.n_problems;
}

/* The first problem, worded "ORIGIN: POINTER: what", into an hr_err. */
struct first {
    const char *origin;
    struct hr_err *err;
    int seen;
};

static void keep_first(void *ud, const char *ptr, const char *what)
{
    struct first *f = ud;

    if (f->seen++ == 0)
        hr_errf(f->err, HR_EXIT_INPUT, "%s: %s: %s", f->origin, ptr, what);
}

int hr_faults_parse(const cJSON *arr, const char *origin, const char *where,
                    struct hr_faults *out, struct hr_err *err)
{
    struct first f = {origin, err, 0};

    return hr_faults_parse_each(arr, where, keep_first, &f, out) ? -1 : 0;
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
