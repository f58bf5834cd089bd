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

/* Per child process (the runner forks one per file): counts for the summary line, and every
 * loaded object, unmapped at exit (instances of the file's modules use them until then). */
static unsigned long funcs_total, funcs_native;
static sl_native_code **codes;
static size_t ncodes;

static void free_codes(void) {
    for (size_t i = 0; i < ncodes; i++)
        sl_native_code_free(codes[i]);
    free(codes);
}

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
    if (!ncodes) atexit(free_codes);
    sl_native_code **grown = realloc(codes, (ncodes + 1) * sizeof *codes);
    if (!grown) {
        sl_native_code_free(code);
        snprintf(why, whylen, "out of memory");
        return false;
    }
    codes = grown;
    codes[ncodes++] = code;
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
