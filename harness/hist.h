/* SPDX-License-Identifier: MIT */
/*
 * Log-linear latency histogram in microseconds: exact below 128 us, then
 * 64 sub-buckets per power of two (under 1.6% error). Histograms merge by
 * adding counts, so shard results combine exactly.
 */
#ifndef HR_HIST_H
#define HR_HIST_H
#include <stddef.h>
#include <stdint.h>

#define HR_HIST_BUCKETS (128 + 40 * 64)

struct hr_hist {
    uint64_t counts[HR_HIST_BUCKETS];
    uint64_t total;
    int64_t min_us, max_us;
    double sum_us;
};

void hr_hist_init(struct hr_hist *h);
void hr_hist_add(struct hr_hist *h, int64_t value_us);
void hr_hist_merge(struct hr_hist *into, const struct hr_hist *from);
/*
 * The value at quantile q (0..1): the smallest recorded bucket whose
 * cumulative count reaches ceil(q * total), as that bucket's upper bound
 * clamped to the recorded max. 0 when empty.
 */
int64_t hr_hist_quantile(const struct hr_hist *h, double q);

/* Bucket index of a value, and the bounds [lo, hi] a bucket covers. */
size_t hr_hist_index(int64_t value_us);
void hr_hist_bounds(size_t index, int64_t *lo, int64_t *hi);

#endif
