/* mixmark.c - a CoreMark-style mixed integer workload (written from scratch): each iteration
 * runs linked-list operations (find, reverse, merge sort by two keys), small int16 matrix
 * operations, a token-classifying state machine over a generated string, and folds every
 * result into a CRC-16. Pointer chasing, branches, small multiplies, bit operations.
 * Usage: mixmark [ITERATIONS]   (default 5000) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- CRC-16/CCITT (polynomial 0x1021), bit by bit ---- */

static uint16_t crc16_byte(uint16_t crc, uint8_t b) {
    crc ^= (uint16_t)(b << 8);
    for (int i = 0; i < 8; i++)
        crc = crc & 0x8000 ? (uint16_t)(crc << 1 ^ 0x1021) : (uint16_t)(crc << 1);
    return crc;
}
static uint16_t crc16_u16(uint16_t crc, uint16_t v) {
    return crc16_byte(crc16_byte(crc, (uint8_t)v), (uint8_t)(v >> 8));
}
static uint16_t crc16_u32(uint16_t crc, uint32_t v) {
    return crc16_u16(crc16_u16(crc, (uint16_t)v), (uint16_t)(v >> 16));
}

/* ---- Linked list ---- */

typedef struct lnode {
    struct lnode *next;
    int16_t key;
    uint16_t value;
} lnode;

enum { LIST_NODES = 300 };

static lnode *list_build(lnode *pool, int n, uint32_t seed) {
    lnode *head = NULL;
    for (int i = n - 1; i >= 0; i--) {
        seed = seed * 1103515245u + 12345u;
        pool[i].key = (int16_t)i;
        pool[i].value = (uint16_t)(seed >> 16);
        pool[i].next = head;
        head = &pool[i];
    }
    return head;
}

static lnode *list_find(lnode *l, int16_t key, uint16_t value, int by_value) {
    for (; l; l = l->next)
        if (by_value ? l->value == value : l->key == key) return l;
    return NULL;
}

static lnode *list_reverse(lnode *l) {
    lnode *prev = NULL;
    while (l) {
        lnode *next = l->next;
        l->next = prev;
        prev = l;
        l = next;
    }
    return prev;
}

static int cmp_value(const lnode *a, const lnode *b) {
    /* Order by a scrambled value so it is not simply the insertion order. */
    uint16_t x = (uint16_t)(a->value ^ 0x5a5a), y = (uint16_t)(b->value ^ 0x5a5a);
    return x < y ? -1 : x > y;
}
static int cmp_key(const lnode *a, const lnode *b) {
    return a->key - b->key;
}

/* Bottom-up merge sort of a singly linked list, stable. */
static lnode *list_sort(lnode *l, int (*cmp)(const lnode *, const lnode *)) {
    for (int width = 1;; width *= 2) {
        lnode *p = l, *head = NULL, **tail = &head;
        int merges = 0;
        while (p) {
            merges++;
            lnode *q = p;
            int psize = 0, qsize = width;
            for (int i = 0; i < width && q; i++)
                q = q->next, psize++;
            while (psize > 0 || (qsize > 0 && q)) {
                lnode *e;
                if (psize == 0)
                    e = q, q = q->next, qsize--;
                else if (qsize == 0 || !q)
                    e = p, p = p->next, psize--;
                else if (cmp(p, q) <= 0)
                    e = p, p = p->next, psize--;
                else
                    e = q, q = q->next, qsize--;
                *tail = e;
                tail = &e->next;
            }
            p = q;
        }
        *tail = NULL;
        l = head;
        if (merges <= 1) return l;
    }
}

static uint16_t bench_list(lnode *pool, uint32_t iter, uint16_t crc) {
    lnode *l = list_build(pool, LIST_NODES, iter * 7 + 1);
    int found = 0, missed = 0;
    for (int i = 0; i < 40; i++) {
        lnode *f = list_find(l, (int16_t)((i * 37 + (int)iter) % (LIST_NODES + 20)), 0, 0);
        if (f)
            found++, crc = crc16_u16(crc, f->value);
        else
            missed++;
        f = list_find(l, 0, (uint16_t)(iter * 2654435761u >> 16), 1);
        if (f) found++;
    }
    l = list_reverse(l);
    l = list_sort(l, cmp_value);
    uint32_t pos = 0;
    for (lnode *p = l; p; p = p->next, pos++)
        if ((pos & 15) == 0) crc = crc16_u16(crc, (uint16_t)p->key);
    l = list_sort(l, cmp_key);
    for (lnode *p = l; p && p->next; p = p->next)
        if (p->key > p->next->key) crc ^= 0xdead; /* never: the list must be in key order */
    return crc16_u32(crc, (uint32_t)found << 16 | (uint32_t)missed);
}

/* ---- Matrix ---- */

enum { MN = 24 };

static uint16_t bench_matrix(int16_t a[MN][MN], int16_t b[MN][MN], int32_t c[MN][MN], uint32_t iter,
                             uint16_t crc) {
    int16_t k = (int16_t)(iter & 0xff);
    for (int i = 0; i < MN; i++)
        for (int j = 0; j < MN; j++)
            a[i][j] = (int16_t)(a[i][j] + k);
    /* C = A * B */
    for (int i = 0; i < MN; i++)
        for (int j = 0; j < MN; j++) {
            int32_t s = 0;
            for (int t = 0; t < MN; t++)
                s += (int32_t)a[i][t] * b[t][j];
            c[i][j] = s;
        }
    int32_t total = 0;
    for (int i = 0; i < MN; i++)
        for (int j = 0; j < MN; j++)
            total += c[i][j] > 0 ? c[i][j] >> 4 : -(c[i][j] & 0xff);
    crc = crc16_u32(crc, (uint32_t)total);
    /* C = A * vector, then bit-field extraction from each product. */
    for (int i = 0; i < MN; i++) {
        int32_t s = 0;
        for (int t = 0; t < MN; t++)
            s += (int32_t)a[i][t] * b[0][t];
        crc = crc16_u16(crc, (uint16_t)((s >> 3) & 0x7f) | (uint16_t)(((s >> 11) & 0x3f) << 7));
    }
    for (int i = 0; i < MN; i++)
        for (int j = 0; j < MN; j++)
            a[i][j] = (int16_t)(a[i][j] - k);
    return crc;
}

/* ---- State machine over a token string ---- */

enum st { S_START, S_SIGN, S_INT, S_DOT, S_FRAC, S_EXP, S_EXPSIGN, S_EXPINT, S_BAD, S_COUNT };

static enum st step(enum st s, char ch) {
    int digit = ch >= '0' && ch <= '9';
    switch (s) {
    case S_START:
        if (ch == '+' || ch == '-') return S_SIGN;
        return digit ? S_INT : ch == '.' ? S_DOT : S_BAD;
    case S_SIGN: return digit ? S_INT : ch == '.' ? S_DOT : S_BAD;
    case S_INT:
        return digit ? S_INT : ch == '.' ? S_FRAC : (ch == 'e' || ch == 'E') ? S_EXP : S_BAD;
    case S_DOT: return digit ? S_FRAC : S_BAD;
    case S_FRAC: return digit ? S_FRAC : (ch == 'e' || ch == 'E') ? S_EXP : S_BAD;
    case S_EXP: return digit ? S_EXPINT : (ch == '+' || ch == '-') ? S_EXPSIGN : S_BAD;
    case S_EXPSIGN:
    case S_EXPINT: return digit ? S_EXPINT : S_BAD;
    default: return S_BAD;
    }
}

static uint16_t bench_state(char *text, size_t len, uint32_t iter, uint16_t crc) {
    uint32_t finals[S_COUNT] = {0}, transitions = 0;
    /* Corrupt every 41st character (differently each iteration), scan, then restore. */
    char saved[4096];
    size_t ns = 0;
    for (size_t i = iter % 41; i < len && ns < sizeof saved; i += 41) {
        saved[ns++] = text[i];
        if (text[i] != ',') text[i] = "9.e-x+"[(i + iter) % 6];
    }
    enum st s = S_START;
    for (size_t i = 0; i < len; i++) {
        if (text[i] == ',') {
            finals[s]++;
            s = S_START;
            continue;
        }
        enum st n = step(s, text[i]);
        transitions += n != s;
        s = n;
    }
    finals[s]++;
    ns = 0;
    for (size_t i = iter % 41; i < len && ns < sizeof saved; i += 41)
        text[i] = saved[ns++];
    for (int i = 0; i < S_COUNT; i++)
        crc = crc16_u32(crc, finals[i]);
    return crc16_u32(crc, transitions);
}

static size_t gen_text(char *out, size_t cap) {
    static const char *forms[] = {"%u", "-%u", "%u.%u", "+%u.%ue%u", ".%u", "%ue-%u", "%ux%u"};
    uint32_t x = 42;
    size_t len = 0;
    while (len + 40 < cap) {
        x = x * 1664525u + 1013904223u;
        const char *f = forms[(x >> 24) % 7];
        int n = snprintf(out + len, cap - len, f, (x >> 4) % 1000, (x >> 12) % 97, (x >> 7) % 30);
        len += (size_t)n;
        out[len++] = ',';
    }
    out[len] = 0;
    return len;
}

int main(int argc, char **argv) {
    uint32_t iterations = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 5000;
    static lnode pool[LIST_NODES];
    static int16_t a[MN][MN], b[MN][MN];
    static int32_t c[MN][MN];
    static char text[8192];
    for (int i = 0; i < MN; i++)
        for (int j = 0; j < MN; j++) {
            a[i][j] = (int16_t)((i * 31 + j * 17) % 199 - 99);
            b[i][j] = (int16_t)((i * 13 + j * 29 + 7) % 211 - 105);
        }
    size_t len = gen_text(text, sizeof text);
    uint16_t crc_list = 0xffff, crc_matrix = 0xffff, crc_state = 0xffff, crc = 0;
    for (uint32_t it = 0; it < iterations; it++) {
        crc_list = bench_list(pool, it, crc_list);
        crc_matrix = bench_matrix(a, b, c, it, crc_matrix);
        crc_state = bench_state(text, len, it, crc_state);
        crc = crc16_u16(crc16_u16(crc16_u16(crc, crc_list), crc_matrix), crc_state);
    }
    printf("mixmark x%u: list=%04x matrix=%04x state=%04x final=%04x\n", iterations, crc_list,
           crc_matrix, crc_state, crc);
    return 0;
}
