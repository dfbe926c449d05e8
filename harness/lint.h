/* SPDX-License-Identifier: MIT */
/*
 * Lint: every problem a cassette, scenario or profile file has, not just
 * the first. Syntax errors are FILE:LINE:COLUMN (bytes, from 1); value
 * errors FILE:LINE: /pointer: what (or FILE: /pointer: what when the
 * line is not known); a cassette's event blocks are checked against
 * their requests under each endpoint's profile.
 */
#ifndef HR_LINT_H
#define HR_LINT_H
#include "scenario.h"

enum hr_lint_kind {
    HR_LINT_UNKNOWN = 0,
    HR_LINT_CASSETTE,
    HR_LINT_SCENARIO,
    HR_LINT_PROFILE
};

/*
 * The kind of a file: the "hookreplay" field near its start ("cassette",
 * "scenario", "profile"), else its extension (.ndjson and .jsonl are
 * cassettes, .json scenarios). HR_LINT_UNKNOWN when neither says.
 */
enum hr_lint_kind hr_lint_detect(const char *path);

/*
 * Lints path, sending each problem (one line, no newline) to fn.
 * profile_dir, when not NULL, is searched for profiles first. Never
 * quotes a secret. Returns the number of problems found (0: clean).
 */
int hr_lint_file(const char *path, const char *profile_dir, hr_problem_fn fn,
                 void *ud);

/*
 * The signature rules ("stale", "rotated") that match deliveries to an
 * endpoint whose scheme cannot express them, whatever the rules' p: each
 * (rule, endpoint) goes to fn. A run refuses what this finds, so lint
 * and run agree. Reads s's cassette (stdin is spooled, so it
 * can be read again); profiles come from
 * profile_dir first. Returns the number of problems.
 */
int hr_lint_sig_rules(const struct hr_scenario *s, const char *profile_dir,
                      hr_problem_fn fn, void *ud);

#endif
