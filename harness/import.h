/* SPDX-License-Identifier: MIT */
/*
 * Importers: turn provider exports and payload collections into
 * cassettes. Each writes a whole cassette (header and interactions) to
 * a FILE and owns nothing after it returns.
 */
#ifndef HR_IMPORT_H
#define HR_IMPORT_H
#include "util.h"

#include <stdint.h>
#include <stdio.h>

/*
 * Reads GitHub webhook payload examples laid out as DIR/EVENT/NAME.json
 * (the folder name is the X-GitHub-Event value) and writes a cassette to
 * out: endpoint "github" with the github profile, one webhook delivery per
 * file in sorted order, 1000 ms apart, with the headers GitHub sends
 * (signatures excepted: they are made at send time) and the file's exact
 * bytes as the body. Delivery GUIDs are derived from each file's relative
 * path, so the same folder always gives the same bytes.
 * Returns 0, or -1 with err (HR_EXIT_INPUT for a bad folder or payload,
 * HR_EXIT_INTERNAL for memory or write failures).
 */
int hr_import_github(const char *dir, FILE *out, struct hr_err *err);

/*
 * Reads Stripe event objects as the API lists them: pages of
 * GET /v1/events ({"object": "list", "data": [...]}, newest first), JSON
 * arrays of events, or single events, from each file, and writes one
 * cassette of webhook deliveries to out (endpoint "stripe", profile
 * stripe), ordered by created, ties in the order the events happened
 * (for list pages: the reverse of the page order). at_ms keeps the gaps
 * between created times. Bodies are printed as Stripe sends them (two
 * spaces per level) with every string and number as written in the
 * input; a single event file already printed that way is kept byte for
 * byte. Returns 0, or -1 with err.
 */
int hr_import_stripe_events(const char *const *files, size_t n_files, FILE *out,
                            struct hr_err *err);

/*
 * Appends json (len bytes of valid JSON) to b printed as Stripe prints
 * webhook bodies: two spaces per level, ": " after keys, empty
 * containers as {} and []; strings and numbers are copied as written.
 * Returns 0, or -1 when memory runs out.
 */
int hr_stripe_pretty(struct hr_buf *b, const char *json, size_t len);

struct hr_profile;
/*
 * Writes one Stripe webhook delivery line to out: endpoint "stripe",
 * POST /webhooks/stripe with the headers Stripe sends, body as given,
 * and the event block derived by profile p. Returns 0, or -1 with err.
 */
int hr_stripe_write_delivery(FILE *out, const struct hr_profile *p,
                             const char *body, size_t body_len, int64_t seq,
                             int64_t at_ms, struct hr_err *err);

#endif
