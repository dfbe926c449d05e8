/* SPDX-License-Identifier: MIT */
/*
 * The backfill reference target's database: a SQLite file with table and
 * column names of its own, as an application's schema would have, so
 * that probes which read a database through a mapping are tested:
 *
 *   billing_customers(cust_ref TEXT PRIMARY KEY, mail TEXT,
 *                     is_gone INTEGER, doc TEXT)
 *   billing_subs(sub_ref TEXT PRIMARY KEY, state TEXT, cust_ref TEXT,
 *                is_gone INTEGER)
 *   billing_invoices(inv_ref TEXT PRIMARY KEY, state TEXT, cust_ref TEXT,
 *                    is_gone INTEGER)
 *   billing_other(ref TEXT PRIMARY KEY, kind TEXT, state TEXT,
 *                 is_gone INTEGER)
 *
 * Stripe objects map onto them by their "object" kind: customer, then
 * subscription, invoice, anything else. doc holds the customer's JSON.
 * Safe to use from several threads (one connection behind a mutex).
 */
#ifndef HR_REFDB_H
#define HR_REFDB_H
#include "util.h"

#include <cjson/cJSON.h>

struct hr_refdb;

/* Opens (creating when needed) the file at path. NULL with err. */
struct hr_refdb *hr_refdb_open(const char *path, struct hr_err *err);
void hr_refdb_close(struct hr_refdb *db);

/*
 * Writes a Stripe object (with "id" and "object") into its table,
 * replacing the row of the same id; gone marks it deleted (so does a
 * "deleted": true member). 0, or -1 with err.
 */
int hr_refdb_put(struct hr_refdb *db, const cJSON *obj, int gone,
                 struct hr_err *err);

/*
 * A full listing of one kind ("customer", "subscription", "invoice"):
 * begin, write every listed object with hr_refdb_listing_put (on the
 * same thread), then end, which marks the rows of that kind that were
 * not listed as gone when complete is 1 (0 after a failed page: nothing
 * is marked). Other writers wait between begin and end; after a begin
 * that succeeded, end must be called. 0, or -1 with err.
 */
int hr_refdb_listing_begin(struct hr_refdb *db, struct hr_err *err);
int hr_refdb_listing_put(struct hr_refdb *db, const cJSON *obj,
                         struct hr_err *err);
int hr_refdb_listing_end(struct hr_refdb *db, const char *kind, int complete,
                         struct hr_err *err);

/* Rows in the table of kind (gone ones included); -1 on error. */
long hr_refdb_count(struct hr_refdb *db, const char *kind);

#endif
