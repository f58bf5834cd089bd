/*
 * interp.c - the interpreter: direct-threaded code over a register-style frame.
 *
 * Each instruction word holds the address of its handler (GNU labels as values), so
 * dispatch is one indirect jump, replicated at the end of every handler. Operands are frame
 * byte offsets resolved at compile time: there is no operand stack at run time. See
 * docs/vm.md for the code format and the calling convention.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vm/native.h"
#include "vm/ops.h"
#include "vm/runtime.h"

#define SLOT(off) (*(sl_slot *)((char *)fp + (off)))
#define OPD(n)    SLOT(pc[n].u)
#ifdef SL_PROFILE
void sl_prof_hit(const void *h);
#define NEXT()                                                                                     \
    do {                                                                                           \
        sl_prof_hit(pc->h);                                                                        \
        goto * pc->h;                                                                              \
    } while (0)
#else
#define NEXT() goto * pc->h
#endif
#define TRAP(t)                                                                                    \
    do {                                                                                           \
        trap_code = (t);                                                                           \
        goto trap;                                                                                 \
    } while (0)
/* Interrupt and fuel check, at function entry and on backward branches. Builds with
 * -DSL_NO_POLL leave it out: they exist only so that `make bench` can measure its cost. */
#ifdef SL_NO_POLL
#define POLL() ((void)0)
#else
#define POLL()                                                                                     \
    do {                                                                                           \
        if (unlikely(atomic_load_explicit(&store->poll, memory_order_relaxed))) {                  \
            if (poll_traps(store, &trap_code)) goto trap;                                          \
        }                                                                                          \
    } while (0)
#endif
#define RELOAD_MEM()                                                                               \
    do {                                                                                           \
        sl_memory *m0_ = inst->memories[0];                                                        \
        mem = m0_ ? m0_->base : NULL;                                                              \
        memsize = m0_ ? m0_->size : 0;                                                             \
    } while (0)

/* Accessors by C type, for the generic handler macros. */
#define LD_u32(n) OPD(n).u32
#define LD_s32(n) OPD(n).i32
#define LD_u64(n) OPD(n).u64
#define LD_s64(n) OPD(n).i64
#define LD_f32(n) OPD(n).f32
#define LD_f64(n) OPD(n).f64
typedef uint32_t u32;
typedef int32_t s32;
typedef uint64_t u64;
typedef int64_t s64;
typedef float f32;
typedef double f64;

/* The slow side of POLL: an interrupt, or fuel to count. */
static __attribute__((unused)) bool poll_traps(sl_store *store, int *trap_code) {
    uint32_t poll = atomic_load_explicit(&store->poll, memory_order_relaxed);
    if (poll & SL_POLL_INTERRUPT) {
        *trap_code = SL_TRAP_INTERRUPTED;
        return true;
    }
    if ((poll & SL_POLL_FUEL) && --store->fuel < 0) {
        store->fuel = 0;
        *trap_code = SL_TRAP_OUT_OF_FUEL;
        return true;
    }
    return false;
}

/* Wasm's min/max: NaN if either is NaN, and -0 < +0. */
#define FMIN(T, a, b)                                                                              \
    (isnan(a) || isnan(b) ? (a) + (b)                                                              \
     : (a) == (b)         ? (signbit(a) ? (a) : (b))                                               \
     : (a) < (b)          ? (a)                                                                    \
                          : (b))
#define FMAX(T, a, b)                                                                              \
    (isnan(a) || isnan(b) ? (a) + (b)                                                              \
     : (a) == (b)         ? (signbit(a) ? (b) : (a))                                               \
     : (a) > (b)          ? (a)                                                                    \
                          : (b))

/* Saturating float-to-int conversions; lo/hi are the exclusive float bounds of the range. */
#define SAT(T, x, lo, hi, tmin, tmax)                                                              \
    (isnan(x) ? (T)0 : (x) <= (lo) ? (T)(tmin) : (x) >= (hi) ? (T)(tmax) : (T)(x))

static sl_status run(sl_store *store, sl_instance *inst, sl_word *pc, sl_slot *fp, uint32_t depth,
                     sl_error *err, const void *const **table_out) {
    static const void *const table[SL_NUM_OPS] = {
#define T_ONE(name) [SL_I_##name] = &&L_##name,
#define T_NUM(name) [SL_I_##name] = &&L_##name,
#define T_IMM(name) [SL_I_##name##_imm] = &&L_##name##_imm,
#define T_BRS(name, inv)                                                                           \
    [SL_I_br_##name] = &&L_br_##name, [SL_I_br_##name##_back] = &&L_br_##name##_back,              \
    [SL_I_br_##name##_imm] = &&L_br_##name##_imm,                                                  \
    [SL_I_br_##name##_imm_back] = &&L_br_##name##_imm_back,                                        \
    [SL_I_br_inc_##name##_back] = &&L_br_inc_##name##_back,                                        \
    [SL_I_br_inc_##name##_imm_back] = &&L_br_inc_##name##_imm_back,                                \
    [SL_I_br_step_##name##_back] = &&L_br_step_##name##_back,                                      \
    [SL_I_br_step_##name##_imm_back] = &&L_br_step_##name##_imm_back,
#define T_MEM(name) [SL_I_##name] = &&L_##name, [SL_I_##name##_chk] = &&L_##name##_chk,
#define T_STO(name)                                                                                \
    T_MEM(name)[SL_I_##name##_k] = &&L_##name##_k, [SL_I_##name##_k_chk] = &&L_##name##_k_chk,
#define T_LD(name, mem, T, op)                                                                     \
    [SL_I_##name##_ld] = &&L_##name##_ld, [SL_I_##name##_ld_chk] = &&L_##name##_ld_chk,
#define T_SH(outer, inner, T, op, sh) [SL_I_##outer##_##inner] = &&L_##outer##_##inner,
#define T_IX(name, T, st)                                                                          \
    [SL_I_##name##_x] = &&L_##name##_x, [SL_I_##name##_x_chk] = &&L_##name##_x_chk,
#define T_MA(name, outer, inner, T, op, iop) [SL_I_##name] = &&L_##name,
#define T_ST(name, mem, T, op)                                                                     \
    [SL_I_##name##_st] = &&L_##name##_st, [SL_I_##name##_st_chk] = &&L_##name##_st_chk,
        SL_CONTROL_OPS(T_ONE) SL_NUMERIC_OPS(T_NUM) SL_IMM_OPS(T_IMM) SL_CMP_BRANCHES(T_BRS)
            SL_MEMORY_OPS(T_MEM, T_STO) SL_LOAD_BINOPS(T_LD) SL_STORE_BINOPS(T_ST)
                SL_SHIFT_BINOPS(T_SH) SL_INDEXED_LOADS(T_IX) SL_MULACC_OPS(T_MA)};
    if (table_out) {
        *table_out = table;
        return SL_OK;
    }

    /* the next free frame: one pointer to bump, rather than a base and an index */
    sl_frame *frame = store->frames + depth;
    sl_frame *const frames_end = store->frames + store->limits.max_call_depth;
    sl_slot *const stack_end = store->stack_end;
    int trap_code = 0;
    uint8_t *mem;
    uint64_t memsize;
    const sl_code *code;
    sl_func *f;
    sl_slot *args;
    sl_word *next_pc;
    RELOAD_MEM();
    POLL();
    NEXT();

    /* ---- control ---- */
L_unreachable:
    TRAP(SL_TRAP_UNREACHABLE);
L_exit:
    store->depth = (uint32_t)(frame - store->frames);
    return SL_OK;
L_br:
    pc = pc[1].target;
    NEXT();
L_br_back:
    pc = pc[1].target;
    POLL();
    NEXT();
L_br_nz:
    pc = OPD(1).u32 ? pc[2].target : pc + 3;
    NEXT();
L_br_nz_back:
    if (OPD(1).u32) {
        pc = pc[2].target;
        POLL();
        NEXT();
    }
    pc += 3;
    NEXT();
L_br_z:
    pc = OPD(1).u32 ? pc + 3 : pc[2].target;
    NEXT();
L_br_z_back:
    if (!OPD(1).u32) {
        pc = pc[2].target;
        POLL();
        NEXT();
    }
    pc += 3;
    NEXT();
L_br_table : {
    uint32_t i = OPD(1).u32;
    uint64_t n = pc[2].u;
    pc = pc[3 + (i < n ? i : n)].target;
    POLL(); /* a table may jump backwards */
    NEXT();
}
L_call:
    code = pc[1].code;
    args = (sl_slot *)((char *)fp + pc[2].u);
    next_pc = pc + 3;
    /* An instance with native code (docs/native.md): the callee may run natively. One load
     * of the instance, a predicted branch, for instances without. */
    if (unlikely(inst->native_ctx)) {
        f = inst->funcs[code->funcidx];
        if (f->native) goto call_native;
    }
    goto enter_code;
L_call_import:
    f = inst->funcs[pc[1].u];
    args = (sl_slot *)((char *)fp + pc[2].u);
    next_pc = pc + 3;
    goto call_func;
L_call_indirect : {
    sl_table *t = inst->tables[pc[1].u];
    uint32_t i = OPD(4).u32;
    if (unlikely(i >= t->size)) TRAP(SL_TRAP_UNDEFINED_ELEMENT);
    f = t->elems[i];
    if (unlikely(!f)) TRAP(SL_TRAP_UNINITIALIZED);
    if (unlikely(f->canon != pc[2].u)) TRAP(SL_TRAP_INDIRECT_MISMATCH);
    args = (sl_slot *)((char *)fp + pc[3].u);
    next_pc = pc + 5;
    goto call_func;
}
call_func:
    if (unlikely(f->native)) {
    call_native:
        /* Within this activation: a trap in native code unwinds to its sigsetjmp like ours. */
        store->depth = (uint32_t)(frame - store->frames);
        store->sp = args + f->type->nparams + f->type->nresults;
        /* the context's depth may belong to native frames below this activation: restore it */
        uint32_t native_depth = f->nctx->depth;
        f->nctx->depth = store->depth;
        if (unlikely((uintptr_t)__builtin_frame_address(0) < f->nctx->stack_limit + (128u << 10)))
            TRAP(SL_TRAP_STACK_EXHAUSTED);
        f->native(f->nctx, args);
        f->nctx->depth = native_depth;
        RELOAD_MEM();
        pc = next_pc;
        NEXT();
    }
    if (f->host) {
        store->depth = (uint32_t)(frame - store->frames);
        store->sp = args + f->type->nparams + f->type->nresults;
        sl_caller caller = {store, inst};
        int rc = f->host(&caller, args, f->user);
        if (unlikely(rc)) TRAP(rc);
        RELOAD_MEM();
        pc = next_pc;
        NEXT();
    }
    code = f->code;
    if (f->inst != inst) {
        /* enter another instance: its memory, tables and globals */
        if (unlikely(frame >= frames_end)) TRAP(SL_TRAP_STACK_EXHAUSTED);
        frame->pc = next_pc;
        frame->fp = fp;
        frame->inst = inst;
        frame++;
        inst = f->inst;
        RELOAD_MEM();
        goto enter_frame;
    }
enter_code:
    if (unlikely(frame >= frames_end)) TRAP(SL_TRAP_STACK_EXHAUSTED);
    frame->pc = next_pc;
    frame->fp = fp;
    frame->inst = inst;
    frame++;
enter_frame:
    fp = args;
    if (unlikely(fp + code->frame_slots > stack_end)) TRAP(SL_TRAP_STACK_EXHAUSTED);
    for (uint32_t i = code->nparams; i < code->nlocals; i++)
        fp[i].u64 = 0;
    pc = code->words;
    POLL();
    NEXT();
L_ret1:
    fp[0] = OPD(1);
    /* fall through */
L_ret : {
    sl_frame *fr = --frame;
    pc = fr->pc;
    fp = fr->fp;
    if (fr->inst != inst) {
        inst = fr->inst;
        if (inst) RELOAD_MEM();
    }
    NEXT();
}

    /* ---- parametric, variables, references ---- */
L_mov:
    OPD(1) = OPD(2);
    pc += 3;
    NEXT();
L_mov2:
    OPD(1) = OPD(2);
    OPD(3) = OPD(4);
    pc += 5;
    NEXT();
L_const:
    OPD(1).u64 = pc[2].u;
    pc += 3;
    NEXT();
L_select:
    OPD(1) = OPD(2).u32 ? OPD(3) : OPD(4);
    pc += 5;
    NEXT();
L_global_get:
    OPD(1) = inst->globals[pc[2].u]->val;
    pc += 3;
    NEXT();
L_global_set:
    inst->globals[pc[1].u]->val = OPD(2);
    pc += 3;
    NEXT();
L_ref_is_null:
    OPD(1).u32 = OPD(2).ref == NULL;
    pc += 3;
    NEXT();
L_ref_func:
    OPD(1).ref = inst->funcs[pc[2].u];
    pc += 3;
    NEXT();

    /* ---- tables ---- */
L_table_get : {
    sl_table *t = inst->tables[pc[2].u];
    uint32_t i = OPD(3).u32;
    if (unlikely(i >= t->size)) TRAP(SL_TRAP_TABLE_OOB);
    OPD(1).ref = t->elems[i];
    pc += 4;
    NEXT();
}
L_table_set : {
    sl_table *t = inst->tables[pc[1].u];
    uint32_t i = OPD(2).u32;
    if (unlikely(i >= t->size)) TRAP(SL_TRAP_TABLE_OOB);
    t->elems[i] = OPD(3).ref;
    pc += 4;
    NEXT();
}
L_table_size:
    OPD(1).u32 = inst->tables[pc[2].u]->size;
    pc += 3;
    NEXT();
L_table_grow : {
    sl_table *t = inst->tables[pc[2].u];
    OPD(1).i32 = (int32_t)sl_table_grow_elems(t, OPD(4).u32, OPD(3).ref);
    pc += 5;
    NEXT();
}
L_table_fill : {
    sl_table *t = inst->tables[pc[1].u];
    uint32_t i = OPD(2).u32, n = OPD(4).u32;
    void *v = OPD(3).ref;
    if (unlikely((uint64_t)i + n > t->size)) TRAP(SL_TRAP_TABLE_OOB);
    for (uint32_t k = 0; k < n; k++)
        t->elems[i + k] = v;
    pc += 5;
    NEXT();
}
L_table_copy : {
    sl_table *dt = inst->tables[pc[1].u], *st = inst->tables[pc[2].u];
    uint32_t d = OPD(3).u32, s = OPD(4).u32, n = OPD(5).u32;
    if (unlikely((uint64_t)d + n > dt->size || (uint64_t)s + n > st->size)) TRAP(SL_TRAP_TABLE_OOB);
    memmove(dt->elems + d, st->elems + s, (size_t)n * sizeof(void *));
    pc += 6;
    NEXT();
}
L_table_init : {
    sl_table *t = inst->tables[pc[1].u];
    uint32_t seg = (uint32_t)pc[2].u;
    uint32_t d = OPD(3).u32, s = OPD(4).u32, n = OPD(5).u32;
    uint32_t size = inst->elem_sizes[seg];
    if (unlikely((uint64_t)s + n > size || (uint64_t)d + n > t->size)) TRAP(SL_TRAP_TABLE_OOB);
    if (n) memcpy(t->elems + d, inst->elem_refs[seg] + s, (size_t)n * sizeof(void *));
    pc += 6;
    NEXT();
}
L_elem_drop : {
    uint32_t seg = (uint32_t)pc[1].u;
    inst->elem_sizes[seg] = 0;
    pc += 2;
    NEXT();
}

    /* ---- memory ---- */
L_memory_size:
    OPD(1).u32 = (uint32_t)(memsize / SL_PAGE_SIZE);
    pc += 2;
    NEXT();
L_memory_grow:
    OPD(1).i32 = (int32_t)sl_memory_grow_pages(inst->memories[0], OPD(2).u32);
    RELOAD_MEM();
    pc += 3;
    NEXT();
L_memory_copy : {
    uint32_t d = OPD(1).u32, s = OPD(2).u32, n = OPD(3).u32;
    if (unlikely((uint64_t)d + n > memsize || (uint64_t)s + n > memsize)) TRAP(SL_TRAP_MEMORY_OOB);
    memmove(mem + d, mem + s, n);
    pc += 4;
    NEXT();
}
L_memory_fill : {
    uint32_t d = OPD(1).u32, n = OPD(3).u32;
    if (unlikely((uint64_t)d + n > memsize)) TRAP(SL_TRAP_MEMORY_OOB);
    memset(mem + d, (int)(OPD(2).u32 & 0xFF), n);
    pc += 4;
    NEXT();
}
L_memory_init : {
    uint32_t seg = (uint32_t)pc[1].u;
    uint32_t d = OPD(2).u32, s = OPD(3).u32, n = OPD(4).u32;
    const sl_data *data = &inst->module->datas[seg];
    uint32_t len = inst->data_dropped[seg] ? 0 : data->len;
    if (unlikely((uint64_t)s + n > len || (uint64_t)d + n > memsize)) TRAP(SL_TRAP_MEMORY_OOB);
    if (n) memcpy(mem + d, data->bytes + s, n);
    pc += 5;
    NEXT();
}
#define ADDTO(label, check)                                                                        \
    label : {                                                                                      \
        uint64_t ea = (uint64_t)OPD(1).u32 + pc[3].u;                                              \
        if (check && unlikely(ea + 8 > memsize)) TRAP(SL_TRAP_MEMORY_OOB);                         \
        double m;                                                                                  \
        memcpy(&m, mem + ea, 8);                                                                   \
        m = OPD(2).f64 + m;                                                                        \
        memcpy(mem + ea, &m, 8);                                                                   \
        pc += 4;                                                                                   \
        NEXT();                                                                                    \
    }
    ADDTO(L_f64_addto, 0)
    ADDTO(L_f64_addto_chk, 1)
L_data_drop:
    inst->data_dropped[pc[1].u] = true;
    pc += 2;
    NEXT();

/* The effective address of a load: u32(addr + addend) + offset (see ops.h). */
#define EA(addr, offset, addend)                                                                   \
    ((uint64_t)(uint32_t)(OPD(addr).u32 + (uint32_t)pc[addend].u) + pc[offset].u)
#define LOAD(name, T, store_expr)                                                                  \
    L_##name : {                                                                                   \
        uint64_t ea = EA(2, 3, 4);                                                                 \
        T v;                                                                                       \
        memcpy(&v, mem + ea, sizeof v);                                                            \
        store_expr;                                                                                \
        pc += 5;                                                                                   \
        NEXT();                                                                                    \
    }                                                                                              \
    L_##name##_chk : {                                                                             \
        uint64_t ea = EA(2, 3, 4);                                                                 \
        if (unlikely(ea + sizeof(T) > memsize)) TRAP(SL_TRAP_MEMORY_OOB);                          \
        T v;                                                                                       \
        memcpy(&v, mem + ea, sizeof v);                                                            \
        store_expr;                                                                                \
        pc += 5;                                                                                   \
        NEXT();                                                                                    \
    }
#define STORE_AS(label, T, value, check)                                                           \
    label : {                                                                                      \
        uint64_t ea = (uint64_t)OPD(1).u32 + pc[3].u;                                              \
        if (check && unlikely(ea + sizeof(T) > memsize)) TRAP(SL_TRAP_MEMORY_OOB);                 \
        T v = (T)(value);                                                                          \
        memcpy(mem + ea, &v, sizeof v);                                                            \
        pc += 4;                                                                                   \
        NEXT();                                                                                    \
    }
#define STORE(name, T)                                                                             \
    STORE_AS(L_##name, T, OPD(2).u64, 0)                                                           \
    STORE_AS(L_##name##_chk, T, OPD(2).u64, 1)                                                     \
    STORE_AS(L_##name##_k, T, pc[2].u, 0)                                                          \
    STORE_AS(L_##name##_k_chk, T, pc[2].u, 1)
    LOAD(i32_load, uint32_t, OPD(1).u32 = v)
    LOAD(i64_load, uint64_t, OPD(1).u64 = v)
    LOAD(f32_load, uint32_t, OPD(1).u32 = v)
    LOAD(f64_load, uint64_t, OPD(1).u64 = v)
    LOAD(i32_load8_s, int8_t, OPD(1).i32 = v)
    LOAD(i32_load8_u, uint8_t, OPD(1).u32 = v)
    LOAD(i32_load16_s, int16_t, OPD(1).i32 = v)
    LOAD(i32_load16_u, uint16_t, OPD(1).u32 = v)
    LOAD(i64_load8_s, int8_t, OPD(1).i64 = v)
    LOAD(i64_load8_u, uint8_t, OPD(1).u64 = v)
    LOAD(i64_load16_s, int16_t, OPD(1).i64 = v)
    LOAD(i64_load16_u, uint16_t, OPD(1).u64 = v)
    LOAD(i64_load32_s, int32_t, OPD(1).i64 = v)
    LOAD(i64_load32_u, uint32_t, OPD(1).u64 = v)
    STORE(i32_store, uint32_t)
    STORE(i64_store, uint64_t)
    STORE(f32_store, uint32_t)
    STORE(f64_store, uint64_t)
    STORE(i32_store8, uint8_t)
    STORE(i32_store16, uint16_t)
    STORE(i64_store8, uint8_t)
    STORE(i64_store16, uint16_t)
    STORE(i64_store32, uint32_t)

    /* ---- numeric ---- */
    /* UN(name, R, A, expr): dst (type R) = expr over a (type A). */
#define UN(name, R, A, expr)                                                                       \
    L_##name : {                                                                                   \
        A a = LD_##A(2);                                                                           \
        LD_##R(1) = (expr);                                                                        \
        pc += 3;                                                                                   \
        NEXT();                                                                                    \
    }
#define BIN(name, R, A, expr)                                                                      \
    L_##name : {                                                                                   \
        A a = LD_##A(2), b = LD_##A(3);                                                            \
        LD_##R(1) = (expr);                                                                        \
        pc += 4;                                                                                   \
        NEXT();                                                                                    \
    }
    /* BIN2 also defines the variant with a constant right operand. */
#define BIN2(name, R, A, expr)                                                                     \
    BIN(name, R, A, expr)                                                                          \
    L_##name##_imm : {                                                                             \
        A a = LD_##A(2), b = (A)pc[3].u;                                                           \
        LD_##R(1) = (expr);                                                                        \
        pc += 4;                                                                                   \
        NEXT();                                                                                    \
    }
/* A float op, also with a constant right operand whose bits are the immediate. */
#define FBIN2(name, T, expr)                                                                       \
    BIN(name, T, T, expr)                                                                          \
    L_##name##_imm : {                                                                             \
        T a = LD_##T(2), b;                                                                        \
        memcpy(&b, &pc[3].u, sizeof b); /* little-endian: the low bytes for f32 */                 \
        LD_##T(1) = (expr);                                                                        \
        pc += 4;                                                                                   \
        NEXT();                                                                                    \
    }
/* Trapping conversion: x must truncate into the open interval (lo, hi). */
#define TRUNC(name, R, A, lo, hi)                                                                  \
    L_##name : {                                                                                   \
        A a = LD_##A(2);                                                                           \
        if (unlikely(isnan(a))) TRAP(SL_TRAP_INVALID_CONVERSION);                                  \
        if (unlikely(!(a > (lo) && a < (hi)))) TRAP(SL_TRAP_INT_OVERFLOW);                         \
        LD_##R(1) = (R)a;                                                                          \
        pc += 3;                                                                                   \
        NEXT();                                                                                    \
    }

/* Division and remainder trap on a zero divisor; signed division also on MIN / -1, whose
 * remainder is 0. */
#define DIVREM(W, S, U, SF, UF, MIN)                                                               \
    L_##W##_div_s : {                                                                              \
        S a = OPD(2).SF, b = OPD(3).SF;                                                            \
        if (unlikely(b == 0)) TRAP(SL_TRAP_DIV_ZERO);                                              \
        if (unlikely(a == MIN && b == -1)) TRAP(SL_TRAP_INT_OVERFLOW);                             \
        OPD(1).SF = a / b;                                                                         \
        pc += 4;                                                                                   \
        NEXT();                                                                                    \
    }                                                                                              \
    L_##W##_div_u : {                                                                              \
        U a = OPD(2).UF, b = OPD(3).UF;                                                            \
        if (unlikely(b == 0)) TRAP(SL_TRAP_DIV_ZERO);                                              \
        OPD(1).UF = a / b;                                                                         \
        pc += 4;                                                                                   \
        NEXT();                                                                                    \
    }                                                                                              \
    L_##W##_rem_s : {                                                                              \
        S a = OPD(2).SF, b = OPD(3).SF;                                                            \
        if (unlikely(b == 0)) TRAP(SL_TRAP_DIV_ZERO);                                              \
        OPD(1).SF = b == -1 ? 0 : a % b;                                                           \
        pc += 4;                                                                                   \
        NEXT();                                                                                    \
    }                                                                                              \
    L_##W##_rem_u : {                                                                              \
        U a = OPD(2).UF, b = OPD(3).UF;                                                            \
        if (unlikely(b == 0)) TRAP(SL_TRAP_DIV_ZERO);                                              \
        OPD(1).UF = a % b;                                                                         \
        pc += 4;                                                                                   \
        NEXT();                                                                                    \
    }

    UN(i32_eqz, u32, u32, a == 0)
    BIN2(i32_eq, u32, u32, a == b)
    BIN2(i32_ne, u32, u32, a != b)
    BIN2(i32_lt_s, u32, s32, a < b)
    BIN2(i32_lt_u, u32, u32, a < b)
    BIN2(i32_gt_s, u32, s32, a > b)
    BIN2(i32_gt_u, u32, u32, a > b)
    BIN2(i32_le_s, u32, s32, a <= b)
    BIN2(i32_le_u, u32, u32, a <= b)
    BIN2(i32_ge_s, u32, s32, a >= b)
    BIN2(i32_ge_u, u32, u32, a >= b)
    UN(i64_eqz, u32, u64, a == 0)
    BIN2(i64_eq, u32, u64, a == b)
    BIN2(i64_ne, u32, u64, a != b)
    BIN2(i64_lt_s, u32, s64, a < b)
    BIN2(i64_lt_u, u32, u64, a < b)
    BIN2(i64_gt_s, u32, s64, a > b)
    BIN2(i64_gt_u, u32, u64, a > b)
    BIN2(i64_le_s, u32, s64, a <= b)
    BIN2(i64_le_u, u32, u64, a <= b)
    BIN2(i64_ge_s, u32, s64, a >= b)
    BIN2(i64_ge_u, u32, u64, a >= b)
    BIN(f32_eq, u32, f32, a == b)
    BIN(f32_ne, u32, f32, a != b)
    BIN(f32_lt, u32, f32, a < b)
    BIN(f32_gt, u32, f32, a > b)
    BIN(f32_le, u32, f32, a <= b)
    BIN(f32_ge, u32, f32, a >= b)
    BIN(f64_eq, u32, f64, a == b)
    BIN(f64_ne, u32, f64, a != b)
    BIN(f64_lt, u32, f64, a < b)
    BIN(f64_gt, u32, f64, a > b)
    BIN(f64_le, u32, f64, a <= b)
    BIN(f64_ge, u32, f64, a >= b)

    UN(i32_clz, u32, u32, a ? (u32)__builtin_clz(a) : 32)
    UN(i32_ctz, u32, u32, a ? (u32)__builtin_ctz(a) : 32)
    UN(i32_popcnt, u32, u32, (u32)__builtin_popcount(a))
    BIN2(i32_add, u32, u32, a + b)
    BIN2(i32_sub, u32, u32, a - b)
    BIN2(i32_mul, u32, u32, a * b)
    BIN2(i32_and, u32, u32, a & b)
    BIN2(i32_or, u32, u32, a | b)
    BIN2(i32_xor, u32, u32, a ^ b)
    BIN2(i32_shl, u32, u32, a << (b & 31))
    BIN2(i32_shr_s, s32, s32, a >> (b & 31))
    BIN2(i32_shr_u, u32, u32, a >> (b & 31))
    BIN2(i32_rotl, u32, u32, (a << (b & 31)) | (a >> ((32 - b) & 31)))
    BIN(i32_rotr, u32, u32, (a >> (b & 31)) | (a << ((32 - b) & 31)))
    DIVREM(i32, s32, u32, i32, u32, INT32_MIN)
    UN(i64_clz, u64, u64, a ? (u64)__builtin_clzll(a) : 64)
    UN(i64_ctz, u64, u64, a ? (u64)__builtin_ctzll(a) : 64)
    UN(i64_popcnt, u64, u64, (u64)__builtin_popcountll(a))
    BIN2(i64_add, u64, u64, a + b)
    BIN2(i64_sub, u64, u64, a - b)
    BIN2(i64_mul, u64, u64, a * b)
    BIN2(i64_and, u64, u64, a & b)
    BIN2(i64_or, u64, u64, a | b)
    BIN2(i64_xor, u64, u64, a ^ b)
    BIN2(i64_shl, u64, u64, a << (b & 63))
    BIN2(i64_shr_s, s64, s64, a >> (b & 63))
    BIN2(i64_shr_u, u64, u64, a >> (b & 63))
    BIN(i64_rotl, u64, u64, (a << (b & 63)) | (a >> ((64 - b) & 63)))
    BIN(i64_rotr, u64, u64, (a >> (b & 63)) | (a << ((64 - b) & 63)))
    DIVREM(i64, s64, u64, i64, u64, INT64_MIN)

    /* Sign-bit operations work on the bits so that NaN payloads pass through untouched.
     * libm's rounding functions may return a signaling NaN as is: a + a quiets it. */
    UN(f32_abs, u32, u32, a & 0x7FFFFFFFu)
    UN(f32_neg, u32, u32, a ^ 0x80000000u)
    UN(f32_ceil, f32, f32, isnan(a) ? a + a : ceilf(a))
    UN(f32_floor, f32, f32, isnan(a) ? a + a : floorf(a))
    UN(f32_trunc, f32, f32, isnan(a) ? a + a : truncf(a))
    UN(f32_nearest, f32, f32, nearbyintf(a))
    UN(f32_sqrt, f32, f32, sqrtf(a))
    FBIN2(f32_add, f32, a + b)
    FBIN2(f32_sub, f32, a - b)
    FBIN2(f32_mul, f32, a * b)
    FBIN2(f32_div, f32, a / b)
    BIN(f32_min, f32, f32, FMIN(f32, a, b))
    BIN(f32_max, f32, f32, FMAX(f32, a, b))
    BIN(f32_copysign, u32, u32, (a & 0x7FFFFFFFu) | (b & 0x80000000u))
    UN(f64_abs, u64, u64, a & 0x7FFFFFFFFFFFFFFFull)
    UN(f64_neg, u64, u64, a ^ 0x8000000000000000ull)
    UN(f64_ceil, f64, f64, isnan(a) ? a + a : ceil(a))
    UN(f64_floor, f64, f64, isnan(a) ? a + a : floor(a))
    UN(f64_trunc, f64, f64, isnan(a) ? a + a : trunc(a))
    UN(f64_nearest, f64, f64, nearbyint(a))
    UN(f64_sqrt, f64, f64, sqrt(a))
    FBIN2(f64_add, f64, a + b)
    FBIN2(f64_sub, f64, a - b)
    FBIN2(f64_mul, f64, a * b)
    FBIN2(f64_div, f64, a / b)
    BIN(f64_min, f64, f64, FMIN(f64, a, b))
    BIN(f64_max, f64, f64, FMAX(f64, a, b))
    BIN(f64_copysign, u64, u64, (a & 0x7FFFFFFFFFFFFFFFull) | (b & 0x8000000000000000ull))

    UN(i32_wrap_i64, u32, u64, (u32)a)
    TRUNC(i32_trunc_f32_s, s32, f32, -2147483904.0f, 2147483648.0f)
    TRUNC(i32_trunc_f32_u, u32, f32, -1.0f, 4294967296.0f)
    TRUNC(i32_trunc_f64_s, s32, f64, -2147483649.0, 2147483648.0)
    TRUNC(i32_trunc_f64_u, u32, f64, -1.0, 4294967296.0)
    UN(i64_extend_i32_s, s64, s32, (s64)a)
    UN(i64_extend_i32_u, u64, u32, (u64)a)
    TRUNC(i64_trunc_f32_s, s64, f32, -9223373136366403584.0f, 9223372036854775808.0f)
    TRUNC(i64_trunc_f32_u, u64, f32, -1.0f, 18446744073709551616.0f)
    TRUNC(i64_trunc_f64_s, s64, f64, -9223372036854777856.0, 9223372036854775808.0)
    TRUNC(i64_trunc_f64_u, u64, f64, -1.0, 18446744073709551616.0)
    UN(f32_convert_i32_s, f32, s32, (f32)a)
    UN(f32_convert_i32_u, f32, u32, (f32)a)
    UN(f32_convert_i64_s, f32, s64, (f32)a)
    UN(f32_convert_i64_u, f32, u64, (f32)a)
    UN(f32_demote_f64, f32, f64, (f32)a)
    UN(f64_convert_i32_s, f64, s32, (f64)a)
    UN(f64_convert_i32_u, f64, u32, (f64)a)
    UN(f64_convert_i64_s, f64, s64, (f64)a)
    UN(f64_convert_i64_u, f64, u64, (f64)a)
    UN(f64_promote_f32, f64, f32, (f64)a)
    UN(i32_reinterpret_f32, u32, u32, a)
    UN(i64_reinterpret_f64, u64, u64, a)
    UN(f32_reinterpret_i32, u32, u32, a)
    UN(f64_reinterpret_i64, u64, u64, a)
    UN(i32_extend8_s, s32, s32, (s32)(int8_t)a)
    UN(i32_extend16_s, s32, s32, (s32)(int16_t)a)
    UN(i64_extend8_s, s64, s64, (s64)(int8_t)a)
    UN(i64_extend16_s, s64, s64, (s64)(int16_t)a)
    UN(i64_extend32_s, s64, s64, (s64)(int32_t)a)
    UN(i32_trunc_sat_f32_s, s32, f32,
       SAT(s32, a, -2147483904.0f, 2147483648.0f, INT32_MIN, INT32_MAX))
    UN(i32_trunc_sat_f32_u, u32, f32, SAT(u32, a, -1.0f, 4294967296.0f, 0, UINT32_MAX))
    UN(i32_trunc_sat_f64_s, s32, f64,
       SAT(s32, a, -2147483649.0, 2147483648.0, INT32_MIN, INT32_MAX))
    UN(i32_trunc_sat_f64_u, u32, f64, SAT(u32, a, -1.0, 4294967296.0, 0, UINT32_MAX))
    UN(i64_trunc_sat_f32_s, s64, f32,
       SAT(s64, a, -9223373136366403584.0f, 9223372036854775808.0f, INT64_MIN, INT64_MAX))
    UN(i64_trunc_sat_f32_u, u64, f32, SAT(u64, a, -1.0f, 18446744073709551616.0f, 0, UINT64_MAX))
    UN(i64_trunc_sat_f64_s, s64, f64,
       SAT(s64, a, -9223372036854777856.0, 9223372036854775808.0, INT64_MIN, INT64_MAX))
    UN(i64_trunc_sat_f64_u, u64, f64, SAT(u64, a, -1.0, 18446744073709551616.0, 0, UINT64_MAX))

    /* ---- compares fused with branches ---- */
#define BRCMP(name, A, cmp)                                                                        \
    L_br_##name : {                                                                                \
        A a = LD_##A(1), b = LD_##A(2);                                                            \
        pc = (a cmp b) ? pc[3].target : pc + 4;                                                    \
        NEXT();                                                                                    \
    }                                                                                              \
    L_br_##name##_back : {                                                                         \
        A a = LD_##A(1), b = LD_##A(2);                                                            \
        if (a cmp b) {                                                                             \
            pc = pc[3].target;                                                                     \
            POLL();                                                                                \
            NEXT();                                                                                \
        }                                                                                          \
        pc += 4;                                                                                   \
        NEXT();                                                                                    \
    }                                                                                              \
    L_br_##name##_imm : {                                                                          \
        A a = LD_##A(1), b = (A)pc[2].u;                                                           \
        pc = (a cmp b) ? pc[3].target : pc + 4;                                                    \
        NEXT();                                                                                    \
    }                                                                                              \
    L_br_##name##_imm_back : {                                                                     \
        A a = LD_##A(1), b = (A)pc[2].u;                                                           \
        if (a cmp b) {                                                                             \
            pc = pc[3].target;                                                                     \
            POLL();                                                                                \
            NEXT();                                                                                \
        }                                                                                          \
        pc += 4;                                                                                   \
        NEXT();                                                                                    \
    }
    /* x = src + k (an immediate, or for _step a frame operand), then the compare-and-branch
     * on x */
#define BRINC_ONE(label, A, cmp, K, B)                                                             \
    label : {                                                                                      \
        u32 x = OPD(2).u32 + (K);                                                                  \
        OPD(1).u32 = x;                                                                            \
        if ((A)x cmp(B)) {                                                                         \
            pc = pc[5].target;                                                                     \
            POLL();                                                                                \
            NEXT();                                                                                \
        }                                                                                          \
        pc += 6;                                                                                   \
        NEXT();                                                                                    \
    }
#define BRINC(name, A, cmp)                                                                        \
    BRINC_ONE(L_br_inc_##name##_back, A, cmp, (u32)pc[3].u, LD_##A(4))                             \
    BRINC_ONE(L_br_inc_##name##_imm_back, A, cmp, (u32)pc[3].u, (A)pc[4].u)                        \
    BRINC_ONE(L_br_step_##name##_back, A, cmp, OPD(3).u32, LD_##A(4))                              \
    BRINC_ONE(L_br_step_##name##_imm_back, A, cmp, OPD(3).u32, (A)pc[4].u)
    BRINC(i32_eq, u32, ==)
    BRINC(i32_ne, u32, !=)
    BRINC(i32_lt_s, s32, <)
    BRINC(i32_lt_u, u32, <)
    BRINC(i32_gt_s, s32, >)
    BRINC(i32_gt_u, u32, >)
    BRINC(i32_le_s, s32, <=)
    BRINC(i32_le_u, u32, <=)
    BRINC(i32_ge_s, s32, >=)
    BRINC(i32_ge_u, u32, >=)

    BRCMP(i32_eq, u32, ==)
    BRCMP(i32_ne, u32, !=)
    BRCMP(i32_lt_s, s32, <)
    BRCMP(i32_lt_u, u32, <)
    BRCMP(i32_gt_s, s32, >)
    BRCMP(i32_gt_u, u32, >)
    BRCMP(i32_le_s, s32, <=)
    BRCMP(i32_le_u, u32, <=)
    BRCMP(i32_ge_s, s32, >=)
    BRCMP(i32_ge_u, u32, >=)

    /* ---- superinstructions ---- */
#define LOAD_BINOP(name, memop, T, op)                                                             \
    L_##name##_ld : {                                                                              \
        uint64_t ea = EA(3, 4, 5);                                                                 \
        T b;                                                                                       \
        memcpy(&b, mem + ea, sizeof b);                                                            \
        LD_##T(1) = LD_##T(2) op b;                                                                \
        pc += 6;                                                                                   \
        NEXT();                                                                                    \
    }                                                                                              \
    L_##name##_ld_chk : {                                                                          \
        uint64_t ea = EA(3, 4, 5);                                                                 \
        if (unlikely(ea + sizeof(T) > memsize)) TRAP(SL_TRAP_MEMORY_OOB);                          \
        T b;                                                                                       \
        memcpy(&b, mem + ea, sizeof b);                                                            \
        LD_##T(1) = LD_##T(2) op b;                                                                \
        pc += 6;                                                                                   \
        NEXT();                                                                                    \
    }
#define STORE_BINOP(name, memop, T, op)                                                            \
    L_##name##_st : {                                                                              \
        uint64_t ea = (uint64_t)OPD(1).u32 + pc[4].u;                                              \
        T v = LD_##T(2) op LD_##T(3);                                                              \
        memcpy(mem + ea, &v, sizeof v);                                                            \
        pc += 5;                                                                                   \
        NEXT();                                                                                    \
    }                                                                                              \
    L_##name##_st_chk : {                                                                          \
        uint64_t ea = (uint64_t)OPD(1).u32 + pc[4].u;                                              \
        if (unlikely(ea + sizeof(T) > memsize)) TRAP(SL_TRAP_MEMORY_OOB);                          \
        T v = LD_##T(2) op LD_##T(3);                                                              \
        memcpy(mem + ea, &v, sizeof v);                                                            \
        pc += 5;                                                                                   \
        NEXT();                                                                                    \
    }
    SL_LOAD_BINOPS(LOAD_BINOP)
    SL_STORE_BINOPS(STORE_BINOP)

#define ROTL32(x, k) (((x) << ((k)&31)) | ((x) >> ((32 - (k)) & 31)))
#define SHL32(x, k)  ((x) << ((k)&31))
#define SHR32(x, k)  ((x) >> ((k)&31))
#define SHL64(x, k)  ((x) << ((k)&63))
#define SHR64(x, k)  ((x) >> ((k)&63))
#define SHIFT_BINOP(outer, inner, T, op, shift)                                                    \
    L_##outer##_##inner : {                                                                        \
        T a = LD_##T(2), x = LD_##T(3), k = (T)pc[4].u;                                            \
        LD_##T(1) = a op shift(x, k);                                                              \
        pc += 5;                                                                                   \
        NEXT();                                                                                    \
    }
    SL_SHIFT_BINOPS(SHIFT_BINOP)

#define INDEXED_EA() ((uint64_t)(uint32_t)(OPD(2).u32 + (OPD(3).u32 << (pc[4].u & 31))) + pc[5].u)
#define INDEXED_LOAD(name, T, store_expr)                                                          \
    L_##name##_x : {                                                                               \
        uint64_t ea = INDEXED_EA();                                                                \
        T v;                                                                                       \
        memcpy(&v, mem + ea, sizeof v);                                                            \
        store_expr;                                                                                \
        pc += 6;                                                                                   \
        NEXT();                                                                                    \
    }                                                                                              \
    L_##name##_x_chk : {                                                                           \
        uint64_t ea = INDEXED_EA();                                                                \
        if (unlikely(ea + sizeof(T) > memsize)) TRAP(SL_TRAP_MEMORY_OOB);                          \
        T v;                                                                                       \
        memcpy(&v, mem + ea, sizeof v);                                                            \
        store_expr;                                                                                \
        pc += 6;                                                                                   \
        NEXT();                                                                                    \
    }
    SL_INDEXED_LOADS(INDEXED_LOAD)

#define MULACC(name, outer, inner, T, op, iop)                                                     \
    L_##name : {                                                                                   \
        T a = LD_##T(2), p = LD_##T(3) iop LD_##T(4);                                              \
        LD_##T(1) = a op p;                                                                        \
        pc += 5;                                                                                   \
        NEXT();                                                                                    \
    }
    SL_MULACC_OPS(MULACC)

trap:
    store->depth = (uint32_t)(frame - store->frames);
    if (trap_code == SL_HOST_EXIT) {
        sl_fail(err, SL_ERR_EXIT, -1, "exit with code %d", store->exit_code);
        if (err) err->exit_code = store->exit_code;
        return SL_ERR_EXIT;
    }
    if (trap_code == SL_TRAP_HOST && store->trap_message[0])
        sl_fail(err, SL_ERR_TRAP, -1, "%s", store->trap_message);
    else if (trap_code == SL_TRAP_INTERRUPTED && sl_watchdog_fired(store))
        sl_fail(err, SL_ERR_TRAP, -1, "interrupted: time limit of %u ms exceeded",
                store->timeout_ms);
    else
        sl_fail(err, SL_ERR_TRAP, -1, "%s", sl_trap_message((sl_trap)trap_code));
    if (err) err->trap = (sl_trap)trap_code;
    return SL_ERR_TRAP;
}

const void *const *sl_interp_handlers(void) {
    const void *const *table;
    run(NULL, NULL, NULL, NULL, 0, NULL, &table);
    return table;
}

/* ---- entry from the embedder ------------------------------------------------------------ */

static sl_status trap_status(sl_error *err, sl_trap t) {
    sl_fail(err, SL_ERR_TRAP, -1, "%s", sl_trap_message(t));
    if (err) err->trap = t;
    return SL_ERR_TRAP;
}

static sl_status call_host(sl_store *s, sl_func *f, sl_slot *slots, sl_error *err) {
    sl_slot *saved_sp = s->sp;
    sl_slot buf[16];
    uint32_t n = f->type->nparams > f->type->nresults ? f->type->nparams : f->type->nresults;
    sl_slot *args = n <= 16 ? buf : malloc(n * sizeof *args);
    if (!args) return sl_fail(err, SL_ERR_NOMEM, -1, "out of memory");
    memcpy(args, slots, f->type->nparams * sizeof *args);
    sl_caller caller = {s, NULL};
    s->trap_message[0] = 0;
    int rc = f->host(&caller, args, f->user);
    s->sp = saved_sp;
    if (rc == 0) memcpy(slots, args, f->type->nresults * sizeof *args);
    if (args != buf) free(args);
    if (rc == SL_HOST_EXIT) {
        sl_fail(err, SL_ERR_EXIT, -1, "exit with code %d", s->exit_code);
        if (err) err->exit_code = s->exit_code;
        return SL_ERR_EXIT;
    }
    if (rc) {
        if (rc == SL_TRAP_HOST && s->trap_message[0]) {
            sl_fail(err, SL_ERR_TRAP, -1, "%s", s->trap_message);
            if (err) err->trap = SL_TRAP_HOST;
            return SL_ERR_TRAP;
        }
        return trap_status(err, (sl_trap)rc);
    }
    return SL_OK;
}

sl_status sl_interp_trap_status(sl_store *s, sl_error *err, int code) {
    if (code == SL_HOST_EXIT) {
        sl_fail(err, SL_ERR_EXIT, -1, "exit with code %d", s->exit_code);
        if (err) err->exit_code = s->exit_code;
        return SL_ERR_EXIT;
    }
    if ((code == SL_TRAP_HOST || code == SL_TRAP_INTERRUPTED) && s->trap_message[0]) {
        sl_fail(err, SL_ERR_TRAP, -1, "%s", s->trap_message);
        if (err) err->trap = (sl_trap)code;
        return SL_ERR_TRAP;
    }
    return trap_status(err, (sl_trap)code);
}

sl_status sl_interp_call(sl_store *s, sl_func *f, sl_slot *slots, sl_error *err) {
    if (f->host) return call_host(s, f, slots, err);
    if (f->native) return sl_native_call(s, f, slots, err);
    const sl_code *c = f->code;
    sl_slot *fp = s->sp;
    uint32_t saved_depth = s->depth;
    sl_slot *saved_sp = s->sp;
    if (saved_depth + 1 >= s->limits.max_call_depth || fp + c->frame_slots > s->stack_end)
        return trap_status(err, SL_TRAP_STACK_EXHAUSTED);
    memcpy(fp, slots, c->nparams * sizeof *fp);
    for (uint32_t i = c->nparams; i < c->nlocals; i++)
        fp[i].u64 = 0;
    s->frames[saved_depth] = (sl_frame){.pc = &s->exit_word, .fp = fp, .inst = NULL};
    s->trap_message[0] = 0;

    sl_exec ex;
    ex.prev = sl_current_exec;
    ex.store = s;
    bool outermost = !ex.prev || ex.prev->store != s;
    if (outermost) sl_watchdog_arm(s);
    sl_status st;
    int code = sigsetjmp(ex.jmp, 0);
    if (code == 0) {
        sl_current_exec = &ex;
        st = run(s, f->inst, c->words, fp, saved_depth + 1, err, NULL);
    } else {
        st = trap_status(err, (sl_trap)code);
    }
    sl_current_exec = ex.prev;
    if (st == SL_ERR_TRAP && err && err->trap == SL_TRAP_INTERRUPTED && sl_watchdog_fired(s))
        sl_fail(err, SL_ERR_TRAP, -1, "interrupted: time limit of %u ms exceeded", s->timeout_ms),
            err->trap = SL_TRAP_INTERRUPTED;
    if (outermost) sl_watchdog_disarm(s);
    s->depth = saved_depth;
    s->sp = saved_sp;
    if (st == SL_OK) memcpy(slots, fp, c->nresults * sizeof *fp);
    return st;
}
