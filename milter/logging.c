/*
 * logging — syslog and stderr output (see logging.h).
 */
#include "logging.h"

#include <stdarg.h>
#include <stdio.h>

#include "store.h"

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
    /* Log lines quote what senders control (header values, addresses,
     * queue ids from the MTA): escaped here, so that no message can forge
     * a line of its own (an encoded newline) or reach a terminal (ESC). */
    char safe[sizeof text * 2], sqid[64];
    store_text_escape(text, safe, sizeof safe);
    if (qid != NULL)
        store_text_escape(qid, sqid, sizeof sqid);
    if (syslog_on) {
        if (qid != NULL)
            syslog(priority, "%s: %s", sqid, safe);
        else
            syslog(priority, "%s", safe);
    }
    if (stderr_on) {
        if (qid != NULL)
            fprintf(stderr, "consent-milter: %s: %s\n", sqid, safe);
        else
            fprintf(stderr, "consent-milter: %s\n", safe);
    }
}
