// The sandbox's first process: builds the root filesystem as real root in fresh mount, pid, uts
// and ipc namespaces, then joins its slot's user namespace, enters a new cgroup namespace and
// becomes the init.
#include "setup.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "init.h"

#define PATH_CAP 4096

struct ctx {
    const struct parsed *spec;
    struct failure *f;
    char stage[PATH_CAP];
    char root[PATH_CAP];
    uid_t root_uid;
    gid_t root_gid;
    int userns_fd;
    int host_net_fd; // the host's network namespace, for sandboxes that share it
    int rootfd; // O_PATH of the new root, for resolving paths inside it
    char devnull[PATH_CAP]; // the new root's /dev/null, seen from outside
};

static int openat2_path(int dirfd, const char *path, int flags) {
    struct open_how how = { .flags = (unsigned long long)(flags | O_CLOEXEC), .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
    return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
}

// Creates every missing component of path below the new root, resolving symlinks inside the root only.
// Returns an O_PATH fd of the final directory, or -1.
static int mkdir_in_root(struct ctx *c, const char *path, mode_t mode) {
    int fd = openat2_path(c->rootfd, path, O_PATH | O_DIRECTORY);
    if (fd >= 0 || errno != ENOENT) return fd; // most targets exist: one lookup
    fd = openat2_path(c->rootfd, "/", O_PATH | O_DIRECTORY);
    if (fd < 0) return -1;
    char buf[PATH_CAP];
    snprintf(buf, sizeof buf, "%s", path);
    char *save = NULL;
    for (char *part = strtok_r(buf, "/", &save); part; part = strtok_r(NULL, "/", &save)) {
        int next = openat2_path(fd, part, O_PATH | O_DIRECTORY);
        if (next < 0 && errno == ENOENT) {
            if (mkdirat(fd, part, mode) < 0 && errno != EEXIST) { int e = errno; close(fd); errno = e; return -1; }
            if (fchownat(fd, part, c->root_uid, c->root_gid, AT_SYMLINK_NOFOLLOW) < 0) { int e = errno; close(fd); errno = e; return -1; }
            next = openat2_path(fd, part, O_PATH | O_DIRECTORY);
        }
        int e = errno;
        close(fd);
        if (next < 0) { errno = e; return -1; }
        fd = next;
    }
    return fd;
}

// Resolves path inside the new root to a mount target usable by mount(2): "/proc/self/fd/N".
static int target_in_root(struct ctx *c, const char *path, int want_file, char *out, size_t cap, int *fdout) {
    int fd;
    if (want_file) {
        char parent[PATH_CAP];
        snprintf(parent, sizeof parent, "%s", path);
        char *slash = strrchr(parent, '/');
        const char *name = path;
        if (slash) { *slash = 0; name = slash + 1; } else { parent[0] = 0; }
        int pfd = mkdir_in_root(c, parent[0] ? parent : "/", 0755);
        if (pfd < 0) return -1;
        fd = openat2_path(pfd, name, O_PATH);
        if (fd < 0 && errno == ENOENT) {
            int cfd = openat(pfd, name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
            if (cfd >= 0) close(cfd);
            fd = openat2_path(pfd, name, O_PATH);
        }
        int e = errno;
        close(pfd);
        errno = e;
    } else {
        fd = mkdir_in_root(c, path, 0755);
    }
    if (fd < 0) return -1;
    snprintf(out, cap, "/proc/self/fd/%d", fd);
    *fdout = fd;
    return 0;
}

// mount(2) onto the directory or file an O_PATH fd refers to. A directory is made the working
// directory and named "." (a "/proc/self/fd/N" target costs procfs a lookup of the pid, its fd
// directory and the fd, every time); a file is named through its fd.
static int mount_on_fd(const char *src, int fd, int is_file, const char *type, unsigned long flags, const char *data) {
    if (is_file) {
        char target[64];
        snprintf(target, sizeof target, "/proc/self/fd/%d", fd);
        return mount(src, target, type, flags, data);
    }
    if (fchdir(fd) < 0) return -1;
    return mount(src, ".", type, flags, data);
}

static int mount_at(struct ctx *c, const char *src, const char *path, const char *type, unsigned long flags, const char *data, int want_file, const char *step) {
    char target[64];
    int fd;
    if (target_in_root(c, path, want_file, target, sizeof target, &fd) < 0) return fail(c->f, step, path);
    int rc = mount_on_fd(src, fd, want_file, type, flags, data);
    int e = errno;
    close(fd);
    errno = e;
    if (rc < 0) return fail(c->f, step, path);
    return 0;
}

static int remount_at(struct ctx *c, const char *path, unsigned long flags, const char *step) {
    int fd = openat2_path(c->rootfd, path, O_PATH);
    if (fd < 0) return fail(c->f, step, path);
    struct stat st;
    int rc = fstat(fd, &st) < 0 ? -1 : mount_on_fd(NULL, fd, !S_ISDIR(st.st_mode), NULL, MS_REMOUNT | MS_BIND | flags, NULL);
    int e = errno;
    close(fd);
    errno = e;
    if (rc < 0) return fail(c->f, step, path);
    return 0;
}

// A detached clone of a host directory, read-only, id-mapped into the sandbox's range when asked
// (and when the filesystem supports it), attached at dst.
static int attach_lower(struct ctx *c, const char *host, const char *dst, int idmapped) {
    int tree = (int)syscall(SYS_open_tree, AT_FDCWD, host, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
    if (tree < 0) return fail(c->f, "open_tree", host);
    struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOSUID };
    if (idmapped && c->userns_fd >= 0) {
        struct mount_attr idmap = attr;
        idmap.attr_set |= MOUNT_ATTR_IDMAP;
        idmap.userns_fd = (unsigned long long)c->userns_fd;
        if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &idmap, sizeof idmap) == 0) goto move;
    }
    if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0) { int e = errno; close(tree); errno = e; return fail(c->f, "mount_setattr", host); }
move:
    if (mkdir(dst, 0755) < 0 && errno != EEXIST) { int e = errno; close(tree); errno = e; return fail(c->f, "mkdir", dst); }
    if (syscall(SYS_move_mount, tree, "", AT_FDCWD, dst, MOVE_MOUNT_F_EMPTY_PATH) < 0) { int e = errno; close(tree); errno = e; return fail(c->f, "move_mount", dst); }
    close(tree);
    return 0;
}

static int split(const struct field *f, char *scratch, size_t cap, char **parts, int n, int need, struct ctx *c, const char *what) {
    int got = field_split(f, scratch, cap, parts, n);
    if (got < need) { errno = EINVAL; return fail(c->f, what, "malformed field"); }
    return got;
}

struct overlay {
    char target[PATH_CAP];
    char lowerdirs[PATH_CAP];
    size_t used;
    int nlower;
    char upper[PATH_CAP];
    char work[PATH_CAP];
};

static int mount_overlay(struct ctx *c, struct overlay *o, int index) {
    if (o->nlower == 0) { errno = EINVAL; return fail(c->f, "overlay", "no lower layer"); }
    if (!o->upper[0]) {
        snprintf(o->upper, sizeof o->upper, "%s/u%d", c->stage, index);
        snprintf(o->work, sizeof o->work, "%s/w%d", c->stage, index);
        if (mkdir(o->upper, 0755) < 0 || mkdir(o->work, 0700) < 0) return fail(c->f, "mkdir", o->upper);
        if (chown(o->upper, c->root_uid, c->root_gid) < 0) return fail(c->f, "chown", o->upper);
    }
    char opts[3 * PATH_CAP + 64];
    snprintf(opts, sizeof opts, "lowerdir=%s,upperdir=%s,workdir=%s,index=off,uuid=off", o->lowerdirs, o->upper, o->work);
    if (strcmp(o->target, "/") == 0) {
        if (mkdir(c->root, 0755) < 0) return fail(c->f, "mkdir", c->root);
        if (mount("overlay", c->root, "overlay", MS_NOSUID | MS_NODEV, opts) < 0) return fail(c->f, "mount overlay", "/");
        c->rootfd = open(c->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (c->rootfd < 0) return fail(c->f, "open", c->root);
        return 0;
    }
    if (c->rootfd < 0) { errno = EINVAL; return fail(c->f, "overlay", "the root overlay must come first"); }
    return mount_at(c, "overlay", o->target, "overlay", MS_NOSUID | MS_NODEV, opts, 0, "mount overlay");
}

// The root filesystem: overlays in spec order, the root one first, each over its LOWER layers
// (top first) with its writable layer on the staging tmpfs or in persistent host directories.
static int build_root(struct ctx *c) {
    const struct parsed *s = c->spec;
    char scratch[2 * PATH_CAP];
    char *parts[2];
    struct overlay o;
    int count = 0, attached = 0, open_group = 0;
    for (size_t i = 0; i <= s->count; i++) {
        const struct field *fl = i < s->count ? &s->fields[i] : NULL;
        if (!fl || fl->key == AAL_K_OVERLAY) {
            if (open_group && mount_overlay(c, &o, count++) < 0) return -1;
            if (!fl) break;
            o.used = 0; // field by field: the struct spans four pages of a fresh stack
            o.nlower = 0;
            o.lowerdirs[0] = o.upper[0] = o.work[0] = 0;
            if (!field_str(fl, o.target, sizeof o.target)) { errno = ENAMETOOLONG; return fail(c->f, "overlay", "path too long"); }
            open_group = 1;
        } else if (fl->key == AAL_K_LOWER && open_group) {
            if (split(fl, scratch, sizeof scratch, parts, 2, 2, c, "lower layer") < 0) return -1;
            char dst[PATH_CAP];
            if (strcmp(parts[1], "d") == 0) {
                // Used by its path: overlayfs takes a private clone of every layer itself and never
                // writes to one, and nothing inside reaches the path, so a read-only clone here would
                // only add a mount to set up and tear down.
                snprintf(dst, sizeof dst, "%s", parts[0]);
            } else {
                snprintf(dst, sizeof dst, "%s/l%d", c->stage, attached++);
                if (attach_lower(c, parts[0], dst, strcmp(parts[1], "1") == 0) < 0) return -1;
            }
            int w = snprintf(o.lowerdirs + o.used, sizeof o.lowerdirs - o.used, "%s%s", o.nlower ? ":" : "", dst);
            if (w < 0 || (size_t)w >= sizeof o.lowerdirs - o.used) { errno = E2BIG; return fail(c->f, "lower layer", "too many layers"); }
            o.used += (size_t)w;
            o.nlower++;
        } else if (fl->key == AAL_K_UPPER && open_group) {
            if (split(fl, scratch, sizeof scratch, parts, 2, 2, c, "writable layer") < 0) return -1;
            snprintf(o.upper, sizeof o.upper, "%s", parts[0]);
            snprintf(o.work, sizeof o.work, "%s", parts[1]);
        }
    }
    if (c->rootfd < 0) { errno = EINVAL; return fail(c->f, "root", "no root overlay"); }
    return 0;
}

static int extra_mounts(struct ctx *c) {
    const struct parsed *s = c->spec;
    char scratch[3 * PATH_CAP];
    char *parts[3];
    for (size_t i = 0; i < s->count; i++) {
        const struct field *fl = &s->fields[i];
        if (fl->key == AAL_K_BIND) {
            if (split(fl, scratch, sizeof scratch, parts, 3, 3, c, "bind") < 0) return -1;
            struct stat st;
            if (stat(parts[0], &st) < 0) return fail(c->f, "stat bind source", parts[0]);
            int ro = strcmp(parts[2], "ro") == 0;
            if (mount_at(c, parts[0], parts[1], NULL, MS_BIND | MS_REC, NULL, !S_ISDIR(st.st_mode), "bind") < 0) return -1;
            if (remount_at(c, parts[1], MS_NOSUID | MS_NODEV | (ro ? MS_RDONLY : 0), "remount bind") < 0) return -1;
        } else if (fl->key == AAL_K_TMPFS) {
            if (split(fl, scratch, sizeof scratch, parts, 3, 3, c, "tmpfs") < 0) return -1;
            char opts[128];
            snprintf(opts, sizeof opts, "size=%s,mode=%s,uid=%u,gid=%u", parts[1], parts[2], c->root_uid, c->root_gid);
            if (mount_at(c, "tmpfs", parts[0], "tmpfs", MS_NOSUID | MS_NODEV, opts, 0, "mount tmpfs") < 0) return -1;
        }
    }
    return 0;
}

// /dev: the slot's read-only tree of device nodes, mount points and links (made once by the
// spawner), with this sandbox's own devpts, shm and mqueue on top.
static int make_dev(struct ctx *c) {
    char tree[PATH_CAP];
    if (!field_str(msg_find(c->spec, AAL_K_DEV_TREE), tree, sizeof tree)) { errno = EINVAL; return fail(c->f, "/dev", "no device tree"); }
    if (mount_at(c, tree, "/dev", NULL, MS_BIND, NULL, 0, "bind /dev") < 0) return -1;
    if (mount_at(c, "devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620", 0, "mount devpts") < 0) return -1;
    char shm[96];
    long long shm_bytes = field_num(msg_find(c->spec, AAL_K_SHM_BYTES), 64LL << 20);
    snprintf(shm, sizeof shm, "mode=1777,size=%lld,uid=%u,gid=%u", shm_bytes, c->root_uid, c->root_gid);
    if (mount_at(c, "tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, shm, 0, "mount /dev/shm") < 0) return -1;
    return mount_at(c, "mqueue", "/dev/mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, 0, "mount /dev/mqueue");
}

// Binds the sandbox's /dev/null over a file, named from its directory (no procfs fd lookup).
static int mask_file(struct ctx *c, const char *path) {
    char parent[PATH_CAP];
    snprintf(parent, sizeof parent, "%s", path);
    char *slash = strrchr(parent, '/');
    if (!slash || !slash[1]) { errno = EINVAL; return -1; }
    *slash = 0;
    int dir = openat2_path(c->rootfd, parent[0] ? parent : "/", O_PATH | O_DIRECTORY);
    if (dir < 0) return -1;
    int rc = fchdir(dir) < 0 ? -1 : mount(c->devnull, slash + 1, NULL, MS_BIND, NULL);
    int e = errno;
    close(dir);
    errno = e;
    return rc;
}

// Masks (unreadable) and read-only paths of /proc and /sys.
static int harden_paths(struct ctx *c) {
    const struct parsed *s = c->spec;
    for (size_t i = 0; i < s->count; i++) {
        const struct field *fl = &s->fields[i];
        if (fl->key != AAL_K_MASK_PATH && fl->key != AAL_K_RO_PATH) continue;
        char path[PATH_CAP];
        if (!field_str(fl, path, sizeof path)) continue;
        int fd = openat2_path(c->rootfd, path, O_PATH);
        if (fd < 0) continue; // absent on this kernel
        struct stat st;
        fstat(fd, &st);
        int is_file = !S_ISDIR(st.st_mode);
        int rc;
        if (fl->key == AAL_K_MASK_PATH) {
            char empty[PATH_CAP];
            if (!is_file && field_str(msg_find(s, AAL_K_MASK_SOURCE), empty, sizeof empty))
                rc = mount_on_fd(empty, fd, 0, NULL, MS_BIND, NULL); // a bind of a read-only mount is read-only
            else if (!is_file)
                rc = mount_on_fd("tmpfs", fd, 0, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0,mode=000");
            else
                rc = mask_file(c, path); // with the sandbox's own /dev/null
        } else {
            char self[64];
            snprintf(self, sizeof self, "/proc/self/fd/%d", fd);
            rc = mount_on_fd(is_file ? self : ".", fd, is_file, NULL, MS_BIND | MS_REC, NULL);
            if (rc == 0) {
                close(fd);
                fd = openat2_path(c->rootfd, path, O_PATH); // the new mount, on top
                rc = fd < 0 ? -1 : mount_on_fd(NULL, fd, is_file, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
            }
        }
        int e = errno;
        close(fd);
        errno = e;
        if (rc < 0) return fail(c->f, fl->key == AAL_K_MASK_PATH ? "mask path" : "read-only path", path);
    }
    return 0;
}

// Tells the runner, on the init's control socket, why the sandbox could not be built.
static void report_failure(int ctl, const struct failure *f) {
    static uint8_t buf[1024];
    struct msg m;
    msg_begin(&m, buf, sizeof buf, AAL_M_FAILED);
    msg_add_str(&m, AAL_K_STEP, f->step);
    msg_add_num(&m, AAL_K_ERRNO, f->err);
    msg_add_str(&m, AAL_K_DETAIL, f->detail);
    msg_send(ctl, &m, NULL, 0);
}

static int setup(struct ctx *c) {
    const struct parsed *s = c->spec;
    struct failure *f = c->f;
    char host_stage[PATH_CAP];
    if (!field_str(msg_find(s, AAL_K_STAGE), host_stage, sizeof host_stage)) snprintf(host_stage, sizeof host_stage, "/tmp");
    snprintf(c->stage, sizeof c->stage, "%s", host_stage);
    snprintf(c->root, sizeof c->root, "%s/root", c->stage);
    snprintf(c->devnull, sizeof c->devnull, "%s/dev/null", c->root);

    if (msg_find(s, AAL_K_NET_HOST) && c->host_net_fd >= 0 && setns(c->host_net_fd, CLONE_NEWNET) < 0)
        return fail(f, "setns", "the host network namespace");
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) return fail(f, "mount MS_PRIVATE", "/");
    char opts[128];
    long long disk = field_num(msg_find(s, AAL_K_DISK_BYTES), 1LL << 30);
    snprintf(opts, sizeof opts, "size=%lld,mode=0755", disk);
    if (mount("tmpfs", c->stage, "tmpfs", MS_NOSUID | MS_NODEV, opts) < 0) return fail(f, "mount tmpfs", c->stage);
    if (build_root(c) < 0) return -1;
    if (extra_mounts(c) < 0) return -1;
    if (make_dev(c) < 0) return -1;
    if (mount_at(c, "proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, 0, "mount /proc") < 0) return -1;
    char sysfs[PATH_CAP];
    if (field_str(msg_find(s, AAL_K_SYSFS), sysfs, sizeof sysfs)) {
        // The slot's sysfs for its network namespace, masked once by the spawner: one recursive bind.
        if (mount_at(c, sysfs, "/sys", NULL, MS_BIND | MS_REC, NULL, 0, "bind /sys") < 0) return -1;
        int fd = openat2_path(c->rootfd, "/sys", O_PATH);
        struct mount_attr ro = { .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC };
        int rc = fd < 0 ? -1 : (int)syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &ro, sizeof ro);
        int e = errno;
        if (fd >= 0) close(fd);
        errno = e;
        if (rc < 0) return fail(f, "mount_setattr", "/sys");
    } else if (mount_at(c, "sysfs", "/sys", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, 0, "mount /sys") < 0) {
        return -1;
    }
    if (harden_paths(c) < 0) return -1;

    char hostname[256];
    if (field_str(msg_find(s, AAL_K_HOSTNAME), hostname, sizeof hostname) && sethostname(hostname, strlen(hostname)) < 0)
        return fail(f, "sethostname", hostname);

    // Commands inherit a raised OOM score: under memory pressure the kernel picks them, not the init.
    if (write_file("/proc/self/oom_score_adj", "500") < 0) return fail(f, "write", "/proc/self/oom_score_adj");
    if (chdir(c->root) < 0) return fail(f, "chdir", c->root);
    if (syscall(SYS_pivot_root, ".", ".") < 0) return fail(f, "pivot_root", c->root);
    if (umount2(".", MNT_DETACH) < 0) return fail(f, "umount2", "old root");
    if (chdir("/") < 0) return fail(f, "chdir", "/");
    int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (devnull < 0) return fail(f, "open", "/dev/null");
    for (int i = 0; i < 3; i++)
        if (dup2(devnull, i) < 0) return fail(f, "dup2", "/dev/null");
    close(devnull);
    close(c->rootfd);
    if (c->host_net_fd >= 0) close(c->host_net_fd);

    // Root inside is the slot's user namespace (made once per slot, with the sandbox id range mapped):
    // the mounts above belong to namespaces the host's user namespace owns, so nothing inside can
    // change them. Born in the slot's cgroups: the cgroup namespace's root is the slot.
    if (c->userns_fd < 0) { errno = EINVAL; return fail(f, "setns", "the slot has no user namespace"); }
    if (setns(c->userns_fd, CLONE_NEWUSER) < 0) return fail(f, "setns", "the slot's user namespace");
    close(c->userns_fd);
    if (unshare(CLONE_NEWCGROUP) < 0) return fail(f, "unshare", "CLONE_NEWCGROUP");
    if (setgroups(0, NULL) < 0) return fail(f, "setgroups", "");
    if (setresgid(0, 0, 0) < 0) return fail(f, "setresgid", "0");
    if (setresuid(0, 0, 0) < 0) return fail(f, "setresuid", "0");
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) return fail(f, "prctl", "PR_SET_DUMPABLE");
    return 0;
}

void sandbox_child(const struct parsed *spec, int ctl, int userns_fd, int host_net_fd) {
    struct failure f;
    memset(&f, 0, sizeof f);
    struct ctx c; // field by field, like struct overlay
    c.spec = spec;
    c.f = &f;
    c.userns_fd = userns_fd;
    c.host_net_fd = host_net_fd;
    c.rootfd = -1;
    c.root_uid = (uid_t)field_num(msg_find(spec, AAL_K_ROOT_HOST_UID), 0);
    c.root_gid = (gid_t)field_num(msg_find(spec, AAL_K_ROOT_HOST_GID), 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    // Nothing of the spawner's stays open here (its signalfd, its slot's cgroup folders) but the
    // first command's standard descriptors …
    int keep[3 + AAL_MAX_FDS] = { ctl, userns_fd, host_net_fd };
    for (int i = 0; i < spec->nfds; i++) keep[3 + i] = spec->fds[i];
    close_all_but(keep, 3 + spec->nfds);
    // … or shows in /proc/1/cmdline (the spawner's arguments name host paths).
    if (process_argc > 0) {
        char *start = process_argv[0], *end = process_argv[process_argc - 1] + strlen(process_argv[process_argc - 1]);
        memset(start, 0, (size_t)(end - start));
        snprintf(start, (size_t)(end - start) + 1, "aa-sandbox-init");
    }
    if (setup(&c) < 0) {
        report_failure(ctl, &f);
        _exit(1);
    }
    struct init_config cfg = { .ctl = ctl };
    char caps[256];
    if (field_str(msg_find(spec, AAL_K_CAPS), caps, sizeof caps)) {
        for (char *p = caps; *p;) {
            long n = strtol(p, &p, 10);
            if (n >= 0 && n < 64) cfg.caps |= 1ULL << n;
            if (*p == ',') p++; else break;
        }
    }
    for (size_t i = 0; i < spec->count && cfg.nbpf < 8; i++) {
        if (spec->fields[i].key != AAL_K_SECCOMP) continue;
        cfg.bpf[cfg.nbpf] = spec->fields[i].data;
        cfg.bpf_len[cfg.nbpf++] = spec->fields[i].len;
    }
    if (msg_find(spec, AAL_K_EXEC_ID)) cfg.first = spec;
    init_main(&cfg);
}
