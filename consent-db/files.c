/*
 * files — creating the consent and audit store files before SQLite opens
 * them, so that they are private from the first byte (see store.h).
 */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int store_file_create_private(const char *path, char err[STORE_ERR_MAX])
{
    /* 0640 whatever the umask: a umask only takes bits away (077 gives
     * 0600). SQLite gives its -wal, -shm and -journal files the mode (and,
     * as root, the owner) of the main file, so they follow. */
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                  STORE_FILE_MODE);
    if (fd < 0) {
        if (errno == EEXIST)
            return 0; /* not ours to change: the caller opens what is there */
        store_errf(err, "cannot create %s: %s", path, strerror(errno));
        return -1;
    }
    /* The group of the directory, as a set-group-ID directory would give
     * it: the milter's group where the directory belongs to it. Where this
     * user may not give that group, the file keeps the user's own. */
    gchar *dir = g_path_get_dirname(path);
    struct stat dst;
    if (stat(dir, &dst) == 0 && fchown(fd, (uid_t)-1, dst.st_gid) < 0) {
        /* not a member of the directory's group: keep ours */
    }
    g_free(dir);
    close(fd);
    return 0;
}
