/*
 * matcher — Aho-Corasick over the folded alphabet, compiled to a dense
 * transition table so a scan costs one table read per byte.
 */
#include "matcher.h"

#include <glib.h>
#include <stdint.h>
#include <string.h>

/* Folded text holds a-z, 0-9, '%', ' ' and bytes of other scripts. The
 * digits are one symbol: no pattern needs to tell them apart ("0% interest"
 * is the same offer as "5% interest"), and a narrower table stays in the
 * cache. */
enum { SYM_DIGIT = 26, SYM_PERCENT = 27, SYM_SPACE = 28, SYM_OTHER = 29, ALPHA = 30 };
/* Row width of the scan table: ALPHA rounded up to a multiple of 8, so the
 * low three bits of a row offset are free for the report flag. */
enum { STRIDE = 32 };
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
            symbol_of[c] = SYM_DIGIT;
        else if (c == '%')
            symbol_of[c] = SYM_PERCENT;
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
    size_t longest; /* the longest pattern */
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
    if (len > m->longest)
        m->longest = len;
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

/* A place where a later part's automaton reported, kept until the parts
 * before it have handed theirs out (hits come in text order). */
typedef struct pending {
    uint32_t state;
    size_t end;
} pending;

/* Texts shorter than this are scanned in one pass. */
#define SCAN_SPLIT_MIN 512

/* The 16-bit table, the text in STREAMS parts at once: each byte's table
 * read depends on the one before, and a large table is mostly read from the
 * second-level cache, so one pass waits on memory most of the time; passes
 * over independent parts wait together. Each part after the first starts
 * `longest` bytes early, from the root, so that it finds every match ending
 * in it (a match is at most `longest` long), and reports only those; the
 * later parts' reports are kept until the first part's are handed out (hits
 * come in text order). */
#define STREAMS 4

/* The reports one part keeps for later, in text order. */
typedef struct pending_list {
    pending *items;
    size_t n, room;
} pending_list;

static void pending_push(pending_list *l, uint32_t state, size_t end)
{
    if (l->n == l->room) {
        l->room = l->room ? 2 * l->room : 64;
        l->items = g_renew(pending, l->items, l->room);
    }
    l->items[l->n++] = (pending){state, end};
}

static void scan16_parts(const matcher *m, const unsigned char *p, size_t len, matcher_hit_fn hit,
                         void *ctx)
{
    const uint16_t *delta = m->delta16;
    const char *text = (const char *)p;
    size_t from[STREAMS], begin[STREAMS], to[STREAMS]; /* scan [begin, to), report > from */
    for (int k = 0; k < STREAMS; k++) {
        from[k] = len * (size_t)k / STREAMS;
        to[k] = len * (size_t)(k + 1) / STREAMS;
        begin[k] = from[k] > m->longest ? from[k] - m->longest : 0;
    }
    size_t steps = 0;
    for (int k = 0; k < STREAMS; k++)
        if (to[k] - begin[k] > steps)
            steps = to[k] - begin[k];
    pending_list later[STREAMS] = {{0}};
    uint32_t st[STREAMS] = {0};
    for (size_t i = 0; i < steps; i++) {
        for (int k = 0; k < STREAMS; k++) {
            size_t at = begin[k] + i;
            if (at >= to[k])
                continue;
            uint32_t v = delta[st[k] * STRIDE + symbol_of[p[at]]];
            st[k] = v & 0x7FFFu;
            if (G_LIKELY(!(v & 0x8000u)) || at + 1 <= from[k])
                continue;
            if (k == 0)
                report(m, (int32_t)st[k], text, len, at + 1, hit, ctx);
            else
                pending_push(&later[k], st[k], at + 1);
        }
    }
    /* The first part's reports were handed out as found; the others follow
     * part by part, each in text order, and part k's ends all lie before
     * part k+1's. */
    for (int k = 1; k < STREAMS; k++) {
        for (size_t j = 0; j < later[k].n; j++)
            report(m, (int32_t)later[k].items[j].state, text, len, later[k].items[j].end, hit,
                   ctx);
        g_free(later[k].items);
    }
}

void matcher_scan(const matcher *m, const char *text, size_t len, matcher_hit_fn hit, void *ctx)
{
    if (m->delta16 != NULL && len >= SCAN_SPLIT_MIN && len / STREAMS > m->longest) {
        scan16_parts(m, (const unsigned char *)text, len, hit, ctx);
        return;
    }
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
