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

/* One element of what a reader sees: a block of text, a link (its anchor
 * text; its target folded in message_scan.urls) or an image's alt text.
 * Blocks, links and images each form a list of disjoint ranges in order;
 * a link or an image lies within (usually one) block. */
typedef struct element {
    size_t start, end;         /* in message_scan.body (folded) */
    size_t vstart, vend;       /* in message_scan.visible (as the reader sees it) */
    size_t url_start, url_end; /* links, images: the target or source in message_scan.urls */
    size_t raw_url;            /* ... and as written, in message_scan.raw_urls (NUL-ended) */
} element;

typedef enum element_list { ELEMENTS_BLOCK, ELEMENTS_LINK, ELEMENTS_IMAGE, ELEMENT_LISTS } element_list;

typedef struct message_scan {
    struct scan_scratch *scratch; /* the buffers below, kept per thread between messages */
    GMimeObject *msg;     /* the top-level entity, owned; NULL if nothing could be parsed */
    GString *subject;     /* folded */
    GString *body;        /* folded text of all inline text parts */
    GString *visible;     /* the same text unfolded, for quoting evidence */
    GString *urls;        /* every link's target, percent-decoded and folded */
    GString *raw_urls;    /* the same as written (bounded), each NUL-ended, for evidence */
    GArray *elements[ELEMENT_LISTS]; /* of element */
    bool elements_overflow; /* more element boundaries than are kept */
    text_stats stats;
    int text_parts;
    bool nesting_overflow; /* parts nested too deeply to be read */
    bool delivery_report;  /* the message is a multipart/report (RFC 6522) */
    bool truncated;        /* the text bound was reached */
} message_scan;

/* Parses data[0..len) and gathers its text, at most max bytes of it, the
 * text of attached messages (message/rfc822) included; with skip_returned,
 * not the message a delivery report returns. The buffers belong to the
 * scan until message_scan_clear. */
void message_scan_run(message_scan *ms, const char *data, size_t len, size_t max,
                      bool skip_returned);
void message_scan_clear(message_scan *ms);

#endif
