/*
 * path.c - resolving a guest path beneath a directory descriptor, so that no path can reach
 * outside the preopen it starts from.
 *
 * The path is walked one component at a time with openat(O_NOFOLLOW) on the directory
 * reached so far, keeping a stack of the directories descended into. `..` pops that stack
 * (never the host's `..`), so it cannot climb above the start; popping the empty stack is
 * ENOTCAPABLE, as are absolute paths. When a component is a symlink, its target replaces it
 * in the remaining path and is walked by the same rules from the symlink's directory:
 * absolute targets are refused and at most MAX_SYMLINKS expansions happen per resolution.
 *
 * The result is the directory holding the final component plus its name, for the caller's
 * *at() call, which must not follow a symlink in that last step (the resolver has already
 * expanded it when the guest asked to follow). A swap of a component for a symlink between
 * the walk and the call therefore fails (ELOOP / ENOTDIR) instead of escaping.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include "wasi/wasi_impl.h"

#define MAX_SYMLINKS 32
/* Longest path accepted from the guest, and longest the working path may grow to through
 * symlink expansion. */
#define MAX_GUEST_PATH 4096
#define MAX_WORK_PATH  (8 * PATH_MAX)

char *wasi_mem_path(const wasi_mem *m, uint32_t ptr, uint32_t len, int *err) {
    if (!mem_ok(m, ptr, len)) {
        *err = W_EFAULT;
        return NULL;
    }
    if (len > MAX_GUEST_PATH) {
        *err = W_ENAMETOOLONG;
        return NULL;
    }
    const char *s = len ? (const char *)mem_at(m, ptr) : "";
    if (memchr(s, 0, len)) {
        *err = W_EILSEQ;
        return NULL;
    }
    char *copy = malloc((size_t)len + 1);
    if (!copy) {
        *err = W_ENOMEM;
        return NULL;
    }
    memcpy(copy, s, len);
    copy[len] = 0;
    *err = W_ESUCCESS;
    return copy;
}

typedef struct dirstack {
    int *fd;
    size_t depth, cap; /* fd[0..depth] are open; fd[0] is the starting directory */
} dirstack;

static int push(dirstack *s, int fd) {
    if (s->depth + 1 == s->cap) {
        size_t cap = s->cap * 2;
        int *n = realloc(s->fd, cap * sizeof *n);
        if (!n) {
            close(fd);
            return W_ENOMEM;
        }
        s->fd = n;
        s->cap = cap;
    }
    s->fd[++s->depth] = fd;
    return W_ESUCCESS;
}

/* Replace the component [comp, comp_end) of *work (rest of it follows) with `target`.
 * `comp_end` points just past the component, at its '/' or the end. */
static int splice_link(char **work, char **p, const char *comp_end, const char *target,
                       size_t tlen) {
    size_t rest = strlen(comp_end);
    if (tlen + rest > MAX_WORK_PATH) return W_ENAMETOOLONG;
    char *n = malloc(tlen + rest + 1);
    if (!n) return W_ENOMEM;
    memcpy(n, target, tlen);
    memcpy(n + tlen, comp_end, rest + 1);
    free(*work);
    *work = *p = n;
    return W_ESUCCESS;
}

int wasi_path_resolve(int dirfd, const char *path, size_t len, bool follow, wasi_path *out) {
    *out = (wasi_path){.dirfd = -1};
    if (len == 0) return W_ENOENT;
    if (path[0] == '/') return W_ENOTCAPABLE;
    char *work = strndup(path, len), *p = work, *name = NULL;
    dirstack s = {.fd = malloc(8 * sizeof(int)), .depth = 0, .cap = 8};
    char *target = malloc(PATH_MAX + 1);
    int links = 0, e = W_ESUCCESS;
    bool trailing = false;
    if (s.fd) s.fd[0] = -1;
    if (!work || !s.fd || !target) {
        e = W_ENOMEM;
        goto done;
    }
    if ((s.fd[0] = fcntl(dirfd, F_DUPFD_CLOEXEC, 0)) < 0) {
        e = wasi_errno(errno);
        goto done;
    }
    for (;;) {
        while (*p == '/')
            p++;
        char *end = strchrnul(p, '/'), *next = end;
        while (*next == '/')
            next++;
        bool last = *next == 0;
        size_t clen = (size_t)(end - p);
        if (last && *end == '/') trailing = true;
        if (clen == 0 || (clen == 1 && p[0] == '.')) {
            if (last) break; /* names the directory reached so far */
            p = next;
            continue;
        }
        if (clen == 2 && p[0] == '.' && p[1] == '.') {
            if (s.depth == 0) {
                e = W_ENOTCAPABLE;
                goto done;
            }
            close(s.fd[s.depth--]);
            if (last) break;
            p = next;
            continue;
        }
        char sep = *end;
        *end = 0; /* p is now this component alone */
        int top = s.fd[s.depth];
        if (last && !follow && !trailing) {
            if (!(name = strdup(p))) e = W_ENOMEM;
            goto done;
        }
        if (!last) {
            int fd = openat(top, p, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (fd >= 0) {
                if ((e = push(&s, fd))) goto done;
                p = next;
                continue;
            }
            if (errno != ENOTDIR) { /* e.g. ENOENT, EACCES */
                e = wasi_errno(errno);
                goto done;
            }
        }
        ssize_t n = readlinkat(top, p, target, PATH_MAX + 1);
        if (n < 0) {
            /* Not a symlink (or absent): an intermediate component must be a directory,
             * while a final one is simply the name to operate on. */
            if (!last) {
                e = W_ENOTDIR;
                goto done;
            }
            if (!(name = strdup(p))) e = W_ENOMEM;
            goto done;
        }
        if (n > PATH_MAX) {
            e = W_ENAMETOOLONG;
            goto done;
        }
        if (++links > MAX_SYMLINKS) {
            e = W_ELOOP;
            goto done;
        }
        if (n == 0) {
            e = W_ENOENT;
            goto done;
        }
        if (target[0] == '/') {
            e = W_ENOTCAPABLE;
            goto done;
        }
        *end = sep;
        if ((e = splice_link(&work, &p, end, target, (size_t)n))) goto done;
    }
done:
    if (e == W_ESUCCESS && !name && !(name = strdup("."))) e = W_ENOMEM;
    if (s.fd) {
        /* Close every directory on the stack but the one handed out. */
        for (size_t i = 0; i <= s.depth; i++)
            if (s.fd[i] >= 0 && (e != W_ESUCCESS || i != s.depth)) close(s.fd[i]);
        if (e == W_ESUCCESS) {
            *out = (wasi_path){.dirfd = s.fd[s.depth], .name = name, .trailing = trailing};
            name = NULL;
        }
    }
    free(s.fd);
    free(name);
    free(work);
    free(target);
    return e;
}

void wasi_path_free(wasi_path *p) {
    if (p->dirfd >= 0) close(p->dirfd);
    free(p->name);
    *p = (wasi_path){.dirfd = -1};
}
