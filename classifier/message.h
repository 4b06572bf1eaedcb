/*
 * message — private to the classifier: the MIME side. Parses a message with
 * GMime and gathers what classification reads: decoded subject, headers,
 * and the text of every inline text/plain and text/html part (transfer
 * encodings decoded, charsets converted to UTF-8, HTML reduced to text),
 * folded for matching, with the structural counts.
 */
#ifndef CONSENT_CLASSIFIER_MESSAGE_H
#define CONSENT_CLASSIFIER_MESSAGE_H

#include <gmime/gmime.h>
#include <stdbool.h>

#include "textscan.h"

typedef struct message_scan {
    GMimeObject *msg;     /* the top-level entity, owned; NULL if nothing could be parsed */
    GString *subject;     /* folded */
    GString *body;        /* folded text of all inline text parts */
    text_stats stats;
    int text_parts;
    bool nesting_overflow; /* parts nested too deeply to be read */
    bool truncated;        /* the text bound was reached */
} message_scan;

/* Parses data[0..len) and gathers its text, at most max bytes of it. */
void message_scan_run(message_scan *ms, const char *data, size_t len, size_t max);
void message_scan_clear(message_scan *ms);

#endif
