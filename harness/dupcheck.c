/* SPDX-License-Identifier: MIT */
/* Judgements of duplicate copies by state, and their count in a run. */
#include "dupcheck.h"

#include <stdio.h>
#include <string.h>

int hr_dupcheck_changed(const cJSON *before, const cJSON *after)
{
    if (!after)
        return 1;
    return !cJSON_Compare(before, after, 1);
}

int hr_dupcheck_log_add(struct hr_dupcheck_log *g, const char *id, int new_id,
                        int processed)
{
    struct hr_dupcheck_entry *e;

    if (g->n == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 8;
        struct hr_dupcheck_entry *v = hr_realloc(g->v, cap * sizeof(*v));

        if (!v)
            return -1;
        g->v = v;
        g->cap = cap;
    }
    e = &g->v[g->n];
    e->id = hr_strdup(id ? id : "");
    if (!e->id)
        return -1;
    e->new_id = new_id;
    e->processed = processed;
    g->n++;
    return 0;
}

void hr_dupcheck_log_free(struct hr_dupcheck_log *g)
{
    size_t i;

    for (i = 0; i < g->n; i++)
        hr_free(g->v[i].id);
    hr_free(g->v);
    memset(g, 0, sizeof(*g));
}

/* Same-id copies of g->v[k]'s id the state saw processed, if k is the
 * first of them; 0 for the later ones so each id is counted once. */
static int64_t hits_once(const struct hr_dupcheck_log *g, size_t k)
{
    int64_t n = 0;
    size_t i;

    for (i = 0; i < g->n; i++) {
        const struct hr_dupcheck_entry *e = &g->v[i];

        if (e->new_id || !e->processed || strcmp(e->id, g->v[k].id))
            continue;
        if (i < k)
            return 0;
        n++;
    }
    return n;
}

/* What the state adds to a self-report of extra applications. */
static int64_t beyond_self(const struct hr_dupcheck_log *g,
                           const struct hr_probe_cfg *p, const cJSON *state)
{
    int64_t add = 0;
    size_t i;

    for (i = 0; i < g->n; i++) {
        const struct hr_dupcheck_entry *e = &g->v[i];
        int64_t hits, extra;

        if (!e->processed)
            continue;
        if (e->new_id) {
            add++;
            continue;
        }
        hits = hits_once(g, i);
        extra = hr_probe_applied_count(p, state, e->id) - 1;
        if (hits > extra)
            add += hits - (extra > 0 ? extra : 0);
    }
    return add;
}

int64_t hr_dupcheck_total(const struct hr_dupcheck_log *g,
                          const struct hr_probe_cfg *p, const cJSON *state,
                          char *evidence, size_t cap)
{
    int64_t self = p && state ? hr_probe_duplicates(p, state) : -1;
    int64_t seen = 0;
    size_t i;

    snprintf(evidence, cap, "%s", "");
    if (g->n == 0) {
        if (self >= 0)
            snprintf(evidence, cap, "%s", "self-report");
        return self;
    }
    if (self < 0) {
        for (i = 0; i < g->n; i++)
            seen += g->v[i].processed != 0;
        snprintf(evidence, cap, "%s", "state");
        return seen;
    }
    snprintf(evidence, cap, "%s", "state+self-report");
    return self + beyond_self(g, p, state);
}
