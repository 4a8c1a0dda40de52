/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Admin commands. Identify and log data go into the command's own buffer
 * (its SGL length, bounded when the capsule was read); a buffer shorter
 * than the structure gets its first bytes.
 */
#include <string.h>

#include "admin_cmds.h"
#include "identify.h"

/* Log pages offered: zero-filled, but present. */
#define LOG_ERROR_ENTRY_SIZE 64u
#define LOG_PAGE_SIZE 512u

static uint16_t
invalid_field(void)
{
	return TARGET_GENERIC(PNVME_SC_INVALID_FIELD);
}

/* Hand back @p len bytes of @p src in the host's whole buffer: cut to it,
 * or followed by zeroes (a successful read fills its buffer). */
static void
return_data(struct target_cmd *cmd, const void *src, uint32_t len)
{
	memset(cmd->data, 0, cmd->data_len);
	memcpy(cmd->data, src, len < cmd->data_len ? len : cmd->data_len);
	cmd->c2h_len = cmd->data_len;
}

static uint16_t
identify(struct target_ctrlr *ctrlr, struct target_cmd *cmd)
{
	const struct target_ns *ns = &ctrlr->subsys->ns;
	uint8_t buf[PNVME_IDENTIFY_DATA_SIZE];
	uint32_t nsid = cmd->sqe.nsid;

	if (cmd->dir != TARGET_DIR_C2H || cmd->data_len == 0) {
		return invalid_field();
	}
	memset(buf, 0, sizeof(buf));
	switch (cmd->sqe.cdw10 & 0xffu) {
	case PNVME_IDENTIFY_NS:
		if (nsid == TARGET_NSID) {
			target_identify_ns(ns, (struct pnvme_ns_data *)buf);
		} else if (nsid != 0xffffffffu) {
			/* 0xffffffff: capabilities common to all namespaces,
			 * which here means an all-zero structure. */
			return TARGET_GENERIC(PNVME_SC_INVALID_NAMESPACE_OR_FORMAT);
		}
		break;
	case PNVME_IDENTIFY_CTRLR:
		target_identify_ctrlr(ctrlr, (struct pnvme_ctrlr_data *)buf);
		break;
	case PNVME_IDENTIFY_ACTIVE_NS_LIST:
		/* IDs above the one given; the two highest IDs are invalid. */
		if (nsid >= 0xfffffffeu) {
			return invalid_field();
		}
		if (nsid < TARGET_NSID) {
			uint32_t id = TARGET_NSID;

			memcpy(buf, &id, sizeof(id));
		}
		break;
	case PNVME_IDENTIFY_NS_ID_DESCRIPTOR_LIST:
		if (nsid != TARGET_NSID) {
			return TARGET_GENERIC(PNVME_SC_INVALID_NAMESPACE_OR_FORMAT);
		}
		target_identify_ns_id_descs(ns, buf);
		break;
	default:
		return invalid_field();
	}
	return_data(cmd, buf, sizeof(buf));
	return TARGET_SUCCESS;
}

static uint16_t
get_log_page(struct target_cmd *cmd)
{
	uint8_t lid = (uint8_t)(cmd->sqe.cdw10 & 0xffu);
	uint64_t numd = ((uint64_t)(cmd->sqe.cdw10 >> 16) |
			 ((uint64_t)(cmd->sqe.cdw11 & 0xffffu) << 16)) + 1;
	uint64_t offset = (uint64_t)cmd->sqe.cdw12 | ((uint64_t)cmd->sqe.cdw13 << 32);
	uint64_t bytes = numd * 4;
	uint32_t page_size;

	switch (lid) {
	case PNVME_LOG_PAGE_ERROR:
		page_size = LOG_ERROR_ENTRY_SIZE;
		break;
	case PNVME_LOG_PAGE_HEALTH_INFORMATION:
	case PNVME_LOG_PAGE_FIRMWARE_SLOT:
		page_size = LOG_PAGE_SIZE;
		break;
	default:
		return TARGET_STATUS(PNVME_SCT_COMMAND_SPECIFIC, PNVME_SC_INVALID_LOG_PAGE);
	}
	if (cmd->dir != TARGET_DIR_C2H || bytes != cmd->data_len) {
		return TARGET_GENERIC(PNVME_SC_DATA_SGL_LENGTH_INVALID);
	}
	if ((offset & 3) != 0 || offset >= page_size) {
		return invalid_field();
	}
	/* Every page offered is all zeroes (no errors, no wear, one slot):
	 * what is past the page's end reads as zeroes too. */
	memset(cmd->data, 0, cmd->data_len);
	cmd->c2h_len = cmd->data_len;
	return TARGET_SUCCESS;
}

static uint16_t
set_features(struct target_ctrlr *ctrlr, struct target_cmd *cmd)
{
	uint32_t cdw11 = cmd->sqe.cdw11;

	switch (cmd->sqe.cdw10 & 0xffu) {
	case PNVME_FEAT_NUMBER_OF_QUEUES:
		if ((cdw11 & 0xffffu) == 0xffffu || (cdw11 >> 16) == 0xffffu) {
			return invalid_field();
		}
		cmd->cdw0 = target_ctrlr_set_num_queues(ctrlr, cdw11 & 0xffffu, cdw11 >> 16);
		return TARGET_SUCCESS;
	case PNVME_FEAT_KEEP_ALIVE_TIMER:
		pthread_mutex_lock(&ctrlr->lock);
		ctrlr->kato_ms = cdw11;
		pthread_mutex_unlock(&ctrlr->lock);
		return TARGET_SUCCESS;
	case PNVME_FEAT_ASYNC_EVENT_CONFIGURATION:
		return TARGET_SUCCESS; /* no events are ever raised */
	default:
		return invalid_field();
	}
}

static uint16_t
get_features(struct target_ctrlr *ctrlr, struct target_cmd *cmd)
{
	switch (cmd->sqe.cdw10 & 0xffu) {
	case PNVME_FEAT_NUMBER_OF_QUEUES:
		cmd->cdw0 = target_ctrlr_get_num_queues(ctrlr);
		return TARGET_SUCCESS;
	case PNVME_FEAT_KEEP_ALIVE_TIMER:
		pthread_mutex_lock(&ctrlr->lock);
		cmd->cdw0 = ctrlr->kato_ms;
		pthread_mutex_unlock(&ctrlr->lock);
		return TARGET_SUCCESS;
	case PNVME_FEAT_ARBITRATION:
	case PNVME_FEAT_POWER_MANAGEMENT:
	case PNVME_FEAT_ASYNC_EVENT_CONFIGURATION:
		cmd->cdw0 = 0;
		return TARGET_SUCCESS;
	default:
		return invalid_field();
	}
}

/* Property Get/Set: byte 4 is the fabrics command type, dword 10 bit 0
 * the size (8 bytes when set), dword 11 the offset, 12-13 the value. */
static uint16_t
fabrics_property(struct target_ctrlr *ctrlr, struct target_cmd *cmd)
{
	uint8_t fctype = (uint8_t)cmd->sqe.nsid;
	bool size8 = (cmd->sqe.cdw10 & 7u) == 1;
	uint64_t value = 0;
	uint16_t status;

	if ((cmd->sqe.cdw10 & 7u) > 1 || cmd->data_len != 0) {
		return invalid_field();
	}
	if (fctype == PNVME_FCTYPE_PROPERTY_GET) {
		status = target_ctrlr_prop_get(ctrlr, cmd->sqe.cdw11, size8, &value);
		cmd->cdw0 = (uint32_t)value;
		cmd->cdw1 = (uint32_t)(value >> 32);
		return status;
	}
	if (fctype == PNVME_FCTYPE_PROPERTY_SET) {
		value = (uint64_t)cmd->sqe.cdw12 | ((uint64_t)cmd->sqe.cdw13 << 32);
		return target_ctrlr_prop_set(ctrlr, cmd->sqe.cdw11, size8, value);
	}
	return TARGET_GENERIC(PNVME_SC_INVALID_OPCODE);
}

/* Only fabrics commands and the admin set below are allowed before
 * CC.EN: a host must enable the controller first. */
static bool
ctrlr_ready(struct target_ctrlr *ctrlr)
{
	bool rdy;

	pthread_mutex_lock(&ctrlr->lock);
	rdy = (ctrlr->csts & 1u) != 0;
	pthread_mutex_unlock(&ctrlr->lock);
	return rdy;
}

void
target_admin_execute(struct target_ctrlr *ctrlr, struct target_cmd *cmd)
{
	cmd->c2h_len = 0;
	cmd->cdw0 = 0;
	cmd->cdw1 = 0;
	if (cmd->sqe.opc == PNVME_OPC_FABRIC) {
		cmd->status = fabrics_property(ctrlr, cmd);
		return;
	}
	if (!ctrlr_ready(ctrlr)) {
		cmd->status = TARGET_GENERIC(PNVME_SC_COMMAND_SEQUENCE_ERROR);
		return;
	}
	switch (cmd->sqe.opc) {
	case PNVME_OPC_IDENTIFY:
		cmd->status = identify(ctrlr, cmd);
		break;
	case PNVME_OPC_GET_LOG_PAGE:
		cmd->status = get_log_page(cmd);
		break;
	case PNVME_OPC_SET_FEATURES:
		cmd->status = set_features(ctrlr, cmd);
		break;
	case PNVME_OPC_GET_FEATURES:
		cmd->status = get_features(ctrlr, cmd);
		break;
	case PNVME_OPC_KEEP_ALIVE:
		cmd->status = TARGET_SUCCESS;
		break;
	case PNVME_OPC_ABORT:
		/* Commands run to completion as they arrive: nothing to abort
		 * (dword 0 bit 0 set: "not aborted"). */
		cmd->cdw0 = 1;
		cmd->status = TARGET_SUCCESS;
		break;
	case PNVME_OPC_ASYNC_EVENT_REQUEST:
		/* AERL 0: one may be outstanding. It stays until the connection
		 * ends since no event is ever raised; another is refused. */
		pthread_mutex_lock(&ctrlr->lock);
		if (ctrlr->aer_parked) {
			cmd->status = TARGET_STATUS(PNVME_SCT_COMMAND_SPECIFIC,
						    PNVME_SC_ASYNC_EVENT_REQUEST_LIMIT_EXCEEDED);
		} else {
			ctrlr->aer_parked = true;
			cmd->parked = true;
		}
		pthread_mutex_unlock(&ctrlr->lock);
		break;
	default:
		cmd->status = TARGET_GENERIC(PNVME_SC_INVALID_OPCODE);
		break;
	}
}
