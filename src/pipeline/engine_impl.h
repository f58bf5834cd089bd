/*
 * engine_impl.h - what engine.c shares with feed.c (the parser side of sources): the queues
 * between threads and the flow a source feeds.
 */
#ifndef SL_PIPELINE_ENGINE_IMPL_H
#define SL_PIPELINE_ENGINE_IMPL_H

#include <pthread.h>
#include <stdatomic.h>

#include "pipeline/deadletter.h"
#include "pipeline/parser.h"
#include "pipeline/source.h"

/* One item between threads: a batch (or none: only positions to acknowledge), the source
 * positions it covers, and up to where everything is done once it is committed. */
typedef struct sl_msg {
    sl_batch *batch;
    uint64_t start, end; /* source positions: [start, end) of the input it came from */
    uint64_t commit;     /* set by the stage thread: committed(commit) once the sinks have it */
} sl_msg;

/* A bounded blocking FIFO: push waits while it is full (backpressure), pop while empty. */
typedef struct sl_queue {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    sl_msg *items;
    size_t cap, head, n;
    bool closed;          /* no more pushes: pop drains, then returns false */
    _Atomic size_t depth; /* for stats, read without the lock */
} sl_queue;

bool sl_queue_init(sl_queue *q, size_t cap);
void sl_queue_destroy(sl_queue *q);
/* False (msg not taken) when the queue was closed or *abort became true while waiting. */
bool sl_queue_push(sl_queue *q, sl_msg msg, const _Atomic bool *abort);
bool sl_queue_pop(sl_queue *q, sl_msg *out);
void sl_queue_close(sl_queue *q);

/* The parser: section, read and checked once at load (sl_feed_prepare): the format and its
 * settings, from which every stream's parser is made. */
typedef struct sl_parse_opts {
    const sl_parser_ops *ops;
    void *settings;
} sl_parse_opts;

struct sl_flow {
    sl_parse_opts parse;
    sl_deadletter *dead;
    sl_queue *out; /* to the stage thread */
    uint32_t batch_size;
    int linger_ms;
    _Atomic bool stopping;
    _Atomic uint64_t records, bad; /* parsed, and sent to the dead letter */
};

/* Reads and checks the parser section into *o (once, at load: every stream's parser is made
 * from it); false with the message in c->err. */
bool sl_feed_prepare(const sl_conf_ctx *c, const json_t *parser, sl_parse_opts *o);
void sl_parse_opts_free(sl_parse_opts *o);

#endif
