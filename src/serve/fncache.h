/*
 * fncache.h - what a function reference runs: refs ("pca", "pca@prod", "pca@3f2a9c01")
 * resolved through the registry to entries holding the version's configuration and its
 * compiled module, shared by every worker.
 *
 * Resolving through SQLite on every request would serialize the gateway on the registry's
 * lock, so resolutions are cached until the registry's generation changes (any deploy,
 * alias move, config change or delete). An entry is one (function, version, config); when a
 * ref moves to another entry and no other ref still uses the old one, the old one is
 * retired: workers then drop their warm instances of it. Entries are reference counted.
 */
#ifndef SL_SERVE_FNCACHE_H
#define SL_SERVE_FNCACHE_H

#include <stdatomic.h>
#include <pthread.h>

#include "serve/fnstats.h"
#include "serve/registry.h"
#include "serve/workers.h"

typedef struct sl_fn_entry {
    char function[SL_REG_NAME_MAX + 1];
    char sha256[SL_REG_SHA_LEN + 1];
    sl_fn_config config;     /* its strings owned by the entry */
    sl_invoke_config invoke; /* derived from config */
    sl_module *module;
    sl_fnstats *stats;
    atomic_int refs;
    atomic_bool retired;
    /* The concurrency limit (config.concurrency): requests running, and the queue of those
     * waiting for a slot (docs/api.md: as long as the limit, then 429). */
    pthread_mutex_t lock;
    unsigned running, nwaiting;
    sl_job *waiting, **waiting_tail;
    char *config_json; /* to tell configs apart */
} sl_fn_entry;

typedef struct sl_fncache sl_fncache;

sl_fncache *sl_fncache_new(sl_registry *reg, sl_engine *engine, sl_fnstats_set *stats);
void sl_fncache_free(sl_fncache *c);

/* The entry ref runs (with a reference the caller releases), or NULL with the registry's
 * status and message. */
sl_fn_entry *sl_fncache_get(sl_fncache *c, const char *ref, sl_reg_status *status, sl_error *err);
void sl_fn_entry_release(sl_fn_entry *e);
/* Retire every entry of function fn (it was deleted or changed): done by the registry's
 * generation too, but this also lets go of entries no ref will ask for again. */
void sl_fncache_forget(sl_fncache *c, const char *fn);

#endif
