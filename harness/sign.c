/* SPDX-License-Identifier: MIT */
/* Webhook signature schemes: secrets to keys, signing and verifying. */
#include "sign.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define WHSEC_PREFIX "whsec_"
#define SHA256_BYTES 32
#define SHA1_BYTES 20

static const struct {
    const char *name;
    enum hr_scheme scheme;
} scheme_names[] = {
    {"stripe", HR_SCHEME_STRIPE},           {"github", HR_SCHEME_GITHUB},
    {"shopify", HR_SCHEME_SHOPIFY},         {"slack", HR_SCHEME_SLACK},
    {"standard-webhooks", HR_SCHEME_STDWH}, {"svix", HR_SCHEME_SVIX},
};

#define N_SCHEMES (sizeof(scheme_names) / sizeof(scheme_names[0]))

enum hr_scheme hr_scheme_from_name(const char *name)
{
    size_t i;

    for (i = 0; name && i < N_SCHEMES; i++)
        if (strcmp(scheme_names[i].name, name) == 0)
            return scheme_names[i].scheme;
    return HR_SCHEME_NONE;
}

const char *hr_scheme_name(enum hr_scheme s)
{
    size_t i;

    for (i = 0; i < N_SCHEMES; i++)
        if (scheme_names[i].scheme == s)
            return scheme_names[i].name;
    return "none";
}

enum hr_key_mode hr_scheme_key_mode(enum hr_scheme s)
{
    return (s == HR_SCHEME_STDWH || s == HR_SCHEME_SVIX) ? HR_KEY_WHSEC_B64
                                                         : HR_KEY_UTF8;
}

int hr_scheme_signs_id(enum hr_scheme s)
{
    return s == HR_SCHEME_STDWH || s == HR_SCHEME_SVIX;
}

int hr_scheme_signs_timestamp(enum hr_scheme s)
{
    return s == HR_SCHEME_STRIPE || s == HR_SCHEME_SLACK ||
           s == HR_SCHEME_STDWH || s == HR_SCHEME_SVIX;
}

/* ---- HMAC through EVP_MAC ---- */

static EVP_MAC *hmac_impl;
static pthread_once_t hmac_once = PTHREAD_ONCE_INIT;

/* Fetched once and kept: fetching per message costs a provider lookup. */
static void hmac_fetch(void)
{
    hmac_impl = EVP_MAC_fetch(NULL, "HMAC", NULL);
}

/* One piece of the signed content; the pieces are MACed in order. */
struct part {
    const void *p;
    size_t n;
};

static int hmac_parts(const char *digest, const unsigned char *key,
                      size_t key_len, const struct part *parts, size_t n_parts,
                      unsigned char *out, size_t out_bytes)
{
    static const unsigned char empty_key[1];
    OSSL_PARAM params[2];
    EVP_MAC_CTX *ctx;
    size_t i, got = 0;
    int rc = -1;

    pthread_once(&hmac_once, hmac_fetch);
    if (!hmac_impl)
        return -1;
    ctx = EVP_MAC_CTX_new(hmac_impl);
    if (!ctx)
        return -1;
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                 (char *)digest, 0);
    params[1] = OSSL_PARAM_construct_end();
    if (!EVP_MAC_init(ctx, key_len ? key : empty_key, key_len, params))
        goto out;
    for (i = 0; i < n_parts; i++)
        if (parts[i].n && !EVP_MAC_update(ctx, parts[i].p, parts[i].n))
            goto out;
    if (!EVP_MAC_final(ctx, out, &got, out_bytes) || got != out_bytes)
        goto out;
    rc = 0;
out:
    EVP_MAC_CTX_free(ctx);
    return rc;
}

int hr_hmac_sha256(const unsigned char *key, size_t key_len,
                   const unsigned char *msg, size_t msg_len,
                   unsigned char out[32])
{
    struct part p = {msg, msg_len};

    return hmac_parts("SHA256", key, key_len, &p, 1, out, SHA256_BYTES);
}

/* ---- keys ---- */

int hr_secret_key(const char *secret, enum hr_key_mode mode,
                  unsigned char **key, size_t *key_len, struct hr_err *err)
{
    const char *text = secret;
    size_t len;

    *key = NULL;
    *key_len = 0;
    if (!secret || !secret[0])
        return hr_errf(err, HR_EXIT_INPUT, "the secret is empty");
    if (mode == HR_KEY_UTF8) {
        *key = (unsigned char *)hr_strdup(secret);
        *key_len = strlen(secret);
        return *key ? 0 : hr_errf(err, HR_EXIT_INTERNAL, "out of memory");
    }
    if (strncmp(text, WHSEC_PREFIX, strlen(WHSEC_PREFIX)) == 0)
        text += strlen(WHSEC_PREFIX);
    len = strlen(text);
    if (len == 0)
        return hr_errf(err, HR_EXIT_INPUT,
                       "the secret has nothing after whsec_");
    *key = hr_b64_decode(text, len, key_len);
    if (!*key)
        return hr_errf(err, HR_EXIT_INPUT,
                       "the secret is not base64 after the optional "
                       "whsec_ prefix (this scheme decodes it to bytes)");
    if (*key_len == 0) {
        hr_free(*key);
        *key = NULL;
        return hr_errf(err, HR_EXIT_INPUT, "the secret decodes to no bytes");
    }
    return 0;
}

void hr_secret_key_free(unsigned char *key, size_t key_len)
{
    if (!key)
        return;
    OPENSSL_cleanse(key, key_len);
    hr_free(key);
}

/* All secrets turned into keys; a secret that cannot be one stays NULL. */
struct keyring {
    unsigned char **keys;
    size_t *lens;
    size_t n;
    size_t usable;
    struct hr_err first_err;
};

static int keyring_load(struct keyring *kr, const char *const *secrets,
                        size_t n, enum hr_key_mode mode)
{
    size_t i;

    memset(kr, 0, sizeof(*kr));
    kr->keys = hr_calloc(n ? n : 1, sizeof(*kr->keys));
    kr->lens = hr_calloc(n ? n : 1, sizeof(*kr->lens));
    if (!kr->keys || !kr->lens)
        return -1;
    kr->n = n;
    for (i = 0; i < n; i++) {
        struct hr_err e;

        if (hr_secret_key(secrets[i], mode, &kr->keys[i], &kr->lens[i], &e) ==
            0) {
            kr->usable++;
        } else if (e.code == HR_EXIT_INTERNAL) {
            return -1;
        } else if (kr->usable == 0 && !kr->first_err.msg[0]) {
            snprintf(kr->first_err.msg, sizeof(kr->first_err.msg),
                     "secret %zu: %.900s", i + 1, e.msg);
        }
    }
    return 0;
}

static void keyring_free(struct keyring *kr)
{
    size_t i;

    for (i = 0; kr->keys && kr->lens && i < kr->n; i++)
        hr_secret_key_free(kr->keys[i], kr->lens[i]);
    hr_free(kr->keys);
    hr_free(kr->lens);
    memset(kr, 0, sizeof(*kr));
}

/* ---- headers of a message ---- */

static const char *header(const struct hr_message *m, const char *name)
{
    size_t i;

    for (i = 0; i < m->n_headers; i++)
        if (m->headers[i].name && hr_strcaseeq(m->headers[i].name, name))
            return m->headers[i].value ? m->headers[i].value : "";
    return NULL;
}

/* A header that is there and not empty, as the libraries require. */
static const char *header_nonempty(const struct hr_message *m, const char *name)
{
    const char *v = header(m, name);

    return v && v[0] ? v : NULL;
}

static int add_header(struct hr_message *m, const char *name, const char *value)
{
    struct hr_header *h;
    char *n, *v;

    h = hr_realloc(m->headers, (m->n_headers + 1) * sizeof(*h));
    if (!h)
        return -1;
    m->headers = h;
    n = hr_strdup(name);
    v = hr_strdup(value);
    if (!n || !v) {
        hr_free(n);
        hr_free(v);
        return -1;
    }
    h[m->n_headers].name = n;
    h[m->n_headers].value = v;
    m->n_headers++;
    return 0;
}

/* Removes the headers added after the first `keep`, after a failure. */
static void drop_headers_from(struct hr_message *m, size_t keep)
{
    while (m->n_headers > keep) {
        m->n_headers--;
        hr_free(m->headers[m->n_headers].name);
        hr_free(m->headers[m->n_headers].value);
    }
}

/* ---- signing ---- */

/* The MAC of prefix + body, in the scheme's encoding, into out. */
enum encoding { ENC_HEX, ENC_B64 };

static int mac_text(const char *digest, size_t mac_bytes,
                    const unsigned char *key, size_t key_len,
                    const char *prefix, const unsigned char *body,
                    size_t body_len, enum encoding enc, struct hr_buf *out)
{
    unsigned char mac[SHA256_BYTES];
    char hex[2 * SHA256_BYTES + 1];
    struct part parts[2] = {{prefix, prefix ? strlen(prefix) : 0},
                            {body, body_len}};
    char *b64;
    int rc;

    if (hmac_parts(digest, key, key_len, parts, 2, mac, mac_bytes))
        return -1;
    if (enc == ENC_HEX) {
        hr_hex(mac, mac_bytes, hex);
        return hr_buf_puts(out, hex);
    }
    b64 = hr_b64_encode(mac, mac_bytes);
    if (!b64)
        return -1;
    rc = hr_buf_puts(out, b64);
    hr_free(b64);
    return rc;
}

/* What every signer needs: the input, its keys and scratch space. */
struct signer {
    const struct hr_sign_input *in;
    struct keyring kr;
    struct hr_message *out;
    struct hr_buf val;
    char ts[24];
};

static int sign_stripe(struct signer *s)
{
    char prefix[32];
    size_t i;

    snprintf(prefix, sizeof(prefix), "%s.", s->ts);
    if (hr_buf_printf(&s->val, "t=%s", s->ts))
        return -1;
    for (i = 0; i < s->kr.n; i++) {
        if (hr_buf_puts(&s->val, ",v1=") ||
            mac_text("SHA256", SHA256_BYTES, s->kr.keys[i], s->kr.lens[i],
                     prefix, s->in->body, s->in->body_len, ENC_HEX, &s->val))
            return -1;
    }
    return add_header(s->out, "Stripe-Signature", s->val.data);
}

static int sign_github(struct signer *s)
{
    const struct hr_sign_input *in = s->in;

    if (hr_buf_puts(&s->val, "sha1=") ||
        mac_text("SHA1", SHA1_BYTES, s->kr.keys[0], s->kr.lens[0], NULL,
                 in->body, in->body_len, ENC_HEX, &s->val) ||
        add_header(s->out, "X-Hub-Signature", s->val.data))
        return -1;
    hr_buf_reset(&s->val);
    if (hr_buf_puts(&s->val, "sha256=") ||
        mac_text("SHA256", SHA256_BYTES, s->kr.keys[0], s->kr.lens[0], NULL,
                 in->body, in->body_len, ENC_HEX, &s->val))
        return -1;
    return add_header(s->out, "X-Hub-Signature-256", s->val.data);
}

static int sign_shopify(struct signer *s)
{
    if (mac_text("SHA256", SHA256_BYTES, s->kr.keys[0], s->kr.lens[0], NULL,
                 s->in->body, s->in->body_len, ENC_B64, &s->val))
        return -1;
    return add_header(s->out, "X-Shopify-Hmac-Sha256", s->val.data);
}

static int sign_slack(struct signer *s)
{
    char prefix[40];

    snprintf(prefix, sizeof(prefix), "v0:%s:", s->ts);
    if (hr_buf_puts(&s->val, "v0=") ||
        mac_text("SHA256", SHA256_BYTES, s->kr.keys[0], s->kr.lens[0], prefix,
                 s->in->body, s->in->body_len, ENC_HEX, &s->val))
        return -1;
    if (add_header(s->out, "X-Slack-Request-Timestamp", s->ts))
        return -1;
    return add_header(s->out, "X-Slack-Signature", s->val.data);
}

/* Standard Webhooks and Svix differ only in the header names. */
static int sign_stdwh(struct signer *s, const char *id_name,
                      const char *ts_name, const char *sig_name)
{
    struct hr_buf prefix;
    size_t i;
    int rc = -1;

    hr_buf_init(&prefix, 0);
    if (hr_buf_printf(&prefix, "%s.%s.", s->in->id, s->ts))
        goto out;
    for (i = 0; i < s->kr.n; i++) {
        if ((i && hr_buf_puts(&s->val, " ")) || hr_buf_puts(&s->val, "v1,") ||
            mac_text("SHA256", SHA256_BYTES, s->kr.keys[i], s->kr.lens[i],
                     prefix.data, s->in->body, s->in->body_len, ENC_B64,
                     &s->val))
            goto out;
    }
    if (add_header(s->out, id_name, s->in->id) ||
        add_header(s->out, ts_name, s->ts) ||
        add_header(s->out, sig_name, s->val.data))
        goto out;
    rc = 0;
out:
    hr_buf_free(&prefix);
    return rc;
}

static int sign_dispatch(struct signer *s)
{
    switch (s->in->scheme) {
    case HR_SCHEME_STRIPE:
        return sign_stripe(s);
    case HR_SCHEME_GITHUB:
        return sign_github(s);
    case HR_SCHEME_SHOPIFY:
        return sign_shopify(s);
    case HR_SCHEME_SLACK:
        return sign_slack(s);
    case HR_SCHEME_STDWH:
        return sign_stdwh(s, "webhook-id", "webhook-timestamp",
                          "webhook-signature");
    case HR_SCHEME_SVIX:
        return sign_stdwh(s, "svix-id", "svix-timestamp", "svix-signature");
    default:
        return -1;
    }
}

/* Ids end up in a header line, so they must be plain visible text. */
static int id_is_plain(const char *id)
{
    const unsigned char *p;

    for (p = (const unsigned char *)id; *p; p++)
        if (*p <= ' ' || *p >= 0x7f)
            return 0;
    return id[0] != '\0';
}

static int sign_check_input(const struct hr_sign_input *in, struct hr_err *err)
{
    if (in->scheme == HR_SCHEME_NONE ||
        strcmp(hr_scheme_name(in->scheme), "none") == 0)
        return hr_errf(err, HR_EXIT_INPUT, "unknown signature scheme");
    if (in->n_secrets == 0 || !in->secrets)
        return hr_errf(err, HR_EXIT_INPUT, "no secret to sign with");
    if (!in->body && in->body_len)
        return hr_errf(err, HR_EXIT_INTERNAL, "body bytes missing");
    if (hr_scheme_signs_id(in->scheme) && !in->id)
        return hr_errf(err, HR_EXIT_INPUT,
                       "%s signs a message id, and none was given",
                       hr_scheme_name(in->scheme));
    if (in->id && hr_scheme_signs_id(in->scheme) && !id_is_plain(in->id))
        return hr_errf(err, HR_EXIT_INPUT,
                       "the message id must be visible ASCII without "
                       "spaces");
    return 0;
}

/*
 * Every secret becomes a key first, so a bad second secret fails the
 * whole signing rather than yielding a header with one entry missing.
 */
static int signer_keys(struct signer *s, enum hr_key_mode mode,
                       struct hr_err *err)
{
    struct keyring *kr = &s->kr;
    size_t i;

    kr->n = s->in->n_secrets;
    /* single-signature schemes only ever use the first secret */
    if (s->in->scheme == HR_SCHEME_GITHUB ||
        s->in->scheme == HR_SCHEME_SHOPIFY || s->in->scheme == HR_SCHEME_SLACK)
        kr->n = 1;
    kr->keys = hr_calloc(kr->n, sizeof(*kr->keys));
    kr->lens = hr_calloc(kr->n, sizeof(*kr->lens));
    if (!kr->keys || !kr->lens)
        return hr_errf(err, HR_EXIT_INTERNAL, "out of memory");
    for (i = 0; i < kr->n; i++) {
        struct hr_err e;

        if (hr_secret_key(s->in->secrets[i], mode, &kr->keys[i], &kr->lens[i],
                          &e))
            return hr_errf(err, e.code, "secret %zu: %s", i + 1, e.msg);
    }
    return 0;
}

int hr_sign_keyed(const struct hr_sign_input *in, enum hr_key_mode mode,
                  struct hr_message *out, struct hr_err *err)
{
    struct signer s;
    size_t keep = out->n_headers;
    int rc = -1;

    if (sign_check_input(in, err))
        return -1;
    memset(&s, 0, sizeof(s));
    s.in = in;
    s.out = out;
    hr_buf_init(&s.val, 0);
    snprintf(s.ts, sizeof(s.ts), "%lld", (long long)in->timestamp);
    if (signer_keys(&s, mode, err))
        goto out;
    if (sign_dispatch(&s)) {
        drop_headers_from(out, keep);
        hr_errf(err, HR_EXIT_INTERNAL, "signing failed (out of memory?)");
        goto out;
    }
    rc = 0;
out:
    keyring_free(&s.kr);
    hr_buf_free(&s.val);
    return rc;
}

int hr_sign(const struct hr_sign_input *in, struct hr_message *out,
            struct hr_err *err)
{
    return hr_sign_keyed(in, hr_scheme_key_mode(in->scheme), out, err);
}

/* ---- signature faults ---- */

static const char *const fault_names[] = {"none",    "forged",       "stale",
                                          "missing", "wrong_scheme", "rotated"};

#define N_FAULTS (sizeof(fault_names) / sizeof(fault_names[0]))
#define STALE_MARGIN_S 60
#define STALE_DEFAULT_TOLERANCE_S 3600

const char *hr_sig_fault_name(enum hr_sig_fault f)
{
    return (unsigned)f < N_FAULTS ? fault_names[f] : "unknown";
}

enum hr_sig_fault hr_sig_fault_from_name(const char *name)
{
    size_t i;

    for (i = 0; name && i < N_FAULTS; i++)
        if (strcmp(fault_names[i], name) == 0)
            return (enum hr_sig_fault)i;
    return HR_SIG_NONE;
}

static int scheme_rotates(enum hr_scheme s)
{
    return s == HR_SCHEME_STRIPE || s == HR_SCHEME_STDWH || s == HR_SCHEME_SVIX;
}

int hr_sig_fault_applies(enum hr_scheme s, enum hr_sig_fault f)
{
    if (strcmp(hr_scheme_name(s), "none") == 0)
        return 0;
    switch (f) {
    case HR_SIG_NONE:
    case HR_SIG_FORGED:
    case HR_SIG_MISSING:
    case HR_SIG_WRONG_SCHEME:
        return 1;
    case HR_SIG_STALE:
        return hr_scheme_signs_timestamp(s);
    case HR_SIG_ROTATED:
        return scheme_rotates(s);
    default:
        return 0;
    }
}

/*
 * n pseudo-random bytes that depend only on label, nonce and round:
 * HMAC-SHA256 in counter mode. Not secret, only reproducible.
 */
static int derive_bytes(const char *label, uint64_t nonce, uint32_t round,
                        unsigned char *out, size_t n)
{
    unsigned char msg[16], mac[SHA256_BYTES];
    uint32_t block;
    size_t i, take;

    for (i = 0; i < 8; i++)
        msg[i] = (unsigned char)(nonce >> (56 - 8 * i));
    for (i = 0; i < 4; i++)
        msg[8 + i] = (unsigned char)(round >> (24 - 8 * i));
    for (block = 0; n > 0; block++, out += take, n -= take) {
        for (i = 0; i < 4; i++)
            msg[12 + i] = (unsigned char)(block >> (24 - 8 * i));
        if (hr_hmac_sha256((const unsigned char *)label, strlen(label), msg,
                           sizeof(msg), mac))
            return -1;
        take = n < sizeof(mac) ? n : sizeof(mac);
        memcpy(out, mac, take);
    }
    OPENSSL_cleanse(mac, sizeof(mac));
    return 0;
}

/* Length of a leading "word_" prefix worth keeping (e.g. "whsec_"). */
static size_t text_prefix_len(const char *s)
{
    size_t i = 0;

    while ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9'))
        i++;
    return i > 0 && s[i] == '_' && s[i + 1] ? i + 1 : 0;
}

/* A UTF-8 mode secret: real's prefix, then alphanumerics. */
static char *fake_text(const char *real, const char *label, uint64_t nonce,
                       uint32_t round)
{
    static const char alnum[] = "abcdefghijklmnopqrstuvwxyz"
                                "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    size_t len = strlen(real), keep = text_prefix_len(real), i;
    char *s = hr_malloc(len + 1);

    if (!s)
        return NULL;
    memcpy(s, real, keep);
    if (derive_bytes(label, nonce, round, (unsigned char *)s + keep,
                     len - keep)) {
        hr_free(s);
        return NULL;
    }
    for (i = keep; i < len; i++)
        s[i] = alnum[(unsigned char)s[i] % (sizeof(alnum) - 1)];
    s[len] = '\0';
    return s;
}

/* A whsec_ mode secret: "whsec_" + base64 of key_len derived bytes. */
static char *fake_whsec(size_t key_len, const char *label, uint64_t nonce,
                        uint32_t round)
{
    unsigned char *key = hr_malloc(key_len);
    struct hr_buf b;
    char *b64 = NULL, *s = NULL;

    hr_buf_init(&b, 0);
    if (key && derive_bytes(label, nonce, round, key, key_len) == 0)
        b64 = hr_b64_encode(key, key_len);
    if (b64 && hr_buf_puts(&b, WHSEC_PREFIX) == 0 && hr_buf_puts(&b, b64) == 0)
        s = hr_buf_steal(&b, NULL);
    hr_buf_free(&b);
    hr_free(b64);
    hr_secret_key_free(key, key_len);
    return s;
}

/* 1 when secrets a and b make the same key bytes under mode. */
static int same_key(const char *a, const char *b, enum hr_key_mode mode)
{
    unsigned char *ka, *kb;
    size_t la, lb;
    int same;

    if (hr_secret_key(a, mode, &ka, &la, NULL))
        return 0;
    if (hr_secret_key(b, mode, &kb, &lb, NULL)) {
        hr_secret_key_free(ka, la);
        return 0;
    }
    same = la == lb && CRYPTO_memcmp(ka, kb, la) == 0;
    hr_secret_key_free(ka, la);
    hr_secret_key_free(kb, lb);
    return same;
}

char *hr_sig_fault_secret(const char *secret, enum hr_key_mode mode,
                          enum hr_sig_fault f, uint64_t nonce,
                          struct hr_err *err)
{
    const char *label = f == HR_SIG_FORGED    ? "hookreplay forged secret"
                        : f == HR_SIG_ROTATED ? "hookreplay retired secret"
                                              : NULL;
    unsigned char *key;
    size_t key_len;
    uint32_t round;
    char *s = NULL;

    if (!label) {
        hr_errf(err, HR_EXIT_INPUT, "fault %s signs with no other secret",
                hr_sig_fault_name(f));
        return NULL;
    }
    if (hr_secret_key(secret, mode, &key, &key_len, err))
        return NULL;
    /* another round in the astronomically rare case of a collision */
    for (round = 0; round < 16; round++) {
        s = mode == HR_KEY_WHSEC_B64 ? fake_whsec(key_len, label, nonce, round)
                                     : fake_text(secret, label, nonce, round);
        if (!s || !same_key(s, secret, mode))
            break;
        hr_free(s);
        s = NULL;
    }
    hr_secret_key_free(key, key_len);
    if (!s)
        hr_errf(err, HR_EXIT_INTERNAL, "cannot derive a %s secret",
                hr_sig_fault_name(f));
    return s;
}

/* The names of the signature header(s) of scheme s, NULL-ended. */
static const char *const *sig_header_names(enum hr_scheme s)
{
    static const char *const stripe[] = {"Stripe-Signature", NULL};
    static const char *const github[] = {"X-Hub-Signature-256",
                                         "X-Hub-Signature", NULL};
    static const char *const shopify[] = {"X-Shopify-Hmac-Sha256", NULL};
    static const char *const slack[] = {"X-Slack-Signature", NULL};
    static const char *const stdwh[] = {"webhook-signature", NULL};
    static const char *const svix[] = {"svix-signature", NULL};

    switch (s) {
    case HR_SCHEME_STRIPE:
        return stripe;
    case HR_SCHEME_GITHUB:
        return github;
    case HR_SCHEME_SHOPIFY:
        return shopify;
    case HR_SCHEME_SLACK:
        return slack;
    case HR_SCHEME_STDWH:
        return stdwh;
    default:
        return svix;
    }
}

/* Drops the signature headers among those appended after keep. */
static void drop_sig_headers(struct hr_message *m, size_t keep,
                             enum hr_scheme s)
{
    const char *const *names = sig_header_names(s);
    size_t i = keep, j;

    while (i < m->n_headers) {
        for (j = 0; names[j]; j++)
            if (hr_strcaseeq(m->headers[i].name, names[j]))
                break;
        if (!names[j]) {
            i++;
            continue;
        }
        hr_free(m->headers[i].name);
        hr_free(m->headers[i].value);
        memmove(&m->headers[i], &m->headers[i + 1],
                (m->n_headers - i - 1) * sizeof(*m->headers));
        m->n_headers--;
    }
}

/*
 * Turns each "<from>" label that starts an item (at the start or after
 * sep) into "<to>"; both have the same length, so this is done in place.
 */
static void relabel_items(char *v, char sep, const char *from, const char *to)
{
    size_t n = strlen(from);
    char *p = v;

    while (p) {
        if (strncmp(p, from, n) == 0)
            memcpy(p, to, n);
        p = strchr(p, sep);
        p = p ? p + 1 : NULL;
    }
}

/* Replaces value *v with prefix + (*v + skip). */
static int reprefix(char **v, size_t skip, const char *prefix)
{
    struct hr_buf b;
    char *s;

    hr_buf_init(&b, 0);
    if (strlen(*v) < skip || hr_buf_puts(&b, prefix) ||
        hr_buf_puts(&b, *v + skip)) {
        hr_buf_free(&b);
        return -1;
    }
    s = hr_buf_steal(&b, NULL);
    hr_free(*v);
    *v = s;
    return 0;
}

/* Relabels the signature header appended after keep, per scheme. */
static int relabel_sig(struct hr_message *m, size_t keep, enum hr_scheme s)
{
    const char *name = sig_header_names(s)[0];
    size_t i;

    for (i = keep; i < m->n_headers; i++)
        if (hr_strcaseeq(m->headers[i].name, name))
            break;
    if (i == m->n_headers)
        return -1;
    switch (s) {
    case HR_SCHEME_STRIPE:
        relabel_items(m->headers[i].value, ',', "v1=", "v0=");
        return 0;
    case HR_SCHEME_GITHUB:
        return reprefix(&m->headers[i].value, strlen("sha256="), "sha1=");
    case HR_SCHEME_SHOPIFY:
        return reprefix(&m->headers[i].value, 0, "sha256=");
    case HR_SCHEME_SLACK:
        relabel_items(m->headers[i].value, ',', "v0=", "v1=");
        return 0;
    default:
        relabel_items(m->headers[i].value, ' ', "v1,", "v2,");
        return 0;
    }
}

/* Signs in with one derived secret in front of (or instead of) the real. */
static int sign_derived(const struct hr_sign_input *in, enum hr_key_mode mode,
                        enum hr_sig_fault f, uint64_t nonce,
                        struct hr_message *out, struct hr_err *err)
{
    struct hr_sign_input copy = *in;
    const char *secrets[2];
    char *fake = hr_sig_fault_secret(in->secrets[0], mode, f, nonce, err);
    int rc;

    if (!fake)
        return -1;
    secrets[0] = fake;
    secrets[1] = in->secrets[0];
    copy.secrets = secrets;
    copy.n_secrets = f == HR_SIG_ROTATED ? 2 : 1;
    rc = hr_sign_keyed(&copy, mode, out, err);
    OPENSSL_cleanse(fake, strlen(fake));
    hr_free(fake);
    return rc;
}

int hr_sign_fault(const struct hr_sign_input *in, enum hr_key_mode mode,
                  enum hr_sig_fault f, int64_t tolerance_s, uint64_t nonce,
                  struct hr_message *out, struct hr_err *err)
{
    struct hr_sign_input copy = *in;
    size_t keep = out->n_headers;

    if (sign_check_input(in, err))
        return -1;
    if (!hr_sig_fault_applies(in->scheme, f))
        return hr_errf(err, HR_EXIT_INPUT,
                       "signature fault %s does not apply to %s",
                       hr_sig_fault_name(f), hr_scheme_name(in->scheme));
    if (f == HR_SIG_FORGED || f == HR_SIG_ROTATED)
        return sign_derived(in, mode, f, nonce, out, err);
    if (f == HR_SIG_STALE)
        copy.timestamp =
            in->timestamp - STALE_MARGIN_S -
            (tolerance_s > 0 ? tolerance_s : STALE_DEFAULT_TOLERANCE_S);
    if (hr_sign_keyed(&copy, mode, out, err))
        return -1;
    if (f == HR_SIG_MISSING)
        drop_sig_headers(out, keep, in->scheme);
    if (f == HR_SIG_WRONG_SCHEME && relabel_sig(out, keep, in->scheme)) {
        drop_headers_from(out, keep);
        return hr_errf(err, HR_EXIT_INTERNAL, "out of memory");
    }
    return 0;
}

/* ---- verifying ---- */

struct verifier {
    const struct hr_message *msg;
    struct keyring kr;
    int64_t now;
    int64_t tolerance_s;
    struct hr_verdict *v;
};

static int verdict(struct hr_verdict *v, int valid, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int verdict(struct hr_verdict *v, int valid, const char *fmt, ...)
{
    va_list ap;

    v->valid = valid;
    va_start(ap, fmt);
    vsnprintf(v->reason, sizeof(v->reason), fmt, ap);
    va_end(ap);
    return 0;
}

/* Constant-time equality of a received text span and the expected text. */
static int text_eq(const char *got, size_t got_len, const char *want)
{
    size_t n = strlen(want);

    return got_len == n && CRYPTO_memcmp(got, want, n) == 0;
}

/*
 * Reads a leading integer as JavaScript's parseInt(s, 10) does (skip
 * blanks, optional sign, digits up to the first non-digit). Stripe and
 * the Standard Webhooks libraries read their timestamps this way.
 */
static int parse_int_js(const char *s, int64_t *out)
{
    int64_t v = 0;
    int neg = 0, digits = 0;

    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    if (*s == '+' || *s == '-')
        neg = *s++ == '-';
    for (; *s >= '0' && *s <= '9'; s++, digits++) {
        if (digits >= 18)
            return -1;
        v = v * 10 + (*s - '0');
    }
    if (!digits)
        return -1;
    *out = neg ? -v : v;
    return 0;
}

/* A whole-string decimal integer, surrounding blanks allowed (Number()). */
static int parse_int_strict(const char *s, int64_t *out)
{
    const char *end = s + strlen(s);

    while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    while (*s == ' ' || *s == '\t')
        s++;
    if (s == end || end - s > 18)
        return -1;
    if (parse_int_js(s, out))
        return -1;
    if (*s == '+' || *s == '-')
        s++;
    for (; s < end; s++)
        if (*s < '0' || *s > '9')
            return -1;
    return 0;
}

/* The expected MAC text under key i for prefix + body, in enc. */
static int expected(const struct verifier *c, size_t i, const char *digest,
                    size_t mac_bytes, const char *prefix, enum encoding enc,
                    struct hr_buf *out)
{
    hr_buf_reset(out);
    return mac_text(digest, mac_bytes, c->kr.keys[i], c->kr.lens[i], prefix,
                    c->msg->body, c->msg->body_len, enc, out);
}

/* Stripe: t=<ts> and v1=<hex> items; any v1 under any secret passes. */
static int stripe_match(const struct verifier *c, const char *hdr,
                        const char *prefix, struct hr_buf *want)
{
    size_t i;

    for (i = 0; i < c->kr.n; i++) {
        const char *item = hdr;

        if (!c->kr.keys[i])
            continue;
        if (expected(c, i, "SHA256", SHA256_BYTES, prefix, ENC_HEX, want))
            return -1;
        while (item) {
            const char *end = strchr(item, ',');
            size_t len = end ? (size_t)(end - item) : strlen(item);
            const char *val = item + 3;
            size_t vlen = 0;

            /* like split('='): the value stops at a further '=' */
            if (len >= 3 && strncmp(item, "v1=", 3) == 0)
                while (vlen < len - 3 && val[vlen] != '=')
                    vlen++;
            if (len >= 3 && strncmp(item, "v1=", 3) == 0 &&
                text_eq(val, vlen, want->data))
                return 1;
            item = end ? end + 1 : NULL;
        }
    }
    return 0;
}

/* Scans the items for the last t= and counts the v1= ones. */
static int stripe_parse(const char *hdr, int64_t *ts, size_t *n_v1)
{
    const char *item = hdr;
    int have_ts = 0;

    *n_v1 = 0;
    while (item) {
        const char *end = strchr(item, ',');
        size_t len = end ? (size_t)(end - item) : strlen(item);

        if (len >= 2 && strncmp(item, "t=", 2) == 0) {
            char num[32];
            size_t k = len - 2 < sizeof(num) - 1 ? len - 2 : sizeof(num) - 1;

            memcpy(num, item + 2, k);
            num[k] = '\0';
            have_ts = parse_int_js(num, ts) == 0;
        } else if (len >= 3 && strncmp(item, "v1=", 3) == 0) {
            (*n_v1)++;
        }
        item = end ? end + 1 : NULL;
    }
    return have_ts ? 0 : -1;
}

static int verify_stripe(const struct verifier *c, struct hr_buf *want)
{
    const char *hdr = header(c->msg, "Stripe-Signature");
    char prefix[32];
    int64_t ts = 0;
    size_t n_v1;
    int m;

    if (!hdr)
        return verdict(c->v, 0, "no Stripe-Signature header");
    if (stripe_parse(hdr, &ts, &n_v1))
        return verdict(c->v, 0, "no timestamp in Stripe-Signature");
    if (n_v1 == 0)
        return verdict(c->v, 0, "no v1 signature in Stripe-Signature");
    snprintf(prefix, sizeof(prefix), "%lld.", (long long)ts);
    m = stripe_match(c, hdr, prefix, want);
    if (m < 0)
        return -1;
    if (!m)
        return verdict(c->v, 0, "no v1 signature matches");
    if (c->tolerance_s > 0 && c->now - ts > c->tolerance_s)
        return verdict(c->v, 0, "timestamp older than %lld s",
                       (long long)c->tolerance_s);
    return verdict(c->v, 1, "v1 signature matches");
}

static int verify_github(const struct verifier *c, struct hr_buf *want)
{
    const char *sig = header(c->msg, "X-Hub-Signature-256");
    size_t i;

    if (!sig || !sig[0])
        return verdict(c->v, 0, "no X-Hub-Signature-256 header");
    if (c->msg->body_len == 0)
        return verdict(c->v, 0, "empty body");
    for (i = 0; i < c->kr.n; i++) {
        if (!c->kr.keys[i])
            continue;
        hr_buf_reset(want);
        if (hr_buf_puts(want, "sha256=") ||
            mac_text("SHA256", SHA256_BYTES, c->kr.keys[i], c->kr.lens[i], NULL,
                     c->msg->body, c->msg->body_len, ENC_HEX, want))
            return -1;
        if (text_eq(sig, strlen(sig), want->data))
            return verdict(c->v, 1, "sha256 signature matches");
    }
    return verdict(c->v, 0, "X-Hub-Signature-256 does not match");
}

static const char *const shopify_required[] = {
    "X-Shopify-Topic", "X-Shopify-Shop-Domain", "X-Shopify-API-Version",
    "X-Shopify-Webhook-Id", NULL};
static const char *const shopify_events_required[] = {
    "Shopify-Topic",      "Shopify-Shop-Domain", "Shopify-API-Version",
    "Shopify-Webhook-Id", "Shopify-Event-Id",    NULL};

const char *const *hr_scheme_required_headers(enum hr_scheme s)
{
    static const char *const none[] = {NULL};

    return s == HR_SCHEME_SHOPIFY ? shopify_required : none;
}

static int verify_shopify(const struct verifier *c, struct hr_buf *want)
{
    const char *sig = header_nonempty(c->msg, "X-Shopify-Hmac-Sha256");
    const char *const *req = shopify_required;
    size_t i;
    int ok = 0;

    if (!sig) {
        sig = header_nonempty(c->msg, "Shopify-Hmac-Sha256");
        req = shopify_events_required;
    }
    if (c->msg->body_len == 0)
        return verdict(c->v, 0, "empty body");
    if (!sig)
        return verdict(c->v, 0, "no X-Shopify-Hmac-Sha256 header");
    for (i = 0; i < c->kr.n && !ok; i++) {
        if (!c->kr.keys[i])
            continue;
        if (expected(c, i, "SHA256", SHA256_BYTES, NULL, ENC_B64, want))
            return -1;
        ok = text_eq(sig, strlen(sig), want->data);
    }
    if (!ok)
        return verdict(c->v, 0, "HMAC does not match");
    for (; *req; req++)
        if (!header_nonempty(c->msg, *req))
            return verdict(c->v, 0, "missing header %s", *req);
    return verdict(c->v, 1, "HMAC matches");
}

static int verify_slack(const struct verifier *c, struct hr_buf *want)
{
    const char *ts_text = header(c->msg, "X-Slack-Request-Timestamp");
    const char *sig = header(c->msg, "X-Slack-Signature");
    const char *eq, *hash;
    char prefix[40];
    int64_t ts;
    size_t i, hash_len;

    if (!ts_text || parse_int_strict(ts_text, &ts))
        return verdict(c->v, 0, "no numeric X-Slack-Request-Timestamp");
    if (c->tolerance_s > 0 && ts < c->now - c->tolerance_s)
        return verdict(c->v, 0, "timestamp older than %lld s",
                       (long long)c->tolerance_s);
    if (!sig)
        return verdict(c->v, 0, "no X-Slack-Signature header");
    eq = strchr(sig, '=');
    if (!eq || eq - sig != 2 || strncmp(sig, "v0", 2) != 0)
        return verdict(c->v, 0, "unknown signature version");
    hash = eq + 1;
    hash_len = strcspn(hash, "=");
    snprintf(prefix, sizeof(prefix), "v0:%lld:", (long long)ts);
    for (i = 0; i < c->kr.n; i++) {
        if (!c->kr.keys[i])
            continue;
        if (expected(c, i, "SHA256", SHA256_BYTES, prefix, ENC_HEX, want))
            return -1;
        if (hash_len && text_eq(hash, hash_len, want->data))
            return verdict(c->v, 1, "v0 signature matches");
    }
    return verdict(c->v, 0, "signature mismatch");
}

/* The three Standard Webhooks values, under whichever names were used. */
struct stdwh_headers {
    const char *id, *ts, *sig;
};

static int stdwh_find(const struct hr_message *m, const char *pfx,
                      struct stdwh_headers *h)
{
    char name[32];

    snprintf(name, sizeof(name), "%s-id", pfx);
    h->id = header_nonempty(m, name);
    snprintf(name, sizeof(name), "%s-timestamp", pfx);
    h->ts = header_nonempty(m, name);
    snprintf(name, sizeof(name), "%s-signature", pfx);
    h->sig = header_nonempty(m, name);
    return h->id && h->ts && h->sig ? 0 : -1;
}

/*
 * Whether one space-separated entry matches. standardwebhooks 1.3.0
 * compares the whole entry with "v1,<sig>"; svix's bundled 1.0.0 splits
 * on ',' and compares the second piece when the first is "v1".
 */
static int stdwh_entry_matches(int whole_entry, const char *e, size_t len,
                               const char *b64)
{
    size_t sig_len = 0;

    if (len < 3 || strncmp(e, "v1,", 3) != 0)
        return 0;
    if (whole_entry)
        return text_eq(e + 3, len - 3, b64);
    while (sig_len < len - 3 && e[3 + sig_len] != ',')
        sig_len++;
    return text_eq(e + 3, sig_len, b64);
}

static int stdwh_any_entry(int whole_entry, const char *list, const char *b64)
{
    const char *e = list;
    int found = 0;

    while (e) {
        const char *end = strchr(e, ' ');
        size_t len = end ? (size_t)(end - e) : strlen(e);

        found |= stdwh_entry_matches(whole_entry, e, len, b64);
        e = end ? end + 1 : NULL;
    }
    return found;
}

static int verify_stdwh(const struct verifier *c, int svix, struct hr_buf *want)
{
    struct stdwh_headers h;
    struct hr_buf prefix;
    int64_t ts, tol = c->tolerance_s;
    size_t i;
    int rc = -1;

    if ((!svix || stdwh_find(c->msg, "svix", &h)) &&
        stdwh_find(c->msg, "webhook", &h))
        return verdict(c->v, 0, "missing required headers");
    if (parse_int_js(h.ts, &ts))
        return verdict(c->v, 0, "timestamp header is not a number");
    if (tol > 0 && c->now - ts > tol)
        return verdict(c->v, 0, "message timestamp too old");
    if (tol > 0 && ts > c->now + tol)
        return verdict(c->v, 0, "message timestamp too new");
    hr_buf_init(&prefix, 0);
    if (hr_buf_printf(&prefix, "%s.%lld.", h.id, (long long)ts))
        goto out;
    verdict(c->v, 0, "no matching signature found");
    for (i = 0; i < c->kr.n && !c->v->valid; i++) {
        if (!c->kr.keys[i])
            continue;
        if (expected(c, i, "SHA256", SHA256_BYTES, prefix.data, ENC_B64, want))
            goto out;
        if (stdwh_any_entry(!svix, h.sig, want->data))
            verdict(c->v, 1, "v1 signature matches");
    }
    rc = 0;
out:
    hr_buf_free(&prefix);
    return rc;
}

static int verify_dispatch(enum hr_scheme scheme, const struct verifier *c,
                           struct hr_buf *want)
{
    switch (scheme) {
    case HR_SCHEME_STRIPE:
        return verify_stripe(c, want);
    case HR_SCHEME_GITHUB:
        return verify_github(c, want);
    case HR_SCHEME_SHOPIFY:
        return verify_shopify(c, want);
    case HR_SCHEME_SLACK:
        return verify_slack(c, want);
    case HR_SCHEME_STDWH:
        return verify_stdwh(c, 0, want);
    case HR_SCHEME_SVIX:
        return verify_stdwh(c, 1, want);
    default:
        return verdict(c->v, 0, "unknown signature scheme");
    }
}

int hr_verify_keyed(enum hr_scheme scheme, enum hr_key_mode mode,
                    const char *const *secrets, size_t n_secrets,
                    const struct hr_message *msg, int64_t now,
                    int64_t tolerance_s, struct hr_verdict *v,
                    struct hr_err *err)
{
    struct verifier c;
    struct hr_buf want;
    int rc;

    memset(&c, 0, sizeof(c));
    c.msg = msg;
    c.now = now;
    c.tolerance_s = tolerance_s;
    c.v = v;
    verdict(v, 0, "not verified");
    if (keyring_load(&c.kr, secrets, n_secrets, mode)) {
        keyring_free(&c.kr);
        return hr_errf(err, HR_EXIT_INTERNAL, "out of memory");
    }
    if (c.kr.usable == 0) {
        verdict(v, 0, "no usable secret (%.100s)",
                c.kr.first_err.msg[0] ? c.kr.first_err.msg : "none given");
        keyring_free(&c.kr);
        return 0;
    }
    hr_buf_init(&want, 0);
    rc = verify_dispatch(scheme, &c, &want);
    hr_buf_free(&want);
    keyring_free(&c.kr);
    if (rc)
        return hr_errf(err, HR_EXIT_INTERNAL, "HMAC computation failed");
    return 0;
}

int hr_verify(enum hr_scheme scheme, const char *const *secrets,
              size_t n_secrets, const struct hr_message *msg, int64_t now,
              int64_t tolerance_s, struct hr_verdict *v, struct hr_err *err)
{
    return hr_verify_keyed(scheme, hr_scheme_key_mode(scheme), secrets,
                           n_secrets, msg, now, tolerance_s, v, err);
}

/* ---- secret lists ---- */

static int secrets_push(char ***list, size_t *n, const char *s, size_t len)
{
    char **grown = hr_realloc(*list, (*n + 1) * sizeof(**list));

    if (!grown)
        return -1;
    *list = grown;
    grown[*n] = hr_strndup(s, len);
    if (!grown[*n])
        return -1;
    (*n)++;
    return 0;
}

/*
 * Splits text into one secret per line: LF or CRLF ends a line, empty
 * lines are skipped, and no secret at all is an error naming origin.
 */
static int secrets_split(const char *origin, const char *text, size_t len,
                         char ***out, size_t *n, struct hr_err *err)
{
    char **list = NULL;
    size_t count = 0, pos = 0;

    if (memchr(text, '\0', len))
        return hr_errf(err, HR_EXIT_INPUT, "%s: holds a NUL byte", origin);
    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len;
        size_t line_len = end - pos;

        if (line_len && text[end - 1] == '\r')
            line_len--;
        if (line_len && secrets_push(&list, &count, text + pos, line_len)) {
            hr_secrets_free(list, count);
            return hr_errf(err, HR_EXIT_INTERNAL, "out of memory");
        }
        pos = end + 1;
    }
    if (count == 0) {
        hr_free(list);
        return hr_errf(err, HR_EXIT_INPUT,
                       "%s: holds no secret (one secret per line)", origin);
    }
    *out = list;
    *n = count;
    return 0;
}

int hr_secrets_load_file(const char *path, char ***out, size_t *n,
                         struct hr_err *err)
{
    size_t len = 0;
    char *text = hr_read_file(path, &len, err);
    int rc;

    *out = NULL;
    *n = 0;
    if (!text)
        return -1;
    rc = secrets_split(path, text, len, out, n, err);
    OPENSSL_cleanse(text, len);
    hr_free(text);
    return rc;
}

int hr_secrets_load_env(const char *name, char ***out, size_t *n,
                        struct hr_err *err)
{
    const char *text = getenv(name);
    char origin[128];

    *out = NULL;
    *n = 0;
    snprintf(origin, sizeof(origin), "$%s", name);
    if (!text)
        return hr_errf(err, HR_EXIT_INPUT, "%s is not set", origin);
    return secrets_split(origin, text, strlen(text), out, n, err);
}

void hr_secrets_free(char **s, size_t n)
{
    size_t i;

    for (i = 0; s && i < n; i++) {
        if (s[i]) {
            OPENSSL_cleanse(s[i], strlen(s[i]));
            hr_free(s[i]);
        }
    }
    hr_free(s);
}
