/* SPDX-License-Identifier: MIT */
/* Stripe's expand[]: ids in an answer replaced by their objects. */
#include "mockapi_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Stripe's limits: four levels deep, a bounded number of paths. */
#define MAX_PATHS 20
#define MAX_DEPTH 4

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

/* Expands the member seg of object node, then the rest of the path. */
static void apply_member(struct walk *w, cJSON *node, char *seg, char *rest,
                         int depth)
{
    cJSON *child = cJSON_GetObjectItemCaseSensitive(node, seg);

    /* Only ids, embedded objects and lists on the way to one expand; an
     * absent member, a number or a flag is refused, as Stripe does. */
    if (!child || cJSON_IsNumber(child) || cJSON_IsBool(child) ||
        (cJSON_IsArray(child) && !rest)) {
        refuse(w, seg);
        return;
    }
    if (cJSON_IsString(child)) {
        cJSON *full = object_for(w, child->valuestring);

        /* An id the truth does not know stays an id. */
        if (!full)
            return;
        cJSON_ReplaceItemInObjectCaseSensitive(node, seg, full);
        child = full;
    }
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
                       struct out *o)
{
    char msg[256];

    snprintf(msg, sizeof(msg), "This property cannot be expanded (%.200s).",
             seg);
    hr_mockapi_bad_param(m, "", key, msg, o);
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
    if (p.n == 0 || o->cached || !(root = parse_answer(o)))
        return;
    for (i = 0; i < p.n && !w.failed; i++) {
        char *path = hr_strdup(p.v[i]);

        if (!path)
            break;
        apply(&w, root, path, 0);
        if (w.failed)
            bad_expand(m, p.key[i], w.bad, o);
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
