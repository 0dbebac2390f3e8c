// The slot's /dev: made once per spawner, bound read-only into each of its sandboxes.
#ifndef AASI_DEVTREE_H
#define AASI_DEVTREE_H

#include <sys/types.h>

#include "common.h"

/// Mounts a small read-only tmpfs at point holding null, zero, full, random, urandom and tty
/// (mode 0666), the mount points pts, shm and mqueue, and the links ptmx, fd, stdin, stdout and
/// stderr, all owned by uid:gid (root inside); 0, or -1 with *f set.
int devtree_prepare(const char *point, uid_t uid, gid_t gid, struct failure *f);

#endif
