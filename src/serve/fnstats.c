/* fnstats.c - per-function counters, duration histogram and log ring (fnstats.h). */
#include "serve/fnstats.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "serve/registry.h"

/* Histogram bucket upper bounds, seconds (Prometheus `le`); +Inf is implicit. */
static const double BUCKETS[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                 0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};
#define NBUCKETS    (sizeof BUCKETS / sizeof *BUCKETS)
#define NRECENT     1024 /* durations kept for the percentiles of the stats API */
#define LOG_ERR_MAX 256

typedef struct log_entry {
    char request_id[24];
    char version[SL_REG_SHA_LEN + 1];
    char error[LOG_ERR_MAX];
    double time, seconds;
    int status;
    sl_outcome outcome;
    char *log; /* the guest's stderr, malloc'd, or NULL */
    size_t log_len;
} log_entry;

struct sl_fnstats {
    char name[SL_REG_NAME_MAX + 1];
    pthread_mutex_t lock;
    uint64_t count[SL_OUT_COUNT];
    uint64_t buckets[NBUCKETS + 1]; /* the last one is +Inf */
    double sum, max;
    float recent[NRECENT]; /* the newest durations, a ring */
    uint64_t nrecent;
    int64_t in_flight, instances, memory;
    log_entry *ring; /* log_cap entries, the newest at (head - 1) */
    size_t head, used;
    const sl_fnstats_set *set;
    sl_fnstats *next;
};

struct sl_fnstats_set {
    pthread_mutex_t lock;
    sl_fnstats *first;
    size_t log_cap, log_bytes;
};

static const char *const OUTCOME_NAMES[SL_OUT_COUNT] = {"ok",         "trap",  "exit", "timeout",
                                                        "bad_output", "error", "busy", "too_large"};

const char *sl_outcome_name(sl_outcome o) {
    return o < SL_OUT_COUNT ? OUTCOME_NAMES[o] : "error";
}

sl_outcome sl_outcome_of(sl_invoke_outcome o) {
    switch (o) {
    case SL_INVOKE_OK: return SL_OUT_OK;
    case SL_INVOKE_TRAP: return SL_OUT_TRAP;
    case SL_INVOKE_EXIT: return SL_OUT_EXIT;
    case SL_INVOKE_TIMEOUT: return SL_OUT_TIMEOUT;
    case SL_INVOKE_BAD_OUTPUT: return SL_OUT_BAD_OUTPUT;
    case SL_INVOKE_ERROR: break;
    }
    return SL_OUT_ERROR;
}

sl_fnstats_set *sl_fnstats_set_new(size_t log_entries, size_t log_bytes) {
    sl_fnstats_set *set = calloc(1, sizeof *set);
    if (!set) return NULL;
    pthread_mutex_init(&set->lock, NULL);
    set->log_cap = log_entries ? log_entries : 1;
    set->log_bytes = log_bytes;
    return set;
}

static void clear_ring(sl_fnstats *fs) {
    for (size_t i = 0; i < fs->set->log_cap; i++) {
        free(fs->ring[i].log);
        fs->ring[i].log = NULL;
    }
    fs->head = fs->used = 0;
}

void sl_fnstats_set_free(sl_fnstats_set *set) {
    if (!set) return;
    for (sl_fnstats *fs = set->first, *next; fs; fs = next) {
        next = fs->next;
        clear_ring(fs);
        free(fs->ring);
        pthread_mutex_destroy(&fs->lock);
        free(fs);
    }
    pthread_mutex_destroy(&set->lock);
    free(set);
}

sl_fnstats *sl_fnstats_find(sl_fnstats_set *set, const char *name) {
    pthread_mutex_lock(&set->lock);
    sl_fnstats *fs = set->first;
    while (fs && strcmp(fs->name, name) != 0)
        fs = fs->next;
    pthread_mutex_unlock(&set->lock);
    return fs;
}

sl_fnstats *sl_fnstats_get(sl_fnstats_set *set, const char *name) {
    if (strlen(name) > SL_REG_NAME_MAX) return NULL;
    pthread_mutex_lock(&set->lock);
    sl_fnstats *fs = set->first, **link = &set->first;
    /* kept sorted by name, so /metrics lists functions in order */
    while (fs && strcmp(fs->name, name) < 0)
        link = &fs->next, fs = fs->next;
    if (!fs || strcmp(fs->name, name) != 0) {
        sl_fnstats *n = calloc(1, sizeof *n);
        if (n && !(n->ring = calloc(set->log_cap, sizeof *n->ring))) {
            free(n);
            n = NULL;
        }
        if (n) {
            strcpy(n->name, name);
            pthread_mutex_init(&n->lock, NULL);
            n->set = set;
            n->next = fs;
            *link = n;
        }
        fs = n;
    }
    pthread_mutex_unlock(&set->lock);
    return fs;
}

static double now_seconds(void) {
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

void sl_fnstats_record(sl_fnstats *fs, const sl_fnstats_event *ev) {
    /* copy the log outside the lock */
    size_t keep = ev->log_len < fs->set->log_bytes ? ev->log_len : fs->set->log_bytes;
    char *log = keep ? malloc(keep) : NULL;
    if (log) memcpy(log, ev->log, keep);
    pthread_mutex_lock(&fs->lock);
    fs->count[ev->outcome < SL_OUT_COUNT ? ev->outcome : SL_OUT_ERROR]++;
    size_t b = 0;
    while (b < NBUCKETS && ev->seconds > BUCKETS[b])
        b++;
    fs->buckets[b]++;
    fs->sum += ev->seconds;
    if (ev->seconds > fs->max) fs->max = ev->seconds;
    fs->recent[fs->nrecent++ % NRECENT] = (float)ev->seconds;
    log_entry *e = &fs->ring[fs->head];
    free(e->log);
    *e = (log_entry){.time = now_seconds(),
                     .seconds = ev->seconds,
                     .status = ev->status,
                     .outcome = ev->outcome,
                     .log = log,
                     .log_len = log ? keep : 0};
    snprintf(e->request_id, sizeof e->request_id, "%s", ev->request_id ? ev->request_id : "");
    snprintf(e->version, sizeof e->version, "%s", ev->version ? ev->version : "");
    snprintf(e->error, sizeof e->error, "%s", ev->error ? ev->error : "");
    fs->head = (fs->head + 1) % fs->set->log_cap;
    if (fs->used < fs->set->log_cap) fs->used++;
    pthread_mutex_unlock(&fs->lock);
}

void sl_fnstats_in_flight(sl_fnstats *fs, int delta) {
    pthread_mutex_lock(&fs->lock);
    fs->in_flight += delta;
    pthread_mutex_unlock(&fs->lock);
}

void sl_fnstats_instances(sl_fnstats *fs, int delta, int64_t memory_delta) {
    pthread_mutex_lock(&fs->lock);
    fs->instances += delta;
    fs->memory += memory_delta;
    pthread_mutex_unlock(&fs->lock);
}

void sl_fnstats_clear(sl_fnstats *fs) {
    pthread_mutex_lock(&fs->lock);
    clear_ring(fs);
    memset(fs->count, 0, sizeof fs->count);
    memset(fs->buckets, 0, sizeof fs->buckets);
    fs->sum = fs->max = 0;
    fs->nrecent = 0;
    pthread_mutex_unlock(&fs->lock);
}

json_t *sl_fnstats_logs_json(sl_fnstats *fs, size_t limit) {
    json_t *logs = json_array();
    pthread_mutex_lock(&fs->lock);
    size_t cap = fs->set->log_cap;
    for (size_t i = 0; logs && i < fs->used && i < limit; i++) {
        const log_entry *e = &fs->ring[(fs->head + cap - 1 - i) % cap];
        json_t *o = json_pack("{s:s, s:f, s:s, s:i, s:s, s:f, s:s?, s:s#}", "request_id",
                              e->request_id, "time", e->time, "version", e->version, "status",
                              e->status, "outcome", sl_outcome_name(e->outcome), "duration_ms",
                              e->seconds * 1e3, "error", e->error[0] ? e->error : NULL, "stderr",
                              e->log ? e->log : "", (int)e->log_len);
        /* stderr that is not UTF-8 cannot be a JSON string: keep the entry, drop the text */
        if (!o)
            o = json_pack("{s:s, s:f, s:s, s:i, s:s, s:f, s:s}", "request_id", e->request_id,
                          "time", e->time, "version", e->version, "status", e->status, "outcome",
                          sl_outcome_name(e->outcome), "duration_ms", e->seconds * 1e3, "stderr",
                          "(not UTF-8)");
        json_array_append_new(logs, o);
    }
    pthread_mutex_unlock(&fs->lock);
    return json_pack("{s:o}", "logs", logs);
}

static int cmp_float(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

json_t *sl_fnstats_json(sl_fnstats *fs) {
    float sorted[NRECENT]; /* 4 KiB: on this thread's stack, so no two readers share it */
    json_t *errors = json_object();
    pthread_mutex_lock(&fs->lock);
    uint64_t total = 0;
    for (int o = 0; o < SL_OUT_COUNT; o++) {
        total += fs->count[o];
        if (o != SL_OUT_OK)
            json_object_set_new(errors, OUTCOME_NAMES[o], json_integer((json_int_t)fs->count[o]));
    }
    size_t n = fs->nrecent < NRECENT ? (size_t)fs->nrecent : NRECENT;
    memcpy(sorted, fs->recent, n * sizeof *sorted);
    double mean = total ? fs->sum / (double)total * 1e3 : 0, max = fs->max * 1e3;
    int64_t in_flight = fs->in_flight, instances = fs->instances, memory = fs->memory;
    pthread_mutex_unlock(&fs->lock);
    qsort(sorted, n, sizeof *sorted, cmp_float);
    double p50 = n ? sorted[(n - 1) / 2] * 1e3 : 0, p99 = n ? sorted[(n - 1) * 99 / 100] * 1e3 : 0;
    return json_pack("{s:s, s:I, s:o, s:{s:f, s:f, s:f, s:f}, s:I, s:I, s:I}", "function", fs->name,
                     "invocations", (json_int_t)total, "errors", errors, "duration_ms", "mean",
                     mean, "p50", p50, "p99", p99, "max", max, "in_flight", (json_int_t)in_flight,
                     "instances", (json_int_t)instances, "memory_bytes", (json_int_t)memory);
}

void sl_fnstats_prometheus(sl_fnstats_set *set, FILE *out) {
    static const char *const HEAD =
        "# HELP sluice_invocations_total Function invocations by outcome.\n"
        "# TYPE sluice_invocations_total counter\n";
    pthread_mutex_lock(&set->lock);
    fputs(HEAD, out);
    for (sl_fnstats *fs = set->first; fs; fs = fs->next) {
        pthread_mutex_lock(&fs->lock);
        for (int o = 0; o < SL_OUT_COUNT; o++)
            fprintf(out, "sluice_invocations_total{function=\"%s\",outcome=\"%s\"} %llu\n",
                    fs->name, OUTCOME_NAMES[o], (unsigned long long)fs->count[o]);
        pthread_mutex_unlock(&fs->lock);
    }
    fputs("# HELP sluice_errors_total Failed invocations by kind.\n"
          "# TYPE sluice_errors_total counter\n",
          out);
    for (sl_fnstats *fs = set->first; fs; fs = fs->next) {
        pthread_mutex_lock(&fs->lock);
        for (int o = 1; o < SL_OUT_COUNT; o++)
            fprintf(out, "sluice_errors_total{function=\"%s\",kind=\"%s\"} %llu\n", fs->name,
                    OUTCOME_NAMES[o], (unsigned long long)fs->count[o]);
        pthread_mutex_unlock(&fs->lock);
    }
    fputs("# HELP sluice_invocation_duration_seconds Time to run an invocation.\n"
          "# TYPE sluice_invocation_duration_seconds histogram\n",
          out);
    for (sl_fnstats *fs = set->first; fs; fs = fs->next) {
        pthread_mutex_lock(&fs->lock);
        uint64_t cum = 0, total = 0;
        for (size_t b = 0; b <= NBUCKETS; b++)
            total += fs->buckets[b];
        for (size_t b = 0; b < NBUCKETS; b++) {
            cum += fs->buckets[b];
            fprintf(out,
                    "sluice_invocation_duration_seconds_bucket{function=\"%s\",le=\"%g\"} %llu\n",
                    fs->name, BUCKETS[b], (unsigned long long)cum);
        }
        fprintf(out,
                "sluice_invocation_duration_seconds_bucket{function=\"%s\",le=\"+Inf\"} %llu\n"
                "sluice_invocation_duration_seconds_sum{function=\"%s\"} %.9g\n"
                "sluice_invocation_duration_seconds_count{function=\"%s\"} %llu\n",
                fs->name, (unsigned long long)total, fs->name, fs->sum, fs->name,
                (unsigned long long)total);
        pthread_mutex_unlock(&fs->lock);
    }
    static const struct {
        const char *name, *help;
        size_t off;
    } GAUGES[] = {
        {"sluice_in_flight", "Invocations running or queued.", offsetof(sl_fnstats, in_flight)},
        {"sluice_instances", "Warm instances held.", offsetof(sl_fnstats, instances)},
        {"sluice_instance_memory_bytes", "Linear memory of the warm instances.",
         offsetof(sl_fnstats, memory)},
    };
    for (size_t g = 0; g < sizeof GAUGES / sizeof *GAUGES; g++) {
        fprintf(out, "# HELP %s %s\n# TYPE %s gauge\n", GAUGES[g].name, GAUGES[g].help,
                GAUGES[g].name);
        for (sl_fnstats *fs = set->first; fs; fs = fs->next) {
            pthread_mutex_lock(&fs->lock);
            fprintf(out, "%s{function=\"%s\"} %lld\n", GAUGES[g].name, fs->name,
                    (long long)*(const int64_t *)((const char *)fs + GAUGES[g].off));
            pthread_mutex_unlock(&fs->lock);
        }
    }
    pthread_mutex_unlock(&set->lock);
}
