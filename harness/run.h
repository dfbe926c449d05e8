/* SPDX-License-Identifier: MIT */
/*
 * A replay run: streams a cassette, schedules each webhook delivery by
 * the pacing, sends it through one libcurl multi handle (keep-alive,
 * bounded in flight, one delivery per object at a time), signs each
 * attempt at send time, retries on the profile's schedule, observes every
 * attempt, and writes the JSON result as events finish.
 */
#ifndef HR_RUN_H
#define HR_RUN_H
#include "hist.h"
#include "reconcile.h"

struct cJSON;
#include "scenario.h"
#include "util.h"

#include <signal.h>
#include <stdint.h>

#define HR_STATUS_MAX 600
#define HR_MAX_RECOVERY 20

/* What a run measured; everything the verdict and reports need. */
struct hr_run_totals {
    int64_t events;    /* recorded deliveries planned (dropped included) */
    int64_t dropped;   /* planned never to be sent */
    int64_t skipped;   /* deliveries to endpoints without a target */
    int64_t delivered; /* events with a successful attempt */
    int64_t failed;    /* events sent whose attempts all failed */
    int64_t duplicates_planned, duplicates_sent, duplicates_delivered;
    int64_t dups_refused; /* copies whose last answer was not 2xx */
    int64_t attacker_planned, attacker_sent;
    int64_t attacker_acknowledged; /* answered 2xx: a warning */
    int64_t forged_discarded;      /* ... of those, not applied (probe), or 0 */
    int64_t injected_failures;     /* attempts failed on purpose */
    int64_t handshakes, handshakes_ok;
    char handshake_error[1100];
    int64_t payload_faults;     /* attempts with a payload fault */
    int64_t payload_mishandled; /* ... answered unlike a correct one */
    /* Evidence from the probe; -1 when not measured. */
    int64_t forged_accepted;
    int64_t duplicates_processed;
    char probe_error[1100]; /* why the probe failed, "" when it worked */
    char evidence_forged[16];
    char evidence_dups[24]; /* state, self-report, state+self-report */
    /* Copies judged by the object's snapshot (docs/faults.md). */
    int64_t dups_checked;       /* taken by the check */
    int64_t dups_measured;      /* ... judged processed or not */
    int64_t dups_changed;       /* ... whose object changed: processed */
    int64_t dups_sent_new_id;   /* copies sent under a new id */
    int64_t duplicates_covered; /* copies sent the evidence covers */
    int64_t redelivered;        /* retries after an attempt that reached the
                                   target: same-id copies only a self-report
                                   can judge */
    int64_t attempts;
    int64_t answered; /* attempts that got an HTTP response */
    int64_t err_connect, err_timeout, err_other;
    int64_t status[HR_STATUS_MAX]; /* attempts per status code */
    struct hr_hist ack_actual;     /* answered - actual send, in us */
    struct hr_hist ack_planned;    /* answered - planned send, in us */
    int64_t duration_ms;
    /* Reconciliation, when the probe has collections. */
    int recon_measured;     /* the consistency loop ran */
    int64_t recon_reads;    /* ... its probes that read and compared */
    int consistent;         /* stable match before the deadline */
    int64_t first_match_ms; /* from the end of the replay; -1: never */
    int64_t stable_match_ms;
    int64_t probes;
    struct hr_compare last;                  /* the last probe's comparison */
    int64_t curve_t_ms[256], curve_bad[256]; /* inconsistent over time */
    int n_curve;
    int64_t lost_events;  /* recorded events never applied; -1: n/a */
    int64_t recovered;    /* dropped events applied anyway */
    int64_t out_of_order; /* applied after a later one of its object */
    struct hr_recovery {
        char id[96];
        const char *via; /* "event list or event fetch", "object fetch",
                            "not through the API" */
        int64_t at_ms;   /* when the API served it, -1 when it did not */
    } recovery[HR_MAX_RECOVERY];
    int n_recovery;
    struct hr_applied_many {
        char id[96];
        int64_t times;
    } multi[HR_MAX_RECOVERY]; /* recorded events applied more than once */
    int n_multi;
    char *lost_ids[20];
    int n_lost_ids;
    struct cJSON *api_summary; /* the mock API's journal summary */
    int interrupted;           /* stopped by a signal */
    int input_error;           /* the cassette went bad mid-way */
    char input_msg[1024];
};

/* One threshold as judged, for the summary and the result file. */
struct hr_check {
    const char *name;
    const char *op; /* ">=" or "<=" */
    double threshold;
    double value;
    int measured;
    int passed;
    int required;         /* not measured fails the run: the scenario asked */
    const char *evidence; /* "status", "state", "self-report" */
    char note[256];       /* a warning or an explanation, or "" */
};

#define HR_MAX_CHECKS 16

struct hr_verdict_set {
    struct hr_check checks[HR_MAX_CHECKS];
    size_t n;
    int exit_code; /* enum hr_exit */
};

/*
 * 1 when status is what a correct consumer answers to a payload fault
 * (docs/faults.md has the table): malformed JSON 4xx (never 2xx: that
 * processed garbage; never 5xx: a provider retries that forever);
 * unknown type 2xx (acknowledge and ignore); oversized 2xx or 413; gzip
 * 2xx, 400 or 415; wrong content type 2xx or 415; reformatted 2xx.
 */
int hr_payload_outcome_ok(int payload_fault, int status);

/* Set from a signal handler to stop a run early; results are kept. */
extern volatile sig_atomic_t hr_run_stop;

/*
 * Runs scenario s, writing s->out_dir/result.json. Returns 0 when the
 * run happened (even with failures, an input error mid-way, or an
 * unreachable target: see totals), -1 when it could not start (err).
 */
int hr_run(const struct hr_scenario *s, struct hr_run_totals *t,
           struct hr_verdict_set *v, struct hr_err *err);

/* Releases what totals hold (lost ids, the last comparison). */
void hr_run_totals_clear(struct hr_run_totals *t);

/* Judges totals against the scenario's thresholds; sets v->exit_code. */
void hr_run_judge(const struct hr_scenario *s, const struct hr_run_totals *t,
                  struct hr_verdict_set *v);

/* Prints the one-screen summary. */
void hr_run_summary(FILE *f, const struct hr_scenario *s,
                    const struct hr_run_totals *t,
                    const struct hr_verdict_set *v, const char *result_path);

#endif
