/* SPDX-License-Identifier: MIT */
/* `hookreplay lint`: every problem of cassettes, scenarios, profiles. */
#include "cmd.h"
#include "lint.h"

#include <stdio.h>
#include <string.h>

static const char usage[] =
    "usage: hookreplay lint [--profiles-dir DIR] FILE...\n"
    "\n"
    "Checks cassettes, scenarios and profiles and prints every problem\n"
    "found, one per line, not just the first:\n"
    "  FILE:LINE:COLUMN: ...   a syntax error (columns count bytes from 1)\n"
    "  FILE:LINE: /ptr: ...    a value error at a JSON pointer\n"
    "  FILE: /ptr: ...         the same where the line is not known\n"
    "A cassette's webhook event blocks are checked against their requests\n"
    "under each endpoint's profile. A scenario is checked with the\n"
    "cassette it names: targets must name endpoints of the cassette,\n"
    "profiles must load, a secrets_file must exist and hold a secret\n"
    "(secrets are never printed; secrets_env variables need not be set),\n"
    "and every threshold must be measurable.\n"
    "\n"
    "The kind of each FILE comes from its \"hookreplay\" field, else from\n"
    "its extension (.ndjson: cassette, .json: scenario).\n"
    "\n"
    "Options:\n"
    "  --profiles-dir DIR  look for PROFILE.json in DIR first\n"
    "  -q, --quiet         no summary line on stderr\n"
    "  -h, --help          show this help\n"
    "\n"
    "Exit codes: 0 no problems; 2 problems found, or bad usage.\n";

static void print_problem(void *ud, const char *msg)
{
    (void)ud;
    printf("%s\n", msg);
}

int cmd_lint(int argc, char **argv)
{
    const char *dir = NULL;
    int i, n_files = 0, total = 0, quiet = 0;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(usage, stdout);
            return HR_EXIT_OK;
        }
    }
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--profiles-dir") == 0 && i + 1 < argc) {
            dir = argv[++i];
        } else if (strcmp(argv[i], "-q") == 0 ||
                   strcmp(argv[i], "--quiet") == 0) {
            quiet = 1;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "hookreplay lint: unknown option '%s'\n%s", argv[i],
                    usage);
            return HR_EXIT_INPUT;
        } else {
            total += hr_lint_file(argv[i], dir, print_problem, NULL);
            n_files++;
        }
    }
    if (n_files == 0) {
        fprintf(stderr, "hookreplay lint: give a FILE\n%s", usage);
        return HR_EXIT_INPUT;
    }
    fflush(stdout);
    if (!quiet)
        fprintf(stderr, "hookreplay lint: %d problem%s in %d file%s\n", total,
                total == 1 ? "" : "s", n_files, n_files == 1 ? "" : "s");
    return total ? HR_EXIT_INPUT : HR_EXIT_OK;
}
