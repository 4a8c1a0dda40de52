/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Command order on one queue. Plain commands run as soon as their data is
 * in (one thread per connection: in arrival order). A fused FIRST is held
 * until the next capsule shows whether it is its SECOND:
 *
 *   FIRST then SECOND      the pair; both commands' data is fetched, then
 *                          compare and write run as one unit
 *   FIRST then other       FIRST: Aborted, Missing Fused Command; the
 *                          other command runs normally
 *   SECOND with no FIRST   Aborted, Missing Fused Command
 *   pair on different LBAs both: Invalid Field in Command
 */
#include <stdlib.h>

#include "admin_cmds.h"
#include "connect.h"
#include "queue.h"

static void
complete_with(struct target_queue *q, struct target_cmd *cmd, uint16_t status)
{
	cmd->status = status;
	cmd->c2h_len = 0;
	cmd->cdw0 = 0;
	cmd->cdw1 = 0;
	target_conn_complete(q->conn, cmd);
}

static bool
is_connect(const struct target_cmd *cmd)
{
	return cmd->sqe.opc == PNVME_OPC_FABRIC && (uint8_t)cmd->sqe.nsid == PNVME_FCTYPE_CONNECT;
}

/* Run one command whose data is all in, and complete it. */
static void
execute(struct target_queue *q, struct target_cmd *cmd)
{
	if (cmd->early_status != TARGET_SUCCESS) {
		complete_with(q, cmd, cmd->early_status);
		return;
	}
	cmd->cdw0 = 0;
	cmd->cdw1 = 0;
	cmd->c2h_len = 0;
	if (is_connect(cmd)) {
		target_connect(q, cmd);
	} else if (!q->connected) {
		cmd->status = TARGET_GENERIC(PNVME_SC_COMMAND_SEQUENCE_ERROR);
	} else if (q->qid == 0) {
		target_admin_execute(q->ctrlr, cmd);
	} else if (cmd->sqe.opc == PNVME_OPC_FABRIC) {
		/* Property Get/Set belong to the admin queue. */
		cmd->status = TARGET_GENERIC(PNVME_SC_INVALID_OPCODE);
	} else {
		target_ns_execute(&q->subsys->ns, cmd);
	}
	if (!cmd->parked) {
		target_conn_complete(q->conn, cmd);
	}
}

/* A command whose place in the order is settled: fetch its data or run it. */
static void
start(struct target_queue *q, struct target_cmd *cmd)
{
	if (cmd->early_status == TARGET_SUCCESS && !target_cmd_data_complete(cmd)) {
		target_conn_request_data(q->conn, cmd);
		return;
	}
	execute(q, cmd);
}

/* A pair member needs nothing more from the host. */
static bool
pair_member_ready(const struct target_cmd *cmd)
{
	return cmd->early_status != TARGET_SUCCESS || target_cmd_data_complete(cmd);
}

/* Both halves of a pair have their data: run them, complete FIRST then SECOND. */
static void
run_pair(struct target_queue *q, struct target_cmd *first, struct target_cmd *second)
{
	struct target_ns *ns = &q->subsys->ns;

	first->partner = NULL;
	second->partner = NULL;
	if (first->early_status != TARGET_SUCCESS) {
		/* The compare failed before it ran: the write must not run. */
		complete_with(q, first, first->early_status);
		complete_with(q, second, TARGET_GENERIC(PNVME_SC_ABORTED_FAILED_FUSED));
		return;
	}
	if (second->early_status != TARGET_SUCCESS) {
		/* A failed write leaves the compare's own status. */
		target_ns_execute(ns, first);
		target_conn_complete(q->conn, first);
		complete_with(q, second, second->early_status);
		return;
	}
	target_ns_execute_fused(ns, first, second);
	target_conn_complete(q->conn, first);
	target_conn_complete(q->conn, second);
}

static void
start_pair(struct target_queue *q, struct target_cmd *first, struct target_cmd *second)
{
	uint16_t status = target_ns_check_fused_pair(first, second);

	if (status != TARGET_SUCCESS) {
		complete_with(q, first, status);
		complete_with(q, second, status);
		return;
	}
	if (first->early_status != TARGET_SUCCESS) {
		run_pair(q, first, second); /* nothing to fetch: the write is aborted */
		return;
	}
	first->partner = second;
	second->partner = first;
	if (!pair_member_ready(first)) {
		target_conn_request_data(q->conn, first);
	}
	if (!pair_member_ready(second)) {
		target_conn_request_data(q->conn, second);
	}
	if (pair_member_ready(first) && pair_member_ready(second)) {
		run_pair(q, first, second);
	}
}

void
target_queue_capsule(struct target_queue *q, struct target_cmd *cmd)
{
	struct target_cmd *first = q->fuse_first;

	if (q->sq_entries != 0) {
		q->sqhd = (uint16_t)((q->sqhd + 1u) % q->sq_entries);
	}
	if (first != NULL) {
		q->fuse_first = NULL;
		if (cmd->sqe.fuse == PNVME_FUSE_SECOND) {
			start_pair(q, first, cmd);
			return;
		}
		/* Not adjacent to a SECOND: the FIRST alone is aborted. */
		complete_with(q, first, TARGET_GENERIC(PNVME_SC_ABORTED_MISSING_FUSED));
	}
	if (cmd->sqe.fuse != PNVME_FUSE_NONE &&
	    (!q->connected || q->qid == 0 || !q->subsys->fused_supported)) {
		/* No admin command can be fused, nor any command when FUSES
		 * offers nothing. */
		complete_with(q, cmd, TARGET_GENERIC(PNVME_SC_INVALID_FIELD));
		return;
	}
	switch (cmd->sqe.fuse) {
	case PNVME_FUSE_NONE:
		start(q, cmd);
		return;
	case PNVME_FUSE_FIRST:
		if (cmd->sqe.opc != PNVME_OPC_COMPARE) {
			/* Compare and write is the only fused operation here. */
			complete_with(q, cmd, TARGET_GENERIC(PNVME_SC_INVALID_FIELD));
			return;
		}
		q->fuse_first = cmd;
		return;
	case PNVME_FUSE_SECOND:
		complete_with(q, cmd, TARGET_GENERIC(PNVME_SC_ABORTED_MISSING_FUSED));
		return;
	default:
		complete_with(q, cmd, TARGET_GENERIC(PNVME_SC_INVALID_FIELD));
		return;
	}
}

void
target_queue_data_done(struct target_queue *q, struct target_cmd *cmd)
{
	struct target_cmd *other = cmd->partner;

	if (other == NULL) {
		execute(q, cmd);
		return;
	}
	if (pair_member_ready(other)) {
		if (cmd->sqe.fuse == PNVME_FUSE_FIRST) {
			run_pair(q, cmd, other);
		} else {
			run_pair(q, other, cmd);
		}
	}
}

void
target_queue_close(struct target_queue *q)
{
	q->fuse_first = NULL;
	if (q->ctrlr == NULL) {
		return;
	}
	if (q->qid != 0) {
		target_ctrlr_disconnect_io_queue(q->ctrlr, q->qid);
	}
	target_ctrlr_put(q->ctrlr);
	q->ctrlr = NULL;
	q->connected = false;
}
