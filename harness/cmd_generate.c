/* SPDX-License-Identifier: MIT */
/* The generate command: synthetic provider histories as cassettes. */
#include "cmd.h"
#include "generate.h"
#include "profile.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_START "2025-06-02T09:00:00Z"

static const char usage[] =
    "usage: hookreplay generate stripe-story --customers N [--seed S]\n"
    "                [--start ISO8601] [--fixtures DIR] [-o FILE]\n"
    "\n"
    "Writes a synthetic but valid Stripe history as a cassette: a product\n"
    "and its prices, then per customer its creation, card, one-off\n"
    "payments (some declined, some refunded) and often a monthly\n"
    "subscription with invoices, renewals, plan changes, failed renewals\n"
    "and cancellations. Events come in time order, with statuses from\n"
    "Stripe's enums, api_version " HR_STORY_API_VERSION ", and every id an\n"
    "object refers to belongs to an object of an earlier event. Shapes come\n"
    "from Stripe's OpenAPI fixtures, values from dj-stripe's test objects\n"
    "(both compiled in; --fixtures DIR reads DIR/openapi-fixtures3.json and\n"
    "DIR/djstripe-fixtures/ instead). Output streams: memory does not grow\n"
    "with N. The same options give the same bytes.\n"
    "\n"
    "Options:\n"
    "  --customers N  how many customer stories (1 or more; required)\n"
    "  --seed S       seed of every random choice (default 1)\n"
    "  --start ISO    time of the first event (default " DEFAULT_START ")\n"
    "  --fixtures DIR read the fixtures from DIR\n"
    "  -o FILE        write to FILE (default: standard output)\n"
    "  -h, --help     show this help\n"
    "\n"
    "Exit codes: 0 written; 2 bad usage or fixtures; 4 could not write.\n";

struct gen_args {
    struct hr_story_opts o;
    const char *what;
    const char *out_path;
};

static int bad_usage(const char *what)
{
    fprintf(stderr, "hookreplay: generate: %s\n%s", what, usage);
    return HR_EXIT_INPUT;
}

/* A whole decimal number in [min, max]; 0 or -1. */
static int parse_num(const char *s, long long min, long long max,
                     long long *out)
{
    char *end;

    errno = 0;
    *out = strtoll(s, &end, 10);
    if (errno || end == s || *end || *out < min || *out > max)
        return -1;
    return 0;
}

static int parse_option(struct gen_args *a, const char *opt, const char *v)
{
    long long n;

    if (strcmp(opt, "--customers") == 0) {
        if (parse_num(v, 1, 100000000LL, &n))
            return bad_usage("--customers must be a whole number >= 1");
        a->o.customers = (long)n;
    } else if (strcmp(opt, "--seed") == 0) {
        if (parse_num(v, 0, 0x7fffffffffffffffLL, &n))
            return bad_usage("--seed must be a whole number >= 0");
        a->o.seed = (uint64_t)n;
    } else if (strcmp(opt, "--start") == 0) {
        if (hr_parse_iso8601(v, &a->o.start_s))
            return bad_usage("--start must be like " DEFAULT_START);
    } else if (strcmp(opt, "--fixtures") == 0) {
        a->o.fixtures_dir = v;
    } else {
        a->out_path = v;
    }
    return -1;
}

/* Returns -1 to go on, or the exit code to stop with. */
static int parse_args(int argc, char **argv, struct gen_args *a)
{
    static const char *const with_value[] = {"--customers", "--seed", "--start",
                                             "--fixtures",  "-o",     NULL};
    int i, k, rc;

    memset(a, 0, sizeof(*a));
    a->o.seed = 1;
    hr_parse_iso8601(DEFAULT_START, &a->o.start_s);
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(usage, stdout);
            return HR_EXIT_OK;
        }
        for (k = 0; with_value[k] && strcmp(argv[i], with_value[k]); k++)
            ;
        if (with_value[k]) {
            if (++i >= argc)
                return bad_usage("an option needs a value");
            if ((rc = parse_option(a, argv[i - 1], argv[i])) >= 0)
                return rc;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return bad_usage("unknown option");
        } else if (!a->what) {
            a->what = argv[i];
        } else {
            return bad_usage("too many arguments");
        }
    }
    if (!a->what || strcmp(a->what, "stripe-story"))
        return bad_usage("expected: generate stripe-story");
    if (a->o.customers < 1)
        return bad_usage("--customers N is required");
    return -1;
}

static int write_story(FILE *f, void *ud, struct hr_err *err)
{
    const struct gen_args *a = ud;

    return hr_generate_stripe_story(&a->o, f, err);
}

int cmd_generate(int argc, char **argv)
{
    struct gen_args a;
    struct hr_err err = {HR_EXIT_INTERNAL, "unknown failure"};
    int rc = parse_args(argc, argv, &a);

    if (rc >= 0)
        return rc;
    rc = hr_write_output(a.out_path, write_story, &a, &err);
    if (rc == 0)
        return HR_EXIT_OK;
    fprintf(stderr, "hookreplay: generate: %s\n", err.msg);
    return err.code;
}
