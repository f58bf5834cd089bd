/*
 * sink_file.c - `file` (JSON lines appended to a file) and `stdout`.
 *
 * A batch counts as written once it is in the file and, with `fsync: true` (the default for
 * files), on the disk: a crash then loses nothing the source was told is committed. A
 * failed write (disk full) is retried: it may pass.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/error.h"
#include "pipeline/json_encode.h"
#include "pipeline/sink.h"

typedef struct file_sink {
    sl_sink base;
    int fd;
    bool sync, is_stdout;
    sl_buf text;
} file_sink;

static sl_sink_result file_write(sl_sink *s, const sl_batch *b, sl_deadletter *dead,
                                 sl_error *err) {
    (void)dead;
    file_sink *f = (file_sink *)s;
    f->text.len = 0;
    if (!sl_json_encode(b, SL_JSON_LINES, &f->text)) {
        sl_errorf(err, SL_ERR_NOMEM, "out of memory");
        return SL_SINK_RETRY;
    }
    size_t done = 0;
    while (done < f->text.len) {
        ssize_t n = write(f->fd, f->text.data + done, f->text.len - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            sl_errorf(err, SL_ERR_ARGUMENT, "write: %s", strerror(errno));
            /* a partial line would corrupt the file for readers: cut back to what was there */
            if (done && !f->is_stdout) {
                off_t end = lseek(f->fd, 0, SEEK_END);
                if (end >= (off_t)done && ftruncate(f->fd, end - (off_t)done) != 0) {
                }
            }
            return SL_SINK_RETRY;
        }
        done += (size_t)n;
    }
    if (f->sync && fdatasync(f->fd) != 0 && errno != EINVAL) {
        sl_errorf(err, SL_ERR_ARGUMENT, "fdatasync: %s", strerror(errno));
        return SL_SINK_RETRY;
    }
    return SL_SINK_OK;
}

static void file_close(sl_sink *s) {
    file_sink *f = (file_sink *)s;
    if (!f->is_stdout && f->fd >= 0) close(f->fd);
    sl_buf_free(&f->text);
    free(f);
}

static const sl_sink_ops FILE_OPS = {"file", file_write, file_close};
static const sl_sink_ops STDOUT_OPS = {"stdout", file_write, file_close};

sl_sink *sl_sink_file_open(const sl_conf_ctx *c, const json_t *section) {
    bool ok = true;
    const char *type = sl_conf_str(c, section, "type", NULL, &ok);
    bool is_stdout = ok && !strcmp(type, "stdout");
    static const char *const FILE_KEYS[] = {"type", "name", "path", "fsync", NULL};
    static const char *const STDOUT_KEYS[] = {"type", "name", NULL};
    if (!ok || !sl_conf_only(c, section, is_stdout ? STDOUT_KEYS : FILE_KEYS)) return NULL;
    const char *path = is_stdout ? NULL : sl_conf_str(c, section, "path", NULL, &ok);
    bool sync = is_stdout ? false : sl_conf_bool(c, section, "fsync", true, &ok);
    const char *name = sl_conf_str(c, section, "name", type, &ok);
    if (!ok) return NULL;
    file_sink *f = calloc(1, sizeof *f);
    if (!f) {
        sl_conf_fail(c, section, "out of memory");
        return NULL;
    }
    f->base.ops = is_stdout ? &STDOUT_OPS : &FILE_OPS;
    snprintf(f->base.name, sizeof f->base.name, "%s", name);
    f->is_stdout = is_stdout;
    f->sync = sync;
    f->fd = 1;
    if (!is_stdout) {
        char full[PATH_MAX];
        if (!sl_conf_path(c, section, path, full, sizeof full)) {
            free(f);
            return NULL;
        }
        f->fd = open(full, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (f->fd < 0) {
            sl_conf_fail(c, section, "cannot open %s: %s", full, strerror(errno));
            free(f);
            return NULL;
        }
    }
    return &f->base;
}
