/* SPDX-License-Identifier: MIT */
/* Scenario files: strict parsing, defaults, secrets and relative paths. */
#include "scenario.h"
#include "jsonx.h"
#include "sign.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void hr_scenario_defaults(struct hr_scenario *s)
{
    memset(s, 0, sizeof(*s));
    s->seed = 1;
    s->pacing = HR_PACE_RECORDED;
    s->speed = 1.0;
    s->rate_per_s = 100.0;
    s->max_in_flight = 64;
    s->per_object_in_flight = 1;
    s->retry_time_scale = 0.001;
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
        hr_free(t->profile);
        hr_secrets_free(t->secrets, t->n_secrets);
    }
    hr_free(s->targets);
    hr_free(s->path);
    hr_free(s->cassette);
    hr_free(s->profile_dir);
    hr_free(s->out_dir);
    hr_faults_free(&s->faults);
    for (i = 0; i < s->n_rebase_pointers; i++)
        hr_free(s->rebase_pointers[i]);
    hr_free(s->rebase_pointers);
    hr_probe_free(s->probe);
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

struct ctx {
    const char *origin;
    char *dir;
    struct hr_err *err;
};

static int bad(struct ctx *c, const char *ptr, const char *what)
{
    return hr_errf(c->err, HR_EXIT_INPUT, "%s: %s: %s", c->origin, ptr,
                   what);
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

        snprintf(what, sizeof(what), "must be a number from %g to %g", lo,
                 hi);
        return bad(c, ptr, what);
    }
    *out = v->valuedouble;
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

static int load_target_secrets(struct ctx *c, const cJSON *o,
                               const char *ptr, struct hr_target_cfg *t)
{
    const cJSON *env = cJSON_GetObjectItemCaseSensitive(o, "secrets_env");
    const cJSON *file = cJSON_GetObjectItemCaseSensitive(o, "secrets_file");
    const cJSON *it, *list;
    char **v;
    size_t n;

    if (env && !cJSON_IsArray(env) && !cJSON_IsString(env))
        return bad(c, ptr, "secrets_env must be a variable name or a list");
    if (cJSON_IsString(env)) {
        if (hr_secrets_load_env(env->valuestring, &v, &n, c->err) ||
            add_secrets(t, v, n))
            return -1;
    }
    list = cJSON_IsArray(env) ? env : NULL;
    cJSON_ArrayForEach(it, list)
    {
        if (!cJSON_IsString(it))
            return bad(c, ptr, "secrets_env entries must be strings");
        if (hr_secrets_load_env(it->valuestring, &v, &n, c->err) ||
            add_secrets(t, v, n))
            return -1;
    }
    if (file) {
        char *path;
        int rc;

        if (!cJSON_IsString(file))
            return bad(c, ptr, "secrets_file must be a path");
        path = hr_path_join(c->dir, file->valuestring);
        rc = path ? hr_secrets_load_file(path, &v, &n, c->err) : -1;
        hr_free(path);
        if (rc || add_secrets(t, v, n))
            return -1;
    }
    if (!env && !file && getenv("HOOKREPLAY_SECRET")) {
        if (hr_secrets_load_env("HOOKREPLAY_SECRET", &v, &n, c->err) ||
            add_secrets(t, v, n))
            return -1;
    }
    if (t->n_secrets == 0)
        return hr_errf(c->err, HR_EXIT_INPUT,
                       "%s: %s: no signing secret: set HOOKREPLAY_SECRET or "
                       "give secrets_env or secrets_file",
                       c->origin, ptr);
    return 0;
}

static int parse_target(struct ctx *c, const cJSON *o,
                        struct hr_target_cfg *t)
{
    static const char *const keys[] = {"url",         "profile",
                                       "secrets_env", "secrets_file",
                                       "keep_path",   "timeout_ms",
                                       NULL};
    const cJSON *tmo = cJSON_GetObjectItemCaseSensitive(o, "timeout_ms");
    const cJSON *url = cJSON_GetObjectItemCaseSensitive(o, "url");
    const cJSON *prof = cJSON_GetObjectItemCaseSensitive(o, "profile");
    const cJSON *keep = cJSON_GetObjectItemCaseSensitive(o, "keep_path");
    char ptr[300];

    snprintf(ptr, sizeof(ptr), "/targets/%s", o->string);
    t->endpoint = hr_strdup(o->string);
    if (!cJSON_IsObject(o))
        return bad(c, ptr, "must be an object with a url");
    if (hr_json_only_keys(o, keys, c->origin, ptr, c->err))
        return -1;
    if (!cJSON_IsString(url) || (strncmp(url->valuestring, "http://", 7) &&
                                 strncmp(url->valuestring, "https://", 8)))
        return bad(c, ptr, "url must be an http:// or https:// URL");
    t->url = hr_strdup(url->valuestring);
    if (prof && !cJSON_IsString(prof))
        return bad(c, ptr, "profile must be a profile name or path");
    if (prof)
        t->profile = hr_strdup(prof->valuestring);
    if (keep && !cJSON_IsBool(keep))
        return bad(c, ptr, "keep_path must be true or false");
    t->keep_path = cJSON_IsTrue(keep);
    if (tmo && (hr_json_int64(tmo, &t->timeout_ms) || t->timeout_ms < 1 ||
                t->timeout_ms > 3600000))
        return bad(c, ptr, "timeout_ms must be an integer from 1 to "
                           "3600000");
    return load_target_secrets(c, o, ptr, t);
}

static int parse_targets(struct ctx *c, const cJSON *o, struct hr_scenario *s)
{
    const cJSON *it;
    size_t i = 0;

    if (!cJSON_IsObject(o) || cJSON_GetArraySize(o) == 0)
        return bad(c, "/targets",
                   "required: an object of endpoint name -> {url, ...}");
    s->n_targets = (size_t)cJSON_GetArraySize(o);
    s->targets = hr_calloc(s->n_targets, sizeof(*s->targets));
    if (!s->targets)
        return bad(c, "/targets", "out of memory");
    cJSON_ArrayForEach(it, o)
    {
        if (parse_target(c, it, &s->targets[i++]))
            return -1;
    }
    return 0;
}

static int parse_replay(struct ctx *c, const cJSON *o, struct hr_scenario *s)
{
    static const char *const keys[] = {
        "pacing", "speed", "rate", "max_in_flight", "per_object_in_flight",
        "retry_time_scale", "retries", "rebase_time", "rebase_pointers",
        "handshake", NULL};
    const cJSON *hs = cJSON_GetObjectItemCaseSensitive(o, "handshake");
    const cJSON *rptrs = cJSON_GetObjectItemCaseSensitive(o, "rebase_pointers");
    const cJSON *it;
    const cJSON *pacing = cJSON_GetObjectItemCaseSensitive(o, "pacing");
    const cJSON *retries = cJSON_GetObjectItemCaseSensitive(o, "retries");
    const cJSON *rebase = cJSON_GetObjectItemCaseSensitive(o, "rebase_time");
    double mif = s->max_in_flight, poif = s->per_object_in_flight;

    if (!o)
        return 0;
    if (!cJSON_IsObject(o))
        return bad(c, "/replay", "must be an object");
    if (hr_json_only_keys(o, keys, c->origin, "/replay", c->err))
        return -1;
    if (pacing) {
        const char *p = cJSON_IsString(pacing) ? pacing->valuestring : "";

        if (strcmp(p, "recorded") == 0)
            s->pacing = HR_PACE_RECORDED;
        else if (strcmp(p, "rate") == 0)
            s->pacing = HR_PACE_RATE;
        else if (strcmp(p, "asap") == 0)
            s->pacing = HR_PACE_ASAP;
        else
            return bad(c, "/replay/pacing",
                       "must be \"recorded\", \"rate\" or \"asap\"");
    }
    if (get_num(c, o, "speed", "/replay/speed", 1e-6, 1e9, &s->speed) ||
        get_num(c, o, "rate", "/replay/rate", 1e-6, 1e9, &s->rate_per_s) ||
        get_num(c, o, "max_in_flight", "/replay/max_in_flight", 1, 100000,
                &mif) ||
        get_num(c, o, "per_object_in_flight", "/replay/per_object_in_flight",
                1, 100000, &poif) ||
        get_num(c, o, "retry_time_scale", "/replay/retry_time_scale", 0, 1e6,
                &s->retry_time_scale))
        return -1;
    s->max_in_flight = (int)mif;
    s->per_object_in_flight = (int)poif;
    if (retries && !cJSON_IsBool(retries))
        return bad(c, "/replay/retries", "must be true or false");
    if (retries)
        s->retries = cJSON_IsTrue(retries);
    if (hs && !cJSON_IsBool(hs))
        return bad(c, "/replay/handshake", "must be true or false");
    if (hs)
        s->handshakes = cJSON_IsTrue(hs);
    if (rebase && !cJSON_IsBool(rebase))
        return bad(c, "/replay/rebase_time", "must be true or false");
    s->rebase_time = cJSON_IsTrue(rebase);
    if (rptrs && !cJSON_IsArray(rptrs))
        return bad(c, "/replay/rebase_pointers", "must be a list of JSON "
                                                 "pointers");
    cJSON_ArrayForEach(it, rptrs)
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
        s->rebase_pointers[s->n_rebase_pointers++] =
            hr_strdup(it->valuestring);
    }
    return 0;
}

static int get_count(struct ctx *c, const cJSON *o, const char *key,
                     int *has, int64_t *out)
{
    char ptr[80];
    double v;

    if (!cJSON_GetObjectItemCaseSensitive(o, key))
        return 0;
    snprintf(ptr, sizeof(ptr), "/thresholds/%s", key);
    if (get_num(c, o, key, ptr, 0, 1e15, &v))
        return -1;
    *has = 1;
    *out = (int64_t)v;
    return 0;
}

static int parse_thresholds(struct ctx *c, const cJSON *o,
                            struct hr_thresholds *t)
{
    static const char *const keys[] = {
        "min_delivery_rate",       "max_ack_p99_ms",
        "max_failed",              "max_forged_accepted",
        "max_forged_acknowledged", "max_duplicates_processed",
        NULL};
    const cJSON *it;
    double v;

    if (!o)
        return 0;
    if (!cJSON_IsObject(o))
        return bad(c, "/thresholds", "must be an object");
    cJSON_ArrayForEach(it, o)
    {
        const char *const *k;

        for (k = keys; *k && strcmp(*k, it->string); k++)
            ;
        if (!*k)
            return hr_errf(c->err, HR_EXIT_INPUT,
                           "%s: /thresholds/%s: unknown threshold, or one "
                           "this version of hookreplay cannot measure",
                           c->origin, it->string);
    }
    if (cJSON_GetObjectItemCaseSensitive(o, "min_delivery_rate")) {
        if (get_num(c, o, "min_delivery_rate",
                    "/thresholds/min_delivery_rate", 0, 1,
                    &t->min_delivery_rate))
            return -1;
        t->has_min_delivery_rate = 1;
    }
    if (cJSON_GetObjectItemCaseSensitive(o, "max_ack_p99_ms")) {
        if (get_num(c, o, "max_ack_p99_ms", "/thresholds/max_ack_p99_ms", 0,
                    1e12, &v))
            return -1;
        t->max_ack_p99_ms = (int64_t)v;
        t->has_max_ack_p99_ms = 1;
    }
    if (cJSON_GetObjectItemCaseSensitive(o, "max_failed")) {
        if (get_num(c, o, "max_failed", "/thresholds/max_failed", 0, 1e15,
                    &v))
            return -1;
        t->max_failed = (int64_t)v;
        t->has_max_failed = 1;
    }
    return get_count(c, o, "max_forged_accepted", &t->has_max_forged_accepted,
                     &t->max_forged_accepted) ||
           get_count(c, o, "max_forged_acknowledged",
                     &t->has_max_forged_acknowledged,
                     &t->max_forged_acknowledged) ||
           get_count(c, o, "max_duplicates_processed",
                     &t->has_max_duplicates_processed,
                     &t->max_duplicates_processed);
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
    unsigned bit;

    if (!o)
        return 0;
    if (!cJSON_IsObject(o))
        return bad(c, "/report", "must be an object");
    if (hr_json_only_keys(o, keys, c->origin, "/report", c->err))
        return -1;
    if (fmts && !cJSON_IsArray(fmts))
        return bad(c, "/report/formats", "must be a list of formats");
    cJSON_ArrayForEach(it, fmts)
    {
        if (!cJSON_IsString(it) || report_format_bit(it->valuestring, &bit))
            return bad(c, "/report/formats",
                       "formats are \"json\", \"junit\", \"markdown\" "
                       "and \"html\"");
        s->report_formats |= bit;
    }
    if (out && !cJSON_IsString(out))
        return bad(c, "/report/out", "must be a folder path");
    if (out)
        s->out_dir = hr_path_join(c->dir, out->valuestring);
    return 0;
}

/* A threshold the probe cannot measure would pass silently: refuse it. */
static int check_measurable(struct ctx *c, const struct hr_scenario *s)
{
    const struct hr_thresholds *t = &s->thresholds;
    const struct hr_probe_cfg *p = s->probe;

    if (t->has_max_forged_accepted && !p)
        return bad(c, "/thresholds/max_forged_accepted",
                   "needs a probe (\"probe\": {\"http\": URL}) to look for "
                   "the canaries of forged requests in the target's state");
    if (t->has_max_duplicates_processed &&
        (!p || (!p->applied_ids && !p->applied_counts)))
        return bad(c, "/thresholds/max_duplicates_processed",
                   "needs a probe with \"applied\": {\"ids\" or "
                   "\"counts\"}: the events the target says it applied");
    return 0;
}

static int parse_top(struct ctx *c, const cJSON *j, struct hr_scenario *s)
{
    static const char *const keys[] = {
        "hookreplay", "version",    "cassette", "seed",  "targets",
        "replay",     "thresholds", "report",   "profiles_dir",
        "faults",     "api",        "hooks",    "probe", "reconcile",
        NULL};
    static const char *const later[] = {"api", "hooks", "reconcile", NULL};
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(j, "hookreplay");
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(j, "version");
    const cJSON *cas = cJSON_GetObjectItemCaseSensitive(j, "cassette");
    const cJSON *pdir = cJSON_GetObjectItemCaseSensitive(j, "profiles_dir");
    const char *const *k;
    double seed = 1;

    if (!cJSON_IsObject(j))
        return bad(c, "", "a scenario must be a JSON object");
    if (hr_json_only_keys(j, keys, c->origin, "", c->err))
        return -1;
    for (k = later; *k; k++)
        if (cJSON_GetObjectItemCaseSensitive(j, *k))
            return hr_errf(c->err, HR_EXIT_INPUT,
                           "%s: /%s: not supported by this version of "
                           "hookreplay",
                           c->origin, *k);
    if (!cJSON_IsString(kind) || strcmp(kind->valuestring, "scenario"))
        return bad(c, "/hookreplay", "must be \"scenario\"");
    if (!cJSON_IsNumber(ver) || ver->valuedouble != 1)
        return bad(c, "/version", "must be 1");
    if (!cJSON_IsString(cas) || !cas->valuestring[0])
        return bad(c, "/cassette", "required: the path of a cassette");
    s->cassette = hr_path_join(c->dir, cas->valuestring);
    if (pdir && !cJSON_IsString(pdir))
        return bad(c, "/profiles_dir", "must be a folder path");
    if (pdir)
        s->profile_dir = hr_path_join(c->dir, pdir->valuestring);
    if (get_num(c, j, "seed", "/seed", 0, 9007199254740991.0, &seed))
        return -1;
    s->seed = (uint64_t)seed;
    if (hr_faults_parse(cJSON_GetObjectItemCaseSensitive(j, "faults"),
                        c->origin, "/faults", &s->faults, c->err) ||
        hr_probe_parse(cJSON_GetObjectItemCaseSensitive(j, "probe"),
                       c->origin, c->dir, &s->probe, c->err))
        return -1;
    if (parse_targets(c, cJSON_GetObjectItemCaseSensitive(j, "targets"),
                      s) ||
        parse_replay(c, cJSON_GetObjectItemCaseSensitive(j, "replay"), s) ||
        parse_thresholds(c, cJSON_GetObjectItemCaseSensitive(j, "thresholds"),
                         &s->thresholds) ||
        parse_report(c, cJSON_GetObjectItemCaseSensitive(j, "report"), s))
        return -1;
    return check_measurable(c, s);
}

struct hr_scenario *hr_scenario_load(const char *path, struct hr_err *err)
{
    struct ctx c = {path, NULL, err};
    struct hr_scenario *s = hr_malloc(sizeof(*s));
    size_t len;
    char *text = NULL;
    cJSON *j = NULL;

    if (!s) {
        hr_errf(err, HR_EXIT_INTERNAL, "out of memory");
        return NULL;
    }
    hr_scenario_defaults(s);
    s->path = hr_strdup(path);
    c.dir = hr_dirname(path);
    text = hr_read_file(path, &len, err);
    if (!text)
        goto fail;
    j = hr_json_parse(path, text, len, 1, err);
    if (!j || parse_top(&c, j, s))
        goto fail;
    cJSON_Delete(j);
    hr_free(text);
    hr_free(c.dir);
    return s;
fail:
    cJSON_Delete(j);
    hr_free(text);
    hr_free(c.dir);
    hr_scenario_free(s);
    return NULL;
}
