/*
 * phost.h - pipelines hosted by `sluice serve` (docs/pipeline.md, docs/api.md): pipeline
 * files kept in DATA/pipelines/NAME.yaml, started and stopped through /api/pipelines, started
 * again after a restart if they were running, and their counters and sink contents served to
 * the console and the dashboard.
 */
#ifndef SL_SERVE_PHOST_H
#define SL_SERVE_PHOST_H

#include <jansson.h>
#include <stdio.h>

#include "sluice.h"

typedef struct sl_phost sl_phost;

/* Loads DATA/pipelines and starts the pipelines that were running; a pipeline that fails
 * to load or start is kept with its error (the server still starts). */
struct sl_registry;
sl_phost *sl_phost_open(const char *data_dir, sl_engine *engine, struct sl_registry *reg);
/* Stops every pipeline gracefully (what was read is committed). */
void sl_phost_close(sl_phost *h);

/* The API: method, the path segments after "pipelines" (seg[0] = NAME, ...), the body.
 * Returns the status and sets *out to the JSON answer. */
int sl_phost_api(sl_phost *h, const char *method, char **seg, int nseg, const char *query,
                 const char *body, size_t body_len, json_t **out);
void sl_phost_prometheus(sl_phost *h, FILE *out);

#endif
