/* SPDX-License-Identifier: MIT */
/* Comparing the target's probed state with the truth. */
#include "reconcile.h"
#include "jsonx.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void hr_recon_free(struct hr_recon_cfg *c)
{
    size_t i, k;

    for (i = 0; i < c->n_collections; i++) {
        struct hr_collection *col = &c->collections[i];

        hr_free(col->items);
        hr_free(col->id);
        hr_free(col->resource);
        for (k = 0; k < col->n_fields; k++) {
            hr_free(col->fields[k].target);
            hr_free(col->fields[k].truth);
        }
        hr_free(col->fields);
        hr_free(col->deleted_field);
        hr_free(col->deleted_value);
    }
    hr_free(c->collections);
    memset(c, 0, sizeof(*c));
}

static int bad(struct hr_err *err, const char *origin, const char *where,
               const char *what)
{
    return hr_errf(err, HR_EXIT_INPUT, "%s: %s: %s", origin, where, what);
}

static char *ptr_dup(const cJSON *v)
{
    return cJSON_IsString(v) && hr_json_pointer_valid(v->valuestring)
               ? hr_strdup(v->valuestring)
               : NULL;
}

static int parse_fields(const cJSON *f, struct hr_collection *c)
{
    const cJSON *it;

    if (!f)
        return 0;
    if (!cJSON_IsObject(f))
        return -1;
    c->fields =
        hr_calloc((size_t)cJSON_GetArraySize(f) + 1, sizeof(*c->fields));
    if (!c->fields)
        return -1;
    cJSON_ArrayForEach(it, f)
    {
        struct hr_field_map *m = &c->fields[c->n_fields];

        if (!hr_json_pointer_valid(it->string) || !(m->truth = ptr_dup(it)) ||
            !(m->target = hr_strdup(it->string)))
            return -1;
        c->n_fields++;
    }
    return 0;
}

/* "gone", "flag" (the field mapped to /deleted), or {"field", "value"}. */
static int parse_deleted(const cJSON *d, struct hr_collection *c)
{
    size_t i;

    if (!d || (cJSON_IsString(d) && strcmp(d->valuestring, "gone") == 0))
        return 0;
    c->deleted = HR_DELMODE_FLAG;
    if (cJSON_IsString(d) && strcmp(d->valuestring, "flag") == 0) {
        for (i = 0; i < c->n_fields; i++)
            if (strcmp(c->fields[i].truth, "/deleted") == 0)
                c->deleted_field = hr_strdup(c->fields[i].target);
        return c->deleted_field ? 0 : -1;
    }
    if (cJSON_IsObject(d)) {
        const cJSON *f = cJSON_GetObjectItemCaseSensitive(d, "field");
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(d, "value");

        c->deleted_field = ptr_dup(f);
        if (cJSON_IsString(v))
            c->deleted_value = hr_strdup(v->valuestring);
        return c->deleted_field && (!v || cJSON_IsString(v)) ? 0 : -1;
    }
    return -1;
}

static int parse_collection(const cJSON *o, const char *origin,
                            const char *where, struct hr_collection *c,
                            struct hr_err *err)
{
    static const char *const keys[] = {"items",   "id",    "truth", "fields",
                                       "deleted", "extra", NULL};
    const cJSON *truth = cJSON_GetObjectItemCaseSensitive(o, "truth");
    const cJSON *extra = cJSON_GetObjectItemCaseSensitive(o, "extra");

    if (!cJSON_IsObject(o) || hr_json_only_keys(o, keys, origin, where, err))
        return err->msg[0] ? -1 : bad(err, origin, where, "must be an object");
    c->items = ptr_dup(cJSON_GetObjectItemCaseSensitive(o, "items"));
    if (!c->items)
        return bad(err, origin, where,
                   "items must be a JSON pointer to an "
                   "array or an object keyed by id");
    if (cJSON_GetObjectItemCaseSensitive(o, "id") &&
        !(c->id = ptr_dup(cJSON_GetObjectItemCaseSensitive(o, "id"))))
        return bad(err, origin, where, "id must be a JSON pointer");
    c->resource = hr_strdup(cJSON_IsString(truth) ? truth->valuestring : "*");
    if (parse_fields(cJSON_GetObjectItemCaseSensitive(o, "fields"), c))
        return bad(err, origin, where,
                   "fields maps target pointers to truth pointers, e.g. "
                   "{\"/mail\": \"/email\"}");
    if (parse_deleted(cJSON_GetObjectItemCaseSensitive(o, "deleted"), c))
        return bad(err, origin, where,
                   "deleted is \"gone\", \"flag\" (with a field mapped to "
                   "/deleted) or {\"field\": POINTER, \"value\": TEXT}");
    if (extra && !cJSON_IsBool(extra))
        return bad(err, origin, where, "extra must be true or false");
    c->extra = cJSON_IsTrue(extra);
    return 0;
}

static int get_ms(const cJSON *o, const char *key, int64_t lo, int64_t *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

    if (!v)
        return 0;
    return hr_json_int64(v, out) || *out < lo ? -1 : 0;
}

int hr_recon_parse(const cJSON *collections, const cJSON *reconcile,
                   const char *origin, struct hr_recon_cfg *out,
                   struct hr_err *err)
{
    static const char *const keys[] = {"deadline_ms", "interval_ms",
                                       "stable_probes", NULL};
    const cJSON *it;
    int64_t stable = 3;
    size_t i = 0;

    memset(out, 0, sizeof(*out));
    out->deadline_ms = 30000;
    out->interval_ms = 250;
    out->stable_probes = 3;
    if (reconcile &&
        (!cJSON_IsObject(reconcile) ||
         hr_json_only_keys(reconcile, keys, origin, "/reconcile", err) ||
         get_ms(reconcile, "deadline_ms", 0, &out->deadline_ms) ||
         get_ms(reconcile, "interval_ms", 10, &out->interval_ms) ||
         get_ms(reconcile, "stable_probes", 1, &stable)))
        return err->msg[0] ? -1
                           : bad(err, origin, "/reconcile",
                                 "deadline_ms (>= 0), interval_ms (>= 10) "
                                 "and stable_probes (>= 1) are integers");
    out->stable_probes = (int)stable;
    if (!collections)
        return 0;
    if (!cJSON_IsArray(collections))
        return bad(err, origin, "/probe/collections", "must be a list");
    out->collections = hr_calloc((size_t)cJSON_GetArraySize(collections) + 1,
                                 sizeof(*out->collections));
    if (!out->collections)
        return hr_errf(err, HR_EXIT_INTERNAL, "out of memory");
    cJSON_ArrayForEach(it, collections)
    {
        char where[64];

        snprintf(where, sizeof(where), "/probe/collections/%zu", i);
        out->n_collections++;
        if (parse_collection(it, origin, where, &out->collections[i++], err))
            return -1;
    }
    return 0;
}

void hr_compare_clear(struct hr_compare *c)
{
    size_t i;

    for (i = 0; i < c->n_wrong; i++) {
        hr_free(c->wrong[i].id);
        hr_free(c->wrong[i].detail);
    }
    memset(c, 0, sizeof(*c));
}

int hr_compare_ok(const struct hr_compare *c)
{
    return c->missing + c->stale + c->diverged + c->not_deleted + c->extra == 0;
}

static void add_wrong(struct hr_compare *c, const char *id, const char *kind,
                      const char *detail)
{
    struct hr_wrong *w;

    if (c->n_wrong >= HR_MAX_WRONG)
        return;
    w = &c->wrong[c->n_wrong++];
    w->id = hr_strdup(id);
    w->kind = kind;
    w->detail = detail ? hr_strdup(detail) : NULL;
}

/* Scalars compare by value: "12" and 12 agree, null and absent agree. */
static int same_value(const cJSON *a, const cJSON *b)
{
    int64_t x, y;

    if ((!a || cJSON_IsNull(a)) && (!b || cJSON_IsNull(b)))
        return 1;
    if (!a || !b)
        return 0;
    if (cJSON_IsString(a) && cJSON_IsNumber(b))
        return hr_json_int64(b, &y) == 0 &&
               strtoll(a->valuestring, NULL, 10) == y &&
               a->valuestring[0] != '\0';
    if (cJSON_IsNumber(a) && cJSON_IsString(b))
        return same_value(b, a);
    if (cJSON_IsBool(a) && cJSON_IsNumber(b))
        return hr_json_int64(b, &y) == 0 && (cJSON_IsTrue(a) ? 1 : 0) == y;
    if (cJSON_IsNumber(a) && cJSON_IsBool(b))
        return same_value(b, a);
    if (cJSON_IsNumber(a) && cJSON_IsNumber(b) && hr_json_int64(a, &x) == 0 &&
        hr_json_int64(b, &y) == 0)
        return x == y;
    return cJSON_Compare(a, b, 1);
}

/* The first mapped field on which item and state disagree, or -1. */
static int first_mismatch(const struct hr_collection *c, const cJSON *item,
                          const cJSON *state)
{
    size_t i;

    for (i = 0; i < c->n_fields; i++)
        if (strcmp(c->fields[i].truth, "/deleted") && /* judged apart */
            !same_value(hr_json_pointer(item, c->fields[i].target),
                        hr_json_pointer(state, c->fields[i].truth)))
            return (int)i;
    return -1;
}

static int flagged_deleted(const struct hr_collection *c, const cJSON *item)
{
    const cJSON *v = hr_json_pointer(item, c->deleted_field);

    if (c->deleted_value)
        return cJSON_IsString(v) &&
               strcmp(v->valuestring, c->deleted_value) == 0;
    return cJSON_IsTrue(v) || (cJSON_IsNumber(v) && v->valuedouble != 0);
}

/*
 * The target's items of collection c: the array or object at its
 * pointer, or NULL (with a reason in err) when there is none. A JSON
 * null there holds no items: it is what SQL prints for an aggregate over
 * an empty table (json_agg), so it reads as an empty array.
 */
static const cJSON *collection_items(const struct hr_collection *c,
                                     const cJSON *state, struct hr_err *err)
{
    static const cJSON empty = {.type = cJSON_Array};
    const cJSON *items = hr_json_pointer(state, c->items);

    if (cJSON_IsNull(items))
        return &empty;
    if (!cJSON_IsArray(items) && !cJSON_IsObject(items)) {
        hr_errf(err, HR_EXIT_TARGET,
                "probe: %s is not an array or object in the target's state",
                c->items);
        return NULL;
    }
    return items;
}

/* The item with this id among the target's items. */
static const cJSON *find_item(const struct hr_collection *c, const cJSON *items,
                              const char *id)
{
    const cJSON *it;
    char num[32];

    if (cJSON_IsObject(items) && !c->id)
        return cJSON_GetObjectItemCaseSensitive(items, id);
    cJSON_ArrayForEach(it, items)
    {
        const cJSON *v = hr_json_pointer(it, c->id ? c->id : "/id");
        int64_t n;

        if (cJSON_IsString(v) && strcmp(v->valuestring, id) == 0)
            return it;
        if (hr_json_int64(v, &n) == 0) {
            snprintf(num, sizeof(num), "%lld", (long long)n);
            if (strcmp(num, id) == 0)
                return it;
        }
    }
    return NULL;
}

static void describe(char *out, size_t cap, const struct hr_field_map *m,
                     const cJSON *item, const cJSON *state)
{
    char *a = cJSON_PrintUnformatted(hr_json_pointer(item, m->target));
    char *b = cJSON_PrintUnformatted(hr_json_pointer(state, m->truth));

    snprintf(out, cap, "%s: target %.60s, truth %.60s", m->target,
             a ? a : "(absent)", b ? b : "(absent)");
    cJSON_free(a);
    cJSON_free(b);
}

static void judge_object(const struct hr_collection *c, const cJSON *items,
                         const struct hr_expected_obj *o,
                         struct hr_compare *out)
{
    const cJSON *item = find_item(c, items, o->id);
    char detail[256];
    int k, i;

    out->objects++;
    if (o->deleted) {
        if (!item ||
            (c->deleted == HR_DELMODE_FLAG && flagged_deleted(c, item)))
            out->consistent++;
        else {
            out->not_deleted++;
            add_wrong(out, o->id, "not_deleted",
                      "deleted at the provider, still live at the target");
        }
        return;
    }
    if (!item || (c->deleted == HR_DELMODE_FLAG && flagged_deleted(c, item))) {
        out->missing++;
        add_wrong(out, o->id, "missing", item ? "marked deleted" : NULL);
        return;
    }
    k = first_mismatch(c, item, o->state);
    if (k < 0) {
        out->consistent++;
        return;
    }
    describe(detail, sizeof(detail), &c->fields[k], item, o->state);
    for (i = o->n_past - 1; i >= 0; i--) {
        if (first_mismatch(c, item, o->past[i]) < 0) {
            out->stale++;
            add_wrong(out, o->id, "stale", detail);
            return;
        }
    }
    out->diverged++;
    add_wrong(out, o->id, "diverged", detail);
}

static int claimed_by_earlier(const struct hr_recon_cfg *cfg, size_t ci,
                              const struct hr_expected_obj *o)
{
    size_t i;

    for (i = 0; i < ci; i++)
        if (strcmp(cfg->collections[i].resource, "*") == 0 ||
            strcmp(cfg->collections[i].resource, o->resource) == 0)
            return 1;
    return 0;
}

static void count_extra(const struct hr_collection *c, const cJSON *items,
                        const struct hr_expected *t, struct hr_compare *out)
{
    const cJSON *it;
    char num[32];

    cJSON_ArrayForEach(it, items)
    {
        const cJSON *v = c->id ? hr_json_pointer(it, c->id) : NULL;
        const char *id = cJSON_IsObject(items) && !c->id ? it->string
                         : cJSON_IsString(v)             ? v->valuestring
                                                         : NULL;
        int64_t n;

        if (!id && hr_json_int64(v, &n) == 0) {
            snprintf(num, sizeof(num), "%lld", (long long)n);
            id = num;
        }
        if (id && !hr_expected_find(t, id)) {
            out->extra++;
            add_wrong(out, id, "extra", "the provider has no such object");
        }
    }
}

int hr_compare_state(const struct hr_expected *t, const cJSON *state,
                     const struct hr_recon_cfg *cfg, struct hr_compare *out,
                     struct hr_err *err)
{
    size_t ci, i;

    memset(out, 0, sizeof(*out));
    for (ci = 0; ci < cfg->n_collections; ci++) {
        const struct hr_collection *c = &cfg->collections[ci];
        const cJSON *items = collection_items(c, state, err);

        if (!items)
            return -1;
        for (i = 0; i < t->n; i++) {
            const struct hr_expected_obj *o = &t->v[i];

            if ((strcmp(c->resource, "*") &&
                 strcmp(c->resource, o->resource)) ||
                claimed_by_earlier(cfg, ci, o))
                continue;
            judge_object(c, items, o, out);
        }
        if (c->extra)
            count_extra(c, items, t, out);
    }
    return 0;
}

/* The collection whose items hold objects of this resource, or NULL. */
static const struct hr_collection *claiming(const struct hr_recon_cfg *cfg,
                                            const char *resource)
{
    size_t i;

    for (i = 0; i < cfg->n_collections; i++) {
        const char *r = cfg->collections[i].resource;

        if (strcmp(r, "*") == 0 || (resource && strcmp(r, resource) == 0))
            return &cfg->collections[i];
    }
    return NULL;
}

int hr_recon_find_item(const struct hr_expected *t, const cJSON *state,
                       const struct hr_recon_cfg *cfg, const char *id,
                       const cJSON **item, struct hr_err *err)
{
    const struct hr_expected_obj *o = t ? hr_expected_find(t, id) : NULL;
    const struct hr_collection *c = claiming(cfg, o ? o->resource : NULL);
    const cJSON *items;

    *item = NULL;
    if (!c)
        return 0;
    items = collection_items(c, state, err);
    if (!items)
        return -1;
    *item = find_item(c, items, id);
    return *item ? 1 : 0;
}
