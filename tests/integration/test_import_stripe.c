/* SPDX-License-Identifier: MIT */
/* `hookreplay import stripe-events`: event objects become deliveries. */
#include "cassette.h"
#include "support.h"

#include <check.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIXTURES HR_SRC_DIR "/tests/data/stripe/djstripe-fixtures"

/* Reads every webhook of a cassette (at most max) with the real reader. */
static int read_all(const char *path, struct hr_interaction *out, int max)
{
    struct hr_err err;
    struct hr_cassette_reader *r = hr_cassette_open(path, &err);
    int n = 0, rc;

    ck_assert_msg(r != NULL, "%s", err.msg);
    hr_interaction_init(&out[0]);
    while (n < max && (rc = hr_cassette_next(r, &out[n], &err)) == 1) {
        ck_assert_int_eq(out[n].kind, HR_KIND_WEBHOOK);
        if (++n < max)
            hr_interaction_init(&out[n]);
    }
    ck_assert_msg(n == max || rc == 0, "%s", err.msg);
    hr_cassette_close(r);
    return n;
}

static void run_ok(char *const argv[])
{
    struct t_result r;

    ck_assert_int_eq(t_run(&r, argv, NULL, NULL, 60000), 0);
    ck_assert_msg(r.exit_code == 0, "%s exit %d: %s%s", argv[1], r.exit_code,
                  r.out, r.err);
    t_result_free(&r);
}

START_TEST(djstripe_events_become_a_lint_clean_cassette_in_time_order)
{
    char *dir = t_tmpdir();
    char out[600];
    char *argv[64] = {HR_BIN, "import", "stripe-events", "-o", out};
    char *lint[] = {HR_BIN, "lint", out, NULL};
    struct hr_interaction it[64];
    glob_t g;
    size_t i;
    int n, k;

    snprintf(out, sizeof(out), "%s/events.ndjson", dir);
    ck_assert_int_eq(glob(FIXTURES "/event_*.json", 0, NULL, &g), 0);
    ck_assert_int_ge((int)g.gl_pathc, 5);
    for (i = 0; i < g.gl_pathc && i < 50; i++)
        argv[5 + i] = g.gl_pathv[i];
    argv[5 + i] = NULL;
    run_ok(argv);
    run_ok(lint);
    n = read_all(out, it, 64);
    ck_assert_int_eq(n, (int)g.gl_pathc);
    for (k = 0; k < n; k++) {
        cJSON *body = cJSON_Parse((char *)it[k].request.body);

        ck_assert_ptr_nonnull(body);
        ck_assert_str_eq(it[k].event.id,
                         cJSON_GetObjectItem(body, "id")->valuestring);
        ck_assert_str_eq(it[k].endpoint, "stripe");
        /* two spaces per level, as Stripe sends it */
        ck_assert_msg(
            strncmp((char *)it[k].request.body, "{\n  \"id\": ", 10) == 0,
            "%.40s", it[k].request.body);
        ck_assert_ptr_null(strstr((char *)it[k].request.body, "\t"));
        if (k > 0) {
            ck_assert(it[k].event.created >= it[k - 1].event.created);
            ck_assert_int_eq(it[k].at_ms - it[0].at_ms,
                             (it[k].event.created - it[0].event.created) *
                                 1000);
        }
        ck_assert_str_eq(hr_message_header(&it[k].request, "User-Agent"),
                         "Stripe/1.0 (+https://stripe.com/docs/webhooks)");
        cJSON_Delete(body);
    }
    for (k = 0; k < n; k++)
        hr_interaction_clear(&it[k]);
    globfree(&g);
    free(dir);
}
END_TEST

#define EV(id, t)                                                              \
    "{\"id\":\"" id "\",\"object\":\"event\",\"created\":" t                   \
    ",\"type\":\"charge.updated\",\"data\":{\"object\":"                       \
    "{\"id\":\"ch_1\",\"amount\":1.10,\"big\":"                                \
    "12345678901234567890,\"s\":\"caf\\u00e9\",\"e\":[],"                      \
    "\"o\":{}}}}"

START_TEST(list_pages_are_newest_first_and_number_text_is_kept)
{
    static const char page[] =
        "{\"object\":\"list\",\"has_more\":false,"
        "\"url\":\"/v1/events\",\"data\":[" EV("evt_3", "300") "," EV(
            "evt_2", "100") "," EV("evt_1", "100") "]}";
    static const char single[] =
        "{\n  \"id\": \"evt_0\",\n  \"object\": \"event\",\n"
        "  \"created\": 50,\n  \"type\": \"customer.created\",\n"
        "  \"data\": {\n    \"object\": {\n      \"id\": \"cus_1\",\n"
        "      \"n\": 2.50\n    }\n  }\n}\n";
    static const char want_body[] =
        "{\n  \"id\": \"evt_2\",\n  \"object\": \"event\",\n"
        "  \"created\": 100,\n  \"type\": \"charge.updated\",\n"
        "  \"data\": {\n    \"object\": {\n      \"id\": \"ch_1\",\n"
        "      \"amount\": 1.10,\n      \"big\": 12345678901234567890,\n"
        "      \"s\": \"caf\\u00e9\",\n      \"e\": [],\n      \"o\": {}\n"
        "    }\n  }\n}";
    char *dir = t_tmpdir();
    char out[600], p1[600], p2[600];
    char *argv[] = {HR_BIN, "import", "stripe-events", p1, p2, "-o", out, NULL};
    struct hr_interaction it[8];
    int n, k;

    snprintf(out, sizeof(out), "%s/o.ndjson", dir);
    snprintf(p1, sizeof(p1), "%s/page.json", dir);
    snprintf(p2, sizeof(p2), "%s/single.json", dir);
    ck_assert_int_eq(t_write_file(p1, page, strlen(page)), 0);
    ck_assert_int_eq(t_write_file(p2, single, strlen(single)), 0);
    run_ok(argv);
    n = read_all(out, it, 8);
    ck_assert_int_eq(n, 4);
    ck_assert_str_eq(it[0].event.id, "evt_0");
    ck_assert_str_eq(it[1].event.id, "evt_1");
    ck_assert_str_eq(it[2].event.id, "evt_2");
    ck_assert_str_eq(it[3].event.id, "evt_3");
    ck_assert_int_eq(it[3].at_ms, 250000);
    /* a single event printed as Stripe prints keeps its bytes */
    ck_assert_int_eq((int)it[0].request.body_len, (int)strlen(single) - 1);
    ck_assert(memcmp(it[0].request.body, single, strlen(single) - 1) == 0);
    ck_assert_str_eq((char *)it[2].request.body, want_body);
    for (k = 0; k < n; k++)
        hr_interaction_clear(&it[k]);
    free(dir);
}
END_TEST

START_TEST(non_events_are_refused)
{
    char *dir = t_tmpdir();
    char p[600];
    char *argv[] = {HR_BIN, "import", "stripe-events", p, NULL};
    struct t_result r;

    snprintf(p, sizeof(p), "%s/c.json", dir);
    ck_assert_int_eq(t_write_file(p, "{\"object\":\"customer\"}", 21), 0);
    ck_assert_int_eq(t_run(&r, argv, NULL, NULL, 30000), 0);
    ck_assert_int_eq(r.exit_code, 2);
    ck_assert_msg(strstr(r.err, "expected Stripe event objects"), "%s", r.err);
    ck_assert_str_eq(r.out, "");
    t_result_free(&r);
    free(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("import_stripe");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 120);
    tcase_add_test(tc,
                   djstripe_events_become_a_lint_clean_cassette_in_time_order);
    tcase_add_test(tc, list_pages_are_newest_first_and_number_text_is_kept);
    tcase_add_test(tc, non_events_are_refused);
    suite_add_tcase(s, tc);
    return t_run_suite(s);
}
