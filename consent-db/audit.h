/*
 * audit — the audit store: one SQLite file, written only by the milter,
 * with a row per recipient a message was held back from (and, with
 * AuditAll, per recipient decision), so that the company can prove what it
 * did: when, which message (queue id, Message-ID), sender, recipient, the
 * category and how it was decided, the consent state, the action and why.
 *
 * A handle may be shared by the milter's threads: recording is serialised
 * inside. Rows are only added, listed and purged by age; never edited.
 */
#ifndef CONSENT_DB_AUDIT_H
#define CONSENT_DB_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define AUDIT_SCHEMA_VERSION 1

typedef struct audit audit;

/* One decision about one recipient. Strings are borrowed for the call. */
typedef struct audit_row {
    int64_t id; /* set when read */
    int64_t at;
    const char *queue_id, *message_id, *sender, *recipient;
    const char *category, *source, *evidence; /* evidence: "; "-separated */
    const char *consent; /* consent state name */
    const char *action;  /* deleted-recipient, rejected, quarantined, tagged, would-reject, passed */
    const char *mode;
    const char *reason;  /* decide_reason_code */
} audit_row;

/* Opens (read-write: creating it if missing) or opens read-only. A file
 * that is not an audit store, or is newer, is refused untouched. */
audit *audit_open(const char *path, bool readonly, char err[STORE_ERR_MAX]);
void audit_close(audit *a);

/* Records rows[0..n) in one transaction: all or none. Never into a file
 * that is no longer the one at the path: a store removed or rotated while
 * open is closed and the path opened afresh (created if missing) first;
 * where that fails, nothing is recorded (-1, err says why). */
int audit_record(audit *a, const audit_row *rows, size_t n, char err[STORE_ERR_MAX]);

/* After such a reopen, true once with a sentence for the log. */
bool audit_notice(audit *a, char note[STORE_ERR_MAX]);

/* Calls fn for every row with at >= since, oldest first; fn returns non-zero
 * to stop. */
typedef int (*audit_row_fn)(const audit_row *row, void *ctx);
int audit_each(audit *a, int64_t since, audit_row_fn fn, void *ctx, char err[STORE_ERR_MAX]);

/* Deletes the rows older than `before`; *deleted says how many. */
int audit_purge(audit *a, int64_t before, long *deleted, char err[STORE_ERR_MAX]);

#endif
