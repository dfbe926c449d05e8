/* SPDX-License-Identifier: MIT */
/* Stripe's expand[]: ids in an answer replaced by their objects. */
#include "mockapi_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Stripe's limits: four levels deep, a bounded number of paths. */
#define MAX_PATHS 20
#define MAX_DEPTH 4
#define MAX_SHOWN_BYTES 200 /* of a request's text echoed in a message */

struct paths {
    const char *v[MAX_PATHS];
    char key[MAX_PATHS][24]; /* the parameter each came from */
    size_t n;
    int over;
};

/* 1 for "expand[]" and "expand[N]", the two forms clients send. */
static int is_expand_key(const char *k)
{
    size_t n;

    if (strncmp(k, "expand[", 7) != 0)
        return 0;
    n = strspn(k + 7, "0123456789");
    return strcmp(k + 7 + n, "]") == 0;
}

static enum MHD_Result collect(void *cls, enum MHD_ValueKind kind,
                               const char *key, const char *value)
{
    struct paths *p = cls;

    (void)kind;
    if (!key || !is_expand_key(key) || !value || !*value)
        return MHD_YES;
    if (p->n == MAX_PATHS) {
        p->over = 1;
        return MHD_NO;
    }
    hr_mockapi_copy(p->key[p->n], sizeof(p->key[0]), key);
    p->v[p->n++] = value;
    return MHD_YES;
}

struct walk {
    struct hr_mockapi *m;
    const struct reqinfo *q;
    int failed;
    char bad[128]; /* the segment that cannot be expanded */
};

static void refuse(struct walk *w, const char *seg)
{
    if (!w->failed)
        hr_mockapi_copy(w->bad, sizeof(w->bad), seg);
    w->failed = 1;
}

/* The object id names as of the read time, as a new tree, or NULL. */
static cJSON *object_for(struct walk *w, const char *id)
{
    const struct hr_truth_object *o;
    const struct hr_truth_version *v =
        hr_truth_get(w->m->truth, id, w->q->read_us, &o);

    if (!v || !v->state)
        return NULL;
    hr_mockapi_note_served(w->m, id, w->q->now_us);
    return cJSON_Duplicate(v->state, 1);
}

static void apply(struct walk *w, cJSON *node, char *path, int depth);

/* Replaces the id, a member or an element of parent, by its object;
 * the node now in its place. */
static cJSON *expand_id(struct walk *w, cJSON *parent, cJSON *id)
{
    cJSON *full = object_for(w, id->valuestring);

    /* An id the truth does not know stays an id. */
    if (!full)
        return id;
    if (cJSON_IsArray(parent))
        cJSON_ReplaceItemViaPointer(parent, id, full);
    else
        cJSON_ReplaceItemInObjectCaseSensitive(parent, id->string, full);
    return full;
}

/* A list member: each id in it becomes its object ("discounts" on an
 * invoice), then the rest of the path applies to each element. */
static void apply_list(struct walk *w, cJSON *list, const char *seg, char *rest,
                       int depth)
{
    cJSON *el = list->child, *next;

    for (; el; el = next) {
        next = el->next;
        if (cJSON_IsNumber(el) || cJSON_IsBool(el)) {
            refuse(w, seg);
            return;
        }
        if (cJSON_IsString(el))
            expand_id(w, list, el);
    }
    if (rest)
        apply(w, list, rest, depth + 1);
}

/* Expands the member seg of object node, then the rest of the path. */
static void apply_member(struct walk *w, cJSON *node, char *seg, char *rest,
                         int depth)
{
    cJSON *child = cJSON_GetObjectItemCaseSensitive(node, seg);

    /* Only ids, embedded objects and lists; an absent member, a number,
     * a flag or an object's own id is refused, as Stripe does. */
    if (!child || cJSON_IsNumber(child) || cJSON_IsBool(child) ||
        strcmp(seg, "id") == 0) {
        refuse(w, seg);
        return;
    }
    if (cJSON_IsArray(child)) {
        apply_list(w, child, seg, rest, depth);
        return;
    }
    if (cJSON_IsString(child))
        child = expand_id(w, node, child);
    if (rest)
        apply(w, child, rest, depth + 1);
}

/* Applies the dotted path (cut in place) below node; arrays apply it to
 * each element, as "data.customer" does on a list. */
static void apply(struct walk *w, cJSON *node, char *path, int depth)
{
    char *dot, *rest = NULL, *copy;
    cJSON *el;

    if (depth >= MAX_DEPTH || cJSON_IsNull(node))
        return;
    if (cJSON_IsArray(node)) {
        cJSON_ArrayForEach(el, node)
        {
            copy = hr_strdup(path);
            if (!copy)
                return;
            apply(w, el, copy, depth);
            hr_free(copy);
        }
        return;
    }
    if (!cJSON_IsObject(node))
        return;
    dot = strchr(path, '.');
    if (dot) {
        *dot = '\0';
        rest = dot + 1;
    }
    apply_member(w, node, path, rest, depth);
}

/* The answer's JSON text, from the buffer or the borrowed bytes. */
static cJSON *parse_answer(const struct out *o)
{
    if (o->ref)
        return cJSON_ParseWithLength((const char *)o->ref, o->ref_len);
    return o->body.data ? cJSON_ParseWithLength(o->body.data, o->body.len)
                        : NULL;
}

static void bad_expand(struct hr_mockapi *m, const char *key, const char *seg,
                       const char *why, struct out *o)
{
    char text[MAX_SHOWN_BYTES + 1], msg[MAX_SHOWN_BYTES + 192];

    hr_mockapi_shown(text, sizeof(text), seg);
    snprintf(msg, sizeof(msg), "This property cannot be expanded (%s).%s", text,
             why);
    hr_mockapi_bad_param(m, "", key, msg, o);
}

/* 1 when the dotted path has more levels than Stripe expands. */
static int too_deep(const char *path)
{
    int levels = 1;

    for (; *path; path++)
        levels += *path == '.';
    return levels > MAX_DEPTH;
}

/* Refuses more paths, or deeper ones, than Stripe takes: 1 when o now
 * holds the 400, else 0. */
static int paths_refused(struct hr_mockapi *m, const struct paths *p,
                         struct out *o)
{
    char msg[96];
    size_t i;

    if (p->over) {
        snprintf(msg, sizeof(msg), "Too many expand paths (at most %d).",
                 MAX_PATHS);
        hr_mockapi_bad_param(m, "", "expand", msg, o);
        return 1;
    }
    for (i = 0; i < p->n; i++)
        if (too_deep(p->v[i])) {
            snprintf(msg, sizeof(msg), " Expansions go at most %d levels deep.",
                     MAX_DEPTH);
            bad_expand(m, p->key[i], p->v[i], msg, o);
            return 1;
        }
    return 0;
}

void hr_mockapi_expand(struct hr_mockapi *m, const struct reqinfo *q,
                       struct out *o)
{
    struct paths p;
    struct walk w = {m, q, 0, ""};
    cJSON *root;
    char *text;
    size_t i;

    memset(&p, 0, sizeof(p));
    MHD_get_connection_values(q->c, MHD_GET_ARGUMENT_KIND, collect, &p);
    if ((p.n == 0 && !p.over) || o->cached || paths_refused(m, &p, o) ||
        !(root = parse_answer(o)))
        return;
    for (i = 0; i < p.n && !w.failed; i++) {
        char *path = hr_strdup(p.v[i]);

        if (!path)
            break;
        apply(&w, root, path, 0);
        if (w.failed)
            bad_expand(m, p.key[i], w.bad, "", o);
        hr_free(path);
    }
    if (!w.failed && (text = cJSON_PrintUnformatted(root))) {
        o->ref = NULL;
        hr_buf_reset(&o->body);
        hr_buf_puts(&o->body, text);
        hr_buf_puts(&o->body, "\n");
        cJSON_free(text);
    }
    cJSON_Delete(root);
}
