/*
 * helpers.c - see helpers.h.
 */
#include "helpers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void collect_bad(void *ctx, const sl_bad_record *r) {
    collector *c = ctx;
    if (c->nbad == 64) return;
    bad_line *b = &c->bad[c->nbad++];
    b->len = r->len < sizeof b->raw - 1 ? r->len : sizeof b->raw - 1;
    memcpy(b->raw, r->raw, b->len);
    b->raw[b->len] = '\0';
    b->line = r->line;
    b->pos = r->pos;
    snprintf(b->reason, sizeof b->reason, "%s", r->reason);
}

void collect_batch(void *ctx, sl_batch *b) {
    collector *c = ctx;
    if (c->nbatches == 64) {
        sl_batch_free(b);
        return;
    }
    c->batches[c->nbatches++] = b;
}

void collector_free(collector *c) {
    for (int i = 0; i < c->nbatches; i++)
        sl_batch_free(c->batches[i]);
    c->nbatches = 0;
}

static char *text_str(sl_buf *t) {
    char *s = malloc(t->len + 1);
    if (t->len) memcpy(s, t->data, t->len);
    s[t->len] = '\0';
    sl_buf_free(t);
    return s;
}

char *row_json(const sl_batch *b, uint32_t i) {
    sl_buf t = {0};
    if (!sl_json_encode_record(b, i, &t)) abort();
    return text_str(&t);
}

char *batch_lines(const sl_batch *b) {
    sl_buf t = {0};
    if (b && !sl_json_encode(b, SL_JSON_LINES, &t)) abort();
    return text_str(&t);
}

bool check_str(const char *got, const char *want, const char *expr, const char *file, int line) {
    bool ok = got && strcmp(got, want) == 0;
    if (!ok)
        check_note("%s:%d: %s\n    got:  %s\n    want: %s", file, line, expr, got ? got : "(null)",
                   want);
    check_result(ok, expr, file, line);
    free((void *)got);
    return ok;
}
