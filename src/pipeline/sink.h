/*
 * sink.h - where a pipeline's records end: the interface every sink implements, and the
 * factory that makes one from its section of the pipeline file.
 *
 * The engine calls write() from one thread per sink, one batch at a time, in order. A sink
 * answers only once the batch is durable where it goes (a committed transaction, a flushed
 * and fsync'd file, a 2xx from the peer): the engine lets the source forget input only after
 * every sink said so (at-least-once delivery). When a write fails for a reason that may pass
 * (the database went away, a timeout, HTTP 429/5xx), write() returns SL_SINK_RETRY and the
 * engine calls it again with the same batch after a backoff, for as long as it takes; the
 * sink must then not have applied part of the batch twice beyond what at-least-once allows.
 * Records that can never be written (rejected by the peer: a type error, a mapping
 * conflict) are handed to the dead letter with the reason, and the rest of the batch counts
 * as written.
 */
#ifndef SL_PIPELINE_SINK_H
#define SL_PIPELINE_SINK_H

#include <jansson.h>

#include "pipeline/conf.h"
#include "pipeline/deadletter.h"
#include "pipeline/record.h"

typedef enum sl_sink_result { SL_SINK_OK, SL_SINK_RETRY, SL_SINK_FATAL } sl_sink_result;

typedef struct sl_sink sl_sink;
typedef struct sl_sink_ops {
    const char *type;
    /* Writes every record of b (see above). err gets the reason for RETRY and FATAL. */
    sl_sink_result (*write)(sl_sink *s, const sl_batch *b, sl_deadletter *dead, sl_error *err);
    /* Flushes and frees everything (s itself too). */
    void (*close)(sl_sink *s);
} sl_sink_ops;

struct sl_sink {
    const sl_sink_ops *ops;
    char name[64]; /* "sqlite", or the section's `name:` */
};

/* Makes the sink a `sinks:` entry describes (its `type:` picks the kind), checking every
 * setting; NULL with "FILE:LINE: ..." in c->err. Connecting may be deferred to the first
 * write (a database that is down at start is retried like one that goes away later). */
sl_sink *sl_sink_open(const sl_conf_ctx *c, const json_t *section);

/* One constructor per kind (sink_*.c), used by sl_sink_open. */
sl_sink *sl_sink_file_open(const sl_conf_ctx *c, const json_t *section); /* file, stdout */
sl_sink *sl_sink_sqlite_open(const sl_conf_ctx *c, const json_t *section);
sl_sink *sl_sink_postgres_open(const sl_conf_ctx *c, const json_t *section);
sl_sink *sl_sink_http_open(const sl_conf_ctx *c, const json_t *section);    /* http */
sl_sink *sl_sink_elastic_open(const sl_conf_ctx *c, const json_t *section); /* elasticsearch */

#endif
