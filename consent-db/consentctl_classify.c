/*
 * consentctl classify — runs mail templates through the classifier and
 * says what the milter would make of them, with the evidence, so that an
 * administrator can check a campaign before it is sent.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bounds.h"
#include "classifier.h"
#include "conf.h"
#include "consentctl.h"
#include "store.h"
#include "textout.h"

static struct {
    gboolean json, untrusted, dump, null_sender;
    char *header, *signals;
    int max_scan;
} copt;

static void print_text(const char *file, const classifier_verdict *v)
{
    /* The file name, the purpose and the evidence (which quotes the
     * message) come from outside: escaped, never passed to the terminal. */
    store_text_print(stdout, file);
    printf(": %s (%s, confidence %d%%)", classifier_category_name(v->category),
           classifier_source_name(v->source), v->confidence);
    if (v->purpose[0] != '\0') {
        fputs(", purpose ", stdout);
        store_text_print(stdout, v->purpose);
    }
    printf("\n  scores: promotional %d, transactional %d, after-sales %d\n",
           v->promotional_score, v->transactional_score, v->after_sales_score);
    for (size_t i = 0; i < v->n_evidence; i++) {
        fputs("  ", stdout);
        store_text_print(stdout, v->evidence[i]);
        putchar('\n');
    }
    if (v->more_evidence > 0)
        printf("  (and %zu more)\n", v->more_evidence);
}

static void print_json(const char *file, const classifier_verdict *v)
{
    fputs("{\"file\":", stdout);
    textout_json_string(stdout, file);
    fputs(",\"category\":", stdout);
    textout_json_string(stdout, classifier_category_name(v->category));
    fputs(",\"source\":", stdout);
    textout_json_string(stdout, classifier_source_name(v->source));
    printf(",\"confidence\":%d,\"purpose\":", v->confidence);
    textout_json_string(stdout, v->purpose);
    printf(",\"scores\":{\"promotional\":%d,\"transactional\":%d,\"after-sales\":%d}",
           v->promotional_score, v->transactional_score, v->after_sales_score);
    fputs(",\"evidence\":[", stdout);
    for (size_t i = 0; i < v->n_evidence; i++) {
        if (i > 0)
            putchar(',');
        textout_json_string(stdout, v->evidence[i]);
    }
    printf("],\"more_evidence\":%zu}\n", v->more_evidence);
}

int ctl_cmd_classify(int argc, char **argv)
{
    GOptionEntry entries[] = {
        {"json", 'j', 0, G_OPTION_ARG_NONE, &copt.json, "One JSON object per line", NULL},
        {"untrusted-header", 'u', 0, G_OPTION_ARG_NONE, &copt.untrusted,
         "Ignore the category header, as for a sender not in TrustedHeaderFrom", NULL},
        {"header", 0, 0, G_OPTION_ARG_FILENAME, &copt.header,
         "Category header name (default X-Mail-Category)", "NAME"},
        {"signals", 0, 0, G_OPTION_ARG_FILENAME, &copt.signals,
         "Signals file instead of the built-in one", "FILE"},
        {"max-scan", 0, 0, G_OPTION_ARG_INT, &copt.max_scan,
         "Read at most BYTES of text (default 1048576)", "BYTES"},
        {"null-sender", 0, 0, G_OPTION_ARG_NONE, &copt.null_sender,
         "Classify as the milter does mail from the null sender (MAIL FROM:<>)", NULL},
        {"dump-signals", 0, 0, G_OPTION_ARG_NONE, &copt.dump,
         "Print the built-in signals file and exit", NULL},
        G_OPTION_ENTRY_NULL,
    };
    GOptionContext *ctx;
    int rc = ctl_parse_command("FILE.eml...",
                               "Classifies messages as transactional, after-sales or promotional "
                               "and shows the evidence.\n'-' reads standard input.",
                               entries, &argc, &argv, 0, -1, &ctx);
    if (rc != 0)
        return rc;
    if (copt.dump) {
        g_option_context_free(ctx);
        fputs(classifier_builtin_signals(), stdout);
        return 0;
    }
    if (argc < 2)
        rc = ctl_usage_error(ctx, "missing argument");
    else if (copt.max_scan < 0)
        rc = ctl_usage_error(ctx, "--max-scan must not be negative");
    g_option_context_free(ctx);
    if (rc != 0)
        return rc;

    /* The milter's own settings, where a configuration was named; the
     * command line's options win. */
    conf *cfg = NULL;
    if (ctl_config_path() != NULL) {
        char cerr[CONF_ERR_MAX];
        if ((cfg = conf_load(ctl_config_path(), cerr)) == NULL) {
            rc = ctl_refused(cerr);
            goto out;
        }
        if (copt.header == NULL)
            copt.header = g_strdup(cfg->category_header);
        if (copt.signals == NULL && cfg->signals_file != NULL)
            copt.signals = g_strdup(cfg->signals_file);
        if (copt.max_scan == 0)
            copt.max_scan = (int)cfg->max_scan_bytes;
    }
    char err[CLASSIFIER_ERR_MAX];
    classifier *c = classifier_new(copt.signals, err);
    if (c == NULL) {
        rc = ctl_refused(err);
        goto out;
    }
    classifier_options options = {
        .category_header = copt.header,
        .purpose_header = cfg != NULL ? cfg->purpose_header : NULL,
        .trust_header = !copt.untrusted,
        .max_scan_bytes = (size_t)copt.max_scan,
        .null_sender = copt.null_sender,
    };
    for (int i = 1; i < argc; i++) {
        gchar *data = NULL;
        gsize len = 0;
        GError *error = NULL;
        bool ok;
        if (strcmp(argv[i], "-") == 0) {
            GIOChannel *in = g_io_channel_unix_new(0);
            g_io_channel_set_encoding(in, NULL, NULL);
            ok = g_io_channel_read_to_end(in, &data, &len, &error) == G_IO_STATUS_NORMAL;
            g_io_channel_unref(in);
        } else {
            ok = g_file_get_contents(argv[i], &data, &len, &error);
        }
        if (!ok) {
            ctl_error("cannot read %s: %s", argv[i],
                    error ? error->message : strerror(errno));
            g_clear_error(&error);
            rc = EXIT_REFUSED;
            continue;
        }
        classifier_verdict v;
        classifier_classify(c, data, len, &options, &v);
        /* What the milter keeps of a message, and what it does with one
         * that does not fit, so that this says what the milter will do. */
        bounds_seen seen;
        bounds_measure(data, len, &seen);
        bounds_enforce(&seen, options.max_scan_bytes ? options.max_scan_bytes
                                                     : CLASSIFIER_DEFAULT_MAX_SCAN, &v);
        g_free(data);
        if (copt.json)
            print_json(argv[i], &v);
        else
            print_text(argv[i], &v);
    }
    classifier_free(c);
out:
    conf_free(cfg);
    g_free(copt.header);
    g_free(copt.signals);
    return rc;
}
