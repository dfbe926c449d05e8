/* SPDX-License-Identifier: MIT */
/*
 * The rule of rebase_time: which times in a recorded body move, and how.
 * One rule for every body a run serves from its recordings (webhook
 * bodies, the events and objects of the mock API's truth, seed objects
 * and recorded API answers), so that they all agree.
 *
 * What moves by delta_s: the event time the profile names (its pointer
 * sources, in the profile's time format), the scenario's extra pointers
 * (a number as unix seconds, a string as ISO 8601), and every member
 * whose name is one of the profile's time_fields, at any depth (an
 * integer as unix seconds, a string as ISO 8601). A pointer that names
 * nothing, and a value not of its form, are skipped. A value is moved
 * once even when both a pointer and a name reach it. Values are
 * rewritten in place in the bytes; the rest of the body is untouched.
 *
 * Ownership: a struct hr_rebase borrows what it points to.
 */
#ifndef HR_REBASE_H
#define HR_REBASE_H
#include "cassette.h"
#include "profile.h"

#include <stddef.h>
#include <stdint.h>

struct hr_rebase {
    int64_t delta_s;                  /* 0: nothing moves */
    const struct hr_profile *profile; /* event time, time_fields; or NULL */
    char *const *pointers;            /* the scenario's rebase_pointers */
    size_t n_pointers;
};

/*
 * Moves the rule's times in b (len bytes). Returns 0 with a new body in
 * *out (hr_malloc'd, NUL-terminated after *out_len bytes); 1 when
 * nothing moves (delta 0, not JSON, no time found) with *out NULL; -1
 * when memory runs out.
 */
int hr_rebase_body(const struct hr_rebase *r, const unsigned char *b,
                   size_t len, unsigned char **out, size_t *out_len);

/*
 * 1 when a query parameter filters on a time the rule moves: its name
 * up to any '[' is one of the profile's time_fields ("created[gte]").
 */
int hr_rebase_param(const struct hr_rebase *r, const char *name);

/*
 * The shift of rebase_time for a cassette: reads r to its end and sets
 * *delta_s to the seconds that move its latest event time to now_s. 0;
 * 1 when no event records a time (event.created), *delta_s then 0; -1
 * with err when r fails.
 */
/* What run and serve say when rebase_time finds no time to move. */
#define HR_REBASE_NOTHING_WARNING                                              \
    "hookreplay: warning: rebase_time: no event in the cassette records "      \
    "its time (event.created), so nothing is shifted\n"

int hr_rebase_delta(struct hr_cassette_reader *r, int64_t now_s,
                    int64_t *delta_s, struct hr_err *err);

#endif
