/* error.c - filling an sl_error (error.h). */
#include "base/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

bool sl_errorf(sl_error *err, sl_status status, const char *fmt, ...) {
    if (!err) return false;
    *err = (sl_error){.status = status, .offset = -1};
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return false;
}

void sl_error_prefix(sl_error *err, const char *fmt, ...) {
    if (!err) return;
    char prefix[sizeof err->message], old[sizeof err->message];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->message, sizeof old);
    char both[sizeof prefix + sizeof old + 2];
    snprintf(both, sizeof both, "%s: %s", prefix, old);
    snprintf(err->message, sizeof err->message, "%.*s", (int)sizeof err->message - 1, both);
}
