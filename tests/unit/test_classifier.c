/*
 * test_classifier — the classifier's parts (folding, matching, HTML, signals
 * file) and its behaviour on labelled, unlabelled and hostile messages.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "classifier.h"
#include "fold.h"
#include "matcher.h"
#include "charsets.h"
#include "signals.h"
#include "textscan.h"

static classifier *cls;

static void setup(void)
{
    char err[CLASSIFIER_ERR_MAX] = "";
    cls = classifier_new(NULL, err);
    ck_assert_msg(cls != NULL, "%s", err);
}

static void teardown(void)
{
    classifier_free(cls);
}

static classifier_verdict classify(const char *msg, bool trusted)
{
    classifier_options o = {.trust_header = trusted};
    classifier_verdict v;
    classifier_classify(cls, msg, strlen(msg), &o, &v);
    return v;
}

static bool has_evidence(const classifier_verdict *v, const char *text)
{
    for (size_t i = 0; i < v->n_evidence; i++)
        if (strstr(v->evidence[i], text) != NULL)
            return true;
    return false;
}

static char *folded(const char *text)
{
    GString *s = g_string_new(NULL);
    fold_append(s, text, strlen(text), 1 << 20);
    return g_string_free(s, FALSE);
}

START_TEST(test_fold)
{
    char *f = folded("Rückruf: SICHERHEITSHINWEIS für Ihr Gerät!  Straße");
    ck_assert_str_eq(f, "rueckruf sicherheitshinweis fuer ihr geraet strasse");
    g_free(f);
    f = folded("20% Rabatt – nur heute… Café");
    ck_assert_str_eq(f, "20% rabatt nur heute cafe");
    g_free(f);
    f = folded("Preis: 9,99 €");
    ck_assert_str_eq(f, "preis 9 99 eur ");
    g_free(f);
    /* invalid UTF-8 read as Windows-1252: "R\xfc" is "Rü" */
    f = folded("R\xfc" "ckruf \x80 5");
    ck_assert_str_eq(f, "rueckruf eur 5");
    g_free(f);
    /* a NUL byte is a separator, not the end */
    GString *s = g_string_new(NULL);
    fold_append(s, "abc\0def", 7, 100);
    ck_assert_str_eq(s->str, "abc def");
    /* two appends never join words */
    fold_append(s, "ghi", 3, 100);
    ck_assert_str_eq(s->str, "abc def ghi");
    /* the bound holds */
    fold_append(s, "jjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjj", 37, 20);
    ck_assert_uint_le(s->len, 20);
    g_string_free(s, TRUE);
    char *k = fold_keyword("  Das könnte Ihnen auch gefallen! ");
    ck_assert_str_eq(k, "das koennte ihnen auch gefallen");
    g_free(k);
}
END_TEST

typedef struct hits {
    int ids[16];
    size_t ends[16];
    int n;
} hits;

static void on_hit(int id, size_t end, void *ctx)
{
    hits *h = ctx;
    if (h->n < 16) {
        h->ids[h->n] = id;
        h->ends[h->n++] = end;
    }
}

START_TEST(test_matcher)
{
    matcher *m = matcher_new();
    matcher_add(m, "rabatt", 1, true, true);
    matcher_add(m, "rabatt", 2, false, true); /* "*rabatt" */
    matcher_add(m, "gutschein", 3, true, false); /* "gutschein*" */
    matcher_add(m, "you may also like", 4, true, true);
    matcher_add(m, "also", 5, true, true);
    matcher_compile(m);
    const char *text = "sommerrabatt und rabatt gutscheine you may also like";
    hits h = {0};
    matcher_scan(m, text, strlen(text), on_hit, &h);
    ck_assert_int_eq(h.n, 6);
    ck_assert_int_eq(h.ids[0], 2); /* sommerrabatt: only the open-start pattern */
    ck_assert_int_eq(h.ends[0], 12);
    ck_assert(h.ids[1] + h.ids[2] == 3); /* rabatt: both */
    ck_assert_int_eq(h.ids[3], 3);
    ck_assert_int_eq(h.ids[4], 5);
    ck_assert_int_eq(h.ids[5], 4);
    h.n = 0;
    matcher_scan(m, "rabatte", 7, on_hit, &h); /* closed end: no match */
    ck_assert_int_eq(h.n, 0);
    matcher_free(m);
}
END_TEST

/* More states than the 16-bit table can number: the 32-bit one serves,
 * and finds the same. */
START_TEST(test_matcher_many_states)
{
    for (int big = 0; big <= 1; big++) {
        matcher *m = matcher_new();
        int n = big ? 4000 : 100; /* 4000 words of 12 letters: about 40,000 states */
        for (int i = 0; i < n; i++) {
            char w[13];
            unsigned x = (unsigned)i * 2654435761u;
            for (int k = 0; k < 12; k++, x = x * 1103515245u + 12345u)
                w[k] = (char)('a' + (x >> 16) % 26);
            w[12] = '\0';
            matcher_add(m, w, i, true, true);
            if (i == n - 1) {
                matcher_compile(m);
                gchar *text = g_strdup_printf("vorher %s nachher", w);
                hits h = {0};
                matcher_scan(m, text, strlen(text), on_hit, &h);
                ck_assert_int_eq(h.n, 1);
                ck_assert_int_eq(h.ids[0], n - 1);
                ck_assert_uint_eq(h.ends[0], strlen("vorher ") + 12);
                g_free(text);
            }
        }
        matcher_free(m);
    }
}
END_TEST

/* A long text is scanned in parts at once: every match is still found
 * exactly once and in text order, those across the parts' borders too. */
typedef struct all_hits {
    int ids[4096];
    size_t ends[4096];
    int n;
} all_hits;

static void on_any_hit(int id, size_t end, void *ctx)
{
    all_hits *h = ctx;
    if (h->n < 4096) {
        h->ids[h->n] = id;
        h->ends[h->n++] = end;
    }
}

START_TEST(test_matcher_parts)
{
    static const char *const words[] = {"gutschein", "you may also like", "rabatt", "also"};
    matcher *m = matcher_new();
    for (int i = 0; i < 4; i++)
        matcher_add(m, words[i], i, true, i != 2);
    matcher_compile(m);
    /* filler and the words, so that some lie across every quarter of it */
    GString *t = g_string_new(NULL);
    for (int i = 0; t->len < 20000; i++)
        g_string_append(t, i % 7 == 3 ? "you may also like " : i % 5 == 1 ? "gutschein " :
                           i % 11 == 0 ? "rabatte " : "lorem ipsum ");
    all_hits h = {.n = 0};
    matcher_scan(m, t->str, t->len, on_any_hit, &h);
    /* what a plain search finds, word by word */
    all_hits want = {.n = 0};
    for (size_t end = 1; end <= t->len; end++)
        for (int i = 0; i < 4; i++) {
            size_t n = strlen(words[i]);
            if (end < n || memcmp(t->str + end - n, words[i], n) != 0)
                continue;
            size_t start = end - n;
            bool ok_start = start == 0 || t->str[start - 1] == ' ';
            bool ok_end = i == 2 || end == t->len || t->str[end] == ' ';
            if (ok_start && ok_end)
                on_any_hit(i, end, &want);
        }
    ck_assert_int_gt(want.n, 100);
    ck_assert_int_eq(h.n, want.n);
    for (int k = 0; k < h.n; k++) {
        ck_assert_uint_eq(h.ends[k], want.ends[k]);
        if (k > 0)
            ck_assert_uint_ge(h.ends[k], h.ends[k - 1]);
    }
    g_string_free(t, TRUE);
    matcher_free(m);
}
END_TEST

START_TEST(test_html_to_text)
{
    const char *html = "<html><head><style>p{color:red}</style><script>var x='<p>';</script>"
                       "</head><body><!-- hidden <b> comment -->"
                       "<p>Gr&uuml;&szlig;e &amp; Dank&#33;&#x20AC;</p>"
                       "<a href=\"https://shop.example.com/?utm_campaign=summer-sale&x=1\">Shop</a>"
                       "<a href='http://example.com/2'>Zwei</a>&bogus; &#99999999; "
                       "<img src=x.png alt=\"Jetzt &amp; hier\"><unclosed";
    GString *out = g_string_new(NULL);
    text_stats st = {0};
    GArray *marks = g_array_new(FALSE, FALSE, sizeof(text_mark));
    html_to_text(html, strlen(html), out, 1 << 20, &st, marks);
    ck_assert_ptr_nonnull(strstr(out->str, "Grüße & Dank!€"));
    ck_assert_ptr_null(strstr(out->str, "color"));
    ck_assert_ptr_null(strstr(out->str, "var x"));
    ck_assert_ptr_null(strstr(out->str, "comment"));
    ck_assert_ptr_nonnull(strstr(out->str, "Shop"));
    ck_assert_ptr_nonnull(strstr(out->str, "&bogus;"));
    ck_assert_int_eq(st.links, 2);
    /* Elements: the paragraph is a block; each link opens with its target
     * and closes after its anchor text; the image's alt text is marked. */
    int opens = 0, closes = 0, alts = 0, blocks = 0;
    for (guint i = 0; i < marks->len; i++) {
        const text_mark *m = &g_array_index(marks, text_mark, i);
        if (m->kind == MARK_LINK_OPEN) {
            const char *want = opens == 0 ? "https://shop.example.com/?utm_campaign=summer-sale&x=1"
                                          : "http://example.com/2";
            ck_assert_uint_eq(m->url_len, strlen(want));
            ck_assert(memcmp(m->url, want, m->url_len) == 0);
            const text_mark *close = &g_array_index(marks, text_mark, i + 1);
            ck_assert_int_eq(close->kind, MARK_LINK_CLOSE);
            gchar *anchor = g_strndup(out->str + m->pos, close->pos - m->pos);
            ck_assert_ptr_nonnull(strstr(anchor, opens == 0 ? "Shop" : "Zwei"));
            g_free(anchor);
            opens++;
        }
        closes += m->kind == MARK_LINK_CLOSE;
        blocks += m->kind == MARK_BLOCK;
        if (m->kind == MARK_IMAGE_OPEN) {
            const text_mark *close = &g_array_index(marks, text_mark, i + 1);
            ck_assert_int_eq(close->kind, MARK_IMAGE_CLOSE);
            gchar *alt = g_strndup(out->str + m->pos, close->pos - m->pos);
            ck_assert_str_eq(alt, "Jetzt & hier");
            g_free(alt);
            alts++;
        }
    }
    ck_assert_int_eq(opens, 2);
    ck_assert_int_eq(closes, 2);
    ck_assert_int_eq(alts, 1);
    ck_assert_int_ge(blocks, 2);
    g_array_unref(marks);
    g_string_free(out, TRUE);

    text_stats p = {0};
    const char *prices = "Je 19,99 € statt EUR 29,99 oder $5 oder 3 CHF, nicht: EURO, € allein";
    scan_prices(prices, strlen(prices), &p);
    ck_assert_int_eq(p.prices, 4);
}
END_TEST

START_TEST(test_signals_file_errors)
{
    static const struct bad {
        const char *text, *what;
    } bad[] = {
        {"threshold promotional 50\nthreshold allowed 30\nword promotional 60 any\n", "x:3:"},
        {"threshold promotional 50\nthreshold allowed 30\nword promo 60 any x\n", "unknown category"},
        {"threshold promotional 50\nthreshold allowed 30\nword promotional 0 any x\n", "weight"},
        {"threshold promotional 50\nthreshold allowed 30\nword promotional 10 head x\n", "where"},
        {"threshold promotional 50\nthreshold allowed 30\nword promotional 10 any \"!!\"\n", "no letters"},
        {"threshold promotional 50\nthreshold allowed 30\nheader promotional 10 \"Bad:Name\"\n", "header name"},
        {"threshold promotional 50\nthreshold allowed 30\ndetector promotional 10 magic\n", "unknown detector"},
        {"threshold promotional 50\nthreshold allowed 30\ndetector promotional 10 price-list x\n", "count"},
        {"threshold promotional 50\nthreshold allowed 30\nsomething else\n", "unknown line kind"},
        {"threshold promotional 50\nthreshold allowed 30\nword promotional 10 any \"open\n", "split"},
        {"threshold promotional 50\n", "threshold allowed"},
        {"threshold promotional 50\nthreshold allowed 30\nword promotional 10 any caf\xe9\n", "UTF-8"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[256] = "";
        signals *s = signals_parse(bad[i].text, "x", err, sizeof err);
        ck_assert_msg(s == NULL, "accepted bad signals %zu", i);
        ck_assert_msg(strstr(err, bad[i].what) != NULL, "%zu: '%s' lacks '%s'", i, err,
                      bad[i].what);
    }
    /* a file whose patterns would build a matcher of gigabytes */
    GString *huge = g_string_new("threshold promotional 50\nthreshold allowed 30\n");
    for (int i = 0; i < 20000; i++)
        g_string_append_printf(huge, "word promotional 10 any wort%dx\n", i);
    char err[256] = "";
    ck_assert_ptr_null(signals_parse(huge->str, "x", err, sizeof err));
    ck_assert_msg(strstr(err, "patterns exceed") != NULL, "%s", err);
    g_string_free(huge, TRUE);
    signals *s = signals_parse(classifier_builtin_signals(), "built-in", err, sizeof err);
    ck_assert_msg(s != NULL, "%s", err);
    ck_assert_int_gt(s->count, 100);
    signals_free(s);
    char cerr[CLASSIFIER_ERR_MAX];
    ck_assert_ptr_null(classifier_new("/nonexistent/signals.conf", cerr));
    ck_assert_ptr_nonnull(strstr(cerr, "cannot read"));
}
END_TEST

#define ORDER                                                                                   \
    "From: shop@example.de\r\nTo: kunde@example.com\r\nSubject: Ihre Bestellung 4711\r\n"     \
    "Content-Type: text/plain; charset=utf-8\r\n"

START_TEST(test_header_trust)
{
    const char *msg = ORDER "X-Mail-Category: Order\r\n\r\nDanke. Ihre Bestellnummer: 4711.\r\n";
    classifier_verdict v = classify(msg, true);
    ck_assert_int_eq(v.category, CATEGORY_TRANSACTIONAL);
    ck_assert_int_eq(v.source, SOURCE_HEADER_CONTENT);
    ck_assert(has_evidence(&v, "header:x-mail-category=transactional"));
    v = classify(msg, false);
    ck_assert_int_eq(v.category, CATEGORY_TRANSACTIONAL);
    ck_assert_int_eq(v.source, SOURCE_CONTENT);
    ck_assert(has_evidence(&v, "untrusted"));

    /* a trusted label with bland content: the header decides */
    const char *bland = "From: a@example.de\r\nSubject: Info\r\nX-Mail-Category: after-sales\r\n"
                        "\r\nHallo.\r\n";
    v = classify(bland, true);
    ck_assert_int_eq(v.category, CATEGORY_AFTER_SALES);
    ck_assert_int_eq(v.source, SOURCE_HEADER);
    /* the same untrusted: nothing says it may go: promotional */
    v = classify(bland, false);
    ck_assert_int_eq(v.category, CATEGORY_PROMOTIONAL);
    ck_assert(has_evidence(&v, "fail-safe"));
    /* an unknown value is ignored, never mapped */
    const char *odd = "From: a@example.de\r\nSubject: Info\r\nX-Mail-Category: notification\r\n"
                      "\r\nHallo.\r\n";
    v = classify(odd, true);
    ck_assert_int_eq(v.category, CATEGORY_PROMOTIONAL);
    ck_assert(has_evidence(&v, "unknown, ignored"));
    /* two labels: the stricter wins */
    const char *two = "From: a@example.de\r\nSubject: Ihre Rechnung\r\nX-Mail-Category: invoice\r\n"
                      "X-Mail-Category: newsletter\r\n\r\nRechnung anbei.\r\n";
    v = classify(two, true);
    ck_assert_int_eq(v.category, CATEGORY_PROMOTIONAL);
    /* a custom header name */
    classifier_options o = {.trust_header = true, .category_header = "X-Shop-Type"};
    const char *custom = "From: a@example.de\r\nSubject: Info\r\nX-Shop-Type: shipping\r\n\r\nHi\r\n";
    classifier_classify(cls, custom, strlen(custom), &o, &v);
    ck_assert_int_eq(v.category, CATEGORY_TRANSACTIONAL);
}
END_TEST

START_TEST(test_content_is_stricter)
{
    const char *msg = ORDER "X-Mail-Category: transactional\r\n\r\n"
                            "Danke fuer Ihre Bestellung.\r\n\r\n"
                            "P.S.: Mit dem Code DANKE10 sparen Sie beim naechsten Einkauf.\r\n";
    classifier_verdict v = classify(msg, true);
    ck_assert_int_eq(v.category, CATEGORY_PROMOTIONAL);
    ck_assert_int_eq(v.source, SOURCE_CONTENT);
    ck_assert(has_evidence(&v, "overruled:header-said-transactional"));
    ck_assert(has_evidence(&v, "body:voucher-code \"DANKE10\""));
    /* a header stricter than content is never relaxed */
    const char *strict = ORDER "X-Mail-Category: promotional\r\n\r\nIhre Bestellnummer 4711\r\n";
    v = classify(strict, true);
    ck_assert_int_eq(v.category, CATEGORY_PROMOTIONAL);
}
END_TEST

#define HTML_ORDER                                                                              \
    "From: shop@example.de\r\nTo: kunde@example.com\r\nSubject: Ihre Bestellung 4711\r\n"     \
    "MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"                     \
    "<html><head><style>.survey-slot{display:none} .promo-banner{color:red}</style></head>"   \
    "<body><!-- promo slot: Gutscheincode SOMMER20 -->"                                        \
    "<table><tr><td>Vielen Dank für Ihre Bestellung 4711.</td></tr>"                          \
    "<tr><td>Zwischensumme</td><td>59,85 €</td></tr>"                                          \
    "<tr><td>Gutschein WILLKOMMEN10 (eingelöst)</td><td>-5,00 €</td></tr>"                    \
    "<tr><td>Versand</td><td>Gratis</td></tr>"                                                 \
    "<tr><td><a href=\"https://track.example.de/t?id=1&utm_campaign=versand\">"              \
    "Sendung verfolgen</a></td></tr>"

/* What a reader does not see is not read; an applied discount and a carrier's
 * tagged tracking link are part of the transaction. */
START_TEST(test_elements_only_what_a_reader_sees)
{
    const char *msg = HTML_ORDER "<tr><td>Ihr Team</td></tr></table></body></html>";
    classifier_verdict v = classify(msg, false);
    ck_assert_msg(v.category == CATEGORY_TRANSACTIONAL, "got %d: %s", v.category, v.evidence[0]);
    ck_assert(!has_evidence(&v, "utm-campaign"));
    ck_assert(!has_evidence(&v, "survey"));
    ck_assert(!has_evidence(&v, "SOMMER20"));
}
END_TEST

/* One element that advertises makes the mail promotional, and the evidence
 * names it and quotes it. */
START_TEST(test_elements_one_advertises)
{
    static const struct {
        const char *tail, *evidence;
    } cases[] = {
        {"<tr><td>P.S. 20 % auf Ihre nächste Bestellung mit dem Code HERBST20</td></tr>",
         "ps:\"P.S. 20 % auf Ihre nächste Bestellung"},
        {"<tr><td><a href=\"https://apps.apple.com/de/app/shop/id1\"><img src=\"b.png\" "
         "alt=\"Laden im\"></a></td></tr>",
         "apps.apple.com"},
        {"<tr><td><img src=\"https://cdn.example.de/img/promo_winter.jpg\" alt=\"Winter\"></td></tr>",
         "image:\"Winter\" from https://cdn.example.de/img/promo_winter.jpg"},
        {"<tr><td>Wie war Ihre Lieferung?</td></tr><tr><td><a href=\"https://x.example/1\">Gut</a> "
         "<a href=\"https://x.example/2\">Nicht gut</a></td></tr>",
         ":\"Wie war Ihre Lieferung?\""},
        {"<tr><td>Bis zu 50 % Rabatt auf Gartenmöbel – jetzt shoppen</td></tr>",
         ":\"Bis zu 50 % Rabatt"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        gchar *msg = g_strconcat(HTML_ORDER, cases[i].tail, "</table></body></html>", NULL);
        classifier_verdict v = classify(msg, false);
        ck_assert_msg(v.category == CATEGORY_PROMOTIONAL, "case %zu: got %d", i, v.category);
        ck_assert_msg(has_evidence(&v, cases[i].evidence), "case %zu: evidence %s", i,
                      v.evidence[0]);
        g_free(msg);
    }
}
END_TEST

/* A recommendation shelf is found by its shape whatever its heading says:
 * blocks that each hold a price and a linked image (not a service link).
 * The order's own item rows, pictures not linked, are not cards. */
START_TEST(test_elements_product_cards)
{
    GString *m = g_string_new(HTML_ORDER "<tr><td>Lass dich inspirieren</td></tr><tr>");
    for (int i = 1; i <= 3; i++)
        g_string_append_printf(m,
                               "<td><a href=\"https://shop.example.de/p/%d?utm_campaign=xsell\">"
                               "<img src=\"https://shop.example.de/img/%d.jpg\" "
                               "alt=\"Pullover %d\"></a><br>Pullover %d<br><b>49,95 €</b></td>",
                               i, i, i, i);
    g_string_append(m, "</tr></table></body></html>");
    classifier_verdict v = classify(m->str, false);
    ck_assert_int_eq(v.category, CATEGORY_PROMOTIONAL);
    ck_assert(has_evidence(&v, "product-cards (3 cards)"));
    /* the same rows with pictures not linked: the order's own items */
    g_string_assign(m, HTML_ORDER "<tr>");
    for (int i = 1; i <= 3; i++)
        g_string_append_printf(m, "<td><img src=\"https://shop.example.de/img/%d.jpg\" "
                                  "alt=\"Pullover %d\"><br>Pullover %d<br>1 × 49,95 €</td>",
                               i, i, i);
    g_string_append(m, "</tr></table></body></html>");
    v = classify(m->str, false);
    ck_assert_int_eq(v.category, CATEGORY_TRANSACTIONAL);
    g_string_free(m, TRUE);
}
END_TEST

/* Indicative words count together only inside one element: "up to a week"
 * in one block and "sales tax" in another do not add up to an offer. */
START_TEST(test_elements_weak_words_apart)
{
    const char *msg = "From: shop@example.com\r\nSubject: Your order #4711 has shipped\r\n"
                      "Content-Type: text/plain; charset=utf-8\r\n\r\n"
                      "Your order #4711 has shipped. Tracking number 1Z999.\r\n\r\n"
                      "Please allow up to a week for delivery.\r\n\r\n"
                      "Prices include sales tax where applicable.\r\n\r\n"
                      "Track your order: https://shop.example.com/orders/4711?utm_campaign=ship\r\n";
    classifier_verdict v = classify(msg, false);
    ck_assert_msg(v.category == CATEGORY_TRANSACTIONAL, "got %d: %s", v.category, v.evidence[0]);
    /* the same weak words in one paragraph with an offer do advertise */
    const char *offer = "From: shop@example.com\r\nSubject: Your order #4711 has shipped\r\n"
                        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
                        "Your order #4711 has shipped. Tracking number 1Z999.\r\n\r\n"
                        "Save up to 30% - shop now, while stocks last.\r\n";
    v = classify(offer, false);
    ck_assert_int_eq(v.category, CATEGORY_PROMOTIONAL);
}
END_TEST

/* A signals file: link and image lines, link-only words, negative weights,
 * and their errors. */
START_TEST(test_signals_links_and_negative_weights)
{
    const char *text = "threshold promotional 50\nthreshold allowed 30\n"
                       "word transactional 50 any bestellung\n"
                       "word promotional 60 link \"jetzt testen\"\n"
                       "word promotional 60 any gutschein\n"
                       "word promotional -30 any eingelöst\n"
                       "link promotional 60 apps.apple.com\n"
                       "image promotional 60 *promo*\n";
    char err[256] = "";
    signals *s = signals_parse(text, "t.conf", err, sizeof err);
    ck_assert_msg(s != NULL, "%s", err);
    signals_free(s);
    const char *bad[] = {"threshold promotional 50\nthreshold allowed 30\nword transactional -5 any x\n",
                         "threshold promotional 50\nthreshold allowed 30\nlink promotional 0 x\n",
                         "threshold promotional 50\nthreshold allowed 30\nimage promotional 10\n"};
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        ck_assert_ptr_null(signals_parse(bad[i], "t.conf", err, sizeof err));
        ck_assert_ptr_nonnull(strstr(err, "t.conf:3:"));
    }
}
END_TEST

#define RETURNED                                                                                \
    "--b\r\nContent-Type: message/rfc822\r\n\r\n"                                              \
    "From: shop@example.net\r\nSubject: Sale! 50% off\r\n\r\n"                                 \
    "Shop now: 50% off everything with code SALE50\r\n--b--\r\n"

/* An attached message is read (mail programs show it inline); the message a
 * bounce returns to its own sender is not, when the envelope says bounce. */
START_TEST(test_attached_and_returned_messages)
{
    const char *attached = "From: shop@example.de\r\nSubject: Ihre Bestellung 4711\r\n"
                           "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
                           "--b\r\nContent-Type: text/plain\r\n\r\nIhre Bestellnummer 4711.\r\n" RETURNED;
    classifier_verdict v = classify(attached, false);
    ck_assert_int_eq(v.category, CATEGORY_PROMOTIONAL);
    const char *report = "From: MAILER-DAEMON@example.net\r\nSubject: Returned mail\r\n"
                         "MIME-Version: 1.0\r\nContent-Type: multipart/report; "
                         "report-type=delivery-status; boundary=\"b\"\r\n\r\n"
                         "--b\r\nContent-Type: text/plain\r\n\r\nThe message could not be "
                         "delivered to <no@example.com>.\r\n"
                         "--b\r\nContent-Type: message/delivery-status\r\n\r\n"
                         "Final-Recipient: rfc822; no@example.com\r\nAction: failed\r\n\r\n" RETURNED;
    classifier_options o = {.trust_header = false};
    classifier_classify(cls, report, strlen(report), &o, &v);
    ck_assert_int_eq(v.category, CATEGORY_PROMOTIONAL); /* dressed as a bounce: read */
    o.null_sender = true;
    classifier_classify(cls, report, strlen(report), &o, &v);
    ck_assert_int_eq(v.category, CATEGORY_TRANSACTIONAL);
    ck_assert(has_evidence(&v, "structure:delivery-report-from-null-sender"));
    /* an ad in the report's own text still advertises */
    const char *ad = "From: MAILER-DAEMON@example.net\r\nSubject: Returned mail\r\n"
                     "MIME-Version: 1.0\r\nContent-Type: multipart/report; "
                     "report-type=delivery-status; boundary=\"b\"\r\n\r\n"
                     "--b\r\nContent-Type: text/plain\r\n\r\nNot delivered. P.S. Use code "
                     "WINTER25 for 25% off your next order!\r\n" RETURNED;
    classifier_classify(cls, ad, strlen(ad), &o, &v);
    ck_assert_int_eq(v.category, CATEGORY_PROMOTIONAL);
}
END_TEST

START_TEST(test_encodings)
{
    /* RFC 2047 subject, base64 body in ISO-8859-1 with umlauts */
    const char *msg = "From: a@example.de\r\n"
                      "Subject: =?ISO-8859-1?Q?R=FCckruf_Wasserkocher?=\r\n"
                      "MIME-Version: 1.0\r\n"
                      "Content-Type: text/plain; charset=ISO-8859-1\r\n"
                      "Content-Transfer-Encoding: base64\r\n\r\n"
                      /* "Sicherheitshinweis: bitte nicht mehr benutzen. Rückruf." */
                      "U2ljaGVyaGVpdHNoaW53ZWlzOiBiaXR0ZSBuaWNodCBtZWhyIGJlbnV0emVuLiBS/GNrcnVmLg==\r\n";
    classifier_verdict v = classify(msg, false);
    ck_assert_int_eq(v.category, CATEGORY_AFTER_SALES);
    ck_assert(has_evidence(&v, "subject:\"rückruf\""));
    ck_assert(has_evidence(&v, "body:\"sicherheitshinweis\""));
    /* quoted-printable HTML only, with entities; ae spelling */
    const char *qp = "From: a@example.de\r\nSubject: Info\r\nMIME-Version: 1.0\r\n"
                     "Content-Type: text/html; charset=utf-8\r\n"
                     "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
                     "<p>Das k=C3=B6nnte Ihnen auch <b>gefallen</b></p>=\r\n<p>Gutschein f&uuml;r Sie</p>\r\n";
    v = classify(qp, false);
    ck_assert_int_eq(v.category, CATEGORY_PROMOTIONAL);
    ck_assert(has_evidence(&v, "Das könnte Ihnen auch gefallen"));
    /* uuencoded text (GMime's general path) in Windows-1252 */
    const char *uu = "From: a@example.de\r\nSubject: Info\r\nMIME-Version: 1.0\r\n"
                     "Content-Type: text/plain; charset=windows-1252\r\n"
                     "Content-Transfer-Encoding: x-uuencode\r\n\r\n"
                     "begin 644 text.txt\r\n"
                     /* "Ihr Gutscheincode SOMMER25 ist da.\n" */
                     "C26AR($=U='-C:&5I;F-O9&4@4T]-3452,C4@:7-T(&1A+@H`\r\n`\r\nend\r\n";
    v = classify(uu, false);
    ck_assert_int_eq(v.category, CATEGORY_PROMOTIONAL);
    ck_assert(has_evidence(&v, "body:voucher-code \"SOMMER25\""));
    /* an 8-bit part in ISO-8859-15 (euro sign 0xA4), no transfer encoding */
    const char *l9 = "From: a@example.de\r\nSubject: Info\r\nMIME-Version: 1.0\r\n"
                     "Content-Type: text/plain; charset=ISO-8859-15\r\n"
                     "Content-Transfer-Encoding: 8bit\r\n\r\n"
                     "Jetzt 10 \xa4 R\xfc" "ckerstattung, 20 \xa4 Gutschrift, 30 \xa4, 40 \xa4\r\n";
    v = classify(l9, false);
    ck_assert(has_evidence(&v, "body:price-list (4 prices)"));
}
END_TEST

START_TEST(test_purpose_header)
{
    const char *msg = "From: a@example.de\r\nSubject: News\r\nX-Consent-Purpose: Newsletter\r\n\r\nx\r\n";
    classifier_verdict v = classify(msg, true);
    ck_assert_str_eq(v.purpose, "newsletter");
    const char *bad = "From: a@example.de\r\nSubject: News\r\nX-Consent-Purpose: news letter!\r\n\r\nx\r\n";
    v = classify(bad, true);
    ck_assert_str_eq(v.purpose, "news"); /* first word only */
    const char *worse = "From: a@example.de\r\nX-Consent-Purpose: n\xc3\xa4ws\r\n\r\nx\r\n";
    v = classify(worse, true);
    ck_assert_str_eq(v.purpose, "");
}
END_TEST

/* ---- hostile input: a verdict every time, bounded work ------------------- */

static void expect_verdict(const char *msg, size_t len, size_t max)
{
    classifier_options o = {.trust_header = true, .max_scan_bytes = max};
    classifier_verdict v;
    classifier_classify(cls, msg, len, &o, &v);
    ck_assert(v.category == CATEGORY_PROMOTIONAL || v.category == CATEGORY_TRANSACTIONAL ||
              v.category == CATEGORY_AFTER_SALES);
    ck_assert_uint_le(v.n_evidence, CLASSIFIER_EVIDENCE_MAX);
}

START_TEST(test_hostile_nesting)
{
    GString *m = g_string_new("From: a@example.de\r\nSubject: x\r\nMIME-Version: 1.0\r\n");
    for (int i = 0; i < 5000; i++)
        g_string_append_printf(m, "Content-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n--b%d\r\n",
                               i, i);
    g_string_append(m, "Content-Type: text/plain\r\n\r\nGutscheincode SOMMER25\r\n");
    classifier_options o = {.trust_header = true};
    classifier_verdict v;
    classifier_classify(cls, m->str, m->len, &o, &v);
    ck_assert_int_eq(v.category, CATEGORY_PROMOTIONAL);
    ck_assert(has_evidence(&v, "structure:nesting-overflow"));
    g_string_free(m, TRUE);
}
END_TEST

START_TEST(test_hostile_sizes)
{
    /* 50 MB body: only the bound is read */
    size_t big = 50u << 20;
    char *m = malloc(big);
    const char *head = "From: a@example.de\r\nSubject: Ihre Rechnung\r\nX-Mail-Category: invoice\r\n\r\n";
    memcpy(m, head, strlen(head));
    memset(m + strlen(head), 'A', big - strlen(head));
    for (size_t i = strlen(head) + 100; i < big; i += 77)
        m[i] = (i % 2) ? '\n' : ' ';
    classifier_options o = {.trust_header = true, .max_scan_bytes = 256 * 1024};
    classifier_verdict v;
    classifier_classify(cls, m, big, &o, &v);
    /* What lies past the bound was not read: it may be where the mail
     * advertises, so the trusted "invoice" label does not make it allowed. */
    ck_assert_int_eq(v.category, CATEGORY_PROMOTIONAL);
    ck_assert(has_evidence(&v, "structure:scanned-first"));
    /* one line of 1 MB */
    memset(m + strlen(head), 'x', 1u << 20);
    expect_verdict(m, strlen(head) + (1u << 20), 0);
    free(m);
}
END_TEST

START_TEST(test_hostile_garbage)
{
    static const char broken_b64[] = "From: a@example.de\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
                                     "Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                                     "!!!!====@@@@####\r\nQUJD\x01\x02====\r\n";
    expect_verdict(broken_b64, sizeof broken_b64 - 1, 0);
    static const char charset[] = "From: a@example.de\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
                                  "Content-Type: text/plain; charset=x-no-such-charset\r\n\r\n"
                                  "Bestellbest\xe4tigung Nr. 5\r\n";
    expect_verdict(charset, sizeof charset - 1, 0);
    classifier_options o = {.trust_header = false};
    classifier_verdict v;
    classifier_classify(cls, charset, sizeof charset - 1, &o, &v);
    ck_assert_int_eq(v.category, CATEGORY_TRANSACTIONAL); /* read as Windows-1252 */
    static const char nul[] = "From: a@example.de\r\nSubj\0ect: x\r\n\r\nGut\0schein\0\0\r\n";
    expect_verdict(nul, sizeof nul - 1, 0);
    expect_verdict("", 0, 0);
    expect_verdict("\r\n\r\n", 4, 0);
    expect_verdict("no headers at all, just text", 28, 0);
    static const char no_boundary[] = "Content-Type: multipart/mixed\r\n\r\n--x\r\n\r\nhi\r\n";
    expect_verdict(no_boundary, sizeof no_boundary - 1, 0);
    static const char bad_html[] = "Content-Type: text/html\r\n\r\n<a href=<<<<&#;&#x;&;<script>";
    expect_verdict(bad_html, sizeof bad_html - 1, 0);
    static const char long_header[] = "Subject: =?UTF-8?B?";
    GString *lh = g_string_new(long_header);
    for (int i = 0; i < 100000; i++)
        g_string_append(lh, "QUJD");
    g_string_append(lh, "?=\r\n\r\nx\r\n");
    expect_verdict(lh->str, lh->len, 0);
    g_string_free(lh, TRUE);
}
END_TEST

START_TEST(test_charsets_pinned)
{
    classifier_mime_init(); /* holds the common ones */
    size_t common = charsets_pinned();
    ck_assert_uint_ge(common, 5);
    charsets_pin("ISO-8859-1"); /* again, in capitals: not twice */
    charsets_pin("Windows-1252");
    charsets_pin("x-no-such-charset");
    charsets_pin("utf-8"); /* built into glibc: nothing to hold */
    charsets_pin(NULL);
    charsets_pin("");
    ck_assert_uint_eq(charsets_pinned(), common);
    /* mail naming ever new charsets: the number held stays bounded */
    char name[32];
    for (int i = 1; i <= 16; i++) {
        snprintf(name, sizeof name, "iso-8859-%d", i);
        charsets_pin(name);
    }
    for (int i = 1250; i <= 1258; i++) {
        snprintf(name, sizeof name, "windows-%d", i);
        charsets_pin(name);
    }
    const char *more[] = {"koi8-r", "koi8-u", "ibm850", "ibm437", "macintosh", "utf-16",
                          "utf-7", "gb2312", "big5", "shift_jis", "euc-jp", "euc-kr"};
    for (size_t i = 0; i < sizeof more / sizeof more[0]; i++)
        charsets_pin(more[i]);
    ck_assert_uint_gt(charsets_pinned(), common);
    ck_assert_uint_le(charsets_pinned(), CHARSETS_MAX);
}
END_TEST

static Suite *classifier_suite(void)
{
    Suite *s = suite_create("classifier");
    TCase *parts = tcase_create("parts");
    tcase_add_test(parts, test_fold);
    tcase_add_test(parts, test_matcher);
    tcase_add_test(parts, test_matcher_many_states);
    tcase_add_test(parts, test_matcher_parts);
    tcase_add_test(parts, test_html_to_text);
    tcase_add_test(parts, test_signals_file_errors);
    tcase_add_test(parts, test_signals_links_and_negative_weights);
    tcase_add_test(parts, test_charsets_pinned);
    suite_add_tcase(s, parts);
    TCase *tc = tcase_create("verdicts");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_header_trust);
    tcase_add_test(tc, test_content_is_stricter);
    tcase_add_test(tc, test_elements_only_what_a_reader_sees);
    tcase_add_test(tc, test_elements_one_advertises);
    tcase_add_test(tc, test_elements_weak_words_apart);
    tcase_add_test(tc, test_elements_product_cards);
    tcase_add_test(tc, test_attached_and_returned_messages);
    tcase_add_test(tc, test_encodings);
    tcase_add_test(tc, test_purpose_header);
    tcase_add_test(tc, test_hostile_nesting);
    tcase_add_test(tc, test_hostile_sizes);
    tcase_add_test(tc, test_hostile_garbage);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(classifier_suite)
