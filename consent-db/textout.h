/*
 * textout — private to consent-db: writing values safely into CSV and JSON
 * (quoting, escaping), so no output format is built by pasting raw input.
 * What a terminal or log must never receive raw (control characters, C1,
 * line separators, bidirectional overrides, bytes that are no UTF-8) is
 * decided in one place, textout.c; store.h exports the plain-text form
 * (store_text_escape, store_text_print) for the milter's log and
 * consentctl's tables.
 */
#ifndef CONSENT_DB_TEXTOUT_H
#define CONSENT_DB_TEXTOUT_H

#include <stdbool.h>
#include <stdio.h>

/* Does v begin, after any single quotes, with = + - @ TAB or CR? */
bool textout_csv_needs_guard(const char *v);

/* A field as read from CSV, without the guard quote the CSV writers put
 * before a formula-like value: v + 1 where v is ' followed by a value that
 * needs the guard, else v. So import reads back what export wrote, and a
 * field that merely begins with ' stays as it is. */
const char *textout_csv_unguard(const char *v);

/* One CSV field, quoted when it holds a comma, quote, CR, LF or edge blank,
 * every byte kept as it is: for export, whose file import --restore must
 * read back exactly (a control character in an evidence text included).
 * A value a spreadsheet would run as a formula (textout_csv_needs_guard)
 * is written quoted with a ' before it: "'=HYPERLINK(...)". */
void textout_csv_field(FILE *out, const char *value);

/* The same with CR, LF and TAB escaped too (\r, \n, \t): for reports read
 * on a terminal or in a spreadsheet (the audit). */
void textout_csv_text(FILE *out, const char *value);

/* One JSON string with its quotes; unsafe characters (controls, C1, line
 * separators, bidirectional overrides) as \uXXXX, a byte that is no UTF-8
 * as the \u00XX of its value. */
void textout_json_string(FILE *out, const char *value);

#endif
