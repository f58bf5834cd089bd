/*
 * fuzz_module.c - libFuzzer target: arbitrary bytes through decode + validate + compile +
 * instantiate, then every exported function called with zero arguments (harness.c).
 *
 * Imports get generic definitions (a host function per signature that returns zeros, fresh
 * memories/tables/globals). Fuel, call depth, value stack and memory size are kept small so
 * every input runs in well under a second. Inputs of odd length run on an engine with
 * explicit bounds checks, even ones on the default guard-page engine, so both code paths are
 * fuzzed and every input still reproduces deterministically.
 *
 * Any crash, sanitizer report, leak, abort (harness consistency checks) or timeout is a bug.
 */
#include <stdlib.h>

#include "harness.h"

static sl_engine *guard_engine, *explicit_engine;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    guard_engine = sl_engine_new(NULL);
    explicit_engine = sl_engine_new(&(sl_engine_config){.explicit_bounds_checks = true});
    if (!guard_engine || !explicit_engine) abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const hx_options opt = {
        .limits = {.max_memory_pages = 64, /* 4 MiB */
                   .max_table_elems = 10000,
                   .max_call_depth = 200,
                   .stack_slots = 1 << 16},
        .fuel = 20000,
        .max_exports = 64,
        .stop_after_inconclusive = false,
    };
    hx_run(size & 1 ? explicit_engine : guard_engine, data, size, &opt, NULL);
    return 0;
}
