/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * One submission queue of the test target (one NVMe/TCP connection): the
 * order in which its commands are taken, with fused pairs held together,
 * and the dispatch of each command to Connect, the admin set or the NVM
 * set.
 *
 * Fused operations on a message-based transport: the FIRST's capsule must
 * be followed, on the same queue, by its SECOND's. So a FIRST waits for
 * the next capsule before anything is decided about it; its data is asked
 * for only once the pair is known.
 */
#ifndef PNVME_TEST_TARGET_QUEUE_H
#define PNVME_TEST_TARGET_QUEUE_H

#include <stdbool.h>
#include <stdint.h>

#include "subsystem.h"
#include "target_cmd.h"

struct target_conn;

struct target_queue {
	struct target_subsys *subsys;
	struct target_conn *conn;
	/** Set by a successful Connect. */
	bool connected;
	uint16_t qid;
	uint16_t sq_entries;
	/** The host asked for no SQ flow control (Connect CATTR bit 2). */
	bool no_sq_flow;
	uint16_t sqhd;
	struct target_ctrlr *ctrlr;
	/** A fused FIRST whose next capsule has not arrived yet. */
	struct target_cmd *fuse_first;
};

/** A capsule arrived (with its in-capsule data, if any). */
void target_queue_capsule(struct target_queue *q, struct target_cmd *cmd);
/** All host-to-controller data of @p cmd has arrived (after an R2T). */
void target_queue_data_done(struct target_queue *q, struct target_cmd *cmd);
/** The connection is ending: give back the controller reference. */
void target_queue_close(struct target_queue *q);

/* What the queue needs from its connection (tcp_conn.c). */

/** Ask the host for @p cmd's data (R2T). */
void target_conn_request_data(struct target_conn *conn, struct target_cmd *cmd);
/** Send @p cmd's data (on success) and completion; the command's slot is freed. */
void target_conn_complete(struct target_conn *conn, struct target_cmd *cmd);

#endif
