/*
 * source.h - where a pipeline's records come from (tcp, file, stdin), and the parser
 * instances sources feed (one per input stream: each TCP client has its own, since a record
 * may arrive in pieces).
 *
 * A source runs on the pipeline's source thread. It reads bytes and feeds them to a parser
 * (sl_feed_bytes); the parser fills batches and hands each full one to the engine, which may
 * block there: that is the backpressure. Positions: the parser numbers each record with the
 * stream position where its input ends (a file offset; for streams that cannot be replayed,
 * a byte count). Once every sink has committed everything before position P, the engine
 * calls committed(P) with P at a record boundary: a file source stores it and resumes from
 * there after a restart.
 */
#ifndef SL_PIPELINE_SOURCE_H
#define SL_PIPELINE_SOURCE_H

#include <jansson.h>
#include <stdatomic.h>

#include "pipeline/conf.h"
#include "pipeline/record.h"

typedef struct sl_feed sl_feed; /* a parser instance, with the batch it is filling */
typedef struct sl_flow sl_flow; /* the engine side: parser settings, queue, dead letter */

/* A parser for one input stream whose first byte is at position `start`. */
sl_feed *sl_feed_new(sl_flow *flow, uint64_t start);
/* Parses data (records may span calls); full batches go to the engine, waiting while its
 * queue is full. False when the pipeline is stopping (the source should return). */
bool sl_feed_bytes(sl_feed *f, const char *data, size_t len);
/* A CSV parser with a header row, started past the start of its file, needs the header:
 * the source reads the file's first line (with its line break) and gives it here. */
bool sl_feed_wants_header(const sl_feed *f);
void sl_feed_header(sl_feed *f, const char *line, size_t len);
/* Hands on the partly filled batch, if any (a source calls it when its input is idle, so
 * that sparse input does not wait for a full batch). */
bool sl_feed_flush(sl_feed *f);
/* The input ended: parses a last line without a newline, flushes, frees. */
void sl_feed_end(sl_feed *f);
/* Whether the pipeline is stopping (sources check it between reads). */
bool sl_flow_stopping(const sl_flow *flow);
/* How long a source may wait for input before flushing (milliseconds). */
int sl_flow_linger_ms(const sl_flow *flow);

typedef struct sl_source sl_source;
typedef struct sl_source_ops {
    const char *type;
    /* Reads until the input ends or the pipeline stops (true), or fails (false, err set). */
    bool (*run)(sl_source *s, sl_flow *flow, sl_error *err);
    /* Everything before position pos is committed (called from the sink thread). */
    void (*committed)(sl_source *s, uint64_t pos);
    /* Unblocks run() when the pipeline stops (e.g. closes a listening socket); may be NULL. */
    void (*wake)(sl_source *s);
    void (*free)(sl_source *s);
    /* Records pushed in by the host (POST /ingest/NAME on `sluice serve`), or NULL when the
     * source reads its own input. Returns the HTTP status; answer gets the JSON body. May
     * wait while the pipeline is full. */
    int (*ingest)(sl_source *s, const char *body, size_t len, char *answer, size_t alen);
} sl_source_ops;

struct sl_source {
    const sl_source_ops *ops;
};

/* name: the pipeline's (an http source answers on /ingest/NAME). Relative paths in section
 * resolve against the pipeline file's folder (sl_conf_path). */
sl_source *sl_source_open(const sl_conf_ctx *c, const json_t *section, const char *name);
sl_source *sl_source_tcp_open(const sl_conf_ctx *c, const json_t *section);
sl_source *sl_source_file_open(const sl_conf_ctx *c, const json_t *section);
sl_source *sl_source_stdin_open(const sl_conf_ctx *c, const json_t *section);
/* A file source that follows path and keeps its position in offsets (the spool's reader). */
sl_source *sl_source_follow_new(const char *path, const char *offsets, int64_t poll_ms);

/* ---- The spool (spool.c): what a tcp or http source receives, made durable first -------- */
typedef struct sl_spool sl_spool;
/* DIR/spool.log and DIR/spool.offset (DIR is made if missing). A spool whose every byte was
 * committed is emptied here, so it grows only while the pipeline runs. */
sl_spool *sl_spool_open(const char *dir, sl_error *err);
/* The spool a source's section names (`spool: DIR`, relative to the pipeline file; "" for
 * none: *out is then NULL). False with the message in c->err. */
bool sl_spool_conf(const sl_conf_ctx *c, const json_t *section, const char *dir, sl_spool **out);
/* Appends whole lines (under a lock: concurrent writers do not interleave); with sync, also
 * waits until they are on disk. False when the write failed. */
bool sl_spool_append(sl_spool *sp, const char *data, size_t len, bool sync);
bool sl_spool_sync(sl_spool *sp);
/* The reader: a thread feeding the spool's contents, from the committed position on, to the
 * pipeline; it stops with the pipeline (what it did not read stays spooled for next time). */
bool sl_spool_start(sl_spool *sp, sl_flow *flow);
void sl_spool_join(sl_spool *sp);
void sl_spool_committed(sl_spool *sp, uint64_t pos);
void sl_spool_free(sl_spool *sp);

sl_source *sl_source_http_open(const sl_conf_ctx *c, const json_t *section, const char *name);

#endif
