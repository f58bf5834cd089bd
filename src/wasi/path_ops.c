/* path_ops.c - the path_* calls. Each resolves its path(s) with wasi_path_resolve and then
 * acts on (parent directory, final name) with an *at() call that does not follow a final
 * symlink. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wasi/wasi_impl.h"

/* Resolve guest path (ptr, len) beneath directory descriptor `fd`, which needs `right`. */
static int resolve(sl_wasi *w, sl_caller *c, uint32_t fd, uint64_t right, uint32_t ptr,
                   uint32_t len, bool follow, wasi_path *out, wasi_fd **dir) {
    *out = (wasi_path){.dirfd = -1};
    int e;
    wasi_fd *f = wasi_fd_get(w, fd, right, &e);
    if (!f) return e;
    if (f->kind != WFD_HOST || f->filetype != W_FT_DIR) return W_ENOTDIR;
    wasi_mem m = wasi_mem_of(c);
    char *path = wasi_mem_path(&m, ptr, len, &e);
    if (!path) return e;
    e = wasi_path_resolve(f->host, path, len, follow, out);
    free(path);
    if (dir) *dir = f;
    return e;
}

/* A path written with a trailing slash must name a directory (when it names anything). */
static int check_trailing(const wasi_path *p) {
    struct stat st;
    if (p->trailing && fstatat(p->dirfd, p->name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        !S_ISDIR(st.st_mode))
        return W_ENOTDIR;
    return W_ESUCCESS;
}

/* Resolve, run `op` (a host call returning 0 or -1 with errno), free. */
#define PATH_OP(fd, right, ptr, len, follow, op)                                                   \
    do {                                                                                           \
        wasi_path p;                                                                               \
        int e_ = resolve(w, c, fd, right, ptr, len, follow, &p, NULL);                             \
        if (!e_) e_ = check_trailing(&p);                                                          \
        if (!e_ && (op) != 0) e_ = wasi_errno(errno);                                              \
        wasi_path_free(&p);                                                                        \
        return e_;                                                                                 \
    } while (0)

WASI_FN(path_create_directory) {
    PATH_OP(a[0].u32, R_PATH_CREATE_DIRECTORY, a[1].u32, a[2].u32, false,
            mkdirat(p.dirfd, p.name, 0777));
}

WASI_FN(path_remove_directory) {
    PATH_OP(a[0].u32, R_PATH_REMOVE_DIRECTORY, a[1].u32, a[2].u32, false,
            unlinkat(p.dirfd, p.name, AT_REMOVEDIR));
}

WASI_FN(path_unlink_file) {
    /* "file/" names no directory: check_trailing turns it into ENOTDIR first. */
    PATH_OP(a[0].u32, R_PATH_UNLINK_FILE, a[1].u32, a[2].u32, false, unlinkat(p.dirfd, p.name, 0));
}

WASI_FN(path_filestat_get) {
    wasi_mem m = wasi_mem_of(c);
    uint32_t buf = a[4].u32;
    if (!mem_ok(&m, buf, 64)) return W_EFAULT;
    struct stat st;
    wasi_path p;
    int e = resolve(w, c, a[0].u32, R_PATH_FILESTAT_GET, a[2].u32, a[3].u32,
                    a[1].u32 & W_LOOKUP_SYMLINK_FOLLOW, &p, NULL);
    if (!e) e = check_trailing(&p);
    if (!e && fstatat(p.dirfd, p.name, &st, AT_SYMLINK_NOFOLLOW) != 0) e = wasi_errno(errno);
    wasi_path_free(&p);
    if (e) return e;
    m = wasi_mem_of(c);
    wasi_put_filestat(mem_at(&m, buf), &st);
    return W_ESUCCESS;
}

WASI_FN(path_filestat_set_times) {
    struct timespec ts[2];
    int e = wasi_times(a[4].u64, a[5].u64, a[6].u32, ts);
    if (e) return e;
    PATH_OP(a[0].u32, R_PATH_FILESTAT_SET_TIMES, a[2].u32, a[3].u32,
            a[1].u32 & W_LOOKUP_SYMLINK_FOLLOW,
            utimensat(p.dirfd, p.name, ts, AT_SYMLINK_NOFOLLOW));
}

WASI_FN(path_link) {
    wasi_path from, to;
    int e = resolve(w, c, a[0].u32, R_PATH_LINK_SOURCE, a[2].u32, a[3].u32,
                    a[1].u32 & W_LOOKUP_SYMLINK_FOLLOW, &from, NULL);
    if (!e) e = check_trailing(&from);
    if (!e)
        e = resolve(w, c, a[4].u32, R_PATH_LINK_TARGET, a[5].u32, a[6].u32, false, &to, NULL);
    else
        to = (wasi_path){.dirfd = -1};
    if (!e && to.trailing) e = W_ENOENT;
    if (!e && linkat(from.dirfd, from.name, to.dirfd, to.name, 0) != 0) e = wasi_errno(errno);
    wasi_path_free(&from);
    wasi_path_free(&to);
    return e;
}

WASI_FN(path_rename) {
    wasi_path from, to;
    int e = resolve(w, c, a[0].u32, R_PATH_RENAME_SOURCE, a[1].u32, a[2].u32, false, &from, NULL);
    if (!e)
        e = resolve(w, c, a[3].u32, R_PATH_RENAME_TARGET, a[4].u32, a[5].u32, false, &to, NULL);
    else
        to = (wasi_path){.dirfd = -1};
    /* A trailing slash on either side means the source must be a directory. */
    if (!e && to.trailing) from.trailing = true;
    if (!e) e = check_trailing(&from);
    if (!e && renameat(from.dirfd, from.name, to.dirfd, to.name) != 0) e = wasi_errno(errno);
    wasi_path_free(&from);
    wasi_path_free(&to);
    return e;
}

WASI_FN(path_symlink) {
    wasi_mem m = wasi_mem_of(c);
    int e;
    char *target = wasi_mem_path(&m, a[0].u32, a[1].u32, &e);
    if (!target) return e;
    /* An absolute target could never be followed inside the sandbox, but it could mislead
     * host software later, so it is refused outright. */
    if (target[0] == '/') {
        free(target);
        return W_ENOTCAPABLE;
    }
    wasi_path p;
    e = resolve(w, c, a[2].u32, R_PATH_SYMLINK, a[3].u32, a[4].u32, false, &p, NULL);
    if (!e && p.trailing) e = W_ENOENT;
    if (!e && symlinkat(target, p.dirfd, p.name) != 0) e = wasi_errno(errno);
    wasi_path_free(&p);
    free(target);
    return e;
}

WASI_FN(path_readlink) {
    uint32_t buf = a[3].u32, buf_len = a[4].u32, used_ptr = a[5].u32;
    wasi_mem m = wasi_mem_of(c);
    if (!mem_ok(&m, buf, buf_len) || !mem_ok(&m, used_ptr, 4)) return W_EFAULT;
    char target[PATH_MAX + 1];
    ssize_t n = -1;
    wasi_path p;
    int e = resolve(w, c, a[0].u32, R_PATH_READLINK, a[1].u32, a[2].u32, false, &p, NULL);
    if (!e && (n = readlinkat(p.dirfd, p.name, target, sizeof target)) < 0) e = wasi_errno(errno);
    wasi_path_free(&p);
    if (e) return e;
    /* Like readlink(2), a short buffer gets a truncated target. */
    size_t k = (size_t)n < buf_len ? (size_t)n : buf_len;
    m = wasi_mem_of(c);
    if (k) memcpy(mem_at(&m, buf), target, k);
    put_u32(mem_at(&m, used_ptr), (uint32_t)k);
    return W_ESUCCESS;
}

WASI_FN(path_open) {
    uint32_t lookup = a[1].u32, oflags = a[4].u32, fdflags = a[7].u32, result_ptr = a[8].u32;
    uint64_t base = a[5].u64, inheriting = a[6].u64;
    wasi_mem m = wasi_mem_of(c);
    if (!mem_ok(&m, result_ptr, 4)) return W_EFAULT;
    if (oflags & ~15u || fdflags & ~31u) return W_EINVAL;
    uint64_t need = R_PATH_OPEN;
    if (oflags & W_O_CREAT) need |= R_PATH_CREATE_FILE;
    if (oflags & W_O_TRUNC) need |= R_PATH_FILESTAT_SET_SIZE;

    int flags = O_CLOEXEC | O_NOFOLLOW;
    if (oflags & W_O_CREAT) flags |= O_CREAT;
    if (oflags & W_O_DIRECTORY) flags |= O_DIRECTORY;
    if (oflags & W_O_EXCL) flags |= O_EXCL;
    if (oflags & W_O_TRUNC) flags |= O_TRUNC;
    if (fdflags & W_FDFLAG_APPEND) flags |= O_APPEND;
    if (fdflags & W_FDFLAG_DSYNC) flags |= O_DSYNC;
    if (fdflags & W_FDFLAG_NONBLOCK) flags |= O_NONBLOCK;
    if (fdflags & W_FDFLAG_RSYNC) flags |= O_RSYNC;
    if (fdflags & W_FDFLAG_SYNC) flags |= O_SYNC;
    /* The host access mode follows the rights asked for, O_DIRECTORY or not: write rights on a
     * directory are refused by the host's open (EISDIR, as wasmtime and POSIX do), where
     * opening it read-only regardless handed out a descriptor claiming rights it cannot use. */
    bool rd = base & (R_FD_READ | R_FD_READDIR);
    bool wr = base & (R_FD_WRITE | R_FD_ALLOCATE | R_FD_FILESTAT_SET_SIZE);
    if (!wr)
        flags |= O_RDONLY;
    else
        flags |= rd ? O_RDWR : O_WRONLY;

    wasi_path p;
    wasi_fd *dir;
    int e = resolve(w, c, a[0].u32, need, a[2].u32, a[3].u32, lookup & W_LOOKUP_SYMLINK_FOLLOW, &p,
                    &dir);
    if (e) return e;
    if (p.trailing) {
        if (oflags & W_O_CREAT) {
            wasi_path_free(&p);
            return W_EISDIR;
        }
        flags |= O_DIRECTORY;
    }
    int host = openat(p.dirfd, p.name, flags, 0666);
    e = host < 0 ? wasi_errno(errno) : W_ESUCCESS;
    wasi_path_free(&p);
    if (e) return e;

    uint64_t dir_inheriting = dir->inheriting; /* `dir` may move when the table grows */
    uint32_t num;
    wasi_fd *f = wasi_fd_alloc(w, &num);
    if (!f) {
        close(host);
        return W_EMFILE;
    }
    f->kind = WFD_HOST;
    f->host = host;
    f->owned = true;
    f->flags = (uint16_t)(fdflags & (W_FDFLAG_APPEND | W_FDFLAG_DSYNC | W_FDFLAG_NONBLOCK |
                                     W_FDFLAG_RSYNC | W_FDFLAG_SYNC));
    if ((e = wasi_fd_classify(f, base & dir_inheriting, inheriting & dir_inheriting))) {
        wasi_fd_release(f);
        return e;
    }
    m = wasi_mem_of(c);
    put_u32(mem_at(&m, result_ptr), num);
    return W_ESUCCESS;
}
