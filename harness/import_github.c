/* SPDX-License-Identifier: MIT */
/* The GitHub importer: payload example folders become a cassette. */
#include "cassette.h"
#include "import.h"
#include "profile.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define ENDPOINT "github"
#define WEBHOOK_PATH "/webhooks/github"
#define HOOKSHOT_AGENT "GitHub-Hookshot/5b1e0a7"
#define HOOK_ID "500000001"
#define FALLBACK_TARGET_ID "500000002"
#define SPACING_MS 1000

struct names {
    char **v;
    size_t n;
};

/* One import run: where from, where to, and how far it got. */
struct import {
    const char *dir;
    FILE *out;
    struct hr_profile *profile;
    int64_t seq;
};

static void names_free(struct names *ns)
{
    size_t i;

    for (i = 0; i < ns->n; i++)
        hr_free(ns->v[i]);
    hr_free(ns->v);
    ns->v = NULL;
    ns->n = 0;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), t = strlen(tail);

    return n >= t && strcmp(s + n - t, tail) == 0;
}

/* 1 when path/name should be listed: folders, or regular .json files. */
static int wanted(const char *path, const char *name, int want_dirs)
{
    char *full;
    struct stat st;
    int ok;

    if (name[0] == '.' || (!want_dirs && !ends_with(name, ".json")))
        return 0;
    full = hr_path_join(path, name);
    ok = full && stat(full, &st) == 0 &&
         (want_dirs ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode));
    hr_free(full);
    return ok;
}

/* Sorted entries of a folder: subfolders, or .json files. */
static int list_dir(const char *path, int want_dirs, struct names *out,
                    struct hr_err *err)
{
    DIR *d = opendir(path);
    struct dirent *e;

    out->v = NULL;
    out->n = 0;
    if (!d)
        return hr_errf(err, HR_EXIT_INPUT, "%s: %s", path, strerror(errno));
    while ((e = readdir(d)) != NULL) {
        char **v;

        if (!wanted(path, e->d_name, want_dirs))
            continue;
        v = hr_realloc(out->v, (out->n + 1) * sizeof(*v));
        if (!v || !(v[out->n] = hr_strdup(e->d_name))) {
            out->v = v ? v : out->v;
            closedir(d);
            names_free(out);
            return hr_errf(err, HR_EXIT_INTERNAL, "out of memory");
        }
        out->v = v;
        out->n++;
    }
    closedir(d);
    if (out->n > 1)
        qsort(out->v, out->n, sizeof(*out->v), cmp_name);
    return 0;
}

/* A GUID (8-4-4-4-12 hex) from SHA-256 of rel, shaped as a UUIDv8. */
static int delivery_guid(const char *rel, char out[37])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    char hex[33];
    unsigned int md_len = 0;

    if (!EVP_Digest(rel, strlen(rel), md, &md_len, EVP_sha256(), NULL))
        return -1;
    md[6] = (unsigned char)((md[6] & 0x0f) | 0x80);
    md[8] = (unsigned char)((md[8] & 0x3f) | 0x80);
    hr_hex(md, 16, hex);
    snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12,
             hex + 16, hex + 20);
    return 0;
}

/* The installation target: the payload's repository id when it has one. */
static void target_id(const cJSON *root, char out[32])
{
    const cJSON *repo = cJSON_GetObjectItemCaseSensitive(root, "repository");
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(repo, "id");

    if (cJSON_IsNumber(id) && id->valuedouble >= 0 &&
        id->valuedouble < 9007199254740992.0)
        snprintf(out, 32, "%.0f", id->valuedouble);
    else
        snprintf(out, 32, "%s", FALLBACK_TARGET_ID);
}

static int add_headers(struct hr_message *req, const char *event,
                       const char *guid, const cJSON *root)
{
    char target[32];

    target_id(root, target);
    return (hr_message_add_header(req, "Content-Type", "application/json") ||
            hr_message_add_header(req, "User-Agent", HOOKSHOT_AGENT) ||
            hr_message_add_header(req, "X-GitHub-Event", event) ||
            hr_message_add_header(req, "X-GitHub-Delivery", guid) ||
            hr_message_add_header(req, "X-GitHub-Hook-ID", HOOK_ID) ||
            hr_message_add_header(req, "X-GitHub-Hook-Installation-Target-ID",
                                  target) ||
            hr_message_add_header(req, "X-GitHub-Hook-Installation-Target-Type",
                                  "repository"))
               ? -1
               : 0;
}

/*
 * Fills it with the delivery of one payload file (body taken over). The
 * event block comes from the github profile, as lint and replay derive it,
 * so that import and profile cannot disagree.
 */
static int build_delivery(const struct import *im, const char *file,
                          const char *event, const char *rel,
                          struct hr_interaction *it, struct hr_err *err)
{
    char guid[37];
    cJSON *root = cJSON_ParseWithLength((const char *)it->request.body,
                                        it->request.body_len);
    int rc = -1;

    if (!root || !cJSON_IsObject(root)) {
        hr_errf(err, HR_EXIT_INPUT,
                "%s: not a JSON object, so not a "
                "GitHub webhook payload",
                file);
        goto out;
    }
    it->kind = HR_KIND_WEBHOOK;
    it->has_event = 1;
    it->endpoint = hr_strdup(ENDPOINT);
    it->request.method = hr_strdup("POST");
    it->request.path = hr_strdup(WEBHOOK_PATH);
    it->request.query = hr_strdup("");
    if (delivery_guid(rel, guid) || !it->endpoint || !it->request.method ||
        !it->request.path || !it->request.query ||
        !(it->delivery = hr_strdup(guid)) ||
        add_headers(&it->request, event, guid, root)) {
        hr_errf(err, HR_EXIT_INTERNAL, "%s: out of memory", file);
        goto out;
    }
    rc = hr_profile_event(im->profile, &it->request, &it->event, err);
    if (rc)
        hr_errf(err, HR_EXIT_INPUT, "%s: %s", file, err->msg);
out:
    cJSON_Delete(root);
    return rc;
}

static int import_file(struct import *im, const char *event, const char *name,
                       struct hr_err *err)
{
    struct hr_interaction it;
    char *rel = hr_path_join(event, name);
    char *file = rel ? hr_path_join(im->dir, rel) : NULL;
    int rc = -1;

    hr_interaction_init(&it);
    if (!file) {
        hr_errf(err, HR_EXIT_INTERNAL, "out of memory");
        goto out;
    }
    it.seq = ++im->seq;
    it.at_ms = (it.seq - 1) * SPACING_MS;
    it.request.body =
        (unsigned char *)hr_read_file(file, &it.request.body_len, err);
    if (!it.request.body || build_delivery(im, file, event, rel, &it, err))
        goto out;
    rc = hr_cassette_write(im->out, &it);
    if (rc)
        hr_errf(err, HR_EXIT_INTERNAL, "writing the cassette: %s",
                strerror(errno));
out:
    hr_interaction_clear(&it);
    hr_free(rel);
    hr_free(file);
    return rc;
}

static int import_event(struct import *im, const char *event,
                        struct hr_err *err)
{
    struct names files;
    char *path = hr_path_join(im->dir, event);
    size_t i;
    int rc;

    if (!path)
        return hr_errf(err, HR_EXIT_INTERNAL, "out of memory");
    rc = list_dir(path, 0, &files, err);
    hr_free(path);
    for (i = 0; rc == 0 && i < files.n; i++)
        rc = import_file(im, event, files.v[i], err);
    names_free(&files);
    return rc;
}

/* Number of payload files under the event folders, or -1 with err. */
static long count_files(const char *dir, const struct names *events,
                        struct hr_err *err)
{
    long total = 0;
    size_t i;

    for (i = 0; i < events->n; i++) {
        char *path = hr_path_join(dir, events->v[i]);
        struct names files;
        int rc = path ? list_dir(path, 0, &files, err) : -1;

        hr_free(path);
        if (rc)
            return path ? -1 : hr_errf(err, HR_EXIT_INTERNAL, "no memory");
        total += (long)files.n;
        names_free(&files);
    }
    return total;
}

int hr_import_github(const char *dir, FILE *out, struct hr_err *err)
{
    struct import im = {dir, out, NULL, 0};
    struct names events;
    long total;
    size_t i;
    int rc;

    if (list_dir(dir, 1, &events, err))
        return -1;
    total = count_files(dir, &events, err);
    if (total == 0)
        hr_errf(err, HR_EXIT_INPUT,
                "%s: no payload files found (expected "
                "EVENT/NAME.json, e.g. issues/opened.payload.json)",
                dir);
    if (total > 0)
        im.profile = hr_profile_load("github", NULL, err);
    rc = im.profile ? 0 : -1;
    if (rc == 0)
        rc = hr_cassette_write_single_header(out, ENDPOINT, "github",
                                             "import github", err);
    for (i = 0; rc == 0 && i < events.n; i++)
        rc = import_event(&im, events.v[i], err);
    hr_profile_free(im.profile);
    names_free(&events);
    return rc;
}
