/*
 * host.h - pipelines hosted by a long-running process, `sluice serve` (docs/pipeline.md,
 * docs/api.md): pipeline files kept in DATA/pipelines/NAME.yaml, started and stopped
 * through /api/pipelines, started again after a restart if they were running, fed by
 * POST /ingest/NAME, and their counters and sink contents served to the console and the
 * dashboard.
 *
 * The host owns the mapping from a name to its pipeline; nothing is process-wide, so two
 * hosts (two servers in one process, or tests) never see each other's pipelines. The server
 * does not link this layer: the `sluice` command plugs it in (src/cli/net/serve_cmd.c).
 *
 * Thread safety: every call may come from any thread. The host's lock guards only its list
 * of names; each pipeline has its own, held briefly, and a control lock that serialises
 * start, stop, replace and delete of that pipeline. So loading (compiling its functions) or
 * draining one pipeline never holds up the list, another pipeline's routes, the dashboard's
 * reads or /metrics.
 */
#ifndef SL_PIPELINE_HOST_H
#define SL_PIPELINE_HOST_H

#include <jansson.h>
#include <stdio.h>

#include "fn/resolve.h"
#include "sluice.h"

typedef struct sl_phost sl_phost;

/* Loads DATA/pipelines and starts the pipelines that were running; a pipeline that fails
 * to load or start is kept with its error (the server still starts). `functions` (may be
 * NULL) resolves `function: NAME@REF` stages; it and the engine must outlive the host. */
sl_phost *sl_phost_open(const char *data_dir, sl_engine *engine, const sl_fn_resolver *functions);
/* Stops every pipeline gracefully (what was read is committed). */
void sl_phost_close(sl_phost *h);

/* The API: method, the path segments after "pipelines" (seg[0] = NAME, ...), the body.
 * Returns the status and sets *out to the JSON answer. */
int sl_phost_api(sl_phost *h, const char *method, char **seg, int nseg, const char *query,
                 const char *body, size_t body_len, json_t **out);
/* POST /ingest/NAME: records for the running pipeline NAME. Returns the HTTP status; answer
 * gets the JSON body. May wait while the pipeline is full (call it off network threads). */
int sl_phost_ingest(sl_phost *h, const char *name, const char *body, size_t len, char *answer,
                    size_t alen);
void sl_phost_prometheus(sl_phost *h, FILE *out);

#endif
