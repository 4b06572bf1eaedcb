/*
 * import — a CSV file of consent events into the store, all or nothing.
 *
 * The whole file is one transaction: a bad row anywhere rolls back every
 * row before it, so a half-imported list can never decide who gets mail.
 */
#include "store_internal.h"

#include <glib.h>
#include <string.h>
#include <time.h>

#include "csv.h"
#include "textout.h"

enum column {
    COL_ADDRESS,
    COL_ACTION,
    COL_PURPOSE,
    COL_AT,
    COL_SOURCE,
    COL_EVIDENCE,
    COL_RECORDED_BY,
    COL_RECORDED_AT,
    COL_COUNT
};

static const char *const column_names[COL_COUNT] = {
    "address", "action", "purpose", "at", "source", "evidence", "recorded_by", "recorded_at",
};

typedef struct import_ctx {
    const char *name;
    bool restore;
    int position[COL_COUNT]; /* index of each column in a row, -1 if absent */
    size_t columns;
} import_ctx;

static int read_header(import_ctx *ic, const char *const *fields, size_t n, long line,
                       char err[STORE_ERR_MAX])
{
    for (int c = 0; c < COL_COUNT; c++)
        ic->position[c] = -1;
    ic->columns = n;
    for (size_t i = 0; i < n; i++) {
        gchar *name = g_strstrip(g_ascii_strdown(fields[i], -1));
        int found = -1;
        for (int c = 0; c < COL_COUNT; c++)
            if (strcmp(name, column_names[c]) == 0)
                found = c;
        if (found < 0) {
            store_errf(err, "%s:%ld: unknown column '%.40s' (known: address, action, purpose, at, "
                     "source, evidence, recorded_by, recorded_at)",
                     ic->name, line, name);
            g_free(name);
            return -1;
        }
        g_free(name);
        if (ic->position[found] >= 0) {
            store_errf(err, "%s:%ld: column '%s' appears twice", ic->name, line,
                     column_names[found]);
            return -1;
        }
        ic->position[found] = (int)i;
        if ((found == COL_RECORDED_BY || found == COL_RECORDED_AT) && !ic->restore) {
            store_errf(err,
                       "%s:%ld: column '%s' is kept only when restoring an export into an "
                       "empty store (consentctl import --restore)",
                       ic->name, line, column_names[found]);
            return -1;
        }
    }
    if (ic->position[COL_ADDRESS] < 0) {
        store_errf(err, "%s:%ld: the header row has no 'address' column", ic->name,
                 line);
        return -1;
    }
    return 0;
}

/* A field's value, without the formula guard of export (textout.h): an
 * export, and a file saved again by a spreadsheet, import as they were. */
static const char *field(const import_ctx *ic, const char *const *fields, enum column c)
{
    return ic->position[c] < 0 ? "" : textout_csv_unguard(fields[ic->position[c]]);
}

/* "list.csv:7: field 'at': bad timestamp '2024-13-01' (use ISO 8601 ...)";
 * value and hint may be NULL. */
static int row_error(const import_ctx *ic, long line, enum column c, char err[STORE_ERR_MAX],
                     const char *what, const char *value, const char *hint)
{
    store_errf(err, "%s:%ld: field '%s': %s%s%.60s%s%s%s", ic->name, line, column_names[c], what,
               value ? " '" : "", value ? value : "", value ? "'" : "", hint ? " " : "",
               hint ? hint : "");
    return -1;
}

/* Turns one row into a validated event and records it. */
static int import_row(store *s, const import_ctx *ic, const char *const *fields, long line,
                      const char *importer, int64_t now, store_import_stats *stats,
                      char err[STORE_ERR_MAX])
{
    for (int c = 0; c < COL_COUNT; c++) {
        const char *v = field(ic, fields, c);
        if (!g_utf8_validate(v, -1, NULL))
            return row_error(ic, line, c, err, "not valid UTF-8", NULL, NULL);
    }
    char stored[STORE_ADDRESS_MAX + 1], key[STORE_ADDRESS_MAX + 1], why[STORE_ERR_MAX];
    const char *address = field(ic, fields, COL_ADDRESS);
    if (store_address_normalise(address, stored, key, why) < 0)
        return row_error(ic, line, COL_ADDRESS, err, why, NULL, NULL);

    store_event ev = {.address = stored, .action = STORE_GRANT};
    const char *action = field(ic, fields, COL_ACTION);
    if (action[0] != '\0' && store_action_parse(action, &ev.action) < 0)
        return row_error(ic, line, COL_ACTION, err, "unknown action", action,
                         ic->restore ? "(use grant, withdraw, object or unobject)"
                                     : "(use grant, withdraw or object)");
    if (ev.action == STORE_UNOBJECT && !ic->restore)
        return row_error(ic, line, COL_ACTION, err,
                         "an import cannot lift an objection", NULL,
                         "(use consentctl unobject, or import --restore for a whole export)");

    ev.purpose = field(ic, fields, COL_PURPOSE);
    const char *at = field(ic, fields, COL_AT);
    if (at[0] != '\0' && (store_time_parse(at, &ev.at) < 0 || ev.at == 0))
        return row_error(ic, line, COL_AT, err, "bad timestamp", at,
                         "(use ISO 8601, e.g. 2024-05-01T10:00:00Z)");
    ev.source = field(ic, fields, COL_SOURCE);
    ev.evidence = field(ic, fields, COL_EVIDENCE);
    ev.recorded_by = field(ic, fields, COL_RECORDED_BY);
    if (ev.recorded_by[0] == '\0')
        ev.recorded_by = importer;
    ev.recorded_at = now;
    const char *rat = field(ic, fields, COL_RECORDED_AT);
    if (rat[0] != '\0' && store_time_parse(rat, &ev.recorded_at) < 0)
        return row_error(ic, line, COL_RECORDED_AT, err, "bad timestamp", rat,
                         "(use ISO 8601, e.g. 2024-05-01T10:00:00Z)");

    const char *bad_field;
    if (store_event_validate(&ev, now, &bad_field, why) < 0) {
        store_errf(err, "%s:%ld: field '%s': %s", ic->name, line, bad_field, why);
        return -1;
    }
    if (store_insert_event(s, &ev, key, err) < 0)
        return -1;
    stats->rows++;
    stats->by_action[ev.action]++;
    return 0;
}

/* Does the store hold no event yet? (restore's precondition) */
static int store_is_empty(store *s, bool *empty, char err[STORE_ERR_MAX])
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, "SELECT EXISTS (SELECT 1 FROM events)", -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        store_sql_error(s, "cannot read it", err);
        sqlite3_finalize(st);
        return -1;
    }
    *empty = sqlite3_column_int(st, 0) == 0;
    sqlite3_finalize(st);
    return 0;
}

int store_import_csv(store *s, FILE *in, const char *name, const char *recorded_by,
                     bool restore, store_import_stats *stats, char err[STORE_ERR_MAX])
{
    memset(stats, 0, sizeof *stats);
    err[0] = '\0';
    if (s->readonly) {
        store_errf(err, "consent store %s is open read-only", s->path);
        return -1;
    }
    csv_reader *r = csv_reader_new(in);
    if (r == NULL) {
        store_errf(err, "out of memory");
        return -1;
    }
    if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
        store_sql_error(s, "cannot start the import", err);
        csv_reader_free(r);
        return -1;
    }
    import_ctx ic = {.name = name, .restore = restore};
    bool empty = true;
    if (restore && (store_is_empty(s, &empty, err) < 0 || !empty)) {
        if (!empty)
            store_errf(err, "--restore needs an empty store, and %s already holds events",
                       s->path);
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        csv_reader_free(r);
        return -1;
    }
    int64_t now = (int64_t)time(NULL);
    const char *fields[CSV_FIELDS_MAX];
    size_t n;
    long line;
    char why[STORE_ERR_MAX];
    int rc = csv_next(r, fields, &n, &line, why, sizeof why);
    if (rc == 0) {
        store_errf(err, "%s: the file is empty (it needs a header row)", name);
        rc = -1;
    } else if (rc > 0) {
        rc = read_header(&ic, fields, n, line, err);
        while (rc == 0 && (rc = csv_next(r, fields, &n, &line, why, sizeof why)) > 0) {
            if (n != ic.columns) {
                store_errf(err, "%s:%ld: %zu fields, but the header has %zu", name,
                         line, n, ic.columns);
                rc = -1;
                break;
            }
            rc = import_row(s, &ic, fields, line, recorded_by, now, stats, err);
        }
    }
    if (rc < 0 && err[0] == '\0')
        store_errf(err, "%s:%s", name, why);
    csv_reader_free(r);

    if (rc == 0 && sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        store_sql_error(s, "cannot commit the import", err);
        rc = -1;
    }
    if (rc < 0) {
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        memset(stats, 0, sizeof *stats);
        return -1;
    }
    return 0;
}
