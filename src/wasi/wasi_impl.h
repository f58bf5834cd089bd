/*
 * wasi_impl.h - internals shared by the WASI preview 1 implementation: the ABI constants
 * (numbered as in the witx spec), the context and its fd table, guest memory access.
 */
#ifndef SL_WASI_IMPL_H
#define SL_WASI_IMPL_H

#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "sluice.h"
#include "sluice_wasi.h"

/* ---- ABI constants ----------------------------------------------------------------------- */

enum {
    W_ESUCCESS = 0,
    W_E2BIG = 1,
    W_EACCES = 2,
    W_EADDRINUSE = 3,
    W_EADDRNOTAVAIL = 4,
    W_EAFNOSUPPORT = 5,
    W_EAGAIN = 6,
    W_EALREADY = 7,
    W_EBADF = 8,
    W_EBADMSG = 9,
    W_EBUSY = 10,
    W_ECANCELED = 11,
    W_ECHILD = 12,
    W_ECONNABORTED = 13,
    W_ECONNREFUSED = 14,
    W_ECONNRESET = 15,
    W_EDEADLK = 16,
    W_EDESTADDRREQ = 17,
    W_EDOM = 18,
    W_EDQUOT = 19,
    W_EEXIST = 20,
    W_EFAULT = 21,
    W_EFBIG = 22,
    W_EHOSTUNREACH = 23,
    W_EIDRM = 24,
    W_EILSEQ = 25,
    W_EINPROGRESS = 26,
    W_EINTR = 27,
    W_EINVAL = 28,
    W_EIO = 29,
    W_EISCONN = 30,
    W_EISDIR = 31,
    W_ELOOP = 32,
    W_EMFILE = 33,
    W_EMLINK = 34,
    W_EMSGSIZE = 35,
    W_EMULTIHOP = 36,
    W_ENAMETOOLONG = 37,
    W_ENETDOWN = 38,
    W_ENETRESET = 39,
    W_ENETUNREACH = 40,
    W_ENFILE = 41,
    W_ENOBUFS = 42,
    W_ENODEV = 43,
    W_ENOENT = 44,
    W_ENOEXEC = 45,
    W_ENOLCK = 46,
    W_ENOLINK = 47,
    W_ENOMEM = 48,
    W_ENOMSG = 49,
    W_ENOPROTOOPT = 50,
    W_ENOSPC = 51,
    W_ENOSYS = 52,
    W_ENOTCONN = 53,
    W_ENOTDIR = 54,
    W_ENOTEMPTY = 55,
    W_ENOTRECOVERABLE = 56,
    W_ENOTSOCK = 57,
    W_ENOTSUP = 58,
    W_ENOTTY = 59,
    W_ENXIO = 60,
    W_EOVERFLOW = 61,
    W_EOWNERDEAD = 62,
    W_EPERM = 63,
    W_EPIPE = 64,
    W_EPROTO = 65,
    W_EPROTONOSUPPORT = 66,
    W_EPROTOTYPE = 67,
    W_ERANGE = 68,
    W_EROFS = 69,
    W_ESPIPE = 70,
    W_ESRCH = 71,
    W_ESTALE = 72,
    W_ETIMEDOUT = 73,
    W_ETXTBSY = 74,
    W_EXDEV = 75,
    W_ENOTCAPABLE = 76,
};

enum {
    W_FT_UNKNOWN = 0,
    W_FT_BLOCK = 1,
    W_FT_CHAR = 2,
    W_FT_DIR = 3,
    W_FT_REG = 4,
    W_FT_DGRAM = 5,
    W_FT_STREAM = 6,
    W_FT_SYMLINK = 7,
};

/* Rights, bit i as listed in the spec. */
#define R_FD_DATASYNC             (1ull << 0)
#define R_FD_READ                 (1ull << 1)
#define R_FD_SEEK                 (1ull << 2)
#define R_FD_FDSTAT_SET_FLAGS     (1ull << 3)
#define R_FD_SYNC                 (1ull << 4)
#define R_FD_TELL                 (1ull << 5)
#define R_FD_WRITE                (1ull << 6)
#define R_FD_ADVISE               (1ull << 7)
#define R_FD_ALLOCATE             (1ull << 8)
#define R_PATH_CREATE_DIRECTORY   (1ull << 9)
#define R_PATH_CREATE_FILE        (1ull << 10)
#define R_PATH_LINK_SOURCE        (1ull << 11)
#define R_PATH_LINK_TARGET        (1ull << 12)
#define R_PATH_OPEN               (1ull << 13)
#define R_FD_READDIR              (1ull << 14)
#define R_PATH_READLINK           (1ull << 15)
#define R_PATH_RENAME_SOURCE      (1ull << 16)
#define R_PATH_RENAME_TARGET      (1ull << 17)
#define R_PATH_FILESTAT_GET       (1ull << 18)
#define R_PATH_FILESTAT_SET_SIZE  (1ull << 19)
#define R_PATH_FILESTAT_SET_TIMES (1ull << 20)
#define R_FD_FILESTAT_GET         (1ull << 21)
#define R_FD_FILESTAT_SET_SIZE    (1ull << 22)
#define R_FD_FILESTAT_SET_TIMES   (1ull << 23)
#define R_PATH_SYMLINK            (1ull << 24)
#define R_PATH_REMOVE_DIRECTORY   (1ull << 25)
#define R_PATH_UNLINK_FILE        (1ull << 26)
#define R_POLL_FD_READWRITE       (1ull << 27)
#define R_SOCK_SHUTDOWN           (1ull << 28)
#define R_SOCK_ACCEPT             (1ull << 29)

/* What makes sense per kind of descriptor; fdstat reports these (intersected with what the
 * opener asked for) and every call checks them. */
#define RIGHTS_FILE                                                                                \
    (R_FD_DATASYNC | R_FD_READ | R_FD_SEEK | R_FD_FDSTAT_SET_FLAGS | R_FD_SYNC | R_FD_TELL |       \
     R_FD_WRITE | R_FD_ADVISE | R_FD_ALLOCATE | R_FD_FILESTAT_GET | R_FD_FILESTAT_SET_SIZE |       \
     R_FD_FILESTAT_SET_TIMES | R_POLL_FD_READWRITE)
#define RIGHTS_STREAM                                                                              \
    (R_FD_READ | R_FD_WRITE | R_FD_FDSTAT_SET_FLAGS | R_FD_FILESTAT_GET | R_POLL_FD_READWRITE)
#define RIGHTS_DIR                                                                                 \
    (R_FD_DATASYNC | R_FD_FDSTAT_SET_FLAGS | R_FD_SYNC | R_PATH_CREATE_DIRECTORY |                 \
     R_PATH_CREATE_FILE | R_PATH_LINK_SOURCE | R_PATH_LINK_TARGET | R_PATH_OPEN | R_FD_READDIR |   \
     R_PATH_READLINK | R_PATH_RENAME_SOURCE | R_PATH_RENAME_TARGET | R_PATH_FILESTAT_GET |         \
     R_PATH_FILESTAT_SET_SIZE | R_PATH_FILESTAT_SET_TIMES | R_FD_FILESTAT_GET |                    \
     R_FD_FILESTAT_SET_TIMES | R_PATH_SYMLINK | R_PATH_REMOVE_DIRECTORY | R_PATH_UNLINK_FILE)

#define W_FDFLAG_APPEND   (1u << 0)
#define W_FDFLAG_DSYNC    (1u << 1)
#define W_FDFLAG_NONBLOCK (1u << 2)
#define W_FDFLAG_RSYNC    (1u << 3)
#define W_FDFLAG_SYNC     (1u << 4)

#define W_LOOKUP_SYMLINK_FOLLOW (1u << 0)

#define W_O_CREAT     (1u << 0)
#define W_O_DIRECTORY (1u << 1)
#define W_O_EXCL      (1u << 2)
#define W_O_TRUNC     (1u << 3)

#define W_FST_ATIM     (1u << 0)
#define W_FST_ATIM_NOW (1u << 1)
#define W_FST_MTIM     (1u << 2)
#define W_FST_MTIM_NOW (1u << 3)

/* ---- Context ----------------------------------------------------------------------------- */

/* stdin bytes (read from pos) or captured output (appended up to max). */
typedef struct wasi_buf {
    uint8_t *data;
    size_t len, cap, pos, max;
} wasi_buf;

typedef enum wfd_kind {
    WFD_HOST,   /* a host descriptor */
    WFD_NULL,   /* reads EOF, swallows writes */
    WFD_INBUF,  /* reads from a wasi_buf */
    WFD_OUTBUF, /* appends to a wasi_buf */
} wfd_kind;

typedef struct wasi_fd {
    bool used;
    wfd_kind kind;
    int host;   /* WFD_HOST */
    bool owned; /* close `host` when the guest fd goes away */
    uint8_t filetype;
    uint16_t flags; /* WASI fdflags */
    uint64_t rights, inheriting;
    char *preopen; /* guest name of a preopened directory, else NULL */
    DIR *dir;      /* fd_readdir stream over a dup of `host`, made on first use */
    wasi_buf *buf; /* WFD_INBUF / WFD_OUTBUF */
} wasi_fd;

struct wasi_binding;

struct sl_wasi {
    char **argv, **env; /* NULL-terminated copies */
    uint32_t argc, envc;
    wasi_fd *fds;
    uint32_t nfds; /* table size; free entries have used == false */
    wasi_buf in, out[2];
    struct wasi_binding *bindings;
};

/* The limit on open guest descriptors (the host's RLIMIT_NOFILE applies too). */
#define WASI_MAX_FDS 4096

/* fd.c */
wasi_fd *wasi_fd_alloc(sl_wasi *w, uint32_t *num);
void wasi_fd_release(wasi_fd *f);
/* The open descriptor `fd` with every right in `need`, or NULL with *err = EBADF/ENOTCAPABLE. */
wasi_fd *wasi_fd_get(sl_wasi *w, uint32_t fd, uint64_t need, int *err);
/* Sets filetype and rights (masked by `rights`) from what the host descriptor is. */
int wasi_fd_classify(wasi_fd *f, uint64_t rights, uint64_t inheriting);

/* errno.c: a host errno as a WASI errno. */
int wasi_errno(int host_errno);

/* path.c: resolve `path` beneath directory descriptor `dirfd` (see path.c). */
typedef struct wasi_path {
    int dirfd;     /* parent directory of the final component, owned */
    char *name;    /* final component ("." for the directory itself), owned */
    bool trailing; /* the guest path ended in '/' (so it must name a directory) */
} wasi_path;
int wasi_path_resolve(int dirfd, const char *path, size_t len, bool follow, wasi_path *out);
void wasi_path_free(wasi_path *p);

/* ---- Guest memory ------------------------------------------------------------------------ */

typedef struct wasi_mem {
    uint8_t *base;
    uint64_t size;
} wasi_mem;

static inline wasi_mem wasi_mem_of(sl_caller *c) {
    wasi_mem m;
    m.base = sl_caller_memory(c, &m.size);
    if (!m.base) m.size = 0;
    return m;
}
/* [ptr, ptr+len) lies inside memory. Done in 64 bits so nothing wraps. */
static inline bool mem_ok(const wasi_mem *m, uint32_t ptr, uint64_t len) {
    return (uint64_t)ptr + len <= m->size;
}
static inline uint8_t *mem_at(const wasi_mem *m, uint32_t ptr) {
    return m->base + ptr;
}

/* Little-endian field access (the guest's byte order regardless of the host's). */
static inline void put_u16(uint8_t *p, uint16_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static inline void put_u32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static inline void put_u64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static inline uint16_t get_u16(const uint8_t *p) {
    return (uint16_t)(p[0] | p[1] << 8);
}
static inline uint32_t get_u32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t get_u64(const uint8_t *p) {
    return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32;
}
/* Store a u32/u64 result at a guest pointer; false if it does not fit. */
static inline bool mem_put_u32(const wasi_mem *m, uint32_t ptr, uint32_t v) {
    if (!mem_ok(m, ptr, 4)) return false;
    put_u32(mem_at(m, ptr), v);
    return true;
}
static inline bool mem_put_u64(const wasi_mem *m, uint32_t ptr, uint64_t v) {
    if (!mem_ok(m, ptr, 8)) return false;
    put_u64(mem_at(m, ptr), v);
    return true;
}
/* A NUL-terminated copy of a guest string, or NULL (*err = EFAULT / ENOMEM / EILSEQ when it
 * holds a NUL byte, which no host path can). */
char *wasi_mem_path(const wasi_mem *m, uint32_t ptr, uint32_t len, int *err);

/* ---- The functions ----------------------------------------------------------------------- */

/* Every WASI function takes its arguments as slots and returns a WASI errno. */
typedef int (*wasi_impl)(sl_wasi *w, sl_caller *c, const sl_slot *a);

#define WASI_FN(name) int wasi_##name(sl_wasi *w, sl_caller *c, const sl_slot *a)

/* args_env.c */
WASI_FN(args_get);
WASI_FN(args_sizes_get);
WASI_FN(environ_get);
WASI_FN(environ_sizes_get);
/* clock_random.c */
WASI_FN(clock_res_get);
WASI_FN(clock_time_get);
WASI_FN(random_get);
int wasi_clock_now(uint32_t id, uint64_t *ns);
/* fd_io.c */
WASI_FN(fd_read);
WASI_FN(fd_write);
WASI_FN(fd_pread);
WASI_FN(fd_pwrite);
WASI_FN(fd_seek);
WASI_FN(fd_tell);
/* fd_meta.c */
WASI_FN(fd_advise);
WASI_FN(fd_allocate);
WASI_FN(fd_close);
WASI_FN(fd_datasync);
WASI_FN(fd_sync);
WASI_FN(fd_fdstat_get);
WASI_FN(fd_fdstat_set_flags);
WASI_FN(fd_fdstat_set_rights);
WASI_FN(fd_filestat_get);
WASI_FN(fd_filestat_set_size);
WASI_FN(fd_filestat_set_times);
WASI_FN(fd_prestat_get);
WASI_FN(fd_prestat_dir_name);
WASI_FN(fd_renumber);
/* fd_readdir.c */
WASI_FN(fd_readdir);
/* path_ops.c */
WASI_FN(path_create_directory);
WASI_FN(path_filestat_get);
WASI_FN(path_filestat_set_times);
WASI_FN(path_link);
WASI_FN(path_open);
WASI_FN(path_readlink);
WASI_FN(path_remove_directory);
WASI_FN(path_rename);
WASI_FN(path_symlink);
WASI_FN(path_unlink_file);
/* poll.c */
WASI_FN(poll_oneoff);
/* proc_sock.c */
WASI_FN(proc_raise);
WASI_FN(sched_yield);
WASI_FN(sock_accept);
WASI_FN(sock_recv);
WASI_FN(sock_send);
WASI_FN(sock_shutdown);
int wasi_proc_exit(sl_caller *c, sl_slot *slots, void *user);

/* Shared by fd_meta.c and path_ops.c: fill a 64-byte filestat from a host stat. */
void wasi_put_filestat(uint8_t *p, const struct stat *st);
uint8_t wasi_filetype_of(unsigned mode);
/* Shared by fd_meta.c and path_ops.c: atim/mtim/fstflags as utimensat's times, or EINVAL. */
int wasi_times(uint64_t atim, uint64_t mtim, uint32_t fst, struct timespec ts[2]);

#endif
