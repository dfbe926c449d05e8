/* SPDX-License-Identifier: MIT */
/*
 * Reports rendered from a parsed result file (docs/result.md): JUnit XML,
 * Markdown and a self-contained HTML page. A run and `hookreplay report
 * render` share this one path: both read result.json back and render it,
 * so a report never shows anything the result file does not hold.
 *
 * Ownership: the writers only read the cJSON tree they are given; the
 * caller frees it with cJSON_Delete.
 */
#ifndef HR_REPORT_H
#define HR_REPORT_H
#include "hist.h"
#include "scenario.h"
#include "util.h"

#include <cjson/cJSON.h>
#include <stdio.h>

/*
 * Parses a comma-separated list of formats ("html,md,junit"; "markdown"
 * and "md", "junit" and "xml" are synonyms; "json" is accepted and always
 * on) into enum hr_report_format bits. 0, or -1 with err naming the word.
 */
int hr_report_formats_parse(const char *list, unsigned *bits,
                            struct hr_err *err);
/* The file a format is written to inside the out folder ("report.md"). */
const char *hr_report_file_name(unsigned bit);

/*
 * Reads and parses a result file and checks that it is one (kind,
 * version, totals, events, checks). Returns the tree, or NULL with err
 * (HR_EXIT_INPUT) naming the file and what is wrong.
 */
cJSON *hr_report_load(const char *path, struct hr_err *err);

/* Each writer renders res to f; 0, or -1 when writing failed. */
int hr_report_junit(FILE *f, const cJSON *res);
int hr_report_markdown(FILE *f, const cJSON *res);
int hr_report_html(FILE *f, const cJSON *res);
/* Renders one format (a single enum hr_report_format bit but JSON). */
int hr_report_render(FILE *f, unsigned format, const cJSON *res,
                     struct hr_err *err);

/*
 * Reads out_dir/result.json and writes every format in bits except JSON
 * next to it. Each path written is printed to log when log is not NULL.
 * 0, or -1 with err.
 */
int hr_report_write_all(const char *out_dir, unsigned bits, FILE *log,
                        struct hr_err *err);

/*
 * Merges shard results (names label them in merged_from and messages):
 * counts add, histograms merge, percentiles are recomputed from the
 * merged histograms, events are concatenated, and the checks are judged
 * again on the merged totals where that is exact (otherwise they are
 * not_measured with a note). Returns a new tree, or NULL with err.
 */
cJSON *hr_report_merge(cJSON *const *res, const char *const *names, size_t n,
                       struct hr_err *err);
/* Writes a result tree as a run does: one event per line. 0 or -1. */
int hr_report_write_json(FILE *f, const cJSON *res);

/*
 * Prints what got better or worse from old_r to new_r, per check and for
 * the key totals. Returns 1 when a check regressed (pass to fail, or a
 * value worse by more than tolerance as a fraction of the old value),
 * else 0.
 */
int hr_report_diff(FILE *f, const cJSON *old_r, const cJSON *new_r,
                   double tolerance);

/* Shared by the writers (and tested on their own). */

/* Writes s with & < > " ' escaped for HTML text and attribute values. */
void hr_report_html_escape(FILE *f, const char *s);
/* Same for XML 1.0, also replacing characters XML cannot hold. */
void hr_report_xml_escape(FILE *f, const char *s);

/* The number at a dotted path ("totals.delivered"), or dflt. */
double hr_report_num(const cJSON *o, const char *dotted, double dflt);
/* The string at key, or dflt. */
const char *hr_report_str(const cJSON *o, const char *key, const char *dflt);
/* The label for the verdict: PASS, FAIL, INPUT ERROR, UNREACHABLE... */
const char *hr_report_verdict_label(const cJSON *res);

/*
 * Rebuilds a histogram from a latency object of the result (count, max,
 * mean, sparse buckets_us). Quantiles of the rebuilt histogram equal the
 * ones the run printed. 0, or -1 when the object is malformed.
 */
int hr_report_hist(const cJSON *latency, struct hr_hist *h);

/* One attempt's outcome, as the reports colour and name it. */
enum hr_outcome {
    HR_OUT_SUCCESS, /* a 2xx answer */
    HR_OUT_STATUS,  /* another answer */
    HR_OUT_TIMEOUT,
    HR_OUT_CONNECT /* refused, reset or another transport error */
};
enum hr_outcome hr_report_outcome(const cJSON *attempt);

/* "status 401", "timeout (detail)", ... of an event's last attempt. */
void hr_report_last_outcome(const cJSON *event, char *buf, size_t cap);
/* The slowest answered attempt's ack latency in ms, or -1 when none. */
double hr_report_event_ack_ms(const cJSON *event);

/*
 * 1 when the event is a delivery the target owes an acknowledgement: not
 * a forged request (rejecting those is right) nor one a fault dropped.
 */
int hr_report_owed(const cJSON *event);

/*
 * Up to max undelivered events the target owed (hr_report_owed), in file
 * order; returns how many in total were undelivered (may be more than
 * max).
 */
size_t hr_report_undelivered(const cJSON *res, const cJSON **out, size_t max);
/* Up to max events with the highest ack latency, slowest first. */
size_t hr_report_slowest(const cJSON *res, const cJSON **out, size_t max);

/* "350 us" (as UTF-8 micro sign), "12.5 ms", "3.2 s". */
void hr_report_fmt_ms(char *buf, size_t cap, double ms);
/* A round axis step (1, 2 or 5 times a power of ten) for about 8 ticks. */
double hr_report_nice_step(double span);

/*
 * The HTML report's state sections (report_html_state.c): inconsistent
 * objects over time, the target's API calls over time, and the objects
 * left wrong with the lost events. Each writes a <section>; the first
 * two say "not measured in this run" when the result lacks their data,
 * the last writes nothing then.
 */
void hr_report_html_consistency(FILE *f, const cJSON *res);
void hr_report_html_api(FILE *f, const cJSON *res);
void hr_report_html_wrong(FILE *f, const cJSON *res);

#endif
