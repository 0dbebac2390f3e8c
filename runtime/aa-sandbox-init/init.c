#include "init.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "msg.h"

#define MAX_ARGS 4096
#define MAX_FIELDS (2 * MAX_ARGS + 64)

extern char **environ;

struct job {
    pid_t pid;
    long long id;
};


static struct job *jobs;
static size_t njobs, capjobs;
// The exec whose end ends the sandbox (a one-shot run), or -1.
static long long last_exec = -1;
static uint8_t *inbuf, *outbuf;
static struct field *fields;

static void track(pid_t pid, long long id) {
    if (njobs == capjobs) {
        size_t cap = capjobs ? capjobs * 2 : 64;
        struct job *j = realloc(jobs, cap * sizeof *j);
        if (!j) _exit(70);
        jobs = j;
        capjobs = cap;
    }
    jobs[njobs].pid = pid;
    jobs[njobs].id = id;
    njobs++;
}

static long long untrack(pid_t pid) {
    for (size_t i = 0; i < njobs; i++) {
        if (jobs[i].pid == pid) {
            long long id = jobs[i].id;
            jobs[i] = jobs[--njobs];
            return id;
        }
    }
    return -1;
}

static long long job_pid(long long id) {
    for (size_t i = 0; i < njobs; i++)
        if (jobs[i].id == id) return jobs[i].pid;
    return -1;
}

static void send_or_die(int ctl, struct msg *m) {
    if (msg_send(ctl, m, NULL, 0) < 0) _exit(errno == EPIPE ? 0 : 71);
}

static void report_exit(int ctl, pid_t pid, int status, const struct rusage *ru) {
    long long id = untrack(pid);
    if (id < 0) return; // an orphan reparented to us
    struct msg m;
    msg_begin(&m, outbuf, AAL_MAX_MESSAGE, AAL_M_EXITED);
    msg_add_num(&m, AAL_K_EXEC_ID, id);
    msg_add_num(&m, AAL_K_PID, pid);
    msg_add_num(&m, AAL_K_STATUS, status);
    msg_add_num(&m, AAL_K_UTIME_US, (long long)ru->ru_utime.tv_sec * 1000000 + ru->ru_utime.tv_usec);
    msg_add_num(&m, AAL_K_STIME_US, (long long)ru->ru_stime.tv_sec * 1000000 + ru->ru_stime.tv_usec);
    msg_add_num(&m, AAL_K_MAXRSS_KB, ru->ru_maxrss);
    send_or_die(ctl, &m);
    if (id == last_exec) _exit(0); // the kernel ends every other process of the sandbox
}

static void reap(int ctl, int block) {
    for (;;) {
        int status;
        struct rusage ru;
        pid_t pid = wait4(-1, &status, block ? 0 : WNOHANG, &ru);
        if (pid <= 0) {
            if (pid < 0 && errno == EINTR) continue;
            return;
        }
        report_exit(ctl, pid, status, &ru);
    }
}

struct exec_error {
    char step[48];
    int err;
};

static void child_fail(int errfd, const char *step) {
    struct exec_error e;
    memset(&e, 0, sizeof e);
    e.err = errno;
    snprintf(e.step, sizeof e.step, "%s", step);
    write_all(errfd, &e, sizeof e);
    _exit(127);
}

// Empties the bounding set of the init but for `keep`, and its ambient set, once: every exec
// inherits them, so no execve can gain another capability. The init keeps CAP_SETUID/SETGID in its
// own permitted set to switch ids per exec.
static int drop_bounding_set(uint64_t keep) {
    for (int cap = 0; cap <= 63; cap++) {
        if (keep & (1ULL << cap)) continue;
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
            if (errno == EINVAL) break; // past the kernel's last capability: capabilities are numbered without gaps
            return -1;
        }
    }
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) return -1;
    return 0;
}

// Leaves exactly `keep` in the permitted and effective sets (nothing for a non-root uid).
static void set_capabilities(int errfd, uint64_t keep) {
    struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof data);
    data[0].permitted = data[0].effective = (uint32_t)keep;
    data[1].permitted = data[1].effective = (uint32_t)(keep >> 32);
    if (syscall(SYS_capset, &hdr, data) < 0) child_fail(errfd, "capset");
}

// An exec request decoded before the child is started, so that the child, which shares the
// init's memory until it execs (vfork), only makes system calls.
struct prepared_exec {
    char *argv[MAX_ARGS + 1];
    char *envp[MAX_ARGS + 1];
    char cwd[4096];
    int has_cwd;
    struct { int resource; struct rlimit limit; } rlimits[16];
    int nrlimits;
    uid_t uid;
    gid_t gid;
    int fds[3];
};

static char arena[AAL_MAX_MESSAGE + 2 * MAX_ARGS];

static int prepare_exec(const struct parsed *req, struct prepared_exec *x) {
    x->nrlimits = 0;
    size_t used = 0;
    int argc = 0, envc = 0;
    for (size_t i = 0; i < req->count; i++) {
        const struct field *fl = &req->fields[i];
        if (fl->key == AAL_K_ARG || fl->key == AAL_K_ENV) {
            if (used + fl->len + 1 > sizeof arena) return -1;
            char *s = arena + used;
            memcpy(s, fl->data, fl->len);
            s[fl->len] = 0;
            used += fl->len + 1;
            if (fl->key == AAL_K_ARG && argc < MAX_ARGS) x->argv[argc++] = s;
            else if (fl->key == AAL_K_ENV && envc < MAX_ARGS) x->envp[envc++] = s;
        } else if (fl->key == AAL_K_RLIMIT && x->nrlimits < 16) {
            char scratch[128];
            char *parts[3];
            if (field_split(fl, scratch, sizeof scratch, parts, 3) < 3) continue;
            long long soft = strtoll(parts[1], NULL, 10), hard = strtoll(parts[2], NULL, 10);
            x->rlimits[x->nrlimits].resource = atoi(parts[0]);
            x->rlimits[x->nrlimits].limit.rlim_cur = soft < 0 ? RLIM_INFINITY : (rlim_t)soft;
            x->rlimits[x->nrlimits].limit.rlim_max = hard < 0 ? RLIM_INFINITY : (rlim_t)hard;
            x->nrlimits++;
        }
    }
    x->argv[argc] = NULL;
    x->envp[envc] = NULL;
    if (argc == 0) return -1;
    x->has_cwd = field_str(msg_find(req, AAL_K_CWD), x->cwd, sizeof x->cwd) != NULL;
    x->uid = (uid_t)field_num(msg_find(req, AAL_K_UID), 0);
    x->gid = (gid_t)field_num(msg_find(req, AAL_K_GID), 0);
    for (int i = 0; i < 3; i++) x->fds[i] = req->nfds > i ? req->fds[i] : -1;
    return 0;
}

// Runs in the vfork child (the init's memory, the init suspended): system calls only, never returns.
static void exec_child(const struct prepared_exec *x, uint64_t caps, int errfd) {
    sigset_t none;
    sigemptyset(&none);
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigaction(SIGPIPE, &dfl, NULL); // the only disposition the init changes
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (setsid() < 0) child_fail(errfd, "setsid");
    for (int i = 0; i < 3; i++) {
        int fd = x->fds[i];
        if (fd < 0) {
            fd = open("/dev/null", O_RDWR);
            if (fd < 0) child_fail(errfd, "open /dev/null");
        }
        if (fd != i) {
            if (dup2(fd, i) < 0) child_fail(errfd, "dup2");
        } else {
            int flags = fcntl(fd, F_GETFD);
            fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC);
        }
    }
    // Keep only 0-2 and the close-on-exec error pipe.
    if (errfd > 3) syscall(SYS_close_range, 3, errfd - 1, 0);
    syscall(SYS_close_range, errfd + 1, ~0U, 0);
    if (x->has_cwd && chdir(x->cwd) < 0) child_fail(errfd, "chdir");
    for (int i = 0; i < x->nrlimits; i++)
        if (syscall(SYS_prlimit64, 0, x->rlimits[i].resource, &x->rlimits[i].limit, NULL) < 0) child_fail(errfd, "setrlimit");
    // Raw calls: libc's set*id wrappers would signal the init's other threads, which share this memory.
    if (syscall(SYS_setgroups, 0, NULL) < 0) child_fail(errfd, "setgroups");
    if (syscall(SYS_setresgid, x->gid, x->gid, x->gid) < 0) child_fail(errfd, "setresgid");
    if (syscall(SYS_setresuid, x->uid, x->uid, x->uid) < 0) child_fail(errfd, "setresuid");
    set_capabilities(errfd, x->uid == 0 ? caps : 0);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) child_fail(errfd, "prctl PR_SET_NO_NEW_PRIVS");
    environ = (char **)x->envp; // the init restores its own after the child has exec'd
    execvpe(x->argv[0], (char **)x->argv, (char **)x->envp);
    child_fail(errfd, "execve");
}

static void handle_exec(const struct parsed *req, const struct init_config *cfg) {
    long long id = field_num(msg_find(req, AAL_K_EXEC_ID), -1);
    int errpipe[2];
    struct exec_error e;
    memset(&e, 0, sizeof e);
    pid_t pid = -1;
    static struct prepared_exec x; // filled field by field: clearing all of it would touch 17 pages per sandbox
    if (prepare_exec(req, &x) < 0) {
        e.err = E2BIG;
        snprintf(e.step, sizeof e.step, "argv");
    } else if (pipe2(errpipe, O_CLOEXEC) < 0) {
        e.err = errno;
        snprintf(e.step, sizeof e.step, "pipe2");
    } else {
        char **saved_environ = environ;
        pid = vfork();
        if (pid == 0) exec_child(&x, cfg->caps, errpipe[1]); // the control socket is close-on-exec
        environ = saved_environ;
        if (pid < 0) {
            e.err = errno;
            snprintf(e.step, sizeof e.step, "fork");
        }
        close(errpipe[1]);
        if (pid > 0 && read_exact(errpipe[0], &e, sizeof e) != 1) e.err = 0;
        close(errpipe[0]);
    }
    for (int i = 0; i < req->nfds; i++) close(req->fds[i]);
    struct msg m;
    if (e.err != 0 || pid < 0) {
        if (pid > 0) {
            int status;
            waitpid(pid, &status, 0);
        }
        msg_begin(&m, outbuf, AAL_MAX_MESSAGE, AAL_M_EXEC_FAILED);
        msg_add_num(&m, AAL_K_EXEC_ID, id);
        msg_add_str(&m, AAL_K_STEP, e.step);
        msg_add_num(&m, AAL_K_ERRNO, e.err);
        send_or_die(cfg->ctl, &m);
        if (id == last_exec) _exit(0);
        return;
    }
    track(pid, id);
}

static void handle_kill_all(int ctl) {
    kill(-1, SIGKILL);
    reap(ctl, 1);
    struct msg m;
    msg_begin(&m, outbuf, AAL_MAX_MESSAGE, AAL_M_KILLED_ALL);
    send_or_die(ctl, &m);
}

void init_main(const struct init_config *cfg) {
    inbuf = malloc(AAL_MAX_MESSAGE);
    outbuf = malloc(AAL_MAX_MESSAGE);
    fields = malloc(MAX_FIELDS * sizeof *fields);
    if (!inbuf || !outbuf || !fields) _exit(70);
    if (drop_bounding_set(cfg->caps) < 0) _exit(74);
    // The filter is installed once here and inherited by every exec: the kernel compiles it once.
    // Everything the init does from now on is allowed by it.
    for (int i = 0; i < cfg->nbpf; i++) {
        if (cfg->bpf_len[i] < sizeof(struct sock_filter)) continue;
        struct sock_fprog prog = { .len = (unsigned short)(cfg->bpf_len[i] / sizeof(struct sock_filter)), .filter = (struct sock_filter *)cfg->bpf[i] };
        if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0) _exit(77);
    }
    signal(SIGPIPE, SIG_IGN);
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd < 0) _exit(72);
    if (cfg->first) {
        if (msg_find(cfg->first, AAL_K_ONE_SHOT)) last_exec = field_num(msg_find(cfg->first, AAL_K_EXEC_ID), -1);
        handle_exec(cfg->first, cfg);
    }
    struct msg ready;
    msg_begin(&ready, outbuf, AAL_MAX_MESSAGE, AAL_M_READY);
    send_or_die(cfg->ctl, &ready);
    struct pollfd pfd[2] = { { .fd = cfg->ctl, .events = POLLIN }, { .fd = sfd, .events = POLLIN } };
    for (;;) {
        if (poll(pfd, 2, -1) < 0) {
            if (errno == EINTR) continue;
            _exit(73);
        }
        if (pfd[1].revents) {
            struct signalfd_siginfo si;
            while (read(sfd, &si, sizeof si) > 0) {}
            reap(cfg->ctl, 0);
        }
        if (pfd[0].revents) {
            struct parsed p;
            int rc = msg_recv(cfg->ctl, inbuf, AAL_MAX_MESSAGE, &p, fields, MAX_FIELDS);
            if (rc == 0 || (rc < 0 && errno != EMSGSIZE && errno != EBADMSG)) _exit(0); // runner gone: the namespace dies with us
            if (rc < 0) continue;
            switch (p.type) {
            case AAL_M_EXEC:
                handle_exec(&p, cfg);
                break;
            case AAL_M_SIGNAL: {
                long long pid = job_pid(field_num(msg_find(&p, AAL_K_EXEC_ID), -1));
                int sig = (int)field_num(msg_find(&p, AAL_K_SIGNAL), SIGKILL);
                if (pid > 0) {
                    kill((pid_t)-pid, sig);
                    kill((pid_t)pid, sig);
                }
                break;
            }
            case AAL_M_KILL_ALL:
                handle_kill_all(cfg->ctl);
                break;
            default:
                for (int i = 0; i < p.nfds; i++) close(p.fds[i]);
                break;
            }
        }
    }
}
