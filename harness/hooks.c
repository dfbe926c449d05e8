/* SPDX-License-Identifier: MIT */
/* Target lifecycle hooks: HTTP calls and commands with timeouts. */
#include "hooks.h"
#include "jsonx.h"

#include <curl/curl.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void hook_free(struct hr_hook *h)
{
    size_t i;

    if (!h)
        return;
    hr_free(h->url);
    for (i = 0; h->argv && h->argv[i]; i++)
        hr_free(h->argv[i]);
    hr_free(h->argv);
    hr_free(h->dir);
    hr_free(h);
}

void hr_hooks_free(struct hr_hooks *h)
{
    hook_free(h->ready);
    hook_free(h->reset);
    hook_free(h->reconcile);
    hook_free(h->teardown);
    memset(h, 0, sizeof(*h));
}

static int bad(struct hr_err *err, const char *origin, const char *name,
               const char *what)
{
    return hr_errf(err, HR_EXIT_INPUT, "%s: /hooks/%s: %s", origin, name, what);
}

static int parse_argv(const cJSON *a, struct hr_hook *h)
{
    const cJSON *it;
    size_t i = 0;

    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) < 1)
        return -1;
    h->argv = hr_calloc((size_t)cJSON_GetArraySize(a) + 1, sizeof(char *));
    if (!h->argv)
        return -1;
    cJSON_ArrayForEach(it, a)
    {
        if (!cJSON_IsString(it))
            return -1;
        h->argv[i] = hr_strdup(it->valuestring);
        if (!h->argv[i++])
            return -1;
    }
    return 0;
}

static int parse_hook(const cJSON *o, const char *origin, const char *dir,
                      const char *name, struct hr_hook **out,
                      struct hr_err *err)
{
    static const char *const keys[] = {"http",       "http_post", "argv",
                                       "timeout_ms", "every_ms",  NULL};
    const cJSON *get = cJSON_GetObjectItemCaseSensitive(o, "http");
    const cJSON *post = cJSON_GetObjectItemCaseSensitive(o, "http_post");
    const cJSON *argv = cJSON_GetObjectItemCaseSensitive(o, "argv");
    const cJSON *tmo = cJSON_GetObjectItemCaseSensitive(o, "timeout_ms");
    const cJSON *every = cJSON_GetObjectItemCaseSensitive(o, "every_ms");
    const cJSON *url = get ? get : post;
    char where[64];
    struct hr_hook *h;

    if (!o)
        return 0;
    snprintf(where, sizeof(where), "/hooks/%s", name);
    if (!cJSON_IsObject(o) || hr_json_only_keys(o, keys, origin, where, err))
        return err->msg[0] ? -1 : bad(err, origin, name, "must be an object");
    if ((get != NULL) + (post != NULL) + (argv != NULL) != 1)
        return bad(err, origin, name,
                   "give one of http (GET), http_post or argv");
    if (every && strcmp(name, "reconcile"))
        return bad(err, origin, name, "every_ms is for the reconcile hook");
    *out = h = hr_calloc(1, sizeof(*h));
    if (!h)
        return hr_errf(err, HR_EXIT_INTERNAL, "out of memory");
    h->timeout_ms = strcmp(name, "ready") == 0 ? 30000 : 10000;
    if (url && (!cJSON_IsString(url) || strncmp(url->valuestring, "http", 4)))
        return bad(err, origin, name, "http and http_post take a URL");
    if (url) {
        h->url = hr_strdup(url->valuestring);
        h->post = post != NULL;
    }
    if (argv && parse_argv(argv, h))
        return bad(err, origin, name,
                   "argv must be a non-empty list of "
                   "strings");
    if (argv && dir && !(h->dir = hr_strdup(dir)))
        return hr_errf(err, HR_EXIT_INTERNAL, "out of memory");
    if ((tmo && (hr_json_int64(tmo, &h->timeout_ms) || h->timeout_ms < 1)) ||
        (every && (hr_json_int64(every, &h->every_ms) || h->every_ms < 10)))
        return bad(err, origin, name,
                   "timeout_ms (>= 1) and every_ms "
                   "(>= 10) are integers");
    return 0;
}

int hr_hooks_parse(const cJSON *o, const char *origin, const char *dir,
                   struct hr_hooks *out, struct hr_err *err)
{
    static const char *const keys[] = {"ready", "reset", "reconcile",
                                       "teardown", NULL};

    memset(out, 0, sizeof(*out));
    if (!o)
        return 0;
    if (!cJSON_IsObject(o) || hr_json_only_keys(o, keys, origin, "/hooks", err))
        return err->msg[0] ? -1
                           : hr_errf(err, HR_EXIT_INPUT,
                                     "%s: /hooks: must be an object", origin);
    return parse_hook(cJSON_GetObjectItemCaseSensitive(o, "ready"), origin, dir,
                      "ready", &out->ready, err) ||
           parse_hook(cJSON_GetObjectItemCaseSensitive(o, "reset"), origin, dir,
                      "reset", &out->reset, err) ||
           parse_hook(cJSON_GetObjectItemCaseSensitive(o, "reconcile"), origin,
                      dir, "reconcile", &out->reconcile, err) ||
           parse_hook(cJSON_GetObjectItemCaseSensitive(o, "teardown"), origin,
                      dir, "teardown", &out->teardown, err);
}

static size_t discard(char *p, size_t size, size_t n, void *ud)
{
    (void)p;
    (void)ud;
    return size * n;
}

static int call_http(const struct hr_hook *h, struct hr_err *err)
{
    CURL *c = curl_easy_init();
    long status = 0;
    CURLcode rc;

    if (!c)
        return hr_errf(err, HR_EXIT_INTERNAL, "out of memory");
    curl_easy_setopt(c, CURLOPT_URL, h->url);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)h->timeout_ms);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    if (h->post) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, 0L);
    }
    rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    if (rc != CURLE_OK)
        return hr_errf(err, HR_EXIT_TARGET, "hook %s: %s", h->url,
                       curl_easy_strerror(rc));
    if (status < 200 || status > 299)
        return hr_errf(err, HR_EXIT_TARGET, "hook %s: status %ld", h->url,
                       status);
    return 0;
}

static int call_argv(const struct hr_hook *h, struct hr_err *err)
{
    int64_t deadline = hr_mono_ms() + h->timeout_ms;
    int status = 0;
    pid_t pid = fork(), done = 0;

    if (pid < 0)
        return hr_errf(err, HR_EXIT_INTERNAL, "fork: %s", strerror(errno));
    if (pid == 0) {
        if (h->dir && chdir(h->dir) != 0)
            _exit(126);
        execvp(h->argv[0], h->argv);
        _exit(127);
    }
    while (hr_mono_ms() < deadline &&
           (done = waitpid(pid, &status, WNOHANG)) == 0)
        usleep(10000);
    if (done != pid) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
    }
    return hr_command_status("hook", h->argv[0], h->dir, status, done != pid,
                             h->timeout_ms, err);
}

int hr_hook_call(const struct hr_hook *h, struct hr_err *err)
{
    return h->url ? call_http(h, err) : call_argv(h, err);
}

int hr_hook_wait(const struct hr_hook *h, struct hr_err *err)
{
    int64_t deadline = hr_mono_ms() + h->timeout_ms;
    struct hr_hook once = *h;

    once.timeout_ms = h->timeout_ms < 2000 ? h->timeout_ms : 2000;
    for (;;) {
        if (hr_hook_call(&once, err) == 0)
            return 0;
        if (hr_mono_ms() >= deadline) {
            char last[sizeof(err->msg)];

            memcpy(last, err->msg, sizeof(last));
            return hr_errf(err, HR_EXIT_TARGET,
                           "the target was not ready within %lld ms: %.900s",
                           (long long)h->timeout_ms, last);
        }
        usleep(100000);
    }
}
