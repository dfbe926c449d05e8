/* SPDX-License-Identifier: MIT */
/*
 * The documented formats are the real ones: every fenced example in
 * docs/formats.md and docs/your-consumer.md lints clean, and so does what
 * `hookreplay init` writes.
 */
#include "support.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct example {
    char name[128];
    char *text;
};

/* Fenced blocks opened by "```json file=NAME" or "```ndjson file=NAME". */
static int extract(const char *md, struct example *ex, int max)
{
    const char *p = md;
    int n = 0;

    while (n < max && (p = strstr(p, "```")) != NULL) {
        const char *eol = strchr(p, '\n');
        const char *f = strstr(p, " file=");
        const char *end;

        ck_assert_ptr_nonnull(eol);
        if (!f || f > eol) {
            p = eol + 1;
            continue;
        }
        snprintf(ex[n].name, sizeof(ex[n].name), "%.*s", (int)(eol - f - 6),
                 f + 6);
        end = strstr(eol + 1, "\n```");
        ck_assert_ptr_nonnull(end);
        ex[n].text = strndup(eol + 1, (size_t)(end - eol));
        n++;
        p = end + 4;
    }
    return n;
}

static void lint_ok(const char *path)
{
    char *argv[] = {HR_BIN, "lint", (char *)path, NULL};
    struct t_result r;

    ck_assert_int_eq(t_run(&r, argv, NULL, NULL, 30000), 0);
    ck_assert_msg(r.exit_code == 0, "%s: exit %d:\n%s%s", path, r.exit_code,
                  r.out, r.err);
    t_result_free(&r);
}

/*
 * Writes every fenced example of doc into a new folder, with fixture
 * (a bundled cassette the examples name, or NULL) copied beside them,
 * and lints each: at least min of them.
 */
static void lint_examples(const char *doc, int min, const char *fixture)
{
    struct example ex[16];
    char *dir = t_tmpdir();
    char *md = NULL, path[4096];
    FILE *f = fopen(doc, "rb");
    size_t cap = 0;
    int n, i;

    ck_assert_ptr_nonnull(f);
    ck_assert(getdelim(&md, &cap, '\0', f) > 0);
    fclose(f);
    n = extract(md, ex, 16);
    ck_assert_int_ge(n, min);
    if (fixture) {
        char *text = t_slurp(fixture);
        const char *base = strrchr(fixture, '/');

        snprintf(path, sizeof(path), "%s/%s", dir, base ? base + 1 : fixture);
        ck_assert_int_eq(t_write_file(path, text, strlen(text)), 0);
        free(text);
    }
    for (i = 0; i < n; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, ex[i].name);
        ck_assert_int_eq(t_write_file(path, ex[i].text, strlen(ex[i].text)), 0);
    }
    for (i = 0; i < n; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, ex[i].name);
        lint_ok(path);
        free(ex[i].text);
    }
    free(md);
    free(dir);
}

START_TEST(every_example_in_formats_md_lints_clean)
{
    lint_examples(HR_SRC_DIR "/docs/formats.md", 3, NULL);
}
END_TEST

START_TEST(the_your_consumer_scenario_lints_clean)
{
    lint_examples(HR_SRC_DIR "/docs/your-consumer.md", 1,
                  HR_SRC_DIR "/fixtures/stripe-lifecycle.ndjson");
}
END_TEST

START_TEST(a_broken_example_is_caught)
{
    char *dir = t_tmpdir();
    char path[600];
    char *argv[] = {HR_BIN, "lint", path, NULL};
    static const char text[] =
        "{\"hookreplay\": \"scenario\", \"version\": 1,\n"
        " \"cassette\": \"missing.ndjson\", \"sed\": 4,\n"
        " \"targets\": {\"a\": {\"url\": \"http://127.0.0.1:9/\"}}}\n";
    struct t_result r;

    snprintf(path, sizeof(path), "%s/s.json", dir);
    ck_assert_int_eq(t_write_file(path, text, strlen(text)), 0);
    ck_assert_int_eq(t_run(&r, argv, NULL, NULL, 30000), 0);
    ck_assert_int_eq(r.exit_code, 2);
    ck_assert_msg(strstr(r.out, "s.json:2: /sed: unknown field"), "%s", r.out);
    ck_assert_msg(strstr(r.out, "missing.ndjson: No such file"), "%s", r.out);
    t_result_free(&r);
    free(dir);
}
END_TEST

/*
 * The starter holds a fault rule that is off (p 0) and, in its comment,
 * a probe example: with the probe put in, it still lints clean.
 */
static void starter_examples_lint_clean(const char *path)
{
    cJSON *j = t_read_json(path), *it;
    const cJSON *rule;
    char probe[512] = "", *text, out[700];
    size_t len;
    FILE *f = fopen(path, "rb");

    ck_assert_ptr_nonnull(j);
    rule = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "faults"), 0);
    ck_assert_ptr_nonnull(rule);
    ck_assert_int_eq(
        cJSON_GetObjectItem(cJSON_GetObjectItem(rule, "match"), "p")
            ->valuedouble,
        0);
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(j, "//"))
    {
        if (strstr(it->valuestring, "\"probe\": {") || probe[0])
            strncat(probe, it->valuestring, sizeof(probe) - strlen(probe) - 1);
    }
    ck_assert_msg(strstr(probe, "\"probe\": {\"http\""), "%s", probe);
    cJSON_Delete(j);
    ck_assert_ptr_nonnull(f);
    text = NULL;
    len = 0;
    ck_assert(getdelim(&text, &len, '\0', f) > 0);
    fclose(f);
    snprintf(out, sizeof(out), "%s.probe.json", path);
    f = fopen(out, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "{%s,\n%s", probe, strchr(text, '{') + 1);
    fclose(f);
    free(text);
    lint_ok(out);
}

START_TEST(init_writes_a_starter_scenario_that_lints_clean)
{
    char *dir = t_tmpdir();
    char path[600];
    char *argv[] = {HR_BIN, "init", path, NULL};
    struct t_result r;

    snprintf(path, sizeof(path), "%s/starter.json", dir);
    ck_assert_int_eq(t_run(&r, argv, NULL, NULL, 30000), 0);
    ck_assert_msg(r.exit_code == 0, "%s", r.err);
    t_result_free(&r);
    lint_ok(path);
    starter_examples_lint_clean(path);
    /* a second init does not overwrite */
    ck_assert_int_eq(t_run(&r, argv, NULL, NULL, 30000), 0);
    ck_assert_int_eq(r.exit_code, 2);
    ck_assert_msg(strstr(r.err, "exists"), "%s", r.err);
    t_result_free(&r);
    free(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("docs");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, every_example_in_formats_md_lints_clean);
    tcase_add_test(tc, the_your_consumer_scenario_lints_clean);
    tcase_add_test(tc, a_broken_example_is_caught);
    tcase_add_test(tc, init_writes_a_starter_scenario_that_lints_clean);
    suite_add_tcase(s, tc);
    return t_run_suite(s);
}
