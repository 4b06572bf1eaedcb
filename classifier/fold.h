/*
 * fold — private to the classifier: turns text into the form keywords are
 * matched in. Lower case, umlauts spelt out (ä -> ae, ß -> ss, so "Rückruf"
 * and "Rueckruf" are one word), accents dropped, every run of anything that
 * is not a letter, digit or '%' reduced to one space.
 *
 * Accepts any bytes: invalid UTF-8 is read as Windows-1252, since that is
 * what unlabelled or mislabelled 8-bit mail almost always is.
 */
#ifndef CONSENT_CLASSIFIER_FOLD_H
#define CONSENT_CLASSIFIER_FOLD_H

#include <glib.h>
#include <stddef.h>

/* Appends the folded form of text[0..len) to out, starting with a space
 * separator if out is not empty. Stops once out would exceed max bytes. */
void fold_append(GString *out, const char *text, size_t len, size_t max);

/* The same, and for each of the n offsets in stops (ascending, into text)
 * sets folded_at[k] to the offset in out where that place of the text
 * lands; a separator stands at each stop, so that no word runs across it.
 * Stops beyond what was folded land at the end. */
void fold_append_stops(GString *out, const char *text, size_t len, size_t max,
                       const size_t *stops, size_t n, size_t *folded_at);

/* Folds a NUL-terminated keyword into a new string (caller frees). */
char *fold_keyword(const char *text);

#endif
