/* deadletter.c - the dead-letter file: one JSON line per record or input that cannot go on. */
#include "pipeline/deadletter.h"
#include "base/buf.h"
#include "pipeline/json_encode.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct sl_deadletter {
    FILE *f;
    bool own; /* false for stderr */
    pthread_mutex_t mu;
    _Atomic uint64_t count;
};

sl_deadletter *sl_deadletter_open(const char *path, char *err, size_t errlen) {
    sl_deadletter *d = calloc(1, sizeof *d);
    if (!d) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (path) {
        /* Append: a restarted pipeline adds to what earlier runs rejected. */
        d->f = fopen(path, "ae");
        if (!d->f) {
            snprintf(err, errlen, "dead letter %s: %s", path, strerror(errno));
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

/* A growable line buffer; on out of memory `bad` is set and the line is dropped. */
typedef struct buf {
    char *p;
    size_t len, cap;
    bool bad;
} buf;

static void put(buf *b, const char *s, size_t n) {
    if (b->bad) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->bad = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
}
static void puts_(buf *b, const char *s) {
    put(b, s, strlen(s));
}

/* The length of the valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n) {
    unsigned c = s[0];
    size_t len = c < 0x80                 ? 1
                 : c >= 0xC2 && c <= 0xDF ? 2
                 : c >= 0xE0 && c <= 0xEF ? 3
                 : c >= 0xF0 && c <= 0xF4 ? 4
                                          : 0;
    if (len == 0 || len > n) return 0;
    for (size_t i = 1; i < len; i++)
        if ((s[i] & 0xC0) != 0x80) return 0;
    if (len == 3 && ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] >= 0xA0))) return 0;
    if (len == 4 && ((c == 0xF0 && s[1] < 0x90) || (c == 0xF4 && s[1] >= 0x90))) return 0;
    return len;
}

/* A JSON string. Raw input may be any bytes: invalid UTF-8 becomes U+FFFD, so the line
 * stays valid JSON. */
static void put_str(buf *b, const char *s, size_t n) {
    put(b, "\"", 1);
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        unsigned c = u[i];
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\', esc[1] = (char)c;
            put(b, esc, 2);
            i++;
        } else if (c < 0x20) {
            const char *named = c == '\n' ? "\\n" : c == '\r' ? "\\r" : c == '\t' ? "\\t" : NULL;
            if (named) {
                puts_(b, named);
            } else {
                snprintf(esc, sizeof esc, "\\u%04x", c);
                puts_(b, esc);
            }
            i++;
        } else if (c < 0x80) {
            put(b, s + i, 1);
            i++;
        } else {
            size_t len = utf8_len(u + i, n - i);
            if (len) {
                put(b, s + i, len);
                i += len;
            } else {
                puts_(b, "\\ufffd");
                i++;
            }
        }
    }
    put(b, "\"", 1);
}

/* {"time": ..., "stage": ..., "reason": ..., then the caller's member. */
static void begin(buf *b, const char *stage, const char *reason) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    char t[33];
    size_t n = sl_format_time((int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000, t);
    puts_(b, "{\"time\":");
    put_str(b, t, n);
    puts_(b, ",\"stage\":");
    put_str(b, stage ? stage : "", stage ? strlen(stage) : 0);
    puts_(b, ",\"reason\":");
    put_str(b, reason ? reason : "", reason ? strlen(reason) : 0);
}

static void emit(sl_deadletter *d, buf *b) {
    put(b, "}\n", 2);
    if (!b->bad) {
        pthread_mutex_lock(&d->mu);
        /* Flushed per entry: the file is what an operator reads when records go missing. */
        fwrite(b->p, 1, b->len, d->f);
        fflush(d->f);
        atomic_fetch_add(&d->count, 1);
        pthread_mutex_unlock(&d->mu);
    }
    free(b->p);
}

void sl_deadletter_raw(sl_deadletter *d, const char *stage, const char *reason, const char *raw,
                       size_t len) {
    if (!d) return;
    buf b = {0};
    begin(&b, stage, reason);
    puts_(&b, ",\"input\":");
    put_str(&b, raw ? raw : "", raw ? len : 0);
    emit(d, &b);
}

void sl_deadletter_record(sl_deadletter *d, const char *stage, const char *reason,
                          const sl_batch *batch, uint32_t i) {
    if (!d) return;
    buf b = {0};
    begin(&b, stage, reason);
    puts_(&b, ",\"record\":");
    /* The codec writes records as functions and sinks see them. */
    sl_buf t = {0};
    if (sl_json_encode_record(batch, i, &t))
        put(&b, t.data, t.len);
    else
        b.bad = true;
    sl_buf_free(&t);
    emit(d, &b);
}
