/* SPDX-License-Identifier: MIT */
/* The cassette reader and writer: exact bytes, errors, streaming. */
#include "cassette.h"
#include "support.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HEADER                                                                 \
    "{\"hookreplay\":\"cassette\",\"version\":1,\"endpoints\":"                \
    "{\"gh\":{\"profile\":\"github\"}},\"source\":\"test\"}\n"

/* A valid webhook line with seq n; extra is spliced in before the '}'. */
static char *webhook_line(int seq, const char *extra)
{
    static char buf[2048];

    snprintf(buf, sizeof(buf),
             "{\"seq\":%d,\"at_ms\":%d,\"kind\":\"webhook\","
             "\"endpoint\":\"gh\",\"request\":{\"method\":\"POST\","
             "\"path\":\"/h\",\"body\":\"{}\"}%s}\n",
             seq, seq * 10, extra ? extra : "");
    return buf;
}

/* Reads every interaction of text; returns the count, or -1 with err. */
static int read_all(const char *text, struct hr_err *err)
{
    struct hr_cassette_reader *r;
    struct hr_interaction it;
    int n = 0, rc;

    r = hr_cassette_open_mem("t.ndjson", text, strlen(text), err);
    if (!r)
        return -1;
    hr_interaction_init(&it);
    while ((rc = hr_cassette_next(r, &it, err)) == 1)
        n++;
    hr_interaction_clear(&it);
    hr_cassette_close(r);
    return rc < 0 ? -1 : n;
}

/* Column (from 1) of the first occurrence of needle in line. */
static int col_of(const char *line, const char *needle)
{
    const char *at = strstr(line, needle);

    ck_assert_ptr_nonnull(at);
    return (int)(at - line) + 1;
}

static void expect_error(const char *text, const char *prefix,
                         const char *needle)
{
    struct hr_err err = {0, ""};

    ck_assert_int_eq(read_all(text, &err), -1);
    ck_assert_int_eq(err.code, HR_EXIT_INPUT);
    ck_assert_msg(strncmp(err.msg, prefix, strlen(prefix)) == 0,
                  "expected '%s...', got '%s'", prefix, err.msg);
    ck_assert_msg(strstr(err.msg, needle), "expected '%s' in '%s'", needle,
                  err.msg);
}

static void set_body(struct hr_message *m, const void *p, size_t n)
{
    m->body = hr_malloc(n + 1);
    memcpy(m->body, p, n);
    m->body[n] = '\0';
    m->body_len = n;
}

static void make_interaction(struct hr_interaction *it, int seq,
                             const void *body, size_t n)
{
    hr_interaction_init(it);
    it->seq = seq;
    it->at_ms = seq * 100;
    it->kind = HR_KIND_WEBHOOK;
    it->endpoint = hr_strdup("gh");
    it->has_event = 1;
    it->event.id = hr_strdup("evt_1");
    it->event.type = hr_strdup("issues.opened");
    it->delivery = hr_strdup("d-1");
    it->request.method = hr_strdup("POST");
    it->request.path = hr_strdup("/webhooks/github");
    it->request.query = hr_strdup("a=1");
    hr_message_add_header(&it->request, "Content-Type", "application/json");
    set_body(&it->request, body, n);
    it->has_response = 1;
    it->response.status = 200;
    it->response.ms = 41;
    set_body(&it->response, body, n);
}

/* Writes the header and interactions into a malloc'd string. */
static char *write_all(const struct hr_interaction *its, size_t n)
{
    struct hr_cassette_header h = {0};
    struct hr_endpoint_decl d = {"gh", "github"};
    char *out = NULL;
    size_t len = 0, i;
    FILE *f = open_memstream(&out, &len);

    h.version = 1;
    h.endpoints = &d;
    h.n_endpoints = 1;
    h.source = "test";
    ck_assert_int_eq(hr_cassette_write_header(f, &h), 0);
    for (i = 0; i < n; i++)
        ck_assert_int_eq(hr_cassette_write(f, &its[i]), 0);
    fclose(f);
    return out;
}

/* Reads text back into its[]; returns the count. */
static size_t read_into(const char *text, struct hr_interaction *its,
                        size_t max)
{
    struct hr_err err = {0, ""};
    struct hr_cassette_reader *r;
    size_t n = 0;
    int rc;

    r = hr_cassette_open_mem("rt", text, strlen(text), &err);
    ck_assert_msg(r != NULL, "%s", err.msg);
    while (n < max) {
        hr_interaction_init(&its[n]);
        rc = hr_cassette_next(r, &its[n], &err);
        ck_assert_msg(rc >= 0, "%s", err.msg);
        if (rc == 0)
            break;
        n++;
    }
    hr_cassette_close(r);
    return n;
}

START_TEST(cassette_round_trip_keeps_exact_body_bytes)
{
#define CASE(s, key)                                                           \
    {                                                                          \
        s, sizeof(s) - 1, key                                                  \
    }
    static const struct {
        const char *bytes;
        size_t n;
        const char *key;
    } cases[] = {
        CASE("{\r\n\t\"a\": \"b\\\"c\"\r\n}", "\"body\""),
        CASE("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "\"body\""),
        CASE("a\0b\0", "\"body_b64\""),
        CASE("\xff\xfe\x80 latin\xe9", "\"body_b64\""),
        CASE("", "\"body\":\"\""),
        CASE("\x01\x1f\x7f", "\"body\""),
    };
#undef CASE
    enum { N = sizeof(cases) / sizeof(cases[0]) };
    struct hr_interaction in[N], out[N], again[N];
    char *text, *text2, *line;
    size_t i;

    for (i = 0; i < N; i++)
        make_interaction(&in[i], (int)i + 1, cases[i].bytes, cases[i].n);
    text = write_all(in, N);
    ck_assert_uint_eq(read_into(text, out, N), N);
    line = strchr(text, '\n') + 1;
    for (i = 0; i < N; i++) {
        char *end = strchr(line, '\n');

        *end = '\0';
        ck_assert_msg(strstr(line, cases[i].key), "case %zu: %s", i, line);
        *end = '\n';
        line = end + 1;
        ck_assert_uint_eq(out[i].request.body_len, cases[i].n);
        ck_assert(memcmp(out[i].request.body, cases[i].bytes, cases[i].n) == 0);
        ck_assert_uint_eq(out[i].response.body_len, cases[i].n);
        ck_assert(hr_interaction_equal(&in[i], &out[i]));
    }
    text2 = write_all(out, N);
    ck_assert_str_eq(text, text2);
    ck_assert_uint_eq(read_into(text2, again, N), N);
    for (i = 0; i < N; i++) {
        ck_assert(hr_interaction_equal(&out[i], &again[i]));
        hr_interaction_clear(&in[i]);
        hr_interaction_clear(&out[i]);
        hr_interaction_clear(&again[i]);
    }
    free(text);
    free(text2);
}
END_TEST

START_TEST(cassette_writer_reproduces_the_format_example_byte_for_byte)
{
    static const char text[] =
        "{\"hookreplay\":\"cassette\",\"version\":1,\"endpoints\":"
        "{\"stripe\":{\"profile\":\"stripe\"},\"gh\":{\"profile\":\"github\"}},"
        "\"recorded_at\":\"2026-11-30T10:00:00Z\","
        "\"source\":\"import stripe-events\"}\n"
        "{\"seq\":1,\"at_ms\":0,\"kind\":\"webhook\",\"endpoint\":\"stripe\","
        "\"event\":{\"id\":\"evt_1\",\"type\":\"customer.created\","
        "\"object\":\"cus_1\",\"created\":1764496800},"
        "\"attempt\":1,\"delivery\":\"d_1\","
        "\"request\":{\"method\":\"POST\",\"path\":\"/webhooks/stripe\","
        "\"query\":\"\",\"headers\":[[\"Content-Type\",\"application/json\"]],"
        "\"body\":\"{\\n  \\\"id\\\": \\\"evt_1\\\" }\"},"
        "\"response\":{\"status\":200,\"ms\":41,\"headers\":[],\"body\":\"\"},"
        "\"redacted\":[\"/data/object/email\"]}\n"
        "{\"seq\":2,\"at_ms\":180,\"kind\":\"api\",\"endpoint\":\"stripe\","
        "\"request\":{\"method\":\"GET\",\"path\":\"/v1/customers/cus_1\","
        "\"query\":\"\",\"headers\":[[\"Stripe-Version\",\"2024-06-20\"]],"
        "\"body\":\"\"},"
        "\"response\":{\"status\":200,\"ms\":35,\"headers\":[],"
        "\"body\":\"{}\"}}\n";
    struct hr_err err = {0, ""};
    struct hr_cassette_reader *r;
    struct hr_interaction it;
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);

    r = hr_cassette_open_mem("example", text, strlen(text), &err);
    ck_assert_msg(r != NULL, "%s", err.msg);
    ck_assert_uint_eq(hr_cassette_header(r)->n_endpoints, 2);
    ck_assert_int_eq(hr_cassette_write_header(f, hr_cassette_header(r)), 0);
    hr_interaction_init(&it);
    while (hr_cassette_next(r, &it, &err) == 1)
        ck_assert_int_eq(hr_cassette_write(f, &it), 0);
    hr_cassette_close(r);
    fclose(f);
    ck_assert_str_eq(out, text);
    free(out);
}
END_TEST

START_TEST(cassette_reader_keeps_duplicate_headers_in_order)
{
    char text[4096];
    struct hr_interaction it[1];

    snprintf(text, sizeof(text), "%s%s", HEADER,
             "{\"seq\":1,\"at_ms\":0,\"kind\":\"webhook\",\"endpoint\":\"gh\","
             "\"request\":{\"method\":\"POST\",\"path\":\"/h\",\"headers\":"
             "[[\"Set-Cookie\",\"a=1\"],[\"X-B\",\"2\"],"
             "[\"Set-Cookie\",\"b=2\"],[\"set-cookie\",\"c=3\"]]}}\n");
    ck_assert_uint_eq(read_into(text, it, 1), 1);
    ck_assert_uint_eq(it[0].request.n_headers, 4);
    ck_assert_str_eq(it[0].request.headers[0].value, "a=1");
    ck_assert_str_eq(it[0].request.headers[1].name, "X-B");
    ck_assert_str_eq(it[0].request.headers[2].value, "b=2");
    ck_assert_str_eq(it[0].request.headers[3].name, "set-cookie");
    ck_assert_str_eq(hr_message_header(&it[0].request, "SET-COOKIE"), "a=1");
    ck_assert_str_eq(it[0].request.query, "");
    ck_assert_int_eq(it[0].attempt, 1);
    ck_assert_int_eq(it[0].has_response, 0);
    hr_interaction_clear(&it[0]);
}
END_TEST

START_TEST(cassette_reader_reads_times_as_64_bit_integers)
{
    char text[4096];
    struct hr_interaction it[1];
    char *out;

    snprintf(text, sizeof(text), "%s%s", HEADER,
             "{\"seq\":9007199254740990,\"at_ms\":9007199254740991,"
             "\"kind\":\"webhook\",\"endpoint\":\"gh\",\"event\":{\"id\":\"e\","
             "\"type\":\"t\",\"created\":4102444800},\"request\":"
             "{\"method\":\"POST\",\"path\":\"/h\"},\"response\":"
             "{\"status\":200,\"ms\":3000000000}}\n");
    ck_assert_uint_eq(read_into(text, it, 1), 1);
    ck_assert(it[0].seq == INT64_C(9007199254740990));
    ck_assert(it[0].at_ms == INT64_C(9007199254740991));
    ck_assert(it[0].event.created == INT64_C(4102444800));
    ck_assert(it[0].response.ms == INT64_C(3000000000));
    out = write_all(it, 1);
    ck_assert_ptr_nonnull(strstr(out, "\"at_ms\":9007199254740991,"));
    ck_assert_ptr_nonnull(strstr(out, "\"created\":4102444800}"));
    free(out);
    hr_interaction_clear(&it[0]);
}
END_TEST

START_TEST(cassette_reader_rejects_times_beyond_2_53_and_fractions)
{
    static const char *bad[] = {"9007199254740992",
                                "-9007199254740992",
                                "1.5",
                                "1e3",
                                "1.0",
                                "\"5\"",
                                "123456789012345678901234567890"};
    char text[4096], line[512];
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(line, sizeof(line),
                 "{\"seq\":1,\"at_ms\":0,\"kind\":\"api\","
                 "\"endpoint\":\"gh\",\"event\":{\"id\":\"e\",\"type\":\"t\","
                 "\"created\":%s},\"request\":{}}\n",
                 bad[i]);
        snprintf(text, sizeof(text), "%s%s", HEADER, line);
        expect_error(text, "t.ndjson:2:", "/event/created: must be an");
        {
            struct hr_err err;
            char want[32];

            read_all(text, &err);
            snprintf(want, sizeof(want),
                     "t.ndjson:2:%d:", col_of(line, bad[i]));
            ck_assert_msg(strncmp(err.msg, want, strlen(want)) == 0, "%s vs %s",
                          err.msg, want);
        }
    }
}
END_TEST

START_TEST(cassette_reader_reports_a_truncated_last_line_at_its_line)
{
    char text[4096];

    snprintf(text, sizeof(text), "%s%s%s", HEADER, webhook_line(1, NULL),
             "{\"seq\":2,\"at_ms\":30,\"kind\":\"web");
    expect_error(text, "t.ndjson:3:", "cut short");
    /* A complete last line without a newline is fine. */
    snprintf(text, sizeof(text), "%s%s", HEADER, webhook_line(1, NULL));
    text[strlen(text) - 1] = '\0';
    ck_assert_int_eq(read_all(text, NULL), 1);
}
END_TEST

START_TEST(cassette_reader_reports_invalid_json_at_line_and_column)
{
    char text[4096];

    snprintf(text, sizeof(text), "%s%s%s", HEADER, webhook_line(1, NULL),
             "{\"seq\":2,\"at_ms\":x}\n");
    /* 'x' is byte 18 of line 3 */
    expect_error(text, "t.ndjson:3:18: invalid JSON", "unexpected 'x'");
    snprintf(text, sizeof(text), "%s%s", HEADER, "{\"seq\":1,}\n");
    expect_error(text, "t.ndjson:2:10: invalid JSON", "unexpected '}'");
    snprintf(text, sizeof(text), "%s%s", HEADER, "{\"seq\":1} {}\n");
    expect_error(text, "t.ndjson:2:11: ", "after the JSON object");
    /* blank lines count; cJSON may point one byte past a stray comma */
    expect_error("\n\n{\"hookreplay\":\"cassette\",\"version\":1,,}\n",
                 "t.ndjson:3:", "invalid JSON");
    expect_error("", "t.ndjson:1:1: empty file", "header");
    expect_error("[1]\n", "t.ndjson:1:1:", "cassette header");
}
END_TEST

START_TEST(cassette_reader_names_unknown_fields)
{
    char text[4096], line[2048];

    snprintf(line, sizeof(line), "%s", webhook_line(1, ",\"colour\":\"red\""));
    snprintf(text, sizeof(text), "%s%s", HEADER, line);
    expect_error(text, "t.ndjson:2:", "/colour: unknown field \"colour\"");
    {
        struct hr_err err;
        char want[32];

        read_all(text, &err);
        snprintf(want, sizeof(want), "t.ndjson:2:%d:", col_of(line, "\"red\""));
        ck_assert_msg(strncmp(err.msg, want, strlen(want)) == 0, "%s", err.msg);
    }
    snprintf(text, sizeof(text), "%s%s", HEADER,
             webhook_line(1, ",\"response\":{\"status\":200,\"bdy\":\"\"}"));
    expect_error(text, "t.ndjson:2:", "/response/bdy: unknown field");
    expect_error("{\"hookreplay\":\"cassette\",\"version\":1,\"endpoints\":"
                 "{\"a\":{\"profile\":\"p\",\"secret\":\"s\"}}}\n",
                 "t.ndjson:1:", "/endpoints/a/secret: unknown field");
    snprintf(text, sizeof(text), "%s%s", HEADER, webhook_line(1, ",\"seq\":2"));
    expect_error(text, "t.ndjson:2:", "appears twice");
}
END_TEST

START_TEST(cassette_reader_rejects_numeric_ids_naming_the_field)
{
    char text[4096], line[2048];
    struct hr_err err;
    char want[32];

    snprintf(line, sizeof(line), "%s",
             webhook_line(1, ",\"event\":{\"id\":12345,\"type\":\"t\"}"));
    snprintf(text, sizeof(text), "%s%s", HEADER, line);
    expect_error(text, "t.ndjson:2:", "/event/id: ids are strings");
    read_all(text, &err);
    snprintf(want, sizeof(want), "t.ndjson:2:%d:", col_of(line, "12345"));
    ck_assert_msg(strncmp(err.msg, want, strlen(want)) == 0, "%s", err.msg);
    snprintf(text, sizeof(text), "%s%s", HEADER,
             webhook_line(1, ",\"delivery\":7"));
    expect_error(text, "t.ndjson:2:", "/delivery: ids are strings");
}
END_TEST

START_TEST(cassette_reader_rejects_an_escaped_nul_in_a_body)
{
    char text[4096], line[2048];
    struct hr_err err;
    char want[32];

    snprintf(line, sizeof(line), "%s",
             "{\"seq\":1,\"at_ms\":0,\"kind\":\"webhook\",\"endpoint\":\"gh\","
             "\"request\":{\"method\":\"POST\",\"path\":\"/h\","
             "\"body\":\"ab\\\\u0000 is text, cd\\u0000ef\"}}\n");
    snprintf(text, sizeof(text), "%s%s", HEADER, line);
    expect_error(text, "t.ndjson:2:", "/request/body: holds an escaped NUL");
    read_all(text, &err);
    ck_assert_ptr_nonnull(strstr(err.msg, "body_b64"));
    snprintf(want, sizeof(want), "t.ndjson:2:%d:", col_of(line, "\\u0000ef"));
    ck_assert_msg(strncmp(err.msg, want, strlen(want)) == 0, "%s", err.msg);
    /* An escaped backslash followed by u0000 is plain text. */
    snprintf(text, sizeof(text), "%s%s", HEADER,
             webhook_line(1, ",\"delivery\":\"x\\\\u0000\""));
    ck_assert_int_eq(read_all(text, NULL), 1);
    snprintf(text, sizeof(text), "%s%s", HEADER,
             webhook_line(1, ",\"delivery\":\"x\\u0000\""));
    expect_error(text, "t.ndjson:2:", "only bodies may hold NUL");
}
END_TEST

START_TEST(cassette_reader_rejects_undeclared_endpoints)
{
    char text[4096], line[2048];
    struct hr_err err;
    char want[32];

    snprintf(line, sizeof(line), "%s",
             "{\"seq\":1,\"at_ms\":0,\"kind\":\"api\",\"endpoint\":\"stripe\","
             "\"request\":{}}\n");
    snprintf(text, sizeof(text), "%s%s", HEADER, line);
    expect_error(text, "t.ndjson:2:", "\"stripe\" is not declared");
    read_all(text, &err);
    snprintf(want, sizeof(want), "t.ndjson:2:%d:", col_of(line, "\"stripe\""));
    ck_assert_msg(strncmp(err.msg, want, strlen(want)) == 0, "%s", err.msg);
}
END_TEST

START_TEST(cassette_reader_checks_order_and_required_fields)
{
    char text[8192];

    snprintf(text, sizeof(text), "%s%s", HEADER, webhook_line(2, NULL));
    strcat(text, webhook_line(2, NULL));
    expect_error(text, "t.ndjson:3:", "/seq: seq 2 does not follow");
    snprintf(text, sizeof(text), "%s%s%s", HEADER, webhook_line(1, NULL),
             "{\"seq\":5,\"at_ms\":0,\"kind\":\"api\",\"endpoint\":\"gh\","
             "\"request\":{}}\n");
    expect_error(text, "t.ndjson:3:", "/at_ms: at_ms 0 is before");
    snprintf(text, sizeof(text), "%s%s", HEADER,
             "{\"seq\":1,\"at_ms\":0,\"kind\":\"webhook\",\"endpoint\":\"gh\","
             "\"request\":{\"path\":\"/h\"}}\n");
    expect_error(text, "t.ndjson:2:", "missing \"method\"");
    snprintf(text, sizeof(text), "%s%s", HEADER,
             "{\"seq\":1,\"at_ms\":0,\"kind\":\"hook\",\"endpoint\":\"gh\","
             "\"request\":{}}\n");
    expect_error(text, "t.ndjson:2:", "/kind: must be");
    snprintf(text, sizeof(text), "%s%s", HEADER,
             webhook_line(1, ",\"response\":{\"status\":200,\"body\":\"\","
                             "\"body_b64\":\"\"}"));
    expect_error(text, "t.ndjson:2:", "both body and body_b64");
    snprintf(text, sizeof(text), "%s%s", HEADER,
             webhook_line(1, ",\"response\":{\"status\":200,"
                             "\"body_b64\":\"**\"}"));
    expect_error(text, "t.ndjson:2:", "not valid base64");
    expect_error("{\"hookreplay\":\"cassette\",\"version\":2,\"endpoints\":{}}",
                 "t.ndjson:1:", "unsupported version 2");
    expect_error(
        "{\"hookreplay\":\"cassette\",\"version\":1,\"endpoints\":"
        "{\"a\":{}}}",
        "t.ndjson:1:", "/endpoints/a: missing required field \"profile\"");
    expect_error("{\"hookreplay\":\"cassette\",\"version\":1,\"endpoints\":"
                 "{\"a\":{\"profile\":\"p\"},\"a\":{\"profile\":\"q\"}}}",
                 "t.ndjson:1:", "/endpoints/a: endpoint declared twice");
}
END_TEST

START_TEST(cassette_reader_caps_the_length_of_a_line)
{
    char path[256], *dir = t_tmpdir();
    struct hr_err err = {0, ""};
    struct hr_cassette_reader *r;
    struct hr_interaction it;
    char big[300];
    FILE *f;

    snprintf(path, sizeof(path), "%s/long.ndjson", dir);
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    f = fopen(path, "w");
    fprintf(f, "%s%s", HEADER, webhook_line(1, NULL));
    fprintf(f,
            "{\"seq\":2,\"at_ms\":20,\"kind\":\"api\",\"endpoint\":\"gh\","
            "\"request\":{\"body\":\"%s\"}}\n",
            big);
    fclose(f);
    r = hr_cassette_open(path, &err);
    ck_assert_msg(r != NULL, "%s", err.msg);
    hr_cassette_set_max_line_bytes(r, 256);
    hr_interaction_init(&it);
    ck_assert_int_eq(hr_cassette_next(r, &it, &err), 1);
    ck_assert_int_eq(it.line, 2);
    ck_assert_int_eq(hr_cassette_next(r, &it, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, ":3:1: line is longer than 256"));
    ck_assert_int_eq(hr_cassette_next(r, &it, &err), -1);
    hr_cassette_close(r);
    unlink(path);
    rmdir(dir);
    free(dir);
}
END_TEST

START_TEST(cassette_reader_refuses_lines_over_64_mib)
{
    size_t n = ((size_t)64 << 20) + 16;
    char *text = malloc(strlen(HEADER) + n + 2);
    struct hr_err err = {0, ""};

    strcpy(text, HEADER);
    memset(text + strlen(HEADER), ' ', n);
    text[strlen(HEADER) + n] = 'x';
    text[strlen(HEADER) + n + 1] = '\0';
    ck_assert_int_eq(read_all(text, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "t.ndjson:2:1: line is longer"));
    free(text);
}
END_TEST

/*
 * AddressSanitizer keeps freed memory in quarantine (256 MB by default),
 * which would look like growth to the memory test; a small quarantine
 * still catches use after free. Ignored when not built with ASan.
 */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "quarantine_size_mb=4";
}

static long status_kb(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;

    while (f && fgets(line, sizeof(line), f))
        if (strncmp(line, key, strlen(key)) == 0)
            kb = atol(line + strlen(key) + 1);
    if (f)
        fclose(f);
    return kb;
}

START_TEST(cassette_reader_memory_stays_flat_over_200000_interactions)
{
    char path[256], *dir = t_tmpdir();
    struct hr_err err = {0, ""};
    struct hr_cassette_reader *r;
    struct hr_interaction it;
    char body[400];
    long before_kb, after_kb, n = 0, size;
    FILE *f;

    snprintf(path, sizeof(path), "%s/big.ndjson", dir);
    memset(body, 'z', sizeof(body) - 1);
    body[sizeof(body) - 1] = '\0';
    f = fopen(path, "w");
    fputs(HEADER, f);
    for (n = 1; n <= 200000; n++) {
        make_interaction(&it, (int)n, body, strlen(body));
        ck_assert_int_eq(hr_cassette_write(f, &it), 0);
        hr_interaction_clear(&it);
    }
    size = ftell(f);
    fclose(f);
    ck_assert_int_gt(size, 150L << 20); /* the file dwarfs the bound */
    before_kb = status_kb("VmHWM");
    r = hr_cassette_open(path, &err);
    ck_assert_msg(r != NULL, "%s", err.msg);
    hr_interaction_init(&it);
    for (n = 0; hr_cassette_next(r, &it, &err) == 1; n++)
        ck_assert_int_eq(it.seq, n + 1);
    ck_assert_int_eq(n, 200000);
    hr_interaction_clear(&it);
    hr_cassette_close(r);
    after_kb = status_kb("VmHWM");
    ck_assert_int_ge(before_kb, 0);
    ck_assert_msg(after_kb - before_kb < 16 * 1024, "grew %ld kB",
                  after_kb - before_kb);
    unlink(path);
    rmdir(dir);
    free(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cassette");
    TCase *tc = tcase_create("core");

    hr_alloc_init();
    tcase_set_timeout(tc, 100);
    tcase_add_test(tc, cassette_round_trip_keeps_exact_body_bytes);
    tcase_add_test(tc,
                   cassette_writer_reproduces_the_format_example_byte_for_byte);
    tcase_add_test(tc, cassette_reader_keeps_duplicate_headers_in_order);
    tcase_add_test(tc, cassette_reader_reads_times_as_64_bit_integers);
    tcase_add_test(tc, cassette_reader_rejects_times_beyond_2_53_and_fractions);
    tcase_add_test(tc,
                   cassette_reader_reports_a_truncated_last_line_at_its_line);
    tcase_add_test(tc, cassette_reader_reports_invalid_json_at_line_and_column);
    tcase_add_test(tc, cassette_reader_names_unknown_fields);
    tcase_add_test(tc, cassette_reader_rejects_numeric_ids_naming_the_field);
    tcase_add_test(tc, cassette_reader_rejects_an_escaped_nul_in_a_body);
    tcase_add_test(tc, cassette_reader_rejects_undeclared_endpoints);
    tcase_add_test(tc, cassette_reader_checks_order_and_required_fields);
    tcase_add_test(tc, cassette_reader_caps_the_length_of_a_line);
    tcase_add_test(tc, cassette_reader_refuses_lines_over_64_mib);
    tcase_add_test(tc,
                   cassette_reader_memory_stays_flat_over_200000_interactions);
    suite_add_tcase(s, tc);
    return t_run_suite(s);
}
