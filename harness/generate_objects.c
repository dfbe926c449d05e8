/* SPDX-License-Identifier: MIT */
/* Stripe objects of one customer's story, as they stand at each event. */
#include "generate_story.h"

#include <stdio.h>
#include <string.h>

static cJSON *dup(const struct story_world *w, enum story_shape s)
{
    return cJSON_Duplicate(w->shape[s], 1);
}

static void full_name(const struct story *st, char *out, size_t cap)
{
    snprintf(out, cap, "%s %s", st->w->first[st->first], st->w->last[st->last]);
}

cJSON *story_customer(const struct story *st)
{
    cJSON *o = dup(st->w, S_CUSTOMER), *is;
    char name[80];

    if (!o)
        return NULL;
    full_name(st, name, sizeof(name));
    story_put_str(o, "id", st->cus);
    story_put_int(o, "created", st->cus_created_s);
    story_put_str(o, "currency", st->charged ? "usd" : NULL);
    story_put_str(o, "description", name);
    story_put_str(o, "email", st->email);
    story_put_str(o, "invoice_prefix", st->prefix);
    story_put_str(o, "name", st->named ? name : NULL);
    story_put_int(o, "next_invoice_sequence", st->inv_seq + 1);
    is = cJSON_GetObjectItemCaseSensitive(o, "invoice_settings");
    if (is)
        story_put_str(is, "default_payment_method",
                      st->pm_attached ? st->pm : NULL);
    return o;
}

static void billing_details(const struct story *st, cJSON *o)
{
    cJSON *bd = cJSON_GetObjectItemCaseSensitive(o, "billing_details");
    char name[80];

    if (!bd)
        return;
    full_name(st, name, sizeof(name));
    story_put_str(bd, "email", st->email);
    story_put_str(bd, "name", name);
    story_put_null(bd, "phone");
}

cJSON *story_payment_method(const struct story *st)
{
    cJSON *o = dup(st->w, S_PAYMENT_METHOD), *card;

    if (!o)
        return NULL;
    story_put_str(o, "id", st->pm);
    story_put_int(o, "created", st->pm_created_s);
    story_put_str(o, "customer", st->cus);
    billing_details(st, o);
    card = cJSON_GetObjectItemCaseSensitive(o, "card");
    if (card) {
        story_put_int(card, "exp_month", st->exp_month);
        story_put_int(card, "exp_year", st->exp_year);
    }
    return o;
}

cJSON *story_payment_intent(const struct story *st, const char *status)
{
    cJSON *o = dup(st->w, S_PAYMENT_INTENT), *err;
    char secret[80];

    if (!o)
        return NULL;
    snprintf(secret, sizeof(secret), "%s_secret_%s", st->pay.pi,
             st->pay.secret);
    story_put_str(o, "id", st->pay.pi);
    story_put_int(o, "amount", st->pay.amount);
    story_put_int(o, "amount_capturable", 0);
    story_put_int(o, "amount_received",
                  strcmp(status, "succeeded") ? 0 : st->pay.amount);
    story_put_str(o, "client_secret", secret);
    story_put_int(o, "created", st->pay.created_s);
    story_put_str(o, "customer", st->cus);
    story_put_str(o, "description", st->pay.description);
    story_put_str(o, "latest_charge", st->pay.charged ? st->pay.ch : NULL);
    story_put_str(o, "payment_method", st->pm);
    story_put_str(o, "status", status);
    if (st->pay.failed) {
        err = story_put(o, "last_payment_error", cJSON_CreateObject());
        if (err) {
            story_put_str(err, "charge", st->pay.ch);
            story_put_str(err, "code", "card_declined");
            story_put_str(err, "decline_code", "generic_decline");
            story_put_str(err, "doc_url",
                          "https://stripe.com/docs/error-codes/"
                          "card-declined");
            story_put_str(err, "message", "Your card was declined.");
            story_put_str(err, "type", "card_error");
        }
    }
    return o;
}

static cJSON *declined_outcome(void)
{
    cJSON *o = cJSON_CreateObject();

    if (!o)
        return NULL;
    story_put_str(o, "network_status", "declined_by_network");
    story_put_str(o, "reason", "generic_decline");
    story_put_str(o, "risk_level", "normal");
    story_put_int(o, "risk_score", 31);
    story_put_str(o, "seller_message",
                  "The bank did not return any further details with "
                  "this decline.");
    story_put_str(o, "type", "issuer_declined");
    return o;
}

static void card_details(const struct story *st, cJSON *ch)
{
    cJSON *pmd = cJSON_GetObjectItemCaseSensitive(ch, "payment_method_details");
    cJSON *card = cJSON_GetObjectItemCaseSensitive(pmd, "card");
    const char *copy[] = {"brand",   "country", "fingerprint",
                          "funding", "last4",   NULL};
    size_t i;

    if (!card)
        return;
    for (i = 0; copy[i]; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(st->w->card, copy[i]);
        if (v)
            story_put(card, copy[i], cJSON_Duplicate(v, 1));
    }
    story_put_int(card, "exp_month", st->exp_month);
    story_put_int(card, "exp_year", st->exp_year);
    story_put_int(card, "amount_authorized",
                  st->pay.failed ? 0 : st->pay.amount);
    story_put_null(card, "installments");
    story_put_null(card, "wallet");
    story_put_null(card, "three_d_secure");
    story_put_null(card, "overcapture");
}

static cJSON *refund_list(const struct story *st)
{
    cJSON *l = cJSON_CreateObject(), *data;
    char url[80];

    if (!l)
        return NULL;
    snprintf(url, sizeof(url), "/v1/charges/%s/refunds", st->pay.ch);
    story_put_str(l, "object", "list");
    data = story_put(l, "data", cJSON_CreateArray());
    if (data && st->pay.refunded)
        cJSON_AddItemToArray(data, story_refund(st));
    story_put_bool(l, "has_more", 0);
    story_put_int(l, "total_count", st->pay.refunded ? 1 : 0);
    story_put_str(l, "url", url);
    return l;
}

cJSON *story_charge(const struct story *st)
{
    cJSON *o = dup(st->w, S_CHARGE);
    int ok = !st->pay.failed;
    char name[80];

    if (!o)
        return NULL;
    full_name(st, name, sizeof(name));
    story_put_str(o, "id", st->pay.ch);
    story_put_int(o, "amount", st->pay.amount);
    story_put_int(o, "amount_captured", ok ? st->pay.amount : 0);
    story_put_int(o, "amount_refunded", st->pay.refunded ? st->pay.amount : 0);
    billing_details(st, o);
    story_put_str(o, "calculated_statement_descriptor", "Stripe");
    story_put_bool(o, "captured", ok);
    story_put_int(o, "created", st->pay.charge_created_s);
    story_put_str(o, "customer", st->cus);
    story_put_str(o, "description", st->pay.description);
    story_put_str(o, "failure_code", ok ? NULL : "card_declined");
    story_put_str(o, "failure_message", ok ? NULL : "Your card was declined.");
    story_put(o, "outcome",
              ok ? cJSON_Duplicate(st->w->outcome, 1) : declined_outcome());
    story_put_bool(o, "paid", ok);
    story_put_str(o, "payment_intent", st->pay.pi);
    story_put_str(o, "payment_method", st->pm);
    card_details(st, o);
    story_put_bool(o, "refunded", st->pay.refunded);
    story_put(o, "refunds", refund_list(st));
    story_put_str(o, "status", ok ? "succeeded" : "failed");
    return o;
}

cJSON *story_refund(const struct story *st)
{
    cJSON *o = dup(st->w, S_REFUND);

    if (!o)
        return NULL;
    story_put_str(o, "id", st->pay.re);
    story_put_int(o, "amount", st->pay.amount);
    story_put_str(o, "charge", st->pay.ch);
    story_put_int(o, "created", st->pay.refund_created_s);
    story_put_str(o, "payment_intent", st->pay.pi);
    story_put_str(o, "reason", "requested_by_customer");
    story_put_str(o, "status", "succeeded");
    story_put_null(o, "customer");
    story_put_null(o, "payment_method");
    return o;
}

/* The subscription's items as they were with price p over a period. */
cJSON *story_items(const struct story *st, int p, int64_t start_s,
                   int64_t end_s)
{
    const cJSON *shape =
        cJSON_GetObjectItemCaseSensitive(st->w->shape[S_SUBSCRIPTION], "items");
    cJSON *l = cJSON_Duplicate(shape, 1);
    cJSON *it =
        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(l, "data"), 0);
    char url[96];

    if (!l || !it) {
        cJSON_Delete(l);
        return NULL;
    }
    snprintf(url, sizeof(url), "/v1/subscription_items?subscription=%s",
             st->sub);
    story_put_str(it, "id", st->si);
    story_put_int(it, "created", st->sub_created_s);
    story_put(it, "price", cJSON_Duplicate(st->w->price[p], 1));
    story_put(it, "plan", cJSON_Duplicate(st->w->plan[p], 1));
    story_put_int(it, "quantity", 1);
    story_put_str(it, "subscription", st->sub);
    story_put_int(it, "current_period_start", start_s);
    story_put_int(it, "current_period_end", end_s);
    story_put_null(it, "billing_thresholds");
    story_put_int(l, "total_count", 1);
    story_put_str(l, "url", url);
    return l;
}

static cJSON *cancellation(const struct story *st)
{
    cJSON *c = cJSON_CreateObject();

    if (!c)
        return NULL;
    story_put_null(c, "comment");
    story_put_null(c, "feedback");
    story_put_str(c, "reason", st->cancel_reason);
    return c;
}

cJSON *story_subscription(const struct story *st)
{
    cJSON *o = dup(st->w, S_SUBSCRIPTION), *ps;

    if (!o)
        return NULL;
    story_put_str(o, "id", st->sub);
    story_put_int(o, "billing_cycle_anchor", st->sub_created_s);
    story_put_int(o, "created", st->sub_created_s);
    story_put_int(o, "start_date", st->sub_created_s);
    story_put_str(o, "customer", st->cus);
    story_put_str(o, "default_payment_method", st->pm);
    story_put(o, "items",
              story_items(st, st->price, st->period_start_s, st->period_end_s));
    story_put_str(o, "latest_invoice",
                  st->latest_invoice[0] ? st->latest_invoice : NULL);
    story_put_str(o, "status", st->sub_status);
    story_put_bool(o, "cancel_at_period_end", st->cancel_at_s != 0);
    if (st->cancel_at_s)
        story_put_int(o, "cancel_at", st->cancel_at_s);
    if (st->canceled_at_s) {
        story_put_int(o, "canceled_at", st->canceled_at_s);
        story_put_int(o, "ended_at", st->canceled_at_s);
    }
    story_put(o, "cancellation_details", cancellation(st));
    ps = story_put(o, "payment_settings", cJSON_CreateObject());
    if (ps) {
        story_put_null(ps, "payment_method_options");
        story_put_null(ps, "payment_method_types");
        story_put_str(ps, "save_default_payment_method", "off");
    }
    return o;
}

static cJSON *invoice_lines(const struct story *st)
{
    const cJSON *shape =
        cJSON_GetObjectItemCaseSensitive(st->w->shape[S_INVOICE], "lines");
    cJSON *l = cJSON_Duplicate(shape, 1), *line, *period, *parent, *sid;
    char url[80];

    line = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(l, "data"), 0);
    if (!l || !line) {
        cJSON_Delete(l);
        return NULL;
    }
    snprintf(url, sizeof(url), "/v1/invoices/%s/lines", st->inv.id);
    story_put_str(line, "id", st->inv.line);
    story_put_str(line, "invoice", st->inv.id);
    story_put_int(line, "amount", st->inv.amount);
    story_put_int(line, "subtotal", st->inv.amount);
    story_put_str(line, "description", st->inv.line_description);
    story_put_str(line, "subscription", st->sub);
    story_put_null(line, "pricing");
    period = story_put(line, "period", cJSON_CreateObject());
    if (period) {
        story_put_int(period, "end", st->period_end_s);
        story_put_int(period, "start", st->period_start_s);
    }
    parent = story_put(line, "parent", cJSON_CreateObject());
    if (parent) {
        story_put_null(parent, "invoice_item_details");
        sid = story_put(parent, "subscription_item_details",
                        cJSON_CreateObject());
        if (sid) {
            story_put_null(sid, "invoice_item");
            story_put_bool(sid, "proration", 0);
            story_put_null(sid, "proration_details");
            story_put_str(sid, "subscription", st->sub);
            story_put_str(sid, "subscription_item", st->si);
        }
        story_put_str(parent, "type", "subscription_item_details");
    }
    story_put_int(l, "total_count", 1);
    story_put_str(l, "url", url);
    return l;
}

static void invoice_status(const struct story *st, cJSON *o)
{
    const struct story_invoice *in = &st->inv;
    cJSON *t = story_put(o, "status_transitions", cJSON_CreateObject());
    int final = strcmp(in->status, "draft") != 0;
    int paid = strcmp(in->status, "paid") == 0;

    if (t) {
        story_put_str(t, "finalized_at", NULL);
        if (final)
            story_put_int(t, "finalized_at", in->finalized_s);
        story_put_null(t, "marked_uncollectible_at");
        story_put_null(t, "paid_at");
        if (paid)
            story_put_int(t, "paid_at", in->paid_s);
        story_put_null(t, "voided_at");
    }
    story_put_str(o, "status", in->status);
    story_put_str(o, "number", final ? in->number : NULL);
    story_put_int(o, "amount_paid", paid ? in->amount : 0);
    story_put_int(o, "amount_remaining", paid ? 0 : in->amount);
    story_put_bool(o, "attempted", in->attempts > 0);
    story_put_int(o, "attempt_count", in->attempts);
    story_put_bool(o, "auto_advance", !paid);
    if (final) {
        story_put_int(o, "effective_at", in->finalized_s);
        story_put_int(o, "ending_balance", 0);
    } else {
        story_put_null(o, "effective_at");
        story_put_null(o, "ending_balance");
    }
    if (in->retry_s)
        story_put_int(o, "next_payment_attempt", in->retry_s);
}

cJSON *story_invoice(const struct story *st)
{
    cJSON *o = dup(st->w, S_INVOICE), *parent, *sd, *ps;
    char name[80];
    const char *amounts[] = {
        "amount_due",          "subtotal", "subtotal_excluding_tax", "total",
        "total_excluding_tax", NULL};
    size_t i;

    if (!o)
        return NULL;
    full_name(st, name, sizeof(name));
    story_put_str(o, "id", st->inv.id);
    for (i = 0; amounts[i]; i++)
        story_put_int(o, amounts[i], st->inv.amount);
    story_put_str(o, "billing_reason", st->inv.billing_reason);
    story_put_int(o, "created", st->inv.created_s);
    story_put_str(o, "customer", st->cus);
    story_put_str(o, "customer_email", st->email);
    story_put_str(o, "customer_name", name);
    story_put(o, "lines", invoice_lines(st));
    story_put_int(o, "period_start", st->inv.period_start_s);
    story_put_int(o, "period_end", st->inv.period_end_s);
    story_put_str(o, "subscription", st->sub);
    story_put_null(o, "total_taxes");
    parent = story_put(o, "parent", cJSON_CreateObject());
    if (parent) {
        story_put_null(parent, "quote_details");
        sd = story_put(parent, "subscription_details", cJSON_CreateObject());
        if (sd) {
            story_put(sd, "metadata", cJSON_CreateObject());
            story_put_str(sd, "subscription", st->sub);
        }
        story_put_str(parent, "type", "subscription_details");
    }
    ps = story_put(o, "payment_settings", cJSON_CreateObject());
    if (ps) {
        story_put_null(ps, "default_mandate");
        story_put_null(ps, "payment_method_options");
        story_put_null(ps, "payment_method_types");
    }
    invoice_status(st, o);
    return o;
}
