/* SPDX-License-Identifier: MIT */
/*
 * Small shared pieces: the error record, allocation, a growable byte
 * buffer with a size cap, clocks, base64/hex, UTF-8 checks and files.
 * Nothing here knows about webhooks.
 */
#ifndef HR_UTIL_H
#define HR_UTIL_H
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Exit codes of the CLI, also used as error classes. */
enum hr_exit {
    HR_EXIT_OK = 0,
    HR_EXIT_THRESHOLD = 1, /* a threshold failed */
    HR_EXIT_INPUT = 2,     /* bad usage or bad input */
    HR_EXIT_TARGET = 3,    /* the target never answered at all */
    HR_EXIT_INTERNAL = 4   /* out of memory, I/O, a bug */
};

/*
 * Where a fallible function leaves its reason. Functions return 0 on
 * success and -1 on failure, after filling this in.
 */
struct hr_err {
    int code;       /* an enum hr_exit value */
    char msg[1024]; /* one line, no trailing newline */
};

/* Records a formatted reason and class in err (may be NULL). Returns -1. */
int hr_errf(struct hr_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Judges a finished child command (probe or hook) from its wait status:
 * 0 when it exited 0, else -1 with err saying why, named "KIND ARGV0":
 * timed out (timed_out set; it was killed at timeout_ms), not runnable
 * (exit 127: execvp failed), cannot enter dir (exit 126, which the
 * child uses for a failed chdir), a signal, or its exit status.
 */
int hr_command_status(const char *kind, const char *argv0, const char *dir,
                      int status, int timed_out, int64_t timeout_ms,
                      struct hr_err *err);

/*
 * Allocation goes through these so that tests can make it fail: after
 * hr_alloc_fail_after(n), the n+1-th allocation returns NULL (n < 0 turns
 * failures off). cJSON is pointed at them by hr_alloc_init().
 */
void *hr_malloc(size_t n);
void *hr_calloc(size_t count, size_t size);
void *hr_realloc(void *p, size_t n);
char *hr_strdup(const char *s);
char *hr_strndup(const char *s, size_t n);
void hr_free(void *p);
void hr_alloc_fail_after(long n);
void hr_alloc_init(void);

/* A growable buffer, always NUL-terminated; max_bytes 0 means no cap. */
struct hr_buf {
    char *data;
    size_t len;
    size_t cap;
    size_t max_bytes;
};

void hr_buf_init(struct hr_buf *b, size_t max_bytes);
/* These return 0, or -1 when memory runs out or the cap is hit. */
int hr_buf_add(struct hr_buf *b, const void *p, size_t n);
int hr_buf_puts(struct hr_buf *b, const char *s);
int hr_buf_printf(struct hr_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void hr_buf_reset(struct hr_buf *b);
/* Hands the data to the caller (who frees it with hr_free). */
char *hr_buf_steal(struct hr_buf *b, size_t *len);
void hr_buf_free(struct hr_buf *b);

/* Clocks, in milliseconds or microseconds. */
int64_t hr_mono_us(void);
int64_t hr_mono_ms(void);
int64_t hr_wall_ms(void);

/*
 * Base64 (standard alphabet, padded). hr_b64_encode returns a new string.
 * hr_b64_decode returns new bytes and their length in *out_len, or NULL
 * when the text is not base64. Both allocate with hr_malloc.
 */
char *hr_b64_encode(const unsigned char *p, size_t n);
unsigned char *hr_b64_decode(const char *s, size_t len, size_t *out_len);

/* Lowercase hex of n bytes into out (2n+1 bytes). */
void hr_hex(const unsigned char *p, size_t n, char *out);

/* FNV-1a of a string: the hash of every string-keyed table here. */
uint64_t hr_hash64(const char *s);

/* 1 when s (NULL counts) is valid UTF-8 without control characters:
 * text fit for ids, types, logs and reports. */
int hr_text_printable(const char *s);

/* 1 when p holds valid UTF-8 with no NUL byte, else 0. */
int hr_utf8_valid_no_nul(const unsigned char *p, size_t n);

/* The largest whole file read at once (scenarios, profiles, secrets). */
#define HR_MAX_FILE_BYTES (64 << 20)

/* Reads a whole file (for small files: profiles, secrets, scenarios);
 * a file over HR_MAX_FILE_BYTES is refused (HR_EXIT_INPUT). */
char *hr_read_file(const char *path, size_t *len, struct hr_err *err);

/*
 * Calls write(f, ud, err) on stdout when path is NULL (then flushes it),
 * else on PATH.tmp, renamed over path only when everything succeeded, so
 * a failed run never leaves a half-written file. 0, or -1 with err.
 */
int hr_write_output(const char *path,
                    int (*write)(FILE *f, void *ud, struct hr_err *err),
                    void *ud, struct hr_err *err);

/* Directory part of a path ("." when none); returns a new string. */
char *hr_dirname(const char *path);
/* base joined with rel unless rel is absolute; returns a new string. */
char *hr_path_join(const char *base, const char *rel);

/* Case-insensitive ASCII comparison, as HTTP header names need. */
int hr_strcaseeq(const char *a, const char *b);

/*
 * Log lines go to stderr; levels below the current one are not even
 * formatted. Levels: 0 error, 1 warn, 2 info, 3 debug.
 */
extern int hr_log_level;
void hr_log_write(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
#define hr_log(level, ...)                                                     \
    do {                                                                       \
        if ((level) <= hr_log_level)                                           \
            hr_log_write((level), __VA_ARGS__);                                \
    } while (0)

#endif
