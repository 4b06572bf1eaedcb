/*
 * charsets — private to the classifier: keeps the converters for the
 * charsets mail is written in loaded for the life of the process.
 *
 * glibc loads each charset converter (a gconv module) on iconv_open and
 * unloads it again a couple of iconv_close calls after the last user is
 * gone. GMime opens and closes a converter for every RFC 2047 word and
 * every non-UTF-8 text part, so without a lasting user each such message
 * paid a dlopen() and a dlclose(): about a seventh of classification time
 * on the corpus. One converter held open per charset keeps its module
 * loaded; GMime's own iconv_open calls then find it in glibc's table.
 */
#ifndef CONSENT_CLASSIFIER_CHARSETS_H
#define CONSENT_CLASSIFIER_CHARSETS_H

#include <stddef.h>

/* Holds the charsets of German and other European mail; once per process. */
void charsets_pin_common(void);

/* Holds `charset` too (a text part's label). Bounded: after CHARSETS_MAX
 * distinct names, hostile mail naming ever new ones pins nothing more.
 * Thread-safe; unknown names are ignored. */
void charsets_pin(const char *charset);

#define CHARSETS_MAX 32

/* How many are held (for tests). */
size_t charsets_pinned(void);

#endif
