/*
 * native.c - Wasm function bodies to LLVM IR, and LLVM IR to an ELF object in memory.
 *
 * The shape of the code is in docs/native.md. One LLVM context, module and target machine per
 * call of sl_native_compile: nothing is shared between compilations, so threads may compile
 * at once. Typing comes from the opcode table (opcodes.def): a fixed-signature instruction
 * pops the operands and pushes the result its line says, and only the operation itself is a
 * case here.
 */
#include <llvm-c/Analysis.h>
#include <llvm-c/Core.h>
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>
#include <llvm-c/Transforms/PassBuilder.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile/native.h"
#include "vm/native_abi.h"
#include "vm/opcodes.h"

/* Set once: LLVM's target registry is process-wide and its initialization idempotent. */
static pthread_once_t targets_once = PTHREAD_ONCE_INIT;
static void init_targets(void) {
    LLVMInitializeX86TargetInfo();
    LLVMInitializeX86Target();
    LLVMInitializeX86TargetMC();
    LLVMInitializeX86AsmPrinter();
}

const char *sl_native_llvm_version(void) {
    return "15";
}

/* A control frame of the function being translated. */
typedef struct ctl {
    uint8_t kind;         /* SL_OP_BLOCK, LOOP, IF */
    LLVMBasicBlockRef br; /* where a branch to this label goes: the end, or a loop's header */
    LLVMBasicBlockRef end;
    LLVMBasicBlockRef els; /* IF: the else block (NULL once bound) */
    uint32_t height;       /* operand stack height below the block's params */
    uint32_t nparams, nresults;
    const uint8_t *ptypes, *rtypes;
    LLVMValueRef *vars;  /* IF: saved params for else; values a branch carries: allocas */
    LLVMValueRef *pvars; /* LOOP: allocas of its params */
    LLVMValueRef *saved; /* IF: the params, to push again at else */
    bool reachable_end;  /* some branch or fallthrough reaches the end */
} ctl;

typedef struct fc {
    const sl_module *m;
    const sl_native_options *opt;
    LLVMContextRef c;
    LLVMModuleRef mod;
    LLVMBuilderRef b;
    LLVMTypeRef t_i1, t_i8, t_i16, t_i32, t_i64, t_f32, t_f64, t_ptr, t_void;
    LLVMValueRef *funcs; /* per function index */
    LLVMTypeRef *ftypes; /* per function index */
    LLVMValueRef f_trap, f_poll, f_grow, f_call, f_call_ref;
    LLVMTypeRef ty_trap, ty_poll, ty_grow, ty_call, ty_call_ref;
    /* the function being compiled */
    LLVMValueRef fn, ctx, membase;
    LLVMValueRef *locals;
    uint8_t *ltypes;
    uint32_t nlocals;
    LLVMValueRef *stack;
    uint32_t sp, stack_cap;
    ctl *ctls;
    uint32_t nctl, ctl_cap;
    LLVMBasicBlockRef traps[SL_TRAP_HOST + 1];
    char why[160];
} fc;

#define UNSUPPORTED(...) (snprintf(f->why, sizeof f->why, __VA_ARGS__), false)

static LLVMTypeRef vt(fc *f, uint8_t t) {
    switch (t) {
    case SL_I32: return f->t_i32;
    case SL_I64: return f->t_i64;
    case SL_F32: return f->t_f32;
    case SL_F64: return f->t_f64;
    default: return NULL; /* references and v128: not yet */
    }
}

static LLVMTypeRef fn_type(fc *f, const sl_functype *ft) {
    LLVMTypeRef params[ft->nparams + 1];
    params[0] = f->t_ptr;
    for (uint32_t i = 0; i < ft->nparams; i++) {
        params[i + 1] = vt(f, ft->types[i]);
        if (!params[i + 1]) return NULL;
    }
    for (uint32_t i = 0; i < ft->nresults; i++)
        if (!vt(f, ft->types[ft->nparams + i])) return NULL;
    if (ft->nresults > SL_NATIVE_MAX_EXTRA_RESULTS + 1) return NULL;
    LLVMTypeRef ret = ft->nresults ? vt(f, ft->types[ft->nparams]) : f->t_void;
    return LLVMFunctionType(ret, params, ft->nparams + 1, 0);
}

/* ---- helpers ---- */

static LLVMValueRef field_ptr(fc *f, size_t off) {
    LLVMValueRef idx = LLVMConstInt(f->t_i64, off, 0);
    return LLVMBuildGEP2(f->b, f->t_i8, f->ctx, &idx, 1, "");
}
static LLVMValueRef field_ptr_of(fc *f, LLVMValueRef ctx, size_t off) {
    LLVMValueRef idx = LLVMConstInt(f->t_i64, off, 0);
    return LLVMBuildGEP2(f->b, f->t_i8, ctx, &idx, 1, "");
}
static LLVMValueRef load_field(fc *f, LLVMTypeRef t, size_t off) {
    return LLVMBuildLoad2(f->b, t, field_ptr(f, off), "");
}
static void reload_mem(fc *f) {
    if (!f->m->nmemories) return;
    LLVMBuildStore(f->b, load_field(f, f->t_ptr, offsetof(sl_native_ctx, mem0_base)), f->membase);
}

static void push(fc *f, LLVMValueRef v) {
    if (f->sp == f->stack_cap) {
        f->stack_cap = f->stack_cap ? f->stack_cap * 2 : 64;
        f->stack = realloc(f->stack, f->stack_cap * sizeof *f->stack);
    }
    f->stack[f->sp++] = v;
}
static LLVMValueRef pop(fc *f) {
    return f->stack[--f->sp];
}

/* The block that calls the trap helper with `code`, one per function and code. */
static LLVMBasicBlockRef trap_block(fc *f, int code) {
    if (f->traps[code]) return f->traps[code];
    LLVMBasicBlockRef here = LLVMGetInsertBlock(f->b);
    LLVMBasicBlockRef bb = LLVMAppendBasicBlockInContext(f->c, f->fn, "trap");
    LLVMPositionBuilderAtEnd(f->b, bb);
    LLVMValueRef args[2] = {f->ctx, LLVMConstInt(f->t_i32, (unsigned)code, 0)};
    LLVMBuildCall2(f->b, f->ty_trap, f->f_trap, args, 2, "");
    LLVMBuildUnreachable(f->b);
    LLVMPositionBuilderAtEnd(f->b, here);
    return f->traps[code] = bb;
}

/* Trap with `code` if cond is true (a cold branch). */
static void trap_if(fc *f, LLVMValueRef cond, int code) {
    LLVMBasicBlockRef ok = LLVMAppendBasicBlockInContext(f->c, f->fn, "ok");
    LLVMValueRef br = LLVMBuildCondBr(f->b, cond, trap_block(f, code), ok);
    /* branch weights: the trap side is cold */
    LLVMValueRef w[3] = {LLVMMDStringInContext(f->c, "branch_weights", 14),
                         LLVMConstInt(f->t_i32, 1, 0), LLVMConstInt(f->t_i32, 1 << 20, 0)};
    LLVMSetMetadata(br, LLVMGetMDKindIDInContext(f->c, "prof", 4), LLVMMDNodeInContext(f->c, w, 3));
    LLVMPositionBuilderAtEnd(f->b, ok);
}

static void emit_poll(fc *f) {
    if (!f->opt->poll) return;
    LLVMValueRef pp = load_field(f, f->t_ptr, offsetof(sl_native_ctx, poll));
    LLVMValueRef v = LLVMBuildLoad2(f->b, f->t_i32, pp, "poll");
    LLVMSetOrdering(v, LLVMAtomicOrderingMonotonic);
    LLVMSetAlignment(v, 4);
    LLVMBasicBlockRef slow = LLVMAppendBasicBlockInContext(f->c, f->fn, "poll_slow");
    LLVMBasicBlockRef ok = LLVMAppendBasicBlockInContext(f->c, f->fn, "poll_ok");
    LLVMValueRef br = LLVMBuildCondBr(
        f->b, LLVMBuildICmp(f->b, LLVMIntNE, v, LLVMConstInt(f->t_i32, 0, 0), ""), slow, ok);
    LLVMValueRef w[3] = {LLVMMDStringInContext(f->c, "branch_weights", 14),
                         LLVMConstInt(f->t_i32, 1, 0), LLVMConstInt(f->t_i32, 1 << 20, 0)};
    LLVMSetMetadata(br, LLVMGetMDKindIDInContext(f->c, "prof", 4), LLVMMDNodeInContext(f->c, w, 3));
    LLVMPositionBuilderAtEnd(f->b, slow);
    LLVMBuildCall2(f->b, f->ty_poll, f->f_poll, &f->ctx, 1, "");
    LLVMBuildBr(f->b, ok);
    LLVMPositionBuilderAtEnd(f->b, ok);
}

static LLVMValueRef intrinsic(fc *f, const char *name, LLVMTypeRef *tys, unsigned ntys,
                              LLVMValueRef *args, unsigned nargs) {
    unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
    LLVMValueRef decl = LLVMGetIntrinsicDeclaration(f->mod, id, tys, ntys);
    LLVMTypeRef ty = LLVMIntrinsicGetType(f->c, id, tys, ntys);
    return LLVMBuildCall2(f->b, ty, decl, args, nargs, "");
}
static LLVMValueRef intr1(fc *f, const char *name, LLVMValueRef a) {
    LLVMTypeRef t = LLVMTypeOf(a);
    return intrinsic(f, name, &t, 1, &a, 1);
}
static LLVMValueRef intr2(fc *f, const char *name, LLVMValueRef a, LLVMValueRef b) {
    LLVMTypeRef t = LLVMTypeOf(a);
    LLVMValueRef args[2] = {a, b};
    return intrinsic(f, name, &t, 1, args, 2);
}

static LLVMValueRef cint(LLVMValueRef like, uint64_t v) {
    return LLVMConstInt(LLVMTypeOf(like), v, 0);
}

/* LLVM folds x * 1, x / 1, x * -1, x + -0, -0 - x and the like into x or fneg x, which keeps
 * a signalling NaN's payload where Wasm's arithmetic must return a quiet NaN. Passing such a
 * constant through an empty asm hides its value from the optimizer, at the cost of one
 * register move where the constant is used. (x86: "x" is an SSE register.) */
static LLVMValueRef opaque(fc *f, LLVMValueRef v) {
    LLVMTypeRef t = LLVMTypeOf(v);
    LLVMTypeRef ft = LLVMFunctionType(t, &t, 1, 0);
    LLVMValueRef asm_ = LLVMGetInlineAsm(ft, "", 0, "=x,0", 4, 0, 0, LLVMInlineAsmDialectATT, 0);
    return LLVMBuildCall2(f->b, ft, asm_, &v, 1, "");
}
static LLVMValueRef opaque_if_identity(fc *f, LLVMValueRef v) {
    if (!LLVMIsAConstantFP(v)) return v;
    LLVMBool lost;
    double d = LLVMConstRealGetDouble(v, &lost);
    if (d != 1.0 && d != -1.0 && d != 0.0) return v; /* 0.0 == -0.0: both */
    return opaque(f, v);
}
static void opaque_operands(fc *f, LLVMValueRef *a, LLVMValueRef *c) {
    *a = opaque_if_identity(f, *a);
    *c = opaque_if_identity(f, *c);
}

/* Wasm's fmin/fmax: NaN if either operand is NaN; -0 below +0 (decided on the bits). */
static LLVMValueRef fminmax(fc *f, LLVMValueRef a, LLVMValueRef b, bool is_max) {
    LLVMTypeRef ft = LLVMTypeOf(a);
    LLVMTypeRef it = ft == f->t_f32 ? f->t_i32 : f->t_i64;
    LLVMValueRef unord = LLVMBuildFCmp(f->b, LLVMRealUNO, a, b, "");
    LLVMValueRef eq = LLVMBuildFCmp(f->b, LLVMRealOEQ, a, b, "");
    LLVMValueRef ai = LLVMBuildBitCast(f->b, a, it, ""), bi = LLVMBuildBitCast(f->b, b, it, "");
    /* equal operands differ at most in the sign of zero: min ORs the sign in, max ANDs */
    LLVMValueRef z = LLVMBuildBitCast(
        f->b, is_max ? LLVMBuildAnd(f->b, ai, bi, "") : LLVMBuildOr(f->b, ai, bi, ""), ft, "");
    LLVMValueRef lt = LLVMBuildFCmp(f->b, is_max ? LLVMRealOGT : LLVMRealOLT, a, b, "");
    LLVMValueRef r = LLVMBuildSelect(f->b, lt, a, b, "");
    r = LLVMBuildSelect(f->b, eq, z, r, "");
    return LLVMBuildSelect(f->b, unord, LLVMBuildFAdd(f->b, a, b, ""), r, "");
}

/* Trapping float-to-int truncation: NaN is an invalid conversion, and out of (lo, hi) an
 * overflow; the bounds are the interpreter's (interp.c, TRUNC). */
static LLVMValueRef trunc_trap(fc *f, LLVMValueRef a, LLVMTypeRef to, bool sign, double lo,
                               double hi) {
    LLVMTypeRef ft = LLVMTypeOf(a);
    trap_if(f, LLVMBuildFCmp(f->b, LLVMRealUNO, a, a, ""), SL_TRAP_INVALID_CONVERSION);
    LLVMValueRef in =
        LLVMBuildAnd(f->b, LLVMBuildFCmp(f->b, LLVMRealOGT, a, LLVMConstReal(ft, lo), ""),
                     LLVMBuildFCmp(f->b, LLVMRealOLT, a, LLVMConstReal(ft, hi), ""), "");
    trap_if(f, LLVMBuildNot(f->b, in, ""), SL_TRAP_INT_OVERFLOW);
    return sign ? LLVMBuildFPToSI(f->b, a, to, "") : LLVMBuildFPToUI(f->b, a, to, "");
}

static LLVMValueRef trunc_sat(fc *f, LLVMValueRef a, LLVMTypeRef to, bool sign) {
    LLVMTypeRef tys[2] = {to, LLVMTypeOf(a)};
    return intrinsic(f, sign ? "llvm.fptosi.sat" : "llvm.fptoui.sat", tys, 2, &a, 1);
}

static LLVMValueRef divrem(fc *f, uint16_t op, LLVMValueRef a, LLVMValueRef b, bool is64) {
    trap_if(f, LLVMBuildICmp(f->b, LLVMIntEQ, b, cint(b, 0), ""), SL_TRAP_DIV_ZERO);
    uint64_t minv = is64 ? (uint64_t)1 << 63 : (uint64_t)1 << 31;
    LLVMValueRef m1 = LLVMBuildICmp(f->b, LLVMIntEQ, b, LLVMConstAllOnes(LLVMTypeOf(b)), "");
    switch (op) {
    case SL_OP_I32_DIV_S:
    case SL_OP_I64_DIV_S:
        trap_if(f, LLVMBuildAnd(f->b, m1, LLVMBuildICmp(f->b, LLVMIntEQ, a, cint(a, minv), ""), ""),
                SL_TRAP_INT_OVERFLOW);
        return LLVMBuildSDiv(f->b, a, b, "");
    case SL_OP_I32_DIV_U:
    case SL_OP_I64_DIV_U: return LLVMBuildUDiv(f->b, a, b, "");
    case SL_OP_I32_REM_S:
    case SL_OP_I64_REM_S: {
        /* INT_MIN % -1 is 0 in Wasm but undefined in LLVM: divide by 1 instead */
        LLVMValueRef d = LLVMBuildSelect(f->b, m1, cint(b, 1), b, "");
        return LLVMBuildSRem(f->b, a, d, "");
    }
    default: return LLVMBuildURem(f->b, a, b, "");
    }
}

/* The address of an access: base + zext(addr) + offset, in 64 bits (no wrap-around). */
static LLVMValueRef ea(fc *f, LLVMValueRef addr, uint32_t offset, unsigned width) {
    LLVMValueRef e = LLVMBuildAdd(f->b, LLVMBuildZExt(f->b, addr, f->t_i64, ""),
                                  LLVMConstInt(f->t_i64, offset, 0), "");
    if (f->opt->explicit_bounds) {
        LLVMValueRef size = load_field(f, f->t_i64, offsetof(sl_native_ctx, mem0_size));
        LLVMValueRef end = LLVMBuildAdd(f->b, e, LLVMConstInt(f->t_i64, width, 0), "");
        trap_if(f, LLVMBuildICmp(f->b, LLVMIntUGT, end, size, ""), SL_TRAP_MEMORY_OOB);
    }
    LLVMValueRef base = LLVMBuildLoad2(f->b, f->t_ptr, f->membase, "");
    return LLVMBuildGEP2(f->b, f->t_i8, base, &e, 1, "");
}

/* ---- fixed-signature instructions ---- */

static bool numeric(fc *f, const sl_instr *in) {
    LLVMBuilderRef b = f->b;
    const sl_opinfo *info = in->info;
    LLVMValueRef x[3] = {0};
    for (int i = info->nin - 1; i >= 0; i--)
        x[i] = pop(f);
    LLVMValueRef a = x[0], c = x[1], r = NULL;
    LLVMTypeRef out = info->out ? vt(f, info->out) : NULL;
    switch (in->op) {
    /* constants */
    case SL_OP_I32_CONST: r = LLVMConstInt(f->t_i32, (uint32_t)in->bits, 0); break;
    case SL_OP_I64_CONST: r = LLVMConstInt(f->t_i64, in->bits, 0); break;
    case SL_OP_F32_CONST:
        r = LLVMConstBitCast(LLVMConstInt(f->t_i32, (uint32_t)in->bits, 0), f->t_f32);
        break;
    case SL_OP_F64_CONST:
        r = LLVMConstBitCast(LLVMConstInt(f->t_i64, in->bits, 0), f->t_f64);
        break;
        /* integer comparisons */
#define ICMP(W, NAME, PRED)                                                                        \
    case SL_OP_I##W##_##NAME:                                                                      \
        r = LLVMBuildZExt(b, LLVMBuildICmp(b, PRED, a, c, ""), f->t_i32, "");                      \
        break;
#define ICMPS(W)                                                                                   \
    ICMP(W, EQ, LLVMIntEQ)                                                                         \
    ICMP(W, NE, LLVMIntNE)                                                                         \
    ICMP(W, LT_S, LLVMIntSLT)                                                                      \
    ICMP(W, LT_U, LLVMIntULT)                                                                      \
    ICMP(W, GT_S, LLVMIntSGT)                                                                      \
    ICMP(W, GT_U, LLVMIntUGT)                                                                      \
    ICMP(W, LE_S, LLVMIntSLE)                                                                      \
    ICMP(W, LE_U, LLVMIntULE)                                                                      \
    ICMP(W, GE_S, LLVMIntSGE)                                                                      \
    ICMP(W, GE_U, LLVMIntUGE)
        ICMPS(32)
        ICMPS(64)
    case SL_OP_I32_EQZ:
    case SL_OP_I64_EQZ:
        r = LLVMBuildZExt(b, LLVMBuildICmp(b, LLVMIntEQ, a, cint(a, 0), ""), f->t_i32, "");
        break;
        /* float comparisons (ne is true for NaN: unordered) */
#define FCMP(W, NAME, PRED)                                                                        \
    case SL_OP_F##W##_##NAME:                                                                      \
        r = LLVMBuildZExt(b, LLVMBuildFCmp(b, PRED, a, c, ""), f->t_i32, "");                      \
        break;
#define FCMPS(W)                                                                                   \
    FCMP(W, EQ, LLVMRealOEQ)                                                                       \
    FCMP(W, NE, LLVMRealUNE)                                                                       \
    FCMP(W, LT, LLVMRealOLT)                                                                       \
    FCMP(W, GT, LLVMRealOGT)                                                                       \
    FCMP(W, LE, LLVMRealOLE)                                                                       \
    FCMP(W, GE, LLVMRealOGE)
        FCMPS(32)
        FCMPS(64)
        /* integer arithmetic */
#define IBIN(W)                                                                                    \
    case SL_OP_I##W##_ADD: r = LLVMBuildAdd(b, a, c, ""); break;                                   \
    case SL_OP_I##W##_SUB: r = LLVMBuildSub(b, a, c, ""); break;                                   \
    case SL_OP_I##W##_MUL: r = LLVMBuildMul(b, a, c, ""); break;                                   \
    case SL_OP_I##W##_AND: r = LLVMBuildAnd(b, a, c, ""); break;                                   \
    case SL_OP_I##W##_OR: r = LLVMBuildOr(b, a, c, ""); break;                                     \
    case SL_OP_I##W##_XOR: r = LLVMBuildXor(b, a, c, ""); break;                                   \
    /* shift counts are taken modulo the width in Wasm, and are poison beyond it in LLVM */        \
    case SL_OP_I##W##_SHL:                                                                         \
        r = LLVMBuildShl(b, a, LLVMBuildAnd(b, c, cint(c, W - 1), ""), "");                        \
        break;                                                                                     \
    case SL_OP_I##W##_SHR_S:                                                                       \
        r = LLVMBuildAShr(b, a, LLVMBuildAnd(b, c, cint(c, W - 1), ""), "");                       \
        break;                                                                                     \
    case SL_OP_I##W##_SHR_U:                                                                       \
        r = LLVMBuildLShr(b, a, LLVMBuildAnd(b, c, cint(c, W - 1), ""), "");                       \
        break;                                                                                     \
    case SL_OP_I##W##_ROTL: {                                                                      \
        LLVMTypeRef t = LLVMTypeOf(a);                                                             \
        LLVMValueRef args[3] = {a, a, c};                                                          \
        r = intrinsic(f, "llvm.fshl", &t, 1, args, 3);                                             \
        break;                                                                                     \
    }                                                                                              \
    case SL_OP_I##W##_ROTR: {                                                                      \
        LLVMTypeRef t = LLVMTypeOf(a);                                                             \
        LLVMValueRef args[3] = {a, a, c};                                                          \
        r = intrinsic(f, "llvm.fshr", &t, 1, args, 3);                                             \
        break;                                                                                     \
    }                                                                                              \
    case SL_OP_I##W##_CLZ: r = intr2(f, "llvm.ctlz", a, LLVMConstInt(f->t_i1, 0, 0)); break;       \
    case SL_OP_I##W##_CTZ: r = intr2(f, "llvm.cttz", a, LLVMConstInt(f->t_i1, 0, 0)); break;       \
    case SL_OP_I##W##_POPCNT: r = intr1(f, "llvm.ctpop", a); break;                                \
    case SL_OP_I##W##_DIV_S:                                                                       \
    case SL_OP_I##W##_DIV_U:                                                                       \
    case SL_OP_I##W##_REM_S:                                                                       \
    case SL_OP_I##W##_REM_U: r = divrem(f, in->op, a, c, W == 64); break;
        IBIN(32)
        IBIN(64)
        /* float arithmetic */
#define FBIN(W)                                                                                    \
    case SL_OP_F##W##_ADD:                                                                         \
        opaque_operands(f, &a, &c);                                                                \
        r = LLVMBuildFAdd(b, a, c, "");                                                            \
        break;                                                                                     \
    case SL_OP_F##W##_SUB:                                                                         \
        opaque_operands(f, &a, &c);                                                                \
        r = LLVMBuildFSub(b, a, c, "");                                                            \
        break;                                                                                     \
    case SL_OP_F##W##_MUL:                                                                         \
        opaque_operands(f, &a, &c);                                                                \
        r = LLVMBuildFMul(b, a, c, "");                                                            \
        break;                                                                                     \
    case SL_OP_F##W##_DIV:                                                                         \
        opaque_operands(f, &a, &c);                                                                \
        r = LLVMBuildFDiv(b, a, c, "");                                                            \
        break;                                                                                     \
    case SL_OP_F##W##_MIN: r = fminmax(f, a, c, false); break;                                     \
    case SL_OP_F##W##_MAX: r = fminmax(f, a, c, true); break;                                      \
    case SL_OP_F##W##_COPYSIGN: r = intr2(f, "llvm.copysign", a, c); break;                        \
    case SL_OP_F##W##_ABS: r = intr1(f, "llvm.fabs", a); break;                                    \
    case SL_OP_F##W##_NEG: r = LLVMBuildFNeg(b, a, ""); break;                                     \
    case SL_OP_F##W##_SQRT: r = intr1(f, "llvm.sqrt", a); break;                                   \
    case SL_OP_F##W##_CEIL: r = intr1(f, "llvm.ceil", a); break;                                   \
    case SL_OP_F##W##_FLOOR: r = intr1(f, "llvm.floor", a); break;                                 \
    case SL_OP_F##W##_TRUNC: r = intr1(f, "llvm.trunc", a); break;                                 \
    /* the default rounding mode is to nearest, ties to even, which is Wasm's nearest */           \
    case SL_OP_F##W##_NEAREST: r = intr1(f, "llvm.nearbyint", a); break;
        FBIN(32)
        FBIN(64)
    /* conversions */
    case SL_OP_I32_WRAP_I64: r = LLVMBuildTrunc(b, a, f->t_i32, ""); break;
    case SL_OP_I64_EXTEND_I32_S: r = LLVMBuildSExt(b, a, f->t_i64, ""); break;
    case SL_OP_I64_EXTEND_I32_U: r = LLVMBuildZExt(b, a, f->t_i64, ""); break;
    case SL_OP_I32_EXTEND8_S:
        r = LLVMBuildSExt(b, LLVMBuildTrunc(b, a, f->t_i8, ""), f->t_i32, "");
        break;
    case SL_OP_I32_EXTEND16_S:
        r = LLVMBuildSExt(b, LLVMBuildTrunc(b, a, f->t_i16, ""), f->t_i32, "");
        break;
    case SL_OP_I64_EXTEND8_S:
        r = LLVMBuildSExt(b, LLVMBuildTrunc(b, a, f->t_i8, ""), f->t_i64, "");
        break;
    case SL_OP_I64_EXTEND16_S:
        r = LLVMBuildSExt(b, LLVMBuildTrunc(b, a, f->t_i16, ""), f->t_i64, "");
        break;
    case SL_OP_I64_EXTEND32_S:
        r = LLVMBuildSExt(b, LLVMBuildTrunc(b, a, f->t_i32, ""), f->t_i64, "");
        break;
    case SL_OP_I32_TRUNC_F32_S: r = trunc_trap(f, a, out, true, -2147483904.0, 2147483648.0); break;
    case SL_OP_I32_TRUNC_F32_U: r = trunc_trap(f, a, out, false, -1.0, 4294967296.0); break;
    case SL_OP_I32_TRUNC_F64_S: r = trunc_trap(f, a, out, true, -2147483649.0, 2147483648.0); break;
    case SL_OP_I32_TRUNC_F64_U: r = trunc_trap(f, a, out, false, -1.0, 4294967296.0); break;
    case SL_OP_I64_TRUNC_F32_S:
        r = trunc_trap(f, a, out, true, -9223373136366403584.0, 9223372036854775808.0);
        break;
    case SL_OP_I64_TRUNC_F32_U:
        r = trunc_trap(f, a, out, false, -1.0, 18446744073709551616.0);
        break;
    case SL_OP_I64_TRUNC_F64_S:
        r = trunc_trap(f, a, out, true, -9223372036854777856.0, 9223372036854775808.0);
        break;
    case SL_OP_I64_TRUNC_F64_U:
        r = trunc_trap(f, a, out, false, -1.0, 18446744073709551616.0);
        break;
    case SL_OP_I32_TRUNC_SAT_F32_S:
    case SL_OP_I32_TRUNC_SAT_F64_S:
    case SL_OP_I64_TRUNC_SAT_F32_S:
    case SL_OP_I64_TRUNC_SAT_F64_S: r = trunc_sat(f, a, out, true); break;
    case SL_OP_I32_TRUNC_SAT_F32_U:
    case SL_OP_I32_TRUNC_SAT_F64_U:
    case SL_OP_I64_TRUNC_SAT_F32_U:
    case SL_OP_I64_TRUNC_SAT_F64_U: r = trunc_sat(f, a, out, false); break;
    case SL_OP_F32_CONVERT_I32_S:
    case SL_OP_F32_CONVERT_I64_S:
    case SL_OP_F64_CONVERT_I32_S:
    case SL_OP_F64_CONVERT_I64_S: r = LLVMBuildSIToFP(b, a, out, ""); break;
    case SL_OP_F32_CONVERT_I32_U:
    case SL_OP_F32_CONVERT_I64_U:
    case SL_OP_F64_CONVERT_I32_U:
    case SL_OP_F64_CONVERT_I64_U: r = LLVMBuildUIToFP(b, a, out, ""); break;
    case SL_OP_F32_DEMOTE_F64:
        /* demote(promote(x)) is x to LLVM, but must quiet a signalling NaN */
        if (LLVMIsAFPExtInst(a)) a = opaque(f, a);
        r = LLVMBuildFPTrunc(b, a, f->t_f32, "");
        break;
    case SL_OP_F64_PROMOTE_F32: r = LLVMBuildFPExt(b, a, f->t_f64, ""); break;
    case SL_OP_I32_REINTERPRET_F32:
    case SL_OP_I64_REINTERPRET_F64:
    case SL_OP_F32_REINTERPRET_I32:
    case SL_OP_F64_REINTERPRET_I64:
        r = LLVMBuildBitCast(b, a, out, "");
        break;
        /* memory */
#define LOAD(NAME, MT, W, EXT)                                                                     \
    case SL_OP_##NAME: {                                                                           \
        LLVMValueRef v = LLVMBuildLoad2(b, MT, ea(f, a, in->b, W), "");                            \
        LLVMSetAlignment(v, 1);                                                                    \
        r = EXT;                                                                                   \
        break;                                                                                     \
    }
        LOAD(I32_LOAD, f->t_i32, 4, v)
        LOAD(I64_LOAD, f->t_i64, 8, v)
        LOAD(F32_LOAD, f->t_f32, 4, v)
        LOAD(F64_LOAD, f->t_f64, 8, v)
        LOAD(I32_LOAD8_S, f->t_i8, 1, LLVMBuildSExt(b, v, out, ""))
        LOAD(I32_LOAD8_U, f->t_i8, 1, LLVMBuildZExt(b, v, out, ""))
        LOAD(I32_LOAD16_S, f->t_i16, 2, LLVMBuildSExt(b, v, out, ""))
        LOAD(I32_LOAD16_U, f->t_i16, 2, LLVMBuildZExt(b, v, out, ""))
        LOAD(I64_LOAD8_S, f->t_i8, 1, LLVMBuildSExt(b, v, out, ""))
        LOAD(I64_LOAD8_U, f->t_i8, 1, LLVMBuildZExt(b, v, out, ""))
        LOAD(I64_LOAD16_S, f->t_i16, 2, LLVMBuildSExt(b, v, out, ""))
        LOAD(I64_LOAD16_U, f->t_i16, 2, LLVMBuildZExt(b, v, out, ""))
        LOAD(I64_LOAD32_S, f->t_i32, 4, LLVMBuildSExt(b, v, out, ""))
        LOAD(I64_LOAD32_U, f->t_i32, 4, LLVMBuildZExt(b, v, out, ""))
#define STORE(NAME, MT, W)                                                                         \
    case SL_OP_##NAME: {                                                                           \
        LLVMValueRef v = LLVMTypeOf(c) == MT ? c : LLVMBuildTrunc(b, c, MT, "");                   \
        LLVMSetAlignment(LLVMBuildStore(b, v, ea(f, a, in->b, W)), 1);                             \
        return true;                                                                               \
    }
        STORE(I32_STORE, f->t_i32, 4)
        STORE(I64_STORE, f->t_i64, 8)
        STORE(F32_STORE, f->t_f32, 4)
        STORE(F64_STORE, f->t_f64, 8)
        STORE(I32_STORE8, f->t_i8, 1)
        STORE(I32_STORE16, f->t_i16, 2)
        STORE(I64_STORE8, f->t_i8, 1)
        STORE(I64_STORE16, f->t_i16, 2)
        STORE(I64_STORE32, f->t_i32, 4)
    case SL_OP_MEMORY_SIZE: {
        LLVMValueRef mem = load_field(f, f->t_ptr, offsetof(sl_native_ctx, mem0));
        LLVMValueRef idx = LLVMConstInt(f->t_i64, offsetof(sl_memory, pages), 0);
        r = LLVMBuildLoad2(b, f->t_i32, LLVMBuildGEP2(b, f->t_i8, mem, &idx, 1, ""), "");
        break;
    }
    case SL_OP_MEMORY_GROW: {
        LLVMValueRef args[2] = {f->ctx, a};
        r = LLVMBuildCall2(b, f->ty_grow, f->f_grow, args, 2, "");
        reload_mem(f);
        break;
    }
    default: return UNSUPPORTED("%s is not supported yet", info->name);
    }
    if (info->out) push(f, r);
    return true;
}

/* ---- control ---- */

static void block_sig(fc *f, int64_t bt, uint32_t *np, const uint8_t **pt, uint32_t *nr,
                      const uint8_t **rt) {
    static const uint8_t single[256] = {[SL_I32] = SL_I32,
                                        [SL_I64] = SL_I64,
                                        [SL_F32] = SL_F32,
                                        [SL_F64] = SL_F64,
                                        [SL_V128] = SL_V128,
                                        [SL_FUNCREF] = SL_FUNCREF,
                                        [SL_EXTERNREF] = SL_EXTERNREF};
    if (bt == -0x40) {
        *np = *nr = 0;
    } else if (bt < 0) {
        *np = 0;
        *nr = 1;
        *rt = &single[bt & 0x7F]; /* a value type byte, read as a negative s33 */
    } else {
        const sl_functype *ft = &f->m->types[bt].ft;
        *np = ft->nparams;
        *pt = ft->types;
        *nr = ft->nresults;
        *rt = ft->types + ft->nparams;
    }
}

/* A slots array for a call through the runtime, allocated in the entry block so that a call
 * in a loop does not grow the stack. */
static LLVMValueRef make_slots(fc *f, uint32_t n) {
    LLVMBasicBlockRef here = LLVMGetInsertBlock(f->b);
    LLVMBasicBlockRef entry = LLVMGetEntryBasicBlock(f->fn);
    LLVMValueRef first = LLVMGetFirstInstruction(entry);
    if (first)
        LLVMPositionBuilderBefore(f->b, first);
    else
        LLVMPositionBuilderAtEnd(f->b, entry);
    LLVMValueRef v = LLVMBuildAlloca(f->b, LLVMArrayType(f->t_i64, n ? n : 1), "slots");
    LLVMPositionBuilderAtEnd(f->b, here);
    return v;
}

static LLVMValueRef *make_vars(fc *f, uint32_t n, const uint8_t *types) {
    if (!n) return NULL;
    LLVMValueRef *v = calloc(n, sizeof *v);
    LLVMBasicBlockRef here = LLVMGetInsertBlock(f->b);
    LLVMBasicBlockRef entry = LLVMGetEntryBasicBlock(f->fn);
    LLVMValueRef first = LLVMGetFirstInstruction(entry);
    if (first)
        LLVMPositionBuilderBefore(f->b, first);
    else
        LLVMPositionBuilderAtEnd(f->b, entry);
    for (uint32_t i = 0; i < n; i++)
        v[i] = LLVMBuildAlloca(f->b, vt(f, types[i]), "");
    LLVMPositionBuilderAtEnd(f->b, here);
    return v;
}

/* Store the top values a branch to label `depth` carries into its variables, and branch. */
static void branch_to(fc *f, uint32_t depth) {
    ctl *t = &f->ctls[f->nctl - 1 - depth];
    if (t->kind == SL_OP_LOOP) {
        for (uint32_t i = 0; i < t->nparams; i++)
            LLVMBuildStore(f->b, f->stack[f->sp - t->nparams + i], t->pvars[i]);
    } else {
        for (uint32_t i = 0; i < t->nresults; i++)
            LLVMBuildStore(f->b, f->stack[f->sp - t->nresults + i], t->vars[i]);
        t->reachable_end = true;
    }
    LLVMBuildBr(f->b, t->br);
}

static void emit_return(fc *f) {
    ctl *t = &f->ctls[0];
    uint32_t n = t->nresults;
    for (uint32_t i = 1; i < n; i++) {
        LLVMValueRef v = f->stack[f->sp - n + i];
        LLVMValueRef slot = field_ptr(f, offsetof(sl_native_ctx, results) + 8 * (i - 1));
        LLVMBuildStore(f->b, v, slot);
    }
    LLVMValueRef dp = field_ptr(f, offsetof(sl_native_ctx, depth));
    LLVMBuildStore(f->b,
                   LLVMBuildSub(f->b, LLVMBuildLoad2(f->b, f->t_i32, dp, ""),
                                LLVMConstInt(f->t_i32, 1, 0), ""),
                   dp);
    if (n)
        LLVMBuildRet(f->b, f->stack[f->sp - n]);
    else
        LLVMBuildRetVoid(f->b);
}

/* Call function j with the top arguments; push its results. */
static void emit_call(fc *f, uint32_t j) {
    const sl_functype *ft = sl_module_functype(f->m, j);
    LLVMValueRef args[ft->nparams + 1];
    args[0] = f->ctx;
    for (uint32_t i = 0; i < ft->nparams; i++)
        args[i + 1] = f->stack[f->sp - ft->nparams + i];
    f->sp -= ft->nparams;
    LLVMValueRef r = LLVMBuildCall2(f->b, f->ftypes[j], f->funcs[j], args, ft->nparams + 1, "");
    if (ft->nresults) push(f, r);
    for (uint32_t i = 1; i < ft->nresults; i++)
        push(f, LLVMBuildLoad2(f->b, vt(f, ft->types[ft->nparams + i]),
                               field_ptr(f, offsetof(sl_native_ctx, results) + 8 * (i - 1)), ""));
    reload_mem(f);
}

static void push_ctl(fc *f, ctl c) {
    if (f->nctl == f->ctl_cap) {
        f->ctl_cap = f->ctl_cap ? f->ctl_cap * 2 : 16;
        f->ctls = realloc(f->ctls, f->ctl_cap * sizeof *f->ctls);
    }
    f->ctls[f->nctl++] = c;
}

/* Bind the end of the innermost block: push its results. */
static bool end_block(fc *f, bool reachable) {
    ctl *t = &f->ctls[f->nctl - 1];
    if (reachable) {
        for (uint32_t i = 0; i < t->nresults; i++)
            LLVMBuildStore(f->b, f->stack[f->sp - t->nresults + i], t->vars[i]);
        LLVMBuildBr(f->b, t->end);
        t->reachable_end = true;
    }
    if (t->els) { /* an if without else: the false side passes the params through */
        LLVMPositionBuilderAtEnd(f->b, t->els);
        for (uint32_t i = 0; i < t->nresults; i++)
            LLVMBuildStore(f->b, t->saved[i], t->vars[i]);
        LLVMBuildBr(f->b, t->end);
        t->reachable_end = true;
    }
    f->sp = t->height;
    LLVMPositionBuilderAtEnd(f->b, t->end);
    if (t->reachable_end) {
        for (uint32_t i = 0; i < t->nresults; i++)
            push(f, LLVMBuildLoad2(f->b, vt(f, t->rtypes[i]), t->vars[i], ""));
    } else {
        LLVMBuildUnreachable(f->b);
    }
    bool live = t->reachable_end;
    free(t->vars);
    free(t->pvars);
    free(t->saved);
    f->nctl--;
    return live; /* whether the code after the block is reachable */
}

static bool compile_body(fc *f, uint32_t fidx) {
    const sl_module *m = f->m;
    const sl_funcbody *body = &m->bodies[fidx - m->nimported_funcs];
    const sl_functype *ft = sl_module_functype(m, fidx);
    LLVMBasicBlockRef entry = LLVMAppendBasicBlockInContext(f->c, f->fn, "entry");
    LLVMPositionBuilderAtEnd(f->b, entry);
    f->ctx = LLVMGetParam(f->fn, 0);
    f->nlocals = ft->nparams + body->nlocals;
    f->locals = calloc(f->nlocals ? f->nlocals : 1, sizeof *f->locals);
    f->ltypes = calloc(f->nlocals ? f->nlocals : 1, 1);
    for (uint32_t i = 0; i < f->nlocals; i++) {
        uint8_t t = i < ft->nparams ? ft->types[i] : body->local_types[i - ft->nparams];
        f->ltypes[i] = t;
        if (!vt(f, t)) return UNSUPPORTED("locals of type 0x%02x are not supported yet", t);
        f->locals[i] = LLVMBuildAlloca(f->b, vt(f, t), "");
        LLVMBuildStore(f->b, i < ft->nparams ? LLVMGetParam(f->fn, i + 1) : LLVMConstNull(vt(f, t)),
                       f->locals[i]);
    }
    if (m->nmemories) {
        f->membase = LLVMBuildAlloca(f->b, f->t_ptr, "membase");
        reload_mem(f);
    }
    /* call depth: the native stack is bounded by the same limit as the interpreter's */
    LLVMValueRef dp = field_ptr(f, offsetof(sl_native_ctx, depth));
    LLVMValueRef d = LLVMBuildAdd(f->b, LLVMBuildLoad2(f->b, f->t_i32, dp, ""),
                                  LLVMConstInt(f->t_i32, 1, 0), "");
    LLVMBuildStore(f->b, d, dp);
    LLVMValueRef maxd = load_field(f, f->t_i32, offsetof(sl_native_ctx, max_depth));
    trap_if(f, LLVMBuildICmp(f->b, LLVMIntUGT, d, maxd, ""), SL_TRAP_STACK_EXHAUSTED);
    /* and by the C stack itself, whose size the thread decides */
    {
        LLVMTypeRef pt = f->t_ptr;
        LLVMValueRef zero = LLVMConstInt(f->t_i32, 0, 0);
        LLVMValueRef fa = intrinsic(f, "llvm.frameaddress", &pt, 1, &zero, 1);
        LLVMValueRef lim = load_field(f, f->t_i64, offsetof(sl_native_ctx, stack_limit));
        trap_if(f,
                LLVMBuildICmp(f->b, LLVMIntULT, LLVMBuildPtrToInt(f->b, fa, f->t_i64, ""), lim, ""),
                SL_TRAP_STACK_EXHAUSTED);
    }
    emit_poll(f);

    ctl fnc = {.kind = SL_OP_BLOCK,
               .height = 0,
               .nresults = ft->nresults,
               .rtypes = ft->types + ft->nparams};
    fnc.end = LLVMAppendBasicBlockInContext(f->c, f->fn, "ret");
    fnc.br = fnc.end;
    fnc.vars = make_vars(f, fnc.nresults, fnc.rtypes);
    push_ctl(f, fnc);

    sl_reader r;
    sl_rd_init(&r, m->bytes, body->code, body->code + body->code_len);
    bool live = true;
    uint32_t skip = 0; /* nesting depth of dead blocks being skipped */
    while (f->nctl) {
        sl_instr in;
        if (!sl_read_instr(&r, &in)) return UNSUPPORTED("unreadable body");
        if (!live) {
            if (in.op == SL_OP_BLOCK || in.op == SL_OP_LOOP || in.op == SL_OP_IF) {
                skip++;
                continue;
            }
            if (skip && in.op == SL_OP_END) {
                skip--;
                continue;
            }
            if (skip || (in.op != SL_OP_END && in.op != SL_OP_ELSE)) continue;
        }
        switch (in.op) {
        case SL_OP_NOP: break;
        case SL_OP_UNREACHABLE:
            LLVMBuildBr(f->b, trap_block(f, SL_TRAP_UNREACHABLE));
            live = false;
            break;
        case SL_OP_BLOCK:
        case SL_OP_LOOP:
        case SL_OP_IF: {
            ctl t = {.kind = (uint8_t)in.op};
            block_sig(f, in.blocktype, &t.nparams, &t.ptypes, &t.nresults, &t.rtypes);
            for (uint32_t i = 0; i < t.nparams; i++)
                if (!vt(f, t.ptypes[i])) return UNSUPPORTED("block parameter types");
            for (uint32_t i = 0; i < t.nresults; i++)
                if (!vt(f, t.rtypes[i])) return UNSUPPORTED("block result types");
            LLVMValueRef cond = in.op == SL_OP_IF ? pop(f) : NULL;
            t.height = f->sp - t.nparams;
            t.end = LLVMAppendBasicBlockInContext(f->c, f->fn, "end");
            t.vars = make_vars(f, t.nresults, t.rtypes);
            if (in.op == SL_OP_LOOP) {
                t.br = LLVMAppendBasicBlockInContext(f->c, f->fn, "loop");
                t.pvars = make_vars(f, t.nparams, t.ptypes);
                for (uint32_t i = 0; i < t.nparams; i++)
                    LLVMBuildStore(f->b, f->stack[t.height + i], t.pvars[i]);
                LLVMBuildBr(f->b, t.br);
                LLVMPositionBuilderAtEnd(f->b, t.br);
                f->sp = t.height;
                for (uint32_t i = 0; i < t.nparams; i++)
                    push(f, LLVMBuildLoad2(f->b, vt(f, t.ptypes[i]), t.pvars[i], ""));
                emit_poll(f);
            } else {
                t.br = t.end;
            }
            if (in.op == SL_OP_IF) {
                LLVMBasicBlockRef then = LLVMAppendBasicBlockInContext(f->c, f->fn, "then");
                t.els = LLVMAppendBasicBlockInContext(f->c, f->fn, "else");
                LLVMBuildCondBr(
                    f->b, LLVMBuildICmp(f->b, LLVMIntNE, cond, LLVMConstInt(f->t_i32, 0, 0), ""),
                    then, t.els);
                LLVMPositionBuilderAtEnd(f->b, then);
                if (t.nparams) {
                    t.saved = calloc(t.nparams, sizeof *t.saved);
                    memcpy(t.saved, f->stack + t.height, t.nparams * sizeof *t.saved);
                }
            }
            push_ctl(f, t);
            break;
        }
        case SL_OP_ELSE: {
            ctl *t = &f->ctls[f->nctl - 1];
            if (live) {
                for (uint32_t i = 0; i < t->nresults; i++)
                    LLVMBuildStore(f->b, f->stack[f->sp - t->nresults + i], t->vars[i]);
                LLVMBuildBr(f->b, t->end);
                t->reachable_end = true;
            }
            LLVMPositionBuilderAtEnd(f->b, t->els);
            t->els = NULL;
            f->sp = t->height;
            for (uint32_t i = 0; i < t->nparams; i++)
                push(f, t->saved[i]);
            live = true;
            break;
        }
        case SL_OP_END:
            if (f->nctl == 1) {
                ctl *t = &f->ctls[0];
                if (live) {
                    for (uint32_t i = 0; i < t->nresults; i++)
                        LLVMBuildStore(f->b, f->stack[f->sp - t->nresults + i], t->vars[i]);
                    LLVMBuildBr(f->b, t->end);
                    t->reachable_end = true;
                }
                LLVMPositionBuilderAtEnd(f->b, t->end);
                f->sp = 0;
                if (t->reachable_end) {
                    for (uint32_t i = 0; i < t->nresults; i++)
                        push(f, LLVMBuildLoad2(f->b, vt(f, t->rtypes[i]), t->vars[i], ""));
                    emit_return(f);
                } else {
                    LLVMBuildUnreachable(f->b);
                }
                free(t->vars);
                f->nctl = 0;
            } else {
                live = end_block(f, live);
            }
            break;
        case SL_OP_BR:
            branch_to(f, in.a);
            live = false;
            break;
        case SL_OP_BR_IF: {
            LLVMValueRef cond = pop(f);
            LLVMBasicBlockRef take = LLVMAppendBasicBlockInContext(f->c, f->fn, "br_if");
            LLVMBasicBlockRef next = LLVMAppendBasicBlockInContext(f->c, f->fn, "");
            LLVMBuildCondBr(f->b,
                            LLVMBuildICmp(f->b, LLVMIntNE, cond, LLVMConstInt(f->t_i32, 0, 0), ""),
                            take, next);
            LLVMPositionBuilderAtEnd(f->b, take);
            branch_to(f, in.a);
            LLVMPositionBuilderAtEnd(f->b, next);
            break;
        }
        case SL_OP_BR_TABLE: {
            /* the labels are LEB128s in the body (sl_read_instr checked them) */
            LLVMValueRef idx = pop(f);
            uint32_t n = in.a;
            uint32_t *labels = malloc((n + 1) * sizeof *labels);
            sl_reader lr;
            sl_rd_init(&lr, m->bytes, in.items, body->code + body->code_len);
            for (uint32_t i = 0; i <= n; i++)
                sl_rd_u32(&lr, &labels[i]);
            LLVMBasicBlockRef here = LLVMGetInsertBlock(f->b);
            LLVMBasicBlockRef dflt = LLVMAppendBasicBlockInContext(f->c, f->fn, "br_dflt");
            LLVMPositionBuilderAtEnd(f->b, dflt);
            branch_to(f, labels[n]);
            LLVMPositionBuilderAtEnd(f->b, here);
            LLVMValueRef sw = LLVMBuildSwitch(f->b, idx, dflt, n);
            for (uint32_t i = 0; i < n; i++) {
                LLVMBasicBlockRef bb = LLVMAppendBasicBlockInContext(f->c, f->fn, "br_case");
                LLVMPositionBuilderAtEnd(f->b, bb);
                branch_to(f, labels[i]);
                LLVMAddCase(sw, LLVMConstInt(f->t_i32, i, 0), bb);
            }
            free(labels);
            live = false;
            break;
        }
        case SL_OP_RETURN:
            emit_return(f);
            live = false;
            break;
        case SL_OP_CALL:
            if (!f->funcs[in.a])
                return UNSUPPORTED("calls to functions with reference or vector types");
            emit_call(f, in.a);
            break;
        case SL_OP_CALL_INDIRECT: {
            /* The interpreter's checks in its order (table bound, null, canonical type),
             * then the call through the runtime, which calls native code of this instance
             * directly. (A direct native call here is for a later session.) */
            const sl_functype *ft = &m->types[in.a].ft;
            if (!fn_type(f, ft)) return UNSUPPORTED("call_indirect with reference or vector types");
            LLVMValueRef i = pop(f);
            LLVMValueRef tabs = load_field(f, f->t_ptr, offsetof(sl_native_ctx, tables));
            LLVMValueRef ti = LLVMConstInt(f->t_i64, in.b, 0);
            LLVMValueRef t =
                LLVMBuildLoad2(f->b, f->t_ptr, LLVMBuildGEP2(f->b, f->t_ptr, tabs, &ti, 1, ""), "");
            LLVMValueRef so = LLVMConstInt(f->t_i64, offsetof(sl_table, size), 0);
            LLVMValueRef size =
                LLVMBuildLoad2(f->b, f->t_i32, LLVMBuildGEP2(f->b, f->t_i8, t, &so, 1, ""), "");
            trap_if(f, LLVMBuildICmp(f->b, LLVMIntUGE, i, size, ""), SL_TRAP_UNDEFINED_ELEMENT);
            LLVMValueRef eo = LLVMConstInt(f->t_i64, offsetof(sl_table, elems), 0);
            LLVMValueRef elems =
                LLVMBuildLoad2(f->b, f->t_ptr, LLVMBuildGEP2(f->b, f->t_i8, t, &eo, 1, ""), "");
            LLVMValueRef i64 = LLVMBuildZExt(f->b, i, f->t_i64, "");
            LLVMValueRef fp = LLVMBuildLoad2(f->b, f->t_ptr,
                                             LLVMBuildGEP2(f->b, f->t_ptr, elems, &i64, 1, ""), "");
            trap_if(f, LLVMBuildIsNull(f->b, fp, ""), SL_TRAP_UNINITIALIZED);
            LLVMValueRef co = LLVMConstInt(f->t_i64, offsetof(sl_func, canon), 0);
            LLVMValueRef canon =
                LLVMBuildLoad2(f->b, f->t_i32, LLVMBuildGEP2(f->b, f->t_i8, fp, &co, 1, ""), "");
            LLVMValueRef tc = load_field(f, f->t_ptr, offsetof(sl_native_ctx, type_canon));
            LLVMValueRef ty = LLVMConstInt(f->t_i64, in.a, 0);
            LLVMValueRef want =
                LLVMBuildLoad2(f->b, f->t_i32, LLVMBuildGEP2(f->b, f->t_i32, tc, &ty, 1, ""), "");
            trap_if(f, LLVMBuildICmp(f->b, LLVMIntNE, canon, want, ""), SL_TRAP_INDIRECT_MISMATCH);
            uint32_t n = ft->nparams > ft->nresults ? ft->nparams : ft->nresults;
            LLVMValueRef slots = make_slots(f, n);
            for (uint32_t k = 0; k < ft->nparams; k++) {
                LLVMValueRef idx = LLVMConstInt(f->t_i64, k, 0);
                LLVMValueRef p = LLVMBuildGEP2(f->b, f->t_i64, slots, &idx, 1, "");
                LLVMBuildStore(f->b, LLVMConstInt(f->t_i64, 0, 0), p);
                LLVMBuildStore(f->b, f->stack[f->sp - ft->nparams + k], p);
            }
            f->sp -= ft->nparams;
            LLVMValueRef args[3] = {f->ctx, fp, slots};
            LLVMBuildCall2(f->b, f->ty_call_ref, f->f_call_ref, args, 3, "");
            for (uint32_t k = 0; k < ft->nresults; k++) {
                LLVMValueRef idx = LLVMConstInt(f->t_i64, k, 0);
                push(f, LLVMBuildLoad2(f->b, vt(f, ft->types[ft->nparams + k]),
                                       LLVMBuildGEP2(f->b, f->t_i64, slots, &idx, 1, ""), ""));
            }
            reload_mem(f);
            break;
        }
        case SL_OP_DROP: {
            /* A dropped load must still trap out of bounds, and LLVM deletes unused loads:
             * volatile keeps it. (A load whose value dies otherwise, e.g. in a local that is
             * never read, is the open case: docs/native.md, "Known gaps".) */
            LLVMValueRef v = pop(f);
            if (LLVMIsALoadInst(v))
                LLVMSetVolatile(v, 1);
            else if ((LLVMIsASExtInst(v) || LLVMIsAZExtInst(v)) &&
                     LLVMIsALoadInst(LLVMGetOperand(v, 0)))
                LLVMSetVolatile(LLVMGetOperand(v, 0), 1);
            break;
        }
        case SL_OP_SELECT:
        case SL_OP_SELECT_T: {
            LLVMValueRef cond = pop(f), y = pop(f), x = pop(f);
            push(f,
                 LLVMBuildSelect(
                     f->b, LLVMBuildICmp(f->b, LLVMIntNE, cond, LLVMConstInt(f->t_i32, 0, 0), ""),
                     x, y, ""));
            break;
        }
        case SL_OP_LOCAL_GET:
            push(f, LLVMBuildLoad2(f->b, vt(f, f->ltypes[in.a]), f->locals[in.a], ""));
            break;
        case SL_OP_LOCAL_SET: LLVMBuildStore(f->b, pop(f), f->locals[in.a]); break;
        case SL_OP_LOCAL_TEE: LLVMBuildStore(f->b, f->stack[f->sp - 1], f->locals[in.a]); break;
        case SL_OP_GLOBAL_GET:
        case SL_OP_GLOBAL_SET: {
            uint8_t t = m->globals[in.a].type.type;
            if (!vt(f, t)) return UNSUPPORTED("globals of type 0x%02x are not supported yet", t);
            LLVMValueRef gs = load_field(f, f->t_ptr, offsetof(sl_native_ctx, globals));
            LLVMValueRef i = LLVMConstInt(f->t_i64, in.a, 0);
            LLVMValueRef g =
                LLVMBuildLoad2(f->b, f->t_ptr, LLVMBuildGEP2(f->b, f->t_ptr, gs, &i, 1, ""), "");
            LLVMValueRef o = LLVMConstInt(f->t_i64, offsetof(sl_global, val), 0);
            LLVMValueRef p = LLVMBuildGEP2(f->b, f->t_i8, g, &o, 1, "");
            if (in.op == SL_OP_GLOBAL_GET)
                push(f, LLVMBuildLoad2(f->b, vt(f, t), p, ""));
            else
                LLVMBuildStore(f->b, pop(f), p);
            break;
        }
        default:
            if (in.info->special) return UNSUPPORTED("%s is not supported yet", in.info->name);
            if (!numeric(f, &in)) return false;
        }
    }
    return true;
}

/* The body of a function the native tier does not run itself: spill the arguments to slots,
 * call the runtime, which runs it on the interpreter (or the host), and reload the results. */
static void build_trampoline(fc *f, uint32_t j) {
    const sl_functype *ft = sl_module_functype(f->m, j);
    LLVMValueRef fn = f->funcs[j];
    LLVMBasicBlockRef bb = LLVMAppendBasicBlockInContext(f->c, fn, "entry");
    LLVMPositionBuilderAtEnd(f->b, bb);
    uint32_t n = ft->nparams > ft->nresults ? ft->nparams : ft->nresults;
    LLVMValueRef slots =
        LLVMBuildArrayAlloca(f->b, f->t_i64, LLVMConstInt(f->t_i32, n ? n : 1, 0), "slots");
    for (uint32_t i = 0; i < ft->nparams; i++) {
        LLVMValueRef idx = LLVMConstInt(f->t_i64, i, 0);
        LLVMValueRef p = LLVMBuildGEP2(f->b, f->t_i64, slots, &idx, 1, "");
        /* a slot's low half holds an i32/f32: zero the whole slot first */
        LLVMBuildStore(f->b, LLVMConstInt(f->t_i64, 0, 0), p);
        LLVMBuildStore(f->b, LLVMGetParam(fn, i + 1), p);
    }
    LLVMValueRef args[3] = {LLVMGetParam(fn, 0), LLVMConstInt(f->t_i32, j, 0), slots};
    LLVMBuildCall2(f->b, f->ty_call, f->f_call, args, 3, "");
    LLVMValueRef first = NULL;
    for (uint32_t i = 0; i < ft->nresults; i++) {
        LLVMValueRef idx = LLVMConstInt(f->t_i64, i, 0);
        LLVMValueRef v = LLVMBuildLoad2(f->b, vt(f, ft->types[ft->nparams + i]),
                                        LLVMBuildGEP2(f->b, f->t_i64, slots, &idx, 1, ""), "");
        if (!i)
            first = v;
        else
            LLVMBuildStore(f->b, v,
                           field_ptr_of(f, LLVMGetParam(fn, 0),
                                        offsetof(sl_native_ctx, results) + 8 * (i - 1)));
    }
    if (first)
        LLVMBuildRet(f->b, first);
    else
        LLVMBuildRetVoid(f->b);
}

/* sl_a<j>: the interpreter's and the embedder's way in (native.h, sl_native_adapter). */
static void build_adapter(fc *f, uint32_t j) {
    const sl_functype *ft = sl_module_functype(f->m, j);
    LLVMTypeRef pt[2] = {f->t_ptr, f->t_ptr};
    char name[32];
    snprintf(name, sizeof name, "sl_a%u", j);
    LLVMValueRef fn = LLVMAddFunction(f->mod, name, LLVMFunctionType(f->t_void, pt, 2, 0));
    LLVMPositionBuilderAtEnd(f->b, LLVMAppendBasicBlockInContext(f->c, fn, "entry"));
    LLVMValueRef ctx = LLVMGetParam(fn, 0), slots = LLVMGetParam(fn, 1);
    LLVMValueRef args[ft->nparams + 1];
    args[0] = ctx;
    for (uint32_t i = 0; i < ft->nparams; i++) {
        LLVMValueRef idx = LLVMConstInt(f->t_i64, i, 0);
        args[i + 1] = LLVMBuildLoad2(f->b, vt(f, ft->types[i]),
                                     LLVMBuildGEP2(f->b, f->t_i64, slots, &idx, 1, ""), "");
    }
    LLVMValueRef r = LLVMBuildCall2(f->b, f->ftypes[j], f->funcs[j], args, ft->nparams + 1, "");
    for (uint32_t i = 0; i < ft->nresults; i++) {
        LLVMValueRef idx = LLVMConstInt(f->t_i64, i, 0);
        LLVMValueRef p = LLVMBuildGEP2(f->b, f->t_i64, slots, &idx, 1, "");
        LLVMValueRef v =
            i ? LLVMBuildLoad2(f->b, vt(f, ft->types[ft->nparams + i]),
                               field_ptr_of(f, ctx, offsetof(sl_native_ctx, results) + 8 * (i - 1)),
                               "")
              : r;
        /* an i32/f32 result leaves the slot's high half zero, as the interpreter does */
        LLVMBuildStore(f->b, LLVMConstInt(f->t_i64, 0, 0), p);
        LLVMBuildStore(f->b, v, p);
    }
    LLVMBuildRetVoid(f->b);
}

static void reset_fn(fc *f) {
    free(f->locals);
    free(f->ltypes);
    f->locals = NULL;
    f->ltypes = NULL;
    f->sp = 0;
    for (uint32_t i = 0; i < f->nctl; i++) {
        free(f->ctls[i].vars);
        free(f->ctls[i].pvars);
        free(f->ctls[i].saved);
    }
    f->nctl = 0;
    memset(f->traps, 0, sizeof f->traps);
}

static LLVMValueRef declare(fc *f, const char *name, LLVMTypeRef *ty, LLVMTypeRef ret,
                            LLVMTypeRef *params, unsigned n) {
    *ty = LLVMFunctionType(ret, params, n, 0);
    return LLVMAddFunction(f->mod, name, *ty);
}

sl_status sl_native_compile(const sl_module *m, const sl_native_options *opt, sl_native_object *obj,
                            sl_error *err) {
    pthread_once(&targets_once, init_targets);
    memset(obj, 0, sizeof *obj);
    fc ff = {.m = m, .opt = opt}, *f = &ff;
    f->c = LLVMContextCreate();
    f->mod = LLVMModuleCreateWithNameInContext("sluice", f->c);
    f->b = LLVMCreateBuilderInContext(f->c);
    f->t_i1 = LLVMInt1TypeInContext(f->c);
    f->t_i8 = LLVMInt8TypeInContext(f->c);
    f->t_i16 = LLVMInt16TypeInContext(f->c);
    f->t_i32 = LLVMInt32TypeInContext(f->c);
    f->t_i64 = LLVMInt64TypeInContext(f->c);
    f->t_f32 = LLVMFloatTypeInContext(f->c);
    f->t_f64 = LLVMDoubleTypeInContext(f->c);
    f->t_ptr = LLVMPointerType(f->t_i8, 0);
    f->t_void = LLVMVoidTypeInContext(f->c);

    LLVMTypeRef pi[3] = {f->t_ptr, f->t_i32, f->t_ptr};
    f->f_trap = declare(f, "sl_nrt_trap", &f->ty_trap, f->t_void, pi, 2);
    LLVMAddAttributeAtIndex(
        f->f_trap, LLVMAttributeFunctionIndex,
        LLVMCreateEnumAttribute(f->c, LLVMGetEnumAttributeKindForName("noreturn", 8), 0));
    LLVMAddAttributeAtIndex(
        f->f_trap, LLVMAttributeFunctionIndex,
        LLVMCreateEnumAttribute(f->c, LLVMGetEnumAttributeKindForName("cold", 4), 0));
    f->f_poll = declare(f, "sl_nrt_poll", &f->ty_poll, f->t_void, pi, 1);
    f->f_grow = declare(f, "sl_nrt_memory_grow", &f->ty_grow, f->t_i32, pi, 2);
    f->f_call = declare(f, "sl_nrt_call", &f->ty_call, f->t_void, pi, 3);
    LLVMTypeRef pr[3] = {f->t_ptr, f->t_ptr, f->t_ptr};
    f->f_call_ref = declare(f, "sl_nrt_call_ref", &f->ty_call_ref, f->t_void, pr, 3);

    obj->nfuncs = m->nfuncs - m->nimported_funcs;
    obj->compiled = calloc(obj->nfuncs ? obj->nfuncs : 1, sizeof *obj->compiled);
    obj->why = calloc(obj->nfuncs ? obj->nfuncs : 1, sizeof *obj->why);
    f->funcs = calloc(m->nfuncs ? m->nfuncs : 1, sizeof *f->funcs);
    f->ftypes = calloc(m->nfuncs ? m->nfuncs : 1, sizeof *f->ftypes);
    bool *usable = calloc(m->nfuncs ? m->nfuncs : 1, 1);
    sl_status st = SL_OK;
    /* Every function index gets a symbol of the native signature; those that cannot have one
     * (reference or v128 types) make their callers unsupported. */
    for (uint32_t j = 0; j < m->nfuncs; j++) {
        LLVMTypeRef ty = fn_type(f, sl_module_functype(m, j));
        if (!ty) continue;
        char name[32];
        snprintf(name, sizeof name, "sl_f%u", j);
        f->ftypes[j] = ty;
        f->funcs[j] = LLVMAddFunction(f->mod, name, ty);
        usable[j] = true;
    }
    for (uint32_t j = 0; j < m->nfuncs; j++) {
        if (!usable[j]) continue;
        uint32_t d = j - m->nimported_funcs;
        bool ok = false;
        f->why[0] = 0;
        if (j >= m->nimported_funcs) {
            f->fn = f->funcs[j];
            ok = compile_body(f, j);
            /* a call to a function without a native signature cannot be expressed */
            reset_fn(f);
            if (!ok) {
                /* Drop the half-built body: a fresh function takes the symbol and its uses
                 * (deleting a function drops its blocks' references to each other first). */
                char name[32];
                snprintf(name, sizeof name, "sl_f%u", j);
                LLVMSetValueName2(f->fn, "", 0);
                LLVMValueRef fresh = LLVMAddFunction(f->mod, name, f->ftypes[j]);
                LLVMReplaceAllUsesWith(f->fn, fresh);
                LLVMDeleteFunction(f->fn);
                f->funcs[j] = fresh;
            }
        }
        if (!ok)
            build_trampoline(f, j);
        else
            build_adapter(f, j);
        if (j >= m->nimported_funcs) {
            obj->compiled[d] = ok;
            obj->ncompiled += ok;
            if (!ok) obj->why[d] = strdup(f->why[0] ? f->why : "not supported yet");
        }
    }
    for (uint32_t d = 0; d < obj->nfuncs; d++)
        if (!usable[d + m->nimported_funcs] && !obj->why[d])
            obj->why[d] =
                strdup("reference or vector types in the signature are not supported yet");

    char *msg = NULL;
    if (LLVMVerifyModule(f->mod, LLVMReturnStatusAction, &msg)) {
        st = sl_fail(err, SL_ERR_INVALID, -1, "native: the generated IR is invalid: %.400s", msg);
        goto out;
    }
    LLVMDisposeMessage(msg);
    msg = NULL;

    char *triple = LLVMGetDefaultTargetTriple();
    LLVMTargetRef target;
    if (LLVMGetTargetFromTriple(triple, &target, &msg)) {
        st = sl_fail(err, SL_ERR_INVALID, -1, "native: %s", msg);
        LLVMDisposeMessage(triple);
        goto out;
    }
    /* The host CPU: the cache key records its features (docs/native.md). */
    char *cpu = LLVMGetHostCPUName(), *feat = LLVMGetHostCPUFeatures();
    LLVMCodeGenOptLevel lvl = opt->opt_level <= 0   ? LLVMCodeGenLevelNone
                              : opt->opt_level == 1 ? LLVMCodeGenLevelLess
                              : opt->opt_level == 2 ? LLVMCodeGenLevelDefault
                                                    : LLVMCodeGenLevelAggressive;
    LLVMTargetMachineRef tm =
        LLVMCreateTargetMachine(target, triple, cpu, feat, lvl, LLVMRelocPIC, LLVMCodeModelSmall);
    LLVMSetTarget(f->mod, triple);
    LLVMTargetDataRef td = LLVMCreateTargetDataLayout(tm);
    LLVMSetModuleDataLayout(f->mod, td);
    LLVMDisposeTargetData(td);
    LLVMDisposeMessage(triple);
    LLVMDisposeMessage(cpu);
    LLVMDisposeMessage(feat);

    char passes[32];
    snprintf(passes, sizeof passes, "default<O%d>",
             opt->opt_level < 0   ? 0
             : opt->opt_level > 3 ? 3
                                  : opt->opt_level);
    LLVMPassBuilderOptionsRef po = LLVMCreatePassBuilderOptions();
    LLVMErrorRef e = LLVMRunPasses(f->mod, passes, tm, po);
    LLVMDisposePassBuilderOptions(po);
    if (e) {
        char *em = LLVMGetErrorMessage(e);
        st = sl_fail(err, SL_ERR_INVALID, -1, "native: passes: %s", em);
        LLVMDisposeErrorMessage(em);
        LLVMDisposeTargetMachine(tm);
        goto out;
    }
    LLVMMemoryBufferRef buf;
    if (LLVMTargetMachineEmitToMemoryBuffer(tm, f->mod, LLVMObjectFile, &msg, &buf)) {
        st = sl_fail(err, SL_ERR_INVALID, -1, "native: codegen: %s", msg);
        LLVMDisposeTargetMachine(tm);
        goto out;
    }
    obj->len = LLVMGetBufferSize(buf);
    obj->bytes = malloc(obj->len ? obj->len : 1);
    memcpy(obj->bytes, LLVMGetBufferStart(buf), obj->len);
    LLVMDisposeMemoryBuffer(buf);
    LLVMDisposeTargetMachine(tm);
out:
    if (msg) LLVMDisposeMessage(msg);
    reset_fn(f);
    free(f->stack);
    free(f->ctls);
    free(f->funcs);
    free(f->ftypes);
    free(usable);
    LLVMDisposeBuilder(f->b);
    LLVMDisposeModule(f->mod);
    LLVMContextDispose(f->c);
    if (st != SL_OK) sl_native_object_free(obj);
    return st;
}

void sl_native_object_free(sl_native_object *obj) {
    free(obj->bytes);
    for (uint32_t i = 0; obj->why && i < obj->nfuncs; i++)
        free(obj->why[i]);
    free(obj->why);
    free(obj->compiled);
    memset(obj, 0, sizeof *obj);
}
