/* log.h - the log line of the server and of pipelines, on stderr. */
#ifndef SL_BASE_LOG_H
#define SL_BASE_LOG_H

/* "TIME sluice: MESSAGE", written with one write so that threads' lines never interleave. */
void sl_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
