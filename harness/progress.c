/* SPDX-License-Identifier: MIT */
/* The progress line of a run on a terminal or in a log. */
#include "progress.h"
#include "util.h"

#include <stdlib.h>
#include <unistd.h>

#define TTY_EVERY_MS 100

struct hr_progress {
    FILE *f;
    int tty, colour;
    int64_t total, every_ms, start_ms, last_ms;
    int64_t sent, answered, failed;
    int64_t (*now_ms)(void);
    int drawn; /* a \r line is on screen */
};

struct hr_progress *hr_progress_start(const struct hr_progress_opts *o)
{
    struct hr_progress *p;
    const char *nc = getenv("NO_COLOR");

    if (o->quiet)
        return NULL;
    p = hr_calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->f = o->f ? o->f : stderr;
    p->tty = o->tty >= 0 ? o->tty : isatty(fileno(p->f));
    p->colour = p->tty && !(nc && nc[0]);
    p->total = o->total;
    p->every_ms = o->every_ms > 0 ? o->every_ms : 10000;
    p->now_ms = o->now_ms ? o->now_ms : hr_mono_ms;
    p->start_ms = p->now_ms();
    p->last_ms = p->start_ms;
    return p;
}

static void eta(struct hr_progress *p, double rate, char *buf, size_t cap)
{
    int64_t left = p->total - p->answered - p->failed, s;

    if (p->total < 0 || rate <= 0 || left < 0) {
        snprintf(buf, cap, "--");
        return;
    }
    s = (int64_t)((double)left / rate + 0.5);
    if (s >= 3600)
        snprintf(buf, cap, "%lldh%02lldm", (long long)(s / 3600),
                 (long long)(s % 3600 / 60));
    else
        snprintf(buf, cap, "%lldm%02llds", (long long)(s / 60),
                 (long long)(s % 60));
}

static void draw(struct hr_progress *p, int64_t now, int final)
{
    double secs = (double)(now - p->start_ms) / 1000.0;
    double rate = secs > 0 ? (double)p->answered / secs : 0;
    char left[32], total[32] = "";

    eta(p, rate, left, sizeof(left));
    if (p->total >= 0)
        snprintf(total, sizeof(total), "/%lld", (long long)p->total);
    fprintf(p->f,
            "%shookreplay: sent %lld%s  answered %lld  failed %s%lld%s  "
            "%.0f/s  %s %s%s",
            p->tty ? "\r" : "", (long long)p->sent, total,
            (long long)p->answered, p->colour && p->failed ? "\033[31m" : "",
            (long long)p->failed, p->colour && p->failed ? "\033[0m" : "", rate,
            final ? "took" : "ETA", final ? "" : left, p->tty ? "\033[K" : "");
    if (final)
        fprintf(p->f, "%.1fs", secs);
    if (!p->tty || final)
        fputc('\n', p->f);
    fflush(p->f);
    p->drawn = p->tty && !final;
    p->last_ms = now;
}

void hr_progress_update(struct hr_progress *p, int64_t sent, int64_t answered,
                        int64_t failed)
{
    int64_t now;

    if (!p)
        return;
    p->sent = sent;
    p->answered = answered;
    p->failed = failed;
    now = p->now_ms();
    if (now - p->last_ms >= (p->tty ? TTY_EVERY_MS : p->every_ms))
        draw(p, now, 0);
}

void hr_progress_finish(struct hr_progress *p)
{
    if (!p)
        return;
    draw(p, p->now_ms(), 1);
    hr_free(p);
}
