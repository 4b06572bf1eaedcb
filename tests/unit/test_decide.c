/*
 * test_decide — every cell of LEGAL.md's table: category x consent state x
 * whether the grant's purpose covers the mail's purpose.
 */
#include <check.h>
#include <string.h>

#include "check_main.h"
#include "decide.h"

static consent_state state(consent_kind kind, const char *purpose)
{
    consent_state s = {.kind = kind, .at = 1700000000};
    strcpy(s.purpose, purpose);
    if (kind == CONSENT_NONE)
        s.at = 0;
    return s;
}

static const struct cell {
    classifier_category category;
    const char *mail_purpose;
    consent_kind kind;
    const char *state_purpose;
    bool allow;
    decide_reason reason;
} table[] = {
    /* transactional: allowed in every state, also after an objection */
    {CATEGORY_TRANSACTIONAL, NULL, CONSENT_NONE, "", true, REASON_NO_CONSENT_NEEDED_TRANSACTIONAL},
    {CATEGORY_TRANSACTIONAL, NULL, CONSENT_GRANTED, "marketing", true, REASON_NO_CONSENT_NEEDED_TRANSACTIONAL},
    {CATEGORY_TRANSACTIONAL, NULL, CONSENT_WITHDRAWN, "marketing", true, REASON_NO_CONSENT_NEEDED_TRANSACTIONAL},
    {CATEGORY_TRANSACTIONAL, NULL, CONSENT_OBJECTED, "*", true, REASON_NO_CONSENT_NEEDED_TRANSACTIONAL},
    {CATEGORY_TRANSACTIONAL, NULL, CONSENT_EXPIRED, "marketing", true, REASON_NO_CONSENT_NEEDED_TRANSACTIONAL},
    {CATEGORY_TRANSACTIONAL, "newsletter", CONSENT_GRANTED, "partner", true, REASON_NO_CONSENT_NEEDED_TRANSACTIONAL},
    /* after-sales: likewise */
    {CATEGORY_AFTER_SALES, NULL, CONSENT_NONE, "", true, REASON_NO_CONSENT_NEEDED_AFTER_SALES},
    {CATEGORY_AFTER_SALES, NULL, CONSENT_GRANTED, "marketing", true, REASON_NO_CONSENT_NEEDED_AFTER_SALES},
    {CATEGORY_AFTER_SALES, NULL, CONSENT_WITHDRAWN, "marketing", true, REASON_NO_CONSENT_NEEDED_AFTER_SALES},
    {CATEGORY_AFTER_SALES, NULL, CONSENT_OBJECTED, "*", true, REASON_NO_CONSENT_NEEDED_AFTER_SALES},
    {CATEGORY_AFTER_SALES, NULL, CONSENT_EXPIRED, "marketing", true, REASON_NO_CONSENT_NEEDED_AFTER_SALES},
    {CATEGORY_AFTER_SALES, "newsletter", CONSENT_GRANTED, "partner", true, REASON_NO_CONSENT_NEEDED_AFTER_SALES},
    /* promotional: only a current grant covering the purpose */
    {CATEGORY_PROMOTIONAL, NULL, CONSENT_NONE, "", false, REASON_NO_CONSENT},
    {CATEGORY_PROMOTIONAL, NULL, CONSENT_GRANTED, "marketing", true, REASON_CONSENT_GRANTED},
    {CATEGORY_PROMOTIONAL, "", CONSENT_GRANTED, "marketing", true, REASON_CONSENT_GRANTED},
    {CATEGORY_PROMOTIONAL, "newsletter", CONSENT_GRANTED, "marketing", true, REASON_CONSENT_GRANTED},
    {CATEGORY_PROMOTIONAL, "newsletter", CONSENT_GRANTED, "newsletter", true, REASON_CONSENT_GRANTED},
    {CATEGORY_PROMOTIONAL, "partner", CONSENT_GRANTED, "newsletter", false, REASON_OTHER_PURPOSE},
    {CATEGORY_PROMOTIONAL, NULL, CONSENT_GRANTED, "newsletter", false, REASON_OTHER_PURPOSE},
    {CATEGORY_PROMOTIONAL, NULL, CONSENT_WITHDRAWN, "marketing", false, REASON_WITHDRAWN},
    {CATEGORY_PROMOTIONAL, "newsletter", CONSENT_WITHDRAWN, "newsletter", false, REASON_WITHDRAWN},
    {CATEGORY_PROMOTIONAL, NULL, CONSENT_OBJECTED, "*", false, REASON_OBJECTED},
    {CATEGORY_PROMOTIONAL, "newsletter", CONSENT_OBJECTED, "*", false, REASON_OBJECTED},
    {CATEGORY_PROMOTIONAL, NULL, CONSENT_EXPIRED, "marketing", false, REASON_EXPIRED},
    {CATEGORY_PROMOTIONAL, "newsletter", CONSENT_EXPIRED, "newsletter", false, REASON_EXPIRED},
    {CATEGORY_PROMOTIONAL, "newsletter", CONSENT_NONE, "", false, REASON_NO_CONSENT},
};

START_TEST(test_every_cell)
{
    const struct cell *c = &table[_i];
    consent_state s = state(c->kind, c->state_purpose);
    decision d = store_decide(c->category, c->mail_purpose, &s);
    ck_assert_msg(d.allow == c->allow, "cell %d: %s/%s/%s(%s): allow=%d, expected %d", _i,
                  classifier_category_name(c->category), c->mail_purpose ? c->mail_purpose : "-",
                  consent_kind_name(c->kind), c->state_purpose, d.allow, c->allow);
    ck_assert_int_eq(d.reason, c->reason);
    char why[256];
    decide_explain(d, c->mail_purpose, &s, why, sizeof why);
    ck_assert_msg(strlen(why) > 10, "cell %d: no explanation", _i);
    ck_assert_str_ne(decide_reason_code(d.reason), "");
}
END_TEST

START_TEST(test_every_state_covered)
{
    /* The table above must name every category x state pair. */
    for (int cat = 0; cat < CATEGORY_COUNT; cat++)
        for (int k = CONSENT_NONE; k <= CONSENT_EXPIRED; k++) {
            bool found = false;
            for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
                found |= (int)table[i].category == cat && (int)table[i].kind == k;
            ck_assert_msg(found, "no cell for category %d state %d", cat, k);
        }
}
END_TEST

START_TEST(test_impossible_category_is_promotional)
{
    consent_state s = state(CONSENT_NONE, "");
    decision d = store_decide((classifier_category)42, NULL, &s);
    ck_assert(!d.allow);
    ck_assert_str_eq(classifier_category_name((classifier_category)42), "promotional");
}
END_TEST

START_TEST(test_explain_names_no_recipient)
{
    consent_state s = state(CONSENT_WITHDRAWN, "newsletter");
    decision d = store_decide(CATEGORY_PROMOTIONAL, "newsletter", &s);
    char why[256];
    decide_explain(d, "newsletter", &s, why, sizeof why);
    ck_assert_str_eq(why, "consent for newsletter was withdrawn at 2023-11-14T22:13:20Z");
    ck_assert_str_eq(decide_reason_code(d.reason), "consent-withdrawn");
}
END_TEST

START_TEST(test_category_names)
{
    classifier_category c;
    ck_assert_int_eq(classifier_category_parse(" Transactional ", &c), 0);
    ck_assert_int_eq(c, CATEGORY_TRANSACTIONAL);
    ck_assert_int_eq(classifier_category_parse("ORDER", &c), 0);
    ck_assert_int_eq(c, CATEGORY_TRANSACTIONAL);
    ck_assert_int_eq(classifier_category_parse("After-Sales", &c), 0);
    ck_assert_int_eq(c, CATEGORY_AFTER_SALES);
    ck_assert_int_eq(classifier_category_parse("newsletter", &c), 0);
    ck_assert_int_eq(c, CATEGORY_PROMOTIONAL);
    ck_assert_int_eq(classifier_category_parse("notification", &c), -1);
    ck_assert_int_eq(classifier_category_parse("", &c), -1);
    ck_assert_int_eq(classifier_category_parse("orderx", &c), -1);
    ck_assert_int_eq(classifier_category_parse(NULL, &c), -1);
    ck_assert_str_eq(classifier_category_name(CATEGORY_AFTER_SALES), "after-sales");
}
END_TEST

static Suite *decide_suite(void)
{
    Suite *s = suite_create("decide");
    TCase *tc = tcase_create("table");
    tcase_add_loop_test(tc, test_every_cell, 0, (int)(sizeof table / sizeof table[0]));
    tcase_add_test(tc, test_every_state_covered);
    tcase_add_test(tc, test_impossible_category_is_promotional);
    tcase_add_test(tc, test_explain_names_no_recipient);
    tcase_add_test(tc, test_category_names);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(decide_suite)
