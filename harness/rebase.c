/* SPDX-License-Identifier: MIT */
/* The rule of rebase_time over a body: pointers and named time fields. */
#include "rebase.h"
#include "mutate.h"

#include <string.h>

/* Adds the span of the value at ptr when it exists. */
static int add_pointer(const unsigned char *b, size_t len, const char *ptr,
                       enum hr_time_format fmt, struct hr_time_span **spans,
                       size_t *n)
{
    struct hr_time_span *v;
    size_t start, end;

    if (hr_json_span((const char *)b, len, ptr, &start, &end))
        return 0;
    if (fmt == HR_TIME_NONE)
        fmt = b[start] == '"' ? HR_TIME_ISO8601 : HR_TIME_UNIX_S;
    v = hr_realloc(*spans, (*n + 1) * sizeof(*v));
    if (!v)
        return -1;
    v[*n] = (struct hr_time_span){start, end, fmt};
    *spans = v;
    (*n)++;
    return 0;
}

/* The spans the rule names in b (valid JSON). 0, or -1 out of memory. */
static int collect(const struct hr_rebase *r, const unsigned char *b,
                   size_t len, struct hr_time_span **spans, size_t *n)
{
    const struct hr_profile *p = r->profile;
    size_t i;

    for (i = 0; p && i < p->ev_created.n_sources; i++) {
        const struct hr_source *src = &p->ev_created.sources[i];

        if (src->kind == HR_SRC_POINTER &&
            add_pointer(b, len, src->pointer, p->ev_created.time_format, spans,
                        n))
            return -1;
    }
    for (i = 0; i < r->n_pointers; i++)
        if (add_pointer(b, len, r->pointers[i], HR_TIME_NONE, spans, n))
            return -1;
    if (p && p->n_time_fields &&
        hr_json_named_times((const char *)b, len,
                            (const char *const *)p->time_fields,
                            p->n_time_fields, spans, n))
        return -1;
    return 0;
}

int hr_rebase_body(const struct hr_rebase *r, const unsigned char *b,
                   size_t len, unsigned char **out, size_t *out_len)
{
    struct hr_time_span *spans = NULL;
    size_t n = 0, start, end;
    int rc;

    *out = NULL;
    *out_len = 0;
    if (!r || !r->delta_s || !b ||
        hr_json_span((const char *)b, len, "", &start, &end))
        return 1;
    rc = collect(r, b, len, &spans, &n);
    if (rc == 0 && n == 0)
        rc = 1;
    else if (rc == 0)
        rc = hr_body_shift_times(b, len, spans, n, r->delta_s, out, out_len);
    hr_free(spans);
    return rc;
}

int hr_rebase_param(const struct hr_rebase *r, const char *name)
{
    size_t n = strcspn(name, "["), i;

    for (i = 0; r && r->profile && i < r->profile->n_time_fields; i++)
        if (strlen(r->profile->time_fields[i]) == n &&
            memcmp(r->profile->time_fields[i], name, n) == 0)
            return 1;
    return 0;
}

int hr_rebase_delta(struct hr_cassette_reader *r, int64_t now_s,
                    int64_t *delta_s, struct hr_err *err)
{
    struct hr_interaction it;
    int64_t latest = INT64_MIN;
    int rc;

    *delta_s = 0;
    hr_interaction_init(&it);
    while ((rc = hr_cassette_next(r, &it, err)) == 1)
        if (it.has_event && it.event.has_created && it.event.created > latest)
            latest = it.event.created;
    hr_interaction_clear(&it);
    if (rc < 0)
        return -1;
    if (latest == INT64_MIN)
        return 1;
    *delta_s = now_s - latest;
    return 0;
}
