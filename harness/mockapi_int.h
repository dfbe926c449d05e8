/* SPDX-License-Identifier: MIT */
/*
 * Inside the mock API: the server's state and the response under
 * construction, shared by the server (mockapi.c) and its routes
 * (mockapi_routes.c). Not for use outside those two files.
 */
#ifndef HR_MOCKAPI_INT_H
#define HR_MOCKAPI_INT_H
#include "apishape.h"
#include "journal.h"
#include "mockapi.h"
#include "rebase.h"
#include "truth.h"

#include <microhttpd.h>
#include <string.h>

/* A recorded API interaction, ready to serve. */
struct recorded {
    char *method, *path;
    char route[112]; /* its journal route, "recorded PATH" */
    char **qk, **qv; /* decoded query pairs, sorted by key then value */
    size_t nq;
    unsigned char *req_body; /* matched only when non-empty */
    size_t req_body_len;
    int status;
    unsigned char *body;
    size_t body_len;
    struct hr_header *headers;
    size_t n_headers;
    struct MHD_Response *cached;
    int64_t served;
};

/* A response being built: the body is owned, borrowed or cached. */
struct out {
    int status;
    struct hr_buf body;
    const unsigned char *ref; /* borrowed body, or NULL */
    size_t ref_len;
    struct MHD_Response *cached; /* served as is, or NULL */
    const struct hr_header *hdrs;
    size_t n_hdrs;
    int64_t retry_after_s; /* -1: none */
    char route[112];
};

/* What a route needs to know about a request. */
struct reqinfo {
    struct MHD_Connection *c;
    const char *url, *method;
    const unsigned char *body;
    size_t body_len;
    int64_t now_us;  /* run clock */
    int64_t read_us; /* the clock objects are read at (stale reads) */
};

/* A {name} in an error template and its value. */
struct var {
    const char *name, *value;
};

struct timer {
    int64_t due_us; /* monotonic */
    struct MHD_Connection *c;
};

struct hr_mockapi {
    struct MHD_Daemon *d;
    struct hr_apishape *shape;
    struct hr_truth *truth;
    struct hr_journal *journal;
    struct recorded *rec;
    size_t n_rec;
    struct hr_api_fault *faults;
    size_t n_faults;
    int64_t *fault_calls; /* matching calls per rule */
    int *burst_left;      /* calls left in a rule's burst */
    char **keys;
    size_t n_keys;
    uint64_t seed;
    int64_t (*now_fn)(void *ctx);
    void *clock_ctx;
    int64_t t0_us; /* monotonic start */
    struct timer *timers;
    size_t n_timers, cap_timers;
    struct MHD_Connection **hung;
    size_t n_hung, cap_hung;
    int port;
    char url[80];
    int64_t skipped; /* published bodies that were not JSON */
    /* rebase_time's rule (delta 0: off); owns its profile, pointers. */
    struct hr_rebase rebase;
    struct hr_profile *rebase_profile;
    char **rebase_pointers;
    /* Ids (events and objects) the API has served, with the first time:
     * how a target that missed a webhook learned of it. */
    struct served *served;
    size_t n_served, cap_served;
};

struct served {
    char *id;
    int64_t first_us, last_us;
};

/* Notes that the API served an event or object id now. */
void hr_mockapi_note_served(struct hr_mockapi *m, const char *id,
                            int64_t now_us);

/* Fills o from the truth routes, the recordings, or the 404 shape. */
void hr_mockapi_route(struct hr_mockapi *m, const struct reqinfo *q,
                      struct out *o);
/*
 * Applies the request's expand[] paths (expand[]=a.b or expand[N]=a.b,
 * as Stripe's clients send them) to the answer in o: each id on a path
 * becomes its object as of q->read_us, four levels deep at most; arrays
 * apply the rest of the path to each element ("data.customer" on a
 * list) and each id in a list of ids ("discounts") becomes its object.
 * An id the truth does not know stays an id; a path through an absent
 * member, a number, a flag or the object's own id, or deeper than four
 * levels, makes o a 400 naming the parameter; more than 20 paths, a 400
 * naming "expand".
 */
void hr_mockapi_expand(struct hr_mockapi *m, const struct reqinfo *q,
                       struct out *o);
/* Fills o with an error of kind k in the provider's shape. */
void hr_mockapi_error(struct hr_mockapi *m, enum hr_api_err_kind k,
                      const struct var *vars, size_t n_vars, struct out *o);
/* A 400 for a bad parameter value. */
void hr_mockapi_bad_param(struct hr_mockapi *m, const char *code,
                          const char *param, const char *message,
                          struct out *o);
void hr_mockapi_recorded_free(struct recorded *r);

/* Request text for an error message: cut to fit cap bytes, and every
 * byte that is not printable ASCII shown as '?', so that no request
 * bytes make the answer invalid UTF-8. */
static inline void hr_mockapi_shown(char *dst, size_t cap, const char *src)
{
    size_t i;

    for (i = 0; src[i] && i + 1 < cap; i++)
        dst[i] = src[i] >= 0x20 && src[i] < 0x7f ? src[i] : '?';
    dst[i] = '\0';
}

/* Copies src into dst of cap bytes, cut to fit: snprintf("%s") without
 * the format parsing, which showed in the request path's profile. */
static inline void hr_mockapi_copy(char *dst, size_t cap, const char *src)
{
    size_t n = strnlen(src, cap - 1);

    memcpy(dst, src, n);
    dst[n] = '\0';
}

#endif
