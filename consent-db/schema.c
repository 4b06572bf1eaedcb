/*
 * schema — the consent store's tables, version by version.
 *
 * A migration is appended, never edited: a file written by any released
 * version must upgrade to the current one. Each step runs in the caller's
 * transaction, so a failed upgrade leaves the file as it was.
 */
#include "schema.h"

#include <stdio.h>
#include <string.h>

static const char *const migration_sql[STORE_SCHEMA_VERSION] = {
    /* 0 -> 1: the event history. */
    "CREATE TABLE events ("
    "  id INTEGER PRIMARY KEY,"
    "  address TEXT NOT NULL,"     /* domain lower-cased, local part as given */
    "  address_key TEXT NOT NULL," /* local part folded too: what lookups compare */
    "  action TEXT NOT NULL CHECK (action IN ('grant','withdraw','object','unobject')),"
    "  purpose TEXT NOT NULL,"
    "  at INTEGER NOT NULL,"       /* when it happened (Unix time, UTC) */
    "  source TEXT NOT NULL DEFAULT '',"
    "  evidence TEXT NOT NULL DEFAULT ''"
    ");"
    "CREATE INDEX events_by_address ON events (address_key, id);",

    /* 1 -> 2: who recorded each event and when (Art. 7(1): consent must be
     * provable), and the history made append-only by the database itself. */
    "ALTER TABLE events ADD COLUMN recorded_by TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE events ADD COLUMN recorded_at INTEGER NOT NULL DEFAULT 0;"
    "UPDATE events SET recorded_by = 'unknown (recorded before schema version 2)';"
    "CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events"
    " BEGIN SELECT RAISE(ABORT, 'the consent history is append-only'); END;"
    "CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events"
    " BEGIN SELECT RAISE(ABORT, 'the consent history is append-only'); END;",

    /* 2 -> 3: addresses spelled as the MTA delivers them (address.c): a
     * row recorded as "no"@ex.test must count for no@ex.test. The
     * spelling as recorded is kept in address_given; see renormalise(). */
    "ALTER TABLE events ADD COLUMN address_given TEXT NOT NULL DEFAULT '';",
};

#define APPEND_ONLY_UPDATE_TRIGGER                                                            \
    "CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events"                        \
    " BEGIN SELECT RAISE(ABORT, 'the consent history is append-only'); END;"

/* Re-derives address and address_key of every row whose recorded spelling
 * is not the normalised one, keeping that spelling in address_given. The
 * append-only trigger is lifted for this one statement of the migration and
 * restored in the same transaction, so no other writer ever sees it gone.
 * A row the normaliser now refuses (none that an earlier version accepted)
 * is left as it is. */
static int renormalise(sqlite3 *db, char err[STORE_ERR_MAX])
{
    sqlite3_stmt *sel = NULL, *upd = NULL;
    int rc = sqlite3_exec(db, "DROP TRIGGER events_append_only_update", NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(db, "SELECT id, address, address_key FROM events", -1, &sel,
                                NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(db,
                                "UPDATE events SET address = ?2, address_key = ?3,"
                                " address_given = ?4 WHERE id = ?1",
                                -1, &upd, NULL);
    while (rc == SQLITE_OK && (rc = sqlite3_step(sel)) == SQLITE_ROW) {
        rc = SQLITE_OK;
        const char *address = (const char *)sqlite3_column_text(sel, 1);
        const char *key = (const char *)sqlite3_column_text(sel, 2);
        char stored[STORE_ADDRESS_MAX + 1], newkey[STORE_ADDRESS_MAX + 1], why[STORE_ERR_MAX];
        if (address == NULL || key == NULL ||
            store_address_normalise(address, stored, newkey, why) < 0 ||
            (strcmp(stored, address) == 0 && strcmp(newkey, key) == 0))
            continue;
        sqlite3_bind_int64(upd, 1, sqlite3_column_int64(sel, 0));
        sqlite3_bind_text(upd, 2, stored, -1, SQLITE_STATIC);
        sqlite3_bind_text(upd, 3, newkey, -1, SQLITE_STATIC);
        sqlite3_bind_text(upd, 4, address, -1, SQLITE_STATIC);
        if (sqlite3_step(upd) != SQLITE_DONE)
            rc = SQLITE_ERROR;
        sqlite3_reset(upd);
    }
    if (rc == SQLITE_DONE)
        rc = sqlite3_exec(db, APPEND_ONLY_UPDATE_TRIGGER, NULL, NULL, NULL);
    if (rc != SQLITE_OK && rc != SQLITE_DONE)
        store_errf(err, "schema upgrade to version 3 failed: %s", sqlite3_errmsg(db));
    sqlite3_finalize(sel);
    sqlite3_finalize(upd);
    return rc == SQLITE_OK ? 0 : -1;
}

/* Steps that SQL alone cannot do, run after the version's SQL. */
static int (*const migration_fn[STORE_SCHEMA_VERSION])(sqlite3 *, char[STORE_ERR_MAX]) = {
    [2] = renormalise,
};


int schema_migrate(sqlite3 *db, int from, int to, char err[STORE_ERR_MAX])
{
    if (from < 0 || to > STORE_SCHEMA_VERSION || from > to) {
        store_errf(err, "cannot migrate schema from version %d to %d", from, to);
        return -1;
    }
    for (int v = from; v < to; v++) {
        char *msg = NULL;
        if (sqlite3_exec(db, migration_sql[v], NULL, NULL, &msg) != SQLITE_OK) {
            store_errf(err, "schema upgrade to version %d failed: %s", v + 1,
                     msg ? msg : sqlite3_errmsg(db));
            sqlite3_free(msg);
            return -1;
        }
        if (migration_fn[v] != NULL && migration_fn[v](db, err) < 0)
            return -1;
    }
    char sql[96];
    snprintf(sql, sizeof sql, "PRAGMA application_id = %d; PRAGMA user_version = %d;",
             SCHEMA_APPLICATION_ID, to);
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
        store_errf(err, "cannot set the schema version: %s", sqlite3_errmsg(db));
        return -1;
    }
    return 0;
}
