/* SPDX-License-Identifier: MIT */
/* The reference target run in-process: binding, options, state, stop. */
#include "reftarget.h"
#include "support.h"

#include <check.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static struct hr_reftarget *start(const struct hr_profile *p, int mode,
                                  size_t max_body_bytes, int64_t slow_ms)
{
    struct hr_reftarget_opts o = {0};
    struct hr_err err = {0};
    struct hr_reftarget *t;

    o.mode = mode;
    o.profile = p;
    o.max_body_bytes = max_body_bytes;
    o.slow_ms = slow_ms;
    t = hr_reftarget_start(&o, &err);
    ck_assert_msg(t != NULL, "%s", err.msg);
    return t;
}

/* A body handed to curl piece by piece, so that it goes out chunked. */
struct feed {
    size_t left;
};

static size_t feed_spaces(char *p, size_t size, size_t n, void *ud)
{
    struct feed *f = ud;
    size_t k = size * n < f->left ? size * n : f->left;

    memset(p, ' ', k);
    f->left -= k;
    return k;
}

/* POSTs to the target; chunked_bytes > 0 sends that many bytes chunked
 * instead of body. Returns the status, 0 when none was read. */
static long post(struct hr_reftarget *t, const char *body, size_t chunked_bytes)
{
    CURL *c = curl_easy_init();
    struct curl_slist *hl = curl_slist_append(NULL, "Expect:");
    struct feed f = {chunked_bytes};
    char url[128];
    long status = 0;

    hl = curl_slist_append(hl, "Content-Type: application/json");
    snprintf(url, sizeof(url), "http://%s/webhooks", hr_reftarget_addr(t));
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    if (chunked_bytes) {
        hl = curl_slist_append(hl, "Transfer-Encoding: chunked");
        curl_easy_setopt(c, CURLOPT_READFUNCTION, feed_spaces);
        curl_easy_setopt(c, CURLOPT_READDATA, &f);
    } else {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, t_discard);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 20000L);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(hl);
    curl_easy_cleanup(c);
    return status;
}

START_TEST(reftarget_binds_a_free_loopback_port_when_given_port_0)
{
    struct hr_profile *p = t_profile("stripe");
    struct hr_reftarget *t = start(p, HR_REFTARGET_NAIVE, 0, 0);
    char want[64], url[128], *body = NULL;
    cJSON *j;

    ck_assert_int_gt(hr_reftarget_port(t), 0);
    snprintf(want, sizeof(want), "127.0.0.1:%d", hr_reftarget_port(t));
    ck_assert_str_eq(hr_reftarget_addr(t), want);
    snprintf(url, sizeof(url), "http://%s/healthz", want);
    ck_assert_int_eq(t_http_get(url, &body), 200);
    ck_assert_str_eq(body, "ok\n");
    free(body);
    j = t_reftarget_state(t);
    ck_assert_str_eq(cJSON_GetObjectItem(j, "mode")->valuestring, "naive");
    ck_assert_str_eq(cJSON_GetObjectItem(j, "profile")->valuestring, "stripe");
    ck_assert_double_eq(t_json_num(j, "received"), 0);
    ck_assert(cJSON_IsObject(cJSON_GetObjectItem(j, "applied")));
    ck_assert(cJSON_IsObject(cJSON_GetObjectItem(j, "objects")));
    cJSON_Delete(j);
    hr_reftarget_stop(t);
    hr_profile_free(p);
}
END_TEST

START_TEST(reftarget_reports_a_port_already_in_use)
{
    struct hr_profile *p = t_profile("stripe");
    struct hr_reftarget *t = start(p, HR_REFTARGET_NAIVE, 0, 0);
    struct hr_reftarget_opts o = {0};
    struct hr_err err = {0};

    o.mode = HR_REFTARGET_NAIVE;
    o.profile = p;
    o.listen_addr = hr_reftarget_addr(t);
    ck_assert_ptr_null(hr_reftarget_start(&o, &err));
    ck_assert_int_eq(err.code, HR_EXIT_INTERNAL);
    hr_reftarget_stop(t);
    hr_profile_free(p);
}
END_TEST

static void assert_refused(const struct hr_reftarget_opts *o,
                           const char *needle)
{
    struct hr_err err = {0};

    ck_assert_ptr_null(hr_reftarget_start(o, &err));
    ck_assert_int_eq(err.code, HR_EXIT_INPUT);
    ck_assert_msg(strstr(err.msg, needle), "'%s' lacks '%s'", err.msg, needle);
}

START_TEST(reftarget_refuses_bad_options_before_binding)
{
    struct hr_profile *p = t_profile("stripe");
    struct hr_reftarget_opts o = {0};

    o.profile = p;
    o.mode = 7;
    assert_refused(&o, "mode");
    o.mode = HR_REFTARGET_CORRECT;
    assert_refused(&o, "secret");
    o.mode = HR_REFTARGET_NAIVE;
    o.listen_addr = "localhost:8080";
    assert_refused(&o, "IP literal");
    o.listen_addr = "127.0.0.1:65536";
    assert_refused(&o, "port");
    o.listen_addr = "127.0.0.1";
    assert_refused(&o, "HOST:PORT");
    hr_profile_free(p);
}
END_TEST

START_TEST(reftarget_refuses_a_chunked_body_over_the_cap)
{
    struct hr_profile *p = t_profile("stripe");
    struct hr_reftarget *t = start(p, HR_REFTARGET_NAIVE, 1000, 0);

    /* naive: its catch-all error handler answers 500, not 413 */
    ck_assert_int_eq(post(t, NULL, 5000), 500);
    ck_assert_double_eq(t_reftarget_state_num(t, "received"), 1);
    ck_assert_double_eq(t_reftarget_state_num(t, "rejected"), 1);
    ck_assert_int_eq(
        post(t, "{\"id\":\"evt_small\",\"type\":\"charge.updated\"}", 0), 200);
    ck_assert_double_eq(t_reftarget_state_num(t, "applied.evt_small"), 1);
    hr_reftarget_stop(t);
    hr_profile_free(p);
}
END_TEST

START_TEST(reftarget_keeps_the_last_applied_event_per_object)
{
    struct hr_profile *p = t_profile("stripe");
    struct hr_reftarget *t = start(p, HR_REFTARGET_NAIVE, 0, 0);
    cJSON *j, *o;

    ck_assert_int_eq(post(t,
                          "{\"id\":\"evt_2\",\"type\":\"customer.deleted\","
                          "\"created\":20,\"data\":{\"object\":"
                          "{\"id\":\"cus_1\",\"deleted\":true}}}",
                          0),
                     200);
    ck_assert_int_eq(post(t,
                          "{\"id\":\"evt_1\",\"type\":\"customer.created\","
                          "\"created\":10,\"data\":{\"object\":"
                          "{\"id\":\"cus_1\",\"status\":\"new\"}}}",
                          0),
                     200);
    j = t_reftarget_state(t);
    o = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "objects"), "cus_1");
    ck_assert_ptr_nonnull(o);
    /* Arrival order decides, even when it is not creation order. */
    ck_assert_str_eq(cJSON_GetObjectItem(o, "event")->valuestring, "evt_1");
    ck_assert_str_eq(cJSON_GetObjectItem(o, "type")->valuestring,
                     "customer.created");
    ck_assert_str_eq(cJSON_GetObjectItem(o, "status")->valuestring, "new");
    ck_assert_double_eq(t_json_num(o, "created"), 10);
    ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(o, "deleted")));
    cJSON_Delete(j);
    ck_assert_int_eq(post(t,
                          "{\"id\":\"evt_2\",\"type\":\"customer.deleted\","
                          "\"data\":{\"object\":{\"id\":\"cus_1\"}}}",
                          0),
                     200);
    j = t_reftarget_state(t);
    o = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "objects"), "cus_1");
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(o, "deleted")));
    ck_assert(cJSON_IsNull(cJSON_GetObjectItem(o, "created")));
    ck_assert(cJSON_IsNull(cJSON_GetObjectItem(o, "status")));
    ck_assert_double_eq(t_json_num(j, "applied.evt_2"), 2);
    cJSON_Delete(j);
    hr_reftarget_stop(t);
    hr_profile_free(p);
}
END_TEST

START_TEST(reftarget_tracks_thousands_of_distinct_events)
{
    struct hr_profile *p = t_profile("stripe");
    struct hr_reftarget *t = start(p, HR_REFTARGET_NAIVE, 0, 0);
    char body[160];
    cJSON *j;
    int i;

    for (i = 0; i < 3000; i++) {
        snprintf(body, sizeof(body),
                 "{\"id\":\"evt_%d\",\"type\":\"charge.updated\",\"data\":{"
                 "\"object\":"
                 "{\"id\":\"obj_%d\"}}}",
                 i, i % 700);
        ck_assert_int_eq(post(t, body, 0), 200);
    }
    j = t_reftarget_state(t);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "applied")),
                     3000);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "objects")),
                     700);
    ck_assert_double_eq(t_json_num(j, "applied.evt_2999"), 1);
    /* First-applied order is kept. */
    ck_assert_str_eq(cJSON_GetObjectItem(j, "applied")->child->string, "evt_0");
    cJSON_Delete(j);
    hr_reftarget_stop(t);
    hr_profile_free(p);
}
END_TEST

static void *post_in_background(void *t)
{
    post(t, "{\"id\":\"evt_slow\",\"type\":\"charge.updated\"}", 0);
    return NULL;
}

static long long ms_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

START_TEST(reftarget_stop_cuts_short_an_answer_held_back_by_slow_ms)
{
    struct hr_profile *p = t_profile("stripe");
    struct hr_reftarget *t = start(p, HR_REFTARGET_NAIVE, 0, 60000);
    pthread_t th;
    long long t0;
    int i;

    ck_assert_int_eq(pthread_create(&th, NULL, post_in_background, t), 0);
    for (i = 0; i < 500 && t_reftarget_state_num(t, "processed") < 1; i++)
        usleep(10000);
    ck_assert_double_eq(t_reftarget_state_num(t, "processed"), 1);
    t0 = ms_now();
    hr_reftarget_stop(t);
    ck_assert_int_lt(ms_now() - t0, 5000);
    pthread_join(th, NULL);
    hr_profile_free(p);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("reftarget");
    TCase *tc = tcase_create("in-process");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, reftarget_binds_a_free_loopback_port_when_given_port_0);
    tcase_add_test(tc, reftarget_reports_a_port_already_in_use);
    tcase_add_test(tc, reftarget_refuses_bad_options_before_binding);
    tcase_add_test(tc, reftarget_refuses_a_chunked_body_over_the_cap);
    tcase_add_test(tc, reftarget_keeps_the_last_applied_event_per_object);
    tcase_add_test(tc, reftarget_tracks_thousands_of_distinct_events);
    tcase_add_test(tc,
                   reftarget_stop_cuts_short_an_answer_held_back_by_slow_ms);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    int rc;

    hr_alloc_init();
    curl_global_init(CURL_GLOBAL_DEFAULT);
    rc = t_run_suite(suite());
    curl_global_cleanup();
    return rc;
}
