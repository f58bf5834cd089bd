/*
 * sluice_fn.h - the C SDK for writing Sluice functions (see docs/abi.md).
 *
 * A function is one C function:
 *
 *     #include "sluice_fn.h"
 *     SL_FN_MODES(SL_FN_IN_EVENT, SL_FN_OUT_INTEGRATION);    // optional; default raw/raw
 *     int sl_fn_handle(const sl_fn_request *req, sl_fn_response *res) {
 *         sl_fn_set_header(res, "Content-Type", "text/plain");
 *         sl_fn_printf(res, "hello %s\n", req->path ? req->path : "?");
 *         return 200;                                         // 0 also means 200
 *     }
 *
 * compiled together with sluice_fn.c. The SDK supplies the entry points:
 *
 *   - built normally (wasm32-wasi), a COMMAND: main() reads the whole request from stdin,
 *     calls sl_fn_handle, writes the response to stdout and exits 0 (for raw output, with a
 *     status >= 400 it exits 1 after writing the body);
 *   - built with -DSLUICE_HANDLER -mexec-model=reactor, a HANDLER module exporting
 *     sluice_alloc, sluice_handle, sluice_response_ptr, sluice_response_len, sluice_init and
 *     sluice_setup (docs/abi.md). Add -DSLUICE_NO_WASI_IMPORTS for a handler that imports
 *     nothing (stdio output is then discarded); without it, the C library's snprintf imports
 *     a few WASI functions.
 *
 * A function that takes parameters (configured per deployment or pipeline) also defines
 * sl_fn_setup, below: a command gets them from its arguments, a handler from sluice_setup.
 *
 * Input modes: SL_FN_IN_RAW (the request is the body) or SL_FN_IN_EVENT (an API-gateway event
 * JSON, parsed by the SDK; a malformed event is answered with 400 without calling the
 * function). Output modes: SL_FN_OUT_RAW (the response is the body; status and headers are
 * dropped) or SL_FN_OUT_INTEGRATION (a JSON {statusCode, headers, body, isBase64Encoded};
 * a body that is not valid UTF-8 is sent base64-encoded). A command's modes can be
 * overridden at run time with the environment variables SLUICE_INPUT_MODE=raw|event and
 * SLUICE_OUTPUT_MODE=raw|integration (e.g. `sluice run --env SLUICE_INPUT_MODE=raw`).
 *
 * Everything the request points to lives until sl_fn_handle returns. Strings, the body and
 * the input are NUL-terminated, but may contain NUL bytes themselves (a decoded \u0000, a
 * binary body): the *_len fields and out-lengths give their whole length.
 */
#ifndef SLUICE_FN_H
#define SLUICE_FN_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sl_fn_input_mode { SL_FN_IN_RAW = 0, SL_FN_IN_EVENT = 1 } sl_fn_input_mode;
typedef enum sl_fn_output_mode { SL_FN_OUT_RAW = 0, SL_FN_OUT_INTEGRATION = 1 } sl_fn_output_mode;

typedef struct sl_fn_modes {
    sl_fn_input_mode input;
    sl_fn_output_mode output;
} sl_fn_modes;

/* Declare the function's modes (at file scope, at most once; `in` and `out` spelled as the
 * constants above). Without it: raw/raw. It also records them in the module's "sluice.fn"
 * custom section, where `sluice serve` reads them at deploy time (docs/abi.md). */
#define SL_FN_MODES(in, out)                                                                       \
    SL_FN_SECTION_TEXT("{\\\"v\\\":1,\\\"input\\\":\\\"" SL_FN_NAME_##in                           \
                       "\\\",\\\"output\\\":\\\"" SL_FN_NAME_##out "\\\"}");                       \
    extern const sl_fn_modes sl_fn_declared_modes;                                                 \
    const sl_fn_modes sl_fn_declared_modes = {(in), (out)}

/* The section's text for each mode (SL_FN_MODES pastes the constant's name onto these). */
#define SL_FN_NAME_SL_FN_IN_RAW          "raw"
#define SL_FN_NAME_SL_FN_IN_EVENT        "event"
#define SL_FN_NAME_SL_FN_OUT_RAW         "raw"
#define SL_FN_NAME_SL_FN_OUT_INTEGRATION "integration"

/* Appends one JSON object (its text escaped for an assembler string) to the "sluice.fn"
 * custom section. wasm-ld makes a custom section NAME of what the assembler puts in a
 * section ".custom_section.NAME", and concatenates the pieces of all object files; clang 14
 * turns C objects with a section attribute into data segments instead, hence file-scope asm.
 * sluice_fn.c adds the kind it was built as, SL_FN_MODES the modes. */
#if defined(__wasm__)
#define SL_FN_SECTION_TEXT(escaped)                                                                \
    __asm__(".section .custom_section.sluice.fn,\"\",@\n.ascii \"" escaped "\"\n.text\n")
#else
/* only Wasm modules have custom sections; this takes the caller's ";" */
#define SL_FN_SECTION_TEXT(escaped) _Static_assert(1, "no custom sections")
#endif

/* A name/value pair (a header, query or path parameter). */
typedef struct sl_fn_pair {
    char *name, *value;
    size_t value_len;
} sl_fn_pair;

typedef struct sl_fn_request {
    sl_fn_input_mode mode;
    /* The body: the whole input in raw mode, the event's "body" in event mode (base64-decoded
     * when isBase64Encoded is true; empty when the body is null or absent). */
    const char *body;
    size_t body_len;
    /* The whole input as received (the event JSON in event mode). */
    const char *input;
    size_t input_len;
    /* Event mode only (NULL when absent or in raw mode). */
    const char *method, *path;                  /* httpMethod, path */
    const char *request_id, *source_ip, *stage; /* from requestContext */
    bool is_base64;                             /* the event's isBase64Encoded */
    const sl_fn_pair *headers, *query, *path_params;
    size_t nheaders, nquery, npath_params;
} sl_fn_request;

/* Header lookup, case-insensitive (the last one wins); NULL when absent. */
const char *sl_fn_header(const sl_fn_request *req, const char *name);
/* Query string / path parameter lookup (exact names); NULL when absent. */
const char *sl_fn_query(const sl_fn_request *req, const char *name);
const char *sl_fn_path_param(const sl_fn_request *req, const char *name);

typedef struct sl_fn_response sl_fn_response; /* opaque; filled through the functions below */

/* Add a response header (copied; integration output only). Returns false when out of memory. */
bool sl_fn_set_header(sl_fn_response *res, const char *name, const char *value);
/* Append to the body. Return false when out of memory. */
bool sl_fn_write(sl_fn_response *res, const void *data, size_t len);
bool sl_fn_puts(sl_fn_response *res, const char *s);
bool sl_fn_printf(sl_fn_response *res, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Discard what the body holds so far. */
void sl_fn_clear(sl_fn_response *res);
/* Replace the body with a one-line text message (plus "\n"), set Content-Type text/plain and
 * return `status`: `return sl_fn_error(res, 400, "bad number %s", s);`. */
int sl_fn_error(sl_fn_response *res, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Append `len` bytes as the contents of a JSON string (no quotes), escaping '"', '\\' and
 * control characters. For writing JSON bodies. */
bool sl_fn_write_json_string(sl_fn_response *res, const char *s, size_t len);

/* A small JSON reader, for bodies that are JSON.
 * sl_fn_json_member: find member `key` of the top-level object in json[0..len); on success
 * *val and *val_len give the member's raw value text. Returns 1 if found, 0 if absent, -1 if the
 * text is not one well-formed JSON object (checked in full, nesting up to 64 deep).
 * sl_fn_json_string: decode the JSON string value at val[0..len) (quotes included, all
 * escapes and surrogate pairs) into a malloc'd NUL-terminated buffer, *out_len its length
 * (may be NULL). Returns NULL if it is not exactly one string. Free the result with free(). */
int sl_fn_json_member(const char *json, size_t len, const char *key, const char **val,
                      size_t *val_len);
char *sl_fn_json_string(const char *val, size_t len, size_t *out_len);
/* sl_fn_json_next: walk the members of a JSON object, or the elements of a JSON array, one
 * per call, in order. json[0..len) is the object or array (a body, or a value found by
 * sl_fn_json_member or by this function). Start with *pos = 0; the function keeps its place
 * there. Returns 1 with the next one: *val, *val_len its raw value text and, for an object,
 * *key, *key_len the raw key text, quotes included (decode it with sl_fn_json_string), or
 * NULL and 0 for an array; returns 0 after the last one (the whole text has then been
 * checked), -1 if the text is not one well-formed object or array. key and key_len may be
 * NULL. */
int sl_fn_json_next(const char *json, size_t len, size_t *pos, const char **key, size_t *key_len,
                    const char **val, size_t *val_len);

/* THE FUNCTION, written by the author. Returns the HTTP status (0 = 200; anything outside
 * 100..599 becomes 500). */
int sl_fn_handle(const sl_fn_request *req, sl_fn_response *res);
/* Optional: called once before the first request (handler modules: from sluice_init). */
void sl_fn_init(void);

/* Optional: the function's parameters, called once after sl_fn_init and before any request
 * with a JSON object in json[0..len) (NUL-terminated). A command gets it from its arguments:
 * `--name value` and `--name=value` give "name":"value" (always a string), a bare `--flag`
 * gives "flag":true, and a repeated name keeps its last value; anything else (a non-option
 * argument, `--`, a name not made of letters, digits, '_', '-' and '.') makes the command
 * exit 2 before calling it. A handler gets what the host passes to sluice_setup: any JSON
 * values (a number may come as 24 or as "24"). Returns 0, or an HTTP-style error status
 * (400..599; other non-zero values count as 500) with a message recorded by
 * sl_fn_setup_error: a command then prints the message on stderr and exits 2; a handler's
 * sluice_setup returns the status with the message as its response. The SDK's default
 * accepts anything. A host that predates sluice_setup never calls it, so give every
 * parameter a default, or check in sl_fn_handle that a required one was set. */
int sl_fn_setup(const char *json, size_t len);
/* Record the one-line message of a failing sl_fn_setup (replacing an earlier one) and return
 * `status`: `return sl_fn_setup_error(400, "unknown parameter %s", name);`. */
int sl_fn_setup_error(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#ifdef __cplusplus
}
#endif
#endif
