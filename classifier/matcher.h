/*
 * matcher — private to the classifier: finds every keyword in folded text
 * in one pass (Aho-Corasick), whatever the number of keywords.
 *
 * Patterns and text are folded (fold.h). A pattern may require a word
 * boundary on either side; "rabatt" with both finds "rabatt" but not
 * "sommerrabatt", with the left one free it finds both.
 */
#ifndef CONSENT_CLASSIFIER_MATCHER_H
#define CONSENT_CLASSIFIER_MATCHER_H

#include <stdbool.h>
#include <stddef.h>

typedef struct matcher matcher;

matcher *matcher_new(void);
void matcher_free(matcher *m);

/* Adds a folded pattern (non-empty) reported as `id`. Before compile only. */
void matcher_add(matcher *m, const char *pattern, int id, bool word_start, bool word_end);

/* Builds the automaton; after it, only matcher_scan. */
void matcher_compile(matcher *m);

/* Calls hit(id, end) for every occurrence whose boundaries hold; `end` is
 * the offset just past it. Read-only on m: many threads may scan at once. */
typedef void (*matcher_hit_fn)(int id, size_t end, void *ctx);
void matcher_scan(const matcher *m, const char *text, size_t len, matcher_hit_fn hit, void *ctx);

#endif
