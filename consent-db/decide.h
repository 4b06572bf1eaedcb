/*
 * decide — the consent decision of LEGAL.md as one pure function:
 * category x purpose x consent state -> allow or deny, with a reason.
 *
 * Transactional and after-sales mail is allowed whatever the consent state
 * (GDPR Art. 6(1)(b)/(c); an objection to direct marketing does not stop an
 * invoice). Promotional mail needs a current grant whose purpose is the
 * mail's purpose or "marketing", which covers every own-marketing purpose;
 * it is denied without a grant, after a withdrawal, after an objection and
 * when the grant has expired.
 *
 * Never reads the store, the clock or the configuration; the reason never
 * names the recipient, so it may go into an SMTP reply or a log line.
 */
#ifndef CONSENT_DB_DECIDE_H
#define CONSENT_DB_DECIDE_H

#include <stdbool.h>
#include <stddef.h>

#include "category.h"
#include "store.h"

typedef enum decide_reason {
    REASON_NO_CONSENT_NEEDED_TRANSACTIONAL = 0,
    REASON_NO_CONSENT_NEEDED_AFTER_SALES,
    REASON_CONSENT_GRANTED,
    REASON_NO_CONSENT,
    REASON_OTHER_PURPOSE,
    REASON_WITHDRAWN,
    REASON_OBJECTED,
    REASON_EXPIRED,
} decide_reason;

typedef struct decision {
    bool allow;
    decide_reason reason;
} decision;

/* purpose NULL or "" means "marketing". */
decision store_decide(classifier_category category, const char *purpose,
                      const consent_state *state);

/* A short stable code for logs and the audit ("consent-withdrawn", ...). */
const char *decide_reason_code(decide_reason reason);

/* A sentence for people: "consent for newsletter was withdrawn at
 * 2025-01-02T10:00:00Z". Written to buf (truncated to bufsz). */
void decide_explain(decision d, const char *purpose, const consent_state *state,
                    char *buf, size_t bufsz);

#endif
