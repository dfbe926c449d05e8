/* SPDX-License-Identifier: MIT */
/* The import command: turns provider payloads into a cassette. */
#include "cmd.h"
#include "import.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char usage[] =
    "usage: hookreplay import github DIR [-o FILE]\n"
    "       hookreplay import stripe-events FILE... [-o FILE]\n"
    "\n"
    "stripe-events: Stripe event objects as the API lists them (saved\n"
    "pages of GET /v1/events, JSON arrays of events, or single events)\n"
    "become webhook deliveries in the order the events were created\n"
    "(ties: the order they happened; list pages come newest first), with\n"
    "the headers Stripe sends and bodies printed as Stripe prints them.\n"
    "\n"
    "github: turns GitHub webhook payload examples into a cassette. DIR\n"
    "holds one folder per event (the X-GitHub-Event value) with one JSON "
    "payload per\n"
    "file: DIR/issues/opened.payload.json, DIR/push/payload.json, ...\n"
    "Files are taken in sorted order, one webhook delivery each, 1000 ms\n"
    "apart, POST /webhooks/github with the headers GitHub sends and the\n"
    "file's exact bytes as the body. Signature headers are not stored:\n"
    "they are computed when the cassette is replayed. Delivery GUIDs come\n"
    "from each file's path, so the same folder gives the same cassette.\n"
    "\n"
    "Options:\n"
    "  -o FILE     write the cassette to FILE (default: standard output)\n"
    "  -h, --help  show this help\n"
    "\n"
    "Exit codes: 0 written; 2 bad usage, folder or payload; 4 could not\n"
    "write the output.\n";

struct import_args {
    const char *source;
    const char *dir;
    const char *const *files; /* stripe-events: every FILE */
    size_t n_files;
    const char *out_path;
};

static int bad_usage(const char *what)
{
    fprintf(stderr, "hookreplay: import: %s\n%s", what, usage);
    return HR_EXIT_INPUT;
}

/* Returns -1 to go on, or the exit code to stop with. */
static int parse_args(int argc, char **argv, struct import_args *a)
{
    int i;

    memset(a, 0, sizeof(*a));
    a->files = (const char *const *)argv;
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(usage, stdout);
            return HR_EXIT_OK;
        } else if (strcmp(argv[i], "-o") == 0) {
            if (++i >= argc)
                return bad_usage("-o needs a file name");
            a->out_path = argv[i];
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return bad_usage("unknown option");
        } else if (!a->source) {
            a->source = argv[i];
        } else if (a->source && strcmp(a->source, "stripe-events") == 0) {
            argv[a->n_files++] = argv[i]; /* packs FILEs at argv[0..] */
        } else if (!a->dir) {
            a->dir = argv[i];
        } else {
            return bad_usage("too many arguments");
        }
    }
    if (!a->source)
        return bad_usage("expected a source: github or stripe-events");
    if (strcmp(a->source, "github") && strcmp(a->source, "stripe-events"))
        return bad_usage("unknown source (this build imports: github, "
                         "stripe-events)");
    if (strcmp(a->source, "github") == 0 && !a->dir)
        return bad_usage("expected: import github DIR");
    if (strcmp(a->source, "stripe-events") == 0 && a->n_files == 0)
        return bad_usage("expected: import stripe-events FILE...");
    return -1;
}

static int run_import(const struct import_args *a, FILE *out,
                      struct hr_err *err)
{
    if (strcmp(a->source, "github") == 0)
        return hr_import_github(a->dir, out, err);
    return hr_import_stripe_events(a->files, a->n_files, out, err);
}

static int write_import(FILE *f, void *ud, struct hr_err *err)
{
    return run_import(ud, f, err);
}

int cmd_import(int argc, char **argv)
{
    struct import_args a;
    struct hr_err err = {HR_EXIT_INTERNAL, "unknown failure"};
    int rc = parse_args(argc, argv, &a);

    if (rc >= 0)
        return rc;
    rc = hr_write_output(a.out_path, write_import, &a, &err);
    if (rc == 0)
        return HR_EXIT_OK;
    fprintf(stderr, "hookreplay: import github: %s\n", err.msg);
    return err.code;
}
