/*
 * textout — escaping for every output: terminals and logs (store.h's
 * store_text_escape), CSV and JSON (textout.h). One rule decides what may
 * pass as it is (escape_one); the formats differ only in how they spell
 * what may not.
 */
#include "textout.h"

#include <glib.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "store.h"

/* Characters that change what a terminal or a log reader shows rather
 * than showing themselves: C0 controls, DEL, the C1 controls (U+0080 to
 * U+009F; U+009B is a CSI to some terminals), the line and paragraph
 * separators and the bidirectional overrides and isolates (which reorder
 * the text around them). */
static bool unsafe_char(gunichar c)
{
    return c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f) || c == 0x2028 || c == 0x2029 ||
           (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) || c == 0x200e ||
           c == 0x200f || c == 0x061c;
}

/* Looks at the character at p (NUL-terminated). Returns how many bytes it
 * takes; sets *code to it, or to -1 for a byte that starts no valid UTF-8
 * character (then 1 byte). */
static size_t next_char(const char *p, gint64 *code)
{
    unsigned char b = (unsigned char)p[0];
    if (b < 0x80) {
        *code = b;
        return 1;
    }
    size_t avail = strnlen(p, 6);
    gunichar c = g_utf8_get_char_validated(p, (gssize)avail);
    if (c == (gunichar)-1 || c == (gunichar)-2) {
        *code = -1;
        return 1;
    }
    *code = c;
    return (size_t)(g_utf8_next_char(p) - p);
}

/* The shown form of the character at p: writes it to rep (at least 12
 * bytes, not NUL-terminated) and returns its length; *used is how many
 * input bytes it stands for. */
static size_t escape_one(const char *p, char rep[12], size_t *used)
{
    gint64 code;
    size_t n = next_char(p, &code);
    *used = n;
    if (code == -1)
        return (size_t)snprintf(rep, 12, "\\x%02x", (unsigned char)p[0]);
    if (!unsafe_char((gunichar)code)) {
        memcpy(rep, p, n);
        return n;
    }
    switch (code) {
    case '\n': memcpy(rep, "\\n", 2); return 2;
    case '\r': memcpy(rep, "\\r", 2); return 2;
    case '\t': memcpy(rep, "\\t", 2); return 2;
    default: break;
    }
    if (code < 0x80)
        return (size_t)snprintf(rep, 12, "\\x%02x", (unsigned)code);
    return (size_t)snprintf(rep, 12, "\\u%04x", (unsigned)code);
}

size_t store_text_escape(const char *in, char *out, size_t outsz)
{
    if (outsz == 0)
        return 0;
    size_t o = 0;
    for (const char *p = in; *p;) {
        char rep[12];
        size_t used, n = escape_one(p, rep, &used);
        if (o + n + 1 > outsz)
            break; /* truncated, but never inside an escape or a character */
        memcpy(out + o, rep, n);
        o += n;
        p += used;
    }
    out[o] = '\0';
    return o;
}

void store_text_print(FILE *out, const char *in)
{
    for (const char *p = in; *p;) {
        char rep[12];
        size_t used, n = escape_one(p, rep, &used);
        fwrite(rep, 1, n, out);
        p += used;
    }
}

/* Would a spreadsheet take v for a formula (OWASP's CSV injection rule:
 * a cell beginning with = + - @ TAB or CR)? Also true behind any number
 * of leading single quotes, so that the guard quote is added to a value
 * that itself begins with one, and removing one guard quote on import
 * gives back every value exactly. */
bool textout_csv_needs_guard(const char *v)
{
    while (*v == '\'')
        v++;
    return *v != '\0' && strchr("=+-@\t\r", *v) != NULL;
}

const char *textout_csv_unguard(const char *v)
{
    return v[0] == '\'' && textout_csv_needs_guard(v) ? v + 1 : v;
}

/* A CSV field: quoted when it holds a comma, quote, CR, LF or an edge
 * blank, or needs the formula guard (then a ' before it, inside the
 * quotes); with exact, every byte as it is (data an import gives back as
 * it was), else every unsafe character escaped as for a terminal. */
static void csv_field(FILE *out, const char *v, bool exact)
{
    size_t len = strlen(v);
    bool guard = textout_csv_needs_guard(v);
    int quote = guard || strpbrk(v, ",\"\r\n") != NULL ||
                (len > 0 && (v[0] == ' ' || v[len - 1] == ' ' || v[0] == '\t'));
    if (quote)
        putc('"', out);
    if (guard)
        putc('\'', out);
    for (const char *p = v; *p;) {
        char rep[12];
        size_t used, n;
        if (exact) {
            rep[0] = *p;
            n = used = 1;
        } else {
            n = escape_one(p, rep, &used);
        }
        for (size_t i = 0; i < n; i++) {
            if (quote && rep[i] == '"')
                putc('"', out);
            putc(rep[i], out);
        }
        p += used;
    }
    if (quote)
        putc('"', out);
}

void textout_csv_field(FILE *out, const char *v)
{
    csv_field(out, v, true);
}

void textout_csv_text(FILE *out, const char *v)
{
    csv_field(out, v, false);
}

void textout_json_string(FILE *out, const char *v)
{
    putc('"', out);
    for (const char *p = v; *p;) {
        gint64 code;
        size_t n = next_char(p, &code);
        switch (code) {
        case '"': fputs("\\\"", out); break;
        case '\\': fputs("\\\\", out); break;
        case '\n': fputs("\\n", out); break;
        case '\r': fputs("\\r", out); break;
        case '\t': fputs("\\t", out); break;
        case -1: /* not UTF-8: the byte, as the Latin-1 character it would be */
            fprintf(out, "\\u%04x", (unsigned char)*p);
            break;
        default:
            if (unsafe_char((gunichar)code))
                fprintf(out, "\\u%04x", (unsigned)code);
            else
                fwrite(p, 1, n, out);
        }
        p += n;
    }
    putc('"', out);
}
