/* SPDX-License-Identifier: MIT */
/*
 * Comparing a target's state with the truth: field mappings to a
 * target's own names, deletes both ways, missing, stale, diverged and
 * extra objects, keyed and listed items, and pointer errors.
 */
#include "reconcile.h"
#include "scenario.h"
#include "expected.h"
#include "support.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Three customers: cus_a updated twice, cus_b created, cus_c deleted. */
static const char cassette[] =
    "{\"hookreplay\":\"cassette\",\"version\":1,\"endpoints\":"
    "{\"s\":{\"profile\":\"stripe\"}}}\n"
    "{\"seq\":1,\"at_ms\":0,\"kind\":\"webhook\",\"endpoint\":\"s\","
    "\"event\":{\"id\":\"evt_1\",\"type\":\"customer.created\","
    "\"object\":\"cus_a\"},\"request\":{\"method\":\"POST\",\"path\":\"/\","
    "\"query\":\"\",\"headers\":[],\"body\":\"{\\\"id\\\":\\\"evt_1\\\","
    "\\\"type\\\":\\\"customer.created\\\",\\\"data\\\":{\\\"object\\\":"
    "{\\\"id\\\":\\\"cus_a\\\",\\\"object\\\":\\\"customer\\\","
    "\\\"email\\\":\\\"a1@x.test\\\",\\\"balance\\\":0}}}\"}}\n"
    "{\"seq\":2,\"at_ms\":1,\"kind\":\"webhook\",\"endpoint\":\"s\","
    "\"event\":{\"id\":\"evt_2\",\"type\":\"customer.updated\","
    "\"object\":\"cus_a\"},\"request\":{\"method\":\"POST\",\"path\":\"/\","
    "\"query\":\"\",\"headers\":[],\"body\":\"{\\\"id\\\":\\\"evt_2\\\","
    "\\\"type\\\":\\\"customer.updated\\\",\\\"data\\\":{\\\"object\\\":"
    "{\\\"id\\\":\\\"cus_a\\\",\\\"object\\\":\\\"customer\\\","
    "\\\"email\\\":\\\"a2@x.test\\\",\\\"balance\\\":5}}}\"}}\n"
    "{\"seq\":3,\"at_ms\":2,\"kind\":\"webhook\",\"endpoint\":\"s\","
    "\"event\":{\"id\":\"evt_3\",\"type\":\"customer.created\","
    "\"object\":\"cus_b\"},\"request\":{\"method\":\"POST\",\"path\":\"/\","
    "\"query\":\"\",\"headers\":[],\"body\":\"{\\\"id\\\":\\\"evt_3\\\","
    "\\\"type\\\":\\\"customer.created\\\",\\\"data\\\":{\\\"object\\\":"
    "{\\\"id\\\":\\\"cus_b\\\",\\\"object\\\":\\\"customer\\\","
    "\\\"email\\\":\\\"b@x.test\\\",\\\"balance\\\":7}}}\"}}\n"
    "{\"seq\":4,\"at_ms\":3,\"kind\":\"webhook\",\"endpoint\":\"s\","
    "\"event\":{\"id\":\"evt_4\",\"type\":\"customer.deleted\","
    "\"object\":\"cus_c\"},\"request\":{\"method\":\"POST\",\"path\":\"/\","
    "\"query\":\"\",\"headers\":[],\"body\":\"{\\\"id\\\":\\\"evt_4\\\","
    "\\\"type\\\":\\\"customer.deleted\\\",\\\"data\\\":{\\\"object\\\":"
    "{\\\"id\\\":\\\"cus_c\\\",\\\"object\\\":\\\"customer\\\","
    "\\\"deleted\\\":true}}}\"}}\n";

static struct hr_expected truth;

static void build_truth(void)
{
    struct hr_scenario s;
    struct hr_err err;

    hr_scenario_defaults(&s);
    s.cassette = "mem";
    s.cassette_mem = cassette;
    s.cassette_mem_len = strlen(cassette);
    if (hr_expected_build(&s, 0, &truth, &err)) {
        fprintf(stderr, "truth: %s\n", err.msg);
        exit(1);
    }
}

static void cfg_from(const char *json, struct hr_recon_cfg *cfg)
{
    struct hr_err err = {0, ""};
    cJSON *j = cJSON_Parse(json);

    ck_assert_ptr_nonnull(j);
    ck_assert_msg(hr_recon_parse(j, NULL, "t", cfg, &err) == 0, "%s", err.msg);
    cJSON_Delete(j);
}

/* Rows with the target's own names: ref, mail, bal, gone. */
#define ROWS_CFG                                                               \
    "[{\"items\":\"/rows\",\"id\":\"/ref\",\"truth\":\"customer\","            \
    "\"fields\":{\"/mail\":\"/email\",\"/bal\":\"/balance\"},"                 \
    "\"deleted\":{\"field\":\"/gone\"},\"extra\":true}]"

static void compare(const char *cfg_json, const char *state_json,
                    struct hr_compare *out)
{
    struct hr_recon_cfg cfg;
    struct hr_err err;
    cJSON *state = cJSON_Parse(state_json);

    ck_assert_ptr_nonnull(state);
    cfg_from(cfg_json, &cfg);
    ck_assert_msg(hr_compare_state(&truth, state, &cfg, out, &err) == 0, "%s",
                  err.msg);
    hr_recon_free(&cfg);
    cJSON_Delete(state);
}

START_TEST(rows_with_their_own_names_match_the_truth)
{
    struct hr_compare c;

    compare(ROWS_CFG,
            "{\"rows\":[{\"ref\":\"cus_a\",\"mail\":\"a2@x.test\",\"bal\":5},"
            "{\"ref\":\"cus_b\",\"mail\":\"b@x.test\",\"bal\":\"7\"},"
            "{\"ref\":\"cus_c\",\"gone\":1}]}",
            &c);
    ck_assert_int_eq(c.objects, 3);
    ck_assert_int_eq(c.consistent, 3);
    ck_assert(hr_compare_ok(&c));
    hr_compare_clear(&c);
}
END_TEST

START_TEST(an_earlier_state_is_stale_and_another_value_diverged)
{
    struct hr_compare c;

    compare(ROWS_CFG,
            "{\"rows\":[{\"ref\":\"cus_a\",\"mail\":\"a1@x.test\",\"bal\":0},"
            "{\"ref\":\"cus_b\",\"mail\":\"wrong@x.test\",\"bal\":7}]}",
            &c);
    ck_assert_int_eq(c.stale, 1);
    ck_assert_int_eq(c.diverged, 1);
    ck_assert_int_eq(c.consistent, 1); /* cus_c: deleted and absent */
    ck_assert(!hr_compare_ok(&c));
    ck_assert_str_eq(c.wrong[0].id, "cus_a");
    ck_assert_str_eq(c.wrong[0].kind, "stale");
    ck_assert_ptr_nonnull(strstr(c.wrong[1].detail, "/mail"));
    hr_compare_clear(&c);
}
END_TEST

START_TEST(missing_and_undeleted_objects_are_named)
{
    struct hr_compare c;

    compare(ROWS_CFG,
            "{\"rows\":[{\"ref\":\"cus_a\",\"mail\":\"a2@x.test\",\"bal\":5},"
            "{\"ref\":\"cus_c\",\"gone\":0}]}",
            &c);
    ck_assert_int_eq(c.missing, 1);
    ck_assert_int_eq(c.not_deleted, 1);
    ck_assert_str_eq(c.wrong[0].id, "cus_b");
    ck_assert_str_eq(c.wrong[1].id, "cus_c");
    hr_compare_clear(&c);
}
END_TEST

START_TEST(deleted_means_gone_unless_a_flag_is_configured)
{
    struct hr_compare c;

    compare("[{\"items\":\"/by_id\",\"fields\":{\"/email\":\"/email\"}}]",
            "{\"by_id\":{\"cus_a\":{\"email\":\"a2@x.test\"},"
            "\"cus_b\":{\"email\":\"b@x.test\"},\"cus_c\":{}}}",
            &c);
    ck_assert_int_eq(c.not_deleted, 1);
    hr_compare_clear(&c);
    compare("[{\"items\":\"/by_id\",\"fields\":{\"/email\":\"/email\"}}]",
            "{\"by_id\":{\"cus_a\":{\"email\":\"a2@x.test\"},"
            "\"cus_b\":{\"email\":\"b@x.test\"}}}",
            &c);
    ck_assert(hr_compare_ok(&c));
    hr_compare_clear(&c);
}
END_TEST

START_TEST(flag_mode_takes_the_field_mapped_to_deleted)
{
    struct hr_compare c;

    compare("[{\"items\":\"/o\",\"fields\":{\"/del\":\"/deleted\"},"
            "\"deleted\":\"flag\"}]",
            "{\"o\":{\"cus_a\":{},\"cus_b\":{},\"cus_c\":{\"del\":true}}}", &c);
    ck_assert(hr_compare_ok(&c));
    hr_compare_clear(&c);
    compare("[{\"items\":\"/o\",\"fields\":{\"/del\":\"/deleted\"},"
            "\"deleted\":\"flag\"}]",
            "{\"o\":{\"cus_a\":{\"del\":true},\"cus_b\":{},"
            "\"cus_c\":{\"del\":true}}}",
            &c);
    ck_assert_int_eq(c.missing, 1);
    hr_compare_clear(&c);
}
END_TEST

START_TEST(extra_objects_count_only_when_asked)
{
    struct hr_compare c;

    compare(ROWS_CFG,
            "{\"rows\":[{\"ref\":\"cus_a\",\"mail\":\"a2@x.test\",\"bal\":5},"
            "{\"ref\":\"cus_b\",\"mail\":\"b@x.test\",\"bal\":7},"
            "{\"ref\":\"cus_zzz\"}]}",
            &c);
    ck_assert_int_eq(c.extra, 1);
    hr_compare_clear(&c);
    compare("[{\"items\":\"/rows\",\"id\":\"/ref\"}]",
            "{\"rows\":[{\"ref\":\"cus_a\"},{\"ref\":\"cus_b\"},"
            "{\"ref\":\"cus_zzz\"}]}",
            &c);
    ck_assert(hr_compare_ok(&c));
    hr_compare_clear(&c);
}
END_TEST

START_TEST(items_that_are_not_where_the_mapping_says_are_a_probe_error)
{
    struct hr_recon_cfg cfg;
    struct hr_compare c;
    struct hr_err err = {0, ""};
    cJSON *state = cJSON_Parse("{\"rows\":5}");

    cfg_from(ROWS_CFG, &cfg);
    ck_assert_int_eq(hr_compare_state(&truth, state, &cfg, &c, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "/rows"));
    hr_recon_free(&cfg);
    cJSON_Delete(state);
}
END_TEST

/* SQL prints NULL for json_agg over a table with no rows: no items. */
START_TEST(a_null_collection_holds_no_items)
{
    struct hr_recon_cfg cfg;
    struct hr_compare c;
    struct hr_err err = {0, ""};
    const cJSON *item = (const cJSON *)1;
    cJSON *state = cJSON_Parse("{\"rows\":null}");

    compare(ROWS_CFG, "{\"rows\":null}", &c);
    ck_assert_int_eq(c.objects, 3);
    ck_assert_int_eq(c.missing, 2); /* cus_a and cus_b; cus_c is gone */
    ck_assert_int_eq(c.consistent, 1);
    ck_assert(!hr_compare_ok(&c));
    hr_compare_clear(&c);
    cfg_from(ROWS_CFG, &cfg);
    ck_assert_int_eq(
        hr_recon_find_item(&truth, state, &cfg, "cus_a", &item, &err), 0);
    ck_assert_ptr_null(item);
    hr_recon_free(&cfg);
    cJSON_Delete(state);
}
END_TEST

START_TEST(expected_states_carry_the_rebased_times_as_webhooks_do)
{
    char cassette_path[] = HR_SRC_DIR "/fixtures/stripe-lifecycle.ndjson";
    struct hr_scenario s;
    struct hr_expected t;
    struct hr_err err;
    const struct hr_expected_obj *o;

    hr_scenario_defaults(&s);
    s.cassette = cassette_path;
    ck_assert_int_eq(hr_expected_build(&s, 1000, &t, &err), 0);
    o = hr_expected_find(&t, "sub_fakefakefakefakefake0001");
    ck_assert_ptr_nonnull(o);
    ck_assert_int_eq(
        (long long)cJSON_GetObjectItem(o->state, "created")->valuedouble,
        1598951100LL + 1000);
    ck_assert_int_eq(
        (long long)cJSON_GetObjectItem(o->state, "current_period_end")
            ->valuedouble,
        1604221500LL + 1000);
    /* Earlier states moved too, so stale is still told from diverged. */
    ck_assert_int_gt(o->n_past, 0);
    ck_assert_int_eq(
        (long long)cJSON_GetObjectItem(o->past[0], "created")->valuedouble,
        1598951100LL + 1000);
    hr_expected_free(&t);
}
END_TEST

START_TEST(an_object_is_found_in_the_collection_that_claims_it)
{
    struct hr_recon_cfg cfg;
    struct hr_err err = {0, ""};
    const cJSON *item = NULL;
    cJSON *state = cJSON_Parse("{\"rows\":[{\"ref\":\"cus_a\",\"bal\":5}],"
                               "\"all\":{\"cus_b\":{\"bal\":7}}}");

    cfg_from("[{\"items\":\"/rows\",\"id\":\"/ref\",\"truth\":"
             "\"customer\"},{\"items\":\"/all\"}]",
             &cfg);
    ck_assert_int_eq(
        hr_recon_find_item(&truth, state, &cfg, "cus_a", &item, &err), 1);
    ck_assert_int_eq(cJSON_GetObjectItem(item, "bal")->valueint, 5);
    /* cus_b is a customer: only /rows is looked at, and it is not there */
    ck_assert_int_eq(
        hr_recon_find_item(&truth, state, &cfg, "cus_b", &item, &err), 0);
    ck_assert_ptr_null(item);
    /* an id the truth does not know falls to the "*" collection */
    ck_assert_int_eq(
        hr_recon_find_item(&truth, state, &cfg, "in_zz", &item, &err), 0);
    hr_recon_free(&cfg);
    cfg_from("[{\"items\":\"/all\"}]", &cfg);
    ck_assert_int_eq(
        hr_recon_find_item(&truth, state, &cfg, "cus_b", &item, &err), 1);
    ck_assert_int_eq(cJSON_GetObjectItem(item, "bal")->valueint, 7);
    hr_recon_free(&cfg);
    cfg_from("[{\"items\":\"/nowhere\"}]", &cfg);
    ck_assert_int_eq(
        hr_recon_find_item(&truth, state, &cfg, "cus_b", &item, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "/nowhere"));
    hr_recon_free(&cfg);
    cJSON_Delete(state);
}
END_TEST

START_TEST(bad_mappings_are_refused_with_their_place)
{
    struct hr_recon_cfg cfg;
    struct hr_err err = {0, ""};
    cJSON *j = cJSON_Parse("[{\"items\":\"rows\"}]");

    ck_assert_int_eq(hr_recon_parse(j, NULL, "s.json", &cfg, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "s.json: /probe/collections/0"));
    hr_recon_free(&cfg);
    cJSON_Delete(j);
    j = cJSON_Parse("[{\"items\":\"/r\",\"colour\":1}]");
    ck_assert_int_eq(hr_recon_parse(j, NULL, "s.json", &cfg, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "colour"));
    hr_recon_free(&cfg);
    cJSON_Delete(j);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("reconcile");
    TCase *tc = tcase_create("compare");
    int rc;

    build_truth();
    tcase_add_test(tc, rows_with_their_own_names_match_the_truth);
    tcase_add_test(tc, an_earlier_state_is_stale_and_another_value_diverged);
    tcase_add_test(tc, missing_and_undeleted_objects_are_named);
    tcase_add_test(tc, deleted_means_gone_unless_a_flag_is_configured);
    tcase_add_test(tc, flag_mode_takes_the_field_mapped_to_deleted);
    tcase_add_test(tc, extra_objects_count_only_when_asked);
    tcase_add_test(tc,
                   items_that_are_not_where_the_mapping_says_are_a_probe_error);
    tcase_add_test(tc, a_null_collection_holds_no_items);
    tcase_add_test(tc, bad_mappings_are_refused_with_their_place);
    tcase_add_test(tc, expected_states_carry_the_rebased_times_as_webhooks_do);
    tcase_add_test(tc, an_object_is_found_in_the_collection_that_claims_it);
    suite_add_tcase(s, tc);
    rc = t_run_suite(s);
    hr_expected_free(&truth);
    return rc;
}
