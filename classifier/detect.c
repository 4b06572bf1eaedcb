/*
 * detect — plain text cut into elements (paragraphs, written-out URLs) and
 * the price count behind the product-grid detector. Plain byte scans.
 */
#define _GNU_SOURCE /* memmem */
#include <string.h>

#include "textscan.h"

/* Lines shorter than this end a block in plain text. */
#define PLAIN_SHORT_LINE 50
/* The longest label before a URL on its line read as the link's text. */
#define PLAIN_LABEL_MAX 60

/* A line's length without the blanks that indent or pad it: a right-aligned
 * row of an order summary is short, however far it is indented. */
static size_t line_words(const char *p, size_t len)
{
    while (len > 0 && (*p == ' ' || *p == '\t')) {
        p++;
        len--;
    }
    while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t' || p[len - 1] == '\r'))
        len--;
    return len;
}

/* Where a URL written out in plain text ends. */
static size_t url_end(const char *p, size_t len)
{
    size_t n = 0;
    while (n < len && (unsigned char)p[n] > ' ' && p[n] != '<' && p[n] != '>' && p[n] != '"' &&
           p[n] != ')' && p[n] != ']')
        n++;
    return n;
}

void plain_to_text(const char *text, size_t len, GString *out, size_t max, text_stats *st,
                   GArray *marks)
{
    if (out->len >= max)
        return;
    size_t base = out->len;
    size_t room = max - base;
    g_string_append_len(out, text, (gssize)(len < room ? len : room));
    const char *s = out->str;
    size_t end = out->len;
    /* In order, so the marks come out sorted: a blank line (only blanks
     * between two line ends) ends a paragraph; a URL written out is a link
     * element of its own, its text the URL. The next line end and the next
     * "http" are each looked for only once they are passed. */
    size_t line = base; /* where the current line starts */
    const char *nl = memchr(s + base, '\n', end - base);
    const char *url = memmem(s + base, end - base, "http", 4);
    while (nl != NULL || url != NULL) {
        if (nl != NULL && (url == NULL || nl < url)) {
            size_t i = (size_t)(nl - s), r = i + 1;
            while (r < end && (s[r] == ' ' || s[r] == '\t' || s[r] == '\r'))
                r++;
            if (r < end && s[r] == '\n') {
                text_mark_add(marks, i, MARK_BLOCK, NULL, 0);
                i = r;
            } else if (line_words(s + line, i - line) < PLAIN_SHORT_LINE) {
                /* A short line is a row of its own (an order summary, a
                 * list); prose wrapped at 72 columns runs on. */
                text_mark_add(marks, i, MARK_BLOCK, NULL, 0);
            }
            line = i + 1;
            nl = i + 1 < end ? memchr(s + i + 1, '\n', end - i - 1) : NULL;
            continue;
        }
        size_t i = (size_t)(url - s), next = i + 4;
        if (end - i > 8 && (memcmp(url, "https://", 8) == 0 || memcmp(url, "http://", 7) == 0)) {
            size_t n = url_end(url, end - i);
            st->links++;
            /* "Label: https://..." on one line: the label is the link's
             * anchor text, as a button's would be. */
            size_t open = i;
            if (i > line && i - line <= PLAIN_LABEL_MAX) {
                size_t k = i;
                while (k > line && (s[k - 1] == ' ' || s[k - 1] == '\t'))
                    k--;
                if (k > line && s[k - 1] == ':')
                    open = line;
            }
            text_mark_add(marks, open, MARK_LINK_OPEN, url, n);
            text_mark_add(marks, i + n, MARK_LINK_CLOSE, NULL, 0);
            next = i + n; /* a URL holds no line end: nl lies beyond it */
        }
        url = next < end ? memmem(s + next, end - next, "http", 4) : NULL;
    }
    text_mark_add(marks, out->len, MARK_BLOCK, NULL, 0);
}

/* Is there a digit within a few blanks before (dir -1) or after (dir 1)? */
static bool digit_near(const char *text, size_t len, size_t pos, int dir)
{
    for (int step = 0; step < 4; step++) {
        if (dir < 0 ? pos == 0 : pos >= len)
            return false;
        unsigned char c = (unsigned char)text[dir < 0 ? pos - 1 : pos];
        if (c >= '0' && c <= '9')
            return true;
        if (c == ' ' || c == '\t')
            pos = dir < 0 ? pos - 1 : pos + 1;
        else if (c == 0xA0 || c == 0xC2) /* no-break space, as UTF-8 or Latin-1 */
            pos = dir < 0 ? pos - 1 : pos + 1;
        else
            return false;
    }
    return false;
}

/* The bytes a currency sign can start with: €, £ (UTF-8 lead bytes), $,
 * EUR, CHF, PLN, zł. Everything else is skipped with one table read. */
static const bool currency_lead[256] = {
    [0xE2] = true, [0xC2] = true, ['$'] = true, ['E'] = true, ['C'] = true, ['P'] = true,
    [0xC5] = true,
};

bool text_has_price(const char *text, size_t len)
{
    text_stats st = {0};
    scan_prices(text, len, &st);
    return st.prices > 0;
}

void scan_prices(const char *text, size_t len, text_stats *st)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (!currency_lead[c])
            continue;
        size_t n = 0;
        if (c == 0xE2 && i + 2 < len && (unsigned char)text[i + 1] == 0x82 &&
            (unsigned char)text[i + 2] == 0xAC)
            n = 3; /* € */
        else if (c == 0xC2 && i + 1 < len && (unsigned char)text[i + 1] == 0xA3)
            n = 2; /* £ */
        else if (c == '$')
            n = 1;
        else if ((c == 'E' && i + 2 < len && text[i + 1] == 'U' && text[i + 2] == 'R') ||
                 (c == 'C' && i + 2 < len && text[i + 1] == 'H' && text[i + 2] == 'F') ||
                 (c == 'P' && i + 2 < len && text[i + 1] == 'L' && text[i + 2] == 'N'))
            n = 3;
        else if (c == 0xC5 && i > 0 && text[i - 1] == 'z' && i + 1 < len &&
                 (unsigned char)text[i + 1] == 0x82) {
            /* zł, the Polish złoty: found by its ł, which is rarer than z */
            if (digit_near(text, len, i - 1, -1) || digit_near(text, len, i + 2, 1))
                st->prices++;
            i++;
            continue;
        }
        if (n == 0)
            continue;
        if (digit_near(text, len, i, -1) || digit_near(text, len, i + n, 1))
            st->prices++;
        i += n - 1;
    }
}
