/* SPDX-License-Identifier: MIT */
/*
 * A binary min-heap of pointers ordered by a caller's "before" function:
 * the planner's settled deliveries and the run's timers both use it.
 * The heap owns only its array; items belong to the caller.
 */
#ifndef HR_HEAP_H
#define HR_HEAP_H
#include <stddef.h>
#include <stdint.h>

struct hr_heap {
    void **v;
    size_t len, cap;
    /* 1 when a must come out before b */
    int (*before)(const void *a, const void *b);
};

/* Adds x. 0, or -1 when memory runs out (x is not added). */
int hr_heap_push(struct hr_heap *h, void *x);
/* Removes and returns the first item; the heap must not be empty. */
void *hr_heap_pop(struct hr_heap *h);
/* The first item without removing it, or NULL when empty. */
void *hr_heap_top(const struct hr_heap *h);
/* Frees the array (not the items). */
void hr_heap_free(struct hr_heap *h);

/*
 * The order of timed work, for a "before" function: 1 when something
 * planned at a_us with tie-break a_order comes before one at b_us with
 * b_order (the earlier time first; on a tie, the lower order).
 */
int hr_heap_time_before(int64_t a_us, uint64_t a_order, int64_t b_us,
                        uint64_t b_order);

#endif
