/*
 * tcpnodelay — see tcpnodelay.h for why this exists.
 *
 * The listener is found among the open descriptors (/proc/self/fd) by what
 * it is: a socket in the listening state (SO_ACCEPTCONN) of a TCP family.
 * Anything else, including descriptors that are not sockets, is left alone.
 */
#include "tcpnodelay.h"

#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static int sockopt_int(int fd, int level, int name, int *value)
{
    socklen_t len = sizeof *value;
    *value = 0;
    return getsockopt(fd, level, name, value, &len);
}

static int is_tcp_listener(int fd)
{
    int v;
    if (sockopt_int(fd, SOL_SOCKET, SO_ACCEPTCONN, &v) < 0 || v != 1)
        return 0; /* not a socket (ENOTSOCK), or not listening */
    if (sockopt_int(fd, SOL_SOCKET, SO_DOMAIN, &v) < 0 || (v != AF_INET && v != AF_INET6))
        return 0;
    return sockopt_int(fd, SOL_SOCKET, SO_PROTOCOL, &v) == 0 && v == IPPROTO_TCP;
}

int milter_listener_nodelay(char err[256])
{
    DIR *dir = opendir("/proc/self/fd");
    if (dir == NULL) {
        snprintf(err, 256, "cannot list /proc/self/fd to find the listening socket: %s",
                 strerror(errno));
        return -1;
    }
    int listing = dirfd(dir), set = 0, rc = 0;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        char *end;
        long fd = strtol(e->d_name, &end, 10);
        if (*end != '\0' || end == e->d_name || fd < 0 || fd == listing)
            continue;
        if (!is_tcp_listener((int)fd))
            continue;
        int one = 1;
        if (setsockopt((int)fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0) {
            snprintf(err, 256, "cannot set TCP_NODELAY on the listening socket: %s",
                     strerror(errno));
            rc = -1;
            break;
        }
        set++;
    }
    closedir(dir);
    return rc < 0 ? -1 : set;
}
