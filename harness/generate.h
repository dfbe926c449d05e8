/* SPDX-License-Identifier: MIT */
/*
 * Generators: synthetic but valid provider histories of any size,
 * written as cassettes. They stream: memory does not grow with the size
 * asked for, and the same options give the same bytes.
 */
#ifndef HR_GENERATE_H
#define HR_GENERATE_H
#include "util.h"

#include <stdint.h>
#include <stdio.h>

struct hr_story_opts {
    long customers;           /* how many customer stories, >= 1 */
    uint64_t seed;            /* every random choice comes from it */
    int64_t start_s;          /* unix seconds of the first event */
    const char *fixtures_dir; /* NULL: the copies compiled in; else a
                                 folder with openapi-fixtures3.json and
                                 djstripe-fixtures/ */
};

/*
 * Writes a Stripe cassette to out: a catalog prologue (product and
 * prices), then for each customer a story of customer, payment method,
 * one-off payments (some failing, some refunded) and often a monthly
 * subscription with its invoices, renewals, plan changes, dunning and
 * cancellation. Events come in time order; objects take their shapes from
 * Stripe's OpenAPI fixtures and their values from dj-stripe's test
 * objects; every id an object refers to is an object of an earlier event
 * (prices and products included). Returns 0, or -1 with err.
 */
int hr_generate_stripe_story(const struct hr_story_opts *o, FILE *out,
                             struct hr_err *err);

/* The api_version every generated event carries. */
#define HR_STORY_API_VERSION "2025-03-31.basil"

#endif
