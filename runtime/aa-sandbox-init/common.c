#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int fail(struct failure *f, const char *step, const char *detail) {
    f->err = errno;
    snprintf(f->step, sizeof f->step, "%s", step);
    snprintf(f->detail, sizeof f->detail, "%s", detail ? detail : "");
    return -1;
}

int write_all(int fd, const void *buf, size_t len) {
    const char *p = buf;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int read_exact(int fd, void *buf, size_t len) {
    char *p = buf;
    while (len) {
        ssize_t n = read(fd, p, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (n == 0) return 0;
        p += n;
        len -= (size_t)n;
    }
    return 1;
}

char **process_argv;
int process_argc;

void close_all_but(const int *keep, int n) {
    int sorted[16];
    int m = 0;
    for (int i = 0; i < n && m < 16; i++)
        if (keep[i] >= 3) sorted[m++] = keep[i];
    for (int i = 1; i < m; i++)
        for (int j = i; j > 0 && sorted[j - 1] > sorted[j]; j--) { int t = sorted[j]; sorted[j] = sorted[j - 1]; sorted[j - 1] = t; }
    unsigned int from = 3;
    for (int i = 0; i < m; i++) {
        if ((unsigned)sorted[i] > from) syscall(SYS_close_range, from, (unsigned)sorted[i] - 1, 0);
        from = (unsigned)sorted[i] + 1;
    }
    syscall(SYS_close_range, from, ~0U, 0);
}

int write_file(const char *path, const char *data) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    int rc = write_all(fd, data, strlen(data));
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}
