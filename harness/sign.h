/* SPDX-License-Identifier: MIT */
/*
 * Signature schemes of webhook providers: signing as the provider signs,
 * and verifying as the provider's official library verifies. All HMACs go
 * through OpenSSL's EVP_MAC.
 */
#ifndef HR_SIGN_H
#define HR_SIGN_H
#include "cassette.h"
#include "util.h"

#include <stdint.h>

enum hr_scheme {
    HR_SCHEME_NONE = 0,
    HR_SCHEME_STRIPE,  /* Stripe-Signature: t=..,v1=hex(hmac(t.body)) */
    HR_SCHEME_GITHUB,  /* X-Hub-Signature-256: sha256=hex(hmac(body)) */
    HR_SCHEME_SHOPIFY, /* X-Shopify-Hmac-Sha256: b64(hmac(body)) */
    HR_SCHEME_SLACK,   /* X-Slack-Signature: v0=hex(hmac(v0:t:body)) */
    HR_SCHEME_STDWH,   /* webhook-signature: v1,b64(hmac(id.t.body)) */
    HR_SCHEME_SVIX     /* svix-signature, same as standard webhooks */
};

/* How a secret string becomes an HMAC key. */
enum hr_key_mode {
    HR_KEY_UTF8 = 0,     /* the secret text as it is (Stripe, GitHub) */
    HR_KEY_WHSEC_B64 = 1 /* strip an optional whsec_, base64-decode */
};

/* Name as used in profiles and on the command line; NONE when unknown. */
enum hr_scheme hr_scheme_from_name(const char *name);
const char *hr_scheme_name(enum hr_scheme s);
/* The key mode the provider uses for scheme s. */
enum hr_key_mode hr_scheme_key_mode(enum hr_scheme s);
/* 1 when scheme s signs a message id (and so needs one to sign). */
int hr_scheme_signs_id(enum hr_scheme s);
/* 1 when scheme s signs a timestamp. */
int hr_scheme_signs_timestamp(enum hr_scheme s);

/*
 * Turns a secret string into HMAC key bytes under mode: a new buffer in
 * *key (release with hr_secret_key_free). 0, or -1 with err (code
 * HR_EXIT_INPUT) for an empty secret or one that is not base64 where
 * the mode decodes it. Messages never quote the secret.
 */
int hr_secret_key(const char *secret, enum hr_key_mode mode,
                  unsigned char **key, size_t *key_len, struct hr_err *err);
/* Wipes and frees a key from hr_secret_key (NULL is fine). */
void hr_secret_key_free(unsigned char *key, size_t key_len);

/* What to sign: one message, at one time, with one or more secrets. */
struct hr_sign_input {
    enum hr_scheme scheme;
    const char *const *secrets; /* the first signs; all sign for rotation */
    size_t n_secrets;
    const char *id;    /* message id (standard webhooks, svix); may be NULL */
    int64_t timestamp; /* unix seconds, for schemes that sign one */
    const unsigned char *body;
    size_t body_len;
};

/*
 * Appends the signature headers (and the id/timestamp headers the scheme
 * needs) to out, in the provider's order. Several secrets yield several
 * signatures in one header where the scheme allows it (Stripe, Standard
 * Webhooks, Svix); GitHub, Shopify and Slack sign with the first only.
 * GitHub gets the legacy sha1 X-Hub-Signature too. 0 or -1 with err.
 */
int hr_sign(const struct hr_sign_input *in, struct hr_message *out,
            struct hr_err *err);
/*
 * hr_sign with the key mode given (a profile may set one) instead of the
 * scheme's own. On failure nothing is appended to out. Every secret used
 * must make a key: an undecodable one fails the call (HR_EXIT_INPUT).
 */
int hr_sign_keyed(const struct hr_sign_input *in, enum hr_key_mode mode,
                  struct hr_message *out, struct hr_err *err);

/*
 * Signature faults: deliveries a correct consumer must reject (all but
 * ROTATED) or accept (ROTATED), made the way a careless provider, an
 * attacker or a rotation would make them. A tampered body is made by the
 * caller: sign the original body, send a changed one.
 */
enum hr_sig_fault {
    HR_SIG_NONE = 0,     /* signed as hr_sign_keyed signs */
    HR_SIG_FORGED,       /* signed with a wrong secret of the same shape */
    HR_SIG_STALE,        /* signed with a timestamp beyond the tolerance */
    HR_SIG_MISSING,      /* every header but the signature itself */
    HR_SIG_WRONG_SCHEME, /* the right HMAC under a label the library refuses */
    HR_SIG_ROTATED       /* a retired secret's signature, then the real one */
};

/*
 * 1 when fault f means something for scheme s, else 0: STALE needs a
 * signed timestamp (not GitHub, Shopify), ROTATED several signatures in
 * one header (Stripe, Standard Webhooks, Svix). 0 for an unknown scheme.
 */
int hr_sig_fault_applies(enum hr_scheme s, enum hr_sig_fault f);

/*
 * "none", "forged", "stale", "missing", "wrong_scheme", "rotated";
 * "unknown" for a value outside the enum. hr_sig_fault_from_name gives
 * HR_SIG_NONE for "none" and for any unknown name (or NULL): a caller
 * that must reject unknown names compares the name back.
 */
const char *hr_sig_fault_name(enum hr_sig_fault f);
enum hr_sig_fault hr_sig_fault_from_name(const char *name);

/*
 * The wrong secret a fault signs with, derived from nonce alone (same
 * nonce, same secret), never equal to secret and shaped like it: under
 * HR_KEY_WHSEC_B64 "whsec_" + base64 of as many bytes as secret decodes
 * to; under HR_KEY_UTF8 as many characters, a leading "word_" prefix
 * (e.g. "whsec_") kept, the rest letters and digits. f is HR_SIG_FORGED
 * (the forger's secret) or HR_SIG_ROTATED (the retired secret); the two
 * differ for one nonce. Returns a new string (hr_free), or NULL with err
 * (HR_EXIT_INPUT when secret makes no key under mode or f is another
 * fault).
 */
char *hr_sig_fault_secret(const char *secret, enum hr_key_mode mode,
                          enum hr_sig_fault f, uint64_t nonce,
                          struct hr_err *err);

/*
 * Appends the headers of in signed with fault f to out (in->secrets[0]
 * is the real secret):
 * - NONE: exactly hr_sign_keyed.
 * - FORGED: signed with hr_sig_fault_secret(secrets[0], FORGED, nonce)
 *   only.
 * - STALE: signed at in->timestamp - tolerance_s - 60 (tolerance_s 0 or
 *   less: 3600), so a consumer checking the profile's window refuses it.
 * - MISSING: the scheme's headers without the signature: Stripe none
 *   left; GitHub both X-Hub-Signature-256 and the legacy X-Hub-Signature
 *   dropped (a verifier falling back to sha1 must not find one); Shopify
 *   none left; Slack keeps X-Slack-Request-Timestamp; Standard Webhooks
 *   and Svix keep the id and timestamp headers.
 * - WRONG_SCHEME: the correct HMAC under a label a lax verifier might
 *   take and the library refuses (as in the vectors'
 *   invalid_wrong_scheme_* cases): Stripe "t=..,v0=<hex>" instead of v1;
 *   GitHub "X-Hub-Signature-256: sha1=<hex of the sha256 HMAC>" (legacy
 *   X-Hub-Signature left correct); Shopify "sha256=<base64>" instead of
 *   bare base64; Slack "v1=<hex>" instead of v0; Standard Webhooks and
 *   Svix "v2,<base64>" instead of v1.
 * - ROTATED: two signatures in one header, the retired secret's
 *   (hr_sig_fault_secret(secrets[0], ROTATED, nonce)) first, then the
 *   real one: valid for a consumer holding the real secret.
 * Further secrets in in are used only by NONE, STALE, MISSING and
 * WRONG_SCHEME, as hr_sign_keyed uses them. Returns 0, or -1 with err
 * (HR_EXIT_INPUT when f does not apply to the scheme, or as
 * hr_sign_keyed fails); on failure nothing is appended to out.
 */
int hr_sign_fault(const struct hr_sign_input *in, enum hr_key_mode mode,
                  enum hr_sig_fault f, int64_t tolerance_s, uint64_t nonce,
                  struct hr_message *out, struct hr_err *err);

/*
 * The headers besides the signature that the provider sends with every
 * webhook and its official library refuses a delivery without (Shopify:
 * topic, shop domain, API version, webhook id). NULL-ended, static;
 * empty for the schemes whose libraries check the signature alone.
 */
const char *const *hr_scheme_required_headers(enum hr_scheme s);

/* The outcome of a verification, with a short reason when invalid. */
struct hr_verdict {
    int valid;
    char reason[128];
};

/*
 * Verifies a received message (headers + exact body) against secrets as
 * the provider's library would, with now and tolerance_s in seconds
 * (tolerance 0: no freshness check). Fills *v and returns 0; -1 only on
 * internal errors.
 */
int hr_verify(enum hr_scheme scheme, const char *const *secrets,
              size_t n_secrets, const struct hr_message *msg, int64_t now,
              int64_t tolerance_s, struct hr_verdict *v, struct hr_err *err);
/*
 * hr_verify with the key mode given. A secret that makes no key is
 * skipped; when none does, the verdict is invalid with that reason.
 * Verifies the signature only: the libraries' JSON parse of the body
 * after a match is not repeated here.
 */
int hr_verify_keyed(enum hr_scheme scheme, enum hr_key_mode mode,
                    const char *const *secrets, size_t n_secrets,
                    const struct hr_message *msg, int64_t now,
                    int64_t tolerance_s, struct hr_verdict *v,
                    struct hr_err *err);

/* HMAC-SHA256 of msg under key into out (32 bytes). 0 or -1. */
int hr_hmac_sha256(const unsigned char *key, size_t key_len,
                   const unsigned char *msg, size_t msg_len,
                   unsigned char out[32]);

/*
 * Reads secrets from a file, one per line (no trailing newline kept).
 * CRLF ends a line too; empty lines are skipped; a file with no secret
 * (or with a NUL byte) is an error. *out holds *n new strings: release
 * them with hr_secrets_free, which wipes them first.
 */
int hr_secrets_load_file(const char *path, char ***out, size_t *n,
                         struct hr_err *err);
/* Same from an environment variable; an unset one is an error. */
int hr_secrets_load_env(const char *name, char ***out, size_t *n,
                        struct hr_err *err);
void hr_secrets_free(char **s, size_t n);

#endif
