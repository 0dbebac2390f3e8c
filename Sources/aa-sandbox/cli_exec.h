// Finding and running the Swift CLI (aa-sandbox-cli) that does everything but served `run` requests.
#ifndef AAFE_CLI_EXEC_H
#define AAFE_CLI_EXEC_H

#include <stddef.h>

/// Writes the path of aa-sandbox-cli next to this executable (/proc/self/exe) into buf.
/// Returns 0, or -1 when it cannot be named.
int aafe_cli_path(char *buf, size_t cap);

/// Execs the Swift CLI with the same arguments; prints why and exits 127 if it cannot.
_Noreturn void aafe_exec_cli(const char *path, char **argv);

#endif
