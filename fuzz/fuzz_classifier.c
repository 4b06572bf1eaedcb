/*
 * fuzz_classifier — libFuzzer target: any bytes as a message, through the
 * whole classifier, with the header trusted and not, and a small scan bound
 * so that the truncation paths are exercised too. The classifier must give
 * a valid verdict for every input without crashing, leaking or reading
 * out of bounds (ASan/UBSan catch the rest).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "classifier.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static classifier *cls;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (cls == NULL) {
        char err[CLASSIFIER_ERR_MAX];
        cls = classifier_new(NULL, err);
        if (cls == NULL)
            abort();
    }
    classifier_options options = {
        .trust_header = size % 2 == 0,
        .max_scan_bytes = size % 3 == 0 ? 4096 : 0,
    };
    classifier_verdict v;
    classifier_classify(cls, (const char *)data, size, &options, &v);
    if ((unsigned)v.category > CATEGORY_PROMOTIONAL || v.n_evidence > CLASSIFIER_EVIDENCE_MAX ||
        v.confidence < 0 || v.confidence > 100)
        abort();
    for (size_t i = 0; i < v.n_evidence; i++)
        if (memchr(v.evidence[i], '\0', CLASSIFIER_EVIDENCE_LEN) == NULL)
            abort();
    return 0;
}
