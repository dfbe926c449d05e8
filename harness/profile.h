/* SPDX-License-Identifier: MIT */
/*
 * Provider profiles: what makes a provider a provider, loaded from JSON
 * data (mocks/profiles/NAME.json, or compiled in). See docs/profiles.md.
 *
 * Ownership: hr_profile_load returns a profile the caller releases with
 * hr_profile_free; everything inside belongs to it.
 */
#ifndef HR_PROFILE_H
#define HR_PROFILE_H
#include "cassette.h"
#include "sign.h"
#include "util.h"

#include <stdint.h>

/* Where one event field comes from. */
enum hr_src_kind { HR_SRC_HEADER = 1, HR_SRC_POINTER, HR_SRC_FORM };

struct hr_source {
    enum hr_src_kind kind;
    char *name;    /* header name or form field */
    char *pointer; /* JSON pointer (into the body, or into a form field) */
    char **types;  /* object/created only: event types (or type prefixes
                      before a '.') the source applies to; none: all */
    size_t n_types;
};

enum hr_time_format {
    HR_TIME_NONE = 0,
    HR_TIME_UNIX_S,
    HR_TIME_UNIX_MS,
    HR_TIME_ISO8601
};

/*
 * A field is read from the first source that resolves, or, when join is
 * set, from all that resolve joined by it (GitHub: "issues" + "." +
 * "opened").
 */
struct hr_field_rule {
    struct hr_source *sources;
    size_t n_sources;
    char *join; /* NULL: first match wins */
    enum hr_time_format time_format;
};

struct hr_status_range {
    int lo, hi;
};

struct hr_profile {
    char *name;
    enum hr_scheme scheme;
    enum hr_key_mode key_mode;
    int64_t tolerance_s; /* consumer-side freshness window, 0: none */
    char **sig_headers;  /* names the signer writes */
    size_t n_sig_headers;
    struct hr_header *default_headers; /* sent when a recording lacks them */
    size_t n_default_headers;
    char **regenerate; /* headers made anew per attempt */
    size_t n_regenerate;
    char *delivery_header; /* per-attempt delivery id header, or NULL */
    int64_t timeout_ms;    /* provider's response timeout (wall clock) */
    struct hr_status_range *success;
    size_t n_success;
    int64_t *retry_delays_ms; /* delay before attempt 2, 3, ... */
    size_t n_retry_delays;
    int honors_retry_after;
    struct hr_field_rule ev_id, ev_type, ev_object, ev_created;
    char *canary_object; /* pointer of the object that gets the canary */
    /* A handshake sent before the replay (Slack's url_verification,
     * GitHub's ping), or has_handshake 0. "{{challenge}}" and "{{id}}"
     * in the body and header values are filled in at send time. */
    int has_handshake;
    struct hr_header *hs_headers;
    size_t n_hs_headers;
    char *hs_body;
    int hs_echo;            /* the answer must contain the challenge */
    char *truth_state;      /* pointer of the object's state in a body */
    char *truth_resource;   /* pointer of the object's kind, e.g. "customer" */
    char *retry_num_header; /* e.g. X-Slack-Retry-Num, or NULL */
    char *retry_reason_header; /* e.g. X-Slack-Retry-Reason, or NULL */
    /* Names of members holding times, at any depth of a body, that
     * rebase_time moves (see rebase.h); none: only the event time. */
    char **time_fields;
    size_t n_time_fields;
};

/*
 * Loads a profile by name (a compiled-in or mocks/profiles one) or by a
 * path to a JSON file (anything containing '/' or ending in .json).
 * Returns NULL with a reason in err. dir, when not NULL, is searched
 * first for NAME.json.
 */
struct hr_profile *hr_profile_load(const char *name_or_path, const char *dir,
                                   struct hr_err *err);
/* Parses a profile from JSON text; origin names it in errors. */
struct hr_profile *hr_profile_parse(const char *origin, const char *json,
                                    size_t len, struct hr_err *err);
void hr_profile_free(struct hr_profile *p);

/* 1 when status counts as delivered under the profile. */
int hr_profile_success(const struct hr_profile *p, int status);
/* 1 when name is one of the headers regenerated per attempt. */
int hr_profile_regenerates(const struct hr_profile *p, const char *name);

/*
 * Derives the event block of a webhook request under the profile. Fills
 * *ev (fields it cannot find stay NULL). Returns 0, or -1 with err when
 * the body cannot be read as the profile says.
 */
int hr_profile_event(const struct hr_profile *p, const struct hr_message *req,
                     struct hr_event *ev, struct hr_err *err);

/* Parses an ISO 8601 UTC time ("2026-11-30T10:00:00Z"); -1 if invalid. */
int hr_parse_iso8601(const char *s, int64_t *unix_s);

/*
 * 1 when request m carries header name (not empty), recorded or among
 * p's default headers. Lint and run check with it that a webhook has
 * every header its provider's library requires
 * (hr_scheme_required_headers), and say so in these words.
 */
int hr_profile_has_header(const struct hr_profile *p,
                          const struct hr_message *m, const char *name);
#define HR_MISSING_HEADER_FMT                                                  \
    "request.headers has no %s: profile %s sends it with every webhook "       \
    "and its library refuses a delivery without it"

#endif
