/* SPDX-License-Identifier: MIT */
/* JSON pointers, strict integers and error positions on top of cJSON. */
#include "jsonx.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int hr_json_pointer_valid(const char *ptr)
{
    const char *p;

    if (!ptr)
        return 0;
    if (ptr[0] == '\0')
        return 1;
    if (ptr[0] != '/')
        return 0;
    for (p = ptr; *p; p++)
        if (*p == '~' && p[1] != '0' && p[1] != '1')
            return 0;
    return 1;
}

/* Copies one reference token, unescaping ~1 and ~0, into tok. */
static const char *next_token(const char *p, char *tok, size_t cap)
{
    size_t n = 0;

    while (*p && *p != '/') {
        char c = *p++;

        if (c == '~') {
            c = (*p == '1') ? '/' : '~';
            p++;
        }
        if (n + 1 >= cap)
            return NULL;
        tok[n++] = c;
    }
    tok[n] = '\0';
    return p;
}

static cJSON *array_index(const cJSON *arr, const char *tok)
{
    char *end;
    long i;

    if (!tok[0] || (tok[0] == '0' && tok[1]) || tok[0] == '-')
        return NULL;
    i = strtol(tok, &end, 10);
    if (*end || i < 0)
        return NULL;
    return cJSON_GetArrayItem(arr, (int)i);
}

cJSON *hr_json_pointer(const cJSON *root, const char *ptr)
{
    char tok[512];
    const cJSON *cur = root;
    const char *p = ptr;

    if (!root || !hr_json_pointer_valid(ptr))
        return NULL;
    while (*p == '/') {
        p = next_token(p + 1, tok, sizeof(tok));
        if (!p)
            return NULL;
        if (cJSON_IsObject(cur))
            cur = cJSON_GetObjectItemCaseSensitive(cur, tok);
        else if (cJSON_IsArray(cur))
            cur = array_index(cur, tok);
        else
            return NULL;
        if (!cur)
            return NULL;
    }
    return (cJSON *)cur;
}

int hr_json_int64(const cJSON *item, int64_t *out)
{
    double v;

    if (!cJSON_IsNumber(item))
        return -1;
    v = item->valuedouble;
    if (!isfinite(v) || floor(v) != v || fabs(v) > 9007199254740992.0)
        return -1;
    *out = (int64_t)v;
    return 0;
}

void hr_text_position(const char *text, size_t off, int *line, int *col)
{
    size_t i;

    *line = 1;
    *col = 1;
    for (i = 0; i < off && text[i]; i++) {
        if (text[i] == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

/* The first object (depth first) that has a key twice, reported. */
static int duplicate_key(const cJSON *j, const char *origin, struct hr_err *err)
{
    const cJSON *a, *b;

    for (a = j ? j->child : NULL; a; a = a->next) {
        if (cJSON_IsObject(j))
            for (b = a->next; b; b = b->next)
                if (strcmp(a->string, b->string) == 0)
                    return hr_errf(err, HR_EXIT_INPUT,
                                   "%s: the key \"%.100s\" appears twice in "
                                   "one object",
                                   origin, a->string);
        if (duplicate_key(a, origin, err))
            return -1;
    }
    return 0;
}

cJSON *hr_json_parse(const char *origin, const char *text, size_t len,
                     int first_line, struct hr_err *err)
{
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    const char *rest;

    if (j) {
        /* One value per file: anything but blanks after it is an error,
         * and so is a key given twice (which one would win?). */
        for (rest = end; rest < text + len && strchr(" \t\r\n", *rest) && *rest;
             rest++)
            ;
        if (rest < text + len) {
            int line, col;

            hr_text_position(text, (size_t)(rest - text), &line, &col);
            cJSON_Delete(j);
            hr_errf(err, HR_EXIT_INPUT,
                    "%s:%d:%d: unexpected data after the JSON value", origin,
                    line + first_line - 1, col);
            return NULL;
        }
        if (duplicate_key(j, origin, err)) {
            cJSON_Delete(j);
            return NULL;
        }
        return j;
    }
    int line, col;
    size_t off;

    if (j)
        return j;
    end = cJSON_GetErrorPtr();
    off =
        (end && end >= text && end <= text + len) ? (size_t)(end - text) : len;
    hr_text_position(text, off, &line, &col);
    if (off >= len)
        hr_errf(err, HR_EXIT_INPUT,
                "%s:%d:%d: invalid JSON: unexpected end of input", origin,
                line + first_line - 1, col);
    else
        hr_errf(err, HR_EXIT_INPUT, "%s:%d:%d: invalid JSON near '%.12s'",
                origin, line + first_line - 1, col, text + off);
    return NULL;
}

int hr_json_only_keys(const cJSON *obj, const char *const *allowed,
                      const char *origin, const char *where, struct hr_err *err)
{
    const cJSON *it;

    cJSON_ArrayForEach(it, obj)
    {
        const char *const *a;

        for (a = allowed; *a; a++)
            if (strcmp(*a, it->string) == 0)
                break;
        if (!*a)
            return hr_errf(err, HR_EXIT_INPUT, "%s: %s/%s: unknown field",
                           origin, where, it->string);
    }
    return 0;
}

/*
 * These walk JSON text that cJSON has already accepted, to find where a
 * value starts (for error columns) and what a number token looks like.
 */
size_t hr_json_skip_ws(const char *s, size_t n, size_t i)
{
    while (i < n && (unsigned char)s[i] <= 0x20)
        i++;
    return i;
}

size_t hr_json_skip_string(const char *s, size_t n, size_t i)
{
    for (i++; i < n; i++) {
        if (s[i] == '\\')
            i++;
        else if (s[i] == '"')
            return i + 1;
    }
    return n;
}

static size_t skip_value(const char *s, size_t n, size_t i)
{
    size_t depth = 0;

    if (i < n && s[i] == '"')
        return hr_json_skip_string(s, n, i);
    if (i < n && s[i] != '{' && s[i] != '[') {
        while (i < n && (unsigned char)s[i] > 0x20 && s[i] != ',' &&
               s[i] != '}' && s[i] != ']')
            i++;
        return i;
    }
    while (i < n) {
        if (s[i] == '"') {
            i = hr_json_skip_string(s, n, i);
            continue;
        }
        if (s[i] == '{' || s[i] == '[')
            depth++;
        else if ((s[i] == '}' || s[i] == ']') && --depth == 0)
            return i + 1;
        i++;
    }
    return n;
}

/* Compares a raw key (between quotes) with a JSON pointer segment. */
static int key_eq(const char *key, size_t klen, const char *seg, size_t slen)
{
    size_t i = 0, j = 0;

    while (i < klen && j < slen) {
        char want = seg[j];

        if (want == '~' && j + 1 < slen) {
            want = seg[j + 1] == '1' ? '/' : '~';
            j++;
        }
        if (key[i] == '\\' || key[i] != want)
            return 0;
        i++;
        j++;
    }
    return i == klen && j == slen;
}

static size_t find_member(const char *s, size_t n, size_t i, const char *seg,
                          size_t slen)
{
    for (i++;; i++) {
        size_t kstart, kend;

        i = hr_json_skip_ws(s, n, i);
        if (i >= n || s[i] != '"')
            return HR_JSON_NOT_FOUND;
        kstart = i + 1;
        i = hr_json_skip_string(s, n, i);
        kend = i - 1;
        i = hr_json_skip_ws(s, n, i);
        if (i >= n || s[i] != ':')
            return HR_JSON_NOT_FOUND;
        i = hr_json_skip_ws(s, n, i + 1);
        if (key_eq(s + kstart, kend - kstart, seg, slen))
            return i;
        i = hr_json_skip_ws(s, n, skip_value(s, n, i));
        if (i >= n || s[i] != ',')
            return HR_JSON_NOT_FOUND;
    }
}

static size_t find_element(const char *s, size_t n, size_t i, const char *seg,
                           size_t slen)
{
    size_t k, index = 0;

    for (k = 0; k < slen; k++) {
        if (seg[k] < '0' || seg[k] > '9' || index > 100000000)
            return HR_JSON_NOT_FOUND;
        index = index * 10 + (size_t)(seg[k] - '0');
    }
    i = hr_json_skip_ws(s, n, i + 1);
    for (k = 0; k < index; k++) {
        i = hr_json_skip_ws(s, n, skip_value(s, n, i));
        if (i >= n || s[i] != ',')
            return HR_JSON_NOT_FOUND;
        i = hr_json_skip_ws(s, n, i + 1);
    }
    return (i < n && s[i] != ']') ? i : HR_JSON_NOT_FOUND;
}

size_t hr_json_locate(const char *s, size_t n, const char *ptr)
{
    size_t i = hr_json_skip_ws(s, n, 0);

    while (*ptr == '/' && i != HR_JSON_NOT_FOUND) {
        const char *seg = ptr + 1;
        size_t slen = strcspn(seg, "/");

        i = hr_json_skip_ws(s, n, i);
        if (i >= n)
            return HR_JSON_NOT_FOUND;
        if (s[i] == '{')
            i = find_member(s, n, i, seg, slen);
        else if (s[i] == '[')
            i = find_element(s, n, i, seg, slen);
        else
            return HR_JSON_NOT_FOUND;
        ptr = seg + slen;
    }
    return i;
}
