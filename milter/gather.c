/*
 * gather — a message put back together from libmilter's pieces, within
 * bounds (see gather.h).
 */
#include "gather.h"

#include <glib.h>
#include <string.h>

struct gather {
    GString *text;       /* kept header block, blank line, kept body */
    bounds_seen seen;    /* what arrived, kept or not */
    size_t kept_body;
};

gather *gather_new(void)
{
    gather *g = g_new0(gather, 1);
    g->text = g_string_sized_new(8192);
    return g;
}

void gather_free(gather *g)
{
    if (g == NULL)
        return;
    g_string_free(g->text, TRUE);
    g_free(g);
}

void gather_reset(gather *g)
{
    g_string_truncate(g->text, 0);
    g->seen = (bounds_seen){0, 0};
    g->kept_body = 0;
}

void gather_header(gather *g, const char *name, const char *value)
{
    size_t nlen = strlen(name), vlen = strlen(value);
    size_t need = nlen + vlen + 4;
    /* Counted whether kept or not: past the bound the message is decided
     * fail-safe (bounds_enforce), never on the headers that happened to fit. */
    g->seen.header_bytes += need;
    if (g->seen.header_bytes > BOUNDS_HEADER_BLOCK_MAX)
        return;
    g_string_append_len(g->text, name, (gssize)nlen);
    g_string_append_len(g->text, ": ", 2);
    g_string_append_len(g->text, value, (gssize)vlen);
    g_string_append_len(g->text, "\r\n", 2);
}

void gather_end_of_headers(gather *g)
{
    g_string_append_len(g->text, "\r\n", 2);
}

bool gather_body(gather *g, const unsigned char *chunk, size_t len, size_t max_body)
{
    g->seen.body_bytes += len;
    if (g->kept_body < max_body) {
        size_t take = len < max_body - g->kept_body ? len : max_body - g->kept_body;
        g_string_append_len(g->text, (const char *)chunk, (gssize)take);
        g->kept_body += take;
    }
    return g->seen.body_bytes > max_body;
}

const char *gather_text(const gather *g, size_t *len)
{
    *len = g->text->len;
    return g->text->str;
}

void gather_seen(const gather *g, bounds_seen *out)
{
    *out = g->seen;
}
