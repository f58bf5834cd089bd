/* workers.c - a fixed pool of threads taking jobs from one FIFO queue (workers.h). */
#include "serve/workers.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

struct sl_workers {
    pthread_mutex_t lock;
    pthread_cond_t ready;
    sl_job *head, **tail;
    unsigned pending; /* queued + running */
    bool stopping;
    unsigned n;
    void *(*local_new)(void *);
    void (*local_free)(void *);
    void *arg;
    pthread_t threads[];
};

static void *worker_main(void *p) {
    sl_workers *w = p;
    void *local = w->local_new ? w->local_new(w->arg) : NULL;
    pthread_mutex_lock(&w->lock);
    for (;;) {
        while (!w->head && !w->stopping)
            pthread_cond_wait(&w->ready, &w->lock);
        sl_job *job = w->head;
        if (!job) break; /* stopping, and the queue is empty */
        w->head = job->next;
        if (!w->head) w->tail = &w->head;
        pthread_mutex_unlock(&w->lock);
        job->run(job, local); /* may free the job */
        pthread_mutex_lock(&w->lock);
        w->pending--;
    }
    pthread_mutex_unlock(&w->lock);
    if (w->local_free) w->local_free(local);
    return NULL;
}

sl_workers *sl_workers_new(unsigned n, void *(*local_new)(void *), void (*local_free)(void *),
                           void *arg) {
    if (!n) n = 1;
    sl_workers *w = calloc(1, sizeof *w + n * sizeof(pthread_t));
    if (!w) return NULL;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->ready, NULL);
    w->tail = &w->head;
    w->local_new = local_new, w->local_free = local_free, w->arg = arg;
    for (; w->n < n; w->n++)
        if (pthread_create(&w->threads[w->n], NULL, worker_main, w) != 0) break;
    if (!w->n) {
        sl_workers_free(w);
        return NULL;
    }
    return w;
}

void sl_workers_submit(sl_workers *w, sl_job *job) {
    job->next = NULL;
    pthread_mutex_lock(&w->lock);
    *w->tail = job;
    w->tail = &job->next;
    w->pending++;
    pthread_cond_signal(&w->ready);
    pthread_mutex_unlock(&w->lock);
}

unsigned sl_workers_pending(sl_workers *w) {
    pthread_mutex_lock(&w->lock);
    unsigned n = w->pending;
    pthread_mutex_unlock(&w->lock);
    return n;
}

void sl_workers_free(sl_workers *w) {
    if (!w) return;
    pthread_mutex_lock(&w->lock);
    w->stopping = true;
    pthread_cond_broadcast(&w->ready);
    pthread_mutex_unlock(&w->lock);
    for (unsigned i = 0; i < w->n; i++)
        pthread_join(w->threads[i], NULL);
    pthread_cond_destroy(&w->ready);
    pthread_mutex_destroy(&w->lock);
    free(w);
}
