/* SPDX-License-Identifier: MIT */
/* Signature schemes against the providers' library verdicts and vectors. */
#include "sign.h"
#include "support.h"

#include <check.h>
#include <ctype.h>
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define VECTORS HR_SRC_DIR "/tests/data/vectors/signatures.json"
#define N_VECTORS 91
#define N_VALID_VECTORS 32

static const enum hr_scheme all_schemes[] = {
    HR_SCHEME_STRIPE, HR_SCHEME_GITHUB, HR_SCHEME_SHOPIFY,
    HR_SCHEME_SLACK,  HR_SCHEME_STDWH,  HR_SCHEME_SVIX};

/* A whsec_ secret (24 bytes) and a plain one, per key mode. */
#define WHSEC_A "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
#define WHSEC_B "whsec_dGVzdC1zZWNyZXQtc3ZpeC0wMDAwMDAwMDE="
#define WHSEC_C "whsec_dGVzdC1zZWNyZXQtc3RkLXdlYmhvb2tzMDE="

static void msg_clear(struct hr_message *m)
{
    size_t i;

    for (i = 0; i < m->n_headers; i++) {
        hr_free(m->headers[i].name);
        hr_free(m->headers[i].value);
    }
    hr_free(m->headers);
    m->headers = NULL;
    m->n_headers = 0;
}

static void msg_add(struct hr_message *m, const char *name, const char *value)
{
    m->headers =
        hr_realloc(m->headers, (m->n_headers + 1) * sizeof(*m->headers));
    ck_assert_ptr_nonnull(m->headers);
    m->headers[m->n_headers].name = hr_strdup(name);
    m->headers[m->n_headers].value = hr_strdup(value);
    m->n_headers++;
}

static const char *msg_get(const struct hr_message *m, const char *name)
{
    size_t i;

    for (i = 0; i < m->n_headers; i++)
        if (hr_strcaseeq(m->headers[i].name, name))
            return m->headers[i].value;
    return NULL;
}

static const char *jstr(const cJSON *o, const char *key)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, key);

    return cJSON_IsString(j) ? j->valuestring : NULL;
}

static int64_t jint(const cJSON *o, const char *key)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, key);

    return cJSON_IsNumber(j) ? (int64_t)j->valuedouble : 0;
}

/* The vector's headers and exact body bytes as a message. */
static void vector_message(const cJSON *vec, struct hr_message *m)
{
    const char *b64 = jstr(vec, "body_base64");
    const cJSON *h;
    size_t len = 0;

    memset(m, 0, sizeof(*m));
    ck_assert_ptr_nonnull(b64);
    m->body = hr_b64_decode(b64, strlen(b64), &len);
    ck_assert_ptr_nonnull(m->body);
    m->body_len = len;
    cJSON_ArrayForEach(h, cJSON_GetObjectItemCaseSensitive(vec, "headers"))
    {
        ck_assert(cJSON_IsString(h));
        msg_add(m, h->string, h->valuestring);
    }
}

static void vector_message_free(struct hr_message *m)
{
    msg_clear(m);
    hr_free(m->body);
}

static cJSON *load_vectors(void)
{
    cJSON *all = t_read_json(VECTORS);

    ck_assert_msg(cJSON_IsArray(all), "cannot read %s", VECTORS);
    return all;
}

START_TEST(every_vector_gets_the_library_verdict)
{
    cJSON *all = load_vectors();
    const cJSON *vec;
    int checked = 0;

    cJSON_ArrayForEach(vec, all)
    {
        const char *secret = jstr(vec, "secret");
        enum hr_scheme s = hr_scheme_from_name(jstr(vec, "provider"));
        const cJSON *want = cJSON_GetObjectItemCaseSensitive(vec, "valid");
        struct hr_message m;
        struct hr_verdict v;
        struct hr_err err;

        ck_assert_int_ne(s, HR_SCHEME_NONE);
        ck_assert(cJSON_IsBool(want));
        vector_message(vec, &m);
        ck_assert_int_eq(hr_verify(s, &secret, 1, &m, jint(vec, "now"),
                                   jint(vec, "tolerance_s"), &v, &err),
                         0);
        ck_assert_msg(v.valid == cJSON_IsTrue(want),
                      "%s %s: got %s (%s), library said %s",
                      jstr(vec, "provider"), jstr(vec, "case"),
                      v.valid ? "valid" : "invalid", v.reason,
                      cJSON_IsTrue(want) ? "valid" : "invalid");
        vector_message_free(&m);
        checked++;
    }
    ck_assert_int_eq(checked, N_VECTORS);
    cJSON_Delete(all);
}
END_TEST

/* 1 when entry is one of the sep-separated entries of list. */
static int list_has(const char *list, char sep, const char *entry,
                    size_t entry_len)
{
    const char *e = list;

    while (e) {
        const char *end = strchr(e, sep);
        size_t len = end ? (size_t)(end - e) : strlen(e);

        if (len == entry_len && memcmp(e, entry, len) == 0)
            return 1;
        e = end ? end + 1 : NULL;
    }
    return 0;
}

static size_t list_count(const char *list, char sep)
{
    size_t n = 1;

    for (; *list; list++)
        n += *list == sep;
    return n;
}

/*
 * Every entry we made must be in the vector's header; when the vector
 * has no other entries (no rotated-out secret), the values are equal.
 */
static void assert_entries_reproduced(const char *what, const char *ours,
                                      const char *theirs, char sep)
{
    const char *e = ours;

    ck_assert_msg(theirs != NULL, "%s: vector lacks the header", what);
    while (e) {
        const char *end = strchr(e, sep);
        size_t len = end ? (size_t)(end - e) : strlen(e);

        ck_assert_msg(list_has(theirs, sep, e, len),
                      "%s: our entry %.*s not in %s", what, (int)len, e,
                      theirs);
        e = end ? end + 1 : NULL;
    }
    if (list_count(theirs, sep) == list_count(ours, sep))
        ck_assert_str_eq(ours, theirs);
}

/* The vector's value of a Standard Webhooks header, svix- or webhook-. */
static const char *stdwh_value(const struct hr_message *vm, const char *pfx,
                               const char *suffix)
{
    char name[64];
    const char *v;

    snprintf(name, sizeof(name), "%s-%s", pfx, suffix);
    v = msg_get(vm, name);
    if (!v) {
        snprintf(name, sizeof(name), "webhook-%s", suffix);
        v = msg_get(vm, name);
    }
    return v;
}

static void assert_reproduced(const char *what, enum hr_scheme s,
                              const struct hr_message *ours,
                              const struct hr_message *vm)
{
    const char *shop;

    switch (s) {
    case HR_SCHEME_STRIPE:
        ck_assert_int_eq(ours->n_headers, 1);
        assert_entries_reproduced(what, msg_get(ours, "Stripe-Signature"),
                                  msg_get(vm, "Stripe-Signature"), ',');
        break;
    case HR_SCHEME_GITHUB:
        ck_assert_int_eq(ours->n_headers, 2);
        ck_assert_str_eq(msg_get(ours, "X-Hub-Signature-256"),
                         msg_get(vm, "X-Hub-Signature-256"));
        ck_assert_str_eq(msg_get(ours, "X-Hub-Signature"),
                         msg_get(vm, "X-Hub-Signature"));
        break;
    case HR_SCHEME_SHOPIFY:
        shop = msg_get(vm, "X-Shopify-Hmac-Sha256");
        shop = shop ? shop : msg_get(vm, "Shopify-Hmac-Sha256");
        ck_assert_int_eq(ours->n_headers, 1);
        ck_assert_str_eq(msg_get(ours, "X-Shopify-Hmac-Sha256"), shop);
        break;
    case HR_SCHEME_SLACK:
        ck_assert_int_eq(ours->n_headers, 2);
        ck_assert_str_eq(msg_get(ours, "X-Slack-Request-Timestamp"),
                         msg_get(vm, "X-Slack-Request-Timestamp"));
        ck_assert_str_eq(msg_get(ours, "X-Slack-Signature"),
                         msg_get(vm, "X-Slack-Signature"));
        break;
    default: {
        const char *pfx = s == HR_SCHEME_SVIX ? "svix" : "webhook";
        char name[64];

        ck_assert_int_eq(ours->n_headers, 3);
        snprintf(name, sizeof(name), "%s-id", pfx);
        ck_assert_str_eq(msg_get(ours, name), stdwh_value(vm, pfx, "id"));
        snprintf(name, sizeof(name), "%s-timestamp", pfx);
        ck_assert_str_eq(msg_get(ours, name),
                         stdwh_value(vm, pfx, "timestamp"));
        snprintf(name, sizeof(name), "%s-signature", pfx);
        assert_entries_reproduced(what, msg_get(ours, name),
                                  stdwh_value(vm, pfx, "signature"), ' ');
    }
    }
}

START_TEST(signer_reproduces_every_valid_vector)
{
    cJSON *all = load_vectors();
    const cJSON *vec;
    int reproduced = 0;

    cJSON_ArrayForEach(vec, all)
    {
        const char *secret = jstr(vec, "secret");
        struct hr_sign_input in = {0};
        struct hr_message vm, ours = {0};
        struct hr_err err;
        char what[160];

        if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(vec, "valid")))
            continue;
        snprintf(what, sizeof(what), "%s %s", jstr(vec, "provider"),
                 jstr(vec, "case"));
        vector_message(vec, &vm);
        in.scheme = hr_scheme_from_name(jstr(vec, "provider"));
        in.secrets = &secret;
        in.n_secrets = 1;
        in.id = jstr(vec, "id");
        in.timestamp = jint(vec, "timestamp");
        in.body = vm.body;
        in.body_len = vm.body_len;
        ck_assert_msg(hr_sign(&in, &ours, &err) == 0, "%s: %s", what, err.msg);
        assert_reproduced(what, in.scheme, &ours, &vm);
        msg_clear(&ours);
        vector_message_free(&vm);
        reproduced++;
    }
    ck_assert_int_eq(reproduced, N_VALID_VECTORS);
    cJSON_Delete(all);
}
END_TEST

static const char *secret_for(enum hr_scheme s, int which)
{
    static const char *const plain[] = {"test-secret-a", "test-secret-b",
                                        "test-secret-c"};
    static const char *const whsec[] = {WHSEC_A, WHSEC_B, WHSEC_C};

    return hr_scheme_key_mode(s) == HR_KEY_WHSEC_B64 ? whsec[which]
                                                     : plain[which];
}

/* Signs a fixed binary body at ts with the given secrets into m. */
static void sign_body(enum hr_scheme s, const char *const *secrets, size_t n,
                      int64_t ts, struct hr_message *m)
{
    static const unsigned char body[] = "{\"a\":1}\r\n\0\xff tail";
    struct hr_sign_input in = {0};
    struct hr_err err;

    memset(m, 0, sizeof(*m));
    m->body = hr_malloc(sizeof(body));
    memcpy(m->body, body, sizeof(body));
    m->body_len = sizeof(body) - 1;
    in.scheme = s;
    in.secrets = secrets;
    in.n_secrets = n;
    in.id = "msg_roundtrip_1";
    in.timestamp = ts;
    in.body = m->body;
    in.body_len = m->body_len;
    ck_assert_msg(hr_sign(&in, m, &err) == 0, "%s: %s", hr_scheme_name(s),
                  err.msg);
}

/* The Shopify library also requires these headers to be present. */
static void add_shopify_headers(enum hr_scheme s, struct hr_message *m)
{
    if (s != HR_SCHEME_SHOPIFY)
        return;
    msg_add(m, "X-Shopify-Topic", "orders/create");
    msg_add(m, "X-Shopify-Shop-Domain", "example.myshopify.com");
    msg_add(m, "X-Shopify-API-Version", "2025-07");
    msg_add(m, "X-Shopify-Webhook-Id", "b54557e4");
}

static int verifies(enum hr_scheme s, const char *secret,
                    const struct hr_message *m, int64_t now)
{
    struct hr_verdict v;
    struct hr_err err;

    ck_assert_int_eq(hr_verify(s, &secret, 1, m, now, 300, &v, &err), 0);
    return v.valid;
}

START_TEST(sign_then_verify_round_trips_for_each_scheme)
{
    enum hr_scheme s = all_schemes[_i];
    const char *secret = secret_for(s, 0);
    struct hr_message m;
    size_t i;

    sign_body(s, &secret, 1, 1750000000, &m);
    add_shopify_headers(s, &m);
    ck_assert_msg(verifies(s, secret, &m, 1750000010), "%s", hr_scheme_name(s));
    ck_assert(!verifies(s, secret_for(s, 1), &m, 1750000010));
    /* header names are matched without regard to case */
    for (i = 0; i < m.n_headers; i++)
        for (char *p = m.headers[i].name; *p; p++)
            *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
    ck_assert(verifies(s, secret, &m, 1750000010));
    m.body[m.body_len - 1] ^= 1; /* one flipped bit in the body */
    ck_assert(!verifies(s, secret, &m, 1750000010));
    vector_message_free(&m);
}
END_TEST

static const enum hr_scheme rotating[] = {HR_SCHEME_STRIPE, HR_SCHEME_STDWH,
                                          HR_SCHEME_SVIX};

START_TEST(rotation_signs_once_per_secret_and_each_secret_verifies_alone)
{
    enum hr_scheme s = rotating[_i];
    const char *secrets[2] = {secret_for(s, 0), secret_for(s, 1)};
    const char *sig;
    struct hr_message m;

    sign_body(s, secrets, 2, 1750000000, &m);
    sig = s == HR_SCHEME_STRIPE ? msg_get(&m, "Stripe-Signature")
          : s == HR_SCHEME_SVIX ? msg_get(&m, "svix-signature")
                                : msg_get(&m, "webhook-signature");
    ck_assert_ptr_nonnull(sig);
    if (s == HR_SCHEME_STRIPE) {
        ck_assert_int_eq(list_count(sig, ','), 3); /* t=, v1=, v1= */
        ck_assert(strncmp(sig, "t=1750000000,v1=", 16) == 0);
    } else {
        ck_assert_int_eq(list_count(sig, ' '), 2);
        ck_assert(strncmp(sig, "v1,", 3) == 0);
    }
    ck_assert(verifies(s, secrets[0], &m, 1750000030));
    ck_assert(verifies(s, secrets[1], &m, 1750000030));
    ck_assert(!verifies(s, secret_for(s, 2), &m, 1750000030));
    vector_message_free(&m);
}
END_TEST

static const enum hr_scheme single[] = {HR_SCHEME_GITHUB, HR_SCHEME_SHOPIFY,
                                        HR_SCHEME_SLACK};

START_TEST(single_signature_schemes_sign_with_the_first_secret_only)
{
    enum hr_scheme s = single[_i];
    const char *both[2] = {secret_for(s, 0), secret_for(s, 1)};
    struct hr_message two, one;
    size_t i;

    sign_body(s, both, 2, 1750000000, &two);
    sign_body(s, both, 1, 1750000000, &one);
    ck_assert_int_eq(two.n_headers, one.n_headers);
    for (i = 0; i < one.n_headers; i++) {
        ck_assert_str_eq(two.headers[i].name, one.headers[i].name);
        ck_assert_str_eq(two.headers[i].value, one.headers[i].value);
    }
    ck_assert(!verifies(s, both[1], &two, 1750000030));
    vector_message_free(&two);
    vector_message_free(&one);
}
END_TEST

/* Every allocation in turn fails: an error and nothing appended, or the
 * same headers as without failures. */
START_TEST(signing_survives_every_allocation_failure)
{
    enum hr_scheme s = all_schemes[_i];
    const char *secrets[2] = {secret_for(s, 0), secret_for(s, 1)};
    struct hr_message ref, m = {0};
    struct hr_sign_input in = {0};
    struct hr_err err;
    long n;
    int rc = -1;

    sign_body(s, secrets, 2, 1750000000, &ref);
    in.scheme = s;
    in.secrets = secrets;
    in.n_secrets = 2;
    in.id = "msg_roundtrip_1";
    in.timestamp = 1750000000;
    in.body = ref.body;
    in.body_len = ref.body_len;
    for (n = 0; n < 1000 && rc != 0; n++) {
        hr_alloc_fail_after(n);
        rc = hr_sign(&in, &m, &err);
        hr_alloc_fail_after(-1);
        if (rc)
            ck_assert_uint_eq(m.n_headers, 0);
    }
    ck_assert_int_eq(rc, 0);
    ck_assert_int_gt(n, 1);
    ck_assert_uint_eq(m.n_headers, ref.n_headers);
    for (size_t i = 0; i < m.n_headers; i++)
        ck_assert_str_eq(m.headers[i].value, ref.headers[i].value);
    /* verifying under failures: an error or a verdict, never a crash */
    add_shopify_headers(s, &ref);
    for (n = 0, rc = -1; n < 1000 && rc != 0; n++) {
        struct hr_verdict v;

        hr_alloc_fail_after(n);
        rc = hr_verify(s, secrets, 1, &ref, 1750000000, 300, &v, &err);
        hr_alloc_fail_after(-1);
        if (rc)
            ck_assert_int_eq(err.code, HR_EXIT_INTERNAL);
        else if (!v.valid)
            rc = -1; /* a key could not be made: try a later failure */
    }
    ck_assert_int_eq(rc, 0);
    msg_clear(&m);
    vector_message_free(&ref);
}
END_TEST

START_TEST(github_published_example_is_reproduced)
{
    const char *secret = "It's a Secret to Everybody";
    const char *body = "Hello, World!";
    struct hr_sign_input in = {0};
    struct hr_message m = {0};
    struct hr_err err;

    in.scheme = HR_SCHEME_GITHUB;
    in.secrets = &secret;
    in.n_secrets = 1;
    in.body = (const unsigned char *)body;
    in.body_len = strlen(body);
    ck_assert_int_eq(hr_sign(&in, &m, &err), 0);
    ck_assert_int_eq(m.n_headers, 2);
    ck_assert_str_eq(m.headers[0].name, "X-Hub-Signature");
    ck_assert_str_eq(m.headers[1].name, "X-Hub-Signature-256");
    ck_assert_str_eq(m.headers[1].value,
                     "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22"
                     "c46f4379c8b043e17");
    msg_clear(&m);
}
END_TEST

/* Signs an empty body for s with secrets; returns hr_sign's result. */
static int try_sign(enum hr_scheme s, const char *const *secrets, size_t n,
                    const char *id, struct hr_message *m, struct hr_err *err)
{
    struct hr_sign_input in = {0};

    in.scheme = s;
    in.secrets = secrets;
    in.n_secrets = n;
    in.id = id;
    in.timestamp = 1750000000;
    in.body = (const unsigned char *)"{}";
    in.body_len = 2;
    return hr_sign(&in, m, err);
}

START_TEST(undecodable_or_empty_whsec_secret_is_an_error)
{
    static const char *const bad[] = {"whsec_not*base64!", "whsec_", "",
                                      "whsec_abc"};
    struct hr_message m = {0};
    struct hr_err err;
    size_t i;

    msg_add(&m, "Content-Type", "application/json");
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *pair[2] = {WHSEC_A, bad[i]};

        err.code = 0;
        ck_assert_int_eq(
            try_sign(HR_SCHEME_STDWH, &bad[i], 1, "msg_1", &m, &err), -1);
        ck_assert_int_eq(err.code, HR_EXIT_INPUT);
        ck_assert(strstr(err.msg, "secret") != NULL);
        /* a bad second secret in a rotation fails the whole signing */
        ck_assert_int_eq(try_sign(HR_SCHEME_SVIX, pair, 2, "msg_1", &m, &err),
                         -1);
        ck_assert(strstr(err.msg, "secret 2") != NULL);
        ck_assert_int_eq(m.n_headers, 1);
    }
    ck_assert(strstr(err.msg, "abc") == NULL); /* never quotes a secret */
    msg_clear(&m);
}
END_TEST

START_TEST(signing_a_scheme_that_needs_an_id_without_one_is_an_error)
{
    const char *secret = WHSEC_A;
    struct hr_message m = {0};
    struct hr_err err;

    ck_assert_int_eq(try_sign(HR_SCHEME_STDWH, &secret, 1, NULL, &m, &err), -1);
    ck_assert_int_eq(err.code, HR_EXIT_INPUT);
    ck_assert_int_eq(
        try_sign(HR_SCHEME_SVIX, &secret, 1, "has space", &m, &err), -1);
    ck_assert_int_eq(try_sign(HR_SCHEME_STDWH, &secret, 0, "msg_1", &m, &err),
                     -1);
    ck_assert_int_eq(m.n_headers, 0);
}
END_TEST

START_TEST(whsec_prefix_is_optional_for_standard_webhooks)
{
    const char *with = WHSEC_A;
    struct hr_message m;

    sign_body(HR_SCHEME_STDWH, &with, 1, 1750000000, &m);
    ck_assert(
        verifies(HR_SCHEME_STDWH, with + strlen("whsec_"), &m, 1750000000));
    vector_message_free(&m);
}
END_TEST

START_TEST(tolerance_zero_disables_the_freshness_check)
{
    const char *secret = secret_for(HR_SCHEME_STRIPE, 0);
    struct hr_message m;
    struct hr_verdict v;
    struct hr_err err;

    sign_body(HR_SCHEME_STRIPE, &secret, 1, 1000, &m);
    ck_assert_int_eq(
        hr_verify(HR_SCHEME_STRIPE, &secret, 1, &m, 1750000000, 0, &v, &err),
        0);
    ck_assert(v.valid);
    ck_assert(!verifies(HR_SCHEME_STRIPE, secret, &m, 1750000000));
    vector_message_free(&m);
}
END_TEST

START_TEST(svix_reads_webhook_headers_only_when_a_svix_header_is_missing)
{
    const char *secret = WHSEC_B;
    struct hr_message m, mixed = {0};
    size_t i;

    sign_body(HR_SCHEME_SVIX, &secret, 1, 1750000000, &m);
    /* complete svix-* headers win over a bogus webhook-signature */
    msg_add(&m, "webhook-signature", "v1,AAAA");
    ck_assert(verifies(HR_SCHEME_SVIX, secret, &m, 1750000000));
    /* svix-signature missing: all three come from webhook-* instead */
    for (i = 0; i < 2; i++)
        msg_add(&mixed, m.headers[i].name, m.headers[i].value);
    msg_add(&mixed, "webhook-id", msg_get(&m, "svix-id"));
    msg_add(&mixed, "webhook-timestamp", msg_get(&m, "svix-timestamp"));
    msg_add(&mixed, "webhook-signature", msg_get(&m, "svix-signature"));
    mixed.body = m.body;
    mixed.body_len = m.body_len;
    ck_assert(verifies(HR_SCHEME_SVIX, secret, &mixed, 1750000000));
    /* standard-webhooks itself never reads svix-* names */
    ck_assert(!verifies(HR_SCHEME_STDWH, secret, &m, 1750000000));
    msg_clear(&mixed);
    vector_message_free(&m);
}
END_TEST

START_TEST(hmac_sha256_matches_rfc4231_test_case_2)
{
    const char *data = "what do ya want for nothing?";
    unsigned char mac[32];
    char hex[65];

    ck_assert_int_eq(hr_hmac_sha256((const unsigned char *)"Jefe", 4,
                                    (const unsigned char *)data, strlen(data),
                                    mac),
                     0);
    hr_hex(mac, sizeof(mac), hex);
    ck_assert_str_eq(hex, "5bdcc146bf60754e6a042426089575c7"
                          "5a003f089d2739839dec58b964ec3843");
}
END_TEST

START_TEST(scheme_names_and_key_modes_follow_the_providers)
{
    static const char *const names[] = {
        "stripe", "github", "shopify", "slack", "standard-webhooks", "svix"};
    size_t i;

    for (i = 0; i < 6; i++) {
        enum hr_scheme s = hr_scheme_from_name(names[i]);

        ck_assert_int_eq(s, all_schemes[i]);
        ck_assert_str_eq(hr_scheme_name(s), names[i]);
        ck_assert_int_eq(hr_scheme_key_mode(s),
                         i >= 4 ? HR_KEY_WHSEC_B64 : HR_KEY_UTF8);
    }
    ck_assert_int_eq(hr_scheme_from_name("Stripe"), HR_SCHEME_NONE);
    ck_assert_int_eq(hr_scheme_from_name("paypal"), HR_SCHEME_NONE);
}
END_TEST

/* Writes data to a new file in a new folder; returns its path. */
static char *temp_file(const char *data, size_t len, char **dir)
{
    char *path;

    *dir = t_tmpdir();
    ck_assert_ptr_nonnull(*dir);
    path = hr_path_join(*dir, "secrets");
    ck_assert_int_eq(t_write_file(path, data, len), 0);
    return path;
}

static void temp_file_remove(char *path, char *dir)
{
    unlink(path);
    rmdir(dir);
    hr_free(path);
    free(dir);
}

START_TEST(secret_file_holds_one_secret_per_line)
{
    static const char text[] = "first\r\n\nsecond has spaces \n\r\nlast";
    char *dir, *path = temp_file(text, strlen(text), &dir);
    char **s = NULL;
    size_t n = 0;
    struct hr_err err;

    ck_assert_int_eq(hr_secrets_load_file(path, &s, &n, &err), 0);
    ck_assert_uint_eq(n, 3);
    ck_assert_str_eq(s[0], "first");
    ck_assert_str_eq(s[1], "second has spaces ");
    ck_assert_str_eq(s[2], "last");
    hr_secrets_free(s, n);
    temp_file_remove(path, dir);
}
END_TEST

START_TEST(secret_file_without_a_secret_is_an_error)
{
    static const char *const texts[] = {"", "\n", "\r\n\n"};
    size_t i;

    for (i = 0; i < 3; i++) {
        char *dir, *path = temp_file(texts[i], strlen(texts[i]), &dir);
        char **s = NULL;
        size_t n = 7;
        struct hr_err err;

        ck_assert_int_eq(hr_secrets_load_file(path, &s, &n, &err), -1);
        ck_assert_int_eq(err.code, HR_EXIT_INPUT);
        ck_assert_ptr_null(s);
        ck_assert_uint_eq(n, 0);
        temp_file_remove(path, dir);
    }
}
END_TEST

START_TEST(missing_secret_file_is_an_input_error)
{
    char **s = NULL;
    size_t n = 0;
    struct hr_err err;

    ck_assert_int_eq(
        hr_secrets_load_file("/nonexistent/hookreplay/secrets", &s, &n, &err),
        -1);
    ck_assert_int_eq(err.code, HR_EXIT_INPUT);
}
END_TEST

START_TEST(secret_env_var_is_read_like_a_secret_file)
{
    char **s = NULL;
    size_t n = 0;
    struct hr_err err;

    setenv("HR_TEST_SIGN_SECRET", "one\r\ntwo\n", 1);
    ck_assert_int_eq(hr_secrets_load_env("HR_TEST_SIGN_SECRET", &s, &n, &err),
                     0);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(s[0], "one");
    ck_assert_str_eq(s[1], "two");
    hr_secrets_free(s, n);
    setenv("HR_TEST_SIGN_SECRET", "\n", 1);
    ck_assert_int_eq(hr_secrets_load_env("HR_TEST_SIGN_SECRET", &s, &n, &err),
                     -1);
    unsetenv("HR_TEST_SIGN_SECRET");
    ck_assert_int_eq(hr_secrets_load_env("HR_TEST_SIGN_SECRET", &s, &n, &err),
                     -1);
    ck_assert(strstr(err.msg, "$HR_TEST_SIGN_SECRET") != NULL);
}
END_TEST

/* ---- signature faults ---- */

#define FAULT_T 1750000000
#define FAULT_NONCE 0x5eed5eedULL

static const enum hr_sig_fault all_faults[] = {
    HR_SIG_NONE,    HR_SIG_FORGED,       HR_SIG_STALE,
    HR_SIG_MISSING, HR_SIG_WRONG_SCHEME, HR_SIG_ROTATED};

START_TEST(signature_fault_names_round_trip)
{
    static const char *const names[] = {"none",    "forged",       "stale",
                                        "missing", "wrong_scheme", "rotated"};
    size_t i;

    for (i = 0; i < 6; i++) {
        ck_assert_str_eq(hr_sig_fault_name(all_faults[i]), names[i]);
        ck_assert_int_eq(hr_sig_fault_from_name(names[i]), all_faults[i]);
    }
    ck_assert_int_eq(hr_sig_fault_from_name("Forged"), HR_SIG_NONE);
    ck_assert_int_eq(hr_sig_fault_from_name("tampered"), HR_SIG_NONE);
    ck_assert_int_eq(hr_sig_fault_from_name(NULL), HR_SIG_NONE);
    ck_assert_str_eq(hr_sig_fault_name((enum hr_sig_fault)42), "unknown");
}
END_TEST

START_TEST(signature_faults_apply_only_where_they_mean_something)
{
    /* rows: schemes in all_schemes order; columns: all_faults order */
    static const int want[6][6] = {
        {1, 1, 1, 1, 1, 1}, /* stripe */
        {1, 1, 0, 1, 1, 0}, /* github: no timestamp, one signature */
        {1, 1, 0, 1, 1, 0}, /* shopify */
        {1, 1, 1, 1, 1, 0}, /* slack: one signature */
        {1, 1, 1, 1, 1, 1}, /* standard-webhooks */
        {1, 1, 1, 1, 1, 1}, /* svix */
    };
    size_t s, f;

    for (s = 0; s < 6; s++)
        for (f = 0; f < 6; f++)
            ck_assert_msg(hr_sig_fault_applies(all_schemes[s], all_faults[f]) ==
                              want[s][f],
                          "%s %s", hr_scheme_name(all_schemes[s]),
                          hr_sig_fault_name(all_faults[f]));
    ck_assert(!hr_sig_fault_applies(HR_SCHEME_NONE, HR_SIG_NONE));
    ck_assert(!hr_sig_fault_applies(HR_SCHEME_STRIPE, (enum hr_sig_fault)9));
}
END_TEST

/* Signs the fixed body of sign_body at FAULT_T with fault f into m. */
static int sign_faulty(enum hr_scheme s, enum hr_sig_fault f,
                       int64_t tolerance_s, uint64_t nonce,
                       struct hr_message *m, struct hr_err *err)
{
    static const unsigned char body[] = "{\"type\":\"a\"}\r\n\0\xff tail";
    const char *secret = secret_for(s, 0);
    struct hr_sign_input in = {0};

    memset(m, 0, sizeof(*m));
    m->body = hr_malloc(sizeof(body));
    memcpy(m->body, body, sizeof(body));
    m->body_len = sizeof(body) - 1;
    in.scheme = s;
    in.secrets = &secret;
    in.n_secrets = 1;
    in.id = "msg_fault_1";
    in.timestamp = FAULT_T;
    in.body = m->body;
    in.body_len = m->body_len;
    return hr_sign_fault(&in, hr_scheme_key_mode(s), f, tolerance_s, nonce, m,
                         err);
}

/* The verdict of secret on m at FAULT_T + 30 with a 300 s window. */
static int keyed_valid(enum hr_scheme s, const char *secret,
                       const struct hr_message *m, int64_t tolerance_s)
{
    struct hr_verdict v;
    struct hr_err err;
    struct hr_message copy = *m;

    /* Shopify's library also wants its identity headers */
    if (s == HR_SCHEME_SHOPIFY) {
        copy.headers = NULL;
        copy.n_headers = 0;
        for (size_t i = 0; i < m->n_headers; i++)
            msg_add(&copy, m->headers[i].name, m->headers[i].value);
        add_shopify_headers(s, &copy);
    }
    ck_assert_int_eq(hr_verify_keyed(s, hr_scheme_key_mode(s), &secret, 1,
                                     &copy, FAULT_T + 30, tolerance_s, &v,
                                     &err),
                     0);
    if (s == HR_SCHEME_SHOPIFY)
        msg_clear(&copy);
    return v.valid;
}

static const char *sig_header(enum hr_scheme s)
{
    static const char *const names[] = {
        "Stripe-Signature",  "X-Hub-Signature-256", "X-Shopify-Hmac-Sha256",
        "X-Slack-Signature", "webhook-signature",   "svix-signature"};

    return names[s - HR_SCHEME_STRIPE];
}

START_TEST(each_signature_fault_gets_the_verdict_it_promises)
{
    enum hr_scheme s = all_schemes[_i];
    const char *real = secret_for(s, 0);
    size_t f;

    for (f = 0; f < 6; f++) {
        enum hr_sig_fault fault = all_faults[f];
        int should_pass = fault == HR_SIG_NONE || fault == HR_SIG_ROTATED;
        struct hr_message m;
        struct hr_err err;
        int rc = sign_faulty(s, fault, 300, FAULT_NONCE, &m, &err);

        if (!hr_sig_fault_applies(s, fault)) {
            ck_assert_int_eq(rc, -1);
            ck_assert_int_eq(err.code, HR_EXIT_INPUT);
            ck_assert_uint_eq(m.n_headers, 0);
        } else {
            ck_assert_msg(rc == 0, "%s", err.msg);
            ck_assert_msg(keyed_valid(s, real, &m, 300) == should_pass,
                          "%s %s: want %s", hr_scheme_name(s),
                          hr_sig_fault_name(fault),
                          should_pass ? "valid" : "invalid");
        }
        vector_message_free(&m);
    }
}
END_TEST

START_TEST(forged_signatures_come_from_a_derived_secret)
{
    enum hr_scheme s = all_schemes[_i];
    enum hr_key_mode mode = hr_scheme_key_mode(s);
    char *forged = hr_sig_fault_secret(secret_for(s, 0), mode, HR_SIG_FORGED,
                                       FAULT_NONCE, NULL);
    struct hr_message a, b, c;

    ck_assert_ptr_nonnull(forged);
    ck_assert_int_eq(sign_faulty(s, HR_SIG_FORGED, 300, FAULT_NONCE, &a, NULL),
                     0);
    ck_assert_int_eq(sign_faulty(s, HR_SIG_FORGED, 300, FAULT_NONCE, &b, NULL),
                     0);
    ck_assert_int_eq(
        sign_faulty(s, HR_SIG_FORGED, 300, FAULT_NONCE + 1, &c, NULL), 0);
    /* exactly the derived secret signed it, and only the nonce decides */
    ck_assert(keyed_valid(s, forged, &a, 300));
    ck_assert_str_eq(msg_get(&a, sig_header(s)), msg_get(&b, sig_header(s)));
    ck_assert_str_ne(msg_get(&a, sig_header(s)), msg_get(&c, sig_header(s)));
    ck_assert(!keyed_valid(s, forged, &c, 300));
    hr_free(forged);
    vector_message_free(&a);
    vector_message_free(&b);
    vector_message_free(&c);
}
END_TEST

START_TEST(fault_secrets_have_the_shape_of_the_real_one)
{
    static const char *const text[] = {"whsec_interop-text-secret-1",
                                       "test-secret-a", "x", "sk_live_abc"};
    static const char *const whsec[] = {WHSEC_A, WHSEC_B + 6};
    size_t i, j, real_len, fake_len;
    unsigned char *real_key, *fake_key;

    for (i = 0; i < 4; i++) {
        char *f =
            hr_sig_fault_secret(text[i], HR_KEY_UTF8, HR_SIG_FORGED, 7, NULL);
        char *r =
            hr_sig_fault_secret(text[i], HR_KEY_UTF8, HR_SIG_ROTATED, 7, NULL);
        size_t keep = i == 0 ? 6 : i == 3 ? 3 : 0;

        ck_assert_uint_eq(strlen(f), strlen(text[i]));
        ck_assert_str_ne(f, text[i]);
        ck_assert_str_ne(f, r);
        ck_assert(strncmp(f, text[i], keep) == 0);
        for (j = keep; f[j]; j++)
            ck_assert(isalnum((unsigned char)f[j]));
        hr_free(f);
        hr_free(r);
    }
    for (i = 0; i < 2; i++) {
        char *f = hr_sig_fault_secret(whsec[i], HR_KEY_WHSEC_B64,
                                      HR_SIG_ROTATED, 7, NULL);

        ck_assert(strncmp(f, "whsec_", 6) == 0);
        ck_assert_int_eq(hr_secret_key(whsec[i], HR_KEY_WHSEC_B64, &real_key,
                                       &real_len, NULL),
                         0);
        ck_assert_int_eq(
            hr_secret_key(f, HR_KEY_WHSEC_B64, &fake_key, &fake_len, NULL), 0);
        ck_assert_uint_eq(fake_len, real_len);
        ck_assert(memcmp(fake_key, real_key, real_len) != 0);
        hr_secret_key_free(real_key, real_len);
        hr_secret_key_free(fake_key, fake_len);
        hr_free(f);
    }
    {
        struct hr_err err;

        ck_assert_ptr_null(hr_sig_fault_secret("whsec_*", HR_KEY_WHSEC_B64,
                                               HR_SIG_FORGED, 1, &err));
        ck_assert_int_eq(err.code, HR_EXIT_INPUT);
        ck_assert_ptr_null(
            hr_sig_fault_secret("abc", HR_KEY_UTF8, HR_SIG_STALE, 1, &err));
        ck_assert_int_eq(err.code, HR_EXIT_INPUT);
    }
}
END_TEST

/* The signed timestamp of m as text. */
static const char *signed_ts(enum hr_scheme s, const struct hr_message *m)
{
    static char ts[32];
    const char *v;

    if (s == HR_SCHEME_STRIPE) {
        v = msg_get(m, "Stripe-Signature");
        snprintf(ts, sizeof(ts), "%.*s", (int)strcspn(v + 2, ","), v + 2);
        return ts;
    }
    return s == HR_SCHEME_SLACK  ? msg_get(m, "X-Slack-Request-Timestamp")
           : s == HR_SCHEME_SVIX ? msg_get(m, "svix-timestamp")
                                 : msg_get(m, "webhook-timestamp");
}

static const enum hr_scheme timed[] = {HR_SCHEME_STRIPE, HR_SCHEME_SLACK,
                                       HR_SCHEME_STDWH, HR_SCHEME_SVIX};

START_TEST(stale_signatures_are_just_outside_the_window)
{
    enum hr_scheme s = timed[_i];
    const char *real = secret_for(s, 0);
    struct hr_message m, z;
    char want[32];

    ck_assert_int_eq(sign_faulty(s, HR_SIG_STALE, 300, 1, &m, NULL), 0);
    snprintf(want, sizeof(want), "%d", FAULT_T - 360);
    ck_assert_str_eq(signed_ts(s, &m), want);
    ck_assert(!keyed_valid(s, real, &m, 300));
    ck_assert(keyed_valid(s, real, &m, 0)); /* only the time is wrong */
    ck_assert(keyed_valid(s, real, &m, 400));
    ck_assert_int_eq(sign_faulty(s, HR_SIG_STALE, 0, 1, &z, NULL), 0);
    snprintf(want, sizeof(want), "%d", FAULT_T - 3660);
    ck_assert_str_eq(signed_ts(s, &z), want);
    vector_message_free(&m);
    vector_message_free(&z);
}
END_TEST

START_TEST(missing_signature_keeps_every_other_header)
{
    enum hr_scheme s = all_schemes[_i];
    struct hr_message full, m;
    size_t i, j = 0;

    ck_assert_int_eq(sign_faulty(s, HR_SIG_NONE, 300, 1, &full, NULL), 0);
    ck_assert_int_eq(sign_faulty(s, HR_SIG_MISSING, 300, 1, &m, NULL), 0);
    ck_assert_ptr_null(msg_get(&m, sig_header(s)));
    ck_assert_ptr_null(msg_get(&m, "X-Hub-Signature"));
    for (i = 0; i < full.n_headers; i++) {
        if (hr_strcaseeq(full.headers[i].name, sig_header(s)) ||
            hr_strcaseeq(full.headers[i].name, "X-Hub-Signature"))
            continue;
        ck_assert_uint_lt(j, m.n_headers);
        ck_assert_str_eq(m.headers[j].name, full.headers[i].name);
        ck_assert_str_eq(m.headers[j].value, full.headers[i].value);
        j++;
    }
    ck_assert_uint_eq(j, m.n_headers);
    ck_assert_uint_eq(m.n_headers, s == HR_SCHEME_STDWH || s == HR_SCHEME_SVIX
                                       ? 2
                                   : s == HR_SCHEME_SLACK ? 1
                                                          : 0);
    vector_message_free(&full);
    vector_message_free(&m);
}
END_TEST

START_TEST(rotated_signatures_put_the_retired_secret_first)
{
    enum hr_scheme s = rotating[_i];
    char *retired = hr_sig_fault_secret(secret_for(s, 0), hr_scheme_key_mode(s),
                                        HR_SIG_ROTATED, 3, NULL);
    struct hr_message m, plain;
    const char *sig, *one;
    char sep = s == HR_SCHEME_STRIPE ? ',' : ' ';

    ck_assert_int_eq(sign_faulty(s, HR_SIG_ROTATED, 300, 3, &m, NULL), 0);
    ck_assert_int_eq(sign_faulty(s, HR_SIG_NONE, 300, 3, &plain, NULL), 0);
    sig = msg_get(&m, sig_header(s));
    one = msg_get(&plain, sig_header(s));
    ck_assert_uint_eq(list_count(sig, sep), list_count(one, sep) + 1);
    /* the real signature is the last entry, as hr_sign writes it alone */
    ck_assert_str_eq(strrchr(sig, sep) + 1,
                     strrchr(one, sep) ? strrchr(one, sep) + 1 : one);
    ck_assert(keyed_valid(s, retired, &m, 300));
    ck_assert(keyed_valid(s, secret_for(s, 0), &m, 300));
    ck_assert(!keyed_valid(s, secret_for(s, 1), &m, 300));
    hr_free(retired);
    vector_message_free(&m);
    vector_message_free(&plain);
}
END_TEST

START_TEST(wrong_scheme_reproduces_the_library_vectors)
{
    cJSON *all = load_vectors();
    const cJSON *vec;
    int seen = 0;

    cJSON_ArrayForEach(vec, all)
    {
        const char *secret = jstr(vec, "secret");
        struct hr_sign_input in = {0};
        struct hr_message vm, ours = {0};
        struct hr_err err;
        const char *name;

        if (strncmp(jstr(vec, "case"), "invalid_wrong_scheme", 20) != 0)
            continue;
        vector_message(vec, &vm);
        in.scheme = hr_scheme_from_name(jstr(vec, "provider"));
        in.secrets = &secret;
        in.n_secrets = 1;
        in.id = jstr(vec, "id");
        in.timestamp = jint(vec, "timestamp");
        in.body = vm.body;
        in.body_len = vm.body_len;
        ck_assert_int_eq(hr_sign_fault(&in, hr_scheme_key_mode(in.scheme),
                                       HR_SIG_WRONG_SCHEME, 300, 1, &ours,
                                       &err),
                         0);
        name = sig_header(in.scheme);
        ck_assert_str_eq(msg_get(&ours, name), msg_get(&vm, name));
        if (in.scheme == HR_SCHEME_GITHUB)
            ck_assert_str_eq(msg_get(&ours, "X-Hub-Signature"),
                             msg_get(&vm, "X-Hub-Signature"));
        msg_clear(&ours);
        vector_message_free(&vm);
        seen++;
    }
    ck_assert_int_eq(seen, 6);
    cJSON_Delete(all);
}
END_TEST

START_TEST(signature_faults_survive_every_allocation_failure)
{
    enum hr_scheme s = all_schemes[_i];
    const char *secret = secret_for(s, 0);
    size_t f;

    for (f = 1; f < 6; f++) {
        struct hr_message ref, m = {0};
        struct hr_sign_input in = {0};
        struct hr_err err;
        long n;
        int rc = -1;

        if (!hr_sig_fault_applies(s, all_faults[f]))
            continue;
        ck_assert_int_eq(sign_faulty(s, all_faults[f], 300, 9, &ref, &err), 0);
        in.scheme = s;
        in.secrets = &secret;
        in.n_secrets = 1;
        in.id = "msg_fault_1";
        in.timestamp = FAULT_T;
        in.body = ref.body;
        in.body_len = ref.body_len;
        for (n = 0; n < 2000 && rc != 0; n++) {
            hr_alloc_fail_after(n);
            rc = hr_sign_fault(&in, hr_scheme_key_mode(s), all_faults[f], 300,
                               9, &m, &err);
            hr_alloc_fail_after(-1);
            if (rc)
                ck_assert_uint_eq(m.n_headers, 0);
        }
        ck_assert_int_eq(rc, 0);
        ck_assert_int_gt(n, 1);
        ck_assert_uint_eq(m.n_headers, ref.n_headers);
        for (size_t i = 0; i < m.n_headers; i++)
            ck_assert_str_eq(m.headers[i].value, ref.headers[i].value);
        msg_clear(&m);
        vector_message_free(&ref);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sign");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, every_vector_gets_the_library_verdict);
    tcase_add_test(tc, signer_reproduces_every_valid_vector);
    tcase_add_loop_test(tc, sign_then_verify_round_trips_for_each_scheme, 0, 6);
    tcase_add_loop_test(
        tc, rotation_signs_once_per_secret_and_each_secret_verifies_alone, 0,
        3);
    tcase_add_loop_test(
        tc, single_signature_schemes_sign_with_the_first_secret_only, 0, 3);
    tcase_add_loop_test(tc, signing_survives_every_allocation_failure, 0, 6);
    tcase_add_test(tc, github_published_example_is_reproduced);
    tcase_add_test(tc, undecodable_or_empty_whsec_secret_is_an_error);
    tcase_add_test(tc,
                   signing_a_scheme_that_needs_an_id_without_one_is_an_error);
    tcase_add_test(tc, whsec_prefix_is_optional_for_standard_webhooks);
    tcase_add_test(tc, tolerance_zero_disables_the_freshness_check);
    tcase_add_test(
        tc, svix_reads_webhook_headers_only_when_a_svix_header_is_missing);
    tcase_add_test(tc, hmac_sha256_matches_rfc4231_test_case_2);
    tcase_add_test(tc, scheme_names_and_key_modes_follow_the_providers);
    tcase_add_test(tc, secret_file_holds_one_secret_per_line);
    tcase_add_test(tc, secret_file_without_a_secret_is_an_error);
    tcase_add_test(tc, missing_secret_file_is_an_input_error);
    tcase_add_test(tc, secret_env_var_is_read_like_a_secret_file);
    tcase_add_test(tc, signature_fault_names_round_trip);
    tcase_add_test(tc, signature_faults_apply_only_where_they_mean_something);
    tcase_add_loop_test(tc, each_signature_fault_gets_the_verdict_it_promises,
                        0, 6);
    tcase_add_loop_test(tc, forged_signatures_come_from_a_derived_secret, 0, 6);
    tcase_add_test(tc, fault_secrets_have_the_shape_of_the_real_one);
    tcase_add_loop_test(tc, stale_signatures_are_just_outside_the_window, 0, 4);
    tcase_add_loop_test(tc, missing_signature_keeps_every_other_header, 0, 6);
    tcase_add_loop_test(tc, rotated_signatures_put_the_retired_secret_first, 0,
                        3);
    tcase_add_test(tc, wrong_scheme_reproduces_the_library_vectors);
    tcase_add_loop_test(tc, signature_faults_survive_every_allocation_failure,
                        0, 6);
    suite_add_tcase(s, tc);
    return t_run_suite(s);
}
