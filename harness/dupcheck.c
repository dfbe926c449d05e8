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

int hr_dupcheck_judge(const cJSON *before, const cJSON *after, int new_id,
                      char *reason, size_t cap)
{
    if (hr_dupcheck_changed(before, after))
        return 1;
    if (new_id)
        return 0;
    snprintf(reason, cap, "%s",
             "the item did not change, as it would not if the same event "
             "were applied again: only a self-report can tell");
    return -1;
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

/* Where seq is, or would go, in the sorted acked list. */
static size_t ack_slot(const struct hr_dupcheck_log *g, int64_t seq)
{
    size_t lo = 0, hi = g->n_acked;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (g->acked[mid] < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int hr_dupcheck_ack(struct hr_dupcheck_log *g, int64_t seq)
{
    size_t k = ack_slot(g, seq);

    if (k < g->n_acked && g->acked[k] == seq)
        return 0;
    if (g->n_acked == g->cap_acked) {
        size_t cap = g->cap_acked ? g->cap_acked * 2 : 64;
        int64_t *v = hr_realloc(g->acked, cap * sizeof(*v));

        if (!v)
            return -1;
        g->acked = v;
        g->cap_acked = cap;
    }
    memmove(&g->acked[k + 1], &g->acked[k],
            (g->n_acked - k) * sizeof(g->acked[0]));
    g->acked[k] = seq;
    g->n_acked++;
    return 0;
}

int hr_dupcheck_acked(const struct hr_dupcheck_log *g, int64_t seq)
{
    size_t k = ack_slot(g, seq);

    return k < g->n_acked && g->acked[k] == seq;
}

void hr_dupcheck_forget_acks(struct hr_dupcheck_log *g)
{
    hr_free(g->acked);
    g->acked = NULL;
    g->n_acked = g->cap_acked = 0;
}

void hr_dupcheck_log_free(struct hr_dupcheck_log *g)
{
    size_t i;

    for (i = 0; i < g->n; i++)
        hr_free(g->v[i].id);
    hr_free(g->v);
    hr_free(g->acked);
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

static int64_t count_where(const struct hr_dupcheck_log *g, int new_id,
                           int processed)
{
    int64_t n = 0;
    size_t i;

    for (i = 0; i < g->n; i++)
        n += (new_id < 0 || g->v[i].new_id == new_id) &&
             (processed < 0 || g->v[i].processed == processed);
    return n;
}

static int64_t at_most(int64_t v, int64_t cap)
{
    return v < cap ? v : cap;
}

int64_t hr_dupcheck_total(const struct hr_dupcheck_log *g,
                          const struct hr_probe_cfg *p, const cJSON *state,
                          const struct hr_dupcheck_sent *sent, int64_t *covered,
                          char *evidence, size_t cap)
{
    int asked = p && (p->applied_ids || p->applied_counts);
    int64_t self = asked && state ? hr_probe_duplicates(p, state) : -1;

    snprintf(evidence, cap, "%s", "");
    *covered = 0;
    if (asked && self < 0)
        return -1; /* the self-report was asked for and is not there */
    if (self >= 0) {
        *covered = at_most(sent->all - sent->new_id + count_where(g, 1, -1),
                           sent->all);
        snprintf(evidence, cap, "%s",
                 g->n ? "state+self-report" : "self-report");
        return self + (g->n ? beyond_self(g, p, state) : 0);
    }
    if (g->n == 0)
        return -1;
    *covered = at_most((int64_t)g->n, sent->all);
    snprintf(evidence, cap, "%s", "state");
    return count_where(g, -1, 1);
}
