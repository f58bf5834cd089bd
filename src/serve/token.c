/*
 * token.c - creating and reading the registry's API token (see token.h).
 */
#include "serve/token.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/error.h"
#include "base/sha256.h"

static bool read_token(const char *path, char token[SL_TOKEN_HEX_LEN + 1], sl_error *err) {
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return sl_errorf(err, SL_ERR_ARGUMENT, "cannot open %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        sl_errorf(err, SL_ERR_ARGUMENT, "%s is not a regular file", path);
        close(fd);
        return false;
    }
    if (st.st_mode & 077) {
        sl_errorf(err, SL_ERR_ARGUMENT,
                  "%s has mode %03o: others may read the API token (chmod 600 it)", path,
                  (unsigned)(st.st_mode & 0777));
        close(fd);
        return false;
    }
    char buf[SL_TOKEN_HEX_LEN + 2];
    ssize_t n;
    do
        n = read(fd, buf, sizeof buf);
    while (n < 0 && errno == EINTR);
    int saved = errno;
    close(fd);
    if (n < 0) return sl_errorf(err, SL_ERR_ARGUMENT, "cannot read %s: %s", path, strerror(saved));
    if (n == SL_TOKEN_HEX_LEN + 1 && buf[SL_TOKEN_HEX_LEN] == '\n') n--;
    buf[n < 0 ? 0 : n] = '\0';
    if (n != SL_TOKEN_HEX_LEN || !sl_is_lower_hex(buf))
        return sl_errorf(err, SL_ERR_ARGUMENT, "%s is not a token (64 lowercase hex digits)", path);
    memcpy(token, buf, SL_TOKEN_HEX_LEN + 1);
    return true;
}

static bool random_bytes(uint8_t *p, size_t len) {
    while (len) {
        ssize_t n = getrandom(p, len, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        p += n, len -= (size_t)n;
    }
    return true;
}

bool sl_token_load_or_create(const char *dir, char token[SL_TOKEN_HEX_LEN + 1], sl_error *err) {
    char path[PATH_MAX], tmp[PATH_MAX];
    if ((size_t)snprintf(path, sizeof path, "%s/token", dir) >= sizeof path ||
        (size_t)snprintf(tmp, sizeof tmp, "%s/.token-XXXXXX", dir) >= sizeof tmp)
        return sl_errorf(err, SL_ERR_LIMIT, "path too long: %.200s/token", dir);
    if (access(path, F_OK) == 0 || errno != ENOENT) return read_token(path, token, err);

    uint8_t raw[32];
    if (!random_bytes(raw, sizeof raw))
        return sl_errorf(err, SL_ERR_ARGUMENT, "cannot generate the API token: getrandom: %s",
                         strerror(errno));
    static const char digits[] = "0123456789abcdef";
    char line[SL_TOKEN_HEX_LEN + 1];
    for (size_t i = 0; i < sizeof raw; i++) {
        line[2 * i] = digits[raw[i] >> 4];
        line[2 * i + 1] = digits[raw[i] & 15];
    }
    line[SL_TOKEN_HEX_LEN] = '\n';
    memset(raw, 0, sizeof raw);

    int fd = mkostemp(tmp, O_CLOEXEC); /* mode 0600 */
    if (fd < 0)
        return sl_errorf(err, SL_ERR_ARGUMENT, "cannot create a temp file in %s: %s", dir,
                         strerror(errno));
    bool ok = write(fd, line, sizeof line) == (ssize_t)sizeof line && fsync(fd) == 0;
    int saved = errno;
    if (close(fd) != 0 && ok) ok = false, saved = errno;
    if (!ok) {
        unlink(tmp);
        sl_errorf(err, SL_ERR_ARGUMENT, "cannot write %s: %s", tmp, strerror(saved));
        return false;
    }
    /* link() fails if another process published its token first: then we use that one. */
    int linked = link(tmp, path);
    saved = errno;
    unlink(tmp);
    if (linked != 0 && saved != EEXIST)
        return sl_errorf(err, SL_ERR_ARGUMENT, "cannot create %s: %s", path, strerror(saved));
    return read_token(path, token, err);
}
