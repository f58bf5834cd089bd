/*
 * A handler-kind guest (built with the SDK, -DSLUICE_HANDLER, WASI imports kept so stderr
 * reaches the log) that counts its calls in a global: it answers "count=N" with N the
 * number of requests this instance has seen since its snapshot. A fresh (restored) instance
 * always answers count=1; with keep_state the count grows. The body "trap" traps and "spin"
 * never returns (for the time limit), after the count was incremented.
 */
#include <stdio.h>
#include <string.h>

#include "sluice_fn.h"

static int count;

int sl_fn_handle(const sl_fn_request *req, sl_fn_response *res) {
    count++;
    fprintf(stderr, "counter-stderr: call %d\n", count);
    if (req->body_len == 4 && !memcmp(req->body, "trap", 4)) __builtin_trap();
    if (req->body_len == 4 && !memcmp(req->body, "spin", 4)) {
        volatile unsigned n = 0;
        for (;;)
            n++;
    }
    sl_fn_printf(res, "count=%d\n", count);
    return 200;
}
