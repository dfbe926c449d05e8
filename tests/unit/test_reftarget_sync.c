/* SPDX-License-Identifier: MIT */
/*
 * The reconciling reference targets in-process against a small provider
 * API stub (libmicrohttpd, 127.0.0.1) serving a fixed event list and
 * objects: polling, fetching, backfilling into SQLite, the version rule.
 */
#include "reftarget.h"
#include "sign.h"
#include "support.h"

#include <arpa/inet.h>
#include <check.h>
#include <curl/curl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SECRET "whsec_sync_test_secret"
#define API_KEY "sk_test_sync"

/* ---- the API stub ------------------------------------------------ */

struct stub {
    struct MHD_Daemon *d;
    int port;
    char url[64];
    pthread_mutex_t mu;
    cJSON *events;  /* newest first */
    cJSON *objects; /* id -> object; absent: 404 */
    int page_max;   /* the stub's own page cap */
    int event_calls, object_calls, list_calls, bad_auth;
    int fail_objects; /* answer 500 to object GETs */
};

static enum MHD_Result answer(struct MHD_Connection *c, unsigned int status,
                              cJSON *body)
{
    char *text = cJSON_PrintUnformatted(body);
    struct MHD_Response *r = MHD_create_response_from_buffer(
        strlen(text), text, MHD_RESPMEM_MUST_COPY);
    enum MHD_Result rc;

    MHD_add_response_header(r, "Content-Type", "application/json");
    rc = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    cJSON_free(text);
    cJSON_Delete(body);
    return rc;
}

static int index_of(const cJSON *list, const char *id)
{
    int i;

    for (i = 0; id && i < cJSON_GetArraySize(list); i++)
        if (strcmp(cJSON_GetObjectItem(cJSON_GetArrayItem(list, i), "id")
                       ->valuestring,
                   id) == 0)
            return i;
    return -1;
}

/* A Stripe list page of items (newest first) with limit and cursors. */
static cJSON *page(struct stub *s, struct MHD_Connection *c, const cJSON *items,
                   const char *url)
{
    const char *lim =
        MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "limit");
    const char *after =
        MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "starting_after");
    const char *before =
        MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "ending_before");
    int n = lim ? atoi(lim) : 10, len = cJSON_GetArraySize(items), from, to;
    cJSON *out = cJSON_CreateObject(), *data;
    int i;

    if (n > s->page_max)
        n = s->page_max;
    if (before) {
        to = index_of(items, before);
        from = to - n < 0 ? 0 : to - n;
    } else {
        from = after ? index_of(items, after) + 1 : 0;
        to = from + n > len ? len : from + n;
    }
    data = cJSON_AddArrayToObject(out, "data");
    for (i = from; i < to; i++)
        cJSON_AddItemToArray(data,
                             cJSON_Duplicate(cJSON_GetArrayItem(items, i), 1));
    cJSON_AddStringToObject(out, "object", "list");
    cJSON_AddBoolToObject(out, "has_more", before ? from > 0 : to < len);
    cJSON_AddStringToObject(out, "url", url);
    return out;
}

/* The objects of one kind, as a list. */
static cJSON *of_kind(const struct stub *s, const char *kind)
{
    cJSON *list = cJSON_CreateArray(), *o;

    cJSON_ArrayForEach(o, s->objects)
    {
        if (strcmp(cJSON_GetObjectItem(o, "object")->valuestring, kind) == 0)
            cJSON_AddItemToArray(list, cJSON_Duplicate(o, 1));
    }
    return list;
}

static enum MHD_Result get_object(struct stub *s, struct MHD_Connection *c,
                                  const char *id)
{
    cJSON *o = cJSON_GetObjectItem(s->objects, id), *err;

    s->object_calls++;
    if (s->fail_objects)
        return answer(c, 500, cJSON_CreateObject());
    if (o)
        return answer(c, 200, cJSON_Duplicate(o, 1));
    err = cJSON_CreateObject();
    cJSON_AddStringToObject(cJSON_AddObjectToObject(err, "error"), "code",
                            "resource_missing");
    return answer(c, 404, err);
}

static enum MHD_Result route(struct stub *s, struct MHD_Connection *c,
                             const char *url)
{
    static const char *const kinds[] = {"customer", "subscription", "invoice"};
    char path[64];
    size_t i;

    if (strcmp(url, "/v1/events") == 0) {
        s->event_calls++;
        return answer(c, 200, page(s, c, s->events, url));
    }
    for (i = 0; i < 3; i++) {
        size_t n;

        snprintf(path, sizeof(path), "/v1/%ss", kinds[i]);
        n = strlen(path);
        if (strcmp(url, path) == 0) {
            cJSON *items = of_kind(s, kinds[i]);
            enum MHD_Result rc;

            s->list_calls++;
            rc = answer(c, 200, page(s, c, items, url));
            cJSON_Delete(items);
            return rc;
        }
        if (strncmp(url, path, n) == 0 && url[n] == '/')
            return get_object(s, c, url + n + 1);
    }
    return answer(c, 404, cJSON_CreateObject());
}

static enum MHD_Result on_api(void *cls, struct MHD_Connection *c,
                              const char *url, const char *method,
                              const char *version, const char *data,
                              size_t *data_size, void **con_cls)
{
    struct stub *s = cls;
    const char *auth =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    enum MHD_Result rc;

    pthread_mutex_lock(&s->mu);
    if (!auth || strcmp(auth, "Bearer " API_KEY) != 0) {
        s->bad_auth++;
        rc = answer(c, 401, cJSON_CreateObject());
    } else {
        rc = route(s, c, url);
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

static cJSON *customer(const char *id, const char *email)
{
    cJSON *o = cJSON_CreateObject();

    cJSON_AddStringToObject(o, "id", id);
    cJSON_AddStringToObject(o, "object", "customer");
    cJSON_AddStringToObject(o, "email", email);
    return o;
}

static cJSON *event(const char *id, const char *type, int64_t created,
                    cJSON *obj)
{
    cJSON *e = cJSON_CreateObject();

    cJSON_AddStringToObject(e, "id", id);
    cJSON_AddStringToObject(e, "object", "event");
    cJSON_AddStringToObject(e, "type", type);
    cJSON_AddNumberToObject(e, "created", (double)created);
    cJSON_AddItemToObject(cJSON_AddObjectToObject(e, "data"), "object", obj);
    return e;
}

static void stub_start(struct stub *s)
{
    const union MHD_DaemonInfo *info;
    struct sockaddr_in sa;

    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    memset(s, 0, sizeof(*s));
    pthread_mutex_init(&s->mu, NULL);
    s->events = cJSON_CreateArray();
    s->objects = cJSON_CreateObject();
    s->page_max = 2;
    s->d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0,
        NULL, NULL, on_api, s, MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_END);
    ck_assert_ptr_nonnull(s->d);
    info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info->port;
    snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%d", s->port);
}

static void stub_stop(struct stub *s)
{
    MHD_stop_daemon(s->d);
    cJSON_Delete(s->events);
    cJSON_Delete(s->objects);
    pthread_mutex_destroy(&s->mu);
}

/* Adds an event as the newest one. */
static void stub_event(struct stub *s, cJSON *ev)
{
    pthread_mutex_lock(&s->mu);
    cJSON_InsertItemInArray(s->events, 0, ev);
    pthread_mutex_unlock(&s->mu);
}

static void stub_object(struct stub *s, cJSON *obj)
{
    const char *id = cJSON_GetObjectItem(obj, "id")->valuestring;

    pthread_mutex_lock(&s->mu);
    cJSON_DeleteItemFromObject(s->objects, id);
    cJSON_AddItemToObject(s->objects, id, obj);
    pthread_mutex_unlock(&s->mu);
}

static int stub_count(struct stub *s, const int *counter)
{
    int n;

    pthread_mutex_lock(&s->mu);
    n = *counter;
    pthread_mutex_unlock(&s->mu);
    return n;
}

/* ---- the target -------------------------------------------------- */

static struct hr_reftarget *start(const struct hr_profile *p, int mode,
                                  const struct stub *s, const char *db)
{
    static const char *const secrets[] = {SECRET};
    struct hr_reftarget_opts o = {0};
    struct hr_err err = {0};
    struct hr_reftarget *t;

    o.mode = mode;
    o.profile = p;
    o.secrets = secrets;
    o.n_secrets = 1;
    o.api_url = s ? s->url : NULL;
    o.api_key = API_KEY;
    o.poll_ms = 50;
    o.db_path = db;
    t = hr_reftarget_start(&o, &err);
    ck_assert_msg(t != NULL, "%s", err.msg);
    return t;
}

/* The email the target holds for object id ("" when none). */
static char *email_of(struct hr_reftarget *t, const char *id)
{
    static char out[128];
    cJSON *j = t_reftarget_state(t);
    const cJSON *e = cJSON_GetObjectItem(
        cJSON_GetObjectItem(cJSON_GetObjectItem(j, "objects"), id), "email");

    snprintf(out, sizeof(out), "%s", cJSON_IsString(e) ? e->valuestring : "");
    cJSON_Delete(j);
    return out;
}

/* Waits up to 5 s for state value at dotted to reach want. */
static int wait_for(struct hr_reftarget *t, const char *dotted, double want)
{
    int i;

    for (i = 0; i < 500; i++) {
        if (t_reftarget_state_num(t, dotted) == want)
            return 1;
        usleep(10000);
    }
    return 0;
}

static long http(struct hr_reftarget *t, const char *path,
                 struct curl_slist *hl, const char *body)
{
    CURL *c = curl_easy_init();
    char url[128];
    long status = 0;

    snprintf(url, sizeof(url), "http://%s%s", hr_reftarget_addr(t), path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, t_discard);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 20000L);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    return status;
}

/* Delivers ev (its JSON) to the target as a signed Stripe webhook. */
static long deliver(struct hr_reftarget *t, const cJSON *ev)
{
    const char *secrets[] = {SECRET};
    char *body = cJSON_Print(ev), line[512];
    struct hr_sign_input in = {0};
    struct hr_message m = {0};
    struct hr_err err = {0};
    struct curl_slist *hl = NULL;
    long status;
    size_t i;

    in.scheme = HR_SCHEME_STRIPE;
    in.secrets = secrets;
    in.n_secrets = 1;
    in.timestamp = (int64_t)time(NULL);
    in.body = (const unsigned char *)body;
    in.body_len = strlen(body);
    ck_assert_int_eq(hr_sign(&in, &m, &err), 0);
    hl = curl_slist_append(hl, "Content-Type: application/json");
    hl = curl_slist_append(hl, "Expect:");
    for (i = 0; i < m.n_headers; i++) {
        snprintf(line, sizeof(line), "%s: %s", m.headers[i].name,
                 m.headers[i].value);
        hl = curl_slist_append(hl, line);
        hr_free(m.headers[i].name);
        hr_free(m.headers[i].value);
    }
    hr_free(m.headers);
    status = http(t, "/webhooks", hl, body);
    curl_slist_free_all(hl);
    cJSON_free(body);
    return status;
}

/* ---- tests ------------------------------------------------------- */

START_TEST(correct_target_polls_the_event_list_and_applies_missed_events)
{
    struct hr_profile *p = t_profile("stripe");
    struct stub s;
    struct hr_reftarget *t;
    cJSON *e1, *e2, *e3, *e4;

    stub_start(&s);
    e1 = event("evt_1", "customer.created", 100, customer("cus_1", "a@x"));
    e2 = event("evt_2", "customer.updated", 101, customer("cus_1", "b@x"));
    e3 = event("evt_3", "customer.created", 102, customer("cus_2", "c@x"));
    stub_event(&s, cJSON_Duplicate(e1, 1));
    stub_event(&s, cJSON_Duplicate(e2, 1));
    stub_event(&s, cJSON_Duplicate(e3, 1));
    stub_object(&s, customer("cus_1", "b@x"));
    stub_object(&s, customer("cus_2", "c@x"));
    t = start(p, HR_REFTARGET_CORRECT, &s, NULL);
    /* Only evt_1's webhook arrives; evt_2 and evt_3 were dropped. */
    ck_assert_int_eq(deliver(t, e1), 200);
    ck_assert(wait_for(t, "applied.evt_2", 1));
    ck_assert(wait_for(t, "applied.evt_3", 1));
    ck_assert_str_eq(email_of(t, "cus_1"), "b@x");
    ck_assert_str_eq(email_of(t, "cus_2"), "c@x");
    /* A later event is found from the cursor (ending_before). */
    e4 = event("evt_4", "customer.updated", 103, customer("cus_2", "d@x"));
    stub_object(&s, customer("cus_2", "d@x")); /* the API moved with it */
    stub_event(&s, e4);
    ck_assert(wait_for(t, "applied.evt_4", 1));
    ck_assert_str_eq(email_of(t, "cus_2"), "d@x");
    /* The late webhook of a polled event is a duplicate. (evt_1's own
     * webhook may race the first poll, so count from here.) */
    {
        double before = t_reftarget_state_num(t, "duplicates_ignored");

        ck_assert_int_eq(deliver(t, e2), 200);
        ck_assert_double_eq(t_reftarget_state_num(t, "duplicates_ignored"),
                            before + 1);
    }
    ck_assert_double_eq(t_reftarget_state_num(t, "applied.evt_2"), 1);
    ck_assert(t_reftarget_state_num(t, "sync.polled") >= 3);
    ck_assert_int_eq(stub_count(&s, &s.bad_auth), 0);
    hr_reftarget_stop(t);
    stub_stop(&s);
    cJSON_Delete(e1);
    cJSON_Delete(e2);
    cJSON_Delete(e3);
    hr_profile_free(p);
}
END_TEST

START_TEST(a_polled_copy_of_an_applied_change_counts_as_applied)
{
    struct hr_profile *p = t_profile("stripe");
    struct stub s;
    struct hr_reftarget *t;
    cJSON *e1, *e2;

    stub_start(&s);
    /* evt_2 brings the change evt_1 brought, under another id */
    e1 = event("evt_1", "customer.created", 100, customer("cus_1", "a@x"));
    e2 = event("evt_2", "customer.created", 100, customer("cus_1", "a@x"));
    stub_event(&s, cJSON_Duplicate(e1, 1));
    stub_event(&s, e2);
    stub_object(&s, customer("cus_1", "a@x"));
    t = start(p, HR_REFTARGET_CORRECT, &s, NULL);
    ck_assert_int_eq(deliver(t, e1), 200);
    /* found by polling, skipped as the same change, and still applied
     * once by the target's own account */
    ck_assert(wait_for(t, "applied.evt_2", 1));
    ck_assert_double_eq(t_reftarget_state_num(t, "applied.evt_1"), 1);
    ck_assert_str_eq(email_of(t, "cus_1"), "a@x");
    hr_reftarget_stop(t);
    stub_stop(&s);
    cJSON_Delete(e1);
    hr_profile_free(p);
}
END_TEST

START_TEST(fetcher_target_keeps_what_the_api_says_and_never_polls)
{
    struct hr_profile *p = t_profile("stripe");
    struct stub s;
    struct hr_reftarget *t;
    cJSON *e1 =
        event("evt_1", "customer.updated", 200, customer("cus_1", "payload@x"));
    cJSON *e0 =
        event("evt_0", "customer.created", 100, customer("cus_1", "stale@x"));

    stub_start(&s);
    stub_object(&s, customer("cus_1", "api@x"));
    t = start(p, HR_REFTARGET_FETCHER, &s, NULL);
    ck_assert_int_eq(deliver(t, e1), 200);
    ck_assert_str_eq(email_of(t, "cus_1"), "api@x");
    ck_assert_int_eq(stub_count(&s, &s.object_calls), 1);
    /* An older event arriving late leaves the fetched state alone. */
    ck_assert_int_eq(deliver(t, e0), 200);
    ck_assert_str_eq(email_of(t, "cus_1"), "api@x");
    ck_assert_double_eq(t_reftarget_state_num(t, "sync.fetched"), 2);
    /* The object is gone from the API: the target says deleted. */
    pthread_mutex_lock(&s.mu);
    cJSON_DeleteItemFromObject(s.objects, "cus_1");
    pthread_mutex_unlock(&s.mu);
    cJSON_ReplaceItemInObject(e1, "id", cJSON_CreateString("evt_2"));
    ck_assert_int_eq(deliver(t, e1), 200);
    {
        cJSON *j = t_reftarget_state(t);

        ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(
            cJSON_GetObjectItem(cJSON_GetObjectItem(j, "objects"), "cus_1"),
            "deleted")));
        cJSON_Delete(j);
    }
    /* A failed fetch fails the delivery, so the provider retries. */
    pthread_mutex_lock(&s.mu);
    s.fail_objects = 1;
    pthread_mutex_unlock(&s.mu);
    cJSON_ReplaceItemInObject(e1, "id", cJSON_CreateString("evt_3"));
    ck_assert_int_eq(deliver(t, e1), 500);
    ck_assert_double_eq(t_reftarget_state_num(t, "applied.evt_3"), -1);
    usleep(200000);
    ck_assert_int_eq(stub_count(&s, &s.event_calls), 0);
    hr_reftarget_stop(t);
    stub_stop(&s);
    cJSON_Delete(e0);
    cJSON_Delete(e1);
    hr_profile_free(p);
}
END_TEST

static cJSON *subscription(const char *id, const char *status)
{
    cJSON *o = cJSON_CreateObject();

    cJSON_AddStringToObject(o, "id", id);
    cJSON_AddStringToObject(o, "object", "subscription");
    cJSON_AddStringToObject(o, "status", status);
    cJSON_AddStringToObject(o, "customer", "cus_1");
    return o;
}

/* One text column of one row, or "(none)". */
static char *db_text(const char *path, const char *sql)
{
    static char out[256];
    sqlite3 *db;
    sqlite3_stmt *st;

    snprintf(out, sizeof(out), "(none)");
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        snprintf(out, sizeof(out), "%s", sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(db);
    return out;
}

START_TEST(backfill_target_fills_its_database_when_asked)
{
    struct hr_profile *p = t_profile("stripe");
    char *dir = t_tmpdir(), db[512];
    struct stub s;
    struct hr_reftarget *t;
    cJSON *e =
        event("evt_9", "customer.created", 100, customer("cus_old", "old@x"));

    snprintf(db, sizeof(db), "%s/billing.db", dir);
    stub_start(&s);
    stub_object(&s, customer("cus_1", "one@x"));
    stub_object(&s, customer("cus_2", "two@x"));
    stub_object(&s, customer("cus_3", "three@x"));
    stub_object(&s, subscription("sub_1", "active"));
    t = start(p, HR_REFTARGET_BACKFILL, &s, db);
    /* A webhook goes straight in, twice: event ids are not looked at. */
    ck_assert_int_eq(deliver(t, e), 200);
    ck_assert_int_eq(deliver(t, e), 200);
    ck_assert_double_eq(t_reftarget_state_num(t, "processed"), 2);
    ck_assert_str_eq(db_text(db, "SELECT mail FROM billing_customers"
                                 " WHERE cust_ref = 'cus_old'"),
                     "old@x");
    ck_assert_str_eq(db_text(db, "SELECT mail FROM billing_customers"
                                 " WHERE cust_ref = 'cus_3'"),
                     "(none)");
    ck_assert_int_eq(http(t, "/admin/backfill", NULL, ""), 200);
    ck_assert_str_eq(db_text(db, "SELECT mail FROM billing_customers"
                                 " WHERE cust_ref = 'cus_3'"),
                     "three@x");
    ck_assert_str_eq(db_text(db, "SELECT state || '/' || cust_ref FROM"
                                 " billing_subs WHERE sub_ref = 'sub_1'"),
                     "active/cus_1");
    /* The API no longer lists cus_old: gone. */
    ck_assert_str_eq(db_text(db, "SELECT is_gone FROM billing_customers"
                                 " WHERE cust_ref = 'cus_old'"),
                     "1");
    ck_assert_str_eq(db_text(db, "SELECT SUM(is_gone) FROM"
                                 " billing_customers"),
                     "1");
    /* Three customers in pages of two. */
    ck_assert(stub_count(&s, &s.list_calls) >= 4);
    ck_assert_double_eq(t_reftarget_state_num(t, "sync.backfills"), 1);
    ck_assert_double_eq(t_reftarget_state_num(t, "applied.evt_9"), -1);
    hr_reftarget_stop(t);
    stub_stop(&s);
    cJSON_Delete(e);
    free(dir);
    hr_profile_free(p);
}
END_TEST

START_TEST(correct_target_never_lets_an_older_event_overwrite_a_newer_one)
{
    struct hr_profile *p = t_profile("stripe");
    struct hr_reftarget *t = start(p, HR_REFTARGET_CORRECT, NULL, NULL);
    cJSON *newer =
        event("evt_b", "customer.updated", 200, customer("cus_1", "new@x"));
    cJSON *older =
        event("evt_a", "customer.updated", 100, customer("cus_1", "old@x"));

    ck_assert_int_eq(deliver(t, newer), 200);
    ck_assert_int_eq(deliver(t, older), 200);
    ck_assert_str_eq(email_of(t, "cus_1"), "new@x");
    ck_assert_double_eq(t_reftarget_state_num(t, "stale_skipped"), 1);
    ck_assert_double_eq(t_reftarget_state_num(t, "applied.evt_a"), 1);
    hr_reftarget_stop(t);
    cJSON_Delete(newer);
    cJSON_Delete(older);
    hr_profile_free(p);
}
END_TEST

START_TEST(reconciling_modes_refuse_to_start_without_what_they_need)
{
    struct hr_profile *p = t_profile("stripe");
    struct hr_reftarget_opts o = {0};
    struct hr_err err = {0};
    const char *secrets[] = {SECRET};

    o.profile = p;
    o.secrets = secrets;
    o.n_secrets = 1;
    o.mode = HR_REFTARGET_FETCHER;
    ck_assert_ptr_null(hr_reftarget_start(&o, &err));
    ck_assert_int_eq(err.code, HR_EXIT_INPUT);
    o.mode = HR_REFTARGET_BACKFILL;
    o.api_url = "http://127.0.0.1:9";
    ck_assert_ptr_null(hr_reftarget_start(&o, &err));
    ck_assert_ptr_nonnull(strstr(err.msg, "database"));
    hr_profile_free(p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("reftarget_sync");
    TCase *tc = tcase_create("sync");

    hr_alloc_init();
    tcase_set_timeout(tc, 60);
    tcase_add_test(
        tc, correct_target_polls_the_event_list_and_applies_missed_events);
    tcase_add_test(tc, a_polled_copy_of_an_applied_change_counts_as_applied);
    tcase_add_test(tc, fetcher_target_keeps_what_the_api_says_and_never_polls);
    tcase_add_test(tc, backfill_target_fills_its_database_when_asked);
    tcase_add_test(
        tc, correct_target_never_lets_an_older_event_overwrite_a_newer_one);
    tcase_add_test(tc,
                   reconciling_modes_refuse_to_start_without_what_they_need);
    suite_add_tcase(s, tc);
    return t_run_suite(s);
}
