/*
 * test_address — normalisation: what is accepted, the stored form and the
 * comparison key, and what is refused.
 */
#include <check.h>
#include <string.h>

#include "check_main.h"
#include "store.h"

static const struct good {
    const char *in, *stored, *key;
} good[] = {
    {"max@example.com", "max@example.com", "max@example.com"},
    {"Max.Mustermann@Example.COM", "Max.Mustermann@example.com", "max.mustermann@example.com"},
    {"  <Max@Example.de>  ", "Max@example.de", "max@example.de"},
    {"<a+tag@sub.example.org>", "a+tag@sub.example.org", "a+tag@sub.example.org"},
    {"o'brien@example.ie", "o'brien@example.ie", "o'brien@example.ie"},
    {"\"john doe\"@example.com", "\"john doe\"@example.com", "\"john doe\"@example.com"},
    {"\"a@b\"@example.com", "\"a@b\"@example.com", "\"a@b\"@example.com"},
    {"user@[192.0.2.1]", "user@[192.0.2.1]", "user@[192.0.2.1]"},
    {"Jürgen@Müller.DE", "Jürgen@müller.de", "jürgen@müller.de"},
    {"ÄRGER@beispiel.de", "ÄRGER@beispiel.de", "ärger@beispiel.de"},
    {"x@a-b.example.com\r\n", "x@a-b.example.com", "x@a-b.example.com"},
    /* Spelled as the MTA delivers (issue 10: "no"@ex.test reached no@ex.test). */
    {"\"no\"@ex.test", "no@ex.test", "no@ex.test"},
    {"<\"no\"@ex.test>", "no@ex.test", "no@ex.test"},
    {"\"NO\"@EX.TEST", "NO@ex.test", "no@ex.test"},
    {"\"n\\o\"@ex.test", "no@ex.test", "no@ex.test"},
    {"\"a\\b\"@x.test", "ab@x.test", "ab@x.test"},
    {"\"first.last\"@ex.test", "first.last@ex.test", "first.last@ex.test"},
    {"\"a+tag\"@ex.test", "a+tag@ex.test", "a+tag@ex.test"},
    {"\"a\\ b\"@ex.test", "\"a b\"@ex.test", "\"a b\"@ex.test"},
    {"\"a\\\"b\"@ex.test", "\"a\\\"b\"@ex.test", "\"a\\\"b\"@ex.test"},
    {"\"a\\\\b\"@ex.test", "\"a\\\\b\"@ex.test", "\"a\\\\b\"@ex.test"},
    {"\"no.\"@ex.test", "\"no.\"@ex.test", "\"no.\"@ex.test"},
    {"\"\"@ex.test", "\"\"@ex.test", "\"\"@ex.test"},
    {"no@ex.test.", "no@ex.test", "no@ex.test"},
    {"<no@EX.test.>", "no@ex.test", "no@ex.test"},
    {"<@relay.test:no@ex.test>", "no@ex.test", "no@ex.test"},
    {"<@a.test,@b.test:\"no\"@ex.test.>", "no@ex.test", "no@ex.test"},
};

START_TEST(test_good)
{
    char stored[STORE_ADDRESS_MAX + 1], key[STORE_ADDRESS_MAX + 1], err[STORE_ERR_MAX] = "";
    const struct good *g = &good[_i];
    ck_assert_msg(store_address_normalise(g->in, stored, key, err) == 0, "%s: %s", g->in, err);
    ck_assert_str_eq(stored, g->stored);
    ck_assert_str_eq(key, g->key);
}
END_TEST

static const struct bad {
    const char *in, *why;
} bad[] = {
    {"", "empty"},
    {"   ", "empty"},
    {"<>", "empty"},
    {"no-at-sign", "no '@'"},
    {"@example.com", "local part"},
    {"max@", "domain"},
    {"max@localhost", "no dot"},
    {"max@@example.com", "'@'"},
    {".max@example.com", "dot"},
    {"max.@example.com", "dot"},
    {"ma..x@example.com", "two dots"},
    {"max mustermann@example.com", "space"},
    {"max@exa mple.com", "space"},
    {"max@example..com", "empty label"},
    {"max@example.com..", "empty label"},
    {"max@.", "empty"},
    {"@relay.test", "local part"},
    {"@re\"lay:x@ex.test", "source route"},
    {"\"abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij\\ abcd\"@ex.test", "longer than 64"},
    {"max@-example.com", "starts with '-'"},
    {"max@example-.com", "ends with '-'"},
    {"max@exa(mple.com", "contains '('"},
    {"ma\"x@example.com", "needs quoting"},
    {"max@example.com\x01", "control"},
    {"max\t@example.com", "control"},
    {"\xff\xfe@example.com", "UTF-8"},
    {"m\xc3@example.com", "UTF-8"},
    {"\"unclosed@example.com", "quoted"},
    {"user@[192.0.2.1", "literal"},
    {"user@[1.2.3.4;]", "literal"},
};

START_TEST(test_bad)
{
    char stored[STORE_ADDRESS_MAX + 1], key[STORE_ADDRESS_MAX + 1], err[STORE_ERR_MAX] = "";
    const struct bad *b = &bad[_i];
    ck_assert_msg(store_address_normalise(b->in, stored, key, err) == -1, "accepted '%s'", b->in);
    ck_assert_msg(strstr(err, b->why) != NULL, "'%s': error '%s' does not mention '%s'", b->in,
                  err, b->why);
}
END_TEST

START_TEST(test_lengths)
{
    char in[1024], stored[STORE_ADDRESS_MAX + 1], key[STORE_ADDRESS_MAX + 1],
        err[STORE_ERR_MAX];
    /* local part: 64 ok, 65 too long */
    memset(in, 'a', 64);
    strcpy(in + 64, "@example.com");
    ck_assert_int_eq(store_address_normalise(in, stored, key, err), 0);
    memset(in, 'a', 65);
    strcpy(in + 65, "@example.com");
    ck_assert_int_eq(store_address_normalise(in, stored, key, err), -1);
    ck_assert_ptr_nonnull(strstr(err, "local part"));
    /* a label of 64 octets */
    strcpy(in, "a@");
    memset(in + 2, 'b', 64);
    strcpy(in + 66, ".com");
    ck_assert_int_eq(store_address_normalise(in, stored, key, err), -1);
    ck_assert_ptr_nonnull(strstr(err, "label"));
    /* far too long in all */
    memset(in, 'a', 1000);
    in[1000] = '\0';
    in[10] = '@';
    ck_assert_int_eq(store_address_normalise(in, stored, key, err), -1);
    ck_assert_ptr_nonnull(strstr(err, "longer"));
    ck_assert_int_eq(store_address_normalise(NULL, stored, key, err), -1);
}
END_TEST

static Suite *address_suite(void)
{
    Suite *s = suite_create("address");
    TCase *tc = tcase_create("normalise");
    tcase_add_loop_test(tc, test_good, 0, (int)(sizeof good / sizeof good[0]));
    tcase_add_loop_test(tc, test_bad, 0, (int)(sizeof bad / sizeof bad[0]));
    tcase_add_test(tc, test_lengths);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(address_suite)
