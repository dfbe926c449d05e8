/* SPDX-License-Identifier: MIT */
/* The replay loop: pacing, the libcurl multi sender, retries, results. */
#include "run.h"
#include "cassette.h"
#include "result.h"
#include "sign.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

volatile sig_atomic_t hr_run_stop;

/* Read at most this many deliveries ahead of the send time. */
#define READ_AHEAD_JOBS 4096
#define READ_AHEAD_US 50000

struct endpoint {
    const char *name;
    const struct hr_target_cfg *target;
    struct hr_profile *profile;
};

struct job {
    struct hr_interaction it;
    struct endpoint *ep;
    char *object_key; /* endpoint + object id, or NULL */
    int64_t planned_us;
    uint64_t order;
    int n_obs;
    struct hr_attempt obs[HR_MAX_ATTEMPTS];
    int delivered;
    CURL *easy;
    struct curl_slist *hdrs;
    int64_t retry_after_ms;
    int64_t bytes_recv;
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

struct loop {
    const struct hr_scenario *s;
    struct hr_run_totals *t;
    struct hr_cassette_reader *rd;
    struct endpoint *eps;
    size_t n_eps;
    CURLM *multi;
    struct job **heap;
    size_t heap_len, heap_cap;
    struct job *ready, *ready_tail;
    struct job *peek; /* read but not yet scheduled */
    int eof;
    int in_flight;
    size_t pending; /* jobs read and not finished */
    uint64_t order, scan;
    int64_t start_us, first_at_ms;
    int64_t n_read;
    struct objmap objs;
    struct hr_result *res;
};

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;

    while (*s)
        h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
    return h;
}

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
            k = hash_str(o->key) & (bigger.cap - 1);
            while (bigger.slots[k].key)
                k = (k + 1) & (bigger.cap - 1);
            bigger.slots[k] = *o;
            bigger.used++;
        }
        hr_free(m->slots);
        *m = bigger;
    }
    i = hash_str(key) & (m->cap - 1);
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

static int job_before(const struct job *a, const struct job *b)
{
    if (a->planned_us != b->planned_us)
        return a->planned_us < b->planned_us;
    return a->order < b->order;
}

static int heap_push(struct loop *l, struct job *j)
{
    size_t i;

    if (l->heap_len == l->heap_cap) {
        size_t cap = l->heap_cap ? l->heap_cap * 2 : 256;
        struct job **h = hr_realloc(l->heap, cap * sizeof(*h));

        if (!h)
            return -1;
        l->heap = h;
        l->heap_cap = cap;
    }
    i = l->heap_len++;
    while (i > 0 && job_before(j, l->heap[(i - 1) / 2])) {
        l->heap[i] = l->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    l->heap[i] = j;
    return 0;
}

static struct job *heap_pop(struct loop *l)
{
    struct job *top = l->heap[0], *last = l->heap[--l->heap_len];
    size_t i = 0;

    for (;;) {
        size_t c = 2 * i + 1;

        if (c >= l->heap_len)
            break;
        if (c + 1 < l->heap_len && job_before(l->heap[c + 1], l->heap[c]))
            c++;
        if (!job_before(l->heap[c], last))
            break;
        l->heap[i] = l->heap[c];
        i = c;
    }
    if (l->heap_len)
        l->heap[i] = last;
    return top;
}

static int64_t now_us(const struct loop *l)
{
    return hr_mono_us() - l->start_us;
}

static void job_free(struct job *j)
{
    if (!j)
        return;
    hr_interaction_clear(&j->it);
    hr_free(j->object_key);
    curl_slist_free_all(j->hdrs);
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

static int64_t plan_first(struct loop *l, const struct hr_interaction *it)
{
    const struct hr_scenario *s = l->s;

    if (s->pacing == HR_PACE_ASAP)
        return now_us(l);
    if (s->pacing == HR_PACE_RATE)
        return (int64_t)((double)(l->n_read - 1) * 1e6 / s->rate_per_s);
    if (l->n_read == 1)
        l->first_at_ms = it->at_ms;
    return (int64_t)((double)(it->at_ms - l->first_at_ms) * 1000.0 /
                     s->speed);
}

/* Reads the next webhook interaction into l->peek; 0 at end or error. */
static int read_next(struct loop *l)
{
    struct hr_err err = {0, ""};
    struct job *j;
    int rc;

    while (!l->eof && !l->peek) {
        j = hr_calloc(1, sizeof(*j));
        if (!j)
            return -1;
        hr_interaction_init(&j->it);
        rc = hr_cassette_next(l->rd, &j->it, &err);
        if (rc <= 0) {
            job_free(j);
            l->eof = 1;
            if (rc < 0) {
                l->t->input_error = 1;
                snprintf(l->t->input_msg, sizeof(l->t->input_msg), "%s",
                         err.msg);
            }
            return 0;
        }
        if (j->it.kind != HR_KIND_WEBHOOK) {
            job_free(j);
            continue;
        }
        j->ep = find_endpoint(l, j->it.endpoint);
        if (!j->ep) {
            l->t->input_error = 1;
            snprintf(l->t->input_msg, sizeof(l->t->input_msg),
                     "line %d: endpoint '%s' has no target", j->it.line,
                     j->it.endpoint);
            job_free(j);
            l->eof = 1;
            return 0;
        }
        if (j->it.has_event && j->it.event.object) {
            struct hr_buf b;

            hr_buf_init(&b, 0);
            if (hr_buf_printf(&b, "%s\x1f%s", j->ep->name,
                              j->it.event.object)) {
                job_free(j);
                return -1;
            }
            j->object_key = hr_buf_steal(&b, NULL);
        }
        l->n_read++;
        j->order = l->order++;
        j->planned_us = plan_first(l, &j->it);
        l->peek = j;
    }
    return 0;
}

/* Moves read-ahead deliveries whose time is near into the heap. */
static int fill(struct loop *l)
{
    int64_t horizon = now_us(l) + READ_AHEAD_US;

    while (!hr_run_stop && l->pending < READ_AHEAD_JOBS) {
        if (read_next(l))
            return -1;
        if (!l->peek || l->peek->planned_us > horizon)
            break;
        if (heap_push(l, l->peek))
            return -1;
        l->pending++;
        l->t->events++;
        l->peek = NULL;
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

static int header_line_ok(const char *s)
{
    return !strpbrk(s, "\r\n");
}

static int add_header(struct curl_slist **h, const char *name,
                      const char *value)
{
    struct hr_buf b;
    struct curl_slist *n;

    if (!header_line_ok(name) || !header_line_ok(value))
        return 0; /* never let recorded bytes inject header lines */
    hr_buf_init(&b, 0);
    if (value[0] ? hr_buf_printf(&b, "%s: %s", name, value)
                 : hr_buf_printf(&b, "%s;", name))
        return -1;
    n = curl_slist_append(*h, b.data);
    hr_buf_free(&b);
    if (!n)
        return -1;
    *h = n;
    return 0;
}

/* "Name:" tells libcurl not to send a header it would add itself. */
static int suppress_header(struct curl_slist **h, const char *name)
{
    char line[64];
    struct curl_slist *n;

    snprintf(line, sizeof(line), "%s:", name);
    n = curl_slist_append(*h, line);
    if (!n)
        return -1;
    *h = n;
    return 0;
}

static int skip_recorded(const struct hr_profile *p, const char *name)
{
    return hr_profile_regenerates(p, name) || hr_strcaseeq(name, "Host") ||
           hr_strcaseeq(name, "Transfer-Encoding") ||
           hr_strcaseeq(name, "Connection");
}

/* Recorded headers in order, profile defaults, then fresh signatures. */
static int build_headers(struct job *j, struct hr_err *err)
{
    const struct hr_message *rq = &j->it.request;
    const struct hr_profile *p = j->ep->profile;
    const struct hr_target_cfg *t = j->ep->target;
    struct hr_message sig;
    struct hr_sign_input in;
    size_t i;
    int rc = -1;

    curl_slist_free_all(j->hdrs);
    j->hdrs = NULL;
    memset(&sig, 0, sizeof(sig));
    for (i = 0; i < rq->n_headers; i++)
        if (!skip_recorded(p, rq->headers[i].name) &&
            add_header(&j->hdrs, rq->headers[i].name, rq->headers[i].value))
            goto out;
    for (i = 0; i < p->n_default_headers; i++)
        if (!hr_message_header(rq, p->default_headers[i].name) &&
            add_header(&j->hdrs, p->default_headers[i].name,
                       p->default_headers[i].value))
            goto out;
    if ((!hr_message_header(rq, "Accept") &&
         suppress_header(&j->hdrs, "Accept")) ||
        suppress_header(&j->hdrs, "Expect"))
        goto out;
    memset(&in, 0, sizeof(in));
    in.scheme = p->scheme;
    in.secrets = (const char *const *)t->secrets;
    in.n_secrets = 1;
    in.id = j->it.has_event ? j->it.event.id : NULL;
    in.timestamp = hr_wall_ms() / 1000;
    in.body = rq->body;
    in.body_len = rq->body_len;
    if (hr_sign_keyed(&in, p->key_mode, &sig, err))
        goto out;
    for (i = 0; i < sig.n_headers; i++)
        if (add_header(&j->hdrs, sig.headers[i].name, sig.headers[i].value))
            goto out;
    rc = 0;
out:
    for (i = 0; i < sig.n_headers; i++) {
        hr_free(sig.headers[i].name);
        hr_free(sig.headers[i].value);
    }
    hr_free(sig.headers);
    return rc;
}

static char *target_url(const struct job *j)
{
    const struct hr_target_cfg *t = j->ep->target;
    const struct hr_message *rq = &j->it.request;
    struct hr_buf b;

    if (!t->keep_path)
        return hr_strdup(t->url);
    hr_buf_init(&b, 0);
    if (hr_buf_puts(&b, t->url) ||
        (b.len && b.data[b.len - 1] == '/' && rq->path[0] == '/' &&
         (b.data[--b.len] = '\0', 0)) ||
        hr_buf_puts(&b, rq->path) ||
        (rq->query && rq->query[0] &&
         hr_buf_printf(&b, "?%s", rq->query))) {
        hr_buf_free(&b);
        return NULL;
    }
    return hr_buf_steal(&b, NULL);
}

static int start_attempt(struct loop *l, struct job *j, struct hr_err *err)
{
    const struct hr_profile *p = j->ep->profile;
    struct hr_attempt *a = &j->obs[j->n_obs];
    const char *method = j->it.request.method;
    char *url;

    if (build_headers(j, err))
        return -1;
    url = target_url(j);
    j->easy = curl_easy_init();
    if (!url || !j->easy) {
        hr_free(url);
        return hr_errf(err, HR_EXIT_INTERNAL, "out of memory");
    }
    curl_easy_setopt(j->easy, CURLOPT_URL, url);
    hr_free(url);
    curl_easy_setopt(j->easy, CURLOPT_PRIVATE, j);
    curl_easy_setopt(j->easy, CURLOPT_HTTPHEADER, j->hdrs);
    curl_easy_setopt(j->easy, CURLOPT_POSTFIELDS, j->it.request.body);
    curl_easy_setopt(j->easy, CURLOPT_POSTFIELDSIZE_LARGE,
                     (curl_off_t)j->it.request.body_len);
    if (method && strcmp(method, "POST"))
        curl_easy_setopt(j->easy, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(j->easy, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(j->easy, CURLOPT_TIMEOUT_MS, (long)p->timeout_ms);
    curl_easy_setopt(j->easy, CURLOPT_CONNECTTIMEOUT_MS,
                     (long)(p->timeout_ms < 10000 ? p->timeout_ms : 10000));
    curl_easy_setopt(j->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(j->easy, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(j->easy, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(j->easy, CURLOPT_WRITEDATA, j);
    curl_easy_setopt(j->easy, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(j->easy, CURLOPT_HEADERDATA, j);
    memset(a, 0, sizeof(*a));
    a->planned_us = j->planned_us;
    a->sent_us = now_us(l);
    a->answered_us = -1;
    j->retry_after_ms = -1;
    j->bytes_recv = 0;
    if (curl_multi_add_handle(l->multi, j->easy) != CURLM_OK)
        return hr_errf(err, HR_EXIT_INTERNAL, "curl_multi_add_handle failed");
    j->n_obs++;
    l->in_flight++;
    l->t->attempts++;
    return 0;
}

/* Starts every ready delivery that the limits allow, in order. */
static int dispatch(struct loop *l, struct hr_err *err)
{
    struct job **pp = &l->ready, *prev = NULL;
    int64_t now = now_us(l);

    while (l->heap_len && l->heap[0]->planned_us <= now)
        ready_append(l, heap_pop(l));
    l->scan++;
    pp = &l->ready;
    while (*pp && l->in_flight < l->s->max_in_flight && !hr_run_stop) {
        struct job *j = *pp;
        struct slot *sl = NULL;

        if (j->object_key) {
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
        if (sl)
            sl->in_flight++;
        if (start_attempt(l, j, err))
            return -1;
    }
    return 0;
}

static void count_attempt(struct loop *l, const struct hr_attempt *a)
{
    struct hr_run_totals *t = l->t;

    if (a->status > 0) {
        t->answered++;
        if (a->status < HR_STATUS_MAX)
            t->status[a->status]++;
        hr_hist_add(&t->ack_actual, a->answered_us - a->sent_us);
        hr_hist_add(&t->ack_planned, a->answered_us - a->planned_us);
    } else if (a->timed_out) {
        t->err_timeout++;
    } else if (a->connect_failed) {
        t->err_connect++;
    } else {
        t->err_other++;
    }
}

static int finish_job(struct loop *l, struct job *j, struct hr_err *err)
{
    if (j->delivered)
        l->t->delivered++;
    else
        l->t->failed++;
    l->pending--;
    if (hr_result_event(l->res, &j->it, j->ep->name, j->obs, j->n_obs,
                        j->delivered, err))
        return -1;
    job_free(j);
    return 0;
}

/* Delay before the next attempt, or -1 when the schedule is spent. */
static int64_t retry_delay_us(const struct loop *l, const struct job *j)
{
    const struct hr_profile *p = j->ep->profile;
    double ms;

    if (!l->s->retries || j->n_obs > (int)p->n_retry_delays ||
        j->n_obs >= HR_MAX_ATTEMPTS)
        return -1;
    ms = (double)p->retry_delays_ms[j->n_obs - 1];
    if (p->honors_retry_after && j->retry_after_ms > ms)
        ms = (double)j->retry_after_ms;
    return (int64_t)(ms * l->s->retry_time_scale * 1000.0);
}

static int on_done(struct loop *l, CURLMsg *m, struct hr_err *err)
{
    struct job *j = NULL;
    struct hr_attempt *a;
    long status = 0;
    int64_t delay;

    curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&j);
    a = &j->obs[j->n_obs - 1];
    a->answered_us = now_us(l);
    curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &status);
    if (m->data.result == CURLE_OK) {
        a->status = (int)status;
    } else {
        a->timed_out = m->data.result == CURLE_OPERATION_TIMEDOUT;
        a->connect_failed = m->data.result == CURLE_COULDNT_CONNECT;
        snprintf(a->error, sizeof(a->error), "%s",
                 curl_easy_strerror(m->data.result));
        a->answered_us = -1;
    }
    a->bytes_sent = (int64_t)j->it.request.body_len;
    a->bytes_received = j->bytes_recv;
    curl_multi_remove_handle(l->multi, j->easy);
    curl_easy_cleanup(j->easy);
    j->easy = NULL;
    l->in_flight--;
    if (j->object_key) {
        struct slot *sl = objmap_get(&l->objs, j->object_key);
        if (sl)
            sl->in_flight--;
    }
    count_attempt(l, a);
    j->delivered = a->status > 0 &&
                   hr_profile_success(j->ep->profile, a->status);
    delay = j->delivered ? -1 : retry_delay_us(l, j);
    if (delay < 0 || hr_run_stop)
        return finish_job(l, j, err);
    j->planned_us = now_us(l) + delay;
    return heap_push(l, j);
}

static int poll_timeout_ms(const struct loop *l)
{
    int64_t next = INT64_MAX, wait;

    if (l->heap_len)
        next = l->heap[0]->planned_us;
    if (l->peek && l->peek->planned_us < next)
        next = l->peek->planned_us;
    if (next == INT64_MAX)
        return 100;
    wait = (next - now_us(l) + 999) / 1000;
    return wait < 0 ? 0 : wait > 100 ? 100 : (int)wait;
}

static int loop_done(const struct loop *l)
{
    if (hr_run_stop)
        return l->in_flight == 0;
    return l->eof && !l->peek && l->pending == 0 && l->in_flight == 0;
}

static int drain_stopped(struct loop *l, struct hr_err *err)
{
    struct job *j;

    while (l->heap_len)
        ready_append(l, heap_pop(l));
    while ((j = l->ready)) {
        l->ready = j->next;
        l->t->events -= j->n_obs == 0; /* never attempted: not counted */
        if (j->n_obs == 0) {
            l->pending--;
            job_free(j);
        } else if (finish_job(l, j, err)) {
            return -1;
        }
    }
    l->ready_tail = NULL;
    job_free(l->peek);
    l->peek = NULL;
    return 0;
}

static int run_loop(struct loop *l, struct hr_err *err)
{
    for (;;) {
        CURLMsg *m;
        int running, left;

        if (fill(l) || dispatch(l, err))
            return -1;
        if (curl_multi_perform(l->multi, &running) != CURLM_OK)
            return hr_errf(err, HR_EXIT_INTERNAL, "curl_multi_perform");
        while ((m = curl_multi_info_read(l->multi, &left)))
            if (m->msg == CURLMSG_DONE && on_done(l, m, err))
                return -1;
        if (hr_run_stop && drain_stopped(l, err))
            return -1;
        if (loop_done(l))
            return 0;
        curl_multi_poll(l->multi, NULL, 0, poll_timeout_ms(l), NULL);
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
        const struct hr_target_cfg *t =
            hr_scenario_target((struct hr_scenario *)l->s,
                               h->endpoints[i].name);
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

    while (l->heap_len)
        job_free(heap_pop(l));
    while (l->ready) {
        struct job *j = l->ready;

        l->ready = j->next;
        job_free(j);
    }
    job_free(l->peek);
    hr_free(l->heap);
    for (i = 0; i < l->n_eps; i++)
        hr_profile_free(l->eps[i].profile);
    hr_free(l->eps);
    objmap_free(&l->objs);
    if (l->multi)
        curl_multi_cleanup(l->multi);
    if (l->rd)
        hr_cassette_close(l->rd);
}

int hr_run(const struct hr_scenario *s, struct hr_run_totals *t,
           struct hr_verdict_set *v, struct hr_err *err)
{
    struct loop l;
    int rc = -1;

    memset(&l, 0, sizeof(l));
    memset(t, 0, sizeof(*t));
    memset(v, 0, sizeof(*v));
    hr_hist_init(&t->ack_actual);
    hr_hist_init(&t->ack_planned);
    l.s = s;
    l.t = t;
    l.res = hr_result_open(s, err);
    if (!l.res)
        return -1;
    l.rd = open_cassette(s, err);
    if (!l.rd || setup_endpoints(&l, err))
        goto out;
    l.multi = curl_multi_init();
    if (!l.multi) {
        hr_errf(err, HR_EXIT_INTERNAL, "curl_multi_init failed");
        goto out;
    }
    curl_multi_setopt(l.multi, CURLMOPT_MAXCONNECTS, (long)s->max_in_flight);
    l.start_us = hr_mono_us();
    rc = run_loop(&l, err);
    t->interrupted = hr_run_stop != 0;
    t->duration_ms = (hr_mono_us() - l.start_us) / 1000;
out:
    hr_run_judge(s, t, v);
    if (hr_result_close(l.res, t, v, rc ? err : NULL) && rc == 0)
        rc = hr_errf(err, HR_EXIT_INTERNAL, "writing the result failed");
    loop_free(&l);
    return rc;
}
