/* SPDX-License-Identifier: MIT */
/* The PostgreSQL cluster and consumers of the database-backed tests. */
#include "pgsupport.h"

#include <check.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define PG_SH HR_SRC_DIR "/tests/thirdparty/pg.sh"

void t_pg_start(struct t_pg *pg)
{
    char port[16], owner[16];
    char *argv[] = {"bash", PG_SH, "start", port, owner, NULL};
    char *dir = t_tmpdir();
    struct t_result r;
    size_t n;

    pg->port = t_unused_port();
    snprintf(port, sizeof(port), "%d", pg->port);
    snprintf(owner, sizeof(owner), "%d", (int)getpid());
    snprintf(pg->work, sizeof(pg->work), "%s", dir);
    free(dir);
    if (t_run(&r, argv, NULL, NULL, 120000) || r.exit_code != 0) {
        fprintf(stderr, "pg.sh start: %s\n", r.err ? r.err : "");
        abort();
    }
    n = strcspn(r.out, "\n");
    snprintf(pg->dir, sizeof(pg->dir), "%.*s", (int)n, r.out);
    t_result_free(&r);
}

static void pid_path(const struct t_pg *pg, const char *mode, char *buf,
                     size_t len)
{
    snprintf(buf, len, "%s/%s.pid", pg->work, mode);
}

/* Kills the consumer a PID file names (a failed test's child). */
static void kill_listed(const char *path)
{
    FILE *f = fopen(path, "r");
    int pid = 0;

    if (f && fscanf(f, "%d", &pid) == 1 && pid > 0)
        kill(pid, SIGKILL);
    if (f)
        fclose(f);
}

void t_pg_stop(struct t_pg *pg)
{
    char *argv[] = {"bash", PG_SH, "stop", pg->dir, NULL};
    char *rm[] = {"rm", "-rf", pg->work, NULL};
    DIR *d = pg->work[0] ? opendir(pg->work) : NULL;
    const struct dirent *e;
    struct t_result r;
    char path[600];
    size_t n;

    while (d && (e = readdir(d))) {
        n = strlen(e->d_name);
        if (n > 4 && strcmp(e->d_name + n - 4, ".pid") == 0) {
            snprintf(path, sizeof(path), "%s/%s", pg->work, e->d_name);
            kill_listed(path);
        }
    }
    if (d)
        closedir(d);
    if (pg->work[0] && t_run(&r, rm, NULL, NULL, 60000) == 0)
        t_result_free(&r);
    if (pg->dir[0] && t_run(&r, argv, NULL, NULL, 120000) == 0)
        t_result_free(&r);
}

void t_pg_createdb(const struct t_pg *pg, const char *name)
{
    char *argv[] = {"bash",          PG_SH,        "createdb",
                    (char *)pg->dir, (char *)name, NULL};
    struct t_result r;

    ck_assert_int_eq(t_run(&r, argv, NULL, NULL, 60000), 0);
    ck_assert_msg(r.exit_code == 0, "createdb %s: %s", name, r.err);
    t_result_free(&r);
}

cJSON *t_pg_query(const struct t_pg *pg, const char *db, const char *sql_file)
{
    char port[16];
    char *argv[] = {"psql",
                    "-X",
                    "-q",
                    "-A",
                    "-t",
                    "-v",
                    "ON_ERROR_STOP=1",
                    "-h",
                    "127.0.0.1",
                    "-p",
                    port,
                    "-U",
                    "postgres",
                    "-d",
                    (char *)db,
                    "-f",
                    (char *)sql_file,
                    NULL};
    struct t_result r;
    cJSON *j;

    snprintf(port, sizeof(port), "%d", pg->port);
    ck_assert_int_eq(t_run(&r, argv, NULL, NULL, 60000), 0);
    ck_assert_msg(r.exit_code == 0, "psql: %s", r.err);
    j = cJSON_Parse(r.out);
    ck_assert_msg(j != NULL, "psql printed no JSON: %s", r.out);
    t_result_free(&r);
    return j;
}

void t_pg_consumer_started(const struct t_pg *pg, const struct t_server *s,
                           const char *mode)
{
    char path[300];
    FILE *f;

    pid_path(pg, mode, path, sizeof(path));
    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "%d\n", (int)s->pid);
    fclose(f);
}

void t_pg_consumer_stop(const struct t_pg *pg, struct t_server *s,
                        const char *mode)
{
    char path[300];
    int status = 0, i;

    kill(s->pid, SIGTERM);
    for (i = 0; i < 1000 && waitpid(s->pid, &status, WNOHANG) == 0; i++)
        usleep(10000);
    if (i == 1000) {
        kill(s->pid, SIGKILL);
        waitpid(s->pid, &status, 0);
    }
    pid_path(pg, mode, path, sizeof(path));
    unlink(path);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "the consumer did not exit cleanly on SIGTERM");
}
