// The spawner process: creates sandboxes on the runner's request.
#ifndef AASI_SPAWNER_H
#define AASI_SPAWNER_H

/// Remembers the slot's cgroups (cgroup.procs paths; the runner moves it there), prepares its mount namespace (id-mapped host
/// directories, "HOST=DIR"), serves create requests on ctl until it closes, then leaves and
/// removes the slot's cgroups; returns the exit code.
int spawner_main(int ctl, const char *uid_map, const char *gid_map, int nslot, char **slot, int nmap, char **mappings);

#endif
