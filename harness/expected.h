/* SPDX-License-Identifier: MIT */
/*
 * The expected state: every object the cassette's events
 * touch, with its state after the last event in cassette order (events
 * in the same second keep their recorded order), whether it is deleted,
 * and the states it went through before (to tell stale from diverged).
 *
 * Ownership: hr_expected_free releases everything, cJSON states included.
 */
#ifndef HR_EXPECTED_H
#define HR_EXPECTED_H
#include "util.h"

#include <cjson/cJSON.h>
#include <stdint.h>

#define HR_EXPECTED_HISTORY 16

struct hr_scenario;

struct hr_expected_obj {
    char *id;
    char *resource; /* e.g. "customer"; "" when the profile names none */
    cJSON *state;   /* the object as the last event left it, or NULL */
    cJSON *past[HR_EXPECTED_HISTORY]; /* earlier states, oldest dropped */
    int n_past;
    int deleted;
    char *last_event; /* id of the event that set the state */
    int64_t last_seq;
};

struct hr_expected {
    struct hr_expected_obj *v;
    size_t n, cap;
    size_t *index; /* open addressing over v, cap * 2 slots */
    size_t index_cap;
    char **events;        /* ids of every recorded webhook event */
    char **event_objects; /* each event's object id, or NULL */
    size_t n_events, events_cap;
};

/*
 * Streams the scenario's cassette and builds the expected state of every
 * object, using each endpoint's profile (state and resource pointers),
 * with the times rebase.h's rule names moved by rebase_s (0: as
 * recorded), as the webhooks carry them. 0, or -1 with err.
 */
int hr_expected_build(const struct hr_scenario *s, int64_t rebase_s,
                      struct hr_expected *t, struct hr_err *err);
const struct hr_expected_obj *hr_expected_find(const struct hr_expected *t,
                                               const char *id);
void hr_expected_free(struct hr_expected *t);

/* The index of an event id in cassette order, or -1 (linear search). */
long hr_expected_event_index(const struct hr_expected *t, const char *id);

#endif
