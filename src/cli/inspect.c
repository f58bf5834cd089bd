/* inspect.c - `sluice validate` and `sluice inspect`. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/file.h"
#include "cli/cli.h"
#include "sluice.h"
#include "vm/module.h"
#include "vm/reader.h"

/* Read a whole file; NULL (with a message printed) if it can't be. */
static uint8_t *slurp(const char *path, size_t *len) {
    uint8_t *buf = (uint8_t *)sl_read_file(path, 0, len, NULL);
    if (!buf) fprintf(stderr, "sluice: %s: %s\n", path, strerror(errno));
    return buf;
}

/* `sluice: FILE: <message> (at byte 0x...)`, the offset left out when unknown or already
 * named by the message. */
static int report(const char *path, const sl_error *err) {
    char at[32] = "";
    if (err->offset >= 0) snprintf(at, sizeof at, "0x%" PRIx64, (uint64_t)err->offset);
    if (at[0] && !strstr(err->message, at))
        fprintf(stderr, "sluice: %s: %s: %s (at byte %s)\n", path, sl_status_name(err->status),
                err->message, at);
    else
        fprintf(stderr, "sluice: %s: %s: %s\n", path, sl_status_name(err->status), err->message);
    switch (err->status) {
    case SL_ERR_NOMEM:
    case SL_ERR_LIMIT: return SL_EXIT_TRAP;
    default: return SL_EXIT_MODULE;
    }
}

static const char VALIDATE_USAGE[] =
    "usage: sluice validate FILE.wasm...\n"
    "Checks that each module is well-formed and valid; prints FILE: valid, or the error.\n"
    "Exits 0 when all are, 126 when one is not, 127 when a file cannot be read.\n";

static const char INSPECT_USAGE[] =
    "usage: sluice inspect FILE.wasm\n"
    "Describes a module: its sections, imports and exports, with their types.\n";

/* Whether an argument asks for the usage: then it goes to stdout and the command succeeds
 * (a usage error prints it to stderr instead). */
static bool wants_help(int argc, char **argv) {
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) return true;
    return false;
}

int cmd_validate(int argc, char **argv) {
    if (wants_help(argc, argv)) {
        fputs(VALIDATE_USAGE, stdout);
        return SL_EXIT_OK;
    }
    if (argc < 2) {
        fputs(VALIDATE_USAGE, stderr);
        return SL_EXIT_USAGE;
    }
    sl_engine *engine = sl_engine_new(NULL);
    if (!engine) {
        fprintf(stderr, "sluice: cannot create engine\n");
        return SL_EXIT_TRAP;
    }
    int code = SL_EXIT_OK;
    for (int i = 1; i < argc; i++) {
        size_t len;
        uint8_t *bytes = slurp(argv[i], &len);
        if (!bytes) {
            code = SL_EXIT_USAGE;
            continue;
        }
        sl_error err;
        memset(&err, 0, sizeof err);
        if (sl_module_validate(engine, bytes, len, &err) == SL_OK) {
            printf("%s: valid\n", argv[i]);
        } else {
            int c = report(argv[i], &err);
            if (code == SL_EXIT_OK) code = c;
        }
        free(bytes);
    }
    sl_engine_free(engine);
    return code;
}

/* ---- inspect ----------------------------------------------------------------------------- */

static void print_functype(const sl_functype *ft) {
    printf("(");
    for (uint32_t i = 0; i < ft->nparams; i++)
        printf("%s%s", i ? ", " : "", sl_valtype_name(ft->types[i]));
    printf(") -> (");
    for (uint32_t i = 0; i < ft->nresults; i++)
        printf("%s%s", i ? ", " : "", sl_valtype_name(ft->types[ft->nparams + i]));
    printf(")");
}

static void print_limits(const sl_limits *l, const char *unit) {
    printf("min %" PRIu32, l->min);
    if (l->has_max) printf(" max %" PRIu32, l->max);
    printf(" %s", unit);
}

/* A name from the binary: printable ASCII as is, the rest escaped. */
static void print_name(const char *s, uint32_t len) {
    putchar('"');
    for (uint32_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\')
            putchar(c);
        else
            printf("\\%02x", c);
    }
    putchar('"');
}

static void print_const(const sl_constexpr *e) {
    switch (e->op) {
    case SL_CONST_I32: printf("i32.const %" PRId32, e->value.i32); break;
    case SL_CONST_I64: printf("i64.const %" PRId64, e->value.i64); break;
    case SL_CONST_F32: printf("f32.const %g", (double)e->value.f32); break;
    case SL_CONST_F64: printf("f64.const %g", e->value.f64); break;
    case SL_CONST_V128: printf("v128.const ..."); break;
    case SL_CONST_REF_NULL: printf("ref.null %s", sl_valtype_name(e->type)); break;
    case SL_CONST_REF_FUNC: printf("ref.func %" PRIu32, e->index); break;
    case SL_CONST_GLOBAL_GET: printf("global.get %" PRIu32, e->index); break;
    }
}

static const char *section_name(uint8_t id) {
    static const char *const names[] = {"custom", "type",   "import",   "function", "table",
                                        "memory", "global", "export",   "start",    "element",
                                        "code",   "data",   "datacount"};
    return id < sizeof names / sizeof names[0] ? names[id] : "?";
}

/* The decoder keeps no section table: walk the (already decoded, so well-formed) headers. */
static void print_sections(const sl_module *m) {
    sl_reader r;
    sl_rd_init(&r, m->bytes, m->bytes + 8, m->bytes + m->len);
    printf("sections:\n");
    while (!sl_rd_eof(&r)) {
        uint8_t id;
        uint32_t size;
        if (!sl_rd_u8(&r, &id) || !sl_rd_u32(&r, &size)) return;
        uint32_t off = sl_rd_offset(&r);
        sl_reader s;
        if (!sl_rd_sub(&r, size, &s)) return;
        printf("  %2u %-10s offset 0x%06" PRIx32 " size %" PRIu32, id, section_name(id), off, size);
        const uint8_t *name;
        uint32_t len;
        if (id == 0 && sl_rd_name(&s, &name, &len)) {
            printf(" ");
            print_name((const char *)name, len);
        }
        printf("\n");
    }
}

static const char *kind_name(sl_externkind k) {
    static const char *const names[] = {"func", "table", "memory", "global"};
    return (unsigned)k < 4 ? names[k] : "?";
}

static const char *mode_name(sl_segmode mode) {
    return mode == SL_SEG_ACTIVE ? "active" : mode == SL_SEG_PASSIVE ? "passive" : "declarative";
}

/* What an SDK-built module declares about itself (docs/abi.md, "The sluice.fn section"),
 * as its text: the reader that checks it lives in the fn layer, which this binary lacks. */
static void print_declared(const sl_module *m) {
    size_t len;
    const uint8_t *p = sl_custom_section(m->bytes, m->len, "sluice.fn", &len);
    if (!p) return;
    while (len && p[len - 1] == ' ')
        len--; /* the Rust SDK's padding */
    printf("sluice.fn: ");
    for (size_t i = 0; i < len; i++) /* JSON text, shown as is but for unprintable bytes */
        if (p[i] >= 0x20 && p[i] < 0x7F)
            putchar(p[i]);
        else
            printf("\\%02x", p[i]);
    printf("\n");
}

static void print_module(const char *path, const sl_module *m) {
    printf("%s: %zu bytes, valid\n", path, m->len);
    print_sections(m);
    print_declared(m);

    printf("types (%" PRIu32 "):\n", m->ntypes);
    for (uint32_t i = 0; i < m->ntypes; i++) {
        printf("  %" PRIu32 ": ", i);
        print_functype(&m->types[i].ft);
        printf("\n");
    }

    printf("imports (%" PRIu32 "):\n", m->nimports);
    for (uint32_t i = 0; i < m->nimports; i++) {
        const sl_import *im = &m->imports[i];
        printf("  %" PRIu32 ": ", i);
        print_name(im->module, im->module_len);
        printf(".");
        print_name(im->name, im->name_len);
        printf(" %s %" PRIu32 "\n", kind_name(im->kind), im->index);
    }

    printf("functions (%" PRIu32 ", %" PRIu32 " imported):\n", m->nfuncs, m->nimported_funcs);
    for (uint32_t i = 0; i < m->nfuncs; i++) {
        printf("  %" PRIu32 ": type %" PRIu32 " ", i, m->func_types[i]);
        print_functype(sl_module_functype(m, i));
        if (i < m->nimported_funcs) {
            printf(" imported");
        } else {
            const sl_funcbody *b = &m->bodies[i - m->nimported_funcs];
            printf(", %" PRIu32 " locals, %" PRIu32 " bytes of code at 0x%" PRIx32, b->nlocals,
                   b->code_len, b->code_offset);
        }
        if (m->func_names && m->func_names[i]) printf(" $%s", m->func_names[i]);
        printf("\n");
    }

    printf("tables (%" PRIu32 "):\n", m->ntables);
    for (uint32_t i = 0; i < m->ntables; i++) {
        printf("  %" PRIu32 ": %s ", i, sl_valtype_name(m->tables[i].elem));
        print_limits(&m->tables[i].limits, "elements");
        printf("%s\n", i < m->nimported_tables ? " imported" : "");
    }

    printf("memories (%" PRIu32 "):\n", m->nmemories);
    for (uint32_t i = 0; i < m->nmemories; i++) {
        printf("  %" PRIu32 ": ", i);
        print_limits(&m->memories[i], "pages");
        printf("%s\n", i < m->nimported_memories ? " imported" : "");
    }

    printf("globals (%" PRIu32 "):\n", m->nglobals);
    for (uint32_t i = 0; i < m->nglobals; i++) {
        const sl_global_def *g = &m->globals[i];
        printf("  %" PRIu32 ": %s%s", i, g->type.mut ? "mut " : "", sl_valtype_name(g->type.type));
        if (i < m->nimported_globals) {
            printf(" imported");
        } else {
            printf(" = ");
            print_const(&g->init);
        }
        printf("\n");
    }

    printf("exports (%" PRIu32 "):\n", m->nexports);
    for (uint32_t i = 0; i < m->nexports; i++) {
        printf("  ");
        print_name(m->exports[i].name, m->exports[i].name_len);
        printf(" %s %" PRIu32 "\n", kind_name(m->exports[i].kind), m->exports[i].index);
    }

    if (m->has_start) printf("start: func %" PRIu32 "\n", m->start);

    printf("elem segments (%" PRIu32 "):\n", m->nelems);
    for (uint32_t i = 0; i < m->nelems; i++) {
        const sl_elem *e = &m->elems[i];
        printf("  %" PRIu32 ": %s, %" PRIu32 " %s item(s)", i, mode_name(e->mode), e->count,
               sl_valtype_name(e->type));
        if (e->mode == SL_SEG_ACTIVE) {
            printf(", table %" PRIu32 " at ", e->table);
            print_const(&e->offset);
        }
        printf("\n");
    }

    printf("data segments (%" PRIu32 "%s):\n", m->ndatas,
           m->has_datacount ? ", with data count" : "");
    for (uint32_t i = 0; i < m->ndatas; i++) {
        const sl_data *d = &m->datas[i];
        printf("  %" PRIu32 ": %s, %" PRIu32 " bytes", i, mode_name(d->mode), d->len);
        if (d->mode == SL_SEG_ACTIVE) {
            printf(", memory %" PRIu32 " at ", d->memory);
            print_const(&d->offset);
        }
        printf("\n");
    }
}

int cmd_inspect(int argc, char **argv) {
    if (wants_help(argc, argv)) {
        fputs(INSPECT_USAGE, stdout);
        return SL_EXIT_OK;
    }
    if (argc != 2) {
        fputs(INSPECT_USAGE, stderr);
        return SL_EXIT_USAGE;
    }
    const char *path = argv[1];
    sl_module m;
    memset(&m, 0, sizeof m);
    if (!(m.bytes = slurp(path, &m.len))) return SL_EXIT_USAGE;
    /* decode + validate only: nothing here needs compiled code or an engine */
    sl_error err;
    memset(&err, 0, sizeof err);
    sl_status st = sl_decode(&m, &err);
    if (st == SL_OK) st = sl_validate(&m, &err);
    int code = SL_EXIT_OK;
    if (st == SL_OK)
        print_module(path, &m);
    else
        code = report(path, &err);
    sl_module_clear(&m); /* frees m.bytes too */
    return code;
}
