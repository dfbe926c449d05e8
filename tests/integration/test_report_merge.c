/* SPDX-License-Identifier: MIT */
/*
 * `report merge` on real GitHub runs against the reference targets on
 * 127.0.0.1: handshakes and payload faults judged again on the merged
 * totals, checks the totals cannot recompute kept from the shards, and
 * a not-measured check failing the merge only when a shard asked for it.
 */
#include "support.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SCHEMA HR_SRC_DIR "/docs/result.schema.json"
#define VALIDATOR HR_SRC_DIR "/tests/report/validate.js"

static char *env_secret[] = {"HOOKREPLAY_SECRET=merge-test-secret", NULL};

/* Every delivery sent twice, the target's own count of what it applied
 * as evidence; %s: the target's base URL (twice), %s: extra thresholds. */
static const char dup_scenario[] =
    "{\"hookreplay\":\"scenario\",\"version\":1,\"cassette\":\"c.ndjson\","
    "\"targets\":{\"e\":{\"url\":\"%s/webhooks/github\"}},"
    "\"replay\":{\"pacing\":\"asap\",\"handshake\":false},"
    "\"faults\":[{\"match\":{},\"action\":{\"duplicate\":"
    "{\"copies\":1,\"spacing_ms\":5}}}],"
    "\"probe\":{\"http\":\"%s/__state\",\"applied\":{\"counts\":\"/applied\"}}"
    "%s}\n";

/* A fresh folder holding the cassette; its name is static, one of a few. */
static char *workdir(void)
{
    static char buf[16][200];
    static int k;
    char *d = t_tmpdir(), *p = buf[k++ % 16], cas[300];

    ck_assert_ptr_nonnull(d);
    snprintf(p, sizeof(buf[0]), "%s", d);
    free(d);
    snprintf(cas, sizeof(cas), "%s/c.ndjson", p);
    ck_assert_int_eq(
        t_write_file(cas, t_github_one_delivery, strlen(t_github_one_delivery)),
        0);
    return p;
}

/* Runs argv (NULL-terminated), a run that passes or fails; its code. */
static int run_in(char *const argv[])
{
    struct t_result r;
    int code;

    ck_assert_int_eq(t_run(&r, argv, env_secret, NULL, 60000), 0);
    code = r.exit_code;
    ck_assert_msg(code == 0 || code == 1, "%s: exit %d: %s", argv[1], code,
                  r.err);
    t_result_free(&r);
    return code;
}

/* A plain GitHub run (with its ping) against a fresh target of mode;
 * *code gets the run's exit code. Returns the result path. */
static char *github_run(const char *mode, int *code)
{
    static char paths[8][300];
    static int k;
    char *dir = workdir(), *res = paths[k++ % 8], cas[250], out[250];
    char url[200];
    char *argv[] = {HR_BIN, "run",   "--cassette", cas,       "--target",
                    url,    "--out", out,          "--quiet", NULL};
    struct t_server s;

    t_target_start(&s, mode, "github", NULL, env_secret);
    snprintf(cas, sizeof(cas), "%s/c.ndjson", dir);
    snprintf(out, sizeof(out), "%s/out", dir);
    snprintf(url, sizeof(url), "%s/webhooks/github", s.url);
    *code = run_in(argv);
    t_server_stop(&s);
    snprintf(res, sizeof(paths[0]), "%s/result.json", out);
    return res;
}

/* A run with duplicates judged by the probe against a fresh target of
 * mode; thresholds is "" or ",\"thresholds\":{...}". */
static char *dup_run(const char *mode, const char *thresholds, int *code)
{
    static char paths[8][300];
    static int k;
    char *dir = workdir(), *res = paths[k++ % 8], scen[250], out[250];
    char text[2048];
    char *argv[] = {HR_BIN, "run", scen, "--out", out, "--quiet", NULL};
    struct t_server s;

    t_target_start(&s, mode, "github", NULL, env_secret);
    snprintf(scen, sizeof(scen), "%s/s.json", dir);
    snprintf(out, sizeof(out), "%s/out", dir);
    snprintf(text, sizeof(text), dup_scenario, s.url, s.url, thresholds);
    ck_assert_int_eq(t_write_file(scen, text, strlen(text)), 0);
    *code = run_in(argv);
    t_server_stop(&s);
    snprintf(res, sizeof(paths[0]), "%s/result.json", out);
    return res;
}

static void assert_schema_valid(const char *result)
{
    char *argv[] = {"node", VALIDATOR, SCHEMA, (char *)result, NULL};
    struct t_result r;

    ck_assert_msg(access(HR_SRC_DIR "/tests/report/node_modules/ajv", F_OK) ==
                      0,
                  "ajv is not installed: run tests/report/setup.sh");
    ck_assert_int_eq(t_run(&r, argv, NULL, NULL, 60000), 0);
    ck_assert_msg(r.exit_code == 0, "%s does not match %s:\n%s%s", result,
                  SCHEMA, r.out, r.err);
    t_result_free(&r);
}

/* Merges a and b into a new file; returns it, parsed, and *code. */
static cJSON *merge(const char *a, const char *b, int *code)
{
    char *dir = workdir(), out[300];
    char *argv[] = {HR_BIN,    "report", "merge", (char *)a,
                    (char *)b, "-o",     out,     NULL};
    struct t_result r;
    cJSON *m;

    snprintf(out, sizeof(out), "%s/merged.json", dir);
    ck_assert_int_eq(t_run(&r, argv, NULL, NULL, 60000), 0);
    *code = r.exit_code;
    t_result_free(&r);
    assert_schema_valid(out);
    m = t_read_json(out);
    ck_assert_ptr_nonnull(m);
    return m;
}

static const char *str(const cJSON *o, const char *key)
{
    const cJSON *s = cJSON_GetObjectItem(o, key);

    ck_assert_msg(cJSON_IsString(s), "no string %s", key);
    return s->valuestring;
}

/* The number at totals.key in res; 0 when it is null (not measured). */
static double total(const cJSON *res, const char *key)
{
    const cJSON *v =
        cJSON_GetObjectItem(cJSON_GetObjectItem(res, "totals"), key);

    ck_assert_msg(cJSON_IsNumber(v) || cJSON_IsNull(v), "no total %s", key);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

/* The merged total at key is the sum of the shards'. */
static void assert_sum(const cJSON *m, const cJSON *a, const cJSON *b,
                       const char *key)
{
    const cJSON *v = cJSON_GetObjectItem(cJSON_GetObjectItem(m, "totals"), key);

    ck_assert_msg(cJSON_IsNumber(v), "merged totals lack %s", key);
    ck_assert_msg(v->valuedouble == total(a, key) + total(b, key),
                  "%s: merged %g, shards %g + %g", key, v->valuedouble,
                  total(a, key), total(b, key));
}

static void assert_note_has(const cJSON *c, const char *want)
{
    ck_assert_msg(strstr(str(c, "note"), want) != NULL, "%s: note \"%s\"",
                  str(c, "name"), str(c, "note"));
}

START_TEST(two_passing_github_runs_merge_into_a_pass)
{
    int ca, cb, code;
    char *a = github_run("correct", &ca), *b = github_run("correct", &cb);
    cJSON *m;
    const cJSON *h;

    ck_assert_int_eq(ca, 0);
    ck_assert_int_eq(cb, 0);
    m = merge(a, b, &code);
    ck_assert_int_eq(code, 0);
    ck_assert_str_eq(str(m, "verdict"), "pass");
    ck_assert_double_eq(t_json_num(m, "totals.handshakes"), 2);
    ck_assert_double_eq(t_json_num(m, "totals.handshakes_ok"), 2);
    h = t_check(m, "handshake");
    ck_assert_str_eq(str(h, "result"), "pass");
    ck_assert_double_eq(t_json_num(h, "threshold"), 2);
    ck_assert_double_eq(t_json_num(h, "value"), 2);
    assert_note_has(h, "judged again on the merged totals");
    ck_assert_str_eq(str(t_check(m, "min_delivery_rate"), "result"), "pass");
    cJSON_Delete(m);
}
END_TEST

START_TEST(a_shard_whose_handshake_failed_fails_the_merge)
{
    int ca, cb, code;
    char *a = github_run("correct", &ca), *b = github_run("naive", &cb);
    cJSON *m;
    const cJSON *h;

    ck_assert_int_eq(ca, 0);
    ck_assert_int_eq(cb, 1);
    m = merge(a, b, &code);
    ck_assert_int_eq(code, 1);
    ck_assert_str_eq(str(m, "verdict"), "fail");
    h = t_check(m, "handshake");
    ck_assert_str_eq(str(h, "result"), "fail");
    ck_assert_double_eq(t_json_num(h, "threshold"), 2);
    ck_assert_double_eq(t_json_num(h, "value"), 1);
    cJSON_Delete(m);
}
END_TEST

START_TEST(a_check_every_shard_passed_is_kept_as_passed)
{
    int ca, cb, code;
    char *a = dup_run("correct", "", &ca), *b = dup_run("correct", "", &cb);
    cJSON *m;
    const cJSON *d;

    ck_assert_int_eq(ca, 0);
    ck_assert_int_eq(cb, 0);
    m = merge(a, b, &code);
    ck_assert_int_eq(code, 0);
    d = t_check(m, "max_duplicates_processed");
    ck_assert_str_eq(str(d, "result"), "pass");
    ck_assert_double_eq(t_json_num(d, "value"), 0);
    assert_note_has(d, "every shard passed");
    ck_assert_str_eq(str(m, "verdict"), "pass");
    cJSON_Delete(m);
}
END_TEST

START_TEST(a_check_one_shard_failed_fails_the_merge_and_names_it)
{
    int ca, cb, code;
    char *a = dup_run("correct", "", &ca), *b = dup_run("naive", "", &cb);
    cJSON *m, *ra, *rb = t_read_json(b);
    const cJSON *d;

    ck_assert_int_eq(ca, 0);
    ck_assert_int_eq(cb, 1);
    ck_assert_str_eq(str(t_check(rb, "max_duplicates_processed"), "result"),
                     "fail");
    m = merge(a, b, &code);
    ck_assert_int_eq(code, 1);
    ck_assert_str_eq(str(m, "verdict"), "fail");
    d = t_check(m, "max_duplicates_processed");
    ck_assert_str_eq(str(d, "result"), "fail");
    /* the limit is 0, so the shards' counts add up */
    ck_assert_double_eq(
        t_json_num(d, "value"),
        t_json_num(t_check(rb, "max_duplicates_processed"), "value"));
    ck_assert(t_json_num(d, "value") >= 1);
    assert_note_has(d, b);
    /* the totals of deliberate faults add up, evidence and all */
    ra = t_read_json(a);
    assert_sum(m, ra, rb, "duplicates_sent");
    assert_sum(m, ra, rb, "duplicates_delivered");
    assert_sum(m, ra, rb, "duplicates_processed");
    assert_sum(m, ra, rb, "redelivered");
    assert_sum(m, ra, rb, "retries");
    ck_assert(total(m, "duplicates_sent") >= 2);
    ck_assert_str_eq(
        str(cJSON_GetObjectItem(m, "totals"), "duplicates_evidence"),
        "self-report");
    cJSON_Delete(ra);
    cJSON_Delete(rb);
    cJSON_Delete(m);
}
END_TEST

START_TEST(an_unmeasured_default_check_passes_an_asked_for_one_fails)
{
    int ca, cb, cc, code;
    char *plain = github_run("correct", &ca);
    char *dflt = dup_run("correct", "", &cb);
    char *asked = dup_run(
        "correct", ",\"thresholds\":{\"max_duplicates_processed\":0}", &cc);
    cJSON *m, *rp, *rd;
    const cJSON *d;

    ck_assert_int_eq(ca + cb + cc, 0);
    /* added by default in one shard only: not measured, not a failure */
    m = merge(plain, dflt, &code);
    d = t_check(m, "max_duplicates_processed");
    ck_assert_str_eq(str(d, "result"), "not_measured");
    ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(d, "required")));
    assert_note_has(d, "lacked this check");
    ck_assert_int_eq(code, 0);
    ck_assert_str_eq(str(m, "verdict"), "pass");
    /* a count one shard did not measure is the other shard's */
    rp = t_read_json(plain);
    rd = t_read_json(dflt);
    ck_assert(cJSON_IsNull(cJSON_GetObjectItem(
        cJSON_GetObjectItem(rp, "totals"), "duplicates_processed")));
    assert_sum(m, rp, rd, "duplicates_processed");
    assert_sum(m, rp, rd, "duplicates_sent");
    cJSON_Delete(rp);
    cJSON_Delete(rd);
    cJSON_Delete(m);
    /* asked for by the scenario of one shard: the merge fails */
    m = merge(plain, asked, &code);
    d = t_check(m, "max_duplicates_processed");
    ck_assert_str_eq(str(d, "result"), "not_measured");
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(d, "required")));
    ck_assert_int_eq(code, 1);
    ck_assert_str_eq(str(m, "verdict"), "fail");
    cJSON_Delete(m);
}
END_TEST

START_TEST(a_result_without_required_counts_as_asked_for)
{
    int ca, cb, code;
    char *plain = github_run("correct", &ca);
    char *dflt = dup_run("correct", "", &cb);
    char old[400], *txt;
    cJSON *res = t_read_json(dflt), *c, *m;

    ck_assert_int_eq(ca + cb, 0);
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(res, "checks"))
    {
        cJSON_DeleteItemFromObject(c, "required");
    }
    snprintf(old, sizeof(old), "%s/old.json", workdir());
    txt = cJSON_Print(res);
    ck_assert_int_eq(t_write_file(old, txt, strlen(txt)), 0);
    free(txt);
    cJSON_Delete(res);
    m = merge(plain, old, &code);
    ck_assert_str_eq(str(t_check(m, "max_duplicates_processed"), "result"),
                     "not_measured");
    ck_assert_int_eq(code, 1);
    cJSON_Delete(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("report_merge");
    TCase *tc = tcase_create("merge");

    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, two_passing_github_runs_merge_into_a_pass);
    tcase_add_test(tc, a_shard_whose_handshake_failed_fails_the_merge);
    tcase_add_test(tc, a_check_every_shard_passed_is_kept_as_passed);
    tcase_add_test(tc, a_check_one_shard_failed_fails_the_merge_and_names_it);
    tcase_add_test(tc,
                   an_unmeasured_default_check_passes_an_asked_for_one_fails);
    tcase_add_test(tc, a_result_without_required_counts_as_asked_for);
    suite_add_tcase(s, tc);
    return t_run_suite(s);
}
