/* SPDX-License-Identifier: MIT */
/* The progress line: redraws on a terminal, plain lines in logs, quiet. */
#include "progress.h"
#include "support.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

static int64_t fake_ms;

static int64_t fake_clock(void)
{
    return fake_ms;
}

/* Runs a scripted progress into a memory stream; returns its text. */
static char *script(int tty, int quiet, int64_t total)
{
    struct hr_progress_opts o = {NULL, total, quiet, tty, 2000, fake_clock};
    struct hr_progress *p;
    char *buf = NULL;
    size_t len = 0;

    o.f = open_memstream(&buf, &len);
    fake_ms = 1000;
    p = hr_progress_start(&o);
    fake_ms = 1050; /* too soon for any redraw */
    hr_progress_update(p, 5, 4, 0);
    fake_ms = 3000; /* 2 s in: 40 answered, 20/s */
    hr_progress_update(p, 50, 40, 2);
    fake_ms = 3500;
    hr_progress_update(p, 60, 50, 2);
    fake_ms = 5000;
    hr_progress_update(p, 100, 98, 2);
    hr_progress_finish(p);
    fclose(o.f);
    return buf;
}

static int count(const char *s, const char *needle)
{
    int n = 0;

    for (; (s = strstr(s, needle)); s++)
        n++;
    return n;
}

START_TEST(terminal_progress_is_one_line_rewritten_with_cr)
{
    char *out;

    setenv("NO_COLOR", "1", 1);
    out = script(1, 0, 100);
    ck_assert_int_eq(count(out, "\n"), 1); /* only the final line ends */
    ck_assert_int_eq(count(out, "\r"), 4);
    ck_assert_ptr_nonnull(strstr(out, "\rhookreplay: sent 50/100  answered "
                                      "40  failed 2  20/s  ETA 0m03s"));
    ck_assert_ptr_nonnull(strstr(out, "took \033[K4.0s\n"));
    ck_assert_ptr_null(strstr(out, "\033[31m"));
    free(out);
}
END_TEST

START_TEST(failures_are_red_on_a_terminal_unless_no_color_is_set)
{
    char *out;

    unsetenv("NO_COLOR");
    out = script(1, 0, 100);
    ck_assert_ptr_nonnull(strstr(out, "failed \033[31m2\033[0m"));
    free(out);
    setenv("NO_COLOR", "1", 1);
    out = script(1, 0, 100);
    ck_assert_ptr_null(strstr(out, "\033[31m"));
    free(out);
}
END_TEST

START_TEST(logs_get_a_plain_line_every_few_seconds)
{
    char *out;

    unsetenv("NO_COLOR");
    out = script(0, 0, -1);
    /* 2 s interval: the update at 3000 and at 5000, then the final */
    ck_assert_int_eq(count(out, "\n"), 3);
    ck_assert_int_eq(count(out, "\r"), 0);
    ck_assert_int_eq(count(out, "\033"), 0);
    ck_assert_ptr_nonnull(strstr(out, "sent 50  answered 40  failed 2  "
                                      "20/s  ETA --\n"));
    free(out);
}
END_TEST

START_TEST(logs_get_a_plain_line_at_most_every_ten_seconds_by_default)
{
    struct hr_progress_opts o = {NULL, 100, 0, 0, 0, fake_clock};
    struct hr_progress *p;
    char *buf = NULL;
    size_t len = 0;
    int64_t t;

    o.f = open_memstream(&buf, &len);
    fake_ms = 0;
    p = hr_progress_start(&o);
    for (t = 1000; t <= 30000; t += 1000) { /* an update every second */
        fake_ms = t;
        hr_progress_update(p, t / 1000, t / 1000, 0);
    }
    hr_progress_finish(p);
    fclose(o.f);
    ck_assert_int_eq(count(buf, "\n"), 4); /* at 10, 20, 30 s; final */
    free(buf);
}
END_TEST

START_TEST(quiet_progress_prints_nothing)
{
    char *out = script(1, 1, 100);

    ck_assert_str_eq(out, "");
    free(out);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("progress");
    TCase *tc = tcase_create("progress");

    tcase_add_test(tc, terminal_progress_is_one_line_rewritten_with_cr);
    tcase_add_test(tc,
                   logs_get_a_plain_line_at_most_every_ten_seconds_by_default);
    tcase_add_test(tc, failures_are_red_on_a_terminal_unless_no_color_is_set);
    tcase_add_test(tc, logs_get_a_plain_line_every_few_seconds);
    tcase_add_test(tc, quiet_progress_prints_nothing);
    suite_add_tcase(s, tc);
    return t_run_suite(s);
}
