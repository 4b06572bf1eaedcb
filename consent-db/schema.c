/*
 * schema — the consent store's tables, version by version.
 *
 * A migration is appended, never edited: a file written by any released
 * version must upgrade to the current one. Each step runs in the caller's
 * transaction, so a failed upgrade leaves the file as it was.
 */
#include "schema.h"

#include <stdio.h>

static const char *const migrations[STORE_SCHEMA_VERSION] = {
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
};

int schema_migrate(sqlite3 *db, int from, int to, char err[STORE_ERR_MAX])
{
    if (from < 0 || to > STORE_SCHEMA_VERSION || from > to) {
        store_errf(err, "cannot migrate schema from version %d to %d", from, to);
        return -1;
    }
    for (int v = from; v < to; v++) {
        char *msg = NULL;
        if (sqlite3_exec(db, migrations[v], NULL, NULL, &msg) != SQLITE_OK) {
            store_errf(err, "schema upgrade to version %d failed: %s", v + 1,
                     msg ? msg : sqlite3_errmsg(db));
            sqlite3_free(msg);
            return -1;
        }
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
