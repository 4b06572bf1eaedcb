/*
 * html — HTML to text for classification. Not a renderer: it only needs the
 * words a reader would see, where its blocks, links and images begin and
 * end, and where the links point; and it must survive anything.
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

/* Finds the end of a raw-text element (</script>, </style>) from p. */
static size_t skip_raw(const char *p, size_t len, const char *closing)
{
    size_t n = strlen(closing);
    for (size_t i = 0; i + n <= len; i++)
        if (p[i] == '<' && g_ascii_strncasecmp(p + i, closing, n) == 0)
            return i + n;
    return len;
}

/* Finds attribute `name` in a tag's text (after its name); sets the value's
 * start and length. False if it is not there. */
static bool find_attr(const char *tag, size_t len, const char *name, const char **value,
                      size_t *vlen)
{
    size_t n = strlen(name);
    for (size_t i = 1; i + n < len; i++) {
        char before = tag[i - 1];
        if ((before != ' ' && before != '\t' && before != '\n' && before != '\r' &&
             before != '"' && before != '\'') ||
            g_ascii_strncasecmp(tag + i, name, n) != 0)
            continue;
        size_t j = i + n;
        while (j < len && (tag[j] == ' ' || tag[j] == '\t' || tag[j] == '\n' || tag[j] == '\r'))
            j++;
        if (j >= len || tag[j] != '=')
            continue;
        j++;
        while (j < len && (tag[j] == ' ' || tag[j] == '\t' || tag[j] == '\n' || tag[j] == '\r'))
            j++;
        char quote = j < len && (tag[j] == '"' || tag[j] == '\'') ? tag[j] : 0;
        if (quote)
            j++;
        size_t k = j;
        while (k < len && (quote ? tag[k] != quote : (tag[k] != ' ' && tag[k] != '>')))
            k++;
        *value = tag + j;
        *vlen = k - j;
        return true;
    }
    return false;
}

/* Appends text with its entities decoded (an attribute's value). */
static void append_decoded(GString *out, const char *s, size_t len, size_t max)
{
    size_t i = 0;
    while (i < len && out->len < max) {
        if (s[i] == '&') {
            size_t used = decode_entity(s + i, len - i, out);
            if (used > 0) {
                i += used;
                continue;
            }
        }
        g_string_append_c(out, s[i++]);
    }
}

/* The tag's name at p (after '<', a '/' kept), lower-cased into buf;
 * "" if it is longer than any name read here. */
static void tag_name(const char *p, size_t left, char buf[12])
{
    size_t n = 0;
    while (n < left && n < 11 && (g_ascii_isalnum(p[n]) || (n == 0 && p[n] == '/'))) {
        buf[n] = g_ascii_tolower(p[n]);
        n++;
    }
    if (n < left && n == 11)
        n = 0;
    buf[n] = '\0';
}

/* Tags after which a reader sees a new block of text: p div td th tr li
 * table tbody h1-h6 ul ol dl dt dd hr center blockquote section article
 * header footer. Decided by a switch: this runs for every tag. */
static bool block_tag(const char *name)
{
    if (name[0] == '/')
        name++;
    switch (name[0]) {
    case 'p': return name[1] == '\0';
    case 'd': return strcmp(name, "div") == 0 || ((name[1] == 'l' || name[1] == 't' ||
                                                   name[1] == 'd') && name[2] == '\0');
    case 't': return ((name[1] == 'd' || name[1] == 'h' || name[1] == 'r') && name[2] == '\0') ||
                     strcmp(name, "table") == 0 || strcmp(name, "tbody") == 0;
    case 'l': return name[1] == 'i' && name[2] == '\0';
    case 'h': return ((name[1] >= '1' && name[1] <= '6') || name[1] == 'r') && name[2] == '\0';
    case 'u': case 'o': return name[1] == 'l' && name[2] == '\0';
    case 'c': return strcmp(name, "center") == 0;
    case 'b': return strcmp(name, "blockquote") == 0;
    case 's': return strcmp(name, "section") == 0;
    case 'a': return strcmp(name, "article") == 0;
    case 'f': return strcmp(name, "footer") == 0;
    default: return strcmp(name, "header") == 0;
    }
}

void html_to_text(const char *html, size_t len, GString *out, size_t max, text_stats *st,
                  GArray *marks)
{
    size_t i = 0;
    bool in_link = false, last_br = false;
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
            for (size_t k = i; k < j && last_br; k++)
                if (html[k] != ' ' && html[k] != '\n' && html[k] != '\r' && html[k] != '\t')
                    last_br = false;
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
        char name[12];
        tag_name(p, left, name);
        if (strcmp(name, "script") == 0 || strcmp(name, "style") == 0 ||
            strcmp(name, "title") == 0) {
            const char *closing = name[1] == 'c' ? "</script" : name[1] == 't' ? "</style"
                                                                               : "</title";
            size_t after = (size_t)(p - html) + tag_len + 1;
            if (after > len)
                after = len;
            i = after + skip_raw(html + after, len - after, closing);
            const char *gt = i < len ? memchr(html + i, '>', len - i) : NULL;
            i = gt ? (size_t)(gt - html) + 1 : len;
            continue;
        }
        bool br = strcmp(name, "br") == 0;
        if (block_tag(name) || (br && last_br))
            text_mark_add(marks, out->len, MARK_BLOCK, NULL, 0);
        last_br = br;
        const char *value;
        size_t vlen;
        if (strcmp(name, "a") == 0) {
            if (in_link)
                text_mark_add(marks, out->len, MARK_LINK_CLOSE, NULL, 0);
            in_link = false;
            if (find_attr(p, tag_len, "href", &value, &vlen)) {
                st->links++;
                text_mark_add(marks, out->len, MARK_LINK_OPEN, value, vlen);
                in_link = true;
            }
        } else if (strcmp(name, "/a") == 0 && in_link) {
            text_mark_add(marks, out->len, MARK_LINK_CLOSE, NULL, 0);
            in_link = false;
        } else if (strcmp(name, "img") == 0) {
            /* An image is an element: its alt text is what a reader sees
             * when images are off, its source where it comes from. */
            const char *src = NULL;
            size_t src_len = 0;
            find_attr(p, tag_len, "src", &src, &src_len);
            bool alt = find_attr(p, tag_len, "alt", &value, &vlen) && vlen > 0;
            if (alt || src_len > 0) {
                g_string_append_c(out, ' ');
                text_mark_add(marks, out->len, MARK_IMAGE_OPEN, src, src_len);
                if (alt)
                    append_decoded(out, value, vlen, max);
                text_mark_add(marks, out->len, MARK_IMAGE_CLOSE, NULL, 0);
            }
        }
        if (out->len < max)
            g_string_append_c(out, ' '); /* every tag separates words */
        i += tag_len + 2;
    }
    if (in_link)
        text_mark_add(marks, out->len, MARK_LINK_CLOSE, NULL, 0);
    text_mark_add(marks, out->len, MARK_BLOCK, NULL, 0);
}
