/* SPDX-License-Identifier: MIT */
/*
 * `hookreplay demo`: the bundled Stripe lifecycle cassette replayed with
 * a fault mix against the bundled correct and naive reference consumers,
 * in one process, so the summary shows what hookreplay catches.
 */
#include "cmd.h"
#include "embedded.h"
#include "reftarget.h"
#include "scenario.h"
#include "sign.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/rand.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: hookreplay demo [--out DIR] [--speed X]\n"
    "\n"
    "Replays the bundled Stripe payment lifecycle cassette (customers,\n"
    "payment intents that succeed and fail, a refund, a subscription\n"
    "created, updated and canceled, invoices paid), signed as Stripe\n"
    "signs with a fresh random secret, against two bundled reference\n"
    "consumers on free ports of 127.0.0.1, with a fault mix:\n"
    "  - a quarter of the deliveries sent twice (as providers retry),\n"
    "  - deliveries reordered in windows of three,\n"
    "  - forged and tampered requests with canaries,\n"
    "  - the provider giving up on charge deliveries at 1 s and retrying,\n"
    "  - a sixth of the deliveries dropped (only the provider API has\n"
    "    them), while that API answers some calls with 429 and latency.\n"
    "Both consumers can reach the mock provider API; the correct one\n"
    "polls its event list and fetches objects, the naive one never does.\n"
    "After the replay their state is compared with the provider's truth\n"
    "until it matches (the time to consistency) or a 5 s deadline.\n"
    "The correct consumer verifies and deduplicates and passes; the naive\n"
    "one trusts everything and fails. Results and reports (result.json,\n"
    "report.html, report.md, report.xml) and each consumer's final state\n"
    "go to DIR/correct and DIR/naive. Opens nothing, reaches no other\n"
    "host. Exit 0 when the correct consumer passes.\n"
    "\n"
    "  --out DIR    result folder (default ./hookreplay-demo)\n"
    "  --speed X    replay X times faster than recorded (default 10)\n";

#define DEMO_CASSETTE "stripe-lifecycle.ndjson"

static const char demo_faults[] =
    "[{\"match\":{\"p\":0.25},\"action\":{\"duplicate\":"
    "{\"copies\":1,\"spacing_ms\":20}}},"
    "{\"action\":{\"reorder\":{\"window\":3}}},"
    "{\"match\":{\"type\":\"invoice.paid\"},\"action\":"
    "{\"signature\":\"forged\"}},"
    "{\"match\":{\"type\":\"customer.*\"},\"action\":"
    "{\"signature\":\"tampered\"}},"
    "{\"match\":{\"type\":\"charge.succeeded\"},\"action\":"
    "{\"timeout\":{}}},"
    "{\"match\":{\"p\":0.17},\"action\":{\"drop\":{}}}]";

/* The mock provider API's faults during the demo. */
static const char demo_api[] =
    "{\"faults\":[{\"match\":{\"route\":\"/v1/events\",\"p\":0.2},"
    "\"action\":{\"status\":429,\"retry_after_s\":1}},"
    "{\"match\":{\"route\":\"/v1/*\",\"p\":0.3},"
    "\"action\":{\"latency\":{\"median_ms\":15,\"sigma\":0.5}}}]}";

#define DEMO_API_KEY "sk_test_hookreplay_demo"

/* A free port on 127.0.0.1 for the mock API (the consumers need it). */
static int free_port(void)
{
    struct sockaddr_in a;
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0), port = 0;

    if (fd < 0)
        return 0;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

static int add_api(struct hr_scenario *s, int port)
{
    struct hr_err err = {0, ""};
    cJSON *j = cJSON_Parse(demo_api);
    char listen[32];
    int rc;

    s->api = hr_calloc(1, sizeof(*s->api));
    if (!j || !s->api) {
        cJSON_Delete(j);
        return -1;
    }
    snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
    cJSON_AddStringToObject(j, "listen", listen);
    rc = hr_mockapi_cfg_parse(j, "demo", ".", s->api, &err);
    cJSON_Delete(j);
    if (rc)
        return -1;
    hr_secrets_free(s->api->keys, s->api->n_keys);
    s->api->keys = hr_calloc(1, sizeof(char *));
    if (!s->api->keys || !(s->api->keys[0] = hr_strdup(DEMO_API_KEY)))
        return -1;
    s->api->n_keys = 1;
    return 0;
}

/* The consumers keep objects by id with Stripe's field names. */
static int add_collections(struct hr_scenario *s)
{
    static const char collections[] =
        "[{\"items\":\"/objects\",\"truth\":\"*\",\"fields\":"
        "{\"/status\":\"/status\",\"/email\":\"/email\","
        "\"/deleted\":\"/deleted\"},\"deleted\":\"flag\"}]";
    static const char timing[] =
        "{\"deadline_ms\":5000,\"interval_ms\":100,\"stable_probes\":3}";
    struct hr_err err = {0, ""};
    cJSON *c = cJSON_Parse(collections), *t = cJSON_Parse(timing);
    int rc = c && t ? hr_recon_parse(c, t, "demo", &s->recon, &err) : -1;

    cJSON_Delete(c);
    cJSON_Delete(t);
    return rc;
}

static char *random_secret(void)
{
    unsigned char raw[24];
    char *b64, *s;

    if (RAND_bytes(raw, sizeof(raw)) != 1)
        return NULL;
    b64 = hr_b64_encode(raw, sizeof(raw));
    if (!b64)
        return NULL;
    s = hr_malloc(strlen(b64) + 7);
    if (s)
        sprintf(s, "whsec_%s", b64);
    hr_free(b64);
    return s;
}

static int write_state(struct hr_reftarget *t, const char *dir)
{
    char *json = hr_reftarget_state_json(t);
    char *path = hr_path_join(dir, "target-state.json");
    FILE *f = path ? fopen(path, "w") : NULL;
    int rc = -1;

    if (f && json) {
        rc = fputs(json, f) < 0 ? -1 : 0;
        if (fclose(f))
            rc = -1;
        if (rc == 0)
            printf("  %-12s %s\n", "consumer", path);
    } else if (f) {
        fclose(f);
    }
    hr_free(path);
    hr_free(json);
    return rc;
}

static int parse_flags(int argc, char **argv, const char **out, double *speed)
{
    int i;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--out") == 0 && i + 1 < argc) {
            *out = argv[++i];
        } else if (strcmp(argv[i], "--speed") == 0 && i + 1 < argc) {
            char *end;

            *speed = strtod(argv[++i], &end);
            if (*end || !(*speed > 0 && *speed <= 1e6)) {
                fprintf(stderr, "hookreplay demo: --speed must be a "
                                "positive number\n");
                return -1;
            }
        } else {
            fprintf(stderr, "hookreplay demo: unknown option '%s'\n%s", argv[i],
                    usage);
            return -1;
        }
    }
    return 0;
}

static int add_probe(struct hr_scenario *s, const char *addr)
{
    struct hr_probe_cfg *p = hr_calloc(1, sizeof(*p));
    struct hr_buf b;

    if (!p)
        return -1;
    s->probe = p;
    hr_buf_init(&b, 0);
    if (hr_buf_printf(&b, "http://%s/__state", addr))
        return -1;
    p->http = hr_buf_steal(&b, NULL);
    p->timeout_ms = 5000;
    p->after_ms = 100;
    p->applied_counts = hr_strdup("/applied");
    return p->applied_counts ? add_collections(s) : -1;
}

static struct hr_scenario *demo_scenario(const char *addr, const char *secret,
                                         const char *out, double speed,
                                         int api_port)
{
    const struct hr_embedded *e = hr_embedded_find(DEMO_CASSETTE);
    struct hr_scenario *s = hr_malloc(sizeof(*s));
    struct hr_target_cfg *t;
    struct hr_err err = {0, ""};
    cJSON *faults = cJSON_Parse(demo_faults);
    struct hr_buf url;

    if (!s || !e || !faults) {
        hr_free(s);
        cJSON_Delete(faults);
        return NULL;
    }
    hr_scenario_defaults(s);
    s->cassette = hr_strdup(DEMO_CASSETTE " (bundled)");
    s->cassette_mem = (const char *)e->data;
    s->cassette_mem_len = e->len;
    s->speed = speed;
    s->retry_time_scale = 0.001;
    s->out_dir = hr_strdup(out);
    s->report_formats =
        HR_REPORT_JSON | HR_REPORT_JUNIT | HR_REPORT_MARKDOWN | HR_REPORT_HTML;
    s->thresholds.has_max_ack_p99_ms = 1;
    s->thresholds.max_ack_p99_ms = 2000;
    hr_faults_parse(faults, "demo", "/faults", &s->faults, &err);
    cJSON_Delete(faults);
    s->targets = t = hr_calloc(1, sizeof(*t));
    if (!t || add_probe(s, addr) || add_api(s, api_port))
        goto fail;
    s->n_targets = 1;
    t->endpoint = hr_strdup("stripe");
    hr_buf_init(&url, 0);
    if (hr_buf_printf(&url, "http://%s/webhooks/stripe", addr))
        goto fail;
    t->url = hr_buf_steal(&url, NULL);
    t->timeout_ms = 1000; /* so the demo's injected timeouts are short */
    t->secrets = hr_calloc(1, sizeof(char *));
    if (!t->secrets || !(t->secrets[0] = hr_strdup(secret)))
        goto fail;
    t->n_secrets = 1;
    return s;
fail:
    hr_scenario_free(s);
    return NULL;
}

/* Runs the demo against one reference consumer; returns its exit code. */
static int run_one(int mode, const char *label, const struct hr_profile *p,
                   char *secret, const char *out, double speed)
{
    struct hr_reftarget_opts o;
    struct hr_reftarget *target;
    struct hr_scenario *s = NULL;
    struct hr_err err = {0, ""};
    char *dir = hr_path_join(out, label), api_url[64];
    int code = HR_EXIT_INTERNAL, api_port = free_port();

    memset(&o, 0, sizeof(o));
    o.mode = mode;
    o.profile = p;
    o.secrets = (const char *const *)&secret;
    o.n_secrets = 1;
    snprintf(api_url, sizeof(api_url), "http://127.0.0.1:%d", api_port);
    if (mode == HR_REFTARGET_CORRECT) {
        o.api_url = api_url; /* the naive one never asks the provider */
        o.api_key = DEMO_API_KEY;
        o.poll_ms = 200;
    }
    target = hr_reftarget_start(&o, &err);
    if (!target || !dir) {
        fprintf(stderr, "hookreplay demo: %s\n", err.msg);
        goto out;
    }
    printf("\n== the %s reference consumer on %s\n", label,
           hr_reftarget_addr(target));
    fflush(stdout);
    s = demo_scenario(hr_reftarget_addr(target), secret, dir, speed, api_port);
    if (!s)
        goto out;
    code = hr_cmd_run_scenario(s, 0);
    if (write_state(target, dir))
        code = code ? code : HR_EXIT_INTERNAL;
out:
    hr_reftarget_stop(target);
    hr_scenario_free(s);
    hr_free(dir);
    return code;
}

int cmd_demo(int argc, char **argv)
{
    struct hr_profile *profile = NULL;
    struct hr_err err = {0, ""};
    const char *out = "hookreplay-demo";
    double speed = 10;
    char *secret;
    int good, naive;

    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        fputs(usage, stdout);
        return HR_EXIT_OK;
    }
    if (parse_flags(argc, argv, &out, &speed))
        return HR_EXIT_INPUT;
    secret = random_secret();
    profile = hr_profile_load("stripe", NULL, &err);
    if (!secret || !profile) {
        fprintf(stderr, "hookreplay demo: %s\n", err.msg);
        hr_free(secret);
        hr_profile_free(profile);
        return HR_EXIT_INTERNAL;
    }
    printf("hookreplay demo: the bundled Stripe lifecycle, with duplicates, "
           "reordering,\nforged and tampered requests and provider "
           "timeouts, against two consumers.\n");
    good =
        run_one(HR_REFTARGET_CORRECT, "correct", profile, secret, out, speed);
    naive = run_one(HR_REFTARGET_NAIVE, "naive", profile, secret, out, speed);
    printf("\n== verdicts\n  correct consumer  %s\n  naive consumer    %s\n"
           "  reports           %s/correct/report.html, "
           "%s/naive/report.html\n",
           good == 0 ? "PASS" : "FAIL",
           naive == 0   ? "PASS (unexpected: the faults went unnoticed)"
           : naive == 1 ? "FAIL, as it should: see its checks above"
                        : "ERROR",
           out, out);
    hr_free(secret);
    hr_profile_free(profile);
    return good == 0 && naive == 1 ? HR_EXIT_OK
           : good > 1              ? good
                                   : HR_EXIT_THRESHOLD;
}
