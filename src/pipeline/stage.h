/*
 * stage.h - the steps between a pipeline's parser and its sinks: `function` (a Wasm module
 * per record or per batch), `window` (count windows, optionally per key, whose records go to
 * a function as one columnar batch), `filter` (a condition on fields) and `select` (keep
 * some fields). A stage maps one batch to zero or more batches; it runs on the pipeline's
 * stage thread, so it needs no locks of its own.
 */
#ifndef SL_PIPELINE_STAGE_H
#define SL_PIPELINE_STAGE_H

#include <jansson.h>

#include "pipeline/conf.h"
#include "pipeline/deadletter.h"
#include "pipeline/record.h"
#include "fn/resolve.h"
#include "sluice.h"

/* Counters per stage, read by the stats API and /metrics (written by the stage thread). */
typedef struct sl_stage_stats {
    _Atomic uint64_t in, out, errors, calls;
    _Atomic uint64_t busy_ns; /* time spent in the stage */
} sl_stage_stats;

/* What a stage hands on: batches, appended by the stage; the engine takes them. */
typedef struct sl_emit {
    sl_batch **v;
    size_t n, cap;
} sl_emit;
bool sl_emit_push(sl_emit *e, sl_batch *b); /* takes b (frees it when out of memory) */
/* Appends record i of src to dst (whose schema's field j is src's field map[j], -1 for null;
 * map NULL = the same schema), with its position. False when out of memory. */
bool sl_batch_copy_row(sl_batch *dst, const sl_batch *src, uint32_t i, const int *map);

typedef struct sl_stage sl_stage;
typedef struct sl_stage_ops {
    const char *type;
    /* Processes b (which stays the caller's) and pushes what follows onto out. Records that
     * fail go to dead with the reason. False only when the pipeline cannot go on. */
    bool (*process)(sl_stage *s, const sl_batch *b, sl_emit *out, sl_deadletter *dead);
    /* At a graceful stop: pushes what the stage still holds (a window's records). */
    void (*flush)(sl_stage *s, sl_emit *out, sl_deadletter *dead);
    /* The lowest source position among records the stage holds and has not emitted, or
     * UINT64_MAX: the source may not forget input from there on. */
    uint64_t (*held_from)(const sl_stage *s);
    void (*free)(sl_stage *s);
} sl_stage_ops;

struct sl_stage {
    const sl_stage_ops *ops;
    char name[64]; /* "2:window" or its `name:` */
    sl_stage_stats stats;
};

/* Everything a stage may need from its pipeline. */
typedef struct sl_stage_env {
    const sl_fn_resolver *functions; /* for `function: NAME@ALIAS` (NULL: files only) */
    sl_engine *engine;               /* for function stages */
    const char *pipeline;            /* the pipeline's name */
} sl_stage_env;

/* Makes the stage a `stages:` entry describes; NULL with "FILE:LINE: ..." in c->err. */
sl_stage *sl_stage_open(const sl_conf_ctx *c, const json_t *section, const sl_stage_env *env);

sl_stage *sl_stage_filter_open(const sl_conf_ctx *c, const json_t *section);
sl_stage *sl_stage_select_open(const sl_conf_ctx *c, const json_t *section);
sl_stage *sl_stage_function_open(const sl_conf_ctx *c, const json_t *section,
                                 const sl_stage_env *env);
sl_stage *sl_stage_window_open(const sl_conf_ctx *c, const json_t *section,
                               const sl_stage_env *env);

#endif
