/* SPDX-License-Identifier: MIT */
/* Lint: reports every problem of a cassette, scenario or profile file. */
#include "lint.h"
#include "cassette.h"
#include "profile.h"
#include "sign.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct lint {
    hr_problem_fn fn;
    void *ud;
    int n_problems;
    const struct hr_scenario *s; /* while linting a scenario's cassette */
};

/* A cassette endpoint as lint sees it. */
struct ep {
    char *name;
    struct hr_profile *profile; /* NULL when it did not load */
    int used;                   /* webhooks go to it */
    int64_t *unsendable;        /* per fault rule: deliveries it may reach that
                                   the profile's scheme cannot fault that way */
};

static void problem(struct lint *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void problem(struct lint *l, const char *fmt, ...)
{
    char msg[1280];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    l->fn(l->ud, msg);
    l->n_problems++;
}

/* s as a short quoted string: printable ASCII kept, the rest escaped. */
static void quote(char *out, size_t size, const char *s)
{
    size_t n = 0;

    out[n++] = '"';
    for (; *s && n + 8 < size; s++) {
        unsigned char ch = (unsigned char)*s;

        if (n > 72) {
            n += (size_t)snprintf(out + n, size - n, "...");
            break;
        }
        if (ch == '"' || ch == '\\')
            n += (size_t)snprintf(out + n, size - n, "\\%c", ch);
        else if (ch < 0x20 || ch >= 0x7f)
            n += (size_t)snprintf(out + n, size - n, "\\x%02x", ch);
        else
            out[n++] = (char)ch;
    }
    snprintf(out + n, size - n, "\"");
}

/* ---- kind ------------------------------------------------------------- */

static enum hr_lint_kind kind_from_text(const char *s)
{
    const char *k = strstr(s, "\"hookreplay\"");

    if (!k)
        return HR_LINT_UNKNOWN;
    k += strlen("\"hookreplay\"");
    k += strspn(k, " \t\r\n");
    if (*k++ != ':')
        return HR_LINT_UNKNOWN;
    k += strspn(k, " \t\r\n");
    if (strncmp(k, "\"cassette\"", 10) == 0)
        return HR_LINT_CASSETTE;
    if (strncmp(k, "\"scenario\"", 10) == 0)
        return HR_LINT_SCENARIO;
    if (strncmp(k, "\"profile\"", 9) == 0)
        return HR_LINT_PROFILE;
    return HR_LINT_UNKNOWN;
}

static int ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), t = strlen(tail);

    return n >= t && strcmp(s + n - t, tail) == 0;
}

enum hr_lint_kind hr_lint_detect(const char *path)
{
    char head[4097];
    const char *nl;
    size_t n = 0;
    FILE *f = fopen(path, "rb");
    enum hr_lint_kind k = HR_LINT_UNKNOWN;

    if (f) {
        n = fread(head, 1, sizeof(head) - 1, f);
        fclose(f);
    }
    head[n] = '\0';
    /* A cassette says what it is on its first line; other JSON files
     * may spread their first object over several. */
    nl = memchr(head, '\n', n);
    if (nl && nl > head && nl[-1] == '}')
        head[nl - head] = '\0';
    k = kind_from_text(head);
    if (k != HR_LINT_UNKNOWN)
        return k;
    if (ends_with(path, ".ndjson") || ends_with(path, ".jsonl"))
        return HR_LINT_CASSETTE;
    if (ends_with(path, ".json"))
        return HR_LINT_SCENARIO;
    return HR_LINT_UNKNOWN;
}

/* ---- cassettes -------------------------------------------------------- */

static void compare_text(struct lint *l, const struct hr_interaction *it,
                         const char *path, const char *field, const char *rec,
                         const char *der, const char *prof)
{
    char a[128], b[128];

    if ((!rec && !der) || (rec && der && strcmp(rec, der) == 0))
        return;
    if (rec)
        quote(a, sizeof(a), rec);
    if (der)
        quote(b, sizeof(b), der);
    if (rec && der)
        problem(l,
                "%s:%d: event.%s %s but the request says %s under "
                "profile %s",
                path, it->line, field, a, b, prof);
    else if (rec)
        problem(l,
                "%s:%d: event.%s %s but the request has none under "
                "profile %s",
                path, it->line, field, a, prof);
    else
        problem(l,
                "%s:%d: event.%s is missing but the request says %s "
                "under profile %s",
                path, it->line, field, b, prof);
}

static void check_event(struct lint *l, const char *path,
                        const struct hr_interaction *it,
                        const struct hr_profile *p)
{
    const struct hr_event *rec = &it->event;
    struct hr_err err = {0, ""};
    struct hr_event der;

    if (!it->has_event) {
        problem(l,
                "%s:%d: /event: a webhook needs its event block (id "
                "and type, as profile %s derives them)",
                path, it->line, p->name);
        return;
    }
    if (hr_profile_event(p, &it->request, &der, &err)) {
        problem(l, "%s:%d: %s", path, it->line, err.msg);
    } else {
        compare_text(l, it, path, "id", rec->id, der.id, p->name);
        compare_text(l, it, path, "type", rec->type, der.type, p->name);
        compare_text(l, it, path, "object", rec->object, der.object, p->name);
        if (rec->has_created && der.has_created && rec->created != der.created)
            problem(l,
                    "%s:%d: event.created %lld but the request says "
                    "%lld under profile %s",
                    path, it->line, (long long)rec->created,
                    (long long)der.created, p->name);
    }
    hr_free(der.id);
    hr_free(der.type);
    hr_free(der.object);
}

static struct ep *find_ep(struct ep *eps, size_t n, const char *name)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (strcmp(eps[i].name, name) == 0)
            return &eps[i];
    return NULL;
}

static void free_eps(struct ep *eps, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        hr_free(eps[i].name);
        hr_profile_free(eps[i].profile);
        hr_free(eps[i].unsendable);
    }
    hr_free(eps);
}

/*
 * Loads each endpoint's profile: the scenario's target profile when it
 * names one (a problem there is the scenario's), else the header's.
 */
static struct ep *load_eps(struct lint *l, const char *path,
                           const struct hr_cassette_header *h,
                           const struct hr_scenario *s, const char *dir)
{
    struct ep *eps = hr_calloc(h->n_endpoints + 1, sizeof(*eps));
    size_t i;

    if (!eps)
        return NULL;
    for (i = 0; i < h->n_endpoints; i++) {
        const struct hr_endpoint_decl *d = &h->endpoints[i];
        struct hr_target_cfg *t =
            s ? hr_scenario_target((struct hr_scenario *)s, d->name) : NULL;
        const char *prof = t && t->profile ? t->profile : d->profile;
        struct hr_err err = {0, ""};

        eps[i].name = hr_strdup(d->name);
        eps[i].profile = hr_profile_load(prof, dir, &err);
        if (eps[i].profile)
            continue;
        if (t && t->profile)
            problem(l, "%s: /targets/%s/profile: %s", s->path, d->name,
                    err.msg);
        else
            problem(l, "%s:1: /endpoints/%s/profile: %s", path, d->name,
                    err.msg);
    }
    return eps;
}

/* 1 when rule r can pick delivery it (p > 0 may draw it). */
static int may_match(const struct hr_fault_rule *r,
                     const struct hr_interaction *it)
{
    const char *type = it->has_event && it->event.type ? it->event.type : "";
    const char *obj = it->has_event && it->event.object ? it->event.object : "";

    if (r->type_glob && !hr_glob_match(r->type_glob, type))
        return 0;
    if (r->object && strcmp(r->object, obj))
        return 0;
    return it->seq >= r->seq_lo && it->seq <= r->seq_hi && r->p > 0;
}

/*
 * Counts, per signature rule, the deliveries of endpoint e it may pick
 * that e's scheme cannot fault that way: the run would send them with
 * a forged signature instead, which tests something else.
 */
static void count_unsendable(struct lint *l, const struct hr_interaction *it,
                             struct ep *e)
{
    const struct hr_faults *f = l->s ? &l->s->faults : NULL;
    size_t i;

    for (i = 0; f && i < f->n; i++) {
        const struct hr_fault_rule *r = &f->rules[i];

        if (r->action != HR_FA_SIGNATURE || r->sig_fault <= 0 ||
            hr_sig_fault_applies(e->profile->scheme,
                                 (enum hr_sig_fault)r->sig_fault) ||
            !may_match(r, it))
            continue;
        if (!e->unsendable)
            e->unsendable = hr_calloc(f->n, sizeof(int64_t));
        if (e->unsendable)
            e->unsendable[i]++;
    }
}

static void report_unsendable(struct lint *l, const struct ep *eps, size_t n)
{
    const struct hr_faults *f = &l->s->faults;
    size_t i, k;

    for (k = 0; k < n; k++) {
        for (i = 0; eps[k].unsendable && i < f->n; i++) {
            int stale = f->rules[i].sig_fault == HR_SIG_STALE;

            if (!eps[k].unsendable[i])
                continue;
            problem(l,
                    "%s: /faults/%zu/action/signature: \"%s\" needs %s, "
                    "but endpoint '%s' (profile %s) has %s: %lld "
                    "matching deliveries to it would be sent with a "
                    "forged signature instead",
                    l->s->path, i,
                    hr_sig_fault_name((enum hr_sig_fault)f->rules[i].sig_fault),
                    stale ? "a signed timestamp"
                          : "several signatures in one header",
                    eps[k].name, eps[k].profile->name,
                    stale ? "none" : "one signature only",
                    (long long)eps[k].unsendable[i]);
        }
    }
}

static void lint_interactions(struct lint *l, struct hr_cassette_reader *r,
                              const char *path, struct ep *eps, size_t n)
{
    struct hr_interaction it;
    struct hr_err err = {0, ""};
    int rc;

    hr_interaction_init(&it);
    hr_cassette_set_keep_going(r, 1);
    while ((rc = hr_cassette_next(r, &it, &err)) != 0) {
        struct ep *e;

        if (rc < 0) {
            problem(l, "%s", err.msg);
            if (hr_cassette_failed(r))
                break;
            continue;
        }
        if (it.kind != HR_KIND_WEBHOOK)
            continue;
        e = find_ep(eps, n, it.endpoint);
        if (e)
            e->used = 1;
        if (e && e->profile)
            check_event(l, path, &it, e->profile);
        if (e && e->profile)
            count_unsendable(l, &it, e);
    }
    hr_interaction_clear(&it);
}

/* Lints a cassette; *eps_out (when not NULL) gets its endpoints. */
static void lint_cassette(struct lint *l, const char *path,
                          const struct hr_scenario *s, const char *dir,
                          struct ep **eps_out, size_t *n_out)
{
    struct hr_err err = {0, ""};
    struct hr_cassette_reader *r = hr_cassette_open(path, &err);
    const struct hr_cassette_header *h;
    struct ep *eps;

    if (!r) {
        problem(l, "%s", err.msg);
        return;
    }
    h = hr_cassette_header(r);
    eps = load_eps(l, path, h, s, dir);
    if (!eps) {
        problem(l, "%s: out of memory", path);
    } else {
        lint_interactions(l, r, path, eps, h->n_endpoints);
    }
    if (eps_out && eps) {
        *eps_out = eps;
        *n_out = h->n_endpoints;
    } else {
        free_eps(eps, h->n_endpoints);
    }
    hr_cassette_close(r);
}

/* ---- scenarios -------------------------------------------------------- */

/* A target's own profile, when no cassette endpoint loaded it. */
static void check_profile(struct lint *l, const struct hr_scenario *s,
                          const struct hr_target_cfg *t)
{
    struct hr_err err = {0, ""};
    struct hr_profile *p;

    if (!t->profile)
        return;
    p = hr_profile_load(t->profile, s->profile_dir, &err);
    if (!p)
        problem(l, "%s: /targets/%s/profile: %s", s->path, t->endpoint,
                err.msg);
    hr_profile_free(p);
}

static void check_targets(struct lint *l, const struct hr_scenario *s,
                          struct ep *eps, size_t n)
{
    size_t i;

    for (i = 0; i < s->n_targets; i++) {
        const struct hr_target_cfg *t = &s->targets[i];
        char have[512];
        size_t k, len = 0;

        if (!t->endpoint || find_ep(eps, n, t->endpoint))
            continue;
        check_profile(l, s, t);
        have[0] = '\0';
        for (k = 0; k < n && len < sizeof(have); k++)
            len += (size_t)snprintf(have + len, sizeof(have) - len, "%s%s",
                                    k ? ", " : "", eps[k].name);
        problem(l,
                "%s: /targets/%s: names no endpoint of the cassette "
                "(it has: %s)",
                s->path, t->endpoint, have);
    }
    for (i = 0; i < n; i++)
        if (eps[i].used &&
            !hr_scenario_target((struct hr_scenario *)s, eps[i].name))
            problem(l,
                    "%s: /targets: the cassette sends webhooks to "
                    "endpoint '%s', which has no target",
                    s->path, eps[i].name);
}

static void lint_scenario(struct lint *l, const char *path, const char *dir)
{
    struct hr_scenario *s = NULL;
    struct ep *eps = NULL;
    size_t n = 0;

    l->n_problems += hr_scenario_lint(path, l->fn, l->ud, &s);
    if (!s)
        return;
    if (s->cassette) {
        l->s = s;
        lint_cassette(l, s->cassette, s, s->profile_dir ? s->profile_dir : dir,
                      &eps, &n);
        if (eps) {
            check_targets(l, s, eps, n);
            report_unsendable(l, eps, n);
        }
        free_eps(eps, n);
        l->s = NULL;
    }
    hr_scenario_free(s);
}

static void lint_profile(struct lint *l, const char *path)
{
    struct hr_err err = {0, ""};
    struct hr_profile *p;
    size_t len;
    char *text = hr_read_file(path, &len, &err);

    p = text ? hr_profile_parse(path, text, len, &err) : NULL;
    if (!p)
        problem(l, "%s", err.msg);
    hr_profile_free(p);
    hr_free(text);
}

int hr_lint_file(const char *path, const char *profile_dir, hr_problem_fn fn,
                 void *ud)
{
    struct lint l = {fn, ud, 0, NULL};

    switch (hr_lint_detect(path)) {
    case HR_LINT_CASSETTE:
        lint_cassette(&l, path, NULL, profile_dir, NULL, NULL);
        break;
    case HR_LINT_SCENARIO:
        lint_scenario(&l, path, profile_dir);
        break;
    case HR_LINT_PROFILE:
        lint_profile(&l, path);
        break;
    default:
        problem(&l,
                "%s:1:1: not a hookreplay file: expected a first line "
                "with \"hookreplay\": \"cassette\", \"scenario\" or "
                "\"profile\" (or a .ndjson or .json name)",
                path);
    }
    return l.n_problems;
}
