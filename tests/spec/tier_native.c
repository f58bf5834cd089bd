/*
 * tier_native.c - the spec runner on the native tier: each instantiated module is compiled
 * (src/compile/), loaded (src/vm/native_load.c) and attached, so every function the compiler
 * supports runs natively and the rest on the interpreter, as `sluice run --tier native` does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile/native.h"
#include "tier.h"
#include "vm/native.h"

const char *const spec_tier_name = "native";

/* Per child process (the runner forks one per file): counts for the summary line. */
static unsigned long funcs_total, funcs_native;

bool spec_tier_attach(const sl_module *m, sl_instance *inst, char *why, size_t whylen) {
    sl_native_options opt = {.opt_level = 1, .poll = true};
    sl_native_object obj;
    sl_error err = {0};
    if (sl_native_compile(m, &opt, &obj, &err) != SL_OK) {
        snprintf(why, whylen, "compile: %s", err.message);
        return false;
    }
    funcs_total += obj.nfuncs;
    funcs_native += obj.ncompiled;
    sl_native_code *code;
    sl_status st = sl_native_load(obj.bytes, obj.len, &code, &err);
    sl_native_object_free(&obj);
    if (st != SL_OK) {
        snprintf(why, whylen, "load: %s", err.message);
        return false;
    }
    /* the code lives as long as the process: instances of this file's modules use it */
    if (sl_native_attach(inst, code, &err) != SL_OK) {
        snprintf(why, whylen, "attach: %s", err.message);
        return false;
    }
    return true;
}

void spec_tier_summary(void) {
    if (getenv("SPEC_NATIVE_STATS"))
        fprintf(stderr, "native: %lu of %lu functions compiled\n", funcs_native, funcs_total);
}
