/* SPDX-License-Identifier: MIT */
/* Cassettes: the streaming NDJSON reader, the writer and their structs. */
#include "cassette.h"
#include "jsonx.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_LINE_BYTES ((size_t)64 << 20)
#define CHUNK_BYTES 65536
#define MAX_ENDPOINTS 1024
#define MAX_SAFE_INT INT64_C(9007199254740991) /* 2^53 - 1 */
#define PTR_BYTES 320

struct hr_cassette_reader {
    char *name;
    int fd; /* -1 when reading from memory */
    int own_fd;
    int positional; /* reads the shared stdin spool at its own offset */
    off_t pos;
    const char *mem;
    size_t mem_len;
    size_t mem_off;
    char *chunk;
    size_t chunk_off;
    size_t chunk_len;
    int at_eof;
    struct hr_buf line;
    size_t max_line_bytes;
    int line_no;
    struct hr_cassette_header header;
    int have_last;
    int64_t last_seq;
    int64_t last_at_ms;
    int failed;
    int keep_going; /* a bad line does not end the reading */
    struct hr_err last_err;
};

/* What a value error needs to say where it is. */
struct pctx {
    struct hr_cassette_reader *r;
    const char *text;
    size_t len;
    struct hr_err *err;
};

/* ---- structs ---------------------------------------------------------- */

static void message_clear(struct hr_message *m)
{
    size_t i;

    hr_free(m->method);
    hr_free(m->path);
    hr_free(m->query);
    for (i = 0; i < m->n_headers; i++) {
        hr_free(m->headers[i].name);
        hr_free(m->headers[i].value);
    }
    hr_free(m->headers);
    hr_free(m->body);
    memset(m, 0, sizeof(*m));
}

void hr_interaction_init(struct hr_interaction *it)
{
    memset(it, 0, sizeof(*it));
    it->attempt = 1;
}

void hr_interaction_clear(struct hr_interaction *it)
{
    size_t i;

    hr_free(it->endpoint);
    hr_free(it->event.id);
    hr_free(it->event.type);
    hr_free(it->event.object);
    hr_free(it->delivery);
    message_clear(&it->request);
    message_clear(&it->response);
    for (i = 0; i < it->n_redacted; i++)
        hr_free(it->redacted[i]);
    hr_free(it->redacted);
    hr_interaction_init(it);
}

void hr_cassette_header_clear(struct hr_cassette_header *h)
{
    size_t i;

    for (i = 0; i < h->n_endpoints; i++) {
        hr_free(h->endpoints[i].name);
        hr_free(h->endpoints[i].profile);
    }
    hr_free(h->endpoints);
    hr_free(h->recorded_at);
    hr_free(h->source);
    memset(h, 0, sizeof(*h));
}

int hr_message_add_header(struct hr_message *m, const char *name,
                          const char *value)
{
    struct hr_header *hs;
    char *n = hr_strdup(name);
    char *v = hr_strdup(value);

    hs = (n && v) ? hr_realloc(m->headers, (m->n_headers + 1) * sizeof(*hs))
                  : NULL;
    if (!hs) {
        hr_free(n);
        hr_free(v);
        return -1;
    }
    hs[m->n_headers].name = n;
    hs[m->n_headers].value = v;
    m->headers = hs;
    m->n_headers++;
    return 0;
}

const char *hr_message_header(const struct hr_message *m, const char *name)
{
    size_t i;

    for (i = 0; i < m->n_headers; i++)
        if (hr_strcaseeq(m->headers[i].name, name))
            return m->headers[i].value;
    return NULL;
}

static int str_eq(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return strcmp(a, b) == 0;
}

static int message_equal(const struct hr_message *a, const struct hr_message *b)
{
    size_t i;

    if (!str_eq(a->method, b->method) || !str_eq(a->path, b->path) ||
        !str_eq(a->query, b->query) || a->status != b->status ||
        a->ms != b->ms || a->n_headers != b->n_headers ||
        a->body_len != b->body_len)
        return 0;
    if (a->body_len && memcmp(a->body, b->body, a->body_len) != 0)
        return 0;
    for (i = 0; i < a->n_headers; i++)
        if (!str_eq(a->headers[i].name, b->headers[i].name) ||
            !str_eq(a->headers[i].value, b->headers[i].value))
            return 0;
    return 1;
}

static int event_equal(const struct hr_event *a, const struct hr_event *b)
{
    return str_eq(a->id, b->id) && str_eq(a->type, b->type) &&
           str_eq(a->object, b->object) && a->has_created == b->has_created &&
           (!a->has_created || a->created == b->created);
}

int hr_interaction_equal(const struct hr_interaction *a,
                         const struct hr_interaction *b)
{
    size_t i;

    if (a->seq != b->seq || a->at_ms != b->at_ms || a->kind != b->kind ||
        !str_eq(a->endpoint, b->endpoint) || a->has_event != b->has_event ||
        a->attempt != b->attempt || !str_eq(a->delivery, b->delivery) ||
        a->has_response != b->has_response || a->n_redacted != b->n_redacted)
        return 0;
    if (a->has_event && !event_equal(&a->event, &b->event))
        return 0;
    if (!message_equal(&a->request, &b->request))
        return 0;
    if (a->has_response && !message_equal(&a->response, &b->response))
        return 0;
    for (i = 0; i < a->n_redacted; i++)
        if (!str_eq(a->redacted[i], b->redacted[i]))
            return 0;
    return 1;
}

/* ---- raw text scanning ------------------------------------------------ */

/* Offset of the first escaped NUL (\u0000), or HR_JSON_NOT_FOUND. */
static size_t find_nul_escape(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i + 1 < n; i++) {
        if (s[i] != '\\')
            continue;
        if (s[i + 1] == 'u' && i + 5 < n && memcmp(s + i + 2, "0000", 4) == 0)
            return i;
        i++;
    }
    return HR_JSON_NOT_FOUND;
}

/* 1 when the text ends inside a string, object or array. */
static int looks_cut(const char *s, size_t n)
{
    size_t i, depth = 0;
    int in_string = 0;

    for (i = 0; i < n; i++) {
        if (in_string) {
            if (s[i] == '\\')
                i++;
            else if (s[i] == '"')
                in_string = 0;
        } else if (s[i] == '"') {
            in_string = 1;
        } else if (s[i] == '{' || s[i] == '[') {
            depth++;
        } else if ((s[i] == '}' || s[i] == ']') && depth > 0) {
            depth--;
        }
    }
    return in_string || depth > 0;
}

/* ---- errors ----------------------------------------------------------- */

static int line_err(struct pctx *c, size_t col, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int line_err(struct pctx *c, size_t col, const char *fmt, ...)
{
    char msg[768];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return hr_errf(c->err, HR_EXIT_INPUT, "%s:%d:%zu: %s", c->r->name,
                   c->r->line_no, col, msg);
}

/* A value error: the column is where the value at ptr starts, else 1. */
static int verr(struct pctx *c, const char *ptr, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int verr(struct pctx *c, const char *ptr, const char *fmt, ...)
{
    char msg[640];
    size_t off = hr_json_locate(c->text, c->len, ptr);
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return line_err(c, off == HR_JSON_NOT_FOUND ? 1 : off + 1, "%s: %s",
                    ptr[0] ? ptr : "/", msg);
}

static int oom(struct pctx *c)
{
    return hr_errf(c->err, HR_EXIT_INTERNAL, "%s:%d: out of memory", c->r->name,
                   c->r->line_no);
}

/* Appends key to a JSON pointer, escaping '~' and '/' as RFC 6901 says. */
static void ptr_join(char *out, const char *base, const char *key)
{
    size_t n = strlen(base);

    memcpy(out, base, n + 1);
    if (n + 2 >= PTR_BYTES)
        return;
    out[n++] = '/';
    for (; *key && n + 3 < PTR_BYTES; key++) {
        if (*key == '~' || *key == '/') {
            out[n++] = '~';
            out[n++] = *key == '~' ? '0' : '1';
        } else {
            out[n++] = *key;
        }
    }
    out[n] = '\0';
}

static void ptr_index(char *out, const char *base, size_t index)
{
    char key[32];

    snprintf(key, sizeof(key), "%zu", index);
    ptr_join(out, base, key);
}

/* ---- field readers ---------------------------------------------------- */

static void list_fields(char *out, size_t size, const char *const *known)
{
    size_t n = 0;

    out[0] = '\0';
    for (; *known && n < size; known++)
        n += (size_t)snprintf(out + n, size - n, "%s%s", n ? ", " : "", *known);
}

/* Rejects fields not in known (NULL-terminated, at most 32) and twins. */
static int check_fields(struct pctx *c, const cJSON *obj, const char *base,
                        const char *const *known)
{
    uint32_t seen = 0;
    const cJSON *it;
    char ptr[PTR_BYTES], names[256];

    for (it = obj->child; it; it = it->next) {
        size_t k;

        for (k = 0; known[k] && strcmp(known[k], it->string) != 0; k++)
            ;
        ptr_join(ptr, base, it->string);
        if (!known[k]) {
            list_fields(names, sizeof(names), known);
            return verr(c, ptr, "unknown field \"%.64s\" (known: %s)",
                        it->string, names);
        }
        if (seen & (UINT32_C(1) << k))
            return verr(c, ptr, "field \"%s\" appears twice", known[k]);
        seen |= UINT32_C(1) << k;
    }
    return 0;
}

enum { F_REQ = 1, F_ID = 2, F_NULLABLE = 4 };

/* Copies obj[key] into *out when it is a string; NULL when absent. */
static int get_str(struct pctx *c, const cJSON *obj, const char *base,
                   const char *key, int flags, char **out)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    char ptr[PTR_BYTES];

    ptr_join(ptr, base, key);
    *out = NULL;
    if (!item || ((flags & F_NULLABLE) && cJSON_IsNull(item))) {
        if (flags & F_REQ)
            return verr(c, base, "missing required field \"%s\"", key);
        return 0;
    }
    if (cJSON_IsNumber(item) && (flags & F_ID))
        return verr(c, ptr, "ids are strings: write the number in quotes");
    if (!cJSON_IsString(item))
        return verr(c, ptr, "must be a string");
    *out = hr_strdup(item->valuestring);
    return *out ? 0 : oom(c);
}

/* Parses a raw integer token: -?(0|[1-9][0-9]*), at most 2^53 - 1. */
static int raw_int(const char *s, size_t n, int64_t *out)
{
    size_t i = 0, digits = 0;
    int64_t v = 0;
    int neg = 0;

    if (i < n && s[i] == '-') {
        neg = 1;
        i++;
    }
    if (i + 1 < n && s[i] == '0' && s[i + 1] >= '0' && s[i + 1] <= '9')
        return -1;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
        if (++digits > 16)
            return -2;
        v = v * 10 + (s[i] - '0');
    }
    if (!digits || (i < n && (s[i] == '.' || s[i] == 'e' || s[i] == 'E')))
        return -1;
    if (v > MAX_SAFE_INT)
        return -2;
    *out = neg ? -v : v;
    return 0;
}

/* The integer value of a number item, from its raw token when found. */
static int item_int(struct pctx *c, const cJSON *item, const char *ptr,
                    int64_t *out)
{
    size_t off = hr_json_locate(c->text, c->len, ptr);
    double d = item->valuedouble;

    if (off != HR_JSON_NOT_FOUND && off < c->len)
        return raw_int(c->text + off, c->len - off, out);
    if (!isfinite(d) || d != floor(d))
        return -1;
    if (fabs(d) > (double)MAX_SAFE_INT)
        return -2;
    *out = (int64_t)d;
    return 0;
}

/* Reads obj[key] as an integer in [lo, hi]; *present tells if it was. */
static int get_int(struct pctx *c, const cJSON *obj, const char *base,
                   const char *key, int64_t lo, int64_t hi, int *present,
                   int64_t *out)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    char ptr[PTR_BYTES];
    int rc;

    ptr_join(ptr, base, key);
    if (present)
        *present = item != NULL;
    if (!item) {
        if (present)
            return 0;
        return verr(c, base, "missing required field \"%s\"", key);
    }
    if (!cJSON_IsNumber(item))
        return verr(c, ptr, "must be an integer");
    rc = item_int(c, item, ptr, out);
    if (rc == -1)
        return verr(c, ptr, "must be an integer (no fraction, no exponent)");
    if (rc == -2 || *out < lo || *out > hi)
        return verr(c, ptr,
                    "must be an integer from %" PRId64 " to %" PRId64
                    " (integers are read as 64-bit, exact up to 2^53 - 1)",
                    lo, hi);
    return 0;
}

static const cJSON *get_obj(struct pctx *c, const cJSON *obj, const char *base,
                            const char *key, int *failed)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    char ptr[PTR_BYTES];

    *failed = 0;
    if (!item || cJSON_IsObject(item))
        return item;
    ptr_join(ptr, base, key);
    *failed = 1;
    verr(c, ptr, "must be an object");
    return NULL;
}

/* ---- the header line -------------------------------------------------- */

static const char *const header_fields[] = {
    "hookreplay", "version", "endpoints", "recorded_at", "source", NULL};
static const char *const endpoint_fields[] = {"profile", NULL};

static int parse_endpoint_decl(struct pctx *c, const cJSON *item,
                               struct hr_endpoint_decl *d)
{
    char ptr[PTR_BYTES];
    size_t i;

    ptr_join(ptr, "/endpoints", item->string);
    for (i = 0; &c->r->header.endpoints[i] != d; i++)
        if (strcmp(c->r->header.endpoints[i].name, item->string) == 0)
            return verr(c, ptr, "endpoint declared twice");
    if (!cJSON_IsObject(item))
        return verr(c, ptr, "must be an object like {\"profile\":\"NAME\"}");
    if (check_fields(c, item, ptr, endpoint_fields))
        return -1;
    d->name = hr_strdup(item->string);
    if (!d->name)
        return oom(c);
    return get_str(c, item, ptr, "profile", F_REQ, &d->profile);
}

static int parse_endpoints(struct pctx *c, const cJSON *root)
{
    struct hr_cassette_header *h = &c->r->header;
    const cJSON *eps = cJSON_GetObjectItemCaseSensitive(root, "endpoints");
    const cJSON *it;
    int n;

    if (!eps)
        return verr(c, "", "missing required field \"endpoints\"");
    if (!cJSON_IsObject(eps))
        return verr(c, "/endpoints",
                    "must be an object of NAME: "
                    "{\"profile\": P}");
    n = cJSON_GetArraySize(eps);
    if (n > MAX_ENDPOINTS)
        return verr(c, "/endpoints", "more than %d endpoints", MAX_ENDPOINTS);
    h->endpoints = hr_calloc((size_t)n, sizeof(*h->endpoints));
    if (!h->endpoints)
        return oom(c);
    for (it = eps->child; it; it = it->next) {
        /* counted first, so that a half-filled entry is freed too */
        h->n_endpoints++;
        if (parse_endpoint_decl(c, it, &h->endpoints[h->n_endpoints - 1]))
            return -1;
    }
    return 0;
}

static int parse_header(struct pctx *c, const cJSON *root)
{
    struct hr_cassette_header *h = &c->r->header;
    char *magic = NULL;
    int64_t version;
    int bad;

    if (!cJSON_GetObjectItemCaseSensitive(root, "hookreplay"))
        return line_err(c, 1,
                        "the first line must be the cassette header "
                        "{\"hookreplay\":\"cassette\",\"version\":1,"
                        "\"endpoints\":{...}}");
    if (check_fields(c, root, "", header_fields) ||
        get_str(c, root, "", "hookreplay", F_REQ, &magic))
        return -1;
    bad = strcmp(magic, "cassette") != 0;
    hr_free(magic);
    if (bad)
        return verr(c, "/hookreplay", "must be \"cassette\"");
    if (get_int(c, root, "", "version", 0, INT_MAX, NULL, &version))
        return -1;
    if (version != 1)
        return verr(c, "/version",
                    "unsupported version %" PRId64
                    " (this build reads version 1)",
                    version);
    h->version = 1;
    if (parse_endpoints(c, root) ||
        get_str(c, root, "", "recorded_at", 0, &h->recorded_at) ||
        get_str(c, root, "", "source", 0, &h->source))
        return -1;
    return 0;
}

/* ---- interaction lines ------------------------------------------------ */

static const char *const interaction_fields[] = {
    "seq",      "at_ms",   "kind",     "endpoint", "event", "attempt",
    "delivery", "request", "response", "redacted", NULL};
static const char *const event_fields[] = {"id", "type", "object", "created",
                                           NULL};
static const char *const request_fields[] = {
    "method", "path", "query", "headers", "body", "body_b64", NULL};
static const char *const response_fields[] = {"status", "ms",       "headers",
                                              "body",   "body_b64", NULL};

/* RFC 9110 token characters: method and header names are made of them. */
static int is_token(const char *s)
{
    static const char extra[] = "!#$%&'*+-.^_`|~";

    if (!*s)
        return 0;
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;

        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
              (ch >= 'A' && ch <= 'Z') || (ch && strchr(extra, ch))))
            return 0;
    }
    return 1;
}

/* Header values, paths and queries: no control bytes (tab allowed in
 * values), so a recording can never inject lines into a request. */
static int is_clean(const char *s, int allow_tab, int allow_space)
{
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;

        if ((ch < 0x20 && !(allow_tab && ch == '\t')) || ch == 0x7f ||
            (ch == ' ' && !allow_space))
            return 0;
    }
    return 1;
}

static int check_request_line(struct pctx *c, const struct hr_message *m)
{
    if (m->method && !is_token(m->method))
        return verr(c, "/request/method",
                    "must be an HTTP method (letters, digits, -_.!#$%%&'*+"
                    "^`|~), like POST");
    if (m->path && (m->path[0] != '/' || !is_clean(m->path, 0, 0) ||
                    strchr(m->path, '?') || strchr(m->path, '#')))
        return verr(c, "/request/path",
                    "must start with / and hold no spaces, control "
                    "characters, ? or #");
    if (m->query && (!is_clean(m->query, 0, 0) || strchr(m->query, '#')))
        return verr(c, "/request/query",
                    "must hold no spaces, control characters or #");
    return 0;
}

static int parse_pair(struct pctx *c, const cJSON *pair, const char *ptr,
                      struct hr_header *h)
{
    const cJSON *n = cJSON_GetArrayItem(pair, 0);
    const cJSON *v = cJSON_GetArrayItem(pair, 1);

    if (!cJSON_IsArray(pair) || cJSON_GetArraySize(pair) != 2 ||
        !cJSON_IsString(n) || !cJSON_IsString(v))
        return verr(c, ptr, "must be a [name, value] pair of strings");
    if (!is_token(n->valuestring))
        return verr(c, ptr,
                    "the header name must be an HTTP token (no "
                    "spaces, colons or control characters)");
    if (!is_clean(v->valuestring, 1, 1))
        return verr(c, ptr,
                    "the header value must hold no control "
                    "characters (CR and LF would inject lines)");
    h->name = hr_strdup(n->valuestring);
    h->value = hr_strdup(v->valuestring);
    return (h->name && h->value) ? 0 : oom(c);
}

static int parse_headers(struct pctx *c, const cJSON *obj, const char *base,
                         struct hr_message *m)
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(obj, "headers");
    const cJSON *it;
    char ptr[PTR_BYTES];
    int n;

    ptr_join(ptr, base, "headers");
    if (!arr)
        return 0;
    if (!cJSON_IsArray(arr))
        return verr(c, ptr, "must be an array of [name, value] pairs");
    n = cJSON_GetArraySize(arr);
    m->headers = hr_calloc((size_t)n, sizeof(*m->headers));
    if (!m->headers)
        return oom(c);
    for (it = arr->child; it; it = it->next) {
        char item_ptr[PTR_BYTES];

        ptr_index(item_ptr, ptr, m->n_headers);
        m->n_headers++;
        if (parse_pair(c, it, item_ptr, &m->headers[m->n_headers - 1]))
            return -1;
    }
    return 0;
}

/* Decodes body_b64, or copies body, or leaves an empty body. */
static int parse_body(struct pctx *c, const cJSON *obj, const char *base,
                      struct hr_message *m)
{
    const cJSON *text = cJSON_GetObjectItemCaseSensitive(obj, "body");
    const cJSON *b64 = cJSON_GetObjectItemCaseSensitive(obj, "body_b64");
    char ptr[PTR_BYTES];

    ptr_join(ptr, base, text ? "body" : "body_b64");
    if (text && b64)
        return verr(c, ptr, "has both body and body_b64: keep one");
    if ((text || b64) && !cJSON_IsString(text ? text : b64))
        return verr(c, ptr, "must be a string");
    if (b64) {
        const char *s = b64->valuestring;

        m->body = hr_b64_decode(s, strlen(s), &m->body_len);
        if (!m->body)
            return verr(c, ptr, "is not valid base64");
        m->body[m->body_len] = '\0';
        return 0;
    }
    m->body = (unsigned char *)hr_strdup(text ? text->valuestring : "");
    if (!m->body)
        return oom(c);
    m->body_len = strlen((char *)m->body);
    return 0;
}

static int parse_request(struct pctx *c, const cJSON *root,
                         struct hr_interaction *it)
{
    const cJSON *req;
    struct hr_message *m = &it->request;
    int failed;

    req = get_obj(c, root, "", "request", &failed);
    if (failed)
        return -1;
    if (!req)
        return verr(c, "", "missing required field \"request\"");
    if (check_fields(c, req, "/request", request_fields) ||
        get_str(c, req, "/request", "method", 0, &m->method) ||
        get_str(c, req, "/request", "path", 0, &m->path) ||
        get_str(c, req, "/request", "query", 0, &m->query) ||
        parse_headers(c, req, "/request", m) ||
        parse_body(c, req, "/request", m))
        return -1;
    if (!m->query && !(m->query = hr_strdup("")))
        return oom(c);
    if (check_request_line(c, m))
        return -1;
    if (it->kind == HR_KIND_WEBHOOK && (!m->method || !m->path))
        return verr(c, "/request",
                    "missing \"%s\": a webhook request "
                    "needs method and path",
                    m->method ? "path" : "method");
    return 0;
}

static int parse_response(struct pctx *c, const cJSON *root,
                          struct hr_interaction *it)
{
    const cJSON *res;
    struct hr_message *m = &it->response;
    int64_t status, ms = 0;
    int failed, has_ms;

    res = get_obj(c, root, "", "response", &failed);
    if (failed || !res)
        return failed ? -1 : 0;
    it->has_response = 1;
    if (check_fields(c, res, "/response", response_fields) ||
        get_int(c, res, "/response", "status", 100, 999, NULL, &status) ||
        get_int(c, res, "/response", "ms", 0, MAX_SAFE_INT, &has_ms, &ms) ||
        parse_headers(c, res, "/response", m) ||
        parse_body(c, res, "/response", m))
        return -1;
    m->status = (int)status;
    m->ms = ms;
    return 0;
}

static int parse_event(struct pctx *c, const cJSON *root,
                       struct hr_interaction *it)
{
    struct hr_event *ev = &it->event;
    const cJSON *obj;
    int failed;

    obj = get_obj(c, root, "", "event", &failed);
    if (failed || !obj)
        return failed ? -1 : 0;
    it->has_event = 1;
    if (check_fields(c, obj, "/event", event_fields) ||
        get_str(c, obj, "/event", "id", F_REQ | F_ID, &ev->id) ||
        get_str(c, obj, "/event", "type", F_REQ, &ev->type) ||
        get_str(c, obj, "/event", "object", F_ID | F_NULLABLE, &ev->object) ||
        get_int(c, obj, "/event", "created", -MAX_SAFE_INT, MAX_SAFE_INT,
                &ev->has_created, &ev->created))
        return -1;
    /* event fields reach logs, reports and the target's state */
    if (!hr_text_printable(ev->id) || !hr_text_printable(ev->type) ||
        !hr_text_printable(ev->object))
        return verr(c, "/event",
                    "id, type and object must be printable UTF-8 (no "
                    "control characters)");
    return 0;
}

static int parse_redacted(struct pctx *c, const cJSON *root,
                          struct hr_interaction *it)
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "redacted");
    const cJSON *p;
    char ptr[PTR_BYTES];

    if (!arr)
        return 0;
    if (!cJSON_IsArray(arr))
        return verr(c, "/redacted", "must be an array of JSON pointers");
    it->redacted =
        hr_calloc((size_t)cJSON_GetArraySize(arr), sizeof(*it->redacted));
    if (!it->redacted)
        return oom(c);
    for (p = arr->child; p; p = p->next) {
        ptr_index(ptr, "/redacted", it->n_redacted);
        if (!cJSON_IsString(p))
            return verr(c, ptr, "must be a string (a JSON pointer)");
        it->redacted[it->n_redacted] = hr_strdup(p->valuestring);
        if (!it->redacted[it->n_redacted])
            return oom(c);
        it->n_redacted++;
    }
    return 0;
}

static int parse_kind_endpoint(struct pctx *c, const cJSON *root,
                               struct hr_interaction *it)
{
    const struct hr_cassette_header *h = &c->r->header;
    char *kind = NULL;
    size_t i;

    if (get_str(c, root, "", "kind", F_REQ, &kind))
        return -1;
    it->kind = strcmp(kind, "webhook") == 0 ? HR_KIND_WEBHOOK
               : strcmp(kind, "api") == 0   ? HR_KIND_API
                                            : 0;
    hr_free(kind);
    if (!it->kind)
        return verr(c, "/kind", "must be \"webhook\" or \"api\"");
    if (get_str(c, root, "", "endpoint", F_REQ, &it->endpoint))
        return -1;
    for (i = 0; i < h->n_endpoints; i++)
        if (strcmp(h->endpoints[i].name, it->endpoint) == 0)
            return 0;
    return verr(c, "/endpoint",
                "endpoint \"%.64s\" is not declared in the "
                "header's endpoints",
                it->endpoint);
}

static int check_order(struct pctx *c, const struct hr_interaction *it)
{
    struct hr_cassette_reader *r = c->r;

    if (!r->have_last)
        return 0;
    if (it->seq <= r->last_seq)
        return verr(c, "/seq",
                    "seq %" PRId64 " does not follow the "
                    "previous seq %" PRId64 " (must increase)",
                    it->seq, r->last_seq);
    if (it->at_ms < r->last_at_ms)
        return verr(c, "/at_ms",
                    "at_ms %" PRId64 " is before the previous "
                    "at_ms %" PRId64 " (interactions are in time order)",
                    it->at_ms, r->last_at_ms);
    return 0;
}

static int parse_interaction(struct pctx *c, const cJSON *root,
                             struct hr_interaction *it)
{
    int64_t attempt = 1;
    int has_attempt;

    if (check_fields(c, root, "", interaction_fields) ||
        get_int(c, root, "", "seq", -MAX_SAFE_INT, MAX_SAFE_INT, NULL,
                &it->seq) ||
        get_int(c, root, "", "at_ms", 0, MAX_SAFE_INT, NULL, &it->at_ms) ||
        parse_kind_endpoint(c, root, it) || parse_event(c, root, it) ||
        get_int(c, root, "", "attempt", 1, INT_MAX, &has_attempt, &attempt) ||
        get_str(c, root, "", "delivery", F_ID, &it->delivery) ||
        parse_request(c, root, it) || parse_response(c, root, it) ||
        parse_redacted(c, root, it))
        return -1;
    it->attempt = (int)attempt;
    return check_order(c, it);
}

/* ---- lines ------------------------------------------------------------ */

static int is_blank(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return 0;
    return 1;
}

static int too_long(struct hr_cassette_reader *r)
{
    return hr_errf(&r->last_err, HR_EXIT_INPUT,
                   "%s:%d:1: line is longer than %zu bytes, the limit for "
                   "one line",
                   r->name, r->line_no, r->max_line_bytes);
}

static int mem_line(struct hr_cassette_reader *r, const char **text,
                    size_t *len, int *has_nl)
{
    const char *start = r->mem + r->mem_off;
    size_t rest = r->mem_len - r->mem_off;
    const char *nl;

    if (r->mem_off >= r->mem_len)
        return 0;
    nl = memchr(start, '\n', rest);
    *len = nl ? (size_t)(nl - start) : rest;
    *has_nl = nl != NULL;
    *text = start;
    r->line_no++;
    r->mem_off += *len + (nl ? 1 : 0);
    return *len > r->max_line_bytes ? too_long(r) : 1;
}

static int fill_chunk(struct hr_cassette_reader *r)
{
    ssize_t n;

    do {
        n = r->positional ? pread(r->fd, r->chunk, CHUNK_BYTES, r->pos)
                          : read(r->fd, r->chunk, CHUNK_BYTES);
    } while (n < 0 && errno == EINTR);
    if (n > 0)
        r->pos += n;
    if (n < 0)
        return hr_errf(&r->last_err, HR_EXIT_INPUT, "%s:%d: read error: %s",
                       r->name, r->line_no, strerror(errno));
    r->chunk_off = 0;
    r->chunk_len = (size_t)n;
    r->at_eof = n == 0;
    return 0;
}

/* Takes bytes up to the next newline into r->line; 1 when one was found. */
static int take_chunk(struct hr_cassette_reader *r)
{
    const char *p = r->chunk + r->chunk_off;
    size_t avail = r->chunk_len - r->chunk_off;
    const char *nl = memchr(p, '\n', avail);
    size_t take = nl ? (size_t)(nl - p) : avail;

    if (r->line.len + take > r->max_line_bytes)
        return too_long(r);
    if (hr_buf_add(&r->line, p, take))
        return hr_errf(&r->last_err, HR_EXIT_INTERNAL, "%s:%d: out of memory",
                       r->name, r->line_no);
    r->chunk_off += take + (nl ? 1 : 0);
    return nl != NULL;
}

static int file_line(struct hr_cassette_reader *r, const char **text,
                     size_t *len, int *has_nl)
{
    int got = 0, rc = 0;

    hr_buf_reset(&r->line);
    while (rc == 0) {
        if (r->chunk_off == r->chunk_len) {
            if (!r->at_eof && fill_chunk(r))
                return -1;
            if (r->at_eof)
                break;
        }
        if (!got)
            r->line_no++;
        got = 1;
        rc = take_chunk(r);
    }
    if (rc < 0)
        return -1;
    if (!got)
        return 0;
    *text = r->line.data ? r->line.data : "";
    *len = r->line.len;
    *has_nl = rc == 1;
    return 1;
}

/* The next line that is not blank: 1, 0 at the end, -1 on error. */
static int next_line(struct hr_cassette_reader *r, const char **text,
                     size_t *len, int *has_nl)
{
    int rc;

    do {
        rc = r->fd < 0 ? mem_line(r, text, len, has_nl)
                       : file_line(r, text, len, has_nl);
    } while (rc == 1 && is_blank(*text, *len));
    return rc;
}

static void describe_byte(char *out, size_t size, const char *s, size_t n,
                          size_t off)
{
    unsigned char ch = off < n ? (unsigned char)s[off] : 0;

    if (off >= n)
        snprintf(out, size, "end of line");
    else if (ch > 0x20 && ch < 0x7f)
        snprintf(out, size, "'%c'", ch);
    else
        snprintf(out, size, "byte 0x%02x", ch);
}

static cJSON *syntax_error(struct pctx *c, const char *end, int has_nl)
{
    size_t off = end ? (size_t)(end - c->text) : 0;
    char what[32];

    if (looks_cut(c->text, c->len)) {
        line_err(c, c->len + 1, "%s",
                 has_nl ? "the line ends inside a JSON value"
                        : "the file ends inside a JSON value: the last line is "
                          "cut short");
        return NULL;
    }
    describe_byte(what, sizeof(what), c->text, c->len, off);
    line_err(c, off + 1, "invalid JSON: unexpected %s", what);
    return NULL;
}

/* NUL escapes would be cut by cJSON: an error, never a short string. */
static int check_nul_escape(struct pctx *c)
{
    static const char *const bodies[] = {"/request/body", "/response/body"};
    size_t at = find_nul_escape(c->text, c->len), i;

    if (at == HR_JSON_NOT_FOUND)
        return 0;
    for (i = 0; i < 2; i++) {
        size_t start = hr_json_locate(c->text, c->len, bodies[i]);

        if (start != HR_JSON_NOT_FOUND && start < c->len &&
            c->text[start] == '"' && at > start &&
            at < hr_json_skip_string(c->text, c->len, start))
            return line_err(c, at + 1,
                            "%s: holds an escaped NUL (\\u0000),"
                            " which a JSON string here cannot keep: store "
                            "these bytes as body_b64 instead",
                            bodies[i]);
    }
    return line_err(c, at + 1,
                    "a string holds an escaped NUL (\\u0000); "
                    "only bodies may hold NUL bytes, as body_b64");
}

/* Parses one line into a JSON object, or NULL with the error set. */
static cJSON *parse_line(struct pctx *c, int has_nl)
{
    const char *nul = memchr(c->text, '\0', c->len);
    const char *end = NULL;
    cJSON *root;

    if (nul) {
        line_err(c, (size_t)(nul - c->text) + 1,
                 "a raw NUL byte: JSON text "
                 "cannot hold one");
        return NULL;
    }
    root = cJSON_ParseWithLengthOpts(c->text, c->len, &end, 0);
    if (!root)
        return syntax_error(c, end, has_nl);
    end = c->text + hr_json_skip_ws(c->text, c->len, (size_t)(end - c->text));
    if (end < c->text + c->len) {
        line_err(c, (size_t)(end - c->text) + 1,
                 "unexpected data after the JSON object");
    } else if (!cJSON_IsObject(root)) {
        line_err(c, 1, "%s must be a JSON object",
                 c->r->header.version ? "each line"
                                      : "the cassette header line");
    } else if (check_nul_escape(c) == 0) {
        return root;
    }
    cJSON_Delete(root);
    return NULL;
}

/* ---- reader ----------------------------------------------------------- */

static struct hr_cassette_reader *reader_new(const char *name,
                                             struct hr_err *err)
{
    struct hr_cassette_reader *r = hr_calloc(1, sizeof(*r));

    if (!r || !(r->name = hr_strdup(name))) {
        hr_free(r);
        hr_errf(err, HR_EXIT_INTERNAL, "%s: out of memory", name);
        return NULL;
    }
    r->fd = -1;
    r->max_line_bytes = MAX_LINE_BYTES;
    hr_buf_init(&r->line, 0);
    return r;
}

static int read_header(struct hr_cassette_reader *r)
{
    struct pctx c = {r, NULL, 0, &r->last_err};
    int has_nl = 0, rc;
    cJSON *root;

    rc = next_line(r, &c.text, &c.len, &has_nl);
    if (rc < 0)
        return -1;
    if (rc == 0)
        return hr_errf(&r->last_err, HR_EXIT_INPUT,
                       "%s:%d:1: empty file: "
                       "expected the cassette header line",
                       r->name, r->line_no ? r->line_no : 1);
    root = parse_line(&c, has_nl);
    if (!root)
        return -1;
    rc = parse_header(&c, root);
    cJSON_Delete(root);
    return rc;
}

/* Reads the header; on failure copies the reason out and frees r. */
static struct hr_cassette_reader *open_finish(struct hr_cassette_reader *r,
                                              struct hr_err *err)
{
    if (read_header(r) == 0)
        return r;
    if (err)
        *err = r->last_err;
    hr_cassette_close(r);
    return NULL;
}

/* The unlinked copy of stdin every "-" reader shares, or -1 before. */
static int stdin_spool_fd = -1;

static int write_all(int fd, const char *p, size_t len)
{
    ssize_t n;

    while (len) {
        n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Copies stdin to an unlinked temporary file in chunks; fd or -1. */
static int spool_copy(int fd, char *chunk, struct hr_err *err)
{
    ssize_t n;

    for (;;) {
        n = read(0, chunk, CHUNK_BYTES);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return hr_errf(err, HR_EXIT_INPUT, "<stdin>: read error: %s",
                           strerror(errno));
        if (n == 0)
            return fd;
        if (write_all(fd, chunk, (size_t)n))
            return hr_errf(err, HR_EXIT_INTERNAL,
                           "<stdin>: cannot spool to a temporary file: %s",
                           strerror(errno));
    }
}

static int spool_stdin(char *chunk, struct hr_err *err)
{
    const char *dir = getenv("TMPDIR");
    char path[PATH_MAX];
    int fd;

    if (stdin_spool_fd >= 0)
        return stdin_spool_fd;
    if (!dir || !*dir)
        dir = "/tmp";
    snprintf(path, sizeof(path), "%s/hookreplay-stdin-XXXXXX", dir);
    fd = mkstemp(path);
    if (fd >= 0)
        fcntl(fd, F_SETFD, FD_CLOEXEC); /* hooks and probes never see it */
    if (fd < 0)
        return hr_errf(err, HR_EXIT_INTERNAL,
                       "<stdin>: cannot create a temporary file in %s: %s", dir,
                       strerror(errno));
    unlink(path);
    if (spool_copy(fd, chunk, err) < 0) {
        close(fd);
        return -1;
    }
    stdin_spool_fd = fd;
    return fd;
}

struct hr_cassette_reader *hr_cassette_open(const char *path,
                                            struct hr_err *err)
{
    int use_stdin = strcmp(path, "-") == 0;
    struct hr_cassette_reader *r =
        reader_new(use_stdin ? "<stdin>" : path, err);

    if (!r)
        return NULL;
    r->chunk = hr_malloc(CHUNK_BYTES);
    if (!r->chunk) {
        hr_errf(err, HR_EXIT_INTERNAL, "%s: out of memory", path);
        hr_cassette_close(r);
        return NULL;
    }
    r->fd = use_stdin ? spool_stdin(r->chunk, err)
                      : open(path, O_RDONLY | O_CLOEXEC);
    r->own_fd = !use_stdin;
    r->positional = use_stdin;
    if (r->fd < 0) {
        if (!use_stdin)
            hr_errf(err, HR_EXIT_INPUT, "%s: %s", path, strerror(errno));
        r->own_fd = 0;
        hr_cassette_close(r);
        return NULL;
    }
    return open_finish(r, err);
}

struct hr_cassette_reader *hr_cassette_open_mem(const char *name,
                                                const char *data, size_t len,
                                                struct hr_err *err)
{
    struct hr_cassette_reader *r = reader_new(name, err);

    if (!r)
        return NULL;
    r->mem = data ? data : "";
    r->mem_len = data ? len : 0;
    return open_finish(r, err);
}

const struct hr_cassette_header *
hr_cassette_header(const struct hr_cassette_reader *r)
{
    return &r->header;
}

void hr_cassette_set_max_line_bytes(struct hr_cassette_reader *r,
                                    size_t max_line_bytes)
{
    r->max_line_bytes = max_line_bytes;
}

void hr_cassette_set_keep_going(struct hr_cassette_reader *r, int on)
{
    r->keep_going = on;
}

int hr_cassette_failed(const struct hr_cassette_reader *r)
{
    return r->failed;
}

/* A bad line: ends the reading unless keep_going (lint) is set. */
static int line_failed(struct hr_cassette_reader *r, struct hr_err *err)
{
    if (!r->keep_going)
        r->failed = 1;
    if (err)
        *err = r->last_err;
    return -1;
}

static int reader_failed(struct hr_cassette_reader *r, struct hr_err *err)
{
    r->failed = 1;
    if (err)
        *err = r->last_err;
    return -1;
}

int hr_cassette_next(struct hr_cassette_reader *r, struct hr_interaction *out,
                     struct hr_err *err)
{
    struct pctx c = {r, NULL, 0, &r->last_err};
    int has_nl = 0, rc;
    cJSON *root;

    hr_interaction_clear(out);
    if (r->failed)
        return reader_failed(r, err);
    rc = next_line(r, &c.text, &c.len, &has_nl);
    if (rc <= 0)
        return rc < 0 ? reader_failed(r, err) : 0;
    root = parse_line(&c, has_nl);
    if (!root)
        return line_failed(r, err);
    rc = parse_interaction(&c, root, out);
    cJSON_Delete(root);
    if (rc) {
        hr_interaction_clear(out);
        return line_failed(r, err);
    }
    out->line = r->line_no;
    r->have_last = 1;
    r->last_seq = out->seq;
    r->last_at_ms = out->at_ms;
    return 1;
}

void hr_cassette_close(struct hr_cassette_reader *r)
{
    if (!r)
        return;
    if (r->own_fd && r->fd >= 0)
        close(r->fd);
    hr_cassette_header_clear(&r->header);
    hr_buf_free(&r->line);
    hr_free(r->chunk);
    hr_free(r->name);
    hr_free(r);
}

/* ---- writer ----------------------------------------------------------- */

static int put_raw(struct hr_buf *b, const char *s)
{
    return hr_buf_add(b, s, strlen(s));
}

static int put_json_str(struct hr_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t i, start = 0;

    if (hr_buf_add(b, "\"", 1))
        return -1;
    for (i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        char esc[7] = {'\\', 0, 0, 0, 0, 0, 0};
        size_t elen = 2;

        if (ch >= 0x20 && ch != '"' && ch != '\\')
            continue;
        if (hr_buf_add(b, s + start, i - start))
            return -1;
        start = i + 1;
        esc[1] = ch == '"'    ? '"'
                 : ch == '\\' ? '\\'
                 : ch == '\n' ? 'n'
                 : ch == '\r' ? 'r'
                 : ch == '\t' ? 't'
                 : ch == '\b' ? 'b'
                 : ch == '\f' ? 'f'
                              : 'u';
        if (esc[1] == 'u') {
            memcpy(esc + 2, "00", 2);
            esc[4] = hex[ch >> 4];
            esc[5] = hex[ch & 15];
            elen = 6;
        }
        if (hr_buf_add(b, esc, elen))
            return -1;
    }
    if (hr_buf_add(b, s + start, n - start))
        return -1;
    return hr_buf_add(b, "\"", 1);
}

/* Writes ,"key": (or "key": for the first member of an object). */
static int put_key(struct hr_buf *b, int *first, const char *key)
{
    int rc = (*first ? 0 : hr_buf_add(b, ",", 1)) ||
             put_json_str(b, key, strlen(key)) || hr_buf_add(b, ":", 1);

    *first = 0;
    return rc ? -1 : 0;
}

static int put_str_member(struct hr_buf *b, int *first, const char *key,
                          const char *value)
{
    if (!value)
        return 0;
    return (put_key(b, first, key) || put_json_str(b, value, strlen(value)))
               ? -1
               : 0;
}

static int put_int_member(struct hr_buf *b, int *first, const char *key,
                          int64_t v)
{
    return (put_key(b, first, key) || hr_buf_printf(b, "%" PRId64, v)) ? -1 : 0;
}

static int put_headers(struct hr_buf *b, int *first, const struct hr_message *m)
{
    size_t i;

    if (put_key(b, first, "headers") || hr_buf_add(b, "[", 1))
        return -1;
    for (i = 0; i < m->n_headers; i++) {
        const struct hr_header *h = &m->headers[i];

        if (!h->name || !h->value)
            return -1;
        if ((i && hr_buf_add(b, ",", 1)) || hr_buf_add(b, "[", 1) ||
            put_json_str(b, h->name, strlen(h->name)) ||
            hr_buf_add(b, ",", 1) ||
            put_json_str(b, h->value, strlen(h->value)) ||
            hr_buf_add(b, "]", 1))
            return -1;
    }
    return hr_buf_add(b, "]", 1);
}

/* "body" when the bytes are UTF-8 without NUL, else "body_b64". */
static int put_body(struct hr_buf *b, int *first, const struct hr_message *m)
{
    const unsigned char *p = m->body ? m->body : (const unsigned char *)"";
    size_t n = m->body ? m->body_len : 0;
    char *b64;
    int rc;

    if (hr_utf8_valid_no_nul(p, n))
        return (put_key(b, first, "body") ||
                put_json_str(b, (const char *)p, n))
                   ? -1
                   : 0;
    b64 = hr_b64_encode(p, n);
    if (!b64)
        return -1;
    rc = put_str_member(b, first, "body_b64", b64);
    hr_free(b64);
    return rc;
}

static int put_request(struct hr_buf *b, int *first, const struct hr_message *m)
{
    int inner = 1;

    return (put_key(b, first, "request") || hr_buf_add(b, "{", 1) ||
            put_str_member(b, &inner, "method", m->method) ||
            put_str_member(b, &inner, "path", m->path) ||
            put_str_member(b, &inner, "query", m->query ? m->query : "") ||
            put_headers(b, &inner, m) || put_body(b, &inner, m) ||
            hr_buf_add(b, "}", 1))
               ? -1
               : 0;
}

static int put_response(struct hr_buf *b, int *first,
                        const struct hr_message *m)
{
    int inner = 1;

    return (put_key(b, first, "response") || hr_buf_add(b, "{", 1) ||
            put_int_member(b, &inner, "status", m->status) ||
            put_int_member(b, &inner, "ms", m->ms) ||
            put_headers(b, &inner, m) || put_body(b, &inner, m) ||
            hr_buf_add(b, "}", 1))
               ? -1
               : 0;
}

static int put_event(struct hr_buf *b, int *first, const struct hr_event *e)
{
    int inner = 1;

    if (!e->id || !e->type)
        return -1;
    return (put_key(b, first, "event") || hr_buf_add(b, "{", 1) ||
            put_str_member(b, &inner, "id", e->id) ||
            put_str_member(b, &inner, "type", e->type) ||
            put_str_member(b, &inner, "object", e->object) ||
            (e->has_created &&
             put_int_member(b, &inner, "created", e->created)) ||
            hr_buf_add(b, "}", 1))
               ? -1
               : 0;
}

static int put_redacted(struct hr_buf *b, int *first,
                        const struct hr_interaction *it)
{
    size_t i;

    if (!it->n_redacted)
        return 0;
    if (put_key(b, first, "redacted") || hr_buf_add(b, "[", 1))
        return -1;
    for (i = 0; i < it->n_redacted; i++)
        if ((i && hr_buf_add(b, ",", 1)) || !it->redacted[i] ||
            put_json_str(b, it->redacted[i], strlen(it->redacted[i])))
            return -1;
    return hr_buf_add(b, "]", 1);
}

static int put_interaction(struct hr_buf *b, const struct hr_interaction *it)
{
    int first = 1;
    int webhook = it->kind == HR_KIND_WEBHOOK;

    if (!it->endpoint || (!webhook && it->kind != HR_KIND_API))
        return -1;
    return (hr_buf_add(b, "{", 1) ||
            put_int_member(b, &first, "seq", it->seq) ||
            put_int_member(b, &first, "at_ms", it->at_ms) ||
            put_str_member(b, &first, "kind", webhook ? "webhook" : "api") ||
            put_str_member(b, &first, "endpoint", it->endpoint) ||
            (it->has_event && put_event(b, &first, &it->event)) ||
            ((webhook || it->attempt != 1) &&
             put_int_member(b, &first, "attempt", it->attempt)) ||
            put_str_member(b, &first, "delivery", it->delivery) ||
            put_request(b, &first, &it->request) ||
            (it->has_response && put_response(b, &first, &it->response)) ||
            put_redacted(b, &first, it) || hr_buf_add(b, "}", 1))
               ? -1
               : 0;
}

static int put_header(struct hr_buf *b, const struct hr_cassette_header *h)
{
    int first = 1, inner = 1;
    size_t i;

    if (put_raw(b, "{\"hookreplay\":\"cassette\",\"version\":1") ||
        put_raw(b, ",\"endpoints\":{"))
        return -1;
    first = 0;
    for (i = 0; i < h->n_endpoints; i++) {
        const struct hr_endpoint_decl *d = &h->endpoints[i];

        inner = 1;
        if (!d->name || !d->profile || (i && hr_buf_add(b, ",", 1)) ||
            put_json_str(b, d->name, strlen(d->name)) || put_raw(b, ":{") ||
            put_str_member(b, &inner, "profile", d->profile) ||
            hr_buf_add(b, "}", 1))
            return -1;
    }
    return (hr_buf_add(b, "}", 1) ||
            put_str_member(b, &first, "recorded_at", h->recorded_at) ||
            put_str_member(b, &first, "source", h->source) ||
            hr_buf_add(b, "}", 1))
               ? -1
               : 0;
}

static int write_line(FILE *f, struct hr_buf *b, int rc)
{
    if (rc == 0)
        rc = hr_buf_add(b, "\n", 1);
    if (rc == 0 && fwrite(b->data, 1, b->len, f) != b->len)
        rc = -1;
    hr_buf_free(b);
    return rc ? -1 : 0;
}

int hr_cassette_write_header(FILE *f, const struct hr_cassette_header *h)
{
    struct hr_buf b;

    hr_buf_init(&b, 0);
    return write_line(f, &b, put_header(&b, h));
}

int hr_cassette_write_single_header(FILE *f, const char *endpoint,
                                    const char *profile, const char *source,
                                    struct hr_err *err)
{
    struct hr_endpoint_decl decl = {(char *)endpoint, (char *)profile};
    struct hr_cassette_header h;

    memset(&h, 0, sizeof(h));
    h.version = 1;
    h.endpoints = &decl;
    h.n_endpoints = 1;
    h.source = (char *)source;
    if (hr_cassette_write_header(f, &h))
        return hr_errf(err, HR_EXIT_INTERNAL, "writing the cassette: %s",
                       strerror(errno));
    return 0;
}

int hr_cassette_write(FILE *f, const struct hr_interaction *it)
{
    struct hr_buf b;

    hr_buf_init(&b, 0);
    return write_line(f, &b, put_interaction(&b, it));
}

static int dup_str(char **dst, const char *src)
{
    if (!src) {
        *dst = NULL;
        return 0;
    }
    *dst = hr_strdup(src);
    return *dst ? 0 : -1;
}

static int message_copy(struct hr_message *d, const struct hr_message *s)
{
    size_t i;

    memset(d, 0, sizeof(*d));
    d->status = s->status;
    d->ms = s->ms;
    if (dup_str(&d->method, s->method) || dup_str(&d->path, s->path) ||
        dup_str(&d->query, s->query))
        return -1;
    for (i = 0; i < s->n_headers; i++)
        if (hr_message_add_header(d, s->headers[i].name, s->headers[i].value))
            return -1;
    d->body = hr_malloc(s->body_len + 1);
    if (!d->body)
        return -1;
    if (s->body_len)
        memcpy(d->body, s->body, s->body_len);
    d->body[s->body_len] = '\0';
    d->body_len = s->body_len;
    return 0;
}

int hr_interaction_copy(struct hr_interaction *dst,
                        const struct hr_interaction *src)
{
    size_t i;

    hr_interaction_init(dst);
    dst->seq = src->seq;
    dst->at_ms = src->at_ms;
    dst->kind = src->kind;
    dst->has_event = src->has_event;
    dst->event.created = src->event.created;
    dst->event.has_created = src->event.has_created;
    dst->attempt = src->attempt;
    dst->has_response = src->has_response;
    dst->line = src->line;
    if (dup_str(&dst->endpoint, src->endpoint) ||
        dup_str(&dst->event.id, src->event.id) ||
        dup_str(&dst->event.type, src->event.type) ||
        dup_str(&dst->event.object, src->event.object) ||
        dup_str(&dst->delivery, src->delivery) ||
        message_copy(&dst->request, &src->request) ||
        message_copy(&dst->response, &src->response))
        goto fail;
    if (src->n_redacted) {
        dst->redacted = hr_calloc(src->n_redacted, sizeof(char *));
        if (!dst->redacted)
            goto fail;
        for (i = 0; i < src->n_redacted; i++, dst->n_redacted++)
            if (dup_str(&dst->redacted[i], src->redacted[i]))
                goto fail;
    }
    return 0;
fail:
    hr_interaction_clear(dst);
    return -1;
}
