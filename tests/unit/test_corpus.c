/*
 * test_corpus — every fixture under tests/fixtures/mail/<category>/ must be
 * classified as its directory says (the sender's header trusted), and, with
 * the header not trusted, no promotional mail may come out as allowed.
 *
 * tests/fixtures/holdout/ was written blind to the signals file, to measure
 * how the classifier generalises (see its README): there no promotional mail
 * may come out as allowed either, and at least 90% must be exact.
 * Prints every confusion matrix.
 */
#include <check.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "check_main.h"
#include "classifier.h"

#define MIN_CORPUS 60

typedef struct tally {
    int matrix[CATEGORY_COUNT][CATEGORY_COUNT]; /* [expected][got] */
    int total;
    GString *wrong;
} tally;

static void print_matrix(const char *title, const tally *t)
{
    printf("\n%s (rows: expected, columns: classified)\n", title);
    printf("  %-15s %14s %14s %14s\n", "", "transactional", "after-sales", "promotional");
    for (int e = 0; e < CATEGORY_COUNT; e++) {
        printf("  %-15s", classifier_category_name((classifier_category)e));
        for (int g = 0; g < CATEGORY_COUNT; g++)
            printf(" %14d", t->matrix[e][g]);
        printf("\n");
    }
    fflush(stdout);
}

static void run_corpus(const char *set, bool trusted, tally *t)
{
    char err[CLASSIFIER_ERR_MAX];
    classifier *c = classifier_new(NULL, err);
    ck_assert_msg(c != NULL, "%s", err);
    classifier_options options = {.trust_header = trusted};
    memset(t, 0, sizeof *t);
    t->wrong = g_string_new(NULL);
    for (int e = 0; e < CATEGORY_COUNT; e++) {
        const char *name = classifier_category_name((classifier_category)e);
        gchar *dir_path = g_build_filename(FIXTURES_DIR, set, name, NULL);
        GDir *dir = g_dir_open(dir_path, 0, NULL);
        ck_assert_msg(dir != NULL, "no fixture directory %s", dir_path);
        const char *file;
        while ((file = g_dir_read_name(dir)) != NULL) {
            if (!g_str_has_suffix(file, ".eml"))
                continue;
            gchar *path = g_build_filename(dir_path, file, NULL);
            gchar *data;
            gsize len;
            ck_assert(g_file_get_contents(path, &data, &len, NULL));
            classifier_verdict v;
            classifier_classify(c, data, len, &options, &v);
            t->matrix[e][v.category]++;
            t->total++;
            if ((int)v.category != e) {
                g_string_append_printf(t->wrong, "  %s/%s: %s (P%d T%d A%d)", name, file,
                                       classifier_category_name(v.category),
                                       v.promotional_score, v.transactional_score,
                                       v.after_sales_score);
                for (size_t i = 0; i < v.n_evidence && i < 4; i++)
                    g_string_append_printf(t->wrong, " %s", v.evidence[i]);
                g_string_append_c(t->wrong, '\n');
            }
            g_free(data);
            g_free(path);
        }
        g_dir_close(dir);
        g_free(dir_path);
    }
    classifier_free(c);
}

START_TEST(test_corpus_trusted_header)
{
    tally t;
    run_corpus("mail", true, &t);
    print_matrix("Corpus, category header trusted", &t);
    ck_assert_msg(t.total >= MIN_CORPUS, "only %d fixtures", t.total);
    if (t.wrong->len > 0)
        printf("misclassified:\n%s", t.wrong->str);
    fflush(stdout);
    int promo_allowed = t.matrix[CATEGORY_PROMOTIONAL][CATEGORY_TRANSACTIONAL] +
                        t.matrix[CATEGORY_PROMOTIONAL][CATEGORY_AFTER_SALES];
    ck_assert_msg(promo_allowed == 0, "%d promotional mails classified as allowed",
                  promo_allowed);
    ck_assert_msg(t.wrong->len == 0, "misclassified:\n%s", t.wrong->str);
    g_string_free(t.wrong, TRUE);
}
END_TEST

START_TEST(test_corpus_untrusted_header)
{
    tally t;
    run_corpus("mail", false, &t);
    print_matrix("Corpus, category header NOT trusted (content decides)", &t);
    int promo_allowed = t.matrix[CATEGORY_PROMOTIONAL][CATEGORY_TRANSACTIONAL] +
                        t.matrix[CATEGORY_PROMOTIONAL][CATEGORY_AFTER_SALES];
    if (t.wrong->len > 0) /* only promotional-as-allowed fails; the rest is fail-safe */
        printf("classified otherwise than labelled:\n%s", t.wrong->str);
    fflush(stdout);
    ck_assert_msg(promo_allowed == 0, "%d promotional mails classified as allowed",
                  promo_allowed);
    g_string_free(t.wrong, TRUE);
}
END_TEST

static int exact(const tally *t)
{
    int n = 0;
    for (int c = 0; c < CATEGORY_COUNT; c++)
        n += t->matrix[c][c];
    return n;
}

START_TEST(test_holdout)
{
    for (int trusted = 1; trusted >= 0; trusted--) {
        tally t;
        run_corpus("holdout", trusted, &t);
        print_matrix(trusted ? "Holdout, category header trusted"
                             : "Holdout, category header NOT trusted",
                     &t);
        printf("  exact: %d of %d\n", exact(&t), t.total);
        if (t.wrong->len > 0)
            printf("classified otherwise than labelled:\n%s", t.wrong->str);
        fflush(stdout);
        int promo_allowed = t.matrix[CATEGORY_PROMOTIONAL][CATEGORY_TRANSACTIONAL] +
                            t.matrix[CATEGORY_PROMOTIONAL][CATEGORY_AFTER_SALES];
        ck_assert_msg(promo_allowed == 0, "%d promotional holdout mails classified as allowed",
                      promo_allowed);
        ck_assert_int_ge(t.total, 45);
        if (trusted)
            ck_assert_msg(exact(&t) * 10 >= t.total * 9, "holdout: only %d of %d exact",
                          exact(&t), t.total);
        g_string_free(t.wrong, TRUE);
    }
}
END_TEST

static Suite *corpus_suite(void)
{
    Suite *s = suite_create("corpus");
    TCase *tc = tcase_create("fixtures");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_corpus_trusted_header);
    tcase_add_test(tc, test_corpus_untrusted_header);
    tcase_add_test(tc, test_holdout);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(corpus_suite)
