/*
 * mhd.c - the smallest libmicrohttpd server: every request is answered 200 "hello\n"
 * (keep-alive). A benchmark program only (bench/serve/run.sh), to measure what the library
 * costs before any of sluice's own work.
 *
 *   mhd PORT [direct|suspend] [turbo]
 *
 * direct   the access handler answers on the network thread (MHD's own epoll loop, a pool of
 *          2 threads): the best the library can do.
 * suspend  the access handler suspends the connection and queues the request; one of 2
 *          worker threads "runs" it and resumes the connection, and the network thread then
 *          sends the answer. This is how `sluice serve` must work (guests never run on the
 *          network threads, docs/serve.md), so it is the figure that matters.
 * turbo    adds MHD_USE_TURBO (read/write/accept before asking epoll).
 *
 * Runs until SIGINT or SIGTERM.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <microhttpd.h>

#define POOL    2    /* network threads: one per core */
#define WORKERS 2    /* worker threads (suspend mode): one per core */
#define QCAP    1024 /* more than wrk's 64 connections can ever have in flight */

static const char HELLO[] = "hello\n";
/* One response object shared by every request: MHD counts its references under a lock. */
static struct MHD_Response *hello;

/* A request's state, held in MHD's per-request pointer (suspend mode). */
typedef struct req {
    struct MHD_Connection *conn;
    bool queued, done;
} req;

/* The queue from the network threads to the workers: a ring under one lock. */
static struct {
    pthread_mutex_t lock;
    pthread_cond_t nonempty;
    req *items[QCAP];
    size_t head, len;
} q = {.lock = PTHREAD_MUTEX_INITIALIZER, .nonempty = PTHREAD_COND_INITIALIZER};

static void push(req *r) {
    pthread_mutex_lock(&q.lock);
    if (q.len == QCAP) { /* cannot happen with wrk's connection counts; fail loudly if it does */
        fprintf(stderr, "mhd: queue full\n");
        abort();
    }
    q.items[(q.head + q.len++) % QCAP] = r;
    pthread_cond_signal(&q.nonempty);
    pthread_mutex_unlock(&q.lock);
}

static void *worker(void *arg) {
    (void)arg;
    for (;;) {
        pthread_mutex_lock(&q.lock);
        while (!q.len)
            pthread_cond_wait(&q.nonempty, &q.lock);
        req *r = q.items[q.head];
        q.head = (q.head + 1) % QCAP, q.len--;
        pthread_mutex_unlock(&q.lock);
        /* Here the real server runs the guest. The flag is read by the network thread only
         * after MHD_resume_connection, which takes MHD's own locks (a release/acquire pair). */
        r->done = true;
        MHD_resume_connection(r->conn);
    }
    return NULL; /* not reached */
}

static enum MHD_Result answer_direct(void *cls, struct MHD_Connection *conn, const char *url,
                                     const char *method, const char *version, const char *upload,
                                     size_t *upload_size, void **state) {
    (void)cls, (void)url, (void)method, (void)version, (void)upload;
    static int first_call; /* any address: marks "headers seen" on the first call */
    if (!*state) {
        *state = &first_call;
        return MHD_YES;
    }
    if (*upload_size) { /* a POST body: discard it */
        *upload_size = 0;
        return MHD_YES;
    }
    return MHD_queue_response(conn, MHD_HTTP_OK, hello);
}

static enum MHD_Result answer_suspend(void *cls, struct MHD_Connection *conn, const char *url,
                                      const char *method, const char *version, const char *upload,
                                      size_t *upload_size, void **state) {
    (void)cls, (void)url, (void)method, (void)version, (void)upload;
    req *r = *state;
    if (!r) {
        if (!(r = calloc(1, sizeof *r))) return MHD_NO;
        r->conn = conn;
        *state = r;
        return MHD_YES;
    }
    if (*upload_size) {
        *upload_size = 0;
        return MHD_YES;
    }
    if (!r->queued) { /* the whole request is in: hand it to a worker */
        r->queued = true;
        MHD_suspend_connection(conn);
        push(r);
        return MHD_YES;
    }
    if (!r->done) return MHD_YES; /* not expected: resumed only when done */
    return MHD_queue_response(conn, MHD_HTTP_OK, hello);
}

static void completed(void *cls, struct MHD_Connection *conn, void **state,
                      enum MHD_RequestTerminationCode code) {
    (void)conn, (void)code;
    if (cls) free(*state); /* cls is non-NULL in suspend mode only */
    *state = NULL;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: mhd PORT [direct|suspend] [turbo]\n");
        return 2;
    }
    int port = atoi(argv[1]);
    bool suspend = argc > 2 && !strcmp(argv[2], "suspend");
    bool turbo = argc > 3 && !strcmp(argv[3], "turbo");
    if (port <= 0 || port > 65535 || (argc > 2 && !suspend && strcmp(argv[2], "direct")) ||
        (argc > 3 && !turbo)) {
        fprintf(stderr, "usage: mhd PORT [direct|suspend] [turbo]\n");
        return 2;
    }

    hello =
        MHD_create_response_from_buffer(sizeof HELLO - 1, (void *)HELLO, MHD_RESPMEM_PERSISTENT);
    if (!hello) return 1;
    MHD_add_response_header(hello, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain");

    /* SIGINT and SIGTERM are blocked in every thread (the masks are inherited) and taken
     * by sigwait below. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);

    pthread_t workers[WORKERS];
    if (suspend)
        for (int i = 0; i < WORKERS; i++)
            if (pthread_create(&workers[i], NULL, worker, NULL)) return 1;

    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
    if (suspend) flags |= MHD_ALLOW_SUSPEND_RESUME;
    if (turbo) flags |= MHD_USE_TURBO;
    /* Loopback only: nothing else should reach a benchmark server. */
    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_port = htons((uint16_t)port),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct MHD_Daemon *d = MHD_start_daemon(
        flags, (uint16_t)port, NULL, NULL, suspend ? answer_suspend : answer_direct, NULL,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr, MHD_OPTION_THREAD_POOL_SIZE, (unsigned)POOL,
        MHD_OPTION_NOTIFY_COMPLETED, completed, suspend ? (void *)1 : NULL,
        MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u, MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "mhd: cannot listen on port %d: %s\n", port, strerror(errno));
        return 1;
    }

    int sig;
    sigwait(&sigs, &sig);

    /* No orderly stop: MHD_stop_daemon must not run while a worker may still resume a
     * connection, and a benchmark server has nothing to flush. */
    (void)d;
    return 0;
}
