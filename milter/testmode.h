/*
 * testmode — consent-milter -t: runs message files through the whole
 * decision without an MTA (OpenDKIM's -t) and prints, per recipient, what
 * the milter would do. Nothing is audited or changed.
 */
#ifndef CONSENT_MILTER_TESTMODE_H
#define CONSENT_MILTER_TESTMODE_H

/* files: NULL-terminated; rcpts: NULL-terminated or NULL (then the To, Cc
 * and Bcc of each message). Returns the exit status: 0, or 1 if a file
 * could not be read or the store not opened. */
int testmode_run(const char *config_path, char **files, char **rcpts);

#endif
