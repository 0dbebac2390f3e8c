#ifndef _GNU_SOURCE
#error "CAutoAgentLinux must be compiled with _GNU_SOURCE"
#endif

#include "CAutoAgentLinux.h"

#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

ssize_t aal_send_with_fds(int sock, const void *buf, size_t len, const int *fds, int nfds) {
    if (nfds < 0 || nfds > AAL_MAX_FDS) { errno = EINVAL; return -1; }
    struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
    union { char buf[CMSG_SPACE(sizeof(int) * AAL_MAX_FDS)]; struct cmsghdr align; } control;
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
    if (nfds > 0 && fds) {
        memset(&control, 0, sizeof control);
        mh.msg_control = control.buf;
        mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
        memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
    }
    for (;;) {
        ssize_t n = sendmsg(sock, &mh, MSG_NOSIGNAL);
        if (n >= 0 || errno != EINTR) return n;
    }
}

ssize_t aal_recv_with_fds(int sock, void *buf, size_t cap, int *fds, int maxfds, int *nfds) {
    struct iovec iov = { .iov_base = buf, .iov_len = cap };
    union { char buf[CMSG_SPACE(sizeof(int) * AAL_MAX_FDS)]; struct cmsghdr align; } control;
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof control.buf };
    ssize_t n;
    do { n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC); } while (n < 0 && errno == EINTR);
    *nfds = 0;
    if (n < 0) return -1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
        int count = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        for (int i = 0; i < count; i++) {
            int fd;
            memcpy(&fd, CMSG_DATA(c) + (size_t)i * sizeof(int), sizeof(int));
            if (*nfds < maxfds) fds[(*nfds)++] = fd; else close(fd);
        }
    }
    if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
        for (int i = 0; i < *nfds; i++) close(fds[i]);
        *nfds = 0;
        errno = EMSGSIZE;
        return -1;
    }
    return n;
}

int aal_wifexited(int status) { return WIFEXITED(status); }
int aal_wexitstatus(int status) { return WEXITSTATUS(status); }
int aal_wifsignaled(int status) { return WIFSIGNALED(status); }
int aal_wtermsig(int status) { return WTERMSIG(status); }

int aal_pipe2(int fds[2], int flags) { return pipe2(fds, flags); }

int aal_setns(int fd, int nstype) { return setns(fd, nstype); }
int aal_accept_cloexec(int fd) { return accept4(fd, NULL, NULL, SOCK_CLOEXEC); }
const int aal_CLONE_NEWNET = CLONE_NEWNET;

int aal_pidfd_send_signal(int pidfd, int sig) { return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0); }

int aal_mount_id(const char *path, uint64_t *id) {
    struct statx st;
    if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, STATX_MNT_ID, &st) < 0) return -1;
    if (!(st.stx_mask & STATX_MNT_ID)) { errno = ENOSYS; return -1; }
    *id = st.stx_mnt_id;
    return 0;
}

const int aal_RLIMIT_CORE = RLIMIT_CORE;
const int aal_RLIMIT_NOFILE = RLIMIT_NOFILE;
const int aal_RLIMIT_NPROC = RLIMIT_NPROC;
const int aal_RLIMIT_FSIZE = RLIMIT_FSIZE;
const int aal_RLIMIT_AS = RLIMIT_AS;
const int aal_SOCK_SEQPACKET = SOCK_SEQPACKET;
const int aal_SOCK_CLOEXEC = SOCK_CLOEXEC;
const uint32_t aal_EPOLLIN = EPOLLIN;
const uint32_t aal_EPOLLOUT = EPOLLOUT;
const uint32_t aal_EPOLLRDHUP = EPOLLRDHUP;
