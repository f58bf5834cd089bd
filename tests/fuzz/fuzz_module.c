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
    hx_fuzz_engines(&guard_engine, &explicit_engine);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const hx_options opt = hx_fuzz_options(false);
    hx_run(size & 1 ? explicit_engine : guard_engine, data, size, &opt, NULL);
    return 0;
}
