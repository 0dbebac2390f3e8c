// aa-sandbox-init: the spawner and every sandbox's pid 1. Started only by the AutoAgent runtime:
//   aa-sandbox-init spawner UID_MAP GID_MAP [CGROUP_PROCS…]   (control socket on fd 3)
//   aa-sandbox-init probe                       (inside a sandbox: what isolation is in force)
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "probe.h"
#include "spawner.h"

int main(int argc, char **argv) {
    if (argc >= 4 && strcmp(argv[1], "spawner") == 0) {
        syscall(SYS_close_range, 4, ~0U, 0); // nothing of the runner's but the control socket
        return spawner_main(3, argv[2], argv[3], argc - 4, argv + 4);
    }
    if (argc == 2 && strcmp(argv[1], "probe") == 0) return probe_main();
    fprintf(stderr, "aa-sandbox-init is started by the AutoAgent sandbox runtime, not by hand\n");
    return 2;
}
