/*
 * classifier — turns a message into a verdict: transactional, after-sales
 * or promotional, how that was decided (header, content or both), how sure
 * it is, and the evidence that decided, for people to read.
 *
 * LEGAL.md is the specification. A trusted category header is the starting
 * point; content can only make the verdict stricter (one promotional element
 * makes the whole mail promotional); where nothing clearly says transactional
 * or after-sales, the verdict is promotional. The keyword lists, weights and
 * thresholds come from a signals file an administrator can read and extend
 * (classifier/signals.conf, built in as the default).
 *
 * Pure: never touches the network, the consent store or the clock, and never
 * fails to give a verdict. Work is bounded by the options' max_scan_bytes
 * whatever the input. A classifier is immutable once built: many threads may
 * classify with one at the same time.
 */
#ifndef CONSENT_CLASSIFIER_H
#define CONSENT_CLASSIFIER_H

#include <stdbool.h>
#include <stddef.h>

#include "category.h"

#define CLASSIFIER_ERR_MAX 256
#define CLASSIFIER_EVIDENCE_MAX 12
#define CLASSIFIER_EVIDENCE_LEN 200
#define CLASSIFIER_PURPOSE_MAX 64
#define CLASSIFIER_DEFAULT_HEADER "X-Mail-Category"
#define CLASSIFIER_DEFAULT_PURPOSE_HEADER "X-Consent-Purpose"
#define CLASSIFIER_DEFAULT_MAX_SCAN (1024 * 1024)

typedef struct classifier classifier;

typedef enum classifier_source {
    SOURCE_HEADER = 0,     /* the trusted header decided; content found nothing stricter */
    SOURCE_CONTENT,        /* content alone decided (no trusted header, or it was overruled) */
    SOURCE_HEADER_CONTENT, /* header and content agree */
} classifier_source;

typedef struct classifier_options {
    const char *category_header; /* NULL: X-Mail-Category */
    const char *purpose_header;  /* NULL: X-Consent-Purpose */
    bool trust_header;           /* may the sender's category header be believed? */
    size_t max_scan_bytes;       /* 0: CLASSIFIER_DEFAULT_MAX_SCAN */
    bool null_sender;            /* the envelope sender is <>: a report's returned message
                                    is not the sender's content (see classifier_classify) */
} classifier_options;

/* Fixed size: classifying allocates nothing that outlives the call. */
typedef struct classifier_verdict {
    classifier_category category;
    classifier_source source;
    int confidence; /* 0..100 */
    char purpose[CLASSIFIER_PURPOSE_MAX + 1]; /* from the purpose header; "" if none or invalid */
    int promotional_score, transactional_score, after_sales_score;
    size_t n_evidence;      /* entries in evidence[] */
    size_t more_evidence;   /* signals found beyond those */
    char evidence[CLASSIFIER_EVIDENCE_MAX][CLASSIFIER_EVIDENCE_LEN];
} classifier_verdict;

/* Builds a classifier from a signals file, or from the built-in one when
 * path is NULL. On a bad file err names file:line. Caller frees. */
classifier *classifier_new(const char *signals_path, char err[CLASSIFIER_ERR_MAX]);
void classifier_free(classifier *c);

/* Classifies message[0..len) (RFC 5322: headers, blank line, body; the body
 * may be cut short by the caller). Never fails. */
void classifier_classify(const classifier *c, const char *message, size_t len,
                         const classifier_options *options, classifier_verdict *out);

const char *classifier_source_name(classifier_source source);

/* Initialises GMime once per process (classifier_classify does it itself;
 * callers that use GMime directly call this first). Thread-safe. */
void classifier_mime_init(void);

/* The built-in signals file's text (for `consentctl classify --dump-signals`). */
const char *classifier_builtin_signals(void);

#endif
