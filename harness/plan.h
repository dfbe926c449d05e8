/* SPDX-License-Identifier: MIT */
/*
 * The plan: a scenario, its cassette and seed expanded into the ordered
 * list of deliveries with their planned send times and faults. Built as
 * a stream: only deliveries whose time is not yet settled (delays,
 * reorder windows) are held. No wall clock enters the plan.
 *
 * Semantics of rules (docs/faults.md): rules apply in order to every
 * delivery an event has produced so far; a signature fault other than
 * "rotated" adds an attacker's copy of the delivery (never retried)
 * carrying a canary; later rules apply to that copy too.
 */
#ifndef HR_PLAN_H
#define HR_PLAN_H
#include "cassette.h"
#include "faults.h"
#include "scenario.h"

#include <stdint.h>
#include <stdio.h>

#define HR_CANARY_LEN 32

struct hr_plan_item {
    struct hr_interaction it; /* owned copy */
    int64_t planned_us;       /* from the start of the run */
    int64_t base_us;          /* the recorded time, before any fault */
    uint64_t order;           /* tie-break: the plan's total order */
    int copy;                 /* 0: the recorded delivery; n: n-th copy */
    int new_id;               /* a copy under a new event id */
    int dropped;              /* planned, never sent */
    int copied;               /* a duplicate rule planned copies of it */
    int attacker;             /* a forged/stale/tampered/... request */
    int sig_fault;            /* enum hr_sig_fault, or HR_SIG_TAMPERED_CODE */
    int rotated;              /* sign with a retired and the real secret */
    int timeout_first;        /* the first attempt times out on purpose */
    enum hr_conn_fault conn;  /* first attempt */
    enum hr_payload_fault payload; /* first attempt */
    int64_t size_bytes;
    enum hr_step script[HR_MAX_SCRIPT];
    int n_script;
    char canary[HR_CANARY_LEN]; /* "" when none */
    char labels[160];           /* fault labels, comma-separated */
};

struct hr_planner;

/*
 * Starts planning over reader r (borrowed) with the scenario's pacing,
 * seed and faults. Returns NULL with err.
 */
struct hr_planner *hr_planner_new(const struct hr_scenario *s,
                                  struct hr_cassette_reader *r,
                                  struct hr_err *err);
/*
 * Hands out the next item in plan order in *out (the caller owns it and
 * frees it with hr_plan_item_free). Returns 1, 0 at the end, -1 on bad
 * input (err has FILE:LINE:COLUMN; items before it were all handed out).
 */
int hr_planner_next(struct hr_planner *p, struct hr_plan_item **out,
                    struct hr_err *err);
/* The planned time of the item next() would return, reading as needed. */
int hr_planner_peek(struct hr_planner *p, int64_t *planned_us,
                    struct hr_err *err);
void hr_planner_free(struct hr_planner *p);
void hr_plan_item_free(struct hr_plan_item *item);

/* Writes one item as a line of NDJSON (for --plan-only). */
int hr_plan_item_write(FILE *f, const struct hr_plan_item *item);

/* The event key that seeds an item's random draws. */
const char *hr_plan_key(const struct hr_interaction *it, char *buf, size_t cap);

#endif
