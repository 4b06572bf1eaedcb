/*
 * consentctl — private to the consentctl program: what its command files
 * share (argument parsing, error reporting, exit statuses).
 */
#ifndef CONSENT_DB_CONSENTCTL_H
#define CONSENT_DB_CONSENTCTL_H

#include <glib.h>

#define EXIT_REFUSED 1
#define EXIT_USAGE 2

/* Prints "consentctl: MESSAGE" and the command's help; returns EXIT_USAGE. */
int ctl_usage_error(GOptionContext *ctx, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* Prints "consentctl: MESSAGE"; returns EXIT_REFUSED. */
int ctl_refused(const char *msg);
/* Prints "consentctl: <message>" on stderr, escaped (store_text_print):
 * messages name files, fields and addresses given from outside. */
void ctl_error(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

/* Parses a command's options; on success argv holds the positional
 * arguments after the command name, whose count must be in [min, max]
 * (max -1: no limit), and *out the context to free. */
int ctl_parse_command(const char *params, const char *summary, GOptionEntry *entries,
                      int *argc, char ***argv, int min, int max, GOptionContext **out);

/* The -c configuration file, or NULL. */
const char *ctl_config_path(void);

int ctl_cmd_classify(int argc, char **argv);
int ctl_cmd_audit(int argc, char **argv);

#endif
