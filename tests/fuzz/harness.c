/* harness.c - see harness.h. */
#include "harness.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void hx_buf_printf(hx_buf *b, const char *fmt, ...) {
    if (!b) return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if (b->len + (size_t)n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + (size_t)n + 1)
            cap *= 2;
        char *p = realloc(b->data, cap);
        if (!p) abort();
        b->data = p;
        b->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void hx_buf_free(hx_buf *b) {
    free(b->data);
    *b = (hx_buf){0};
}

/* Names may hold any bytes: print them with everything but plain ASCII escaped as \xx, as
 * run-node.mjs does. */
static void put_name(hx_buf *b, const char *s) {
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p > 0x20 && *p < 0x7f && *p != '\\')
            hx_buf_printf(b, "%c", *p);
        else
            hx_buf_printf(b, "\\%02x", *p);
    }
}

static void put_slot(hx_buf *b, uint8_t type, sl_slot v) {
    switch (type) {
    case SL_I32: hx_buf_printf(b, " i32:%d", v.i32); break;
    case SL_I64: hx_buf_printf(b, " i64:%lld", (long long)v.i64); break;
    case SL_F32: {
        uint32_t bits;
        memcpy(&bits, &v.f32, sizeof bits);
        if (isnan(v.f32))
            hx_buf_printf(b, " f32:nan");
        else
            hx_buf_printf(b, " f32:0x%08x", bits);
        break;
    }
    case SL_F64:
        if (isnan(v.f64))
            hx_buf_printf(b, " f64:nan");
        else
            hx_buf_printf(b, " f64:0x%016llx", (unsigned long long)v.u64);
        break;
    case SL_FUNCREF:
    case SL_EXTERNREF: hx_buf_printf(b, " %s", v.ref ? "ref" : "null"); break;
    default: hx_buf_printf(b, " v128"); break;
    }
}

static sl_slot val_to_slot(const sl_val *v) {
    sl_slot s = {.u64 = 0};
    switch (v->type) {
    case SL_I32: s.i32 = v->of.i32; break;
    case SL_I64: s.i64 = v->of.i64; break;
    case SL_F32: s.f32 = v->of.f32; break;
    case SL_F64: s.f64 = v->of.f64; break;
    case SL_FUNCREF:
    case SL_EXTERNREF: s.ref = v->of.ref; break;
    default: break;
    }
    return s;
}

static const char *trap_kind(sl_trap t) {
    switch (t) {
    case SL_TRAP_UNREACHABLE: return "unreachable";
    case SL_TRAP_MEMORY_OOB: return "memory";
    case SL_TRAP_TABLE_OOB:
    case SL_TRAP_UNDEFINED_ELEMENT: return "table";
    case SL_TRAP_UNINITIALIZED:
    case SL_TRAP_INDIRECT_MISMATCH: return "indirect";
    case SL_TRAP_DIV_ZERO: return "div";
    /* V8 reports float-to-int overflow and NaN alike ("float unrepresentable in integer
     * range"), so one class covers "integer overflow" and "invalid conversion to integer". */
    case SL_TRAP_INT_OVERFLOW:
    case SL_TRAP_INVALID_CONVERSION: return "overflow";
    case SL_TRAP_NULL_REFERENCE: return "null";
    case SL_TRAP_HOST: return "host";
    default: return "other";
    }
}

/* Prints the outcome of a call or an instantiation: "trap <kind>", or one of the
 * inconclusive words. Returns true for those. */
static bool put_failure(hx_buf *b, const char *prefix, const sl_error *err) {
    if (err->status == SL_ERR_TRAP) {
        switch (err->trap) {
        case SL_TRAP_STACK_EXHAUSTED: hx_buf_printf(b, "%sexhausted\n", prefix); return true;
        case SL_TRAP_OUT_OF_FUEL: hx_buf_printf(b, "%sfuel\n", prefix); return true;
        case SL_TRAP_INTERRUPTED: hx_buf_printf(b, "%stimeout\n", prefix); return true;
        default: hx_buf_printf(b, "%strap %s\n", prefix, trap_kind(err->trap)); return false;
        }
    }
    const char *word;
    switch (err->status) {
    case SL_ERR_LINK: word = "link"; break;
    case SL_ERR_LIMIT: word = "limit"; break;
    case SL_ERR_NOMEM: word = "nomem"; break;
    default: word = sl_status_name(err->status); break;
    }
    hx_buf_printf(b, "%s%s\n", prefix, word);
    return err->status == SL_ERR_LIMIT || err->status == SL_ERR_NOMEM;
}

/* ---- Imports ----------------------------------------------------------------------------- */

typedef struct hx_import {
    hx_buf *out;
    const sl_functype *type;
    const char *module, *name; /* owned by the module */
} hx_import;

/* A guest that logs in a long loop would otherwise fill memory before its fuel runs out. */
#define LOG_LIMIT (8u << 20)

static int generic_host(sl_caller *caller, sl_slot *slots, void *user) {
    hx_import *imp = user;
    if (imp->out && imp->out->len > LOG_LIMIT) return sl_caller_trap(caller, "log limit");
    if (imp->out) {
        hx_buf_printf(imp->out, "import ");
        put_name(imp->out, imp->module);
        hx_buf_printf(imp->out, ".");
        put_name(imp->out, imp->name);
        for (uint32_t i = 0; i < imp->type->nparams; i++)
            put_slot(imp->out, imp->type->types[i], slots[i]);
        hx_buf_printf(imp->out, "\n");
    }
    for (uint32_t i = 0; i < imp->type->nresults; i++)
        slots[i].u64 = 0;
    return 0;
}

static char sig_letter(uint8_t t) {
    switch (t) {
    case SL_I32: return 'i';
    case SL_I64: return 'I';
    case SL_F32: return 'f';
    case SL_F64: return 'F';
    case SL_V128: return 'V';
    case SL_FUNCREF: return 'r';
    case SL_EXTERNREF: return 'e';
    default: return '?';
    }
}

static char *functype_sig(const sl_functype *ft) {
    size_t n = (size_t)ft->nparams + ft->nresults;
    char *sig = malloc(n + 2);
    if (!sig) abort();
    size_t k = 0;
    for (uint32_t i = 0; i < ft->nparams; i++)
        sig[k++] = sig_letter(ft->types[i]);
    sig[k++] = ':';
    for (uint32_t i = 0; i < ft->nresults; i++)
        sig[k++] = sig_letter(ft->types[ft->nparams + i]);
    sig[k] = '\0';
    return sig;
}

static sl_val zero_val(uint8_t type) {
    sl_val v;
    memset(&v, 0, sizeof v);
    v.type = (sl_valtype)type;
    return v;
}

/* Defines something of the right type for import i. Failures are fine: instantiation then
 * reports the link error, which is what we want to exercise anyway. */
static void define_import(sl_store *s, sl_linker *l, const sl_importdesc *d, hx_import *imp,
                          hx_buf *out) {
    sl_error err;
    sl_extern ext = {.kind = d->type.kind};
    switch (d->type.kind) {
    case SL_EXTERN_FUNC: {
        *imp =
            (hx_import){.out = out, .type = d->type.of.func, .module = d->module, .name = d->name};
        char *sig = functype_sig(d->type.of.func);
        sl_linker_define_func(l, d->module, d->name, sig, generic_host, imp);
        free(sig);
        return;
    }
    case SL_EXTERN_MEMORY:
        ext.of.memory = sl_memory_new(s, d->type.of.memory, &err);
        if (!ext.of.memory) return;
        break;
    case SL_EXTERN_TABLE:
        ext.of.table = sl_table_new(s, d->type.of.table.elem, d->type.of.table.limits, &err);
        if (!ext.of.table) return;
        break;
    case SL_EXTERN_GLOBAL:
        ext.of.global =
            sl_global_new(s, zero_val(d->type.of.global.type), d->type.of.global.mut, &err);
        if (!ext.of.global) return;
        break;
    }
    sl_linker_define(l, d->module, d->name, ext);
}

/* ---- Running ----------------------------------------------------------------------------- */

static bool is_name(const char *a, const char *b) {
    return strcmp(a, b) == 0;
}

static void arm(sl_store *s, const hx_options *opt) {
    sl_store_set_fuel(s, opt->fuel);
    if (opt->timeout_ms) sl_store_set_timeout(s, opt->timeout_ms);
}

/* Calls export `func` with zero arguments. Returns true if the outcome was inconclusive. */
static bool call_export(sl_store *s, sl_func *func, const hx_options *opt, hx_buf *out) {
    const sl_functype *ft = sl_func_type(func);
    for (uint32_t i = 0; i < ft->nparams + ft->nresults; i++) {
        if (ft->types[i] == SL_V128) {
            hx_buf_printf(out, "skip v128\n");
            return false;
        }
    }
    sl_val *args = calloc(ft->nparams + 1, sizeof *args);
    sl_val *res = calloc(ft->nresults + 1, sizeof *res);
    if (!args || !res) abort();
    for (uint32_t i = 0; i < ft->nparams; i++)
        args[i] = zero_val(ft->types[i]);
    sl_error err;
    memset(&err, 0, sizeof err);
    arm(s, opt);
    sl_status st = sl_func_call(s, func, args, ft->nparams, res, ft->nresults, &err);
    bool inconclusive = false;
    if (st == SL_OK) {
        hx_buf_printf(out, "result");
        for (uint32_t i = 0; i < ft->nresults; i++) {
            if (res[i].type != ft->types[ft->nparams + i]) abort(); /* the API lied */
            put_slot(out, res[i].type, val_to_slot(&res[i]));
        }
        hx_buf_printf(out, "\n");
    } else {
        if (st != err.status) abort(); /* the returned status and the sl_error must agree */
        if (err.status == SL_ERR_TRAP && err.trap == SL_TRAP_HOST && out && out->len > LOG_LIMIT) {
            hx_buf_printf(out, "fuel\n"); /* out of log space: as inconclusive as fuel */
            inconclusive = true;
        } else {
            inconclusive = put_failure(out, "", &err);
        }
    }
    free(args);
    free(res);
    return inconclusive;
}

/* FNV-1a of every exported memory, after all the calls. */
static void put_memories(const sl_module *m, sl_instance *inst, hx_buf *out) {
    if (!out) return;
    uint32_t nexports = sl_module_export_count(m);
    for (uint32_t i = 0; i < nexports; i++) {
        sl_exportdesc e;
        sl_extern ext;
        if (!sl_module_export(m, i, &e) || e.type.kind != SL_EXTERN_MEMORY) continue;
        if (strlen(e.name) != e.name_len) continue; /* a name with a NUL byte, see below */
        if (!sl_instance_export_n(inst, e.name, e.name_len, &ext) || ext.kind != SL_EXTERN_MEMORY)
            abort(); /* listed but not found */
        const uint8_t *p = sl_memory_data(ext.of.memory);
        uint64_t size = sl_memory_size(ext.of.memory);
        uint32_t h = 2166136261u;
        for (uint64_t k = 0; k < size; k++)
            h = (h ^ p[k]) * 16777619u;
        hx_buf_printf(out, "memory ");
        put_name(out, e.name);
        hx_buf_printf(out, " %llu 0x%08x\n", (unsigned long long)(size / 65536), h);
    }
}

sl_status hx_run(sl_engine *engine, const uint8_t *bytes, size_t len, const hx_options *opt,
                 hx_buf *out) {
    sl_error err;
    memset(&err, 0, sizeof err);

    /* Validation alone must agree with the full pipeline. */
    sl_error verr;
    memset(&verr, 0, sizeof verr);
    sl_status vst = sl_module_validate(engine, bytes, len, &verr);

    sl_module *m = sl_module_new(engine, bytes, len, &err);
    if (!m) {
        if (err.status == SL_OK) abort(); /* NULL without an error */
        bool rejected = err.status == SL_ERR_MALFORMED || err.status == SL_ERR_INVALID;
        if (rejected && vst == SL_OK) {
            fprintf(stderr,
                    "fuzz: sl_module_validate accepted a module sl_module_new rejected "
                    "(%s: %s)\n",
                    sl_status_name(err.status), err.message);
            abort();
        }
        hx_buf_printf(out, "module %s\n", rejected ? "invalid" : sl_status_name(err.status));
        return err.status;
    }
    if (vst != SL_OK && vst != SL_ERR_LIMIT && vst != SL_ERR_NOMEM) {
        fprintf(stderr, "fuzz: sl_module_new accepted a module sl_module_validate rejected (%s)\n",
                verr.message);
        abort();
    }
    hx_buf_printf(out, "module ok\n");

    sl_store *s = sl_store_new(engine, &opt->limits);
    sl_linker *l = sl_linker_new(engine);
    if (!s || !l) abort();
    uint32_t nimports = sl_module_import_count(m);
    hx_import *imps = calloc(nimports + 1, sizeof *imps);
    if (!imps) abort();
    for (uint32_t i = 0; i < nimports; i++) {
        sl_importdesc d;
        if (!sl_module_import(m, i, &d)) abort();
        define_import(s, l, &d, &imps[i], out);
    }

    arm(s, opt);
    sl_instance *inst = sl_instantiate(s, m, l, &err);
    if (!inst) {
        if (err.status == SL_OK) abort();
        put_failure(out, "instantiate ", &err);
    } else {
        hx_buf_printf(out, "instantiate ok\n");
        if (sl_instance_module(inst) != m) abort();
        sl_func *hang = sl_instance_func(inst, "hangLimitInitializer");
        uint32_t nexports = sl_module_export_count(m), ncalled = 0;
        for (uint32_t i = 0; i < nexports; i++) {
            sl_exportdesc e;
            if (!sl_module_export(m, i, &e)) abort();
            if (e.type.kind != SL_EXTERN_FUNC || is_name(e.name, "hangLimitInitializer")) continue;
            if (opt->max_exports && ncalled++ >= opt->max_exports) break;
            /* binaryen's fuzz modules bound loops and recursion with a global that this
             * export resets; V8's runner does the same before every call. */
            if (hang) {
                sl_error herr;
                arm(s, opt);
                sl_func_call(s, hang, NULL, 0, NULL, 0, &herr);
            }
            hx_buf_printf(out, "call ");
            put_name(out, e.name);
            hx_buf_printf(out, "\n");
            /* Names with NUL bytes are looked up by length (sl_instance_export_n); the
             * transcripts still skip them, as run-node.mjs does, to stay comparable. */
            sl_extern fx;
            if (!sl_instance_export_n(inst, e.name, e.name_len, &fx) || fx.kind != SL_EXTERN_FUNC)
                abort(); /* listed but not found */
            if (strlen(e.name) != e.name_len) {
                hx_buf_printf(out, "skip name-with-nul\n");
                continue;
            }
            sl_func *f = fx.of.func;
            if (call_export(s, f, opt, out) && opt->stop_after_inconclusive) break;
        }
        put_memories(m, inst, out);
    }
    sl_store_free(s);
    sl_linker_free(l);
    free(imps);
    sl_module_free(m);
    return SL_OK;
}

void hx_fuzz_engines(sl_engine **guard, sl_engine **explicit_checks) {
    *guard = sl_engine_new(NULL);
    *explicit_checks = sl_engine_new(&(sl_engine_config){.explicit_bounds_checks = true});
    if (!*guard || !*explicit_checks) abort();
}

hx_options hx_fuzz_options(bool stop_after_inconclusive) {
    return (hx_options){
        .limits = {.max_memory_pages = 64, /* 4 MiB */
                   .max_table_elems = 10000,
                   .max_call_depth = 200,
                   .stack_slots = 1 << 16},
        .fuel = 20000,
        .max_exports = 64,
        .stop_after_inconclusive = stop_after_inconclusive,
    };
}
