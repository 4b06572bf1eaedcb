/*
 * plan — what each Mode and MixedRecipients setting does with denied
 * recipients (see plan.h and consent-milter.conf(5)).
 */
#include "plan.h"

plan plan_make(const plan_input *in)
{
    plan p = {PLAN_ACCEPT, false, false, "passed"};
    if (in->lookup_failed) {
        /* Fail closed: promotional mail that could not be checked is never
         * delivered unless the administrator chose "accept". */
        switch (in->on_error) {
        case ONERROR_TEMPFAIL:
            p.message = PLAN_TEMPFAIL;
            p.denied_action = "tempfailed";
            return p;
        case ONERROR_REJECT:
            p.message = PLAN_STORE_REJECT;
            p.denied_action = "rejected";
            return p;
        case ONERROR_ACCEPT:
            break; /* the failed lookups were counted as allowed by the caller */
        }
    }
    if (in->denied == 0)
        return p;

    switch (in->mode) {
    case MODE_DRY_RUN:
        p.denied_action = "would-reject";
        return p;
    case MODE_TAG:
        p.tag = true;
        p.denied_action = "tagged";
        return p;
    case MODE_QUARANTINE:
        p.message = PLAN_QUARANTINE;
        p.denied_action = "quarantined";
        return p;
    case MODE_REJECT:
        break;
    }
    if (in->allowed == 0) {
        p.message = PLAN_REJECT;
        p.denied_action = "rejected";
        return p;
    }
    switch (in->mixed) {
    case MIXED_SPLIT:
        p.delete_denied = true;
        p.denied_action = "deleted-recipient";
        break;
    case MIXED_REJECT:
        p.message = PLAN_REJECT;
        p.denied_action = "rejected";
        break;
    case MIXED_QUARANTINE:
        p.message = PLAN_QUARANTINE;
        p.denied_action = "quarantined";
        break;
    }
    return p;
}

const char *plan_message_name(plan_message m)
{
    switch (m) {
    case PLAN_ACCEPT: return "accept";
    case PLAN_REJECT: return "reject";
    case PLAN_QUARANTINE: return "quarantine";
    case PLAN_TEMPFAIL: return "tempfail";
    case PLAN_STORE_REJECT: return "reject";
    }
    return "tempfail";
}
