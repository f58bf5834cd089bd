/*
 * num_format.h - numbers as text, for the JSON encoder and the sinks: floats as the shortest
 * text that reads back as the same double, integers by pairs of digits.
 */
#ifndef SL_PIPELINE_NUM_FORMAT_H
#define SL_PIPELINE_NUM_FORMAT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The shortest text that reads back as d, in JSON syntax, with a '.' or an exponent: "0.1",
 * "3.0", "1e+300"; NaN and infinities (not JSON) as "NaN", "Infinity", "-Infinity". NUL-
 * terminated; returns the length (at most 25; buf must hold 32 bytes). */
size_t sl_format_float(double d, char *buf);

/* Integers, written at o (20 bytes of room for sl_put_u64, 21 for sl_put_i64, no NUL); they
 * return the end. Inline: the encoder writes one per int value, and a call per value
 * measurably slows encoding int-heavy batches. */
extern const char sl_digit_pairs[201];

static inline char *sl_put_u64(char *o, uint64_t v) {
    char tmp[20];
    char *e = tmp + sizeof tmp, *p = e;
    while (v >= 100) {
        unsigned d = (unsigned)(v % 100) * 2;
        v /= 100;
        *--p = sl_digit_pairs[d + 1];
        *--p = sl_digit_pairs[d];
    }
    if (v >= 10) {
        *--p = sl_digit_pairs[v * 2 + 1];
        *--p = sl_digit_pairs[v * 2];
    } else {
        *--p = (char)('0' + v);
    }
    memcpy(o, p, (size_t)(e - p));
    return o + (e - p);
}

static inline char *sl_put_i64(char *o, int64_t v) {
    if (v < 0) {
        *o++ = '-';
        return sl_put_u64(o, -(uint64_t)v);
    }
    return sl_put_u64(o, (uint64_t)v);
}

#endif
