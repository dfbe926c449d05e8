/* SPDX-License-Identifier: MIT */
/*
 * A consumer behind TLS with its own certificate (tests/interop/
 * consumer.js over https, verifying with the stripe library): trusted
 * through the target's ca_file, refused without it, taken blindly with
 * tls_insecure.
 */
#include "support.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STRIPE_CASSETTE HR_SRC_DIR "/fixtures/stripe-lifecycle.ndjson"
#define CONSUMER HR_SRC_DIR "/tests/interop/consumer.js"

static char *env_secret[] = {"HOOKREPLAY_SECRET=whsec_tls-test-secret-1", NULL};

/* A self-signed certificate for 127.0.0.1 in dir (cert.pem, key.pem). */
static void make_certificate(const char *dir)
{
    char key[600], cert[600];
    char *argv[] = {"openssl",
                    "req",
                    "-x509",
                    "-newkey",
                    "ec",
                    "-pkeyopt",
                    "ec_paramgen_curve:prime256v1",
                    "-nodes",
                    "-keyout",
                    key,
                    "-out",
                    cert,
                    "-days",
                    "2",
                    "-subj",
                    "/CN=127.0.0.1",
                    "-addext",
                    "subjectAltName=IP:127.0.0.1",
                    NULL};
    struct t_result r;

    snprintf(key, sizeof(key), "%s/key.pem", dir);
    snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
    ck_assert_int_eq(t_run(&r, argv, NULL, NULL, 60000), 0);
    ck_assert_msg(r.exit_code == 0, "openssl: %s", r.err);
    t_result_free(&r);
}

static void start_consumer(struct t_server *s, const char *dir)
{
    char key[600], cert[600];
    char *argv[] = {"node",      CONSUMER, "--profile",  "stripe",
                    "--port",    "0",      "--tls-cert", cert,
                    "--tls-key", key,      NULL};

    snprintf(key, sizeof(key), "%s/key.pem", dir);
    snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
    ck_assert_msg(t_server_start(s, argv, env_secret, 20000) == 0,
                  "the consumer did not start: run tests/interop/setup.sh");
}

/* Runs the Stripe cassette against https://127.0.0.1:port with the
 * target's extra fields tls (",\"ca_file\":..." or ""); the result. */
static cJSON *run_tls(const char *dir, int port, const char *tls,
                      int *exit_code)
{
    char json[2048], *out;
    struct t_result r;
    cJSON *res;

    snprintf(json, sizeof(json),
             "{\"hookreplay\":\"scenario\",\"version\":1,"
             "\"cassette\":\"%s\",\"targets\":{\"stripe\":{\"url\":"
             "\"https://127.0.0.1:%d/webhooks\"%s}},"
             "\"replay\":{\"pacing\":\"asap\",\"retries\":false}}",
             STRIPE_CASSETTE, port, tls);
    out = t_run_scenario_in(&r, dir, json, env_secret, 120000);
    *exit_code = r.exit_code;
    res = t_read_result(out);
    t_result_free(&r);
    free(out);
    return res;
}

START_TEST(https_targets_are_trusted_by_ca_file_and_refused_without)
{
    char *dir = t_tmpdir();
    struct t_server s;
    cJSON *res;
    int code, events;

    make_certificate(dir);
    start_consumer(&s, dir);
    /* trusted through the scenario's ca_file (relative to it); the
     * consumer answers 200 only to what the stripe library verified */
    res = run_tls(dir, s.port, ",\"ca_file\":\"cert.pem\"", &code);
    ck_assert_int_eq(code, 0);
    events = (int)t_json_num(res, "totals.events");
    ck_assert_int_ge(events, 20);
    ck_assert_int_eq(t_json_num(res, "totals.delivered"), events);
    ck_assert_int_eq(t_json_num(res, "totals.status_counts.200"), events);
    cJSON_Delete(res);
    /* an unknown certificate is refused, and said to be */
    res = run_tls(dir, s.port, "", &code);
    ck_assert_int_ne(code, 0);
    ck_assert_int_eq(t_json_num(res, "totals.delivered"), 0);
    ck_assert_int_eq(t_json_num(res, "totals.answered"), 0);
    /* a failed TLS handshake is a failed connection, named by curl */
    ck_assert_int_eq(t_json_num(res, "totals.errors.connect"), events);
    {
        char *text = cJSON_PrintUnformatted(res);

        ck_assert_msg(strstr(text, "SSL certificate problem"), "%.2000s", text);
        free(text);
    }
    cJSON_Delete(res);
    /* tls_insecure takes it without looking */
    res = run_tls(dir, s.port, ",\"tls_insecure\":true", &code);
    ck_assert_int_eq(code, 0);
    ck_assert_int_eq(t_json_num(res, "totals.delivered"), events);
    cJSON_Delete(res);
    t_server_stop(&s);
    free(dir);
}
END_TEST

START_TEST(tls_settings_need_an_https_url_and_a_readable_file)
{
    char *dir = t_tmpdir(), scn[600], json[1024];
    char *argv[] = {HR_BIN, "lint", scn, NULL};
    char *run[] = {HR_BIN,       "run",
                   "--cassette", STRIPE_CASSETTE,
                   "--target",   "https://127.0.0.1:9/",
                   "--ca-file",  "/nonexistent/ca.pem",
                   NULL};
    struct t_result r;

    /* run checks --ca-file before sending anything */
    ck_assert_int_eq(t_run(&r, run, env_secret, NULL, 30000), 0);
    ck_assert_int_eq(r.exit_code, 2);
    ck_assert_msg(strstr(r.err, "--ca-file /nonexistent/ca.pem: No such"), "%s",
                  r.err);
    t_result_free(&r);

    snprintf(scn, sizeof(scn), "%s/s.json", dir);
    snprintf(json, sizeof(json),
             "{\"hookreplay\":\"scenario\",\"version\":1,"
             "\"cassette\":\"%s\",\"targets\":{\"stripe\":{\"url\":"
             "\"http://127.0.0.1:9/\",\"ca_file\":\"missing.pem\","
             "\"tls_insecure\":\"yes\"}}}",
             STRIPE_CASSETTE);
    ck_assert_int_eq(t_write_file(scn, json, strlen(json)), 0);
    ck_assert_int_eq(t_run(&r, argv, NULL, NULL, 30000), 0);
    ck_assert_int_eq(r.exit_code, 2);
    ck_assert_msg(strstr(r.out, "/targets/stripe/ca_file: cannot be read"),
                  "%s", r.out);
    ck_assert_msg(strstr(r.out, "/targets/stripe/tls_insecure: must be "
                                "true or false"),
                  "%s", r.out);
    t_result_free(&r);
    free(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tls");
    TCase *tc = tcase_create("tls");

    tcase_set_timeout(tc, 240);
    tcase_add_test(tc,
                   https_targets_are_trusted_by_ca_file_and_refused_without);
    tcase_add_test(tc, tls_settings_need_an_https_url_and_a_readable_file);
    suite_add_tcase(s, tc);
    return t_run_suite(s);
}
