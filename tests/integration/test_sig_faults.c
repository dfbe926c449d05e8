/* SPDX-License-Identifier: MIT */
/*
 * Signature faults judged by the providers' official libraries
 * (tests/interop/consumer.js): every delivery hookreplay calls invalid is
 * refused, and the rotated one and the untouched control are accepted.
 */
#include "cassette.h"
#include "mutate.h"
#include "profile.h"
#include "sign.h"
#include "support.h"

#include <check.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define STRIPE_CASSETTE HR_SRC_DIR "/fixtures/stripe-lifecycle.ndjson"
#define CONSUMER HR_SRC_DIR "/tests/interop/consumer.js"
#define TEXT_SECRET "whsec_interop-text-secret-1"
#define B64_SECRET "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

/* One consumer under test and what it should have counted. */
struct bench {
    const struct hr_profile *p;
    struct t_server srv;
    char url[160];
    int64_t now;
    int sent, want_accepted, want_rejected;
    char ids[16][64]; /* header ids of accepted deliveries */
    int n_ids;
    const char *reasons[16]; /* what each rejection must say, in order */
    const char *content_type;
};

/* Bolt's words for each refusal (HTTPModuleFunctions, verify-request). */
static const char *slack_refusal(enum hr_sig_fault f)
{
    switch (f) {
    case HR_SIG_STALE:
        return "request is stale";
    case HR_SIG_MISSING:
        return "header x-slack-signature did not have the expected type";
    case HR_SIG_WRONG_SCHEME:
        return "unknown signature version";
    default:
        return "signature mismatch";
    }
}

/*
 * Part of the library's message when it refuses fault f (NONE: a body
 * changed after signing), so a refusal for the wrong cause is caught.
 */
static const char *refusal(enum hr_scheme s, enum hr_sig_fault f)
{
    int stdwh = s == HR_SCHEME_STDWH || s == HR_SCHEME_SVIX;

    if (s == HR_SCHEME_SLACK)
        return slack_refusal(f);
    if (s == HR_SCHEME_SHOPIFY)
        return f == HR_SIG_MISSING ? "missing_hmac" : "invalid_hmac";
    if (s == HR_SCHEME_GITHUB)
        return f == HR_SIG_MISSING ? "signature required"
                                   : "verify returned false";
    if (f == HR_SIG_STALE)
        return stdwh ? "timestamp too old" : "outside the tolerance zone";
    if (f == HR_SIG_MISSING)
        return stdwh ? "Missing required headers"
                     : "No stripe-signature header";
    if (f == HR_SIG_WRONG_SCHEME && !stdwh)
        return "No signatures found with expected scheme";
    return stdwh ? "No matching signature found"
                 : "No signatures found matching the expected signature";
}

/* POSTs body with headers to url; returns the HTTP status or -1. */
static long post(const char *url, const char *content_type,
                 const struct hr_message *m, const unsigned char *body,
                 size_t len)
{
    struct curl_slist *h = NULL;
    CURL *c = curl_easy_init();
    char line[2048];
    long status = -1;
    size_t i;

    ck_assert_ptr_nonnull(c);
    snprintf(line, sizeof(line), "Content-Type: %s", content_type);
    h = curl_slist_append(h, line);
    for (i = 0; i < m->n_headers; i++) {
        snprintf(line, sizeof(line), "%s: %s", m->headers[i].name,
                 m->headers[i].value);
        h = curl_slist_append(h, line);
    }
    /* drop curl's own Expect and Accept (an empty "Expect;" gets a 417) */
    h = curl_slist_append(h, "Expect:");
    h = curl_slist_append(h, "Accept:");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, (const char *)body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, t_discard);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 15000L);
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return status;
}

static void msg_free_headers(struct hr_message *m)
{
    size_t i;

    for (i = 0; i < m->n_headers; i++) {
        hr_free(m->headers[i].name);
        hr_free(m->headers[i].value);
    }
    hr_free(m->headers);
    memset(m, 0, sizeof(*m));
}

static void add_header(struct hr_message *m, const char *name,
                       const char *value)
{
    m->headers =
        hr_realloc(m->headers, (m->n_headers + 1) * sizeof(*m->headers));
    ck_assert_ptr_nonnull(m->headers);
    m->headers[m->n_headers].name = hr_strdup(name);
    m->headers[m->n_headers].value = hr_strdup(value);
    m->n_headers++;
}

/*
 * Signs signed_body with fault f, sends sent_body, and checks the status
 * the library gives: 200 when accept, else 400.
 */
static void deliver(struct bench *b, const char *what, enum hr_sig_fault f,
                    const char *signed_body, const unsigned char *sent_body,
                    size_t sent_len, int accept)
{
    const char *secret =
        b->p->scheme == HR_SCHEME_STDWH || b->p->scheme == HR_SCHEME_SVIX
            ? B64_SECRET
            : TEXT_SECRET;
    struct hr_sign_input in = {0};
    struct hr_message m = {0};
    struct hr_err err;
    char id[64];
    long status;

    snprintf(id, sizeof(id), "msg_fault%03d", ++b->sent);
    if (b->p->scheme == HR_SCHEME_GITHUB) {
        add_header(&m, "X-GitHub-Event", "issues");
        add_header(&m, "X-GitHub-Delivery", id);
    }
    if (b->p->scheme == HR_SCHEME_SHOPIFY) {
        /* what webhooks.validate requires beside the HMAC */
        add_header(&m, "X-Shopify-Topic", "orders/create");
        add_header(&m, "X-Shopify-Shop-Domain", "interop.myshopify.com");
        add_header(&m, "X-Shopify-API-Version", "2025-07");
        add_header(&m, "X-Shopify-Webhook-Id", id);
    }
    in.scheme = b->p->scheme;
    in.secrets = &secret;
    in.n_secrets = 1;
    in.id = id;
    in.timestamp = b->now;
    in.body = (const unsigned char *)signed_body;
    in.body_len = strlen(signed_body);
    ck_assert_msg(hr_sign_fault(&in, b->p->key_mode, f, b->p->tolerance_s,
                                (uint64_t)b->sent, &m, &err) == 0,
                  "%s: %s", what, err.msg);
    status = post(b->url, b->content_type, &m, sent_body, sent_len);
    ck_assert_msg(status == (accept ? 200 : 400), "%s %s: status %ld",
                  b->p->name, what, status);
    if (accept) {
        b->want_accepted++;
        snprintf(b->ids[b->n_ids++], sizeof(b->ids[0]), "%s", id);
    } else {
        b->reasons[b->want_rejected++] = refusal(b->p->scheme, f);
    }
    msg_free_headers(&m);
}

/* Every signature fault that applies to the profile, plus control. */
static void send_sig_faults(struct bench *b, const char *body)
{
    const unsigned char *raw = (const unsigned char *)body;
    enum hr_sig_fault f;

    for (f = HR_SIG_NONE; f <= HR_SIG_ROTATED; f++) {
        if (!hr_sig_fault_applies(b->p->scheme, f))
            continue;
        deliver(b, hr_sig_fault_name(f), f, body, raw, strlen(body),
                f == HR_SIG_NONE || f == HR_SIG_ROTATED);
    }
}

/* Bodies signed as they were and sent changed; reformat signed anew. */
static void send_tampered(struct bench *b, const char *body,
                          const char *type_pointer)
{
    const unsigned char *raw = (const unsigned char *)body;
    size_t len = strlen(body), n, s, e;
    unsigned char *out;

    ck_assert_int_eq(hr_mutate_unknown_type(raw, len, type_pointer, &out, &n),
                     0);
    deliver(b, "tampered type", HR_SIG_NONE, body, out, n, 0);
    hr_free(out);
    /* one letter inside the type string changes case */
    ck_assert_int_eq(hr_json_span(body, len, type_pointer, &s, &e), 0);
    ck_assert_int_eq(hr_body_splice(raw, len, 0, 0, NULL, 0, &out, &n), 0);
    out[s + 1] ^= 0x20;
    deliver(b, "tampered byte", HR_SIG_NONE, body, out, n, 0);
    hr_free(out);
    /* the same JSON in other bytes: refused unless signed as sent */
    ck_assert_int_eq(hr_mutate_reformat(raw, len, &out, &n), 0);
    deliver(b, "reformatted", HR_SIG_NONE, body, out, n, 0);
    deliver(b, "reformatted, signed as sent", HR_SIG_NONE, (const char *)out,
            out, n, 1);
    hr_free(out);
}

/* A form body with one letter's case flipped after signing. */
static void send_tampered_form(struct bench *b, const char *body)
{
    char *out = hr_strdup(body), *p = strstr(out, "command=%2F");

    ck_assert_ptr_nonnull(p);
    p[strlen("command=%2F")] ^= 0x20;
    deliver(b, "tampered form", HR_SIG_NONE, body, (unsigned char *)out,
            strlen(out), 0);
    hr_free(out);
}

/* The consumer's counts must be exactly what was sent. */
static void check_state(struct bench *b, const char *body_id)
{
    char url[200];
    cJSON *st, *events, *rej, *e;
    int i;

    snprintf(url, sizeof(url), "%s/__state", b->srv.url);
    st = t_http_get_json(url);
    ck_assert_ptr_nonnull(st);
    ck_assert_msg(t_json_num(st, "accepted") == b->want_accepted &&
                      t_json_num(st, "rejected") == b->want_rejected,
                  "%s: want %d accepted, %d rejected; state %s", b->p->name,
                  b->want_accepted, b->want_rejected,
                  cJSON_PrintUnformatted(st));
    rej = cJSON_GetObjectItem(st, "rejections");
    for (i = 0; i < b->want_rejected; i++) {
        e = cJSON_GetObjectItem(cJSON_GetArrayItem(rej, i), "reason");
        ck_assert_msg(cJSON_IsString(e) &&
                          strstr(e->valuestring, b->reasons[i]) != NULL,
                      "%s rejection %d: want \"%s\", got %s", b->p->name, i,
                      b->reasons[i], cJSON_IsString(e) ? e->valuestring : "-");
    }
    events = cJSON_GetObjectItem(st, "events");
    if (body_id) {
        e = cJSON_GetObjectItem(events, body_id);
        ck_assert_ptr_nonnull(e);
        ck_assert_int_eq(t_json_num(e, "count"), b->want_accepted);
    } else {
        ck_assert_int_eq(cJSON_GetArraySize(events), b->n_ids);
        for (i = 0; i < b->n_ids; i++) {
            e = cJSON_GetObjectItem(events, b->ids[i]);
            ck_assert_msg(e != NULL, "%s never accepted %s", b->p->name,
                          b->ids[i]);
            ck_assert_int_eq(t_json_num(e, "count"), 1);
        }
    }
    cJSON_Delete(st);
}

/*
 * Sends body with every signature fault of the profile and, for JSON
 * (type_pointer set), tampered and reformatted copies; for a form body
 * one tampered copy.
 */
static void run_profile(const char *profile, const char *body,
                        const char *type_pointer, const char *body_id)
{
    char env[128], *envp[] = {env, NULL};
    char *argv[] = {"node",   CONSUMER, "--profile", (char *)profile,
                    "--port", "0",      NULL};
    struct hr_err err;
    struct bench b;

    memset(&b, 0, sizeof(b));
    b.p = hr_profile_load(profile, NULL, &err);
    ck_assert_msg(b.p != NULL, "%s", err.msg);
    snprintf(env, sizeof(env), "HOOKREPLAY_SECRET=%s",
             hr_scheme_key_mode(b.p->scheme) == HR_KEY_WHSEC_B64 ? B64_SECRET
                                                                 : TEXT_SECRET);
    ck_assert_msg(t_server_start(&b.srv, argv, envp, 20000) == 0,
                  "the %s consumer did not start: run tests/interop/setup.sh",
                  profile);
    snprintf(b.url, sizeof(b.url), "%s/webhooks", b.srv.url);
    b.now = (int64_t)time(NULL);
    b.content_type =
        type_pointer ? "application/json" : "application/x-www-form-urlencoded";
    send_sig_faults(&b, body);
    if (type_pointer)
        send_tampered(&b, body, type_pointer);
    else
        send_tampered_form(&b, body);
    ck_assert_int_ge(b.want_rejected, type_pointer ? 6 : 4);
    check_state(&b, body_id);
    t_server_stop(&b.srv);
    hr_profile_free((struct hr_profile *)b.p);
}

/* The first webhook body of the Stripe fixture, and its event id. */
static char *stripe_body(char **id)
{
    struct hr_err err;
    struct hr_cassette_reader *r = hr_cassette_open(STRIPE_CASSETTE, &err);
    struct hr_interaction it;
    char *body;

    ck_assert_msg(r != NULL, "%s", err.msg);
    hr_interaction_init(&it);
    ck_assert_int_eq(hr_cassette_next(r, &it, &err), 1);
    body = hr_strndup((const char *)it.request.body, it.request.body_len);
    *id = hr_strdup(it.event.id);
    hr_interaction_clear(&it);
    hr_cassette_close(r);
    return body;
}

START_TEST(stripe_library_refuses_every_invalid_signature_fault)
{
    char *id, *body = stripe_body(&id);

    run_profile("stripe", body, "/type", id);
    hr_free(body);
    hr_free(id);
}
END_TEST

START_TEST(octokit_refuses_every_invalid_signature_fault)
{
    run_profile("github",
                "{\"action\":\"opened\",\"issue\":{\"number\":1,\"title\":"
                "\"Caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\x9b\"},"
                "\"repository\":{\"full_name\":\"octo/hello\"}}",
                "/action", NULL);
}
END_TEST

static const char *const stdwh_body =
    "{\"type\":\"invoice.paid\",\"timestamp\":\"2025-06-15T15:06:40Z\","
    "\"data\":{\"id\":\"in_1\",\"amount\":1200,\"memo\":\"na\xc3\xafve\"}}";

START_TEST(standardwebhooks_library_refuses_every_invalid_signature_fault)
{
    run_profile("standard-webhooks", stdwh_body, "/type", NULL);
}
END_TEST

START_TEST(svix_library_refuses_every_invalid_signature_fault)
{
    run_profile("svix", stdwh_body, "/type", NULL);
}
END_TEST

/* An Events API envelope as Slack sends it, UTF-8 text included. */
START_TEST(slack_library_refuses_every_invalid_signature_fault)
{
    run_profile("slack",
                "{\"token\":\"hookreplay\",\"team_id\":\"T0INTEROP\","
                "\"api_app_id\":\"A0INTEROP\",\"event\":{\"type\":"
                "\"message\",\"channel\":\"C0INTEROP\",\"user\":"
                "\"U0INTEROP\",\"text\":\"caf\xc3\xa9 \xe2\x98\x95\","
                "\"ts\":\"1764496800.000100\"},\"type\":\"event_callback\","
                "\"event_id\":\"Ev0FAULTS01\",\"event_time\":1764496800}",
                "/event/type", "Ev0FAULTS01");
}
END_TEST

/* A slash command: a form body, signed over its raw bytes too. */
START_TEST(slack_library_refuses_invalid_signatures_on_form_bodies)
{
    run_profile("slack",
                "token=hookreplay&team_id=T0INTEROP&channel_id=C0INTEROP&"
                "user_id=U0INTEROP&command=%2Finterop&text=caf%C3%A9+a%2Bb&"
                "response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2F1&"
                "trigger_id=13345224609.738474920.8088930838d88f008e0",
                NULL, "13345224609.738474920.8088930838d88f008e0");
}
END_TEST

START_TEST(shopify_library_refuses_every_invalid_signature_fault)
{
    run_profile("shopify",
                "{\"id\":820982911946154500,\"admin_graphql_api_id\":"
                "\"gid://shopify/Order/820982911946154500\",\"email\":"
                "\"ana@example.com\",\"financial_status\":\"paid\","
                "\"note\":\"na\xc3\xafve \xe2\x82\xac\"}",
                "/financial_status", NULL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sig_faults");
    TCase *tc = tcase_create("interop");
    int rc;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, stripe_library_refuses_every_invalid_signature_fault);
    tcase_add_test(tc, octokit_refuses_every_invalid_signature_fault);
    tcase_add_test(
        tc, standardwebhooks_library_refuses_every_invalid_signature_fault);
    tcase_add_test(tc, svix_library_refuses_every_invalid_signature_fault);
    tcase_add_test(tc, slack_library_refuses_every_invalid_signature_fault);
    tcase_add_test(tc, slack_library_refuses_invalid_signatures_on_form_bodies);
    tcase_add_test(tc, shopify_library_refuses_every_invalid_signature_fault);
    suite_add_tcase(s, tc);
    rc = t_run_suite(s);
    curl_global_cleanup();
    return rc;
}
