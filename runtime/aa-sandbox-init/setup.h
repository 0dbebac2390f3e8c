// The sandbox's first process: namespaces, root filesystem, then the init.
#ifndef AASI_SETUP_H
#define AASI_SETUP_H

#include "common.h"
#include "msg.h"

/// Runs in the cloned child, which starts in the slot's network namespace (loopback only) and
/// joins host_net_fd's when the spec shares the host network, and ends in the slot's user
/// namespace (userns_fd) as the init, which serves ctl; never returns. A failure is reported on ctl
/// (AAL_M_FAILED); a spec that carries a first command (EXEC_ID, with its descriptors) starts it at
/// once; then the init says AAL_M_READY.
void sandbox_child(const struct parsed *spec, int ctl, int userns_fd, int host_net_fd);

#endif
