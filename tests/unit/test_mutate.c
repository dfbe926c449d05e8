/* SPDX-License-Identifier: MIT */
/* Body edits: spans, splices, time shifts and the payload faults. */
#include "mutate.h"
#include "support.h"

#include <check.h>
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define STRIPE_CASSETTE HR_SRC_DIR "/fixtures/stripe-lifecycle.ndjson"
#define GITHUB_ISSUES HR_SRC_DIR "/tests/data/github-payloads/issues"

static const unsigned char *u(const char *s)
{
    return (const unsigned char *)s;
}

/* The text of the value at pointer, or "(none)". */
static const char *span_text(const char *text, const char *pointer)
{
    static char buf[256];
    size_t start = 0, end = 0;

    if (hr_json_span(text, strlen(text), pointer, &start, &end))
        return "(none)";
    ck_assert_uint_le(start, end);
    ck_assert_uint_le(end, strlen(text));
    snprintf(buf, sizeof(buf), "%.*s", (int)(end - start), text + start);
    return buf;
}

/*
 * Parses exactly len bytes as JSON, nothing after; NULL if it fails.
 * cJSON wants a NUL right after the text, so it reads a copy.
 */
static cJSON *parse_exact(const unsigned char *p, size_t len)
{
    char *copy = hr_malloc(len + 1);
    cJSON *j;

    ck_assert_ptr_nonnull(copy);
    memcpy(copy, p, len);
    copy[len] = '\0';
    j = cJSON_ParseWithLengthOpts(copy, len + 1, NULL, 1);
    hr_free(copy);
    return j;
}

/*
 * a and b parse to the same value: the same compact printing (which keeps
 * member order and duplicate keys) and, when compare is set, equal under
 * cJSON_Compare (which cannot tell duplicate keys apart, so random bodies
 * skip it).
 */
static void assert_same_json(const unsigned char *a, size_t a_len,
                             const unsigned char *b, size_t b_len, int compare)
{
    cJSON *ja = parse_exact(a, a_len), *jb = parse_exact(b, b_len);
    char *pa, *pb;

    ck_assert_msg(ja && jb, "not JSON: %.*s", (int)b_len, (const char *)b);
    if (compare)
        ck_assert(cJSON_Compare(ja, jb, 1));
    pa = cJSON_PrintUnformatted(ja);
    pb = cJSON_PrintUnformatted(jb);
    ck_assert_str_eq(pa, pb);
    cJSON_free(pa);
    cJSON_free(pb);
    cJSON_Delete(ja);
    cJSON_Delete(jb);
}

/* The request body of the first webhook of the Stripe fixture. */
static char *stripe_body(size_t *len)
{
    struct hr_err err;
    struct hr_cassette_reader *r = hr_cassette_open(STRIPE_CASSETTE, &err);
    struct hr_interaction it;
    char *body;

    ck_assert_msg(r != NULL, "%s", err.msg);
    hr_interaction_init(&it);
    ck_assert_int_eq(hr_cassette_next(r, &it, &err), 1);
    body = hr_strndup((const char *)it.request.body, it.request.body_len);
    *len = it.request.body_len;
    hr_interaction_clear(&it);
    hr_cassette_close(r);
    return body;
}

/* The first file of the GitHub issues payload folder, as text. */
static char *github_body(size_t *len)
{
    struct t_result r;
    char *argv[] = {"/bin/sh", "-c", "ls " GITHUB_ISSUES "/*.json | head -n 1",
                    NULL};
    struct hr_err err;
    char *body;

    ck_assert_int_eq(t_run(&r, argv, NULL, NULL, 10000), 0);
    r.out[strcspn(r.out, "\n")] = '\0';
    body = hr_read_file(r.out, len, &err);
    ck_assert_msg(body != NULL, "%s", err.msg);
    t_result_free(&r);
    return body;
}

START_TEST(span_finds_nested_members_array_elements_and_numbers)
{
    const char *t = " {\"a\": {\"b\" : [10, {\"c\":\"x,}\"}, true, -0]},"
                    "\n\"n\":-1.5e+3, \"z\": [], \"o\": {}} ";

    char whole[128];

    snprintf(whole, sizeof(whole), "%.*s", (int)strlen(t) - 2, t + 1);
    ck_assert_str_eq(span_text(t, ""), whole);
    ck_assert_str_eq(span_text(t, "/a/b/0"), "10");
    ck_assert_str_eq(span_text(t, "/a/b/1"), "{\"c\":\"x,}\"}");
    ck_assert_str_eq(span_text(t, "/a/b/1/c"), "\"x,}\"");
    ck_assert_str_eq(span_text(t, "/a/b/2"), "true");
    ck_assert_str_eq(span_text(t, "/a/b/3"), "-0");
    ck_assert_str_eq(span_text(t, "/n"), "-1.5e+3");
    ck_assert_str_eq(span_text(t, "/z"), "[]");
    ck_assert_str_eq(span_text(t, "/o"), "{}");
    ck_assert_str_eq(span_text(t, "/a"),
                     "{\"b\" : [10, {\"c\":\"x,}\"}, true, -0]}");
    ck_assert_str_eq(span_text(t, "/a/b/4"), "(none)");
    ck_assert_str_eq(span_text(t, "/a/b/01"), "(none)");
    ck_assert_str_eq(span_text(t, "/a/b/-"), "(none)");
    ck_assert_str_eq(span_text(t, "/z/0"), "(none)");
    ck_assert_str_eq(span_text(t, "/o/x"), "(none)");
    ck_assert_str_eq(span_text(t, "/n/x"), "(none)");
    ck_assert_str_eq(span_text(t, "/missing"), "(none)");
    ck_assert_str_eq(span_text(t, "a"), "(none)");
    ck_assert_str_eq(span_text("[1, 2.25, 3e7]", "/1"), "2.25");
    ck_assert_str_eq(span_text("[1, 2.25, 3E-7]", "/2"), "3E-7");
}
END_TEST

START_TEST(span_compares_keys_after_unescaping_both_sides)
{
    const char *t = "{\"a/b\":1,\"m~n\":2,\"\\u00e9t\\u00e9\":3,"
                    "\"\\\"q\\\"\":4,\"\":5,\"s\\/l\":6,"
                    "\"\\ud83d\\ude00\":7,\"t\\tab\":8,\"dup\":9,\"dup\":10}";

    ck_assert_str_eq(span_text(t, "/a~1b"), "1");
    ck_assert_str_eq(span_text(t, "/m~0n"), "2");
    ck_assert_str_eq(span_text(t, "/\xc3\xa9t\xc3\xa9"), "3");
    ck_assert_str_eq(span_text(t, "/\"q\""), "4");
    ck_assert_str_eq(span_text(t, "/"), "5");
    ck_assert_str_eq(span_text(t, "/s~1l"), "6");
    ck_assert_str_eq(span_text(t, "/\xf0\x9f\x98\x80"), "7");
    ck_assert_str_eq(span_text(t, "/t\tab"), "8");
    ck_assert_str_eq(span_text(t, "/dup"), "9"); /* the first, as cJSON */
    ck_assert_str_eq(span_text(t, "/a/b"), "(none)");
    ck_assert_str_eq(span_text(t, "/m~2n"), "(none)"); /* bad escape */
    ck_assert_str_eq(span_text(t, "/m~"), "(none)");
}
END_TEST

START_TEST(span_rejects_text_that_is_not_one_json_value)
{
    static const char *const bad[] = {
        "",          " ",         "{",          "{\"a\":}", "[1,]",
        "01",        "1.",        "-",          "1e",       "{\"a\":1} x",
        "\"\x01\"",  "nul",       "{'a':1}",    "[1 2]",    "\"\\x\"",
        "\"\\u12\"", "{\"a\" 1}", "{\"a\":1,}", "truex",    "\"open"};
    char deep[1300];
    size_t i, s, e;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(hr_json_span(bad[i], strlen(bad[i]), "", &s, &e) == -1,
                      "accepted %s", bad[i]);
    ck_assert_int_eq(hr_json_span("[1]", 3, NULL, &s, &e), -1);
    ck_assert_int_eq(hr_json_span(NULL, 0, "", &s, &e), -1);
    /* nesting: 512 levels are fine, 600 are refused (and do not crash) */
    memset(deep, '[', 512);
    memset(deep + 512, ']', 512);
    ck_assert_int_eq(hr_json_span(deep, 1024, "", &s, &e), 0);
    memset(deep, '[', 600);
    memset(deep + 600, ']', 600);
    ck_assert_int_eq(hr_json_span(deep, 1200, "", &s, &e), -1);
    /* a NUL byte ends nothing: the length does */
    ck_assert_int_eq(hr_json_span("[1]\0", 4, "", &s, &e), -1);
}
END_TEST

START_TEST(splice_changes_only_the_span)
{
    const unsigned char b[] = "0123456789";
    unsigned char *out = (unsigned char *)"x";
    size_t n = 99;

    ck_assert_int_eq(hr_body_splice(b, 10, 3, 5, "abcdef", 6, &out, &n), 0);
    ck_assert_uint_eq(n, 14);
    ck_assert_str_eq((char *)out, "012abcdef56789");
    ck_assert_int_eq(out[n], '\0');
    hr_free(out);
    ck_assert_int_eq(hr_body_splice(b, 10, 0, 10, NULL, 0, &out, &n), 0);
    ck_assert_uint_eq(n, 0);
    ck_assert_str_eq((char *)out, "");
    hr_free(out);
    ck_assert_int_eq(hr_body_splice(b, 10, 10, 10, "!", 1, &out, &n), 0);
    ck_assert_str_eq((char *)out, "0123456789!");
    hr_free(out);
    ck_assert_int_eq(hr_body_splice(b, 10, 5, 4, "", 0, &out, &n), -1);
    ck_assert_ptr_null(out);
    ck_assert_uint_eq(n, 0);
    ck_assert_int_eq(hr_body_splice(b, 10, 5, 11, "", 0, &out, &n), -1);
    ck_assert_int_eq(hr_body_splice(b, 10, 5, 5, NULL, 3, &out, &n), -1);
}
END_TEST

/* out equals b outside [start, end) of b and [start, out_end) of out. */
static void assert_only_span_changed(const unsigned char *b, size_t len,
                                     size_t start, size_t end,
                                     const unsigned char *out, size_t out_len)
{
    size_t tail = len - end;

    ck_assert_uint_ge(out_len, start + tail);
    ck_assert(memcmp(out, b, start) == 0);
    ck_assert(memcmp(out + out_len - tail, b + end, tail) == 0);
}

START_TEST(set_string_escapes_the_value_and_keeps_every_other_byte)
{
    size_t len, start, end, n;
    char *body = stripe_body(&len);
    const char *value = "a\"b\\c\n\t\x01\x7f caf\xc3\xa9 /";
    unsigned char *out;
    cJSON *j;

    ck_assert_int_eq(hr_json_span(body, len, "/type", &start, &end), 0);
    ck_assert_int_eq(hr_body_set_string(u(body), len, "/type", value, &out, &n),
                     0);
    assert_only_span_changed(u(body), len, start, end, out, n);
    ck_assert(strstr((char *)out,
                     "\"a\\\"b\\\\c\\n\\t\\u0001\x7f caf\xc3\xa9 /\"") != NULL);
    j = parse_exact(out, n);
    ck_assert_ptr_nonnull(j);
    ck_assert_str_eq(cJSON_GetObjectItem(j, "type")->valuestring, value);
    cJSON_Delete(j);
    hr_free(out);
    /* any value can become a string, even an object */
    ck_assert_int_eq(hr_body_set_string(u(body), len, "/data", "x", &out, &n),
                     0);
    j = parse_exact(out, n);
    ck_assert_str_eq(cJSON_GetObjectItem(j, "data")->valuestring, "x");
    cJSON_Delete(j);
    hr_free(out);
    ck_assert_int_eq(hr_body_set_string(u(body), len, "/nope", "x", &out, &n),
                     -1);
    ck_assert_int_eq(hr_body_set_string(u("{}"), 2, "", NULL, &out, &n), -1);
    hr_free(body);
}
END_TEST

static void assert_inserted(const char *body, const char *pointer,
                            const char *want)
{
    unsigned char *out;
    size_t n;

    ck_assert_int_eq(hr_body_insert_member(u(body), strlen(body), pointer,
                                           "canary", "c-1\"", &out, &n),
                     0);
    ck_assert_str_eq((char *)out, want);
    ck_assert_uint_eq(n, strlen(want));
    hr_free(out);
}

START_TEST(insert_member_puts_the_member_first_and_keeps_the_rest)
{
    unsigned char *out;
    size_t n;

    assert_inserted("{}", "", "{\"canary\":\"c-1\\\"\"}");
    assert_inserted(" { \n } ", "", " {\"canary\":\"c-1\\\"\" \n } ");
    assert_inserted("{\"a\":1}", "", "{\"canary\":\"c-1\\\"\",\"a\":1}");
    assert_inserted("{\n  \"a\": {\"b\": 2}\n}", "/a",
                    "{\n  \"a\": {\"canary\":\"c-1\\\"\",\"b\": 2}\n}");
    assert_inserted("[{}]", "/0", "[{\"canary\":\"c-1\\\"\"}]");
    ck_assert_int_eq(hr_body_insert_member(u("[1]"), 3, "", "k", "v", &out, &n),
                     -1);
    ck_assert_int_eq(
        hr_body_insert_member(u("{\"a\":\"{\"}"), 9, "/a", "k", "v", &out, &n),
        -1);
    ck_assert_ptr_null(out);
}
END_TEST

/* The body after shifting the value at pointer, or "(failed)". */
static const char *shifted(const char *body, const char *pointer,
                           int64_t delta_s, enum hr_time_format fmt)
{
    static char buf[256];
    unsigned char *out;
    size_t n;

    if (hr_body_shift_time(u(body), strlen(body), pointer, delta_s, fmt, &out,
                           &n))
        return "(failed)";
    ck_assert_uint_eq(n, strlen((char *)out));
    snprintf(buf, sizeof(buf), "%s", (char *)out);
    hr_free(out);
    return buf;
}

START_TEST(shift_time_moves_unix_seconds_and_milliseconds)
{
    ck_assert_str_eq(shifted("{\"t\": 1750000000 }", "/t", 60, HR_TIME_UNIX_S),
                     "{\"t\": 1750000060 }");
    ck_assert_str_eq(
        shifted("{\"t\":1750000000}", "/t", -86400, HR_TIME_UNIX_S),
        "{\"t\":1749913600}");
    ck_assert_str_eq(shifted("[5]", "/0", -10, HR_TIME_UNIX_S), "[-5]");
    ck_assert_str_eq(shifted("{\"t\":\"1750000000\"}", "/t", 1, HR_TIME_UNIX_S),
                     "{\"t\":\"1750000001\"}");
    ck_assert_str_eq(
        shifted("{\"ms\":1750000000123}", "/ms", -3, HR_TIME_UNIX_MS),
        "{\"ms\":1749999997123}");
    ck_assert_str_eq(shifted("{\"t\":1.5}", "/t", 1, HR_TIME_UNIX_S),
                     "(failed)");
    ck_assert_str_eq(shifted("{\"t\":1e9}", "/t", 1, HR_TIME_UNIX_S),
                     "(failed)");
    ck_assert_str_eq(shifted("{\"t\":\"soon\"}", "/t", 1, HR_TIME_UNIX_S),
                     "(failed)");
    ck_assert_str_eq(shifted("{\"t\":1}", "/t", 1, HR_TIME_NONE), "(failed)");
    ck_assert_str_eq(shifted("{\"t\":1}", "/x", 1, HR_TIME_UNIX_S), "(failed)");
    ck_assert_str_eq(
        shifted("{\"t\":1}", "/t", INT64_MAX / 100, HR_TIME_UNIX_MS),
        "(failed)");
}
END_TEST

START_TEST(shift_time_rewrites_iso8601_in_its_own_style)
{
    ck_assert_str_eq(shifted("{\"at\":\"2025-06-15T15:06:40Z\"}", "/at", 60,
                             HR_TIME_ISO8601),
                     "{\"at\":\"2025-06-15T15:07:40Z\"}");
    ck_assert_str_eq(shifted("{\"at\":\"2025-12-31T23:59:59.123456Z\"}", "/at",
                             1, HR_TIME_ISO8601),
                     "{\"at\":\"2026-01-01T00:00:00.123456Z\"}");
    ck_assert_str_eq(shifted("{\"at\":\"2024-03-01T00:00:00+02:00\"}", "/at",
                             -1, HR_TIME_ISO8601),
                     "{\"at\":\"2024-02-29T23:59:59+02:00\"}");
    ck_assert_str_eq(shifted("[\"2025-01-01 10:00:00,5-0530\"]", "/0", -3600,
                             HR_TIME_ISO8601),
                     "[\"2025-01-01 09:00:00,5-0530\"]");
    ck_assert_str_eq(shifted("[\"2025-01-01t10:00:00+01\"]", "/0", 86400 * 365,
                             HR_TIME_ISO8601),
                     "[\"2026-01-01t10:00:00+01\"]");
    ck_assert_str_eq(
        shifted("[\"2025-06-15T15:06:40\"]", "/0", -40, HR_TIME_ISO8601),
        "[\"2025-06-15T15:06:00\"]");
    ck_assert_str_eq(
        shifted("[\"2025-02-29T00:00:00Z\"]", "/0", 1, HR_TIME_ISO8601),
        "(failed)");
    ck_assert_str_eq(
        shifted("[\"2025-06-15T15:06Z\"]", "/0", 1, HR_TIME_ISO8601),
        "(failed)");
    ck_assert_str_eq(
        shifted("[\"2025-06-15T15:06:40Q\"]", "/0", 1, HR_TIME_ISO8601),
        "(failed)");
    ck_assert_str_eq(
        shifted("[\"9999-12-31T23:59:59Z\"]", "/0", 1, HR_TIME_ISO8601),
        "(failed)");
    ck_assert_str_eq(shifted("[1750000000]", "/0", 1, HR_TIME_ISO8601),
                     "(failed)");
}
END_TEST

/* 1 when cJSON and our own tokenizer both refuse the text. */
static int unparseable(const unsigned char *p, size_t len)
{
    cJSON *j = parse_exact(p, len);
    size_t s, e;

    cJSON_Delete(j);
    return j == NULL && hr_json_span((const char *)p, len, "", &s, &e) == -1;
}

static void assert_malformed(const char *body, size_t len)
{
    unsigned char *out;
    size_t n;

    ck_assert_int_eq(hr_mutate_malformed(u(body), len, &out, &n), 0);
    ck_assert_msg(unparseable(out, n), "still JSON: %s", (char *)out);
    ck_assert(hr_utf8_valid_no_nul(out, n));
    ck_assert_int_eq(out[n], '\0');
    if (out[0] != '[' || body[0] == '[')
        ck_assert(n < len && memcmp(out, body, n) == 0); /* a prefix */
    hr_free(out);
}

START_TEST(malformed_bodies_are_refused_by_every_parser)
{
    static const char *const bodies[] = {
        "{}",
        "[]",
        "[1,2,3]",
        "42",
        "true",
        "\"\"",
        "{\"k\":\"\"}",
        "{\"emoji\":\"\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\"}",
        "{\"esc\":\"\\u00e9\\u00e9\\u00e9\\u00e9\\n\\n\"}",
        "[\"\\\\\\\\\\\\\\\\\"]"};
    size_t i, len;
    char *body;

    for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++)
        assert_malformed(bodies[i], strlen(bodies[i]));
    body = stripe_body(&len);
    assert_malformed(body, len);
    hr_free(body);
    body = github_body(&len);
    assert_malformed(body, len);
    hr_free(body);
    ck_assert_int_eq(
        hr_mutate_malformed(u("{"), 1, (unsigned char **)&body, &len), -1);
}
END_TEST

START_TEST(unknown_type_changes_only_the_type)
{
    size_t len, n, start, end;
    char *body = stripe_body(&len);
    unsigned char *out;
    cJSON *a, *b;

    ck_assert_int_eq(hr_json_span(body, len, "/type", &start, &end), 0);
    ck_assert_int_eq(hr_mutate_unknown_type(u(body), len, "/type", &out, &n),
                     0);
    assert_only_span_changed(u(body), len, start, end, out, n);
    a = parse_exact(u(body), len);
    b = parse_exact(out, n);
    ck_assert_str_eq(cJSON_GetObjectItem(b, "type")->valuestring,
                     HR_MUTATE_UNKNOWN_TYPE);
    cJSON_ReplaceItemInObject(b, "type",
                              cJSON_CreateString("customer.created"));
    ck_assert(cJSON_Compare(a, b, 1));
    cJSON_Delete(a);
    cJSON_Delete(b);
    hr_free(out);
    ck_assert_int_eq(hr_mutate_unknown_type(u(body), len, "/kind", &out, &n),
                     -1);
    hr_free(body);
}
END_TEST

START_TEST(oversize_pads_to_the_exact_size_and_stays_json)
{
    size_t len, n;
    char *body = stripe_body(&len);
    unsigned char *out;

    ck_assert_int_eq(hr_mutate_oversize(u(body), len, 1 << 20, &out, &n), 0);
    ck_assert_uint_eq(n, 1 << 20);
    ck_assert_int_eq(out[n], '\0');
    ck_assert(memcmp(out, body, len - 1) == 0);
    ck_assert_int_eq(out[n - 1], body[len - 1]);
    assert_same_json(u(body), len, out, n, 1);
    hr_free(out);
    /* a body already that large comes back as it is */
    ck_assert_int_eq(hr_mutate_oversize(u(body), len, 10, &out, &n), 0);
    ck_assert_uint_eq(n, len);
    ck_assert(memcmp(out, body, len) == 0);
    hr_free(out);
    hr_free(body);
    ck_assert_int_eq(hr_mutate_oversize(u("[1] \n"), 5, 9, &out, &n), 0);
    ck_assert_str_eq((char *)out, "[1    ] \n");
    hr_free(out);
    ck_assert_int_eq(hr_mutate_oversize(u("7"), 1, 4, &out, &n), 0);
    ck_assert_str_eq((char *)out, "7   ");
    hr_free(out);
    ck_assert_int_eq(hr_mutate_oversize(u("{x}"), 3, 9, &out, &n), -1);
}
END_TEST

START_TEST(crc32_matches_the_standard_check_value)
{
    ck_assert_uint_eq(hr_crc32(u("123456789"), 9), 0xcbf43926u);
    ck_assert_uint_eq(hr_crc32(u(""), 0), 0);
}
END_TEST

/* Runs argv (which reads path) and checks its stdout is exactly want. */
static void assert_decodes(char *const argv[], const char *want,
                           size_t want_len)
{
    struct t_result r;

    ck_assert_int_eq(t_run(&r, argv, NULL, NULL, 60000), 0);
    ck_assert_msg(r.exit_code == 0, "%s failed: %s", argv[0], r.err);
    ck_assert_uint_eq(strlen(r.out), want_len);
    ck_assert(memcmp(r.out, want, want_len) == 0);
    t_result_free(&r);
}

static void assert_gunzips(const char *body, size_t len)
{
    char *dir = t_tmpdir(), *path = hr_path_join(dir, "body.gz");
    char *gzip_argv[] = {"gzip", "-dc", path, NULL};
    char *node_argv[] = {"node", "-e",
                         "process.stdout.write(require('zlib').gunzipSync("
                         "require('fs').readFileSync(process.argv[1])))",
                         path, NULL};
    unsigned char *gz;
    size_t n;

    ck_assert_int_eq(hr_mutate_gzip(u(body), len, &gz, &n), 0);
    ck_assert_uint_eq(
        n, 18 + 5 * (len / 65535 + (len % 65535 != 0) + (len == 0)) + len);
    ck_assert_int_eq(t_write_file(path, (char *)gz, n), 0);
    assert_decodes(gzip_argv, body, len);
    assert_decodes(node_argv, body, len);
    hr_free(gz);
    unlink(path);
    rmdir(dir);
    free(dir);
    hr_free(path);
}

START_TEST(gzip_bodies_decode_with_gzip_and_node)
{
    size_t len, i;
    char *body = stripe_body(&len), *big;

    assert_gunzips(body, len);
    assert_gunzips("", 0);
    big = hr_malloc(3 * 65535 + 1);
    for (i = 0; i < 3 * 65535; i++)
        big[i] = (char)('a' + (i * 7 + i / 13) % 26);
    assert_gunzips(big, 65535);     /* one full block */
    assert_gunzips(big, 65536);     /* one byte over */
    assert_gunzips(big, 3 * 65535); /* three full blocks */
    hr_free(big);
    hr_free(body);
}
END_TEST

static int all_ascii(const unsigned char *p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (p[i] >= 0x80)
            return 0;
    return 1;
}

static void assert_reformatted(const char *body, size_t len)
{
    unsigned char *out;
    size_t n;

    ck_assert_int_eq(hr_mutate_reformat(u(body), len, &out, &n), 0);
    ck_assert(n != len || memcmp(out, body, n) != 0);
    ck_assert(all_ascii(out, n));
    assert_same_json(u(body), len, out, n, 1);
    hr_free(out);
}

START_TEST(reformat_keeps_the_value_and_changes_the_bytes)
{
    static const char *const bodies[] = {
        "{}",
        "[]",
        "1",
        "\"caf\xc3\xa9\"",
        "{\"a\":[1,2,{\"b\":null}]}",
        "{\"na\xc3\xafve \xe4\xb8\xad\":\"\xf0\x9f\x98\x80 \\u00e9 \\\" ,:\"}"};
    const char *body = "{\"k\":\"\xc3\xa9\xf0\x9f\x98\x80\",\"l\":[1,2]}";
    size_t i, len;
    unsigned char *out;
    char *stripe;

    for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++)
        assert_reformatted(bodies[i], strlen(bodies[i]));
    stripe = stripe_body(&len);
    assert_reformatted(stripe, len);
    hr_free(stripe);
    ck_assert_int_eq(hr_mutate_reformat(u(body), strlen(body), &out, &len), 0);
    ck_assert_str_eq((char *)out,
                     "{\"k\": \"\\u00e9\\ud83d\\ude00\",\n\"l\": [1,\n2]}");
    hr_free(out);
    ck_assert_int_eq(hr_mutate_reformat(u("{}"), 2, &out, &len), 0);
    ck_assert_str_eq((char *)out, "{}\n");
    hr_free(out);
    /* invalid UTF-8 in a string (a lone continuation byte, an overlong) */
    ck_assert_int_eq(hr_mutate_reformat(u("[\"\x80\"]"), 5, &out, &len), -1);
    ck_assert_int_eq(hr_mutate_reformat(u("[\"\xc0\xaf\"]"), 6, &out, &len),
                     -1);
    ck_assert_int_eq(hr_mutate_reformat(u("[\"\xed\xa0\x80\"]"), 7, &out, &len),
                     -1);
}
END_TEST

START_TEST(every_edit_fails_cleanly_when_memory_runs_out)
{
    const char *body = "{\"type\":\"a\",\"t\":\"2025-06-15T15:06:40Z\","
                       "\"s\":\"\xc3\xa9\"}";
    size_t len = strlen(body), n;
    unsigned char *out;
    long k;
    int rc, f;

    for (f = 0; f < 6; f++) {
        for (k = 0, rc = -1; k < 200 && rc; k++) {
            hr_alloc_fail_after(k);
            switch (f) {
            case 0:
                rc = hr_body_set_string(u(body), len, "/type", "b", &out, &n);
                break;
            case 1:
                rc =
                    hr_body_insert_member(u(body), len, "", "k", "v", &out, &n);
                break;
            case 2:
                rc = hr_body_shift_time(u(body), len, "/t", 5, HR_TIME_ISO8601,
                                        &out, &n);
                break;
            case 3:
                rc = hr_mutate_reformat(u(body), len, &out, &n);
                break;
            case 4:
                rc = hr_mutate_gzip(u(body), len, &out, &n);
                break;
            default:
                rc = hr_mutate_oversize(u(body), len, 100, &out, &n);
            }
            hr_alloc_fail_after(-1);
            if (rc)
                ck_assert_ptr_null(out);
        }
        ck_assert_int_eq(rc, 0);
        ck_assert_int_gt(k, 1); /* at least one failure was survived */
        hr_free(out);
    }
}
END_TEST

/* ---- random bodies ---- */

static unsigned long rng_state;

static unsigned rnd(unsigned n)
{
    rng_state = rng_state * 6364136223846793005UL + 1442695040888963407UL;
    return (unsigned)((rng_state >> 33) % n);
}

static void gen_string(struct hr_buf *b)
{
    static const char *const pieces[] = {"a",
                                         "type",
                                         "\\\"",
                                         "\\\\",
                                         "\\n",
                                         "\\u00e9",
                                         "\\ud83d\\ude00",
                                         "\xc3\xa9",
                                         "\xe4\xb8\xad",
                                         "\xf0\x9f\x98\x80",
                                         " ",
                                         ",",
                                         ":",
                                         "}",
                                         "\\/",
                                         "~",
                                         "/"};
    unsigned i, n = rnd(5);

    hr_buf_puts(b, "\"");
    for (i = 0; i < n; i++)
        hr_buf_puts(b, pieces[rnd(sizeof(pieces) / sizeof(pieces[0]))]);
    hr_buf_puts(b, "\"");
}

static void gen_value(struct hr_buf *b, int depth)
{
    static const char *const scalars[] = {"0",     "-1",   "12.5e-3",   "true",
                                          "false", "null", "1750000000"};
    unsigned i, n, kind = depth > 4 ? rnd(2) : rnd(4);

    if (kind == 0) {
        hr_buf_puts(b, scalars[rnd(sizeof(scalars) / sizeof(scalars[0]))]);
    } else if (kind == 1) {
        gen_string(b);
    } else {
        hr_buf_puts(b, kind == 2 ? "{" : "[");
        for (i = 0, n = rnd(4); i < n; i++) {
            hr_buf_puts(b, i ? (rnd(2) ? "," : " ,\n ") : rnd(2) ? "" : " ");
            if (kind == 2) {
                gen_string(b);
                hr_buf_puts(b, rnd(2) ? ":" : " : ");
            }
            gen_value(b, depth + 1);
        }
        hr_buf_puts(b, kind == 2 ? "}" : "]");
    }
}

/* A random pointer: mostly names that occur in generated bodies. */
static void gen_pointer(char *p, size_t cap)
{
    static const char *const tokens[] = {
        "a", "type", "0", "1", "~1", "~0", "", "\xc3\xa9", "\xf0\x9f\x98\x80",
        "-", "01",   "~"};
    unsigned i, n = rnd(4);

    p[0] = '\0';
    for (i = 0; i < n; i++) {
        strncat(p, "/", cap - strlen(p) - 1);
        strncat(p, tokens[rnd(sizeof(tokens) / sizeof(tokens[0]))],
                cap - strlen(p) - 1);
    }
}

/* 1 when our tokenizer takes the text as one JSON value. */
static int ours_json(const unsigned char *p, size_t len)
{
    size_t s, e;

    return hr_json_span((const char *)p, len, "", &s, &e) == 0;
}

/* Runs every edit on one body; checks what each promises when it works. */
static void exercise(const unsigned char *b, size_t len)
{
    cJSON *j = parse_exact(b, len);
    int is_json = ours_json(b, len), cjson_ok = j != NULL;
    char ptr[64];
    unsigned char *out;
    size_t n, s, e;

    cJSON_Delete(j);
    gen_pointer(ptr, sizeof(ptr));
    if (hr_json_span((const char *)b, len, ptr, &s, &e) == 0)
        ck_assert(s < e && e <= len);
    if (hr_body_set_string(b, len, ptr, "x\"\xc3\xa9", &out, &n) == 0) {
        ck_assert(ours_json(out, n));
        hr_free(out);
    }
    if (hr_body_insert_member(b, len, ptr, "k", "v", &out, &n) == 0) {
        ck_assert(ours_json(out, n));
        hr_free(out);
    }
    if (hr_body_shift_time(b, len, ptr, -7, HR_TIME_UNIX_S, &out, &n) == 0)
        hr_free(out);
    ck_assert_int_eq(hr_mutate_malformed(b, len, &out, &n), is_json ? 0 : -1);
    if (out) {
        ck_assert(unparseable(out, n));
        hr_free(out);
    }
    if (hr_mutate_reformat(b, len, &out, &n) == 0) {
        ck_assert(is_json && ours_json(out, n) && all_ascii(out, n));
        if (cjson_ok)
            assert_same_json(b, len, out, n, 0);
        hr_free(out);
    }
    ck_assert_int_eq(hr_mutate_oversize(b, len, len + 3, &out, &n),
                     is_json ? 0 : -1);
    hr_free(out);
    ck_assert_int_eq(hr_mutate_gzip(b, len, &out, &n), 0);
    hr_free(out);
}

START_TEST(random_bodies_never_break_the_edits)
{
    struct hr_buf b;
    int round;

    rng_state = 20250615;
    hr_buf_init(&b, 0);
    for (round = 0; round < 3000; round++) {
        size_t pos;

        hr_buf_reset(&b);
        gen_value(&b, 0);
        ck_assert(ours_json((unsigned char *)b.data, b.len));
        exercise((unsigned char *)b.data, b.len);
        /* one random byte changed: JSON or not, nothing may crash */
        pos = rnd((unsigned)b.len);
        b.data[pos] = (char)rnd(256);
        exercise((unsigned char *)b.data, b.len);
        /* and a random prefix */
        exercise((unsigned char *)b.data, rnd((unsigned)b.len + 1));
    }
    hr_buf_free(&b);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("mutate");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, span_finds_nested_members_array_elements_and_numbers);
    tcase_add_test(tc, span_compares_keys_after_unescaping_both_sides);
    tcase_add_test(tc, span_rejects_text_that_is_not_one_json_value);
    tcase_add_test(tc, splice_changes_only_the_span);
    tcase_add_test(tc, set_string_escapes_the_value_and_keeps_every_other_byte);
    tcase_add_test(tc, insert_member_puts_the_member_first_and_keeps_the_rest);
    tcase_add_test(tc, shift_time_moves_unix_seconds_and_milliseconds);
    tcase_add_test(tc, shift_time_rewrites_iso8601_in_its_own_style);
    tcase_add_test(tc, malformed_bodies_are_refused_by_every_parser);
    tcase_add_test(tc, unknown_type_changes_only_the_type);
    tcase_add_test(tc, oversize_pads_to_the_exact_size_and_stays_json);
    tcase_add_test(tc, crc32_matches_the_standard_check_value);
    tcase_add_test(tc, gzip_bodies_decode_with_gzip_and_node);
    tcase_add_test(tc, reformat_keeps_the_value_and_changes_the_bytes);
    tcase_add_test(tc, every_edit_fails_cleanly_when_memory_runs_out);
    tcase_add_test(tc, random_bodies_never_break_the_edits);
    suite_add_tcase(s, tc);
    return t_run_suite(s);
}
