/*
 * test_conf — the configuration file: defaults, every key's good and bad
 * values with file:line errors, the documented sample, and header trust.
 */
#include <check.h>
#include <glib.h>
#include <string.h>
#include <syslog.h>

#include "check_main.h"
#include "conf.h"

static conf *parse(const char *text, char err[CONF_ERR_MAX])
{
    return conf_parse(text, strlen(text), "test.conf", err);
}

START_TEST(test_defaults)
{
    char err[CONF_ERR_MAX] = "";
    conf *c = parse("# nothing but a comment\n\n   \n", err);
    ck_assert_msg(c != NULL, "%s", err);
    ck_assert_int_eq(c->mode, MODE_REJECT);
    ck_assert_int_eq(c->mixed, MIXED_SPLIT);
    ck_assert_int_eq(c->on_database_error, ONERROR_TEMPFAIL);
    ck_assert_str_eq(c->category_header, "X-Mail-Category");
    ck_assert(c->strip_category_header);
    ck_assert(c->trust_auth);
    ck_assert_uint_eq(c->n_trusted, 0);
    ck_assert_uint_eq(c->max_scan_bytes, 1024 * 1024);
    ck_assert_int_eq(c->consent_max_age, 0);
    ck_assert_ptr_null(c->signals_file);
    ck_assert_int_eq(c->syslog_facility, LOG_MAIL);
    conf_free(c);
}
END_TEST

START_TEST(test_values)
{
    char err[CONF_ERR_MAX] = "";
    conf *c = parse("Socket inet:8891@127.0.0.1\n"
                    "database /srv/consent.db   # comment after a blank\n"
                    "AuditDatabase /srv/audit.db\n"
                    "Mode DRY-RUN\n"
                    "MixedRecipients quarantine\n"
                    "CategoryHeader X-Shop-Category\n"
                    "PurposeHeader X-Purpose\n"
                    "StripCategoryHeader no\n"
                    "TrustedHeaderFrom 192.0.2.0/24, 2001:db8::/32 10.1.2.3\n"
                    "OnDatabaseError accept\n"
                    "DatabaseTimeout 500\n"
                    "MaxScanBytes 256K\n"
                    "ConsentMaxAge 2y\n"
                    "LocalPartCaseSensitive yes\n"
                    "AuditAll true\n"
                    "AuditRetention 90d\n"
                    "SignalsFile /etc/consent-milter/signals.conf\n"
                    "RejectText Not sent: no consent#1\n"
                    "VerdictHeader X-Verdict\n"
                    "PidFile /run/cm.pid\n"
                    "UserID consent-milter:mail\n"
                    "UMask 027\n"
                    "Syslog off\n"
                    "SyslogFacility local3\n",
                    err);
    ck_assert_msg(c != NULL, "%s", err);
    ck_assert_str_eq(c->socket, "inet:8891@127.0.0.1");
    ck_assert_str_eq(c->database, "/srv/consent.db");
    ck_assert_int_eq(c->mode, MODE_DRY_RUN);
    ck_assert_int_eq(c->mixed, MIXED_QUARANTINE);
    ck_assert(!c->strip_category_header);
    ck_assert(!c->trust_auth);
    ck_assert_uint_eq(c->n_trusted, 3);
    ck_assert_int_eq(c->on_database_error, ONERROR_ACCEPT);
    ck_assert_int_eq(c->database_timeout_ms, 500);
    ck_assert_uint_eq(c->max_scan_bytes, 256 * 1024);
    ck_assert_int_eq(c->consent_max_age, 2 * 365 * 86400LL);
    ck_assert(c->local_part_case_sensitive);
    ck_assert(c->audit_all);
    ck_assert_int_eq(c->audit_retention, 90 * 86400LL);
    ck_assert_str_eq(c->reject_text, "Not sent: no consent#1"); /* '#' not after a blank */
    ck_assert_uint_eq(c->umask, 027);
    ck_assert(!c->syslog);
    ck_assert_int_eq(c->syslog_facility, LOG_LOCAL3);
    ck_assert_str_eq(c->user_id, "consent-milter:mail");
    conf_free(c);
}
END_TEST

static const struct bad {
    const char *text, *what;
} bad[] = {
    {"Mode reject\nMood reject\n", "test.conf:2: unknown key 'Mood'"},
    {"Mode rejct\n", "test.conf:1: Mode: 'rejct' is not one of reject, quarantine, tag, dry-run"},
    {"Mode reject\nmode tag\n", "test.conf:2: Mode is given twice"},
    {"Mode\n", "test.conf:1: Mode needs a value"},
    {"Socket inet:99999@127.0.0.1\n", "port from 1 to 65535"},
    {"Socket inet:25@exa mple\n", "test.conf:1: Socket"},
    {"Socket inet6:8891@127.0.0.1\n", "IPv6"},
    {"Socket local:relative/path\n", "absolute"},
    {"Socket tcp:8891\n", "inet:PORT@HOST"},
    {"Database consent.db\n", "absolute path"},
    {"MixedRecipients some\n", "split, reject, quarantine"},
    {"CategoryHeader X Category\n", "header field name"},
    {"CategoryHeader X-Cat:\n", "header field name"},
    {"StripCategoryHeader maybe\n", "yes or no"},
    {"TrustedHeaderFrom auth, 10.0.0.1/8\n", "host bits"},
    {"TrustedHeaderFrom 300.1.1.1\n", "network"},
    {"TrustedHeaderFrom 192.0.2.0/33\n", "prefix at most 32"},
    {"TrustedHeaderFrom everyone\n", "auth or a network"},
    {"OnDatabaseError ignore\n", "tempfail, accept, reject"},
    {"DatabaseTimeout -1\n", "0 to 60000"},
    {"MaxScanBytes 100\n", "size from 4096"},
    {"MaxScanBytes 1G\n", "size from"},
    {"MaxScanBytes 12Q\n", "size from"},
    {"ConsentMaxAge 17 months\n", "duration"},
    {"ConsentMaxAge -3d\n", "duration"},
    {"AuditRetention forever\n", "duration"},
    {"SignalsFile signals.conf\n", "absolute"},
    {"RejectText 100% sure\n", "printable ASCII only"},
    {"UserID bad user\n", "user[:group]"},
    {"UMask 999\n", "octal"},
    {"SyslogFacility kernel\n", "syslog facility"},
    {"Mode reject\n\xff\xfe\n", "test.conf:2: not valid UTF-8"},
};

START_TEST(test_bad_values)
{
    char err[CONF_ERR_MAX] = "";
    conf *c = parse(bad[_i].text, err);
    ck_assert_msg(c == NULL, "accepted: %s", bad[_i].text);
    ck_assert_msg(strstr(err, bad[_i].what) != NULL, "'%s' lacks '%s'", err, bad[_i].what);
    ck_assert_msg(strncmp(err, "test.conf:", 10) == 0, "'%s' names no file:line", err);
}
END_TEST

START_TEST(test_bounds)
{
    char err[CONF_ERR_MAX] = "";
    GString *s = g_string_new("Mode reject\nRejectText ");
    for (int i = 0; i < CONF_LINE_MAX; i++)
        g_string_append_c(s, 'a');
    conf *c = conf_parse(s->str, s->len, "long.conf", err);
    ck_assert_ptr_null(c);
    ck_assert_ptr_nonnull(strstr(err, "long.conf:2: line longer"));
    g_string_free(s, TRUE);
    c = conf_parse("Mode reject\0tag\n", 16, "nul.conf", err);
    ck_assert_ptr_null(c);
    ck_assert_ptr_nonnull(strstr(err, "nul.conf:1: a NUL byte"));
    ck_assert_ptr_null(conf_load("/nonexistent/consent-milter.conf", err));
    ck_assert_ptr_nonnull(strstr(err, "cannot read /nonexistent/consent-milter.conf"));
}
END_TEST

START_TEST(test_sample_documents_every_key)
{
    char err[CONF_ERR_MAX] = "";
    const char *sample = PROJECT_DIR "/conf/consent-milter.conf";
    conf *c = conf_load(sample, err);
    ck_assert_msg(c != NULL, "the sample does not load: %s", err);
    conf_free(c);
    gchar *text;
    ck_assert(g_file_get_contents(sample, &text, NULL, NULL));
    for (const char *const *k = conf_keys(); *k != NULL; k++) {
        gchar *line = g_strdup_printf("\n#%s ", *k);
        ck_assert_msg(strstr(text, line) != NULL, "the sample does not show %s", *k);
        g_free(line);
    }
    /* ...and uncommenting every line gives a valid file too */
    GString *all = g_string_new(NULL);
    gchar **lines = g_strsplit(text, "\n", -1);
    for (int i = 0; lines[i]; i++) {
        const char *l = lines[i];
        if (l[0] == '#' && g_ascii_isupper(l[1]))
            l++;
        g_string_append_printf(all, "%s\n", l);
    }
    g_strfreev(lines);
    c = conf_parse(all->str, all->len, "uncommented", err);
    ck_assert_msg(c != NULL, "%s", err);
    conf_free(c);
    g_string_free(all, TRUE);
    g_free(text);
}
END_TEST

START_TEST(test_trust)
{
    char err[CONF_ERR_MAX] = "";
    conf *c = parse("TrustedHeaderFrom auth 192.0.2.0/24 2001:db8:1::/48 198.51.100.7\n", err);
    ck_assert_msg(c != NULL, "%s", err);
    ck_assert(conf_trusts_sender(c, true, NULL));
    ck_assert(conf_trusts_sender(c, false, "192.0.2.77"));
    ck_assert(!conf_trusts_sender(c, false, "192.0.3.1"));
    ck_assert(conf_trusts_sender(c, false, "198.51.100.7"));
    ck_assert(!conf_trusts_sender(c, false, "198.51.100.8"));
    ck_assert(conf_trusts_sender(c, false, "2001:db8:1:ffff::1"));
    ck_assert(!conf_trusts_sender(c, false, "2001:db8:2::1"));
    ck_assert(conf_trusts_sender(c, false, "[192.0.2.1]"));
    ck_assert(conf_trusts_sender(c, false, "IPv6:2001:db8:1::5"));
    ck_assert(!conf_trusts_sender(c, false, "not an address"));
    ck_assert(!conf_trusts_sender(c, false, NULL));
    conf_free(c);
    c = parse("TrustedHeaderFrom none\n", err);
    ck_assert(!conf_trusts_sender(c, true, "127.0.0.1"));
    conf_free(c);
    c = parse("TrustedHeaderFrom 0.0.0.0/0\n", err);
    ck_assert(conf_trusts_sender(c, false, "203.0.113.5"));
    ck_assert(!conf_trusts_sender(c, false, "2001:db8::1")); /* IPv4 only */
    conf_free(c);
}
END_TEST

static Suite *conf_suite(void)
{
    Suite *s = suite_create("conf");
    TCase *tc = tcase_create("file");
    tcase_add_test(tc, test_defaults);
    tcase_add_test(tc, test_values);
    tcase_add_loop_test(tc, test_bad_values, 0, (int)(sizeof bad / sizeof bad[0]));
    tcase_add_test(tc, test_bounds);
    tcase_add_test(tc, test_sample_documents_every_key);
    tcase_add_test(tc, test_trust);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(conf_suite)
