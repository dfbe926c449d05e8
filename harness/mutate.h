/* SPDX-License-Identifier: MIT */
/*
 * Byte-level edits of webhook bodies for fault injection. JSON is never
 * parsed into a tree and re-serialized: a small tokenizer finds the bytes
 * of one value and only those bytes change, so a body keeps its exact
 * layout (and a signature over the untouched parts stays meaningful).
 *
 * Ownership: every function that succeeds puts a new buffer in *out
 * (hr_malloc'd, NUL-terminated after *out_len bytes; release with
 * hr_free). On failure (-1) *out is NULL and *out_len 0. These functions
 * keep no state and may run on several threads at once.
 *
 * JSON pointers follow RFC 6901: "" is the whole document, "/a/0/b~1c"
 * the member "b/c" of element 0 of member "a" (~0 is '~', ~1 is '/').
 * Object keys are compared after their escapes are decoded; with
 * duplicate keys the first one wins (as cJSON reads it).
 */
#ifndef HR_MUTATE_H
#define HR_MUTATE_H
#include "profile.h"

#include <stddef.h>
#include <stdint.h>

/* What a gzip'd body must be sent with, as Content-Encoding. */
#define HR_MUTATE_GZIP_ENCODING "gzip"
/* The event type an unknown-type body carries. */
#define HR_MUTATE_UNKNOWN_TYPE "hookreplay.unknown_event"

/*
 * The byte span [*start, *end) of the value at pointer in text (from its
 * first byte to just after its last: quotes and brackets included, no
 * surrounding blanks). 0 when found; -1 when the pointer is malformed,
 * names nothing, or text is not one complete JSON value (strict RFC 8259
 * grammar, nesting at most 512 deep).
 */
int hr_json_span(const char *text, size_t len, const char *pointer,
                 size_t *start, size_t *end);

/*
 * A copy of b with bytes [start, end) replaced by repl (repl_len bytes;
 * repl may be NULL when repl_len is 0). -1 when start > end, end > len,
 * or memory runs out.
 */
int hr_body_splice(const unsigned char *b, size_t len, size_t start, size_t end,
                   const char *repl, size_t repl_len, unsigned char **out,
                   size_t *out_len);

/*
 * Replaces the value at pointer (of any type) with the JSON string
 * literal of value (a NUL-terminated UTF-8 text: '"', '\\' and control
 * characters are escaped, everything else is copied). 0 or -1 (pointer
 * not found, body not JSON, out of memory).
 */
int hr_body_set_string(const unsigned char *b, size_t len, const char *pointer,
                       const char *value, unsigned char **out, size_t *out_len);

/*
 * Inserts "key":"value" (both escaped as above) as the first member of
 * the object at object_pointer, followed by ',' unless the object was
 * empty; every other byte stays as it was. -1 when the pointer names no
 * object.
 */
int hr_body_insert_member(const unsigned char *b, size_t len,
                          const char *object_pointer, const char *key,
                          const char *value, unsigned char **out,
                          size_t *out_len);

/*
 * Moves the time at pointer by delta_s seconds (negative: earlier),
 * rewriting only that value:
 * - HR_TIME_UNIX_S / HR_TIME_UNIX_MS: an integer, either a JSON number
 *   (no fraction or exponent) or a string of one ("1750000000").
 * - HR_TIME_ISO8601: a string "YYYY-MM-DD?hh:mm:ss[.fff][zone]" where ?
 *   is 'T', 't' or ' ', the fraction may use '.' or ',' and any number
 *   of digits, and zone is absent, "Z"/"z", "+hh:mm", "+hhmm" or "+hh"
 *   (or '-'). Separator, fraction and zone are kept as written; the wall
 *   time in that zone moves by delta_s. Years must stay in 0000..9999.
 * -1 when the value is not of that form, the result overflows, or fmt
 * is HR_TIME_NONE.
 */
int hr_body_shift_time(const unsigned char *b, size_t len, const char *pointer,
                       int64_t delta_s, enum hr_time_format fmt,
                       unsigned char **out, size_t *out_len);

/* A time value in a body: its bytes [start, end) and how it is written. */
struct hr_time_span {
    size_t start, end;
    enum hr_time_format fmt;
};

/*
 * Appends to *spans (hr_realloc'd, *n_spans entries) the value of every
 * object member whose name is one of names[0..n_names), at any depth: an
 * integer JSON number as HR_TIME_UNIX_S, a string as HR_TIME_ISO8601;
 * values of other kinds are left out. 0, or -1 when text is not one
 * JSON value or memory runs out (*spans then keeps what it held).
 */
int hr_json_named_times(const char *text, size_t len, const char *const *names,
                        size_t n_names, struct hr_time_span **spans,
                        size_t *n_spans);

/*
 * A copy of b with the time in each span moved by delta_s, each as
 * hr_body_shift_time moves one. spans (any order) are sorted in place; a
 * span that starts inside one already moved (the same value named twice)
 * is skipped, and a value not of its span's form stays as it was, so
 * the call moves what it can. -1 when a span lies beyond len or memory
 * runs out.
 */
int hr_body_shift_times(const unsigned char *b, size_t len,
                        struct hr_time_span *spans, size_t n_spans,
                        int64_t delta_s, unsigned char **out, size_t *out_len);

/*
 * Payload faults. Each takes a JSON body and returns a new one; they
 * return -1 when b is not JSON (or, for unknown_type, the pointer names
 * nothing) and when memory runs out.
 */

/*
 * A body no JSON parser accepts: b cut inside a string (the one holding
 * the middle byte of b, else the nearest one), so the text ends in an
 * unterminated string; the cut never splits a UTF-8 character or an
 * escape. A body without strings is cut to a prefix that leaves its
 * outermost bracket open; a scalar without strings gets a leading '['.
 */
int hr_mutate_malformed(const unsigned char *b, size_t len, unsigned char **out,
                        size_t *out_len);

/* The value at type_pointer set to "hookreplay.unknown_event". */
int hr_mutate_unknown_type(const unsigned char *b, size_t len,
                           const char *type_pointer, unsigned char **out,
                           size_t *out_len);

/*
 * b padded with spaces to exactly size_bytes bytes, still the same JSON
 * value: the spaces go just before the closing bracket of an object or
 * array body, after any other value. A body already size_bytes long or
 * longer comes back unchanged (a copy).
 */
int hr_mutate_oversize(const unsigned char *b, size_t len, size_t size_bytes,
                       unsigned char **out, size_t *out_len);

/*
 * b as one gzip member (RFC 1952) holding stored deflate blocks (RFC
 * 1951, no compression) and its CRC-32; send it with Content-Encoding:
 * HR_MUTATE_GZIP_ENCODING. Any bytes are accepted, JSON or not.
 */
int hr_mutate_gzip(const unsigned char *b, size_t len, unsigned char **out,
                   size_t *out_len);

/*
 * The same JSON value in other bytes: in strings every non-ASCII
 * character becomes a \uXXXX escape (a surrogate pair above U+FFFF), and
 * outside strings a space follows every ':' and a newline every ','.
 * When that changes nothing (e.g. "{}"), a newline is appended. A
 * verifier that re-serializes before checking the signature now fails;
 * one that checks the raw bytes passes. -1 also for invalid UTF-8.
 */
int hr_mutate_reformat(const unsigned char *b, size_t len, unsigned char **out,
                       size_t *out_len);

/* The CRC-32 (ISO-HDLC, as gzip and zlib use) of n bytes. */
uint32_t hr_crc32(const unsigned char *p, size_t n);

#endif
