/* pool.c - reusing the address space of freed stores and memories.
 *
 * Instantiating a module in a fresh store maps a value stack, a frame stack and an 8 GiB
 * memory reservation, and freeing the store unmaps them: seven system calls and a page
 * fault for every page touched again. Serving one request per store makes that the main
 * cost of a short call, so freed regions go to a small per-engine pool instead, and are
 * taken back by size. A memory's pages are zeroed before they are pooled; stacks need no
 * zeroing, since a frame's locals are zeroed on entry and its temporaries are always
 * written before they are read. */
#include <string.h>
#include <sys/mman.h>

#include "vm/runtime.h"

bool sl_pool_take(sl_engine *e, size_t size, sl_region *out) {
    bool found = false;
    pthread_mutex_lock(&e->pool_lock);
    for (uint32_t i = 0; i < e->npool; i++) {
        if (e->pool[i].size == size) {
            *out = e->pool[i];
            e->pool[i] = e->pool[--e->npool];
            found = true;
            break;
        }
    }
    pthread_mutex_unlock(&e->pool_lock);
    return found;
}

void sl_pool_give(sl_engine *e, sl_region r) {
    pthread_mutex_lock(&e->pool_lock);
    bool kept = e->npool < SL_POOL_MAX;
    if (kept) e->pool[e->npool++] = r;
    pthread_mutex_unlock(&e->pool_lock);
    if (!kept) munmap(r.base, r.size);
}

void sl_pool_free(sl_engine *e) {
    for (uint32_t i = 0; i < e->npool; i++)
        munmap(e->pool[i].base, e->pool[i].size);
    e->npool = 0;
}

/* Zero the first `len` bytes of a private anonymous mapping: small regions by hand, large
 * ones by dropping their pages (they come back zero-filled when touched). */
void sl_zero_pages(uint8_t *base, size_t len) {
    if (len <= (1u << 20))
        memset(base, 0, len);
    else if (madvise(base, len, MADV_DONTNEED) != 0)
        memset(base, 0, len);
}
