/*
 * error.h - the one error convention, the VM's (sluice.h): a function that can fail takes an
 * sl_error *err (which may be NULL), returns NULL, false or a non-zero status, and fills err
 * with a status and a message that says what failed and why.
 */
#ifndef SL_BASE_ERROR_H
#define SL_BASE_ERROR_H

#include <stdbool.h>

#include "sluice.h"

/* Sets err's status and message (printf-style; longer ones are cut). Returns false, so that
 * `return sl_errorf(err, ...);` reads as a failure. */
bool sl_errorf(sl_error *err, sl_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Puts "PREFIX: " before err's message (e.g. the file or stage it happened in). */
void sl_error_prefix(sl_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
