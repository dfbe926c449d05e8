/* SPDX-License-Identifier: MIT */
/*
 * The JSON result file, written as a run goes: a head, one record per
 * finished event, then totals, checks and the verdict. Events stream to
 * disk so memory does not grow with the cassette. See docs/result.md.
 */
#ifndef HR_RESULT_H
#define HR_RESULT_H
#include "cassette.h"
#include "util.h"

#include <stdint.h>

#define HR_MAX_ATTEMPTS 32

/* One delivery attempt as observed; times in us from the run's start. */
struct hr_attempt {
    int64_t planned_us;
    int64_t sent_us;
    int64_t answered_us; /* -1 when no response came */
    int64_t body_end_us; /* the last body byte handed over, or -1 */
    int status;          /* 0 when no response came */
    int timed_out;
    int connect_failed;
    int injected;   /* failed on purpose (a fault), not by the target */
    int step;       /* enum hr_step of the attempt */
    int payload_ok; /* a payload fault got an answer a correct consumer
                       gives (see hr_payload_outcome_ok) */
    int64_t bytes_sent;
    int64_t bytes_received;
    char error[96];
};

/*
 * When the target had the whole request: the body's end for a body that
 * dribbled out (slow), else the send. Ack latency counts from here, so a
 * slow body's dribble is not charged to the target.
 */
static inline int64_t hr_attempt_request_end_us(const struct hr_attempt *a)
{
    return a->body_end_us > a->sent_us ? a->body_end_us : a->sent_us;
}

struct hr_result;
struct hr_scenario;
struct hr_run_totals;
struct hr_verdict_set;

/* Creates s->out_dir (if needed) and opens result.json in it. */
struct hr_result *hr_result_open(const struct hr_scenario *s,
                                 struct hr_err *err);
/* Path of the result file (valid until close). */
const char *hr_result_path(const struct hr_result *r);
/* Appends one finished event with its attempts. */
struct hr_plan_item;
struct hr_dupcheck;
/* dc: a duplicate copy's judgement by state, or NULL. */
int hr_result_event(struct hr_result *r, const struct hr_plan_item *x,
                    const char *endpoint, const struct hr_attempt *a,
                    int n_attempts, int delivered, const struct hr_dupcheck *dc,
                    struct hr_err *err);
/*
 * Writes totals, checks and verdict, closes and frees r. fatal, when not
 * NULL, is recorded as the reason the run stopped. 0 or -1.
 */
int hr_result_close(struct hr_result *r, const struct hr_run_totals *t,
                    const struct hr_verdict_set *v, const struct hr_err *fatal);

/*
 * The tail's pieces, shared with `report merge` so a merged file has the
 * same shape: new cJSON trees the caller deletes, and the verdict word
 * of an exit code ("pass", "fail", "input_error", ...).
 */
struct cJSON;
struct cJSON *hr_result_totals_json(const struct hr_run_totals *t);
struct cJSON *hr_result_checks_json(const struct hr_verdict_set *v);
const char *hr_result_verdict_name(int code);

#endif
