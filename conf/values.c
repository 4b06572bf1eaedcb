/*
 * values — what each kind of configuration value may look like.
 */
#include "values.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

void conf_errf(char err[CONF_ERR_MAX], const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, CONF_ERR_MAX, fmt, ap);
    va_end(ap);
}

static int bad(char err[CONF_ERR_MAX], const char *v, const char *expected)
{
    conf_errf(err, "'%.60s' is not %s", v, expected);
    return -1;
}

int value_bool(const char *v, bool *out, char err[CONF_ERR_MAX])
{
    static const char *const yes[] = {"yes", "true", "on", "1"};
    static const char *const no[] = {"no", "false", "off", "0"};
    for (size_t i = 0; i < G_N_ELEMENTS(yes); i++) {
        if (g_ascii_strcasecmp(v, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (g_ascii_strcasecmp(v, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return bad(err, v, "yes or no");
}

int value_int(const char *v, long min, long max, long *out, char err[CONF_ERR_MAX])
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno != 0 || end == v || *end != '\0' || n < min || n > max) {
        conf_errf(err, "'%.60s' is not a whole number from %ld to %ld", v, min, max);
        return -1;
    }
    *out = n;
    return 0;
}

int value_size(const char *v, size_t min, size_t max, size_t *out, char err[CONF_ERR_MAX])
{
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    unsigned long long mult = 1;
    if (end != v && (*end == 'k' || *end == 'K'))
        mult = 1024, end++;
    else if (end != v && (*end == 'm' || *end == 'M'))
        mult = 1024 * 1024, end++;
    else if (end != v && (*end == 'g' || *end == 'G'))
        mult = 1024ULL * 1024 * 1024, end++;
    if (errno != 0 || end == v || *end != '\0' || v[0] == '-' || n > max / mult ||
        n * mult < min || n * mult > max) {
        conf_errf(err, "'%.60s' is not a size from %zu to %zu bytes (K, M suffixes)",
                 v, min, max);
        return -1;
    }
    *out = (size_t)(n * mult);
    return 0;
}

int value_duration(const char *v, int64_t *out, char err[CONF_ERR_MAX])
{
    if (g_ascii_strcasecmp(v, "off") == 0 || strcmp(v, "0") == 0) {
        *out = 0;
        return 0;
    }
    char *end;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    int64_t unit = 0;
    switch (end != v ? *end : '\0') {
    case 's': unit = 1; break;
    case 'm': unit = 60; break;
    case 'h': unit = 3600; break;
    case 'd': unit = 86400; break;
    case 'w': unit = 7 * 86400; break;
    case 'y': unit = 365 * 86400; break;
    default: break;
    }
    if (errno != 0 || unit == 0 || end[1] != '\0' || n <= 0 || n > 100LL * 365 * 86400 / unit)
        return bad(err, v, "a duration such as 30d, 18m(inutes), 2y, or off");
    *out = (int64_t)n * unit;
    return 0;
}

int value_choice(const char *v, const char *const *names, int *out, char err[CONF_ERR_MAX])
{
    GString *list = g_string_new(NULL);
    for (int i = 0; names[i] != NULL; i++) {
        if (g_ascii_strcasecmp(v, names[i]) == 0) {
            *out = i;
            g_string_free(list, TRUE);
            return 0;
        }
        g_string_append_printf(list, "%s%s", i ? ", " : "", names[i]);
    }
    conf_errf(err, "'%.60s' is not one of %s", v, list->str);
    g_string_free(list, TRUE);
    return -1;
}

static bool valid_port(const char *p, size_t n)
{
    if (n == 0 || n > 5)
        return false;
    long port = 0;
    for (size_t i = 0; i < n; i++) {
        if (!g_ascii_isdigit(p[i]))
            return false;
        port = port * 10 + (p[i] - '0');
    }
    return port >= 1 && port <= 65535;
}

int value_socket(const char *v, char err[CONF_ERR_MAX])
{
    const char *expected = "a socket: inet:PORT@HOST, inet6:PORT@HOST or local:/path";
    if (g_str_has_prefix(v, "local:") || g_str_has_prefix(v, "unix:")) {
        const char *path = strchr(v, ':') + 1;
        if (path[0] != '/' || strlen(path) >= 108) /* sun_path */
            return bad(err, v, "a socket path: absolute and shorter than 108 bytes");
        return 0;
    }
    bool v6 = g_str_has_prefix(v, "inet6:");
    if (!v6 && !g_str_has_prefix(v, "inet:"))
        return bad(err, v, expected);
    const char *port = strchr(v, ':') + 1;
    const char *at = strchr(port, '@');
    if (!valid_port(port, at ? (size_t)(at - port) : strlen(port)))
        return bad(err, v, "a socket with a port from 1 to 65535 (inet:PORT@HOST)");
    if (at != NULL) {
        const char *host = at + 1;
        unsigned char buf[16];
        if (host[0] == '\0')
            return bad(err, v, expected);
        bool is_ip = inet_pton(v6 ? AF_INET6 : AF_INET, host, buf) == 1;
        bool is_name = true;
        for (const char *h = host; *h; h++)
            is_name &= g_ascii_isalnum(*h) || *h == '.' || *h == '-';
        if (!is_ip && (!is_name || v6))
            return bad(err, v, v6 ? "a socket with an IPv6 address (inet6:PORT@ADDR)"
                                  : "a socket with a host name or IPv4 address");
    }
    return 0;
}

int value_network(const char *v, conf_network *out, char err[CONF_ERR_MAX])
{
    char text[INET6_ADDRSTRLEN + 8];
    if (strlen(v) >= sizeof text)
        return bad(err, v, "a network (192.0.2.0/24, 2001:db8::/32)");
    strcpy(text, v);
    char *slash = strchr(text, '/');
    long prefix = -1;
    if (slash != NULL) {
        *slash = '\0';
        char *end;
        prefix = strtol(slash + 1, &end, 10);
        if (slash[1] == '\0' || *end != '\0' || prefix < 0)
            return bad(err, v, "a network (192.0.2.0/24, 2001:db8::/32)");
    }
    memset(out, 0, sizeof *out);
    unsigned char v4[4];
    if (inet_pton(AF_INET, text, v4) == 1) {
        if (prefix > 32)
            return bad(err, v, "an IPv4 network (prefix at most 32)");
        out->addr[10] = out->addr[11] = 0xff; /* ::ffff:a.b.c.d */
        memcpy(out->addr + 12, v4, 4);
        out->prefix = 96 + (int)(prefix < 0 ? 32 : prefix);
    } else if (inet_pton(AF_INET6, text, out->addr) == 1) {
        if (prefix > 128)
            return bad(err, v, "an IPv6 network (prefix at most 128)");
        out->prefix = (int)(prefix < 0 ? 128 : prefix);
    } else {
        return bad(err, v, "auth or a network (192.0.2.0/24, 2001:db8::/32)");
    }
    /* Host bits must be zero: "10.1.2.3/8" is almost always a typo. */
    for (int bit = out->prefix; bit < 128; bit++)
        if (out->addr[bit / 8] & (0x80 >> (bit % 8)))
            return bad(err, v, "a network address (host bits set after the prefix)");
    return 0;
}

int value_trusted(const char *v, bool *auth, conf_network **nets, size_t *n,
                  char err[CONF_ERR_MAX])
{
    *auth = false;
    *n = 0;
    *nets = NULL;
    gchar **parts = g_strsplit_set(v, ", \t", -1);
    GArray *list = g_array_new(FALSE, FALSE, sizeof(conf_network));
    int rc = 0;
    for (int i = 0; parts[i] != NULL && rc == 0; i++) {
        if (parts[i][0] == '\0')
            continue;
        if (g_ascii_strcasecmp(parts[i], "auth") == 0) {
            *auth = true;
            continue;
        }
        if (g_ascii_strcasecmp(parts[i], "none") == 0)
            continue;
        conf_network net;
        rc = value_network(parts[i], &net, err);
        if (rc == 0)
            g_array_append_val(list, net);
    }
    g_strfreev(parts);
    *n = list->len;
    *nets = (conf_network *)(void *)g_array_free(list, FALSE);
    if (rc < 0) {
        g_free(*nets);
        *nets = NULL;
        *n = 0;
    }
    return rc;
}

int value_header_name(const char *v, char err[CONF_ERR_MAX])
{
    if (v[0] == '\0' || strlen(v) > 76)
        return bad(err, v, "a header field name");
    for (const char *p = v; *p; p++)
        if (*p <= ' ' || *p > '~' || *p == ':')
            return bad(err, v, "a header field name (printable ASCII, no colon or blank)");
    return 0;
}

int value_facility(const char *v, int *out, char err[CONF_ERR_MAX])
{
    static const struct {
        const char *name;
        int value;
    } facilities[] = {
        {"mail", LOG_MAIL},     {"daemon", LOG_DAEMON}, {"user", LOG_USER},
        {"local0", LOG_LOCAL0}, {"local1", LOG_LOCAL1}, {"local2", LOG_LOCAL2},
        {"local3", LOG_LOCAL3}, {"local4", LOG_LOCAL4}, {"local5", LOG_LOCAL5},
        {"local6", LOG_LOCAL6}, {"local7", LOG_LOCAL7},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(facilities); i++) {
        if (g_ascii_strcasecmp(v, facilities[i].name) == 0) {
            *out = facilities[i].value;
            return 0;
        }
    }
    return bad(err, v, "a syslog facility (mail, daemon, user, local0 to local7)");
}

int value_umask(const char *v, unsigned *out, char err[CONF_ERR_MAX])
{
    char *end;
    unsigned long m = strtoul(v, &end, 8);
    if (end == v || *end != '\0' || m > 0777 || v[0] == '-')
        return bad(err, v, "an octal umask such as 007");
    *out = (unsigned)m;
    return 0;
}

int value_path(const char *v, char err[CONF_ERR_MAX])
{
    if (v[0] != '/')
        return bad(err, v, "an absolute path");
    return 0;
}
