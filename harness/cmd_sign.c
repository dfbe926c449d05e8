/* SPDX-License-Identifier: MIT */
/* The sign command: prints a provider's signature headers for a body. */
#include "cassette.h"
#include "cmd.h"
#include "profile.h"
#include "sign.h"
#include "util.h"

#include <errno.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SECRET_ENV "HOOKREPLAY_SECRET"
#define MAX_BODY_BYTES ((size_t)64 << 20)
#define ID_RANDOM_BYTES 16

static const char help[] =
    "usage: hookreplay sign --profile P [--id ID] [--timestamp T]\n"
    "                       [--secret-file F] < BODY\n"
    "\n"
    "Signs the body read from stdin as provider P signs webhooks and prints\n"
    "the headers to send with it, one 'Name: value' per line. The body is\n"
    "taken byte for byte (binary-safe, no newline added or removed).\n"
    "\n"
    "Options:\n"
    "  --profile P       the provider: stripe, github, shopify, slack,\n"
    "                    standard-webhooks or svix, or a path to a\n"
    "                    profile JSON file (its signature scheme and key\n"
    "                    mode are used)\n"
    "  --id ID           message id that standard-webhooks and svix sign\n"
    "                    (default: msg_ and 32 random hex digits); other\n"
    "                    providers sign no id and ignore it\n"
    "  --timestamp T     unix seconds to sign (default: now); used by\n"
    "                    stripe, slack, standard-webhooks and svix\n"
    "  --secret-file F   file with the secret(s), one per line\n"
    "  -h, --help        show this help\n"
    "\n"
    "Secrets: from --secret-file, or else from $" SECRET_ENV " (also one\n"
    "per line). They are never taken from the command line, where other\n"
    "users can read them (ps, /proc) and shells keep them in history.\n"
    "A trailing newline is not part of a secret; CRLF is accepted; empty\n"
    "lines are skipped. With several secrets (a rotation), stripe,\n"
    "standard-webhooks and svix put one signature per secret in their\n"
    "signature header; github, shopify and slack sign with the first.\n"
    "Stripe, GitHub, Shopify and Slack use the secret text as it is;\n"
    "standard-webhooks and svix strip an optional whsec_ prefix and\n"
    "base64-decode the rest.\n"
    "\n"
    "Example:\n"
    "  printf '%s' '{\"id\":\"evt_1\"}' | HOOKREPLAY_SECRET=whsec_test \\\n"
    "      hookreplay sign --profile stripe\n"
    "\n"
    "Exit codes: 0 headers printed; 2 bad usage or bad input (unknown\n"
    "option or profile, a secret given on the command line, no secret,\n"
    "an unreadable or empty secret file, a secret the profile cannot\n"
    "decode, a bad timestamp or id, a body over 64 MiB); 4 internal\n"
    "error (out of memory, failure to read stdin or write stdout).\n";

struct sign_opts {
    const char *profile;
    const char *id;
    const char *timestamp;
    const char *secret_file;
    int help;
};

static int usage_error(const char *fmt, const char *arg)
{
    fputs("hookreplay sign: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\nRun 'hookreplay sign --help' for usage.\n", stderr);
    return HR_EXIT_INPUT;
}

/* A secret in argv is refused, whatever the flag is spelled like. */
static int is_secret_flag(const char *arg)
{
    size_t n = strcspn(arg, "=");

    return strncmp(arg, "--secret", 8) == 0 &&
           !(n == strlen("--secret-file") &&
             strncmp(arg, "--secret-file", n) == 0);
}

/* Names the flag only: whatever follows '=' may be the secret itself. */
static int refuse_secret_flag(const char *arg)
{
    fprintf(stderr,
            "hookreplay sign: %.*s: secrets are not taken from the command "
            "line,\nwhere other users can read them (ps, /proc) and shells "
            "keep them in\nhistory. Use --secret-file FILE or set "
            "$" SECRET_ENV " (one secret per line).\n",
            (int)strcspn(arg, "="), arg);
    return HR_EXIT_INPUT;
}

/* Matches --name VALUE and --name=VALUE; advances *i past the value. */
static int take_value(int argc, char **argv, int *i, const char *name,
                      const char **out)
{
    const char *arg = argv[*i];
    size_t n = strlen(name);

    if (strncmp(arg, name, n) != 0)
        return 0;
    if (arg[n] == '=') {
        *out = arg + n + 1;
        return 1;
    }
    if (arg[n] != '\0')
        return 0;
    if (*i + 1 >= argc)
        return -1;
    *out = argv[++*i];
    return 1;
}

static int parse_args(int argc, char **argv, struct sign_opts *o)
{
    static const char *const names[] = {"--profile", "--id", "--timestamp",
                                        "--secret-file"};
    int i, k, r;

    for (i = 1; i < argc; i++) {
        const char **slots[] = {&o->profile, &o->id, &o->timestamp,
                                &o->secret_file};

        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            o->help = 1;
            return 0;
        }
        if (is_secret_flag(argv[i]))
            return refuse_secret_flag(argv[i]);
        for (k = 0, r = 0; k < 4 && !r; k++)
            r = take_value(argc, argv, &i, names[k], slots[k]);
        if (r < 0)
            return usage_error("%s needs a value", argv[i]);
        if (!r)
            return usage_error("unknown argument '%s'", argv[i]);
    }
    if (!o->profile)
        return usage_error("%s", "--profile is required");
    return 0;
}

/* Unix seconds: digits only, no sign, no overflow. */
static int parse_timestamp(const char *text, int64_t *out)
{
    char *end;
    long long v;

    if (!text[0] || strspn(text, "0123456789") != strlen(text))
        return -1;
    errno = 0;
    v = strtoll(text, &end, 10);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

static int make_id(char *out, size_t out_bytes)
{
    unsigned char rnd[ID_RANDOM_BYTES];
    char hex[2 * ID_RANDOM_BYTES + 1];

    if (RAND_bytes(rnd, sizeof(rnd)) != 1)
        return -1;
    hr_hex(rnd, sizeof(rnd), hex);
    snprintf(out, out_bytes, "msg_%s", hex);
    return 0;
}

/* The scheme and key mode of a named profile or a profile JSON file. */
static int resolve_profile(const char *name, enum hr_scheme *scheme,
                           enum hr_key_mode *mode, struct hr_err *err)
{
    struct hr_profile *p = hr_profile_load(name, NULL, err);

    if (!p)
        return -1;
    *scheme = p->scheme;
    *mode = p->key_mode;
    hr_profile_free(p);
    if (*scheme == HR_SCHEME_NONE)
        return hr_errf(err, HR_EXIT_INPUT,
                       "profile '%s' has no signature scheme to sign with",
                       name);
    return 0;
}

static int load_secrets(const struct sign_opts *o, char ***secrets, size_t *n,
                        struct hr_err *err)
{
    if (o->secret_file)
        return hr_secrets_load_file(o->secret_file, secrets, n, err);
    if (!getenv(SECRET_ENV))
        return hr_errf(err, HR_EXIT_INPUT,
                       "no secret: give --secret-file FILE or set "
                       "$" SECRET_ENV " (one secret per line)");
    return hr_secrets_load_env(SECRET_ENV, secrets, n, err);
}

/* Reads all of stdin, exact bytes, up to MAX_BODY_BYTES. */
static int read_body(struct hr_buf *body, struct hr_err *err)
{
    char chunk[65536];
    size_t n;

    if (isatty(STDIN_FILENO))
        fputs("hookreplay sign: reading the body from stdin "
              "(end it with Ctrl-D)\n",
              stderr);
    while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0) {
        if (body->len + n > MAX_BODY_BYTES)
            return hr_errf(err, HR_EXIT_INPUT,
                           "the body on stdin is over 64 MiB");
        if (hr_buf_add(body, chunk, n))
            return hr_errf(err, HR_EXIT_INTERNAL, "out of memory");
    }
    if (ferror(stdin))
        return hr_errf(err, HR_EXIT_INTERNAL, "cannot read stdin: %s",
                       strerror(errno));
    return 0;
}

static int print_headers(const struct hr_message *m, struct hr_err *err)
{
    size_t i;

    for (i = 0; i < m->n_headers; i++)
        printf("%s: %s\n", m->headers[i].name, m->headers[i].value);
    if (fflush(stdout) || ferror(stdout))
        return hr_errf(err, HR_EXIT_INTERNAL, "cannot write stdout");
    return 0;
}

static void message_free(struct hr_message *m)
{
    size_t i;

    for (i = 0; i < m->n_headers; i++) {
        hr_free(m->headers[i].name);
        hr_free(m->headers[i].value);
    }
    hr_free(m->headers);
}

/* Fills in what sign needs from the options; prints nothing. */
static int prepare(const struct sign_opts *o, struct hr_sign_input *in,
                   enum hr_key_mode *mode, char *id, size_t id_bytes,
                   struct hr_err *err)
{
    if (resolve_profile(o->profile, &in->scheme, mode, err))
        return -1;
    in->timestamp = (int64_t)time(NULL);
    if (o->timestamp && parse_timestamp(o->timestamp, &in->timestamp))
        return hr_errf(err, HR_EXIT_INPUT,
                       "--timestamp must be unix seconds (digits only), "
                       "not '%.64s'",
                       o->timestamp);
    if (!hr_scheme_signs_id(in->scheme)) {
        if (o->id)
            hr_log(1, "sign: %s signs no message id; --id is ignored",
                   hr_scheme_name(in->scheme));
        return 0;
    }
    if (o->id) {
        in->id = o->id;
        return 0;
    }
    if (make_id(id, id_bytes))
        return hr_errf(err, HR_EXIT_INTERNAL, "no random bytes for an id");
    in->id = id;
    return 0;
}

static int run_sign(const struct sign_opts *o, struct hr_err *err)
{
    struct hr_sign_input in = {0};
    struct hr_message out = {0};
    struct hr_buf body;
    enum hr_key_mode mode = HR_KEY_UTF8;
    char **secrets = NULL;
    size_t n_secrets = 0;
    char id[8 + 2 * ID_RANDOM_BYTES];
    int rc = -1;

    hr_buf_init(&body, 0);
    if (prepare(o, &in, &mode, id, sizeof(id), err) ||
        load_secrets(o, &secrets, &n_secrets, err) || read_body(&body, err))
        goto out;
    in.secrets = (const char *const *)secrets;
    in.n_secrets = n_secrets;
    in.body = (const unsigned char *)body.data;
    in.body_len = body.len;
    if (hr_sign_keyed(&in, mode, &out, err) || print_headers(&out, err))
        goto out;
    rc = 0;
out:
    message_free(&out);
    hr_secrets_free(secrets, n_secrets);
    hr_buf_free(&body);
    return rc;
}

int cmd_sign(int argc, char **argv)
{
    struct sign_opts o = {0};
    struct hr_err err = {0};
    int rc = parse_args(argc, argv, &o);

    if (rc)
        return rc;
    if (o.help) {
        fputs(help, stdout);
        return HR_EXIT_OK;
    }
    if (run_sign(&o, &err) == 0)
        return HR_EXIT_OK;
    fprintf(stderr, "hookreplay sign: %s\n", err.msg);
    return err.code ? err.code : HR_EXIT_INTERNAL;
}
