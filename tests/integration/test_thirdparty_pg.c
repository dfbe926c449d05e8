/* SPDX-License-Identifier: MIT */
/*
 * hookreplay against a database-backed consumer written as applications
 * are (tests/thirdparty/consumer.js: the official stripe library and
 * PostgreSQL through pg), pointed at it as docs/your-consumer.md tells a
 * user: the probe runs psql, the collections map its tables. The
 * database is read again here, so a verdict that disagrees with what the
 * consumer stored fails the test.
 */
#include "pgsupport.h"
#include "support.h"

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define TP HR_SRC_DIR "/tests/thirdparty"
#define CASSETTE HR_SRC_DIR "/fixtures/stripe-lifecycle.ndjson"
#define SECRET "whsec_thirdparty-pg-secret-1"

/* Set by the unchecked fixture in the runner, inherited by each test. */
static struct t_pg pg;

static void pg_start(void)
{
    t_pg_start(&pg);
}

static void pg_stop(void)
{
    t_pg_stop(&pg);
}

/* The probe's argv as JSON, for database db. */
static void probe_argv(char *buf, size_t len, const char *db)
{
    snprintf(buf, len,
             "[\"psql\", \"-X\", \"-q\", \"-A\", \"-t\", \"-v\", "
             "\"ON_ERROR_STOP=1\", \"-h\", \"127.0.0.1\", \"-p\", \"%d\", "
             "\"-U\", \"postgres\", \"-d\", \"%s\", \"-f\", \"%s\"]",
             pg.port, db, TP "/probe.sql");
}

/* What the probe prints, read here without hookreplay. */
static cJSON *db_state(const char *db)
{
    return t_pg_query(&pg, db, TP "/probe.sql");
}

/*
 * Same-id copies of every invoice event, a new-id copy of each customer
 * update, an attacker's forged copy of each payment intent event,
 * subscription events reordered, and one subscription update dropped
 * (a later one carries the whole object again).
 */
static const char faults[] =
    "[{\"match\": {\"type\": \"invoice.*\"},"
    "  \"action\": {\"duplicate\": {\"copies\": 1}}},"
    " {\"match\": {\"type\": \"customer.updated\"},"
    "  \"action\": {\"duplicate\": {\"copies\": 1, \"new_id\": true}}},"
    " {\"match\": {\"type\": \"payment_intent.*\"},"
    "  \"action\": {\"signature\": \"forged\"}},"
    " {\"match\": {\"type\": \"customer.subscription.*\"},"
    "  \"action\": {\"reorder\": {\"window\": 3}}},"
    " {\"match\": {\"seq\": [19, 19]}, \"action\": {\"drop\": {}}}]";

static const char collections[] =
    "[{\"items\": \"/customers\", \"truth\": \"customer\","
    "  \"fields\": {\"/email\": \"/email\", \"/name\": \"/name\"}},"
    " {\"items\": \"/subscriptions\", \"truth\": \"subscription\","
    "  \"fields\": {\"/customer\": \"/customer\", \"/status\": \"/status\","
    "   \"/cancel_at_period_end\": \"/cancel_at_period_end\","
    "   \"/current_period_end\": \"/current_period_end\"}},"
    " {\"items\": \"/invoices\", \"truth\": \"invoice\","
    "  \"fields\": {\"/customer\": \"/customer\", \"/status\": \"/status\","
    "   \"/amount_paid\": \"/amount_paid\"}},"
    " {\"items\": \"/payment_intents\", \"truth\": \"payment_intent\","
    "  \"fields\": {\"/customer\": \"/customer\", \"/status\": \"/status\","
    "   \"/amount\": \"/amount\"}},"
    " {\"items\": \"/charges\", \"truth\": \"charge\","
    "  \"fields\": {\"/status\": \"/status\","
    "   \"/amount_refunded\": \"/amount_refunded\","
    "   \"/refunded\": \"/refunded\"}},"
    " {\"items\": \"/refunds\", \"truth\": \"refund\","
    "  \"fields\": {\"/charge\": \"/charge\", \"/status\": \"/status\","
    "   \"/amount\": \"/amount\"}}]";

/* The scenario for a consumer on url; api_port 0: no mock API. */
static char *scenario(const char *url, const char *db, int api_port,
                      int deadline_ms)
{
    char argv[600], api[100] = "";
    size_t len = 8192;
    char *s = malloc(len);

    ck_assert_ptr_nonnull(s);
    probe_argv(argv, sizeof(argv), db);
    if (api_port)
        snprintf(api, sizeof(api), "\"api\": {\"listen\": \"127.0.0.1:%d\"},",
                 api_port);
    snprintf(s, len,
             "{\"hookreplay\": \"scenario\", \"version\": 1,"
             " \"cassette\": \"%s\", \"seed\": 7,"
             " \"targets\": {\"stripe\": {\"url\": \"%s/webhooks/stripe\","
             "   \"secrets_env\": \"STRIPE_WEBHOOK_SECRET\"}},"
             " \"replay\": {\"pacing\": \"asap\"},"
             " \"faults\": %s, %s"
             " \"hooks\": {\"ready\": {\"http\": \"%s/healthz\"}},"
             " \"probe\": {\"argv\": %s, \"timeout_ms\": 30000,"
             "   \"applied\": {\"counts\": \"/applied\"},"
             "   \"collections\": %s},"
             " \"reconcile\": {\"deadline_ms\": %d},"
             " \"report\": {\"formats\": [\"json\"]}}",
             CASSETTE, url, faults, api, url, argv, collections, deadline_ms);
    return s;
}

/* Starts consumer.js in mode on database db; extra: NULL or --api URL. */
static void consumer_start(struct t_server *s, const char *mode, const char *db,
                           const char *api_url)
{
    char dburl[200], dbenv[260];
    char *env[] = {"STRIPE_WEBHOOK_SECRET=" SECRET, dbenv, NULL};
    char *argv[] = {"node",
                    TP "/consumer.js",
                    "--mode",
                    (char *)mode,
                    "--port",
                    "0",
                    api_url ? "--api" : NULL,
                    (char *)api_url,
                    NULL};

    snprintf(dburl, sizeof(dburl), "postgres://postgres@127.0.0.1:%d/%s",
             pg.port, db);
    snprintf(dbenv, sizeof(dbenv), "DATABASE_URL=%s", dburl);
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
    char *env[] = {"STRIPE_WEBHOOK_SECRET=" SECRET, NULL};

    return t_run_judged(scen, env, code);
}

/* Extra applications in the database's own ledger, recorded ids only. */
static int ledger_extras(const cJSON *state, int *canaries, int *ids)
{
    const cJSON *it;
    int extra = 0;

    *canaries = *ids = 0;
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(state, "applied"))
    {
        (*ids)++;
        *canaries += strstr(it->string, "cnry") != NULL;
        if (!strstr(it->string, "_dup"))
            extra += (int)it->valuedouble - 1;
    }
    return extra;
}

static const char *row_field(const cJSON *state, const char *table,
                             const char *id, const char *field)
{
    const cJSON *row;

    cJSON_ArrayForEach(row, cJSON_GetObjectItem(state, table))
    {
        const cJSON *v = cJSON_GetObjectItem(row, "id");

        if (cJSON_IsString(v) && strcmp(v->valuestring, id) == 0) {
            v = cJSON_GetObjectItem(row, field);
            return cJSON_IsString(v) ? v->valuestring : "";
        }
    }
    return NULL;
}

static void assert_check(const cJSON *res, const char *name, const char *want)
{
    ck_assert_msg(strcmp(t_check_result(res, name), want) == 0,
                  "%s: %s, want %s: %s", name, t_check_result(res, name), want,
                  cJSON_PrintUnformatted(t_check(res, name)));
}

START_TEST(careful_postgres_consumer_passes_every_check)
{
    struct t_server s;
    char api_url[64], *scen;
    int api_port = t_unused_port(), code, canaries, ids;
    cJSON *res, *st;

    t_pg_createdb(&pg, "careful");
    snprintf(api_url, sizeof(api_url), "http://127.0.0.1:%d", api_port);
    consumer_start(&s, "careful", "careful", api_url);
    scen = scenario(s.url, "careful", api_port, 30000);
    res = run(scen, &code);
    ck_assert_msg(code == 0, "careful failed: %s",
                  cJSON_PrintUnformatted(cJSON_GetObjectItem(res, "checks")));
    assert_check(res, "max_forged_accepted", "pass");
    assert_check(res, "max_duplicates_processed", "pass");
    assert_check(res, "require_consistent", "pass");
    ck_assert_int_gt(t_json_num(res, "totals.forged_sent"), 0);
    ck_assert_int_eq(t_json_num(res, "totals.forged_accepted"), 0);
    ck_assert_int_eq(t_json_num(res, "totals.forged_acknowledged"), 0);
    ck_assert_int_eq(t_json_num(res, "totals.duplicates_processed"), 0);
    /* every same-id copy covered by the self-report, none processed */
    ck_assert_int_eq(t_json_num(res, "totals.duplicates_covered"),
                     t_json_num(res, "totals.duplicates_sent"));
    ck_assert_int_eq(t_json_num(res, "totals.dropped"), 1);
    /* it refetched every object from the mock API */
    ck_assert_int_ge(t_json_num(res, "api.calls"), 30);
    consumer_stop(&s, "careful");

    st = db_state("careful");
    ck_assert_int_eq(ledger_extras(st, &canaries, &ids), 0);
    ck_assert_int_eq(canaries, 0);
    /* 30 delivered events and 2 new-id copies, each recorded once */
    ck_assert_int_eq(ids, 32);
    ck_assert_str_eq(row_field(st, "customers", "cus_6lsBvm5rJ0zyHc", "name"),
                     "Michael Smith");
    ck_assert_str_eq(row_field(st, "subscriptions",
                               "sub_fakefakefakefakefake0001", "status"),
                     "canceled");
    ck_assert_str_eq(
        row_field(st, "invoices", "in_fakefakefakefakefake0002", "status"),
        "paid");
    cJSON_Delete(st);
    cJSON_Delete(res);
    free(scen);
}
END_TEST

START_TEST(naive_postgres_consumer_fails_on_duplicates_not_on_forgeries)
{
    struct t_server s;
    char *scen;
    int code, canaries, ids, extras;
    const cJSON *dup;
    cJSON *res, *st;

    t_pg_createdb(&pg, "naive");
    consumer_start(&s, "naive", "naive", NULL);
    /* it never reconciles: a short wait for consistency is enough */
    scen = scenario(s.url, "naive", 0, 3000);
    res = run(scen, &code);
    consumer_stop(&s, "naive");
    ck_assert_int_eq(code, 1);
    /* it verifies signatures, so forgeries are neither acknowledged nor
     * accepted */
    assert_check(res, "max_forged_accepted", "pass");
    ck_assert_int_gt(t_json_num(res, "totals.forged_sent"), 0);
    ck_assert_int_eq(t_json_num(res, "totals.forged_acknowledged"), 0);
    assert_check(res, "max_duplicates_processed", "fail");
    dup = t_check(res, "max_duplicates_processed");
    ck_assert_ptr_nonnull(strstr(
        cJSON_GetObjectItem(dup, "evidence")->valuestring, "self-report"));

    /* the verdict is what the database holds: each of the 8 invoice
     * events applied twice, nothing forged */
    st = db_state("naive");
    extras = ledger_extras(st, &canaries, &ids);
    ck_assert_int_eq(extras, 8);
    ck_assert_int_eq(canaries, 0);
    ck_assert_int_eq(t_json_num(dup, "value"), extras);
    ck_assert_int_eq(t_json_num(res, "totals.duplicates_processed"), extras);
    cJSON_Delete(st);
    cJSON_Delete(res);
    free(scen);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("thirdparty_pg");
    TCase *tc = tcase_create("postgres");

    tcase_add_unchecked_fixture(tc, pg_start, pg_stop);
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, careful_postgres_consumer_passes_every_check);
    tcase_add_test(
        tc, naive_postgres_consumer_fails_on_duplicates_not_on_forgeries);
    suite_add_tcase(s, tc);
    return t_run_suite(s);
}
