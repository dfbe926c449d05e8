/* SPDX-License-Identifier: MIT */
/* The backfill reference target's SQLite schema and writes. */
#include "refdb.h"

#include <pthread.h>
#include <sqlite3.h>
#include <string.h>

struct hr_refdb {
    sqlite3 *db;
    pthread_mutex_t mu; /* held from listing_begin to listing_end */
};

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS billing_customers("
    " cust_ref TEXT PRIMARY KEY, mail TEXT, is_gone INTEGER NOT NULL"
    " DEFAULT 0, doc TEXT);"
    "CREATE TABLE IF NOT EXISTS billing_subs("
    " sub_ref TEXT PRIMARY KEY, state TEXT, cust_ref TEXT,"
    " is_gone INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS billing_invoices("
    " inv_ref TEXT PRIMARY KEY, state TEXT, cust_ref TEXT,"
    " is_gone INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS billing_other("
    " ref TEXT PRIMARY KEY, kind TEXT, state TEXT,"
    " is_gone INTEGER NOT NULL DEFAULT 0);"
    "CREATE TEMP TABLE IF NOT EXISTS listed(ref TEXT PRIMARY KEY);";

/* Where each kind lives: its table and key column. */
struct place {
    const char *kind, *table, *key;
};

static const struct place places[] = {
    {"customer", "billing_customers", "cust_ref"},
    {"subscription", "billing_subs", "sub_ref"},
    {"invoice", "billing_invoices", "inv_ref"},
    {NULL, "billing_other", "ref"},
};

static const struct place *place_of(const char *kind)
{
    size_t i;

    for (i = 0; places[i].kind; i++)
        if (kind && strcmp(kind, places[i].kind) == 0)
            return &places[i];
    return &places[i];
}

static int db_fail(struct hr_refdb *db, const char *what, struct hr_err *err)
{
    return hr_errf(err, HR_EXIT_INTERNAL, "sqlite: %s: %s", what,
                   sqlite3_errmsg(db->db));
}

struct hr_refdb *hr_refdb_open(const char *path, struct hr_err *err)
{
    struct hr_refdb *db = hr_calloc(1, sizeof(*db));
    int flags =
        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX;

    if (!db || pthread_mutex_init(&db->mu, NULL)) {
        hr_free(db);
        hr_errf(err, HR_EXIT_INTERNAL, "sqlite: out of resources");
        return NULL;
    }
    if (sqlite3_open_v2(path, &db->db, flags, NULL) != SQLITE_OK ||
        sqlite3_busy_timeout(db->db, 5000) != SQLITE_OK ||
        sqlite3_exec(db->db, schema, NULL, NULL, NULL) != SQLITE_OK) {
        hr_errf(err, HR_EXIT_INPUT, "database '%s': %s", path,
                db->db ? sqlite3_errmsg(db->db) : "cannot open");
        hr_refdb_close(db);
        return NULL;
    }
    return db;
}

void hr_refdb_close(struct hr_refdb *db)
{
    if (!db)
        return;
    sqlite3_close(db->db);
    pthread_mutex_destroy(&db->mu);
    hr_free(db);
}

static const char *str_of(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);

    if (cJSON_IsString(v))
        return v->valuestring;
    /* an expanded reference: {"id": ...} */
    v = cJSON_GetObjectItemCaseSensitive(v, "id");
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

/* The statement writing one object of place p; binds ?1 id, ?2..?4. */
static int prepare_put(struct hr_refdb *db, const struct place *p,
                       sqlite3_stmt **st)
{
    char sql[256];

    if (p->kind && strcmp(p->kind, "customer") == 0)
        snprintf(sql, sizeof(sql),
                 "INSERT OR REPLACE INTO %s(%s, mail, is_gone, doc)"
                 " VALUES(?1, ?2, ?3, ?4)",
                 p->table, p->key);
    else if (p->kind)
        snprintf(sql, sizeof(sql),
                 "INSERT OR REPLACE INTO %s(%s, state, is_gone, cust_ref)"
                 " VALUES(?1, ?2, ?3, ?4)",
                 p->table, p->key);
    else
        snprintf(sql, sizeof(sql),
                 "INSERT OR REPLACE INTO %s(%s, state, is_gone, kind)"
                 " VALUES(?1, ?2, ?3, ?4)",
                 p->table, p->key);
    return sqlite3_prepare_v2(db->db, sql, -1, st, NULL) == SQLITE_OK ? 0 : -1;
}

static int bind_object(sqlite3_stmt *st, const struct place *p,
                       const cJSON *obj, int gone)
{
    const char *kind = str_of(obj, "object");
    int is_customer = p->kind && strcmp(p->kind, "customer") == 0;
    char *doc = NULL;

    gone = gone || cJSON_IsTrue(cJSON_GetObjectItem(obj, "deleted"));
    bind_text(st, 1, str_of(obj, "id"));
    bind_text(st, 2, str_of(obj, is_customer ? "email" : "status"));
    sqlite3_bind_int(st, 3, gone);
    if (is_customer) {
        doc = cJSON_PrintUnformatted(obj);
        if (!doc)
            return -1;
        bind_text(st, 4, doc);
        cJSON_free(doc);
    } else {
        bind_text(st, 4, p->kind ? str_of(obj, "customer") : kind);
    }
    return 0;
}

static int note_listed(struct hr_refdb *db, const char *id)
{
    sqlite3_stmt *st = NULL;
    int rc;

    if (sqlite3_prepare_v2(db->db, "INSERT OR IGNORE INTO listed VALUES(?1)",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    bind_text(st, 1, id);
    rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);
    return rc;
}

static int put_locked(struct hr_refdb *db, const cJSON *obj, int gone,
                      int listed, struct hr_err *err)
{
    const struct place *p = place_of(str_of(obj, "object"));
    sqlite3_stmt *st = NULL;
    int rc = -1;

    if (!str_of(obj, "id"))
        return hr_errf(err, HR_EXIT_INPUT, "object without an id");
    if (prepare_put(db, p, &st))
        return db_fail(db, "prepare", err);
    if (bind_object(st, p, obj, gone) == 0 && sqlite3_step(st) == SQLITE_DONE)
        rc = 0;
    sqlite3_finalize(st);
    if (rc == 0 && listed && note_listed(db, str_of(obj, "id")))
        rc = -1;
    return rc ? db_fail(db, "write", err) : 0;
}

int hr_refdb_put(struct hr_refdb *db, const cJSON *obj, int gone,
                 struct hr_err *err)
{
    int rc;

    pthread_mutex_lock(&db->mu);
    rc = put_locked(db, obj, gone, 0, err);
    pthread_mutex_unlock(&db->mu);
    return rc;
}

int hr_refdb_listing_put(struct hr_refdb *db, const cJSON *obj,
                         struct hr_err *err)
{
    return put_locked(db, obj, 0, 1, err);
}

int hr_refdb_listing_begin(struct hr_refdb *db, struct hr_err *err)
{
    pthread_mutex_lock(&db->mu);
    if (sqlite3_exec(db->db, "BEGIN; DELETE FROM listed;", NULL, NULL, NULL) !=
        SQLITE_OK) {
        sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
        pthread_mutex_unlock(&db->mu);
        return db_fail(db, "begin", err);
    }
    return 0;
}

int hr_refdb_listing_end(struct hr_refdb *db, const char *kind, int complete,
                         struct hr_err *err)
{
    const struct place *p = place_of(kind);
    char sql[256];
    int rc = 0;

    snprintf(sql, sizeof(sql),
             "UPDATE %s SET is_gone = 1 WHERE %s NOT IN"
             " (SELECT ref FROM listed)",
             p->table, p->key);
    if (complete && p->kind &&
        sqlite3_exec(db->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        rc = db_fail(db, "sweep", err);
    if (sqlite3_exec(db->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        rc = db_fail(db, "commit", err);
        sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
    }
    pthread_mutex_unlock(&db->mu);
    return rc;
}

long hr_refdb_count(struct hr_refdb *db, const char *kind)
{
    const struct place *p = place_of(kind);
    sqlite3_stmt *st = NULL;
    char sql[128];
    long n = -1;

    snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM %s", p->table);
    pthread_mutex_lock(&db->mu);
    if (sqlite3_prepare_v2(db->db, sql, -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        n = (long)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    pthread_mutex_unlock(&db->mu);
    return n;
}
