/*
 * pfunc.h - a Wasm function as a pipeline step: the module, its kind, its parameters, and a
 * warm instance, called with JSON and answering JSON. The same ABI and runners as
 * `sluice serve` (docs/abi.md, src/fn/handler.c and invoke.c): a handler is instantiated
 * once and restored from its snapshot before each call (unless `keep_state: true`); a
 * command runs in a fresh instance per call, with the parameters as --name value arguments.
 */
#ifndef SL_PIPELINE_PFUNC_H
#define SL_PIPELINE_PFUNC_H

#include <jansson.h>

#include "pipeline/conf.h"
#include "pipeline/stage.h"

typedef struct sl_pfunc sl_pfunc;

/* Reads `module:` (a .wasm path, relative to the pipeline file) or `function:` (a function
 * deployed to the registry: NAME, NAME@ALIAS or NAME@VERSION; its kind, time and memory
 * limits come from the version's config unless given here), `kind:` (handler, the
 * default, or command), `params:` (a mapping), `timeout:`, `memory_mib:`, `keep_state:` from
 * section. The keys it reads are listed in SL_PFUNC_KEYS for sl_conf_only. */
#define SL_PFUNC_KEYS "module", "function", "kind", "params", "timeout", "memory_mib", "keep_state"
sl_pfunc *sl_pfunc_open(const sl_conf_ctx *c, const json_t *section, const sl_stage_env *env);
void sl_pfunc_free(sl_pfunc *f);

/* Calls the function with in[0..len); on success *out is its answer (malloc'd, NUL-
 * terminated) and the result is true; else false with the reason (trap, timeout, status and
 * message) in err. */
bool sl_pfunc_call(sl_pfunc *f, const char *in, size_t len, char **out, size_t *out_len,
                   sl_error *err);

#endif
