/* call.c - calling functions from the embedder, and what host functions see of their caller. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "vm/runtime.h"
#include "vm/values.h"

const sl_functype *sl_func_type(const sl_func *f) {
    return f->type;
}

sl_status sl_func_call(sl_store *store, sl_func *f, const sl_val *args, uint32_t nargs,
                       sl_val *results, uint32_t nresults, sl_error *err) {
    const sl_functype *ft = f->type;
    if (nargs != ft->nparams || nresults != ft->nresults)
        return sl_fail(err, SL_ERR_ARGUMENT, -1,
                       "function takes %u arguments and returns %u results, called with %u/%u",
                       ft->nparams, ft->nresults, nargs, nresults);
    uint32_t n = ft->nparams > ft->nresults ? ft->nparams : ft->nresults;
    sl_slot small[16];
    sl_slot *slots = n <= 16 ? small : malloc(n * sizeof *slots);
    if (!slots) return sl_fail(err, SL_ERR_NOMEM, -1, "out of memory");
    for (uint32_t i = 0; i < nargs; i++) {
        if ((uint8_t)args[i].type != ft->types[i]) {
            if (slots != small) free(slots);
            return sl_fail(err, SL_ERR_ARGUMENT, -1, "argument %u has the wrong type", i);
        }
        slots[i] = sl_val_to_slot(&args[i]);
    }
    sl_status st = sl_interp_call(store, f, slots, err);
    if (st == SL_OK)
        for (uint32_t i = 0; i < nresults; i++)
            results[i] = sl_slot_to_val(slots[i], ft->types[ft->nparams + i]);
    if (slots != small) free(slots);
    if (st == SL_OK && err) err->status = SL_OK;
    return st;
}

sl_status sl_call(sl_instance *inst, const char *name, const sl_val *args, uint32_t nargs,
                  sl_val *results, uint32_t nresults, sl_error *err) {
    sl_func *f = sl_instance_func(inst, name);
    if (!f) return sl_fail(err, SL_ERR_ARGUMENT, -1, "no exported function named \"%s\"", name);
    return sl_func_call(inst->store, f, args, nargs, results, nresults, err);
}

uint8_t *sl_caller_memory(sl_caller *c, uint64_t *size) {
    sl_memory *m = c->inst ? c->inst->memories[0] : NULL;
    if (size) *size = m ? m->size : 0;
    return m ? m->base : NULL;
}

sl_instance *sl_caller_instance(sl_caller *c) {
    return c->inst;
}
sl_store *sl_caller_store(sl_caller *c) {
    return c->store;
}

int sl_caller_trap(sl_caller *c, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->store->trap_message, sizeof c->store->trap_message, fmt, ap);
    va_end(ap);
    return SL_TRAP_HOST;
}

int sl_caller_exit(sl_caller *c, int32_t code) {
    c->store->exit_code = code;
    return SL_HOST_EXIT;
}
