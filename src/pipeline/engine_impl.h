/*
 * engine_impl.h - what engine.c shares with feed.c (the parser side of sources): the queues
 * between threads and the flow a source feeds.
 */
#ifndef SL_PIPELINE_ENGINE_IMPL_H
#define SL_PIPELINE_ENGINE_IMPL_H

#include <pthread.h>
#include <stdatomic.h>

#include "pipeline/deadletter.h"
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

struct sl_flow {
    json_t *parser;   /* the parser: section of the pipeline file */
    const char *file; /* for messages */
    sl_deadletter *dead;
    sl_queue *out; /* to the stage thread */
    uint32_t batch_size;
    int linger_ms;
    _Atomic bool stopping;
    _Atomic uint64_t records, bad; /* parsed, and sent to the dead letter */
    _Atomic uint64_t next_stream;  /* numbering streams that cannot be replayed */
};

/* Checks the parser section once at load (the same checks sl_feed_new relies on). */
bool sl_feed_check(const sl_conf_ctx *c, const json_t *parser);

#endif
