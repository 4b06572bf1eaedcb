/*
 * test_store — the consent store file: creation, identification, upgrade
 * from version 1, refusal of foreign and newer files (left untouched),
 * recording, lookups across connections and threads, locks, corruption,
 * and the all-or-nothing import.
 */
#include <check.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check_main.h"
#include "schema.h"
#include "store.h"

static char dir[64];
static char path[128];

static void setup(void)
{
    strcpy(dir, "/tmp/consent-test-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/consent.db", dir);
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

static store *open_ok(int flags)
{
    char err[STORE_ERR_MAX] = "";
    store *s = store_open(path, flags, err);
    ck_assert_msg(s != NULL, "open failed: %s", err);
    return s;
}

static void open_fails(int flags, const char *why)
{
    char err[STORE_ERR_MAX] = "";
    store *s = store_open(path, flags, err);
    ck_assert_msg(s == NULL, "open succeeded");
    ck_assert_msg(strstr(err, why) != NULL, "error '%s' lacks '%s'", err, why);
}

static void record(store *s, const char *addr, store_action action, const char *purpose)
{
    char err[STORE_ERR_MAX] = "";
    store_event ev = {.address = addr, .action = action, .purpose = purpose,
                      .evidence = action == STORE_UNOBJECT ? "written request" : "test",
                      .recorded_by = "test"};
    ck_assert_msg(store_record(s, &ev, err) == 0, "record failed: %s", err);
}

static consent_kind lookup(store *s, const char *addr, const char *purpose)
{
    char err[STORE_ERR_MAX] = "";
    consent_state st;
    ck_assert_msg(store_lookup(s, addr, purpose, false, 0, time(NULL), &st, err) == 0,
                  "lookup failed: %s", err);
    return st.kind;
}

/* The whole file, to prove a refused file was not modified. */
static char *slurp(size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    rewind(f);
    char *buf = malloc(*len + 1);
    ck_assert_uint_eq(fread(buf, 1, *len, f), *len);
    fclose(f);
    return buf;
}

static void assert_untouched_after_open(int flags, const char *why)
{
    size_t before_len, after_len;
    char *before = slurp(&before_len);
    open_fails(flags, why);
    char *after = slurp(&after_len);
    ck_assert_uint_eq(before_len, after_len);
    ck_assert(memcmp(before, after, before_len) == 0);
    free(before);
    free(after);
    char wal[160];
    snprintf(wal, sizeof wal, "%s-wal", path);
    ck_assert_msg(access(wal, F_OK) != 0, "a WAL file was created next to a refused file");
}

static void raw_exec(const char *sql)
{
    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    ck_assert_msg(rc == SQLITE_OK, "%s: %s", sql, msg ? msg : "");
    sqlite3_close(db);
}

START_TEST(test_create_and_reopen)
{
    open_fails(0, "init)");
    open_fails(STORE_READONLY, "No such file");
    store *s = open_ok(STORE_CREATE);
    ck_assert_int_eq(store_schema_version(s), STORE_SCHEMA_VERSION);
    record(s, "Max@Example.com", STORE_GRANT, NULL);
    store_close(s);
    s = open_ok(STORE_CREATE); /* init again: no harm */
    ck_assert_int_eq(lookup(s, "max@example.com", NULL), CONSENT_GRANTED);
    store_close(s);
    s = open_ok(STORE_READONLY);
    ck_assert_int_eq(lookup(s, "<MAX@EXAMPLE.COM>", "newsletter"), CONSENT_GRANTED);
    ck_assert_int_eq(lookup(s, "other@example.com", NULL), CONSENT_NONE);
    ck_assert_int_eq(lookup(s, "not an address", NULL), CONSENT_NONE);
    char err[STORE_ERR_MAX];
    store_event ev = {.address = "a@example.com", .action = STORE_GRANT};
    ck_assert_int_eq(store_record(s, &ev, err), -1);
    ck_assert_ptr_nonnull(strstr(err, "read-only"));
    store_close(s);
    /* the file is in WAL mode */
    sqlite3 *db;
    sqlite3_stmt *st;
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    ck_assert_str_eq((const char *)sqlite3_column_text(st, 0), "wal");
    sqlite3_finalize(st);
    sqlite3_close(db);
}
END_TEST

START_TEST(test_case_sensitive_local_part)
{
    store *s = open_ok(STORE_CREATE);
    record(s, "Max@example.com", STORE_GRANT, NULL);
    char err[STORE_ERR_MAX];
    consent_state st;
    ck_assert_int_eq(store_lookup(s, "max@EXAMPLE.com", NULL, true, 0, time(NULL), &st, err), 0);
    ck_assert_int_eq(st.kind, CONSENT_NONE);
    ck_assert_int_eq(store_lookup(s, "Max@EXAMPLE.com", NULL, true, 0, time(NULL), &st, err), 0);
    ck_assert_int_eq(st.kind, CONSENT_GRANTED);
    store_close(s);
}
END_TEST

START_TEST(test_upgrade_from_version_1)
{
    /* Build a file exactly as schema version 1 left it, with data. */
    sqlite3 *db;
    char err[STORE_ERR_MAX] = "";
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    ck_assert_msg(schema_migrate(db, 0, 1, err) == 0, "%s", err);
    ck_assert_int_eq(sqlite3_exec(db,
                                  "INSERT INTO events (address, address_key, action, purpose, at,"
                                  " source, evidence) VALUES"
                                  " ('Anna@example.de','anna@example.de','grant','marketing',"
                                  "  1600000000,'shop','doi 1.2.3.4'),"
                                  " ('bob@example.de','bob@example.de','grant','newsletter',"
                                  "  1600000000,'shop',''),"
                                  " ('bob@example.de','bob@example.de','object','*',"
                                  "  1600000100,'mail','')",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);

    /* The milter's read-only open does not upgrade. */
    open_fails(STORE_READONLY, "schema version 1");
    /* A writer's open upgrades in place and keeps every row. */
    store *s = open_ok(0);
    ck_assert_int_eq(store_schema_version(s), STORE_SCHEMA_VERSION);
    ck_assert_int_eq(lookup(s, "anna@example.de", NULL), CONSENT_GRANTED);
    ck_assert_int_eq(lookup(s, "bob@example.de", "newsletter"), CONSENT_OBJECTED);
    record(s, "carl@example.de", STORE_GRANT, NULL);
    store_close(s);

    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db, "SELECT count(*), sum(recorded_by LIKE 'unknown%'),"
                           " (SELECT evidence FROM events WHERE id = 1) FROM events", -1, &st, NULL);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    ck_assert_int_eq(sqlite3_column_int(st, 0), 4);
    ck_assert_int_eq(sqlite3_column_int(st, 1), 3);
    ck_assert_str_eq((const char *)sqlite3_column_text(st, 2), "doi 1.2.3.4");
    sqlite3_finalize(st);
    sqlite3_close(db);
}
END_TEST

START_TEST(test_upgrade_renormalises_addresses)
{
    /* A version 2 file holding spellings that earlier versions kept as
     * given: an objection under the quoted spelling, a grant under the
     * plain one (issue 10: "no"@ex.test was told apart from no@ex.test). */
    sqlite3 *db;
    char err[STORE_ERR_MAX] = "";
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    ck_assert_msg(schema_migrate(db, 0, 2, err) == 0, "%s", err);
    ck_assert_int_eq(sqlite3_exec(db,
                                  "INSERT INTO events (address, address_key, action, purpose, at,"
                                  " recorded_by) VALUES"
                                  " ('no@ex.test','no@ex.test','grant','marketing',1600000000,'t'),"
                                  " ('\"No\"@ex.test','\"no\"@ex.test','object','*',1600000100,'t'),"
                                  " ('\"a b\"@ex.test','\"a b\"@ex.test','grant','marketing',"
                                  "  1600000000,'t')",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    open_fails(STORE_READONLY, "schema version 2");

    store *s = open_ok(0);
    ck_assert_int_eq(store_schema_version(s), STORE_SCHEMA_VERSION);
    ck_assert_int_eq(lookup(s, "no@ex.test", NULL), CONSENT_OBJECTED);
    ck_assert_int_eq(lookup(s, "\"no\"@ex.test", NULL), CONSENT_OBJECTED);
    ck_assert_int_eq(lookup(s, "\"a b\"@ex.test", NULL), CONSENT_GRANTED);
    store_close(s);

    /* The spelling as recorded is kept; the history is append-only again. */
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db, "SELECT address, address_key, address_given FROM events WHERE id = 2",
                       -1, &st, NULL);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    ck_assert_str_eq((const char *)sqlite3_column_text(st, 0), "No@ex.test");
    ck_assert_str_eq((const char *)sqlite3_column_text(st, 1), "no@ex.test");
    ck_assert_str_eq((const char *)sqlite3_column_text(st, 2), "\"No\"@ex.test");
    sqlite3_finalize(st);
    ck_assert_int_ne(sqlite3_exec(db, "UPDATE events SET address = 'x@y.test'", NULL, NULL, NULL),
                     SQLITE_OK);
    ck_assert_int_ne(sqlite3_exec(db, "DELETE FROM events", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}
END_TEST

START_TEST(test_history_is_append_only)
{
    store *s = open_ok(STORE_CREATE);
    record(s, "a@example.com", STORE_GRANT, NULL);
    store_close(s);
    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    char *msg = NULL;
    ck_assert_int_ne(sqlite3_exec(db, "UPDATE events SET action = 'withdraw'", NULL, NULL, &msg),
                     SQLITE_OK);
    ck_assert_ptr_nonnull(strstr(msg, "append-only"));
    sqlite3_free(msg);
    ck_assert_int_ne(sqlite3_exec(db, "DELETE FROM events", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}
END_TEST

START_TEST(test_refuses_foreign_files)
{
    /* not SQLite at all */
    FILE *f = fopen(path, "wb");
    for (int i = 0; i < 8192; i++)
        fputc((i * 7919) & 0xff, f);
    fclose(f);
    assert_untouched_after_open(0, "not an SQLite database");
    assert_untouched_after_open(STORE_CREATE, "not an SQLite database");
    assert_untouched_after_open(STORE_READONLY, "not an SQLite database");
    unlink(path);

    /* another program's SQLite database */
    raw_exec("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)");
    assert_untouched_after_open(STORE_CREATE, "another program");
    assert_untouched_after_open(STORE_READONLY, "another program");
    unlink(path);

    /* an empty file is no store, but init makes one of it */
    f = fopen(path, "wb");
    fclose(f);
    open_fails(0, "empty");
    open_fails(STORE_READONLY, "empty");
    store_close(open_ok(STORE_CREATE));
}
END_TEST

START_TEST(test_refuses_newer_schema)
{
    store *s = open_ok(STORE_CREATE);
    record(s, "a@example.com", STORE_GRANT, NULL);
    store_close(s);
    raw_exec("PRAGMA journal_mode=DELETE; PRAGMA user_version = 99");
    assert_untouched_after_open(0, "newer than this program");
    assert_untouched_after_open(STORE_CREATE, "newer");
    assert_untouched_after_open(STORE_READONLY, "newer");
}
END_TEST

START_TEST(test_reader_sees_changes_without_reopen)
{
    store *w = open_ok(STORE_CREATE);
    store *r = open_ok(STORE_READONLY);
    ck_assert_int_eq(lookup(r, "a@example.com", NULL), CONSENT_NONE);
    record(w, "a@example.com", STORE_GRANT, NULL);
    ck_assert_int_eq(lookup(r, "a@example.com", NULL), CONSENT_GRANTED);
    record(w, "a@example.com", STORE_WITHDRAW, NULL);
    ck_assert_int_eq(lookup(r, "a@example.com", NULL), CONSENT_WITHDRAWN);
    record(w, "a@example.com", STORE_OBJECT, NULL);
    ck_assert_int_eq(lookup(r, "a@example.com", "newsletter"), CONSENT_OBJECTED);
    store_close(r);
    store_close(w);
}
END_TEST

/* A message's recipients are judged against one snapshot: a change made
 * while its lookups run is seen from the next message on. */
START_TEST(test_snapshot_over_several_lookups)
{
    store *w = open_ok(STORE_CREATE);
    store *r = open_ok(STORE_READONLY);
    record(w, "a@example.com", STORE_GRANT, NULL);
    store_snapshot_end(r); /* safe with nothing open */
    char err[STORE_ERR_MAX];
    ck_assert_int_eq(store_snapshot_begin(r, err), 0);
    ck_assert_int_eq(lookup(r, "a@example.com", NULL), CONSENT_GRANTED);
    record(w, "a@example.com", STORE_WITHDRAW, NULL); /* the writer is not blocked */
    ck_assert_int_eq(lookup(r, "a@example.com", NULL), CONSENT_GRANTED);
    ck_assert_int_eq(lookup(r, "b@example.com", NULL), CONSENT_NONE);
    store_snapshot_end(r);
    ck_assert_int_eq(lookup(r, "a@example.com", NULL), CONSENT_WITHDRAWN);
    /* again, and ended twice */
    ck_assert_int_eq(store_snapshot_begin(r, err), 0);
    ck_assert_int_eq(lookup(r, "a@example.com", NULL), CONSENT_WITHDRAWN);
    store_snapshot_end(r);
    store_snapshot_end(r);
    store_close(r);
    store_close(w);
}
END_TEST

#define THREAD_LOOKUPS 20000
#define SEEDED 500

static void *reader_thread(void *arg)
{
    (void)arg;
    char err[STORE_ERR_MAX];
    store *r = store_open(path, STORE_READONLY, err);
    if (r == NULL)
        return (void *)1;
    intptr_t failures = 0;
    for (int i = 0; i < THREAD_LOOKUPS; i++) {
        char addr[64];
        snprintf(addr, sizeof addr, "user%d@example.com", i % SEEDED);
        consent_state st;
        if (store_lookup(r, addr, NULL, false, 0, time(NULL), &st, err) != 0 ||
            st.kind != CONSENT_GRANTED)
            failures++;
    }
    store_close(r);
    return (void *)failures;
}

START_TEST(test_threads_each_with_a_connection)
{
    store *w = open_ok(STORE_CREATE);
    for (int i = 0; i < SEEDED; i++) {
        char addr[64];
        snprintf(addr, sizeof addr, "user%d@example.com", i);
        record(w, addr, STORE_GRANT, NULL);
    }
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, reader_thread, NULL), 0);
    /* the writer keeps writing while they read */
    for (int i = 0; i < 200; i++) {
        char addr[64];
        snprintf(addr, sizeof addr, "new%d@example.com", i);
        record(w, addr, STORE_GRANT, "newsletter");
    }
    for (int i = 0; i < 4; i++) {
        void *failures;
        pthread_join(t[i], &failures);
        ck_assert_int_eq((intptr_t)failures, 0);
    }
    store_close(w);
}
END_TEST

START_TEST(test_locked_store)
{
    store *w = open_ok(STORE_CREATE);
    record(w, "a@example.com", STORE_GRANT, NULL);
    store_close(w);
    sqlite3 *holder;
    ck_assert_int_eq(sqlite3_open(path, &holder), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(holder, "BEGIN EXCLUSIVE", NULL, NULL, NULL), SQLITE_OK);

    w = open_ok(0);
    store_set_busy_timeout(w, 100);
    char err[STORE_ERR_MAX] = "";
    store_event ev = {.address = "b@example.com", .action = STORE_GRANT, .recorded_by = "t"};
    ck_assert_int_eq(store_record(w, &ev, err), -1);
    ck_assert_msg(strstr(err, "lock") != NULL, "'%s'", err);
    /* a WAL reader is not blocked by the writer's lock */
    store *r = open_ok(STORE_READONLY);
    ck_assert_int_eq(lookup(r, "a@example.com", NULL), CONSENT_GRANTED);
    store_close(r);

    sqlite3_exec(holder, "COMMIT", NULL, NULL, NULL);
    sqlite3_close(holder);
    ck_assert_int_eq(store_record(w, &ev, err), 0);
    store_close(w);
}
END_TEST

static int count_events(const store_event *ev, void *ctx)
{
    (void)ev;
    (*(long *)ctx)++;
    return 0;
}

START_TEST(test_corrupt_store)
{
    store *w = open_ok(STORE_CREATE);
    for (int i = 0; i < 3000; i++) {
        char addr[64];
        snprintf(addr, sizeof addr, "user%d@example.com", i);
        record(w, addr, STORE_GRANT, NULL);
    }
    store_close(w);
    raw_exec("PRAGMA wal_checkpoint(TRUNCATE)");
    /* overwrite pages in the middle of the file with garbage */
    FILE *f = fopen(path, "r+b");
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    ck_assert_int_gt(size, 16 * 4096);
    for (long off = 4096; off < size - 4096; off += 4096 * 3) {
        fseek(f, off, SEEK_SET);
        for (int i = 0; i < 4096; i++)
            fputc(0xA5 ^ (i & 0xff), f);
    }
    fclose(f);
    char err[STORE_ERR_MAX] = "";
    store *r = store_open(path, STORE_READONLY, err);
    if (r == NULL) {
        ck_assert_ptr_nonnull(strstr(err, "consent store"));
        return;
    }
    long n = 0;
    int failed = store_each_event(r, count_events, &n, err) < 0;
    for (int i = 0; i < 3000 && !failed; i++) {
        char addr[64];
        consent_state st;
        snprintf(addr, sizeof addr, "user%d@example.com", i);
        failed = store_lookup(r, addr, NULL, false, 0, time(NULL), &st, err) < 0;
    }
    ck_assert_msg(failed, "no error reading a damaged store");
    ck_assert_msg(strstr(err, "damaged") != NULL, "'%s'", err);
    store_close(r);
}
END_TEST

static int import_text_mode(store *s, const char *text, bool restore,
                            store_import_stats *stats, char err[STORE_ERR_MAX])
{
    FILE *f = fmemopen((void *)text, strlen(text), "r");
    int rc = store_import_csv(s, f, "list.csv", "import-test", restore, stats, err);
    fclose(f);
    return rc;
}

static int import_text(store *s, const char *text, store_import_stats *stats,
                       char err[STORE_ERR_MAX])
{
    return import_text_mode(s, text, false, stats, err);
}

static long total_events(store *s)
{
    long n = 0;
    char err[STORE_ERR_MAX];
    ck_assert_int_eq(store_each_event(s, count_events, &n, err), 0);
    return n;
}

START_TEST(test_import_all_or_nothing)
{
    store *s = open_ok(STORE_CREATE);
    store_import_stats stats;
    char err[STORE_ERR_MAX] = "";
    ck_assert_msg(import_text(s,
                              "Evidence,address,ACTION,at,purpose\n"
                              "\"doi 2024-01-01, 192.0.2.7\",a@example.com,grant,2024-01-01T10:00:00Z,\n"
                              ",b@example.com,,,newsletter\n"
                              ",c@example.com,object,,\n"
                              ",c@example.com,grant,,\n",
                              &stats, err) == 0,
                  "%s", err);
    ck_assert_int_eq(stats.rows, 4);
    ck_assert_int_eq(stats.by_action[STORE_GRANT], 3);
    ck_assert_int_eq(stats.by_action[STORE_OBJECT], 1);
    ck_assert_int_eq(lookup(s, "a@example.com", NULL), CONSENT_GRANTED);
    ck_assert_int_eq(lookup(s, "b@example.com", "newsletter"), CONSENT_GRANTED);
    ck_assert_int_eq(lookup(s, "c@example.com", NULL), CONSENT_OBJECTED); /* grant did not lift it */

    static const struct bad {
        const char *text, *where, *what;
    } bad[] = {
        {"address\nok@example.com\nnot-an-address\n", "list.csv:3:", "field 'address'"},
        {"address,action\nok@example.com,grant\nx@example.com,subscribe\n", "list.csv:3:", "field 'action'"},
        {"address,at\nok@example.com,2024-01-01\nx@example.com,2024-13-01\n", "list.csv:3:", "field 'at'"},
        {"address,action\nok@example.com,grant\nx@example.com\n", "list.csv:3:", "1 fields"},
        {"address,evidence\nok@example.com,\nx@example.com,caf\xe9\n", "list.csv:3:", "UTF-8"},
        {"address,action\nok@example.com,grant\nx@example.com,unobject\n", "list.csv:3:", "objection"},
        {"address,purpose\nok@example.com,\nx@example.com,Partner Ads\n", "list.csv:3:", "field 'purpose'"},
        {"address,at\nok@example.com,\nx@example.com,2999-01-01\n", "list.csv:3:", "field 'at'"},
        {"address,recorded_by\nok@example.com,me\n", "list.csv:1:", "--restore"},
        {"address,colour\nok@example.com,red\n", "list.csv:1:", "unknown column"},
        {"action\ngrant\n", "list.csv:1:", "no 'address'"},
        {"address,address\na@example.com,b@example.com\n", "list.csv:1:", "twice"},
        {"", "list.csv", "empty"},
        {"address\nok@example.com\n\"open@example.com\n", "list.csv:3:", "not closed"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        ck_assert_msg(import_text(s, bad[i].text, &stats, err) == -1, "bad file %zu imported", i);
        ck_assert_msg(strstr(err, bad[i].where) && strstr(err, bad[i].what),
                      "file %zu: '%s' lacks '%s' or '%s'", i, err, bad[i].where, bad[i].what);
        ck_assert_int_eq(stats.rows, 0);
        ck_assert_int_eq(total_events(s), 4); /* nothing of it stayed */
        ck_assert_int_eq(lookup(s, "ok@example.com", NULL), CONSENT_NONE);
    }
    store_close(s);
}
END_TEST

START_TEST(test_export_restores)
{
    store *s = open_ok(STORE_CREATE);
    store_import_stats stats;
    char err[STORE_ERR_MAX] = "";
    ck_assert_int_eq(import_text(s,
                                 "address,action,purpose,at,source,evidence\n"
                                 "a@example.com,grant,newsletter,2024-01-01,\"form, v2\",\"said \"\"yes\"\"\"\n"
                                 "a@example.com,withdraw,newsletter,2024-02-01,,\n"
                                 "b@example.com,object,,2024-03-01,phone,\"line1\nline2\"\n",
                                 &stats, err),
                     0);
    record(s, "b@example.com", STORE_UNOBJECT, NULL);
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    ck_assert_int_eq(store_export(s, out, STORE_EXPORT_CSV, err), 0);
    fclose(out);

    /* A plain import refuses the export's provenance columns... */
    ck_assert_int_eq(import_text(s, buf, &stats, err), -1);
    ck_assert_msg(strstr(err, "list.csv:1:") && strstr(err, "--restore"), "%s", err);
    /* ...and a restore needs an empty store. */
    ck_assert_int_eq(import_text_mode(s, buf, true, &stats, err), -1);
    ck_assert_msg(strstr(err, "empty store"), "%s", err);
    ck_assert_int_eq(total_events(s), 4);
    store_close(s);
    unlink(path);

    s = open_ok(STORE_CREATE);
    ck_assert_msg(import_text_mode(s, buf, true, &stats, err) == 0, "%s", err);
    ck_assert_int_eq(stats.rows, 4);
    ck_assert_int_eq(stats.by_action[STORE_UNOBJECT], 1);
    ck_assert_int_eq(lookup(s, "b@example.com", NULL), CONSENT_NONE); /* lifted, as before */
    char *again = NULL;
    size_t again_len = 0;
    out = open_memstream(&again, &again_len);
    ck_assert_int_eq(store_export(s, out, STORE_EXPORT_CSV, err), 0);
    fclose(out);
    ck_assert_str_eq(buf, again); /* recorded_by and recorded_at carried over too */
    free(buf);
    free(again);

    out = open_memstream(&buf, &len);
    ck_assert_int_eq(store_export(s, out, STORE_EXPORT_JSON, err), 0);
    fclose(out);
    ck_assert_ptr_nonnull(strstr(buf, "\"evidence\":\"line1\\nline2\""));
    ck_assert_ptr_nonnull(strstr(buf, "\"evidence\":\"said \\\"yes\\\"\""));
    free(buf);
    store_close(s);
}
END_TEST

START_TEST(test_case_sensitive_keeps_objection)
{
    store *s = open_ok(STORE_CREATE);
    record(s, "Max@example.com", STORE_GRANT, NULL);
    record(s, "max@example.com", STORE_OBJECT, NULL);
    char err[STORE_ERR_MAX];
    consent_state st;
    ck_assert_int_eq(store_lookup(s, "Max@example.com", NULL, true, 0, time(NULL), &st, err), 0);
    ck_assert_int_eq(st.kind, CONSENT_OBJECTED);
    store_close(s);
}
END_TEST

START_TEST(test_record_validation)
{
    store *s = open_ok(STORE_CREATE);
    char err[STORE_ERR_MAX];
    store_event ev = {.address = "a@example.com", .action = STORE_GRANT, .recorded_by = ""};
    ck_assert_int_eq(store_record(s, &ev, err), -1);
    ck_assert_msg(strstr(err, "recorded_by"), "%s", err);
    ev.recorded_by = "t";
    ev.purpose = "Bad Purpose";
    ck_assert_int_eq(store_record(s, &ev, err), -1);
    ck_assert_msg(strstr(err, "purpose"), "%s", err);
    ev.purpose = NULL;
    ev.at = time(NULL) + 3 * 86400;
    ck_assert_int_eq(store_record(s, &ev, err), -1);
    ck_assert_msg(strstr(err, "future"), "%s", err);
    ev.at = 0;
    ev.action = STORE_OBJECT;
    ev.purpose = "newsletter";
    ck_assert_int_eq(store_record(s, &ev, err), -1);
    ck_assert_msg(strstr(err, "every purpose"), "%s", err);
    ev.purpose = NULL;
    ev.action = STORE_UNOBJECT;
    ck_assert_int_eq(store_record(s, &ev, err), -1);
    ck_assert_msg(strstr(err, "evidence"), "%s", err);
    ev.address = "bad address";
    ck_assert_int_eq(store_record(s, &ev, err), -1);
    ck_assert_msg(strstr(err, "invalid address"), "%s", err);
    ck_assert_int_eq(total_events(s), 0);
    store_close(s);
}
END_TEST

static Suite *store_suite(void)
{
    Suite *s = suite_create("store");
    TCase *tc = tcase_create("file");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_create_and_reopen);
    tcase_add_test(tc, test_case_sensitive_local_part);
    tcase_add_test(tc, test_upgrade_from_version_1);
    tcase_add_test(tc, test_upgrade_renormalises_addresses);
    tcase_add_test(tc, test_history_is_append_only);
    tcase_add_test(tc, test_refuses_foreign_files);
    tcase_add_test(tc, test_refuses_newer_schema);
    tcase_add_test(tc, test_reader_sees_changes_without_reopen);
    tcase_add_test(tc, test_threads_each_with_a_connection);
    tcase_add_test(tc, test_locked_store);
    tcase_add_test(tc, test_corrupt_store);
    tcase_add_test(tc, test_import_all_or_nothing);
    tcase_add_test(tc, test_export_restores);
    tcase_add_test(tc, test_case_sensitive_keeps_objection);
    tcase_add_test(tc, test_record_validation);
    tcase_add_test(tc, test_snapshot_over_several_lookups);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(store_suite)
