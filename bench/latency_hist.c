/*
 * latency_hist — see latency_hist.h.
 */
#include "latency_hist.h"

#include <math.h>
#include <stddef.h>

#define SUB LATENCY_HIST_SUB
#define BUCKETS LATENCY_HIST_BUCKETS

static int msb64(uint64_t v)
{
    return 63 - __builtin_clzll(v);
}

void latency_hist_add(latency_hist *h, uint64_t ns)
{
    size_t idx;
    if (ns < 2 * SUB) {
        idx = (size_t)ns;
    } else {
        int shift = msb64(ns) - 6; /* ns >> shift lies in 64..127 */
        idx = 2 * SUB + (size_t)(shift - 1) * SUB + (size_t)((ns >> shift) - SUB);
        if (idx >= BUCKETS)
            idx = BUCKETS - 1;
    }
    h->n[idx]++;
    h->count++;
    h->sum_ns += (double)ns;
    if (ns > h->max_ns)
        h->max_ns = ns;
}

/* The midpoint of bucket idx, in nanoseconds. */
static double bucket_value(size_t idx)
{
    if (idx < 2 * SUB)
        return (double)idx;
    size_t rel = idx - 2 * SUB;
    int shift = (int)(rel / SUB) + 1;
    uint64_t sub = rel % SUB + SUB;
    return (double)(sub << shift) + (double)((uint64_t)1 << shift) / 2.0;
}

void latency_hist_merge(latency_hist *into, const latency_hist *from)
{
    for (size_t i = 0; i < BUCKETS; i++)
        into->n[i] += from->n[i];
    into->count += from->count;
    into->sum_ns += from->sum_ns;
    if (from->max_ns > into->max_ns)
        into->max_ns = from->max_ns;
}

double latency_hist_quantile_us(const latency_hist *h, double q)
{
    if (h->count == 0)
        return 0;
    uint64_t rank = (uint64_t)ceil(q * (double)h->count);
    if (rank < 1)
        rank = 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < BUCKETS; i++) {
        seen += h->n[i];
        if (seen >= rank) {
            double v = bucket_value(i);
            return (v > (double)h->max_ns ? (double)h->max_ns : v) / 1e3;
        }
    }
    return (double)h->max_ns / 1e3;
}
