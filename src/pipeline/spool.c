/*
 * spool.c - an acknowledged spool for sources that cannot be replayed (tcp, http): with
 * `spool: DIR`, what the source receives is appended to DIR/spool.log first (whole lines),
 * and the pipeline reads it from there, like a followed file whose committed position is kept
 * in DIR/spool.offset. Records received but not yet committed by every sink survive a crash
 * or a stop: the next run reads them again (at-least-once). An http source answers 202 only
 * once the body is on disk; a tcp stream has no acknowledgement of its own, so for it the
 * spool narrows the loss to what the kernel had acknowledged but the spool not yet synced.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/error.h"
#include "pipeline/source.h"

struct sl_spool {
    pthread_mutex_t lock;
    int fd;
    sl_source *reader;
    sl_flow *flow;
    pthread_t thread;
    bool started;
};

static void *reader_main(void *arg) {
    sl_spool *sp = arg;
    sl_error err;
    if (!sp->reader->ops->run(sp->reader, sp->flow, &err))
        fprintf(stderr, "sluice: spool reader: %s\n", err.message);
    return NULL;
}

sl_spool *sl_spool_open(const char *dir, sl_error *err) {
    char log[PATH_MAX], off[PATH_MAX];
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        sl_errorf(err, SL_ERR_ARGUMENT, "spool %s: %s", dir, strerror(errno));
        return NULL;
    }
    if ((size_t)snprintf(log, sizeof log, "%s/spool.log", dir) >= sizeof log ||
        (size_t)snprintf(off, sizeof off, "%s/spool.offset", dir) >= sizeof off) {
        sl_errorf(err, SL_ERR_ARGUMENT, "spool %s: path too long", dir);
        return NULL;
    }
    /* everything committed last time: start the spool afresh (and its offset with it) */
    struct stat st;
    FILE *f = fopen(off, "r");
    unsigned long long committed = 0;
    if (f) {
        if (fscanf(f, "%llu", &committed) != 1) committed = 0;
        fclose(f);
    }
    if (stat(log, &st) == 0 && committed == (unsigned long long)st.st_size && committed > 0) {
        if (truncate(log, 0) == 0) unlink(off);
    }
    sl_spool *sp = calloc(1, sizeof *sp);
    if (!sp) {
        sl_errorf(err, SL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&sp->lock, NULL);
    sp->fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    sp->reader = sp->fd >= 0 ? sl_source_follow_new(log, off, 20) : NULL;
    if (!sp->reader) {
        sl_errorf(err, SL_ERR_ARGUMENT, "spool %s: %s", log,
                  sp->fd < 0 ? strerror(errno) : "out of memory");
        sl_spool_free(sp);
        return NULL;
    }
    return sp;
}

bool sl_spool_conf(const sl_conf_ctx *c, const json_t *section, const char *dir, sl_spool **out) {
    *out = NULL;
    if (!dir[0]) return true;
    char full[PATH_MAX];
    sl_error err;
    if (!sl_conf_path(c, section, dir, full, sizeof full)) return false;
    if (!(*out = sl_spool_open(full, &err))) return sl_conf_fail(c, section, "%s", err.message);
    return true;
}

bool sl_spool_sync(sl_spool *sp) {
    return fdatasync(sp->fd) == 0;
}

bool sl_spool_append(sl_spool *sp, const char *data, size_t len, bool sync) {
    pthread_mutex_lock(&sp->lock);
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(sp->fd, data + done, len - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        done += (size_t)n;
    }
    bool ok = done == len && (!sync || sl_spool_sync(sp));
    pthread_mutex_unlock(&sp->lock);
    return ok;
}

bool sl_spool_start(sl_spool *sp, sl_flow *flow) {
    sp->flow = flow;
    sp->started = pthread_create(&sp->thread, NULL, reader_main, sp) == 0;
    return sp->started;
}

void sl_spool_join(sl_spool *sp) {
    if (sp->started) pthread_join(sp->thread, NULL);
    sp->started = false;
}

void sl_spool_committed(sl_spool *sp, uint64_t pos) {
    sp->reader->ops->committed(sp->reader, pos);
}

void sl_spool_free(sl_spool *sp) {
    if (!sp) return;
    sl_spool_join(sp);
    if (sp->reader) sp->reader->ops->free(sp->reader); /* saves the final offset */
    if (sp->fd >= 0) close(sp->fd);
    pthread_mutex_destroy(&sp->lock);
    free(sp);
}
