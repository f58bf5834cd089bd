/*
 * load.c - the sending and watching side of bench/pipeline/run.sh (bench/pipeline/README.md).
 *
 *   load throughput --connect HOST:PORT --input FILE --count N --sink SINK [--pid PID]
 *   load latency    --connect HOST:PORT --input FILE --count N --rate R --sink SINK [--skip K]
 *
 * SINK is file:PATH (JSON lines) or sqlite:PATH:TABLE. Both modes connect (retrying while the
 * receiver starts), then send CSV lines on one TCP connection while the main thread watches
 * the sink until it holds --expect records (default --count).
 *
 * throughput: sends the first N lines of FILE as fast as TCP takes them. The clock starts just
 * before the first byte is written and stops when the watcher sees the last record in the sink
 * (the file's newline count, or SQLite's max(rowid), polled every 0.5 ms). With --pid, the CPU
 * time (user + sys, all threads) PID spent between the two is reported too.
 *   prints: records=N seconds=S cpu=C
 *
 * latency: sends N records at R per second (each written as soon as it is due, TCP_NODELAY),
 * their first field (the timestamp) replaced by the wall-clock time of sending, in
 * microseconds; the rest of each line comes from FILE (cycled). The watcher reads every record
 * that appears in the sink, parses its timestamp back and takes now - timestamp as its latency.
 * The first K records (--skip: e.g. a window's warm-up) are left out of the percentiles.
 *   prints: records=N seconds=S p50_ms=X p99_ms=Y max_ms=Z
 *
 * Exits 1 (with what it saw) when the sink does not reach --expect within --timeout seconds.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pipeline/record.h"

static double mono(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int64_t wall_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void die(const char *fmt, const char *arg) {
    fprintf(stderr, "load: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n");
    exit(2);
}

/* ---- Options --------------------------------------------------------------------------- */

static const char *mode, *connect_to, *input, *sink;
static uint64_t count, expect, skip;
static double rate, timeout_s = 600;
static long pid;

static int connect_retry(void) {
    char host[256];
    const char *colon = strrchr(connect_to, ':');
    if (!colon || (size_t)(colon - connect_to) >= sizeof host) die("bad --connect %s", connect_to);
    memcpy(host, connect_to, (size_t)(colon - connect_to));
    host[colon - connect_to] = 0;
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai;
    if (getaddrinfo(host, colon + 1, &hints, &ai)) die("cannot resolve %s", connect_to);
    double give_up = mono() + 30;
    for (;;) {
        int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
            freeaddrinfo(ai);
            return fd;
        }
        if (fd >= 0) close(fd);
        if (mono() > give_up) die("cannot connect to %s", connect_to);
        usleep(20000);
    }
}

/* CPU time (user + sys) of every thread of pid, in seconds: schedstat (ns) when the kernel
 * has it, else /proc/PID/stat (clock ticks). */
static double cpu_of(long p) {
    char path[64];
    double total = 0;
    bool any = false;
    snprintf(path, sizeof path, "/proc/%ld/task", p);
    DIR *d = opendir(path);
    for (struct dirent *e; d && (e = readdir(d));) {
        if (e->d_name[0] == '.') continue;
        char f[320];
        snprintf(f, sizeof f, "/proc/%ld/task/%s/schedstat", p, e->d_name);
        FILE *fp = fopen(f, "r");
        unsigned long long ns;
        if (fp && fscanf(fp, "%llu", &ns) == 1) total += (double)ns / 1e9, any = true;
        if (fp) fclose(fp);
    }
    if (d) closedir(d);
    if (any) return total;
    snprintf(path, sizeof path, "/proc/%ld/stat", p);
    FILE *fp = fopen(path, "r");
    char buf[4096];
    size_t n = fp ? fread(buf, 1, sizeof buf - 1, fp) : 0;
    if (fp) fclose(fp);
    buf[n] = 0;
    char *s = strrchr(buf, ')');
    unsigned long ut = 0, st = 0;
    if (s) sscanf(s + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st);
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* ---- The input ------------------------------------------------------------------------- */

static const char *in_data;
static size_t in_len;

static void map_input(void) {
    int fd = open(input, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || st.st_size == 0) die("cannot read %s", input);
    in_len = (size_t)st.st_size;
    in_data = mmap(NULL, in_len, PROT_READ, MAP_PRIVATE, fd, 0);
    if (in_data == MAP_FAILED) die("cannot map %s", input);
    close(fd);
}

static void write_all(int fd, const char *p, size_t len) {
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) die("send: %s", strerror(errno));
        p += n, len -= (size_t)n;
    }
}

static int sock;
static double t_first_byte;
static atomic_bool sending_done;

static void *send_throughput(void *arg) {
    (void)arg;
    /* the first `count` lines */
    size_t end = 0;
    for (uint64_t i = 0; i < count; i++) {
        const char *nl = memchr(in_data + end, '\n', in_len - end);
        if (!nl) die("%s has fewer lines than --count", input);
        end = (size_t)(nl - in_data) + 1;
    }
    t_first_byte = mono();
    for (size_t off = 0; off < end; off += 1 << 18)
        write_all(sock, in_data + off, end - off < (1 << 18) ? end - off : (1 << 18));
    shutdown(sock, SHUT_WR);
    atomic_store(&sending_done, true);
    return NULL;
}

/* "2026-01-01T00:00:00.123456Z" */
static size_t format_us(int64_t us, char *buf) {
    time_t s = (time_t)(us / 1000000);
    struct tm tm;
    gmtime_r(&s, &tm);
    return (size_t)sprintf(buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900,
                           tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                           (int)(us % 1000000));
}

static void *send_latency(void *arg) {
    (void)arg;
    int one = 1;
    setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    size_t off = 0, cap = 1 << 16;
    char *buf = malloc(cap);
    t_first_byte = mono();
    uint64_t sent = 0;
    while (sent < count) {
        double now = mono();
        uint64_t due = (uint64_t)((now - t_first_byte) * rate) + 1;
        if (due > count) due = count;
        size_t len = 0;
        int64_t ts = wall_us();
        for (; sent < due; sent++) {
            if (off >= in_len) off = 0;
            const char *line = in_data + off;
            const char *nl = memchr(line, '\n', in_len - off);
            size_t llen = nl ? (size_t)(nl - line) + 1 : in_len - off;
            off += llen;
            const char *comma = memchr(line, ',', llen);
            if (!comma) continue;
            size_t rest = llen - (size_t)(comma - line);
            if (len + rest + 40 > cap) buf = realloc(buf, cap *= 2);
            len += format_us(ts, buf + len);
            memcpy(buf + len, comma, rest);
            len += rest;
            if (buf[len - 1] != '\n') buf[len++] = '\n';
        }
        if (len) write_all(sock, buf, len);
        double next = t_first_byte + (double)sent / rate;
        double wait = next - mono();
        if (wait > 0.001) wait = 0.001;
        if (wait > 0) usleep((useconds_t)(wait * 1e6));
    }
    free(buf);
    shutdown(sock, SHUT_WR);
    atomic_store(&sending_done, true);
    return NULL;
}

/* ---- Watching the sink ------------------------------------------------------------------ */

static double *lat; /* latency mode: per record seen, in ms */
static uint64_t seen;

static void note(int64_t ts_us, int64_t now_us) {
    if (seen < count && seen >= skip) lat[seen - skip] = (double)(now_us - ts_us) / 1000.0;
    seen++;
}

/* file:PATH - counts the complete lines appended; in latency mode parses their timestamp. */
static int watch_fd = -1;
static char *partial;
static size_t partial_len, partial_cap;

static void watch_file(const char *path, bool parse) {
    if (watch_fd < 0 && (watch_fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) return;
    static char buf[1 << 20];
    ssize_t n;
    while ((n = read(watch_fd, buf, sizeof buf)) > 0) {
        int64_t now = parse ? wall_us() : 0;
        const char *p = buf, *end = buf + n;
        while (p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            if (!nl) {
                size_t k = (size_t)(end - p);
                if (partial_len + k > partial_cap)
                    partial = realloc(partial, partial_cap = 2 * (partial_len + k));
                memcpy(partial + partial_len, p, k);
                partial_len += k;
                break;
            }
            if (!parse) {
                seen++;
            } else {
                const char *line = p;
                size_t len = (size_t)(nl - p);
                if (partial_len) {
                    if (partial_len + len > partial_cap)
                        partial = realloc(partial, partial_cap = 2 * (partial_len + len));
                    memcpy(partial + partial_len, p, len);
                    line = partial, len += partial_len;
                }
                static const char KEY[] = "\"timestamp\":\"";
                const char *k = memmem(line, len, KEY, sizeof KEY - 1);
                int64_t ts = 0;
                if (k) {
                    const char *v = k + sizeof KEY - 1,
                               *q = memchr(v, '"', len - (size_t)(v - line));
                    if (!q || !sl_parse_time(v, (size_t)(q - v), &ts)) ts = now;
                }
                note(ts, now);
            }
            partial_len = 0;
            p = nl + 1;
        }
    }
}

/* sqlite:PATH:TABLE - max(rowid) (the sinks only insert), or the new rows' timestamps. */
static sqlite3 *db;
static sqlite3_stmt *q;
static int64_t last_rowid;

static void watch_sqlite(const char *path, const char *table, bool parse) {
    if (!db) {
        if (access(path, F_OK) != 0) return;
        if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
            sqlite3_close(db);
            db = NULL;
            return;
        }
        sqlite3_busy_timeout(db, 100);
    }
    if (!q) {
        char sql[256];
        if (parse)
            snprintf(sql, sizeof sql,
                     "SELECT rowid, \"timestamp\" FROM \"%s\" WHERE rowid > ? ORDER BY rowid",
                     table);
        else
            snprintf(sql, sizeof sql, "SELECT max(rowid) FROM \"%s\"", table);
        if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK) {
            q = NULL; /* no table yet */
            return;
        }
    }
    if (parse) sqlite3_bind_int64(q, 1, last_rowid);
    int64_t now = parse ? wall_us() : 0;
    while (sqlite3_step(q) == SQLITE_ROW) {
        if (!parse) {
            seen = (uint64_t)sqlite3_column_int64(q, 0);
            continue;
        }
        last_rowid = sqlite3_column_int64(q, 0);
        const char *t = (const char *)sqlite3_column_text(q, 1);
        int64_t ts = now;
        if (t) sl_parse_time(t, strlen(t), &ts);
        note(ts, now);
    }
    sqlite3_reset(q);
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fputs("usage: load throughput|latency --connect HOST:PORT --input FILE --count N "
              "--sink file:PATH|sqlite:PATH:TABLE [--rate R] [--expect N] [--skip K] [--pid PID] "
              "[--timeout S]\n",
              stderr);
        return 2;
    }
    mode = argv[1];
    for (int i = 2; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (!strcmp(k, "--connect"))
            connect_to = v;
        else if (!strcmp(k, "--input"))
            input = v;
        else if (!strcmp(k, "--sink"))
            sink = v;
        else if (!strcmp(k, "--count"))
            count = strtoull(v, NULL, 10);
        else if (!strcmp(k, "--expect"))
            expect = strtoull(v, NULL, 10);
        else if (!strcmp(k, "--skip"))
            skip = strtoull(v, NULL, 10);
        else if (!strcmp(k, "--rate"))
            rate = atof(v);
        else if (!strcmp(k, "--pid"))
            pid = atol(v);
        else if (!strcmp(k, "--timeout"))
            timeout_s = atof(v);
        else
            die("unknown option %s", k);
    }
    bool latency = !strcmp(mode, "latency");
    if (!connect_to || !input || !sink || !count || (latency && rate <= 0) ||
        (!latency && strcmp(mode, "throughput")))
        die("%s", "missing or bad options (run without arguments for the usage)");
    if (!expect) expect = count;
    char spath[4096], stable[256] = "";
    bool is_sqlite = !strncmp(sink, "sqlite:", 7);
    if (is_sqlite) {
        const char *c = strrchr(sink + 7, ':');
        if (!c) die("bad --sink %s", sink);
        snprintf(spath, sizeof spath, "%.*s", (int)(c - sink - 7), sink + 7);
        snprintf(stable, sizeof stable, "%s", c + 1);
    } else if (!strncmp(sink, "file:", 5)) {
        snprintf(spath, sizeof spath, "%s", sink + 5);
    } else {
        die("bad --sink %s", sink);
    }
    if (latency && !(lat = calloc(count, sizeof *lat))) die("%s", "out of memory");
    map_input();

    sock = connect_retry();
    /* the watcher starts from what the sink holds already (nothing, in run.sh) */
    if (is_sqlite)
        watch_sqlite(spath, stable, latency);
    else
        watch_file(spath, latency);
    uint64_t before = seen;
    seen = 0;
    if (before)
        fprintf(stderr, "load: note: the sink held %llu records already\n",
                (unsigned long long)before);
    double cpu0 = pid ? cpu_of(pid) : 0;
    pthread_t th;
    t_first_byte = mono();
    pthread_create(&th, NULL, latency ? send_latency : send_throughput, NULL);
    double give_up = mono() + timeout_s, t_end;
    for (;;) {
        if (is_sqlite)
            watch_sqlite(spath, stable, latency);
        else
            watch_file(spath, latency);
        t_end = mono();
        if (seen >= expect) break;
        if (t_end > give_up) break;
        usleep(is_sqlite ? 1000 : 500);
    }
    double cpu1 = pid ? cpu_of(pid) : 0;
    double secs = t_end - t_first_byte;
    int rc = 0;
    if (seen < expect) {
        fprintf(stderr, "load: timed out after %.0f s with %llu of %llu records in the sink\n",
                timeout_s, (unsigned long long)seen, (unsigned long long)expect);
        rc = 1;
    } else {
        pthread_join(th, NULL);
    }
    printf("records=%llu seconds=%.4f", (unsigned long long)seen, secs);
    if (pid) printf(" cpu=%.4f", cpu1 - cpu0);
    if (latency) {
        uint64_t n = (seen < count ? seen : count);
        n = n > skip ? n - skip : 0;
        qsort(lat, n, sizeof *lat, cmp_double);
        double p50 = n ? lat[(size_t)(0.50 * (double)(n - 1))] : NAN;
        double p99 = n ? lat[(size_t)(0.99 * (double)(n - 1))] : NAN;
        printf(" p50_ms=%.3f p99_ms=%.3f max_ms=%.3f sampled=%llu", p50, p99, n ? lat[n - 1] : NAN,
               (unsigned long long)n);
    }
    printf("\n");
    return rc;
}
