/* SPDX-License-Identifier: MIT */
/* `hookreplay target`: runs a reference webhook consumer until signalled. */
#include "cmd.h"
#include "profile.h"
#include "reftarget.h"
#include "sign.h"
#include "util.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: hookreplay target --mode MODE --profile P\n"
    "                         [--listen 127.0.0.1:PORT] [--secret-file F]\n"
    "                         [--slow-ms N] [--max-body-bytes N]\n"
    "                         [--api URL] [--api-key-env NAME]\n"
    "                         [--poll-ms N] [--db PATH]\n"
    "\n"
    "Runs a reference webhook consumer, for tests and the demo.\n"
    "\n"
    "  --mode correct   verifies each signature over the raw body with the\n"
    "                   profile's scheme and freshness window (400 when it\n"
    "                   fails), deduplicates by event id (a duplicate is\n"
    "                   answered 200 and not applied again), applies the\n"
    "                   rest and answers 200 at once. 413 over 8 MiB, 415\n"
    "                   for a compressed body, 400 for one that is not\n"
    "                   JSON; whatever the Content-Type, it parses the\n"
    "                   bytes itself; an event type it does not handle is\n"
    "                   answered 200 and ignored.\n"
    "  --mode naive     verifies nothing and deduplicates nothing: every\n"
    "                   delivery it can read is applied, in arrival order.\n"
    "                   Like a quick Express handler it answers 500 to\n"
    "                   what it cannot take: a body over 100 kB, another\n"
    "                   Content-Type than the provider's, a body that is\n"
    "                   not JSON (compressed ones too), an event type it\n"
    "                   does not handle. One synchronous worker serves one\n"
    "                   request at a time and closes each connection; a\n"
    "                   body cut off mid-way is applied as far as it came;\n"
    "                   HTTP/1.0 gets 505 from the HTTP/1.1-only front\n"
    "                   server it sits behind.\n"
    "  --mode reserializing  as correct, but verifies the signature over\n"
    "                   the body parsed and printed again compactly, not\n"
    "                   over the bytes received.\n"
    "  --mode ack-all   as correct, but answers 200 to a delivery whose\n"
    "                   signature fails, and discards it.\n"
    "  --mode fetcher   as correct, but fetches each new event's object\n"
    "                   from the API before answering (GET\n"
    "                   /v1/<kind>s/<id>) and keeps what the API says;\n"
    "                   never polls. Needs --api.\n"
    "  --mode backfill  verifies, writes each event's object into a\n"
    "                   SQLite file (--db) as it comes, ignoring event\n"
    "                   ids; POST /admin/backfill pages the customer,\n"
    "                   subscription and invoice lists into it. Tables:\n"
    "                   billing_customers(cust_ref, mail, is_gone, doc),\n"
    "                   billing_subs(sub_ref, state, cust_ref, is_gone),\n"
    "                   billing_invoices(inv_ref, state, cust_ref,\n"
    "                   is_gone), billing_other(ref, kind, state,\n"
    "                   is_gone). Needs --api and --db.\n"
    "  --mode unique    as correct, but a redelivered event id hits its\n"
    "                   processed-events table's unique key and the\n"
    "                   error is not caught: answered 500, so the\n"
    "                   provider retries the duplicate.\n"
    "  Handled types: with the stripe, github and shopify profiles, the\n"
    "                   families (text before the first '.' or '/') the\n"
    "                   provider documents; with others, every type.\n"
    "  --profile P      provider profile: a name (stripe, github, shopify,\n"
    "                   slack, standard-webhooks, svix) or a JSON file.\n"
    "  --listen ADDR    address to bind, an IP literal with a port, as\n"
    "                   127.0.0.1:8080 or [::1]:8080 (default 127.0.0.1:0:\n"
    "                   a free port).\n"
    "  --secret-file F  secrets, one per line; any of them verifies.\n"
    "                   Without it, HOOKREPLAY_SECRET is read (one per\n"
    "                   line). Secrets are never taken from argv. Needed\n"
    "                   in every mode but naive.\n"
    "  --slow-ms N      hold every delivery's answer back N ms.\n"
    "  --max-body-bytes N  larger bodies are refused (default 8 MiB; 100 kB\n"
    "                   in naive mode).\n"
    "  --api URL        the provider API (Stripe's shape), e.g.\n"
    "                   http://127.0.0.1:12111. With it, correct mode\n"
    "                   also reconciles: it fetches each new event's\n"
    "                   object, polls GET /v1/events every --poll-ms\n"
    "                   (default 500) and applies the events it missed;\n"
    "                   an event older than an object's state never\n"
    "                   overwrites it.\n"
    "  --api-key-env NAME  environment variable holding the API key, sent\n"
    "                   as a Bearer token (default HOOKREPLAY_API_KEY,\n"
    "                   when set).\n"
    "  --db PATH        backfill mode's SQLite file (created if needed).\n"
    "\n"
    "Routes: POST /, /webhooks or /webhooks/... takes a delivery;\n"
    "GET /__state answers the state as JSON: mode, profile, received,\n"
    "processed, rejected, duplicates_ignored, ignored, discarded, applied\n"
    "(event id -> times applied) and objects (object id -> type, event,\n"
    "created, status and deleted of the last event applied to it);\n"
    "GET /healthz answers ok.\n"
    "Other paths answer 404.\n"
    "\n"
    "Prints 'listening on HOST:PORT' once ready and runs until SIGTERM\n"
    "or SIGINT, then stops cleanly with exit code 0. Exit code 2 for bad\n"
    "usage or input, 4 when the address cannot be bound.\n";

struct target_args {
    const char *mode;
    const char *profile;
    const char *listen;
    const char *secret_file;
    const char *slow_ms;
    const char *max_body_bytes;
    const char *api;
    const char *api_key_env;
    const char *poll_ms;
    const char *db;
};

static int bad_usage(const char *fmt, const char *what)
{
    fputs("hookreplay target: ", stderr);
    fprintf(stderr, fmt, what);
    fputs("\n(see 'hookreplay target --help')\n", stderr);
    return HR_EXIT_INPUT;
}

/* Points *slot at the value of a "--flag VALUE" pair. */
static int take_value(int argc, char **argv, int *i, const char **slot)
{
    if (*i + 1 >= argc)
        return -1;
    *slot = argv[++*i];
    return 0;
}

static const char **flag_slot(struct target_args *a, const char *flag)
{
    if (strcmp(flag, "--mode") == 0)
        return &a->mode;
    if (strcmp(flag, "--profile") == 0)
        return &a->profile;
    if (strcmp(flag, "--listen") == 0)
        return &a->listen;
    if (strcmp(flag, "--secret-file") == 0)
        return &a->secret_file;
    if (strcmp(flag, "--slow-ms") == 0)
        return &a->slow_ms;
    if (strcmp(flag, "--max-body-bytes") == 0)
        return &a->max_body_bytes;
    if (strcmp(flag, "--api") == 0)
        return &a->api;
    if (strcmp(flag, "--api-key-env") == 0)
        return &a->api_key_env;
    if (strcmp(flag, "--poll-ms") == 0)
        return &a->poll_ms;
    if (strcmp(flag, "--db") == 0)
        return &a->db;
    return NULL;
}

/* 0, 1 when --help was asked for, or an exit code above 1. */
static int parse_args(int argc, char **argv, struct target_args *a)
{
    int i;

    memset(a, 0, sizeof(*a));
    for (i = 1; i < argc; i++) {
        const char **slot;

        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return 1;
        slot = flag_slot(a, argv[i]);
        if (!slot)
            return bad_usage("unknown option '%s'", argv[i]);
        if (take_value(argc, argv, &i, slot))
            return bad_usage("option '%s' needs a value", argv[i]);
    }
    if (!a->mode || !a->profile)
        return bad_usage("%s", "--mode and --profile are required");
    return 0;
}

static int parse_count(const char *s, const char *flag, int64_t *out)
{
    char *end;
    long long v;

    if (!s)
        return 0;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < 0)
        return bad_usage("%s needs a whole number >= 0", flag);
    *out = v;
    return 0;
}

static int parse_mode(const char *s, int *mode)
{
    *mode = hr_reftarget_mode_from_name(s);
    if (!*mode)
        return bad_usage("unknown mode '%s' (correct, naive, reserializing, "
                         "ack-all, fetcher, backfill or unique)",
                         s);
    return 0;
}

static int load_secrets(const struct target_args *a, char ***s, size_t *n)
{
    struct hr_err err = {0};
    int rc;

    *s = NULL;
    *n = 0;
    if (a->secret_file)
        rc = hr_secrets_load_file(a->secret_file, s, n, &err);
    else if (getenv("HOOKREPLAY_SECRET"))
        rc = hr_secrets_load_env("HOOKREPLAY_SECRET", s, n, &err);
    else
        return 0;
    if (rc) {
        fprintf(stderr, "hookreplay target: %s\n", err.msg);
        return err.code ? err.code : HR_EXIT_INPUT;
    }
    return 0;
}

/* Serves until SIGTERM or SIGINT; the signals are blocked in every thread
 * (the daemon's threads inherit the mask) and taken here with sigwait. */
static int serve(const struct hr_reftarget_opts *o)
{
    struct hr_err err = {0};
    struct hr_reftarget *t;
    sigset_t set;
    int sig = 0;

    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    t = hr_reftarget_start(o, &err);
    if (!t) {
        /* the library names itself; say it once */
        fprintf(stderr, "hookreplay target: %s\n",
                strncmp(err.msg, "target: ", 8) ? err.msg : err.msg + 8);
        return err.code ? err.code : HR_EXIT_INTERNAL;
    }
    printf("listening on %s\n", hr_reftarget_addr(t));
    fflush(stdout);
    while (sigwait(&set, &sig) != 0)
        ;
    hr_reftarget_stop(t);
    return HR_EXIT_OK;
}

static int run_target(const struct target_args *a, struct hr_reftarget_opts *o)
{
    struct hr_err err = {0};
    struct hr_profile *p;
    char **secrets = NULL;
    size_t n_secrets = 0;
    int rc;

    p = hr_profile_load(a->profile, NULL, &err);
    if (!p) {
        fprintf(stderr, "hookreplay target: %s\n", err.msg);
        return err.code ? err.code : HR_EXIT_INPUT;
    }
    rc = load_secrets(a, &secrets, &n_secrets);
    if (rc == 0 && n_secrets == 0 && o->mode != HR_REFTARGET_NAIVE &&
        p->scheme != HR_SCHEME_NONE) {
        fprintf(stderr,
                "hookreplay target: --mode %s needs a secret to verify "
                "signatures: set HOOKREPLAY_SECRET (one per line) or give "
                "--secret-file F\n",
                hr_reftarget_mode_name(o->mode));
        rc = HR_EXIT_INPUT;
    }
    if (rc == 0) {
        o->profile = p;
        o->secrets = (const char *const *)secrets;
        o->n_secrets = n_secrets;
        rc = serve(o);
    }
    if (secrets)
        hr_secrets_free(secrets, n_secrets);
    hr_profile_free(p);
    return rc;
}

/* The API key from the environment variable named, never from argv. */
static int api_key(const struct target_args *a, const char **key)
{
    const char *name = a->api_key_env ? a->api_key_env : "HOOKREPLAY_API_KEY";

    *key = getenv(name);
    if (a->api_key_env && !*key)
        return bad_usage("--api-key-env: %s is not set", name);
    return 0;
}

int cmd_target(int argc, char **argv)
{
    struct target_args a;
    struct hr_reftarget_opts o;
    int64_t max_body = 0;
    int rc = parse_args(argc, argv, &a);

    if (rc == 1) {
        fputs(usage, stdout);
        return HR_EXIT_OK;
    }
    if (rc)
        return rc;
    memset(&o, 0, sizeof(o));
    o.listen_addr = a.listen;
    if (parse_mode(a.mode, &o.mode) ||
        parse_count(a.slow_ms, "--slow-ms", &o.slow_ms) ||
        parse_count(a.max_body_bytes, "--max-body-bytes", &max_body))
        return HR_EXIT_INPUT;
    o.max_body_bytes = (size_t)max_body;
    o.api_url = a.api;
    o.db_path = a.db;
    if (parse_count(a.poll_ms, "--poll-ms", &o.poll_ms) ||
        api_key(&a, &o.api_key))
        return HR_EXIT_INPUT;
    return run_target(&a, &o);
}
