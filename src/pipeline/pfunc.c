/* pfunc.c - calling a Wasm function from a pipeline stage (pfunc.h). */
#include "pipeline/pfunc.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "fn/handler.h"
#include "base/file.h"
#include "fn/resolve.h"
#include "fn/invoke.h"

struct sl_pfunc {
    sl_engine *engine;
    sl_module *module;
    bool handler;
    sl_invoke_config cfg;
    char *setup; /* params as a JSON object (handler kind) */
    char **args; /* "--name=value" (command kind) */
    uint32_t nargs;
    sl_warm *warm; /* made on the first call (on the stage thread) */
    char path[PATH_MAX];
};

void sl_pfunc_free(sl_pfunc *f) {
    if (!f) return;
    sl_warm_free(f->warm);
    sl_module_free(f->module);
    free(f->setup);
    for (uint32_t i = 0; i < f->nargs; i++)
        free(f->args[i]);
    free(f->args);
    free(f);
}

sl_pfunc *sl_pfunc_open(const sl_conf_ctx *c, const json_t *section, const sl_stage_env *env) {
    bool ok = true;
    const char *ref = sl_conf_str(c, section, "function", "", &ok);
    const char *module = sl_conf_str(c, section, "module", ref[0] ? "" : NULL, &ok);
    if (ok && ref[0] && module[0]) {
        sl_conf_fail(c, section, "give \"module\" (a file) or \"function\" (deployed), not both");
        return NULL;
    }
    /* a deployed function brings its own defaults */
    sl_fn_resolved v = {0};
    sl_error rerr = {0};
    if (ok && ref[0]) {
        if (!env->functions) {
            sl_conf_fail(c, section,
                         "\"function: %s\" needs the registry: run the pipeline under sluice "
                         "serve, or give sluice pipeline run --data DIR",
                         ref);
            return NULL;
        }
        if (!env->functions->resolve(env->functions->ctx, ref, &v, &rerr)) {
            sl_conf_fail(c, section, "function %s: %s", ref, rerr.message);
            return NULL;
        }
    }
    const char *kind = sl_conf_str(
        c, section, "kind", ref[0] && v.config.kind == SL_FN_COMMAND ? "command" : "handler", &ok);
    int64_t timeout =
        sl_conf_ms(c, section, "timeout", ref[0] ? (int64_t)v.config.timeout_ms : 10000, &ok);
    int64_t mem = sl_conf_int(c, section, "memory_mib", ref[0] ? (int64_t)v.config.memory_mib : 128,
                              1, 65536, &ok);
    bool keep = sl_conf_bool(c, section, "keep_state", false, &ok);
    json_t *params = json_object_get(section, "params");
    if (!ok) {
        sl_fn_resolved_clear(&v);
        return NULL;
    }
    if (strcmp(kind, "handler") && strcmp(kind, "command")) {
        sl_fn_resolved_clear(&v);
        sl_conf_fail(c, section, "\"kind\" must be handler or command, not \"%s\"", kind);
        return NULL;
    }
    if (params && !json_is_object(params)) {
        sl_fn_resolved_clear(&v);
        sl_conf_fail(c, section, "\"params\" must be a mapping (name: value)");
        return NULL;
    }
    sl_pfunc *f = calloc(1, sizeof *f);
    if (!f) {
        sl_fn_resolved_clear(&v);
        sl_conf_fail(c, section, "out of memory");
        return NULL;
    }
    f->engine = env->engine;
    f->handler = !strcmp(kind, "handler");
    size_t len = 0;
    uint8_t *bytes = NULL;
    sl_error err = {0};
    if (ref[0]) {
        snprintf(f->path, sizeof f->path, "%s@%.12s", v.function, v.version);
        bytes = v.bytes, len = v.len;
        v.bytes = NULL;
    } else {
        if (!sl_conf_path(c, section, module, f->path, sizeof f->path)) goto fail;
        bytes = (uint8_t *)sl_read_file(f->path, 0, &len, &err);
        if (!bytes) {
            sl_conf_fail(c, section, "cannot read module %s", err.message);
            goto fail;
        }
    }
    f->module = sl_module_new(env->engine, bytes, len, &err);
    free(bytes);
    if (!f->module) {
        sl_conf_fail(c, section, "module %s: %s", f->path, err.message);
        goto fail;
    }
    if (params) {
        /* without "@line", which the YAML reader adds to every mapping */
        json_t *copy = json_deep_copy(params);
        json_object_del(copy, "@line");
        f->setup = json_dumps(copy, JSON_COMPACT);
        /* commands get them as arguments: --name=value (strings as they are, others as JSON) */
        f->args = calloc(json_object_size(copy) + 1, sizeof *f->args);
        const char *key;
        json_t *v;
        json_object_foreach(copy, key, v) {
            char *text = json_is_string(v) ? strdup(json_string_value(v))
                                           : json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
            if (f->args && text && asprintf(&f->args[f->nargs], "--%s=%s", key, text) >= 0)
                f->nargs++;
            free(text);
        }
        json_decref(copy);
    }
    f->cfg = (sl_invoke_config){
        .input = SL_INPUT_RAW,
        .output = SL_OUTPUT_RAW,
        .timeout_ms = (uint32_t)timeout,
        .memory_mib = (uint32_t)mem,
        .max_response = 256u << 20,
        .max_log = 4096,
        .content_type = "application/json",
        .setup = f->handler ? f->setup : NULL,
        .args = (const char *const *)f->args,
        .nargs = f->handler ? 0 : f->nargs,
    };
    if (f->handler) {
        f->warm = sl_warm_new(env->engine, f->module, &f->cfg, keep, &err);
        if (!f->warm) {
            sl_conf_fail(c, section, "module %s: %s", f->path, err.message);
            goto fail;
        }
    }
    sl_fn_resolved_clear(&v);
    return f;
fail:
    sl_fn_resolved_clear(&v);
    sl_pfunc_free(f);
    return NULL;
}

bool sl_pfunc_call(sl_pfunc *f, const char *in, size_t len, char **out, size_t *out_len,
                   sl_error *err) {
    sl_http_request req = {.method = "POST",
                           .path = "/pipeline",
                           .body = (const uint8_t *)in,
                           .body_len = len,
                           .request_id = "",
                           .source_ip = "",
                           .stage = ""};
    sl_http_response res = {0};
    if (f->handler) {
        sl_warm_invoke(f->warm, &req, &res);
    } else {
        sl_invoke_command(f->engine, f->module, &f->cfg, &req, &res);
    }
    bool ok = res.outcome == SL_INVOKE_OK && res.status < 400;
    if (!ok) {
        if (res.outcome != SL_INVOKE_OK)
            sl_errorf(err, SL_ERR_ARGUMENT, "%s", res.error);
        else
            sl_errorf(err, SL_ERR_ARGUMENT, "the function answered %d: %.*s", res.status,
                      (int)(res.body_len < 200 ? res.body_len : 200), (const char *)res.body);
    } else {
        *out = (char *)res.body;
        *out_len = res.body_len;
        res.body = NULL;
        char *p = realloc(*out, *out_len + 1); /* NUL-terminate for the JSON reader */
        if (p) p[*out_len] = 0, *out = p;
    }
    sl_http_response_clear(&res);
    return ok;
}
