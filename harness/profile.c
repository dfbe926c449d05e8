/* SPDX-License-Identifier: MIT */
/* Provider profiles: loading, validation and event derivation. */
#include "profile.h"
#include "embedded.h"
#include "jsonx.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void strv_free(char **v, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        hr_free(v[i]);
    hr_free(v);
}

static void field_rule_clear(struct hr_field_rule *r)
{
    size_t i;

    for (i = 0; i < r->n_sources; i++) {
        hr_free(r->sources[i].name);
        hr_free(r->sources[i].pointer);
        strv_free(r->sources[i].types, r->sources[i].n_types);
    }
    hr_free(r->sources);
    hr_free(r->join);
}

void hr_profile_free(struct hr_profile *p)
{
    size_t i;

    if (!p)
        return;
    hr_free(p->name);
    strv_free(p->sig_headers, p->n_sig_headers);
    for (i = 0; i < p->n_default_headers; i++) {
        hr_free(p->default_headers[i].name);
        hr_free(p->default_headers[i].value);
    }
    hr_free(p->default_headers);
    strv_free(p->regenerate, p->n_regenerate);
    strv_free(p->time_fields, p->n_time_fields);
    hr_free(p->delivery_header);
    hr_free(p->canary_object);
    for (i = 0; i < p->n_hs_headers; i++) {
        hr_free(p->hs_headers[i].name);
        hr_free(p->hs_headers[i].value);
    }
    hr_free(p->hs_headers);
    hr_free(p->hs_body);
    hr_free(p->retry_num_header);
    hr_free(p->truth_state);
    hr_free(p->truth_resource);
    hr_free(p->retry_reason_header);
    hr_free(p->success);
    hr_free(p->retry_delays_ms);
    field_rule_clear(&p->ev_id);
    field_rule_clear(&p->ev_type);
    field_rule_clear(&p->ev_object);
    field_rule_clear(&p->ev_created);
    hr_free(p);
}

/* Parsing context: where we are, for error messages. */
struct ctx {
    const char *origin;
    struct hr_err *err;
};

static int bad(struct ctx *c, const char *ptr, const char *what)
{
    return hr_errf(c->err, HR_EXIT_INPUT, "%s: %s: %s", c->origin, ptr, what);
}

static int get_strv(struct ctx *c, const cJSON *arr, const char *ptr,
                    char ***out, size_t *n)
{
    const cJSON *it;
    size_t i = 0;

    if (!cJSON_IsArray(arr))
        return bad(c, ptr, "must be an array of strings");
    *n = (size_t)cJSON_GetArraySize(arr);
    *out = hr_calloc(*n, sizeof(char *));
    if (!*out)
        return bad(c, ptr, "out of memory");
    cJSON_ArrayForEach(it, arr)
    {
        if (!cJSON_IsString(it) || !it->valuestring[0])
            return bad(c, ptr, "must be an array of non-empty strings");
        (*out)[i++] = hr_strdup(it->valuestring);
    }
    return 0;
}

static int parse_source(struct ctx *c, const cJSON *s, const char *ptr,
                        int typed, struct hr_source *out)
{
    static const char *const keys[] = {"header", "pointer", "form", "types",
                                       NULL};
    const cJSON *types = cJSON_GetObjectItemCaseSensitive(s, "types");
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(s, "header");
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(s, "pointer");
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(s, "form");

    if (!cJSON_IsObject(s))
        return bad(c, ptr, "a source must be an object");
    if (hr_json_only_keys(s, keys, c->origin, ptr, c->err))
        return -1;
    if ((h != NULL) + (f != NULL) > 1 || (!h && !p && !f))
        return bad(c, ptr,
                   "give one of header, pointer, or form (with an "
                   "optional pointer)");
    if (p && (!cJSON_IsString(p) || !hr_json_pointer_valid(p->valuestring)))
        return bad(c, ptr, "pointer must be a JSON pointer like /data/id");
    if ((h && !cJSON_IsString(h)) || (f && !cJSON_IsString(f)))
        return bad(c, ptr, "header and form must be strings");
    out->kind = h ? HR_SRC_HEADER : f ? HR_SRC_FORM : HR_SRC_POINTER;
    out->name = hr_strdup(h ? h->valuestring : f ? f->valuestring : NULL);
    out->pointer = p ? hr_strdup(p->valuestring) : NULL;
    if (h && p)
        return bad(c, ptr, "a header source takes no pointer");
    if (types && !typed)
        return bad(c, ptr,
                   "\"types\" applies to object and created "
                   "sources only (the type is what they match)");
    if (types) {
        char tp[128];

        snprintf(tp, sizeof(tp), "%s/types", ptr);
        if (get_strv(c, types, tp, &out->types, &out->n_types))
            return -1;
        if (out->n_types == 0)
            return bad(c, tp, "must list at least one event type");
    }
    return 0;
}

static int parse_time_format(const char *s, enum hr_time_format *out)
{
    if (strcmp(s, "unix_s") == 0)
        *out = HR_TIME_UNIX_S;
    else if (strcmp(s, "unix_ms") == 0)
        *out = HR_TIME_UNIX_MS;
    else if (strcmp(s, "iso8601") == 0)
        *out = HR_TIME_ISO8601;
    else
        return -1;
    return 0;
}

static int parse_rule(struct ctx *c, const cJSON *r, const char *name,
                      struct hr_field_rule *out)
{
    static const char *const keys[] = {"from", "join", "format", NULL};
    const cJSON *from, *join, *fmt, *s;
    char ptr[64];
    size_t i = 0;

    snprintf(ptr, sizeof(ptr), "/event/%s", name);
    if (!cJSON_IsObject(r))
        return bad(c, ptr, "must be an object with \"from\"");
    if (hr_json_only_keys(r, keys, c->origin, ptr, c->err))
        return -1;
    from = cJSON_GetObjectItemCaseSensitive(r, "from");
    join = cJSON_GetObjectItemCaseSensitive(r, "join");
    fmt = cJSON_GetObjectItemCaseSensitive(r, "format");
    if (!cJSON_IsArray(from))
        return bad(c, ptr, "\"from\" must be an array of sources");
    out->n_sources = (size_t)cJSON_GetArraySize(from);
    out->sources = hr_calloc(out->n_sources, sizeof(*out->sources));
    if (!out->sources)
        return bad(c, ptr, "out of memory");
    cJSON_ArrayForEach(s, from)
    {
        char sp[96];

        snprintf(sp, sizeof(sp), "%s/from/%zu", ptr, i);
        if (parse_source(c, s, sp,
                         strcmp(name, "object") == 0 ||
                             strcmp(name, "created") == 0,
                         &out->sources[i++]))
            return -1;
    }
    if (join && !cJSON_IsString(join))
        return bad(c, ptr, "\"join\" must be a string");
    out->join = join ? hr_strdup(join->valuestring) : NULL;
    if (fmt && (!cJSON_IsString(fmt) ||
                parse_time_format(fmt->valuestring, &out->time_format)))
        return bad(c, ptr, "\"format\" must be unix_s, unix_ms or iso8601");
    return 0;
}

static int parse_signature(struct ctx *c, const cJSON *sig,
                           struct hr_profile *p)
{
    static const char *const keys[] = {"scheme", "key", "tolerance_s",
                                       "headers", NULL};
    const cJSON *scheme = cJSON_GetObjectItemCaseSensitive(sig, "scheme");
    const cJSON *key = cJSON_GetObjectItemCaseSensitive(sig, "key");
    const cJSON *tol = cJSON_GetObjectItemCaseSensitive(sig, "tolerance_s");

    if (!cJSON_IsObject(sig))
        return bad(c, "/signature", "must be an object");
    if (hr_json_only_keys(sig, keys, c->origin, "/signature", c->err))
        return -1;
    if (!cJSON_IsString(scheme) || (p->scheme = hr_scheme_from_name(
                                        scheme->valuestring)) == HR_SCHEME_NONE)
        return bad(c, "/signature/scheme",
                   "must be one of stripe, github, shopify, slack, "
                   "standard-webhooks, svix");
    p->key_mode = hr_scheme_key_mode(p->scheme);
    if (key && cJSON_IsString(key) && strcmp(key->valuestring, "utf8") == 0)
        p->key_mode = HR_KEY_UTF8;
    else if (key && cJSON_IsString(key) &&
             strcmp(key->valuestring, "whsec_base64") == 0)
        p->key_mode = HR_KEY_WHSEC_B64;
    else if (key)
        return bad(c, "/signature/key", "must be utf8 or whsec_base64");
    if (tol && (hr_json_int64(tol, &p->tolerance_s) || p->tolerance_s < 0))
        return bad(c, "/signature/tolerance_s",
                   "must be a non-negative integer");
    return get_strv(c, cJSON_GetObjectItemCaseSensitive(sig, "headers"),
                    "/signature/headers", &p->sig_headers, &p->n_sig_headers);
}

static int parse_headers(struct ctx *c, const cJSON *arr, struct hr_profile *p)
{
    const cJSON *it;
    size_t i = 0;

    if (!arr)
        return 0;
    if (!cJSON_IsArray(arr))
        return bad(c, "/headers", "must be an array of [name, value]");
    p->n_default_headers = (size_t)cJSON_GetArraySize(arr);
    p->default_headers =
        hr_calloc(p->n_default_headers, sizeof(struct hr_header));
    if (!p->default_headers)
        return bad(c, "/headers", "out of memory");
    cJSON_ArrayForEach(it, arr)
    {
        const cJSON *n = cJSON_GetArrayItem(it, 0);
        const cJSON *v = cJSON_GetArrayItem(it, 1);

        if (!cJSON_IsArray(it) || cJSON_GetArraySize(it) != 2 ||
            !cJSON_IsString(n) || !cJSON_IsString(v))
            return bad(c, "/headers", "each entry must be [name, value]");
        p->default_headers[i].name = hr_strdup(n->valuestring);
        p->default_headers[i++].value = hr_strdup(v->valuestring);
    }
    return 0;
}

static int parse_success(struct ctx *c, const cJSON *arr, struct hr_profile *p)
{
    const cJSON *it;
    size_t i = 0;

    if (!arr) {
        p->success = hr_calloc(1, sizeof(*p->success));
        if (!p->success)
            return bad(c, "/success", "out of memory");
        p->success[0].lo = 200;
        p->success[0].hi = 299;
        p->n_success = 1;
        return 0;
    }
    if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) == 0)
        return bad(c, "/success", "must be a non-empty array of [lo, hi]");
    p->n_success = (size_t)cJSON_GetArraySize(arr);
    p->success = hr_calloc(p->n_success, sizeof(*p->success));
    if (!p->success)
        return bad(c, "/success", "out of memory");
    cJSON_ArrayForEach(it, arr)
    {
        int64_t lo, hi;

        if (!cJSON_IsArray(it) || cJSON_GetArraySize(it) != 2 ||
            hr_json_int64(cJSON_GetArrayItem(it, 0), &lo) ||
            hr_json_int64(cJSON_GetArrayItem(it, 1), &hi) || lo < 100 ||
            hi > 599 || lo > hi)
            return bad(c, "/success",
                       "each entry must be [lo, hi] with 100 <= lo <= hi "
                       "<= 599");
        p->success[i].lo = (int)lo;
        p->success[i++].hi = (int)hi;
    }
    return 0;
}

static int parse_retry(struct ctx *c, const cJSON *r, struct hr_profile *p)
{
    static const char *const keys[] = {"delays_s", "honors_retry_after",
                                       "number_header", "reason_header", NULL};
    const cJSON *d, *h, *it, *nh, *rh;
    size_t i = 0;

    if (!r)
        return 0;
    if (!cJSON_IsObject(r))
        return bad(c, "/retry", "must be an object");
    if (hr_json_only_keys(r, keys, c->origin, "/retry", c->err))
        return -1;
    d = cJSON_GetObjectItemCaseSensitive(r, "delays_s");
    h = cJSON_GetObjectItemCaseSensitive(r, "honors_retry_after");
    if (h && !cJSON_IsBool(h))
        return bad(c, "/retry/honors_retry_after", "must be true or false");
    p->honors_retry_after = cJSON_IsTrue(h);
    nh = cJSON_GetObjectItemCaseSensitive(r, "number_header");
    rh = cJSON_GetObjectItemCaseSensitive(r, "reason_header");
    if ((nh && !cJSON_IsString(nh)) || (rh && !cJSON_IsString(rh)))
        return bad(c, "/retry",
                   "number_header and reason_header must be "
                   "header names");
    p->retry_num_header = nh ? hr_strdup(nh->valuestring) : NULL;
    p->retry_reason_header = rh ? hr_strdup(rh->valuestring) : NULL;
    if (!d)
        return 0;
    if (!cJSON_IsArray(d))
        return bad(c, "/retry/delays_s", "must be an array of seconds");
    p->n_retry_delays = (size_t)cJSON_GetArraySize(d);
    p->retry_delays_ms = hr_calloc(p->n_retry_delays, sizeof(int64_t));
    if (!p->retry_delays_ms)
        return bad(c, "/retry/delays_s", "out of memory");
    cJSON_ArrayForEach(it, d)
    {
        if (!cJSON_IsNumber(it) || it->valuedouble < 0 || it->valuedouble > 1e9)
            return bad(c, "/retry/delays_s",
                       "each delay must be a number of seconds >= 0");
        p->retry_delays_ms[i++] = (int64_t)(it->valuedouble * 1000.0);
    }
    return 0;
}

static int parse_event(struct ctx *c, const cJSON *ev, struct hr_profile *p)
{
    static const char *const keys[] = {"id", "type", "object", "created", NULL};

    if (!cJSON_IsObject(ev))
        return bad(c, "/event", "must be an object");
    if (hr_json_only_keys(ev, keys, c->origin, "/event", c->err))
        return -1;
    if (parse_rule(c, cJSON_GetObjectItemCaseSensitive(ev, "id"), "id",
                   &p->ev_id) ||
        parse_rule(c, cJSON_GetObjectItemCaseSensitive(ev, "type"), "type",
                   &p->ev_type))
        return -1;
    if (cJSON_GetObjectItemCaseSensitive(ev, "object") &&
        parse_rule(c, cJSON_GetObjectItemCaseSensitive(ev, "object"), "object",
                   &p->ev_object))
        return -1;
    if (cJSON_GetObjectItemCaseSensitive(ev, "created") &&
        parse_rule(c, cJSON_GetObjectItemCaseSensitive(ev, "created"),
                   "created", &p->ev_created))
        return -1;
    return 0;
}

static int parse_handshake(struct ctx *c, const cJSON *h, struct hr_profile *p)
{
    static const char *const keys[] = {"headers", "body", "expect", NULL};
    const cJSON *hdrs = cJSON_GetObjectItemCaseSensitive(h, "headers");
    const cJSON *body = cJSON_GetObjectItemCaseSensitive(h, "body");
    const cJSON *exp = cJSON_GetObjectItemCaseSensitive(h, "expect");
    const cJSON *it;
    size_t i = 0;

    if (!h || cJSON_IsNull(h))
        return 0;
    if (!cJSON_IsObject(h) ||
        hr_json_only_keys(h, keys, c->origin, "/handshake", c->err))
        return c->err->msg[0] ? -1 : bad(c, "/handshake", "must be an object");
    if (!cJSON_IsString(body))
        return bad(c, "/handshake/body", "must be the body text");
    if (exp && (!cJSON_IsString(exp) || (strcmp(exp->valuestring, "2xx") &&
                                         strcmp(exp->valuestring, "echo"))))
        return bad(c, "/handshake/expect", "must be \"2xx\" or \"echo\"");
    p->has_handshake = 1;
    p->hs_body = hr_strdup(body->valuestring);
    p->hs_echo = exp && strcmp(exp->valuestring, "echo") == 0;
    if (hdrs && !cJSON_IsArray(hdrs))
        return bad(c, "/handshake/headers", "must be a list of [name, value]");
    p->n_hs_headers = (size_t)cJSON_GetArraySize(hdrs);
    p->hs_headers = hr_calloc(p->n_hs_headers + 1, sizeof(struct hr_header));
    if (!p->hs_headers)
        return bad(c, "/handshake", "out of memory");
    cJSON_ArrayForEach(it, hdrs)
    {
        const cJSON *n = cJSON_GetArrayItem(it, 0),
                    *v = cJSON_GetArrayItem(it, 1);

        if (!cJSON_IsString(n) || !cJSON_IsString(v))
            return bad(c, "/handshake/headers", "entries are [name, value]");
        p->hs_headers[i].name = hr_strdup(n->valuestring);
        p->hs_headers[i++].value = hr_strdup(v->valuestring);
    }
    return 0;
}

static int parse_notes(struct ctx *c, const cJSON *n)
{
    const cJSON *it;

    if (!n)
        return 0;
    if (!cJSON_IsArray(n))
        return bad(c, "/notes", "must be an array of strings");
    cJSON_ArrayForEach(it, n)
    {
        if (!cJSON_IsString(it))
            return bad(c, "/notes", "must be an array of strings");
    }
    return 0;
}

/* Where an event's body holds the object's state and its kind. */
static int parse_truth(struct ctx *c, const cJSON *t, struct hr_profile *p)
{
    static const char *const keys[] = {"state", "resource", NULL};
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(t, "state");
    const cJSON *rs = cJSON_GetObjectItemCaseSensitive(t, "resource");

    if (!t)
        return 0;
    if (!cJSON_IsObject(t) ||
        hr_json_only_keys(t, keys, c->origin, "/truth", c->err))
        return c->err->msg[0] ? -1 : bad(c, "/truth", "must be an object");
    if ((st &&
         (!cJSON_IsString(st) || !hr_json_pointer_valid(st->valuestring))) ||
        (rs &&
         (!cJSON_IsString(rs) || !hr_json_pointer_valid(rs->valuestring))))
        return bad(c, "/truth", "state and resource must be JSON pointers");
    p->truth_state = st ? hr_strdup(st->valuestring) : NULL;
    p->truth_resource = rs ? hr_strdup(rs->valuestring) : NULL;
    return 0;
}

static int parse_top(struct ctx *c, const cJSON *j, struct hr_profile *p)
{
    static const char *const keys[] = {"hookreplay",    "version",
                                       "name",          "signature",
                                       "headers",       "regenerate",
                                       "timeout_ms",    "success",
                                       "retry",         "delivery_header",
                                       "event",         "notes",
                                       "canary_object", "handshake",
                                       "truth",         "api",
                                       "time_fields",   NULL};
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(j, "hookreplay");
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(j, "version");
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(j, "name");
    const cJSON *tmo = cJSON_GetObjectItemCaseSensitive(j, "timeout_ms");
    const cJSON *dh = cJSON_GetObjectItemCaseSensitive(j, "delivery_header");
    const cJSON *regen = cJSON_GetObjectItemCaseSensitive(j, "regenerate");
    const cJSON *canary = cJSON_GetObjectItemCaseSensitive(j, "canary_object");
    const cJSON *times = cJSON_GetObjectItemCaseSensitive(j, "time_fields");

    if (!cJSON_IsObject(j))
        return bad(c, "", "a profile must be a JSON object");
    if (hr_json_only_keys(j, keys, c->origin, "", c->err))
        return -1;
    if (!cJSON_IsString(kind) || strcmp(kind->valuestring, "profile"))
        return bad(c, "/hookreplay", "must be \"profile\"");
    if (!cJSON_IsNumber(ver) || ver->valuedouble != 1)
        return bad(c, "/version", "must be 1");
    if (!cJSON_IsString(name) || !name->valuestring[0])
        return bad(c, "/name", "must be a non-empty string");
    p->name = hr_strdup(name->valuestring);
    p->timeout_ms = 30000;
    if (tmo && (hr_json_int64(tmo, &p->timeout_ms) || p->timeout_ms <= 0))
        return bad(c, "/timeout_ms", "must be a positive integer");
    if (dh && !cJSON_IsNull(dh) && !cJSON_IsString(dh))
        return bad(c, "/delivery_header", "must be a header name or null");
    p->delivery_header = cJSON_IsString(dh) ? hr_strdup(dh->valuestring) : NULL;
    if (canary && (!cJSON_IsString(canary) ||
                   !hr_json_pointer_valid(canary->valuestring)))
        return bad(c, "/canary_object", "must be a JSON pointer");
    p->canary_object = hr_strdup(canary ? canary->valuestring : "");
    if (parse_signature(c, cJSON_GetObjectItemCaseSensitive(j, "signature"),
                        p) ||
        parse_headers(c, cJSON_GetObjectItemCaseSensitive(j, "headers"), p) ||
        parse_success(c, cJSON_GetObjectItemCaseSensitive(j, "success"), p) ||
        parse_retry(c, cJSON_GetObjectItemCaseSensitive(j, "retry"), p) ||
        parse_event(c, cJSON_GetObjectItemCaseSensitive(j, "event"), p) ||
        parse_handshake(c, cJSON_GetObjectItemCaseSensitive(j, "handshake"), p))
        return -1;
    if (parse_notes(c, cJSON_GetObjectItemCaseSensitive(j, "notes")) ||
        parse_truth(c, cJSON_GetObjectItemCaseSensitive(j, "truth"), p))
        return -1;
    if (times &&
        get_strv(c, times, "/time_fields", &p->time_fields, &p->n_time_fields))
        return -1;
    if (regen)
        return get_strv(c, regen, "/regenerate", &p->regenerate,
                        &p->n_regenerate);
    return 0;
}

struct hr_profile *hr_profile_parse(const char *origin, const char *json,
                                    size_t len, struct hr_err *err)
{
    struct ctx c = {origin, err};
    struct hr_profile *p;
    cJSON *j = hr_json_parse(origin, json, len, 1, err);

    if (!j)
        return NULL;
    p = hr_calloc(1, sizeof(*p));
    if (!p) {
        hr_errf(err, HR_EXIT_INTERNAL, "out of memory");
    } else if (parse_top(&c, j, p)) {
        hr_profile_free(p);
        p = NULL;
    }
    cJSON_Delete(j);
    return p;
}

static int looks_like_path(const char *s)
{
    size_t n = strlen(s);

    return strchr(s, '/') || (n > 5 && strcmp(s + n - 5, ".json") == 0);
}

struct hr_profile *hr_profile_load(const char *name, const char *dir,
                                   struct hr_err *err)
{
    const struct hr_embedded *e;
    struct hr_profile *p;
    char file[256];
    char *text, *path;
    size_t len;

    if (looks_like_path(name)) {
        text = hr_read_file(name, &len, err);
        if (!text)
            return NULL;
        p = hr_profile_parse(name, text, len, err);
        hr_free(text);
        return p;
    }
    snprintf(file, sizeof(file), "%s.json", name);
    if (dir) {
        path = hr_path_join(dir, file);
        text = path ? hr_read_file(path, &len, NULL) : NULL;
        if (text) {
            p = hr_profile_parse(path, text, len, err);
            hr_free(text);
            hr_free(path);
            return p;
        }
        hr_free(path);
    }
    e = hr_embedded_find(file);
    if (!e || strchr(name, '.')) {
        hr_errf(err, HR_EXIT_INPUT,
                "unknown profile '%s' (known: stripe, github, shopify, "
                "slack, standard-webhooks, svix; or a path to a .json file)",
                name);
        return NULL;
    }
    return hr_profile_parse(file, (const char *)e->data, e->len, err);
}

int hr_profile_success(const struct hr_profile *p, int status)
{
    size_t i;

    for (i = 0; i < p->n_success; i++)
        if (status >= p->success[i].lo && status <= p->success[i].hi)
            return 1;
    return 0;
}

int hr_profile_regenerates(const struct hr_profile *p, const char *name)
{
    size_t i;

    if (hr_strcaseeq(name, "Content-Length"))
        return 1;
    for (i = 0; i < p->n_regenerate; i++)
        if (hr_strcaseeq(p->regenerate[i], name))
            return 1;
    if (p->delivery_header && hr_strcaseeq(p->delivery_header, name))
        return 1;
    return 0;
}

int hr_parse_iso8601(const char *s, int64_t *unix_s)
{
    struct tm tm;
    int y, mo, d, h, mi, sec, n = 0, off_s = 0;
    const char *p;

    memset(&tm, 0, sizeof(tm));
    if (sscanf(s, "%4d-%2d-%2d%*1[Tt ]%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi,
               &sec, &n) != 6 ||
        n != 19)
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
        return -1;
    p = s + n;
    if (*p == '.')
        for (p++; isdigit((unsigned char)*p); p++)
            ;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh, om;

        if (sscanf(p + 1, "%2d:%2d", &oh, &om) != 2 || strlen(p) != 6)
            return -1;
        off_s = (oh * 3600 + om * 60) * (*p == '-' ? -1 : 1);
        p += 6;
    } else {
        return -1;
    }
    if (*p)
        return -1;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    *unix_s = (int64_t)timegm(&tm) - off_s;
    return 0;
}

/* Value of one form field (application/x-www-form-urlencoded), decoded. */
static char *form_field(const unsigned char *body, size_t len, const char *name)
{
    size_t nlen = strlen(name), i = 0;

    while (i < len) {
        size_t end = i;
        struct hr_buf b;

        while (end < len && body[end] != '&')
            end++;
        if (end - i > nlen && memcmp(body + i, name, nlen) == 0 &&
            body[i + nlen] == '=') {
            size_t k;

            hr_buf_init(&b, 0);
            for (k = i + nlen + 1; k < end; k++) {
                char ch = (char)body[k];
                unsigned int v;

                if (ch == '+')
                    ch = ' ';
                else if (ch == '%' && k + 2 < end &&
                         sscanf((const char *)body + k + 1, "%2x", &v) == 1) {
                    ch = (char)v;
                    k += 2;
                }
                if (hr_buf_add(&b, &ch, 1))
                    break;
            }
            return hr_buf_steal(&b, NULL);
        }
        i = end + 1;
    }
    return NULL;
}

/* Text of a scalar JSON value: strings as they are, integers in decimal. */
static char *scalar_text(const cJSON *v)
{
    char num[32];
    int64_t i;

    if (cJSON_IsString(v))
        return hr_strdup(v->valuestring);
    if (hr_json_int64(v, &i) == 0) {
        snprintf(num, sizeof(num), "%lld", (long long)i);
        return hr_strdup(num);
    }
    return NULL;
}

/* The request body parsed once, lazily: as JSON, and per form field. */
struct body_view {
    const struct hr_message *req;
    int tried;
    cJSON *json;
};

static cJSON *body_json(struct body_view *bv)
{
    if (!bv->tried) {
        bv->tried = 1;
        bv->json = cJSON_ParseWithLength((const char *)bv->req->body,
                                         bv->req->body_len);
    }
    return bv->json;
}

/*
 * The value at ptr in JSON text as a string. Integers are taken from the
 * text itself, so that ids beyond 2^53 (Shopify's) keep every digit.
 */
static char *text_value(const char *text, size_t len, const cJSON *root,
                        const char *ptr)
{
    const cJSON *v = hr_json_pointer(root, ptr);
    size_t off, end;

    if (!cJSON_IsNumber(v))
        return scalar_text(v);
    off = hr_json_locate(text, len, ptr);
    if (off == HR_JSON_NOT_FOUND)
        return scalar_text(v);
    end = off + (off < len && text[off] == '-');
    while (end < len && text[end] >= '0' && text[end] <= '9')
        end++;
    if (end < len && (text[end] == '.' || text[end] == 'e' || text[end] == 'E'))
        return scalar_text(v);
    return hr_strndup(text + off, end - off);
}

static char *resolve_source(struct body_view *bv, const struct hr_source *s)
{
    char *field, *out = NULL;
    cJSON *j;

    if (s->kind == HR_SRC_HEADER) {
        const char *v = hr_message_header(bv->req, s->name);
        return v ? hr_strdup(v) : NULL;
    }
    if (s->kind == HR_SRC_POINTER)
        return body_json(bv)
                   ? text_value((const char *)bv->req->body, bv->req->body_len,
                                bv->json, s->pointer)
                   : NULL;
    field = form_field(bv->req->body, bv->req->body_len, s->name);
    if (!field || !s->pointer)
        return field;
    j = cJSON_Parse(field);
    out = j ? text_value(field, strlen(field), j, s->pointer) : NULL;
    cJSON_Delete(j);
    hr_free(field);
    return out;
}

/* 1 when a source applies to an event of type (NULL: not known yet). */
static int source_applies(const struct hr_source *s, const char *type)
{
    size_t i, n;

    if (s->n_types == 0)
        return 1;
    for (i = 0; type && i < s->n_types; i++) {
        n = strlen(s->types[i]);
        if (strncmp(type, s->types[i], n) == 0 &&
            (type[n] == '\0' || type[n] == '.'))
            return 1;
    }
    return 0;
}

static char *resolve_rule(struct body_view *bv, const struct hr_field_rule *r,
                          const char *type)
{
    struct hr_buf b;
    size_t i;
    int parts = 0;

    hr_buf_init(&b, 0);
    for (i = 0; i < r->n_sources; i++) {
        char *v = source_applies(&r->sources[i], type)
                      ? resolve_source(bv, &r->sources[i])
                      : NULL;

        if (!v)
            continue;
        if (!r->join) {
            hr_buf_free(&b);
            return v;
        }
        if ((parts++ && hr_buf_puts(&b, r->join)) || hr_buf_puts(&b, v)) {
            hr_free(v);
            hr_buf_free(&b);
            return NULL;
        }
        hr_free(v);
    }
    if (!parts) {
        hr_buf_free(&b);
        return NULL;
    }
    return hr_buf_steal(&b, NULL);
}

static int to_unix_s(const char *text, enum hr_time_format f, int64_t *out)
{
    char *end;
    long long v;

    if (f == HR_TIME_ISO8601)
        return hr_parse_iso8601(text, out);
    v = strtoll(text, &end, 10);
    if (end == text || *end)
        return -1;
    *out = f == HR_TIME_UNIX_MS ? v / 1000 : v;
    return 0;
}

/* 1 when the body holds text right before an escaped NUL: cJSON cut the
 * string there, and the whole value was longer. */
static int cut_at_nul(const struct hr_message *req, const char *text)
{
    size_t n = text ? strlen(text) : 0, i;
    const char *b = (const char *)req->body;

    if (!n || req->body_len < n + 6)
        return 0;
    for (i = 0; i + n + 6 <= req->body_len; i++)
        if (memcmp(b + i, text, n) == 0 && memcmp(b + i + n, "\\u0000", 6) == 0)
            return 1;
    return 0;
}

int hr_profile_event(const struct hr_profile *p, const struct hr_message *req,
                     struct hr_event *ev, struct hr_err *err)
{
    struct body_view bv = {req, 0, NULL};
    char *created;

    memset(ev, 0, sizeof(*ev));
    ev->id = resolve_rule(&bv, &p->ev_id, NULL);
    ev->type = resolve_rule(&bv, &p->ev_type, NULL);
    ev->object = resolve_rule(&bv, &p->ev_object, ev->type);
    created = resolve_rule(&bv, &p->ev_created, ev->type);
    if (created &&
        to_unix_s(created, p->ev_created.time_format, &ev->created) == 0)
        ev->has_created = 1;
    hr_free(created);
    cJSON_Delete(bv.json);
    if (!ev->id) {
        hr_free(ev->type);
        hr_free(ev->object);
        memset(ev, 0, sizeof(*ev));
        return hr_errf(err, HR_EXIT_INPUT,
                       "no event id where profile '%s' looks for it", p->name);
    }
    /* Identity fields must be printable UTF-8, and whole: cJSON ends a
     * string at an escaped NUL, so two ids differing after it would look
     * alike. */
    if (!hr_text_printable(ev->id) || !hr_text_printable(ev->type) ||
        !hr_text_printable(ev->object) || cut_at_nul(req, ev->id) ||
        cut_at_nul(req, ev->type) || cut_at_nul(req, ev->object)) {
        hr_free(ev->id);
        hr_free(ev->type);
        hr_free(ev->object);
        memset(ev, 0, sizeof(*ev));
        return hr_errf(err, HR_EXIT_INPUT,
                       "the event's id, type or object holds a NUL, a "
                       "control character or invalid UTF-8");
    }
    return 0;
}

int hr_profile_has_header(const struct hr_profile *p,
                          const struct hr_message *m, const char *name)
{
    const char *v = hr_message_header(m, name);
    size_t i;

    for (i = 0; !v && i < p->n_default_headers; i++)
        if (hr_strcaseeq(p->default_headers[i].name, name))
            v = p->default_headers[i].value;
    return v && v[0];
}
