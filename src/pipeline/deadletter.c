/* deadletter.c - the dead-letter file: one JSON line per record or input that cannot go on. */
#include "pipeline/deadletter.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/buf.h"
#include "base/error.h"
#include "pipeline/json_encode.h"

struct sl_deadletter {
    FILE *f;
    bool own; /* false for stderr */
    pthread_mutex_t mu;
    _Atomic uint64_t count;
};

sl_deadletter *sl_deadletter_open(const char *path, sl_error *err) {
    sl_deadletter *d = calloc(1, sizeof *d);
    if (!d) {
        sl_errorf(err, SL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    if (path) {
        /* Append: a restarted pipeline adds to what earlier runs rejected. */
        d->f = fopen(path, "ae");
        if (!d->f) {
            sl_errorf(err, SL_ERR_ARGUMENT, "dead letter %s: %s", path, strerror(errno));
            free(d);
            return NULL;
        }
        d->own = true;
    } else {
        d->f = stderr;
    }
    pthread_mutex_init(&d->mu, NULL);
    return d;
}

void sl_deadletter_close(sl_deadletter *d) {
    if (!d) return;
    if (d->own) fclose(d->f);
    pthread_mutex_destroy(&d->mu);
    free(d);
}

uint64_t sl_deadletter_count(const sl_deadletter *d) {
    return d ? atomic_load(&((sl_deadletter *)d)->count) : 0;
}

/* {"time": ..., "stage": ..., "reason": ..., then the caller's member. */
static void begin(sl_buf *b, const char *stage, const char *reason) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    char t[33];
    size_t n = sl_format_time((int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000, t);
    sl_buf_puts(b, "{\"time\":");
    sl_json_put_str(b, t, n);
    sl_buf_puts(b, ",\"stage\":");
    sl_json_put_str(b, stage ? stage : "", stage ? strlen(stage) : 0);
    sl_buf_puts(b, ",\"reason\":");
    sl_json_put_str(b, reason ? reason : "", reason ? strlen(reason) : 0);
}

static void emit(sl_deadletter *d, sl_buf *b) {
    sl_buf_puts(b, "}\n");
    if (!b->failed) { /* out of memory: the entry is dropped rather than cut */
        pthread_mutex_lock(&d->mu);
        /* Flushed per entry: the file is what an operator reads when records go missing. */
        fwrite(b->data, 1, b->len, d->f);
        fflush(d->f);
        atomic_fetch_add(&d->count, 1);
        pthread_mutex_unlock(&d->mu);
    }
    sl_buf_free(b);
}

void sl_deadletter_raw(sl_deadletter *d, const char *stage, const char *reason, const char *raw,
                       size_t len) {
    if (!d) return;
    sl_buf b = {0};
    begin(&b, stage, reason);
    sl_buf_puts(&b, ",\"input\":");
    sl_json_put_str(&b, raw ? raw : "", raw ? len : 0);
    emit(d, &b);
}

void sl_deadletter_record(sl_deadletter *d, const char *stage, const char *reason,
                          const sl_batch *batch, uint32_t i) {
    if (!d) return;
    sl_buf b = {0};
    begin(&b, stage, reason);
    sl_buf_puts(&b, ",\"record\":");
    /* The encoder writes records as functions and sinks see them. */
    if (!sl_json_encode_record(batch, i, &b)) b.failed = true;
    emit(d, &b);
}
