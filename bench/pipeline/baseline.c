/*
 * baseline.c - the plain C program that bench/pipeline/run.sh measures next to `sluice
 * pipeline run` (bench/pipeline/README.md): the same parse and the same write, without the
 * engine's threads and queues and without Wasm.
 *
 *   baseline file   HOST:PORT OUT.jsonl [--batch N] [--fsync 0|1]
 *   baseline sqlite HOST:PORT OUT.db TABLE [--batch N] [--anomaly-column 0|1]
 *
 * One thread listens on HOST:PORT and serves one client at a time until SIGTERM/SIGINT. It
 * parses the client's CSV lines of the air-quality shape (timestamp,temperature,humidity,
 * pressure,gas_resistance,air_quality: a timestamp and five floats) with the pipeline's own
 * CSV parser (src/pipeline/csv.h, the types the pipeline file declares), into batches of at
 * most N records (default 1024, the pipeline's batch_size), and writes each batch:
 *   file    as JSON lines (src/pipeline/json_encode.h: the bytes the file sink writes), one write()
 *           per batch, then fdatasync (unless --fsync 0), as the file sink does;
 *   sqlite  in one transaction per batch (WAL, synchronous=FULL, a prepared INSERT, the
 *           timestamp as ISO 8601 text: what the sqlite sink does), into a table with the
 *           same columns, plus is_anomaly (always 0) unless --anomaly-column 0, so that rows
 *           have the shape the anomaly pipeline stores. No window and no anomaly detection.
 * A batch is written when it is full, or as soon as the socket has nothing more to read (so
 * at a low rate each record goes out at once: the latency a hand-written program gets).
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/buf.h"
#include "pipeline/json_encode.h"
#include "pipeline/csv.h"

static const char *const NAMES[] = {"timestamp", "temperature",    "humidity",
                                    "pressure",  "gas_resistance", "air_quality"};
static const sl_ftype TYPES[] = {SL_F_TIME,  SL_F_FLOAT, SL_F_FLOAT,
                                 SL_F_FLOAT, SL_F_FLOAT, SL_F_FLOAT};
enum { NCOLS = 6 };

static volatile sig_atomic_t stop;
static void on_signal(int sig) {
    (void)sig;
    stop = 1;
}

static void fail(const char *what, const char *why) {
    fprintf(stderr, "baseline: %s: %s\n", what, why);
    exit(1);
}

/* ---- Writing a batch ----------------------------------------------------------------------- */

static bool to_sqlite, fsync_on = true, anomaly_col = true;
static int out_fd = -1;
static sl_buf text;
static sqlite3 *db;
static sqlite3_stmt *ins;
static unsigned long long records, batches;

static void exec(const char *sql) {
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) fail(sql, err ? err : "?");
}

static void write_batch(void *ctx, sl_batch *b) {
    (void)ctx;
    if (!b->n) {
        sl_batch_free(b);
        return;
    }
    if (!to_sqlite) {
        text.len = 0;
        if (!sl_json_encode(b, SL_JSON_LINES, &text)) fail("encode", "out of memory");
        for (size_t done = 0; done < text.len;) {
            ssize_t n = write(out_fd, text.data + done, text.len - done);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) fail("write", strerror(errno));
            done += (size_t)n;
        }
        if (fsync_on && fdatasync(out_fd) != 0) fail("fdatasync", strerror(errno));
    } else {
        exec("BEGIN IMMEDIATE");
        for (uint32_t i = 0; i < b->n; i++) {
            const sl_value *row = sl_batch_row(b, i);
            for (int f = 0; f < NCOLS; f++) {
                const sl_value *v = &row[f];
                if (v->type == SL_F_TIME) {
                    char t[33];
                    size_t n = sl_format_time(v->v.i, t);
                    sqlite3_bind_text(ins, f + 1, t, (int)n, SQLITE_TRANSIENT);
                } else if (v->type == SL_F_FLOAT) {
                    sqlite3_bind_double(ins, f + 1, v->v.f);
                } else {
                    sqlite3_bind_null(ins, f + 1);
                }
            }
            if (anomaly_col) sqlite3_bind_int(ins, NCOLS + 1, 0);
            if (sqlite3_step(ins) != SQLITE_DONE) fail("insert", sqlite3_errmsg(db));
            sqlite3_reset(ins);
        }
        exec("COMMIT");
    }
    records += b->n;
    batches++;
    sl_batch_free(b);
}

static void open_sqlite(const char *path, const char *table) {
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK)
        fail(path, sqlite3_errmsg(db));
    exec("PRAGMA journal_mode=WAL");
    exec("PRAGMA synchronous=FULL");
    char sql[512];
    snprintf(sql, sizeof sql,
             "CREATE TABLE IF NOT EXISTS \"%s\" (\"timestamp\" TEXT, \"temperature\" REAL, "
             "\"humidity\" REAL, \"pressure\" REAL, \"gas_resistance\" REAL, "
             "\"air_quality\" REAL%s)",
             table, anomaly_col ? ", \"is_anomaly\" INTEGER" : "");
    exec(sql);
    snprintf(sql, sizeof sql,
             "INSERT INTO \"%s\" (\"timestamp\", \"temperature\", \"humidity\", \"pressure\", "
             "\"gas_resistance\", \"air_quality\"%s) VALUES (?, ?, ?, ?, ?, ?%s)",
             table, anomaly_col ? ", \"is_anomaly\"" : "", anomaly_col ? ", ?" : "");
    if (sqlite3_prepare_v2(db, sql, -1, &ins, NULL) != SQLITE_OK) fail(sql, sqlite3_errmsg(db));
}

/* ---- Serving -------------------------------------------------------------------------------- */

static int listen_on(const char *addr) {
    char host[256];
    const char *colon = strrchr(addr, ':');
    if (!colon || (size_t)(colon - addr) >= sizeof host) fail(addr, "expected HOST:PORT");
    memcpy(host, addr, (size_t)(colon - addr));
    host[colon - addr] = 0;
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE}, *ai;
    if (getaddrinfo(host, colon + 1, &hints, &ai)) fail(addr, "cannot resolve");
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 16) != 0)
        fail(addr, strerror(errno));
    freeaddrinfo(ai);
    return fd;
}

static void serve(int cfd, uint32_t batch) {
    sl_csv_opts o = {.names = NAMES,
                     .types = TYPES,
                     .ncols = NCOLS,
                     .batch_cap = batch,
                     .batch_max = batch,
                     .on_batch = write_batch};
    sl_error err;
    sl_parser *csv = sl_csv_new(&o, &err);
    if (!csv) fail("csv", err.message);
    sl_batch *b = NULL;
    static char buf[1 << 16];
    while (!stop) {
        ssize_t n = read(cfd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        if (!sl_parser_bytes(csv, buf, (size_t)n, &b)) fail("csv", sl_parser_error(csv));
        /* nothing more to read right now: write what we have */
        struct pollfd p = {.fd = cfd, .events = POLLIN};
        if (b && b->n && poll(&p, 1, 0) == 0) {
            write_batch(NULL, b);
            b = NULL;
        }
    }
    sl_parser_finish(csv, &b);
    if (b) write_batch(NULL, b);
    if (sl_parser_bad_count(csv))
        fprintf(stderr, "baseline: %llu bad lines\n", (unsigned long long)sl_parser_bad_count(csv));
    sl_parser_free(csv);
}

int main(int argc, char **argv) {
    if (argc < 4 || (strcmp(argv[1], "file") && strcmp(argv[1], "sqlite")) ||
        (!strcmp(argv[1], "sqlite") && argc < 5)) {
        fputs("usage: baseline file HOST:PORT OUT.jsonl [--batch N] [--fsync 0|1]\n"
              "       baseline sqlite HOST:PORT OUT.db TABLE [--batch N] [--anomaly-column 0|1]\n",
              stderr);
        return 2;
    }
    to_sqlite = !strcmp(argv[1], "sqlite");
    uint32_t batch = 1024;
    for (int i = to_sqlite ? 5 : 4; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--batch"))
            batch = (uint32_t)atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--fsync"))
            fsync_on = atoi(argv[i + 1]) != 0;
        else if (!strcmp(argv[i], "--anomaly-column"))
            anomaly_col = atoi(argv[i + 1]) != 0;
        else
            fail(argv[i], "unknown option");
    }
    if (!batch) batch = 1024;
    if (to_sqlite) {
        open_sqlite(argv[3], argv[4]);
    } else if ((out_fd = open(argv[3], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) < 0) {
        fail(argv[3], strerror(errno));
    }
    struct sigaction sa = {.sa_handler = on_signal}; /* no SA_RESTART: accept/read return */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    int lfd = listen_on(argv[2]);
    while (!stop) {
        int cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        if (cfd < 0) continue;
        serve(cfd, batch);
        close(cfd);
    }
    close(lfd);
    fprintf(stderr, "{\"records\":%llu,\"batches\":%llu}\n", records, batches);
    if (to_sqlite) {
        sqlite3_finalize(ins);
        sqlite3_close(db);
    } else {
        close(out_fd);
    }
    sl_buf_free(&text);
    return 0;
}
