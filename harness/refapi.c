/* SPDX-License-Identifier: MIT */
/* The reference targets' HTTP client of the provider API. */
#include "refapi.h"

#include <curl/curl.h>
#include <string.h>
#include <time.h>

/* Answers larger than this are cut off and count as no answer. */
#define MAX_ANSWER_BYTES (64u * 1024u * 1024u)
/* The longest Retry-After honoured (the wait gives way to a stop). */
#define MAX_RETRY_AFTER_S 600
/* A 429 or 503 without Retry-After still backs off this long. */
#define DEFAULT_BACKOFF_S 1
/* A wait looks at the stop flag this often. */
#define WAIT_SLICE_US 50000

struct hr_refapi {
    char *base;
    char *key;
    CURL *easy;
    int64_t not_before_us; /* a Retry-After asked not to call until then */
    const int *stop;       /* set: give up waiting, or NULL */
};

void hr_refapi_set_stop(struct hr_refapi *a, const int *stop)
{
    a->stop = stop;
}

static int stopped(const struct hr_refapi *a)
{
    return a->stop && __atomic_load_n(a->stop, __ATOMIC_ACQUIRE);
}

struct hr_refapi *hr_refapi_new(const char *base_url, const char *key)
{
    struct hr_refapi *a = hr_calloc(1, sizeof(*a));

    if (!a)
        return NULL;
    a->base = hr_strdup(base_url);
    a->key = key ? hr_strdup(key) : NULL;
    a->easy = curl_easy_init();
    if (!a->base || (key && !a->key) || !a->easy) {
        hr_refapi_free(a);
        return NULL;
    }
    return a;
}

void hr_refapi_free(struct hr_refapi *a)
{
    if (!a)
        return;
    if (a->key)
        memset(a->key, 0, strlen(a->key));
    hr_free(a->key);
    hr_free(a->base);
    if (a->easy)
        curl_easy_cleanup(a->easy);
    hr_free(a);
}

static size_t take(char *p, size_t size, size_t n, void *ud)
{
    return hr_buf_add(ud, p, size * n) ? 0 : size * n;
}

static int auth_header(const struct hr_refapi *a, struct curl_slist **h)
{
    struct hr_buf b;
    struct curl_slist *n;

    if (!a->key)
        return 0;
    hr_buf_init(&b, 0);
    if (hr_buf_printf(&b, "Authorization: Bearer %s", a->key))
        return -1;
    n = curl_slist_append(*h, b.data);
    memset(b.data, 0, b.len);
    hr_buf_free(&b);
    if (!n)
        return -1;
    *h = n;
    return 0;
}

static void set_options(struct hr_refapi *a, const char *url,
                        struct curl_slist *h, struct hr_buf *body)
{
    curl_easy_reset(a->easy);
    curl_easy_setopt(a->easy, CURLOPT_URL, url);
    curl_easy_setopt(a->easy, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(a->easy, CURLOPT_WRITEFUNCTION, take);
    curl_easy_setopt(a->easy, CURLOPT_WRITEDATA, body);
    curl_easy_setopt(a->easy, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(a->easy, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(a->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(a->easy, CURLOPT_NOPROXY, "*");
}

/* Sleeps until the API's last Retry-After has passed; 0, or -1 when a
 * stop came first. */
static int wait_retry_after(const struct hr_refapi *a)
{
    int64_t left_us;

    while ((left_us = a->not_before_us - hr_mono_us()) > 0) {
        struct timespec ts = {0, 0};

        if (stopped(a))
            return -1;
        if (left_us > WAIT_SLICE_US)
            left_us = WAIT_SLICE_US;
        ts.tv_nsec = (long)left_us * 1000;
        nanosleep(&ts, NULL);
    }
    return stopped(a) ? -1 : 0;
}

/* A 429 or 503 with Retry-After (seconds) holds the next call back. */
static void note_retry_after(struct hr_refapi *a, long status)
{
    curl_off_t s = -1;

    if (status != 429 && status != 503)
        return;
    if (curl_easy_getinfo(a->easy, CURLINFO_RETRY_AFTER, &s) != CURLE_OK ||
        s <= 0)
        s = DEFAULT_BACKOFF_S;
    if (s > MAX_RETRY_AFTER_S)
        s = MAX_RETRY_AFTER_S;
    a->not_before_us = hr_mono_us() + (int64_t)s * 1000000;
}

int hr_refapi_get(struct hr_refapi *a, const char *path_query, long *status,
                  cJSON **json, struct hr_err *err)
{
    struct curl_slist *h = NULL;
    struct hr_buf url, body;
    CURLcode cc = CURLE_OUT_OF_MEMORY;

    *status = 0;
    *json = NULL;
    hr_buf_init(&url, 0);
    hr_buf_init(&body, MAX_ANSWER_BYTES);
    if (hr_buf_printf(&url, "%s%s", a->base, path_query) == 0 &&
        auth_header(a, &h) == 0) {
        set_options(a, url.data, h, &body);
        cc = wait_retry_after(a) ? CURLE_ABORTED_BY_CALLBACK
                                 : curl_easy_perform(a->easy);
    }
    if (cc == CURLE_OK) {
        curl_easy_getinfo(a->easy, CURLINFO_RESPONSE_CODE, status);
        note_retry_after(a, *status);
        *json = cJSON_ParseWithLength(body.data ? body.data : "", body.len);
    } else {
        hr_errf(err, HR_EXIT_INTERNAL, "GET %s: %s", path_query,
                curl_easy_strerror(cc));
    }
    curl_slist_free_all(h);
    hr_buf_free(&url);
    hr_buf_free(&body);
    return cc == CURLE_OK ? 0 : -1;
}

/* Appends s to out at *n, percent-encoding all but [A-Za-z0-9_.-]. */
static int put_escaped(const char *s, char *out, size_t size, size_t *n)
{
    static const char hex[] = "0123456789ABCDEF";

    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        int plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';

        if (*n + (plain ? 1 : 3) >= size)
            return -1;
        if (plain) {
            out[(*n)++] = (char)c;
        } else {
            out[(*n)++] = '%';
            out[(*n)++] = hex[c >> 4];
            out[(*n)++] = hex[c & 15];
        }
    }
    out[*n] = '\0';
    return 0;
}

int hr_refapi_list_path(const char *kind, char *out, size_t size)
{
    size_t n = 0, i;

    if (!kind || !kind[0] || size < 8)
        return -1;
    memcpy(out, "/v1/", 4);
    n = 4;
    for (i = 0; kind[i]; i++) {
        char c = kind[i] == '.' ? '/' : kind[i];

        if (!((c >= 'a' && c <= 'z') || c == '_' || c == '/' ||
              (c >= '0' && c <= '9')) ||
            n + 2 >= size)
            return -1;
        out[n++] = c;
    }
    out[n++] = 's';
    out[n] = '\0';
    return 0;
}

int hr_refapi_object_path(const char *kind, const char *id, char *out,
                          size_t size)
{
    size_t n;

    if (!id || !id[0] || hr_refapi_list_path(kind, out, size))
        return -1;
    n = strlen(out);
    if (n + 2 >= size)
        return -1;
    out[n++] = '/';
    out[n] = '\0';
    return put_escaped(id, out, size, &n);
}
