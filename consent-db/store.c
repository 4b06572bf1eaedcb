/*
 * store — opening, checking, upgrading and reading the consent store file,
 * and appending single events.
 */
#include "store_internal.h"

#include <errno.h>
#include <glib.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "schema.h"
#include "state_fold.h"

#define DEFAULT_BUSY_MS 5000

void store_sql_error(const store *s, const char *what, char err[STORE_ERR_MAX])
{
    int code = sqlite3_errcode(s->db);
    const char *hint = "";
    if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
        hint = " (another process holds a lock on it)";
    else if (code == SQLITE_CORRUPT || code == SQLITE_NOTADB)
        hint = " (the file is damaged: restore it from a backup or an export)";
    else if (code == SQLITE_READONLY)
        hint = " (no write permission on the file or its directory)";
    store_errf(err, "consent store %s: %s: %s%s", s->path, what,
             sqlite3_errmsg(s->db), hint);
}

void store_close(store *s)
{
    if (s == NULL)
        return;
    /* A writer leaves everything it committed in the main file and the WAL
     * empty, although readers (the milter) keep the store open and so stop
     * SQLite's own checkpoint at close. Then a copy of the main file is a
     * whole backup, and a backup copied over it (cp backup.db consent.db)
     * is not read through WAL frames of the old content. If a reader holds
     * the checkpoint off past the busy timeout, the frames stay in the WAL
     * (SQLite readers see them); the next writer's close tries again.
     * Only a handle that was opened as a consent store (its insert is
     * prepared): a refused file is left untouched. */
    if (!s->readonly && s->insert != NULL)
        sqlite3_exec(s->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
    sqlite3_finalize(s->lookup);
    sqlite3_finalize(s->insert);
    sqlite3_finalize(s->begin);
    sqlite3_finalize(s->end);
    sqlite3_close(s->db);
    free(s);
}

void store_set_busy_timeout(store *s, int ms)
{
    sqlite3_busy_timeout(s->db, ms < 0 ? 0 : ms);
}

static int pragma_int(store *s, const char *sql, int *out, char err[STORE_ERR_MAX])
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        if (rc == SQLITE_NOTADB)
            store_errf(err, "%s is not a consent store (not an SQLite database); refusing to touch it",
                     s->path);
        else
            store_sql_error(s, "cannot read it", err);
        sqlite3_finalize(st);
        return -1;
    }
    *out = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return 0;
}

/* What the file is: 0 = a consent store (version in *version), 1 = empty. */
static int identify(store *s, int *version, char err[STORE_ERR_MAX])
{
    int app_id, tables;
    if (pragma_int(s, "PRAGMA application_id", &app_id, err) < 0 ||
        pragma_int(s, "PRAGMA user_version", version, err) < 0 ||
        pragma_int(s, "SELECT count(*) FROM sqlite_master", &tables, err) < 0)
        return -1;
    if (app_id == 0 && *version == 0 && tables == 0)
        return 1;
    if (app_id != SCHEMA_APPLICATION_ID) {
        store_errf(err, "%s is not a consent store (an SQLite database of another program); "
                 "refusing to touch it",
                 s->path);
        return -1;
    }
    if (*version > STORE_SCHEMA_VERSION) {
        store_errf(err, "%s has schema version %d, newer than this program's %d; "
                 "upgrade consent-milter, the file was left untouched",
                 s->path, *version, STORE_SCHEMA_VERSION);
        return -1;
    }
    return 0;
}

static int upgrade(store *s, int from, char err[STORE_ERR_MAX])
{
    if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
        store_sql_error(s, "cannot start the schema upgrade", err);
        return -1;
    }
    /* Another process may have upgraded it between our check and our lock. */
    int now_version;
    if (pragma_int(s, "PRAGMA user_version", &now_version, err) < 0 ||
        schema_migrate(s->db, now_version < from ? now_version : from, STORE_SCHEMA_VERSION,
                       err) < 0 ||
        sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        if (err[0] == '\0')
            store_sql_error(s, "cannot commit the schema upgrade", err);
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    return 0;
}

static int prepare(store *s, char err[STORE_ERR_MAX])
{
    if (sqlite3_prepare_v3(s->db,
                           "SELECT " EVENT_COLUMNS " FROM events WHERE address_key = ?1 ORDER BY id",
                           -1, SQLITE_PREPARE_PERSISTENT, &s->lookup, NULL) != SQLITE_OK) {
        store_sql_error(s, "cannot prepare the lookup", err);
        return -1;
    }
    if (sqlite3_prepare_v3(s->db, "BEGIN", -1, SQLITE_PREPARE_PERSISTENT, &s->begin, NULL) !=
            SQLITE_OK ||
        sqlite3_prepare_v3(s->db, "ROLLBACK", -1, SQLITE_PREPARE_PERSISTENT, &s->end, NULL) !=
            SQLITE_OK) {
        store_sql_error(s, "cannot prepare the snapshot statements", err);
        return -1;
    }
    if (s->readonly)
        return 0;
    if (sqlite3_prepare_v3(s->db,
                           "INSERT INTO events (address, address_key, action, purpose, at, source,"
                           " evidence, recorded_by, recorded_at)"
                           " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                           -1, SQLITE_PREPARE_PERSISTENT, &s->insert, NULL) != SQLITE_OK) {
        store_sql_error(s, "cannot prepare the insert", err);
        return -1;
    }
    return 0;
}

/* Did the last call fail because a read-only connection could not create
 * the WAL index beside a WAL-mode database? */
static bool cannot_create_wal_files(const store *s)
{
    int code = sqlite3_errcode(s->db);
    return code == SQLITE_READONLY || code == SQLITE_CANTOPEN;
}

/* Reopens the file as immutable: for one-shot reads of a store in a place
 * this user cannot write, where no -wal file can hold anything newer. */
static int reopen_immutable(store *s, char err[STORE_ERR_MAX])
{
    char wal[sizeof s->path + 8];
    snprintf(wal, sizeof wal, "%s-wal", s->path);
    struct stat st;
    if (stat(wal, &st) == 0 && st.st_size > 0)
        return -1; /* committed changes may sit in the WAL: reading around it would lie */
    GString *uri = g_string_new("file:");
    for (const char *p = s->path; *p; p++) {
        if (g_ascii_isalnum(*p) || strchr("/._-", *p))
            g_string_append_c(uri, *p);
        else
            g_string_append_printf(uri, "%%%02X", (unsigned char)*p);
    }
    g_string_append(uri, "?immutable=1");
    sqlite3_close(s->db);
    s->db = NULL;
    int rc = sqlite3_open_v2(uri->str, &s->db,
                             SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, NULL);
    g_string_free(uri, TRUE);
    if (rc != SQLITE_OK) {
        store_sql_error(s, "cannot open it", err);
        return -1;
    }
    return 0;
}

/* Process-wide SQLite settings, before its first use. Memory statistics
 * off: SQLite then takes no global mutex around each of its allocations.
 * Debian's libsqlite3 is built without lookaside memory, so every small
 * allocation goes to malloc, and with statistics on, lookups on handles in
 * different threads queue on that one mutex (measured with two threads:
 * about one lookup in ten waited). sqlite3_config() is refused once SQLite
 * is initialised (another library of the process got there first); then
 * the statistics simply stay on. */
static gpointer configure_sqlite(gpointer unused)
{
    (void)unused;
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    return NULL;
}

store *store_open(const char *path, int flags, char err[STORE_ERR_MAX])
{
    return store_open_wait(path, flags, DEFAULT_BUSY_MS, err);
}

store *store_open_wait(const char *path, int flags, int busy_ms, char err[STORE_ERR_MAX])
{
    static GOnce sqlite_once = G_ONCE_INIT;
    g_once(&sqlite_once, configure_sqlite, NULL);
    err[0] = '\0';
    bool readonly = (flags & STORE_READONLY) != 0;
    bool create = (flags & STORE_CREATE) != 0 && !readonly;
    struct stat st;
    if (stat(path, &st) < 0) {
        if (errno == ENOENT && create) {
            if (store_file_create_private(path, err) < 0)
                return NULL;
        } else {
            int e = errno;
            store_errf(err, "cannot open consent store %s: %s%s%s%s", path, strerror(e),
                       e == ENOENT ? " (create it with: consentctl -d " : "",
                       e == ENOENT ? path : "", e == ENOENT ? " init)" : "");
            return NULL;
        }
    } else if (!S_ISREG(st.st_mode)) {
        store_errf(err, "%s is not a regular file", path);
        return NULL;
    }

    store *s = calloc(1, sizeof *s);
    if (s == NULL) {
        store_errf(err, "out of memory");
        return NULL;
    }
    snprintf(s->path, sizeof s->path, "%s", path);
    s->readonly = readonly;
    /* NOMUTEX: a handle belongs to one thread at a time (see store.h). */
    int oflags = SQLITE_OPEN_NOMUTEX |
                 (readonly ? SQLITE_OPEN_READONLY
                           : SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0));
    if (sqlite3_open_v2(path, &s->db, oflags, NULL) != SQLITE_OK) {
        store_sql_error(s, "cannot open it", err);
        store_close(s);
        return NULL;
    }
    sqlite3_extended_result_codes(s->db, 0);
    sqlite3_busy_timeout(s->db, busy_ms < 0 ? 0 : busy_ms);
    if (!readonly) {
        /* Keep the -wal and -shm files when the last writer closes: a
         * read-only reader (the milter, under its own user) cannot create
         * them, and without them it cannot read a WAL database at all. */
        int persist = 1;
        sqlite3_file_control(s->db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
        /* ...but empty: journal_size_limit=0 (set below) truncates the WAL
         * once its content is checkpointed into the main file. */
    }

    int version = 0;
    int kind = identify(s, &version, err);
    if (kind < 0 && readonly && cannot_create_wal_files(s)) {
        if ((flags & STORE_SNAPSHOT) && reopen_immutable(s, err) == 0) {
            err[0] = '\0';
            kind = identify(s, &version, err);
        } else if (!(flags & STORE_SNAPSHOT)) {
            store_errf(err,
                       "consent store %s: cannot read it: its -wal and -shm files are missing "
                       "and this user cannot create them (run consentctl -d %s init as the "
                       "store's owner, which creates them, or allow writing to the directory)",
                       path, path);
        }
    }
    if (kind < 0)
        goto fail;
    if (kind == 1 && !create) {
        store_errf(err, "%s is empty, not a consent store (create one with: consentctl -d %s init)",
                 path, path);
        goto fail;
    }
    if (version < STORE_SCHEMA_VERSION) {
        if (readonly) {
            store_errf(err, "%s has schema version %d; upgrade it with: consentctl -d %s init",
                     path, version, path);
            goto fail;
        }
        /* WAL first, so that even the upgrade never blocks readers. */
        if (sqlite3_exec(s->db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL) != SQLITE_OK) {
            store_sql_error(s, "cannot switch to WAL mode", err);
            goto fail;
        }
        if (upgrade(s, version, err) < 0)
            goto fail;
    }
    if (!readonly &&
        sqlite3_exec(s->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                            " PRAGMA journal_size_limit=0", NULL, NULL,
                     NULL) != SQLITE_OK) {
        store_sql_error(s, "cannot set WAL mode", err);
        goto fail;
    }
    if (prepare(s, err) < 0)
        goto fail;
    return s;
fail:
    store_close(s);
    return NULL;
}

int store_check_integrity(store *s, char err[STORE_ERR_MAX])
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, "PRAGMA quick_check", -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        store_sql_error(s, "cannot check it", err);
        sqlite3_finalize(st);
        return -1;
    }
    const char *result = (const char *)sqlite3_column_text(st, 0);
    int ok = result != NULL && strcmp(result, "ok") == 0;
    if (!ok)
        store_errf(err,
                   "consent store %s is damaged (%.80s): restore it from a backup or an export",
                   s->path, result ? result : "no result");
    sqlite3_finalize(st);
    return ok ? 0 : -1;
}

int store_schema_version(store *s)
{
    char err[STORE_ERR_MAX];
    int v = -1;
    return pragma_int(s, "PRAGMA user_version", &v, err) < 0 ? -1 : v;
}

void store_event_from_row(sqlite3_stmt *st, store_event *ev)
{
    ev->id = sqlite3_column_int64(st, 0);
    ev->address = (const char *)sqlite3_column_text(st, 1);
    if (store_action_parse((const char *)sqlite3_column_text(st, 2), &ev->action) < 0)
        ev->action = STORE_OBJECT; /* the schema's CHECK makes this impossible; be strict */
    ev->purpose = (const char *)sqlite3_column_text(st, 3);
    ev->at = sqlite3_column_int64(st, 4);
    ev->source = (const char *)sqlite3_column_text(st, 5);
    ev->evidence = (const char *)sqlite3_column_text(st, 6);
    ev->recorded_by = (const char *)sqlite3_column_text(st, 7);
    ev->recorded_at = sqlite3_column_int64(st, 8);
    if (ev->address == NULL) ev->address = "";
    if (ev->purpose == NULL) ev->purpose = "";
    if (ev->source == NULL) ev->source = "";
    if (ev->evidence == NULL) ev->evidence = "";
    if (ev->recorded_by == NULL) ev->recorded_by = "";
}

int store_insert_event(store *s, const store_event *ev, const char *key,
                       char err[STORE_ERR_MAX])
{
    sqlite3_stmt *st = s->insert;
    sqlite3_bind_text(st, 1, ev->address, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, store_action_name(ev->action), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, ev->purpose, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, ev->at);
    sqlite3_bind_text(st, 6, ev->source ? ev->source : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, ev->evidence ? ev->evidence : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, ev->recorded_by ? ev->recorded_by : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 9, ev->recorded_at);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_DONE)
        store_sql_error(s, "cannot record the event", err);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

int store_event_validate(store_event *ev, int64_t now, const char **field,
                         char err[STORE_ERR_MAX])
{
    *field = "purpose";
    if (ev->action == STORE_OBJECT || ev->action == STORE_UNOBJECT) {
        if (ev->purpose != NULL && ev->purpose[0] != '\0' && strcmp(ev->purpose, "*") != 0) {
            store_errf(err, "an objection covers every purpose; it takes no purpose ('%.64s' given)",
                       ev->purpose);
            return -1;
        }
        ev->purpose = "*";
    } else if (ev->purpose == NULL || ev->purpose[0] == '\0') {
        ev->purpose = STORE_DEFAULT_PURPOSE;
    } else if (!store_purpose_valid(ev->purpose)) {
        store_errf(err, "invalid purpose '%.64s': use 1 to %d of a-z, 0-9, '.', '_', '-'",
                   ev->purpose, STORE_PURPOSE_MAX);
        return -1;
    }
    *field = "at";
    if (ev->at == 0) {
        ev->at = now;
    } else if (ev->at > now + 86400) {
        store_errf(err, "the time lies in the future; consent cannot be given ahead");
        return -1;
    }
    const char *texts[] = {ev->source, ev->evidence, ev->recorded_by};
    const size_t limits[] = {STORE_SOURCE_MAX, STORE_EVIDENCE_MAX, STORE_BY_MAX};
    const char *names[] = {"source", "evidence", "recorded_by"};
    for (int i = 0; i < 3; i++) {
        *field = names[i];
        if (texts[i] == NULL)
            continue;
        size_t len = strlen(texts[i]);
        if (len > limits[i]) {
            store_errf(err, "the text is longer than %zu bytes", limits[i]);
            return -1;
        }
        if (!g_utf8_validate(texts[i], (gssize)len, NULL)) {
            store_errf(err, "the text is not valid UTF-8");
            return -1;
        }
    }
    *field = "recorded_by";
    if (ev->recorded_by == NULL || ev->recorded_by[0] == '\0') {
        store_errf(err, "every event needs the name of who records it");
        return -1;
    }
    *field = "evidence";
    if (ev->action == STORE_UNOBJECT && (ev->evidence == NULL || ev->evidence[0] == '\0')) {
        store_errf(err, "lifting an objection needs evidence saying why (e.g. the customer's "
                        "written request)");
        return -1;
    }
    *field = "recorded_at";
    if (ev->recorded_at > now + 86400) {
        store_errf(err, "the recording time lies in the future");
        return -1;
    }
    return 0;
}

int store_record(store *s, const store_event *in, char err[STORE_ERR_MAX])
{
    if (s->readonly) {
        store_errf(err, "consent store %s is open read-only", s->path);
        return -1;
    }
    char stored[STORE_ADDRESS_MAX + 1], key[STORE_ADDRESS_MAX + 1], why[STORE_ERR_MAX];
    if (store_address_normalise(in->address, stored, key, why) < 0) {
        store_errf(err, "invalid address: %s", why);
        return -1;
    }
    store_event ev = *in;
    ev.address = stored;
    int64_t now = (int64_t)time(NULL);
    ev.recorded_at = now;
    const char *field;
    if (store_event_validate(&ev, now, &field, why) < 0) {
        store_errf(err, "%s: %s", field, why);
        return -1;
    }
    return store_insert_event(s, &ev, key, err);
}

/* Steps the lookup statement for key, calling fn per row (exact_address:
 * only rows whose stored address is exactly that). */
static int each_history_row(store *s, const char *key, const char *exact_address,
                            store_event_fn fn, void *ctx, char err[STORE_ERR_MAX])
{
    sqlite3_stmt *st = s->lookup;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        store_event ev;
        store_event_from_row(st, &ev);
        /* Case-sensitive comparison narrows consent to the exact mailbox,
         * but an objection holds for the person whatever the spelling. */
        if (exact_address != NULL && strcmp(ev.address, exact_address) != 0 &&
            ev.action != STORE_OBJECT && ev.action != STORE_UNOBJECT)
            continue;
        if (fn(&ev, ctx) != 0) {
            rc = SQLITE_DONE;
            break;
        }
    }
    if (rc != SQLITE_DONE)
        store_sql_error(s, "cannot read the history", err);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

static int fold_step_fn(const store_event *ev, void *ctx)
{
    state_fold_step(ctx, ev);
    return 0;
}

int store_lookup(store *s, const char *address, const char *purpose,
                 bool case_sensitive_local, int64_t max_age, int64_t now,
                 consent_state *out, char err[STORE_ERR_MAX])
{
    char stored[STORE_ADDRESS_MAX + 1], key[STORE_ADDRESS_MAX + 1], why[STORE_ERR_MAX];
    state_fold f;
    state_fold_init(&f, purpose);
    if (store_address_normalise(address, stored, key, why) == 0 &&
        each_history_row(s, key, case_sensitive_local ? stored : NULL, fold_step_fn, &f,
                         err) < 0)
        return -1;
    state_fold_finish(&f, max_age, now, out);
    return 0;
}

int store_snapshot_begin(store *s, char err[STORE_ERR_MAX])
{
    /* A deferred BEGIN: the read transaction, and with it the snapshot,
     * starts with the first lookup and holds until store_snapshot_end. */
    int rc = sqlite3_step(s->begin);
    sqlite3_reset(s->begin);
    if (rc != SQLITE_DONE) {
        store_sql_error(s, "cannot begin a read transaction", err);
        return -1;
    }
    return 0;
}

void store_snapshot_end(store *s)
{
    if (sqlite3_get_autocommit(s->db))
        return; /* nothing open (a failed lookup may have ended it) */
    sqlite3_step(s->end);
    sqlite3_reset(s->end);
}

int store_history(store *s, const char *address, store_event_fn fn, void *ctx,
                  char err[STORE_ERR_MAX])
{
    char stored[STORE_ADDRESS_MAX + 1], key[STORE_ADDRESS_MAX + 1], why[STORE_ERR_MAX];
    if (store_address_normalise(address, stored, key, why) < 0) {
        store_errf(err, "invalid address: %s", why);
        return -1;
    }
    return each_history_row(s, key, NULL, fn, ctx, err);
}

int store_each_event(store *s, store_event_fn fn, void *ctx, char err[STORE_ERR_MAX])
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, "SELECT " EVENT_COLUMNS " FROM events ORDER BY id", -1, &st,
                           NULL) != SQLITE_OK) {
        store_sql_error(s, "cannot read the history", err);
        return -1;
    }
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        store_event ev;
        store_event_from_row(st, &ev);
        if (fn(&ev, ctx) != 0) {
            rc = SQLITE_DONE;
            break;
        }
    }
    if (rc != SQLITE_DONE)
        store_sql_error(s, "cannot read the history", err);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -1;
}
