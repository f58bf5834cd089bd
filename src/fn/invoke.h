/*
 * invoke.h - running one HTTP request through a command function (docs/abi.md).
 *
 * A command function is a WASI program: the request goes to its stdin, as the raw body or as
 * an API-gateway JSON event, and its stdout is the response, as the raw body or as an
 * integration JSON object {statusCode, headers, body, isBase64Encoded}. This layer knows
 * nothing of sockets or the registry: the gateway hands it a compiled module, the function's
 * configuration and a parsed request, and gets back a response with an HTTP status, even
 * when the guest traps, runs too long or answers garbage.
 */
#ifndef SL_FN_INVOKE_H
#define SL_FN_INVOKE_H

#include "sluice.h"
#include "sluice_wasi.h"

typedef enum sl_input_mode { SL_INPUT_RAW, SL_INPUT_EVENT } sl_input_mode;
typedef enum sl_output_mode { SL_OUTPUT_RAW, SL_OUTPUT_INTEGRATION } sl_output_mode;

typedef struct sl_header {
    const char *name, *value;
} sl_header;

typedef struct sl_http_request {
    const char *method;    /* "GET", "POST", ... */
    const char *path;      /* the request path, e.g. /fn/pca/x */
    const char *query;     /* the raw query string without '?', or NULL */
    const char *path_rest; /* what follows /fn/NAME (pathParameters.proxy), or NULL */
    const sl_header *headers;
    uint32_t nheaders;
    const uint8_t *body;
    size_t body_len;
    const char *request_id, *source_ip, *stage;
} sl_http_request;

typedef struct sl_invoke_config {
    sl_input_mode input;
    sl_output_mode output;
    const char *const *env; /* "KEY=VALUE" strings granted to the guest; none by default */
    uint32_t envc;
    uint32_t timeout_ms;             /* 0 = none */
    uint32_t memory_mib;             /* per linear memory; 0 = the store default (4 GiB) */
    size_t max_response;             /* stdout bytes; beyond it the response is an error (502) */
    size_t max_log;                  /* stderr bytes kept */
    const char *content_type;        /* for raw output; NULL = sniff (SVG, HTML, JSON, text) */
    const sl_wasi_preopen *preopens; /* directories granted to the guest; none by default */
    uint32_t npreopens;
    /* Handler kind: parameters (a JSON object) passed once to the export sluice_setup, after
     * sluice_init and before the snapshot (docs/abi.md); NULL = none. */
    const char *setup;
    /* Command kind: arguments after the program name (a pipeline's params as --name=value);
     * none by default. */
    const char *const *args;
    uint32_t nargs;
} sl_invoke_config;

/* What went wrong, when something did (the status says how the client sees it). */
typedef enum sl_invoke_outcome {
    SL_INVOKE_OK,
    SL_INVOKE_TRAP,       /* 500: the guest trapped */
    SL_INVOKE_EXIT,       /* 500: the guest exited with a non-zero code */
    SL_INVOKE_TIMEOUT,    /* 504 */
    SL_INVOKE_BAD_OUTPUT, /* 502: too large, or not the integration JSON it should be */
    SL_INVOKE_ERROR,      /* 500: the module could not be instantiated, or the host failed */
} sl_invoke_outcome;

typedef struct sl_http_response {
    int status;
    sl_invoke_outcome outcome;
    char content_type[96];
    char **header_names, **header_values; /* from integration output */
    uint32_t nheaders;
    uint8_t *body;
    size_t body_len;
    uint8_t *log; /* the guest's stderr, up to max_log */
    size_t log_len;
    char error[256]; /* for anything but SL_INVOKE_OK: what happened */
} sl_http_response;

/* Run `req` through the command function `module` in a fresh store of `engine`. Always
 * fills `res` (free it with sl_http_response_clear); returns its outcome. */
sl_invoke_outcome sl_invoke_command(sl_engine *engine, const sl_module *module,
                                    const sl_invoke_config *cfg, const sl_http_request *req,
                                    sl_http_response *res);
void sl_http_response_clear(sl_http_response *res);
/* sl_invoke_command keeps a WASI context and linker per thread and engine (freed when the
 * thread exits): call this before freeing the engine from a thread that invoked commands. */
void sl_invoke_thread_done(void);

/* The JSON event a function in event mode reads (malloc'd, NUL-terminated). */
char *sl_invoke_event_json(const sl_http_request *req);

/* Shared with the handler kind (handler.c): turn a finished call into the response. `st` and
 * `err` are the call's result, `out` the function's output (stdout, or the handler's
 * response bytes), `log` its stderr. */
void sl_invoke_finish(const sl_invoke_config *cfg, const sl_http_request *req, sl_status st,
                      const sl_error *err, const uint8_t *out, size_t out_len, const uint8_t *log,
                      size_t log_len, sl_http_response *res);
/* Fill `res` as an error response: a JSON body naming the error and the request. */
void sl_invoke_fail(sl_http_response *res, const sl_http_request *req, int status,
                    sl_invoke_outcome outcome, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

#endif
