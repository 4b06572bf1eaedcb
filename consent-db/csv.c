/*
 * csv — RFC 4180 as a byte-at-a-time state machine over a read buffer.
 */
#include "csv.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define READ_CHUNK 65536

struct csv_reader {
    FILE *in;
    unsigned char buf[READ_CHUNK];
    size_t pos, len;
    bool eof, started;
    long line; /* line the reader is on (1-based) */
    char record[CSV_RECORD_MAX + CSV_FIELDS_MAX];
    size_t offsets[CSV_FIELDS_MAX];
};

csv_reader *csv_reader_new(FILE *in)
{
    csv_reader *r = calloc(1, sizeof *r);
    if (r != NULL) {
        r->in = in;
        r->line = 1;
    }
    return r;
}

void csv_reader_free(csv_reader *r)
{
    free(r);
}

/* Next byte, or -1 at end of input (or on a read error, which the caller
 * sees through ferror). */
static int next_byte(csv_reader *r)
{
    if (r->pos == r->len) {
        if (r->eof)
            return -1;
        r->len = fread(r->buf, 1, sizeof r->buf, r->in);
        r->pos = 0;
        if (r->len == 0) {
            r->eof = true;
            return -1;
        }
    }
    return r->buf[r->pos++];
}

static int peek_byte(csv_reader *r)
{
    int c = next_byte(r);
    if (c >= 0)
        r->pos--;
    return c;
}

int csv_next(csv_reader *r, const char *fields[CSV_FIELDS_MAX], size_t *nfields,
             long *line, char *err, size_t errsz)
{
    if (!r->started) { /* skip a UTF-8 byte-order mark */
        r->started = true;
        if (peek_byte(r) == 0xEF && r->len - r->pos >= 3 &&
            memcmp(r->buf + r->pos, "\xEF\xBB\xBF", 3) == 0)
            r->pos += 3;
    }
    /* skip blank lines */
    for (;;) {
        int c = peek_byte(r);
        if (c == '\n') {
            next_byte(r);
            r->line++;
        } else if (c == '\r') {
            next_byte(r);
        } else if (c < 0) {
            if (ferror(r->in)) {
                snprintf(err, errsz, "%ld: read error", r->line);
                return -1;
            }
            return 0;
        } else {
            break;
        }
    }

    *line = r->line;
    size_t used = 0, nf = 0;
    r->offsets[nf++] = 0;
    bool quoted = false, field_start = true, after_quote = false;
    for (;;) {
        int c = next_byte(r);
        if (c < 0) {
            if (ferror(r->in)) {
                snprintf(err, errsz, "%ld: read error", r->line);
                return -1;
            }
            if (quoted) {
                snprintf(err, errsz, "%ld: a quoted field is not closed before the end",
                         *line);
                return -1;
            }
            break;
        }
        if (quoted) {
            if (c == '"') {
                if (peek_byte(r) == '"') {
                    next_byte(r);
                } else {
                    quoted = false;
                    after_quote = true;
                    continue;
                }
            } else if (c == '\n') {
                r->line++;
            }
        } else {
            if (c == '\r' && peek_byte(r) == '\n')
                continue;
            if (c == '\n') {
                r->line++;
                break;
            }
            if (c == ',') {
                if (nf == CSV_FIELDS_MAX) {
                    snprintf(err, errsz, "%ld: more than %d fields", *line, CSV_FIELDS_MAX);
                    return -1;
                }
                r->record[used++] = '\0';
                r->offsets[nf++] = used;
                field_start = true;
                after_quote = false;
                continue;
            }
            if (after_quote) {
                snprintf(err, errsz, "%ld: field %zu: text after a closing quote", *line,
                         nf);
                return -1;
            }
            if (c == '"') {
                if (!field_start) {
                    snprintf(err, errsz,
                             "%ld: field %zu: a quote inside an unquoted field", *line, nf);
                    return -1;
                }
                quoted = true;
                field_start = false;
                continue;
            }
        }
        field_start = false;
        if (c == '\0') {
            snprintf(err, errsz, "%ld: field %zu: a NUL byte", *line, nf);
            return -1;
        }
        if (used >= CSV_RECORD_MAX) {
            snprintf(err, errsz, "%ld: record longer than %d bytes", *line, CSV_RECORD_MAX);
            return -1;
        }
        r->record[used++] = (char)c;
    }
    r->record[used] = '\0';
    for (size_t i = 0; i < nf; i++)
        fields[i] = r->record + r->offsets[i];
    *nfields = nf;
    return 1;
}
