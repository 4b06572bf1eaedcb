/*
 * decide — LEGAL.md's table: who may receive which category of mail.
 */
#include "decide.h"

#include <stdio.h>
#include <string.h>

static bool purpose_covered(const char *granted, const char *wanted)
{
    return strcmp(granted, wanted) == 0 || strcmp(granted, STORE_UMBRELLA_PURPOSE) == 0;
}

decision store_decide(classifier_category category, const char *purpose,
                      const consent_state *state)
{
    if (purpose == NULL || purpose[0] == '\0')
        purpose = STORE_DEFAULT_PURPOSE;

    switch (category) {
    case CATEGORY_TRANSACTIONAL:
        return (decision){true, REASON_NO_CONSENT_NEEDED_TRANSACTIONAL};
    case CATEGORY_AFTER_SALES:
        return (decision){true, REASON_NO_CONSENT_NEEDED_AFTER_SALES};
    case CATEGORY_PROMOTIONAL:
    default: /* an impossible category is treated as the strictest one */
        break;
    }

    switch (state->kind) {
    case CONSENT_GRANTED:
        if (purpose_covered(state->purpose, purpose))
            return (decision){true, REASON_CONSENT_GRANTED};
        return (decision){false, REASON_OTHER_PURPOSE};
    case CONSENT_WITHDRAWN:
        return (decision){false, REASON_WITHDRAWN};
    case CONSENT_OBJECTED:
        return (decision){false, REASON_OBJECTED};
    case CONSENT_EXPIRED:
        return (decision){false, REASON_EXPIRED};
    case CONSENT_NONE:
    default:
        return (decision){false, REASON_NO_CONSENT};
    }
}

const char *decide_reason_code(decide_reason reason)
{
    switch (reason) {
    case REASON_NO_CONSENT_NEEDED_TRANSACTIONAL: return "transactional";
    case REASON_NO_CONSENT_NEEDED_AFTER_SALES: return "after-sales";
    case REASON_CONSENT_GRANTED: return "consent-granted";
    case REASON_NO_CONSENT: return "no-consent";
    case REASON_OTHER_PURPOSE: return "consent-other-purpose";
    case REASON_WITHDRAWN: return "consent-withdrawn";
    case REASON_OBJECTED: return "objected";
    case REASON_EXPIRED: return "consent-expired";
    }
    return "no-consent";
}

void decide_explain(decision d, const char *purpose, const consent_state *state,
                    char *buf, size_t bufsz)
{
    char when[32] = "";
    if (purpose == NULL || purpose[0] == '\0')
        purpose = STORE_DEFAULT_PURPOSE;
    if (state != NULL && state->at != 0)
        store_time_format(state->at, when, sizeof when);

    switch (d.reason) {
    case REASON_NO_CONSENT_NEEDED_TRANSACTIONAL:
        snprintf(buf, bufsz, "transactional mail needs no consent (GDPR Art. 6(1)(b))");
        break;
    case REASON_NO_CONSENT_NEEDED_AFTER_SALES:
        snprintf(buf, bufsz, "after-sales information about a purchased product needs no consent");
        break;
    case REASON_CONSENT_GRANTED:
        snprintf(buf, bufsz, "consent for %s granted at %s covers %s", state->purpose, when, purpose);
        break;
    case REASON_OTHER_PURPOSE:
        snprintf(buf, bufsz, "consent on record is for %s and does not cover %s", state->purpose,
                 purpose);
        break;
    case REASON_WITHDRAWN:
        snprintf(buf, bufsz, "consent for %s was withdrawn at %s", state->purpose, when);
        break;
    case REASON_OBJECTED:
        snprintf(buf, bufsz, "objection to direct marketing recorded at %s (GDPR Art. 21(3))",
                 when);
        break;
    case REASON_EXPIRED:
        snprintf(buf, bufsz, "consent for %s given at %s is older than the maximum age",
                 state->purpose, when);
        break;
    case REASON_NO_CONSENT:
    default:
        snprintf(buf, bufsz, "no consent on record for %s (UWG 7(2) requires prior consent)",
                 purpose);
        break;
    }
}
