/*
 * csv — private to consent-db: a bounded RFC 4180 reader for imports.
 *
 * Quoted fields with "" escapes and embedded line breaks, LF or CRLF line
 * ends, a UTF-8 byte-order mark at the start skipped. A record may not
 * exceed CSV_RECORD_MAX bytes nor CSV_FIELDS_MAX fields, so a hostile file
 * costs bounded memory. It does not judge content: encoding and meaning are
 * the importer's.
 */
#ifndef CONSENT_DB_CSV_H
#define CONSENT_DB_CSV_H

#include <stddef.h>
#include <stdio.h>

#define CSV_RECORD_MAX 65536
#define CSV_FIELDS_MAX 32

typedef struct csv_reader csv_reader;

/* The reader borrows `in`; the caller closes it after csv_reader_free. */
csv_reader *csv_reader_new(FILE *in);
void csv_reader_free(csv_reader *r);

/* Reads the next record. Returns 1 with fields[0..*nfields) pointing into
 * the reader (valid until the next call) and *line the line it starts on;
 * 0 at the end of the file; -1 with err filled, starting "LINE: ". Blank
 * lines are skipped. */
int csv_next(csv_reader *r, const char *fields[CSV_FIELDS_MAX], size_t *nfields,
             long *line, char *err, size_t errsz);

#endif
