/* instance.c - instantiation: resolve imports, allocate state, run segments and start. */
#include <stdlib.h>
#include <string.h>

#include "vm/runtime.h"
#include "vm/values.h"

static const char *kind_name(sl_externkind k) {
    static const char *names[] = {"function", "table", "memory", "global"};
    return names[k];
}

/* Limits `have` match `want` when they are at least as tight (the spec's subtyping). */
static bool limits_match(uint32_t have_min, bool have_hasmax, uint32_t have_max, sl_limits want) {
    if (have_min < want.min) return false;
    if (!want.has_max) return true;
    return have_hasmax && have_max <= want.max;
}

/* Host functions belong to no store; everything else to exactly one. */
static bool same_store(const sl_extern *ext, const sl_store *store) {
    switch (ext->kind) {
    case SL_EXTERN_FUNC: return !ext->of.func->inst || ext->of.func->inst->store == store;
    case SL_EXTERN_TABLE: return ext->of.table->store == store;
    case SL_EXTERN_MEMORY: return ext->of.memory->store == store;
    case SL_EXTERN_GLOBAL: return ext->of.global->store == store;
    }
    return false;
}

static sl_status link_imports(sl_instance *inst, const sl_linker *linker, sl_error *err) {
    const sl_module *m = inst->module;
    uint32_t nf = 0, nt = 0, nm = 0, ng = 0;
    for (uint32_t i = 0; i < m->nimports; i++) {
        const sl_import *imp = &m->imports[i];
        const sl_extern *ext = sl_linker_lookup(linker, imp);
        if (!ext)
            return sl_fail(err, SL_ERR_LINK, -1, "unknown import %s.%s", imp->module, imp->name);
        if (!same_store(ext, inst->store))
            return sl_fail(err, SL_ERR_LINK, -1,
                           "import %s.%s belongs to another store: objects cannot cross stores",
                           imp->module, imp->name);
        if (ext->kind != imp->kind)
            return sl_fail(err, SL_ERR_LINK, -1,
                           "incompatible import type: %s.%s is a %s, expected a %s", imp->module,
                           imp->name, kind_name(ext->kind), kind_name(imp->kind));
        switch (imp->kind) {
        case SL_EXTERN_FUNC: {
            sl_func *f = ext->of.func;
            if (f->canon != m->types[m->func_types[nf]].canon)
                return sl_fail(err, SL_ERR_LINK, -1,
                               "incompatible import type: function %s.%s has another signature",
                               imp->module, imp->name);
            inst->funcs[nf++] = f;
            break;
        }
        case SL_EXTERN_TABLE: {
            sl_table *t = ext->of.table;
            const sl_tabletype *want = &m->tables[nt];
            if (t->elem != want->elem ||
                !limits_match(t->size, t->type.has_max, t->type.max, want->limits))
                return sl_fail(err, SL_ERR_LINK, -1, "incompatible import type: table %s.%s",
                               imp->module, imp->name);
            inst->tables[nt++] = t;
            break;
        }
        case SL_EXTERN_MEMORY: {
            sl_memory *mem = ext->of.memory;
            if (!limits_match(mem->pages, mem->type.has_max, mem->type.max, m->memories[nm]))
                return sl_fail(err, SL_ERR_LINK, -1, "incompatible import type: memory %s.%s",
                               imp->module, imp->name);
            inst->memories[nm++] = mem;
            break;
        }
        case SL_EXTERN_GLOBAL: {
            sl_global *g = ext->of.global;
            const sl_globaltype *want = &m->globals[ng].type;
            if (g->type != want->type || g->mut != want->mut)
                return sl_fail(err, SL_ERR_LINK, -1, "incompatible import type: global %s.%s",
                               imp->module, imp->name);
            inst->globals[ng++] = g;
            break;
        }
        }
    }
    return SL_OK;
}

static sl_slot eval_const(const sl_instance *inst, const sl_constexpr *e) {
    switch (e->op) {
    case SL_CONST_REF_NULL: return (sl_slot){.ref = NULL};
    case SL_CONST_REF_FUNC: return (sl_slot){.ref = inst->funcs[e->index]};
    case SL_CONST_GLOBAL_GET: return inst->globals[e->index]->val;
    default: return e->value;
    }
}

static sl_status fail_nomem(sl_error *err) {
    return sl_fail(err, SL_ERR_NOMEM, -1, "out of memory while instantiating");
}

static sl_status allocate(sl_instance *inst, sl_error *err) {
    const sl_module *m = inst->module;
    uint32_t ndef = m->nfuncs - m->nimported_funcs;
    inst->funcs = calloc(m->nfuncs + 1, sizeof *inst->funcs);
    inst->tables = calloc(m->ntables + 1, sizeof *inst->tables);
    inst->memories = calloc(m->nmemories + 1, sizeof *inst->memories);
    inst->globals = calloc(m->nglobals + 1, sizeof *inst->globals);
    inst->own_funcs = calloc(ndef + 1, sizeof *inst->own_funcs);
    inst->own_globals = calloc(m->nglobals - m->nimported_globals + 1, sizeof *inst->own_globals);
    inst->data_dropped = calloc(m->ndatas + 1, sizeof *inst->data_dropped);
    inst->elem_refs = calloc(m->nelems + 1, sizeof *inst->elem_refs);
    inst->elem_sizes = calloc(m->nelems + 1, sizeof *inst->elem_sizes);
    if (!inst->funcs || !inst->tables || !inst->memories || !inst->globals || !inst->own_funcs ||
        !inst->own_globals || !inst->data_dropped || !inst->elem_refs || !inst->elem_sizes)
        return fail_nomem(err);
    for (uint32_t i = 0; i < ndef; i++) {
        uint32_t fi = m->nimported_funcs + i;
        sl_func *f = &inst->own_funcs[i];
        f->canon = m->types[m->func_types[fi]].canon;
        f->type = &m->types[m->func_types[fi]].ft;
        f->inst = inst;
        f->code = m->bodies[i].compiled;
        inst->funcs[fi] = f;
    }
    return SL_OK;
}

/* After linking, since initializers may read imported globals and name imported functions. */
static sl_status create_objects(sl_instance *inst, sl_error *err) {
    const sl_module *m = inst->module;
    sl_store *store = inst->store;
    for (uint32_t i = m->nimported_tables; i < m->ntables; i++) {
        inst->tables[i] = sl_table_create(store, m->tables[i].elem, m->tables[i].limits, err);
        if (!inst->tables[i]) return err ? err->status : SL_ERR_NOMEM;
    }
    for (uint32_t i = m->nimported_memories; i < m->nmemories; i++) {
        inst->memories[i] = sl_memory_create(store, m->memories[i], err);
        if (!inst->memories[i]) return err ? err->status : SL_ERR_NOMEM;
    }
    for (uint32_t i = m->nimported_globals; i < m->nglobals; i++) {
        sl_global *g = &inst->own_globals[i - m->nimported_globals];
        g->store = store;
        g->type = m->globals[i].type.type;
        g->mut = m->globals[i].type.mut;
        g->val = eval_const(inst, &m->globals[i].init);
        inst->globals[i] = g;
    }
    for (uint32_t i = 0; i < m->nelems; i++) {
        const sl_elem *el = &m->elems[i];
        if (el->mode == SL_SEG_DECLARATIVE) continue; /* dropped from the start */
        void **refs = calloc(el->count + 1, sizeof *refs);
        if (!refs) return fail_nomem(err);
        for (uint32_t k = 0; k < el->count; k++)
            refs[k] = eval_const(inst, &el->items[k]).ref;
        inst->elem_refs[i] = refs;
        inst->elem_sizes[i] = el->count;
    }
    return SL_OK;
}

static sl_status trap(sl_error *err, sl_trap t) {
    sl_fail(err, SL_ERR_TRAP, -1, "%s", sl_trap_message(t));
    if (err) err->trap = t;
    return SL_ERR_TRAP;
}

/* Active segments run in order, as table.init / memory.init followed by a drop. */
static sl_status apply_segments(sl_instance *inst, sl_error *err) {
    const sl_module *m = inst->module;
    for (uint32_t i = 0; i < m->nelems; i++) {
        const sl_elem *el = &m->elems[i];
        if (el->mode != SL_SEG_ACTIVE) continue;
        sl_table *t = inst->tables[el->table];
        uint32_t off = eval_const(inst, &el->offset).u32;
        if ((uint64_t)off + el->count > t->size) return trap(err, SL_TRAP_TABLE_OOB);
        memcpy(t->elems + off, inst->elem_refs[i], el->count * sizeof(void *));
        free(inst->elem_refs[i]);
        inst->elem_refs[i] = NULL;
        inst->elem_sizes[i] = 0;
    }
    for (uint32_t i = 0; i < m->ndatas; i++) {
        const sl_data *d = &m->datas[i];
        if (d->mode != SL_SEG_ACTIVE) continue;
        sl_memory *mem = inst->memories[d->memory];
        uint32_t off = eval_const(inst, &d->offset).u32;
        if ((uint64_t)off + d->len > mem->size) return trap(err, SL_TRAP_MEMORY_OOB);
        if (d->len) memcpy(mem->base + off, d->bytes, d->len);
        inst->data_dropped[i] = true;
    }
    return SL_OK;
}

sl_instance *sl_instantiate(sl_store *store, const sl_module *m, const sl_linker *linker,
                            sl_error *err) {
    sl_instance *inst = calloc(1, sizeof *inst);
    if (!inst) {
        fail_nomem(err);
        return NULL;
    }
    inst->store = store;
    inst->module = m;
    /* Owned by the store from here on, so every failure path just returns NULL: segments
     * that were already applied to imported tables and memories stay applied, as the spec
     * requires, and the objects live as long as the store. */
    inst->next_in_store = store->instances;
    store->instances = inst;
    sl_status st = allocate(inst, err);
    if (st == SL_OK) st = link_imports(inst, linker, err);
    if (st != SL_OK) {
        /* nothing was created or changed yet: leave no trace in the store */
        store->instances = inst->next_in_store;
        sl_instance_destroy(inst);
        return NULL;
    }
    if (st == SL_OK) st = create_objects(inst, err);
    if (st == SL_OK) st = apply_segments(inst, err);
    if (st == SL_OK && m->has_start) {
        sl_slot slots[1];
        st = sl_interp_call(store, inst->funcs[m->start], slots, err);
    }
    return st == SL_OK ? inst : NULL;
}

const sl_module *sl_instance_module(const sl_instance *inst) {
    return inst->module;
}

bool sl_instance_export(sl_instance *inst, const char *name, sl_extern *out) {
    return sl_instance_export_n(inst, name, strlen(name), out);
}

bool sl_instance_export_n(sl_instance *inst, const char *name, size_t len, sl_extern *out) {
    const sl_module *m = inst->module;
    for (uint32_t i = 0; i < m->nexports; i++) {
        const sl_export *e = &m->exports[i];
        if (e->name_len != len || memcmp(e->name, name, len) != 0) continue;
        out->kind = e->kind;
        switch (e->kind) {
        case SL_EXTERN_FUNC: out->of.func = inst->funcs[e->index]; break;
        case SL_EXTERN_TABLE: out->of.table = inst->tables[e->index]; break;
        case SL_EXTERN_MEMORY: out->of.memory = inst->memories[e->index]; break;
        case SL_EXTERN_GLOBAL: out->of.global = inst->globals[e->index]; break;
        }
        return true;
    }
    return false;
}

sl_func *sl_instance_func(sl_instance *inst, const char *name) {
    sl_extern e;
    return sl_instance_export(inst, name, &e) && e.kind == SL_EXTERN_FUNC ? e.of.func : NULL;
}

sl_memory *sl_instance_memory(sl_instance *inst, uint32_t index) {
    return index < inst->module->nmemories ? inst->memories[index] : NULL;
}
