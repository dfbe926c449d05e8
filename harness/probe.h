/* SPDX-License-Identifier: MIT */
/*
 * Evidence from the target's side: the probe reads its state (an HTTP GET
 * or a command that prints JSON) and, optionally, the event ids it says
 * it applied. Canaries of attacker requests are looked for in it.
 */
#ifndef HR_PROBE_H
#define HR_PROBE_H
#include "util.h"

#include <cjson/cJSON.h>
#include <stdint.h>

struct hr_probe_cfg {
    char *http;  /* GET this URL, or */
    char **argv; /* run this command (no shell) */
    size_t argc;
    char *dir;          /* the folder argv runs in (the scenario's), or NULL */
    int64_t timeout_ms; /* per probe, default 5000 */
    int64_t after_ms;   /* wait before probing, default 200 */
    char *applied_ids;  /* pointer to an array of applied event ids */
    char *applied_counts; /* pointer to an object id -> times applied */
    /* Duplicate copies judged by the object's snapshot: the first this
     * many; -1 until the scenario settles it (8 with collections). */
    int64_t duplicate_snapshots;
};

/* Parses a scenario's "probe" (NULL: none configured); an argv command
 * will run in dir (the scenario's folder; NULL: the working one). */
int hr_probe_parse(const cJSON *o, const char *origin, const char *dir,
                   struct hr_probe_cfg **out, struct hr_err *err);
void hr_probe_free(struct hr_probe_cfg *p);

/*
 * Reads the state once: the raw text in *text (hr_free) and parsed JSON
 * in *json (cJSON_Delete; NULL when not JSON). 0, or -1 with a reason.
 */
int hr_probe_read(const struct hr_probe_cfg *p, char **text, cJSON **json,
                  struct hr_err *err);

/* An attacker request, remembered until the probe can judge it. */
struct hr_canary {
    char canary[32];
    char *event_id;
    int64_t seq;
    int acknowledged;
    int accepted;
};

struct hr_canaries {
    struct hr_canary *v;
    size_t n, cap;
};

int hr_canaries_add(struct hr_canaries *c, const char *canary,
                    const char *event_id, int64_t seq, int acknowledged);
void hr_canaries_free(struct hr_canaries *c);

/*
 * Marks each canary found in the state text (or among applied ids) as
 * accepted; returns how many were.
 */
int64_t hr_canaries_judge(struct hr_canaries *c, const char *state_text);

/*
 * Like hr_canaries_judge, against a baseline probe taken before the run
 * (base_text; NULL: none, and then the same as hr_canaries_judge): a
 * canary counts as accepted when it occurs more often in state_text than
 * in base_text, or occurs at all in since_text (the self-report of what
 * was applied since the baseline, printed; may be NULL). A canary left
 * in the target by an earlier run is so not taken for this run's.
 */
int64_t hr_canaries_judge_since(struct hr_canaries *c, const char *state_text,
                                const char *base_text, const char *since_text);

/*
 * The state with its self-report (applied counts and ids) reduced to
 * what the target applied since base, a baseline probe taken before the
 * first delivery: a count loses base's count of the same id; an ids list
 * loses, per id, as many of its earliest occurrences as base holds. An
 * id left with nothing is dropped or, with keep_seen, kept once (count
 * 1, its latest occurrence), so that an event applied before the run is
 * not taken for lost. The rest of the state is copied as it is. Returns
 * a new tree (cJSON_Delete): a plain copy when base is NULL; NULL when
 * memory runs out.
 */
cJSON *hr_probe_since(const struct hr_probe_cfg *p, const cJSON *base,
                      const cJSON *state, int keep_seen);

/*
 * A baseline's self-report indexed by event id, built once so that
 * reducing each later probe to it, and looking ids up in it, costs
 * O(log n) per id instead of a scan of the baseline.
 */
struct hr_probe_index;

/*
 * Indexes base (a baseline probe's state) for p. The index points into
 * base, which must outlive it. NULL when base is NULL or memory runs out.
 */
struct hr_probe_index *hr_probe_index_new(const struct hr_probe_cfg *p,
                                          const cJSON *base);
void hr_probe_index_free(struct hr_probe_index *ix);

/* hr_probe_since against an indexed base (ix NULL: a plain copy). */
cJSON *hr_probe_since_index(const struct hr_probe_cfg *p,
                            const struct hr_probe_index *ix, const cJSON *state,
                            int keep_seen);

/* hr_probe_applied_count of the indexed base (0 when ix is NULL). */
int64_t hr_probe_index_count(const struct hr_probe_index *ix, const char *id);

/*
 * Extra applications of recorded events by the target's own count: the
 * sum over ids of (times applied - 1), or -1 when the probe has no
 * applied mapping (or memory runs out).
 */
int64_t hr_probe_duplicates(const struct hr_probe_cfg *p, const cJSON *state);

/*
 * How many times the target says it applied event id: 0 when it does
 * not list it (or the probe has no applied mapping).
 */
int64_t hr_probe_applied_count(const struct hr_probe_cfg *p, const cJSON *state,
                               const char *id);

#endif
