/*
 * module.h - the in-memory form of a decoded module.
 *
 * decode.c fills it from the binary, validate.c checks it, compile.c adds the internal code
 * of each function. After that it is never written again, so instances and threads share it.
 * All index spaces (functions, tables, memories, globals) list imports first, as in the spec.
 */
#ifndef SL_MODULE_H
#define SL_MODULE_H

#include "sluice.h"

/* A constant expression (global initializers, segment offsets, element items). In Wasm 2.0
 * it is exactly one instruction followed by `end`. */
typedef enum sl_constop {
    SL_CONST_I32,        /* value.i32 */
    SL_CONST_I64,        /* value.i64 */
    SL_CONST_F32,        /* value.f32 bits in value.u32 */
    SL_CONST_F64,        /* value.f64 bits in value.u64 */
    SL_CONST_V128,       /* v128 (later) */
    SL_CONST_REF_NULL,   /* reftype in `type` */
    SL_CONST_REF_FUNC,   /* function index in `index` */
    SL_CONST_GLOBAL_GET, /* global index in `index` */
} sl_constop;

typedef struct sl_constexpr {
    sl_constop op;
    uint8_t type;   /* the sl_valtype the expression produces */
    uint32_t index; /* REF_FUNC, GLOBAL_GET */
    sl_slot value;  /* numeric constants */
    uint8_t v128[16];
    uint32_t offset; /* byte offset of the expression in the module, for errors */
} sl_constexpr;

typedef struct sl_import {
    char *module, *name;           /* NUL-terminated (names containing NUL are still kept whole: */
    uint32_t module_len, name_len; /* compare with the lengths) */
    sl_externkind kind;
    uint32_t index; /* index within its kind's index space */
} sl_import;

typedef struct sl_export {
    char *name;
    uint32_t name_len;
    sl_externkind kind;
    uint32_t index;
} sl_export;

typedef struct sl_tabletype {
    uint8_t elem; /* SL_FUNCREF or SL_EXTERNREF */
    sl_limits limits;
} sl_tabletype;

typedef struct sl_globaltype {
    uint8_t type;
    bool mut;
} sl_globaltype;

typedef struct sl_global_def {
    sl_globaltype type;
    sl_constexpr init; /* only for defined (non-imported) globals */
} sl_global_def;

typedef enum sl_segmode { SL_SEG_ACTIVE, SL_SEG_PASSIVE, SL_SEG_DECLARATIVE } sl_segmode;

typedef struct sl_elem {
    sl_segmode mode;
    uint8_t type;        /* SL_FUNCREF or SL_EXTERNREF */
    uint32_t table;      /* active only */
    sl_constexpr offset; /* active only */
    uint32_t count;
    sl_constexpr *items; /* each REF_FUNC, REF_NULL or GLOBAL_GET */
} sl_elem;

typedef struct sl_data {
    sl_segmode mode; /* ACTIVE or PASSIVE */
    uint32_t memory;
    sl_constexpr offset;
    const uint8_t *bytes; /* points into sl_module.bytes */
    uint32_t len;
} sl_data;

struct sl_code; /* compiled code, see compile.h */

/* A function body. Locals are the declared locals only (parameters come from the type). */
typedef struct sl_funcbody {
    uint32_t nlocals;
    uint8_t *local_types; /* nlocals entries */
    const uint8_t *code;  /* the instructions, after the locals, up to and including `end` */
    uint32_t code_len;
    uint32_t code_offset; /* byte offset of `code` within the module, for error messages */
    struct sl_code *compiled;
} sl_funcbody;

typedef struct sl_type {
    sl_functype ft; /* ft.types points into `types` below */
    uint32_t canon; /* engine-wide id: equal types have equal ids (call_indirect checks) */
} sl_type;

struct sl_module {
    sl_engine *engine;
    uint8_t *bytes; /* owned copy of the binary */
    size_t len;

    uint32_t ntypes;
    sl_type *types;

    uint32_t nimports;
    sl_import *imports;

    /* Function index space: imported functions first, then defined ones. */
    uint32_t nfuncs, nimported_funcs;
    uint32_t *func_types; /* type index of every function */
    sl_funcbody *bodies;  /* nfuncs - nimported_funcs entries */

    uint32_t ntables, nimported_tables;
    sl_tabletype *tables;

    uint32_t nmemories, nimported_memories;
    sl_limits *memories;

    uint32_t nglobals, nimported_globals;
    sl_global_def *globals;

    uint32_t nexports;
    sl_export *exports;

    bool has_start;
    uint32_t start;

    uint32_t nelems;
    sl_elem *elems;

    bool has_datacount;
    uint32_t datacount;
    uint32_t ndatas;
    sl_data *datas;

    /* Functions referenced by ref.func outside function bodies (elements, globals, exports):
     * the only ones ref.func may name inside bodies. One bit per function index. */
    uint8_t *declared_funcs;

    /* Optional "name" custom section: function names for traps and profiles (may be NULL). */
    char **func_names;

    /* Public descriptions built once for sl_module_import/export. */
    sl_importdesc *import_descs;
    sl_exportdesc *export_descs;
};

/* decode.c: parse the binary into m (m->bytes/len already set). Structural ("malformed")
 * errors only; returns SL_OK or SL_ERR_MALFORMED with err filled. */
sl_status sl_decode(sl_module *m, sl_error *err);

/* validate.c: type-check everything ("invalid" errors). Returns SL_OK or SL_ERR_INVALID. */
sl_status sl_validate(sl_module *m, sl_error *err);

/* compile.c: translate every validated body to internal code. */
sl_status sl_compile(sl_module *m, sl_error *err);

/* module.c: free everything decode/compile allocated (not m itself). */
void sl_module_clear(sl_module *m);

/* Helpers shared by decoder, validator and compiler (error.c). */
sl_status sl_fail(sl_error *err, sl_status status, int64_t offset, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static inline const sl_functype *sl_module_functype(const sl_module *m, uint32_t funcidx) {
    return &m->types[m->func_types[funcidx]].ft;
}

static inline bool sl_func_declared(const sl_module *m, uint32_t funcidx) {
    return m->declared_funcs && (m->declared_funcs[funcidx >> 3] >> (funcidx & 7)) & 1;
}

#endif
