/* SPDX-License-Identifier: MIT */
/*
 * The reference targets' reconciliation with the provider API: fetching
 * objects, polling the event list, and the backfill of backfill mode.
 */
#include "refapi.h"
#include "refdb.h"
#include "reftarget.h"
#include "reftarget_int.h"

#include <errno.h>
#include <string.h>
#include <time.h>

/* Objects per page asked for when listing. */
#define PAGE_LIMIT 100
/* A listing never pages further than this (a guard against a loop). */
#define MAX_PAGES 10000

/* GET with the call counted; a transport failure is -1 with err. */
static int api_get(struct hr_reftarget *t, struct hr_refapi *api,
                   const char *path, long *status, cJSON **json,
                   struct hr_err *err)
{
    int rc = hr_refapi_get(api, path, status, json, err);

    hr_rt_count_api(t, rc != 0 || *status < 200 || *status > 299);
    return rc;
}

int hr_refsync_fetch(struct hr_reftarget *t, struct hr_refapi *api,
                     const char *id, const char *kind, struct hr_err *err)
{
    char path[512];
    cJSON *obj = NULL;
    long status;
    int rc = -1;

    if (hr_refapi_object_path(kind, id, path, sizeof(path)))
        return hr_errf(err, HR_EXIT_INPUT, "no API path for %s", kind);
    if (api_get(t, api, path, &status, &obj, err))
        return -1;
    if (status == 404)
        rc = hr_rt_apply_fetched(t, id, NULL, 1);
    else if (status >= 200 && status <= 299 && cJSON_IsObject(obj))
        rc = hr_rt_apply_fetched(t, id, obj, 0);
    else if ((status == 429 || status == 503) && t->has_worker) {
        hr_refsync_want(t, id, kind); /* again, after the wait it asked */
        rc = 0;
    } else
        hr_errf(err, HR_EXIT_INTERNAL, "GET %s: status %ld", path, status);
    cJSON_Delete(obj);
    return rc;
}

/* ---- the fetch queue --------------------------------------------- */

void hr_refsync_want(struct hr_reftarget *t, const char *id, const char *kind)
{
    struct want *w = hr_calloc(1, sizeof(*w));

    if (!w)
        return; /* the next poll still brings the event in */
    w->id = hr_strdup(id);
    w->kind = hr_strdup(kind);
    if (!w->id || !w->kind) {
        hr_free(w->id);
        hr_free(w->kind);
        hr_free(w);
        return;
    }
    pthread_mutex_lock(&t->mu);
    if (t->wants_tail)
        t->wants_tail->next = w;
    else
        t->wants = w;
    t->wants_tail = w;
    pthread_cond_broadcast(&t->wake);
    pthread_mutex_unlock(&t->mu);
}

static void want_free(struct want *w)
{
    hr_free(w->id);
    hr_free(w->kind);
    hr_free(w);
}

void hr_refsync_free_wants(struct hr_reftarget *t)
{
    while (t->wants) {
        struct want *next = t->wants->next;

        want_free(t->wants);
        t->wants = next;
    }
    t->wants_tail = NULL;
}

/* Takes the queue as it is. Caller holds mu. */
static struct want *take_wants(struct hr_reftarget *t)
{
    struct want *w = t->wants;

    t->wants = t->wants_tail = NULL;
    return w;
}

static void fetch_wanted(struct hr_reftarget *t, struct hr_refapi *api,
                         struct want *w)
{
    while (w) {
        struct want *next = w->next;
        struct hr_err err = {0};

        if (__atomic_load_n(&t->stopping, __ATOMIC_ACQUIRE)) {
            want_free(w); /* stopping: the rest is dropped */
            w = next;
            continue;
        }
        if (hr_refsync_fetch(t, api, w->id, w->kind, &err))
            hr_log(2, "target: fetch %s: %s", w->id, err.msg);
        want_free(w);
        w = next;
    }
}

/* ---- polling the event list -------------------------------------- */

/* Applies a page (newest first) oldest first; 0 or -1. */
static int apply_page(struct hr_reftarget *t, const cJSON *data)
{
    int i;

    for (i = cJSON_GetArraySize(data) - 1; i >= 0; i--)
        if (hr_rt_apply_polled(t, cJSON_GetArrayItem(data, i)))
            return -1;
    return 0;
}

static const char *id_of(const cJSON *o)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "id");

    return cJSON_IsString(id) ? id->valuestring : NULL;
}

/* Moves the cursor to the newest event of a page. Caller holds no lock. */
static int set_cursor(struct hr_reftarget *t, const cJSON *data)
{
    const char *id = id_of(cJSON_GetArrayItem(data, 0));
    char *copy;

    if (!id)
        return 0;
    copy = hr_strdup(id);
    if (!copy)
        return -1;
    pthread_mutex_lock(&t->mu);
    hr_free(t->cursor);
    t->cursor = copy;
    pthread_mutex_unlock(&t->mu);
    return 0;
}

/* One page of the event list; *list is the answer, its data checked. */
static int get_page(struct hr_reftarget *t, struct hr_refapi *api,
                    const char *path, cJSON **list, struct hr_err *err)
{
    long status;

    if (api_get(t, api, path, &status, list, err))
        return -1;
    if (status < 200 || status > 299 ||
        !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(*list, "data"))) {
        cJSON_Delete(*list);
        *list = NULL;
        return hr_errf(err, HR_EXIT_INTERNAL, "GET %s: status %ld", path,
                       status);
    }
    return 0;
}

static int has_more(const cJSON *list)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(list, "has_more"));
}

/*
 * The first poll: the whole list, newest first, paged backwards with
 * starting_after, gathered and then applied oldest first.
 */
static int poll_from_start(struct hr_reftarget *t, struct hr_refapi *api,
                           struct hr_err *err)
{
    cJSON *all = cJSON_CreateArray(), *list = NULL;
    char path[512];
    int pages = 0, rc = -1, more = 1;

    snprintf(path, sizeof(path), "/v1/events?limit=%d", PAGE_LIMIT);
    while (all && more && pages++ < MAX_PAGES) {
        cJSON *data, *ev;
        const char *last;

        if (get_page(t, api, path, &list, err))
            goto out;
        data = cJSON_GetObjectItemCaseSensitive(list, "data");
        cJSON_ArrayForEach(ev, data)
            cJSON_AddItemToArray(all, cJSON_Duplicate(ev, 1));
        last = id_of(cJSON_GetArrayItem(data, cJSON_GetArraySize(data) - 1));
        more = has_more(list) && last;
        if (more)
            snprintf(path, sizeof(path),
                     "/v1/events?limit=%d&starting_after=%s", PAGE_LIMIT, last);
        cJSON_Delete(list);
        list = NULL;
    }
    rc = all && apply_page(t, all) == 0 && set_cursor(t, all) == 0 ? 0 : -1;
out:
    cJSON_Delete(all);
    return rc;
}

/* Later polls: the events newer than the cursor, a page at a time (each
 * page holds those just after the cursor, newest first). */
static int poll_after(struct hr_reftarget *t, struct hr_refapi *api,
                      const char *cursor, struct hr_err *err)
{
    char path[512], *at = hr_strdup(cursor);
    cJSON *list = NULL;
    int pages = 0, more = 1, rc = at ? 0 : -1;

    while (more && rc == 0 && pages++ < MAX_PAGES) {
        cJSON *data;

        snprintf(path, sizeof(path), "/v1/events?limit=%d&ending_before=%s",
                 PAGE_LIMIT, at);
        if (get_page(t, api, path, &list, err)) {
            rc = -1;
            break;
        }
        data = cJSON_GetObjectItemCaseSensitive(list, "data");
        more = has_more(list) && cJSON_GetArraySize(data) > 0;
        rc = apply_page(t, data) || set_cursor(t, data);
        if (more) {
            hr_free(at);
            at = hr_strdup(id_of(cJSON_GetArrayItem(data, 0)));
            rc = at ? rc : -1;
        }
        cJSON_Delete(list);
        list = NULL;
    }
    hr_free(at);
    return rc;
}

static int poll_events(struct hr_reftarget *t, struct hr_refapi *api)
{
    struct hr_err err = {0};
    char *cursor;
    int rc;

    pthread_mutex_lock(&t->mu);
    cursor = t->cursor ? hr_strdup(t->cursor) : NULL;
    pthread_mutex_unlock(&t->mu);
    rc = cursor ? poll_after(t, api, cursor, &err)
                : poll_from_start(t, api, &err);
    if (rc)
        hr_log(2, "target: polling events: %s", err.msg);
    hr_free(cursor);
    return rc;
}

/* ---- the reconciling thread -------------------------------------- */

static void deadline_after(struct timespec *ts, int64_t ms)
{
    int64_t ns;

    clock_gettime(CLOCK_MONOTONIC, ts);
    ns = (int64_t)ts->tv_nsec + (ms % 1000) * 1000000;
    ts->tv_sec += (time_t)(ms / 1000 + ns / 1000000000);
    ts->tv_nsec = (long)(ns % 1000000000);
}

/* Waits for a wanted fetch, a stop, or the next poll. Holds mu. */
static void wait_for_work(struct hr_reftarget *t, const struct timespec *at)
{
    while (!t->stopping && !t->wants &&
           pthread_cond_timedwait(&t->wake, &t->mu, at) != ETIMEDOUT)
        ;
}

static int poll_due(const struct timespec *at)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec > at->tv_sec ||
           (now.tv_sec == at->tv_sec && now.tv_nsec >= at->tv_nsec);
}

static void *reconcile(void *arg)
{
    struct hr_reftarget *t = arg;
    struct hr_refapi *api = hr_refapi_new(t->api_url, t->api_key);
    struct timespec next_poll;

    if (api)
        hr_refapi_set_stop(api, &t->stopping);
    deadline_after(&next_poll, 0);
    pthread_mutex_lock(&t->mu);
    while (api && !t->stopping) {
        struct want *w;

        wait_for_work(t, &next_poll);
        w = take_wants(t);
        pthread_mutex_unlock(&t->mu);
        fetch_wanted(t, api, w);
        if (poll_due(&next_poll)) {
            poll_events(t, api);
            deadline_after(&next_poll, t->poll_ms);
        }
        pthread_mutex_lock(&t->mu);
    }
    pthread_mutex_unlock(&t->mu);
    hr_refapi_free(api);
    return NULL;
}

int hr_refsync_start(struct hr_reftarget *t, struct hr_err *err)
{
    if (t->mode != HR_REFTARGET_CORRECT || !t->api_url)
        return 0;
    if (pthread_create(&t->worker, NULL, reconcile, t))
        return hr_errf(err, HR_EXIT_INTERNAL,
                       "target: cannot start the reconciling thread");
    t->has_worker = 1;
    return 0;
}

void hr_refsync_join(struct hr_reftarget *t)
{
    if (t->has_worker)
        pthread_join(t->worker, NULL);
    t->has_worker = 0;
}

/* ---- backfill ----------------------------------------------------- */

/* Pages one resource list into the database; *n counts the objects. */
static int backfill_kind(struct hr_reftarget *t, struct hr_refapi *api,
                         const char *kind, long *n, struct hr_err *err)
{
    char base[128], path[512];
    const char *all;
    cJSON *list = NULL;
    int pages = 0, more = 1, rc = 0;

    if (hr_refapi_list_path(kind, base, sizeof(base)))
        return hr_errf(err, HR_EXIT_INTERNAL, "no list path for %s", kind);
    if (hr_refdb_listing_begin(t->db, err))
        return -1;
    /* Stripe lists leave canceled subscriptions out unless asked. */
    all = strcmp(kind, "subscription") == 0 ? "&status=all" : "";
    snprintf(path, sizeof(path), "%s?limit=%d%s", base, PAGE_LIMIT, all);
    while (more && rc == 0 && pages++ < MAX_PAGES) {
        const cJSON *data, *obj;
        const char *last;

        rc = get_page(t, api, path, &list, err);
        if (rc)
            break;
        data = cJSON_GetObjectItemCaseSensitive(list, "data");
        cJSON_ArrayForEach(obj, data)
        {
            if (rc == 0 && hr_refdb_listing_put(t->db, obj, err))
                rc = -1;
            *n += rc == 0;
        }
        last = id_of(cJSON_GetArrayItem(data, cJSON_GetArraySize(data) - 1));
        more = has_more(list) && last;
        if (more)
            snprintf(path, sizeof(path), "%s?limit=%d%s&starting_after=%s",
                     base, PAGE_LIMIT, all, last);
        cJSON_Delete(list);
        list = NULL;
    }
    if (hr_refdb_listing_end(t->db, kind, rc == 0, rc ? NULL : err))
        rc = -1;
    return rc;
}

char *hr_refsync_backfill(struct hr_reftarget *t, struct hr_err *err)
{
    static const char *const kinds[] = {"customer", "subscription", "invoice"};
    struct hr_refapi *api = hr_refapi_new(t->api_url, t->api_key);
    cJSON *answer = cJSON_CreateObject();
    char *text = NULL;
    size_t i;

    if (api)
        hr_refapi_set_stop(api, &t->stopping);
    for (i = 0; api && answer && i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        long n = 0;

        if (backfill_kind(t, api, kinds[i], &n, err))
            goto out;
        cJSON_AddNumberToObject(answer, kinds[i], (double)n);
    }
    if (!api || !answer) {
        hr_errf(err, HR_EXIT_INTERNAL, "out of memory");
        goto out;
    }
    pthread_mutex_lock(&t->mu);
    t->backfills++;
    pthread_mutex_unlock(&t->mu);
    text = cJSON_PrintUnformatted(answer);
    if (text) {
        char *copy = hr_strdup(text);

        cJSON_free(text);
        text = copy;
    }
out:
    cJSON_Delete(answer);
    hr_refapi_free(api);
    return text;
}
