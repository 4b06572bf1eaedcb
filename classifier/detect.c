/*
 * detect — the structural counts behind the detectors: links, campaign
 * links, prices. Plain byte scans, no allocation.
 */
#define _GNU_SOURCE /* memmem */
#include <string.h>

#include "textscan.h"

static const char *find(const char *hay, size_t len, const char *needle)
{
    if (len == 0)
        return NULL; /* hay may be NULL then */
    return memmem(hay, len, needle, strlen(needle));
}

void scan_plain_links(const char *text, size_t len, text_stats *st)
{
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *h = find(p, (size_t)(end - p), "http");
        if (h == NULL)
            break;
        size_t rest = (size_t)(end - h);
        if ((rest > 7 && memcmp(h, "http://", 7) == 0) ||
            (rest > 8 && memcmp(h, "https://", 8) == 0))
            st->links++;
        p = h + 4;
    }
    const char *u = find(text, len, "utm_campaign=");
    if (u != NULL && !st->utm_campaign) {
        st->utm_campaign = true;
        u += strlen("utm_campaign=");
        size_t n = 0;
        while (u + n < end && n + 1 < sizeof st->utm_value &&
               (g_ascii_isalnum(u[n]) || u[n] == '-' || u[n] == '_' || u[n] == '.'))
            n++;
        memcpy(st->utm_value, u, n);
        st->utm_value[n] = '\0';
    }
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
 * EUR, CHF. Everything else is skipped with one table read. */
static const bool currency_lead[256] = {
    [0xE2] = true, [0xC2] = true, ['$'] = true, ['E'] = true, ['C'] = true,
};

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
                 (c == 'C' && i + 2 < len && text[i + 1] == 'H' && text[i + 2] == 'F'))
            n = 3;
        if (n == 0)
            continue;
        if (digit_near(text, len, i, -1) || digit_near(text, len, i + n, 1))
            st->prices++;
        i += n - 1;
    }
}
