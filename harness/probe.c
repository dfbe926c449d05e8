/* SPDX-License-Identifier: MIT */
/* Reading the target's state, and judging canaries and duplicates. */
#include "probe.h"
#include "jsonx.h"

#include <curl/curl.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_STATE_BYTES (64u << 20)

void hr_probe_free(struct hr_probe_cfg *p)
{
    size_t i;

    if (!p)
        return;
    hr_free(p->http);
    for (i = 0; i < p->argc; i++)
        hr_free(p->argv[i]);
    hr_free(p->argv);
    hr_free(p->applied_ids);
    hr_free(p->applied_counts);
    hr_free(p->dir);
    hr_free(p);
}

static int bad(struct hr_err *err, const char *origin, const char *ptr,
               const char *what)
{
    return hr_errf(err, HR_EXIT_INPUT, "%s: /probe%s: %s", origin, ptr, what);
}

static int parse_applied(const cJSON *a, const char *origin,
                         struct hr_probe_cfg *p, struct hr_err *err)
{
    static const char *const keys[] = {"ids", "counts", NULL};
    const cJSON *ids = cJSON_GetObjectItemCaseSensitive(a, "ids");
    const cJSON *counts = cJSON_GetObjectItemCaseSensitive(a, "counts");

    if (!a)
        return 0;
    if (!cJSON_IsObject(a) ||
        hr_json_only_keys(a, keys, origin, "/probe/applied", err))
        return err->msg[0] ? -1
                           : bad(err, origin, "/applied", "must be an object");
    if ((ids &&
         (!cJSON_IsString(ids) || !hr_json_pointer_valid(ids->valuestring))) ||
        (counts && (!cJSON_IsString(counts) ||
                    !hr_json_pointer_valid(counts->valuestring))))
        return bad(err, origin, "/applied",
                   "ids and counts must be JSON pointers into the state");
    p->applied_ids = ids ? hr_strdup(ids->valuestring) : NULL;
    p->applied_counts = counts ? hr_strdup(counts->valuestring) : NULL;
    return 0;
}

static int parse_argv(const cJSON *a, const char *origin,
                      struct hr_probe_cfg *p, struct hr_err *err)
{
    const cJSON *it;

    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) < 1)
        return bad(err, origin, "/argv", "must be a non-empty list");
    p->argv = hr_calloc((size_t)cJSON_GetArraySize(a) + 1, sizeof(char *));
    if (!p->argv)
        return hr_errf(err, HR_EXIT_INTERNAL, "out of memory");
    cJSON_ArrayForEach(it, a)
    {
        if (!cJSON_IsString(it))
            return bad(err, origin, "/argv", "entries must be strings");
        p->argv[p->argc++] = hr_strdup(it->valuestring);
    }
    return 0;
}

static int get_ms(const cJSON *o, const char *key, int64_t *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

    if (!v)
        return 0;
    if (hr_json_int64(v, out) || *out < 0 || *out > 3600000)
        return -1;
    return 0;
}

static int get_count(const cJSON *o, const char *key, int64_t *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

    if (!v)
        return 0;
    if (hr_json_int64(v, out) || *out < 0 || *out > 100000)
        return -1;
    return 0;
}

int hr_probe_parse(const cJSON *o, const char *origin, const char *dir,
                   struct hr_probe_cfg **out, struct hr_err *err)
{
    static const char *const keys[] = {
        "http",    "argv",        "timeout_ms",          "after_ms",
        "applied", "collections", "duplicate_snapshots", NULL};
    const cJSON *http = cJSON_GetObjectItemCaseSensitive(o, "http");
    const cJSON *argv = cJSON_GetObjectItemCaseSensitive(o, "argv");
    struct hr_probe_cfg *p;

    *out = NULL;
    if (!o)
        return 0;
    if (!cJSON_IsObject(o))
        return bad(err, origin, "", "must be an object");
    if (hr_json_only_keys(o, keys, origin, "/probe", err))
        return -1;
    if ((http != NULL) == (argv != NULL))
        return bad(err, origin, "", "give one of http (a URL) or argv");
    p = hr_calloc(1, sizeof(*p));
    if (!p)
        return hr_errf(err, HR_EXIT_INTERNAL, "out of memory");
    *out = p;
    p->timeout_ms = 5000;
    p->after_ms = 200;
    p->duplicate_snapshots = -1;
    if (dir && !(p->dir = hr_strdup(dir)))
        return hr_errf(err, HR_EXIT_INTERNAL, "out of memory");
    if (http &&
        (!cJSON_IsString(http) || strncmp(http->valuestring, "http", 4)))
        return bad(err, origin, "/http", "must be an http(s):// URL");
    if (http)
        p->http = hr_strdup(http->valuestring);
    if (argv && parse_argv(argv, origin, p, err))
        return -1;
    if (get_ms(o, "timeout_ms", &p->timeout_ms) ||
        get_ms(o, "after_ms", &p->after_ms))
        return bad(err, origin, "",
                   "timeout_ms and after_ms must be "
                   "integers from 0 to 3600000");
    if (get_count(o, "duplicate_snapshots", &p->duplicate_snapshots))
        return bad(err, origin, "/duplicate_snapshots",
                   "must be an integer from 0 to 100000 (0 turns the "
                   "snapshot check of duplicates off)");
    return parse_applied(cJSON_GetObjectItemCaseSensitive(o, "applied"), origin,
                         p, err);
}

static size_t collect(char *ptr, size_t size, size_t n, void *ud)
{
    struct hr_buf *b = ud;

    return hr_buf_add(b, ptr, size * n) ? 0 : size * n;
}

static int read_http(const struct hr_probe_cfg *p, struct hr_buf *b,
                     struct hr_err *err)
{
    CURL *c = curl_easy_init();
    long status = 0;
    CURLcode rc;

    if (!c)
        return hr_errf(err, HR_EXIT_INTERNAL, "out of memory");
    curl_easy_setopt(c, CURLOPT_URL, p->http);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)p->timeout_ms);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    if (rc != CURLE_OK)
        return hr_errf(err, HR_EXIT_TARGET, "probe %s: %s", p->http,
                       curl_easy_strerror(rc));
    if (status != 200)
        return hr_errf(err, HR_EXIT_TARGET, "probe %s: status %ld", p->http,
                       status);
    return 0;
}

/* Runs argv with stdout captured, killing it at the timeout. */
static int read_command(const struct hr_probe_cfg *p, struct hr_buf *b,
                        struct hr_err *err)
{
    int fds[2], status = 0, timed_out = 0;
    int64_t deadline = hr_mono_ms() + p->timeout_ms;
    pid_t pid;

    if (pipe(fds))
        return hr_errf(err, HR_EXIT_INTERNAL, "pipe: %s", strerror(errno));
    pid = fork();
    if (pid < 0)
        return hr_errf(err, HR_EXIT_INTERNAL, "fork: %s", strerror(errno));
    if (pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        if (p->dir && chdir(p->dir) != 0)
            _exit(126);
        execvp(p->argv[0], p->argv);
        _exit(127);
    }
    close(fds[1]);
    for (;;) {
        struct pollfd pf = {fds[0], POLLIN, 0};
        int64_t left = deadline - hr_mono_ms();
        char chunk[8192];
        ssize_t n;

        if (left <= 0 || poll(&pf, 1, (int)left) <= 0) {
            kill(pid, SIGKILL);
            timed_out = 1;
            break;
        }
        n = read(fds[0], chunk, sizeof(chunk));
        if (n <= 0)
            break;
        if (hr_buf_add(b, chunk, (size_t)n)) {
            kill(pid, SIGKILL);
            break;
        }
    }
    close(fds[0]);
    waitpid(pid, &status, 0);
    return hr_command_status("probe command", p->argv[0], p->dir, status,
                             timed_out, p->timeout_ms, err);
}

/*
 * A JSON null where the self-report should be becomes an empty one: it
 * is what SQL prints for an aggregate over a table with no rows yet
 * (json_object_agg, json_agg), and it means nothing was applied.
 */
static void empty_when_null(cJSON *state, const char *ptr, int type)
{
    cJSON *v = ptr ? hr_json_pointer(state, ptr) : NULL;

    if (cJSON_IsNull(v))
        v->type = type;
}

int hr_probe_read(const struct hr_probe_cfg *p, char **text, cJSON **json,
                  struct hr_err *err)
{
    struct hr_buf b;

    *text = NULL;
    *json = NULL;
    hr_buf_init(&b, MAX_STATE_BYTES);
    if (p->http ? read_http(p, &b, err) : read_command(p, &b, err)) {
        hr_buf_free(&b);
        return -1;
    }
    *text = hr_buf_steal(&b, NULL);
    *json = cJSON_Parse(*text);
    if (!*json)
        return hr_errf(err, HR_EXIT_TARGET, "probe: the state is not JSON");
    empty_when_null(*json, p->applied_counts, cJSON_Object);
    empty_when_null(*json, p->applied_ids, cJSON_Array);
    return 0;
}

int hr_canaries_add(struct hr_canaries *c, const char *canary,
                    const char *event_id, int64_t seq, int acknowledged)
{
    struct hr_canary *k;

    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        struct hr_canary *v = hr_realloc(c->v, cap * sizeof(*v));

        if (!v)
            return -1;
        c->v = v;
        c->cap = cap;
    }
    k = &c->v[c->n];
    memset(k, 0, sizeof(*k));
    snprintf(k->canary, sizeof(k->canary), "%s", canary);
    k->event_id = hr_strdup(event_id ? event_id : "");
    if (!k->event_id)
        return -1;
    k->seq = seq;
    k->acknowledged = acknowledged;
    c->n++;
    return 0;
}

void hr_canaries_free(struct hr_canaries *c)
{
    size_t i;

    for (i = 0; i < c->n; i++)
        hr_free(c->v[i].event_id);
    hr_free(c->v);
    memset(c, 0, sizeof(*c));
}

int64_t hr_canaries_judge(struct hr_canaries *c, const char *state_text)
{
    int64_t n = 0;
    size_t i;

    for (i = 0; i < c->n; i++) {
        c->v[i].accepted = strstr(state_text, c->v[i].canary) != NULL;
        n += c->v[i].accepted;
    }
    return n;
}

/* One entry of a self-report, where it stands: a string of an ids list,
 * or a member of a counts object (id its key). */
struct idref {
    const char *id;
    size_t at;
    cJSON *node;
};

struct hr_probe_index {
    struct idref *counts; /* members of the counts, by id then position */
    size_t n_counts;
    struct idref *ids; /* strings of the ids, by id then position */
    size_t n_ids;
    int ids_listed; /* the ids are an array (not another node) */
    int by_counts;  /* look-ups read counts: the probe has them */
};

static int idref_cmp(const void *a, const void *b)
{
    const struct idref *x = a, *y = b;
    int c = strcmp(x->id, y->id);

    return c ? c : (x->at > y->at) - (x->at < y->at);
}

/* The children of list into *out (hr_free), sorted by id then position,
 * *n of them: its strings, or with by_key its named members. 0, or -1
 * when memory runs out. */
static int sorted_refs(const cJSON *list, int by_key, struct idref **out,
                       size_t *n)
{
    size_t cap = (size_t)cJSON_GetArraySize(list), at = 0;
    struct idref *v = cap ? hr_calloc(cap, sizeof(*v)) : NULL;
    cJSON *it;

    *out = v;
    *n = 0;
    if (cap && !v)
        return -1;
    for (it = cap ? list->child : NULL; it; it = it->next, at++) {
        const char *id = by_key               ? it->string
                         : cJSON_IsString(it) ? it->valuestring
                                              : NULL;

        if (!id)
            continue;
        v[*n].id = id;
        v[*n].at = at;
        v[(*n)++].node = it;
    }
    if (*n)
        qsort(v, *n, sizeof(*v), idref_cmp);
    return 0;
}

/* The first of the sorted refs v[0..n) not below id (n: none). */
static size_t lower_bound(const struct idref *v, size_t n, const char *id)
{
    size_t lo = 0, hi = n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (strcmp(v[mid].id, id) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* How many of the sorted refs v[0..n) hold id. */
static size_t count_in(const struct idref *v, size_t n, const char *id)
{
    size_t lo = lower_bound(v, n, id), k = 0;

    while (lo + k < n && strcmp(v[lo + k].id, id) == 0)
        k++;
    return k;
}

/* The earliest node of the sorted refs v[0..n) that holds id, or NULL:
 * the one cJSON_GetObjectItemCaseSensitive finds. */
static const cJSON *first_in(const struct idref *v, size_t n, const char *id)
{
    size_t i = lower_bound(v, n, id);

    return i < n && strcmp(v[i].id, id) == 0 ? v[i].node : NULL;
}

/* Strings of an ids list that repeat an earlier one; -1 when memory
 * runs out. */
static int64_t repeated_ids(const cJSON *ids)
{
    struct idref *v;
    size_t n, i, distinct = 0;

    if (sorted_refs(ids, 0, &v, &n))
        return -1;
    for (i = 0; i < n; i++)
        distinct += i == 0 || strcmp(v[i - 1].id, v[i].id) != 0;
    hr_free(v);
    return (int64_t)(n - distinct);
}

int64_t hr_probe_duplicates(const struct hr_probe_cfg *p, const cJSON *state)
{
    const cJSON *it, *counts, *ids;
    int64_t extra = 0;

    if (p->applied_counts) {
        counts = hr_json_pointer(state, p->applied_counts);
        if (!cJSON_IsObject(counts))
            return -1;
        cJSON_ArrayForEach(it, counts)
        {
            int64_t k;

            if (hr_json_int64(it, &k) == 0 && k > 1 &&
                !strstr(it->string, "cnry"))
                extra += k - 1;
        }
        return extra;
    }
    if (!p->applied_ids)
        return -1;
    ids = hr_json_pointer(state, p->applied_ids);
    if (!cJSON_IsArray(ids))
        return -1;
    return repeated_ids(ids);
}

int64_t hr_probe_applied_count(const struct hr_probe_cfg *p, const cJSON *state,
                               const char *id)
{
    const cJSON *v, *it;
    int64_t n = 0;

    if (p->applied_counts) {
        v = cJSON_GetObjectItemCaseSensitive(
            hr_json_pointer(state, p->applied_counts), id);
        return hr_json_int64(v, &n) == 0 ? n : (v ? 1 : 0);
    }
    if (!p->applied_ids)
        return 0;
    cJSON_ArrayForEach(it, hr_json_pointer(state, p->applied_ids))
    {
        if (cJSON_IsString(it) && strcmp(it->valuestring, id) == 0)
            n++;
    }
    return n;
}

/* How many times needle occurs in hay (overlaps counted once). */
static int64_t occurrences(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    int64_t k = 0;

    while (hay && n && (hay = strstr(hay, needle))) {
        k++;
        hay += n;
    }
    return k;
}

int64_t hr_canaries_judge_since(struct hr_canaries *c, const char *state_text,
                                const char *base_text, const char *since_text)
{
    int64_t n = 0;
    size_t i;

    if (!base_text)
        return hr_canaries_judge(c, state_text);
    for (i = 0; i < c->n; i++) {
        const char *k = c->v[i].canary;

        c->v[i].accepted =
            occurrences(state_text, k) > occurrences(base_text, k) ||
            (since_text && strstr(since_text, k));
        n += c->v[i].accepted;
    }
    return n;
}

/* Reduces a counts object by the indexed base's counts of the same ids. */
static void counts_since(cJSON *counts, const struct hr_probe_index *ix,
                         int keep_seen)
{
    cJSON *it = counts ? counts->child : NULL;

    while (it) {
        cJSON *next = it->next;
        const cJSON *base = first_in(ix->counts, ix->n_counts, it->string);
        int64_t k, b = 0;

        if (hr_json_int64(it, &k) == 0 && hr_json_int64(base, &b) == 0 &&
            b > 0) {
            if (k - b > 0 || (keep_seen && k > 0))
                cJSON_SetNumberValue(it, (double)(k - b > 0 ? k - b : 1));
            else
                cJSON_Delete(cJSON_DetachItemViaPointer(counts, it));
        }
        it = next;
    }
}

/* Removes from an ids list the earliest occurrences the indexed base
 * holds. 0, or -1 when memory runs out. */
static int ids_since(cJSON *list, const struct hr_probe_index *ix,
                     int keep_seen)
{
    struct idref *v = NULL;
    size_t n = 0, i = 0, j;
    int rc = sorted_refs(list, 0, &v, &n);

    while (rc == 0 && i < n) {
        size_t run = count_in(v + i, n - i, v[i].id);
        size_t drop = count_in(ix->ids, ix->n_ids, v[i].id);

        if (drop >= run)
            drop = keep_seen ? run - 1 : run;
        for (j = 0; j < drop; j++)
            cJSON_Delete(cJSON_DetachItemViaPointer(list, v[i + j].node));
        i += run;
    }
    hr_free(v);
    return rc;
}

struct hr_probe_index *hr_probe_index_new(const struct hr_probe_cfg *p,
                                          const cJSON *base)
{
    struct hr_probe_index *ix = base ? hr_calloc(1, sizeof(*ix)) : NULL;
    const cJSON *counts, *ids;

    if (!ix)
        return NULL;
    ix->by_counts = p->applied_counts != NULL;
    counts =
        p->applied_counts ? hr_json_pointer(base, p->applied_counts) : NULL;
    ids = p->applied_ids ? hr_json_pointer(base, p->applied_ids) : NULL;
    ix->ids_listed = cJSON_IsArray(ids);
    if ((cJSON_IsObject(counts) &&
         sorted_refs(counts, 1, &ix->counts, &ix->n_counts)) ||
        sorted_refs(ids, 0, &ix->ids, &ix->n_ids)) {
        hr_probe_index_free(ix);
        return NULL;
    }
    return ix;
}

void hr_probe_index_free(struct hr_probe_index *ix)
{
    if (!ix)
        return;
    hr_free(ix->counts);
    hr_free(ix->ids);
    hr_free(ix);
}

int64_t hr_probe_index_count(const struct hr_probe_index *ix, const char *id)
{
    const cJSON *v;
    int64_t n;

    if (!ix)
        return 0;
    if (!ix->by_counts)
        return (int64_t)count_in(ix->ids, ix->n_ids, id);
    v = first_in(ix->counts, ix->n_counts, id);
    return hr_json_int64(v, &n) == 0 ? n : (v ? 1 : 0);
}

cJSON *hr_probe_since_index(const struct hr_probe_cfg *p,
                            const struct hr_probe_index *ix, const cJSON *state,
                            int keep_seen)
{
    cJSON *out = cJSON_Duplicate(state, 1);
    cJSON *ids, *counts;

    if (!out || !ix)
        return out;
    counts = p->applied_counts ? hr_json_pointer(out, p->applied_counts) : NULL;
    if (cJSON_IsObject(counts) && ix->n_counts)
        counts_since(counts, ix, keep_seen);
    ids = p->applied_ids ? hr_json_pointer(out, p->applied_ids) : NULL;
    if (cJSON_IsArray(ids) && ix->ids_listed && ix->n_ids &&
        ids_since(ids, ix, keep_seen)) {
        cJSON_Delete(out);
        return NULL;
    }
    return out;
}

cJSON *hr_probe_since(const struct hr_probe_cfg *p, const cJSON *base,
                      const cJSON *state, int keep_seen)
{
    struct hr_probe_index *ix;
    cJSON *out;

    if (!base)
        return cJSON_Duplicate(state, 1);
    ix = hr_probe_index_new(p, base);
    if (!ix)
        return NULL;
    out = hr_probe_since_index(p, ix, state, keep_seen);
    hr_probe_index_free(ix);
    return out;
}
