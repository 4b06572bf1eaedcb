/*
 * callbacks — libmilter callbacks and enforcement (see callbacks.h).
 */
#include "callbacks.h"

#include <arpa/inet.h>
#include <glib.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "audit.h"
#include "decision.h"
#include "gather.h"
#include "logging.h"
#include "runtime.h"
#include "storepool.h"

typedef struct session {
    /* what the MTA agreed to at negotiation: steps answered with no reply,
     * and whether the rest of a body may be skipped */
    bool nr_mail, nr_rcpt, nr_hdr, nr_eoh, nr_body, can_skip;
    /* Set at MAIL when the message cannot be taken (stopping, no
     * configuration) but MAIL gets no answer: it is deferred at its end. */
    const char *refusal_dsn, *refusal_text;
    char client_ip[INET6_ADDRSTRLEN + 1];
    bool authenticated;
    bool in_message;
    char *sender;
    GPtrArray *rcpts;   /* as given in RCPT, angle brackets included */
    gather *message;    /* header block and body, within the milter's bounds */
    int category_headers; /* occurrences, for stripping */
    char *message_id;
    runtime *rt;        /* the snapshot this message runs on */
} session;

static GMutex flight_lock;
static GCond flight_cond;
static int in_flight;
static gint draining;
static bool over_tcp = true; /* set once at start, before any session */

void callbacks_set_tcp(bool tcp)
{
    over_tcp = tcp;
}

void callbacks_begin_drain(void)
{
    g_atomic_int_set(&draining, 1);
}

static void flight(int delta)
{
    g_mutex_lock(&flight_lock);
    in_flight += delta;
    if (in_flight == 0)
        g_cond_broadcast(&flight_cond);
    g_mutex_unlock(&flight_lock);
}

bool callbacks_wait_idle(int seconds)
{
    gint64 until = g_get_monotonic_time() + (gint64)seconds * G_TIME_SPAN_SECOND;
    g_mutex_lock(&flight_lock);
    while (in_flight > 0)
        if (!g_cond_wait_until(&flight_cond, &flight_lock, until))
            break;
    bool idle = in_flight == 0;
    g_mutex_unlock(&flight_lock);
    return idle;
}

static void end_message(session *s)
{
    if (s->in_message) {
        s->in_message = false;
        flight(-1);
    }
    g_free(s->sender);
    s->sender = NULL;
    g_free(s->message_id);
    s->message_id = NULL;
    g_ptr_array_set_size(s->rcpts, 0);
    gather_reset(s->message);
    s->category_headers = 0;
    s->refusal_dsn = s->refusal_text = NULL;
    runtime_release(s->rt);
    s->rt = NULL;
}

static session *get(SMFICTX *ctx)
{
    return smfi_getpriv(ctx);
}

static const char *queue_id(SMFICTX *ctx)
{
    const char *qid = smfi_getsymval(ctx, "i");
    return qid != NULL && qid[0] != '\0' ? qid : "NOQUEUE";
}

static session *session_new(void)
{
    session *s = g_new0(session, 1);
    s->rcpts = g_ptr_array_new_with_free_func(g_free);
    s->message = gather_new();
    return s;
}

static void session_free(session *s)
{
    g_ptr_array_free(s->rcpts, TRUE);
    gather_free(s->message);
    g_free(s);
}

/* Asks the MTA to leave out what we do not use (HELO, unknown commands)
 * and keeps the answer to connect (tempfail while stopping).
 *
 * Over a local socket it also asks the MTA to leave out DATA and not to
 * wait for our answer to MAIL, RCPT, each header, the end of headers and
 * each body chunk: the MTA then sends a whole message without waiting, and
 * the milter answers once, at its end (measured: a third more messages per
 * second; each answer costs both sides a wake-up). What MAIL would have
 * refused (stopping, no configuration) is deferred at the end of the
 * message instead, and past MaxScanBytes the rest of the body is read and
 * dropped rather than skipped.
 *
 * Over TCP that costs far more than it saves: Postfix writes each milter
 * command on its own without TCP_NODELAY, so a second command
 * sent without waiting for an answer sits in its Nagle buffer until our
 * kernel's delayed ACK, about 40 ms, once or twice per message (measured:
 * 22 messages/s over one SMTP session instead of 255). Answering DATA and
 * every header acknowledges each write at once. */
static sfsistat on_negotiate(SMFICTX *ctx, unsigned long actions, unsigned long steps,
                             unsigned long unused0, unsigned long unused1,
                             unsigned long *want_actions, unsigned long *want_steps,
                             unsigned long *want0, unsigned long *want1)
{
    (void)unused0;
    (void)unused1;
    const unsigned long needed = SMFIF_DELRCPT | SMFIF_QUARANTINE | SMFIF_ADDHDRS | SMFIF_CHGHDRS;
    if ((actions & needed) != needed)
        return SMFIS_REJECT; /* an MTA that cannot remove recipients cannot be served */
    session *s = smfi_getpriv(ctx);
    if (s == NULL) {
        s = session_new();
        if (smfi_setpriv(ctx, s) != MI_SUCCESS) {
            session_free(s);
            return SMFIS_REJECT;
        }
    }
    unsigned long offered_away = steps & (SMFIP_NOHELO | SMFIP_NOUNKNOWN);
    unsigned long no_reply = 0;
    if (!over_tcp) {
        offered_away |= steps & SMFIP_NODATA;
        no_reply = steps & (SMFIP_NR_MAIL | SMFIP_NR_RCPT | SMFIP_NR_HDR | SMFIP_NR_EOH |
                            SMFIP_NR_BODY);
    }
    s->nr_mail = (no_reply & SMFIP_NR_MAIL) != 0;
    s->nr_body = (no_reply & SMFIP_NR_BODY) != 0;
    s->nr_rcpt = (no_reply & SMFIP_NR_RCPT) != 0;
    s->nr_hdr = (no_reply & SMFIP_NR_HDR) != 0;
    s->nr_eoh = (no_reply & SMFIP_NR_EOH) != 0;
    s->can_skip = (steps & SMFIP_SKIP) != 0 && !s->nr_body;
    *want_actions = needed;
    /* The macros we read, asked for by name: Sendmail sends only what its
     * Milter.macros.* lists name, and an administrator's own list may
     * leave out the queue id or {auth_authen} (labels from authenticated
     * senders would be ignored, the log would say NOQUEUE). A list given
     * here replaces the MTA's for that stage, so it names everything read
     * there. An MTA that does not offer this keeps its own lists. */
    if ((actions & SMFIF_SETSYMLIST) != 0 &&
        smfi_setsymlist(ctx, SMFIM_ENVFROM, "i {auth_authen}") == MI_SUCCESS &&
        smfi_setsymlist(ctx, SMFIM_EOM, "i") == MI_SUCCESS)
        *want_actions |= SMFIF_SETSYMLIST;
    *want_steps = offered_away | no_reply | (steps & SMFIP_SKIP);
    *want0 = *want1 = 0;
    return SMFIS_CONTINUE;
}

static sfsistat on_connect(SMFICTX *ctx, char *hostname, _SOCK_ADDR *addr)
{
    (void)hostname;
    if (g_atomic_int_get(&draining))
        return SMFIS_TEMPFAIL; /* stopping: the MTA keeps the mail and retries */
    session *s = smfi_getpriv(ctx); /* made at negotiation */
    bool fresh = s == NULL;
    if (fresh)
        s = session_new();
    if (addr != NULL && addr->sa_family == AF_INET)
        inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)addr)->sin_addr, s->client_ip,
                  sizeof s->client_ip);
    else if (addr != NULL && addr->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)(void *)addr)->sin6_addr, s->client_ip,
                  sizeof s->client_ip);
    if (fresh && smfi_setpriv(ctx, s) != MI_SUCCESS) {
        session_free(s);
        return SMFIS_TEMPFAIL;
    }
    return SMFIS_CONTINUE;
}

/* Only called over TCP, where answering DATA keeps the MTA's next write
 * (the first header) from waiting for a delayed ACK (see on_negotiate). */
static sfsistat on_data(SMFICTX *ctx)
{
    (void)ctx;
    return SMFIS_CONTINUE;
}

#define UNAVAILABLE "consent check unavailable, try again later"

static sfsistat tempfail_dsn(SMFICTX *ctx, const char *dsn, const char *text)
{
    smfi_setreply(ctx, "451", (char *)dsn, (char *)text);
    return SMFIS_TEMPFAIL;
}

static sfsistat tempfail(SMFICTX *ctx, const char *text)
{
    return tempfail_dsn(ctx, "4.3.0", text);
}

/* A message MAIL cannot take: deferred at once, or where MAIL gets no
 * answer, at its end. It then counts as in flight until that end, so that
 * stopping waits for the answer instead of leaving the MTA without one. */
static sfsistat refuse_at_mail(SMFICTX *ctx, session *s, const char *dsn, const char *text)
{
    if (!s->nr_mail) {
        end_message(s);
        return tempfail_dsn(ctx, dsn, text);
    }
    if (!s->in_message) {
        s->in_message = true;
        flight(+1);
    }
    s->refusal_dsn = dsn;
    s->refusal_text = text;
    return SMFIS_NOREPLY;
}

static sfsistat on_envfrom(SMFICTX *ctx, char **argv)
{
    session *s = get(ctx);
    if (s == NULL)
        return SMFIS_TEMPFAIL;
    end_message(s); /* a new transaction on the same connection */
    if (g_atomic_int_get(&draining))
        return refuse_at_mail(ctx, s, "4.3.2", "consent check restarting, try again later");
    s->in_message = true;
    flight(+1);
    s->sender = g_strdup(argv[0] ? argv[0] : "");
    const char *auth = smfi_getsymval(ctx, "{auth_authen}");
    s->authenticated = auth != NULL && auth[0] != '\0';
    s->rt = runtime_acquire();
    if (s->rt == NULL)
        return refuse_at_mail(ctx, s, "4.3.0", UNAVAILABLE);
    return s->nr_mail ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

static sfsistat on_envrcpt(SMFICTX *ctx, char **argv)
{
    session *s = get(ctx);
    if (s == NULL || argv[0] == NULL)
        return SMFIS_TEMPFAIL;
    g_ptr_array_add(s->rcpts, g_strdup(argv[0]));
    return s->nr_rcpt ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

static sfsistat on_header(SMFICTX *ctx, char *name, char *value)
{
    session *s = get(ctx);
    if (s == NULL)
        return SMFIS_TEMPFAIL;
    if (s->rt == NULL) /* refused at MAIL without an answer: deferred at the end */
        return s->nr_hdr ? SMFIS_NOREPLY : SMFIS_TEMPFAIL;
    if (g_ascii_strcasecmp(name, s->rt->cfg->category_header) == 0)
        s->category_headers++;
    if (s->message_id == NULL && g_ascii_strcasecmp(name, "Message-ID") == 0)
        s->message_id = g_strndup(value, 250);
    gather_header(s->message, name, value);
    return s->nr_hdr ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

static sfsistat on_eoh(SMFICTX *ctx)
{
    session *s = get(ctx);
    if (s == NULL)
        return SMFIS_TEMPFAIL;
    gather_end_of_headers(s->message);
    return s->nr_eoh ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

static sfsistat on_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
    session *s = get(ctx);
    if (s == NULL)
        return SMFIS_TEMPFAIL;
    if (s->rt == NULL) /* refused at MAIL without an answer: deferred at the end */
        return s->nr_body ? SMFIS_NOREPLY : SMFIS_TEMPFAIL;
    bool past = gather_body(s->message, chunk, len, s->rt->cfg->max_scan_bytes);
    if (s->nr_body)
        return SMFIS_NOREPLY;
    /* Past the scan bound the rest of the body is of no use to us: the
     * message is promotional already (bounds.h). */
    return past && s->can_skip ? SMFIS_SKIP : SMFIS_CONTINUE;
}

/* Records what was done: every held-back recipient, and with AuditAll
 * every recipient. */
static int record_audit(session *s, const message_decision *md, const char *qid,
                        char err[STORE_ERR_MAX])
{
    const conf *cfg = s->rt->cfg;
    char evidence[CLASSIFIER_EVIDENCE_MAX * CLASSIFIER_EVIDENCE_LEN];
    decision_evidence(&md->verdict, evidence, sizeof evidence);
    audit_row *rows = g_new0(audit_row, md->n ? md->n : 1);
    /* The recipient as the store keeps it (no angle brackets, domain in
     * lower case), or as given where it is no valid address. */
    char (*addr)[STORE_ADDRESS_MAX + 1] = g_malloc0_n(md->n ? md->n : 1, sizeof *addr);
    size_t n = 0;
    int64_t now = (int64_t)time(NULL);
    for (size_t i = 0; i < md->n; i++) {
        const rcpt_result *r = &md->rcpts[i];
        if (r->d.allow && !cfg->audit_all && !r->lookup_failed)
            continue;
        char key[STORE_ADDRESS_MAX + 1], why[STORE_ERR_MAX];
        if (store_address_normalise(r->address, addr[n], key, why) < 0)
            g_strlcpy(addr[n], r->address, sizeof addr[n]);
        rows[n] = (audit_row){
            .at = now,
            .queue_id = qid,
            .message_id = s->message_id,
            .sender = s->sender,
            .recipient = addr[n],
            .category = classifier_category_name(md->verdict.category),
            .source = classifier_source_name(md->verdict.source),
            .evidence = evidence,
            .consent = r->lookup_failed ? "unknown"
                       : md->verdict.category != CATEGORY_PROMOTIONAL
                           ? "not-needed" /* never looked up */
                           : consent_kind_name(r->state.kind),
            .action = r->d.allow ? "passed" : md->plan.denied_action,
            .mode = conf_mode_name(cfg->mode),
            .reason = r->lookup_failed ? "store-error" : decide_reason_code(r->d.reason),
        };
        n++;
    }
    int rc = n == 0 ? 0 : audit_record(s->rt->audit, rows, n, err);
    char note[STORE_ERR_MAX];
    if (audit_notice(s->rt->audit, note))
        log_msg(LOG_WARNING, qid, "%s", note);
    g_free(rows);
    g_free(addr);
    return rc;
}

static sfsistat on_eom(SMFICTX *ctx)
{
    session *s = get(ctx);
    if (s == NULL)
        return tempfail(ctx, UNAVAILABLE);
    if (s->rt == NULL) { /* refused at MAIL, which got no answer */
        const char *dsn = s->refusal_dsn ? s->refusal_dsn : "4.3.0";
        const char *text = s->refusal_text ? s->refusal_text : UNAVAILABLE;
        log_msg(LOG_NOTICE, queue_id(ctx), "message deferred: %s", text);
        end_message(s);
        return tempfail_dsn(ctx, dsn, text);
    }
    const runtime *rt = s->rt;
    const conf *cfg = rt->cfg;
    const char *qid = queue_id(ctx);
    bool trusted = conf_trusts_sender(cfg, s->authenticated, s->client_ip[0] ? s->client_ip
                                                                            : NULL);
    size_t len;
    const char *text = gather_text(s->message, &len);
    bounds_seen seen;
    gather_seen(s->message, &seen);
    classifier_verdict verdict;
    /* MAIL FROM:<>: a bounce or a receipt (see classifier_options). */
    bool null_sender = s->sender != NULL && (s->sender[0] == '\0' || strcmp(s->sender, "<>") == 0);
    decision_verdict(rt, text, len, trusted, null_sender, &seen, &verdict);
    /* Only promotional mail needs the store: the rest is never held up by
     * a store that is locked, missing or broken (not even for the open). */
    char open_error[STORE_ERR_MAX] = "";
    storepool_lease lease = {0};
    if (verdict.category == CATEGORY_PROMOTIONAL)
        storepool_take(rt->pool, &lease, open_error);
    message_decision md;
    decide_message(rt, lease.st, open_error, &verdict, (const char *const *)s->rcpts->pdata,
                   s->rcpts->len, (int64_t)time(NULL), &md);
    /* After a failed lookup the handle is closed: the file may be repaired. */
    storepool_give(rt->pool, &lease, md.store_error[0] != '\0');
    if (md.store_error[0] != '\0') {
        log_msg(LOG_ERR, qid, "consent store error (OnDatabaseError %s): %s",
                conf_on_error_name(cfg->on_database_error), md.store_error);
    }

    char err[STORE_ERR_MAX];
    sfsistat result = SMFIS_CONTINUE;
    if (md.plan.message != PLAN_TEMPFAIL && record_audit(s, &md, qid, err) < 0) {
        /* A hold-back that cannot be proven is not done: retry later. */
        log_msg(LOG_ERR, qid, "audit store error, message deferred: %s", err);
        result = tempfail(ctx, "consent audit unavailable, try again later");
        goto done;
    }

    switch (md.plan.message) {
    case PLAN_TEMPFAIL:
        result = tempfail(ctx, "consent store unavailable, try again later");
        goto done;
    case PLAN_STORE_REJECT:
        smfi_setreply(ctx, "550", "5.3.0", "consent store unavailable");
        result = SMFIS_REJECT;
        goto done;
    case PLAN_REJECT:
        smfi_setreply(ctx, "550", "5.7.1", cfg->reject_text);
        result = SMFIS_REJECT;
        goto done;
    case PLAN_QUARANTINE: {
        char reason[128];
        snprintf(reason, sizeof reason, "consent-milter: %s mail, %zu of %zu recipients without consent",
                 classifier_category_name(md.verdict.category), md.denied, md.n);
        if (smfi_quarantine(ctx, reason) != MI_SUCCESS) {
            result = tempfail(ctx, "consent check could not quarantine, try again later");
            goto done;
        }
        break;
    }
    case PLAN_ACCEPT:
        break;
    }
    if (md.plan.delete_denied) {
        for (size_t i = 0; i < md.n; i++) {
            if (!md.rcpts[i].d.allow && smfi_delrcpt(ctx, (char *)md.rcpts[i].address) != MI_SUCCESS) {
                /* Never deliver to someone we meant to remove. */
                result = tempfail(ctx, "consent check could not remove a recipient");
                goto done;
            }
        }
    }
    if (md.plan.tag) {
        char value[128];
        snprintf(value, sizeof value, "%s (%s); %zu of %zu recipients without consent; mode=tag",
                 classifier_category_name(md.verdict.category),
                 classifier_source_name(md.verdict.source), md.denied, md.n);
        smfi_addheader(ctx, cfg->verdict_header, value);
    }
    if (cfg->strip_category_header) {
        for (int i = s->category_headers; i >= 1; i--)
            smfi_chgheader(ctx, cfg->category_header, i, NULL);
    }
    result = SMFIS_ACCEPT;

done:;
    char evidence[768]; /* the deciding element's quote and what follows; the line stays under 1 KiB */
    decision_evidence(&md.verdict, evidence, sizeof evidence);
    log_msg(md.denied > 0 || result != SMFIS_ACCEPT ? LOG_NOTICE : LOG_INFO, qid,
            "category=%s source=%s trusted=%s recipients=%zu allowed=%zu denied=%zu "
            "action=%s%s%s evidence=[%s]",
            classifier_category_name(md.verdict.category),
            classifier_source_name(md.verdict.source), trusted ? "yes" : "no", md.n, md.allowed,
            md.denied, result == SMFIS_TEMPFAIL ? "tempfail" : plan_message_name(md.plan.message),
            md.denied > 0 ? " denied-action=" : "", md.denied > 0 ? md.plan.denied_action : "",
            evidence);
    message_decision_clear(&md);
    end_message(s);
    return result;
}

static sfsistat on_abort(SMFICTX *ctx)
{
    session *s = get(ctx);
    if (s != NULL)
        end_message(s);
    return SMFIS_CONTINUE;
}

static sfsistat on_close(SMFICTX *ctx)
{
    session *s = get(ctx);
    if (s != NULL) {
        end_message(s);
        session_free(s);
        smfi_setpriv(ctx, NULL);
    }
    return SMFIS_CONTINUE;
}

static struct smfiDesc filter = {
    .xxfi_name = "consent-milter",
    .xxfi_version = SMFI_VERSION,
    .xxfi_flags = SMFIF_DELRCPT | SMFIF_QUARANTINE | SMFIF_ADDHDRS | SMFIF_CHGHDRS,
    .xxfi_connect = on_connect,
    .xxfi_envfrom = on_envfrom,
    .xxfi_envrcpt = on_envrcpt,
    .xxfi_header = on_header,
    .xxfi_eoh = on_eoh,
    .xxfi_body = on_body,
    .xxfi_eom = on_eom,
    .xxfi_data = on_data,
    .xxfi_abort = on_abort,
    .xxfi_close = on_close,
    .xxfi_negotiate = on_negotiate,
};

struct smfiDesc *callbacks_filter(void)
{
    return &filter;
}
