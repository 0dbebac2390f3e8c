// The spawner process: creates sandboxes on the runner's request.
#ifndef AASI_SPAWNER_H
#define AASI_SPAWNER_H

/// Serves create requests on ctl until it closes; returns the exit code.
int spawner_main(int ctl, const char *uid_map, const char *gid_map);

#endif
