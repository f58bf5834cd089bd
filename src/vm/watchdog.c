/* watchdog.c - timeouts: one engine thread interrupts stores whose call ran too long.
 *
 * The interpreter never reads a clock: it only polls the store's interrupt flag at loop
 * heads and function entries. A call with a timeout registers its deadline here; the
 * watchdog thread sleeps until the earliest deadline and raises the flag. */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "vm/runtime.h"

struct sl_watchdog {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    sl_store *head;      /* armed stores */
    uint64_t wait_until; /* the deadline the thread sleeps until (UINT64_MAX: none) */
    bool stop;
};

static void *watch(void *arg) {
    sl_watchdog *wd = arg;
    pthread_mutex_lock(&wd->lock);
    while (!wd->stop) {
        uint64_t now = sl_now_ns(), next = UINT64_MAX;
        for (sl_store **p = &wd->head; *p;) {
            sl_store *s = *p;
            if (s->wd_deadline_ns <= now) {
                /* the store's thread reads wd_fired once it sees the bit: release */
                atomic_store_explicit(&s->wd_fired, true, memory_order_relaxed);
                atomic_fetch_or_explicit(&s->poll, SL_POLL_INTERRUPT, memory_order_release);
                s->wd_registered = false;
                *p = s->wd_next;
                continue;
            }
            if (s->wd_deadline_ns < next) next = s->wd_deadline_ns;
            p = &s->wd_next;
        }
        wd->wait_until = next;
        if (next == UINT64_MAX) {
            pthread_cond_wait(&wd->cond, &wd->lock);
        } else {
            struct timespec ts = {.tv_sec = (time_t)(next / 1000000000u),
                                  .tv_nsec = (long)(next % 1000000000u)};
            pthread_cond_timedwait(&wd->cond, &wd->lock, &ts);
        }
    }
    pthread_mutex_unlock(&wd->lock);
    return NULL;
}

static sl_watchdog *get_watchdog(sl_engine *e) {
    pthread_mutex_lock(&e->watchdog_lock);
    if (!e->watchdog) {
        sl_watchdog *wd = calloc(1, sizeof *wd);
        if (wd) {
            pthread_mutex_init(&wd->lock, NULL);
            pthread_condattr_t ca;
            pthread_condattr_init(&ca);
            pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* deadlines come from sl_now_ns */
            pthread_cond_init(&wd->cond, &ca);
            pthread_condattr_destroy(&ca);
            if (pthread_create(&wd->thread, NULL, watch, wd) != 0) {
                pthread_cond_destroy(&wd->cond);
                pthread_mutex_destroy(&wd->lock);
                free(wd);
                wd = NULL;
            }
        }
        e->watchdog = wd;
    }
    pthread_mutex_unlock(&e->watchdog_lock);
    return e->watchdog;
}

void sl_watchdog_arm(sl_store *s) {
    if (!s->timeout_ms || s->wd_registered) return;
    sl_watchdog *wd = get_watchdog(s->engine);
    if (!wd) return;
    pthread_mutex_lock(&wd->lock);
    s->wd_deadline_ns = sl_now_ns() + (uint64_t)s->timeout_ms * 1000000u;
    atomic_store_explicit(&s->wd_fired, false, memory_order_relaxed);
    s->wd_next = wd->head;
    wd->head = s;
    s->wd_registered = true;
    /* Wake the thread only for a deadline earlier than the one it sleeps until. A server
     * arms a store per request, with deadlines that mostly only grow: signalling each time
     * would cost a thread wake-up per request. The thread wakes at its deadline anyway,
     * finds the later ones, and sleeps again. */
    if (s->wd_deadline_ns < wd->wait_until) pthread_cond_signal(&wd->cond);
    pthread_mutex_unlock(&wd->lock);
}

void sl_watchdog_disarm(sl_store *s) {
    sl_watchdog *wd = s->engine->watchdog;
    if (!wd) return;
    pthread_mutex_lock(&wd->lock);
    if (s->wd_registered) {
        for (sl_store **p = &wd->head; *p; p = &(*p)->wd_next)
            if (*p == s) {
                *p = s->wd_next;
                break;
            }
        s->wd_registered = false;
    }
    if (atomic_load_explicit(&s->wd_fired, memory_order_relaxed)) {
        atomic_store_explicit(&s->wd_fired, false, memory_order_relaxed);
        atomic_fetch_and_explicit(&s->poll, ~SL_POLL_INTERRUPT, memory_order_relaxed);
    }
    pthread_mutex_unlock(&wd->lock);
}

void sl_watchdog_free(sl_engine *e) {
    sl_watchdog *wd = e->watchdog;
    if (!wd) return;
    pthread_mutex_lock(&wd->lock);
    wd->stop = true;
    pthread_cond_signal(&wd->cond);
    pthread_mutex_unlock(&wd->lock);
    pthread_join(wd->thread, NULL);
    pthread_cond_destroy(&wd->cond);
    pthread_mutex_destroy(&wd->lock);
    free(wd);
    e->watchdog = NULL;
}
