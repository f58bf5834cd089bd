/*
 * sluice_wasi.h - WASI preview 1 (`wasi_snapshot_preview1`) for Sluice.
 *
 * A guest sees only what the embedder grants: by default it gets no arguments, no
 * environment, no directories, an empty stdin, and stdout/stderr that discard what is
 * written. Directories are granted as preopens; every path the guest uses is resolved
 * beneath one of them, one component at a time, so neither `..` nor a symlink (absolute or
 * relative) can reach outside.
 *
 * Typical use:
 *
 *     sl_wasi_config cfg = {0};
 *     const char *argv[] = {"fn.wasm", "x"};
 *     cfg.argv = argv; cfg.argc = 2;
 *     cfg.stdio[0] = (sl_wasi_stdio){.kind = SL_WASI_STDIO_BUFFER, .data = in, .len = n};
 *     cfg.stdio[1] = (sl_wasi_stdio){.kind = SL_WASI_STDIO_BUFFER, .max = 1 << 20};
 *     sl_wasi *wasi = sl_wasi_new(&cfg, &err);
 *     sl_wasi_link(wasi, linker);           // before sl_instantiate
 *     ... instantiate, call "_start" (SL_ERR_EXIT carries the proc_exit code) ...
 *     size_t len; const uint8_t *out = sl_wasi_output(wasi, 1, &len);
 *     sl_wasi_free(wasi);                   // after the store is done with the guest
 *
 * One sl_wasi serves one instance at a time (it holds that guest's fd table). It is not
 * thread-safe; use it from the thread that runs the guest.
 */
#ifndef SLUICE_WASI_H
#define SLUICE_WASI_H

#include <stddef.h>
#include <stdint.h>

#include "sluice.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sl_wasi sl_wasi;

typedef enum sl_wasi_stdio_kind {
    /* stdin reads as empty; stdout/stderr accept and discard everything (like /dev/null). */
    SL_WASI_STDIO_NULL = 0,
    /* A host file descriptor, used as is and never closed by Sluice. */
    SL_WASI_STDIO_FD,
    /* stdin: the bytes in data/len (copied). stdout/stderr: captured in memory, read back
     * with sl_wasi_output; once `max` bytes are held, writes fail with EFBIG. */
    SL_WASI_STDIO_BUFFER,
} sl_wasi_stdio_kind;

typedef struct sl_wasi_stdio {
    sl_wasi_stdio_kind kind;
    int fd;              /* SL_WASI_STDIO_FD */
    const uint8_t *data; /* SL_WASI_STDIO_BUFFER, stdin only */
    size_t len;
    size_t max; /* SL_WASI_STDIO_BUFFER, stdout/stderr: capture limit in bytes; 0 = none */
} sl_wasi_stdio;

/* A host directory made visible to the guest under `guest_path` (e.g. "/data" or "."). */
typedef struct sl_wasi_preopen {
    const char *host_path, *guest_path;
} sl_wasi_preopen;

/* Everything is copied by sl_wasi_new; a zeroed config grants nothing. */
typedef struct sl_wasi_config {
    const char *const *argv; /* argc strings; argv[0] is the program name by convention */
    uint32_t argc;
    const char *const *env; /* envc "KEY=VALUE" strings */
    uint32_t envc;
    const sl_wasi_preopen *preopens; /* become guest fds 3, 4, ... in this order */
    uint32_t npreopens;
    sl_wasi_stdio stdio[3]; /* guest fds 0 (stdin), 1 (stdout), 2 (stderr) */
} sl_wasi_config;

/* Opens the preopened directories (failing with SL_ERR_ARGUMENT if one cannot be opened). */
sl_wasi *sl_wasi_new(const sl_wasi_config *cfg, sl_error *err);
/* Frees the context and closes every host descriptor it opened (not SL_WASI_STDIO_FD ones). */
void sl_wasi_free(sl_wasi *wasi);
/* Gives `wasi` a new configuration, as if freed and made again by sl_wasi_new, but keeping
 * its identity: a linker it was linked into stays valid. Lets a host that runs one guest
 * after another (a server) link WASI once instead of per guest. The previous guest's store
 * must be done with it. On failure the context grants nothing. */
sl_status sl_wasi_reset(sl_wasi *wasi, const sl_wasi_config *cfg, sl_error *err);

/* Defines every `wasi_snapshot_preview1` function in `linker`, bound to `wasi`. Sockets
 * (sock_*) and proc_raise are present but report ENOTSUP / ENOSYS. */
sl_status sl_wasi_link(sl_wasi *wasi, sl_linker *linker);

/* What the guest wrote to fd 1 or 2 when that is SL_WASI_STDIO_BUFFER (NULL otherwise). The
 * data stays owned by `wasi` and is valid until the guest writes again or sl_wasi_free. */
const uint8_t *sl_wasi_output(const sl_wasi *wasi, int fd, size_t *len);
/* Empty the captured stdout and stderr, e.g. between two requests served by one instance. */
void sl_wasi_clear_output(sl_wasi *wasi);

#ifdef __cplusplus
}
#endif
#endif
