/*
 * opcodes.c - the instruction table generated from opcodes.def, and the one routine that
 * reads an instruction with its immediates (for decode.c, validate.c and compile.c).
 */
#include "vm/opcodes.h"

#define SIG_COUNT(t) (SL_SIG_##t != 0 && SL_SIG_##t != SL_SIG_SPECIAL)
#define SIG_TYPE(t)  (SL_SIG_##t == SL_SIG_SPECIAL ? 0 : SL_SIG_##t)
const sl_opinfo sl_opinfo_table[SL_OPCODE_LIMIT] = {
#define OPF(op, text, prefix, code, imm_, in1, in2, in3, out_)                                     \
    [SL_OP_##op] = {.name = text,                                                                  \
                    .imm = SL_IMM_##imm_,                                                          \
                    .special = SL_SIG_##in1 == SL_SIG_SPECIAL,                                     \
                    .nin = SIG_COUNT(in1) + SIG_COUNT(in2) + SIG_COUNT(in3),                       \
                    .in = {SIG_TYPE(in1), SIG_TYPE(in2), SIG_TYPE(in3)},                           \
                    .out = SIG_TYPE(out_)},
#include "vm/opcodes.def"
#undef OPF
};

/* Byte opcodes index the table directly. */
_Static_assert(SL_OPCODE_LIMIT > 0xFF, "opcodes.def has prefixed instructions");

static bool zero_byte(sl_reader *r) {
    const uint8_t *at = r->pos;
    uint8_t b;
    if (!sl_rd_u8(r, &b)) return false;
    if (b != 0) return sl_rd_fail_at(r, at, "zero byte expected");
    return true;
}

static bool illegal(sl_reader *r, const uint8_t *at) {
    if (*at == SL_OP_PREFIX_FD)
        return sl_rd_fail_at(r, at, "SIMD instructions are not supported yet");
    return sl_rd_fail_at(r, at, "illegal opcode");
}

bool sl_read_instr(sl_reader *r, sl_instr *in) {
    const uint8_t *at = r->pos;
    uint8_t byte;
    if (!sl_rd_u8(r, &byte)) return false;
    uint32_t id = byte;
    if (byte == SL_OP_PREFIX_FC || byte == SL_OP_PREFIX_FD) {
        uint32_t sub;
        if (!sl_rd_u32(r, &sub)) return false;
        /* an FC sub-opcode must not reach into the FD range, nor any id overflow */
        uint32_t range =
            byte == SL_OP_PREFIX_FC ? SL_OPCODE_FD_BASE - SL_OPCODE_FC_BASE : SL_OPCODE_LIMIT;
        if (sub >= range) return illegal(r, at);
        id = SL_OPCODE_ID(byte, sub);
        if (id >= SL_OPCODE_LIMIT) return illegal(r, at);
    }
    const sl_opinfo *info = &sl_opinfo_table[id];
    in->op = (uint16_t)id;
    in->info = info;
    /* the usual instructions first, without a switch's jump: none, one index, a memarg */
    uint8_t kind = info->imm, t;
    if (kind == SL_IMM_NONE) return true;
    if (kind >= SL_IMM_LOCAL && kind <= SL_IMM_DATA) return sl_rd_u32(r, &in->a);
    if (sl_imm_is_memarg(kind)) return sl_rd_u32(r, &in->a) && sl_rd_u32(r, &in->b);
    switch ((enum sl_imm)kind) {
    case SL_IMM_ILLEGAL: return illegal(r, at);
    case SL_IMM_NONE: return true;
    case SL_IMM_BLOCK: return sl_rd_s33(r, &in->blocktype);
    case SL_IMM_LABEL:
    case SL_IMM_FUNC:
    case SL_IMM_LOCAL:
    case SL_IMM_GLOBAL:
    case SL_IMM_TABLE:
    case SL_IMM_ELEM:
    case SL_IMM_DATA: return sl_rd_u32(r, &in->a);
    case SL_IMM_CALL_INDIRECT:
    case SL_IMM_ELEM_TABLE:
    case SL_IMM_TABLE_TABLE: return sl_rd_u32(r, &in->a) && sl_rd_u32(r, &in->b);
    case SL_IMM_DATA_MEMORY: return sl_rd_u32(r, &in->a) && zero_byte(r);
    case SL_IMM_MEMORY: return zero_byte(r);
    case SL_IMM_MEMORY2: return zero_byte(r) && zero_byte(r);
    case SL_IMM_BR_TABLE: {
        uint32_t label;
        if (!sl_rd_count(r, &in->a)) return false;
        in->items = r->pos;
        for (uint32_t i = 0; i <= in->a; i++)
            if (!sl_rd_u32(r, &label)) return false;
        return true;
    }
    case SL_IMM_SELECT_T:
        if (!sl_rd_count(r, &in->a)) return false;
        in->items = r->pos;
        for (uint32_t i = 0; i < in->a; i++)
            if (!sl_rd_valtype(r, &t)) return false;
        return true;
    case SL_IMM_REFTYPE:
        if (!sl_rd_reftype(r, &t)) return false;
        in->a = t;
        return true;
    case SL_IMM_I32: {
        int32_t v;
        if (!sl_rd_s32(r, &v)) return false;
        in->bits = (uint32_t)v;
        return true;
    }
    case SL_IMM_I64: {
        int64_t v;
        if (!sl_rd_s64(r, &v)) return false;
        in->bits = (uint64_t)v;
        return true;
    }
    case SL_IMM_F32: {
        uint32_t v;
        if (!sl_rd_f32(r, &v)) return false;
        in->bits = v;
        return true;
    }
    case SL_IMM_F64: return sl_rd_f64(r, &in->bits);
    case SL_IMM_MEM1:
    case SL_IMM_MEM2:
    case SL_IMM_MEM4:
    case SL_IMM_MEM8:
    case SL_IMM_MEM16: return sl_rd_u32(r, &in->a) && sl_rd_u32(r, &in->b);
    }
    return illegal(r, at); /* a kind this switch forgot */
}
