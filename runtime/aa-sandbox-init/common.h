// Shared helpers of the spawner, the sandbox set-up and the init.
#ifndef AASI_COMMON_H
#define AASI_COMMON_H

#include <stddef.h>

/// What went wrong in a step, sent back to the runner verbatim.
struct failure {
    char step[48];
    int err;
    char detail[400];
};

/// Records a failed step with the current errno; returns -1.
int fail(struct failure *f, const char *step, const char *detail);
/// write(2) of all bytes, retrying EINTR; 0 or -1.
int write_all(int fd, const void *buf, size_t len);
/// read(2) of exactly len bytes; 1 on success, 0 on EOF, -1 on error.
int read_exact(int fd, void *buf, size_t len);
/// Writes a short string to a file (for /proc and cgroup files); 0 or -1.
int write_file(const char *path, const char *data);
/// Closes every descriptor from 3 up except those in keep (any order).
void close_all_but(const int *keep, int n);
/// The process's command line as main() got it, so a forked sandbox init can blank it.
extern char **process_argv;
extern int process_argc;

#endif
