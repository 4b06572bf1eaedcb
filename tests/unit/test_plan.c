/*
 * test_plan — what each Mode, MixedRecipients and OnDatabaseError setting
 * does with a message's allowed and denied recipients.
 */
#include <check.h>
#include <string.h>

#include "check_main.h"
#include "plan.h"

static const struct cell {
    conf_mode mode;
    conf_mixed mixed;
    conf_on_error on_error;
    size_t allowed, denied;
    bool failed;
    plan_message message;
    bool delete_denied, tag;
    const char *action;
} table[] = {
    /* nobody denied: always accept, whatever the mode */
    {MODE_REJECT, MIXED_SPLIT, ONERROR_TEMPFAIL, 3, 0, false, PLAN_ACCEPT, false, false, "passed"},
    {MODE_QUARANTINE, MIXED_SPLIT, ONERROR_TEMPFAIL, 1, 0, false, PLAN_ACCEPT, false, false, "passed"},
    {MODE_TAG, MIXED_SPLIT, ONERROR_TEMPFAIL, 1, 0, false, PLAN_ACCEPT, false, false, "passed"},
    {MODE_DRY_RUN, MIXED_SPLIT, ONERROR_TEMPFAIL, 1, 0, false, PLAN_ACCEPT, false, false, "passed"},
    /* reject mode */
    {MODE_REJECT, MIXED_SPLIT, ONERROR_TEMPFAIL, 0, 2, false, PLAN_REJECT, false, false, "rejected"},
    {MODE_REJECT, MIXED_SPLIT, ONERROR_TEMPFAIL, 2, 1, false, PLAN_ACCEPT, true, false, "deleted-recipient"},
    {MODE_REJECT, MIXED_REJECT, ONERROR_TEMPFAIL, 2, 1, false, PLAN_REJECT, false, false, "rejected"},
    {MODE_REJECT, MIXED_QUARANTINE, ONERROR_TEMPFAIL, 2, 1, false, PLAN_QUARANTINE, false, false, "quarantined"},
    {MODE_REJECT, MIXED_QUARANTINE, ONERROR_TEMPFAIL, 0, 1, false, PLAN_REJECT, false, false, "rejected"},
    /* the other modes */
    {MODE_QUARANTINE, MIXED_SPLIT, ONERROR_TEMPFAIL, 2, 1, false, PLAN_QUARANTINE, false, false, "quarantined"},
    {MODE_QUARANTINE, MIXED_SPLIT, ONERROR_TEMPFAIL, 0, 1, false, PLAN_QUARANTINE, false, false, "quarantined"},
    {MODE_TAG, MIXED_SPLIT, ONERROR_TEMPFAIL, 0, 1, false, PLAN_ACCEPT, false, true, "tagged"},
    {MODE_DRY_RUN, MIXED_REJECT, ONERROR_TEMPFAIL, 0, 4, false, PLAN_ACCEPT, false, false, "would-reject"},
    /* the store could not be read */
    {MODE_REJECT, MIXED_SPLIT, ONERROR_TEMPFAIL, 0, 1, true, PLAN_TEMPFAIL, false, false, "tempfailed"},
    {MODE_DRY_RUN, MIXED_SPLIT, ONERROR_TEMPFAIL, 0, 1, true, PLAN_TEMPFAIL, false, false, "tempfailed"},
    {MODE_REJECT, MIXED_SPLIT, ONERROR_REJECT, 0, 1, true, PLAN_STORE_REJECT, false, false, "rejected"},
    /* accept: failed lookups were counted allowed by the caller */
    {MODE_REJECT, MIXED_SPLIT, ONERROR_ACCEPT, 1, 0, true, PLAN_ACCEPT, false, false, "passed"},
    {MODE_REJECT, MIXED_SPLIT, ONERROR_ACCEPT, 1, 1, true, PLAN_ACCEPT, true, false, "deleted-recipient"},
};

START_TEST(test_every_cell)
{
    const struct cell *c = &table[_i];
    plan_input in = {c->mode, c->mixed, c->on_error, c->allowed, c->denied, c->failed};
    plan p = plan_make(&in);
    ck_assert_msg(p.message == c->message, "cell %d: message %s, expected %s", _i,
                  plan_message_name(p.message), plan_message_name(c->message));
    ck_assert_int_eq(p.delete_denied, c->delete_denied);
    ck_assert_int_eq(p.tag, c->tag);
    ck_assert_str_eq(p.denied_action, c->action);
}
END_TEST

START_TEST(test_never_accepts_unchecked_by_default)
{
    /* Fail closed: with the default OnDatabaseError, a failed lookup never
     * lets the message through, in any mode. */
    for (int m = MODE_REJECT; m <= MODE_DRY_RUN; m++) {
        plan_input in = {(conf_mode)m, MIXED_SPLIT, ONERROR_TEMPFAIL, 5, 1, true};
        ck_assert_int_eq(plan_make(&in).message, PLAN_TEMPFAIL);
    }
}
END_TEST

static Suite *plan_suite(void)
{
    Suite *s = suite_create("plan");
    TCase *tc = tcase_create("modes");
    tcase_add_loop_test(tc, test_every_cell, 0, (int)(sizeof table / sizeof table[0]));
    tcase_add_test(tc, test_never_accepts_unchecked_by_default);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(plan_suite)
