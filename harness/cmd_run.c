/* SPDX-License-Identifier: MIT */
/* `hookreplay run`: parse flags or a scenario, replay, summarize. */
#include "cassette.h"
#include "cmd.h"
#include "plan.h"
#include "profile.h"
#include "report.h"
#include "run.h"
#include "scenario.h"
#include "sign.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>
#include <stddef.h>
#include <string.h>

static const char usage[] =
    "usage: hookreplay run SCENARIO [OPTIONS]\n"
    "       hookreplay run --cassette FILE --target URL [--profile P]\n"
    "                      [--secret-file F] [--endpoint NAME] [OPTIONS]\n"
    "\n"
    "Replays the webhook deliveries of a cassette against a target, signed\n"
    "at send time as the provider signs, retrying on the profile's\n"
    "schedule, and writes OUT/result.json plus a summary.\n"
    "\n"
    "Without a scenario:\n"
    "  --cassette FILE       the recording to replay ('-' for stdin)\n"
    "  --target URL          where deliveries go (used as given)\n"
    "  --profile P           provider profile (stripe, github, shopify,\n"
    "                        slack, standard-webhooks, svix, or a .json\n"
    "                        path); default: the cassette header's\n"
    "  --endpoint NAME       which cassette endpoint --target receives\n"
    "                        (needed when the cassette has several)\n"
    "  --secret-file F       signing secrets, one per line; default\n"
    "                        $HOOKREPLAY_SECRET. Never given on argv.\n"
    "  --keep-path           append the recorded path and query to URL\n"
    "  --ca-file F           PEM CA certificates to trust for an https URL\n"
    "  --tls-insecure        https without verifying the certificate\n"
    "\n"
    "Options (override the scenario):\n"
    "  --out DIR             result folder (default ./hookreplay-out)\n"
    "  --seed N              seed for every random decision (default 1)\n"
    "  --pacing MODE         recorded (default), rate, or asap\n"
    "  --speed X             recorded pacing runs X times faster (1)\n"
    "  --rate N              deliveries per second for rate pacing (100)\n"
    "  --max-in-flight N     concurrent deliveries (64)\n"
    "  --retry-time-scale X  multiplies retry delays (default 0.0001:\n"
    "                        Stripe's 3 days of retries take 27 s); the\n"
    "                        response timeout is never scaled\n"
    "  --no-retries          one attempt per delivery\n"
    "  --no-handshake        skip the profile's handshake (Slack's\n"
    "                        url_verification, GitHub's ping)\n"
    "  --min-delivery-rate X threshold, 0..1 (default 1.0)\n"
    "  --max-ack-p99-ms N    threshold on the p99 ack latency\n"
    "  --report LIST         also write reports next to result.json:\n"
    "                        junit (report.xml), md (report.md), html\n"
    "                        (report.html), comma-separated\n"
    "  --quiet               no summary on stdout and no progress on\n"
    "                        stderr (warnings still go there)\n"
    "  --plan-only           print the plan (NDJSON, one delivery a line,\n"
    "                        same seed: same bytes) and send nothing;\n"
    "                        needs no signing secret\n"
    "\n"
    "Exit codes: 0 all thresholds met; 1 a threshold failed, or a check\n"
    "the scenario asked for could not be measured; 2 bad usage or bad\n"
    "input (a partial result is written when the cassette breaks\n"
    "mid-way); 3 the target never answered at all; 4 internal error.\n";

struct flags {
    const char *scenario, *cassette, *target, *profile, *endpoint;
    const char *secret_file, *out, *pacing;
    const char *seed, *speed, *rate, *max_in_flight, *retry_scale;
    const char *min_rate, *max_p99, *report, *ca_file;
    int keep_path, no_retries, quiet, plan_only, no_handshake, tls_insecure;
};

static void on_signal(int sig)
{
    (void)sig;
    hr_run_stop = 1;
}

static int parse_double(const char *flag, const char *v, double lo, double hi,
                        double *out, struct hr_err *err)
{
    char *end;
    double d = strtod(v, &end);

    if (end == v || *end || !(d >= lo && d <= hi))
        return hr_errf(err, HR_EXIT_INPUT,
                       "%s: '%s' is not a number from %g to %g", flag, v, lo,
                       hi);
    *out = d;
    return 0;
}

static const char **value_slot(struct flags *f, const char *name)
{
    static const struct {
        const char *name;
        size_t off;
    } table[] = {
        {"--cassette", offsetof(struct flags, cassette)},
        {"--target", offsetof(struct flags, target)},
        {"--profile", offsetof(struct flags, profile)},
        {"--endpoint", offsetof(struct flags, endpoint)},
        {"--secret-file", offsetof(struct flags, secret_file)},
        {"--ca-file", offsetof(struct flags, ca_file)},
        {"--out", offsetof(struct flags, out)},
        {"--pacing", offsetof(struct flags, pacing)},
        {"--seed", offsetof(struct flags, seed)},
        {"--speed", offsetof(struct flags, speed)},
        {"--rate", offsetof(struct flags, rate)},
        {"--max-in-flight", offsetof(struct flags, max_in_flight)},
        {"--retry-time-scale", offsetof(struct flags, retry_scale)},
        {"--min-delivery-rate", offsetof(struct flags, min_rate)},
        {"--max-ack-p99-ms", offsetof(struct flags, max_p99)},
        {"--report", offsetof(struct flags, report)},
    };
    size_t i;

    for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
        if (strcmp(table[i].name, name) == 0)
            return (const char **)((char *)f + table[i].off);
    return NULL;
}

static int parse_flags(int argc, char **argv, struct flags *f,
                       struct hr_err *err)
{
    int i;

    memset(f, 0, sizeof(*f));
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char **slot = value_slot(f, a);

        if (slot) {
            if (i + 1 >= argc)
                return hr_errf(err, HR_EXIT_INPUT, "%s needs a value", a);
            *slot = argv[++i];
        } else if (strcmp(a, "--keep-path") == 0) {
            f->keep_path = 1;
        } else if (strcmp(a, "--tls-insecure") == 0) {
            f->tls_insecure = 1;
        } else if (strcmp(a, "--no-retries") == 0) {
            f->no_retries = 1;
        } else if (strcmp(a, "--no-handshake") == 0) {
            f->no_handshake = 1;
        } else if (strcmp(a, "--quiet") == 0) {
            f->quiet = 1;
        } else if (strcmp(a, "--plan-only") == 0) {
            f->plan_only = 1;
        } else if (strcmp(a, "--secret") == 0 ||
                   strncmp(a, "--secret=", 9) == 0) {
            return hr_errf(err, HR_EXIT_INPUT,
                           "secrets are never taken from the command line "
                           "(they would show in ps and shell history): use "
                           "--secret-file or HOOKREPLAY_SECRET");
        } else if (a[0] == '-' && a[1]) {
            return hr_errf(err, HR_EXIT_INPUT, "unknown option '%s'", a);
        } else if (!f->scenario) {
            f->scenario = a;
        } else {
            return hr_errf(err, HR_EXIT_INPUT, "unexpected argument '%s'", a);
        }
    }
    if (f->scenario &&
        (f->cassette || f->target || f->profile || f->endpoint ||
         f->secret_file || f->keep_path || f->ca_file || f->tls_insecure))
        return hr_errf(err, HR_EXIT_INPUT,
                       "give a SCENARIO or --cassette/--target, not both");
    if (!f->scenario && (!f->cassette || !f->target))
        return hr_errf(err, HR_EXIT_INPUT,
                       "give a SCENARIO, or --cassette FILE and --target "
                       "URL (see 'hookreplay run --help')");
    return 0;
}

/* The endpoint --target receives: --endpoint, or the only one there is. */
static int pick_endpoint(const struct flags *f, char **name, char **profile,
                         struct hr_err *err)
{
    struct hr_cassette_reader *r = hr_cassette_open(f->cassette, err);
    const struct hr_cassette_header *h;
    size_t i;
    int rc = -1;

    if (!r)
        return -1;
    h = hr_cassette_header(r);
    for (i = 0; i < h->n_endpoints; i++) {
        if (f->endpoint ? strcmp(h->endpoints[i].name, f->endpoint) == 0
                        : h->n_endpoints == 1) {
            *name = hr_strdup(h->endpoints[i].name);
            *profile =
                hr_strdup(f->profile ? f->profile : h->endpoints[i].profile);
            rc = 0;
            break;
        }
    }
    if (rc && f->endpoint)
        hr_errf(err, HR_EXIT_INPUT, "%s: no endpoint named '%s'", f->cassette,
                f->endpoint);
    else if (rc)
        hr_errf(err, HR_EXIT_INPUT,
                "%s: the cassette has %zu endpoints: say which one "
                "--target receives with --endpoint NAME",
                f->cassette, h->n_endpoints);
    hr_cassette_close(r);
    return rc;
}

static struct hr_scenario *from_flags(const struct flags *f, struct hr_err *err)
{
    struct hr_scenario *s = hr_malloc(sizeof(*s));
    struct hr_target_cfg *t;

    if (!s) {
        hr_errf(err, HR_EXIT_INTERNAL, "out of memory");
        return NULL;
    }
    hr_scenario_defaults(s);
    s->cassette = hr_strdup(f->cassette);
    s->targets = t = hr_calloc(1, sizeof(*t));
    if (!s->cassette || !t)
        goto fail;
    s->n_targets = 1;
    if ((strncmp(f->target, "http://", 7) &&
         strncmp(f->target, "https://", 8)) ||
        strpbrk(f->target, " \t\r\n\x7f")) {
        hr_errf(err, HR_EXIT_INPUT, "--target must be an http(s):// URL");
        goto fail;
    }
    if ((f->ca_file || f->tls_insecure) && strncmp(f->target, "https://", 8)) {
        hr_errf(err, HR_EXIT_INPUT,
                "--ca-file and --tls-insecure are for an https:// --target");
        goto fail;
    }
    if (f->ca_file && access(f->ca_file, R_OK) != 0) {
        hr_errf(err, HR_EXIT_INPUT, "--ca-file %s: %s", f->ca_file,
                strerror(errno));
        goto fail;
    }
    t->url = hr_strdup(f->target);
    t->keep_path = f->keep_path;
    t->tls_insecure = f->tls_insecure;
    if (f->ca_file && !(t->ca_file = hr_strdup(f->ca_file)))
        goto fail;
    if (pick_endpoint(f, &t->endpoint, &t->profile, err))
        goto fail;
    if (f->plan_only && !f->secret_file && !getenv("HOOKREPLAY_SECRET"))
        return s; /* a plan signs nothing: no secret needed */
    if (f->secret_file ? hr_secrets_load_file(f->secret_file, &t->secrets,
                                              &t->n_secrets, err)
                       : hr_secrets_load_env("HOOKREPLAY_SECRET", &t->secrets,
                                             &t->n_secrets, err))
        goto fail;
    return s;
fail:
    if (err->msg[0] == '\0')
        hr_errf(err, HR_EXIT_INTERNAL, "out of memory");
    hr_scenario_free(s);
    return NULL;
}

static int apply_overrides(const struct flags *f, struct hr_scenario *s,
                           struct hr_err *err)
{
    double d = 0;

    if (f->out) {
        hr_free(s->out_dir);
        s->out_dir = hr_strdup(f->out);
    }
    if (f->pacing) {
        if (strcmp(f->pacing, "recorded") == 0)
            s->pacing = HR_PACE_RECORDED;
        else if (strcmp(f->pacing, "rate") == 0)
            s->pacing = HR_PACE_RATE;
        else if (strcmp(f->pacing, "asap") == 0)
            s->pacing = HR_PACE_ASAP;
        else
            return hr_errf(err, HR_EXIT_INPUT,
                           "--pacing must be recorded, rate or asap");
    }
    if (f->seed) {
        if (parse_double("--seed", f->seed, 0, 9007199254740991.0, &d, err))
            return -1;
        s->seed = (uint64_t)d;
    }
    if ((f->speed &&
         parse_double("--speed", f->speed, 1e-6, 1e9, &s->speed, err)) ||
        (f->rate &&
         parse_double("--rate", f->rate, 1e-6, 1e9, &s->rate_per_s, err)) ||
        (f->retry_scale && parse_double("--retry-time-scale", f->retry_scale, 0,
                                        1e6, &s->retry_time_scale, err)))
        return -1;
    if (f->max_in_flight) {
        if (parse_double("--max-in-flight", f->max_in_flight, 1, 100000, &d,
                         err))
            return -1;
        s->max_in_flight = (int)d;
    }
    if (f->min_rate) {
        if (parse_double("--min-delivery-rate", f->min_rate, 0, 1,
                         &s->thresholds.min_delivery_rate, err))
            return -1;
        s->thresholds.has_min_delivery_rate = 1;
    }
    if (f->max_p99) {
        if (parse_double("--max-ack-p99-ms", f->max_p99, 0, 1e12, &d, err))
            return -1;
        s->thresholds.max_ack_p99_ms = (int64_t)d;
        s->thresholds.has_max_ack_p99_ms = 1;
    }
    if (f->no_retries)
        s->retries = 0;
    if (f->no_handshake)
        s->handshakes = 0;
    if (f->report) {
        unsigned bits;

        if (hr_report_formats_parse(f->report, &bits, err))
            return -1;
        s->report_formats |= bits;
    }
    return 0;
}

int hr_cmd_run_scenario(struct hr_scenario *s, int quiet)
{
    s->quiet = s->quiet || quiet;
    struct hr_run_totals *t = hr_calloc(1, sizeof(*t));
    struct hr_verdict_set v;
    struct hr_err err = {0, ""};
    char *path;
    int code;

    if (!t)
        return HR_EXIT_INTERNAL;
    signal(SIGPIPE, SIG_IGN);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    path =
        hr_path_join(s->out_dir ? s->out_dir : "hookreplay-out", "result.json");
    if (hr_run(s, t, &v, &err)) {
        fprintf(stderr, "hookreplay: %s\n", err.msg);
        code = err.code ? err.code : HR_EXIT_INTERNAL;
    } else {
        if (!quiet)
            hr_run_summary(stdout, s, t, &v, path);
        if (t->input_error)
            fprintf(stderr, "hookreplay: %s\n", t->input_msg);
        code = v.exit_code;
        /* Reports are rendered from result.json as written, the same
         * path `report render` takes. */
        if (hr_report_write_all(s->out_dir ? s->out_dir : "hookreplay-out",
                                s->report_formats, quiet ? NULL : stdout,
                                &err)) {
            fprintf(stderr, "hookreplay: report: %s\n", err.msg);
            code = code ? code : HR_EXIT_INTERNAL;
        }
    }
    hr_free(path);
    hr_run_totals_clear(t);
    hr_free(t);
    return code;
}

/* The targets must name endpoints of the cassette, with profiles that
 * load: what a run would refuse, the plan refuses too. */
static int check_targets(const struct hr_scenario *s,
                         struct hr_cassette_reader *r, struct hr_err *err)
{
    const struct hr_cassette_header *h = hr_cassette_header(r);
    size_t i, k;

    for (i = 0; i < s->n_targets; i++) {
        const struct hr_target_cfg *t = &s->targets[i];
        struct hr_profile *p;

        for (k = 0; k < h->n_endpoints; k++)
            if (strcmp(h->endpoints[k].name, t->endpoint) == 0)
                break;
        if (k == h->n_endpoints)
            return hr_errf(err, HR_EXIT_INPUT,
                           "target '%s' names no endpoint of the cassette",
                           t->endpoint);
        p = hr_profile_load(t->profile ? t->profile : h->endpoints[k].profile,
                            s->profile_dir, err);
        if (!p)
            return -1;
        hr_profile_free(p);
    }
    return 0;
}

/* Expands the plan to stdout without sending anything. */
static int print_plan(const struct hr_scenario *s)
{
    struct hr_err err = {0, ""};
    struct hr_cassette_reader *r = hr_cassette_open(s->cassette, &err);
    struct hr_planner *p =
        r && !check_targets(s, r, &err) ? hr_planner_new(s, r, &err) : NULL;
    struct hr_plan_item *x;
    int rc = p ? 1 : -1;

    while (rc == 1 && (rc = hr_planner_next(p, &x, &err)) == 1) {
        if (hr_plan_item_write(stdout, x))
            rc = hr_errf(&err, HR_EXIT_INTERNAL, "write failed");
        hr_plan_item_free(x);
    }
    hr_planner_free(p);
    if (r)
        hr_cassette_close(r);
    if (fflush(stdout) && rc == 0)
        rc = hr_errf(&err, HR_EXIT_INTERNAL, "write failed");
    if (rc < 0) {
        fprintf(stderr, "hookreplay run: %s\n", err.msg);
        return err.code ? err.code : HR_EXIT_INTERNAL;
    }
    return HR_EXIT_OK;
}

int cmd_run(int argc, char **argv)
{
    struct hr_err err = {0, ""};
    struct hr_scenario *s;
    struct flags f;
    int code;

    if (argc >= 2 &&
        (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(usage, stdout);
        return HR_EXIT_OK;
    }
    if (parse_flags(argc, argv, &f, &err)) {
        fprintf(stderr, "hookreplay run: %s\n", err.msg);
        return HR_EXIT_INPUT;
    }
    if (!f.scenario)
        s = from_flags(&f, &err);
    else if (f.plan_only)
        s = hr_scenario_load_plan(f.scenario, &err);
    else
        s = hr_scenario_load(f.scenario, &err);
    if (!s || apply_overrides(&f, s, &err)) {
        fprintf(stderr, "hookreplay run: %s\n", err.msg);
        hr_scenario_free(s);
        return err.code ? err.code : HR_EXIT_INPUT;
    }
    code = f.plan_only ? print_plan(s) : hr_cmd_run_scenario(s, f.quiet);
    hr_scenario_free(s);
    return code;
}
