/*
 * reader.h - bounds-checked reading of the Wasm binary encoding.
 *
 * An sl_reader walks [pos, end) of a buffer that starts at `base` (offsets in errors are
 * relative to base, i.e. to the module start). Every checked read returns false on failure
 * and records the first error (a static string) and its offset; later reads on a failed
 * reader keep failing, so a caller may chain several reads and test once.
 *
 * The sl_rd_fast_* functions read from a bare pointer without any checks. They are for code
 * that the validator already accepted (a br_table's labels, read again after sl_read_instr
 * checked them), where the encoding is known to be well-formed and in bounds.
 */
#ifndef SL_READER_H
#define SL_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sluice.h"

typedef struct sl_reader {
    const uint8_t *base; /* start of the module: offsets are pos - base */
    const uint8_t *pos, *end;
    const char *error;      /* first error, NULL while ok */
    const uint8_t *err_pos; /* where it happened */
} sl_reader;

static inline void sl_rd_init(sl_reader *r, const uint8_t *base, const uint8_t *pos,
                              const uint8_t *end) {
    r->base = base;
    r->pos = pos;
    r->end = end;
    r->error = NULL;
    r->err_pos = pos;
}

static inline bool sl_rd_ok(const sl_reader *r) {
    return r->error == NULL;
}
static inline size_t sl_rd_left(const sl_reader *r) {
    return (size_t)(r->end - r->pos);
}
static inline bool sl_rd_eof(const sl_reader *r) {
    return r->pos >= r->end;
}
static inline uint32_t sl_rd_offset(const sl_reader *r) {
    return (uint32_t)(r->pos - r->base);
}
/* Offset of the recorded error (or of the current position while ok). */
static inline uint32_t sl_rd_err_offset(const sl_reader *r) {
    return (uint32_t)((r->error ? r->err_pos : r->pos) - r->base);
}

/* Record an error at `at` (only the first one sticks) and return false. */
static inline bool sl_rd_fail_at(sl_reader *r, const uint8_t *at, const char *msg) {
    if (!r->error) {
        r->error = msg;
        r->err_pos = at;
    }
    r->pos = r->end; /* stop any further progress */
    return false;
}
static inline bool sl_rd_fail(sl_reader *r, const char *msg) {
    return sl_rd_fail_at(r, r->pos, msg);
}

/* A sub-reader for the next n bytes (a section or function body); r skips past them. */
static inline bool sl_rd_sub(sl_reader *r, uint32_t n, sl_reader *sub) {
    if (r->error) return false;
    if (n > sl_rd_left(r)) return sl_rd_fail(r, "unexpected end");
    sl_rd_init(sub, r->base, r->pos, r->pos + n);
    r->pos += n;
    return true;
}

static inline bool sl_rd_u8(sl_reader *r, uint8_t *out) {
    if (r->pos >= r->end) return sl_rd_fail(r, "unexpected end");
    *out = *r->pos++;
    return true;
}

/* Peek without consuming; false at the end. */
static inline bool sl_rd_peek(const sl_reader *r, uint8_t *out) {
    if (r->pos >= r->end) return false;
    *out = *r->pos;
    return true;
}

static inline bool sl_rd_bytes(sl_reader *r, uint32_t n, const uint8_t **out) {
    if (n > sl_rd_left(r)) return sl_rd_fail(r, "unexpected end");
    *out = r->pos;
    r->pos += n;
    return true;
}

/*
 * Unsigned LEB128 of at most `bits` bits (1..64). The encoding may use at most
 * ceil(bits/7) bytes, and in the last byte the bits above `bits` must be zero.
 */
static inline bool sl_rd_uleb(sl_reader *r, unsigned bits, uint64_t *out) {
    const uint8_t *start = r->pos;
    /* most immediates are one byte: no loop, and no limits to check for bits >= 7 */
    if (bits >= 7 && start < r->end && !(*start & 0x80)) {
        *out = *start;
        r->pos = start + 1;
        return true;
    }
    unsigned maxbytes = (bits + 6) / 7;
    uint64_t v = 0;
    for (unsigned i = 0;; i++) {
        if (r->pos >= r->end) return sl_rd_fail(r, "unexpected end");
        uint8_t b = *r->pos++;
        unsigned shift = 7 * i;
        if (i == maxbytes - 1) {
            /* last permitted byte: continuation and bits beyond `bits` must be clear */
            if (b & 0x80) return sl_rd_fail_at(r, start, "integer representation too long");
            unsigned used = bits - shift; /* 1..7 */
            if (used < 7 && (b >> used) != 0) return sl_rd_fail_at(r, start, "integer too large");
            v |= (uint64_t)b << shift;
            break;
        }
        v |= (uint64_t)(b & 0x7F) << shift;
        if (!(b & 0x80)) break;
    }
    *out = v;
    return true;
}

/*
 * Signed LEB128 of at most `bits` bits. In the last permitted byte the bits above the
 * value's sign bit must all equal the sign bit (a proper sign extension).
 */
static inline bool sl_rd_sleb(sl_reader *r, unsigned bits, int64_t *out) {
    const uint8_t *start = r->pos;
    if (bits >= 7 && start < r->end && !(*start & 0x80)) { /* one byte, as in sl_rd_uleb */
        *out = (int64_t)((uint64_t)*start << 57) >> 57;
        r->pos = start + 1;
        return true;
    }
    unsigned maxbytes = (bits + 6) / 7;
    uint64_t v = 0;
    unsigned shift = 0;
    uint8_t b;
    for (unsigned i = 0;; i++) {
        if (r->pos >= r->end) return sl_rd_fail(r, "unexpected end");
        b = *r->pos++;
        shift = 7 * i;
        if (i == maxbytes - 1) {
            if (b & 0x80) return sl_rd_fail_at(r, start, "integer representation too long");
            unsigned used = bits - shift; /* 1..7 value bits in this byte */
            if (used < 7) {
                /* bits [used-1, 6] must be all 0 or all 1 */
                uint8_t top = (uint8_t)((b & 0x7F) >> (used - 1));
                uint8_t all = (uint8_t)(0x7F >> (used - 1));
                if (top != 0 && top != all) return sl_rd_fail_at(r, start, "integer too large");
            }
            v |= (uint64_t)(b & 0x7F) << shift;
            shift += 7;
            break;
        }
        v |= (uint64_t)(b & 0x7F) << shift;
        shift += 7;
        if (!(b & 0x80)) break;
    }
    if (shift < 64 && (b & 0x40)) v |= ~(uint64_t)0 << shift;
    *out = (int64_t)v;
    return true;
}

static inline bool sl_rd_u32(sl_reader *r, uint32_t *out) {
    uint64_t v;
    if (!sl_rd_uleb(r, 32, &v)) return false;
    *out = (uint32_t)v;
    return true;
}

static inline bool sl_rd_s32(sl_reader *r, int32_t *out) {
    int64_t v;
    if (!sl_rd_sleb(r, 32, &v)) return false;
    *out = (int32_t)v;
    return true;
}

/* Block types are s33: negative for a value type / empty, else a type index. */
static inline bool sl_rd_s33(sl_reader *r, int64_t *out) {
    return sl_rd_sleb(r, 33, out);
}

static inline bool sl_rd_s64(sl_reader *r, int64_t *out) {
    return sl_rd_sleb(r, 64, out);
}

static inline bool sl_rd_f32(sl_reader *r, uint32_t *bits) {
    if (sl_rd_left(r) < 4) return sl_rd_fail(r, "unexpected end");
    memcpy(bits, r->pos, 4); /* little-endian host assumed, as everywhere in the VM */
    r->pos += 4;
    return true;
}

static inline bool sl_rd_f64(sl_reader *r, uint64_t *bits) {
    if (sl_rd_left(r) < 8) return sl_rd_fail(r, "unexpected end");
    memcpy(bits, r->pos, 8);
    r->pos += 8;
    return true;
}

/* Validate UTF-8 as the spec defines it: no overlongs, no surrogates, max U+10FFFF. */
static inline bool sl_utf8_valid(const uint8_t *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len;
        uint32_t cp, min;
        if ((c & 0xE0) == 0xC0) {
            len = 2, cp = c & 0x1F, min = 0x80;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3, cp = c & 0x0F, min = 0x800;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4, cp = c & 0x07, min = 0x10000;
        } else {
            return false;
        }
        if (n - i < len) return false;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        i += len;
    }
    return true;
}

/* A name: u32 length + UTF-8 bytes. *out points into the buffer (not NUL-terminated). */
static inline bool sl_rd_name(sl_reader *r, const uint8_t **out, uint32_t *len) {
    uint32_t n;
    if (!sl_rd_u32(r, &n)) return false;
    if (n > sl_rd_left(r)) return sl_rd_fail(r, "unexpected end");
    if (!sl_utf8_valid(r->pos, n)) return sl_rd_fail(r, "malformed UTF-8 encoding");
    *out = r->pos;
    *len = n;
    r->pos += n;
    return true;
}

/* ---- Vectors and types ------------------------------------------------------------------ */

/* A vector length: each element takes at least one byte, which bounds the allocation. */
static inline bool sl_rd_count(sl_reader *r, uint32_t *n) {
    const uint8_t *at = r->pos;
    if (!sl_rd_u32(r, n)) return false;
    if (*n > sl_rd_left(r)) return sl_rd_fail_at(r, at, "length out of bounds");
    return true;
}

static inline bool sl_is_numtype(uint8_t t) {
    return t >= SL_F64 && t <= SL_I32;
}
static inline bool sl_is_reftype(uint8_t t) {
    return t == SL_FUNCREF || t == SL_EXTERNREF;
}

static inline bool sl_rd_valtype(sl_reader *r, uint8_t *out) {
    const uint8_t *at = r->pos;
    uint8_t t;
    if (!sl_rd_u8(r, &t)) return false;
    if (sl_is_numtype(t) || sl_is_reftype(t)) {
        *out = t;
        return true;
    }
    if (t == SL_V128) return sl_rd_fail_at(r, at, "v128 (SIMD) is not supported yet");
    return sl_rd_fail_at(r, at, "malformed value type");
}

static inline bool sl_rd_reftype(sl_reader *r, uint8_t *out) {
    const uint8_t *at = r->pos;
    if (!sl_rd_u8(r, out)) return false;
    if (!sl_is_reftype(*out)) return sl_rd_fail_at(r, at, "malformed reference type");
    return true;
}

/* ---- Unchecked variants for already-validated code ---------------------------------- */

static inline uint32_t sl_rd_fast_u32(const uint8_t **p) {
    const uint8_t *s = *p;
    uint32_t v = 0;
    unsigned shift = 0;
    uint8_t b;
    do {
        b = *s++;
        v |= (uint32_t)(b & 0x7F) << (shift & 31);
        shift += 7;
    } while (b & 0x80);
    *p = s;
    return v;
}

static inline int64_t sl_rd_fast_sleb(const uint8_t **p) {
    const uint8_t *s = *p;
    uint64_t v = 0;
    unsigned shift = 0;
    uint8_t b;
    do {
        b = *s++;
        if (shift < 64) v |= (uint64_t)(b & 0x7F) << shift;
        shift += 7;
    } while (b & 0x80);
    if (shift < 64 && (b & 0x40)) v |= ~(uint64_t)0 << shift;
    *p = s;
    return (int64_t)v;
}

static inline int32_t sl_rd_fast_s32(const uint8_t **p) {
    return (int32_t)sl_rd_fast_sleb(p);
}
static inline int64_t sl_rd_fast_s64(const uint8_t **p) {
    return sl_rd_fast_sleb(p);
}

#endif
