/* linker.c - named imports: host functions and the exports of other instances. */
#include <stdlib.h>
#include <string.h>

#include "vm/runtime.h"

typedef struct sl_link_entry {
    char *module, *name; /* may contain NUL bytes: compare with the lengths */
    size_t module_len, name_len;
    sl_extern ext;
} sl_link_entry;

struct sl_linker {
    sl_engine *engine;
    sl_link_entry *entries;
    uint32_t count, cap;
    sl_objlist host_funcs; /* sl_func objects this linker created */
};

sl_linker *sl_linker_new(sl_engine *engine) {
    sl_linker *l = calloc(1, sizeof *l);
    if (l) l->engine = engine;
    return l;
}

void sl_linker_free(sl_linker *l) {
    if (!l) return;
    for (uint32_t i = 0; i < l->count; i++) {
        free(l->entries[i].module);
        free(l->entries[i].name);
    }
    for (uint32_t i = 0; i < l->host_funcs.count; i++)
        free(l->host_funcs.items[i]);
    free(l->host_funcs.items);
    free(l->entries);
    free(l);
}

static sl_link_entry *find(const sl_linker *l, const char *module, size_t mlen, const char *name,
                           size_t nlen) {
    for (uint32_t i = l->count; i-- > 0;) {
        sl_link_entry *e = &l->entries[i];
        if (e->module_len == mlen && e->name_len == nlen && memcmp(e->module, module, mlen) == 0 &&
            memcmp(e->name, name, nlen) == 0)
            return e;
    }
    return NULL;
}

static char *copy_name(const char *s, size_t len) {
    char *c = malloc(len + 1);
    if (c) {
        memcpy(c, s, len);
        c[len] = 0;
    }
    return c;
}

sl_status sl_linker_define(sl_linker *l, const char *module, const char *name, sl_extern ext) {
    return sl_linker_define_n(l, module, strlen(module), name, strlen(name), ext);
}

sl_status sl_linker_define_n(sl_linker *l, const char *module, size_t mlen, const char *name,
                             size_t nlen, sl_extern ext) {
    sl_link_entry *e = find(l, module, mlen, name, nlen);
    if (e) {
        e->ext = ext;
        return SL_OK;
    }
    if (l->count == l->cap) {
        uint32_t cap = l->cap ? l->cap * 2 : 32;
        sl_link_entry *n = realloc(l->entries, cap * sizeof *n);
        if (!n) return SL_ERR_NOMEM;
        l->entries = n;
        l->cap = cap;
    }
    e = &l->entries[l->count];
    e->module = copy_name(module, mlen);
    e->name = copy_name(name, nlen);
    e->module_len = mlen;
    e->name_len = nlen;
    if (!e->module || !e->name) {
        free(e->module);
        free(e->name);
        return SL_ERR_NOMEM;
    }
    e->ext = ext;
    l->count++;
    return SL_OK;
}

sl_status sl_linker_define_func(sl_linker *l, const char *module, const char *name, const char *sig,
                                sl_host_fn fn, void *user) {
    sl_functype *ft = sl_functype_parse(sig);
    if (!ft) return SL_ERR_ARGUMENT;
    uint32_t canon = sl_engine_intern(l->engine, ft);
    sl_functype_free(ft);
    if (canon == UINT32_MAX) return SL_ERR_NOMEM;
    sl_func *f = calloc(1, sizeof *f);
    if (!f || !sl_objlist_add(&l->host_funcs, f)) {
        free(f);
        return SL_ERR_NOMEM;
    }
    f->canon = canon;
    f->type = sl_engine_type(l->engine, canon);
    f->host = fn;
    f->user = user;
    return sl_linker_define(l, module, name, (sl_extern){.kind = SL_EXTERN_FUNC, .of.func = f});
}

sl_status sl_linker_define_instance(sl_linker *l, const char *module, sl_instance *inst) {
    const sl_module *m = inst->module;
    for (uint32_t i = 0; i < m->nexports; i++) {
        const sl_export *ex = &m->exports[i];
        sl_extern ext;
        if (!sl_instance_export_n(inst, ex->name, ex->name_len, &ext)) continue;
        sl_status st = sl_linker_define_n(l, module, strlen(module), ex->name, ex->name_len, ext);
        if (st != SL_OK) return st;
    }
    return SL_OK;
}

/* Used by instantiation: the definition for an import, or NULL. */
const sl_extern *sl_linker_lookup(const sl_linker *l, const sl_import *imp) {
    if (!l) return NULL;
    sl_link_entry *e = find(l, imp->module, imp->module_len, imp->name, imp->name_len);
    return e ? &e->ext : NULL;
}
