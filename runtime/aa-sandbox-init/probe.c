// `aa-sandbox-init probe`: run inside a sandbox, tries what a hostile process would try and prints
// one line per check: name, verdict ("blocked", "allowed", "info"), detail. The caller decides
// what is expected; the probe only reports facts.
#include "probe.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <sched.h>
#include <signal.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

static void line(const char *name, const char *verdict, const char *detail) {
    printf("%s\t%s\t%s\n", name, verdict, detail);
    fflush(stdout);
}

// Runs a syscall-like action in a child so that a kill (seccomp) or success has no side effects here.
static void try_call(const char *name, long (*fn)(void)) {
    pid_t pid = fork();
    if (pid == 0) {
        errno = 0;
        long rc = fn();
        int e = errno;
        _exit(rc < 0 ? (e & 0xff) : 255);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    char detail[96];
    if (WIFSIGNALED(status)) {
        snprintf(detail, sizeof detail, "killed by signal %d", WTERMSIG(status));
        line(name, "blocked", detail);
    } else if (WEXITSTATUS(status) == 255) {
        line(name, "allowed", "succeeded");
    } else {
        int e = WEXITSTATUS(status);
        snprintf(detail, sizeof detail, "%s (errno %d)", strerror(e), e);
        int blocked = e == EPERM || e == EACCES || e == ENOSYS || e == EROFS || e == ENOSPC || e == ENETUNREACH || e == ESRCH;
        line(name, blocked ? "blocked" : "reached", detail);
    }
}

static long do_mount(void) { return mount("tmpfs", "/mnt", "tmpfs", 0, NULL); }
static long do_umount(void) { return umount2("/proc", MNT_DETACH); }
static long do_unshare_user(void) { return unshare(0x10000000); }
static long do_unshare_mnt(void) { return unshare(0x00020000); }
static long do_clone_user(void) {
    long rc = syscall(SYS_clone, 0x10000000 | SIGCHLD, 0, 0, 0, 0);
    if (rc == 0) _exit(0);
    return rc;
}
static long do_clone3(void) {
    unsigned long long args[11] = { 0 };
    args[4] = SIGCHLD; // exit_signal
    long rc = syscall(435, args, 88);
    if (rc == 0) _exit(0);
    return rc;
}
static long do_setns(void) { return syscall(SYS_setns, 0, 0); }
static long do_pivot_root(void) { return syscall(SYS_pivot_root, "/", "/"); }
static long do_chroot(void) { return chroot("/tmp"); }
static long do_sethostname(void) { return sethostname("escaped", 7); }
static long do_keyctl(void) { return syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3 /* session */, 0); }
static long do_add_key(void) { return syscall(SYS_add_key, "user", "aa-probe", "x", 1, -3); }
static long do_bpf(void) { return syscall(SYS_bpf, 5 /* BPF_PROG_LOAD */, NULL, 0); }
static long do_perf(void) { return syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0); }
static long do_userfaultfd(void) { return syscall(SYS_userfaultfd, 0); }
static long do_io_uring(void) { return syscall(425, 1, NULL); }
static long do_open_by_handle(void) { return syscall(SYS_open_by_handle_at, 0, NULL, 0); }
static long do_kexec(void) { return syscall(SYS_kexec_load, 0, 0, NULL, 0); }
static long do_init_module(void) { return syscall(SYS_init_module, NULL, 0, ""); }
static long do_ptrace_init(void) { return ptrace(PTRACE_ATTACH, 1, NULL, NULL); }
static long do_vsock(void) { return socket(40, SOCK_STREAM, 0); }
static long do_vsock_high_bits(void) { return syscall(SYS_socket, 0x100000028UL, SOCK_STREAM, 0); }
static long do_alg(void) { return socket(38, SOCK_SEQPACKET, 0); }
static long do_raw(void) { return socket(AF_INET, SOCK_RAW, IPPROTO_ICMP); }
static long do_packet(void) { return socket(17 /* AF_PACKET */, SOCK_RAW, 0); }
static long do_acct(void) { return syscall(SYS_acct, NULL); }
static long do_iopl(void) { return syscall(SYS_iopl, 3); }
static long do_tiocsti(void) { char c = 'x'; return ioctl(0, TIOCSTI, &c); }
static long do_tiocsti_high_bits(void) { char c = 'x'; return syscall(SYS_ioctl, 0, 0x100005412UL, &c); }
static long do_personality(void) { return syscall(SYS_personality, 0x0040000 /* ADDR_NO_RANDOMIZE */); }
static long do_mknod(void) { return mknod("/tmp/aa-probe-dev", S_IFCHR | 0600, makedev(1, 1)); }
static long do_reboot(void) { return syscall(SYS_reboot, 0xfee1dead, 672274793, 0x4321fedc, NULL); }
static long do_swapon(void) { return syscall(SYS_swapon, "/tmp/none", 0); }
static long do_settime(void) { struct timespec ts = { 0, 0 }; return clock_settime(CLOCK_REALTIME, &ts); }
static long do_syslog(void) { return syscall(SYS_syslog, 3, NULL, 0); }
static long do_fsopen(void) { return syscall(430, "tmpfs", 0); }
static long do_open_tree(void) { return syscall(428, -100, "/", 1); }
static long do_x32(void) { return syscall(39 | 0x40000000); }
static long do_future(void) { return syscall(1000); }
static long do_int80(void) {
    long rc;
    __asm__ volatile("int $0x80" : "=a"(rc) : "a"(20) : "memory"); // getpid on i386
    return rc < 0 ? (errno = (int)-rc, -1) : rc;
}
static long do_raise_oom(void) {
    int fd = open("/proc/self/oom_score_adj", O_WRONLY);
    if (fd < 0) return -1;
    long rc = write(fd, "-1000", 5);
    close(fd);
    return rc;
}
// Succeeds only if init actually died.
static long do_kill_init(void) {
    if (kill(1, SIGKILL) < 0) return -1;
    usleep(100000);
    if (kill(1, 0) == 0) { errno = EPERM; return -1; } // the signal was ignored: init is alive
    return 0;
}
static long do_net_egress(void) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0) return -1;
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(80) };
    inet_pton(AF_INET, "1.1.1.1", &a.sin_addr);
    long rc = connect(s, (struct sockaddr *)&a, sizeof a);
    close(s);
    return rc;
}
static long do_metadata(void) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0) return -1;
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(80) };
    inet_pton(AF_INET, "169.254.169.254", &a.sin_addr);
    long rc = connect(s, (struct sockaddr *)&a, sizeof a);
    close(s);
    return rc;
}

static void file_access(const char *name, const char *path, int flags) {
    int fd = open(path, flags | O_CLOEXEC | O_NOCTTY);
    char detail[160];
    if (fd >= 0 && flags == O_RDONLY) {
        char buf[64];
        ssize_t n = read(fd, buf, sizeof buf);
        close(fd);
        snprintf(detail, sizeof detail, "%s reads %s", path, n > 0 ? "content" : "empty (masked)");
        line(name, n > 0 ? "allowed" : "blocked", detail);
    } else if (fd >= 0) {
        close(fd);
        snprintf(detail, sizeof detail, "%s opened for writing", path);
        line(name, "allowed", detail);
    } else {
        snprintf(detail, sizeof detail, "%s: %s", path, strerror(errno));
        line(name, "blocked", detail);
    }
}

static void status_field(const char *field) {
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return;
    char buf[256];
    size_t n = strlen(field);
    while (fgets(buf, sizeof buf, f)) {
        if (strncmp(buf, field, n) == 0 && buf[n] == ':') {
            char *v = buf + n + 1;
            while (*v == ' ' || *v == '\t') v++;
            v[strcspn(v, "\n")] = 0;
            line(field, "info", v);
        }
    }
    fclose(f);
}

static void namespaces(void) {
    static const char *kinds[] = { "user", "mnt", "pid", "net", "ipc", "uts", "cgroup" };
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) {
        char path[64], target[64], name[32];
        snprintf(path, sizeof path, "/proc/self/ns/%s", kinds[i]);
        ssize_t n = readlink(path, target, sizeof target - 1);
        target[n > 0 ? n : 0] = 0;
        snprintf(name, sizeof name, "ns.%s", kinds[i]);
        line(name, "info", target);
    }
}

static void open_fds(void) {
    char detail[256] = "";
    size_t used = 0;
    for (int fd = 3; fd < 1024; fd++) {
        if (fcntl(fd, F_GETFD) >= 0) used += (size_t)snprintf(detail + used, sizeof detail - used, "%d ", fd);
        if (used >= sizeof detail - 8) break;
    }
    line("fds.leaked", used ? "allowed" : "blocked", used ? detail : "only 0, 1 and 2 are open");
}

static void first_line(const char *name, const char *path) {
    FILE *f = fopen(path, "r");
    char buf[256] = "";
    if (f) {
        if (!fgets(buf, sizeof buf, f)) buf[0] = 0;
        fclose(f);
    }
    buf[strcspn(buf, "\n")] = 0;
    line(name, "info", f ? buf : strerror(errno));
}

int probe_main(void) {
    char host[128] = "";
    gethostname(host, sizeof host);
    line("hostname", "info", host);
    char ids[64];
    snprintf(ids, sizeof ids, "uid=%d gid=%d", getuid(), getgid());
    line("ids", "info", ids);
    first_line("uid_map", "/proc/self/uid_map");
    first_line("cgroup", "/proc/self/cgroup");
    namespaces();
    status_field("CapEff");
    status_field("CapPrm");
    status_field("CapBnd");
    status_field("CapAmb");
    status_field("NoNewPrivs");
    status_field("Seccomp");
    line("session", "info", getsid(0) == getpid() ? "session leader, no controlling tty" : "not a session leader");
    open_fds();
    try_call("mount", do_mount);
    try_call("umount2", do_umount);
    try_call("fsopen", do_fsopen);
    try_call("open_tree", do_open_tree);
    try_call("pivot_root", do_pivot_root);
    try_call("chroot", do_chroot);
    try_call("unshare.user", do_unshare_user);
    try_call("unshare.mount", do_unshare_mnt);
    try_call("clone.newuser", do_clone_user);
    try_call("clone3", do_clone3);
    try_call("setns", do_setns);
    try_call("sethostname", do_sethostname);
    try_call("keyctl", do_keyctl);
    try_call("add_key", do_add_key);
    try_call("bpf", do_bpf);
    try_call("perf_event_open", do_perf);
    try_call("userfaultfd", do_userfaultfd);
    try_call("io_uring_setup", do_io_uring);
    try_call("open_by_handle_at", do_open_by_handle);
    try_call("kexec_load", do_kexec);
    try_call("init_module", do_init_module);
    try_call("ptrace.init", do_ptrace_init);
    try_call("socket.vsock", do_vsock);
    try_call("socket.vsock.highbits", do_vsock_high_bits);
    try_call("socket.alg", do_alg);
    try_call("socket.raw", do_raw);
    try_call("socket.packet", do_packet);
    try_call("acct", do_acct);
    try_call("iopl", do_iopl);
    try_call("ioctl.tiocsti", do_tiocsti);
    try_call("ioctl.tiocsti.highbits", do_tiocsti_high_bits);
    try_call("personality", do_personality);
    try_call("mknod.chardev", do_mknod);
    try_call("reboot", do_reboot);
    try_call("swapon", do_swapon);
    try_call("clock_settime", do_settime);
    try_call("syslog", do_syslog);
    try_call("syscall.unknown", do_future);
    try_call("abi.x32", do_x32);
    try_call("abi.i386", do_int80);
    try_call("oom_score_adj.lower", do_raise_oom);
    try_call("kill.init", do_kill_init);
    try_call("net.egress", do_net_egress);
    try_call("net.metadata", do_metadata);
    file_access("read.etc_shadow", "/etc/shadow", O_RDONLY);
    file_access("read.proc_kcore", "/proc/kcore", O_RDONLY);
    file_access("read.proc_keys", "/proc/keys", O_RDONLY);
    file_access("write.proc_sysrq", "/proc/sysrq-trigger", O_WRONLY);
    file_access("write.proc_sys_hostname", "/proc/sys/kernel/hostname", O_WRONLY);
    file_access("write.proc_core_pattern", "/proc/sys/kernel/core_pattern", O_WRONLY);
    file_access("write.sys_kernel", "/sys/kernel/uevent_helper", O_WRONLY);
    file_access("write.sys_fs_cgroup", "/sys/fs/cgroup/cgroup.procs", O_WRONLY);
    return 0;
}
