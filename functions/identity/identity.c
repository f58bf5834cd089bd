/*
 * identity.c - answers with the request's body, unchanged: in a pipeline, the records it is
 * given come back as they were. It measures what a Wasm stage costs by itself (the
 * benchmark's "identity function" path), and is the simplest stage to test a pipeline with.
 */
#include "sluice_fn.h"

int sl_fn_handle(const sl_fn_request *req, sl_fn_response *res) {
    sl_fn_write(res, req->body, req->body_len);
    return 200;
}
