/* SPDX-License-Identifier: MIT */
/* The binary min-heap of pointers. */
#include "heap.h"
#include "util.h"

int hr_heap_push(struct hr_heap *h, void *x)
{
    size_t i;

    if (h->len == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 64;
        void **v = hr_realloc(h->v, cap * sizeof(*v));

        if (!v)
            return -1;
        h->v = v;
        h->cap = cap;
    }
    i = h->len++;
    while (i > 0 && h->before(x, h->v[(i - 1) / 2])) {
        h->v[i] = h->v[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h->v[i] = x;
    return 0;
}

void *hr_heap_pop(struct hr_heap *h)
{
    void *top = h->v[0], *last = h->v[--h->len];
    size_t i = 0;

    for (;;) {
        size_t c = 2 * i + 1;

        if (c >= h->len)
            break;
        if (c + 1 < h->len && h->before(h->v[c + 1], h->v[c]))
            c++;
        if (!h->before(h->v[c], last))
            break;
        h->v[i] = h->v[c];
        i = c;
    }
    if (h->len)
        h->v[i] = last;
    return top;
}

void *hr_heap_top(const struct hr_heap *h)
{
    return h->len ? h->v[0] : NULL;
}

void hr_heap_free(struct hr_heap *h)
{
    hr_free(h->v);
    h->v = NULL;
    h->len = h->cap = 0;
}

int hr_heap_time_before(int64_t a_us, uint64_t a_order, int64_t b_us,
                        uint64_t b_order)
{
    if (a_us != b_us)
        return a_us < b_us;
    return a_order < b_order;
}
