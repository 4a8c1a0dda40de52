/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Admin queue commands of the test target: Identify, features, log pages,
 * Keep Alive, and the fabrics Property Get/Set. Connect is not here: it
 * binds a connection to a controller (connect.h).
 */
#ifndef PNVME_TEST_TARGET_ADMIN_CMDS_H
#define PNVME_TEST_TARGET_ADMIN_CMDS_H

#include "subsystem.h"
#include "target_cmd.h"

/** Run @p cmd on @p ctrlr's admin queue; fills status, cdw0/1 and c2h_len. */
void target_admin_execute(struct target_ctrlr *ctrlr, struct target_cmd *cmd);

#endif
