/*
 * classify_bench — the classifier's single-thread throughput on a corpus,
 * side by side with GMime parsing the same messages alone (the floor any
 * MIME-aware classifier pays), so the ratio says what our analysis costs.
 *
 * Usage: classify_bench [SECONDS] FILE.eml...
 * Prints MB/s for both, their ratio, and the slowest single message.
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
    int n;
    size_t bytes;
} corpus;

static void parse_only(const char *data, size_t len)
{
    GMimeStream *s = g_mime_stream_mem_new_with_buffer(data, len);
    GMimeParser *p = g_mime_parser_new_with_stream(s);
    GMimeMessage *m = g_mime_parser_construct_message(p, NULL);
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
    corpus c = {calloc((size_t)argc, sizeof(char *)), calloc((size_t)argc, sizeof(size_t)), 0, 0};
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
    classifier *cls = classifier_new(NULL, err);
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
    printf("  slowest message: %.3f ms\n", slowest * 1e3);
    classifier_free(cls);
    for (int i = 0; i < c.n; i++)
        g_free(c.data[i]);
    free(c.data);
    free(c.len);
    return 0;
}
