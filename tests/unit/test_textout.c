/*
 * test_textout — the one escaping rule behind logs, terminals, CSV and
 * JSON: what passes as it is, how the rest is spelled, truncation.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "store.h"
#include "textout.h"

static const struct esc {
    const char *in, *out;
} escs[] = {
    {"plain text", "plain text"},
    {"Jürgen Müller €", "Jürgen Müller €"},
    {"a\nb", "a\\nb"},
    {"a\r\nb\tc", "a\\r\\nb\\tc"},
    {"\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m"},
    {"bell\x07 del\x7f", "bell\\x07 del\\x7f"},
    {"csi \xc2\x9b" "2J", "csi \\u009b2J"},
    {"line\xe2\x80\xa8sep", "line\\u2028sep"},
    {"bidi \xe2\x80\xae" "evil", "bidi \\u202eevil"},
    {"isolate \xe2\x81\xa6x", "isolate \\u2066x"},
    {"latin1 \xfc", "latin1 \\xfc"},
    {"cut \xc3", "cut \\xc3"},
    {"back\\slash", "back\\slash"},
};

START_TEST(test_escape)
{
    char out[256];
    const struct esc *e = &escs[_i];
    size_t n = store_text_escape(e->in, out, sizeof out);
    ck_assert_str_eq(out, e->out);
    ck_assert_uint_eq(n, strlen(e->out));
}
END_TEST

START_TEST(test_escape_truncates_whole)
{
    char out[8];
    /* "ab" + "\x1b" (4) = 6, then "c" = 7: fits; the next escape would not. */
    store_text_escape("ab\x1b" "c\x1b", out, sizeof out);
    ck_assert_str_eq(out, "ab\\x1bc");
    /* never half a UTF-8 character */
    char small[3];
    store_text_escape("\xc3\xbc\xc3\xbc", small, sizeof small);
    ck_assert_str_eq(small, "\xc3\xbc");
    ck_assert_uint_eq(store_text_escape("x", out, 0), 0);
}
END_TEST

/* What a writer function prints, as a string (caller frees). */
static char *capture(void (*fn)(FILE *, const char *), const char *in)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    fn(f, in);
    fclose(f);
    return buf;
}

START_TEST(test_formats)
{
    char *s = capture(store_text_print, "a\x1b" "b\n");
    ck_assert_str_eq(s, "a\\x1bb\\n");
    free(s);
    /* export: exact, inside quotes (import --restore reads it back) */
    s = capture(textout_csv_field, "line one\nline \x1b two");
    ck_assert_str_eq(s, "\"line one\nline \x1b two\"");
    free(s);
    /* the audit: breaks escaped too */
    s = capture(textout_csv_text, "a\r\nb,\"c\"");
    ck_assert_str_eq(s, "\"a\\r\\nb,\"\"c\"\"\"");
    free(s);
    s = capture(textout_json_string, "q\"\\\x1b\xc2\x9b\xe2\x80\xae\xff\n");
    ck_assert_str_eq(s, "\"q\\\"\\\\\\u001b\\u009b\\u202e\\u00ff\\n\"");
    free(s);
}
END_TEST

START_TEST(test_formula_guard)
{
    static const char *const guarded[] = {"=1+2", "+1", "-info@x.test", "@SUM(1)", "\tx",
                                          "\rx", "'=x", "''-x"};
    static const char *const plain[] = {"", "a=1", "'", "'plain", "1-2", " =x", "x@y"};
    for (size_t i = 0; i < sizeof guarded / sizeof guarded[0]; i++)
        ck_assert_msg(textout_csv_needs_guard(guarded[i]), "'%s' not guarded", guarded[i]);
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
        ck_assert_msg(!textout_csv_needs_guard(plain[i]), "'%s' guarded", plain[i]);
    char *s = capture(textout_csv_field, "=HYPERLINK(\"x\")");
    ck_assert_str_eq(s, "\"'=HYPERLINK(\"\"x\"\")\"");
    free(s);
    s = capture(textout_csv_text, "-2+3@x.test");
    ck_assert_str_eq(s, "\"'-2+3@x.test\"");
    free(s);
    /* Unguarding what a writer guarded gives every value back: one quote
     * more on the way out, one less on the way in. */
    const char *all[] = {"=1+2", "'=x", "''-x", "'plain", "'", "plain", "@a"};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        char buf[64];
        snprintf(buf, sizeof buf, "%s%s", textout_csv_needs_guard(all[i]) ? "'" : "", all[i]);
        ck_assert_str_eq(textout_csv_unguard(buf), all[i]);
    }
}
END_TEST

static Suite *textout_suite(void)
{
    Suite *s = suite_create("textout");
    TCase *tc = tcase_create("escape");
    tcase_add_loop_test(tc, test_escape, 0, (int)(sizeof escs / sizeof escs[0]));
    tcase_add_test(tc, test_escape_truncates_whole);
    tcase_add_test(tc, test_formats);
    tcase_add_test(tc, test_formula_guard);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(textout_suite)
