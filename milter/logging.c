/*
 * logging — syslog and stderr output (see logging.h).
 */
#include "logging.h"

#include <stdarg.h>
#include <stdio.h>

static bool syslog_on, stderr_on = true;

void log_setup(bool use_syslog, int facility, bool to_stderr)
{
    if (syslog_on)
        closelog();
    syslog_on = use_syslog;
    stderr_on = to_stderr;
    if (use_syslog)
        openlog("consent-milter", LOG_PID | LOG_NDELAY, facility);
}

void log_msg(int priority, const char *qid, const char *fmt, ...)
{
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (syslog_on) {
        if (qid != NULL)
            syslog(priority, "%s: %s", qid, text);
        else
            syslog(priority, "%s", text);
    }
    if (stderr_on) {
        if (qid != NULL)
            fprintf(stderr, "consent-milter: %s: %s\n", qid, text);
        else
            fprintf(stderr, "consent-milter: %s\n", text);
    }
}
