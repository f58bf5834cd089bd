/* fncache.c - refs to compiled versions, cached by registry generation (fncache.h). */
#include "serve/fncache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/error.h"
#include "fn/config.h"

#define MAX_REFS 4096 /* cached refs; beyond it the cache starts over */

typedef struct ref_slot {
    char *ref;
    sl_fn_entry *entry; /* holds a reference */
    uint64_t generation;
} ref_slot;

struct sl_fncache {
    sl_registry *reg;
    sl_engine *engine;
    sl_fnstats_set *stats;
    pthread_mutex_t lock;
    ref_slot *slots;
    size_t nslots, cap;
    sl_fn_entry **entries; /* live (not retired) entries, each holding a reference */
    size_t nentries, ecap;
};

static void entry_free(sl_fn_entry *e) {
    if (e->invoke.preopens) {
        for (uint32_t i = 0; i < e->invoke.npreopens; i++)
            free((void *)e->invoke.preopens[i].host_path);
        free((void *)e->invoke.preopens);
    }
    sl_module_free(e->module);
    sl_fn_config_free(&e->config);
    free((void *)e->invoke.env);
    free(e->config_json);
    pthread_mutex_destroy(&e->lock);
    free(e);
}

void sl_fn_entry_release(sl_fn_entry *e) {
    if (e && atomic_fetch_sub(&e->refs, 1) == 1) entry_free(e);
}

static void retire(sl_fncache *c, size_t i) {
    sl_fn_entry *e = c->entries[i];
    atomic_store(&e->retired, true);
    c->entries[i] = c->entries[--c->nentries];
    sl_fn_entry_release(e);
}

/* Retire entries no slot refers to. Lock held. */
static void retire_unused(sl_fncache *c) {
    for (size_t i = c->nentries; i-- > 0;) {
        bool used = false;
        for (size_t s = 0; s < c->nslots && !used; s++)
            used = c->slots[s].entry == c->entries[i];
        if (!used) retire(c, i);
    }
}

sl_fncache *sl_fncache_new(sl_registry *reg, sl_engine *engine, sl_fnstats_set *stats) {
    sl_fncache *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->reg = reg, c->engine = engine, c->stats = stats;
    pthread_mutex_init(&c->lock, NULL);
    return c;
}

static void clear_slots(sl_fncache *c) {
    for (size_t i = 0; i < c->nslots; i++) {
        free(c->slots[i].ref);
        sl_fn_entry_release(c->slots[i].entry);
    }
    c->nslots = 0;
}

void sl_fncache_free(sl_fncache *c) {
    if (!c) return;
    clear_slots(c);
    while (c->nentries)
        retire(c, c->nentries - 1);
    free(c->slots);
    free(c->entries);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

void sl_fncache_forget(sl_fncache *c, const char *fn) {
    pthread_mutex_lock(&c->lock);
    for (size_t i = c->nslots; i-- > 0;)
        if (strcmp(c->slots[i].entry->function, fn) == 0) {
            free(c->slots[i].ref);
            sl_fn_entry_release(c->slots[i].entry);
            c->slots[i] = c->slots[--c->nslots];
        }
    retire_unused(c);
    pthread_mutex_unlock(&c->lock);
}

/* A new entry for version v (compiles its module), or NULL with a message. */
static sl_fn_entry *entry_new(sl_fncache *c, sl_fn_version *v, char *config_json,
                              sl_reg_status *status, sl_error *err) {
    sl_fn_entry *e = calloc(1, sizeof *e);
    uint8_t *bytes = NULL;
    size_t len = 0;
    if (!e) {
        *status = SL_REG_ERROR;
        sl_errorf(err, SL_ERR_NOMEM, "out of memory");
        free(config_json);
        return NULL;
    }
    pthread_mutex_init(&e->lock, NULL);
    e->waiting_tail = &e->waiting;
    atomic_init(&e->refs, 1);
    e->config_json = config_json;
    memcpy(e->function, v->function, sizeof e->function);
    memcpy(e->sha256, v->sha256, sizeof e->sha256);
    e->config = v->config; /* take over the strings */
    memset(&v->config, 0, sizeof v->config);
    if ((*status = sl_registry_load_blob(c->reg, e->sha256, &bytes, &len, err))) goto fail;
    sl_error verr = {0};
    if (!(e->module = sl_module_new(c->engine, bytes, len, &verr))) {
        *status = SL_REG_ERROR;
        sl_errorf(err, SL_ERR_ARGUMENT, "cannot compile version %.12s of %s: %s", e->sha256,
                  e->function, verr.message);
        goto fail;
    }
    free(bytes);
    bytes = NULL;
    if (!(e->stats = sl_fnstats_get(c->stats, e->function))) {
        *status = SL_REG_ERROR;
        sl_errorf(err, SL_ERR_NOMEM, "out of memory");
        goto fail;
    }
    const sl_fn_config *fc = &e->config;
    e->invoke = (sl_invoke_config){
        .input = fc->input,
        .output = fc->output,
        .env = fc->env,
        .envc = fc->nenv,
        .timeout_ms = fc->timeout_ms,
        .memory_mib = fc->memory_mib,
        .max_response = fc->max_response ? (size_t)fc->max_response : SIZE_MAX,
        .max_log = 4096,
        .content_type = fc->content_type,
    };
    /* dirs: "HOST[::GUEST]", as `sluice run --dir` takes them */
    if (fc->ndirs) {
        sl_wasi_preopen *pre = calloc(fc->ndirs, sizeof *pre);
        e->invoke.preopens = pre;
        for (uint32_t i = 0; pre && i < fc->ndirs; i++, e->invoke.npreopens++) {
            char *host = strdup(fc->dirs[i]);
            if (!host) break;
            char *sep = strstr(host, "::");
            if (sep) *sep = 0;
            pre[i] = (sl_wasi_preopen){.host_path = host, .guest_path = sep ? sep + 2 : host};
        }
        if (!pre || e->invoke.npreopens != fc->ndirs) {
            *status = SL_REG_ERROR;
            sl_errorf(err, SL_ERR_NOMEM, "out of memory");
            goto fail;
        }
    }
    /* invoke.env is freed with the entry: make it a copy of the array, not of the strings */
    if (fc->nenv) {
        const char **env = malloc(fc->nenv * sizeof *env);
        if (!env) {
            *status = SL_REG_ERROR;
            sl_errorf(err, SL_ERR_NOMEM, "out of memory");
            goto fail;
        }
        memcpy(env, fc->env, fc->nenv * sizeof *env);
        e->invoke.env = env;
    } else {
        e->invoke.env = NULL;
    }
    return e;
fail:
    free(bytes);
    e->invoke.env = NULL; /* not yet a copy here */
    entry_free(e);
    return NULL;
}

sl_fn_entry *sl_fncache_get(sl_fncache *c, const char *ref, sl_reg_status *status, sl_error *err) {
    uint64_t gen = sl_registry_generation(c->reg);
    pthread_mutex_lock(&c->lock);
    ref_slot *slot = NULL;
    for (size_t i = 0; i < c->nslots; i++)
        if (strcmp(c->slots[i].ref, ref) == 0) {
            slot = &c->slots[i];
            break;
        }
    if (slot && slot->generation == gen) {
        sl_fn_entry *e = slot->entry;
        atomic_fetch_add(&e->refs, 1);
        pthread_mutex_unlock(&c->lock);
        return e;
    }
    pthread_mutex_unlock(&c->lock);

    sl_fn_version v;
    if ((*status = sl_registry_resolve(c->reg, ref, &v, err))) return NULL;
    char *json = sl_fn_config_to_json(&v.config);
    if (!json) {
        sl_fn_version_clear(&v);
        *status = SL_REG_ERROR;
        sl_errorf(err, SL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    /* An entry for the same version and config may exist (another ref, or an older
     * generation): reuse it, so workers keep their warm instances. */
    sl_fn_entry *found = NULL;
    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; i < c->nentries && !found; i++) {
        sl_fn_entry *e = c->entries[i];
        if (!strcmp(e->function, v.function) && !strcmp(e->sha256, v.sha256) &&
            !strcmp(e->config_json, json))
            found = e;
    }
    if (found) atomic_fetch_add(&found->refs, 1);
    pthread_mutex_unlock(&c->lock);
    if (found) {
        free(json);
    } else if (!(found = entry_new(c, &v, json, status, err))) {
        sl_fn_version_clear(&v);
        return NULL;
    }
    sl_fn_version_clear(&v);

    /* Record it: the cache's references are one per slot plus one in entries[]. Another
     * thread may have built an entry for the same version and config meanwhile: then that
     * one wins, so a version never has two entries (each would count its own concurrency). */
    pthread_mutex_lock(&c->lock);
    bool listed = false;
    for (size_t i = 0; i < c->nentries && !listed; i++) {
        sl_fn_entry *e = c->entries[i];
        if (e != found && !strcmp(e->function, found->function) &&
            !strcmp(e->sha256, found->sha256) && !strcmp(e->config_json, found->config_json)) {
            sl_fn_entry_release(found);
            found = e;
            atomic_fetch_add(&found->refs, 1);
        }
        listed = c->entries[i] == found;
    }
    if (!listed && sl_grow(&c->entries, &c->ecap, c->nentries + 1, sizeof *c->entries)) {
        atomic_fetch_add(&found->refs, 1);
        c->entries[c->nentries++] = found;
        listed = true;
    }
    slot = NULL;
    for (size_t i = 0; i < c->nslots; i++)
        if (strcmp(c->slots[i].ref, ref) == 0) slot = &c->slots[i];
    if (!slot && c->nslots == MAX_REFS) clear_slots(c);
    if (!slot && sl_grow(&c->slots, &c->cap, c->nslots + 1, sizeof *c->slots)) {
        char *copy = strdup(ref);
        if (copy) {
            slot = &c->slots[c->nslots++];
            *slot = (ref_slot){.ref = copy};
        }
    }
    if (slot && listed) {
        sl_fn_entry *old = slot->entry;
        atomic_fetch_add(&found->refs, 1);
        slot->entry = found;
        slot->generation = gen;
        sl_fn_entry_release(old);
        if (old && old != found) retire_unused(c);
    }
    pthread_mutex_unlock(&c->lock);
    return found;
}
