/* trapper.c - a pipeline stage for tests: answers the record it gets, unchanged, but traps
 * (executes `unreachable`) when the record contains the text "boom", and sleeps (busy-waits)
 * `delay_ms` milliseconds per call when that parameter is set (for backpressure tests). */
#define _GNU_SOURCE /* memmem */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sluice_fn.h"

static long delay_ms;

int sl_fn_setup(const char *json, size_t len) {
    const char *v;
    size_t n;
    if (sl_fn_json_member(json, len, "delay_ms", &v, &n) == 1)
        delay_ms = strtol(v[0] == '"' ? v + 1 : v, NULL, 10); /* 5 or "5" */
    return 0;
}

int sl_fn_handle(const sl_fn_request *req, sl_fn_response *res) {
    if (req->body_len >= 4 && memmem(req->body, req->body_len, "boom", 4)) __builtin_trap();
    if (delay_ms > 0) {
        struct timespec t0, t;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        do
            clock_gettime(CLOCK_MONOTONIC, &t);
        while ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 < delay_ms);
    }
    sl_fn_write(res, req->body, req->body_len);
    return 200;
}
