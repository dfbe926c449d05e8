/* SPDX-License-Identifier: MIT */
/* `hookreplay report render|diff|merge`: reports from result files. */
#include "cmd.h"
#include "report.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: hookreplay report render RESULT.json --format html|md|junit\n"
    "                            [-o FILE]\n"
    "       hookreplay report diff OLD.json NEW.json [--tolerance X]\n"
    "       hookreplay report merge A.json B.json ... -o OUT.json\n"
    "\n"
    "render  writes one report from a result file (stdout without -o):\n"
    "        html is one self-contained page, md fits a PR comment or a\n"
    "        CI step summary, junit is JUnit XML for CI test views.\n"
    "diff    prints what got better or worse per check and for the key\n"
    "        totals. Exit 1 when a check regressed: pass became fail, or\n"
    "        its value got worse by more than X as a fraction of the old\n"
    "        value (default 0.1); 0 otherwise.\n"
    "merge   combines shard results exactly: counts add, latency\n"
    "        histograms merge bucket by bucket and percentiles are\n"
    "        recomputed from them, events are concatenated, and checks\n"
    "        are judged again on the merged totals (a check that cannot\n"
    "        be is written as not measured, with a note). Exits with the\n"
    "        merged verdict's code, as a run would.\n"
    "\n"
    "Exit codes: 0 ok; 1 regression (diff) or failed merged verdict\n"
    "(merge); 2 bad usage or a file that is not a hookreplay result; 4\n"
    "a file could not be written.\n";

static int fail(const struct hr_err *err)
{
    fprintf(stderr, "hookreplay report: %s\n", err->msg);
    return err->code ? err->code : HR_EXIT_INPUT;
}

static int usage_error(const char *msg)
{
    fprintf(stderr, "hookreplay report: %s\n%s", msg, usage);
    return HR_EXIT_INPUT;
}

static FILE *open_out(const char *path, struct hr_err *err)
{
    FILE *f;

    if (!path)
        return stdout;
    f = fopen(path, "w");
    if (!f)
        hr_errf(err, HR_EXIT_INTERNAL, "%s: %s", path, strerror(errno));
    return f;
}

static int close_out(FILE *f, const char *path, int rc, struct hr_err *err)
{
    if (f == stdout)
        return fflush(f) ? -1 : rc;
    if (fclose(f) && rc == 0)
        rc = hr_errf(err, HR_EXIT_INTERNAL, "%s: %s", path, strerror(errno));
    return rc;
}

static int render(int argc, char **argv)
{
    const char *in = NULL, *out = NULL, *fmt = NULL;
    struct hr_err err = {0, ""};
    unsigned bits;
    cJSON *res;
    FILE *f;
    int i, rc;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--format") == 0 && i + 1 < argc)
            fmt = argv[++i];
        else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
            out = argv[++i];
        else if (argv[i][0] == '-' || in)
            return usage_error("render: unexpected argument");
        else
            in = argv[i];
    }
    if (!in || !fmt)
        return usage_error("render needs RESULT.json and --format");
    if (hr_report_formats_parse(fmt, &bits, &err))
        return fail(&err);
    bits &= ~(unsigned)HR_REPORT_JSON;
    if (bits == 0 || (bits & (bits - 1)))
        return usage_error("render: --format takes one of html, md, junit");
    res = hr_report_load(in, &err);
    if (!res)
        return fail(&err);
    f = open_out(out, &err);
    rc = f ? hr_report_render(f, bits, res, &err) : -1;
    if (f)
        rc = close_out(f, out, rc, &err);
    cJSON_Delete(res);
    return rc ? fail(&err) : HR_EXIT_OK;
}

static int diff(int argc, char **argv)
{
    const char *paths[2] = {NULL, NULL};
    struct hr_err err = {0, ""};
    cJSON *a = NULL, *b = NULL;
    double tol = 0.1;
    int i, n = 0, rc;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--tolerance") == 0 && i + 1 < argc) {
            char *end;

            tol = strtod(argv[++i], &end);
            if (end == argv[i] || *end || !(tol >= 0 && tol <= 1e6))
                return usage_error("diff: --tolerance must be a number "
                                   ">= 0 (a fraction: 0.1 is 10%)");
        } else if (argv[i][0] == '-' || n == 2) {
            return usage_error("diff: unexpected argument");
        } else {
            paths[n++] = argv[i];
        }
    }
    if (n != 2)
        return usage_error("diff needs OLD.json and NEW.json");
    a = hr_report_load(paths[0], &err);
    b = a ? hr_report_load(paths[1], &err) : NULL;
    if (!b) {
        cJSON_Delete(a);
        return fail(&err);
    }
    rc = hr_report_diff(stdout, a, b, tol);
    cJSON_Delete(a);
    cJSON_Delete(b);
    return rc ? HR_EXIT_THRESHOLD : HR_EXIT_OK;
}

static int write_merged(const cJSON *m, const char *out, struct hr_err *err)
{
    FILE *f = open_out(out, err);
    int rc;

    if (!f)
        return -1;
    rc = hr_report_write_json(f, m);
    if (rc)
        hr_errf(err, HR_EXIT_INTERNAL, "%s: write failed", out);
    return close_out(f, out, rc, err);
}

static int merge(int argc, char **argv)
{
    cJSON **res = hr_calloc((size_t)argc, sizeof(*res)), *m = NULL;
    const char **names = hr_calloc((size_t)argc, sizeof(*names));
    struct hr_err err = {0, ""};
    const char *out = NULL;
    int i, n = 0, code = HR_EXIT_INPUT;

    if (!res || !names) {
        code = HR_EXIT_INTERNAL;
        goto done;
    }
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
            out = argv[++i];
        else if (argv[i][0] == '-')
            break;
        else
            names[n++] = argv[i];
    }
    if (i < argc || n < 1 || !out) {
        code = usage_error("merge needs result files and -o OUT.json");
        goto done;
    }
    for (i = 0; i < n; i++)
        if (!(res[i] = hr_report_load(names[i], &err)))
            goto failed;
    m = hr_report_merge(res, names, (size_t)n, &err);
    if (!m || write_merged(m, out, &err))
        goto failed;
    code = (int)hr_report_num(m, "exit_code", HR_EXIT_INTERNAL);
    printf("hookreplay report merge: %d results, %g events, verdict %s: "
           "%s\n",
           n, hr_report_num(m, "totals.events", 0), hr_report_verdict_label(m),
           out);
    goto done;
failed:
    code = fail(&err);
done:
    for (i = 0; res && i < n; i++)
        cJSON_Delete(res[i]);
    cJSON_Delete(m);
    hr_free(res);
    hr_free(names);
    return code;
}

int cmd_report(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "-h") == 0) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? HR_EXIT_INPUT : HR_EXIT_OK;
    }
    if (strcmp(argv[1], "render") == 0)
        return render(argc - 1, argv + 1);
    if (strcmp(argv[1], "diff") == 0)
        return diff(argc - 1, argv + 1);
    if (strcmp(argv[1], "merge") == 0)
        return merge(argc - 1, argv + 1);
    fprintf(stderr, "hookreplay report: unknown subcommand '%s'\n%s", argv[1],
            usage);
    return HR_EXIT_INPUT;
}
