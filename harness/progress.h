/* SPDX-License-Identifier: MIT */
/*
 * The progress line of a run: on a terminal one line rewritten in place
 * with \r (sent, answered, failed, rate, ETA); elsewhere (a CI log) a
 * plain line every few seconds; nothing at all when quiet. Colour only
 * on a terminal and never when NO_COLOR is set.
 *
 * Ownership: hr_progress_start returns a handle that hr_progress_finish
 * frees. A NULL handle is accepted everywhere and does nothing, so a
 * caller never needs to test for it.
 */
#ifndef HR_PROGRESS_H
#define HR_PROGRESS_H
#include <stdint.h>
#include <stdio.h>

struct hr_progress;

struct hr_progress_opts {
    FILE *f;          /* where lines go; NULL means stderr */
    int64_t total;    /* events expected, or -1 when unknown (no ETA) */
    int quiet;        /* 1: print nothing */
    int tty;          /* -1: ask isatty(f); 0 or 1 to force */
    int64_t every_ms; /* plain-line interval; 0 means 10000 */
    /* Clock in ms (monotonic); NULL means hr_mono_ms. For tests. */
    int64_t (*now_ms)(void);
};

/* Starts a progress display; NULL when quiet or out of memory. */
struct hr_progress *hr_progress_start(const struct hr_progress_opts *o);

/*
 * Reports the counts so far (totals, not increments): deliveries sent,
 * answered (any HTTP answer), and events failed for good. Cheap to call
 * on every change: a terminal is redrawn at most 10 times a second.
 */
void hr_progress_update(struct hr_progress *p, int64_t sent, int64_t answered,
                        int64_t failed);

/* Prints the final line (ends the \r line with a newline) and frees p. */
void hr_progress_finish(struct hr_progress *p);

#endif
