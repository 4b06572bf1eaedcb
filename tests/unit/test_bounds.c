/*
 * test_bounds — the milter's message bounds: a message gathered from
 * libmilter's pieces and the same message as a file measure the same, and a
 * message past a bound is promotional with the overflow named first.
 */
#include <check.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "bounds.h"
#include "check_main.h"
#include "gather.h"

START_TEST(measure_counts_lf_as_crlf)
{
    const char *lf = "From: a@b\nSubject: x\n\nline one\nline two\n";
    const char *crlf = "From: a@b\r\nSubject: x\r\n\r\nline one\r\nline two\r\n";
    bounds_seen a, b;
    bounds_measure(lf, strlen(lf), &a);
    bounds_measure(crlf, strlen(crlf), &b);
    ck_assert_uint_eq(a.header_bytes, strlen("From: a@b\r\nSubject: x\r\n"));
    ck_assert_uint_eq(a.body_bytes, strlen("line one\r\nline two\r\n"));
    ck_assert_uint_eq(a.header_bytes, b.header_bytes);
    ck_assert_uint_eq(a.body_bytes, b.body_bytes);
}
END_TEST

START_TEST(gather_and_file_agree)
{
    const char *file = "From: a@b\r\nSubject: x\r\n\r\nbody\r\n";
    gather *g = gather_new();
    gather_header(g, "From", "a@b");
    gather_header(g, "Subject", "x");
    gather_end_of_headers(g);
    ck_assert(!gather_body(g, (const unsigned char *)"body\r\n", 6, 1024));
    size_t len;
    const char *text = gather_text(g, &len);
    ck_assert_str_eq(text, file);
    bounds_seen a, b;
    gather_seen(g, &a);
    bounds_measure(file, strlen(file), &b);
    ck_assert_uint_eq(a.header_bytes, b.header_bytes);
    ck_assert_uint_eq(a.body_bytes, b.body_bytes);
    gather_free(g);
}
END_TEST

START_TEST(gather_keeps_within_bounds_and_counts_the_rest)
{
    gather *g = gather_new();
    char name[32];
    for (int i = 0; i < 10000; i++) {
        snprintf(name, sizeof name, "X-Filler-%05d", i);
        gather_header(g, name, "aaaaaaaaaaaaaaaa");
    }
    gather_header(g, "Subject", "late");
    gather_end_of_headers(g);
    unsigned char chunk[3000];
    memset(chunk, 'x', sizeof chunk);
    ck_assert(!gather_body(g, chunk, sizeof chunk, 4096));
    ck_assert(gather_body(g, chunk, sizeof chunk, 4096)); /* 6000 > 4096 */
    size_t len;
    const char *text = gather_text(g, &len);
    ck_assert_uint_le(len, BOUNDS_HEADER_BLOCK_MAX + 2 + 4096);
    ck_assert_ptr_null(strstr(text, "Subject: late"));
    bounds_seen seen;
    gather_seen(g, &seen);
    ck_assert_uint_eq(seen.header_bytes, 10000 * 34 + strlen("Subject: late\r\n"));
    ck_assert_uint_eq(seen.body_bytes, 6000);
    gather_reset(g);
    gather_seen(g, &seen);
    ck_assert_uint_eq(seen.header_bytes + seen.body_bytes, 0);
    gather_free(g);
}
END_TEST

static classifier_verdict transactional(size_t n_evidence)
{
    classifier_verdict v;
    memset(&v, 0, sizeof v);
    v.category = CATEGORY_TRANSACTIONAL;
    v.source = SOURCE_HEADER;
    v.confidence = 85;
    for (size_t i = 0; i < n_evidence; i++)
        snprintf(v.evidence[i], sizeof v.evidence[i], "body:e%zu", i);
    v.n_evidence = n_evidence;
    return v;
}

START_TEST(within_bounds_changes_nothing)
{
    classifier_verdict v = transactional(2), before = v;
    bounds_seen seen = {BOUNDS_HEADER_BLOCK_MAX, 4096};
    ck_assert(!bounds_enforce(&seen, 4096, &v));
    ck_assert(memcmp(&v, &before, sizeof v) == 0);
}
END_TEST

START_TEST(header_overflow_is_promotional_named_first)
{
    classifier_verdict v = transactional(CLASSIFIER_EVIDENCE_MAX);
    bounds_seen seen = {BOUNDS_HEADER_BLOCK_MAX + 1, 10};
    ck_assert(bounds_enforce(&seen, 4096, &v));
    ck_assert_int_eq(v.category, CATEGORY_PROMOTIONAL);
    ck_assert_int_eq(v.source, SOURCE_CONTENT);
    ck_assert_str_eq(v.evidence[0], "structure:header-block-over-262144-bytes");
    ck_assert_str_eq(v.evidence[1], "body:e0");
    ck_assert_uint_eq(v.n_evidence, CLASSIFIER_EVIDENCE_MAX);
    ck_assert_uint_eq(v.more_evidence, 1);
}
END_TEST

START_TEST(body_overflow_is_promotional)
{
    classifier_verdict v = transactional(0);
    bounds_seen seen = {100, 4097};
    ck_assert(bounds_enforce(&seen, 4096, &v));
    ck_assert_int_eq(v.category, CATEGORY_PROMOTIONAL);
    ck_assert_uint_eq(v.n_evidence, 1);
    ck_assert_str_eq(v.evidence[0], "structure:body-over-4096-bytes");
}
END_TEST

START_TEST(promotional_stays_as_it_was_said)
{
    classifier_verdict v = transactional(1);
    v.category = CATEGORY_PROMOTIONAL;
    v.source = SOURCE_HEADER_CONTENT;
    bounds_seen seen = {BOUNDS_HEADER_BLOCK_MAX + 1, 5000};
    ck_assert(bounds_enforce(&seen, 4096, &v));
    ck_assert_int_eq(v.source, SOURCE_HEADER_CONTENT);
    ck_assert_str_eq(v.evidence[0], "structure:header-block-over-262144-bytes");
    ck_assert_str_eq(v.evidence[1], "structure:body-over-4096-bytes");
    ck_assert_str_eq(v.evidence[2], "body:e0");
}
END_TEST

static Suite *bounds_suite(void)
{
    Suite *s = suite_create("bounds");
    TCase *tc = tcase_create("bounds");
    tcase_add_test(tc, measure_counts_lf_as_crlf);
    tcase_add_test(tc, gather_and_file_agree);
    tcase_add_test(tc, gather_keeps_within_bounds_and_counts_the_rest);
    tcase_add_test(tc, within_bounds_changes_nothing);
    tcase_add_test(tc, header_overflow_is_promotional_named_first);
    tcase_add_test(tc, body_overflow_is_promotional);
    tcase_add_test(tc, promotional_stays_as_it_was_said);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(bounds_suite)
