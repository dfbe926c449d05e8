/* SPDX-License-Identifier: MIT */
/*
 * hookreplay against a GitHub consumer written as applications are
 * (tests/thirdparty/github-consumer.mjs: the official @octokit/webhooks
 * middleware and PostgreSQL through pg), pointed at it as
 * docs/your-consumer.md tells a user: a cassette imported from GitHub's
 * payload examples, a psql probe whose self-report counts effects per
 * delivery id. The database is read again here, so a verdict that
 * disagrees with what the consumer stored fails the test.
 */
#include "cassette.h"
#include "pgsupport.h"
#include "support.h"

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define TP HR_SRC_DIR "/tests/thirdparty"
#define PAYLOADS HR_SRC_DIR "/tests/data/github-payloads"
#define PROBE TP "/github-probe.sql"
#define SECRET "thirdparty-github-secret-1"

/* Set by the unchecked fixture in the runner, inherited by each test;
 * the cassette is imported into the cluster's scratch folder. */
static struct t_pg pg;
static char cassette[300];

/* The event folders the consumer handles, imported with hookreplay's
 * own importer from a folder of links to GitHub's examples. */
static void import_cassette(void)
{
    static const char *const events[] = {"issues", "issue_comment",
                                         "pull_request"};
    char dir[300], from[300], to[400];
    char *argv[] = {HR_BIN, "import", "github", dir, "-o", cassette, NULL};
    struct t_result r;
    size_t i;

    snprintf(dir, sizeof(dir), "%s/payloads", pg.work);
    snprintf(cassette, sizeof(cassette), "%s/github.ndjson", pg.work);
    if (mkdir(dir, 0755))
        abort();
    for (i = 0; i < 3; i++) {
        snprintf(from, sizeof(from), "%s/%s", PAYLOADS, events[i]);
        snprintf(to, sizeof(to), "%s/%s", dir, events[i]);
        if (symlink(from, to))
            abort();
    }
    if (t_run(&r, argv, NULL, NULL, 60000) || r.exit_code != 0) {
        fprintf(stderr, "import github: %s\n", r.err ? r.err : "");
        abort();
    }
    t_result_free(&r);
}

/* Starts the cluster (its watcher stops it if this runner dies) and
 * imports the cassette. */
static void pg_start(void)
{
    t_pg_start(&pg);
    import_cassette();
}

static void pg_stop(void)
{
    t_pg_stop(&pg);
}

/* What the probe prints, read here without hookreplay. */
static cJSON *db_state(const char *db)
{
    return t_pg_query(&pg, db, PROBE);
}

/* Events of the cassette whose type starts with prefix. */
static int count_type(const char *prefix)
{
    struct hr_err err = {0, ""};
    struct hr_cassette_reader *rd = hr_cassette_open(cassette, &err);
    struct hr_interaction it;
    int n = 0;

    ck_assert_msg(rd != NULL, "%s", err.msg);
    hr_interaction_init(&it);
    while (hr_cassette_next(rd, &it, &err) == 1)
        n +=
            it.has_event && strncmp(it.event.type, prefix, strlen(prefix)) == 0;
    hr_interaction_clear(&it);
    hr_cassette_close(rd);
    return n;
}

/*
 * Same-id copies of every issue and comment delivery (GitHub's
 * "Redeliver" keeps X-GitHub-Delivery), and an attacker's request beside
 * each pull request delivery of four kinds: every signature fault
 * GitHub's scheme can express.
 */
static const char faults[] =
    "[{\"match\": {\"type\": \"issues.*\"},"
    "  \"action\": {\"duplicate\": {\"copies\": 1}}},"
    " {\"match\": {\"type\": \"issue_comment.*\"},"
    "  \"action\": {\"duplicate\": {\"copies\": 1}}},"
    " {\"match\": {\"type\": \"pull_request.opened\"},"
    "  \"action\": {\"signature\": \"forged\"}},"
    " {\"match\": {\"type\": \"pull_request.closed\"},"
    "  \"action\": {\"signature\": \"tampered\"}},"
    " {\"match\": {\"type\": \"pull_request.labeled\"},"
    "  \"action\": {\"signature\": \"wrong_scheme\"}},"
    " {\"match\": {\"type\": \"pull_request.locked\"},"
    "  \"action\": {\"signature\": \"missing\"}}]";

static const char forged_types[][24] = {
    "pull_request.opened", "pull_request.closed", "pull_request.labeled",
    "pull_request.locked"};

/* The scenario for a consumer on url (NULL: nothing listens), database
 * db, with these fault rules. */
static char *scenario(const char *url, const char *db, const char *rules)
{
    size_t len = 8192;
    char *s = malloc(len), hooks[300] = "";

    ck_assert_ptr_nonnull(s);
    if (url)
        snprintf(hooks, sizeof(hooks),
                 " \"hooks\": {\"ready\": {\"http\": \"%s/healthz\"}},", url);
    snprintf(s, len,
             "{\"hookreplay\": \"scenario\", \"version\": 1,"
             " \"cassette\": \"%s\", \"seed\": 11,"
             " \"targets\": {\"github\": {\"url\": \"%s/webhooks/github\","
             "   \"secrets_env\": \"GITHUB_WEBHOOK_SECRET\"}},"
             " \"replay\": {\"pacing\": \"asap\"},"
             " \"faults\": %s,%s"
             " \"probe\": {\"argv\": [\"psql\", \"-X\", \"-q\", \"-A\","
             "   \"-t\", \"-v\", \"ON_ERROR_STOP=1\", \"-h\", \"127.0.0.1\","
             "   \"-p\", \"%d\", \"-U\", \"postgres\", \"-d\", \"%s\","
             "   \"-f\", \"%s\"], \"timeout_ms\": 30000,"
             "   \"applied\": {\"counts\": \"/applied\"}},"
             " \"report\": {\"formats\": [\"json\"]}}",
             cassette, url ? url : "http://127.0.0.1:9", rules, hooks, pg.port,
             db, PROBE);
    return s;
}

/* Starts github-consumer.mjs in mode on database db. */
static void consumer_start(struct t_server *s, const char *mode, const char *db)
{
    char dbenv[260];
    char *env[] = {"GITHUB_WEBHOOK_SECRET=" SECRET, dbenv, NULL};
    char *argv[] = {"node",   TP "/github-consumer.mjs",
                    "--mode", (char *)mode,
                    "--port", "0",
                    NULL};

    snprintf(dbenv, sizeof(dbenv),
             "DATABASE_URL=postgres://postgres@127.0.0.1:%d/%s", pg.port, db);
    ck_assert_msg(t_server_start(s, argv, env, 30000) == 0,
                  "the %s consumer did not start: run "
                  "tests/thirdparty/setup.sh",
                  mode);
    t_pg_consumer_started(&pg, s, mode);
}

static void consumer_stop(struct t_server *s, const char *mode)
{
    t_pg_consumer_stop(&pg, s, mode);
}

/* Runs the scenario; returns result.json, the exit code in *code. */
static cJSON *run(const char *scen, int *code)
{
    char *env[] = {"GITHUB_WEBHOOK_SECRET=" SECRET, NULL};

    return t_run_judged(scen, env, code);
}

/* Extra applications in the database's own activity table. */
static int activity_extras(const cJSON *state, int *canaries, int *ids)
{
    const cJSON *it;
    int extra = 0;

    *canaries = *ids = 0;
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(state, "applied"))
    {
        (*ids)++;
        *canaries += strstr(it->string, "cnry") != NULL;
        extra += (int)it->valuedouble - 1;
    }
    return extra;
}

/* Comments counted over every issue row. */
static int comments_seen(const cJSON *state)
{
    const cJSON *row;
    int n = 0;

    cJSON_ArrayForEach(row, cJSON_GetObjectItem(state, "issues")) n +=
        (int)cJSON_GetObjectItem(row, "comments_seen")->valuedouble;
    return n;
}

static void assert_check(const cJSON *res, const char *name, const char *want)
{
    ck_assert_msg(strcmp(t_check_result(res, name), want) == 0,
                  "%s: %s, want %s: %s", name, t_check_result(res, name), want,
                  cJSON_PrintUnformatted(t_check(res, name)));
}

/* What both modes must show: octokit refused every attacker's request
 * (400, never 2xx) and answered the ping. */
static void assert_forgeries_refused(const cJSON *res)
{
    int forged = 0;
    size_t i;

    for (i = 0; i < sizeof(forged_types) / sizeof(forged_types[0]); i++)
        forged += count_type(forged_types[i]);
    ck_assert_int_gt(forged, 4);
    assert_check(res, "max_forged_accepted", "pass");
    assert_check(res, "handshake", "pass");
    ck_assert_int_eq(t_json_num(res, "totals.forged_sent"), forged);
    ck_assert_int_eq(t_json_num(res, "totals.forged_acknowledged"), 0);
    ck_assert_int_eq(t_json_num(res, "totals.forged_accepted"), 0);
    ck_assert_int_eq(t_json_num(res, "totals.status_counts.400"), forged);
}

START_TEST(careful_github_consumer_passes_every_check)
{
    struct t_server s;
    char *scen;
    int code, canaries, ids;
    cJSON *res, *st;

    t_pg_createdb(&pg, "careful");
    consumer_start(&s, "careful", "careful");
    scen = scenario(s.url, "careful", faults);
    res = run(scen, &code);
    consumer_stop(&s, "careful");
    ck_assert_msg(code == 0, "careful failed: %s",
                  cJSON_PrintUnformatted(cJSON_GetObjectItem(res, "checks")));
    assert_forgeries_refused(res);
    assert_check(res, "max_duplicates_processed", "pass");
    ck_assert_int_eq(t_json_num(res, "totals.duplicates_processed"), 0);
    ck_assert_int_eq(t_json_num(res, "totals.duplicates_sent"),
                     count_type("issues.") + count_type("issue_comment."));
    /* the self-report covers every same-id copy */
    ck_assert_int_eq(t_json_num(res, "totals.duplicates_covered"),
                     t_json_num(res, "totals.duplicates_sent"));

    /* every delivery applied once, nothing forged, each new comment
     * counted once */
    st = db_state("careful");
    ck_assert_int_eq(activity_extras(st, &canaries, &ids), 0);
    ck_assert_int_eq(canaries, 0);
    ck_assert_int_eq(ids, t_json_num(res, "totals.events"));
    ck_assert_int_eq(comments_seen(st), count_type("issue_comment.created"));
    ck_assert_int_gt(cJSON_GetArraySize(cJSON_GetObjectItem(st, "issues")), 0);
    ck_assert_int_gt(
        cJSON_GetArraySize(cJSON_GetObjectItem(st, "pull_requests")), 0);
    cJSON_Delete(st);
    cJSON_Delete(res);
    free(scen);
}
END_TEST

START_TEST(naive_github_consumer_fails_on_duplicates_not_on_forgeries)
{
    struct t_server s;
    char *scen;
    int code, canaries, ids, extras;
    const cJSON *dup;
    cJSON *res, *st;

    t_pg_createdb(&pg, "naive");
    consumer_start(&s, "naive", "naive");
    scen = scenario(s.url, "naive", faults);
    res = run(scen, &code);
    consumer_stop(&s, "naive");
    ck_assert_int_eq(code, 1);
    /* octokit verifies, so forgeries are neither acknowledged nor
     * accepted */
    assert_forgeries_refused(res);
    assert_check(res, "max_duplicates_processed", "fail");
    dup = t_check(res, "max_duplicates_processed");
    ck_assert_str_eq(cJSON_GetObjectItem(dup, "evidence")->valuestring,
                     "self-report");

    /* the verdict is what the database holds: every copy applied again,
     * every new comment counted twice, nothing forged */
    st = db_state("naive");
    extras = activity_extras(st, &canaries, &ids);
    ck_assert_int_eq(extras,
                     count_type("issues.") + count_type("issue_comment."));
    ck_assert_int_eq(canaries, 0);
    ck_assert_int_eq(ids, t_json_num(res, "totals.events"));
    ck_assert_int_eq(t_json_num(dup, "value"), extras);
    ck_assert_int_eq(t_json_num(res, "totals.duplicates_processed"), extras);
    ck_assert_int_eq(comments_seen(st),
                     2 * count_type("issue_comment.created"));
    cJSON_Delete(st);
    cJSON_Delete(res);
    free(scen);
}
END_TEST

/* GitHub signs no timestamp: a stale rule is refused before anything is
 * sent, by lint and run alike. */
START_TEST(stale_signatures_are_refused_for_github)
{
    static const char stale[] =
        "[{\"match\": {\"type\": \"pull_request.opened\"},"
        "  \"action\": {\"signature\": \"stale\"}}]";
    char *env[] = {"GITHUB_WEBHOOK_SECRET=" SECRET, NULL};
    char *scen = scenario(NULL, "none", stale), *out, path[1100];
    char *lint[] = {HR_BIN, "lint", path, NULL};
    struct t_result r;

    out = t_run_scenario(&r, scen, env, 60000);
    ck_assert_int_eq(r.exit_code, 2);
    ck_assert_msg(strstr(r.err, "stale") != NULL, "%s", r.err);
    t_result_free(&r);
    snprintf(path, sizeof(path), "%.*s/scenario.json", (int)(strlen(out) - 4),
             out);
    ck_assert_int_eq(t_run(&r, lint, NULL, NULL, 60000), 0);
    ck_assert_int_eq(r.exit_code, 2);
    ck_assert_msg(strstr(r.out, "stale") || strstr(r.err, "stale"), "%s%s",
                  r.out, r.err);
    t_result_free(&r);
    free(out);
    free(scen);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("thirdparty_github");
    TCase *tc = tcase_create("postgres");

    tcase_add_unchecked_fixture(tc, pg_start, pg_stop);
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, careful_github_consumer_passes_every_check);
    tcase_add_test(tc,
                   naive_github_consumer_fails_on_duplicates_not_on_forgeries);
    tcase_add_test(tc, stale_signatures_are_refused_for_github);
    suite_add_tcase(s, tc);
    return t_run_suite(s);
}
