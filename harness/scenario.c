/* SPDX-License-Identifier: MIT */
/* Scenario files: strict parsing, defaults, secrets and relative paths. */
#include "scenario.h"
#include "jsonx.h"
#include "sign.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void hr_scenario_defaults(struct hr_scenario *s)
{
    memset(s, 0, sizeof(*s));
    s->seed = 1;
    s->pacing = HR_PACE_RECORDED;
    s->speed = 1.0;
    s->rate_per_s = 100.0;
    s->max_in_flight = 64;
    s->per_object_in_flight = 1;
    s->retry_time_scale = 0.0001;
    s->retries = 1;
    s->handshakes = 1;
    s->report_formats = HR_REPORT_JSON;
    s->thresholds.has_min_delivery_rate = 1;
    s->thresholds.min_delivery_rate = 1.0;
}

void hr_scenario_free(struct hr_scenario *s)
{
    size_t i;

    if (!s)
        return;
    for (i = 0; i < s->n_targets; i++) {
        struct hr_target_cfg *t = &s->targets[i];

        hr_free(t->endpoint);
        hr_free(t->url);
        hr_free(t->ca_file);
        hr_free(t->profile);
        hr_secrets_free(t->secrets, t->n_secrets);
    }
    hr_free(s->targets);
    hr_free(s->path);
    hr_free(s->cassette);
    hr_free(s->profile_dir);
    hr_free(s->out_dir);
    hr_free(s->select_type);
    hr_free(s->select_object);
    hr_faults_free(&s->faults);
    hr_probe_free(s->probe);
    hr_recon_free(&s->recon);
    hr_hooks_free(&s->hooks);
    if (s->api) {
        hr_mockapi_cfg_free(s->api);
        hr_free(s->api);
    }
    for (i = 0; i < s->n_rebase_pointers; i++)
        hr_free(s->rebase_pointers[i]);
    hr_free(s->rebase_pointers);
    hr_free(s);
}

struct hr_target_cfg *hr_scenario_target(struct hr_scenario *s,
                                         const char *endpoint)
{
    size_t i;

    for (i = 0; i < s->n_targets; i++)
        if (strcmp(s->targets[i].endpoint, endpoint) == 0)
            return &s->targets[i];
    return NULL;
}

/* Where parsing is, and where problems go. */
struct ctx {
    const char *origin;
    char *dir;
    struct hr_err *err; /* load: the first problem lands here */
    const char *text;   /* the file, to find a field's line */
    size_t len;
    hr_problem_fn fn; /* lint: every problem goes here */
    void *ud;
    int n_problems;
    int probe_failed;     /* a probe was given but did not parse */
    int secrets_optional; /* a plan signs nothing: a missing secret is ok */
};

/* Reports a problem at JSON pointer ptr; returns -1. */
static int bad(struct ctx *c, const char *ptr, const char *what)
{
    size_t off =
        c->text ? hr_json_locate(c->text, c->len, ptr) : HR_JSON_NOT_FOUND;
    char msg[1024];
    int line = 0, col;

    if (off != HR_JSON_NOT_FOUND)
        hr_text_position(c->text, off, &line, &col);
    if (line)
        snprintf(msg, sizeof(msg), "%s:%d: %s: %s", c->origin, line,
                 ptr[0] ? ptr : "/", what);
    else
        snprintf(msg, sizeof(msg), "%s: %s: %s", c->origin, ptr[0] ? ptr : "/",
                 what);
    if (c->fn)
        c->fn(c->ud, msg);
    else if (c->n_problems == 0)
        hr_errf(c->err, HR_EXIT_INPUT, "%s", msg);
    c->n_problems++;
    return -1;
}

/* ptr + "/" + key, with '~' and '/' escaped as RFC 6901 says. */
static void ptr_join(char *out, size_t size, const char *ptr, const char *key)
{
    size_t n = (size_t)snprintf(out, size, "%s/", ptr);

    for (; *key && n + 3 < size; key++) {
        if (*key == '~' || *key == '/') {
            out[n++] = '~';
            out[n++] = *key == '~' ? '0' : '1';
        } else {
            out[n++] = *key;
        }
    }
    out[n < size ? n : size - 1] = '\0';
}

/* "//" holds a comment: a string or an array of strings, ignored. */
static int check_comment(struct ctx *c, const cJSON *v, const char *ptr)
{
    const cJSON *it;

    if (cJSON_IsString(v))
        return 0;
    if (cJSON_IsArray(v)) {
        cJSON_ArrayForEach(it, v)
        {
            if (!cJSON_IsString(it))
                return bad(c, ptr,
                           "a comment is a string or an array of "
                           "strings");
        }
        return 0;
    }
    return bad(c, ptr, "a comment is a string or an array of strings");
}

/* One member of an object: its key must be in keys, or be "//". */
static int check_key(struct ctx *c, const cJSON *it, const char *const *keys,
                     const char *where)
{
    const char *const *k;
    char ptr[300], what[400];
    size_t n;

    ptr_join(ptr, sizeof(ptr), where, it->string);
    if (strcmp(it->string, "//") == 0)
        return check_comment(c, it, ptr);
    for (k = keys; *k && strcmp(*k, it->string); k++)
        ;
    if (*k)
        return 0;
    n = (size_t)snprintf(what, sizeof(what), "unknown field (known:");
    for (k = keys; *k && n < sizeof(what); k++)
        n += (size_t)snprintf(what + n, sizeof(what) - n, "%s %s",
                              k == keys ? "" : ",", *k);
    if (n < sizeof(what))
        snprintf(what + n, sizeof(what) - n, ")");
    return bad(c, ptr, what);
}

/* Every key of obj must be in keys (or be the comment "//"). */
static int only_keys(struct ctx *c, const cJSON *obj, const char *const *keys,
                     const char *where)
{
    const cJSON *it;
    int rc = 0;

    cJSON_ArrayForEach(it, obj)
    {
        rc |= check_key(c, it, keys, where);
    }
    return rc;
}

static int get_num(struct ctx *c, const cJSON *o, const char *key,
                   const char *ptr, double lo, double hi, double *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

    if (!v)
        return 0;
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) ||
        v->valuedouble < lo || v->valuedouble > hi) {
        char what[128];

        snprintf(what, sizeof(what), "must be a number from %g to %g", lo, hi);
        return bad(c, ptr, what);
    }
    *out = v->valuedouble;
    return 0;
}

static int get_int(struct ctx *c, const cJSON *o, const char *key,
                   const char *ptr, int64_t lo, int64_t hi, int64_t *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    int64_t i;

    if (!v)
        return 0;
    if (hr_json_int64(v, &i) || i < lo || i > hi) {
        char what[128];

        snprintf(what, sizeof(what), "must be an integer from %lld to %lld",
                 (long long)lo, (long long)hi);
        return bad(c, ptr, what);
    }
    *out = i;
    return 0;
}

static int add_secrets(struct hr_target_cfg *t, char **more, size_t n)
{
    char **all = hr_realloc(t->secrets, (t->n_secrets + n) * sizeof(char *));
    size_t i;

    if (!all) {
        hr_secrets_free(more, n);
        return -1;
    }
    t->secrets = all;
    for (i = 0; i < n; i++)
        t->secrets[t->n_secrets++] = more[i];
    hr_free(more);
    return 0;
}

/* Secrets from one variable; lint only checks the name. */
static int env_secrets(struct ctx *c, const cJSON *name, const char *ptr,
                       struct hr_target_cfg *t)
{
    struct hr_err e = {0, ""};
    char **v;
    size_t n;

    if (!cJSON_IsString(name) || !name->valuestring[0])
        return bad(c, ptr, "must be an environment variable name");
    if (c->fn)
        return 0;
    if (hr_secrets_load_env(name->valuestring, &v, &n, &e))
        return bad(c, ptr, e.msg);
    if (add_secrets(t, v, n))
        return bad(c, ptr, "out of memory");
    return 0;
}

static int file_secrets(struct ctx *c, const cJSON *file, const char *ptr,
                        struct hr_target_cfg *t)
{
    struct hr_err e = {0, ""};
    char **v, *path;
    size_t n;
    int rc;

    if (!cJSON_IsString(file) || !file->valuestring[0])
        return bad(c, ptr, "must be the path of a file of secrets");
    path = hr_path_join(c->dir, file->valuestring);
    rc = path ? hr_secrets_load_file(path, &v, &n, &e)
              : hr_errf(&e, HR_EXIT_INTERNAL, "out of memory");
    hr_free(path);
    if (rc)
        return bad(c, ptr, e.msg);
    if (add_secrets(t, v, n))
        return bad(c, ptr, "out of memory");
    return 0;
}

static int load_target_secrets(struct ctx *c, const cJSON *o, const char *ptr,
                               struct hr_target_cfg *t)
{
    const cJSON *env = cJSON_GetObjectItemCaseSensitive(o, "secrets_env");
    const cJSON *file = cJSON_GetObjectItemCaseSensitive(o, "secrets_file");
    const cJSON *it;
    char p[320];
    int rc = 0, i = 0;

    snprintf(p, sizeof(p), "%s/secrets_env", ptr);
    if (cJSON_IsArray(env)) {
        cJSON_ArrayForEach(it, env)
        {
            char ip[340];

            snprintf(ip, sizeof(ip), "%s/%d", p, i++);
            rc |= env_secrets(c, it, ip, t);
        }
    } else if (env) {
        rc |= env_secrets(c, env, p, t);
    }
    snprintf(p, sizeof(p), "%s/secrets_file", ptr);
    if (file)
        rc |= file_secrets(c, file, p, t);
    if (rc || c->fn)
        return rc;
    if (!env && !file && getenv("HOOKREPLAY_SECRET")) {
        cJSON name = {0};

        name.type = cJSON_String;
        name.valuestring = "HOOKREPLAY_SECRET";
        rc = env_secrets(c, &name, ptr, t);
    }
    if (rc == 0 && t->n_secrets == 0 && !c->secrets_optional)
        return bad(c, ptr,
                   "no signing secret: set HOOKREPLAY_SECRET or "
                   "give secrets_env or secrets_file");
    return rc;
}

/* ca_file (a readable file, relative to the scenario) and tls_insecure;
 * either only with an https url. */
static int parse_tls(struct ctx *c, const cJSON *o, const char *ptr,
                     struct hr_target_cfg *t)
{
    const cJSON *ca = cJSON_GetObjectItemCaseSensitive(o, "ca_file");
    const cJSON *ins = cJSON_GetObjectItemCaseSensitive(o, "tls_insecure");
    int https = t->url && strncmp(t->url, "https://", 8) == 0, rc = 0;
    char p[340];

    snprintf(p, sizeof(p), "%s/ca_file", ptr);
    if (ca && (!cJSON_IsString(ca) || !ca->valuestring[0]))
        return bad(c, p, "must be the path of a PEM file of CA certificates");
    if (ca && !(t->ca_file = hr_path_join(c->dir, ca->valuestring)))
        return bad(c, p, "out of memory");
    if (t->ca_file && access(t->ca_file, R_OK) != 0)
        rc = bad(c, p, "cannot be read");
    if (ca && t->url && !https)
        rc = bad(c, p, "is for an https:// url");
    snprintf(p, sizeof(p), "%s/tls_insecure", ptr);
    if (ins && !cJSON_IsBool(ins))
        return bad(c, p, "must be true or false");
    t->tls_insecure = cJSON_IsTrue(ins);
    if (t->tls_insecure && t->url && !https)
        rc = bad(c, p, "is for an https:// url");
    return rc;
}

static int parse_target(struct ctx *c, const cJSON *o, struct hr_target_cfg *t)
{
    static const char *const keys[] = {
        "url",          "profile",      "secrets_env",
        "secrets_file", "keep_path",    "timeout_ms",
        "ca_file",      "tls_insecure", NULL};
    const cJSON *url = cJSON_GetObjectItemCaseSensitive(o, "url");
    const cJSON *prof = cJSON_GetObjectItemCaseSensitive(o, "profile");
    const cJSON *keep = cJSON_GetObjectItemCaseSensitive(o, "keep_path");
    char ptr[300], p[340];
    int rc;

    ptr_join(ptr, sizeof(ptr), "/targets", o->string);
    t->endpoint = hr_strdup(o->string);
    if (!cJSON_IsObject(o))
        return bad(c, ptr, "must be an object with a url");
    rc = only_keys(c, o, keys, ptr);
    snprintf(p, sizeof(p), "%s/url", ptr);
    if (!cJSON_IsString(url) ||
        (strncmp(url->valuestring, "http://", 7) &&
         strncmp(url->valuestring, "https://", 8)) ||
        strpbrk(url->valuestring, " \t\r\n\x7f"))
        rc = bad(c, url ? p : ptr,
                 url ? "must be an http:// or https:// URL"
                     : "\"url\" is required");
    else
        t->url = hr_strdup(url->valuestring);
    snprintf(p, sizeof(p), "%s/profile", ptr);
    if (prof && (!cJSON_IsString(prof) || !prof->valuestring[0]))
        rc = bad(c, p, "must be a profile name or path");
    else if (prof && (strchr(prof->valuestring, '/') ||
                      strstr(prof->valuestring, ".json")))
        t->profile = hr_path_join(c->dir, prof->valuestring);
    else if (prof)
        t->profile = hr_strdup(prof->valuestring);
    snprintf(p, sizeof(p), "%s/keep_path", ptr);
    if (keep && !cJSON_IsBool(keep))
        rc = bad(c, p, "must be true or false");
    t->keep_path = cJSON_IsTrue(keep);
    snprintf(p, sizeof(p), "%s/timeout_ms", ptr);
    rc |= get_int(c, o, "timeout_ms", p, 1, 3600000, &t->timeout_ms);
    rc |= parse_tls(c, o, ptr, t);
    return load_target_secrets(c, o, ptr, t) | rc;
}

static int parse_targets(struct ctx *c, const cJSON *o, struct hr_scenario *s)
{
    const cJSON *it;
    size_t i = 0;
    int rc = 0;

    if (!cJSON_IsObject(o) || cJSON_GetArraySize(o) == 0)
        return bad(c, o ? "/targets" : "",
                   "\"targets\" is required: an object of endpoint name "
                   "-> {\"url\": ...}");
    s->n_targets = (size_t)cJSON_GetArraySize(o);
    s->targets = hr_calloc(s->n_targets, sizeof(*s->targets));
    if (!s->targets) {
        s->n_targets = 0;
        return bad(c, "/targets", "out of memory");
    }
    cJSON_ArrayForEach(it, o)
    {
        if (strcmp(it->string, "//") == 0) {
            rc |= check_comment(c, it, "/targets/~1~1");
            s->n_targets--;
            continue;
        }
        rc |= parse_target(c, it, &s->targets[i++]);
    }
    return rc;
}

static int parse_pacing(struct ctx *c, const cJSON *pacing,
                        struct hr_scenario *s)
{
    const char *p = cJSON_IsString(pacing) ? pacing->valuestring : "";

    if (!pacing)
        return 0;
    if (strcmp(p, "recorded") == 0)
        s->pacing = HR_PACE_RECORDED;
    else if (strcmp(p, "rate") == 0)
        s->pacing = HR_PACE_RATE;
    else if (strcmp(p, "asap") == 0)
        s->pacing = HR_PACE_ASAP;
    else
        return bad(c, "/replay/pacing",
                   "must be \"recorded\", \"rate\" or \"asap\"");
    return 0;
}

static int parse_rebase_pointers(struct ctx *c, const cJSON *a,
                                 struct hr_scenario *s)
{
    const cJSON *it;

    if (!a)
        return 0;
    if (!cJSON_IsArray(a))
        return bad(c, "/replay/rebase_pointers",
                   "must be a list of JSON pointers");
    cJSON_ArrayForEach(it, a)
    {
        char **v;

        if (!cJSON_IsString(it) || !hr_json_pointer_valid(it->valuestring))
            return bad(c, "/replay/rebase_pointers",
                       "each entry must be a JSON pointer like /data/created");
        v = hr_realloc(s->rebase_pointers,
                       (s->n_rebase_pointers + 1) * sizeof(char *));
        if (!v)
            return bad(c, "/replay/rebase_pointers", "out of memory");
        s->rebase_pointers = v;
        v[s->n_rebase_pointers] = hr_strdup(it->valuestring);
        if (!v[s->n_rebase_pointers++])
            return bad(c, "/replay/rebase_pointers", "out of memory");
    }
    return 0;
}

static int parse_replay(struct ctx *c, const cJSON *o, struct hr_scenario *s)
{
    static const char *const keys[] = {"pacing",
                                       "speed",
                                       "rate",
                                       "max_in_flight",
                                       "per_object_in_flight",
                                       "retry_time_scale",
                                       "retries",
                                       "rebase_time",
                                       "rebase_pointers",
                                       "handshake",
                                       NULL};
    const cJSON *hs = cJSON_GetObjectItemCaseSensitive(o, "handshake");
    const cJSON *retries = cJSON_GetObjectItemCaseSensitive(o, "retries");
    const cJSON *rebase = cJSON_GetObjectItemCaseSensitive(o, "rebase_time");
    int64_t mif = s->max_in_flight, poif = s->per_object_in_flight;
    int rc;

    if (!o)
        return 0;
    if (!cJSON_IsObject(o))
        return bad(c, "/replay", "must be an object");
    rc = only_keys(c, o, keys, "/replay");
    rc |= parse_pacing(c, cJSON_GetObjectItemCaseSensitive(o, "pacing"), s);
    rc |= get_num(c, o, "speed", "/replay/speed", 1e-6, 1e9, &s->speed);
    rc |= get_num(c, o, "rate", "/replay/rate", 1e-6, 1e9, &s->rate_per_s);
    rc |= get_int(c, o, "max_in_flight", "/replay/max_in_flight", 1, 100000,
                  &mif);
    rc |= get_int(c, o, "per_object_in_flight", "/replay/per_object_in_flight",
                  1, 100000, &poif);
    rc |= get_num(c, o, "retry_time_scale", "/replay/retry_time_scale", 0, 1e6,
                  &s->retry_time_scale);
    s->max_in_flight = (int)mif;
    s->per_object_in_flight = (int)poif;
    if (retries && !cJSON_IsBool(retries))
        rc = bad(c, "/replay/retries", "must be true or false");
    else if (retries)
        s->retries = cJSON_IsTrue(retries);
    if (hs && !cJSON_IsBool(hs))
        rc = bad(c, "/replay/handshake", "must be true or false");
    else if (hs)
        s->handshakes = cJSON_IsTrue(hs);
    if (rebase && !cJSON_IsBool(rebase))
        rc = bad(c, "/replay/rebase_time", "must be true or false");
    s->rebase_time = cJSON_IsTrue(rebase);
    return rc |
           parse_rebase_pointers(
               c, cJSON_GetObjectItemCaseSensitive(o, "rebase_pointers"), s);
}

/* Thresholds that need evidence this version cannot collect yet. */
static const char *const unmeasurable[] = {NULL};

static int parse_thresholds(struct ctx *c, const cJSON *o,
                            struct hr_thresholds *t)
{
    static const char *const keys[] = {"min_delivery_rate",
                                       "max_ack_p99_ms",
                                       "max_failed",
                                       "max_forged_accepted",
                                       "max_forged_acknowledged",
                                       "max_duplicates_processed",
                                       "require_consistent",
                                       "max_time_to_consistency_ms",
                                       "max_lost_events",
                                       "max_stale_objects",
                                       NULL};
    static const struct {
        const char *name;
        size_t has, value;
    } counts[] = {
        {"max_forged_accepted",
         offsetof(struct hr_thresholds, has_max_forged_accepted),
         offsetof(struct hr_thresholds, max_forged_accepted)},
        {"max_forged_acknowledged",
         offsetof(struct hr_thresholds, has_max_forged_acknowledged),
         offsetof(struct hr_thresholds, max_forged_acknowledged)},
        {"max_duplicates_processed",
         offsetof(struct hr_thresholds, has_max_duplicates_processed),
         offsetof(struct hr_thresholds, max_duplicates_processed)},
        {"max_time_to_consistency_ms",
         offsetof(struct hr_thresholds, has_max_time_to_consistency_ms),
         offsetof(struct hr_thresholds, max_time_to_consistency_ms)},
        {"max_lost_events", offsetof(struct hr_thresholds, has_max_lost_events),
         offsetof(struct hr_thresholds, max_lost_events)},
        {"max_stale_objects",
         offsetof(struct hr_thresholds, has_max_stale_objects),
         offsetof(struct hr_thresholds, max_stale_objects)},
    };
    const cJSON *rc_item =
        cJSON_GetObjectItemCaseSensitive(o, "require_consistent");
    const cJSON *it;
    size_t i;
    int rc = 0;

    if (!o)
        return 0;
    if (!cJSON_IsObject(o))
        return bad(c, "/thresholds", "must be an object");
    cJSON_ArrayForEach(it, o)
    {
        const char *const *k;

        for (k = unmeasurable; *k && strcmp(*k, it->string); k++)
            ;
        if (*k) {
            char ptr[300];

            ptr_join(ptr, sizeof(ptr), "/thresholds", it->string);
            rc = bad(c, ptr,
                     "cannot be measured by this version of "
                     "hookreplay: it needs the reconciliation "
                     "probe (collections compared with the truth)");
        } else {
            rc |= check_key(c, it, keys, "/thresholds");
        }
    }
    if (cJSON_GetObjectItemCaseSensitive(o, "min_delivery_rate")) {
        if (get_num(c, o, "min_delivery_rate", "/thresholds/min_delivery_rate",
                    0, 1, &t->min_delivery_rate))
            rc = -1;
        t->has_min_delivery_rate = 1;
    }
    if (cJSON_GetObjectItemCaseSensitive(o, "max_ack_p99_ms")) {
        rc |= get_int(c, o, "max_ack_p99_ms", "/thresholds/max_ack_p99_ms", 0,
                      INT64_C(1) << 40, &t->max_ack_p99_ms);
        t->has_max_ack_p99_ms = 1;
    }
    if (cJSON_GetObjectItemCaseSensitive(o, "max_failed")) {
        rc |= get_int(c, o, "max_failed", "/thresholds/max_failed", 0,
                      INT64_C(1) << 50, &t->max_failed);
        t->has_max_failed = 1;
    }
    if (rc_item && !cJSON_IsBool(rc_item))
        rc = bad(c, "/thresholds/require_consistent", "must be true or false");
    else if (rc_item) {
        t->has_require_consistent = 1;
        t->require_consistent = cJSON_IsTrue(rc_item);
    }
    for (i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
        char ptr[80];

        if (!cJSON_GetObjectItemCaseSensitive(o, counts[i].name))
            continue;
        snprintf(ptr, sizeof(ptr), "/thresholds/%s", counts[i].name);
        rc |= get_int(c, o, counts[i].name, ptr, 0, INT64_C(1) << 50,
                      (int64_t *)((char *)t + counts[i].value));
        *(int *)((char *)t + counts[i].has) = 1;
    }
    return rc;
}

static int report_format_bit(const char *name, unsigned *bit)
{
    static const struct {
        const char *name;
        unsigned bit;
    } names[] = {{"json", HR_REPORT_JSON},
                 {"junit", HR_REPORT_JUNIT},
                 {"markdown", HR_REPORT_MARKDOWN},
                 {"html", HR_REPORT_HTML}};
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(names[i].name, name) == 0) {
            *bit = names[i].bit;
            return 0;
        }
    }
    return -1;
}

static int parse_report(struct ctx *c, const cJSON *o, struct hr_scenario *s)
{
    static const char *const keys[] = {"formats", "out", NULL};
    const cJSON *out = cJSON_GetObjectItemCaseSensitive(o, "out");
    const cJSON *fmts = cJSON_GetObjectItemCaseSensitive(o, "formats");
    const cJSON *it;
    int rc;

    if (!o)
        return 0;
    if (!cJSON_IsObject(o))
        return bad(c, "/report", "must be an object");
    rc = only_keys(c, o, keys, "/report");
    if (fmts && !cJSON_IsArray(fmts))
        rc = bad(c, "/report/formats", "must be an array of format names");
    cJSON_ArrayForEach(it, fmts)
    {
        unsigned bit;

        if (!cJSON_IsString(it) || report_format_bit(it->valuestring, &bit))
            rc = bad(c, "/report/formats",
                     "formats are \"json\", \"junit\", \"markdown\" and "
                     "\"html\"");
        else
            s->report_formats |= bit;
    }
    if (out && (!cJSON_IsString(out) || !out->valuestring[0]))
        rc = bad(c, "/report/out", "must be a folder path");
    else if (out)
        s->out_dir = hr_path_join(c->dir, out->valuestring);
    return rc;
}

/* "hookreplay" and "version" first: a wrong file says so before all. */
static int parse_kind(struct ctx *c, const cJSON *j)
{
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(j, "hookreplay");
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(j, "version");
    int64_t v;

    if (!cJSON_IsString(kind) || strcmp(kind->valuestring, "scenario"))
        return bad(c, kind ? "/hookreplay" : "",
                   "\"hookreplay\": \"scenario\" is required");
    if (!ver)
        return bad(c, "", "\"version\" is required (this build reads 1)");
    if (hr_json_int64(ver, &v) || v < 1)
        return bad(c, "/version", "must be a positive integer");
    if (v > HR_SCENARIO_VERSION)
        return bad(c, "/version",
                   "is newer than this hookreplay reads (1): "
                   "upgrade hookreplay");
    return 0;
}

/* Passes a problem found by another module's parser on to c. */
static int relay(struct ctx *c, const struct hr_err *e)
{
    if (c->fn)
        c->fn(c->ud, e->msg);
    else if (c->n_problems == 0)
        *c->err = *e;
    c->n_problems++;
    return -1;
}

/*
 * Duplicates are judged by the object's snapshot only where the probe
 * can find the object: 8 copies by default with collections, none
 * without, and asking for some without collections is an error.
 */
static int settle_snapshots(struct ctx *c, struct hr_scenario *s)
{
    struct hr_probe_cfg *p = s->probe;

    if (p->duplicate_snapshots < 0) {
        p->duplicate_snapshots = s->recon.n_collections ? 8 : 0;
        return 0;
    }
    if (p->duplicate_snapshots > 0 && !s->recon.n_collections)
        return bad(c, "/probe/duplicate_snapshots",
                   "needs \"collections\" in the probe to find a "
                   "duplicate's object in the target's state");
    return 0;
}

/* A fault rule's problem, located like every other one. */
static void fault_problem(void *ud, const char *ptr, const char *what)
{
    bad(ud, ptr, what);
}

/* Faults and the probe have parsers of their own; the rest comes later. */
static int parse_sections(struct ctx *c, const cJSON *j, struct hr_scenario *s)
{
    const cJSON *probe = cJSON_GetObjectItemCaseSensitive(j, "probe");
    const cJSON *api = cJSON_GetObjectItemCaseSensitive(j, "api");
    struct hr_err e = {0, ""};
    int rc = 0;

    if (hr_faults_parse_each(cJSON_GetObjectItemCaseSensitive(j, "faults"),
                             "/faults", fault_problem, c, &s->faults))
        rc = -1;
    if (hr_probe_parse(probe, c->origin, c->dir, &s->probe, &e)) {
        c->probe_failed = 1;
        rc = relay(c, &e);
    }
    e.msg[0] = '\0';
    if (hr_recon_parse(cJSON_GetObjectItemCaseSensitive(probe, "collections"),
                       cJSON_GetObjectItemCaseSensitive(j, "reconcile"),
                       c->origin, &s->recon, &e))
        rc = relay(c, &e);
    e.msg[0] = '\0';
    if (s->probe && settle_snapshots(c, s))
        rc = -1;
    if (hr_hooks_parse(cJSON_GetObjectItemCaseSensitive(j, "hooks"), c->origin,
                       c->dir, &s->hooks, &e))
        rc = relay(c, &e);
    e.msg[0] = '\0';
    if (api) {
        s->api = hr_calloc(1, sizeof(*s->api));
        if (!s->api)
            return bad(c, "/api", "out of memory");
        if (hr_mockapi_cfg_parse(api, c->origin, c->dir, s->api, &e))
            rc = relay(c, &e);
        s->api->seed = s->seed;
    }
    return rc;
}

/* 1 when a step can reach the target and still count as failed. */
static int step_redelivers(enum hr_step st)
{
    return st == HR_STEP_TIMEOUT || st == HR_STEP_RESET ||
           st == HR_STEP_TRUNCATED;
}

/*
 * 1 when a rule makes the target see an event again under its own id: a
 * duplicate without new_id, or a failed attempt the target may have
 * applied before the provider's retry.
 */
static int rule_resends_same_id(const struct hr_fault_rule *r)
{
    int i;

    if (r->action == HR_FA_DUPLICATE)
        return !r->new_id;
    if (r->action == HR_FA_TIMEOUT)
        return 1;
    if (r->action == HR_FA_CONNECTION)
        return r->conn == HR_CONN_RESET || r->conn == HR_CONN_TRUNCATED;
    for (i = 0; r->action == HR_FA_SCRIPT && i < r->n_script; i++)
        if (step_redelivers(r->script[i]))
            return 1;
    return 0;
}

/* A threshold the probe cannot measure would pass silently: refuse it. */
static int check_measurable(struct ctx *c, const struct hr_scenario *s)
{
    const struct hr_thresholds *t = &s->thresholds;
    const struct hr_probe_cfg *p = s->probe;
    int rc = 0;

    if (c->probe_failed)
        return 0; /* its own problem is reported: no guesses after it */
    if (t->has_max_forged_accepted && !p)
        rc = bad(c, "/thresholds/max_forged_accepted",
                 "cannot be measured without a probe (\"probe\": {\"http\": "
                 "URL}) in which to look for the canaries of forged requests");
    static const char *const consistency[] = {"require_consistent",
                                              "max_time_to_consistency_ms",
                                              "max_stale_objects", NULL};
    const int has[] = {t->has_require_consistent,
                       t->has_max_time_to_consistency_ms,
                       t->has_max_stale_objects};
    size_t i;

    for (i = 0; consistency[i]; i++) {
        char ptr[64];

        if (!has[i] || s->recon.n_collections)
            continue;
        snprintf(ptr, sizeof(ptr), "/thresholds/%s", consistency[i]);
        rc = bad(c, ptr,
                 "cannot be measured without \"probe\": "
                 "{\"collections\": [...]} mapping the target's "
                 "state onto the truth");
    }
    if (t->has_max_lost_events &&
        (!p || (!p->applied_ids && !p->applied_counts)))
        rc = bad(c, "/thresholds/max_lost_events",
                 "cannot be measured without a probe with \"applied\": "
                 "{\"ids\" or \"counts\"}");
    if (t->has_max_duplicates_processed &&
        (!p || (!p->applied_ids && !p->applied_counts &&
                p->duplicate_snapshots <= 0)))
        rc = bad(c, "/thresholds/max_duplicates_processed",
                 "cannot be measured without a probe with \"applied\": "
                 "{\"ids\" or \"counts\"} (the events the target "
                 "applied) or with \"collections\" (the objects' "
                 "snapshots around a duplicate)");
    else if (t->has_max_duplicates_processed && !p->applied_ids &&
             !p->applied_counts)
        for (i = 0; i < s->faults.n; i++)
            if (rule_resends_same_id(&s->faults.rules[i])) {
                char ptr[64];

                snprintf(ptr, sizeof(ptr), "/faults/%zu", i);
                rc = bad(c, ptr,
                         "sends an event again under its own id, which "
                         "leaves a target's state as it was whether or not "
                         "it processed it again: max_duplicates_processed "
                         "then needs \"probe\": {\"applied\": {\"ids\" or "
                         "\"counts\"}} (the events the target applied)");
                break;
            }
    return rc;
}

static int parse_top(struct ctx *c, const cJSON *j, struct hr_scenario *s)
{
    static const char *const keys[] = {
        "hookreplay", "version",    "cassette", "seed",         "targets",
        "replay",     "thresholds", "report",   "profiles_dir", "faults",
        "api",        "hooks",      "probe",    "reconcile",    NULL};
    const cJSON *cas = cJSON_GetObjectItemCaseSensitive(j, "cassette");
    const cJSON *pdir = cJSON_GetObjectItemCaseSensitive(j, "profiles_dir");
    int64_t seed = (int64_t)s->seed;
    int rc;

    if (!cJSON_IsObject(j))
        return bad(c, "", "a scenario must be a JSON object");
    if (parse_kind(c, j))
        return -1;
    rc = only_keys(c, j, keys, "");
    if (!cJSON_IsString(cas) || !cas->valuestring[0])
        rc = bad(c, cas ? "/cassette" : "",
                 "\"cassette\" is required: the path of a cassette");
    else if (strcmp(cas->valuestring, "-") == 0)
        s->cassette = hr_strdup("-"); /* stdin, not a file named "-" */
    else
        s->cassette = hr_path_join(c->dir, cas->valuestring);
    if (pdir && (!cJSON_IsString(pdir) || !pdir->valuestring[0]))
        rc = bad(c, "/profiles_dir", "must be a folder path");
    else if (pdir)
        s->profile_dir = hr_path_join(c->dir, pdir->valuestring);
    rc |= get_int(c, j, "seed", "/seed", 0, INT64_C(9007199254740991), &seed);
    s->seed = (uint64_t)seed;
    rc |= parse_targets(c, cJSON_GetObjectItemCaseSensitive(j, "targets"), s);
    rc |= parse_replay(c, cJSON_GetObjectItemCaseSensitive(j, "replay"), s);
    rc |= parse_thresholds(c, cJSON_GetObjectItemCaseSensitive(j, "thresholds"),
                           &s->thresholds);
    rc |= parse_report(c, cJSON_GetObjectItemCaseSensitive(j, "report"), s);
    rc |= parse_sections(c, j, s);
    rc |= check_measurable(c, s);
    return rc;
}

/* Parses path into a new scenario; problems go through c. */
static struct hr_scenario *parse_file(struct ctx *c, const char *path)
{
    struct hr_scenario *s = hr_malloc(sizeof(*s));
    struct hr_err e = {0, ""};
    size_t len = 0;
    char *text = NULL;
    cJSON *j = NULL;

    if (!s) {
        hr_errf(c->err, HR_EXIT_INTERNAL, "out of memory");
        return NULL;
    }
    hr_scenario_defaults(s);
    s->path = hr_strdup(path);
    c->dir = hr_dirname(path);
    text = hr_read_file(path, &len, &e);
    if (text)
        j = hr_json_parse(path, text, len, 1, &e);
    if (!j) {
        if (c->fn)
            c->fn(c->ud, e.msg);
        else
            *c->err = e;
        c->n_problems++;
        hr_scenario_free(s);
        s = NULL;
    } else {
        c->text = text;
        c->len = len;
        parse_top(c, j, s);
    }
    cJSON_Delete(j);
    hr_free(text);
    hr_free(c->dir);
    c->dir = NULL;
    c->text = NULL;
    return s;
}

static struct hr_scenario *load(const char *path, int secrets_optional,
                                struct hr_err *err)
{
    struct ctx c = {path, NULL, err, NULL, 0, NULL, NULL, 0, 0, 0};
    struct hr_scenario *s;

    c.secrets_optional = secrets_optional;
    s = parse_file(&c, path);

    if (s && c.n_problems) {
        hr_scenario_free(s);
        return NULL;
    }
    return s;
}

struct hr_scenario *hr_scenario_load(const char *path, struct hr_err *err)
{
    return load(path, 0, err);
}

struct hr_scenario *hr_scenario_load_plan(const char *path, struct hr_err *err)
{
    return load(path, 1, err);
}

int hr_scenario_lint(const char *path, hr_problem_fn fn, void *ud,
                     struct hr_scenario **out)
{
    struct hr_err err = {0, ""};
    struct ctx c = {path, NULL, &err, NULL, 0, fn, ud, 0, 0, 0};
    struct hr_scenario *s = parse_file(&c, path);

    if (out)
        *out = s;
    else
        hr_scenario_free(s);
    return c.n_problems;
}
