/*
 * walindex — the consent store's -shm file looked at before use (see
 * walindex.h).
 */
#define _GNU_SOURCE /* statx: the only call that reports the immutable flag without an open */
#include "walindex.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

int walindex_look(const char *db_path, walindex_seen *out, char err[STORE_ERR_MAX])
{
    char path[4096];
    *out = (walindex_seen){0};
    if ((size_t)snprintf(path, sizeof path, "%s-shm", db_path) >= sizeof path) {
        store_errf(err, "consent store path too long: %.200s", db_path);
        return -1;
    }
    struct statx sx;
    if (statx(AT_FDCWD, path, 0, STATX_TYPE | STATX_INO | STATX_SIZE, &sx) < 0) {
        if (errno == ENOENT)
            return 0;
        store_errf(err, "consent store WAL index %s: %s", path, strerror(errno));
        return -1;
    }
    if (!S_ISREG(sx.stx_mode)) {
        store_errf(err, "consent store WAL index %s is not a regular file", path);
        return -1;
    }
    if (sx.stx_attributes & (STATX_ATTR_IMMUTABLE | STATX_ATTR_APPEND)) {
        store_errf(err, "consent store WAL index %s is %s: it cannot be used until that is "
                        "undone (chattr -%c)", path,
                   sx.stx_attributes & STATX_ATTR_IMMUTABLE ? "immutable" : "append-only",
                   sx.stx_attributes & STATX_ATTR_IMMUTABLE ? 'i' : 'a');
        return -1;
    }
    out->present = true;
    out->dev = makedev(sx.stx_dev_major, sx.stx_dev_minor);
    out->ino = (ino_t)sx.stx_ino;
    out->size = (off_t)sx.stx_size;
    return 0;
}

bool walindex_same(const walindex_seen *then, const walindex_seen *now)
{
    if (!then->present)
        return !now->present; /* none then; one now was made by another process */
    return now->present && now->dev == then->dev && now->ino == then->ino &&
           now->size >= then->size;
}
