/*
 * charsets — lasting converters for the charsets seen (see charsets.h).
 */
#include "charsets.h"

#include <gmime/gmime.h>
#include <stdbool.h>
#include <string.h>

/* Names as iconv knows them (g_mime_charset_iconv_name), and the converter
 * that keeps each module loaded; never closed, like the module itself. */
static struct pinned {
    char *name;
    iconv_t cd;
} pinned[CHARSETS_MAX];
static size_t n_pinned;
static GMutex lock;

static bool pinned_already(const char *name)
{
    for (size_t i = 0; i < n_pinned; i++)
        if (g_ascii_strcasecmp(pinned[i].name, name) == 0)
            return true;
    return false;
}

void charsets_pin(const char *charset)
{
    if (charset == NULL || charset[0] == '\0')
        return;
    /* The charsets that need no converter (ASCII, UTF-8) are never pinned:
     * glibc has them built in. */
    if (g_ascii_strcasecmp(charset, "utf-8") == 0 || g_ascii_strcasecmp(charset, "us-ascii") == 0)
        return;
    const char *name = g_mime_charset_iconv_name(g_mime_charset_canon_name(charset));
    if (name == NULL)
        return;
    g_mutex_lock(&lock);
    if (n_pinned < CHARSETS_MAX && !pinned_already(name)) {
        iconv_t cd = iconv_open("UTF-8", name);
        if (cd != (iconv_t)-1) {
            pinned[n_pinned].name = g_strdup(name);
            pinned[n_pinned].cd = cd;
            n_pinned++;
        }
    }
    g_mutex_unlock(&lock);
}

void charsets_pin_common(void)
{
    static const char *const common[] = {
        "iso-8859-1", "iso-8859-15", "windows-1252", /* German and Western European */
        "iso-8859-2", "windows-1250",                 /* Central European */
    };
    for (size_t i = 0; i < G_N_ELEMENTS(common); i++)
        charsets_pin(common[i]);
}

size_t charsets_pinned(void)
{
    g_mutex_lock(&lock);
    size_t n = n_pinned;
    g_mutex_unlock(&lock);
    return n;
}
