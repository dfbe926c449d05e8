/* SPDX-License-Identifier: MIT */
/* Stripe event objects (list pages, arrays, single events) to a cassette. */
#include "cassette.h"
#include "import.h"
#include "jsonx.h"
#include "profile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define ENDPOINT "stripe"
#define WEBHOOK_PATH "/webhooks/stripe"

/* One event found in the input, with the text it will be sent as. */
struct item {
    int64_t created;
    long order; /* ties: oldest first (list pages come newest first) */
    char *body;
    size_t body_len;
};

struct items {
    struct item *v;
    size_t n, cap;
    long counter;
};

static size_t skip_ws(const char *s, size_t n, size_t i)
{
    while (i < n &&
           (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
        i++;
    return i;
}

/* i at a '"': copies the string token verbatim, returns the end. */
static size_t copy_string(struct hr_buf *b, const char *s, size_t n, size_t i)
{
    size_t start = i;

    for (i++; i < n && s[i] != '"'; i++)
        if (s[i] == '\\')
            i++;
    i = i < n ? i + 1 : n;
    return hr_buf_add(b, s + start, i - start) ? n + 1 : i;
}

static int indent(struct hr_buf *b, int depth)
{
    int k;

    if (hr_buf_puts(b, "\n"))
        return -1;
    for (k = 0; k < depth; k++)
        if (hr_buf_puts(b, "  "))
            return -1;
    return 0;
}

/*
 * Re-indents the JSON value at s[i] (text cJSON accepted) as Stripe
 * sends bodies: two spaces per level, ": " after keys, empty containers
 * as {} and []. Strings and numbers are copied as they are written, so
 * no digit or escape changes. Returns the offset after the value, or
 * n + 1 when memory runs out.
 */
static size_t pretty(struct hr_buf *b, const char *s, size_t n, size_t i,
                     int depth)
{
    char open, close;

    i = skip_ws(s, n, i);
    if (i >= n)
        return n + 1;
    if (s[i] == '"')
        return copy_string(b, s, n, i);
    if (s[i] != '{' && s[i] != '[') {
        size_t start = i;

        while (i < n && !strchr(",]} \t\r\n", s[i]))
            i++;
        return hr_buf_add(b, s + start, i - start) ? n + 1 : i;
    }
    open = s[i];
    close = open == '{' ? '}' : ']';
    i = skip_ws(s, n, i + 1);
    if (i < n && s[i] == close)
        return hr_buf_add(b, open == '{' ? "{}" : "[]", 2) ? n + 1 : i + 1;
    if (hr_buf_add(b, &open, 1))
        return n + 1;
    while (i < n) {
        if (indent(b, depth + 1))
            return n + 1;
        if (open == '{') {
            i = copy_string(b, s, n, skip_ws(s, n, i));
            i = skip_ws(s, n, i) + 1; /* the ':' */
            if (i > n || hr_buf_puts(b, ": "))
                return n + 1;
        }
        i = skip_ws(s, n, pretty(b, s, n, i, depth + 1));
        if (i >= n || s[i] != ',')
            break;
        if (hr_buf_puts(b, ","))
            return n + 1;
        i++;
    }
    if (i >= n || indent(b, depth) || hr_buf_add(b, &close, 1))
        return n + 1;
    return i + 1;
}

int hr_stripe_pretty(struct hr_buf *b, const char *json, size_t len)
{
    size_t end = pretty(b, json, len, 0, 0);

    return end > len ? -1 : 0;
}

static int add_item(struct items *it, const cJSON *ev, char *body, size_t len,
                    long order, const char *file, struct hr_err *err)
{
    const cJSON *obj = cJSON_GetObjectItemCaseSensitive(ev, "object");
    struct item *x;
    int64_t created;

    if (!cJSON_IsString(obj) || strcmp(obj->valuestring, "event") ||
        hr_json_int64(cJSON_GetObjectItemCaseSensitive(ev, "created"),
                      &created)) {
        hr_free(body);
        return hr_errf(err, HR_EXIT_INPUT,
                       "%s: expected Stripe event objects (\"object\": "
                       "\"event\" with an integer \"created\")",
                       file);
    }
    if (it->n == it->cap) {
        size_t cap = it->cap ? it->cap * 2 : 64;
        struct item *v = hr_realloc(it->v, cap * sizeof(*v));

        if (!v) {
            hr_free(body);
            return hr_errf(err, HR_EXIT_INTERNAL, "out of memory");
        }
        it->v = v;
        it->cap = cap;
    }
    x = &it->v[it->n++];
    x->created = created;
    x->order = order;
    x->body = body;
    x->body_len = len;
    return 0;
}

/* The elements of the array at text offset off, re-indented. */
static int add_array(struct items *it, const char *text, size_t len, size_t off,
                     const cJSON *arr, int newest_first, const char *file,
                     struct hr_err *err)
{
    const cJSON *ev = arr->child;
    size_t i = skip_ws(text, len, off + 1);

    for (; ev; ev = ev->next) {
        struct hr_buf b;
        long order = ++it->counter;

        hr_buf_init(&b, 0);
        i = pretty(&b, text, len, i, 0);
        if (i > len) {
            hr_buf_free(&b);
            return hr_errf(err, HR_EXIT_INTERNAL, "out of memory");
        }
        if (add_item(it, ev, b.data, b.len, newest_first ? -order : order, file,
                     err))
            return -1;
        i = skip_ws(text, len, skip_ws(text, len, i) + 1);
    }
    return 0;
}

/* A single event keeps its exact bytes when Stripe printed it. */
static int add_single(struct items *it, const char *text, size_t len,
                      const cJSON *root, const char *file, struct hr_err *err)
{
    struct hr_buf b;
    size_t end = len;

    hr_buf_init(&b, 0);
    while (end > 0 && (text[end - 1] == '\n' || text[end - 1] == '\r'))
        end--;
    if (strncmp(text, "{\n  \"", 5) == 0) {
        if (hr_buf_add(&b, text, end))
            return hr_errf(err, HR_EXIT_INTERNAL, "out of memory");
    } else if (pretty(&b, text, len, 0, 0) > len) {
        hr_buf_free(&b);
        return hr_errf(err, HR_EXIT_INTERNAL, "out of memory");
    }
    return add_item(it, root, b.data, b.len, ++it->counter, file, err);
}

static int read_input(struct items *it, const char *file, struct hr_err *err)
{
    size_t len;
    char *text = hr_read_file(file, &len, err);
    cJSON *root = text ? hr_json_parse(file, text, len, 1, err) : NULL;
    const cJSON *obj = cJSON_GetObjectItemCaseSensitive(root, "object");
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(root, "data");
    int rc;

    if (!root)
        rc = -1;
    else if (cJSON_IsArray(root))
        rc =
            add_array(it, text, len, skip_ws(text, len, 0), root, 0, file, err);
    else if (cJSON_IsString(obj) && strcmp(obj->valuestring, "list") == 0 &&
             cJSON_IsArray(data))
        rc = add_array(it, text, len, hr_json_locate(text, len, "/data"), data,
                       1, file, err);
    else
        rc = add_single(it, text, len, root, file, err);
    cJSON_Delete(root);
    hr_free(text);
    return rc;
}

static int by_time(const void *a, const void *b)
{
    const struct item *x = a, *y = b;

    if (x->created != y->created)
        return x->created < y->created ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

int hr_stripe_write_delivery(FILE *out, const struct hr_profile *p,
                             const char *body, size_t body_len, int64_t seq,
                             int64_t at_ms, struct hr_err *err)
{
    struct hr_interaction it;
    int rc = -1;

    hr_interaction_init(&it);
    it.seq = seq;
    it.at_ms = at_ms;
    it.kind = HR_KIND_WEBHOOK;
    it.has_event = 1;
    it.endpoint = hr_strdup(ENDPOINT);
    it.request.method = hr_strdup("POST");
    it.request.path = hr_strdup(WEBHOOK_PATH);
    it.request.query = hr_strdup("");
    it.request.body = (unsigned char *)hr_strndup(body, body_len);
    it.request.body_len = body_len;
    if (!it.endpoint || !it.request.method || !it.request.path ||
        !it.request.query || !it.request.body ||
        hr_message_add_header(&it.request, "Content-Type",
                              "application/json; charset=utf-8") ||
        hr_message_add_header(&it.request, "User-Agent",
                              "Stripe/1.0 (+https://stripe.com/docs/"
                              "webhooks)")) {
        hr_errf(err, HR_EXIT_INTERNAL, "out of memory");
    } else if (hr_profile_event(p, &it.request, &it.event, err) == 0) {
        rc = hr_cassette_write(out, &it);
        if (rc)
            hr_errf(err, HR_EXIT_INTERNAL, "writing the cassette: %s",
                    strerror(errno));
    }
    hr_interaction_clear(&it);
    return rc;
}

static int write_item(FILE *out, const struct hr_profile *p,
                      const struct item *x, int64_t seq, int64_t first_s,
                      struct hr_err *err)
{
    return hr_stripe_write_delivery(out, p, x->body, x->body_len, seq,
                                    (x->created - first_s) * 1000, err);
}

static int write_all(FILE *out, struct items *it, struct hr_err *err)
{
    struct hr_profile *p = hr_profile_load("stripe", NULL, err);
    size_t i;
    int rc = p ? 0 : -1;

    if (rc == 0)
        rc = hr_cassette_write_single_header(out, ENDPOINT, "stripe",
                                             "import stripe-events", err);
    qsort(it->v, it->n, sizeof(*it->v), by_time);
    for (i = 0; rc == 0 && i < it->n; i++)
        rc = write_item(out, p, &it->v[i], (int64_t)i + 1, it->v[0].created,
                        err);
    hr_profile_free(p);
    return rc;
}

int hr_import_stripe_events(const char *const *files, size_t n_files, FILE *out,
                            struct hr_err *err)
{
    struct items it = {NULL, 0, 0, 0};
    size_t i;
    int rc = 0;

    for (i = 0; rc == 0 && i < n_files; i++)
        rc = read_input(&it, files[i], err);
    if (rc == 0 && it.n == 0)
        rc = hr_errf(err, HR_EXIT_INPUT, "no Stripe events in the input");
    if (rc == 0)
        rc = write_all(out, &it, err);
    for (i = 0; i < it.n; i++)
        hr_free(it.v[i].body);
    hr_free(it.v);
    return rc;
}
