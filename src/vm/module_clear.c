/*
 * module_clear.c - freeing what the decoder allocated.
 *
 * Works on fully and partially decoded modules alike (the decoder keeps counts in step with
 * initialized entries). It frees the module's copy of the bytes too, but not the compiled
 * code: module.c frees body->compiled before this runs.
 */
#include <stdlib.h>
#include <string.h>

#include "vm/module.h"

void sl_module_clear(sl_module *m) {
    if (!m) return;
    for (uint32_t i = 0; i < m->ntypes; i++)
        free((void *)m->types[i].ft.types);
    free(m->types);

    for (uint32_t i = 0; i < m->nimports; i++) {
        free(m->imports[i].module);
        free(m->imports[i].name);
    }
    free(m->imports);

    free(m->func_types);
    if (m->bodies) {
        for (uint32_t i = 0; i < m->nfuncs - m->nimported_funcs; i++)
            free(m->bodies[i].local_types);
        free(m->bodies);
    }
    free(m->tables);
    free(m->memories);
    free(m->globals);

    for (uint32_t i = 0; i < m->nexports; i++)
        free(m->exports[i].name);
    free(m->exports);

    for (uint32_t i = 0; i < m->nelems; i++)
        free(m->elems[i].items);
    free(m->elems);
    free(m->datas);
    free(m->declared_funcs);

    if (m->func_names) {
        for (uint32_t i = 0; i < m->nfuncs; i++)
            free(m->func_names[i]);
        free(m->func_names);
    }
    free(m->import_descs);
    free(m->export_descs);
    free(m->bytes);

    sl_engine *engine = m->engine;
    memset(m, 0, sizeof *m);
    m->engine = engine;
}
