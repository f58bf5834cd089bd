/* snapshot.c - resetting an instance to a saved state, for isolation at warm cost.
 *
 * A server that runs each request in a clean instance would otherwise instantiate (and run
 * the start function and any initializer) per request. Instead it instantiates once, takes a
 * snapshot after initialization, and restores it before each request: the instance's own
 * memories (contents and size), mutable globals, tables, and which segments were dropped
 * come back exactly as they were. Restoring copies the snapshot's bytes over the memory and
 * zeroes and revokes whatever the request grew, so it costs about a memcpy of the memory
 * the module had at snapshot time. Imported objects belong to another instance and are not
 * part of the snapshot. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "vm/runtime.h"

typedef struct saved_memory {
    uint8_t *bytes;
    uint64_t size;
    uint32_t pages;
} saved_memory;

typedef struct saved_table {
    void **elems;
    uint32_t size;
} saved_table;

struct sl_snapshot {
    const sl_instance *inst;
    saved_memory *memories;
    saved_table *tables;
    sl_slot *globals;
    bool *data_dropped;
    uint32_t *elem_sizes;
};

void sl_snapshot_free(sl_snapshot *snap) {
    if (!snap) return;
    const sl_module *m = snap->inst->module;
    if (snap->memories)
        for (uint32_t i = 0; i < m->nmemories; i++)
            free(snap->memories[i].bytes);
    if (snap->tables)
        for (uint32_t i = 0; i < m->ntables; i++)
            free(snap->tables[i].elems);
    free(snap->memories);
    free(snap->tables);
    free(snap->globals);
    free(snap->data_dropped);
    free(snap->elem_sizes);
    free(snap);
}

sl_snapshot *sl_snapshot_take(sl_instance *inst, sl_error *err) {
    const sl_module *m = inst->module;
    sl_snapshot *snap = calloc(1, sizeof *snap);
    if (!snap) goto nomem;
    snap->inst = inst;
    snap->memories = calloc(m->nmemories + 1, sizeof *snap->memories);
    snap->tables = calloc(m->ntables + 1, sizeof *snap->tables);
    snap->globals = calloc(m->nglobals + 1, sizeof *snap->globals);
    snap->data_dropped = calloc(m->ndatas + 1, sizeof *snap->data_dropped);
    snap->elem_sizes = calloc(m->nelems + 1, sizeof *snap->elem_sizes);
    if (!snap->memories || !snap->tables || !snap->globals || !snap->data_dropped ||
        !snap->elem_sizes)
        goto nomem;
    for (uint32_t i = m->nimported_memories; i < m->nmemories; i++) {
        const sl_memory *mem = inst->memories[i];
        saved_memory *s = &snap->memories[i];
        s->size = mem->size;
        s->pages = mem->pages;
        s->bytes = malloc(mem->size ? mem->size : 1);
        if (!s->bytes) goto nomem;
        memcpy(s->bytes, mem->base, mem->size);
    }
    for (uint32_t i = m->nimported_tables; i < m->ntables; i++) {
        const sl_table *t = inst->tables[i];
        saved_table *s = &snap->tables[i];
        s->size = t->size;
        s->elems = malloc((t->size ? t->size : 1) * sizeof *s->elems);
        if (!s->elems) goto nomem;
        memcpy(s->elems, t->elems, t->size * sizeof *s->elems);
    }
    for (uint32_t i = m->nimported_globals; i < m->nglobals; i++)
        snap->globals[i] = inst->globals[i]->val;
    memcpy(snap->data_dropped, inst->data_dropped, m->ndatas * sizeof *snap->data_dropped);
    memcpy(snap->elem_sizes, inst->elem_sizes, m->nelems * sizeof *snap->elem_sizes);
    return snap;
nomem:
    sl_snapshot_free(snap);
    sl_fail(err, SL_ERR_NOMEM, -1, "out of memory taking a snapshot");
    return NULL;
}

/* Shrink a memory back to `pages`: zero what lies beyond and make it inaccessible again, as
 * if it had never grown (a guest that grows again must find zeroes). */
static bool shrink_memory(sl_memory *mem, uint32_t pages) {
    uint64_t size = (uint64_t)pages * SL_PAGE_SIZE;
    if (mem->size <= size) return true;
    if (mem->guarded) {
        sl_zero_pages(mem->base + size, mem->size - size);
        if (mprotect(mem->base + size, mem->size - size, PROT_NONE) != 0) return false;
    } else {
        memset(mem->base + size, 0, mem->size - size);
    }
    mem->size = size;
    mem->pages = pages;
    return true;
}

sl_status sl_snapshot_restore(sl_instance *inst, const sl_snapshot *snap, sl_error *err) {
    if (snap->inst != inst)
        return sl_fail(err, SL_ERR_ARGUMENT, -1, "the snapshot belongs to another instance");
    const sl_module *m = inst->module;
    for (uint32_t i = m->nimported_memories; i < m->nmemories; i++) {
        sl_memory *mem = inst->memories[i];
        const saved_memory *s = &snap->memories[i];
        if (!shrink_memory(mem, s->pages))
            return sl_fail(err, SL_ERR_NOMEM, -1, "cannot shrink memory %u", i);
        /* A memory never shrinks below its snapshot size: memory.grow only grows. */
        memcpy(mem->base, s->bytes, s->size);
    }
    for (uint32_t i = m->nimported_tables; i < m->ntables; i++) {
        sl_table *t = inst->tables[i];
        const saved_table *s = &snap->tables[i];
        t->size = s->size; /* tables only grow, so the capacity is there */
        memcpy(t->elems, s->elems, s->size * sizeof *s->elems);
    }
    for (uint32_t i = m->nimported_globals; i < m->nglobals; i++)
        inst->globals[i]->val = snap->globals[i];
    memcpy(inst->data_dropped, snap->data_dropped, m->ndatas * sizeof *snap->data_dropped);
    memcpy(inst->elem_sizes, snap->elem_sizes, m->nelems * sizeof *snap->elem_sizes);
    return SL_OK;
}
