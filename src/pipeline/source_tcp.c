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

#include "pipeline/source.h"

#define MAX_CLIENTS 1024

typedef struct tcp_source {
    sl_source base;
    char listen[256];
    int64_t max_clients;
} tcp_source;

static int listen_on(const char *addr, char *err, size_t errlen) {
    char host[256];
    const char *colon = strrchr(addr, ':');
    if (!colon || (size_t)(colon - addr) >= sizeof host) {
        snprintf(err, errlen, "tcp source: listen %s: expected HOST:PORT", addr);
        return -1;
    }
    memcpy(host, addr, (size_t)(colon - addr));
    host[colon - addr] = 0;
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE}, *ai = NULL;
    int rc = getaddrinfo(host[0] ? host : NULL, colon + 1, &hints, &ai);
    if (rc) {
        snprintf(err, errlen, "tcp source: listen %s: %s", addr, gai_strerror(rc));
        return -1;
    }
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd >= 0) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 128) != 0) {
        snprintf(err, errlen, "tcp source: listen %s: %s", addr, strerror(errno));
        if (fd >= 0) close(fd);
        fd = -1;
    }
    freeaddrinfo(ai);
    return fd;
}

static bool tcp_run(sl_source *src, sl_flow *flow, char *err, size_t errlen) {
    tcp_source *s = (tcp_source *)src;
    int lfd = listen_on(s->listen, err, errlen);
    if (lfd < 0) return false;
    struct pollfd fds[MAX_CLIENTS + 1];
    sl_feed *feeds[MAX_CLIENTS + 1] = {0};
    int nfds = 1;
    fds[0] = (struct pollfd){.fd = lfd, .events = POLLIN};
    static char buf[1 << 16];
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
            for (int i = 1; i < nfds; i++)
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
                feeds[nfds] = sl_feed_new(flow, 0);
                if (!feeds[nfds]) {
                    close(cfd);
                } else {
                    fds[nfds++] = (struct pollfd){.fd = cfd, .events = POLLIN};
                }
            }
        }
        for (int i = 1; i < nfds; i++) {
            if (!fds[i].revents) continue;
            ssize_t r = read(fds[i].fd, buf, sizeof buf);
            if (r < 0 && (errno == EINTR || errno == EAGAIN)) continue;
            if (r > 0) {
                dirty = true;
                if (!sl_feed_bytes(feeds[i], buf, (size_t)r)) break;
                continue;
            }
            /* the client is gone (EOF or error): its last line counts, then drop it */
            sl_feed_end(feeds[i]);
            close(fds[i].fd);
            fds[i] = fds[nfds - 1];
            feeds[i] = feeds[nfds - 1];
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
            ssize_t r = read(fds[i].fd, buf, sizeof buf);
            if (r <= 0) break;
            sl_feed_bytes(feeds[i], buf, (size_t)r);
        }
        sl_feed_end(feeds[i]);
        close(fds[i].fd);
    }
    return true;
}

static void tcp_committed(sl_source *src, uint64_t pos) {
    (void)src, (void)pos; /* a stream cannot be replayed: nothing to remember */
}

static void tcp_free(sl_source *src) {
    free(src);
}

static const sl_source_ops TCP_OPS = {"tcp", tcp_run, tcp_committed, NULL, tcp_free};

sl_source *sl_source_tcp_open(const sl_conf_ctx *c, const json_t *section) {
    static const char *const KEYS[] = {"type", "listen", "max_clients", NULL};
    bool ok = sl_conf_only(c, section, KEYS);
    const char *listen = ok ? sl_conf_str(c, section, "listen", NULL, &ok) : NULL;
    int64_t max_clients = sl_conf_int(c, section, "max_clients", 256, 1, MAX_CLIENTS, &ok);
    if (!ok) return NULL;
    tcp_source *s = calloc(1, sizeof *s);
    if (!s) {
        sl_conf_fail(c, section, "out of memory");
        return NULL;
    }
    s->base.ops = &TCP_OPS;
    snprintf(s->listen, sizeof s->listen, "%s", listen);
    s->max_clients = max_clients;
    return &s->base;
}

sl_source *sl_source_open(const sl_conf_ctx *c, const json_t *section, const char *base_dir,
                          const char *name) {
    bool ok = true;
    const char *type = sl_conf_str(c, section, "type", NULL, &ok);
    if (!ok) return NULL;
    if (!strcmp(type, "tcp")) return sl_source_tcp_open(c, section);
    if (!strcmp(type, "file")) return sl_source_file_open(c, section, base_dir);
    if (!strcmp(type, "stdin")) return sl_source_stdin_open(c, section);
    if (!strcmp(type, "http")) return sl_source_http_open(c, section, name);
    sl_conf_fail(c, section, "unknown source type \"%s\" (known: tcp, http, file, stdin)", type);
    return NULL;
}
