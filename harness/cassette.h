/* SPDX-License-Identifier: MIT */
/*
 * Cassettes: NDJSON recordings of webhook deliveries and API calls.
 * The reader streams one interaction at a time and never holds the file;
 * the writer emits the exact same format. Bodies are kept as exact bytes.
 *
 * Ownership: every string and array inside a struct hr_interaction or
 * struct hr_cassette_header belongs to it and is released by the matching
 * *_clear() function.
 */
#ifndef HR_CASSETTE_H
#define HR_CASSETTE_H
#include "util.h"

#include <stdint.h>
#include <stdio.h>

/* One header line; order and duplicates are kept. */
struct hr_header {
    char *name;
    char *value;
};

/* A request or a response; webhook and API interactions share it. */
struct hr_message {
    char *method; /* request only, else NULL */
    char *path;   /* request only */
    char *query;  /* request only, without '?', may be "" */
    int status;   /* response only, else 0 */
    int64_t ms;   /* response only: time until the response was read */
    struct hr_header *headers;
    size_t n_headers;
    unsigned char *body; /* exact bytes, may hold NUL; NUL-terminated */
    size_t body_len;
};

/* The event a webhook carries, as the profile derived it. */
struct hr_event {
    char *id;
    char *type;
    char *object; /* may be NULL: some events have no object */
    int64_t created;
    int has_created;
};

enum hr_kind { HR_KIND_WEBHOOK = 1, HR_KIND_API = 2 };

struct hr_interaction {
    int64_t seq;
    int64_t at_ms; /* offset from the start of the recording */
    enum hr_kind kind;
    char *endpoint; /* endpoint name from the header, never NULL */
    int has_event;
    struct hr_event event;
    int attempt;    /* 1 when absent */
    char *delivery; /* may be NULL */
    struct hr_message request;
    int has_response;
    struct hr_message response;
    char **redacted; /* JSON pointers that were redacted */
    size_t n_redacted;
    int line; /* line number in the file it came from, 0 if none */
};

struct hr_endpoint_decl {
    char *name;
    char *profile;
};

struct hr_cassette_header {
    int version;
    struct hr_endpoint_decl *endpoints;
    size_t n_endpoints;
    char *recorded_at; /* may be NULL */
    char *source;      /* may be NULL */
};

struct hr_cassette_reader;

/*
 * Opens path ("-" for stdin) and reads its header line. The first open of
 * "-" copies all of stdin to an unlinked temporary file (in $TMPDIR, else
 * /tmp); every later "-" reader reads that copy from its start, so a run
 * may read stdin in as many passes as it needs. Returns NULL with
 * a FILE:LINE:COLUMN reason in err (code HR_EXIT_INPUT) on bad input.
 */
struct hr_cassette_reader *hr_cassette_open(const char *path,
                                            struct hr_err *err);
/* Same, over bytes in memory (not copied: they must outlive the reader). */
struct hr_cassette_reader *hr_cassette_open_mem(const char *name,
                                                const char *data, size_t len,
                                                struct hr_err *err);
const struct hr_cassette_header *
hr_cassette_header(const struct hr_cassette_reader *r);
/*
 * Reads the next interaction into *out (cleared first). Returns 1 when one
 * was read, 0 at the end, -1 on bad input (FILE:LINE:COLUMN in err).
 */
int hr_cassette_next(struct hr_cassette_reader *r, struct hr_interaction *out,
                     struct hr_err *err);
void hr_cassette_close(struct hr_cassette_reader *r);
/*
 * Lowers (or raises) the longest line the reader accepts, 64 MiB by
 * default; a longer line is an error at its line, never buffered whole.
 */
void hr_cassette_set_max_line_bytes(struct hr_cassette_reader *r,
                                    size_t max_line_bytes);

/*
 * With on set, a line with a syntax or value error makes
 * hr_cassette_next return -1 for that line only: the next call reads the
 * line after it (lint uses this to report every bad line). Read errors
 * and over-long lines still end the reading. Off by default.
 */
void hr_cassette_set_keep_going(struct hr_cassette_reader *r, int on);
/* 1 once the reader can read no further (a read error, a line too long). */
int hr_cassette_failed(const struct hr_cassette_reader *r);

/*
 * Writer: one line per call, flushed by the caller's FILE. Keys come in
 * the order of the format's example; a body is written as "body" when it
 * is UTF-8 without NUL, else as "body_b64". Returns 0, or -1 when writing
 * fails or the struct lacks what the reader requires (endpoint, kind,
 * event id and type, endpoint profiles).
 */
int hr_cassette_write_header(FILE *f, const struct hr_cassette_header *h);
/*
 * The header a generator or importer writes: version 1, one endpoint
 * named endpoint with profile profile, and source (no recorded_at).
 * 0, or -1 with "writing the cassette: <errno text>" in err.
 */
int hr_cassette_write_single_header(FILE *f, const char *endpoint,
                                    const char *profile, const char *source,
                                    struct hr_err *err);
int hr_cassette_write(FILE *f, const struct hr_interaction *it);

void hr_interaction_init(struct hr_interaction *it);
/* Deep copy of src into dst (initialized here). 0, or -1 out of memory
 * with dst left empty. */
int hr_interaction_copy(struct hr_interaction *dst,
                        const struct hr_interaction *src);
/* 1 when both hold the same values (the line field is not compared). */
int hr_interaction_equal(const struct hr_interaction *a,
                         const struct hr_interaction *b);
void hr_interaction_clear(struct hr_interaction *it);
void hr_cassette_header_clear(struct hr_cassette_header *h);

/* Appends a header pair to a message (copies both). 0 or -1. */
int hr_message_add_header(struct hr_message *m, const char *name,
                          const char *value);
/* First value of a header by case-insensitive name, or NULL. */
const char *hr_message_header(const struct hr_message *m, const char *name);

#endif
