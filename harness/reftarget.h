/* SPDX-License-Identifier: MIT */
/*
 * Reference webhook consumers, served over HTTP on a loopback address so
 * that tests and `hookreplay demo` have targets: a correct one, a naive
 * one, ones with one flaw each, and ones that reconcile with a provider
 * API shaped like Stripe's.
 *
 * Routes:
 *   POST /, POST /webhooks, POST /webhooks/...   a webhook delivery
 *   GET  /__state                                state as JSON (below)
 *   GET  /healthz                                200 "ok"
 *   POST /admin/backfill                         backfill mode: runs a
 *                                                backfill, answers its
 *                                                counts (404 otherwise)
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
 *            Deployed as one synchronous worker without keep-alive
 *            (gunicorn's default): one request at a time, in arrival
 *            order, each connection closed after its answer. It reads
 *            until the connection ends and applies a body cut off
 *            mid-way (reset, truncated) when it holds an event id. It
 *            sits behind a front server that speaks only HTTP/1.1: any
 *            HTTP/1.0 request is answered 505 and never reaches it.
 *   reserializing: as correct, but verifies the signature over the body
 *            parsed and printed again compactly (JSON.stringify of the
 *            parsed body) instead of the bytes received: fails whenever
 *            the provider's bytes are not compact JSON as cJSON prints it.
 *   ack-all: as correct, but answers 200 to a delivery whose signature
 *            fails, and discards it (counted in "discarded").
 *   fetcher: as correct, but fetches the object from the API on every
 *            new event (GET /v1/<kind>s/<id>) before answering, and keeps
 *            what the API says, not what the event says; a failed fetch
 *            is answered 500 (the provider retries). Never polls:
 *            survives reordering and stale payloads, not dropped events.
 *   backfill: verifies, then writes the event's object into its SQLite
 *            database (see refdb.h) as it comes, ignoring event ids;
 *            POST /admin/backfill pages the customer, subscription and
 *            invoice lists into it and marks rows they no longer hold as
 *            gone. Its state document has no "applied" nor "objects".
 *
 * Correct mode with an API also reconciles, on a thread of its own:
 * after each new event it fetches the object, and every poll_ms it pages
 * the event list (GET /v1/events, newest first; from its start the first
 * time, then ending_before the newest event seen) and applies, oldest
 * first, the events it has not applied. In careful modes an object keeps
 * its newest state: an event created before the newest event applied to
 * it changes nothing (counted in "stale_skipped"); events of the same
 * second apply in the order they come (webhooks) or in list order
 * (polling), and a fetched object replaces whatever came before it.
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
 *    "stale_skipped":N,
 *    "sync":{"polled":N,"fetched":N,"api_calls":N,"api_errors":N,
 *            "backfills":N},     only with an API
 *    "applied":{EVENT_ID:COUNT,...},     in first-applied order
 *    "objects":{OBJECT_ID:{"id":..,"object":KIND,"type":..,"event":..,
 *                          "created":..,"status":..,"deleted":bool,
 *                          "email":..,"fetched":bool,"data":{..}},...}}
 * received == processed + rejected + duplicates_ignored + ignored +
 * discarded once every delivery received so far has been answered or cut
 * off (polled events count in "applied" and sync.polled, not in these).
 * Events without an id (naive mode) count in processed but not in
 * applied.
 * An object's snapshot comes from the event applied to it last (see the
 * version rule above) or from the API; "created" (of that event) and
 * "status" are null when there is none. "object", "status" and "email"
 * are read from /data/object of an event ("status" falling back to
 * /status), or from the fetched object; "data" is that whole object.
 * "deleted" is true when the event type ends in ".deleted" or
 * "_deleted", the object has "deleted": true, or the API answered 404.
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
    HR_REFTARGET_ACK_ALL = 4,
    HR_REFTARGET_FETCHER = 5,
    HR_REFTARGET_BACKFILL = 6,
    HR_REFTARGET_UNIQUE = 7
};

/* How often correct mode with an API polls the event list by default. */
#define HR_REFTARGET_POLL_MS 500

/* Default cap on a delivery body; larger bodies are answered 413. */
#define HR_REFTARGET_MAX_BODY_BYTES (8u * 1024u * 1024u)
/* The naive target's default cap: express.json()'s "100kb". */
#define HR_REFTARGET_NAIVE_BODY_BYTES (100u * 1024u)

/* "correct", "naive", "reserializing", "ack-all", "fetcher",
 * "backfill"; NULL when unknown. */
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
    /* The provider API, "http://127.0.0.1:PORT" (copied; NULL: none).
     * Needed by fetcher and backfill; makes correct mode reconcile. */
    const char *api_url;
    const char *api_key; /* Bearer key for it (copied; NULL: none) */
    int64_t poll_ms;     /* 0: HR_REFTARGET_POLL_MS */
    const char *db_path; /* backfill mode's SQLite file (needed there) */
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
