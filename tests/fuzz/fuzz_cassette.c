/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the cassette reader. Whatever it accepts must survive
 * a round trip: written out and read again it gives the same
 * interactions, and writing those gives the same bytes. Built with
 * HR_LIBFUZZER for libFuzzer; otherwise a main replays files from argv.
 */
#include "cassette.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

struct copy {
    char *text;
    size_t len;
    FILE *f;
};

static void copy_open(struct copy *c)
{
    c->text = NULL;
    c->len = 0;
    c->f = open_memstream(&c->text, &c->len);
    if (!c->f)
        abort();
}

static void copy_close(struct copy *c)
{
    fclose(c->f);
}

/* Reads text, writes what it read into out; 0, or -1 on bad input. */
static int rewrite(const char *text, size_t len, struct copy *out,
                   struct hr_interaction **kept, long *n_kept)
{
    struct hr_err err;
    struct hr_cassette_reader *r;
    struct hr_interaction it;
    long n = 0;
    int rc = -1;

    *n_kept = 0;
    r = hr_cassette_open_mem("fuzz", text, len, &err);
    if (!r)
        return -1;
    if (hr_cassette_write_header(out->f, hr_cassette_header(r)))
        abort();
    hr_interaction_init(&it);
    while ((rc = hr_cassette_next(r, &it, &err)) == 1) {
        if (hr_cassette_write(out->f, &it))
            abort();
        *kept = realloc(*kept, (size_t)(n + 1) * sizeof(**kept));
        (*kept)[n++] = it;
        *n_kept = n;
        hr_interaction_init(&it);
    }
    hr_cassette_close(r);
    return rc < 0 ? -1 : 0;
}

static void free_kept(struct hr_interaction *kept, long n)
{
    long i;

    for (i = 0; i < n; i++)
        hr_interaction_clear(&kept[i]);
    free(kept);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    struct copy one, two;
    struct hr_interaction *a = NULL, *b = NULL;
    long na = 0, nb = 0, i;

    copy_open(&one);
    if (rewrite((const char *)data, size, &one, &a, &na) == 0) {
        copy_close(&one);
        copy_open(&two);
        if (rewrite(one.text, one.len, &two, &b, &nb))
            abort();
        copy_close(&two);
        if (nb != na || two.len != one.len ||
            memcmp(one.text, two.text, one.len) != 0)
            abort();
        for (i = 0; i < na; i++)
            if (!hr_interaction_equal(&a[i], &b[i]))
                abort();
        free_kept(b, nb);
        free(two.text);
    } else {
        copy_close(&one);
    }
    free_kept(a, na);
    free(one.text);
    return 0;
}

#ifndef HR_LIBFUZZER
/* Prints whether the reader accepts the bytes, and why not. */
static void verdict(const char *path, const char *data, size_t len)
{
    struct hr_err err;
    struct hr_cassette_reader *r;
    struct hr_interaction it;
    long n = 0;
    int rc = -1;

    r = hr_cassette_open_mem(path, data, len, &err);
    hr_interaction_init(&it);
    while (r && (rc = hr_cassette_next(r, &it, &err)) == 1)
        n++;
    hr_interaction_clear(&it);
    hr_cassette_close(r);
    if (rc == 0)
        printf("ok %s: accepted, %ld interactions\n", path, n);
    else
        printf("ok %s: rejected: %s\n", path, err.msg);
}

/* Replays each file named on the command line once. */
int main(int argc, char **argv)
{
    struct hr_err err;
    int i;

    hr_alloc_init();
    for (i = 1; i < argc; i++) {
        size_t len = 0;
        char *data = hr_read_file(argv[i], &len, &err);

        if (!data) {
            fprintf(stderr, "%s\n", err.msg);
            return 1;
        }
        LLVMFuzzerTestOneInput((const unsigned char *)data, len);
        verdict(argv[i], data, len);
        hr_free(data);
    }
    return 0;
}
#endif
