/* file.c - reading and atomically writing whole files (file.h). */
#include "base/file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/error.h"

char *sl_read_file(const char *path, size_t max, size_t *len, sl_error *err) {
    bool is_stdin = !strcmp(path, "-");
    int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        sl_errorf(err, SL_ERR_ARGUMENT, "%s: %s", path, strerror(e));
        errno = e;
        return NULL;
    }
    sl_buf b = {0};
    int e = 0;
    for (;;) {
        /* room for at least 64 KiB more, doubling: reserving "cap - len - 1" asked for
         * nothing once the buffer was full, and the read of 0 bytes that followed looked
         * like the end of the file (files over 128 KiB came back cut) */
        if (!sl_buf_reserve(&b, b.len > 65536 ? b.len : 65536)) {
            e = ENOMEM;
            break;
        }
        ssize_t n = read(fd, b.data + b.len, b.cap - b.len - 1);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            e = errno;
            break;
        }
        if (n == 0) break;
        b.len += (size_t)n;
        if (max && b.len > max) {
            e = EFBIG;
            break;
        }
    }
    if (!is_stdin) close(fd);
    if (e) {
        sl_buf_free(&b);
        if (e == EFBIG)
            sl_errorf(err, SL_ERR_LIMIT, "%s: larger than %zu bytes", path, max);
        else
            sl_errorf(err, e == ENOMEM ? SL_ERR_NOMEM : SL_ERR_ARGUMENT, "%s: %s", path,
                      strerror(e));
        errno = e;
        return NULL;
    }
    b.data[b.len] = 0;
    return sl_buf_take(&b, len);
}

bool sl_write_file_atomic(const char *path, const void *data, size_t len, unsigned mode,
                          sl_error *err) {
    /* a temp name of its own (mkstemp), so that threads or processes replacing the same
     * file at once never write into each other's temp file */
    char tmp[PATH_MAX];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", path) >= sizeof tmp)
        return sl_errorf(err, SL_ERR_ARGUMENT, "%s: path too long", path);
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) return sl_errorf(err, SL_ERR_ARGUMENT, "%s: %s", tmp, strerror(errno));
    const char *p = data;
    size_t left = len;
    int e = fchmod(fd, (mode_t)mode) ? errno : 0;
    while (!e && left) {
        ssize_t n = write(fd, p, left);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            e = errno;
            break;
        }
        p += n, left -= (size_t)n;
    }
    if (!e && fdatasync(fd)) e = errno;
    if (close(fd) && !e) e = errno;
    if (!e && rename(tmp, path)) e = errno;
    if (e) {
        unlink(tmp);
        return sl_errorf(err, SL_ERR_ARGUMENT, "%s: %s", path, strerror(e));
    }
    return true;
}
