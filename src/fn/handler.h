/*
 * handler.h - handler functions (reactor modules, docs/abi.md), kept warm.
 *
 * A handler is instantiated once per worker; after its initializers run, the instance is
 * snapshotted, and before every request it is restored to that snapshot, so that no state
 * leaks from one request to the next while no request pays for instantiation. A function
 * configured to keep state skips the restore (but a request that trapped is always undone).
 */
#ifndef SL_FN_HANDLER_H
#define SL_FN_HANDLER_H

#include "fn/invoke.h"

typedef struct sl_warm sl_warm;

/* Instantiate `module` (which must export sluice_alloc, sluice_handle, sluice_response_ptr
 * and sluice_response_len), run _initialize and sluice_init if it exports them, and take
 * the snapshot. `cfg` is copied; its env strings must outlive the sl_warm. */
sl_warm *sl_warm_new(sl_engine *engine, const sl_module *module, const sl_invoke_config *cfg,
                     bool keep_state, sl_error *err);
sl_invoke_outcome sl_warm_invoke(sl_warm *warm, const sl_http_request *req, sl_http_response *res);
void sl_warm_free(sl_warm *warm);
/* The size of the instance's linear memory, in bytes. */
uint64_t sl_warm_memory_bytes(const sl_warm *warm);

#endif
