/* fd_readdir.c - listing a directory into the guest's buffer as WASI dirents. Cookies are
 * the host's telldir() positions, so a guest can resume a listing where it stopped. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wasi/wasi_impl.h"

static uint8_t dirent_type(int dirfd, const struct dirent *de) {
    switch (de->d_type) {
    case DT_REG: return W_FT_REG;
    case DT_DIR: return W_FT_DIR;
    case DT_LNK: return W_FT_SYMLINK;
    case DT_CHR: return W_FT_CHAR;
    case DT_BLK: return W_FT_BLOCK;
    case DT_SOCK: return W_FT_STREAM;
    case DT_UNKNOWN: { /* some file systems do not say; ask */
        struct stat st;
        if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
            return wasi_filetype_of(st.st_mode);
        return W_FT_UNKNOWN;
    }
    default: return W_FT_UNKNOWN;
    }
}

/* dirent: d_next@0 d_ino@8 d_namlen@16 d_type@20, 24 bytes, then the name (no NUL). The
 * buffer is filled completely, cutting the last entry short, so a guest that gets back a
 * full buffer knows to ask again (with a larger buffer if one entry did not fit). */
WASI_FN(fd_readdir) {
    uint32_t buf = a[1].u32, buf_len = a[2].u32, used_ptr = a[4].u32;
    uint64_t cookie = a[3].u64;
    int e;
    wasi_fd *f = wasi_fd_get(w, a[0].u32, R_FD_READDIR, &e);
    if (!f) return e;
    if (f->kind != WFD_HOST || f->filetype != W_FT_DIR) return W_ENOTDIR;
    wasi_mem m = wasi_mem_of(c);
    if (!mem_ok(&m, buf, buf_len) || !mem_ok(&m, used_ptr, 4)) return W_EFAULT;
    if (!f->dir) {
        /* A fresh open file description, so the stream's position is its own. */
        int d = openat(f->host, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (d < 0) return wasi_errno(errno);
        if (!(f->dir = fdopendir(d))) {
            e = wasi_errno(errno);
            close(d);
            return e;
        }
    }
    if (cookie == 0)
        rewinddir(f->dir);
    else
        seekdir(f->dir, (long)cookie);
    int dfd = dirfd(f->dir);
    uint32_t used = 0;
    while (used < buf_len) {
        errno = 0;
        struct dirent *de = readdir(f->dir);
        if (!de) {
            if (errno) return wasi_errno(errno);
            break;
        }
        size_t nlen = strlen(de->d_name);
        uint8_t hdr[24] = {0};
        put_u64(hdr, (uint64_t)telldir(f->dir));
        put_u64(hdr + 8, (uint64_t)de->d_ino);
        put_u32(hdr + 16, (uint32_t)nlen);
        hdr[20] = dirent_type(dfd, de);
        uint8_t *out = mem_at(&m, buf);
        uint32_t room = buf_len - used, k = room < 24 ? room : 24;
        memcpy(out + used, hdr, k);
        used += k;
        room -= k;
        k = room < nlen ? room : (uint32_t)nlen;
        if (k) memcpy(out + used, de->d_name, k);
        used += k;
    }
    put_u32(mem_at(&m, used_ptr), used);
    return W_ESUCCESS;
}
