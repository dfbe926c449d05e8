/* SPDX-License-Identifier: MIT */
/* The mock API server: request lifecycle, auth, faults, clock, journal. */
#include "jsonx.h"
#include "mockapi_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define MAX_BODY_BYTES (1 << 20)
/*
 * MHD's per-connection pool holds the request line, the request headers
 * and the response headers; MHD zeroes all of it between two requests on
 * a kept-alive connection, so its size is paid on every request (64 KB
 * made that memset the largest user-space cost). 16 KB leaves room for
 * about 14 KB of request line and headers (Node's default limit is 16
 * KB); larger ones get a 4xx. Request bodies are copied out as they
 * arrive and do not count against it.
 */
#define CONN_POOL_BYTES (16 * 1024)

/* Per request, kept by MHD between calls of the access handler. */
struct req {
    int64_t start_us; /* monotonic */
    int64_t t_us;     /* run clock at arrival */
    struct hr_buf body;
    enum { RQ_NEW, RQ_WAIT, RQ_READY, RQ_HANG, RQ_ABORT } state;
    struct MHD_Response *resp; /* answer held back by a latency fault */
    int resp_owned;            /* resp is not a cached recording */
    int status;
    int64_t retry_after_s;
    int reset;
    int journaled; /* a hung call, journaled when it was held */
    char route[112];
    char path[208];
    char method[12];
    char fault[96];
};

static int parse_listen(const char *s, struct sockaddr_storage *ss,
                        struct hr_err *err);
static void journal_req(struct hr_mockapi *m, struct req *rq, int status);

static int listen_check(const char *s, struct hr_err *err)
{
    struct sockaddr_storage ss;

    return parse_listen(s, &ss, err);
}

/* ---- configuration ---- */

void hr_mockapi_cfg_init(struct hr_mockapi_cfg *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->listen = hr_strdup("127.0.0.1:12111");
    cfg->seed = 1;
}

static void fault_free(struct hr_api_fault *f)
{
    hr_free(f->route);
    hr_free(f->method);
}

void hr_mockapi_cfg_free(struct hr_mockapi_cfg *cfg)
{
    size_t i;

    hr_free(cfg->listen);
    hr_free(cfg->profile);
    hr_free(cfg->profile_dir);
    for (i = 0; i < cfg->n_keys; i++)
        hr_free(cfg->keys[i]);
    hr_free(cfg->keys);
    hr_free(cfg->seed_data);
    hr_free(cfg->journal);
    for (i = 0; i < cfg->n_faults; i++)
        fault_free(&cfg->faults[i]);
    hr_free(cfg->faults);
    memset(cfg, 0, sizeof(*cfg));
}

struct pctx {
    const char *origin;
    struct hr_err *err;
};

static int bad(struct pctx *c, const char *ptr, const char *what)
{
    return hr_errf(c->err, HR_EXIT_INPUT, "%s: /api%s: %s", c->origin, ptr,
                   what);
}

static int get_num(struct pctx *c, const cJSON *o, const char *key,
                   const char *ptr, double lo, double hi, double *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    char what[128];

    if (!v)
        return 0;
    if (cJSON_IsNumber(v) && v->valuedouble >= lo && v->valuedouble <= hi) {
        *out = v->valuedouble;
        return 0;
    }
    snprintf(what, sizeof(what), "%s must be a number from %g to %g", key, lo,
             hi);
    return bad(c, ptr, what);
}

static int parse_match(struct pctx *c, const cJSON *o, const char *ptr,
                       struct hr_api_fault *f)
{
    static const char *const keys[] = {"route", "method", "p", "calls", NULL};
    const cJSON *route = cJSON_GetObjectItemCaseSensitive(o, "route");
    const cJSON *method = cJSON_GetObjectItemCaseSensitive(o, "method");
    const cJSON *calls = cJSON_GetObjectItemCaseSensitive(o, "calls");
    char full[96];

    snprintf(full, sizeof(full), "/api%s/match", ptr);
    f->p = 1;
    if (!o)
        return 0;
    if (!cJSON_IsObject(o))
        return bad(c, ptr, "match must be an object");
    if (hr_json_only_keys(o, keys, c->origin, full, c->err))
        return -1;
    if ((route && !cJSON_IsString(route)) ||
        (method && !cJSON_IsString(method)))
        return bad(c, ptr, "match route and method must be strings");
    f->route = route ? hr_strdup(route->valuestring) : NULL;
    f->method = method ? hr_strdup(method->valuestring) : NULL;
    if (get_num(c, o, "p", ptr, 0, 1, &f->p))
        return -1;
    if (!calls)
        return 0;
    if (!cJSON_IsArray(calls) || cJSON_GetArraySize(calls) != 2 ||
        hr_json_int64(cJSON_GetArrayItem(calls, 0), &f->call_lo) ||
        hr_json_int64(cJSON_GetArrayItem(calls, 1), &f->call_hi) ||
        f->call_lo < 1 || f->call_hi < f->call_lo)
        return bad(c, ptr, "match calls must be [first, last], from 1");
    return 0;
}

/* Latency uses the webhook faults' delay syntax ({"ms": 200}, ...). */
static int parse_latency(struct pctx *c, const cJSON *v, const char *ptr,
                         struct hr_api_fault *f)
{
    cJSON *arr = cJSON_CreateArray(), *rule = cJSON_CreateObject();
    cJSON *act = cJSON_CreateObject();
    struct hr_faults tmp;
    char where[96];
    int rc;

    snprintf(where, sizeof(where), "/api%s/action/latency as", ptr);
    cJSON_AddItemToObject(act, "delay", cJSON_Duplicate(v, 1));
    cJSON_AddItemToObject(rule, "action", act);
    cJSON_AddItemToArray(arr, rule);
    rc = hr_faults_parse(arr, c->origin, where, &tmp, c->err);
    if (rc == 0 && tmp.rules[0].delay.dist == HR_DIST_EMPIRICAL)
        rc = bad(c, ptr, "latency cannot be empirical");
    if (rc == 0)
        f->latency = tmp.rules[0].delay;
    hr_faults_free(&tmp);
    cJSON_Delete(arr);
    f->kind = HR_AF_LATENCY;
    return rc;
}

static int parse_status(struct pctx *c, const cJSON *a, const char *ptr,
                        struct hr_api_fault *f)
{
    static const char *const keys[] = {"status", "retry_after_s", "burst",
                                       NULL};
    double st = 0, ra = -1, burst = 1;
    char full[96];

    snprintf(full, sizeof(full), "/api%s/action", ptr);
    if (hr_json_only_keys(a, keys, c->origin, full, c->err) ||
        get_num(c, a, "status", ptr, 400, 599, &st) ||
        get_num(c, a, "retry_after_s", ptr, 0, 86400, &ra) ||
        get_num(c, a, "burst", ptr, 1, 1e6, &burst))
        return -1;
    f->kind = HR_AF_STATUS;
    f->status = (int)st;
    f->retry_after_s = (int64_t)ra;
    f->burst = (int)burst;
    return 0;
}

static int parse_action(struct pctx *c, const cJSON *a, const char *ptr,
                        struct hr_api_fault *f)
{
    const cJSON *k = cJSON_IsObject(a) ? a->child : NULL;
    double v = 0;

    f->retry_after_s = -1;
    if (!k)
        return bad(c, ptr, "action must be an object with one action");
    if (cJSON_GetObjectItemCaseSensitive(a, "status"))
        return parse_status(c, a, ptr, f);
    if (k->next)
        return bad(c, ptr, "action must hold exactly one action");
    if (strcmp(k->string, "latency") == 0)
        return parse_latency(c, k, ptr, f);
    if (strcmp(k->string, "hang") == 0 || strcmp(k->string, "reset") == 0) {
        f->kind = k->string[0] == 'h' ? HR_AF_HANG : HR_AF_RESET;
        return cJSON_IsTrue(k) ? 0 : bad(c, ptr, "hang and reset take true");
    }
    if (strcmp(k->string, "stale_ms") == 0) {
        f->kind = HR_AF_STALE;
        if (get_num(c, a, "stale_ms", ptr, 0, 8.64e7, &v))
            return -1;
        f->stale_ms = (int64_t)v;
        return 0;
    }
    if (strcmp(k->string, "pagination_shift") == 0) {
        f->kind = HR_AF_SHIFT;
        if (get_num(c, k, "events", ptr, 1, 1e6, &v) || v < 1)
            return bad(c, ptr, "pagination_shift takes {\"events\": N}");
        f->shift_events = (int)v;
        return 0;
    }
    if (strcmp(k->string, "truncate") == 0) {
        f->kind = HR_AF_TRUNCATE;
        f->truncate_fraction = 0.5;
        if (cJSON_IsTrue(k))
            return 0;
        return get_num(c, k, "fraction", ptr, 0, 0.99, &f->truncate_fraction);
    }
    return bad(c, ptr,
               "unknown action (latency, status, hang, reset, "
               "stale_ms, pagination_shift, truncate)");
}

static int parse_faults(struct pctx *c, const cJSON *arr,
                        struct hr_mockapi_cfg *cfg)
{
    static const char *const keys[] = {"match", "action", "stop", NULL};
    const cJSON *it;

    if (!arr)
        return 0;
    if (!cJSON_IsArray(arr))
        return bad(c, "/faults", "must be a list of rules");
    cfg->faults =
        hr_calloc((size_t)cJSON_GetArraySize(arr) + 1, sizeof(*cfg->faults));
    if (!cfg->faults)
        return bad(c, "/faults", "out of memory");
    cJSON_ArrayForEach(it, arr)
    {
        struct hr_api_fault *f = &cfg->faults[cfg->n_faults++];
        char ptr[48], full[64];

        snprintf(ptr, sizeof(ptr), "/faults/%zu", cfg->n_faults - 1);
        snprintf(full, sizeof(full), "/api%s", ptr);
        if (!cJSON_IsObject(it))
            return bad(c, ptr, "a rule is {\"match\": ..., \"action\": ...}");
        if (hr_json_only_keys(it, keys, c->origin, full, c->err) ||
            parse_match(c, cJSON_GetObjectItemCaseSensitive(it, "match"), ptr,
                        f) ||
            parse_action(c, cJSON_GetObjectItemCaseSensitive(it, "action"), ptr,
                         f))
            return -1;
        f->stop = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "stop"));
    }
    return 0;
}

/* Keys from an environment variable, one per line. */
static int load_keys(struct pctx *c, const char *var, int required,
                     struct hr_mockapi_cfg *cfg)
{
    const char *v = getenv(var);
    char *copy, *line, *save = NULL;

    if (!v || !*v)
        return required
                   ? hr_errf(c->err, HR_EXIT_INPUT,
                             "%s: /api/key_env: %s is not set", c->origin, var)
                   : 0;
    copy = hr_strdup(v);
    if (!copy)
        return bad(c, "/key_env", "out of memory");
    for (line = strtok_r(copy, "\r\n", &save); line;
         line = strtok_r(NULL, "\r\n", &save)) {
        char **k = hr_realloc(cfg->keys, (cfg->n_keys + 1) * sizeof(char *));

        if (!k)
            break;
        cfg->keys = k;
        cfg->keys[cfg->n_keys++] = hr_strdup(line);
    }
    hr_free(copy);
    return 0;
}

static int get_path(struct pctx *c, const cJSON *o, const char *key,
                    const char *dir, char **out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    char ptr[64];

    if (!v)
        return 0;
    snprintf(ptr, sizeof(ptr), "/%s", key);
    if (!cJSON_IsString(v) || !v->valuestring[0])
        return bad(c, ptr, "must be a path");
    hr_free(*out);
    *out = hr_path_join(dir ? dir : ".", v->valuestring);
    return 0;
}

int hr_mockapi_cfg_parse(const cJSON *api, const char *origin, const char *dir,
                         struct hr_mockapi_cfg *cfg, struct hr_err *err)
{
    static const char *const keys[] = {
        "listen", "profile", "key_env", "seed_data", "journal", "faults", NULL};
    struct pctx c = {origin, err};
    const cJSON *listen = cJSON_GetObjectItemCaseSensitive(api, "listen");
    const cJSON *prof = cJSON_GetObjectItemCaseSensitive(api, "profile");
    const cJSON *kenv = cJSON_GetObjectItemCaseSensitive(api, "key_env");

    hr_mockapi_cfg_init(cfg);
    if (api && !cJSON_IsObject(api))
        return bad(&c, "", "must be an object");
    if (api && hr_json_only_keys(api, keys, origin, "/api", err))
        return -1;
    if ((listen && !cJSON_IsString(listen)) ||
        (prof && !cJSON_IsString(prof)) || (kenv && !cJSON_IsString(kenv)))
        return bad(&c, "", "listen, profile and key_env must be strings");
    if (listen && listen_check(listen->valuestring, err))
        return hr_errf(err, HR_EXIT_INPUT,
                       "%s: /api/listen: must be "
                       "IP:PORT or [IPv6]:PORT",
                       origin);
    if (listen) {
        hr_free(cfg->listen);
        cfg->listen = hr_strdup(listen->valuestring);
        cfg->listen_explicit = 1;
    }
    if (prof) {
        hr_free(cfg->profile);
        cfg->profile = strchr(prof->valuestring, '/')
                           ? hr_path_join(dir ? dir : ".", prof->valuestring)
                           : hr_strdup(prof->valuestring);
    }
    if (load_keys(&c, kenv ? kenv->valuestring : "HOOKREPLAY_API_KEY",
                  kenv != NULL, cfg) ||
        get_path(&c, api, "seed_data", dir, &cfg->seed_data) ||
        get_path(&c, api, "journal", dir, &cfg->journal))
        return -1;
    return parse_faults(&c, cJSON_GetObjectItemCaseSensitive(api, "faults"),
                        cfg);
}

/* ---- clock ---- */

static int64_t run_now(const struct hr_mockapi *m)
{
    if (m->now_fn)
        return m->now_fn(m->clock_ctx);
    return hr_mono_us() - m->t0_us;
}

/* The run clock at mono_us, a monotonic time read already. */
static int64_t run_at(const struct hr_mockapi *m, int64_t mono_us)
{
    if (m->now_fn)
        return m->now_fn(m->clock_ctx);
    return mono_us - m->t0_us;
}

/* ---- auth ---- */

static int key_known(const struct hr_mockapi *m, const char *k, size_t len)
{
    size_t i;

    for (i = 0; i < m->n_keys; i++)
        if (strlen(m->keys[i]) == len && memcmp(m->keys[i], k, len) == 0)
            return 1;
    return 0;
}

static struct served *served_slot(const struct hr_mockapi *m, const char *id)
{
    size_t k;

    if (!m->cap_served)
        return NULL;
    k = hr_hash64(id) & (m->cap_served - 1);
    while (m->served[k].id && strcmp(m->served[k].id, id))
        k = (k + 1) & (m->cap_served - 1);
    return &m->served[k];
}

static int served_grow(struct hr_mockapi *m)
{
    struct served *old = m->served;
    size_t cap = m->cap_served, i;

    m->cap_served = cap ? cap * 2 : 256;
    m->served = hr_calloc(m->cap_served, sizeof(*m->served));
    if (!m->served) {
        m->served = old;
        m->cap_served = cap;
        return -1;
    }
    for (i = 0; i < cap; i++)
        if (old[i].id)
            *served_slot(m, old[i].id) = old[i];
    hr_free(old);
    return 0;
}

void hr_mockapi_note_served(struct hr_mockapi *m, const char *id,
                            int64_t now_us)
{
    struct served *s;

    if (!id || !*id)
        return;
    if ((m->n_served + 1) * 2 > m->cap_served && served_grow(m))
        return; /* out of memory: the answer goes out all the same */
    s = served_slot(m, id);
    if (s->id) {
        s->last_us = now_us;
        return;
    }
    s->id = hr_strdup(id);
    s->first_us = s->last_us = now_us;
    m->n_served += s->id != NULL;
}

int hr_mockapi_served(const struct hr_mockapi *m, const char *id,
                      int64_t *first_us, int64_t *last_us)
{
    const struct served *s = id ? served_slot(m, id) : NULL;

    if (!s || !s->id)
        return 0;
    if (first_us)
        *first_us = s->first_us;
    if (last_us)
        *last_us = s->last_us;
    return 1;
}

/* Stripe-like hint: the first 8 and last 4 characters, stars between;
 * a short key is never echoed, not even in part. */
static void key_hint(const char *k, size_t len, char *buf, size_t cap)
{
    if (len <= 12) {
        snprintf(buf, cap, "****");
        return;
    }
    snprintf(buf, cap, "%.8s%s%.4s", k, "****", k + len - 4);
}

/* 0 when the request carries a known key, else fills an error. */
static int check_auth(struct hr_mockapi *m, struct MHD_Connection *c,
                      struct out *o)
{
    const char *h =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    const char *k = NULL;
    unsigned char *dec = NULL;
    size_t len = 0, dlen;
    char hint[32];
    int ok;
    struct var v[1] = {{"key_hint", hint}};

    if (!m->n_keys)
        return 0;
    if (h && m->shape->auth_bearer && strncasecmp(h, "Bearer ", 7) == 0) {
        k = h + 7;
        len = strlen(k);
    } else if (h && m->shape->auth_basic && strncasecmp(h, "Basic ", 6) == 0) {
        dec = hr_b64_decode(h + 6, strlen(h + 6), &dlen);
        k = (const char *)dec;
        len = dec ? (size_t)((char *)memchr(dec, ':', dlen)
                                 ? (char *)memchr(dec, ':', dlen) - k
                                 : (long)dlen)
                  : 0;
    }
    if (!k || !len) {
        hr_free(dec);
        hr_mockapi_error(m, HR_AE_MISSING_KEY, NULL, 0, o);
        return -1;
    }
    ok = key_known(m, k, len);
    key_hint(k, len, hint, sizeof(hint));
    hr_free(dec);
    if (ok)
        return 0;
    hr_mockapi_error(m, HR_AE_BAD_KEY, v, 1, o);
    return -1;
}

/* ---- faults ---- */

/* What the fault rules decided for one request. */
struct verdict {
    int64_t latency_us;
    int64_t stale_us;
    const struct hr_api_fault *terminal; /* status, hang, reset, truncate */
    char label[96];
};

static const char *fault_name(const struct hr_api_fault *f, char *buf,
                              size_t cap)
{
    static const char *const names[] = {
        "",      "latency", "status",           "hang",
        "reset", "stale",   "pagination_shift", "truncate"};

    if (f->kind == HR_AF_STATUS) {
        snprintf(buf, cap, "status:%d", f->status);
        return buf;
    }
    return names[f->kind];
}

static void add_label(struct verdict *v, const struct hr_api_fault *f)
{
    char buf[32];
    size_t n = strlen(v->label);

    snprintf(v->label + n, sizeof(v->label) - n, "%s%s", n ? "+" : "",
             fault_name(f, buf, sizeof(buf)));
}

/* 1 when rule i fires for this call; counts the call and bursts. */
static int fires(struct hr_mockapi *m, size_t i, const char *url,
                 const char *method)
{
    const struct hr_api_fault *f = &m->faults[i];
    int64_t call;

    if ((f->route && !hr_glob_match(f->route, url)) ||
        (f->method && strcmp(f->method, method)))
        return 0;
    call = ++m->fault_calls[i];
    if (m->burst_left[i] > 0) {
        m->burst_left[i]--;
        return 1;
    }
    if (call < f->call_lo || (f->call_hi && call > f->call_hi))
        return 0;
    if (f->p < 1 && hr_draw(m->seed, (int)i, url, (int)call, 0) >= f->p)
        return 0;
    if (f->kind == HR_AF_STATUS && f->burst > 1)
        m->burst_left[i] = f->burst - 1;
    return 1;
}

static void decide(struct hr_mockapi *m, const char *url, const char *method,
                   int64_t now_us, struct verdict *v)
{
    size_t i;

    memset(v, 0, sizeof(*v));
    for (i = 0; i < m->n_faults; i++) {
        const struct hr_api_fault *f = &m->faults[i];

        if (!fires(m, i, url, method))
            continue;
        add_label(v, f);
        if (f->kind == HR_AF_LATENCY)
            v->latency_us +=
                hr_delay_sample_us(&f->latency, m->seed, (int)i, url,
                                   (int)m->fault_calls[i], NULL, 0);
        else if (f->kind == HR_AF_STALE && f->stale_ms * 1000 > v->stale_us)
            v->stale_us = f->stale_ms * 1000;
        else if (f->kind == HR_AF_SHIFT)
            hr_truth_release(m->truth, now_us, (size_t)f->shift_events);
        else if (!v->terminal)
            v->terminal = f;
        if (f->stop)
            break;
    }
}

static void status_fault(struct hr_mockapi *m, const struct hr_api_fault *f,
                         struct out *o)
{
    enum hr_api_err_kind k = HR_AE_SERVER_ERROR;

    if (f->status == 429)
        k = HR_AE_RATE_LIMITED;
    else if (f->status == 503)
        k = HR_AE_UNAVAILABLE;
    hr_mockapi_error(m, k, NULL, 0, o);
    o->status = f->status;
    o->retry_after_s = f->retry_after_s;
}

/* ---- responses ---- */

static struct MHD_Response *make_response(const struct out *o,
                                          const struct hr_api_fault *trunc)
{
    const void *data = o->ref ? (const void *)o->ref : o->body.data;
    size_t len = o->ref ? o->ref_len : o->body.len;
    struct MHD_Response *r;
    char ra[24];
    size_t i;

    if (o->cached && !trunc && o->retry_after_s < 0)
        return o->cached;
    if (trunc)
        len = (size_t)((double)len * trunc->truncate_fraction);
    r = MHD_create_response_from_buffer(len, (void *)data,
                                        MHD_RESPMEM_MUST_COPY);
    if (!r)
        return NULL;
    for (i = 0; i < o->n_hdrs; i++)
        MHD_add_response_header(r, o->hdrs[i].name, o->hdrs[i].value);
    if (!MHD_get_response_header(r, "Content-Type"))
        MHD_add_response_header(r, "Content-Type", "application/json");
    if (o->retry_after_s >= 0) {
        snprintf(ra, sizeof(ra), "%lld", (long long)o->retry_after_s);
        MHD_add_response_header(r, "Retry-After", ra);
    }
    return r;
}

static void note(struct req *rq, const struct out *o, const struct verdict *v)
{
    rq->status = o->status;
    rq->retry_after_s = o->retry_after_s;
    hr_mockapi_copy(rq->route, sizeof(rq->route), o->route);
    hr_mockapi_copy(rq->fault, sizeof(rq->fault), v->label);
}

static int add_timer(struct hr_mockapi *m, struct MHD_Connection *c,
                     int64_t due_us)
{
    if (m->n_timers == m->cap_timers) {
        size_t cap = m->cap_timers ? m->cap_timers * 2 : 64;
        struct timer *t = hr_realloc(m->timers, cap * sizeof(*t));

        if (!t)
            return -1;
        m->timers = t;
        m->cap_timers = cap;
    }
    m->timers[m->n_timers++] = (struct timer){due_us, c};
    return 0;
}

static int add_hung(struct hr_mockapi *m, struct MHD_Connection *c)
{
    if (m->n_hung == m->cap_hung) {
        size_t cap = m->cap_hung ? m->cap_hung * 2 : 16;
        struct MHD_Connection **h = hr_realloc(m->hung, cap * sizeof(*h));

        if (!h)
            return -1;
        m->hung = h;
        m->cap_hung = cap;
    }
    m->hung[m->n_hung++] = c;
    return 0;
}

/* Makes the connection end with a TCP reset rather than a FIN. */
static void arm_reset(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    struct linger lg = {1, 0};

    if (ci)
        setsockopt(ci->connect_fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
}

/* Decides the answer; returns what the access handler returns. */
static enum MHD_Result answer(struct hr_mockapi *m, struct MHD_Connection *c,
                              struct req *rq, const char *url,
                              const char *method)
{
    struct out o = {0};
    struct verdict v;
    struct reqinfo q = {c,
                        url,
                        method,
                        (const unsigned char *)rq->body.data,
                        rq->body.len,
                        rq->t_us,
                        rq->t_us};
    struct MHD_Response *r;
    enum MHD_Result ret;

    hr_buf_init(&o.body, 0);
    o.retry_after_s = -1;
    hr_mockapi_copy(o.route, sizeof(o.route), "unmatched");
    decide(m, url, method, rq->t_us, &v);
    q.read_us = rq->t_us - v.stale_us;
    if (check_auth(m, c, &o) == 0)
        hr_mockapi_route(m, &q, &o);
    else
        hr_mockapi_copy(o.route, sizeof(o.route), "unauthorized");
    if (v.terminal && v.terminal->kind == HR_AF_STATUS) {
        o.ref = NULL;
        o.cached = NULL;
        status_fault(m, v.terminal, &o);
    }
    if (v.terminal && v.terminal->kind != HR_AF_STATUS &&
        v.terminal->kind != HR_AF_TRUNCATE) {
        note(rq, &o, &v);
        rq->status = 0;
        hr_buf_free(&o.body);
        if (v.terminal->kind == HR_AF_RESET) {
            arm_reset(c);
            rq->reset = 1;
            return MHD_NO;
        }
        /* A hung call ends only when the client gives up or the server
         * stops, which may be after the summary: journal it now. */
        rq->state = RQ_HANG;
        journal_req(m, rq, 0);
        MHD_suspend_connection(c);
        return add_hung(m, c) ? MHD_NO : MHD_YES;
    }
    note(rq, &o, &v);
    r = make_response(&o, v.terminal && v.terminal->kind == HR_AF_TRUNCATE
                              ? v.terminal
                              : NULL);
    hr_buf_free(&o.body);
    if (!r)
        return MHD_NO;
    if (v.latency_us > 0) {
        rq->resp = r;
        rq->resp_owned = r != o.cached;
        rq->state = RQ_WAIT;
        MHD_suspend_connection(c);
        return add_timer(m, c, hr_mono_us() + v.latency_us) ? MHD_NO : MHD_YES;
    }
    ret = MHD_queue_response(c, (unsigned int)o.status, r);
    if (r != o.cached)
        MHD_destroy_response(r);
    return ret;
}

static int read_body(struct req *rq, const char *data, size_t *size)
{
    if (*size && hr_buf_add(&rq->body, data, *size))
        rq->reset = 2; /* too large: answered with 413 */
    *size = 0;
    return 0;
}

static enum MHD_Result too_large(struct req *rq, struct MHD_Connection *c)
{
    static const char msg[] = "{\"error\":{\"message\":\"Request body too "
                              "large\",\"type\":\"invalid_request_error\"}}";
    struct MHD_Response *r = MHD_create_response_from_buffer(
        sizeof(msg) - 1, (void *)msg, MHD_RESPMEM_PERSISTENT);
    enum MHD_Result ret;

    rq->status = 413;
    snprintf(rq->route, sizeof(rq->route), "unmatched");
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", "application/json");
    MHD_add_response_header(r, "Connection", "close");
    ret = MHD_queue_response(c, 413, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result resume_answer(struct req *rq, struct MHD_Connection *c)
{
    enum MHD_Result ret;

    if (rq->state == RQ_ABORT || !rq->resp)
        return MHD_NO;
    ret = MHD_queue_response(c, (unsigned int)rq->status, rq->resp);
    if (rq->resp_owned)
        MHD_destroy_response(rq->resp);
    rq->resp = NULL;
    rq->state = RQ_READY;
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
                                  const char *url, const char *method,
                                  const char *version, const char *data,
                                  size_t *size, void **con_cls)
{
    struct hr_mockapi *m = cls;
    struct req *rq = *con_cls;

    if (!rq) {
        rq = hr_calloc(1, sizeof(*rq));
        if (!rq)
            return MHD_NO;
        rq->start_us = hr_mono_us();
        rq->t_us = run_at(m, rq->start_us);
        rq->retry_after_s = -1;
        hr_buf_init(&rq->body, MAX_BODY_BYTES);
        hr_mockapi_copy(rq->path, sizeof(rq->path), url);
        hr_mockapi_copy(rq->method, sizeof(rq->method), method);
        hr_mockapi_copy(rq->route, sizeof(rq->route), "unmatched");
        *con_cls = rq;
        return MHD_YES;
    }
    if (*size)
        return read_body(rq, data, size) ? MHD_NO : MHD_YES;
    if (rq->state == RQ_WAIT || rq->state == RQ_ABORT)
        return resume_answer(rq, c);
    if (rq->state == RQ_HANG)
        return MHD_NO;
    if (rq->reset == 2)
        return too_large(rq, c);
    return answer(m, c, rq, url, method);
}

/* Journals rq with the status it ended with (0: no answer was sent). */
static void journal_req(struct hr_mockapi *m, struct req *rq, int status)
{
    struct hr_journal_entry e;

    e.t_us = rq->t_us;
    e.method = rq->method;
    e.route = rq->route;
    e.path = rq->path;
    e.status = status;
    e.latency_us = hr_mono_us() - rq->start_us;
    e.fault = rq->fault[0] ? rq->fault : NULL;
    e.retry_after_s = rq->retry_after_s;
    e.mono_us = rq->start_us;
    hr_journal_record(m->journal, &e);
    rq->journaled = 1;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct hr_mockapi *m = cls;
    struct req *rq = *con_cls;
    int status;

    if (!rq)
        return;
    status = toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? rq->status : 0;
    if (rq->reset == 2)
        status = 413;
    if (!rq->journaled)
        journal_req(m, rq, status);
    if (rq->resp && rq->resp_owned)
        MHD_destroy_response(rq->resp);
    hr_buf_free(&rq->body);
    hr_free(rq);
    *con_cls = NULL;
}

/* ---- listening ---- */

static int loopback(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)ss;

        return (ntohl(a->sin_addr.s_addr) >> 24) == 127;
    }
    return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)ss)->sin6_addr);
}

static int parse_listen(const char *s, struct sockaddr_storage *ss,
                        struct hr_err *err)
{
    char host[128];
    const char *colon = strrchr(s, ':');
    size_t hl;
    long port;
    char *end;

    memset(ss, 0, sizeof(*ss));
    if (!colon)
        goto bad;
    hl = (size_t)(colon - s);
    if (hl >= sizeof(host) || hl == 0)
        goto bad;
    memcpy(host, s, hl);
    host[hl] = '\0';
    port = strtol(colon + 1, &end, 10);
    if (*end || port < 0 || port > 65535 || end == colon + 1)
        goto bad;
    if (host[0] == '[' && host[hl - 1] == ']') {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

        host[hl - 1] = '\0';
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, host + 1, &a->sin6_addr) != 1)
            goto bad;
        return 0;
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)ss;

        a->sin_family = AF_INET;
        a->sin_port = htons((uint16_t)port);
        if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
            goto bad;
        return 0;
    }
bad:
    return hr_errf(err, HR_EXIT_INPUT,
                   "listen address '%s' must be IP:PORT or [IPv6]:PORT", s);
}

static int start_daemon(struct hr_mockapi *m, const struct hr_mockapi_cfg *cfg,
                        struct hr_err *err)
{
    struct sockaddr_storage ss;
    const union MHD_DaemonInfo *di;
    unsigned int flags =
        MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_TURBO;
    char host[64];

    if (parse_listen(cfg->listen, &ss, err))
        return -1;
    if (!loopback(&ss))
        hr_log(1,
               "warning: the mock API listens on %s, beyond this "
               "machine; it serves recorded data without TLS",
               cfg->listen);
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    m->d = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, m, MHD_OPTION_SOCK_ADDR, &ss,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, m,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)120,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned int)4000,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_POOL_BYTES,
        MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned int)1, MHD_OPTION_END);
    if (!m->d)
        return hr_errf(err, HR_EXIT_INTERNAL,
                       "cannot listen on %s (in use, or not an address of "
                       "this machine)",
                       cfg->listen);
    di = MHD_get_daemon_info(m->d, MHD_DAEMON_INFO_BIND_PORT);
    m->port = di ? di->port : 0;
    if (ss.ss_family == AF_INET)
        inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, host,
                  sizeof(host));
    else
        snprintf(host, sizeof(host), "[::1]");
    snprintf(m->url, sizeof(m->url), "http://%s:%d", host, m->port);
    return 0;
}

/* ---- lifecycle ---- */

static int copy_cfg(struct hr_mockapi *m, const struct hr_mockapi_cfg *cfg)
{
    size_t i;

    m->seed = cfg->seed;
    m->now_fn = cfg->now_us;
    m->clock_ctx = cfg->clock_ctx;
    m->keys = hr_calloc(cfg->n_keys + 1, sizeof(char *));
    m->faults = hr_calloc(cfg->n_faults + 1, sizeof(*m->faults));
    m->fault_calls = hr_calloc(cfg->n_faults + 1, sizeof(int64_t));
    m->burst_left = hr_calloc(cfg->n_faults + 1, sizeof(int));
    if (!m->keys || !m->faults || !m->fault_calls || !m->burst_left)
        return -1;
    for (i = 0; i < cfg->n_keys; i++)
        m->keys[m->n_keys++] = hr_strdup(cfg->keys[i]);
    for (i = 0; i < cfg->n_faults; i++) {
        m->faults[i] = cfg->faults[i];
        m->faults[i].route =
            cfg->faults[i].route ? hr_strdup(cfg->faults[i].route) : NULL;
        m->faults[i].method =
            cfg->faults[i].method ? hr_strdup(cfg->faults[i].method) : NULL;
        m->n_faults++;
    }
    return 0;
}

/* rebase_time: the rule every served body goes through (rebase.h). */
static int setup_rebase(struct hr_mockapi *m, const struct hr_mockapi_cfg *cfg,
                        struct hr_err *err)
{
    size_t i;

    if (!cfg->rebase_s)
        return 0;
    m->rebase_profile = hr_profile_load(cfg->profile ? cfg->profile : "stripe",
                                        cfg->profile_dir, err);
    if (!m->rebase_profile)
        return -1;
    m->rebase_pointers = hr_calloc(cfg->n_rebase_pointers + 1, sizeof(char *));
    if (!m->rebase_pointers)
        return hr_errf(err, HR_EXIT_INTERNAL, "out of memory");
    for (i = 0; i < cfg->n_rebase_pointers; i++) {
        m->rebase_pointers[i] = hr_strdup(cfg->rebase_pointers[i]);
        if (!m->rebase_pointers[i])
            return hr_errf(err, HR_EXIT_INTERNAL, "out of memory");
    }
    m->rebase = (struct hr_rebase){cfg->rebase_s, m->rebase_profile,
                                   m->rebase_pointers, cfg->n_rebase_pointers};
    return 0;
}

/* Seed objects, their times moved by the rebase rule when it is on. */
static int load_seed(struct hr_mockapi *m, const char *path, struct hr_err *err)
{
    unsigned char *moved = NULL;
    size_t len, moved_len;
    char *text;
    int rc;

    if (!path)
        return 0;
    if (!m->rebase.delta_s)
        return hr_truth_load_seed(m->truth, path, err);
    text = hr_read_file(path, &len, err);
    if (!text)
        return -1;
    rc = hr_rebase_body(&m->rebase, (unsigned char *)text, len, &moved,
                        &moved_len);
    if (rc < 0)
        rc = hr_errf(err, HR_EXIT_INTERNAL, "out of memory");
    else if (rc == 0)
        rc = hr_truth_load_seed_text(m->truth, path, (char *)moved, moved_len,
                                     err);
    else
        rc = hr_truth_load_seed_text(m->truth, path, text, len, err);
    hr_free(moved);
    hr_free(text);
    return rc;
}

struct hr_mockapi *hr_mockapi_new(const struct hr_mockapi_cfg *cfg,
                                  struct hr_err *err)
{
    struct hr_mockapi *m = hr_calloc(1, sizeof(*m));

    if (!m) {
        hr_errf(err, HR_EXIT_INTERNAL, "out of memory");
        return NULL;
    }
    m->t0_us = hr_mono_us();
    m->truth = hr_truth_new();
    if (!m->truth || copy_cfg(m, cfg)) {
        hr_errf(err, HR_EXIT_INTERNAL, "out of memory");
        goto fail;
    }
    m->shape = hr_apishape_load(cfg->profile ? cfg->profile : "stripe",
                                cfg->profile_dir, err);
    if (!m->shape)
        goto fail;
    if (setup_rebase(m, cfg, err) || load_seed(m, cfg->seed_data, err))
        goto fail;
    m->journal = hr_journal_new(cfg->journal, err);
    if (!m->journal || start_daemon(m, cfg, err))
        goto fail;
    return m;
fail:
    hr_mockapi_free(m);
    return NULL;
}

/* Resumes every held connection so that MHD can close it. */
static void release_all(struct hr_mockapi *m)
{
    size_t i;

    for (i = 0; i < m->n_timers; i++)
        MHD_resume_connection(m->timers[i].c);
    for (i = 0; i < m->n_hung; i++)
        MHD_resume_connection(m->hung[i]);
    m->n_timers = m->n_hung = 0;
}

void hr_mockapi_free(struct hr_mockapi *m)
{
    size_t i;

    if (!m)
        return;
    for (i = 0; i < m->cap_served; i++)
        hr_free(m->served[i].id);
    hr_free(m->served);
    if (m->d) {
        release_all(m);
        MHD_run(m->d);
        MHD_stop_daemon(m->d);
    }
    for (i = 0; i < m->n_rec; i++)
        hr_mockapi_recorded_free(&m->rec[i]);
    for (i = 0; i < m->n_keys; i++)
        hr_free(m->keys[i]);
    for (i = 0; i < m->n_faults; i++)
        fault_free(&m->faults[i]);
    hr_free(m->rec);
    hr_free(m->keys);
    hr_free(m->faults);
    hr_free(m->fault_calls);
    hr_free(m->burst_left);
    hr_free(m->timers);
    hr_free(m->hung);
    hr_journal_free(m->journal);
    hr_truth_free(m->truth);
    hr_apishape_free(m->shape);
    hr_profile_free(m->rebase_profile);
    for (i = 0; m->rebase_pointers && m->rebase_pointers[i]; i++)
        hr_free(m->rebase_pointers[i]);
    hr_free(m->rebase_pointers);
    hr_free(m);
}

/* ---- the truth and recordings ---- */

int hr_mockapi_publish(struct hr_mockapi *m, const struct hr_interaction *it,
                       int64_t visible_at_us)
{
    const struct hr_event *ev = &it->event;
    const unsigned char *body = it->request.body;
    size_t len = it->request.body_len, moved_len = 0;
    unsigned char *moved = NULL;
    struct hr_err err;
    int rc;

    if (it->kind != HR_KIND_WEBHOOK || !it->has_event || !ev->id || !ev->type ||
        hr_truth_event(m->truth, ev->id, INT64_MAX))
        return 0;
    /* The truth holds the event as its webhook carries it: times moved
     * by the same rule, every other byte as recorded. */
    if (hr_rebase_body(&m->rebase, body, len, &moved, &moved_len) < 0)
        return -1;
    if (moved) {
        body = moved;
        len = moved_len;
    }
    rc = hr_truth_add_event(
        m->truth, ev->id, ev->type, ev->object,
        ev->has_created ? ev->created + m->rebase.delta_s : 0,
        (const char *)body, len, m->shape->data_pointer,
        m->shape->style == HR_API_CURSOR, visible_at_us, &err);
    hr_free(moved);
    if (rc == 0)
        return 0;
    if (err.code == HR_EXIT_INTERNAL)
        return -1;
    m->skipped++;
    hr_log(1, "warning: mock API: %s; not in the API truth", err.msg);
    return 0;
}

static char *unescape(const char *s, size_t n)
{
    char *out = hr_malloc(n + 1), *o = out;
    size_t i;

    for (i = 0; out && i < n; i++) {
        unsigned int v;

        if (s[i] == '+') {
            *o++ = ' ';
        } else if (s[i] == '%' && i + 2 < n &&
                   sscanf(s + i + 1, "%2x", &v) == 1) {
            *o++ = (char)v;
            i += 2;
        } else {
            *o++ = s[i];
        }
    }
    if (out)
        *o = '\0';
    return out;
}

static int split_query(struct recorded *r, const char *q)
{
    size_t cap = 1;
    const char *p;

    for (p = q; *p; p++)
        cap += *p == '&';
    r->qk = hr_calloc(cap, sizeof(char *));
    r->qv = hr_calloc(cap, sizeof(char *));
    if (!r->qk || !r->qv)
        return -1;
    while (*q) {
        const char *amp = strchr(q, '&');
        size_t len = amp ? (size_t)(amp - q) : strlen(q);
        const char *eq = memchr(q, '=', len);

        if (len) {
            size_t kl = eq ? (size_t)(eq - q) : len;

            r->qk[r->nq] = unescape(q, kl);
            r->qv[r->nq] = eq ? unescape(eq + 1, len - kl - 1) : hr_strdup("");
            if (!r->qk[r->nq] || !r->qv[r->nq])
                return -1;
            r->nq++;
        }
        q += len + (amp ? 1 : 0);
    }
    return 0;
}

static void sort_query(struct recorded *r)
{
    size_t i, j;

    for (i = 1; i < r->nq; i++)
        for (j = i; j > 0; j--) {
            int c = strcmp(r->qk[j - 1], r->qk[j]);
            char *t;

            if (c < 0 || (c == 0 && strcmp(r->qv[j - 1], r->qv[j]) <= 0))
                break;
            t = r->qk[j];
            r->qk[j] = r->qk[j - 1];
            r->qk[j - 1] = t;
            t = r->qv[j];
            r->qv[j] = r->qv[j - 1];
            r->qv[j - 1] = t;
        }
}

static int hop_by_hop(const char *name)
{
    return hr_strcaseeq(name, "Content-Length") ||
           hr_strcaseeq(name, "Transfer-Encoding") ||
           hr_strcaseeq(name, "Connection") || hr_strcaseeq(name, "Keep-Alive");
}

/* A recorded time filter ("created[gte]=N") moves with the times, so a
 * rebased client's query matches it. 0, or -1 out of memory. */
static int rebase_query(const struct hr_rebase *rb, struct recorded *r)
{
    size_t i;

    for (i = 0; rb->delta_s && i < r->nq; i++) {
        char *end, buf[32];
        long long v;

        if (!hr_rebase_param(rb, r->qk[i]) || !r->qv[i][0])
            continue;
        errno = 0;
        v = strtoll(r->qv[i], &end, 10);
        if (*end || errno || r->qv[i][0] == '-' || r->qv[i][0] == '+' ||
            __builtin_add_overflow(v, (long long)rb->delta_s, &v))
            continue;
        snprintf(buf, sizeof(buf), "%lld", v);
        hr_free(r->qv[i]);
        r->qv[i] = hr_strdup(buf);
        if (!r->qv[i])
            return -1;
    }
    return 0;
}

/* The recorded answer's body, its times moved by the rebase rule. */
static int rebase_answer(const struct hr_rebase *rb, struct recorded *r)
{
    unsigned char *moved;
    size_t n;
    int rc = hr_rebase_body(rb, r->body, r->body_len, &moved, &n);

    if (rc == 0) {
        hr_free(r->body);
        r->body = moved;
        r->body_len = n;
    }
    return rc < 0 ? -1 : 0;
}

static int fill_recorded(struct recorded *r, const struct hr_interaction *it,
                         const struct hr_rebase *rb)
{
    const struct hr_message *rq = &it->request, *rs = &it->response;
    size_t i;

    r->method = hr_strdup(rq->method ? rq->method : "GET");
    r->path = hr_strdup(rq->path ? rq->path : "/");
    r->status = it->has_response && rs->status ? rs->status : 200;
    r->req_body = hr_malloc(rq->body_len + 1);
    r->body = hr_malloc(rs->body_len + 1);
    r->headers = hr_calloc(rs->n_headers + 1, sizeof(*r->headers));
    if (!r->method || !r->path || !r->req_body || !r->body || !r->headers ||
        split_query(r, rq->query ? rq->query : ""))
        return -1;
    memcpy(r->req_body, rq->body, rq->body_len);
    r->req_body_len = rq->body_len;
    memcpy(r->body, rs->body, rs->body_len);
    r->body_len = rs->body_len;
    for (i = 0; i < rs->n_headers; i++) {
        if (hop_by_hop(rs->headers[i].name))
            continue;
        r->headers[r->n_headers].name = hr_strdup(rs->headers[i].name);
        r->headers[r->n_headers++].value = hr_strdup(rs->headers[i].value);
    }
    if (rebase_query(rb, r) || rebase_answer(rb, r))
        return -1;
    sort_query(r);
    snprintf(r->route, sizeof(r->route), "recorded %.90s", r->path);
    return 0;
}

static struct MHD_Response *cache_response(const struct recorded *r)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        r->body_len, r->body, MHD_RESPMEM_PERSISTENT);
    size_t i;

    if (!resp)
        return NULL;
    for (i = 0; i < r->n_headers; i++)
        MHD_add_response_header(resp, r->headers[i].name, r->headers[i].value);
    if (!MHD_get_response_header(resp, "Content-Type"))
        MHD_add_response_header(resp, "Content-Type", "application/json");
    return resp;
}

int hr_mockapi_add_recorded(struct hr_mockapi *m,
                            const struct hr_interaction *it)
{
    struct recorded *r = hr_realloc(m->rec, (m->n_rec + 1) * sizeof(*r));

    if (!r)
        return -1;
    m->rec = r;
    r = &m->rec[m->n_rec];
    memset(r, 0, sizeof(*r));
    if (fill_recorded(r, it, &m->rebase) || !(r->cached = cache_response(r))) {
        hr_mockapi_recorded_free(r);
        return -1;
    }
    m->n_rec++;
    return 0;
}

/* ---- the event loop ---- */

int hr_mockapi_fd(const struct hr_mockapi *m)
{
    const union MHD_DaemonInfo *di =
        MHD_get_daemon_info(m->d, MHD_DAEMON_INFO_EPOLL_FD);

    return di ? di->epoll_fd : -1;
}

int64_t hr_mockapi_timeout_ms(struct hr_mockapi *m)
{
    MHD_UNSIGNED_LONG_LONG t;
    int64_t best = -1, now = hr_mono_us();
    size_t i;

    if (MHD_get_timeout(m->d, &t) == MHD_YES)
        best = (int64_t)t;
    for (i = 0; i < m->n_timers; i++) {
        int64_t left = (m->timers[i].due_us - now + 999) / 1000;

        if (left < 0)
            left = 0;
        if (best < 0 || left < best)
            best = left;
    }
    return best;
}

static void resume_due(struct hr_mockapi *m)
{
    int64_t now = hr_mono_us();
    size_t i = 0;

    while (i < m->n_timers) {
        if (m->timers[i].due_us > now) {
            i++;
            continue;
        }
        MHD_resume_connection(m->timers[i].c);
        m->timers[i] = m->timers[--m->n_timers];
    }
}

int hr_mockapi_step(struct hr_mockapi *m)
{
    resume_due(m);
    return MHD_run(m->d) == MHD_YES ? 0 : -1;
}

int hr_mockapi_port(const struct hr_mockapi *m)
{
    return m->port;
}

const char *hr_mockapi_url(const struct hr_mockapi *m)
{
    return m->url;
}

cJSON *hr_mockapi_summary(struct hr_mockapi *m)
{
    cJSON *s;

    hr_journal_flush(m->journal);
    s = hr_journal_summary(m->journal, run_now(m));
    if (s) {
        cJSON_AddNumberToObject(s, "events_in_truth",
                                (double)hr_truth_n_events(m->truth));
        cJSON_AddNumberToObject(s, "events_skipped", (double)m->skipped);
    }
    return s;
}
