/*
 * blobs.c - the content-addressed module store (see blobs.h).
 */
#include "serve/blobs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/error.h"
#include "base/sha256.h"

#define TMP_PREFIX ".tmp-"

static bool blob_path(char *path, size_t size, const char *dir, const char *sha, sl_error *err) {
    if (!sl_sha256_is_hex(sha))
        return sl_errorf(err, SL_ERR_ARGUMENT, "blob store: \"%.80s\" is not a SHA-256 hex digest",
                         sha);
    if ((size_t)snprintf(path, size, "%s/%s", dir, sha) >= size)
        return sl_errorf(err, SL_ERR_LIMIT, "blob store: path too long under %.200s", dir);
    return true;
}

static bool write_all(int fd, const uint8_t *p, size_t len) {
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        p += n, len -= (size_t)n;
    }
    return true;
}

/* Makes the rename durable. */
static bool sync_dir(const char *dir) {
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return false;
    bool ok = fsync(fd) == 0;
    close(fd);
    return ok;
}

bool sl_blob_write(const char *dir, const char *sha, const uint8_t *bytes, size_t len,
                   bool *created, sl_error *err) {
    char path[PATH_MAX], tmp[PATH_MAX];
    *created = false;
    if (!blob_path(path, sizeof path, dir, sha, err)) return false;
    struct stat st;
    if (stat(path, &st) == 0) {
        if (S_ISREG(st.st_mode) && (uint64_t)st.st_size == len) return true;
        sl_errorf(err, SL_ERR_ARGUMENT,
                  "blob store: %s exists but is not the %zu-byte module it should be", path, len);
        return false;
    }
    if (errno != ENOENT)
        return sl_errorf(err, SL_ERR_ARGUMENT, "blob store: cannot stat %s: %s", path,
                         strerror(errno));
    if ((size_t)snprintf(tmp, sizeof tmp, "%s/" TMP_PREFIX "%.16s-XXXXXX", dir, sha) >= sizeof tmp)
        return sl_errorf(err, SL_ERR_LIMIT, "blob store: path too long under %.200s", dir);
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        return sl_errorf(err, SL_ERR_ARGUMENT, "blob store: cannot create a temp file in %s: %s",
                         dir, strerror(errno));
    const char *what = NULL;
    if (fchmod(fd, 0600) != 0)
        what = "chmod";
    else if (!write_all(fd, bytes, len))
        what = "write";
    else if (fsync(fd) != 0)
        what = "fsync";
    int saved = errno;
    if (close(fd) != 0 && !what) what = "close", saved = errno;
    if (!what && rename(tmp, path) != 0) what = "rename", saved = errno;
    if (what) {
        unlink(tmp);
        sl_errorf(err, SL_ERR_ARGUMENT, "blob store: cannot store %s (%s): %s", path, what,
                  strerror(saved));
        return false;
    }
    if (!sync_dir(dir))
        return sl_errorf(err, SL_ERR_ARGUMENT, "blob store: cannot fsync %s: %s", dir,
                         strerror(errno));
    *created = true;
    return true;
}

bool sl_blob_read(const char *dir, const char *sha, uint8_t **bytes, size_t *len, sl_error *err) {
    char path[PATH_MAX];
    *bytes = NULL, *len = 0;
    if (!blob_path(path, sizeof path, dir, sha, err)) return false;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return sl_errorf(err, SL_ERR_ARGUMENT, "blob store: cannot open %s: %s", path,
                         strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        sl_errorf(err, SL_ERR_ARGUMENT, "blob store: %s is not a regular file", path);
        close(fd);
        return false;
    }
    size_t size = (size_t)st.st_size, got = 0;
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf) {
        sl_errorf(err, SL_ERR_NOMEM, "blob store: out of memory reading %s (%zu bytes)", path,
                  size);
        close(fd);
        return false;
    }
    while (got < size) {
        ssize_t n = read(fd, buf + got, size - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            sl_errorf(err, SL_ERR_ARGUMENT, "blob store: cannot read %s: %s", path,
                      n < 0 ? strerror(errno) : "file shrank while reading");
            free(buf);
            close(fd);
            return false;
        }
        got += (size_t)n;
    }
    close(fd);
    char hex[SL_SHA256_HEX_LEN + 1];
    if (!sl_sha256_hex(buf, size, hex, err)) {
        free(buf);
        return false;
    }
    if (strcmp(hex, sha) != 0) {
        sl_errorf(err, SL_ERR_ARGUMENT, "blob store: %s is corrupt (its SHA-256 is %s)", path, hex);
        free(buf);
        return false;
    }
    *bytes = buf, *len = size;
    return true;
}

bool sl_blob_remove(const char *dir, const char *sha, sl_error *err) {
    char path[PATH_MAX];
    if (!blob_path(path, sizeof path, dir, sha, err)) return false;
    if (unlink(path) != 0 && errno != ENOENT)
        return sl_errorf(err, SL_ERR_ARGUMENT, "blob store: cannot remove %s: %s", path,
                         strerror(errno));
    return true;
}

bool sl_blob_sweep(const char *dir, int (*keep)(void *ctx, const char *sha), void *ctx,
                   sl_error *err) {
    DIR *d = opendir(dir);
    if (!d)
        return sl_errorf(err, SL_ERR_ARGUMENT, "blob store: cannot open %s: %s", dir,
                         strerror(errno));
    bool ok = true;
    struct dirent *e;
    while (ok && (e = readdir(d))) {
        bool remove = false;
        if (strncmp(e->d_name, TMP_PREFIX, strlen(TMP_PREFIX)) == 0) {
            remove = true;
        } else if (sl_sha256_is_hex(e->d_name)) {
            int k = keep(ctx, e->d_name);
            if (k < 0) ok = false;
            remove = k == 0;
        }
        if (ok && remove && unlinkat(dirfd(d), e->d_name, 0) != 0 && errno != ENOENT) {
            sl_errorf(err, SL_ERR_ARGUMENT, "blob store: cannot remove %s/%s: %s", dir, e->d_name,
                      strerror(errno));
            ok = false;
        }
    }
    closedir(d);
    return ok;
}
