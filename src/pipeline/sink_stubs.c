/* sink_stubs.c - TEMPORARY: placeholders while sink_http.c is written (the archive's
 * sink_http.o, sorted first, wins once it exists). To be deleted. */
#include "pipeline/sink.h"

sl_sink *sl_sink_http_open(const sl_conf_ctx *c, const json_t *section) {
    sl_conf_fail(c, section, "the http sink is not built yet");
    return NULL;
}

sl_sink *sl_sink_elastic_open(const sl_conf_ctx *c, const json_t *section) {
    sl_conf_fail(c, section, "the elasticsearch sink is not built yet");
    return NULL;
}
