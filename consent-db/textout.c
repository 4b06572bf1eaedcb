/*
 * textout — CSV and JSON escaping.
 */
#include "textout.h"

#include <string.h>

void textout_csv_field(FILE *out, const char *v)
{
    size_t len = strlen(v);
    int quote = strpbrk(v, ",\"\r\n") != NULL ||
                (len > 0 && (v[0] == ' ' || v[len - 1] == ' ' || v[0] == '\t'));
    if (!quote) {
        fputs(v, out);
        return;
    }
    putc('"', out);
    for (const char *p = v; *p; p++) {
        if (*p == '"')
            putc('"', out);
        putc(*p, out);
    }
    putc('"', out);
}

void textout_json_string(FILE *out, const char *v)
{
    putc('"', out);
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", out); break;
        case '\\': fputs("\\\\", out); break;
        case '\n': fputs("\\n", out); break;
        case '\r': fputs("\\r", out); break;
        case '\t': fputs("\\t", out); break;
        default:
            if (*p < 0x20 || *p == 0x7f)
                fprintf(out, "\\u%04x", *p);
            else
                putc(*p, out);
        }
    }
    putc('"', out);
}
