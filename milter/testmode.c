/*
 * testmode — the -t option (see testmode.h).
 */
#include "testmode.h"

#include <gmime/gmime.h>
#include <stdio.h>
#include <time.h>

#include "decision.h"

/* The addresses of To, Cc and Bcc, as RCPT would carry them. */
static GPtrArray *header_recipients(const char *data, size_t len)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    classifier_mime_init();
    GMimeStream *stream = g_mime_stream_mem_new_with_buffer(data, len);
    GMimeParser *parser = g_mime_parser_new_with_stream(stream);
    GMimeMessage *msg = g_mime_parser_construct_message(parser, NULL);
    if (msg != NULL) {
        const GMimeAddressType types[] = {GMIME_ADDRESS_TYPE_TO, GMIME_ADDRESS_TYPE_CC,
                                          GMIME_ADDRESS_TYPE_BCC};
        for (size_t t = 0; t < G_N_ELEMENTS(types); t++) {
            InternetAddressList *list = g_mime_message_get_addresses(msg, types[t]);
            int n = list ? internet_address_list_length(list) : 0;
            for (int i = 0; i < n; i++) {
                InternetAddress *ia = internet_address_list_get_address(list, i);
                if (INTERNET_ADDRESS_IS_MAILBOX(ia))
                    g_ptr_array_add(out, g_strdup_printf(
                                             "<%s>", internet_address_mailbox_get_addr(
                                                         INTERNET_ADDRESS_MAILBOX(ia))));
            }
        }
        g_object_unref(msg);
    }
    g_object_unref(parser);
    g_object_unref(stream);
    return out;
}

static const char *message_outcome(const message_decision *md)
{
    switch (md->plan.message) {
    case PLAN_ACCEPT:
        if (md->plan.delete_denied && md->denied > 0)
            return "accept for the allowed recipients, the others removed";
        if (md->plan.tag && md->denied > 0)
            return "accept unchanged but for the verdict header (tag mode)";
        if (md->denied > 0)
            return "accept unchanged (dry-run: would reject)";
        return "accept";
    case PLAN_REJECT: return "reject 550 5.7.1";
    case PLAN_QUARANTINE: return "quarantine (hold queue)";
    case PLAN_TEMPFAIL: return "tempfail 451 4.3.0 (consent store unreadable)";
    case PLAN_STORE_REJECT: return "reject 550 5.3.0 (consent store unreadable)";
    }
    return "?";
}

int testmode_run(const char *config_path, char **files, char **rcpts)
{
    char err[CONF_ERR_MAX];
    conf *cfg = conf_load(config_path, err);
    if (cfg == NULL) {
        fprintf(stderr, "consent-milter: %s\n", err);
        return 1;
    }
    char why[CLASSIFIER_ERR_MAX];
    runtime rt = {.cfg = cfg, .cls = classifier_new(cfg->signals_file, why), .generation = 1};
    if (rt.cls == NULL) {
        fprintf(stderr, "consent-milter: SignalsFile: %s\n", why);
        conf_free(cfg);
        return 1;
    }
    char serr[STORE_ERR_MAX] = "";
    store *st = store_open_wait(cfg->database, STORE_READONLY | STORE_SNAPSHOT,
                                cfg->database_timeout_ms, serr);
    int rc = 0;
    for (char **f = files; *f != NULL; f++) {
        gchar *data;
        gsize len;
        GError *error = NULL;
        if (!g_file_get_contents(*f, &data, &len, &error)) {
            fprintf(stderr, "consent-milter: cannot read %s: %s\n", *f, error->message);
            g_error_free(error);
            rc = 1;
            continue;
        }
        GPtrArray *list = NULL;
        if (rcpts == NULL)
            list = header_recipients(data, len);
        const char *const *r = rcpts ? (const char *const *)rcpts
                                     : (const char *const *)list->pdata;
        size_t n = rcpts ? g_strv_length(rcpts) : list->len;
        /* As a local submission (sendmail(1)) from 127.0.0.1 would be. */
        bool trusted = conf_trusts_sender(cfg, false, "127.0.0.1");
        classifier_verdict verdict;
        decision_verdict(&rt, data, len, trusted, false, NULL, &verdict);
        message_decision md;
        decide_message(&rt, st, serr, &verdict, r, n, (int64_t)time(NULL), &md);
        char evidence[512];
        decision_evidence(&md.verdict, evidence, sizeof evidence);
        /* The file name, purpose, evidence and addresses come from the
         * message: escaped, as in the log. */
        store_text_print(stdout, *f);
        printf(": %s (%s, header %s), purpose ", classifier_category_name(md.verdict.category),
               classifier_source_name(md.verdict.source), trusted ? "trusted" : "not trusted");
        store_text_print(stdout, md.verdict.purpose[0] ? md.verdict.purpose : "marketing");
        fputs("\n  evidence: ", stdout);
        store_text_print(stdout, evidence);
        putchar('\n');
        for (size_t i = 0; i < md.n; i++) {
            const rcpt_result *x = &md.rcpts[i];
            char explain[256];
            decide_explain(x->d, md.verdict.purpose, &x->state, explain, sizeof explain);
            fputs("  ", stdout);
            store_text_print(stdout, x->address);
            printf(": %s (%s) %s%s\n", x->d.allow ? "allow" : "deny",
                   x->lookup_failed ? "store-error" : decide_reason_code(x->d.reason),
                   x->lookup_failed ? md.store_error : explain,
                   x->d.allow ? "" : md.plan.delete_denied ? " -> removed" : "");
        }
        if (md.n == 0)
            printf("  (no recipients: give -r ADDR or a To: header)\n");
        printf("  message: %s (mode %s)\n", message_outcome(&md), conf_mode_name(cfg->mode));
        if (md.plan.message == PLAN_TEMPFAIL || md.plan.message == PLAN_STORE_REJECT)
            rc = 1;
        message_decision_clear(&md);
        if (list != NULL)
            g_ptr_array_free(list, TRUE);
        g_free(data);
    }
    store_close(st);
    classifier_free(rt.cls);
    conf_free(cfg);
    return rc;
}
