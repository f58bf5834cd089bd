/* poll.c - poll_oneoff: clock subscriptions (sleeps, relative or absolute) and read/write
 * readiness of descriptors, waited for together with one ppoll(). */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <time.h>

#include "wasi/wasi_impl.h"

#define SUB_SIZE   48
#define EVENT_SIZE 32
#define MAX_SUBS   65536

enum { EV_CLOCK = 0, EV_FD_READ = 1, EV_FD_WRITE = 2 };
#define SUBCLOCK_ABSTIME 1u
#define EVRW_HANGUP      1u

typedef struct sub {
    uint64_t userdata;
    uint8_t type;
    uint16_t error;  /* reported straight away when set */
    bool ready;      /* reported straight away (in-memory streams, null) */
    uint64_t nbytes; /* for ready fd subscriptions */
    uint16_t flags;
    uint64_t deadline; /* clock: CLOCK_MONOTONIC ns */
    int pfd;           /* index into the pollfd array, or -1 */
} sub;

static void put_event(uint8_t *out, const sub *s, uint16_t error, uint64_t nbytes, uint16_t flags) {
    memset(out, 0, EVENT_SIZE);
    put_u64(out, s->userdata);
    put_u16(out + 8, error);
    out[10] = s->type;
    if (s->type != EV_CLOCK) {
        put_u64(out + 16, nbytes);
        put_u16(out + 24, flags);
    }
}

/* Fill in a clock subscription's deadline on the monotonic clock. */
static void setup_clock(sub *s, const uint8_t *in, uint64_t now) {
    uint32_t id = get_u32(in + 16);
    uint64_t timeout = get_u64(in + 24), delay = timeout;
    if (get_u16(in + 40) & SUBCLOCK_ABSTIME) {
        uint64_t t;
        if ((s->error = (uint16_t)wasi_clock_now(id, &t))) return;
        delay = timeout > t ? timeout - t : 0;
    } else if (id > 3) {
        s->error = W_EINVAL;
        return;
    }
    /* CPU-time clocks are approximated by elapsed time. */
    s->deadline = delay > UINT64_MAX - now ? UINT64_MAX : now + delay;
}

static void setup_fd(sl_wasi *w, sub *s, const uint8_t *in, struct pollfd *pfds, int *npfd) {
    int e;
    wasi_fd *f = wasi_fd_get(w, get_u32(in + 16), 0, &e);
    if (!f) {
        s->error = (uint16_t)e;
        return;
    }
    bool rd = s->type == EV_FD_READ;
    if (!(f->rights & (rd ? R_FD_READ : R_FD_WRITE))) {
        s->error = W_EBADF;
        return;
    }
    switch (f->kind) {
    case WFD_HOST:
        s->pfd = (*npfd)++;
        pfds[s->pfd] = (struct pollfd){.fd = f->host, .events = rd ? POLLIN : POLLOUT};
        break;
    case WFD_NULL: s->ready = true; break;
    case WFD_INBUF:
        s->ready = true;
        s->nbytes = f->buf->len - f->buf->pos;
        if (!s->nbytes) s->flags = EVRW_HANGUP;
        break;
    case WFD_OUTBUF:
        s->ready = true;
        s->nbytes = f->buf->max - f->buf->len;
        break;
    }
}

#define WAIT_SLICE_NS 10000000u /* 10 ms */

static uint64_t mono_now(void) {
    uint64_t t = 0;
    wasi_clock_now(1, &t);
    return t;
}

WASI_FN(poll_oneoff) {
    uint32_t in = a[0].u32, out = a[1].u32, nsubs = a[2].u32, nevents_ptr = a[3].u32;
    wasi_mem m = wasi_mem_of(c);
    if (nsubs == 0) return W_EINVAL;
    if (!mem_ok(&m, in, (uint64_t)nsubs * SUB_SIZE) ||
        !mem_ok(&m, out, (uint64_t)nsubs * EVENT_SIZE) || !mem_ok(&m, nevents_ptr, 4))
        return W_EFAULT;
    if (nsubs > MAX_SUBS) return W_ENOMEM;
    sub *subs = calloc(nsubs, sizeof *subs);
    struct pollfd *pfds = calloc(nsubs, sizeof *pfds);
    if (!subs || !pfds) {
        free(subs);
        free(pfds);
        return W_ENOMEM;
    }
    uint64_t now = mono_now(), first = UINT64_MAX;
    int npfd = 0;
    bool immediate = false;
    for (uint32_t i = 0; i < nsubs; i++) {
        const uint8_t *p = mem_at(&m, in + i * SUB_SIZE);
        sub *s = &subs[i];
        s->userdata = get_u64(p);
        s->type = p[8];
        s->pfd = -1;
        if (s->type == EV_CLOCK)
            setup_clock(s, p + 0, now);
        else if (s->type == EV_FD_READ || s->type == EV_FD_WRITE)
            setup_fd(w, s, p, pfds, &npfd);
        else
            s->error = W_EINVAL;
        if (s->error || s->ready)
            immediate = true;
        else if (s->type == EV_CLOCK && s->deadline < first)
            first = s->deadline;
    }

    uint32_t nev = 0;
    uint8_t *events = mem_at(&m, out);
    for (;;) {
        struct timespec ts, *tp = NULL;
        if (immediate) {
            ts = (struct timespec){0, 0};
            tp = &ts;
        } else {
            /* Wait in slices, so that an interrupt (a timeout) is seen while blocked. */
            uint64_t left = first != UINT64_MAX && first > now ? first - now : 0;
            if (first == UINT64_MAX || left > WAIT_SLICE_NS) left = WAIT_SLICE_NS;
            ts.tv_sec = (time_t)(left / 1000000000u);
            ts.tv_nsec = (long)(left % 1000000000u);
            tp = &ts;
        }
        int r = ppoll(pfds, (nfds_t)npfd, tp, NULL);
        if (r < 0 && errno != EINTR) {
            free(subs);
            free(pfds);
            return wasi_errno(errno);
        }
        now = mono_now();
        for (uint32_t i = 0; i < nsubs; i++) {
            sub *s = &subs[i];
            uint8_t *ev = events + nev * EVENT_SIZE;
            if (s->error) {
                put_event(ev, s, s->error, 0, 0);
            } else if (s->ready) {
                put_event(ev, s, 0, s->nbytes, s->flags);
            } else if (s->pfd >= 0 && r > 0 && pfds[s->pfd].revents) {
                short re = pfds[s->pfd].revents;
                int avail = 0;
                if (s->type == EV_FD_READ && ioctl(pfds[s->pfd].fd, FIONREAD, &avail) != 0)
                    avail = 0;
                uint16_t err = re & POLLNVAL ? W_EBADF : 0;
                put_event(ev, s, err, (uint64_t)(avail > 0 ? avail : 0),
                          re & (POLLHUP | POLLERR) ? EVRW_HANGUP : 0);
            } else if (s->type == EV_CLOCK && s->deadline <= now) {
                put_event(ev, s, 0, 0, 0);
            } else {
                continue;
            }
            nev++;
        }
        if (nev) break;
        if (sl_store_interrupted(sl_caller_store(c))) {
            free(subs);
            free(pfds);
            return W_EINTR;
        }
        /* Woken early (a signal), a slice ended, or the clock came up just short. */
    }
    free(subs);
    free(pfds);
    put_u32(mem_at(&m, nevents_ptr), nev);
    return W_ESUCCESS;
}
