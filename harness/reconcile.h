/* SPDX-License-Identifier: MIT */
/*
 * Reconciliation: does the target's state match the truth, and how soon?
 * The probe's collections say where the target keeps its items, their
 * id, which target fields compare to which truth fields, and how a
 * delete looks. Real targets keep rows with their own column names and
 * no version field: the mapping serves them unchanged.
 */
#ifndef HR_RECONCILE_H
#define HR_RECONCILE_H
#include "expected.h"
#include "util.h"

#include <cjson/cJSON.h>
#include <stdint.h>

enum hr_deleted_mode {
    HR_DELMODE_GONE = 0, /* a deleted object's item is absent */
    HR_DELMODE_FLAG      /* ... or present with a flag field set */
};

struct hr_field_map {
    char *target; /* pointer into the target's item */
    char *truth;  /* pointer into the truth's object */
};

struct hr_collection {
    char *items;    /* pointer to an array, or an object keyed by id */
    char *id;       /* pointer to the id in an item; NULL: the key */
    char *resource; /* truth objects of this kind ("*": any) */
    struct hr_field_map *fields;
    size_t n_fields;
    enum hr_deleted_mode deleted;
    char *deleted_field; /* flag mode: pointer into the item */
    char *deleted_value; /* flag mode: a string value meaning deleted,
                            or NULL for a true/1 flag */
    int extra;           /* report items the truth does not know */
};

struct hr_recon_cfg {
    struct hr_collection *collections;
    size_t n_collections;
    int64_t deadline_ms; /* default 30000 */
    int64_t interval_ms; /* default 250 */
    int stable_probes;   /* default 3 */
};

/* One object the target got wrong. */
struct hr_wrong {
    char *id;
    const char *kind; /* missing, stale, diverged, not_deleted, extra */
    char *detail;     /* e.g. "/status: target \"active\", truth ..." */
};

#define HR_MAX_WRONG 50

struct hr_compare {
    int64_t objects, consistent;
    int64_t missing, stale, diverged, not_deleted, extra;
    struct hr_wrong wrong[HR_MAX_WRONG]; /* the first ones found */
    size_t n_wrong;
};

/* Parses the probe's "collections" and the scenario's "reconcile". */
int hr_recon_parse(const cJSON *collections, const cJSON *reconcile,
                   const char *origin, struct hr_recon_cfg *out,
                   struct hr_err *err);
void hr_recon_free(struct hr_recon_cfg *c);

/*
 * Compares a probed state with the truth. Fills *out (cleared first).
 * Returns 0, or -1 with err when a collection's items are not where the
 * mapping says (that is a probe error, never a match).
 */
int hr_compare_state(const struct hr_expected *t, const cJSON *state,
                     const struct hr_recon_cfg *cfg, struct hr_compare *out,
                     struct hr_err *err);
void hr_compare_clear(struct hr_compare *c);

/*
 * Finds object id's item in a probed state: in the first collection
 * that claims the truth's object of that id (any "*" collection when
 * the truth does not know it), as hr_compare_state would. Sets *item
 * (borrowed from state) and returns 1, 0 when the target holds no such
 * item, or -1 with err when a collection's items are not where the
 * mapping says.
 */
int hr_recon_find_item(const struct hr_expected *t, const cJSON *state,
                       const struct hr_recon_cfg *cfg, const char *id,
                       const cJSON **item, struct hr_err *err);
/* 1 when nothing is wrong. */
int hr_compare_ok(const struct hr_compare *c);

#endif
