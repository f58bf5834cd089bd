/*
 * test_handler.c - warm handler functions (src/fn/handler.c): the ABI, isolation by
 * snapshot restore, kept state, and every failure mapped to its status with the instance
 * still serving afterwards.
 */
#include <stdlib.h>
#include <string.h>

#include "../unit/check.h"
#include "fn/handler.h"

/* Answers "<calls><input>"; the first input byte picks a misbehaviour: t traps, s spins,
 * n answers 404, b returns a pointer outside memory, x a status that is not HTTP. */
static const char *handler_wat =
    "(module (memory (export \"memory\") 1)\n"
    " (global $calls (mut i32) (i32.const 0))\n"
    " (global $rptr (mut i32) (i32.const 0)) (global $rlen (mut i32) (i32.const 0))\n"
    " (func (export \"sluice_init\") (global.set $calls (i32.const 0)))\n"
    " (func (export \"sluice_alloc\") (param i32) (result i32) (i32.const 1024))\n"
    " (func (export \"sluice_handle\") (param $p i32) (param $n i32) (result i32) (local $c i32)\n"
    "  (global.set $calls (i32.add (global.get $calls) (i32.const 1)))\n"
    "  (local.set $c (i32.load8_u (local.get $p)))\n"
    "  (if (i32.eq (local.get $c) (i32.const 116)) (then unreachable))\n"
    "  (if (i32.eq (local.get $c) (i32.const 115)) (then (loop $l (br $l))))\n"
    "  (i32.store8 (i32.const 4096) (i32.add (i32.const 48) (global.get $calls)))\n"
    "  (memory.copy (i32.const 4097) (local.get $p) (local.get $n))\n"
    "  (global.set $rptr (i32.const 4096))\n"
    "  (global.set $rlen (i32.add (local.get $n) (i32.const 1)))\n"
    "  (if (i32.eq (local.get $c) (i32.const 98)) (then (global.set $rptr (i32.const 70000))))\n"
    "  (if (i32.eq (local.get $c) (i32.const 110)) (then (return (i32.const 404))))\n"
    "  (if (i32.eq (local.get $c) (i32.const 120)) (then (return (i32.const 7))))\n"
    "  (i32.const 0))\n"
    " (func (export \"sluice_response_ptr\") (result i32) (global.get $rptr))\n"
    " (func (export \"sluice_response_len\") (result i32) (global.get $rlen)))";

static const sl_invoke_config defaults = {
    .max_response = 1 << 16, .max_log = 4096, .timeout_ms = 2000, .memory_mib = 16};

static sl_http_request body(const char *text) {
    return (sl_http_request){.method = "POST",
                             .path = "/fn/h",
                             .body = (const uint8_t *)text,
                             .body_len = strlen(text),
                             .request_id = "r1"};
}

static bool body_is(const sl_http_response *res, const char *want) {
    return res->body_len == strlen(want) && memcmp(res->body, want, res->body_len) == 0;
}

/* One request; checks status and, when want is not NULL, the body. */
static void expect(sl_warm *w, const char *in, int status, const char *want) {
    sl_http_request req = body(in);
    sl_http_response res;
    sl_warm_invoke(w, &req, &res);
    if (!CHECK_EQ(res.status, status)) check_note("input %s: %s", in, res.error);
    if (want && !CHECK(body_is(&res, want)))
        check_note("input %s: got %.*s", in, (int)res.body_len, (const char *)res.body);
    sl_http_response_clear(&res);
}

TEST(handler_isolated_by_snapshot) {
    sl_engine *engine = sl_engine_new(NULL);
    sl_module *m = wat_module(engine, handler_wat);
    REQUIRE(m != NULL);
    sl_error err;
    sl_warm *w = sl_warm_new(engine, m, &defaults, false, &err);
    REQUIRE(w != NULL);
    for (int i = 0; i < 3; i++)
        expect(w, "hello", 200, "1hello"); /* no state leaks */
    expect(w, "t", 500, NULL);             /* trap */
    expect(w, "hello", 200, "1hello");
    expect(w, "nope", 404, "1nope");
    expect(w, "b", 502, NULL); /* response outside memory */
    expect(w, "x", 502, NULL); /* not an HTTP status */
    sl_invoke_config quick = defaults;
    quick.timeout_ms = 100;
    sl_warm_free(w);
    w = sl_warm_new(engine, m, &quick, false, &err);
    REQUIRE(w != NULL);
    double t0 = now_ms();
    expect(w, "spin", 504, NULL);
    CHECK(now_ms() - t0 < 1000);
    expect(w, "again", 200, "1again"); /* and it still serves */
    sl_warm_free(w);
    sl_module_free(m);
    sl_engine_free(engine);
}

TEST(handler_keeps_state_when_asked) {
    sl_engine *engine = sl_engine_new(NULL);
    sl_module *m = wat_module(engine, handler_wat);
    REQUIRE(m != NULL);
    sl_error err;
    sl_warm *w = sl_warm_new(engine, m, &defaults, true, &err);
    REQUIRE(w != NULL);
    expect(w, "a", 200, "1a");
    expect(w, "b2", 502, NULL); /* counted: the call itself succeeded */
    expect(w, "c", 200, "3c");
    expect(w, "t", 500, NULL); /* a trap is always undone */
    expect(w, "d", 200, "1d");
    sl_warm_free(w);
    sl_module_free(m);
    sl_engine_free(engine);
}

TEST(handler_event_input_and_bad_modules) {
    sl_engine *engine = sl_engine_new(NULL);
    sl_module *m = wat_module(engine, handler_wat);
    sl_module *not_handler = wat_module(engine, "(module (memory (export \"memory\") 1))");
    REQUIRE(m && not_handler);
    sl_error err;
    CHECK(sl_warm_new(engine, not_handler, &defaults, false, &err) == NULL);
    CHECK(strstr(err.message, "not a handler function") != NULL);
    sl_invoke_config cfg = defaults;
    cfg.input = SL_INPUT_EVENT;
    sl_warm *w = sl_warm_new(engine, m, &cfg, false, &err);
    REQUIRE(w != NULL);
    sl_http_request req = body("payload");
    sl_http_response res;
    CHECK_EQ(sl_warm_invoke(w, &req, &res), SL_INVOKE_OK);
    CHECK(res.body_len > 2 && res.body[0] == '1' && res.body[1] == '{');
    CHECK(memmem(res.body, res.body_len, "\"body\":\"payload\"", 16) != NULL);
    sl_http_response_clear(&res);
    sl_warm_free(w);
    sl_module_free(m);
    sl_module_free(not_handler);
    sl_engine_free(engine);
}

/* sluice_alloc answering 0 means "cannot allocate" (docs/abi.md): a 500, and nothing is
 * written at address 0. */
TEST(handler_alloc_failure) {
    sl_engine *engine = sl_engine_new(NULL);
    sl_module *m =
        wat_module(engine, "(module (memory (export \"memory\") 1)\n"
                           " (func (export \"sluice_alloc\") (param i32) (result i32)\n"
                           "  (i32.const 0))\n"
                           " (func (export \"sluice_handle\") (param i32 i32) (result i32)\n"
                           "  (i32.const 0))\n"
                           " (func (export \"sluice_response_ptr\") (result i32)\n"
                           "  (i32.const 0))\n"
                           " (func (export \"sluice_response_len\") (result i32)\n"
                           "  (i32.const 4)))");
    REQUIRE(m != NULL);
    sl_error err;
    sl_warm *w = sl_warm_new(engine, m, &defaults, false, &err);
    REQUIRE(w != NULL);
    expect(w, "abcd", 500, NULL);
    sl_warm_free(w);
    sl_module_free(m);
    sl_engine_free(engine);
}
