/* SPDX-License-Identifier: MIT */
/* Data files compiled into the binary: profiles and the demo cassette. */
#ifndef HR_EMBEDDED_H
#define HR_EMBEDDED_H
#include <stddef.h>

struct hr_embedded {
    const char *name;          /* file name, e.g. "stripe.json" */
    const unsigned char *data; /* NUL-terminated for convenience */
    size_t len;                /* length without the NUL */
};

/* Terminated by an entry whose name is NULL. */
extern const struct hr_embedded hr_embedded_files[];

/* Returns the entry called name, or NULL. */
const struct hr_embedded *hr_embedded_find(const char *name);

#endif
