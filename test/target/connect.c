/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Connect. Everything in the command and its 1 KiB of data is checked
 * before use; a refusal says which field (Invalid Parameters: dword 0
 * holds the byte offset, bit 16 set when it is in the data).
 */
#include <string.h>

#include "connect.h"

/* Byte offsets in the Connect command of the fields checked. */
#define CONNECT_CMD_QID_OFFSET 42u
#define CONNECT_CMD_SQSIZE_OFFSET 44u
/* ...and in its data. */
#define CONNECT_DATA_CNTLID_OFFSET 16u
#define CONNECT_DATA_SUBNQN_OFFSET 256u
#define CONNECT_DATA_HOSTNQN_OFFSET 512u

#define IATTR_DATA (1u << 16)

static void
invalid_parameter(struct target_cmd *cmd, uint32_t iattr, uint16_t ipo)
{
	cmd->status = TARGET_STATUS(PNVME_SCT_COMMAND_SPECIFIC, PNVME_SC_CONNECT_INVALID_PARAMETERS);
	cmd->cdw0 = iattr | ipo;
}

/* A terminated, non-empty NQN inside its 256-byte field. */
static bool
nqn_ok(const char *field)
{
	size_t n = strnlen(field, 256);

	return n > 0 && n < 256;
}

void
target_connect(struct target_queue *q, struct target_cmd *cmd)
{
	struct pnvme_fabric_connect_data data;
	uint16_t recfmt = (uint16_t)(cmd->sqe.cdw10 & 0xffffu);
	uint16_t qid = (uint16_t)(cmd->sqe.cdw10 >> 16);
	uint16_t sqsize = (uint16_t)(cmd->sqe.cdw11 & 0xffffu);
	uint8_t cattr = (uint8_t)(cmd->sqe.cdw11 >> 16);
	struct target_ctrlr *ctrlr;
	uint16_t status, ipo;

	cmd->cdw0 = 0;
	cmd->c2h_len = 0;
	if (q->connected) {
		cmd->status = TARGET_GENERIC(PNVME_SC_COMMAND_SEQUENCE_ERROR);
		return;
	}
	if (cmd->dir != TARGET_DIR_H2C || cmd->data_len != sizeof(data)) {
		cmd->status = TARGET_GENERIC(PNVME_SC_DATA_SGL_LENGTH_INVALID);
		return;
	}
	if (recfmt != 0) {
		cmd->status = TARGET_STATUS(PNVME_SCT_COMMAND_SPECIFIC,
					    PNVME_SC_CONNECT_INCOMPATIBLE_FORMAT);
		return;
	}
	if (sqsize == 0 || sqsize > TARGET_MQES) {
		invalid_parameter(cmd, 0, CONNECT_CMD_SQSIZE_OFFSET);
		return;
	}
	if (qid > TARGET_MAX_IO_QUEUES) {
		invalid_parameter(cmd, 0, CONNECT_CMD_QID_OFFSET);
		return;
	}
	memcpy(&data, cmd->data, sizeof(data));
	if (!nqn_ok(data.subnqn) || strcmp(data.subnqn, q->subsys->nqn) != 0) {
		invalid_parameter(cmd, IATTR_DATA, CONNECT_DATA_SUBNQN_OFFSET);
		return;
	}
	if (!nqn_ok(data.hostnqn)) {
		invalid_parameter(cmd, IATTR_DATA, CONNECT_DATA_HOSTNQN_OFFSET);
		return;
	}
	if (qid == 0) {
		if (data.cntlid != 0xffff) {
			/* Dynamic controller model: the host may not pick one. */
			invalid_parameter(cmd, IATTR_DATA, CONNECT_DATA_CNTLID_OFFSET);
			return;
		}
		ctrlr = target_ctrlr_create(q->subsys, data.hostnqn, data.hostid, cmd->sqe.cdw12);
		if (ctrlr == NULL) {
			cmd->status = TARGET_STATUS(PNVME_SCT_COMMAND_SPECIFIC,
						    PNVME_SC_CONNECT_CONTROLLER_BUSY);
			return;
		}
	} else {
		status = target_ctrlr_connect_io_queue(q->subsys, data.cntlid, data.hostnqn,
						       data.hostid, qid, &ctrlr, &ipo);
		if (status == TARGET_STATUS(PNVME_SCT_COMMAND_SPECIFIC,
					    PNVME_SC_CONNECT_INVALID_PARAMETERS)) {
			invalid_parameter(cmd, IATTR_DATA, ipo);
			return;
		}
		if (status != TARGET_SUCCESS) {
			cmd->status = status;
			return;
		}
	}
	q->connected = true;
	q->qid = qid;
	q->sq_entries = (uint16_t)(sqsize + 1u);
	q->no_sq_flow = (cattr & PNVME_CONNECT_ATTR_DISABLE_SQ_FLOW) != 0;
	q->ctrlr = ctrlr;
	cmd->cdw0 = ctrlr->cntlid;
	cmd->status = TARGET_SUCCESS;
}
