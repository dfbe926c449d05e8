/* SPDX-License-Identifier: MIT */
/* Lint: reports every problem of a cassette, scenario or profile file. */
#include "lint.h"
#include "cassette.h"
#include "jsonx.h"
#include "profile.h"
#include "sign.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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

static void warning(struct lint *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Says something worth knowing that does not make the file invalid. */
static void warning(struct lint *l, const char *fmt, ...)
{
    char msg[1280];
    int n = snprintf(msg, sizeof(msg), "warning: ");
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
    va_end(ap);
    l->fn(l->ud, msg);
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

/* ---- signature rules a scheme cannot express -------------------------- */

/* Why scheme s cannot carry signature fault f, or NULL when it can. */
static const char *inexpressible(enum hr_scheme s, int f)
{
    if (f != HR_SIG_STALE && f != HR_SIG_ROTATED)
        return NULL;
    if (hr_sig_fault_applies(s, (enum hr_sig_fault)f))
        return NULL;
    if (f == HR_SIG_STALE)
        return "its signature covers no timestamp, so no signature can be "
               "made too old";
    return "its header carries one signature, so a retired secret's "
           "signature cannot go beside the real one";
}

static int has_sig_rules(const struct hr_scenario *s)
{
    size_t i;

    for (i = 0; i < s->faults.n; i++)
        if (s->faults.rules[i].action == HR_FA_SIGNATURE &&
            (s->faults.rules[i].sig_fault == HR_SIG_STALE ||
             s->faults.rules[i].sig_fault == HR_SIG_ROTATED))
            return 1;
    return 0;
}

/* The line of pointer ptr in file path, or 0. */
static int line_of(const char *path, const char *ptr)
{
    struct hr_err err = {0, ""};
    size_t len = 0, off;
    char *text = path ? hr_read_file(path, &len, &err) : NULL;
    int line = 0, col;

    off = text ? hr_json_locate(text, len, ptr) : HR_JSON_NOT_FOUND;
    if (off != HR_JSON_NOT_FOUND)
        hr_text_position(text, off, &line, &col);
    hr_free(text);
    return line;
}

/* Each endpoint's profile where a target sends to it, else NULL. */
static struct hr_profile **sig_profiles(const struct hr_scenario *s,
                                        const struct hr_cassette_header *h,
                                        const char *dir)
{
    struct hr_profile **p = hr_calloc(h->n_endpoints + 1, sizeof(*p));
    size_t i;

    for (i = 0; p && i < h->n_endpoints; i++) {
        struct hr_target_cfg *t =
            hr_scenario_target((struct hr_scenario *)s, h->endpoints[i].name);
        struct hr_err err = {0, ""};

        if (t) /* a profile that does not load is reported elsewhere */
            p[i] = hr_profile_load(
                t->profile ? t->profile : h->endpoints[i].profile, dir, &err);
    }
    return p;
}

/* Marks hit[endpoint * n_rules + rule] for each delivery a rule the
 * endpoint's scheme cannot express matches. */
static void sig_scan(const struct hr_scenario *s, struct hr_cassette_reader *r,
                     struct hr_profile **p, unsigned char *hit)
{
    const struct hr_cassette_header *h = hr_cassette_header(r);
    struct hr_interaction it;
    struct hr_err err = {0, ""};
    size_t i, e, nr = s->faults.n;

    hr_interaction_init(&it);
    while (hr_cassette_next(r, &it, &err) == 1) {
        for (e = 0; e < h->n_endpoints; e++)
            if (strcmp(h->endpoints[e].name, it.endpoint) == 0)
                break;
        if (it.kind != HR_KIND_WEBHOOK || e == h->n_endpoints || !p[e])
            continue;
        for (i = 0; i < nr; i++) {
            const struct hr_fault_rule *f = &s->faults.rules[i];

            if (f->action == HR_FA_SIGNATURE &&
                inexpressible(p[e]->scheme, f->sig_fault) &&
                hr_fault_rule_may_match(f, &it))
                hit[e * nr + i] = 1;
        }
    }
    hr_interaction_clear(&it);
}

static void sig_report(struct lint *l, const struct hr_scenario *s,
                       const struct hr_cassette_header *h,
                       struct hr_profile **p, const unsigned char *hit)
{
    size_t i, e, nr = s->faults.n;

    for (i = 0; i < nr; i++) {
        const struct hr_fault_rule *f = &s->faults.rules[i];
        char ptr[64], at[32] = "";
        int line;

        snprintf(ptr, sizeof(ptr), "/faults/%zu/action/signature", i);
        for (e = 0; e < h->n_endpoints; e++) {
            if (!hit[e * nr + i])
                continue;
            line = line_of(s->path, ptr);
            if (line)
                snprintf(at, sizeof(at), ":%d", line);
            problem(l,
                    "%s%s: %s: \"%s\" cannot be sent to endpoint '%s' "
                    "(profile %s): %s. The rule matches deliveries to it "
                    "(whatever its p): narrow its match (type, object, "
                    "seq) to other endpoints' events, or drop it",
                    s->path, at, ptr,
                    hr_sig_fault_name((enum hr_sig_fault)f->sig_fault),
                    h->endpoints[e].name, p[e]->name,
                    inexpressible(p[e]->scheme, f->sig_fault));
        }
    }
}

int hr_lint_sig_rules(const struct hr_scenario *s, const char *profile_dir,
                      hr_problem_fn fn, void *ud)
{
    struct lint l = {fn, ud, 0, s};
    struct hr_err err = {0, ""};
    struct hr_cassette_reader *r;
    const struct hr_cassette_header *h;
    struct hr_profile **p = NULL;
    unsigned char *hit = NULL;
    size_t i;

    if (!has_sig_rules(s) || !s->cassette)
        return 0;
    r = s->cassette_mem ? hr_cassette_open_mem(s->cassette, s->cassette_mem,
                                               s->cassette_mem_len, &err)
                        : hr_cassette_open(s->cassette, &err);
    if (!r)
        return 0; /* the cassette's own problem is reported where read */
    h = hr_cassette_header(r);
    p = sig_profiles(s, h, profile_dir);
    hit = hr_calloc(h->n_endpoints * s->faults.n + 1, 1);
    if (p && hit) {
        sig_scan(s, r, p, hit);
        sig_report(&l, s, h, p, hit);
    }
    for (i = 0; p && i < h->n_endpoints; i++)
        hr_profile_free(p[i]);
    hr_free(p);
    hr_free(hit);
    hr_cassette_close(r);
    return l.n_problems;
}

/*
 * Headers hookreplay replays as recorded (or from the profile's
 * defaults) but cannot make up: without them the provider's library
 * refuses every delivery, whatever the signature.
 */
static void check_required(struct lint *l, const char *path,
                           const struct hr_interaction *it,
                           const struct hr_profile *p)
{
    const char *const *name = hr_scheme_required_headers(p->scheme);

    for (; *name; name++)
        if (!hr_profile_has_header(p, &it->request, *name))
            problem(l, "%s:%d: " HR_MISSING_HEADER_FMT, path, it->line, *name,
                    p->name);
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
        if (e && e->profile) {
            check_event(l, path, &it, e->profile);
            check_required(l, path, &it, e->profile);
        }
    }
    hr_interaction_clear(&it);
}

/* Lints a cassette; *eps_out (when not NULL) gets its endpoints. */
/* 1 when path cannot be opened at all (absent, or not readable). */
static int cannot_open(const char *path)
{
    return strcmp(path, "-") != 0 && access(path, R_OK) != 0;
}

static void lint_cassette(struct lint *l, const char *path,
                          const struct hr_scenario *s, const char *dir,
                          struct ep **eps_out, size_t *n_out)
{
    struct hr_err err = {0, ""};
    struct hr_cassette_reader *r = hr_cassette_open(path, &err);
    const struct hr_cassette_header *h;
    struct ep *eps;

    if (!r && s && cannot_open(path)) {
        /* the scenario names a file that is not there: say where */
        problem(l, "%s: /cassette: %s", s->path, err.msg);
        return;
    }
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
    /* A run replays the endpoints it has targets for and skips the
     * rest (totals.skipped): worth a word, not a refusal. */
    for (i = 0; i < n; i++)
        if (eps[i].used &&
            !hr_scenario_target((struct hr_scenario *)s, eps[i].name))
            warning(l,
                    "%s: /targets: the cassette sends webhooks to "
                    "endpoint '%s', which has no target; a run skips "
                    "them",
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
        if (eps)
            check_targets(l, s, eps, n);
        free_eps(eps, n);
        l->s = NULL;
        l->n_problems += hr_lint_sig_rules(
            s, s->profile_dir ? s->profile_dir : dir, l->fn, l->ud);
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
