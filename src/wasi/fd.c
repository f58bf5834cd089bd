/* fd.c - the guest's descriptor table: allocation, lookup with rights checks, and working
 * out the WASI file type and rights of a host descriptor. */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wasi/wasi_impl.h"

wasi_fd *wasi_fd_alloc(sl_wasi *w, uint32_t *num) {
    for (uint32_t i = 0; i < w->nfds; i++) {
        if (!w->fds[i].used) {
            *num = i;
            w->fds[i] = (wasi_fd){.used = true, .host = -1};
            return &w->fds[i];
        }
    }
    if (w->nfds >= WASI_MAX_FDS) return NULL;
    uint32_t n = w->nfds ? w->nfds * 2 : 8;
    if (n > WASI_MAX_FDS) n = WASI_MAX_FDS;
    wasi_fd *fds = realloc(w->fds, n * sizeof *fds);
    if (!fds) return NULL;
    for (uint32_t i = w->nfds; i < n; i++)
        fds[i] = (wasi_fd){.used = false, .host = -1};
    w->fds = fds;
    *num = w->nfds;
    w->nfds = n;
    fds[*num] = (wasi_fd){.used = true, .host = -1};
    return &fds[*num];
}

void wasi_fd_release(wasi_fd *f) {
    if (!f->used) return;
    if (f->dir) closedir(f->dir);
    if (f->owned && f->host >= 0) close(f->host);
    free(f->preopen);
    *f = (wasi_fd){.used = false, .host = -1};
}

wasi_fd *wasi_fd_get(sl_wasi *w, uint32_t fd, uint64_t need, int *err) {
    if (fd >= w->nfds || !w->fds[fd].used) {
        *err = W_EBADF;
        return NULL;
    }
    wasi_fd *f = &w->fds[fd];
    if ((f->rights & need) != need) {
        *err = W_ENOTCAPABLE;
        return NULL;
    }
    *err = W_ESUCCESS;
    return f;
}

uint8_t wasi_filetype_of(unsigned mode) {
    switch (mode & S_IFMT) {
    case S_IFREG: return W_FT_REG;
    case S_IFDIR: return W_FT_DIR;
    case S_IFCHR: return W_FT_CHAR;
    case S_IFBLK: return W_FT_BLOCK;
    case S_IFLNK: return W_FT_SYMLINK;
    case S_IFSOCK: return W_FT_STREAM;
    default: return W_FT_UNKNOWN; /* FIFOs have no WASI type */
    }
}

int wasi_fd_classify(wasi_fd *f, uint64_t rights, uint64_t inheriting) {
    struct stat st;
    if (fstat(f->host, &st) != 0) return wasi_errno(errno);
    f->filetype = wasi_filetype_of(st.st_mode);
    uint64_t mask;
    switch (f->filetype) {
    case W_FT_DIR: mask = RIGHTS_DIR; break;
    case W_FT_REG:
    case W_FT_BLOCK: mask = RIGHTS_FILE; break;
    case W_FT_CHAR:
        /* Terminals are streams; other character devices (/dev/null, /dev/zero) seek. */
        mask = isatty(f->host) ? RIGHTS_STREAM : RIGHTS_FILE;
        break;
    default: mask = RIGHTS_STREAM; break;
    }
    f->rights = rights & mask;
    f->inheriting = f->filetype == W_FT_DIR ? inheriting : 0;
    return W_ESUCCESS;
}
