/* SPDX-License-Identifier: MIT */
/*
 * Hostile input, as found by attacking the tool: request injection
 * through a cassette's method or headers, endless JSON files, duplicate
 * keys, ids cut at an escaped NUL. Each is refused with exit 2 and a
 * place, never sent, never a crash.
 */
#include "support.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *env[] = {"HOOKREPLAY_SECRET=whsec_aG9zdGlsZQ==", NULL};

#define HEAD                                                                   \
    "{\"hookreplay\":\"cassette\",\"version\":1,\"endpoints\":"                \
    "{\"stripe\":{\"profile\":\"stripe\"}}}\n"
#define LINE(method, headers)                                                  \
    "{\"seq\":1,\"at_ms\":0,\"kind\":\"webhook\",\"endpoint\":\"stripe\","     \
    "\"event\":{\"id\":\"evt_1\",\"type\":\"customer.created\","               \
    "\"object\":\"cus_1\"},\"request\":{\"method\":\"" method "\","            \
    "\"path\":\"/x\",\"headers\":" headers ",\"body\":\"{\\\"id\\\":"          \
    "\\\"evt_1\\\",\\\"type\\\":\\\"customer.created\\\",\\\"data\\\":"        \
    "{\\\"object\\\":{\\\"id\\\":\\\"cus_1\\\"}}}\"}}\n"

/* Runs `argv` and expects exit 2 with `where` in its stderr. */
static void refused(char **argv, const char *where)
{
    struct t_result r;

    ck_assert_int_eq(t_run(&r, argv, env, NULL, 60000), 0);
    ck_assert_msg(r.exit_code == 2, "exit %d: %s", r.exit_code, r.err);
    ck_assert_msg(strstr(r.err, where) || strstr(r.out, where),
                  "no '%s' in: %s %s", where, r.out, r.err);
    t_result_free(&r);
}

static void cassette_refused(const char *text, const char *where)
{
    char *dir = t_tmpdir(), path[600];
    char *lint[] = {HR_BIN, "lint", path, NULL};
    char *run[] = {
        HR_BIN,  "run", "--cassette", path, "--target", "http://127.0.0.1:9/x",
        "--out", dir,   "--quiet",    NULL};

    snprintf(path, sizeof(path), "%s/c.ndjson", dir);
    ck_assert_int_eq(t_write_file(path, text, strlen(text)), 0);
    refused(lint, where);
    refused(run, where);
    free(dir);
}

START_TEST(a_method_with_crlf_never_reaches_the_wire)
{
    cassette_refused(
        HEAD LINE("POST /evil HTTP/1.1\\r\\nX-Inj: 1\\r\\nX:", "[]"),
        "/request/method");
    cassette_refused(HEAD LINE("", "[]"), "/request/method");
}
END_TEST

START_TEST(header_names_and_values_cannot_inject_lines)
{
    cassette_refused(HEAD LINE("POST", "[[\"X-A\",\"v\\r\\nX-I: 1\"]]"),
                     "/request/headers/0");
    cassette_refused(HEAD LINE("POST", "[[\"X-A: b\",\"v\"]]"),
                     "/request/headers/0");
}
END_TEST

START_TEST(an_endless_json_file_is_refused_not_read_forever)
{
    char *dir = t_tmpdir(), path[600];
    char *lint[] = {HR_BIN, "lint", path, NULL};

    snprintf(path, sizeof(path), "%s/zero.json", dir);
    ck_assert_int_eq(symlink("/dev/zero", path), 0);
    refused(lint, "too large");
    free(dir);
}
END_TEST

START_TEST(a_scenario_with_a_key_twice_is_refused)
{
    char *dir = t_tmpdir(), path[600];
    char *lint[] = {HR_BIN, "lint", path, NULL};
    const char *text =
        "{\"hookreplay\":\"scenario\",\"version\":1,\"cassette\":\"a\","
        "\"cassette\":\"/etc/passwd\",\"targets\":{}}";

    snprintf(path, sizeof(path), "%s/s.json", dir);
    ck_assert_int_eq(t_write_file(path, text, strlen(text)), 0);
    refused(lint, "appears twice");
    free(dir);
}
END_TEST

START_TEST(an_event_block_that_contradicts_the_body_is_not_sent)
{
    const char *text =
        HEAD "{\"seq\":1,\"at_ms\":0,\"kind\":\"webhook\",\"endpoint\":"
             "\"stripe\",\"event\":{\"id\":\"evt_OTHER\",\"type\":"
             "\"customer.created\"},\"request\":{\"method\":\"POST\","
             "\"path\":\"/x\",\"headers\":[],\"body\":\"{\\\"id\\\":"
             "\\\"evt_1\\\",\\\"type\\\":\\\"customer.created\\\"}\"}}\n";
    char *dir = t_tmpdir(), path[600];
    char *run[] = {
        HR_BIN,  "run", "--cassette", path, "--target", "http://127.0.0.1:9/x",
        "--out", dir,   "--quiet",    NULL};

    snprintf(path, sizeof(path), "%s/c.ndjson", dir);
    ck_assert_int_eq(t_write_file(path, text, strlen(text)), 0);
    refused(run, "event.id");
    free(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("hostile");
    TCase *tc = tcase_create("hostile");

    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, a_method_with_crlf_never_reaches_the_wire);
    tcase_add_test(tc, header_names_and_values_cannot_inject_lines);
    tcase_add_test(tc, an_endless_json_file_is_refused_not_read_forever);
    tcase_add_test(tc, a_scenario_with_a_key_twice_is_refused);
    tcase_add_test(tc, an_event_block_that_contradicts_the_body_is_not_sent);
    suite_add_tcase(s, tc);
    return t_run_suite(s);
}
