/* engine.c - the engine: configuration and the engine-wide set of function types.
 *
 * Function types are interned so that call_indirect compares one integer, and so that
 * modules compiled once can be linked with any other module or host function. */
#include <stdlib.h>
#include <string.h>

#include "vm/runtime.h"

sl_engine *sl_engine_new(const sl_engine_config *cfg) {
    sl_engine *e = calloc(1, sizeof *e);
    if (!e) return NULL;
    if (cfg) e->config = *cfg;
    pthread_mutex_init(&e->types.lock, NULL);
    pthread_mutex_init(&e->watchdog_lock, NULL);
    pthread_mutex_init(&e->pool_lock, NULL);
    return e;
}

void sl_engine_free(sl_engine *e) {
    if (!e) return;
    sl_watchdog_free(e);
    sl_pool_free(e);
    pthread_mutex_destroy(&e->pool_lock);
    for (uint32_t i = 0; i < e->types.count; i++)
        free(e->types.types[i]);
    free(e->types.types);
    free(e->types.hash_slots);
    pthread_mutex_destroy(&e->types.lock);
    pthread_mutex_destroy(&e->watchdog_lock);
    free(e);
}

bool sl_functype_equal(const sl_functype *a, const sl_functype *b) {
    return a->nparams == b->nparams && a->nresults == b->nresults &&
           memcmp(a->types, b->types, a->nparams + a->nresults) == 0;
}

static uint32_t type_hash(const sl_functype *ft) {
    uint32_t h = 2166136261u ^ (ft->nparams * 31u + ft->nresults);
    for (uint32_t i = 0; i < ft->nparams + ft->nresults; i++)
        h = (h ^ ft->types[i]) * 16777619u;
    return h;
}

static sl_functype *type_copy(const sl_functype *ft) {
    uint32_t n = ft->nparams + ft->nresults;
    sl_functype *c = malloc(sizeof *c + n + 1);
    if (!c) return NULL;
    uint8_t *types = (uint8_t *)(c + 1);
    if (n) memcpy(types, ft->types, n);
    c->nparams = ft->nparams;
    c->nresults = ft->nresults;
    c->types = types;
    return c;
}

static bool rehash(sl_typeset *ts, uint32_t cap) {
    uint32_t *slots = calloc(cap, sizeof *slots);
    if (!slots) return false;
    for (uint32_t id = 0; id < ts->count; id++) {
        uint32_t i = type_hash(ts->types[id]) & (cap - 1);
        while (slots[i])
            i = (i + 1) & (cap - 1);
        slots[i] = id + 1;
    }
    free(ts->hash_slots);
    ts->hash_slots = slots;
    ts->hash_cap = cap;
    return true;
}

uint32_t sl_engine_intern(sl_engine *e, const sl_functype *ft) {
    sl_typeset *ts = &e->types;
    uint32_t id = UINT32_MAX;
    pthread_mutex_lock(&ts->lock);
    if (ts->hash_cap == 0 && !rehash(ts, 64)) goto out;
    uint32_t h = type_hash(ft);
    for (uint32_t i = h & (ts->hash_cap - 1);; i = (i + 1) & (ts->hash_cap - 1)) {
        uint32_t s = ts->hash_slots[i];
        if (!s) break;
        if (sl_functype_equal(ts->types[s - 1], ft)) {
            id = s - 1;
            goto out;
        }
    }
    if (ts->count == ts->cap) {
        uint32_t cap = ts->cap ? ts->cap * 2 : 64;
        sl_functype **types = realloc(ts->types, cap * sizeof *types);
        if (!types) goto out;
        ts->types = types;
        ts->cap = cap;
    }
    sl_functype *c = type_copy(ft);
    if (!c) goto out;
    ts->types[ts->count++] = c;
    if (ts->count * 2 > ts->hash_cap && !rehash(ts, ts->hash_cap * 2)) {
        ts->count--;
        free(c);
        goto out;
    }
    uint32_t i = h & (ts->hash_cap - 1);
    while (ts->hash_slots[i] && ts->hash_slots[i] != ts->count)
        i = (i + 1) & (ts->hash_cap - 1);
    ts->hash_slots[i] = ts->count;
    id = ts->count - 1;
out:
    pthread_mutex_unlock(&ts->lock);
    return id;
}

const sl_functype *sl_engine_type(sl_engine *e, uint32_t canon) {
    pthread_mutex_lock(&e->types.lock);
    const sl_functype *ft = canon < e->types.count ? e->types.types[canon] : NULL;
    pthread_mutex_unlock(&e->types.lock);
    return ft;
}

/* "ii:I" -> (i32 i32) -> (i64) */
sl_functype *sl_functype_parse(const char *sig) {
    size_t n = strlen(sig);
    sl_functype *ft = malloc(sizeof *ft + n + 1);
    if (!ft) return NULL;
    uint8_t *types = (uint8_t *)(ft + 1);
    uint32_t count = 0, nparams = 0;
    bool seen_colon = false;
    for (const char *p = sig; *p; p++) {
        uint8_t t;
        switch (*p) {
        case 'i': t = SL_I32; break;
        case 'I': t = SL_I64; break;
        case 'f': t = SL_F32; break;
        case 'F': t = SL_F64; break;
        case 'V': t = SL_V128; break;
        case 'r': t = SL_FUNCREF; break;
        case 'e': t = SL_EXTERNREF; break;
        case ':':
            if (seen_colon) goto bad;
            seen_colon = true;
            nparams = count;
            continue;
        default: goto bad;
        }
        types[count++] = t;
    }
    if (!seen_colon) nparams = count;
    ft->nparams = nparams;
    ft->nresults = count - nparams;
    ft->types = types;
    return ft;
bad:
    free(ft);
    return NULL;
}

void sl_functype_free(sl_functype *ft) {
    free(ft);
}
