// Finding and running the Swift CLI.
#include "cli_exec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int aafe_cli_path(char *buf, size_t cap) {
    ssize_t n = readlink("/proc/self/exe", buf, cap - 1);
    if (n <= 0) return -1;
    buf[n] = 0;
    char *slash = strrchr(buf, '/');
    if (!slash) return -1;
    static const char name[] = "aa-sandbox-cli";
    if ((size_t)(slash + 1 - buf) + sizeof(name) > cap) return -1;
    memcpy(slash + 1, name, sizeof(name));
    return 0;
}

void aafe_exec_cli(const char *path, char **argv) {
    execv(path, argv);
    fprintf(stderr, "aa-sandbox: cannot run %s: %s\n", path, strerror(errno));
    exit(127);
}
