// Pid 1 of a sandbox: runs exec requests from the runner and reaps every process.
#ifndef AASI_INIT_H
#define AASI_INIT_H

#include <stddef.h>
#include <stdint.h>

#include "msg.h"

struct init_config {
    int ctl;                  // control socket to the runner
    const uint8_t *bpf[8];    // seccomp programs, installed in order; every exec inherits them
    size_t bpf_len[8];
    int nbpf;
    uint64_t caps;            // capabilities root inside keeps (bit n = CAP number n)
    const struct parsed *first; // an exec request to start at once (the create request), or NULL
};

/// Starts the first command if there is one, says AAL_M_READY, then serves the control socket until
/// it closes; never returns.
void init_main(const struct init_config *cfg);

#endif
