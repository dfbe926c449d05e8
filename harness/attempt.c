/* SPDX-License-Identifier: MIT */
/* Turns a planned delivery into the bytes and headers of one attempt. */
#include "attempt.h"
#include "rebase.h"
#include "mutate.h"
#include "sign.h"

#include <string.h>
#include <time.h>

#define CANARY_KEY "hookreplay_canary"

void hr_attempt_req_clear(struct hr_attempt_req *r)
{
    if (r->body_owned)
        hr_free(r->body);
    curl_slist_free_all(r->headers);
    hr_free(r->event_id);
    memset(r, 0, sizeof(*r));
}

static enum hr_step step_of(const struct hr_plan_item *x, int attempt)
{
    static const enum hr_step conn_step[] = {HR_STEP_DELIVER, HR_STEP_REFUSED,
                                             HR_STEP_RESET,   HR_STEP_TRUNCATED,
                                             HR_STEP_SLOW,    HR_STEP_HTTP10};

    if (x->n_script)
        return attempt <= x->n_script ? x->script[attempt - 1]
                                      : HR_STEP_DELIVER;
    if (attempt > 1)
        return HR_STEP_DELIVER;
    if (x->timeout_first)
        return HR_STEP_TIMEOUT;
    return conn_step[x->conn];
}

/* Keeps a provider-style prefix ("evt_", "msg_") on a new id. */
char *hr_attempt_event_id(const struct hr_plan_item *x)
{
    const char *id = x->it.has_event && x->it.event.id ? x->it.event.id : "";
    const char *us = strchr(id, '_');
    struct hr_buf b;

    hr_buf_init(&b, 0);
    if (x->attacker) {
        if (hr_buf_add(&b, id,
                       us && us - id <= 8 ? (size_t)(us - id + 1) : 0) ||
            hr_buf_puts(&b, x->canary))
            goto fail;
    } else if (x->new_id) {
        if (hr_buf_printf(&b, "%s_dup%d", id, x->copy))
            goto fail;
    } else if (hr_buf_puts(&b, id)) {
        goto fail;
    }
    return hr_buf_steal(&b, NULL);
fail:
    hr_buf_free(&b);
    return NULL;
}

/* Replaces body with a new buffer (taking ownership of nb). */
static void set_body(struct hr_attempt_req *r, unsigned char *nb, size_t n)
{
    if (r->body_owned)
        hr_free(r->body);
    r->body = nb;
    r->body_len = n;
    r->body_owned = 1;
}

/* The first JSON pointer source of a rule, or NULL. */
static const char *pointer_of(const struct hr_field_rule *rule)
{
    size_t i;

    for (i = 0; i < rule->n_sources; i++)
        if (rule->sources[i].kind == HR_SRC_POINTER)
            return rule->sources[i].pointer;
    return NULL;
}

/* The first header source of a rule, or NULL. */
static const char *header_of(const struct hr_field_rule *rule)
{
    return rule->n_sources && rule->sources[0].kind == HR_SRC_HEADER
               ? rule->sources[0].name
               : NULL;
}

/* New-id copies and attacker requests carry their own id and canary. */
static int rewrite_identity(const struct hr_plan_item *x,
                            const struct hr_profile *p,
                            struct hr_attempt_req *r)
{
    const char *ptr = pointer_of(&p->ev_id);
    unsigned char *nb;
    size_t n;

    if (!x->attacker && !x->new_id)
        return 0;
    if (ptr && !header_of(&p->ev_id) &&
        hr_body_set_string(r->body, r->body_len, ptr, r->event_id, &nb, &n) ==
            0)
        set_body(r, nb, n);
    if (x->attacker &&
        hr_body_insert_member(r->body, r->body_len, p->canary_object,
                              CANARY_KEY, x->canary, &nb, &n) == 0)
        set_body(r, nb, n);
    return 0;
}

static int payload_fault(const struct hr_plan_item *x,
                         const struct hr_profile *p, struct hr_attempt_req *r)
{
    const char *type_ptr = pointer_of(&p->ev_type);
    unsigned char *nb = NULL;
    size_t n = 0;
    int rc = 0;

    switch (x->payload) {
    case HR_PAY_MALFORMED:
        rc = hr_mutate_malformed(r->body, r->body_len, &nb, &n);
        break;
    case HR_PAY_UNKNOWN_TYPE:
        if (!type_ptr || header_of(&p->ev_type))
            return 0; /* the type travels in a header: see headers */
        rc = hr_mutate_unknown_type(r->body, r->body_len, type_ptr, &nb, &n);
        break;
    case HR_PAY_OVERSIZED:
        rc = hr_mutate_oversize(r->body, r->body_len, (size_t)x->size_bytes,
                                &nb, &n);
        break;
    case HR_PAY_GZIP:
        rc = hr_mutate_gzip(r->body, r->body_len, &nb, &n);
        break;
    case HR_PAY_REFORMAT:
        rc = hr_mutate_reformat(r->body, r->body_len, &nb, &n);
        break;
    default:
        return 0;
    }
    if (rc == 0)
        set_body(r, nb, n);
    return 0; /* a body a mutation cannot handle is sent as it is */
}

int hr_header_line(struct curl_slist **h, const char *name, const char *value)
{
    struct hr_buf b;
    struct curl_slist *n;

    if (strpbrk(name, "\r\n:") || strpbrk(value, "\r\n"))
        return 0; /* recorded bytes never inject header lines */
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
int hr_header_suppress(struct curl_slist **h, const char *name)
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

static int replaced_header(const struct hr_plan_item *x,
                           const struct hr_profile *p, const char *name)
{
    const char *idh = header_of(&p->ev_id);
    const char *typeh = header_of(&p->ev_type);

    if ((x->attacker || x->new_id) && idh && hr_strcaseeq(name, idh))
        return 1;
    if (x->payload == HR_PAY_WRONG_CONTENT_TYPE &&
        hr_strcaseeq(name, "Content-Type"))
        return 1;
    return x->payload == HR_PAY_UNKNOWN_TYPE && typeh &&
           hr_strcaseeq(name, typeh);
}

static int skip_recorded(const struct hr_profile *p, const char *name)
{
    return hr_profile_regenerates(p, name) || hr_strcaseeq(name, "Host") ||
           hr_strcaseeq(name, "Transfer-Encoding") ||
           hr_strcaseeq(name, "Connection") ||
           hr_strcaseeq(name, "Content-Encoding");
}

/* Header-borne event times (Shopify's Triggered-At) move too. */
static char *rebased_header(const struct hr_attempt_ctx *c, const char *name,
                            const char *value)
{
    const struct hr_field_rule *rule = &c->profile->ev_created;
    int64_t t;
    size_t i;

    if (!c->rebase_s || rule->time_format != HR_TIME_ISO8601)
        return NULL;
    for (i = 0; i < rule->n_sources; i++) {
        char buf[32];
        struct tm tm;
        time_t when;

        if (rule->sources[i].kind != HR_SRC_HEADER ||
            !hr_strcaseeq(rule->sources[i].name, name) ||
            hr_parse_iso8601(value, &t))
            continue;
        when = (time_t)(t + c->rebase_s);
        gmtime_r(&when, &tm);
        strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
        return hr_strdup(buf);
    }
    return NULL;
}

/* Recorded headers in order, then defaults and fault replacements. */
static int plain_headers(const struct hr_plan_item *x, int payload_on,
                         const struct hr_attempt_ctx *c,
                         struct hr_attempt_req *r)
{
    const struct hr_profile *p = c->profile;
    const struct hr_message *rq = &x->it.request;
    struct hr_plan_item probe = *x;
    size_t i;

    if (!payload_on)
        probe.payload = HR_PAY_NONE;
    for (i = 0; i < rq->n_headers; i++) {
        const char *name = rq->headers[i].name;

        if (replaced_header(&probe, p, name)) {
            const char *v = hr_strcaseeq(name, "Content-Type") ? "text/plain"
                            : probe.payload == HR_PAY_UNKNOWN_TYPE &&
                                    !hr_strcaseeq(name, "Content-Type") &&
                                    header_of(&p->ev_type) &&
                                    hr_strcaseeq(name, header_of(&p->ev_type))
                                ? "hookreplay_unknown_event"
                                : r->event_id;

            if (hr_header_line(&r->headers, name, v))
                return -1;
        } else if (!skip_recorded(p, name)) {
            char *moved = rebased_header(c, name, rq->headers[i].value);
            int rc = hr_header_line(&r->headers, name,
                                    moved ? moved : rq->headers[i].value);

            hr_free(moved);
            if (rc)
                return -1;
        }
    }
    for (i = 0; i < p->n_default_headers; i++) {
        const char *name = p->default_headers[i].name;

        if (!hr_message_header(rq, name) &&
            hr_header_line(&r->headers, name,
                           replaced_header(&probe, p, name)
                               ? "text/plain"
                               : p->default_headers[i].value))
            return -1;
    }
    if (probe.payload == HR_PAY_GZIP &&
        hr_header_line(&r->headers, "Content-Encoding", "gzip"))
        return -1;
    if (r->step == HR_STEP_HTTP10 &&
        hr_header_line(&r->headers, "Connection", "close"))
        return -1;
    if ((!hr_message_header(rq, "Accept") &&
         hr_header_suppress(&r->headers, "Accept")) ||
        hr_header_suppress(&r->headers, "Expect"))
        return -1;
    return 0;
}

static uint64_t nonce_of(const struct hr_plan_item *x, int attempt)
{
    uint64_t h = 1469598103934665603ULL;
    const char *c = x->canary;

    while (*c)
        h = (h ^ (unsigned char)*c++) * 1099511628211ULL;
    return h ^ ((uint64_t)x->it.seq << 20) ^ (uint64_t)attempt;
}

/* Signs the body (the original one for a tampered request). */
static int sign_headers(const struct hr_plan_item *x,
                        const struct hr_profile *p,
                        const struct hr_target_cfg *t, int attempt,
                        int64_t now_s, struct hr_attempt_req *r,
                        const unsigned char *signed_body, size_t signed_len,
                        struct hr_err *err)
{
    struct hr_message sig;
    struct hr_sign_input in;
    enum hr_sig_fault f = HR_SIG_NONE;
    size_t i;
    int rc = -1;

    memset(&sig, 0, sizeof(sig));
    memset(&in, 0, sizeof(in));
    in.scheme = p->scheme;
    in.secrets = (const char *const *)t->secrets;
    in.n_secrets = 1;
    in.id = r->event_id;
    in.timestamp = now_s;
    in.body = signed_body;
    in.body_len = signed_len;
    if (x->attacker && x->sig_fault > 0)
        f = (enum hr_sig_fault)x->sig_fault;
    else if (x->rotated && hr_sig_fault_applies(p->scheme, HR_SIG_ROTATED))
        f = HR_SIG_ROTATED;
    if (f != HR_SIG_NONE && !hr_sig_fault_applies(p->scheme, f))
        f = HR_SIG_FORGED; /* e.g. stale on GitHub: no timestamp to age */
    if (hr_sign_fault(&in, p->key_mode, f, p->tolerance_s, nonce_of(x, attempt),
                      &sig, err))
        goto out;
    for (i = 0; i < sig.n_headers; i++)
        if (hr_header_line(&r->headers, sig.headers[i].name,
                           sig.headers[i].value))
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

/* Moves the event times by one constant, in place, before signing: the
 * rule of rebase.h, the same the mock API applies to what it serves. */
static int rebase_body(const struct hr_attempt_ctx *c, struct hr_attempt_req *r)
{
    struct hr_rebase rule = {c->rebase_s, c->profile, c->rebase_pointers,
                             c->n_rebase_pointers};
    unsigned char *nb;
    size_t n;

    int rc = hr_rebase_body(&rule, r->body, r->body_len, &nb, &n);

    if (rc == 0)
        set_body(r, nb, n);
    return rc < 0 ? -1 : 0;
}

/* Slack-style retry headers: the attempt number and why. */
static int retry_headers(const struct hr_attempt_ctx *c,
                         struct hr_attempt_req *r)
{
    const struct hr_profile *p = c->profile;
    char num[16];

    if (c->attempt < 2)
        return 0;
    snprintf(num, sizeof(num), "%d", c->attempt - 1);
    if (p->retry_num_header &&
        hr_header_line(&r->headers, p->retry_num_header, num))
        return -1;
    if (p->retry_reason_header &&
        hr_header_line(&r->headers, p->retry_reason_header,
                       c->retry_reason ? c->retry_reason : "http_error"))
        return -1;
    return 0;
}

int hr_attempt_build(const struct hr_plan_item *x,
                     const struct hr_attempt_ctx *c, struct hr_attempt_req *out,
                     struct hr_err *err)
{
    const struct hr_profile *p = c->profile;
    int attempt = c->attempt;
    unsigned char *orig = NULL;
    size_t orig_len = 0;
    int payload_on = attempt == 1 && x->payload != HR_PAY_NONE;

    memset(out, 0, sizeof(*out));
    out->step = step_of(x, attempt);
    out->body = x->it.request.body;
    out->body_len = x->it.request.body_len;
    out->event_id = hr_attempt_event_id(x);
    if (!out->event_id)
        goto oom;
    if (rebase_body(c, out))
        goto oom;
    if (x->attacker && x->sig_fault == HR_SIG_TAMPERED_CODE) {
        /* A captured request with its body changed: the signature was
         * made over the recorded body, not over what is sent. */
        orig = hr_malloc(out->body_len + 1);
        if (!orig)
            goto oom;
        memcpy(orig, out->body, out->body_len + 1);
        orig_len = out->body_len;
    }
    if (rewrite_identity(x, p, out))
        goto oom;
    if (payload_on && payload_fault(x, p, out))
        goto oom;
    if (plain_headers(x, payload_on, c, out) || retry_headers(c, out))
        goto oom;
    if (sign_headers(x, p, c->target, attempt, c->now_s, out,
                     orig ? orig : out->body, orig ? orig_len : out->body_len,
                     err)) {
        hr_free(orig);
        hr_attempt_req_clear(out);
        return -1;
    }
    hr_free(orig);
    return 0;
oom:
    hr_free(orig);
    hr_attempt_req_clear(out);
    return hr_errf(err, HR_EXIT_INTERNAL, "out of memory");
}
