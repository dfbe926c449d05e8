/* SPDX-License-Identifier: MIT */
/*
 * Inside the reference targets: the state shared by the HTTP side
 * (reftarget.c) and the reconciling side (refsync.c). Not for other
 * modules.
 */
#ifndef HR_REFTARGET_INT_H
#define HR_REFTARGET_INT_H
#include "profile.h"
#include "refdb.h"

#include <cjson/cJSON.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdint.h>

/* What an event's body or a fetched object says about the object. */
struct facts {
    char *status;
    char *kind; /* the object's "object" member: "customer" */
    char *email;
    cJSON *data; /* the whole object */
    int deleted;
};

/* What an object looks like to the target: from the newest event
 * applied to it, or from the API when it fetched the object. */
struct snapshot {
    char *type;         /* of the last event applied */
    char *event;        /* its id */
    struct facts facts; /* as last seen */
    int64_t created;
    int has_created;
    int fetched;         /* data came from the API */
    int64_t ver_created; /* the newest event's created applied so far */
    int has_ver;
};

/* One key of a map: an event id with its count, or an object. */
struct entry {
    char *key;
    int64_t count;
    struct snapshot snap;
};

/*
 * A string-keyed map that keeps insertion order: entries in an array,
 * found through an open-addressing index of (position + 1), 0 = empty.
 */
struct map {
    struct entry *items;
    size_t n, cap;
    size_t *slots;
    size_t n_slots;
};

/* An object the reconciler is asked to fetch. */
struct want {
    char *id, *kind;
    struct want *next;
};

struct hr_reftarget {
    int mode;
    const struct hr_profile *profile;
    char **secrets;
    size_t n_secrets;
    int64_t slow_ms;
    size_t max_body_bytes;
    struct MHD_Daemon *daemon;
    int port;
    char addr[80];
    char *api_url, *api_key; /* NULL: no provider API */
    int64_t poll_ms;
    struct hr_refdb *db; /* backfill mode */
    pthread_t worker;
    int has_worker;

    pthread_mutex_t mu; /* guards everything below */
    pthread_cond_t wake;
    int stopping;
    /* naive mode's single worker: requests take tickets, served in turn */
    pthread_cond_t turn;
    uint64_t next_ticket, serving;
    int64_t received, processed, rejected, duplicates, ignored, discarded;
    int64_t stale_skipped;         /* events older than the state */
    int64_t handshakes;            /* provider handshakes answered */
    int64_t polled, fetched;       /* events from polling, objects fetched */
    int64_t api_calls, api_errors; /* every GET, and those that failed */
    int64_t backfills;
    struct map applied;
    struct map objects;
    struct want *wants, *wants_tail;
    char *cursor; /* the newest event id the poller has seen */
};

/*
 * Applies an event read from the API's event list (a Stripe event
 * object) unless its id was applied before or its type is not handled.
 * 0, or -1 when memory runs out.
 */
int hr_rt_apply_polled(struct hr_reftarget *t, const cJSON *event);

/*
 * Stores the API's current state of object id: obj (its JSON) or, when
 * gone is 1, the fact that the API no longer has it (obj may be NULL).
 * 0, or -1 when memory runs out.
 */
int hr_rt_apply_fetched(struct hr_reftarget *t, const char *id,
                        const cJSON *obj, int gone);

/* Counts one API call (failed: 1 when it got no usable answer). */
void hr_rt_count_api(struct hr_reftarget *t, int failed);

/* Starts the reconciling thread of correct mode with an API; 0 or -1. */
int hr_refsync_start(struct hr_reftarget *t, struct hr_err *err);
/* Stops it (stopping is set and wake broadcast by the caller). */
void hr_refsync_join(struct hr_reftarget *t);
/* Queues object id of kind for the reconciling thread to fetch. */
void hr_refsync_want(struct hr_reftarget *t, const char *id, const char *kind);
/* Frees the queue. Caller holds mu or is the last user. */
void hr_refsync_free_wants(struct hr_reftarget *t);

/*
 * GETs object id of kind from the API with api (a struct hr_refapi) and
 * stores what came back (404: gone). 0, or -1 with err when the API gave
 * no usable answer.
 */
struct hr_refapi;
int hr_refsync_fetch(struct hr_reftarget *t, struct hr_refapi *api,
                     const char *id, const char *kind, struct hr_err *err);

/*
 * Backfill mode: pages the customer, subscription and invoice lists
 * into the database and marks what they no longer hold as gone. Returns
 * the JSON answer ({"customer":N,...}) as a new string, or NULL with err.
 */
char *hr_refsync_backfill(struct hr_reftarget *t, struct hr_err *err);

#endif
