/*
 * validate.c - Wasm 2.0 validation.
 *
 * Module-level rules first (limits, indices, constant expressions, exports, start), then
 * every function body with the operand-stack + control-stack algorithm of the spec's
 * appendix. Instructions are read with sl_read_instr (opcodes.c); an instruction with a fixed
 * signature is typed from its line of opcodes.def, the others (OPS lines) by check_special.
 * The decoder already checked the encoding, so the few structural errors found here (an
 * invalid block type, `else` without `if`, a missing data count section) are reported as
 * SL_ERR_MALFORMED; everything else is SL_ERR_INVALID.
 *
 * Constant expressions are checked with the same machinery in a restricted mode, re-reading
 * them from the module bytes at sl_constexpr.offset.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm/module.h"
#include "vm/opcodes.h"
#include "vm/reader.h"

#define MAX_PAGES 65536u
/* Operand stack depth we accept in one function: deeper stacks only come from hostile
 * input, and the compiler sizes frames from it. */
#define MAX_STACK (1u << 20)

/* The bottom type of the spec's algorithm: what an unreachable stack yields when popped. */
#define T_ANY 0

typedef struct ctrl {
    uint8_t op; /* block, loop, if, else; block for the function itself */
    bool unreachable;
    uint32_t height; /* operand stack height at entry */
    uint32_t nparams, nresults;
    const uint8_t *params, *results;
} ctrl;

typedef struct val {
    sl_module *m;
    sl_error *err;
    sl_reader r;
    const char *what; /* "func 3", "global 1 initializer", ... for messages */
    bool constexpr_mode;
    const uint8_t *instr; /* start of the current instruction */
    const char *opname;

    uint8_t *vals;
    uint32_t nvals, capvals;
    ctrl *ctrls;
    uint32_t nctrls, capctrls;
    uint8_t *locals;
    uint32_t nlocals, caplocals;
    uint8_t *scratch;
    uint32_t capscratch;
    sl_status status;
} val;

/* ---- Names for messages ------------------------------------------------------------------ */

static const char *type_name(uint8_t t) {
    return t == T_ANY ? "any" : sl_valtype_name(t);
}

/* ---- Errors ------------------------------------------------------------------------------ */

static bool verr(val *v, sl_status st, uint32_t offset, const char *fmt, va_list ap) {
    char msg[200];
    vsnprintf(msg, sizeof msg, fmt, ap);
    v->status = st;
    sl_fail(v->err, st, offset, "%s at 0x%x: %s", v->what, offset, msg);
    return false;
}

/* An invalid module at the current instruction. */
__attribute__((format(printf, 2, 3))) static bool invalid(val *v, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    verr(v, SL_ERR_INVALID, (uint32_t)(v->instr - v->m->bytes), fmt, ap);
    va_end(ap);
    return false;
}

__attribute__((format(printf, 2, 3))) static bool malformed(val *v, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    verr(v, SL_ERR_MALFORMED, (uint32_t)(v->instr - v->m->bytes), fmt, ap);
    va_end(ap);
    return false;
}

/* A failed read of the code: structural. */
static bool read_failed(val *v) {
    const char *msg = v->r.error ? v->r.error : "unexpected end";
    if (!strcmp(msg, "unexpected end")) msg = "unexpected end of section or function";
    v->instr = v->r.err_pos;
    return malformed(v, "%s", msg);
}

static bool nomem(val *v) {
    v->status = SL_ERR_NOMEM;
    sl_fail(v->err, SL_ERR_NOMEM, -1, "out of memory while validating");
    return false;
}

/* Module-level invalidity (not inside an expression). */
__attribute__((format(printf, 3, 4))) static sl_status modfail(sl_error *err, int64_t offset,
                                                               const char *fmt, ...) {
    char msg[240];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return sl_fail(err, SL_ERR_INVALID, offset, "%s", msg);
}

/* ---- Operand and control stacks ---------------------------------------------------------- */

static bool reserve(val *v, void **arr, uint32_t *cap, uint32_t need, size_t size) {
    if (need <= *cap) return true;
    uint32_t n = *cap ? *cap : 64;
    while (n < need)
        n *= 2;
    void *p = realloc(*arr, (size_t)n * size);
    if (!p) return nomem(v);
    *arr = p;
    *cap = n;
    return true;
}

static bool push_slow(val *v, uint8_t t) {
    if (v->nvals >= MAX_STACK) {
        v->status = SL_ERR_LIMIT;
        sl_fail(v->err, SL_ERR_LIMIT, v->instr - v->m->bytes,
                "%s at 0x%x: operand stack deeper than %u values", v->what,
                (uint32_t)(v->instr - v->m->bytes), MAX_STACK);
        return false;
    }
    if (!reserve(v, (void **)&v->vals, &v->capvals, v->nvals + 1, 1)) return false;
    v->vals[v->nvals++] = t;
    return true;
}

/* Most pushes fit in the array: one compare. The limit still holds, as push_slow grows the
 * array only below MAX_STACK and its sizes (64 doubled) reach MAX_STACK exactly. */
static inline bool push(val *v, uint8_t t) {
    if (v->nvals >= v->capvals) return push_slow(v, t);
    v->vals[v->nvals++] = t;
    return true;
}

static bool push_n(val *v, uint32_t n, const uint8_t *types) {
    for (uint32_t i = 0; i < n; i++)
        if (!push(v, types[i])) return false;
    return true;
}

/* Pop one value, expecting `expect` (T_ANY: any type). *got receives the actual type, T_ANY
 * when it came from the polymorphic stack of unreachable code. */
static bool pop(val *v, uint8_t expect, uint8_t *got) {
    ctrl *c = &v->ctrls[v->nctrls - 1];
    if (v->nvals == c->height) {
        if (c->unreachable) {
            if (got) *got = T_ANY;
            return true;
        }
        if (expect == T_ANY)
            return invalid(v, "type mismatch: %s expects a value, got none", v->opname);
        return invalid(v, "type mismatch: %s expects %s, got none", v->opname, type_name(expect));
    }
    uint8_t t = v->vals[--v->nvals];
    if (expect != T_ANY && t != T_ANY && t != expect)
        return invalid(v, "type mismatch: %s expects %s, got %s", v->opname, type_name(expect),
                       type_name(t));
    if (got) *got = t;
    return true;
}

static bool pop_n(val *v, uint32_t n, const uint8_t *types) {
    for (uint32_t i = n; i-- > 0;)
        if (!pop(v, types[i], NULL)) return false;
    return true;
}

static bool push_ctrl(val *v, uint8_t op, uint32_t np, const uint8_t *params, uint32_t nr,
                      const uint8_t *results) {
    if (!reserve(v, (void **)&v->ctrls, &v->capctrls, v->nctrls + 1, sizeof(ctrl))) return false;
    ctrl *c = &v->ctrls[v->nctrls++];
    c->op = op;
    c->unreachable = false;
    c->height = v->nvals;
    c->nparams = np;
    c->params = params;
    c->nresults = nr;
    c->results = results;
    return push_n(v, np, params);
}

/* Check the frame's results are exactly what is on the stack, then drop the frame. */
static bool pop_ctrl(val *v, ctrl *out) {
    ctrl *c = &v->ctrls[v->nctrls - 1];
    if (!pop_n(v, c->nresults, c->results)) return false;
    if (v->nvals != c->height)
        return invalid(v, "type mismatch: %u extra value(s) on the stack at the end of the block",
                       v->nvals - c->height);
    *out = *c;
    v->nctrls--;
    return true;
}

static void set_unreachable(val *v) {
    ctrl *c = &v->ctrls[v->nctrls - 1];
    v->nvals = c->height;
    c->unreachable = true;
}

static void label_types(const ctrl *c, uint32_t *n, const uint8_t **types) {
    if (c->op == SL_OP_LOOP) {
        *n = c->nparams;
        *types = c->params;
    } else {
        *n = c->nresults;
        *types = c->results;
    }
}

/* ---- Immediates -------------------------------------------------------------------------- */

static const uint8_t single_types[] = {SL_I32, SL_I64, SL_F32, SL_F64, SL_FUNCREF, SL_EXTERNREF};

static const uint8_t *single(uint8_t t) {
    for (size_t i = 0; i < sizeof single_types; i++)
        if (single_types[i] == t) return &single_types[i];
    return NULL;
}

/* The parameters and results of a block type (the s33 the reader decoded). */
static bool block_types(val *v, int64_t bt, uint32_t *np, const uint8_t **params, uint32_t *nr,
                        const uint8_t **results) {
    *np = 0;
    *params = NULL;
    if (bt == -0x40) {
        *nr = 0;
        *results = NULL;
        return true;
    }
    if (bt < 0) {
        uint8_t t = (uint8_t)(bt & 0x7F);
        if (t == SL_V128) return malformed(v, "SIMD (v128) is not supported yet");
        if (!(*results = single(t))) return malformed(v, "malformed block type");
        *nr = 1;
        return true;
    }
    if (bt >= v->m->ntypes) return invalid(v, "unknown type %lld", (long long)bt);
    const sl_functype *ft = &v->m->types[bt].ft;
    *np = ft->nparams;
    *params = ft->types;
    *nr = ft->nresults;
    *results = ft->types + ft->nparams;
    return true;
}

static bool need_memory(val *v, uint32_t idx) {
    if (idx >= v->m->nmemories) return invalid(v, "unknown memory %u", idx);
    return true;
}

static bool need_table(val *v, uint32_t idx) {
    if (idx >= v->m->ntables) return invalid(v, "unknown table %u", idx);
    return true;
}

static bool need_datacount(val *v, uint32_t idx) {
    /* Without a data count section the index is still checked first: a module with no data
     * at all is invalid (the text format has no data count to omit), else malformed. */
    uint32_t n = v->m->has_datacount ? v->m->datacount : v->m->ndatas;
    if (idx >= n) return invalid(v, "unknown data segment %u", idx);
    if (!v->m->has_datacount) return malformed(v, "data count section required");
    return true;
}

static bool need_elem(val *v, uint32_t idx) {
    if (idx >= v->m->nelems) return invalid(v, "unknown elem segment %u", idx);
    return true;
}

/* ---- Instructions ------------------------------------------------------------------------ */

static bool is_num(uint8_t t) {
    return t == T_ANY || (t >= SL_F64 && t <= SL_I32);
}
static bool is_ref(uint8_t t) {
    return t == T_ANY || t == SL_FUNCREF || t == SL_EXTERNREF;
}

/* The rules that come with an immediate kind, whichever instruction carries it. */
static bool check_immediates(val *v, const sl_instr *in) {
    uint8_t imm = in->info->imm;
    switch ((enum sl_imm)imm) {
    case SL_IMM_MEM1:
    case SL_IMM_MEM2:
    case SL_IMM_MEM4:
    case SL_IMM_MEM8:
    case SL_IMM_MEM16: {
        unsigned natural = imm - SL_IMM_MEM1;
        if (!need_memory(v, 0)) return false;
        if (in->a > natural)
            return invalid(v, "alignment must not be larger than natural (%s: 2**%u > 2**%u)",
                           v->opname, in->a, natural);
        return true;
    }
    case SL_IMM_MEMORY:
    case SL_IMM_MEMORY2: return need_memory(v, 0);
    case SL_IMM_DATA_MEMORY: return need_memory(v, 0) && need_datacount(v, in->a);
    case SL_IMM_DATA: return need_datacount(v, in->a);
    case SL_IMM_ELEM: return need_elem(v, in->a);
    default: return true;
    }
}

/* An instruction with a fixed signature (an OPF or OPL line of opcodes.def). */
static bool check_signature(val *v, const sl_opinfo *info) {
    for (unsigned i = info->nin; i-- > 0;)
        if (!pop(v, info->in[i], NULL)) return false;
    return !info->out || push(v, info->out);
}

static bool check_br_table(val *v, const sl_instr *in) {
    if (!pop(v, SL_I32, NULL)) return false;
    /* all labels (the default is the last) must have the same arity, and accept the stack */
    const uint8_t *p = in->items; /* the reader checked the encoding */
    uint32_t arity = 0;
    for (uint32_t i = 0; i <= in->a; i++) {
        uint32_t l = sl_rd_fast_u32(&p);
        if (l >= v->nctrls) return invalid(v, "unknown label %u", l);
        uint32_t nt;
        const uint8_t *types;
        label_types(&v->ctrls[v->nctrls - 1 - l], &nt, &types);
        if (i == 0)
            arity = nt;
        else if (nt != arity)
            return invalid(v, "type mismatch: br_table labels have %u and %u values", arity, nt);
        /* pop the label types and push back what was actually there */
        if (!reserve(v, (void **)&v->scratch, &v->capscratch, nt, 1)) return false;
        for (uint32_t k = nt; k-- > 0;)
            if (!pop(v, types[k], &v->scratch[k])) return false;
        if (!push_n(v, nt, v->scratch)) return false;
    }
    set_unreachable(v);
    return true;
}

static bool check_constexpr_op(val *v, uint16_t op) {
    switch (op) {
    case SL_OP_I32_CONST:
    case SL_OP_I64_CONST:
    case SL_OP_F32_CONST:
    case SL_OP_F64_CONST:
    case SL_OP_REF_NULL:
    case SL_OP_REF_FUNC:
    case SL_OP_GLOBAL_GET:
    case SL_OP_END: return true;
    }
    return invalid(v, "constant expression required");
}

/* The instructions of OPS lines: typed by what the module, the locals or the operands say. */
static bool check_special(val *v, const sl_instr *in, bool *done) {
    sl_module *m = v->m;
    uint32_t np = 0, nr = 0;
    const uint8_t *params = NULL, *results = NULL;
    uint8_t t1, t2;
    switch (in->op) {
    case SL_OP_UNREACHABLE: set_unreachable(v); return true;
    case SL_OP_NOP: return true;
    case SL_OP_BLOCK:
    case SL_OP_LOOP:
    case SL_OP_IF:
        if (!block_types(v, in->blocktype, &np, &params, &nr, &results)) return false;
        if (in->op == SL_OP_IF && !pop(v, SL_I32, NULL)) return false;
        if (!pop_n(v, np, params)) return false;
        return push_ctrl(v, (uint8_t)in->op, np, params, nr, results);
    case SL_OP_ELSE: {
        ctrl c;
        if (v->ctrls[v->nctrls - 1].op != SL_OP_IF) return malformed(v, "else without if");
        if (!pop_ctrl(v, &c)) return false;
        return push_ctrl(v, SL_OP_ELSE, c.nparams, c.params, c.nresults, c.results);
    }
    case SL_OP_END: {
        ctrl c;
        if (!pop_ctrl(v, &c)) return false;
        /* an if without else passes its parameters through as the results */
        if (c.op == SL_OP_IF) {
            bool same = c.nparams == c.nresults;
            for (uint32_t i = 0; same && i < c.nparams; i++)
                same = c.params[i] == c.results[i];
            if (!same) return invalid(v, "type mismatch: if without else must not change types");
        }
        if (v->nctrls == 0) {
            *done = true;
            return true;
        }
        return push_n(v, c.nresults, c.results);
    }
    case SL_OP_BR:
    case SL_OP_BR_IF: {
        if (in->a >= v->nctrls) return invalid(v, "unknown label %u", in->a);
        if (in->op == SL_OP_BR_IF && !pop(v, SL_I32, NULL)) return false;
        label_types(&v->ctrls[v->nctrls - 1 - in->a], &nr, &results);
        if (!pop_n(v, nr, results)) return false;
        if (in->op == SL_OP_BR) {
            set_unreachable(v);
            return true;
        }
        return push_n(v, nr, results);
    }
    case SL_OP_BR_TABLE: return check_br_table(v, in);
    case SL_OP_RETURN: {
        const ctrl *f = &v->ctrls[0];
        if (!pop_n(v, f->nresults, f->results)) return false;
        set_unreachable(v);
        return true;
    }
    case SL_OP_CALL: {
        if (in->a >= m->nfuncs) return invalid(v, "unknown function %u", in->a);
        const sl_functype *ft = sl_module_functype(m, in->a);
        return pop_n(v, ft->nparams, ft->types) && push_n(v, ft->nresults, ft->types + ft->nparams);
    }
    case SL_OP_CALL_INDIRECT: {
        if (!need_table(v, in->b)) return false;
        if (in->a >= m->ntypes) return invalid(v, "unknown type %u", in->a);
        if (m->tables[in->b].elem != SL_FUNCREF)
            return invalid(v, "type mismatch: call_indirect through %s table %u",
                           type_name(m->tables[in->b].elem), in->b);
        const sl_functype *ft = &m->types[in->a].ft;
        return pop(v, SL_I32, NULL) && pop_n(v, ft->nparams, ft->types) &&
               push_n(v, ft->nresults, ft->types + ft->nparams);
    }
    case SL_OP_DROP: return pop(v, T_ANY, NULL);
    case SL_OP_SELECT:
        if (!pop(v, SL_I32, NULL) || !pop(v, T_ANY, &t1) || !pop(v, T_ANY, &t2)) return false;
        if (!is_num(t1) || !is_num(t2))
            return invalid(v, "type mismatch: select without type needs numeric operands");
        if (t1 != t2 && t1 != T_ANY && t2 != T_ANY)
            return invalid(v, "type mismatch: select operands are %s and %s", type_name(t2),
                           type_name(t1));
        return push(v, t1 == T_ANY ? t2 : t1);
    case SL_OP_SELECT_T:
        if (in->a != 1) return invalid(v, "invalid result arity: select must have one type");
        t1 = in->items[0]; /* the reader checked it is a value type */
        return pop(v, SL_I32, NULL) && pop(v, t1, NULL) && pop(v, t1, NULL) && push(v, t1);
    case SL_OP_LOCAL_GET:
    case SL_OP_LOCAL_SET:
    case SL_OP_LOCAL_TEE:
        if (in->a >= v->nlocals) return invalid(v, "unknown local %u", in->a);
        t1 = v->locals[in->a];
        if (in->op == SL_OP_LOCAL_GET) return push(v, t1);
        if (!pop(v, t1, NULL)) return false;
        return in->op == SL_OP_LOCAL_SET || push(v, t1);
    case SL_OP_GLOBAL_GET:
    case SL_OP_GLOBAL_SET:
        if (v->constexpr_mode) {
            /* constant expressions only see imported, immutable globals */
            if (in->a >= m->nimported_globals) return invalid(v, "unknown global %u", in->a);
            if (m->globals[in->a].type.mut) return invalid(v, "constant expression required");
        }
        if (in->a >= m->nglobals) return invalid(v, "unknown global %u", in->a);
        t1 = m->globals[in->a].type.type;
        if (in->op == SL_OP_GLOBAL_GET) return push(v, t1);
        if (!m->globals[in->a].type.mut) return invalid(v, "global is immutable: global %u", in->a);
        return pop(v, t1, NULL);
    case SL_OP_TABLE_GET:
        if (!need_table(v, in->a)) return false;
        return pop(v, SL_I32, NULL) && push(v, m->tables[in->a].elem);
    case SL_OP_TABLE_SET:
        if (!need_table(v, in->a)) return false;
        return pop(v, m->tables[in->a].elem, NULL) && pop(v, SL_I32, NULL);
    case SL_OP_REF_NULL: return push(v, (uint8_t)in->a);
    case SL_OP_REF_IS_NULL:
        if (!pop(v, T_ANY, &t1)) return false;
        if (!is_ref(t1))
            return invalid(v, "type mismatch: ref.is_null expects a reference, got %s",
                           type_name(t1));
        return push(v, SL_I32);
    case SL_OP_REF_FUNC:
        if (in->a >= m->nfuncs) return invalid(v, "unknown function %u", in->a);
        if (!v->constexpr_mode && !sl_func_declared(m, in->a))
            return invalid(v, "undeclared function reference %u", in->a);
        return push(v, SL_FUNCREF);
    case SL_OP_TABLE_INIT:
        if (!need_table(v, in->b) || !need_elem(v, in->a)) return false;
        if (m->elems[in->a].type != m->tables[in->b].elem)
            return invalid(v, "type mismatch: table.init of %s segment %u into %s table %u",
                           type_name(m->elems[in->a].type), in->a, type_name(m->tables[in->b].elem),
                           in->b);
        return pop(v, SL_I32, NULL) && pop(v, SL_I32, NULL) && pop(v, SL_I32, NULL);
    case SL_OP_TABLE_COPY:
        if (!need_table(v, in->a) || !need_table(v, in->b)) return false;
        if (m->tables[in->a].elem != m->tables[in->b].elem)
            return invalid(v, "type mismatch: table.copy from %s table %u to %s table %u",
                           type_name(m->tables[in->b].elem), in->b,
                           type_name(m->tables[in->a].elem), in->a);
        return pop(v, SL_I32, NULL) && pop(v, SL_I32, NULL) && pop(v, SL_I32, NULL);
    case SL_OP_TABLE_GROW:
        return need_table(v, in->a) && pop(v, SL_I32, NULL) &&
               pop(v, m->tables[in->a].elem, NULL) && push(v, SL_I32);
    case SL_OP_TABLE_SIZE: return need_table(v, in->a) && push(v, SL_I32);
    case SL_OP_TABLE_FILL:
        return need_table(v, in->a) && pop(v, SL_I32, NULL) &&
               pop(v, m->tables[in->a].elem, NULL) && pop(v, SL_I32, NULL);
    }
    /* an OPS line of opcodes.def without a case here */
    return malformed(v, "illegal opcode");
}

/* Validate one instruction. *done is set by the `end` that closes the outermost frame. */
static bool check_instr(val *v, bool *done) {
    v->instr = v->r.pos;
    sl_instr in;
    if (!sl_read_instr(&v->r, &in)) return read_failed(v);
    v->opname = in.info->name;
    if (v->constexpr_mode && !check_constexpr_op(v, in.op)) return false;
    if (!check_immediates(v, &in)) return false;
    if (!in.info->special) return check_signature(v, in.info);
    return check_special(v, &in, done);
}

/* ---- Expressions ------------------------------------------------------------------------- */

/* Run the instructions of v->r with one frame of the given results until its `end`. */
static bool check_expr(val *v, uint32_t nresults, const uint8_t *results) {
    v->nvals = v->nctrls = 0;
    v->instr = v->r.pos;
    if (!push_ctrl(v, SL_OP_BLOCK, 0, NULL, nresults, results)) return false;
    bool done = false;
    while (!done)
        if (!check_instr(v, &done)) return false;
    return true;
}

static bool check_const(val *v, sl_constexpr *e, uint8_t type, const char *what) {
    v->what = what;
    v->constexpr_mode = true;
    v->nlocals = 0;
    sl_rd_init(&v->r, v->m->bytes, v->m->bytes + e->offset, v->m->bytes + v->m->len);
    if (!check_expr(v, 1, single(type))) return false;
    if (e->op == SL_CONST_GLOBAL_GET) e->type = type; /* for the compiler */
    return true;
}

static bool check_body(val *v, uint32_t i) {
    sl_module *m = v->m;
    uint32_t fidx = m->nimported_funcs + i;
    const sl_functype *ft = sl_module_functype(m, fidx);
    const sl_funcbody *body = &m->bodies[i];
    uint32_t n = ft->nparams + body->nlocals; /* decode bounds nlocals; no overflow */
    if (!reserve(v, (void **)&v->locals, &v->caplocals, n, 1)) return false;
    if (ft->nparams) memcpy(v->locals, ft->types, ft->nparams);
    if (body->nlocals) memcpy(v->locals + ft->nparams, body->local_types, body->nlocals);
    v->nlocals = n;
    v->constexpr_mode = false;
    char what[32];
    snprintf(what, sizeof what, "func %u", fidx);
    v->what = what;
    sl_rd_init(&v->r, m->bytes, body->code, body->code + body->code_len);
    if (!check_expr(v, ft->nresults, ft->types + ft->nparams)) return false;
    if (!sl_rd_eof(&v->r)) {
        v->instr = v->r.pos;
        return malformed(v, "unexpected content after the end of the function");
    }
    return true;
}

/* ---- Module-level rules ------------------------------------------------------------------ */

static sl_status check_limits(sl_error *err, const sl_limits *l, uint64_t bound, const char *what,
                              uint32_t idx) {
    if (l->min > bound || (l->has_max && l->max > bound))
        return modfail(err, -1, "%s %u: memory size must be at most 65536 pages (4GiB)", what, idx);
    if (l->has_max && l->min > l->max)
        return modfail(err, -1, "%s %u: size minimum must not be greater than maximum", what, idx);
    return SL_OK;
}

static int cmp_export(const void *a, const void *b) {
    const sl_export *x = *(const sl_export *const *)a, *y = *(const sl_export *const *)b;
    if (x->name_len != y->name_len) return x->name_len < y->name_len ? -1 : 1;
    return memcmp(x->name, y->name, x->name_len);
}

static sl_status check_exports(sl_module *m, sl_error *err) {
    static const char *const kinds[] = {"function", "table", "memory", "global"};
    for (uint32_t i = 0; i < m->nexports; i++) {
        const sl_export *ex = &m->exports[i];
        uint32_t n = ex->kind == SL_EXTERN_FUNC     ? m->nfuncs
                     : ex->kind == SL_EXTERN_TABLE  ? m->ntables
                     : ex->kind == SL_EXTERN_MEMORY ? m->nmemories
                                                    : m->nglobals;
        if (ex->index >= n)
            return modfail(err, -1, "export \"%s\": unknown %s %u", ex->name, kinds[ex->kind],
                           ex->index);
    }
    if (m->nexports < 2) return SL_OK;
    const sl_export **sorted = malloc(m->nexports * sizeof *sorted);
    if (!sorted) return sl_fail(err, SL_ERR_NOMEM, -1, "out of memory while validating");
    for (uint32_t i = 0; i < m->nexports; i++)
        sorted[i] = &m->exports[i];
    qsort(sorted, m->nexports, sizeof *sorted, cmp_export);
    sl_status st = SL_OK;
    for (uint32_t i = 1; i < m->nexports && st == SL_OK; i++)
        if (cmp_export(&sorted[i - 1], &sorted[i]) == 0)
            st = modfail(err, -1, "duplicate export name \"%s\"", sorted[i]->name);
    free(sorted);
    return st;
}

static sl_status check_module(val *v) {
    sl_module *m = v->m;
    sl_error *err = v->err;
    char what[64];
    sl_status st;

    for (uint32_t i = 0; i < m->nfuncs; i++)
        if (m->func_types[i] >= m->ntypes)
            return modfail(err, -1, "func %u: unknown type %u", i, m->func_types[i]);
    for (uint32_t i = 0; i < m->ntables; i++)
        if ((st = check_limits(err, &m->tables[i].limits, UINT32_MAX, "table", i))) return st;
    if (m->nmemories > 1) return modfail(err, -1, "multiple memories");
    for (uint32_t i = 0; i < m->nmemories; i++)
        if ((st = check_limits(err, &m->memories[i], MAX_PAGES, "memory", i))) return st;

    for (uint32_t i = m->nimported_globals; i < m->nglobals; i++) {
        snprintf(what, sizeof what, "global %u initializer", i);
        if (!check_const(v, &m->globals[i].init, m->globals[i].type.type, what)) return v->status;
    }
    for (uint32_t i = 0; i < m->nelems; i++) {
        sl_elem *e = &m->elems[i];
        if (e->mode == SL_SEG_ACTIVE) {
            if (e->table >= m->ntables)
                return modfail(err, -1, "elem segment %u: unknown table %u", i, e->table);
            if (m->tables[e->table].elem != e->type)
                return modfail(err, -1, "elem segment %u: type mismatch: %s segment for %s table",
                               i, type_name(e->type), type_name(m->tables[e->table].elem));
            snprintf(what, sizeof what, "elem segment %u offset", i);
            if (!check_const(v, &e->offset, SL_I32, what)) return v->status;
        }
        for (uint32_t k = 0; k < e->count; k++) {
            sl_constexpr *it = &e->items[k];
            if (it->offset == 0) { /* a bare function index (flags 0-3) */
                if (it->index >= m->nfuncs)
                    return modfail(err, -1, "elem segment %u: unknown function %u", i, it->index);
                continue;
            }
            snprintf(what, sizeof what, "elem segment %u item %u", i, k);
            if (!check_const(v, it, e->type, what)) return v->status;
        }
    }
    for (uint32_t i = 0; i < m->ndatas; i++) {
        sl_data *d = &m->datas[i];
        if (d->mode != SL_SEG_ACTIVE) continue;
        if (d->memory >= m->nmemories)
            return modfail(err, -1, "data segment %u: unknown memory %u", i, d->memory);
        snprintf(what, sizeof what, "data segment %u offset", i);
        if (!check_const(v, &d->offset, SL_I32, what)) return v->status;
    }
    if (m->has_start) {
        if (m->start >= m->nfuncs) return modfail(err, -1, "unknown function %u", m->start);
        const sl_functype *ft = sl_module_functype(m, m->start);
        if (ft->nparams || ft->nresults)
            return modfail(err, -1, "start function %u must have type [] -> []", m->start);
    }
    if ((st = check_exports(m, err))) return st;

    for (uint32_t i = 0; i < m->nfuncs - m->nimported_funcs; i++)
        if (!check_body(v, i)) return v->status;
    return SL_OK;
}

sl_status sl_validate(sl_module *m, sl_error *err) {
    val v;
    memset(&v, 0, sizeof v);
    v.m = m;
    v.err = err;
    v.what = "module";
    sl_status st = check_module(&v);
    free(v.vals);
    free(v.ctrls);
    free(v.locals);
    free(v.scratch);
    return st;
}
