/*
 * fuzz_diff.c - libFuzzer target, differential inside Sluice: every input runs on an engine
 * with guard-page bounds checks and on one with explicit bounds checks (different compiled
 * code for every load and store, different memory allocation), and the two transcripts
 * (harness.h: results, traps, host-import calls, final memory hashes) must be identical.
 *
 * The differential against V8 is tests/fuzz/diff.sh, which needs node and wasm-opt and so
 * cannot run in-process.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    const hx_options opt = hx_fuzz_options(true);
    hx_buf a = {0}, b = {0};
    hx_run(guard_engine, data, size, &opt, &a);
    hx_run(explicit_engine, data, size, &opt, &b);
    if (a.len != b.len || (a.len && memcmp(a.data, b.data, a.len) != 0)) {
        fprintf(stderr,
                "fuzz_diff: guard-page and explicit bounds checks disagree\n"
                "--- guard pages:\n%.*s--- explicit checks:\n%.*s",
                (int)a.len, a.data ? a.data : "", (int)b.len, b.data ? b.data : "");
        abort();
    }
    hx_buf_free(&a);
    hx_buf_free(&b);
    return 0;
}
