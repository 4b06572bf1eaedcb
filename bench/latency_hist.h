/*
 * latency_hist — the benchmarks' latency histogram: log-linear buckets
 * (exact below 128 ns, then 64 per power of two, so under 1 % error up to
 * about 2^41 ns), cheap enough to record every sample of a load run.
 * One histogram belongs to one thread; merge them afterwards.
 */
#ifndef CONSENT_BENCH_LATENCY_HIST_H
#define CONSENT_BENCH_LATENCY_HIST_H

#include <stdint.h>

#define LATENCY_HIST_SUB 64
#define LATENCY_HIST_BUCKETS (2 * LATENCY_HIST_SUB + 40 * LATENCY_HIST_SUB)

typedef struct latency_hist {
    uint64_t n[LATENCY_HIST_BUCKETS];
    uint64_t count, max_ns;
    double sum_ns;
} latency_hist;

void latency_hist_add(latency_hist *h, uint64_t ns);
void latency_hist_merge(latency_hist *into, const latency_hist *from);

/* The q-quantile (0 < q <= 1) in microseconds: the midpoint of its bucket,
 * never above the largest sample; 0 when empty. */
double latency_hist_quantile_us(const latency_hist *h, double q);

#endif
