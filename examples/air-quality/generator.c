// examples/air-quality/generator.c - synthetic air-quality sensor readings with injected
// anomalies, streamed as CSV to stdout or over TCP, with the ground truth written aside.
// The data model, the options and the reconnection guarantees are described in README.md next
// to this file. libc + libm only: it is the input side of an example pipeline, not a guest.

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/sockios.h>
#include <time.h>
#include <unistd.h>

#define PROG "air-quality-gen"

static const char data_header[] =
    "timestamp,temperature,humidity,pressure,gas_resistance,air_quality\n";
static const char truth_header[] = "timestamp,anomaly,column,event\n";

// Longest data or truth line: a 20-byte timestamp and five clamped numbers stay far below this;
// the buffers always keep this much room so a line is formatted without bounds checks.
#define MAX_LINE 256
// Output is handed to the kernel in chunks of this size at --rate 0: big enough that the
// write(2)s cost nothing next to the formatting.
#define CHUNK (1u << 20)

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig) {
    (void)sig;
    stop_requested = 1;
}

__attribute__((format(printf, 1, 2))) static _Noreturn void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, PROG ": ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static double now_mono(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void sleep_until(double t) {
    struct timespec ts = {.tv_sec = (time_t)t};
    ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
    if (ts.tv_nsec >= 1000000000L) ts.tv_nsec = 999999999L;
    // EINTR returns early on purpose: the caller checks stop_requested.
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

// ---- Random numbers ----------------------------------------------------------------------
// SplitMix64: a counter passed through a 64-bit mixing function. Tiny, fast, and the output
// depends only on the seed, so a seed reproduces the stream on any libc (rand() would not).

struct rng {
    uint64_t s;
};

static uint64_t rng_next(struct rng *r) {
    uint64_t z = (r->s += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

// Uniform in [0, 1) with 53 random bits.
static double rng_unit(struct rng *r) {
    return (double)(rng_next(r) >> 11) * 0x1p-53;
}

static double rng_range(struct rng *r, double lo, double hi) {
    return lo + (hi - lo) * rng_unit(r);
}

// Approximately standard normal: the sum of four uniforms (Irwin-Hall), centred and scaled to
// unit variance. One random word per draw instead of Box-Muller's log and sincos, and the
// tails stop at +-3.46 sigma, so only injected anomalies make large deviations: the ground
// truth is then the whole truth.
static double rng_normal(struct rng *r) {
    uint64_t x = rng_next(r);
    double sum = (double)(x & 0xffff) + (double)((x >> 16) & 0xffff) +
                 (double)((x >> 32) & 0xffff) + (double)(x >> 48);
    return ((sum + 2.0) / 65536.0 - 2.0) * 1.7320508075688772;
}

// ---- Signal model ------------------------------------------------------------------------

// An Ornstein-Uhlenbeck process sampled every `dt` simulated seconds: it wanders with standard
// deviation `sd` and forgets its past over `tau` seconds. Weather and sensor drift are such
// processes: unlike a random walk or a linear trend they stay in a plausible range however
// long the generator runs.
struct ou {
    double x, rho, step_sd;
};

static void ou_init(struct ou *o, struct rng *r, double sd, double tau, double dt) {
    o->rho = exp(-dt / tau);
    o->step_sd = sd * sqrt(1.0 - o->rho * o->rho);
    o->x = sd * rng_normal(r); // start in the stationary distribution, not at a flat zero
}

static double ou_step(struct ou *o, struct rng *r) {
    o->x = o->rho * o->x + o->step_sd * rng_normal(r);
    return o->x;
}

enum column { COL_TEMPERATURE, COL_HUMIDITY, COL_PRESSURE, COL_GAS, NUM_ANOMALY_COLUMNS };
enum kind { KIND_NONE, KIND_SPIKE, KIND_DIP, KIND_LEVEL_SHIFT };

static const char *const column_names[] = {"temperature", "humidity", "pressure", "gas_resistance"};
static const char *const kind_names[] = {"", "spike", "dip", "level_shift"};

// Magnitudes per column: spikes and dips are drawn from [lo, hi] of the first pair, level
// shifts from the second (gas: in natural log of the resistance, i.e. a factor exp(m)).
// Every range starts far above the noise so that a detector has a fair chance.
static const double spike_range[NUM_ANOMALY_COLUMNS][2] = {{4, 8}, {10, 20}, {3, 6}, {0.5, 0.9}};
static const double shift_range[NUM_ANOMALY_COLUMNS][2] = {{2, 4}, {5, 10}, {2, 4}, {0.25, 0.45}};

#define GAS_R0 120000.0 // clean-air resistance of the gas sensor, ohms

struct anomaly {
    enum kind kind;
    enum column col;
    long remaining; // readings left, this one included
    double offset;
    uint64_t event;
};

struct sensor {
    // Two streams: the clean signal never consumes anomaly draws, so changing --anomaly-rate
    // leaves every reading outside an anomaly unchanged (the tests rely on that).
    struct rng noise, anom;
    struct ou temp_weather, temp_drift, hum_weather, hum_drift, pres_weather, gas_voc, gas_drift;
    double anomaly_rate;
    uint64_t events;
    struct anomaly a;
};

struct reading {
    double temperature, humidity, pressure, gas, iaq;
    const struct anomaly *a; // NULL outside an anomaly
};

static void sensor_init(struct sensor *s, uint64_t seed, double dt, double anomaly_rate) {
    struct rng seeder = {seed};
    s->noise.s = rng_next(&seeder);
    s->anom.s = rng_next(&seeder);
    const double hour = 3600, day = 86400;
    ou_init(&s->temp_weather, &s->noise, 0.8, 6 * hour, dt);
    ou_init(&s->temp_drift, &s->noise, 1.0, 30 * day, dt);
    ou_init(&s->hum_weather, &s->noise, 5.0, 12 * hour, dt);
    ou_init(&s->hum_drift, &s->noise, 3.0, 30 * day, dt);
    ou_init(&s->pres_weather, &s->noise, 8.0, 3 * day, dt);
    ou_init(&s->gas_voc, &s->noise, 0.1, 2 * hour, dt);
    ou_init(&s->gas_drift, &s->noise, 0.15, 20 * day, dt);
    s->anomaly_rate = anomaly_rate;
    s->events = 0;
    s->a = (struct anomaly){.kind = KIND_NONE};
}

static double clamp(double x, double lo, double hi) {
    return x < lo ? lo : x > hi ? hi : x;
}

// One reading at day fraction `d` (0 = midnight, 0.5 = noon).
static void sensor_step(struct sensor *s, double d, struct reading *out) {
    const double two_pi = 6.283185307179586;
    // Diurnal cycle: warmest at 15:00, and relative humidity moves the other way.
    double c = sin(two_pi * (d - 0.375));
    // Atmospheric tide: pressure peaks twice a day, near 10:00 and 22:00.
    double tide = cos(2 * two_pi * (d - 10.0 / 24));
    // Occupancy from 08:00 to 18:00 adds VOCs, which lower the gas sensor's resistance.
    double occ = d >= 8.0 / 24 && d <= 18.0 / 24 ? sin(two_pi / 2 * (d - 8.0 / 24) * 2.4) : 0;

    struct rng *n = &s->noise;
    double t = 21 + 4 * c + ou_step(&s->temp_weather, n) + ou_step(&s->temp_drift, n) +
               0.05 * rng_normal(n);
    double h =
        45 - 12 * c + ou_step(&s->hum_weather, n) + ou_step(&s->hum_drift, n) + 0.3 * rng_normal(n);
    double p = 1013.25 + 0.8 * tide + ou_step(&s->pres_weather, n) + 0.05 * rng_normal(n);
    // ln(R / R0): drift (sensor ageing), VOC fluctuations, occupancy, and the true humidity
    // (a humidity anomaly is a fault of the humidity sensor, not of the air).
    double g = ou_step(&s->gas_drift, n) + ou_step(&s->gas_voc, n) - 0.5 * occ - 0.01 * (h - 45) +
               0.02 * rng_normal(n);

    struct anomaly *a = &s->a;
    if (a->remaining == 0) {
        a->kind = KIND_NONE;
        if (s->anomaly_rate > 0 && rng_unit(&s->anom) < s->anomaly_rate) {
            a->kind = (enum kind)(KIND_SPIKE + rng_next(&s->anom) % 3);
            a->col = (enum column)(rng_next(&s->anom) % NUM_ANOMALY_COLUMNS);
            a->event = ++s->events;
            if (a->kind == KIND_LEVEL_SHIFT) {
                a->remaining = 20 + (long)(rng_next(&s->anom) % 101);
                a->offset = rng_range(&s->anom, shift_range[a->col][0], shift_range[a->col][1]);
                if (rng_next(&s->anom) & 1) a->offset = -a->offset;
            } else {
                a->remaining = 1 + (long)(rng_next(&s->anom) % 3);
                a->offset = rng_range(&s->anom, spike_range[a->col][0], spike_range[a->col][1]);
                if (a->kind == KIND_DIP) a->offset = -a->offset;
            }
        }
    }
    out->a = NULL;
    if (a->kind != KIND_NONE) {
        switch (a->col) {
        case COL_TEMPERATURE: t += a->offset; break;
        case COL_HUMIDITY: h += a->offset; break;
        case COL_PRESSURE: p += a->offset; break;
        default: g += a->offset; break;
        }
        a->remaining--;
        out->a = a;
    }
    h = clamp(h, 0, 100);
    out->temperature = t;
    out->humidity = h;
    out->pressure = p;
    out->gas = GAS_R0 * exp(g);
    // The index the sensor's firmware would report: from the measured (possibly anomalous)
    // gas resistance relative to its clean-air reference, plus a penalty for humidity outside
    // 30-50 %RH. 0-50 is good air, 100-150 poor, 500 the worst.
    out->iaq = clamp(50 - 100 * g + 1.5 * fmax(0, fabs(h - 40) - 10), 0, 500);
}

// ---- Formatting --------------------------------------------------------------------------

// x with exactly `decimals` (0-3) digits after the point, rounded half away from zero. printf
// would be most of the run time. Values are physically bounded; the guard only keeps a bug
// from printing garbage digits.
static char *put_fixed(char *p, double x, int decimals) {
    static const double scale[] = {1, 10, 100, 1000};
    double v = x * scale[decimals];
    bool neg = v < 0;
    if (neg) v = -v;
    if (!(v < 1e15)) v = 0; // also NaN
    uint64_t r = (uint64_t)(v + 0.5);
    if (r == 0) neg = false; // no "-0.00"
    char digits[24];
    int n = 0;
    do {
        digits[n++] = (char)('0' + r % 10);
        r /= 10;
    } while (r != 0 || n <= decimals);
    if (neg) *p++ = '-';
    while (n > decimals)
        *p++ = digits[--n];
    if (decimals > 0) {
        *p++ = '.';
        while (n > 0)
            *p++ = digits[--n];
    }
    return p;
}

static char *put2(char *p, unsigned v) {
    p[0] = (char)('0' + v / 10);
    p[1] = (char)('0' + v % 10);
    return p + 2;
}

static bool is_leap(long y) {
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static long leaps_through(long y) {
    return y / 4 - y / 100 + y / 400;
} // leap years in 1..y

// Days from 1970-01-01 to January 1st of year y (y >= 1970).
static long days_before_year(long y) {
    return 365 * (y - 1970) + leaps_through(y - 1) - leaps_through(1969);
}

static const int month_days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

static long days_from_civil(long y, int m, int d) {
    long days = days_before_year(y);
    for (int i = 0; i < m - 1; i++)
        days += month_days[i] + (i == 1 && is_leap(y));
    return days + d - 1;
}

static void civil_from_days(long days, long *y, int *m, int *d) {
    long year = 1970 + days / 366; // never past the answer; few steps forward from here
    while (days_before_year(year + 1) <= days)
        year++;
    days -= days_before_year(year);
    int month = 0;
    for (;; month++) {
        int len = month_days[month] + (month == 1 && is_leap(year));
        if (days < len) break;
        days -= len;
    }
    *y = year;
    *m = month + 1;
    *d = (int)days + 1;
}

// Formats ISO 8601 timestamps, converting the date only when the day changes.
struct clock_fmt {
    long day;
    char date[11]; // "YYYY-MM-DD"
};

static char *put_timestamp(char *p, struct clock_fmt *cf, int64_t epoch) {
    long day = (long)(epoch / 86400);
    unsigned sod = (unsigned)(epoch % 86400);
    if (day != cf->day) {
        long y;
        int m, d;
        civil_from_days(day, &y, &m, &d);
        char *q = put2(put2(cf->date, (unsigned)(y / 100)), (unsigned)(y % 100));
        *q++ = '-';
        q = put2(q, (unsigned)m);
        *q++ = '-';
        put2(q, (unsigned)d);
        cf->day = day;
    }
    memcpy(p, cf->date, 10);
    p[10] = 'T';
    p = put2(p + 11, sod / 3600);
    *p++ = ':';
    p = put2(p, sod / 60 % 60);
    *p++ = ':';
    p = put2(p, sod % 60);
    *p++ = 'Z';
    return p;
}

static bool parse_time(const char *s, int64_t *out) {
    int y, mo, d, h, mi, sec, n = 0;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 || n != 20 ||
        s[n] != '\0')
        return false;
    if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || h > 23 || mi > 59 || sec > 59 || d < 1 ||
        d > month_days[mo - 1] + (mo == 2 && is_leap(y)))
        return false;
    *out = (int64_t)days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
    return true;
}

// ---- Output ------------------------------------------------------------------------------

// A byte buffer and where it goes. For a file, flushing writes and empties it. For TCP it also
// keeps every line the peer has not acknowledged, [start, sent), so that after a dropped
// connection the stream resumes at the first line the receiver may not have: TCP itself
// forgets whatever was in flight when the connection died.
struct sink {
    char *buf;
    size_t cap, start, sent, len; // buf[start, len) is kept; buf[sent, len) is not yet sent
    int fd;
    // TCP only.
    bool tcp, eof, header;
    const char *addr; // HOST:PORT as given
    char *host, *port;
    double timeout;
    uint64_t conn_data;   // data bytes written on this connection (the header not counted)
    uint64_t start_line;  // line number of buf[start] in the stream, for messages
    unsigned connections; // how many connections were made so far
};

static void sink_init(struct sink *s, int fd) {
    memset(s, 0, sizeof *s);
    s->fd = fd;
    s->cap = 2 * CHUNK;
    s->buf = malloc(s->cap);
    if (!s->buf) die("out of memory");
}

// Room for one more line. Kept bytes move to the front only when that frees at least half the
// buffer, and the buffer doubles otherwise, so the copying stays linear in the output.
static void sink_reserve(struct sink *s) {
    if (s->cap - s->len >= MAX_LINE) return;
    if (s->start >= s->cap / 2) {
        memmove(s->buf, s->buf + s->start, s->len - s->start);
        s->len -= s->start;
        s->sent -= s->start;
        s->start = 0;
        return;
    }
    s->cap *= 2;
    s->buf = realloc(s->buf, s->cap);
    if (!s->buf) die("out of memory");
}

static void write_all(int fd, const char *p, size_t n, const char *what) {
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            die("cannot write %s: %s", what, strerror(errno));
        }
        p += w;
        n -= (size_t)w;
    }
}

static void file_flush(struct sink *s, const char *what) {
    if (s->len == 0) return;
    write_all(s->fd, s->buf, s->len, what);
    s->start = s->sent = s->len = 0;
}

// The ground truth, if any: written out on every exit but an error, so that it always covers
// the readings generated.
static struct sink truth;
static const char *truth_path;

static _Noreturn void quit(int status) {
    if (truth_path) {
        file_flush(&truth, truth_path);
        if (close(truth.fd) < 0) die("cannot write %s: %s", truth_path, strerror(errno));
    }
    exit(status);
}

// ---- TCP ---------------------------------------------------------------------------------

static void split_addr(struct sink *s, const char *addr) {
    const char *colon = strrchr(addr, ':');
    if (!colon || colon == addr || colon[1] == '\0') die("--connect %s: expected HOST:PORT", addr);
    size_t hlen = (size_t)(colon - addr);
    if (addr[0] == '[' && hlen >= 2 && addr[hlen - 1] == ']') { // [IPv6]:PORT
        addr++;
        hlen -= 2;
    }
    s->addr = addr;
    s->host = strndup(addr, hlen);
    s->port = strdup(colon + 1);
    if (!s->host || !s->port) die("out of memory");
}

// One attempt at every address of HOST; the socket, or -1 with *why saying what failed.
static int try_connect(const struct sink *s, double deadline, const char **why) {
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res;
    int rc = getaddrinfo(s->host, s->port, &hints, &res);
    if (rc != 0) {
        *why = rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc);
        return -1;
    }
    int fd = -1, err = ECONNREFUSED;
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            err = errno;
            continue;
        }
        // Non-blocking, so that a host that drops SYNs cannot hold us past the deadline.
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
            err = errno;
            if (err == EINPROGRESS) {
                struct pollfd pfd = {.fd = fd, .events = POLLOUT};
                double left = deadline - now_mono();
                int ms = left > 0 ? (int)(left * 1000) + 1 : 0;
                socklen_t len = sizeof err;
                if (poll(&pfd, 1, ms) <= 0)
                    err = ETIMEDOUT;
                else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
                    err = errno;
            }
            if (err != 0) {
                close(fd);
                fd = -1;
            }
        }
    }
    freeaddrinfo(res);
    if (fd < 0) {
        *why = strerror(err);
        return -1;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    int one = 1; // lines go out one by one when paced; don't let Nagle hold them back
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static bool send_all(int fd, const char *p, size_t n) {
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR && !stop_requested) continue;
            return false;
        }
        p += w;
        n -= (size_t)w;
    }
    return true;
}

// Connects, retrying with exponential backoff until --connect-timeout seconds have passed;
// then gives up, since a receiver that is not there is better reported than waited for.
static void tcp_connect(struct sink *s) {
    double deadline = now_mono() + s->timeout, backoff = 0.1;
    for (;;) {
        const char *why = "the header could not be sent";
        int fd = try_connect(s, deadline, &why);
        if (fd >= 0) {
            // Every connection starts with the header, so that a receiver can parse each one
            // as a CSV stream of its own.
            if (!s->header || send_all(fd, data_header, sizeof data_header - 1)) {
                s->fd = fd;
                s->eof = false;
                s->conn_data = 0;
                s->sent = s->start;
                s->connections++;
                return;
            }
            close(fd);
        }
        if (stop_requested) quit(0);
        double left = deadline - now_mono();
        if (left <= 0) {
            fprintf(stderr, PROG ": cannot connect to %s within %g s: %s\n", s->addr, s->timeout,
                    why);
            quit(1);
        }
        sleep_until(now_mono() + fmin(backoff, left));
        backoff = fmin(backoff * 2, 2.0);
    }
}

// Forgets the lines the peer has acknowledged, and returns the number of bytes it has not (-1:
// unknown). SIOCOUTQ is that number (it still answers once the connection is reset);
// everything before has reached the peer's socket. Only whole lines go, so the stream resumes
// at a line boundary.
static long tcp_trim(struct sink *s) {
    int outq;
    if (ioctl(s->fd, SIOCOUTQ, &outq) < 0) return -1; // keep everything: resend, never lose
    uint64_t unacked = (uint64_t)outq < s->conn_data ? (uint64_t)outq : s->conn_data;
    size_t acked = s->sent - (size_t)unacked;
    if (acked <= s->start) return outq;
    const char *nl = memrchr(s->buf + s->start, '\n', acked - s->start);
    if (!nl) return outq;
    size_t end = (size_t)(nl - s->buf) + 1;
    for (const char *p = s->buf + s->start; (p = memchr(p, '\n', end - (size_t)(p - s->buf))); p++)
        s->start_line++;
    s->start = end;
    return outq;
}

// The peer half-closed (it wants to stop) when `graceful`, or the connection failed. After a
// half-close the peer still reads, so we stop sending and wait, up to --connect-timeout, for
// the acknowledgement of what we sent; nothing is then resent twice.
static void tcp_lost(struct sink *s, bool graceful, int err) {
    if (graceful) {
        double deadline = now_mono() + s->timeout;
        for (;;) {
            if (tcp_trim(s) <= 0 || stop_requested || now_mono() > deadline) break;
            struct pollfd pfd = {.fd = s->fd, .events = 0};
            if (poll(&pfd, 1, 20) > 0 && (pfd.revents & (POLLERR | POLLHUP))) break;
        }
    }
    tcp_trim(s);
    close(s->fd);
    s->fd = -1;
    if (stop_requested) quit(0);
    if (graceful)
        fprintf(stderr, PROG ": %s closed the connection; reconnecting\n", s->addr);
    else if (err == ECONNRESET)
        // A reset means the receiver closed with unread data in its socket. TCP acknowledged
        // those lines, so they are not resent: they are gone (README.md, "Over TCP").
        fprintf(stderr,
                PROG ": connection to %s reset; lines it had not read are lost; reconnecting\n",
                s->addr);
    else
        fprintf(stderr, PROG ": connection to %s lost (%s); reconnecting\n", s->addr,
                strerror(err));
    tcp_connect(s);
    fprintf(stderr, PROG ": reconnected to %s; resuming at reading %llu\n", s->addr,
            (unsigned long long)s->start_line + 1);
}

// Whether the peer has half-closed or failed, without blocking. Anything it sends is ignored.
static int tcp_peer_state(struct sink *s) {
    struct pollfd pfd = {.fd = s->fd, .events = s->eof ? 0 : POLLIN};
    if (poll(&pfd, 1, 0) <= 0) return 0;
    if (pfd.revents & POLLIN) {
        char scratch[4096];
        ssize_t n = recv(s->fd, scratch, sizeof scratch, MSG_DONTWAIT);
        if (n == 0)
            s->eof = true;
        else if (n < 0 && errno != EAGAIN && errno != EINTR)
            return -1;
    }
    return pfd.revents & (POLLERR | POLLHUP) ? -1 : 0;
}

static void tcp_flush(struct sink *s) {
    while (s->sent < s->len && !stop_requested) {
        int st = tcp_peer_state(s);
        if (st < 0 || s->eof) {
            int err = ECONNRESET;
            socklen_t len = sizeof err;
            getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len);
            tcp_lost(s, st == 0, err ? err : ECONNRESET);
            continue;
        }
        ssize_t w = send(s->fd, s->buf + s->sent, s->len - s->sent, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno != EINTR) tcp_lost(s, false, errno);
            continue;
        }
        s->sent += (size_t)w;
        s->conn_data += (uint64_t)w;
    }
    if (s->fd >= 0) tcp_trim(s);
}

// At the end of a finite run: waits until the receiver has acknowledged every line
// (reconnecting and resending if it goes away first), then closes our side.
static void tcp_finish(struct sink *s) {
    tcp_flush(s);
    while (!stop_requested) {
        if (tcp_trim(s) <= 0) break; // all sent, all acknowledged (or no way to know)
        struct pollfd pfd = {.fd = s->fd, .events = 0};
        if (poll(&pfd, 1, 20) > 0 && (pfd.revents & (POLLERR | POLLHUP))) {
            int err = ECONNRESET;
            socklen_t len = sizeof err;
            getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len);
            tcp_lost(s, false, err ? err : ECONNRESET);
            tcp_flush(s);
        }
    }
    shutdown(s->fd, SHUT_WR);
    close(s->fd);
}

// ---- Main --------------------------------------------------------------------------------

static _Noreturn void usage(int status) {
    fprintf(status ? stderr : stdout,
            "usage: " PROG " [options]\n"
            "  --connect HOST:PORT    stream to a TCP server (default: stdout)\n"
            "  --connect-timeout S    give up connecting after S seconds (default 10)\n"
            "  --count N              readings to produce (default: endless)\n"
            "  --rate R               readings per second of wall time; 0 = flat out (default 10)\n"
            "  --interval S           simulated seconds between readings (default 60)\n"
            "  --period N             readings per simulated day (default 86400 / interval)\n"
            "  --start TIME           first timestamp (default 2026-01-01T00:00:00Z)\n"
            "  --seed N               seed of the random numbers (default 1)\n"
            "  --anomaly-rate P       chance that a reading starts an anomaly (default 0.01)\n"
            "  --truth FILE           write the ground truth (one line per reading) to FILE\n"
            "  --header               begin the stream (every connection) with a header line\n");
    exit(status);
}

static double parse_num(const char *opt, const char *s, double lo, double hi) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= lo && v <= hi)) {
        fprintf(stderr, PROG ": %s %s: expected a number from %g to %g\n", opt, s, lo, hi);
        exit(2);
    }
    return v;
}

static uint64_t parse_uint(const char *opt, const char *s, uint64_t lo, uint64_t hi) {
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-' || v < lo || v > hi) {
        fprintf(stderr, PROG ": %s %s: expected a whole number from %llu to %llu\n", opt, s,
                (unsigned long long)lo, (unsigned long long)hi);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv) {
    enum {
        O_CONNECT = 256,
        O_TIMEOUT,
        O_COUNT,
        O_RATE,
        O_INTERVAL,
        O_PERIOD,
        O_START,
        O_SEED,
        O_ANOMALY,
        O_TRUTH,
        O_HEADER,
        O_HELP
    };
    static const struct option opts[] = {
        {"connect", required_argument, 0, O_CONNECT},
        {"connect-timeout", required_argument, 0, O_TIMEOUT},
        {"count", required_argument, 0, O_COUNT},
        {"rate", required_argument, 0, O_RATE},
        {"interval", required_argument, 0, O_INTERVAL},
        {"period", required_argument, 0, O_PERIOD},
        {"start", required_argument, 0, O_START},
        {"seed", required_argument, 0, O_SEED},
        {"anomaly-rate", required_argument, 0, O_ANOMALY},
        {"truth", required_argument, 0, O_TRUTH},
        {"header", no_argument, 0, O_HEADER},
        {"help", no_argument, 0, O_HELP},
        {0, 0, 0, 0},
    };
    const char *connect_to = NULL;
    double timeout = 10, rate = 10, anomaly_rate = 0.01;
    int64_t count = -1, interval = 60, period = 0, start = 0;
    uint64_t seed = 1;
    bool header = false;
    parse_time("2026-01-01T00:00:00Z", &start);

    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case O_CONNECT: connect_to = optarg; break;
        case O_TIMEOUT: timeout = parse_num("--connect-timeout", optarg, 0, 86400); break;
        case O_COUNT: count = (int64_t)parse_uint("--count", optarg, 0, INT64_MAX); break;
        case O_RATE: rate = parse_num("--rate", optarg, 0, 1e9); break;
        case O_INTERVAL: interval = (int64_t)parse_uint("--interval", optarg, 1, 86400); break;
        case O_PERIOD: period = (int64_t)parse_uint("--period", optarg, 2, 100000000); break;
        case O_START:
            if (!parse_time(optarg, &start)) {
                fprintf(stderr, PROG ": --start %s: expected YYYY-MM-DDTHH:MM:SSZ\n", optarg);
                exit(2);
            }
            break;
        case O_SEED: seed = parse_uint("--seed", optarg, 0, UINT64_MAX); break;
        case O_ANOMALY: anomaly_rate = parse_num("--anomaly-rate", optarg, 0, 1); break;
        case O_TRUTH: truth_path = optarg; break;
        case O_HEADER: header = true; break;
        case O_HELP: usage(0);
        default: usage(2);
        }
    }
    if (optind < argc) usage(2);

    // No SA_RESTART: a blocked send or sleep returns, and the loop ends cleanly.
    struct sigaction sa = {.sa_handler = on_stop};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    struct sink out;
    sink_init(&out, STDOUT_FILENO);
    if (truth_path) {
        int fd = open(truth_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) die("--truth: cannot create %s: %s", truth_path, strerror(errno));
        sink_init(&truth, fd);
        memcpy(truth.buf, truth_header, sizeof truth_header - 1);
        truth.len = sizeof truth_header - 1;
    }
    if (connect_to) {
        split_addr(&out, connect_to);
        out.tcp = true;
        out.header = header;
        out.timeout = timeout;
        tcp_connect(&out);
    } else if (header) {
        memcpy(out.buf, data_header, sizeof data_header - 1);
        out.len = sizeof data_header - 1;
    }

    struct sensor sensor;
    sensor_init(&sensor, seed, (double)interval, anomaly_rate);
    struct clock_fmt cf = {.day = -1};
    // With --period the day is `period` readings long, whatever the timestamps say; it starts
    // at the time of day of --start either way.
    double day0 = (double)(start % 86400) / 86400;
    int64_t phase = 0;
    // ISO 8601 years have four digits; a long enough run stops at the last one.
    const int64_t last_epoch = (int64_t)days_from_civil(9999, 12, 31) * 86400 + 86399;
    bool out_of_time = false;
    double t0 = now_mono();
    unsigned connections = out.connections;

    for (int64_t i = 0; (count < 0 || i < count) && !stop_requested; i++) {
        if (rate > 0) {
            double due = t0 + (double)i / rate;
            if (now_mono() < due) {
                // Idle until the next reading: the receiver gets each line when it is due.
                if (out.tcp)
                    tcp_flush(&out);
                else
                    file_flush(&out, "stdout");
                if (truth_path) file_flush(&truth, truth_path);
                if (out.connections != connections) {
                    // Resume the pace after an outage instead of rushing to catch up.
                    connections = out.connections;
                    t0 = now_mono() - (double)i / rate;
                    due = now_mono();
                }
                sleep_until(due);
                if (stop_requested) break;
            }
        }
        int64_t epoch = start + i * interval;
        if (epoch > last_epoch) {
            out_of_time = true;
            break;
        }
        double d;
        if (period > 0) {
            d = day0 + (double)phase / (double)period;
            if (d >= 1) d -= 1;
            if (++phase == period) phase = 0;
        } else {
            d = (double)(epoch % 86400) / 86400;
        }
        struct reading r;
        sensor_step(&sensor, d, &r);

        sink_reserve(&out);
        char *p = put_timestamp(out.buf + out.len, &cf, epoch);
        char *stamp = p - 20;
        *p++ = ',';
        p = put_fixed(p, r.temperature, 2);
        *p++ = ',';
        p = put_fixed(p, r.humidity, 2);
        *p++ = ',';
        p = put_fixed(p, r.pressure, 2);
        *p++ = ',';
        p = put_fixed(p, r.gas, 1);
        *p++ = ',';
        p = put_fixed(p, r.iaq, 1);
        *p++ = '\n';

        if (truth_path) {
            sink_reserve(&truth);
            char *q = truth.buf + truth.len;
            memcpy(q, stamp, 20);
            q += 20;
            *q++ = ',';
            if (r.a) {
                const char *k = kind_names[r.a->kind], *col = column_names[r.a->col];
                q = stpcpy(q, k);
                *q++ = ',';
                q = stpcpy(q, col);
                *q++ = ',';
                q += sprintf(q, "%llu", (unsigned long long)r.a->event);
            } else {
                *q++ = ',';
                *q++ = ',';
            }
            *q++ = '\n';
            truth.len = (size_t)(q - truth.buf);
            if (truth.len >= CHUNK) file_flush(&truth, truth_path);
        }
        out.len = (size_t)(p - out.buf);
        if (out.len - out.sent >= CHUNK) {
            if (out.tcp)
                tcp_flush(&out);
            else
                file_flush(&out, "stdout");
        }
    }

    if (out.tcp)
        tcp_finish(&out);
    else
        file_flush(&out, "stdout");
    free(out.buf);
    free(out.host);
    free(out.port);
    if (out_of_time) {
        fprintf(stderr, PROG ": stopped after %s: the timestamps would pass 9999-12-31\n", cf.date);
        quit(1);
    }
    quit(0);
}
