/*
 * category — the three kinds of mail LEGAL.md distinguishes, and their names.
 *
 * The category decides whether a mail needs consent: transactional and
 * after-sales mail never does, promotional mail always does. Names are
 * parsed case-insensitively, with the aliases senders commonly put in a
 * category header ("order", "shipping", "newsletter", ...). An unknown name
 * is an error, never silently mapped: the caller then lets content decide.
 *
 * Never touches the network, a file or the consent store.
 */
#ifndef CONSENT_CLASSIFIER_CATEGORY_H
#define CONSENT_CLASSIFIER_CATEGORY_H

typedef enum classifier_category {
    CATEGORY_TRANSACTIONAL = 0,
    CATEGORY_AFTER_SALES,
    CATEGORY_PROMOTIONAL,
} classifier_category;

#define CATEGORY_COUNT 3

/* Parses a category name or alias (case-insensitive, surrounding blanks
 * ignored). Returns 0 and sets *out, or -1 if the name is unknown. */
int classifier_category_parse(const char *name, classifier_category *out);

/* The canonical name: "transactional", "after-sales" or "promotional". */
const char *classifier_category_name(classifier_category category);

#endif
