/*
 * textscan — private to the classifier: turning a text or HTML part into
 * what a reader sees, cut into elements (blocks of text, links with their
 * anchor text and target, image alt text), and the structural counts the
 * detectors need. Bounded: never writes more than `max` bytes of text and
 * never records more than TEXT_MARKS_MAX element boundaries.
 */
#ifndef CONSENT_CLASSIFIER_TEXTSCAN_H
#define CONSENT_CLASSIFIER_TEXTSCAN_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct text_stats {
    int links;
    int prices;
} text_stats;

/* Where an element begins or ends in the visible text. A link's target is
 * kept (bounded) in the mark that opens it. */
typedef enum text_mark_kind {
    MARK_BLOCK,      /* a block boundary: paragraph, table cell, list item */
    MARK_LINK_OPEN,  /* <a href>: anchor text follows */
    MARK_LINK_CLOSE, /* </a> */
    MARK_IMAGE_OPEN, /* an image: its alt text follows; its source is the mark's url */
    MARK_IMAGE_CLOSE,
} text_mark_kind;

#define TEXT_URL_MAX 256   /* a link target beyond this is cut (the host comes first) */
#define TEXT_MARKS_MAX 20000

typedef struct text_mark {
    size_t pos; /* offset in the visible text */
    text_mark_kind kind;
    const char *url; /* LINK_OPEN, IMAGE_OPEN: the target or source as written, borrowed */
    size_t url_len;  /* ... at most TEXT_URL_MAX */
} text_mark;

/* Appends the visible text of an HTML document (tags dropped, script and
 * style skipped, entities decoded, every tag read as a space) to out, up to
 * max bytes, records its element boundaries in marks (of text_mark), and
 * counts its links. */
void html_to_text(const char *html, size_t len, GString *out, size_t max, text_stats *st,
                  GArray *marks);

/* Plain text: appends it to out (up to max) and records its elements:
 * paragraphs (separated by blank lines) and the URLs written out in it. */
void plain_to_text(const char *text, size_t len, GString *out, size_t max, text_stats *st,
                   GArray *marks);

/* Counts prices: a number next to €, EUR, $, £, CHF, PLN or zł. */
void scan_prices(const char *text, size_t len, text_stats *st);

/* Does text[0..len) hold a price? */
bool text_has_price(const char *text, size_t len);

/* Records a mark (nothing once TEXT_MARKS_MAX are recorded: the elements
 * past it read as part of the last one). url is borrowed: it must live as
 * long as the marks are read; it is cut to TEXT_URL_MAX. */
void text_mark_add(GArray *marks, size_t pos, text_mark_kind kind, const char *url,
                   size_t url_len);

#endif
