/* helpers.c - see helpers.h. */
#include "helpers.h"

#include <curl/curl.h>
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pipeline/conf.h"

char err[1024];
char first_retry[1024];

void tmp_dir(char *dir, size_t size, const char *what) {
    const char *base = getenv("SLUICE_TEST_TMP");
    snprintf(dir, size, "%s/sinks-%s-XXXXXX", base && *base ? base : "/tmp", what);
    if (!mkdtemp(dir)) {
        CHECK(!"mkdtemp failed");
        abort();
    }
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

void rm_tree(const char *dir) {
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static sl_sink *open_with(const char *yaml, bool quiet) {
    sl_error e;
    json_t *sec = sl_conf_parse(yaml, strlen(yaml), "test.yaml", &e);
    if (!sec) snprintf(err, sizeof err, "%s", e.message);
    if (!sec) {
        check_note("YAML: %s", err);
        return NULL;
    }
    sl_conf_ctx c = {"test.yaml", "sink 1", &e};
    sl_sink *s = sl_sink_open(&c, sec);
    json_decref(sec);
    if (!s) snprintf(err, sizeof err, "%s", e.message);
    if (!s && !quiet) check_note("sl_sink_open: %s", err);
    return s;
}

sl_sink *open_sink(const char *yaml) {
    return open_with(yaml, false);
}

const char *open_error(const char *yaml) {
    err[0] = 0;
    sl_sink *s = open_with(yaml, true);
    if (s) {
        s->ops->close(s);
        return NULL;
    }
    return err;
}

sl_batch *new_batch(const char *fields, uint32_t cap) {
    char *copy = strdup(fields), *save = NULL;
    const char *names[64];
    uint32_t n = 0;
    for (char *t = strtok_r(copy, ",", &save); t && n < 64; t = strtok_r(NULL, ",", &save))
        names[n++] = t;
    sl_schema *s = sl_schema_new(names, NULL, n);
    free(copy);
    sl_batch *b = s ? sl_batch_new(s, cap) : NULL;
    sl_schema_unref(s);
    if (!b) abort();
    return b;
}

sl_value *add_row(sl_batch *b, uint64_t pos) {
    sl_value *v = sl_batch_add(b, pos);
    if (!v) abort();
    return v;
}

void set_int(sl_value *row, int f, int64_t v) {
    row[f] = (sl_value){.type = SL_F_INT, .v.i = v};
}
void set_float(sl_value *row, int f, double v) {
    row[f] = (sl_value){.type = SL_F_FLOAT, .v.f = v};
}
void set_bool(sl_value *row, int f, bool v) {
    row[f] = (sl_value){.type = SL_F_BOOL, .v.b = v};
}
void set_time(sl_value *row, int f, int64_t us) {
    row[f] = (sl_value){.type = SL_F_TIME, .v.i = us};
}
void set_str(sl_batch *b, sl_value *row, int f, const char *s) {
    if (!sl_batch_set_str(b, &row[f], s, strlen(s))) abort();
}

json_t *read_dead(const char *path) {
    json_t *out = json_array();
    FILE *f = fopen(path, "r");
    if (!f) return out;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) > 0) {
        json_error_t je;
        json_t *v = json_loadb(line, (size_t)n, JSON_ALLOW_NUL, &je);
        if (!CHECK(v != NULL)) check_note("dead letter line is not JSON: %s", line);
        if (v) json_array_append_new(out, v);
    }
    free(line);
    fclose(f);
    return out;
}

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

bool peer_start(peer *p) {
    return peer_start_script(p, "peer.py", NULL);
}

bool peer_start_script(peer *p, const char *name, const char *arg) {
    memset(p, 0, sizeof *p);
    tmp_dir(p->dir, sizeof p->dir, "peer");
    char portfile[600], script[600];
    snprintf(portfile, sizeof portfile, "%s/port", p->dir);
    /* Next to peer.py ($SLUICE_SINKS_PEER, set by run.sh), else in tests/sinks. */
    const char *peer_py = getenv("SLUICE_SINKS_PEER");
    const char *slash = peer_py ? strrchr(peer_py, '/') : NULL;
    if (slash)
        snprintf(script, sizeof script, "%.*s/%s", (int)(slash - peer_py), peer_py, name);
    else
        snprintf(script, sizeof script, "tests/sinks/%s", name);
    p->pid = fork();
    if (p->pid == 0) {
        /* Gone with the test, even when a failed check ends it early. */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        execlp("python3", "python3", script, portfile, arg, (char *)NULL);
        _exit(127);
    }
    if (p->pid < 0) return CHECK(!"fork failed");
    for (int i = 0; i < 200 && !p->port; i++) {
        FILE *f = fopen(portfile, "r");
        if (f) {
            if (fscanf(f, "%d", &p->port) != 1) p->port = 0;
            fclose(f);
        }
        if (!p->port) sleep_ms(25);
    }
    if (!p->port) {
        check_note("the python3 peer did not start (%s)", script);
        peer_stop(p);
        return CHECK(!"peer started");
    }
    return true;
}

void peer_stop(peer *p) {
    if (p->pid > 0) {
        kill(p->pid, SIGTERM);
        waitpid(p->pid, NULL, 0);
    }
    p->pid = 0;
    if (p->dir[0]) rm_tree(p->dir);
}

static size_t collect(char *data, size_t size, size_t n, void *arg) {
    FILE *f = arg;
    return fwrite(data, size, n, f);
}

json_t *peer_get(const peer *p, const char *path) {
    char url[300];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", p->port, path);
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, mem);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    CURLcode rc = curl_easy_perform(c);
    curl_easy_cleanup(c);
    fclose(mem);
    json_error_t je;
    json_t *v = rc == CURLE_OK ? json_loadb(buf, len, 0, &je) : NULL;
    if (!v) check_note("GET %s: %s", url, rc == CURLE_OK ? je.text : curl_easy_strerror(rc));
    free(buf);
    return v;
}

sl_sink_result sink_write(sl_sink *s, const sl_batch *b, sl_deadletter *dead) {
    sl_error e = {.message = ""};
    sl_sink_result r = s->ops->write(s, b, dead, &e);
    snprintf(err, sizeof err, "%s", e.message);
    return r;
}

sl_deadletter *dead_open(const char *path) {
    sl_error e;
    sl_deadletter *d = sl_deadletter_open(path, &e);
    if (!d) snprintf(err, sizeof err, "%s", e.message);
    return d;
}

sl_sink_result write_retrying(sl_sink *s, const sl_batch *b, sl_deadletter *dead, int tries, int ms,
                              int *retries) {
    sl_sink_result r = SL_SINK_FATAL;
    for (int i = 0; i < tries; i++) {
        r = sink_write(s, b, dead);
        if (r != SL_SINK_RETRY) break;
        if (!first_retry[0]) snprintf(first_retry, sizeof first_retry, "%s", err);
        if (retries) (*retries)++;
        sleep_ms(ms);
    }
    return r;
}
