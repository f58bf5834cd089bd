/*
 * num_parse.h - text to values: what the CSV parser reads in declared columns, and the one
 * decimal-to-double conversion the JSON reader and the float formatter share.
 */
#ifndef SL_PIPELINE_NUM_PARSE_H
#define SL_PIPELINE_NUM_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* No surrounding space allowed. */
bool sl_parse_int(const char *s, size_t len, int64_t *out);  /* [+-]digits, in range */
bool sl_parse_float(const char *s, size_t len, double *out); /* decimal, inf, nan */
bool sl_parse_bool(const char *s, size_t len, bool *out);    /* true/false/t/f/yes/no/1/0 */

/* Decimal text s[0..n) whose syntax was already checked ([+-]digits[.digits][e[+-]digits])
 * to the nearest double. */
double sl_decimal_to_double(const char *s, size_t n);
/* 10^0 .. 10^22, the powers of ten a double holds exactly. */
extern const double sl_pow10_exact[23];

#endif
