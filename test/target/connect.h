/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The fabrics Connect command: checks its parameters and data, then binds
 * the queue to a new controller (admin queue) or to the host's existing
 * controller (I/O queue).
 */
#ifndef PNVME_TEST_TARGET_CONNECT_H
#define PNVME_TEST_TARGET_CONNECT_H

#include "queue.h"

/** Run a Connect on @p q; fills cmd->status and cmd->cdw0. */
void target_connect(struct target_queue *q, struct target_cmd *cmd);

#endif
