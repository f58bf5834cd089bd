/*
 * echo.c - answers the request it got. With event input (its declared mode) the response body
 * is the whole event JSON as received (Content-Type application/json); with the query
 * parameter view=parsed it is instead what the SDK parsed out of the event, as JSON:
 *     {"method":..,"path":..,"requestId":..,"sourceIp":..,"stage":..,"isBase64Encoded":..,
 *      "headers":{..},"query":{..},"pathParameters":{..},"body":".."}
 * (the body base64-decoded when the event says it is encoded). With raw input
 * (SLUICE_INPUT_MODE=raw) it answers the body.
 */
#include <string.h>

#include "sluice_fn.h"

SL_FN_MODES(SL_FN_IN_EVENT, SL_FN_OUT_INTEGRATION);

static void str_or_null(sl_fn_response *res, const char *key, const char *v, size_t len) {
    sl_fn_printf(res, "\"%s\":", key);
    if (!v) {
        sl_fn_puts(res, "null,");
        return;
    }
    sl_fn_puts(res, "\"");
    sl_fn_write_json_string(res, v, len);
    sl_fn_puts(res, "\",");
}

static void pairs(sl_fn_response *res, const char *key, const sl_fn_pair *p, size_t n) {
    sl_fn_printf(res, "\"%s\":{", key);
    for (size_t i = 0; i < n; i++) {
        sl_fn_puts(res, i ? ",\"" : "\"");
        sl_fn_write_json_string(res, p[i].name, strlen(p[i].name));
        sl_fn_puts(res, "\":\"");
        sl_fn_write_json_string(res, p[i].value, p[i].value_len);
        sl_fn_puts(res, "\"");
    }
    sl_fn_puts(res, "},");
}

int sl_fn_handle(const sl_fn_request *req, sl_fn_response *res) {
    if (req->mode != SL_FN_IN_EVENT) {
        sl_fn_set_header(res, "Content-Type", "application/octet-stream");
        sl_fn_write(res, req->body, req->body_len);
        return 200;
    }
    sl_fn_set_header(res, "Content-Type", "application/json");
    const char *view = sl_fn_query(req, "view");
    if (!view || strcmp(view, "parsed")) {
        sl_fn_write(res, req->input, req->input_len);
        return 200;
    }
    sl_fn_puts(res, "{");
#define S(key, v) str_or_null(res, key, v, (v) ? strlen(v) : 0)
    S("method", req->method);
    S("path", req->path);
    S("requestId", req->request_id);
    S("sourceIp", req->source_ip);
    S("stage", req->stage);
#undef S
    sl_fn_printf(res, "\"isBase64Encoded\":%s,", req->is_base64 ? "true" : "false");
    pairs(res, "headers", req->headers, req->nheaders);
    pairs(res, "query", req->query, req->nquery);
    pairs(res, "pathParameters", req->path_params, req->npath_params);
    const char *ct = sl_fn_header(req, "content-type");
    str_or_null(res, "contentType", ct, ct ? strlen(ct) : 0);
    sl_fn_puts(res, "\"body\":\"");
    sl_fn_write_json_string(res, req->body, req->body_len);
    sl_fn_puts(res, "\"}");
    return 200;
}
