/* SPDX-License-Identifier: MIT */
/*
 * One customer's story: its planned steps and the state of its objects,
 * which the objects' renderers read. A story holds no heap memory, so a
 * fixed set of them serves any number of customers.
 */
#ifndef HR_GENERATE_STORY_H
#define HR_GENERATE_STORY_H
#include "generate_stripe.h"

#define STORY_MAX_STEPS 80

struct story_step {
    int64_t at_ms;
    int64_t a, b;
    int kind;
    int c;
};

/* The payment in progress (one at a time per story). */
struct story_payment {
    char pi[32], ch[32], re[32], secret[32];
    int64_t amount;
    int64_t created_s, charge_created_s, refund_created_s;
    const char *description;
    int charged, failed, refunded;
};

/* The subscription's latest invoice. */
struct story_invoice {
    char id[32], line[32], number[32];
    char line_description[96];
    const char *billing_reason;
    const char *status;
    int64_t amount;
    int64_t created_s, finalized_s, paid_s, retry_s;
    int64_t period_start_s, period_end_s;
    int attempts;
};

struct story {
    const struct story_world *w;
    long index; /* which customer, from 0 */
    uint64_t rng;
    struct story_step steps[STORY_MAX_STEPS];
    int n_steps, next;

    char cus[32], pm[32], sub[32], si[32];
    char email[200], prefix[16];
    int first, last;
    int64_t cus_created_s, pm_created_s;
    int exp_month, exp_year;
    int named, pm_attached, charged, inv_seq;

    struct story_payment pay;

    int price;
    const char *sub_status;
    const char *cancel_reason;
    int64_t sub_created_s, period_start_s, period_end_s;
    int64_t prev_start_s, prev_end_s;
    int64_t cancel_at_s, canceled_at_s;
    struct story_invoice inv;
    char latest_invoice[32];   /* the last invoice sent, "" before one */
    char req_id[32], idem[40]; /* the API request events come from */
};

/* Object renderers: new cJSON trees (NULL out of memory). */
cJSON *story_customer(const struct story *st);
cJSON *story_payment_method(const struct story *st);
cJSON *story_payment_intent(const struct story *st, const char *status);
cJSON *story_charge(const struct story *st);
cJSON *story_refund(const struct story *st);
cJSON *story_items(const struct story *st, int price, int64_t start_s,
                   int64_t end_s);
cJSON *story_subscription(const struct story *st);
cJSON *story_invoice(const struct story *st);

#endif
