/* global.c - global variables and conversions between sl_val and sl_slot. */
#include <stdlib.h>

#include "vm/runtime.h"
#include "vm/values.h"

sl_slot sl_val_to_slot(const sl_val *v) {
    sl_slot s = {.u64 = 0};
    switch (v->type) {
    case SL_I32: s.i32 = v->of.i32; break;
    case SL_I64: s.i64 = v->of.i64; break;
    case SL_F32: s.f32 = v->of.f32; break;
    case SL_F64: s.f64 = v->of.f64; break;
    default: s.ref = v->of.ref; break;
    }
    return s;
}

sl_val sl_slot_to_val(sl_slot s, uint8_t type) {
    sl_val v = {.type = (sl_valtype)type};
    switch (type) {
    case SL_I32: v.of.i32 = s.i32; break;
    case SL_I64: v.of.i64 = s.i64; break;
    case SL_F32: v.of.f32 = s.f32; break;
    case SL_F64: v.of.f64 = s.f64; break;
    default: v.of.ref = s.ref; break;
    }
    return v;
}

sl_global *sl_global_new(sl_store *store, sl_val value, bool mut, sl_error *err) {
    sl_global *g = calloc(1, sizeof *g);
    if (!g || !sl_objlist_add(&store->objects, g)) {
        free(g);
        sl_fail(err, SL_ERR_NOMEM, -1, "out of memory");
        return NULL;
    }
    g->store = store;
    g->type = (uint8_t)value.type;
    g->mut = mut;
    g->val = sl_val_to_slot(&value);
    return g;
}

sl_val sl_global_get(const sl_global *g) {
    return sl_slot_to_val(g->val, g->type);
}

sl_status sl_global_set(sl_global *g, sl_val value) {
    if (!g->mut || (uint8_t)value.type != g->type) return SL_ERR_ARGUMENT;
    g->val = sl_val_to_slot(&value);
    return SL_OK;
}
