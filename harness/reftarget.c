/* SPDX-License-Identifier: MIT */
/* The reference webhook consumers: HTTP serving, verification, state. */
#include "reftarget.h"

#include "cassette.h"
#include "evtypes.h"
#include "reftarget_int.h"
#include "refapi.h"
#include "refdb.h"
#include "sign.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

/* One delivery in progress: its body as it arrives. */
struct request {
    struct hr_buf body;
    int too_big;
    int no_memory;
    int answered;
};

/* The outcome of handling one delivery. */
struct answer {
    unsigned int status;
    const char *text;  /* static text, or reason below */
    char reason[1100]; /* room for an hr_err message and a prefix */
    int json;          /* text is JSON rather than plain text */
};

enum route {
    ROUTE_NONE,
    ROUTE_BAD_METHOD,
    ROUTE_HOOK,
    ROUTE_STATE,
    ROUTE_HEALTH,
    ROUTE_BACKFILL,
    ROUTE_OLD_HTTP /* naive: HTTP/1.0, refused by its front server */
};

/* ---- map ---------------------------------------------------------- */

static size_t hash_str(const char *s)
{
    size_t h = 1469598103934665603u;

    while (*s) {
        h ^= (unsigned char)*s++;
        h *= 1099511628211u;
    }
    return h;
}

static size_t *map_slot(const struct map *m, const char *key)
{
    size_t i = hash_str(key) & (m->n_slots - 1);

    while (m->slots[i] && strcmp(m->items[m->slots[i] - 1].key, key) != 0)
        i = (i + 1) & (m->n_slots - 1);
    return &m->slots[i];
}

static struct entry *map_get(const struct map *m, const char *key)
{
    size_t *slot;

    if (!m->n_slots)
        return NULL;
    slot = map_slot(m, key);
    return *slot ? &m->items[*slot - 1] : NULL;
}

static int map_rehash(struct map *m)
{
    size_t n_slots = m->n_slots ? m->n_slots * 2 : 64;
    size_t *slots = hr_calloc(n_slots, sizeof(*slots));
    size_t i;

    if (!slots)
        return -1;
    hr_free(m->slots);
    m->slots = slots;
    m->n_slots = n_slots;
    for (i = 0; i < m->n; i++)
        *map_slot(m, m->items[i].key) = i + 1;
    return 0;
}

static int map_grow(struct map *m)
{
    size_t cap = m->cap ? m->cap * 2 : 32;
    struct entry *items;

    if (m->n < m->cap)
        return 0;
    items = hr_realloc(m->items, cap * sizeof(*items));
    if (!items)
        return -1;
    m->items = items;
    m->cap = cap;
    return 0;
}

/* Finds key, or adds it zeroed. NULL when memory runs out. */
static struct entry *map_put(struct map *m, const char *key)
{
    struct entry *e = map_get(m, key);
    char *copy;

    if (e)
        return e;
    if ((m->n + 1) * 2 > m->n_slots && map_rehash(m))
        return NULL;
    if (map_grow(m))
        return NULL;
    copy = hr_strdup(key);
    if (!copy)
        return NULL;
    e = &m->items[m->n++];
    memset(e, 0, sizeof(*e));
    e->key = copy;
    *map_slot(m, key) = m->n;
    return e;
}

static void facts_clear(struct facts *f)
{
    hr_free(f->status);
    hr_free(f->kind);
    hr_free(f->email);
    cJSON_Delete(f->data);
    memset(f, 0, sizeof(*f));
}

static void snapshot_clear(struct snapshot *s)
{
    hr_free(s->type);
    hr_free(s->event);
    facts_clear(&s->facts);
    memset(s, 0, sizeof(*s));
}

static void map_free(struct map *m)
{
    size_t i;

    for (i = 0; i < m->n; i++) {
        hr_free(m->items[i].key);
        snapshot_clear(&m->items[i].snap);
    }
    hr_free(m->items);
    hr_free(m->slots);
    memset(m, 0, sizeof(*m));
}

/* ---- applying events ---------------------------------------------- */

static int ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), k = strlen(tail);

    return n >= k && strcmp(s + n - k, tail) == 0;
}

static char *string_of(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

    return cJSON_IsString(v) ? hr_strdup(v->valuestring) : NULL;
}

/* Reads the facts of one object (its JSON). 0, or -1 on OOM. */
static int object_facts(const cJSON *obj, struct facts *f)
{
    memset(f, 0, sizeof(*f));
    if (!cJSON_IsObject(obj))
        return 0;
    f->status = string_of(obj, "status");
    f->kind = string_of(obj, "object");
    f->email = string_of(obj, "email");
    f->deleted = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(obj, "deleted"));
    f->data = cJSON_Duplicate(obj, 1);
    if (!f->data) {
        facts_clear(f);
        return -1;
    }
    return 0;
}

/* The facts of an event body (root may be NULL): its /data/object, and
 * /status when the object has none. 0, or -1 on OOM. */
static int body_facts(const cJSON *root, struct facts *f)
{
    const cJSON *obj = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(root, "data"), "object");

    if (object_facts(obj, f))
        return -1;
    if (!f->status && root)
        f->status = string_of(root, "status");
    return 0;
}

/* Moves the facts into s (f is left empty). */
static void take_facts(struct snapshot *s, struct facts *f)
{
    facts_clear(&s->facts);
    s->facts = *f;
    memset(f, 0, sizeof(*f));
}

/* Careful modes keep an object's newest state: an event created before
 * the newest one applied to the object changes nothing. Naive and
 * backfill take every event as it comes. */
static int is_stale(const struct hr_reftarget *t, const struct snapshot *s,
                    const struct hr_event *ev)
{
    if (t->mode == HR_REFTARGET_NAIVE || t->mode == HR_REFTARGET_BACKFILL)
        return 0;
    return s->has_ver && ev->has_created && ev->created < s->ver_created;
}

/* Sets an object's snapshot from an event; takes f. Caller holds mu. */
static int snapshot_set(struct snapshot *s, const struct hr_event *ev,
                        struct facts *f)
{
    const char *type = ev->type ? ev->type : "";
    char *type_copy = hr_strdup(type);
    char *event_copy = ev->id ? hr_strdup(ev->id) : NULL;

    if (!type_copy || (ev->id && !event_copy)) {
        hr_free(type_copy);
        return -1;
    }
    hr_free(s->type);
    hr_free(s->event);
    s->type = type_copy;
    s->event = event_copy;
    s->created = ev->created;
    s->has_created = ev->has_created;
    if (ev->has_created && (!s->has_ver || ev->created > s->ver_created)) {
        s->ver_created = ev->created;
        s->has_ver = 1;
    }
    take_facts(s, f);
    s->fetched = 0;
    s->facts.deleted = s->facts.deleted || ends_with(type, ".deleted") ||
                       ends_with(type, "_deleted");
    return 0;
}

/* Records one application of ev (a delivery's or a polled one). Caller
 * holds mu. 0, or -1 on OOM. */
static int apply_locked(struct hr_reftarget *t, const struct hr_event *ev,
                        struct facts *f)
{
    struct entry *e;

    if (ev->id && t->mode != HR_REFTARGET_BACKFILL) {
        e = map_put(&t->applied, ev->id);
        if (!e)
            return -1;
        e->count++;
    }
    if (!ev->object || t->mode == HR_REFTARGET_BACKFILL)
        return 0;
    e = map_put(&t->objects, ev->object);
    if (!e)
        return -1;
    if (is_stale(t, &e->snap, ev)) {
        t->stale_skipped++;
        return 0;
    }
    if (t->mode == HR_REFTARGET_FETCHER && e->snap.fetched)
        return 0; /* the fetch that came before this wins */
    return snapshot_set(&e->snap, ev, f);
}

int hr_rt_apply_fetched(struct hr_reftarget *t, const char *id,
                        const cJSON *obj, int gone)
{
    struct facts f;
    struct entry *e;
    int rc = -1;

    if (object_facts(obj, &f))
        return -1;
    pthread_mutex_lock(&t->mu);
    e = map_put(&t->objects, id);
    if (e) {
        if (gone) {
            e->snap.facts.deleted = 1;
        } else {
            take_facts(&e->snap, &f);
        }
        e->snap.fetched = 1;
        t->fetched++;
        rc = 0;
    }
    pthread_mutex_unlock(&t->mu);
    facts_clear(&f);
    return rc;
}

void hr_rt_count_api(struct hr_reftarget *t, int failed)
{
    pthread_mutex_lock(&t->mu);
    t->api_calls++;
    t->api_errors += failed != 0;
    pthread_mutex_unlock(&t->mu);
}

/* ---- handling a delivery ------------------------------------------ */

static void answer_set(struct answer *a, unsigned int status, const char *text)
{
    a->status = status;
    a->text = text;
}

static void answer_reason(struct answer *a, unsigned int status,
                          const char *what, const char *why)
{
    snprintf(a->reason, sizeof(a->reason), "%s: %s\n", what, why);
    a->status = status;
    a->text = a->reason;
}

static void count_rejected(struct hr_reftarget *t)
{
    pthread_mutex_lock(&t->mu);
    t->rejected++;
    pthread_mutex_unlock(&t->mu);
}

/* The answer of a delivery that is not applied, counted as rejected. */
static void reject(struct hr_reftarget *t, struct answer *a,
                   unsigned int status, const char *text)
{
    count_rejected(t);
    answer_set(a, status, text);
}

/* The body a reserializing consumer verifies: parsed and printed again
 * compactly, as JSON.stringify(req.body) or json.dumps would. */
static char *reserialized(const struct hr_message *msg)
{
    cJSON *root = cJSON_ParseWithLength((const char *)msg->body, msg->body_len);
    char *text = root ? cJSON_PrintUnformatted(root) : NULL;

    cJSON_Delete(root);
    return text;
}

/* Does the signature hold over the raw body (or, in reserializing mode,
 * over the body printed again)? 1 yes, 0 no (a filled), -1 error. */
static int signature_holds(struct hr_reftarget *t, const struct hr_message *msg,
                           struct answer *a)
{
    struct hr_message view = *msg;
    struct hr_verdict v;
    struct hr_err err = {0};
    char *text = NULL;
    int rc;

    if (t->mode == HR_REFTARGET_RESERIALIZING) {
        text = reserialized(msg);
        if (!text) {
            answer_set(a, 400, "invalid JSON\n");
            return 0;
        }
        view.body = (unsigned char *)text;
        view.body_len = strlen(text);
    }
    memset(&v, 0, sizeof(v));
    rc =
        hr_verify_keyed(t->profile->scheme, t->profile->key_mode,
                        (const char *const *)t->secrets, t->n_secrets, &view,
                        hr_wall_ms() / 1000, t->profile->tolerance_s, &v, &err);
    cJSON_free(text);
    if (rc) {
        answer_reason(a, 500, "verification failed", err.msg);
        return -1;
    }
    if (!v.valid)
        answer_reason(a, 400, "invalid signature",
                      v.reason[0] ? v.reason : "no match");
    return v.valid;
}

/* Careful modes: a delivery whose signature fails is refused (400), or,
 * in ack-all mode, acknowledged (200) and discarded. 1 when it holds. */
static int verified(struct hr_reftarget *t, const struct hr_message *msg,
                    struct answer *a)
{
    int ok;

    if (t->profile->scheme == HR_SCHEME_NONE)
        return 1;
    ok = signature_holds(t, msg, a);
    if (ok == 0 && t->mode == HR_REFTARGET_ACK_ALL) {
        pthread_mutex_lock(&t->mu);
        t->discarded++;
        pthread_mutex_unlock(&t->mu);
        answer_set(a, 200, "acknowledged, not applied\n");
        return 0;
    }
    if (ok != 1)
        count_rejected(t);
    return ok == 1;
}

/* Careful modes: a body sent compressed is refused as such (415) rather
 * than failing verification over bytes that were never signed. */
static int plain_body(const struct hr_message *msg, struct answer *a)
{
    const char *enc = hr_message_header(msg, "Content-Encoding");

    if (!enc || !enc[0] || hr_strcaseeq(enc, "identity"))
        return 1;
    answer_set(a, 415, "unsupported content encoding\n");
    return 0;
}

/* Backfill mode: the event's object goes straight into the database,
 * whatever its id (0), or -1 when it cannot be written. */
static int store_event(struct hr_reftarget *t, const struct hr_event *ev,
                       const cJSON *root)
{
    const cJSON *obj = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(root, "data"), "object");
    const char *type = ev->type ? ev->type : "";
    struct hr_err err = {0};

    if (!cJSON_IsObject(obj))
        return 0;
    if (hr_refdb_put(t->db, obj, ends_with(type, ".deleted"), &err)) {
        hr_log(1, "target: %s", err.msg);
        return -1;
    }
    return 0;
}

/* Fetcher mode: the object's state comes from the API, fetched before
 * the event is marked applied; a failed fetch fails the delivery (the
 * provider retries). 0, or -1 with a filled. */
static int fetch_first(struct hr_reftarget *t, const struct hr_event *ev,
                       const struct facts *f, struct answer *a)
{
    struct hr_err err = {0};
    struct hr_refapi *api;
    int rc;

    if (!ev->object || !f->kind)
        return 0;
    api = hr_refapi_new(t->api_url, t->api_key);
    if (!api) {
        answer_set(a, 500, "out of memory\n");
        return -1;
    }
    hr_refapi_set_stop(api, &t->stopping);
    rc = hr_refsync_fetch(t, api, ev->object, f->kind, &err);
    hr_refapi_free(api);
    if (rc)
        answer_reason(a, 500, "fetching the object failed", err.msg);
    return rc;
}

/*
 * The change an event brings is already the object's snapshot: the same
 * type, created and object data as the event last applied to it. A
 * provider's copy of a change under a new event id is such an event.
 */
static int same_change(const struct hr_reftarget *t, const struct hr_event *ev,
                       const struct facts *f)
{
    const struct entry *e =
        ev->object ? map_get(&t->objects, ev->object) : NULL;
    const struct snapshot *s = e ? &e->snap : NULL;

    if (!s || !s->event || !s->has_created || !ev->has_created || !f->data ||
        !s->facts.data)
        return 0;
    return s->created == ev->created &&
           strcmp(s->type, ev->type ? ev->type : "") == 0 &&
           cJSON_Compare(s->facts.data, f->data, 1);
}

/* A new id whose change was already applied is remembered as seen, so
 * that an event the provider sends twice with one change counts as
 * applied once. Caller holds mu. 0, or -1 on OOM. */
static int remember_id(struct hr_reftarget *t, const struct hr_event *ev)
{
    struct entry *e;

    if (!ev->id || map_get(&t->applied, ev->id))
        return 0;
    e = map_put(&t->applied, ev->id);
    if (!e)
        return -1;
    e->count = 1;
    return 0;
}

/* Careful modes key an effect by the event id and by the change. */
static int is_duplicate(struct hr_reftarget *t, const struct hr_event *ev,
                        const struct facts *f)
{
    return t->mode != HR_REFTARGET_NAIVE && t->mode != HR_REFTARGET_BACKFILL &&
           (map_get(&t->applied, ev->id) != NULL || same_change(t, ev, f));
}

/* Applies ev unless (in careful modes) its id or its change was applied
 * before; then, in correct mode with an API, asks for the object to be
 * fetched. */
static void apply_event(struct hr_reftarget *t, const struct hr_event *ev,
                        const cJSON *root, struct answer *a)
{
    struct facts f;
    char *kind = NULL;
    int rc = 0, dup;

    if (body_facts(root, &f) || (f.kind && !(kind = hr_strdup(f.kind)))) {
        reject(t, a, 500, "out of memory\n");
        facts_clear(&f);
        return;
    }
    pthread_mutex_lock(&t->mu);
    dup = is_duplicate(t, ev, &f);
    pthread_mutex_unlock(&t->mu);
    if (!dup && t->mode == HR_REFTARGET_FETCHER && fetch_first(t, ev, &f, a))
        rc = -2;
    if (!dup && t->mode == HR_REFTARGET_BACKFILL && store_event(t, ev, root)) {
        answer_set(a, 500, "database write failed\n");
        rc = -2;
    }
    pthread_mutex_lock(&t->mu);
    if (rc == 0 && is_duplicate(t, ev, &f) && t->mode == HR_REFTARGET_UNIQUE &&
        map_get(&t->applied, ev->id)) {
        /* The processed-events table's primary key refuses the id and
         * nobody catches the error: nothing applied, and a 500. */
        dup = 1;
        t->duplicates++;
        answer_set(a, 500, "duplicate key value violates unique constraint\n");
    } else if (rc == 0 && is_duplicate(t, ev, &f)) {
        dup = 1;
        rc = remember_id(t, ev);
        t->duplicates += rc == 0;
        answer_set(a, 200, "duplicate ignored\n");
    } else if (rc == 0) {
        rc = apply_locked(t, ev, &f);
        t->processed += rc == 0;
        answer_set(a, 200, "ok\n");
    }
    if (rc) {
        t->rejected++;
        if (rc == -1)
            answer_set(a, 500, "out of memory\n");
    }
    pthread_mutex_unlock(&t->mu);
    if (rc == 0 && !dup && t->mode == HR_REFTARGET_CORRECT && t->api_url &&
        ev->object && kind)
        hr_refsync_want(t, ev->object, kind);
    hr_free(kind);
    facts_clear(&f);
}

/* The event block of an event object from the API, read by the profile
 * as if it had come as a webhook body. 0, or -1. */
static int polled_event(const struct hr_reftarget *t, const cJSON *event,
                        struct hr_interaction *it)
{
    struct hr_err err = {0};
    char *text = cJSON_PrintUnformatted(event);

    if (!text)
        return -1;
    it->request.body = (unsigned char *)hr_strdup(text);
    it->request.body_len = strlen(text);
    cJSON_free(text);
    if (!it->request.body)
        return -1;
    return hr_profile_event(t->profile, &it->request, &it->event, &err);
}

int hr_rt_apply_polled(struct hr_reftarget *t, const cJSON *event)
{
    struct hr_interaction it;
    struct facts f = {0};
    char *kind = NULL;
    int rc = 0, applied = 0;

    hr_interaction_init(&it);
    if (polled_event(t, event, &it) || !it.event.id ||
        !hr_evtypes_handled(t->profile->name, it.event.type))
        goto out; /* nothing this consumer would apply */
    if (body_facts(event, &f) || (f.kind && !(kind = hr_strdup(f.kind)))) {
        rc = -1;
        goto out;
    }
    pthread_mutex_lock(&t->mu);
    if (!is_duplicate(t, &it.event, &f)) {
        rc = apply_locked(t, &it.event, &f);
        applied = rc == 0;
        t->polled++;
    } else {
        rc = remember_id(t, &it.event); /* its change is applied */
    }
    pthread_mutex_unlock(&t->mu);
    /* as for a webhook: the object's current state comes from the API */
    if (applied && t->mode == HR_REFTARGET_CORRECT && t->api_url &&
        it.event.object && kind)
        hr_refsync_want(t, it.event.object, kind);
out:
    hr_free(kind);
    facts_clear(&f);
    hr_interaction_clear(&it);
    return rc;
}

/* Careful modes: an event of a type the consumer has no case for is
 * acknowledged and left alone, as providers ask. */
static void ignore_event(struct hr_reftarget *t, struct answer *a)
{
    pthread_mutex_lock(&t->mu);
    t->ignored++;
    pthread_mutex_unlock(&t->mu);
    answer_set(a, 200, "event type not handled: ignored\n");
}

/* The media type of a Content-Type value ("application/json"), lowered,
 * into out; "" when there is none. */
static void media_type(const char *value, char *out, size_t size)
{
    size_t n = 0;

    while (value && *value == ' ')
        value++;
    while (value && value[n] && value[n] != ';' && value[n] != ' ' &&
           n + 1 < size) {
        char c = value[n];

        out[n++] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
    out[n] = '\0';
}

/* Naive mode: would the framework's JSON body parser run at all? It is
 * mounted for the media type the provider sends (the profile's default
 * Content-Type, else application/json) and skips any other. */
static int naive_parser_runs(const struct hr_reftarget *t,
                             const struct hr_message *msg)
{
    const char *want = "application/json";
    char got_type[128], want_type[128];
    size_t i;

    for (i = 0; i < t->profile->n_default_headers; i++)
        if (hr_strcaseeq(t->profile->default_headers[i].name, "Content-Type"))
            want = t->profile->default_headers[i].value;
    media_type(hr_message_header(msg, "Content-Type"), got_type,
               sizeof(got_type));
    media_type(want, want_type, sizeof(want_type));
    return strcmp(got_type, want_type) == 0;
}

/* The provider's handshake a delivery is, if any. */
enum handshake { HS_NONE, HS_SLACK, HS_GITHUB };

/*
 * Slack's url_verification ({"type":"url_verification","challenge":..})
 * and GitHub's ping (X-GitHub-Event: ping) come when an endpoint is set
 * up; they carry no event to apply. Read as their providers document
 * them, so only for those profiles.
 */
static enum handshake handshake_of(const struct hr_reftarget *t,
                                   const struct hr_message *msg,
                                   const cJSON *root)
{
    const char *name = t->profile->name ? t->profile->name : "";
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(root, "type");
    const char *event;

    if (strcmp(name, "slack") == 0 && cJSON_IsString(type) &&
        strcmp(type->valuestring, "url_verification") == 0)
        return HS_SLACK;
    event = hr_message_header(msg, "X-GitHub-Event");
    if (strcmp(name, "github") == 0 && event && strcmp(event, "ping") == 0)
        return HS_GITHUB;
    return HS_NONE;
}

/* Careful modes answer a verified handshake: Slack's challenge comes
 * back as {"challenge": ...}, GitHub's ping gets a 200. Nothing is
 * applied. */
static void answer_handshake(struct hr_reftarget *t, enum handshake kind,
                             const cJSON *root, struct answer *a)
{
    const cJSON *ch = cJSON_GetObjectItemCaseSensitive(root, "challenge");
    cJSON *o;
    char *text;

    if (kind == HS_SLACK && !cJSON_IsString(ch)) {
        reject(t, a, 400, "url_verification without a challenge\n");
        return;
    }
    pthread_mutex_lock(&t->mu);
    t->handshakes++;
    pthread_mutex_unlock(&t->mu);
    if (kind == HS_GITHUB) {
        answer_set(a, 200, "pong\n");
        return;
    }
    o = cJSON_CreateObject();
    text = o && cJSON_AddStringToObject(o, "challenge", ch->valuestring)
               ? cJSON_PrintUnformatted(o)
               : NULL;
    cJSON_Delete(o);
    if (!text || strlen(text) >= sizeof(a->reason)) {
        answer_set(a, text ? 400 : 500,
                   text ? "challenge too long\n" : "out of memory\n");
    } else {
        snprintf(a->reason, sizeof(a->reason), "%s", text);
        answer_set(a, 200, a->reason);
        a->json = 1;
    }
    cJSON_free(text);
}

/*
 * Naive mode, written the way a quick Express or Flask handler is: the
 * JSON body parser runs only for the JSON content type (otherwise the
 * body is undefined and reading its id throws), JSON.parse throws on
 * bytes that are not JSON (compressed ones included: Content-Encoding is
 * never looked at), a switch on the type throws for a type it has no
 * case for (the provider's handshake included: Slack's url_verification,
 * GitHub's ping), and one catch-all error handler turns every throw into
 * 500. Nothing is verified or deduplicated.
 */
static void handle_naive(struct hr_reftarget *t, struct hr_interaction *it,
                         const cJSON *root, struct answer *a)
{
    struct hr_err err = {0};

    if (!naive_parser_runs(t, &it->request)) {
        reject(t, a, 500, "TypeError: body is undefined\n");
        return;
    }
    if (handshake_of(t, &it->request, root) != HS_NONE) {
        reject(t, a, 500, "Error: unhandled event type\n");
        return;
    }
    if (!root || hr_profile_event(t->profile, &it->request, &it->event, &err)) {
        reject(t, a, 500, "SyntaxError: body is not JSON\n");
        return;
    }
    if (!hr_evtypes_handled(t->profile->name, it->event.type)) {
        reject(t, a, 500, "Error: unhandled event type\n");
        return;
    }
    apply_event(t, &it->event, root, a);
}

/*
 * Careful modes: refuse compressed bodies (415), verify the raw bytes
 * (400, or 200 and discard in ack-all mode), parse them whatever the
 * Content-Type says (400 when they are not JSON or carry no event id),
 * answer the provider's handshake, acknowledge and ignore unknown
 * types, deduplicate by event id.
 */
static void handle_careful(struct hr_reftarget *t, struct hr_interaction *it,
                           const cJSON *root, struct answer *a)
{
    struct hr_err err = {0};
    enum handshake hs;

    if (!plain_body(&it->request, a)) {
        count_rejected(t);
        return;
    }
    if (!verified(t, &it->request, a))
        return;
    if (!root) {
        reject(t, a, 400, "body is not JSON\n");
        return;
    }
    if ((hs = handshake_of(t, &it->request, root)) != HS_NONE) {
        answer_handshake(t, hs, root, a);
        return;
    }
    if (hr_profile_event(t->profile, &it->request, &it->event, &err)) {
        answer_reason(a, 400, "unreadable event", err.msg);
        count_rejected(t);
        return;
    }
    if (!it->event.id) {
        reject(t, a, 400, "event has no id\n");
        return;
    }
    if (hr_evtypes_handled(t->profile->name, it->event.type))
        apply_event(t, &it->event, root, a);
    else
        ignore_event(t, a);
}

static void handle_delivery(struct hr_reftarget *t, struct hr_interaction *it,
                            struct answer *a)
{
    const struct hr_message *m = &it->request;
    cJSON *root = cJSON_ParseWithLength((const char *)m->body, m->body_len);

    if (t->mode == HR_REFTARGET_NAIVE)
        handle_naive(t, it, root, a);
    else
        handle_careful(t, it, root, a);
    cJSON_Delete(root);
}

/* ---- MHD glue ----------------------------------------------------- */

static enum MHD_Result add_header(void *cls, enum MHD_ValueKind kind,
                                  const char *key, const char *value)
{
    struct hr_message *m = cls;

    if (hr_message_add_header(m, key, value ? value : ""))
        return MHD_NO; /* stops the walk; the caller notices the gap */
    return MHD_YES;
}

/* Builds the request message; takes the body. 0 or -1 on OOM. */
static int build_message(struct MHD_Connection *c, const char *url,
                         const char *method, struct request *r,
                         struct hr_message *m)
{
    int n_seen;

    m->method = hr_strdup(method);
    m->path = hr_strdup(url);
    m->query = hr_strdup("");
    m->body = (unsigned char *)hr_buf_steal(&r->body, &m->body_len);
    if (!m->method || !m->path || !m->query || !m->body)
        return -1;
    n_seen = MHD_get_connection_values(c, MHD_HEADER_KIND, add_header, m);
    return (size_t)n_seen == m->n_headers ? 0 : -1;
}

/* Queues resp; naive mode's single sync worker closes every connection
 * after its answer (no keep-alive). Destroys resp. */
static enum MHD_Result answer_with(const struct hr_reftarget *t,
                                   struct MHD_Connection *c,
                                   unsigned int status,
                                   struct MHD_Response *resp)
{
    enum MHD_Result rc;

    if (t->mode == HR_REFTARGET_NAIVE)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    rc = MHD_queue_response(c, status, resp);
    MHD_destroy_response(resp);
    return rc;
}

static enum MHD_Result send_typed(const struct hr_reftarget *t,
                                  struct MHD_Connection *c, unsigned int status,
                                  const char *text, const char *content_type)
{
    struct MHD_Response *resp;

    resp = MHD_create_response_from_buffer(strlen(text), (void *)text,
                                           MHD_RESPMEM_MUST_COPY);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    return answer_with(t, c, status, resp);
}

static enum MHD_Result send_text(const struct hr_reftarget *t,
                                 struct MHD_Connection *c, unsigned int status,
                                 const char *text)
{
    return send_typed(t, c, status, text, "text/plain; charset=utf-8");
}

/* Holds the answer back by slow_ms, or less when the target stops. */
static void slow_down(struct hr_reftarget *t)
{
    struct timespec until;
    int64_t ns;

    if (t->slow_ms <= 0)
        return;
    clock_gettime(CLOCK_MONOTONIC, &until);
    ns = (int64_t)until.tv_nsec + (t->slow_ms % 1000) * 1000000;
    until.tv_sec += (time_t)(t->slow_ms / 1000 + ns / 1000000000);
    until.tv_nsec = (long)(ns % 1000000000);
    pthread_mutex_lock(&t->mu);
    while (!t->stopping &&
           pthread_cond_timedwait(&t->wake, &t->mu, &until) != ETIMEDOUT)
        ;
    pthread_mutex_unlock(&t->mu);
}

/* Over the body cap: 413, or in naive mode the 500 of a catch-all error
 * handler that never looks at the error's status. */
static unsigned int too_big_status(const struct hr_reftarget *t)
{
    return t->mode == HR_REFTARGET_NAIVE ? 500 : 413;
}

/* The whole body is in: verify, apply, answer. */
static enum MHD_Result finish_delivery(struct hr_reftarget *t,
                                       struct MHD_Connection *c,
                                       const char *url, const char *method,
                                       struct request *r)
{
    struct hr_interaction it;
    struct answer a = {0};

    hr_interaction_init(&it);
    if (r->too_big) {
        reject(t, &a, too_big_status(t), "body too large\n");
    } else if (r->no_memory || build_message(c, url, method, r, &it.request)) {
        count_rejected(t);
        answer_set(&a, 500, "out of memory\n");
    } else {
        handle_delivery(t, &it, &a);
    }
    hr_interaction_clear(&it);
    slow_down(t);
    r->answered = 1;
    return send_typed(t, c, a.status, a.text,
                      a.json ? "application/json"
                             : "text/plain; charset=utf-8");
}

static void count_received(struct hr_reftarget *t)
{
    pthread_mutex_lock(&t->mu);
    t->received++;
    pthread_mutex_unlock(&t->mu);
}

/* First call of a delivery: a declared length over the cap is refused
 * before the body is read. */
static enum MHD_Result begin_delivery(struct hr_reftarget *t,
                                      struct MHD_Connection *c, void **con_cls)
{
    struct request *r = hr_calloc(1, sizeof(*r));
    const char *cl;

    if (!r)
        return MHD_NO;
    hr_buf_init(&r->body, t->max_body_bytes);
    *con_cls = r;
    count_received(t);
    cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                     MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl && strtoull(cl, NULL, 10) > t->max_body_bytes) {
        r->too_big = 1;
        r->answered = 1;
        count_rejected(t);
        return send_text(t, c, too_big_status(t), "body too large\n");
    }
    return MHD_YES;
}

static void take_upload(struct request *r, const char *data, size_t n)
{
    if (r->too_big || r->no_memory)
        return;
    if (r->body.len + n > r->body.max_bytes) {
        r->too_big = 1;
        hr_buf_free(&r->body);
    } else if (hr_buf_add(&r->body, data, n)) {
        r->no_memory = 1;
        hr_buf_free(&r->body);
    }
}

static enum MHD_Result on_delivery(struct hr_reftarget *t,
                                   struct MHD_Connection *c, const char *url,
                                   const char *method, const char *data,
                                   size_t *data_size, void **con_cls)
{
    struct request *r = *con_cls;

    if (!r)
        return begin_delivery(t, c, con_cls);
    if (*data_size) {
        take_upload(r, data, *data_size);
        *data_size = 0;
        return MHD_YES;
    }
    if (r->answered)
        return MHD_YES;
    return finish_delivery(t, c, url, method, r);
}

/* Answers 200 with json (hr_malloc'd text), which the answer takes. */
static enum MHD_Result send_json(struct hr_reftarget *t,
                                 struct MHD_Connection *c, char *json)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer_with_free_callback(strlen(json), json,
                                                           hr_free);

    if (!resp) {
        hr_free(json);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                            "application/json");
    return answer_with(t, c, MHD_HTTP_OK, resp);
}

static enum MHD_Result send_state(struct hr_reftarget *t,
                                  struct MHD_Connection *c)
{
    char *json = hr_reftarget_state_json(t);

    if (!json)
        return send_text(t, c, 500, "out of memory\n");
    return send_json(t, c, json);
}

/* POST /admin/backfill: runs a backfill and answers when it is done. */
static enum MHD_Result send_backfill(struct hr_reftarget *t,
                                     struct MHD_Connection *c)
{
    struct hr_err err = {0};
    char *json;

    if (t->mode != HR_REFTARGET_BACKFILL)
        return send_text(t, c, MHD_HTTP_NOT_FOUND, "not found\n");
    json = hr_refsync_backfill(t, &err);
    if (!json) {
        char text[1100];

        snprintf(text, sizeof(text), "backfill failed: %s\n", err.msg);
        return send_text(t, c, 502, text);
    }
    return send_json(t, c, json);
}

static enum route route_of(const char *url, const char *method)
{
    int post = strcmp(method, "POST") == 0;
    int get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;

    if (strcmp(url, "/") == 0 || strcmp(url, "/webhooks") == 0 ||
        strncmp(url, "/webhooks/", 10) == 0)
        return post ? ROUTE_HOOK : ROUTE_BAD_METHOD;
    if (strcmp(url, "/__state") == 0)
        return get ? ROUTE_STATE : ROUTE_BAD_METHOD;
    if (strcmp(url, "/healthz") == 0)
        return get ? ROUTE_HEALTH : ROUTE_BAD_METHOD;
    if (strcmp(url, "/admin/backfill") == 0)
        return post ? ROUTE_BACKFILL : ROUTE_BAD_METHOD;
    return ROUTE_NONE;
}

/*
 * Naive mode serves one request at a time, as one synchronous worker
 * does (gunicorn's default): from its headers to its answer a request
 * holds the worker, the others wait in arrival order, their bytes
 * piling up unread in the kernel. MHD's connection limit cannot do this:
 * at the limit it accepts and closes new connections.
 */
static void take_worker(struct hr_reftarget *t)
{
    uint64_t mine;

    pthread_mutex_lock(&t->mu);
    mine = t->next_ticket++;
    while (t->serving != mine && !t->stopping)
        pthread_cond_wait(&t->turn, &t->mu);
    pthread_mutex_unlock(&t->mu);
}

static void release_worker(struct hr_reftarget *t)
{
    pthread_mutex_lock(&t->mu);
    t->serving++;
    pthread_cond_broadcast(&t->turn);
    pthread_mutex_unlock(&t->mu);
}

/* Marks requests other than deliveries in *con_cls. */
static char not_a_delivery;

/*
 * Requests other than deliveries are answered once their body (ignored)
 * is in: an answer queued on the first call would make MHD close the
 * connection, and probes are better served over keep-alive.
 */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
                                  const char *url, const char *method,
                                  const char *version, const char *data,
                                  size_t *data_size, void **con_cls)
{
    struct hr_reftarget *t = cls;
    enum route route = route_of(url, method);

    if (t->mode == HR_REFTARGET_NAIVE && !*con_cls)
        take_worker(t); /* released when the request completes */
    if (t->mode == HR_REFTARGET_NAIVE &&
        strcmp(version, MHD_HTTP_VERSION_1_0) == 0)
        route = ROUTE_OLD_HTTP;
    if (route == ROUTE_HOOK)
        return on_delivery(t, c, url, method, data, data_size, con_cls);
    if (!*con_cls || *data_size) {
        *con_cls = &not_a_delivery;
        *data_size = 0;
        return MHD_YES;
    }
    switch (route) {
    case ROUTE_STATE:
        return send_state(t, c);
    case ROUTE_HEALTH:
        return send_text(t, c, MHD_HTTP_OK, "ok\n");
    case ROUTE_BACKFILL:
        return send_backfill(t, c);
    case ROUTE_BAD_METHOD:
        return send_text(t, c, MHD_HTTP_METHOD_NOT_ALLOWED,
                         "method not allowed\n");
    case ROUTE_OLD_HTTP:
        return send_text(t, c, MHD_HTTP_HTTP_VERSION_NOT_SUPPORTED,
                         "HTTP Version Not Supported\n");
    default:
        return send_text(t, c, MHD_HTTP_NOT_FOUND, "not found\n");
    }
}

/* The first "id": "..." in text, as a regular expression would find it. */
static char *lenient_id(const char *text, size_t len)
{
    const char *p = text, *end = text + len, *q;

    for (; p + 4 <= end; p++) {
        if (memcmp(p, "\"id\"", 4))
            continue;
        p += 4;
        while (p < end && (*p == ' ' || *p == ':' || *p == '\t'))
            p++;
        if (p < end && *p == '"' &&
            (q = memchr(p + 1, '"', (size_t)(end - p - 1))))
            return hr_strndup(p + 1, (size_t)(q - p - 1));
    }
    return NULL;
}

/*
 * Naive mode reads until the connection closes, as a hand-rolled server
 * that ignores Content-Length does, and acts on what arrived: a request
 * cut off mid-body (reset, truncated) is applied, and the provider's
 * retry of it is applied again.
 */
static int naive_partial(struct hr_reftarget *t, struct MHD_Connection *c,
                         struct request *r)
{
    struct hr_interaction it;
    struct hr_err err = {0};
    struct answer a = {0};
    int done = 0;

    if (t->mode != HR_REFTARGET_NAIVE || r->too_big || r->no_memory ||
        r->body.len == 0)
        return 0;
    hr_interaction_init(&it);
    if (build_message(c, "/", "POST", r, &it.request) == 0) {
        if (hr_profile_event(t->profile, &it.request, &it.event, &err))
            it.event.id =
                lenient_id((const char *)it.request.body, it.request.body_len);
        if (it.event.id) {
            apply_event(t, &it.event, NULL, &a);
            done = 1;
        }
    }
    hr_interaction_clear(&it);
    return done;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct hr_reftarget *t = cls;
    struct request *r = *con_cls;

    if (t->mode == HR_REFTARGET_NAIVE)
        release_worker(t); /* every request handled took it */
    if (!r || *con_cls == &not_a_delivery)
        return;
    if (!r->answered && !naive_partial(t, c, r))
        count_rejected(t); /* cut off before the end of its body */
    hr_buf_free(&r->body);
    hr_free(r);
    *con_cls = NULL;
}

/* ---- state document ----------------------------------------------- */

static void add_string_or_null(cJSON *o, const char *name, const char *v)
{
    if (v)
        cJSON_AddStringToObject(o, name, v);
    else
        cJSON_AddNullToObject(o, name);
}

static cJSON *snapshot_json(const char *id, const struct snapshot *s)
{
    cJSON *o = cJSON_CreateObject();

    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "id", id);
    add_string_or_null(o, "object", s->facts.kind);
    cJSON_AddStringToObject(o, "type", s->type ? s->type : "");
    add_string_or_null(o, "event", s->event);
    if (s->has_created)
        cJSON_AddNumberToObject(o, "created", (double)s->created);
    else
        cJSON_AddNullToObject(o, "created");
    add_string_or_null(o, "status", s->facts.status);
    cJSON_AddBoolToObject(o, "deleted", s->facts.deleted);
    if (s->facts.email)
        cJSON_AddStringToObject(o, "email", s->facts.email);
    cJSON_AddBoolToObject(o, "fetched", s->fetched);
    if (s->facts.data)
        cJSON_AddItemToObject(o, "data", cJSON_Duplicate(s->facts.data, 1));
    return o;
}

/* Caller holds mu. */
static int add_maps(const struct hr_reftarget *t, cJSON *root)
{
    cJSON *applied = cJSON_AddObjectToObject(root, "applied");
    cJSON *objects = cJSON_AddObjectToObject(root, "objects");
    size_t i;

    if (!applied || !objects)
        return -1;
    for (i = 0; i < t->applied.n; i++) {
        const struct entry *e = &t->applied.items[i];

        if (!cJSON_AddNumberToObject(applied, e->key, (double)e->count))
            return -1;
    }
    for (i = 0; i < t->objects.n; i++) {
        const struct entry *e = &t->objects.items[i];
        cJSON *o = snapshot_json(e->key, &e->snap);

        if (!o)
            return -1;
        cJSON_AddItemToObject(objects, e->key, o);
    }
    return 0;
}

/* Counts of the reconciling side. Caller holds mu. */
static int add_sync_counts(const struct hr_reftarget *t, cJSON *root)
{
    cJSON *sync;

    if (!t->api_url)
        return 0;
    sync = cJSON_AddObjectToObject(root, "sync");
    if (!sync)
        return -1;
    cJSON_AddNumberToObject(sync, "polled", (double)t->polled);
    cJSON_AddNumberToObject(sync, "fetched", (double)t->fetched);
    cJSON_AddNumberToObject(sync, "api_calls", (double)t->api_calls);
    cJSON_AddNumberToObject(sync, "api_errors", (double)t->api_errors);
    cJSON_AddNumberToObject(sync, "backfills", (double)t->backfills);
    return 0;
}

/* Caller holds mu. */
static cJSON *state_locked(const struct hr_reftarget *t)
{
    cJSON *root = cJSON_CreateObject();
    const char *mode = hr_reftarget_mode_name(t->mode);

    if (!root)
        return NULL;
    cJSON_AddStringToObject(root, "mode", mode);
    cJSON_AddStringToObject(root, "profile",
                            t->profile->name ? t->profile->name : "");
    cJSON_AddNumberToObject(root, "received", (double)t->received);
    cJSON_AddNumberToObject(root, "processed", (double)t->processed);
    cJSON_AddNumberToObject(root, "rejected", (double)t->rejected);
    cJSON_AddNumberToObject(root, "duplicates_ignored", (double)t->duplicates);
    cJSON_AddNumberToObject(root, "ignored", (double)t->ignored);
    cJSON_AddNumberToObject(root, "discarded", (double)t->discarded);
    cJSON_AddNumberToObject(root, "stale_skipped", (double)t->stale_skipped);
    cJSON_AddNumberToObject(root, "handshakes", (double)t->handshakes);
    if (add_sync_counts(t, root) ||
        (t->mode != HR_REFTARGET_BACKFILL && add_maps(t, root))) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

char *hr_reftarget_state_json(struct hr_reftarget *t)
{
    cJSON *root;
    char *text = NULL;

    pthread_mutex_lock(&t->mu);
    root = state_locked(t);
    pthread_mutex_unlock(&t->mu);
    if (root)
        text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return text;
}

/* ---- start and stop ----------------------------------------------- */

/* Parses "A.B.C.D:PORT" or "[V6]:PORT" into ss (no name lookup). */
static int parse_listen(const char *s, struct sockaddr_storage *ss,
                        struct hr_err *err)
{
    char host[64];
    const char *colon = strrchr(s, ':');
    char *end;
    unsigned long port;
    size_t n;

    if (!colon)
        return hr_errf(err, HR_EXIT_INPUT,
                       "listen address '%s': expected HOST:PORT", s);
    port = strtoul(colon + 1, &end, 10);
    n = (size_t)(colon - s);
    if (*end || end == colon + 1 || port > 65535 || n == 0 || n >= sizeof(host))
        return hr_errf(err, HR_EXIT_INPUT,
                       "listen address '%s': bad port or host", s);
    memcpy(host, s, n);
    host[n] = '\0';
    memset(ss, 0, sizeof(*ss));
    if (host[0] == '[' && host[n - 1] == ']') {
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

        host[n - 1] = '\0';
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, host + 1, &a6->sin6_addr) == 1)
            return 0;
    } else {
        struct sockaddr_in *a4 = (struct sockaddr_in *)ss;

        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)port);
        if (inet_pton(AF_INET, host, &a4->sin_addr) == 1)
            return 0;
    }
    return hr_errf(err, HR_EXIT_INPUT,
                   "listen address '%s': host must be an IP literal", s);
}

static const char *const mode_names[] = {
    [HR_REFTARGET_CORRECT] = "correct",
    [HR_REFTARGET_NAIVE] = "naive",
    [HR_REFTARGET_RESERIALIZING] = "reserializing",
    [HR_REFTARGET_ACK_ALL] = "ack-all",
    [HR_REFTARGET_FETCHER] = "fetcher",
    [HR_REFTARGET_BACKFILL] = "backfill",
    [HR_REFTARGET_UNIQUE] = "unique",
};

#define N_MODES (sizeof(mode_names) / sizeof(mode_names[0]))

const char *hr_reftarget_mode_name(int mode)
{
    if (mode <= 0 || (size_t)mode >= N_MODES || !mode_names[mode])
        return NULL;
    return mode_names[mode];
}

int hr_reftarget_mode_from_name(const char *name)
{
    size_t i;

    for (i = 1; name && i < N_MODES; i++)
        if (mode_names[i] && strcmp(mode_names[i], name) == 0)
            return (int)i;
    return 0;
}

static int check_opts(const struct hr_reftarget_opts *o, struct hr_err *err)
{
    if (!hr_reftarget_mode_name(o->mode))
        return hr_errf(err, HR_EXIT_INPUT, "target: unknown mode %d", o->mode);
    if (!o->profile)
        return hr_errf(err, HR_EXIT_INPUT, "target: no profile given");
    if (o->mode != HR_REFTARGET_NAIVE && o->profile->scheme != HR_SCHEME_NONE &&
        o->n_secrets == 0)
        return hr_errf(err, HR_EXIT_INPUT,
                       "target: %s mode needs at least one secret",
                       hr_reftarget_mode_name(o->mode));
    if (o->slow_ms < 0)
        return hr_errf(err, HR_EXIT_INPUT, "target: slow_ms is negative");
    if ((o->mode == HR_REFTARGET_FETCHER || o->mode == HR_REFTARGET_BACKFILL) &&
        !o->api_url)
        return hr_errf(err, HR_EXIT_INPUT, "target: %s mode needs an API URL",
                       hr_reftarget_mode_name(o->mode));
    if (o->mode == HR_REFTARGET_BACKFILL && !o->db_path)
        return hr_errf(err, HR_EXIT_INPUT,
                       "target: backfill mode needs a database path");
    if (o->poll_ms < 0)
        return hr_errf(err, HR_EXIT_INPUT, "target: poll_ms is negative");
    return 0;
}

static int copy_secrets(struct hr_reftarget *t,
                        const struct hr_reftarget_opts *o)
{
    size_t i;

    if (!o->n_secrets)
        return 0;
    t->secrets = hr_calloc(o->n_secrets, sizeof(*t->secrets));
    if (!t->secrets)
        return -1;
    t->n_secrets = o->n_secrets;
    for (i = 0; i < o->n_secrets; i++) {
        t->secrets[i] = hr_strdup(o->secrets[i]);
        if (!t->secrets[i])
            return -1;
    }
    return 0;
}

static int copy_api(struct hr_reftarget *t, const struct hr_reftarget_opts *o)
{
    t->poll_ms = o->poll_ms ? o->poll_ms : HR_REFTARGET_POLL_MS;
    if (!o->api_url)
        return 0;
    t->api_url = hr_strdup(o->api_url);
    t->api_key = o->api_key ? hr_strdup(o->api_key) : NULL;
    return !t->api_url || (o->api_key && !t->api_key) ? -1 : 0;
}

static void free_target(struct hr_reftarget *t)
{
    size_t i;

    for (i = 0; i < t->n_secrets; i++) {
        if (t->secrets[i])
            memset(t->secrets[i], 0, strlen(t->secrets[i]));
        hr_free(t->secrets[i]);
    }
    hr_free(t->secrets);
    map_free(&t->applied);
    map_free(&t->objects);
    hr_refsync_free_wants(t);
    hr_free(t->cursor);
    hr_free(t->api_url);
    if (t->api_key)
        memset(t->api_key, 0, strlen(t->api_key));
    hr_free(t->api_key);
    hr_refdb_close(t->db);
    pthread_cond_destroy(&t->wake);
    pthread_cond_destroy(&t->turn);
    pthread_mutex_destroy(&t->mu);
    hr_free(t);
}

static int init_sync(struct hr_reftarget *t)
{
    pthread_condattr_t ca;
    int rc;

    if (pthread_mutex_init(&t->mu, NULL))
        return -1;
    if (pthread_condattr_init(&ca))
        return -1;
    rc = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) ||
         pthread_cond_init(&t->wake, &ca) || pthread_cond_init(&t->turn, &ca);
    pthread_condattr_destroy(&ca);
    return rc ? -1 : 0;
}

static void format_addr(struct hr_reftarget *t,
                        const struct sockaddr_storage *ss)
{
    char host[INET6_ADDRSTRLEN] = "?";

    if (ss->ss_family == AF_INET6) {
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr, host,
                  sizeof(host));
        snprintf(t->addr, sizeof(t->addr), "[%s]:%d", host, t->port);
    } else {
        inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, host,
                  sizeof(host));
        snprintf(t->addr, sizeof(t->addr), "%s:%d", host, t->port);
    }
}

/*
 * A thread per connection, so that an answer held back by slow_ms
 * delays only its own connection, as a slow real consumer would (naive
 * mode then serialises them: take_worker).
 */
static int start_daemon(struct hr_reftarget *t,
                        const struct sockaddr_storage *ss, struct hr_err *err)
{
    unsigned int flags = MHD_USE_THREAD_PER_CONNECTION |
                         MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL |
                         MHD_USE_ERROR_LOG;
    const union MHD_DaemonInfo *info;

    if (ss->ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    t->daemon =
        MHD_start_daemon(flags, 0, NULL, NULL, on_request, t,
                         MHD_OPTION_SOCK_ADDR, ss, MHD_OPTION_NOTIFY_COMPLETED,
                         on_completed, t, MHD_OPTION_CONNECTION_LIMIT, 2048u,
                         MHD_OPTION_CONNECTION_TIMEOUT, 120u, MHD_OPTION_END);
    if (!t->daemon)
        return hr_errf(err, HR_EXIT_INTERNAL,
                       "target: cannot listen (address in use?)");
    info = MHD_get_daemon_info(t->daemon, MHD_DAEMON_INFO_BIND_PORT);
    t->port = info ? info->port : 0;
    format_addr(t, ss);
    return 0;
}

struct hr_reftarget *hr_reftarget_start(const struct hr_reftarget_opts *o,
                                        struct hr_err *err)
{
    struct sockaddr_storage ss;
    struct hr_reftarget *t;
    const char *listen = o->listen_addr ? o->listen_addr : "127.0.0.1:0";

    if (check_opts(o, err) || parse_listen(listen, &ss, err))
        return NULL;
    t = hr_calloc(1, sizeof(*t));
    if (!t || init_sync(t)) {
        hr_free(t);
        hr_errf(err, HR_EXIT_INTERNAL, "target: out of resources");
        return NULL;
    }
    t->mode = o->mode;
    t->profile = o->profile;
    t->slow_ms = o->slow_ms;
    t->max_body_bytes = o->max_body_bytes ? o->max_body_bytes
                        : o->mode == HR_REFTARGET_NAIVE
                            ? HR_REFTARGET_NAIVE_BODY_BYTES
                            : HR_REFTARGET_MAX_BODY_BYTES;
    if (copy_secrets(t, o) || copy_api(t, o)) {
        hr_errf(err, HR_EXIT_INTERNAL, "target: out of memory");
        goto fail;
    }
    if (o->mode == HR_REFTARGET_BACKFILL) {
        t->db = hr_refdb_open(o->db_path, err);
        if (!t->db)
            goto fail;
    }
    if (start_daemon(t, &ss, err))
        goto fail;
    if (hr_refsync_start(t, err)) {
        MHD_stop_daemon(t->daemon);
        goto fail;
    }
    return t;
fail:
    free_target(t);
    return NULL;
}

int hr_reftarget_port(const struct hr_reftarget *t)
{
    return t->port;
}

const char *hr_reftarget_addr(const struct hr_reftarget *t)
{
    return t->addr;
}

void hr_reftarget_stop(struct hr_reftarget *t)
{
    if (!t)
        return;
    pthread_mutex_lock(&t->mu);
    t->stopping = 1;
    pthread_cond_broadcast(&t->wake);
    pthread_cond_broadcast(&t->turn);
    pthread_mutex_unlock(&t->mu);
    MHD_stop_daemon(t->daemon);
    hr_refsync_join(t);
    free_target(t);
}
