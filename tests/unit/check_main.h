/*
 * check_main — the one main() every Check suite shares: run the suite,
 * print Check's summary line, exit non-zero on any failure.
 */
#ifndef TESTS_CHECK_MAIN_H
#define TESTS_CHECK_MAIN_H

#include <check.h>
#include <stdlib.h>

#define CHECK_MAIN(make_suite)                                                                \
    int main(void)                                                                           \
    {                                                                                        \
        SRunner *sr = srunner_create(make_suite());                                          \
        srunner_run_all(sr, CK_NORMAL);                                                      \
        int failed = srunner_ntests_failed(sr);                                              \
        srunner_free(sr);                                                                    \
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;                                    \
    }

#endif
