/* SPDX-License-Identifier: MIT */
/*
 * Reconciliation against the reference consumers, with the mock provider
 * API in the run: naive fails on reorder and drop; the "webhook then
 * fetch" consumer survives reordering, not drops; the polling consumer
 * survives both, consistent within about its polling interval; the
 * SQLite backfill consumer is consistent once the reconcile hook ran;
 * and a consumer that never converges ends the run on time, naming the
 * objects that stayed wrong.
 */
#include "support.h"

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define STRIPE_CASSETTE HR_SRC_DIR "/fixtures/stripe-lifecycle.ndjson"

static char *env[] = {"HOOKREPLAY_SECRET=whsec_cmVjb24tdGVzdHMtMQ==",
                      "HOOKREPLAY_API_KEY=sk_test_reconcile", NULL};

#define REORDER "{\"action\":{\"reorder\":{\"window\":4}}}"
#define DROP "{\"match\":{\"p\":0.25},\"action\":{\"drop\":{}}}"
#define DELAY                                                                  \
    "{\"match\":{\"p\":0.5},\"action\":{\"delay\":{\"min_ms\":0,"              \
    "\"max_ms\":600}}}"

/* Reference consumers keep objects keyed by id, fields by Stripe name. */
#define STATE_PROBE                                                            \
    "\"probe\":{\"http\":\"%s/__state\",\"applied\":{\"counts\":"              \
    "\"/applied\"},\"collections\":[{\"items\":\"/objects\",\"truth\":"        \
    "\"*\",\"fields\":{\"/status\":\"/status\",\"/email\":\"/email\","         \
    "\"/deleted\":\"/deleted\"},\"deleted\":\"flag\"}]}"

static void start_target(struct t_server *s, const char *mode, int api_port,
                         const char *db)
{
    char api[64];
    char *extra[] = {"--api",    api, "--poll-ms", "200", db ? "--db" : NULL,
                     (char *)db, NULL};

    snprintf(api, sizeof(api), "http://127.0.0.1:%d", api_port);
    t_target_start(s, mode, "stripe", extra, env);
}

struct outcome {
    int exit_code;
    double secs;
    cJSON *result;
};

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Extra members of the scenario's "api" (",\"faults\":[...]"), per test. */
static const char *api_extra = "";

/* Replays at 20x with faults, the API on api_port, probe and hooks. */
static struct outcome replay(int api_port, const char *target_url,
                             const char *faults, const char *probe_and_hooks,
                             int deadline_ms)
{
    char *dir = t_tmpdir(), path[1200], out[600], json[8192];
    char *argv[] = {HR_BIN, "run", path, "--out", out, "--quiet", NULL};
    struct t_result r;
    struct outcome o;
    double t0;

    snprintf(path, sizeof(path), "%s/s.json", dir);
    snprintf(out, sizeof(out), "%s/out", dir);
    snprintf(json, sizeof(json),
             "{\"hookreplay\":\"scenario\",\"version\":1,\"cassette\":"
             "\"%s\",\"seed\":5,\"targets\":{\"stripe\":{\"url\":"
             "\"%s/webhooks/"
             "stripe\"}},\"replay\":{\"pacing\":\"recorded\",\"speed\":20,"
             "\"retry_time_scale\":0},\"faults\":[%s],"
             "\"api\":{\"listen\":\"127.0.0.1:%d\"%s},%s,"
             "\"reconcile\":{\"deadline_ms\":%d,\"interval_ms\":100,"
             "\"stable_probes\":3}}",
             STRIPE_CASSETTE, target_url, faults, api_port, api_extra,
             probe_and_hooks, deadline_ms);
    ck_assert_int_eq(t_write_file(path, json, strlen(json)), 0);
    t0 = now_s();
    ck_assert_int_eq(t_run(&r, argv, env, NULL, 120000), 0);
    o.secs = now_s() - t0;
    o.exit_code = r.exit_code;
    ck_assert_msg(r.exit_code <= 1, "run: %s", r.err);
    t_result_free(&r);
    o.result = t_read_result(out);
    free(dir);
    return o;
}

static struct outcome run_mode(const char *mode, const char *faults)
{
    int api = t_unused_port();
    struct t_server s;
    struct outcome o;
    char probe[1024];

    start_target(&s, mode, api, NULL);
    snprintf(probe, sizeof(probe), STATE_PROBE, s.url);
    o = replay(api, s.url, faults, probe, 3000);
    t_server_stop(&s);
    return o;
}

static int consistent(const struct outcome *o)
{
    return cJSON_IsTrue(cJSON_GetObjectItem(
        cJSON_GetObjectItem(o->result, "reconciliation"), "consistent"));
}

START_TEST(naive_fails_on_reorder_and_on_drop)
{
    struct outcome a = run_mode("naive", REORDER);
    struct outcome b = run_mode("naive", DROP);

    ck_assert(!consistent(&a));
    ck_assert_str_eq(t_check_result(a.result, "require_consistent"), "fail");
    ck_assert(t_json_num(a.result, "reconciliation.stale") > 0);
    /* the naive consumer's own account shows the inversions */
    ck_assert(t_json_num(a.result, "reconciliation.out_of_order") > 0);
    ck_assert(!consistent(&b));
    ck_assert(t_json_num(b.result, "reconciliation.lost_events") > 0);
    ck_assert_int_eq(t_json_num(b.result, "reconciliation.recovered"), 0);
    cJSON_Delete(a.result);
    cJSON_Delete(b.result);
}
END_TEST

START_TEST(delays_leave_naive_stale_and_correct_consistent)
{
    struct outcome n = run_mode("naive", DELAY);
    struct outcome c = run_mode("correct", DELAY);

    ck_assert(!consistent(&n));
    ck_assert(t_json_num(n.result, "reconciliation.out_of_order") > 0);
    ck_assert(consistent(&c));
    ck_assert_int_eq(c.exit_code, 0);
    cJSON_Delete(n.result);
    cJSON_Delete(c.result);
}
END_TEST

START_TEST(events_applied_twice_are_named_per_event)
{
    struct outcome n =
        run_mode("naive", "{\"match\":{\"type\":\"invoice.*\"},\"action\":"
                          "{\"duplicate\":{\"copies\":1}}}");
    const cJSON *many =
        cJSON_GetObjectItem(cJSON_GetObjectItem(n.result, "reconciliation"),
                            "applied_more_than_once");

    ck_assert_int_gt(cJSON_GetArraySize(many), 0);
    ck_assert_int_eq(t_json_num(cJSON_GetArrayItem(many, 0), "times"), 2);
    cJSON_Delete(n.result);
}
END_TEST

START_TEST(fetcher_passes_reorder_and_fails_drop)
{
    struct outcome a = run_mode("fetcher", REORDER);
    struct outcome b = run_mode("fetcher", DROP);

    ck_assert(consistent(&a));
    ck_assert_str_eq(t_check_result(a.result, "require_consistent"), "pass");
    ck_assert(!consistent(&b));
    ck_assert(t_json_num(b.result, "reconciliation.lost_events") > 0);
    cJSON_Delete(a.result);
    cJSON_Delete(b.result);
}
END_TEST

START_TEST(polling_consumer_passes_both_within_its_interval)
{
    struct outcome a = run_mode("correct", REORDER "," DROP);

    ck_assert(consistent(&a));
    ck_assert_int_eq(a.exit_code, 0);
    /* polls every 200 ms, probes every 100 ms: converged well before the
     * 3 s deadline (700 ms on a quiet machine; room for a loaded one) */
    ck_assert_msg(t_json_num(a.result, "reconciliation.stable_match_ms") <=
                      2000,
                  "stable after %.0f ms",
                  t_json_num(a.result, "reconciliation.stable_match_ms"));
    ck_assert(t_json_num(a.result, "reconciliation.recovered") > 0);
    ck_assert_int_eq(t_json_num(a.result, "reconciliation.lost_events"), 0);
    {
        const cJSON *r = cJSON_GetArrayItem(
            cJSON_GetObjectItem(cJSON_GetObjectItem(a.result, "reconciliation"),
                                "recovered_events"),
            0);

        /* the polling consumer learned of it from the event list */
        ck_assert_ptr_nonnull(r);
        ck_assert_str_eq(cJSON_GetObjectItem(r, "via")->valuestring,
                         "event list or event fetch");
        ck_assert(t_json_num(r, "served_at_ms") >= 0);
    }
    /* the journal saw the target poll the event list */
    ck_assert_ptr_nonnull(cJSON_GetObjectItem(a.result, "api"));
    cJSON_Delete(a.result);
}
END_TEST

START_TEST(polling_consumer_waits_out_the_apis_retry_after)
{
    struct outcome a;

    /* the first two polls of the event list are throttled for 1 s */
    api_extra = ",\"faults\":[{\"match\":{\"route\":\"/v1/events\","
                "\"calls\":[1,2]},\"action\":{\"status\":429,"
                "\"retry_after_s\":1}}]";
    a = run_mode("correct", DROP);
    ck_assert_int_ge(t_json_num(a.result, "api.retry_after.given"), 1);
    ck_assert_int_eq(t_json_num(a.result, "api.retry_after.violated"), 0);
    ck_assert(consistent(&a));
    cJSON_Delete(a.result);
    api_extra = "";
}
END_TEST

START_TEST(backfill_consumer_is_consistent_once_the_hook_ran)
{
    int api = t_unused_port();
    char *dir = t_tmpdir(), db[600], probe[2048];
    struct t_server s;
    struct outcome a, b;

    snprintf(db, sizeof(db), "%s/billing.db", dir);
    start_target(&s, "backfill", api, db);
    /* Its own tables and columns, read by a command; no event ids. */
    snprintf(probe, sizeof(probe),
             "\"probe\":{\"argv\":[\"sqlite3\",\"%s\","
             "\"select json_object('customers',(select json_group_array("
             "json_object('ref',cust_ref,'mail',mail,'gone',is_gone)) from "
             "billing_customers),'subs',(select json_group_array("
             "json_object('ref',sub_ref,'state',state,'gone',is_gone)) from "
             "billing_subs))\"],\"collections\":["
             "{\"items\":\"/customers\",\"id\":\"/ref\",\"truth\":"
             "\"customer\",\"fields\":{\"/mail\":\"/email\"},\"deleted\":"
             "{\"field\":\"/gone\"}},"
             "{\"items\":\"/subs\",\"id\":\"/ref\",\"truth\":"
             "\"subscription\",\"fields\":{\"/state\":\"/status\"},"
             "\"deleted\":{\"field\":\"/gone\"}}]}",
             db);
    a = replay(api, s.url, DROP, probe, 1500);
    ck_assert(!consistent(&a));
    {
        char hooked[2600];

        snprintf(hooked, sizeof(hooked),
                 "%s,\"hooks\":{\"reconcile\":{\"http_post\":"
                 "\"%s/admin/backfill\"}}",
                 probe, s.url);
        b = replay(api, s.url, DROP, hooked, 5000);
    }
    ck_assert_msg(consistent(&b), "%s",
                  cJSON_PrintUnformatted(
                      cJSON_GetObjectItem(b.result, "reconciliation")));
    t_server_stop(&s);
    cJSON_Delete(a.result);
    cJSON_Delete(b.result);
    free(dir);
}
END_TEST

START_TEST(a_target_that_never_converges_ends_on_time_naming_objects)
{
    struct outcome a = run_mode("naive", DROP);
    const cJSON *wrong = cJSON_GetObjectItem(
        cJSON_GetObjectItem(a.result, "reconciliation"), "wrong");

    ck_assert(!consistent(&a));
    ck_assert_int_gt(cJSON_GetArraySize(wrong), 0);
    ck_assert_ptr_nonnull(
        cJSON_GetObjectItem(cJSON_GetArrayItem(wrong, 0), "id"));
    /* replay about 1 s at 20x, then a 3 s deadline: it ends, with room
     * in the bound for a slow machine */
    ck_assert_msg(a.secs < 30, "took %.1f s", a.secs);
    cJSON_Delete(a.result);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("reconcile_targets");
    TCase *tc = tcase_create("targets");

    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, naive_fails_on_reorder_and_on_drop);
    tcase_add_test(tc, fetcher_passes_reorder_and_fails_drop);
    tcase_add_test(tc, delays_leave_naive_stale_and_correct_consistent);
    tcase_add_test(tc, polling_consumer_waits_out_the_apis_retry_after);
    tcase_add_test(tc, events_applied_twice_are_named_per_event);
    tcase_add_test(tc, polling_consumer_passes_both_within_its_interval);
    tcase_add_test(tc, backfill_consumer_is_consistent_once_the_hook_ran);
    tcase_add_test(tc,
                   a_target_that_never_converges_ends_on_time_naming_objects);
    suite_add_tcase(s, tc);
    return t_run_suite(s);
}
