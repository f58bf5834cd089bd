/* run.c - `sluice run`: instantiate a module with WASI and run its _start, or call one
 * export with arguments from the command line (--invoke). */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/file.h"
#include "cli/cli.h"
#include "sluice.h"
#include "sluice_wasi.h"
#include "vm/native.h"

typedef struct run_opts {
    sl_wasi_preopen *dirs;
    const char **env;
    uint32_t ndirs, nenv;
    uint32_t timeout_ms, max_memory_mib;
    const char *invoke, *file;
    bool native; /* --tier native */
    char **args; /* guest argv for commands (args[0] is the file); export args for --invoke */
    int nargs;
} run_opts;

static const char RUN_USAGE[] =
    "usage: sluice run [--dir HOST[::GUEST]] [--env KEY=VALUE] [--timeout MS]\n"
    "                  [--max-memory MIB] [--invoke NAME] [--tier interp|native]\n"
    "                  FILE.wasm [ARGS...]\n";

static int usage_error(const char *fmt, const char *arg) {
    fputs("sluice: ", stderr);
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    fputs(RUN_USAGE, stderr);
    return SL_EXIT_USAGE;
}

/* A decimal number in [min, max] (for --timeout and --max-memory). */
static bool parse_uint(const char *s, uint32_t min, uint32_t max, uint32_t *out) {
    char *end;
    if (*s < '0' || *s > '9') return false;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v < min || v > max) return false;
    *out = (uint32_t)v;
    return true;
}

/* Options come first; the first other argument is the module and the rest go to the guest
 * unparsed (so guest flags need no `--`). Returns 0 or an exit code. */
static int parse_opts(int argc, char **argv, run_opts *o) {
    o->dirs = calloc((size_t)argc, sizeof *o->dirs);
    o->env = calloc((size_t)argc, sizeof *o->env);
    if (!o->dirs || !o->env) return usage_error("%s", "out of memory");
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *opt = argv[i], *val = NULL;
        if (!strcmp(opt, "--")) {
            i++;
            break;
        }
        if (!strcmp(opt, "-h") || !strcmp(opt, "--help")) {
            fputs(RUN_USAGE, stdout);
            return -1;
        }
        static const char *const WITH_VALUE[] = {"--dir",        "--env",    "--timeout",
                                                 "--max-memory", "--invoke", "--tier"};
        size_t k = 0, n = 0;
        for (; k < sizeof WITH_VALUE / sizeof *WITH_VALUE; k++) {
            n = strlen(WITH_VALUE[k]);
            if (!strncmp(opt, WITH_VALUE[k], n) && (opt[n] == 0 || opt[n] == '=')) break;
        }
        if (k == sizeof WITH_VALUE / sizeof *WITH_VALUE)
            return usage_error("unknown option '%s'", opt);
        if (opt[n] == '=')
            val = opt + n + 1;
        else if (i + 1 < argc)
            val = argv[++i];
        else
            return usage_error("option '%s' needs a value", opt);

        if (k == 0) { /* --dir HOST[::GUEST] */
            char *sep = strstr(val, "::");
            sl_wasi_preopen *d = &o->dirs[o->ndirs++];
            d->host_path = val;
            d->guest_path = val;
            if (sep) {
                /* The option string is ours to split in place. */
                *sep = 0;
                d->guest_path = sep + 2;
            }
            if (!*d->host_path || !*d->guest_path) return usage_error("bad --dir '%s'", val);
        } else if (k == 1) {
            if (!strchr(val, '=') || val[0] == '=')
                return usage_error("--env wants KEY=VALUE, got '%s'", val);
            o->env[o->nenv++] = val;
        } else if (k == 2) {
            if (!parse_uint(val, 0, UINT32_MAX, &o->timeout_ms))
                return usage_error("bad --timeout '%s' (milliseconds)", val);
        } else if (k == 3) {
            if (!parse_uint(val, 1, 4096, &o->max_memory_mib))
                return usage_error("bad --max-memory '%s' (1 to 4096 MiB)", val);
        } else if (k == 4) {
            o->invoke = val;
        } else if (!strcmp(val, "interp") || !strcmp(val, "native")) {
            o->native = !strcmp(val, "native");
        } else {
            return usage_error("bad --tier '%s' (interp or native)", val);
        }
    }
    if (i >= argc) return usage_error("%s", "no module file given");
    o->file = argv[i];
    /* A command's argv[0] is the module; an invoked export gets only the values. */
    o->args = o->invoke ? argv + i + 1 : argv + i;
    o->nargs = o->invoke ? argc - i - 1 : argc - i;
    return 0;
}

/* Report a failed load/instantiate/call and pick the exit code. */
static int report(const run_opts *o, const sl_error *err) {
    const char *what;
    int code;
    switch (err->status) {
    case SL_ERR_EXIT:
        return err->exit_code >= 0 && err->exit_code <= SL_EXIT_GUEST_MAX ? err->exit_code
                                                                          : SL_EXIT_GUEST_MAX;
    case SL_ERR_TRAP:
        /* the library's message: the spec's wording, a host's reason, or the time limit */
        fprintf(stderr, "sluice: %s: trap: %s\n", o->file,
                err->message[0] ? err->message : sl_trap_message(err->trap));
        return SL_EXIT_TRAP;
    case SL_ERR_MALFORMED: what = "malformed module", code = SL_EXIT_MODULE; break;
    case SL_ERR_INVALID: what = "invalid module", code = SL_EXIT_MODULE; break;
    case SL_ERR_LINK: what = "link error", code = SL_EXIT_MODULE; break;
    case SL_ERR_NOMEM: what = "out of memory", code = SL_EXIT_TRAP; break;
    case SL_ERR_LIMIT: what = "limit exceeded", code = SL_EXIT_TRAP; break;
    case SL_ERR_ARGUMENT: what = "error", code = SL_EXIT_USAGE; break;
    default: what = "error", code = SL_EXIT_MODULE; break;
    }
    if (err->message[0])
        fprintf(stderr, "sluice: %s: %s: %s\n", o->file, what, err->message);
    else
        fprintf(stderr, "sluice: %s: %s\n", o->file, what);
    return code;
}

/* An integer of `bits` bits: decimal or 0x hex, optionally signed; the unsigned range is
 * accepted too (0xffffffff is an i32). */
static bool parse_int(const char *s, int bits, uint64_t *out) {
    bool neg = *s == '-';
    if (*s == '-' || *s == '+') s++;
    int base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    /* strtoull would also take spaces and a second sign; insist on a digit first. */
    if (!(base == 16 ? isxdigit((unsigned char)*s) : isdigit((unsigned char)*s))) return false;
    char *end;
    errno = 0;
    uint64_t v = strtoull(s, &end, base);
    if (errno || *end) return false;
    uint64_t umax = bits == 64 ? UINT64_MAX : (1ull << bits) - 1;
    uint64_t nmax = 1ull << (bits - 1); /* magnitude of the most negative value */
    if (neg ? v > nmax : v > umax) return false;
    *out = neg ? (uint64_t)0 - v : v;
    return true;
}

static bool parse_float(const char *s, bool f32, sl_val *v) {
    char *end;
    errno = 0;
    if (f32)
        v->of.f32 = strtof(s, &end);
    else
        v->of.f64 = strtod(s, &end);
    return *s && !*end; /* overflow to inf is allowed, as a literal would round */
}

static bool parse_arg(const char *s, uint8_t type, sl_val *v) {
    uint64_t u;
    v->type = (sl_valtype)type;
    switch (type) {
    case SL_I32:
        if (!parse_int(s, 32, &u)) return false;
        v->of.i32 = (int32_t)(uint32_t)u;
        return true;
    case SL_I64:
        if (!parse_int(s, 64, &u)) return false;
        v->of.i64 = (int64_t)u;
        return true;
    case SL_F32: return parse_float(s, true, v);
    case SL_F64: return parse_float(s, false, v);
    default: return false;
    }
}

/* Shortest decimal that reads back as the same value; nan and inf spelled out. */
static void print_float(double d, bool f32) {
    if (isnan(d)) {
        puts(signbit(d) ? "-nan" : "nan");
        return;
    }
    if (isinf(d)) {
        puts(d < 0 ? "-inf" : "inf");
        return;
    }
    char buf[64];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, d);
        if (f32 ? strtof(buf, NULL) == (float)d : strtod(buf, NULL) == d) break;
    }
    puts(buf);
}

static void print_val(const sl_val *v) {
    switch (v->type) {
    case SL_I32: printf("%" PRId32 "\n", v->of.i32); break;
    case SL_I64: printf("%" PRId64 "\n", v->of.i64); break;
    case SL_F32: print_float(v->of.f32, true); break;
    case SL_F64: print_float(v->of.f64, false); break;
    case SL_V128:
        fputs("0x", stdout);
        for (int i = 15; i >= 0; i--)
            printf("%02x", v->of.v128[i]);
        putchar('\n');
        break;
    default: puts(v->of.ref ? "ref" : "null"); break;
    }
}

static int invoke(const run_opts *o, sl_store *store, sl_instance *inst) {
    sl_func *fn = sl_instance_func(inst, o->invoke);
    if (!fn) {
        fprintf(stderr, "sluice: %s: no exported function '%s'\n", o->file, o->invoke);
        return SL_EXIT_MODULE;
    }
    const sl_functype *ft = sl_func_type(fn);
    if ((uint32_t)o->nargs != ft->nparams) {
        fprintf(stderr, "sluice: %s: '%s' takes %" PRIu32 " argument(s), got %d\n", o->file,
                o->invoke, ft->nparams, o->nargs);
        return SL_EXIT_USAGE;
    }
    sl_val *args = calloc(ft->nparams + 1, sizeof *args);
    sl_val *results = calloc(ft->nresults + 1, sizeof *results);
    int code = SL_EXIT_OK;
    if (!args || !results) {
        fprintf(stderr, "sluice: %s: out of memory\n", o->file);
        code = SL_EXIT_TRAP;
        goto out;
    }
    for (uint32_t i = 0; i < ft->nparams; i++) {
        if (!parse_arg(o->args[i], ft->types[i], &args[i])) {
            fprintf(stderr, "sluice: %s: argument %" PRIu32 " ('%s') is not a valid %s\n", o->file,
                    i + 1, o->args[i], sl_valtype_name(ft->types[i]));
            code = SL_EXIT_USAGE;
            goto out;
        }
    }
    sl_error err = {0};
    if (sl_func_call(store, fn, args, ft->nparams, results, ft->nresults, &err) != SL_OK) {
        code = report(o, &err);
        goto out;
    }
    for (uint32_t i = 0; i < ft->nresults; i++)
        print_val(&results[i]);
out:
    free(args);
    free(results);
    return code;
}

static int run_module(const run_opts *o, const uint8_t *bytes, size_t len) {
    int code = SL_EXIT_OK;
    sl_error err = {0};
    sl_engine *engine = sl_engine_new(NULL);
    sl_module *module = NULL;
    sl_linker *linker = NULL;
    sl_store *store = NULL;
    sl_wasi *wasi = NULL;
    sl_native_code *native = NULL;
    if (!engine) {
        fprintf(stderr, "sluice: %s: cannot create engine\n", o->file);
        return SL_EXIT_TRAP;
    }
    if (!(module = sl_module_new(engine, bytes, len, &err))) {
        code = report(o, &err);
        goto out;
    }
    sl_wasi_config cfg = {
        .argv = (const char *const *)o->args,
        .argc = o->invoke ? 0 : (uint32_t)o->nargs,
        .env = o->env,
        .envc = o->nenv,
        .preopens = o->dirs,
        .npreopens = o->ndirs,
        .stdio = {{.kind = SL_WASI_STDIO_FD, .fd = 0},
                  {.kind = SL_WASI_STDIO_FD, .fd = 1},
                  {.kind = SL_WASI_STDIO_FD, .fd = 2}},
    };
    const char *argv0[] = {o->file};
    if (o->invoke) cfg.argv = argv0, cfg.argc = 1;
    if (!(wasi = sl_wasi_new(&cfg, &err))) {
        fprintf(stderr, "sluice: %s\n", err.message);
        code = SL_EXIT_USAGE;
        goto out;
    }
    linker = sl_linker_new(engine);
    sl_store_limits limits = {.max_memory_pages = o->max_memory_mib * 16};
    store = sl_store_new(engine, &limits);
    if (!linker || !store || sl_wasi_link(wasi, linker) != SL_OK) {
        fprintf(stderr, "sluice: %s: out of memory\n", o->file);
        code = SL_EXIT_TRAP;
        goto out;
    }
    sl_store_set_data(store, wasi);
    sl_store_set_timeout(store, o->timeout_ms);
    sl_instance *inst = sl_instantiate(store, module, linker, &err);
    if (!inst) {
        code = report(o, &err);
        goto out;
    }
    /* Functions compiled natively run so; the rest (and the start function) interpreted. */
    if (o->native && (native = cli_native_code(o->file, bytes, len)) &&
        sl_native_attach(inst, native, &err) != SL_OK) {
        code = report(o, &err);
        goto out;
    }
    if (o->invoke) {
        /* A reactor sets itself up in _initialize before any other export is used. */
        if (sl_instance_func(inst, "_initialize") &&
            sl_call(inst, "_initialize", NULL, 0, NULL, 0, &err) != SL_OK) {
            code = report(o, &err);
            goto out;
        }
        code = invoke(o, store, inst);
    } else if (!sl_instance_func(inst, "_start")) {
        fprintf(stderr, "sluice: %s: no _start export (use --invoke NAME for other exports)\n",
                o->file);
        code = SL_EXIT_MODULE;
    } else if (sl_call(inst, "_start", NULL, 0, NULL, 0, &err) != SL_OK) {
        code = report(o, &err);
    }
out:
    fflush(stdout);
    sl_store_free(store);
    sl_linker_free(linker);
    sl_wasi_free(wasi);
    sl_module_free(module);
    sl_engine_free(engine);
    sl_native_code_free(native);
    return code;
}

int cmd_run(int argc, char **argv) {
    /* A guest writing to a closed pipe should get EPIPE back, not kill the host. */
    signal(SIGPIPE, SIG_IGN);
    run_opts o = {0};
    int code = parse_opts(argc, argv, &o);
    if (code == 0) {
        size_t len;
        uint8_t *bytes = (uint8_t *)sl_read_file(o.file, 0, &len, NULL);
        if (!bytes) {
            fprintf(stderr, "sluice: %s: cannot read: %s\n", o.file, strerror(errno));
            code = SL_EXIT_USAGE;
        } else {
            code = run_module(&o, bytes, len);
            free(bytes);
        }
    } else if (code < 0) {
        code = SL_EXIT_OK; /* --help */
    }
    free(o.dirs);
    free(o.env);
    return code;
}
