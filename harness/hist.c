/* SPDX-License-Identifier: MIT */
/* The latency histogram: log-linear buckets, exact merge, quantiles. */
#include "hist.h"

#include <math.h>
#include <string.h>

void hr_hist_init(struct hr_hist *h)
{
    memset(h, 0, sizeof(*h));
}

size_t hr_hist_index(int64_t v)
{
    int e;

    if (v < 0)
        v = 0;
    if (v < 128)
        return (size_t)v;
    e = 63 - __builtin_clzll((unsigned long long)v) - 6; /* >= 1 */
    if (e > 40)
        return HR_HIST_BUCKETS - 1;
    return 128 + (size_t)(e - 1) * 64 + (size_t)((v >> e) - 64);
}

void hr_hist_bounds(size_t i, int64_t *lo, int64_t *hi)
{
    size_t e, sub;

    if (i < 128) {
        *lo = *hi = (int64_t)i;
        return;
    }
    e = (i - 128) / 64 + 1;
    sub = (i - 128) % 64 + 64;
    *lo = (int64_t)sub << e;
    *hi = (((int64_t)sub + 1) << e) - 1;
}

void hr_hist_add(struct hr_hist *h, int64_t v)
{
    if (v < 0)
        v = 0;
    h->counts[hr_hist_index(v)]++;
    if (h->total == 0 || v < h->min_us)
        h->min_us = v;
    if (v > h->max_us)
        h->max_us = v;
    h->total++;
    h->sum_us += (double)v;
}

void hr_hist_merge(struct hr_hist *into, const struct hr_hist *from)
{
    size_t i;

    if (from->total == 0)
        return;
    for (i = 0; i < HR_HIST_BUCKETS; i++)
        into->counts[i] += from->counts[i];
    if (into->total == 0 || from->min_us < into->min_us)
        into->min_us = from->min_us;
    if (from->max_us > into->max_us)
        into->max_us = from->max_us;
    into->total += from->total;
    into->sum_us += from->sum_us;
}

int64_t hr_hist_quantile(const struct hr_hist *h, double q)
{
    uint64_t rank, seen = 0;
    size_t i;

    if (h->total == 0)
        return 0;
    if (q <= 0)
        return h->min_us;
    if (q > 1)
        q = 1;
    rank = (uint64_t)ceil(q * (double)h->total);
    if (rank == 0)
        rank = 1;
    for (i = 0; i < HR_HIST_BUCKETS; i++) {
        seen += h->counts[i];
        if (seen >= rank) {
            int64_t lo, hi;

            hr_hist_bounds(i, &lo, &hi);
            if (hi > h->max_us)
                hi = h->max_us;
            if (hi < h->min_us)
                hi = h->min_us;
            return hi;
        }
    }
    return h->max_us;
}
