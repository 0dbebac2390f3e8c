#include "mask.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#define OPAQUE_XATTR "trusted.overlay.opaque"

static char copied[4096]; // the tree the mask point holds now

// Gives dst (an open directory) the owner, mode and opaque mark of src.
static int copy_directory_attributes(int src, int dst, const struct stat *st) {
    if (fchown(dst, st->st_uid, st->st_gid) < 0 || fchmod(dst, st->st_mode & 07777) < 0) return -1;
    char value[8];
    ssize_t n = fgetxattr(src, OPAQUE_XATTR, value, sizeof value);
    if (n > 0 && fsetxattr(dst, OPAQUE_XATTR, value, (size_t)n, 0) < 0) return -1;
    return 0;
}

// Copies the entries of directory src into directory dst, recursively; closes neither.
static int copy_entries(int src, int dst, struct failure *f) {
    int listing = dup(src);
    DIR *dir = listing < 0 ? NULL : fdopendir(listing);
    if (!dir) {
        if (listing >= 0) close(listing);
        return fail(f, "opendir", "host-root mask");
    }
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(dir))) {
        const char *name = e->d_name;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) continue;
        struct stat st;
        if (fstatat(src, name, &st, AT_SYMLINK_NOFOLLOW) < 0) { rc = fail(f, "fstatat", name); break; }
        if (S_ISDIR(st.st_mode)) {
            if (mkdirat(dst, name, 0700) < 0) { rc = fail(f, "mkdir", name); break; }
            int from = openat(src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            int to = openat(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (from < 0 || to < 0) rc = fail(f, "open", name);
            else if (copy_directory_attributes(from, to, &st) < 0) rc = fail(f, "copy attributes", name);
            else rc = copy_entries(from, to, f);
            if (from >= 0) close(from);
            if (to >= 0) close(to);
        } else if (S_ISCHR(st.st_mode)) {
            if (mknodat(dst, name, S_IFCHR | (st.st_mode & 07777), st.st_rdev) < 0 ||
                fchownat(dst, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
                rc = fail(f, "mknod", name);
        } else if (S_ISLNK(st.st_mode)) {
            char target[4096];
            ssize_t n = readlinkat(src, name, target, sizeof target - 1);
            if (n < 0) { rc = fail(f, "readlink", name); break; }
            target[n] = 0;
            if (symlinkat(target, dst, name) < 0 || fchownat(dst, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
                rc = fail(f, "symlink", name);
        } else {
            errno = EINVAL;
            rc = fail(f, "host-root mask", name); // the runtime writes only the three kinds above
        }
    }
    closedir(dir);
    return rc;
}

int mask_refresh(const char *point, const char *tree, struct failure *f) {
    if (strcmp(copied, tree) == 0) return 0;
    if (copied[0]) umount2(point, MNT_DETACH); // sandboxes that use it keep their own reference
    copied[0] = 0;
    if (mount("tmpfs", point, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0755,size=8m") < 0) return fail(f, "mount tmpfs", point);
    int src = open(tree, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int dst = open(point, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    struct stat st;
    int rc;
    if (src < 0 || dst < 0 || fstat(src, &st) < 0) rc = fail(f, "open", tree);
    else if (copy_directory_attributes(src, dst, &st) < 0) rc = fail(f, "copy attributes", tree);
    else rc = copy_entries(src, dst, f);
    if (src >= 0) close(src);
    if (dst >= 0) close(dst);
    if (rc == 0 && mount(NULL, point, NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
        rc = fail(f, "remount read-only", point);
    if (rc < 0) {
        umount2(point, MNT_DETACH);
        return -1;
    }
    snprintf(copied, sizeof copied, "%s", tree);
    return 0;
}
