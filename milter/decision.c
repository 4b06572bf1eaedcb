/*
 * decision — classify, look up, decide, plan (see decision.h).
 */
#include "decision.h"

#include <glib.h>
#include <stdio.h>
#include <string.h>

void decision_verdict(const runtime *rt, const char *message, size_t len, bool trusted,
                      bool null_sender, const bounds_seen *seen, classifier_verdict *out)
{
    const conf *cfg = rt->cfg;
    classifier_options options = {
        .category_header = cfg->category_header,
        .purpose_header = cfg->purpose_header,
        .trust_header = trusted,
        .max_scan_bytes = cfg->max_scan_bytes,
        .null_sender = null_sender,
    };
    classifier_classify(rt->cls, message, len, &options, out);
    bounds_seen whole;
    if (seen == NULL) {
        bounds_measure(message, len, &whole);
        seen = &whole;
    }
    bounds_enforce(seen, cfg->max_scan_bytes, out);
}

void decide_message(const runtime *rt, store *st, const char *open_error,
                    const classifier_verdict *verdict, const char *const *rcpts, size_t n,
                    int64_t now, message_decision *out)
{
    const conf *cfg = rt->cfg;
    memset(out, 0, sizeof *out);
    out->verdict = *verdict;
    const char *purpose = out->verdict.purpose[0] ? out->verdict.purpose : NULL;
    bool needs_consent = out->verdict.category == CATEGORY_PROMOTIONAL;

    out->rcpts = g_new0(rcpt_result, n ? n : 1);
    out->n = n;
    bool lookup_failed = false;
    /* Several lookups: one snapshot, one set of locks (see store.h). A
     * failure to begin is left to the lookups, which then report it. */
    bool snapshot = needs_consent && st != NULL && n > 1;
    char serr[STORE_ERR_MAX];
    if (snapshot && store_snapshot_begin(st, serr) < 0)
        snapshot = false;
    for (size_t i = 0; i < n; i++) {
        rcpt_result *r = &out->rcpts[i];
        r->address = rcpts[i];
        if (needs_consent) {
            char err[STORE_ERR_MAX];
            if (st == NULL || lookup_failed) {
                /* Once one lookup failed (a corrupt page, an I/O error,
                 * a lock held past DatabaseTimeout), the message is not
                 * decided on this handle any more: the others would fail
                 * the same way, a lock each after its own wait. */
                r->lookup_failed = true;
                if (!lookup_failed)
                    snprintf(out->store_error, sizeof out->store_error, "%s",
                             open_error ? open_error : "the consent store is not open");
            } else if (store_lookup(st, rcpts[i], purpose, cfg->local_part_case_sensitive,
                                    cfg->consent_max_age, now, &r->state, err) < 0) {
                r->lookup_failed = true;
                snprintf(out->store_error, sizeof out->store_error, "%s", err);
            }
        }
        if (r->lookup_failed) {
            lookup_failed = true;
            /* OnDatabaseError accept: the administrator chose to let it
             * through unchecked; any other setting stops the message. */
            r->d = (decision){cfg->on_database_error == ONERROR_ACCEPT, REASON_NO_CONSENT};
        } else {
            r->d = store_decide(out->verdict.category, purpose, &r->state);
        }
        if (r->d.allow)
            out->allowed++;
        else
            out->denied++;
    }
    if (snapshot)
        store_snapshot_end(st);
    plan_input in = {cfg->mode, cfg->mixed, cfg->on_database_error, out->allowed, out->denied,
                     lookup_failed};
    out->plan = plan_make(&in);
}

void message_decision_clear(message_decision *md)
{
    g_free(md->rcpts);
    md->rcpts = NULL;
    md->n = 0;
}

void decision_evidence(const classifier_verdict *v, char *buf, size_t bufsz)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < v->n_evidence && used + 1 < bufsz; i++) {
        int w = snprintf(buf + used, bufsz - used, "%s%s", i ? "; " : "", v->evidence[i]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}
