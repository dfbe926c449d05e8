/* SPDX-License-Identifier: MIT */
/* The sign command, run as a process, against the signature vectors. */
#include "sign.h"
#include "support.h"

#include <check.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define VECTORS HR_SRC_DIR "/tests/data/vectors/signatures.json"
#define RUN_TIMEOUT_MS 20000

static const char *jstr(const cJSON *o, const char *key)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, key);

    return cJSON_IsString(j) ? j->valuestring : NULL;
}

/* The vector of provider and case; the whole array stays in *all. */
static const cJSON *find_vector(cJSON **all, const char *provider,
                                const char *name)
{
    const cJSON *v;

    *all = t_read_json(VECTORS);
    ck_assert_msg(cJSON_IsArray(*all), "cannot read %s", VECTORS);
    cJSON_ArrayForEach(v, *all)
    {
        if (!strcmp(jstr(v, "provider"), provider) &&
            !strcmp(jstr(v, "case"), name))
            return v;
    }
    ck_abort_msg("no vector %s %s", provider, name);
    return NULL;
}

/* A header of the vector by case-insensitive name, or NULL. */
static const char *vector_header(const cJSON *vec, const char *name)
{
    const cJSON *h;

    cJSON_ArrayForEach(h, cJSON_GetObjectItemCaseSensitive(vec, "headers"))
    {
        if (hr_strcaseeq(h->string, name))
            return h->valuestring;
    }
    return NULL;
}

/* Splits "Name: value" lines of out into m (copies). Returns the count. */
static size_t parse_headers(const char *out, struct hr_message *m)
{
    const char *line = out;

    memset(m, 0, sizeof(*m));
    while (*line) {
        const char *nl = strchr(line, '\n');
        const char *colon = strstr(line, ": ");
        struct hr_header *h;

        ck_assert_msg(nl && colon && colon < nl, "bad line in: %s", out);
        h = realloc(m->headers, (m->n_headers + 1) * sizeof(*h));
        ck_assert_ptr_nonnull(h);
        m->headers = h;
        h[m->n_headers].name = hr_strndup(line, (size_t)(colon - line));
        h[m->n_headers].value = hr_strndup(colon + 2, (size_t)(nl - colon - 2));
        m->n_headers++;
        line = nl + 1;
    }
    return m->n_headers;
}

static void message_free(struct hr_message *m)
{
    size_t i;

    for (i = 0; i < m->n_headers; i++) {
        hr_free(m->headers[i].name);
        hr_free(m->headers[i].value);
    }
    free(m->headers);
}

/* Writes text to a secrets file in a new folder; returns its path. */
static char *secret_file(const char *text, char **dir)
{
    char *path;

    *dir = t_tmpdir();
    ck_assert_ptr_nonnull(*dir);
    path = hr_path_join(*dir, "secrets");
    ck_assert_int_eq(t_write_file(path, text, strlen(text)), 0);
    return path;
}

static void secret_file_remove(char *path, char *dir)
{
    unlink(path);
    rmdir(dir);
    hr_free(path);
    free(dir);
}

/* Runs hookreplay sign for the vector with extra argv; body on stdin. */
static void run_sign(struct t_result *r, const cJSON *vec,
                     const char *secret_path, char *const env[])
{
    char ts[32];
    char *argv[16];
    int n = 0;
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(vec, "timestamp");

    argv[n++] = HR_BIN;
    argv[n++] = "sign";
    argv[n++] = "--profile";
    argv[n++] = (char *)jstr(vec, "provider");
    if (cJSON_IsNumber(t)) {
        snprintf(ts, sizeof(ts), "%lld", (long long)t->valuedouble);
        argv[n++] = "--timestamp";
        argv[n++] = ts;
    }
    if (jstr(vec, "id")) {
        argv[n++] = "--id";
        argv[n++] = (char *)jstr(vec, "id");
    }
    if (secret_path) {
        argv[n++] = "--secret-file";
        argv[n++] = (char *)secret_path;
    }
    argv[n] = NULL;
    ck_assert_int_eq(t_run(r, argv, env, jstr(vec, "body"), RUN_TIMEOUT_MS), 0);
}

static const char *const providers[] = {
    "stripe", "github", "shopify", "slack", "standard-webhooks", "svix"};
static const size_t n_sig_headers[] = {1, 2, 1, 2, 3, 3};

/*
 * Every header printed carries the vector's value; loop index i picks
 * the provider and whether the body is the plain or whitespace one.
 */
START_TEST(sign_reproduces_the_vector_headers_for_each_provider)
{
    const char *provider = providers[_i / 2];
    const char *name = _i % 2 ? "valid_whitespace" : "valid_utf8";
    cJSON *all;
    const cJSON *vec = find_vector(&all, provider, name);
    char *dir, *path;
    struct t_result r;
    struct hr_message m;
    size_t i;

    /* the secret file ends with a newline, as editors write it */
    {
        char text[256];

        snprintf(text, sizeof(text), "%s\n", jstr(vec, "secret"));
        path = secret_file(text, &dir);
    }
    run_sign(&r, vec, path, NULL);
    ck_assert_msg(r.exit_code == 0, "%s: exit %d: %s", provider, r.exit_code,
                  r.err);
    ck_assert_uint_eq(parse_headers(r.out, &m), n_sig_headers[_i / 2]);
    for (i = 0; i < m.n_headers; i++) {
        const char *want = vector_header(vec, m.headers[i].name);

        ck_assert_msg(want != NULL, "%s: vector has no %s", provider,
                      m.headers[i].name);
        ck_assert_str_eq(m.headers[i].value, want);
    }
    message_free(&m);
    t_result_free(&r);
    secret_file_remove(path, dir);
    cJSON_Delete(all);
}
END_TEST

/* NUL, 0xff and CRLF bytes reach the signer unchanged through stdin. */
START_TEST(sign_reads_binary_bodies_byte_for_byte)
{
    static const char body[] = "\x00\xff\r\n{\"a\":1}\r\n\x00";
    const char *secret = "test-secret-binary";
    char *dir, *path = secret_file("test-secret-binary\n", &dir);
    char *body_path = hr_path_join(dir, "body");
    char *argv[] = {"/bin/sh",
                    "-c",
                    "exec \"$0\" sign --profile github --secret-file "
                    "\"$1\" < \"$2\"",
                    HR_BIN,
                    path,
                    body_path,
                    NULL};
    struct hr_sign_input in = {0};
    struct hr_message want = {0}, got;
    struct hr_err err;
    struct t_result r;
    size_t i;

    ck_assert_int_eq(t_write_file(body_path, body, sizeof(body) - 1), 0);
    in.scheme = HR_SCHEME_GITHUB;
    in.secrets = &secret;
    in.n_secrets = 1;
    in.body = (const unsigned char *)body;
    in.body_len = sizeof(body) - 1;
    ck_assert_int_eq(hr_sign(&in, &want, &err), 0);
    ck_assert_int_eq(t_run(&r, argv, NULL, NULL, RUN_TIMEOUT_MS), 0);
    ck_assert_msg(r.exit_code == 0, "exit %d: %s", r.exit_code, r.err);
    ck_assert_uint_eq(parse_headers(r.out, &got), want.n_headers);
    for (i = 0; i < got.n_headers; i++) {
        ck_assert_str_eq(got.headers[i].name, want.headers[i].name);
        ck_assert_str_eq(got.headers[i].value, want.headers[i].value);
    }
    message_free(&got);
    for (i = 0; i < want.n_headers; i++) {
        hr_free(want.headers[i].name);
        hr_free(want.headers[i].value);
    }
    hr_free(want.headers);
    t_result_free(&r);
    unlink(body_path);
    hr_free(body_path);
    secret_file_remove(path, dir);
}
END_TEST

START_TEST(sign_reads_the_secret_from_the_environment_without_a_file)
{
    cJSON *all;
    const cJSON *vec = find_vector(&all, "stripe", "valid_utf8");
    char env_secret[256];
    char *env[] = {env_secret, NULL};
    struct t_result r;
    char want[256];

    snprintf(env_secret, sizeof(env_secret), "HOOKREPLAY_SECRET=%s",
             jstr(vec, "secret"));
    run_sign(&r, vec, NULL, env);
    ck_assert_int_eq(r.exit_code, 0);
    snprintf(want, sizeof(want), "Stripe-Signature: %s\n",
             vector_header(vec, "Stripe-Signature"));
    ck_assert_str_eq(r.out, want);
    t_result_free(&r);
    cJSON_Delete(all);
}
END_TEST

START_TEST(sign_puts_one_signature_per_secret_in_a_rotation)
{
    cJSON *all;
    const cJSON *vec = find_vector(&all, "svix", "valid_utf8");
    const char *want = vector_header(vec, "svix-signature");
    char text[256], *dir, *path;
    const char *sig;
    struct t_result r;
    struct hr_message m;

    snprintf(text, sizeof(text), "whsec_dGVzdC1vbGQtc2VjcmV0\r\n%s\r\n",
             jstr(vec, "secret"));
    path = secret_file(text, &dir);
    run_sign(&r, vec, path, NULL);
    ck_assert_int_eq(r.exit_code, 0);
    ck_assert_uint_eq(parse_headers(r.out, &m), 3);
    ck_assert_str_eq(m.headers[2].name, "svix-signature");
    sig = m.headers[2].value;
    ck_assert(strncmp(sig, "v1,", 3) == 0);
    ck_assert_ptr_nonnull(strchr(sig, ' '));
    ck_assert_str_eq(strchr(sig, ' ') + 1, want); /* second secret's */
    message_free(&m);
    t_result_free(&r);
    secret_file_remove(path, dir);
    cJSON_Delete(all);
}
END_TEST

/* A profile given as a JSON file signs with that file's scheme. */
START_TEST(sign_accepts_a_profile_json_file)
{
    cJSON *all;
    const cJSON *vec = find_vector(&all, "svix", "valid_utf8");
    char env_secret[256];
    char *env[] = {env_secret, NULL};
    char *argv[] = {HR_BIN,        "sign",
                    "--profile",   HR_SRC_DIR "/mocks/profiles/svix.json",
                    "--timestamp", "1750000000",
                    "--id",        (char *)jstr(vec, "id"),
                    NULL};
    struct t_result r;
    struct hr_message m;

    snprintf(env_secret, sizeof(env_secret), "HOOKREPLAY_SECRET=%s",
             jstr(vec, "secret"));
    ck_assert_int_eq(t_run(&r, argv, env, jstr(vec, "body"), RUN_TIMEOUT_MS),
                     0);
    ck_assert_msg(r.exit_code == 0, "exit %d: %s", r.exit_code, r.err);
    ck_assert_uint_eq(parse_headers(r.out, &m), 3);
    ck_assert_str_eq(m.headers[2].name, "svix-signature");
    ck_assert_str_eq(m.headers[2].value, vector_header(vec, "svix-signature"));
    message_free(&m);
    t_result_free(&r);
    cJSON_Delete(all);
}
END_TEST

START_TEST(sign_without_any_secret_exits_2)
{
    char *argv[] = {HR_BIN, "sign", "--profile", "github", NULL};
    struct t_result r;

    unsetenv("HOOKREPLAY_SECRET"); /* the child inherits this process' */
    ck_assert_int_eq(t_run(&r, argv, NULL, "{}", RUN_TIMEOUT_MS), 0);
    ck_assert_int_eq(r.exit_code, 2);
    ck_assert_str_eq(r.out, "");
    ck_assert_ptr_nonnull(strstr(r.err, "HOOKREPLAY_SECRET"));
    t_result_free(&r);
}
END_TEST

START_TEST(sign_refuses_a_secret_on_the_command_line)
{
    char *argv[] = {
        HR_BIN, "sign", "--profile", "stripe", "--secret=hunter2-topsecret",
        NULL};
    char *argv2[] = {HR_BIN, "sign", "--secret", "hunter2", NULL};
    struct t_result r;

    ck_assert_int_eq(t_run(&r, argv, NULL, "{}", RUN_TIMEOUT_MS), 0);
    ck_assert_int_eq(r.exit_code, 2);
    ck_assert_str_eq(r.out, "");
    ck_assert_ptr_nonnull(strstr(r.err, "--secret-file"));
    ck_assert_ptr_null(strstr(r.err, "hunter2"));
    t_result_free(&r);
    ck_assert_int_eq(t_run(&r, argv2, NULL, "{}", RUN_TIMEOUT_MS), 0);
    ck_assert_int_eq(r.exit_code, 2);
    t_result_free(&r);
}
END_TEST

START_TEST(sign_rejects_an_unknown_profile_and_a_bad_timestamp)
{
    char *env[] = {"HOOKREPLAY_SECRET=test-secret", NULL};
    char *unknown[] = {HR_BIN, "sign", "--profile", "paypal", NULL};
    char *bad_ts[] = {HR_BIN,        "sign", "--profile", "slack",
                      "--timestamp", "1e9",  NULL};
    char *negative[] = {HR_BIN,        "sign", "--profile", "stripe",
                        "--timestamp", "-5",   NULL};
    char *const *cases[] = {unknown, bad_ts, negative};
    struct t_result r;
    size_t i;

    for (i = 0; i < 3; i++) {
        ck_assert_int_eq(t_run(&r, cases[i], env, "{}", RUN_TIMEOUT_MS), 0);
        ck_assert_int_eq(r.exit_code, 2);
        ck_assert_str_eq(r.out, "");
        t_result_free(&r);
    }
}
END_TEST

START_TEST(sign_help_exits_0_and_explains_secrets_and_exit_codes)
{
    char *argv[] = {HR_BIN, "sign", "--help", NULL};
    struct t_result r;

    ck_assert_int_eq(t_run(&r, argv, NULL, NULL, RUN_TIMEOUT_MS), 0);
    ck_assert_int_eq(r.exit_code, 0);
    ck_assert_ptr_nonnull(strstr(r.out, "--secret-file"));
    ck_assert_ptr_nonnull(strstr(r.out, "HOOKREPLAY_SECRET"));
    ck_assert_ptr_nonnull(strstr(r.out, "Exit codes"));
    t_result_free(&r);
}
END_TEST

/* No --timestamp, no --id: now and a fresh msg_ id, and it verifies. */
START_TEST(sign_defaults_to_now_and_a_generated_id)
{
    char *env[] = {"HOOKREPLAY_SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                   NULL};
    char *argv[] = {HR_BIN, "sign", "--profile", "standard-webhooks", NULL};
    const char *secret = env[0] + strlen("HOOKREPLAY_SECRET=");
    const char *body = "{\"type\":\"ping\"}\n";
    struct t_result r;
    struct hr_message m;
    struct hr_verdict v;
    struct hr_err err;
    long long ts, now = (long long)time(NULL);
    const char *id;

    ck_assert_int_eq(t_run(&r, argv, env, body, RUN_TIMEOUT_MS), 0);
    ck_assert_int_eq(r.exit_code, 0);
    ck_assert_uint_eq(parse_headers(r.out, &m), 3);
    id = m.headers[0].value;
    ck_assert_str_eq(m.headers[0].name, "webhook-id");
    ck_assert(strncmp(id, "msg_", 4) == 0 && strlen(id) == 36);
    ck_assert_uint_eq(strspn(id + 4, "0123456789abcdef"), 32);
    ts = atoll(m.headers[1].value);
    /* signed during the run: between the clock reads around it */
    ck_assert_msg(ts >= now && ts <= (long long)time(NULL), "ts %lld", ts);
    m.body = (unsigned char *)body;
    m.body_len = strlen(body);
    ck_assert_int_eq(
        hr_verify(HR_SCHEME_STDWH, &secret, 1, &m, now, 300, &v, &err), 0);
    ck_assert_msg(v.valid, "%s", v.reason);
    message_free(&m);
    t_result_free(&r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sign_cli");
    TCase *tc = tcase_create("cli");

    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(
        tc, sign_reproduces_the_vector_headers_for_each_provider, 0, 12);
    tcase_add_test(tc,
                   sign_reads_the_secret_from_the_environment_without_a_file);
    tcase_add_test(tc, sign_puts_one_signature_per_secret_in_a_rotation);
    tcase_add_test(tc, sign_reads_binary_bodies_byte_for_byte);
    tcase_add_test(tc, sign_accepts_a_profile_json_file);
    tcase_add_test(tc, sign_without_any_secret_exits_2);
    tcase_add_test(tc, sign_refuses_a_secret_on_the_command_line);
    tcase_add_test(tc, sign_rejects_an_unknown_profile_and_a_bad_timestamp);
    tcase_add_test(tc, sign_help_exits_0_and_explains_secrets_and_exit_codes);
    tcase_add_test(tc, sign_defaults_to_now_and_a_generated_id);
    suite_add_tcase(s, tc);
    return t_run_suite(s);
}
