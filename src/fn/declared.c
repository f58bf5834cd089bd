/*
 * declared.c - reading the "sluice.fn" custom section (declared.h, docs/abi.md).
 *
 * The C SDK writes the section in pieces, one object from each object file that knows a
 * part (sluice_fn.c knows the kind it was built as, the function's SL_FN_MODES its modes),
 * and wasm-ld concatenates them; the Rust SDK writes one object padded with spaces to a
 * fixed size. Hence "objects separated by whitespace, merged". The reader is strict because
 * a declaration it half understood would silently deploy a function wrongly.
 */
#include "fn/declared.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"

static const char *const KINDS[] = {"command", "handler"};
static const char *const INPUTS[] = {"raw", "event"};
static const char *const OUTPUTS[] = {"raw", "integration"};

/* The index of s in names[0..2), or -1. */
static int lookup(const char *const names[2], const char *s) {
    for (int i = 0; i < 2; i++)
        if (s && !strcmp(names[i], s)) return i;
    return -1;
}

/* Sets *slot (-1 = not yet seen) to the value of member `key` of o, if it has one. */
static bool member(json_t *o, const char *key, const char *const names[2], int *slot,
                   const char *what, sl_error *err) {
    json_t *v = json_object_get(o, key);
    if (!v) return true;
    int i = lookup(names, json_string_value(v));
    if (i < 0)
        return sl_errorf(err, SL_ERR_INVALID,
                         "%s: its " SL_FN_SECTION " section has a bad \"%s\" (\"%s\" or \"%s\")",
                         what, key, names[0], names[1]);
    if (*slot >= 0 && *slot != i)
        return sl_errorf(err, SL_ERR_INVALID,
                         "%s: its " SL_FN_SECTION " section gives \"%s\" twice: \"%s\" and \"%s\"",
                         what, key, names[*slot], names[i]);
    *slot = i;
    return true;
}

static bool is_space(uint8_t c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool sl_fn_declared_parse(const uint8_t *text, size_t len, const char *what, sl_fn_declared *out,
                          sl_error *err) {
    memset(out, 0, sizeof *out);
    if (!what) what = "the module";
    int kind = -1, input = -1, output = -1;
    size_t pos = 0, objects = 0;
    for (;;) {
        while (pos < len && is_space(text[pos]))
            pos++;
        if (pos == len) break;
        json_error_t jerr;
        /* stops after one value: the next object, if any, follows */
        json_t *o = json_loadb((const char *)text + pos, len - pos, JSON_DISABLE_EOF_CHECK, &jerr);
        if (!o)
            return sl_errorf(err, SL_ERR_INVALID,
                             "%s: its " SL_FN_SECTION " section is not JSON: %s (at byte %zu)",
                             what, jerr.text, pos + (size_t)jerr.position);
        pos += (size_t)jerr.position;
        objects++;
        bool ok = true;
        json_t *v = json_object_get(o, "v");
        if (!json_is_object(o))
            ok = sl_errorf(err, SL_ERR_INVALID,
                           "%s: its " SL_FN_SECTION " section holds a JSON value that is not an "
                           "object",
                           what);
        else if (!json_is_integer(v))
            ok = sl_errorf(err, SL_ERR_INVALID,
                           "%s: its " SL_FN_SECTION " section has an object without \"v\"", what);
        else if (json_integer_value(v) != SL_FN_SECTION_VERSION)
            ok = sl_errorf(err, SL_ERR_INVALID,
                           "%s: its " SL_FN_SECTION " section has version %lld; this sluice "
                           "reads version %d (a newer SDK built it?)",
                           what, (long long)json_integer_value(v), SL_FN_SECTION_VERSION);
        const char *key;
        json_t *val;
        json_object_foreach(ok ? o : NULL, key, val) {
            if (strcmp(key, "v") && strcmp(key, "kind") && strcmp(key, "input") &&
                strcmp(key, "output")) {
                ok = sl_errorf(err, SL_ERR_INVALID,
                               "%s: its " SL_FN_SECTION " section has an unknown member \"%s\"",
                               what, key);
                break;
            }
        }
        ok = ok && member(o, "kind", KINDS, &kind, what, err) &&
             member(o, "input", INPUTS, &input, what, err) &&
             member(o, "output", OUTPUTS, &output, what, err);
        json_decref(o);
        if (!ok) return false;
    }
    if (!objects)
        return sl_errorf(err, SL_ERR_INVALID, "%s: its " SL_FN_SECTION " section is empty", what);
    out->present = true;
    out->has_kind = kind >= 0;
    out->kind = kind > 0 ? SL_FN_HANDLER : SL_FN_COMMAND;
    out->input = input > 0 ? SL_INPUT_EVENT : SL_INPUT_RAW;
    out->output = output > 0 ? SL_OUTPUT_INTEGRATION : SL_OUTPUT_RAW;
    return true;
}

bool sl_fn_declared_read(const uint8_t *module, size_t len, const char *what, sl_fn_declared *out,
                         sl_error *err) {
    memset(out, 0, sizeof *out);
    size_t n;
    const uint8_t *p = sl_custom_section(module, len, SL_FN_SECTION, &n);
    return p ? sl_fn_declared_parse(p, n, what, out, err) : true;
}

char *sl_fn_declared_to_text(const sl_fn_declared *d) {
    if (!d->present) return NULL;
    char buf[128], kind[32] = "";
    if (d->has_kind)
        snprintf(kind, sizeof kind, ",\"kind\":\"%s\"", KINDS[d->kind == SL_FN_HANDLER]);
    snprintf(buf, sizeof buf, "{\"v\":%d%s,\"input\":\"%s\",\"output\":\"%s\"}",
             SL_FN_SECTION_VERSION, kind, INPUTS[d->input], OUTPUTS[d->output]);
    return strdup(buf);
}

json_t *sl_fn_declared_json(const sl_fn_declared *d) {
    if (!d->present) return json_null();
    json_t *o = json_pack("{s:s, s:s}", "input", INPUTS[d->input], "output", OUTPUTS[d->output]);
    if (o && d->has_kind)
        json_object_set_new(o, "kind", json_string(KINDS[d->kind == SL_FN_HANDLER]));
    return o;
}

/* The value of KEY=... in the config's environment, or NULL. */
static const char *env_value(const sl_fn_config *cfg, const char *key) {
    size_t n = strlen(key);
    const char *v = NULL;
    for (uint32_t i = 0; i < cfg->nenv; i++)
        if (!strncmp(cfg->env[i], key, n) && cfg->env[i][n] == '=') v = cfg->env[i] + n + 1;
    return v; /* the last one, as the guest's getenv sees it */
}

bool sl_fn_declared_apply(const sl_fn_declared *in, const char *what, unsigned given,
                          sl_fn_config *cfg, sl_error *err) {
    if (!in->present) return true;
    if (!what) what = "the module";
    /* An SDK-built command takes SLUICE_INPUT_MODE and SLUICE_OUTPUT_MODE from its
     * environment over its declared modes (docs/abi.md), so a deployment that sets them
     * declares those modes itself. */
    sl_fn_declared eff = *in;
    const sl_fn_declared *d = &eff;
    sl_fn_kind kind = (given & SL_FN_GIVEN_KIND) || !d->has_kind ? cfg->kind : d->kind;
    if (kind == SL_FN_COMMAND) {
        int i = lookup(INPUTS, env_value(cfg, "SLUICE_INPUT_MODE"));
        int o = lookup(OUTPUTS, env_value(cfg, "SLUICE_OUTPUT_MODE"));
        if (i >= 0) eff.input = i ? SL_INPUT_EVENT : SL_INPUT_RAW;
        if (o >= 0) eff.output = o ? SL_OUTPUT_INTEGRATION : SL_OUTPUT_RAW;
    }
    /* the contradictions, listed the way the declaration is */
    char bad[160] = "";
    int nbad = 0;
    const char *items[3];
    char texts[3][48];
    if ((given & SL_FN_GIVEN_KIND) && d->has_kind && cfg->kind != d->kind)
        snprintf(texts[nbad], sizeof texts[nbad], "kind \"%s\"", KINDS[cfg->kind == SL_FN_HANDLER]),
            items[nbad] = texts[nbad], nbad++;
    if ((given & SL_FN_GIVEN_INPUT) && cfg->input != d->input)
        snprintf(texts[nbad], sizeof texts[nbad], "input \"%s\"", INPUTS[cfg->input]),
            items[nbad] = texts[nbad], nbad++;
    if ((given & SL_FN_GIVEN_OUTPUT) && cfg->output != d->output)
        snprintf(texts[nbad], sizeof texts[nbad], "output \"%s\"", OUTPUTS[cfg->output]),
            items[nbad] = texts[nbad], nbad++;
    if (nbad) {
        size_t n = 0;
        for (int i = 0; i < nbad; i++)
            n += (size_t)snprintf(bad + n, sizeof bad - n, "%s%s",
                                  i == 0          ? ""
                                  : i == nbad - 1 ? " and "
                                                  : ", ",
                                  items[i]);
        char kind[32] = "";
        if (d->has_kind)
            snprintf(kind, sizeof kind, "kind \"%s\", ", KINDS[d->kind == SL_FN_HANDLER]);
        return sl_errorf(err, SL_ERR_INVALID,
                         "%s declares %sinput \"%s\" and output \"%s\" (its " SL_FN_SECTION
                         " section); the requested %s %s it",
                         what, kind, INPUTS[d->input], OUTPUTS[d->output], bad,
                         nbad > 1 ? "contradict" : "contradicts");
    }
    if (d->has_kind) cfg->kind = d->kind;
    cfg->input = d->input;
    cfg->output = d->output;
    return true;
}
