/* SPDX-License-Identifier: MIT */
/* hookreplay import github, run as a process over the payload examples. */
#include "cassette.h"
#include "support.h"

#include <check.h>
#include <ctype.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PAYLOADS HR_SRC_DIR "/tests/data/github-payloads"

/* One payload file found by walking the folder here, independently. */
struct payload {
    char event[256];
    char *bytes;
    size_t len;
    int used;
};

static int is_json_file(const char *path)
{
    struct stat st;
    size_t n = strlen(path);

    return n > 5 && strcmp(path + n - 5, ".json") == 0 &&
           stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static size_t walk_payloads(struct payload **out)
{
    DIR *top = opendir(PAYLOADS), *sub;
    struct dirent *e, *f;
    size_t n = 0;
    char path[1024];

    ck_assert_ptr_nonnull(top);
    *out = NULL;
    while ((e = readdir(top)) != NULL) {
        snprintf(path, sizeof(path), "%s/%s", PAYLOADS, e->d_name);
        if (e->d_name[0] == '.' || !(sub = opendir(path)))
            continue;
        while ((f = readdir(sub)) != NULL) {
            struct hr_err err;
            char file[2048];

            snprintf(file, sizeof(file), "%s/%s", path, f->d_name);
            if (f->d_name[0] == '.' || !is_json_file(file))
                continue;
            *out = realloc(*out, (n + 1) * sizeof(**out));
            snprintf((*out)[n].event, sizeof((*out)[n].event), "%s", e->d_name);
            (*out)[n].bytes = hr_read_file(file, &(*out)[n].len, &err);
            ck_assert_ptr_nonnull((*out)[n].bytes);
            (*out)[n].used = 0;
            n++;
        }
        closedir(sub);
    }
    closedir(top);
    return n;
}

/* Marks the unused payload of this event with exactly these bytes. */
static int match_payload(struct payload *ps, size_t n, const char *event,
                         const struct hr_message *req)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (ps[i].used || strcmp(ps[i].event, event) != 0 ||
            ps[i].len != req->body_len ||
            memcmp(ps[i].bytes, req->body, req->body_len) != 0)
            continue;
        ps[i].used = 1;
        return 1;
    }
    return 0;
}

static int is_guid(const char *s)
{
    static const int dash_at[] = {8, 13, 18, 23};
    size_t i, d = 0;

    if (strlen(s) != 36)
        return 0;
    for (i = 0; i < 36; i++) {
        if (d < 4 && (int)i == dash_at[d]) {
            if (s[i] != '-')
                return 0;
            d++;
        } else if (!isxdigit((unsigned char)s[i]) ||
                   isupper((unsigned char)s[i])) {
            return 0;
        }
    }
    return 1;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *run_import_to_file(void)
{
    static char path[512];
    char *dir = t_tmpdir();
    struct t_result res;

    snprintf(path, sizeof(path), "%s/github.ndjson", dir);
    {
        char *argv[] = {HR_BIN, "import", "github", PAYLOADS, "-o", path, NULL};

        ck_assert_int_eq(t_run(&res, argv, NULL, NULL, 60000), 0);
    }
    ck_assert_msg(res.exit_code == 0, "exit %d: %s", res.exit_code, res.err);
    ck_assert_str_eq(res.out, "");
    t_result_free(&res);
    free(dir);
    return path;
}

/* Checks one interaction; returns its delivery GUID (a copy). */
static char *check_interaction(const struct hr_interaction *it, long seq,
                               struct payload *ps, size_t n)
{
    static const char *names[] = {"Content-Type",
                                  "User-Agent",
                                  "X-GitHub-Event",
                                  "X-GitHub-Delivery",
                                  "X-GitHub-Hook-ID",
                                  "X-GitHub-Hook-Installation-Target-ID",
                                  "X-GitHub-Hook-Installation-Target-Type"};
    const struct hr_message *req = &it->request;
    const char *event = hr_message_header(req, "X-GitHub-Event");
    size_t i;

    ck_assert_int_eq(it->seq, seq);
    ck_assert_int_eq(it->at_ms, (seq - 1) * 1000);
    ck_assert_int_eq(it->kind, HR_KIND_WEBHOOK);
    ck_assert_str_eq(it->endpoint, "github");
    ck_assert_str_eq(req->method, "POST");
    ck_assert_str_eq(req->path, "/webhooks/github");
    ck_assert_uint_eq(req->n_headers, 7);
    for (i = 0; i < 7; i++)
        ck_assert_str_eq(req->headers[i].name, names[i]);
    ck_assert_str_eq(req->headers[0].value, "application/json");
    ck_assert(strncmp(req->headers[1].value, "GitHub-Hookshot/", 16) == 0);
    ck_assert_str_eq(req->headers[6].value, "repository");
    ck_assert_ptr_null(hr_message_header(req, "X-Hub-Signature-256"));
    ck_assert_msg(match_payload(ps, n, event, req),
                  "seq %ld (%s): body matches no payload file", seq, event);
    ck_assert(it->has_event);
    ck_assert(is_guid(it->event.id));
    ck_assert_str_eq(it->event.id, it->delivery);
    ck_assert_str_eq(it->event.id, hr_message_header(req, "X-GitHub-Delivery"));
    ck_assert(strncmp(it->event.type, event, strlen(event)) == 0);
    return strdup(it->event.id);
}

/* The issue's node id from the body, to compare with the event object. */
static void check_object(const struct hr_interaction *it)
{
    cJSON *root = cJSON_Parse((const char *)it->request.body);
    const cJSON *issue = cJSON_GetObjectItem(root, "issue");
    const cJSON *node = cJSON_GetObjectItem(issue, "node_id");

    ck_assert(cJSON_IsString(node));
    ck_assert_str_eq(it->event.object, node->valuestring);
    cJSON_Delete(root);
}

START_TEST(import_github_writes_one_exact_delivery_per_payload_file)
{
    struct payload *ps;
    size_t n = walk_payloads(&ps), i;
    char *path = run_import_to_file(), **guids;
    struct hr_err err = {0, ""};
    struct hr_cassette_reader *r = hr_cassette_open(path, &err);
    struct hr_interaction it;
    long count = 0;
    int saw_opened = 0, saw_push = 0, saw_pr = 0;

    ck_assert_msg(r != NULL, "%s", err.msg);
    ck_assert_uint_gt(n, 200);
    ck_assert_str_eq(hr_cassette_header(r)->source, "import github");
    ck_assert_str_eq(hr_cassette_header(r)->endpoints[0].profile, "github");
    guids = calloc(n + 1, sizeof(*guids));
    hr_interaction_init(&it);
    while (hr_cassette_next(r, &it, &err) == 1) {
        ck_assert_uint_lt((size_t)count, n);
        guids[count] = check_interaction(&it, count + 1, ps, n);
        if (strcmp(it.event.type, "issues.opened") == 0) {
            saw_opened = 1;
            check_object(&it);
        }
        saw_push |= strcmp(it.event.type, "push") == 0;
        saw_pr |= strcmp(it.event.type, "pull_request.opened") == 0;
        count++;
    }
    ck_assert_msg(err.code == 0, "%s", err.msg);
    ck_assert_int_eq(count, (long)n);
    ck_assert(saw_opened && saw_push && saw_pr);
    qsort(guids, n, sizeof(*guids), cmp_str);
    for (i = 1; i < n; i++)
        ck_assert_str_ne(guids[i - 1], guids[i]);
    for (i = 0; i < n; i++) {
        ck_assert(ps[i].used);
        free(ps[i].bytes);
        free(guids[i]);
    }
    hr_interaction_clear(&it);
    hr_cassette_close(r);
    free(guids);
    free(ps);
    unlink(path);
}
END_TEST

START_TEST(import_github_gives_the_same_bytes_on_every_run)
{
    char *argv[] = {HR_BIN, "import", "github", PAYLOADS, NULL};
    struct t_result a, b;
    char *path = run_import_to_file();
    size_t len = 0;
    struct hr_err err;
    char *file = hr_read_file(path, &len, &err);

    ck_assert_int_eq(t_run(&a, argv, NULL, NULL, 60000), 0);
    ck_assert_int_eq(t_run(&b, argv, NULL, NULL, 60000), 0);
    ck_assert_int_eq(a.exit_code, 0);
    ck_assert_uint_gt(strlen(a.out), 100000);
    ck_assert_str_eq(a.out, b.out);
    ck_assert_str_eq(a.out, file);
    t_result_free(&a);
    t_result_free(&b);
    free(file);
    unlink(path);
}
END_TEST

START_TEST(import_github_rejects_a_missing_folder_with_exit_2)
{
    char *argv[] = {HR_BIN, "import", "github", "/nonexistent/payloads", NULL};
    char *empty = t_tmpdir();
    char *argv2[] = {HR_BIN, "import", "github", empty, NULL};
    char *argv3[] = {HR_BIN, "import", "gitlab", empty, NULL};
    struct t_result res;

    ck_assert_int_eq(t_run(&res, argv, NULL, NULL, 10000), 0);
    ck_assert_int_eq(res.exit_code, 2);
    ck_assert_ptr_nonnull(strstr(res.err, "/nonexistent/payloads: No such"));
    ck_assert_str_eq(res.out, "");
    t_result_free(&res);
    ck_assert_int_eq(t_run(&res, argv2, NULL, NULL, 10000), 0);
    ck_assert_int_eq(res.exit_code, 2);
    ck_assert_ptr_nonnull(strstr(res.err, "no payload files found"));
    t_result_free(&res);
    ck_assert_int_eq(t_run(&res, argv3, NULL, NULL, 10000), 0);
    ck_assert_int_eq(res.exit_code, 2);
    t_result_free(&res);
    rmdir(empty);
    free(empty);
}
END_TEST

START_TEST(import_github_refuses_a_payload_that_is_not_json)
{
    char *dir = t_tmpdir(), sub[512], file[600];
    char *argv[] = {HR_BIN, "import", "github", dir, NULL};
    struct t_result res;

    snprintf(sub, sizeof(sub), "%s/issues", dir);
    snprintf(file, sizeof(file), "%s/opened.payload.json", sub);
    ck_assert_int_eq(mkdir(sub, 0700), 0);
    ck_assert_int_eq(t_write_file(file, "{\"action\":", 10), 0);
    ck_assert_int_eq(t_run(&res, argv, NULL, NULL, 10000), 0);
    ck_assert_int_eq(res.exit_code, 2);
    ck_assert_ptr_nonnull(strstr(res.err, "opened.payload.json: not a JSON"));
    t_result_free(&res);
    unlink(file);
    rmdir(sub);
    rmdir(dir);
    free(dir);
}
END_TEST

START_TEST(import_help_explains_the_command)
{
    char *argv[] = {HR_BIN, "import", "--help", NULL};
    struct t_result res;

    ck_assert_int_eq(t_run(&res, argv, NULL, NULL, 10000), 0);
    ck_assert_int_eq(res.exit_code, 0);
    ck_assert_ptr_nonnull(strstr(res.out, "import github DIR [-o FILE]"));
    ck_assert_ptr_nonnull(strstr(res.out, "Signature headers"));
    t_result_free(&res);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("import_github");
    TCase *tc = tcase_create("core");

    hr_alloc_init();
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc,
                   import_github_writes_one_exact_delivery_per_payload_file);
    tcase_add_test(tc, import_github_gives_the_same_bytes_on_every_run);
    tcase_add_test(tc, import_github_rejects_a_missing_folder_with_exit_2);
    tcase_add_test(tc, import_github_refuses_a_payload_that_is_not_json);
    tcase_add_test(tc, import_help_explains_the_command);
    suite_add_tcase(s, tc);
    return t_run_suite(s);
}
