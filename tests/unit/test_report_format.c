/* SPDX-License-Identifier: MIT */
/* Report helpers: escaping, format lists, histograms from results. */
#include "report.h"
#include "support.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

static char *escaped(void (*fn)(FILE *, const char *), const char *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    fn(f, s);
    fclose(f);
    return buf;
}

START_TEST(html_escape_neutralises_markup_and_quotes)
{
    char *s =
        escaped(hr_report_html_escape, "\"><img src=x onerror=alert(1)>&'");

    ck_assert_str_eq(s, "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"
                        "&amp;&#39;");
    free(s);
}
END_TEST

START_TEST(xml_escape_replaces_characters_xml_cannot_hold)
{
    char *s = escaped(hr_report_xml_escape, "a\x01<b>\tc");

    ck_assert_str_eq(s, "a?&lt;b&gt;\tc");
    free(s);
}
END_TEST

START_TEST(format_lists_accept_synonyms_and_name_unknown_words)
{
    struct hr_err err = {0, ""};
    unsigned bits;

    ck_assert_int_eq(hr_report_formats_parse("html,md,junit", &bits, &err), 0);
    ck_assert_uint_eq(bits, HR_REPORT_JSON | HR_REPORT_HTML |
                                HR_REPORT_MARKDOWN | HR_REPORT_JUNIT);
    ck_assert_int_eq(hr_report_formats_parse("xml", &bits, &err), 0);
    ck_assert_uint_eq(bits, HR_REPORT_JSON | HR_REPORT_JUNIT);
    ck_assert_int_eq(hr_report_formats_parse("html,htm", &bits, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "'htm'"));
}
END_TEST

START_TEST(histogram_rebuilt_from_sparse_buckets_keeps_its_quantiles)
{
    struct hr_hist *h = malloc(sizeof(*h)), *back = malloc(sizeof(*back));
    cJSON *lat = cJSON_CreateObject(), *b;
    size_t i;
    int64_t v;

    hr_hist_init(h);
    for (v = 90; v < 200000; v = v * 13 / 10)
        hr_hist_add(h, v);
    b = cJSON_AddArrayToObject(lat, "buckets_us");
    for (i = 0; i < HR_HIST_BUCKETS; i++) {
        if (h->counts[i]) {
            cJSON *pair = cJSON_CreateArray();

            cJSON_AddItemToArray(pair, cJSON_CreateNumber((double)i));
            cJSON_AddItemToArray(pair,
                                 cJSON_CreateNumber((double)h->counts[i]));
            cJSON_AddItemToArray(b, pair);
        }
    }
    cJSON_AddNumberToObject(lat, "max", (double)h->max_us / 1000.0);
    cJSON_AddNumberToObject(lat, "mean", h->sum_us / 1000.0 / (double)h->total);
    ck_assert_int_eq(hr_report_hist(lat, back), 0);
    ck_assert_uint_eq(back->total, h->total);
    ck_assert_int_eq(hr_hist_quantile(back, 0.5), hr_hist_quantile(h, 0.5));
    ck_assert_int_eq(hr_hist_quantile(back, 0.99), hr_hist_quantile(h, 0.99));
    ck_assert_int_eq(hr_hist_quantile(back, 1), hr_hist_quantile(h, 1));
    cJSON_AddItemToArray(b, cJSON_CreateNumber(3)); /* not a pair */
    ck_assert_int_eq(hr_report_hist(lat, back), -1);
    cJSON_Delete(lat);
    free(h);
    free(back);
}
END_TEST

static cJSON *event(const char *id, double ack_ms, int delivered)
{
    cJSON *ev = cJSON_CreateObject(), *a;

    cJSON_AddStringToObject(ev, "id", id);
    cJSON_AddBoolToObject(ev, "delivered", delivered);
    a = cJSON_CreateObject();
    cJSON_AddNumberToObject(a, "status", delivered ? 200 : 500);
    cJSON_AddNumberToObject(a, "ack_ms", ack_ms);
    cJSON_AddItemToArray(cJSON_AddArrayToObject(ev, "attempts"), a);
    return ev;
}

START_TEST(slowest_events_come_slowest_first_and_undelivered_in_order)
{
    cJSON *res = cJSON_CreateObject(), *evs;
    const cJSON *out[3];
    const double acks[] = {5, 1, 9, 3, 7, 2};
    char id[8];
    int i;

    evs = cJSON_AddArrayToObject(res, "events");
    for (i = 0; i < 6; i++) {
        snprintf(id, sizeof(id), "e%d", i);
        cJSON_AddItemToArray(evs, event(id, acks[i], i % 2 == 0));
    }
    ck_assert_uint_eq(hr_report_slowest(res, out, 3), 3);
    ck_assert_str_eq(hr_report_str(out[0], "id", ""), "e2");
    ck_assert_str_eq(hr_report_str(out[1], "id", ""), "e4");
    ck_assert_str_eq(hr_report_str(out[2], "id", ""), "e0");
    ck_assert_uint_eq(hr_report_undelivered(res, out, 2), 3);
    ck_assert_str_eq(hr_report_str(out[0], "id", ""), "e1");
    ck_assert_str_eq(hr_report_str(out[1], "id", ""), "e3");
    cJSON_Delete(res);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("report");
    TCase *tc = tcase_create("report");

    tcase_add_test(tc, html_escape_neutralises_markup_and_quotes);
    tcase_add_test(tc, xml_escape_replaces_characters_xml_cannot_hold);
    tcase_add_test(tc, format_lists_accept_synonyms_and_name_unknown_words);
    tcase_add_test(tc,
                   histogram_rebuilt_from_sparse_buckets_keeps_its_quantiles);
    tcase_add_test(tc,
                   slowest_events_come_slowest_first_and_undelivered_in_order);
    suite_add_tcase(s, tc);
    return t_run_suite(s);
}
