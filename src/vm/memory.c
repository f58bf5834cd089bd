/* memory.c - linear memories.
 *
 * In guard mode (the default) a 32-bit memory reserves 8 GiB of address space: any address
 * the guest can form (a 32-bit index plus a 32-bit static offset) lands inside the
 * reservation, so the interpreter needs no bounds check and an access past the accessible
 * size faults on a PROT_NONE page (traps.c turns the fault into a trap). Growing makes more
 * pages accessible in place; the base never moves.
 *
 * In explicit mode the memory is an ordinary allocation sized to the current pages, and the
 * interpreter checks every access. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "vm/runtime.h"

#define GUARD_RESERVATION ((size_t)8 << 30) /* 4 GiB index + 4 GiB offset */
#define GUARD_SLACK       ((size_t)1 << 16) /* the access width beyond both */

static uint32_t effective_max(sl_store *store, sl_limits limits) {
    uint32_t max = limits.has_max ? limits.max : SL_MAX_PAGES;
    uint32_t cap = store->limits.max_memory_pages;
    return max < cap ? max : cap;
}

sl_memory *sl_memory_create(sl_store *store, sl_limits limits, sl_error *err) {
    uint32_t max = effective_max(store, limits);
    if (limits.min > max) {
        sl_fail(err, SL_ERR_LIMIT, -1, "memory of %u pages exceeds the limit of %u pages",
                limits.min, max);
        return NULL;
    }
    sl_memory *m = calloc(1, sizeof *m);
    if (!m) goto nomem;
    m->store = store;
    m->type = limits;
    m->max_pages = max;
    m->pages = limits.min;
    m->size = (uint64_t)limits.min * SL_PAGE_SIZE;
    if (!store->engine->config.explicit_bounds_checks) {
        m->reserved = GUARD_RESERVATION + GUARD_SLACK;
        m->guarded = true;
        sl_region r;
        if (sl_pool_take(store->engine, m->reserved, &r)) {
            /* a pooled reservation: zero and accessible up to r.rw; fit that to our size */
            m->base = r.base;
            int rc = 0;
            if (r.rw > m->size)
                rc = mprotect(m->base + m->size, r.rw - m->size, PROT_NONE);
            else if (r.rw < m->size)
                rc = mprotect(m->base + r.rw, m->size - r.rw, PROT_READ | PROT_WRITE);
            if (rc != 0) {
                munmap(r.base, r.size);
                goto nomem;
            }
        } else {
            void *p = mmap(NULL, m->reserved, PROT_NONE,
                           MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
            if (p == MAP_FAILED) goto nomem;
            m->base = p;
            if (m->size && mprotect(m->base, m->size, PROT_READ | PROT_WRITE) != 0) {
                munmap(p, m->reserved);
                goto nomem;
            }
        }
        sl_traps_init();
    } else {
        /* At least one byte so that base is never NULL (host code may take &base[0]). */
        m->reserved = m->size ? m->size : 1;
        m->base = calloc(1, m->reserved);
        if (!m->base) goto nomem;
    }
    m->next_in_store = store->memories;
    store->memories = m;
    return m;
nomem:
    free(m);
    sl_fail(err, SL_ERR_NOMEM, -1, "cannot allocate a memory of %u pages", limits.min);
    return NULL;
}

int64_t sl_memory_grow_pages(sl_memory *m, uint32_t delta) {
    uint32_t old = m->pages;
    if (delta == 0) return old;
    if (delta > m->max_pages || old > m->max_pages - delta) return -1;
    uint64_t new_size = (uint64_t)(old + delta) * SL_PAGE_SIZE;
    if (m->guarded) {
        if (mprotect(m->base + m->size, new_size - m->size, PROT_READ | PROT_WRITE) != 0) return -1;
    } else {
        uint8_t *p = realloc(m->base, new_size);
        if (!p) return -1;
        memset(p + m->size, 0, new_size - m->size);
        m->base = p;
        m->reserved = new_size;
    }
    m->size = new_size;
    m->pages = old + delta;
    return old;
}

void sl_memory_destroy(sl_engine *engine, sl_memory *m) {
    if (m->guarded) {
        sl_zero_pages(m->base, m->size);
        sl_pool_give(engine, (sl_region){.base = m->base, .size = m->reserved, .rw = m->size});
    } else
        free(m->base);
    free(m);
}

/* ---- public API ---- */

uint8_t *sl_memory_data(sl_memory *m) {
    return m->base;
}
uint64_t sl_memory_size(const sl_memory *m) {
    return m->size;
}
int64_t sl_memory_grow(sl_memory *m, uint32_t pages) {
    return sl_memory_grow_pages(m, pages);
}

bool sl_memory_read(const sl_memory *m, uint64_t off, void *dst, size_t len) {
    if (off > m->size || len > m->size - off) return false;
    memcpy(dst, m->base + off, len);
    return true;
}

bool sl_memory_write(sl_memory *m, uint64_t off, const void *src, size_t len) {
    if (off > m->size || len > m->size - off) return false;
    memcpy(m->base + off, src, len);
    return true;
}

sl_memory *sl_memory_new(sl_store *store, sl_limits limits, sl_error *err) {
    return sl_memory_create(store, limits, err);
}
