/*
 * storepool — read-only handles on the consent store, with their prepared
 * lookups, shared by libmilter's worker threads. One pool per configuration
 * snapshot (runtime), so a reload that names another Database starts from
 * an empty pool and the old handles close with the old snapshot.
 *
 * Why a pool and not one handle per thread: Debian's libmilter is built
 * with its worker pool (_FFR_WORKERS_POOL): an MTA connection does not own
 * a thread; each burst of commands is served by whichever worker is free,
 * and workers beyond the second are started and ended with the load. A
 * per-thread handle was opened afresh (open, schema check, prepare) for
 * most messages under load. A handle taken from the pool is used by one
 * thread at a time and given back at the end of the message.
 *
 * A handle is not reused when the file at the configured path is not, to
 * the last nanosecond and byte, the one it was opened on (another inode, or
 * another size, mtime or ctime: a restore by rename or by copying over the
 * file), or when its last lookup failed (the file may have been repaired
 * since): it is closed and the next take opens anew. SQLite itself sees only
 * changes made through SQLite (the WAL index); a `cp backup.db consent.db`
 * keeps the inode and the WAL index, and a pooled handle would go on reading
 * its cached pages of the old content. File times are coarse (a clock tick,
 * a second on some file systems), so a handle opened while the file's ctime
 * is less than STOREPOOL_SETTLE_MS old may miss a change made in that same
 * tick: such a handle is used for one message only.
 * Nor is it reused when the store's -shm file, which SQLite maps into
 * memory, was replaced, removed or truncated since; and while that file is
 * immutable or append-only no handle is lent at all (see walindex.h: using
 * such a mapping kills the process with SIGBUS). Read-only handles never
 * write to the mapping when closed, so closing them is safe.
 * Never opens the store for writing.
 */
#ifndef CONSENT_MILTER_STOREPOOL_H
#define CONSENT_MILTER_STOREPOOL_H

#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

#include "store.h"
#include "walindex.h"

typedef struct storepool storepool;

#define STOREPOOL_SETTLE_MS 1000

/* What identifies the file's content as far as stat(2) can tell. */
typedef struct storepool_stamp {
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime, ctime;
} storepool_stamp;

/* A handle lent out by storepool_take; give it back with storepool_give. */
typedef struct storepool_lease {
    store *st; /* NULL when the take failed */
    storepool_stamp stamp; /* the file as it was just before the open */
    bool settled; /* its ctime was STOREPOOL_SETTLE_MS old then: reusable */
    walindex_seen shm;     /* its -shm when it was opened (or last taken) */
} storepool_lease;

/* A pool for the store at path (copied), opening with a lock wait of
 * busy_ms. Keeps at most max_idle handles between messages. */
storepool *storepool_new(const char *path, int busy_ms, unsigned max_idle);

/* Closes the idle handles and frees the pool; every lease must have been
 * given back. NULL is a no-op. */
void storepool_free(storepool *p);

/* Lends a handle: an idle one for the same file, else a newly opened one.
 * Returns 0, or -1 with err filled and lease->st NULL. */
int storepool_take(storepool *p, storepool_lease *lease, char err[STORE_ERR_MAX]);

/* Gives a lease back; failed: its last use failed, close it instead of
 * keeping it. A lease whose take failed is ignored. */
void storepool_give(storepool *p, storepool_lease *lease, bool failed);

/* Handles opened since the pool was made (for tests and statistics). */
unsigned long storepool_opened(const storepool *p);

#endif
