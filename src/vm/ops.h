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

/* Numeric instructions with their Wasm opcodes (0xFC-prefixed ones as 0x100 + subopcode).
 * U: unary [dst, a]; B: binary [dst, a, b]. */
#define SL_NUMERIC_OPS(U, B) \
    U(0x45, i32_eqz) B(0x46, i32_eq) B(0x47, i32_ne) B(0x48, i32_lt_s) B(0x49, i32_lt_u) \
    B(0x4A, i32_gt_s) B( 0x4B, i32_gt_u) B(0x4C, i32_le_s) B(0x4D, i32_le_u) B(0x4E, i32_ge_s) \
    B(0x4F, i32_ge_u) U(0x50, i64_eqz) B(0x51, i64_eq) B(0x52, i64_ne) B(0x53, i64_lt_s) \
    B(0x54, i64_lt_u) B( 0x55, i64_gt_s) B(0x56, i64_gt_u) B(0x57, i64_le_s) B(0x58, i64_le_u) \
    B(0x59, i64_ge_s) B(0x5A, i64_ge_u) B(0x5B, f32_eq) B(0x5C, f32_ne) B(0x5D, f32_lt) \
    B( 0x5E, f32_gt) B(0x5F, f32_le) B(0x60, f32_ge) B(0x61, f64_eq) B(0x62, f64_ne) \
    B(0x63, f64_lt) B(0x64, f64_gt) B(0x65, f64_le) B(0x66, f64_ge) U( 0x67, i32_clz) \
    U(0x68, i32_ctz) U(0x69, i32_popcnt) B(0x6A, i32_add) B(0x6B, i32_sub) B(0x6C, i32_mul) \
    B(0x6D, i32_div_s) B( 0x6E, i32_div_u) B(0x6F, i32_rem_s) B(0x70, i32_rem_u) \
    B(0x71, i32_and) B(0x72, i32_or) B(0x73, i32_xor) B(0x74, i32_shl) B(0x75, i32_shr_s) \
    B( 0x76, i32_shr_u) B(0x77, i32_rotl) B(0x78, i32_rotr) U(0x79, i64_clz) U(0x7A, i64_ctz) \
    U(0x7B, i64_popcnt) B(0x7C, i64_add) B(0x7D, i64_sub) B( 0x7E, i64_mul) B(0x7F, i64_div_s) \
    B(0x80, i64_div_u) B(0x81, i64_rem_s) B(0x82, i64_rem_u) B(0x83, i64_and) B(0x84, i64_or) \
    B( 0x85, i64_xor) B(0x86, i64_shl) B(0x87, i64_shr_s) B(0x88, i64_shr_u) B(0x89, i64_rotl) \
    B(0x8A, i64_rotr) U( 0x8B, f32_abs) U(0x8C, f32_neg) U(0x8D, f32_ceil) U(0x8E, f32_floor) \
    U(0x8F, f32_trunc) U( 0x90, f32_nearest) U(0x91, f32_sqrt) B(0x92, f32_add) B(0x93, f32_sub) \
    B(0x94, f32_mul) B(0x95, f32_div) B(0x96, f32_min) B( 0x97, f32_max) B(0x98, f32_copysign) \
    U(0x99, f64_abs) U(0x9A, f64_neg) U(0x9B, f64_ceil) U(0x9C, f64_floor) U(0x9D, f64_trunc) \
    U( 0x9E, f64_nearest) U(0x9F, f64_sqrt) B(0xA0, f64_add) B(0xA1, f64_sub) B(0xA2, f64_mul) \
    B(0xA3, f64_div) B(0xA4, f64_min) B( 0xA5, f64_max) B(0xA6, f64_copysign) \
    U(0xA7, i32_wrap_i64) U(0xA8, i32_trunc_f32_s) U(0xA9, i32_trunc_f32_u) \
    U(0xAA, i32_trunc_f64_s) U( 0xAB, i32_trunc_f64_u) U(0xAC, i64_extend_i32_s) \
    U(0xAD, i64_extend_i32_u) U(0xAE, i64_trunc_f32_s) U(0xAF, i64_trunc_f32_u) \
    U( 0xB0, i64_trunc_f64_s) U(0xB1, i64_trunc_f64_u) U(0xB2, f32_convert_i32_s) \
    U(0xB3, f32_convert_i32_u) U(0xB4, f32_convert_i64_s) U( 0xB5, f32_convert_i64_u) \
    U(0xB6, f32_demote_f64) U(0xB7, f64_convert_i32_s) U(0xB8, f64_convert_i32_u) \
    U(0xB9, f64_convert_i64_s) U( 0xBA, f64_convert_i64_u) U(0xBB, f64_promote_f32) \
    U(0xBC, i32_reinterpret_f32) U( 0xBD, i64_reinterpret_f64) U(0xBE, f32_reinterpret_i32) \
    U(0xBF, f64_reinterpret_i64) U( 0xC0, i32_extend8_s) U(0xC1, i32_extend16_s) \
    U(0xC2, i64_extend8_s) U( 0xC3, i64_extend16_s) U(0xC4, i64_extend32_s) \
    U(0x100, i32_trunc_sat_f32_s) U( 0x101, i32_trunc_sat_f32_u) U(0x102, i32_trunc_sat_f64_s) \
    U( 0x103, i32_trunc_sat_f64_u) U(0x104, i64_trunc_sat_f32_s) U(0x105, i64_trunc_sat_f32_u) \
    U(0x106, i64_trunc_sat_f64_s) U(0x107, i64_trunc_sat_f64_u)

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
    L(0x28, i32_load) L(0x29, i64_load) L(0x2A, f32_load) L(0x2B, f64_load) L(0x2C, i32_load8_s) \
    L(0x2D, i32_load8_u) L(0x2E, i32_load16_s) L(0x2F, i32_load16_u) L(0x30, i64_load8_s) \
    L(0x31, i64_load8_u) L(0x32, i64_load16_s) L(0x33, i64_load16_u) L(0x34, i64_load32_s) \
    L(0x35, i64_load32_u) S(0x36, i32_store) S(0x37, i64_store) S(0x38, f32_store) \
    S(0x39, f64_store) S(0x3A, i32_store8) S(0x3B, i32_store16) S(0x3C, i64_store8) \
    S(0x3D, i64_store16) S(0x3E, i64_store32)

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
#define SL_OP_ONE(name)       SL_I_##name,
#define SL_OP_NUM(code, name) SL_I_##name,
#define SL_OP_IMM(name)       SL_I_##name##_imm,
#define SL_OP_BRS(name, inv)                                                                       \
    SL_I_br_##name, SL_I_br_##name##_back, SL_I_br_##name##_imm, SL_I_br_##name##_imm_back,        \
        SL_I_br_inc_##name##_back, SL_I_br_inc_##name##_imm_back, SL_I_br_step_##name##_back,      \
        SL_I_br_step_##name##_imm_back,
#define SL_OP_MEM(code, name)                    SL_I_##name, SL_I_##name##_chk,
#define SL_OP_STO(code, name)                    SL_I_##name, SL_I_##name##_chk, SL_I_##name##_k, SL_I_##name##_k_chk,
#define SL_OP_LD(name, mem, T, op)               SL_I_##name##_ld, SL_I_##name##_ld_chk,
#define SL_OP_ST(name, mem, T, op)               SL_I_##name##_st, SL_I_##name##_st_chk,
#define SL_OP_SH(outer, inner, T, op, sh)        SL_I_##outer##_##inner,
#define SL_OP_IX(name, T, st)                    SL_I_##name##_x, SL_I_##name##_x_chk,
#define SL_OP_MA(name, outer, inner, T, op, iop) SL_I_##name,
    SL_CONTROL_OPS(SL_OP_ONE) SL_NUMERIC_OPS(SL_OP_NUM, SL_OP_NUM) SL_IMM_OPS(SL_OP_IMM)
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
