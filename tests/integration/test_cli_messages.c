/* SPDX-License-Identifier: MIT */
/* What lint, run, init and target say, run as processes on real files. */
#include "support.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RUN_TIMEOUT_MS 60000
#define PAYLOADS HR_SRC_DIR "/tests/data/github-payloads"

static void run_ok(struct t_result *r, char *const argv[], char *const env[])
{
    ck_assert_int_eq(t_run(r, argv, env, NULL, RUN_TIMEOUT_MS), 0);
}

START_TEST(lint_and_run_both_refuse_stale_and_rotated_on_github_whatever_p)
{
    char *dir = t_tmpdir(), cas[600], scen[600], text[1024];
    char *env[] = {"GH_SECRET=gh-secret-1", NULL};
    struct t_result r;

    snprintf(cas, sizeof(cas), "%s/gh.ndjson", dir);
    snprintf(scen, sizeof(scen), "%s/gh.json", dir);
    {
        char *argv[] = {HR_BIN, "import", "github", PAYLOADS, "-o", cas, NULL};

        run_ok(&r, argv, NULL);
        ck_assert_int_eq(r.exit_code, 0);
        t_result_free(&r);
    }
    snprintf(text, sizeof(text),
             "{\"hookreplay\": \"scenario\", \"version\": 1,\n"
             " \"cassette\": \"gh.ndjson\",\n"
             " \"targets\": {\"github\": {\"url\": \"http://127.0.0.1:9/\",\n"
             "   \"secrets_env\": \"GH_SECRET\"}},\n"
             " \"replay\": {\"pacing\": \"asap\"},\n"
             " \"faults\": [\n"
             "  {\"match\": {\"p\": 0.3}, \"action\": {\"signature\": "
             "\"stale\"}},\n"
             "  {\"match\": {\"p\": 0.2}, \"action\": {\"signature\": "
             "\"rotated\"}}]}\n");
    ck_assert_int_eq(t_write_file(scen, text, strlen(text)), 0);
    {
        char *argv[] = {HR_BIN, "lint", scen, NULL};

        run_ok(&r, argv, env);
        ck_assert_int_eq(r.exit_code, 2);
        ck_assert_msg(strstr(r.out, "gh.json:7: /faults/0/action/signature: "
                                    "\"stale\" cannot be sent to endpoint "
                                    "'github'"),
                      "%s", r.out);
        ck_assert_msg(strstr(r.out, "gh.json:8: /faults/1/action/signature: "
                                    "\"rotated\" cannot be sent"),
                      "%s", r.out);
        ck_assert_ptr_null(strstr(r.out, "matching deliveries"));
        t_result_free(&r);
    }
    {
        char *argv[] = {HR_BIN, "run", scen, NULL};

        run_ok(&r, argv, env);
        ck_assert_int_eq(r.exit_code, 2);
        ck_assert_msg(strstr(r.err, "/faults/0/action/signature: \"stale\" "
                                    "cannot be sent to endpoint 'github'"),
                      "%s", r.err);
        t_result_free(&r);
    }
    {
        char *argv[] = {HR_BIN, "run", scen, "--plan-only", NULL};

        run_ok(&r, argv, env);
        ck_assert_int_eq(r.exit_code, 2);
        ck_assert_str_eq(r.out, "");
        t_result_free(&r);
    }
    {
        /* the same cassette piped on stdin is refused alike */
        char *argv[] = {HR_BIN, "run", scen, NULL}, *data;
        FILE *f = fopen(cas, "rb");
        long n;

        ck_assert_ptr_nonnull(f);
        fseek(f, 0, SEEK_END);
        n = ftell(f);
        rewind(f);
        data = malloc((size_t)n + 1);
        ck_assert_ptr_nonnull(data);
        ck_assert_int_eq(fread(data, 1, (size_t)n, f), n);
        data[n] = '\0';
        fclose(f);
        {
            char *p = strstr(text, "\"gh.ndjson\"");

            ck_assert_ptr_nonnull(p);
            memcpy(p, "\"-\",        ", 12);
        }
        ck_assert_int_eq(t_write_file(scen, text, strlen(text)), 0);
        ck_assert_int_eq(t_run(&r, argv, env, data, RUN_TIMEOUT_MS), 0);
        ck_assert_int_eq(r.exit_code, 2);
        ck_assert_msg(strstr(r.err, "\"stale\" cannot be sent to endpoint"),
                      "%s", r.err);
        t_result_free(&r);
        free(data);
    }
    free(dir);
}
END_TEST

START_TEST(init_says_it_kept_a_cassette_and_refuses_one_that_is_not_valid)
{
    char *dir = t_tmpdir(), cas[600], s1[600], s2[600];
    struct t_result r;

    snprintf(cas, sizeof(cas), "%s/stripe-lifecycle.ndjson", dir);
    snprintf(s1, sizeof(s1), "%s/a.json", dir);
    snprintf(s2, sizeof(s2), "%s/b.json", dir);
    {
        char *argv[] = {HR_BIN, "init", s1, NULL};

        run_ok(&r, argv, NULL);
        ck_assert_int_eq(r.exit_code, 0);
        ck_assert_msg(strstr(r.out, "wrote "), "%s", r.out);
        ck_assert_ptr_null(strstr(r.out, "kept existing"));
        t_result_free(&r);
    }
    {
        char *argv[] = {HR_BIN, "init", s2, NULL};

        run_ok(&r, argv, NULL);
        ck_assert_int_eq(r.exit_code, 0);
        ck_assert_msg(strstr(r.out, "kept existing "), "%s", r.out);
        ck_assert_ptr_null(strstr(r.out, "wrote " HR_SRC_DIR));
        t_result_free(&r);
    }
    ck_assert_int_eq(t_write_file(cas, "junk\n", 5), 0);
    snprintf(s2, sizeof(s2), "%s/c.json", dir);
    {
        char *argv[] = {HR_BIN, "init", s2, NULL};

        run_ok(&r, argv, NULL);
        ck_assert_int_eq(r.exit_code, 2);
        ck_assert_msg(strstr(r.err, "is not a valid cassette"), "%s", r.err);
        ck_assert_msg(strstr(r.err, "--force"), "%s", r.err);
        ck_assert_ptr_null(strstr(r.out, "wrote"));
        t_result_free(&r);
    }
    {
        char *argv[] = {HR_BIN, "init", "--force", s2, NULL};

        run_ok(&r, argv, NULL);
        ck_assert_int_eq(r.exit_code, 0);
        ck_assert_msg(strstr(r.out, "replaced "), "%s", r.out);
        t_result_free(&r);
    }
    {
        char *argv[] = {HR_BIN, "lint", s2, NULL};

        run_ok(&r, argv, NULL);
        ck_assert_msg(r.exit_code == 0, "%s", r.out);
        t_result_free(&r);
    }
    free(dir);
}
END_TEST

START_TEST(target_without_a_secret_says_how_to_give_one_once)
{
    char *argv[] = {HR_BIN,      "target", "--mode", "correct",
                    "--profile", "stripe", NULL};
    struct t_result r;

    unsetenv("HOOKREPLAY_SECRET");
    run_ok(&r, argv, NULL);
    ck_assert_int_eq(r.exit_code, 2);
    ck_assert_ptr_null(strstr(r.err, "target: target:"));
    ck_assert_msg(strstr(r.err, "HOOKREPLAY_SECRET"), "%s", r.err);
    ck_assert_msg(strstr(r.err, "--secret-file"), "%s", r.err);
    t_result_free(&r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cli_messages");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 300);
    tcase_add_test(
        tc, lint_and_run_both_refuse_stale_and_rotated_on_github_whatever_p);
    tcase_add_test(
        tc, init_says_it_kept_a_cassette_and_refuses_one_that_is_not_valid);
    tcase_add_test(tc, target_without_a_secret_says_how_to_give_one_once);
    suite_add_tcase(s, tc);
    return t_run_suite(s);
}
