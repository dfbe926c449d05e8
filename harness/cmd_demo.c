/* SPDX-License-Identifier: MIT */
/*
 * `hookreplay demo`: the bundled Stripe lifecycle cassette replayed
 * against the bundled correct reference consumer, in one process.
 */
#include "cmd.h"
#include "embedded.h"
#include "reftarget.h"
#include "scenario.h"

#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: hookreplay demo [--out DIR] [--speed X]\n"
    "\n"
    "Starts the correct reference consumer on a free port of 127.0.0.1,\n"
    "replays the bundled Stripe payment lifecycle cassette against it\n"
    "(customers, payment intents that succeed and fail, a refund, a\n"
    "subscription created, updated and canceled, invoices paid), signed\n"
    "with a fresh random secret as Stripe signs, prints the summary and\n"
    "writes the JSON result, the reports (report.html, report.md,\n"
    "report.xml) and the consumer's final state to DIR.\n"
    "Opens nothing and reaches no other host.\n"
    "\n"
    "  --out DIR    result folder (default ./hookreplay-demo)\n"
    "  --speed X    replay X times faster than recorded (default 10)\n";

#define DEMO_CASSETTE "stripe-lifecycle.ndjson"

static char *random_secret(void)
{
    unsigned char raw[24];
    char *b64, *s;

    if (RAND_bytes(raw, sizeof(raw)) != 1)
        return NULL;
    b64 = hr_b64_encode(raw, sizeof(raw));
    if (!b64)
        return NULL;
    s = hr_malloc(strlen(b64) + 7);
    if (s)
        sprintf(s, "whsec_%s", b64);
    hr_free(b64);
    return s;
}

static int write_state(struct hr_reftarget *t, const char *dir)
{
    char *json = hr_reftarget_state_json(t);
    char *path = hr_path_join(dir, "target-state.json");
    FILE *f = path ? fopen(path, "w") : NULL;
    int rc = -1;

    if (f && json) {
        rc = fputs(json, f) < 0 ? -1 : 0;
        if (fclose(f))
            rc = -1;
        if (rc == 0)
            printf("  %-12s %s\n", "consumer", path);
    } else if (f) {
        fclose(f);
    }
    hr_free(path);
    hr_free(json);
    return rc;
}

static int parse_flags(int argc, char **argv, const char **out,
                       double *speed)
{
    int i;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--out") == 0 && i + 1 < argc) {
            *out = argv[++i];
        } else if (strcmp(argv[i], "--speed") == 0 && i + 1 < argc) {
            char *end;

            *speed = strtod(argv[++i], &end);
            if (*end || !(*speed > 0 && *speed <= 1e6)) {
                fprintf(stderr, "hookreplay demo: --speed must be a "
                                "positive number\n");
                return -1;
            }
        } else {
            fprintf(stderr, "hookreplay demo: unknown option '%s'\n%s",
                    argv[i], usage);
            return -1;
        }
    }
    return 0;
}

static struct hr_scenario *demo_scenario(const char *url, char *secret,
                                         const char *out, double speed)
{
    const struct hr_embedded *e = hr_embedded_find(DEMO_CASSETTE);
    struct hr_scenario *s = hr_malloc(sizeof(*s));
    struct hr_target_cfg *t;

    if (!s || !e)
        return NULL;
    hr_scenario_defaults(s);
    s->cassette = hr_strdup(DEMO_CASSETTE " (bundled)");
    s->cassette_mem = (const char *)e->data;
    s->cassette_mem_len = e->len;
    s->speed = speed;
    s->out_dir = hr_strdup(out);
    s->report_formats = HR_REPORT_JSON | HR_REPORT_JUNIT |
                        HR_REPORT_MARKDOWN | HR_REPORT_HTML;
    s->thresholds.has_max_ack_p99_ms = 1;
    s->thresholds.max_ack_p99_ms = 2000;
    s->targets = t = hr_calloc(1, sizeof(*t));
    if (!t)
        return s;
    s->n_targets = 1;
    t->endpoint = hr_strdup("stripe");
    t->url = hr_strdup(url);
    t->secrets = hr_calloc(1, sizeof(char *));
    if (t->secrets) {
        t->secrets[0] = secret;
        t->n_secrets = 1;
    }
    return s;
}

int cmd_demo(int argc, char **argv)
{
    struct hr_reftarget_opts o;
    struct hr_reftarget *target = NULL;
    struct hr_profile *profile = NULL;
    struct hr_scenario *s = NULL;
    struct hr_err err = {0, ""};
    const char *out = "hookreplay-demo";
    double speed = 10;
    char url[128], *secret;
    int code = HR_EXIT_INTERNAL;

    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        fputs(usage, stdout);
        return HR_EXIT_OK;
    }
    if (parse_flags(argc, argv, &out, &speed))
        return HR_EXIT_INPUT;
    secret = random_secret();
    profile = hr_profile_load("stripe", NULL, &err);
    if (!secret || !profile)
        goto out;
    memset(&o, 0, sizeof(o));
    o.mode = HR_REFTARGET_CORRECT;
    o.profile = profile;
    o.secrets = (const char *const *)&secret;
    o.n_secrets = 1;
    target = hr_reftarget_start(&o, &err);
    if (!target)
        goto out;
    snprintf(url, sizeof(url), "http://%s/webhooks/stripe",
             hr_reftarget_addr(target));
    printf("hookreplay demo: correct reference consumer on %s\n", url);
    s = demo_scenario(url, secret, out, speed);
    secret = NULL; /* owned by the scenario now */
    if (!s || !s->targets || !s->targets[0].n_secrets)
        goto out;
    code = hr_cmd_run_scenario(s, 0);
    if (write_state(target, out))
        code = code ? code : HR_EXIT_INTERNAL;
out:
    if (err.msg[0])
        fprintf(stderr, "hookreplay demo: %s\n", err.msg);
    hr_reftarget_stop(target);
    hr_scenario_free(s);
    hr_profile_free(profile);
    hr_free(secret);
    return code;
}
