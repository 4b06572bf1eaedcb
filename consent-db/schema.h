/*
 * schema — private to consent-db: the consent store's schema, its version
 * history and the migrations between versions.
 */
#ifndef CONSENT_DB_SCHEMA_H
#define CONSENT_DB_SCHEMA_H

#include <sqlite3.h>

#include "store.h"

/* PRAGMA application_id of a consent store ("Cnst"): tells our file from any
 * other SQLite database before we touch it. */
#define SCHEMA_APPLICATION_ID 0x436e7374

/* Brings db from schema version `from` to `to` (0 = empty file), in the
 * caller's transaction. Exposed separately so tests can build old files. */
int schema_migrate(sqlite3 *db, int from, int to, char err[STORE_ERR_MAX]);

#endif
