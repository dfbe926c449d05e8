/* SPDX-License-Identifier: MIT */
/*
 * One attempt of a planned delivery, made concrete: which transport step
 * it takes (deliver, refuse, reset, ...), the exact body bytes and the
 * header lines, signed at send time. Payload and signature faults, the
 * attacker's canary and new-id duplicates are applied here.
 */
#ifndef HR_ATTEMPT_H
#define HR_ATTEMPT_H
#include "faults.h"
#include "plan.h"
#include "profile.h"
#include "scenario.h"

#include <curl/curl.h>
#include <stdint.h>

struct hr_attempt_req {
    enum hr_step step;
    unsigned char *body; /* owned when body_owned, else the item's */
    size_t body_len;
    int body_owned;
    struct curl_slist *headers; /* owned */
    char *event_id;             /* the id this attempt carries (owned) */
};

/* What an attempt needs to know beyond its item. */
struct hr_attempt_ctx {
    const struct hr_profile *profile;
    const struct hr_target_cfg *target;
    int attempt;                  /* from 1 */
    int64_t now_s;                /* signature timestamp */
    int64_t rebase_s;             /* added to event times; 0: none */
    char *const *rebase_pointers; /* extra pointers to shift (may be 0) */
    size_t n_rebase_pointers;
    const char *retry_reason; /* why the previous attempt failed */
};

/*
 * Builds attempt c->attempt of item x. 0, or -1 with err.
 */
int hr_attempt_build(const struct hr_plan_item *x,
                     const struct hr_attempt_ctx *c, struct hr_attempt_req *out,
                     struct hr_err *err);
void hr_attempt_req_clear(struct hr_attempt_req *r);

/*
 * Appends "name: value" to a libcurl header list ("name;" for an empty
 * value); a name or value holding CR, LF (or a colon in the name) is
 * skipped, so recorded bytes never inject header lines. 0 or -1 (OOM).
 */
int hr_header_line(struct curl_slist **h, const char *name, const char *value);
/* Appends "name:", which tells libcurl not to send a header it would
 * add itself (Expect, Accept). 0 or -1. */
int hr_header_suppress(struct curl_slist **h, const char *name);

/* The id an item's deliveries carry: canary ids, new-id copies. */
char *hr_attempt_event_id(const struct hr_plan_item *x);

#endif
