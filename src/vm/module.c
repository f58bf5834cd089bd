/* module.c - creating modules: decode, validate, intern types, compile. */
#include <stdlib.h>
#include <string.h>

#include "vm/runtime.h"

static sl_status load(sl_engine *engine, sl_module *m, const uint8_t *bytes, size_t len,
                      sl_error *err) {
    m->engine = engine;
    m->len = len;
    m->bytes = malloc(len ? len : 1);
    if (!m->bytes) return sl_fail(err, SL_ERR_NOMEM, -1, "out of memory");
    if (len) memcpy(m->bytes, bytes, len);
    sl_status st = sl_decode(m, err);
    if (st == SL_OK) st = sl_validate(m, err);
    return st;
}

static void free_compiled(sl_module *m) {
    if (!m->bodies) return;
    for (uint32_t i = 0; i < m->nfuncs - m->nimported_funcs; i++) {
        sl_code *c = m->bodies[i].compiled;
        if (c) {
            free(c->words);
            free(c);
            m->bodies[i].compiled = NULL;
        }
    }
}

sl_module *sl_module_new(sl_engine *engine, const uint8_t *bytes, size_t len, sl_error *err) {
    sl_module *m = calloc(1, sizeof *m);
    if (!m) {
        sl_fail(err, SL_ERR_NOMEM, -1, "out of memory");
        return NULL;
    }
    sl_status st = load(engine, m, bytes, len, err);
    for (uint32_t i = 0; st == SL_OK && i < m->ntypes; i++) {
        m->types[i].canon = sl_engine_intern(engine, &m->types[i].ft);
        if (m->types[i].canon == UINT32_MAX) st = sl_fail(err, SL_ERR_NOMEM, -1, "out of memory");
    }
    if (st == SL_OK) st = sl_compile(m, err);
    if (st != SL_OK) {
        sl_module_free(m);
        return NULL;
    }
    return m;
}

sl_status sl_module_validate(sl_engine *engine, const uint8_t *bytes, size_t len, sl_error *err) {
    sl_module m;
    memset(&m, 0, sizeof m);
    sl_status st = load(engine, &m, bytes, len, err);
    sl_module_clear(&m);
    return st;
}

void sl_module_free(sl_module *m) {
    if (!m) return;
    free_compiled(m);
    sl_module_clear(m);
    free(m);
}

uint32_t sl_module_import_count(const sl_module *m) {
    return m->nimports;
}
uint32_t sl_module_export_count(const sl_module *m) {
    return m->nexports;
}

bool sl_module_import(const sl_module *m, uint32_t i, sl_importdesc *out) {
    if (i >= m->nimports) return false;
    *out = m->import_descs[i];
    return true;
}

bool sl_module_export(const sl_module *m, uint32_t i, sl_exportdesc *out) {
    if (i >= m->nexports) return false;
    *out = m->export_descs[i];
    return true;
}
