/* SPDX-License-Identifier: MIT */
/*
 * The truth: the provider's view of the world during a run. Seed objects
 * exist from the start; every published event becomes visible at its
 * time (run clock, microseconds) and moves its object to the state the
 * event carries. Queries take "now" and see only what is visible then,
 * so the same truth answers a client that reads early and one that reads
 * late, and a stale read is a query at an earlier now.
 *
 * Ownership: the truth copies everything it is given; hr_truth_free
 * releases it all. Pointers it hands out live until hr_truth_free.
 */
#ifndef HR_TRUTH_H
#define HR_TRUTH_H
#include "util.h"

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

/* One event as the API lists it. */
struct hr_truth_event {
    char *id;
    char *type;
    char *object_id;    /* may be NULL */
    char *object_kind;  /* data.object.object ("customer"), may be NULL */
    int64_t created;    /* provider's creation time, unix seconds */
    int64_t visible_us; /* run clock; may be pulled earlier (shift) */
    uint64_t pub_seq;   /* publication order: the tie-break */
    char *json;         /* the event, compact, as lists serve it */
    size_t json_len;
    int deleted; /* its type ends in .deleted */
};

/* One state of one object. */
struct hr_truth_version {
    const struct hr_truth_event *ev; /* NULL for a seed object */
    cJSON *state;                    /* the object as of this version */
    char *json;                      /* compact state */
    size_t json_len;
    int deleted;
};

struct hr_truth_object {
    char *id;
    char *kind;                        /* "customer", "invoice", ... */
    struct hr_truth_version *versions; /* in visibility order */
    size_t n_versions;
};

struct hr_truth;

struct hr_truth *hr_truth_new(void);
void hr_truth_free(struct hr_truth *t);

/*
 * Adds an event visible from visible_us. body is the event's JSON as
 * sent (len bytes); id, type and object come from the cassette's event
 * block. data_pointer names the event's object in the body ("/data/object"
 * for Stripe, "/data" for Standard Webhooks). wrap, when set, makes the
 * listed form {"id","type","timestamp","payload"} instead of the body
 * itself. Returns 0, or -1 (err) when the body is not JSON.
 */
int hr_truth_add_event(struct hr_truth *t, const char *id, const char *type,
                       const char *object_id, int64_t created, const char *body,
                       size_t len, const char *data_pointer, int wrap,
                       int64_t visible_us, struct hr_err *err);

/* Adds an object that exists from the start (seed data); copies o. */
int hr_truth_add_seed(struct hr_truth *t, const cJSON *o, struct hr_err *err);

/* Loads a seed file: {"objects": [ {...}, ... ]}. Returns 0 or -1. */
int hr_truth_load_seed(struct hr_truth *t, const char *path,
                       struct hr_err *err);
/* The same from text (len bytes); origin names it in errors. */
int hr_truth_load_seed_text(struct hr_truth *t, const char *origin,
                            const char *text, size_t len, struct hr_err *err);

/* Events visible at now_us, oldest first: ev[0..*n). */
const struct hr_truth_event *const *hr_truth_events(const struct hr_truth *t,
                                                    int64_t now_us, size_t *n);
/* Total events published (visible or not). */
size_t hr_truth_n_events(const struct hr_truth *t);
/* An event by id when visible at now_us, else NULL. */
const struct hr_truth_event *hr_truth_event(const struct hr_truth *t,
                                            const char *id, int64_t now_us);
/* The cursor that names ev's place in the visible order (buf >= 48). */
void hr_truth_cursor(const struct hr_truth_event *ev, char *buf, size_t cap);
/* Index of the first visible event after cursor; -1 if it is invalid. */
long hr_truth_after_cursor(const struct hr_truth *t, const char *cursor,
                           int64_t now_us);

/*
 * The latest version of object id visible at now_us, or NULL when it did
 * not exist yet. A deleted object returns its deletion version.
 */
const struct hr_truth_version *hr_truth_get(const struct hr_truth *t,
                                            const char *id, int64_t now_us,
                                            const struct hr_truth_object **o);

/*
 * Objects of one kind visible at now_us, newest first by "created", then
 * by first appearance. Fills a new array (hr_free) of latest versions,
 * deleted ones included (the caller decides). Returns the count, or -1
 * out of memory.
 */
long hr_truth_list(const struct hr_truth *t, const char *kind, int64_t now_us,
                   const struct hr_truth_version ***out);

/*
 * Makes the next n events that are not yet visible at now_us visible at
 * now_us (a pagination shift). Returns how many moved.
 */
size_t hr_truth_release(struct hr_truth *t, int64_t now_us, size_t n);

#endif
