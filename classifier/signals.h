/*
 * signals — private to the classifier: the signals file, parsed and
 * compiled. What counts as evidence for which category and how much, in
 * one place an administrator can read (see signals.conf for the syntax).
 */
#ifndef CONSENT_CLASSIFIER_SIGNALS_H
#define CONSENT_CLASSIFIER_SIGNALS_H

#include <stdbool.h>

#include "category.h"
#include "matcher.h"

typedef enum signal_kind { SIGNAL_WORD, SIGNAL_LINK, SIGNAL_HEADER, SIGNAL_DETECTOR } signal_kind;

/* Besides the three categories a signal may speak for "bulk": signs of mass
 * sending (list headers, unsubscribe links) that are not advertising in
 * themselves. They add to the promotional score where content decides, but
 * cannot alone overrule a trusted category header. */
#define SIGNAL_BULK CATEGORY_COUNT
#define SIGNAL_CATEGORIES (CATEGORY_COUNT + 1)

/* Where a word counts: WHERE_LINK is the anchor text of a link (a button's
 * label), which is also body text. */
enum { WHERE_SUBJECT = 1, WHERE_BODY = 2, WHERE_ANY = 3, WHERE_LINK = 4 };
/* Link patterns: WHERE_BODY for link targets and image sources alike,
 * WHERE_IMAGE for image sources only ("image" lines). */
enum { WHERE_IMAGE = 8 };

typedef enum detector_kind {
    DETECTOR_VOUCHER_CODE,  /* a code after "Gutscheincode", "use code", ... */
    DETECTOR_UTM_CAMPAIGN,  /* links tagged for a marketing campaign */
    DETECTOR_PRICE_LIST,    /* at least `param` prices: a product grid */
    DETECTOR_MANY_LINKS,    /* at least `param` links */
    DETECTOR_PRODUCT_CARDS, /* at least `param` product cards: a linked image and a price */
    DETECTOR_COUNT
} detector_kind;

/* The matcher id of a voucher prefix ("Gutscheincode", "use code"). */
#define SIGNALS_VOUCHER_PREFIX (-1)

typedef struct signal_rule {
    signal_kind kind;
    int category; /* a classifier_category, or SIGNAL_BULK */
    int weight;
    int where;           /* words: WHERE_* */
    char *label;         /* words, links: as written; headers, detectors: the name */
    char **values;       /* headers: values that count (NULL: presence counts) */
    detector_kind detector;
    int param;
    int span; /* words, links: the folded pattern's length, the least text a match covers */
} signal_rule;

typedef struct signals {
    signal_rule *list;
    int count;
    /* Every word and every voucher prefix in one automaton, so the text is
     * read once: id = index into list, or SIGNALS_VOUCHER_PREFIX. */
    matcher *words;
    matcher *links; /* link patterns, over the folded targets of links */
    int detector_signal[DETECTOR_COUNT]; /* index into list, -1 if not configured */
    int *header_signals; /* the indexes of the header signals in list */
    int n_header_signals;
    int promotional_threshold;  /* promotional score that makes any mail promotional */
    int allowed_threshold;      /* score content needs for transactional/after-sales */
    int mass_threshold;         /* bulk score that marks mass mailing (default: promotional) */
} signals;

/* Parses signals text; `name` is used in errors ("signals.conf:12: ..."). */
signals *signals_parse(const char *text, const char *name, char *err, size_t errsz);
void signals_free(signals *s);

#endif
