/*
 * classify — scores a scanned message against the signals and turns the
 * scores into a verdict (the rules are documented in signals.conf).
 */
#include <stdio.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
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

/* ---- finding signals --------------------------------------------------- */

/* One piece of evidence waiting to be ranked into the verdict. */
typedef struct finding {
    int category; /* classifier_category or SIGNAL_BULK */
    int weight;
    /* A signal's evidence is written only if it makes it into the verdict
     * (most do not): then prefix and the signal's label make the text. */
    int signal;         /* -1: text holds the evidence */
    const char *prefix; /* "body:", "link:target ", ... */
    char text[CLASSIFIER_EVIDENCE_LEN];
} finding;

#define FINDINGS_MAX 64
/* Promotional hits kept for judging elements; a message with more has
 * advertised many times over already (and the overflow is said). */
#define PROMO_HITS_MAX 4096

/* Where a signal was found: the subject, or the body's block, link and
 * image it lies in (-1: none). */
enum { IN_SUBJECT = ELEMENT_LISTS, PLACES };

typedef struct promo_hit {
    int id;
    size_t end; /* in the folded subject or body */
    int el[PLACES];
} promo_hit;

typedef struct scoring {
    const signals *sig;
    const message_scan *ms;
    unsigned char *seen; /* per signal: counted already */
    int score[SIGNAL_CATEGORIES];
    size_t n_found, dropped;
    unsigned char *service_link; /* per link element: the sender's own service link */
    promo_hit *hits; /* grown as needed, up to PROMO_HITS_MAX */
    size_t n_hits, hits_room;
    bool hits_overflow;
    /* the scan in progress */
    int where;
    const char *where_name;
    int cursor[ELEMENT_LISTS]; /* the element of each list a body hit is in */
    voucher_ctx subject_code, body_code;
    voucher_ctx *code;
    finding found[FINDINGS_MAX]; /* last: not zeroed, written before read */
} scoring;

/* Cuts a UTF-8 character that a bounded print left half written. */
static void utf8_clip(char *s)
{
    size_t n = strlen(s);
    size_t i = n;
    while (i > 0 && ((unsigned char)s[i - 1] & 0xC0) == 0x80)
        i--;
    if (i == 0 || (unsigned char)s[i - 1] < 0xC0)
        return; /* ends in ASCII or a whole sequence of continuation bytes only */
    unsigned char lead = (unsigned char)s[i - 1];
    size_t want = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
    if (n - (i - 1) < want)
        s[i - 1] = '\0';
}

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
    f->signal = -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->text, sizeof f->text, fmt, ap);
    va_end(ap);
    utf8_clip(f->text);
}

/* Counts signal `index` for the message once; true if it was new. */
static bool count_once(scoring *sc, int index)
{
    const signal_rule *s = &sc->sig->list[index];
    if (sc->seen[index])
        return false;
    sc->seen[index] = 1;
    if (s->weight < 0)
        return false; /* counts only in its element (judge_elements) */
    sc->score[s->category] += s->weight;
    return true;
}

/* Counts signal `index` for the message once, with `text` as its evidence. */
static void count_signal(scoring *sc, int index, const char *text)
{
    const signal_rule *s = &sc->sig->list[index];
    if (count_once(sc, index))
        add_finding(sc, s->category, s->weight, "%s", text);
}

/* The same, its evidence `prefix"label"`, written only when needed. */
static void count_signal_as(scoring *sc, int index, const char *prefix)
{
    const signal_rule *s = &sc->sig->list[index];
    if (!count_once(sc, index))
        return;
    if (sc->n_found == FINDINGS_MAX) {
        sc->dropped++;
        return;
    }
    finding *f = &sc->found[sc->n_found++];
    f->category = s->category;
    f->weight = s->weight;
    f->signal = index;
    f->prefix = prefix;
}

/* Keeps a promotional signal's place for judging the element it is in. */
static void keep_promo_hit(scoring *sc, int id, size_t end, const int el[PLACES])
{
    if (sc->sig->list[id].category != CATEGORY_PROMOTIONAL)
        return;
    if (sc->n_hits == PROMO_HITS_MAX) {
        sc->hits_overflow = true;
        return;
    }
    if (sc->n_hits == sc->hits_room) {
        sc->hits_room = sc->hits_room ? 2 * sc->hits_room : 64;
        sc->hits = g_renew(promo_hit, sc->hits, sc->hits_room);
    }
    promo_hit *h = &sc->hits[sc->n_hits++];
    h->id = id;
    h->end = end;
    memcpy(h->el, el, sizeof h->el);
}

/* The element of list `l` that the body offset `pos` lies in, or -1. Hits
 * come in order, so each list's cursor only moves forward. */
static int element_at(scoring *sc, element_list l, size_t pos)
{
    const GArray *list = sc->ms->elements[l];
    int *c = &sc->cursor[l];
    while (*c < (int)list->len && g_array_index(list, element, *c).end <= pos)
        (*c)++;
    if (*c < (int)list->len && g_array_index(list, element, *c).start <= pos)
        return *c;
    return -1;
}

static void place_of(scoring *sc, size_t end, int el[PLACES])
{
    for (int l = 0; l < PLACES; l++)
        el[l] = -1;
    if (sc->where == WHERE_SUBJECT) {
        el[IN_SUBJECT] = 0;
        return;
    }
    size_t pos = end > 0 ? end - 1 : 0;
    for (int l = 0; l < ELEMENT_LISTS; l++)
        el[l] = element_at(sc, (element_list)l, pos);
}

static void on_word(int id, size_t end, void *ctx)
{
    scoring *sc = ctx;
    int el[PLACES];
    if (id == SIGNALS_VOUCHER_PREFIX) {
        int d = sc->sig->detector_signal[DETECTOR_VOUCHER_CODE];
        bool had = sc->code->code[0] != '\0';
        find_voucher_code(sc->code, end);
        if (d >= 0 && !had && sc->code->code[0] != '\0') {
            place_of(sc, end, el);
            keep_promo_hit(sc, d, end, el);
        }
        return;
    }
    const signal_rule *s = &sc->sig->list[id];
    /* Places matter only for promotional signals (judged per element) and
     * for words that count only in a link's anchor text. */
    bool placed = s->category == CATEGORY_PROMOTIONAL || s->where == WHERE_LINK;
    if (placed)
        place_of(sc, end, el);
    bool in_link = placed && el[ELEMENTS_LINK] >= 0;
    if (!(s->where & sc->where) && !(s->where == WHERE_LINK && in_link))
        return;
    if (placed)
        keep_promo_hit(sc, id, end, el);
    count_signal_as(sc, id, s->where == WHERE_LINK ? "link:" : sc->where_name);
}

/* ---- links: where they point --------------------------------------------- */

typedef struct link_scan {
    scoring *sc;
    int el[PLACES];
    size_t pos;   /* the link's place in the body, for its hits */
    bool service; /* points at the sender's own service: tracking, order, account, help */
    bool image;   /* an image's source, not a link's target */
} link_scan;

static void on_link(int id, size_t end, void *ctx)
{
    (void)end;
    link_scan *ls = ctx;
    const signal_rule *s = &ls->sc->sig->list[id];
    if (s->where == WHERE_IMAGE && !ls->image)
        return; /* an image-source pattern: not a link's target */
    if (s->category == CATEGORY_TRANSACTIONAL || s->category == CATEGORY_AFTER_SALES)
        ls->service = true;
    keep_promo_hit(ls->sc, id, ls->pos, ls->el);
    count_signal_as(ls->sc, id, ls->image ? "image:source " : "link:target ");
}

/* Every link's target and every image's source against the link patterns,
 * and the campaign tag: utm_campaign counts only on links that are not the
 * sender's own service links (a carrier tags its tracking links too). */
static void score_links(scoring *sc)
{
    const message_scan *ms = sc->ms;
    int utm = sc->sig->detector_signal[DETECTOR_UTM_CAMPAIGN];
    sc->where = WHERE_BODY;
    sc->service_link = g_new0(unsigned char, ms->elements[ELEMENTS_LINK]->len + 1);
    for (int l = ELEMENTS_LINK; l <= ELEMENTS_IMAGE; l++) {
        const GArray *list = ms->elements[l];
        sc->cursor[ELEMENTS_BLOCK] = 0;
        for (guint i = 0; i < list->len; i++) {
            const element *e = &g_array_index(list, element, i);
            if (e->url_end == e->url_start)
                continue;
            link_scan ls = {.sc = sc, .pos = e->start + 1, .image = l == ELEMENTS_IMAGE};
            for (int k = 0; k < PLACES; k++)
                ls.el[k] = -1;
            ls.el[l] = (int)i;
            ls.el[ELEMENTS_BLOCK] = element_at(sc, ELEMENTS_BLOCK, e->start);
            const char *url = ms->urls->str + e->url_start;
            size_t len = e->url_end - e->url_start;
            matcher_scan(sc->sig->links, url, len, on_link, &ls);
            if (!ls.image)
                sc->service_link[i] = ls.service;
            if (utm < 0 || ls.service || ls.image)
                continue;
            const char *tag = g_strstr_len(url, (gssize)len, "utm campaign ");
            if (tag == NULL)
                continue;
            keep_promo_hit(sc, utm, ls.pos, ls.el);
            if (sc->seen[utm])
                continue;
            tag += strlen("utm campaign ");
            size_t n = strcspn(tag, " ");
            char text[CLASSIFIER_EVIDENCE_LEN];
            snprintf(text, sizeof text, "link:utm-campaign \"%.*s\"", (int)(n < 40 ? n : 40),
                     tag);
            count_signal(sc, utm, text);
        }
    }
}

/* ---- product cards ------------------------------------------------------ */

/* A product card: a block with a price and a linked image whose link is
 * not the sender's own service link, the way recommendation shelves are
 * built ("Complete your look", "Noch mehr Lieblingsstücke entdecken": the
 * heading says anything, the cards are alike). An order's own item rows
 * rarely link their picture, and a tracking or order link is a service
 * link. `param` or more of them make the first one an advertising element. */
static void score_product_cards(scoring *sc)
{
    int d = sc->sig->detector_signal[DETECTOR_PRODUCT_CARDS];
    if (d < 0)
        return;
    const message_scan *ms = sc->ms;
    const GArray *blocks = ms->elements[ELEMENTS_BLOCK], *links = ms->elements[ELEMENTS_LINK],
                 *images = ms->elements[ELEMENTS_IMAGE];
    int cards = 0, first = -1;
    guint li = 0, ii = 0;
    for (guint bi = 0; bi < blocks->len; bi++) {
        const element *b = &g_array_index(blocks, element, bi);
        bool linked_image = false;
        while (li < links->len && g_array_index(links, element, li).start < b->start)
            li++;
        for (guint k = li; k < links->len && !linked_image; k++) {
            const element *l = &g_array_index(links, element, k);
            if (l->start >= b->end)
                break;
            if (sc->service_link[k])
                continue;
            while (ii < images->len && g_array_index(images, element, ii).start < l->start)
                ii++;
            for (guint j = ii; j < images->len; j++) {
                const element *im = &g_array_index(images, element, j);
                if (im->start > l->end)
                    break;
                linked_image = true;
                break;
            }
        }
        if (!linked_image || !text_has_price(ms->visible->str + b->vstart, b->vend - b->vstart))
            continue;
        if (first < 0)
            first = (int)bi;
        cards++;
    }
    if (cards < sc->sig->list[d].param)
        return;
    const element *b = &g_array_index(blocks, element, first);
    int el[PLACES] = {-1, -1, -1, -1};
    el[ELEMENTS_BLOCK] = first;
    keep_promo_hit(sc, d, b->end, el);
    char text[CLASSIFIER_EVIDENCE_LEN];
    snprintf(text, sizeof text, "body:product-cards (%d cards)", cards);
    count_signal(sc, d, text);
}

/* ---- elements: does one of them advertise? --------------------------------- */

typedef struct element_verdict {
    int place; /* element_list or IN_SUBJECT */
    int index;
    int score;
    size_t first_end; /* where its first promotional signal ends */
    int first_id;
} element_verdict;

#define ADVERTISING_MAX 3

static int by_place(const void *a, const void *b)
{
    const promo_hit *x = a, *y = b;
    for (int l = 0; l < PLACES; l++)
        if (x->el[l] != y->el[l])
            return x->el[l] < y->el[l] ? -1 : 1;
    if (x->end != y->end)
        return x->end < y->end ? -1 : 1;
    return x->id - y->id;
}

/* The signals counted in one element so far: each counts once there, and
 * of signals that cover the same words ("envío gratis" and "gratis") only
 * the heaviest counts. */
#define ELEMENT_SIGNALS_MAX 32

typedef struct element_tally {
    int ids[ELEMENT_SIGNALS_MAX];
    int n;
    size_t last_start, last_end; /* the last counted signal's words */
    int last_weight;
    bool any;
} element_tally;

static int tally_hit(element_tally *t, const signal_rule *s, int id, size_t end)
{
    for (int k = 0; k < t->n; k++)
        if (t->ids[k] == id)
            return 0;
    if (s->weight < 0) { /* takes back, whatever it overlaps */
        if (t->n < ELEMENT_SIGNALS_MAX)
            t->ids[t->n++] = id;
        return s->weight;
    }
    size_t start = end > (size_t)s->span ? end - (size_t)s->span : 0;
    if (t->any && start < t->last_end) { /* overlaps the last one: the heavier counts */
        if (s->weight <= t->last_weight)
            return 0;
        int gain = s->weight - t->last_weight;
        t->last_weight = s->weight;
        t->last_end = end;
        if (t->n < ELEMENT_SIGNALS_MAX)
            t->ids[t->n++] = id;
        return gain;
    }
    t->any = true;
    t->last_start = start;
    t->last_end = end;
    t->last_weight = s->weight;
    if (t->n < ELEMENT_SIGNALS_MAX)
        t->ids[t->n++] = id;
    return s->weight;
}

/* Sums each element's promotional signals and keeps the elements whose sum
 * reaches the threshold, strongest first. A link or image counts on its
 * own; its block counts what lies in it, links and images included. */
static size_t judge_elements(scoring *sc, element_verdict adv[ADVERTISING_MAX])
{
    size_t n_adv = 0;
    int threshold = sc->sig->promotional_threshold;
    promo_hit *sorted = g_new(promo_hit, sc->n_hits ? sc->n_hits : 1);
    /* Images and links first: at a tie with their block they are named,
     * since their target or source says most. */
    static const int order[PLACES] = {ELEMENTS_IMAGE, ELEMENTS_LINK, ELEMENTS_BLOCK, IN_SUBJECT};
    for (int o = 0; o < PLACES; o++) {
        int place = order[o];
        /* hits keyed by this place only, in text order */
        size_t n = 0;
        for (size_t i = 0; i < sc->n_hits; i++) {
            if (sc->hits[i].el[place] < 0)
                continue;
            sorted[n] = sc->hits[i];
            int key = sorted[n].el[place];
            for (int l = 0; l < PLACES; l++)
                sorted[n].el[l] = l == place ? key : 0;
            n++;
        }
        qsort(sorted, n, sizeof *sorted, by_place);
        for (size_t i = 0; i < n;) {
            int index = sorted[i].el[place];
            element_verdict ev = {place, index, 0, sorted[i].end, sorted[i].id};
            element_tally t = {.n = 0};
            for (; i < n && sorted[i].el[place] == index; i++)
                ev.score += tally_hit(&t, &sc->sig->list[sorted[i].id], sorted[i].id,
                                      sorted[i].end);
            if (ev.score < threshold)
                continue;
            size_t at;
            if (n_adv < ADVERTISING_MAX)
                at = n_adv++;
            else if (adv[ADVERTISING_MAX - 1].score < ev.score)
                at = ADVERTISING_MAX - 1;
            else
                continue;
            adv[at] = ev;
            for (size_t k = at; k > 0 && adv[k].score > adv[k - 1].score; k--) {
                element_verdict tmp = adv[k];
                adv[k] = adv[k - 1];
                adv[k - 1] = tmp;
            }
        }
    }
    g_free(sorted);
    return n_adv;
}

/* What to call a block in evidence: a P.S., the footer (the last quarter of
 * the text), or a block. */
static const char *block_name(const message_scan *ms, const element *e)
{
    const char *t = ms->body->str + e->start;
    size_t n = e->end - e->start;
    while (n > 0 && *t == ' ') {
        t++;
        n--;
    }
    if ((n >= 4 && memcmp(t, "p s ", 4) == 0) || (n >= 3 && memcmp(t, "ps ", 3) == 0) ||
        (n >= 4 && memcmp(t, "pps ", 4) == 0))
        return "ps";
    if (e->start >= ms->body->len - ms->body->len / 4)
        return "footer";
    return "block";
}

/* Appends visible text [from, to) to out with runs of blanks made one
 * space and invisible characters (zero-width padding of preheaders) left
 * out; bytes that are not UTF-8 read as '?'. */
static void quote_text(GString *out, const char *text, size_t from, size_t to)
{
    bool space = false;
    size_t i = from;
    while (i < to) {
        gunichar c = g_utf8_get_char_validated(text + i, (gssize)(to - i));
        size_t used = 1;
        if (c == (gunichar)-1 || c == (gunichar)-2)
            c = '?';
        else
            used = (size_t)(g_utf8_next_char(text + i) - (text + i));
        i += used;
        if (g_unichar_isspace(c) || c == 0xA0) {
            space = out->len > 0;
            continue;
        }
        if (g_unichar_type(c) == G_UNICODE_FORMAT || c == 0x034F || c < ' ')
            continue;
        if (space)
            g_string_append_c(out, ' ');
        space = false;
        g_string_append_unichar(out, c);
    }
}

#define QUOTE_MAX 90

/* The element's name and a quote of what the reader sees around its first
 * promotional signal. */
static void element_evidence(scoring *sc, const element_verdict *ev, char *out, size_t outsz)
{
    const message_scan *ms = sc->ms;
    const char *label = sc->sig->list[ev->first_id].label;
    if (ev->place == IN_SUBJECT) {
        const char *subject = ms->msg ? g_mime_object_get_header(ms->msg, "Subject") : NULL;
        GString *q = g_string_new(NULL);
        if (subject != NULL)
            quote_text(q, subject, 0, strlen(subject));
        snprintf(out, outsz, "subject:\"%s\" [%s]", q->str, label);
        g_string_free(q, TRUE);
        return;
    }
    const element *e = &g_array_index(ms->elements[ev->place], element, ev->index);
    const char *name = ev->place == ELEMENTS_LINK    ? "link"
                       : ev->place == ELEMENTS_IMAGE ? "image"
                                                     : block_name(ms, e);
    /* The folded offset maps onto the visible text in proportion. */
    size_t vlen = e->vend - e->vstart, flen = e->end - e->start;
    size_t at = e->vstart + (flen ? (ev->first_end - e->start) * vlen / flen : 0);
    size_t from = e->vstart, to = e->vend;
    if (to - from > QUOTE_MAX) {
        from = at > e->vstart + QUOTE_MAX * 2 / 3 ? at - QUOTE_MAX * 2 / 3 : e->vstart;
        to = from + QUOTE_MAX < e->vend ? from + QUOTE_MAX : e->vend;
    }
    const char *v = ms->visible->str;
    while (from > e->vstart && ((unsigned char)v[from] & 0xC0) == 0x80)
        from--;
    while (to < e->vend && ((unsigned char)v[to] & 0xC0) == 0x80)
        to++;
    GString *q = g_string_new(from > e->vstart ? "…" : "");
    quote_text(q, v, from, to);
    if (to < e->vend)
        g_string_append(q, "…");
    if ((ev->place == ELEMENTS_LINK || ev->place == ELEMENTS_IMAGE) && e->url_end > e->url_start)
        snprintf(out, outsz, "%s:\"%s\" %s %.64s [%s]", name, q->str,
                 ev->place == ELEMENTS_LINK ? "->" : "from", ms->raw_urls->str + e->raw_url, label);
    else
        snprintf(out, outsz, "%s:\"%s\" [%s]", name, q->str, label);
    g_string_free(q, TRUE);
}

/* ---- the verdict ------------------------------------------------------ */

/* One header against a header signal: its presence, or one of its values
 * (the first word of the header). */
static void score_header(scoring *sc, int i, GMimeHeader *h)
{
    const signal_rule *s = &sc->sig->list[i];
    if (sc->seen[i])
        return;
    char text[CLASSIFIER_EVIDENCE_LEN];
    if (s->values == NULL) {
        gchar *lower = g_ascii_strdown(s->label, -1);
        snprintf(text, sizeof text, "header:%s", lower);
        g_free(lower);
        count_signal(sc, i, text);
        return;
    }
    const char *value = g_mime_header_get_value(h);
    if (value == NULL)
        return;
    while (*value == ' ' || *value == '\t')
        value++;
    size_t n = strcspn(value, " \t;\r\n");
    for (char **v = s->values; *v != NULL; v++) {
        if (strlen(*v) == n && g_ascii_strncasecmp(*v, value, n) == 0) {
            gchar *lower = g_ascii_strdown(s->label, -1);
            snprintf(text, sizeof text, "header:%s=%s", lower, *v);
            g_free(lower);
            count_signal(sc, i, text);
            return;
        }
    }
}

/* The header signals, in one pass over the message's headers (looking each
 * signal's header up on its own compared every name with every header). */
static void score_headers(scoring *sc, GMimeObject *msg)
{
    if (msg == NULL)
        return;
    GMimeHeaderList *headers = g_mime_object_get_header_list(msg);
    int count = g_mime_header_list_get_count(headers);
    for (int k = 0; k < count; k++) {
        GMimeHeader *h = g_mime_header_list_get_header_at(headers, k);
        const char *name = g_mime_header_get_name(h);
        if (name == NULL)
            continue;
        for (int j = 0; j < sc->sig->n_header_signals; j++) {
            int i = sc->sig->header_signals[j];
            const char *label = sc->sig->list[i].label;
            if (g_ascii_tolower(label[0]) == g_ascii_tolower(name[0]) &&
                g_ascii_strcasecmp(label, name) == 0)
                score_header(sc, i, h);
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
            /* Ranked right after what decided: it says why a label the
             * sender set did not count. */
            add_finding(sc, CATEGORY_PROMOTIONAL, 1400, "header:%s=\"%.30s\" (unknown, ignored)",
                        lname, value ? value : "");
        } else if (!trusted) {
            add_finding(sc, CATEGORY_PROMOTIONAL, 1400, "header:%s=%s (untrusted sender, ignored)",
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
    for (size_t i = 0; i < sc->n_found && v->n_evidence < CLASSIFIER_EVIDENCE_MAX; i++) {
        const finding *f = &sc->found[i];
        char *out = v->evidence[v->n_evidence++];
        if (f->signal < 0) {
            memcpy(out, f->text, CLASSIFIER_EVIDENCE_LEN);
            continue;
        }
        snprintf(out, CLASSIFIER_EVIDENCE_LEN, "%s\"%s\"", f->prefix,
                 sc->sig->list[f->signal].label);
        utf8_clip(out);
    }
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
    message_scan_run(&ms, message, len < 2 * max ? len : 2 * max, max, options->null_sender);

    const signals *sig = c->sig;
    /* Zeroed up to the findings, which are written before they are read. */
    scoring *sc = g_new(scoring, 1);
    memset(sc, 0, offsetof(scoring, found));
    sc->sig = sig;
    sc->ms = &ms;
    sc->seen = g_new0(unsigned char, (gsize)sig->count);

    classifier_category said = CATEGORY_PROMOTIONAL;
    bool has_header = read_category_header(sc, ms.msg, header, options->trust_header, &said) == 0;
    read_purpose(ms.msg, purpose_header, v);

    sc->subject_code = (voucher_ctx){ms.subject->str, ms.subject->len, ""};
    sc->body_code = (voucher_ctx){ms.body->str, ms.body->len, ""};
    sc->where = WHERE_SUBJECT;
    sc->where_name = "subject:";
    sc->code = &sc->subject_code;
    matcher_scan(sig->words, ms.subject->str, ms.subject->len, on_word, sc);
    sc->where = WHERE_BODY;
    sc->where_name = "body:";
    sc->code = &sc->body_code;
    matcher_scan(sig->words, ms.body->str, ms.body->len, on_word, sc);
    score_links(sc);
    score_product_cards(sc);
    score_headers(sc, ms.msg);
    score_detectors(sc, &ms);

    /* What could not be read is said, and makes the mail count as
     * advertising: the part not read may be where it advertises. */
    bool unread = false;
    if (ms.nesting_overflow) {
        add_finding(sc, CATEGORY_PROMOTIONAL, 997, "structure:nesting-overflow");
        unread = true;
    }
    if (ms.truncated || len > 2 * max) {
        add_finding(sc, CATEGORY_PROMOTIONAL, 997, "structure:scanned-first-%zu-bytes", max);
        unread = true;
    }
    if (ms.elements_overflow || sc->hits_overflow) {
        add_finding(sc, CATEGORY_PROMOTIONAL, 997, "structure:too-many-elements");
        unread = true;
    }
    if (ms.msg == NULL)
        add_finding(sc, CATEGORY_PROMOTIONAL, 0, "structure:unparseable");
    /* A delivery report from the null sender (a bounce, a read receipt)
     * goes back to the sender about a message it sent: transactional
     * where none of its own elements advertises. The returned message was
     * not read; from any other sender it is read like any attached one. */
    if (ms.delivery_report && options->null_sender) {
        sc->score[CATEGORY_TRANSACTIONAL] += sig->allowed_threshold;
        add_finding(sc, CATEGORY_TRANSACTIONAL, 990, "structure:delivery-report-from-null-sender");
    }

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

    /* Advertising (LEGAL.md): one element that advertises — alone, or with
     * what else that block, link or image says — makes the whole mail
     * promotional, whatever surrounds it. Mass mailing (list headers,
     * unsubscribe links) whose promotional content reaches the threshold
     * across its elements counts so too. Transactional and after-sales evidence never outweighs either. */
    element_verdict adv[ADVERTISING_MAX];
    size_t n_adv = judge_elements(sc, adv);
    for (size_t i = 0; i < n_adv; i++) {
        char text[CLASSIFIER_EVIDENCE_LEN];
        element_evidence(sc, &adv[i], text, sizeof text);
        add_finding(sc, CATEGORY_PROMOTIONAL, 2000 - (int)i, "%s", text);
    }
    bool mass = bulk >= sig->mass_threshold && promo >= sig->promotional_threshold;
    if (mass && n_adv == 0)
        add_finding(sc, CATEGORY_PROMOTIONAL, 1500, "mass-mailing:bulk %d + promotional %d", bulk,
                    promo);
    bool advertising = n_adv > 0 || mass || unread;

    if (advertising) {
        /* Rule 1: advertising found; no header makes it anything else. */
        v->category = CATEGORY_PROMOTIONAL;
        v->source = has_header && said == CATEGORY_PROMOTIONAL ? SOURCE_HEADER_CONTENT
                                                               : SOURCE_CONTENT;
        v->confidence = n_adv > 0 && adv[0].score >= 2 * sig->promotional_threshold ? 95 : 80;
        if (has_header && said != CATEGORY_PROMOTIONAL)
            add_finding(sc, CATEGORY_PROMOTIONAL, 3000, "overruled:header-said-%s",
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
    } else if (best_allowed >= sig->allowed_threshold) {
        /* Rule 3: content says transactional or after-sales clearly, and no
         * element advertises. */
        v->category = content_allowed;
        v->source = SOURCE_CONTENT;
        v->confidence = promo + bulk == 0 && best_allowed >= 2 * sig->allowed_threshold ? 85 : 65;
    } else {
        /* Fail safe: nothing says clearly that no consent is needed. */
        v->category = CATEGORY_PROMOTIONAL;
        v->source = SOURCE_CONTENT;
        v->confidence = promo + bulk > 0 ? 70 : 50;
        add_finding(sc, CATEGORY_PROMOTIONAL, 998,
                    "fail-safe:no-clear-transactional-or-after-sales-signal");
    }
    fill_evidence(sc, v->category, v);
    g_free(sc->hits);
    g_free(sc->service_link);
    g_free(sc->seen);
    g_free(sc);
    message_scan_clear(&ms);
}
