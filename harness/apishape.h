/* SPDX-License-Identifier: MIT */
/*
 * A provider's API shape, read from the "api" section of its profile
 * (mocks/profiles/NAME.json): which list style it uses, its routes for
 * events, resources and derived sub-resources, how it authenticates and
 * what its errors look like. See docs/mock-api.md for every field.
 *
 * Ownership: hr_apishape_free releases a shape and all inside it.
 */
#ifndef HR_APISHAPE_H
#define HR_APISHAPE_H
#include "cassette.h"
#include "util.h"

#include <cjson/cJSON.h>

enum hr_api_style {
    HR_API_STRIPE = 1, /* list objects, newest first, id cursors */
    HR_API_CURSOR      /* {data, next, done}, oldest first, after= */
};

enum hr_on_deleted {
    HR_DEL_GONE = 0, /* 404 in the provider's shape */
    HR_DEL_STUB,     /* {"id","object","deleted":true} */
    HR_DEL_KEEP      /* the last state, as the deleting event left it */
};

struct hr_api_resource {
    char *object;   /* value of the objects' "object" field */
    char *path;     /* list route; the object is at path/{id} */
    char **filters; /* query parameters compared to top-level fields */
    size_t n_filters;
    enum hr_on_deleted on_deleted;
    char **hidden_status; /* statuses a list leaves out unless asked */
    size_t n_hidden_status;
};

/* A list derived from a parent object's field. */
struct hr_api_child {
    char *path;    /* "/v1/invoices/{id}/lines" or "/v1/subscription_items" */
    char *parent;  /* the parent's object kind */
    char *param;   /* parent id from this query parameter (no {id}) */
    char *pointer; /* where the items are in the parent */
};

/* One kind of error: status, body fields, extra headers. */
struct hr_api_error {
    int status;
    char *type, *code, *message, *param, *doc_url; /* may hold {vars} */
    struct hr_header *headers;
    size_t n_headers;
};

enum hr_api_err_kind {
    HR_AE_NOT_FOUND = 0,
    HR_AE_UNKNOWN_ROUTE,
    HR_AE_MISSING_KEY,
    HR_AE_BAD_KEY,
    HR_AE_BAD_REQUEST,
    HR_AE_RATE_LIMITED,
    HR_AE_SERVER_ERROR,
    HR_AE_UNAVAILABLE,
    HR_AE_N
};

struct hr_apishape {
    enum hr_api_style style;
    char *events_path;
    char *data_pointer; /* the event's object inside its body */
    int default_limit, max_limit;
    int auth_bearer, auth_basic;
    cJSON *error_body; /* template: strings "{message}" etc. */
    struct hr_api_error errors[HR_AE_N];
    struct hr_api_resource *resources;
    size_t n_resources;
    struct hr_api_child *children;
    size_t n_children;
};

/*
 * Loads the "api" section of a profile given by name or path, resolved
 * as hr_profile_load does (dir first, then compiled-in profiles). Returns
 * NULL with err when the profile has no usable "api" section.
 */
struct hr_apishape *hr_apishape_load(const char *name_or_path, const char *dir,
                                     struct hr_err *err);
/* Parses an "api" object; origin names it in errors. */
struct hr_apishape *hr_apishape_parse(const cJSON *api, const char *origin,
                                      struct hr_err *err);
void hr_apishape_free(struct hr_apishape *s);

/* The resource whose objects have this "object" value, or NULL. */
const struct hr_api_resource *hr_apishape_resource(const struct hr_apishape *s,
                                                   const char *object);

/* Name of an error kind as the profile spells it ("not_found"). */
const char *hr_api_err_name(enum hr_api_err_kind k);

#endif
