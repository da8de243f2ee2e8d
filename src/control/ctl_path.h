/* Where a tpipe's control socket lives: $XDG_RUNTIME_DIR/tpipe/PID when XDG_RUNTIME_DIR is
 * set and usable (an absolute path to a directory of ours, short enough for a socket's
 * name), else /tmp/tpipe-UID/PID. The directory is made 0700 and checked before use, with
 * lstat: a directory, not a symlink, owned by us, no bits for group or others; so nobody
 * else can put a socket where a client looks, or reach ours. */
#ifndef TP_CTL_PATH_H
#define TP_CTL_PATH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* A socket's path: at most sizeof(sockaddr_un.sun_path) - 1 bytes. */
#define TP_CTL_PATH_MAX 108

/* The running tpipe's side: makes (if need be) and checks the directory for our sockets, and
 * puts our socket's path in path. 0, or -errno with *why (for the one warning) and the
 * directory in path. */
int tp_ctl_own_path(char path[TP_CTL_PATH_MAX], pid_t pid, const char **why);

/* The client's side: the places a tpipe `pid` of user `uid` may have its socket, most likely
 * first (our $XDG_RUNTIME_DIR when it is our own process, /run/user/UID, /tmp/tpipe-UID).
 * Fills up to 3 paths; returns how many. */
unsigned tp_ctl_paths_for(char paths[3][TP_CTL_PATH_MAX], pid_t pid, uid_t uid);

#endif
