/* error.c - filling sl_error, and the names of statuses and traps. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vm/module.h"

sl_status sl_fail(sl_error *err, sl_status status, int64_t offset, const char *fmt, ...) {
    if (!err) return status;
    err->status = status;
    err->trap = SL_TRAP_NONE;
    err->exit_code = 0;
    err->offset = offset;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return status;
}

const char *sl_valtype_name(uint8_t type) {
    switch (type) {
    case SL_I32: return "i32";
    case SL_I64: return "i64";
    case SL_F32: return "f32";
    case SL_F64: return "f64";
    case SL_V128: return "v128";
    case SL_FUNCREF: return "funcref";
    case SL_EXTERNREF: return "externref";
    }
    return "?";
}

const char *sl_trap_message(sl_trap trap) {
    switch (trap) {
    case SL_TRAP_NONE: return "no trap";
    case SL_TRAP_UNREACHABLE: return "unreachable";
    case SL_TRAP_MEMORY_OOB: return "out of bounds memory access";
    case SL_TRAP_TABLE_OOB: return "out of bounds table access";
    case SL_TRAP_UNDEFINED_ELEMENT: return "undefined element";
    case SL_TRAP_UNINITIALIZED: return "uninitialized element";
    case SL_TRAP_INDIRECT_MISMATCH: return "indirect call type mismatch";
    case SL_TRAP_DIV_ZERO: return "integer divide by zero";
    case SL_TRAP_INT_OVERFLOW: return "integer overflow";
    case SL_TRAP_INVALID_CONVERSION: return "invalid conversion to integer";
    case SL_TRAP_STACK_EXHAUSTED: return "call stack exhausted";
    case SL_TRAP_NULL_REFERENCE: return "null reference";
    case SL_TRAP_INTERRUPTED: return "interrupted";
    case SL_TRAP_OUT_OF_FUEL: return "out of fuel";
    case SL_TRAP_HOST: return "host function error";
    }
    return "unknown trap";
}

const char *sl_status_name(sl_status status) {
    switch (status) {
    case SL_OK: return "ok";
    case SL_ERR_MALFORMED: return "malformed module";
    case SL_ERR_INVALID: return "invalid module";
    case SL_ERR_LINK: return "link error";
    case SL_ERR_TRAP: return "trap";
    case SL_ERR_EXIT: return "exit";
    case SL_ERR_NOMEM: return "out of memory";
    case SL_ERR_ARGUMENT: return "bad argument";
    case SL_ERR_LIMIT: return "limit exceeded";
    }
    return "unknown status";
}
