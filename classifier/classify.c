/*
 * classify — scores a scanned message against the signals and turns the
 * scores into a verdict (the rules are documented in signals.conf).
 */
#include <stdio.h>
#include <string.h>

#include "classifier.h"
#include "message.h"
#include "signals.h"

extern const char classifier_signals_conf[];

struct classifier {
    signals *sig;
};

const char *classifier_builtin_signals(void)
{
    return classifier_signals_conf;
}

classifier *classifier_new(const char *path, char err[CLASSIFIER_ERR_MAX])
{
    char *text = NULL;
    const char *name = "built-in signals.conf";
    if (path != NULL) {
        GError *error = NULL;
        if (!g_file_get_contents(path, &text, NULL, &error)) {
            snprintf(err, CLASSIFIER_ERR_MAX, "cannot read signals file: %s", error->message);
            g_error_free(error);
            return NULL;
        }
        name = path;
    }
    signals *sig = signals_parse(text ? text : classifier_signals_conf, name, err,
                                 CLASSIFIER_ERR_MAX);
    g_free(text);
    if (sig == NULL)
        return NULL;
    classifier *c = g_new0(classifier, 1);
    c->sig = sig;
    return c;
}

void classifier_free(classifier *c)
{
    if (c == NULL)
        return;
    signals_free(c->sig);
    g_free(c);
}

const char *classifier_source_name(classifier_source source)
{
    switch (source) {
    case SOURCE_HEADER: return "header";
    case SOURCE_CONTENT: return "content";
    case SOURCE_HEADER_CONTENT: return "header+content";
    }
    return "content";
}

/* ---- voucher codes ---------------------------------------------------- */

typedef struct voucher_ctx {
    const char *text;
    size_t len;
    char code[24]; /* the first code found */
} voucher_ctx;

static bool filler_word(const char *w, size_t n)
{
    static const char *const fillers[] = {"lautet", "ist", "is", "heisst", "code", "einfach",
                                          "den", "the", "und", "and", "bei", "at", "eur"};
    for (size_t i = 0; i < G_N_ELEMENTS(fillers); i++)
        if (strlen(fillers[i]) == n && memcmp(fillers[i], w, n) == 0)
            return true;
    return false;
}

/* After a voucher phrase ending at `end`, is the next word a code: 4 to 20
 * letters and digits, both kinds present (DANKE10, not "bitte", and not a
 * one-time login code of digits alone)? */
static void find_voucher_code(voucher_ctx *v, size_t end)
{
    if (v->code[0] != '\0')
        return;
    size_t p = end;
    for (int words = 0; words < 3; words++) {
        while (p < v->len && v->text[p] == ' ')
            p++;
        size_t start = p;
        bool digit = false, letter = false;
        while (p < v->len && v->text[p] != ' ') {
            char c = v->text[p];
            if (!g_ascii_isalnum(c))
                break;
            digit |= g_ascii_isdigit(c);
            letter |= g_ascii_isalpha(c);
            p++;
        }
        size_t n = p - start;
        if (p < v->len && v->text[p] != ' ')
            return; /* a word of another script: not a code */
        if (n == 0)
            return;
        if (filler_word(v->text + start, n))
            continue;
        if (n >= 4 && n <= 20 && digit && letter) {
            for (size_t i = 0; i < n; i++)
                v->code[i] = g_ascii_toupper(v->text[start + i]);
            v->code[n] = '\0';
        }
        return;
    }
}

/* ---- scoring ---------------------------------------------------------- */

/* One piece of evidence waiting to be ranked into the verdict. */
typedef struct finding {
    int category; /* classifier_category or SIGNAL_BULK */
    int weight;
    char text[CLASSIFIER_EVIDENCE_LEN];
} finding;

#define FINDINGS_MAX 64

typedef struct scoring {
    const signals *sig;
    unsigned char *seen; /* per signal: counted already */
    int score[SIGNAL_CATEGORIES];
    finding found[FINDINGS_MAX];
    size_t n_found, dropped;
    const char *where_name;
    int where;
    voucher_ctx subject_code, body_code; /* a code after a voucher prefix, per place */
    voucher_ctx *code;                   /* the one for the text being scanned */
} scoring;

static void add_finding(scoring *sc, int cat, int weight, const char *fmt, ...)
    G_GNUC_PRINTF(4, 5);
static void add_finding(scoring *sc, int cat, int weight, const char *fmt, ...)
{
    if (sc->n_found == FINDINGS_MAX) {
        sc->dropped++;
        return;
    }
    finding *f = &sc->found[sc->n_found++];
    f->category = cat;
    f->weight = weight;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->text, sizeof f->text, fmt, ap);
    va_end(ap);
}

/* Counts signal `index` once, with `text` as its evidence. */
static void count_signal(scoring *sc, int index, const char *text)
{
    const signal_rule *s = &sc->sig->list[index];
    if (sc->seen[index])
        return;
    sc->seen[index] = 1;
    sc->score[s->category] += s->weight;
    add_finding(sc, s->category, s->weight, "%s", text);
}

static void on_word(int id, size_t end, void *ctx)
{
    scoring *sc = ctx;
    if (id == SIGNALS_VOUCHER_PREFIX) {
        find_voucher_code(sc->code, end);
        return;
    }
    const signal_rule *s = &sc->sig->list[id];
    if (!(s->where & sc->where) || sc->seen[id])
        return;
    char text[CLASSIFIER_EVIDENCE_LEN];
    snprintf(text, sizeof text, "%s:\"%s\"", sc->where_name, s->label);
    count_signal(sc, id, text);
}

/* ---- the verdict ------------------------------------------------------ */

static void score_headers(scoring *sc, GMimeObject *msg)
{
    if (msg == NULL)
        return;
    GMimeHeaderList *headers = g_mime_object_get_header_list(msg);
    for (int i = 0; i < sc->sig->count; i++) {
        const signal_rule *s = &sc->sig->list[i];
        if (s->kind != SIGNAL_HEADER)
            continue;
        GMimeHeader *h = g_mime_header_list_get_header(headers, s->label);
        if (h == NULL)
            continue;
        if (s->values == NULL) {
            char text[CLASSIFIER_EVIDENCE_LEN];
            gchar *lower = g_ascii_strdown(s->label, -1);
            snprintf(text, sizeof text, "header:%s", lower);
            g_free(lower);
            count_signal(sc, i, text);
            continue;
        }
        const char *value = g_mime_header_get_value(h);
        if (value == NULL)
            continue;
        while (*value == ' ' || *value == '\t')
            value++;
        size_t n = strcspn(value, " \t;\r\n");
        for (char **v = s->values; *v != NULL; v++) {
            if (strlen(*v) == n && g_ascii_strncasecmp(*v, value, n) == 0) {
                char label[96];
                gchar *lower = g_ascii_strdown(s->label, -1);
                snprintf(label, sizeof label, "header:%s=%s", lower, *v);
                g_free(lower);
                count_signal(sc, i, label);
                break;
            }
        }
    }
}

static void score_detectors(scoring *sc, const message_scan *ms)
{
    const signals *sig = sc->sig;
    char text[CLASSIFIER_EVIDENCE_LEN];
    int d;
    if ((d = sig->detector_signal[DETECTOR_VOUCHER_CODE]) >= 0) {
        /* The body's code, else one in the subject only ("... mit Code
         * WIEDER15 sparen"). */
        bool in_body = sc->body_code.code[0] != '\0';
        const char *code = in_body ? sc->body_code.code : sc->subject_code.code;
        if (code[0] != '\0') {
            snprintf(text, sizeof text, "%s:voucher-code \"%s\"", in_body ? "body" : "subject",
                     code);
            count_signal(sc, d, text);
        }
    }
    if ((d = sig->detector_signal[DETECTOR_UTM_CAMPAIGN]) >= 0 && ms->stats.utm_campaign) {
        snprintf(text, sizeof text, "body:utm-campaign \"%s\"", ms->stats.utm_value);
        count_signal(sc, d, text);
    }
    if ((d = sig->detector_signal[DETECTOR_PRICE_LIST]) >= 0 &&
        ms->stats.prices >= sig->list[d].param) {
        snprintf(text, sizeof text, "body:price-list (%d prices)", ms->stats.prices);
        count_signal(sc, d, text);
    }
    if ((d = sig->detector_signal[DETECTOR_MANY_LINKS]) >= 0 &&
        ms->stats.links >= sig->list[d].param) {
        snprintf(text, sizeof text, "body:many-links (%d links)", ms->stats.links);
        count_signal(sc, d, text);
    }
}

/* The sender's category header: the strictest of its values, if trusted. */
static int read_category_header(scoring *sc, GMimeObject *msg, const char *name, bool trusted,
                                classifier_category *out)
{
    if (msg == NULL)
        return -1;
    GMimeHeaderList *headers = g_mime_object_get_header_list(msg);
    int found = -1;
    int count = g_mime_header_list_get_count(headers);
    for (int i = 0; i < count; i++) {
        GMimeHeader *h = g_mime_header_list_get_header_at(headers, i);
        if (g_ascii_strcasecmp(g_mime_header_get_name(h), name) != 0)
            continue;
        const char *value = g_mime_header_get_value(h);
        classifier_category c;
        gchar *lname = g_ascii_strdown(name, -1);
        if (value == NULL || classifier_category_parse(value, &c) < 0) {
            add_finding(sc, CATEGORY_PROMOTIONAL, 0, "header:%s=\"%.30s\" (unknown, ignored)",
                        lname, value ? value : "");
        } else if (!trusted) {
            add_finding(sc, CATEGORY_PROMOTIONAL, 0, "header:%s=%s (untrusted sender, ignored)",
                        lname, classifier_category_name(c));
        } else if (found < 0 || c == CATEGORY_PROMOTIONAL) {
            *out = c;
            found = 0;
        }
        g_free(lname);
    }
    return found;
}

static void read_purpose(GMimeObject *msg, const char *name, classifier_verdict *v)
{
    v->purpose[0] = '\0';
    const char *value = msg ? g_mime_object_get_header(msg, name) : NULL;
    if (value == NULL)
        return;
    while (*value == ' ' || *value == '\t')
        value++;
    size_t n = 0;
    while (value[n] != '\0' && value[n] != ' ' && value[n] != '\t' && value[n] != '\r' &&
           value[n] != '\n')
        n++;
    if (n == 0 || n > CLASSIFIER_PURPOSE_MAX)
        return;
    for (size_t i = 0; i < n; i++) {
        char c = g_ascii_tolower(value[i]);
        if (!g_ascii_isalnum(c) && c != '.' && c != '_' && c != '-') {
            v->purpose[0] = '\0'; /* invalid: the mail counts as plain marketing */
            return;
        }
        v->purpose[i] = c;
    }
    v->purpose[n] = '\0';
}

static int rank(const void *a, const void *b, void *want)
{
    const finding *fa = a, *fb = b;
    int w = *(classifier_category *)want;
    int ca = fa->category == SIGNAL_BULK ? CATEGORY_PROMOTIONAL : fa->category;
    int cb = fb->category == SIGNAL_BULK ? CATEGORY_PROMOTIONAL : fb->category;
    int ra = ca == w, rb = cb == w;
    if (ra != rb)
        return rb - ra;
    return fb->weight - fa->weight;
}

static void fill_evidence(scoring *sc, classifier_category want, classifier_verdict *v)
{
    g_qsort_with_data(sc->found, (gint)sc->n_found, sizeof(finding), rank, &want);
    v->n_evidence = 0;
    for (size_t i = 0; i < sc->n_found && v->n_evidence < CLASSIFIER_EVIDENCE_MAX; i++)
        memcpy(v->evidence[v->n_evidence++], sc->found[i].text, CLASSIFIER_EVIDENCE_LEN);
    v->more_evidence = sc->n_found - v->n_evidence + sc->dropped;
}

void classifier_classify(const classifier *c, const char *message, size_t len,
                         const classifier_options *options, classifier_verdict *v)
{
    classifier_options defaults = {0};
    if (options == NULL)
        options = &defaults;
    size_t max = options->max_scan_bytes ? options->max_scan_bytes : CLASSIFIER_DEFAULT_MAX_SCAN;
    const char *header = options->category_header ? options->category_header
                                                  : CLASSIFIER_DEFAULT_HEADER;
    const char *purpose_header = options->purpose_header ? options->purpose_header
                                                         : CLASSIFIER_DEFAULT_PURPOSE_HEADER;
    memset(v, 0, sizeof *v);

    /* The parser sees at most a bounded prefix, however much it was given. */
    message_scan ms;
    message_scan_run(&ms, message, len < 2 * max ? len : 2 * max, max);

    const signals *sig = c->sig;
    scoring *sc = g_new0(scoring, 1);
    sc->sig = sig;
    sc->seen = g_new0(unsigned char, (gsize)sig->count);

    classifier_category said = CATEGORY_PROMOTIONAL;
    bool has_header = read_category_header(sc, ms.msg, header, options->trust_header, &said) == 0;
    read_purpose(ms.msg, purpose_header, v);

    sc->subject_code = (voucher_ctx){ms.subject->str, ms.subject->len, ""};
    sc->body_code = (voucher_ctx){ms.body->str, ms.body->len, ""};
    sc->where = WHERE_SUBJECT;
    sc->where_name = "subject";
    sc->code = &sc->subject_code;
    matcher_scan(sig->words, ms.subject->str, ms.subject->len, on_word, sc);
    sc->where = WHERE_BODY;
    sc->where_name = "body";
    sc->code = &sc->body_code;
    matcher_scan(sig->words, ms.body->str, ms.body->len, on_word, sc);
    score_headers(sc, ms.msg);
    score_detectors(sc, &ms);
    if (ms.nesting_overflow)
        add_finding(sc, CATEGORY_PROMOTIONAL, 0, "structure:nesting-overflow");
    if (ms.truncated || len > 2 * max)
        add_finding(sc, CATEGORY_PROMOTIONAL, 0, "structure:scanned-first-%zu-bytes", max);
    if (ms.msg == NULL)
        add_finding(sc, CATEGORY_PROMOTIONAL, 0, "structure:unparseable");

    int promo = sc->score[CATEGORY_PROMOTIONAL];
    int bulk = sc->score[SIGNAL_BULK];
    int trans = sc->score[CATEGORY_TRANSACTIONAL];
    int after = sc->score[CATEGORY_AFTER_SALES];
    v->promotional_score = promo + bulk;
    v->transactional_score = trans;
    v->after_sales_score = after;
    /* After-sales mail names the order it is about, so a clear after-sales
     * signal decides between the two allowed categories. */
    classifier_category content_allowed = after >= sig->allowed_threshold || after > trans
                                              ? CATEGORY_AFTER_SALES
                                              : CATEGORY_TRANSACTIONAL;
    int best_allowed = sc->score[content_allowed];
    /* Advertising: a decisive promotional element (or enough indicative
     * ones), or indicative promotional content carried by the signs of mass
     * sending where it outweighs what speaks for a transaction. */
    bool advertising = promo >= sig->promotional_threshold ||
                       (promo > 0 && promo + bulk >= sig->promotional_threshold &&
                        promo + bulk > best_allowed);

    if (advertising) {
        /* Rule 1: advertising found; no header makes it anything else. */
        v->category = CATEGORY_PROMOTIONAL;
        v->source = has_header && said == CATEGORY_PROMOTIONAL ? SOURCE_HEADER_CONTENT
                                                               : SOURCE_CONTENT;
        v->confidence = promo + bulk >= 2 * sig->promotional_threshold ? 95 : 80;
        if (has_header && said != CATEGORY_PROMOTIONAL)
            add_finding(sc, CATEGORY_PROMOTIONAL, 1000, "overruled:header-said-%s",
                        classifier_category_name(said));
    } else if (has_header) {
        /* Rule 2: a trusted header, nothing stricter in the content. */
        v->category = said;
        bool agrees = said == CATEGORY_PROMOTIONAL
                          ? best_allowed < sig->allowed_threshold
                          : sc->score[said] >= sig->allowed_threshold;
        v->source = agrees ? SOURCE_HEADER_CONTENT : SOURCE_HEADER;
        v->confidence = agrees ? 95 : 85;
        gchar *lname = g_ascii_strdown(header, -1);
        add_finding(sc, said, 999, "header:%s=%s", lname, classifier_category_name(said));
        g_free(lname);
    } else if (best_allowed >= sig->allowed_threshold && best_allowed > promo + bulk) {
        /* Rule 3: content says transactional or after-sales clearly. */
        v->category = content_allowed;
        v->source = SOURCE_CONTENT;
        v->confidence = best_allowed - promo - bulk >= 2 * sig->allowed_threshold ? 85 : 65;
    } else {
        /* Fail safe: nothing says clearly that no consent is needed. */
        v->category = CATEGORY_PROMOTIONAL;
        v->source = SOURCE_CONTENT;
        v->confidence = promo + bulk > 0 ? 70 : 50;
        add_finding(sc, CATEGORY_PROMOTIONAL, 998,
                    "fail-safe:no-clear-transactional-or-after-sales-signal");
    }
    fill_evidence(sc, v->category, v);
    g_free(sc->seen);
    g_free(sc);
    message_scan_clear(&ms);
}
