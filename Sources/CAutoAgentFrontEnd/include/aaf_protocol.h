// Protocol between the `aa-sandbox` front end and the runtime server (`aa-sandbox-cli serve`).
//
// The framing is the runtime's (aal_protocol.h): one SOCK_SEQPACKET datagram per message, a
// little-endian u16 message type, then fields of a u16 key, a u32 length and that many bytes;
// numbers travel as decimal strings; descriptors ride along as SCM_RIGHTS. The numbers below are
// this protocol's own (from 100 on), on the server's socket only.
#ifndef AAF_PROTOCOL_H
#define AAF_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/// Environment: the state folder the runtime, the server's socket and lock live in.
#define AAF_STATE_ENV "AA_SANDBOX_STATE"
/// The state folder when AAF_STATE_ENV is not set.
#define AAF_DEFAULT_STATE "/run/aa-sandbox"
/// Environment: "0" makes the front end never use or start a server.
#define AAF_SERVER_ENV "AA_SANDBOX_SERVER"
/// Names in the state folder: the server's socket, the lock only the running server holds, its log.
#define AAF_SOCKET_NAME "cli.sock"
#define AAF_LOCK_NAME "cli.lock"
#define AAF_LOG_NAME "cli.log"

/// The largest message the server reads.
#define AAF_MAX_MESSAGE (1024 * 1024)
/// Descriptors per message: a request's stdin, stdout and stderr.
#define AAF_MAX_FDS 3

// Messages.
#define AAF_M_RUN 101      // front end -> server: CLI, ARG*, CWD, ENV*; fds: stdin, stdout, stderr
#define AAF_M_SIGNAL 102   // front end -> server: SIGNAL (the front end got it; end the sandbox)
#define AAF_M_EXIT 103     // server -> front end: STATUS, the exit code of the request
#define AAF_M_REFUSED 104  // server -> front end: not served here (another user, another or a rebuilt
                           // aa-sandbox-cli, stopping); run the request without the server
#define AAF_M_STATUS 105   // client -> server: report
#define AAF_M_REPORT 106   // server -> client: PID, IDLE_EXIT, SERVED, SANDBOX*, SLOT*
#define AAF_M_STOP 107     // client -> server: take no new request, exit when the running ones end
#define AAF_M_STOPPING 108 // server -> client: PID

// Keys.
#define AAF_K_ARG 101       // one argument after `run`
#define AAF_K_CWD 102       // the front end's working directory
#define AAF_K_ENV 103       // one KEY=VALUE of the front end's environment
#define AAF_K_SIGNAL 104    // signal number
#define AAF_K_STATUS 105    // exit code
#define AAF_K_PID 106       // the server's pid
#define AAF_K_IDLE_EXIT 107 // seconds without a request before the server exits
#define AAF_K_SERVED 108    // requests served so far
#define AAF_K_SANDBOX 109   // host pid of a running sandbox's init
#define AAF_K_SLOT 110      // a cgroup directory of the server runtime's slots
#define AAF_K_CLI 111       // the aa-sandbox-cli the front end runs without a server (its path)

/// The uid of the process at the other end of a connected unix socket (SO_PEERCRED), or -1 with errno.
int aaf_peer_uid(int sock, uid_t *_Nonnull uid);

/// accept4(2) of a non-blocking, close-on-exec connection.
int aaf_accept(int listener);

/// The terminal width of fd (TIOCGWINSZ), or 0 when it is not a terminal.
int aaf_terminal_columns(int fd);

#endif
