/* SPDX-License-Identifier: MIT */
/* The streaming planner: pacing, reorder windows and fault rules. */
#include "plan.h"
#include "heap.h"
#include "lint.h"

#include <stdlib.h>
#include <string.h>

#define MAX_DRAFTS HR_MAX_DELIVERIES_PER_EVENT

struct held {
    struct hr_interaction it;
    int64_t base_us;
};

struct hr_planner {
    const struct hr_scenario *s;
    struct hr_cassette_reader *rd;
    struct hr_heap heap; /* settled items, in plan order */
    struct held *group;  /* a reorder window being filled */
    size_t n_group;
    int group_rule; /* -1 when no rule reorders by event count */
    int64_t last_base_us, first_at_ms;
    int64_t n_read;
    uint64_t order;
    int eof;
    int failed;
    struct hr_err fail;
    double *empirical_ms;
    size_t n_empirical;
};

void hr_plan_item_free(struct hr_plan_item *item)
{
    if (!item)
        return;
    hr_interaction_clear(&item->it);
    hr_free(item);
}

const char *hr_plan_key(const struct hr_interaction *it, char *buf, size_t cap)
{
    if (it->has_event && it->event.id)
        return it->event.id;
    snprintf(buf, cap, "seq:%lld", (long long)it->seq);
    return buf;
}

static int item_before_v(const void *a, const void *b)
{
    const struct hr_plan_item *x = a, *y = b;

    return hr_heap_time_before(x->planned_us, x->order, y->planned_us,
                               y->order);
}

/* The next settled item, or NULL. */
static const struct hr_plan_item *heap_top(const struct hr_planner *p)
{
    return hr_heap_top(&p->heap);
}

static int rule_matches(const struct hr_planner *p, int ri,
                        const struct hr_interaction *it)
{
    const struct hr_fault_rule *r = &p->s->faults.rules[ri];
    char buf[48];

    if (!hr_fault_rule_may_match(r, it))
        return 0;
    return r->p >= 1 ||
           hr_draw(p->s->seed, ri, hr_plan_key(it, buf, sizeof(buf)), 0, 99) <
               r->p;
}

static int64_t base_time_us(struct hr_planner *p,
                            const struct hr_interaction *it)
{
    const struct hr_scenario *s = p->s;

    if (s->pacing == HR_PACE_ASAP)
        return p->n_read - 1; /* one microsecond apart: order, no wait */
    if (s->pacing == HR_PACE_RATE)
        return (int64_t)((double)(p->n_read - 1) * 1e6 / s->rate_per_s);
    if (p->n_read == 1)
        p->first_at_ms = it->at_ms;
    return (int64_t)((double)(it->at_ms - p->first_at_ms) * 1000.0 / s->speed);
}

static void add_label(struct hr_plan_item *x, const char *label)
{
    size_t n = strlen(x->labels);

    if (n + strlen(label) + 2 >= sizeof(x->labels))
        return;
    snprintf(x->labels + n, sizeof(x->labels) - n, "%s%s", n ? "," : "", label);
}

static struct hr_plan_item *draft_copy(struct hr_planner *p,
                                       const struct hr_plan_item *src)
{
    struct hr_plan_item *x = hr_malloc(sizeof(*x));

    if (!x)
        return NULL;
    *x = *src;
    if (hr_interaction_copy(&x->it, &src->it)) {
        hr_free(x);
        return NULL;
    }
    x->order = p->order++;
    return x;
}

static void make_canary(const struct hr_planner *p,
                        const struct hr_plan_item *x, int ri,
                        char out[HR_CANARY_LEN])
{
    char buf[48];
    const char *key = hr_plan_key(&x->it, buf, sizeof(buf));
    double a = hr_draw(p->s->seed, ri, key, x->copy, 7);
    double b = hr_draw(p->s->seed, ri, key, x->copy, 8);

    snprintf(out, HR_CANARY_LEN, "cnry%08llx%08llx",
             (unsigned long long)(a * 4294967296.0),
             (unsigned long long)(b * 4294967296.0));
}

/* Adds copies of each draft: duplicates or attacker requests. */
static int add_copies(struct hr_planner *p, int ri, const char *label,
                      struct hr_plan_item **d, size_t *n)
{
    const struct hr_fault_rule *r = &p->s->faults.rules[ri];
    size_t i, existing = *n;
    int k;

    for (i = 0; i < existing; i++) {
        int copies = r->action == HR_FA_DUPLICATE ? r->copies : 1;

        if (r->action == HR_FA_SIGNATURE && d[i]->attacker)
            continue;
        for (k = 1; k <= copies; k++) {
            struct hr_plan_item *x;

            if (*n >= MAX_DRAFTS)
                return 0; /* bounded fan-out per event */
            x = draft_copy(p, d[i]);
            if (!x)
                return -1;
            x->copy = (int)*n;
            add_label(x, label);
            if (r->action == HR_FA_DUPLICATE) {
                x->planned_us += (int64_t)(r->spacing_ms * 1000.0 * k);
                x->new_id = x->new_id || r->new_id;
                d[0]->copied = 1;
            } else {
                x->attacker = 1;
                x->sig_fault = r->sig_fault;
                x->dropped = 0;
                make_canary(p, x, ri, x->canary);
            }
            d[(*n)++] = x;
        }
    }
    return 0;
}

/* Applies rule ri to every draft of one event. */
static int apply_rule(struct hr_planner *p, int ri, struct hr_plan_item **d,
                      size_t *n)
{
    const struct hr_fault_rule *r = &p->s->faults.rules[ri];
    char lbuf[48], kbuf[48];
    const char *label = hr_fault_label(r, lbuf, sizeof(lbuf));
    size_t i;

    if (r->action == HR_FA_DUPLICATE ||
        (r->action == HR_FA_SIGNATURE && r->sig_fault != 5)) {
        return add_copies(p, ri, label, d, n);
    }
    for (i = 0; i < *n; i++) {
        struct hr_plan_item *x = d[i];
        const char *key = hr_plan_key(&x->it, kbuf, sizeof(kbuf));

        switch (r->action) {
        case HR_FA_DELAY:
            x->planned_us +=
                hr_delay_sample_us(&r->delay, p->s->seed, ri, key, x->copy,
                                   p->empirical_ms, p->n_empirical);
            break;
        case HR_FA_REORDER:
            if (r->window_ms > 0)
                x->planned_us +=
                    (int64_t)(hr_draw(p->s->seed, ri, key, x->copy, 0) *
                              r->window_ms * 1000.0);
            break;
        case HR_FA_DROP:
            x->dropped = 1;
            break;
        case HR_FA_TIMEOUT:
            x->timeout_first = 1;
            break;
        case HR_FA_CONNECTION:
            x->conn = r->conn;
            break;
        case HR_FA_PAYLOAD:
            x->payload = r->payload;
            x->size_bytes = r->size_bytes;
            break;
        case HR_FA_SCRIPT:
            memcpy(x->script, r->script, sizeof(r->script));
            x->n_script = r->n_script;
            break;
        case HR_FA_SIGNATURE:
            if (r->sig_fault == 5 && !x->attacker)
                x->rotated = 1;
            break;
        case HR_FA_DUPLICATE:
            break;
        }
        if (r->action != HR_FA_SIGNATURE || !x->attacker)
            add_label(x, label);
    }
    return 0;
}

/* Expands one event (its base time settled) into planned items. */
static int expand(struct hr_planner *p, struct hr_interaction *it,
                  int64_t plan_us, int64_t base_us)
{
    struct hr_plan_item *d[MAX_DRAFTS];
    size_t n = 1, i;
    int ri;

    d[0] = hr_calloc(1, sizeof(*d[0]));
    if (!d[0])
        return -1;
    d[0]->it = *it; /* takes ownership */
    hr_interaction_init(it);
    d[0]->planned_us = plan_us;
    d[0]->base_us = base_us;
    d[0]->order = p->order++;
    for (ri = 0; ri < (int)p->s->faults.n; ri++) {
        if (!rule_matches(p, ri, &d[0]->it))
            continue;
        if (apply_rule(p, ri, d, &n))
            goto fail;
        if (p->s->faults.rules[ri].stop)
            break;
    }
    for (i = 0; i < n; i++)
        if (hr_heap_push(&p->heap, d[i]))
            goto fail_from;
    return 0;
fail:
    i = 0;
fail_from:
    for (; i < n; i++)
        hr_plan_item_free(d[i]);
    return -1;
}

/* The first rule that reorders by an event-count window and matches. */
static int window_rule(const struct hr_planner *p,
                       const struct hr_interaction *it)
{
    int ri;

    for (ri = 0; ri < (int)p->s->faults.n; ri++) {
        const struct hr_fault_rule *r = &p->s->faults.rules[ri];

        if (r->action == HR_FA_REORDER && r->window_events > 1 &&
            rule_matches(p, ri, it))
            return ri;
    }
    return -1;
}

/*
 * Releases a held window in a seeded shuffled order (Fisher-Yates), all
 * at the time of its latest event, one microsecond apart: reordering
 * only ever delays an event, as a provider cannot send one before it
 * happened.
 */
static int flush_group(struct hr_planner *p)
{
    size_t i, n = p->n_group;
    int64_t latest = 0;
    char buf[48];

    for (i = 0; i < n; i++)
        if (p->group[i].base_us > latest)
            latest = p->group[i].base_us;
    for (i = n; i > 1; i--) {
        const char *key = hr_plan_key(&p->group[0].it, buf, sizeof(buf));
        size_t j = (size_t)(hr_draw(p->s->seed, p->group_rule, key, (int)i, 3) *
                            (double)i);
        struct held t = p->group[i - 1];

        p->group[i - 1] = p->group[j];
        p->group[j] = t;
    }
    p->n_group = 0;
    for (i = 0; i < n; i++)
        if (expand(p, &p->group[i].it, latest + (int64_t)i,
                   p->group[i].base_us))
            return -1;
    return 0;
}

static int hold(struct hr_planner *p, int ri, struct hr_interaction *it,
                int64_t base_us)
{
    int window = p->s->faults.rules[ri].window_events;

    if (!p->group) {
        p->group = hr_calloc((size_t)window, sizeof(*p->group));
        if (!p->group)
            return -1;
    }
    if (p->n_group && p->group_rule != ri && flush_group(p))
        return -1;
    p->group_rule = ri;
    p->group[p->n_group].it = *it;
    hr_interaction_init(it);
    p->group[p->n_group++].base_us = base_us;
    return p->n_group == (size_t)window ? flush_group(p) : 0;
}

/* `send` replays only the events a user picked. */
static int selected(const struct hr_scenario *s,
                    const struct hr_interaction *it)
{
    const char *type = it->has_event && it->event.type ? it->event.type : "";
    const char *obj = it->has_event && it->event.object ? it->event.object : "";

    if (s->select_type && !hr_glob_match(s->select_type, type))
        return 0;
    if (s->select_object && strcmp(s->select_object, obj))
        return 0;
    if (s->select_seq_hi > 0 &&
        (it->seq < s->select_seq_lo || it->seq > s->select_seq_hi))
        return 0;
    return 1;
}

/* Reads one webhook event and plans it; sets eof at the end. */
static int read_one(struct hr_planner *p, struct hr_err *err)
{
    struct hr_interaction it;
    int64_t base;
    int rc, ri;

    hr_interaction_init(&it);
    do {
        rc = hr_cassette_next(p->rd, &it, err);
    } while (rc == 1 && (it.kind != HR_KIND_WEBHOOK || !selected(p->s, &it)));
    if (rc <= 0) {
        hr_interaction_clear(&it);
        p->eof = 1;
        if (rc < 0) {
            p->failed = 1;
            p->fail = *err;
        }
        return p->n_group ? flush_group(p) : 0;
    }
    p->n_read++;
    base = base_time_us(p, &it);
    p->last_base_us = base;
    ri = window_rule(p, &it);
    rc = ri >= 0 ? hold(p, ri, &it, base) : expand(p, &it, base, base);
    hr_interaction_clear(&it);
    return rc;
}

/* Items planned at or before this time are settled. */
static int64_t watermark(const struct hr_planner *p)
{
    int64_t w = p->last_base_us;
    size_t i;

    if (p->eof)
        return INT64_MAX;
    for (i = 0; i < p->n_group; i++)
        if (p->group[i].base_us < w)
            w = p->group[i].base_us;
    return w;
}

static int settle(struct hr_planner *p, struct hr_err *err)
{
    while (!(heap_top(p) && heap_top(p)->planned_us <= watermark(p))) {
        if (p->eof)
            return 0;
        if (read_one(p, err))
            return p->failed ? 0 : -1;
    }
    return 0;
}

int hr_planner_peek(struct hr_planner *p, int64_t *planned_us,
                    struct hr_err *err)
{
    if (settle(p, err))
        return -1;
    *planned_us = heap_top(p) ? heap_top(p)->planned_us : INT64_MAX;
    return 0;
}

int hr_planner_next(struct hr_planner *p, struct hr_plan_item **out,
                    struct hr_err *err)
{
    *out = NULL;
    if (settle(p, err))
        return hr_errf(err, HR_EXIT_INTERNAL, "out of memory");
    if (heap_top(p)) {
        *out = hr_heap_pop(&p->heap);
        return 1;
    }
    if (p->failed) {
        *err = p->fail;
        return -1;
    }
    return 0;
}

/* Latencies recorded in the cassette, for empirical delays. */
static int load_empirical(struct hr_planner *p, struct hr_err *err)
{
    const struct hr_scenario *s = p->s;
    struct hr_cassette_reader *r;
    struct hr_interaction it;
    size_t cap = 0;
    int rc;

    r = s->cassette_mem ? hr_cassette_open_mem(s->cassette, s->cassette_mem,
                                               s->cassette_mem_len, err)
                        : hr_cassette_open(s->cassette, err);
    if (!r)
        return -1;
    hr_interaction_init(&it);
    while ((rc = hr_cassette_next(r, &it, err)) == 1) {
        if (it.kind != HR_KIND_WEBHOOK || !it.has_response)
            continue;
        if (p->n_empirical == cap) {
            double *v;

            cap = cap ? cap * 2 : 256;
            v = hr_realloc(p->empirical_ms, cap * sizeof(double));
            if (!v) {
                rc = hr_errf(err, HR_EXIT_INTERNAL, "out of memory");
                break;
            }
            p->empirical_ms = v;
        }
        p->empirical_ms[p->n_empirical++] = (double)it.response.ms;
    }
    hr_interaction_clear(&it);
    hr_cassette_close(r);
    return rc < 0 ? -1 : 0;
}

static int needs_empirical(const struct hr_scenario *s)
{
    size_t i;

    for (i = 0; i < s->faults.n; i++)
        if (s->faults.rules[i].action == HR_FA_DELAY &&
            s->faults.rules[i].delay.dist == HR_DIST_EMPIRICAL)
            return 1;
    return 0;
}

/* Keeps the first problem found by a check shared with lint. */
static void first_problem(void *ud, const char *msg)
{
    struct hr_err *err = ud;

    if (!err->msg[0])
        hr_errf(err, HR_EXIT_INPUT, "%s", msg);
}

struct hr_planner *hr_planner_new(const struct hr_scenario *s,
                                  struct hr_cassette_reader *r,
                                  struct hr_err *err)
{
    struct hr_planner *p = hr_calloc(1, sizeof(*p));

    if (!p) {
        hr_errf(err, HR_EXIT_INTERNAL, "out of memory");
        return NULL;
    }
    p->s = s;
    p->rd = r;
    p->group_rule = -1;
    p->heap.before = item_before_v;
    err->msg[0] = '\0';
    if (hr_lint_sig_rules(s, s->profile_dir, first_problem, err)) {
        hr_free(p);
        return NULL;
    }
    if (needs_empirical(s) && load_empirical(p, err)) {
        hr_free(p);
        return NULL;
    }
    return p;
}

void hr_planner_free(struct hr_planner *p)
{
    size_t i;

    if (!p)
        return;
    while (heap_top(p))
        hr_plan_item_free(hr_heap_pop(&p->heap));
    for (i = 0; i < p->n_group; i++)
        hr_interaction_clear(&p->group[i].it);
    hr_free(p->group);
    hr_heap_free(&p->heap);
    hr_free(p->empirical_ms);
    hr_free(p);
}

int hr_plan_item_write(FILE *f, const struct hr_plan_item *x)
{
    cJSON *o = cJSON_CreateObject(), *faults;
    const struct hr_event *e = &x->it.event;
    char *txt, *tok, labels[sizeof(x->labels)], *save = NULL;
    int rc;

    cJSON_AddNumberToObject(o, "seq", (double)x->it.seq);
    cJSON_AddNumberToObject(o, "copy", x->copy);
    cJSON_AddStringToObject(o, "endpoint", x->it.endpoint);
    if (x->it.has_event && e->id)
        cJSON_AddStringToObject(o, "event", e->id);
    if (x->it.has_event && e->type)
        cJSON_AddStringToObject(o, "type", e->type);
    if (x->it.has_event && e->object)
        cJSON_AddStringToObject(o, "object", e->object);
    cJSON_AddNumberToObject(o, "at_ms", (double)x->planned_us / 1000.0);
    cJSON_AddStringToObject(o, "action", x->dropped ? "drop" : "deliver");
    if (x->canary[0])
        cJSON_AddStringToObject(o, "canary", x->canary);
    faults = cJSON_AddArrayToObject(o, "faults");
    memcpy(labels, x->labels, sizeof(labels));
    for (tok = strtok_r(labels, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save))
        cJSON_AddItemToArray(faults, cJSON_CreateString(tok));
    txt = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!txt)
        return -1;
    rc = fprintf(f, "%s\n", txt) < 0 ? -1 : 0;
    cJSON_free(txt);
    return rc;
}
