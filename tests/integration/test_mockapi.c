/* SPDX-License-Identifier: MIT */
/*
 * The mock provider API end to end: `hookreplay serve` on 127.0.0.1 and
 * real libcurl clients paging, reading objects, meeting faults, and the
 * journal counting what they did.
 */
#include "cassette.h"
#include "support.h"

#include <check.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define STRIPE_CASSETTE HR_SRC_DIR "/fixtures/stripe-lifecycle.ndjson"
#define KEY "sk_test_mock_4242424242"
#define N_EVENTS 31

static char *env_key[] = {"HR_TEST_API_KEY=" KEY, NULL};

/* One HTTP exchange as a libcurl client saw it. */
struct resp {
    CURLcode rc;
    long status;
    char *body;
    size_t len;
    char retry_after[32];
    char should_retry[16];
    double secs;
};

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    struct resp *r = ud;

    t_buf_append(&r->body, &r->len, p, size * n);
    return size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    struct resp *r = ud;

    if (strncasecmp(p, "Retry-After:", 12) == 0)
        sscanf(p + 12, " %31s", r->retry_after);
    if (strncasecmp(p, "Stripe-Should-Retry:", 20) == 0)
        sscanf(p + 20, " %15s", r->should_retry);
    return size * n;
}

/* GET base+path with a key (NULL: none) and a timeout. */
static struct resp get(const struct t_server *s, const char *path,
                       const char *auth, long timeout_ms)
{
    struct resp r = {0};
    CURL *c = curl_easy_init();
    struct curl_slist *h = NULL;
    char url[512], hdr[256];

    snprintf(url, sizeof(url), "%s%s", s->url, path);
    if (auth) {
        snprintf(hdr, sizeof(hdr), "Authorization: %s", auth);
        h = curl_slist_append(h, hdr);
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
    r.rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    curl_easy_getinfo(c, CURLINFO_TOTAL_TIME, &r.secs);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return r;
}

static struct resp aget(const struct t_server *s, const char *path)
{
    return get(s, path, "Bearer " KEY, 5000);
}

static cJSON *json_of(const struct resp *r)
{
    cJSON *j = r->body ? cJSON_Parse(r->body) : NULL;

    ck_assert_msg(j != NULL, "not JSON: %.200s", r->body ? r->body : "");
    return j;
}

/* Writes a scenario; api is the JSON of its "api" section. */
static char *scenario(const char *dir, const char *cassette, double speed,
                      const char *api)
{
    static char path[512];
    char text[4096];

    snprintf(path, sizeof(path), "%s/scenario.json", dir);
    snprintf(text, sizeof(text),
             "{\"hookreplay\":\"scenario\",\"version\":1,"
             "\"cassette\":\"%s\",\"seed\":7,"
             "\"targets\":{\"stripe\":{\"url\":\"http://127.0.0.1:9/\"}},"
             "\"replay\":{\"speed\":%g},\"api\":%s}",
             cassette, speed, api);
    ck_assert_int_eq(t_write_file(path, text, strlen(text)), 0);
    return path;
}

static void serve(struct t_server *s, const char *scn, const char *summary)
{
    char *argv[] = {HR_BIN,          "serve",
                    (char *)scn,     "--listen",
                    "127.0.0.1:0",   summary ? "--summary" : NULL,
                    (char *)summary, NULL};

    ck_assert_int_eq(t_server_start(s, argv, env_key, 10000), 0);
}

static void serve_api(struct t_server *s, double speed, const char *api)
{
    char *dir = t_tmpdir();

    serve(s, scenario(dir, STRIPE_CASSETTE, speed, api), NULL);
    free(dir);
}

#define PLAIN_API "{\"key_env\":\"HR_TEST_API_KEY\"}"

/* Cassette event ids in recorded order, and their types. */
static int cassette_events(char ids[][64], char types[][64])
{
    struct hr_err err;
    struct hr_cassette_reader *r = hr_cassette_open(STRIPE_CASSETTE, &err);
    struct hr_interaction it;
    int n = 0;

    ck_assert_ptr_nonnull(r);
    hr_interaction_init(&it);
    while (hr_cassette_next(r, &it, &err) == 1) {
        snprintf(ids[n], 64, "%s", it.event.id);
        snprintf(types[n++], 64, "%s", it.event.type);
    }
    hr_interaction_clear(&it);
    hr_cassette_close(r);
    return n;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Sleeps until t_ms (now_ms). A server's clock starts before it says it
 * is ready, so a wait for its time to pass counts from that moment.
 */
static void sleep_until(long long t_ms)
{
    long long left = t_ms - now_ms();

    if (left > 0)
        sleep_ms((long)left);
}

/* Walks /v1/events newest first; returns how many ids it saw. */
static int walk_back(const struct t_server *s, const char *filter,
                     char seen[][64])
{
    char path[256], last[64] = "";
    int n = 0, more = 1;

    while (more) {
        struct resp r;
        cJSON *j, *it;

        snprintf(path, sizeof(path), "/v1/events?limit=4%s%s%s", filter,
                 last[0] ? "&starting_after=" : "", last);
        r = aget(s, path);
        ck_assert_int_eq(r.status, 200);
        j = json_of(&r);
        ck_assert_str_eq(cJSON_GetObjectItem(j, "object")->valuestring, "list");
        cJSON_ArrayForEach(it, cJSON_GetObjectItem(j, "data"))
        {
            snprintf(seen[n++], 64, "%s",
                     cJSON_GetObjectItem(it, "id")->valuestring);
            snprintf(last, sizeof(last), "%s", seen[n - 1]);
        }
        more = cJSON_IsTrue(cJSON_GetObjectItem(j, "has_more"));
        cJSON_Delete(j);
        free(r.body);
        ck_assert_int_le(n, N_EVENTS);
    }
    return n;
}

/* Walks forward from the oldest with ending_before. */
static int walk_forward(const struct t_server *s, const char *oldest,
                        char seen[][64])
{
    char path[256], first[64];
    int n = 0, more = 1;

    snprintf(first, sizeof(first), "%s", oldest);
    while (more) {
        struct resp r;
        cJSON *j, *data;
        int k, cnt;

        snprintf(path, sizeof(path), "/v1/events?limit=5&ending_before=%s",
                 first);
        r = aget(s, path);
        ck_assert_int_eq(r.status, 200);
        j = json_of(&r);
        data = cJSON_GetObjectItem(j, "data");
        cnt = cJSON_GetArraySize(data);
        /* A page is newest first: walk it backwards to go forward. */
        for (k = cnt - 1; k >= 0; k--)
            snprintf(seen[n++], 64, "%s",
                     cJSON_GetObjectItem(cJSON_GetArrayItem(data, k), "id")
                         ->valuestring);
        if (cnt)
            snprintf(first, sizeof(first), "%s", seen[n - 1]);
        more = cJSON_IsTrue(cJSON_GetObjectItem(j, "has_more"));
        cJSON_Delete(j);
        free(r.body);
        ck_assert_int_le(n, N_EVENTS);
    }
    return n;
}

START_TEST(pagination_walks_every_event_once_in_both_directions)
{
    static char ids[64][64], types[64][64], back[64][64], fwd[64][64];
    struct t_server s;
    int n = cassette_events(ids, types), i, got, want;

    serve_api(&s, 10000, PLAIN_API);
    sleep_ms(200);
    ck_assert_int_eq(n, N_EVENTS);
    ck_assert_int_eq(walk_back(&s, "", back), n);
    for (i = 0; i < n; i++)
        ck_assert_str_eq(back[i], ids[n - 1 - i]);
    ck_assert_int_eq(walk_forward(&s, ids[0], fwd), n - 1);
    for (i = 0; i < n - 1; i++)
        ck_assert_str_eq(fwd[i], ids[i + 1]);
    got = walk_back(&s, "&type=invoice.*", back);
    for (i = 0, want = 0; i < n; i++)
        want += strncmp(types[i], "invoice.", 8) == 0;
    ck_assert_int_eq(got, want);
    ck_assert_int_gt(want, 3);
    for (i = 0; i < got; i++)
        ck_assert_int_eq(strncmp(back[i], "evt_", 4), 0);
    got = walk_back(&s, "&type=customer.subscription.deleted", back);
    ck_assert_int_eq(got, 1);
    ck_assert_str_eq(back[0], ids[n - 1]);
    t_server_stop(&s);
}
END_TEST

static int visible_count(const struct t_server *s)
{
    struct resp r = aget(s, "/v1/events?limit=100");
    cJSON *j = json_of(&r);
    int n = cJSON_GetArraySize(cJSON_GetObjectItem(j, "data"));

    cJSON_Delete(j);
    free(r.body);
    return n;
}

START_TEST(events_appear_at_their_time_and_not_before)
{
    struct t_server s;
    struct resp r;
    long long ready;

    /* speed 0.25: events at 0, 3436, 4024, 4496 ms, then 8184 ms; wide
     * windows for both checks, however slowly the server starts. */
    serve_api(&s, 0.25, PLAIN_API);
    ready = now_ms();
    ck_assert_int_eq(visible_count(&s), 1);
    r = aget(&s, "/v1/payment_intents/pi_fakefakefakefakefake0002");
    ck_assert_int_eq(r.status, 404);
    free(r.body);
    sleep_until(ready + 4600);
    ck_assert_int_eq(visible_count(&s), 4);
    r = aget(&s, "/v1/payment_intents/pi_fakefakefakefakefake0002");
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_nonnull(strstr(r.body, "\"status\":\"succeeded\""));
    free(r.body);
    t_server_stop(&s);
}
END_TEST

START_TEST(objects_carry_their_latest_state_and_lists_filter)
{
    struct t_server s;
    struct resp r;
    cJSON *j, *d;

    serve_api(&s, 10000, PLAIN_API);
    sleep_ms(200);
    r = aget(&s, "/v1/subscriptions/sub_fakefakefakefakefake0001");
    ck_assert_int_eq(r.status, 200);
    j = json_of(&r);
    ck_assert_str_eq(cJSON_GetObjectItem(j, "status")->valuestring, "canceled");
    cJSON_Delete(j);
    free(r.body);
    r = aget(&s, "/v1/subscriptions");
    j = json_of(&r);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "data")), 0);
    cJSON_Delete(j);
    free(r.body);
    r = aget(&s, "/v1/subscriptions?status=all&customer=cus_6lsBvm5rJ0zyHc");
    j = json_of(&r);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "data")), 1);
    cJSON_Delete(j);
    free(r.body);
    r = aget(&s, "/v1/invoices?limit=1");
    j = json_of(&r);
    d = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "data"), 0);
    ck_assert_str_eq(cJSON_GetObjectItem(d, "id")->valuestring,
                     "in_fakefakefakefakefake0002");
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(j, "has_more")));
    ck_assert_str_eq(cJSON_GetObjectItem(j, "url")->valuestring,
                     "/v1/invoices");
    cJSON_Delete(j);
    free(r.body);
    r = aget(&s, "/v1/invoices?created[lt]=1601000000");
    j = json_of(&r);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "data")), 1);
    cJSON_Delete(j);
    free(r.body);
    r = aget(&s, "/v1/invoices/in_fakefakefakefakefake0001/lines");
    j = json_of(&r);
    d = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "data"), 0);
    ck_assert_str_eq(cJSON_GetObjectItem(d, "object")->valuestring,
                     "line_item");
    cJSON_Delete(j);
    free(r.body);
    r = aget(&s, "/v1/subscription_items?subscription="
                 "sub_fakefakefakefakefake0001");
    j = json_of(&r);
    d = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "data"), 0);
    ck_assert_str_eq(cJSON_GetObjectItem(d, "object")->valuestring,
                     "subscription_item");
    cJSON_Delete(j);
    free(r.body);
    t_server_stop(&s);
}
END_TEST

/* The member key of o, which the test requires to be an object. */
static const cJSON *obj_at(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItem(o, key);

    ck_assert_msg(cJSON_IsObject(v), "%s is not expanded", key);
    return v;
}

START_TEST(expand_replaces_ids_with_their_objects_as_stripe_does)
{
    struct t_server s;
    struct resp r;
    cJSON *j;
    const cJSON *d, *pi;

    serve_api(&s, 10000, PLAIN_API);
    sleep_ms(200);
    /* both forms clients send, nested one level */
    r = aget(&s, "/v1/invoices/in_fakefakefakefakefake0002"
                 "?expand[]=customer&expand[0]=payment_intent.customer");
    ck_assert_int_eq(r.status, 200);
    j = json_of(&r);
    ck_assert_str_eq(
        cJSON_GetObjectItem(obj_at(j, "customer"), "id")->valuestring,
        "cus_6lsBvm5rJ0zyHc");
    pi = obj_at(j, "payment_intent");
    ck_assert_str_eq(cJSON_GetObjectItem(pi, "object")->valuestring,
                     "payment_intent");
    ck_assert_str_eq(
        cJSON_GetObjectItem(obj_at(pi, "customer"), "object")->valuestring,
        "customer");
    /* not asked for: still an id */
    ck_assert(cJSON_IsString(cJSON_GetObjectItem(j, "subscription")));
    cJSON_Delete(j);
    free(r.body);
    /* on a list, through data */
    r = aget(&s, "/v1/invoices?expand[]=data.subscription");
    j = json_of(&r);
    ck_assert_int_ge(cJSON_GetArraySize(cJSON_GetObjectItem(j, "data")), 2);
    cJSON_ArrayForEach(d, cJSON_GetObjectItem(j, "data"))
    {
        ck_assert_str_eq(
            cJSON_GetObjectItem(obj_at(d, "subscription"), "id")->valuestring,
            "sub_fakefakefakefakefake0001");
    }
    cJSON_Delete(j);
    free(r.body);
    /* a number, or a member that is not there, cannot be expanded */
    r = aget(&s, "/v1/invoices/in_fakefakefakefakefake0002"
                 "?expand[]=customer&expand[1]=amount_due");
    ck_assert_int_eq(r.status, 400);
    ck_assert_msg(strstr(r.body, "cannot be expanded (amount_due)") &&
                      strstr(r.body, "\"param\":\"expand[1]\"") &&
                      strstr(r.body, "invalid_request_error"),
                  "%s", r.body);
    free(r.body);
    r = aget(&s, "/v1/customers/cus_6lsBvm5rJ0zyHc?expand[]=nope");
    ck_assert_int_eq(r.status, 400);
    free(r.body);
    t_server_stop(&s);
}
END_TEST

/* One cassette line: Stripe event evt_xSEQ at 0 ms carrying obj. */
static void event_line(FILE *f, int seq, const char *type, const char *obj)
{
    char id[32], body[1024];
    cJSON *line = cJSON_CreateObject(), *ev, *rq, *o = cJSON_Parse(obj);
    char *text;

    ck_assert_ptr_nonnull(o);
    snprintf(id, sizeof(id), "evt_x%d", seq);
    snprintf(body, sizeof(body),
             "{\"id\":\"%s\",\"object\":\"event\",\"type\":\"%s\","
             "\"created\":%d,\"data\":{\"object\":%s}}",
             id, type, 1700000000 + seq, obj);
    cJSON_AddNumberToObject(line, "seq", seq);
    cJSON_AddNumberToObject(line, "at_ms", 0);
    cJSON_AddStringToObject(line, "kind", "webhook");
    cJSON_AddStringToObject(line, "endpoint", "stripe");
    ev = cJSON_AddObjectToObject(line, "event");
    cJSON_AddStringToObject(ev, "id", id);
    cJSON_AddStringToObject(ev, "type", type);
    cJSON_AddStringToObject(ev, "object",
                            cJSON_GetObjectItem(o, "id")->valuestring);
    cJSON_AddNumberToObject(ev, "created", 1700000000 + seq);
    rq = cJSON_AddObjectToObject(line, "request");
    cJSON_AddStringToObject(rq, "method", "POST");
    cJSON_AddStringToObject(rq, "path", "/h");
    cJSON_AddStringToObject(rq, "query", "");
    cJSON_AddArrayToObject(rq, "headers");
    cJSON_AddStringToObject(rq, "body", body);
    text = cJSON_PrintUnformatted(line);
    ck_assert_ptr_nonnull(text);
    fprintf(f, "%s\n", text);
    cJSON_free(text);
    cJSON_Delete(line);
    cJSON_Delete(o);
}

/* Two discounts and an invoice whose discounts list names both. */
static char *discount_cassette(const char *dir)
{
    static char path[512];
    FILE *f;

    snprintf(path, sizeof(path), "%s/discounts.ndjson", dir);
    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("{\"hookreplay\":\"cassette\",\"version\":1,\"endpoints\":"
          "{\"stripe\":{\"profile\":\"stripe\"}}}\n",
          f);
    event_line(f, 1, "customer.discount.created",
               "{\"id\":\"di_1\",\"object\":\"discount\",\"coupon\":\"co_1\"}");
    event_line(f, 2, "customer.discount.created",
               "{\"id\":\"di_2\",\"object\":\"discount\",\"coupon\":\"co_1\"}");
    event_line(f, 3, "invoice.created",
               "{\"id\":\"in_1\",\"object\":\"invoice\",\"amount_due\":5,"
               "\"customer\":\"cus_unknown\","
               "\"discounts\":[\"di_1\",\"di_2\"]}");
    ck_assert_int_eq(fclose(f), 0);
    return path;
}

/* 1 when every byte of s is printable ASCII or a line end. */
static int ascii_text(const char *s)
{
    for (; *s; s++)
        if ((*s < 0x20 || *s >= 0x7f) && *s != '\n')
            return 0;
    return 1;
}

START_TEST(expand_takes_lists_of_ids_and_refuses_what_stripe_refuses)
{
    struct t_server s;
    char *dir = t_tmpdir(), q[1024];
    struct resp r;
    cJSON *j;
    const cJSON *d;
    int i, n = 0;

    serve(&s, scenario(dir, discount_cassette(dir), 10000, PLAIN_API), NULL);
    sleep_ms(200);
    /* a list of ids, as invoice.discounts: each id becomes its object */
    r = aget(&s, "/v1/invoices/in_1?expand[]=discounts");
    ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
    j = json_of(&r);
    cJSON_ArrayForEach(d, cJSON_GetObjectItem(j, "discounts"))
    {
        ck_assert_str_eq(cJSON_GetObjectItem(d, "object")->valuestring,
                         "discount");
        n++;
    }
    ck_assert_int_eq(n, 2);
    ck_assert_str_eq(cJSON_GetObjectItem(j, "customer")->valuestring,
                     "cus_unknown");
    cJSON_Delete(j);
    free(r.body);
    /* an object's own id is no reference: it would nest the object in
     * itself */
    r = aget(&s, "/v1/invoices/in_1?expand[]=id");
    ck_assert_int_eq(r.status, 400);
    ck_assert_msg(strstr(r.body, "cannot be expanded (id)"), "%s", r.body);
    free(r.body);
    /* five levels is one too many */
    r = aget(&s, "/v1/invoices/in_1?expand[]=discounts.coupon.a.b.c");
    ck_assert_int_eq(r.status, 400);
    ck_assert_msg(strstr(r.body, "4 levels"), "%s", r.body);
    free(r.body);
    /* twenty paths are taken; a bad one past twenty is not ignored */
    snprintf(q, sizeof(q), "/v1/invoices/in_1?x=1");
    for (i = 0; i < 20; i++)
        strcat(q, "&expand[]=discounts");
    r = aget(&s, q);
    ck_assert_int_eq(r.status, 200);
    free(r.body);
    strcat(q, "&expand[]=amount_due");
    r = aget(&s, q);
    ck_assert_int_eq(r.status, 400);
    ck_assert_msg(strstr(r.body, "\"param\":\"expand\""), "%s", r.body);
    free(r.body);
    /* request bytes that are not text do not reach the answer raw */
    r = aget(&s, "/v1/invoices/in_1?expand[]=%ff%fe%01");
    ck_assert_int_eq(r.status, 400);
    ck_assert_msg(ascii_text(r.body), "%s", r.body);
    cJSON_Delete(json_of(&r));
    free(r.body);
    t_server_stop(&s);
    free(dir);
}
END_TEST

/* A two-event cassette: a product is created, then deleted at 300 ms,
 * plus one recorded API call. */
static char *product_cassette(const char *dir)
{
    static char path[512];
    static const char text[] =
        "{\"hookreplay\":\"cassette\",\"version\":1,\"endpoints\":"
        "{\"stripe\":{\"profile\":\"stripe\"}}}\n"
        "{\"seq\":1,\"at_ms\":0,\"kind\":\"webhook\",\"endpoint\":\"stripe\","
        "\"event\":{\"id\":\"evt_p1\",\"type\":\"product.created\","
        "\"object\":\"prod_1\",\"created\":1700000000},"
        "\"request\":{\"method\":\"POST\",\"path\":\"/h\",\"query\":\"\","
        "\"headers\":[],\"body\":\"{\\\"id\\\":\\\"evt_p1\\\",\\\"object\\\":"
        "\\\"event\\\",\\\"type\\\":\\\"product.created\\\",\\\"created\\\":"
        "1700000000,\\\"data\\\":{\\\"object\\\":{\\\"id\\\":\\\"prod_1\\\","
        "\\\"object\\\":\\\"product\\\",\\\"active\\\":true}}}\"}}\n"
        "{\"seq\":2,\"at_ms\":300,\"kind\":\"webhook\",\"endpoint\":"
        "\"stripe\",\"event\":{\"id\":\"evt_p2\",\"type\":"
        "\"product.deleted\",\"object\":\"prod_1\",\"created\":1700000001},"
        "\"request\":{\"method\":\"POST\",\"path\":\"/h\",\"query\":\"\","
        "\"headers\":[],\"body\":\"{\\\"id\\\":\\\"evt_p2\\\",\\\"object\\\":"
        "\\\"event\\\",\\\"type\\\":\\\"product.deleted\\\",\\\"created\\\":"
        "1700000001,\\\"data\\\":{\\\"object\\\":{\\\"id\\\":\\\"prod_1\\\","
        "\\\"object\\\":\\\"product\\\",\\\"active\\\":false}}}\"}}\n"
        "{\"seq\":3,\"at_ms\":300,\"kind\":\"api\",\"endpoint\":\"stripe\","
        "\"request\":{\"method\":\"GET\",\"path\":\"/v1/balance\",\"query\":"
        "\"expand[]=x&a=1\",\"headers\":[],\"body\":\"\"},\"response\":"
        "{\"status\":200,\"ms\":3,\"headers\":[[\"Request-Id\",\"req_9\"]],"
        "\"body\":\"{\\\"object\\\":\\\"balance\\\"}\"}}\n";

    snprintf(path, sizeof(path), "%s/product.ndjson", dir);
    ck_assert_int_eq(t_write_file(path, text, strlen(text)), 0);
    return path;
}

START_TEST(deleted_objects_get_404_in_the_provider_shape)
{
    struct t_server s;
    char *dir = t_tmpdir();
    struct resp r;
    cJSON *j, *e;
    long long ready;

    /* speed 0.1: deleted 3 s in, time enough to see it first */
    serve(&s, scenario(dir, product_cassette(dir), 0.1, PLAIN_API), NULL);
    ready = now_ms();
    r = aget(&s, "/v1/products/prod_1");
    ck_assert_int_eq(r.status, 200);
    free(r.body);
    sleep_until(ready + 3200);
    r = aget(&s, "/v1/products/prod_1");
    ck_assert_int_eq(r.status, 404);
    j = json_of(&r);
    e = cJSON_GetObjectItem(j, "error");
    ck_assert_str_eq(cJSON_GetObjectItem(e, "code")->valuestring,
                     "resource_missing");
    ck_assert_str_eq(cJSON_GetObjectItem(e, "type")->valuestring,
                     "invalid_request_error");
    ck_assert_str_eq(cJSON_GetObjectItem(e, "param")->valuestring, "id");
    ck_assert_str_eq(cJSON_GetObjectItem(e, "message")->valuestring,
                     "No such product: 'prod_1'");
    cJSON_Delete(j);
    free(r.body);
    t_server_stop(&s);
    free(dir);
}
END_TEST

START_TEST(recorded_calls_are_served_and_unmatched_ones_journaled)
{
    struct t_server s;
    char *dir = t_tmpdir();
    char sum[512];
    struct resp r;
    cJSON *j;

    snprintf(sum, sizeof(sum), "%s/summary.json", dir);
    serve(&s, scenario(dir, product_cassette(dir), 1, PLAIN_API), sum);
    r = aget(&s, "/v1/balance?a=1&expand%5B%5D=x");
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.body, "{\"object\":\"balance\"}");
    free(r.body);
    r = aget(&s, "/v1/balance?a=2");
    ck_assert_int_eq(r.status, 404);
    ck_assert_ptr_nonnull(strstr(r.body, "Unrecognized request URL"));
    free(r.body);
    t_server_stop(&s);
    j = t_read_json(sum);
    ck_assert_ptr_nonnull(j);
    ck_assert_int_eq((int)t_json_num(j, "unmatched"), 1);
    ck_assert_int_eq((int)t_json_num(j, "calls"), 2);
    cJSON_Delete(j);
    free(dir);
}
END_TEST

START_TEST(wrong_or_missing_keys_get_401_and_basic_auth_works)
{
    struct t_server s;
    struct resp r;
    cJSON *j;
    char basic[128];
    char *b64 = hr_b64_encode((const unsigned char *)KEY ":", strlen(KEY ":"));

    serve_api(&s, 10000, PLAIN_API);
    r = get(&s, "/v1/events", NULL, 5000);
    ck_assert_int_eq(r.status, 401);
    j = json_of(&r);
    ck_assert_ptr_nonnull(
        strstr(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "error"), "message")
                   ->valuestring,
               "You did not provide an API key"));
    cJSON_Delete(j);
    free(r.body);
    r = get(&s, "/v1/events", "Bearer sk_test_wrong_000000001234", 5000);
    ck_assert_int_eq(r.status, 401);
    ck_assert_ptr_nonnull(strstr(r.body, "Invalid API Key provided"));
    ck_assert_ptr_null(strstr(r.body, "wrong_000000001234"));
    free(r.body);
    snprintf(basic, sizeof(basic), "Basic %s", b64);
    r = get(&s, "/v1/events", basic, 5000);
    ck_assert_int_eq(r.status, 200);
    free(r.body);
    hr_free(b64);
    t_server_stop(&s);
}
END_TEST

#define FAULT_API(rule)                                                        \
    "{\"key_env\":\"HR_TEST_API_KEY\",\"faults\":[" rule "]}"

START_TEST(latency_fault_delays_the_answer)
{
    struct t_server s;
    struct resp r;

    serve_api(&s, 10000,
              FAULT_API("{\"match\":{\"route\":\"/v1/customers/"
                        "*\"},\"action\":{\"latency\":{\"ms\":"
                        "2000}}}"));
    r = aget(&s, "/v1/customers/cus_6lsBvm5rJ0zyHc");
    ck_assert_int_eq(r.status, 200);
    ck_assert_msg(r.secs >= 1.99, "took %.3f s", r.secs);
    free(r.body);
    /* another route is not delayed: well under the 2 s, even when slow */
    r = aget(&s, "/v1/events?limit=1");
    ck_assert_int_eq(r.status, 200);
    ck_assert_msg(r.secs < 1.0, "took %.3f s", r.secs);
    free(r.body);
    t_server_stop(&s);
}
END_TEST

START_TEST(status_bursts_and_429_carry_the_provider_retry_headers)
{
    struct t_server s;
    struct resp r;
    int i;

    serve_api(&s, 10000,
              FAULT_API("{\"match\":{\"route\":\"/v1/events\",\"calls\":[2,"
                        "2]},\"action\":{\"status\":503,\"burst\":3}},"
                        "{\"match\":{\"route\":\"/v1/invoices\"},\"action\":"
                        "{\"status\":429,\"retry_after_s\":2}}"));
    for (i = 1; i <= 5; i++) {
        r = aget(&s, "/v1/events?limit=1");
        ck_assert_int_eq(r.status, i >= 2 && i <= 4 ? 503 : 200);
        if (r.status == 503)
            ck_assert_str_eq(r.should_retry, "true");
        free(r.body);
    }
    r = aget(&s, "/v1/invoices");
    ck_assert_int_eq(r.status, 429);
    ck_assert_str_eq(r.retry_after, "2");
    ck_assert_str_eq(r.should_retry, "true");
    ck_assert_ptr_nonnull(strstr(r.body, "\"code\":\"rate_limit\""));
    free(r.body);
    t_server_stop(&s);
}
END_TEST

START_TEST(hang_never_answers_and_reset_closes_without_an_answer)
{
    struct t_server s;
    struct resp r;

    serve_api(&s, 10000,
              FAULT_API("{\"match\":{\"route\":\"/v1/charges\"},\"action\":"
                        "{\"hang\":true}},{\"match\":{\"route\":\"/v1/"
                        "refunds\"},\"action\":{\"reset\":true}}"));
    r = aget(&s, "/v1/refunds");
    ck_assert_msg(r.rc == CURLE_GOT_NOTHING || r.rc == CURLE_RECV_ERROR,
                  "curl: %s", curl_easy_strerror(r.rc));
    free(r.body);
    r = get(&s, "/v1/charges", "Bearer " KEY, 700);
    ck_assert_int_eq(r.rc, CURLE_OPERATION_TIMEDOUT);
    free(r.body);
    r = aget(&s, "/v1/events?limit=1");
    ck_assert_int_eq(r.status, 200);
    free(r.body);
    t_server_stop(&s);
}
END_TEST

START_TEST(stale_reads_lag_behind_the_event)
{
    struct t_server s;
    struct resp r;
    long long ready;

    /* speed 0.25: the next event comes at 3436 ms */
    serve_api(&s, 0.25,
              FAULT_API("{\"match\":{\"route\":\"/v1/customers/*\"},"
                        "\"action\":{\"stale_ms\":2500}}"));
    ready = now_ms();
    /* The customer exists from 0 ms; with 2.5 s of lag it shows later. */
    r = aget(&s, "/v1/customers/cus_6lsBvm5rJ0zyHc");
    ck_assert_int_eq(r.status, 404);
    free(r.body);
    ck_assert_int_eq(visible_count(&s), 1);
    sleep_until(ready + 2700);
    r = aget(&s, "/v1/customers/cus_6lsBvm5rJ0zyHc");
    ck_assert_int_eq(r.status, 200);
    free(r.body);
    t_server_stop(&s);
}
END_TEST

START_TEST(pagination_shift_inserts_events_while_a_client_pages)
{
    struct t_server s;
    struct resp r;
    int before;

    serve_api(&s, 0.001,
              FAULT_API("{\"match\":{\"route\":\"/v1/events\",\"calls\":[2,"
                        "2]},\"action\":{\"pagination_shift\":{\"events\":"
                        "3}}}"));
    before = visible_count(&s);
    ck_assert_int_eq(before, 1);
    ck_assert_int_eq(visible_count(&s), 4);
    r = aget(&s, "/v1/payment_intents/pi_fakefakefakefakefake0002");
    ck_assert_int_eq(r.status, 200);
    free(r.body);
    t_server_stop(&s);
}
END_TEST

START_TEST(truncated_json_is_cut_short)
{
    struct t_server s;
    struct resp r, full;

    serve_api(
        &s, 10000,
        FAULT_API("{\"match\":{\"route\":\"/v1/customers/*\",\"calls\":"
                  "[1,1]},\"action\":{\"truncate\":{\"fraction\":0.5}}}"));
    sleep_ms(100);
    r = aget(&s, "/v1/customers/cus_6lsBvm5rJ0zyHc");
    full = aget(&s, "/v1/customers/cus_6lsBvm5rJ0zyHc");
    ck_assert_int_eq(r.rc, CURLE_OK);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(r.len, full.len / 2);
    ck_assert_int_eq(memcmp(r.body, full.body, r.len), 0);
    ck_assert_ptr_null(cJSON_Parse(r.body));
    free(r.body);
    free(full.body);
    t_server_stop(&s);
}
END_TEST

/*
 * calls_over_time: at most 120 buckets whose counts add up to the calls,
 * covering the 3.1 s pause, with calls on both sides of it.
 */
static void assert_calls_over_time(const cJSON *sum, int calls)
{
    const cJSON *o = cJSON_GetObjectItem(sum, "calls_over_time");
    const cJSON *counts = cJSON_GetObjectItem(o, "counts"), *c;
    double bucket_ms = t_json_num(o, "bucket_ms"), total = 0;
    int n = cJSON_GetArraySize(counts), nonzero = 0;

    ck_assert_msg(cJSON_IsArray(counts), "no calls_over_time.counts");
    ck_assert(bucket_ms >= 50);
    ck_assert_int_le(n, 120);
    ck_assert(n * bucket_ms >= 3100);
    cJSON_ArrayForEach(c, counts)
    {
        ck_assert(c->valuedouble >= 0);
        total += c->valuedouble;
        nonzero += c->valuedouble > 0;
    }
    ck_assert_int_eq((int)total, calls);
    ck_assert_int_ge(nonzero, 2);
}

START_TEST(journal_counts_match_the_requests_made)
{
    struct t_server s;
    char *dir = t_tmpdir();
    char api[1024], sum[512], jpath[512], *text = NULL;
    struct t_result tr;
    cJSON *j;
    int i;

    snprintf(jpath, sizeof(jpath), "%s/journal.ndjson", dir);
    snprintf(sum, sizeof(sum), "%s/summary.json", dir);
    snprintf(api, sizeof(api),
             "{\"key_env\":\"HR_TEST_API_KEY\",\"journal\":\"%s\","
             "\"faults\":[{\"match\":{\"route\":\"/v1/customers\",\"calls\":"
             "[1,2]},\"action\":{\"status\":429,\"retry_after_s\":3}}]}",
             jpath);
    serve(&s, scenario(dir, STRIPE_CASSETTE, 10000, api), sum);
    for (i = 0; i < 7; i++)
        free(aget(&s, "/v1/events?limit=2").body);
    free(aget(&s, "/v1/customers").body);
    /* too early: violated (3 s leave room for a slow client) */
    free(aget(&s, "/v1/customers").body);
    sleep_ms(3100);
    free(aget(&s, "/v1/customers").body); /* honoured */
    free(aget(&s, "/nowhere").body);
    t_server_stop(&s);
    j = t_read_json(sum);
    ck_assert_ptr_nonnull(j);
    ck_assert_int_eq((int)t_json_num(j, "calls"), 11);
    ck_assert_int_eq((int)t_json_num(j, "calls_with_faults"), 2);
    ck_assert_int_eq((int)t_json_num(j, "unmatched"), 1);
    ck_assert_int_eq((int)t_json_num(j, "retry_after.given"), 2);
    ck_assert_int_eq((int)t_json_num(j, "retry_after.honoured"), 1);
    ck_assert_int_eq((int)t_json_num(j, "retry_after.violated"), 1);
    ck_assert_int_eq(
        (int)t_json_num(j, "retry_after.violated_per_route./v1/customers"), 1);
    ck_assert_int_eq(
        cJSON_GetArraySize(cJSON_GetObjectItem(
            cJSON_GetObjectItem(j, "retry_after"), "violated_per_route")),
        1);
    ck_assert_int_eq((int)t_json_num(j, "calls_per_status.429"), 2);
    ck_assert(t_json_num(j, "polling_rate_per_s") > 0);
    assert_calls_over_time(j, 11);
    cJSON_Delete(j);
    {
        char *argv[] = {"wc", "-l", jpath, NULL};

        ck_assert_int_eq(t_run(&tr, argv, NULL, NULL, 5000), 0);
        ck_assert_int_eq(atoi(tr.out), 11);
        t_result_free(&tr);
    }
    free(text);
    free(dir);
}
END_TEST

START_TEST(hung_and_reset_calls_count_in_the_summary)
{
    struct t_server s;
    char *dir = t_tmpdir();
    char api[1024], sum[512], jpath[512];
    struct resp r;
    cJSON *j;

    snprintf(jpath, sizeof(jpath), "%s/journal.ndjson", dir);
    snprintf(sum, sizeof(sum), "%s/summary.json", dir);
    snprintf(api, sizeof(api),
             "{\"key_env\":\"HR_TEST_API_KEY\",\"journal\":\"%s\","
             "\"faults\":[{\"match\":{\"route\":\"/v1/charges\"},"
             "\"action\":{\"hang\":true}},{\"match\":{\"route\":"
             "\"/v1/refunds\"},\"action\":{\"reset\":true}}]}",
             jpath);
    serve(&s, scenario(dir, STRIPE_CASSETTE, 10000, api), sum);
    r = get(&s, "/v1/charges", "Bearer " KEY, 500);
    ck_assert_int_eq(r.rc, CURLE_OPERATION_TIMEDOUT);
    free(r.body);
    free(aget(&s, "/v1/refunds").body);
    free(aget(&s, "/v1/events?limit=1").body);
    t_server_stop(&s);
    j = t_read_json(sum);
    ck_assert_ptr_nonnull(j);
    ck_assert_int_eq((int)t_json_num(j, "calls"), 3);
    ck_assert_int_eq((int)t_json_num(j, "calls_per_route./v1/charges"), 1);
    ck_assert_int_eq((int)t_json_num(j, "calls_per_route./v1/refunds"), 1);
    ck_assert_int_eq((int)t_json_num(j, "calls_per_status.0"), 2);
    ck_assert_int_eq((int)t_json_num(j, "calls_per_status.200"), 1);
    ck_assert_int_eq((int)t_json_num(j, "calls_with_faults"), 2);
    ck_assert_int_eq((int)t_json_num(j, "faults.hang"), 1);
    ck_assert_int_eq((int)t_json_num(j, "faults.reset"), 1);
    {
        const cJSON *c, *o = cJSON_GetObjectItem(j, "calls_over_time");
        int total = 0;

        cJSON_ArrayForEach(c, cJSON_GetObjectItem(o, "counts"))
        {
            total += c->valueint;
        }
        ck_assert_int_eq(total, 3);
    }
    cJSON_Delete(j);
    {
        char *argv[] = {"grep", "-c", "\"status\":0,.*\"fault\":\"hang\"",
                        jpath, NULL};
        struct t_result tr;

        ck_assert_int_eq(t_run(&tr, argv, NULL, NULL, 5000), 0);
        ck_assert_int_eq(atoi(tr.out), 1);
        t_result_free(&tr);
    }
    free(dir);
}
END_TEST

START_TEST(malformed_requests_get_clean_4xx_and_serving_goes_on)
{
    struct t_server s;
    struct resp r;
    CURL *c;
    struct curl_slist *h = NULL;
    char *big = malloc(100001), url[256];
    long status = 0;

    serve_api(&s, 10000, PLAIN_API);
    r = aget(&s, "/v1/events?limit=abc");
    ck_assert_int_eq(r.status, 400);
    ck_assert_ptr_nonnull(strstr(r.body, "\"param\":\"limit\""));
    free(r.body);
    r = aget(&s, "/v1/events?limit=1000");
    ck_assert_int_eq(r.status, 400);
    free(r.body);
    r = aget(&s, "/v1/events?starting_after=evt_nope");
    ck_assert_int_eq(r.status, 404);
    free(r.body);
    r = aget(&s, "/v1/events?starting_after=a&ending_before=b");
    ck_assert_int_eq(r.status, 400);
    free(r.body);
    r = aget(&s, "/v1/invoices?created[gte]=yesterday");
    ck_assert_int_eq(r.status, 400);
    free(r.body);
    /* request bytes that are not text are not echoed into the JSON */
    r = aget(&s, "/v1/events?limit=%ff%fe1");
    ck_assert_int_eq(r.status, 400);
    ck_assert_msg(strstr(r.body, "Invalid integer: ??1"), "%s", r.body);
    free(r.body);
    r = aget(&s, "/no/such/route");
    ck_assert_int_eq(r.status, 404);
    free(r.body);
    memcpy(big, "X-Big: ", 7);
    memset(big + 7, 'a', 100000 - 7);
    big[100000] = '\0';
    h = curl_slist_append(h, big);
    c = curl_easy_init();
    snprintf(url, sizeof(url), "%s/v1/events", s.url);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
    memset(&r, 0, sizeof(r));
    curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    ck_assert_msg(status >= 400 && status < 500, "status %ld", status);
    curl_easy_cleanup(c);
    curl_slist_free_all(h);
    free(r.body);
    free(big);
    r = aget(&s, "/v1/events?limit=1");
    ck_assert_int_eq(r.status, 200);
    free(r.body);
    t_server_stop(&s);
}
END_TEST

/* Checks one journal line: its fields, and t_ms written as N.NNN. */
static void check_line(const char *line, const char *route, const char *path,
                       int status)
{
    cJSON *j = cJSON_Parse(line);
    const char *t = strstr(line, "\"t_ms\":");
    size_t digits;

    ck_assert_msg(j != NULL, "not JSON: %s", line);
    ck_assert_str_eq(cJSON_GetObjectItem(j, "method")->valuestring, "GET");
    ck_assert_str_eq(cJSON_GetObjectItem(j, "route")->valuestring, route);
    ck_assert_str_eq(cJSON_GetObjectItem(j, "path")->valuestring, path);
    ck_assert_int_eq(cJSON_GetObjectItem(j, "status")->valueint, status);
    ck_assert(cJSON_GetObjectItem(j, "latency_us")->valuedouble >= 0);
    ck_assert(cJSON_GetObjectItem(j, "t_ms")->valuedouble >= 0);
    ck_assert_ptr_null(cJSON_GetObjectItem(j, "fault"));
    ck_assert_ptr_nonnull(t);
    t += 7;
    digits = strspn(t, "0123456789");
    ck_assert_msg(digits > 0 && t[digits] == '.' &&
                      strspn(t + digits + 1, "0123456789") == 3 &&
                      t[digits + 4] == ',',
                  "t_ms not N.NNN: %.40s", t);
    cJSON_Delete(j);
}

START_TEST(journal_lines_carry_each_request_field)
{
    struct t_server s;
    char *dir = t_tmpdir();
    char api[768], jpath[512], *text, *line, *save = NULL;
    struct hr_err err;
    size_t len;

    snprintf(jpath, sizeof(jpath), "%s/journal.ndjson", dir);
    snprintf(api, sizeof(api),
             "{\"key_env\":\"HR_TEST_API_KEY\",\"journal\":\"%s\"}", jpath);
    serve(&s, scenario(dir, product_cassette(dir), 1, api), NULL);
    free(aget(&s, "/v1/balance?a=1&expand%5B%5D=x").body);
    free(aget(&s, "/say%22hi%22%01").body);
    free(aget(&s, "/v1/balance?a=1&expand%5B%5D=x").body);
    t_server_stop(&s);
    text = hr_read_file(jpath, &len, &err);
    ck_assert_ptr_nonnull(text);
    line = strtok_r(text, "\n", &save);
    ck_assert_ptr_nonnull(line);
    check_line(line, "recorded /v1/balance", "/v1/balance", 200);
    line = strtok_r(NULL, "\n", &save);
    ck_assert_ptr_nonnull(line);
    ck_assert_ptr_nonnull(strstr(line, "\"path\":\"/say\\\"hi\\\"\\u0001\""));
    check_line(line, "unmatched", "/say\"hi\"\x01", 404);
    line = strtok_r(NULL, "\n", &save);
    ck_assert_ptr_nonnull(line);
    check_line(line, "recorded /v1/balance", "/v1/balance", 200);
    ck_assert_ptr_null(strtok_r(NULL, "\n", &save));
    hr_free(text);
    free(dir);
}
END_TEST

/* One GET on handle c with an extra header of n bytes; the status. */
static long get_with_header(CURL *c, const char *url, size_t n)
{
    struct curl_slist *h = NULL;
    struct resp r = {0};
    char *line = malloc(n + 16);
    long status = 0;

    ck_assert_ptr_nonnull(line);
    memcpy(line, "X-Pad: ", 7);
    memset(line + 7, 'p', n);
    line[7 + n] = '\0';
    h = curl_slist_append(h, line);
    h = curl_slist_append(h, "Authorization: Bearer " KEY);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
    ck_assert_int_eq(curl_easy_perform(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    free(r.body);
    free(line);
    return status;
}

START_TEST(twelve_kb_of_headers_are_served_on_one_connection)
{
    struct t_server s;
    CURL *c = curl_easy_init();
    char url[256];
    long conns = -1;
    int i;

    serve_api(&s, 10000, PLAIN_API);
    snprintf(url, sizeof(url), "%s/v1/events?limit=2", s.url);
    for (i = 0; i < 4; i++)
        ck_assert_int_eq(get_with_header(c, url, i % 2 ? 100 : 12000), 200);
    curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &conns);
    ck_assert_int_eq(conns, 0); /* the last request reused the connection */
    ck_assert_int_eq(get_with_header(c, url, 30000), 431);
    curl_easy_cleanup(c);
    c = curl_easy_init();
    ck_assert_int_eq(get_with_header(c, url, 100), 200);
    curl_easy_cleanup(c);
    t_server_stop(&s);
}
END_TEST

/* A Standard Webhooks cassette of n events, 1 ms apart. */
static char *swh_cassette(const char *dir, int n)
{
    static char path[512];
    FILE *f;
    int i;

    snprintf(path, sizeof(path), "%s/swh.ndjson", dir);
    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("{\"hookreplay\":\"cassette\",\"version\":1,\"endpoints\":"
          "{\"e\":{\"profile\":\"standard-webhooks\"}}}\n",
          f);
    for (i = 0; i < n; i++)
        fprintf(f,
                "{\"seq\":%d,\"at_ms\":%d,\"kind\":\"webhook\",\"endpoint\":"
                "\"e\",\"event\":{\"id\":\"msg_%d\",\"type\":\"%s\","
                "\"object\":\"o_%d\"},\"request\":{\"method\":\"POST\","
                "\"path\":\"/h\",\"query\":\"\",\"headers\":[],\"body\":"
                "\"{\\\"type\\\":\\\"%s\\\",\\\"timestamp\\\":"
                "\\\"2024-01-01T00:00:00Z\\\",\\\"data\\\":{\\\"id\\\":"
                "\\\"o_%d\\\"}}\"}}\n",
                i + 1, i, i, i % 3 ? "user.updated" : "user.created", i % 5,
                i % 3 ? "user.updated" : "user.created", i % 5);
    fclose(f);
    return path;
}

START_TEST(cursor_style_events_walk_once_with_next_cursors)
{
    struct t_server s;
    char *dir = t_tmpdir(), path[256], cursor[64] = "";
    int seen = 0, done = 0, pages = 0;
    struct resp r;

    serve(&s, scenario(dir, swh_cassette(dir, 23), 1000, PLAIN_API), NULL);
    sleep_ms(100);
    while (!done) {
        cJSON *j, *it;

        snprintf(path, sizeof(path), "/events?limit=5%s%s",
                 cursor[0] ? "&after=" : "", cursor);
        r = aget(&s, path);
        ck_assert_int_eq(r.status, 200);
        j = json_of(&r);
        cJSON_ArrayForEach(it, cJSON_GetObjectItem(j, "data"))
        {
            char want[32];

            snprintf(want, sizeof(want), "msg_%d", seen++);
            ck_assert_str_eq(cJSON_GetObjectItem(it, "id")->valuestring, want);
        }
        snprintf(cursor, sizeof(cursor), "%s",
                 cJSON_GetObjectItem(j, "next")->valuestring);
        done = cJSON_IsTrue(cJSON_GetObjectItem(j, "done"));
        cJSON_Delete(j);
        free(r.body);
        ck_assert_int_lt(++pages, 10);
    }
    ck_assert_int_eq(seen, 23);
    r = aget(&s, "/events?limit=50&type=user.created");
    ck_assert_int_eq(r.status, 200);
    {
        cJSON *j = json_of(&r);

        ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "data")), 8);
        cJSON_Delete(j);
    }
    free(r.body);
    r = get(&s, "/events", "Bearer nope", 5000);
    ck_assert_int_eq(r.status, 401);
    ck_assert_ptr_nonnull(strstr(r.body, "\"code\":\"authentication_failed\""));
    free(r.body);
    t_server_stop(&s);
    free(dir);
}
END_TEST

START_TEST(bad_api_sections_and_addresses_exit_2)
{
    char *dir = t_tmpdir();
    const char *bad[] = {
        "{\"listen\":\"localhost\"}",
        "{\"faults\":[{\"action\":{\"explode\":true}}]}",
        "{\"faults\":[{\"match\":{\"p\":2},\"action\":{\"hang\":true}}]}",
        "{\"key_env\":\"HR_TEST_UNSET_VARIABLE\"}",
        "{\"color\":\"blue\"}",
    };
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *argv[] = {HR_BIN, "serve",
                        scenario(dir, STRIPE_CASSETTE, 1, bad[i]), NULL};
        struct t_result tr;

        ck_assert_int_eq(t_run(&tr, argv, NULL, NULL, 10000), 0);
        ck_assert_msg(tr.exit_code == 2, "%s: exit %d: %s", bad[i],
                      tr.exit_code, tr.err);
        ck_assert_ptr_nonnull(strstr(tr.err, "/api"));
        t_result_free(&tr);
    }
    free(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("mockapi");
    TCase *tc = tcase_create("serve");
    int rc;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, pagination_walks_every_event_once_in_both_directions);
    tcase_add_test(tc, events_appear_at_their_time_and_not_before);
    tcase_add_test(tc, objects_carry_their_latest_state_and_lists_filter);
    tcase_add_test(tc, expand_replaces_ids_with_their_objects_as_stripe_does);
    tcase_add_test(tc,
                   expand_takes_lists_of_ids_and_refuses_what_stripe_refuses);
    tcase_add_test(tc, deleted_objects_get_404_in_the_provider_shape);
    tcase_add_test(tc, recorded_calls_are_served_and_unmatched_ones_journaled);
    tcase_add_test(tc, wrong_or_missing_keys_get_401_and_basic_auth_works);
    tcase_add_test(tc, latency_fault_delays_the_answer);
    tcase_add_test(tc, status_bursts_and_429_carry_the_provider_retry_headers);
    tcase_add_test(tc, hang_never_answers_and_reset_closes_without_an_answer);
    tcase_add_test(tc, stale_reads_lag_behind_the_event);
    tcase_add_test(tc, pagination_shift_inserts_events_while_a_client_pages);
    tcase_add_test(tc, truncated_json_is_cut_short);
    tcase_add_test(tc, journal_counts_match_the_requests_made);
    tcase_add_test(tc, hung_and_reset_calls_count_in_the_summary);
    tcase_add_test(tc, malformed_requests_get_clean_4xx_and_serving_goes_on);
    tcase_add_test(tc, twelve_kb_of_headers_are_served_on_one_connection);
    tcase_add_test(tc, journal_lines_carry_each_request_field);
    tcase_add_test(tc, cursor_style_events_walk_once_with_next_cursors);
    tcase_add_test(tc, bad_api_sections_and_addresses_exit_2);
    suite_add_tcase(s, tc);
    rc = t_run_suite(s);
    curl_global_cleanup();
    return rc;
}
