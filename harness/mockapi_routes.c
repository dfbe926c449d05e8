/* SPDX-License-Identifier: MIT */
/* The mock API's routes: truth lists and objects, recordings, errors. */
#include "jsonx.h"
#include "mockapi_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* One list item: its JSON and its place in the unfiltered order. */
struct item {
    const char *json;
    size_t len;
    const char *id;
    size_t pos;
    char *owned; /* json when it was printed for this request */
};

struct items {
    struct item *v;
    size_t n;
};

static const char *arg(const struct reqinfo *q, const char *name)
{
    return MHD_lookup_connection_value(q->c, MHD_GET_ARGUMENT_KIND, name);
}

/* ---- errors in the provider's shape ---- */

static const char *var_get(const struct var *v, size_t n, const char *name,
                           size_t len)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (strlen(v[i].name) == len && memcmp(v[i].name, name, len) == 0)
            return v[i].value ? v[i].value : "";
    return NULL;
}

/* Replaces {name} by its value; unknown names stay as they are. */
static char *expand(const char *t, const struct var *v, size_t n)
{
    struct hr_buf b;

    hr_buf_init(&b, 1 << 16);
    while (t && *t) {
        const char *close = *t == '{' ? strchr(t, '}') : NULL;
        const char *val =
            close ? var_get(v, n, t + 1, (size_t)(close - t - 1)) : NULL;

        if (val) {
            hr_buf_puts(&b, val);
            t = close + 1;
        } else {
            hr_buf_add(&b, t++, 1);
        }
    }
    hr_buf_puts(&b, "");
    return hr_buf_steal(&b, NULL);
}

/* A lone "{name}" whose value is empty drops its key. */
static int drops(const char *t, const struct var *v, size_t n)
{
    size_t len = strlen(t);
    const char *val;

    if (len < 3 || t[0] != '{' || t[len - 1] != '}')
        return 0;
    val = var_get(v, n, t + 1, len - 2);
    return val && !*val;
}

static cJSON *fill(const cJSON *t, const struct var *v, size_t n)
{
    const cJSON *it;
    cJSON *o;

    if (cJSON_IsString(t)) {
        char *s = expand(t->valuestring, v, n);

        o = s ? cJSON_CreateString(s) : NULL;
        hr_free(s);
        return o;
    }
    if (!cJSON_IsObject(t) && !cJSON_IsArray(t))
        return cJSON_Duplicate(t, 1);
    o = cJSON_IsObject(t) ? cJSON_CreateObject() : cJSON_CreateArray();
    cJSON_ArrayForEach(it, t)
    {
        if (cJSON_IsString(it) && drops(it->valuestring, v, n))
            continue;
        if (cJSON_IsObject(t))
            cJSON_AddItemToObject(o, it->string, fill(it, v, n));
        else
            cJSON_AddItemToArray(o, fill(it, v, n));
    }
    return o;
}

void hr_mockapi_error(struct hr_mockapi *m, enum hr_api_err_kind k,
                      const struct var *vars, size_t n_vars, struct out *o)
{
    const struct hr_api_error *e = &m->shape->errors[k];
    struct var all[24];
    char *f[5];
    const char *names[5] = {"message", "type", "code", "param", "doc_url"};
    const char *tmpl[5] = {e->message, e->type, e->code, e->param, e->doc_url};
    size_t n = 0, i;
    cJSON *body;
    char *s;

    for (i = 0; i < 5; i++)
        f[i] = tmpl[i] ? expand(tmpl[i], vars, n_vars) : NULL;
    for (i = 0; i < 5; i++)
        all[n++] = (struct var){names[i], f[i] ? f[i] : ""};
    all[n++] = (struct var){"request_log_url", ""};
    for (i = 0; i < n_vars && n < 24; i++)
        all[n++] = vars[i];
    body = fill(m->shape->error_body, all, n);
    s = body ? cJSON_PrintUnformatted(body) : NULL;
    hr_buf_reset(&o->body);
    hr_buf_puts(&o->body, s ? s : "{}");
    hr_buf_puts(&o->body, "\n");
    o->status = e->status;
    o->hdrs = e->headers;
    o->n_hdrs = e->n_headers;
    for (i = 0; i < 5; i++)
        hr_free(f[i]);
    cJSON_free(s);
    cJSON_Delete(body);
}

void hr_mockapi_bad_param(struct hr_mockapi *m, const char *code,
                          const char *param, const char *message, struct out *o)
{
    struct var v[] = {{"code", code}, {"param", param}, {"message", message}};

    hr_mockapi_error(m, HR_AE_BAD_REQUEST, v, 3, o);
}

static void not_found(struct hr_mockapi *m, const char *object, const char *id,
                      const char *param, struct out *o)
{
    struct var v[] = {{"object", object}, {"id", id}, {"param", param}};

    hr_mockapi_error(m, HR_AE_NOT_FOUND, v, 3, o);
}

/* ---- query values ---- */

static int parse_i64(const char *s, int64_t *out)
{
    char *end;
    long long v;

    if (!s || !*s)
        return -1;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

static int get_limit(struct hr_mockapi *m, const struct reqinfo *q, int *limit,
                     struct out *o)
{
    const char *s = arg(q, "limit");
    int64_t v = m->shape->default_limit;
    char msg[160];

    if (s && parse_i64(s, &v)) {
        char shown[61];

        hr_mockapi_shown(shown, sizeof(shown), s);
        snprintf(msg, sizeof(msg), "Invalid integer: %s", shown);
        hr_mockapi_bad_param(m, "parameter_invalid_integer", "limit", msg, o);
        return -1;
    }
    if (v < 1 || v > m->shape->max_limit) {
        snprintf(msg, sizeof(msg),
                 "This value must be between 1 and %d (it currently is "
                 "%lld).",
                 m->shape->max_limit, (long long)v);
        hr_mockapi_bad_param(m, "parameter_invalid_integer", "limit", msg, o);
        return -1;
    }
    *limit = (int)v;
    return 0;
}

/* created[gt|gte|lt|lte] and created=N as a range [lo, hi]. */
static int get_created(struct hr_mockapi *m, const struct reqinfo *q,
                       int64_t *lo, int64_t *hi, struct out *o)
{
    static const char *const keys[] = {"created", "created[gte]", "created[gt]",
                                       "created[lte]", "created[lt]"};
    int i;

    *lo = INT64_MIN;
    *hi = INT64_MAX;
    for (i = 0; i < 5; i++) {
        const char *s = arg(q, keys[i]);
        int64_t v;
        char msg[160];

        if (!s)
            continue;
        if (parse_i64(s, &v) || v < 0 || v > 1000000000000LL) {
            char shown[61];

            hr_mockapi_shown(shown, sizeof(shown), s);
            snprintf(msg, sizeof(msg), "Invalid integer: %s", shown);
            hr_mockapi_bad_param(m, "parameter_invalid_integer", keys[i], msg,
                                 o);
            return -1;
        }
        if (i <= 1 && v > *lo)
            *lo = v;
        if (i == 2 && v + 1 > *lo)
            *lo = v + 1;
        if ((i == 0 || i == 3) && v < *hi)
            *hi = v;
        if (i == 4 && v - 1 < *hi)
            *hi = v - 1;
    }
    return 0;
}

static int cursors(struct hr_mockapi *m, const struct reqinfo *q,
                   const char **after, const char **before, struct out *o)
{
    *after = arg(q, "starting_after");
    *before = arg(q, "ending_before");
    if (*after && *before) {
        hr_mockapi_bad_param(m, "parameters_exclusive", "ending_before",
                             "You may only specify one of these "
                             "parameters: ending_before, starting_after.",
                             o);
        return -1;
    }
    if ((*after && !**after) || (*before && !**before)) {
        hr_mockapi_bad_param(m, "parameter_invalid_empty",
                             *after ? "starting_after" : "ending_before",
                             "You passed an empty string for a cursor.", o);
        return -1;
    }
    return 0;
}

/* ---- Stripe-style pages ---- */

static void items_free(struct items *it)
{
    size_t i;

    for (i = 0; i < it->n; i++)
        hr_free(it->v[i].owned);
    hr_free(it->v);
}

static void put_json_str(struct hr_buf *b, const char *s)
{
    cJSON *str = cJSON_CreateString(s);
    char *p = str ? cJSON_PrintUnformatted(str) : NULL;

    hr_buf_puts(b, p ? p : "\"\"");
    cJSON_free(p);
    cJSON_Delete(str);
}

/*
 * Items are kept ones in newest-first order; cursor_pos is the cursor's
 * place in the unfiltered order (-1 none); after: starting_after.
 */
static void page(struct hr_mockapi *m, const struct reqinfo *q,
                 const struct items *it, long cursor_pos, int after, int limit,
                 const char *url, struct out *o)
{
    size_t lo = 0, hi = it->n, i, first, last;
    int has_more;

    if (cursor_pos >= 0) {
        for (i = 0; i < it->n && (long)it->v[i].pos <= cursor_pos; i++)
            ;
        if (after) {
            lo = i;
        } else {
            for (hi = 0; hi < it->n && (long)it->v[hi].pos < cursor_pos; hi++)
                ;
        }
    }
    if (cursor_pos >= 0 && !after) {
        first = hi > (size_t)limit ? hi - (size_t)limit : 0;
        last = hi;
        has_more = first > 0;
    } else {
        first = lo;
        last = hi - lo > (size_t)limit ? lo + (size_t)limit : hi;
        has_more = last < hi;
    }
    hr_buf_reset(&o->body);
    hr_buf_puts(&o->body, "{\"object\":\"list\",\"data\":[");
    for (i = first; i < last; i++) {
        if (i > first)
            hr_buf_puts(&o->body, ",");
        hr_buf_add(&o->body, it->v[i].json, it->v[i].len);
        hr_mockapi_note_served(m, it->v[i].id, q->now_us);
    }
    hr_buf_printf(&o->body,
                  "],\"has_more\":%s,\"url\":", has_more ? "true" : "false");
    put_json_str(&o->body, url);
    hr_buf_puts(&o->body, "}\n");
    o->status = 200;
}

static int type_matches(const struct reqinfo *q, const char *type)
{
    const char *t = arg(q, "type");
    const char *ts = arg(q, "types[]");

    if (t && !hr_glob_match(t, type))
        return 0;
    if (ts && !hr_glob_match(ts, type))
        return 0;
    return 1;
}

static void list_events(struct hr_mockapi *m, const struct reqinfo *q,
                        struct out *o)
{
    const struct hr_truth_event *const *ev;
    struct items it = {0};
    const char *after, *before;
    int64_t lo, hi;
    size_t n, i;
    long cur = -1;
    int limit;

    if (get_limit(m, q, &limit, o) || get_created(m, q, &lo, &hi, o) ||
        cursors(m, q, &after, &before, o))
        return;
    ev = hr_truth_events(m->truth, q->now_us, &n);
    if (after || before) {
        long idx =
            hr_truth_after_cursor(m->truth, after ? after : before, q->now_us);

        if (idx < 0) {
            not_found(m, "event", after ? after : before,
                      after ? "starting_after" : "ending_before", o);
            return;
        }
        cur = (long)n - idx; /* newest-first place of the cursor */
    }
    it.v = hr_calloc(n + 1, sizeof(*it.v));
    for (i = 0; it.v && i < n; i++) {
        const struct hr_truth_event *e = ev[n - 1 - i];

        if (!type_matches(q, e->type) || e->created < lo || e->created > hi)
            continue;
        it.v[it.n++] = (struct item){e->json, e->json_len, e->id, i, NULL};
    }
    page(m, q, &it, cur, after != NULL, limit, m->shape->events_path, o);
    items_free(&it);
}

static void get_event(struct hr_mockapi *m, const struct reqinfo *q,
                      const char *id, struct out *o)
{
    const struct hr_truth_event *e = hr_truth_event(m->truth, id, q->now_us);

    if (!e) {
        not_found(m, "event", id, "id", o);
        return;
    }
    hr_buf_reset(&o->body);
    hr_buf_add(&o->body, e->json, e->json_len);
    hr_buf_puts(&o->body, "\n");
    hr_mockapi_note_served(m, id, q->now_us);
    o->status = 200;
}

/* ---- Standard Webhooks style: oldest first, after=<cursor> ---- */

static void list_events_cursor(struct hr_mockapi *m, const struct reqinfo *q,
                               struct out *o)
{
    const struct hr_truth_event *const *ev;
    const char *after = arg(q, "after");
    const struct hr_truth_event *last = NULL;
    size_t n, i, sent = 0;
    long from = 0;
    int limit, more = 0;

    if (get_limit(m, q, &limit, o))
        return;
    ev = hr_truth_events(m->truth, q->now_us, &n);
    if (after &&
        (from = hr_truth_after_cursor(m->truth, after, q->now_us)) < 0) {
        hr_mockapi_bad_param(m, "invalid_cursor", "after",
                             "The cursor does not name an event", o);
        return;
    }
    hr_buf_reset(&o->body);
    hr_buf_puts(&o->body, "{\"data\":[");
    for (i = (size_t)from; i < n; i++) {
        if (!type_matches(q, ev[i]->type))
            continue;
        if (sent == (size_t)limit) {
            more = 1;
            break;
        }
        if (sent++)
            hr_buf_puts(&o->body, ",");
        hr_buf_add(&o->body, ev[i]->json, ev[i]->json_len);
        last = ev[i];
    }
    hr_buf_puts(&o->body, "],\"next\":");
    if (last || after)
        put_json_str(&o->body, last ? last->id : after);
    else
        hr_buf_puts(&o->body, "null");
    hr_buf_printf(&o->body, ",\"done\":%s}\n", more ? "false" : "true");
    o->status = 200;
}

/* ---- resources ---- */

static int value_is(const cJSON *v, const char *want)
{
    char num[40];

    if (cJSON_IsObject(v))
        v = cJSON_GetObjectItemCaseSensitive(v, "id");
    if (cJSON_IsString(v))
        return strcmp(v->valuestring, want) == 0;
    if (cJSON_IsBool(v))
        return strcmp(want, cJSON_IsTrue(v) ? "true" : "false") == 0;
    if (cJSON_IsNumber(v)) {
        snprintf(num, sizeof(num), "%.0f", v->valuedouble);
        return strcmp(num, want) == 0;
    }
    return 0;
}

static int status_hidden(const struct hr_api_resource *r, const cJSON *st)
{
    size_t i;

    for (i = 0; cJSON_IsString(st) && i < r->n_hidden_status; i++)
        if (strcmp(st->valuestring, r->hidden_status[i]) == 0)
            return 1;
    return 0;
}

static int keep_object(const struct hr_api_resource *r, const struct reqinfo *q,
                       const cJSON *state, int64_t lo, int64_t hi)
{
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(state, "created");
    const char *status = arg(q, "status");
    size_t i;

    if (cJSON_IsNumber(c) &&
        (c->valuedouble < (double)lo || c->valuedouble > (double)hi))
        return 0;
    if (!status &&
        status_hidden(r, cJSON_GetObjectItemCaseSensitive(state, "status")))
        return 0;
    for (i = 0; i < r->n_filters; i++) {
        const char *want = arg(q, r->filters[i]);

        if (!want ||
            (strcmp(r->filters[i], "status") == 0 && strcmp(want, "all") == 0))
            continue;
        if (!value_is(cJSON_GetObjectItemCaseSensitive(state, r->filters[i]),
                      want))
            return 0;
    }
    return 1;
}

static const char *object_id(const struct hr_truth_version *v)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(v->state, "id");

    return cJSON_IsString(id) ? id->valuestring : "";
}

static void list_resource(struct hr_mockapi *m, const struct reqinfo *q,
                          const struct hr_api_resource *r, struct out *o)
{
    const struct hr_truth_version **all = NULL;
    const char *after, *before, *cur_id;
    struct items it = {0};
    long n, i, cur = -1, pos = 0;
    int64_t lo, hi;
    int limit;

    if (get_limit(m, q, &limit, o) || get_created(m, q, &lo, &hi, o) ||
        cursors(m, q, &after, &before, o))
        return;
    n = hr_truth_list(m->truth, r->object, q->read_us, &all);
    it.v = n >= 0 ? hr_calloc((size_t)n + 1, sizeof(*it.v)) : NULL;
    cur_id = after ? after : before;
    for (i = 0; it.v && i < n; i++) {
        if (all[i]->deleted && r->on_deleted != HR_DEL_KEEP)
            continue;
        if (cur_id && strcmp(object_id(all[i]), cur_id) == 0)
            cur = pos;
        if (keep_object(r, q, all[i]->state, lo, hi))
            it.v[it.n++] = (struct item){all[i]->json, all[i]->json_len,
                                         object_id(all[i]), (size_t)pos, NULL};
        pos++;
    }
    if (cur_id && cur < 0)
        not_found(m, r->object, cur_id,
                  after ? "starting_after" : "ending_before", o);
    else
        page(m, q, &it, cur, after != NULL, limit, r->path, o);
    items_free(&it);
    hr_free(all);
}

static void get_object(struct hr_mockapi *m, const struct reqinfo *q,
                       const struct hr_api_resource *r, const char *id,
                       struct out *o)
{
    const struct hr_truth_object *obj;
    const struct hr_truth_version *v =
        hr_truth_get(m->truth, id, q->read_us, &obj);

    if (!v || !obj->kind || strcmp(obj->kind, r->object) ||
        (v->deleted && r->on_deleted == HR_DEL_GONE)) {
        not_found(m, r->object, id, "id", o);
        return;
    }
    hr_buf_reset(&o->body);
    if (v->deleted && r->on_deleted == HR_DEL_STUB) {
        hr_buf_puts(&o->body, "{\"id\":");
        put_json_str(&o->body, id);
        hr_buf_puts(&o->body, ",\"object\":");
        put_json_str(&o->body, r->object);
        hr_buf_puts(&o->body, ",\"deleted\":true}");
    } else {
        hr_buf_add(&o->body, v->json, v->json_len);
    }
    hr_buf_puts(&o->body, "\n");
    hr_mockapi_note_served(m, id, q->now_us);
    o->status = 200;
}

/* ---- derived lists (a subscription's items, an invoice's lines) ---- */

/* The parent id when path fits child c's template, else NULL (new). */
static char *child_parent(const struct hr_api_child *c, const struct reqinfo *q)
{
    const char *brace = strstr(c->path, "{id}");
    size_t pre, suf, n = strlen(q->url);
    const char *id;

    if (!brace) {
        id = strcmp(q->url, c->path) == 0 ? arg(q, c->param) : NULL;
        return strcmp(q->url, c->path) == 0 ? hr_strdup(id ? id : "") : NULL;
    }
    pre = (size_t)(brace - c->path);
    suf = strlen(brace + 4);
    if (n <= pre + suf || strncmp(q->url, c->path, pre) ||
        strcmp(q->url + n - suf, brace + 4))
        return NULL;
    if (memchr(q->url + pre, '/', n - pre - suf))
        return NULL;
    return hr_strndup(q->url + pre, n - pre - suf);
}

static void list_child(struct hr_mockapi *m, const struct reqinfo *q,
                       const struct hr_api_child *c, const char *parent,
                       struct out *o)
{
    const struct hr_api_resource *r = hr_apishape_resource(m->shape, c->parent);
    const struct hr_truth_object *obj;
    const struct hr_truth_version *v;
    const cJSON *arr, *x;
    const char *after, *before, *cur_id;
    struct items it = {0};
    long cur = -1;
    size_t pos = 0;
    int limit;
    char msg[128];

    if (!*parent) {
        snprintf(msg, sizeof(msg), "Missing required param: %s.", c->param);
        {
            hr_mockapi_bad_param(m, "parameter_missing", c->param, msg, o);
            return;
        }
    }
    if (get_limit(m, q, &limit, o) || cursors(m, q, &after, &before, o))
        return;
    v = hr_truth_get(m->truth, parent, q->read_us, &obj);
    if (!v || !obj->kind || strcmp(obj->kind, c->parent) ||
        (v->deleted && (!r || r->on_deleted != HR_DEL_KEEP))) {
        not_found(m, c->parent, parent, c->param ? c->param : "id", o);
        return;
    }
    arr = hr_json_pointer(v->state, c->pointer);
    it.v = hr_calloc((size_t)cJSON_GetArraySize(arr) + 1, sizeof(*it.v));
    cur_id = after ? after : before;
    cJSON_ArrayForEach(x, (it.v ? arr : NULL))
    {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(x, "id");
        char *s = cJSON_PrintUnformatted(x);

        if (!s)
            break;
        if (cur_id && cJSON_IsString(id) &&
            strcmp(id->valuestring, cur_id) == 0)
            cur = (long)pos;
        it.v[it.n++] = (struct item){s, strlen(s), NULL, pos++, s};
    }
    if (cur_id && cur < 0)
        not_found(m, "line item", cur_id,
                  after ? "starting_after" : "ending_before", o);
    else
        page(m, q, &it, cur, after != NULL, limit, q->url, o);
    items_free(&it);
}

/* ---- recorded interactions ---- */

struct qpairs {
    char *k[64], *v[64];
    size_t n;
    int over;
};

static enum MHD_Result collect(void *cls, enum MHD_ValueKind kind,
                               const char *key, const char *value)
{
    struct qpairs *p = cls;

    if (p->n == 64) {
        p->over = 1;
        return MHD_NO;
    }
    p->k[p->n] = (char *)key;
    p->v[p->n++] = (char *)(value ? value : "");
    return MHD_YES;
}

static int pair_cmp(const char *ka, const char *va, const char *kb,
                    const char *vb)
{
    int c = strcmp(ka, kb);

    return c ? c : strcmp(va, vb);
}

static void sort_pairs(char **k, char **v, size_t n)
{
    size_t i, j;

    for (i = 1; i < n; i++)
        for (j = i; j > 0 && pair_cmp(k[j - 1], v[j - 1], k[j], v[j]) > 0;
             j--) {
            char *tk = k[j], *tv = v[j];

            k[j] = k[j - 1];
            v[j] = v[j - 1];
            k[j - 1] = tk;
            v[j - 1] = tv;
        }
}

static int rec_matches(const struct recorded *r, const struct reqinfo *q,
                       const struct qpairs *p)
{
    size_t i;

    if (strcmp(r->method, q->method) || strcmp(r->path, q->url) ||
        r->nq != p->n)
        return 0;
    for (i = 0; i < p->n; i++)
        if (strcmp(r->qk[i], p->k[i]) || strcmp(r->qv[i], p->v[i]))
            return 0;
    return r->req_body_len == 0 ||
           (r->req_body_len == q->body_len &&
            memcmp(r->req_body, q->body, q->body_len) == 0);
}

/* Serves the first matching recording not yet served, else the last. */
static int serve_recorded(struct hr_mockapi *m, const struct reqinfo *q,
                          struct out *o)
{
    struct qpairs p = {0};
    struct recorded *hit = NULL;
    size_t i;

    if (!m->n_rec)
        return 0;
    MHD_get_connection_values(q->c, MHD_GET_ARGUMENT_KIND, collect, &p);
    if (p.over)
        return 0;
    sort_pairs(p.k, p.v, p.n);
    for (i = 0; i < m->n_rec; i++) {
        if (!rec_matches(&m->rec[i], q, &p))
            continue;
        hit = &m->rec[i];
        if (!hit->served)
            break;
    }
    if (!hit)
        return 0;
    hit->served++;
    o->status = hit->status;
    o->ref = hit->body;
    o->ref_len = hit->body_len;
    o->cached = hit->cached;
    o->hdrs = hit->headers;
    o->n_hdrs = hit->n_headers;
    hr_mockapi_copy(o->route, sizeof(o->route), hit->route);
    return 1;
}

/* ---- dispatch ---- */

/* The id when url is prefix + "/" + one segment, else NULL. */
static const char *one_segment(const char *url, const char *prefix)
{
    size_t n = strlen(prefix);

    if (strncmp(url, prefix, n) || url[n] != '/' || !url[n + 1] ||
        strchr(url + n + 1, '/'))
        return NULL;
    return url + n + 1;
}

static int route_children(struct hr_mockapi *m, const struct reqinfo *q,
                          struct out *o)
{
    size_t i;

    for (i = 0; i < m->shape->n_children; i++) {
        const struct hr_api_child *c = &m->shape->children[i];
        char *parent = child_parent(c, q);

        if (!parent)
            continue;
        snprintf(o->route, sizeof(o->route), "%s", c->path);
        list_child(m, q, c, parent, o);
        hr_free(parent);
        return 1;
    }
    return 0;
}

static int route_resources(struct hr_mockapi *m, const struct reqinfo *q,
                           struct out *o)
{
    size_t i;

    for (i = 0; i < m->shape->n_resources; i++) {
        const struct hr_api_resource *r = &m->shape->resources[i];
        const char *id = one_segment(q->url, r->path);

        if (strcmp(q->url, r->path) == 0) {
            snprintf(o->route, sizeof(o->route), "%s", r->path);
            list_resource(m, q, r, o);
            return 1;
        }
        if (id) {
            snprintf(o->route, sizeof(o->route), "%s/{id}", r->path);
            get_object(m, q, r, id, o);
            return 1;
        }
    }
    return 0;
}

static int route_truth(struct hr_mockapi *m, const struct reqinfo *q,
                       struct out *o)
{
    const char *ev_path = m->shape->events_path;
    const char *id = one_segment(q->url, ev_path);

    if (strcmp(q->method, "GET") && strcmp(q->method, "HEAD"))
        return 0;
    if (strcmp(q->url, ev_path) == 0) {
        snprintf(o->route, sizeof(o->route), "%s", ev_path);
        if (m->shape->style == HR_API_STRIPE)
            list_events(m, q, o);
        else
            list_events_cursor(m, q, o);
        return 1;
    }
    if (id) {
        snprintf(o->route, sizeof(o->route), "%s/{id}", ev_path);
        get_event(m, q, id, o);
        return 1;
    }
    return route_children(m, q, o) || route_resources(m, q, o);
}

void hr_mockapi_route(struct hr_mockapi *m, const struct reqinfo *q,
                      struct out *o)
{
    struct var v[] = {{"method", q->method}, {"path", q->url}};

    if (route_truth(m, q, o)) {
        if (m->shape->style == HR_API_STRIPE && o->status == 200)
            hr_mockapi_expand(m, q, o);
        return;
    }
    if (serve_recorded(m, q, o))
        return;
    snprintf(o->route, sizeof(o->route), "unmatched");
    hr_mockapi_error(m, HR_AE_UNKNOWN_ROUTE, v, 2, o);
}

/* ---- recordings: building and freeing ---- */

void hr_mockapi_recorded_free(struct recorded *r)
{
    size_t i;

    for (i = 0; i < r->nq; i++) {
        hr_free(r->qk[i]);
        hr_free(r->qv[i]);
    }
    for (i = 0; i < r->n_headers; i++) {
        hr_free(r->headers[i].name);
        hr_free(r->headers[i].value);
    }
    if (r->cached)
        MHD_destroy_response(r->cached);
    hr_free(r->qk);
    hr_free(r->qv);
    hr_free(r->headers);
    hr_free(r->method);
    hr_free(r->path);
    hr_free(r->req_body);
    hr_free(r->body);
}
