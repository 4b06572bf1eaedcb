/*
 * test_storepool — the milter's pool of read-only consent store handles:
 * handles are reused across takes (no open per message), a replaced file
 * or a failed lookup gets a fresh open, a missing store is an error, the
 * idle bound holds, and handles lent to several threads at once work.
 */
#include <check.h>
#include <glib.h>
#include <stdio.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_main.h"
#include "storepool.h"

static char dir[] = "/tmp/test_storepool.XXXXXX";
static char path[256];

static void record_in(const char *p, const char *address, store_action action)
{
    char err[STORE_ERR_MAX];
    store *s = store_open(p, STORE_CREATE, err);
    ck_assert_msg(s != NULL, "%s", err);
    store_event ev = {.address = address, .action = action, .source = "test",
                      .evidence = "DOI", .recorded_by = "test"};
    ck_assert_msg(store_record(s, &ev, err) == 0, "%s", err);
    store_close(s);
}

static void make_store(const char *p, const char *granted)
{
    record_in(p, granted, STORE_GRANT);
}

/* cp SRC DST: the content of DST replaced in place, its inode kept. With
 * keep_mtime DST's modification time is set back as it was (cp -p of a
 * file as old as DST). */
static void copy_over(const char *src, const char *dst, bool keep_mtime)
{
    gchar *data;
    gsize len;
    struct stat before, after;
    ck_assert_int_eq(stat(dst, &before), 0);
    ck_assert(g_file_get_contents(src, &data, &len, NULL));
    int fd = open(dst, O_WRONLY | O_TRUNC);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
    if (keep_mtime) {
        struct timespec times[2] = {before.st_atim, before.st_mtim};
        ck_assert_int_eq(futimens(fd, times), 0);
    }
    close(fd);
    g_free(data);
    ck_assert_int_eq(stat(dst, &after), 0);
    ck_assert(after.st_ino == before.st_ino);
}

/* Waits until the store file's times are old enough for a pooled handle
 * to be kept (see STOREPOOL_SETTLE_MS). */
static void settle(void)
{
    g_usleep((STOREPOOL_SETTLE_MS + 50) * 1000);
}

static void setup(void)
{
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/consent.db", dir);
    make_store(path, "anna@example.de");
    settle();
}

static void teardown(void)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
    g_strlcpy(dir, "/tmp/test_storepool.XXXXXX", sizeof dir);
}

static consent_kind lookup(storepool_lease *l, const char *addr)
{
    char err[STORE_ERR_MAX];
    consent_state st;
    ck_assert_msg(store_lookup(l->st, addr, NULL, false, 0, 0, &st, err) == 0, "%s", err);
    return st.kind;
}

START_TEST(test_reuses_handles)
{
    storepool *p = storepool_new(path, 1000, 4);
    char err[STORE_ERR_MAX];
    for (int i = 0; i < 100; i++) {
        storepool_lease l;
        ck_assert_msg(storepool_take(p, &l, err) == 0, "%s", err);
        ck_assert_int_eq(lookup(&l, "anna@example.de"), CONSENT_GRANTED);
        storepool_give(p, &l, false);
        ck_assert_ptr_null(l.st);
    }
    ck_assert_uint_eq(storepool_opened(p), 1);
    storepool_free(p);
}
END_TEST

START_TEST(test_replaced_file_is_reopened)
{
    storepool *p = storepool_new(path, 1000, 4);
    char err[STORE_ERR_MAX], other[300];
    storepool_lease l;
    ck_assert_int_eq(storepool_take(p, &l, err), 0);
    ck_assert_int_eq(lookup(&l, "bert@example.de"), CONSENT_NONE);
    storepool_give(p, &l, false);
    /* A restore: another file renamed over the configured path. */
    snprintf(other, sizeof other, "%s/restored.db", dir);
    make_store(other, "bert@example.de");
    ck_assert_int_eq(rename(other, path), 0);
    ck_assert_int_eq(storepool_take(p, &l, err), 0);
    ck_assert_int_eq(lookup(&l, "bert@example.de"), CONSENT_GRANTED);
    storepool_give(p, &l, false);
    ck_assert_uint_eq(storepool_opened(p), 2);
    storepool_free(p);
}
END_TEST

START_TEST(test_copied_over_file_is_reread)
{
    /* issue 10: cp backup.db consent.db over the live store (same inode,
     * same WAL index) was read from the handle's cached pages. */
    storepool *p = storepool_new(path, 1000, 4);
    char err[STORE_ERR_MAX], backup[300];
    snprintf(backup, sizeof backup, "%s/backup.db", dir);
    make_store(backup, "bert@example.de");
    record_in(backup, "anna@example.de", STORE_OBJECT);
    for (int keep_mtime = 0; keep_mtime <= 1; keep_mtime++) {
        storepool_lease l;
        ck_assert_int_eq(storepool_take(p, &l, err), 0);
        ck_assert_int_eq(lookup(&l, "anna@example.de"), CONSENT_GRANTED);
        storepool_give(p, &l, false);
        unsigned long opened = storepool_opened(p);

        copy_over(backup, path, keep_mtime);
        ck_assert_msg(storepool_take(p, &l, err) == 0, "%s", err);
        ck_assert_msg(lookup(&l, "anna@example.de") == CONSENT_OBJECTED,
                      "the restored objection is not seen (keep_mtime %d)", keep_mtime);
        storepool_give(p, &l, false);
        ck_assert_uint_eq(storepool_opened(p), opened + 1);

        /* Back to a store that grants, for the second round. */
        char fresh[300];
        snprintf(fresh, sizeof fresh, "%s/fresh%d.db", dir, keep_mtime);
        make_store(fresh, "anna@example.de");
        copy_over(fresh, path, false);
        settle();
    }
    storepool_free(p);
}
END_TEST

START_TEST(test_recently_changed_file_is_not_kept)
{
    /* Within a tick of the file system's clock a second change may leave
     * size and times as they were: a handle opened while the file is that
     * fresh serves one message, then the pool opens anew until it settles. */
    storepool *p = storepool_new(path, 1000, 4);
    char err[STORE_ERR_MAX];
    storepool_lease l;
    record_in(path, "carl@example.de", STORE_GRANT);
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(storepool_take(p, &l, err), 0);
        ck_assert_int_eq(lookup(&l, "carl@example.de"), CONSENT_GRANTED);
        ck_assert(!l.settled);
        storepool_give(p, &l, false);
    }
    ck_assert_uint_eq(storepool_opened(p), 3);
    settle();
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(storepool_take(p, &l, err), 0);
        storepool_give(p, &l, false);
    }
    ck_assert_uint_eq(storepool_opened(p), 4);
    storepool_free(p);
}
END_TEST

START_TEST(test_failed_handle_is_not_kept)
{
    storepool *p = storepool_new(path, 1000, 4);
    char err[STORE_ERR_MAX];
    storepool_lease l;
    ck_assert_int_eq(storepool_take(p, &l, err), 0);
    storepool_give(p, &l, true);
    ck_assert_int_eq(storepool_take(p, &l, err), 0);
    storepool_give(p, &l, false);
    ck_assert_uint_eq(storepool_opened(p), 2);
    storepool_free(p);
}
END_TEST

START_TEST(test_missing_store_is_an_error)
{
    char missing[300];
    snprintf(missing, sizeof missing, "%s/absent.db", dir);
    storepool *p = storepool_new(missing, 100, 4);
    char err[STORE_ERR_MAX] = "";
    storepool_lease l;
    ck_assert_int_eq(storepool_take(p, &l, err), -1);
    ck_assert_ptr_null(l.st);
    ck_assert_msg(strstr(err, "absent.db") != NULL, "error names the file: %s", err);
    storepool_give(p, &l, true); /* a failed take is ignored */
    ck_assert_uint_eq(storepool_opened(p), 0);
    /* Once the file exists, the next take opens it. */
    make_store(missing, "anna@example.de");
    ck_assert_int_eq(storepool_take(p, &l, err), 0);
    ck_assert_int_eq(lookup(&l, "anna@example.de"), CONSENT_GRANTED);
    storepool_give(p, &l, false);
    storepool_free(p);
}
END_TEST

START_TEST(test_idle_bound)
{
    storepool *p = storepool_new(path, 1000, 2);
    char err[STORE_ERR_MAX];
    storepool_lease l[5];
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(storepool_take(p, &l[i], err), 0);
    ck_assert_uint_eq(storepool_opened(p), 5);
    for (int i = 0; i < 5; i++)
        storepool_give(p, &l[i], false); /* three of them are closed */
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(storepool_take(p, &l[i], err), 0);
    ck_assert_uint_eq(storepool_opened(p), 8); /* 2 reused, 3 opened anew */
    for (int i = 0; i < 5; i++)
        storepool_give(p, &l[i], false);
    storepool_free(p);
}
END_TEST

static gpointer worker(gpointer data)
{
    storepool *p = data;
    char err[STORE_ERR_MAX];
    for (int i = 0; i < 500; i++) {
        storepool_lease l;
        if (storepool_take(p, &l, err) != 0)
            return GINT_TO_POINTER(1);
        consent_state st;
        int rc = store_lookup(l.st, "anna@example.de", NULL, false, 0, 0, &st, err);
        storepool_give(p, &l, rc != 0);
        if (rc != 0 || st.kind != CONSENT_GRANTED)
            return GINT_TO_POINTER(1);
    }
    return GINT_TO_POINTER(0);
}

START_TEST(test_threads_share_the_pool)
{
    storepool *p = storepool_new(path, 1000, 8);
    GThread *t[4];
    for (int i = 0; i < 4; i++)
        t[i] = g_thread_new("lookup", worker, p);
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(GPOINTER_TO_INT(g_thread_join(t[i])), 0);
    ck_assert_uint_le(storepool_opened(p), 4); /* never more than were in use at once */
    storepool_free(p);
}
END_TEST

static Suite *storepool_suite(void)
{
    Suite *s = suite_create("storepool");
    TCase *tc = tcase_create("pool");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_reuses_handles);
    tcase_add_test(tc, test_replaced_file_is_reopened);
    tcase_add_test(tc, test_copied_over_file_is_reread);
    tcase_add_test(tc, test_recently_changed_file_is_not_kept);
    tcase_add_test(tc, test_failed_handle_is_not_kept);
    tcase_add_test(tc, test_missing_store_is_an_error);
    tcase_add_test(tc, test_idle_bound);
    tcase_add_test(tc, test_threads_share_the_pool);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(storepool_suite)
