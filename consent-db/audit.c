/*
 * audit — the audit store file (see audit.h).
 */
#include "audit.h"

#include <errno.h>
#include <glib.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define AUDIT_APPLICATION_ID 0x43617564 /* "Caud" */

struct audit {
    sqlite3 *db; /* NULL after a reopen that failed: the next record tries again */
    char path[1024];
    bool readonly;
    dev_t dev; /* the file at path when it was opened */
    ino_t ino;
    GMutex lock; /* one transaction at a time on the shared connection */
    sqlite3_stmt *insert;
    char notice[STORE_ERR_MAX]; /* a reopen not yet reported (audit_notice) */
};

static const char *const schema =
    "CREATE TABLE audit ("
    "  id INTEGER PRIMARY KEY,"
    "  at INTEGER NOT NULL,"
    "  queue_id TEXT NOT NULL, message_id TEXT NOT NULL,"
    "  sender TEXT NOT NULL, recipient TEXT NOT NULL,"
    "  category TEXT NOT NULL, source TEXT NOT NULL, evidence TEXT NOT NULL,"
    "  consent TEXT NOT NULL, action TEXT NOT NULL, mode TEXT NOT NULL,"
    "  reason TEXT NOT NULL);"
    "CREATE INDEX audit_by_time ON audit (at);"
    "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit"
    " BEGIN SELECT RAISE(ABORT, 'audit rows are never changed'); END;";

static void sql_error(const audit *a, const char *what, char err[STORE_ERR_MAX])
{
    store_errf(err, "audit store %s: %s: %s", a->path, what, sqlite3_errmsg(a->db));
}

static int query_int(audit *a, const char *sql, int *out, char err[STORE_ERR_MAX])
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(a->db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        if (sqlite3_errcode(a->db) == SQLITE_NOTADB)
            store_errf(err, "%s is not an audit store (not an SQLite database); refusing to "
                            "touch it", a->path);
        else
            sql_error(a, "cannot read it", err);
        sqlite3_finalize(st);
        return -1;
    }
    *out = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return 0;
}

static void disconnect(audit *a)
{
    sqlite3_finalize(a->insert);
    a->insert = NULL;
    sqlite3_close(a->db);
    a->db = NULL;
}

void audit_close(audit *a)
{
    if (a == NULL)
        return;
    disconnect(a);
    g_mutex_clear(&a->lock);
    free(a);
}

/* Opens a->path into a->db (and the insert), checked; remembers which file
 * it is. On failure a->db is NULL. */
static int connect_file(audit *a, char err[STORE_ERR_MAX])
{
    const char *path = a->path;
    bool readonly = a->readonly;
    int flags = SQLITE_OPEN_FULLMUTEX |
                (readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    /* The audit names people: private from its first byte (files.c). */
    struct stat st;
    if (!readonly && stat(path, &st) < 0 && errno == ENOENT &&
        store_file_create_private(path, err) < 0)
        goto fail;
    if (sqlite3_open_v2(path, &a->db, flags, NULL) != SQLITE_OK) {
        sql_error(a, "cannot open it", err);
        goto fail;
    }
    sqlite3_busy_timeout(a->db, 5000);
    int app_id, version, tables;
    if (query_int(a, "PRAGMA application_id", &app_id, err) < 0 ||
        query_int(a, "PRAGMA user_version", &version, err) < 0 ||
        query_int(a, "SELECT count(*) FROM sqlite_master", &tables, err) < 0)
        goto fail;
    bool empty = app_id == 0 && version == 0 && tables == 0;
    if (!empty && app_id != AUDIT_APPLICATION_ID) {
        store_errf(err, "%s is not an audit store; refusing to touch it", path);
        goto fail;
    }
    if (version > AUDIT_SCHEMA_VERSION) {
        store_errf(err, "%s has audit schema version %d, newer than this program's %d", path,
                   version, AUDIT_SCHEMA_VERSION);
        goto fail;
    }
    if (empty && readonly) {
        store_errf(err, "%s is empty: the milter has not audited anything yet", path);
        goto fail;
    }
    /* Nothing of the store is memory-mapped: a mapped file that is
     * truncated, replaced or made immutable under the milter kills it with
     * SIGBUS at the next access. Hence no WAL either (its -shm index is
     * always mapped): a rollback journal, written with write(2), turns
     * every such state into an error the caller can act on (tempfail). */
    sqlite3_exec(a->db, "PRAGMA mmap_size=0", NULL, NULL, NULL);
    if (!readonly) {
        if (sqlite3_db_readonly(a->db, "main") == 1) {
            store_errf(err, "audit store %s is not writable", path);
            goto fail;
        }
        /* TRUNCATE: an empty journal stays, so a store rotated away leaves
         * nothing behind that a new store at the path could pick up. A
         * store of an older version in WAL mode is converted here. */
        if (sqlite3_exec(a->db, "PRAGMA journal_mode=TRUNCATE; PRAGMA synchronous=FULL",
                         NULL, NULL, NULL) != SQLITE_OK) {
            sql_error(a, "cannot set its journal mode", err);
            goto fail;
        }
        if (empty) {
            char *msg = NULL;
            char sql[96];
            snprintf(sql, sizeof sql, "PRAGMA application_id = %d; PRAGMA user_version = %d;",
                     AUDIT_APPLICATION_ID, AUDIT_SCHEMA_VERSION);
            if (sqlite3_exec(a->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK ||
                sqlite3_exec(a->db, schema, NULL, NULL, &msg) != SQLITE_OK ||
                sqlite3_exec(a->db, sql, NULL, NULL, NULL) != SQLITE_OK ||
                sqlite3_exec(a->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
                store_errf(err, "audit store %s: cannot create it: %s", path,
                           msg ? msg : sqlite3_errmsg(a->db));
                sqlite3_free(msg);
                sqlite3_exec(a->db, "ROLLBACK", NULL, NULL, NULL);
                goto fail;
            }
        }
        /* A real write, so that a store that cannot be written (read-only
         * file or directory, immutable, full disk) is refused here, at
         * start or at a reload, not found out at the first message. */
        char probe[64];
        snprintf(probe, sizeof probe, "BEGIN IMMEDIATE; PRAGMA user_version = %d; COMMIT",
                 empty ? AUDIT_SCHEMA_VERSION : version); /* unchanged */
        if (sqlite3_exec(a->db, probe, NULL, NULL, NULL) != SQLITE_OK) {
            store_errf(err, "audit store %s is not writable: %s", path, sqlite3_errmsg(a->db));
            sqlite3_exec(a->db, "ROLLBACK", NULL, NULL, NULL);
            goto fail;
        }
        if (sqlite3_prepare_v3(a->db,
                               "INSERT INTO audit (at, queue_id, message_id, sender, recipient,"
                               " category, source, evidence, consent, action, mode, reason)"
                               " VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12)",
                               -1, SQLITE_PREPARE_PERSISTENT, &a->insert, NULL) != SQLITE_OK) {
            sql_error(a, "cannot prepare the insert", err);
            goto fail;
        }
    }
    if (stat(path, &st) < 0) {
        store_errf(err, "audit store %s: %s", path, strerror(errno));
        goto fail;
    }
    a->dev = st.st_dev;
    a->ino = st.st_ino;
    return 0;
fail:
    disconnect(a);
    return -1;
}

audit *audit_open(const char *path, bool readonly, char err[STORE_ERR_MAX])
{
    struct stat st;
    if (readonly && stat(path, &st) < 0) {
        store_errf(err, "cannot open audit store %s: %s", path, strerror(errno));
        return NULL;
    }
    audit *a = calloc(1, sizeof *a);
    if (a == NULL) {
        store_errf(err, "out of memory");
        return NULL;
    }
    g_mutex_init(&a->lock);
    snprintf(a->path, sizeof a->path, "%s", path);
    a->readonly = readonly;
    if (connect_file(a, err) < 0) {
        audit_close(a);
        return NULL;
    }
    return a;
}

/* Before writing: is the file at the path still the one open? A store
 * deleted or rotated (moved away) while the milter runs would otherwise
 * take rows nobody can read any more. If not, the old file is closed (its
 * last rows checkpointed into it, wherever it now is) and the path opened
 * afresh, creating a new store; -1 if that fails (the caller defers the
 * message and the next record tries again). Called with the lock held. */
static int same_file_or_reopen(audit *a, char err[STORE_ERR_MAX])
{
    struct stat st;
    bool same = a->db != NULL && stat(a->path, &st) == 0 && st.st_dev == a->dev &&
                st.st_ino == a->ino;
    if (same)
        return 0;
    bool was_open = a->db != NULL;
    disconnect(a);
    if (connect_file(a, err) < 0)
        return -1;
    store_errf(a->notice, "audit store %s %s; opened it anew", a->path,
               was_open ? "was removed or replaced while open" : "is writable again");
    return 0;
}

bool audit_notice(audit *a, char note[STORE_ERR_MAX])
{
    g_mutex_lock(&a->lock);
    bool any = a->notice[0] != '\0';
    if (any) {
        snprintf(note, STORE_ERR_MAX, "%s", a->notice);
        a->notice[0] = '\0';
    }
    g_mutex_unlock(&a->lock);
    return any;
}

static const char *nz(const char *s)
{
    return s != NULL ? s : "";
}

int audit_record(audit *a, const audit_row *rows, size_t n, char err[STORE_ERR_MAX])
{
    if (a->readonly) {
        store_errf(err, "audit store %s is open read-only", a->path);
        return -1;
    }
    g_mutex_lock(&a->lock);
    if (same_file_or_reopen(a, err) < 0) {
        g_mutex_unlock(&a->lock);
        return -1;
    }
    int rc = sqlite3_exec(a->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
    if (rc < 0)
        sql_error(a, "cannot start a transaction", err);
    for (size_t i = 0; i < n && rc == 0; i++) {
        const audit_row *r = &rows[i];
        sqlite3_stmt *st = a->insert;
        const char *texts[] = {r->queue_id, r->message_id, r->sender,   r->recipient,
                               r->category, r->source,     r->evidence, r->consent,
                               r->action,   r->mode,       r->reason};
        sqlite3_bind_int64(st, 1, r->at);
        for (int k = 0; k < 11; k++)
            sqlite3_bind_text(st, k + 2, nz(texts[k]), -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE) {
            sql_error(a, "cannot record", err);
            rc = -1;
        }
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
    }
    if (rc == 0 && sqlite3_exec(a->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        sql_error(a, "cannot commit", err);
        rc = -1;
    }
    if (rc < 0)
        sqlite3_exec(a->db, "ROLLBACK", NULL, NULL, NULL);
    g_mutex_unlock(&a->lock);
    return rc;
}

int audit_each(audit *a, int64_t since, audit_row_fn fn, void *ctx, char err[STORE_ERR_MAX])
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(a->db,
                           "SELECT id, at, queue_id, message_id, sender, recipient, category,"
                           " source, evidence, consent, action, mode, reason FROM audit"
                           " WHERE at >= ?1 ORDER BY id",
                           -1, &st, NULL) != SQLITE_OK) {
        sql_error(a, "cannot read it", err);
        return -1;
    }
    sqlite3_bind_int64(st, 1, since);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        audit_row r;
        r.id = sqlite3_column_int64(st, 0);
        r.at = sqlite3_column_int64(st, 1);
        const char **texts[] = {&r.queue_id, &r.message_id, &r.sender,   &r.recipient,
                                &r.category, &r.source,     &r.evidence, &r.consent,
                                &r.action,   &r.mode,       &r.reason};
        for (int k = 0; k < 11; k++)
            *texts[k] = nz((const char *)sqlite3_column_text(st, k + 2));
        if (fn(&r, ctx) != 0) {
            rc = SQLITE_DONE;
            break;
        }
    }
    if (rc != SQLITE_DONE)
        sql_error(a, "cannot read it", err);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

int audit_purge(audit *a, int64_t before, long *deleted, char err[STORE_ERR_MAX])
{
    sqlite3_stmt *st = NULL;
    g_mutex_lock(&a->lock);
    int rc = sqlite3_prepare_v2(a->db, "DELETE FROM audit WHERE at < ?1", -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, before);
        rc = sqlite3_step(st);
    }
    if (rc != SQLITE_DONE)
        sql_error(a, "cannot purge", err);
    else
        *deleted = (long)sqlite3_changes(a->db);
    sqlite3_finalize(st);
    g_mutex_unlock(&a->lock);
    return rc == SQLITE_DONE ? 0 : -1;
}
