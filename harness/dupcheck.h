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
    int processed;    /* 1 processed, 0 not, -1 not measured */
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
    int64_t *acked; /* seqs of copied originals acknowledged, sorted */
    size_t n_acked, cap_acked;
};

/* The copies a run sent, which the evidence has to cover. */
struct hr_dupcheck_sent {
    int64_t all;    /* copies sent (at least one attempt) */
    int64_t new_id; /* ... of them under a new id */
};

/*
 * 1 when the object's item differs after the copy (after NULL: it
 * vanished), 0 when it is the same whole item (cJSON_Compare).
 */
int hr_dupcheck_changed(const cJSON *before, const cJSON *after);

/*
 * Judges a copy by its object's item before and after it: 1 processed
 * (the item changed or vanished), 0 not processed (a new-id copy left
 * it the same), -1 inconclusive with why in reason: a same-id copy that
 * leaves the item the same proves nothing, since applying the same
 * event again to a plain snapshot leaves it the same too.
 */
int hr_dupcheck_judge(const cJSON *before, const cJSON *after, int new_id,
                      char *reason, size_t cap);

/*
 * Records a measured copy (processed 0 or 1). 0, or -1 when memory runs
 * out (g is unchanged then).
 */
int hr_dupcheck_log_add(struct hr_dupcheck_log *g, const char *id, int new_id,
                        int processed);

/*
 * Remembers that the recorded delivery seq (one with copies planned) was
 * acknowledged with 2xx, so that its copies can be judged. 0, or -1
 * when memory runs out.
 */
int hr_dupcheck_ack(struct hr_dupcheck_log *g, int64_t seq);
/* 1 when hr_dupcheck_ack(seq) was called (and not forgotten since). */
int hr_dupcheck_acked(const struct hr_dupcheck_log *g, int64_t seq);
/* Forgets every acknowledged seq: no copy is left to check. */
void hr_dupcheck_forget_acks(struct hr_dupcheck_log *g);
void hr_dupcheck_log_free(struct hr_dupcheck_log *g);

/*
 * Duplicates processed by both kinds of evidence: the self-report's
 * extra applications plus copies the state saw processed that the
 * self-report does not account for (a new-id copy always; a same-id
 * copy when the target counts fewer extra applications of its id than
 * the state saw). p may be NULL (no probe); state NULL means the final
 * probe failed. A self-report that is configured but cannot be read
 * (state NULL, or no applied ids or counts in it) leaves no evidence:
 * the state's count alone would hide what the target was asked to say.
 *
 * Writes into *covered how many of the copies sent the evidence covers:
 * every same-id copy when the self-report is read, plus each copy the
 * state measured. Below sent->all, the count is a lower bound. Writes
 * which evidence stands behind it into evidence ("state", "self-report",
 * "state+self-report", "" when none). Returns the count, or -1 when
 * there is no evidence (*covered is 0 then).
 */
int64_t hr_dupcheck_total(const struct hr_dupcheck_log *g,
                          const struct hr_probe_cfg *p, const cJSON *state,
                          const struct hr_dupcheck_sent *sent, int64_t *covered,
                          char *evidence, size_t cap);

#endif
