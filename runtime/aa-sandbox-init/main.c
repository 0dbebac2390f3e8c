// aa-sandbox-init: the spawner and every sandbox's pid 1. Started only by the AutoAgent runtime:
//   aa-sandbox-init spawner UID_MAP GID_MAP [cgroup:DIR…] [idmap:HOST=DIR…]
//                   [sysfs:DIR] [empty:DIR] [sysmask:PATH…] [mask:DIR] [dev:DIR]
//                                               (control socket on fd 3)
//   aa-sandbox-init probe                       (inside a sandbox: what isolation is in force)
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common.h"
#include "probe.h"
#include "spawner.h"

int main(int argc, char **argv) {
    process_argv = argv;
    process_argc = argc;
    if (argc >= 4 && strcmp(argv[1], "spawner") == 0) {
        syscall(SYS_close_range, 4, ~0U, 0); // nothing of the runner's but the control socket
        static char *slot[64], *maps[64], *masks[64];
        const char *sysfs = NULL, *empty = NULL, *mask = NULL, *dev = NULL;
        int nslot = 0, nmap = 0, nmask = 0;
        for (int i = 4; i < argc; i++) {
            if (strncmp(argv[i], "cgroup:", 7) == 0 && nslot < 64) slot[nslot++] = argv[i] + 7;
            else if (strncmp(argv[i], "idmap:", 6) == 0 && nmap < 64) maps[nmap++] = argv[i] + 6;
            else if (strncmp(argv[i], "sysfs:", 6) == 0) sysfs = argv[i] + 6;
            else if (strncmp(argv[i], "empty:", 6) == 0) empty = argv[i] + 6;
            else if (strncmp(argv[i], "sysmask:", 8) == 0 && nmask < 64) masks[nmask++] = argv[i] + 8;
            else if (strncmp(argv[i], "mask:", 5) == 0) mask = argv[i] + 5;
            else if (strncmp(argv[i], "dev:", 4) == 0) dev = argv[i] + 4;
        }
        return spawner_main(3, argv[2], argv[3], nslot, slot, nmap, maps, sysfs, empty, nmask, masks, mask, dev);
    }
    if (argc == 2 && strcmp(argv[1], "probe") == 0) return probe_main();
    fprintf(stderr, "aa-sandbox-init is started by the AutoAgent sandbox runtime, not by hand\n");
    return 2;
}
