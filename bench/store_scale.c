/*
 * store_scale — the consent store at scale (issue 5, measurement 3).
 *
 *   store_scale csv N [FIRST]
 *       Writes a consent CSV (header row, then one event per address) for
 *       the addresses FIRST .. FIRST+N-1 to standard output, for
 *       `consentctl import`. Deterministic: address i always gets the same
 *       row. Mix: 85 % grants (purposes marketing, newsletter, vouchers,
 *       product-news), 12 % withdrawals, 3 % objections; grants carry a
 *       double-opt-in record as evidence.
 *
 *   store_scale lookup DB N [SECONDS]
 *       Point lookups through the real API on a store holding addresses
 *       0 .. N-1 (as written by `csv`): store_lookup() on a STORE_READONLY
 *       handle, one handle per thread, as the milter does. Uniform random
 *       addresses, half of them present and half absent (addresses N..2N-1,
 *       same shape). Reads the store file once first so it sits in the page
 *       cache. Then alternates one thread and two threads side by side, two
 *       rounds each, SECONDS in all (default 20); prints lookups/s and the
 *       latency percentiles (clock_gettime around each call) per thread, and
 *       the two-thread/one-thread throughput ratio. Every answer is checked
 *       against the state the generator implies: a wrong one fails the run.
 *
 * Never writes to the store. bench/store-scale.sh drives both.
 */
#define _GNU_SOURCE /* RUSAGE_THREAD */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "latency_hist.h"
#include "store.h"

/* ---- the generated population ------------------------------------------ */

static uint64_t mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL; /* splitmix64 */
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static const char *const firsts[32] = {
    "anna",  "max",    "lena",   "paul",  "marie", "felix", "sophie", "jonas",
    "laura", "lukas",  "julia",  "leon",  "emma",  "finn",  "mia",    "elias",
    "hannah", "noah",  "lea",    "ben",   "clara", "tim",   "sarah",  "jan",
    "nina",  "david",  "katrin", "tobias", "eva",  "simon", "petra",  "michael",
};
static const char *const lasts[32] = {
    "mueller", "schmidt", "schneider", "fischer", "weber",   "meyer",  "wagner",  "becker",
    "schulz",  "hoffmann", "koch",     "richter", "klein",   "wolf",   "schroeder", "neumann",
    "schwarz", "braun",   "zimmermann", "krueger", "hartmann", "lange", "werner",  "krause",
    "lehmann", "koehler", "walter",    "maier",   "huber",   "kaiser", "fuchs",   "peters",
};
static const char *const capfirsts[32] = {
    "Anna",  "Max",    "Lena",   "Paul",  "Marie", "Felix", "Sophie", "Jonas",
    "Laura", "Lukas",  "Julia",  "Leon",  "Emma",  "Finn",  "Mia",    "Elias",
    "Hannah", "Noah",  "Lea",    "Ben",   "Clara", "Tim",   "Sarah",  "Jan",
    "Nina",  "David",  "Katrin", "Tobias", "Eva",  "Simon", "Petra",  "Michael",
};
/* Mailbox providers by share (per mille); the rest are company domains. */
static const struct {
    const char *domain;
    unsigned permille;
} providers[] = {
    {"gmail.com", 250}, {"gmx.de", 140}, {"web.de", 140}, {"t-online.de", 90},
    {"outlook.com", 70}, {"yahoo.com", 40}, {"icloud.com", 40}, {"posteo.de", 20},
    {"freenet.de", 20},
};

typedef enum { GEN_GRANT, GEN_WITHDRAW, GEN_OBJECT } gen_action;
static const char *const purposes[4] = {"marketing", "newsletter", "vouchers", "product-news"};

/* Address number i, in the form a shop's CRM would hold it. Unique: the
 * letters before the digits never end in a digit, and the digits are i. */
static void gen_address(uint64_t i, char *buf, size_t bufsz)
{
    uint64_t h = mix64(i);
    unsigned f = h & 31, l = (h >> 5) & 31, style = (h >> 10) & 7, d = (h >> 13) % 1000;
    char domain[64];
    const char *dom = NULL;
    for (size_t k = 0, acc = 0; k < sizeof providers / sizeof providers[0]; k++) {
        acc += providers[k].permille;
        if (d < acc) {
            dom = providers[k].domain;
            break;
        }
    }
    if (dom == NULL) { /* 19 %: a company domain, one of 50,000 */
        snprintf(domain, sizeof domain, "firma-%u.de", (unsigned)((h >> 23) % 50000));
        dom = domain;
    }
    switch (style) {
    case 0:
    case 1:
    case 2:
        snprintf(buf, bufsz, "%s.%s%" PRIu64 "@%s", firsts[f], lasts[l], i, dom);
        break;
    case 3:
        snprintf(buf, bufsz, "%c.%s%" PRIu64 "@%s", firsts[f][0], lasts[l], i, dom);
        break;
    case 4:
        snprintf(buf, bufsz, "%s%" PRIu64 "@%s", firsts[f], i, dom);
        break;
    case 5:
        snprintf(buf, bufsz, "%s_%s%" PRIu64 "@%s", firsts[f], lasts[l], i, dom);
        break;
    default: /* as typed at sign-up: capitalised */
        snprintf(buf, bufsz, "%s.%s%" PRIu64 "@%s", capfirsts[f], lasts[l], i, dom);
        break;
    }
}

static gen_action gen_action_of(uint64_t i, unsigned *purpose)
{
    uint64_t h = mix64(i ^ 0x5bd1e995ULL);
    unsigned r = (unsigned)(h % 100);
    *purpose = (unsigned)((h >> 8) % 10);
    *purpose = *purpose < 4 ? 0 : *purpose < 7 ? 1 : *purpose < 9 ? 2 : 3; /* 40/30/20/10 */
    return r < 85 ? GEN_GRANT : r < 97 ? GEN_WITHDRAW : GEN_OBJECT;
}

/* What a lookup for the umbrella purpose ("marketing", what a mail naming
 * no purpose asks) must answer for address i of a store of n. */
static consent_kind expected_kind(uint64_t i, uint64_t n)
{
    if (i >= n)
        return CONSENT_NONE;
    unsigned p;
    switch (gen_action_of(i, &p)) {
    case GEN_GRANT:
        return p == 0 ? CONSENT_GRANTED : CONSENT_NONE;
    case GEN_WITHDRAW:
        return CONSENT_WITHDRAWN; /* a withdrawal of any purpose counts for marketing */
    default:
        return CONSENT_OBJECTED;
    }
}

static void iso(int64_t t, char *buf, size_t bufsz)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(buf, bufsz, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int cmd_csv(uint64_t n, uint64_t first)
{
    static char obuf[1 << 20];
    setvbuf(stdout, obuf, _IOFBF, sizeof obuf);
    const int64_t base = 1672531200; /* 2023-01-01 */
    printf("address,action,purpose,at,source,evidence\n");
    char addr[STORE_ADDRESS_MAX + 1], at[32], signup[32], sent[32];
    for (uint64_t i = first; i < first + n; i++) {
        gen_address(i, addr, sizeof addr);
        unsigned p;
        gen_action action = gen_action_of(i, &p);
        uint64_t h = mix64(i ^ 0xc2b2ae35ULL);
        int64_t t = base + (int64_t)(h % (900ULL * 86400)); /* 2023-01 .. 2025-06 */
        iso(t, at, sizeof at);
        unsigned ip = (unsigned)((h >> 32) & 0xffff);
        switch (action) {
        case GEN_GRANT: /* signed up, confirmation mail 2 s later, link clicked at `at` */
            iso(t - 2 - (int64_t)(h >> 51), signup, sizeof signup);
            iso(t - (int64_t)(h >> 51), sent, sizeof sent);
            printf("%s,grant,%s,%s,https://shop.example.com/newsletter/signup,"
                   "\"double opt-in: sign-up form %s from 203.0.%u.%u; confirmation mail sent "
                   "%s to the address; confirmation link clicked %s from 203.0.%u.%u "
                   "(Mozilla/5.0); consent text v3 sha256:%016" PRIx64 "\"\n",
                   addr, purposes[p], at, signup, ip >> 8, ip & 0xff, sent, at, ip >> 8,
                   ip & 0xff, mix64(p));
            break;
        case GEN_WITHDRAW:
            printf("%s,withdraw,%s,%s,unsubscribe link,"
                   "\"unsubscribe link in mailing nl-%u clicked from 198.51.%u.%u\"\n",
                   addr, purposes[p], at, (unsigned)(h % 500), ip >> 8, ip & 0xff);
            break;
        case GEN_OBJECT:
            printf("%s,object,,%s,privacy@shop.example.com,"
                   "\"objection to direct marketing (Art. 21(3) GDPR) by e-mail, ticket %u\"\n",
                   addr, at, (unsigned)(h % 1000000));
            break;
        }
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "store_scale: writing the CSV failed: %s\n", strerror(errno));
        return 1;
    }
    return 0;
}

/* ---- lookups ------------------------------------------------------------- */

static uint64_t ns_now(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

typedef struct worker {
    pthread_t thread;
    const char *path;
    uint64_t n;
    uint64_t rng;
    store *s;
    /* one phase */
    uint64_t deadline_ns;
    uint64_t lookups, wrong, cpu_ns;
    uint64_t waits, preempted; /* voluntary and involuntary context switches */
    latency_hist *hist;
    char err[STORE_ERR_MAX];
    int failed;
} worker;

static uint64_t xorshift(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

/* One lookup of a random address: half present, half absent. Returns the
 * call's latency in nanoseconds, or UINT64_MAX if the store failed. */
static uint64_t one_lookup(worker *w, int64_t now, bool *wrong)
{
    uint64_t r = xorshift(&w->rng);
    uint64_t i = (r >> 1) % w->n + ((r & 1) ? w->n : 0);
    char addr[STORE_ADDRESS_MAX + 3];
    addr[0] = '<'; /* as RCPT gives it */
    gen_address(i, addr + 1, sizeof addr - 2);
    strcat(addr, ">");
    consent_state st;
    uint64_t t0 = ns_now(CLOCK_MONOTONIC);
    int rc = store_lookup(w->s, addr, NULL, false, 0, now, &st, w->err);
    uint64_t t1 = ns_now(CLOCK_MONOTONIC);
    if (rc < 0)
        return UINT64_MAX;
    *wrong = st.kind != expected_kind(i, w->n);
    return t1 - t0;
}

static void *run_phase(void *arg)
{
    worker *w = arg;
    int64_t now = (int64_t)time(NULL);
    uint64_t cpu0 = ns_now(CLOCK_THREAD_CPUTIME_ID);
    struct rusage ru0, ru1;
    getrusage(RUSAGE_THREAD, &ru0);
    for (;;) {
        for (int k = 0; k < 64; k++) {
            bool wrong = false;
            uint64_t ns = one_lookup(w, now, &wrong);
            if (ns == UINT64_MAX) {
                w->failed = 1;
                return NULL;
            }
            latency_hist_add(w->hist, ns);
            w->lookups++;
            w->wrong += wrong;
        }
        if (ns_now(CLOCK_MONOTONIC) >= w->deadline_ns)
            break;
    }
    w->cpu_ns += ns_now(CLOCK_THREAD_CPUTIME_ID) - cpu0;
    getrusage(RUSAGE_THREAD, &ru1);
    w->waits += (uint64_t)(ru1.ru_nvcsw - ru0.ru_nvcsw);
    w->preempted += (uint64_t)(ru1.ru_nivcsw - ru0.ru_nivcsw);
    return NULL;
}

/* Reads the file (and its -wal, if any) once, so that its pages are in the
 * page cache. Returns the bytes read. */
static uint64_t warm_file(const char *path)
{
    static char buf[1 << 20];
    uint64_t total = 0;
    char wal[4096];
    snprintf(wal, sizeof wal, "%s-wal", path);
    const char *files[2] = {path, wal};
    for (int f = 0; f < 2; f++) {
        int fd = open(files[f], O_RDONLY);
        if (fd < 0)
            continue;
        posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
        ssize_t got;
        while ((got = read(fd, buf, sizeof buf)) > 0)
            total += (uint64_t)got;
        close(fd);
    }
    return total;
}

/* CPU the whole machine spent busy, and stolen by the hypervisor, from
 * /proc/stat (seconds); this process's own CPU from getrusage. */
typedef struct cpu_sample {
    double busy, steal, self;
} cpu_sample;

static cpu_sample cpu_now(void)
{
    cpu_sample c = {0, 0, 0};
    FILE *f = fopen("/proc/stat", "r");
    unsigned long long v[8] = {0};
    if (f != NULL) {
        if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
                   &v[4], &v[5], &v[6], &v[7]) == 8) {
            double tick = (double)sysconf(_SC_CLK_TCK);
            /* user nice system idle iowait irq softirq steal */
            c.busy = (double)(v[0] + v[1] + v[2] + v[5] + v[6]) / tick;
            c.steal = (double)v[7] / tick;
        }
        fclose(f);
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    c.self = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
             (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    return c;
}

typedef struct config_result {
    int threads;
    latency_hist *per_thread[2];
    uint64_t lookups[2], cpu_ns[2], waits[2], preempted[2];
    double seconds; /* wall time summed over its phases */
    double others, steal; /* CPU seconds used by other processes, stolen */
} config_result;

static int run_config(worker *ws, config_result *res, double seconds)
{
    cpu_sample c0 = cpu_now();
    uint64_t start = ns_now(CLOCK_MONOTONIC);
    for (int t = 0; t < res->threads; t++) {
        ws[t].hist = res->per_thread[t];
        ws[t].lookups = ws[t].cpu_ns = ws[t].waits = ws[t].preempted = 0;
        ws[t].deadline_ns = start + (uint64_t)(seconds * 1e9);
    }
    for (int t = 0; t < res->threads; t++)
        if (pthread_create(&ws[t].thread, NULL, run_phase, &ws[t]) != 0) {
            fprintf(stderr, "store_scale: cannot start a thread\n");
            return -1;
        }
    for (int t = 0; t < res->threads; t++)
        pthread_join(ws[t].thread, NULL);
    res->seconds += (double)(ns_now(CLOCK_MONOTONIC) - start) / 1e9;
    cpu_sample c1 = cpu_now();
    double others = (c1.busy - c0.busy) - (c1.self - c0.self);
    res->others += others > 0 ? others : 0;
    res->steal += c1.steal - c0.steal;
    for (int t = 0; t < res->threads; t++) {
        if (ws[t].failed) {
            fprintf(stderr, "store_scale: lookup failed: %s\n", ws[t].err);
            return -1;
        }
        if (ws[t].wrong) {
            fprintf(stderr, "store_scale: %" PRIu64 " lookups gave the wrong state: is %s a "
                            "store of exactly the %" PRIu64 " generated addresses?\n",
                    ws[t].wrong, ws[t].path, ws[t].n);
            return -1;
        }
        res->lookups[t] += ws[t].lookups;
        res->cpu_ns[t] += ws[t].cpu_ns;
        res->waits[t] += ws[t].waits;
        res->preempted[t] += ws[t].preempted;
    }
    return 0;
}

static void print_row(const char *label, const latency_hist *h, double rate, double cpu)
{
    printf("  %-12s %10.0f %8.1f %8.1f %8.1f %8.1f %7.0f%%\n", label, rate,
           latency_hist_quantile_us(h, 0.50), latency_hist_quantile_us(h, 0.99),
           latency_hist_quantile_us(h, 0.999), (double)h->max_ns / 1e3, cpu * 100);
}

static int cmd_lookup(const char *path, uint64_t n, double seconds)
{
    struct stat sb;
    if (stat(path, &sb) < 0) {
        fprintf(stderr, "store_scale: %s: %s\n", path, strerror(errno));
        return 1;
    }
    uint64_t t0 = ns_now(CLOCK_MONOTONIC);
    uint64_t warmed = warm_file(path);
    double warm_s = (double)(ns_now(CLOCK_MONOTONIC) - t0) / 1e9;

    /* What clock_gettime itself costs, to read the percentiles against. */
    uint64_t c0 = ns_now(CLOCK_MONOTONIC);
    for (int i = 0; i < 100000; i++)
        (void)ns_now(CLOCK_MONOTONIC);
    double clock_ns = (double)(ns_now(CLOCK_MONOTONIC) - c0) / 100000;

    worker ws[2];
    memset(ws, 0, sizeof ws);
    for (int t = 0; t < 2; t++) {
        ws[t].path = path;
        ws[t].n = n;
        ws[t].rng = mix64(0x1234567ULL + (uint64_t)t) | 1;
        ws[t].s = store_open(path, STORE_READONLY, ws[t].err);
        if (ws[t].s == NULL) {
            fprintf(stderr, "store_scale: %s\n", ws[t].err);
            return 1;
        }
    }
    /* Warm each connection (its own page cache) with lookups not counted. */
    /* One histogram per thread, the warm-up's too: they are not shared. */
    latency_hist *h[7];
    for (int i = 0; i < 7; i++)
        if ((h[i] = calloc(1, sizeof *h[i])) == NULL) {
            fprintf(stderr, "store_scale: out of memory\n");
            return 1;
        }
    config_result warm = {.threads = 2, .per_thread = {h[5], h[6]}};
    if (run_config(ws, &warm, seconds / 20 < 0.5 ? 0.5 : seconds / 20) < 0)
        return 1;

    config_result one = {.threads = 1, .per_thread = {h[0], NULL}};
    config_result two = {.threads = 2, .per_thread = {h[1], h[2]}};
    const int rounds = 2;
    double phase = seconds / (2 * rounds);
    for (int r = 0; r < rounds; r++) { /* alternate, so both see the same machine */
        if (run_config(ws, &one, phase) < 0 || run_config(ws, &two, phase) < 0)
            return 1;
    }
    latency_hist_merge(h[3], h[1]);
    latency_hist_merge(h[3], h[2]);

    double rate1 = (double)one.lookups[0] / one.seconds;
    double rate2 = (double)(two.lookups[0] + two.lookups[1]) / two.seconds;
    printf("lookups: store_lookup() on a read-only handle per thread, purpose marketing,\n"
           "  uniform random addresses, 50%% present / 50%% absent, every answer checked;\n"
           "  page cache warmed first (%.2f GB read in %.1f s), then 1 and 2 threads\n"
           "  alternated, %d rounds of %.1f s each; clock_gettime costs %.0f ns\n",
           (double)warmed / 1e9, warm_s, rounds, phase, clock_ns);
    printf("  %-12s %10s %8s %8s %8s %8s %8s\n", "threads", "lookups/s", "p50 us", "p99 us",
           "p99.9 us", "max us", "cpu");
    print_row("1", h[0], rate1, (double)one.cpu_ns[0] / 1e9 / one.seconds);
    print_row("2: thread 1", h[1], (double)two.lookups[0] / two.seconds,
              (double)two.cpu_ns[0] / 1e9 / two.seconds);
    print_row("2: thread 2", h[2], (double)two.lookups[1] / two.seconds,
              (double)two.cpu_ns[1] / 1e9 / two.seconds);
    print_row("2: together", h[3], rate2,
              (double)(two.cpu_ns[0] + two.cpu_ns[1]) / 1e9 / two.seconds);
    printf("  other processes used %.2f cores during the 1-thread phases, %.2f during the "
           "2-thread phases (steal %.2f, %.2f)\n",
           one.others / one.seconds, two.others / two.seconds, one.steal / one.seconds,
           two.steal / two.seconds);
    printf("  per 1000 lookups: waits for a lock (voluntary switches) %.2f with 1 thread, %.2f "
           "with 2;\n  preemptions %.2f with 1 thread, %.2f with 2\n",
           1000.0 * (double)one.waits[0] / (double)one.lookups[0],
           1000.0 * (double)(two.waits[0] + two.waits[1]) /
               (double)(two.lookups[0] + two.lookups[1]),
           1000.0 * (double)one.preempted[0] / (double)one.lookups[0],
           1000.0 * (double)(two.preempted[0] + two.preempted[1]) /
               (double)(two.lookups[0] + two.lookups[1]));
    double p99_1 = latency_hist_quantile_us(h[0], 0.99);
    double p99_2 = latency_hist_quantile_us(h[3], 0.99);
    printf("  p99 1 thread %.1f us, 2 threads %.1f us (goal < 20): %s\n", p99_1, p99_2,
           p99_1 < 20 && p99_2 < 20 ? "met" : "MISSED");
    printf("  2-thread/1-thread throughput: %.2f (goal >= 1.8): %s\n", rate2 / rate1,
           rate2 / rate1 >= 1.8 ? "met" : "MISSED");
    for (int t = 0; t < 2; t++)
        store_close(ws[t].s);
    for (int i = 0; i < 7; i++)
        free(h[i]);
    return 0;
}

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0')
        return -1;
    *out = v;
    return 0;
}

static int usage(void)
{
    fprintf(stderr, "usage: store_scale csv N [FIRST]\n"
                    "       store_scale lookup DB N [SECONDS]\n");
    return 2;
}

int main(int argc, char **argv)
{
    uint64_t n, first = 0;
    if (argc >= 3 && strcmp(argv[1], "csv") == 0) {
        if (argc > 4 || parse_u64(argv[2], &n) < 0 || (argc == 4 && parse_u64(argv[3], &first) < 0))
            return usage();
        return cmd_csv(n, first);
    }
    if (argc >= 4 && strcmp(argv[1], "lookup") == 0) {
        double seconds = argc > 4 ? atof(argv[4]) : 20;
        if (argc > 5 || parse_u64(argv[3], &n) < 0 || n == 0 || seconds <= 0)
            return usage();
        return cmd_lookup(argv[2], n, seconds);
    }
    return usage();
}
