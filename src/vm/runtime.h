/*
 * runtime.h - runtime objects: engine, store, instances, functions, memories, tables,
 * globals, and the compiled code the interpreter runs.
 */
#ifndef SL_RUNTIME_H
#define SL_RUNTIME_H

#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>

#include "vm/module.h"

#define SL_PAGE_SIZE 65536u
#define SL_MAX_PAGES 65536u
/* What a host function returns through sl_caller_exit (beyond every sl_trap). */
#define SL_HOST_EXIT 0x10000

#define SL_POLL_INTERRUPT 1u
#define SL_POLL_FUEL      2u

#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/* ---- Compiled code (compile.c writes it, interp.c runs it) --------------------------------
 *
 * A function compiles to an array of 8-byte words: each instruction is the address of its
 * handler followed by its operands. Operands naming values are byte offsets from the frame
 * pointer (slot index * 8); branch operands are absolute word pointers. See docs/vm.md. */
typedef union sl_word {
    const void *h;
    uint64_t u;
    int64_t i;
    const struct sl_code *code;
    union sl_word *target;
} sl_word;

typedef struct sl_code {
    sl_word *words;
    uint32_t nwords;
    uint32_t nparams, nresults;
    uint32_t nlocals;     /* parameters + declared locals */
    uint32_t frame_slots; /* locals + the deepest operand stack (+ call results) */
    uint32_t funcidx;
} sl_code;

/* ---- Engine ------------------------------------------------------------------------------ */

typedef struct sl_typeset {
    pthread_mutex_t lock;
    sl_functype **types; /* canonical copies, indexed by id */
    uint32_t count, cap;
    uint32_t *hash_slots; /* open addressing: id + 1, 0 = empty */
    uint32_t hash_cap;
} sl_typeset;

typedef struct sl_watchdog sl_watchdog;

/* A mapped region kept for reuse (pool.c): `rw` leading bytes are readable, writable and
 * zero (for memories), the rest inaccessible. */
typedef struct sl_region {
    uint8_t *base;
    size_t size, rw;
} sl_region;
#define SL_POOL_MAX 32

struct sl_engine {
    sl_engine_config config;
    sl_typeset types;
    sl_watchdog *watchdog; /* created on first use */
    pthread_mutex_t watchdog_lock;
    pthread_mutex_t pool_lock;
    sl_region pool[SL_POOL_MAX];
    uint32_t npool;
};

/* pool.c */
bool sl_pool_take(sl_engine *e, size_t size, sl_region *out);
void sl_pool_give(sl_engine *e, sl_region r);
void sl_pool_free(sl_engine *e);
void sl_zero_pages(uint8_t *base, size_t len);

/* The canonical id of a function type (equal types, equal ids), or UINT32_MAX on OOM. */
uint32_t sl_engine_intern(sl_engine *engine, const sl_functype *ft);
const sl_functype *sl_engine_type(sl_engine *engine, uint32_t canon);
bool sl_functype_equal(const sl_functype *a, const sl_functype *b);

/* ---- Runtime objects --------------------------------------------------------------------- */

struct sl_native_ctx; /* native_abi.h */

struct sl_func {
    const sl_functype *type; /* engine-owned canonical type */
    uint32_t canon;
    sl_instance *inst;   /* owning instance of a wasm function, NULL for host functions */
    const sl_code *code; /* wasm */
    sl_host_fn host;     /* host */
    void *user;
    /* Native code (docs/native.md): the adapter that runs this function natively, and the
     * instance's native context; NULL while the function runs on the interpreter. */
    void (*native)(struct sl_native_ctx *ctx, sl_slot *slots);
    struct sl_native_ctx *nctx;
};

struct sl_memory {
    sl_store *store; /* the owner: objects never cross stores */
    uint8_t *base;
    uint64_t size; /* bytes accessible now */
    uint32_t pages;
    uint32_t max_pages; /* the effective maximum: declared max and store limit */
    sl_limits type;     /* as declared (for import matching) */
    size_t reserved;    /* bytes of address space mapped (guard mode) or allocated */
    bool guarded;
    struct sl_memory *next_in_store;
};

struct sl_table {
    sl_store *store;
    void **elems;
    uint32_t size, cap;
    uint32_t max; /* effective maximum */
    uint8_t elem;
    sl_limits type;
};

struct sl_global {
    sl_store *store;
    sl_slot val;
    uint8_t type;
    bool mut;
};

struct sl_instance {
    sl_store *store;
    const sl_module *module;
    sl_func **funcs; /* whole function index space */
    sl_table **tables;
    sl_memory **memories;
    sl_global **globals;
    sl_func *own_funcs;     /* defined functions */
    sl_global *own_globals; /* defined globals */
    bool *data_dropped;
    void ***elem_refs; /* evaluated element segments; NULL once dropped */
    uint32_t *elem_sizes;
    struct sl_native_ctx *native_ctx; /* set by sl_native_attach, freed with the instance */
    struct sl_instance *next_in_store;
};

/* One activation of the interpreter: where traps unwind to. */
typedef struct sl_exec {
    sigjmp_buf jmp;
    struct sl_exec *prev;
    sl_store *store;
} sl_exec;

typedef struct sl_frame {
    sl_word *pc; /* where to continue in the caller */
    sl_slot *fp; /* the caller's frame */
    sl_instance *inst;
} sl_frame;

struct sl_caller {
    sl_store *store;
    sl_instance *inst;
};

typedef struct sl_objlist {
    void **items;
    uint32_t count, cap;
} sl_objlist;

struct sl_store {
    sl_engine *engine;
    sl_store_limits limits;
    /* What the interpreter's polls test, in one word so that the common case is one load:
     * SL_POLL_INTERRUPT (set from any thread) and SL_POLL_FUEL (fuel is counted). */
    _Atomic uint32_t poll;
    int64_t fuel;
    uint32_t timeout_ms;

    sl_slot *stack, *stack_end; /* value stack */
    sl_slot *sp;                /* first free slot (for nested entries from host calls) */
    sl_frame *frames;           /* call stack */
    uint32_t depth;

    sl_exec *exec;     /* innermost running activation */
    sl_word exit_word; /* the return address of every activation: the interpreter's `exit` op */
    char trap_message[256];
    int32_t exit_code;

    sl_instance *instances;
    sl_memory *memories;
    sl_objlist objects; /* globals and funcs created standalone: single blocks */
    sl_objlist tables;  /* every table (each owns its element array) */
    void *data;

    /* watchdog bookkeeping */
    struct sl_store *wd_next;
    uint64_t wd_deadline_ns;
    bool wd_registered;
    /* The watchdog, not the embedder, raised SL_POLL_INTERRUPT. Written by the watchdog's
     * thread while the store's own thread runs the guest and reads it when the guest traps:
     * atomic, and read through sl_watchdog_fired. */
    _Atomic bool wd_fired;
};

/* Whether the watchdog interrupted s (its thread, after an interrupt trap). The acquire load
 * of the poll word pairs with the watchdog's release when it raised the bit, so that a trap
 * the watchdog caused also sees its wd_fired. */
static inline bool sl_watchdog_fired(sl_store *s) {
    (void)atomic_load_explicit(&s->poll, memory_order_acquire);
    return atomic_load_explicit(&s->wd_fired, memory_order_relaxed);
}

/* memory.c */
sl_memory *sl_memory_create(sl_store *store, sl_limits limits, sl_error *err);
int64_t sl_memory_grow_pages(sl_memory *mem, uint32_t delta);
void sl_memory_destroy(sl_engine *engine, sl_memory *mem);
/* traps.c: route faults on guard pages to the running activation. */
void sl_traps_init(void);
bool sl_store_owns_address(sl_store *store, uintptr_t addr);
extern __thread sl_exec *sl_current_exec;

/* table.c */
sl_table *sl_table_create(sl_store *store, uint8_t elem, sl_limits limits, sl_error *err);
int64_t sl_table_grow_elems(sl_table *t, uint32_t delta, void *init);

/* linker.c */
const sl_extern *sl_linker_lookup(const sl_linker *l, const sl_import *imp);

/* store.c */
void sl_instance_destroy(sl_instance *inst);
bool sl_objlist_add(sl_objlist *l, void *p);

/* interp.c: run `func` with arguments in slots[0..nparams); results come back in slots. */
sl_status sl_interp_call(sl_store *store, sl_func *func, sl_slot *slots, sl_error *err);
/* The handler address table (index: the op numbers of ops.h). */
const void *const *sl_interp_handlers(void);

/* watchdog.c */
void sl_watchdog_arm(sl_store *store);
void sl_watchdog_disarm(sl_store *store);
void sl_watchdog_free(sl_engine *engine);

uint64_t sl_now_ns(void);

#endif
