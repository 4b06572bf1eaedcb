/*
 * names — the words and times the store reads and writes: action names,
 * consent-state names, purposes, and the ISO 8601 subset we accept.
 *
 * The time parser is our own rather than GLib's because we need a strict
 * subset (a date alone is fine, "24:00" and leap seconds are not) and it
 * runs once per imported row.
 */
#include "store.h"

#include <glib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *const action_names[] = {
    [STORE_GRANT] = "grant",
    [STORE_WITHDRAW] = "withdraw",
    [STORE_OBJECT] = "object",
    [STORE_UNOBJECT] = "unobject",
};

int store_action_parse(const char *name, store_action *out)
{
    for (size_t i = 0; i < G_N_ELEMENTS(action_names); i++) {
        if (g_ascii_strcasecmp(name, action_names[i]) == 0) {
            *out = (store_action)i;
            return 0;
        }
    }
    return -1;
}

const char *store_action_name(store_action action)
{
    if ((unsigned)action >= G_N_ELEMENTS(action_names))
        return "?";
    return action_names[action];
}

const char *consent_kind_name(consent_kind kind)
{
    switch (kind) {
    case CONSENT_NONE: return "none";
    case CONSENT_GRANTED: return "granted";
    case CONSENT_WITHDRAWN: return "withdrawn";
    case CONSENT_OBJECTED: return "objected";
    case CONSENT_EXPIRED: return "expired";
    }
    return "none";
}

bool store_purpose_valid(const char *purpose)
{
    size_t len = strlen(purpose);
    if (len == 0 || len > STORE_PURPOSE_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = purpose[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-'))
            return false;
    }
    return true;
}

/* Reads exactly n digits. */
static bool digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (c - '0');
    }
    *p += n;
    *out = v;
    return true;
}

static int days_in_month(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return days[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's method). */
static int64_t days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int store_time_parse(const char *text, int64_t *out)
{
    const char *p = text;
    int y, mo, d, h = 0, mi = 0, s = 0;
    if (!digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) || *p++ != '-' ||
        !digits(&p, 2, &d))
        return -1;
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
        return -1;
    int64_t offset = 0;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        p++;
        if (!digits(&p, 2, &h) || *p++ != ':' || !digits(&p, 2, &mi))
            return -1;
        if (*p == ':') {
            p++;
            if (!digits(&p, 2, &s))
                return -1;
            if (*p == '.' || *p == ',') { /* fraction: accepted, dropped */
                p++;
                if (*p < '0' || *p > '9')
                    return -1;
                while (*p >= '0' && *p <= '9')
                    p++;
            }
        }
        if (h > 23 || mi > 59 || s > 59)
            return -1;
        if (*p == 'Z' || *p == 'z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int sign = *p++ == '-' ? -1 : 1, oh, om;
            if (!digits(&p, 2, &oh))
                return -1;
            if (*p == ':')
                p++;
            if (!digits(&p, 2, &om) || oh > 23 || om > 59)
                return -1;
            offset = sign * (oh * 3600 + om * 60);
        }
    }
    if (*p != '\0')
        return -1;
    *out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - offset;
    return 0;
}

void store_time_format(int64_t t, char *buf, size_t bufsz)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (gmtime_r(&tt, &tm) == NULL || strftime(buf, bufsz, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, bufsz, "@%lld", (long long)t);
}

void store_errf(char err[STORE_ERR_MAX], const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, STORE_ERR_MAX, fmt, ap);
    va_end(ap);
}
