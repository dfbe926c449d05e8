/* SPDX-License-Identifier: MIT */
/*
 * The API journal: every request the target makes of the mock API, one
 * NDJSON line each, streamed to a file, with only aggregates kept in
 * memory (calls per route and status, faults hit, latency histogram,
 * whether Retry-After was honoured, calls over time in at most 120
 * buckets). Memory is flat in the number of requests: it grows only
 * with the number of distinct routes.
 *
 * Ownership: hr_journal_free flushes and closes the file and releases
 * everything; the summary it returns belongs to the caller.
 */
#ifndef HR_JOURNAL_H
#define HR_JOURNAL_H
#include "util.h"

#include <cjson/cJSON.h>
#include <stdint.h>

/* One finished request. Strings are borrowed for the call. */
struct hr_journal_entry {
    int64_t t_us; /* run clock when the request arrived */
    const char *method;
    const char *route;     /* route template, "recorded" or "unmatched" */
    const char *path;      /* as requested (truncated and escaped here) */
    int status;            /* 0 when no answer was sent (reset, hang) */
    int64_t latency_us;    /* arrival to the last byte queued */
    const char *fault;     /* fault label, or NULL */
    int64_t retry_after_s; /* Retry-After sent, or -1 */
    /* hr_mono_us() at arrival. Retry-After is a wait in real time and is
     * judged on this: the run clock stands at 0 until the replay starts,
     * while a consumer may already be calling. */
    int64_t mono_us;
};

struct hr_journal;

/*
 * Starts a journal writing to path (NULL: aggregates only). Returns NULL
 * with err when the file cannot be created.
 */
struct hr_journal *hr_journal_new(const char *path, struct hr_err *err);

/*
 * Records one request. Retry-After is judged per route: the first request
 * on a route after a 429 that asked for R seconds is "honoured" when it
 * came at least R seconds later, else "violated".
 */
void hr_journal_record(struct hr_journal *j, const struct hr_journal_entry *e);

/* Calls recorded so far. */
int64_t hr_journal_calls(const struct hr_journal *j);

/*
 * The summary for a result file's "api" section, with the polling rate
 * over elapsed_us of run time; "retry_after": {"given", "honoured",
 * "violated", "honoured_all", "violated_per_route": {route: count}} (an
 * empty object when nothing was violated); and "calls_over_time":
 * {"bucket_ms", "counts"}, calls per bucket of run time from 0 to
 * elapsed_us (or to the last call, if later). Buckets start 50 ms wide
 * and double as the run grows, so there are at most 120 and the counts
 * add up to "calls". NULL out of memory.
 */
cJSON *hr_journal_summary(const struct hr_journal *j, int64_t elapsed_us);

/* Flushes the file; 0 or -1 when writing failed. */
int hr_journal_flush(struct hr_journal *j);
void hr_journal_free(struct hr_journal *j);

#endif
