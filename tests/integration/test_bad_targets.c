/* SPDX-License-Identifier: MIT */
/*
 * Targets that never answer, answer too slowly, or reset: the run ends
 * within the bounds its timeouts imply, with the failures reported.
 */
#include "support.h"

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define STRIPE_CASSETTE HR_SRC_DIR "/fixtures/stripe-lifecycle.ndjson"

static char *env_secret[] = {"HOOKREPLAY_SECRET=whsec_YmFkLXRhcmdldHM=", NULL};

struct raw_server {
    int fd, port, reset;
    volatile int stop;
    pthread_t thread;
    int held[256];
    int n_held;
};

/* Accepts connections; holds them open silently, or resets them. */
static void *serve(void *arg)
{
    struct raw_server *s = arg;

    while (!s->stop) {
        int c = accept(s->fd, NULL, NULL);

        if (c < 0)
            continue;
        if (s->reset) {
            struct linger lg = {1, 0};
            char buf[512];

            (void)!read(c, buf, sizeof(buf));
            setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
            close(c);
        } else if (s->n_held < 256) {
            s->held[s->n_held++] = c;
        } else {
            close(c);
        }
    }
    return NULL;
}

static void raw_start(struct raw_server *s, int reset)
{
    struct sockaddr_in a;
    socklen_t len = sizeof(a);
    struct timeval tv = {0, 100000};

    memset(s, 0, sizeof(*s));
    s->reset = reset;
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(s->fd, (struct sockaddr *)&a, sizeof(a)), 0);
    ck_assert_int_eq(listen(s->fd, 128), 0);
    setsockopt(s->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    getsockname(s->fd, (struct sockaddr *)&a, &len);
    s->port = ntohs(a.sin_port);
    pthread_create(&s->thread, NULL, serve, s);
}

static void raw_stop(struct raw_server *s)
{
    int i;

    s->stop = 1;
    pthread_join(s->thread, NULL);
    for (i = 0; i < s->n_held; i++)
        close(s->held[i]);
    close(s->fd);
}

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Replays with a 200 ms response timeout and no retries. */
static cJSON *run_against(int port, int *exit_code, double *secs)
{
    char *dir = t_tmpdir(), path[600], out[512], json[2048];
    char *argv[] = {HR_BIN, "run", path, "--out", out, "--quiet", NULL};
    struct t_result r;
    double t0 = now_s();
    cJSON *res;

    snprintf(path, sizeof(path), "%s/s.json", dir);
    snprintf(out, sizeof(out), "%s/out", dir);
    snprintf(json, sizeof(json),
             "{\"hookreplay\":\"scenario\",\"version\":1,\"cassette\":"
             "\"%s\",\"targets\":{\"stripe\":{\"url\":"
             "\"http://127.0.0.1:%d/webhooks/stripe\",\"timeout_ms\":200}},"
             "\"replay\":{\"pacing\":\"asap\",\"retries\":false}}",
             STRIPE_CASSETTE, port);
    ck_assert_int_eq(t_write_file(path, json, strlen(json)), 0);
    ck_assert_int_eq(t_run(&r, argv, env_secret, NULL, 60000), 0);
    *secs = now_s() - t0;
    *exit_code = r.exit_code;
    t_result_free(&r);
    snprintf(path, sizeof(path), "%s/result.json", out);
    res = t_read_json(path);
    ck_assert_ptr_nonnull(res);
    free(dir);
    return res;
}

START_TEST(silent_target_ends_at_the_timeouts_with_exit_3)
{
    struct raw_server s;
    int code;
    double secs;
    cJSON *res;

    raw_start(&s, 0);
    res = run_against(s.port, &code, &secs);
    raw_stop(&s);
    ck_assert_int_eq(code, 3);
    ck_assert_int_eq(t_json_num(res, "totals.errors.timeout"), 31);
    /* 31 events, at most 14 in one object's chain: 14 x 0.2 s, plus
     * start-up; never the 30 s of Stripe's own timeout (the bound leaves
     * a slow machine room, and still excludes one such timeout). */
    ck_assert_msg(secs < 20, "took %.1f s", secs);
    cJSON_Delete(res);
}
END_TEST

START_TEST(resetting_target_ends_quickly_with_transport_errors)
{
    struct raw_server s;
    int code;
    double secs;
    cJSON *res;

    raw_start(&s, 1);
    res = run_against(s.port, &code, &secs);
    raw_stop(&s);
    ck_assert_int_eq(code, 3);
    ck_assert_int_eq(t_json_num(res, "totals.answered"), 0);
    ck_assert_int_eq(t_json_num(res, "totals.failed"), 31);
    ck_assert_msg(secs < 20, "took %.1f s", secs);
    cJSON_Delete(res);
}
END_TEST

START_TEST(slow_target_is_timed_out_and_fails_delivery)
{
    char *targv[] = {HR_BIN,   "target",    "--mode", "correct", "--profile",
                     "stripe", "--slow-ms", "1000",   NULL};
    struct t_server t;
    int code;
    double secs;
    cJSON *res;

    ck_assert_int_eq(t_server_start(&t, targv, env_secret, 10000), 0);
    res = run_against(t.port, &code, &secs);
    t_server_stop(&t);
    ck_assert_int_eq(code, 3);
    ck_assert_int_eq(t_json_num(res, "totals.errors.timeout"), 31);
    ck_assert_msg(secs < 20, "took %.1f s", secs);
    cJSON_Delete(res);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("bad_targets");
    TCase *tc = tcase_create("bad_targets");

    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, silent_target_ends_at_the_timeouts_with_exit_3);
    tcase_add_test(tc, resetting_target_ends_quickly_with_transport_errors);
    tcase_add_test(tc, slow_target_is_timed_out_and_fails_delivery);
    suite_add_tcase(s, tc);
    return t_run_suite(s);
}
