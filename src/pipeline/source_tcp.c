/*
 * source_tcp.c - `tcp`: listens, accepts many clients, and parses each client's stream of
 * newline-delimited records with its own parser (a record may arrive in pieces).
 *
 * Backpressure is TCP's own: while the engine's queue is full, sl_feed_bytes waits, this
 * thread stops reading, the kernel's receive buffers fill and the senders slow down. A TCP
 * stream cannot be replayed, so its positions are only byte counts: records in flight when
 * the process dies are lost unless the sender resends (docs/pipeline.md).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/error.h"
#include "pipeline/source.h"

#define MAX_CLIENTS 1024
#define READ_BUF    (1 << 16)

typedef struct tcp_source {
    sl_source base;
    char listen[256];
    int64_t max_clients;
    sl_spool *spool; /* spool: DIR, or NULL */
} tcp_source;

/* With a spool, a client's bytes go to it as whole lines: the partial last line of each read
 * waits in its client's buffer, so clients' lines never interleave. */
static void spool_bytes(sl_spool *sp, sl_buf *p, const char *data, size_t len) {
    const char *nl = len ? memrchr(data, '\n', len) : NULL;
    if (!nl) {
        sl_buf_append(p, data, len); /* out of memory: the line is cut short */
        return;
    }
    size_t whole = (size_t)(nl - data) + 1;
    if (p->len) sl_spool_append(sp, p->data, p->len, false);
    sl_spool_append(sp, data, whole, false);
    p->len = 0;
    spool_bytes(sp, p, nl + 1, len - whole);
}

/* The client is gone: its last line counts even without a line break. */
static void spool_end(sl_spool *sp, sl_buf *p) {
    if (p->len) {
        sl_spool_append(sp, p->data, p->len, false);
        sl_spool_append(sp, "\n", 1, false);
    }
    sl_buf_free(p);
}

static int listen_on(const char *addr, sl_error *err) {
    char host[256];
    const char *colon = strrchr(addr, ':');
    if (!colon || (size_t)(colon - addr) >= sizeof host) {
        sl_errorf(err, SL_ERR_ARGUMENT, "tcp source: listen %s: expected HOST:PORT", addr);
        return -1;
    }
    memcpy(host, addr, (size_t)(colon - addr));
    host[colon - addr] = 0;
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE}, *ai = NULL;
    int rc = getaddrinfo(host[0] ? host : NULL, colon + 1, &hints, &ai);
    if (rc) {
        sl_errorf(err, SL_ERR_ARGUMENT, "tcp source: listen %s: %s", addr, gai_strerror(rc));
        return -1;
    }
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd >= 0) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 128) != 0) {
        sl_errorf(err, SL_ERR_ARGUMENT, "tcp source: listen %s: %s", addr, strerror(errno));
        if (fd >= 0) close(fd);
        fd = -1;
    }
    freeaddrinfo(ai);
    return fd;
}

static bool tcp_run(sl_source *src, sl_flow *flow, sl_error *err) {
    tcp_source *s = (tcp_source *)src;
    int lfd = listen_on(s->listen, err);
    if (lfd < 0) return false;
    struct pollfd fds[MAX_CLIENTS + 1];
    sl_feed *feeds[MAX_CLIENTS + 1] = {0};
    /* Per run, on the heap: several pipelines' tcp sources run this at once. */
    sl_buf *parts = calloc(MAX_CLIENTS + 1, sizeof *parts);
    char *buf = malloc(READ_BUF);
    if (!parts || !buf) {
        sl_errorf(err, SL_ERR_NOMEM, "tcp source: out of memory");
        free(parts), free(buf);
        close(lfd);
        return false;
    }
    if (s->spool && !sl_spool_start(s->spool, flow)) {
        sl_errorf(err, SL_ERR_ARGUMENT, "tcp source: cannot start the spool's reader");
        free(parts), free(buf);
        close(lfd);
        return false;
    }
    int nfds = 1;
    fds[0] = (struct pollfd){.fd = lfd, .events = POLLIN};
    bool dirty = false; /* some feed holds a partly filled batch */
    struct timespec now, last_flush;
    clock_gettime(CLOCK_MONOTONIC, &last_flush);
    while (!sl_flow_stopping(flow)) {
        int n = poll(fds, (nfds_t)nfds, dirty ? sl_flow_linger_ms(flow) : 100);
        if (n < 0 && errno != EINTR) break;
        /* Partial batches go on when the input is idle, and at the latest `linger` after the
         * last time: a steady trickle must not wait for a full batch (latency). */
        clock_gettime(CLOCK_MONOTONIC, &now);
        long since =
            (now.tv_sec - last_flush.tv_sec) * 1000 + (now.tv_nsec - last_flush.tv_nsec) / 1000000;
        if (dirty && (n == 0 || since >= sl_flow_linger_ms(flow))) {
            if (s->spool) sl_spool_sync(s->spool);
            for (int i = 1; i < nfds && !s->spool; i++)
                sl_feed_flush(feeds[i]);
            dirty = false;
            last_flush = now;
        }
        if (n <= 0) continue;
        if (fds[0].revents & POLLIN) {
            int cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
            if (cfd >= 0 && nfds > s->max_clients) {
                close(cfd); /* too many clients: refuse this one */
            } else if (cfd >= 0) {
                feeds[nfds] = s->spool ? NULL : sl_feed_new(flow, 0);
                parts[nfds] = (sl_buf){0};
                if (!s->spool && !feeds[nfds]) {
                    close(cfd);
                } else {
                    fds[nfds++] = (struct pollfd){.fd = cfd, .events = POLLIN};
                }
            }
        }
        for (int i = 1; i < nfds; i++) {
            if (!fds[i].revents) continue;
            ssize_t r = read(fds[i].fd, buf, READ_BUF);
            if (r < 0 && (errno == EINTR || errno == EAGAIN)) continue;
            if (r > 0) {
                dirty = true;
                if (s->spool)
                    spool_bytes(s->spool, &parts[i], buf, (size_t)r);
                else if (!sl_feed_bytes(feeds[i], buf, (size_t)r))
                    break;
                continue;
            }
            /* the client is gone (EOF or error): its last line counts, then drop it */
            if (s->spool)
                spool_end(s->spool, &parts[i]);
            else
                sl_feed_end(feeds[i]);
            close(fds[i].fd);
            fds[i] = fds[nfds - 1];
            feeds[i] = feeds[nfds - 1];
            parts[i] = parts[nfds - 1];
            nfds--;
            i--;
        }
    }
    /* Stopping: take no new clients, and read what the clients' sockets already hold (the
     * kernel acknowledged it to the senders), for up to a second, before the last records
     * go through: a graceful stop drains what was sent. */
    close(lfd);
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 1; i < nfds; i++) {
        shutdown(fds[i].fd, SHUT_WR); /* tells the sender we are done */
        for (;;) {
            clock_gettime(CLOCK_MONOTONIC, &t);
            long left = 1000 - ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
            struct pollfd p = {.fd = fds[i].fd, .events = POLLIN};
            if (left <= 0 || poll(&p, 1, (int)(left < 50 ? left : 50)) <= 0) break;
            ssize_t r = read(fds[i].fd, buf, READ_BUF);
            if (r <= 0) break;
            if (s->spool)
                spool_bytes(s->spool, &parts[i], buf, (size_t)r);
            else
                sl_feed_bytes(feeds[i], buf, (size_t)r);
        }
        if (s->spool)
            spool_end(s->spool, &parts[i]);
        else
            sl_feed_end(feeds[i]);
        close(fds[i].fd);
    }
    if (s->spool) {
        sl_spool_sync(s->spool);
        sl_spool_join(s->spool); /* what it did not read stays spooled for the next run */
    }
    free(parts);
    free(buf);
    return true;
}

static void tcp_committed(sl_source *src, uint64_t pos) {
    tcp_source *s = (tcp_source *)src;
    if (s->spool) sl_spool_committed(s->spool, pos); /* else a stream cannot be replayed */
}

static void tcp_free(sl_source *src) {
    sl_spool_free(((tcp_source *)src)->spool);
    free(src);
}

static const sl_source_ops TCP_OPS = {"tcp", tcp_run, tcp_committed, NULL, tcp_free, NULL};

sl_source *sl_source_tcp_open(const sl_conf_ctx *c, const json_t *section) {
    static const char *const KEYS[] = {"type", "listen", "max_clients", "spool", NULL};
    bool ok = sl_conf_only(c, section, KEYS);
    const char *listen = ok ? sl_conf_str(c, section, "listen", NULL, &ok) : NULL;
    int64_t max_clients = sl_conf_int(c, section, "max_clients", 256, 1, MAX_CLIENTS, &ok);
    const char *spool = ok ? sl_conf_str(c, section, "spool", "", &ok) : NULL;
    if (!ok) return NULL;
    tcp_source *s = calloc(1, sizeof *s);
    if (!s) {
        sl_conf_fail(c, section, "out of memory");
        return NULL;
    }
    s->base.ops = &TCP_OPS;
    snprintf(s->listen, sizeof s->listen, "%s", listen);
    s->max_clients = max_clients;
    if (!sl_spool_conf(c, section, spool, &s->spool)) {
        free(s);
        return NULL;
    }
    return &s->base;
}
