/*
 * pipeline.h - running a pipeline file (docs/pipeline.md): load and check it, start its
 * threads, stop it gracefully (everything read is processed and committed), read its
 * counters.
 */
#ifndef SL_PIPELINE_PIPELINE_H
#define SL_PIPELINE_PIPELINE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "fn/resolve.h"
#include "sluice.h"

typedef struct sl_pipeline sl_pipeline;

/* Loads and checks the file, compiles its functions and opens its sinks and dead letter;
 * NULL with "FILE:LINE: ..." in err. The engine must outlive the pipeline. */
/* functions (may be NULL) lets function stages name a deployed function,
 * `function: NAME@ALIAS`, instead of a module file; it must outlive the pipeline. */
sl_pipeline *sl_pipeline_load(const char *path, sl_engine *engine, const sl_fn_resolver *functions,
                              sl_error *err);
/* Starts the source, stage and sink threads. */
bool sl_pipeline_start(sl_pipeline *p, sl_error *err);
/* Records pushed into a running pipeline whose source takes them (an http source without a
 * listen: of its own; POST /ingest/NAME on `sluice serve`). Returns the HTTP status and puts
 * the JSON answer in `answer`; 404 when the source takes no pushed records. May wait while
 * the pipeline is full: call it off the network threads. */
int sl_pipeline_ingest(sl_pipeline *p, const char *body, size_t len, char *answer, size_t alen);
/* Asks the source to stop reading; what was read still flows to the sinks. */
void sl_pipeline_stop(sl_pipeline *p);
/* Waits until the pipeline has ended: its input ended (a file without follow, stdin) or it
 * was stopped, and everything has drained. Returns false if the source failed (err set). */
bool sl_pipeline_wait(sl_pipeline *p, sl_error *err);
void sl_pipeline_free(sl_pipeline *p);
/* Whether everything has ended and drained (sl_pipeline_wait would not block). */
bool sl_pipeline_done(const sl_pipeline *p);

const char *sl_pipeline_name(const sl_pipeline *p);
/* Counters: records in and out of the parser, each stage and each sink, errors, queue
 * depths, dead letters (docs/pipeline.md). */
json_t *sl_pipeline_stats(sl_pipeline *p);
void sl_pipeline_prometheus(sl_pipeline *p, FILE *out);

#endif
