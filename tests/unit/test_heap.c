/* SPDX-License-Identifier: MIT */
/* The pointer heap and the time order the planner and the run share. */
#include "heap.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>

struct timed {
    int64_t at_us;
    uint64_t order;
};

static int timed_before(const void *a, const void *b)
{
    const struct timed *x = a, *y = b;

    return hr_heap_time_before(x->at_us, x->order, y->at_us, y->order);
}

START_TEST(time_order_puts_the_earlier_time_first_whatever_the_order)
{
    ck_assert_int_eq(hr_heap_time_before(10, 99, 11, 0), 1);
    ck_assert_int_eq(hr_heap_time_before(11, 0, 10, 99), 0);
    ck_assert_int_eq(hr_heap_time_before(-5, 7, 0, 1), 1);
}
END_TEST

START_TEST(time_order_breaks_ties_by_the_lower_order_and_is_strict)
{
    ck_assert_int_eq(hr_heap_time_before(10, 1, 10, 2), 1);
    ck_assert_int_eq(hr_heap_time_before(10, 2, 10, 1), 0);
    ck_assert_int_eq(hr_heap_time_before(10, 3, 10, 3), 0);
    ck_assert_int_eq(hr_heap_time_before(INT64_MAX, 0, INT64_MAX, 1), 1);
}
END_TEST

START_TEST(heap_pops_timed_items_by_time_then_order)
{
    enum { N = 500 };
    struct timed *v = calloc(N, sizeof(*v));
    struct hr_heap h = {0};
    const struct timed *prev = NULL, *x;
    int i;

    ck_assert_ptr_nonnull(v);
    h.before = timed_before;
    for (i = 0; i < N; i++) {
        /* few distinct times, so most pops are decided by order */
        v[i].at_us = (int64_t)((i * 7919) % 13) * 1000;
        v[i].order = (uint64_t)((i * 104729) % N);
        ck_assert_int_eq(hr_heap_push(&h, &v[i]), 0);
    }
    for (i = 0; i < N; i++) {
        x = hr_heap_pop(&h);
        if (prev)
            ck_assert(hr_heap_time_before(prev->at_us, prev->order, x->at_us,
                                          x->order));
        prev = x;
    }
    ck_assert_ptr_null(hr_heap_top(&h));
    hr_heap_free(&h);
    free(v);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("heap");
    TCase *tc = tcase_create("core");
    SRunner *sr;
    int failed;

    tcase_add_test(tc,
                   time_order_puts_the_earlier_time_first_whatever_the_order);
    tcase_add_test(tc, time_order_breaks_ties_by_the_lower_order_and_is_strict);
    tcase_add_test(tc, heap_pops_timed_items_by_time_then_order);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
