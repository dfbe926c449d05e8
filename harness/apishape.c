/* SPDX-License-Identifier: MIT */
/* API shapes: the "api" section of a provider profile, parsed strictly. */
#include "apishape.h"
#include "embedded.h"
#include "jsonx.h"

#include <string.h>

/* Used when a profile has no "api" section: cursor-style events only. */
static const char generic_api[] =
    "{\"style\":\"cursor\",\"events_path\":\"/events\","
    "\"data_pointer\":\"/data\",\"limit\":{\"default\":50,\"max\":250},"
    "\"auth\":[\"bearer\"],"
    "\"error_body\":{\"code\":\"{code}\",\"detail\":\"{message}\"},"
    "\"errors\":{"
    "\"not_found\":{\"status\":404,\"code\":\"not_found\","
    "\"message\":\"Entity not found\"},"
    "\"unknown_route\":{\"status\":404,\"code\":\"not_found\","
    "\"message\":\"No route for {method} {path}\"},"
    "\"missing_key\":{\"status\":401,\"code\":\"authentication_failed\","
    "\"message\":\"Missing Authorization header\"},"
    "\"bad_key\":{\"status\":401,\"code\":\"authentication_failed\","
    "\"message\":\"Invalid token\"},"
    "\"bad_request\":{\"status\":400,\"code\":\"{code}\","
    "\"message\":\"{message}\"},"
    "\"rate_limited\":{\"status\":429,\"code\":\"rate_limited\","
    "\"message\":\"Too many requests\"},"
    "\"server_error\":{\"status\":500,\"code\":\"server_error\","
    "\"message\":\"Internal server error\"},"
    "\"unavailable\":{\"status\":503,\"code\":\"unavailable\","
    "\"message\":\"Service unavailable\"}}}";

static const char *const err_names[HR_AE_N] = {
    "not_found",   "unknown_route", "missing_key",  "bad_key",
    "bad_request", "rate_limited",  "server_error", "unavailable"};

const char *hr_api_err_name(enum hr_api_err_kind k)
{
    return k < HR_AE_N ? err_names[k] : "error";
}

struct ctx {
    const char *origin;
    struct hr_err *err;
};

static int bad(struct ctx *c, const char *ptr, const char *what)
{
    return hr_errf(c->err, HR_EXIT_INPUT, "%s: /api%s: %s", c->origin, ptr,
                   what);
}

static void strv_free(char **v, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        hr_free(v[i]);
    hr_free(v);
}

void hr_apishape_free(struct hr_apishape *s)
{
    size_t i, k;

    if (!s)
        return;
    for (i = 0; i < s->n_resources; i++) {
        hr_free(s->resources[i].object);
        hr_free(s->resources[i].path);
        strv_free(s->resources[i].filters, s->resources[i].n_filters);
        strv_free(s->resources[i].hidden_status,
                  s->resources[i].n_hidden_status);
    }
    for (i = 0; i < s->n_children; i++) {
        hr_free(s->children[i].path);
        hr_free(s->children[i].parent);
        hr_free(s->children[i].param);
        hr_free(s->children[i].pointer);
    }
    for (i = 0; i < HR_AE_N; i++) {
        struct hr_api_error *e = &s->errors[i];

        hr_free(e->type);
        hr_free(e->code);
        hr_free(e->message);
        hr_free(e->param);
        hr_free(e->doc_url);
        for (k = 0; k < e->n_headers; k++) {
            hr_free(e->headers[k].name);
            hr_free(e->headers[k].value);
        }
        hr_free(e->headers);
    }
    hr_free(s->resources);
    hr_free(s->children);
    hr_free(s->events_path);
    hr_free(s->data_pointer);
    cJSON_Delete(s->error_body);
    hr_free(s);
}

/* A string field: NULL when absent, else a copy (or -1 when bad). */
static int get_str(struct ctx *c, const cJSON *o, const char *key,
                   const char *ptr, int required, char **out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    char where[256];

    snprintf(where, sizeof(where), "%s/%s", ptr, key);
    if (!v && !required)
        return 0;
    if (!cJSON_IsString(v))
        return bad(c, where, "must be a string");
    *out = hr_strdup(v->valuestring);
    return *out ? 0 : bad(c, where, "out of memory");
}

static int get_strv(struct ctx *c, const cJSON *o, const char *key,
                    const char *ptr, char ***out, size_t *n)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key), *it;
    char where[256];

    snprintf(where, sizeof(where), "%s/%s", ptr, key);
    if (!v)
        return 0;
    if (!cJSON_IsArray(v))
        return bad(c, where, "must be a list of strings");
    *out = hr_calloc((size_t)cJSON_GetArraySize(v) + 1, sizeof(char *));
    if (!*out)
        return bad(c, where, "out of memory");
    cJSON_ArrayForEach(it, v)
    {
        if (!cJSON_IsString(it))
            return bad(c, where, "must be a list of strings");
        (*out)[(*n)++] = hr_strdup(it->valuestring);
    }
    return 0;
}

static int parse_headers(struct ctx *c, const cJSON *h, const char *ptr,
                         struct hr_api_error *e)
{
    const cJSON *it;

    if (!h)
        return 0;
    if (!cJSON_IsArray(h))
        return bad(c, ptr, "headers must be a list of [name, value]");
    e->headers =
        hr_calloc((size_t)cJSON_GetArraySize(h) + 1, sizeof(*e->headers));
    if (!e->headers)
        return bad(c, ptr, "out of memory");
    cJSON_ArrayForEach(it, h)
    {
        const cJSON *n = cJSON_GetArrayItem(it, 0);
        const cJSON *v = cJSON_GetArrayItem(it, 1);

        if (!cJSON_IsArray(it) || cJSON_GetArraySize(it) != 2 ||
            !cJSON_IsString(n) || !cJSON_IsString(v))
            return bad(c, ptr, "headers must be a list of [name, value]");
        e->headers[e->n_headers].name = hr_strdup(n->valuestring);
        e->headers[e->n_headers++].value = hr_strdup(v->valuestring);
    }
    return 0;
}

static int parse_error(struct ctx *c, const cJSON *o, const char *name,
                       struct hr_api_error *e)
{
    static const char *const keys[] = {"status",  "type",  "code",
                                       "message", "param", "doc_url",
                                       "headers", NULL};
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(o, "status");
    char ptr[128];
    int64_t status;

    snprintf(ptr, sizeof(ptr), "/errors/%s", name);
    if (!cJSON_IsObject(o))
        return bad(c, ptr, "required: an object with status and message");
    if (hr_json_only_keys(o, keys, c->origin, ptr, c->err))
        return -1;
    if (hr_json_int64(st, &status) || status < 400 || status > 599)
        return bad(c, ptr, "status must be an HTTP error status");
    e->status = (int)status;
    return get_str(c, o, "type", ptr, 0, &e->type) ||
           get_str(c, o, "code", ptr, 0, &e->code) ||
           get_str(c, o, "message", ptr, 1, &e->message) ||
           get_str(c, o, "param", ptr, 0, &e->param) ||
           get_str(c, o, "doc_url", ptr, 0, &e->doc_url) ||
           parse_headers(c, cJSON_GetObjectItemCaseSensitive(o, "headers"), ptr,
                         e);
}

static int parse_errors(struct ctx *c, const cJSON *o, struct hr_apishape *s)
{
    int i;

    if (!cJSON_IsObject(o))
        return bad(c, "/errors", "required: an object of error kinds");
    if (hr_json_only_keys(o, err_names, c->origin, "/api/errors", c->err))
        return -1;
    for (i = 0; i < HR_AE_N; i++)
        if (parse_error(c, cJSON_GetObjectItemCaseSensitive(o, err_names[i]),
                        err_names[i], &s->errors[i]))
            return -1;
    return 0;
}

static int parse_deleted(struct ctx *c, const cJSON *v, const char *ptr,
                         enum hr_on_deleted *out)
{
    const char *s = cJSON_IsString(v) ? v->valuestring : "";

    if (!v || strcmp(s, "gone") == 0)
        *out = HR_DEL_GONE;
    else if (strcmp(s, "stub") == 0)
        *out = HR_DEL_STUB;
    else if (strcmp(s, "keep") == 0)
        *out = HR_DEL_KEEP;
    else
        return bad(c, ptr,
                   "on_deleted must be \"gone\", \"stub\" or "
                   "\"keep\"");
    return 0;
}

static int parse_resource(struct ctx *c, const cJSON *o, int i,
                          struct hr_api_resource *r)
{
    static const char *const keys[] = {"object",     "path",          "filters",
                                       "on_deleted", "hidden_status", NULL};
    char ptr[64], full[80];

    snprintf(ptr, sizeof(ptr), "/resources/%d", i);
    snprintf(full, sizeof(full), "/api%s", ptr);
    if (!cJSON_IsObject(o))
        return bad(c, ptr, "must be an object with object and path");
    if (hr_json_only_keys(o, keys, c->origin, full, c->err))
        return -1;
    return get_str(c, o, "object", ptr, 1, &r->object) ||
           get_str(c, o, "path", ptr, 1, &r->path) ||
           get_strv(c, o, "filters", ptr, &r->filters, &r->n_filters) ||
           get_strv(c, o, "hidden_status", ptr, &r->hidden_status,
                    &r->n_hidden_status) ||
           parse_deleted(c, cJSON_GetObjectItemCaseSensitive(o, "on_deleted"),
                         ptr, &r->on_deleted);
}

static int parse_child(struct ctx *c, const cJSON *o, int i,
                       struct hr_api_child *ch)
{
    static const char *const keys[] = {"path", "parent", "param", "pointer",
                                       NULL};
    char ptr[64], full[80];

    snprintf(ptr, sizeof(ptr), "/children/%d", i);
    snprintf(full, sizeof(full), "/api%s", ptr);
    if (!cJSON_IsObject(o))
        return bad(c, ptr, "must be an object with path, parent, pointer");
    if (hr_json_only_keys(o, keys, c->origin, full, c->err))
        return -1;
    if (get_str(c, o, "path", ptr, 1, &ch->path) ||
        get_str(c, o, "parent", ptr, 1, &ch->parent) ||
        get_str(c, o, "param", ptr, 0, &ch->param) ||
        get_str(c, o, "pointer", ptr, 1, &ch->pointer))
        return -1;
    if (!strstr(ch->path, "{id}") && !ch->param)
        return bad(c, ptr,
                   "a path without {id} needs a param naming the "
                   "parent");
    return 0;
}

static int parse_lists(struct ctx *c, const cJSON *api, struct hr_apishape *s)
{
    const cJSON *res = cJSON_GetObjectItemCaseSensitive(api, "resources");
    const cJSON *ch = cJSON_GetObjectItemCaseSensitive(api, "children");
    const cJSON *it;
    int i = 0;

    if ((res && !cJSON_IsArray(res)) || (ch && !cJSON_IsArray(ch)))
        return bad(c, "", "resources and children must be lists");
    s->resources =
        hr_calloc((size_t)cJSON_GetArraySize(res) + 1, sizeof(*s->resources));
    s->children =
        hr_calloc((size_t)cJSON_GetArraySize(ch) + 1, sizeof(*s->children));
    if (!s->resources || !s->children)
        return bad(c, "", "out of memory");
    cJSON_ArrayForEach(it, res)
    {
        if (parse_resource(c, it, i++, &s->resources[s->n_resources++]))
            return -1;
    }
    i = 0;
    cJSON_ArrayForEach(it, ch)
    {
        if (parse_child(c, it, i++, &s->children[s->n_children++]))
            return -1;
    }
    return 0;
}

static int parse_auth(struct ctx *c, const cJSON *a, struct hr_apishape *s)
{
    const cJSON *it;

    if (!cJSON_IsArray(a))
        return bad(c, "/auth", "required: a list of \"bearer\", \"basic\"");
    cJSON_ArrayForEach(it, a)
    {
        const char *v = cJSON_IsString(it) ? it->valuestring : "";

        if (strcmp(v, "bearer") == 0)
            s->auth_bearer = 1;
        else if (strcmp(v, "basic") == 0)
            s->auth_basic = 1;
        else
            return bad(c, "/auth",
                       "entries must be \"bearer\" or "
                       "\"basic\"");
    }
    return 0;
}

static int parse_limit(struct ctx *c, const cJSON *l, struct hr_apishape *s)
{
    int64_t d = 10, m = 100;
    const cJSON *dv = cJSON_GetObjectItemCaseSensitive(l, "default");
    const cJSON *mv = cJSON_GetObjectItemCaseSensitive(l, "max");

    if (l && (!cJSON_IsObject(l) || (dv && hr_json_int64(dv, &d)) ||
              (mv && hr_json_int64(mv, &m)) || d < 1 || m < d || m > 100000))
        return bad(c, "/limit",
                   "must be {\"default\": N, \"max\": M} with "
                   "1 <= N <= M");
    s->default_limit = (int)d;
    s->max_limit = (int)m;
    return 0;
}

static int parse_top(struct ctx *c, const cJSON *api, struct hr_apishape *s)
{
    static const char *const keys[] = {
        "style",  "events_path", "data_pointer", "limit",    "auth",
        "errors", "error_body",  "resources",    "children", NULL};
    const cJSON *style = cJSON_GetObjectItemCaseSensitive(api, "style");
    const cJSON *body = cJSON_GetObjectItemCaseSensitive(api, "error_body");
    const char *st = cJSON_IsString(style) ? style->valuestring : "";

    if (!cJSON_IsObject(api))
        return bad(c, "", "must be an object");
    if (hr_json_only_keys(api, keys, c->origin, "/api", c->err))
        return -1;
    if (strcmp(st, "stripe") == 0)
        s->style = HR_API_STRIPE;
    else if (strcmp(st, "cursor") == 0)
        s->style = HR_API_CURSOR;
    else
        return bad(c, "/style", "must be \"stripe\" or \"cursor\"");
    if (!cJSON_IsObject(body))
        return bad(c, "/error_body", "required: the error body template");
    s->error_body = cJSON_Duplicate(body, 1);
    if (get_str(c, api, "events_path", "", 1, &s->events_path) ||
        get_str(c, api, "data_pointer", "", 1, &s->data_pointer) ||
        parse_limit(c, cJSON_GetObjectItemCaseSensitive(api, "limit"), s) ||
        parse_auth(c, cJSON_GetObjectItemCaseSensitive(api, "auth"), s) ||
        parse_errors(c, cJSON_GetObjectItemCaseSensitive(api, "errors"), s))
        return -1;
    if (s->events_path[0] != '/')
        return bad(c, "/events_path", "must start with /");
    return parse_lists(c, api, s);
}

struct hr_apishape *hr_apishape_parse(const cJSON *api, const char *origin,
                                      struct hr_err *err)
{
    struct ctx c = {origin, err};
    struct hr_apishape *s = hr_calloc(1, sizeof(*s));

    if (!s) {
        hr_errf(err, HR_EXIT_INTERNAL, "out of memory");
        return NULL;
    }
    if (parse_top(&c, api, s)) {
        hr_apishape_free(s);
        return NULL;
    }
    return s;
}

static char *profile_text(const char *name, const char *dir, char **origin,
                          size_t *len, struct hr_err *err)
{
    const struct hr_embedded *e;
    char file[256];
    char *text, *path;

    if (strchr(name, '/') || strstr(name, ".json")) {
        *origin = hr_strdup(name);
        return hr_read_file(name, len, err);
    }
    snprintf(file, sizeof(file), "%s.json", name);
    path = dir ? hr_path_join(dir, file) : NULL;
    text = path ? hr_read_file(path, len, NULL) : NULL;
    if (text) {
        *origin = path;
        return text;
    }
    hr_free(path);
    e = hr_embedded_find(file);
    if (!e) {
        hr_errf(err, HR_EXIT_INPUT, "unknown profile '%s'", name);
        return NULL;
    }
    *origin = hr_strdup(file);
    *len = e->len;
    return hr_strndup((const char *)e->data, e->len);
}

struct hr_apishape *hr_apishape_load(const char *name, const char *dir,
                                     struct hr_err *err)
{
    char *origin = NULL;
    size_t len = 0;
    char *text = profile_text(name, dir, &origin, &len, err);
    cJSON *j = NULL, *dflt = NULL;
    const cJSON *api;
    struct hr_apishape *s = NULL;

    if (!text)
        goto out;
    j = hr_json_parse(origin, text, len, 1, err);
    if (!j)
        goto out;
    api = cJSON_GetObjectItemCaseSensitive(j, "api");
    if (!api) {
        dflt = cJSON_Parse(generic_api);
        api = dflt;
    }
    s = hr_apishape_parse(api, origin, err);
out:
    cJSON_Delete(j);
    cJSON_Delete(dflt);
    hr_free(text);
    hr_free(origin);
    return s;
}

const struct hr_api_resource *hr_apishape_resource(const struct hr_apishape *s,
                                                   const char *object)
{
    size_t i;

    for (i = 0; object && i < s->n_resources; i++)
        if (strcmp(s->resources[i].object, object) == 0)
            return &s->resources[i];
    return NULL;
}
