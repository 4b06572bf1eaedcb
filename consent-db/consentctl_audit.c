/*
 * consentctl audit — lists, exports and purges the milter's audit store:
 * the record of every recipient a message was held back from.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "conf.h"
#include "consentctl.h"
#include "textout.h"

#define DEFAULT_AUDIT_DB "/var/lib/consent-milter/audit.db"

static struct {
    char *db, *since, *format, *before;
} aopt;

static const char *const columns[] = {"id",        "at",       "queue_id", "message_id",
                                      "sender",    "recipient", "category", "source",
                                      "evidence",  "consent",  "action",   "mode",
                                      "reason"};

typedef enum { FMT_TABLE, FMT_CSV, FMT_JSON } out_format;

static void row_values(const audit_row *r, char id[24], char at[32], const char *v[13])
{
    snprintf(id, 24, "%lld", (long long)r->id);
    store_time_format(r->at, at, 32);
    const char *vals[] = {id,          at,         r->queue_id, r->message_id, r->sender,
                          r->recipient, r->category, r->source,  r->evidence,   r->consent,
                          r->action,    r->mode,     r->reason};
    memcpy(v, vals, sizeof vals);
}

static int print_row(const audit_row *r, void *arg)
{
    out_format f = *(out_format *)arg;
    char id[24], at[32];
    const char *v[13];
    row_values(r, id, at, v);
    if (f == FMT_TABLE) {
        /* Every column escaped: the recipient and queue id came from the
         * network. */
        char s[8][STORE_ADDRESS_MAX * 4 + 1];
        const char *raw[8] = {at, r->queue_id, r->recipient, r->category,
                              r->source, r->consent, r->action, r->reason};
        for (int i = 0; i < 8; i++)
            store_text_escape(raw[i], s[i], sizeof s[i]);
        printf("%-20s %-12s %-32.32s %-13s %-14s %-9s %-18s %s\n", s[0], s[1], s[2], s[3], s[4],
               s[5], s[6], s[7]);
    } else if (f == FMT_CSV) {
        for (int i = 0; i < 13; i++) {
            if (i > 0)
                putchar(',');
            textout_csv_text(stdout, v[i]);
        }
        putchar('\n');
    } else {
        putchar('{');
        for (int i = 0; i < 13; i++) {
            if (i > 0)
                putchar(',');
            textout_json_string(stdout, columns[i]);
            putchar(':');
            if (i == 0)
                fputs(id, stdout);
            else
                textout_json_string(stdout, v[i]);
        }
        fputs("}\n", stdout);
    }
    return ferror(stdout) ? 1 : 0;
}

/* The audit store's path: --audit-db, else the configuration's, else the
 * default. Caller frees. */
static char *audit_path(int *rc)
{
    if (aopt.db != NULL)
        return g_strdup(aopt.db);
    if (ctl_config_path() != NULL) {
        char err[CONF_ERR_MAX];
        conf *c = conf_load(ctl_config_path(), err);
        if (c == NULL) {
            *rc = ctl_refused(err);
            return NULL;
        }
        char *p = g_strdup(c->audit_database);
        conf_free(c);
        return p;
    }
    return g_strdup(DEFAULT_AUDIT_DB);
}

/* Opens the audit store named by --audit-db, -c or the default; on failure
 * reports it and sets *rc. */
static audit *open_audit(bool readonly, int *rc)
{
    char *path = audit_path(rc);
    if (path == NULL)
        return NULL;
    char err[STORE_ERR_MAX];
    struct stat st;
    if (stat(path, &st) < 0) { /* only the milter creates an audit store */
        ctl_error("cannot open audit store %s: %s", path, strerror(errno));
        g_free(path);
        *rc = EXIT_REFUSED;
        return NULL;
    }
    audit *a = audit_open(path, readonly, err);
    g_free(path);
    if (a == NULL)
        *rc = ctl_refused(err);
    return a;
}

/* A time as ISO 8601, or an age ("90d", "3y") counted back from now. */
static int parse_when(const char *text, int64_t *out)
{
    if (store_time_parse(text, out) == 0)
        return 0;
    char *end;
    long long n = strtoll(text, &end, 10);
    int64_t unit = 0;
    if (end != text && end[0] != '\0' && end[1] == '\0') {
        switch (end[0]) {
        case 'd': unit = 86400; break;
        case 'w': unit = 7 * 86400; break;
        case 'y': unit = 365 * 86400; break;
        default: break;
        }
    }
    if (unit == 0 || n < 0 || n > 1000)
        return -1;
    *out = (int64_t)time(NULL) - n * unit;
    return 0;
}

static int cmd_purge(int argc, char **argv)
{
    GOptionEntry entries[] = {
        {"audit-db", 'a', 0, G_OPTION_ARG_FILENAME, &aopt.db, "The audit store", "FILE"},
        {"before", 'b', 0, G_OPTION_ARG_FILENAME, &aopt.before,
         "Delete rows older than TIME (ISO 8601) or AGE (90d, 3y); default with -c: "
         "its AuditRetention",
         "WHEN"},
        G_OPTION_ENTRY_NULL,
    };
    GOptionContext *ctx;
    int rc = ctl_parse_command("", "Deletes audit rows past their retention (AuditRetention).",
                               entries, &argc, &argv, 0, 0, &ctx);
    if (rc != 0)
        return rc;
    int64_t before = 0;
    conf *cfg = NULL;
    if (aopt.before == NULL && ctl_config_path() != NULL) {
        /* AuditRetention of the milter's configuration decides. */
        char cerr[CONF_ERR_MAX];
        if ((cfg = conf_load(ctl_config_path(), cerr)) == NULL) {
            g_option_context_free(ctx);
            return ctl_refused(cerr);
        }
        if (cfg->audit_retention == 0) {
            printf("AuditRetention is off: nothing purged\n");
            conf_free(cfg);
            g_option_context_free(ctx);
            return 0;
        }
        before = (int64_t)time(NULL) - cfg->audit_retention;
        conf_free(cfg);
    } else if (aopt.before == NULL)
        rc = ctl_usage_error(ctx, "--before is required (or -c CONFIG for its AuditRetention)");
    else if (parse_when(aopt.before, &before) < 0)
        rc = ctl_usage_error(ctx, "--before '%s' is neither an ISO 8601 time nor an age like 3y",
                             aopt.before);
    g_option_context_free(ctx);
    if (rc != 0)
        return rc;
    audit *a = open_audit(false, &rc);
    if (a == NULL)
        return rc;
    char err[STORE_ERR_MAX];
    long deleted = 0;
    if (audit_purge(a, before, &deleted, err) < 0) {
        rc = ctl_refused(err);
    } else {
        char when[32];
        store_time_format(before, when, sizeof when);
        printf("purged %ld audit rows older than %s\n", deleted, when);
    }
    audit_close(a);
    return rc;
}

int ctl_cmd_audit(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "purge") == 0)
        return cmd_purge(argc - 1, argv + 1);
    GOptionEntry entries[] = {
        {"audit-db", 'a', 0, G_OPTION_ARG_FILENAME, &aopt.db,
         "The audit store (default: AuditDatabase of -c, else " DEFAULT_AUDIT_DB ")", "FILE"},
        {"since", 's', 0, G_OPTION_ARG_FILENAME, &aopt.since,
         "Only rows from TIME (ISO 8601) or the last AGE (7d)", "WHEN"},
        {"format", 'f', 0, G_OPTION_ARG_FILENAME, &aopt.format, "table (default), csv or json",
         "F"},
        G_OPTION_ENTRY_NULL,
    };
    GOptionContext *ctx;
    int rc = ctl_parse_command("[purge --before WHEN]",
                               "Lists what the milter held back, and why.", entries, &argc,
                               &argv, 0, 0, &ctx);
    if (rc != 0)
        return rc;
    out_format f = FMT_TABLE;
    int64_t since = 0;
    if (aopt.format != NULL && strcmp(aopt.format, "csv") == 0)
        f = FMT_CSV;
    else if (aopt.format != NULL && strcmp(aopt.format, "json") == 0)
        f = FMT_JSON;
    else if (aopt.format != NULL && strcmp(aopt.format, "table") != 0)
        rc = ctl_usage_error(ctx, "unknown format '%s' (table, csv or json)", aopt.format);
    if (rc == 0 && aopt.since != NULL && parse_when(aopt.since, &since) < 0)
        rc = ctl_usage_error(ctx, "--since '%s' is neither an ISO 8601 time nor an age like 7d",
                             aopt.since);
    g_option_context_free(ctx);
    if (rc != 0)
        return rc;
    audit *a = open_audit(true, &rc);
    if (a == NULL)
        return rc;
    char err[STORE_ERR_MAX];
    if (f == FMT_TABLE)
        printf("%-20s %-12s %-32s %-13s %-14s %-9s %-18s %s\n", "TIME", "QUEUE-ID", "RECIPIENT",
               "CATEGORY", "SOURCE", "CONSENT", "ACTION", "REASON");
    else if (f == FMT_CSV)
        puts("id,at,queue_id,message_id,sender,recipient,category,source,evidence,consent,"
             "action,mode,reason");
    if (audit_each(a, since, print_row, &f, err) < 0)
        rc = ctl_refused(err);
    audit_close(a);
    return rc;
}
