// Wire protocol between the runner (Swift), the spawner and each sandbox's init (C).
//
// Every message is one SOCK_SEQPACKET datagram: a little-endian u16 message type followed by
// zero or more fields, each a u16 key, a u32 length and that many bytes. Strings are not
// NUL-terminated on the wire; numbers travel as decimal strings. File descriptors ride along
// as SCM_RIGHTS ancillary data.
#ifndef AAL_PROTOCOL_H
#define AAL_PROTOCOL_H

#include <stdint.h>

#define AAL_MAX_MESSAGE (1024 * 1024)
#define AAL_MAX_FDS 4

enum aal_message {
    AAL_M_CREATE = 1,       // runner -> spawner: a sandbox spec, optionally with a first command (the
                            // fields of EXEC, its fds riding along)
    AAL_M_CREATED = 2,      // spawner -> runner: REQ_ID, PID; fds: the init's control socket, a pidfd of
                            // the init (readable once the sandbox's processes and mounts are gone)
    AAL_M_FAILED = 3,       // spawner -> runner: REQ_ID, STEP, ERRNO, DETAIL; or init -> runner (no
                            // REQ_ID): the sandbox could not be built, the init exits
    AAL_M_SHUTDOWN = 5,     // runner -> spawner: exit now; the runner removes the slot's cgroups
    AAL_M_EXEC = 10,        // runner -> init: EXEC_ID, ARG*, ENV*, CWD, UID, GID, RLIMIT*; fds: stdin, stdout, stderr
    AAL_M_SIGNAL = 11,      // runner -> init: EXEC_ID, SIGNAL (sent to the exec's process group)
    AAL_M_KILL_ALL = 12,    // runner -> init: kill every process but init, reply when none is left
    AAL_M_EXITED = 21,      // init -> runner: EXEC_ID, PID (inside), STATUS, UTIME_US, STIME_US, MAXRSS_KB
    AAL_M_EXEC_FAILED = 22, // init -> runner: EXEC_ID, STEP, ERRNO, DETAIL
    AAL_M_KILLED_ALL = 23,  // init -> runner: every process but init is gone
    AAL_M_READY = 24,       // init -> runner: the sandbox is built (and its first command, if any, started)
};

enum aal_key {
    // create
    AAL_K_REQ_ID = 1,
    AAL_K_HOSTNAME = 2,
    AAL_K_NET_HOST = 3,       // "1": share the host network namespace
    AAL_K_OVERLAY = 4,        // starts an overlay mounted at this path inside the root ("/" first)
    AAL_K_LOWER = 5,          // "path\0how": a read-only layer of the current overlay, top first; how "1"
                              // shows host ids shifted into the sandbox's range, "0" as they are (both
                              // through a read-only clone), "d" by its path (a mount the spawner prepared,
                              // or a directory of the runtime's own base, short and without ':' or ',')
    AAL_K_UPPER = 6,          // "upper\0work": host directories for the current overlay's writable layer
                              // (absent: it lives on the size-capped staging tmpfs)
    AAL_K_BIND = 9,           // "source\0destination\0ro|rw"
    AAL_K_TMPFS = 10,         // "destination\0size bytes\0mode(octal)"
    AAL_K_DISK_BYTES = 11,    // size of the writable layer
    AAL_K_SHM_BYTES = 12,     // size of /dev/shm
    AAL_K_STAGE = 16,         // host directory the staging tmpfs is mounted on (in the new mount namespace)
    AAL_K_ROOT_HOST_UID = 17, // host uid of root inside
    AAL_K_ROOT_HOST_GID = 18,
    AAL_K_SECCOMP = 19,       // a struct sock_filter[] program; several are installed in order
    AAL_K_MASK_PATH = 20,     // a /proc or /sys path made unreadable
    AAL_K_RO_PATH = 21,       // a /proc or /sys path made read-only
    AAL_K_MASK_SOURCE = 27,   // a read-only empty directory bound over masked directories
    AAL_K_CAPS = 29,          // capabilities root inside keeps: "n,n,…" (CAP_* numbers); absent: none
    AAL_K_SYSFS = 28,         // the slot's prepared read-only /sys (masks applied), bound instead of a new sysfs
    AAL_K_ONE_SHOT = 42,      // "1": the init exits once the first command has ended (a one-shot run)
    AAL_K_DEV_TREE = 43,      // the slot's read-only /dev (device nodes, mount points, links), bound at /dev
    AAL_K_MASK_TREE = 41,     // a host directory the spawner copies onto its own tmpfs (once per directory)
                              // at its mask point, which LOWER "d" layers then name
    AAL_K_PID = 22,
    AAL_K_STATUS = 23,
    AAL_K_STEP = 24,
    AAL_K_ERRNO = 25,
    AAL_K_DETAIL = 26,
    // exec
    AAL_K_EXEC_ID = 30,
    AAL_K_ARG = 31,
    AAL_K_ENV = 32,
    AAL_K_CWD = 33,
    AAL_K_UID = 34,
    AAL_K_GID = 35,
    AAL_K_RLIMIT = 36,        // "resource\0soft\0hard" (numbers; -1 is unlimited)
    AAL_K_SIGNAL = 37,
    AAL_K_UTIME_US = 38,
    AAL_K_STIME_US = 39,
    AAL_K_MAXRSS_KB = 40,
};

#endif
