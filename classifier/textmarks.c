/*
 * textmarks — the list of element boundaries html.c and detect.c record.
 */
#include "textscan.h"

void text_mark_add(GArray *marks, size_t pos, text_mark_kind kind, const char *url,
                   size_t url_len)
{
    if (marks->len >= TEXT_MARKS_MAX)
        return;
    /* Table layouts close and open many blocks in a row with nothing in
     * between: one boundary says the same. */
    if (kind == MARK_BLOCK && marks->len > 0) {
        const text_mark *last = &g_array_index(marks, text_mark, marks->len - 1);
        if (last->kind == MARK_BLOCK && last->pos == pos)
            return;
    }
    text_mark m = {pos, kind, url, url_len < TEXT_URL_MAX ? url_len : TEXT_URL_MAX};
    g_array_append_val(marks, m);
}
