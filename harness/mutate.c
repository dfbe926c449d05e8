/* SPDX-License-Identifier: MIT */
/* Byte-level body edits: a JSON tokenizer, splices and payload faults. */
#include "mutate.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_DEPTH 512
#define STORED_BLOCK_MAX 65535u

/* ---- tokenizer ---- */

/* A read position in JSON text. */
struct lex {
    const unsigned char *t;
    size_t len;
    size_t pos;
};

static void skip_ws(struct lex *x)
{
    while (x->pos < x->len && (x->t[x->pos] == ' ' || x->t[x->pos] == '\t' ||
                               x->t[x->pos] == '\n' || x->t[x->pos] == '\r'))
        x->pos++;
}

static int peek(const struct lex *x)
{
    return x->pos < x->len ? x->t[x->pos] : -1;
}

static int hex_digit(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The 4 hex digits at p as a number, or -1. */
static long hex4(const unsigned char *p)
{
    long v = 0;
    int i, d;

    for (i = 0; i < 4; i++) {
        d = hex_digit(p[i]);
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/* Appends code point cp as UTF-8 (lone surrogates as their 3 bytes). */
static int put_utf8(struct hr_buf *b, unsigned long cp)
{
    unsigned char u[4];
    size_t n;

    if (cp < 0x80) {
        u[0] = (unsigned char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (unsigned char)(0xc0 | (cp >> 6));
        u[1] = (unsigned char)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (unsigned char)(0xe0 | (cp >> 12));
        u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        u[2] = (unsigned char)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        u[0] = (unsigned char)(0xf0 | (cp >> 18));
        u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
        u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        u[3] = (unsigned char)(0x80 | (cp & 0x3f));
        n = 4;
    }
    return hr_buf_add(b, u, n);
}

/*
 * A \u escape at p (p[0] == '\\', p[1] == 'u'), with the low half of a
 * surrogate pair when one follows. Returns the bytes it took, or 0.
 */
static size_t u_escape(const unsigned char *p, size_t avail, unsigned long *cp)
{
    long hi, lo;

    if (avail < 6 || (hi = hex4(p + 2)) < 0)
        return 0;
    *cp = (unsigned long)hi;
    if (hi < 0xd800 || hi > 0xdbff || avail < 12 || p[6] != '\\' || p[7] != 'u')
        return 6;
    lo = hex4(p + 8);
    if (lo < 0xdc00 || lo > 0xdfff)
        return 6;
    *cp = 0x10000 + (((unsigned long)hi - 0xd800) << 10) +
          ((unsigned long)lo - 0xdc00);
    return 12;
}

/* The character a one-letter escape stands for, or -1. */
static int simple_escape(int c)
{
    switch (c) {
    case '"':
    case '\\':
    case '/':
        return c;
    case 'b':
        return '\b';
    case 'f':
        return '\f';
    case 'n':
        return '\n';
    case 'r':
        return '\r';
    case 't':
        return '\t';
    default:
        return -1;
    }
}

/* One escape at x->pos into dec (may be NULL); advances past it. */
static int scan_escape(struct lex *x, struct hr_buf *dec)
{
    const unsigned char *p = x->t + x->pos;
    size_t avail = x->len - x->pos, took;
    unsigned long cp;
    int c;

    if (avail < 2)
        return -1;
    if (p[1] == 'u') {
        took = u_escape(p, avail, &cp);
        if (!took || (dec && put_utf8(dec, cp)))
            return -1;
        x->pos += took;
        return 0;
    }
    c = simple_escape(p[1]);
    if (c < 0)
        return -1;
    if (dec && hr_buf_add(dec, &(char){(char)c}, 1))
        return -1;
    x->pos += 2;
    return 0;
}

/*
 * A string at x->pos (on its opening quote); advances past the closing
 * quote. dec, when not NULL, receives the decoded bytes.
 */
static int scan_string(struct lex *x, struct hr_buf *dec)
{
    int c;

    x->pos++;
    while ((c = peek(x)) != '"') {
        if (c < 0x20)
            return -1; /* the end, or a raw control character */
        if (c == '\\') {
            if (scan_escape(x, dec))
                return -1;
            continue;
        }
        if (dec && hr_buf_add(dec, x->t + x->pos, 1))
            return -1;
        x->pos++;
    }
    x->pos++;
    return 0;
}

static int scan_digits(struct lex *x)
{
    size_t from = x->pos;

    while (peek(x) >= '0' && peek(x) <= '9')
        x->pos++;
    return x->pos > from ? 0 : -1;
}

/* -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static int scan_number(struct lex *x)
{
    if (peek(x) == '-')
        x->pos++;
    if (peek(x) == '0')
        x->pos++;
    else if (scan_digits(x))
        return -1;
    if (peek(x) == '.') {
        x->pos++;
        if (scan_digits(x))
            return -1;
    }
    if (peek(x) == 'e' || peek(x) == 'E') {
        x->pos++;
        if (peek(x) == '+' || peek(x) == '-')
            x->pos++;
        if (scan_digits(x))
            return -1;
    }
    return 0;
}

static int scan_word(struct lex *x, const char *word)
{
    size_t n = strlen(word);

    if (x->len - x->pos < n || memcmp(x->t + x->pos, word, n) != 0)
        return -1;
    x->pos += n;
    return 0;
}

static int skip_value(struct lex *x, int depth);

/* After one member or element: ',' (more follow) or the close. */
static int after_item(struct lex *x, int close, int *more)
{
    skip_ws(x);
    if (peek(x) == ',') {
        x->pos++;
        skip_ws(x);
        *more = 1;
        return 0;
    }
    if (peek(x) != close)
        return -1;
    x->pos++;
    *more = 0;
    return 0;
}

/*
 * On the opening bracket of a container at nesting depth (too deep: -1):
 * steps past it; *more is 0 when close follows at once, stepped past too.
 */
static int open_container(struct lex *x, int depth, int close, int *more)
{
    if (depth >= MAX_DEPTH)
        return -1;
    x->pos++;
    skip_ws(x);
    *more = peek(x) != close;
    if (!*more)
        x->pos++;
    return 0;
}

/* A member's name (decoded into key unless NULL) and the ':' after it. */
static int scan_key(struct lex *x, struct hr_buf *key)
{
    if (peek(x) != '"' || scan_string(x, key))
        return -1;
    skip_ws(x);
    if (peek(x) != ':')
        return -1;
    x->pos++;
    skip_ws(x);
    return 0;
}

/* An object or array at x->pos (on its opening bracket). */
static int skip_container(struct lex *x, int depth)
{
    int object = peek(x) == '{', close = object ? '}' : ']', more;

    if (open_container(x, depth, close, &more))
        return -1;
    while (more) {
        if ((object && scan_key(x, NULL)) || skip_value(x, depth + 1))
            return -1;
        if (after_item(x, close, &more))
            return -1;
    }
    return 0;
}

static int skip_value(struct lex *x, int depth)
{
    int c = peek(x);

    if (c == '{' || c == '[')
        return skip_container(x, depth);
    if (c == '"')
        return scan_string(x, NULL);
    if (c == '-' || (c >= '0' && c <= '9'))
        return scan_number(x);
    if (c == 't')
        return scan_word(x, "true");
    if (c == 'f')
        return scan_word(x, "false");
    if (c == 'n')
        return scan_word(x, "null");
    return -1;
}

/* Checks text is one JSON value; its span (no blanks) in [*vs, *ve). */
static int json_whole(const unsigned char *t, size_t len, size_t *vs,
                      size_t *ve)
{
    struct lex x = {t, len, 0};

    skip_ws(&x);
    *vs = x.pos;
    if (skip_value(&x, 0))
        return -1;
    *ve = x.pos;
    skip_ws(&x);
    return x.pos == len ? 0 : -1;
}

/* ---- pointers ---- */

/*
 * The next reference token of a pointer at *p (on a '/'), unescaped
 * into tok; *p moves to the following '/' or the end.
 */
static int next_token(const char **p, struct hr_buf *tok)
{
    const char *s = *p + 1;

    hr_buf_reset(tok);
    for (; *s && *s != '/'; s++) {
        char c = *s;

        if (c == '~') {
            if (s[1] != '0' && s[1] != '1')
                return -1;
            c = *++s == '0' ? '~' : '/';
        }
        if (hr_buf_add(tok, &c, 1))
            return -1;
    }
    *p = s;
    return 0;
}

static int buf_eq(const struct hr_buf *a, const struct hr_buf *b)
{
    return a->len == b->len &&
           (a->len == 0 || !memcmp(a->data, b->data, a->len));
}

/* In the object at x->pos, moves to the value of the member named tok. */
static int find_member(struct lex *x, const struct hr_buf *tok)
{
    struct hr_buf key;
    int more = 1, rc = -1;

    hr_buf_init(&key, 0);
    x->pos++;
    skip_ws(x);
    if (peek(x) == '}')
        goto out;
    while (more) {
        hr_buf_reset(&key);
        if (scan_string(x, &key))
            goto out;
        skip_ws(x);
        x->pos++; /* ':' (checked by json_whole) */
        skip_ws(x);
        if (buf_eq(&key, tok)) {
            rc = 0;
            goto out;
        }
        if (skip_value(x, 0) || after_item(x, '}', &more))
            goto out;
    }
out:
    hr_buf_free(&key);
    return rc;
}

/* An array index token: "0" or digits without a leading zero. */
static int parse_index(const struct hr_buf *tok, size_t *idx)
{
    size_t i;

    *idx = 0;
    if (tok->len == 0 || tok->len > 15 || (tok->data[0] == '0' && tok->len > 1))
        return -1;
    for (i = 0; i < tok->len; i++) {
        if (tok->data[i] < '0' || tok->data[i] > '9')
            return -1;
        *idx = *idx * 10 + (size_t)(tok->data[i] - '0');
    }
    return 0;
}

/* In the array at x->pos, moves to the element numbered by tok. */
static int find_element(struct lex *x, const struct hr_buf *tok)
{
    size_t idx, i;
    int more = 1;

    if (parse_index(tok, &idx))
        return -1;
    x->pos++;
    skip_ws(x);
    if (peek(x) == ']')
        return -1;
    for (i = 0; more; i++) {
        if (i == idx)
            return 0;
        if (skip_value(x, 0) || after_item(x, ']', &more))
            return -1;
    }
    return -1;
}

int hr_json_span(const char *text, size_t len, const char *pointer,
                 size_t *start, size_t *end)
{
    struct lex x = {(const unsigned char *)text, len, 0};
    struct hr_buf tok;
    const char *p = pointer;
    size_t ve;
    int rc = -1;

    if (!text || !pointer || (*p && *p != '/') ||
        json_whole(x.t, len, &x.pos, &ve))
        return -1;
    hr_buf_init(&tok, 0);
    while (*p) {
        int c = peek(&x);

        if (next_token(&p, &tok))
            goto out;
        if (c == '{'   ? find_member(&x, &tok)
            : c == '[' ? find_element(&x, &tok)
                       : -1)
            goto out;
    }
    *start = x.pos;
    rc = skip_value(&x, 0);
    *end = x.pos;
out:
    hr_buf_free(&tok);
    return rc;
}

/* ---- splices ---- */

static void out_clear(unsigned char **out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
}

int hr_body_splice(const unsigned char *b, size_t len, size_t start, size_t end,
                   const char *repl, size_t repl_len, unsigned char **out,
                   size_t *out_len)
{
    size_t n;
    unsigned char *p;

    out_clear(out, out_len);
    if (start > end || end > len || (!b && len) || (!repl && repl_len))
        return -1;
    n = len - (end - start);
    if (repl_len > SIZE_MAX - 1 - n)
        return -1;
    p = hr_malloc(n + repl_len + 1);
    if (!p)
        return -1;
    if (start)
        memcpy(p, b, start);
    if (repl_len)
        memcpy(p + start, repl, repl_len);
    if (len > end)
        memcpy(p + start + repl_len, b + end, len - end);
    p[n + repl_len] = '\0';
    *out = p;
    *out_len = n + repl_len;
    return 0;
}

/* Splices the contents of r over [start, end), then frees r. */
static int splice_buf(const unsigned char *b, size_t len, size_t start,
                      size_t end, struct hr_buf *r, unsigned char **out,
                      size_t *out_len)
{
    int rc = hr_body_splice(b, len, start, end, r->data, r->len, out, out_len);

    hr_buf_free(r);
    return rc;
}

/* Appends s as a JSON string literal. */
static int put_json_string(struct hr_buf *b, const char *s)
{
    static const char short_esc[] = "btn\0fr"; /* for 8..13 */
    const unsigned char *p = (const unsigned char *)s;

    if (hr_buf_puts(b, "\""))
        return -1;
    for (; *p; p++) {
        int rc;

        if (*p == '"' || *p == '\\')
            rc = hr_buf_printf(b, "\\%c", *p);
        else if (*p >= 8 && *p <= 13 && short_esc[*p - 8])
            rc = hr_buf_printf(b, "\\%c", short_esc[*p - 8]);
        else if (*p < 0x20)
            rc = hr_buf_printf(b, "\\u%04x", *p);
        else
            rc = hr_buf_add(b, p, 1);
        if (rc)
            return -1;
    }
    return hr_buf_puts(b, "\"");
}

int hr_body_set_string(const unsigned char *b, size_t len, const char *pointer,
                       const char *value, unsigned char **out, size_t *out_len)
{
    struct hr_buf r;
    size_t start, end;

    out_clear(out, out_len);
    if (!value || hr_json_span((const char *)b, len, pointer, &start, &end))
        return -1;
    hr_buf_init(&r, 0);
    if (put_json_string(&r, value)) {
        hr_buf_free(&r);
        return -1;
    }
    return splice_buf(b, len, start, end, &r, out, out_len);
}

int hr_body_insert_member(const unsigned char *b, size_t len,
                          const char *object_pointer, const char *key,
                          const char *value, unsigned char **out,
                          size_t *out_len)
{
    struct lex x = {b, len, 0};
    struct hr_buf r;
    size_t start, end;
    int empty;

    out_clear(out, out_len);
    if (!key || !value ||
        hr_json_span((const char *)b, len, object_pointer, &start, &end) ||
        b[start] != '{')
        return -1;
    x.pos = start + 1;
    skip_ws(&x);
    empty = peek(&x) == '}';
    hr_buf_init(&r, 0);
    if (put_json_string(&r, key) || hr_buf_puts(&r, ":") ||
        put_json_string(&r, value) || (!empty && hr_buf_puts(&r, ","))) {
        hr_buf_free(&r);
        return -1;
    }
    return splice_buf(b, len, start + 1, start + 1, &r, out, out_len);
}

/* ---- times ---- */

/* A decimal integer filling exactly [p, p + n): -?[0-9]{1,18}. */
static int parse_int64(const unsigned char *p, size_t n, int64_t *v)
{
    int neg = n > 0 && p[0] == '-';
    size_t i = (size_t)neg;

    if (n == i || n - i > 18)
        return -1;
    for (*v = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        *v = *v * 10 + (p[i] - '0');
    }
    if (neg)
        *v = -*v;
    return 0;
}

static int shift_unix(const unsigned char *val, size_t n, int64_t delta,
                      struct hr_buf *r)
{
    int quoted = n >= 2 && val[0] == '"';
    int64_t t, moved;

    if (parse_int64(val + quoted, n - 2 * (size_t)quoted, &t) ||
        __builtin_add_overflow(t, delta, &moved))
        return -1;
    return hr_buf_printf(r, quoted ? "\"%lld\"" : "%lld", (long long)moved);
}

/* n digits at p as a number; -1 when one is not a digit. */
static int digits(const unsigned char *p, int n)
{
    int v = 0, i;

    for (i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        v = v * 10 + (p[i] - '0');
    }
    return v;
}

/* 1 when [p, p + n) is "", a fraction, a zone, or a fraction and zone. */
static int iso_tail_ok(const unsigned char *p, size_t n)
{
    size_t i = 0;

    if (n && (p[0] == '.' || p[0] == ',')) {
        for (i = 1; i < n && p[i] >= '0' && p[i] <= '9'; i++)
            ;
        if (i == 1)
            return 0;
    }
    p += i;
    n -= i;
    if (n == 0 || (n == 1 && (p[0] == 'Z' || p[0] == 'z')))
        return 1;
    if (p[0] != '+' && p[0] != '-')
        return 0;
    if (n == 3)
        return digits(p + 1, 2) >= 0;
    if (n == 5)
        return digits(p + 1, 4) >= 0;
    return n == 6 && p[3] == ':' && digits(p + 1, 2) >= 0 &&
           digits(p + 4, 2) >= 0;
}

/* Reads "YYYY-MM-DD?hh:mm:ss" at p (19 bytes) into tm; 0 or -1. */
static int iso_read(const unsigned char *p, struct tm *tm)
{
    static const char dim[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y = digits(p, 4), mo = digits(p + 5, 2), d = digits(p + 8, 2);
    int h = digits(p + 11, 2), mi = digits(p + 14, 2), s = digits(p + 17, 2);

    if (p[4] != '-' || p[7] != '-' || p[13] != ':' || p[16] != ':' ||
        (p[10] != 'T' && p[10] != 't' && p[10] != ' '))
        return -1;
    if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > dim[mo - 1] || h < 0 ||
        h > 23 || mi < 0 || mi > 59 || s < 0 || s > 60)
        return -1;
    if (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
        return -1;
    memset(tm, 0, sizeof(*tm));
    tm->tm_year = y - 1900;
    tm->tm_mon = mo - 1;
    tm->tm_mday = d;
    tm->tm_hour = h;
    tm->tm_min = mi;
    tm->tm_sec = s;
    return 0;
}

static int shift_iso(const unsigned char *val, size_t n, int64_t delta,
                     struct hr_buf *r)
{
    const unsigned char *in = val + 1;
    size_t in_len = n - 2;
    struct tm tm;
    time_t t;

    if (n < 21 || val[0] != '"' || memchr(in, '\\', in_len) ||
        !iso_tail_ok(in + 19, in_len - 19) || iso_read(in, &tm))
        return -1;
    t = timegm(&tm);
    if (__builtin_add_overflow(t, (time_t)delta, &t) || !gmtime_r(&t, &tm) ||
        tm.tm_year < -1900 || tm.tm_year > 9999 - 1900)
        return -1;
    if (hr_buf_printf(r, "\"%04d-%02d-%02d%c%02d:%02d:%02d", tm.tm_year + 1900,
                      tm.tm_mon + 1, tm.tm_mday, in[10], tm.tm_hour, tm.tm_min,
                      tm.tm_sec))
        return -1;
    return hr_buf_add(r, in + 19, in_len - 19 + 1); /* tail + quote */
}

int hr_body_shift_time(const unsigned char *b, size_t len, const char *pointer,
                       int64_t delta_s, enum hr_time_format fmt,
                       unsigned char **out, size_t *out_len)
{
    struct hr_buf r;
    size_t start, end;
    int64_t delta = delta_s;
    int rc;

    out_clear(out, out_len);
    if (hr_json_span((const char *)b, len, pointer, &start, &end))
        return -1;
    hr_buf_init(&r, 0);
    if (fmt == HR_TIME_UNIX_MS && __builtin_mul_overflow(delta_s, 1000, &delta))
        rc = -1;
    else if (fmt == HR_TIME_UNIX_S || fmt == HR_TIME_UNIX_MS)
        rc = shift_unix(b + start, end - start, delta, &r);
    else if (fmt == HR_TIME_ISO8601)
        rc = shift_iso(b + start, end - start, delta, &r);
    else
        rc = -1;
    if (rc) {
        hr_buf_free(&r);
        return -1;
    }
    return splice_buf(b, len, start, end, &r, out, out_len);
}

/* ---- named times ---- */

/* A walk that collects the values of members with one of some names. */
struct named_walk {
    struct lex x;
    const char *const *names;
    size_t n_names;
    struct hr_buf key;
    struct hr_time_span **spans;
    size_t *n_spans;
};

static int key_named(const struct named_walk *w)
{
    size_t i;

    for (i = 0; i < w->n_names; i++)
        if (strlen(w->names[i]) == w->key.len &&
            memcmp(w->names[i], w->key.data, w->key.len) == 0)
            return 1;
    return 0;
}

static int add_span(struct named_walk *w, size_t start, size_t end,
                    enum hr_time_format fmt)
{
    struct hr_time_span *v =
        hr_realloc(*w->spans, (*w->n_spans + 1) * sizeof(**w->spans));

    if (!v)
        return -1;
    v[*w->n_spans] = (struct hr_time_span){start, end, fmt};
    *w->spans = v;
    (*w->n_spans)++;
    return 0;
}

static int walk_value(struct named_walk *w, int depth, int named);

/* One member's name (into w->key) and the ':' after it. */
static int walk_key(struct named_walk *w)
{
    hr_buf_reset(&w->key);
    return scan_key(&w->x, &w->key);
}

static int walk_container(struct named_walk *w, int depth)
{
    struct lex *x = &w->x;
    int object = peek(x) == '{', close = object ? '}' : ']', more;

    if (open_container(x, depth, close, &more))
        return -1;
    while (more) {
        if (object && walk_key(w))
            return -1;
        if (walk_value(w, depth + 1, object && key_named(w)) ||
            after_item(x, close, &more))
            return -1;
    }
    return 0;
}

static int walk_value(struct named_walk *w, int depth, int named)
{
    struct lex *x = &w->x;
    size_t start = x->pos, i;
    int c = peek(x);

    if (c == '{' || c == '[')
        return walk_container(w, depth);
    if (skip_value(x, depth))
        return -1;
    if (!named)
        return 0;
    if (c == '"')
        return add_span(w, start, x->pos, HR_TIME_ISO8601);
    if (c != '-' && (c < '0' || c > '9'))
        return 0;
    for (i = start; i < x->pos; i++)
        if (x->t[i] == '.' || x->t[i] == 'e' || x->t[i] == 'E')
            return 0;
    return add_span(w, start, x->pos, HR_TIME_UNIX_S);
}

int hr_json_named_times(const char *text, size_t len, const char *const *names,
                        size_t n_names, struct hr_time_span **spans,
                        size_t *n_spans)
{
    struct named_walk w = {{(const unsigned char *)text, len, 0},
                           names,
                           n_names,
                           {0},
                           spans,
                           n_spans};
    int rc;

    if (!text)
        return -1;
    hr_buf_init(&w.key, 0);
    skip_ws(&w.x);
    rc = walk_value(&w, 0, 0);
    skip_ws(&w.x);
    hr_buf_free(&w.key);
    return rc || w.x.pos != len ? -1 : 0;
}

static int by_span_start(const void *a, const void *b)
{
    const struct hr_time_span *x = a, *y = b;

    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return 0;
}

/* Appends the moved value of s, or its bytes as they were. */
static int put_moved(const unsigned char *b, const struct hr_time_span *s,
                     int64_t delta_s, struct hr_buf *r)
{
    size_t mark = r->len, n = s->end - s->start;
    int64_t delta = delta_s;
    int rc = -1;

    if (s->fmt == HR_TIME_UNIX_MS &&
        __builtin_mul_overflow(delta_s, 1000, &delta))
        rc = -1;
    else if (s->fmt == HR_TIME_UNIX_S || s->fmt == HR_TIME_UNIX_MS)
        rc = shift_unix(b + s->start, n, delta, r);
    else if (s->fmt == HR_TIME_ISO8601)
        rc = shift_iso(b + s->start, n, delta, r);
    if (rc == 0)
        return 0;
    r->len = mark;
    if (r->data)
        r->data[mark] = '\0';
    return hr_buf_add(r, b + s->start, n);
}

int hr_body_shift_times(const unsigned char *b, size_t len,
                        struct hr_time_span *spans, size_t n_spans,
                        int64_t delta_s, unsigned char **out, size_t *out_len)
{
    struct hr_buf r;
    size_t i, done = 0;
    int rc = 0;

    out_clear(out, out_len);
    if (n_spans)
        qsort(spans, n_spans, sizeof(*spans), by_span_start);
    hr_buf_init(&r, 0);
    for (i = 0; i < n_spans && rc == 0; i++) {
        const struct hr_time_span *s = &spans[i];

        if (s->end > len || s->start > s->end)
            rc = -1;
        else if (s->start >= done)
            rc = hr_buf_add(&r, b + done, s->start - done) ||
                 put_moved(b, s, delta_s, &r);
        if (rc == 0 && s->start >= done)
            done = s->end;
    }
    if (rc == 0)
        rc = hr_buf_add(&r, b + done, len - done);
    if (rc) {
        hr_buf_free(&r);
        return -1;
    }
    *out = (unsigned char *)hr_buf_steal(&r, out_len);
    return *out ? 0 : -1;
}

/* ---- payload faults ---- */

int hr_mutate_unknown_type(const unsigned char *b, size_t len,
                           const char *type_pointer, unsigned char **out,
                           size_t *out_len)
{
    return hr_body_set_string(b, len, type_pointer, HR_MUTATE_UNKNOWN_TYPE, out,
                              out_len);
}

/* A string token: its opening and closing quote. */
struct str_span {
    size_t open, close;
};

/*
 * The string to cut: the one holding byte mid, else the first after it,
 * else the last one. 0 when there is one. t is valid JSON.
 */
static int pick_string(const unsigned char *t, size_t len, size_t mid,
                       struct str_span *pick)
{
    struct lex x = {t, len, 0};
    int found = 0;

    while (x.pos < len) {
        struct str_span s;

        if (t[x.pos] != '"') {
            x.pos++;
            continue;
        }
        s.open = x.pos;
        scan_string(&x, NULL);
        s.close = x.pos - 1;
        *pick = s;
        found = 1;
        if (s.close >= mid)
            break;
    }
    return found;
}

/* Where to cut inside string s: its middle, moved back to a character. */
static size_t cut_point(const unsigned char *t, struct str_span s)
{
    size_t first = s.open + 1, cut = first + (s.close - first) / 2, p;

    while (cut > first && (t[cut] & 0xc0) == 0x80)
        cut--;
    for (p = first; p < cut;) {
        size_t esc = t[p + 1] == 'u' ? 6 : 2;

        if (t[p] != '\\') {
            p++;
        } else if (p + esc > cut) {
            return p;
        } else {
            p += esc;
        }
    }
    return cut;
}

int hr_mutate_malformed(const unsigned char *b, size_t len, unsigned char **out,
                        size_t *out_len)
{
    struct str_span s;
    size_t vs, ve, cut;

    out_clear(out, out_len);
    if (!b || json_whole(b, len, &vs, &ve))
        return -1;
    if (pick_string(b, len, len / 2, &s))
        return hr_body_splice(b, cut_point(b, s), 0, 0, NULL, 0, out, out_len);
    if (b[vs] != '{' && b[vs] != '[')
        return hr_body_splice(b, len, vs, vs, "[", 1, out, out_len);
    cut = vs + (ve - vs) / 2;
    if (cut == vs)
        cut = vs + 1;
    return hr_body_splice(b, cut, 0, 0, NULL, 0, out, out_len);
}

int hr_mutate_oversize(const unsigned char *b, size_t len, size_t size_bytes,
                       unsigned char **out, size_t *out_len)
{
    size_t vs, ve, at, pad;
    char *spaces;
    int rc;

    out_clear(out, out_len);
    if (!b || json_whole(b, len, &vs, &ve))
        return -1;
    if (len >= size_bytes)
        return hr_body_splice(b, len, 0, 0, NULL, 0, out, out_len);
    pad = size_bytes - len;
    at = b[vs] == '{' || b[vs] == '[' ? ve - 1 : len;
    spaces = hr_malloc(pad);
    if (!spaces)
        return -1;
    memset(spaces, ' ', pad);
    rc = hr_body_splice(b, len, at, at, spaces, pad, out, out_len);
    hr_free(spaces);
    return rc;
}

/* ---- gzip ---- */

uint32_t hr_crc32(const unsigned char *p, size_t n)
{
    uint32_t table[256], c = 0xffffffffu;
    size_t i;
    int k;

    for (i = 0; i < 256; i++) {
        uint32_t v = (uint32_t)i;

        for (k = 0; k < 8; k++)
            v = (v & 1) ? 0xedb88320u ^ (v >> 1) : v >> 1;
        table[i] = v;
    }
    for (i = 0; i < n; i++)
        c = table[(c ^ p[i]) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

static unsigned char *put_le(unsigned char *p, uint32_t v, int bytes)
{
    int i;

    for (i = 0; i < bytes; i++)
        *p++ = (unsigned char)(v >> (8 * i));
    return p;
}

int hr_mutate_gzip(const unsigned char *b, size_t len, unsigned char **out,
                   size_t *out_len)
{
    /* magic, deflate, no flags, no mtime, no extra flags, OS unknown */
    static const unsigned char head[10] = {0x1f, 0x8b, 8, 0, 0,
                                           0,    0,    0, 0, 255};
    size_t blocks = len / STORED_BLOCK_MAX + (len % STORED_BLOCK_MAX != 0);
    size_t total, off = 0;
    unsigned char *g, *p;

    out_clear(out, out_len);
    if (!b && len)
        return -1;
    blocks += blocks == 0; /* an empty body is one empty final block */
    if (len > (SIZE_MAX - 19) / 2)
        return -1;
    total = sizeof(head) + 5 * blocks + len + 8;
    g = p = hr_malloc(total + 1);
    if (!g)
        return -1;
    memcpy(p, head, sizeof(head));
    p += sizeof(head);
    do {
        uint32_t n =
            (uint32_t)(len - off < STORED_BLOCK_MAX ? len - off
                                                    : STORED_BLOCK_MAX);

        *p++ = off + n == len; /* BFINAL, BTYPE 00: stored */
        p = put_le(p, n, 2);
        p = put_le(p, ~n & 0xffffu, 2);
        if (n)
            memcpy(p, b + off, n);
        p += n;
        off += n;
    } while (off < len);
    p = put_le(p, hr_crc32(b, len), 4);
    p = put_le(p, (uint32_t)len, 4);
    *p = '\0';
    *out = g;
    *out_len = total;
    return 0;
}

/* ---- reformat ---- */

/* Decodes one UTF-8 character at p (n bytes left); its length or 0. */
static size_t utf8_char(const unsigned char *p, size_t n, unsigned long *cp)
{
    size_t need, i;
    unsigned long min;

    if (p[0] >= 0xc2 && p[0] <= 0xdf) {
        need = 2, min = 0x80, *cp = p[0] & 0x1f;
    } else if (p[0] >= 0xe0 && p[0] <= 0xef) {
        need = 3, min = 0x800, *cp = p[0] & 0x0f;
    } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
        need = 4, min = 0x10000, *cp = p[0] & 0x07;
    } else {
        return 0;
    }
    if (n < need)
        return 0;
    for (i = 1; i < need; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        *cp = (*cp << 6) | (p[i] & 0x3f);
    }
    if (*cp < min || *cp > 0x10ffff || (*cp >= 0xd800 && *cp <= 0xdfff))
        return 0;
    return need;
}

static int put_u_escape(struct hr_buf *r, unsigned long cp)
{
    if (cp < 0x10000)
        return hr_buf_printf(r, "\\u%04lx", cp);
    cp -= 0x10000;
    return hr_buf_printf(r, "\\u%04lx\\u%04lx", 0xd800 + (cp >> 10),
                         0xdc00 + (cp & 0x3ff));
}

/* Copies the rest of the string opened before *i, escaping non-ASCII. */
static int reformat_string(const unsigned char *t, size_t len, size_t *i,
                           struct hr_buf *r)
{
    size_t p = *i, n = 0;
    unsigned long cp;
    int rc = 0;

    while (rc == 0 && t[p] != '"') {
        if (t[p] >= 0x80) {
            n = utf8_char(t + p, len - p, &cp);
            rc = n ? put_u_escape(r, cp) : -1;
        } else {
            n = t[p] != '\\' ? 1 : t[p + 1] == 'u' ? 6 : 2;
            rc = hr_buf_add(r, t + p, n);
        }
        p += n;
    }
    *i = p + 1;
    return rc ? -1 : hr_buf_puts(r, "\"");
}

int hr_mutate_reformat(const unsigned char *b, size_t len, unsigned char **out,
                       size_t *out_len)
{
    struct hr_buf r;
    size_t vs, ve, i = 0;
    int rc = 0;

    out_clear(out, out_len);
    if (!b || json_whole(b, len, &vs, &ve))
        return -1;
    hr_buf_init(&r, 0);
    while (i < len && rc == 0) {
        unsigned char c = b[i];

        if (c == '"') {
            i++;
            rc = hr_buf_puts(&r, "\"") || reformat_string(b, len, &i, &r);
            continue;
        }
        rc = hr_buf_add(&r, &c, 1);
        if (!rc && (c == ':' || c == ','))
            rc = hr_buf_puts(&r, c == ':' ? " " : "\n");
        i++;
    }
    if (!rc && r.len == len && memcmp(r.data, b, len) == 0)
        rc = hr_buf_puts(&r, "\n");
    if (rc) {
        hr_buf_free(&r);
        return -1;
    }
    *out = (unsigned char *)hr_buf_steal(&r, out_len);
    return 0;
}
