/*
 * decode.c - the binary format: sections into the sl_module structure.
 *
 * Only structure is checked here (the "malformed" errors); indices, types and the other
 * static rules are validate.c's job. Function bodies are split into locals and code, but
 * their instructions are decoded by the validator. Constant expressions are scanned up to
 * their `end` here; when one is the usual single instruction it is stored in sl_constexpr,
 * and either way the validator re-checks it from the bytes at sl_constexpr.offset (so a
 * non-constant or ill-typed expression is reported as invalid, not malformed).
 *
 * Every allocation hangs off the module as soon as it is made, with counts matching the
 * initialized entries, so sl_module_clear frees a partially decoded module too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm/module.h"
#include "vm/opcodes.h"
#include "vm/reader.h"

/* Implementation limits (those of the JS API, which other engines share too). Locals bound
 * the compiler's frames; params and results bound the validator's work per br_table label. */
#define SL_MAX_LOCALS 50000u
#define SL_MAX_ARITY  1000u

enum {
    SEC_CUSTOM = 0,
    SEC_TYPE,
    SEC_IMPORT,
    SEC_FUNCTION,
    SEC_TABLE,
    SEC_MEMORY,
    SEC_GLOBAL,
    SEC_EXPORT,
    SEC_START,
    SEC_ELEMENT,
    SEC_CODE,
    SEC_DATA,
    SEC_DATACOUNT,
};

/* Position of each section id in the required order (datacount comes before code). */
static const uint8_t section_rank[13] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 10};

typedef struct decoder {
    sl_module *m;
    uint32_t nfunc_decls; /* entries of the function section */
    bool has_code;
    const uint8_t *names; /* "name" section payload, parsed once nfuncs is final */
    uint32_t names_len;
    /* The first implementation limit exceeded: reported after decoding, so that a malformed
     * module is still reported as malformed. */
    bool over_limit;
    uint32_t limit_offset;
    char limit_msg[96];
} decoder;

static void over_limit(decoder *d, uint32_t offset, const char *what, uint64_t n, uint32_t max) {
    if (d->over_limit) return;
    d->over_limit = true;
    d->limit_offset = offset;
    snprintf(d->limit_msg, sizeof d->limit_msg, "%s: %llu (the limit is %u)", what,
             (unsigned long long)n, max);
}

/* ---- Small helpers ----------------------------------------------------------------------- */

static void *zalloc(size_t n, size_t size) {
    return calloc(n ? n : 1, size);
}

static bool oom(sl_reader *r) {
    return sl_rd_fail(r, "out of memory");
}

static char *dup_name(const uint8_t *s, uint32_t len) {
    char *p = malloc((size_t)len + 1);
    if (!p) return NULL;
    memcpy(p, s, len);
    p[len] = 0;
    return p;
}

static bool read_limits(sl_reader *r, sl_limits *l) {
    const uint8_t *at = r->pos;
    uint8_t flag;
    if (!sl_rd_u8(r, &flag)) return false;
    /* the flag is a one-byte LEB128 in the spec's reference decoder: its wording */
    if (flag & 0x80) return sl_rd_fail_at(r, at, "integer representation too long");
    if (flag > 1) return sl_rd_fail_at(r, at, "integer too large");
    l->has_max = flag == 1;
    l->max = 0;
    if (!sl_rd_u32(r, &l->min)) return false;
    if (l->has_max && !sl_rd_u32(r, &l->max)) return false;
    return true;
}

static bool read_tabletype(sl_reader *r, sl_tabletype *t) {
    return sl_rd_reftype(r, &t->elem) && read_limits(r, &t->limits);
}

static bool read_globaltype(sl_reader *r, sl_globaltype *g) {
    if (!sl_rd_valtype(r, &g->type)) return false;
    const uint8_t *at = r->pos;
    uint8_t mut;
    if (!sl_rd_u8(r, &mut)) return false;
    if (mut > 1) return sl_rd_fail_at(r, at, "malformed mutability");
    g->mut = mut;
    return true;
}

/* ---- Instructions (only to find where a constant expression ends) ----------------------- */

/* Read one instruction (opcode and immediates, opcodes.c); tracks block nesting in *depth.
 * With a module (function bodies) it also enforces the data count section rule. */
static bool skip_instr(sl_reader *r, const sl_module *m, sl_instr *in, uint32_t *depth) {
    const uint8_t *at = r->pos;
    if (!sl_read_instr(r, in)) return false;
    uint8_t imm = in->info->imm;
    if (imm == SL_IMM_BLOCK) (*depth)++;
    if (in->op == SL_OP_END) (*depth)--;
    /* an index that can't be valid anyway is left to the validator (see there) */
    if ((imm == SL_IMM_DATA || imm == SL_IMM_DATA_MEMORY) && m && !m->has_datacount &&
        in->a < m->ndatas)
        return sl_rd_fail_at(r, at, "data count section required");
    return true;
}

/*
 * A constant expression: instructions up to the `end` that closes it. The usual single
 * constant instruction is stored in *e; anything else keeps e->op = SL_CONST_I32 with
 * e->type = 0, which the validator (re-reading from e->offset) rejects with the right error.
 */
static bool read_constexpr(sl_reader *r, sl_constexpr *e) {
    memset(e, 0, sizeof *e);
    e->offset = sl_rd_offset(r);
    uint32_t depth = 1, ninstr = 0;
    sl_instr first, in;
    while (depth > 0) {
        if (!skip_instr(r, NULL, ninstr ? &in : &first, &depth)) return false;
        if (depth > 0) ninstr++;
    }
    if (ninstr != 1) return true;

    switch (first.op) {
    case SL_OP_I32_CONST:
        e->op = SL_CONST_I32, e->type = SL_I32, e->value.i32 = (int32_t)(uint32_t)first.bits;
        break;
    case SL_OP_I64_CONST:
        e->op = SL_CONST_I64, e->type = SL_I64, e->value.i64 = (int64_t)first.bits;
        break;
    case SL_OP_F32_CONST:
        e->op = SL_CONST_F32, e->type = SL_F32, e->value.u32 = (uint32_t)first.bits;
        break;
    case SL_OP_F64_CONST: e->op = SL_CONST_F64, e->type = SL_F64, e->value.u64 = first.bits; break;
    case SL_OP_REF_NULL: e->op = SL_CONST_REF_NULL, e->type = (uint8_t)first.a; break;
    case SL_OP_REF_FUNC: e->op = SL_CONST_REF_FUNC, e->type = SL_FUNCREF, e->index = first.a; break;
    case SL_OP_GLOBAL_GET:
        /* the type comes from the global; the validator fills nothing in, it checks it */
        e->op = SL_CONST_GLOBAL_GET, e->index = first.a;
        break;
    default: break;
    }
    return true;
}

/* ---- Sections ---------------------------------------------------------------------------- */

static bool dec_types(decoder *d, sl_reader *r) {
    sl_module *m = d->m;
    uint32_t n;
    if (!sl_rd_count(r, &n)) return false;
    if (!(m->types = zalloc(n, sizeof *m->types))) return oom(r);
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *at = r->pos;
        uint8_t form;
        if (!sl_rd_u8(r, &form)) return false;
        if (form & 0x80) return sl_rd_fail_at(r, at, "integer representation too long");
        if (form != 0x60) return sl_rd_fail_at(r, at, "malformed function type");
        /* a value type is one byte, so params and results are contiguous byte runs */
        uint32_t np, nr;
        uint8_t t;
        if (!sl_rd_count(r, &np)) return false;
        const uint8_t *params = r->pos;
        for (uint32_t k = 0; k < np; k++)
            if (!sl_rd_valtype(r, &t)) return false;
        if (!sl_rd_count(r, &nr)) return false;
        const uint8_t *results = r->pos;
        for (uint32_t k = 0; k < nr; k++)
            if (!sl_rd_valtype(r, &t)) return false;
        if (np > SL_MAX_ARITY || nr > SL_MAX_ARITY)
            over_limit(d, (uint32_t)(at - r->base), "too many parameters or results",
                       np > nr ? np : nr, SL_MAX_ARITY);
        uint8_t *buf = malloc((size_t)np + nr + 1);
        if (!buf) return oom(r);
        memcpy(buf, params, np);
        memcpy(buf + np, results, nr);
        m->types[i].ft.types = buf;
        m->ntypes = i + 1;
        m->types[i].ft.nparams = np;
        m->types[i].ft.nresults = nr;
    }
    return true;
}

/* Grow an index-space array by `extra` entries (zeroed). */
static bool grow(sl_reader *r, void **arr, uint32_t have, uint32_t extra, size_t size) {
    size_t n = (size_t)have + extra;
    void *p = realloc(*arr, (n ? n : 1) * size);
    if (!p) return oom(r);
    memset((char *)p + (size_t)have * size, 0, (size_t)extra * size);
    *arr = p;
    return true;
}

static bool dec_imports(decoder *d, sl_reader *r) {
    sl_module *m = d->m;
    uint32_t n;
    if (!sl_rd_count(r, &n)) return false;
    if (!(m->imports = zalloc(n, sizeof *m->imports))) return oom(r);
    /* at most n entries of each kind */
    if (!grow(r, (void **)&m->func_types, 0, n, sizeof *m->func_types) ||
        !grow(r, (void **)&m->tables, 0, n, sizeof *m->tables) ||
        !grow(r, (void **)&m->memories, 0, n, sizeof *m->memories) ||
        !grow(r, (void **)&m->globals, 0, n, sizeof *m->globals))
        return false;
    for (uint32_t i = 0; i < n; i++) {
        sl_import *im = &m->imports[i];
        const uint8_t *mod, *name;
        uint32_t modlen, namelen;
        if (!sl_rd_name(r, &mod, &modlen) || !sl_rd_name(r, &name, &namelen)) return false;
        m->nimports = i + 1;
        if (!(im->module = dup_name(mod, modlen)) || !(im->name = dup_name(name, namelen)))
            return oom(r);
        im->module_len = modlen;
        im->name_len = namelen;
        const uint8_t *at = r->pos;
        uint8_t kind;
        if (!sl_rd_u8(r, &kind)) return false;
        switch (kind) {
        case SL_EXTERN_FUNC:
            im->index = m->nfuncs;
            if (!sl_rd_u32(r, &m->func_types[m->nfuncs])) return false;
            m->nfuncs++, m->nimported_funcs++;
            break;
        case SL_EXTERN_TABLE:
            im->index = m->ntables;
            if (!read_tabletype(r, &m->tables[m->ntables])) return false;
            m->ntables++, m->nimported_tables++;
            break;
        case SL_EXTERN_MEMORY:
            im->index = m->nmemories;
            if (!read_limits(r, &m->memories[m->nmemories])) return false;
            m->nmemories++, m->nimported_memories++;
            break;
        case SL_EXTERN_GLOBAL:
            im->index = m->nglobals;
            if (!read_globaltype(r, &m->globals[m->nglobals].type)) return false;
            m->nglobals++, m->nimported_globals++;
            break;
        default: return sl_rd_fail_at(r, at, "malformed import kind");
        }
        im->kind = (sl_externkind)kind;
    }
    return true;
}

static bool dec_functions(decoder *d, sl_reader *r) {
    sl_module *m = d->m;
    uint32_t n;
    if (!sl_rd_count(r, &n)) return false;
    if (!grow(r, (void **)&m->func_types, m->nfuncs, n, sizeof *m->func_types)) return false;
    if (!(m->bodies = zalloc(n, sizeof *m->bodies))) return oom(r);
    for (uint32_t i = 0; i < n; i++)
        if (!sl_rd_u32(r, &m->func_types[m->nfuncs + i])) return false;
    m->nfuncs += n;
    d->nfunc_decls = n;
    return true;
}

static bool dec_tables(decoder *d, sl_reader *r) {
    sl_module *m = d->m;
    uint32_t n;
    if (!sl_rd_count(r, &n)) return false;
    if (!grow(r, (void **)&m->tables, m->ntables, n, sizeof *m->tables)) return false;
    for (uint32_t i = 0; i < n; i++) {
        if (!read_tabletype(r, &m->tables[m->ntables])) return false;
        m->ntables++;
    }
    return true;
}

static bool dec_memories(decoder *d, sl_reader *r) {
    sl_module *m = d->m;
    uint32_t n;
    if (!sl_rd_count(r, &n)) return false;
    if (!grow(r, (void **)&m->memories, m->nmemories, n, sizeof *m->memories)) return false;
    for (uint32_t i = 0; i < n; i++) {
        if (!read_limits(r, &m->memories[m->nmemories])) return false;
        m->nmemories++;
    }
    return true;
}

static bool dec_globals(decoder *d, sl_reader *r) {
    sl_module *m = d->m;
    uint32_t n;
    if (!sl_rd_count(r, &n)) return false;
    if (!grow(r, (void **)&m->globals, m->nglobals, n, sizeof *m->globals)) return false;
    for (uint32_t i = 0; i < n; i++) {
        sl_global_def *g = &m->globals[m->nglobals];
        if (!read_globaltype(r, &g->type) || !read_constexpr(r, &g->init)) return false;
        m->nglobals++;
    }
    return true;
}

static bool dec_exports(decoder *d, sl_reader *r) {
    sl_module *m = d->m;
    uint32_t n;
    if (!sl_rd_count(r, &n)) return false;
    if (!(m->exports = zalloc(n, sizeof *m->exports))) return oom(r);
    for (uint32_t i = 0; i < n; i++) {
        sl_export *ex = &m->exports[i];
        const uint8_t *name;
        uint32_t len;
        if (!sl_rd_name(r, &name, &len)) return false;
        m->nexports = i + 1;
        if (!(ex->name = dup_name(name, len))) return oom(r);
        ex->name_len = len;
        const uint8_t *at = r->pos;
        uint8_t kind;
        if (!sl_rd_u8(r, &kind)) return false;
        if (kind > SL_EXTERN_GLOBAL) return sl_rd_fail_at(r, at, "malformed export kind");
        ex->kind = (sl_externkind)kind;
        if (!sl_rd_u32(r, &ex->index)) return false;
    }
    return true;
}

static bool dec_start(decoder *d, sl_reader *r) {
    d->m->has_start = true;
    return sl_rd_u32(r, &d->m->start);
}

static bool dec_elems(decoder *d, sl_reader *r) {
    sl_module *m = d->m;
    uint32_t n;
    if (!sl_rd_count(r, &n)) return false;
    if (!(m->elems = zalloc(n, sizeof *m->elems))) return oom(r);
    for (uint32_t i = 0; i < n; i++) {
        sl_elem *e = &m->elems[i];
        m->nelems = i + 1;
        const uint8_t *at = r->pos;
        uint32_t flags;
        if (!sl_rd_u32(r, &flags)) return false;
        if (flags > 7) return sl_rd_fail_at(r, at, "malformed elements segment kind");
        /* bit 0: passive/declarative, bit 1: explicit table (active) or declarative,
         * bit 2: items are expressions instead of function indices */
        e->type = SL_FUNCREF;
        if (flags & 1)
            e->mode = (flags & 2) ? SL_SEG_DECLARATIVE : SL_SEG_PASSIVE;
        else
            e->mode = SL_SEG_ACTIVE;
        if (e->mode == SL_SEG_ACTIVE) {
            if ((flags & 2) && !sl_rd_u32(r, &e->table)) return false;
            if (!read_constexpr(r, &e->offset)) return false;
        }
        bool exprs = flags & 4;
        /* flags 0 and 4 have neither elemkind nor reftype: funcref implied */
        if (flags != 0 && flags != 4) {
            if (exprs) {
                if (!sl_rd_reftype(r, &e->type)) return false;
            } else {
                const uint8_t *kat = r->pos;
                uint8_t kind;
                if (!sl_rd_u8(r, &kind)) return false;
                if (kind != 0) return sl_rd_fail_at(r, kat, "malformed element kind");
            }
        }
        uint32_t cnt;
        if (!sl_rd_count(r, &cnt)) return false;
        if (!(e->items = zalloc(cnt, sizeof *e->items))) return oom(r);
        e->count = cnt;
        for (uint32_t k = 0; k < cnt; k++) {
            sl_constexpr *it = &e->items[k];
            if (exprs) {
                if (!read_constexpr(r, it)) return false;
            } else {
                /* no expression in the binary: offset 0 tells the validator so */
                it->offset = 0;
                it->op = SL_CONST_REF_FUNC;
                it->type = SL_FUNCREF;
                if (!sl_rd_u32(r, &it->index)) return false;
            }
        }
    }
    return true;
}

static bool dec_datacount(decoder *d, sl_reader *r) {
    d->m->has_datacount = true;
    return sl_rd_u32(r, &d->m->datacount);
}

/* One body: locals, then the code up to the body's end. */
static bool dec_body(decoder *d, sl_reader *br, uint32_t fidx, sl_funcbody *b) {
    sl_module *m = d->m;
    uint32_t ngroups;
    if (!sl_rd_count(br, &ngroups)) return false;
    /* first pass: the total must fit in u32 (spec), and in our own limit */
    sl_reader scan = *br;
    uint64_t total = 0;
    for (uint32_t g = 0; g < ngroups; g++) {
        uint32_t cnt;
        uint8_t t;
        if (!sl_rd_u32(&scan, &cnt) || !sl_rd_valtype(&scan, &t)) {
            *br = scan;
            return false;
        }
        total += cnt;
        if (total > UINT32_MAX) return sl_rd_fail(br, "too many locals");
    }
    uint64_t nparams = 0;
    if (m->func_types[fidx] < m->ntypes) nparams = m->types[m->func_types[fidx]].ft.nparams;
    if (total + nparams > SL_MAX_LOCALS) {
        over_limit(d, sl_rd_offset(br), "too many locals", total + nparams, SL_MAX_LOCALS);
        total = 0; /* not allocated: decoding fails at the end */
    }
    if (!(b->local_types = zalloc(total, 1))) return oom(br);
    uint32_t k = 0;
    for (uint32_t g = 0; g < ngroups; g++) {
        uint32_t cnt = 0;
        uint8_t t = 0;
        sl_rd_u32(br, &cnt);
        sl_rd_valtype(br, &t);
        for (uint32_t c = 0; c < cnt && k < total; c++)
            b->local_types[k++] = t;
    }
    b->nlocals = (uint32_t)total;
    b->code = br->pos;
    b->code_len = (uint32_t)sl_rd_left(br);
    b->code_offset = sl_rd_offset(br);
    b->compiled = NULL;
    return true;
}

static bool dec_code(decoder *d, sl_reader *r) {
    sl_module *m = d->m;
    const uint8_t *at = r->pos;
    uint32_t n;
    if (!sl_rd_u32(r, &n)) return false;
    if (n != d->nfunc_decls)
        return sl_rd_fail_at(r, at, "function and code section have inconsistent lengths");
    d->has_code = true;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t size;
        sl_reader br;
        if (!sl_rd_count(r, &size) || !sl_rd_sub(r, size, &br)) return false;
        if (!dec_body(d, &br, m->nimported_funcs + i, &m->bodies[i])) {
            /* running off a body is "unexpected end of section or function" */
            const char *msg = br.error;
            if (!strcmp(msg, "unexpected end")) msg = "unexpected end of section or function";
            return sl_rd_fail_at(r, br.err_pos, msg);
        }
    }
    return true;
}

static bool dec_data(decoder *d, sl_reader *r) {
    sl_module *m = d->m;
    const uint8_t *at = r->pos;
    uint32_t n;
    if (!sl_rd_count(r, &n)) return false;
    if (m->has_datacount && n != m->datacount)
        return sl_rd_fail_at(r, at, "data count and data section have inconsistent lengths");
    if (!(m->datas = zalloc(n, sizeof *m->datas))) return oom(r);
    for (uint32_t i = 0; i < n; i++) {
        sl_data *ds = &m->datas[i];
        m->ndatas = i + 1;
        const uint8_t *fat = r->pos;
        uint32_t flags;
        if (!sl_rd_u32(r, &flags)) return false;
        if (flags > 2) return sl_rd_fail_at(r, fat, "malformed data segment kind");
        ds->mode = flags == 1 ? SL_SEG_PASSIVE : SL_SEG_ACTIVE;
        if (flags == 2 && !sl_rd_u32(r, &ds->memory)) return false;
        if (flags != 1 && !read_constexpr(r, &ds->offset)) return false;
        uint32_t len;
        if (!sl_rd_u32(r, &len) || !sl_rd_bytes(r, len, &ds->bytes)) return false;
        ds->len = len;
    }
    return true;
}

/* The instructions of a body must be well-formed before any of them is type-checked (a
 * malformed module is malformed even where the validator would object first). */
static bool scan_body(const sl_module *m, const sl_funcbody *b, sl_reader *r) {
    sl_rd_init(r, m->bytes, b->code, b->code + b->code_len);
    uint32_t depth = 1;
    sl_instr in;
    while (depth > 0) {
        if (sl_rd_eof(r)) return sl_rd_fail(r, "END opcode expected");
        if (!skip_instr(r, m, &in, &depth)) return false;
    }
    if (!sl_rd_eof(r)) return sl_rd_fail(r, "unexpected content after the end of the function");
    return true;
}

/* ---- The "name" custom section (best effort: errors just drop the names) ---------------- */

static void dec_names(decoder *d) {
    sl_module *m = d->m;
    sl_reader r;
    sl_rd_init(&r, m->bytes, d->names, d->names + d->names_len);
    while (!sl_rd_eof(&r)) {
        uint8_t id;
        uint32_t size;
        sl_reader s;
        if (!sl_rd_u8(&r, &id) || !sl_rd_u32(&r, &size) || !sl_rd_sub(&r, size, &s)) return;
        if (id != 1) continue; /* only function names */
        uint32_t n;
        if (!sl_rd_count(&s, &n)) return;
        if (!m->func_names && !(m->func_names = zalloc(m->nfuncs, sizeof *m->func_names))) return;
        for (uint32_t i = 0; i < n; i++) {
            uint32_t idx, len;
            const uint8_t *name;
            if (!sl_rd_u32(&s, &idx) || !sl_rd_name(&s, &name, &len)) return;
            if (idx >= m->nfuncs || m->func_names[idx]) continue;
            m->func_names[idx] = dup_name(name, len);
        }
    }
}

/* ---- Derived data ------------------------------------------------------------------------ */

static void declare(sl_module *m, const sl_constexpr *e) {
    if (e->op == SL_CONST_REF_FUNC && e->type && e->index < m->nfuncs)
        m->declared_funcs[e->index >> 3] |= (uint8_t)(1u << (e->index & 7));
}

/* C.refs: the functions ref.func may name in bodies are those referenced elsewhere. */
static bool build_declared(sl_module *m) {
    if (!(m->declared_funcs = zalloc(((size_t)m->nfuncs + 7) / 8, 1))) return false;
    for (uint32_t i = m->nimported_globals; i < m->nglobals; i++)
        declare(m, &m->globals[i].init);
    for (uint32_t i = 0; i < m->nelems; i++) {
        const sl_elem *e = &m->elems[i];
        declare(m, &e->offset);
        for (uint32_t k = 0; k < e->count; k++)
            declare(m, &e->items[k]);
    }
    for (uint32_t i = 0; i < m->ndatas; i++)
        declare(m, &m->datas[i].offset);
    for (uint32_t i = 0; i < m->nexports; i++) {
        const sl_export *ex = &m->exports[i];
        if (ex->kind == SL_EXTERN_FUNC && ex->index < m->nfuncs)
            m->declared_funcs[ex->index >> 3] |= (uint8_t)(1u << (ex->index & 7));
    }
    return true;
}

/* The public type of entity `index` of `kind`; zeroed when the index is out of range
 * (validation rejects such modules before anyone looks). */
static sl_externtype extern_type(const sl_module *m, sl_externkind kind, uint32_t index) {
    sl_externtype t;
    memset(&t, 0, sizeof t);
    t.kind = kind;
    switch (kind) {
    case SL_EXTERN_FUNC:
        if (index < m->nfuncs && m->func_types[index] < m->ntypes)
            t.of.func = &m->types[m->func_types[index]].ft;
        break;
    case SL_EXTERN_TABLE:
        if (index < m->ntables) {
            t.of.table.elem = m->tables[index].elem;
            t.of.table.limits = m->tables[index].limits;
        }
        break;
    case SL_EXTERN_MEMORY:
        if (index < m->nmemories) t.of.memory = m->memories[index];
        break;
    case SL_EXTERN_GLOBAL:
        if (index < m->nglobals) {
            t.of.global.type = m->globals[index].type.type;
            t.of.global.mut = m->globals[index].type.mut;
        }
        break;
    }
    return t;
}

static bool build_descs(sl_module *m) {
    if (!(m->import_descs = zalloc(m->nimports, sizeof *m->import_descs))) return false;
    if (!(m->export_descs = zalloc(m->nexports, sizeof *m->export_descs))) return false;
    for (uint32_t i = 0; i < m->nimports; i++) {
        const sl_import *im = &m->imports[i];
        m->import_descs[i].module = im->module;
        m->import_descs[i].name = im->name;
        m->import_descs[i].module_len = im->module_len;
        m->import_descs[i].name_len = im->name_len;
        m->import_descs[i].type = extern_type(m, im->kind, im->index);
    }
    for (uint32_t i = 0; i < m->nexports; i++) {
        const sl_export *ex = &m->exports[i];
        m->export_descs[i].name = ex->name;
        m->export_descs[i].name_len = ex->name_len;
        m->export_descs[i].type = extern_type(m, ex->kind, ex->index);
    }
    return true;
}

/* ---- Module ------------------------------------------------------------------------------ */

/* Report a reader's error. The spec distinguishes running off a section or body from
 * running off the module (header, section headers). */
static sl_status rd_error(const sl_reader *r, bool in_section, sl_error *err) {
    const char *msg = r->error;
    if (in_section && !strcmp(msg, "unexpected end")) msg = "unexpected end of section or function";
    if (!strcmp(msg, "out of memory"))
        return sl_fail(err, SL_ERR_NOMEM, sl_rd_err_offset(r), "out of memory while decoding");
    return sl_fail(err, SL_ERR_MALFORMED, sl_rd_err_offset(r), "%s", msg);
}

sl_status sl_decode(sl_module *m, sl_error *err) {
    decoder d;
    memset(&d, 0, sizeof d);
    d.m = m;
    if (m->len > UINT32_MAX)
        return sl_fail(err, SL_ERR_LIMIT, -1, "module too large (%zu bytes)", m->len);

    sl_reader r;
    sl_rd_init(&r, m->bytes, m->bytes, m->bytes + m->len);
    const uint8_t *hdr;
    if (!sl_rd_bytes(&r, 4, &hdr)) return rd_error(&r, false, err);
    if (memcmp(hdr, "\0asm", 4) != 0)
        return sl_fail(err, SL_ERR_MALFORMED, 0, "magic header not detected");
    if (!sl_rd_bytes(&r, 4, &hdr)) return rd_error(&r, false, err);
    if (memcmp(hdr, "\1\0\0\0", 4) != 0)
        return sl_fail(err, SL_ERR_MALFORMED, 4, "unknown binary version");

    unsigned last_rank = 0;
    while (!sl_rd_eof(&r)) {
        const uint8_t *sec_at = r.pos;
        uint8_t id;
        uint32_t size;
        sl_rd_u8(&r, &id);
        if (id > SEC_DATACOUNT)
            return sl_fail(err, SL_ERR_MALFORMED, sec_at - m->bytes, "malformed section id");
        const uint8_t *size_at = r.pos;
        if (!sl_rd_u32(&r, &size)) return rd_error(&r, false, err);
        if (size > sl_rd_left(&r))
            return sl_fail(err, SL_ERR_MALFORMED, size_at - m->bytes,
                           "length out of bounds: section of %u bytes but only %zu remain", size,
                           sl_rd_left(&r));
        sl_reader s;
        sl_rd_sub(&r, size, &s);
        if (id != SEC_CUSTOM) {
            if (section_rank[id] <= last_rank)
                return sl_fail(err, SL_ERR_MALFORMED, sec_at - m->bytes,
                               "unexpected content after last section");
            last_rank = section_rank[id];
        }
        bool ok = true;
        switch (id) {
        case SEC_CUSTOM: {
            const uint8_t *name;
            uint32_t len;
            ok = sl_rd_name(&s, &name, &len);
            if (ok && len == 4 && !memcmp(name, "name", 4)) {
                d.names = s.pos;
                d.names_len = (uint32_t)sl_rd_left(&s);
            }
            s.pos = s.end;
            break;
        }
        case SEC_TYPE: ok = dec_types(&d, &s); break;
        case SEC_IMPORT: ok = dec_imports(&d, &s); break;
        case SEC_FUNCTION: ok = dec_functions(&d, &s); break;
        case SEC_TABLE: ok = dec_tables(&d, &s); break;
        case SEC_MEMORY: ok = dec_memories(&d, &s); break;
        case SEC_GLOBAL: ok = dec_globals(&d, &s); break;
        case SEC_EXPORT: ok = dec_exports(&d, &s); break;
        case SEC_START: ok = dec_start(&d, &s); break;
        case SEC_ELEMENT: ok = dec_elems(&d, &s); break;
        case SEC_CODE: ok = dec_code(&d, &s); break;
        case SEC_DATA: ok = dec_data(&d, &s); break;
        case SEC_DATACOUNT: ok = dec_datacount(&d, &s); break;
        }
        if (!ok) return rd_error(&s, true, err);
        if (!sl_rd_eof(&s))
            return sl_fail(err, SL_ERR_MALFORMED, sl_rd_offset(&s), "section size mismatch");
    }

    if (d.nfunc_decls > 0 && !d.has_code)
        return sl_fail(err, SL_ERR_MALFORMED, (int64_t)m->len,
                       "function and code section have inconsistent lengths");
    if (m->has_datacount && m->datacount != m->ndatas)
        return sl_fail(err, SL_ERR_MALFORMED, (int64_t)m->len,
                       "data count and data section have inconsistent lengths");
    for (uint32_t i = 0; i < d.nfunc_decls; i++) {
        sl_reader br;
        if (!scan_body(m, &m->bodies[i], &br)) return rd_error(&br, true, err);
    }
    if (d.over_limit) return sl_fail(err, SL_ERR_LIMIT, d.limit_offset, "%s", d.limit_msg);
    if (d.names) dec_names(&d);
    if (!build_declared(m) || !build_descs(m))
        return sl_fail(err, SL_ERR_NOMEM, -1, "out of memory while decoding");
    return SL_OK;
}
