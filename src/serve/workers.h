/*
 * workers.h - the pool of threads that run guests, off the HTTP library's network threads.
 *
 * A job is a struct that embeds sl_job and is handed to sl_workers_submit; some worker runs
 * it, FIFO. Each worker has a local pointer (made by local_new on the worker's own thread)
 * where it keeps what must not be shared between threads: its warm handler instances.
 */
#ifndef SL_SERVE_WORKERS_H
#define SL_SERVE_WORKERS_H

typedef struct sl_job sl_job;
struct sl_job {
    void (*run)(sl_job *job, void *local);
    sl_job *next;
};

typedef struct sl_workers sl_workers;

/* Starts n threads. local_new/local_free may be NULL. */
sl_workers *sl_workers_new(unsigned n, void *(*local_new)(void *arg), void (*local_free)(void *),
                           void *arg);
void sl_workers_submit(sl_workers *w, sl_job *job);
/* Jobs submitted and not yet finished. */
unsigned sl_workers_pending(sl_workers *w);
/* Runs what is queued, then stops and joins the threads. */
void sl_workers_free(sl_workers *w);

#endif
