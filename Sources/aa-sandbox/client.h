// Handing one `aa-sandbox run` request to the runtime server and waiting for its exit code.
#ifndef AAFE_CLIENT_H
#define AAFE_CLIENT_H

enum aafe_outcome {
    AAFE_SERVED,     // the server ran the request; *exit_code is what to exit with
    AAFE_NO_SERVER,  // nothing listens on the socket: a server may be started
    AAFE_NOT_SERVED, // the server cannot take it (refused, too large, no access): run it without
};

/// Sends the arguments after `run`, the working directory, the environment and fds 0, 1, 2 to
/// the server at socket_path, naming `cli` (the server serves only front ends of its own
/// aa-sandbox-cli), forwards SIGINT, SIGTERM, SIGHUP and SIGQUIT to it while it runs, and returns
/// how the request ended.
enum aafe_outcome aafe_client_run(const char *socket_path, const char *cli, int argc, char **argv, int *exit_code);

#endif
