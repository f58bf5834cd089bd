/* fd_io.c - moving bytes: fd_read, fd_write, fd_pread, fd_pwrite, fd_seek, fd_tell, for host
 * descriptors, in-memory stdio buffers and the null device. */
#include <errno.h>
#include <stdlib.h>
#include <sys/uio.h>
#include <unistd.h>

#include "wasi/wasi_impl.h"

/* Longer iovec lists and larger totals are cut short, which the API allows (a short read
 * or write); Linux itself never moves more than 0x7ffff000 bytes in one call. */
#define MAX_IOVS  1024
#define MAX_TOTAL 0x7ffff000u

/* Turn the guest's (c)iovec array into host iovecs pointing into guest memory, checking
 * every buffer. *total gets the sum of the lengths. */
static int load_iovs(const wasi_mem *m, uint32_t iovs, uint32_t n, struct iovec *out, int *count,
                     size_t *total) {
    if (n > MAX_IOVS) n = MAX_IOVS;
    if (!mem_ok(m, iovs, (uint64_t)n * 8)) return W_EFAULT;
    size_t sum = 0;
    int k = 0;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *e = mem_at(m, iovs + 8 * i);
        uint32_t ptr = get_u32(e), len = get_u32(e + 4);
        if (!mem_ok(m, ptr, len)) return W_EFAULT;
        if (len > MAX_TOTAL - sum) len = (uint32_t)(MAX_TOTAL - sum);
        out[k].iov_base = len ? mem_at(m, ptr) : NULL;
        out[k].iov_len = len;
        k++;
        sum += len;
    }
    *count = k;
    *total = sum;
    return W_ESUCCESS;
}

static size_t buf_read(wasi_buf *b, const struct iovec *iov, int n) {
    size_t done = 0;
    for (int i = 0; i < n && b->pos < b->len; i++) {
        size_t k = b->len - b->pos;
        if (k > iov[i].iov_len) k = iov[i].iov_len;
        if (k) memcpy(iov[i].iov_base, b->data + b->pos, k);
        b->pos += k;
        done += k;
    }
    return done;
}

/* Append to a capture buffer; once `max` bytes are held, a write fails with EFBIG (as
 * exceeding RLIMIT_FSIZE does), after a short write that fills it up. */
static int buf_write(wasi_buf *b, const struct iovec *iov, int n, size_t total, size_t *done) {
    size_t room = b->max - b->len;
    if (total > 0 && room == 0) return W_EFBIG;
    size_t want = total < room ? total : room;
    if (b->len + want > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + want)
            cap = cap > SIZE_MAX / 2 ? SIZE_MAX : cap * 2;
        if (cap > b->max) cap = b->max;
        uint8_t *data = realloc(b->data, cap);
        if (!data) return W_ENOMEM;
        b->data = data;
        b->cap = cap;
    }
    size_t left = want;
    for (int i = 0; i < n && left; i++) {
        size_t k = iov[i].iov_len < left ? iov[i].iov_len : left;
        if (k) memcpy(b->data + b->len, iov[i].iov_base, k);
        b->len += k;
        left -= k;
    }
    *done = want;
    return W_ESUCCESS;
}

/* Shared body of the four read/write calls. offset < 0 means "at the current position". */
static int transfer(sl_wasi *w, sl_caller *c, uint32_t fd, uint32_t iovs, uint32_t niovs,
                    int64_t offset, uint32_t result_ptr, bool writing) {
    uint64_t need = writing ? R_FD_WRITE : R_FD_READ;
    if (offset >= 0) need |= R_FD_SEEK;
    int e;
    wasi_fd *f = wasi_fd_get(w, fd, need, &e);
    if (!f) return e;
    wasi_mem m = wasi_mem_of(c);
    if (!mem_ok(&m, result_ptr, 4)) return W_EFAULT;
    struct iovec iov[MAX_IOVS];
    int n;
    size_t total, done = 0;
    if ((e = load_iovs(&m, iovs, niovs, iov, &n, &total))) return e;
    if (offset >= 0 && f->kind != WFD_HOST) return W_ESPIPE;
    switch (f->kind) {
    case WFD_HOST:
        for (;;) {
            ssize_t r;
            if (writing)
                r = offset >= 0 ? pwritev(f->host, iov, n, offset) : writev(f->host, iov, n);
            else
                r = offset >= 0 ? preadv(f->host, iov, n, offset) : readv(f->host, iov, n);
            if (r >= 0) {
                done = (size_t)r;
                break;
            }
            if (errno != EINTR) return wasi_errno(errno);
        }
        break;
    case WFD_NULL: done = writing ? total : 0; break;
    case WFD_INBUF:
        if (writing) return W_EBADF;
        done = buf_read(f->buf, iov, n);
        break;
    case WFD_OUTBUF:
        if (!writing) return W_EBADF;
        if ((e = buf_write(f->buf, iov, n, total, &done))) return e;
        break;
    }
    put_u32(mem_at(&m, result_ptr), (uint32_t)done);
    return W_ESUCCESS;
}

WASI_FN(fd_read) {
    return transfer(w, c, a[0].u32, a[1].u32, a[2].u32, -1, a[3].u32, false);
}
WASI_FN(fd_write) {
    return transfer(w, c, a[0].u32, a[1].u32, a[2].u32, -1, a[3].u32, true);
}

WASI_FN(fd_pread) {
    if (a[3].i64 < 0) return W_EINVAL; /* offsets are u64; past INT64_MAX is never valid */
    return transfer(w, c, a[0].u32, a[1].u32, a[2].u32, a[3].i64, a[4].u32, false);
}

WASI_FN(fd_pwrite) {
    if (a[3].i64 < 0) return W_EINVAL;
    return transfer(w, c, a[0].u32, a[1].u32, a[2].u32, a[3].i64, a[4].u32, true);
}

WASI_FN(fd_seek) {
    int64_t offset = a[1].i64;
    uint32_t whence = a[2].u32, result_ptr = a[3].u32;
    static const int host_whence[] = {SEEK_SET, SEEK_CUR, SEEK_END};
    if (whence > 2) return W_EINVAL;
    /* Asking for the position alone needs only the tell right. */
    uint64_t need = (whence == 1 && offset == 0) ? R_FD_TELL : R_FD_SEEK;
    int e;
    wasi_fd *f = wasi_fd_get(w, a[0].u32, need, &e);
    if (!f) return e;
    wasi_mem m = wasi_mem_of(c);
    if (!mem_ok(&m, result_ptr, 8)) return W_EFAULT;
    if (f->kind != WFD_HOST) return W_ESPIPE;
    off_t pos = lseek(f->host, offset, host_whence[whence]);
    if (pos < 0) return wasi_errno(errno);
    put_u64(mem_at(&m, result_ptr), (uint64_t)pos);
    return W_ESUCCESS;
}

WASI_FN(fd_tell) {
    int e;
    wasi_fd *f = wasi_fd_get(w, a[0].u32, R_FD_TELL, &e);
    if (!f) return e;
    wasi_mem m = wasi_mem_of(c);
    if (!mem_ok(&m, a[1].u32, 8)) return W_EFAULT;
    if (f->kind != WFD_HOST) return W_ESPIPE;
    off_t pos = lseek(f->host, 0, SEEK_CUR);
    if (pos < 0) return wasi_errno(errno);
    put_u64(mem_at(&m, a[1].u32), (uint64_t)pos);
    return W_ESUCCESS;
}
