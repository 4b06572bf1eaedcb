/*
 * store_internal — private to consent-db: the store handle's insides, shared
 * by store.c, import.c and export.c.
 */
#ifndef CONSENT_DB_STORE_INTERNAL_H
#define CONSENT_DB_STORE_INTERNAL_H

#include <sqlite3.h>

#include "store.h"

struct store {
    sqlite3 *db;
    char path[1024]; /* for messages */
    bool readonly;
    sqlite3_stmt *lookup; /* one address's history, prepared once */
    sqlite3_stmt *insert; /* read-write handles only */
    sqlite3_stmt *begin, *end; /* a snapshot over several lookups */
};

/* Fills err with "consent store PATH: <what>: <sqlite's message>". */
void store_sql_error(const store *s, const char *what, char err[STORE_ERR_MAX]);

/* Inserts one already normalised, validated event with the prepared insert
 * statement. `key` is the comparison key of ev->address. */
int store_insert_event(store *s, const store_event *ev, const char *key,
                       char err[STORE_ERR_MAX]);

/* Fills an event from a row of the columns selected by EVENT_COLUMNS,
 * starting at column 0. Strings point into the statement's row. */
#define EVENT_COLUMNS "id, address, action, purpose, at, source, evidence, recorded_by, recorded_at"
void store_event_from_row(sqlite3_stmt *st, store_event *ev);

/* Validates the parts of an event that do not depend on where it came from
 * (purpose, times, text lengths and encoding, recorder, unobject evidence)
 * and fills in the defaults (purpose, `at` = now). On failure *field names
 * the offending field by its CSV column name. Used by store_record and the
 * importer. */
int store_event_validate(store_event *ev, int64_t now, const char **field,
                         char err[STORE_ERR_MAX]);

#endif
