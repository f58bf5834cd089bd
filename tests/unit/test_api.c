/*
 * test_api.c - the embedding API: module errors, import/export listing, host functions,
 * linking, memory and globals through the API.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"

/* ---- Module errors ------------------------------------------------------------------------ */

/* (module (type (func (result i32))) (func (type 0) i64.const 0)) : invalid, the body yields
 * an i64 where an i32 is expected. */
static const uint8_t invalid_body[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, /* header, offsets 0-7 */
    0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f,       /* type section, 8-14 */
    0x03, 0x02, 0x01, 0x00,                         /* function section, 15-18 */
    0x0a, 0x06, 0x01, 0x04, 0x00, 0x42, 0x00, 0x0b, /* code section, 19-26; body 23-26 */
};

TEST(module_bad_magic_is_malformed) {
    sl_engine *e = sl_engine_new(NULL);
    REQUIRE(e);
    const uint8_t bytes[] = {0x00, 0x61, 0x73, 0x6e, 0x01, 0x00, 0x00, 0x00};
    sl_error err;
    memset(&err, 0xab, sizeof err);
    sl_module *m = sl_module_new(e, bytes, sizeof bytes, &err);
    CHECK(m == NULL);
    CHECK_STATUS(err.status, SL_ERR_MALFORMED, &err);
    CHECK(err.message[0] != 0);
    CHECK(memchr(err.message, 0, sizeof err.message) != NULL);
    CHECK(err.offset >= 0 && err.offset <= 4);
    CHECK_STATUS(sl_module_validate(e, bytes, sizeof bytes, NULL), SL_ERR_MALFORMED, NULL);
    if (m) sl_module_free(m);
    sl_engine_free(e);
}

TEST(module_bad_version_and_truncation_are_malformed) {
    sl_engine *e = sl_engine_new(NULL);
    REQUIRE(e);
    const uint8_t version2[] = {0x00, 0x61, 0x73, 0x6d, 0x02, 0x00, 0x00, 0x00};
    sl_error err = {0};
    CHECK(sl_module_new(e, version2, sizeof version2, &err) == NULL);
    CHECK_STATUS(err.status, SL_ERR_MALFORMED, &err);
    /* Every strict prefix of a valid module with a function is malformed (or, for the bare
     * 8-byte header, a valid empty module). */
    for (size_t n = 0; n < sizeof invalid_body; n++) {
        memset(&err, 0, sizeof err);
        sl_module *m = sl_module_new(e, invalid_body, n, &err);
        if (n == 8 || n == 15) { /* header only; header + complete type section */
            CHECK(m != NULL);
            if (m) sl_module_free(m);
            continue;
        }
        if (!CHECK(m == NULL)) {
            check_note("prefix of %zu bytes accepted", n);
            sl_module_free(m);
            continue;
        }
        if (!CHECK_STATUS(err.status, SL_ERR_MALFORMED, &err)) check_note("prefix %zu", n);
        CHECK(err.offset >= 0 && err.offset <= (int64_t)n);
    }
    /* NULL error pointer is allowed */
    CHECK(sl_module_new(e, version2, sizeof version2, NULL) == NULL);
    sl_engine_free(e);
}

TEST(module_invalid_has_message_and_offset) {
    sl_engine *e = sl_engine_new(NULL);
    REQUIRE(e);
    sl_error err = {0};
    sl_module *m = sl_module_new(e, invalid_body, sizeof invalid_body, &err);
    CHECK(m == NULL);
    CHECK_STATUS(err.status, SL_ERR_INVALID, &err);
    CHECK(err.message[0] != 0);
    /* the error is inside the function body (offsets 22..26, 27 = end of module) */
    if (!CHECK(err.offset >= 22 && err.offset <= 27))
        check_note("offset %lld: %s", (long long)err.offset, err.message);
    memset(&err, 0, sizeof err);
    CHECK_STATUS(sl_module_validate(e, invalid_body, sizeof invalid_body, &err), SL_ERR_INVALID,
                 &err);
    if (m) sl_module_free(m);

    /* the same module with a correct body (i32.const 0) is fine */
    uint8_t fixed[sizeof invalid_body];
    memcpy(fixed, invalid_body, sizeof fixed);
    fixed[24] = 0x41;
    memset(&err, 0, sizeof err);
    m = sl_module_new(e, fixed, sizeof fixed, &err);
    CHECK_STATUS(err.status, SL_OK, &err);
    REQUIRE(m);
    CHECK_STATUS(sl_module_validate(e, fixed, sizeof fixed, NULL), SL_OK, NULL);
    sl_module_free(m);
    sl_engine_free(e);
}

TEST(module_invalid_from_wat) {
    sl_engine *e = sl_engine_new(NULL);
    REQUIRE(e);
    static const char *const cases[] = {
        "(module (func (local.get 0) drop))",                       /* unknown local */
        "(module (func (i32.const 1) (i64.const 2) i32.add drop))", /* type mismatch */
        "(module (func (br 1)))",                                   /* unknown label */
        "(module (global i32 (i32.const 0)) (func (global.set 0 (i32.const 1))))", /* immutable */
        "(module (func (call 5)))",                      /* unknown function */
        "(module (func (i32.load (i32.const 0)) drop))", /* no memory */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len;
        uint8_t *bytes = wat_to_wasm(cases[i], &len);
        if (!bytes) continue;
        sl_error err = {0};
        sl_module *m = sl_module_new(e, bytes, len, &err);
        if (!CHECK(m == NULL)) {
            check_note("accepted: %s", cases[i]);
            sl_module_free(m);
        } else if (!CHECK_STATUS(err.status, SL_ERR_INVALID, &err)) {
            check_note("case: %s", cases[i]);
        } else {
            CHECK(err.message[0] != 0);
            CHECK(err.offset >= 8 && err.offset <= (int64_t)len);
        }
        free(bytes);
    }
    sl_engine_free(e);
}

/* ---- Imports and exports ------------------------------------------------------------------ */

static const char *listing_wat =
    "(module\n"
    "  (import \"env\" \"f\" (func (param i32 i64) (result f32)))\n"
    "  (import \"env\" \"tab\" (table 2 10 funcref))\n"
    "  (import \"env\" \"mem\" (memory 1))\n"
    "  (import \"other\" \"g\" (global (mut f64)))\n"
    "  (func $h (export \"h\") (param f64) (result i32 i64) (i32.const 1) (i64.const 2))\n"
    "  (memory (export \"m2\") 0 0)\n" /* wat2wasm --no-check allows a second memory */
    "  (global (export \"gi\") i32 (i32.const 7))\n"
    "  (table (export \"t2\") 3 externref)\n"
    "  (export \"f_again\" (func 0)))\n";

static bool functype_is(const sl_functype *ft, const char *params, const char *results) {
    if (!ft || ft->nparams != strlen(params) || ft->nresults != strlen(results)) return false;
    static const char letters[] = "iIfF";
    static const uint8_t codes[] = {SL_I32, SL_I64, SL_F32, SL_F64};
    for (uint32_t i = 0; i < ft->nparams + ft->nresults; i++) {
        char c = i < ft->nparams ? params[i] : results[i - ft->nparams];
        const char *p = strchr(letters, c);
        if (!p || ft->types[i] != codes[p - letters]) return false;
    }
    return true;
}

TEST(module_imports_and_exports_are_listed_with_types) {
    sl_engine *e = sl_engine_new(NULL);
    REQUIRE(e);
    size_t len;
    uint8_t *bytes = wat_to_wasm(listing_wat, &len);
    REQUIRE(bytes);
    sl_error err = {0};
    sl_module *m = sl_module_new(e, bytes, len, &err);
    free(bytes);
    if (!m) {
        /* two memories are invalid in Wasm 2.0; fall back to one memory */
        char *wat = strdup(listing_wat);
        char *p = strstr(wat, "(memory (export \"m2\") 0 0)");
        memcpy(p, "                          ", strlen("(memory (export \"m2\") 0 0)"));
        m = wat_module(e, wat);
        free(wat);
        CHECK_STATUS(err.status, SL_ERR_INVALID, &err);
    }
    REQUIRE(m);
    CHECK_EQ(sl_module_import_count(m), 4);
    sl_importdesc im;
    REQUIRE(sl_module_import(m, 0, &im));
    CHECK(!strcmp(im.module, "env") && !strcmp(im.name, "f"));
    CHECK_EQ(im.type.kind, SL_EXTERN_FUNC);
    CHECK(functype_is(im.type.of.func, "iI", "f"));
    REQUIRE(sl_module_import(m, 1, &im));
    CHECK(!strcmp(im.name, "tab"));
    CHECK_EQ(im.type.kind, SL_EXTERN_TABLE);
    CHECK_EQ(im.type.of.table.elem, SL_FUNCREF);
    CHECK_EQ(im.type.of.table.limits.min, 2);
    CHECK(im.type.of.table.limits.has_max);
    CHECK_EQ(im.type.of.table.limits.max, 10);
    REQUIRE(sl_module_import(m, 2, &im));
    CHECK(!strcmp(im.name, "mem"));
    CHECK_EQ(im.type.kind, SL_EXTERN_MEMORY);
    CHECK_EQ(im.type.of.memory.min, 1);
    CHECK(!im.type.of.memory.has_max);
    REQUIRE(sl_module_import(m, 3, &im));
    CHECK(!strcmp(im.module, "other") && !strcmp(im.name, "g"));
    CHECK_EQ(im.type.kind, SL_EXTERN_GLOBAL);
    CHECK_EQ(im.type.of.global.type, SL_F64);
    CHECK(im.type.of.global.mut);
    CHECK(!sl_module_import(m, 4, &im));

    uint32_t nexp = sl_module_export_count(m);
    CHECK(nexp == 5 || nexp == 4);
    bool seen_h = false, seen_gi = false, seen_t2 = false, seen_again = false;
    for (uint32_t i = 0; i < nexp; i++) {
        sl_exportdesc ex;
        REQUIRE(sl_module_export(m, i, &ex));
        if (!strcmp(ex.name, "h")) {
            seen_h = true;
            CHECK_EQ(ex.type.kind, SL_EXTERN_FUNC);
            CHECK(functype_is(ex.type.of.func, "F", "iI"));
        } else if (!strcmp(ex.name, "gi")) {
            seen_gi = true;
            CHECK_EQ(ex.type.kind, SL_EXTERN_GLOBAL);
            CHECK_EQ(ex.type.of.global.type, SL_I32);
            CHECK(!ex.type.of.global.mut);
        } else if (!strcmp(ex.name, "t2")) {
            seen_t2 = true;
            CHECK_EQ(ex.type.kind, SL_EXTERN_TABLE);
            CHECK_EQ(ex.type.of.table.elem, SL_EXTERNREF);
            CHECK_EQ(ex.type.of.table.limits.min, 3);
            CHECK(!ex.type.of.table.limits.has_max);
        } else if (!strcmp(ex.name, "f_again")) {
            seen_again = true;
            CHECK_EQ(ex.type.kind, SL_EXTERN_FUNC);
            CHECK(functype_is(ex.type.of.func, "iI", "f"));
        } else if (!strcmp(ex.name, "m2")) {
            CHECK_EQ(ex.type.kind, SL_EXTERN_MEMORY);
        } else {
            CHECK(!"unexpected export");
        }
    }
    CHECK(seen_h && seen_gi && seen_t2 && seen_again);
    sl_exportdesc ex;
    CHECK(!sl_module_export(m, nexp, &ex));
    sl_module_free(m);
    sl_engine_free(e);
}

TEST(functype_parse) {
    sl_functype *ft = sl_functype_parse("iIfF:rV");
    REQUIRE(ft);
    CHECK_EQ(ft->nparams, 4);
    CHECK_EQ(ft->nresults, 2);
    CHECK_EQ(ft->types[0], SL_I32);
    CHECK_EQ(ft->types[1], SL_I64);
    CHECK_EQ(ft->types[2], SL_F32);
    CHECK_EQ(ft->types[3], SL_F64);
    CHECK_EQ(ft->types[4], SL_FUNCREF);
    CHECK_EQ(ft->types[5], SL_V128);
    sl_functype_free(ft);
    ft = sl_functype_parse(":");
    REQUIRE(ft);
    CHECK_EQ(ft->nparams, 0);
    CHECK_EQ(ft->nresults, 0);
    sl_functype_free(ft);
    ft = sl_functype_parse("e:e");
    REQUIRE(ft);
    CHECK_EQ(ft->types[0], SL_EXTERNREF);
    sl_functype_free(ft);
    CHECK(sl_functype_parse("ix:i") == NULL);
}

/* ---- Host functions ---------------------------------------------------------------------- */

static int host_add(sl_caller *c, sl_slot *s, void *user) {
    (void)c;
    int *calls = user;
    (*calls)++;
    s[0].i64 = (int64_t)s[0].i32 + s[1].i64;
    s[1].f64 = 0.5; /* second result */
    return 0;
}

static int host_fail(sl_caller *c, sl_slot *s, void *user) {
    (void)user;
    return sl_caller_trap(c, "host says no: %d", s[0].i32);
}

static int host_exit(sl_caller *c, sl_slot *s, void *user) {
    (void)user;
    return sl_caller_exit(c, s[0].i32);
}

/* Calls back into the calling instance's export "twice" and adds one. */
static int host_reenter(sl_caller *c, sl_slot *s, void *user) {
    (void)user;
    sl_instance *inst = sl_caller_instance(c);
    sl_val arg = val_i32(s[0].i32), res;
    sl_error err = {0};
    sl_status st = sl_call(inst, "twice", &arg, 1, &res, 1, &err);
    if (st != SL_OK) return sl_caller_trap(c, "reentry failed: %s", err.message);
    s[0].i32 = res.of.i32 + 1;
    return 0;
}

/* Sums the bytes [ptr, ptr+len) of the caller's memory. */
static int host_sum(sl_caller *c, sl_slot *s, void *user) {
    (void)user;
    uint64_t size;
    uint8_t *mem = sl_caller_memory(c, &size);
    uint32_t ptr = s[0].u32, len = s[1].u32;
    if (!mem || (uint64_t)ptr + len > size) return sl_caller_trap(c, "bad range");
    uint32_t sum = 0;
    for (uint32_t i = 0; i < len; i++)
        sum += mem[ptr + i];
    mem[ptr] = 99; /* writes are visible to the guest */
    s[0].u32 = sum;
    return 0;
}

static const char *host_wat =
    "(module\n"
    "  (import \"env\" \"add\" (func $add (param i32 i64) (result i64 f64)))\n"
    "  (import \"env\" \"fail\" (func $fail (param i32)))\n"
    "  (import \"env\" \"exit\" (func $exit (param i32)))\n"
    "  (import \"env\" \"reenter\" (func $reenter (param i32) (result i32)))\n"
    "  (import \"env\" \"sum\" (func $sum (param i32 i32) (result i32)))\n"
    "  (memory (export \"memory\") 1)\n"
    "  (data (i32.const 16) \"\\01\\02\\03\\04\")\n"
    "  (func (export \"add\") (param i32 i64) (result i64)\n"
    "    (call $add (local.get 0) (local.get 1)) (drop))\n"
    "  (func (export \"fail\") (result i32) (call $fail (i32.const 42)) (i32.const 1))\n"
    "  (func (export \"exit\") (call $exit (i32.const 7)) unreachable)\n"
    "  (func (export \"twice\") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2)))\n"
    "  (func (export \"reenter\") (param i32) (result i32) (call $reenter (local.get 0)))\n"
    "  (func (export \"sum\") (result i32 i32)\n"
    "    (call $sum (i32.const 16) (i32.const 4)) (i32.load8_u (i32.const 16))))\n";

TEST(host_functions_args_results_traps_reentry) {
    sl_engine *e = sl_engine_new(NULL);
    REQUIRE(e);
    sl_module *m = wat_module(e, host_wat);
    REQUIRE(m);
    sl_linker *l = sl_linker_new(e);
    int calls = 0;
    CHECK_STATUS(sl_linker_define_func(l, "env", "add", "iI:IF", host_add, &calls), SL_OK, NULL);
    CHECK_STATUS(sl_linker_define_func(l, "env", "fail", "i:", host_fail, NULL), SL_OK, NULL);
    CHECK_STATUS(sl_linker_define_func(l, "env", "exit", "i:", host_exit, NULL), SL_OK, NULL);
    CHECK_STATUS(sl_linker_define_func(l, "env", "reenter", "i:i", host_reenter, NULL), SL_OK,
                 NULL);
    CHECK_STATUS(sl_linker_define_func(l, "env", "sum", "ii:i", host_sum, NULL), SL_OK, NULL);
    sl_store *s = sl_store_new(e, NULL);
    sl_error err = {0};
    sl_instance *inst = sl_instantiate(s, m, l, &err);
    CHECK_STATUS(err.status, SL_OK, &err);
    if (inst) {
        sl_val args[2] = {val_i32(-5), val_i64(1000000000000LL)}, res[2];
        CHECK_STATUS(sl_call(inst, "add", args, 2, res, 1, &err), SL_OK, &err);
        CHECK_EQ(res[0].type, SL_I64);
        CHECK_EQ(res[0].of.i64, 999999999995LL);
        CHECK_EQ(calls, 1);

        memset(&err, 0, sizeof err);
        CHECK_STATUS(sl_call(inst, "fail", NULL, 0, res, 1, &err), SL_ERR_TRAP, &err);
        CHECK_EQ(err.status, SL_ERR_TRAP);
        CHECK_EQ(err.trap, SL_TRAP_HOST);
        if (!CHECK(strstr(err.message, "host says no: 42") != NULL))
            check_note("message: %s", err.message);

        memset(&err, 0, sizeof err);
        CHECK_STATUS(sl_call(inst, "exit", NULL, 0, NULL, 0, &err), SL_ERR_EXIT, &err);
        CHECK_EQ(err.exit_code, 7);

        memset(&err, 0, sizeof err);
        sl_val a = val_i32(20);
        CHECK_STATUS(sl_call(inst, "reenter", &a, 1, res, 1, &err), SL_OK, &err);
        CHECK_EQ(res[0].of.i32, 41);

        memset(&err, 0, sizeof err);
        CHECK_STATUS(sl_call(inst, "sum", NULL, 0, res, 2, &err), SL_OK, &err);
        CHECK_EQ(res[0].of.i32, 10);
        CHECK_EQ(res[1].of.i32, 99);

        /* the store stays usable after traps and exits */
        CHECK_STATUS(sl_call(inst, "add", args, 2, res, 1, &err), SL_OK, &err);
        CHECK_EQ(calls, 2);
    }
    sl_store_free(s);
    sl_linker_free(l);
    sl_module_free(m);
    sl_engine_free(e);
}

TEST(call_argument_errors) {
    sl_engine *e = sl_engine_new(NULL);
    sl_store *s = sl_store_new(e, NULL);
    sl_module *m;
    sl_instance *inst = wat_instance(
        s, e, "(module (func (export \"f\") (param i32) (result i32) local.get 0))", &m);
    if (inst) {
        sl_error err = {0};
        sl_val res, a = val_i32(3);
        CHECK_STATUS(sl_call(inst, "nope", &a, 1, &res, 1, &err), SL_ERR_ARGUMENT, &err);
        CHECK_STATUS(sl_call(inst, "f", NULL, 0, &res, 1, &err), SL_ERR_ARGUMENT, &err);
        CHECK_STATUS(sl_call(inst, "f", &a, 1, &res, 2, &err), SL_ERR_ARGUMENT, &err);
        sl_val wrong = val_i64(3);
        CHECK_STATUS(sl_call(inst, "f", &wrong, 1, &res, 1, &err), SL_ERR_ARGUMENT, &err);
        CHECK(sl_instance_func(inst, "nope") == NULL);
        sl_func *f = sl_instance_func(inst, "f");
        REQUIRE(f);
        CHECK(functype_is(sl_func_type(f), "i", "i"));
        CHECK_STATUS(sl_func_call(s, f, &a, 1, &res, 1, &err), SL_OK, &err);
        CHECK_EQ(res.of.i32, 3);
        CHECK(sl_instance_module(inst) == m);
    }
    sl_store_free(s);
    if (m) sl_module_free(m);
    sl_engine_free(e);
}

/* ---- Linking ----------------------------------------------------------------------------- */

TEST(link_errors_and_instance_exports) {
    sl_engine *e = sl_engine_new(NULL);
    sl_store *s = sl_store_new(e, NULL);
    sl_linker *l = sl_linker_new(e);
    sl_module *prov = wat_module(e, "(module (func (export \"inc\") (param i32) (result i32)\n"
                                    "  (i32.add (local.get 0) (i32.const 1)))\n"
                                    "  (memory (export \"mem\") 1 2)\n"
                                    "  (global (export \"g\") (mut i32) (i32.const 5)))");
    sl_module *user = wat_module(e, "(module (import \"p\" \"inc\" (func $inc (param i32) "
                                    "(result i32)))\n"
                                    "  (import \"p\" \"mem\" (memory 1))\n"
                                    "  (import \"p\" \"g\" (global $g (mut i32)))\n"
                                    "  (func (export \"f\") (result i32)\n"
                                    "    (i32.store (i32.const 8) (i32.const 1234))\n"
                                    "    (global.set $g (i32.const 6))\n"
                                    "    (call $inc (i32.const 41))))");
    sl_module *wrong = wat_module(e, "(module (import \"p\" \"inc\" (func (param i64))))");
    sl_module *wrong_mem = wat_module(e, "(module (import \"p\" \"mem\" (memory 3)))");
    sl_module *missing = wat_module(e, "(module (import \"p\" \"nothing\" (func)))");
    REQUIRE(prov && user && wrong && wrong_mem && missing);
    sl_error err = {0};
    /* nothing defined yet */
    CHECK(sl_instantiate(s, user, l, &err) == NULL);
    CHECK_STATUS(err.status, SL_ERR_LINK, &err);
    CHECK(sl_instantiate(s, user, NULL, &err) == NULL);
    CHECK_STATUS(err.status, SL_ERR_LINK, &err);
    sl_instance *p = sl_instantiate(s, prov, NULL, &err);
    REQUIRE(p);
    CHECK_STATUS(sl_linker_define_instance(l, "p", p), SL_OK, NULL);
    memset(&err, 0, sizeof err);
    sl_instance *u = sl_instantiate(s, user, l, &err);
    CHECK_STATUS(err.status, SL_OK, &err);
    if (u) {
        sl_val r;
        CHECK_STATUS(sl_call(u, "f", NULL, 0, &r, 1, &err), SL_OK, &err);
        CHECK_EQ(r.of.i32, 42);
        /* the memory and global are shared with the provider */
        sl_memory *mem = sl_instance_memory(p, 0);
        uint32_t v = 0;
        CHECK(mem && sl_memory_read(mem, 8, &v, 4));
        CHECK_EQ(v, 1234);
        sl_extern g;
        CHECK(sl_instance_export(p, "g", &g) && g.kind == SL_EXTERN_GLOBAL);
        CHECK_EQ(sl_global_get(g.of.global).of.i32, 6);
    }
    memset(&err, 0, sizeof err);
    CHECK(sl_instantiate(s, wrong, l, &err) == NULL);
    CHECK_STATUS(err.status, SL_ERR_LINK, &err);
    memset(&err, 0, sizeof err);
    CHECK(sl_instantiate(s, wrong_mem, l, &err) == NULL);
    CHECK_STATUS(err.status, SL_ERR_LINK, &err);
    memset(&err, 0, sizeof err);
    CHECK(sl_instantiate(s, missing, l, &err) == NULL);
    CHECK_STATUS(err.status, SL_ERR_LINK, &err);
    CHECK(err.message[0] != 0);
    /* a host function with the wrong signature is a link error too */
    CHECK_STATUS(sl_linker_define_func(l, "p", "nothing", "i:", host_fail, NULL), SL_OK, NULL);
    memset(&err, 0, sizeof err);
    CHECK(sl_instantiate(s, missing, l, &err) == NULL);
    CHECK_STATUS(err.status, SL_ERR_LINK, &err);
    sl_store_free(s);
    sl_linker_free(l);
    sl_module_free(prov);
    sl_module_free(user);
    sl_module_free(wrong);
    sl_module_free(wrong_mem);
    sl_module_free(missing);
    sl_engine_free(e);
}

/* ---- Memory and globals ------------------------------------------------------------------ */

TEST(memory_read_write_through_api) {
    sl_engine *e = sl_engine_new(NULL);
    sl_store *s = sl_store_new(e, NULL);
    sl_module *m;
    sl_instance *inst = wat_instance(
        s, e,
        "(module (memory (export \"mem\") 1 3)\n"
        "  (data (i32.const 100) \"hello\")\n"
        "  (func (export \"load\") (param i32) (result i32) (i32.load (local.get 0)))\n"
        "  (func (export \"store\") (param i32 i32) (i32.store (local.get 0) "
        "(local.get 1)))\n"
        "  (func (export \"size\") (result i32) memory.size))",
        &m);
    if (inst) {
        sl_memory *mem = sl_instance_memory(inst, 0);
        REQUIRE(mem);
        sl_extern ext;
        CHECK(sl_instance_export(inst, "mem", &ext));
        CHECK(ext.kind == SL_EXTERN_MEMORY && ext.of.memory == mem);
        CHECK(sl_instance_memory(inst, 1) == NULL);
        CHECK_EQ(sl_memory_size(mem), 65536);
        char buf[8] = {0};
        CHECK(sl_memory_read(mem, 100, buf, 5));
        CHECK(!memcmp(buf, "hello", 5));
        CHECK(!memcmp(sl_memory_data(mem) + 100, "hello", 5));
        uint32_t v = 0xdeadbeef;
        CHECK(sl_memory_write(mem, 65532, &v, 4));
        sl_val a = val_i32(65532), r;
        sl_error err = {0};
        CHECK_STATUS(sl_call(inst, "load", &a, 1, &r, 1, &err), SL_OK, &err);
        CHECK_EQ((uint32_t)r.of.i32, 0xdeadbeef);
        sl_val sa[2] = {val_i32(4), val_i32(0x01020304)};
        CHECK_STATUS(sl_call(inst, "store", sa, 2, NULL, 0, &err), SL_OK, &err);
        uint8_t bytes[4];
        CHECK(sl_memory_read(mem, 4, bytes, 4));
        CHECK(bytes[0] == 4 && bytes[1] == 3 && bytes[2] == 2 && bytes[3] == 1); /* LE */
        /* out of bounds */
        CHECK(!sl_memory_read(mem, 65533, buf, 4));
        CHECK(!sl_memory_write(mem, 65536, &v, 1));
        CHECK(!sl_memory_read(mem, UINT64_MAX - 1, buf, 4));
        CHECK(sl_memory_read(mem, 65536, buf, 0));
        /* grow through the API: visible to the guest */
        CHECK_EQ(sl_memory_grow(mem, 1), 1);
        CHECK_EQ(sl_memory_size(mem), 2 * 65536);
        CHECK_STATUS(sl_call(inst, "size", NULL, 0, &r, 1, &err), SL_OK, &err);
        CHECK_EQ(r.of.i32, 2);
        CHECK(sl_memory_write(mem, 65536 + 100, &v, 4));
        CHECK_EQ(sl_memory_grow(mem, 2), -1); /* max 3 */
        CHECK_EQ(sl_memory_grow(mem, 1), 2);
        CHECK_EQ(sl_memory_grow(mem, 0), 3);
    }
    sl_store_free(s);
    if (m) sl_module_free(m);
    sl_engine_free(e);
}

TEST(globals_get_set) {
    sl_engine *e = sl_engine_new(NULL);
    sl_store *s = sl_store_new(e, NULL);
    sl_error err = {0};
    sl_global *imported = sl_global_new(s, val_f64(2.5), true, &err);
    sl_global *constant = sl_global_new(s, val_i64(-7), false, &err);
    REQUIRE(imported && constant);
    CHECK_EQ(sl_global_get(constant).of.i64, -7);
    CHECK(sl_global_set(constant, val_i64(1)) != SL_OK);
    CHECK_EQ(sl_global_get(constant).of.i64, -7);
    CHECK(sl_global_set(imported, val_i32(1)) != SL_OK); /* type mismatch */
    CHECK_STATUS(sl_global_set(imported, val_f64(3.25)), SL_OK, NULL);
    sl_linker *l = sl_linker_new(e);
    sl_linker_define(l, "env", "g", (sl_extern){.kind = SL_EXTERN_GLOBAL, .of.global = imported});
    sl_linker_define(l, "env", "c", (sl_extern){.kind = SL_EXTERN_GLOBAL, .of.global = constant});
    sl_module *m =
        wat_module(e, "(module (import \"env\" \"g\" (global $g (mut f64)))\n"
                      "  (import \"env\" \"c\" (global $c i64))\n"
                      "  (global $own (export \"own\") (mut i32) (i32.const 10))\n"
                      "  (global (export \"fixed\") f32 (f32.const 1.5))\n"
                      "  (func (export \"get\") (result f64 i64 i32)\n"
                      "    global.get $g global.get $c global.get $own)\n"
                      "  (func (export \"bump\")\n"
                      "    (global.set $g (f64.add (global.get $g) (f64.const 1)))\n"
                      "    (global.set $own (i32.add (global.get $own) (i32.const 1)))))");
    REQUIRE(m);
    sl_instance *inst = sl_instantiate(s, m, l, &err);
    CHECK_STATUS(err.status, SL_OK, &err);
    if (inst) {
        sl_val r[3];
        CHECK_STATUS(sl_call(inst, "get", NULL, 0, r, 3, &err), SL_OK, &err);
        CHECK(r[0].type == SL_F64 && r[0].of.f64 == 3.25);
        CHECK(r[1].type == SL_I64 && r[1].of.i64 == -7);
        CHECK(r[2].type == SL_I32 && r[2].of.i32 == 10);
        CHECK_STATUS(sl_call(inst, "bump", NULL, 0, NULL, 0, &err), SL_OK, &err);
        CHECK(sl_global_get(imported).of.f64 == 4.25);
        sl_extern own, fixed;
        REQUIRE(sl_instance_export(inst, "own", &own) && own.kind == SL_EXTERN_GLOBAL);
        REQUIRE(sl_instance_export(inst, "fixed", &fixed) && fixed.kind == SL_EXTERN_GLOBAL);
        CHECK_EQ(sl_global_get(own.of.global).of.i32, 11);
        CHECK_STATUS(sl_global_set(own.of.global, val_i32(-100)), SL_OK, NULL);
        CHECK_STATUS(sl_call(inst, "get", NULL, 0, r, 3, &err), SL_OK, &err);
        CHECK_EQ(r[2].of.i32, -100);
        sl_val f = sl_global_get(fixed.of.global);
        CHECK(f.type == SL_F32 && f.of.f32 == 1.5f);
        CHECK(sl_global_set(fixed.of.global, val_f32(2.0f)) != SL_OK);
        CHECK(sl_global_get(fixed.of.global).of.f32 == 1.5f);
    }
    /* an immutable import of a mutable global (or the reverse) does not link */
    sl_module *bad = wat_module(e, "(module (import \"env\" \"g\" (global f64)))");
    if (bad) {
        CHECK(sl_instantiate(s, bad, l, &err) == NULL);
        CHECK_STATUS(err.status, SL_ERR_LINK, &err);
    }
    /* modules outlive the stores they were instantiated in (even unsuccessfully) */
    sl_store_free(s);
    sl_linker_free(l);
    sl_module_free(m);
    if (bad) sl_module_free(bad);
    sl_engine_free(e);
}

TEST(tables_through_api) {
    sl_engine *e = sl_engine_new(NULL);
    sl_store *s = sl_store_new(e, NULL);
    sl_module *m;
    sl_instance *inst =
        wat_instance(s, e,
                     "(module (table (export \"t\") 2 externref)\n"
                     "  (table (export \"f\") 1 funcref) (elem (table 1) (i32.const 0) func $k)\n"
                     "  (func $k (result i32) (i32.const 9))\n"
                     "  (func (export \"get\") (param i32) (result externref)\n"
                     "    (table.get 0 (local.get 0)))\n"
                     "  (func (export \"call\") (result i32) (call_indirect 1 (result i32) "
                     "(i32.const 0))))",
                     &m);
    if (inst) {
        sl_extern t, f;
        REQUIRE(sl_instance_export(inst, "t", &t) && t.kind == SL_EXTERN_TABLE);
        REQUIRE(sl_instance_export(inst, "f", &f) && f.kind == SL_EXTERN_TABLE);
        CHECK_EQ(sl_table_size(t.of.table), 2);
        void *ref = (void *)1;
        CHECK(sl_table_get(t.of.table, 1, &ref) && ref == NULL);
        int marker;
        CHECK(sl_table_set(t.of.table, 1, &marker));
        CHECK(!sl_table_set(t.of.table, 2, &marker));
        CHECK(!sl_table_get(t.of.table, 2, &ref));
        sl_val a = val_i32(1), r;
        sl_error err = {0};
        CHECK_STATUS(sl_call(inst, "get", &a, 1, &r, 1, &err), SL_OK, &err);
        CHECK(r.type == SL_EXTERNREF && r.of.ref == &marker);
        /* a funcref read from a table can be called */
        void *fref = NULL;
        CHECK(sl_table_get(f.of.table, 0, &fref) && fref != NULL);
        if (fref) {
            CHECK_STATUS(sl_func_call(s, fref, NULL, 0, &r, 1, &err), SL_OK, &err);
            CHECK_EQ(r.of.i32, 9);
        }
        CHECK(sl_table_set(f.of.table, 0, NULL));
        CHECK_STATUS(sl_call(inst, "call", NULL, 0, &r, 1, &err), SL_ERR_TRAP, &err);
        CHECK_EQ(err.trap, SL_TRAP_UNINITIALIZED);
    }
    sl_store_free(s);
    if (m) sl_module_free(m);
    sl_engine_free(e);
}

TEST(store_data_and_standalone_objects) {
    sl_engine *e = sl_engine_new(NULL);
    sl_store *s = sl_store_new(e, NULL);
    int x;
    CHECK(sl_store_data(s) == NULL);
    sl_store_set_data(s, &x);
    CHECK(sl_store_data(s) == &x);
    sl_error err = {0};
    sl_memory *mem = sl_memory_new(s, (sl_limits){2, 4, true}, &err);
    REQUIRE(mem);
    CHECK_EQ(sl_memory_size(mem), 2 * 65536);
    CHECK_EQ(sl_memory_data(mem)[65536 * 2 - 1], 0);
    CHECK_EQ(sl_memory_grow(mem, 3), -1);
    CHECK_EQ(sl_memory_grow(mem, 2), 2);
    sl_table *t = sl_table_new(s, SL_FUNCREF, (sl_limits){3, 0, false}, &err);
    REQUIRE(t);
    CHECK_EQ(sl_table_size(t), 3);
    /* min > max is rejected */
    CHECK(sl_memory_new(s, (sl_limits){3, 2, true}, &err) == NULL);
    sl_store_free(s);
    sl_engine_free(e);
}
