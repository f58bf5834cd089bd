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

/* A closed descriptor is EBADF; an open one is simply not a socket. */
static int no_socket(sl_wasi *w, uint32_t fd) {
    int e;
    if (!wasi_fd_get(w, fd, 0, &e)) return e;
    return W_ENOTSUP;
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
