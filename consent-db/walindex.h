/*
 * walindex — is the consent store's WAL index (the "-shm" file beside it)
 * safe to use? SQLite maps that file into memory; when it is truncated,
 * replaced or made immutable under a process that has it mapped, the next
 * access kills that process with SIGBUS, and a replaced one is no longer
 * shared with the writers. The milter looks before every use of a handle
 * (storepool) and turns such a state into an error (a tempfail) instead.
 *
 * Only looks (statx); never opens, changes or maps anything. A race with a
 * change made between the look and the use remains; the states an
 * administrator leaves the files in are caught.
 */
#ifndef CONSENT_DB_WALINDEX_H
#define CONSENT_DB_WALINDEX_H

#include <stdbool.h>
#include <sys/types.h>

#include "store.h"

typedef struct walindex_seen {
    bool present;
    dev_t dev;
    ino_t ino;
    off_t size;
} walindex_seen;

/* Looks at db_path's -shm. -1 with err where no handle may map it now (it
 * is immutable or append-only, or not a regular file); 0 otherwise, a
 * missing file included (SQLite creates it). */
int walindex_look(const char *db_path, walindex_seen *out, char err[STORE_ERR_MAX]);

/* May a handle that mapped the file seen as `then` go on using it, the
 * file being `now`? Not if it was replaced, removed or made smaller. */
bool walindex_same(const walindex_seen *then, const walindex_seen *now);

#endif
