/* wasi.c - the WASI context (arguments, environment, stdio, preopens) and binding every
 * `wasi_snapshot_preview1` function into a linker. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wasi/wasi_impl.h"

typedef struct wasi_def {
    const char *name, *sig;
    wasi_impl impl;
} wasi_def;

/* Signatures as in the preview 1 witx, lowered to core wasm types (pointers are i32). */
static const wasi_def DEFS[] = {
    {"args_get", "ii:i", wasi_args_get},
    {"args_sizes_get", "ii:i", wasi_args_sizes_get},
    {"environ_get", "ii:i", wasi_environ_get},
    {"environ_sizes_get", "ii:i", wasi_environ_sizes_get},
    {"clock_res_get", "ii:i", wasi_clock_res_get},
    {"clock_time_get", "iIi:i", wasi_clock_time_get},
    {"fd_advise", "iIIi:i", wasi_fd_advise},
    {"fd_allocate", "iII:i", wasi_fd_allocate},
    {"fd_close", "i:i", wasi_fd_close},
    {"fd_datasync", "i:i", wasi_fd_datasync},
    {"fd_fdstat_get", "ii:i", wasi_fd_fdstat_get},
    {"fd_fdstat_set_flags", "ii:i", wasi_fd_fdstat_set_flags},
    {"fd_fdstat_set_rights", "iII:i", wasi_fd_fdstat_set_rights},
    {"fd_filestat_get", "ii:i", wasi_fd_filestat_get},
    {"fd_filestat_set_size", "iI:i", wasi_fd_filestat_set_size},
    {"fd_filestat_set_times", "iIIi:i", wasi_fd_filestat_set_times},
    {"fd_pread", "iiiIi:i", wasi_fd_pread},
    {"fd_prestat_get", "ii:i", wasi_fd_prestat_get},
    {"fd_prestat_dir_name", "iii:i", wasi_fd_prestat_dir_name},
    {"fd_pwrite", "iiiIi:i", wasi_fd_pwrite},
    {"fd_read", "iiii:i", wasi_fd_read},
    {"fd_readdir", "iiiIi:i", wasi_fd_readdir},
    {"fd_renumber", "ii:i", wasi_fd_renumber},
    {"fd_seek", "iIii:i", wasi_fd_seek},
    {"fd_sync", "i:i", wasi_fd_sync},
    {"fd_tell", "ii:i", wasi_fd_tell},
    {"fd_write", "iiii:i", wasi_fd_write},
    {"path_create_directory", "iii:i", wasi_path_create_directory},
    {"path_filestat_get", "iiiii:i", wasi_path_filestat_get},
    {"path_filestat_set_times", "iiiiIIi:i", wasi_path_filestat_set_times},
    {"path_link", "iiiiiii:i", wasi_path_link},
    {"path_open", "iiiiiIIii:i", wasi_path_open},
    {"path_readlink", "iiiiii:i", wasi_path_readlink},
    {"path_remove_directory", "iii:i", wasi_path_remove_directory},
    {"path_rename", "iiiiii:i", wasi_path_rename},
    {"path_symlink", "iiiii:i", wasi_path_symlink},
    {"path_unlink_file", "iii:i", wasi_path_unlink_file},
    {"poll_oneoff", "iiii:i", wasi_poll_oneoff},
    {"proc_raise", "i:i", wasi_proc_raise},
    {"random_get", "ii:i", wasi_random_get},
    {"sched_yield", ":i", wasi_sched_yield},
    {"sock_accept", "iii:i", wasi_sock_accept},
    {"sock_recv", "iiiiii:i", wasi_sock_recv},
    {"sock_send", "iiiii:i", wasi_sock_send},
    {"sock_shutdown", "ii:i", wasi_sock_shutdown},
};
#define NDEFS (sizeof DEFS / sizeof DEFS[0])

/* What a host function's `user` points at: the context plus which function to run, so one
 * trampoline serves them all. */
struct wasi_binding {
    sl_wasi *wasi;
    wasi_impl impl;
};

static int trampoline(sl_caller *c, sl_slot *slots, void *user) {
    struct wasi_binding *b = user;
    int e = b->impl(b->wasi, c, slots);
    slots[0].u64 = 0;
    slots[0].i32 = e;
    return 0;
}

static char **copy_strings(const char *const *src, uint32_t n) {
    char **dst = calloc((size_t)n + 1, sizeof *dst);
    if (!dst) return NULL;
    for (uint32_t i = 0; i < n; i++) {
        dst[i] = strdup(src[i] ? src[i] : "");
        if (!dst[i]) {
            for (uint32_t j = 0; j < i; j++)
                free(dst[j]);
            free(dst);
            return NULL;
        }
    }
    return dst;
}

static void free_strings(char **s) {
    if (!s) return;
    for (char **p = s; *p; p++)
        free(*p);
    free(s);
}

static void fail(sl_error *err, sl_status status, const char *msg, const char *arg) {
    if (!err) return;
    memset(err, 0, sizeof *err);
    err->status = status;
    err->offset = -1;
    snprintf(err->message, sizeof err->message, "%s%s%s", msg, arg ? ": " : "", arg ? arg : "");
}

/* Install guest fd `num` (0..2) as configured. */
static int setup_stdio(sl_wasi *w, uint32_t num, const sl_wasi_stdio *io) {
    uint32_t got;
    wasi_fd *f = wasi_fd_alloc(w, &got);
    if (!f || got != num) return W_ENOMEM;
    f->rights = RIGHTS_STREAM;
    f->filetype = W_FT_UNKNOWN;
    switch (io->kind) {
    case SL_WASI_STDIO_FD:
        f->kind = WFD_HOST;
        f->host = io->fd;
        f->owned = false;
        if (wasi_fd_classify(f, RIGHTS_FILE | RIGHTS_STREAM, 0) != W_ESUCCESS) return W_EBADF;
        int fl = fcntl(io->fd, F_GETFL);
        if (fl >= 0 && (fl & O_APPEND)) f->flags |= W_FDFLAG_APPEND;
        if (fl >= 0 && (fl & O_NONBLOCK)) f->flags |= W_FDFLAG_NONBLOCK;
        break;
    case SL_WASI_STDIO_BUFFER:
        if (num == 0) {
            f->kind = WFD_INBUF;
            f->buf = &w->in;
            if (io->len) {
                if (!(w->in.data = malloc(io->len))) return W_ENOMEM;
                memcpy(w->in.data, io->data, io->len);
                w->in.len = w->in.cap = io->len;
            }
        } else {
            f->kind = WFD_OUTBUF;
            f->buf = &w->out[num - 1];
            f->buf->max = io->max ? io->max : SIZE_MAX;
        }
        break;
    default: f->kind = WFD_NULL; break;
    }
    /* A stream end is readable or writable, not both. */
    f->rights &= ~(num == 0 ? R_FD_WRITE : R_FD_READ);
    return W_ESUCCESS;
}

static int setup_preopen(sl_wasi *w, const sl_wasi_preopen *p) {
    int fd = open(p->host_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return -1;
    uint32_t num;
    wasi_fd *f = wasi_fd_alloc(w, &num);
    char *name = strdup(p->guest_path ? p->guest_path : p->host_path);
    if (!f || !name) {
        free(name);
        close(fd);
        errno = ENOMEM;
        return -1;
    }
    f->kind = WFD_HOST;
    f->host = fd;
    f->owned = true;
    f->preopen = name;
    f->filetype = W_FT_DIR;
    f->rights = RIGHTS_DIR;
    f->inheriting = RIGHTS_DIR | RIGHTS_FILE;
    return 0;
}

/* Everything of w but its bindings (what a linker refers to): freed, and zeroed. */
static void release_state(sl_wasi *w) {
    for (uint32_t i = 0; i < w->nfds; i++)
        wasi_fd_release(&w->fds[i]);
    free(w->fds);
    free_strings(w->argv);
    free_strings(w->env);
    free(w->in.data);
    free(w->out[0].data);
    free(w->out[1].data);
    struct wasi_binding *bindings = w->bindings;
    memset(w, 0, sizeof *w);
    w->bindings = bindings;
}

/* Fills a zeroed w (but its bindings) from cfg; on failure w holds what it got so far. */
static bool init_state(sl_wasi *w, const sl_wasi_config *cfg, sl_error *err) {
    static const sl_wasi_config none;
    if (!cfg) cfg = &none;
    w->argc = cfg->argc;
    w->envc = cfg->envc;
    w->argv = copy_strings(cfg->argv, cfg->argc);
    w->env = copy_strings(cfg->env, cfg->envc);
    if (!w->argv || !w->env) goto nomem;
    for (uint32_t i = 0; i < 3; i++) {
        int e = setup_stdio(w, i, &cfg->stdio[i]);
        if (e == W_ENOMEM) goto nomem;
        if (e != W_ESUCCESS) {
            fail(err, SL_ERR_ARGUMENT, "bad host descriptor for stdio", NULL);
            return false;
        }
    }
    for (uint32_t i = 0; i < cfg->npreopens; i++) {
        if (setup_preopen(w, &cfg->preopens[i]) != 0) {
            char msg[64];
            snprintf(msg, sizeof msg, "cannot open directory (%s)", strerror(errno));
            fail(err, SL_ERR_ARGUMENT, msg, cfg->preopens[i].host_path);
            return false;
        }
    }
    return true;
nomem:
    fail(err, SL_ERR_NOMEM, "out of memory", NULL);
    return false;
}

sl_wasi *sl_wasi_new(const sl_wasi_config *cfg, sl_error *err) {
    sl_wasi *w = calloc(1, sizeof *w);
    if (w && !(w->bindings = calloc(NDEFS, sizeof *w->bindings))) {
        free(w);
        w = NULL;
    }
    if (!w) {
        fail(err, SL_ERR_NOMEM, "out of memory", NULL);
        return NULL;
    }
    if (!init_state(w, cfg, err)) {
        sl_wasi_free(w);
        return NULL;
    }
    return w;
}

sl_status sl_wasi_reset(sl_wasi *w, const sl_wasi_config *cfg, sl_error *err) {
    release_state(w);
    if (init_state(w, cfg, err)) return SL_OK;
    release_state(w); /* a context that grants nothing, still safe to link and free */
    return err && err->status != SL_OK ? err->status : SL_ERR_NOMEM;
}

void sl_wasi_free(sl_wasi *w) {
    if (!w) return;
    release_state(w);
    free(w->bindings);
    free(w);
}

sl_status sl_wasi_link(sl_wasi *w, sl_linker *linker) {
    for (size_t i = 0; i < NDEFS; i++) {
        w->bindings[i] = (struct wasi_binding){w, DEFS[i].impl};
        sl_status s = sl_linker_define_func(linker, "wasi_snapshot_preview1", DEFS[i].name,
                                            DEFS[i].sig, trampoline, &w->bindings[i]);
        if (s != SL_OK) return s;
    }
    /* proc_exit returns nothing and unwinds the guest, so it bypasses the trampoline. */
    return sl_linker_define_func(linker, "wasi_snapshot_preview1", "proc_exit",
                                 "i:", wasi_proc_exit, w);
}

void sl_wasi_clear_output(sl_wasi *w) {
    for (int i = 0; i < 2; i++)
        w->out[i].len = 0;
}

const uint8_t *sl_wasi_output(const sl_wasi *w, int fd, size_t *len) {
    *len = 0;
    if (!w || (fd != 1 && fd != 2) || !w->out[fd - 1].max) return NULL;
    const wasi_buf *b = &w->out[fd - 1];
    *len = b->len;
    return b->data ? b->data : (const uint8_t *)"";
}
