/*
 * test_csv — the bounded RFC 4180 reader.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "csv.h"

typedef struct parsed {
    int rc;
    size_t n;
    long line;
    const char *f[CSV_FIELDS_MAX];
    char err[256];
} parsed;

static FILE *in_memory(const char *text, size_t len)
{
    FILE *f = fmemopen((void *)text, len, "r");
    ck_assert_ptr_nonnull(f);
    return f;
}

static void next(csv_reader *r, parsed *p)
{
    p->err[0] = '\0';
    p->rc = csv_next(r, p->f, &p->n, &p->line, p->err, sizeof p->err);
}

START_TEST(test_simple_and_quoted)
{
    static const char text[] = "\xEF\xBB\xBF" "address,action\r\n"
                               "a@b.de,grant\r\n"
                               "\r\n"
                               "\"c@d.de\",\"say \"\"hi\"\", ok\"\n"
                               "e@f.de,\"two\nlines\"\n"
                               "g@h.de,\n"
                               ",\n"
                               "last,no-newline";
    FILE *f = in_memory(text, sizeof text - 1);
    csv_reader *r = csv_reader_new(f);
    parsed p;
    next(r, &p);
    ck_assert_int_eq(p.rc, 1);
    ck_assert_int_eq(p.n, 2);
    ck_assert_str_eq(p.f[0], "address"); /* BOM skipped */
    ck_assert_int_eq(p.line, 1);
    next(r, &p);
    ck_assert_str_eq(p.f[1], "grant"); /* CR dropped */
    ck_assert_int_eq(p.line, 2);
    next(r, &p); /* the blank line is skipped */
    ck_assert_int_eq(p.line, 4);
    ck_assert_str_eq(p.f[0], "c@d.de");
    ck_assert_str_eq(p.f[1], "say \"hi\", ok");
    next(r, &p);
    ck_assert_int_eq(p.line, 5);
    ck_assert_str_eq(p.f[1], "two\nlines");
    next(r, &p);
    ck_assert_int_eq(p.line, 7); /* the quoted line break counted */
    ck_assert_int_eq(p.n, 2);
    ck_assert_str_eq(p.f[1], "");
    next(r, &p);
    ck_assert_int_eq(p.n, 2);
    ck_assert_str_eq(p.f[0], "");
    next(r, &p);
    ck_assert_int_eq(p.rc, 1);
    ck_assert_str_eq(p.f[1], "no-newline");
    next(r, &p);
    ck_assert_int_eq(p.rc, 0);
    csv_reader_free(r);
    fclose(f);
}
END_TEST

static void expect_error(const char *text, size_t len, const char *what, long line)
{
    FILE *f = in_memory(text, len);
    csv_reader *r = csv_reader_new(f);
    parsed p;
    do
        next(r, &p);
    while (p.rc == 1);
    ck_assert_msg(p.rc == -1, "no error for %s", what);
    ck_assert_msg(strstr(p.err, what) != NULL, "error '%s' lacks '%s'", p.err, what);
    char at[32];
    snprintf(at, sizeof at, "%ld:", line);
    ck_assert_msg(strstr(p.err, at) != NULL, "error '%s' lacks '%s'", p.err, at);
    csv_reader_free(r);
    fclose(f);
}

START_TEST(test_errors)
{
    static const char unclosed[] = "a,b\n\"open,c\n";
    expect_error(unclosed, sizeof unclosed - 1, "not closed", 2);
    static const char after[] = "a,b\n\"x\"y,c\n";
    expect_error(after, sizeof after - 1, "after a closing quote", 2);
    static const char inside[] = "a,b\nx\"y,c\n";
    expect_error(inside, sizeof inside - 1, "quote inside", 2);
    static const char nul[] = "a,b\nx\0y,c\n";
    expect_error(nul, sizeof nul - 1, "NUL", 2);
}
END_TEST

START_TEST(test_bounds)
{
    /* too many fields */
    char many[200] = "";
    for (int i = 0; i < CSV_FIELDS_MAX + 1; i++)
        strcat(many, i ? ",x" : "x");
    strcat(many, "\n");
    expect_error(many, strlen(many), "more than", 1);
    /* exactly the limit is fine */
    char ok[200] = "";
    for (int i = 0; i < CSV_FIELDS_MAX; i++)
        strcat(ok, i ? ",x" : "x");
    FILE *f = in_memory(ok, strlen(ok));
    csv_reader *r = csv_reader_new(f);
    parsed p;
    next(r, &p);
    ck_assert_int_eq(p.rc, 1);
    ck_assert_int_eq(p.n, CSV_FIELDS_MAX);
    csv_reader_free(r);
    fclose(f);
    /* a record far over the bound: an error, not an allocation */
    size_t big = 4 * CSV_RECORD_MAX;
    char *huge = malloc(big);
    memset(huge, 'a', big);
    expect_error(huge, big, "longer than", 1);
    free(huge);
}
END_TEST

START_TEST(test_empty)
{
    FILE *f = in_memory("\n\n", 2);
    csv_reader *r = csv_reader_new(f);
    parsed p;
    next(r, &p);
    ck_assert_int_eq(p.rc, 0);
    csv_reader_free(r);
    fclose(f);
}
END_TEST

static Suite *csv_suite(void)
{
    Suite *s = suite_create("csv");
    TCase *tc = tcase_create("reader");
    tcase_add_test(tc, test_simple_and_quoted);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_bounds);
    tcase_add_test(tc, test_empty);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(csv_suite)
