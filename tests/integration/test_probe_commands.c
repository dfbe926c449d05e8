/* SPDX-License-Identifier: MIT */
/*
 * Probe and hook commands as a user writes them: scripts beside the
 * scenario, named by relative paths, run in the scenario's folder
 * whatever the working directory; a failing one is reported with why.
 */
#include "support.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define STRIPE_CASSETTE HR_SRC_DIR "/fixtures/stripe-lifecycle.ndjson"
#define SECRET "HOOKREPLAY_SECRET=whsec_cHJvYmUtY29tbWFuZHMtdGVzdA=="

static char *env_secret[] = {SECRET, NULL};

/* Prints the body of GET argv[2] (a state endpoint on 127.0.0.1). */
static const char state_js[] =
    "const http = require('node:http');\n"
    "http.get(process.argv[2], (r) => {\n"
    "  let b = '';\n"
    "  r.on('data', (c) => { b += c; });\n"
    "  r.on('end', () => { process.stdout.write(b); });\n"
    "}).on('error', (e) => { console.error(e.message); process.exit(1); });\n";

/* Writes name in dir with text. */
static void put(const char *dir, const char *name, const char *text)
{
    char path[600];

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    ck_assert_int_eq(t_write_file(path, text, strlen(text)), 0);
}

/* Runs dir/scenario.json (written from json) from the test's own working
 * directory, elsewhere; returns result.json. */
static cJSON *run_in(const char *dir, const char *json)
{
    struct t_result r;
    char *out = t_run_scenario_in(&r, dir, json, env_secret, 120000);
    cJSON *res;

    ck_assert_msg(r.exit_code <= 1, "run: exit %d: %s", r.exit_code, r.err);
    t_result_free(&r);
    res = t_read_result(out);
    free(out);
    return res;
}

START_TEST(probe_and_hook_scripts_run_in_the_scenario_folder)
{
    char *dir = t_tmpdir(), json[4096], cwd[600], flag[700];
    struct t_server s;
    cJSON *res;

    ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
    ck_assert_str_ne(cwd, dir);
    put(dir, "state.js", state_js);
    put(dir, "reset.sh", "echo ran > reset-ran\n");
    t_target_start(&s, "correct", "stripe", NULL, env_secret);
    snprintf(json, sizeof(json),
             "{\"hookreplay\":\"scenario\",\"version\":1,"
             "\"cassette\":\"%s\",\"seed\":3,"
             "\"targets\":{\"stripe\":{\"url\":\"%s/webhooks/stripe\"}},"
             "\"replay\":{\"pacing\":\"asap\",\"retry_time_scale\":0},"
             "\"faults\":[{\"match\":{\"p\":0.3},\"action\":{\"duplicate\":"
             "{\"copies\":1}}}],"
             "\"probe\":{\"argv\":[\"node\",\"state.js\",\"%s/__state\"],"
             "\"timeout_ms\":30000,\"applied\":{\"counts\":\"/applied\"}},"
             "\"hooks\":{\"reset\":{\"argv\":[\"sh\",\"reset.sh\"]}}}",
             STRIPE_CASSETTE, s.url, s.url);
    res = run_in(dir, json);
    /* the probe read the state: the duplicate check was measured */
    ck_assert_msg(
        !cJSON_GetObjectItem(cJSON_GetObjectItem(res, "totals"), "probe_error"),
        "%s", cJSON_PrintUnformatted(res));
    ck_assert_str_eq(t_check_result(res, "max_duplicates_processed"), "pass");
    /* the hook wrote its file beside the scenario */
    snprintf(flag, sizeof(flag), "%s/reset-ran", dir);
    ck_assert_msg(access(flag, F_OK) == 0, "the reset hook did not run there");
    cJSON_Delete(res);
    t_server_stop(&s);
    free(dir);
}
END_TEST

/* The probe error of a run whose probe is argv_json; it must have one. */
static char *probe_error(const char *argv_json)
{
    char *dir = t_tmpdir(), json[4096], *msg;
    struct t_server s;
    cJSON *res;
    const cJSON *e;

    t_target_start(&s, "correct", "stripe", NULL, env_secret);
    snprintf(json, sizeof(json),
             "{\"hookreplay\":\"scenario\",\"version\":1,"
             "\"cassette\":\"%s\","
             "\"targets\":{\"stripe\":{\"url\":\"%s/webhooks/stripe\"}},"
             "\"replay\":{\"pacing\":\"asap\"},"
             "\"faults\":[{\"match\":{\"p\":0.2},\"action\":{\"signature\":"
             "\"forged\"}}],"
             "\"probe\":{\"argv\":%s,\"after_ms\":0}}",
             STRIPE_CASSETTE, s.url, argv_json);
    res = run_in(dir, json);
    e = cJSON_GetObjectItem(cJSON_GetObjectItem(res, "totals"), "probe_error");
    ck_assert_msg(cJSON_IsString(e), "no probe error");
    msg = strdup(e->valuestring);
    /* a configured probe that failed fails the check it was for */
    ck_assert_str_eq(t_check_result(res, "max_forged_accepted"),
                     "not_measured");
    ck_assert_int_eq(t_json_num(res, "exit_code"), 1);
    cJSON_Delete(res);
    t_server_stop(&s);
    free(dir);
    return msg;
}

START_TEST(a_failing_probe_command_says_how_it_failed)
{
    char *m = probe_error("[\"sh\",\"-c\",\"exit 3\"]");

    ck_assert_msg(strstr(m, "probe command sh: exit status 3"), "%s", m);
    free(m);
    m = probe_error("[\"hookreplay-no-such-probe\"]");
    ck_assert_msg(strstr(m, "cannot be run"), "%s", m);
    free(m);
    m = probe_error("[\"sh\",\"-c\",\"kill -9 $$\"]");
    ck_assert_msg(strstr(m, "killed by signal 9"), "%s", m);
    free(m);
}
END_TEST

START_TEST(consistency_is_not_measured_when_no_probe_reads_the_state)
{
    char *dir = t_tmpdir(), json[4096];
    struct t_server s;
    const cJSON *c, *note;
    cJSON *res;

    t_target_start(&s, "correct", "stripe", NULL, env_secret);
    snprintf(json, sizeof(json),
             "{\"hookreplay\":\"scenario\",\"version\":1,"
             "\"cassette\":\"%s\","
             "\"targets\":{\"stripe\":{\"url\":\"%s/webhooks/stripe\"}},"
             "\"replay\":{\"pacing\":\"asap\"},"
             "\"probe\":{\"argv\":[\"cat\",\"missing-state.json\"],"
             "\"after_ms\":0,\"collections\":[{\"items\":\"/objects\","
             "\"truth\":\"*\",\"fields\":{\"/status\":\"/status\"}}]},"
             "\"reconcile\":{\"deadline_ms\":1000,\"interval_ms\":100}}",
             STRIPE_CASSETTE, s.url);
    res = run_in(dir, json);
    /* not a mismatch: nothing was compared; asked for, so it fails */
    c = t_check(res, "require_consistent");
    ck_assert_str_eq(t_check_result(res, "require_consistent"), "not_measured");
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(c, "required")));
    note = cJSON_GetObjectItem(c, "note");
    ck_assert_msg(cJSON_IsString(note) &&
                      strstr(note->valuestring, "no probe read the state") &&
                      strstr(note->valuestring, "exit status 1"),
                  "%s", cJSON_PrintUnformatted(c));
    ck_assert_int_eq(t_json_num(res, "exit_code"), 1);
    cJSON_Delete(res);
    t_server_stop(&s);
    free(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("probe_commands");
    TCase *tc = tcase_create("commands");

    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, probe_and_hook_scripts_run_in_the_scenario_folder);
    tcase_add_test(tc, a_failing_probe_command_says_how_it_failed);
    tcase_add_test(tc,
                   consistency_is_not_measured_when_no_probe_reads_the_state);
    suite_add_tcase(s, tc);
    return t_run_suite(s);
}
