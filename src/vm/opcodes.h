/*
 * opcodes.h - WebAssembly instructions, generated from the one table in opcodes.def.
 *
 * Every instruction has an id (enum sl_opcode): its opcode byte, or 0x100 + the sub-opcode
 * for those after the 0xFC prefix (saturating truncation, bulk memory, tables) and 0x200 +
 * the sub-opcode after 0xFD (SIMD, whose sub-opcodes exceed 0xFF: that range comes last).
 * Ids index sl_opinfo_table, which holds what opcodes.def says about each instruction, and
 * sl_read_instr decodes one instruction with its immediates for the decoder, the validator
 * and the compiler alike.
 */
#ifndef SL_OPCODES_H
#define SL_OPCODES_H

#include <stdbool.h>
#include <stdint.h>

#include "sluice.h"
#include "vm/reader.h"

#define SL_OP_PREFIX_FC 0xFC
#define SL_OP_PREFIX_FD 0xFD

/* Where each prefix's ids start: FC sub-opcodes stay below 0x100, FD ones go beyond. */
#define SL_OPCODE_FC_BASE 0x100
#define SL_OPCODE_FD_BASE 0x200
#define SL_OPCODE_ID(prefix, code)                                                                 \
    ((prefix) == 0                 ? (code)                                                        \
     : (prefix) == SL_OP_PREFIX_FC ? SL_OPCODE_FC_BASE + (code)                                    \
                                   : SL_OPCODE_FD_BASE + (code))

enum sl_opcode {
#define OPF(name, text, prefix, code, ...) SL_OP_##name = SL_OPCODE_ID(prefix, code),
#include "vm/opcodes.def"
#undef OPF
};

/* The size of the union is one more than the largest id: the size of a table indexed by id,
 * which so grows by itself when opcodes.def gets a line. */
union sl_opcode_bound {
#define OPF(name, ...) char name[SL_OP_##name + 1];
#include "vm/opcodes.def"
#undef OPF
};
#define SL_OPCODE_LIMIT sizeof(union sl_opcode_bound)

/* What follows an opcode (the IMM column). A memarg's natural alignment, the largest the
 * validator accepts, is 2**(kind - SL_IMM_MEM1) bytes. */
enum sl_imm {
    SL_IMM_ILLEGAL, /* no instruction has this id: the zero of sl_opinfo_table's gaps */
    SL_IMM_NONE,
    /* one u32 index; the most frequent kinds are contiguous so sl_read_instr tests ranges */
    SL_IMM_LOCAL,
    SL_IMM_GLOBAL,
    SL_IMM_LABEL, /* a label depth */
    SL_IMM_FUNC,
    SL_IMM_TABLE,
    SL_IMM_ELEM, /* an elem segment */
    SL_IMM_DATA, /* a data segment */
    /* memarg (u32 alignment exponent, u32 offset), by natural alignment: 2**(kind - MEM1) */
    SL_IMM_MEM1,
    SL_IMM_MEM2,
    SL_IMM_MEM4,
    SL_IMM_MEM8,
    SL_IMM_MEM16,         /* v128 accesses */
    SL_IMM_I32,           /* s32 LEB128 */
    SL_IMM_I64,           /* s64 LEB128 */
    SL_IMM_F32,           /* 4 bytes */
    SL_IMM_F64,           /* 8 bytes */
    SL_IMM_BLOCK,         /* block type: s33 (-0x40 empty, negative a value type, else a type) */
    SL_IMM_BR_TABLE,      /* vector of u32 labels, then the default label */
    SL_IMM_CALL_INDIRECT, /* u32 type index, u32 table index */
    SL_IMM_ELEM_TABLE,    /* u32 elem segment, u32 table (table.init) */
    SL_IMM_TABLE_TABLE,   /* u32 destination table, u32 source table (table.copy) */
    SL_IMM_DATA_MEMORY,   /* u32 data segment index, memory index (memory.init) */
    SL_IMM_MEMORY,        /* memory index (a zero byte in Wasm 2.0) */
    SL_IMM_MEMORY2,       /* destination and source memory (memory.copy) */
    SL_IMM_SELECT_T,      /* vector of value types */
    SL_IMM_REFTYPE,       /* one reference type byte */
};

static inline bool sl_imm_is_memarg(uint8_t imm) {
    return imm >= SL_IMM_MEM1 && imm <= SL_IMM_MEM16;
}

/* The type tokens of the signature columns. */
#define SL_SIG__         0
#define SL_SIG_i32       SL_I32
#define SL_SIG_i64       SL_I64
#define SL_SIG_f32       SL_F32
#define SL_SIG_f64       SL_F64
#define SL_SIG_v128      SL_V128
#define SL_SIG_funcref   SL_FUNCREF
#define SL_SIG_externref SL_EXTERNREF
#define SL_SIG_SPECIAL   0xFF

typedef struct sl_opinfo {
    const char *name; /* the text-format name; NULL: no instruction has this id */
    uint8_t imm;      /* enum sl_imm */
    bool special;     /* typed by hand (an OPS line); nin, in and out are then 0 */
    uint8_t nin;      /* operands popped, in[nin - 1] first */
    uint8_t in[3];
    uint8_t out; /* the value type pushed, or 0 */
} sl_opinfo;

extern const sl_opinfo sl_opinfo_table[SL_OPCODE_LIMIT];

/* One decoded instruction. */
typedef struct sl_instr {
    uint16_t op; /* enum sl_opcode */
    const sl_opinfo *info;
    /* Indices in the order they are encoded (ELEM_TABLE: a = segment, b = table); a memarg's
     * alignment exponent (a) and offset (b); REFTYPE: the type (a); BR_TABLE and SELECT_T:
     * the vector's length (a). */
    uint32_t a, b;
    uint64_t bits;        /* I32..F64: the constant as a slot holds it (an i32 zero-extended) */
    int64_t blocktype;    /* BLOCK */
    const uint8_t *items; /* BR_TABLE: a + 1 u32 labels; SELECT_T: a value type bytes */
} sl_instr;

/* Read one instruction, its opcode and every immediate, checking only the encoding: an
 * unknown opcode, a bad LEB128, a non-zero reserved byte, an unknown value type or the end
 * of the code fail with the reader's error (at the opcode for an unknown one). Only the
 * fields of the instruction's immediate kind are set. */
bool sl_read_instr(sl_reader *r, sl_instr *in);

#endif
