/* SPDX-License-Identifier: MIT */
/*
 * Reference webhook consumers, served over HTTP on a loopback address so
 * that tests and `hookreplay demo` have targets: a correct one, a naive
 * one, and two with one flaw each.
 *
 * Routes:
 *   POST /, POST /webhooks, POST /webhooks/...   a webhook delivery
 *   GET  /__state                                state as JSON (below)
 *   GET  /healthz                                200 "ok"
 *   anything else                                404 (405 for a known
 *                                                path with another method)
 *
 * Modes and their answers to a delivery:
 *   correct: 413 when the body exceeds max_body_bytes (8 MiB); 415 for a
 *            Content-Encoding other than identity; 400 when the
 *            signature does not verify over the raw bytes, the body is
 *            not JSON (whatever its Content-Type) or yields no event
 *            id; 200 for an event of a type it does not handle
 *            (acknowledged, not applied, counted in "ignored"); 200 for
 *            a duplicate of an applied event id (not applied again);
 *            otherwise 200 and applied. A profile without a signature
 *            scheme is not verified.
 *   naive:   an Express-style handler with a catch-all error handler
 *            that answers 500 to anything thrown: 500 over a 100 kB
 *            body limit (max_body_bytes, when given), 500 for a
 *            Content-Type other than the profile's (its JSON parser did
 *            not run), 500 for a body that is not JSON (compressed ones
 *            included), 500 for a type it does not handle; otherwise
 *            200 and applied again, every time, unverified.
 *   reserializing: as correct, but verifies the signature over the body
 *            parsed and printed again compactly (JSON.stringify of the
 *            parsed body) instead of the bytes received: fails whenever
 *            the provider's bytes are not compact JSON as cJSON prints it.
 *   ack-all: as correct, but answers 200 to a delivery whose signature
 *            fails, and discards it (counted in "discarded").
 *
 * Handled types: see evtypes.h. With the stripe, github and shopify
 * profiles a type outside the provider's documented families (such as
 * hookreplay's "hookreplay.unknown_event") is not handled; with other
 * profiles every type is.
 *
 * State (GET /__state), one JSON object:
 *   {"mode":NAME,"profile":NAME,
 *    "received":N,          every POST delivery, whatever its outcome
 *    "processed":N,         deliveries applied
 *    "rejected":N,          deliveries answered with an error status,
 *                           or cut off before the end of their body
 *    "duplicates_ignored":N,
 *    "ignored":N,           events of unhandled types acknowledged
 *    "discarded":N,         unverified deliveries acknowledged (ack-all)
 *    "applied":{EVENT_ID:COUNT,...},     in first-applied order
 *    "objects":{OBJECT_ID:{"type":..,"event":..,"created":..,
 *                          "status":..,"deleted":bool},...}}
 * received == processed + rejected + duplicates_ignored + ignored +
 * discarded once every delivery received so far has been answered or cut
 * off. Events without an id (naive mode) count in processed but not in
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

enum hr_reftarget_mode {
    HR_REFTARGET_CORRECT = 1,
    HR_REFTARGET_NAIVE = 2,
    HR_REFTARGET_RESERIALIZING = 3,
    HR_REFTARGET_ACK_ALL = 4
};

/* Default cap on a delivery body; larger bodies are answered 413. */
#define HR_REFTARGET_MAX_BODY_BYTES (8u * 1024u * 1024u)
/* The naive target's default cap: express.json()'s "100kb". */
#define HR_REFTARGET_NAIVE_BODY_BYTES (100u * 1024u)

/* "correct", "naive", "reserializing", "ack-all"; NULL when unknown. */
const char *hr_reftarget_mode_name(int mode);
/* The mode named name, or 0 when there is none. */
int hr_reftarget_mode_from_name(const char *name);

struct hr_reftarget_opts {
    int mode; /* enum hr_reftarget_mode */
    /* Borrowed: must outlive the target. Its scheme and tolerance_s
     * drive verification; its event rules derive ids, types, objects. */
    const struct hr_profile *profile;
    /* Copied at start. At least one is needed in every mode but naive
     * (unless the profile has no scheme); any of them verifies
     * (rotation). Ignored in naive mode. */
    const char *const *secrets;
    size_t n_secrets;
    /* "IPV4:PORT" or "[IPV6]:PORT", literals only (no name lookup);
     * NULL means "127.0.0.1:0". Port 0 picks a free port. */
    const char *listen_addr;
    /* Delay before answering each delivery (not /__state or /healthz);
     * a stop cuts it short. 0: none. */
    int64_t slow_ms;
    /* 0: HR_REFTARGET_NAIVE_BODY_BYTES in naive mode, else
     * HR_REFTARGET_MAX_BODY_BYTES */
    size_t max_body_bytes;
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
