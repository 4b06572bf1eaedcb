/*
 * state_fold — private to consent-db: the consent-state derivation as a
 * fold over a history read one event at a time, so a lookup can step
 * through its rows without collecting them first. store_state_derive() is
 * the same fold over an array.
 */
#ifndef CONSENT_DB_STATE_FOLD_H
#define CONSENT_DB_STATE_FOLD_H

#include <stdbool.h>

#include "store.h"

typedef struct state_fold {
    const char *purpose; /* the purpose asked about (borrowed) */
    bool asking_umbrella;
    bool objected;
    int64_t objection_at;
    bool have_deciding;
    int64_t deciding_id, deciding_at;
    store_action deciding_action;
    char deciding_purpose[STORE_PURPOSE_MAX + 1];
} state_fold;

void state_fold_init(state_fold *f, const char *purpose);
/* Events must come in recording order (ascending id). */
void state_fold_step(state_fold *f, const store_event *e);
void state_fold_finish(const state_fold *f, int64_t max_age, int64_t now, consent_state *out);

#endif
