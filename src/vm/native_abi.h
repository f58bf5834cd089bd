/*
 * native_abi.h - what native code compiled by src/compile/ reads and calls in the runtime
 * (docs/native.md, "The ABI between native code and the runtime").
 *
 * The compiler emits loads at the offsets of these fields, so any change here changes the
 * generated code: bump SL_NATIVE_ABI, which is part of every cache key.
 */
#ifndef SL_NATIVE_ABI_H
#define SL_NATIVE_ABI_H

#include <stdatomic.h>
#include <stdint.h>

#include "vm/runtime.h"

#define SL_NATIVE_ABI 3u
/* Results beyond the first of a multi-value return travel through sl_native_ctx.results. */
#define SL_NATIVE_MAX_EXTRA_RESULTS 16u

/* One per instance that runs native code. */
typedef struct sl_native_ctx {
    uint8_t *mem0_base;     /* memory 0's base; reloaded by native code after calls and grow */
    uint64_t mem0_size;     /* bytes accessible now (explicit-bounds mode) */
    _Atomic uint32_t *poll; /* &store->poll */
    sl_store *store;
    sl_instance *inst;
    sl_memory *mem0;
    sl_global **globals; /* inst->globals: global i is globals[i]->val */
    uint32_t depth, max_depth;
    uint64_t results[SL_NATIVE_MAX_EXTRA_RESULTS];
    sl_table **tables;          /* inst->tables, for call_indirect */
    const uint32_t *type_canon; /* module type index -> the engine's canonical id (engines
                                 * number types in their own order, so it is not in the code) */
    uintptr_t stack_limit;      /* below this frame address the C stack is exhausted: trap */
} sl_native_ctx;

/* The runtime functions native code calls, by these names (the loader resolves them). */
/* Leave native code with a trap: siglongjmp to the store's innermost sl_exec. */
_Noreturn void sl_nrt_trap(sl_native_ctx *ctx, int32_t code);
/* The slow side of the poll: interrupt or fuel. Returns only if the guest may continue. */
void sl_nrt_poll(sl_native_ctx *ctx);
/* memory.grow on memory 0: the old size in pages or -1; updates mem0_base/mem0_size. */
int32_t sl_nrt_memory_grow(sl_native_ctx *ctx, uint32_t delta);
/* Call function `funcidx` of ctx->inst (an import, a host function or one left on the
 * interpreter) with arguments in slots[0..nparams); results come back in slots. Traps keep
 * unwinding to the caller's activation. */
void sl_nrt_call(sl_native_ctx *ctx, uint32_t funcidx, sl_slot *slots);
/* The same for a function reached by call_indirect (checked by the caller). */
void sl_nrt_call_ref(sl_native_ctx *ctx, sl_func *f, sl_slot *slots);

#endif
