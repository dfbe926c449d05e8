/* SPDX-License-Identifier: MIT */
/* Shared helpers: errors, allocation, buffers, clocks, encodings, files. */
#include "util.h"
#include "embedded.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

int hr_log_level = 1;

int hr_errf(struct hr_err *err, int code, const char *fmt, ...)
{
    va_list ap;

    if (!err)
        return -1;
    err->code = code;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    return -1;
}

static long alloc_budget = -1;

static int alloc_allowed(void)
{
    if (alloc_budget < 0)
        return 1;
    if (alloc_budget == 0)
        return 0;
    alloc_budget--;
    return 1;
}

void hr_alloc_fail_after(long n)
{
    alloc_budget = n;
}

void *hr_malloc(size_t n)
{
    return alloc_allowed() ? malloc(n ? n : 1) : NULL;
}

void *hr_calloc(size_t count, size_t size)
{
    return alloc_allowed() ? calloc(count ? count : 1, size ? size : 1) : NULL;
}

void *hr_realloc(void *p, size_t n)
{
    return alloc_allowed() ? realloc(p, n ? n : 1) : NULL;
}

char *hr_strndup(const char *s, size_t n)
{
    char *d = hr_malloc(n + 1);

    if (!d)
        return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *hr_strdup(const char *s)
{
    return s ? hr_strndup(s, strlen(s)) : NULL;
}

void hr_free(void *p)
{
    free(p);
}

static void *cjson_malloc(size_t n)
{
    return hr_malloc(n);
}

void hr_alloc_init(void)
{
    cJSON_Hooks hooks = {cjson_malloc, hr_free};

    cJSON_InitHooks(&hooks);
}

void hr_buf_init(struct hr_buf *b, size_t max_bytes)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max_bytes = max_bytes;
}

static int buf_reserve(struct hr_buf *b, size_t extra)
{
    size_t need = b->len + extra + 1;
    size_t cap;
    char *p;

    if (need < b->len)
        return -1;
    if (b->max_bytes && need - 1 > b->max_bytes)
        return -1;
    if (need <= b->cap)
        return 0;
    cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    p = hr_realloc(b->data, cap);
    if (!p)
        return -1;
    b->data = p;
    b->cap = cap;
    return 0;
}

int hr_buf_add(struct hr_buf *b, const void *p, size_t n)
{
    if (buf_reserve(b, n))
        return -1;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int hr_buf_puts(struct hr_buf *b, const char *s)
{
    return hr_buf_add(b, s, strlen(s));
}

int hr_buf_printf(struct hr_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || buf_reserve(b, (size_t)n))
        return -1;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

void hr_buf_reset(struct hr_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

char *hr_buf_steal(struct hr_buf *b, size_t *len)
{
    char *p = b->data;

    if (!p)
        p = hr_strdup("");
    if (len)
        *len = b->len;
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}

void hr_buf_free(struct hr_buf *b)
{
    hr_free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

int64_t hr_mono_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t hr_mono_ms(void)
{
    return hr_mono_us() / 1000;
}

int64_t hr_wall_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

char *hr_b64_encode(const unsigned char *p, size_t n)
{
    char *out = hr_malloc(4 * ((n + 2) / 3) + 1);

    if (!out)
        return NULL;
    EVP_EncodeBlock((unsigned char *)out, p, (int)n);
    return out;
}

static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

unsigned char *hr_b64_decode(const char *s, size_t len, size_t *out_len)
{
    unsigned char *out;
    size_t i, o = 0, pad = 0;
    uint32_t acc = 0;

    if (len % 4)
        return NULL;
    if (len && s[len - 1] == '=')
        pad++;
    if (len > 1 && s[len - 2] == '=')
        pad++;
    out = hr_malloc(len / 4 * 3 + 1);
    if (!out)
        return NULL;
    for (i = 0; i < len; i++) {
        int v = (i >= len - pad) ? 0 : b64_value((unsigned char)s[i]);

        if (v < 0)
            goto bad;
        acc = (acc << 6) | (uint32_t)v;
        if (i % 4 == 3) {
            out[o++] = (unsigned char)(acc >> 16);
            out[o++] = (unsigned char)(acc >> 8);
            out[o++] = (unsigned char)acc;
            acc = 0;
        }
    }
    *out_len = o - pad;
    return out;
bad:
    hr_free(out);
    return NULL;
}

void hr_hex(const unsigned char *p, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    size_t i;

    for (i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = '\0';
}

int hr_utf8_valid_no_nul(const unsigned char *p, size_t n)
{
    size_t i = 0;

    while (i < n) {
        unsigned char c = p[i];
        size_t k, more;
        uint32_t cp;

        if (c == 0)
            return 0;
        if (c < 0x80) {
            i++;
            continue;
        }
        if ((c & 0xE0) == 0xC0) {
            more = 1;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            more = 2;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            more = 3;
            cp = c & 0x07;
        } else {
            return 0;
        }
        if (i + more >= n)
            return 0;
        for (k = 1; k <= more; k++) {
            if ((p[i + k] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        if ((more == 1 && cp < 0x80) || (more == 2 && cp < 0x800) ||
            (more == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += more + 1;
    }
    return 1;
}

uint64_t hr_hash64(const char *s)
{
    uint64_t h = 1469598103934665603ULL;

    while (*s)
        h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
    return h;
}

int hr_text_printable(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;

    if (!s)
        return 1;
    for (; *u; u++)
        if (*u < 0x20 || *u == 0x7f)
            return 0;
    return hr_utf8_valid_no_nul((const unsigned char *)s, strlen(s));
}

char *hr_read_file(const char *path, size_t *len, struct hr_err *err)
{
    struct hr_buf b;
    char chunk[65536];
    FILE *f = fopen(path, "rb");
    size_t n;

    if (!f) {
        hr_errf(err, HR_EXIT_INPUT, "%s: %s", path, strerror(errno));
        return NULL;
    }
    hr_buf_init(&b, HR_MAX_FILE_BYTES);
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (hr_buf_add(&b, chunk, n)) {
            if (b.len + n > HR_MAX_FILE_BYTES)
                hr_errf(err, HR_EXIT_INPUT,
                        "%s: too large (over %d MiB): not a scenario, "
                        "profile or secrets file",
                        path, HR_MAX_FILE_BYTES >> 20);
            else
                hr_errf(err, HR_EXIT_INTERNAL, "%s: out of memory", path);
            goto fail;
        }
    }
    if (ferror(f)) {
        hr_errf(err, HR_EXIT_INPUT, "%s: read error", path);
        goto fail;
    }
    fclose(f);
    return hr_buf_steal(&b, len);
fail:
    fclose(f);
    hr_buf_free(&b);
    return NULL;
}

int hr_write_output(const char *path,
                    int (*write)(FILE *f, void *ud, struct hr_err *err),
                    void *ud, struct hr_err *err)
{
    char tmp[4096];
    FILE *f;
    int rc;

    if (!path) {
        rc = write(stdout, ud, err);
        if (fflush(stdout) != 0 && rc == 0)
            rc = hr_errf(err, HR_EXIT_INTERNAL, "standard output: %s",
                         strerror(errno));
        return rc;
    }
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    f = fopen(tmp, "wb");
    if (!f)
        return hr_errf(err, HR_EXIT_INTERNAL, "%s: %s", tmp, strerror(errno));
    rc = write(f, ud, err);
    if (fclose(f) != 0 && rc == 0)
        rc = hr_errf(err, HR_EXIT_INTERNAL, "%s: %s", tmp, strerror(errno));
    if (rc == 0 && rename(tmp, path) != 0)
        rc = hr_errf(err, HR_EXIT_INTERNAL, "%s: %s", path, strerror(errno));
    if (rc)
        remove(tmp);
    return rc;
}

char *hr_dirname(const char *path)
{
    const char *slash = strrchr(path, '/');

    if (!slash)
        return hr_strdup(".");
    if (slash == path)
        return hr_strdup("/");
    return hr_strndup(path, (size_t)(slash - path));
}

char *hr_path_join(const char *base, const char *rel)
{
    struct hr_buf b;

    if (rel[0] == '/' || !base || !base[0])
        return hr_strdup(rel);
    hr_buf_init(&b, 0);
    if (hr_buf_printf(&b, "%s/%s", base, rel)) {
        hr_buf_free(&b);
        return NULL;
    }
    return hr_buf_steal(&b, NULL);
}

int hr_strcaseeq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = *a, y = *b;

        if (x >= 'A' && x <= 'Z')
            x += 32;
        if (y >= 'A' && y <= 'Z')
            y += 32;
        if (x != y)
            return 0;
    }
    return *a == *b;
}

void hr_log_write(int level, const char *fmt, ...)
{
    static const char *names[] = {"error", "warning", "info", "debug"};
    va_list ap;

    fprintf(stderr, "hookreplay: %s: ", names[level < 0 ? 0 : level & 3]);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

const struct hr_embedded *hr_embedded_find(const char *name)
{
    const struct hr_embedded *e;

    for (e = hr_embedded_files; e->name; e++)
        if (strcmp(e->name, name) == 0)
            return e;
    return NULL;
}

int hr_command_status(const char *kind, const char *argv0, const char *dir,
                      int status, int timed_out, int64_t timeout_ms,
                      struct hr_err *err)
{
    if (timed_out)
        return hr_errf(err, HR_EXIT_TARGET, "%s %s: timed out after %lld ms",
                       kind, argv0, (long long)timeout_ms);
    if (WIFSIGNALED(status))
        return hr_errf(err, HR_EXIT_TARGET, "%s %s: killed by signal %d", kind,
                       argv0, WTERMSIG(status));
    if (!WIFEXITED(status) || WEXITSTATUS(status) == 0)
        return WIFEXITED(status) ? 0
                                 : hr_errf(err, HR_EXIT_TARGET,
                                           "%s %s: did not exit", kind, argv0);
    if (WEXITSTATUS(status) == 127)
        return hr_errf(err, HR_EXIT_TARGET,
                       "%s %s: cannot be run (not found on PATH, or not "
                       "executable)",
                       kind, argv0);
    if (WEXITSTATUS(status) == 126 && dir)
        return hr_errf(err, HR_EXIT_TARGET,
                       "%s %s: cannot enter the scenario's folder %s", kind,
                       argv0, dir);
    return hr_errf(err, HR_EXIT_TARGET,
                   "%s %s: exit status %d (its stderr is on hookreplay's)",
                   kind, argv0, WEXITSTATUS(status));
}
