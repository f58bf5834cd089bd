/*
 * json_text.h - the bytes of JSON strings, as the encoder writes them and the reader checks
 * them: which bytes need a look, and what UTF-8 is valid.
 */
#ifndef SL_PIPELINE_JSON_TEXT_H
#define SL_PIPELINE_JSON_TEXT_H

#include <stddef.h>

/* The length of the valid UTF-8 sequence at s (s[0] >= 0x80), or 0. */
size_t sl_utf8_seq(const unsigned char *s, const unsigned char *end);
/* 1 for a byte that cannot go into a JSON string as it is (control, '"', '\\', non-ASCII):
 * the encoder escapes or checks it, the reader ends, unescapes or checks there. */
extern const unsigned char sl_json_special[256];

#endif
