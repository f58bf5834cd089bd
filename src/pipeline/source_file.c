/*
 * source_file.c - `file` (read a file, optionally follow it as it grows, resuming from a
 * stored offset after a restart) and `stdin`.
 *
 * The file source's offset file holds the position up to which every record has been
 * committed by every sink; it is replaced atomically (sl_write_file_atomic: a temp file, renamed),
 * at most every 200 ms and once more at the end, so a crash loses no committed position older than
 * that and repeats at most what came after it (at-least-once).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/error.h"
#include "base/file.h"
#include "pipeline/source.h"

#define READ_BUF (1 << 16)

typedef struct file_source {
    sl_source base;
    char path[PATH_MAX];
    char offsets[PATH_MAX]; /* "" = no resume */
    bool follow, is_stdin;
    int64_t poll_ms;
    _Atomic uint64_t committed; /* written by the sink thread */
    uint64_t saved;             /* what the offset file holds */
    struct timespec last_save;
} file_source;

static uint64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t load_offset(const file_source *s) {
    if (!s->offsets[0]) return 0;
    char *text = sl_read_file(s->offsets, 64, NULL, NULL); /* missing: from the start */
    unsigned long long v = 0;
    if (text && sscanf(text, "%llu", &v) != 1) v = 0;
    free(text);
    return v;
}

static void save_offset(file_source *s, uint64_t v) {
    if (!s->offsets[0] || v == s->saved) return;
    char text[32];
    int n = snprintf(text, sizeof text, "%llu\n", (unsigned long long)v);
    /* a failed write is tried again at the next commit; until then the old offset holds */
    if (sl_write_file_atomic(s->offsets, text, (size_t)n, 0666, NULL)) s->saved = v;
}

static void file_committed(sl_source *src, uint64_t pos) {
    file_source *s = (file_source *)src;
    uint64_t old = atomic_load(&s->committed);
    while (pos > old && !atomic_compare_exchange_weak(&s->committed, &old, pos)) {
    }
}

static bool file_run(sl_source *src, sl_flow *flow, sl_error *err) {
    file_source *s = (file_source *)src;
    int fd = 0;
    uint64_t start = 0;
    if (!s->is_stdin) {
        fd = open(s->path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            sl_errorf(err, SL_ERR_ARGUMENT, "source file %s: %s", s->path, strerror(errno));
            return false;
        }
        start = s->saved = load_offset(s);
        struct stat st;
        if (fstat(fd, &st) == 0 && (uint64_t)st.st_size < start) start = 0; /* truncated */
        if (start && lseek(fd, (off_t)start, SEEK_SET) < 0) start = 0;
        atomic_store(&s->committed, start);
    }
    sl_feed *feed = sl_feed_new(flow, start);
    /* Per run, on the heap: several pipelines' file sources run this at once. */
    char *buf = malloc(READ_BUF);
    if (!feed || !buf) {
        sl_errorf(err, SL_ERR_NOMEM, "out of memory");
        if (feed) sl_feed_end(feed);
        free(buf);
        if (fd > 0) close(fd);
        return false;
    }
    bool ok = true;
    if (start && sl_feed_wants_header(feed)) {
        /* the header line, from the top of the file, then back to where we resume */
        ssize_t n = pread(fd, buf, READ_BUF, 0);
        char *nl = n > 0 ? memchr(buf, '\n', (size_t)n) : NULL;
        if (nl) sl_feed_header(feed, buf, (size_t)(nl - buf + 1));
    }
    uint64_t last_save = now_ms();
    while (!sl_flow_stopping(flow)) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        /* stdin and pipes: wait for input up to the linger time, then flush what we have */
        if (s->is_stdin && poll(&p, 1, sl_flow_linger_ms(flow)) == 0) {
            if (!sl_feed_flush(feed)) break;
            continue;
        }
        ssize_t n = read(fd, buf, READ_BUF);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            sl_errorf(err, SL_ERR_ARGUMENT, "reading %s: %s", s->is_stdin ? "stdin" : s->path,
                      strerror(errno));
            ok = false;
            break;
        }
        if (n == 0) {
            if (!s->follow) break;
            /* at the end of a followed file: flush, save, and wait for it to grow */
            if (!sl_feed_flush(feed)) break;
            save_offset(s, atomic_load(&s->committed));
            usleep((useconds_t)s->poll_ms * 1000);
            continue;
        }
        if (!sl_feed_bytes(feed, buf, (size_t)n)) break;
        if (now_ms() - last_save >= 200) {
            save_offset(s, atomic_load(&s->committed));
            last_save = now_ms();
        }
    }
    sl_feed_end(feed);
    free(buf);
    if (fd > 0) close(fd);
    return ok;
}

static void file_free(sl_source *src) {
    file_source *s = (file_source *)src;
    save_offset(s, atomic_load(&s->committed)); /* the engine has drained: this is final */
    free(s);
}

static const sl_source_ops FILE_OPS = {"file", file_run, file_committed, NULL, file_free, NULL};

sl_source *sl_source_file_open(const sl_conf_ctx *c, const json_t *section) {
    static const char *const KEYS[] = {"type", "path", "follow", "offsets", "poll", NULL};
    bool ok = sl_conf_only(c, section, KEYS);
    const char *path = ok ? sl_conf_str(c, section, "path", NULL, &ok) : NULL;
    const char *offsets = ok ? sl_conf_str(c, section, "offsets", "", &ok) : NULL;
    bool follow = sl_conf_bool(c, section, "follow", false, &ok);
    int64_t poll_ms = sl_conf_ms(c, section, "poll", 200, &ok);
    if (!ok) return NULL;
    file_source *s = calloc(1, sizeof *s);
    if (!s) {
        sl_conf_fail(c, section, "out of memory");
        return NULL;
    }
    s->base.ops = &FILE_OPS;
    s->follow = follow;
    s->poll_ms = poll_ms > 0 ? poll_ms : 1;
    if (!sl_conf_path(c, section, path, s->path, sizeof s->path) ||
        (offsets[0] && !sl_conf_path(c, section, offsets, s->offsets, sizeof s->offsets))) {
        free(s);
        return NULL;
    }
    return &s->base;
}

sl_source *sl_source_follow_new(const char *path, const char *offsets, int64_t poll_ms) {
    file_source *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->base.ops = &FILE_OPS;
    s->follow = true;
    s->poll_ms = poll_ms > 0 ? poll_ms : 1;
    snprintf(s->path, sizeof s->path, "%s", path);
    snprintf(s->offsets, sizeof s->offsets, "%s", offsets);
    return &s->base;
}

static const sl_source_ops STDIN_OPS = {"stdin", file_run, file_committed, NULL, file_free, NULL};

sl_source *sl_source_stdin_open(const sl_conf_ctx *c, const json_t *section) {
    static const char *const KEYS[] = {"type", NULL};
    if (!sl_conf_only(c, section, KEYS)) return NULL;
    file_source *s = calloc(1, sizeof *s);
    if (!s) {
        sl_conf_fail(c, section, "out of memory");
        return NULL;
    }
    s->base.ops = &STDIN_OPS;
    s->is_stdin = true;
    return &s->base;
}
