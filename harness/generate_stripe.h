/* SPDX-License-Identifier: MIT */
/*
 * Inside the Stripe story generator: the fixtures it draws from (the
 * "world") and the event envelope. The world owns every cJSON in it.
 */
#ifndef HR_GENERATE_STRIPE_H
#define HR_GENERATE_STRIPE_H
#include "generate.h"
#include "jsonx.h"

enum story_shape {
    S_CUSTOMER,
    S_PAYMENT_METHOD,
    S_PAYMENT_INTENT,
    S_CHARGE,
    S_REFUND,
    S_SUBSCRIPTION,
    S_INVOICE,
    S_PRODUCT,
    S_PRICE,
    S_PLAN,
    S_EVENT,
    S_COUNT
};

#define STORY_MAX_NAMES 16
#define STORY_PRICES 2

struct story_world {
    cJSON *shape[S_COUNT]; /* OpenAPI shapes, placeholders nulled */
    cJSON *price[STORY_PRICES], *plan[STORY_PRICES], *product;
    cJSON *card;    /* payment_method.card values */
    cJSON *outcome; /* a successful charge's outcome */
    char first[STORY_MAX_NAMES][32], last[STORY_MAX_NAMES][32];
    size_t n_names;
};

/* What an event's envelope needs besides its object. */
struct story_ev {
    char id[32];
    const char *type;
    int64_t created_s;
    char request_id[32];      /* "" for events no API request caused */
    char idempotency_key[40]; /* "" likewise */
};

/* 0, or -1 with err; on failure call story_world_free all the same. */
int story_world_load(struct story_world *w, const char *dir,
                     struct hr_err *err);
void story_world_free(struct story_world *w);

/*
 * Puts v under key (replacing in place, so key order stays as Stripe
 * prints it). Takes v; returns it, or NULL when v was NULL.
 */
cJSON *story_put(cJSON *o, const char *key, cJSON *v);
void story_put_str(cJSON *o, const char *key, const char *s); /* NULL: null */
void story_put_int(cJSON *o, const char *key, int64_t v);
void story_put_null(cJSON *o, const char *key);
void story_put_bool(cJSON *o, const char *key, int v);

/*
 * The body of event e around obj (taken), with prev (taken, may be NULL)
 * as data.previous_attributes, printed as Stripe prints it into out
 * (reset first). Returns 0, or -1 out of memory.
 */
int story_event_body(const struct story_world *w, const struct story_ev *e,
                     cJSON *obj, cJSON *prev, struct hr_buf *out);

#endif
