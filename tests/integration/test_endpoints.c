/* SPDX-License-Identifier: MIT */
/*
 * Several endpoints in one cassette, and the settled rules for what a
 * target receives: the URL as given (keep_path appends the recorded path
 * and query), the scenario's or the command line's profile over the
 * cassette's, fresh signature headers and Content-Length per attempt,
 * every other recorded header as stored and in its order. A capture
 * server in this process records each request exactly as it arrived.
 */
#include "cassette.h"
#include "sign.h"
#include "support.h"

#include <check.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define MAX_SEEN 16
#define MAX_HDRS 32

/* One request as the capture server saw it. */
struct seen {
    char method[16];
    char url[512];
    char *names[MAX_HDRS];
    char *values[MAX_HDRS];
    int n_headers;
    char *body;
    size_t body_len;
};

static struct seen seen[MAX_SEEN];
static int n_seen;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static enum MHD_Result keep_header(void *cls, enum MHD_ValueKind kind,
                                   const char *key, const char *value)
{
    struct seen *s = cls;

    (void)kind;
    if (s->n_headers < MAX_HDRS) {
        s->names[s->n_headers] = strdup(key);
        s->values[s->n_headers++] = strdup(value ? value : "");
    }
    return MHD_YES;
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
    (void)version;
    if (!s) {
        s = calloc(1, sizeof(*s));
        snprintf(s->method, sizeof(s->method), "%s", method);
        snprintf(s->url, sizeof(s->url), "%s", url);
        MHD_get_connection_values(c, MHD_HEADER_KIND, keep_header, s);
        *con_cls = s;
        return MHD_YES;
    }
    if (*data_len) {
        t_buf_append(&s->body, &s->body_len, data, *data_len);
        *data_len = 0;
        return MHD_YES;
    }
    pthread_mutex_lock(&lock);
    if (n_seen < MAX_SEEN)
        seen[n_seen++] = *s;
    pthread_mutex_unlock(&lock);
    free(s);
    *con_cls = NULL;
    r = MHD_create_response_from_buffer(2, "ok", MHD_RESPMEM_PERSISTENT);
    rc = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return rc;
}

/* libmicrohttpd hands the URL without its query: keep the raw one. */
static void *log_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
    (void)cls;
    (void)c;
    return strdup(uri);
}

static enum MHD_Result on_request_raw(void *cls, struct MHD_Connection *c,
                                      const char *url, const char *method,
                                      const char *version, const char *data,
                                      size_t *data_len, void **con_cls)
{
    /* The first call has the raw URI from log_uri in *con_cls. */
    if (*con_cls && ((char *)*con_cls)[0] == '/') {
        char *raw = *con_cls;
        enum MHD_Result rc;

        *con_cls = NULL;
        rc = on_request(cls, c, url, method, version, data, data_len, con_cls);
        snprintf(((struct seen *)*con_cls)->url,
                 sizeof(((struct seen *)*con_cls)->url), "%s", raw);
        free(raw);
        return rc;
    }
    return on_request(cls, c, url, method, version, data, data_len, con_cls);
}

static struct MHD_Daemon *capture_start(int *port)
{
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
        on_request_raw, NULL, MHD_OPTION_URI_LOG_CALLBACK, log_uri, NULL,
        MHD_OPTION_END);
    const union MHD_DaemonInfo *info;

    ck_assert_ptr_nonnull(d);
    info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    *port = info->port;
    return d;
}

static void seen_reset(void)
{
    int i, k;

    for (i = 0; i < n_seen; i++) {
        for (k = 0; k < seen[i].n_headers; k++) {
            free(seen[i].names[k]);
            free(seen[i].values[k]);
        }
        free(seen[i].body);
    }
    memset(seen, 0, sizeof(seen));
    n_seen = 0;
}

static const struct seen *seen_at(const char *url_prefix)
{
    int i;

    for (i = 0; i < n_seen; i++)
        if (strncmp(seen[i].url, url_prefix, strlen(url_prefix)) == 0)
            return &seen[i];
    ck_abort_msg("nothing arrived at %s", url_prefix);
    return NULL;
}

/* The headers received, without the ones curl owns, as "N: v\n" text. */
static void header_text(const struct seen *s, char *out, size_t size,
                        char *content_length, size_t cl_size)
{
    size_t n = 0;
    int k;

    out[0] = '\0';
    content_length[0] = '\0';
    for (k = 0; k < s->n_headers; k++) {
        if (strcasecmp(s->names[k], "Host") == 0)
            continue;
        if (strcasecmp(s->names[k], "Content-Length") == 0) {
            ck_assert_msg(content_length[0] == '\0', "two Content-Lengths");
            snprintf(content_length, cl_size, "%s", s->values[k]);
            continue;
        }
        n += (size_t)snprintf(out + n, size - n, "%s: %s\n", s->names[k],
                              s->values[k]);
    }
}

static const char *value_of(const struct seen *s, const char *name)
{
    int k;

    for (k = 0; k < s->n_headers; k++)
        if (strcasecmp(s->names[k], name) == 0)
            return s->values[k];
    return NULL;
}

static void assert_verifies(const struct seen *s, enum hr_scheme scheme)
{
    static const char *const secrets[] = {"whsec_endpoint_test_secret"};
    struct hr_message m;
    struct hr_verdict v;
    struct hr_err err;
    int k;

    memset(&m, 0, sizeof(m));
    for (k = 0; k < s->n_headers; k++)
        hr_message_add_header(&m, s->names[k], s->values[k]);
    m.body = (unsigned char *)s->body;
    m.body_len = s->body_len;
    ck_assert_int_eq(
        hr_verify(scheme, secrets, 1, &m, time(NULL), 300, &v, &err), 0);
    ck_assert_msg(v.valid, "signature rejected: %s", v.reason);
    m.body = NULL;
    hr_interaction_clear(&(struct hr_interaction){.request = m});
}

#define PAY_BODY "{\"id\":\"evt_1\",\"type\":\"customer.created\"}"
#define GH_BODY "{\"action\":\"opened\",\"issue\":{\"node_id\":\"I_1\"}}"

/* Two endpoints, both recorded under the github profile. */
static const char cassette[] =
    "{\"hookreplay\":\"cassette\",\"version\":1,\"endpoints\":{"
    "\"pay\":{\"profile\":\"github\"},\"gh\":{\"profile\":\"github\"}}}\n"
    "{\"seq\":1,\"at_ms\":0,\"kind\":\"webhook\",\"endpoint\":\"pay\","
    "\"event\":{\"id\":\"evt_1\",\"type\":\"customer.created\"},"
    "\"request\":{\"method\":\"POST\",\"path\":\"/webhooks/stripe\","
    "\"query\":\"a=b\",\"headers\":["
    "[\"Content-Type\",\"application/json; charset=utf-8\"],"
    "[\"X-Custom\",\"one\"],"
    "[\"Stripe-Signature\",\"t=1,v1=stale\"],"
    "[\"Content-Length\",\"999\"],"
    "[\"X-Custom\",\"two\"],"
    "[\"User-Agent\",\"Stripe/1.0 (+https://stripe.com/docs/webhooks)\"]],"
    "\"body\":\"{\\\"id\\\":\\\"evt_1\\\",\\\"type\\\":"
    "\\\"customer.created\\\"}\"}}\n"
    "{\"seq\":2,\"at_ms\":10,\"kind\":\"webhook\",\"endpoint\":\"gh\","
    "\"event\":{\"id\":\"guid-1\",\"type\":\"issues.opened\","
    "\"object\":\"I_1\"},"
    "\"request\":{\"method\":\"POST\",\"path\":\"/webhooks/github\","
    "\"query\":\"v=2\",\"headers\":["
    "[\"X-GitHub-Event\",\"issues\"],"
    "[\"X-GitHub-Delivery\",\"guid-1\"],"
    "[\"Content-Type\",\"application/json\"],"
    "[\"X-Hub-Signature-256\",\"sha256=old\"]],"
    "\"body\":\"{\\\"action\\\":\\\"opened\\\",\\\"issue\\\":"
    "{\\\"node_id\\\":\\\"I_1\\\"}}\"}}\n";

static char *write_inputs(char *dir, int port)
{
    static char scenario[600];
    char path[600], text[2048];

    snprintf(path, sizeof(path), "%s/two.ndjson", dir);
    ck_assert_int_eq(t_write_file(path, cassette, strlen(cassette)), 0);
    snprintf(path, sizeof(path), "%s/secrets.txt", dir);
    ck_assert_int_eq(t_write_file(path, "whsec_endpoint_test_secret\n", 27), 0);
    snprintf(text, sizeof(text),
             "{\"hookreplay\": \"scenario\", \"version\": 1,\n"
             " \"cassette\": \"two.ndjson\",\n"
             " \"targets\": {\n"
             "  \"pay\": {\"url\": \"http://127.0.0.1:%d/hooks/pay?x=1\",\n"
             "          \"profile\": \"stripe\",\n"
             "          \"secrets_file\": \"secrets.txt\"},\n"
             "  \"gh\": {\"url\": \"http://127.0.0.1:%d/base/\",\n"
             "         \"keep_path\": true,\n"
             "         \"secrets_file\": \"secrets.txt\"}},\n"
             " \"replay\": {\"pacing\": \"asap\", \"retries\": false,\n"
             "            \"handshake\": false},\n"
             " \"report\": {\"out\": \"out\"}\n}\n",
             port, port);
    snprintf(scenario, sizeof(scenario), "%s/s.json", dir);
    ck_assert_int_eq(t_write_file(scenario, text, strlen(text)), 0);
    return scenario;
}

START_TEST(each_endpoint_reaches_its_target_as_the_settled_rules_say)
{
    char *dir = t_tmpdir();
    int port;
    struct MHD_Daemon *d = capture_start(&port);
    char *scenario = write_inputs(dir, port);
    char *argv[] = {HR_BIN, "run", scenario, "--quiet", NULL};
    char hdrs[4096], cl[32], want[1024];
    const struct seen *pay, *gh;
    struct t_result r;

    ck_assert_int_eq(t_run(&r, argv, NULL, NULL, 30000), 0);
    ck_assert_msg(r.exit_code == 0, "exit %d: %s", r.exit_code, r.err);
    t_result_free(&r);
    MHD_stop_daemon(d);
    ck_assert_int_eq(n_seen, 2);

    /* pay: URL as given; the scenario's stripe profile beats the
     * header's github; recorded headers in order, stale signature and
     * Content-Length replaced. */
    pay = seen_at("/hooks/pay");
    ck_assert_str_eq(pay->method, "POST");
    ck_assert_str_eq(pay->url, "/hooks/pay?x=1");
    ck_assert_str_eq(pay->body, PAY_BODY);
    header_text(pay, hdrs, sizeof(hdrs), cl, sizeof(cl));
    snprintf(want, sizeof(want),
             "Content-Type: application/json; charset=utf-8\n"
             "X-Custom: one\n"
             "X-Custom: two\n"
             "User-Agent: Stripe/1.0 (+https://stripe.com/docs/webhooks)\n"
             "Stripe-Signature: %s\n",
             value_of(pay, "Stripe-Signature"));
    ck_assert_str_eq(hdrs, want);
    ck_assert_int_eq(atoi(cl), (int)strlen(PAY_BODY));
    ck_assert_ptr_null(strstr(hdrs, "stale"));
    assert_verifies(pay, HR_SCHEME_STRIPE);

    /* gh: keep_path appends the recorded path and query; the github
     * profile adds its default User-Agent, then fresh signatures. */
    gh = seen_at("/base/");
    ck_assert_str_eq(gh->url, "/base/webhooks/github?v=2");
    ck_assert_str_eq(gh->body, GH_BODY);
    header_text(gh, hdrs, sizeof(hdrs), cl, sizeof(cl));
    snprintf(want, sizeof(want),
             "X-GitHub-Event: issues\n"
             "X-GitHub-Delivery: guid-1\n"
             "Content-Type: application/json\n"
             "User-Agent: GitHub-Hookshot/hookreplay\n"
             "X-Hub-Signature: %s\n"
             "X-Hub-Signature-256: %s\n",
             value_of(gh, "X-Hub-Signature"),
             value_of(gh, "X-Hub-Signature-256"));
    ck_assert_str_eq(hdrs, want);
    ck_assert_str_ne(value_of(gh, "X-Hub-Signature-256"), "sha256=old");
    ck_assert_int_eq(atoi(cl), (int)strlen(GH_BODY));
    assert_verifies(gh, HR_SCHEME_GITHUB);
    seen_reset();
    free(dir);
}
END_TEST

START_TEST(target_flag_needs_endpoint_and_cli_profile_wins)
{
    char *dir = t_tmpdir();
    int port;
    struct MHD_Daemon *d = capture_start(&port);
    char path[600], url[128], secrets[600];
    struct t_result r;
    const struct seen *s;

    write_inputs(dir, port);
    snprintf(path, sizeof(path), "%s/two.ndjson", dir);
    snprintf(secrets, sizeof(secrets), "%s/secrets.txt", dir);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/only", port);
    {
        char *argv[] = {HR_BIN,     "run", "--cassette",    path,
                        "--target", url,   "--secret-file", secrets,
                        "--quiet",  NULL};

        ck_assert_int_eq(t_run(&r, argv, NULL, NULL, 30000), 0);
        ck_assert_int_eq(r.exit_code, 2);
        ck_assert_msg(strstr(r.err, "--endpoint NAME"), "%s", r.err);
        t_result_free(&r);
        ck_assert_int_eq(n_seen, 0);
    }
    {
        char *argv[] = {HR_BIN,      "run",    "--cassette",    path,
                        "--target",  url,      "--endpoint",    "pay",
                        "--profile", "stripe", "--secret-file", secrets,
                        "--pacing",  "asap",   "--out",         dir,
                        "--quiet",   NULL};

        ck_assert_int_eq(t_run(&r, argv, NULL, NULL, 30000), 0);
        t_result_free(&r);
    }
    MHD_stop_daemon(d);
    /* only the pay delivery goes to --target; the gh one has no target */
    s = seen_at("/only");
    ck_assert_str_eq(s->url, "/only");
    ck_assert_ptr_nonnull(value_of(s, "Stripe-Signature"));
    ck_assert_ptr_null(value_of(s, "X-Hub-Signature-256"));
    assert_verifies(s, HR_SCHEME_STRIPE);
    seen_reset();
    free(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("endpoints");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 120);
    tcase_add_test(tc,
                   each_endpoint_reaches_its_target_as_the_settled_rules_say);
    tcase_add_test(tc, target_flag_needs_endpoint_and_cli_profile_wins);
    suite_add_tcase(s, tc);
    return t_run_suite(s);
}
