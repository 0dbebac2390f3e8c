// The spawner process: creates sandboxes on the runner's request.
#ifndef AASI_SPAWNER_H
#define AASI_SPAWNER_H

/// Joins the slot's cgroups (their directories) and remembers how to leave them, prepares its mount
/// namespace (id-mapped host directories, "HOST=DIR"), its network namespace and that network's
/// sysfs at `sysfs` with `masks` (relative to /sys) covered by the read-only `empty` directory, serves
/// the slot's /dev tree at `dev`, serves create requests on ctl until it closes (keeping its copy of
/// the host-root mask at `mask`), then leaves and removes the slot's cgroups; returns the exit code.
int spawner_main(int ctl, const char *uid_map, const char *gid_map, int nslot, char **slot, int nmap, char **mappings,
                 const char *sysfs, const char *empty, int nmask, char **masks, const char *mask, const char *dev);

#endif
