/* store.c - stores: the owner of runtime objects, the execution stacks and the limits. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "vm/ops.h"
#include "vm/native_abi.h"
#include "vm/runtime.h"

#define DEFAULT_CALL_DEPTH  20000u
#define DEFAULT_STACK_SLOTS (1u << 20)
#define DEFAULT_TABLE_ELEMS 10000000u

bool sl_objlist_add(sl_objlist *l, void *p) {
    if (l->count == l->cap) {
        uint32_t cap = l->cap ? l->cap * 2 : 16;
        void **items = realloc(l->items, cap * sizeof *items);
        if (!items) return false;
        l->items = items;
        l->cap = cap;
    }
    l->items[l->count++] = p;
    return true;
}

uint64_t sl_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A stack region, from the engine's pool if one of this size is there. */
static void *map_stack(sl_engine *engine, size_t bytes) {
    sl_region r;
    if (sl_pool_take(engine, bytes, &r)) return r.base;
    return mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                -1, 0);
}

static void unmap_stack(sl_engine *engine, void *base, size_t bytes) {
    sl_pool_give(engine, (sl_region){.base = base, .size = bytes, .rw = bytes});
}

sl_store *sl_store_new(sl_engine *engine, const sl_store_limits *limits) {
    sl_store *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->engine = engine;
    if (limits) s->limits = *limits;
    if (!s->limits.max_memory_pages || s->limits.max_memory_pages > SL_MAX_PAGES)
        s->limits.max_memory_pages = SL_MAX_PAGES;
    if (!s->limits.max_table_elems) s->limits.max_table_elems = DEFAULT_TABLE_ELEMS;
    if (!s->limits.max_call_depth) s->limits.max_call_depth = DEFAULT_CALL_DEPTH;
    if (!s->limits.stack_slots) s->limits.stack_slots = DEFAULT_STACK_SLOTS;
    s->fuel = INT64_MAX;
    s->exit_word.h = sl_interp_handlers()[SL_I_exit];
    /* The stacks are reserved, not committed: the kernel backs only the pages touched, so a
     * store that runs small functions costs a few pages however large the limits. */
    size_t stack_bytes = (size_t)s->limits.stack_slots * sizeof(sl_slot);
    size_t frame_bytes = (size_t)(s->limits.max_call_depth + 1) * sizeof(sl_frame);
    void *st = map_stack(engine, stack_bytes), *fr = map_stack(engine, frame_bytes);
    if (st == MAP_FAILED || fr == MAP_FAILED) {
        if (st != MAP_FAILED) unmap_stack(engine, st, stack_bytes);
        if (fr != MAP_FAILED) unmap_stack(engine, fr, frame_bytes);
        free(s);
        return NULL;
    }
    s->stack = st;
    s->stack_end = s->stack + s->limits.stack_slots;
    s->sp = s->stack;
    s->frames = fr;
    return s;
}

void sl_instance_destroy(sl_instance *inst) {
    const sl_module *m = inst->module;
    if (inst->elem_refs)
        for (uint32_t i = 0; i < m->nelems; i++)
            free(inst->elem_refs[i]);
    free(inst->elem_refs);
    free(inst->elem_sizes);
    free(inst->data_dropped);
    free(inst->funcs);
    free(inst->tables);
    free(inst->memories);
    free(inst->globals);
    free(inst->own_funcs);
    free(inst->own_globals);
    if (inst->native_ctx) free((void *)inst->native_ctx->type_canon);
    free(inst->native_ctx);
    free(inst);
}

void sl_store_free(sl_store *s) {
    if (!s) return;
    sl_watchdog_disarm(s);
    for (sl_instance *i = s->instances, *next; i; i = next) {
        next = i->next_in_store;
        sl_instance_destroy(i);
    }
    for (sl_memory *m = s->memories, *next; m; m = next) {
        next = m->next_in_store;
        sl_memory_destroy(s->engine, m);
    }
    for (uint32_t i = 0; i < s->tables.count; i++) {
        sl_table *t = s->tables.items[i];
        free(t->elems);
        free(t);
    }
    free(s->tables.items);
    for (uint32_t i = 0; i < s->objects.count; i++)
        free(s->objects.items[i]);
    free(s->objects.items);
    unmap_stack(s->engine, s->stack, (size_t)s->limits.stack_slots * sizeof(sl_slot));
    unmap_stack(s->engine, s->frames, (size_t)(s->limits.max_call_depth + 1) * sizeof(sl_frame));
    free(s);
}

void sl_store_interrupt(sl_store *s) {
    atomic_fetch_or_explicit(&s->poll, SL_POLL_INTERRUPT, memory_order_relaxed);
}
void sl_store_clear_interrupt(sl_store *s) {
    atomic_fetch_and_explicit(&s->poll, ~SL_POLL_INTERRUPT, memory_order_relaxed);
}
bool sl_store_interrupted(const sl_store *s) {
    return atomic_load_explicit(&s->poll, memory_order_relaxed) & SL_POLL_INTERRUPT;
}
void sl_store_set_timeout(sl_store *s, uint32_t ms) {
    s->timeout_ms = ms;
}

void sl_store_set_fuel(sl_store *s, uint64_t fuel) {
    s->fuel = fuel > INT64_MAX ? INT64_MAX : (int64_t)fuel;
    if (fuel != UINT64_MAX)
        atomic_fetch_or_explicit(&s->poll, SL_POLL_FUEL, memory_order_relaxed);
    else
        atomic_fetch_and_explicit(&s->poll, ~SL_POLL_FUEL, memory_order_relaxed);
}
uint64_t sl_store_fuel(const sl_store *s) {
    bool on = atomic_load_explicit(&s->poll, memory_order_relaxed) & SL_POLL_FUEL;
    return on ? (uint64_t)(s->fuel < 0 ? 0 : s->fuel) : UINT64_MAX;
}

void sl_store_set_data(sl_store *s, void *data) {
    s->data = data;
}
void *sl_store_data(const sl_store *s) {
    return s->data;
}
