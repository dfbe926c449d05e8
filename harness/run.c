/* SPDX-License-Identifier: MIT */
/* The replay loop: pacing, the libcurl multi sender, retries, results. */
#include "run.h"
#include "cassette.h"
#include "attempt.h"
#include "dupcheck.h"
#include "heap.h"
#include "plan.h"
#include "probe.h"
#include "progress.h"
#include "rebase.h"
#include "jsonx.h"
#include "expected.h"
#include "result.h"
#include "sign.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>
#include <sys/stat.h>

volatile sig_atomic_t hr_run_stop;

/* Warn once after this many refused attempts and no connection at all. */
#define NEVER_CONNECTED_WARN_AFTER 10
/* Read at most this many deliveries ahead of the send time. */
#define READ_AHEAD_JOBS 4096
#define READ_AHEAD_US 50000
/* A slow body goes out in this many chunks, one per tick. */
#define SLOW_CHUNKS 20
#define SLOW_TICK_US 100000
/* While a duplicate is checked alone, the loop wakes this often. */
#define SNAP_POLL_MS 20
/* A reset stalls this long after half the body, then sends RST: the
 * receiver has read the partial body by then, as when a provider's
 * connection dies mid-way. */
#define RESET_STALL_US 200000

struct endpoint {
    const char *name;
    const struct hr_target_cfg *target;
    struct hr_profile *profile;
};

struct job {
    char errbuf[CURL_ERROR_SIZE]; /* curl's detail on a failed attempt */
    struct hr_plan_item *item;    /* owned */
    struct endpoint *ep;
    char *object_key; /* endpoint + object id, or NULL */
    int64_t planned_us;
    uint64_t order;
    int n_obs;
    struct hr_attempt obs[HR_MAX_ATTEMPTS];
    int delivered;
    CURL *easy;
    struct hr_attempt_req req; /* the attempt in flight */
    size_t send_off;           /* body bytes handed to libcurl */
    size_t send_stop;          /* stop (truncate/reset) after this many */
    int64_t resume_us;         /* paused body: when to go on, or 0 */
    int64_t epoch_us;          /* the run's start on the monotonic clock */
    int stalled;               /* reset: the stall before RST is done */
    int64_t retry_after_ms;
    int64_t bytes_recv;
    int counted_in_flight;
    struct hr_dupcheck dc; /* a copy judged by its object's snapshot */
    struct job *next;
};

/* A counter of deliveries in flight per object key (open addressing). */
struct slot {
    char *key;
    int in_flight;
    uint64_t blocked_scan;
};

struct objmap {
    struct slot *slots;
    size_t cap, used;
};

/* Where the snapshot check of one duplicate copy stands. */
enum snap_phase {
    SNAP_DRAIN = 1, /* dispatch stopped; waiting for in-flight ones */
    SNAP_SENT,      /* the copy is out alone */
    SNAP_ANSWERED   /* acknowledged; the second snapshot is due */
};

struct snapcheck {
    struct job *job; /* the copy under check, or NULL */
    enum snap_phase phase;
    int64_t paused_at_us;
    cJSON *before; /* its object's item before the copy, or NULL */
    int64_t left;  /* copies still to check */
};

struct loop {
    const struct hr_scenario *s;
    struct hr_run_totals *t;
    struct hr_cassette_reader *rd;
    struct endpoint *eps;
    size_t n_eps;
    CURLM *multi;
    struct hr_heap heap; /* jobs waiting for their (next) send time */
    struct job *ready, *ready_tail;
    struct hr_planner *plan;
    int eof;
    int in_flight;
    size_t pending; /* jobs taken from the plan and not finished */
    uint64_t scan;
    int64_t start_us;
    struct objmap objs;
    struct hr_result *res;
    struct hr_canaries *canaries; /* attacker requests sent */
    struct job **slow; /* in-flight paced bodies: slow, reset (max_in_flight
                          slots) */
    struct hr_progress *progress;
    struct hr_expected truth; /* built when the probe has collections */
    struct hr_mockapi *api;   /* the mock provider API, or NULL */
    char **dropped_ids;       /* recorded events no webhook brought */
    char **dropped_objects;   /* ... their objects (or NULL) */
    int64_t *dropped_at_us;   /* ... when they joined the truth */
    size_t n_dropped, cap_dropped;
    int64_t rebase_s; /* added to event times (rebase_time) */
    size_t n_slow;
    struct snapcheck snap;
    int64_t pause_us; /* the replay stood still this long for checks */
    struct hr_dupcheck_log dups;
    cJSON *base;            /* the probe before the first delivery, or NULL */
    char *base_text;        /* ... as the target answered it */
    int ever_connected;     /* some attempt reached a target */
    int connect_failures;   /* refused attempts before the first connect */
    int warned_unconnected; /* the never-connected warning is out */
    /* base indexed by event id, when base is set */
    struct hr_probe_index *base_ix;
};

static struct slot *objmap_get(struct objmap *m, const char *key)
{
    size_t i;

    if (m->used * 2 >= m->cap) {
        struct objmap bigger = {NULL, m->cap ? m->cap * 2 : 1024, 0};

        bigger.slots = hr_calloc(bigger.cap, sizeof(struct slot));
        if (!bigger.slots)
            return NULL;
        for (i = 0; i < m->cap; i++) {
            struct slot *o = &m->slots[i];
            size_t k;

            if (!o->key)
                continue;
            if (o->in_flight == 0) {
                hr_free(o->key); /* drop idle keys while rehashing */
                continue;
            }
            k = hr_hash64(o->key) & (bigger.cap - 1);
            while (bigger.slots[k].key)
                k = (k + 1) & (bigger.cap - 1);
            bigger.slots[k] = *o;
            bigger.used++;
        }
        hr_free(m->slots);
        *m = bigger;
    }
    i = hr_hash64(key) & (m->cap - 1);
    while (m->slots[i].key && strcmp(m->slots[i].key, key))
        i = (i + 1) & (m->cap - 1);
    if (!m->slots[i].key) {
        m->slots[i].key = hr_strdup(key);
        if (!m->slots[i].key)
            return NULL;
        m->used++;
    }
    return &m->slots[i];
}

static void objmap_free(struct objmap *m)
{
    size_t i;

    for (i = 0; i < m->cap; i++)
        hr_free(m->slots[i].key);
    hr_free(m->slots);
}

static int job_before_v(const void *a, const void *b)
{
    const struct job *x = a, *y = b;

    return hr_heap_time_before(x->planned_us, x->order, y->planned_us,
                               y->order);
}

static const struct job *heap_top(const struct loop *l)
{
    return hr_heap_top(&l->heap);
}

static int64_t now_us(const struct loop *l)
{
    return hr_mono_us() - l->start_us;
}

static void job_free(struct job *j)
{
    if (!j)
        return;
    hr_plan_item_free(j->item);
    hr_free(j->object_key);
    hr_attempt_req_clear(&j->req);
    hr_free(j);
}

static struct endpoint *find_endpoint(struct loop *l, const char *name)
{
    size_t i;

    for (i = 0; i < l->n_eps; i++)
        if (strcmp(l->eps[i].name, name) == 0)
            return &l->eps[i];
    return NULL;
}

static struct job *job_from_item(struct loop *l, struct hr_plan_item *x)
{
    struct job *j = hr_calloc(1, sizeof(*j));

    if (!j) {
        hr_plan_item_free(x);
        return NULL;
    }
    j->item = x;
    j->planned_us = x->planned_us + l->pause_us;
    j->epoch_us = l->start_us;
    j->order = x->order;
    j->ep = find_endpoint(l, x->it.endpoint);
    if (x->it.has_event && x->it.event.object && j->ep) {
        struct hr_buf b;

        hr_buf_init(&b, 0);
        if (hr_buf_printf(&b, "%s\x1f%s", j->ep->name, x->it.event.object)) {
            job_free(j);
            return NULL;
        }
        j->object_key = hr_buf_steal(&b, NULL);
    }
    return j;
}

static void count_planned(struct hr_run_totals *t, const struct hr_plan_item *x)
{
    if (x->attacker)
        t->attacker_planned++;
    else if (x->copy > 0)
        t->duplicates_planned++;
    else
        t->events++;
    if (x->dropped && !x->attacker && x->copy == 0)
        t->dropped++;
}

/*
 * The event block must agree with the request under the profile, as
 * `lint` checks: a block that is missing is derived; one that says
 * otherwise than the body is bad input. Fields the profile reads from
 * headers that are made anew per attempt (Standard Webhooks' webhook-id)
 * cannot be derived from a recording: the block is taken as it is.
 */
static int check_event(struct loop *l, struct hr_plan_item *x,
                       const struct hr_profile *p)
{
    struct hr_interaction *it = &x->it;
    struct hr_err derr = {0, ""};
    struct hr_event d;
    const char *bad = NULL;
    const char *const *name = hr_scheme_required_headers(p->scheme);

    while (*name && hr_profile_has_header(p, &it->request, *name))
        name++;
    if (*name) {
        /* lint says so too; sent, every delivery would be refused */
        snprintf(l->t->input_msg, sizeof(l->t->input_msg),
                 "%s:%d: " HR_MISSING_HEADER_FMT, l->s->cassette, it->line,
                 *name, p->name);
        l->t->input_error = 1;
        return -1;
    }
    if (hr_profile_event(p, &it->request, &d, &derr)) {
        if (it->has_event)
            return 0;
        snprintf(l->t->input_msg, sizeof(l->t->input_msg),
                 "%s:%d: /event: missing, and %.600s", l->s->cassette, it->line,
                 derr.msg);
        l->t->input_error = 1;
        return -1;
    }
    if (!it->has_event) {
        it->event = d;
        it->has_event = 1;
        return 0;
    }
    if (strcmp(it->event.id, d.id))
        bad = "id";
    else if (it->event.type && d.type && strcmp(it->event.type, d.type))
        bad = "type";
    if (bad) {
        snprintf(l->t->input_msg, sizeof(l->t->input_msg),
                 "%s:%d: event.%s \"%.200s\" but the request says "
                 "\"%.200s\" under profile %s",
                 l->s->cassette, it->line, bad,
                 bad[0] == 'i' ? it->event.id : it->event.type,
                 bad[0] == 'i' ? d.id : d.type, p->name);
        l->t->input_error = 1;
    }
    hr_free(d.id);
    hr_free(d.type);
    hr_free(d.object);
    return bad ? -1 : 0;
}

/*
 * Moves planned deliveries whose time is near into the heap. Nothing is
 * read while a copy is checked alone: the pause is not known yet, and a
 * delivery (and its event in the mock API) read now would keep the
 * time from before it.
 */
static int fill(struct loop *l, struct hr_err *err)
{
    int64_t horizon = now_us(l) + READ_AHEAD_US;

    if (l->snap.job)
        return 0;
    while (!hr_run_stop && !l->eof && l->pending < READ_AHEAD_JOBS) {
        struct hr_plan_item *x;
        struct hr_err perr = {0, ""};
        int64_t next;
        struct job *j;
        int rc;

        if (hr_planner_peek(l->plan, &next, &perr))
            return hr_errf(err, HR_EXIT_INTERNAL, "%s", perr.msg);
        if (next != INT64_MAX && next + l->pause_us > horizon)
            break;
        rc = hr_planner_next(l->plan, &x, &perr);
        if (rc <= 0) {
            l->eof = 1;
            if (rc < 0) {
                l->t->input_error = 1;
                snprintf(l->t->input_msg, sizeof(l->t->input_msg), "%s",
                         perr.msg);
            }
            break;
        }
        j = job_from_item(l, x);
        if (!j)
            return hr_errf(err, HR_EXIT_INTERNAL, "out of memory");
        if (j->ep && x->copy == 0 && !x->attacker &&
            check_event(l, x, j->ep->profile)) {
            job_free(j);
            l->eof = 1;
            break;
        }
        if (!j->ep) {
            /* An endpoint this run has no target for: not replayed. */
            l->t->skipped++;
            job_free(j);
            continue;
        }
        if (hr_heap_push(&l->heap, j))
            return hr_errf(err, HR_EXIT_INTERNAL, "out of memory");
        /* The provider's truth has the event at its recorded time,
         * whatever happens to its webhook. */
        if (l->api && x->copy == 0 && !x->attacker &&
            hr_mockapi_publish(l->api, &x->it, x->base_us + l->pause_us))
            return hr_errf(err, HR_EXIT_INTERNAL, "out of memory");
        count_planned(l->t, x);
        l->pending++;
    }
    return 0;
}

static void ready_append(struct loop *l, struct job *j)
{
    j->next = NULL;
    if (l->ready_tail)
        l->ready_tail->next = j;
    else
        l->ready = j;
    l->ready_tail = j;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    struct job *j = ud;

    (void)p;
    j->bytes_recv += (int64_t)(size * n);
    return size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    struct job *j = ud;
    size_t len = size * n;

    if (len > 12 && strncasecmp(p, "Retry-After:", 12) == 0) {
        long v = strtol(p + 12, NULL, 10);

        if (v >= 0 && v < 86400 * 30)
            j->retry_after_ms = (int64_t)v * 1000;
    }
    return len;
}

static char *target_url(const struct job *j)
{
    const struct hr_target_cfg *t = j->ep->target;
    const struct hr_message *rq = &j->item->it.request;
    struct hr_buf b;

    if (!t->keep_path)
        return hr_strdup(t->url);
    hr_buf_init(&b, 0);
    if (hr_buf_puts(&b, t->url) ||
        (b.len && b.data[b.len - 1] == '/' && rq->path[0] == '/' &&
         (b.data[--b.len] = '\0', 0)) ||
        hr_buf_puts(&b, rq->path) ||
        (rq->query && rq->query[0] && hr_buf_printf(&b, "?%s", rq->query))) {
        hr_buf_free(&b);
        return NULL;
    }
    return hr_buf_steal(&b, NULL);
}

/* Hands the body to libcurl, stopping or pausing as the step says. */
static size_t on_read(char *buf, size_t size, size_t n, void *ud)
{
    struct job *j = ud;
    size_t room = size * n, left;

    if (j->resume_us > 0)
        return CURL_READFUNC_PAUSE;
    if (j->send_off >= j->send_stop && j->send_stop < j->req.body_len) {
        if (j->req.step != HR_STEP_RESET || j->stalled)
            return CURL_READFUNC_ABORT; /* truncate or reset here */
        j->stalled = 1; /* stall first, so the partial body is read */
        j->resume_us = 1;
        return CURL_READFUNC_PAUSE;
    }
    left = j->send_stop - j->send_off;
    if (j->req.step == HR_STEP_SLOW) {
        size_t chunk = j->req.body_len / SLOW_CHUNKS + 1;

        if (left > chunk)
            left = chunk;
        j->resume_us = 1; /* the loop sets the real time */
    }
    if (left > room)
        left = room;
    memcpy(buf, j->req.body + j->send_off, left);
    j->send_off += left;
    if (j->send_off == j->req.body_len && j->n_obs > 0)
        j->obs[j->n_obs - 1].body_end_us = hr_mono_us() - j->epoch_us;
    return left;
}

/* A reset closes with SO_LINGER 0, so the peer sees RST, not FIN. */
static int on_sockopt(void *ud, curl_socket_t fd, curlsocktype purpose)
{
    struct job *j = ud;

    if (purpose == CURLSOCKTYPE_IPCXN && j->req.step == HR_STEP_RESET) {
        struct linger lg = {1, 0};

        setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    }
    return CURL_SOCKOPT_OK;
}

static void set_transport(struct job *j, const struct hr_profile *p)
{
    enum hr_step st = j->req.step;

    j->send_off = 0;
    j->send_stop = j->req.body_len;
    j->resume_us = 0;
    j->stalled = 0;
    curl_easy_setopt(j->easy, CURLOPT_POST, 1L);
    curl_easy_setopt(j->easy, CURLOPT_POSTFIELDSIZE_LARGE,
                     (curl_off_t)j->req.body_len);
    curl_easy_setopt(j->easy, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(j->easy, CURLOPT_READDATA, j);
    curl_easy_setopt(j->easy, CURLOPT_HTTP_VERSION,
                     st == HR_STEP_HTTP10 ? CURL_HTTP_VERSION_1_0
                                          : CURL_HTTP_VERSION_1_1);
    if (st == HR_STEP_RESET || st == HR_STEP_TRUNCATED) {
        j->send_stop = j->req.body_len / 2;
        curl_easy_setopt(j->easy, CURLOPT_SOCKOPTFUNCTION, on_sockopt);
        curl_easy_setopt(j->easy, CURLOPT_SOCKOPTDATA, j);
    }
    if (st != HR_STEP_DELIVER && st != HR_STEP_TIMEOUT) {
        curl_easy_setopt(j->easy, CURLOPT_FRESH_CONNECT, 1L);
        curl_easy_setopt(j->easy, CURLOPT_FORBID_REUSE, 1L);
    }
    (void)p;
}

/* The provider's response timeout: wall clock, never scaled. */
static int64_t timeout_ms(const struct job *j)
{
    return j->ep->target->timeout_ms > 0 ? j->ep->target->timeout_ms
                                         : j->ep->profile->timeout_ms;
}

/* The target's TLS settings on an https url (curl ignores them else). */
static void set_tls(CURL *e, const struct hr_target_cfg *t)
{
    if (t->ca_file)
        curl_easy_setopt(e, CURLOPT_CAINFO, t->ca_file);
    if (t->tls_insecure) {
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
    }
}

static int setup_easy(struct loop *l, struct job *j, struct hr_err *err)
{
    const struct hr_profile *p = j->ep->profile;
    const char *method = j->item->it.request.method;
    char *url = target_url(j);

    j->easy = curl_easy_init();
    if (!url || !j->easy) {
        hr_free(url);
        return hr_errf(err, HR_EXIT_INTERNAL, "out of memory");
    }
    curl_easy_setopt(j->easy, CURLOPT_URL, url);
    hr_free(url);
    curl_easy_setopt(j->easy, CURLOPT_PRIVATE, j);
    curl_easy_setopt(j->easy, CURLOPT_HTTPHEADER, j->req.headers);
    set_transport(j, p);
    set_tls(j->easy, j->ep->target);
    j->errbuf[0] = '\0';
    curl_easy_setopt(j->easy, CURLOPT_ERRORBUFFER, j->errbuf);
    if (method && strcmp(method, "POST"))
        curl_easy_setopt(j->easy, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(j->easy, CURLOPT_TIMEOUT_MS, (long)timeout_ms(j));
    curl_easy_setopt(j->easy, CURLOPT_CONNECTTIMEOUT_MS,
                     (long)(timeout_ms(j) < 10000 ? timeout_ms(j) : 10000));
    curl_easy_setopt(j->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(j->easy, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(j->easy, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(j->easy, CURLOPT_WRITEDATA, j);
    curl_easy_setopt(j->easy, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(j->easy, CURLOPT_HEADERDATA, j);
    if (curl_multi_add_handle(l->multi, j->easy) != CURLM_OK)
        return hr_errf(err, HR_EXIT_INTERNAL, "curl_multi_add_handle failed");
    return 0;
}

static int after_attempt(struct loop *l, struct job *j, struct hr_err *err);
static int finish_job(struct loop *l, struct job *j, struct hr_err *err);

static void release_object(struct loop *l, struct job *j)
{
    struct slot *sl;

    if (!j->object_key)
        return;
    sl = objmap_get(&l->objs, j->object_key);
    if (sl && sl->in_flight > 0)
        sl->in_flight--;
}

/* Why an attempt failed, in the words Slack's retry headers use. */
static const char *retry_reason(const struct hr_attempt *a)
{
    if (a->timed_out)
        return "http_timeout";
    if (a->connect_failed)
        return "connection_failed";
    if (a->status > 0)
        return "http_error";
    return "unknown_error";
}

static int start_attempt(struct loop *l, struct job *j, struct hr_err *err);
static int snap_wanted(const struct loop *l, const struct job *j);
static void snap_take(struct loop *l, struct job *j);
static void snap_decline(struct loop *l, struct job *j);

static int start_attempt(struct loop *l, struct job *j, struct hr_err *err)
{
    struct hr_attempt *a = &j->obs[j->n_obs];

    struct hr_attempt_ctx ctx;

    hr_attempt_req_clear(&j->req);
    memset(&ctx, 0, sizeof(ctx));
    ctx.profile = j->ep->profile;
    ctx.target = j->ep->target;
    ctx.attempt = j->n_obs + 1;
    ctx.now_s = hr_wall_ms() / 1000;
    ctx.rebase_s = l->rebase_s;
    ctx.rebase_pointers = l->s->rebase_pointers;
    ctx.n_rebase_pointers = l->s->n_rebase_pointers;
    ctx.retry_reason = j->n_obs ? retry_reason(&j->obs[j->n_obs - 1]) : NULL;
    if (hr_attempt_build(j->item, &ctx, &j->req, err))
        return -1;
    if (j->n_obs && !j->item->attacker && !j->obs[j->n_obs - 1].connect_failed)
        l->t->redelivered++; /* the failed attempt may have been applied */
    memset(a, 0, sizeof(*a));
    a->planned_us = j->planned_us;
    a->sent_us = now_us(l);
    a->answered_us = -1;
    a->body_end_us = -1;
    a->step = j->req.step;
    a->bytes_sent = (int64_t)j->req.body_len;
    j->retry_after_ms = -1;
    j->bytes_recv = 0;
    j->n_obs++;
    l->t->attempts++;
    if (j->req.step == HR_STEP_REFUSED) {
        /* The provider could not connect: nothing reaches the target. */
        a->connect_failed = 1;
        a->injected = 1;
        a->bytes_sent = 0;
        snprintf(a->error, sizeof(a->error),
                 "connection refused "
                 "(injected)");
        release_object(l, j);
        return after_attempt(l, j, err);
    }
    if (setup_easy(l, j, err))
        return -1;
    if (j->req.step == HR_STEP_SLOW || j->req.step == HR_STEP_RESET)
        l->slow[l->n_slow++] = j;
    l->in_flight++;
    j->counted_in_flight = 1;
    return 0;
}

/* Starts every due delivery that the limits allow, in order. */
static int dispatch(struct loop *l, struct hr_err *err)
{
    struct job **pp, *prev = NULL;
    int64_t now = now_us(l);

    if (l->snap.job)
        return 0; /* a copy is being checked alone */
    while (heap_top(l) && heap_top(l)->planned_us <= now)
        ready_append(l, hr_heap_pop(&l->heap));
    l->scan++;
    pp = &l->ready;
    while (*pp && l->in_flight < l->s->max_in_flight && !hr_run_stop) {
        struct job *j = *pp;
        struct slot *sl = NULL;

        if (j->object_key && !j->item->dropped) {
            sl = objmap_get(&l->objs, j->object_key);
            if (!sl)
                return hr_errf(err, HR_EXIT_INTERNAL, "out of memory");
            if (sl->blocked_scan == l->scan ||
                sl->in_flight >= l->s->per_object_in_flight) {
                sl->blocked_scan = l->scan; /* keep per-object order */
                prev = j;
                pp = &j->next;
                continue;
            }
        }
        *pp = j->next;
        if (l->ready_tail == j)
            l->ready_tail = prev;
        switch (snap_wanted(l, j)) {
        case 1:
            snap_take(l, j);
            return 0;
        case -1:
            snap_decline(l, j);
            break;
        }
        if (j->item->dropped) {
            if (finish_job(l, j, err))
                return -1;
            continue;
        }
        if (sl)
            sl->in_flight++;
        if (start_attempt(l, j, err))
            return -1;
    }
    return 0;
}

/*
 * A typo'd port retries quietly for the whole schedule: after the first
 * NEVER_CONNECTED_WARN_AFTER refused attempts with no connection made at
 * all, say so once, even when quiet (it is a warning, not progress).
 */
static void warn_never_connected(struct loop *l, const struct job *j,
                                 const struct hr_attempt *a)
{
    if (a->injected)
        return; /* a refusal on purpose says nothing of the target */
    if (!a->connect_failed) {
        l->ever_connected = 1;
        return;
    }
    if (l->ever_connected || l->warned_unconnected ||
        ++l->connect_failures < NEVER_CONNECTED_WARN_AFTER)
        return;
    l->warned_unconnected = 1;
    fprintf(stderr,
            "hookreplay: warning: %d attempts and no connection to %s yet "
            "(%s); retrying on the profile's schedule\n",
            l->connect_failures, j->ep->target->url, a->error);
}

static void count_attempt(struct loop *l, const struct job *j,
                          const struct hr_attempt *a)
{
    struct hr_run_totals *t = l->t;

    if (a->status > 0 && !a->timed_out) { /* a late answer is a timeout */
        t->answered++;
        if (a->status < HR_STATUS_MAX)
            t->status[a->status]++;
        hr_hist_add(&t->ack_actual,
                    a->answered_us - hr_attempt_request_end_us(a));
        if (!j->item->attacker)
            hr_hist_add(&t->ack_planned, a->answered_us - a->planned_us);
    }
    if (a->timed_out)
        t->err_timeout++;
    else if (a->connect_failed)
        t->err_connect++;
    else if (a->status == 0)
        t->err_other++;
    if (a->injected)
        t->injected_failures++;
    warn_never_connected(l, j, a);
}

/* 1 when no attempt of j got as far as a connection. */
static int never_connected(const struct job *j)
{
    int i;

    for (i = 0; i < j->n_obs; i++)
        if (!j->obs[i].connect_failed)
            return 0;
    return 1;
}

/*
 * 1 for a recorded event no webhook brought to the target: dropped, or
 * given up on without any attempt reaching it (an attempt that reached
 * it may have been applied, its answer lost). One with copies planned
 * may still arrive through a copy of the same id, so it does not count.
 */
static int undelivered(const struct hr_plan_item *x, const struct job *j)
{
    return x->it.has_event && x->it.event.id &&
           (x->dropped || (!x->copied && never_connected(j)));
}

/* Remembers an undelivered event, to tell later whether it was
 * recovered through the API. */
static int note_dropped(struct loop *l, const struct hr_plan_item *x)
{
    if (l->n_dropped == l->cap_dropped) {
        size_t cap = l->cap_dropped ? l->cap_dropped * 2 : 64;
        char **v = hr_realloc(l->dropped_ids, cap * sizeof(char *));
        char **o = hr_realloc(l->dropped_objects, cap * sizeof(char *));
        int64_t *at = hr_realloc(l->dropped_at_us, cap * sizeof(int64_t));

        if (v)
            l->dropped_ids = v;
        if (o)
            l->dropped_objects = o;
        if (at)
            l->dropped_at_us = at;
        if (!v || !o || !at)
            return -1;
        l->cap_dropped = cap;
    }
    l->dropped_objects[l->n_dropped] =
        x->it.event.object ? hr_strdup(x->it.event.object) : NULL;
    l->dropped_at_us[l->n_dropped] = x->base_us;
    l->dropped_ids[l->n_dropped] = hr_strdup(x->it.event.id);
    return l->dropped_ids[l->n_dropped++] ? 0 : -1;
}

/*
 * A recorded delivery with copies planned, acknowledged with 2xx while
 * copies are still to be checked: its copies can now be judged.
 */
static int note_original(struct loop *l, const struct job *j)
{
    const struct hr_plan_item *x = j->item;
    int status = j->n_obs ? j->obs[j->n_obs - 1].status : 0;

    if (x->copy || x->attacker || !x->copied || !j->delivered || status < 200 ||
        status > 299 || l->snap.left <= 0)
        return 0;
    return hr_dupcheck_ack(&l->dups, x->it.seq);
}

static int finish_job(struct loop *l, struct job *j, struct hr_err *err)
{
    struct hr_run_totals *t = l->t;
    struct hr_plan_item *x = j->item;

    if (x->attacker) {
        t->attacker_sent += j->n_obs > 0;
        if (j->delivered)
            t->attacker_acknowledged++;
        if (hr_canaries_add(l->canaries, x->canary, j->req.event_id, x->it.seq,
                            j->delivered))
            return hr_errf(err, HR_EXIT_INTERNAL, "out of memory");
    } else if (x->copy > 0) {
        t->duplicates_sent += j->n_obs > 0;
        t->dups_sent_new_id += j->n_obs > 0 && x->new_id;
        t->duplicates_delivered += j->delivered;
        t->dups_refused +=
            !j->delivered && j->n_obs > 0 && j->obs[j->n_obs - 1].status > 0;
        t->dups_checked += j->dc.checked;
    } else if (j->delivered) {
        t->delivered++;
    } else if (undelivered(x, j) && note_dropped(l, x)) {
        return hr_errf(err, HR_EXIT_INTERNAL, "out of memory");
    }
    if (!x->attacker && !x->copy && !j->delivered && !x->dropped)
        t->failed++;
    if (note_original(l, j))
        return hr_errf(err, HR_EXIT_INTERNAL, "out of memory");
    l->pending--;
    /* Planned as it was sent: pauses for checks moved it later. */
    x->planned_us = j->n_obs ? j->obs[0].planned_us : j->planned_us;
    if (hr_result_event(l->res, x, j->ep ? j->ep->name : "", j->obs, j->n_obs,
                        j->delivered, &j->dc, err))
        return -1;
    job_free(j);
    return 0;
}

/* Delay before the next attempt, or -1 when the schedule is spent. */
static int64_t retry_delay_us(const struct loop *l, const struct job *j)
{
    const struct hr_profile *p = j->ep->profile;
    double ms;

    if (j->item->attacker || !l->s->retries ||
        j->n_obs > (int)p->n_retry_delays || j->n_obs >= HR_MAX_ATTEMPTS)
        return -1;
    ms = (double)p->retry_delays_ms[j->n_obs - 1] * l->s->retry_time_scale;
    /* Retry-After is the target's wall-clock wish: never scaled. */
    if (p->honors_retry_after && j->retry_after_ms > ms)
        ms = (double)j->retry_after_ms;
    return (int64_t)(ms * 1000.0);
}

static int snap_answered(struct loop *l, struct job *j,
                         const struct hr_attempt *a);

/* Judges a finished attempt; retries or finishes the job. */
static int after_attempt(struct loop *l, struct job *j, struct hr_err *err)
{
    struct hr_attempt *a = &j->obs[j->n_obs - 1];
    int64_t delay, base = now_us(l);

    if (j->req.step == HR_STEP_TIMEOUT) {
        /* The provider gave up at its timeout, whatever came later. */
        a->timed_out = 1;
        a->injected = 1;
        base = a->sent_us + timeout_ms(j) * 1000;
    }
    count_attempt(l, j, a);
    if (j->n_obs == 1 && j->item->payload != HR_PAY_NONE) {
        a->payload_ok = hr_payload_outcome_ok(j->item->payload, a->status);
        l->t->payload_faults++;
        l->t->payload_mishandled += !a->payload_ok;
    }
    j->delivered = a->status > 0 && !a->timed_out &&
                   hr_profile_success(j->ep->profile, a->status);
    if (j == l->snap.job && snap_answered(l, j, a))
        return 0; /* held until its object's second snapshot */
    delay = j->delivered ? -1 : retry_delay_us(l, j);
    if (delay < 0 || hr_run_stop)
        return finish_job(l, j, err);
    j->planned_us = base + delay;
    return hr_heap_push(&l->heap, j);
}

static void slow_remove(struct loop *l, struct job *j)
{
    size_t i;

    for (i = 0; i < l->n_slow; i++)
        if (l->slow[i] == j)
            l->slow[i] = l->slow[--l->n_slow];
}

/* What went wrong, in words: an injected cut says what was cut. */
/* A TLS handshake that failed: the provider never got a connection it
 * could send on, as with a refused one. */
static int tls_failed(CURLcode res)
{
    return res == CURLE_SSL_CONNECT_ERROR ||
           res == CURLE_PEER_FAILED_VERIFICATION ||
           res == CURLE_SSL_CACERT_BADFILE || res == CURLE_SSL_CERTPROBLEM;
}

static void describe_error(const struct job *j, CURLcode res, char *buf,
                           size_t cap)
{
    if (tls_failed(res) && j->errbuf[0]) /* which certificate, and why */
        snprintf(buf, cap, "%.90s", j->errbuf);
    else if (res != CURLE_ABORTED_BY_CALLBACK)
        snprintf(buf, cap, "%s", curl_easy_strerror(res));
    else if (j->req.step == HR_STEP_RESET)
        snprintf(buf, cap,
                 "connection reset mid-body after %zu of %zu "
                 "bytes (injected)",
                 j->send_off, j->req.body_len);
    else if (j->req.step == HR_STEP_TRUNCATED)
        snprintf(buf, cap, "body cut off after %zu of %zu bytes (injected)",
                 j->send_off, j->req.body_len);
    else
        snprintf(buf, cap, "%s (injected)", curl_easy_strerror(res));
}

static int on_done(struct loop *l, CURLMsg *m, struct hr_err *err)
{
    struct job *j = NULL;
    struct hr_attempt *a;
    long status = 0;
    CURLcode res = m->data.result;

    curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&j);
    a = &j->obs[j->n_obs - 1];
    curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &status);
    if (res == CURLE_OK) {
        a->status = (int)status;
        a->answered_us = now_us(l);
    } else {
        curl_off_t connect_us = 0;

        curl_easy_getinfo(m->easy_handle, CURLINFO_CONNECT_TIME_T, &connect_us);
        a->timed_out = res == CURLE_OPERATION_TIMEDOUT;
        /* a timeout before the connection was made is a failed connect */
        a->connect_failed =
            res == CURLE_COULDNT_CONNECT || res == CURLE_COULDNT_RESOLVE_HOST ||
            tls_failed(res) || (a->timed_out && connect_us == 0);
        if (a->connect_failed)
            a->timed_out = 0;
        a->injected = res == CURLE_ABORTED_BY_CALLBACK;
        describe_error(j, res, a->error, sizeof(a->error));
    }
    a->bytes_sent = (int64_t)j->send_off;
    a->bytes_received = j->bytes_recv;
    curl_multi_remove_handle(l->multi, j->easy);
    curl_easy_cleanup(j->easy);
    j->easy = NULL;
    slow_remove(l, j);
    l->in_flight--;
    j->counted_in_flight = 0;
    release_object(l, j);
    return after_attempt(l, j, err);
}

/* Un-pauses paced bodies (slow chunks, a reset's stall) when due. */
static void resume_slow(struct loop *l)
{
    int64_t now = now_us(l);
    size_t i;

    for (i = 0; i < l->n_slow; i++) {
        struct job *j = l->slow[i];

        if (j->resume_us == 1) {
            j->resume_us = now + (j->req.step == HR_STEP_RESET ? RESET_STALL_US
                                                               : SLOW_TICK_US);
        } else if (j->resume_us > 1 && now >= j->resume_us) {
            j->resume_us = 0;
            curl_easy_pause(j->easy, CURLPAUSE_CONT);
        }
    }
}

static int poll_timeout_ms(struct loop *l)
{
    int64_t next = INT64_MAX, wait;

    if (heap_top(l))
        next = heap_top(l)->planned_us;
    if (!l->eof && next > now_us(l) + READ_AHEAD_US)
        next = now_us(l) + READ_AHEAD_US;
    if (l->n_slow)
        next =
            next < now_us(l) + SLOW_TICK_US ? next : now_us(l) + SLOW_TICK_US;
    if (next == INT64_MAX)
        return 100;
    wait = (next - now_us(l) + 999) / 1000;
    return wait < 0 ? 0 : wait > 100 ? 100 : (int)wait;
}

static int loop_done(const struct loop *l)
{
    if (hr_run_stop)
        return l->in_flight == 0;
    return l->eof && l->pending == 0 && l->in_flight == 0;
}

static int drain_stopped(struct loop *l, struct hr_err *err)
{
    struct job *j;

    while (heap_top(l))
        ready_append(l, hr_heap_pop(&l->heap));
    while ((j = l->ready)) {
        l->ready = j->next;
        if (j->n_obs == 0) {
            l->pending--; /* never attempted: not reported */
            job_free(j);
        } else if (finish_job(l, j, err)) {
            return -1;
        }
    }
    l->ready_tail = NULL;
    return 0;
}

/* Waits for the sender's sockets and the mock API's, serving the API. */
static void wait_loop(struct loop *l, int timeout_ms)
{
    struct curl_waitfd wfd;

    if (!l->api) {
        curl_multi_poll(l->multi, NULL, 0, timeout_ms, NULL);
        return;
    }
    wfd.fd = hr_mockapi_fd(l->api);
    wfd.events = CURL_WAIT_POLLIN;
    wfd.revents = 0;
    if (hr_mockapi_timeout_ms(l->api) < timeout_ms)
        timeout_ms = (int)hr_mockapi_timeout_ms(l->api);
    curl_multi_poll(l->multi, &wfd, 1, timeout_ms < 0 ? 0 : timeout_ms, NULL);
    hr_mockapi_step(l->api);
}

static int snap_step(struct loop *l, struct hr_err *err);

static int run_loop(struct loop *l, struct hr_err *err)
{
    for (;;) {
        CURLMsg *m;
        int running, left, finished = 0;

        if (fill(l, err) || dispatch(l, err))
            return -1;
        resume_slow(l);
        if (curl_multi_perform(l->multi, &running) != CURLM_OK)
            return hr_errf(err, HR_EXIT_INTERNAL, "curl_multi_perform");
        while ((m = curl_multi_info_read(l->multi, &left))) {
            if (m->msg == CURLMSG_DONE && on_done(l, m, err))
                return -1;
            finished = 1;
        }
        hr_progress_update(l->progress, l->t->attempts, l->t->answered,
                           l->t->failed);
        if (snap_step(l, err))
            return -1;
        if (hr_run_stop && drain_stopped(l, err))
            return -1;
        if (loop_done(l))
            return 0;
        /* A finished delivery may have freed its object for the next
         * one, or retries may be due: dispatch again before waiting. */
        wait_loop(l, finished      ? 0
                     : l->snap.job ? SNAP_POLL_MS
                                   : poll_timeout_ms(l));
    }
}

static int setup_endpoints(struct loop *l, struct hr_err *err)
{
    const struct hr_cassette_header *h = hr_cassette_header(l->rd);
    size_t i;

    l->eps = hr_calloc(h->n_endpoints, sizeof(*l->eps));
    if (!l->eps && h->n_endpoints)
        return hr_errf(err, HR_EXIT_INTERNAL, "out of memory");
    for (i = 0; i < h->n_endpoints; i++) {
        struct endpoint *e = &l->eps[l->n_eps];
        const struct hr_target_cfg *t = hr_scenario_target(
            (struct hr_scenario *)l->s, h->endpoints[i].name);
        const char *prof;

        if (!t)
            continue; /* deliveries to it are reported when met */
        prof = t->profile ? t->profile : h->endpoints[i].profile;
        e->name = h->endpoints[i].name;
        e->target = t;
        e->profile = hr_profile_load(prof, l->s->profile_dir, err);
        if (!e->profile)
            return -1;
        l->n_eps++;
    }
    for (i = 0; i < l->s->n_targets; i++)
        if (!find_endpoint(l, l->s->targets[i].endpoint))
            return hr_errf(err, HR_EXIT_INPUT,
                           "target '%s' names no endpoint of the cassette",
                           l->s->targets[i].endpoint);
    return 0;
}

static struct hr_cassette_reader *open_cassette(const struct hr_scenario *s,
                                                struct hr_err *err)
{
    if (s->cassette_mem)
        return hr_cassette_open_mem(s->cassette, s->cassette_mem,
                                    s->cassette_mem_len, err);
    return hr_cassette_open(s->cassette, err);
}

static void loop_free(struct loop *l)
{
    size_t i;

    while (heap_top(l))
        job_free(hr_heap_pop(&l->heap));
    while (l->ready) {
        struct job *j = l->ready;

        l->ready = j->next;
        job_free(j);
    }
    hr_heap_free(&l->heap);
    job_free(l->snap.job);
    cJSON_Delete(l->snap.before);
    hr_dupcheck_log_free(&l->dups);
    hr_probe_index_free(l->base_ix);
    cJSON_Delete(l->base);
    hr_free(l->base_text);
    hr_planner_free(l->plan);
    for (i = 0; i < l->n_eps; i++)
        hr_profile_free(l->eps[i].profile);
    hr_free(l->eps);
    objmap_free(&l->objs);
    hr_free(l->slow);
    hr_expected_free(&l->truth);
    hr_mockapi_free(l->api);
    for (i = 0; i < l->n_dropped; i++) {
        hr_free(l->dropped_ids[i]);
        hr_free(l->dropped_objects[i]);
    }
    hr_free(l->dropped_ids);
    hr_free(l->dropped_objects);
    hr_free(l->dropped_at_us);
    if (l->canaries) {
        hr_canaries_free(l->canaries);
        hr_free(l->canaries);
    }
    if (l->multi)
        curl_multi_cleanup(l->multi);
    if (l->rd)
        hr_cassette_close(l->rd);
}

/* Fills {{challenge}} and {{id}} in a handshake template. */
static char *fill_template(const char *tpl, const char *challenge,
                           const char *id)
{
    struct hr_buf b;
    const char *p = tpl;

    hr_buf_init(&b, 0);
    while (*p) {
        if (strncmp(p, "{{challenge}}", 13) == 0) {
            if (hr_buf_puts(&b, challenge))
                goto fail;
            p += 13;
        } else if (strncmp(p, "{{id}}", 6) == 0) {
            if (hr_buf_puts(&b, id))
                goto fail;
            p += 6;
        } else if (hr_buf_add(&b, p++, 1)) {
            goto fail;
        }
    }
    return hr_buf_steal(&b, NULL);
fail:
    hr_buf_free(&b);
    return NULL;
}

static int handshake_headers(const struct endpoint *e, const char *id,
                             const char *challenge, const char *body,
                             struct curl_slist **h, struct hr_err *err)
{
    const struct hr_profile *p = e->profile;
    struct hr_message sig;
    struct hr_sign_input in;
    size_t i;
    int rc = 0;

    for (i = 0; i < p->n_hs_headers && rc == 0; i++) {
        char *v = fill_template(p->hs_headers[i].value, challenge, id);

        rc = !v || hr_header_line(h, p->hs_headers[i].name, v);
        hr_free(v);
    }
    if (rc == 0)
        rc = hr_header_suppress(h, "Expect");
    memset(&sig, 0, sizeof(sig));
    memset(&in, 0, sizeof(in));
    in.scheme = p->scheme;
    in.secrets = (const char *const *)e->target->secrets;
    in.n_secrets = 1;
    in.id = id;
    in.timestamp = hr_wall_ms() / 1000;
    in.body = (const unsigned char *)body;
    in.body_len = strlen(body);
    if (rc || hr_sign_keyed(&in, p->key_mode, &sig, err))
        rc = -1;
    for (i = 0; i < sig.n_headers; i++) {
        if (rc == 0 &&
            hr_header_line(h, sig.headers[i].name, sig.headers[i].value))
            rc = -1;
        hr_free(sig.headers[i].name);
        hr_free(sig.headers[i].value);
    }
    hr_free(sig.headers);
    return rc;
}

static size_t keep_body(char *p, size_t size, size_t n, void *ud)
{
    return hr_buf_add(ud, p, size * n) ? 0 : size * n;
}

/*
 * The handshake's delivery id, shaped as the providers' (a UUID, as
 * GitHub's X-GitHub-Delivery) and new each run, so that a consumer that
 * validates ids or remembers them across runs takes it like GitHub's.
 * The handshake is not part of the plan: the clock may go in.
 */
static void handshake_id(const struct loop *l, const struct endpoint *e,
                         char *id, size_t cap)
{
    uint64_t a = (uint64_t)(hr_draw(l->s->seed, -2, e->name, 0, 0) * 1e18);
    uint64_t b = (uint64_t)hr_wall_ms() * 1000003u ^ (uint64_t)getpid();

    snprintf(id, cap, "%08llx-%04llx-4%03llx-%04llx-%012llx",
             (unsigned long long)(a >> 32),
             (unsigned long long)((a >> 16) & 0xffff),
             (unsigned long long)(a & 0xfff),
             (unsigned long long)(0x8000 | ((b >> 48) & 0x3fff)),
             (unsigned long long)(b & 0xffffffffffffULL));
}

/* Sends an endpoint's handshake first, as the provider does. */
static int send_handshake(struct loop *l, struct endpoint *e,
                          struct hr_err *err)
{
    const struct hr_profile *p = e->profile;
    char challenge[40], id[80];
    char *body = NULL, *url;
    struct curl_slist *h = NULL;
    struct hr_buf answer;
    long status = 0;
    CURL *c;
    CURLcode res = CURLE_OK;
    int rc = -1;

    snprintf(
        challenge, sizeof(challenge), "hrch%016llx",
        (unsigned long long)(hr_draw(l->s->seed, -1, e->name, 0, 0) * 1e18));
    handshake_id(l, e, id, sizeof(id));
    hr_buf_init(&answer, 1 << 20);
    body = fill_template(p->hs_body, challenge, id);
    url = hr_strdup(e->target->url);
    c = curl_easy_init();
    if (!body || !url || !c ||
        handshake_headers(e, id, challenge, body, &h, err))
        goto out;
    curl_easy_setopt(c, CURLOPT_URL, url);
    set_tls(c, e->target);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)p->timeout_ms);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, keep_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &answer);
    res = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    l->t->handshakes++;
    if (res == CURLE_OK && status >= 200 && status <= 299 &&
        (!p->hs_echo || (answer.data && strstr(answer.data, challenge))))
        l->t->handshakes_ok++;
    else
        snprintf(l->t->handshake_error, sizeof(l->t->handshake_error), "%s: %s",
                 e->name,
                 res != CURLE_OK ? curl_easy_strerror(res)
                 : status < 200 || status > 299
                     ? "the handshake was not answered with 2xx"
                     : "the answer did not echo the challenge");
    rc = 0;
out:
    if (rc && !err->msg[0])
        hr_errf(err, HR_EXIT_INTERNAL, "out of memory");
    curl_slist_free_all(h);
    if (c)
        curl_easy_cleanup(c);
    hr_free(url);
    hr_free(body);
    hr_buf_free(&answer);
    return rc;
}

static int send_handshakes(struct loop *l, struct hr_err *err)
{
    size_t i;

    for (i = 0; i < l->n_eps && l->s->handshakes; i++)
        if (l->eps[i].profile->has_handshake &&
            send_handshake(l, &l->eps[i], err))
            return -1;
    return 0;
}

/* A blocking call (probe, hook) made while the mock API keeps serving:
 * a target may call the API before it answers. */
struct bg_call {
    void (*fn)(void *);
    void *arg;
    volatile int done;
};

static void *bg_main(void *p)
{
    struct bg_call *c = p;

    c->fn(c->arg);
    __atomic_store_n(&c->done, 1, __ATOMIC_RELEASE);
    return NULL;
}

static void serve_for(struct loop *l, int64_t ms)
{
    int64_t until = hr_mono_ms() + ms;

    if (!l->api) {
        usleep((useconds_t)ms * 1000);
        return;
    }
    while (hr_mono_ms() < until) {
        struct pollfd pf = {hr_mockapi_fd(l->api), POLLIN, 0};
        int64_t left = until - hr_mono_ms(), t = hr_mockapi_timeout_ms(l->api);

        poll(&pf, 1, (int)(t >= 0 && t < left ? t : left));
        hr_mockapi_step(l->api);
    }
}

static void call_serving(struct loop *l, void (*fn)(void *), void *arg)
{
    struct bg_call c = {fn, arg, 0};
    pthread_t th;

    if (!l->api || pthread_create(&th, NULL, bg_main, &c)) {
        fn(arg);
        return;
    }
    while (!__atomic_load_n(&c.done, __ATOMIC_ACQUIRE))
        serve_for(l, 5);
    pthread_join(th, NULL);
}

/*
 * Events applied out of order, by the target's account of the order it
 * applied them in (a list of ids, or a map of counts in first-applied
 * order): an event applied after a later event of the same object.
 */
static int64_t count_out_of_order(const struct hr_expected *e,
                                  const struct hr_probe_cfg *p,
                                  const cJSON *state)
{
    const cJSON *applied = hr_json_pointer(
        state, p->applied_ids ? p->applied_ids : p->applied_counts);
    long *latest = hr_calloc(e->n_events + 1, sizeof(long));
    const cJSON *it;
    int64_t n = 0;

    if (!latest)
        return -1;
    cJSON_ArrayForEach(it, applied)
    {
        const char *id = cJSON_IsString(it) ? it->valuestring : it->string;
        long k = id ? hr_expected_event_index(e, id) : -1;
        size_t j;

        if (k < 0 || !e->event_objects[k])
            continue;
        /* latest[j]: the highest index applied so far for the object
         * of event j (kept on the first event of each object). */
        for (j = 0; j < e->n_events; j++) {
            if (!e->event_objects[j] ||
                strcmp(e->event_objects[j], e->event_objects[k]))
                continue;
            if (latest[j] > k + 1)
                n++;
            else
                latest[j] = k + 1;
            break;
        }
    }
    hr_free(latest);
    return n;
}

/*
 * How a dropped event the target applied reached it: in an event list
 * page or fetch of the mock API, by a fetch of its object after the
 * event existed, or not through the API at all.
 */
static void note_recovery(struct loop *l, size_t i)
{
    struct hr_run_totals *t = l->t;
    struct hr_recovery *r;
    int64_t first, last;

    if (t->n_recovery >= HR_MAX_RECOVERY)
        return;
    r = &t->recovery[t->n_recovery];
    snprintf(r->id, sizeof(r->id), "%s", l->dropped_ids[i]);
    r->via = "not through the API";
    r->at_ms = -1;
    if (l->api && hr_mockapi_served(l->api, l->dropped_ids[i], &first, NULL)) {
        r->via = "event list or event fetch";
        r->at_ms = first / 1000;
    } else if (l->api && l->dropped_objects[i] &&
               hr_mockapi_served(l->api, l->dropped_objects[i], NULL, &last) &&
               last >= l->dropped_at_us[i]) {
        r->via = "object fetch";
        r->at_ms = last / 1000;
    }
    t->n_recovery++;
}

/* Times applied by the target's account: indexed when the index could
 * be built (one sort, then a search per event), else a scan. */
static int64_t applied_times(const struct hr_probe_cfg *p,
                             const struct hr_probe_index *ix,
                             const cJSON *state, const char *id)
{
    return ix ? hr_probe_index_count(ix, id)
              : hr_probe_applied_count(p, state, id);
}

/* Lost and recovered events, by the target's own account. */
static void judge_events(struct loop *l, const cJSON *state)
{
    const struct hr_probe_cfg *p = l->s->probe;
    struct hr_run_totals *t = l->t;
    struct hr_probe_index *ix;
    size_t i;

    t->lost_events = -1;
    if (!p || (!p->applied_ids && !p->applied_counts) || !state)
        return;
    t->lost_events = 0;
    ix = hr_probe_index_new(p, state);
    for (i = 0; i < l->truth.n_events; i++) {
        const char *id = l->truth.events[i];
        int64_t n = applied_times(p, ix, state, id);

        if (n > 1 && t->n_multi < HR_MAX_RECOVERY) {
            snprintf(t->multi[t->n_multi].id, sizeof(t->multi[0].id), "%s", id);
            t->multi[t->n_multi++].times = n;
        }
        if (n > 0)
            continue;
        t->lost_events++;
        if (t->n_lost_ids < 20)
            t->lost_ids[t->n_lost_ids++] = hr_strdup(id);
    }
    for (i = 0; i < l->n_dropped; i++) {
        if (applied_times(p, ix, state, l->dropped_ids[i]) <= 0)
            continue;
        t->recovered++;
        note_recovery(l, i);
    }
    hr_probe_index_free(ix);
    t->out_of_order = count_out_of_order(&l->truth, p, state);
}

static void add_curve_point(struct hr_run_totals *t, int64_t at_ms, int64_t bad)
{
    int i;

    if (t->n_curve == 256) { /* keep the shape: drop every other point */
        for (i = 0; i < 128; i++) {
            t->curve_t_ms[i] = t->curve_t_ms[2 * i];
            t->curve_bad[i] = t->curve_bad[2 * i];
        }
        t->n_curve = 128;
    }
    t->curve_t_ms[t->n_curve] = at_ms;
    t->curve_bad[t->n_curve++] = bad;
}

struct probe_call {
    const struct hr_probe_cfg *p;
    char *text;
    cJSON *state;
    struct hr_err err;
    int rc;
};

static void probe_bg(void *arg)
{
    struct probe_call *c = arg;

    c->rc = hr_probe_read(c->p, &c->text, &c->state, &c->err);
}

struct hook_call {
    const struct hr_hook *h;
    struct hr_err err;
    int rc;
};

static void hook_bg(void *arg)
{
    struct hook_call *c = arg;

    c->rc = hr_hook_call(c->h, &c->err);
}

/* ---- duplicates judged by their object's snapshot --------------------- */

/*
 * A pure copy: a duplicate that reaches the target as its original did,
 * with no fault of its own on the first attempt (a timeout, connection
 * step, script or payload fault would leave nothing to judge).
 */
static int pure_copy(const struct job *j)
{
    const struct hr_plan_item *x = j->item;

    return x->copy > 0 && !x->attacker && !x->dropped && j->n_obs == 0 &&
           !x->timeout_first && x->conn == HR_CONN_NONE && x->n_script == 0 &&
           x->payload == HR_PAY_NONE;
}

/*
 * Whether copy j is checked, while the cap lasts: 1 alone between two
 * snapshots; -1 not measured, since its original (the same recorded
 * delivery, or the one a new-id copy copies) has not been acknowledged
 * with 2xx yet, so the copy is the first the target sees of the change;
 * 0 not checked.
 */
static int snap_wanted(const struct loop *l, const struct job *j)
{
    if (l->snap.left <= 0 || l->snap.job || !pure_copy(j))
        return 0;
    return hr_dupcheck_acked(&l->dups, j->item->it.seq) ? 1 : -1;
}

/* One check fewer to make; acknowledgements matter no more after. */
static void snap_count(struct loop *l, struct job *j)
{
    if (--l->snap.left <= 0)
        hr_dupcheck_forget_acks(&l->dups);
    j->dc.checked = 1;
    j->dc.processed = -1;
}

/* Holds copy j back and stops dispatching until it is judged. */
static void snap_take(struct loop *l, struct job *j)
{
    l->snap.job = j;
    l->snap.phase = SNAP_DRAIN;
    l->snap.paused_at_us = now_us(l);
    snap_count(l, j);
}

/* Copy j goes out as any other, not measured. */
static void snap_decline(struct loop *l, struct job *j)
{
    snap_count(l, j);
    snprintf(j->dc.reason, sizeof(j->dc.reason), "%s",
             "the original was not delivered before the copy");
}

/*
 * Ends the check and resumes the replay where it stood: every waiting
 * delivery moves later by the time the replay was paused.
 */
static void snap_end(struct loop *l)
{
    int64_t shift = now_us(l) - l->snap.paused_at_us;
    struct job *j;
    size_t i;

    for (i = 0; i < l->heap.len; i++)
        ((struct job *)l->heap.v[i])->planned_us += shift;
    for (j = l->ready; j; j = j->next)
        j->planned_us += shift;
    l->pause_us += shift;
    cJSON_Delete(l->snap.before);
    l->snap.before = NULL;
    l->snap.job = NULL;
    l->snap.phase = 0;
}

/*
 * Probes once (after probe.after_ms) for object id's item: 1 with a copy
 * in *item, 0 when the target holds none, -1 when the probe failed;
 * why not in reason.
 */
static int snap_probe(struct loop *l, const char *id, cJSON **item,
                      char *reason, size_t cap)
{
    const struct hr_probe_cfg *p = l->s->probe;
    struct probe_call pc = {p, NULL, NULL, {0, ""}, 0};
    struct hr_err err = {0, ""};
    const cJSON *found = NULL;
    int rc = -1;

    *item = NULL;
    if (p->after_ms > 0)
        serve_for(l, p->after_ms);
    call_serving(l, probe_bg, &pc);
    if (pc.rc == 0)
        rc = hr_recon_find_item(&l->truth, pc.state, &l->s->recon, id, &found,
                                &err);
    else
        err = pc.err;
    if (rc < 0)
        snprintf(reason, cap, "probe failed: %.140s", err.msg);
    else if (rc == 0)
        snprintf(reason, cap, "%s", "the object is not in the target's state");
    else if (!(*item = cJSON_Duplicate(found, 1)))
        rc = -1;
    hr_free(pc.text);
    cJSON_Delete(pc.state);
    return rc;
}

/* Sends the held copy as the only delivery in flight. */
static int snap_send(struct loop *l, struct job *j, struct hr_err *err)
{
    struct slot *sl = NULL;

    if (j->object_key && !(sl = objmap_get(&l->objs, j->object_key)))
        return hr_errf(err, HR_EXIT_INTERNAL, "out of memory");
    if (sl)
        sl->in_flight++;
    l->snap.phase = SNAP_SENT;
    /* The wait for the first snapshot is the check's, not the target's. */
    j->planned_us += now_us(l) - l->snap.paused_at_us;
    return start_attempt(l, j, err);
}

/* Nothing else in flight: the first snapshot, then the copy alone. */
static int snap_before(struct loop *l, struct hr_err *err)
{
    struct job *j = l->snap.job;
    const char *obj = j->item->it.has_event ? j->item->it.event.object : NULL;

    if (!obj)
        snprintf(j->dc.reason, sizeof(j->dc.reason), "%s",
                 "the event names no object");
    else if (snap_probe(l, obj, &l->snap.before, j->dc.reason,
                        sizeof(j->dc.reason)) < 0 &&
             !j->dc.reason[0])
        return hr_errf(err, HR_EXIT_INTERNAL, "out of memory");
    return snap_send(l, j, err);
}

/*
 * The copy's attempt ended. Returns 1 when it stays held for the second
 * snapshot (acknowledged with 2xx and a first snapshot exists); else the
 * copy is unmeasured, the replay resumes, and 0 lets the attempt go on
 * as any other (retried or finished).
 */
static int snap_answered(struct loop *l, struct job *j,
                         const struct hr_attempt *a)
{
    int acked = j->delivered && a->status >= 200 && a->status <= 299;

    if (l->snap.before && acked && !hr_run_stop) {
        l->snap.phase = SNAP_ANSWERED;
        return 1;
    }
    if (!j->dc.reason[0])
        snprintf(j->dc.reason, sizeof(j->dc.reason), "%s",
                 acked ? "the run was stopped"
                       : "the copy was not acknowledged with 2xx");
    snap_end(l);
    return 0;
}

/* The second snapshot: did the copy change its object's item? */
static int snap_after(struct loop *l, struct hr_err *err)
{
    struct job *j = l->snap.job;
    const struct hr_plan_item *x = j->item;
    struct hr_dupcheck *dc = &j->dc;
    cJSON *after = NULL;
    int rc = snap_probe(l, x->it.event.object, &after, dc->reason,
                        sizeof(dc->reason));

    if (rc < 0 && !dc->reason[0]) {
        rc = hr_errf(err, HR_EXIT_INTERNAL, "out of memory");
    } else if (rc >= 0) {
        dc->reason[0] = '\0'; /* absent now: the copy removed it */
        dc->processed = hr_dupcheck_judge(l->snap.before, after, x->new_id,
                                          dc->reason, sizeof(dc->reason));
        rc = 0;
    }
    if (rc == 0 && dc->processed >= 0) {
        if (hr_dupcheck_log_add(&l->dups, x->it.event.id, x->new_id,
                                dc->processed))
            rc = hr_errf(err, HR_EXIT_INTERNAL, "out of memory");
        l->t->dups_measured += rc == 0;
        l->t->dups_changed += rc == 0 && dc->processed;
    }
    cJSON_Delete(after);
    snap_end(l);
    if (rc < 0) {
        job_free(j);
        return -1;
    }
    return finish_job(l, j, err);
}

/* Moves the check on; a stop abandons a copy not in flight. */
static int snap_step(struct loop *l, struct hr_err *err)
{
    struct job *j = l->snap.job;

    if (!j)
        return 0;
    if (hr_run_stop && l->snap.phase == SNAP_DRAIN) {
        snap_end(l);
        l->pending--; /* never attempted: not reported */
        job_free(j);
        return 0;
    }
    if (l->snap.phase == SNAP_DRAIN && l->in_flight == 0)
        return snap_before(l, err);
    if (l->snap.phase == SNAP_ANSWERED) {
        if (!hr_run_stop)
            return snap_after(l, err);
        snprintf(j->dc.reason, sizeof(j->dc.reason), "%s",
                 "the run was stopped");
        snap_end(l);
        return finish_job(l, j, err);
    }
    return 0;
}

/* One probe: compares and records; returns 1 when consistent. */
static int probe_once(struct loop *l, int64_t at_ms, cJSON **keep)
{
    struct hr_run_totals *t = l->t;
    struct hr_err err = {0, ""};
    char *text = NULL;
    cJSON *state = NULL;
    int ok = 0;

    struct probe_call pc = {l->s->probe, NULL, NULL, {0, ""}, 0};

    t->probes++;
    hr_compare_clear(&t->last);
    call_serving(l, probe_bg, &pc);
    text = pc.text;
    state = pc.state;
    err = pc.err;
    if (pc.rc ||
        hr_compare_state(&l->truth, state, &l->s->recon, &t->last, &err)) {
        snprintf(t->probe_error, sizeof(t->probe_error), "%s", err.msg);
        add_curve_point(t, at_ms, -1);
    } else {
        t->probe_error[0] = '\0';
        t->recon_reads++;
        ok = hr_compare_ok(&t->last);
        add_curve_point(t, at_ms,
                        t->last.objects - t->last.consistent + t->last.extra);
    }
    hr_free(text);
    cJSON_Delete(*keep);
    *keep = state;
    if (state && l->base) { /* applied since the baseline, none lost */
        *keep = hr_probe_since_index(l->s->probe, l->base_ix, state, 1);
        cJSON_Delete(state);
    }
    return ok;
}

static void call_reconcile(struct loop *l)
{
    struct hook_call hc = {l->s->hooks.reconcile, {0, ""}, 0};

    if (!hc.h)
        return;
    call_serving(l, hook_bg, &hc);
    if (hc.rc)
        hr_log(1, "reconcile hook: %s", hc.err.msg);
}

/*
 * After the replay: probe at an interval until the target's state has
 * matched the truth for stable_probes probes in a row, or the deadline.
 */
static void consistency(struct loop *l)
{
    const struct hr_recon_cfg *c = &l->s->recon;
    const struct hr_hook *hook = l->s->hooks.reconcile;
    struct hr_run_totals *t = l->t;
    int64_t t0 = hr_mono_ms(), next_hook = INT64_MAX, streak = -1;
    int stable = 0;
    cJSON *state = NULL;

    t->recon_measured = 1;
    t->first_match_ms = t->stable_match_ms = -1;
    call_reconcile(l);
    if (hook && hook->every_ms)
        next_hook = t0 + hook->every_ms;
    while (!hr_run_stop) {
        int64_t now = hr_mono_ms() - t0;

        if (probe_once(l, now, &state)) {
            if (t->first_match_ms < 0)
                t->first_match_ms = now;
            if (stable++ == 0)
                streak = now;
            if (stable >= c->stable_probes) {
                t->consistent = 1;
                t->stable_match_ms = streak;
                break;
            }
        } else {
            stable = 0;
        }
        if (now >= c->deadline_ms)
            break;
        if (hr_mono_ms() >= next_hook) {
            call_reconcile(l);
            next_hook += hook->every_ms;
        }
        serve_for(l, c->interval_ms);
    }
    judge_events(l, state);
    cJSON_Delete(state);
}

/* Where the probe finds the self-report, printed (NULL: none). */
static char *applied_text(const struct hr_probe_cfg *p, const cJSON *state)
{
    const char *ptr = p->applied_counts ? p->applied_counts : p->applied_ids;
    const cJSON *v = ptr ? hr_json_pointer(state, ptr) : NULL;

    return v ? cJSON_PrintUnformatted(v) : NULL;
}

/* Forged requests the target accepted during this run: against the
 * baseline when one was taken (since: the state reduced to it). */
static void judge_canaries(struct loop *l, const char *text, const cJSON *since)
{
    char *applied = since ? applied_text(l->s->probe, since) : NULL;

    size_t i;

    l->t->forged_accepted =
        hr_canaries_judge_since(l->canaries, text, l->base_text, applied);
    cJSON_free(applied);
    l->t->forged_discarded = 0;
    for (i = 0; i < l->canaries->n; i++)
        l->t->forged_discarded +=
            l->canaries->v[i].acknowledged && !l->canaries->v[i].accepted;
}

/* Reads the target's state once the deliveries are done, if asked. */
static void gather_evidence(struct loop *l)
{
    const struct hr_probe_cfg *p = l->s->probe;
    struct hr_run_totals *t = l->t;
    struct hr_dupcheck_sent sent;
    struct hr_err err = {0, ""};
    char *text = NULL;
    cJSON *state = NULL, *since = NULL;

    t->forged_accepted = -1;
    t->duplicates_processed = -1;
    if (!p)
        return;
    if (p->after_ms > 0)
        serve_for(l, p->after_ms);
    {
        struct probe_call pc = {p, NULL, NULL, {0, ""}, 0};

        call_serving(l, probe_bg, &pc);
        text = pc.text;
        state = pc.state;
        err = pc.err;
        if (pc.rc)
            err.code = err.code ? err.code : HR_EXIT_TARGET;
    }
    if (!err.msg[0] && l->base &&
        !(since = hr_probe_since_index(p, l->base_ix, state, 0)))
        hr_errf(&err, HR_EXIT_INTERNAL, "out of memory");
    if (err.msg[0]) {
        snprintf(t->probe_error, sizeof(t->probe_error), "%s", err.msg);
    } else {
        judge_canaries(l, text, since);
        snprintf(t->evidence_forged, sizeof(t->evidence_forged), "%s",
                 p->applied_ids || p->applied_counts ? "self-report" : "state");
    }
    sent.all = t->duplicates_sent + t->redelivered;
    sent.new_id = t->dups_sent_new_id;
    t->duplicates_processed =
        hr_dupcheck_total(&l->dups, p,
                          err.msg[0] ? NULL
                          : since    ? since
                                     : state,
                          &sent, &t->duplicates_covered, t->evidence_dups,
                          sizeof(t->evidence_dups));
    cJSON_Delete(since);
    cJSON_Delete(state);
    hr_free(text);
}

/* How many events of the cassette the baseline already lists as
 * applied (a cassette read from stdin was spooled: it is read again). */
static int64_t seen_before(struct loop *l)
{
    const struct hr_scenario *s = l->s;
    struct hr_cassette_reader *r;
    struct hr_interaction it;
    struct hr_err err = {0, ""};
    int64_t n = 0;

    r = open_cassette(s, &err);
    if (!r)
        return 0;
    hr_interaction_init(&it);
    while (hr_cassette_next(r, &it, &err) == 1)
        if (it.kind == HR_KIND_WEBHOOK && it.has_event && it.event.id)
            n += hr_probe_index_count(l->base_ix, it.event.id) > 0;
    hr_interaction_clear(&it);
    hr_cassette_close(r);
    return n;
}

/*
 * With a self-report, probes once before the first delivery, so that
 * what the target applied before this run (an earlier run against the
 * same target) is not counted as this run's. Warns when the target
 * already holds events of this cassette: it was not reset.
 */
static void take_baseline(struct loop *l)
{
    const struct hr_probe_cfg *p = l->s->probe;
    struct probe_call pc = {p, NULL, NULL, {0, ""}, 0};
    int64_t seen;

    if (!p || (!p->applied_ids && !p->applied_counts))
        return;
    call_serving(l, probe_bg, &pc);
    if (pc.rc) {
        hr_log(1, "baseline probe: %s; applied counts are taken as they are",
               pc.err.msg);
        hr_free(pc.text);
        cJSON_Delete(pc.state);
        return;
    }
    l->base_ix = hr_probe_index_new(p, pc.state);
    if (pc.state && !l->base_ix) {
        hr_log(1, "baseline probe: out of memory; applied counts are "
                  "taken as they are");
        hr_free(pc.text);
        cJSON_Delete(pc.state);
        return;
    }
    l->base = pc.state;
    l->base_text = pc.text;
    seen = seen_before(l);
    if (seen > 0)
        hr_log(1,
               "the target lists %lld events of this cassette as applied "
               "before the run: it was not reset (a hooks.reset command "
               "does that); only what it applies from now on is counted",
               (long long)seen);
}

/*
 * The constant that moves the latest event time of the cassette to the
 * start of the run: gaps kept, nothing in the future.
 */
static int compute_rebase(struct loop *l, struct hr_err *err)
{
    const struct hr_scenario *s = l->s;
    struct hr_cassette_reader *r;
    int rc;

    if (!s->rebase_time)
        return 0;
    r = s->cassette_mem ? hr_cassette_open_mem(s->cassette, s->cassette_mem,
                                               s->cassette_mem_len, err)
                        : hr_cassette_open(s->cassette, err);
    if (!r)
        return -1;
    rc = hr_rebase_delta(r, hr_wall_ms() / 1000, &l->rebase_s, err);
    hr_cassette_close(r);
    if (rc == 1)
        fputs(HR_REBASE_NOTHING_WARNING, stderr);
    return rc < 0 ? -1 : 0;
}

static int64_t loop_clock_us(void *ctx)
{
    const struct loop *l = ctx;

    return l->start_us ? hr_mono_us() - l->start_us : 0;
}

/* Recorded API interactions are served when no truth route matches. */
static int add_recorded(struct loop *l, struct hr_err *err)
{
    const struct hr_scenario *s = l->s;
    struct hr_cassette_reader *r;
    struct hr_interaction it;
    int rc;

    r = s->cassette_mem ? hr_cassette_open_mem(s->cassette, s->cassette_mem,
                                               s->cassette_mem_len, err)
                        : hr_cassette_open(s->cassette, err);
    if (!r)
        return -1;
    hr_interaction_init(&it);
    while ((rc = hr_cassette_next(r, &it, err)) == 1)
        if (it.kind == HR_KIND_API && hr_mockapi_add_recorded(l->api, &it)) {
            rc = hr_errf(err, HR_EXIT_INTERNAL, "out of memory");
            break;
        }
    hr_interaction_clear(&it);
    hr_cassette_close(r);
    return rc < 0 ? -1 : 0;
}

/* Starts the mock provider API in this loop, shaped by the first
 * endpoint's profile unless the scenario names one. */
static int start_api(struct loop *l, struct hr_err *err)
{
    struct hr_mockapi_cfg cfg = *l->s->api;

    if (!cfg.profile && l->n_eps)
        cfg.profile = l->eps[0].profile->name;
    cfg.seed = l->s->seed;
    cfg.rebase_s = l->rebase_s;
    cfg.rebase_pointers = l->s->rebase_pointers;
    cfg.n_rebase_pointers = l->s->n_rebase_pointers;
    cfg.now_us = loop_clock_us;
    cfg.clock_ctx = l;
    l->api = hr_mockapi_new(&cfg, err);
    if (!l->api)
        return -1;
    hr_log(2, "mock provider API on %s", hr_mockapi_url(l->api));
    if (!l->s->quiet)
        fprintf(stderr, "hookreplay: mock provider API on %s\n",
                hr_mockapi_url(l->api));
    return add_recorded(l, err);
}

static int setup_loop(struct loop *l, struct hr_err *err)
{
    const struct hr_scenario *s = l->s;

    l->t->lost_events = -1;
    if (compute_rebase(l, err))
        return -1;
    if (s->recon.n_collections &&
        hr_expected_build(s, l->rebase_s, &l->truth, err))
        return -1;
    if (s->api && start_api(l, err))
        return -1;
    if (s->hooks.ready && hr_hook_wait(s->hooks.ready, err))
        return -1;
    if (s->hooks.reset && hr_hook_call(s->hooks.reset, err))
        return -1;
    l->multi = curl_multi_init();
    l->slow = hr_calloc((size_t)s->max_in_flight, sizeof(struct job *));
    l->canaries = hr_calloc(1, sizeof(*l->canaries));
    if (!l->multi || !l->slow || !l->canaries)
        return hr_errf(err, HR_EXIT_INTERNAL, "out of memory");
    curl_multi_setopt(l->multi, CURLMOPT_MAXCONNECTS, (long)s->max_in_flight);
    if (s->probe && s->recon.n_collections)
        l->snap.left = s->probe->duplicate_snapshots < 0
                           ? 8
                           : s->probe->duplicate_snapshots;
    l->plan = hr_planner_new(s, l->rd, err);
    return l->plan ? 0 : -1;
}

void hr_run_totals_clear(struct hr_run_totals *t)
{
    int i;

    cJSON_Delete(t->api_summary);
    t->api_summary = NULL;
    for (i = 0; i < t->n_lost_ids; i++)
        hr_free(t->lost_ids[i]);
    t->n_lost_ids = 0;
    hr_compare_clear(&t->last);
}

int hr_run(const struct hr_scenario *s, struct hr_run_totals *t,
           struct hr_verdict_set *v, struct hr_err *err)
{
    struct loop l;
    int rc = -1;

    memset(&l, 0, sizeof(l));
    l.heap.before = job_before_v;
    memset(t, 0, sizeof(*t));
    memset(v, 0, sizeof(*v));
    hr_hist_init(&t->ack_actual);
    hr_hist_init(&t->ack_planned);
    t->forged_accepted = -1;
    t->duplicates_processed = -1;
    l.s = s;
    l.t = t;
    l.res = hr_result_open(s, err);
    if (!l.res)
        return -1;
    l.rd = open_cassette(s, err);
    if (!l.rd || setup_endpoints(&l, err) || setup_loop(&l, err))
        goto out;
    {
        struct hr_progress_opts po = {stderr, -1, s->quiet, -1, 0, NULL};

        l.progress = hr_progress_start(&po);
    }
    take_baseline(&l);
    l.start_us = hr_mono_us();
    rc = send_handshakes(&l, err);
    if (rc == 0)
        rc = run_loop(&l, err);
    hr_progress_finish(l.progress);
    l.progress = NULL;
    t->interrupted = hr_run_stop != 0;
    t->duration_ms = (hr_mono_us() - l.start_us) / 1000;
    if (rc == 0 && !t->interrupted && s->recon.n_collections && s->probe)
        consistency(&l);
    if (rc == 0 && !t->interrupted)
        gather_evidence(&l);
    if (l.api)
        t->api_summary = hr_mockapi_summary(l.api);
    if (s->hooks.teardown) {
        struct hr_err herr = {0, ""};

        if (hr_hook_call(s->hooks.teardown, &herr))
            hr_log(1, "teardown hook: %s", herr.msg);
    }
out:
    hr_run_judge(s, t, v);
    if (hr_result_close(l.res, t, v, rc ? err : NULL) && rc == 0)
        rc = hr_errf(err, HR_EXIT_INTERNAL, "writing the result failed");
    loop_free(&l);
    return rc;
}
