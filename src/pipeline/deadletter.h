/*
 * deadletter.h - where records go that cannot go on: input that does not parse, records a
 * function trapped on, records a sink rejected. Each becomes one JSON line
 *     {"time": "...", "stage": "csv", "reason": "line 12: 5 fields, expected 6",
 *      "input": "raw line as text"}            (or "record": {...} for parsed records)
 * appended to the dead-letter file (`dead_letter: {path: FILE}` in the pipeline; default:
 * stderr). Thread-safe: every stage and sink may write to it.
 */
#ifndef SL_PIPELINE_DEADLETTER_H
#define SL_PIPELINE_DEADLETTER_H

#include <stddef.h>
#include <stdint.h>

#include "pipeline/record.h"
#include "sluice.h"

typedef struct sl_deadletter sl_deadletter;

/* path NULL = stderr. NULL with a message when the file cannot be opened. */
sl_deadletter *sl_deadletter_open(const char *path, sl_error *err);
void sl_deadletter_close(sl_deadletter *d);
/* Raw input (a line that did not parse). */
void sl_deadletter_raw(sl_deadletter *d, const char *stage, const char *reason, const char *raw,
                       size_t len);
/* Record i of batch b. */
void sl_deadletter_record(sl_deadletter *d, const char *stage, const char *reason,
                          const sl_batch *b, uint32_t i);
/* How many entries were written since open. */
uint64_t sl_deadletter_count(const sl_deadletter *d);

#endif
