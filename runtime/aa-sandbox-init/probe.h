// The isolation probe run inside a sandbox by `aa-sandbox probe`.
#ifndef AASI_PROBE_H
#define AASI_PROBE_H

/// Prints one tab-separated line per check; returns the exit code.
int probe_main(void);

#endif
