/*
 * native.h - the compiler from a validated module to native code (docs/native.md).
 *
 * libsluice-compile.a is the only library that links LLVM. Its output is an ELF relocatable
 * object in memory, which libsluice.a's loader maps, so running compiled code needs no LLVM.
 */
#ifndef SL_COMPILE_NATIVE_H
#define SL_COMPILE_NATIVE_H

#include <stddef.h>
#include <stdint.h>

#include "vm/module.h"

typedef struct sl_native_options {
    int opt_level;        /* 0..3: the pass pipeline default<On> and the codegen level */
    bool explicit_bounds; /* compile explicit bounds checks instead of relying on guard pages */
    bool poll;            /* emit the interrupt/fuel poll (only benchmarks turn it off) */
} sl_native_options;

typedef struct sl_native_object {
    uint8_t *bytes; /* the ELF object (malloc'd) */
    size_t len;
    uint32_t nfuncs;    /* defined functions */
    bool *compiled;     /* per defined function: compiled, or left to the interpreter */
    char **why;         /* per defined function: why it was not compiled (NULL if it was) */
    uint32_t ncompiled; /* how many were compiled */
} sl_native_object;

/* Compile every defined function of m (decoded and validated). A function the compiler does
 * not support yet is left out (obj->compiled[i] false, obj->why[i] says why) and its symbol
 * is a trampoline into the runtime, so callers of it still work. Returns SL_OK, or fills err
 * if LLVM itself fails. */
sl_status sl_native_compile(const sl_module *m, const sl_native_options *opt, sl_native_object *obj,
                            sl_error *err);
void sl_native_object_free(sl_native_object *obj);

/* LLVM's version, for cache keys and `sluice version`. */
const char *sl_native_llvm_version(void);

#endif
