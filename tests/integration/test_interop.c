/* SPDX-License-Identifier: MIT */
/*
 * Interop: hookreplay's deliveries judged by consumers built on the
 * providers' official libraries (tests/interop/consumer.js). Expected
 * counts come from the cassettes, never from a target we wrote.
 */
#include "cassette.h"
#include "support.h"

#include <check.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define STRIPE_CASSETTE HR_SRC_DIR "/fixtures/stripe-lifecycle.ndjson"
#define CONSUMER HR_SRC_DIR "/tests/interop/consumer.js"
#define SLACK_UA "Slackbot 1.0 (+https://api.slack.com/robots)"

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
        /* Slack's url_verification goes first and must get its echo */
        if (strcmp(profile, "slack") == 0)
            ck_assert_int_eq(t_json_num(res, "totals.handshakes_ok"), 1);
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

/* Remakes interaction it as the n-th webhook of another provider. */
typedef void (*remake_fn)(struct hr_interaction *it, int n);

/*
 * Rewrites the Stripe cassette for another endpoint and profile, with
 * msg_ ids as Standard Webhooks and Svix senders make them, or with the
 * bodies and headers remake gives.
 */
static void rewrite_cassette(const char *path, const char *profile,
                             remake_fn remake)
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
        if (remake)
            remake(&it, n);
        ck_assert_int_eq(hr_cassette_write(f, &it), 0);
    }
    hr_interaction_clear(&it);
    hr_cassette_close(r);
    fclose(f);
}

static void set_text(char **field, const char *text)
{
    hr_free(*field);
    *field = hr_strdup(text);
    ck_assert_ptr_nonnull(*field);
}

/* Replaces the request's headers with the NULL-ended name, value pairs. */
static void set_headers(struct hr_message *m, const char *const *pairs)
{
    size_t i, n = 0;

    for (i = 0; i < m->n_headers; i++) {
        hr_free(m->headers[i].name);
        hr_free(m->headers[i].value);
    }
    hr_free(m->headers);
    while (pairs[2 * n])
        n++;
    m->headers = hr_calloc(n, sizeof(*m->headers));
    ck_assert_ptr_nonnull(m->headers);
    for (i = 0; i < n; i++) {
        m->headers[i].name = hr_strdup(pairs[2 * i]);
        m->headers[i].value = hr_strdup(pairs[2 * i + 1]);
    }
    m->n_headers = n;
}

static void set_body(struct hr_message *m, const char *body)
{
    hr_free(m->body);
    m->body = (unsigned char *)hr_strdup(body);
    ck_assert_ptr_nonnull(m->body);
    m->body_len = strlen(body);
}

/* application/x-www-form-urlencoded, as a browser or Slack encodes. */
static void form_encode(char *out, size_t cap, const char *text)
{
    const unsigned char *p = (const unsigned char *)text;
    size_t n = 0;

    for (; *p && n + 4 < cap; p++) {
        if (isalnum(*p) || strchr("-._*", *p))
            out[n++] = (char)*p;
        else if (*p == ' ')
            out[n++] = '+';
        else
            n += (size_t)snprintf(out + n, cap - n, "%%%02X", *p);
    }
    out[n] = '\0';
}

/*
 * The n-th Slack request: mostly Events API event_callback envelopes
 * (message or reaction_added, UTF-8 text), every sixth a slash command
 * and every ninth an interactivity payload, both as form bodies.
 */
static void slack_remake(struct hr_interaction *it, int n)
{
    static const char *const json[] = {"Content-Type", "application/json",
                                       "User-Agent", SLACK_UA, NULL};
    static const char *const form[] = {"Content-Type",
                                       "application/x-www-form-urlencoded",
                                       "User-Agent", SLACK_UA, NULL};
    long long t = (long long)it->event.created;
    char body[2048], id[64], enc[1024], js[512];

    if (n % 9 == 0) {
        snprintf(id, sizeof(id), "4%09d.7384749.8088930838d88f008e0", n);
        snprintf(js, sizeof(js),
                 "{\"type\":\"block_actions\",\"trigger_id\":\"%s\","
                 "\"user\":{\"id\":\"U0INTEROP\"},\"channel\":{\"id\":"
                 "\"C0INTEROP\"},\"actions\":[{\"action_id\":\"approve\","
                 "\"value\":\"caf\xc3\xa9 & co\"}]}",
                 id);
        form_encode(enc, sizeof(enc), js);
        snprintf(body, sizeof(body), "payload=%s", enc);
        set_text(&it->event.type, "block_actions");
    } else if (n % 6 == 0) {
        snprintf(id, sizeof(id), "4%09d.7384749.13a3bf8b7e1d9d0c0e1", n);
        form_encode(enc, sizeof(enc), "caf\xc3\xa9 \xe2\x98\x95 a+b=c&d");
        snprintf(body, sizeof(body),
                 "token=hookreplay-interop&team_id=T0INTEROP&team_domain="
                 "interop&channel_id=C0INTEROP&channel_name=general&user_id="
                 "U0INTEROP&user_name=ana&command=%%2Finterop&text=%s&"
                 "api_app_id=A0INTEROP&response_url=https%%3A%%2F%%2Fhooks."
                 "slack.com%%2Fcommands%%2FT0INTEROP%%2F%d%%2Fx&trigger_id=%s",
                 enc, n, id);
        set_text(&it->event.type, "/interop");
    } else {
        snprintf(id, sizeof(id), "Ev0INTEROP%04d", n);
        if (n % 2)
            snprintf(js, sizeof(js),
                     "\"type\":\"message\",\"channel\":\"C0INTEROP\","
                     "\"text\":\"%s: caf\xc3\xa9 \xe2\x98\x95\"",
                     it->event.type);
        else
            snprintf(js, sizeof(js),
                     "\"type\":\"reaction_added\",\"reaction\":\"tada\","
                     "\"item\":{\"type\":\"message\",\"channel\":"
                     "\"C0INTEROP\",\"ts\":\"%lld.000100\"}",
                     t);
        snprintf(body, sizeof(body),
                 "{\"token\":\"hookreplay-interop\",\"team_id\":"
                 "\"T0INTEROP\",\"api_app_id\":\"A0INTEROP\",\"event\":{"
                 "%s,\"user\":\"U0INTEROP\",\"event_ts\":\"%lld.000200\"},"
                 "\"type\":\"event_callback\",\"event_id\":\"%s\","
                 "\"event_time\":%lld}",
                 js, t, id, t);
        set_text(&it->event.type, n % 2 ? "message" : "reaction_added");
    }
    set_text(&it->event.id, id);
    set_text(&it->event.object, "C0INTEROP");
    set_headers(&it->request, n % 9 == 0 || n % 6 == 0 ? form : json);
    set_body(&it->request, body);
}

/*
 * The n-th Shopify delivery: a resource body and every header Shopify
 * sends beside the HMAC, the ones webhooks.validate requires included.
 */
static void shopify_remake(struct hr_interaction *it, int n)
{
    static const char *const topics[][2] = {{"orders/create", "Order"},
                                            {"customers/update", "Customer"},
                                            {"products/update", "Product"}};
    const char *const *tp = topics[n % 3];
    char body[1024], gid[96], wid[64], eid[64], at[32];
    const char *pairs[] = {"Content-Type",
                           "application/json",
                           "X-Shopify-Topic",
                           tp[0],
                           "X-Shopify-Shop-Domain",
                           "hookreplay-interop.myshopify.com",
                           "X-Shopify-API-Version",
                           "2025-07",
                           "X-Shopify-Webhook-Id",
                           wid,
                           "X-Shopify-Event-Id",
                           eid,
                           "X-Shopify-Triggered-At",
                           at,
                           NULL};
    time_t when = (time_t)it->event.created;
    struct tm tm;

    gmtime_r(&when, &tm);
    strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", &tm);
    snprintf(gid, sizeof(gid), "gid://shopify/%s/%d", tp[1], 820982900 + n);
    snprintf(wid, sizeof(wid), "b54557e4-bdd9-4b37-8a5f-bf7d70%06d", n);
    snprintf(eid, sizeof(eid), "98880550-7158-44d4-b7cd-2c97c8%06d", n);
    snprintf(body, sizeof(body),
             "{\n  \"id\": %d,\n  \"admin_graphql_api_id\": \"%s\",\n"
             "  \"note\": \"%s: caf\xc3\xa9 \xe2\x98\x95 <b>\\u00e9</b>\",\n"
             "  \"updated_at\": \"%s\"\n}",
             820982900 + n, gid, it->event.type, at);
    set_text(&it->event.id, eid);
    set_text(&it->event.type, tp[0]);
    set_text(&it->event.object, gid);
    set_headers(&it->request, pairs);
    set_body(&it->request, body);
}

START_TEST(standardwebhooks_library_accepts_every_delivery)
{
    char cas[512], *dir = t_tmpdir();

    snprintf(cas, sizeof(cas), "%s/sw.ndjson", dir);
    rewrite_cassette(cas, "standard-webhooks", NULL);
    replay_through("standard-webhooks", cas, env_b64);
    free(dir);
}
END_TEST

START_TEST(svix_library_accepts_every_delivery)
{
    char cas[512], *dir = t_tmpdir();

    snprintf(cas, sizeof(cas), "%s/svix.ndjson", dir);
    rewrite_cassette(cas, "svix", NULL);
    replay_through("svix", cas, env_b64);
    free(dir);
}
END_TEST

/* The rewritten cassette must be one hookreplay itself finds sound. */
static void lint_clean(const char *cassette)
{
    char *argv[] = {HR_BIN, "lint", (char *)cassette, NULL};
    struct t_result r;

    ck_assert_int_eq(t_run(&r, argv, NULL, NULL, 60000), 0);
    ck_assert_msg(r.exit_code == 0, "lint: %s%s", r.out, r.err);
    t_result_free(&r);
}

START_TEST(slack_library_accepts_every_delivery)
{
    char cas[512], *dir = t_tmpdir();

    snprintf(cas, sizeof(cas), "%s/slack.ndjson", dir);
    rewrite_cassette(cas, "slack", slack_remake);
    lint_clean(cas);
    replay_through("slack", cas, env_text);
    free(dir);
}
END_TEST

START_TEST(shopify_library_accepts_every_delivery)
{
    char cas[512], *dir = t_tmpdir();

    snprintf(cas, sizeof(cas), "%s/shopify.ndjson", dir);
    rewrite_cassette(cas, "shopify", shopify_remake);
    lint_clean(cas);
    replay_through("shopify", cas, env_text);
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
    tcase_add_test(tc, slack_library_accepts_every_delivery);
    tcase_add_test(tc, shopify_library_accepts_every_delivery);
    tcase_add_test(tc,
                   stripe_node_client_reads_the_mock_api_as_it_reads_stripe);
    suite_add_tcase(s, tc);
    return t_run_suite(s);
}
