/*
 * plan — the pure part of enforcement: from the message's category, each
 * recipient's decision and the configured mode, what is to be done to the
 * message and to each recipient. No libmilter, no I/O: the callbacks carry
 * a plan out (enforce.c), and the unit tests check every mode.
 */
#ifndef CONSENT_MILTER_PLAN_H
#define CONSENT_MILTER_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "conf.h"

typedef enum plan_message {
    PLAN_ACCEPT,      /* deliver (possibly to fewer recipients, possibly tagged) */
    PLAN_REJECT,      /* 550 5.7.1: nobody may receive it */
    PLAN_QUARANTINE,  /* the MTA's hold queue */
    PLAN_TEMPFAIL,    /* 451 4.3.0: the consent store could not be read */
    PLAN_STORE_REJECT /* 550 5.3.0: the store could not be read, OnDatabaseError reject */
} plan_message;

typedef struct plan_input {
    conf_mode mode;
    conf_mixed mixed;
    conf_on_error on_error;
    size_t allowed, denied; /* recipients by decision */
    bool lookup_failed;     /* the store could not be read for some recipient */
} plan_input;

typedef struct plan {
    plan_message message;
    bool delete_denied; /* remove each denied recipient (smfi_delrcpt) */
    bool tag;           /* add the verdict header */
    const char *denied_action; /* for the audit and the log, per denied recipient */
} plan;

plan plan_make(const plan_input *in);

const char *plan_message_name(plan_message m);

#endif
