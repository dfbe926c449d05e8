/* SPDX-License-Identifier: MIT */
/* Profiles: the bundled ones load, strictness, and event derivation. */
#include "jsonx.h"
#include "profile.h"
#include "support.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

static struct hr_profile *load(const char *name)
{
    struct hr_err err = {0, ""};
    struct hr_profile *p = hr_profile_load(name, NULL, &err);

    ck_assert_msg(p != NULL, "%s: %s", name, err.msg);
    return p;
}

/* Derives the event of body + headers ("Name: value" strings). */
static void derive(const char *profile, const char *body,
                   const char *const *headers, struct hr_event *ev)
{
    struct hr_profile *p = load(profile);
    struct hr_message m;
    struct hr_err err = {0, ""};
    size_t i;

    memset(&m, 0, sizeof(m));
    for (i = 0; headers && headers[i]; i += 2)
        ck_assert_int_eq(hr_message_add_header(&m, headers[i], headers[i + 1]),
                         0);
    m.body = (unsigned char *)(uintptr_t)body;
    m.body_len = strlen(body);
    ck_assert_msg(hr_profile_event(p, &m, ev, &err) == 0, "%s", err.msg);
    for (i = 0; i < m.n_headers; i++) {
        hr_free(m.headers[i].name);
        hr_free(m.headers[i].value);
    }
    hr_free(m.headers);
    hr_profile_free(p);
}

static void event_free(struct hr_event *ev)
{
    hr_free(ev->id);
    hr_free(ev->type);
    hr_free(ev->object);
}

/* The vector body of provider's valid_utf8 case; caller frees. */
static char *vector(const char *provider, const char *header, char **value)
{
    cJSON *v = t_read_json(HR_SRC_DIR "/tests/data/vectors/signatures.json");
    const cJSON *it;
    char *body = NULL;

    ck_assert_ptr_nonnull(v);
    cJSON_ArrayForEach(it, v)
    {
        const cJSON *p = cJSON_GetObjectItem(it, "provider");
        const cJSON *c = cJSON_GetObjectItem(it, "case");
        const cJSON *h = cJSON_GetObjectItem(it, "headers");

        if (strcmp(p->valuestring, provider) ||
            strcmp(c->valuestring, "valid_utf8"))
            continue;
        body = strdup(cJSON_GetObjectItem(it, "body")->valuestring);
        if (header)
            *value = strdup(cJSON_GetObjectItem(h, header)->valuestring);
        break;
    }
    cJSON_Delete(v);
    ck_assert_ptr_nonnull(body);
    return body;
}

static char *read_text(const char *path)
{
    struct hr_err err = {0, ""};
    size_t len;
    char *t = hr_read_file(path, &len, &err);

    ck_assert_msg(t != NULL, "%s", err.msg);
    return t;
}

START_TEST(profile_every_bundled_profile_loads)
{
    static const char *const names[] = {
        "stripe", "github", "shopify", "slack", "standard-webhooks",
        "svix",   NULL};
    const char *const *n;

    for (n = names; *n; n++) {
        struct hr_profile *p = load(*n);

        ck_assert_str_eq(p->name, *n);
        ck_assert_int_gt((int)p->ev_id.n_sources, 0);
        ck_assert_int_gt((int)p->timeout_ms, 0);
        hr_profile_free(p);
    }
}
END_TEST

static void expect_error(const char *json, const char *want)
{
    struct hr_err err = {0, ""};
    struct hr_profile *p = hr_profile_parse("p.json", json, strlen(json), &err);

    ck_assert_ptr_null(p);
    ck_assert_msg(strstr(err.msg, want), "want '%s' in '%s'", want, err.msg);
}

#define HEAD                                                                   \
    "{\"hookreplay\":\"profile\",\"version\":1,\"name\":\"x\","                \
    "\"signature\":{\"scheme\":\"stripe\",\"headers\":[\"S\"]},"

START_TEST(profile_unknown_fields_are_errors_naming_the_pointer)
{
    expect_error(HEAD "\"retyr\":{},\"event\":{\"id\":{\"from\":[{\"pointer\":"
                      "\"/id\"}]},\"type\":{\"from\":[]}}}",
                 "p.json: /retyr: unknown field");
    expect_error(HEAD "\"event\":{\"id\":{\"from\":[{\"pointer\":\"/id\","
                      "\"colour\":1}]},\"type\":{\"from\":[]}}}",
                 "p.json: /event/id/from/0/colour: unknown field");
    expect_error(HEAD "\"event\":{\"id\":{\"from\":[{\"pointer\":\"/id\","
                      "\"types\":[\"a\"]}]},\"type\":{\"from\":[]}}}",
                 "/event/id/from/0: \"types\" applies to object");
    expect_error(HEAD "\"event\":{\"id\":{\"from\":[]},\"type\":{\"from\":"
                      "[]}},\"handshake\":{\"body\":\"{}\","
                      "\"expect\":\"maybe\"}}",
                 "/handshake/expect: must be \"2xx\" or \"echo\"");
}
END_TEST

START_TEST(profile_stripe_event_comes_from_the_body)
{
    char *body = vector("stripe", NULL, NULL);
    struct hr_event ev;

    derive("stripe", body, NULL, &ev);
    ck_assert_str_eq(ev.id, "evt_test_hookreplay_0001");
    ck_assert_str_eq(ev.type, "customer.created");
    ck_assert_str_eq(ev.object, "cus_test_0001");
    ck_assert(ev.has_created && ev.created == 1750000000);
    event_free(&ev);
    free(body);
}
END_TEST

START_TEST(profile_github_object_depends_on_the_event_type)
{
    static const char *const issue_hdrs[] = {
        "X-GitHub-Event", "issues", "X-GitHub-Delivery",
        "0b3c7e2a-0000-4000-8000-000000000001", NULL};
    static const char *const push_hdrs[] = {
        "X-GitHub-Event", "push", "X-GitHub-Delivery",
        "0b3c7e2a-0000-4000-8000-000000000002", NULL};
    static const char *const label_hdrs[] = {"X-GitHub-Event", "label",
                                             "X-GitHub-Delivery", "d3", NULL};
    char *issue = read_text(HR_SRC_DIR "/tests/data/github-payloads/issues/"
                                       "opened.payload.json");
    char *push =
        read_text(HR_SRC_DIR "/tests/data/github-payloads/push/payload.json");
    char *label = read_text(HR_SRC_DIR "/tests/data/github-payloads/label/"
                                       "created.payload.json");
    cJSON *j = cJSON_Parse(issue);
    struct hr_event ev;

    derive("github", issue, issue_hdrs, &ev);
    ck_assert_str_eq(ev.id, "0b3c7e2a-0000-4000-8000-000000000001");
    ck_assert_str_eq(ev.type, "issues.opened");
    ck_assert_str_eq(ev.object,
                     hr_json_pointer(j, "/issue/node_id")->valuestring);
    ck_assert(!ev.has_created);
    event_free(&ev);
    /* a push is about no single object, though it names a repository */
    derive("github", push, push_hdrs, &ev);
    ck_assert_str_eq(ev.type, "push");
    ck_assert_ptr_null(ev.object);
    event_free(&ev);
    derive("github", label, label_hdrs, &ev);
    ck_assert_str_eq(ev.type, "label.created");
    ck_assert_str_eq(ev.object, "MDU6TGFiZWwxMzYyOTM3MDI2");
    event_free(&ev);
    cJSON_Delete(j);
    hr_free(issue);
    hr_free(push);
    hr_free(label);
}
END_TEST

START_TEST(profile_shopify_id_is_the_documented_event_id)
{
    char *event_id = NULL,
         *body = vector("shopify", "X-Shopify-Event-Id", &event_id);
    const char *const hdrs[] = {"X-Shopify-Topic",
                                "orders/create",
                                "X-Shopify-Webhook-Id",
                                "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
                                "X-Shopify-Event-Id",
                                event_id,
                                "X-Shopify-Triggered-At",
                                "2025-06-15T15:06:40.123Z",
                                NULL};
    const char *const old_hdrs[] = {
        "X-Shopify-Topic", "orders/create", "X-Shopify-Webhook-Id",
        "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043", NULL};
    struct hr_event ev;

    derive("shopify", body, hdrs, &ev);
    ck_assert_str_eq(ev.id, event_id);
    ck_assert_str_eq(ev.type, "orders/create");
    /* beyond 2^53: every digit is kept from the body text */
    ck_assert_str_eq(ev.object, "820982911946154500");
    ck_assert(ev.has_created && ev.created == 1750000000);
    event_free(&ev);
    derive("shopify", body, old_hdrs, &ev);
    ck_assert_str_eq(ev.id, "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043");
    event_free(&ev);
    free(body);
    free(event_id);
}
END_TEST

START_TEST(profile_slack_reads_json_and_form_bodies)
{
    static const char interactive[] =
        "payload=%7B%22type%22%3A%22block_actions%22%2C%22trigger_id%22%3A"
        "%2213345224609.738474920.8088930838d88f008e0%22%2C%22channel%22%3A"
        "%7B%22id%22%3A%22CBR2V3XEX%22%7D%7D";
    static const char slash[] =
        "token=gIkuvaNzQIHg97ATvDxqgjtO&team_id=T0001&channel_id=C2147483705"
        "&command=%2Fweather&text=94070&trigger_id=13345224609.738474920."
        "8088930838d88f008e0";
    char *events = vector("slack", NULL, NULL);
    struct hr_event ev;

    derive("slack", events, NULL, &ev);
    ck_assert_str_eq(ev.id, "Ev00000001");
    ck_assert_str_eq(ev.type, "message");
    ck_assert_str_eq(ev.object, "C00000001");
    ck_assert(ev.has_created && ev.created == 1750000000);
    event_free(&ev);
    derive("slack", interactive, NULL, &ev);
    ck_assert_str_eq(ev.id, "13345224609.738474920.8088930838d88f008e0");
    ck_assert_str_eq(ev.type, "block_actions");
    ck_assert_str_eq(ev.object, "CBR2V3XEX");
    event_free(&ev);
    derive("slack", slash, NULL, &ev);
    ck_assert_str_eq(ev.id, "13345224609.738474920.8088930838d88f008e0");
    ck_assert_str_eq(ev.type, "/weather");
    ck_assert_str_eq(ev.object, "C2147483705");
    event_free(&ev);
    free(events);
}
END_TEST

START_TEST(profile_slack_describes_its_url_verification_handshake)
{
    struct hr_profile *p = load("slack");
    cJSON *body;

    ck_assert(p->has_handshake);
    ck_assert(p->hs_echo);
    body = cJSON_Parse(p->hs_body);
    ck_assert_str_eq(cJSON_GetObjectItem(body, "type")->valuestring,
                     "url_verification");
    ck_assert_str_eq(cJSON_GetObjectItem(body, "challenge")->valuestring,
                     "{{challenge}}");
    cJSON_Delete(body);
    hr_profile_free(p);
    p = load("stripe");
    ck_assert(!p->has_handshake);
    hr_profile_free(p);
}
END_TEST

START_TEST(profile_standard_webhooks_id_comes_from_the_header)
{
    char *id = NULL, *body = vector("standard-webhooks", "webhook-id", &id);
    const char *const hdrs[] = {"webhook-id", id, NULL};
    struct hr_event ev;

    derive("standard-webhooks", body, hdrs, &ev);
    ck_assert_str_eq(ev.id, id);
    ck_assert_str_eq(ev.type, "contact.created");
    ck_assert_str_eq(ev.object, "c_0001");
    ck_assert(ev.has_created && ev.created == 1750000000);
    event_free(&ev);
    free(body);
    free(id);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("profile");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, profile_every_bundled_profile_loads);
    tcase_add_test(tc, profile_unknown_fields_are_errors_naming_the_pointer);
    tcase_add_test(tc, profile_stripe_event_comes_from_the_body);
    tcase_add_test(tc, profile_github_object_depends_on_the_event_type);
    tcase_add_test(tc, profile_shopify_id_is_the_documented_event_id);
    tcase_add_test(tc, profile_slack_reads_json_and_form_bodies);
    tcase_add_test(tc, profile_slack_describes_its_url_verification_handshake);
    tcase_add_test(tc, profile_standard_webhooks_id_comes_from_the_header);
    suite_add_tcase(s, tc);
    return t_run_suite(s);
}
