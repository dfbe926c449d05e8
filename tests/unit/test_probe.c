/* SPDX-License-Identifier: MIT */
/*
 * The probe against a baseline: a self-report reduced to what the
 * target applied since, and canaries judged against what was there.
 */
#include "probe.h"
#include "support.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

static cJSON *json(const char *text)
{
    cJSON *j = cJSON_Parse(text);

    ck_assert_ptr_nonnull(j);
    return j;
}

/* A probe whose self-report is at /applied, as "counts" or "ids". */
static struct hr_probe_cfg *probe_of(const char *kind)
{
    struct hr_probe_cfg *p = NULL;
    struct hr_err err = {0, ""};
    char text[200];
    cJSON *o;

    snprintf(text, sizeof(text),
             "{\"http\":\"http://127.0.0.1:1/s\","
             "\"applied\":{\"%s\":\"/applied\"}}",
             kind);
    o = json(text);
    ck_assert_int_eq(hr_probe_parse(o, "t", ".", &p, &err), 0);
    cJSON_Delete(o);
    return p;
}

/* Prints since(base, state) compactly; the caller frees. */
static char *since_text(const char *kind, const char *base, const char *state,
                        int keep_seen)
{
    struct hr_probe_cfg *p = probe_of(kind);
    cJSON *b = base ? json(base) : NULL, *s = json(state);
    cJSON *out = hr_probe_since(p, b, s, keep_seen);
    char *text;

    ck_assert_ptr_nonnull(out);
    text = cJSON_PrintUnformatted(out);
    cJSON_Delete(out);
    cJSON_Delete(b);
    cJSON_Delete(s);
    hr_probe_free(p);
    return text;
}

static void assert_since(const char *kind, const char *base, const char *state,
                         int keep_seen, const char *want)
{
    char *got = since_text(kind, base, state, keep_seen);

    ck_assert_str_eq(got, want);
    free(got);
}

START_TEST(counts_since_a_baseline_lose_the_baselines_count_per_id)
{
    assert_since("counts", "{\"applied\":{\"a\":2,\"b\":1},\"x\":1}",
                 "{\"applied\":{\"a\":5,\"b\":1,\"c\":2},\"x\":2}", 0,
                 "{\"applied\":{\"a\":3,\"c\":2},\"x\":2}");
}
END_TEST

START_TEST(counts_since_a_baseline_keep_events_seen_before_once_when_asked)
{
    assert_since("counts", "{\"applied\":{\"a\":2,\"b\":1}}",
                 "{\"applied\":{\"a\":5,\"b\":1,\"c\":2}}", 1,
                 "{\"applied\":{\"a\":3,\"b\":1,\"c\":2}}");
}
END_TEST

START_TEST(ids_since_a_baseline_lose_the_earliest_occurrences)
{
    assert_since("ids", "{\"applied\":[\"a\",\"b\",\"a\"]}",
                 "{\"applied\":[\"a\",\"b\",\"a\",\"c\",\"a\",\"b\",\"b\"]}", 0,
                 "{\"applied\":[\"c\",\"a\",\"b\",\"b\"]}");
    assert_since("ids", "{\"applied\":[\"a\",\"b\"]}",
                 "{\"applied\":[\"a\",\"b\",\"c\"]}", 1,
                 "{\"applied\":[\"a\",\"b\",\"c\"]}");
    assert_since("ids", "{\"applied\":[\"a\",\"a\",\"a\"]}",
                 "{\"applied\":[\"a\"]}", 0, "{\"applied\":[]}");
}
END_TEST

START_TEST(no_baseline_leaves_the_state_as_it_is)
{
    assert_since("counts", NULL, "{\"applied\":{\"a\":5}}", 0,
                 "{\"applied\":{\"a\":5}}");
}
END_TEST

START_TEST(duplicates_since_a_baseline_count_only_this_runs_extras)
{
    struct hr_probe_cfg *p = probe_of("counts");
    cJSON *b = json("{\"applied\":{\"a\":3,\"b\":1}}");
    cJSON *s = json("{\"applied\":{\"a\":6,\"b\":2}}");
    cJSON *since = hr_probe_since(p, b, s, 0);

    ck_assert_int_eq(hr_probe_duplicates(p, s), 6);
    ck_assert_int_eq(hr_probe_duplicates(p, since), 2);
    cJSON_Delete(since);
    cJSON_Delete(b);
    cJSON_Delete(s);
    hr_probe_free(p);
}
END_TEST

START_TEST(a_canary_left_by_an_earlier_run_is_not_accepted_again)
{
    struct hr_canaries c = {0};

    ck_assert_int_eq(hr_canaries_add(&c, "cnryAAAA", "evt_cnryAAAA", 1, 1), 0);
    ck_assert_int_eq(hr_canaries_add(&c, "cnryBBBB", "evt_cnryBBBB", 2, 1), 0);
    /* Both in the state, only A was there before the run. */
    ck_assert_int_eq(
        hr_canaries_judge_since(&c, "{cnryAAAA cnryBBBB}", "{cnryAAAA}", NULL),
        1);
    ck_assert_int_eq(c.v[0].accepted, 0);
    ck_assert_int_eq(c.v[1].accepted, 1);
    /* The self-report since the baseline shows A applied again. */
    ck_assert_int_eq(hr_canaries_judge_since(&c, "{cnryAAAA}", "{cnryAAAA}",
                                             "{\"evt_cnryAAAA\":1}"),
                     1);
    ck_assert_int_eq(c.v[0].accepted, 1);
    /* No baseline: plain presence. */
    ck_assert_int_eq(
        hr_canaries_judge_since(&c, "{cnryAAAA cnryBBBB}", NULL, NULL), 2);
    hr_canaries_free(&c);
}
END_TEST

/*
 * Large baselines: ids are numbered, and the n-th of a list of BIG_IDS
 * takes number from + perm(n), a permutation so that neither list is
 * sorted. Expected results follow the contract in probe.h, id by id.
 */
#define BIG_IDS 50000L

static long perm(long n)
{
    return n * 7919 % BIG_IDS; /* 7919 is prime to 50000 */
}

static void big_id(char *buf, size_t len, long number)
{
    snprintf(buf, len, "evt_%06ld", number);
}

/* {"applied":{id:count...},"x":1} over BIG_IDS ids from number from. */
static cJSON *big_counts(long from, int64_t (*count)(long))
{
    cJSON *root = cJSON_CreateObject(), *o = cJSON_CreateObject();
    char id[32];
    long n;

    ck_assert_ptr_nonnull(root);
    ck_assert_ptr_nonnull(o);
    cJSON_AddItemToObject(root, "applied", o);
    cJSON_AddNumberToObject(root, "x", 1);
    for (n = 0; n < BIG_IDS; n++) {
        long number = from + perm(n);

        big_id(id, sizeof(id), number);
        ck_assert_ptr_nonnull(
            cJSON_AddNumberToObject(o, id, (double)count(number)));
    }
    return root;
}

static int64_t base_count(long number)
{
    return number % 4;
}

static int64_t state_count(long number)
{
    return number / 3 % 6;
}

/* What since keeps of number's count: -1 when it drops the id. */
static int64_t count_since(long number, int keep_seen)
{
    int64_t k = state_count(number);
    int64_t b = number < BIG_IDS ? base_count(number) : 0;

    if (b <= 0)
        return k;
    if (k - b > 0)
        return k - b;
    return keep_seen && k > 0 ? 1 : -1;
}

static void check_big_counts(int keep_seen)
{
    struct hr_probe_cfg *p = probe_of("counts");
    cJSON *b = big_counts(0, base_count);
    cJSON *s = big_counts(BIG_IDS / 2, state_count);
    cJSON *out = hr_probe_since(p, b, s, keep_seen);
    const cJSON *it;
    char id[32];
    long n;

    ck_assert_ptr_nonnull(out);
    it = cJSON_GetObjectItemCaseSensitive(out, "applied")->child;
    for (n = 0; n < BIG_IDS; n++) { /* the state's order, some dropped */
        long number = BIG_IDS / 2 + perm(n);
        int64_t want = count_since(number, keep_seen);

        if (want < 0)
            continue;
        big_id(id, sizeof(id), number);
        ck_assert_ptr_nonnull(it);
        ck_assert_str_eq(it->string, id);
        ck_assert_int_eq(it->valueint, want);
        it = it->next;
    }
    ck_assert_ptr_null(it);
    ck_assert_int_eq(cJSON_GetObjectItemCaseSensitive(out, "x")->valueint, 1);
    cJSON_Delete(out);
    cJSON_Delete(b);
    cJSON_Delete(s);
    hr_probe_free(p);
}

START_TEST(counts_since_a_large_baseline_are_right_for_every_id)
{
    check_big_counts(0);
    check_big_counts(1);
}
END_TEST

/* How often number occurs in the big ids baseline: numbers below 15000
 * twice, 30000 and up once, the rest never. */
static int64_t base_ids_count(long number)
{
    if (number < 15000)
        return 2;
    return number >= 30000 && number < BIG_IDS;
}

/* {"applied":[...]}: BIG_IDS strings, each by base_ids_count. */
static cJSON *big_base_ids(void)
{
    cJSON *root = cJSON_CreateObject(), *a = cJSON_CreateArray();
    char id[32];
    long n;

    ck_assert_ptr_nonnull(root);
    ck_assert_ptr_nonnull(a);
    cJSON_AddItemToObject(root, "applied", a);
    for (n = 0; n < BIG_IDS; n++) {
        long v = perm(n);

        big_id(id, sizeof(id), v < 30000 ? v / 2 : v);
        ck_assert(cJSON_AddItemToArray(a, cJSON_CreateString(id)));
    }
    return root;
}

/* {"applied":[...]}: numbers 10000 to 10000 + BIG_IDS, once each. */
static cJSON *big_state_ids(void)
{
    cJSON *root = cJSON_CreateObject(), *a = cJSON_CreateArray();
    char id[32];
    long n;

    ck_assert_ptr_nonnull(root);
    ck_assert_ptr_nonnull(a);
    cJSON_AddItemToObject(root, "applied", a);
    for (n = 0; n < BIG_IDS; n++) {
        big_id(id, sizeof(id), 10000 + perm(n));
        ck_assert(cJSON_AddItemToArray(a, cJSON_CreateString(id)));
    }
    return root;
}

static void check_big_ids(int keep_seen)
{
    struct hr_probe_cfg *p = probe_of("ids");
    cJSON *b = big_base_ids(), *s = big_state_ids();
    cJSON *out = hr_probe_since(p, b, s, keep_seen);
    const cJSON *it;
    char id[32];
    long n;

    ck_assert_ptr_nonnull(out);
    it = cJSON_GetObjectItemCaseSensitive(out, "applied")->child;
    for (n = 0; n < BIG_IDS; n++) {
        long number = 10000 + perm(n);

        if (!keep_seen && base_ids_count(number) > 0)
            continue;
        big_id(id, sizeof(id), number);
        ck_assert_ptr_nonnull(it);
        ck_assert_str_eq(it->valuestring, id);
        it = it->next;
    }
    ck_assert_ptr_null(it);
    cJSON_Delete(out);
    cJSON_Delete(b);
    cJSON_Delete(s);
    hr_probe_free(p);
}

START_TEST(ids_since_a_large_baseline_are_right_for_every_id)
{
    check_big_ids(0);
    check_big_ids(1);
}
END_TEST

START_TEST(a_large_indexed_baseline_counts_each_id_as_it_lists_it)
{
    struct hr_probe_cfg *pc = probe_of("counts"), *pi = probe_of("ids");
    cJSON *bc = big_counts(0, base_count), *bi = big_base_ids();
    struct hr_probe_index *xc = hr_probe_index_new(pc, bc);
    struct hr_probe_index *xi = hr_probe_index_new(pi, bi);
    char id[32];
    long number;

    ck_assert_ptr_nonnull(xc);
    ck_assert_ptr_nonnull(xi);
    for (number = 0; number < 2 * BIG_IDS; number++) {
        big_id(id, sizeof(id), number);
        ck_assert_int_eq(hr_probe_index_count(xc, id),
                         number < BIG_IDS ? base_count(number) : 0);
        ck_assert_int_eq(hr_probe_index_count(xi, id), base_ids_count(number));
    }
    ck_assert_int_eq(hr_probe_duplicates(pi, bi), 15000);
    hr_probe_index_free(xc);
    hr_probe_index_free(xi);
    cJSON_Delete(bc);
    cJSON_Delete(bi);
    hr_probe_free(pc);
    hr_probe_free(pi);
}
END_TEST

/* SQL prints NULL for json_object_agg over no rows: nothing applied. */
START_TEST(a_null_self_report_is_an_empty_one)
{
    struct hr_probe_cfg *p = NULL;
    struct hr_err err = {0, ""};
    char *text = NULL;
    cJSON *state = NULL, *o;

    o = json("{\"argv\":[\"sh\",\"-c\","
             "\"echo '{\\\"applied\\\":null}'\"],"
             "\"applied\":{\"counts\":\"/applied\"}}");
    ck_assert_int_eq(hr_probe_parse(o, "t", ".", &p, &err), 0);
    cJSON_Delete(o);
    ck_assert_msg(hr_probe_read(p, &text, &state, &err) == 0, "%s", err.msg);
    ck_assert(cJSON_IsObject(cJSON_GetObjectItem(state, "applied")));
    ck_assert_int_eq(hr_probe_duplicates(p, state), 0);
    ck_assert_int_eq(hr_probe_applied_count(p, state, "evt_1"), 0);
    hr_free(text);
    cJSON_Delete(state);
    hr_probe_free(p);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("probe");
    TCase *tc = tcase_create("baseline");

    tcase_add_test(tc, counts_since_a_baseline_lose_the_baselines_count_per_id);
    tcase_add_test(
        tc, counts_since_a_baseline_keep_events_seen_before_once_when_asked);
    tcase_add_test(tc, ids_since_a_baseline_lose_the_earliest_occurrences);
    tcase_add_test(tc, no_baseline_leaves_the_state_as_it_is);
    tcase_add_test(tc, duplicates_since_a_baseline_count_only_this_runs_extras);
    tcase_add_test(tc, a_canary_left_by_an_earlier_run_is_not_accepted_again);
    tcase_add_test(tc, counts_since_a_large_baseline_are_right_for_every_id);
    tcase_add_test(tc, ids_since_a_large_baseline_are_right_for_every_id);
    tcase_add_test(tc, a_large_indexed_baseline_counts_each_id_as_it_lists_it);
    tcase_add_test(tc, a_null_self_report_is_an_empty_one);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    hr_alloc_init();
    return t_run_suite(suite());
}
