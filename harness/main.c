/* SPDX-License-Identifier: MIT */
/* hookreplay's entry point: picks the subcommand and hands over argv. */
#include "cmd.h"
#include "util.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: hookreplay COMMAND [ARGS...]\n"
    "\n"
    "A mock webhook provider: replays recorded webhook traffic against a\n"
    "service under test, signed as the provider signs, and reports what\n"
    "happened.\n"
    "\n"
    "Commands:\n"
    "  run SCENARIO         replay a scenario (or --cassette C --target URL\n"
    "                       --profile P --secret-file F without one)\n"
    "  demo                 the bundled Stripe cassette with faults against\n"
    "                       a correct and a naive bundled consumer\n"
    "  sign --profile P     print the signature headers for a body on stdin\n"
    "  import github DIR    turn GitHub payload examples into a cassette\n"
    "  import stripe-events FILE...\n"
    "                       turn Stripe event objects into a cassette\n"
    "  lint FILE...         report every problem of cassettes, scenarios\n"
    "                       and profiles\n"
    "  init [FILE]          write a commented starter scenario\n"
    "  send SCENARIO --match type=GLOB\n"
    "                       send matching events once, now (\"resend\")\n"
    "  target               run a reference webhook consumer (for tests)\n"
    "  report render|diff|merge  HTML, Markdown or JUnit from a result;\n"
    "                       compare two results; merge shard results\n"
    "  serve SCENARIO       serve the mock provider API alone\n"
    "  generate stripe-story --customers N\n"
    "                       a synthetic, valid Stripe history of any size\n"
    "\n"
    "Run 'hookreplay COMMAND --help' for a command's options.\n"
    "\n"
    "Exit codes: 0 all thresholds met; 1 a threshold failed, or a check\n"
    "the scenario asked for could not be measured; 2 bad usage or bad\n"
    "input; 3 the target could not be reached at all; 4 internal error.\n"
    "\n"
    "Environment: HOOKREPLAY_SECRET holds signing secrets (one per line)\n"
    "when no --secret-file is given; secrets are never taken from argv.\n"
    "HOOKREPLAY_LOG=debug|info|warn|error sets the log level.\n";

struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
};

static const struct command commands[] = {
    {"run", cmd_run},       {"demo", cmd_demo},         {"sign", cmd_sign},
    {"import", cmd_import}, {"target", cmd_target},     {"report", cmd_report},
    {"lint", cmd_lint},     {"init", cmd_init},         {"send", cmd_send},
    {"serve", cmd_serve},   {"generate", cmd_generate}, {NULL, NULL},
};

static void set_log_level(void)
{
    const char *v = getenv("HOOKREPLAY_LOG");

    if (!v)
        return;
    if (strcmp(v, "error") == 0)
        hr_log_level = 0;
    else if (strcmp(v, "warn") == 0)
        hr_log_level = 1;
    else if (strcmp(v, "info") == 0)
        hr_log_level = 2;
    else if (strcmp(v, "debug") == 0)
        hr_log_level = 3;
}

int main(int argc, char **argv)
{
    const struct command *c;
    int rc;

    if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? HR_EXIT_INPUT : HR_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        puts("hookreplay 0.1.0");
        return HR_EXIT_OK;
    }
    for (c = commands; c->name; c++)
        if (strcmp(c->name, argv[1]) == 0)
            break;
    if (!c->name) {
        fprintf(stderr, "hookreplay: unknown command '%s'\n%s", argv[1], usage);
        return HR_EXIT_INPUT;
    }
    set_log_level();
    hr_alloc_init();
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fputs("hookreplay: libcurl failed to initialize\n", stderr);
        return HR_EXIT_INTERNAL;
    }
    rc = c->fn(argc - 1, argv + 1);
    curl_global_cleanup();
    return rc;
}
