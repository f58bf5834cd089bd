/*
 * test_exec.c - execution: traps of each kind, call-depth exhaustion, store limits,
 * interruption (from another thread and by timeout), fuel, the two bounds-check modes and
 * many instances.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

static const char *trap_wat =
    "(module\n"
    "  (type $v_i (func (result i32)))\n"
    "  (type $i_i (func (param i32) (result i32)))\n"
    "  (memory 1)\n"
    "  (table $t 4 funcref) (elem (table $t) (i32.const 0) func $one $id)\n"
    "  (table $e 2 externref)\n"
    "  (func $one (type $v_i) (i32.const 1))\n"
    "  (func $id (type $i_i) (local.get 0))\n"
    "  (func (export \"unreachable\") unreachable)\n"
    "  (func (export \"load_oob\") (result i32) (i32.load (i32.const 65535)))\n"
    "  (func (export \"store_oob\") (i64.store offset=8 (i32.const 65530) (i64.const 1)))\n"
    "  (func (export \"fill_oob\") (memory.fill (i32.const 65000) (i32.const 0) (i32.const "
    "1000)))\n"
    "  (func (export \"table_oob\") (result externref) (table.get $e (i32.const 2)))\n"
    "  (func (export \"undefined\") (result i32) (call_indirect $t (type $v_i) (i32.const 4)))\n"
    "  (func (export \"uninit\") (result i32) (call_indirect $t (type $v_i) (i32.const 2)))\n"
    "  (func (export \"mismatch\") (result i32) (call_indirect $t (type $v_i) (i32.const 1)))\n"
    "  (func (export \"ok_indirect\") (result i32) (call_indirect $t (type $v_i) (i32.const 0)))\n"
    "  (func (export \"div0\") (param i32) (result i32) (i32.div_s (i32.const 1) (local.get 0)))\n"
    "  (func (export \"rem0\") (result i64) (i64.rem_u (i64.const 1) (i64.const 0)))\n"
    "  (func (export \"overflow\") (result i32) (i32.div_s (i32.const 0x80000000) (i32.const "
    "-1)))\n"
    "  (func (export \"overflow64\") (result i64)\n"
    "    (i64.div_s (i64.const 0x8000000000000000) (i64.const -1)))\n"
    "  (func (export \"conv_nan\") (result i32) (i32.trunc_f32_s (f32.const nan)))\n"
    "  (func (export \"conv_big\") (result i64) (i64.trunc_f64_u (f64.const 1e30)))\n"
    "  (func (export \"conv_sat\") (result i32) (i32.trunc_sat_f32_s (f32.const 1e30)))\n"
    "  (func $rec (export \"recurse\") (param i32) (result i32)\n"
    "    (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))\n"
    "      (else (i32.add (i32.const 1) (call $rec (i32.sub (local.get 0) (i32.const 1)))))))\n"
    "  (func $inf (export \"infinite\") (call $inf))\n"
    "  (func (export \"fine\") (result i32) (i32.const 42)))\n";

static void expect_trap(sl_instance *inst, const char *name, const sl_val *args, uint32_t nargs,
                        uint32_t nresults, sl_trap want) {
    sl_val res[2];
    sl_error err;
    memset(&err, 0, sizeof err);
    sl_status st = sl_call(inst, name, args, nargs, res, nresults, &err);
    bool ok = CHECK_STATUS(st, SL_ERR_TRAP, &err);
    ok = ok && CHECK_EQ(err.status, SL_ERR_TRAP);
    ok = ok && CHECK_EQ(err.trap, want);
    if (!ok)
        check_note("export \"%s\": trap %s, message \"%s\"", name, sl_trap_message(err.trap),
                   err.message);
}

TEST(traps_of_each_kind) {
    sl_engine *e = sl_engine_new(NULL);
    sl_store *s = sl_store_new(e, NULL);
    sl_module *m;
    sl_instance *inst = wat_instance(s, e, trap_wat, &m);
    if (inst) {
        sl_val zero = val_i32(0);
        expect_trap(inst, "unreachable", NULL, 0, 0, SL_TRAP_UNREACHABLE);
        expect_trap(inst, "load_oob", NULL, 0, 1, SL_TRAP_MEMORY_OOB);
        expect_trap(inst, "store_oob", NULL, 0, 0, SL_TRAP_MEMORY_OOB);
        expect_trap(inst, "fill_oob", NULL, 0, 0, SL_TRAP_MEMORY_OOB);
        expect_trap(inst, "table_oob", NULL, 0, 1, SL_TRAP_TABLE_OOB);
        expect_trap(inst, "undefined", NULL, 0, 1, SL_TRAP_UNDEFINED_ELEMENT);
        expect_trap(inst, "uninit", NULL, 0, 1, SL_TRAP_UNINITIALIZED);
        expect_trap(inst, "mismatch", NULL, 0, 1, SL_TRAP_INDIRECT_MISMATCH);
        expect_trap(inst, "div0", &zero, 1, 1, SL_TRAP_DIV_ZERO);
        expect_trap(inst, "rem0", NULL, 0, 1, SL_TRAP_DIV_ZERO);
        expect_trap(inst, "overflow", NULL, 0, 1, SL_TRAP_INT_OVERFLOW);
        expect_trap(inst, "overflow64", NULL, 0, 1, SL_TRAP_INT_OVERFLOW);
        expect_trap(inst, "conv_nan", NULL, 0, 1, SL_TRAP_INVALID_CONVERSION);
        expect_trap(inst, "conv_big", NULL, 0, 1, SL_TRAP_INT_OVERFLOW);
        expect_trap(inst, "infinite", NULL, 0, 0, SL_TRAP_STACK_EXHAUSTED);

        /* the messages are the spec's wording */
        CHECK(!strcmp(sl_trap_message(SL_TRAP_DIV_ZERO), "integer divide by zero"));
        CHECK(!strcmp(sl_trap_message(SL_TRAP_MEMORY_OOB), "out of bounds memory access"));

        /* no trap: everything still works afterwards */
        sl_val r, two = val_i32(2);
        sl_error err = {0};
        CHECK_STATUS(sl_call(inst, "div0", &two, 1, &r, 1, &err), SL_OK, &err);
        CHECK_EQ(r.of.i32, 0);
        CHECK_STATUS(sl_call(inst, "ok_indirect", NULL, 0, &r, 1, &err), SL_OK, &err);
        CHECK_EQ(r.of.i32, 1);
        CHECK_STATUS(sl_call(inst, "conv_sat", NULL, 0, &r, 1, &err), SL_OK, &err);
        CHECK_EQ(r.of.i32, INT32_MAX);
    }
    sl_store_free(s);
    if (m) sl_module_free(m);
    sl_engine_free(e);
}

TEST(trap_in_start_function_fails_instantiation) {
    sl_engine *e = sl_engine_new(NULL);
    sl_store *s = sl_store_new(e, NULL);
    sl_module *m = wat_module(e, "(module (func $s unreachable) (start $s))");
    sl_module *d = wat_module(e, "(module (memory 1) (data (i32.const 65535) \"ab\"))");
    REQUIRE(m && d);
    sl_error err = {0};
    CHECK(sl_instantiate(s, m, NULL, &err) == NULL);
    CHECK_STATUS(err.status, SL_ERR_TRAP, &err);
    CHECK_EQ(err.trap, SL_TRAP_UNREACHABLE);
    memset(&err, 0, sizeof err);
    CHECK(sl_instantiate(s, d, NULL, &err) == NULL);
    CHECK_STATUS(err.status, SL_ERR_TRAP, &err);
    CHECK_EQ(err.trap, SL_TRAP_MEMORY_OOB);
    sl_store_free(s);
    sl_module_free(m);
    sl_module_free(d);
    sl_engine_free(e);
}

TEST(call_depth_exhaustion_then_store_reusable) {
    sl_engine *e = sl_engine_new(NULL);
    sl_store *s = sl_store_new(e, NULL);
    sl_module *m;
    sl_instance *inst = wat_instance(s, e, trap_wat, &m);
    if (inst) {
        sl_error err = {0};
        sl_val r, n = val_i32(1000);
        CHECK_STATUS(sl_call(inst, "recurse", &n, 1, &r, 1, &err), SL_OK, &err);
        CHECK_EQ(r.of.i32, 1000);
        for (int round = 0; round < 3; round++) {
            n = val_i32(100000000);
            memset(&err, 0, sizeof err);
            CHECK_STATUS(sl_call(inst, "recurse", &n, 1, &r, 1, &err), SL_ERR_TRAP, &err);
            CHECK_EQ(err.trap, SL_TRAP_STACK_EXHAUSTED);
            CHECK(!strcmp(sl_trap_message(err.trap), "call stack exhausted"));
            n = val_i32(5000);
            CHECK_STATUS(sl_call(inst, "recurse", &n, 1, &r, 1, &err), SL_OK, &err);
            CHECK_EQ(r.of.i32, 5000);
        }
    }
    sl_store_free(s);
    if (m) sl_module_free(m);
    sl_engine_free(e);
}

TEST(call_depth_limit_is_configurable) {
    sl_engine *e = sl_engine_new(NULL);
    sl_store_limits lim = {.max_call_depth = 100};
    sl_store *s = sl_store_new(e, &lim);
    sl_module *m;
    sl_instance *inst = wat_instance(s, e, trap_wat, &m);
    if (inst) {
        sl_error err = {0};
        sl_val r, n = val_i32(50);
        CHECK_STATUS(sl_call(inst, "recurse", &n, 1, &r, 1, &err), SL_OK, &err);
        n = val_i32(200);
        CHECK_STATUS(sl_call(inst, "recurse", &n, 1, &r, 1, &err), SL_ERR_TRAP, &err);
        CHECK_EQ(err.trap, SL_TRAP_STACK_EXHAUSTED);
        n = val_i32(50);
        CHECK_STATUS(sl_call(inst, "recurse", &n, 1, &r, 1, &err), SL_OK, &err);
        CHECK_EQ(r.of.i32, 50);
    }
    sl_store_free(s);
    if (m) sl_module_free(m);
    sl_engine_free(e);
}

TEST(memory_limit_of_store) {
    sl_engine *e = sl_engine_new(NULL);
    sl_store_limits lim = {.max_memory_pages = 4};
    sl_store *s = sl_store_new(e, &lim);
    sl_module *m;
    sl_instance *inst =
        wat_instance(s, e,
                     "(module (memory (export \"mem\") 1)\n"
                     "  (func (export \"grow\") (param i32) (result i32) (memory.grow (local.get "
                     "0)))\n"
                     "  (func (export \"size\") (result i32) (memory.size)))",
                     &m);
    if (inst) {
        sl_error err = {0};
        sl_val r, a = val_i32(3);
        CHECK_STATUS(sl_call(inst, "grow", &a, 1, &r, 1, &err), SL_OK, &err);
        CHECK_EQ(r.of.i32, 1);
        a = val_i32(1);
        CHECK_STATUS(sl_call(inst, "grow", &a, 1, &r, 1, &err), SL_OK, &err);
        CHECK_EQ(r.of.i32, -1);
        a = val_i32(0);
        CHECK_STATUS(sl_call(inst, "grow", &a, 1, &r, 1, &err), SL_OK, &err);
        CHECK_EQ(r.of.i32, 4);
        a = val_i32(65536);
        CHECK_STATUS(sl_call(inst, "grow", &a, 1, &r, 1, &err), SL_OK, &err);
        CHECK_EQ(r.of.i32, -1);
        CHECK_EQ(sl_memory_grow(sl_instance_memory(inst, 0), 1), -1);
        CHECK_STATUS(sl_call(inst, "size", NULL, 0, &r, 1, &err), SL_OK, &err);
        CHECK_EQ(r.of.i32, 4);
    }
    /* a module whose minimum exceeds the limit cannot be instantiated */
    sl_module *big = wat_module(e, "(module (memory 5))");
    if (big) {
        sl_error err = {0};
        CHECK(sl_instantiate(s, big, NULL, &err) == NULL);
        CHECK(err.status != SL_OK);
    }
    sl_store_free(s);
    if (m) sl_module_free(m);
    if (big) sl_module_free(big);
    sl_engine_free(e);
}

/* ---- Interruption ------------------------------------------------------------------------- */

static const char *loop_wat = "(module\n"
                              "  (func (export \"spin\") (loop $l (br $l)))\n"
                              "  (func (export \"spin_calls\") (loop $l (call $g) (br $l)))\n"
                              "  (func $g)\n"
                              "  (func (export \"count\") (param i32) (result i32) (local i32)\n"
                              "    (block $done (loop $l\n"
                              "      (br_if $done (i32.ge_u (local.get 1) (local.get 0)))\n"
                              "      (local.set 1 (i32.add (local.get 1) (i32.const 1)))\n"
                              "      (br $l)))\n"
                              "    (local.get 1))\n"
                              "  (func (export \"fine\") (result i32) (i32.const 42)))\n";

typedef struct spin_arg {
    sl_instance *inst;
    const char *name;
    sl_status status;
    sl_error err;
    double started, returned; /* ms */
    _Atomic int running;      /* set by the spinning thread, polled by the test's */
} spin_arg;

static void *spin_thread(void *p) {
    spin_arg *a = p;
    a->started = now_ms();
    a->running = 1;
    a->status = sl_call(a->inst, a->name, NULL, 0, NULL, 0, &a->err);
    a->returned = now_ms();
    return NULL;
}

static void interrupt_case(sl_store *s, sl_instance *inst, const char *name) {
    spin_arg a = {.inst = inst, .name = name};
    pthread_t th;
    REQUIRE(pthread_create(&th, NULL, spin_thread, &a) == 0);
    while (!a.running)
        usleep(1000);
    usleep(100 * 1000); /* let it spin */
    double requested = now_ms();
    sl_store_interrupt(s);
    pthread_join(th, NULL);
    double latency = a.returned - requested;
    CHECK_STATUS(a.status, SL_ERR_TRAP, &a.err);
    CHECK_EQ(a.err.trap, SL_TRAP_INTERRUPTED);
    if (!CHECK(latency < 50.0)) check_note("%s: stopped %.1f ms after the request", name, latency);
    CHECK(a.returned - a.started >= 90.0); /* it really was running until the request */
    /* the flag stays set until cleared */
    sl_error err = {0};
    sl_val r;
    CHECK_STATUS(sl_call(inst, "spin", NULL, 0, NULL, 0, &err), SL_ERR_TRAP, &err);
    CHECK_EQ(err.trap, SL_TRAP_INTERRUPTED);
    sl_store_clear_interrupt(s);
    memset(&err, 0, sizeof err);
    CHECK_STATUS(sl_call(inst, "fine", NULL, 0, &r, 1, &err), SL_OK, &err);
    CHECK_EQ(r.of.i32, 42);
}

TEST(interrupt_from_another_thread) {
    sl_engine *e = sl_engine_new(NULL);
    sl_store *s = sl_store_new(e, NULL);
    sl_module *m;
    sl_instance *inst = wat_instance(s, e, loop_wat, &m);
    if (inst) {
        interrupt_case(s, inst, "spin");
        interrupt_case(s, inst, "spin_calls");
    }
    sl_store_free(s);
    if (m) sl_module_free(m);
    sl_engine_free(e);
}

TEST(timeout_stops_endless_loop) {
    sl_engine *e = sl_engine_new(NULL);
    sl_store *s = sl_store_new(e, NULL);
    sl_module *m;
    sl_instance *inst = wat_instance(s, e, loop_wat, &m);
    if (inst) {
        sl_store_set_timeout(s, 100);
        for (int round = 0; round < 2; round++) {
            sl_error err = {0};
            double t0 = now_ms();
            sl_status st = sl_call(inst, "spin", NULL, 0, NULL, 0, &err);
            double took = now_ms() - t0;
            CHECK_STATUS(st, SL_ERR_TRAP, &err);
            CHECK_EQ(err.trap, SL_TRAP_INTERRUPTED);
            if (!CHECK(took >= 90.0 && took < 1000.0)) check_note("took %.1f ms", took);
            /* a later short call is not affected */
            sl_val r;
            memset(&err, 0, sizeof err);
            CHECK_STATUS(sl_call(inst, "fine", NULL, 0, &r, 1, &err), SL_OK, &err);
            CHECK_EQ(r.of.i32, 42);
        }
        sl_store_set_timeout(s, 0);
        sl_val r, n = val_i32(1000000);
        sl_error err = {0};
        CHECK_STATUS(sl_call(inst, "count", &n, 1, &r, 1, &err), SL_OK, &err);
        CHECK_EQ(r.of.i32, 1000000);
    }
    sl_store_free(s);
    if (m) sl_module_free(m);
    sl_engine_free(e);
}

TEST(fuel_limits_execution) {
    sl_engine *e = sl_engine_new(NULL);
    sl_store *s = sl_store_new(e, NULL);
    sl_module *m;
    sl_instance *inst = wat_instance(s, e, loop_wat, &m);
    if (inst) {
        CHECK(sl_store_fuel(s) == UINT64_MAX);
        sl_store_set_fuel(s, 10000);
        CHECK_EQ(sl_store_fuel(s), 10000);
        sl_val r, n = val_i32(100);
        sl_error err = {0};
        CHECK_STATUS(sl_call(inst, "count", &n, 1, &r, 1, &err), SL_OK, &err);
        CHECK_EQ(r.of.i32, 100);
        uint64_t left = sl_store_fuel(s);
        CHECK(left < 10000 - 100 && left > 10000 - 1000);
        /* more iterations than fuel */
        n = val_i32(1000000);
        memset(&err, 0, sizeof err);
        CHECK_STATUS(sl_call(inst, "count", &n, 1, &r, 1, &err), SL_ERR_TRAP, &err);
        CHECK_EQ(err.trap, SL_TRAP_OUT_OF_FUEL);
        CHECK_EQ(sl_store_fuel(s), 0);
        memset(&err, 0, sizeof err);
        CHECK_STATUS(sl_call(inst, "spin", NULL, 0, NULL, 0, &err), SL_ERR_TRAP, &err);
        CHECK_EQ(err.trap, SL_TRAP_OUT_OF_FUEL);
        sl_store_set_fuel(s, 50);
        CHECK_STATUS(sl_call(inst, "spin_calls", NULL, 0, NULL, 0, &err), SL_ERR_TRAP, &err);
        CHECK_EQ(err.trap, SL_TRAP_OUT_OF_FUEL);
        sl_store_set_fuel(s, UINT64_MAX);
        n = val_i32(1000000);
        memset(&err, 0, sizeof err);
        CHECK_STATUS(sl_call(inst, "count", &n, 1, &r, 1, &err), SL_OK, &err);
        CHECK_EQ(r.of.i32, 1000000);
        CHECK(sl_store_fuel(s) == UINT64_MAX);
    }
    sl_store_free(s);
    if (m) sl_module_free(m);
    sl_engine_free(e);
}

/* ---- Bounds-check modes ------------------------------------------------------------------ */

static const char *bounds_wat =
    "(module (memory 1 4)\n"
    "  (func (export \"load8\") (param i32) (result i32) (i32.load8_u (local.get 0)))\n"
    "  (func (export \"load32\") (param i32) (result i32) (i32.load (local.get 0)))\n"
    "  (func (export \"load64_off\") (param i32) (result i64)\n"
    "    (i64.load offset=0xfffffff0 (local.get 0)))\n"
    "  (func (export \"store16\") (param i32) (i32.store16 (local.get 0) (i32.const 7)))\n"
    "  (func (export \"copy\") (param i32) (memory.copy (local.get 0) (i32.const 0) (i32.const "
    "16)))\n"
    "  (func (export \"grow\") (result i32) (memory.grow (i32.const 1))))\n";

/* One trap code (or SL_TRAP_NONE) per access, in a fixed order. */
static int bounds_results(bool explicit_checks, sl_trap *out, int max) {
    sl_engine_config cfg = {.explicit_bounds_checks = explicit_checks};
    sl_engine *e = sl_engine_new(&cfg);
    sl_store *s = sl_store_new(e, NULL);
    sl_module *m;
    int n = 0;
    sl_instance *inst = wat_instance(s, e, bounds_wat, &m);
    if (inst) {
        static const struct {
            const char *f;
            uint32_t addr;
            uint32_t nres;
            bool grow_first;
        } cases[] = {
            {"load8", 0, 1, false},           {"load8", 65535, 1, false},
            {"load8", 65536, 1, false},       {"load32", 65532, 1, false},
            {"load32", 65533, 1, false},      {"load32", 0xffffffff, 1, false},
            {"load32", 0x80000000, 1, false}, {"load64_off", 0, 1, false},
            {"load64_off", 16, 1, false},     {"store16", 65534, 0, false},
            {"store16", 65535, 0, false},     {"copy", 65520, 0, false},
            {"copy", 65521, 0, false},        {"load8", 65536, 1, true},
            {"load32", 131068, 1, false},     {"load32", 131069, 1, false},
            {"store16", 131072, 0, false},
        };
        for (size_t i = 0; i < sizeof cases / sizeof cases[0] && n < max; i++) {
            sl_error err = {0};
            sl_val r, a = val_i32((int32_t)cases[i].addr);
            if (cases[i].grow_first) sl_call(inst, "grow", NULL, 0, &r, 1, &err);
            memset(&err, 0, sizeof err);
            sl_status st = sl_call(inst, cases[i].f, &a, 1, &r, cases[i].nres, &err);
            out[n++] = st == SL_OK ? SL_TRAP_NONE : st == SL_ERR_TRAP ? err.trap : (sl_trap)-1;
        }
    }
    sl_store_free(s);
    if (m) sl_module_free(m);
    sl_engine_free(e);
    return n;
}

TEST(bounds_check_modes_agree) {
    sl_trap guard[32], explicit_[32];
    int n1 = bounds_results(false, guard, 32);
    int n2 = bounds_results(true, explicit_, 32);
    REQUIRE(n1 == 17 && n2 == 17);
    static const sl_trap want[17] = {
        SL_TRAP_NONE,       SL_TRAP_NONE,       SL_TRAP_MEMORY_OOB, SL_TRAP_NONE,
        SL_TRAP_MEMORY_OOB, SL_TRAP_MEMORY_OOB, SL_TRAP_MEMORY_OOB, SL_TRAP_MEMORY_OOB,
        SL_TRAP_MEMORY_OOB, SL_TRAP_NONE,       SL_TRAP_MEMORY_OOB, SL_TRAP_NONE,
        SL_TRAP_MEMORY_OOB, SL_TRAP_NONE,       SL_TRAP_NONE,       SL_TRAP_MEMORY_OOB,
        SL_TRAP_MEMORY_OOB,
    };
    for (int i = 0; i < 17; i++) {
        bool ok = CHECK_EQ(guard[i], want[i]);
        ok = CHECK_EQ(explicit_[i], want[i]) && ok;
        if (!ok)
            check_note("access #%d: guard pages %d, explicit %d, want %d", i, guard[i],
                       explicit_[i], want[i]);
    }
}

/* ---- Many instances ---------------------------------------------------------------------- */

static const char *counter_wat =
    "(module (memory 1) (global $g (mut i32) (i32.const 0))\n"
    "  (data (i32.const 0) \"\\05\")\n"
    "  (func (export \"bump\") (param i32) (result i32)\n"
    "    (global.set $g (i32.add (global.get $g) (local.get 0)))\n"
    "    (i32.store8 (i32.const 0) (i32.add (i32.load8_u (i32.const 0)) (i32.const 1)))\n"
    "    (i32.add (global.get $g) (i32.load8_u (i32.const 0)))))\n";

TEST(thousand_instances_in_one_store) {
    sl_engine *e = sl_engine_new(NULL);
    sl_store *s = sl_store_new(e, NULL);
    sl_module *m = wat_module(e, counter_wat);
    REQUIRE(m);
    enum { N = 1000 };
    sl_instance **insts = calloc(N, sizeof *insts);
    int made = 0;
    for (int i = 0; i < N; i++) {
        sl_error err = {0};
        insts[i] = sl_instantiate(s, m, NULL, &err);
        if (!CHECK_STATUS(err.status, SL_OK, &err)) break;
        made++;
        sl_val a = val_i32(i), r;
        CHECK_STATUS(sl_call(insts[i], "bump", &a, 1, &r, 1, &err), SL_OK, &err);
        CHECK_EQ(r.of.i32, i + 6);
    }
    CHECK_EQ(made, N);
    /* every instance has its own state */
    int bad = 0;
    for (int i = 0; i < made; i++) {
        sl_error err = {0};
        sl_val a = val_i32(1), r;
        if (sl_call(insts[i], "bump", &a, 1, &r, 1, &err) != SL_OK || r.of.i32 != i + 1 + 7) bad++;
    }
    CHECK_EQ(bad, 0);
    free(insts);
    sl_store_free(s);
    sl_module_free(m);
    sl_engine_free(e);
}

TEST(thousand_instances_in_many_stores) {
    sl_engine *e = sl_engine_new(NULL);
    sl_module *m = wat_module(e, counter_wat);
    REQUIRE(m);
    enum { N = 1000, LIVE = 50 };
    sl_store *live[LIVE] = {0};
    int ok = 0;
    for (int i = 0; i < N; i++) {
        sl_store *s = sl_store_new(e, NULL);
        if (!s) break;
        sl_error err = {0};
        sl_instance *inst = sl_instantiate(s, m, NULL, &err);
        sl_val a = val_i32(3), r;
        if (inst && sl_call(inst, "bump", &a, 1, &r, 1, &err) == SL_OK && r.of.i32 == 3 + 6)
            ok++;
        else if (i - ok < 3)
            check_note("store %d: %s", i, err.message);
        /* keep some stores alive at once, free the others right away */
        if (live[i % LIVE]) sl_store_free(live[i % LIVE]);
        live[i % LIVE] = s;
    }
    CHECK_EQ(ok, N);
    for (int i = 0; i < LIVE; i++)
        if (live[i]) sl_store_free(live[i]);
    sl_module_free(m);
    sl_engine_free(e);
}

/* One module shared by several threads, each with its own store. */
typedef struct thread_arg {
    sl_engine *engine;
    const sl_module *module;
    int ok;
} thread_arg;

static void *instance_thread(void *p) {
    thread_arg *a = p;
    for (int i = 0; i < 100; i++) {
        sl_store *s = sl_store_new(a->engine, NULL);
        sl_instance *inst = sl_instantiate(s, a->module, NULL, NULL);
        sl_val v = val_i32(i), r;
        if (inst && sl_call(inst, "bump", &v, 1, &r, 1, NULL) == SL_OK && r.of.i32 == i + 6)
            a->ok++;
        sl_store_free(s);
    }
    return NULL;
}

TEST(module_shared_between_threads) {
    sl_engine *e = sl_engine_new(NULL);
    sl_module *m = wat_module(e, counter_wat);
    REQUIRE(m);
    pthread_t th[4];
    thread_arg args[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (thread_arg){.engine = e, .module = m};
        pthread_create(&th[i], NULL, instance_thread, &args[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        CHECK_EQ(args[i].ok, 100);
    }
    sl_module_free(m);
    sl_engine_free(e);
}
