/*
 * ops.h - the internal instruction set (see docs/vm.md).
 *
 * Every list below is an X-macro: compile.c turns it into op numbers and interp.c into
 * handler labels, so both always agree. Operands are listed as [dst, a, b, ...]; value
 * operands are frame byte offsets, `imm` is an immediate, `T` a branch target. Every op
 * that produces one value has its destination as its first operand and reads all of its
 * inputs before writing it: the compiler relies on that to retarget the destination (the
 * local.set fusion) and to fold compares into branches.
 */
#ifndef SL_OPS_H
#define SL_OPS_H

// clang-format off
/* Ops with no direct Wasm counterpart, or with special operands. */
#define SL_CONTROL_OPS(X)                                                                          \
    X(unreachable)   /* []                                                             */          \
    X(exit)          /* [] end of an activation started by sl_interp_call              */          \
    X(br)            /* [T]                                                            */          \
    X(br_back)       /* [T] backward: polls for interrupts and fuel                    */          \
    X(br_nz)         /* [c, T] branch if c != 0                                        */          \
    X(br_nz_back)    /*                                                                */          \
    X(br_z)          /* [c, T] branch if c == 0                                        */          \
    X(br_z_back)     /*                                                                */          \
    X(br_table)      /* [i, n, T0 .. Tn] (Tn is the default)                           */          \
    X(call)          /* [code, args]: call a function of this module                   */          \
    X(call_import)   /* [funcidx, args]: call through the instance's function table    */          \
    X(call_indirect) /* [tableidx, canon, args, i]                                     */          \
    X(ret)           /* [] results are already in slots 0..n                           */          \
    X(ret1)          /* [src] move one result to slot 0 and return                     */          \
    X(mov)           /* [dst, src]                                                     */          \
    X(mov2)             /* [dst, src, dst2, src2]: two moves, in order                    */ \
    X(const)         /* [dst, imm]                                                     */          \
    X(select)        /* [dst, c, a, b]                                                 */          \
    X(global_get)    /* [dst, globalidx]                                               */          \
    X(global_set)    /* [globalidx, src]                                               */          \
    X(ref_is_null)   /* [dst, a]                                                       */          \
    X(ref_func)      /* [dst, funcidx]                                                 */          \
    X(table_get)     /* [dst, tableidx, i]                                             */          \
    X(table_set)     /* [tableidx, i, v]                                               */          \
    X(table_size)    /* [dst, tableidx]                                                */          \
    X(table_grow)    /* [dst, tableidx, init, n]                                       */          \
    X(table_fill)    /* [tableidx, i, v, n]                                            */          \
    X(table_copy)    /* [dsttable, srctable, d, s, n]                                  */          \
    X(table_init)    /* [tableidx, elemidx, d, s, n]                                   */          \
    X(elem_drop)     /* [elemidx]                                                      */          \
    X(memory_size)   /* [dst]                                                          */          \
    X(memory_grow)   /* [dst, delta]                                                   */          \
    X(memory_copy)   /* [d, s, n]                                                      */          \
    X(memory_fill)   /* [d, v, n]                                                      */          \
    X(memory_init)   /* [dataidx, d, s, n]                                             */          \
    X(data_drop)     /* [dataidx]                                                      */ \
    X(f64_addto)     /* [addr, v, offset]: the f64 at addr += v (c[j] += x)           */ \
    X(f64_addto_chk) /* the same with an explicit bounds check                         */

/* The numeric ops: the same names as the Wasm instructions they implement (opcodes.def
 * maps each instruction to its op), [dst, a] for unary and [dst, a, b] for binary ones. */
#define SL_NUMERIC_OPS(X) \
    X(i32_eqz) X(i32_eq) X(i32_ne) X(i32_lt_s) X(i32_lt_u) X(i32_gt_s) X(i32_gt_u) X(i32_le_s) \
    X(i32_le_u) X(i32_ge_s) X(i32_ge_u) X(i64_eqz) X(i64_eq) X(i64_ne) X(i64_lt_s) X(i64_lt_u) \
    X(i64_gt_s) X(i64_gt_u) X(i64_le_s) X(i64_le_u) X(i64_ge_s) X(i64_ge_u) X(f32_eq) X(f32_ne) \
    X(f32_lt) X(f32_gt) X(f32_le) X(f32_ge) X(f64_eq) X(f64_ne) X(f64_lt) X(f64_gt) X(f64_le) \
    X(f64_ge) X(i32_clz) X(i32_ctz) X(i32_popcnt) X(i32_add) X(i32_sub) X(i32_mul) X(i32_div_s) \
    X(i32_div_u) X(i32_rem_s) X(i32_rem_u) X(i32_and) X(i32_or) X(i32_xor) X(i32_shl) \
    X(i32_shr_s) X(i32_shr_u) X(i32_rotl) X(i32_rotr) X(i64_clz) X(i64_ctz) X(i64_popcnt) \
    X(i64_add) X(i64_sub) X(i64_mul) X(i64_div_s) X(i64_div_u) X(i64_rem_s) X(i64_rem_u) \
    X(i64_and) X(i64_or) X(i64_xor) X(i64_shl) X(i64_shr_s) X(i64_shr_u) X(i64_rotl) X(i64_rotr) \
    X(f32_abs) X(f32_neg) X(f32_ceil) X(f32_floor) X(f32_trunc) X(f32_nearest) X(f32_sqrt) \
    X(f32_add) X(f32_sub) X(f32_mul) X(f32_div) X(f32_min) X(f32_max) X(f32_copysign) X(f64_abs) \
    X(f64_neg) X(f64_ceil) X(f64_floor) X(f64_trunc) X(f64_nearest) X(f64_sqrt) X(f64_add) \
    X(f64_sub) X(f64_mul) X(f64_div) X(f64_min) X(f64_max) X(f64_copysign) X(i32_wrap_i64) \
    X(i32_trunc_f32_s) X(i32_trunc_f32_u) X(i32_trunc_f64_s) X(i32_trunc_f64_u) \
    X(i64_extend_i32_s) X(i64_extend_i32_u) X(i64_trunc_f32_s) X(i64_trunc_f32_u) \
    X(i64_trunc_f64_s) X(i64_trunc_f64_u) X(f32_convert_i32_s) X(f32_convert_i32_u) \
    X(f32_convert_i64_s) X(f32_convert_i64_u) X(f32_demote_f64) X(f64_convert_i32_s) \
    X(f64_convert_i32_u) X(f64_convert_i64_s) X(f64_convert_i64_u) X(f64_promote_f32) \
    X(i32_reinterpret_f32) X(i64_reinterpret_f64) X(f32_reinterpret_i32) X(f64_reinterpret_i64) \
    X(i32_extend8_s) X(i32_extend16_s) X(i64_extend8_s) X(i64_extend16_s) X(i64_extend32_s) \
    X(i32_trunc_sat_f32_s) X(i32_trunc_sat_f32_u) X(i32_trunc_sat_f64_s) X(i32_trunc_sat_f64_u) \
    X(i64_trunc_sat_f32_s) X(i64_trunc_sat_f32_u) X(i64_trunc_sat_f64_s) X(i64_trunc_sat_f64_u)

/* Binary ops that also exist with a constant right operand: NAME_imm [dst, a, imm] (for
 * floats, imm holds the constant's bits). */
#define SL_IMM_OPS(X) \
    X(i32_add) X(i32_sub) X(i32_mul) X(i32_and) X(i32_or) X(i32_xor) X(i32_shl) X(i32_shr_s) \
    X(i32_shr_u) X(i32_rotl) X(i32_eq) X(i32_ne) X(i32_lt_s) X(i32_lt_u) X(i32_gt_s) X(i32_gt_u) \
    X(i32_le_s) X(i32_le_u) X(i32_ge_s) X(i32_ge_u) X(i64_add) X(i64_sub) X(i64_mul) X(i64_and) \
    X(i64_or) X(i64_xor) X(i64_shl) X(i64_shr_s) X(i64_shr_u) X(i64_eq) X(i64_ne) X(i64_lt_s) \
    X(i64_lt_u) X(i64_gt_s) X(i64_gt_u) X(i64_le_s) X(i64_le_u) X(i64_ge_s) X(i64_ge_u) \
    X(f32_add) X(f32_sub) X(f32_mul) X(f32_div) X(f64_add) X(f64_sub) X(f64_mul) X(f64_div)

/* i32 compares fused into conditional branches, with the compare that is their negation
 * (for `if`, which branches when the condition is false):
 * br_NAME [a, b, T], br_NAME_imm [a, imm, T], and _back variants of both that poll. */
#define SL_CMP_BRANCHES(X) \
    X(i32_eq, i32_ne) X(i32_ne, i32_eq) X(i32_lt_s, i32_ge_s) X(i32_lt_u, i32_ge_u) \
    X(i32_gt_s, i32_le_s) X(i32_gt_u, i32_le_u) X(i32_le_s, i32_gt_s) X(i32_le_u, i32_gt_u) \
    X(i32_ge_s, i32_lt_s) X(i32_ge_u, i32_lt_u)

/* Counted-loop tails: br_inc_NAME_back [x, src, k, b, T] and br_inc_NAME_imm_back
 * [x, src, k, imm, T] do x = src + k (i32), then branch back to T if x NAME b, polling as
 * every backward branch does. They fuse `i32.add_imm` with the compare-and-branch after it,
 * one dispatch per iteration of most loops. br_step_NAME_back and br_step_NAME_imm_back are
 * the same with k a frame operand (`i32.add` of two values). Named by the compares of
 * SL_CMP_BRANCHES. */

/* Memory accesses: L loads [dst, addr, offset, addend], S stores [addr, value, offset]. The
 * address of a load is u32(addr + addend) + offset: the addend absorbs an i32.add or i32.sub
 * of a constant that computed the address, keeping its 32-bit wrap-around. Each exists twice:
 * NAME relies on guard pages, NAME_chk checks bounds explicitly; stores also exist as
 * NAME_k / NAME_k_chk [addr, imm, offset], storing a constant. */
#define SL_MEMORY_OPS(L, S) \
    L(i32_load) L(i64_load) L(f32_load) L(f64_load) L(i32_load8_s) \
    L(i32_load8_u) L(i32_load16_s) L(i32_load16_u) L(i64_load8_s) \
    L(i64_load8_u) L(i64_load16_s) L(i64_load16_u) L(i64_load32_s) \
    L(i64_load32_u) S(i32_store) S(i64_store) S(f32_store) \
    S(f64_store) S(i32_store8) S(i32_store16) S(i64_store8) \
    S(i64_store16) S(i64_store32)

/* Superinstructions. X(NAME, MEMOP, T, OP): NAME_ld [dst, a, addr, offset, addend] is NAME with its
 * right operand loaded by MEMOP; NAME_st [addr, a, b, offset] is NAME with its result stored
 * by MEMOP. T is the C type and OP the C operator. Both exist also as _chk (explicit bounds).
 * Chosen by profiling the benchmarks: loads feeding arithmetic and arithmetic feeding stores
 * are the most frequent adjacent pairs in numeric code. */
#define SL_LOAD_BINOPS(X) \
    X(f64_add, f64_load, f64, +) X(f64_sub, f64_load, f64, -) X(f64_mul, f64_load, f64, *) \
    X(f64_div, f64_load, f64, /) X(f32_add, f32_load, f32, +) X(f32_sub, f32_load, f32, -) \
    X(f32_mul, f32_load, f32, *) X(f32_div, f32_load, f32, /) X(i32_add, i32_load, u32, +) \
    X(i32_sub, i32_load, u32, -) X(i32_and, i32_load, u32, &) X(i32_or, i32_load, u32, |) \
    X(i32_xor, i32_load, u32, ^) X(i32_mul, i32_load, u32, *) X(i64_add, i64_load, u64, +) \
    X(i64_sub, i64_load, u64, -) X(i64_and, i64_load, u64, &) X(i64_or, i64_load, u64, |) \
    X(i64_xor, i64_load, u64, ^)
#define SL_STORE_BINOPS(X) \
    X(f64_add, f64_store, f64, +) X(f64_sub, f64_store, f64, -) X(f64_mul, f64_store, f64, *) \
    X(f32_add, f32_store, f32, +) X(f32_sub, f32_store, f32, -) X(f32_mul, f32_store, f32, *) \
    X(i32_add, i32_store, u32, +) X(i32_sub, i32_store, u32, -) X(i32_and, i32_store, u32, &) \
    X(i32_or, i32_store, u32, |) X(i32_xor, i32_store, u32, ^) X(i64_add, i64_store, u64, +) \
    X(i64_sub, i64_store, u64, -) X(i64_and, i64_store, u64, &) X(i64_or, i64_store, u64, |) \
    X(i64_xor, i64_store, u64, ^)

/* Shifted operands, as hash functions (SHA-2, BLAKE, xxHash) use them: X(OUTER, INNER, T, OP,
 * SHIFT) defines OUTER_INNER [dst, a, x, k]: dst = a OP SHIFT(x, k), for INNER_imm feeding
 * OUTER. */
#define SL_SHIFT_BINOPS(X) \
    X(i32_xor, i32_rotl, u32, ^, ROTL32) X(i32_xor, i32_shr_u, u32, ^, SHR32) \
    X(i32_xor, i32_shl, u32, ^, SHL32) X(i32_add, i32_rotl, u32, +, ROTL32) \
    X(i32_add, i32_shl, u32, +, SHL32) X(i32_or, i32_shl, u32, |, SHL32) \
    X(i32_or, i32_shr_u, u32, |, SHR32) X(i64_xor, i64_shr_u, u64, ^, SHR64) \
    X(i64_xor, i64_shl, u64, ^, SHL64) X(i64_add, i64_shl, u64, +, SHL64) \
    X(i64_or, i64_shl, u64, |, SHL64) X(i64_or, i64_shr_u, u64, |, SHR64)
/* Indexed loads, for a[i]: X(NAME, T, STORE) defines NAME_x [dst, base, index, shift, offset]
 * (and _x_chk), loading T from u32(base + (index << shift)) + offset. They absorb the i32.add
 * (shift 0) or i32_add_i32_shl that computed the address. */
#define SL_INDEXED_LOADS(X) \
    X(i32_load, uint32_t, OPD(1).u32 = v) X(i64_load, uint64_t, OPD(1).u64 = v) \
    X(f32_load, uint32_t, OPD(1).u32 = v) X(f64_load, uint64_t, OPD(1).u64 = v) \
    X(i32_load8_u, uint8_t, OPD(1).u32 = v) X(i32_load8_s, int8_t, OPD(1).i32 = v) \
    X(i32_load16_u, uint16_t, OPD(1).u32 = v) X(i32_load16_s, int16_t, OPD(1).i32 = v)

/* Two binary ops in one: X(NAME, OUTER, INNER, T, OP, IOP) defines NAME [dst, a, x, y]:
 * dst = a OP (x IOP y), for INNER feeding OUTER as its right operand (or either operand when
 * OUTER commutes). Float multiply-accumulate rounds twice, as Wasm does (never an FMA). */
#define SL_MULACC_OPS(X) \
    X(f64_add_mul, f64_add, f64_mul, f64, +, *) X(f64_sub_mul, f64_sub, f64_mul, f64, -, *) \
    X(f32_add_mul, f32_add, f32_mul, f32, +, *) X(f32_sub_mul, f32_sub, f32_mul, f32, -, *) \
    X(i32_add3, i32_add, i32_add, u32, +, +) X(f64_mul3, f64_mul, f64_mul, f64, *, *)
// clang-format on

/* The op numbers. */
enum sl_op {
#define SL_OP_ONE(name) SL_I_##name,
#define SL_OP_NUM(name) SL_I_##name,
#define SL_OP_IMM(name) SL_I_##name##_imm,
#define SL_OP_BRS(name, inv)                                                                       \
    SL_I_br_##name, SL_I_br_##name##_back, SL_I_br_##name##_imm, SL_I_br_##name##_imm_back,        \
        SL_I_br_inc_##name##_back, SL_I_br_inc_##name##_imm_back, SL_I_br_step_##name##_back,      \
        SL_I_br_step_##name##_imm_back,
#define SL_OP_MEM(name)                          SL_I_##name, SL_I_##name##_chk,
#define SL_OP_STO(name)                          SL_I_##name, SL_I_##name##_chk, SL_I_##name##_k, SL_I_##name##_k_chk,
#define SL_OP_LD(name, mem, T, op)               SL_I_##name##_ld, SL_I_##name##_ld_chk,
#define SL_OP_ST(name, mem, T, op)               SL_I_##name##_st, SL_I_##name##_st_chk,
#define SL_OP_SH(outer, inner, T, op, sh)        SL_I_##outer##_##inner,
#define SL_OP_IX(name, T, st)                    SL_I_##name##_x, SL_I_##name##_x_chk,
#define SL_OP_MA(name, outer, inner, T, op, iop) SL_I_##name,
    SL_CONTROL_OPS(SL_OP_ONE) SL_NUMERIC_OPS(SL_OP_NUM) SL_IMM_OPS(SL_OP_IMM)
        SL_CMP_BRANCHES(SL_OP_BRS) SL_MEMORY_OPS(SL_OP_MEM, SL_OP_STO) SL_LOAD_BINOPS(SL_OP_LD)
            SL_STORE_BINOPS(SL_OP_ST) SL_SHIFT_BINOPS(SL_OP_SH) SL_INDEXED_LOADS(SL_OP_IX)
                SL_MULACC_OPS(SL_OP_MA)
#undef SL_OP_ONE
#undef SL_OP_NUM
#undef SL_OP_IMM
#undef SL_OP_BRS
#undef SL_OP_MEM
#undef SL_OP_STO
#undef SL_OP_LD
#undef SL_OP_ST
#undef SL_OP_SH
#undef SL_OP_IX
#undef SL_OP_MA
                    SL_NUM_OPS
};

#endif
