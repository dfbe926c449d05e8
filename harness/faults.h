/* SPDX-License-Identifier: MIT */
/*
 * Fault rules: a match (event type glob, object id, seq range,
 * probability) and an action. Parsed from a scenario's "faults" list;
 * see docs/faults.md for every action with an example.
 *
 * Ownership: hr_faults_free releases a rule list and all inside it.
 */
#ifndef HR_FAULTS_H
#define HR_FAULTS_H
#include "util.h"

#include <cjson/cJSON.h>
#include <stdint.h>

enum hr_fault_action {
    HR_FA_DELAY = 1,
    HR_FA_DUPLICATE,
    HR_FA_REORDER,
    HR_FA_DROP,
    HR_FA_TIMEOUT,
    HR_FA_CONNECTION,
    HR_FA_SIGNATURE,
    HR_FA_PAYLOAD,
    HR_FA_SCRIPT
};

enum hr_dist {
    HR_DIST_FIXED = 1,
    HR_DIST_UNIFORM,
    HR_DIST_NORMAL,
    HR_DIST_LOGNORMAL,
    HR_DIST_PARETO,
    HR_DIST_PERCENTILES,
    HR_DIST_EMPIRICAL
};

#define HR_MAX_PCTS 8
#define HR_MAX_SCRIPT 16
/* One event fans out to at most this many deliveries (docs/faults.md). */
#define HR_MAX_DELIVERIES_PER_EVENT 64
/* A duplicate rule's copies: the original and its copies fit the above. */
#define HR_MAX_COPIES (HR_MAX_DELIVERIES_PER_EVENT - 1)

/* A delay distribution; every parameter is in milliseconds. */
struct hr_delay {
    enum hr_dist dist;
    double a, b; /* fixed: a; uniform: [a,b]; normal: mean a,
                    sd b; lognormal: median a, sigma b;
                    pareto: scale a, shape b */
    double pct_q[HR_MAX_PCTS], pct_ms[HR_MAX_PCTS]; /* percentiles */
    int n_pcts;
};

enum hr_conn_fault {
    HR_CONN_NONE = 0,
    HR_CONN_REFUSED,   /* never connect: the attempt fails at once */
    HR_CONN_RESET,     /* send half the body, then reset */
    HR_CONN_TRUNCATED, /* announce the full length, send half, close */
    HR_CONN_SLOW,      /* dribble the body slowly */
    HR_CONN_HTTP10     /* HTTP/1.0 with Connection: close */
};

enum hr_payload_fault {
    HR_PAY_NONE = 0,
    HR_PAY_MALFORMED,
    HR_PAY_UNKNOWN_TYPE,
    HR_PAY_OVERSIZED,
    HR_PAY_GZIP,
    HR_PAY_WRONG_CONTENT_TYPE,
    HR_PAY_REFORMAT
};

/* What one attempt of a script does. */
enum hr_step {
    HR_STEP_DELIVER = 1,
    HR_STEP_TIMEOUT,
    HR_STEP_REFUSED,
    HR_STEP_RESET,
    HR_STEP_TRUNCATED,
    HR_STEP_SLOW,
    HR_STEP_HTTP10
};

struct hr_fault_rule {
    /* match */
    char *type_glob; /* NULL: any */
    char *object;    /* NULL: any */
    int64_t seq_lo, seq_hi;
    double p; /* probability, 1 by default */
    int stop;
    /* action */
    enum hr_fault_action action;
    struct hr_delay delay;
    int copies;        /* duplicate */
    double spacing_ms; /* duplicate */
    int new_id;        /* duplicate: same change under a new id */
    int window_events; /* reorder */
    double window_ms;  /* reorder */
    enum hr_conn_fault conn;
    int sig_fault; /* enum hr_sig_fault, or -1 for tampered */
    enum hr_payload_fault payload;
    int64_t size_bytes; /* oversized */
    enum hr_step script[HR_MAX_SCRIPT];
    int n_script;
};

struct hr_faults {
    struct hr_fault_rule *rules;
    size_t n;
};

/* The signature fault code for a tampered body (not a signer fault). */
#define HR_SIG_TAMPERED_CODE (-1)

/* Receives one problem: ptr is the RFC 6901 pointer of the value at
 * fault (keys escaped: "~" as "~0", "/" as "~1"), what says why. */
typedef void (*hr_fault_problem_fn)(void *ud, const char *ptr,
                                    const char *what);

/*
 * Parses a "faults" array found at pointer where ("/faults"), sending
 * every problem of every rule to fn, not just the first. Returns the
 * number of problems (0: out holds the rules). out is filled as far as
 * it parsed either way: release it with hr_faults_free.
 */
int hr_faults_parse_each(const cJSON *arr, const char *where,
                         hr_fault_problem_fn fn, void *ud,
                         struct hr_faults *out);

/*
 * Parses a "faults" array. origin and where name the place in errors
 * ("scenario.json", "/faults"): the first problem goes to err as
 * "ORIGIN: POINTER: what". Returns 0 or -1 with err; out is released
 * with hr_faults_free either way.
 */
int hr_faults_parse(const cJSON *arr, const char *origin, const char *where,
                    struct hr_faults *out, struct hr_err *err);
void hr_faults_free(struct hr_faults *f);

struct hr_interaction;

/*
 * 1 when rule r's match (type glob, object, seq range) takes delivery
 * it, leaving its probability aside.
 */
int hr_fault_rule_may_match(const struct hr_fault_rule *r,
                            const struct hr_interaction *it);

/* 1 when s matches the shell-style glob g ('*' and '?'). */
int hr_glob_match(const char *g, const char *s);

/* A short name of a rule's action, for plans and reports. */
const char *hr_fault_label(const struct hr_fault_rule *r, char *buf,
                           size_t cap);

/*
 * Deterministic randomness: a uniform number in [0, 1) drawn from
 * (seed, rule index, event key, attempt, draw), independent of any other
 * decision.
 */
double hr_draw(uint64_t seed, int rule, const char *key, int attempt, int draw);
/* A delay in microseconds from d, using draws from the same tuple. */
int64_t hr_delay_sample_us(const struct hr_delay *d, uint64_t seed, int rule,
                           const char *key, int attempt,
                           const double *empirical_ms, size_t n_empirical);

#endif
