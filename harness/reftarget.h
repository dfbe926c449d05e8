/* SPDX-License-Identifier: MIT */
/*
 * Reference webhook consumers: a correct one (verifies, deduplicates) and
 * a naive one (trusts and applies everything), served over HTTP on a
 * loopback address so that tests and `hookreplay demo` have a target.
 *
 * Routes:
 *   POST /, POST /webhooks, POST /webhooks/...   a webhook delivery
 *   GET  /__state                                state as JSON (below)
 *   GET  /healthz                                200 "ok"
 *   anything else                                404 (405 for a known
 *                                                path with another method)
 *
 * Answers to a delivery:
 *   correct: 200 when the event was applied, or was a duplicate of an
 *            applied event id (not applied again); 400 when the signature
 *            does not verify or the body yields no event id; 413 when the
 *            body exceeds max_body_bytes; 415 for a Content-Encoding
 *            other than identity. A profile without a signature
 *            scheme is not verified (only deduplicated).
 *   naive:   200 for every delivery whose body it can read, each applied
 *            again; 400 when no event can be read from it (what an
 *            unguarded JSON.parse does); 413 as above.
 *
 * State (GET /__state), one JSON object:
 *   {"mode":"correct"|"naive","profile":NAME,
 *    "received":N,          every POST delivery, whatever its outcome
 *    "processed":N,         deliveries applied
 *    "rejected":N,          deliveries answered with an error status,
 *                           or cut off before the end of their body
 *    "duplicates_ignored":N,
 *    "applied":{EVENT_ID:COUNT,...},     in first-applied order
 *    "objects":{OBJECT_ID:{"type":..,"event":..,"created":..,
 *                          "status":..,"deleted":bool},...}}
 * received == processed + rejected + duplicates_ignored once every
 * delivery received so far has been answered or cut off.
 * Events without an id (naive mode) count in processed but not in
 * applied.
 * An object's snapshot comes from the last event applied to it; "created"
 * and "status" are null when the event carries none. "status" is read
 * from /data/object/status, then /status, of a JSON body; "deleted" is
 * true when the event type ends in ".deleted" or "_deleted", or the body
 * has /data/object/deleted true.
 *
 * Memory grows with the number of distinct event and object ids; these
 * targets are for test runs, not for production traffic.
 */
#ifndef HR_REFTARGET_H
#define HR_REFTARGET_H
#include "profile.h"
#include "util.h"

#include <stddef.h>
#include <stdint.h>

enum hr_reftarget_mode { HR_REFTARGET_CORRECT = 1, HR_REFTARGET_NAIVE = 2 };

/* Default cap on a delivery body; larger bodies are answered 413. */
#define HR_REFTARGET_MAX_BODY_BYTES (8u * 1024u * 1024u)

struct hr_reftarget_opts {
    int mode; /* enum hr_reftarget_mode */
    /* Borrowed: must outlive the target. Its scheme and tolerance_s
     * drive verification; its event rules derive ids, types, objects. */
    const struct hr_profile *profile;
    /* Copied at start. At least one is needed in correct mode; any of
     * them verifies (rotation). Ignored in naive mode. */
    const char *const *secrets;
    size_t n_secrets;
    /* "IPV4:PORT" or "[IPV6]:PORT", literals only (no name lookup);
     * NULL means "127.0.0.1:0". Port 0 picks a free port. */
    const char *listen_addr;
    /* Delay before answering each delivery (not /__state or /healthz);
     * a stop cuts it short. 0: none. */
    int64_t slow_ms;
    size_t max_body_bytes; /* 0: HR_REFTARGET_MAX_BODY_BYTES */
};

struct hr_reftarget;

/*
 * Starts serving on a daemon thread and returns once the socket is bound
 * and listening. Returns NULL with a reason in err (HR_EXIT_INPUT for bad
 * options, HR_EXIT_INTERNAL when the socket cannot be bound).
 */
struct hr_reftarget *hr_reftarget_start(const struct hr_reftarget_opts *o,
                                        struct hr_err *err);

/* The port actually bound (useful after asking for port 0). */
int hr_reftarget_port(const struct hr_reftarget *t);

/* The bound address as "127.0.0.1:PORT" or "[::1]:PORT" (owned by t). */
const char *hr_reftarget_addr(const struct hr_reftarget *t);

/*
 * The state document described above, as a new NUL-terminated string
 * the caller frees with hr_free; NULL when memory runs out.
 */
char *hr_reftarget_state_json(struct hr_reftarget *t);

/*
 * Stops accepting, wakes answers held back by slow_ms, waits for the
 * daemon's threads and frees everything. t may be NULL.
 */
void hr_reftarget_stop(struct hr_reftarget *t);

#endif
