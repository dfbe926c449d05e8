/* SPDX-License-Identifier: MIT */
/*
 * The reference targets' client of a provider API shaped like Stripe's:
 * GET requests with a Bearer key, JSON answers. One client per thread
 * (it owns a libcurl easy handle, which threads must not share).
 *
 * Ownership: hr_refapi_new copies base_url and key; hr_refapi_free wipes
 * the key. Bodies handed out are the caller's to hr_free.
 */
#ifndef HR_REFAPI_H
#define HR_REFAPI_H
#include "util.h"

#include <cjson/cJSON.h>
#include <stddef.h>

struct hr_refapi;

/* A client of base_url ("http://127.0.0.1:12111", no trailing path);
 * key may be NULL (no Authorization header). NULL when memory runs out. */
struct hr_refapi *hr_refapi_new(const char *base_url, const char *key);
void hr_refapi_free(struct hr_refapi *a);

/* Gives the client a flag that, once set, ends any wait at once (the
 * call then fails). stop must outlive the client; NULL: none. */
void hr_refapi_set_stop(struct hr_refapi *a, const int *stop);

/*
 * GETs base_url + path_query. A 429 or 503 makes the next call wait out
 * its Retry-After (seconds, at most 600; 1 s when it gives none), as a
 * well-behaved client does; a stop flag ends the wait. Returns 0 with the
 * status in *status and the parsed JSON answer in *json (NULL when the answer
 * is not JSON; the caller frees it with cJSON_Delete), or -1 with err when no
 * answer came (connection refused, timeout after 10 s, out of memory).
 */
int hr_refapi_get(struct hr_refapi *a, const char *path_query, long *status,
                  cJSON **json, struct hr_err *err);

/*
 * The API path of one object from its "object" kind and id: "customer"
 * and "cus_1" give "/v1/customers/cus_1", "checkout.session" gives
 * "/v1/checkout/sessions/..."; ids are percent-encoded. Into out; -1
 * when it does not fit or kind or id is empty.
 */
int hr_refapi_object_path(const char *kind, const char *id, char *out,
                          size_t size);

/* The list path of a kind: "/v1/customers". -1 as above. */
int hr_refapi_list_path(const char *kind, char *out, size_t size);

#endif
