/*
 * fold — the classifier's text normalisation (see fold.h).
 */
#include "fold.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* Windows-1252's 0x80-0x9F block as code points (0 = undefined). */
static const gunichar cp1252_high[32] = {
    0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0, 0x017D, 0, 0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013,
    0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
};

/* Latin Extended-A (U+0100-U+017F: Polish, Czech, Hungarian, ...) spelt
 * in ASCII: "przesyłka" reads as "przesylka", "Dostawę" as "dostawe". */
static const char *const latin_ext_a[128] = {
    "a", "a", "a", "a", "a", "a", "c", "c", "c", "c", "c", "c",
    "c", "c", "d", "d", "d", "d", "e", "e", "e", "e", "e", "e",
    "e", "e", "e", "e", "g", "g", "g", "g", "g", "g", "g", "g",
    "h", "h", "h", "h", "i", "i", "i", "i", "i", "i", "i", "i",
    "i", "i", "ij", "ij", "j", "j", "k", "k", "k", "l", "l", "l",
    "l", "l", "l", "l", "l", "l", "l", "n", "n", "n", "n", "n",
    "n", "n", "n", "n", "o", "o", "o", "o", "o", "o", "oe", "oe",
    "r", "r", "r", "r", "r", "r", "s", "s", "s", "s", "s", "s",
    "s", "s", "t", "t", "t", "t", "t", "t", "u", "u", "u", "u",
    "u", "u", "u", "u", "u", "u", "u", "u", "w", "w", "y", "y",
    "y", "z", "z", "z", "z", "z", "z", "s",
};

/* Latin-1 supplement and Latin Extended-A letters, lower-cased and spelt
 * in ASCII. */
static const char *latin1_fold(gunichar c)
{
    if (c >= 0x100 && c < 0x180)
        return latin_ext_a[c - 0x100];
    switch (c) {
    case 0xC4: case 0xE4: return "ae";
    case 0xD6: case 0xF6: return "oe";
    case 0xDC: case 0xFC: return "ue";
    case 0xDF: return "ss";
    case 0xC6: case 0xE6: return "ae";
    case 0xD8: case 0xF8: return "o";
    case 0xC5: case 0xE5: return "a";
    case 0xC0: case 0xC1: case 0xC2: case 0xC3: case 0xE0: case 0xE1: case 0xE2: case 0xE3:
        return "a";
    case 0xC7: case 0xE7: return "c";
    case 0xC8: case 0xC9: case 0xCA: case 0xCB: case 0xE8: case 0xE9: case 0xEA: case 0xEB:
        return "e";
    case 0xCC: case 0xCD: case 0xCE: case 0xCF: case 0xEC: case 0xED: case 0xEE: case 0xEF:
        return "i";
    case 0xD1: case 0xF1: return "n";
    case 0xD2: case 0xD3: case 0xD4: case 0xD5: case 0xF2: case 0xF3: case 0xF4: case 0xF5:
        return "o";
    case 0xD9: case 0xDA: case 0xDB: case 0xF9: case 0xFA: case 0xFB: return "u";
    case 0xDD: case 0xFD: case 0xFF: return "y";
    case 0x20AC: return "eur"; /* the euro sign reads as a word: "10 eur" */
    default: return NULL;
    }
}

/* Decodes one character at p (len > 0 bytes left): valid UTF-8, or one byte
 * read as Windows-1252. */
static gunichar next_char(const unsigned char *p, size_t len, size_t *used)
{
    if (p[0] < 0x80) {
        *used = 1;
        return p[0];
    }
    gunichar c = g_utf8_get_char_validated((const char *)p, (gssize)(len > 6 ? 6 : len));
    if (c != (gunichar)-1 && c != (gunichar)-2) {
        *used = (size_t)(g_utf8_next_char(p) - (const char *)p);
        return c;
    }
    *used = 1;
    if (p[0] < 0xA0)
        return cp1252_high[p[0] - 0x80];
    return p[0];
}

/* ASCII byte -> its folded form, 0 for a separator. */
static const unsigned char ascii_fold[128] = {
    ['%'] = '%',
    ['0'] = '0', ['1'] = '1', ['2'] = '2', ['3'] = '3', ['4'] = '4',
    ['5'] = '5', ['6'] = '6', ['7'] = '7', ['8'] = '8', ['9'] = '9',
    ['A'] = 'a', ['B'] = 'b', ['C'] = 'c', ['D'] = 'd', ['E'] = 'e', ['F'] = 'f', ['G'] = 'g',
    ['H'] = 'h', ['I'] = 'i', ['J'] = 'j', ['K'] = 'k', ['L'] = 'l', ['M'] = 'm', ['N'] = 'n',
    ['O'] = 'o', ['P'] = 'p', ['Q'] = 'q', ['R'] = 'r', ['S'] = 's', ['T'] = 't', ['U'] = 'u',
    ['V'] = 'v', ['W'] = 'w', ['X'] = 'x', ['Y'] = 'y', ['Z'] = 'z',
    ['a'] = 'a', ['b'] = 'b', ['c'] = 'c', ['d'] = 'd', ['e'] = 'e', ['f'] = 'f', ['g'] = 'g',
    ['h'] = 'h', ['i'] = 'i', ['j'] = 'j', ['k'] = 'k', ['l'] = 'l', ['m'] = 'm', ['n'] = 'n',
    ['o'] = 'o', ['p'] = 'p', ['q'] = 'q', ['r'] = 'r', ['s'] = 's', ['t'] = 't', ['u'] = 'u',
    ['v'] = 'v', ['w'] = 'w', ['x'] = 'x', ['y'] = 'y', ['z'] = 'z',
};

/* The most one input character can become: " eur " for a one-byte
 * Windows-1252 euro sign. */
#define FOLD_GROWTH_MAX 5

void fold_append(GString *out, const char *text, size_t len, size_t max)
{
    fold_append_stops(out, text, len, max, NULL, 0, NULL);
}

void fold_append_stops(GString *out, const char *text, size_t len, size_t max,
                       const size_t *stops, size_t n, size_t *folded_at)
{
    size_t k = 0;
    if (out->len >= max) {
        for (; k < n; k++)
            folded_at[k] = out->len;
        return;
    }
    /* Room for the worst case up to the bound (plus the separator and one
     * character past it, as the bound is checked per character; the result
     * may end up to FOLD_GROWTH_MAX bytes past max), then pointer writes:
     * this loop runs once per byte of every message. */
    size_t start = out->len;
    size_t room = max - start;
    if (len < room / FOLD_GROWTH_MAX)
        room = len * FOLD_GROWTH_MAX;
    g_string_set_size(out, start + room + FOLD_GROWTH_MAX + 1);
    char *o = out->str + start;
    char *const limit = out->str + start + room; /* stop once past it */
    const unsigned char *p = (const unsigned char *)text;
    if (start > 0 && o[-1] != ' ')
        *o++ = ' '; /* never join the last word to the next */
    bool space = true;
    size_t i = 0;
    size_t next_stop = n > 0 ? stops[0] : SIZE_MAX;
    while (i < len && o < limit) {
        if (i >= next_stop) { /* an element boundary: never join words across it */
            if (!space) {
                *o++ = ' ';
                space = true;
            }
            for (; k < n && stops[k] <= i; k++)
                folded_at[k] = (size_t)(o - out->str);
            next_stop = k < n ? stops[k] : SIZE_MAX;
        }
        /* Up to the next stop without looking for one: this loop runs once
         * per byte of every message. */
        size_t segment_end = next_stop < len ? next_stop : len;
        while (i < segment_end && o < limit) {
            unsigned char b = p[i];
            if (b < 0x80) { /* the common case, kept tight */
                i++;
                unsigned char f = ascii_fold[b];
                if (f != 0) {
                    *o++ = (char)f;
                    space = false;
                } else if (!space) {
                    *o++ = ' ';
                    space = true;
                }
                continue;
            }
            size_t used;
            gunichar c = next_char(p + i, len - i, &used);
            i += used;
            const char *spelt = latin1_fold(c);
            if (spelt == NULL && g_unichar_isalpha(c)) {
                gunichar low = g_unichar_tolower(c);
                spelt = latin1_fold(low);
                if (spelt == NULL) { /* another script: keep it as it is, lower-cased */
                    o += g_unichar_to_utf8(low, o);
                    space = false;
                    continue;
                }
            }
            if (spelt != NULL) {
                if (c == 0x20AC && !space)
                    *o++ = ' ';
                while (*spelt != '\0')
                    *o++ = *spelt++;
                space = false;
                if (c == 0x20AC) {
                    *o++ = ' ';
                    space = true;
                }
            } else if (!space) {
                *o++ = ' ';
                space = true;
            }
        }
    }
    g_string_truncate(out, (size_t)(o - out->str));
    for (; k < n; k++)
        folded_at[k] = out->len;
}

char *fold_keyword(const char *text)
{
    GString *s = g_string_new(NULL);
    fold_append(s, text, strlen(text), G_MAXSIZE);
    while (s->len > 0 && s->str[s->len - 1] == ' ')
        g_string_truncate(s, s->len - 1);
    size_t lead = 0;
    while (lead < s->len && s->str[lead] == ' ')
        lead++;
    g_string_erase(s, 0, (gssize)lead);
    return g_string_free(s, FALSE);
}
