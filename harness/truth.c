/* SPDX-License-Identifier: MIT */
/* The truth: seed objects and events, each visible from its time. */
#include "truth.h"
#include "jsonx.h"

#include <stdlib.h>
#include <string.h>

/* A string-keyed open-addressing map; keys are owned by the values. */
struct map {
    const char **keys;
    void **vals;
    size_t cap, n;
};

struct hr_truth {
    struct hr_truth_event **ev; /* sorted by (visible_us, order) */
    uint64_t *order;            /* parallel to ev */
    size_t n_ev, cap_ev;
    uint64_t next_order, next_pub;
    struct hr_truth_object **obj; /* in order of first appearance */
    size_t n_obj, cap_obj;
    struct map ev_by_id, obj_by_id;
};

static void *map_get(const struct map *m, const char *key)
{
    size_t i;

    if (!m->cap || !key)
        return NULL;
    for (i = hr_hash64(key) & (m->cap - 1); m->keys[i];
         i = (i + 1) & (m->cap - 1))
        if (strcmp(m->keys[i], key) == 0)
            return m->vals[i];
    return NULL;
}

static int map_put(struct map *m, const char *key, void *val);

static int map_grow(struct map *m)
{
    struct map bigger = {0};
    size_t i;

    bigger.cap = m->cap ? m->cap * 2 : 64;
    bigger.keys = hr_calloc(bigger.cap, sizeof(*bigger.keys));
    bigger.vals = hr_calloc(bigger.cap, sizeof(*bigger.vals));
    if (!bigger.keys || !bigger.vals) {
        hr_free(bigger.keys);
        hr_free(bigger.vals);
        return -1;
    }
    for (i = 0; i < m->cap; i++)
        if (m->keys[i])
            map_put(&bigger, m->keys[i], m->vals[i]);
    hr_free(m->keys);
    hr_free(m->vals);
    *m = bigger;
    return 0;
}

/* Inserts or replaces. Returns 0, or -1 out of memory. */
static int map_put(struct map *m, const char *key, void *val)
{
    size_t i;

    if ((m->n + 1) * 2 > m->cap && map_grow(m))
        return -1;
    for (i = hr_hash64(key) & (m->cap - 1); m->keys[i];
         i = (i + 1) & (m->cap - 1))
        if (strcmp(m->keys[i], key) == 0) {
            m->keys[i] = key;
            m->vals[i] = val;
            return 0;
        }
    m->keys[i] = key;
    m->vals[i] = val;
    m->n++;
    return 0;
}

static void map_free(struct map *m)
{
    hr_free(m->keys);
    hr_free(m->vals);
}

struct hr_truth *hr_truth_new(void)
{
    return hr_calloc(1, sizeof(struct hr_truth));
}

static void object_free(struct hr_truth_object *o)
{
    size_t i;

    for (i = 0; i < o->n_versions; i++) {
        cJSON_Delete(o->versions[i].state);
        hr_free(o->versions[i].json);
    }
    hr_free(o->versions);
    hr_free(o->id);
    hr_free(o->kind);
    hr_free(o);
}

static void event_free(struct hr_truth_event *e)
{
    if (!e)
        return;
    hr_free(e->id);
    hr_free(e->type);
    hr_free(e->object_id);
    hr_free(e->object_kind);
    hr_free(e->json);
    hr_free(e);
}

void hr_truth_free(struct hr_truth *t)
{
    size_t i;

    if (!t)
        return;
    for (i = 0; i < t->n_ev; i++)
        event_free(t->ev[i]);
    for (i = 0; i < t->n_obj; i++)
        object_free(t->obj[i]);
    hr_free(t->ev);
    hr_free(t->order);
    hr_free(t->obj);
    map_free(&t->ev_by_id);
    map_free(&t->obj_by_id);
    hr_free(t);
}

static int64_t vis_of(const struct hr_truth_version *v)
{
    return v->ev ? v->ev->visible_us : INT64_MIN;
}

static uint64_t order_of(const struct hr_truth *t,
                         const struct hr_truth_event *e);

/* 1 when version a sorts after b in visibility order. */
static int version_after(const struct hr_truth *t,
                         const struct hr_truth_version *a,
                         const struct hr_truth_version *b)
{
    if (vis_of(a) != vis_of(b))
        return vis_of(a) > vis_of(b);
    if (!a->ev || !b->ev)
        return a->ev != NULL;
    return order_of(t, a->ev) > order_of(t, b->ev);
}

static struct hr_truth_object *object_for(struct hr_truth *t, const char *id,
                                          const char *kind)
{
    struct hr_truth_object *o = map_get(&t->obj_by_id, id);

    if (o)
        return o;
    if (t->n_obj == t->cap_obj) {
        size_t cap = t->cap_obj ? t->cap_obj * 2 : 64;
        void *p = hr_realloc(t->obj, cap * sizeof(*t->obj));

        if (!p)
            return NULL;
        t->obj = p;
        t->cap_obj = cap;
    }
    o = hr_calloc(1, sizeof(*o));
    if (!o)
        return NULL;
    o->id = hr_strdup(id);
    o->kind = kind ? hr_strdup(kind) : NULL;
    if (!o->id || (kind && !o->kind) || map_put(&t->obj_by_id, o->id, o)) {
        object_free(o);
        return NULL;
    }
    t->obj[t->n_obj++] = o;
    return o;
}

/* Adds a version holding state (taken over) in its sorted place. */
static int add_version(struct hr_truth *t, struct hr_truth_object *o,
                       const struct hr_truth_event *ev, cJSON *state,
                       int deleted)
{
    struct hr_truth_version v = {ev, state, NULL, 0, deleted};
    void *p =
        hr_realloc(o->versions, (o->n_versions + 1) * sizeof(*o->versions));
    size_t at;

    if (!p) {
        cJSON_Delete(state);
        return -1;
    }
    o->versions = p;
    v.json = cJSON_PrintUnformatted(state);
    if (!v.json) {
        cJSON_Delete(state);
        return -1;
    }
    v.json_len = strlen(v.json);
    at = o->n_versions;
    while (at > 0 && version_after(t, &o->versions[at - 1], &v))
        at--;
    memmove(&o->versions[at + 1], &o->versions[at],
            (o->n_versions - at) * sizeof(v));
    o->versions[at] = v;
    o->n_versions++;
    return 0;
}

int hr_truth_add_seed(struct hr_truth *t, const cJSON *o, struct hr_err *err)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "id");
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(o, "object");
    struct hr_truth_object *obj;
    cJSON *copy;

    if (!cJSON_IsObject(o) || !cJSON_IsString(id))
        return hr_errf(err, HR_EXIT_INPUT, "a seed object needs an \"id\"");
    obj = object_for(t, id->valuestring,
                     cJSON_IsString(kind) ? kind->valuestring : NULL);
    copy = cJSON_Duplicate(o, 1);
    if (!obj || !copy || add_version(t, obj, NULL, copy, 0)) {
        if (!obj)
            cJSON_Delete(copy);
        return hr_errf(err, HR_EXIT_INTERNAL, "out of memory");
    }
    return 0;
}

int hr_truth_load_seed(struct hr_truth *t, const char *path, struct hr_err *err)
{
    size_t len;
    char *text = hr_read_file(path, &len, err);
    int rc;

    if (!text)
        return -1;
    rc = hr_truth_load_seed_text(t, path, text, len, err);
    hr_free(text);
    return rc;
}

int hr_truth_load_seed_text(struct hr_truth *t, const char *path,
                            const char *text, size_t len, struct hr_err *err)
{
    cJSON *j = hr_json_parse(path, text, len, 1, err), *objs, *it;
    int rc = 0, n = 0;

    if (!j)
        return -1;
    objs = cJSON_GetObjectItemCaseSensitive(j, "objects");
    if (!cJSON_IsArray(objs))
        rc = hr_errf(err, HR_EXIT_INPUT,
                     "%s: /objects: required: a list of objects", path);
    cJSON_ArrayForEach(it, (rc ? NULL : objs))
    {
        if (hr_truth_add_seed(t, it, NULL)) {
            rc = hr_errf(err, HR_EXIT_INPUT,
                         "%s: /objects/%d: needs an \"id\" string", path, n);
            break;
        }
        n++;
    }
    cJSON_Delete(j);
    return rc;
}

static uint64_t order_of(const struct hr_truth *t,
                         const struct hr_truth_event *e)
{
    size_t lo = 0, hi = t->n_ev;

    /* Events are sorted by visibility; find e among its equals. */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;

        if (t->ev[mid]->visible_us < e->visible_us)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (; lo < t->n_ev; lo++)
        if (t->ev[lo] == e)
            return t->order[lo];
    return UINT64_MAX;
}

static int grow_events(struct hr_truth *t)
{
    size_t cap = t->cap_ev ? t->cap_ev * 2 : 256;
    void *e = hr_realloc(t->ev, cap * sizeof(*t->ev));
    void *o;

    if (!e)
        return -1;
    t->ev = e;
    o = hr_realloc(t->order, cap * sizeof(*t->order));
    if (!o)
        return -1;
    t->order = o;
    t->cap_ev = cap;
    return 0;
}

/* Places e after every event visible no later than it. */
static int insert_event(struct hr_truth *t, struct hr_truth_event *e)
{
    size_t at = t->n_ev;

    if (t->n_ev == t->cap_ev && grow_events(t))
        return -1;
    while (at > 0 && t->ev[at - 1]->visible_us > e->visible_us)
        at--;
    memmove(&t->ev[at + 1], &t->ev[at], (t->n_ev - at) * sizeof(*t->ev));
    memmove(&t->order[at + 1], &t->order[at],
            (t->n_ev - at) * sizeof(*t->order));
    t->ev[at] = e;
    t->order[at] = ++t->next_order;
    t->n_ev++;
    return map_put(&t->ev_by_id, e->id, e);
}

static char *wrap_event(const char *id, const char *type, cJSON *body)
{
    cJSON *w = cJSON_CreateObject();
    const cJSON *ts = cJSON_GetObjectItemCaseSensitive(body, "timestamp");
    char *s;

    if (!w)
        return NULL;
    cJSON_AddStringToObject(w, "id", id);
    cJSON_AddStringToObject(w, "type", type);
    if (ts)
        cJSON_AddItemToObject(w, "timestamp", cJSON_Duplicate(ts, 1));
    cJSON_AddItemReferenceToObject(w, "payload", body);
    s = cJSON_PrintUnformatted(w);
    cJSON_Delete(w);
    return s;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);

    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Records the state the event leaves its object in. */
static int event_object(struct hr_truth *t, struct hr_truth_event *e,
                        const cJSON *body, const char *data_pointer)
{
    const cJSON *o = hr_json_pointer(body, data_pointer ? data_pointer : "");
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "id");
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(o, "object");
    struct hr_truth_object *obj;
    cJSON *copy;

    if (!cJSON_IsObject(o))
        return 0;
    if (!e->object_id && cJSON_IsString(id))
        e->object_id = hr_strdup(id->valuestring);
    if (cJSON_IsString(kind))
        e->object_kind = hr_strdup(kind->valuestring);
    if (!e->object_id)
        return 0;
    obj = object_for(t, e->object_id, e->object_kind);
    if (!obj)
        return -1;
    if (!obj->kind && e->object_kind)
        obj->kind = hr_strdup(e->object_kind);
    copy = cJSON_Duplicate(o, 1);
    if (!copy)
        return -1;
    return add_version(t, obj, e, copy, e->deleted);
}

int hr_truth_add_event(struct hr_truth *t, const char *id, const char *type,
                       const char *object_id, int64_t created, const char *body,
                       size_t len, const char *data_pointer, int wrap,
                       int64_t visible_us, struct hr_err *err)
{
    struct hr_truth_event *e = hr_calloc(1, sizeof(*e));
    cJSON *j = NULL;

    if (!e || !id || !type)
        goto oom;
    j = cJSON_ParseWithLength(body, len);
    if (!j) {
        event_free(e);
        return hr_errf(err, HR_EXIT_INPUT, "event %s: body is not JSON", id);
    }
    e->id = hr_strdup(id);
    e->type = hr_strdup(type);
    e->object_id = object_id ? hr_strdup(object_id) : NULL;
    e->created = created;
    e->visible_us = visible_us;
    e->pub_seq = ++t->next_pub;
    e->deleted = ends_with(type, ".deleted");
    e->json = wrap ? wrap_event(id, type, j) : cJSON_PrintUnformatted(j);
    if (!e->id || !e->type || !e->json)
        goto oom;
    e->json_len = strlen(e->json);
    if (insert_event(t, e)) {
        cJSON_Delete(j);
        return hr_errf(err, HR_EXIT_INTERNAL, "out of memory");
    }
    if (event_object(t, e, j, data_pointer)) {
        cJSON_Delete(j);
        return hr_errf(err, HR_EXIT_INTERNAL, "out of memory");
    }
    cJSON_Delete(j);
    return 0;
oom:
    cJSON_Delete(j);
    event_free(e);
    return hr_errf(err, HR_EXIT_INTERNAL, "out of memory");
}

static size_t n_visible(const struct hr_truth *t, int64_t now_us)
{
    size_t lo = 0, hi = t->n_ev;

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;

        if (t->ev[mid]->visible_us <= now_us)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

const struct hr_truth_event *const *hr_truth_events(const struct hr_truth *t,
                                                    int64_t now_us, size_t *n)
{
    *n = n_visible(t, now_us);
    return (const struct hr_truth_event *const *)t->ev;
}

size_t hr_truth_n_events(const struct hr_truth *t)
{
    return t->n_ev;
}

const struct hr_truth_event *hr_truth_event(const struct hr_truth *t,
                                            const char *id, int64_t now_us)
{
    const struct hr_truth_event *e = map_get(&t->ev_by_id, id);

    return e && e->visible_us <= now_us ? e : NULL;
}

void hr_truth_cursor(const struct hr_truth_event *ev, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s", ev->id);
}

long hr_truth_after_cursor(const struct hr_truth *t, const char *cursor,
                           int64_t now_us)
{
    const struct hr_truth_event *e = hr_truth_event(t, cursor, now_us);
    size_t n = n_visible(t, now_us), i;

    if (!e)
        return -1;
    for (i = n; i > 0; i--)
        if (t->ev[i - 1] == e)
            return (long)i;
    return -1;
}

const struct hr_truth_version *hr_truth_get(const struct hr_truth *t,
                                            const char *id, int64_t now_us,
                                            const struct hr_truth_object **out)
{
    const struct hr_truth_object *o = map_get(&t->obj_by_id, id);
    size_t i;

    if (out)
        *out = o;
    if (!o)
        return NULL;
    for (i = o->n_versions; i > 0; i--)
        if (vis_of(&o->versions[i - 1]) <= now_us)
            return &o->versions[i - 1];
    return NULL;
}

struct ranked {
    const struct hr_truth_version *v;
    double created;
    size_t idx;
};

static int by_newest(const void *a, const void *b)
{
    const struct ranked *x = a, *y = b;

    if (x->created != y->created)
        return x->created < y->created ? 1 : -1;
    return x->idx < y->idx ? 1 : -1;
}

long hr_truth_list(const struct hr_truth *t, const char *kind, int64_t now_us,
                   const struct hr_truth_version ***out)
{
    struct ranked *r = hr_malloc((t->n_obj + 1) * sizeof(*r));
    const struct hr_truth_version **v;
    size_t i, n = 0;

    if (!r)
        return -1;
    for (i = 0; i < t->n_obj; i++) {
        const struct hr_truth_object *o = t->obj[i];
        const struct hr_truth_version *cur;
        const cJSON *c;

        if (!o->kind || strcmp(o->kind, kind))
            continue;
        cur = hr_truth_get(t, o->id, now_us, NULL);
        if (!cur)
            continue;
        c = cJSON_GetObjectItemCaseSensitive(cur->state, "created");
        r[n].v = cur;
        r[n].created = cJSON_IsNumber(c) ? c->valuedouble : 0;
        r[n].idx = i;
        n++;
    }
    qsort(r, n, sizeof(*r), by_newest);
    v = hr_malloc((n + 1) * sizeof(*v));
    if (!v) {
        hr_free(r);
        return -1;
    }
    for (i = 0; i < n; i++)
        v[i] = r[i].v;
    hr_free(r);
    *out = v;
    return (long)n;
}

size_t hr_truth_release(struct hr_truth *t, int64_t now_us, size_t n)
{
    size_t at = n_visible(t, now_us), moved = 0;

    /* The next events keep their relative order and stay before every
     * later one, so both orders (events, versions) remain sorted. */
    while (moved < n && at < t->n_ev) {
        t->ev[at]->visible_us = now_us;
        t->order[at] = ++t->next_order;
        at++;
        moved++;
    }
    return moved;
}
