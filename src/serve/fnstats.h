/*
 * fnstats.h - what the server remembers about each function while it runs: counters and a
 * duration histogram for /metrics and the stats API, and a bounded ring of invocation logs
 * (request id, status, outcome, duration, the guest's stderr) for the logs API.
 *
 * Records are made on first use and live until the server stops (deleting a function clears
 * its record), so a pointer to one may be kept without reference counting.
 */
#ifndef SL_SERVE_FNSTATS_H
#define SL_SERVE_FNSTATS_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "fn/invoke.h"

/* Outcomes counted per function: the invocation outcomes, then the gateway's own. */
typedef enum sl_outcome {
    SL_OUT_OK,
    SL_OUT_TRAP,
    SL_OUT_EXIT,
    SL_OUT_TIMEOUT,
    SL_OUT_BAD_OUTPUT,
    SL_OUT_ERROR,
    SL_OUT_BUSY,      /* 429: concurrency limit */
    SL_OUT_TOO_LARGE, /* 413 */
    SL_OUT_COUNT
} sl_outcome;

const char *sl_outcome_name(sl_outcome o);
sl_outcome sl_outcome_of(sl_invoke_outcome o);

typedef struct sl_fnstats sl_fnstats;
typedef struct sl_fnstats_set sl_fnstats_set;

sl_fnstats_set *sl_fnstats_set_new(size_t log_entries, size_t log_bytes);
void sl_fnstats_set_free(sl_fnstats_set *set);
/* The record of function `name`, made if missing (NULL only when out of memory). */
sl_fnstats *sl_fnstats_get(sl_fnstats_set *set, const char *name);
/* The record if there is one, else NULL. */
sl_fnstats *sl_fnstats_find(sl_fnstats_set *set, const char *name);

/* One finished invocation (or one refused by the gateway). stderr may be NULL. */
typedef struct sl_fnstats_event {
    const char *request_id, *version, *error;
    int status;
    sl_outcome outcome;
    double seconds;
    const uint8_t *log;
    size_t log_len;
} sl_fnstats_event;

void sl_fnstats_record(sl_fnstats *fs, const sl_fnstats_event *ev);
void sl_fnstats_in_flight(sl_fnstats *fs, int delta);
/* Warm instances held for the function and their memory, adjusted by the workers. */
void sl_fnstats_instances(sl_fnstats *fs, int delta, int64_t memory_delta);
/* Forget the function's logs and counters (it was deleted). */
void sl_fnstats_clear(sl_fnstats *fs);

/* The newest `limit` log entries, newest first: {"logs": [...]} (docs/api.md). */
json_t *sl_fnstats_logs_json(sl_fnstats *fs, size_t limit);
/* The STATS object of docs/api.md. */
json_t *sl_fnstats_json(sl_fnstats *fs);
/* Writes the per-function metrics of every record in Prometheus text format. */
void sl_fnstats_prometheus(sl_fnstats_set *set, FILE *out);

#endif
