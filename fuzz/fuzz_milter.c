/*
 * fuzz_milter — libFuzzer target at the milter's level: any bytes as a
 * message handed over the way libmilter hands it to the callbacks (each
 * header as a name and a value, the end of the headers, the body in
 * chunks), through the code on_eom runs: gather.c puts it together within
 * the milter's bounds, decision_verdict classifies it and applies them,
 * decide_message decides a recipient without consent. So that padding is
 * searched for and not only written by hand, the first header line may be
 * repeated many times (a count in the input) and the body bound may be
 * small.
 *
 * The invariant: a message whose header block or body went past a bound is
 * promotional and never allowed to a recipient without consent on record.
 *
 * Input: the message text, then four control bytes at its end (so that the
 * mail fixtures are seeds as they are): flags (bit 0: the category header
 * is trusted; bit 1: MaxScanBytes 4096, else 64K), the repeat count of the
 * first header (two bytes, little endian, at most 20,000), and the body
 * chunk size (1 + byte * 257, at most 65,535 as from Postfix).
 */
#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decision.h"
#include "gather.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static runtime rt;

static void setup(void)
{
    char err[CLASSIFIER_ERR_MAX];
    rt.cfg = conf_defaults();
    rt.cls = classifier_new(NULL, err);
    if (rt.cfg == NULL || rt.cls == NULL)
        abort();
}

/* One header line "Name: value" as the MTA passes it: the value without
 * the blanks after the colon; folded lines stay in the value. */
static void feed_header(gather *g, const char *line, size_t len)
{
    const char *colon = memchr(line, ':', len);
    if (colon == NULL || colon == line)
        return; /* the MTA would not call this a header */
    gchar *name = g_strndup(line, (gsize)(colon - line));
    const char *v = colon + 1, *end = line + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    gchar *value = g_strndup(v, (gsize)(end - v));
    gather_header(g, name, value);
    g_free(name);
    g_free(value);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (rt.cfg == NULL)
        setup();
    if (size < 4)
        return 0;
    const uint8_t *ctl = data + size - 4;
    size -= 4;
    bool trusted = ctl[0] & 1;
    rt.cfg->max_scan_bytes = ctl[0] & 2 ? 4096 : 65536;
    unsigned repeat = (unsigned)(ctl[1] | ctl[2] << 8) % 20001;
    size_t chunk = 1 + (size_t)ctl[3] * 257;
    const char *text = (const char *)data, *end = text + size;

    gather *g = gather_new();
    /* Headers: up to the first empty line; a line starting with a blank
     * continues the one before. */
    const char *p = text, *start = NULL;
    bool first = true;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *line_end = nl ? nl : end;
        const char *content_end = line_end > p && line_end[-1] == '\r' ? line_end - 1 : line_end;
        if (content_end == p) { /* the empty line */
            p = nl ? nl + 1 : end;
            break;
        }
        if (start != NULL && *p != ' ' && *p != '\t') {
            size_t n = (size_t)(p - start);
            while (n > 0 && (start[n - 1] == '\n' || start[n - 1] == '\r'))
                n--;
            for (unsigned i = 0; i < (first ? repeat + 1 : 1); i++)
                feed_header(g, start, n);
            first = false;
            start = NULL;
        }
        if (start == NULL)
            start = p;
        p = nl ? nl + 1 : end;
    }
    if (start != NULL) {
        size_t n = (size_t)(p - start);
        while (n > 0 && (start[n - 1] == '\n' || start[n - 1] == '\r'))
            n--;
        feed_header(g, start, n);
    }
    gather_end_of_headers(g);
    /* The body in chunks; over a local socket nothing is skipped. */
    while (p < end) {
        size_t n = (size_t)(end - p) < chunk ? (size_t)(end - p) : chunk;
        gather_body(g, (const unsigned char *)p, n, rt.cfg->max_scan_bytes);
        p += n;
    }

    size_t len;
    const char *message = gather_text(g, &len);
    bounds_seen seen;
    gather_seen(g, &seen);
    classifier_verdict v;
    decision_verdict(&rt, message, len, trusted, false, &seen, &v);
    bool over = seen.header_bytes > BOUNDS_HEADER_BLOCK_MAX ||
                seen.body_bytes > rt.cfg->max_scan_bytes;
    if (over && v.category != CATEGORY_PROMOTIONAL)
        abort(); /* decided on less than the message without saying so */
    /* A recipient with no consent on record (no store: the lookup fails
     * and OnDatabaseError tempfail stops the message). */
    const char *rcpt[] = {"<who@example.com>"};
    message_decision md;
    decide_message(&rt, NULL, "no store in the fuzz target", &v, rcpt, 1, 0, &md);
    if (over && (md.allowed != 0 || md.plan.message != PLAN_TEMPFAIL))
        abort();
    if ((unsigned)v.category > CATEGORY_PROMOTIONAL || v.n_evidence > CLASSIFIER_EVIDENCE_MAX)
        abort();
    message_decision_clear(&md);
    gather_free(g);
    return 0;
}
