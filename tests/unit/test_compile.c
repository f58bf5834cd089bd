/*
 * test_compile.c - the compiler's rewrites (lazy locals and constants, destination
 * retargeting, compare-and-branch, load/store superinstructions, address addends, paired
 * moves), each where it meets a label, checked against results computed here in C. Every
 * test runs in both bounds-check modes, since each mode has its own handlers.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check.h"

static sl_val i32(int32_t v) {
    return (sl_val){.type = SL_I32, .of.i32 = v};
}

/* Instantiate `wat` in an engine of the given mode and call each test body. */
typedef struct fixture {
    sl_engine *engine;
    sl_store *store;
    sl_module *module;
    sl_instance *inst;
} fixture;

static bool setup(fixture *f, const char *wat, bool explicit_bounds) {
    sl_engine_config cfg = {.explicit_bounds_checks = explicit_bounds};
    f->engine = sl_engine_new(&cfg);
    f->store = sl_store_new(f->engine, NULL);
    f->module = NULL;
    f->inst = wat_instance(f->store, f->engine, wat, &f->module);
    return f->inst != NULL;
}

static void teardown(fixture *f) {
    sl_store_free(f->store);
    sl_module_free(f->module);
    sl_engine_free(f->engine);
}

static int32_t call_i32(fixture *f, const char *name, const sl_val *args, uint32_t n) {
    sl_val r = {0};
    sl_error err;
    sl_status st = sl_call(f->inst, name, args, n, &r, 1, &err);
    CHECK_STATUS(st, SL_OK, &err);
    return r.of.i32;
}

/* Moves before a loop and at its head must not be paired into one instruction: the
 * back-branch lands between them. */
static const char *fib_wat = "(module (func (export \"fib\") (param i32) (result i32)\n"
                             "  (local i32 i32 i32)\n"
                             "  (local.set 1 (i32.const 0)) (local.set 2 (i32.const 1))\n"
                             "  (local.set 3 (local.get 1))\n"
                             "  (block (loop\n"
                             "    (local.set 3 (local.get 2))\n"
                             "    (local.set 2 (i32.add (local.get 1) (local.get 2)))\n"
                             "    (local.set 1 (local.get 3))\n"
                             "    (br_if 1 (i32.eqz (local.get 0)))\n"
                             "    (local.set 0 (i32.sub (local.get 0) (i32.const 1)))\n"
                             "    (br 0)))\n"
                             "  (local.get 1)))";

TEST(compile_moves_around_loop_head) {
    for (int mode = 0; mode < 2; mode++) {
        fixture f;
        if (setup(&f, fib_wat, mode)) {
            uint32_t a = 0, b = 1;
            for (int n = 0; n <= 40; n++) {
                sl_val arg = i32(n);
                CHECK_EQ((uint32_t)call_i32(&f, "fib", &arg, 1), b); /* n+1 rounds */
                uint32_t t = a + b;
                a = b;
                b = t;
            }
        }
        teardown(&f);
    }
}

/* A lazy local.get must read the value from before a later local.set. */
TEST(compile_lazy_local_sees_old_value) {
    const char *wat = "(module (func (export \"f\") (param i32) (result i32)\n"
                      "  (local.get 0)\n"
                      "  (local.set 0 (i32.add (local.get 0) (i32.const 5)))\n"
                      "  (local.get 0) (i32.sub)))";
    for (int mode = 0; mode < 2; mode++) {
        fixture f;
        if (setup(&f, wat, mode)) {
            sl_val arg = i32(100);
            CHECK_EQ(call_i32(&f, "f", &arg, 1), -5);
        }
        teardown(&f);
    }
}

/* A block's result reaches its slot by a branch or by falling through; local.set after the
 * block's end must not retarget the instruction before the label. */
TEST(compile_no_retarget_across_label) {
    const char *wat = "(module (func (export \"f\") (param i32) (result i32) (local i32)\n"
                      "  (local.set 1 (block (result i32)\n"
                      "    (drop (br_if 0 (i32.const 7) (local.get 0)))\n"
                      "    (i32.add (local.get 0) (i32.const 40))))\n"
                      "  (local.get 1)))";
    for (int mode = 0; mode < 2; mode++) {
        fixture f;
        if (setup(&f, wat, mode)) {
            sl_val zero = i32(0), two = i32(2);
            CHECK_EQ(call_i32(&f, "f", &zero, 1), 40);
            CHECK_EQ(call_i32(&f, "f", &two, 1), 7);
        }
        teardown(&f);
    }
}

/* Every i32 compare fused into br_if and into if (which negates it), with a register and
 * with an immediate right operand. */
TEST(compile_compare_branches) {
    static const char *ops[] = {"eq",   "ne",   "lt_s", "lt_u", "gt_s",
                                "gt_u", "le_s", "le_u", "ge_s", "ge_u"};
    static const int32_t vals[] = {INT32_MIN, -7, -1, 0, 1, 3, 7, INT32_MAX};
    for (int mode = 0; mode < 2; mode++) {
        for (size_t o = 0; o < sizeof ops / sizeof *ops; o++) {
            char wat[1024];
            snprintf(
                wat, sizeof wat,
                "(module\n"
                " (func (export \"brif\") (param i32 i32) (result i32)\n"
                "  (block (br_if 0 (i32.%s (local.get 0) (local.get 1))) (return (i32.const 0)))\n"
                "  (i32.const 1))\n"
                " (func (export \"if\") (param i32 i32) (result i32)\n"
                "  (if (result i32) (i32.%s (local.get 0) (local.get 1))\n"
                "   (then (i32.const 1)) (else (i32.const 0))))\n"
                " (func (export \"imm\") (param i32) (result i32)\n"
                "  (if (result i32) (i32.%s (local.get 0) (i32.const 3))\n"
                "   (then (i32.const 1)) (else (i32.const 0)))))",
                ops[o], ops[o], ops[o]);
            fixture f;
            if (setup(&f, wat, mode)) {
                for (size_t i = 0; i < 8; i++) {
                    for (size_t j = 0; j < 8; j++) {
                        int32_t a = vals[i], b = vals[j];
                        uint32_t ua = (uint32_t)a, ub = (uint32_t)b;
                        bool want[] = {a == b, a != b,  a<b, ua<ub, a> b, ua> ub, a <= b, ua <= ub,
                                       a >= b, ua >= ub};
                        sl_val args[2] = {i32(a), i32(b)};
                        CHECK_EQ(call_i32(&f, "brif", args, 2), want[o]);
                        CHECK_EQ(call_i32(&f, "if", args, 2), want[o]);
                    }
                    int32_t a = vals[i], b = 3;
                    uint32_t ua = (uint32_t)a, ub = 3;
                    bool want[] = {a == b, a != b,  a<b, ua<ub, a> b, ua> ub, a <= b, ua <= ub,
                                   a >= b, ua >= ub};
                    sl_val arg = i32(a);
                    CHECK_EQ(call_i32(&f, "imm", &arg, 1), want[o]);
                }
            }
            teardown(&f);
        }
    }
}

/* Loads feeding arithmetic (both operand orders), arithmetic feeding stores, constant
 * stores, and address arithmetic absorbed by loads, including its 32-bit wrap-around. */
static const char *mem_wat =
    "(module (memory (export \"mem\") 1)\n"
    " (func (export \"sub_ld\") (param i32 f64) (result f64)\n"
    "  (f64.sub (local.get 1) (f64.load (local.get 0))))\n"
    " (func (export \"mul_ld_left\") (param i32 f64) (result f64)\n"
    "  (f64.mul (f64.load (local.get 0)) (local.get 1)))\n"
    " (func (export \"div_ld_left\") (param i32 f64) (result f64)\n"
    "  (f64.div (f64.load (local.get 0)) (local.get 1)))\n"
    " (func (export \"add_st\") (param i32 i32 i32)\n"
    "  (i32.store offset=4 (local.get 0) (i32.sub (local.get 1) (local.get 2))))\n"
    " (func (export \"store_k\") (param i32)\n"
    "  (i32.store8 (local.get 0) (i32.const 0x1ff)))\n"
    " (func (export \"load_addend\") (param i32) (result i32)\n"
    "  (i32.load offset=8 (i32.sub (local.get 0) (i32.const 4))))\n"
    " (func (export \"load_addend_ld\") (param i32 i32) (result i32)\n"
    "  (i32.sub (local.get 1) (i32.load (i32.add (local.get 0) (i32.const 4))))))";

TEST(compile_memory_superinstructions) {
    for (int mode = 0; mode < 2; mode++) {
        fixture f;
        if (!setup(&f, mem_wat, mode)) {
            teardown(&f);
            continue;
        }
        sl_memory *mem = sl_instance_memory(f.inst, 0);
        double x = 2.5;
        CHECK(sl_memory_write(mem, 16, &x, sizeof x));
        sl_val r = {0}, args[3];
        sl_error err;
        args[0] = i32(16);
        args[1] = (sl_val){.type = SL_F64, .of.f64 = 10.0};
        CHECK_STATUS(sl_call(f.inst, "sub_ld", args, 2, &r, 1, &err), SL_OK, &err);
        CHECK(r.of.f64 == 7.5);
        CHECK_STATUS(sl_call(f.inst, "mul_ld_left", args, 2, &r, 1, &err), SL_OK, &err);
        CHECK(r.of.f64 == 25.0);
        CHECK_STATUS(sl_call(f.inst, "div_ld_left", args, 2, &r, 1, &err), SL_OK, &err);
        CHECK(r.of.f64 == 0.25);

        args[0] = i32(100), args[1] = i32(50), args[2] = i32(8);
        CHECK_STATUS(sl_call(f.inst, "add_st", args, 3, NULL, 0, &err), SL_OK, &err);
        int32_t got = 0;
        CHECK(sl_memory_read(mem, 104, &got, 4));
        CHECK_EQ(got, 42);
        args[0] = i32(65535 - 2); /* the 4-byte store at +4 passes the end: a trap */
        CHECK_STATUS(sl_call(f.inst, "add_st", args, 3, NULL, 0, &err), SL_ERR_TRAP, &err);
        CHECK_EQ(err.trap, SL_TRAP_MEMORY_OOB);

        args[0] = i32(200);
        CHECK_STATUS(sl_call(f.inst, "store_k", args, 1, NULL, 0, &err), SL_OK, &err);
        uint8_t byte = 0;
        CHECK(sl_memory_read(mem, 200, &byte, 1));
        CHECK_EQ(byte, 0xff);

        int32_t v = 0x12345678;
        CHECK(sl_memory_write(mem, 104, &v, 4));
        args[0] = i32(100); /* (100 - 4) + 8 */
        CHECK_EQ(call_i32(&f, "load_addend", args, 1), 0x12345678);
        args[0] = i32(0); /* u32(0 - 4) + 8 is past 4 GiB, not 4: a trap */
        CHECK_STATUS(sl_call(f.inst, "load_addend", args, 1, &r, 1, &err), SL_ERR_TRAP, &err);
        CHECK_EQ(err.trap, SL_TRAP_MEMORY_OOB);
        args[0] = i32(100), args[1] = i32(0x12345679);
        CHECK_EQ(call_i32(&f, "load_addend_ld", args, 2), 1);
        teardown(&f);
    }
}

/* br_table targets that need their values moved go through stubs; each stub must write the
 * value itself (a constant materialized on one path is not there on another). */
TEST(compile_br_table_stubs) {
    const char *wat = "(module (func (export \"f\") (param i32) (result i32)\n"
                      "  (i32.add (block (result i32)\n"
                      "    (br_table 0 1 0 (i32.const 50) (local.get 0))\n"
                      "    (i32.const 51)) (i32.const 2))))";
    for (int mode = 0; mode < 2; mode++) {
        fixture f;
        if (setup(&f, wat, mode)) {
            for (int round = 0; round < 2; round++) {
                sl_val a0 = i32(0), a1 = i32(1), a9 = i32(9);
                CHECK_EQ(call_i32(&f, "f", &a1, 1), 50); /* returns from the function */
                CHECK_EQ(call_i32(&f, "f", &a0, 1), 52);
                CHECK_EQ(call_i32(&f, "f", &a9, 1), 52); /* default */
            }
        }
        teardown(&f);
    }
}

/* Shifted operands: the shift on either side of a commutative op, on the right of any. */
TEST(compile_shifted_operands) {
    const char *wat = "(module\n"
                      " (func (export \"xr\") (param i32 i32) (result i32)\n"
                      "  (i32.xor (local.get 0) (i32.rotl (local.get 1) (i32.const 7))))\n"
                      " (func (export \"rx\") (param i32 i32) (result i32)\n"
                      "  (i32.xor (i32.rotl (local.get 1) (i32.const 39)) (local.get 0)))\n"
                      " (func (export \"as\") (param i32 i32) (result i32)\n"
                      "  (i32.add (local.get 0) (i32.shl (local.get 1) (i32.const 3))))\n"
                      " (func (export \"os\") (param i32 i32) (result i32)\n"
                      "  (i32.or (i32.shr_u (local.get 1) (i32.const 30)) (local.get 0)))\n"
                      " (func (export \"x64\") (param i64 i64) (result i64)\n"
                      "  (i64.xor (local.get 0) (i64.shr_u (local.get 1) (i64.const 61)))))";
    static const uint32_t vals[] = {0, 1, 0x80000000u, 0xdeadbeefu, 0x12345678u, 0xffffffffu};
    for (int mode = 0; mode < 2; mode++) {
        fixture f;
        if (setup(&f, wat, mode)) {
            for (size_t i = 0; i < 6; i++) {
                for (size_t j = 0; j < 6; j++) {
                    uint32_t a = vals[i], b = vals[j];
                    sl_val args[2] = {i32((int32_t)a), i32((int32_t)b)};
                    uint32_t r7 = (b << 7) | (b >> 25);
                    CHECK_EQ((uint32_t)call_i32(&f, "xr", args, 2), a ^ r7);
                    CHECK_EQ((uint32_t)call_i32(&f, "rx", args, 2), a ^ r7); /* 39 % 32 */
                    CHECK_EQ((uint32_t)call_i32(&f, "as", args, 2), a + (b << 3));
                    CHECK_EQ((uint32_t)call_i32(&f, "os", args, 2), a | (b >> 30));
                    uint64_t a64 = (uint64_t)a << 32 | b, b64 = (uint64_t)b << 32 | a;
                    sl_val a2[2] = {{.type = SL_I64, .of.i64 = (int64_t)a64},
                                    {.type = SL_I64, .of.i64 = (int64_t)b64}};
                    sl_val r = {0};
                    sl_error err;
                    CHECK_STATUS(sl_call(f.inst, "x64", a2, 2, &r, 1, &err), SL_OK, &err);
                    CHECK_EQ((uint64_t)r.of.i64, a64 ^ (b64 >> 61));
                }
            }
        }
        teardown(&f);
    }
}

/* Loop tails `x = x + k; br_if (x cmp n)` fused into one instruction: every compare, a
 * constant and a register step, a register and a constant limit. The loops count their
 * iterations (capped), checked against the same loop in C. */
TEST(compile_loop_tails) {
    static const char *ops[] = {"eq",   "ne",   "lt_s", "lt_u", "gt_s",
                                "gt_u", "le_s", "le_u", "ge_s", "ge_u"};
    for (int mode = 0; mode < 2; mode++) {
        for (size_t o = 0; o < sizeof ops / sizeof *ops; o++) {
            char wat[1400];
            /* params: x, step, limit; the count stops at 100 so that every loop ends */
            snprintf(wat, sizeof wat,
                     "(module\n"
                     " (func (export \"imm\") (param i32 i32 i32) (result i32) (local i32)\n"
                     "  (block $out (loop $l\n"
                     "   (local.set 3 (i32.add (local.get 3) (i32.const 1)))\n"
                     "   (br_if $out (i32.eq (local.get 3) (i32.const 100)))\n"
                     "   (br_if $l (i32.%s (local.tee 0 (i32.add (local.get 0) (i32.const 3)))\n"
                     "                     (local.get 2)))))\n"
                     "  (i32.add (local.get 3) (i32.mul (local.get 0) (i32.const 1000))))\n"
                     " (func (export \"reg\") (param i32 i32 i32) (result i32) (local i32)\n"
                     "  (block $out (loop $l\n"
                     "   (local.set 3 (i32.add (local.get 3) (i32.const 1)))\n"
                     "   (br_if $out (i32.eq (local.get 3) (i32.const 100)))\n"
                     "   (br_if $l (i32.%s (local.tee 0 (i32.add (local.get 0) (local.get 1)))\n"
                     "                     (i32.const 20)))))\n"
                     "  (i32.add (local.get 3) (i32.mul (local.get 0) (i32.const 1000)))))",
                     ops[o], ops[o]);
            fixture f;
            if (setup(&f, wat, mode)) {
                static const int32_t starts[] = {-10, 0, 5, 20};
                for (size_t si = 0; si < 4; si++) {
                    for (int32_t step = -3; step <= 3; step += 3) {
                        int32_t want[2];
                        for (int variant = 0; variant < 2; variant++) {
                            int32_t x = starts[si], n = 0;
                            int32_t k = variant == 0 ? 3 : step, lim = variant == 0 ? 17 : 20;
                            for (;;) {
                                if (++n == 100) break;
                                x = (int32_t)((uint32_t)x + (uint32_t)k);
                                uint32_t ux = (uint32_t)x, ul = (uint32_t)lim;
                                bool c[] = {x == lim, x != lim, x<lim, ux<ul, x> lim, ux> ul,
                                            x <= lim, ux <= ul, x >= lim,
                                            ux >= ul};
                                if (!c[o]) break;
                            }
                            want[variant] = (int32_t)((uint32_t)n + (uint32_t)x * 1000u);
                        }
                        sl_val args[3] = {i32(starts[si]), i32(step), i32(17)};
                        CHECK_EQ(call_i32(&f, "imm", args, 3), want[0]);
                        CHECK_EQ(call_i32(&f, "reg", args, 3), want[1]);
                    }
                }
            }
            teardown(&f);
        }
    }
}

/* Indexed loads (a[i], absorbing base + (i << k) or base + i, with 32-bit wrap-around) and
 * multiply-accumulate (a + x*y, a - x*y, (x*y) + local), against C. */
TEST(compile_indexed_and_mulacc) {
    const char *wat =
        "(module (memory 1)\n"
        " (func (export \"ld4\") (param i32 i32) (result i32)\n"
        "  (i32.load offset=4 (i32.add (local.get 0) (i32.shl (local.get 1) (i32.const 2)))))\n"
        " (func (export \"ld8u\") (param i32 i32) (result i32)\n"
        "  (i32.load8_u (i32.add (local.get 0) (local.get 1))))\n"
        " (func (export \"fill\") (local i32)\n"
        "  (loop $l (i32.store8 (local.get 0) (local.get 0))\n"
        "   (br_if $l (i32.lt_u (local.tee 0 (i32.add (local.get 0) (i32.const 1)))\n"
        "                       (i32.const 256)))))\n"
        " (func (export \"addmul\") (param f64 f64 f64) (result f64)\n"
        "  (f64.add (local.get 0) (f64.mul (local.get 1) (local.get 2))))\n"
        " (func (export \"submul\") (param f64 f64 f64) (result f64)\n"
        "  (f64.sub (local.get 0) (f64.mul (local.get 1) (local.get 2))))\n"
        " (func (export \"muladd\") (param f64 f64 f64) (result f64)\n"
        "  (f64.add (f64.mul (local.get 1) (local.get 2)) (local.get 0))))";
    for (int mode = 0; mode < 2; mode++) {
        fixture f;
        if (!setup(&f, wat, mode)) {
            teardown(&f);
            continue;
        }
        sl_error err;
        sl_val r;
        CHECK_STATUS(sl_call(f.inst, "fill", NULL, 0, NULL, 0, &err), SL_OK, &err);
        sl_val a[2] = {i32(16), i32(5)};
        /* bytes 40..43 hold 40,41,42,43 */
        CHECK_EQ((uint32_t)call_i32(&f, "ld4", a, 2), 0x2b2a2928u);
        a[0] = i32(200), a[1] = i32(7);
        CHECK_EQ(call_i32(&f, "ld8u", a, 2), 207);
        a[0] = i32(-1), a[1] = i32(8); /* u32(-1 + 8) = 7: wraps below 4 GiB */
        CHECK_EQ(call_i32(&f, "ld8u", a, 2), 7);
        a[0] = i32(-4), a[1] = i32(1); /* u32(-4 + 4) + 4 = 4 */
        CHECK_EQ((uint32_t)call_i32(&f, "ld4", a, 2), 0x07060504u);
        a[0] = i32(65535), a[1] = i32(1); /* past the end */
        CHECK_STATUS(sl_call(f.inst, "ld8u", a, 2, &r, 1, &err), SL_ERR_TRAP, &err);
        CHECK_EQ(err.trap, SL_TRAP_MEMORY_OOB);

        static const double vals[] = {0.1, -3.5, 1e300, 7.0};
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 4; j++) {
                double x = vals[i], y = vals[j], z = vals[(i + j) % 4];
                sl_val v[3] = {{.type = SL_F64, .of.f64 = z},
                               {.type = SL_F64, .of.f64 = x},
                               {.type = SL_F64, .of.f64 = y}};
                volatile double p = x * y; /* rounded on its own, as Wasm does */
                CHECK_STATUS(sl_call(f.inst, "addmul", v, 3, &r, 1, &err), SL_OK, &err);
                CHECK(r.of.f64 == z + p || (isinf(z + p) && r.of.f64 == z + p));
                CHECK_STATUS(sl_call(f.inst, "submul", v, 3, &r, 1, &err), SL_OK, &err);
                CHECK(r.of.f64 == z - p);
                CHECK_STATUS(sl_call(f.inst, "muladd", v, 3, &r, 1, &err), SL_OK, &err);
                CHECK(r.of.f64 == p + z);
            }
        }
        teardown(&f);
    }
}

/* c[j] += x stored back to the loaded address (f64_addto), and loop tails written with the
 * counter on the right (n != i, n > i): the compare is mirrored. */
TEST(compile_accumulate_and_mirrored_tails) {
    const char *wat =
        "(module (memory 1)\n"
        " (func (export \"axpy\") (param i32 f64) (result f64) (local i32)\n"
        "  (loop $l\n"
        "   (f64.store (local.get 2) (f64.add (f64.mul (local.get 1) (f64.convert_i32_u\n"
        "     (local.get 2))) (f64.load (local.get 2))))\n"
        "   (br_if $l (i32.ne (local.get 0) (local.tee 2 (i32.add (local.get 2) (i32.const "
        "8))))))\n"
        "  (f64.load (i32.const 16)))\n"
        " (func (export \"count\") (param i32) (result i32) (local i32)\n"
        "  (loop $l (br_if $l (i32.gt_u (local.get 0)\n"
        "    (local.tee 1 (i32.add (local.get 1) (i32.const 3))))))\n"
        "  (local.get 1)))";
    for (int mode = 0; mode < 2; mode++) {
        fixture f;
        if (!setup(&f, wat, mode)) {
            teardown(&f);
            continue;
        }
        sl_error err;
        sl_val r, a[2] = {i32(800), {.type = SL_F64, .of.f64 = 0.5}};
        for (int round = 1; round <= 2; round++) {
            CHECK_STATUS(sl_call(f.inst, "axpy", a, 2, &r, 1, &err), SL_OK, &err);
            CHECK(r.of.f64 == round * 0.5 * 16.0); /* element at 16 gains 0.5 * 16 a round */
        }
        a[0] = i32(65536 + 8); /* runs past the end of memory: a trap, not a crash */
        CHECK_STATUS(sl_call(f.inst, "axpy", a, 2, &r, 1, &err), SL_ERR_TRAP, &err);
        CHECK_EQ(err.trap, SL_TRAP_MEMORY_OOB);
        sl_val n = i32(100);
        CHECK_EQ(call_i32(&f, "count", &n, 1), 102); /* 3, 6, ... 102 */
        teardown(&f);
    }
}

/* Countdown loops: `n -= 1; br_if n` and `n += -2; br_if (eqz n)` fuse into loop tails. */
TEST(compile_countdown_tails) {
    const char *wat = "(module\n"
                      " (func (export \"down\") (param i32) (result i32) (local i32)\n"
                      "  (loop $l (local.set 1 (i32.add (local.get 1) (local.get 0)))\n"
                      "   (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))\n"
                      "  (local.get 1))\n"
                      " (func (export \"until\") (param i32) (result i32) (local i32)\n"
                      "  (loop $l (local.set 1 (i32.add (local.get 1) (i32.const 1)))\n"
                      "   (br_if $l (i32.eqz (i32.eqz (local.tee 0 (i32.add (local.get 0)\n"
                      "     (i32.const -2)))))))\n"
                      "  (local.get 1)))";
    for (int mode = 0; mode < 2; mode++) {
        fixture f;
        if (setup(&f, wat, mode)) {
            sl_val n = i32(100);
            CHECK_EQ(call_i32(&f, "down", &n, 1), 5050);
            CHECK_EQ(call_i32(&f, "until", &n, 1), 50);
        }
        teardown(&f);
    }
}

/* Three-input add, as hash rounds sum terms: a + (x + y) and (x + y) + local, wrapping. */
TEST(compile_add3) {
    const char *wat = "(module\n"
                      " (func (export \"r\") (param i32 i32 i32) (result i32)\n"
                      "  (i32.add (local.get 0) (i32.add (local.get 1) (local.get 2))))\n"
                      " (func (export \"l\") (param i32 i32 i32) (result i32)\n"
                      "  (i32.add (i32.add (local.get 1) (local.get 2)) (local.get 0))))";
    for (int mode = 0; mode < 2; mode++) {
        fixture f;
        if (setup(&f, wat, mode)) {
            sl_val a[3] = {i32(INT32_MAX), i32(7), i32(-3)};
            uint32_t want = (uint32_t)INT32_MAX + 7u - 3u;
            CHECK_EQ((uint32_t)call_i32(&f, "r", a, 3), want);
            CHECK_EQ((uint32_t)call_i32(&f, "l", a, 3), want);
        }
        teardown(&f);
    }
}

/* Float ops with a constant right operand take its bits as an immediate; (x*y)*z is one op. */
TEST(compile_float_immediates) {
    const char *wat =
        "(module\n"
        " (func (export \"d\") (param f64) (result f64)\n"
        "  (f64.div (f64.sub (f64.mul (local.get 0) (f64.const 0.5)) (f64.const 1.5))\n"
        "           (f64.const 3)))\n"
        " (func (export \"s\") (param f32) (result f32)\n"
        "  (f32.add (f32.mul (local.get 0) (f32.const 0.1)) (f32.const -2.5)))\n"
        " (func (export \"nan\") (param f32) (result i32)\n"
        "  (i32.reinterpret_f32 (f32.add (local.get 0) (f32.const nan:0x200000))))\n"
        " (func (export \"m3\") (param f64 f64 f64) (result f64)\n"
        "  (f64.mul (f64.mul (local.get 0) (local.get 1)) (local.get 2))))";
    for (int mode = 0; mode < 2; mode++) {
        fixture f;
        if (!setup(&f, wat, mode)) {
            teardown(&f);
            continue;
        }
        sl_error err;
        sl_val r;
        static const double xs[] = {7.0, -0.1, 1e308, 3.25};
        for (int i = 0; i < 4; i++) {
            sl_val a = {.type = SL_F64, .of.f64 = xs[i]};
            CHECK_STATUS(sl_call(f.inst, "d", &a, 1, &r, 1, &err), SL_OK, &err);
            CHECK(r.of.f64 == (xs[i] * 0.5 - 1.5) / 3.0);
            float x = (float)xs[i];
            sl_val b = {.type = SL_F32, .of.f32 = x};
            CHECK_STATUS(sl_call(f.inst, "s", &b, 1, &r, 1, &err), SL_OK, &err);
            volatile float p = x * 0.1f;
            CHECK(r.of.f32 == p + -2.5f || (isinf(p) && isinf(r.of.f32)));
            sl_val m[3] = {{.type = SL_F64, .of.f64 = xs[i]},
                           {.type = SL_F64, .of.f64 = xs[(i + 1) % 4]},
                           {.type = SL_F64, .of.f64 = xs[(i + 2) % 4]}};
            volatile double q = xs[i] * xs[(i + 1) % 4];
            CHECK_STATUS(sl_call(f.inst, "m3", m, 3, &r, 1, &err), SL_OK, &err);
            CHECK(r.of.f64 == q * xs[(i + 2) % 4]);
        }
        sl_val one = {.type = SL_F32, .of.f32 = 1.0f};
        CHECK_STATUS(sl_call(f.inst, "nan", &one, 1, &r, 1, &err), SL_OK, &err);
        CHECK(((uint32_t)r.of.i32 & 0x7fc00000u) == 0x7fc00000u); /* a quiet NaN */
        teardown(&f);
    }
}
