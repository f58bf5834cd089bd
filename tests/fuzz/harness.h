/*
 * harness.h - shared code of the fuzz targets and the differential runner.
 *
 * hx_run() takes module bytes through the whole embedding API: decode + validate + compile,
 * satisfy every import with a generic object (a host function per import signature that logs
 * its arguments and returns zeros; fresh memories, tables and globals), instantiate, then call
 * every exported function with zero arguments. Everything observable is appended to a text
 * transcript in the format tests/fuzz/run-node.mjs prints for V8, one event a line:
 *
 *   module invalid | module ok
 *   instantiate ok | instantiate link | instantiate trap <kind> | instantiate limit | ...
 *   call <export>
 *   import <module>.<name> <value>...        (a host import was called)
 *   result <value>...  |  trap <kind>  |  exhausted  |  fuel  |  timeout  |  skip <why>
 *   memory <export> <pages> 0x<hash>
 *
 * Values print as i32:<signed> i64:<signed> f32:0x<bits> f64:0x<bits>, any NaN as f32:nan /
 * f64:nan (NaN payloads are allowed to differ between engines), references as null / ref.
 * Trap kinds are coarse classes both engines can agree on: unreachable, memory, table,
 * indirect, div, overflow (integer overflow and invalid conversion alike), null, host.
 * "exhausted" (call stack), "fuel" and "timeout" are inconclusive: engines may legitimately
 * differ there. After the calls, every exported memory prints as
 * "memory <name> <pages> 0x<FNV-1a of its bytes>".
 */
#ifndef SLUICE_FUZZ_HARNESS_H
#define SLUICE_FUZZ_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sluice.h"

/* A growable text buffer. */
typedef struct hx_buf {
    char *data;
    size_t len, cap;
} hx_buf;

void hx_buf_printf(hx_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void hx_buf_free(hx_buf *b);

typedef struct hx_options {
    sl_store_limits limits;
    uint64_t fuel;                /* per call (and for instantiation), UINT64_MAX = unlimited */
    uint32_t timeout_ms;          /* per call, 0 = none */
    uint32_t max_exports;         /* call at most this many exports, 0 = all */
    bool stop_after_inconclusive; /* stop calling exports after "exhausted" or "fuel" */
} hx_options;

/* Runs `bytes` as described above, appending the transcript to *out (which may be NULL to
 * discard it). Returns the sl_status of sl_module_new. */
/* For the libFuzzer targets: the two engines every input runs on (guard pages, explicit bounds
 * checks), created once, and the limits that keep each input small and bounded. */
void hx_fuzz_engines(sl_engine **guard, sl_engine **explicit_checks);
hx_options hx_fuzz_options(bool stop_after_inconclusive);

sl_status hx_run(sl_engine *engine, const uint8_t *bytes, size_t len, const hx_options *opt,
                 hx_buf *out);

#endif
