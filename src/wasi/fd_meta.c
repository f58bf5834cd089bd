/* fd_meta.c - descriptor state and metadata: close, renumber, fdstat, filestat, sync,
 * advise, allocate, and the prestat calls that tell wasi-libc about preopens. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "wasi/wasi_impl.h"

static uint64_t ts_ns(struct timespec ts) {
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* filestat: dev@0 ino@8 filetype@16 nlink@24 size@32 atim@40 mtim@48 ctim@56, 64 bytes. */
void wasi_put_filestat(uint8_t *p, const struct stat *st) {
    memset(p, 0, 64);
    put_u64(p, (uint64_t)st->st_dev);
    put_u64(p + 8, (uint64_t)st->st_ino);
    p[16] = wasi_filetype_of(st->st_mode);
    put_u64(p + 24, (uint64_t)st->st_nlink);
    put_u64(p + 32, (uint64_t)st->st_size);
    put_u64(p + 40, ts_ns(st->st_atim));
    put_u64(p + 48, ts_ns(st->st_mtim));
    put_u64(p + 56, ts_ns(st->st_ctim));
}

int wasi_times(uint64_t atim, uint64_t mtim, uint32_t fst, struct timespec ts[2]) {
    if ((fst & W_FST_ATIM && fst & W_FST_ATIM_NOW) || (fst & W_FST_MTIM && fst & W_FST_MTIM_NOW) ||
        fst > 15)
        return W_EINVAL;
    const uint64_t t[2] = {atim, mtim};
    for (int i = 0; i < 2; i++) {
        uint32_t set = i ? W_FST_MTIM : W_FST_ATIM, now = i ? W_FST_MTIM_NOW : W_FST_ATIM_NOW;
        if (fst & now) {
            ts[i] = (struct timespec){0, UTIME_NOW};
        } else if (fst & set) {
            ts[i].tv_sec = (time_t)(t[i] / 1000000000u);
            ts[i].tv_nsec = (long)(t[i] % 1000000000u);
        } else {
            ts[i] = (struct timespec){0, UTIME_OMIT};
        }
    }
    return W_ESUCCESS;
}

WASI_FN(fd_close) {
    (void)c;
    int e;
    wasi_fd *f = wasi_fd_get(w, a[0].u32, 0, &e);
    if (!f) return e;
    wasi_fd_release(f);
    return W_ESUCCESS;
}

/* Move `from` onto `to`, closing what `to` held. Both must be open. */
WASI_FN(fd_renumber) {
    (void)c;
    uint32_t from = a[0].u32, to = a[1].u32;
    int e;
    wasi_fd *f = wasi_fd_get(w, from, 0, &e), *t = wasi_fd_get(w, to, 0, &e);
    if (!f || !t) return W_EBADF;
    if (f == t) return W_ESUCCESS;
    wasi_fd_release(t);
    *t = *f;
    *f = (wasi_fd){.used = false, .host = -1};
    return W_ESUCCESS;
}

/* fdstat: filetype@0 flags@2 rights_base@8 rights_inheriting@16, 24 bytes. */
WASI_FN(fd_fdstat_get) {
    int e;
    wasi_fd *f = wasi_fd_get(w, a[0].u32, 0, &e);
    if (!f) return e;
    wasi_mem m = wasi_mem_of(c);
    if (!mem_ok(&m, a[1].u32, 24)) return W_EFAULT;
    uint8_t *p = mem_at(&m, a[1].u32);
    memset(p, 0, 24);
    p[0] = f->filetype;
    put_u16(p + 2, f->flags);
    put_u64(p + 8, f->rights);
    put_u64(p + 16, f->inheriting);
    return W_ESUCCESS;
}

/* Only append and nonblock can change on an open file description (as with fcntl). */
WASI_FN(fd_fdstat_set_flags) {
    (void)c;
    uint32_t flags = a[1].u32;
    int e;
    wasi_fd *f = wasi_fd_get(w, a[0].u32, R_FD_FDSTAT_SET_FLAGS, &e);
    if (!f) return e;
    if (flags &
        ~(W_FDFLAG_APPEND | W_FDFLAG_NONBLOCK | W_FDFLAG_DSYNC | W_FDFLAG_RSYNC | W_FDFLAG_SYNC))
        return W_EINVAL;
    if (flags & (W_FDFLAG_DSYNC | W_FDFLAG_RSYNC | W_FDFLAG_SYNC)) return W_ENOTSUP;
    if (f->kind != WFD_HOST) {
        if (flags == (f->flags & (W_FDFLAG_APPEND | W_FDFLAG_NONBLOCK))) return W_ESUCCESS;
        return W_ENOTSUP;
    }
    int fl = fcntl(f->host, F_GETFL);
    if (fl < 0) return wasi_errno(errno);
    fl &= ~(O_APPEND | O_NONBLOCK);
    if (flags & W_FDFLAG_APPEND) fl |= O_APPEND;
    if (flags & W_FDFLAG_NONBLOCK) fl |= O_NONBLOCK;
    if (fcntl(f->host, F_SETFL, fl) != 0) return wasi_errno(errno);
    f->flags = (uint16_t)((f->flags & ~(W_FDFLAG_APPEND | W_FDFLAG_NONBLOCK)) | flags);
    return W_ESUCCESS;
}

/* Rights can only be dropped, never gained. */
WASI_FN(fd_fdstat_set_rights) {
    (void)c;
    uint64_t base = a[1].u64, inheriting = a[2].u64;
    int e;
    wasi_fd *f = wasi_fd_get(w, a[0].u32, 0, &e);
    if (!f) return e;
    if ((base & ~f->rights) || (inheriting & ~f->inheriting)) return W_ENOTCAPABLE;
    f->rights = base;
    f->inheriting = inheriting;
    return W_ESUCCESS;
}

WASI_FN(fd_filestat_get) {
    int e;
    wasi_fd *f = wasi_fd_get(w, a[0].u32, R_FD_FILESTAT_GET, &e);
    if (!f) return e;
    wasi_mem m = wasi_mem_of(c);
    if (!mem_ok(&m, a[1].u32, 64)) return W_EFAULT;
    uint8_t *p = mem_at(&m, a[1].u32);
    if (f->kind != WFD_HOST) {
        memset(p, 0, 64);
        p[16] = f->filetype;
        if (f->kind == WFD_INBUF) put_u64(p + 32, f->buf->len - f->buf->pos);
        if (f->kind == WFD_OUTBUF) put_u64(p + 32, f->buf->len);
        return W_ESUCCESS;
    }
    struct stat st;
    if (fstat(f->host, &st) != 0) return wasi_errno(errno);
    wasi_put_filestat(p, &st);
    return W_ESUCCESS;
}

WASI_FN(fd_filestat_set_size) {
    (void)c;
    int e;
    wasi_fd *f = wasi_fd_get(w, a[0].u32, R_FD_FILESTAT_SET_SIZE, &e);
    if (!f) return e;
    if (a[1].i64 < 0) return W_EINVAL;
    if (f->kind != WFD_HOST) return W_EINVAL;
    if (ftruncate(f->host, a[1].i64) != 0) return wasi_errno(errno);
    return W_ESUCCESS;
}

WASI_FN(fd_filestat_set_times) {
    (void)c;
    int e;
    wasi_fd *f = wasi_fd_get(w, a[0].u32, R_FD_FILESTAT_SET_TIMES, &e);
    if (!f) return e;
    struct timespec ts[2];
    if ((e = wasi_times(a[1].u64, a[2].u64, a[3].u32, ts))) return e;
    if (f->kind != WFD_HOST) return W_EINVAL;
    if (futimens(f->host, ts) != 0) return wasi_errno(errno);
    return W_ESUCCESS;
}

static int do_sync(sl_wasi *w, uint32_t fd, uint64_t right, bool data_only) {
    int e;
    wasi_fd *f = wasi_fd_get(w, fd, right, &e);
    if (!f) return e;
    if (f->kind != WFD_HOST) return W_EINVAL;
    if ((data_only ? fdatasync(f->host) : fsync(f->host)) != 0) return wasi_errno(errno);
    return W_ESUCCESS;
}

WASI_FN(fd_sync) {
    (void)c;
    return do_sync(w, a[0].u32, R_FD_SYNC, false);
}

WASI_FN(fd_datasync) {
    (void)c;
    return do_sync(w, a[0].u32, R_FD_DATASYNC, true);
}

WASI_FN(fd_advise) {
    (void)c;
    static const int advice[] = {POSIX_FADV_NORMAL,   POSIX_FADV_SEQUENTIAL, POSIX_FADV_RANDOM,
                                 POSIX_FADV_WILLNEED, POSIX_FADV_DONTNEED,   POSIX_FADV_NOREUSE};
    int e;
    wasi_fd *f = wasi_fd_get(w, a[0].u32, R_FD_ADVISE, &e);
    if (!f) return e;
    if (a[1].i64 < 0 || a[2].i64 < 0 || a[3].u32 > 5) return W_EINVAL;
    if (f->kind != WFD_HOST) return W_ESPIPE;
    /* Advice is only a hint: a file system that ignores it is still a success. */
    int r = posix_fadvise(f->host, a[1].i64, a[2].i64, advice[a[3].u32]);
    return r == ESPIPE || r == EBADF ? wasi_errno(r) : W_ESUCCESS;
}

WASI_FN(fd_allocate) {
    (void)c;
    int e;
    wasi_fd *f = wasi_fd_get(w, a[0].u32, R_FD_ALLOCATE, &e);
    if (!f) return e;
    if (a[1].i64 < 0 || a[2].i64 <= 0 || a[1].i64 > INT64_MAX - a[2].i64) return W_EINVAL;
    if (f->kind != WFD_HOST) return W_ESPIPE;
    int r = posix_fallocate(f->host, a[1].i64, a[2].i64); /* returns the error, not -1 */
    return r ? wasi_errno(r) : W_ESUCCESS;
}

/* prestat: tag@0 (0 = directory), name_len@4, 8 bytes. */
WASI_FN(fd_prestat_get) {
    int e;
    wasi_fd *f = wasi_fd_get(w, a[0].u32, 0, &e);
    if (!f) return e;
    if (!f->preopen) return W_EBADF; /* wasi-libc scans upward from 3 until EBADF */
    wasi_mem m = wasi_mem_of(c);
    if (!mem_ok(&m, a[1].u32, 8)) return W_EFAULT;
    uint8_t *p = mem_at(&m, a[1].u32);
    memset(p, 0, 8);
    put_u32(p + 4, (uint32_t)strlen(f->preopen));
    return W_ESUCCESS;
}

WASI_FN(fd_prestat_dir_name) {
    int e;
    wasi_fd *f = wasi_fd_get(w, a[0].u32, 0, &e);
    if (!f) return e;
    if (!f->preopen) return W_EBADF;
    size_t len = strlen(f->preopen);
    if (a[2].u32 < len) return W_ENAMETOOLONG;
    wasi_mem m = wasi_mem_of(c);
    if (!mem_ok(&m, a[1].u32, len)) return W_EFAULT;
    if (len) memcpy(mem_at(&m, a[1].u32), f->preopen, len);
    return W_ESUCCESS;
}
