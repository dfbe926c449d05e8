/* SPDX-License-Identifier: MIT */
/* Lint and strict scenarios: every problem, where it is, never a secret. */
#include "import.h"
#include "lint.h"
#include "support.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every problem lint reported, one per line. */
struct seen {
    char text[16384];
    int n;
};

static void collect(void *ud, const char *msg)
{
    struct seen *s = ud;
    size_t len = strlen(s->text);

    snprintf(s->text + len, sizeof(s->text) - len, "%s\n", msg);
    s->n++;
}

static char *in_tmp(const char *dir, const char *name, const char *data)
{
    static char path[8][512];
    static int k;
    char *p = path[k++ % 8];

    snprintf(p, 512, "%s/%s", dir, name);
    ck_assert_int_eq(t_write_file(p, data, strlen(data)), 0);
    return p;
}

static int lint(const char *path, struct seen *s)
{
    memset(s, 0, sizeof(*s));
    return hr_lint_file(path, NULL, collect, s);
}

static const char cassette[] =
    "{\"hookreplay\":\"cassette\",\"version\":1,\"endpoints\":"
    "{\"stripe\":{\"profile\":\"stripe\"}}}\n"
    "{\"seq\":1,\"at_ms\":0,\"kind\":\"webhook\",\"endpoint\":\"stripe\","
    "\"event\":{\"id\":\"evt_1\",\"type\":\"customer.updated\","
    "\"object\":\"cus_1\",\"created\":1700000000},\"request\":{\"method\":"
    "\"POST\",\"path\":\"/\",\"query\":\"\",\"headers\":[],\"body\":"
    "\"{\\\"id\\\":\\\"evt_1\\\",\\\"type\\\":\\\"customer.created\\\","
    "\\\"created\\\":1700000000,\\\"data\\\":{\\\"object\\\":{\\\"id\\\":"
    "\\\"cus_1\\\"}}}\"}}\n"
    "{\"seq\":2,\"at_ms\":5,,}\n"
    "{\"seq\":3,\"at_ms\":9,\"kind\":\"webhook\",\"endpoint\":\"nope\"}\n"
    "{\"seq\":4,\"at_ms\":9,\"kind\":\"webhook\",\"endpoint\":\"stripe\","
    "\"event\":{\"id\":\"evt_2\",\"type\":\"x.y\",\"object\":\"cus_2\"},"
    "\"request\":{\"method\":\"POST\",\"path\":\"/\",\"query\":\"\","
    "\"headers\":[],\"body\":\"{\\\"id\\\":\\\"evt_2\\\",\\\"type\\\":"
    "\\\"x.y\\\",\\\"data\\\":{\\\"object\\\":{\\\"id\\\":\\\"cus_2\\\"}}}"
    "\"}}\n";

START_TEST(lint_reports_every_bad_cassette_line_and_goes_on)
{
    char *dir = t_tmpdir();
    char *p = in_tmp(dir, "c.ndjson", cassette);
    struct seen s;
    char want[600];

    ck_assert_int_eq(lint(p, &s), 3);
    snprintf(want, sizeof(want),
             "%s:2: event.type \"customer.updated\" but the request says "
             "\"customer.created\" under profile stripe\n",
             p);
    ck_assert_msg(strstr(s.text, want), "got:\n%s", s.text);
    snprintf(want, sizeof(want), "%s:3:", p);
    ck_assert_msg(strstr(s.text, want), "got:\n%s", s.text);
    snprintf(want, sizeof(want), "%s:4:", p);
    ck_assert_msg(strstr(s.text, want), "got:\n%s", s.text);
    /* line 5 agrees with its request: no problem there */
    snprintf(want, sizeof(want), "%s:5", p);
    ck_assert_ptr_null(strstr(s.text, want));
    free(dir);
}
END_TEST

START_TEST(lint_reports_syntax_errors_with_byte_columns)
{
    char *dir = t_tmpdir();
    /* "é" is two bytes: the stray ']' is at byte column 20 of line 2 */
    char *p = in_tmp(dir, "s.json",
                     "{\"hookreplay\": \"scenario\",\n"
                     "  \"cassette\": \"\xc3\xa9\" ]\n}\n");
    struct seen s;
    char want[600];

    ck_assert_int_eq(lint(p, &s), 1);
    snprintf(want, sizeof(want), "%s:2:20:", p);
    ck_assert_msg(strncmp(s.text, want, strlen(want)) == 0, "got: %s", s.text);
    free(dir);
}
END_TEST

static const char bad_scenario[] =
    "{\"hookreplay\": \"scenario\", \"version\": 1,\n"
    " \"cassette\": \"c.ndjson\",\n"
    " \"seed\": 1.5,\n"
    " \"targtes\": {},\n"
    " \"targets\": {\"stripe\": {\"url\": \"ftp://x\", \"kep_path\": true,\n"
    "                        \"secrets_file\": \"secrets.txt\"},\n"
    "             \"gh\": {\"url\": \"http://127.0.0.1:9/\",\n"
    "                    \"profile\": \"nosuch\"}},\n"
    " \"replay\": {\"pacing\": \"fast\", \"max_in_flight\": 2.5},\n"
    " \"thresholds\": {\"require_consistent\": true, \"p99\": 3},\n"
    " \"api\": {\"colour\": 1}\n"
    "}\n";

START_TEST(lint_reports_every_scenario_problem_by_pointer_and_line)
{
    static const char *const expect[] = {
        ":4: /targtes: unknown field",
        ":3: /seed: must be an integer",
        ":5: /targets/stripe/kep_path: unknown field",
        ":5: /targets/stripe/url: must be an http:// or https:// URL",
        ":9: /replay/pacing:",
        ":9: /replay/max_in_flight:",
        ":10: /thresholds/require_consistent: cannot be measured",
        ":10: /thresholds/p99: unknown field",
        ": /api/colour: unknown field",
        ": /targets/gh/profile: unknown profile 'nosuch'",
        ": /targets/gh: names no endpoint of the cassette (it has: stripe)",
        NULL};
    char *dir = t_tmpdir();
    const char *const *e;
    struct seen s;
    char *p;

    in_tmp(dir, "c.ndjson", cassette);
    in_tmp(dir, "secrets.txt", "whsec_do_not_print_me\n");
    p = in_tmp(dir, "s.json", bad_scenario);
    ck_assert_int_ge(lint(p, &s), 11 + 3);
    for (e = expect; *e; e++)
        ck_assert_msg(strstr(s.text, *e), "missing '%s' in:\n%s", *e, s.text);
    ck_assert_ptr_null(strstr(s.text, "do_not_print_me"));
    free(dir);
}
END_TEST

START_TEST(lint_reports_a_missing_secrets_file_and_a_missing_target)
{
    char *dir = t_tmpdir();
    struct seen s;
    char *p;

    in_tmp(dir, "c.ndjson", cassette);
    p = in_tmp(dir, "s.json",
               "{\"hookreplay\": \"scenario\", \"version\": 1,\n"
               " \"cassette\": \"c.ndjson\",\n"
               " \"targets\": {\"other\": {\"url\": \"http://127.0.0.1:9/\",\n"
               "   \"secrets_file\": \"gone.txt\"}}}\n");
    lint(p, &s);
    ck_assert_msg(strstr(s.text, "/targets/other/secrets_file: "), "%s",
                  s.text);
    ck_assert_msg(strstr(s.text, "No such file"), "%s", s.text);
    ck_assert_msg(strstr(s.text, "warning: ") &&
                      strstr(s.text, "endpoint 'stripe', which has no target"),
                  "%s", s.text);
    free(dir);
}
END_TEST

START_TEST(a_missing_cassette_is_named_by_the_scenario_pointer)
{
    char *dir = t_tmpdir();
    struct seen s;
    char *p = in_tmp(dir, "s.json",
                     "{\"hookreplay\": \"scenario\", \"version\": 1,\n"
                     " \"cassette\": \"gone.ndjson\",\n"
                     " \"targets\": {\"a\": {\"url\": "
                     "\"http://127.0.0.1:9/\"}}}\n");

    ck_assert_int_eq(lint(p, &s), 1);
    ck_assert_msg(strstr(s.text, "s.json: /cassette: ") &&
                      strstr(s.text, "gone.ndjson: No such file"),
                  "%s", s.text);
    free(dir);
}
END_TEST

/* Two endpoints, one delivery each; valid throughout. */
static const char two_endpoints[] =
    "{\"hookreplay\":\"cassette\",\"version\":1,\"endpoints\":"
    "{\"a\":{\"profile\":\"stripe\"},\"b\":{\"profile\":\"stripe\"}}}\n"
    "{\"seq\":1,\"at_ms\":0,\"kind\":\"webhook\",\"endpoint\":\"a\","
    "\"event\":{\"id\":\"evt_1\",\"type\":\"customer.created\"},"
    "\"request\":{\"method\":\"POST\",\"path\":\"/\",\"query\":\"\","
    "\"headers\":[],\"body\":\"{\\\"id\\\":\\\"evt_1\\\","
    "\\\"type\\\":\\\"customer.created\\\"}\"}}\n"
    "{\"seq\":2,\"at_ms\":1,\"kind\":\"webhook\",\"endpoint\":\"b\","
    "\"event\":{\"id\":\"evt_2\",\"type\":\"customer.created\"},"
    "\"request\":{\"method\":\"POST\",\"path\":\"/\",\"query\":\"\","
    "\"headers\":[],\"body\":\"{\\\"id\\\":\\\"evt_2\\\","
    "\\\"type\\\":\\\"customer.created\\\"}\"}}\n";

START_TEST(an_endpoint_without_a_target_is_a_warning_not_a_problem)
{
    char *dir = t_tmpdir();
    struct seen s;
    char *p;

    in_tmp(dir, "c.ndjson", two_endpoints);
    p = in_tmp(dir, "s.json",
               "{\"hookreplay\": \"scenario\", \"version\": 1,\n"
               " \"cassette\": \"c.ndjson\",\n"
               " \"targets\": {\"a\": {\"url\": \"http://127.0.0.1:9/\"}}}\n");
    /* a run replays endpoint a and skips b: nothing invalid */
    ck_assert_int_eq(lint(p, &s), 0);
    ck_assert_msg(strstr(s.text, "warning: ") &&
                      strstr(s.text, "endpoint 'b', which has no target"),
                  "%s", s.text);
    ck_assert_ptr_null(strstr(s.text, "endpoint 'a'"));
    free(dir);
}
END_TEST

/* A scenario over cassette cas (a path) with the given faults. */
static char *fault_scenario(const char *dir, const char *cas,
                            const char *endpoint, const char *faults)
{
    char text[2048];

    snprintf(text, sizeof(text),
             "{\"hookreplay\": \"scenario\", \"version\": 1,\n"
             " \"cassette\": \"%s\",\n"
             " \"targets\": {\"%s\": {\"url\": \"http://127.0.0.1:9/\"}},\n"
             " \"faults\": %s}\n",
             cas, endpoint, faults);
    return in_tmp(dir, "faults.json", text);
}

static const char sig_faults[] =
    "[{\"match\": {\"type\": \"issues.*\"},"
    "  \"action\": {\"signature\": \"stale\"}},"
    " {\"match\": {\"type\": \"push\", \"p\": 0.1},"
    "  \"action\": {\"signature\": \"rotated\"}},"
    " {\"match\": {}, \"action\": {\"signature\": \"forged\"}},"
    " {\"match\": {\"p\": 0}, \"action\": {\"signature\": \"stale\"}},"
    " {\"match\": {\"type\": \"no.such\"},"
    "  \"action\": {\"signature\": \"stale\"}}]";

START_TEST(lint_refuses_signature_faults_the_profile_cannot_send_whatever_p)
{
    char *dir = t_tmpdir(), cas[600], *scen;
    struct hr_err err;
    struct seen s;
    FILE *f;

    setenv("HOOKREPLAY_SECRET", "lint-test-secret", 1);
    snprintf(cas, sizeof(cas), "%s/gh.ndjson", dir);
    f = fopen(cas, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(
        hr_import_github(HR_SRC_DIR "/tests/data/github-payloads", f, &err), 0);
    fclose(f);
    scen = fault_scenario(dir, "gh.ndjson", "github", sig_faults);
    /* rules 0, 1 and 3 (p 0.1 and p 0 too) match GitHub deliveries;
     * rule 4 matches none */
    ck_assert_int_eq(lint(scen, &s), 3);
    ck_assert_msg(strstr(s.text, ":4: /faults/0/action/signature: \"stale\" "
                                 "cannot be sent to endpoint 'github' "
                                 "(profile github): its signature covers "
                                 "no timestamp"),
                  "%s", s.text);
    ck_assert_msg(strstr(s.text, ":4: /faults/1/action/signature: "
                                 "\"rotated\" cannot be sent to endpoint "
                                 "'github' (profile github): its header "
                                 "carries one signature"),
                  "%s", s.text);
    ck_assert_msg(strstr(s.text, "/faults/3/action/signature: \"stale\""), "%s",
                  s.text);
    ck_assert_ptr_null(strstr(s.text, "forged signature instead"));
    ck_assert_ptr_null(strstr(s.text, "/faults/4/"));
    /* a Stripe endpoint signs a timestamp and can carry several */
    ck_assert_int_eq(
        lint(fault_scenario(dir, HR_SRC_DIR "/fixtures/stripe-lifecycle.ndjson",
                            "stripe", sig_faults),
             &s),
        0);
    free(dir);
}
END_TEST

/* The problems of a scenario with these fault rules (a JSON list). */
static int lint_faults(const char *dir, const char *faults, struct seen *s)
{
    char text[4096];

    snprintf(text, sizeof(text),
             "{\"hookreplay\": \"scenario\", \"version\": 1,\n"
             " \"cassette\": \"%s\",\n"
             " \"targets\": {\"stripe\": {\"url\": "
             "\"http://127.0.0.1:9/\"}},\n"
             " \"faults\": %s}\n",
             HR_SRC_DIR "/fixtures/stripe-lifecycle.ndjson", faults);
    return lint(in_tmp(dir, "f.json", text), s);
}

START_TEST(lint_reports_every_problem_of_every_fault_rule_with_its_line)
{
    char *dir = t_tmpdir();
    struct seen s;

    ck_assert_int_eq(
        lint_faults(dir,
                    "[\n"
                    "{\"action\": {\"reorder\": {\"window\": 1}}},\n"
                    "{\"action\": {\"duplicate\": {\"copies\": 0}}},\n"
                    "{\"//\": \"x\", \"action\": {\"drop\": {}}},\n"
                    "{\"action\": {\"connection\": \"cut\"}},\n"
                    "{\"match\": {\"p\": 2, \"type\": 3},\n"
                    " \"action\": {\"timeout\": 1}},\n"
                    "{\"action\": {\"script\": [\"deliver\", \"x\"]}},\n"
                    "{\"action\": {\"signature\": \"nope\"}},\n"
                    "{\"action\": {\"a/b~\": {}}},\n"
                    "{\"action\": {\"drop\": {}, \"timeout\": {}}}\n"
                    "]",
                    &s),
        11);
    ck_assert_msg(strstr(s.text, ":5: /faults/0/action/reorder/window: "), "%s",
                  s.text);
    ck_assert_msg(strstr(s.text, ":6: /faults/1/action/duplicate/copies: "),
                  "%s", s.text);
    ck_assert_msg(strstr(s.text, ":7: /faults/2/~1~1: fault rules do not "
                                 "accept \"//\" comments"),
                  "%s", s.text);
    ck_assert_msg(strstr(s.text, ":8: /faults/3/action/connection: "), "%s",
                  s.text);
    ck_assert_msg(strstr(s.text, ":9: /faults/4/match/type: "), "%s", s.text);
    ck_assert_msg(strstr(s.text, ":9: /faults/4/match/p: "), "%s", s.text);
    ck_assert_msg(strstr(s.text, ":10: /faults/4/action/timeout: "), "%s",
                  s.text);
    ck_assert_msg(strstr(s.text, ":11: /faults/5/action/script/1: "), "%s",
                  s.text);
    ck_assert_msg(strstr(s.text, ":12: /faults/6/action/signature: "), "%s",
                  s.text);
    ck_assert_msg(strstr(s.text, ":13: /faults/7/action/a~1b~0: unknown "
                                 "action"),
                  "%s", s.text);
    ck_assert_msg(strstr(s.text, ":14: /faults/8/action: must be an object "
                                 "with exactly one action"),
                  "%s", s.text);
    free(dir);
}
END_TEST

START_TEST(fault_limits_agree_with_the_plan_and_forms_do_not_mix)
{
    char *dir = t_tmpdir();
    struct seen s;

    ck_assert_int_eq(
        lint_faults(dir, "[{\"action\": {\"duplicate\": {\"copies\": 64}}}]",
                    &s),
        1);
    ck_assert_msg(strstr(s.text, "/faults/0/action/duplicate/copies: must be "
                                 "an integer from 1 to 63: an event fans "
                                 "out to at most 64 deliveries"),
                  "%s", s.text);
    ck_assert_int_eq(
        lint_faults(dir, "[{\"action\": {\"duplicate\": {\"copies\": 63}}}]",
                    &s),
        0);
    ck_assert_int_eq(
        lint_faults(dir,
                    "[{\"action\": {\"delay\": {\"ms\": 1, \"sd_ms\": 4}}},"
                    " {\"action\": {\"delay\": {\"min_ms\": 1, "
                    "\"max_ms\": 4, \"shape\": 2}}},"
                    " {\"action\": {\"delay\": {\"mean_ms\": 5, "
                    "\"sd_ms\": 1}}}]",
                    &s),
        2);
    ck_assert_msg(strstr(s.text, "/faults/0/action/delay/sd_ms: does not "
                                 "belong to a fixed delay (ms)"),
                  "%s", s.text);
    ck_assert_msg(strstr(s.text, "/faults/1/action/delay/shape: does not "
                                 "belong to a uniform delay (min_ms, max_ms)"),
                  "%s", s.text);
    free(dir);
}
END_TEST

START_TEST(a_probe_that_failed_to_parse_brings_no_follow_on_errors)
{
    char *dir = t_tmpdir();
    struct seen s;
    char text[1024];

    snprintf(text, sizeof(text),
             "{\"hookreplay\": \"scenario\", \"version\": 1,\n"
             " \"cassette\": \"%s\",\n"
             " \"targets\": {\"stripe\": {\"url\": "
             "\"http://127.0.0.1:9/\"}},\n"
             " \"probe\": {\"//\": \"c\", \"http\": \"http://127.0.0.1:9/s\",\n"
             "   \"applied\": {\"counts\": \"/counts\"}},\n"
             " \"thresholds\": {\"max_duplicates_processed\": 0}}\n",
             HR_SRC_DIR "/fixtures/stripe-lifecycle.ndjson");
    ck_assert_int_eq(lint(in_tmp(dir, "p.json", text), &s), 1);
    ck_assert_msg(strstr(s.text, "/probe"), "%s", s.text);
    ck_assert_ptr_null(strstr(s.text, "max_duplicates_processed"));
    free(dir);
}
END_TEST

START_TEST(scenario_load_names_the_unknown_field)
{
    char *dir = t_tmpdir();
    struct hr_err err = {0, ""};
    char *p;

    in_tmp(dir, "k.txt", "whsec_a\n");
    p = in_tmp(dir, "s.json",
               "{\"hookreplay\": \"scenario\", \"version\": 1,\n"
               " \"cassette\": \"c.ndjson\",\n"
               " \"replay\": {\"sped\": 2},\n"
               " \"targets\": {\"a\": {\"url\": \"http://127.0.0.1:9/\","
               " \"secrets_file\": \"k.txt\"}}}\n");

    ck_assert_ptr_null(hr_scenario_load(p, &err));
    ck_assert_int_eq(err.code, HR_EXIT_INPUT);
    ck_assert_msg(strstr(err.msg, ":3: /replay/sped: unknown field"), "%s",
                  err.msg);
    free(dir);
}
END_TEST

/* Loads a scenario with the given probe, thresholds and fault rules;
 * NULL on error. */
static struct hr_scenario *with_faults(const char *dir, const char *probe,
                                       const char *thresholds,
                                       const char *faults, struct hr_err *err)
{
    char text[1024];
    char *p;

    snprintf(text, sizeof(text),
             "{\"hookreplay\": \"scenario\", \"version\": 1,\n"
             " \"cassette\": \"c.ndjson\",\n"
             " \"probe\": {\"http\": \"http://127.0.0.1:9/s\", %s},\n"
             " \"thresholds\": {%s},\n"
             " \"faults\": [%s],\n"
             " \"targets\": {\"a\": {\"url\": \"http://127.0.0.1:9/\","
             " \"secrets_file\": \"k.txt\"}}}\n",
             probe, thresholds, faults);
    in_tmp(dir, "k.txt", "whsec_a\n");
    p = in_tmp(dir, "s.json", text);
    err->msg[0] = '\0';
    return hr_scenario_load(p, err);
}

static struct hr_scenario *with_probe(const char *dir, const char *probe,
                                      const char *thresholds,
                                      struct hr_err *err)
{
    return with_faults(dir, probe, thresholds, "", err);
}

START_TEST(same_id_resends_need_a_self_report_to_judge_duplicates)
{
    char *dir = t_tmpdir();
    struct hr_err err = {0, ""};
    const char *state = "\"collections\": [{\"items\": \"/o\"}]";
    const char *both = "\"collections\": [{\"items\": \"/o\"}], "
                       "\"applied\": {\"ids\": \"/ids\"}";
    const char *limit = "\"max_duplicates_processed\": 0";
    const char *refused[] = {
        "{\"action\": {\"duplicate\": {}}}", "{\"action\": {\"timeout\": {}}}",
        "{\"action\": {\"connection\": \"reset\"}}",
        "{\"action\": {\"script\": [\"refused\", \"truncated\"]}}"};
    struct hr_scenario *s;
    size_t i;

    for (i = 0; i < sizeof(refused) / sizeof(*refused); i++) {
        char faults[256];

        /* a harmless rule first, so the pointer names the right one */
        snprintf(faults, sizeof(faults),
                 "{\"action\": {\"drop\": {}}, \"match\": {\"p\": 0.1}}, "
                 "%s",
                 refused[i]);
        s = with_faults(dir, state, limit, faults, &err);
        ck_assert_msg(s == NULL, "%s accepted", refused[i]);
        ck_assert_msg(strstr(err.msg, "/faults/1: sends an event again"), "%s",
                      err.msg);
        s = with_faults(dir, both, limit, faults, &err);
        ck_assert_msg(s != NULL, "%s", err.msg);
        hr_scenario_free(s);
    }
    /* a new id is judged by the object's snapshot */
    s = with_faults(dir, state, limit,
                    "{\"action\": {\"duplicate\": {\"new_id\": true}}}, "
                    "{\"action\": {\"connection\": \"refused\"}}",
                    &err);
    ck_assert_msg(s != NULL, "%s", err.msg);
    hr_scenario_free(s);
    free(dir);
}
END_TEST

START_TEST(duplicate_snapshots_default_to_eight_with_collections_only)
{
    char *dir = t_tmpdir();
    struct hr_err err = {0, ""};
    struct hr_scenario *s;

    s = with_probe(dir, "\"collections\": [{\"items\": \"/o\"}]",
                   "\"max_duplicates_processed\": 0", &err);
    ck_assert_msg(s != NULL, "%s", err.msg);
    ck_assert_int_eq(s->probe->duplicate_snapshots, 8);
    hr_scenario_free(s);
    s = with_probe(dir, "\"applied\": {\"ids\": \"/ids\"}", "", &err);
    ck_assert_msg(s != NULL, "%s", err.msg);
    ck_assert_int_eq(s->probe->duplicate_snapshots, 0);
    hr_scenario_free(s);
    /* snapshots need collections to find the object */
    s = with_probe(dir, "\"duplicate_snapshots\": 3", "", &err);
    ck_assert_ptr_null(s);
    ck_assert_msg(strstr(err.msg, ":3: /probe/duplicate_snapshots: needs"),
                  "%s", err.msg);
    /* with the snapshots off, nothing measures duplicates */
    s = with_probe(dir,
                   "\"duplicate_snapshots\": 0, \"collections\": "
                   "[{\"items\": \"/o\"}]",
                   "\"max_duplicates_processed\": 0", &err);
    ck_assert_ptr_null(s);
    ck_assert_msg(strstr(err.msg, "/thresholds/max_duplicates_processed"), "%s",
                  err.msg);
    free(dir);
}
END_TEST

START_TEST(scenario_version_must_be_known)
{
    char *dir = t_tmpdir();
    struct hr_err err = {0, ""};
    char *p = in_tmp(dir, "s.json",
                     "{\"hookreplay\": \"scenario\", \"version\": 2,\n"
                     " \"cassette\": \"c.ndjson\"}\n");

    ck_assert_ptr_null(hr_scenario_load(p, &err));
    ck_assert_msg(strstr(err.msg, "/version: is newer than this hookreplay"),
                  "%s", err.msg);
    p = in_tmp(dir, "t.json", "{\"hookreplay\": \"scenario\"}\n");
    ck_assert_ptr_null(hr_scenario_load(p, &err));
    ck_assert_msg(strstr(err.msg, "\"version\" is required"), "%s", err.msg);
    free(dir);
}
END_TEST

START_TEST(scenario_ignores_comment_fields_and_keeps_defaults)
{
    char *dir = t_tmpdir();
    struct hr_err err = {0, ""};
    struct hr_scenario *s;
    char *p;

    in_tmp(dir, "k.txt", "whsec_a\nwhsec_b\n");
    p = in_tmp(dir, "s.json",
               "{\"//\": [\"a note\"], \"hookreplay\": \"scenario\",\n"
               " \"version\": 1, \"cassette\": \"c.ndjson\",\n"
               " \"targets\": {\"//\": \"x\", \"a\": {\"//\": \"y\",\n"
               "   \"url\": \"http://127.0.0.1:9/\","
               " \"secrets_file\": \"k.txt\"}},\n"
               " \"replay\": {\"//\": \"z\"}}\n");
    s = hr_scenario_load(p, &err);
    ck_assert_msg(s != NULL, "%s", err.msg);
    ck_assert_int_eq((int)s->n_targets, 1);
    ck_assert_str_eq(s->targets[0].endpoint, "a");
    ck_assert_int_eq((int)s->targets[0].n_secrets, 2);
    ck_assert_int_eq((int)s->seed, 1);
    ck_assert_int_eq(s->max_in_flight, 64);
    ck_assert_int_eq(s->per_object_in_flight, 1);
    ck_assert(s->retry_time_scale == 0.0001);
    ck_assert(s->thresholds.has_min_delivery_rate);
    hr_scenario_free(s);
    p = in_tmp(dir, "t.json",
               "{\"//\": 3, \"hookreplay\": \"scenario\", \"version\": 1}\n");
    ck_assert_ptr_null(hr_scenario_load(p, &err));
    ck_assert_msg(strstr(err.msg, "/~1~1: a comment is a string"), "%s",
                  err.msg);
    free(dir);
}
END_TEST

START_TEST(lint_detects_the_kind_by_content_then_extension)
{
    char *dir = t_tmpdir();

    ck_assert_int_eq(hr_lint_detect(in_tmp(dir, "a.txt", cassette)),
                     HR_LINT_CASSETTE);
    ck_assert_int_eq(hr_lint_detect(in_tmp(dir, "b.txt",
                                           "{\n \"hookreplay\": "
                                           "\"scenario\"}\n")),
                     HR_LINT_SCENARIO);
    ck_assert_int_eq(hr_lint_detect(in_tmp(dir, "c.ndjson", "garbage\n")),
                     HR_LINT_CASSETTE);
    ck_assert_int_eq(hr_lint_detect(in_tmp(dir, "d.json", "[]\n")),
                     HR_LINT_SCENARIO);
    ck_assert_int_eq(hr_lint_detect(in_tmp(dir, "e.txt", "hello\n")),
                     HR_LINT_UNKNOWN);
    free(dir);
}
END_TEST

START_TEST(lint_passes_the_bundled_cassette_and_profiles)
{
    static const char *const profiles[] = {
        "stripe", "github", "shopify", "slack", "standard-webhooks",
        "svix",   NULL};
    const char *const *p;
    struct seen s;
    char path[512];

    ck_assert_int_eq(lint(HR_SRC_DIR "/fixtures/stripe-lifecycle.ndjson", &s),
                     0);
    for (p = profiles; *p; p++) {
        snprintf(path, sizeof(path), HR_SRC_DIR "/mocks/profiles/%s.json", *p);
        ck_assert_msg(lint(path, &s) == 0, "%s: %s", *p, s.text);
    }
}
END_TEST

/* Two Shopify webhooks: the first as Shopify sends it, the second
 * without the shop domain and API version. */
static const char shopify_cassette[] =
    "{\"hookreplay\":\"cassette\",\"version\":1,\"endpoints\":"
    "{\"shop\":{\"profile\":\"shopify\"}}}\n"
    "{\"seq\":1,\"at_ms\":0,\"kind\":\"webhook\",\"endpoint\":\"shop\","
    "\"event\":{\"id\":\"e1\",\"type\":\"orders/create\",\"object\":"
    "\"gid://shopify/Order/1\"},\"request\":{\"method\":\"POST\","
    "\"path\":\"/\",\"query\":\"\",\"headers\":[[\"X-Shopify-Topic\","
    "\"orders/create\"],[\"x-shopify-shop-domain\",\"a.myshopify.com\"],"
    "[\"X-Shopify-API-Version\",\"2025-07\"],[\"X-Shopify-Webhook-Id\","
    "\"w1\"],[\"X-Shopify-Event-Id\",\"e1\"]],\"body\":"
    "\"{\\\"admin_graphql_api_id\\\":\\\"gid://shopify/Order/1\\\"}\"}}\n"
    "{\"seq\":2,\"at_ms\":5,\"kind\":\"webhook\",\"endpoint\":\"shop\","
    "\"event\":{\"id\":\"e2\",\"type\":\"orders/create\",\"object\":"
    "\"gid://shopify/Order/2\"},\"request\":{\"method\":\"POST\","
    "\"path\":\"/\",\"query\":\"\",\"headers\":[[\"X-Shopify-Topic\","
    "\"orders/create\"],[\"X-Shopify-API-Version\",\"\"],"
    "[\"X-Shopify-Webhook-Id\",\"w2\"],[\"X-Shopify-Event-Id\",\"e2\"]],"
    "\"body\":\"{\\\"admin_graphql_api_id\\\":"
    "\\\"gid://shopify/Order/2\\\"}\"}}\n";

START_TEST(lint_reports_shopify_webhooks_without_the_headers_its_library_needs)
{
    char *dir = t_tmpdir();
    struct seen s;

    ck_assert_int_eq(lint(in_tmp(dir, "shop.ndjson", shopify_cassette), &s), 2);
    ck_assert_msg(strstr(s.text, "shop.ndjson:3: request.headers has no "
                                 "X-Shopify-Shop-Domain: profile shopify") &&
                      strstr(s.text, "shop.ndjson:3: request.headers has no "
                                     "X-Shopify-API-Version"),
                  "%s", s.text);
    ck_assert_ptr_null(strstr(s.text, "shop.ndjson:2:"));
    free(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("lint");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, lint_reports_every_bad_cassette_line_and_goes_on);
    tcase_add_test(tc, lint_reports_syntax_errors_with_byte_columns);
    tcase_add_test(tc, lint_reports_every_scenario_problem_by_pointer_and_line);
    tcase_add_test(tc,
                   lint_reports_a_missing_secrets_file_and_a_missing_target);
    tcase_add_test(tc, an_endpoint_without_a_target_is_a_warning_not_a_problem);
    tcase_add_test(tc, a_missing_cassette_is_named_by_the_scenario_pointer);
    tcase_add_test(
        tc, lint_refuses_signature_faults_the_profile_cannot_send_whatever_p);
    tcase_add_test(
        tc, lint_reports_every_problem_of_every_fault_rule_with_its_line);
    tcase_add_test(tc, fault_limits_agree_with_the_plan_and_forms_do_not_mix);
    tcase_add_test(tc, a_probe_that_failed_to_parse_brings_no_follow_on_errors);
    tcase_add_test(tc, scenario_load_names_the_unknown_field);
    tcase_add_test(tc,
                   duplicate_snapshots_default_to_eight_with_collections_only);
    tcase_add_test(tc, same_id_resends_need_a_self_report_to_judge_duplicates);
    tcase_add_test(tc, scenario_version_must_be_known);
    tcase_add_test(tc, scenario_ignores_comment_fields_and_keeps_defaults);
    tcase_add_test(tc, lint_detects_the_kind_by_content_then_extension);
    tcase_add_test(tc, lint_passes_the_bundled_cassette_and_profiles);
    tcase_add_test(
        tc,
        lint_reports_shopify_webhooks_without_the_headers_its_library_needs);
    suite_add_tcase(s, tc);
    return t_run_suite(s);
}
