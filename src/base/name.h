/* name.h - names of functions, aliases and pipelines: [a-z0-9][a-z0-9_-]{0,62}, safe in a
 * URL path, a file name and a Prometheus label alike. */
#ifndef SL_BASE_NAME_H
#define SL_BASE_NAME_H

#include <stdbool.h>

#define SL_NAME_MAX 63

bool sl_name_ok(const char *name);

#endif
