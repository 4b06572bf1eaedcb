/*
 * storepool — a mutex-guarded stack of idle read-only store handles (see
 * storepool.h). Opening and closing happen outside the lock.
 */
#include "storepool.h"

#include <glib.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

struct storepool {
    GMutex lock;
    char *path;
    int busy_ms;
    unsigned max_idle, n_idle;
    storepool_lease *idle; /* max_idle entries; the top is n_idle - 1 */
    unsigned long opened;
};

storepool *storepool_new(const char *path, int busy_ms, unsigned max_idle)
{
    storepool *p = g_new0(storepool, 1);
    g_mutex_init(&p->lock);
    p->path = g_strdup(path);
    p->busy_ms = busy_ms;
    p->max_idle = max_idle;
    p->idle = g_new0(storepool_lease, max_idle ? max_idle : 1);
    return p;
}

void storepool_free(storepool *p)
{
    if (p == NULL)
        return;
    for (unsigned i = 0; i < p->n_idle; i++)
        store_close(p->idle[i].st);
    g_free(p->idle);
    g_free(p->path);
    g_mutex_clear(&p->lock);
    g_free(p);
}

static void stamp_of(const struct stat *st, storepool_stamp *out)
{
    *out = (storepool_stamp){.dev = st->st_dev, .ino = st->st_ino, .size = st->st_size,
                             .mtime = st->st_mtim, .ctime = st->st_ctim};
}

static bool same_stamp(const storepool_stamp *a, const storepool_stamp *b)
{
    return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
           a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec &&
           a->ctime.tv_sec == b->ctime.tv_sec && a->ctime.tv_nsec == b->ctime.tv_nsec;
}

/* Is a change after `now` sure to give the file another ctime than `c`?
 * Only if c lies clearly before now: a write within the same tick of the
 * file system's clock may leave every time stamp as it was. */
static bool settled(const struct timespec *c, const struct timespec *now)
{
    int64_t age_ms = ((int64_t)now->tv_sec - (int64_t)c->tv_sec) * 1000 +
                     ((int64_t)now->tv_nsec - (int64_t)c->tv_nsec) / 1000000;
    return age_ms >= STOREPOOL_SETTLE_MS;
}

int storepool_take(storepool *p, storepool_lease *lease, char err[STORE_ERR_MAX])
{
    *lease = (storepool_lease){0};
    /* The time first: a change after it gets a ctime no earlier than it. */
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct stat st;
    bool present = stat(p->path, &st) == 0;
    storepool_stamp stamp = {0};
    if (present)
        stamp_of(&st, &stamp);
    walindex_seen shm;
    bool shm_ok = walindex_look(p->path, &shm, err) == 0;
    for (;;) {
        storepool_lease top = {0};
        g_mutex_lock(&p->lock);
        if (p->n_idle > 0)
            top = p->idle[--p->n_idle];
        g_mutex_unlock(&p->lock);
        if (top.st == NULL)
            break;
        if (shm_ok && present && top.settled && same_stamp(&top.stamp, &stamp) &&
            walindex_same(&top.shm, &shm)) {
            *lease = top;
            return 0;
        }
        store_close(top.st); /* the file or its -shm was replaced, rewritten or removed */
    }
    if (!shm_ok)
        return -1; /* err says why; nothing may map that -shm now */
    store *s = store_open_wait(p->path, STORE_READONLY, p->busy_ms, err);
    if (s == NULL)
        return -1;
    /* What the open mapped; also made, if there was none. */
    if (walindex_look(p->path, &shm, err) < 0) {
        store_close(s);
        return -1;
    }
    /* The file may have been created or changed between stat() and the
     * open: then the stamp is older than what the handle read, the next take
     * sees a difference and opens anew. */
    *lease = (storepool_lease){.st = s,
                               .stamp = stamp,
                               .settled = present && settled(&st.st_ctim, &now),
                               .shm = shm};
    g_mutex_lock(&p->lock);
    p->opened++;
    g_mutex_unlock(&p->lock);
    return 0;
}

void storepool_give(storepool *p, storepool_lease *lease, bool failed)
{
    if (lease->st == NULL)
        return;
    bool kept = false;
    if (!failed && lease->settled) {
        g_mutex_lock(&p->lock);
        if (p->n_idle < p->max_idle) {
            p->idle[p->n_idle++] = *lease;
            kept = true;
        }
        g_mutex_unlock(&p->lock);
    }
    if (!kept)
        store_close(lease->st);
    *lease = (storepool_lease){0};
}

unsigned long storepool_opened(const storepool *p)
{
    g_mutex_lock((GMutex *)&p->lock);
    unsigned long n = p->opened;
    g_mutex_unlock((GMutex *)&p->lock);
    return n;
}
