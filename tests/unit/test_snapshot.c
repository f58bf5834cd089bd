/*
 * test_snapshot.c - snapshots reset an instance to its state after initialization: memory
 * contents and size, mutable globals, tables and dropped segments, also after a trap.
 */
#include <string.h>

#include "check.h"

static const char *wat =
    "(module\n"
    " (memory (export \"mem\") 1 8)\n"
    " (global $g (export \"g\") (mut i32) (i32.const 0))\n"
    " (table $t 2 10 funcref)\n"
    " (data $d \"seed\")\n"
    " (func $one (result i32) (i32.const 1))\n"
    " (elem declare func $one)\n"
    " (func (export \"init\") (global.set $g (i32.const 7)) (i32.store (i32.const 100) (i32.const "
    "42)))\n"
    " (func (export \"request\") (result i32)\n"
    "  (global.set $g (i32.add (global.get $g) (i32.const 1)))\n"
    "  (i32.store (i32.const 100) (i32.add (i32.load (i32.const 100)) (i32.const 1)))\n"
    "  (drop (memory.grow (i32.const 2)))\n"
    "  (i32.store (i32.const 131072) (i32.const 99))\n"
    "  (table.set $t (i32.const 1) (ref.func $one))\n"
    "  (drop (table.grow $t (ref.func $one) (i32.const 3)))\n"
    "  (memory.init $d (i32.const 200) (i32.const 0) (i32.const 4))\n"
    "  (data.drop $d)\n"
    "  (i32.load (i32.const 100)))\n"
    " (func (export \"crash\") (i32.store (i32.const 100) (i32.const -1)) unreachable)\n"
    " (func (export \"state\") (result i32)\n"
    "  ;; global + memory word + pages + table size + (slot 1 null) + (data not dropped)\n"
    "  (i32.add (i32.add (i32.add (global.get $g) (i32.load (i32.const 100)))\n"
    "    (i32.add (i32.mul (memory.size) (i32.const 1000)) (i32.mul (table.size $t) (i32.const "
    "100000))))\n"
    "   (i32.add (select (i32.const 10000000) (i32.const 0) (ref.is_null (table.get $t (i32.const "
    "1))))\n"
    "     (block (result i32) (memory.init $d (i32.const 300) (i32.const 0) (i32.const 1)) "
    "(i32.const 0))))))";

TEST(snapshot_restores_state_after_requests) {
    sl_engine *engine = sl_engine_new(NULL);
    sl_store *store = sl_store_new(engine, NULL);
    sl_module *module = NULL;
    sl_instance *inst = wat_instance(store, engine, wat, &module);
    REQUIRE(inst != NULL);
    sl_error err;
    sl_val r;
    CHECK_STATUS(sl_call(inst, "init", NULL, 0, NULL, 0, &err), SL_OK, &err);
    sl_snapshot *snap = sl_snapshot_take(inst, &err);
    REQUIRE(snap != NULL);
    CHECK_STATUS(sl_call(inst, "state", NULL, 0, &r, 1, &err), SL_OK, &err);
    int32_t fresh = r.of.i32; /* g 7, word 42, one page, two slots, slot 1 still null */
    CHECK_EQ(fresh, 7 + 42 + 1000 + 200000 + 10000000);
    for (int round = 0; round < 3; round++) {
        CHECK_STATUS(sl_call(inst, "request", NULL, 0, &r, 1, &err), SL_OK, &err);
        CHECK_EQ(r.of.i32, 43); /* every request sees the initialized state */
        CHECK_STATUS(sl_snapshot_restore(inst, snap, &err), SL_OK, &err);
        CHECK_STATUS(sl_call(inst, "state", NULL, 0, &r, 1, &err), SL_OK, &err);
        CHECK_EQ(r.of.i32, fresh);
        /* the grown pages are gone, and zero if grown again */
        sl_memory *mem = sl_instance_memory(inst, 0);
        CHECK_EQ(sl_memory_size(mem), 65536);
        CHECK_EQ(sl_memory_grow(mem, 2), 1);
        uint32_t v = 1;
        CHECK(sl_memory_read(mem, 131072, &v, 4));
        CHECK_EQ(v, 0);
        CHECK_STATUS(sl_snapshot_restore(inst, snap, &err), SL_OK, &err);
    }
    /* a trapped request leaves nothing behind either */
    CHECK_STATUS(sl_call(inst, "crash", NULL, 0, NULL, 0, &err), SL_ERR_TRAP, &err);
    CHECK_STATUS(sl_snapshot_restore(inst, snap, &err), SL_OK, &err);
    CHECK_STATUS(sl_call(inst, "state", NULL, 0, &r, 1, &err), SL_OK, &err);
    CHECK_EQ(r.of.i32, fresh);
    sl_snapshot_free(snap);
    sl_store_free(store);
    sl_module_free(module);
    sl_engine_free(engine);
}
