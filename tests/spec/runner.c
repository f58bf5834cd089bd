/*
 * runner.c - runs the WebAssembly core spec test suite (converted by wast2json) against the
 * public embedding API (include/sluice.h) only.
 *
 * Usage: spec-runner [-v] [-b] [-j N] [-t SECONDS] [-d DIR] [FILE...]
 *   FILE is a .json file written by wast2json, or a test name ("i32", "i32.wast",
 *   "simd/simd_lane.wast") looked up in DIR (default build/spec). Without FILEs, every
 *   .json file of DIR and of DIR/simd is run.
 *   -v  verbose: every failure and every skip reason, plus the spectest print output
 *   -b  engine with explicit_bounds_checks=true
 *   -j  number of files run in parallel (default: online CPUs)
 *   -t  time limit per file in seconds (default 300)
 *
 * Each file runs in a forked child, so a crash or a hang in the VM is reported for that file
 * and the other files still run. The child sends its output through a pipe and its counts
 * through a shared mapping, so counts survive a crash.
 */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sluice.h"
#include "tier.h"

#define MAX_SHOWN_FAILURES 8

static bool verbose;
static bool explicit_bounds;

/* ---- Small helpers ----------------------------------------------------------------------- */

static void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "spec-runner: out of memory\n");
        exit(2);
    }
    return p;
}

static void *xrealloc(void *p, size_t n) {
    p = realloc(p, n ? n : 1);
    if (!p) {
        fprintf(stderr, "spec-runner: out of memory\n");
        exit(2);
    }
    return p;
}

static char *xstrdup(const char *s) {
    size_t n = strlen(s) + 1;
    return memcpy(xmalloc(n), s, n);
}

static char *read_whole_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    char *buf = xmalloc(cap + 1);
    size_t got;
    while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) buf = xrealloc(buf, (cap *= 2) + 1);
    }
    fclose(f);
    buf[n] = 0;
    *len = n;
    return buf;
}

static bool starts_with(const char *s, const char *prefix) {
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A growable string. */
typedef struct strbuf {
    char *data;
    size_t len, cap;
} strbuf;

static void sb_vprintf(strbuf *sb, const char *fmt, va_list ap) {
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0) return;
    if (sb->len + (size_t)n + 1 > sb->cap) {
        sb->cap = (sb->len + (size_t)n + 1) * 2;
        sb->data = xrealloc(sb->data, sb->cap);
    }
    vsnprintf(sb->data + sb->len, sb->cap - sb->len, fmt, ap);
    sb->len += (size_t)n;
}

static void __attribute__((format(printf, 2, 3))) sb_printf(strbuf *sb, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(sb, fmt, ap);
    va_end(ap);
}

static const char *sb_str(strbuf *sb) {
    return sb->data ? sb->data : "";
}

/* ---- Counts shared between a child and the parent ----------------------------------------- */

typedef struct file_counts {
    int total; /* commands in the file */
    int passed, failed, skipped;
    int last_line;     /* line of the command being run (for crash reports) */
    int skipped_text;  /* assert_malformed with a text module */
    int skipped_other; /* other skips */
    int other_wording; /* invalid/malformed rejected as expected, but not with the spec's text */
    bool finished;     /* the child got to the end */
    bool load_error;   /* the JSON could not be read */
} file_counts;

/* ---- The child: running one file ----------------------------------------------------------- */

typedef struct named_instance {
    char *name; /* NULL for unnamed modules */
    sl_instance *instance;
} named_instance;

typedef struct runner {
    const char *json_path;
    char *dir;           /* directory of the JSON file, for the .wasm files */
    const char *display; /* the .wast name for messages */
    FILE *out;           /* the pipe to the parent */
    file_counts *counts;
    sl_engine *engine;
    sl_store *store;
    sl_linker *linker;
    sl_module **modules;
    size_t nmodules, modules_cap;
    named_instance *instances;
    size_t ninstances, instances_cap;
    sl_instance *current;
    int shown_failures;
    int *nul_lines; /* lines of commands whose strings contain \u0000 */
    size_t nnul_lines;
} runner;

static void __attribute__((format(printf, 2, 3))) out(runner *r, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vfprintf(r->out, fmt, ap);
    va_end(ap);
    fflush(r->out);
}

/* spectest.print* : print in verbose mode only. */
static int host_print(sl_caller *caller, sl_slot *slots, void *user) {
    (void)caller;
    runner *r = sl_store_data(sl_caller_store(caller));
    const char *sig = user;
    if (!verbose || !r) return 0;
    strbuf sb = {0};
    sb_printf(&sb, "    spectest print(");
    for (size_t i = 0; sig[i] && sig[i] != ':'; i++) {
        if (i) sb_printf(&sb, ", ");
        switch (sig[i]) {
        case 'i': sb_printf(&sb, "%" PRId32 ":i32", slots[i].i32); break;
        case 'I': sb_printf(&sb, "%" PRId64 ":i64", slots[i].i64); break;
        case 'f': sb_printf(&sb, "%g:f32", (double)slots[i].f32); break;
        case 'F': sb_printf(&sb, "%g:f64", slots[i].f64); break;
        default: sb_printf(&sb, "?"); break;
        }
    }
    out(r, "%s)\n", sb_str(&sb));
    free(sb.data);
    return 0;
}

static bool define_spectest(runner *r) {
    static const struct {
        const char *name, *sig;
    } funcs[] = {
        {"print", ":"},           {"print_i32", "i:"}, {"print_i64", "I:"},
        {"print_f32", "f:"},      {"print_f64", "F:"}, {"print_i32_f32", "if:"},
        {"print_f64_f64", "FF:"},
    };
    for (size_t i = 0; i < sizeof funcs / sizeof funcs[0]; i++) {
        if (sl_linker_define_func(r->linker, "spectest", funcs[i].name, funcs[i].sig, host_print,
                                  (void *)funcs[i].sig) != SL_OK)
            return false;
    }
    sl_error err = {0};
    sl_val v;
    struct {
        const char *name;
        sl_val val;
    } globals[4];
    v.type = SL_I32;
    v.of.i32 = 666;
    globals[0].name = "global_i32", globals[0].val = v;
    v.type = SL_I64;
    v.of.i64 = 666;
    globals[1].name = "global_i64", globals[1].val = v;
    v.type = SL_F32;
    v.of.f32 = 666.6f;
    globals[2].name = "global_f32", globals[2].val = v;
    v.type = SL_F64;
    v.of.f64 = 666.6;
    globals[3].name = "global_f64", globals[3].val = v;
    for (int i = 0; i < 4; i++) {
        sl_global *g = sl_global_new(r->store, globals[i].val, false, &err);
        if (!g) {
            out(r, "  spectest: sl_global_new(%s): %s\n", globals[i].name, err.message);
            return false;
        }
        sl_extern ext = {.kind = SL_EXTERN_GLOBAL, .of.global = g};
        if (sl_linker_define(r->linker, "spectest", globals[i].name, ext) != SL_OK) return false;
    }
    sl_table *t = sl_table_new(r->store, SL_FUNCREF, (sl_limits){10, 20, true}, &err);
    if (!t) {
        out(r, "  spectest: sl_table_new: %s\n", err.message);
        return false;
    }
    if (sl_linker_define(r->linker, "spectest", "table",
                         (sl_extern){.kind = SL_EXTERN_TABLE, .of.table = t}) != SL_OK)
        return false;
    sl_memory *m = sl_memory_new(r->store, (sl_limits){1, 2, true}, &err);
    if (!m) {
        out(r, "  spectest: sl_memory_new: %s\n", err.message);
        return false;
    }
    if (sl_linker_define(r->linker, "spectest", "memory",
                         (sl_extern){.kind = SL_EXTERN_MEMORY, .of.memory = m}) != SL_OK)
        return false;
    return true;
}

/* ---- Values ---------------------------------------------------------------------------- */

/* Host references: externref N is the pointer value N + 1, so that null stays NULL. */
static void *extern_ref(uint64_t n) {
    return (void *)(uintptr_t)(n + 1);
}

static bool parse_valtype(const char *s, sl_valtype *t) {
    if (!strcmp(s, "i32"))
        *t = SL_I32;
    else if (!strcmp(s, "i64"))
        *t = SL_I64;
    else if (!strcmp(s, "f32"))
        *t = SL_F32;
    else if (!strcmp(s, "f64"))
        *t = SL_F64;
    else if (!strcmp(s, "v128"))
        *t = SL_V128;
    else if (!strcmp(s, "funcref"))
        *t = SL_FUNCREF;
    else if (!strcmp(s, "externref"))
        *t = SL_EXTERNREF;
    else
        return false;
    return true;
}

static const char *json_str(const cJSON *obj, const char *key) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(item) ? item->valuestring : NULL;
}

static int json_int(const cJSON *obj, const char *key) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsNumber(item) ? item->valueint : -1;
}

static bool parse_u64(const char *s, uint64_t *v) {
    if (!s || !*s) return false;
    char *end;
    errno = 0;
    *v = strtoull(s, &end, 10);
    return errno == 0 && *end == 0;
}

/* Lane sizes for v128 values. */
static int lane_bytes(const char *lane_type) {
    if (!strcmp(lane_type, "i8")) return 1;
    if (!strcmp(lane_type, "i16")) return 2;
    if (!strcmp(lane_type, "i32") || !strcmp(lane_type, "f32")) return 4;
    if (!strcmp(lane_type, "i64") || !strcmp(lane_type, "f64")) return 8;
    return 0;
}

/* Parse an argument value (no NaN patterns). */
static bool parse_value(const cJSON *jv, sl_val *v) {
    const char *type = json_str(jv, "type");
    if (!type || !parse_valtype(type, &v->type)) return false;
    memset(&v->of, 0, sizeof v->of);
    if (v->type == SL_V128) {
        const char *lt = json_str(jv, "lane_type");
        const cJSON *lanes = cJSON_GetObjectItemCaseSensitive(jv, "value");
        int lb = lt ? lane_bytes(lt) : 0;
        if (!lb || !cJSON_IsArray(lanes) || cJSON_GetArraySize(lanes) != 16 / lb) return false;
        int i = 0;
        const cJSON *lane;
        cJSON_ArrayForEach(lane, lanes) {
            uint64_t bits;
            if (!cJSON_IsString(lane) || !parse_u64(lane->valuestring, &bits)) return false;
            for (int b = 0; b < lb; b++)
                v->of.v128[i * lb + b] = (uint8_t)(bits >> (8 * b));
            i++;
        }
        return true;
    }
    const char *s = json_str(jv, "value");
    if (v->type == SL_FUNCREF || v->type == SL_EXTERNREF) {
        if (!s || !strcmp(s, "null")) return true; /* NULL */
        uint64_t n;
        if (v->type == SL_FUNCREF || !parse_u64(s, &n)) return false;
        v->of.ref = extern_ref(n);
        return true;
    }
    uint64_t bits;
    if (!parse_u64(s, &bits)) return false;
    switch (v->type) {
    case SL_I32: v->of.i32 = (int32_t)(uint32_t)bits; break;
    case SL_I64: v->of.i64 = (int64_t)bits; break;
    case SL_F32: {
        uint32_t b32 = (uint32_t)bits;
        memcpy(&v->of.f32, &b32, 4);
        break;
    }
    case SL_F64: memcpy(&v->of.f64, &bits, 8); break;
    default: return false;
    }
    return true;
}

static uint32_t f32_bits(float f) {
    uint32_t b;
    memcpy(&b, &f, 4);
    return b;
}

static uint64_t f64_bits(double f) {
    uint64_t b;
    memcpy(&b, &f, 8);
    return b;
}

static void format_value(strbuf *sb, const sl_val *v) {
    switch (v->type) {
    case SL_I32:
        sb_printf(sb, "i32:%" PRIu32, (uint32_t)v->of.i32);
        if (v->of.i32 < 0) sb_printf(sb, " (%" PRId32 ")", v->of.i32);
        break;
    case SL_I64:
        sb_printf(sb, "i64:%" PRIu64, (uint64_t)v->of.i64);
        if (v->of.i64 < 0) sb_printf(sb, " (%" PRId64 ")", v->of.i64);
        break;
    case SL_F32:
        sb_printf(sb, "f32:%.9g (0x%08" PRIx32 ")", (double)v->of.f32, f32_bits(v->of.f32));
        break;
    case SL_F64:
        sb_printf(sb, "f64:%.17g (0x%016" PRIx64 ")", v->of.f64, f64_bits(v->of.f64));
        break;
    case SL_V128:
        sb_printf(sb, "v128:0x");
        for (int i = 15; i >= 0; i--)
            sb_printf(sb, "%02x", v->of.v128[i]);
        break;
    case SL_FUNCREF:
        if (v->of.ref)
            sb_printf(sb, "funcref:%p", v->of.ref);
        else
            sb_printf(sb, "funcref:null");
        break;
    case SL_EXTERNREF:
        if (v->of.ref)
            sb_printf(sb, "externref:%" PRIuPTR, (uintptr_t)v->of.ref - 1);
        else
            sb_printf(sb, "externref:null");
        break;
    default: sb_printf(sb, "?type 0x%x", (unsigned)v->type); break;
    }
}

static void format_expected(strbuf *sb, const cJSON *jv) {
    const char *type = json_str(jv, "type");
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(jv, "value");
    if (cJSON_IsArray(value)) {
        sb_printf(sb, "%s:%s[", type ? type : "?", json_str(jv, "lane_type"));
        const cJSON *lane;
        bool first = true;
        cJSON_ArrayForEach(lane, value) {
            sb_printf(sb, "%s%s", first ? "" : " ", cJSON_IsString(lane) ? lane->valuestring : "?");
            first = false;
        }
        sb_printf(sb, "]");
        return;
    }
    if (!cJSON_IsString(value)) {
        sb_printf(sb, "%s:<non-null>", type ? type : "?");
        return;
    }
    sl_val v;
    if (!starts_with(value->valuestring, "nan:") && parse_value(jv, &v))
        format_value(sb, &v);
    else
        sb_printf(sb, "%s:%s", type ? type : "?", value->valuestring);
}

static bool f32_matches(uint32_t got, const char *want) {
    if (!strcmp(want, "nan:canonical")) return (got & 0x7fffffffu) == 0x7fc00000u;
    if (!strcmp(want, "nan:arithmetic")) return (got & 0x7fc00000u) == 0x7fc00000u;
    uint64_t bits;
    return parse_u64(want, &bits) && (uint32_t)bits == got;
}

static bool f64_matches(uint64_t got, const char *want) {
    if (!strcmp(want, "nan:canonical"))
        return (got & 0x7fffffffffffffffull) == 0x7ff8000000000000ull;
    if (!strcmp(want, "nan:arithmetic"))
        return (got & 0x7ff8000000000000ull) == 0x7ff8000000000000ull;
    uint64_t bits;
    return parse_u64(want, &bits) && bits == got;
}

/* Does result `got` match the expected JSON value? */
static bool value_matches(const sl_val *got, const cJSON *jv) {
    const char *type = json_str(jv, "type");
    sl_valtype t;
    if (!type || !parse_valtype(type, &t) || got->type != t) return false;
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(jv, "value");
    const char *s = cJSON_IsString(value) ? value->valuestring : NULL;
    uint64_t bits;
    switch (t) {
    case SL_I32: return parse_u64(s, &bits) && (uint32_t)bits == (uint32_t)got->of.i32;
    case SL_I64: return parse_u64(s, &bits) && bits == (uint64_t)got->of.i64;
    case SL_F32: return s && f32_matches(f32_bits(got->of.f32), s);
    case SL_F64: return s && f64_matches(f64_bits(got->of.f64), s);
    case SL_FUNCREF:
        if (!s) return got->of.ref != NULL; /* (ref.func): any non-null function */
        if (!strcmp(s, "null")) return got->of.ref == NULL;
        return false;
    case SL_EXTERNREF:
        if (!s) return got->of.ref != NULL;
        if (!strcmp(s, "null")) return got->of.ref == NULL;
        return parse_u64(s, &bits) && got->of.ref == extern_ref(bits);
    case SL_V128: {
        const char *lt = json_str(jv, "lane_type");
        int lb = lt ? lane_bytes(lt) : 0;
        if (!lb || !cJSON_IsArray(value) || cJSON_GetArraySize(value) != 16 / lb) return false;
        int i = 0;
        const cJSON *lane;
        cJSON_ArrayForEach(lane, value) {
            if (!cJSON_IsString(lane)) return false;
            uint64_t lane_bits = 0;
            for (int b = 0; b < lb; b++)
                lane_bits |= (uint64_t)got->of.v128[i * lb + b] << (8 * b);
            bool ok;
            if (!strcmp(lt, "f32"))
                ok = f32_matches((uint32_t)lane_bits, lane->valuestring);
            else if (!strcmp(lt, "f64"))
                ok = f64_matches(lane_bits, lane->valuestring);
            else {
                uint64_t want;
                uint64_t mask = lb == 8 ? ~0ull : ((1ull << (8 * lb)) - 1);
                ok = parse_u64(lane->valuestring, &want) && (want & mask) == lane_bits;
            }
            if (!ok) return false;
            i++;
        }
        return true;
    }
    }
    return false;
}

/* ---- Commands -------------------------------------------------------------------------- */

static void format_error(strbuf *sb, const sl_error *err) {
    sb_printf(sb, "%s", sl_status_name(err->status));
    if (err->status == SL_ERR_TRAP) sb_printf(sb, " [%s]", sl_trap_message(err->trap));
    if (err->message[0]) sb_printf(sb, ": \"%s\"", err->message);
    if (err->offset >= 0 && err->status != SL_ERR_TRAP)
        sb_printf(sb, " (offset %" PRId64 ")", err->offset);
}

static void pass(runner *r) {
    r->counts->passed++;
}

static void skip(runner *r, int line, const char *type, const char *reason, bool text) {
    r->counts->skipped++;
    if (text)
        r->counts->skipped_text++;
    else
        r->counts->skipped_other++;
    if (verbose) out(r, "  %s:%d: %s skipped: %s\n", r->display, line, type, reason);
}

static void __attribute__((format(printf, 4, 5)))
fail(runner *r, int line, const char *type, const char *fmt, ...) {
    r->counts->failed++;
    if (!verbose && r->shown_failures >= MAX_SHOWN_FAILURES) return;
    r->shown_failures++;
    strbuf sb = {0};
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(&sb, fmt, ap);
    va_end(ap);
    out(r, "  %s:%d: %s: %s\n", r->display, line, type, sb_str(&sb));
    free(sb.data);
}

static sl_instance *find_instance(runner *r, const char *name) {
    if (!name) return r->current;
    for (size_t i = r->ninstances; i-- > 0;)
        if (r->instances[i].name && !strcmp(r->instances[i].name, name))
            return r->instances[i].instance;
    return NULL;
}

static void keep_module(runner *r, sl_module *m) {
    if (r->nmodules == r->modules_cap) {
        r->modules_cap = r->modules_cap ? r->modules_cap * 2 : 16;
        r->modules = xrealloc(r->modules, r->modules_cap * sizeof *r->modules);
    }
    r->modules[r->nmodules++] = m;
}

static void keep_instance(runner *r, const char *name, sl_instance *inst) {
    if (r->ninstances == r->instances_cap) {
        r->instances_cap = r->instances_cap ? r->instances_cap * 2 : 16;
        r->instances = xrealloc(r->instances, r->instances_cap * sizeof *r->instances);
    }
    r->instances[r->ninstances].name = name ? xstrdup(name) : NULL;
    r->instances[r->ninstances].instance = inst;
    r->ninstances++;
}

/* Loads the command's .wasm file and creates the module. Returns NULL with *err filled (or
 * with err->status == SL_OK and *io_error set when the file cannot be read). */
static sl_module *load_module(runner *r, const cJSON *cmd, sl_error *err, bool *io_error) {
    *io_error = false;
    memset(err, 0, sizeof *err);
    const char *filename = json_str(cmd, "filename");
    if (!filename) {
        *io_error = true;
        return NULL;
    }
    size_t plen = strlen(r->dir) + strlen(filename) + 2;
    char *path = xmalloc(plen);
    snprintf(path, plen, "%s/%s", r->dir, filename);
    size_t len;
    char *bytes = read_whole_file(path, &len);
    free(path);
    if (!bytes) {
        *io_error = true;
        return NULL;
    }
    sl_module *m = sl_module_new(r->engine, (const uint8_t *)bytes, len, err);
    free(bytes);
    return m;
}

/* Does the trap/error message match the spec's expected text? The spec text is a prefix of
 * our message (or of the trap's standard wording), or our standard wording is a prefix of the
 * spec text (e.g. "uninitialized element 2"). */
static bool message_matches(const char *want, const sl_error *err) {
    if (!want) return true;
    const char *tm = sl_trap_message(err->trap);
    if (err->status == SL_ERR_TRAP && err->trap != SL_TRAP_NONE) {
        if (starts_with(tm, want) || starts_with(want, tm)) return true;
    }
    return starts_with(err->message, want);
}

typedef struct action_result {
    sl_status status; /* SL_OK, or the error (err filled) */
    sl_error err;
    sl_val *results;
    uint32_t nresults;
    char setup_error[200]; /* a problem before calling (no module, no export, bad args) */
} action_result;

static void format_action(strbuf *sb, const cJSON *action) {
    const char *type = json_str(action, "type");
    const char *field = json_str(action, "field");
    const char *module = json_str(action, "module");
    sb_printf(sb, "%s %s%s\"%s\"", type ? type : "?", module ? module : "", module ? "." : "",
              field ? field : "?");
    if (type && !strcmp(type, "invoke")) {
        sb_printf(sb, "(");
        const cJSON *args = cJSON_GetObjectItemCaseSensitive(action, "args");
        const cJSON *a;
        bool first = true;
        cJSON_ArrayForEach(a, args) {
            if (!first) sb_printf(sb, ", ");
            format_expected(sb, a);
            first = false;
        }
        sb_printf(sb, ")");
    }
}

static void run_action(runner *r, const cJSON *action, action_result *res) {
    memset(res, 0, sizeof *res);
    res->status = SL_ERR_ARGUMENT;
    const char *type = json_str(action, "type");
    const char *field = json_str(action, "field");
    const char *module = json_str(action, "module");
    sl_instance *inst = find_instance(r, module);
    if (!inst) {
        snprintf(res->setup_error, sizeof res->setup_error, "no module %s",
                 module ? module : "(current)");
        return;
    }
    if (!type || !field) {
        snprintf(res->setup_error, sizeof res->setup_error, "bad action");
        return;
    }
    if (!strcmp(type, "get")) {
        sl_extern ext;
        if (!sl_instance_export(inst, field, &ext)) {
            snprintf(res->setup_error, sizeof res->setup_error, "no export \"%s\"", field);
            return;
        }
        if (ext.kind != SL_EXTERN_GLOBAL) {
            snprintf(res->setup_error, sizeof res->setup_error, "export \"%s\" is not a global",
                     field);
            return;
        }
        res->results = xmalloc(sizeof(sl_val));
        res->results[0] = sl_global_get(ext.of.global);
        res->nresults = 1;
        res->status = SL_OK;
        return;
    }
    if (strcmp(type, "invoke") != 0) {
        snprintf(res->setup_error, sizeof res->setup_error, "unknown action type %s", type);
        return;
    }
    sl_func *func = sl_instance_func(inst, field);
    if (!func) {
        snprintf(res->setup_error, sizeof res->setup_error, "no exported function \"%s\"", field);
        return;
    }
    const cJSON *jargs = cJSON_GetObjectItemCaseSensitive(action, "args");
    uint32_t nargs = (uint32_t)cJSON_GetArraySize(jargs);
    sl_val *args = xmalloc(nargs * sizeof *args);
    uint32_t i = 0;
    const cJSON *a;
    cJSON_ArrayForEach(a, jargs) {
        if (!parse_value(a, &args[i++])) {
            snprintf(res->setup_error, sizeof res->setup_error, "cannot parse argument %u", i - 1);
            free(args);
            return;
        }
    }
    const sl_functype *ft = sl_func_type(func);
    res->nresults = ft ? ft->nresults : 0;
    res->results = xmalloc(res->nresults * sizeof *res->results);
    memset(res->results, 0, res->nresults * sizeof *res->results);
    res->status = sl_func_call(r->store, func, args, nargs, res->results, res->nresults, &res->err);
    if (res->status != SL_OK && res->err.status == SL_OK) res->err.status = res->status;
    free(args);
}

static void format_results(strbuf *sb, const action_result *res) {
    if (res->setup_error[0]) {
        sb_printf(sb, "error: %s", res->setup_error);
        return;
    }
    if (res->status != SL_OK) {
        format_error(sb, &res->err);
        return;
    }
    sb_printf(sb, "[");
    for (uint32_t i = 0; i < res->nresults; i++) {
        if (i) sb_printf(sb, ", ");
        format_value(sb, &res->results[i]);
    }
    sb_printf(sb, "]");
}

static void cmd_module(runner *r, const cJSON *cmd, int line) {
    sl_error err;
    bool io_error;
    const char *name = json_str(cmd, "name");
    r->current = NULL; /* a failed module leaves no current module */
    sl_module *m = load_module(r, cmd, &err, &io_error);
    if (!m) {
        strbuf sb = {0};
        if (io_error)
            sb_printf(&sb, "cannot read %s", json_str(cmd, "filename"));
        else
            format_error(&sb, &err);
        fail(r, line, "module", "expected a valid module, got %s", sb_str(&sb));
        free(sb.data);
        return;
    }
    keep_module(r, m);
    sl_instance *inst = sl_instantiate(r->store, m, r->linker, &err);
    if (!inst) {
        strbuf sb = {0};
        format_error(&sb, &err);
        fail(r, line, "module", "instantiation failed: %s", sb_str(&sb));
        free(sb.data);
        return;
    }
    char why[300];
    if (!spec_tier_attach(m, inst, why, sizeof why)) {
        fail(r, line, "module", "%s tier: %s", spec_tier_name, why);
        return;
    }
    keep_instance(r, name, inst);
    r->current = inst;
    pass(r);
}

static void cmd_register(runner *r, const cJSON *cmd, int line) {
    const char *as = json_str(cmd, "as");
    const char *name = json_str(cmd, "name");
    sl_instance *inst = find_instance(r, name);
    if (!as || !inst) {
        fail(r, line, "register", "no module %s to register", name ? name : "(current)");
        return;
    }
    if (sl_linker_define_instance(r->linker, as, inst) != SL_OK) {
        fail(r, line, "register", "sl_linker_define_instance(\"%s\") failed", as);
        return;
    }
    pass(r);
}

static void cmd_action(runner *r, const cJSON *cmd, int line, const char *type) {
    const cJSON *action = cJSON_GetObjectItemCaseSensitive(cmd, "action");
    const cJSON *expected = cJSON_GetObjectItemCaseSensitive(cmd, "expected");
    action_result res;
    run_action(r, action, &res);
    strbuf what = {0}, got = {0}, want = {0};
    format_action(&what, action);
    format_results(&got, &res);
    bool is_return = !strcmp(type, "assert_return");
    if (is_return || !strcmp(type, "action")) {
        bool ok = res.status == SL_OK && !res.setup_error[0];
        if (is_return) {
            sb_printf(&want, "[");
            const cJSON *e;
            bool first = true;
            cJSON_ArrayForEach(e, expected) {
                if (!first) sb_printf(&want, ", ");
                format_expected(&want, e);
                first = false;
            }
            sb_printf(&want, "]");
            if (ok && (uint32_t)cJSON_GetArraySize(expected) != res.nresults) ok = false;
            uint32_t i = 0;
            cJSON_ArrayForEach(e, expected) {
                if (ok && !value_matches(&res.results[i], e)) ok = false;
                i++;
            }
        } else {
            sb_printf(&want, "success");
        }
        if (ok)
            pass(r);
        else
            fail(r, line, type, "%s: expected %s, got %s", sb_str(&what), sb_str(&want),
                 sb_str(&got));
    } else { /* assert_trap, assert_exhaustion */
        const char *text = json_str(cmd, "text");
        bool exhaustion = !strcmp(type, "assert_exhaustion");
        bool ok =
            !res.setup_error[0] && res.status == SL_ERR_TRAP && message_matches(text, &res.err);
        if (ok && exhaustion && res.err.trap != SL_TRAP_STACK_EXHAUSTED) ok = false;
        if (ok)
            pass(r);
        else
            fail(r, line, type, "%s: expected trap \"%s\", got %s", sb_str(&what),
                 text ? text : "?", sb_str(&got));
    }
    free(what.data);
    free(got.data);
    free(want.data);
    free(res.results);
}

/* assert_invalid, assert_malformed, assert_unlinkable, assert_uninstantiable */
static void cmd_assert_module(runner *r, const cJSON *cmd, int line, const char *type) {
    const char *module_type = json_str(cmd, "module_type");
    const char *text = json_str(cmd, "text");
    if (module_type && strcmp(module_type, "binary") != 0) {
        skip(r, line, type, "text-format module (the VM only reads the binary format)", true);
        return;
    }
    sl_error err;
    bool io_error;
    sl_module *m = load_module(r, cmd, &err, &io_error);
    if (io_error) {
        fail(r, line, type, "cannot read %s", json_str(cmd, "filename"));
        if (m) sl_module_free(m);
        return;
    }
    strbuf got = {0};
    bool want_invalid = !strcmp(type, "assert_invalid");
    bool want_malformed = !strcmp(type, "assert_malformed");
    if (want_invalid || want_malformed) {
        sl_status want = want_invalid ? SL_ERR_INVALID : SL_ERR_MALFORMED;
        if (m) {
            fail(r, line, type, "expected %s (\"%s\"), but the module was accepted",
                 sl_status_name(want), text ? text : "");
            sl_module_free(m);
        } else if (err.status == want) {
            pass(r);
            /* the right category; the wording is informational only */
            bool same_text = text && strstr(err.message, text) != NULL;
            if (!same_text) r->counts->other_wording++;
            if (verbose && !same_text) {
                format_error(&got, &err);
                out(r, "  %s:%d: %s passed with other wording: spec \"%s\", got %s\n", r->display,
                    line, type, text ? text : "", sb_str(&got));
            }
        } else {
            format_error(&got, &err);
            fail(r, line, type, "expected %s (\"%s\"), got %s", sl_status_name(want),
                 text ? text : "", sb_str(&got));
        }
        free(got.data);
        return;
    }
    /* unlinkable / uninstantiable: the module itself must be valid */
    if (!m) {
        format_error(&got, &err);
        fail(r, line, type, "expected a valid module (\"%s\"), got %s", text ? text : "",
             sb_str(&got));
        free(got.data);
        return;
    }
    keep_module(r, m);
    memset(&err, 0, sizeof err);
    sl_instance *inst = sl_instantiate(r->store, m, r->linker, &err);
    bool unlinkable = !strcmp(type, "assert_unlinkable");
    if (inst) {
        fail(r, line, type, "expected %s (\"%s\"), but instantiation succeeded",
             unlinkable ? "link error" : "trap", text ? text : "");
    } else if (unlinkable ? err.status == SL_ERR_LINK
                          : (err.status == SL_ERR_TRAP && message_matches(text, &err))) {
        pass(r);
    } else {
        format_error(&got, &err);
        fail(r, line, type, "expected %s (\"%s\"), got %s", unlinkable ? "link error" : "trap",
             text ? text : "", sb_str(&got));
    }
    free(got.data);
}

static bool line_has_nul(runner *r, int line) {
    for (size_t i = 0; i < r->nnul_lines; i++)
        if (r->nul_lines[i] == line) return true;
    return false;
}

/* Commands whose strings contain \u0000 cannot be expressed through the NUL-terminated names
 * of the C API (cJSON would silently cut them short): find their lines in the raw JSON, where
 * wast2json writes one command per line. */
static void find_nul_lines(runner *r, const char *text) {
    const char *p = text;
    while ((p = strstr(p, "\\u0000")) != NULL) {
        const char *bol = p;
        while (bol > text && bol[-1] != '\n')
            bol--;
        const char *ln = strstr(bol, "\"line\": ");
        if (ln && ln < p) {
            r->nul_lines = xrealloc(r->nul_lines, (r->nnul_lines + 1) * sizeof(int));
            r->nul_lines[r->nnul_lines++] = atoi(ln + 8);
        }
        p = strchr(p, '\n');
        if (!p) break;
    }
}

static cJSON *load_json(const char *path, char **raw_out) {
    size_t len;
    char *raw = read_whole_file(path, &len);
    if (!raw) return NULL;
    cJSON *root = cJSON_ParseWithLength(raw, len);
    if (raw_out)
        *raw_out = raw;
    else
        free(raw);
    return root;
}

static void run_commands(runner *r, const cJSON *commands) {
    const cJSON *cmd;
    cJSON_ArrayForEach(cmd, commands) {
        const char *type = json_str(cmd, "type");
        int line = json_int(cmd, "line");
        r->counts->last_line = line;
        if (!type) {
            fail(r, line, "?", "command without a type");
            continue;
        }
        if (line_has_nul(r, line)) {
            skip(r, line, type, "a name contains a NUL byte, which the C API cannot express",
                 false);
            continue;
        }
        if (!strcmp(type, "module"))
            cmd_module(r, cmd, line);
        else if (!strcmp(type, "register"))
            cmd_register(r, cmd, line);
        else if (!strcmp(type, "action") || !strcmp(type, "assert_return") ||
                 !strcmp(type, "assert_trap") || !strcmp(type, "assert_exhaustion"))
            cmd_action(r, cmd, line, type);
        else if (!strcmp(type, "assert_invalid") || !strcmp(type, "assert_malformed") ||
                 !strcmp(type, "assert_unlinkable") || !strcmp(type, "assert_uninstantiable"))
            cmd_assert_module(r, cmd, line, type);
        else
            fail(r, line, type, "unknown command type");
    }
}

/* The child's work: run every command of one JSON file. */
static int run_file(const char *json_path, const char *display, FILE *pipe_out,
                    file_counts *counts) {
    runner r = {0};
    r.json_path = json_path;
    r.display = display;
    r.out = pipe_out;
    r.counts = counts;
    char *raw = NULL;
    cJSON *root = load_json(json_path, &raw);
    const cJSON *commands = cJSON_GetObjectItemCaseSensitive(root, "commands");
    if (!root || !cJSON_IsArray(commands)) {
        out(&r, "  cannot read %s\n", json_path);
        counts->load_error = true;
        cJSON_Delete(root);
        free(raw);
        return 1;
    }
    counts->total = cJSON_GetArraySize(commands);
    find_nul_lines(&r, raw);
    free(raw);
    r.dir = xstrdup(json_path);
    char *slash = strrchr(r.dir, '/');
    if (slash)
        *slash = 0;
    else
        strcpy(r.dir, ".");

    sl_engine_config cfg = {.explicit_bounds_checks = explicit_bounds};
    r.engine = sl_engine_new(&cfg);
    r.store = r.engine ? sl_store_new(r.engine, NULL) : NULL;
    r.linker = r.engine ? sl_linker_new(r.engine) : NULL;
    if (!r.engine || !r.store || !r.linker) {
        out(&r, "  cannot create the engine, store or linker\n");
        counts->load_error = true;
    } else {
        sl_store_set_data(r.store, &r);
        if (!define_spectest(&r)) {
            out(&r, "  cannot define the spectest module\n");
            counts->load_error = true;
        } else {
            run_commands(&r, commands);
            counts->finished = true;
        }
    }
    if (r.linker) sl_linker_free(r.linker);
    if (r.store) sl_store_free(r.store);
    for (size_t i = 0; i < r.nmodules; i++)
        sl_module_free(r.modules[i]);
    if (r.engine) sl_engine_free(r.engine);
    for (size_t i = 0; i < r.ninstances; i++)
        free(r.instances[i].name);
    free(r.instances);
    free(r.modules);
    free(r.nul_lines);
    free(r.dir);
    cJSON_Delete(root);
    return 0;
}

/* ---- The parent: finding files, forking, collecting ---------------------------------------- */

typedef struct test_file {
    char *json;    /* path of the JSON file */
    char *display; /* e.g. "i32.wast" or "simd/simd_lane.wast" */
    bool simd;
    /* while running */
    pid_t pid;
    int fd;
    double deadline;
    bool timed_out;
    int status;
    bool done, printed;
    strbuf output;
    file_counts *counts; /* shared mapping when `mapped`, else malloc'd */
    bool mapped;
} test_file;

static test_file *files;
static size_t nfiles, files_cap;

static void add_file(const char *json, const char *display) {
    if (nfiles == files_cap) {
        files_cap = files_cap ? files_cap * 2 : 128;
        files = xrealloc(files, files_cap * sizeof *files);
    }
    test_file *f = &files[nfiles++];
    memset(f, 0, sizeof *f);
    f->json = xstrdup(json);
    f->display = xstrdup(display);
    const char *base = strrchr(display, '/');
    base = base ? base + 1 : display;
    f->simd = starts_with(display, "simd/") || starts_with(base, "simd_");
    f->fd = -1;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Add every *.json of dir (sorted); prefix is prepended to the display names. */
static void add_dir(const char *dir, const char *prefix) {
    DIR *d = opendir(dir);
    if (!d) return;
    char **names = NULL;
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (!ends_with(de->d_name, ".json")) continue;
        names = xrealloc(names, (n + 1) * sizeof *names);
        names[n++] = xstrdup(de->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n; i++) {
        size_t plen = strlen(dir) + strlen(names[i]) + 2;
        char *path = xmalloc(plen);
        snprintf(path, plen, "%s/%s", dir, names[i]);
        size_t dlen = strlen(prefix) + strlen(names[i]) + 1;
        char *display = xmalloc(dlen);
        snprintf(display, dlen, "%s%.*s.wast", prefix, (int)(strlen(names[i]) - 5), names[i]);
        add_file(path, display);
        free(path);
        free(display);
        free(names[i]);
    }
    free(names);
}

static bool file_exists(const char *path) {
    return access(path, R_OK) == 0;
}

/* Resolve a command-line name to a JSON file. */
static bool add_named(const char *dir, const char *arg) {
    if (ends_with(arg, ".json")) {
        const char *base = strrchr(arg, '/');
        base = base ? base + 1 : arg;
        char display[512];
        snprintf(display, sizeof display, "%s%.*s.wast", starts_with(base, "simd_") ? "simd/" : "",
                 (int)(strlen(base) - 5), base);
        add_file(arg, display);
        return file_exists(arg);
    }
    char name[512];
    snprintf(name, sizeof name, "%s", arg);
    if (ends_with(name, ".wast")) name[strlen(name) - 5] = 0;
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    char path[1024], display[600];
    bool simd = starts_with(base, "simd_");
    snprintf(path, sizeof path, "%s/%s%s.json", dir, simd ? "simd/" : "", base);
    snprintf(display, sizeof display, "%s%s.wast", simd ? "simd/" : "", base);
    add_file(path, display);
    return file_exists(path);
}

static struct pollfd *pfds;
static size_t *pidx;

static void free_parent_state(void) {
    for (size_t i = 0; i < nfiles; i++) {
        free(files[i].json);
        free(files[i].display);
        free(files[i].output.data);
        if (files[i].counts && !files[i].mapped) free(files[i].counts);
    }
    free(files);
    free(pfds);
    free(pidx);
    files = NULL;
    pfds = NULL;
    pidx = NULL;
    nfiles = 0;
}

static void start_file(test_file *f, double timeout) {
    int fds[2];
    f->counts =
        mmap(NULL, sizeof(file_counts), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (f->counts == MAP_FAILED || pipe(fds) != 0) {
        perror("spec-runner: mmap/pipe");
        exit(2);
    }
    f->mapped = true;
    memset(f->counts, 0, sizeof *f->counts);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        perror("spec-runner: fork");
        exit(2);
    }
    if (pid == 0) {
        close(fds[0]);
        FILE *o = fdopen(fds[1], "w");
        if (!o) _exit(3);
        /* the VM's output and sanitizer reports go to the same pipe, in order */
        dup2(fds[1], STDOUT_FILENO);
        dup2(fds[1], STDERR_FILENO);
        int rc = run_file(f->json, f->display, o, f->counts);
        fclose(o);
        free_parent_state(); /* so that LeakSanitizer sees only the child's own leaks */
        exit(rc);
    }
    close(fds[1]);
    f->pid = pid;
    f->fd = fds[0];
    f->deadline = now_seconds() + timeout;
}

/* Count the commands of a file without running it (SIMD files). */
static int count_commands(const char *path, int *text_malformed) {
    cJSON *root = load_json(path, NULL);
    const cJSON *commands = cJSON_GetObjectItemCaseSensitive(root, "commands");
    int n = cJSON_IsArray(commands) ? cJSON_GetArraySize(commands) : -1;
    *text_malformed = 0;
    const cJSON *cmd;
    cJSON_ArrayForEach(cmd, commands) {
        const char *mt = json_str(cmd, "module_type");
        if (mt && !strcmp(mt, "text")) (*text_malformed)++;
    }
    cJSON_Delete(root);
    return n;
}

static struct {
    long passed, failed, skipped, skipped_text, skipped_simd, skipped_other, other_wording;
    int files_failed, files_crashed;
} total;

static void print_file(test_file *f) {
    file_counts *c = f->counts;
    if (f->output.len) fputs(f->output.data, stdout);
    long failed = c->failed;
    const char *problem = NULL;
    char problem_buf[200];
    int done = c->passed + c->failed + c->skipped;
    if (c->load_error) {
        problem = "could not be loaded";
        if (c->total <= 0) failed++;
    }
    if (f->timed_out) {
        snprintf(problem_buf, sizeof problem_buf, "TIMED OUT while running the command at line %d",
                 c->last_line);
        problem = problem_buf;
    } else if (WIFSIGNALED(f->status)) {
        snprintf(problem_buf, sizeof problem_buf, "CRASHED (signal %d, %s) at line %d",
                 WTERMSIG(f->status), strsignal(WTERMSIG(f->status)), c->last_line);
        problem = problem_buf;
    } else if (WIFEXITED(f->status) && WEXITSTATUS(f->status) != 0 && !c->load_error) {
        if (c->finished)
            snprintf(problem_buf, sizeof problem_buf,
                     "exited with status %d after the last command: sanitizer report?",
                     WEXITSTATUS(f->status));
        else
            snprintf(problem_buf, sizeof problem_buf, "exited with status %d at line %d",
                     WEXITSTATUS(f->status), c->last_line);
        problem = problem_buf;
    } else if (!c->finished && !c->load_error) {
        problem = "stopped early";
    }
    if (problem && c->total > done) failed += c->total - done; /* commands never run */
    if (problem && failed == 0) failed = 1;
    printf("%s: %d passed, %ld failed, %d skipped", f->display, c->passed, failed, c->skipped);
    if (problem) printf(" (%s)", problem);
    if (verbose && c->skipped_text) printf(" [%d text-format modules skipped]", c->skipped_text);
    printf("\n");
    fflush(stdout);
    total.passed += c->passed;
    total.failed += failed;
    total.skipped += c->skipped;
    total.skipped_text += c->skipped_text;
    total.skipped_other += c->skipped_other;
    total.other_wording += c->other_wording;
    if (failed) total.files_failed++;
    if (problem) total.files_crashed++;
}

static void usage(void) {
    fprintf(stderr, "usage: spec-runner [-v] [-b] [-j N] [-t SECONDS] [-d DIR] [FILE...]\n");
    exit(2);
}

int main(int argc, char **argv) {
    const char *dir = "build/spec";
    double timeout = 300;
    long jobs = sysconf(_SC_NPROCESSORS_ONLN);
    int opt;
    while ((opt = getopt(argc, argv, "vbj:t:d:h")) != -1) {
        switch (opt) {
        case 'v': verbose = true; break;
        case 'b': explicit_bounds = true; break;
        case 'j': jobs = atol(optarg); break;
        case 't': timeout = atof(optarg); break;
        case 'd': dir = optarg; break;
        default: usage();
        }
    }
    if (jobs < 1) jobs = 1;
    if (timeout <= 0) timeout = 300;
    signal(SIGPIPE, SIG_IGN);

    bool missing = false;
    if (optind == argc) {
        add_dir(dir, "");
        size_t slen = strlen(dir) + 6;
        char *simd = xmalloc(slen);
        snprintf(simd, slen, "%s/simd", dir);
        add_dir(simd, "simd/");
        free(simd);
        if (nfiles == 0) {
            fprintf(stderr, "spec-runner: no .json files in %s (convert the suite first)\n", dir);
            return 2;
        }
    } else {
        for (int i = optind; i < argc; i++) {
            if (!add_named(dir, argv[i])) {
                fprintf(stderr, "spec-runner: %s: not found (%s)\n", argv[i],
                        files[nfiles - 1].json);
                missing = true;
            }
        }
    }

    /* SIMD files are reported as skipped without running. */
    for (size_t i = 0; i < nfiles; i++) {
        test_file *f = &files[i];
        if (!f->simd || !file_exists(f->json)) continue;
        int text;
        int n = count_commands(f->json, &text);
        f->counts = xmalloc(sizeof *f->counts);
        memset(f->counts, 0, sizeof *f->counts);
        f->counts->total = n < 0 ? 0 : n;
        f->counts->skipped = f->counts->total;
        f->counts->finished = true;
        f->done = true;
        total.skipped_simd += f->counts->total;
        if (n < 0) f->counts->load_error = true;
    }

    size_t next_start = 0, next_print = 0, running = 0;
    pfds = xmalloc(nfiles * sizeof *pfds);
    pidx = xmalloc(nfiles * sizeof *pidx);
    while (next_print < nfiles) {
        /* start files up to the job limit */
        while (running < (size_t)jobs && next_start < nfiles) {
            test_file *f = &files[next_start++];
            if (f->done) continue;
            if (!file_exists(f->json)) {
                f->counts = xmalloc(sizeof *f->counts);
                memset(f->counts, 0, sizeof *f->counts);
                f->counts->load_error = true;
                sb_printf(&f->output, "  cannot read %s\n", f->json);
                f->done = true;
                continue;
            }
            start_file(f, timeout);
            running++;
        }
        /* print finished files in order */
        while (next_print < nfiles && files[next_print].done) {
            test_file *f = &files[next_print++];
            if (f->simd && !f->mapped) {
                printf("%s: 0 passed, 0 failed, %d skipped (SIMD is not implemented)\n", f->display,
                       f->counts->skipped);
                total.skipped += f->counts->skipped;
                if (f->counts->load_error) {
                    printf("  cannot read %s\n", f->json);
                    total.failed++;
                    total.files_failed++;
                }
                free(f->counts);
            } else if (f->mapped) {
                print_file(f);
                munmap(f->counts, sizeof *f->counts);
            } else {
                fputs(sb_str(&f->output), stdout);
                printf("%s: 0 passed, 1 failed, 0 skipped (could not be loaded)\n", f->display);
                total.failed++;
                total.files_failed++;
                free(f->counts);
            }
            f->counts = NULL;
        }
        if (running == 0) continue;
        size_t np = 0;
        for (size_t i = 0; i < nfiles; i++) {
            if (files[i].fd >= 0) {
                pfds[np].fd = files[i].fd;
                pfds[np].events = POLLIN;
                pfds[np].revents = 0;
                pidx[np++] = i;
            }
        }
        int pr = poll(pfds, np, 100);
        if (pr < 0 && errno != EINTR) {
            perror("spec-runner: poll");
            return 2;
        }
        double now = now_seconds();
        for (size_t k = 0; k < np; k++) {
            test_file *f = &files[pidx[k]];
            if (pfds[k].revents & (POLLIN | POLLHUP | POLLERR)) {
                char buf[8192];
                ssize_t n = read(f->fd, buf, sizeof buf);
                if (n > 0) {
                    sb_printf(&f->output, "%.*s", (int)n, buf);
                } else if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
                    close(f->fd);
                    f->fd = -1;
                    waitpid(f->pid, &f->status, 0);
                    f->done = true;
                    running--;
                    continue;
                }
            }
            if (!f->timed_out && now > f->deadline) {
                f->timed_out = true;
                kill(f->pid, SIGKILL);
            }
        }
    }
    free_parent_state();

    if (total.skipped)
        printf("skipped: %ld SIMD (not implemented), %ld text-format modules (no text parser)"
               "%s%ld other\n",
               total.skipped_simd, total.skipped_text, ", ", total.skipped_other);
    if (total.other_wording)
        printf("note: %ld invalid/malformed modules were rejected as expected but with other "
               "wording than the spec's (-v lists them)\n",
               total.other_wording);
    if (total.files_failed)
        printf("%d file(s) with failures%s\n", total.files_failed,
               total.files_crashed ? " (some crashed or timed out)" : "");
    printf("spec (%s): %ld passed, %ld failed, %ld skipped\n", spec_tier_name, total.passed,
           total.failed, total.skipped);
    return (total.failed || missing) ? 1 : 0;
}
