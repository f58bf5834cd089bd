/* proc_sock.c - proc_exit, proc_raise, sched_yield, and the socket calls, which this
 * sandbox does not offer (a guest holds no socket descriptors). */
#include <sched.h>

#include "wasi/wasi_impl.h"

int wasi_proc_exit(sl_caller *c, sl_slot *slots, void *user) {
    (void)user;
    return sl_caller_exit(c, slots[0].i32);
}

WASI_FN(proc_raise) {
    (void)w, (void)c, (void)a;
    return W_ENOSYS; /* no signals in the sandbox */
}

WASI_FN(sched_yield) {
    (void)w, (void)c, (void)a;
    sched_yield();
    return W_ESUCCESS;
}

/* A closed descriptor is EBADF. The guest's files, directories, pipes and terminals are not
 * sockets, so the calls fail with ENOTSOCK, as shutdown(2), recv(2) and friends (and wasmtime)
 * report it: a guest probing a descriptor learns what it is. Only a host socket inherited as
 * stdio is one; the sandbox offers no socket operations on it, hence ENOTSUP. */
static int no_socket(sl_wasi *w, uint32_t fd) {
    int e;
    wasi_fd *f = wasi_fd_get(w, fd, 0, &e);
    if (!f) return e;
    if (f->filetype == W_FT_STREAM || f->filetype == W_FT_DGRAM) return W_ENOTSUP;
    return W_ENOTSOCK;
}

WASI_FN(sock_accept) {
    (void)c;
    return no_socket(w, a[0].u32);
}
WASI_FN(sock_recv) {
    (void)c;
    return no_socket(w, a[0].u32);
}
WASI_FN(sock_send) {
    (void)c;
    return no_socket(w, a[0].u32);
}
WASI_FN(sock_shutdown) {
    (void)c;
    return no_socket(w, a[0].u32);
}
