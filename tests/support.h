/* SPDX-License-Identifier: MIT */
/*
 * Test support: start and stop real processes, talk HTTP to them on
 * 127.0.0.1, make temporary folders, run scenarios and read their
 * results. Every child is ended by its PID. Functions named as failing
 * the test do so with a Check assertion, so they belong in test bodies.
 */
#ifndef HR_TEST_SUPPORT_H
#define HR_TEST_SUPPORT_H
#include <check.h>
#include <cjson/cJSON.h>
#include <stddef.h>
#include <sys/types.h>

struct hr_profile;
struct hr_reftarget;

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
/* A libcurl write callback that drops the body it is given. */
size_t t_discard(char *p, size_t size, size_t n, void *ud);

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
/*
 * The whole file as a NUL-terminated string (malloc'd, caller frees);
 * fails the test, naming path, when it cannot be read.
 */
char *t_slurp(const char *path);
/*
 * Appends n bytes of data to *buf (malloc'd, *len bytes long, may start
 * NULL with *len 0) and keeps it NUL-terminated; aborts when out of
 * memory.
 */
void t_buf_append(char **buf, size_t *len, const void *data, size_t n);

/*
 * Starts `hookreplay target --mode MODE --profile PROFILE EXTRA...` with
 * env_add; extra is NULL-ended and may be NULL. Fails the test when the
 * target does not say where it listens within 10 s.
 */
void t_target_start(struct t_server *s, const char *mode, const char *profile,
                    char *const extra[], char *const env_add[]);
/* The target's GET /__state as JSON (caller deletes); fails the test
 * when there is none. */
cJSON *t_target_state(const struct t_server *s);

/*
 * Runs `hookreplay run --cassette CASSETTE --target URL --out OUT
 * --pacing asap --retry-time-scale 0 EXTRA...` with env_add, killed
 * after 2 minutes; extra is NULL-ended and may be NULL. Fills r as t_run
 * does (free it with t_result_free) and returns the exit code. Fails the
 * test when the run cannot be started.
 */
int t_replay_asap(struct t_result *r, const char *cassette, const char *url,
                  const char *out, char *const env_add[], char *const extra[]);
/*
 * Writes scenario (JSON text) as scenario.json into a new temporary
 * folder and runs `hookreplay run FOLDER/scenario.json --out FOLDER/out
 * --quiet` with env_add, killed after timeout_ms. Fills r as t_run does
 * (free it with t_result_free) and returns FOLDER/out (caller frees).
 * Fails the test when the file cannot be written or the run not started.
 */
char *t_run_scenario(struct t_result *r, const char *scenario,
                     char *const env_add[], int timeout_ms);
/* The same in an existing folder dir, beside files the scenario names
 * relatively (the test's working directory is elsewhere). */
char *t_run_scenario_in(struct t_result *r, const char *dir,
                        const char *scenario, char *const env_add[],
                        int timeout_ms);
/*
 * t_run_scenario (2 minutes at most) for a run that must end judged:
 * fails the test, with the run's stderr, unless it exits 0 (every check
 * passed) or 1 (one failed). Returns its result.json (caller deletes)
 * and the exit code in *exit_code.
 */
cJSON *t_run_judged(const char *scenario, char *const env_add[],
                    int *exit_code);
/* OUT_DIR/result.json parsed (caller deletes); fails the test, naming
 * the path, when it is missing or not JSON. */
cJSON *t_read_result(const char *out_dir);
/* The check called name in a result's "checks"; fails the test when
 * there is none. */
const cJSON *t_check(const cJSON *result, const char *name);
/* That check's "result": "pass", "fail" or "not_measured". */
const char *t_check_result(const cJSON *result, const char *name);

/* A bundled provider profile by name (release with hr_profile_free);
 * fails the test when it cannot be loaded. */
struct hr_profile *t_profile(const char *name);
/* An in-process reference target's state as JSON (caller deletes);
 * fails the test when it is missing or not JSON. */
cJSON *t_reftarget_state(struct hr_reftarget *t);
/* A number at a dotted path of that state, or -1 when missing. */
double t_reftarget_state_num(struct hr_reftarget *t, const char *dotted);

/*
 * A cassette of one GitHub delivery (issues.opened, delivery d-1 on
 * node I_1) whose id and type live in headers, for endpoint "e".
 */
extern const char t_github_one_delivery[];

/* Runs every test of s, each in its own process, and frees the runner;
 * EXIT_SUCCESS when all passed, EXIT_FAILURE otherwise. */
int t_run_suite(Suite *s);

#endif
