/*
 * test_state — deriving the consent state from a history, and the names
 * and times the store reads.
 */
#include <check.h>
#include <string.h>

#include "check_main.h"
#include "store.h"

#define T0 1700000000 /* 2023-11-14T22:13:20Z */
#define DAY 86400

static store_event ev(int64_t id, store_action action, const char *purpose, int64_t at)
{
    return (store_event){.id = id, .address = "a@example.com", .action = action,
                         .purpose = purpose, .at = at, .source = "", .evidence = "",
                         .recorded_by = ""};
}

static consent_state derive(const store_event *e, size_t n, const char *purpose)
{
    consent_state s;
    store_state_derive(e, n, purpose, 0, T0 + 1000 * DAY, &s);
    return s;
}

START_TEST(test_empty_history)
{
    consent_state s = derive(NULL, 0, NULL);
    ck_assert_int_eq(s.kind, CONSENT_NONE);
    ck_assert_str_eq(s.purpose, "");
    ck_assert_int_eq(s.at, 0);
}
END_TEST

START_TEST(test_grant_then_withdraw)
{
    store_event h[] = {ev(1, STORE_GRANT, "marketing", T0), ev(2, STORE_WITHDRAW, "marketing", T0 + DAY)};
    ck_assert_int_eq(derive(h, 1, NULL).kind, CONSENT_GRANTED);
    consent_state s = derive(h, 2, NULL);
    ck_assert_int_eq(s.kind, CONSENT_WITHDRAWN);
    ck_assert_int_eq(s.at, T0 + DAY);
    /* and granted again */
    store_event h2[] = {h[0], h[1], ev(3, STORE_GRANT, "marketing", T0 + 2 * DAY)};
    ck_assert_int_eq(derive(h2, 3, NULL).kind, CONSENT_GRANTED);
}
END_TEST

START_TEST(test_time_order_not_recording_order)
{
    /* A backdated grant imported after a withdrawal does not undo it. */
    store_event h[] = {ev(1, STORE_WITHDRAW, "marketing", T0 + DAY), ev(2, STORE_GRANT, "marketing", T0)};
    ck_assert_int_eq(derive(h, 2, NULL).kind, CONSENT_WITHDRAWN);
}
END_TEST

START_TEST(test_same_time_goes_to_later_recording)
{
    store_event h[] = {ev(1, STORE_GRANT, "marketing", T0), ev(2, STORE_WITHDRAW, "marketing", T0),
                       ev(3, STORE_GRANT, "marketing", T0)};
    ck_assert_int_eq(derive(h, 2, NULL).kind, CONSENT_WITHDRAWN);
    ck_assert_int_eq(derive(h, 3, NULL).kind, CONSENT_GRANTED);
}
END_TEST

START_TEST(test_purpose_scope)
{
    store_event h[] = {ev(1, STORE_GRANT, "newsletter", T0)};
    consent_state s = derive(h, 1, "newsletter");
    ck_assert_int_eq(s.kind, CONSENT_GRANTED);
    ck_assert_str_eq(s.purpose, "newsletter");
    ck_assert_int_eq(derive(h, 1, "partner").kind, CONSENT_NONE);
    ck_assert_int_eq(derive(h, 1, NULL).kind, CONSENT_NONE); /* not the umbrella */

    store_event m[] = {ev(1, STORE_GRANT, "marketing", T0)};
    s = derive(m, 1, "price-alert");
    ck_assert_int_eq(s.kind, CONSENT_GRANTED);
    ck_assert_str_eq(s.purpose, "marketing");
}
END_TEST

START_TEST(test_withdraw_scope)
{
    /* Withdrawing the umbrella ends every purpose... */
    store_event h[] = {ev(1, STORE_GRANT, "newsletter", T0), ev(2, STORE_WITHDRAW, "marketing", T0 + DAY)};
    ck_assert_int_eq(derive(h, 2, "newsletter").kind, CONSENT_WITHDRAWN);
    /* ...withdrawing one purpose ends that one, and the umbrella grant for
     * mail naming no purpose, but not other named purposes. */
    store_event g[] = {ev(1, STORE_GRANT, "marketing", T0), ev(2, STORE_WITHDRAW, "newsletter", T0 + DAY)};
    ck_assert_int_eq(derive(g, 2, "newsletter").kind, CONSENT_WITHDRAWN);
    ck_assert_int_eq(derive(g, 2, NULL).kind, CONSENT_WITHDRAWN);
    ck_assert_int_eq(derive(g, 2, "price-alert").kind, CONSENT_GRANTED);
    /* A new grant for the purpose after the umbrella withdrawal counts. */
    store_event k[] = {h[0], h[1], ev(3, STORE_GRANT, "newsletter", T0 + 2 * DAY)};
    ck_assert_int_eq(derive(k, 3, "newsletter").kind, CONSENT_GRANTED);
    ck_assert_int_eq(derive(k, 3, NULL).kind, CONSENT_WITHDRAWN);
}
END_TEST

START_TEST(test_objection_holds)
{
    store_event h[] = {ev(1, STORE_GRANT, "marketing", T0), ev(2, STORE_OBJECT, "*", T0 + DAY),
                       ev(3, STORE_GRANT, "marketing", T0 + 2 * DAY),
                       ev(4, STORE_GRANT, "newsletter", T0 + 3 * DAY)};
    for (size_t n = 2; n <= 4; n++) {
        consent_state s = derive(h, n, NULL);
        ck_assert_int_eq(s.kind, CONSENT_OBJECTED);
        ck_assert_str_eq(s.purpose, "*");
        ck_assert_int_eq(s.at, T0 + DAY);
        ck_assert_int_eq(derive(h, n, "newsletter").kind, CONSENT_OBJECTED);
    }
    /* An objection imported with an old time still holds over newer grants. */
    store_event g[] = {ev(1, STORE_GRANT, "marketing", T0 + 5 * DAY), ev(2, STORE_OBJECT, "*", T0)};
    ck_assert_int_eq(derive(g, 2, NULL).kind, CONSENT_OBJECTED);
}
END_TEST

START_TEST(test_unobject)
{
    store_event h[] = {ev(1, STORE_GRANT, "marketing", T0), ev(2, STORE_OBJECT, "*", T0 + DAY),
                       ev(3, STORE_UNOBJECT, "*", T0 + 2 * DAY),
                       ev(4, STORE_OBJECT, "*", T0 + 3 * DAY)};
    /* lifted: the earlier grant is still the last consent event */
    ck_assert_int_eq(derive(h, 3, NULL).kind, CONSENT_GRANTED);
    ck_assert_int_eq(derive(h, 4, NULL).kind, CONSENT_OBJECTED);
}
END_TEST

START_TEST(test_expiry)
{
    store_event h[] = {ev(1, STORE_GRANT, "marketing", T0)};
    consent_state s;
    store_state_derive(h, 1, NULL, 30 * DAY, T0 + 29 * DAY, &s);
    ck_assert_int_eq(s.kind, CONSENT_GRANTED);
    store_state_derive(h, 1, NULL, 30 * DAY, T0 + 31 * DAY, &s);
    ck_assert_int_eq(s.kind, CONSENT_EXPIRED);
    ck_assert_int_eq(s.at, T0);
    store_state_derive(h, 1, NULL, 0, T0 + 3000 * DAY, &s); /* 0: no limit */
    ck_assert_int_eq(s.kind, CONSENT_GRANTED);
    /* a re-confirmation restarts the clock */
    store_event g[] = {h[0], ev(2, STORE_GRANT, "marketing", T0 + 25 * DAY)};
    store_state_derive(g, 2, NULL, 30 * DAY, T0 + 31 * DAY, &s);
    ck_assert_int_eq(s.kind, CONSENT_GRANTED);
}
END_TEST

START_TEST(test_time_parse)
{
    int64_t t;
    ck_assert_int_eq(store_time_parse("2023-11-14T22:13:20Z", &t), 0);
    ck_assert_int_eq(t, T0);
    ck_assert_int_eq(store_time_parse("2023-11-14T22:13:20", &t), 0);
    ck_assert_int_eq(t, T0);
    ck_assert_int_eq(store_time_parse("2023-11-15T00:13:20+02:00", &t), 0);
    ck_assert_int_eq(t, T0);
    ck_assert_int_eq(store_time_parse("2023-11-14T17:13:20-0500", &t), 0);
    ck_assert_int_eq(t, T0);
    ck_assert_int_eq(store_time_parse("2023-11-14 22:13:20.123456Z", &t), 0);
    ck_assert_int_eq(t, T0);
    ck_assert_int_eq(store_time_parse("2023-11-14T22:13Z", &t), 0);
    ck_assert_int_eq(t, T0 - 20);
    ck_assert_int_eq(store_time_parse("2024-02-29", &t), 0);
    ck_assert_int_eq(t, 1709164800);
    ck_assert_int_eq(store_time_parse("1970-01-01", &t), 0);
    ck_assert_int_eq(t, 0);
    const char *bad[] = {"", "2023", "2023-11", "2023-13-01", "2023-02-29", "2023-11-31",
                         "2023-11-14T24:00:00Z", "2023-11-14T22:60:00Z", "2023-11-14T22:13:60Z",
                         "2023-11-14T22:13:20ZZ", "2023-11-14T22:13:20+25:00", "1969-12-31",
                         "2023-11-14T", "2023-11-14T22:13:20.", "14.11.2023", "2023-1-14",
                         "2023-11-14x", "2023-11-14T22:13:20 Z"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(store_time_parse(bad[i], &t) == -1, "accepted '%s'", bad[i]);
    char buf[32];
    store_time_format(T0, buf, sizeof buf);
    ck_assert_str_eq(buf, "2023-11-14T22:13:20Z");
}
END_TEST

START_TEST(test_names)
{
    store_action a;
    ck_assert_int_eq(store_action_parse("GRANT", &a), 0);
    ck_assert_int_eq(a, STORE_GRANT);
    ck_assert_int_eq(store_action_parse("unobject", &a), 0);
    ck_assert_int_eq(a, STORE_UNOBJECT);
    ck_assert_int_eq(store_action_parse("subscribe", &a), -1);
    ck_assert_str_eq(store_action_name(STORE_WITHDRAW), "withdraw");
    ck_assert_str_eq(consent_kind_name(CONSENT_EXPIRED), "expired");
    ck_assert(store_purpose_valid("newsletter"));
    ck_assert(store_purpose_valid("price-alert.v2_x"));
    ck_assert(!store_purpose_valid(""));
    ck_assert(!store_purpose_valid("News"));
    ck_assert(!store_purpose_valid("a b"));
    ck_assert(!store_purpose_valid("*"));
    char longp[80];
    memset(longp, 'a', 65);
    longp[65] = '\0';
    ck_assert(!store_purpose_valid(longp));
}
END_TEST

static Suite *state_suite(void)
{
    Suite *s = suite_create("state");
    TCase *tc = tcase_create("derive");
    tcase_add_test(tc, test_empty_history);
    tcase_add_test(tc, test_grant_then_withdraw);
    tcase_add_test(tc, test_time_order_not_recording_order);
    tcase_add_test(tc, test_same_time_goes_to_later_recording);
    tcase_add_test(tc, test_purpose_scope);
    tcase_add_test(tc, test_withdraw_scope);
    tcase_add_test(tc, test_objection_holds);
    tcase_add_test(tc, test_unobject);
    tcase_add_test(tc, test_expiry);
    suite_add_tcase(s, tc);
    TCase *tn = tcase_create("names");
    tcase_add_test(tn, test_time_parse);
    tcase_add_test(tn, test_names);
    suite_add_tcase(s, tn);
    return s;
}

CHECK_MAIN(state_suite)
