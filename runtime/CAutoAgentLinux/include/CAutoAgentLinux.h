// The runtime's C shim: what Swift cannot express (ancillary data, wait-status macros, constants
// hidden behind _GNU_SOURCE) and the wire protocol shared with aa-sandbox-init.
#ifndef CAUTOAGENTLINUX_H
#define CAUTOAGENTLINUX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/types.h>
#include <sys/xattr.h>

#include "aal_protocol.h"

/// sendmsg(2) of one datagram with up to AAL_MAX_FDS descriptors as SCM_RIGHTS; retries EINTR.
/// Returns the bytes sent or -1 with errno.
ssize_t aal_send_with_fds(int sock, const void *_Nonnull buf, size_t len, const int *_Nullable fds, int nfds);
/// recvmsg(2) of one datagram; received descriptors are close-on-exec. Returns the length,
/// 0 on EOF, or -1 with errno (EMSGSIZE when the datagram did not fit).
ssize_t aal_recv_with_fds(int sock, void *_Nonnull buf, size_t cap, int *_Nonnull fds, int maxfds, int *_Nonnull nfds);

int aal_wifexited(int status);
int aal_wexitstatus(int status);
int aal_wifsignaled(int status);
int aal_wtermsig(int status);

/// pipe2(2), which Swift's Glibc module hides behind _GNU_SOURCE.
int aal_pipe2(int fds[_Nonnull 2], int flags);

/// setns(2), which Swift's Glibc module hides behind _GNU_SOURCE.
int aal_setns(int fd, int nstype);
/// accept4(2) with SOCK_CLOEXEC, which Swift's Glibc module hides behind _GNU_SOURCE.
int aal_accept_cloexec(int fd);
extern const int aal_CLONE_NEWNET;

/// pidfd_send_signal(2): signals the process a pidfd refers to. Returns 0 or -1 with errno.
int aal_pidfd_send_signal(int pidfd, int sig);

/// The id of the mount that path (not following a final symlink) lies on, from statx(2)
/// STATX_MNT_ID. Returns 0 or -1 with errno.
int aal_mount_id(const char *_Nonnull path, uint64_t *_Nonnull id);

extern const int aal_RLIMIT_CORE;
extern const int aal_RLIMIT_NOFILE;
extern const int aal_RLIMIT_NPROC;
extern const int aal_RLIMIT_FSIZE;
extern const int aal_RLIMIT_AS;
extern const int aal_SOCK_SEQPACKET;
extern const int aal_SOCK_CLOEXEC;
extern const uint32_t aal_EPOLLIN;
extern const uint32_t aal_EPOLLOUT;
extern const uint32_t aal_EPOLLRDHUP;

#endif
