/*
 * csv.h - an incremental CSV parser (RFC 4180) that appends records to batches.
 *
 * Feed it bytes in chunks of any size (a record may span chunks); it appends each complete
 * record to the caller's batch, with pos = the stream offset just after the record's line
 * break, so that a file source can resume there (sl_parser_seek).
 *
 * Syntax: fields are separated by the delimiter (',' unless set), records by LF or CRLF. A field
 * that starts with '"' is quoted: it ends at the next lone '"', may hold delimiters and line
 * breaks, and "" stands for one '"'; a '"' elsewhere in an unquoted field is an ordinary
 * character. A CR before a record's LF is dropped; other CRs are data. Blank lines are skipped.
 *
 * Values: an empty unquoted field is SL_F_NULL; so is an empty quoted field ("") in a typed
 * column, while in a string column it is the empty string. Declared types read as: int
 * [+-]digits; float decimal or exponent notation, inf, nan; bool true/false/t/f/yes/no/1/0 (any
 * case); timestamp ISO 8601 (sl_parse_time); spaces around numbers, bools and timestamps are
 * ignored. Undeclared (SL_F_NULL) and string columns keep the field's bytes.
 *
 * Bad lines do not stop parsing: a record with the wrong number of fields, a value that does
 * not read as its column's type, text after a closing quote, a quote left open at the end of
 * the input, or a line longer than max_line goes to on_bad with its bytes, line number and
 * reason, and parsing goes on with the next line. Only a bad header, a misused batch and
 * running out of memory stop the parser (sl_parser_bytes returns false; sl_parser_error says
 * why).
 */
#ifndef SL_PIPELINE_CSV_H
#define SL_PIPELINE_CSV_H

#include "pipeline/parser.h"

typedef struct sl_csv_opts {
    char delim;  /* field delimiter; 0 = ',' (not '"', CR or LF) */
    bool header; /* the first line names the columns */
    /* Declared columns. Without a header they are the schema (ncols > 0 needed); with one,
     * they give types to the header's columns of those names (each must be in the header),
     * and the other columns are strings. types may be NULL (all strings). */
    const char *const *names;
    const sl_ftype *types;
    uint32_t ncols;
    size_t max_line;    /* longest record in bytes, line breaks excluded; 0 = 1 MiB */
    uint32_t batch_cap; /* capacity of the batches the parser makes; 0 = 1024 */
    /* When on_batch is set and a batch holds batch_max records (0 = no limit), it is handed to
     * on_batch and the next record starts a new batch. */
    uint32_t batch_max;
    sl_batch_fn on_batch;
    sl_bad_record_fn on_bad; /* may be NULL: bad lines are then only counted */
    void *ctx;               /* for on_batch and on_bad */
} sl_csv_opts;

/* A CSV parser (parser.h: fed with sl_parser_bytes, freed with sl_parser_free); NULL (and
 * the reason in err) when the options are invalid or memory is short. A batch the caller
 * gives must have the schema sl_parser_schema returns (declared, or from the header: NULL
 * while the header has not been read). seek is for resuming a file past its header after
 * feeding the header line. */
sl_parser *sl_csv_new(const sl_csv_opts *opts, sl_error *err);

/* The format `csv` of a pipeline's parser section (header, columns, delimiter, max_line). */
extern const sl_parser_ops sl_csv_parser;

#endif
