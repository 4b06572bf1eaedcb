/*
 * conf — consent-milter's configuration: the file format (one "Key value"
 * per line, '#' comments, OpenDKIM style), every key's type, default and
 * validation, and the snapshot the daemon runs on.
 *
 * A file is accepted whole or not at all: an unknown key, a key given twice
 * or a bad value is an error naming file:line, and nothing of the file is
 * used. A conf is immutable once loaded; the daemon swaps whole snapshots.
 * Never opens the stores or the sockets it names: that is the daemon's job.
 */
#ifndef CONSENT_CONF_H
#define CONSENT_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONF_ERR_MAX 256
#define CONF_LINE_MAX 4096

typedef enum conf_mode { MODE_REJECT, MODE_QUARANTINE, MODE_TAG, MODE_DRY_RUN } conf_mode;
typedef enum conf_mixed { MIXED_SPLIT, MIXED_REJECT, MIXED_QUARANTINE } conf_mixed;
typedef enum conf_on_error { ONERROR_TEMPFAIL, ONERROR_ACCEPT, ONERROR_REJECT } conf_on_error;

/* A network in CIDR form: 16 bytes (IPv4 as ::ffff:a.b.c.d) and a prefix. */
typedef struct conf_network {
    unsigned char addr[16];
    int prefix; /* 0..128, counted over the 16 bytes */
} conf_network;

typedef struct conf {
    char *path;             /* the file it came from, or NULL for defaults */
    char *socket;           /* Socket */
    char *database;         /* Database */
    char *audit_database;   /* AuditDatabase */
    conf_mode mode;         /* Mode */
    conf_mixed mixed;       /* MixedRecipients */
    char *category_header;  /* CategoryHeader */
    char *purpose_header;   /* PurposeHeader */
    bool strip_category_header; /* StripCategoryHeader */
    bool trust_auth;        /* TrustedHeaderFrom contains "auth" */
    conf_network *trusted;  /* TrustedHeaderFrom networks */
    size_t n_trusted;
    conf_on_error on_database_error; /* OnDatabaseError */
    int database_timeout_ms;         /* DatabaseTimeout */
    size_t max_scan_bytes;  /* MaxScanBytes */
    int64_t consent_max_age; /* ConsentMaxAge, seconds; 0 = off */
    bool local_part_case_sensitive; /* LocalPartCaseSensitive */
    bool audit_all;         /* AuditAll */
    int64_t audit_retention; /* AuditRetention, seconds; 0 = keep */
    char *signals_file;     /* SignalsFile, NULL = built in */
    char *reject_text;      /* RejectText */
    char *verdict_header;   /* VerdictHeader */
    char *pid_file;         /* PidFile, NULL = none */
    char *user_id;          /* UserID, NULL = stay */
    unsigned umask;         /* UMask */
    bool syslog;            /* Syslog */
    int syslog_facility;    /* SyslogFacility, as LOG_MAIL etc. */
} conf;

/* The built-in defaults (what an empty file gives). Caller frees. */
conf *conf_defaults(void);

/* Reads and validates a file. NULL with err "FILE:LINE: ..." on any error.
 * Caller frees. */
conf *conf_load(const char *path, char err[CONF_ERR_MAX]);

/* The same from text (for tests and -n on standard input); `name` is used
 * in messages. */
conf *conf_parse(const char *text, size_t len, const char *name, char err[CONF_ERR_MAX]);

void conf_free(conf *c);

/* May a sender set the category header? authenticated: the SMTP client
 * authenticated with SASL; client_ip: its address as text (NULL or
 * unparseable: no network matches). */
bool conf_trusts_sender(const conf *c, bool authenticated, const char *client_ip);

/* Names for logs and -n output. */
const char *conf_mode_name(conf_mode mode);
const char *conf_mixed_name(conf_mixed mixed);
const char *conf_on_error_name(conf_on_error on_error);

/* Every key the file may hold, NULL-terminated (for docs checks). */
const char *const *conf_keys(void);

#endif
