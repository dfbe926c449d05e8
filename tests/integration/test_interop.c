/* SPDX-License-Identifier: MIT */
/*
 * Interop: hookreplay's deliveries judged by consumers built on the
 * providers' official libraries (tests/interop/consumer.js). Expected
 * counts come from the cassettes, never from a target we wrote.
 */
#include "cassette.h"
#include "support.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define STRIPE_CASSETTE HR_SRC_DIR "/fixtures/stripe-lifecycle.ndjson"
#define CONSUMER HR_SRC_DIR "/tests/interop/consumer.js"

static char *env_text[] = {"HOOKREPLAY_SECRET=whsec_interop-text-secret-1",
                           NULL};
/* Standard Webhooks and Svix keys are base64 after whsec_. */
static char *env_b64[] = {
    "HOOKREPLAY_SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", NULL};

/* Event ids of a cassette's webhooks, counted with the real reader. */
static int cassette_ids(const char *path, char ***ids)
{
    struct hr_err err;
    struct hr_cassette_reader *r = hr_cassette_open(path, &err);
    struct hr_interaction it;
    int n = 0;

    ck_assert_msg(r != NULL, "%s", err.msg);
    *ids = NULL;
    hr_interaction_init(&it);
    while (hr_cassette_next(r, &it, &err) == 1) {
        if (it.kind != HR_KIND_WEBHOOK)
            continue;
        *ids = realloc(*ids, sizeof(char *) * (size_t)(n + 1));
        (*ids)[n++] = strdup(it.event.id);
    }
    hr_interaction_clear(&it);
    hr_cassette_close(r);
    return n;
}

static void replay_through(const char *profile, const char *cassette,
                           char **env)
{
    char *sargv[] = {"node",   CONSUMER, "--profile", (char *)profile,
                     "--port", "0",      NULL};
    char url[200], *out = t_tmpdir(), **ids;
    struct t_server s;
    struct t_result r;
    cJSON *st, *events;
    int n = cassette_ids(cassette, &ids), i;

    ck_assert_int_gt(n, 0);
    ck_assert_msg(t_server_start(&s, sargv, env, 20000) == 0,
                  "the %s consumer did not start: run tests/interop/setup.sh",
                  profile);
    snprintf(url, sizeof(url), "%s/webhooks", s.url);
    {
        char *argv[] = {HR_BIN,         "run", "--cassette", (char *)cassette,
                        "--target",     url,   "--profile",  (char *)profile,
                        "--out",        out,   "--pacing",   "asap",
                        "--no-retries", NULL};

        ck_assert_int_eq(t_run(&r, argv, env, NULL, 120000), 0);
    }
    ck_assert_msg(r.exit_code == 0, "run: %s %s", r.out, r.err);
    snprintf(url, sizeof(url), "%s/__state", s.url);
    st = t_http_get_json(url);
    ck_assert_ptr_nonnull(st);
    ck_assert_msg(t_json_num(st, "rejected") == 0, "%s rejected some: %s",
                  profile, cJSON_PrintUnformatted(st));
    {
        char rpath[600];
        cJSON *res;

        snprintf(rpath, sizeof(rpath), "%s/result.json", out);
        res = t_read_json(rpath);
        ck_assert_ptr_nonnull(res);
        /* a handshake (GitHub's ping) is accepted like any delivery */
        ck_assert_int_eq(t_json_num(st, "accepted"),
                         n + t_json_num(res, "totals.handshakes_ok"));
        ck_assert_int_eq(t_json_num(res, "totals.handshakes"),
                         t_json_num(res, "totals.handshakes_ok"));
        cJSON_Delete(res);
    }
    {
        /* stripe: each accepted event is the typed event its type names */
        cJSON *mm = cJSON_GetObjectItem(st, "type_mismatches");

        if (strcmp(profile, "stripe") == 0) {
            ck_assert_ptr_nonnull(mm);
            ck_assert_msg(cJSON_GetArraySize(mm) == 0, "mismatches: %s",
                          cJSON_PrintUnformatted(mm));
            ck_assert_int_eq(t_json_num(st, "typed_checked"), n);
        }
    }
    events = cJSON_GetObjectItem(st, "events");
    for (i = 0; i < n; i++) {
        cJSON *e = cJSON_GetObjectItem(events, ids[i]);

        ck_assert_msg(e != NULL, "%s never accepted %s", profile, ids[i]);
        ck_assert_int_eq(t_json_num(e, "count"), 1);
        free(ids[i]);
    }
    free(ids);
    cJSON_Delete(st);
    t_result_free(&r);
    t_server_stop(&s);
    free(out);
}

START_TEST(stripe_library_accepts_every_stripe_delivery)
{
    replay_through("stripe", STRIPE_CASSETTE, env_text);
}
END_TEST

START_TEST(stripe_library_accepts_every_generated_event_as_its_type)
{
    char cas[512], *dir = t_tmpdir();
    char *gen[] = {HR_BIN,   "generate", "stripe-story", "--customers", "30",
                   "--seed", "11",       "-o",           cas,           NULL};
    struct t_result r;

    snprintf(cas, sizeof(cas), "%s/story.ndjson", dir);
    ck_assert_int_eq(t_run(&r, gen, NULL, NULL, 60000), 0);
    ck_assert_msg(r.exit_code == 0, "generate: %s", r.err);
    t_result_free(&r);
    replay_through("stripe", cas, env_text);
    free(dir);
}
END_TEST

START_TEST(octokit_accepts_every_github_delivery)
{
    char cas[512], *dir = t_tmpdir();
    char *imp[] = {
        HR_BIN, "import", "github", HR_SRC_DIR "/tests/data/github-payloads",
        "-o",   cas,      NULL};
    struct t_result r;

    snprintf(cas, sizeof(cas), "%s/github.ndjson", dir);
    ck_assert_int_eq(t_run(&r, imp, NULL, NULL, 60000), 0);
    ck_assert_msg(r.exit_code == 0, "import: %s", r.err);
    t_result_free(&r);
    replay_through("github", cas, env_text);
    free(dir);
}
END_TEST

/*
 * Rewrites the Stripe cassette for another endpoint and profile, with
 * msg_ ids as Standard Webhooks and Svix senders make them.
 */
static void rewrite_cassette(const char *path, const char *profile)
{
    struct hr_err err;
    struct hr_cassette_reader *r = hr_cassette_open(STRIPE_CASSETTE, &err);
    struct hr_cassette_header h = {0};
    struct hr_endpoint_decl ep = {"main", (char *)profile};
    struct hr_interaction it;
    FILE *f = fopen(path, "w");
    char id[64];
    int n = 0;

    ck_assert(r && f);
    h.version = 1;
    h.endpoints = &ep;
    h.n_endpoints = 1;
    ck_assert_int_eq(hr_cassette_write_header(f, &h), 0);
    hr_interaction_init(&it);
    while (hr_cassette_next(r, &it, &err) == 1) {
        snprintf(id, sizeof(id), "msg_interop%04d", ++n);
        free(it.endpoint);
        it.endpoint = strdup("main");
        free(it.event.id);
        it.event.id = strdup(id);
        ck_assert_int_eq(hr_cassette_write(f, &it), 0);
    }
    hr_interaction_clear(&it);
    hr_cassette_close(r);
    fclose(f);
}

START_TEST(standardwebhooks_library_accepts_every_delivery)
{
    char cas[512], *dir = t_tmpdir();

    snprintf(cas, sizeof(cas), "%s/sw.ndjson", dir);
    rewrite_cassette(cas, "standard-webhooks");
    replay_through("standard-webhooks", cas, env_b64);
    free(dir);
}
END_TEST

START_TEST(svix_library_accepts_every_delivery)
{
    char cas[512], *dir = t_tmpdir();

    snprintf(cas, sizeof(cas), "%s/svix.ndjson", dir);
    rewrite_cassette(cas, "svix");
    replay_through("svix", cas, env_b64);
    free(dir);
}
END_TEST

/* Serves the bundled cassette's truth (every event visible almost at
 * once) and waits until the API lists n events. */
static void serve_truth(struct t_server *s, int n)
{
    char *dir = t_tmpdir(), scn[600], text[1024], url[300];
    char *argv[] = {HR_BIN, "serve", scn, "--listen", "127.0.0.1:0", NULL};
    int tries, seen = -1;

    snprintf(scn, sizeof(scn), "%s/api.json", dir);
    snprintf(text, sizeof(text),
             "{\"hookreplay\":\"scenario\",\"version\":1,"
             "\"cassette\":\"%s\",\"targets\":{\"stripe\":"
             "{\"url\":\"http://127.0.0.1:9/\"}},"
             "\"replay\":{\"speed\":10000},\"api\":{}}",
             STRIPE_CASSETTE);
    ck_assert_int_eq(t_write_file(scn, text, strlen(text)), 0);
    ck_assert_int_eq(t_server_start(s, argv, NULL, 10000), 0);
    snprintf(url, sizeof(url), "%s/v1/events?limit=100", s->url);
    for (tries = 0; tries < 200 && seen != n; tries++) {
        cJSON *j = t_http_get_json(url);

        seen = cJSON_GetArraySize(cJSON_GetObjectItem(j, "data"));
        cJSON_Delete(j);
        if (seen != n)
            usleep(50000);
    }
    ck_assert_int_eq(seen, n);
    free(dir);
}

START_TEST(stripe_node_client_reads_the_mock_api_as_it_reads_stripe)
{
    char port[16], **ids;
    char *argv[] = {"node",       HR_SRC_DIR "/tests/interop/api_client.js",
                    "--port",     port,
                    "--invoice",  "in_fakefakefakefakefake0002",
                    "--customer", "cus_6lsBvm5rJ0zyHc",
                    NULL};
    char *env[] = {"STRIPE_KEY=sk_test_interop", NULL};
    int n = cassette_ids(STRIPE_CASSETTE, &ids), i, k;
    struct t_server s;
    struct t_result r;
    cJSON *out, *events, *e;

    serve_truth(&s, n);
    snprintf(port, sizeof(port), "%d", s.port);
    ck_assert_int_eq(t_run(&r, argv, env, NULL, 60000), 0);
    ck_assert_msg(r.exit_code == 0, "api_client: %s%s", r.out, r.err);
    out = cJSON_Parse(r.out);
    ck_assert_msg(out != NULL, "not JSON: %s", r.out);
    /* auto-pagination (pages of 7) walks every event once, newest first */
    events = cJSON_GetObjectItem(out, "events");
    ck_assert_int_eq(cJSON_GetArraySize(events), n);
    k = n - 1;
    cJSON_ArrayForEach(e, events)
    {
        ck_assert_str_eq(e->valuestring, ids[k]);
        k--;
    }
    ck_assert_str_eq(cJSON_GetObjectItem(out, "event_fetched")->valuestring,
                     ids[n - 1]);
    /* expand, as the client encodes it (expand[0]=...) */
    e = cJSON_GetObjectItem(out, "invoice");
    ck_assert_str_eq(cJSON_GetObjectItem(e, "customer")->valuestring, "object");
    ck_assert_str_eq(cJSON_GetObjectItem(e, "customer_id")->valuestring,
                     "cus_6lsBvm5rJ0zyHc");
    ck_assert_str_eq(cJSON_GetObjectItem(e, "payment_intent")->valuestring,
                     "object");
    ck_assert_str_eq(
        cJSON_GetObjectItem(e, "payment_intent_customer")->valuestring,
        "object");
    ck_assert_int_ge(
        cJSON_GetArraySize(cJSON_GetObjectItem(out, "listed_subscriptions")),
        2);
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(out, "listed_subscriptions"))
    {
        ck_assert_str_eq(e->valuestring, "object");
    }
    /* errors arrive as the library's typed errors */
    e = cJSON_GetObjectItem(out, "missing");
    ck_assert_int_eq(t_json_num(e, "status"), 404);
    ck_assert_str_eq(cJSON_GetObjectItem(e, "type")->valuestring,
                     "StripeInvalidRequestError");
    ck_assert_str_eq(cJSON_GetObjectItem(e, "code")->valuestring,
                     "resource_missing");
    e = cJSON_GetObjectItem(out, "bad_expand");
    ck_assert_int_eq(t_json_num(e, "status"), 400);
    ck_assert_str_eq(cJSON_GetObjectItem(e, "param")->valuestring, "expand[0]");
    for (i = 0; i < n; i++)
        free(ids[i]);
    free(ids);
    cJSON_Delete(out);
    t_result_free(&r);
    t_server_stop(&s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("interop");
    TCase *tc = tcase_create("interop");

    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, stripe_library_accepts_every_stripe_delivery);
    tcase_add_test(tc,
                   stripe_library_accepts_every_generated_event_as_its_type);
    tcase_add_test(tc, octokit_accepts_every_github_delivery);
    tcase_add_test(tc, standardwebhooks_library_accepts_every_delivery);
    tcase_add_test(tc, svix_library_accepts_every_delivery);
    tcase_add_test(tc,
                   stripe_node_client_reads_the_mock_api_as_it_reads_stripe);
    suite_add_tcase(s, tc);
    return t_run_suite(s);
}
