/* profile.c - counting executed ops and op pairs, for tuning the instruction set.
 *
 * Only in builds with -DSL_PROFILE (`make PROFILE=1 BUILD=build/prof`): every dispatch calls
 * sl_prof_hit, and at exit the most frequent ops and adjacent pairs go to stderr. It tells
 * which superinstructions would pay; it is not part of a normal build. */
#ifdef SL_PROFILE
#include <stdio.h>
#include <stdlib.h>

#include "vm/ops.h"
#include "vm/runtime.h"

static const char *const names[SL_NUM_OPS] = {
#define P_ONE(name) [SL_I_##name] = #name,
#define P_NUM(name) [SL_I_##name] = #name,
#define P_IMM(name) [SL_I_##name##_imm] = #name "_imm",
#define P_BRS(name, inv)                                                                           \
    [SL_I_br_##name] = "br_" #name, [SL_I_br_##name##_back] = "br_" #name "_back",                 \
    [SL_I_br_##name##_imm] = "br_" #name "_imm",                                                   \
    [SL_I_br_##name##_imm_back] = "br_" #name "_imm_back",                                         \
    [SL_I_br_inc_##name##_back] = "br_inc_" #name "_back",                                         \
    [SL_I_br_inc_##name##_imm_back] = "br_inc_" #name "_imm_back",                                 \
    [SL_I_br_step_##name##_back] = "br_step_" #name "_back",                                       \
    [SL_I_br_step_##name##_imm_back] = "br_step_" #name "_imm_back",
#define P_MEM(name) [SL_I_##name] = #name, [SL_I_##name##_chk] = #name "_chk",
#define P_STO(name)                                                                                \
    P_MEM(name)[SL_I_##name##_k] = #name "_k", [SL_I_##name##_k_chk] = #name "_k_chk",
#define P_SH(outer, inner, T, op, sh)        [SL_I_##outer##_##inner] = #outer "_" #inner,
#define P_IX(name, T, st)                    [SL_I_##name##_x] = #name "_x", [SL_I_##name##_x_chk] = #name "_x_chk",
#define P_MA(name, outer, inner, T, op, iop) [SL_I_##name] = #name,
#define P_LD(name, m, T, op)                                                                       \
    [SL_I_##name##_ld] = #name "_ld", [SL_I_##name##_ld_chk] = #name "_ld_chk",
#define P_ST(name, m, T, op)                                                                       \
    [SL_I_##name##_st] = #name "_st", [SL_I_##name##_st_chk] = #name "_st_chk",
    SL_CONTROL_OPS(P_ONE) SL_NUMERIC_OPS(P_NUM) SL_IMM_OPS(P_IMM) SL_CMP_BRANCHES(P_BRS)
        SL_MEMORY_OPS(P_MEM, P_STO) SL_LOAD_BINOPS(P_LD) SL_STORE_BINOPS(P_ST) SL_SHIFT_BINOPS(P_SH)
            SL_INDEXED_LOADS(P_IX) SL_MULACC_OPS(P_MA)};

static uint64_t counts[SL_NUM_OPS], pairs[SL_NUM_OPS][SL_NUM_OPS];
static int prev = -1;

#define HASH_SIZE 4096 /* a power of two well above SL_NUM_OPS */
static const void *hash_keys[HASH_SIZE];
static int hash_ops[HASH_SIZE];

static unsigned slot_of(const void *h) {
    return (unsigned)((uintptr_t)h >> 2) & (HASH_SIZE - 1);
}

static int op_of(const void *h) {
    if (!hash_keys[slot_of(sl_interp_handlers()[0])]) {
        const void *const *t = sl_interp_handlers();
        for (int i = 0; i < SL_NUM_OPS; i++) {
            unsigned k = slot_of(t[i]);
            while (hash_keys[k])
                k = (k + 1) & (HASH_SIZE - 1);
            hash_keys[k] = t[i];
            hash_ops[k] = i;
        }
    }
    for (unsigned k = slot_of(h); hash_keys[k]; k = (k + 1) & (HASH_SIZE - 1))
        if (hash_keys[k] == h) return hash_ops[k];
    return -1;
}

typedef struct {
    uint64_t n;
    int a, b;
} row;
static int by_count(const void *x, const void *y) {
    uint64_t a = ((const row *)x)->n, b = ((const row *)y)->n;
    return a < b ? 1 : a > b ? -1 : 0;
}

static void report(void) {
    /* every pair of ops may have a row: too large for the stack, and not shared */
    row *rows = malloc((size_t)SL_NUM_OPS * SL_NUM_OPS * sizeof *rows);
    if (!rows) return;
    uint64_t total = 0;
    int n = 0;
    for (int i = 0; i < SL_NUM_OPS; i++) {
        total += counts[i];
        if (counts[i]) rows[n++] = (row){counts[i], i, -1};
    }
    qsort(rows, n, sizeof *rows, by_count);
    fprintf(stderr, "profile: %llu ops\n", (unsigned long long)total);
    for (int i = 0; i < n && i < 30; i++)
        fprintf(stderr, "  %6.2f%%  %s\n", 100.0 * rows[i].n / total, names[rows[i].a]);
    n = 0;
    for (int i = 0; i < SL_NUM_OPS; i++)
        for (int j = 0; j < SL_NUM_OPS; j++)
            if (pairs[i][j]) rows[n++] = (row){pairs[i][j], i, j};
    qsort(rows, n, sizeof *rows, by_count);
    fprintf(stderr, "pairs:\n");
    for (int i = 0; i < n && i < 30; i++)
        fprintf(stderr, "  %6.2f%%  %s -> %s\n", 100.0 * rows[i].n / total, names[rows[i].a],
                names[rows[i].b]);
    free(rows);
}

void sl_prof_hit(const void *h) {
    static int registered;
    if (!registered) {
        registered = 1;
        atexit(report);
    }
    int op = op_of(h);
    if (op < 0) return;
    counts[op]++;
    if (prev >= 0) pairs[prev][op]++;
    prev = op;
}
#else
typedef int sl_profile_unused; /* ISO C wants a translation unit to declare something */
#endif
