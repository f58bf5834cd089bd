/* clocks.c - realtime, monotonic and CPU clocks, their resolutions, and sleeping. */
#include <time.h>

#include "check.h"

static long long ns(struct timespec t) {
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(void) {
    struct timespec t, u, r;
    CHECK(clock_gettime(CLOCK_REALTIME, &t) == 0);
    CHECK(t.tv_sec > 1600000000); /* after 2020 */
    CHECK(time(NULL) >= t.tv_sec);
    CHECK(clock_gettime(CLOCK_MONOTONIC, &t) == 0);
    CHECK(clock_gettime(CLOCK_MONOTONIC, &u) == 0);
    CHECK(ns(u) >= ns(t));
    CHECK(clock_getres(CLOCK_MONOTONIC, &r) == 0);
    CHECK(ns(r) > 0 && ns(r) <= 1000000);
    CHECK(clock_getres(CLOCK_REALTIME, &r) == 0);
    CHECK(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t) == 0);
    CHECK(clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t) == 0);

    /* nanosleep is a poll_oneoff clock subscription */
    CHECK(clock_gettime(CLOCK_MONOTONIC, &t) == 0);
    struct timespec d = {0, 20 * 1000000};
    CHECK(nanosleep(&d, NULL) == 0);
    CHECK(clock_gettime(CLOCK_MONOTONIC, &u) == 0);
    CHECK(ns(u) - ns(t) >= 20 * 1000000LL);
    CHECK(ns(u) - ns(t) < 5 * 1000000000LL);

    /* an absolute deadline on the realtime clock */
    CHECK(clock_gettime(CLOCK_REALTIME, &t) == 0);
    struct timespec until = t;
    until.tv_nsec += 10 * 1000000;
    if (until.tv_nsec >= 1000000000) until.tv_sec++, until.tv_nsec -= 1000000000;
    CHECK(clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &until, NULL) == 0);
    CHECK(clock_gettime(CLOCK_REALTIME, &u) == 0);
    CHECK(ns(u) >= ns(until) - 1000000); /* allow the realtime clock a little slew */

    /* CPU time advances with work */
    CHECK(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t) == 0);
    volatile unsigned x = 0;
    for (unsigned i = 0; i < 20000000; i++)
        x = x + i;
    (void)x;
    CHECK(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &u) == 0);
    CHECK(ns(u) > ns(t));
    FINISH();
}
