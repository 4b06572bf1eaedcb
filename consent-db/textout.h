/*
 * textout — private to consent-db: writing values safely into CSV and JSON
 * (quoting, escaping), so no output format is built by pasting raw input.
 */
#ifndef CONSENT_DB_TEXTOUT_H
#define CONSENT_DB_TEXTOUT_H

#include <stdio.h>

/* One CSV field, quoted when it holds a comma, quote, CR, LF or edge blank. */
void textout_csv_field(FILE *out, const char *value);

/* One JSON string with its quotes; control characters as \uXXXX. The input
 * is UTF-8 (the store validates it); stray bytes >= 0x80 are passed on. */
void textout_json_string(FILE *out, const char *value);

#endif
