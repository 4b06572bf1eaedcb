/*
 * bounds — the bounds the milter keeps on a message, and the fail-safe
 * verdict for a message that overflows one. The milter holds at most
 * BOUNDS_HEADER_BLOCK_MAX bytes of header block and MaxScanBytes of body;
 * whatever lies past them is never read, so a message that goes past
 * either is promotional whatever the rest says (padding must not push an
 * advertising header or paragraph out of sight). consentctl classify and
 * consent-milter -t apply the same rule to a whole file, measured the way
 * the milter counts what the MTA hands it, so all three agree.
 *
 * Pure: no I/O, no allocation. Never makes a verdict less strict.
 */
#ifndef CONSENT_BOUNDS_H
#define CONSENT_BOUNDS_H

#include <stdbool.h>
#include <stddef.h>

#include "classifier.h"

#define BOUNDS_HEADER_BLOCK_MAX (256 * 1024)

/* What a message came to, bounds or not: each header as "Name: value\r\n"
 * (the blank line after the headers not counted), and the body with CRLF
 * line ends, as libmilter hands both over. */
typedef struct bounds_seen {
    size_t header_bytes;
    size_t body_bytes;
} bounds_seen;

/* Measures a whole message (RFC 5322 text, LF or CRLF line ends) as the
 * milter would count it: a bare LF counts as CRLF. */
void bounds_measure(const char *message, size_t len, bounds_seen *out);

/* Where a bound was overflowed (header block over BOUNDS_HEADER_BLOCK_MAX,
 * body over max_body), makes v promotional with the overflow named first in
 * its evidence (structure:header-block-over-262144-bytes,
 * structure:body-over-N-bytes). Returns true if any bound was overflowed. */
bool bounds_enforce(const bounds_seen *seen, size_t max_body, classifier_verdict *v);

#endif
