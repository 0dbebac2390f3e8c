// The spawner: a small single-threaded process the runner starts per sandbox slot; it moves itself
// into the slot's cgroups, so every sandbox it forks starts inside them (no slow cgroup migration per
// sandbox); it creates sandboxes on request (cheap forks of a tiny process), writes their id maps
// and reaps their inits. When the runner's socket closes it kills its sandboxes, leaves the slot's
// cgroups and removes them.
#include "spawner.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "devtree.h"
#include "mask.h"
#include "msg.h"
#include "setup.h"

#define MAX_FIELDS 4096

struct sandbox {
    pid_t pid;
};

static struct sandbox *boxes;
static size_t nboxes, capboxes;
static uint8_t *inbuf, *outbuf;
static struct field *fields;
static const char *mask_point; // where the spawner keeps its copy of the host-root mask

// The slot's user namespace, with the sandbox id range mapped: every sandbox of the slot joins it
// (one at a time), and id-mapped mounts use it.
static int make_mapping_userns(const char *uid_map, const char *gid_map) {
    int sync[2];
    if (pipe2(sync, O_CLOEXEC) < 0) return -1;
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        close(sync[0]);
        if (unshare(CLONE_NEWUSER) < 0) _exit(1);
        write_all(sync[1], "u", 1);
        close(sync[1]);
        for (;;) pause();
    }
    close(sync[1]);
    char c;
    int fd = -1;
    if (read_exact(sync[0], &c, 1) == 1) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/uid_map", pid);
        int ok = write_file(path, uid_map) == 0;
        snprintf(path, sizeof path, "/proc/%d/gid_map", pid);
        ok = ok && write_file(path, gid_map) == 0;
        snprintf(path, sizeof path, "/proc/%d/ns/user", pid);
        if (ok) fd = open(path, O_RDONLY | O_CLOEXEC);
    }
    close(sync[0]);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return fd;
}

static void send_failure(int ctl, long long req, const struct failure *f) {
    struct msg m;
    msg_begin(&m, outbuf, AAL_MAX_MESSAGE, AAL_M_FAILED);
    msg_add_num(&m, AAL_K_REQ_ID, req);
    msg_add_str(&m, AAL_K_STEP, f->step);
    msg_add_num(&m, AAL_K_ERRNO, f->err);
    msg_add_str(&m, AAL_K_DETAIL, f->detail);
    msg_send(ctl, &m, NULL, 0);
}

// Gives the spawner a mount namespace of its own that still receives the host's new mounts, without
// /sys and /dev (sandboxes mount their own), so every sandbox copies a smaller mount tree; then
// attaches read-only, id-mapped clones of the host directories that sandboxes overlay ("HOST=DIR").
static int prepare_mounts(int count, char **mappings, int userns_fd) {
    if (unshare(CLONE_NEWNS) < 0) return -1;
    if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0) return -1;
    umount2("/sys", MNT_DETACH);
    umount2("/dev", MNT_DETACH);
    for (int i = 0; i < count; i++) {
        char host[4096];
        snprintf(host, sizeof host, "%s", mappings[i]);
        char *eq = strchr(host, '=');
        if (!eq) continue;
        *eq = 0;
        const char *dir = eq + 1;
        int tree = (int)syscall(SYS_open_tree, AT_FDCWD, host, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
        if (tree < 0) return -1;
        struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOSUID | MOUNT_ATTR_IDMAP, .userns_fd = (unsigned long long)userns_fd };
        if (userns_fd < 0 || syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0) {
            attr.attr_set &= ~(unsigned long long)MOUNT_ATTR_IDMAP; // a filesystem without id-mapping support
            attr.userns_fd = 0;
            if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0) { close(tree); return -1; }
        }
        int rc = (int)syscall(SYS_move_mount, tree, "", AT_FDCWD, dir, MOVE_MOUNT_F_EMPTY_PATH);
        close(tree);
        if (rc < 0) return -1;
    }
    return 0;
}

// The slot's cgroups, opened while the cgroup filesystems are still mounted here: each
// directory's parent (to remove it) and the file that moves this process back to the parent.
struct slot_cgroup {
    int parent;
    int parent_join;
    char name[256];
};

static struct slot_cgroup slots[64];
static int nslots;

// Moves the spawner into a network namespace of its own with loopback up: the slot's network,
// which its sandboxes (one at a time, all their sockets closed when they end) start in, so that no
// sandbox pays for creating and tearing down a network namespace. Returns an fd of the host's.
static int slot_network(void) {
    int host = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    if (host < 0 || unshare(CLONE_NEWNET) < 0) return -1;
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) return -1;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
    int rc = ioctl(s, SIOCGIFFLAGS, &ifr);
    if (rc == 0) {
        ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
        rc = ioctl(s, SIOCSIFFLAGS, &ifr);
    }
    close(s);
    return rc < 0 ? -1 : host;
}

// Mounts the slot network's sysfs read-only at dir, with the given directories of it masked by
// binds of the read-only empty directory `empty`: every sandbox of the slot binds this tree.
static int slot_sysfs(const char *dir, const char *empty, int nmask, char **masks) {
    if (!dir) return 0;
    if (mount("sysfs", dir, "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) return -1;
    for (int i = 0; i < nmask; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, masks[i]);
        struct stat st;
        if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode)) continue; // absent on this kernel
        if (!empty || mount(empty, path, NULL, MS_BIND, NULL) < 0) return -1;
    }
    return 0;
}

// Opens the file of a cgroup directory (an fd) that moves the writer into it. On cgroup v1 that is
// `tasks` with "0", which moves only the calling thread: the spawner is single-threaded, and unlike
// a write to cgroup.procs it skips the global threadgroup lock, whose write side waits for an RCU
// grace period (10-20 ms here). cgroup v2 has no `tasks` file; there cgroup.procs is used.
static int open_join(int dir) {
    int fd = openat(dir, "tasks", O_WRONLY | O_CLOEXEC);
    return fd >= 0 ? fd : openat(dir, "cgroup.procs", O_WRONLY | O_CLOEXEC);
}

// Moves the spawner into its slot's cgroups (each DIR) and keeps what leaving them needs. On
// failure, *failed names the step.
static int join_slot(int count, char **dirs, struct failure *failed) {
    for (int i = 0; i < count && nslots < 64; i++) {
        int dir = open(dirs[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int join = dir >= 0 ? open_join(dir) : -1;
        int rc = join >= 0 ? (int)write(join, "0", 1) : -1;
        int e = errno;
        if (join >= 0) close(join);
        if (dir >= 0) close(dir);
        errno = e;
        if (rc != 1) return fail(failed, "join slot cgroup", dirs[i]);
        char parent[4096];
        snprintf(parent, sizeof parent, "%s", dirs[i]);
        char *slash = strrchr(parent, '/');
        if (!slash) continue;
        struct slot_cgroup *s = &slots[nslots];
        snprintf(s->name, sizeof s->name, "%s", slash + 1);
        *slash = 0;
        s->parent = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        s->parent_join = s->parent >= 0 ? open_join(s->parent) : -1;
        if (s->parent >= 0 && s->parent_join >= 0) nslots++;
    }
    return 0;
}

// Moves this process back to each slot cgroup's parent and removes the slot cgroups.
static void leave_slot(void) {
    for (int i = 0; i < nslots; i++) {
        write_all(slots[i].parent_join, "0", 1);
        // A cgroup stays busy while the kernel finishes its last exits: up to about 2 s on a loaded host.
        for (int attempt = 0; attempt < 200; attempt++) {
            if (unlinkat(slots[i].parent, slots[i].name, AT_REMOVEDIR) == 0 || errno != EBUSY) break;
            usleep(attempt < 10 ? 1000 : 10000);
        }
    }
}

// Clones the sandbox's first process and hands the runner its control socket and a pidfd at once:
// the child reports to the runner itself (ready, failed, or its first command's progress).
static void handle_create(int ctl, const struct parsed *spec, int userns_fd, int host_net_fd) {
    long long req = field_num(msg_find(spec, AAL_K_REQ_ID), -1);
    struct failure f;
    memset(&f, 0, sizeof f);
    int sv[2] = { -1, -1 };
    int pidfd = -1;
    char tree[4096];
    if (field_str(msg_find(spec, AAL_K_MASK_TREE), tree, sizeof tree)) {
        if (!mask_point) { errno = EINVAL; fail(&f, "host-root mask", "the spawner has no mask point"); goto out; }
        if (mask_refresh(mask_point, tree, &f) < 0) goto out;
    }
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) { fail(&f, "socketpair", ""); goto out; }
    // No CLONE_NEWNET: the child starts in the slot's own network namespace (see slot_network).
    unsigned long flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_PIDFD;
    pid_t pid = (pid_t)syscall(SYS_clone, flags | SIGCHLD, 0, &pidfd, 0, 0);
    if (pid < 0) { fail(&f, "clone", "namespaces"); goto out; }
    if (pid == 0) {
        close(ctl);
        close(sv[0]);
        sandbox_child(spec, sv[1], userns_fd, host_net_fd);
    }
    close(sv[1]);
    sv[1] = -1;
    struct msg m;
    msg_begin(&m, outbuf, AAL_MAX_MESSAGE, AAL_M_CREATED);
    msg_add_num(&m, AAL_K_REQ_ID, req);
    msg_add_num(&m, AAL_K_PID, pid);
    int handed[2] = { sv[0], pidfd };
    if (msg_send(ctl, &m, handed, 2) < 0) {
        fail(&f, "sendmsg", "created");
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        goto out;
    }
    if (nboxes == capboxes) {
        size_t cap = capboxes ? capboxes * 2 : 16;
        struct sandbox *nb = realloc(boxes, cap * sizeof *nb);
        if (!nb) _exit(70);
        boxes = nb;
        capboxes = cap;
    }
    boxes[nboxes++] = (struct sandbox){ .pid = pid };
    goto done;
out:
    send_failure(ctl, req, &f);
done:
    for (int i = 0; i < 2; i++)
        if (sv[i] >= 0) close(sv[i]);
    if (pidfd >= 0) close(pidfd);
}

// Reaps exited inits (the runner learns of their end from its pidfds).
static void reap(int block) {
    for (;;) {
        pid_t pid = waitpid(-1, NULL, block ? 0 : WNOHANG);
        if (pid <= 0) {
            if (pid < 0 && errno == EINTR) continue;
            return;
        }
        for (size_t i = 0; i < nboxes; i++) {
            if (boxes[i].pid != pid) continue;
            boxes[i] = boxes[--nboxes];
            break;
        }
    }
}

int spawner_main(int ctl, const char *uid_map, const char *gid_map, int nslot, char **slot, int nmap, char **mappings,
                 const char *sysfs, const char *empty, int nmask, char **masks, const char *mask, const char *dev) {
    mask_point = mask;
    inbuf = malloc(AAL_MAX_MESSAGE);
    outbuf = malloc(AAL_MAX_MESSAGE);
    fields = malloc(MAX_FIELDS * sizeof *fields);
    if (!inbuf || !outbuf || !fields) return 70;
    signal(SIGPIPE, SIG_IGN); // a child that died early must not take the spawner with it
    struct failure failed;
    memset(&failed, 0, sizeof failed);
    if (join_slot(nslot, slot, &failed) < 0) {
        send_failure(ctl, 0, &failed); // no request yet: the runner reports it for the next one
        return 75;
    }
    int userns_fd = make_mapping_userns(uid_map, gid_map);
    if (prepare_mounts(nmap, mappings, userns_fd) < 0) return 76;
    int host_net_fd = slot_network();
    if (host_net_fd < 0) return 78;
    if (slot_sysfs(sysfs, empty, nmask, masks) < 0) return 79;
    // The host ids of root inside: the map's "0 HOST COUNT" lines.
    unsigned long inside = 1, root_uid = 0, root_gid = 0, count;
    if (sscanf(uid_map, "%lu %lu %lu", &inside, &root_uid, &count) != 3 || inside != 0 ||
        sscanf(gid_map, "%lu %lu %lu", &inside, &root_gid, &count) != 3 || inside != 0) return 81;
    if (dev && devtree_prepare(dev, (uid_t)root_uid, (gid_t)root_gid, &failed) < 0) {
        send_failure(ctl, 0, &failed);
        return 80;
    }
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd < 0) return 72;
    struct pollfd pfd[2] = { { .fd = ctl, .events = POLLIN }, { .fd = sfd, .events = POLLIN } };
    int orderly = 0;
    for (;;) {
        if (poll(pfd, 2, -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if (pfd[1].revents) {
            struct signalfd_siginfo si;
            while (read(sfd, &si, sizeof si) > 0) {}
            reap(0);
        }
        if (pfd[0].revents) {
            struct parsed p;
            int rc = msg_recv(ctl, inbuf, AAL_MAX_MESSAGE, &p, fields, MAX_FIELDS);
            if (rc == 0 || (rc < 0 && errno != EMSGSIZE && errno != EBADMSG)) break;
            if (rc < 0) continue;
            if (p.type == AAL_M_CREATE) handle_create(ctl, &p, userns_fd, host_net_fd); // the child keeps the first command's fds
            for (int i = 0; i < p.nfds; i++) close(p.fds[i]);
            if (p.type == AAL_M_SHUTDOWN) { orderly = 1; break; }
        }
    }
    // The runner is gone or asked us to go: every sandbox goes with us.
    for (size_t i = 0; i < nboxes; i++) kill(boxes[i].pid, SIGKILL);
    while (nboxes > 0) {
        size_t before = nboxes;
        reap(1);
        if (nboxes == before) break;
    }
    if (!orderly) leave_slot(); // nobody is left to remove them
    return 0;
}
