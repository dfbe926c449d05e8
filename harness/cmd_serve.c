/* SPDX-License-Identifier: MIT */
/* `hookreplay serve`: the mock provider API alone, from a scenario. */
#include "cassette.h"
#include "cmd.h"
#include "jsonx.h"
#include "mockapi.h"
#include "rebase.h"

#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: hookreplay serve SCENARIO [--listen ADDR] [--speed X]\n"
    "                        [--journal PATH] [--summary PATH]\n"
    "\n"
    "Serves the scenario's mock provider API alone: the truth (seed data,\n"
    "then each event of the cassette from its time on, at_ms / speed),\n"
    "recorded API calls, the provider's auth, errors and API faults.\n"
    "With replay.rebase_time, every time it serves is moved so that the\n"
    "latest event lands at the moment it starts (see docs/mock-api.md).\n"
    "Stops on SIGINT or SIGTERM and writes the journal summary.\n"
    "\n"
    "  --listen ADDR   IP:PORT, overrides api.listen (default\n"
    "                  127.0.0.1:12111; port 0 picks a free one)\n"
    "  --speed X       overrides replay.speed\n"
    "  --journal PATH  overrides api.journal (one line per request)\n"
    "  --summary PATH  write the summary JSON there (default: stderr)\n"
    "\n"
    "Prints 'listening on HOST:PORT' when ready.\n";

static volatile sig_atomic_t stop_serving;

static void on_signal(int sig)
{
    (void)sig;
    stop_serving = 1;
}

struct opts {
    const char *scenario, *listen, *journal, *summary;
    double speed;
};

static int parse_args(int argc, char **argv, struct opts *o)
{
    int i;

    memset(o, 0, sizeof(*o));
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;

        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
            return 1;
        if (a[0] != '-') {
            if (o->scenario)
                return -1;
            o->scenario = a;
            continue;
        }
        if (!v)
            return -1;
        if (strcmp(a, "--listen") == 0)
            o->listen = v;
        else if (strcmp(a, "--journal") == 0)
            o->journal = v;
        else if (strcmp(a, "--summary") == 0)
            o->summary = v;
        else if (strcmp(a, "--speed") == 0 && (o->speed = strtod(v, NULL)) > 0)
            ;
        else
            return -1;
        i++;
    }
    return o->scenario ? 0 : -1;
}

/* What serve takes from a scenario, beyond the "api" section. */
struct served {
    cJSON *j;
    char *dir, *cassette;
    double speed;
    const char *profile;    /* a target's profile, or NULL */
    int rebase_time;        /* replay.rebase_time */
    char **rebase_pointers; /* replay.rebase_pointers (strings in j) */
    size_t n_rebase_pointers;
};

/* replay.rebase_time and rebase_pointers, as `run` reads them. */
static int read_rebase(const cJSON *replay, struct served *s, const char *path,
                       struct hr_err *err)
{
    const cJSON *on = cJSON_GetObjectItemCaseSensitive(replay, "rebase_time");
    const cJSON *ptrs =
        cJSON_GetObjectItemCaseSensitive(replay, "rebase_pointers");
    const cJSON *p;

    s->rebase_time = cJSON_IsTrue(on);
    if (!s->rebase_time || !ptrs)
        return 0;
    if (!cJSON_IsArray(ptrs))
        return hr_errf(err, HR_EXIT_INPUT,
                       "%s: /replay/rebase_pointers: must be an array of "
                       "JSON pointers",
                       path);
    s->rebase_pointers =
        hr_calloc((size_t)cJSON_GetArraySize(ptrs) + 1, sizeof(char *));
    if (!s->rebase_pointers)
        return hr_errf(err, HR_EXIT_INTERNAL, "out of memory");
    cJSON_ArrayForEach(p, ptrs)
    {
        if (!cJSON_IsString(p) || !hr_json_pointer_valid(p->valuestring))
            return hr_errf(err, HR_EXIT_INPUT,
                           "%s: /replay/rebase_pointers: must be an array "
                           "of JSON pointers",
                           path);
        s->rebase_pointers[s->n_rebase_pointers++] = p->valuestring;
    }
    return 0;
}

static int read_scenario(const char *path, struct served *s, struct hr_err *err)
{
    size_t len;
    char *text = hr_read_file(path, &len, err);
    const cJSON *cas, *replay, *speed, *targets;

    if (!text)
        return -1;
    s->j = hr_json_parse(path, text, len, 1, err);
    hr_free(text);
    if (!s->j)
        return -1;
    s->dir = hr_dirname(path);
    cas = cJSON_GetObjectItemCaseSensitive(s->j, "cassette");
    if (!cJSON_IsString(cas))
        return hr_errf(err, HR_EXIT_INPUT,
                       "%s: /cassette: required: the path of a cassette", path);
    s->cassette = hr_path_join(s->dir, cas->valuestring);
    replay = cJSON_GetObjectItemCaseSensitive(s->j, "replay");
    speed = cJSON_GetObjectItemCaseSensitive(replay, "speed");
    s->speed = cJSON_IsNumber(speed) && speed->valuedouble > 0
                   ? speed->valuedouble
                   : 1.0;
    targets = cJSON_GetObjectItemCaseSensitive(s->j, "targets");
    if (targets && targets->child) {
        const cJSON *p =
            cJSON_GetObjectItemCaseSensitive(targets->child, "profile");

        s->profile = cJSON_IsString(p) ? p->valuestring : NULL;
    }
    return read_rebase(replay, s, path, err);
}

/* The shift that moves the cassette's latest event time to now. */
static int serve_rebase(const struct served *s, struct hr_mockapi_cfg *cfg,
                        struct hr_err *err)
{
    struct hr_cassette_reader *r;
    int rc;

    if (!s->rebase_time)
        return 0;
    r = hr_cassette_open(s->cassette, err);
    if (!r)
        return -1;
    rc = hr_rebase_delta(r, hr_wall_ms() / 1000, &cfg->rebase_s, err);
    hr_cassette_close(r);
    if (rc == 1)
        fputs(HR_REBASE_NOTHING_WARNING, stderr);
    cfg->rebase_pointers = s->rebase_pointers;
    cfg->n_rebase_pointers = s->n_rebase_pointers;
    return rc < 0 ? -1 : 0;
}

static int apply_overrides(const struct opts *o, struct served *s,
                           struct hr_mockapi_cfg *cfg,
                           const struct hr_cassette_header *h)
{
    const cJSON *api = cJSON_GetObjectItemCaseSensitive(s->j, "api");
    const cJSON *seed = cJSON_GetObjectItemCaseSensitive(s->j, "seed");
    const cJSON *pdir = cJSON_GetObjectItemCaseSensitive(s->j, "profiles_dir");
    const char *prof = s->profile;

    if (o->listen) {
        hr_free(cfg->listen);
        cfg->listen = hr_strdup(o->listen);
        cfg->listen_explicit = 1;
    }
    if (o->journal) {
        hr_free(cfg->journal);
        cfg->journal = hr_strdup(o->journal);
    }
    if (o->speed > 0)
        s->speed = o->speed;
    if (cJSON_IsNumber(seed) && seed->valuedouble >= 0)
        cfg->seed = (uint64_t)seed->valuedouble;
    if (cJSON_IsString(pdir))
        cfg->profile_dir = hr_path_join(s->dir, pdir->valuestring);
    if (!prof && h->n_endpoints)
        prof = h->endpoints[0].profile;
    if (prof && !cJSON_GetObjectItemCaseSensitive(api, "profile")) {
        hr_free(cfg->profile);
        cfg->profile = hr_strdup(prof);
    }
    return cfg->listen ? 0 : -1;
}

static int load_cassette(struct hr_mockapi *m, struct hr_cassette_reader *r,
                         double speed, struct hr_err *err)
{
    struct hr_interaction it;
    int rc;

    hr_interaction_init(&it);
    while ((rc = hr_cassette_next(r, &it, err)) == 1) {
        int64_t at_us = (int64_t)((double)it.at_ms * 1000.0 / speed);

        if (it.kind == HR_KIND_WEBHOOK)
            rc = hr_mockapi_publish(m, &it, at_us);
        else
            rc = hr_mockapi_add_recorded(m, &it);
        if (rc) {
            hr_errf(err, HR_EXIT_INTERNAL, "out of memory");
            break;
        }
    }
    hr_interaction_clear(&it);
    return rc;
}

static void serve_loop(struct hr_mockapi *m)
{
    struct pollfd p = {hr_mockapi_fd(m), POLLIN, 0};

    while (!stop_serving) {
        int64_t t = hr_mockapi_timeout_ms(m);

        if (t < 0 || t > 200)
            t = 200;
        poll(&p, 1, (int)t);
        if (hr_mockapi_step(m)) {
            hr_log(0, "mock API: the server loop failed");
            break;
        }
    }
}

static int write_summary(struct hr_mockapi *m, const char *path)
{
    cJSON *s = hr_mockapi_summary(m);
    char *text = s ? cJSON_Print(s) : NULL;
    FILE *f = path ? fopen(path, "w") : stderr;
    int rc = text && f ? 0 : -1;

    if (text && f)
        fprintf(f, "%s\n", text);
    if (f && f != stderr && fclose(f))
        rc = -1;
    cJSON_free(text);
    cJSON_Delete(s);
    return rc;
}

static int serve(const struct opts *o, struct hr_err *err)
{
    struct served s = {0};
    struct hr_mockapi_cfg cfg;
    struct hr_cassette_reader *r = NULL;
    struct hr_mockapi *m = NULL;
    int rc = -1;

    hr_mockapi_cfg_init(&cfg);
    if (read_scenario(o->scenario, &s, err))
        goto out;
    hr_mockapi_cfg_free(&cfg);
    if (hr_mockapi_cfg_parse(cJSON_GetObjectItemCaseSensitive(s.j, "api"),
                             o->scenario, s.dir, &cfg, err))
        goto out;
    r = hr_cassette_open(s.cassette, err);
    if (!r || apply_overrides(o, &s, &cfg, hr_cassette_header(r)) ||
        serve_rebase(&s, &cfg, err))
        goto out;
    m = hr_mockapi_new(&cfg, err);
    if (!m || load_cassette(m, r, s.speed, err))
        goto out;
    hr_cassette_close(r);
    r = NULL;
    printf("listening on %s\n", hr_mockapi_url(m) + strlen("http://"));
    fflush(stdout);
    serve_loop(m);
    rc = write_summary(m, o->summary);
    if (rc)
        hr_errf(err, HR_EXIT_INTERNAL, "cannot write the summary");
out:
    hr_mockapi_free(m);
    hr_cassette_close(r);
    hr_mockapi_cfg_free(&cfg);
    cJSON_Delete(s.j);
    hr_free(s.rebase_pointers);
    hr_free(s.dir);
    hr_free(s.cassette);
    return rc;
}

int cmd_serve(int argc, char **argv)
{
    struct opts o;
    struct hr_err err = {0, ""};
    int rc = parse_args(argc, argv, &o);

    if (rc) {
        fputs(usage, rc > 0 ? stdout : stderr);
        return rc > 0 ? HR_EXIT_OK : HR_EXIT_INPUT;
    }
    signal(SIGPIPE, SIG_IGN);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    if (serve(&o, &err)) {
        fprintf(stderr, "hookreplay serve: %s\n", err.msg);
        return err.code ? err.code : HR_EXIT_INTERNAL;
    }
    return HR_EXIT_OK;
}
