// The spawner's copy of the host-root mask: a small tree of directories, whiteouts and symlinks that
// overlayfs lays above the host's root. It must live on a filesystem of its own (overlayfs refuses a
// layer below another layer's root), so each spawner copies it onto a tmpfs in its mount namespace.
#ifndef AASI_MASK_H
#define AASI_MASK_H

#include "common.h"

/// Makes `point` hold a read-only copy of the host directory `tree` (owners, modes, whiteouts,
/// symlinks, overlayfs opaque marks), unless it already holds that one; 0, or -1 with *f set.
int mask_refresh(const char *point, const char *tree, struct failure *f);

#endif
