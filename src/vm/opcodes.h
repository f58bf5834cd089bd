/*
 * opcodes.h - WebAssembly 2.0 instruction opcodes.
 *
 * Single-byte opcodes are SL_OP_*. Prefixed instructions are the prefix byte followed by a
 * u32 LEB128 sub-opcode: SL_OPFC_* are the sub-opcodes after SL_OP_PREFIX_FC (saturating
 * truncation, bulk memory, tables). SL_OP_PREFIX_FD introduces SIMD, not supported yet; its
 * sub-opcodes will be SL_OPFD_* when it is.
 */
#ifndef SL_OPCODES_H
#define SL_OPCODES_H

enum sl_opcode {
    /* control */
    SL_OP_UNREACHABLE = 0x00,
    SL_OP_NOP = 0x01,
    SL_OP_BLOCK = 0x02,
    SL_OP_LOOP = 0x03,
    SL_OP_IF = 0x04,
    SL_OP_ELSE = 0x05,
    SL_OP_END = 0x0B,
    SL_OP_BR = 0x0C,
    SL_OP_BR_IF = 0x0D,
    SL_OP_BR_TABLE = 0x0E,
    SL_OP_RETURN = 0x0F,
    SL_OP_CALL = 0x10,
    SL_OP_CALL_INDIRECT = 0x11,

    /* reference */
    SL_OP_REF_NULL = 0xD0,
    SL_OP_REF_IS_NULL = 0xD1,
    SL_OP_REF_FUNC = 0xD2,

    /* parametric */
    SL_OP_DROP = 0x1A,
    SL_OP_SELECT = 0x1B,
    SL_OP_SELECT_T = 0x1C,

    /* variable */
    SL_OP_LOCAL_GET = 0x20,
    SL_OP_LOCAL_SET = 0x21,
    SL_OP_LOCAL_TEE = 0x22,
    SL_OP_GLOBAL_GET = 0x23,
    SL_OP_GLOBAL_SET = 0x24,

    /* table */
    SL_OP_TABLE_GET = 0x25,
    SL_OP_TABLE_SET = 0x26,

    /* memory */
    SL_OP_I32_LOAD = 0x28,
    SL_OP_I64_LOAD = 0x29,
    SL_OP_F32_LOAD = 0x2A,
    SL_OP_F64_LOAD = 0x2B,
    SL_OP_I32_LOAD8_S = 0x2C,
    SL_OP_I32_LOAD8_U = 0x2D,
    SL_OP_I32_LOAD16_S = 0x2E,
    SL_OP_I32_LOAD16_U = 0x2F,
    SL_OP_I64_LOAD8_S = 0x30,
    SL_OP_I64_LOAD8_U = 0x31,
    SL_OP_I64_LOAD16_S = 0x32,
    SL_OP_I64_LOAD16_U = 0x33,
    SL_OP_I64_LOAD32_S = 0x34,
    SL_OP_I64_LOAD32_U = 0x35,
    SL_OP_I32_STORE = 0x36,
    SL_OP_I64_STORE = 0x37,
    SL_OP_F32_STORE = 0x38,
    SL_OP_F64_STORE = 0x39,
    SL_OP_I32_STORE8 = 0x3A,
    SL_OP_I32_STORE16 = 0x3B,
    SL_OP_I64_STORE8 = 0x3C,
    SL_OP_I64_STORE16 = 0x3D,
    SL_OP_I64_STORE32 = 0x3E,
    SL_OP_MEMORY_SIZE = 0x3F,
    SL_OP_MEMORY_GROW = 0x40,

    /* constants */
    SL_OP_I32_CONST = 0x41,
    SL_OP_I64_CONST = 0x42,
    SL_OP_F32_CONST = 0x43,
    SL_OP_F64_CONST = 0x44,

    /* i32 comparison */
    SL_OP_I32_EQZ = 0x45,
    SL_OP_I32_EQ = 0x46,
    SL_OP_I32_NE = 0x47,
    SL_OP_I32_LT_S = 0x48,
    SL_OP_I32_LT_U = 0x49,
    SL_OP_I32_GT_S = 0x4A,
    SL_OP_I32_GT_U = 0x4B,
    SL_OP_I32_LE_S = 0x4C,
    SL_OP_I32_LE_U = 0x4D,
    SL_OP_I32_GE_S = 0x4E,
    SL_OP_I32_GE_U = 0x4F,

    /* i64 comparison */
    SL_OP_I64_EQZ = 0x50,
    SL_OP_I64_EQ = 0x51,
    SL_OP_I64_NE = 0x52,
    SL_OP_I64_LT_S = 0x53,
    SL_OP_I64_LT_U = 0x54,
    SL_OP_I64_GT_S = 0x55,
    SL_OP_I64_GT_U = 0x56,
    SL_OP_I64_LE_S = 0x57,
    SL_OP_I64_LE_U = 0x58,
    SL_OP_I64_GE_S = 0x59,
    SL_OP_I64_GE_U = 0x5A,

    /* f32 comparison */
    SL_OP_F32_EQ = 0x5B,
    SL_OP_F32_NE = 0x5C,
    SL_OP_F32_LT = 0x5D,
    SL_OP_F32_GT = 0x5E,
    SL_OP_F32_LE = 0x5F,
    SL_OP_F32_GE = 0x60,

    /* f64 comparison */
    SL_OP_F64_EQ = 0x61,
    SL_OP_F64_NE = 0x62,
    SL_OP_F64_LT = 0x63,
    SL_OP_F64_GT = 0x64,
    SL_OP_F64_LE = 0x65,
    SL_OP_F64_GE = 0x66,

    /* i32 arithmetic */
    SL_OP_I32_CLZ = 0x67,
    SL_OP_I32_CTZ = 0x68,
    SL_OP_I32_POPCNT = 0x69,
    SL_OP_I32_ADD = 0x6A,
    SL_OP_I32_SUB = 0x6B,
    SL_OP_I32_MUL = 0x6C,
    SL_OP_I32_DIV_S = 0x6D,
    SL_OP_I32_DIV_U = 0x6E,
    SL_OP_I32_REM_S = 0x6F,
    SL_OP_I32_REM_U = 0x70,
    SL_OP_I32_AND = 0x71,
    SL_OP_I32_OR = 0x72,
    SL_OP_I32_XOR = 0x73,
    SL_OP_I32_SHL = 0x74,
    SL_OP_I32_SHR_S = 0x75,
    SL_OP_I32_SHR_U = 0x76,
    SL_OP_I32_ROTL = 0x77,
    SL_OP_I32_ROTR = 0x78,

    /* i64 arithmetic */
    SL_OP_I64_CLZ = 0x79,
    SL_OP_I64_CTZ = 0x7A,
    SL_OP_I64_POPCNT = 0x7B,
    SL_OP_I64_ADD = 0x7C,
    SL_OP_I64_SUB = 0x7D,
    SL_OP_I64_MUL = 0x7E,
    SL_OP_I64_DIV_S = 0x7F,
    SL_OP_I64_DIV_U = 0x80,
    SL_OP_I64_REM_S = 0x81,
    SL_OP_I64_REM_U = 0x82,
    SL_OP_I64_AND = 0x83,
    SL_OP_I64_OR = 0x84,
    SL_OP_I64_XOR = 0x85,
    SL_OP_I64_SHL = 0x86,
    SL_OP_I64_SHR_S = 0x87,
    SL_OP_I64_SHR_U = 0x88,
    SL_OP_I64_ROTL = 0x89,
    SL_OP_I64_ROTR = 0x8A,

    /* f32 arithmetic */
    SL_OP_F32_ABS = 0x8B,
    SL_OP_F32_NEG = 0x8C,
    SL_OP_F32_CEIL = 0x8D,
    SL_OP_F32_FLOOR = 0x8E,
    SL_OP_F32_TRUNC = 0x8F,
    SL_OP_F32_NEAREST = 0x90,
    SL_OP_F32_SQRT = 0x91,
    SL_OP_F32_ADD = 0x92,
    SL_OP_F32_SUB = 0x93,
    SL_OP_F32_MUL = 0x94,
    SL_OP_F32_DIV = 0x95,
    SL_OP_F32_MIN = 0x96,
    SL_OP_F32_MAX = 0x97,
    SL_OP_F32_COPYSIGN = 0x98,

    /* f64 arithmetic */
    SL_OP_F64_ABS = 0x99,
    SL_OP_F64_NEG = 0x9A,
    SL_OP_F64_CEIL = 0x9B,
    SL_OP_F64_FLOOR = 0x9C,
    SL_OP_F64_TRUNC = 0x9D,
    SL_OP_F64_NEAREST = 0x9E,
    SL_OP_F64_SQRT = 0x9F,
    SL_OP_F64_ADD = 0xA0,
    SL_OP_F64_SUB = 0xA1,
    SL_OP_F64_MUL = 0xA2,
    SL_OP_F64_DIV = 0xA3,
    SL_OP_F64_MIN = 0xA4,
    SL_OP_F64_MAX = 0xA5,
    SL_OP_F64_COPYSIGN = 0xA6,

    /* conversions */
    SL_OP_I32_WRAP_I64 = 0xA7,
    SL_OP_I32_TRUNC_F32_S = 0xA8,
    SL_OP_I32_TRUNC_F32_U = 0xA9,
    SL_OP_I32_TRUNC_F64_S = 0xAA,
    SL_OP_I32_TRUNC_F64_U = 0xAB,
    SL_OP_I64_EXTEND_I32_S = 0xAC,
    SL_OP_I64_EXTEND_I32_U = 0xAD,
    SL_OP_I64_TRUNC_F32_S = 0xAE,
    SL_OP_I64_TRUNC_F32_U = 0xAF,
    SL_OP_I64_TRUNC_F64_S = 0xB0,
    SL_OP_I64_TRUNC_F64_U = 0xB1,
    SL_OP_F32_CONVERT_I32_S = 0xB2,
    SL_OP_F32_CONVERT_I32_U = 0xB3,
    SL_OP_F32_CONVERT_I64_S = 0xB4,
    SL_OP_F32_CONVERT_I64_U = 0xB5,
    SL_OP_F32_DEMOTE_F64 = 0xB6,
    SL_OP_F64_CONVERT_I32_S = 0xB7,
    SL_OP_F64_CONVERT_I32_U = 0xB8,
    SL_OP_F64_CONVERT_I64_S = 0xB9,
    SL_OP_F64_CONVERT_I64_U = 0xBA,
    SL_OP_F64_PROMOTE_F32 = 0xBB,
    SL_OP_I32_REINTERPRET_F32 = 0xBC,
    SL_OP_I64_REINTERPRET_F64 = 0xBD,
    SL_OP_F32_REINTERPRET_I32 = 0xBE,
    SL_OP_F64_REINTERPRET_I64 = 0xBF,

    /* sign extension */
    SL_OP_I32_EXTEND8_S = 0xC0,
    SL_OP_I32_EXTEND16_S = 0xC1,
    SL_OP_I64_EXTEND8_S = 0xC2,
    SL_OP_I64_EXTEND16_S = 0xC3,
    SL_OP_I64_EXTEND32_S = 0xC4,

    /* prefixes */
    SL_OP_PREFIX_FC = 0xFC,
    SL_OP_PREFIX_FD = 0xFD, /* SIMD (not supported yet) */
};

/* Sub-opcodes after SL_OP_PREFIX_FC (encoded as u32 LEB128). */
enum sl_opcode_fc {
    SL_OPFC_I32_TRUNC_SAT_F32_S = 0,
    SL_OPFC_I32_TRUNC_SAT_F32_U = 1,
    SL_OPFC_I32_TRUNC_SAT_F64_S = 2,
    SL_OPFC_I32_TRUNC_SAT_F64_U = 3,
    SL_OPFC_I64_TRUNC_SAT_F32_S = 4,
    SL_OPFC_I64_TRUNC_SAT_F32_U = 5,
    SL_OPFC_I64_TRUNC_SAT_F64_S = 6,
    SL_OPFC_I64_TRUNC_SAT_F64_U = 7,
    SL_OPFC_MEMORY_INIT = 8,
    SL_OPFC_DATA_DROP = 9,
    SL_OPFC_MEMORY_COPY = 10,
    SL_OPFC_MEMORY_FILL = 11,
    SL_OPFC_TABLE_INIT = 12,
    SL_OPFC_ELEM_DROP = 13,
    SL_OPFC_TABLE_COPY = 14,
    SL_OPFC_TABLE_GROW = 15,
    SL_OPFC_TABLE_SIZE = 16,
    SL_OPFC_TABLE_FILL = 17,
};

#endif
