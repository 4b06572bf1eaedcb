/*
 * bounds — the milter's message bounds and the fail-safe verdict (see
 * bounds.h).
 */
#include "bounds.h"

#include <stdio.h>
#include <string.h>

/* Bytes of text[0..len) with every bare LF counted as CRLF. */
static size_t crlf_length(const char *text, size_t len)
{
    size_t n = len;
    for (const char *p = text, *end = text + len; (p = memchr(p, '\n', (size_t)(end - p)));
         p++)
        if (p == text || p[-1] != '\r')
            n++;
    return n;
}

void bounds_measure(const char *message, size_t len, bounds_seen *out)
{
    /* The header block ends at the first empty line; a message without one
     * is all header (as the MTA would treat it). */
    size_t header_end = len, body_start = len;
    for (size_t i = 0; i < len; i++) {
        if (message[i] != '\n')
            continue;
        size_t next = i + 1;
        if (next < len && message[next] == '\n') {
            header_end = next;
            body_start = next + 1;
            break;
        }
        if (next + 1 < len && message[next] == '\r' && message[next + 1] == '\n') {
            header_end = next;
            body_start = next + 2;
            break;
        }
    }
    if (len > 0 && (message[0] == '\n' || (len > 1 && message[0] == '\r' && message[1] == '\n'))) {
        header_end = 0; /* no headers at all */
        body_start = message[0] == '\n' ? 1 : 2;
    }
    out->header_bytes = crlf_length(message, header_end);
    out->body_bytes = crlf_length(message + body_start, len - body_start);
}

/* Puts text first in v's evidence, pushing the last entry out if full. */
static void evidence_first(classifier_verdict *v, const char *text)
{
    if (v->n_evidence == CLASSIFIER_EVIDENCE_MAX) {
        v->n_evidence--;
        v->more_evidence++;
    }
    memmove(v->evidence[1], v->evidence[0], v->n_evidence * sizeof v->evidence[0]);
    snprintf(v->evidence[0], sizeof v->evidence[0], "%s", text);
    v->n_evidence++;
}

bool bounds_enforce(const bounds_seen *seen, size_t max_body, classifier_verdict *v)
{
    char text[CLASSIFIER_EVIDENCE_LEN];
    bool over = false;
    /* Body first, so that the header block ends up first: it is the one
     * that hides headers (Subject, List-Unsubscribe) the classifier needs. */
    if (seen->body_bytes > max_body) {
        snprintf(text, sizeof text, "structure:body-over-%zu-bytes", max_body);
        evidence_first(v, text);
        over = true;
    }
    if (seen->header_bytes > BOUNDS_HEADER_BLOCK_MAX) {
        snprintf(text, sizeof text, "structure:header-block-over-%d-bytes",
                 BOUNDS_HEADER_BLOCK_MAX);
        evidence_first(v, text);
        over = true;
    }
    if (over && v->category != CATEGORY_PROMOTIONAL) {
        /* Not what the sender's header or the content said: the rule. */
        v->category = CATEGORY_PROMOTIONAL;
        v->source = SOURCE_CONTENT;
        v->confidence = 95;
    }
    return over;
}
