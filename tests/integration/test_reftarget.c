/* SPDX-License-Identifier: MIT */
/* `hookreplay target` over real sockets: verification, dedupe, limits. */
#include "cassette.h"
#include "mutate.h"
#include "sign.h"
#include "support.h"

#include <check.h>
#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SECRET "whsec_reference_target_secret"
#define OTHER_SECRET "whsec_somebody_else_entirely"

static char secret_env[] = "HOOKREPLAY_SECRET=" SECRET;
static char *const with_secret[] = {secret_env, NULL};

static const char stripe_body[] =
    "{\n  \"id\": \"evt_1\",\n  \"object\": \"event\",\n"
    "  \"type\": \"customer.subscription.updated\",\n"
    "  \"created\": 1764496800,\n"
    "  \"data\": {\"object\": {\"id\": \"sub_1\", \"status\": \"active\"}}\n"
    "}\n";

/* A target of mode for profile; extra, when given, is a flag that takes
 * 300 (--slow-ms). */
static struct t_server start_target(const char *mode, const char *profile,
                                    char *const env[], const char *extra)
{
    struct t_server s;
    char *args[] = {(char *)extra, "300", NULL};

    t_target_start(&s, mode, profile, args, env);
    ck_assert_int_gt(s.port, 0);
    return s;
}

/* POSTs body to url + path with the headers of m; returns the status
 * (0 when no answer was read). */
static long post(const struct t_server *s, const char *path,
                 const struct hr_message *m, const char *body, size_t len)
{
    CURL *c = curl_easy_init();
    struct curl_slist *hl = NULL;
    char url[256], line[1024];
    long status = 0;
    size_t i;

    /* Large bodies keep curl's Expect: 100-continue, so that a refusal
     * arrives before the body is sent. */
    if (len < 1024 * 1024)
        hl = curl_slist_append(hl, "Expect:");
    if (!m)
        hl = curl_slist_append(hl, "Content-Type: application/json");
    for (i = 0; m && i < m->n_headers; i++) {
        snprintf(line, sizeof(line), "%s: %s", m->headers[i].name,
                 m->headers[i].value);
        hl = curl_slist_append(hl, line);
    }
    snprintf(url, sizeof(url), "%s%s", s->url, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, t_discard);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 20000L);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(hl);
    curl_easy_cleanup(c);
    return status;
}

/* Signs body with secret at time t under scheme into m's headers. */
static void sign_into(struct hr_message *m, enum hr_scheme scheme,
                      const char *secret, int64_t t, const char *body,
                      size_t len)
{
    const char *secrets[] = {secret};
    struct hr_sign_input in = {0};
    struct hr_err err = {0};

    in.scheme = scheme;
    in.secrets = secrets;
    in.n_secrets = 1;
    in.timestamp = t;
    in.body = (const unsigned char *)body;
    in.body_len = len;
    ck_assert_msg(hr_sign(&in, m, &err) == 0, "sign: %s", err.msg);
}

static void message_free(struct hr_message *m)
{
    struct hr_interaction it;

    hr_interaction_init(&it);
    it.request = *m;
    hr_interaction_clear(&it);
    memset(m, 0, sizeof(*m));
}

/* POSTs a Stripe body signed with secret at time t. */
static long post_stripe(const struct t_server *s, const char *secret, int64_t t,
                        const char *body, size_t len)
{
    struct hr_message m = {0};
    long status;

    hr_message_add_header(&m, "Content-Type",
                          "application/json; charset=utf-8");
    sign_into(&m, HR_SCHEME_STRIPE, secret, t, body, len);
    status = post(s, "/webhooks/stripe", &m, body, len);
    message_free(&m);
    return status;
}

static long post_stripe_now(const struct t_server *s, const char *secret,
                            const char *body)
{
    return post_stripe(s, secret, (int64_t)time(NULL), body, strlen(body));
}

/* POSTs a Stripe body signed now with secret, sent as content_type. */
static long post_stripe_as(const struct t_server *s, const char *secret,
                           const char *body, const char *content_type)
{
    struct hr_message m = {0};
    long status;

    hr_message_add_header(&m, "Content-Type", content_type);
    sign_into(&m, HR_SCHEME_STRIPE, secret, (int64_t)time(NULL), body,
              strlen(body));
    status = post(s, "/webhooks/stripe", &m, body, strlen(body));
    message_free(&m);
    return status;
}

static double state_num(const struct t_server *s, const char *dotted)
{
    cJSON *j = t_target_state(s);
    double v = t_json_num(j, dotted);

    cJSON_Delete(j);
    return v;
}

static int healthz(const struct t_server *s)
{
    char url[200], *body = NULL;
    int status;

    snprintf(url, sizeof(url), "%s/healthz", s->url);
    status = t_http_get(url, &body);
    if (status == 200)
        ck_assert_str_eq(body, "ok\n");
    free(body);
    return status;
}

/* received always splits into processed, rejected, ignored ones and
 * handshakes. */
static void assert_counts_add_up(const struct t_server *s)
{
    cJSON *j = t_target_state(s);

    ck_assert_double_eq(
        t_json_num(j, "received"),
        t_json_num(j, "processed") + t_json_num(j, "rejected") +
            t_json_num(j, "duplicates_ignored") + t_json_num(j, "ignored") +
            t_json_num(j, "discarded") + t_json_num(j, "handshakes"));
    cJSON_Delete(j);
}

START_TEST(correct_target_applies_a_signed_stripe_event_once)
{
    struct t_server s = start_target("correct", "stripe", with_secret, NULL);
    cJSON *j, *obj;

    ck_assert_int_eq(post_stripe_now(&s, SECRET, stripe_body), 200);
    ck_assert_double_eq(state_num(&s, "processed"), 1);
    ck_assert_double_eq(state_num(&s, "applied.evt_1"), 1);

    /* A redelivery is re-signed with a fresh timestamp, as Stripe does. */
    ck_assert_int_eq(post_stripe_now(&s, SECRET, stripe_body), 200);
    j = t_target_state(&s);
    ck_assert_str_eq(cJSON_GetObjectItem(j, "mode")->valuestring, "correct");
    ck_assert_double_eq(t_json_num(j, "received"), 2);
    ck_assert_double_eq(t_json_num(j, "processed"), 1);
    ck_assert_double_eq(t_json_num(j, "duplicates_ignored"), 1);
    ck_assert_double_eq(t_json_num(j, "applied.evt_1"), 1);
    obj = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "objects"), "sub_1");
    ck_assert_ptr_nonnull(obj);
    ck_assert_str_eq(cJSON_GetObjectItem(obj, "type")->valuestring,
                     "customer.subscription.updated");
    ck_assert_str_eq(cJSON_GetObjectItem(obj, "event")->valuestring, "evt_1");
    ck_assert_str_eq(cJSON_GetObjectItem(obj, "status")->valuestring, "active");
    ck_assert_double_eq(t_json_num(obj, "created"), 1764496800);
    ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(obj, "deleted")));
    cJSON_Delete(j);
    t_server_stop(&s);
}
END_TEST

START_TEST(naive_target_applies_a_duplicate_twice)
{
    struct t_server s = start_target("naive", "stripe", with_secret, NULL);

    ck_assert_int_eq(post_stripe_now(&s, SECRET, stripe_body), 200);
    ck_assert_int_eq(post_stripe_now(&s, SECRET, stripe_body), 200);
    ck_assert_double_eq(state_num(&s, "processed"), 2);
    ck_assert_double_eq(state_num(&s, "applied.evt_1"), 2);
    ck_assert_double_eq(state_num(&s, "duplicates_ignored"), 0);
    assert_counts_add_up(&s);
    t_server_stop(&s);
}
END_TEST

START_TEST(correct_target_rejects_a_forged_stripe_signature)
{
    struct t_server s = start_target("correct", "stripe", with_secret, NULL);

    ck_assert_int_eq(post_stripe_now(&s, OTHER_SECRET, stripe_body), 400);
    ck_assert_double_eq(state_num(&s, "processed"), 0);
    ck_assert_double_eq(state_num(&s, "rejected"), 1);
    ck_assert_double_eq(state_num(&s, "applied.evt_1"), -1);
    /* The genuine delivery of the same event still goes through. */
    ck_assert_int_eq(post_stripe_now(&s, SECRET, stripe_body), 200);
    ck_assert_double_eq(state_num(&s, "applied.evt_1"), 1);
    t_server_stop(&s);
}
END_TEST

START_TEST(naive_target_applies_a_forged_stripe_event)
{
    struct t_server s = start_target("naive", "stripe", with_secret, NULL);

    ck_assert_int_eq(post_stripe_now(&s, OTHER_SECRET, stripe_body), 200);
    ck_assert_double_eq(state_num(&s, "processed"), 1);
    ck_assert_double_eq(state_num(&s, "applied.evt_1"), 1);
    /* No signature at all is fine with it too. */
    ck_assert_int_eq(post(&s, "/", NULL, stripe_body, strlen(stripe_body)),
                     200);
    ck_assert_double_eq(state_num(&s, "applied.evt_1"), 2);
    t_server_stop(&s);
}
END_TEST

START_TEST(correct_target_rejects_a_stale_stripe_timestamp)
{
    struct t_server s = start_target("correct", "stripe", with_secret, NULL);
    int64_t an_hour_ago = (int64_t)time(NULL) - 3600;

    ck_assert_int_eq(
        post_stripe(&s, SECRET, an_hour_ago, stripe_body, strlen(stripe_body)),
        400);
    ck_assert_double_eq(state_num(&s, "processed"), 0);
    /* Within the 300 s window the same bytes verify. */
    ck_assert_int_eq(post_stripe(&s, SECRET, (int64_t)time(NULL) - 60,
                                 stripe_body, strlen(stripe_body)),
                     200);
    ck_assert_double_eq(state_num(&s, "processed"), 1);
    t_server_stop(&s);
}
END_TEST

START_TEST(correct_target_accepts_any_secret_of_a_secret_file)
{
    char *dir = t_tmpdir(), path[256];
    char *env[] = {NULL};
    struct t_server s;
    static const char two[] = SECRET "\n" OTHER_SECRET "\n";
    char *argv[] = {HR_BIN,   "target",        "--mode", "correct", "--profile",
                    "stripe", "--secret-file", path,     NULL};

    snprintf(path, sizeof(path), "%s/secrets", dir);
    ck_assert_int_eq(t_write_file(path, two, strlen(two)), 0);
    ck_assert_int_eq(t_server_start(&s, argv, env, 10000), 0);
    ck_assert_int_eq(post_stripe_now(&s, OTHER_SECRET, stripe_body), 200);
    ck_assert_int_eq(post_stripe_now(&s, "whsec_third", stripe_body), 400);
    ck_assert_double_eq(state_num(&s, "processed"), 1);
    t_server_stop(&s);
    unlink(path);
    rmdir(dir);
    free(dir);
}
END_TEST

/* A GitHub delivery of a recorded payload, with its event headers. */
static long post_github(const struct t_server *s, const char *secret,
                        const char *delivery, const char *body)
{
    struct hr_message m = {0};
    long status;

    hr_message_add_header(&m, "Content-Type", "application/json");
    hr_message_add_header(&m, "X-GitHub-Event", "issues");
    hr_message_add_header(&m, "X-GitHub-Delivery", delivery);
    if (secret)
        sign_into(&m, HR_SCHEME_GITHUB, secret, 0, body, strlen(body));
    status = post(s, "/webhooks/github", &m, body, strlen(body));
    message_free(&m);
    return status;
}

/* The exact bytes of a recorded GitHub issues payload. */
static char *github_payload(const char *name)
{
    char path[512];
    struct hr_err err = {0};
    char *text;

    snprintf(path, sizeof(path),
             "%s/tests/data/github-payloads/issues/%s.payload.json", HR_SRC_DIR,
             name);
    text = hr_read_file(path, NULL, &err);
    ck_assert_msg(text != NULL, "%s", err.msg);
    return text;
}

START_TEST(correct_target_dedupes_github_deliveries_by_delivery_id)
{
    struct t_server s = start_target("correct", "github", with_secret, NULL);
    char *opened = github_payload("opened");
    char *edited = github_payload("edited");
    const char *d1 = "8e4d7c10-0000-11ee-8000-000000000001";
    const char *d2 = "8e4d7c10-0000-11ee-8000-000000000002";
    cJSON *j, *obj;

    ck_assert_int_eq(post_github(&s, SECRET, d1, opened), 200);
    ck_assert_int_eq(post_github(&s, SECRET, d1, opened), 200);
    ck_assert_int_eq(post_github(&s, OTHER_SECRET, d2, edited), 400);
    ck_assert_int_eq(post_github(&s, NULL, d2, edited), 400);
    ck_assert_int_eq(post_github(&s, SECRET, d2, edited), 200);
    j = t_target_state(&s);
    ck_assert_double_eq(t_json_num(j, "processed"), 2);
    ck_assert_double_eq(t_json_num(j, "duplicates_ignored"), 1);
    ck_assert_double_eq(t_json_num(j, "rejected"), 2);
    obj = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "objects"),
                              "MDU6SXNzdWU0NDQ1MDAwNDE=");
    ck_assert_ptr_nonnull(obj);
    ck_assert_str_eq(cJSON_GetObjectItem(obj, "type")->valuestring,
                     "issues.edited");
    ck_assert_str_eq(cJSON_GetObjectItem(obj, "event")->valuestring, d2);
    cJSON_Delete(j);
    hr_free(opened);
    hr_free(edited);
    t_server_stop(&s);
}
END_TEST

START_TEST(naive_target_applies_github_redeliveries_and_forgeries)
{
    struct t_server s = start_target("naive", "github", NULL, NULL);
    char *opened = github_payload("opened");
    const char *d1 = "8e4d7c10-0000-11ee-8000-000000000001";

    ck_assert_int_eq(post_github(&s, SECRET, d1, opened), 200);
    ck_assert_int_eq(post_github(&s, OTHER_SECRET, d1, opened), 200);
    ck_assert_int_eq(post_github(&s, NULL, d1, opened), 200);
    ck_assert_double_eq(state_num(&s, "processed"), 3);
    hr_free(opened);
    t_server_stop(&s);
}
END_TEST

/* A signed, gzip-compressed Stripe body with its Content-Encoding. */
static long post_gzipped(const struct t_server *s)
{
    struct hr_message m = {0};
    unsigned char *gz = NULL;
    size_t gz_len = 0;
    long status;

    ck_assert_int_eq(hr_mutate_gzip((const unsigned char *)stripe_body,
                                    strlen(stripe_body), &gz, &gz_len),
                     0);
    hr_message_add_header(&m, "Content-Type",
                          "application/json; charset=utf-8");
    hr_message_add_header(&m, "Content-Encoding", "gzip");
    sign_into(&m, HR_SCHEME_STRIPE, SECRET, (int64_t)time(NULL),
              (const char *)gz, gz_len);
    status = post(s, "/webhooks/stripe", &m, (const char *)gz, gz_len);
    message_free(&m);
    hr_free(gz);
    return status;
}

/* Sends the malformed deliveries; the target must stay up. */
static void send_malformed(const struct t_server *s, int correct)
{
    static const char bad_json[] = "{\"id\": \"evt_bad\", \"type\": ";
    size_t huge_len = 9u * 1024u * 1024u;
    char *huge = malloc(huge_len);
    long bad = correct ? 400 : 500;

    ck_assert_ptr_nonnull(huge);
    memset(huge, ' ', huge_len);
    /* naive: JSON.parse throws and the error handler answers 500 */
    ck_assert_int_eq(post(s, "/webhooks/stripe", NULL, "", 0), bad);
    ck_assert_int_eq(post_stripe(s, SECRET, (int64_t)time(NULL), "", 0), bad);
    ck_assert_int_eq(post_stripe_now(s, SECRET, bad_json), bad);
    /* The naive target never looks at Content-Encoding: it parses the
     * compressed bytes as JSON, which throws. */
    ck_assert_int_eq(post_gzipped(s), correct ? 415 : 500);
    ck_assert_int_eq(
        post_stripe(s, SECRET, (int64_t)time(NULL), huge, huge_len),
        correct ? 413 : 500);
    free(huge);
    ck_assert_int_eq(healthz(s), 200);
}

START_TEST(malformed_deliveries_never_bring_the_correct_target_down)
{
    struct t_server s = start_target("correct", "stripe", with_secret, NULL);

    send_malformed(&s, 1);
    ck_assert_double_eq(state_num(&s, "processed"), 0);
    ck_assert_double_eq(state_num(&s, "rejected"), 5);
    assert_counts_add_up(&s);
    ck_assert_int_eq(post_stripe_now(&s, SECRET, stripe_body), 200);
    ck_assert_double_eq(state_num(&s, "processed"), 1);
    t_server_stop(&s);
}
END_TEST

START_TEST(malformed_deliveries_never_bring_the_naive_target_down)
{
    struct t_server s = start_target("naive", "stripe", with_secret, NULL);

    send_malformed(&s, 0);
    ck_assert_double_eq(state_num(&s, "processed"), 0);
    ck_assert_double_eq(state_num(&s, "rejected"), 5);
    assert_counts_add_up(&s);
    ck_assert_int_eq(post_stripe_now(&s, SECRET, stripe_body), 200);
    ck_assert_double_eq(state_num(&s, "processed"), 1);
    t_server_stop(&s);
}
END_TEST

static long long ms_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

START_TEST(slow_target_holds_delivery_answers_back)
{
    struct t_server s =
        start_target("correct", "stripe", with_secret, "--slow-ms");
    long long t0 = ms_now(), took;

    ck_assert_int_eq(post_stripe_now(&s, SECRET, stripe_body), 200);
    took = ms_now() - t0;
    ck_assert_int_ge(took, 300);
    ck_assert_int_lt(took, 5000);
    t0 = ms_now();
    ck_assert_int_eq(healthz(&s), 200);
    ck_assert_int_lt(ms_now() - t0, 300);
    t_server_stop(&s);
}
END_TEST

START_TEST(target_answers_unknown_routes_with_404)
{
    struct t_server s = start_target("naive", "stripe", NULL, NULL);
    char url[200], *body = NULL;

    ck_assert_int_eq(
        post(&s, "/elsewhere", NULL, stripe_body, strlen(stripe_body)), 404);
    snprintf(url, sizeof(url), "%s/nothing-here", s.url);
    ck_assert_int_eq(t_http_get(url, &body), 404);
    free(body);
    snprintf(url, sizeof(url), "%s/webhooks", s.url);
    ck_assert_int_eq(t_http_get(url, &body), 405);
    free(body);
    ck_assert_double_eq(state_num(&s, "received"), 0);
    t_server_stop(&s);
}
END_TEST

START_TEST(target_exits_0_on_sigterm)
{
    struct t_server s = start_target("correct", "stripe", with_secret, NULL);
    int status = 0;

    ck_assert_int_eq(post_stripe_now(&s, SECRET, stripe_body), 200);
    ck_assert_int_eq(kill(s.pid, SIGTERM), 0);
    ck_assert_int_eq(waitpid(s.pid, &status, 0), s.pid);
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 0);
}
END_TEST

static struct t_result run_target(char *mode, char *extra, char *const env[])
{
    struct t_result r;
    char *argv[] = {HR_BIN,      "target", "--mode", mode,
                    "--profile", "stripe", extra,    NULL};

    ck_assert_int_eq(t_run(&r, argv, env, NULL, 10000), 0);
    return r;
}

START_TEST(target_refuses_bad_usage_with_exit_code_2)
{
    char *no_env[] = {NULL};
    struct t_result r;

    unsetenv("HOOKREPLAY_SECRET");
    r = run_target("correct", NULL, no_env);
    ck_assert_int_eq(r.exit_code, 2);
    ck_assert_ptr_nonnull(strstr(r.err, "secret"));
    t_result_free(&r);
    r = run_target("sloppy", NULL, with_secret);
    ck_assert_int_eq(r.exit_code, 2);
    t_result_free(&r);
    r = run_target("naive", "--listen", with_secret);
    ck_assert_int_eq(r.exit_code, 2);
    t_result_free(&r);
}
END_TEST

START_TEST(target_refuses_a_listen_address_that_is_not_an_ip)
{
    struct t_result r;
    char *argv[] = {HR_BIN,      "target", "--mode",   "naive",
                    "--profile", "stripe", "--listen", "example.invalid:80",
                    NULL};

    ck_assert_int_eq(t_run(&r, argv, NULL, NULL, 10000), 0);
    ck_assert_int_eq(r.exit_code, 2);
    ck_assert_ptr_nonnull(strstr(r.err, "IP literal"));
    t_result_free(&r);
}
END_TEST

START_TEST(target_help_explains_modes_and_routes)
{
    struct t_result r;
    char *argv[] = {HR_BIN, "target", "--help", NULL};

    ck_assert_int_eq(t_run(&r, argv, NULL, NULL, 10000), 0);
    ck_assert_int_eq(r.exit_code, 0);
    ck_assert_ptr_nonnull(strstr(r.out, "--slow-ms"));
    ck_assert_ptr_nonnull(strstr(r.out, "HOOKREPLAY_SECRET"));
    ck_assert_ptr_nonnull(strstr(r.out, "/__state"));
    t_result_free(&r);
}
END_TEST

static const char unknown_type_body[] =
    "{\"id\": \"evt_u\", \"type\": \"hookreplay.unknown_event\", "
    "\"created\": 1764496800, \"data\": {\"object\": {\"id\": \"sub_1\"}}}";

START_TEST(correct_target_ignores_unknown_types_and_any_content_type)
{
    struct t_server s = start_target("correct", "stripe", with_secret, NULL);

    ck_assert_int_eq(post_stripe_now(&s, SECRET, unknown_type_body), 200);
    ck_assert_double_eq(state_num(&s, "ignored"), 1);
    ck_assert_double_eq(state_num(&s, "processed"), 0);
    ck_assert_int_eq(post_stripe_as(&s, SECRET, stripe_body, "text/plain"),
                     200);
    ck_assert_double_eq(state_num(&s, "applied.evt_1"), 1);
    assert_counts_add_up(&s);
    t_server_stop(&s);
}
END_TEST

START_TEST(naive_target_throws_on_unknown_types_and_other_content_types)
{
    struct t_server s = start_target("naive", "stripe", NULL, NULL);

    ck_assert_int_eq(post_stripe_now(&s, SECRET, unknown_type_body), 500);
    ck_assert_int_eq(post_stripe_as(&s, SECRET, stripe_body, "text/plain"),
                     500);
    ck_assert_double_eq(state_num(&s, "processed"), 0);
    ck_assert_double_eq(state_num(&s, "rejected"), 2);
    /* Its parser is mounted for the provider's media type, any charset. */
    ck_assert_int_eq(
        post_stripe_as(&s, SECRET, stripe_body, "Application/JSON"), 200);
    ck_assert_double_eq(state_num(&s, "processed"), 1);
    t_server_stop(&s);
}
END_TEST

START_TEST(ack_all_target_acknowledges_forgeries_and_discards_them)
{
    struct t_server s = start_target("ack-all", "stripe", with_secret, NULL);

    ck_assert_int_eq(post_stripe_now(&s, OTHER_SECRET, stripe_body), 200);
    ck_assert_int_eq(post(&s, "/", NULL, stripe_body, strlen(stripe_body)),
                     200);
    ck_assert_double_eq(state_num(&s, "discarded"), 2);
    ck_assert_double_eq(state_num(&s, "processed"), 0);
    ck_assert_double_eq(state_num(&s, "applied.evt_1"), -1);
    ck_assert_int_eq(post_stripe_now(&s, SECRET, stripe_body), 200);
    ck_assert_double_eq(state_num(&s, "applied.evt_1"), 1);
    assert_counts_add_up(&s);
    t_server_stop(&s);
}
END_TEST

START_TEST(reserializing_target_verifies_a_compact_print_of_the_body)
{
    static const char compact[] =
        "{\"id\":\"evt_c\",\"type\":\"charge.updated\",\"created\":1,"
        "\"data\":{\"object\":{\"id\":\"ch_1\",\"status\":\"paid\"}}}";
    struct t_server s =
        start_target("reserializing", "stripe", with_secret, NULL);

    /* Signed over pretty bytes, verified over compact ones: refused. */
    ck_assert_int_eq(post_stripe_now(&s, SECRET, stripe_body), 400);
    ck_assert_int_eq(post_stripe_now(&s, SECRET, compact), 200);
    ck_assert_double_eq(state_num(&s, "applied.evt_c"), 1);
    ck_assert_double_eq(state_num(&s, "rejected"), 1);
    t_server_stop(&s);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("reftarget");
    TCase *tc = tcase_create("http");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, correct_target_applies_a_signed_stripe_event_once);
    tcase_add_test(tc, naive_target_applies_a_duplicate_twice);
    tcase_add_test(tc, correct_target_rejects_a_forged_stripe_signature);
    tcase_add_test(tc, naive_target_applies_a_forged_stripe_event);
    tcase_add_test(tc, correct_target_rejects_a_stale_stripe_timestamp);
    tcase_add_test(tc, correct_target_accepts_any_secret_of_a_secret_file);
    tcase_add_test(tc, correct_target_dedupes_github_deliveries_by_delivery_id);
    tcase_add_test(tc, naive_target_applies_github_redeliveries_and_forgeries);
    tcase_add_test(tc,
                   malformed_deliveries_never_bring_the_correct_target_down);
    tcase_add_test(tc, malformed_deliveries_never_bring_the_naive_target_down);
    tcase_add_test(tc, slow_target_holds_delivery_answers_back);
    tcase_add_test(tc, target_answers_unknown_routes_with_404);
    tcase_add_test(tc, target_exits_0_on_sigterm);
    tcase_add_test(tc, target_refuses_bad_usage_with_exit_code_2);
    tcase_add_test(tc, target_refuses_a_listen_address_that_is_not_an_ip);
    tcase_add_test(tc, target_help_explains_modes_and_routes);
    tcase_add_test(tc,
                   correct_target_ignores_unknown_types_and_any_content_type);
    tcase_add_test(
        tc, naive_target_throws_on_unknown_types_and_other_content_types);
    tcase_add_test(tc, ack_all_target_acknowledges_forgeries_and_discards_them);
    tcase_add_test(tc,
                   reserializing_target_verifies_a_compact_print_of_the_body);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    hr_alloc_init();
    return t_run_suite(suite());
}
