/*
 * signals — parsing the signals file (syntax documented in signals.conf).
 */
#include "signals.h"

#include <glib.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fold.h"

static const char *const detector_names[DETECTOR_COUNT] = {
    [DETECTOR_VOUCHER_CODE] = "voucher-code",
    [DETECTOR_UTM_CAMPAIGN] = "utm-campaign",
    [DETECTOR_PRICE_LIST] = "price-list",
    [DETECTOR_MANY_LINKS] = "many-links",
    [DETECTOR_PRODUCT_CARDS] = "product-cards",
};

typedef struct parse_ctx {
    signals *s;
    GArray *list; /* of signal_rule */
    const char *name;
    int line;
    char *err;
    size_t errsz;
    size_t pattern_bytes; /* all patterns so far, folded */
} parse_ctx;

/* The matcher's table grows with the patterns' total length (about 300
 * bytes per pattern byte); this bound keeps a runaway file from taking
 * gigabytes. The built-in file uses about 4,000. */
#define PATTERN_BYTES_MAX 100000

static int fail(parse_ctx *pc, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static int fail(parse_ctx *pc, const char *fmt, ...)
{
    char msg[192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(pc->err, pc->errsz, "%s:%d: %s", pc->name, pc->line, msg);
    return -1;
}

/* CATEGORY WEIGHT: the two fields every signal line starts with. */
static int parse_head(parse_ctx *pc, char **argv, signal_rule *sig)
{
    if (strcmp(argv[0], "transactional") == 0)
        sig->category = CATEGORY_TRANSACTIONAL;
    else if (strcmp(argv[0], "after-sales") == 0)
        sig->category = CATEGORY_AFTER_SALES;
    else if (strcmp(argv[0], "promotional") == 0)
        sig->category = CATEGORY_PROMOTIONAL;
    else if (strcmp(argv[0], "bulk") == 0)
        sig->category = SIGNAL_BULK;
    else
        return fail(pc, "unknown category '%s' (transactional, after-sales, promotional, bulk)",
                    argv[0]);
    char *end;
    long w = strtol(argv[1], &end, 10);
    /* A negative weight takes back from the element it is found in (a
     * discount already applied): promotional only. */
    bool negative_ok = sig->category == CATEGORY_PROMOTIONAL;
    if (*end != '\0' || w == 0 || w > 1000 || w < (negative_ok ? -1000 : 1))
        return fail(pc, "weight '%s' is not a number from 1 to 1000%s", argv[1],
                    negative_ok ? " (or -1 to -1000)" : "");
    sig->weight = (int)w;
    return 0;
}

/* Adds a folded pattern to the matcher, within the size bound. */
static int add_pattern(parse_ctx *pc, matcher *m, const char *folded, int id, bool word_start,
                       bool word_end)
{
    pc->pattern_bytes += strlen(folded);
    if (pc->pattern_bytes > PATTERN_BYTES_MAX)
        return fail(pc, "the patterns exceed %d bytes in all", PATTERN_BYTES_MAX);
    matcher_add(m, folded, id, word_start, word_end);
    return 0;
}

/* word CATEGORY WEIGHT WHERE PATTERN... and link CATEGORY WEIGHT PATTERN...:
 * each pattern a signal of its own, in the words' or the links' matcher. */
static int parse_patterns(parse_ctx *pc, int argc, char **argv, bool link, bool image)
{
    if (argc < (link ? 4 : 5))
        return link ? fail(pc, "%s needs: %s CATEGORY WEIGHT PATTERN...", argv[0], argv[0])
                    : fail(pc, "%s needs: word CATEGORY WEIGHT subject|body|any|link PATTERN...",
                           "word");
    signal_rule proto = {.kind = link ? SIGNAL_LINK : SIGNAL_WORD,
                         .where = image ? WHERE_IMAGE : WHERE_BODY};
    if (parse_head(pc, argv + 1, &proto) < 0)
        return -1;
    if (link)
        ;
    else if (strcmp(argv[3], "subject") == 0)
        proto.where = WHERE_SUBJECT;
    else if (strcmp(argv[3], "body") == 0)
        proto.where = WHERE_BODY;
    else if (strcmp(argv[3], "any") == 0)
        proto.where = WHERE_ANY;
    else if (strcmp(argv[3], "link") == 0)
        proto.where = WHERE_LINK;
    else
        return fail(pc, "where '%s' is not subject, body, any or link", argv[3]);
    for (int i = link ? 3 : 4; i < argc; i++) {
        const char *p = argv[i];
        size_t len = strlen(p);
        bool open_start = len > 0 && p[0] == '*', open_end = len > 1 && p[len - 1] == '*';
        char *bare = g_strndup(p + open_start, len - open_start - open_end);
        char *folded = fold_keyword(bare);
        if (folded[0] == '\0') {
            g_free(bare);
            g_free(folded);
            return fail(pc, "pattern '%s' has no letters or digits", p);
        }
        signal_rule sig = proto;
        sig.label = bare;
        sig.span = (int)strlen(folded);
        g_array_append_val(pc->list, sig);
        int rc = add_pattern(pc, link ? pc->s->links : pc->s->words, folded,
                             (int)pc->list->len - 1, !open_start, !open_end);
        g_free(folded);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int parse_header(parse_ctx *pc, int argc, char **argv)
{
    if (argc < 4)
        return fail(pc, "%s needs: header CATEGORY WEIGHT NAME [VALUE...]", "header");
    signal_rule sig = {.kind = SIGNAL_HEADER};
    if (parse_head(pc, argv + 1, &sig) < 0)
        return -1;
    for (const char *c = argv[3]; *c; c++)
        if (*c <= ' ' || *c == ':' || *c > '~')
            return fail(pc, "'%s' is not a header name", argv[3]);
    sig.label = g_strdup(argv[3]);
    if (argc > 4) {
        sig.values = g_new0(char *, (size_t)(argc - 4 + 1));
        for (int i = 4; i < argc; i++)
            sig.values[i - 4] = g_ascii_strdown(argv[i], -1);
    }
    g_array_append_val(pc->list, sig);
    return 0;
}

static int parse_detector(parse_ctx *pc, int argc, char **argv)
{
    if (argc < 4 || argc > 5)
        return fail(pc, "%s needs: detector CATEGORY WEIGHT NAME [NUMBER]", "detector");
    signal_rule sig = {.kind = SIGNAL_DETECTOR};
    if (parse_head(pc, argv + 1, &sig) < 0)
        return -1;
    int d = -1;
    for (int i = 0; i < DETECTOR_COUNT; i++)
        if (strcmp(argv[3], detector_names[i]) == 0)
            d = i;
    if (d < 0)
        return fail(pc, "unknown detector '%s' (voucher-code, utm-campaign, price-list, "
                        "many-links, product-cards)",
                    argv[3]);
    if (pc->s->detector_signal[d] >= 0)
        return fail(pc, "detector '%s' is configured twice", argv[3]);
    sig.detector = (detector_kind)d;
    sig.param = 1;
    if (argc == 5) {
        char *end;
        long n = strtol(argv[4], &end, 10);
        if (*end != '\0' || n < 1 || n > 100000)
            return fail(pc, "'%s' is not a count from 1 to 100000", argv[4]);
        sig.param = (int)n;
    }
    sig.label = g_strdup(argv[3]);
    g_array_append_val(pc->list, sig);
    pc->s->detector_signal[d] = (int)pc->list->len - 1;
    return 0;
}

static int parse_prefixes(parse_ctx *pc, int argc, char **argv)
{
    if (argc < 2)
        return fail(pc, "%s needs at least one phrase", "voucher-prefix");
    for (int i = 1; i < argc; i++) {
        char *folded = fold_keyword(argv[i]);
        if (folded[0] == '\0') {
            g_free(folded);
            return fail(pc, "prefix '%s' has no letters or digits", argv[i]);
        }
        int rc = add_pattern(pc, pc->s->words, folded, SIGNALS_VOUCHER_PREFIX, true, true);
        g_free(folded);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int parse_threshold(parse_ctx *pc, int argc, char **argv)
{
    if (argc != 3)
        return fail(pc, "%s needs: threshold promotional|allowed|mass NUMBER", "threshold");
    char *end;
    long n = strtol(argv[2], &end, 10);
    if (*end != '\0' || n < 1 || n > 100000)
        return fail(pc, "'%s' is not a number from 1 to 100000", argv[2]);
    if (strcmp(argv[1], "promotional") == 0)
        pc->s->promotional_threshold = (int)n;
    else if (strcmp(argv[1], "allowed") == 0)
        pc->s->allowed_threshold = (int)n;
    else if (strcmp(argv[1], "mass") == 0)
        pc->s->mass_threshold = (int)n;
    else
        return fail(pc, "unknown threshold '%s' (promotional, allowed, mass)", argv[1]);
    return 0;
}

static int parse_line(parse_ctx *pc, const char *line)
{
    const char *p = line;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p == '\0' || *p == '#')
        return 0;
    if (!g_utf8_validate(line, -1, NULL))
        return fail(pc, "%s", "not valid UTF-8");
    int argc;
    char **argv;
    GError *error = NULL;
    if (!g_shell_parse_argv(p, &argc, &argv, &error)) {
        int rc = fail(pc, "cannot split the line: %s", error->message);
        g_error_free(error);
        return rc;
    }
    int rc;
    if (strcmp(argv[0], "word") == 0 || strcmp(argv[0], "link") == 0 ||
        strcmp(argv[0], "image") == 0)
        rc = parse_patterns(pc, argc, argv, strcmp(argv[0], "word") != 0,
                            strcmp(argv[0], "image") == 0);
    else if (strcmp(argv[0], "header") == 0)
        rc = parse_header(pc, argc, argv);
    else if (strcmp(argv[0], "detector") == 0)
        rc = parse_detector(pc, argc, argv);
    else if (strcmp(argv[0], "voucher-prefix") == 0)
        rc = parse_prefixes(pc, argc, argv);
    else if (strcmp(argv[0], "threshold") == 0)
        rc = parse_threshold(pc, argc, argv);
    else
        rc = fail(pc, "unknown line kind '%s' (word, link, image, header, detector, voucher-prefix, threshold)",
                  argv[0]);
    g_strfreev(argv);
    return rc;
}

signals *signals_parse(const char *text, const char *name, char *err, size_t errsz)
{
    signals *s = g_new0(signals, 1);
    s->words = matcher_new();
    s->links = matcher_new();
    for (int i = 0; i < DETECTOR_COUNT; i++)
        s->detector_signal[i] = -1;
    parse_ctx pc = {s, g_array_new(FALSE, TRUE, sizeof(signal_rule)), name, 0, err, errsz, 0};
    char **lines = g_strsplit(text, "\n", -1);
    int rc = 0;
    for (int i = 0; lines[i] != NULL && rc == 0; i++) {
        pc.line = i + 1;
        rc = parse_line(&pc, lines[i]);
    }
    g_strfreev(lines);
    s->count = (int)pc.list->len;
    s->list = (signal_rule *)(void *)g_array_free(pc.list, FALSE);
    if (rc == 0 && (s->promotional_threshold == 0 || s->allowed_threshold == 0)) {
        snprintf(err, errsz, "%s: both 'threshold promotional' and 'threshold allowed' are needed",
                 name);
        rc = -1;
    }
    if (rc < 0) {
        signals_free(s);
        return NULL;
    }
    if (s->mass_threshold == 0)
        s->mass_threshold = s->promotional_threshold;
    s->header_signals = g_new(int, s->count ? s->count : 1);
    for (int i = 0; i < s->count; i++)
        if (s->list[i].kind == SIGNAL_HEADER)
            s->header_signals[s->n_header_signals++] = i;
    matcher_compile(s->words);
    matcher_compile(s->links);
    return s;
}

void signals_free(signals *s)
{
    if (s == NULL)
        return;
    for (int i = 0; i < s->count; i++) {
        g_free(s->list[i].label);
        g_strfreev(s->list[i].values);
    }
    g_free(s->list);
    matcher_free(s->words);
    matcher_free(s->links);
    g_free(s->header_signals);
    g_free(s);
}
