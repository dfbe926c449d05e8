/* SPDX-License-Identifier: MIT */
/*
 * `hookreplay send`: the provider's "resend" button. Sends the matching
 * events of a scenario's cassette once, signed, now: no faults, no
 * pacing, no retries.
 */
#include "cmd.h"
#include "scenario.h"

#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: hookreplay send SCENARIO --match WHAT [--match WHAT...]\n"
    "                       [--out DIR]\n"
    "\n"
    "Sends the events of the scenario's cassette that match, once each,\n"
    "signed now as the provider signs, to the scenario's targets: for\n"
    "poking at a handler by hand. Faults, pacing, retries and the\n"
    "handshake are off; the scenario's probe, if any, still runs.\n"
    "\n"
    "  --match type=GLOB     event type, e.g. 'type=invoice.*'\n"
    "  --match object=ID     one object's events\n"
    "  --match seq=N         one cassette entry; seq=A-B a range\n"
    "  --seq N               the same as --match seq=N\n"
    "  --out DIR             result folder (default ./hookreplay-send)\n"
    "\n"
    "Several --match must all hold. Exit codes as for run: 0 delivered,\n"
    "1 a delivery failed, 2 bad usage or input, 3 the target never\n"
    "answered.\n";

static int parse_seq(const char *v, struct hr_scenario *s)
{
    char *end;
    long long lo = strtoll(v, &end, 10), hi = lo;

    if (end == v || lo < 0)
        return -1;
    if (*end == '-') {
        const char *h = end + 1;

        hi = strtoll(h, &end, 10);
        if (end == h || hi < lo)
            return -1;
    }
    if (*end)
        return -1;
    s->select_seq_lo = lo;
    s->select_seq_hi = hi;
    return 0;
}

static int apply_match(const char *m, struct hr_scenario *s)
{
    if (strncmp(m, "type=", 5) == 0 && m[5]) {
        hr_free(s->select_type);
        s->select_type = hr_strdup(m + 5);
        return 0;
    }
    if (strncmp(m, "object=", 7) == 0 && m[7]) {
        hr_free(s->select_object);
        s->select_object = hr_strdup(m + 7);
        return 0;
    }
    if (strncmp(m, "seq=", 4) == 0)
        return parse_seq(m + 4, s);
    return -1;
}

static void quiet_down(struct hr_scenario *s)
{
    hr_faults_free(&s->faults);
    s->pacing = HR_PACE_ASAP;
    s->retries = 0;
    s->handshakes = 0;
    s->rebase_time = 0;
}

int cmd_send(int argc, char **argv)
{
    struct hr_err err = {0, ""};
    struct hr_scenario *s;
    const char *path = NULL, *out = "hookreplay-send";
    int i, matches = 0, code;

    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? HR_EXIT_INPUT : HR_EXIT_OK;
    }
    for (i = 1; i < argc; i++)
        if (argv[i][0] != '-' && !path)
            path = argv[i];
    s = path ? hr_scenario_load(path, &err) : NULL;
    if (!s) {
        fprintf(stderr, "hookreplay send: %s\n",
                path ? err.msg : "give a SCENARIO");
        return err.code ? err.code : HR_EXIT_INPUT;
    }
    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        char seq[48];

        if (a == path)
            continue;
        if (!strcmp(a, "--seq") && v)
            snprintf(seq, sizeof(seq), "seq=%s", v);
        if ((!strcmp(a, "--match") || !strcmp(a, "--seq")) && v) {
            if (apply_match(!strcmp(a, "--seq") ? seq : v, s)) {
                fprintf(stderr,
                        "hookreplay send: bad match '%s' (type=GLOB, "
                        "object=ID, seq=N or seq=A-B)\n",
                        v);
                hr_scenario_free(s);
                return HR_EXIT_INPUT;
            }
            matches++;
            i++;
        } else if (!strcmp(a, "--out") && v) {
            out = v;
            i++;
        } else {
            fprintf(stderr, "hookreplay send: unknown option '%s'\n%s", a,
                    usage);
            hr_scenario_free(s);
            return HR_EXIT_INPUT;
        }
    }
    if (!matches) {
        fprintf(stderr, "hookreplay send: say what to send with --match "
                        "(sending everything is 'hookreplay run')\n");
        hr_scenario_free(s);
        return HR_EXIT_INPUT;
    }
    quiet_down(s);
    hr_free(s->out_dir);
    s->out_dir = hr_strdup(out);
    code = hr_cmd_run_scenario(s, 0);
    hr_scenario_free(s);
    return code;
}
