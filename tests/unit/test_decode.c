/*
 * test_decode.c - the byte reader, the decoder and the validator on hand-made binaries
 * (internal API: vm/reader.h, sl_decode, sl_validate).
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "vm/module.h"
#include "vm/opcodes.h"
#include "vm/reader.h"

/* ---- Reader ------------------------------------------------------------------------------ */

/* One instruction from its encoding; *error gets the reader's error. */
static bool instr_of(const uint8_t *b, size_t n, sl_instr *in, const char **error) {
    sl_reader r;
    sl_rd_init(&r, b, b, b + n);
    bool ok = sl_read_instr(&r, in);
    *error = r.error;
    return ok;
}

/* Every line of opcodes.def reads back as itself: the encoding column, the enum and the
 * name agree, and the immediate kind consumes a well-formed immediate. */
TEST(opcode_table_reads_back) {
    unsigned n = 0;
#define OPF(id, text, prefix, code, ...)                                                           \
    do {                                                                                           \
        uint8_t b[24] = {0};                                                                       \
        size_t k = 0;                                                                              \
        if (prefix) b[k++] = prefix;                                                               \
        b[k++] = code; /* every code is below 0x80, so a one-byte LEB128 */                        \
        if (sl_opinfo_table[SL_OP_##id].imm == SL_IMM_REFTYPE) b[k] = SL_FUNCREF;                  \
        sl_instr in;                                                                               \
        const char *e;                                                                             \
        CHECK(instr_of(b, sizeof b, &in, &e));                                                     \
        CHECK_EQ(in.op, SL_OP_##id);                                                               \
        CHECK(in.info == &sl_opinfo_table[SL_OP_##id] && !strcmp(in.info->name, text));            \
        n++;                                                                                       \
    } while (0);
#include "vm/opcodes.def"
#undef OPF
    CHECK(n > 200);
}

TEST(opcode_table_rejects_unknown) {
    sl_instr in;
    const char *e;
    CHECK(!instr_of((const uint8_t[]){0x06}, 1, &in, &e) && !strcmp(e, "illegal opcode"));
    CHECK(!instr_of((const uint8_t[]){0xFF}, 1, &in, &e) && !strcmp(e, "illegal opcode"));
    /* the last 0xFC sub-opcode + 1, and one that would alias the 0xFD range */
    CHECK(!instr_of((const uint8_t[]){0xFC, 0x12}, 2, &in, &e) && !strcmp(e, "illegal opcode"));
    CHECK(!instr_of((const uint8_t[]){0xFC, 0x80, 0x02}, 3, &in, &e) &&
          !strcmp(e, "illegal opcode"));
    CHECK(!instr_of((const uint8_t[]){0xFD, 0x00}, 2, &in, &e) &&
          !strcmp(e, "SIMD instructions are not supported yet"));
    /* memory.fill's reserved byte */
    CHECK(!instr_of((const uint8_t[]){0xFC, 0x0B, 0x01}, 3, &in, &e) &&
          !strcmp(e, "zero byte expected"));
    CHECK(!instr_of((const uint8_t[]){0x20}, 1, &in, &e) && !strcmp(e, "unexpected end"));
}

static bool u32_of(const uint8_t *b, size_t n, uint32_t *v, const char **error) {
    sl_reader r;
    sl_rd_init(&r, b, b, b + n);
    bool ok = sl_rd_u32(&r, v);
    *error = r.error;
    return ok;
}

TEST(reader_u32_leb128_limits) {
    uint32_t v;
    const char *e;
    CHECK(u32_of((const uint8_t[]){0xff, 0xff, 0xff, 0xff, 0x0f}, 5, &v, &e) && v == UINT32_MAX);
    CHECK(u32_of((const uint8_t[]){0x80, 0x80, 0x80, 0x80, 0x00}, 5, &v, &e) && v == 0);
    /* six bytes: too long, even when the value would fit */
    CHECK(!u32_of((const uint8_t[]){0x80, 0x80, 0x80, 0x80, 0x80, 0x00}, 6, &v, &e));
    CHECK(e && !strcmp(e, "integer representation too long"));
    /* bits above bit 31 set in the fifth byte */
    CHECK(!u32_of((const uint8_t[]){0xff, 0xff, 0xff, 0xff, 0x1f}, 5, &v, &e));
    CHECK(e && !strcmp(e, "integer too large"));
    CHECK(!u32_of((const uint8_t[]){0x80, 0x80}, 2, &v, &e));
    CHECK(e && !strcmp(e, "unexpected end"));
}

TEST(reader_signed_leb128_limits) {
    sl_reader r;
    int32_t v32;
    int64_t v64;
    static const uint8_t m1[] = {0x7f};
    sl_rd_init(&r, m1, m1, m1 + 1);
    CHECK(sl_rd_s32(&r, &v32) && v32 == -1);
    static const uint8_t min32[] = {0x80, 0x80, 0x80, 0x80, 0x78};
    sl_rd_init(&r, min32, min32, min32 + 5);
    CHECK(sl_rd_s32(&r, &v32) && v32 == INT32_MIN);
    /* -1 with the unused bits of the last byte not a sign extension */
    static const uint8_t bad32[] = {0xff, 0xff, 0xff, 0xff, 0x4f};
    sl_rd_init(&r, bad32, bad32, bad32 + 5);
    CHECK(!sl_rd_s32(&r, &v32) && !strcmp(r.error, "integer too large"));
    static const uint8_t min64[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f};
    sl_rd_init(&r, min64, min64, min64 + 10);
    CHECK(sl_rd_s64(&r, &v64) && v64 == INT64_MIN);
    static const uint8_t bad64[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x41};
    sl_rd_init(&r, bad64, bad64, bad64 + 10);
    CHECK(!sl_rd_s64(&r, &v64) && !strcmp(r.error, "integer too large"));
    /* s33: a type index beyond 2^31 is representable, as are the negative value types */
    static const uint8_t big33[] = {0x80, 0x80, 0x80, 0x80, 0x08};
    sl_rd_init(&r, big33, big33, big33 + 5);
    CHECK(sl_rd_s33(&r, &v64) && v64 == (int64_t)1 << 31);
    static const uint8_t empty[] = {0x40};
    sl_rd_init(&r, empty, empty, empty + 1);
    CHECK(sl_rd_s33(&r, &v64) && v64 == -64);
}

TEST(reader_fast_variants_agree) {
    static const int64_t values[] = {0,         1,         -1,        63,        64,
                                     -64,       -65,       127,       128,       INT32_MAX,
                                     INT32_MIN, INT64_MAX, INT64_MIN, 123456789, -987654321};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        uint8_t buf[16];
        size_t n = 0;
        int64_t x = values[i];
        bool more = true;
        while (more) { /* signed LEB128 encoding */
            uint8_t b = x & 0x7f;
            x >>= 7;
            more = !((x == 0 && !(b & 0x40)) || (x == -1 && (b & 0x40)));
            buf[n++] = more ? (b | 0x80) : b;
        }
        sl_reader r;
        int64_t v;
        sl_rd_init(&r, buf, buf, buf + n);
        CHECK(sl_rd_s64(&r, &v) && v == values[i]);
        const uint8_t *p = buf;
        CHECK_EQ(sl_rd_fast_s64(&p), values[i]);
        CHECK(p == buf + n);
        if (values[i] >= INT32_MIN && values[i] <= INT32_MAX) {
            p = buf;
            CHECK_EQ(sl_rd_fast_s32(&p), values[i]);
        }
    }
    static const uint8_t u[] = {0xff, 0xff, 0xff, 0xff, 0x0f};
    const uint8_t *p = u;
    CHECK_EQ(sl_rd_fast_u32(&p), UINT32_MAX);
}

TEST(reader_utf8) {
    CHECK(sl_utf8_valid((const uint8_t *)"h\xc3\xa9llo \xf0\x9f\x98\x80", 11));
    CHECK(!sl_utf8_valid((const uint8_t *)"\xc0\x80", 2));         /* overlong NUL */
    CHECK(!sl_utf8_valid((const uint8_t *)"\xed\xa0\x80", 3));     /* surrogate */
    CHECK(!sl_utf8_valid((const uint8_t *)"\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
    CHECK(!sl_utf8_valid((const uint8_t *)"\xe2\x82", 2));         /* truncated */
    CHECK(!sl_utf8_valid((const uint8_t *)"\x80", 1));
}

/* ---- Decoder and validator --------------------------------------------------------------- */

/* Decode (and validate when decoding succeeds) a copy of `bytes` into *m. */
static sl_status load(sl_module *m, const uint8_t *bytes, size_t len, sl_error *err) {
    memset(m, 0, sizeof *m);
    m->bytes = malloc(len ? len : 1);
    if (!m->bytes) return SL_ERR_NOMEM;
    memcpy(m->bytes, bytes, len);
    m->len = len;
    memset(err, 0, sizeof *err);
    sl_status st = sl_decode(m, err);
    return st == SL_OK ? sl_validate(m, err) : st;
}

static sl_status status_of(const uint8_t *bytes, size_t len, sl_error *err) {
    sl_module m;
    sl_status st = load(&m, bytes, len, err);
    sl_module_clear(&m);
    return st;
}

#define HDR 0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00

TEST(decode_section_order_and_ids) {
    sl_error err;
    /* function section before type section */
    const uint8_t order[] = {HDR, 0x03, 0x01, 0x00, 0x01, 0x01, 0x00};
    CHECK_STATUS(status_of(order, sizeof order, &err), SL_ERR_MALFORMED, &err);
    CHECK(strstr(err.message, "unexpected content after last section"));
    const uint8_t id[] = {HDR, 0x0d, 0x00};
    CHECK_STATUS(status_of(id, sizeof id, &err), SL_ERR_MALFORMED, &err);
    CHECK(strstr(err.message, "malformed section id"));
    CHECK_EQ(err.offset, 8);
    /* data count 1 without a data section */
    const uint8_t dc[] = {HDR, 0x0c, 0x01, 0x01};
    CHECK_STATUS(status_of(dc, sizeof dc, &err), SL_ERR_MALFORMED, &err);
    CHECK(strstr(err.message, "data count and data section have inconsistent lengths"));
    /* a custom section may come anywhere, but its name must be UTF-8 */
    const uint8_t custom[] = {HDR, 0x00, 0x02, 0x01, 0x61, 0x01, 0x01, 0x00};
    CHECK_STATUS(status_of(custom, sizeof custom, &err), SL_OK, &err);
    const uint8_t badname[] = {HDR, 0x00, 0x02, 0x01, 0xff};
    CHECK_STATUS(status_of(badname, sizeof badname, &err), SL_ERR_MALFORMED, &err);
    CHECK(strstr(err.message, "malformed UTF-8 encoding"));
}

TEST(decode_locals_limits) {
    sl_error err;
    /* 2^32 - 1 + 2 locals: malformed (the count does not fit in u32) */
    const uint8_t overflow[] = {HDR,  0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02,
                                0x01, 0x00, 0x0a, 0x0c, 0x01, 0x0a, 0x02, 0xff, 0xff,
                                0xff, 0xff, 0x0f, 0x7f, 0x02, 0x7e, 0x0b};
    CHECK_STATUS(status_of(overflow, sizeof overflow, &err), SL_ERR_MALFORMED, &err);
    CHECK(strstr(err.message, "too many locals"));
    /* 10^6 locals fit in u32 but exceed the implementation limit, without allocating them */
    const uint8_t many[] = {HDR,  0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00,
                            0x0a, 0x08, 0x01, 0x06, 0x01, 0xc0, 0x84, 0x3d, 0x7f, 0x0b};
    CHECK_STATUS(status_of(many, sizeof many, &err), SL_ERR_LIMIT, &err);
}

/*
 * (module
 *   (import "m" "f" (func (param i32)))
 *   (table 1 funcref)
 *   (func $a (export "a") (result i32) (local i64 i64 f32) i32.const 7)
 *   (func $b (param i32) (drop (ref.func $a)))
 *   (elem (i32.const 0) $b))
 * with a name section naming function 1 "a".
 */
static const uint8_t sample[] = {
    HDR,  0x01, 0x09, 0x02, 0x60, 0x01, 0x7f, 0x00, 0x60, 0x00, 0x01, 0x7f, /* types */
    0x02, 0x07, 0x01, 0x01, 0x6d, 0x01, 0x66, 0x00, 0x00,                   /* import m.f */
    0x03, 0x03, 0x02, 0x01, 0x00,                                           /* funcs: types 1, 0 */
    0x04, 0x04, 0x01, 0x70, 0x00, 0x01,                                     /* table */
    0x07, 0x05, 0x01, 0x01, 0x61, 0x00, 0x01,                               /* export "a" func 1 */
    0x09, 0x07, 0x01, 0x00, 0x41, 0x00, 0x0b, 0x01, 0x02,                   /* elem: func 2 */
    0x0a, 0x10, 0x02,                                                       /* code */
    0x08, 0x02, 0x02, 0x7e, 0x01, 0x7d, 0x41, 0x07, 0x0b,                   /* body 1 */
    0x05, 0x00, 0xd2, 0x01, 0x1a, 0x0b,                                     /* body 2 */
    0x00, 0x0b, 0x04, 0x6e, 0x61, 0x6d, 0x65, 0x01, 0x04, 0x01, 0x01, 0x01, 0x61, /* names */
};

TEST(decode_sample_module) {
    uint8_t bytes[sizeof sample];
    memcpy(bytes, sample, sizeof bytes);
    sl_module m;
    sl_error err;
    sl_status st = load(&m, bytes, sizeof bytes, &err);
    CHECK_STATUS(st, SL_OK, &err);
    if (st == SL_OK) {
        CHECK_EQ(m.nfuncs, 3);
        CHECK_EQ(m.nimported_funcs, 1);
        CHECK_EQ(m.bodies[0].nlocals, 3);
        CHECK(m.bodies[0].local_types[0] == SL_I64 && m.bodies[0].local_types[2] == SL_F32);
        CHECK_EQ(m.bodies[0].code_len, 3);
        CHECK(m.bodies[0].code[0] == 0x41);
        CHECK_EQ(m.bodies[0].code + m.bodies[0].code_len - m.bytes,
                 m.bodies[0].code_offset + m.bodies[0].code_len);
        /* exported $a and the element's function are declared; the import is not */
        CHECK(sl_func_declared(&m, 1));
        CHECK(sl_func_declared(&m, 2));
        CHECK(!sl_func_declared(&m, 0));
        CHECK(m.func_names && m.func_names[1] && !strcmp(m.func_names[1], "a"));
        CHECK(!strcmp(m.import_descs[0].module, "m") && !strcmp(m.import_descs[0].name, "f"));
        CHECK(m.import_descs[0].type.kind == SL_EXTERN_FUNC);
        CHECK(m.import_descs[0].type.of.func && m.import_descs[0].type.of.func->nparams == 1);
        CHECK(!strcmp(m.export_descs[0].name, "a"));
        CHECK(m.export_descs[0].type.of.func->nresults == 1);
        CHECK(m.elems[0].mode == SL_SEG_ACTIVE && m.elems[0].count == 1);
        CHECK(m.elems[0].items[0].op == SL_CONST_REF_FUNC && m.elems[0].items[0].index == 2);
        CHECK(m.elems[0].offset.op == SL_CONST_I32 && m.elems[0].offset.value.i32 == 0);
    }
    sl_module_clear(&m);

    /* body 2's ref.func names function 1, declared only by the export: export function 2
     * instead and the reference becomes undeclared */
    bytes[45] = 0x02;
    CHECK_STATUS(status_of(bytes, sizeof bytes, &err), SL_ERR_INVALID, &err);
    CHECK(strstr(err.message, "undeclared function reference"));
}

TEST(validate_messages_name_function_and_offset) {
    /* (func (result i32) i64.const 0): the mismatch is found at `end` (offset 26) */
    const uint8_t bytes[] = {HDR,  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f, 0x03, 0x02,
                             0x01, 0x00, 0x0a, 0x06, 0x01, 0x04, 0x00, 0x42, 0x00, 0x0b};
    sl_error err;
    CHECK_STATUS(status_of(bytes, sizeof bytes, &err), SL_ERR_INVALID, &err);
    CHECK(strstr(err.message, "func 0 at 0x1a: type mismatch"));
    CHECK_EQ(err.offset, 0x1a);
    /* an unknown opcode is malformed, not invalid */
    uint8_t bad[sizeof bytes];
    memcpy(bad, bytes, sizeof bad);
    bad[24] = 0x27;
    CHECK_STATUS(status_of(bad, sizeof bad, &err), SL_ERR_MALFORMED, &err);
    CHECK(strstr(err.message, "illegal opcode"));
}

TEST(validate_constant_expressions) {
    sl_error err;
    /* (global i32 (i32.const 1)) (global i32 (global.get 0)): only imports are visible */
    const uint8_t defined[] = {HDR,  0x06, 0x0b, 0x02, 0x7f, 0x00, 0x41,
                               0x01, 0x0b, 0x7f, 0x00, 0x23, 0x00, 0x0b};
    CHECK_STATUS(status_of(defined, sizeof defined, &err), SL_ERR_INVALID, &err);
    CHECK(strstr(err.message, "unknown global 0"));
    /* (global i32 (i32.const 1) (i32.const 2)) */
    const uint8_t two[] = {HDR, 0x06, 0x08, 0x01, 0x7f, 0x00, 0x41, 0x01, 0x41, 0x02, 0x0b};
    CHECK_STATUS(status_of(two, sizeof two, &err), SL_ERR_INVALID, &err);
    CHECK(strstr(err.message, "type mismatch"));
    /* (global i32 (i32.add (i32.const 1) (i32.const 2))) */
    const uint8_t add[] = {HDR, 0x06, 0x09, 0x01, 0x7f, 0x00, 0x41, 0x01, 0x41, 0x02, 0x6a, 0x0b};
    CHECK_STATUS(status_of(add, sizeof add, &err), SL_ERR_INVALID, &err);
    CHECK(strstr(err.message, "constant expression required"));
    /* (global f32 (f32.const 1.5)) is fine and decoded in place */
    const uint8_t ok[] = {HDR, 0x06, 0x09, 0x01, 0x7d, 0x00, 0x43, 0x00, 0x00, 0xc0, 0x3f, 0x0b};
    sl_module m;
    CHECK_STATUS(load(&m, ok, sizeof ok, &err), SL_OK, &err);
    CHECK(m.nglobals == 1 && m.globals[0].init.op == SL_CONST_F32 &&
          m.globals[0].init.value.f32 == 1.5f);
    sl_module_clear(&m);
}

TEST(validate_memory_limits) {
    sl_error err;
    const uint8_t big[] = {HDR, 0x05, 0x05, 0x01, 0x00, 0x81, 0x80, 0x04}; /* min 65537 */
    CHECK_STATUS(status_of(big, sizeof big, &err), SL_ERR_INVALID, &err);
    CHECK(strstr(err.message, "memory size must be at most 65536 pages (4GiB)"));
    const uint8_t minmax[] = {HDR, 0x05, 0x04, 0x01, 0x01, 0x02, 0x01};
    CHECK_STATUS(status_of(minmax, sizeof minmax, &err), SL_ERR_INVALID, &err);
    CHECK(strstr(err.message, "size minimum must not be greater than maximum"));
    const uint8_t two[] = {HDR, 0x05, 0x05, 0x02, 0x00, 0x00, 0x00, 0x00};
    CHECK_STATUS(status_of(two, sizeof two, &err), SL_ERR_INVALID, &err);
    CHECK(strstr(err.message, "multiple memories"));
}
