/* SPDX-License-Identifier: MIT */
/* Stripe stories: plans each customer's events and streams them in time
 * order, a bounded set of customers at a time. */
#include "generate_story.h"
#include "import.h"
#include "profile.h"
#include "cassette.h"

#include <string.h>
#include <time.h>

/* Customers whose stories run at once; memory is bounded by it. */
#define STORY_SLOTS 1024

#define SEC 1000LL
#define MIN (60 * SEC)
#define HOUR (60 * MIN)
#define DAY (24 * HOUR)

enum kind {
    K_PRODUCT,
    K_PRICE,
    K_CUS_CREATED,
    K_PM_ATTACHED,
    K_CUS_UPDATED,
    K_PI_CREATED,
    K_CH_SUCCEEDED,
    K_PI_SUCCEEDED,
    K_CH_FAILED,
    K_PI_FAILED,
    K_RE_CREATED,
    K_CH_REFUNDED,
    K_SUB_CREATED,
    K_INV_CREATED,
    K_INV_FINALIZED,
    K_INV_PAID,
    K_INV_PAY_OK,
    K_INV_PAY_FAILED,
    K_SUB_RENEWED,
    K_SUB_PRICE,
    K_SUB_PAST_DUE,
    K_SUB_CANCEL_AT,
    K_SUB_DELETED
};

static const char *const type_of[] = {"product.created",
                                      "price.created",
                                      "customer.created",
                                      "payment_method.attached",
                                      "customer.updated",
                                      "payment_intent.created",
                                      "charge.succeeded",
                                      "payment_intent.succeeded",
                                      "charge.failed",
                                      "payment_intent.payment_failed",
                                      "refund.created",
                                      "charge.refunded",
                                      "customer.subscription.created",
                                      "invoice.created",
                                      "invoice.finalized",
                                      "invoice.paid",
                                      "invoice.payment_succeeded",
                                      "invoice.payment_failed",
                                      "customer.subscription.updated",
                                      "customer.subscription.updated",
                                      "customer.subscription.updated",
                                      "customer.subscription.updated",
                                      "customer.subscription.deleted"};

/* Purposes of a payment (step c of K_PI_CREATED). */
static const char *const pay_purpose[] = {NULL, "Subscription creation",
                                          "Subscription update"};

static uint64_t mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static uint64_t next64(uint64_t *s)
{
    *s += 0x9e3779b97f4a7c15ULL;
    return mix64(*s);
}

/* Uniform in [lo, hi]. */
static int64_t range(uint64_t *s, int64_t lo, int64_t hi)
{
    return lo + (int64_t)(next64(s) % (uint64_t)(hi - lo + 1));
}

static int chance(uint64_t *s, int percent)
{
    return (int)(next64(s) % 100) < percent;
}

/* prefix + n random base62 characters, as Stripe ids look. */
static void make_id(char *out, size_t cap, const char *prefix, int n,
                    uint64_t *s)
{
    static const char b62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                              "abcdefghijklmnopqrstuvwxyz";
    size_t k = strlen(prefix);
    int i;

    memcpy(out, prefix, k + 1);
    for (i = 0; i < n && k + 1 < cap; i++)
        out[k++] = b62[next64(s) % 62];
    out[k] = '\0';
}

static void make_uuid(char *out, uint64_t *s)
{
    uint64_t a = next64(s), b = next64(s);

    snprintf(out, 40, "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(a >> 32),
             (unsigned)(a >> 16) & 0xffff, (unsigned)a & 0xfff,
             (unsigned)(0x8000 | ((b >> 48) & 0x3fff)),
             (unsigned long long)(b & 0xffffffffffffULL));
}

/* The same day of the next month (clamped by timegm's normalizing). */
static int64_t add_month(int64_t t_s)
{
    time_t t = (time_t)t_s;
    struct tm tm;

    gmtime_r(&t, &tm);
    tm.tm_mon++;
    if (tm.tm_mday > 28)
        tm.tm_mday = 28;
    return (int64_t)timegm(&tm);
}

static void add(struct story *st, int64_t at_ms, int kind, int64_t a, int64_t b,
                int c)
{
    struct story_step *s;

    if (st->n_steps >= STORY_MAX_STEPS)
        return; /* plans are sized to fit; never reached */
    s = &st->steps[st->n_steps++];
    s->at_ms = at_ms;
    s->kind = kind;
    s->a = a;
    s->b = b;
    s->c = c;
}

static int64_t plan_payment(struct story *st, int64_t t, int64_t amount,
                            int purpose, int ok)
{
    uint64_t *r = &st->rng;

    add(st, t, K_PI_CREATED, amount, 0, purpose);
    t += range(r, 1500, 6000);
    add(st, t, ok ? K_CH_SUCCEEDED : K_CH_FAILED, 0, 0, 0);
    t += range(r, 50, 400);
    add(st, t, ok ? K_PI_SUCCEEDED : K_PI_FAILED, 0, 0, 0);
    return t;
}

static int64_t plan_purchases(struct story *st, int64_t t)
{
    uint64_t *r = &st->rng;
    int n = (int)range(r, 0, 2), i;

    for (i = 0; i < n; i++) {
        int ok = chance(r, 88);

        t = plan_payment(st, t + range(r, 10 * MIN, 3 * DAY),
                         range(r, 2, 80) * 250, 0, ok);
        if (ok && chance(r, 15)) {
            t += range(r, DAY, 10 * DAY);
            add(st, t, K_RE_CREATED, 0, 0, 0);
            t += range(r, 100, 600);
            add(st, t, K_CH_REFUNDED, 0, 0, 0);
        }
    }
    return t;
}

/* An invoice from creation to payment; returns 1 when payment failed. */
static int plan_invoice(struct story *st, int64_t *t, int cycle, int ok)
{
    uint64_t *r = &st->rng;

    add(st, *t += range(r, 100, 900), K_INV_CREATED, cycle, 0, 0);
    *t += cycle ? range(r, HOUR, HOUR + 10 * MIN) : range(r, 100, 900);
    add(st, *t, K_INV_FINALIZED, 0, 0, 0);
    *t = plan_payment(st, *t + range(r, 100, 900), 0, cycle ? 2 : 1, ok);
    if (!ok) {
        add(st, *t += range(r, 50, 500), K_INV_PAY_FAILED, 0, 0, 0);
        add(st, *t += range(r, 50, 500), K_SUB_PAST_DUE, 0, 0, 0);
        return 1;
    }
    add(st, *t += range(r, 50, 500), K_INV_PAID, 0, 0, 0);
    add(st, *t += range(r, 1, 50), K_INV_PAY_OK, 0, 0, 0);
    return 0;
}

static void plan_subscription(struct story *st, int64_t t)
{
    uint64_t *r = &st->rng;
    int price = (int)range(r, 0, STORY_PRICES - 1);
    int renewals = (int)range(r, 0, 3), k;
    int64_t ps, pe;

    t += range(r, 5 * MIN, 2 * DAY);
    ps = t / SEC;
    pe = add_month(ps);
    add(st, t, K_SUB_CREATED, ps, pe, price);
    plan_invoice(st, &t, 0, 1);
    for (k = 0; k < renewals; k++) {
        int64_t change = t + range(r, DAY, 20 * DAY);

        if (chance(r, 20) && change < pe * SEC - HOUR)
            add(st, t = change, K_SUB_PRICE, 0, 0, price = 1 - price);
        ps = pe;
        pe = add_month(ps);
        t = ps * SEC + range(r, 0, MIN);
        add(st, t, K_SUB_RENEWED, ps, pe, 0);
        if (plan_invoice(st, &t, 1, chance(r, 90))) {
            add(st, t + range(r, 3 * DAY, 7 * DAY), K_SUB_DELETED, 0, 0, 1);
            return;
        }
    }
    if (chance(r, 35)) {
        int64_t at = t + range(r, DAY, 20 * DAY);

        if (at > pe * SEC - HOUR)
            at = t + range(r, SEC, MIN);
        add(st, at, K_SUB_CANCEL_AT, pe, 0, 0);
        add(st, pe * SEC + range(r, 0, MIN), K_SUB_DELETED, 0, 0, 0);
    }
}

static void plan_story(struct story *st, int64_t t0)
{
    uint64_t *r = &st->rng;
    int64_t t = t0;

    add(st, t, K_CUS_CREATED, 0, 0, 0);
    add(st, t += range(r, 2 * SEC, 40 * SEC), K_PM_ATTACHED, 0, 0, 0);
    if (chance(r, 30))
        add(st, t += range(r, HOUR, 5 * DAY), K_CUS_UPDATED, 0, 0, 0);
    t = plan_purchases(st, t);
    if (chance(r, 60))
        plan_subscription(st, t);
}

static void lower(char *s)
{
    for (; *s; s++)
        if (*s >= 'A' && *s <= 'Z')
            *s = (char)(*s - 'A' + 'a');
}

static void begin_story(struct story *st, const struct story_world *w,
                        uint64_t seed, long index, int64_t t0_ms)
{
    static const char *const domains[] = {"example.com", "thewall.com"};
    char local[160];
    time_t t = (time_t)(t0_ms / SEC);
    struct tm tm;

    memset(st, 0, sizeof(*st));
    st->w = w;
    st->index = index;
    st->rng = mix64(seed ^ mix64((uint64_t)index + 1));
    st->first = (int)range(&st->rng, 0, (int64_t)w->n_names - 1);
    st->last = (int)range(&st->rng, 0, (int64_t)w->n_names - 1);
    snprintf(local, sizeof(local), "%s.%s.%ld", w->first[st->first],
             w->last[st->last], index + 1);
    lower(local);
    snprintf(st->email, sizeof(st->email), "%s@%s", local,
             domains[range(&st->rng, 0, 1)]);
    snprintf(st->prefix, sizeof(st->prefix), "%08llX",
             (unsigned long long)(next64(&st->rng) & 0xffffffffULL));
    make_id(st->cus, sizeof(st->cus), "cus_", 14, &st->rng);
    make_id(st->pm, sizeof(st->pm), "pm_1", 23, &st->rng);
    gmtime_r(&t, &tm);
    st->exp_month = (int)range(&st->rng, 1, 12);
    st->exp_year = tm.tm_year + 1900 + (int)range(&st->rng, 2, 5);
    plan_story(st, t0_ms);
}

/* Everything one generation run holds. */
struct gen {
    const struct story_world *w;
    struct hr_profile *profile;
    FILE *out;
    struct hr_buf body;
    uint64_t seed, arrivals;
    int64_t start_ms, last_arrival_ms, last_ms, seq;
    long customers, begun;
    struct story *slots;
    struct story **heap;
    size_t n_heap;
};

static int64_t key_ms(const struct story *s)
{
    return s->steps[s->next].at_ms;
}

static int before(const struct story *a, const struct story *b)
{
    if (key_ms(a) != key_ms(b))
        return key_ms(a) < key_ms(b);
    return a->index < b->index;
}

static void sift_down(struct gen *g, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        struct story *tmp;

        if (l < g->n_heap && before(g->heap[l], g->heap[m]))
            m = l;
        if (l + 1 < g->n_heap && before(g->heap[l + 1], g->heap[m]))
            m = l + 1;
        if (m == i)
            return;
        tmp = g->heap[i];
        g->heap[i] = g->heap[m];
        g->heap[m] = tmp;
        i = m;
    }
}

static void sift_up(struct gen *g, size_t i)
{
    while (i > 0 && before(g->heap[i], g->heap[(i - 1) / 2])) {
        struct story *tmp = g->heap[i];

        g->heap[i] = g->heap[(i - 1) / 2];
        g->heap[(i - 1) / 2] = tmp;
        i = (i - 1) / 2;
    }
}

/* Starts the next customer in slot st, arriving after the last one. */
static void arrive(struct gen *g, struct story *st)
{
    int64_t t = g->last_arrival_ms + range(&g->arrivals, 20 * SEC, 15 * MIN);

    if (t <= g->last_ms)
        t = g->last_ms + range(&g->arrivals, 1, 30 * SEC);
    g->last_arrival_ms = t;
    begin_story(st, g->w, g->seed, g->begun++, t);
}

/* Kinds that begin an API request; others share the last request's
 * ids, and the automatic ones have none. */
static void request_ids(struct story *st, int kind)
{
    switch (kind) {
    case K_PRODUCT:
    case K_PRICE:
    case K_CUS_CREATED:
    case K_PM_ATTACHED:
    case K_CUS_UPDATED:
    case K_RE_CREATED:
    case K_SUB_CREATED:
    case K_SUB_PRICE:
    case K_SUB_CANCEL_AT:
        make_id(st->req_id, sizeof(st->req_id), "req_", 14, &st->rng);
        make_uuid(st->idem, &st->rng);
        break;
    case K_PI_CREATED:
        if (st->steps[st->next].c == 0) {
            make_id(st->req_id, sizeof(st->req_id), "req_", 14, &st->rng);
            make_uuid(st->idem, &st->rng);
        }
        break;
    case K_SUB_RENEWED:
    case K_SUB_DELETED:
        st->req_id[0] = st->idem[0] = '\0';
        break;
    default:
        break;
    }
}

static cJSON *prev_of(const char *key, cJSON *v)
{
    cJSON *o = cJSON_CreateObject();

    if (o)
        story_put(o, key, v);
    else
        cJSON_Delete(v);
    return o;
}

static int64_t unit_amount(const struct story *st)
{
    int64_t v = 0;

    hr_json_int64(cJSON_GetObjectItemCaseSensitive(st->w->price[st->price],
                                                   "unit_amount"),
                  &v);
    return v;
}

static void new_payment(struct story *st, const struct story_step *s)
{
    memset(&st->pay, 0, sizeof(st->pay));
    make_id(st->pay.pi, sizeof(st->pay.pi), "pi_3", 23, &st->rng);
    make_id(st->pay.ch, sizeof(st->pay.ch), "ch_3", 23, &st->rng);
    make_id(st->pay.re, sizeof(st->pay.re), "re_3", 23, &st->rng);
    make_id(st->pay.secret, sizeof(st->pay.secret), "", 25, &st->rng);
    st->pay.amount = s->a ? s->a : st->inv.amount;
    st->pay.created_s = s->at_ms / SEC;
    st->pay.description = pay_purpose[s->c];
}

/* The invoice the subscription will bill next (emitted later). */
static void new_invoice(struct story *st)
{
    const cJSON *name =
        cJSON_GetObjectItemCaseSensitive(st->w->product, "name");
    int64_t amount = unit_amount(st);

    memset(&st->inv, 0, sizeof(st->inv));
    make_id(st->inv.id, sizeof(st->inv.id), "in_1", 23, &st->rng);
    make_id(st->inv.line, sizeof(st->inv.line), "il_1", 23, &st->rng);
    st->inv.amount = amount;
    snprintf(st->inv.line_description, sizeof(st->inv.line_description),
             "1 \xc3\x97 %s (at $%lld.%02lld / month)",
             cJSON_IsString(name) ? name->valuestring : "Product",
             (long long)(amount / 100), (long long)(amount % 100));
}

static cJSON *emit_customer(struct story *st, const struct story_step *s,
                            cJSON **prev)
{
    int64_t now = s->at_ms / SEC;

    if (s->kind == K_CUS_CREATED) {
        st->cus_created_s = now;
    } else if (s->kind == K_PM_ATTACHED) {
        st->pm_created_s = now;
        st->pm_attached = 1;
        return story_payment_method(st);
    } else {
        *prev = prev_of("name", cJSON_CreateNull());
        st->named = 1;
    }
    return story_customer(st);
}

static cJSON *emit_payment(struct story *st, const struct story_step *s,
                           cJSON **prev)
{
    int64_t now = s->at_ms / SEC;

    switch (s->kind) {
    case K_PI_CREATED:
        new_payment(st, s);
        return story_payment_intent(st, "requires_payment_method");
    case K_CH_FAILED:
        st->pay.failed = 1;
        /* fall through */
    case K_CH_SUCCEEDED:
        st->pay.charged = st->charged = 1;
        st->pay.charge_created_s = now;
        return story_charge(st);
    case K_PI_SUCCEEDED:
        return story_payment_intent(st, "succeeded");
    case K_PI_FAILED:
        return story_payment_intent(st, "requires_payment_method");
    case K_RE_CREATED:
        st->pay.refunded = 1;
        st->pay.refund_created_s = now;
        return story_refund(st);
    default:
        *prev = prev_of("amount_refunded", cJSON_CreateNumber(0));
        if (*prev)
            story_put_bool(*prev, "refunded", 0);
        return story_charge(st);
    }
}

static cJSON *emit_invoice(struct story *st, const struct story_step *s)
{
    struct story_invoice *in = &st->inv;
    int64_t now = s->at_ms / SEC;

    switch (s->kind) {
    case K_INV_CREATED:
        memcpy(st->latest_invoice, in->id, sizeof(st->latest_invoice));
        in->created_s = now;
        in->status = "draft";
        in->billing_reason =
            s->a ? "subscription_cycle" : "subscription_create";
        in->period_start_s = s->a ? st->prev_start_s : now;
        in->period_end_s = s->a ? st->prev_end_s : now;
        break;
    case K_INV_FINALIZED:
        snprintf(in->number, sizeof(in->number), "%s-%04d", st->prefix,
                 ++st->inv_seq);
        in->status = "open";
        in->finalized_s = now;
        break;
    case K_INV_PAY_FAILED:
        in->attempts = 1;
        in->retry_s = now + 3 * 24 * 3600;
        break;
    case K_INV_PAID:
        in->status = "paid";
        in->paid_s = now;
        in->attempts = 1;
        break;
    default:
        break;
    }
    return story_invoice(st);
}

static cJSON *emit_subscription(struct story *st, const struct story_step *s,
                                cJSON **prev)
{
    int64_t now = s->at_ms / SEC;

    switch (s->kind) {
    case K_SUB_CREATED:
        make_id(st->sub, sizeof(st->sub), "sub_1", 23, &st->rng);
        make_id(st->si, sizeof(st->si), "si_", 14, &st->rng);
        st->sub_created_s = now;
        st->period_start_s = s->a;
        st->period_end_s = s->b;
        st->price = s->c;
        st->sub_status = "active";
        new_invoice(st);
        break;
    case K_SUB_RENEWED:
        *prev = prev_of("items", story_items(st, st->price, st->period_start_s,
                                             st->period_end_s));
        st->prev_start_s = st->period_start_s;
        st->prev_end_s = st->period_end_s;
        st->period_start_s = s->a;
        st->period_end_s = s->b;
        new_invoice(st);
        break;
    case K_SUB_PRICE:
        *prev = prev_of("items", story_items(st, st->price, st->period_start_s,
                                             st->period_end_s));
        st->price = s->c;
        break;
    case K_SUB_PAST_DUE:
        *prev = prev_of("status", cJSON_CreateString(st->sub_status));
        st->sub_status = "past_due";
        break;
    case K_SUB_CANCEL_AT:
        *prev = prev_of("cancel_at", cJSON_CreateNull());
        if (*prev)
            story_put_bool(*prev, "cancel_at_period_end", 0);
        st->cancel_at_s = s->a;
        st->cancel_reason = "cancellation_requested";
        break;
    default:
        st->sub_status = "canceled";
        st->canceled_at_s = now;
        st->cancel_reason = s->c ? "payment_failed" : "cancellation_requested";
        break;
    }
    return story_subscription(st);
}

static cJSON *emit_object(struct story *st, const struct story_step *s,
                          cJSON **prev)
{
    if (s->kind == K_PRODUCT)
        return cJSON_Duplicate(st->w->product, 1);
    if (s->kind == K_PRICE)
        return cJSON_Duplicate(st->w->price[s->c], 1);
    if (s->kind <= K_CUS_UPDATED)
        return emit_customer(st, s, prev);
    if (s->kind <= K_CH_REFUNDED)
        return emit_payment(st, s, prev);
    if (s->kind == K_SUB_CREATED || s->kind >= K_SUB_RENEWED)
        return emit_subscription(st, s, prev);
    return emit_invoice(st, s);
}

/* Writes the story's next step as one delivery. */
static int emit(struct gen *g, struct story *st, struct hr_err *err)
{
    const struct story_step *s = &st->steps[st->next];
    struct story_ev e;
    cJSON *prev = NULL, *obj;

    memset(&e, 0, sizeof(e));
    request_ids(st, s->kind);
    make_id(e.id, sizeof(e.id), "evt_1", 23, &st->rng);
    e.type = type_of[s->kind];
    e.created_s = s->at_ms / SEC;
    memcpy(e.request_id, st->req_id, sizeof(e.request_id));
    memcpy(e.idempotency_key, st->idem, sizeof(e.idempotency_key));
    obj = emit_object(st, s, &prev);
    if (story_event_body(g->w, &e, obj, prev, &g->body))
        return hr_errf(err, HR_EXIT_INTERNAL, "out of memory");
    g->last_ms = s->at_ms;
    return hr_stripe_write_delivery(g->out, g->profile, g->body.data,
                                    g->body.len, ++g->seq,
                                    s->at_ms - g->start_ms, err);
}

/* The catalog every story's subscription refers to. */
static int emit_prologue(struct gen *g, struct hr_err *err)
{
    struct story cat;
    int i, rc = 0;

    memset(&cat, 0, sizeof(cat));
    cat.w = g->w;
    cat.index = -1;
    cat.rng = mix64(g->seed ^ 0x5eedULL);
    add(&cat, g->start_ms, K_PRODUCT, 0, 0, 0);
    for (i = 0; i < STORY_PRICES; i++)
        add(&cat, g->start_ms + 1 + i, K_PRICE, 0, 0, i);
    for (; rc == 0 && cat.next < cat.n_steps; cat.next++)
        rc = emit(g, &cat, err);
    return rc;
}

static void pop_or_refill(struct gen *g)
{
    struct story *st = g->heap[0];

    if (++st->next < st->n_steps) {
        sift_down(g, 0);
    } else if (g->begun < g->customers) {
        arrive(g, st);
        sift_down(g, 0);
    } else {
        g->heap[0] = g->heap[--g->n_heap];
        sift_down(g, 0);
    }
}

static int stream(struct gen *g, struct hr_err *err)
{
    size_t n = g->customers < STORY_SLOTS ? (size_t)g->customers : STORY_SLOTS;
    size_t i;
    int rc = emit_prologue(g, err);

    g->slots = hr_calloc(n, sizeof(*g->slots));
    g->heap = hr_calloc(n, sizeof(*g->heap));
    if (rc == 0 && (!g->slots || !g->heap))
        rc = hr_errf(err, HR_EXIT_INTERNAL, "out of memory");
    g->last_arrival_ms = g->last_ms;
    for (i = 0; rc == 0 && i < n; i++) {
        arrive(g, &g->slots[i]);
        g->heap[g->n_heap++] = &g->slots[i];
        sift_up(g, g->n_heap - 1);
    }
    while (rc == 0 && g->n_heap > 0) {
        rc = emit(g, g->heap[0], err);
        pop_or_refill(g);
    }
    hr_free(g->slots);
    hr_free(g->heap);
    return rc;
}

/* The catalog's times are the story's start, not dj-stripe's. */
static void date_catalog(struct story_world *w, int64_t start_s)
{
    int i;

    story_put_int(w->product, "created", start_s);
    story_put_int(w->product, "updated", start_s);
    for (i = 0; i < STORY_PRICES; i++) {
        story_put_int(w->price[i], "created", start_s);
        story_put_int(w->plan[i], "created", start_s);
    }
}

int hr_generate_stripe_story(const struct hr_story_opts *o, FILE *out,
                             struct hr_err *err)
{
    struct story_world w;
    struct gen g;
    int rc;

    if (o->customers < 1)
        return hr_errf(err, HR_EXIT_INPUT, "--customers must be at least 1");
    memset(&g, 0, sizeof(g));
    rc = story_world_load(&w, o->fixtures_dir, err);
    if (rc == 0) {
        date_catalog(&w, o->start_s);
        g.w = &w;
        g.out = out;
        g.seed = o->seed;
        g.arrivals = mix64(o->seed ^ 0xa11ULL);
        g.start_ms = o->start_s * SEC;
        g.last_ms = g.start_ms;
        g.customers = o->customers;
        hr_buf_init(&g.body, 0);
        g.profile = hr_profile_load("stripe", NULL, err);
        rc = g.profile ? 0 : -1;
        if (rc == 0)
            rc = hr_cassette_write_single_header(out, "stripe", "stripe",
                                                 "generate stripe-story", err);
    }
    if (rc == 0)
        rc = stream(&g, err);
    hr_buf_free(&g.body);
    hr_profile_free(g.profile);
    story_world_free(&w);
    return rc;
}
