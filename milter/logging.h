/*
 * logging — the daemon's log: syslog (when configured) and, in the
 * foreground, standard error. Every line about a message starts with its
 * queue id, as OpenDKIM's and Postfix's do, so that one grep finds both.
 */
#ifndef CONSENT_MILTER_LOGGING_H
#define CONSENT_MILTER_LOGGING_H

#include <stdbool.h>
#include <syslog.h>

void log_setup(bool use_syslog, int facility, bool to_stderr);

/* qid may be NULL (lines not about a message). */
void log_msg(int priority, const char *qid, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
