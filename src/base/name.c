/* name.c - checking names (name.h). */
#include "base/name.h"

#include <string.h>

bool sl_name_ok(const char *name) {
    if (!name) return false;
    size_t n = strlen(name);
    if (n == 0 || n > SL_NAME_MAX) return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        bool ok =
            (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (i > 0 && (c == '_' || c == '-'));
        if (!ok) return false;
    }
    return true;
}
