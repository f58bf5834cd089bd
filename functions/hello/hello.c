/*
 * hello.c - the example function: reads a JSON object such as
 *     {"key1":"test value 1","key2":"test value 2"}
 * and answers "Hello! test value 1, test value 2". Raw input and output: the request body is
 * the object, the response body the greeting. Built with the SDK (sdk/c/sluice_fn.h), which
 * supplies the JSON reader and both entry points (a WASI command and a handler module).
 */
#include <stdlib.h>

#include "sluice_fn.h"

int sl_fn_handle(const sl_fn_request *req, sl_fn_response *res) {
    const char *v1, *v2;
    size_t n1, n2;
    int f1 = sl_fn_json_member(req->body, req->body_len, "key1", &v1, &n1);
    if (f1 < 0) return sl_fn_error(res, 400, "hello: expected a JSON object");
    int f2 = sl_fn_json_member(req->body, req->body_len, "key2", &v2, &n2);
    char *s1 = f1 ? sl_fn_json_string(v1, n1, NULL) : NULL;
    char *s2 = f2 ? sl_fn_json_string(v2, n2, NULL) : NULL;
    int status = 200;
    if (!s1 || !s2)
        status = sl_fn_error(res, 400, "hello: \"key1\" and \"key2\" must be strings");
    else
        sl_fn_printf(res, "Hello! %s, %s\n", s1, s2);
    free(s1);
    free(s2);
    return status;
}
