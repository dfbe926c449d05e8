/* SPDX-License-Identifier: MIT */
/* `hookreplay generate stripe-story`: valid, consistent, streamed. */
#include "cassette.h"
#include "jsonx.h"
#include "support.h"

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

/* Ids of objects that earlier events carried (a small open hash set). */
#define SET_SLOTS 65536
static char *seen[SET_SLOTS];

static size_t slot_of(const char *id)
{
    size_t h = 5381;

    for (; *id; id++)
        h = h * 33 + (unsigned char)*id;
    return h % SET_SLOTS;
}

static void remember(const char *id)
{
    size_t i = slot_of(id);

    while (seen[i] && strcmp(seen[i], id))
        i = (i + 1) % SET_SLOTS;
    if (!seen[i])
        seen[i] = strdup(id);
}

static int known(const char *id)
{
    size_t i = slot_of(id);

    while (seen[i] && strcmp(seen[i], id))
        i = (i + 1) % SET_SLOTS;
    return seen[i] != NULL;
}

static void forget_all(void)
{
    size_t i;

    for (i = 0; i < SET_SLOTS; i++) {
        free(seen[i]);
        seen[i] = NULL;
    }
}

static const char *str_at(const cJSON *o, const char *ptr)
{
    const cJSON *v = hr_json_pointer(o, ptr);

    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int64_t int_at(const cJSON *o, const char *ptr)
{
    int64_t v = -1;

    hr_json_int64(hr_json_pointer(o, ptr), &v);
    return v;
}

/* Every reference an object makes must name an object seen before. */
static void check_refs(const cJSON *obj, const char *evt)
{
    static const char *const refs[] = {
        "/customer",
        "/payment_intent",
        "/charge",
        "/latest_charge",
        "/payment_method",
        "/default_payment_method",
        "/latest_invoice",
        "/subscription",
        "/invoice_settings/default_payment_method",
        "/items/data/0/price/id",
        "/items/data/0/price/product",
        "/parent/subscription_details/subscription",
        "/lines/data/0/parent/subscription_item_details/subscription",
        NULL};
    size_t i;

    for (i = 0; refs[i]; i++) {
        const char *id = str_at(obj, refs[i]);

        ck_assert_msg(!id || known(id),
                      "%s: %s=%s refers to nothing sent "
                      "before",
                      evt, refs[i], id);
    }
}

static int one_of(const char *s, const char *const *set)
{
    for (; s && *set; set++)
        if (strcmp(s, *set) == 0)
            return 1;
    return 0;
}

/* Statuses from Stripe's enums, and fields that agree with them. */
static void check_consistent(const cJSON *obj, const char *evt)
{
    static const char *const sub_st[] = {
        "incomplete", "incomplete_expired", "trialing", "active",
        "past_due",   "canceled",           "unpaid",   "paused",
        NULL};
    static const char *const inv_st[] = {"draft",         "open", "paid",
                                         "uncollectible", "void", NULL};
    static const char *const pi_st[] = {"requires_payment_method",
                                        "requires_confirmation",
                                        "requires_action",
                                        "processing",
                                        "requires_capture",
                                        "canceled",
                                        "succeeded",
                                        NULL};
    static const char *const ch_st[] = {"succeeded", "pending", "failed", NULL};
    const char *kind = str_at(obj, "/object"), *st = str_at(obj, "/status");

    if (strcmp(kind, "subscription") == 0) {
        ck_assert_msg(one_of(st, sub_st), "%s: status %s", evt, st);
        ck_assert_msg((int_at(obj, "/canceled_at") > 0) ==
                          (strcmp(st, "canceled") == 0),
                      "%s: canceled_at with status %s", evt, st);
        ck_assert_int_gt(int_at(obj, "/items/data/0/current_period_end"),
                         int_at(obj, "/items/data/0/current_period_start"));
    } else if (strcmp(kind, "invoice") == 0) {
        ck_assert_msg(one_of(st, inv_st), "%s: status %s", evt, st);
        ck_assert_int_eq(int_at(obj, "/amount_paid") +
                             int_at(obj, "/amount_remaining"),
                         int_at(obj, "/amount_due"));
    } else if (strcmp(kind, "payment_intent") == 0) {
        ck_assert_msg(one_of(st, pi_st), "%s: status %s", evt, st);
        ck_assert_msg((int_at(obj, "/canceled_at") > 0) ==
                          (strcmp(st, "canceled") == 0),
                      "%s", evt);
    } else if (strcmp(kind, "charge") == 0) {
        ck_assert_msg(one_of(st, ch_st), "%s: status %s", evt, st);
        ck_assert_int_le(int_at(obj, "/amount_refunded"),
                         int_at(obj, "/amount_captured"));
    }
}

/* Reads a generated cassette and checks every event; returns the count. */
static int check_story(const char *path)
{
    struct hr_err err;
    struct hr_cassette_reader *r = hr_cassette_open(path, &err);
    struct hr_interaction it;
    int64_t last_ms = -1, last_created = -1;
    int n = 0;

    ck_assert_msg(r != NULL, "%s", err.msg);
    hr_interaction_init(&it);
    while (hr_cassette_next(r, &it, &err) == 1) {
        cJSON *ev = cJSON_Parse((const char *)it.request.body);
        const cJSON *obj = hr_json_pointer(ev, "/data/object");

        ck_assert_ptr_nonnull(obj);
        ck_assert_int_ge(it.at_ms, last_ms);
        ck_assert_int_ge(it.event.created, last_created);
        ck_assert_str_eq(str_at(ev, "/api_version"), "2025-03-31.basil");
        ck_assert_str_eq(str_at(ev, "/id"), it.event.id);
        ck_assert_int_le(int_at(obj, "/created"), it.event.created);
        check_refs(obj, it.event.id);
        check_consistent(obj, it.event.id);
        remember(str_at(obj, "/id"));
        last_ms = it.at_ms;
        last_created = it.event.created;
        cJSON_Delete(ev);
        n++;
    }
    ck_assert_msg(!hr_cassette_failed(r), "%s", err.msg);
    hr_interaction_clear(&it);
    hr_cassette_close(r);
    forget_all();
    return n;
}

static void generate(const char *out, const char *customers, const char *seed)
{
    char *argv[] = {HR_BIN,
                    "generate",
                    "stripe-story",
                    "--customers",
                    (char *)customers,
                    "--seed",
                    (char *)seed,
                    "-o",
                    (char *)out,
                    NULL};
    struct t_result r;

    ck_assert_int_eq(t_run(&r, argv, NULL, NULL, 120000), 0);
    ck_assert_msg(r.exit_code == 0, "generate: %s", r.err);
    t_result_free(&r);
}

START_TEST(generated_story_lints_clean_in_time_order_with_references)
{
    char path[600], *dir = t_tmpdir();
    char *lint[] = {HR_BIN, "lint", path, NULL};
    struct t_result r;

    snprintf(path, sizeof(path), "%s/story.ndjson", dir);
    generate(path, "200", "3");
    ck_assert_int_gt(check_story(path), 600);
    ck_assert_int_eq(t_run(&r, lint, NULL, NULL, 60000), 0);
    ck_assert_msg(r.exit_code == 0, "lint: %s%s", r.out, r.err);
    t_result_free(&r);
    free(dir);
}
END_TEST

static char *slurp(const char *path)
{
    size_t len;
    struct hr_err err;
    char *s = hr_read_file(path, &len, &err);

    ck_assert_msg(s != NULL, "%s", err.msg);
    return s;
}

START_TEST(same_seed_gives_same_bytes_and_another_seed_another_story)
{
    char a[600], b[600], c[600], *dir = t_tmpdir();
    char *ta, *tb, *tc;

    snprintf(a, sizeof(a), "%s/a.ndjson", dir);
    snprintf(b, sizeof(b), "%s/b.ndjson", dir);
    snprintf(c, sizeof(c), "%s/c.ndjson", dir);
    generate(a, "50", "9");
    generate(b, "50", "9");
    generate(c, "50", "10");
    ta = slurp(a);
    tb = slurp(b);
    tc = slurp(c);
    ck_assert_str_eq(ta, tb);
    ck_assert_str_ne(ta, tc);
    hr_free(ta);
    hr_free(tb);
    hr_free(tc);
    free(dir);
}
END_TEST

/* Peak RSS (KiB) of one generation written to /dev/null. */
static long peak_rss_kib(const char *customers)
{
    char *argv[] = {HR_BIN,        "generate",        "stripe-story",
                    "--customers", (char *)customers, NULL};
    struct rusage ru;
    int status;
    pid_t pid = fork();

    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int fd = open("/dev/null", O_WRONLY);

        dup2(fd, 1);
        /* a sanitizer build keeps freed memory in quarantine: keep it
         * small so that RSS shows what the program holds */
        setenv("ASAN_OPTIONS", "quarantine_size_mb=4", 1);
        execv(argv[0], argv);
        _exit(127);
    }
    ck_assert_int_eq(wait4(pid, &status, 0, &ru), pid);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    return ru.ru_maxrss;
}

START_TEST(memory_stays_flat_for_twenty_thousand_customers)
{
#ifdef __SANITIZE_ADDRESS__
    /*
     * AddressSanitizer's allocator keeps what is freed (RSS grows with
     * the work done, not with what the program holds): here the run must
     * only finish cleanly, leak check included. Plain builds measure.
     */
    ck_assert_int_gt(peak_rss_kib("20000"), 0);
#else
    long small = peak_rss_kib("1000");
    long large = peak_rss_kib("20000");

    ck_assert_msg(large < small + 8 * 1024,
                  "peak RSS grew from %ld KiB (1000 customers) to %ld KiB "
                  "(20000)",
                  small, large);
#endif
}
END_TEST

START_TEST(bad_options_are_usage_errors)
{
    char *none[] = {HR_BIN, "generate", "stripe-story", NULL};
    char *zero[] = {HR_BIN,        "generate", "stripe-story",
                    "--customers", "0",        NULL};
    char *start[] = {HR_BIN, "generate", "stripe-story", "--customers",
                     "1",    "--start",  "yesterday",    NULL};
    char *fix[] = {HR_BIN, "generate",   "stripe-story",        "--customers",
                   "1",    "--fixtures", "/nonexistent-folder", NULL};
    char **cases[] = {none, zero, start, fix};
    struct t_result r;
    size_t i;

    for (i = 0; i < 4; i++) {
        ck_assert_int_eq(t_run(&r, cases[i], NULL, NULL, 30000), 0);
        ck_assert_msg(r.exit_code == 2, "case %zu: exit %d", i, r.exit_code);
        ck_assert_str_eq(r.out, "");
        t_result_free(&r);
    }
}
END_TEST

START_TEST(fixtures_from_a_folder_give_the_compiled_in_story)
{
    char a[600], b[600], *dir = t_tmpdir();
    char *argv[] = {HR_BIN,
                    "generate",
                    "stripe-story",
                    "--customers",
                    "20",
                    "--fixtures",
                    HR_SRC_DIR "/tests/data/stripe",
                    "-o",
                    b,
                    NULL};
    struct t_result r;
    char *ta, *tb;

    snprintf(a, sizeof(a), "%s/a.ndjson", dir);
    snprintf(b, sizeof(b), "%s/b.ndjson", dir);
    generate(a, "20", "1");
    ck_assert_int_eq(t_run(&r, argv, NULL, NULL, 60000), 0);
    ck_assert_msg(r.exit_code == 0, "%s", r.err);
    t_result_free(&r);
    ta = slurp(a);
    tb = slurp(b);
    ck_assert_str_eq(ta, tb);
    hr_free(ta);
    hr_free(tb);
    free(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("generate");
    TCase *tc = tcase_create("generate");

    tcase_set_timeout(tc, 500);
    tcase_add_test(tc,
                   generated_story_lints_clean_in_time_order_with_references);
    tcase_add_test(tc,
                   same_seed_gives_same_bytes_and_another_seed_another_story);
    tcase_add_test(tc, memory_stays_flat_for_twenty_thousand_customers);
    tcase_add_test(tc, bad_options_are_usage_errors);
    tcase_add_test(tc, fixtures_from_a_folder_give_the_compiled_in_story);
    suite_add_tcase(s, tc);
    return t_run_suite(s);
}
