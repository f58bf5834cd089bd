/*
 * helpers.h - what the sink tests share: temp directories, sink sections from YAML text,
 * batches built field by field, the dead letter's lines, and python3 peers
 * (tests/sinks/peer.py) for the HTTP and Elasticsearch sinks.
 */
#ifndef SLUICE_TEST_SINKS_HELPERS_H
#define SLUICE_TEST_SINKS_HELPERS_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "../unit/check.h"
#include "pipeline/record.h"
#include "pipeline/sink.h"

extern char err[1024];
extern char first_retry[1024]; /* the first RETRY's reason write_retrying saw */

/* A fresh directory under $SLUICE_TEST_TMP (default /tmp), and its removal. */
void tmp_dir(char *dir, size_t size, const char *what);
void rm_tree(const char *dir);

/* Opens the sink a YAML mapping describes (file "test.yaml"); NULL with err set. */
sl_sink *open_sink(const char *yaml);
/* The error sl_sink_open gives for yaml (NULL when it opened). Static buffer. */
const char *open_error(const char *yaml);

/* s->ops->write and sl_deadletter_open, with the reason in err. */
sl_sink_result sink_write(sl_sink *s, const sl_batch *b, sl_deadletter *dead);
sl_deadletter *dead_open(const char *path);

/* A batch with these fields (comma-separated names), for rows added with row_*(). */
sl_batch *new_batch(const char *fields, uint32_t cap);
/* Appends a record; then set fields by index. */
sl_value *add_row(sl_batch *b, uint64_t pos);
void set_int(sl_value *row, int f, int64_t v);
void set_float(sl_value *row, int f, double v);
void set_bool(sl_value *row, int f, bool v);
void set_time(sl_value *row, int f, int64_t us);
void set_str(sl_batch *b, sl_value *row, int f, const char *s);

/* The dead letter's file as JSON values, one per line (a new reference, an array). */
json_t *read_dead(const char *path);

/* A python3 peer (tests/sinks/peer.py, or $SLUICE_SINKS_PEER): started on a free loopback
 * port; peer_get fetches a path of it as JSON. */
typedef struct peer {
    pid_t pid;
    int port;
    char dir[512];
} peer;
bool peer_start(peer *p);
/* Another script of tests/sinks (by file name), with one more argument after the port file. */
bool peer_start_script(peer *p, const char *script, const char *arg);
void peer_stop(peer *p);
json_t *peer_get(const peer *p, const char *path);

/* Calls write like the engine: again after RETRY (up to tries times, sleeping ms between).
 * Returns the last result; *retries counts the RETRYs. */
sl_sink_result write_retrying(sl_sink *s, const sl_batch *b, sl_deadletter *dead, int tries, int ms,
                              int *retries);

#endif
