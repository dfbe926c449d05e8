/* SPDX-License-Identifier: MIT */
/*
 * rebase_time and the mock provider API: a run moves the event times of
 * its webhooks, and everything the API serves (events, objects of the
 * truth, seed objects, recorded answers) carries the same shift. A
 * consumer in this process receives each webhook and, before answering,
 * asks the API about it; the test compares what both sides said.
 */
#include "support.h"

#include <arpa/inet.h>
#include <check.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define STRIPE_CASSETTE HR_SRC_DIR "/fixtures/stripe-lifecycle.ndjson"
#define SECRET "HOOKREPLAY_SECRET=whsec_dGVzdC1zZWNyZXQtcmViYXNlLTE="
#define MAX_SEEN 64
/* Recorded times of the fixture (unix seconds). */
#define FIRST_EVENT_ID "evt_1HIkpTFm7nAjKfEikbmV3J1R"
#define FIRST_CREATED 1598950800LL
#define LAST_EVENT_ID "evt_1HhsgcQ9VpqnLEBizjx2xfYi"
#define LAST_CREATED 1604221500LL
#define GTE_CREATED 1602582900LL /* the third newest event */
/* What the test adds to the recording: seed and recorded API answers. */
#define SEED_CREATED 1590000000LL
#define TXN_CREATED 1598951104LL
#define TXN_AVAILABLE 1599555904LL
#define PAYOUT_CREATED 1598960000LL
#define PAYOUT_ARRIVAL 1599100000LL

static char *env_secret[] = {SECRET, NULL};

/* One webhook and what the API answered about it, while it was open. */
struct seen {
    char *body;
    size_t body_len;
    char *event;  /* GET /v1/events/<id> */
    char *object; /* GET /v1/<kind>s/<object id> */
    int event_status, object_status;
};

/* Answers gathered once per run, at the first or the last event. */
struct extra {
    char *since;       /* /v1/events?created[gte]=<rebased third newest> */
    char *txn;         /* a recorded object answer */
    char *payouts;     /* a recorded list, asked with a rebased filter */
    char *payouts_old; /* ... and with the recorded filter */
    char *product;     /* a seed object */
    int since_status, txn_status, payouts_status, payouts_old_status;
    int product_status;
};

static struct seen seen[MAX_SEEN];
static int n_seen;
static struct extra extra;
static int api_port;

static char *api_get(const char *path, int *status)
{
    char url[512];
    char *body = NULL;

    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", api_port, path);
    *status = t_http_get(url, &body);
    return body;
}

static int64_t num_at(const cJSON *j, const char *ptr_a, const char *ptr_b)
{
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(j, ptr_a);

    if (ptr_b)
        o = cJSON_GetObjectItemCaseSensitive(o, ptr_b);
    return cJSON_IsNumber(o) ? (int64_t)o->valuedouble : -1;
}

/* The first event tells the shift; ask for recorded and seed answers. */
static void ask_once_first(int64_t delta_s)
{
    char path[256];

    extra.txn = api_get("/v1/balance_transactions/txn_1", &extra.txn_status);
    extra.product = api_get("/v1/products/prod_1", &extra.product_status);
    snprintf(path, sizeof(path), "/v1/payouts?created%%5Bgte%%5D=%lld",
             (long long)(FIRST_CREATED + delta_s));
    extra.payouts = api_get(path, &extra.payouts_status);
    snprintf(path, sizeof(path), "/v1/payouts?created%%5Bgte%%5D=%lld",
             (long long)FIRST_CREATED);
    extra.payouts_old = api_get(path, &extra.payouts_old_status);
}

/* "Events since my last sync", asked with a rebased time. */
static void ask_once_last(int64_t delta_s)
{
    char path[256];

    snprintf(path, sizeof(path), "/v1/events?limit=100&created%%5Bgte%%5D=%lld",
             (long long)(GTE_CREATED + delta_s));
    extra.since = api_get(path, &extra.since_status);
}

/* Asks the API about the event in s, as a consumer that checks would. */
static void ask_api(struct seen *s)
{
    cJSON *j = cJSON_Parse(s->body);
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(j, "id");
    const cJSON *obj = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(j, "data"), "object");
    const cJSON *oid = cJSON_GetObjectItemCaseSensitive(obj, "id");
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(obj, "object");
    char path[256];

    if (!cJSON_IsString(id) || !cJSON_IsString(oid) || !cJSON_IsString(kind)) {
        cJSON_Delete(j);
        return;
    }
    snprintf(path, sizeof(path), "/v1/events/%s", id->valuestring);
    s->event = api_get(path, &s->event_status);
    snprintf(path, sizeof(path), "/v1/%ss/%s", kind->valuestring,
             oid->valuestring);
    s->object = api_get(path, &s->object_status);
    if (strcmp(id->valuestring, FIRST_EVENT_ID) == 0)
        ask_once_first(num_at(j, "created", NULL) - FIRST_CREATED);
    if (strcmp(id->valuestring, LAST_EVENT_ID) == 0)
        ask_once_last(num_at(j, "created", NULL) - LAST_CREATED);
    cJSON_Delete(j);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
                                  const char *url, const char *method,
                                  const char *version, const char *data,
                                  size_t *data_len, void **con_cls)
{
    struct seen *s = *con_cls;
    struct MHD_Response *r;
    enum MHD_Result rc;

    (void)cls;
    (void)url;
    (void)method;
    (void)version;
    if (!s) {
        *con_cls = calloc(1, sizeof(*s));
        return *con_cls ? MHD_YES : MHD_NO;
    }
    if (*data_len) {
        t_buf_append(&s->body, &s->body_len, data, *data_len);
        *data_len = 0;
        return MHD_YES;
    }
    /* One polling thread serves every connection: no lock needed. */
    if (s->body && n_seen < MAX_SEEN) {
        ask_api(s);
        seen[n_seen++] = *s;
    } else {
        free(s->body);
    }
    free(s);
    *con_cls = NULL;
    r = MHD_create_response_from_buffer(2, "ok", MHD_RESPMEM_PERSISTENT);
    rc = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return rc;
}

static struct MHD_Daemon *consumer_start(int *port)
{
    struct sockaddr_in a;
    struct MHD_Daemon *d;
    const union MHD_DaemonInfo *info;

    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0,
                         NULL, NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR,
                         (struct sockaddr *)&a, MHD_OPTION_END);
    ck_assert_ptr_nonnull(d);
    info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    *port = info->port;
    return d;
}

/* The fixture plus two recorded API answers, into dir/cassette.ndjson. */
static void write_cassette(const char *dir)
{
    static const char *recorded[] = {
        "{\"seq\":40,\"at_ms\":18600,\"kind\":\"api\",\"endpoint\":\"stripe\","
        "\"request\":{\"method\":\"GET\",\"path\":"
        "\"/v1/balance_transactions/txn_1\",\"query\":\"\",\"headers\":[],"
        "\"body\":\"\"},\"response\":{\"status\":200,\"ms\":5,\"headers\":[],"
        "\"body\":\"{\\n  \\\"id\\\": \\\"txn_1\\\",\\n  \\\"object\\\": "
        "\\\"balance_transaction\\\",\\n  \\\"created\\\": 1598951104,\\n  "
        "\\\"available_on\\\": 1599555904,\\n  \\\"amount\\\": 1598951104"
        "\\n}\"}}\n",
        "{\"seq\":41,\"at_ms\":18600,\"kind\":\"api\",\"endpoint\":\"stripe\","
        "\"request\":{\"method\":\"GET\",\"path\":\"/v1/payouts\","
        "\"query\":\"created%5Bgte%5D=1598950800\",\"headers\":[],"
        "\"body\":\"\"},\"response\":{\"status\":200,\"ms\":5,\"headers\":[],"
        "\"body\":\"{\\\"object\\\":\\\"list\\\",\\\"data\\\":[{\\\"id\\\":"
        "\\\"po_1\\\",\\\"created\\\":1598960000,\\\"arrival_date\\\":"
        "1599100000}],\\\"has_more\\\":false}\"}}\n"};
    char path[1024], *text;
    size_t len, i;
    FILE *f = fopen(STRIPE_CASSETTE, "rb");

    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    len = (size_t)ftell(f);
    rewind(f);
    text = malloc(len + 1);
    ck_assert_uint_eq(fread(text, 1, len, f), len);
    fclose(f);
    snprintf(path, sizeof(path), "%s/cassette.ndjson", dir);
    f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    fwrite(text, 1, len, f);
    for (i = 0; i < 2; i++)
        fputs(recorded[i], f);
    ck_assert_int_eq(fclose(f), 0);
    free(text);
}

/* Runs the fixture with rebase_time and the API on, against the
 * consumer; fills seen[] and extra. Returns the run's exit code. */
static int run_rebased(void)
{
    char *dir = t_tmpdir(), path[1024], out[1024], json[2048], seed[256];
    char *argv[] = {HR_BIN, "run", path, "--out", out, "--quiet", NULL};
    struct MHD_Daemon *d;
    struct t_result r;
    int port, code;

    write_cassette(dir);
    snprintf(seed, sizeof(seed),
             "{\"objects\":[{\"id\":\"prod_1\",\"object\":\"product\","
             "\"created\":%lld,\"name\":\"created 1590000000\"}]}",
             SEED_CREATED);
    snprintf(path, sizeof(path), "%s/seed.json", dir);
    ck_assert_int_eq(t_write_file(path, seed, strlen(seed)), 0);
    d = consumer_start(&port);
    api_port = t_unused_port();
    snprintf(path, sizeof(path), "%s/scenario.json", dir);
    snprintf(out, sizeof(out), "%s/out", dir);
    snprintf(json, sizeof(json),
             "{\"hookreplay\":\"scenario\",\"version\":1,"
             "\"cassette\":\"cassette.ndjson\",\"seed\":5,"
             "\"targets\":{\"stripe\":{\"url\":"
             "\"http://127.0.0.1:%d/webhooks/stripe\"}},"
             "\"replay\":{\"pacing\":\"asap\",\"rebase_time\":true},"
             "\"api\":{\"listen\":\"127.0.0.1:%d\","
             "\"seed_data\":\"seed.json\"}}",
             port, api_port);
    ck_assert_int_eq(t_write_file(path, json, strlen(json)), 0);
    ck_assert_int_eq(t_run(&r, argv, env_secret, NULL, 120000), 0);
    code = r.exit_code;
    ck_assert_msg(code == 0, "run failed (%d): %s", code, r.err);
    t_result_free(&r);
    MHD_stop_daemon(d);
    free(dir);
    return code;
}

static const cJSON *data_object(const cJSON *ev)
{
    return cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(ev, "data"), "object");
}

/* The shift the run applied, read off the first event's webhook. */
static int64_t shift_seen(void)
{
    int i;

    for (i = 0; i < n_seen; i++) {
        cJSON *j = cJSON_Parse(seen[i].body);
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(j, "id");
        int64_t d = -1;

        if (cJSON_IsString(id) && strcmp(id->valuestring, FIRST_EVENT_ID) == 0)
            d = num_at(j, "created", NULL) - FIRST_CREATED;
        cJSON_Delete(j);
        if (d >= 0)
            return d;
    }
    ck_abort_msg("the first event was never delivered");
    return 0;
}

static void check_one(const struct seen *s)
{
    cJSON *hook = cJSON_Parse(s->body), *ev = cJSON_Parse(s->event);
    cJSON *obj = cJSON_Parse(s->object);
    const cJSON *hobj = data_object(hook);

    ck_assert_ptr_nonnull(hook);
    ck_assert_int_eq(s->event_status, 200);
    ck_assert_int_eq(s->object_status, 200);
    /* The API's event is the webhook's, times and all. */
    ck_assert_msg(cJSON_Compare(hook, ev, 1), "event differs: %s vs %s",
                  s->body, s->event);
    ck_assert_int_eq(num_at(hook, "created", NULL),
                     num_at(ev, "created", NULL));
    /* The object as of now has the creation time the webhook carried. */
    ck_assert_int_eq(num_at(hobj, "created", NULL),
                     num_at(obj, "created", NULL));
    ck_assert_int_gt(num_at(obj, "created", NULL), 0);
    cJSON_Delete(hook);
    cJSON_Delete(ev);
    cJSON_Delete(obj);
}

START_TEST(api_events_and_objects_carry_the_webhook_rebased_times)
{
    int64_t delta, before = (int64_t)time(NULL), after;
    cJSON *last = NULL;
    int i;

    ck_assert_int_eq(run_rebased(), 0);
    after = (int64_t)time(NULL);
    ck_assert_int_eq(n_seen, 31);
    delta = shift_seen();
    /* The last event lands at the start of the run, which is in between. */
    ck_assert_msg(
        LAST_CREATED + delta >= before && LAST_CREATED + delta <= after,
        "last event at %lld, run between %lld and %lld",
        (long long)(LAST_CREATED + delta), (long long)before, (long long)after);
    for (i = 0; i < n_seen; i++) {
        check_one(&seen[i]);
        if (strstr(seen[i].body, LAST_EVENT_ID))
            last = cJSON_Parse(seen[i].object);
    }
    /* A subscription's period fields moved as well (kept when deleted). */
    ck_assert_ptr_nonnull(last);
    ck_assert_int_eq(num_at(last, "current_period_end", NULL),
                     LAST_CREATED + delta);
    cJSON_Delete(last);
}
END_TEST

START_TEST(created_filters_apply_to_the_rebased_times)
{
    const char *want[] = {LAST_EVENT_ID, "evt_1H3vcZSU4iL2ub5UzS8sSG5j",
                          "evt_1HwcG2OXZnoS3iB3jege0JKZ"};
    cJSON *list, *data, *e;
    int64_t delta;
    int i = 0;

    ck_assert_int_eq(run_rebased(), 0);
    delta = shift_seen();
    ck_assert_int_eq(extra.since_status, 200);
    list = cJSON_Parse(extra.since);
    data = cJSON_GetObjectItemCaseSensitive(list, "data");
    ck_assert_int_eq(cJSON_GetArraySize(data), 3);
    cJSON_ArrayForEach(e, data)
    {
        ck_assert_str_eq(cJSON_GetObjectItem(e, "id")->valuestring, want[i++]);
        ck_assert_int_ge(num_at(e, "created", NULL), GTE_CREATED + delta);
    }
    cJSON_Delete(list);
}
END_TEST

START_TEST(recorded_answers_and_seed_objects_are_shifted_too)
{
    cJSON *txn, *payouts, *product;
    const cJSON *po;
    int64_t delta;

    ck_assert_int_eq(run_rebased(), 0);
    delta = shift_seen();
    ck_assert_int_gt(delta, 0);
    ck_assert_int_eq(extra.txn_status, 200);
    txn = cJSON_Parse(extra.txn);
    ck_assert_int_eq(num_at(txn, "created", NULL), TXN_CREATED + delta);
    ck_assert_int_eq(num_at(txn, "available_on", NULL), TXN_AVAILABLE + delta);
    /* Only named time fields move: an amount equal to a time stays. */
    ck_assert_int_eq(num_at(txn, "amount", NULL), TXN_CREATED);
    /* The recorded answer keeps its layout: only the values changed. */
    ck_assert_ptr_nonnull(strstr(extra.txn, "{\n  \"id\": \"txn_1\""));
    ck_assert_int_eq(extra.payouts_status, 200);
    payouts = cJSON_Parse(extra.payouts);
    po = cJSON_GetArrayItem(cJSON_GetObjectItem(payouts, "data"), 0);
    ck_assert_int_eq(num_at(po, "created", NULL), PAYOUT_CREATED + delta);
    ck_assert_int_eq(num_at(po, "arrival_date", NULL), PAYOUT_ARRIVAL + delta);
    /* The recorded filter moved with the times: the old value is gone. */
    ck_assert_int_eq(extra.payouts_old_status, 404);
    ck_assert_int_eq(extra.product_status, 200);
    product = cJSON_Parse(extra.product);
    ck_assert_int_eq(num_at(product, "created", NULL), SEED_CREATED + delta);
    ck_assert_str_eq(cJSON_GetObjectItem(product, "name")->valuestring,
                     "created 1590000000");
    cJSON_Delete(txn);
    cJSON_Delete(payouts);
    cJSON_Delete(product);
}
END_TEST

START_TEST(serve_alone_rebases_to_the_moment_it_starts)
{
    char *dir = t_tmpdir(), path[1024], json[512], url[256];
    char sum[1024];
    char *argv[] = {HR_BIN,        "serve",     path, "--listen",
                    "127.0.0.1:0", "--summary", sum,  NULL};
    struct t_server srv;
    int64_t before = (int64_t)time(NULL), delta;
    cJSON *first, *last, *txn;

    write_cassette(dir);
    snprintf(sum, sizeof(sum), "%s/summary.json", dir);
    snprintf(path, sizeof(path), "%s/scenario.json", dir);
    snprintf(json, sizeof(json),
             "{\"hookreplay\":\"scenario\",\"version\":1,"
             "\"cassette\":\"cassette.ndjson\","
             "\"targets\":{\"stripe\":{\"url\":\"http://127.0.0.1:9/\"}},"
             "\"replay\":{\"speed\":1000,\"rebase_time\":true},"
             "\"api\":{}}");
    ck_assert_int_eq(t_write_file(path, json, strlen(json)), 0);
    ck_assert_int_eq(t_server_start(&srv, argv, NULL, 10000), 0);
    usleep(300000); /* every event visible: 18.6 s at speed 1000 */
    snprintf(url, sizeof(url), "%s/v1/events/%s", srv.url, LAST_EVENT_ID);
    last = t_http_get_json(url);
    snprintf(url, sizeof(url), "%s/v1/events/%s", srv.url, FIRST_EVENT_ID);
    first = t_http_get_json(url);
    snprintf(url, sizeof(url), "%s/v1/balance_transactions/txn_1", srv.url);
    txn = t_http_get_json(url);
    t_server_stop(&srv);
    ck_assert_ptr_nonnull(last);
    delta = num_at(last, "created", NULL) - LAST_CREATED;
    ck_assert(LAST_CREATED + delta >= before &&
              LAST_CREATED + delta <= (int64_t)time(NULL));
    ck_assert_int_eq(num_at(first, "created", NULL), FIRST_CREATED + delta);
    ck_assert_int_eq(num_at(data_object(first), "created", NULL),
                     FIRST_CREATED + delta);
    ck_assert_int_eq(num_at(txn, "created", NULL), TXN_CREATED + delta);
    cJSON_Delete(first);
    cJSON_Delete(last);
    cJSON_Delete(txn);
    free(dir);
}
END_TEST

START_TEST(a_cassette_without_event_times_warns_that_nothing_moves)
{
    char *dir = t_tmpdir(), cas[512], json[2048], *out;
    char *env[] = {"HOOKREPLAY_SECRET=rebase-warn", NULL};
    struct t_server srv;
    struct t_result r;
    cJSON *st;

    snprintf(cas, sizeof(cas), "%s/gh.ndjson", dir);
    ck_assert_int_eq(
        t_write_file(cas, t_github_one_delivery, strlen(t_github_one_delivery)),
        0);
    t_target_start(&srv, "correct", "github", NULL, env);
    snprintf(json, sizeof(json),
             "{\"hookreplay\":\"scenario\",\"version\":1,"
             "\"cassette\":\"%s\",\"targets\":{\"e\":{\"url\":"
             "\"%s/webhooks/github\"}},\"replay\":{\"pacing\":\"asap\","
             "\"rebase_time\":true,\"handshake\":false}}",
             cas, srv.url);
    out = t_run_scenario(&r, json, env, 60000);
    /* the delivery still goes out, unshifted, and the user is told */
    ck_assert_msg(r.exit_code == 0, "exit %d: %s", r.exit_code, r.err);
    ck_assert_msg(strstr(r.err, "rebase_time: no event in the cassette"), "%s",
                  r.err);
    st = t_target_state(&srv);
    ck_assert_int_eq(t_json_num(st, "processed"), 1);
    cJSON_Delete(st);
    t_result_free(&r);
    t_server_stop(&srv);
    free(out);
    free(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("rebase_api");
    TCase *tc = tcase_create("rebase_api");

    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, api_events_and_objects_carry_the_webhook_rebased_times);
    tcase_add_test(tc, created_filters_apply_to_the_rebased_times);
    tcase_add_test(tc, recorded_answers_and_seed_objects_are_shifted_too);
    tcase_add_test(tc, serve_alone_rebases_to_the_moment_it_starts);
    tcase_add_test(tc, a_cassette_without_event_times_warns_that_nothing_moves);
    suite_add_tcase(s, tc);
    return t_run_suite(s);
}
