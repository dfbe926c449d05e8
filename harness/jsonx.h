/* SPDX-License-Identifier: MIT */
/*
 * JSON helpers over cJSON: RFC 6901 pointers, strict 64-bit integers, and
 * FILE:LINE:COLUMN positions for parse errors.
 */
#ifndef HR_JSONX_H
#define HR_JSONX_H
#include "util.h"

#include <cjson/cJSON.h>
#include <stdint.h>

/* The item at pointer ptr ("" is root), or NULL when absent or invalid. */
cJSON *hr_json_pointer(const cJSON *root, const char *ptr);
/* 1 when ptr is a syntactically valid JSON pointer. */
int hr_json_pointer_valid(const char *ptr);

/*
 * Reads a JSON number as a 64-bit integer: 0 on success, -1 when it is
 * not a number, not integral, or beyond +-2^53 (where doubles lose
 * integers).
 */
int hr_json_int64(const cJSON *item, int64_t *out);

/*
 * Parses text (len bytes) as one JSON value. On a syntax error returns
 * NULL with "ORIGIN:LINE:COLUMN: invalid JSON ..." in err, where line and
 * column (bytes, from 1) are counted from first_line.
 */
cJSON *hr_json_parse(const char *origin, const char *text, size_t len,
                     int first_line, struct hr_err *err);

/* Line and column (from 1, columns in bytes) of offset off in text. */
void hr_text_position(const char *text, size_t off, int *line, int *col);

/*
 * Checks that object obj only has keys from the NULL-terminated list
 * allowed; otherwise fills err naming the first unknown key under where
 * (a JSON pointer) and returns -1.
 */
int hr_json_only_keys(const cJSON *obj, const char *const *allowed,
                      const char *origin, const char *where,
                      struct hr_err *err);

/* What hr_json_locate returns when the pointer leads nowhere. */
#define HR_JSON_NOT_FOUND ((size_t)-1)

/*
 * Offset in text (len bytes of JSON that parsed) where the value at JSON
 * pointer ptr starts, or HR_JSON_NOT_FOUND. Walks the text itself, so it
 * gives positions that cJSON's tree does not keep.
 */
size_t hr_json_locate(const char *text, size_t len, const char *ptr);

/*
 * Scanning JSON text s of n bytes from offset i, for callers that need
 * positions cJSON does not keep. hr_json_skip_ws: the offset of the first
 * byte at or after i that is not whitespace (any byte up to 0x20, as
 * cJSON treats it), or n. hr_json_skip_string: i is on an opening quote;
 * the offset just after its closing quote (backslash escapes skipped), or
 * n when the string does not end.
 */
size_t hr_json_skip_ws(const char *s, size_t n, size_t i);
size_t hr_json_skip_string(const char *s, size_t n, size_t i);

#endif
