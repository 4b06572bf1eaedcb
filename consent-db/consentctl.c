/*
 * consentctl — the administrator's tool for the consent store: create it,
 * record grants, withdrawals and objections, look an address up, import
 * and export. Every change is appended to the history with who recorded it.
 *
 * Exit status: 0 success, 1 refused operation or bad input (one line on
 * stderr naming what was wrong), 2 usage error.
 */
#include <errno.h>
#include <glib.h>
#include <locale.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "consentctl.h"
#include "decide.h"
#include "store.h"

#define DEFAULT_DB "/var/lib/consent-milter/consent.db"

/* Options shared by every command, parsed before the command name. */
static struct {
    char *db, *config;
    int wait_ms;
    gboolean version;
} global = {.wait_ms = 5000};

/* Per-command options; a command reads only those it registered. */
static struct {
    char *purpose, *source, *evidence, *at, *by, *category, *format, *output;
    int max_age_days;
    gboolean case_sensitive, restore;
} opt;

int ctl_usage_error(GOptionContext *ctx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    gchar *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    fputs("consentctl: ", stderr);
    store_text_print(stderr, msg); /* may quote a bad argument */
    fputc('\n', stderr);
    g_free(msg);
    if (ctx != NULL) {
        gchar *help = g_option_context_get_help(ctx, TRUE, NULL);
        fputs(help, stderr);
        g_free(help);
    }
    return EXIT_USAGE;
}

void ctl_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    gchar *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    fputs("consentctl: ", stderr);
    store_text_print(stderr, msg);
    fputc('\n', stderr);
    g_free(msg);
}

int ctl_refused(const char *msg)
{
    /* Errors quote what was wrong: a CSV field, a file name, an address. */
    fputs("consentctl: ", stderr);
    store_text_print(stderr, msg);
    fputc('\n', stderr);
    return EXIT_REFUSED;
}

/* Parses a command's options; on success argv holds the positional
 * arguments after the command name, whose count must be in [min, max]. */
static const char *command_name; /* for usage lines: "consentctl grant" */

/* Parses a command's options; on success argv holds the positional
 * arguments after the command name, whose count must be in [min, max].
 * A "--" ends the options, so an address may start with '-'. */
int ctl_parse_command(const char *params, const char *summary, GOptionEntry *entries,
                         int *argc, char ***argv, int min, int max, GOptionContext **out)
{
    gchar *prgname = g_strdup_printf("consentctl %s", command_name);
    g_set_prgname(prgname);
    g_free(prgname);
    GOptionContext *ctx = g_option_context_new(params);
    g_option_context_set_summary(ctx, summary);
    if (entries != NULL)
        g_option_context_add_main_entries(ctx, entries, NULL);
    GError *error = NULL;
    if (!g_option_context_parse(ctx, argc, argv, &error)) {
        int rc = ctl_usage_error(ctx, "%s", error->message);
        g_error_free(error);
        g_option_context_free(ctx);
        return rc;
    }
    if (*argc > 1 && strcmp((*argv)[1], "--") == 0) {
        memmove(*argv + 1, *argv + 2, (size_t)(*argc - 1) * sizeof **argv);
        (*argc)--;
    }
    int positional = *argc - 1;
    if (positional < min || (max >= 0 && positional > max)) {
        int rc = ctl_usage_error(ctx, positional < min ? "missing argument" : "too many arguments");
        g_option_context_free(ctx);
        return rc;
    }
    *out = ctx;
    return 0;
}

const char *ctl_config_path(void)
{
    return global.config;
}

static store *open_store(int flags)
{
    char err[STORE_ERR_MAX];
    store *s = store_open_wait(global.db, flags, global.wait_ms, err);
    if (s == NULL)
        ctl_refused(err);
    return s;
}

/* Who records a change: the operator behind sudo, else the login user. */
static const char *recorder(void)
{
    static char name[STORE_BY_MAX];
    if (opt.by != NULL)
        return opt.by;
    const char *user = getenv("SUDO_USER");
    if (user == NULL || user[0] == '\0') {
        struct passwd *pw = getpwuid(getuid());
        user = pw != NULL ? pw->pw_name : "unknown";
    }
    snprintf(name, sizeof name, "consentctl:%s", user);
    return name;
}

static int cmd_init(int argc, char **argv)
{
    GOptionContext *ctx;
    int rc = ctl_parse_command("", "Creates the store file, or upgrades an older one in place.", NULL,
                           &argc, &argv, 0, 0, &ctx);
    if (rc != 0)
        return rc;
    g_option_context_free(ctx);
    store *s = open_store(STORE_CREATE);
    if (s == NULL)
        return EXIT_REFUSED;
    char err[STORE_ERR_MAX];
    if (store_check_integrity(s, err) < 0) {
        store_close(s);
        return ctl_refused(err);
    }
    printf("consent store %s ready (schema version %d)\n", global.db, store_schema_version(s));
    store_close(s);
    return 0;
}

static int record_event(store_action action, int argc, char **argv)
{
    GOptionEntry purpose_entry = {"purpose", 'p', 0, G_OPTION_ARG_FILENAME, &opt.purpose,
                                  "Purpose (default: marketing, which covers all)", "P"};
    GOptionEntry entries[] = {
        {"source", 's', 0, G_OPTION_ARG_FILENAME, &opt.source,
         "Where it came from (form URL, system)", "S"},
        {"evidence", 'e', 0, G_OPTION_ARG_FILENAME, &opt.evidence,
         "Proof: opt-in time and IP, consent text version", "TEXT"},
        {"at", 0, 0, G_OPTION_ARG_FILENAME, &opt.at, "When it happened (ISO 8601; default now)",
         "TIME"},
        {"by", 0, 0, G_OPTION_ARG_FILENAME, &opt.by,
         "Who records it (default consentctl:USER)", "NAME"},
        G_OPTION_ENTRY_NULL,
        G_OPTION_ENTRY_NULL,
    };
    if (action == STORE_GRANT || action == STORE_WITHDRAW) {
        memmove(entries + 1, entries, sizeof entries - sizeof entries[0]);
        entries[0] = purpose_entry;
    }
    static const char *const summaries[] = {
        [STORE_GRANT] = "Records that ADDR consented to mail for a purpose.",
        [STORE_WITHDRAW] = "Records that ADDR withdrew consent (marketing: every purpose).",
        [STORE_OBJECT] = ("Records an objection to direct marketing: no promotional mail of "
                          "any purpose, and no later grant or import lifts it."),
        [STORE_UNOBJECT] = "Lifts an objection; needs --evidence saying why.",
    };
    GOptionContext *ctx;
    int rc = ctl_parse_command("ADDR", summaries[action], entries, &argc, &argv, 1, 1, &ctx);
    if (rc != 0)
        return rc;
    store_event ev = {
        .address = argv[1],
        .action = action,
        .purpose = opt.purpose,
        .source = opt.source,
        .evidence = opt.evidence,
        .recorded_by = recorder(),
    };
    if (opt.at != NULL && (store_time_parse(opt.at, &ev.at) < 0 || ev.at == 0)) {
        rc = ctl_usage_error(ctx, "--at '%s' is not an ISO 8601 time (e.g. 2024-05-01T10:00:00Z)",
                         opt.at);
        g_option_context_free(ctx);
        return rc;
    }
    g_option_context_free(ctx);
    store *s = open_store(0);
    if (s == NULL)
        return EXIT_REFUSED;
    char err[STORE_ERR_MAX];
    rc = store_record(s, &ev, err) < 0 ? ctl_refused(err) : 0;
    if (rc == 0 && action == STORE_GRANT) {
        consent_state st;
        if (store_lookup(s, argv[1], opt.purpose, false, 0, (int64_t)time(NULL), &st, err) ==
                0 &&
            st.kind == CONSENT_OBJECTED)
            ctl_error(
                    "note: the grant is recorded, but %s objected to direct "
                    "marketing; the objection still holds",
                    argv[1]);
    }
    store_close(s);
    return rc;
}

static int cmd_grant(int argc, char **argv) { return record_event(STORE_GRANT, argc, argv); }
static int cmd_withdraw(int argc, char **argv) { return record_event(STORE_WITHDRAW, argc, argv); }
static int cmd_object(int argc, char **argv) { return record_event(STORE_OBJECT, argc, argv); }
static int cmd_unobject(int argc, char **argv)
{
    return record_event(STORE_UNOBJECT, argc, argv);
}

typedef struct show_ctx {
    GPtrArray *purposes; /* distinct purposes seen, for the state summary */
} show_ctx;

static int show_event(const store_event *ev, void *arg)
{
    show_ctx *sc = arg;
    char at[32], rat[32];
    store_time_format(ev->at, at, sizeof at);
    store_time_format(ev->recorded_at, rat, sizeof rat);
    /* source, evidence and recorder are free text from imports and forms. */
    printf("  %s  %-8s  %-12s source=", at, store_action_name(ev->action), ev->purpose);
    store_text_print(stdout, ev->source[0] ? ev->source : "-");
    fputs(" evidence=", stdout);
    store_text_print(stdout, ev->evidence[0] ? ev->evidence : "-");
    fputs(" recorded by ", stdout);
    store_text_print(stdout, ev->recorded_by[0] ? ev->recorded_by : "-");
    printf(" at %s\n", rat);
    if (strcmp(ev->purpose, "*") != 0) {
        bool seen = false;
        for (guint i = 0; i < sc->purposes->len; i++)
            seen |= strcmp(g_ptr_array_index(sc->purposes, i), ev->purpose) == 0;
        if (!seen)
            g_ptr_array_add(sc->purposes, g_strdup(ev->purpose));
    }
    return 0;
}

static int cmd_show(int argc, char **argv)
{
    GOptionContext *ctx;
    int rc = ctl_parse_command("ADDR", "Shows ADDR's consent state per purpose and its history.",
                           NULL, &argc, &argv, 1, 1, &ctx);
    if (rc != 0)
        return rc;
    g_option_context_free(ctx);
    store *s = open_store(STORE_READONLY | STORE_SNAPSHOT);
    if (s == NULL)
        return EXIT_REFUSED;
    char err[STORE_ERR_MAX], stored[STORE_ADDRESS_MAX + 1], key[STORE_ADDRESS_MAX + 1];
    if (store_address_normalise(argv[1], stored, key, err) < 0) {
        store_close(s);
        char msg[STORE_ERR_MAX + 32];
        snprintf(msg, sizeof msg, "invalid address: %s", err);
        return ctl_refused(msg);
    }
    show_ctx sc = {g_ptr_array_new_with_free_func(g_free)};
    g_ptr_array_add(sc.purposes, g_strdup(STORE_DEFAULT_PURPOSE));
    fputs("address: ", stdout);
    store_text_print(stdout, stored);
    fputs("\nhistory:\n", stdout);
    if (store_history(s, stored, show_event, &sc, err) < 0) {
        rc = ctl_refused(err);
    } else {
        printf("state:\n");
        int64_t now = (int64_t)time(NULL);
        for (guint i = 0; i < sc.purposes->len && rc == 0; i++) {
            const char *p = g_ptr_array_index(sc.purposes, i);
            consent_state st;
            if (store_lookup(s, stored, p, false, 0, now, &st, err) < 0) {
                rc = ctl_refused(err);
                break;
            }
            char at[32] = "";
            if (st.at != 0)
                store_time_format(st.at, at, sizeof at);
            printf("  %-12s %s%s%s\n", p, consent_kind_name(st.kind), st.at ? " since " : "",
                   at);
        }
    }
    g_ptr_array_free(sc.purposes, TRUE);
    store_close(s);
    return rc;
}

static int cmd_check(int argc, char **argv)
{
    GOptionEntry entries[] = {
        {"category", 'c', 0, G_OPTION_ARG_FILENAME, &opt.category,
         "transactional, after-sales or promotional (required)", "C"},
        {"purpose", 'p', 0, G_OPTION_ARG_FILENAME, &opt.purpose,
         "The mail's purpose (default marketing)", "P"},
        {"max-age", 0, 0, G_OPTION_ARG_INT, &opt.max_age_days,
         "Treat consent older than DAYS as expired (default: no limit)", "DAYS"},
        {"case-sensitive", 0, 0, G_OPTION_ARG_NONE, &opt.case_sensitive,
         "Compare the local part case-sensitively", NULL},
        G_OPTION_ENTRY_NULL,
    };
    GOptionContext *ctx;
    int rc = ctl_parse_command("ADDR", "Says whether a mail of category C may go to ADDR.\n"
                                   "The first line starts with 'allow' or 'deny'.",
                           entries, &argc, &argv, 1, 1, &ctx);
    if (rc != 0)
        return rc;
    classifier_category category;
    if (opt.category == NULL) {
        rc = ctl_usage_error(ctx, "--category is required");
    } else if (classifier_category_parse(opt.category, &category) < 0) {
        rc = ctl_usage_error(ctx, "unknown category '%s' (transactional, after-sales, promotional)",
                         opt.category);
    } else if (opt.purpose != NULL && !store_purpose_valid(opt.purpose)) {
        rc = ctl_usage_error(ctx, "invalid purpose '%s'", opt.purpose);
    } else if (opt.max_age_days < 0) {
        rc = ctl_usage_error(ctx, "--max-age must not be negative");
    }
    g_option_context_free(ctx);
    if (rc != 0)
        return rc;

    char err[STORE_ERR_MAX], stored[STORE_ADDRESS_MAX + 1], key[STORE_ADDRESS_MAX + 1];
    if (store_address_normalise(argv[1], stored, key, err) < 0) {
        char msg[STORE_ERR_MAX + 32];
        snprintf(msg, sizeof msg, "invalid address: %s", err);
        return ctl_refused(msg);
    }
    store *s = open_store(STORE_READONLY | STORE_SNAPSHOT);
    if (s == NULL)
        return EXIT_REFUSED;
    consent_state st;
    if (store_lookup(s, argv[1], opt.purpose, opt.case_sensitive,
                     (int64_t)opt.max_age_days * 86400, (int64_t)time(NULL), &st, err) < 0) {
        store_close(s);
        return ctl_refused(err);
    }
    store_close(s);
    decision d = store_decide(category, opt.purpose, &st);
    char why[256];
    decide_explain(d, opt.purpose, &st, why, sizeof why);
    printf("%s %s: ", d.allow ? "allow" : "deny", decide_reason_code(d.reason));
    store_text_print(stdout, why);
    putchar('\n');
    printf("category: %s\npurpose: %s\nconsent: %s\n", classifier_category_name(category),
           opt.purpose ? opt.purpose : STORE_DEFAULT_PURPOSE, consent_kind_name(st.kind));
    return 0;
}

static int cmd_import(int argc, char **argv)
{
    GOptionEntry entries[] = {
        {"by", 0, 0, G_OPTION_ARG_FILENAME, &opt.by,
         "Who records the rows (default consentctl:USER)", "NAME"},
        {"restore", 0, 0, G_OPTION_ARG_NONE, &opt.restore,
         "Restore an export into an empty store, keeping recorded_by, recorded_at and "
         "unobject rows",
         NULL},
        G_OPTION_ENTRY_NULL,
    };
    GOptionContext *ctx;
    int rc = ctl_parse_command("FILE.csv",
                           "Imports consent events from CSV ('-' reads standard input), all or "
                           "nothing.\nColumns by name: address (required), action "
                           "(grant|withdraw|object, default grant), purpose, at, source, "
                           "evidence;\nwith --restore also recorded_by and recorded_at.",
                           entries, &argc, &argv, 1, 1, &ctx);
    if (rc != 0)
        return rc;
    g_option_context_free(ctx);
    const char *name = argv[1];
    bool from_stdin = strcmp(name, "-") == 0;
    FILE *in = from_stdin ? stdin : fopen(name, "rb");
    struct stat st;
    if (in != NULL && !from_stdin && fstat(fileno(in), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(in);
        in = NULL;
        errno = EISDIR;
    }
    if (in == NULL) {
        ctl_error("cannot open %s: %s", name, strerror(errno));
        return EXIT_REFUSED;
    }
    store *s = open_store(0);
    if (s == NULL) {
        if (!from_stdin)
            fclose(in);
        return EXIT_REFUSED;
    }
    char err[STORE_ERR_MAX];
    store_import_stats stats;
    if (store_import_csv(s, in, from_stdin ? "<stdin>" : name, recorder(), opt.restore, &stats,
                         err) < 0) {
        ctl_error("%s; nothing was imported", err);
        rc = EXIT_REFUSED;
    } else {
        printf("imported %ld rows (grant %ld, withdraw %ld, object %ld, unobject %ld)\n",
               stats.rows, stats.by_action[STORE_GRANT], stats.by_action[STORE_WITHDRAW],
               stats.by_action[STORE_OBJECT], stats.by_action[STORE_UNOBJECT]);
    }
    store_close(s);
    if (!from_stdin)
        fclose(in);
    return rc;
}

static int cmd_export(int argc, char **argv)
{
    GOptionEntry entries[] = {
        {"format", 'f', 0, G_OPTION_ARG_FILENAME, &opt.format, "csv (default) or json", "F"},
        {"output", 'o', 0, G_OPTION_ARG_FILENAME, &opt.output,
         "Write to FILE instead of standard output", "FILE"},
        G_OPTION_ENTRY_NULL,
    };
    GOptionContext *ctx;
    int rc = ctl_parse_command("", "Writes the whole consent history (CSV restores with import --restore).", entries,
                           &argc, &argv, 0, 0, &ctx);
    if (rc != 0)
        return rc;
    store_export_format format = STORE_EXPORT_CSV;
    if (opt.format != NULL && strcmp(opt.format, "json") == 0)
        format = STORE_EXPORT_JSON;
    else if (opt.format != NULL && strcmp(opt.format, "csv") != 0)
        rc = ctl_usage_error(ctx, "unknown format '%s' (csv or json)", opt.format);
    g_option_context_free(ctx);
    if (rc != 0)
        return rc;
    store *s = open_store(STORE_READONLY | STORE_SNAPSHOT);
    if (s == NULL)
        return EXIT_REFUSED;
    FILE *out = stdout;
    if (opt.output != NULL && (out = fopen(opt.output, "w")) == NULL) {
        ctl_error("cannot write %s: %s", opt.output, strerror(errno));
        store_close(s);
        return EXIT_REFUSED;
    }
    char err[STORE_ERR_MAX];
    if (store_export(s, out, format, err) < 0)
        rc = ctl_refused(err);
    if (out != stdout && fclose(out) != 0 && rc == 0) {
        ctl_error("cannot write %s: %s", opt.output, strerror(errno));
        rc = EXIT_REFUSED;
    }
    store_close(s);
    return rc;
}

static const struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *help;
} commands[] = {
    {"init", cmd_init, "create the store, or upgrade an older one"},
    {"grant", cmd_grant, "record consent: grant ADDR [--purpose P] [--source S] [--evidence T] [--at TIME]"},
    {"withdraw", cmd_withdraw, "record a withdrawal: withdraw ADDR [--purpose P]"},
    {"object", cmd_object, "record an objection to direct marketing: object ADDR"},
    {"unobject", cmd_unobject, "lift an objection: unobject ADDR --evidence TEXT"},
    {"show", cmd_show, "show an address's state and history: show ADDR"},
    {"check", cmd_check, "may mail go to it? check ADDR --category C [--purpose P]"},
    {"import", cmd_import, "import consent events from CSV, all or nothing: import FILE.csv"},
    {"export", cmd_export, "export the history: export [--format csv|json] [-o FILE]"},
    {"classify", ctl_cmd_classify, "categorise mail templates: classify [--json] FILE.eml..."},
    {"audit", ctl_cmd_audit, "what the milter held back: audit [--since WHEN] [--format F]; audit purge --before WHEN"},
};

static gchar *commands_help(void)
{
    GString *s = g_string_new("Commands:\n");
    for (size_t i = 0; i < G_N_ELEMENTS(commands); i++)
        g_string_append_printf(s, "  %-9s %s\n", commands[i].name, commands[i].help);
    g_string_append(s, "\nRun 'consentctl COMMAND --help' for a command's options.\n"
                       "Exit status: 0 ok, 1 refused or bad input, 2 usage error.");
    return g_string_free(s, FALSE);
}

int main(int argc, char **argv)
{
    setlocale(LC_ALL, "");
    GOptionEntry entries[] = {
        {"db", 'd', 0, G_OPTION_ARG_FILENAME, &global.db,
         "Consent store file (default " DEFAULT_DB ")", "FILE"},
        {"config", 'c', 0, G_OPTION_ARG_FILENAME, &global.config,
         "Take the store's path from consent-milter's configuration FILE", "FILE"},
        {"wait", 'w', 0, G_OPTION_ARG_INT, &global.wait_ms,
         "Wait up to MS milliseconds for a lock (default 5000)", "MS"},
        {"version", 'V', 0, G_OPTION_ARG_NONE, &global.version, "Print the version", NULL},
        G_OPTION_ENTRY_NULL,
    };
    GOptionContext *ctx = g_option_context_new("COMMAND [ARGS...]");
    g_option_context_set_summary(ctx, "Manage the consent store of consent-milter.");
    gchar *desc = commands_help();
    g_option_context_set_description(ctx, desc);
    g_option_context_add_main_entries(ctx, entries, NULL);
    /* Stop at the command name: what follows is the command's to parse. */
    g_option_context_set_strict_posix(ctx, TRUE);
    GError *error = NULL;
    int rc = 0;
    if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
        rc = ctl_usage_error(NULL, "%s (see consentctl --help)", error->message);
        g_error_free(error);
    } else if (global.version) {
        printf("consentctl %s (consent store schema %d)\n", CONSENT_MILTER_VERSION,
               STORE_SCHEMA_VERSION);
    } else if (argc < 2) {
        rc = ctl_usage_error(ctx, "no command given");
    } else if (global.wait_ms < 0) {
        rc = ctl_usage_error(NULL, "--wait must not be negative");
    } else {
        if (global.db == NULL && global.config != NULL) {
            char err[CONF_ERR_MAX];
            conf *c = conf_load(global.config, err);
            if (c == NULL) {
                rc = ctl_refused(err);
                goto out;
            }
            global.db = g_strdup(c->database);
            conf_free(c);
        }
        if (global.db == NULL)
            global.db = g_strdup(DEFAULT_DB);
        const struct command *cmd = NULL;
        for (size_t i = 0; i < G_N_ELEMENTS(commands); i++)
            if (strcmp(argv[1], commands[i].name) == 0)
                cmd = &commands[i];
        if (cmd == NULL) {
            rc = ctl_usage_error(NULL, "unknown command '%s' (see consentctl --help)", argv[1]);
        } else {
            /* The command sees itself as argv[0], as g_option_context_parse expects. */
            command_name = cmd->name;
            rc = cmd->run(argc - 1, argv + 1);
        }
    }
out:
    g_free(desc);
    g_option_context_free(ctx);
    g_free(global.db);
    g_free(global.config);
    g_free(opt.purpose);
    g_free(opt.source);
    g_free(opt.evidence);
    g_free(opt.at);
    g_free(opt.by);
    g_free(opt.category);
    g_free(opt.format);
    g_free(opt.output);
    if (fflush(stdout) != 0 && rc == 0) {
        fprintf(stderr, "consentctl: cannot write output: %s\n", strerror(errno));
        rc = EXIT_REFUSED;
    }
    return rc;
}
