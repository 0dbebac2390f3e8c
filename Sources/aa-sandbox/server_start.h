// Starting the runtime server in the background.
#ifndef AAFE_SERVER_START_H
#define AAFE_SERVER_START_H

/// Starts `cli serve` detached (its own session, stdin on /dev/null, output to the log in the state
/// folder) and returns at once; of servers started together, the one that takes the lock stays.
void aafe_start_server(const char *cli, const char *state_dir);

#endif
