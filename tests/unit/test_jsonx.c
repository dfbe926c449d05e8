/* SPDX-License-Identifier: MIT */
/* The JSON text scanners the cassette reader and jsonx share. */
#include "jsonx.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

START_TEST(skip_ws_passes_every_byte_up_to_0x20_and_stops_after)
{
    static const char s[] = " \t\r\n\x01\x1f x";
    size_t n = sizeof(s) - 1;

    ck_assert_uint_eq(hr_json_skip_ws(s, n, 0), n - 1);
    ck_assert_uint_eq(hr_json_skip_ws(s, n, n - 1), n - 1);
    ck_assert_uint_eq(hr_json_skip_ws("   ", 3, 0), 3);
    ck_assert_uint_eq(hr_json_skip_ws("  {", 3, 3), 3);
}
END_TEST

START_TEST(skip_string_ends_after_the_closing_quote_past_escapes)
{
    static const char s[] = "\"a\\\"b\\\\\" , 1";
    size_t n = strlen(s);

    /* "a\"b\\" is 8 bytes: the escaped quote does not end it */
    ck_assert_uint_eq(hr_json_skip_string(s, n, 0), 8);
    ck_assert_uint_eq(hr_json_skip_string("\"\"", 2, 0), 2);
}
END_TEST

START_TEST(skip_string_returns_the_length_when_the_string_never_ends)
{
    ck_assert_uint_eq(hr_json_skip_string("\"abc", 4, 0), 4);
    ck_assert_uint_eq(hr_json_skip_string("\"ab\\", 4, 0), 4);
}
END_TEST

START_TEST(located_string_value_ends_where_skip_string_says)
{
    static const char s[] = "{ \"k\" :\n \"v\\\"w\" , \"n\": 1 }";
    size_t n = strlen(s), at = hr_json_locate(s, n, "/k");

    ck_assert_uint_ne(at, HR_JSON_NOT_FOUND);
    ck_assert_int_eq(s[at], '"');
    ck_assert_uint_eq(hr_json_skip_string(s, n, at), at + 6);
    ck_assert_int_eq(s[hr_json_skip_ws(s, n, at + 6)], ',');
}
END_TEST

int main(void)
{
    Suite *s = suite_create("jsonx");
    TCase *tc = tcase_create("core");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, skip_ws_passes_every_byte_up_to_0x20_and_stops_after);
    tcase_add_test(tc, skip_string_ends_after_the_closing_quote_past_escapes);
    tcase_add_test(tc,
                   skip_string_returns_the_length_when_the_string_never_ends);
    tcase_add_test(tc, located_string_value_ends_where_skip_string_says);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
