/*
 * textmarks — the list of element boundaries html.c and detect.c record.
 */
#include "textscan.h"

void text_mark_add(GArray *marks, size_t pos, text_mark_kind kind, const char *url,
                   size_t url_len)
{
    if (marks->len >= TEXT_MARKS_MAX)
        return;
    text_mark m = {pos, kind, NULL};
    if (kind == MARK_LINK_OPEN)
        m.url = g_strndup(url, url_len < TEXT_URL_MAX ? url_len : TEXT_URL_MAX);
    g_array_append_val(marks, m);
}

void text_marks_clear(GArray *marks)
{
    for (guint i = 0; i < marks->len; i++)
        g_free(g_array_index(marks, text_mark, i).url);
    g_array_set_size(marks, 0);
}
