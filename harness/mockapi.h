/* SPDX-License-Identifier: MIT */
/*
 * The mock provider API: a libmicrohttpd server that serves the truth
 * (seed objects, then every event of the cassette from its time on) in
 * the provider's own shape, recorded API interactions for everything
 * else, the provider's auth and errors, API faults, and a journal of
 * every request the target makes. See docs/mock-api.md.
 *
 * It runs in the caller's event loop: no thread of its own. Poll
 * hr_mockapi_fd() for reading (it is an epoll fd) with a timeout no
 * longer than hr_mockapi_timeout_ms(), and call hr_mockapi_step() when
 * it is readable or the timeout passed (calling it more often is fine).
 *
 * Ownership: a cfg owns its strings (hr_mockapi_cfg_free); the server
 * copies what it needs from cfg and from published interactions, and
 * hr_mockapi_free releases everything it holds.
 */
#ifndef HR_MOCKAPI_H
#define HR_MOCKAPI_H
#include "cassette.h"
#include "faults.h"
#include "util.h"

#include <cjson/cJSON.h>
#include <stdint.h>

enum hr_api_fault_kind {
    HR_AF_LATENCY = 1, /* answer after a drawn delay */
    HR_AF_STATUS,      /* an error status (5xx, 429), optionally in bursts */
    HR_AF_HANG,        /* never answer */
    HR_AF_RESET,       /* close the connection with a reset, no answer */
    HR_AF_STALE,       /* objects read as they were stale_ms ago */
    HR_AF_SHIFT,       /* release the next events while a client pages */
    HR_AF_TRUNCATE     /* a 200 whose JSON body is cut short */
};

/* One API fault rule: a match and one action. */
struct hr_api_fault {
    char *route;     /* glob over the request path; NULL: any */
    char *method;    /* NULL: any */
    double p;        /* probability per matching call, 1 by default */
    int64_t call_lo; /* only matching calls number lo..hi (from 1) */
    int64_t call_hi; /* 0: no upper bound */
    int stop;        /* no later rule applies to a call this one hit */
    enum hr_api_fault_kind kind;
    struct hr_delay latency;
    int status;
    int64_t retry_after_s; /* -1: no Retry-After header */
    int burst;             /* status: this many calls in a row */
    int64_t stale_ms;
    int shift_events;
    double truncate_fraction; /* share of the body sent */
};

struct hr_mockapi_cfg {
    char *listen;        /* "HOST:PORT", [v6]:PORT; port 0 picks one */
    int listen_explicit; /* given by the user (a non-loopback is allowed) */
    char *profile;       /* API shape's profile name or path; NULL:
                            stripe (the caller sets the target's) */
    char *profile_dir;   /* searched first for NAME.json, or NULL */
    char **keys;         /* accepted API keys; none: no auth */
    size_t n_keys;
    char *seed_data; /* seed objects file, or NULL */
    char *journal;   /* NDJSON journal path, or NULL */
    struct hr_api_fault *faults;
    size_t n_faults;
    uint64_t seed; /* seeds the fault draws */
    /* rebase_time: seconds added to the times rebase.h's rule names in
     * every event, seed object and recorded answer served (0: none),
     * and the scenario's extra pointers (borrowed; copied on new). */
    int64_t rebase_s;
    char *const *rebase_pointers;
    size_t n_rebase_pointers;
    /* The run clock in microseconds from the start; NULL: time since
     * hr_mockapi_new. */
    int64_t (*now_us)(void *ctx);
    void *clock_ctx;
};

/* Defaults: listen 127.0.0.1:12111, no profile (stripe), seed 1. */
void hr_mockapi_cfg_init(struct hr_mockapi_cfg *cfg);
void hr_mockapi_cfg_free(struct hr_mockapi_cfg *cfg);

/*
 * Parses a scenario's "api" section into cfg (initialized first):
 * {"listen", "profile", "key_env", "seed_data", "journal", "faults"}.
 * Relative paths resolve against dir; keys are read from the variable
 * key_env names (one per line; HOOKREPLAY_API_KEY when not given, and no
 * auth when that is unset). Errors name origin and the JSON pointer.
 */
int hr_mockapi_cfg_parse(const cJSON *api, const char *origin, const char *dir,
                         struct hr_mockapi_cfg *cfg, struct hr_err *err);

struct hr_mockapi;

/*
 * Loads the profile's API shape and the seed data, opens the journal and
 * binds the listen address. Returns NULL with err (HR_EXIT_INPUT for bad
 * configuration, HR_EXIT_INTERNAL when the address cannot be bound).
 */
struct hr_mockapi *hr_mockapi_new(const struct hr_mockapi_cfg *cfg,
                                  struct hr_err *err);
void hr_mockapi_free(struct hr_mockapi *m);

/*
 * Adds a webhook interaction's event to the truth, visible from
 * visible_at_us on the run clock, its times moved by cfg's rebase_s as
 * rebase.h says (so it matches the webhook sent). A second event with
 * the same id (a retry or copy) is ignored. Bodies that are not JSON are
 * skipped with a warning. Returns 0, or -1 out of memory.
 */
int hr_mockapi_publish(struct hr_mockapi *m, const struct hr_interaction *it,
                       int64_t visible_at_us);
/* Adds a recorded API interaction (kind api), its answer's times and
 * its time filters moved by rebase_s. 0, or -1 out of memory. */
int hr_mockapi_add_recorded(struct hr_mockapi *m,
                            const struct hr_interaction *it);

/*
 * Whether the API has served this event or object id (in a list page or
 * a fetch), and when first and last (run clock, us; either may be NULL).
 * 1 or 0.
 */
int hr_mockapi_served(const struct hr_mockapi *m, const char *id,
                      int64_t *first_us, int64_t *last_us);

/* The epoll fd to poll for reading, the longest wait, one turn. */
int hr_mockapi_fd(const struct hr_mockapi *m);
int64_t hr_mockapi_timeout_ms(struct hr_mockapi *m);
/* Serves what is ready and resumes delayed answers. 0, or -1 on error. */
int hr_mockapi_step(struct hr_mockapi *m);

/* The bound port, and the base URL ("http://127.0.0.1:PORT"). */
int hr_mockapi_port(const struct hr_mockapi *m);
const char *hr_mockapi_url(const struct hr_mockapi *m);

/*
 * The "api" section of a result: calls per route and status, polling
 * rate, calls that hit faults, Retry-After honoured, unmatched calls,
 * latency, journal path. Flushes the journal. The caller frees it.
 */
cJSON *hr_mockapi_summary(struct hr_mockapi *m);

#endif
