/* SPDX-License-Identifier: MIT */
/* `hookreplay init`: writes a commented starter scenario and cassette. */
#include "cmd.h"
#include "embedded.h"
#include "lint.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define STARTER_CASSETTE "stripe-lifecycle.ndjson"

static const char usage[] =
    "usage: hookreplay init [FILE] [--target URL] [--force]\n"
    "\n"
    "Writes a starter scenario to FILE (default scenario.json) and, next\n"
    "to it, the bundled Stripe cassette it replays (" STARTER_CASSETTE ").\n"
    "A valid cassette already there is kept; a file there that is not a\n"
    "valid cassette is refused (--force replaces it). The scenario spells\n"
    "out every field with its default, explained in \"//\" comment fields\n"
    "(hookreplay ignores \"//\" in scenario objects; any other unknown\n"
    "field is an error). With the bundled cassette it lints clean\n"
    "(hookreplay lint FILE); init lints it and prints any problem, as a\n"
    "kept cassette of your own may not match it.\n"
    "\n"
    "Options:\n"
    "  --target URL  where the deliveries go (default\n"
    "                http://127.0.0.1:8080/webhooks/stripe)\n"
    "  --force       overwrite FILE if it exists, and a cassette next to\n"
    "                it that is not valid\n"
    "  -h, --help    show this help\n"
    "\n"
    "Exit codes: 0 written; 2 bad usage, FILE exists, or an invalid\n"
    "cassette is in the way; 4 could not write.\n";

static const char starter_head[] =
    "{\n"
    "  \"//\": [\n"
    "    \"A hookreplay scenario: one run as data. Every field below shows\",\n"
    "    \"its default; delete what you do not change. docs/formats.md\",\n"
    "    \"describes each one. Check with: hookreplay lint THIS_FILE\",\n"
    "    \"Run with: HOOKREPLAY_SECRET=whsec_... hookreplay run THIS_FILE\",\n"
    "    \"cassette: the recording to replay; paths are relative to this\",\n"
    "    \"file. seed: the seed of every random decision (same seed, same\",\n"
    "    \"plan).\",\n"
    "    \"faults: rules applied in order to each delivery; the one below\",\n"
    "    \"duplicates customer events but is off (p 0): raise p to use\",\n"
    "    \"it. Other actions: delay, reorder, drop, timeout, connection,\",\n"
    "    \"signature (forged, stale, ...), payload, script; see\",\n"
    "    \"docs/faults.md. Default: no faults.\",\n"
    "    \"probe: how hookreplay reads your service's state, needed by\",\n"
    "    \"max_forged_accepted and max_duplicates_processed. Default:\",\n"
    "    \"none. For example:\",\n"
    "    \"  \\\"probe\\\": {\\\"http\\\": "
    "\\\"http://127.0.0.1:8080/__state\\\",\",\n"
    "    \"             \\\"applied\\\": {\\\"counts\\\": \\\"/counts\\\"}}\"\n"
    "  ],\n"
    "  \"hookreplay\": \"scenario\",\n"
    "  \"version\": 1,\n"
    "  \"cassette\": \"" STARTER_CASSETTE "\",\n"
    "  \"seed\": 1,\n"
    "  \"targets\": {\n"
    "    \"stripe\": {\n"
    "      \"//\": [\n"
    "        \"One entry per cassette endpoint. The url is used as given;\",\n"
    "        \"keep_path true appends the recorded path and query. The\",\n"
    "        \"profile overrides the cassette's. Secrets come from the\",\n"
    "        \"environment or a secrets_file, one per line; the first\",\n"
    "        \"signs. They are never given in this file.\"\n"
    "      ],\n"
    "      \"url\": \"";

static const char starter_tail[] =
    "\",\n"
    "      \"profile\": \"stripe\",\n"
    "      \"secrets_env\": [\"HOOKREPLAY_SECRET\"],\n"
    "      \"keep_path\": false\n"
    "    }\n"
    "  },\n"
    "  \"replay\": {\n"
    "    \"//\": [\n"
    "      \"pacing: recorded (at_ms / speed), rate (deliveries per\",\n"
    "      \"second) or asap. retry_time_scale multiplies the profile's\",\n"
    "      \"retry delays (days become seconds); the response timeout is\",\n"
    "      \"never scaled. At most per_object_in_flight deliveries of one\",\n"
    "      \"object are in flight at once.\"\n"
    "    ],\n"
    "    \"pacing\": \"recorded\",\n"
    "    \"speed\": 1,\n"
    "    \"rate\": 100,\n"
    "    \"max_in_flight\": 64,\n"
    "    \"per_object_in_flight\": 1,\n"
    "    \"retry_time_scale\": 0.0001,\n"
    "    \"retries\": true\n"
    "  },\n"
    "  \"faults\": [\n"
    "    {\"match\": {\"type\": \"customer.*\", \"p\": 0},\n"
    "     \"action\": {\"duplicate\": {\"copies\": 1, \"spacing_ms\": 5}}}\n"
    "  ],\n"
    "  \"thresholds\": {\n"
    "    \"//\": [\n"
    "      \"A failed threshold makes the run exit with 1. Also known,\",\n"
    "      \"off unless given: max_ack_p99_ms, max_failed.\"\n"
    "    ],\n"
    "    \"min_delivery_rate\": 1.0\n"
    "  },\n"
    "  \"report\": {\n"
    "    \"formats\": [\"json\"],\n"
    "    \"out\": \"hookreplay-out\"\n"
    "  }\n"
    "}\n";

/* Creates path with data; exclusive unless force. 0, or an exit code. */
static int write_new(const char *path, const char *data, size_t len, int force)
{
    int fd =
        open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (force ? O_TRUNC : O_EXCL),
             0644);
    size_t off = 0;

    if (fd < 0 && errno == EEXIST) {
        fprintf(stderr,
                "hookreplay init: %s exists (--force overwrites "
                "it)\n",
                path);
        return HR_EXIT_INPUT;
    }
    while (fd >= 0 && off < len) {
        ssize_t n = write(fd, data + off, len - off);

        if (n <= 0)
            break;
        off += (size_t)n;
    }
    if (fd < 0 || off < len || close(fd) != 0) {
        fprintf(stderr, "hookreplay init: %s: %s\n", path, strerror(errno));
        if (fd >= 0)
            unlink(path);
        return HR_EXIT_INTERNAL;
    }
    return 0;
}

static int write_scenario(const char *path, const char *url, int force)
{
    struct hr_buf b;
    int rc;

    hr_buf_init(&b, 0);
    if (hr_buf_puts(&b, starter_head) || hr_buf_puts(&b, url) ||
        hr_buf_puts(&b, starter_tail)) {
        hr_buf_free(&b);
        return HR_EXIT_INTERNAL;
    }
    rc = write_new(path, b.data, b.len, force);
    hr_buf_free(&b);
    return rc;
}

/* Keeps the first problem lint finds, and counts them. */
struct problems {
    char first[512];
    int n;
};

static void note_problem(void *ud, const char *msg)
{
    struct problems *p = ud;

    if (p->n++ == 0)
        snprintf(p->first, sizeof(p->first), "%s", msg);
}

static void print_problem(void *ud, const char *msg)
{
    (void)ud;
    fprintf(stderr, "  %s\n", msg);
}

/* The starter cassette's path next to the scenario (hr_free it). */
static char *cassette_path(const char *scenario_path)
{
    char *dir = hr_dirname(scenario_path);
    char *path = dir ? hr_path_join(dir, STARTER_CASSETTE) : NULL;

    hr_free(dir);
    return path;
}

enum cas_state { CAS_NONE, CAS_VALID, CAS_INVALID };

/* What is at path; an invalid one's first problem goes to p. */
static enum cas_state cassette_state(const char *path, struct problems *p)
{
    if (access(path, F_OK) != 0)
        return CAS_NONE;
    if (hr_lint_detect(path) == HR_LINT_CASSETTE &&
        hr_lint_file(path, NULL, note_problem, p) == 0)
        return CAS_VALID;
    if (!p->n)
        note_problem(p, "not a hookreplay cassette");
    return CAS_INVALID;
}

/* The starter cassette next to the scenario, unless a valid one is. */
static int write_cassette(const char *path, enum cas_state state)
{
    const struct hr_embedded *e = hr_embedded_find(STARTER_CASSETTE);
    int rc;

    if (state == CAS_VALID) {
        printf("kept existing %s (a valid cassette; not overwritten)\n", path);
        return 0;
    }
    if (!e)
        return HR_EXIT_INTERNAL;
    rc = write_new(path, (const char *)e->data, e->len, state == CAS_INVALID);
    if (rc == 0)
        printf("%s %s (a Stripe customer and payment lifecycle)\n",
               state == CAS_INVALID ? "replaced" : "wrote", path);
    return rc;
}

/* Lints the new scenario: a kept cassette may not fit it. */
static void lint_written(const char *file)
{
    struct problems p = {"", 0};

    if (hr_lint_file(file, NULL, note_problem, &p) == 0)
        return;
    fprintf(stderr,
            "hookreplay init: %s does not lint clean with the "
            "cassette next to it:\n",
            file);
    hr_lint_file(file, NULL, print_problem, NULL);
}

static int url_ok(const char *u)
{
    return strncmp(u, "http://", 7) == 0 || strncmp(u, "https://", 8) == 0;
}

int cmd_init(int argc, char **argv)
{
    const char *file = NULL;
    const char *url = "http://127.0.0.1:8080/webhooks/stripe";
    struct problems p = {"", 0};
    enum cas_state state;
    int i, force = 0, rc;
    char *cas;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(usage, stdout);
            return HR_EXIT_OK;
        } else if (strcmp(argv[i], "--force") == 0) {
            force = 1;
        } else if (strcmp(argv[i], "--target") == 0 && i + 1 < argc &&
                   url_ok(argv[i + 1]) && !strpbrk(argv[i + 1], "\"\\")) {
            url = argv[++i];
        } else if (argv[i][0] == '-' || file) {
            fprintf(stderr, "hookreplay init: bad argument '%s'\n%s", argv[i],
                    usage);
            return HR_EXIT_INPUT;
        } else {
            file = argv[i];
        }
    }
    if (!file)
        file = "scenario.json";
    cas = cassette_path(file);
    if (!cas)
        return HR_EXIT_INTERNAL;
    state = cassette_state(cas, &p);
    if (state == CAS_INVALID && !force) {
        fprintf(stderr,
                "hookreplay init: %s exists and is not a valid cassette "
                "(%s): move it away, or --force replaces it with the "
                "starter cassette\n",
                cas, p.first);
        hr_free(cas);
        return HR_EXIT_INPUT;
    }
    rc = write_scenario(file, url, force);
    if (rc == 0)
        printf("wrote %s\n", file);
    if (rc == 0)
        rc = write_cassette(cas, state);
    hr_free(cas);
    if (rc)
        return rc;
    lint_written(file);
    printf("next: hookreplay lint %s\n"
           "      HOOKREPLAY_SECRET=whsec_... hookreplay run %s\n",
           file, file);
    return HR_EXIT_OK;
}
