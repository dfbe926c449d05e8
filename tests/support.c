/* SPDX-License-Identifier: MIT */
/*
 * Test support: child processes, loopback HTTP, temp files, scenario
 * runs and their results.
 */
#include "support.h"

#include "profile.h"
#include "reftarget.h"
#include "util.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void apply_env(char *const env_add[])
{
    size_t i;

    for (i = 0; env_add && env_add[i]; i++)
        putenv(env_add[i]);
}

int t_server_start(struct t_server *s, char *const argv[],
                   char *const env_add[], int timeout_ms)
{
    int fds[2];
    char buf[4096];
    size_t len = 0;
    long long deadline = now_ms() + timeout_ms;

    memset(s, 0, sizeof(*s));
    if (pipe(fds))
        return -1;
    s->pid = fork();
    if (s->pid < 0)
        return -1;
    if (s->pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        apply_env(env_add);
        execvp(argv[0], argv);
        _exit(127);
    }
    close(fds[1]);
    while (now_ms() < deadline && len < sizeof(buf) - 1) {
        struct pollfd p = {fds[0], POLLIN, 0};
        char *at;
        ssize_t n;

        if (poll(&p, 1, 100) <= 0)
            continue;
        n = read(fds[0], buf + len, sizeof(buf) - 1 - len);
        if (n <= 0)
            break;
        len += (size_t)n;
        buf[len] = '\0';
        at = strstr(buf, "listening on 127.0.0.1:");
        if (at && strchr(at, '\n')) {
            s->port = atoi(at + strlen("listening on 127.0.0.1:"));
            snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%d", s->port);
            /* Keep the pipe open in a detached reader-less state: close
             * our end; the child's later writes get EPIPE, which servers
             * must survive (they ignore SIGPIPE). */
            close(fds[0]);
            return 0;
        }
    }
    close(fds[0]);
    t_server_stop(s);
    return -1;
}

void t_server_stop(struct t_server *s)
{
    int status, i;

    if (s->pid <= 0)
        return;
    kill(s->pid, SIGTERM);
    for (i = 0; i < 300; i++) {
        if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
            s->pid = 0;
            return;
        }
        usleep(10000);
    }
    kill(s->pid, SIGKILL);
    waitpid(s->pid, &status, 0);
    s->pid = 0;
}

static ssize_t drain(int fd, char **buf, size_t *len, size_t *cap)
{
    char chunk[8192];
    ssize_t n = read(fd, chunk, sizeof(chunk));

    if (n <= 0)
        return n;
    if (*len + (size_t)n + 1 > *cap) {
        *cap = (*len + (size_t)n + 1) * 2;
        *buf = realloc(*buf, *cap);
    }
    memcpy(*buf + *len, chunk, (size_t)n);
    *len += (size_t)n;
    (*buf)[*len] = '\0';
    return n;
}

int t_run(struct t_result *r, char *const argv[], char *const env_add[],
          const char *stdin_data, int timeout_ms)
{
    int in[2], out[2], err[2], status = 0, open_fds = 2;
    int fds[2], i;
    size_t olen = 0, ocap = 1, elen = 0, ecap = 1;
    long long deadline = now_ms() + timeout_ms;
    pid_t pid;

    memset(r, 0, sizeof(*r));
    r->out = calloc(1, 1);
    r->err = calloc(1, 1);
    if (pipe(in) || pipe(out) || pipe(err))
        return -1;
    pid = fork();
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        dup2(err[1], 2);
        /* Only 0, 1 and 2 may hold the pipes: a daemon the command
         * leaves behind (a database server) would keep a stray copy
         * open, and the output would not end until it exits. */
        for (i = 0; i < 2; i++) {
            if (in[i] > 2)
                close(in[i]);
            if (out[i] > 2)
                close(out[i]);
            if (err[i] > 2)
                close(err[i]);
        }
        apply_env(env_add);
        execvp(argv[0], argv);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    close(err[1]);
    signal(SIGPIPE, SIG_IGN);
    if (stdin_data) {
        size_t n = strlen(stdin_data), off = 0;

        while (off < n) {
            ssize_t w = write(in[1], stdin_data + off, n - off);
            if (w <= 0)
                break;
            off += (size_t)w;
        }
    }
    close(in[1]);
    fds[0] = out[0];
    fds[1] = err[0];
    while (open_fds > 0 && now_ms() < deadline) {
        struct pollfd p[2] = {{fds[0], POLLIN, 0}, {fds[1], POLLIN, 0}};
        int k;

        if (poll(p, 2, 100) <= 0)
            continue;
        for (k = 0; k < 2; k++) {
            ssize_t n;

            if (fds[k] < 0 || !(p[k].revents & (POLLIN | POLLHUP)))
                continue;
            n = k == 0 ? drain(fds[k], &r->out, &olen, &ocap)
                       : drain(fds[k], &r->err, &elen, &ecap);
            if (n <= 0) {
                close(fds[k]);
                fds[k] = -1;
                open_fds--;
            }
        }
    }
    if (open_fds > 0)
        kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    if (fds[0] >= 0)
        close(fds[0]);
    if (fds[1] >= 0)
        close(fds[1]);
    r->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return 0;
}

void t_result_free(struct t_result *r)
{
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}

static size_t collect(char *p, size_t size, size_t n, void *ud)
{
    char **body = ud;
    size_t old = *body ? strlen(*body) : 0;

    *body = realloc(*body, old + size * n + 1);
    memcpy(*body + old, p, size * n);
    (*body)[old + size * n] = '\0';
    return size * n;
}

int t_http_get(const char *url, char **body)
{
    CURL *c = curl_easy_init();
    long status = 0;

    *body = calloc(1, 1);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    return (int)status;
}

cJSON *t_http_get_json(const char *url)
{
    char *body = NULL;
    cJSON *j = NULL;

    if (t_http_get(url, &body) == 200)
        j = cJSON_Parse(body);
    free(body);
    return j;
}

size_t t_discard(char *p, size_t size, size_t n, void *ud)
{
    (void)p;
    (void)ud;
    return size * n;
}

/* The first port of the kernel's ephemeral range, or -1. */
static int ephemeral_low(void)
{
    FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
    int low = -1, high = -1;

    if (!f)
        return -1;
    if (fscanf(f, "%d %d", &low, &high) != 2)
        low = -1;
    fclose(f);
    return low;
}

/* Binds 127.0.0.1:port (0: any) and closes again; the port, or -1. */
static int try_port(int port)
{
    struct sockaddr_in a;
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0), got = -1;

    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        got = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return got;
}

/*
 * The port is bound later by another process, so it is drawn below the
 * ephemeral range: there the kernel never hands it to a connect() or a
 * bind to port 0 of a test running alongside in the meantime.
 */
int t_unused_port(void)
{
    int low = ephemeral_low(), port = -1, i;
    unsigned int seed = (unsigned int)getpid() ^ (unsigned int)now_ms();

    for (i = 0; low > 11024 && port <= 0 && i < 200; i++)
        port = try_port(10000 + (int)(rand_r(&seed) % (unsigned)(low - 10000)));
    if (port <= 0)
        port = try_port(0);
    if (port <= 0) {
        fprintf(stderr, "t_unused_port: cannot bind 127.0.0.1: %s\n",
                strerror(errno));
        abort();
    }
    return port;
}

char *t_tmpdir(void)
{
    char tmpl[] = "/tmp/hrtest.XXXXXX";
    char *d = mkdtemp(tmpl);

    return d ? strdup(d) : NULL;
}

int t_write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    size_t n;

    if (!f)
        return -1;
    n = fwrite(data, 1, len, f);
    return (fclose(f) == 0 && n == len) ? 0 : -1;
}

/* The whole file (malloc'd, NUL-terminated); NULL when it cannot be
 * opened or read to its end. */
static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *data;
    long n;

    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    data = n < 0 ? NULL : malloc((size_t)n + 1);
    if (data && fread(data, 1, (size_t)n, f) != (size_t)n) {
        free(data);
        data = NULL;
    }
    if (data)
        data[n] = '\0';
    fclose(f);
    return data;
}

cJSON *t_read_json(const char *path)
{
    char *data = read_all(path);
    cJSON *j;

    if (!data)
        return NULL;
    j = cJSON_Parse(data);
    free(data);
    return j;
}

double t_json_num(const cJSON *root, const char *dotted)
{
    char key[128];
    const char *p = dotted;
    const cJSON *cur = root;

    while (cur && *p) {
        size_t n = strcspn(p, ".");

        if (n >= sizeof(key))
            return -1;
        memcpy(key, p, n);
        key[n] = '\0';
        cur = cJSON_GetObjectItemCaseSensitive(cur, key);
        p += n + (p[n] == '.');
    }
    return cJSON_IsNumber(cur) ? cur->valuedouble : -1;
}

char *t_slurp(const char *path)
{
    char *data = read_all(path);

    ck_assert_msg(data != NULL, "%s is missing or unreadable", path);
    return data;
}

void t_buf_append(char **buf, size_t *len, const void *data, size_t n)
{
    char *grown = realloc(*buf, *len + n + 1);

    if (!grown) {
        fprintf(stderr, "t_buf_append: out of memory\n");
        abort();
    }
    memcpy(grown + *len, data, n);
    *len += n;
    grown[*len] = '\0';
    *buf = grown;
}

void t_target_start(struct t_server *s, const char *mode, const char *profile,
                    char *const extra[], char *const env_add[])
{
    char *argv[24] = {HR_BIN,      "target",        "--mode", (char *)mode,
                      "--profile", (char *)profile, NULL};
    size_t n = 6;

    while (extra && *extra) {
        ck_assert_uint_lt(n, sizeof(argv) / sizeof(argv[0]) - 1);
        argv[n++] = *extra++;
    }
    argv[n] = NULL;
    ck_assert_int_eq(t_server_start(s, argv, env_add, 10000), 0);
}

cJSON *t_target_state(const struct t_server *s)
{
    char url[200];
    cJSON *j;

    snprintf(url, sizeof(url), "%s/__state", s->url);
    j = t_http_get_json(url);
    ck_assert_ptr_nonnull(j);
    return j;
}

int t_replay_asap(struct t_result *r, const char *cassette, const char *url,
                  const char *out, char *const env_add[], char *const extra[])
{
    char *argv[32] = {HR_BIN,
                      "run",
                      "--cassette",
                      (char *)cassette,
                      "--target",
                      (char *)url,
                      "--out",
                      (char *)out,
                      "--pacing",
                      "asap",
                      "--retry-time-scale",
                      "0"};
    size_t n = 12;

    while (extra && *extra) {
        ck_assert_uint_lt(n, sizeof(argv) / sizeof(argv[0]) - 1);
        argv[n++] = *extra++;
    }
    argv[n] = NULL;
    ck_assert_int_eq(t_run(r, argv, env_add, NULL, 120000), 0);
    return r->exit_code;
}

char *t_run_scenario_in(struct t_result *r, const char *dir,
                        const char *scenario, char *const env_add[],
                        int timeout_ms)
{
    char path[1024], out[1024];
    char *argv[] = {HR_BIN, "run", path, "--out", out, "--quiet", NULL};

    snprintf(path, sizeof(path), "%s/scenario.json", dir);
    snprintf(out, sizeof(out), "%s/out", dir);
    ck_assert_int_eq(t_write_file(path, scenario, strlen(scenario)), 0);
    ck_assert_int_eq(t_run(r, argv, env_add, NULL, timeout_ms), 0);
    return strdup(out);
}

char *t_run_scenario(struct t_result *r, const char *scenario,
                     char *const env_add[], int timeout_ms)
{
    char *dir = t_tmpdir(), *out;

    ck_assert_ptr_nonnull(dir);
    out = t_run_scenario_in(r, dir, scenario, env_add, timeout_ms);
    free(dir);
    return out;
}

cJSON *t_run_judged(const char *scenario, char *const env_add[], int *exit_code)
{
    struct t_result r;
    char *out = t_run_scenario(&r, scenario, env_add, 120000);
    cJSON *result;

    *exit_code = r.exit_code;
    ck_assert_msg(r.exit_code <= 1, "run failed: %s", r.err);
    t_result_free(&r);
    result = t_read_result(out);
    free(out);
    return result;
}

cJSON *t_read_result(const char *out_dir)
{
    char path[1100];
    cJSON *j;

    snprintf(path, sizeof(path), "%s/result.json", out_dir);
    j = t_read_json(path);
    ck_assert_msg(j != NULL, "%s is missing or not JSON", path);
    return j;
}

const cJSON *t_check(const cJSON *result, const char *name)
{
    const cJSON *c;

    cJSON_ArrayForEach(c, cJSON_GetObjectItem(result, "checks"))
    {
        const cJSON *n = cJSON_GetObjectItem(c, "name");

        if (cJSON_IsString(n) && strcmp(n->valuestring, name) == 0)
            return c;
    }
    ck_abort_msg("no check named %s", name);
    return NULL;
}

const char *t_check_result(const cJSON *result, const char *name)
{
    const cJSON *v = cJSON_GetObjectItem(t_check(result, name), "result");

    ck_assert_msg(cJSON_IsString(v), "check %s has no result", name);
    return v->valuestring;
}

struct hr_profile *t_profile(const char *name)
{
    struct hr_err err = {0};
    struct hr_profile *p = hr_profile_load(name, NULL, &err);

    ck_assert_msg(p != NULL, "%s", err.msg);
    return p;
}

cJSON *t_reftarget_state(struct hr_reftarget *t)
{
    char *text = hr_reftarget_state_json(t);
    cJSON *j;

    ck_assert_ptr_nonnull(text);
    j = cJSON_Parse(text);
    hr_free(text);
    ck_assert_ptr_nonnull(j);
    return j;
}

double t_reftarget_state_num(struct hr_reftarget *t, const char *dotted)
{
    cJSON *j = t_reftarget_state(t);
    double v = t_json_num(j, dotted);

    cJSON_Delete(j);
    return v;
}

const char t_github_one_delivery[] =
    "{\"hookreplay\":\"cassette\",\"version\":1,\"endpoints\":"
    "{\"e\":{\"profile\":\"github\"}}}\n"
    "{\"seq\":1,\"at_ms\":0,\"kind\":\"webhook\",\"endpoint\":\"e\","
    "\"event\":{\"id\":\"d-1\",\"type\":\"issues.opened\",\"object\":\"I_1\"},"
    "\"request\":{\"method\":\"POST\",\"path\":\"/\",\"query\":\"\","
    "\"headers\":[[\"X-GitHub-Event\",\"issues\"],"
    "[\"X-GitHub-Delivery\",\"d-1\"]],"
    "\"body\":\"{\\\"action\\\":\\\"opened\\\","
    "\\\"issue\\\":{\\\"node_id\\\":\\\"I_1\\\"}}\"}}\n";

int t_run_suite(Suite *s)
{
    SRunner *sr = srunner_create(s);
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
