/*
 * html — HTML to text for classification. Not a renderer: it only needs the
 * words a reader would see and the links, and must survive anything.
 */
#include <string.h>

#include "textscan.h"

static const struct entity {
    const char *name;
    const char *utf8;
} entities[] = {
    {"amp", "&"}, {"lt", "<"}, {"gt", ">"}, {"quot", "\""}, {"apos", "'"}, {"nbsp", " "},
    {"auml", "ä"}, {"ouml", "ö"}, {"uuml", "ü"}, {"Auml", "Ä"}, {"Ouml", "Ö"}, {"Uuml", "Ü"},
    {"szlig", "ß"}, {"euro", "€"}, {"eacute", "é"}, {"egrave", "è"}, {"agrave", "à"},
    {"ccedil", "ç"}, {"copy", "©"}, {"reg", "®"}, {"trade", "™"}, {"ndash", "–"},
    {"mdash", "—"}, {"bdquo", "„"}, {"ldquo", "“"}, {"rdquo", "”"}, {"lsquo", "‘"},
    {"rsquo", "’"}, {"laquo", "«"}, {"raquo", "»"}, {"hellip", "…"}, {"pound", "£"},
    {"middot", "·"}, {"bull", "•"}, {"zwnj", ""}, {"shy", ""}, {"thinsp", " "},
};

/* Decodes the entity at p ('&' at p[0]); returns bytes consumed, 0 if it
 * is none (the '&' is then kept as text). */
static size_t decode_entity(const char *p, size_t len, GString *out)
{
    size_t end = 1;
    while (end < len && end < 12 && p[end] != ';' && p[end] != '&' && p[end] != '<')
        end++;
    if (end >= len || p[end] != ';' || end == 1)
        return 0;
    if (p[1] == '#') {
        gunichar c = 0;
        bool hex = end > 2 && (p[2] == 'x' || p[2] == 'X');
        for (size_t i = hex ? 3 : 2; i < end; i++) {
            int d = hex ? g_ascii_xdigit_value(p[i]) : g_ascii_digit_value(p[i]);
            if (d < 0 || c > 0x10FFFF)
                return 0;
            c = c * (hex ? 16 : 10) + (gunichar)d;
        }
        if (c == 0 || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
            c = ' ';
        char buf[6];
        g_string_append_len(out, buf, g_unichar_to_utf8(c, buf));
        return end + 1;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(entities); i++) {
        size_t n = strlen(entities[i].name);
        if (n == end - 1 && memcmp(p + 1, entities[i].name, n) == 0) {
            g_string_append(out, entities[i].utf8);
            return end + 1;
        }
    }
    return 0;
}

/* Is the tag at p (after '<') named `name`, case-insensitive? */
static bool tag_is(const char *p, size_t len, const char *name)
{
    size_t n = strlen(name);
    return len > n && g_ascii_strncasecmp(p, name, n) == 0 &&
           (p[n] == '>' || p[n] == ' ' || p[n] == '\t' || p[n] == '\n' || p[n] == '\r' ||
            p[n] == '/');
}

/* Finds the end of a raw-text element (</script>, </style>) from p. */
static size_t skip_raw(const char *p, size_t len, const char *closing)
{
    size_t n = strlen(closing);
    for (size_t i = 0; i + n <= len; i++)
        if (p[i] == '<' && g_ascii_strncasecmp(p + i, closing, n) == 0)
            return i + n;
    return len;
}

/* Looks inside an <a ...> tag's text for href="..." and counts the link. */
static void scan_href(const char *tag, size_t len, text_stats *st)
{
    for (size_t i = 0; i + 5 < len; i++) {
        if (g_ascii_strncasecmp(tag + i, "href", 4) != 0)
            continue;
        size_t j = i + 4;
        while (j < len && (tag[j] == ' ' || tag[j] == '\t' || tag[j] == '\n' || tag[j] == '\r'))
            j++;
        if (j >= len || tag[j] != '=')
            continue;
        j++;
        while (j < len && (tag[j] == ' ' || tag[j] == '"' || tag[j] == '\''))
            j++;
        size_t k = j;
        while (k < len && tag[k] != '"' && tag[k] != '\'' && tag[k] != ' ' && tag[k] != '>')
            k++;
        scan_plain_links(tag + j, k - j, st);
        if (k > j && st->links == 0) /* a relative or mailto link still counts */
            st->links = 1;
        return;
    }
}

void html_to_text(const char *html, size_t len, GString *out, size_t max, text_stats *st)
{
    size_t i = 0;
    while (i < len && out->len < max) {
        char c = html[i];
        if (c == '&') {
            size_t used = decode_entity(html + i, len - i, out);
            if (used > 0) {
                i += used;
                continue;
            }
            g_string_append_c(out, '&');
            i++;
            continue;
        }
        if (c != '<') {
            /* copy the run of text up to the next markup at once */
            size_t j = i;
            while (j < len && html[j] != '<' && html[j] != '&')
                j++;
            size_t room = max - out->len;
            g_string_append_len(out, html + i, (gssize)(j - i < room ? j - i : room));
            i = j;
            continue;
        }
        const char *p = html + i + 1;
        size_t left = len - i - 1;
        if (left >= 3 && memcmp(p, "!--", 3) == 0) {
            const char *end = g_strstr_len(p + 3, (gssize)(left - 3), "-->");
            i = end ? (size_t)(end - html) + 3 : len;
            continue;
        }
        const char *close = memchr(p, '>', left);
        size_t tag_len = close ? (size_t)(close - p) : left;
        if (tag_is(p, left, "script") || tag_is(p, left, "style")) {
            bool script = tag_is(p, left, "script");
            size_t after = (size_t)(p - html) + tag_len + 1;
            if (after > len)
                after = len;
            i = after + skip_raw(html + after, len - after, script ? "</script" : "</style");
            const char *gt = i < len ? memchr(html + i, '>', len - i) : NULL;
            i = gt ? (size_t)(gt - html) + 1 : len;
            continue;
        }
        if (tag_is(p, left, "a"))
            scan_href(p, tag_len, st);
        if (out->len < max)
            g_string_append_c(out, ' '); /* every tag separates words */
        i += tag_len + 2;
    }
}
