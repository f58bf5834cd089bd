/*
 * h2o.c - the smallest libh2o (evloop flavour, Debian's libh2o-evloop-dev) server: every
 * request is answered 200 "hello\n" (keep-alive). A benchmark program only
 * (bench/serve/run.sh), to compare with bench/serve/httplib/mhd.c.
 *
 *   h2o PORT [direct|handoff]
 *
 * One event-loop thread per core, each with its own listening socket on the same port
 * (SO_REUSEPORT: the kernel spreads connections over them), which is how h2o's own server
 * scales.
 *
 * direct   the handler answers on the loop thread: the best the library can do.
 * handoff  the handler queues the request; one of 2 worker threads "runs" it and sends it
 *          back to its loop thread (h2o_multithread_send_message, a pipe/eventfd wake-up),
 *          which answers. h2o's counterpart of mhd.c's suspend mode, and how `sluice serve`
 *          would have to use h2o (guests never run on the network threads, docs/serve.md).
 *
 * Runs until SIGINT or SIGTERM.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The evloop flavour (no libuv): must be said before h2o.h. */
#define H2O_USE_LIBUV 0
#include <h2o.h>

#define THREADS 2 /* loop threads: one per core */
#define WORKERS 2 /* worker threads (handoff mode): one per core */

static h2o_globalconf_t config;
static int port;
static bool handoff;

typedef struct loop {
    pthread_t thread;
    h2o_context_t ctx;
    h2o_accept_ctx_t accept;
    h2o_multithread_queue_t *queue; /* handoff: where workers send finished jobs */
    h2o_multithread_receiver_t done;
} loop;

/* A request handed to a worker. The worker never touches the request: h2o may dispose of it
 * (the client went away) while the job is out, so the request's pool holds a `holder` whose
 * dispose callback cuts the link, and only the loop thread ever follows or cuts it. */
typedef struct holder holder;
typedef struct job {
    h2o_multithread_message_t msg; /* first: the queue's link */
    h2o_multithread_receiver_t *reply_to;
    h2o_req_t *req; /* NULL once h2o disposed of the request */
    holder *holder;
    struct job *next;
} job;
struct holder {
    job *job;
};

static void respond(h2o_req_t *req) {
    req->res.status = 200;
    req->res.reason = "OK";
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                   H2O_STRLIT("text/plain"));
    req->res.content_length = 6; /* else h2o sends it chunked */
    h2o_send_inline(req, H2O_STRLIT("hello\n"));
}

/* The queue from the loop threads to the workers: a list under one lock. */
static struct {
    pthread_mutex_t lock;
    pthread_cond_t nonempty;
    job *head, *tail;
} q = {.lock = PTHREAD_MUTEX_INITIALIZER, .nonempty = PTHREAD_COND_INITIALIZER};

static void *worker(void *arg) {
    (void)arg;
    for (;;) {
        pthread_mutex_lock(&q.lock);
        while (!q.head)
            pthread_cond_wait(&q.nonempty, &q.lock);
        job *j = q.head;
        if (!(q.head = j->next)) q.tail = NULL;
        pthread_mutex_unlock(&q.lock);
        /* Here the real server would run the guest. */
        h2o_multithread_send_message(j->reply_to, &j->msg);
    }
    return NULL; /* not reached */
}

static void on_dispose(void *p) {
    holder *h = p;
    if (h->job) h->job->req = NULL;
}

/* On the loop thread: jobs the workers finished. */
static void on_done(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages) {
    (void)receiver;
    while (!h2o_linklist_is_empty(messages)) {
        job *j = H2O_STRUCT_FROM_MEMBER(job, msg.link, messages->next);
        h2o_linklist_unlink(&j->msg.link);
        if (j->req) {
            j->holder->job = NULL;
            respond(j->req);
        }
        free(j);
    }
}

static int on_req(h2o_handler_t *self, h2o_req_t *req) {
    (void)self;
    if (!handoff) {
        respond(req);
        return 0;
    }
    loop *l = H2O_STRUCT_FROM_MEMBER(loop, ctx, req->conn->ctx);
    job *j = calloc(1, sizeof *j);
    holder *h = h2o_mem_alloc_shared(&req->pool, sizeof *h, on_dispose);
    if (!j) return -1;
    *j = (job){.reply_to = &l->done, .req = req, .holder = h};
    h->job = j;
    pthread_mutex_lock(&q.lock);
    if (q.tail)
        q.tail->next = j;
    else
        q.head = j;
    q.tail = j;
    pthread_cond_signal(&q.nonempty);
    pthread_mutex_unlock(&q.lock);
    return 0;
}

static void on_accept(h2o_socket_t *listener, const char *err) {
    if (err) return;
    h2o_socket_t *sock = h2o_evloop_socket_accept(listener);
    if (sock) h2o_accept(listener->data, sock);
}

/* A listening socket of this thread's own on 127.0.0.1:port. */
static int listen_fd(void) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), on = 1;
    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_port = htons((uint16_t)port),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) ||
        bind(fd, (struct sockaddr *)&addr, sizeof addr) || listen(fd, SOMAXCONN)) {
        perror("h2o: listen");
        exit(1);
    }
    return fd;
}

static void *run_loop(void *arg) {
    loop *l = arg;
    h2o_context_init(&l->ctx, h2o_evloop_create(), &config);
    l->accept.ctx = &l->ctx;
    l->accept.hosts = config.hosts;
    l->queue = h2o_multithread_create_queue(l->ctx.loop);
    h2o_multithread_register_receiver(l->queue, &l->done, on_done);
    h2o_socket_t *sock =
        h2o_evloop_socket_create(l->ctx.loop, listen_fd(), H2O_SOCKET_FLAG_DONT_READ);
    sock->data = &l->accept;
    h2o_socket_read_start(sock, on_accept);
    /* It returns -1 when epoll_wait fails, which includes EINTR (a debugger attaching). */
    for (;;)
        if (h2o_evloop_run(l->ctx.loop, INT32_MAX) != 0 && errno != EINTR) {
            perror("h2o: event loop");
            exit(1);
        }
    return NULL; /* not reached */
}

int main(int argc, char **argv) {
    port = argc >= 2 ? atoi(argv[1]) : 0;
    handoff = argc == 3 && !strcmp(argv[2], "handoff");
    if (port <= 0 || port > 65535 || argc > 3 ||
        (argc == 3 && !handoff && strcmp(argv[2], "direct"))) {
        fprintf(stderr, "usage: h2o PORT [direct|handoff]\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN); /* a client closing mid-write must not kill the server */

    h2o_config_init(&config);
    h2o_hostconf_t *host =
        h2o_config_register_host(&config, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    h2o_pathconf_t *path = h2o_config_register_path(host, "/", 0);
    h2o_create_handler(path, sizeof(h2o_handler_t))->on_req = on_req;

    /* SIGINT and SIGTERM are blocked in the other threads and taken by sigwait below. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);

    static loop loops[THREADS];
    for (int i = 0; i < THREADS; i++)
        if (pthread_create(&loops[i].thread, NULL, run_loop, &loops[i])) return 1;
    pthread_t workers[WORKERS];
    if (handoff)
        for (int i = 0; i < WORKERS; i++)
            if (pthread_create(&workers[i], NULL, worker, NULL)) return 1;
    int sig;
    sigwait(&sigs, &sig);
    return 0; /* no orderly stop: a benchmark server has nothing to flush */
}
