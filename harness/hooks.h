/* SPDX-License-Identifier: MIT */
/*
 * Hooks let hookreplay drive a target's own lifecycle: ready (wait until
 * it answers), reset (before the run), reconcile (after the replay, or
 * every n ms), teardown (after everything). Each is an HTTP call or a
 * command (argv, no shell) with a timeout.
 */
#ifndef HR_HOOKS_H
#define HR_HOOKS_H
#include "util.h"

#include <cjson/cJSON.h>
#include <stdint.h>

struct hr_hook {
    char *url;   /* http(s) URL, or NULL */
    int post;    /* POST instead of GET */
    char **argv; /* NULL-terminated, or NULL */
    char *dir;   /* the folder argv runs in (the scenario's), or NULL */
    int64_t timeout_ms;
    int64_t every_ms; /* reconcile only: also call it on this interval */
};

struct hr_hooks {
    struct hr_hook *ready, *reset, *reconcile, *teardown;
};

/* Parses a scenario's "hooks" (NULL: none); argv hooks will run in dir
 * (the scenario's folder; NULL: the working one). 0 or -1 with err. */
int hr_hooks_parse(const cJSON *o, const char *origin, const char *dir,
                   struct hr_hooks *out, struct hr_err *err);
void hr_hooks_free(struct hr_hooks *h);

/*
 * Calls a hook once: an HTTP answer in 2xx or a command exiting 0 is
 * success. 0, or -1 with the reason in err.
 */
int hr_hook_call(const struct hr_hook *h, struct hr_err *err);
/* Calls until it succeeds or its timeout passes (the ready hook). */
int hr_hook_wait(const struct hr_hook *h, struct hr_err *err);

#endif
