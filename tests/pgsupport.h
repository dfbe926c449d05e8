/* SPDX-License-Identifier: MIT */
/*
 * A throwaway PostgreSQL cluster for the database-backed consumer tests
 * (tests/thirdparty/pg.sh), and the consumers those tests run on it.
 * Start and stop it from a Check unchecked fixture: the cluster and a
 * folder of PID files outlive each test's own process.
 */
#ifndef HR_PGSUPPORT_H
#define HR_PGSUPPORT_H

#include "support.h"

#include <cjson/cJSON.h>

struct t_pg {
    char dir[256];  /* the cluster's folder, from pg.sh start */
    int port;       /* on 127.0.0.1 */
    char work[256]; /* a scratch folder: MODE.pid while a consumer runs */
};

/* Starts a cluster on an unused port; a watcher stops it should this
 * process die. Aborts (outside any test) when it cannot. */
void t_pg_start(struct t_pg *pg);
/* Kills the consumers failed tests left running (by their PID files),
 * removes the scratch folder and stops the cluster. */
void t_pg_stop(struct t_pg *pg);
/* A fresh, empty database called name. */
void t_pg_createdb(const struct t_pg *pg, const char *name);
/* What psql prints for sql_file on database db, as JSON (the caller
 * deletes it); fails the test when psql fails or prints no JSON. */
cJSON *t_pg_query(const struct t_pg *pg, const char *db, const char *sql_file);

/* Records s, the consumer in mode, so that t_pg_stop can end it. */
void t_pg_consumer_started(const struct t_pg *pg, const struct t_server *s,
                           const char *mode);
/* Sends SIGTERM, which must end the consumer cleanly (exit status 0);
 * SIGKILL after 10 s. Forgets its PID file either way. */
void t_pg_consumer_stop(const struct t_pg *pg, struct t_server *s,
                        const char *mode);

#endif
