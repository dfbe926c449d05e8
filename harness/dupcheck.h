/* SPDX-License-Identifier: MIT */
/*
 * Duplicates judged by state: a copy sent alone between two probes was
 * processed when its object's item changed. This module keeps those
 * judgements and folds them into the run's count together with the
 * target's self-report, counting no copy twice. The run does the
 * pausing and probing (run.c); docs/faults.md describes the check.
 */
#ifndef HR_DUPCHECK_H
#define HR_DUPCHECK_H
#include "probe.h"
#include "util.h"

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

/* One copy as the snapshot check judged it (per event in the result). */
struct hr_dupcheck {
    int checked;      /* 1: among the copies the check took */
    int processed;    /* 1 the item changed, 0 it did not, -1 unmeasured */
    char reason[160]; /* why it was not measured, "" otherwise */
};

/* The copies the check measured, for the totals. */
struct hr_dupcheck_entry {
    char *id;   /* the recorded event's id (the copy's source) */
    int new_id; /* the copy went out under a new id */
    int processed;
};

struct hr_dupcheck_log {
    struct hr_dupcheck_entry *v;
    size_t n, cap;
    int64_t checked; /* copies taken, measured or not */
};

/*
 * 1 when the object's item differs after the copy (after NULL: it
 * vanished), 0 when it is the same whole item (cJSON_Compare).
 */
int hr_dupcheck_changed(const cJSON *before, const cJSON *after);

/* Records a measured copy. 0, or -1 when memory runs out. */
int hr_dupcheck_log_add(struct hr_dupcheck_log *g, const char *id, int new_id,
                        int processed);
void hr_dupcheck_log_free(struct hr_dupcheck_log *g);

/*
 * Duplicates processed by both kinds of evidence: the self-report's
 * extra applications (p and state may be NULL: none) plus copies the
 * state saw processed that the self-report does not account for (a
 * new-id copy always; a same-id copy when the target counts fewer extra
 * applications of its id than the state saw). Writes which evidence
 * stands behind it into evidence ("state", "self-report",
 * "state+self-report", "" when none). Returns the count, or -1 when
 * there is no evidence.
 */
int64_t hr_dupcheck_total(const struct hr_dupcheck_log *g,
                          const struct hr_probe_cfg *p, const cJSON *state,
                          char *evidence, size_t cap);

#endif
