/*
 * decision — the whole decision for one message, as the milter makes it at
 * end of message and as -t prints it: classify (within the milter's
 * bounds), look up every recipient of a promotional message, decide each,
 * and plan the enforcement. Reads the
 * store; changes nothing (enforce.c and the audit do).
 */
#ifndef CONSENT_MILTER_DECISION_H
#define CONSENT_MILTER_DECISION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bounds.h"
#include "decide.h"
#include "plan.h"
#include "runtime.h"
#include "store.h"

typedef struct rcpt_result {
    const char *address; /* borrowed: as given in RCPT */
    consent_state state;
    decision d;
    bool lookup_failed;
} rcpt_result;

typedef struct message_decision {
    classifier_verdict verdict;
    rcpt_result *rcpts; /* n entries, owned: message_decision_clear */
    size_t n;
    size_t allowed, denied;
    plan plan;
    char store_error[STORE_ERR_MAX]; /* why a lookup failed, "" if none did */
} message_decision;

/* The verdict on a message as the milter decides it: classified, then
 * made promotional where it overflowed a bound the milter keeps (see
 * bounds.h). seen: what the MTA handed over, kept or not (gather_seen);
 * NULL when message is a whole file (-t), which is then measured. */
void decision_verdict(const runtime *rt, const char *message, size_t len, bool trusted,
                      bool null_sender, const bounds_seen *seen, classifier_verdict *out);

/* The rest of the decision for a verdict: each recipient of a promotional
 * message looked up and decided, and the enforcement planned.
 * st may be NULL when the store could not be opened (or, for a verdict
 * that needs no consent, was not opened): then any lookup it would need
 * counts as failed, with open_error as the reason. Transactional and
 * after-sales mail needs no lookup at all, so it flows whatever the
 * store's state. */
void decide_message(const runtime *rt, store *st, const char *open_error,
                    const classifier_verdict *verdict, const char *const *rcpts, size_t n,
                    int64_t now, message_decision *out);

void message_decision_clear(message_decision *md);

/* The verdict's evidence joined with "; " into buf. */
void decision_evidence(const classifier_verdict *v, char *buf, size_t bufsz);

#endif
