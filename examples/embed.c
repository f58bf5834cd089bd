/*
 * embed.c - the smallest complete program that embeds Sluice (docs/embedding.md).
 *
 *     embed [FILE.wasm [N]]
 *
 * Loads FILE.wasm (or, without one or with `-`, a small built-in module), offers it one host
 * function, env.log(ptr, len), which prints a string from the guest's memory, instantiates it and
 * calls its export `run: (i32) -> i32` with N (default 10), under a time limit and a memory
 * limit. Prints `run(N) = RESULT`; on any error prints why and exits 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice.h"

#define TIMEOUT_MS 500

/* The built-in module, assembled with wat2wasm from:
 *
 *   (module
 *     (import "env" "log" (func $log (param i32 i32)))
 *     (memory 1)
 *     (data (i32.const 16) "summing 1..n")
 *     (func (export "run") (param $n i32) (result i32)
 *       (local $i i32) (local $sum i32)
 *       (call $log (i32.const 16) (i32.const 12))
 *       (block $done
 *         (loop $next
 *           (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
 *           (local.set $i (i32.add (local.get $i) (i32.const 1)))
 *           (local.set $sum (i32.add (local.get $sum) (local.get $i)))
 *           (br $next)))
 *       (local.get $sum)))
 */
/* clang-format off */
static const uint8_t builtin_module[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,                   /* "\0asm", version 1 */
    0x01, 0x0b, 0x02, 0x60, 0x02, 0x7f, 0x7f, 0x00, 0x60, 0x01, 0x7f, /* type section */
    0x01, 0x7f,
    0x02, 0x0b, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x03, 0x6c, 0x6f, 0x67, /* import section */
    0x00, 0x00,
    0x03, 0x02, 0x01, 0x01,                                           /* function section */
    0x05, 0x03, 0x01, 0x00, 0x01,                                     /* memory section */
    0x07, 0x07, 0x01, 0x03, 0x72, 0x75, 0x6e, 0x00, 0x01,             /* export section */
    0x0a, 0x2b, 0x01, 0x29, 0x01, 0x02, 0x7f, 0x41, 0x10, 0x41, 0x0c, /* code section */
    0x10, 0x00, 0x02, 0x40, 0x03, 0x40, 0x20, 0x01, 0x20, 0x00, 0x4f,
    0x0d, 0x01, 0x20, 0x01, 0x41, 0x01, 0x6a, 0x21, 0x01, 0x20, 0x02,
    0x20, 0x01, 0x6a, 0x21, 0x02, 0x0c, 0x00, 0x0b, 0x0b, 0x20, 0x02,
    0x0b,
    0x0b, 0x12, 0x01, 0x00, 0x41, 0x10, 0x0b, 0x0c, 0x73, 0x75, 0x6d, /* data section */
    0x6d, 0x69, 0x6e, 0x67, 0x20, 0x31, 0x2e, 0x2e, 0x6e,
};
/* clang-format on */

/* env.log(ptr: i32, len: i32): print len bytes of the caller's memory at ptr. The guest
 * chose ptr and len, so check them against the memory's size before touching it. */
static int host_log(sl_caller *caller, sl_slot *args, void *user) {
    const char *prefix = user;
    uint32_t ptr = args[0].u32, len = args[1].u32;
    uint64_t size;
    const uint8_t *mem = sl_caller_memory(caller, &size);
    if (!mem || (uint64_t)ptr + len > size)
        return sl_caller_trap(caller, "log: [%u, %u + %u) is outside memory", ptr, ptr, len);
    printf("%s%.*s\n", prefix, (int)len, (const char *)mem + ptr);
    return 0; /* no results to write */
}

static uint8_t *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    uint8_t *buf = NULL;
    long n = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    if (n >= 0 && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc(n ? (size_t)n : 1))) {
        *len = fread(buf, 1, (size_t)n, f);
        if (*len != (size_t)n) free(buf), buf = NULL;
    }
    fclose(f);
    return buf;
}

static int fail(const char *what, const sl_error *err) {
    fprintf(stderr, "embed: %s: %s: %s\n", what, sl_status_name(err->status), err->message);
    return 1;
}

int main(int argc, char **argv) {
    const uint8_t *bytes = builtin_module;
    size_t len = sizeof builtin_module;
    uint8_t *file = NULL;
    if (argc > 1 && strcmp(argv[1], "-") && !(bytes = file = read_file(argv[1], &len))) {
        perror(argv[1]);
        return 1;
    }
    int32_t n = argc > 2 ? (int32_t)strtol(argv[2], NULL, 0) : 10;

    int code = 1;
    sl_error err = {0};
    sl_engine *engine = sl_engine_new(NULL);
    sl_linker *linker = NULL;
    sl_store *store = NULL;
    /* Decode, validate and compile. The module copies the bytes, so they can go now. */
    sl_module *module = engine ? sl_module_new(engine, bytes, len, &err) : NULL;
    free(file);
    if (!module) {
        code = engine ? fail("load", &err) : 1;
        goto out;
    }

    /* Imports the module may use: one host function with signature (i32, i32) -> (). */
    linker = sl_linker_new(engine);
    if (!linker ||
        sl_linker_define_func(linker, "env", "log", "ii:", host_log, "guest says: ") != SL_OK)
        goto out;

    /* A store per request: at most 16 pages (1 MiB) per memory, and every call stopped after
     * TIMEOUT_MS milliseconds. */
    sl_store_limits limits = {.max_memory_pages = 16};
    if (!(store = sl_store_new(engine, &limits))) goto out;
    sl_store_set_timeout(store, TIMEOUT_MS);

    sl_instance *inst = sl_instantiate(store, module, linker, &err);
    if (!inst) {
        code = fail("instantiate", &err);
        goto out;
    }
    sl_val arg = {.type = SL_I32, .of.i32 = n}, result;
    if (sl_call(inst, "run", &arg, 1, &result, 1, &err) != SL_OK) {
        code = fail("run", &err);
        goto out;
    }
    printf("run(%d) = %d\n", n, result.of.i32);
    code = 0;

out:
    /* The store first (it frees the instance), then the linker (it owns the host functions
     * the instance imported), the module, and the engine last. */
    sl_store_free(store);
    sl_linker_free(linker);
    sl_module_free(module);
    sl_engine_free(engine);
    return code;
}
