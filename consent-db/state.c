/*
 * state — derives the current consent state from an address's history.
 * Pure: the history is the record, the state is only ever computed from it,
 * so there is no second copy that could disagree with what was recorded.
 */
#include "state_fold.h"

#include <string.h>

static void copy_purpose(char dst[STORE_PURPOSE_MAX + 1], const char *src)
{
    size_t n = strlen(src);
    if (n > STORE_PURPOSE_MAX)
        n = STORE_PURPOSE_MAX;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

void state_fold_init(state_fold *f, const char *purpose)
{
    memset(f, 0, sizeof *f);
    if (purpose == NULL || purpose[0] == '\0')
        purpose = STORE_DEFAULT_PURPOSE;
    f->purpose = purpose;
    f->asking_umbrella = strcmp(purpose, STORE_UMBRELLA_PURPOSE) == 0;
}

/* Does event e come after the deciding one? Time first; at the same time
 * (an import's rows, several changes in one second) the later recording. */
static bool later_than_deciding(const state_fold *f, const store_event *e)
{
    if (e->at != f->deciding_at)
        return e->at > f->deciding_at;
    return e->id > f->deciding_id;
}

void state_fold_step(state_fold *f, const store_event *e)
{
    switch (e->action) {
    case STORE_OBJECT:
        /* Recording order, not `at`, lifts an objection: only an unobject
         * recorded after it does, whatever time a later import claims. */
        f->objected = true;
        f->objection_at = e->at;
        return;
    case STORE_UNOBJECT:
        f->objected = false;
        return;
    case STORE_GRANT:
    case STORE_WITHDRAW:
        break;
    }
    bool relevant = strcmp(e->purpose, f->purpose) == 0 ||
                    strcmp(e->purpose, STORE_UMBRELLA_PURPOSE) == 0 ||
                    (f->asking_umbrella && e->action == STORE_WITHDRAW);
    if (!relevant || (f->have_deciding && !later_than_deciding(f, e)))
        return;
    f->have_deciding = true;
    f->deciding_id = e->id;
    f->deciding_at = e->at;
    f->deciding_action = e->action;
    copy_purpose(f->deciding_purpose, e->purpose);
}

void state_fold_finish(const state_fold *f, int64_t max_age, int64_t now, consent_state *out)
{
    memset(out, 0, sizeof *out);
    if (f->objected) {
        out->kind = CONSENT_OBJECTED;
        copy_purpose(out->purpose, "*");
        out->at = f->objection_at;
        return;
    }
    if (!f->have_deciding) {
        out->kind = CONSENT_NONE;
        return;
    }
    copy_purpose(out->purpose, f->deciding_purpose);
    out->at = f->deciding_at;
    if (f->deciding_action == STORE_WITHDRAW)
        out->kind = CONSENT_WITHDRAWN;
    else if (max_age > 0 && f->deciding_at < now - max_age)
        out->kind = CONSENT_EXPIRED;
    else
        out->kind = CONSENT_GRANTED;
}

void store_state_derive(const store_event *events, size_t n, const char *purpose,
                        int64_t max_age, int64_t now, consent_state *out)
{
    state_fold f;
    state_fold_init(&f, purpose);
    for (size_t i = 0; i < n; i++)
        state_fold_step(&f, &events[i]);
    state_fold_finish(&f, max_age, now, out);
}
