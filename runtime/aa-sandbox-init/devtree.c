#include "devtree.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

int devtree_prepare(const char *point, uid_t uid, gid_t gid, struct failure *f) {
    char opts[96];
    snprintf(opts, sizeof opts, "mode=0755,size=64k,nr_inodes=64,uid=%u,gid=%u", uid, gid);
    if (mount("tmpfs", point, "tmpfs", MS_NOSUID | MS_NOEXEC, opts) < 0) return fail(f, "mount /dev tree", point);
    int dir = open(point, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) return fail(f, "open", point);
    static const struct { const char *name; unsigned major, minor; } nodes[] = {
        { "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 }, { "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
    };
    static const char *mount_points[] = { "pts", "shm", "mqueue" };
    static const char *links[][2] = {
        { "pts/ptmx", "ptmx" }, { "/proc/self/fd", "fd" }, { "/proc/self/fd/0", "stdin" },
        { "/proc/self/fd/1", "stdout" }, { "/proc/self/fd/2", "stderr" },
    };
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < sizeof nodes / sizeof *nodes; i++) {
        if (mknodat(dir, nodes[i].name, S_IFCHR | 0666, makedev(nodes[i].major, nodes[i].minor)) < 0 ||
            fchmodat(dir, nodes[i].name, 0666, 0) < 0 || fchownat(dir, nodes[i].name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
            rc = fail(f, "mknod", nodes[i].name);
    }
    for (size_t i = 0; rc == 0 && i < sizeof mount_points / sizeof *mount_points; i++) {
        if (mkdirat(dir, mount_points[i], 0755) < 0 || fchownat(dir, mount_points[i], uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
            rc = fail(f, "mkdir", mount_points[i]);
    }
    for (size_t i = 0; rc == 0 && i < sizeof links / sizeof *links; i++) {
        if (symlinkat(links[i][0], dir, links[i][1]) < 0 || fchownat(dir, links[i][1], uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
            rc = fail(f, "symlink", links[i][1]);
    }
    close(dir);
    if (rc == 0 && mount(NULL, point, NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NOEXEC, opts) < 0)
        rc = fail(f, "remount read-only", point);
    if (rc < 0) umount2(point, MNT_DETACH);
    return rc;
}
