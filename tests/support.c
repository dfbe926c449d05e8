/* SPDX-License-Identifier: MIT */
/* Test support: child processes, loopback HTTP, temp files. */
#include "support.h"

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
    int fds[2];
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
        close(in[1]);
        close(out[0]);
        close(err[0]);
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

cJSON *t_read_json(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *data;
    long n;
    cJSON *j;

    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    data = malloc((size_t)n + 1);
    if (fread(data, 1, (size_t)n, f) != (size_t)n)
        n = 0;
    data[n] = '\0';
    fclose(f);
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
