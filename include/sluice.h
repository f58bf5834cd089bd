/*
 * sluice.h - embedding API of the Sluice WebAssembly VM (libsluice).
 *
 * The objects, from longest-lived to shortest:
 *
 *   sl_engine    process-wide settings and shared caches (function type interning, the
 *                watchdog thread that enforces timeouts). Thread-safe.
 *   sl_module    a decoded, validated and compiled module. Immutable once created, so one
 *                module can be instantiated any number of times, from any number of threads.
 *   sl_linker    a table of named imports (host functions, and exports of other instances)
 *                that instantiation resolves against.
 *   sl_store     owns instances and every runtime object they create (memories, tables,
 *                globals, functions), plus the execution stack and the limits. A store is used
 *                by one thread at a time; freeing it frees everything in it.
 *   sl_instance  a module instantiated in a store.
 *
 * Errors are reported through an sl_error the caller passes in (it may be NULL). Every
 * function that can fail returns NULL or a non-zero sl_status and fills the sl_error.
 *
 * Values cross the API as sl_val (tagged) at the embedding level and as sl_slot (untagged,
 * 8 bytes) inside host functions, where the signature already says the types.
 */
#ifndef SLUICE_H
#define SLUICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SLUICE_VERSION "0.1.0"

/* ---- Types ------------------------------------------------------------------------------- */

/* Value types, numbered as in the binary format. */
typedef enum sl_valtype {
    SL_I32 = 0x7F,
    SL_I64 = 0x7E,
    SL_F32 = 0x7D,
    SL_F64 = 0x7C,
    SL_V128 = 0x7B,
    SL_FUNCREF = 0x70,
    SL_EXTERNREF = 0x6F,
} sl_valtype;

/* A function type. `types` holds the nparams parameter types followed by the nresults
 * result types (each an sl_valtype). */
typedef struct sl_functype {
    uint32_t nparams, nresults;
    const uint8_t *types;
} sl_functype;

typedef enum sl_externkind {
    SL_EXTERN_FUNC = 0,
    SL_EXTERN_TABLE = 1,
    SL_EXTERN_MEMORY = 2,
    SL_EXTERN_GLOBAL = 3,
} sl_externkind;

typedef struct sl_limits {
    uint32_t min, max; /* in pages (memory) or elements (table) */
    bool has_max;
} sl_limits;

typedef struct sl_externtype {
    sl_externkind kind;
    union {
        const sl_functype *func;
        struct {
            uint8_t elem; /* SL_FUNCREF or SL_EXTERNREF */
            sl_limits limits;
        } table;
        sl_limits memory;
        struct {
            uint8_t type; /* sl_valtype */
            bool mut;
        } global;
    } of;
} sl_externtype;

/* A tagged value. References are pointers: a funcref is an sl_func *, an externref is the
 * embedder's own pointer; NULL is the null reference of either type. */
typedef struct sl_val {
    sl_valtype type;
    union {
        int32_t i32;
        int64_t i64;
        float f32;
        double f64;
        void *ref;
        uint8_t v128[16];
    } of;
} sl_val;

/* An untagged 8-byte value, as values sit on the VM stack. An i32 occupies the low half
 * (read .i32, not .i64). */
typedef union sl_slot {
    int32_t i32;
    uint32_t u32;
    int64_t i64;
    uint64_t u64;
    float f32;
    double f64;
    void *ref;
} sl_slot;

/* ---- Errors ------------------------------------------------------------------------------ */

typedef enum sl_status {
    SL_OK = 0,
    SL_ERR_MALFORMED, /* the bytes are not a well-formed binary module */
    SL_ERR_INVALID,   /* well-formed but fails validation */
    SL_ERR_LINK,      /* an import is missing or has the wrong type */
    SL_ERR_TRAP,      /* execution trapped (including during instantiation); see sl_trap */
    SL_ERR_EXIT,      /* the guest called proc_exit; see sl_error.exit_code */
    SL_ERR_NOMEM,     /* the host ran out of memory or address space */
    SL_ERR_ARGUMENT,  /* the embedder passed a wrong argument (unknown export, bad types) */
    SL_ERR_LIMIT,     /* a configured limit (e.g. table or module size) would be exceeded */
} sl_status;

typedef enum sl_trap {
    SL_TRAP_NONE = 0,
    SL_TRAP_UNREACHABLE,        /* "unreachable" */
    SL_TRAP_MEMORY_OOB,         /* "out of bounds memory access" */
    SL_TRAP_TABLE_OOB,          /* "out of bounds table access" */
    SL_TRAP_UNDEFINED_ELEMENT,  /* "undefined element" (call_indirect index past table) */
    SL_TRAP_UNINITIALIZED,      /* "uninitialized element" (call_indirect of null) */
    SL_TRAP_INDIRECT_MISMATCH,  /* "indirect call type mismatch" */
    SL_TRAP_DIV_ZERO,           /* "integer divide by zero" */
    SL_TRAP_INT_OVERFLOW,       /* "integer overflow" */
    SL_TRAP_INVALID_CONVERSION, /* "invalid conversion to integer" */
    SL_TRAP_STACK_EXHAUSTED,    /* "call stack exhausted" */
    SL_TRAP_NULL_REFERENCE,     /* "null reference" */
    SL_TRAP_INTERRUPTED,        /* stopped by sl_store_interrupt() or the timeout */
    SL_TRAP_OUT_OF_FUEL,        /* the instruction budget ran out */
    SL_TRAP_HOST,               /* a host function reported an error */
} sl_trap;

typedef struct sl_error {
    sl_status status;
    sl_trap trap;      /* for SL_ERR_TRAP */
    int32_t exit_code; /* for SL_ERR_EXIT */
    int64_t offset;    /* byte offset in the module the error refers to, or -1 */
    char message[256]; /* human-readable, without a trailing newline */
} sl_error;

/* "i32", "funcref", ... ("?" for anything else). */
const char *sl_valtype_name(uint8_t type);
/* The spec's wording of a trap ("integer divide by zero", ...). */
const char *sl_trap_message(sl_trap trap);
const char *sl_status_name(sl_status status);

/* ---- Engine ------------------------------------------------------------------------------ */

typedef struct sl_engine sl_engine;

typedef struct sl_engine_config {
    /* Memory bounds checks: false (default) reserves 8 GiB of address space per 32-bit
     * memory so out-of-bounds accesses hit guard pages and trap through a signal handler;
     * true checks every access explicitly (portable, no large reservations). */
    bool explicit_bounds_checks;
} sl_engine_config;

/* cfg may be NULL for the defaults. */
sl_engine *sl_engine_new(const sl_engine_config *cfg);
void sl_engine_free(sl_engine *engine);

/* ---- Modules ----------------------------------------------------------------------------- */

typedef struct sl_module sl_module;

/* Decodes, validates and compiles `len` bytes (copied; the caller keeps its buffer). */
sl_module *sl_module_new(sl_engine *engine, const uint8_t *bytes, size_t len, sl_error *err);
/* Decodes and validates only; returns SL_OK or the first error. */
sl_status sl_module_validate(sl_engine *engine, const uint8_t *bytes, size_t len, sl_error *err);
void sl_module_free(sl_module *module);

/* Names are owned by the module and NUL-terminated, but a Wasm name may itself contain NUL
 * bytes: the lengths are the whole names. */
typedef struct sl_importdesc {
    const char *module, *name;
    uint32_t module_len, name_len;
    sl_externtype type;
} sl_importdesc;

typedef struct sl_exportdesc {
    const char *name;
    uint32_t name_len;
    sl_externtype type;
} sl_exportdesc;

uint32_t sl_module_import_count(const sl_module *module);
uint32_t sl_module_export_count(const sl_module *module);
/* Fill *out and return true when i is in range. */
bool sl_module_import(const sl_module *module, uint32_t i, sl_importdesc *out);
bool sl_module_export(const sl_module *module, uint32_t i, sl_exportdesc *out);

/* The payload of the first custom section called `name` (the bytes after the section's
 * name), with its length in *len (may be NULL; 0 when there is none), or NULL when the
 * module has no such section. The pointer belongs to the module and lives as long as it.
 * sl_custom_section does the same on a module's bytes without decoding them (it returns
 * pointers into `bytes`), so a host can read a section before it compiles, and answers NULL
 * for bytes that are not a well-formed sequence of sections. */
const uint8_t *sl_module_custom_section(const sl_module *module, const char *name, size_t *len);
const uint8_t *sl_custom_section(const uint8_t *bytes, size_t len, const char *name,
                                 size_t *out_len);

/* ---- Runtime objects --------------------------------------------------------------------- */

typedef struct sl_store sl_store;
typedef struct sl_instance sl_instance;
typedef struct sl_func sl_func;
typedef struct sl_memory sl_memory;
typedef struct sl_table sl_table;
typedef struct sl_global sl_global;

typedef struct sl_extern {
    sl_externkind kind;
    union {
        sl_func *func;
        sl_table *table;
        sl_memory *memory;
        sl_global *global;
    } of;
} sl_extern;

/* ---- Host functions ---------------------------------------------------------------------- */

typedef struct sl_caller sl_caller;

/* A host function. `slots` holds the arguments (one slot each, in order); the function
 * writes its results to slots[0..nresults). Return 0 to continue, or a trap code (usually
 * through sl_caller_trap / sl_caller_exit) to unwind the guest. */
typedef int (*sl_host_fn)(sl_caller *caller, sl_slot *slots, void *user);

/* The calling instance's default memory (index 0), or NULL if it has none. *size gets its
 * current size in bytes. The pointer stays valid until the guest runs again. */
uint8_t *sl_caller_memory(sl_caller *caller, uint64_t *size);
sl_instance *sl_caller_instance(sl_caller *caller);
sl_store *sl_caller_store(sl_caller *caller);
/* Record a message and return SL_TRAP_HOST, for `return sl_caller_trap(c, "...")`. */
int sl_caller_trap(sl_caller *caller, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* End the guest as WASI proc_exit does: the outermost call returns SL_ERR_EXIT. */
int sl_caller_exit(sl_caller *caller, int32_t code);

/* Parse a signature such as "ii:I" (params:results). Letters: i=i32 I=i64 f=f32 F=f64
 * V=v128 r=funcref e=externref. The result owns its storage; free with sl_functype_free. */
sl_functype *sl_functype_parse(const char *sig);
void sl_functype_free(sl_functype *type);

/* ---- Linker ------------------------------------------------------------------------------ */

typedef struct sl_linker sl_linker;

sl_linker *sl_linker_new(sl_engine *engine);
void sl_linker_free(sl_linker *linker);
/* Define a host function `module`.`name` with signature `sig` (see sl_functype_parse).
 * Later definitions of the same name replace earlier ones. The function object belongs to
 * the linker: a linker must outlive every instance created with it. */
sl_status sl_linker_define_func(sl_linker *linker, const char *module, const char *name,
                                const char *sig, sl_host_fn fn, void *user);
/* Define one extern (e.g. a memory or global taken from another instance). */
sl_status sl_linker_define(sl_linker *linker, const char *module, const char *name, sl_extern ext);
/* The same with explicit lengths, for names that contain NUL bytes. */
sl_status sl_linker_define_n(sl_linker *linker, const char *module, size_t module_len,
                             const char *name, size_t name_len, sl_extern ext);
/* Define every export of `instance` under the module name `module`. Memories, tables,
 * globals and wasm functions never cross stores: instantiating in another store fails
 * with SL_ERR_LINK. */
sl_status sl_linker_define_instance(sl_linker *linker, const char *module, sl_instance *instance);

/* ---- Stores and limits ------------------------------------------------------------------- */

typedef struct sl_store_limits {
    uint32_t max_memory_pages; /* per memory, 64 KiB pages; 0 = 65536 (4 GiB) */
    uint32_t max_table_elems;  /* per table; 0 = 10,000,000 */
    uint32_t max_call_depth;   /* wasm frames; 0 = 20,000 */
    uint32_t stack_slots;      /* value stack, 8-byte slots; 0 = 1 Mi slots (8 MiB) */
} sl_store_limits;

/* limits may be NULL for the defaults. */
sl_store *sl_store_new(sl_engine *engine, const sl_store_limits *limits);
void sl_store_free(sl_store *store);
/* Ask the running guest to stop: safe from any thread or a signal handler. The guest traps
 * with SL_TRAP_INTERRUPTED at its next loop iteration or function entry. The flag stays set
 * until sl_store_clear_interrupt. */
void sl_store_interrupt(sl_store *store);
void sl_store_clear_interrupt(sl_store *store);
/* Whether the store has been asked to stop (by sl_store_interrupt or its timeout). Host
 * functions that block (sleeps, reads) poll it and return early, so that a timeout also
 * stops a guest waiting inside a host call. */
bool sl_store_interrupted(const sl_store *store);
/* Stop every later call that runs longer than `ms` milliseconds (0 = no timeout). The
 * engine's watchdog thread interrupts it; the flag it raised is cleared when the call returns,
 * so the next call starts with a full budget. */
void sl_store_set_timeout(sl_store *store, uint32_t ms);
/* Instruction budget: every function entry and loop iteration consumes fuel; at zero the
 * guest traps with SL_TRAP_OUT_OF_FUEL and sl_store_fuel reads 0. UINT64_MAX (the default)
 * disables it. */
void sl_store_set_fuel(sl_store *store, uint64_t fuel);
uint64_t sl_store_fuel(const sl_store *store);
/* Arbitrary embedder data, e.g. the WASI context; handy from host functions. */
void sl_store_set_data(sl_store *store, void *data);
void *sl_store_data(const sl_store *store);

/* ---- Instances --------------------------------------------------------------------------- */

/* Resolve the module's imports in `linker` (may be NULL when there are none), create its
 * memories, tables and globals, apply element and data segments and run the start
 * function. The instance belongs to the store and refers to the module: a module must
 * outlive every store it was instantiated in. If a segment or the start function traps,
 * the effects already made on imported tables and memories remain (as the spec requires). */
sl_instance *sl_instantiate(sl_store *store, const sl_module *module, const sl_linker *linker,
                            sl_error *err);
const sl_module *sl_instance_module(const sl_instance *instance);
/* Look up an export by name; returns false if there is none. */
bool sl_instance_export(sl_instance *instance, const char *name, sl_extern *out);
/* The same with an explicit length, for names that contain NUL bytes. */
bool sl_instance_export_n(sl_instance *instance, const char *name, size_t len, sl_extern *out);
sl_func *sl_instance_func(sl_instance *instance, const char *name);
sl_memory *sl_instance_memory(sl_instance *instance, uint32_t index);

/* ---- Snapshots --------------------------------------------------------------------------- */

/* The state of an instance's own memories (contents and size), globals, tables and dropped
 * segments, to reset it to later: a server instantiates once, snapshots after
 * initialization, and restores before each request, so no state leaks between requests
 * without paying for a new instance. Imported objects are not included. */
typedef struct sl_snapshot sl_snapshot;

sl_snapshot *sl_snapshot_take(sl_instance *instance, sl_error *err);
/* Reset `instance` (the one the snapshot was taken of) to the snapshot. */
sl_status sl_snapshot_restore(sl_instance *instance, const sl_snapshot *snap, sl_error *err);
void sl_snapshot_free(sl_snapshot *snap);

/* ---- Functions --------------------------------------------------------------------------- */

const sl_functype *sl_func_type(const sl_func *func);
/* Call with typed arguments; results receive the function's results. nargs and nresults must
 * match its type. */
sl_status sl_func_call(sl_store *store, sl_func *func, const sl_val *args, uint32_t nargs,
                       sl_val *results, uint32_t nresults, sl_error *err);
/* Convenience: look up export `name` and call it. */
sl_status sl_call(sl_instance *instance, const char *name, const sl_val *args, uint32_t nargs,
                  sl_val *results, uint32_t nresults, sl_error *err);

/* ---- Memories, tables, globals ----------------------------------------------------------- */

uint8_t *sl_memory_data(sl_memory *memory);
uint64_t sl_memory_size(const sl_memory *memory); /* bytes */
/* Grow by `pages`; returns the old size in pages, or -1 on failure (as memory.grow). */
int64_t sl_memory_grow(sl_memory *memory, uint32_t pages);
/* Bounds-checked copies; return false when [offset, offset+len) is out of bounds. */
bool sl_memory_read(const sl_memory *memory, uint64_t offset, void *dst, size_t len);
bool sl_memory_write(sl_memory *memory, uint64_t offset, const void *src, size_t len);

uint32_t sl_table_size(const sl_table *table);
bool sl_table_get(const sl_table *table, uint32_t index, void **ref);
bool sl_table_set(sl_table *table, uint32_t index, void *ref);

sl_val sl_global_get(const sl_global *global);
/* Fails for immutable globals and type mismatches. */
sl_status sl_global_set(sl_global *global, sl_val value);

/* Create standalone objects in a store (e.g. the spec test harness's "spectest" module). */
sl_memory *sl_memory_new(sl_store *store, sl_limits limits, sl_error *err);
sl_table *sl_table_new(sl_store *store, uint8_t elem, sl_limits limits, sl_error *err);
sl_global *sl_global_new(sl_store *store, sl_val value, bool mut, sl_error *err);

#ifdef __cplusplus
}
#endif
#endif
