/* SPDX-License-Identifier: MIT */
/* The expected state of every object, from the cassette's events. */
#include "expected.h"
#include "apishape.h"
#include "cassette.h"
#include "jsonx.h"
#include "profile.h"
#include "rebase.h"
#include "scenario.h"

#include <string.h>

static int reindex(struct hr_expected *t)
{
    size_t cap = t->index_cap ? t->index_cap * 2 : 1024, i;
    size_t *idx = hr_malloc(cap * sizeof(size_t));

    if (!idx)
        return -1;
    for (i = 0; i < cap; i++)
        idx[i] = SIZE_MAX;
    for (i = 0; i < t->n; i++) {
        size_t k = hr_hash64(t->v[i].id) & (cap - 1);

        while (idx[k] != SIZE_MAX)
            k = (k + 1) & (cap - 1);
        idx[k] = i;
    }
    hr_free(t->index);
    t->index = idx;
    t->index_cap = cap;
    return 0;
}

const struct hr_expected_obj *hr_expected_find(const struct hr_expected *t,
                                               const char *id)
{
    size_t k;

    if (!t->index_cap)
        return NULL;
    k = hr_hash64(id) & (t->index_cap - 1);
    while (t->index[k] != SIZE_MAX) {
        if (strcmp(t->v[t->index[k]].id, id) == 0)
            return &t->v[t->index[k]];
        k = (k + 1) & (t->index_cap - 1);
    }
    return NULL;
}

static struct hr_expected_obj *get_or_add(struct hr_expected *t, const char *id)
{
    struct hr_expected_obj *o =
        (struct hr_expected_obj *)hr_expected_find(t, id);
    size_t k;

    if (o)
        return o;
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 256;
        struct hr_expected_obj *v = hr_realloc(t->v, cap * sizeof(*v));

        if (!v)
            return NULL;
        t->v = v;
        t->cap = cap;
    }
    o = &t->v[t->n];
    memset(o, 0, sizeof(*o));
    o->id = hr_strdup(id);
    if (!o->id)
        return NULL;
    t->n++;
    if (t->n * 2 > t->index_cap)
        return reindex(t) ? NULL : o;
    k = hr_hash64(id) & (t->index_cap - 1);
    while (t->index[k] != SIZE_MAX)
        k = (k + 1) & (t->index_cap - 1);
    t->index[k] = t->n - 1;
    return o;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);

    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/*
 * Whether a deleting event removes the object at the provider: some stay
 * readable (a canceled Stripe subscription), as the profile's API says.
 */
static int deletes(const struct hr_apishape *api, const char *resource)
{
    const struct hr_api_resource *r =
        api && resource ? hr_apishape_resource(api, resource) : NULL;

    return !r || r->on_deleted != HR_DEL_KEEP;
}

/* Applies one recorded event to its object. */
static int apply(struct hr_expected *t, const struct hr_interaction *it,
                 const struct hr_rebase *rb, const struct hr_apishape *api)
{
    const struct hr_profile *p = rb->profile;
    struct hr_expected_obj *o = get_or_add(t, it->event.object);
    cJSON *body, *state = NULL, *res;
    unsigned char *moved = NULL;
    size_t n;

    /* The state as the webhook carries it, rebased times included. */
    if (!o || hr_rebase_body(rb, it->request.body, it->request.body_len, &moved,
                             &n) < 0)
        return -1;
    body = moved ? cJSON_ParseWithLength((const char *)moved, n)
                 : cJSON_ParseWithLength((const char *)it->request.body,
                                         it->request.body_len);
    hr_free(moved);
    if (body && p->truth_state)
        state = cJSON_Duplicate(hr_json_pointer(body, p->truth_state), 1);
    res = body && p->truth_resource ? hr_json_pointer(body, p->truth_resource)
                                    : NULL;
    if (!o->resource)
        o->resource = hr_strdup(cJSON_IsString(res) ? res->valuestring : "");
    cJSON_Delete(body);
    if (o->state) {
        if (o->n_past == HR_EXPECTED_HISTORY) {
            cJSON_Delete(o->past[0]);
            memmove(o->past, o->past + 1,
                    sizeof(cJSON *) * (size_t)(HR_EXPECTED_HISTORY - 1));
            o->n_past--;
        }
        o->past[o->n_past++] = o->state;
    }
    o->state = state;
    o->deleted = (it->event.type && ends_with(it->event.type, ".deleted") &&
                  deletes(api, o->resource)) ||
                 cJSON_IsTrue(hr_json_pointer(state, "/deleted"));
    hr_free(o->last_event);
    o->last_event = hr_strdup(it->event.id ? it->event.id : "");
    o->last_seq = it->seq;
    return 0;
}

static int note_event(struct hr_expected *t, const char *id, const char *object)
{
    if (t->n_events == t->events_cap) {
        size_t cap = t->events_cap ? t->events_cap * 2 : 256;
        char **v = hr_realloc(t->events, cap * sizeof(char *));
        char **o = hr_realloc(t->event_objects, cap * sizeof(char *));

        if (v)
            t->events = v;
        if (o)
            t->event_objects = o;
        if (!v || !o)
            return -1;
        t->events_cap = cap;
    }
    t->events[t->n_events] = hr_strdup(id);
    t->event_objects[t->n_events] = object ? hr_strdup(object) : NULL;
    return t->events[t->n_events++] ? 0 : -1;
}

long hr_expected_event_index(const struct hr_expected *t, const char *id)
{
    size_t i;

    for (i = 0; i < t->n_events; i++)
        if (strcmp(t->events[i], id) == 0)
            return (long)i;
    return -1;
}

/* The profile of each cassette endpoint, by name. */
static const struct hr_profile *profile_of(struct hr_profile **profiles,
                                           const struct hr_cassette_header *h,
                                           const char *endpoint)
{
    size_t i;

    for (i = 0; i < h->n_endpoints; i++)
        if (strcmp(h->endpoints[i].name, endpoint) == 0)
            return profiles[i];
    return NULL;
}

static int load_profiles(const struct hr_scenario *s,
                         const struct hr_cassette_header *h,
                         struct hr_profile **out, struct hr_err *err)
{
    size_t i;

    for (i = 0; i < h->n_endpoints; i++) {
        const struct hr_target_cfg *tc =
            hr_scenario_target((struct hr_scenario *)s, h->endpoints[i].name);
        const char *name =
            tc && tc->profile ? tc->profile : h->endpoints[i].profile;

        out[i] = hr_profile_load(name, s->profile_dir, err);
        if (!out[i])
            return -1;
    }
    return 0;
}

int hr_expected_build(const struct hr_scenario *s, int64_t rebase_s,
                      struct hr_expected *t, struct hr_err *err)
{
    struct hr_cassette_reader *r;
    const struct hr_cassette_header *h;
    struct hr_profile **profiles = NULL;
    struct hr_apishape **apis = NULL;
    struct hr_interaction it;
    size_t i;
    int rc = -1;

    memset(t, 0, sizeof(*t));
    r = s->cassette_mem ? hr_cassette_open_mem(s->cassette, s->cassette_mem,
                                               s->cassette_mem_len, err)
                        : hr_cassette_open(s->cassette, err);
    if (!r)
        return -1;
    h = hr_cassette_header(r);
    profiles = hr_calloc(h->n_endpoints + 1, sizeof(*profiles));
    apis = hr_calloc(h->n_endpoints + 1, sizeof(*apis));
    hr_interaction_init(&it);
    if (!profiles || !apis || load_profiles(s, h, profiles, err))
        goto out;
    for (i = 0; i < h->n_endpoints; i++) {
        struct hr_err ignore = {0, ""};

        apis[i] = hr_apishape_load(profiles[i]->name, s->profile_dir, &ignore);
    }
    while ((rc = hr_cassette_next(r, &it, err)) == 1) {
        const struct hr_profile *p = profile_of(profiles, h, it.endpoint);
        const struct hr_apishape *api = NULL;
        struct hr_rebase rb = {rebase_s, p, s->rebase_pointers,
                               s->n_rebase_pointers};

        for (i = 0; i < h->n_endpoints; i++)
            if (strcmp(h->endpoints[i].name, it.endpoint) == 0)
                api = apis[i];

        if (it.kind != HR_KIND_WEBHOOK || !it.has_event || !p)
            continue;
        if ((it.event.id && note_event(t, it.event.id, it.event.object)) ||
            (it.event.object && apply(t, &it, &rb, api))) {
            rc = hr_errf(err, HR_EXIT_INTERNAL, "out of memory");
            break;
        }
    }
out:
    hr_interaction_clear(&it);
    for (i = 0; profiles && i < h->n_endpoints; i++)
        hr_profile_free(profiles[i]);
    for (i = 0; apis && i < h->n_endpoints; i++)
        hr_apishape_free(apis[i]);
    hr_free(profiles);
    hr_free(apis);
    hr_cassette_close(r);
    return rc < 0 ? -1 : 0;
}

void hr_expected_free(struct hr_expected *t)
{
    size_t i;
    int k;

    for (i = 0; i < t->n; i++) {
        struct hr_expected_obj *o = &t->v[i];

        hr_free(o->id);
        hr_free(o->resource);
        cJSON_Delete(o->state);
        for (k = 0; k < o->n_past; k++)
            cJSON_Delete(o->past[k]);
        hr_free(o->last_event);
    }
    for (i = 0; i < t->n_events; i++) {
        hr_free(t->events[i]);
        hr_free(t->event_objects[i]);
    }
    hr_free(t->events);
    hr_free(t->event_objects);
    hr_free(t->v);
    hr_free(t->index);
    memset(t, 0, sizeof(*t));
}
