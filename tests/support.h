/* SPDX-License-Identifier: MIT */
/*
 * Test support: start and stop real processes, talk HTTP to them on
 * 127.0.0.1, make temporary folders. Every child is ended by its PID.
 */
#ifndef HR_TEST_SUPPORT_H
#define HR_TEST_SUPPORT_H
#include <cjson/cJSON.h>
#include <stddef.h>
#include <sys/types.h>

/* A started server: its PID and the port it printed. */
struct t_server {
    pid_t pid;
    int port;
    char url[128]; /* http://127.0.0.1:PORT */
};

/*
 * Starts argv[0] with argv and envp additions ("NAME=value", NULL-ended,
 * may be NULL), waits up to timeout_ms for a stdout line containing
 * "listening on 127.0.0.1:PORT". Returns 0, or -1 (child killed).
 */
int t_server_start(struct t_server *s, char *const argv[],
                   char *const env_add[], int timeout_ms);
/* SIGTERM, then SIGKILL after 3 s; reaps the child. */
void t_server_stop(struct t_server *s);

/* The outcome of a finished command. */
struct t_result {
    int exit_code; /* -1 when killed by a signal or timed out */
    char *out;     /* stdout, NUL-terminated */
    char *err;     /* stderr */
};

/*
 * Runs argv to completion with stdin from stdin_data (may be NULL), and
 * env additions; kills it after timeout_ms. Returns 0 when it ran.
 */
int t_run(struct t_result *r, char *const argv[], char *const env_add[],
          const char *stdin_data, int timeout_ms);
void t_result_free(struct t_result *r);

/* HTTP GET on 127.0.0.1; returns the status, body in *body (malloc'd). */
int t_http_get(const char *url, char **body);
/* GET url and parse the body as JSON; NULL on any failure. */
cJSON *t_http_get_json(const char *url);

/*
 * A TCP port on 127.0.0.1 that nothing listens on: bound, read and
 * closed again; drawn below the kernel's ephemeral range, so that no
 * automatic port assignment takes it before the caller's process binds
 * it. Aborts the test when no socket can be bound.
 */
int t_unused_port(void);

/* A new temporary folder (mkdtemp); the path is static per call site. */
char *t_tmpdir(void);
/* Writes a file; 0 or -1. */
int t_write_file(const char *path, const char *data, size_t len);
/* Parses a JSON file; NULL on failure. */
cJSON *t_read_json(const char *path);
/* Number at a dotted path ("totals.delivered"), or -1 when missing. */
double t_json_num(const cJSON *root, const char *dotted);

#endif
