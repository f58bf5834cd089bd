/*
 * native.h - running native code in libsluice.a: the loaded object, the adapters the
 * interpreter and the embedder call it through, and attaching it to an instance
 * (docs/native.md). No LLVM here: the compiler is src/compile/.
 */
#ifndef SL_VM_NATIVE_H
#define SL_VM_NATIVE_H

#include "vm/native_abi.h"

/* sl_a<i>: call function i with arguments in slots, results back in slots (compiler-made). */
typedef void (*sl_native_adapter)(sl_native_ctx *ctx, sl_slot *slots);

typedef struct sl_native_code {
    uint8_t *map; /* one mapping: text and stubs (r-x), then constants (r--) */
    size_t size;
    uint32_t nfuncs;             /* function index space covered by adapters */
    sl_native_adapter *adapters; /* per function index; NULL: not compiled */
} sl_native_code;

/* Map and relocate an object; refuses anything it does not fully understand. */
sl_status sl_native_load(const uint8_t *obj, size_t len, sl_native_code **out, sl_error *err);
void sl_native_code_free(sl_native_code *code);

/* Make inst's compiled functions run natively (code must be from inst's module and outlive
 * inst). Functions without an adapter stay on the interpreter. */
sl_status sl_native_attach(sl_instance *inst, const sl_native_code *code, sl_error *err);

/* interp.c calls this for a function with f->native set: one native activation. */
sl_status sl_native_call(sl_store *s, sl_func *f, sl_slot *slots, sl_error *err);

/* interp.c: the status and message of a trap code as an activation reports it (a host's
 * message, an exit, or the trap's own text). */
sl_status sl_interp_trap_status(sl_store *s, sl_error *err, int code);

#endif
