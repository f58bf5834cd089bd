/*
 * native_rt.c - what native code calls in the runtime, and the entry into native code
 * (docs/native.md, "The ABI between native code and the runtime").
 *
 * Native code runs inside an sl_exec activation exactly like the interpreter's, so a trap,
 * a guard-page fault or an interrupt unwinds to the same place with the same codes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pthread.h>

#include "vm/native.h"

/* The lowest usable frame address of this thread's stack, found once per thread
 * (pthread_getattr_np reads /proc for the main thread: too slow for every call). A thread's
 * own stack bound, so thread-local rather than shared state. */
static __thread uintptr_t stack_low;
/* Left for the runtime, the interpreter and signal handlers below the guest's last frame. */
#define STACK_RESERVE (256u << 10)

static uintptr_t thread_stack_limit(void) {
    if (stack_low) return stack_low;
    pthread_attr_t a;
    void *addr = NULL;
    size_t size = 0;
    if (pthread_getattr_np(pthread_self(), &a) == 0) {
        pthread_attr_getstack(&a, &addr, &size);
        pthread_attr_destroy(&a);
    }
    uintptr_t here = (uintptr_t)__builtin_frame_address(0);
    if (!addr || size <= STACK_RESERVE * 2) /* unknown: assume 1 MiB below here */
        stack_low = here - (1u << 20) + STACK_RESERVE;
    else
        stack_low = (uintptr_t)addr + STACK_RESERVE;
    return stack_low;
}

_Static_assert(offsetof(sl_native_ctx, mem0_base) == 0, "the ABI fixes these offsets");
_Static_assert(offsetof(sl_native_ctx, results) % 8 == 0, "results are 8-byte slots");

void sl_nrt_trap(sl_native_ctx *ctx, int32_t code) {
    (void)ctx;
    siglongjmp(sl_current_exec->jmp, code);
}

void sl_nrt_poll(sl_native_ctx *ctx) {
    sl_store *s = ctx->store;
    uint32_t poll = atomic_load_explicit(&s->poll, memory_order_relaxed);
    if (poll & SL_POLL_INTERRUPT) sl_nrt_trap(ctx, SL_TRAP_INTERRUPTED);
    if ((poll & SL_POLL_FUEL) && --s->fuel < 0) {
        s->fuel = 0;
        sl_nrt_trap(ctx, SL_TRAP_OUT_OF_FUEL);
    }
}

static void refresh_mem(sl_native_ctx *ctx) {
    ctx->mem0_base = ctx->mem0 ? ctx->mem0->base : NULL;
    ctx->mem0_size = ctx->mem0 ? ctx->mem0->size : 0;
}

int32_t sl_nrt_memory_grow(sl_native_ctx *ctx, uint32_t delta) {
    int64_t r = sl_memory_grow_pages(ctx->mem0, delta);
    refresh_mem(ctx);
    return (int32_t)r;
}

void sl_nrt_call(sl_native_ctx *ctx, uint32_t funcidx, sl_slot *slots) {
    sl_nrt_call_ref(ctx, ctx->inst->funcs[funcidx], slots);
}

void sl_nrt_call_ref(sl_native_ctx *ctx, sl_func *f, sl_slot *slots) {
    sl_store *s = ctx->store;
    /* the interpreter's frames between native ones use the C stack too */
    if ((uintptr_t)__builtin_frame_address(0) < ctx->stack_limit + STACK_RESERVE / 2)
        sl_nrt_trap(ctx, SL_TRAP_STACK_EXHAUSTED);
    if (f->native && f->nctx == ctx) {
        f->native(ctx, slots);
        return;
    }
    if (f->host) {
        /* As the interpreter calls hosts: the caller is this instance (WASI reaches its
         * memory through it), and the host's status is raised as a trap or an exit. */
        sl_slot *saved_sp = s->sp;
        s->depth = ctx->depth;
        sl_caller caller = {s, ctx->inst};
        s->trap_message[0] = 0;
        int rc = f->host(&caller, slots, f->user);
        s->sp = saved_sp;
        refresh_mem(ctx);
        if (rc) siglongjmp(sl_current_exec->jmp, rc);
        return;
    }
    /* A wasm function on the interpreter (of this or another instance): a nested activation, whose
     * trap is raised again here so that it unwinds to the native code's own activation. */
    s->depth = ctx->depth;
    sl_error err = {0};
    sl_status st = sl_interp_call(s, f, slots, &err);
    refresh_mem(ctx);
    if (st == SL_OK) return;
    if (st == SL_ERR_EXIT) siglongjmp(sl_current_exec->jmp, SL_HOST_EXIT);
    if (st == SL_ERR_TRAP) {
        if (err.trap == SL_TRAP_HOST || err.trap == SL_TRAP_INTERRUPTED)
            snprintf(s->trap_message, sizeof s->trap_message, "%s", err.message);
        siglongjmp(sl_current_exec->jmp, err.trap ? (int)err.trap : SL_TRAP_HOST);
    }
    snprintf(s->trap_message, sizeof s->trap_message, "%s", err.message);
    siglongjmp(sl_current_exec->jmp, SL_TRAP_HOST);
}

sl_status sl_native_call(sl_store *s, sl_func *f, sl_slot *slots, sl_error *err) {
    sl_native_ctx *ctx = f->nctx;
    uint32_t saved_depth = s->depth, saved_ctx_depth = ctx->depth;
    sl_slot *saved_sp = s->sp;
    ctx->depth = saved_depth;
    ctx->max_depth = s->limits.max_call_depth - 1;
    ctx->stack_limit = thread_stack_limit();
    refresh_mem(ctx);
    s->trap_message[0] = 0;
    sl_exec ex;
    ex.prev = sl_current_exec;
    ex.store = s;
    /* volatile: read after a siglongjmp back here */
    volatile bool outermost = !ex.prev || ex.prev->store != s;
    if (outermost) sl_watchdog_arm(s);
    sl_status st = SL_OK;
    int code = sigsetjmp(ex.jmp, 0);
    if (code == 0) {
        sl_current_exec = &ex;
        f->native(ctx, slots);
    } else {
        st = sl_interp_trap_status(s, err, code);
    }
    sl_current_exec = ex.prev;
    if (st == SL_ERR_TRAP && err && err->trap == SL_TRAP_INTERRUPTED && sl_watchdog_fired(s))
        sl_fail(err, SL_ERR_TRAP, -1, "interrupted: time limit of %u ms exceeded", s->timeout_ms),
            err->trap = SL_TRAP_INTERRUPTED;
    if (outermost) sl_watchdog_disarm(s);
    s->depth = saved_depth;
    s->sp = saved_sp;
    ctx->depth = saved_ctx_depth;
    return st;
}

sl_status sl_native_attach(sl_instance *inst, const sl_native_code *code, sl_error *err) {
    sl_native_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx) return sl_fail(err, SL_ERR_NOMEM, -1, "out of memory");
    ctx->poll = &inst->store->poll;
    ctx->store = inst->store;
    ctx->inst = inst;
    ctx->mem0 = inst->module->nmemories ? inst->memories[0] : NULL;
    ctx->globals = inst->globals;
    ctx->tables = inst->tables;
    /* this thread's, until an entry through sl_native_call sets the running thread's */
    ctx->stack_limit = thread_stack_limit();
    uint32_t *canon = calloc(inst->module->ntypes ? inst->module->ntypes : 1, sizeof *canon);
    if (!canon) {
        free(ctx);
        return sl_fail(err, SL_ERR_NOMEM, -1, "out of memory");
    }
    for (uint32_t i = 0; i < inst->module->ntypes; i++)
        canon[i] = inst->module->types[i].canon;
    ctx->type_canon = canon;
    ctx->max_depth = inst->store->limits.max_call_depth - 1;
    refresh_mem(ctx);
    inst->native_ctx = ctx;
    const sl_module *m = inst->module;
    for (uint32_t j = m->nimported_funcs; j < m->nfuncs && j < code->nfuncs; j++) {
        sl_func *f = &inst->own_funcs[j - m->nimported_funcs];
        if (!code->adapters[j]) continue;
        f->nctx = ctx;
        f->native = code->adapters[j];
    }
    return SL_OK;
}
