/*
 * conf — reading the configuration file into a snapshot (see conf.h).
 */
#include "conf.h"

#include <arpa/inet.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "values.h"

static const char *const mode_names[] = {"reject", "quarantine", "tag", "dry-run", NULL};
static const char *const mixed_names[] = {"split", "reject", "quarantine", NULL};
static const char *const on_error_names[] = {"tempfail", "accept", "reject", NULL};

const char *conf_mode_name(conf_mode mode) { return mode_names[mode]; }
const char *conf_mixed_name(conf_mixed mixed) { return mixed_names[mixed]; }
const char *conf_on_error_name(conf_on_error e) { return on_error_names[e]; }

conf *conf_defaults(void)
{
    conf *c = g_new0(conf, 1);
    c->socket = g_strdup("local:/run/consent-milter/consent-milter.sock");
    c->database = g_strdup("/var/lib/consent-milter/consent.db");
    c->audit_database = g_strdup("/var/lib/consent-milter/audit.db");
    c->mode = MODE_REJECT;
    c->mixed = MIXED_SPLIT;
    c->category_header = g_strdup("X-Mail-Category");
    c->purpose_header = g_strdup("X-Consent-Purpose");
    c->strip_category_header = true;
    c->trust_auth = true;
    c->on_database_error = ONERROR_TEMPFAIL;
    c->database_timeout_ms = 2000;
    c->max_scan_bytes = 1024 * 1024;
    c->consent_max_age = 0;
    c->audit_retention = 3 * 365 * 86400LL;
    c->reject_text = g_strdup("Promotional message refused: no consent on record for the "
                              "recipient (UWG 7(2), GDPR Art. 21)");
    c->verdict_header = g_strdup("X-Consent-Verdict");
    c->umask = 007;
    c->syslog = true;
    c->syslog_facility = LOG_MAIL;
    return c;
}

void conf_free(conf *c)
{
    if (c == NULL)
        return;
    g_free(c->path);
    g_free(c->socket);
    g_free(c->database);
    g_free(c->audit_database);
    g_free(c->category_header);
    g_free(c->purpose_header);
    g_free(c->trusted);
    g_free(c->signals_file);
    g_free(c->reject_text);
    g_free(c->verdict_header);
    g_free(c->pid_file);
    g_free(c->user_id);
    g_free(c);
}

/* ---- one handler per key ------------------------------------------------ */

typedef int (*key_fn)(conf *c, const char *v, char err[CONF_ERR_MAX]);

static int set_string(char **field, const char *v)
{
    g_free(*field);
    *field = g_strdup(v);
    return 0;
}

static int k_socket(conf *c, const char *v, char *err)
{
    return value_socket(v, err) < 0 ? -1 : set_string(&c->socket, v);
}
static int k_database(conf *c, const char *v, char *err)
{
    return value_path(v, err) < 0 ? -1 : set_string(&c->database, v);
}
static int k_audit_database(conf *c, const char *v, char *err)
{
    return value_path(v, err) < 0 ? -1 : set_string(&c->audit_database, v);
}
static int k_mode(conf *c, const char *v, char *err)
{
    int i;
    if (value_choice(v, mode_names, &i, err) < 0)
        return -1;
    c->mode = (conf_mode)i;
    return 0;
}
static int k_mixed(conf *c, const char *v, char *err)
{
    int i;
    if (value_choice(v, mixed_names, &i, err) < 0)
        return -1;
    c->mixed = (conf_mixed)i;
    return 0;
}
static int k_category_header(conf *c, const char *v, char *err)
{
    return value_header_name(v, err) < 0 ? -1 : set_string(&c->category_header, v);
}
static int k_purpose_header(conf *c, const char *v, char *err)
{
    return value_header_name(v, err) < 0 ? -1 : set_string(&c->purpose_header, v);
}
static int k_strip(conf *c, const char *v, char *err)
{
    return value_bool(v, &c->strip_category_header, err);
}
static int k_trusted(conf *c, const char *v, char *err)
{
    g_free(c->trusted);
    return value_trusted(v, &c->trust_auth, &c->trusted, &c->n_trusted, err);
}
static int k_on_db_error(conf *c, const char *v, char *err)
{
    int i;
    if (value_choice(v, on_error_names, &i, err) < 0)
        return -1;
    c->on_database_error = (conf_on_error)i;
    return 0;
}
static int k_db_timeout(conf *c, const char *v, char *err)
{
    long ms;
    if (value_int(v, 0, 60000, &ms, err) < 0)
        return -1;
    c->database_timeout_ms = (int)ms;
    return 0;
}
static int k_max_scan(conf *c, const char *v, char *err)
{
    return value_size(v, 4096, 64 * 1024 * 1024, &c->max_scan_bytes, err);
}
static int k_max_age(conf *c, const char *v, char *err)
{
    return value_duration(v, &c->consent_max_age, err);
}
static int k_case(conf *c, const char *v, char *err)
{
    return value_bool(v, &c->local_part_case_sensitive, err);
}
static int k_audit_all(conf *c, const char *v, char *err)
{
    return value_bool(v, &c->audit_all, err);
}
static int k_retention(conf *c, const char *v, char *err)
{
    return value_duration(v, &c->audit_retention, err);
}
static int k_signals(conf *c, const char *v, char *err)
{
    return value_path(v, err) < 0 ? -1 : set_string(&c->signals_file, v);
}
static int k_reject_text(conf *c, const char *v, char *err)
{
    /* It goes into an SMTP reply: printable ASCII only, bounded. */
    if (strlen(v) > 200)
        return conf_errf(err, "the text is longer than 200 characters"), -1;
    for (const char *p = v; *p; p++)
        if (*p < ' ' || *p > '~' || *p == '%')
            return snprintf(err, CONF_ERR_MAX,
                            "the text may hold printable ASCII only, without '%%'"),
                   -1;
    return set_string(&c->reject_text, v);
}
static int k_verdict_header(conf *c, const char *v, char *err)
{
    return value_header_name(v, err) < 0 ? -1 : set_string(&c->verdict_header, v);
}
static int k_pid_file(conf *c, const char *v, char *err)
{
    return value_path(v, err) < 0 ? -1 : set_string(&c->pid_file, v);
}
static int k_user_id(conf *c, const char *v, char *err)
{
    for (const char *p = v; *p; p++)
        if (!g_ascii_isalnum(*p) && *p != '_' && *p != '-' && *p != '.' && *p != ':')
            return conf_errf(err, "'%.60s' is not a user[:group]", v), -1;
    return set_string(&c->user_id, v);
}
static int k_umask(conf *c, const char *v, char *err)
{
    return value_umask(v, &c->umask, err);
}
static int k_syslog(conf *c, const char *v, char *err)
{
    return value_bool(v, &c->syslog, err);
}
static int k_facility(conf *c, const char *v, char *err)
{
    return value_facility(v, &c->syslog_facility, err);
}

static const struct key {
    const char *name;
    key_fn set;
} keys[] = {
    {"Socket", k_socket},
    {"Database", k_database},
    {"AuditDatabase", k_audit_database},
    {"Mode", k_mode},
    {"MixedRecipients", k_mixed},
    {"CategoryHeader", k_category_header},
    {"PurposeHeader", k_purpose_header},
    {"StripCategoryHeader", k_strip},
    {"TrustedHeaderFrom", k_trusted},
    {"OnDatabaseError", k_on_db_error},
    {"DatabaseTimeout", k_db_timeout},
    {"MaxScanBytes", k_max_scan},
    {"ConsentMaxAge", k_max_age},
    {"LocalPartCaseSensitive", k_case},
    {"AuditAll", k_audit_all},
    {"AuditRetention", k_retention},
    {"SignalsFile", k_signals},
    {"RejectText", k_reject_text},
    {"VerdictHeader", k_verdict_header},
    {"PidFile", k_pid_file},
    {"UserID", k_user_id},
    {"UMask", k_umask},
    {"Syslog", k_syslog},
    {"SyslogFacility", k_facility},
};

const char *const *conf_keys(void)
{
    static const char *names[G_N_ELEMENTS(keys) + 1];
    for (size_t i = 0; i < G_N_ELEMENTS(keys); i++)
        names[i] = keys[i].name;
    return names;
}

/* ---- the file ------------------------------------------------------------ */

static int parse_line(conf *c, char *line, bool *seen, char err[CONF_ERR_MAX])
{
    /* A '#' starts a comment at the start of a line or after a blank. */
    for (char *p = line; *p; p++) {
        if (*p == '#' && (p == line || p[-1] == ' ' || p[-1] == '\t')) {
            *p = '\0';
            break;
        }
    }
    g_strstrip(line);
    if (line[0] == '\0')
        return 0;
    char *value = line;
    while (*value && *value != ' ' && *value != '\t')
        value++;
    if (*value)
        *value++ = '\0';
    g_strchug(value);
    for (size_t i = 0; i < G_N_ELEMENTS(keys); i++) {
        if (g_ascii_strcasecmp(line, keys[i].name) != 0)
            continue;
        if (seen[i]) {
            conf_errf(err, "%s is given twice", keys[i].name);
            return -1;
        }
        seen[i] = true;
        if (value[0] == '\0') {
            conf_errf(err, "%s needs a value", keys[i].name);
            return -1;
        }
        char why[CONF_ERR_MAX];
        if (keys[i].set(c, value, why) < 0) {
            conf_errf(err, "%s: %s", keys[i].name, why);
            return -1;
        }
        return 0;
    }
    conf_errf(err, "unknown key '%.60s'", line);
    return -1;
}

conf *conf_parse(const char *text, size_t len, const char *name, char err[CONF_ERR_MAX])
{
    conf *c = conf_defaults();
    c->path = g_strdup(name);
    bool seen[G_N_ELEMENTS(keys)] = {false};
    size_t start = 0;
    int line_no = 0;
    while (start < len) {
        line_no++;
        const char *nl = memchr(text + start, '\n', len - start);
        size_t n = nl ? (size_t)(nl - (text + start)) : len - start;
        char why[CONF_ERR_MAX] = "";
        if (n >= CONF_LINE_MAX) {
            conf_errf(why, "line longer than %d bytes", CONF_LINE_MAX - 1);
        } else if (memchr(text + start, '\0', n) != NULL) {
            conf_errf(why, "a NUL byte");
        } else if (!g_utf8_validate(text + start, (gssize)n, NULL)) {
            conf_errf(why, "not valid UTF-8");
        } else {
            char line[CONF_LINE_MAX];
            memcpy(line, text + start, n);
            line[n] = '\0';
            parse_line(c, line, seen, why);
        }
        if (why[0] != '\0') {
            conf_errf(err, "%s:%d: %s", name, line_no, why);
            conf_free(c);
            return NULL;
        }
        start += n + 1;
    }
    return c;
}

conf *conf_load(const char *path, char err[CONF_ERR_MAX])
{
    gchar *text;
    gsize len;
    GError *error = NULL;
    if (!g_file_get_contents(path, &text, &len, &error)) {
        conf_errf(err, "cannot read %s: %s", path, error->message);
        g_error_free(error);
        return NULL;
    }
    conf *c = conf_parse(text, len, path, err);
    g_free(text);
    return c;
}

bool conf_trusts_sender(const conf *c, bool authenticated, const char *client_ip)
{
    if (authenticated && c->trust_auth)
        return true;
    if (client_ip == NULL || c->n_trusted == 0)
        return false;
    conf_network addr;
    char err[CONF_ERR_MAX];
    const char *ip = client_ip;
    if (ip[0] == '[') { /* Postfix may bracket an address literal */
        static __thread char buf[64];
        size_t n = strcspn(ip + 1, "]");
        if (n >= sizeof buf)
            return false;
        memcpy(buf, ip + 1, n);
        buf[n] = '\0';
        ip = buf;
    }
    if (g_str_has_prefix(ip, "IPv6:"))
        ip += 5;
    if (value_network(ip, &addr, err) < 0)
        return false;
    for (size_t i = 0; i < c->n_trusted; i++) {
        const conf_network *net = &c->trusted[i];
        int full = net->prefix / 8, rest = net->prefix % 8;
        if (memcmp(net->addr, addr.addr, (size_t)full) != 0)
            continue;
        if (rest == 0 || ((net->addr[full] ^ addr.addr[full]) & (0xff << (8 - rest))) == 0)
            return true;
    }
    return false;
}
