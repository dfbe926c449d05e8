/* SPDX-License-Identifier: MIT */
/*
 * Scenarios: one run as data (cassette, targets, pacing, thresholds,
 * outputs). Parsed strictly: unknown fields are errors naming their JSON
 * pointer. The CLI builds the same struct when no scenario file is given.
 *
 * Ownership: hr_scenario_free releases everything inside.
 */
#ifndef HR_SCENARIO_H
#define HR_SCENARIO_H
#include "faults.h"
#include "hooks.h"
#include "mockapi.h"
#include "reconcile.h"
#include "probe.h"
#include "profile.h"
#include "util.h"

#include <stdint.h>

enum hr_pacing { HR_PACE_RECORDED = 0, HR_PACE_RATE, HR_PACE_ASAP };

/* Output formats of a run, as bit flags; result.json is always written. */
enum hr_report_format {
    HR_REPORT_JSON = 1,     /* result.json */
    HR_REPORT_JUNIT = 2,    /* report.xml */
    HR_REPORT_MARKDOWN = 4, /* report.md */
    HR_REPORT_HTML = 8      /* report.html */
};

/* Where one endpoint's deliveries go, and how they are signed. */
struct hr_target_cfg {
    char *endpoint; /* cassette endpoint name */
    char *url;      /* used as given unless keep_path */
    char *profile;  /* overrides the cassette header's; may be NULL */
    char **secrets; /* loaded secrets; the first signs */
    size_t n_secrets;
    int keep_path;      /* append the recorded path and query */
    int64_t timeout_ms; /* overrides the profile's response timeout */
    char *ca_file;      /* PEM CA bundle for an https url, or NULL */
    int tls_insecure;   /* https without verifying the certificate */
};

/* A threshold is checked only when its has_ flag is set. */
struct hr_thresholds {
    int has_min_delivery_rate;
    double min_delivery_rate;
    int has_max_ack_p99_ms;
    int64_t max_ack_p99_ms;
    int has_max_failed;
    int64_t max_failed;
    int has_max_forged_accepted; /* default 0 when a probe can tell */
    int64_t max_forged_accepted;
    int has_max_forged_acknowledged;
    int64_t max_forged_acknowledged;
    int has_max_duplicates_processed;
    int64_t max_duplicates_processed;
    int has_require_consistent; /* default true with collections */
    int require_consistent;
    int has_max_time_to_consistency_ms;
    int64_t max_time_to_consistency_ms;
    int has_max_lost_events;
    int64_t max_lost_events;
    int has_max_stale_objects;
    int64_t max_stale_objects;
};

struct hr_scenario {
    char *path;               /* scenario file, NULL when built from flags */
    char *cassette;           /* resolved path ("-" for stdin) */
    const char *cassette_mem; /* in-memory cassette (demo), or NULL */
    size_t cassette_mem_len;
    uint64_t seed;
    struct hr_target_cfg *targets;
    size_t n_targets;
    char *profile_dir; /* extra folder searched for profiles, or NULL */
    enum hr_pacing pacing;
    double speed;      /* recorded pacing: at_ms / speed */
    double rate_per_s; /* fixed-rate pacing */
    int max_in_flight;
    int per_object_in_flight;
    double retry_time_scale; /* multiplies the profile's retry delays */
    int retries;             /* 0 disables retries */
    int handshakes;          /* send the profile's handshake first */
    int rebase_time;         /* shift event times to end at the start */
    /* `send`: only events matching these are replayed (NULL/0: all). */
    char *select_type;
    char *select_object;
    int64_t select_seq_lo, select_seq_hi;
    char **rebase_pointers; /* extra body pointers to shift */
    size_t n_rebase_pointers;
    struct hr_thresholds thresholds;
    char *out_dir; /* where results go */
    int quiet;     /* no progress line (set by the CLI, not the file) */
    struct hr_faults faults;
    struct hr_probe_cfg *probe; /* NULL: no probe */
    struct hr_recon_cfg recon;  /* collections and timing */
    struct hr_hooks hooks;
    struct hr_mockapi_cfg *api; /* the mock provider API, or NULL */
    unsigned report_formats;    /* enum hr_report_format bits */
};

/* Fills s with the defaults documented in docs/formats.md. */
void hr_scenario_defaults(struct hr_scenario *s);

/* The scenario format version this build reads and writes. */
#define HR_SCENARIO_VERSION 1

/*
 * Reads a scenario file. Secrets named by secrets_env / secrets_file are
 * loaded here. Returns NULL with the first problem in err:
 * "FILE:LINE:COL: ..." for syntax, "FILE:LINE: /pointer: ..." for values
 * (the line of the field, or "FILE: /pointer: ..." when not known).
 */
struct hr_scenario *hr_scenario_load(const char *path, struct hr_err *err);
/* Same, for a plan that signs nothing: a target may have no secret. */
struct hr_scenario *hr_scenario_load_plan(const char *path, struct hr_err *err);

/* Receives one problem: a whole message as hr_scenario_load words it. */
typedef void (*hr_problem_fn)(void *ud, const char *msg);

/*
 * Checks a scenario file without stopping at the first problem: each one
 * goes to fn. Secrets are not read from the environment (lint runs where
 * they are not set); a secrets_file must exist and hold a secret, and
 * its content is never quoted. Returns the number of problems; when out
 * is not NULL, *out gets what was parsed (NULL after a syntax error), for
 * the caller to check further and release with hr_scenario_free.
 */
int hr_scenario_lint(const char *path, hr_problem_fn fn, void *ud,
                     struct hr_scenario **out);
void hr_scenario_free(struct hr_scenario *s);

/* The target configured for an endpoint name, or NULL. */
struct hr_target_cfg *hr_scenario_target(struct hr_scenario *s,
                                         const char *endpoint);

#endif
