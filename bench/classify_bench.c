/*
 * classify_bench — the classifier's single-thread throughput on a corpus,
 * side by side with GMime parsing the same messages alone (the floor any
 * MIME-aware classifier pays), so the ratio says what our analysis costs.
 *
 * Usage: [CLASSIFY_SIGNALS=signals.conf] classify_bench [SECONDS] FILE.eml...
 * Prints MB/s for both, their ratio, and the slowest message: the one whose
 * typical (median) classification time is highest, with its own spread, and
 * apart from it the longest single call seen, which on a shared machine
 * also holds the times the thread was not running at all.
 */
#include <gmime/gmime.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "classifier.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

typedef struct corpus {
    char **data;
    size_t *len;
    char **name;
    int n;
    size_t bytes;
} corpus;

/* Every classification time of one message, for its median. */
typedef struct samples {
    double *t;
    size_t n, cap;
} samples;

static void sample_add(samples *s, double t)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 1024;
        s->t = realloc(s->t, s->cap * sizeof *s->t);
        if (s->t == NULL)
            abort();
    }
    s->t[s->n++] = t;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double quantile(samples *s, double q)
{
    qsort(s->t, s->n, sizeof *s->t, by_value);
    return s->t[(size_t)(q * (double)(s->n - 1))];
}

static void parse_only(const char *data, size_t len)
{
    GMimeStream *s = g_mime_stream_mem_new_with_buffer(data, len);
    GMimeParser *p = g_mime_parser_new_with_stream(s);
    GMimeObject *m = g_mime_parser_construct_part(p, NULL); /* as the classifier reads it */
    if (m)
        g_object_unref(m);
    g_object_unref(p);
    g_object_unref(s);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: classify_bench SECONDS FILE.eml...\n");
        return 2;
    }
    double seconds = atof(argv[1]);
    corpus c = {calloc((size_t)argc, sizeof(char *)), calloc((size_t)argc, sizeof(size_t)),
                argv + 2, 0, 0};
    samples *times = calloc((size_t)argc, sizeof(samples));
    for (int i = 2; i < argc; i++) {
        gsize len;
        if (!g_file_get_contents(argv[i], &c.data[c.n], &len, NULL)) {
            fprintf(stderr, "cannot read %s\n", argv[i]);
            return 1;
        }
        c.len[c.n++] = len;
        c.bytes += len;
    }
    char err[CLASSIFIER_ERR_MAX];
    /* CLASSIFY_SIGNALS=FILE measures with a site's own signals file. */
    classifier *cls = classifier_new(getenv("CLASSIFY_SIGNALS"), err);
    if (cls == NULL) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    g_mime_init();
    classifier_options o = {.trust_header = true};
    classifier_verdict v;
    for (int i = 0; i < c.n; i++) /* warm up */
        classifier_classify(cls, c.data[i], c.len[i], &o, &v);

    /* Alternate the two in rounds so both see the same machine state. */
    double t_parse = 0, t_class = 0, slowest = 0;
    size_t b_parse = 0, b_class = 0;
    long messages = 0;
    double end = now() + seconds;
    while (now() < end) {
        double t0 = now();
        for (int i = 0; i < c.n; i++)
            parse_only(c.data[i], c.len[i]);
        double t1 = now();
        t_parse += t1 - t0;
        b_parse += c.bytes;
        for (int i = 0; i < c.n; i++) {
            double a = now();
            classifier_classify(cls, c.data[i], c.len[i], &o, &v);
            double d = now() - a;
            if (d > slowest)
                slowest = d;
            sample_add(&times[i], d);
        }
        t_class += now() - t1;
        b_class += c.bytes;
        messages += c.n;
    }
    double parse_mbs = b_parse / t_parse / 1e6, class_mbs = b_class / t_class / 1e6;
    printf("classifier: %d messages, %.1f KB average; %ld classified\n", c.n,
           c.bytes / 1e3 / c.n, messages);
    printf("  GMime parse only   %8.1f MB/s\n", parse_mbs);
    printf("  full classification %7.1f MB/s  (%.0f messages/s)\n", class_mbs,
           messages / t_class);
    printf("  ratio classification/parse: %.2f\n", class_mbs / parse_mbs);
    int worst = 0;
    double worst_median = 0;
    for (int i = 0; i < c.n; i++) {
        double m = quantile(&times[i], 0.5);
        if (m > worst_median) {
            worst_median = m;
            worst = i;
        }
    }
    const char *base = strrchr(c.name[worst], '/');
    printf("  slowest message: %.3f ms median (p99 %.3f ms, %.1f KB): %s\n",
           worst_median * 1e3, quantile(&times[worst], 0.99) * 1e3, c.len[worst] / 1e3,
           base ? base + 1 : c.name[worst]);
    printf("  longest single call: %.3f ms (any message, incl. time not scheduled)\n",
           slowest * 1e3);
    for (int i = 0; i < c.n; i++)
        free(times[i].t);
    free(times);
    classifier_free(cls);
    for (int i = 0; i < c.n; i++)
        g_free(c.data[i]);
    free(c.data);
    free(c.len);
    return 0;
}
