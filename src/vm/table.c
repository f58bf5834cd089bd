/* table.c - tables of references (funcref: sl_func *, externref: the embedder's pointer). */
#include <stdlib.h>
#include <string.h>

#include "vm/runtime.h"

#define DEFAULT_MAX_TABLE_ELEMS 10000000u

sl_table *sl_table_create(sl_store *store, uint8_t elem, sl_limits limits, sl_error *err) {
    uint32_t cap = store->limits.max_table_elems;
    uint32_t max = limits.has_max && limits.max < cap ? limits.max : cap;
    if (limits.min > max) {
        sl_fail(err, SL_ERR_LIMIT, -1, "table of %u elements exceeds the limit of %u", limits.min,
                max);
        return NULL;
    }
    sl_table *t = calloc(1, sizeof *t);
    if (!t) goto nomem;
    t->store = store;
    t->elem = elem;
    t->type = limits;
    t->max = max;
    t->size = t->cap = limits.min;
    t->elems = calloc(limits.min ? limits.min : 1, sizeof *t->elems);
    if (!t->elems || !sl_objlist_add(&store->tables, t)) {
        free(t->elems);
        free(t);
        goto nomem;
    }
    return t;
nomem:
    sl_fail(err, SL_ERR_NOMEM, -1, "cannot allocate a table of %u elements", limits.min);
    return NULL;
}

int64_t sl_table_grow_elems(sl_table *t, uint32_t delta, void *init) {
    uint32_t old = t->size;
    if (delta > t->max || old > t->max - delta) return -1;
    uint32_t n = old + delta;
    if (n > t->cap) {
        uint32_t cap = t->cap * 2 > n ? t->cap * 2 : n;
        if (cap > t->max) cap = t->max;
        void **e = realloc(t->elems, (size_t)cap * sizeof *e);
        if (!e) return -1;
        t->elems = e;
        t->cap = cap;
    }
    for (uint32_t i = old; i < n; i++)
        t->elems[i] = init;
    t->size = n;
    return old;
}

sl_table *sl_table_new(sl_store *store, uint8_t elem, sl_limits limits, sl_error *err) {
    return sl_table_create(store, elem, limits, err);
}

uint32_t sl_table_size(const sl_table *t) {
    return t->size;
}

bool sl_table_get(const sl_table *t, uint32_t i, void **ref) {
    if (i >= t->size) return false;
    *ref = t->elems[i];
    return true;
}

bool sl_table_set(sl_table *t, uint32_t i, void *ref) {
    if (i >= t->size) return false;
    t->elems[i] = ref;
    return true;
}
