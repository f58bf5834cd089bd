/*
 * compile.c - translate validated function bodies into internal code (see docs/vm.md).
 *
 * One pass per body. The Wasm operand stack is simulated at compile time: the value at
 * height h lives in frame slot nlocals + h, so every instruction gets its operands as
 * fixed frame offsets and no stack pointer exists at run time. Three tricks keep the code
 * short:
 *  - local.get and constants push *lazy* entries: a consumer reads the local's slot (or
 *    takes the constant as an immediate) directly, and nothing is copied. A lazy entry is
 *    materialized into its own slot only when it must be: before its local is overwritten,
 *    at block boundaries, and for call arguments.
 *  - local.set after an instruction that produced the top value retargets that
 *    instruction's destination to the local instead of emitting a move.
 *  - br_if / if after an i32 compare or eqz becomes one compare-and-branch instruction.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "vm/opcodes.h"
#include "vm/ops.h"
#include "vm/reader.h"
#include "vm/runtime.h"

#define NONE UINT32_MAX

enum { V_TEMP, V_LOCAL, V_CONST };
typedef struct ventry {
    uint8_t kind;
    uint32_t local; /* V_LOCAL */
    uint64_t val;   /* V_CONST: the bits, as the slot would hold them */
} ventry;

enum { C_BLOCK, C_LOOP, C_IF, C_FUNC };
typedef struct cframe {
    uint8_t kind;
    bool dead;       /* the rest of the block is unreachable */
    uint32_t height; /* operand height below the block's parameters */
    uint32_t nparams, nresults;
    uint32_t head;       /* LOOP: code index of the loop head */
    uint32_t fixups;     /* words waiting for the end label: a chain of index + 1 */
    uint32_t else_fixup; /* IF: words waiting for the else label */
} cframe;

typedef struct comp {
    const sl_module *m;
    const void *const *H;
    bool explicit_bounds;
    sl_word *code;
    uint32_t n, cap;
    uint32_t *relocs; /* words holding a code index, to become pointers at the end */
    uint32_t nrelocs, caprelocs;
    ventry *stack;
    uint32_t h, stackcap, maxh;
    cframe *ctl;
    uint32_t nctl, ctlcap;
    uint32_t nlocals;
    /* where the last two instructions start (NONE after a label), for fusing a loop
     * counter's increment into the branch after it */
    uint32_t last_insn, prev_insn;
    /* the last instruction, if a mov, for pairing with the next one */
    uint32_t mov_pos, mov_end;
    /* the last instruction that produced the top value, for retargeting and fusion */
    uint32_t def_pos, def_end, def_h;
    int def_op;
    bool oom;
} comp;

/* ---- tables derived from ops.h ---------------------------------------------------------- */

/* What an OPL line of opcodes.def lowers its instruction to (all zero for the others). */
typedef struct numinfo {
    int16_t op, imm; /* internal op, and its immediate variant or -1 */
    uint8_t arity;   /* operands popped */
} numinfo;

typedef struct brinfo {
    int cmp, cmp_imm; /* the compare op and its immediate variant */
    int inv;          /* index in brs[] of the negated compare */
    int br, br_back, br_imm, br_imm_back;
    int inc_back, inc_imm_back;   /* with the loop counter's increment fused in */
    int step_back, step_imm_back; /* the same, stepping by a frame operand */
} brinfo;

/* For a binary op: its variants with a loaded operand / a stored result, and the memory op
 * each fuses (0 = none). */
typedef struct fuseinfo {
    int ld, ld_mem, st, st_mem;
} fuseinfo;

#define B_COUNT(name, inv) +1
enum { NUM_CMP_BRANCHES = 0 SL_CMP_BRANCHES(B_COUNT) };
#undef B_COUNT

static numinfo numtab[SL_OPCODE_LIMIT]; /* by Wasm opcode id */
static int indexed[SL_NUM_OPS];         /* a load's indexed form (guarded), or 0 */
static fuseinfo fuse[SL_NUM_OPS];
static brinfo brs[NUM_CMP_BRANCHES];
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

static void build_tables(void) {
    int16_t imm_variant[SL_NUM_OPS] = {0}; /* 0: none (op 0 has no _imm variant) */
#define N_I(name) imm_variant[SL_I_##name] = SL_I_##name##_imm;
    SL_IMM_OPS(N_I)
#define OPF(name, text, prefix, code, imm, in1, in2, in3, out)
#define OPS(name, text, prefix, code, imm)
#define OPL(name, text, prefix, code, imm, in1, in2, in3, out, op)                                 \
    numtab[SL_OP_##name] =                                                                         \
        (numinfo){SL_I_##op, imm_variant[SL_I_##op] ? imm_variant[SL_I_##op] : -1,                 \
                  sl_opinfo_table[SL_OP_##name].nin};
#include "vm/opcodes.def"
#undef OPF
#undef OPS
#undef OPL
#define F_LD(name, memop, T, op)                                                                   \
    fuse[SL_I_##name].ld = SL_I_##name##_ld, fuse[SL_I_##name].ld_mem = SL_I_##memop;
#define F_ST(name, memop, T, op)                                                                   \
    fuse[SL_I_##name].st = SL_I_##name##_st, fuse[SL_I_##name].st_mem = SL_I_##memop;
    SL_LOAD_BINOPS(F_LD)
    SL_STORE_BINOPS(F_ST)
#define F_IX(name, T, st) indexed[SL_I_##name] = SL_I_##name##_x;
    SL_INDEXED_LOADS(F_IX)
#undef F_IX
    int k = 0;
#define B_OP(name, inv)                                                                            \
    brs[k++] = (brinfo){SL_I_##name,                                                               \
                        SL_I_##name##_imm,                                                         \
                        SL_I_##inv,                                                                \
                        SL_I_br_##name,                                                            \
                        SL_I_br_##name##_back,                                                     \
                        SL_I_br_##name##_imm,                                                      \
                        SL_I_br_##name##_imm_back,                                                 \
                        SL_I_br_inc_##name##_back,                                                 \
                        SL_I_br_inc_##name##_imm_back,                                             \
                        SL_I_br_step_##name##_back,                                                \
                        SL_I_br_step_##name##_imm_back};
    SL_CMP_BRANCHES(B_OP)
    /* resolve each negation from its compare op to its index */
    for (int i = 0; i < k; i++)
        for (int j = 0; j < k; j++)
            if (brs[j].cmp == brs[i].inv) {
                brs[i].inv = j;
                break;
            }
#undef N_I
#undef B_OP
#undef F_LD
#undef F_ST
}

/* ---- emitting ---------------------------------------------------------------------------- */

static bool grow(void **p, uint32_t *cap, size_t elem, uint32_t need) {
    if (need <= *cap) return true;
    uint32_t cap2 = *cap ? *cap : 64;
    while (cap2 < need)
        cap2 *= 2;
    void *q = realloc(*p, (size_t)cap2 * elem);
    if (!q) return false;
    *p = q;
    *cap = cap2;
    return true;
}

static inline uint32_t emit_word(comp *c, sl_word w) {
    if (c->n >= c->cap && !grow((void **)&c->code, &c->cap, sizeof *c->code, c->n + 1)) {
        c->oom = true;
        return 0; /* the compile fails; index 0 keeps later patches in bounds */
    }
    c->code[c->n] = w;
    return c->n++;
}

static uint32_t emit_op(comp *c, int op) {
    c->def_pos = NONE;
    c->mov_pos = NONE;
    c->prev_insn = c->last_insn;
    c->last_insn = c->n;
    return emit_word(c, (sl_word){.h = c->H[op]});
}

/* Take back the last instruction (the one that starts at def_pos). */
static void take_back_def(comp *c) {
    c->n = c->def_pos;
    c->def_pos = NONE;
    c->last_insn = c->prev_insn;
    c->prev_insn = NONE;
}

static uint32_t emit_u(comp *c, uint64_t u) {
    return emit_word(c, (sl_word){.u = u});
}

static void add_reloc(comp *c, uint32_t pos) {
    if (!grow((void **)&c->relocs, &c->caprelocs, sizeof *c->relocs, c->nrelocs + 1)) {
        c->oom = true;
        return;
    }
    c->relocs[c->nrelocs++] = pos;
}

/* A branch target already known (a loop head). */
static void emit_label_target(comp *c, uint32_t label) {
    uint32_t pos = emit_u(c, label);
    add_reloc(c, pos);
}

/* A branch target not known yet: thread the word onto `chain`. */
static void emit_fixup_target(comp *c, uint32_t *chain) {
    uint32_t pos = emit_u(c, *chain);
    *chain = pos + 1;
}

/* A label is here: control can arrive from elsewhere, so no instruction before it may be
 * retargeted or merged with one after it. */
static void label_here(comp *c) {
    c->def_pos = NONE;
    c->mov_pos = NONE;
    c->last_insn = c->prev_insn = NONE;
}

/* Bind a label here and patch every word of `chain` with it. */
static void bind(comp *c, uint32_t *chain) {
    for (uint32_t link = *chain; link;) {
        uint32_t pos = link - 1;
        link = (uint32_t)c->code[pos].u;
        c->code[pos].u = c->n;
        add_reloc(c, pos);
    }
    *chain = 0;
    label_here(c);
}

static void mark_def(comp *c, uint32_t start, int op) {
    c->def_pos = start;
    c->def_end = c->n;
    c->def_h = c->h - 1;
    c->def_op = op;
}

/* ---- the simulated operand stack ---------------------------------------------------------- */

static uint64_t off(const comp *c, uint32_t height) {
    return (uint64_t)(c->nlocals + height) * 8;
}

static void push(comp *c, uint8_t kind, uint32_t local, uint64_t val) {
    if (c->h >= c->stackcap &&
        !grow((void **)&c->stack, &c->stackcap, sizeof *c->stack, c->h + 1)) {
        c->oom = true;
        return;
    }
    c->stack[c->h++] = (ventry){kind, local, val};
    if (c->h > c->maxh) c->maxh = c->h;
}

static void push_temp(comp *c) {
    push(c, V_TEMP, 0, 0);
}

static void emit_const(comp *c, uint64_t dst, uint64_t val) {
    emit_op(c, SL_I_const);
    emit_u(c, dst);
    emit_u(c, val);
}

static void emit_mov(comp *c, uint64_t dst, uint64_t src) {
    if (dst == src) return;
    if (c->mov_pos != NONE && c->mov_end == c->n) {
        /* a second move right after one: make the pair one instruction */
        c->code[c->mov_pos].h = c->H[SL_I_mov2];
        emit_u(c, dst);
        emit_u(c, src);
        c->mov_pos = NONE;
        return;
    }
    uint32_t start = emit_op(c, SL_I_mov);
    emit_u(c, dst);
    emit_u(c, src);
    c->mov_pos = start;
    c->mov_end = c->n;
}

/* Put entry i into its own slot. */
static void materialize(comp *c, uint32_t i) {
    ventry *e = &c->stack[i];
    if (e->kind == V_LOCAL)
        emit_mov(c, off(c, i), (uint64_t)e->local * 8);
    else if (e->kind == V_CONST)
        emit_const(c, off(c, i), e->val);
    e->kind = V_TEMP;
}

static void materialize_range(comp *c, uint32_t from, uint32_t to) {
    for (uint32_t i = from; i < to; i++)
        if (c->stack[i].kind != V_TEMP) materialize(c, i);
}

/* The frame offset to read entry i from (constants get materialized). */
static uint64_t operand(comp *c, uint32_t i) {
    ventry *e = &c->stack[i];
    if (e->kind == V_LOCAL) return (uint64_t)e->local * 8;
    if (e->kind == V_CONST) materialize(c, i);
    return off(c, i);
}

static void pop(comp *c, uint32_t n) {
    c->h -= n;
}

/* ---- instruction kinds -------------------------------------------------------------------- */

static void unop(comp *c, int op) {
    uint64_t a = operand(c, c->h - 1);
    pop(c, 1);
    uint32_t start = emit_op(c, op);
    emit_u(c, off(c, c->h));
    emit_u(c, a);
    push_temp(c);
    mark_def(c, start, op);
}

/* Is entry i the value the last instruction produced, with nothing emitted since? */
static bool just_defined(const comp *c, uint32_t i) {
    return c->def_pos != NONE && c->def_end == c->n && c->def_h == i && c->stack[i].kind == V_TEMP;
}

static bool commutative(int op) {
    switch (op) {
    case SL_I_f64_add:
    case SL_I_f64_mul:
    case SL_I_f32_add:
    case SL_I_f32_mul:
    case SL_I_i32_add:
    case SL_I_i32_and:
    case SL_I_i32_or:
    case SL_I_i32_xor:
    case SL_I_i32_mul:
    case SL_I_i64_add:
    case SL_I_i64_and:
    case SL_I_i64_or:
    case SL_I_i64_xor: return true;
    default: return false;
    }
}

/* `load; op` (or `load; local.get; op` for a commutative op) becomes op_ld, which reads its
 * right operand from memory: the load instruction is taken back and its address reused. */
static bool fuse_load(comp *c, int op) {
    const fuseinfo *fi = &fuse[op];
    if (!fi->ld) return false;
    uint32_t h = c->h;
    int want = fi->ld_mem + c->explicit_bounds;
    bool right = just_defined(c, h - 1) && c->def_op == want;
    bool left = !right && commutative(op) && just_defined(c, h - 2) && c->def_op == want &&
                c->stack[h - 1].kind == V_LOCAL;
    if (!right && !left) return false;
    uint64_t addr = c->code[c->def_pos + 2].u, offset = c->code[c->def_pos + 3].u;
    uint64_t addend = c->code[c->def_pos + 4].u;
    take_back_def(c);
    uint64_t a = left ? (uint64_t)c->stack[h - 1].local * 8 : operand(c, h - 2);
    pop(c, 2);
    int fop = fi->ld + c->explicit_bounds;
    uint32_t start = emit_op(c, fop);
    emit_u(c, off(c, c->h));
    emit_u(c, a);
    emit_u(c, addr);
    emit_u(c, offset);
    emit_u(c, addend);
    push_temp(c);
    mark_def(c, start, fop);
    return true;
}

/* The shifted-operand superinstruction for outer(a, inner_imm(x, k)), or -1. */
/* The one-instruction form of outer(a, inner(x, y)), or -1: a shifted operand (inner is a
 * shift or rotate by a constant, SL_SHIFT_BINOPS) or SL_MULACC_OPS. */
static int fused_pair(int outer, int inner) {
#define S_OP(o, i, T, op, sh)                                                                      \
    if (outer == SL_I_##o && inner == SL_I_##i##_imm) return SL_I_##o##_##i;
#define M_OP(name, o, i, T, op, iop)                                                               \
    if (outer == SL_I_##o && inner == SL_I_##i) return SL_I_##name;
    SL_SHIFT_BINOPS(S_OP)
    SL_MULACC_OPS(M_OP)
#undef S_OP
#undef M_OP
    return -1;
}

/* `x y inner; a outer` becomes one instruction [dst, a, x, y] (see fused_pair): with the
 * inner result on the right, or on the left when outer commutes and the other operand is a
 * local. */
static bool fuse_pair(comp *c, int op) {
    uint32_t h = c->h;
    bool right = just_defined(c, h - 1);
    bool left =
        !right && commutative(op) && just_defined(c, h - 2) && c->stack[h - 1].kind == V_LOCAL;
    if (!right && !left) return false;
    int fop = fused_pair(op, c->def_op);
    if (fop < 0) return false;
    uint64_t x = c->code[c->def_pos + 2].u, y = c->code[c->def_pos + 3].u;
    take_back_def(c);
    uint64_t a = left ? (uint64_t)c->stack[h - 1].local * 8 : operand(c, h - 2);
    pop(c, 2);
    uint32_t start = emit_op(c, fop);
    emit_u(c, off(c, c->h));
    emit_u(c, a);
    emit_u(c, x);
    emit_u(c, y);
    push_temp(c);
    mark_def(c, start, fop);
    return true;
}

static void binop(comp *c, int op, int imm_op) {
    uint32_t start;
    ventry *top = &c->stack[c->h - 1];
    if (fuse_load(c, op) || fuse_pair(c, op)) return;
    if (imm_op >= 0 && top->kind == V_CONST) {
        uint64_t imm = top->val;
        uint64_t a = operand(c, c->h - 2);
        pop(c, 2);
        start = emit_op(c, imm_op);
        emit_u(c, off(c, c->h));
        emit_u(c, a);
        emit_u(c, imm);
        op = imm_op;
    } else {
        uint64_t a = operand(c, c->h - 2);
        uint64_t b = operand(c, c->h - 1);
        pop(c, 2);
        start = emit_op(c, op);
        emit_u(c, off(c, c->h));
        emit_u(c, a);
        emit_u(c, b);
    }
    push_temp(c);
    mark_def(c, start, op);
}

/* An instruction taking k operands off the stack (deepest first), with immediates before
 * them, and producing one value or none: [dst?, imms..., operands...]. */
static void emit_operation(comp *c, int op, bool result, uint32_t nimm, const uint64_t *imms,
                           uint32_t k) {
    uint64_t opd[3];
    for (uint32_t i = 0; i < k; i++)
        opd[i] = operand(c, c->h - k + i);
    pop(c, k);
    uint32_t start = emit_op(c, op);
    if (result) emit_u(c, off(c, c->h));
    for (uint32_t i = 0; i < nimm; i++)
        emit_u(c, imms[i]);
    for (uint32_t i = 0; i < k; i++)
        emit_u(c, opd[i]);
    if (result) {
        push_temp(c);
        mark_def(c, start, op);
    }
}

static void produce(comp *c, int op, uint32_t nimm, const uint64_t *imms, uint32_t k) {
    emit_operation(c, op, true, nimm, imms, k);
}

static void consume(comp *c, int op, uint32_t nimm, const uint64_t *imms, uint32_t k) {
    emit_operation(c, op, false, nimm, imms, k);
}

static void set_local(comp *c, uint32_t x, bool tee) {
    /* lazy reads of x below the top must see the old value */
    for (uint32_t i = 0; i + 1 < c->h; i++)
        if (c->stack[i].kind == V_LOCAL && c->stack[i].local == x) materialize(c, i);
    ventry *top = &c->stack[c->h - 1];
    uint64_t dst = (uint64_t)x * 8;
    if (top->kind == V_TEMP && c->def_pos != NONE && c->def_end == c->n && c->def_h == c->h - 1) {
        c->code[c->def_pos + 1].u = dst; /* retarget the producer */
        c->def_pos = NONE;
    } else if (top->kind == V_CONST) {
        emit_const(c, dst, top->val);
    } else if (top->kind == V_LOCAL) {
        emit_mov(c, dst, (uint64_t)top->local * 8);
    } else {
        emit_mov(c, dst, off(c, c->h - 1));
    }
    pop(c, 1);
    if (tee) push(c, V_LOCAL, x, 0);
}

/* ---- branches ----------------------------------------------------------------------------- */

typedef struct cond {
    int br; /* index in brs[], or -1 for a plain value, -2 for eqz */
    bool imm;
    uint64_t a, b;
} cond;

/* Take the i32 condition off the stack, folding in the compare that produced it. */
static void pop_cond(comp *c, cond *cd) {
    cd->br = -1;
    cd->imm = false;
    if (c->stack[c->h - 1].kind == V_TEMP && c->def_pos != NONE && c->def_end == c->n &&
        c->def_h == c->h - 1) {
        int op = c->def_op;
        if (op == SL_I_i32_eqz) cd->br = -2;
        for (int i = 0; i < NUM_CMP_BRANCHES && cd->br == -1; i++) {
            if (op == brs[i].cmp) cd->br = i;
            if (op == brs[i].cmp_imm) cd->br = i, cd->imm = true;
        }
        if (cd->br != -1) {
            cd->a = c->code[c->def_pos + 2].u;
            if (cd->br >= 0) cd->b = c->code[c->def_pos + 3].u;
            take_back_def(c); /* drop the compare: the branch does it */
            pop(c, 1);
            return;
        }
    }
    cd->a = operand(c, c->h - 1);
    pop(c, 1);
}

/* Emit the branch taken when the condition is true (or false, if `negate`); the caller
 * emits the target word right after. */
static void emit_cond_branch(comp *c, const cond *cd, bool negate, bool back) {
    if (cd->br < 0) {
        bool on_zero = (cd->br == -2) != negate;
        emit_op(c, on_zero ? (back ? SL_I_br_z_back : SL_I_br_z)
                           : (back ? SL_I_br_nz_back : SL_I_br_nz));
        emit_u(c, cd->a);
        return;
    }
    const brinfo *b = &brs[negate ? brs[cd->br].inv : cd->br];
    emit_op(c, cd->imm ? (back ? b->br_imm_back : b->br_imm) : (back ? b->br_back : b->br));
    emit_u(c, cd->a);
    emit_u(c, cd->b);
}

static cframe *label(comp *c, uint32_t depth) {
    return &c->ctl[c->nctl - 1 - depth];
}

static uint32_t arity(const cframe *f) {
    return f->kind == C_LOOP ? f->nparams : f->nresults;
}

/* Do the values carried by a branch to f already sit in f's slots? */
static bool in_place(const comp *c, const cframe *f) {
    uint32_t n = arity(f);
    if (n == 0) return true;
    if (c->h - n != f->height) return false;
    for (uint32_t i = c->h - n; i < c->h; i++)
        if (c->stack[i].kind != V_TEMP) return false;
    return true;
}

/* Copy the carried values into f's slots. Ascending order is safe: a source at height j is
 * never below its destination f->height + (j - (h - n)), and locals are never written. */
static void emit_moves(comp *c, const cframe *f) {
    uint32_t n = arity(f);
    for (uint32_t k = 0; k < n; k++) {
        uint32_t i = c->h - n + k;
        const ventry *e = &c->stack[i];
        uint64_t dst = off(c, f->height + k);
        if (e->kind == V_CONST)
            emit_const(c, dst, e->val);
        else if (e->kind == V_LOCAL)
            emit_mov(c, dst, (uint64_t)e->local * 8);
        else
            emit_mov(c, dst, off(c, i));
    }
}

/* Move the results to slots 0..n and return. This may sit on a conditional path (br_if,
 * br_table stubs), so it emits code without changing the compile-time stack. */
static void emit_return(comp *c) {
    uint32_t n = c->ctl[0].nresults;
    const ventry *top = n ? &c->stack[c->h - 1] : NULL;
    if (n == 1 && top->kind != V_CONST) {
        emit_op(c, SL_I_ret1);
        emit_u(c, top->kind == V_LOCAL ? (uint64_t)top->local * 8 : off(c, c->h - 1));
        return;
    }
    /* Results go to slots 0..n, which may be locals that later results still read: copy
     * those to their own temporaries first. */
    for (uint32_t i = c->h - n; i < c->h; i++)
        if (c->stack[i].kind == V_LOCAL && c->stack[i].local < n)
            emit_mov(c, off(c, i), (uint64_t)c->stack[i].local * 8);
    for (uint32_t k = 0; k < n; k++) {
        uint32_t i = c->h - n + k;
        const ventry *e = &c->stack[i];
        if (e->kind == V_CONST)
            emit_const(c, (uint64_t)k * 8, e->val);
        else if (e->kind == V_LOCAL && e->local >= n)
            emit_mov(c, (uint64_t)k * 8, (uint64_t)e->local * 8);
        else
            emit_mov(c, (uint64_t)k * 8, off(c, i));
    }
    emit_op(c, SL_I_ret);
}

static void emit_br(comp *c, uint32_t depth) {
    cframe *f = label(c, depth);
    if (f->kind == C_FUNC) {
        emit_return(c);
        return;
    }
    emit_moves(c, f);
    if (f->kind == C_LOOP) {
        emit_op(c, SL_I_br_back);
        emit_label_target(c, f->head);
    } else {
        emit_op(c, SL_I_br);
        emit_fixup_target(c, &f->fixups);
    }
}

/* A loop's `x = y + k; if (x cmp b) continue` as one br_inc (or br_step) instruction, when
 * the instruction just before the (already folded) compare is the i32.add_imm, i32.sub_imm
 * (or i32.add) that wrote the compare's operand; a plain `br_if x` counts as `x != 0`. The
 * caller emits the target. */
/* The index in brs[] of the compare with its operands swapped (a < b is b > a). */
static int mirror_cmp(int br) {
    int cmp = brs[br].cmp, want;
    switch (cmp) {
    case SL_I_i32_lt_s: want = SL_I_i32_gt_s; break;
    case SL_I_i32_gt_s: want = SL_I_i32_lt_s; break;
    case SL_I_i32_lt_u: want = SL_I_i32_gt_u; break;
    case SL_I_i32_gt_u: want = SL_I_i32_lt_u; break;
    case SL_I_i32_le_s: want = SL_I_i32_ge_s; break;
    case SL_I_i32_ge_s: want = SL_I_i32_le_s; break;
    case SL_I_i32_le_u: want = SL_I_i32_ge_u; break;
    case SL_I_i32_ge_u: want = SL_I_i32_le_u; break;
    default: return br; /* eq, ne */
    }
    for (int i = 0; i < NUM_CMP_BRANCHES; i++)
        if (brs[i].cmp == want) return i;
    return br;
}

static bool fuse_increment(comp *c, const cond *cd) {
    uint32_t at = c->last_insn;
    if (at == NONE || at + 4 != c->n) return false;
    cond mirrored;
    if (cd->br < 0) {
        /* a plain test: `x != 0` (br_if), or `x == 0` after an eqz */
        int want = cd->br == -1 ? SL_I_i32_ne : SL_I_i32_eq;
        mirrored = *cd;
        for (int i = 0; i < NUM_CMP_BRANCHES; i++)
            if (brs[i].cmp == want) mirrored.br = i;
        mirrored.imm = true;
        mirrored.b = 0;
        cd = &mirrored;
    }
    if (c->code[at + 1].u != cd->a) {
        /* `n != x` is `x != n`, `n < x` is `x > n`: put the counter on the left */
        if (cd->imm || c->code[at + 1].u != cd->b) return false;
        mirrored = *cd;
        mirrored.a = cd->b;
        mirrored.b = cd->a;
        mirrored.br = mirror_cmp(cd->br);
        cd = &mirrored;
    }
    bool sub = c->code[at].h == c->H[SL_I_i32_sub_imm];
    bool imm_step = sub || c->code[at].h == c->H[SL_I_i32_add_imm];
    if (!imm_step && c->code[at].h != c->H[SL_I_i32_add]) return false;
    uint64_t x = c->code[at + 1].u, src = c->code[at + 2].u, k = c->code[at + 3].u;
    if (sub) k = (uint32_t)(0u - (uint32_t)k); /* x - k is x + (-k) */
    c->n = at;
    c->last_insn = c->prev_insn = NONE;
    const brinfo *b = &brs[cd->br];
    emit_op(c, imm_step ? (cd->imm ? b->inc_imm_back : b->inc_back)
                        : (cd->imm ? b->step_imm_back : b->step_back));
    emit_u(c, x);
    emit_u(c, src);
    emit_u(c, k);
    emit_u(c, cd->b);
    return true;
}

static void emit_br_if(comp *c, uint32_t depth) {
    cond cd;
    pop_cond(c, &cd);
    cframe *f = label(c, depth);
    if (f->kind == C_LOOP && in_place(c, f) && fuse_increment(c, &cd)) {
        emit_label_target(c, f->head);
        return;
    }
    if (f->kind != C_FUNC && in_place(c, f)) {
        emit_cond_branch(c, &cd, false, f->kind == C_LOOP);
        if (f->kind == C_LOOP)
            emit_label_target(c, f->head);
        else
            emit_fixup_target(c, &f->fixups);
        return;
    }
    uint32_t skip = 0;
    emit_cond_branch(c, &cd, true, false);
    emit_fixup_target(c, &skip);
    emit_br(c, depth);
    bind(c, &skip);
}

static void emit_br_table(comp *c, const sl_instr *in) {
    uint32_t n = in->a;
    const uint8_t *p = in->items;
    uint64_t idx = operand(c, c->h - 1);
    pop(c, 1);
    emit_op(c, SL_I_br_table);
    emit_u(c, idx);
    emit_u(c, n);
    uint32_t first = c->n;
    uint32_t *depths = malloc(((size_t)n + 1) * sizeof *depths);
    if (!depths) {
        c->oom = true;
        return;
    }
    for (uint32_t i = 0; i <= n; i++) {
        depths[i] = sl_rd_fast_u32(&p);
        emit_u(c, 0);
    }
    /* Targets that need moves (or are returns or loops) go through a stub after the table;
     * the others jump straight to their block's end. */
    for (uint32_t i = 0; i <= n; i++) {
        cframe *f = label(c, depths[i]);
        uint32_t word = first + i;
        if (f->kind == C_BLOCK || f->kind == C_IF) {
            if (in_place(c, f)) {
                c->code[word].u = f->fixups;
                f->fixups = word + 1;
                continue;
            }
        }
        c->code[word].u = c->n;
        add_reloc(c, word);
        label_here(c);
        emit_br(c, depths[i]);
    }
    free(depths);
}

/* ---- skipping unreachable code ------------------------------------------------------------ */

/* Skip to the `else` or `end` that closes the current block (not consuming it). */
static void skip_dead(sl_reader *r) {
    uint32_t depth = 0;
    for (;;) {
        const uint8_t *at = r->pos;
        sl_instr in;
        sl_read_instr(r, &in); /* validated code: cannot fail */
        if (in.op == SL_OP_END || in.op == SL_OP_ELSE) {
            if (depth == 0) {
                r->pos = at;
                return;
            }
            if (in.op == SL_OP_END) depth--;
        } else if (in.info->imm == SL_IMM_BLOCK) {
            depth++;
        }
    }
}

/* ---- blocks ------------------------------------------------------------------------------- */

static void blocktype(comp *c, int64_t bt, uint32_t *np, uint32_t *nr) {
    if (bt < 0) {
        *np = 0;
        *nr = bt == -64 ? 0 : 1; /* 0x40 is the empty type, anything else a value type */
    } else {
        const sl_functype *ft = &c->m->types[bt].ft;
        *np = ft->nparams;
        *nr = ft->nresults;
    }
}

static cframe *push_frame(comp *c, uint8_t kind, uint32_t np, uint32_t nr) {
    if (!grow((void **)&c->ctl, &c->ctlcap, sizeof *c->ctl, c->nctl + 1)) {
        c->oom = true;
        return NULL;
    }
    cframe *f = &c->ctl[c->nctl++];
    *f = (cframe){.kind = kind, .height = c->h - np, .nparams = np, .nresults = nr};
    return f;
}

static void set_dead(comp *c) {
    c->ctl[c->nctl - 1].dead = true;
}

/* Reset the stack to `base` plus n carried values, which sit in their own slots. */
static void reset_stack(comp *c, uint32_t base, uint32_t n) {
    c->h = base;
    for (uint32_t i = 0; i < n; i++)
        push_temp(c);
}

static void do_end(comp *c) {
    cframe *f = &c->ctl[c->nctl - 1];
    if (f->kind == C_FUNC) {
        if (!f->dead) emit_return(c);
        c->nctl--;
        return;
    }
    if (!f->dead) materialize_range(c, f->height, f->height + f->nresults);
    if (f->else_fixup) bind(c, &f->else_fixup); /* `if` without `else`: params = results */
    bind(c, &f->fixups);
    c->nctl--;
    reset_stack(c, f->height, f->nresults);
}

static void do_else(comp *c) {
    cframe *f = &c->ctl[c->nctl - 1];
    if (!f->dead) {
        materialize_range(c, f->height, f->height + f->nresults);
        emit_op(c, SL_I_br);
        emit_fixup_target(c, &f->fixups);
    }
    bind(c, &f->else_fixup);
    f->dead = false;
    reset_stack(c, f->height, f->nparams);
}

/* ---- calls -------------------------------------------------------------------------------- */

static void emit_call(comp *c, uint32_t fidx) {
    const sl_functype *ft = sl_module_functype(c->m, fidx);
    uint32_t np = ft->nparams;
    materialize_range(c, c->h - np, c->h);
    uint64_t args = off(c, c->h - np);
    if (fidx < c->m->nimported_funcs) {
        emit_op(c, SL_I_call_import);
        emit_u(c, fidx);
    } else {
        emit_op(c, SL_I_call);
        emit_word(c, (sl_word){.code = c->m->bodies[fidx - c->m->nimported_funcs].compiled});
    }
    emit_u(c, args);
    pop(c, np);
    for (uint32_t i = 0; i < ft->nresults; i++)
        push_temp(c);
}

static void emit_call_indirect(comp *c, uint32_t typeidx, uint32_t table) {
    const sl_type *t = &c->m->types[typeidx];
    uint64_t idx = operand(c, c->h - 1);
    pop(c, 1);
    uint32_t np = t->ft.nparams;
    materialize_range(c, c->h - np, c->h);
    emit_op(c, SL_I_call_indirect);
    emit_u(c, table);
    emit_u(c, t->canon);
    emit_u(c, off(c, c->h - np));
    emit_u(c, idx);
    pop(c, np);
    for (uint32_t i = 0; i < t->ft.nresults; i++)
        push_temp(c);
}

/* ---- the main loop ------------------------------------------------------------------------ */

/* `base + (i << k); load` becomes one indexed load: the add (k = 0) or add_shl is taken
 * back. */
static bool fuse_index(comp *c, int xop, uint64_t offset) {
    if (!just_defined(c, c->h - 1)) return false;
    uint64_t shift;
    if (c->def_op == SL_I_i32_add)
        shift = 0;
    else if (c->def_op == SL_I_i32_add_i32_shl)
        shift = c->code[c->def_pos + 4].u & 31;
    else
        return false;
    uint64_t base = c->code[c->def_pos + 2].u, index = c->code[c->def_pos + 3].u;
    take_back_def(c);
    pop(c, 1);
    int fop = xop + c->explicit_bounds;
    uint32_t start = emit_op(c, fop);
    emit_u(c, off(c, c->h));
    emit_u(c, base);
    emit_u(c, index);
    emit_u(c, shift);
    emit_u(c, offset);
    push_temp(c);
    mark_def(c, start, fop);
    return true;
}

/* `op; store` becomes op_st, which writes its result to memory: the op is taken back. */
static bool fuse_store(comp *c, int store_op, uint64_t offset) {
    uint32_t h = c->h;
    if (!just_defined(c, h - 1) || c->stack[h - 2].kind == V_CONST) return false;
    /* `x + mem[p]` stored back to mem[p] (c[j] += x): one f64_addto */
    if (store_op == SL_I_f64_store && c->def_op == SL_I_f64_add_ld + c->explicit_bounds &&
        c->code[c->def_pos + 3].u == operand(c, h - 2) && c->code[c->def_pos + 4].u == offset &&
        c->code[c->def_pos + 5].u == 0) {
        uint64_t addr = c->code[c->def_pos + 3].u, x = c->code[c->def_pos + 2].u;
        take_back_def(c);
        pop(c, 2);
        emit_op(c, SL_I_f64_addto + c->explicit_bounds);
        emit_u(c, addr);
        emit_u(c, x);
        emit_u(c, offset);
        return true;
    }
    const fuseinfo *fi = &fuse[c->def_op];
    if (!fi->st || fi->st_mem != store_op) return false;
    uint64_t a = c->code[c->def_pos + 2].u, b = c->code[c->def_pos + 3].u;
    take_back_def(c);
    uint64_t addr = operand(c, h - 2);
    pop(c, 2);
    emit_op(c, fi->st + c->explicit_bounds);
    emit_u(c, addr);
    emit_u(c, a);
    emit_u(c, b);
    emit_u(c, offset);
    return true;
}

static void compile_load(comp *c, int base_op, uint64_t offset) {
    if (indexed[base_op] && fuse_index(c, indexed[base_op], offset)) return;
    uint64_t addr, addend = 0;
    if (just_defined(c, c->h - 1) &&
        (c->def_op == SL_I_i32_add_imm || c->def_op == SL_I_i32_sub_imm)) {
        /* the address is x + k: take the add back and let the load do it */
        addr = c->code[c->def_pos + 2].u;
        addend = (uint32_t)c->code[c->def_pos + 3].u;
        if (c->def_op == SL_I_i32_sub_imm) addend = (uint32_t)(0u - (uint32_t)addend);
        take_back_def(c);
    } else {
        addr = operand(c, c->h - 1);
    }
    pop(c, 1);
    int iop = base_op + c->explicit_bounds;
    uint32_t start = emit_op(c, iop);
    emit_u(c, off(c, c->h));
    emit_u(c, addr);
    emit_u(c, offset);
    emit_u(c, addend);
    push_temp(c);
    mark_def(c, start, iop);
}

static void compile_store(comp *c, int sop, uint64_t offset) {
    if (fuse_store(c, sop, offset)) return;
    const ventry *v = &c->stack[c->h - 1];
    bool k = v->kind == V_CONST; /* NAME_k stores an immediate */
    uint64_t val = k ? v->val : operand(c, c->h - 1), addr = operand(c, c->h - 2);
    pop(c, 2);
    emit_op(c, sop + (k ? 2 : 0) + c->explicit_bounds);
    emit_u(c, addr);
    emit_u(c, val);
    emit_u(c, offset);
}

static void compile_instr(comp *c, const sl_instr *in) {
    /* the instruction's index immediates, for the ops that take them as operands */
#define IDX1 ((const uint64_t[]){in->a})
#define IDX2 ((const uint64_t[]){in->a, in->b})
    uint32_t np, nr;
    switch (in->op) {
    case SL_OP_UNREACHABLE:
        emit_op(c, SL_I_unreachable);
        set_dead(c);
        break;
    case SL_OP_NOP: break;
    case SL_OP_BLOCK:
        blocktype(c, in->blocktype, &np, &nr);
        materialize_range(c, 0, c->h);
        push_frame(c, C_BLOCK, np, nr);
        break;
    case SL_OP_LOOP: {
        blocktype(c, in->blocktype, &np, &nr);
        materialize_range(c, 0, c->h);
        cframe *f = push_frame(c, C_LOOP, np, nr);
        if (f) f->head = c->n;
        label_here(c);
        break;
    }
    case SL_OP_IF: {
        blocktype(c, in->blocktype, &np, &nr);
        cond cd;
        pop_cond(c, &cd);
        materialize_range(c, 0, c->h);
        emit_cond_branch(c, &cd, true, false);
        cframe *f = push_frame(c, C_IF, np, nr);
        if (f) emit_fixup_target(c, &f->else_fixup);
        break;
    }
    case SL_OP_ELSE: do_else(c); break;
    case SL_OP_END: do_end(c); break;
    case SL_OP_BR:
        emit_br(c, in->a);
        set_dead(c);
        break;
    case SL_OP_BR_IF: emit_br_if(c, in->a); break;
    case SL_OP_BR_TABLE:
        emit_br_table(c, in);
        set_dead(c);
        break;
    case SL_OP_RETURN:
        emit_return(c);
        set_dead(c);
        break;
    case SL_OP_CALL: emit_call(c, in->a); break;
    case SL_OP_CALL_INDIRECT: emit_call_indirect(c, in->a, in->b); break;
    case SL_OP_DROP: pop(c, 1); break;
    case SL_OP_SELECT_T: /* the type only matters to the validator */
    case SL_OP_SELECT: {
        uint64_t a = operand(c, c->h - 3), b = operand(c, c->h - 2), cv = operand(c, c->h - 1);
        pop(c, 3);
        uint32_t start = emit_op(c, SL_I_select);
        emit_u(c, off(c, c->h));
        emit_u(c, cv);
        emit_u(c, a);
        emit_u(c, b);
        push_temp(c);
        mark_def(c, start, SL_I_select);
        break;
    }
    case SL_OP_LOCAL_GET: push(c, V_LOCAL, in->a, 0); break;
    case SL_OP_LOCAL_SET: set_local(c, in->a, false); break;
    case SL_OP_LOCAL_TEE: set_local(c, in->a, true); break;
    case SL_OP_GLOBAL_GET: produce(c, SL_I_global_get, 1, IDX1, 0); break;
    case SL_OP_GLOBAL_SET: consume(c, SL_I_global_set, 1, IDX1, 1); break;
    case SL_OP_TABLE_GET: produce(c, SL_I_table_get, 1, IDX1, 1); break;
    case SL_OP_TABLE_SET: consume(c, SL_I_table_set, 1, IDX1, 2); break;
    case SL_OP_I32_CONST:
    case SL_OP_I64_CONST:
    case SL_OP_F32_CONST:
    case SL_OP_F64_CONST: push(c, V_CONST, 0, in->bits); break;
    case SL_OP_REF_NULL: push(c, V_CONST, 0, 0); break;
    case SL_OP_REF_IS_NULL: unop(c, SL_I_ref_is_null); break;
    case SL_OP_REF_FUNC: produce(c, SL_I_ref_func, 1, IDX1, 0); break;
    case SL_OP_TABLE_INIT: /* the op takes the table first */
        consume(c, SL_I_table_init, 2, (const uint64_t[]){in->b, in->a}, 3);
        break;
    case SL_OP_TABLE_COPY: consume(c, SL_I_table_copy, 2, IDX2, 3); break;
    case SL_OP_TABLE_GROW: produce(c, SL_I_table_grow, 1, IDX1, 2); break;
    case SL_OP_TABLE_SIZE: produce(c, SL_I_table_size, 1, IDX1, 0); break;
    case SL_OP_TABLE_FILL: consume(c, SL_I_table_fill, 1, IDX1, 3); break;
    /* Same bits, other type: the slot already holds the result. */
    case SL_OP_I32_WRAP_I64:
    case SL_OP_I32_REINTERPRET_F32:
    case SL_OP_I64_REINTERPRET_F64:
    case SL_OP_F32_REINTERPRET_I32:
    case SL_OP_F64_REINTERPRET_I64: break;
    default: { /* an OPL line of opcodes.def */
        const numinfo *l = &numtab[in->op];
        uint8_t kind = in->info->imm;
        if (sl_imm_is_memarg(kind)) {
            /* the alignment (in->a) is a hint only */
            if (in->info->out)
                compile_load(c, l->op, in->b);
            else
                compile_store(c, l->op, in->b);
        } else if (kind != SL_IMM_NONE) {
            /* bulk memory: a segment index is an operand, the memory (always 0) is not */
            bool segment = kind == SL_IMM_DATA || kind == SL_IMM_DATA_MEMORY || kind == SL_IMM_ELEM;
            if (in->info->out)
                produce(c, l->op, segment, IDX1, l->arity);
            else
                consume(c, l->op, segment, IDX1, l->arity);
        } else if (l->arity == 1) {
            unop(c, l->op);
        } else if (l->arity == 2) {
            binop(c, l->op, l->imm);
        }
        break;
    }
    }
}
#undef IDX1
#undef IDX2

static sl_status compile_body(comp *c, uint32_t fidx, sl_code *out, sl_error *err) {
    const sl_module *m = c->m;
    const sl_funcbody *body = &m->bodies[fidx - m->nimported_funcs];
    const sl_functype *ft = sl_module_functype(m, fidx);
    c->nlocals = ft->nparams + body->nlocals;
    c->n = c->nrelocs = c->h = c->maxh = c->nctl = 0;
    c->def_pos = c->mov_pos = c->last_insn = c->prev_insn = NONE;
    push_frame(c, C_FUNC, 0, ft->nresults);
    sl_reader r;
    sl_rd_init(&r, m->bytes, body->code, body->code + body->code_len);
    sl_instr in;
    while (c->nctl > 0 && !c->oom) {
        if (c->ctl[c->nctl - 1].dead) skip_dead(&r);
        sl_read_instr(&r, &in); /* validated code: cannot fail */
        compile_instr(c, &in);
    }
    if (c->oom) return sl_fail(err, SL_ERR_NOMEM, -1, "out of memory compiling function %u", fidx);
    out->words = malloc((size_t)(c->n ? c->n : 1) * sizeof *out->words);
    if (!out->words) return sl_fail(err, SL_ERR_NOMEM, -1, "out of memory");
    memcpy(out->words, c->code, (size_t)c->n * sizeof *out->words);
    for (uint32_t i = 0; i < c->nrelocs; i++) {
        sl_word *w = &out->words[c->relocs[i]];
        w->target = out->words + w->u;
    }
    out->nwords = c->n;
    out->nparams = ft->nparams;
    out->nresults = ft->nresults;
    out->nlocals = c->nlocals;
    out->frame_slots = c->nlocals + c->maxh + 1;
    out->funcidx = fidx;
    return SL_OK;
}

sl_status sl_compile(sl_module *m, sl_error *err) {
    pthread_once(&tables_once, build_tables);
    uint32_t ndef = m->nfuncs - m->nimported_funcs;
    /* Allocate every sl_code first: calls embed a pointer to their callee's. */
    for (uint32_t i = 0; i < ndef; i++) {
        m->bodies[i].compiled = calloc(1, sizeof(sl_code));
        if (!m->bodies[i].compiled) return sl_fail(err, SL_ERR_NOMEM, -1, "out of memory");
    }
    comp c;
    memset(&c, 0, sizeof c);
    c.m = m;
    c.H = sl_interp_handlers();
    c.explicit_bounds = m->engine->config.explicit_bounds_checks;
    sl_status st = SL_OK;
    for (uint32_t i = 0; i < ndef && st == SL_OK; i++)
        st = compile_body(&c, m->nimported_funcs + i, m->bodies[i].compiled, err);
    free(c.code);
    free(c.relocs);
    free(c.stack);
    free(c.ctl);
    return st;
}
