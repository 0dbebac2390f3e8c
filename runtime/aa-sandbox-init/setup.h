// The sandbox's first process: namespaces, root filesystem, id maps, then the init.
#ifndef AASI_SETUP_H
#define AASI_SETUP_H

#include "common.h"
#include "msg.h"

/// What the first process tells the spawner: 'U' (user namespace made, write the id maps),
/// 'R' (ready, the init runs) or 'E' (failed, see failure).
struct setup_report {
    char tag;
    struct failure failure;
};

/// Runs in the cloned child, which starts in the slot's network namespace (loopback only) and
/// joins host_net_fd's when the spec shares the host network; never returns. The spawner writes 'M' on sync once the child's id maps
/// are written.
void sandbox_child(const struct parsed *spec, int sync_rd, int report_wr, int ctl, int userns_fd, int host_net_fd);

#endif
