/*
 * textscan — private to the classifier: turning a text or HTML part into
 * plain text, and the structural counts the detectors need (links, campaign
 * links, prices). Bounded: never writes more than `max` bytes of text.
 */
#ifndef CONSENT_CLASSIFIER_TEXTSCAN_H
#define CONSENT_CLASSIFIER_TEXTSCAN_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct text_stats {
    int links;
    int prices;
    bool utm_campaign;
    char utm_value[48]; /* the first campaign's name, for the evidence */
} text_stats;

/* Appends the visible text of an HTML document (tags dropped, script and
 * style skipped, entities decoded, every tag read as a space) to out, up to
 * max bytes, and counts its links. */
void html_to_text(const char *html, size_t len, GString *out, size_t max, text_stats *st);

/* Counts links and campaign links written out in plain text. */
void scan_plain_links(const char *text, size_t len, text_stats *st);

/* Counts prices: a number next to €, EUR, $, £ or CHF. */
void scan_prices(const char *text, size_t len, text_stats *st);

#endif
