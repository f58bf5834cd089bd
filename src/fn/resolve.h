/*
 * resolve.h - finding a deployed function by reference, without knowing who keeps them.
 *
 * A reference is "NAME", "NAME@ALIAS" or "NAME@SHA256-PREFIX" (docs/registry.md). The
 * function layer runs modules and knows nothing of the registry; whoever keeps functions
 * (the registry of `sluice serve`, src/serve/registry.c) implements this interface, and
 * whoever needs a deployed function (a pipeline's `function: NAME@REF` stage) is given one.
 */
#ifndef SL_FN_RESOLVE_H
#define SL_FN_RESOLVE_H

#include <stddef.h>
#include <stdint.h>

#include "fn/config.h"
#include "sluice.h"

typedef struct sl_fn_resolved {
    char function[64];
    char version[65];    /* the module's SHA-256, lowercase hex */
    sl_fn_config config; /* its strings are malloc'd */
    uint8_t *bytes;      /* the module */
    size_t len;
} sl_fn_resolved;

typedef struct sl_fn_resolver {
    void *ctx;
    /* Fills *out (free it with sl_fn_resolved_clear) or returns false with err set
     * (SL_ERR_ARGUMENT: no such function or version; SL_ERR_NOMEM, ...). Thread-safe. */
    bool (*resolve)(void *ctx, const char *ref, sl_fn_resolved *out, sl_error *err);
} sl_fn_resolver;

void sl_fn_resolved_clear(sl_fn_resolved *r);

#endif
