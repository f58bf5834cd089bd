/* args_env.c - args_* and environ_*: copying the configured string lists into the guest. */
#include "wasi/wasi_impl.h"

/* The count and total size (with NULs) of a string list. */
static int sizes(const wasi_mem *m, char **list, uint32_t n, uint32_t count_ptr,
                 uint32_t size_ptr) {
    uint64_t total = 0;
    for (uint32_t i = 0; i < n; i++)
        total += strlen(list[i]) + 1;
    if (total > UINT32_MAX) return W_EOVERFLOW;
    if (!mem_ok(m, count_ptr, 4) || !mem_ok(m, size_ptr, 4)) return W_EFAULT;
    put_u32(mem_at(m, count_ptr), n);
    put_u32(mem_at(m, size_ptr), (uint32_t)total);
    return W_ESUCCESS;
}

/* Write n pointers at ptrs_ptr and the strings themselves at buf_ptr, checking the whole of
 * both areas before touching either. */
static int copy_out(const wasi_mem *m, char **list, uint32_t n, uint32_t ptrs_ptr,
                    uint32_t buf_ptr) {
    uint64_t total = 0;
    for (uint32_t i = 0; i < n; i++)
        total += strlen(list[i]) + 1;
    if (!mem_ok(m, ptrs_ptr, (uint64_t)n * 4) || !mem_ok(m, buf_ptr, total)) return W_EFAULT;
    uint32_t at = buf_ptr;
    for (uint32_t i = 0; i < n; i++) {
        size_t len = strlen(list[i]) + 1;
        put_u32(mem_at(m, ptrs_ptr + 4 * i), at);
        memcpy(mem_at(m, at), list[i], len);
        at += (uint32_t)len;
    }
    return W_ESUCCESS;
}

WASI_FN(args_sizes_get) {
    wasi_mem m = wasi_mem_of(c);
    return sizes(&m, w->argv, w->argc, a[0].u32, a[1].u32);
}

WASI_FN(args_get) {
    wasi_mem m = wasi_mem_of(c);
    return copy_out(&m, w->argv, w->argc, a[0].u32, a[1].u32);
}

WASI_FN(environ_sizes_get) {
    wasi_mem m = wasi_mem_of(c);
    return sizes(&m, w->env, w->envc, a[0].u32, a[1].u32);
}

WASI_FN(environ_get) {
    wasi_mem m = wasi_mem_of(c);
    return copy_out(&m, w->env, w->envc, a[0].u32, a[1].u32);
}
