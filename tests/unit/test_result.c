/* SPDX-License-Identifier: MIT */
/* The result file's documentation and its schema name the same fields. */
#include "support.h"

#include <cjson/cJSON.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RESULT_MD HR_SRC_DIR "/docs/result.md"
#define RESULT_SCHEMA HR_SRC_DIR "/docs/result.schema.json"

/*
 * 1 when md names the field in code: `name`, `name.x`, `name[]`, or as
 * the last part of a dotted name (`errors.connect` names connect).
 */
static int documented(const char *md, const char *name)
{
    size_t len = strlen(name);
    const char *p;

    for (p = strstr(md, name); p; p = strstr(p + 1, name)) {
        char before = p > md ? p[-1] : '\0', after = p[len];

        if ((before == '`' || before == '.') &&
            (after == '`' || after == '.' || after == '['))
            return 1;
    }
    return 0;
}

/* Every property of the schema object at defs/name is in md. */
static void check_props(const char *md, const cJSON *obj, const char *what)
{
    const cJSON *props = cJSON_GetObjectItem(obj, "properties");
    const cJSON *p;

    ck_assert_msg(props != NULL, "%s has no properties", what);
    cJSON_ArrayForEach(p, props)
    {
        ck_assert_msg(documented(md, p->string),
                      "docs/result.md does not document %s.%s", what,
                      p->string);
    }
}

START_TEST(result_md_documents_every_field_the_schema_lists)
{
    static const char *const defs[] = {"event",          "attempt", "totals",
                                       "check",          "latency", "api",
                                       "reconciliation", NULL};
    char *md = t_slurp(RESULT_MD), *text = t_slurp(RESULT_SCHEMA);
    cJSON *schema = cJSON_Parse(text);
    const cJSON *d;
    size_t i;

    ck_assert_ptr_nonnull(schema);
    check_props(md, schema, "result");
    d = cJSON_GetObjectItem(schema, "$defs");
    for (i = 0; defs[i]; i++)
        check_props(md, cJSON_GetObjectItem(d, defs[i]), defs[i]);
    cJSON_Delete(schema);
    free(text);
    free(md);
}
END_TEST

START_TEST(an_undocumented_name_is_noticed)
{
    ck_assert(documented("| `payload` | x |", "payload"));
    ck_assert(documented("`errors.connect`", "connect"));
    ck_assert(!documented("payload_outcome in prose", "payload"));
    ck_assert(!documented("`payload_outcome`", "payload"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("result");
    TCase *tc = tcase_create("result");

    tcase_add_test(tc, result_md_documents_every_field_the_schema_lists);
    tcase_add_test(tc, an_undocumented_name_is_noticed);
    suite_add_tcase(s, tc);
    return t_run_suite(s);
}
