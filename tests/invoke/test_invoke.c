/*
 * test_invoke.c - command functions run as HTTP requests (src/fn/invoke.c): input and
 * output modes, and every way a guest can fail mapped to its status. The guests are the C
 * programs in tests/invoke/guests, built to $GUESTS/NAME.wasm by mk/invoke.mk.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/check.h"
#include "fn/invoke.h"

static sl_module *guest(sl_engine *engine, const char *name) {
    const char *dir = getenv("GUESTS");
    char path[512];
    snprintf(path, sizeof path, "%s/%s.wasm", dir ? dir : "build/tests/invoke", name);
    FILE *f = fopen(path, "rb");
    if (!f) {
        check_note("cannot open %s", path);
        CHECK(!"guest missing");
        return NULL;
    }
    static uint8_t buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    sl_error err;
    sl_module *m = sl_module_new(engine, buf, n, &err);
    if (!m) check_note("%s: %s", path, err.message);
    CHECK(m != NULL);
    return m;
}

static const sl_invoke_config defaults = {
    .max_response = 1 << 20, .max_log = 4096, .timeout_ms = 2000, .memory_mib = 64};

static sl_http_request request(const char *body) {
    static const sl_header headers[] = {{"Content-Type", "text/plain"}, {"X-Trace", "t1"}};
    return (sl_http_request){.method = "POST",
                             .path = "/fn/test/a/b",
                             .query = "a=1+2&b=%7Bx%7D&empty=",
                             .path_rest = "a/b",
                             .headers = headers,
                             .nheaders = 2,
                             .body = (const uint8_t *)body,
                             .body_len = strlen(body),
                             .request_id = "req-1",
                             .source_ip = "127.0.0.1",
                             .stage = "latest"};
}

/* Run guest `name` with `cfg` on `req`; the caller clears *res. */
static sl_invoke_outcome run(const char *name, const sl_invoke_config *cfg,
                             const sl_http_request *req, sl_http_response *res) {
    sl_engine *engine = sl_engine_new(NULL);
    sl_module *m = guest(engine, name);
    sl_invoke_outcome o = SL_INVOKE_ERROR;
    memset(res, 0, sizeof *res);
    if (m) o = sl_invoke_command(engine, m, cfg, req, res);
    sl_invoke_thread_done(); /* its cached WASI linker belongs to this engine */
    sl_module_free(m);
    sl_engine_free(engine);
    return o;
}

static bool body_is(const sl_http_response *res, const char *want) {
    return res->body_len == strlen(want) && memcmp(res->body, want, res->body_len) == 0;
}

TEST(invoke_raw_in_raw_out) {
    sl_http_request req = request("hello body");
    sl_http_response res;
    CHECK_EQ(run("cat", &defaults, &req, &res), SL_INVOKE_OK);
    CHECK_EQ(res.status, 200);
    CHECK(body_is(&res, "hello body"));
    CHECK(strcmp(res.content_type, "text/plain; charset=utf-8") == 0);
    sl_http_response_clear(&res);
}

TEST(invoke_event_in) {
    sl_invoke_config cfg = defaults;
    cfg.input = SL_INPUT_EVENT;
    sl_http_request req = request("{\"k\":1}");
    sl_http_response res;
    REQUIRE(run("cat", &cfg, &req, &res) == SL_INVOKE_OK);
    CHECK(strcmp(res.content_type, "application/json") == 0);
    json_t *ev = json_loadb((const char *)res.body, res.body_len, 0, NULL);
    REQUIRE(ev != NULL);
    CHECK(strcmp(json_string_value(json_object_get(ev, "httpMethod")), "POST") == 0);
    CHECK(strcmp(json_string_value(json_object_get(ev, "path")), "/fn/test/a/b") == 0);
    CHECK(strcmp(json_string_value(json_object_get(ev, "body")), "{\"k\":1}") == 0);
    CHECK(json_is_false(json_object_get(ev, "isBase64Encoded")));
    json_t *q = json_object_get(ev, "queryStringParameters");
    CHECK(strcmp(json_string_value(json_object_get(q, "a")), "1 2") == 0);
    CHECK(strcmp(json_string_value(json_object_get(q, "b")), "{x}") == 0);
    CHECK(strcmp(json_string_value(json_object_get(q, "empty")), "") == 0);
    json_t *h = json_object_get(ev, "headers");
    CHECK(strcmp(json_string_value(json_object_get(h, "X-Trace")), "t1") == 0);
    json_t *pp = json_object_get(ev, "pathParameters");
    CHECK(strcmp(json_string_value(json_object_get(pp, "proxy")), "a/b") == 0);
    json_t *ctx = json_object_get(ev, "requestContext");
    CHECK(strcmp(json_string_value(json_object_get(ctx, "requestId")), "req-1") == 0);
    CHECK(strcmp(json_string_value(json_object_get(ctx, "sourceIp")), "127.0.0.1") == 0);
    json_decref(ev);
    sl_http_response_clear(&res);

    /* a body that is not UTF-8 travels base64-encoded */
    static const uint8_t bin[] = {0xff, 0x00, 0xfe};
    req.body = bin;
    req.body_len = sizeof bin;
    REQUIRE(run("cat", &cfg, &req, &res) == SL_INVOKE_OK);
    ev = json_loadb((const char *)res.body, res.body_len, 0, NULL);
    REQUIRE(ev != NULL);
    CHECK(json_is_true(json_object_get(ev, "isBase64Encoded")));
    CHECK(strcmp(json_string_value(json_object_get(ev, "body")), "/wD+") == 0);
    json_decref(ev);
    sl_http_response_clear(&res);
}

TEST(invoke_integration_out) {
    sl_invoke_config cfg = defaults;
    cfg.output = SL_OUTPUT_INTEGRATION;
    sl_http_request req = request("");
    sl_http_response res;
    CHECK_EQ(run("integration", &cfg, &req, &res), SL_INVOKE_OK);
    CHECK_EQ(res.status, 201);
    CHECK(body_is(&res, "hi"));
    CHECK(strcmp(res.content_type, "text/x-test") == 0);
    REQUIRE(res.nheaders == 1);
    CHECK(strcmp(res.header_names[0], "x-a") == 0 && strcmp(res.header_values[0], "b") == 0);
    sl_http_response_clear(&res);

    CHECK_EQ(run("badjson", &cfg, &req, &res), SL_INVOKE_BAD_OUTPUT);
    CHECK_EQ(res.status, 502);
    CHECK(strstr(res.error, "integration") != NULL);
    sl_http_response_clear(&res);
}

TEST(invoke_failures_map_to_statuses) {
    sl_http_request req = request("x");
    sl_http_response res;

    CHECK_EQ(run("trap", &defaults, &req, &res), SL_INVOKE_TRAP);
    CHECK_EQ(res.status, 500);
    json_t *e = json_loadb((const char *)res.body, res.body_len, 0, NULL);
    CHECK(e && strstr(json_string_value(json_object_get(e, "error")), "unreachable"));
    CHECK(e && strcmp(json_string_value(json_object_get(e, "requestId")), "req-1") == 0);
    json_decref(e);
    CHECK(res.log_len == strlen("about to trap\n") && memcmp(res.log, "about to trap", 13) == 0);
    sl_http_response_clear(&res);

    sl_invoke_config cfg = defaults;
    cfg.timeout_ms = 100;
    double t0 = now_ms();
    CHECK_EQ(run("spin", &cfg, &req, &res), SL_INVOKE_TIMEOUT);
    double took = now_ms() - t0;
    CHECK_EQ(res.status, 504);
    CHECK(took < 1000); /* stopped at the limit, not left running */
    sl_http_response_clear(&res);

    CHECK_EQ(run("exit3", &defaults, &req, &res), SL_INVOKE_EXIT);
    CHECK_EQ(res.status, 500);
    CHECK(strstr(res.error, "code 3") != NULL);
    sl_http_response_clear(&res);

    CHECK_EQ(run("big", &defaults, &req, &res), SL_INVOKE_BAD_OUTPUT); /* 2 MiB > 1 MiB */
    CHECK_EQ(res.status, 502);
    sl_http_response_clear(&res);
    cfg = defaults;
    cfg.max_response = 4 << 20;
    CHECK_EQ(run("big", &cfg, &req, &res), SL_INVOKE_OK);
    CHECK_EQ(res.body_len, 2 << 20);
    sl_http_response_clear(&res);
}

TEST(invoke_env_is_granted_not_inherited) {
    setenv("GREETING", "from the host", 1);
    sl_http_request req = request("");
    sl_http_response res;
    CHECK_EQ(run("env", &defaults, &req, &res), SL_INVOKE_OK);
    CHECK(body_is(&res, "none"));
    sl_http_response_clear(&res);
    static const char *const env[] = {"GREETING=hi"};
    sl_invoke_config cfg = defaults;
    cfg.env = env;
    cfg.envc = 1;
    CHECK_EQ(run("env", &cfg, &req, &res), SL_INVOKE_OK);
    CHECK(body_is(&res, "hi"));
    sl_http_response_clear(&res);
}

TEST(invoke_content_type) {
    sl_http_request req = request("");
    sl_http_response res;
    CHECK_EQ(run("svg", &defaults, &req, &res), SL_INVOKE_OK);
    CHECK(strcmp(res.content_type, "image/svg+xml") == 0);
    sl_http_response_clear(&res);
    sl_invoke_config cfg = defaults;
    cfg.content_type = "image/x-mine";
    CHECK_EQ(run("svg", &cfg, &req, &res), SL_INVOKE_OK);
    CHECK(strcmp(res.content_type, "image/x-mine") == 0);
    sl_http_response_clear(&res);
}

/* One engine, many commands on one thread: the WASI context and linker the thread keeps
 * are reset between them, so nothing of one request's configuration or input reaches the
 * next. */
TEST(invoke_reuses_wasi_without_leaking) {
    sl_engine *engine = sl_engine_new(NULL);
    sl_module *env = guest(engine, "env"), *cat = guest(engine, "cat");
    static const char *const hi[] = {"GREETING=hi"}, *const yo[] = {"GREETING=yo", "X=1"};
    const char *const *envs[] = {hi, NULL, yo, NULL};
    const uint32_t envc[] = {1, 0, 2, 0};
    const char *want[] = {"hi", "none", "yo", "none"};
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < 4; i++) {
            sl_invoke_config cfg = defaults;
            cfg.env = envs[i], cfg.envc = envc[i];
            sl_http_request req = request("");
            sl_http_response res;
            CHECK_EQ(sl_invoke_command(engine, env, &cfg, &req, &res), SL_INVOKE_OK);
            CHECK(body_is(&res, want[i]));
            sl_http_response_clear(&res);
            const char *bodies[] = {"first body", "2"};
            req = request(bodies[i % 2]);
            CHECK_EQ(sl_invoke_command(engine, cat, &defaults, &req, &res), SL_INVOKE_OK);
            CHECK(body_is(&res, bodies[i % 2])); /* no bytes of the longer, earlier body */
            sl_http_response_clear(&res);
        }
    sl_module_free(env);
    sl_module_free(cat);
    sl_invoke_thread_done();
    sl_engine_free(engine);
}
