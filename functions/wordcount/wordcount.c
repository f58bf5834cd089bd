/*
 * wordcount.c - counts the lines, words and bytes of the body and its most frequent words.
 * Raw input and output; the answer is JSON:
 *     {"lines":L,"words":W,"bytes":B,"unique":U,"top":[["word",count],...]}
 * A word is a maximal run of letters, digits, apostrophes and non-ASCII bytes (so UTF-8
 * words stay whole); ASCII letters are lowercased. "top" lists at most 10 words, the most
 * frequent first, ties in byte order. Lines are counted as `wc -l` does (newlines).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sluice_fn.h"

typedef struct entry {
    char *word; /* NULL: an empty slot */
    size_t len, count;
} entry;

typedef struct table {
    entry *slots;
    size_t cap, used;
} table;

static uint32_t hash(const char *s, size_t n) {
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

static bool grow(table *t) {
    size_t cap = t->cap ? t->cap * 2 : 256;
    entry *s = calloc(cap, sizeof *s);
    if (!s) return false;
    for (size_t i = 0; i < t->cap; i++) {
        if (!t->slots[i].word) continue;
        size_t j = hash(t->slots[i].word, t->slots[i].len) & (cap - 1);
        while (s[j].word)
            j = (j + 1) & (cap - 1);
        s[j] = t->slots[i];
    }
    free(t->slots);
    t->slots = s;
    t->cap = cap;
    return true;
}

static bool add(table *t, const char *w, size_t n) {
    if ((t->used + 1) * 4 > t->cap * 3 && !grow(t)) return false;
    size_t j = hash(w, n) & (t->cap - 1);
    while (t->slots[j].word) {
        if (t->slots[j].len == n && !memcmp(t->slots[j].word, w, n)) {
            t->slots[j].count++;
            return true;
        }
        j = (j + 1) & (t->cap - 1);
    }
    char *copy = malloc(n + 1);
    if (!copy) return false;
    memcpy(copy, w, n);
    copy[n] = 0;
    t->slots[j] = (entry){copy, n, 1};
    t->used++;
    return true;
}

static int by_count(const void *pa, const void *pb) {
    const entry *a = pa, *b = pb;
    if (a->count != b->count) return a->count > b->count ? -1 : 1;
    size_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->word, b->word, n);
    return c ? c : (a->len > b->len) - (a->len < b->len);
}

static bool word_byte(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '\'' || c >= 0x80;
}

int sl_fn_handle(const sl_fn_request *req, sl_fn_response *res) {
    const char *s = req->body;
    size_t len = req->body_len, lines = 0, words = 0;
    table t = {0};
    char *w = malloc(len + 1);
    bool ok = w != NULL;
    for (size_t i = 0; ok && i < len;) {
        if (s[i] == '\n') lines++;
        if (!word_byte((unsigned char)s[i])) {
            i++;
            continue;
        }
        size_t n = 0;
        for (; i < len && word_byte((unsigned char)s[i]); i++)
            w[n++] = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] - 'A' + 'a') : s[i];
        words++;
        ok = add(&t, w, n);
    }
    free(w);
    size_t k = 0; /* pack the used slots to the front (then only those own a word) */
    for (size_t i = 0; i < t.cap; i++)
        if (t.slots[i].word) t.slots[k++] = t.slots[i];
    int status = 200;
    if (!ok) {
        status = sl_fn_error(res, 500, "wordcount: out of memory");
    } else {
        if (k) qsort(t.slots, k, sizeof *t.slots, by_count);
        sl_fn_printf(res, "{\"lines\":%zu,\"words\":%zu,\"bytes\":%zu,\"unique\":%zu,\"top\":[",
                     lines, words, len, t.used);
        for (size_t i = 0; i < k && i < 10; i++) {
            sl_fn_puts(res, i ? ",[\"" : "[\"");
            sl_fn_write_json_string(res, t.slots[i].word, t.slots[i].len);
            sl_fn_printf(res, "\",%zu]", t.slots[i].count);
        }
        sl_fn_puts(res, "]}\n");
    }
    for (size_t i = 0; i < k; i++)
        free(t.slots[i].word);
    free(t.slots);
    return status;
}
