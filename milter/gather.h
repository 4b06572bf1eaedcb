/*
 * gather — a message as libmilter hands it over (each header as a name and
 * a value, the end of the headers, body chunks), put back together as RFC
 * 5322 text for the classifier, within bounds: at most
 * BOUNDS_HEADER_BLOCK_MAX bytes of header block and max_body bytes of body
 * are kept, however much arrives. What was dropped is counted, so that the
 * decision can tell a message it saw whole from one it saw part of (see
 * bounds.h): nothing past a bound is ever dropped without saying so.
 *
 * No libmilter, no I/O: the callbacks and the milter-level fuzz target
 * feed it the same way.
 */
#ifndef CONSENT_MILTER_GATHER_H
#define CONSENT_MILTER_GATHER_H

#include <stdbool.h>
#include <stddef.h>

#include "bounds.h"

typedef struct gather gather;

/* An empty message; caller frees with gather_free. */
gather *gather_new(void);
void gather_free(gather *g);

/* Empties it for the next message, keeping its memory. */
void gather_reset(gather *g);

void gather_header(gather *g, const char *name, const char *value);
void gather_end_of_headers(gather *g);

/* Adds a body chunk; keeps what fits in max_body. Returns true once more
 * than max_body arrived: the overflow is known, the rest may be skipped. */
bool gather_body(gather *g, const unsigned char *chunk, size_t len, size_t max_body);

/* The text kept (NUL-terminated) and its length; owned by g. */
const char *gather_text(const gather *g, size_t *len);

/* How much arrived, kept or not (a body skipped at the MTA once past the
 * bound is counted up to where it was skipped: over the bound either way). */
void gather_seen(const gather *g, bounds_seen *out);

#endif
