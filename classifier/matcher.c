/*
 * matcher — Aho-Corasick over the folded alphabet, compiled to a dense
 * transition table so a scan costs one table read per byte.
 */
#include "matcher.h"

#include <glib.h>
#include <stdint.h>
#include <string.h>

/* Folded text holds a-z, 0-9, '%', ' ' and bytes of other scripts. */
enum { SYM_SPACE = 37, SYM_OTHER = 38, ALPHA = 39 };
/* Row width of the scan table: ALPHA rounded up to a multiple of 8, so the
 * low three bits of a row offset are free for the report flag. */
enum { STRIDE = 40 };
/* The most states the 16-bit table can number. */
#define DELTA16_STATES_MAX 32767

/* Byte -> symbol, computed once: a table read beats the comparisons in the
 * scan loop, which runs once per byte of every message. */
static unsigned char symbol_of[256];
static GOnce symbols_once = G_ONCE_INIT;

static gpointer init_symbols(gpointer unused)
{
    (void)unused;
    for (int c = 0; c < 256; c++) {
        if (c >= 'a' && c <= 'z')
            symbol_of[c] = (unsigned char)(c - 'a');
        else if (c >= '0' && c <= '9')
            symbol_of[c] = (unsigned char)(26 + (c - '0'));
        else if (c == '%')
            symbol_of[c] = 36;
        else if (c == ' ')
            symbol_of[c] = SYM_SPACE;
        else
            symbol_of[c] = SYM_OTHER;
    }
    return NULL;
}

static inline int symbol(unsigned char c)
{
    return symbol_of[c];
}

typedef struct pattern {
    int id;
    size_t len;
    bool word_start, word_end;
    int32_t next_here; /* next pattern ending in the same state, -1 none */
} pattern;

struct matcher {
    int32_t *next;   /* [state * ALPHA + symbol]; -1 before compile */
    int32_t *fail;   /* per state */
    int32_t *out;    /* per state: first pattern ending here, -1 none */
    int32_t *dict;   /* per state: nearest state down the fail chain with output */
    /* What the scan reads: per state a row of STRIDE entries, one per
     * symbol, each the next state's row offset with bit 0 set if that state
     * reports. The offset is the next row index directly (no multiply) and
     * the report flag comes with it (no second table read): the scan's
     * dependency chain is one load per byte. */
    uint32_t *delta;
    /* The same with the state's number in 15 bits and the report flag in
     * bit 15, while the states fit (the built-in signals need about 17,000):
     * half the size, so twice as much of it stays in the cache. NULL when
     * they do not fit; then delta is used. */
    uint16_t *delta16;
    size_t states, capacity;
    GArray *patterns;
    bool compiled;
};

static int32_t new_state(matcher *m)
{
    if (m->states == m->capacity) {
        m->capacity = m->capacity ? m->capacity * 2 : 256;
        m->next = g_renew(int32_t, m->next, m->capacity * ALPHA);
        m->fail = g_renew(int32_t, m->fail, m->capacity);
        m->out = g_renew(int32_t, m->out, m->capacity);
        m->dict = g_renew(int32_t, m->dict, m->capacity);
    }
    int32_t s = (int32_t)m->states++;
    for (int a = 0; a < ALPHA; a++)
        m->next[(size_t)s * ALPHA + a] = -1;
    m->fail[s] = 0;
    m->out[s] = -1;
    m->dict[s] = -1;
    return s;
}

matcher *matcher_new(void)
{
    g_once(&symbols_once, init_symbols, NULL);
    matcher *m = g_new0(matcher, 1);
    m->patterns = g_array_new(FALSE, FALSE, sizeof(pattern));
    new_state(m); /* the root */
    return m;
}

void matcher_free(matcher *m)
{
    if (m == NULL)
        return;
    g_free(m->next);
    g_free(m->fail);
    g_free(m->out);
    g_free(m->dict);
    g_free(m->delta);
    g_free(m->delta16);
    g_array_free(m->patterns, TRUE);
    g_free(m);
}

void matcher_add(matcher *m, const char *text, int id, bool word_start, bool word_end)
{
    g_return_if_fail(!m->compiled && text[0] != '\0');
    int32_t s = 0;
    size_t len = strlen(text);
    for (size_t i = 0; i < len; i++) {
        int a = symbol((unsigned char)text[i]);
        if (m->next[(size_t)s * ALPHA + a] < 0) {
            int32_t t = new_state(m); /* may move m->next */
            m->next[(size_t)s * ALPHA + a] = t;
        }
        s = m->next[(size_t)s * ALPHA + a];
    }
    pattern p = {id, len, word_start, word_end, m->out[s]};
    g_array_append_val(m->patterns, p);
    m->out[s] = (int32_t)m->patterns->len - 1;
}

void matcher_compile(matcher *m)
{
    /* Breadth first: a state's fail link points to a shallower state, whose
     * transitions are already complete when we reach it. */
    int32_t *queue = g_new(int32_t, m->states);
    size_t head = 0, tail = 0;
    for (int a = 0; a < ALPHA; a++) {
        int32_t t = m->next[a];
        if (t < 0) {
            m->next[a] = 0;
        } else {
            m->fail[t] = 0;
            queue[tail++] = t;
        }
    }
    while (head < tail) {
        int32_t s = queue[head++];
        int32_t f = m->fail[s];
        m->dict[s] = m->out[f] >= 0 ? f : m->dict[f];
        for (int a = 0; a < ALPHA; a++) {
            int32_t t = m->next[(size_t)s * ALPHA + a];
            int32_t via_fail = m->next[(size_t)f * ALPHA + a];
            if (t < 0) {
                m->next[(size_t)s * ALPHA + a] = via_fail;
            } else {
                m->fail[t] = via_fail;
                queue[tail++] = t;
            }
        }
    }
    /* Number the states breadth first (the root, then every state one
     * symbol deep, ...): the shallow states, where the scan spends nearly
     * all its time, then lie together in the first rows of the table and
     * stay in the cache however many patterns there are. */
    int32_t *renum = g_new(int32_t, m->states);
    renum[0] = 0;
    for (size_t i = 0; i < tail; i++)
        renum[queue[i]] = (int32_t)i + 1;
    g_free(queue);
    int32_t *out = g_new(int32_t, m->states), *dict = g_new(int32_t, m->states);
    for (size_t i = 0; i < m->states; i++) {
        out[renum[i]] = m->out[i];
        dict[renum[i]] = m->dict[i] < 0 ? -1 : renum[m->dict[i]];
    }
    bool narrow = m->states <= DELTA16_STATES_MAX;
    if (narrow)
        m->delta16 = g_new0(uint16_t, m->states * STRIDE);
    else
        m->delta = g_new0(uint32_t, m->states * STRIDE);
    for (size_t i = 0; i < m->states; i++)
        for (int a = 0; a < ALPHA; a++) {
            int32_t t = m->next[i * ALPHA + (size_t)a];
            bool reports = m->out[t] >= 0 || m->dict[t] >= 0;
            size_t at = (size_t)renum[i] * STRIDE + (size_t)a;
            if (narrow)
                m->delta16[at] = (uint16_t)((uint32_t)renum[t] | (reports ? 0x8000u : 0u));
            else
                m->delta[at] = (uint32_t)renum[t] * STRIDE | (reports ? 1u : 0u);
        }
    g_free(renum);
    g_free(m->out);
    g_free(m->dict);
    m->out = out;
    m->dict = dict;
    /* Only the scan table, the outputs and the dictionary links are read
     * from now on. */
    g_free(m->next);
    m->next = NULL;
    g_free(m->fail);
    m->fail = NULL;
    m->compiled = true;
}

static void report(const matcher *m, int32_t state, const char *text, size_t len, size_t end,
                   matcher_hit_fn hit, void *ctx)
{
    for (int32_t s = state; s > 0; s = m->dict[s]) {
        for (int32_t pi = m->out[s]; pi >= 0;) {
            const pattern *p = &g_array_index(m->patterns, pattern, pi);
            size_t start = end - p->len;
            if ((!p->word_start || start == 0 || text[start - 1] == ' ') &&
                (!p->word_end || end == len || text[end] == ' '))
                hit(p->id, end, ctx);
            pi = p->next_here;
        }
        if (m->dict[s] < 0)
            break;
    }
}

void matcher_scan(const matcher *m, const char *text, size_t len, matcher_hit_fn hit, void *ctx)
{
    if (m->delta16 != NULL) {
        const uint16_t *delta = m->delta16;
        const unsigned char *p = (const unsigned char *)text;
        uint32_t state = 0;
        for (size_t i = 0; i < len; i++) {
            uint32_t v = delta[state * STRIDE + symbol_of[p[i]]];
            state = v & 0x7FFFu;
            if (G_UNLIKELY(v & 0x8000u))
                report(m, (int32_t)state, text, len, i + 1, hit, ctx);
        }
        return;
    }
    uint32_t v = 0;
    const uint32_t *delta = m->delta;
    const unsigned char *p = (const unsigned char *)text;
    for (size_t i = 0; i < len; i++) {
        v = delta[(v & ~7u) + symbol_of[p[i]]];
        if (G_UNLIKELY(v & 1u))
            report(m, (int32_t)(v / STRIDE), text, len, i + 1, hit, ctx);
    }
}
