/* clock_random.c - clock_res_get, clock_time_get and random_get. */
#include <errno.h>
#include <sys/random.h>
#include <time.h>

#include "wasi/wasi_impl.h"

/* WASI clock ids 0..3 are realtime, monotonic, process and thread CPU time. */
static int host_clock(uint32_t id, clockid_t *out) {
    static const clockid_t ids[] = {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID,
                                    CLOCK_THREAD_CPUTIME_ID};
    if (id >= sizeof ids / sizeof ids[0]) return W_EINVAL;
    *out = ids[id];
    return W_ESUCCESS;
}

int wasi_clock_now(uint32_t id, uint64_t *ns) {
    clockid_t cid;
    struct timespec ts;
    int e = host_clock(id, &cid);
    if (e) return e;
    if (clock_gettime(cid, &ts) != 0) return wasi_errno(errno);
    *ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    return W_ESUCCESS;
}

WASI_FN(clock_res_get) {
    (void)w;
    clockid_t cid;
    struct timespec ts;
    int e = host_clock(a[0].u32, &cid);
    if (e) return e;
    if (clock_getres(cid, &ts) != 0) return wasi_errno(errno);
    wasi_mem m = wasi_mem_of(c);
    uint64_t ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    return mem_put_u64(&m, a[1].u32, ns) ? W_ESUCCESS : W_EFAULT;
}

WASI_FN(clock_time_get) {
    (void)w;
    uint64_t ns; /* a[1] is the requested precision, which the host clocks already beat */
    int e = wasi_clock_now(a[0].u32, &ns);
    if (e) return e;
    wasi_mem m = wasi_mem_of(c);
    return mem_put_u64(&m, a[2].u32, ns) ? W_ESUCCESS : W_EFAULT;
}

WASI_FN(random_get) {
    (void)w;
    wasi_mem m = wasi_mem_of(c);
    uint32_t ptr = a[0].u32, len = a[1].u32;
    if (!mem_ok(&m, ptr, len)) return W_EFAULT;
    uint8_t *p = mem_at(&m, ptr);
    while (len > 0) {
        ssize_t n = getrandom(p, len, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            return wasi_errno(errno);
        }
        p += n;
        len -= (uint32_t)n;
    }
    return W_ESUCCESS;
}
