/*
 * test_pool.c - stores and memories reuse pooled address space (pool.c); a reused memory
 * must look brand new: zero, at its declared size, and trapping past it.
 */
#include <string.h>

#include "check.h"

static const char *wat = "(module (memory (export \"mem\") 1 4)\n"
                         " (func (export \"grow\") (result i32) (memory.grow (i32.const 2)))\n"
                         " (func (export \"peek\") (param i32) (result i32)\n"
                         "  (i32.load8_u (local.get 0))))";

TEST(pool_reused_memory_is_fresh) {
    sl_engine *engine = sl_engine_new(NULL);
    sl_module *module = wat_module(engine, wat);
    REQUIRE(module != NULL);
    for (int round = 0; round < 3; round++) {
        sl_store *store = sl_store_new(engine, NULL);
        sl_error err;
        sl_instance *inst = sl_instantiate(store, module, NULL, &err);
        REQUIRE(inst != NULL);
        sl_memory *mem = sl_instance_memory(inst, 0);
        CHECK_EQ(sl_memory_size(mem), 65536);
        /* nothing left from the previous round, at either end */
        uint8_t *data = sl_memory_data(mem);
        bool zero = true;
        for (size_t i = 0; i < 65536; i++)
            zero &= data[i] == 0;
        CHECK(zero);
        /* past the size traps, even though the previous round had grown the memory */
        sl_val arg = {.type = SL_I32, .of.i32 = 65536 + 100}, r;
        CHECK_STATUS(sl_call(inst, "peek", &arg, 1, &r, 1, &err), SL_ERR_TRAP, &err);
        CHECK_EQ(err.trap, SL_TRAP_MEMORY_OOB);
        /* dirty it and grow it for the next round */
        memset(data, 0xAB, 65536);
        CHECK_STATUS(sl_call(inst, "grow", NULL, 0, &r, 1, &err), SL_OK, &err);
        CHECK_EQ(r.of.i32, 1);
        memset(sl_memory_data(mem) + 65536, 0xCD, 2 * 65536);
        sl_store_free(store);
    }
    sl_module_free(module);
    sl_engine_free(engine);
}
