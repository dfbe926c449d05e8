/* SPDX-License-Identifier: MIT */
/* Stripe objects for generated stories: shapes, values and their events. */
#include "generate_stripe.h"
#include "embedded.h"
#include "import.h"

#include <string.h>

static const char *const shape_names[S_COUNT] = {
    "customer", "payment_method", "payment_intent", "charge",
    "refund",   "subscription",   "invoice",        "product",
    "price",    "plan",           "event"};

/* Reads a fixture from dir, or from the copy compiled in. */
static cJSON *load_json(const char *dir, const char *sub, const char *name,
                        struct hr_err *err)
{
    const struct hr_embedded *e;
    char path[4096];
    size_t len;
    char *text;
    cJSON *j;

    if (!dir) {
        e = hr_embedded_find(name);
        if (!e) {
            hr_errf(err, HR_EXIT_INTERNAL, "%s is not compiled in", name);
            return NULL;
        }
        return hr_json_parse(name, (const char *)e->data, e->len, 1, err);
    }
    snprintf(path, sizeof(path), "%s%s%s/%s", dir, sub ? "/" : "",
             sub ? sub : "", name);
    text = hr_read_file(path, &len, err);
    if (!text)
        return NULL;
    j = hr_json_parse(path, text, len, 1, err);
    hr_free(text);
    return j;
}

cJSON *story_put(cJSON *o, const char *key, cJSON *v)
{
    if (!v)
        return NULL;
    if (cJSON_GetObjectItemCaseSensitive(o, key))
        cJSON_ReplaceItemInObjectCaseSensitive(o, key, v);
    else
        cJSON_AddItemToObject(o, key, v);
    return v;
}

void story_put_str(cJSON *o, const char *key, const char *s)
{
    story_put(o, key, s ? cJSON_CreateString(s) : cJSON_CreateNull());
}

void story_put_int(cJSON *o, const char *key, int64_t v)
{
    story_put(o, key, cJSON_CreateNumber((double)v));
}

void story_put_null(cJSON *o, const char *key)
{
    story_put(o, key, cJSON_CreateNull());
}

void story_put_bool(cJSON *o, const char *key, int v)
{
    story_put(o, key, cJSON_CreateBool(v));
}

/* Values win over the shape for every key the shape has. */
static void merge_values(cJSON *shape, const cJSON *values)
{
    const cJSON *v;

    for (v = values ? values->child : NULL; v; v = v->next) {
        cJSON *s = cJSON_GetObjectItemCaseSensitive(shape, v->string);

        if (!s)
            continue;
        if (cJSON_IsObject(s) && cJSON_IsObject(v))
            merge_values(s, v);
        else
            story_put(shape, v->string, cJSON_Duplicate(v, 1));
    }
}

static void put_nulls(cJSON *o, const char *const *keys)
{
    for (; *keys; keys++)
        story_put_null(o, *keys);
}

/* Fields the OpenAPI fixtures fill with placeholders a real object of a
 * new story would hold as null. */
static void clean_shapes(struct story_world *w)
{
    static const char *const cus[] = {
        "discount", "address", "shipping", "default_source", "description",
        "email",    "name",    "phone",    "test_clock",     NULL};
    static const char *const pi[] = {"canceled_at",
                                     "last_payment_error",
                                     "next_action",
                                     "processing",
                                     "shipping",
                                     "transfer_data",
                                     "payment_method_configuration_details",
                                     "managed_payments",
                                     NULL};
    static const char *const ch[] = {"shipping",      "source",
                                     "transfer_data", "balance_transaction",
                                     "receipt_url",   NULL};
    static const char *const sub[] = {"billing_cycle_anchor_config",
                                      "cancel_at",
                                      "canceled_at",
                                      "ended_at",
                                      "next_pending_invoice_item_invoice",
                                      "pause_collection",
                                      "pending_invoice_item_interval",
                                      "pending_update",
                                      "transfer_data",
                                      "trial_end",
                                      "trial_start",
                                      "billing_thresholds",
                                      "managed_payments",
                                      "billing_schedules",
                                      NULL};
    static const char *const inv[] = {"due_date",
                                      "from_invoice",
                                      "last_finalization_error",
                                      "next_payment_attempt",
                                      "shipping_cost",
                                      "shipping_details",
                                      "webhooks_delivered_at",
                                      "customer_shipping",
                                      "customer_address",
                                      NULL};

    put_nulls(w->shape[S_CUSTOMER], cus);
    put_nulls(w->shape[S_PAYMENT_INTENT], pi);
    put_nulls(w->shape[S_CHARGE], ch);
    put_nulls(w->shape[S_SUBSCRIPTION], sub);
    put_nulls(w->shape[S_INVOICE], inv);
    story_put_int(w->shape[S_INVOICE], "amount_overpaid", 0);
    story_put_bool(w->shape[S_SUBSCRIPTION], "cancel_at_period_end", 0);
    story_put_null(w->shape[S_PRICE], "custom_unit_amount");
    story_put_null(w->shape[S_PLAN], "transform_usage");
    story_put_null(w->shape[S_PRODUCT], "package_dimensions");
    story_put(w->shape[S_PAYMENT_METHOD], "metadata", cJSON_CreateObject());
}

/* First and last names from dj-stripe's customers ("John Doe"). */
static int add_names(struct story_world *w, const cJSON *cus)
{
    const char *keys[] = {"description", "name"};
    size_t k;

    for (k = 0; k < 2; k++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(cus, keys[k]);
        const char *sp;

        if (!cJSON_IsString(v) || !(sp = strchr(v->valuestring, ' ')) ||
            w->n_names >= STORY_MAX_NAMES)
            continue;
        snprintf(w->first[w->n_names], sizeof(w->first[0]), "%.*s",
                 (int)(sp - v->valuestring), v->valuestring);
        snprintf(w->last[w->n_names], sizeof(w->last[0]), "%s", sp + 1);
        w->n_names++;
    }
    return 0;
}

static const char *const djstripe_customers[] = {
    "customer_cus_4QWKsZuuTHcs7X.json", "customer_cus_4UbFSo9tl62jqj.json",
    "customer_cus_6lsBvm5rJ0zyHc.json",
    "customer_cus_example_with_bank_account.json", NULL};

static int load_values(struct story_world *w, const char *dir,
                       struct hr_err *err)
{
    static const char *const prices[] = {"price_gold21323.json",
                                         "price_silver41294.json"};
    static const char *const plans[] = {"plan_gold21323.json",
                                        "plan_silver41294.json"};
    const char *dj = "djstripe-fixtures";
    cJSON *v;
    size_t i;

    for (i = 0; djstripe_customers[i]; i++) {
        if (!(v = load_json(dir, dj, djstripe_customers[i], err)))
            return -1;
        add_names(w, v);
        cJSON_Delete(v);
    }
    for (i = 0; i < STORY_PRICES; i++) {
        w->price[i] = cJSON_Duplicate(w->shape[S_PRICE], 1);
        w->plan[i] = cJSON_Duplicate(w->shape[S_PLAN], 1);
        if (!(v = load_json(dir, dj, prices[i], err)))
            return -1;
        merge_values(w->price[i], v);
        cJSON_Delete(v);
        if (!(v = load_json(dir, dj, plans[i], err)))
            return -1;
        merge_values(w->plan[i], v);
        cJSON_Delete(v);
    }
    w->product = cJSON_Duplicate(w->shape[S_PRODUCT], 1);
    if (!(v = load_json(dir, dj, "product_prod_fake1.json", err)))
        return -1;
    merge_values(w->product, v);
    cJSON_Delete(v);
    if (!(v = load_json(dir, dj,
                        "payment_method_card_fakefakefakefakefake0001"
                        ".json",
                        err)))
        return -1;
    merge_values(w->shape[S_PAYMENT_METHOD], v);
    w->card = cJSON_Duplicate(
        cJSON_GetObjectItemCaseSensitive(w->shape[S_PAYMENT_METHOD], "card"),
        1);
    cJSON_Delete(v);
    if (!(v = load_json(dir, dj, "charge_ch_fakefakefakefakefake0001.json",
                        err)))
        return -1;
    w->outcome =
        cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(v, "outcome"), 1);
    cJSON_Delete(v);
    return 0;
}

static int check_world(const struct story_world *w, struct hr_err *err)
{
    size_t i;

    for (i = 0; i < S_COUNT; i++)
        if (!cJSON_IsObject(w->shape[i]))
            return hr_errf(err, HR_EXIT_INPUT,
                           "openapi-fixtures3.json: no \"%s\" resource",
                           shape_names[i]);
    if (w->n_names == 0 || !w->card || !w->outcome)
        return hr_errf(err, HR_EXIT_INPUT,
                       "djstripe-fixtures: expected customers with names, "
                       "a card payment method and a charge outcome");
    if (!w->price[0] || !w->price[1] || !w->plan[0] || !w->plan[1] ||
        !w->product)
        return hr_errf(err, HR_EXIT_INTERNAL, "out of memory");
    return 0;
}

int story_world_load(struct story_world *w, const char *dir, struct hr_err *err)
{
    cJSON *all = load_json(dir, NULL, "openapi-fixtures3.json", err);
    const cJSON *res = cJSON_GetObjectItemCaseSensitive(all, "resources");
    size_t i;
    int rc;

    memset(w, 0, sizeof(*w));
    if (!all)
        return -1;
    for (i = 0; i < S_COUNT; i++)
        w->shape[i] = cJSON_Duplicate(
            cJSON_GetObjectItemCaseSensitive(res, shape_names[i]), 1);
    cJSON_Delete(all);
    for (i = 0; i < S_COUNT; i++)
        if (!cJSON_IsObject(w->shape[i]))
            return hr_errf(err, HR_EXIT_INPUT,
                           "openapi-fixtures3.json: no \"%s\" resource",
                           shape_names[i]);
    clean_shapes(w);
    rc = load_values(w, dir, err);
    return rc ? rc : check_world(w, err);
}

void story_world_free(struct story_world *w)
{
    size_t i;

    for (i = 0; i < S_COUNT; i++)
        cJSON_Delete(w->shape[i]);
    for (i = 0; i < STORY_PRICES; i++) {
        cJSON_Delete(w->price[i]);
        cJSON_Delete(w->plan[i]);
    }
    cJSON_Delete(w->product);
    cJSON_Delete(w->card);
    cJSON_Delete(w->outcome);
    memset(w, 0, sizeof(*w));
}

/* Moves key to the front of o, if there. */
static void to_front(cJSON *o, const char *key)
{
    cJSON *v = cJSON_DetachItemFromObjectCaseSensitive(o, key);

    if (!v)
        return;
    v->next = o->child;
    v->prev = o->child ? o->child->prev : v;
    if (o->child)
        o->child->prev = v;
    o->child = v;
}

/* Stripe prints "id" and then "object" first in every object. */
static void stripe_order(cJSON *o)
{
    cJSON *c;

    for (c = o->child; c; c = c->next)
        if (cJSON_IsObject(c) || cJSON_IsArray(c))
            stripe_order(c);
    if (!cJSON_IsObject(o) || !cJSON_GetObjectItemCaseSensitive(o, "object"))
        return;
    to_front(o, "object");
    to_front(o, "id");
}

/*
 * Wraps obj (taken) into an event and prints it as Stripe does; prev
 * (taken, may be NULL) becomes data.previous_attributes. The body is
 * left in out.
 */
int story_event_body(const struct story_world *w, const struct story_ev *e,
                     cJSON *obj, cJSON *prev, struct hr_buf *out)
{
    cJSON *ev = cJSON_CreateObject(), *data, *req;
    char *flat;
    int rc;

    if (!ev || !obj) {
        cJSON_Delete(ev);
        cJSON_Delete(obj);
        cJSON_Delete(prev);
        return -1;
    }
    stripe_order(obj);
    story_put_str(ev, "id", e->id);
    story_put_str(ev, "object", "event");
    story_put_str(ev, "api_version", HR_STORY_API_VERSION);
    story_put_int(ev, "created", e->created_s);
    data = story_put(ev, "data", cJSON_CreateObject());
    if (data) {
        cJSON_AddItemToObject(data, "object", obj);
        if (prev)
            cJSON_AddItemToObject(data, "previous_attributes", prev);
    } else {
        cJSON_Delete(obj);
        cJSON_Delete(prev);
    }
    story_put_bool(ev, "livemode", 0);
    story_put_int(ev, "pending_webhooks", 1);
    req = story_put(ev, "request", cJSON_CreateObject());
    if (req) {
        story_put_str(req, "id", e->request_id[0] ? e->request_id : NULL);
        story_put_str(req, "idempotency_key",
                      e->idempotency_key[0] ? e->idempotency_key : NULL);
    }
    story_put_str(ev, "type", e->type);
    flat = cJSON_PrintUnformatted(ev);
    cJSON_Delete(ev);
    if (!flat)
        return -1;
    hr_buf_reset(out);
    rc = hr_stripe_pretty(out, flat, strlen(flat));
    cJSON_free(flat);
    return rc;
}
