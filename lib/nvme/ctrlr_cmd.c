/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Admin command construction and submission.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "nvme/nvme_internal.h"

int
nvme_ctrlr_submit_admin(struct pnvme_ctrlr *ctrlr, const struct pnvme_cmd *cmd, void *buf,
			uint32_t len, pnvme_cmd_cb cb_fn, void *cb_arg)
{
	struct nvme_request *req;

	int rc;

	if (nvme_ctrlr_is_failed(ctrlr)) {
		return -ENXIO;
	}
	pthread_mutex_lock(&ctrlr->lock);
	req = nvme_qpair_alloc_request(ctrlr->adminq, cb_fn, cb_arg);
	if (req == NULL) {
		pthread_mutex_unlock(&ctrlr->lock);
		PNVME_ERRLOG("admin queue: no free request for opcode 0x%02x", cmd->opc);
		return -ENOMEM;
	}
	req->cmd = *cmd;
	req->payload = buf;
	req->payload_size = len;
	rc = nvme_qpair_submit_request(ctrlr->adminq, req);
	pthread_mutex_unlock(&ctrlr->lock);
	return rc;
}

int
pnvme_ctrlr_cmd_admin_raw(struct pnvme_ctrlr *ctrlr, const struct pnvme_cmd *cmd, void *buf,
			  uint32_t len, pnvme_cmd_cb cb_fn, void *cb_arg)
{
	struct pnvme_cmd local;

	if (ctrlr == NULL || cmd == NULL) {
		PNVME_ERRLOG("admin passthrough: NULL controller or command");
		return -EINVAL;
	}
	if ((buf == NULL) != (len == 0)) {
		PNVME_ERRLOG("admin passthrough: buffer and length must be given together");
		return -EINVAL;
	}
	if (buf != NULL && pnvme_vtophys(buf, NULL) == PNVME_VTOPHYS_ERROR) {
		PNVME_ERRLOG("admin passthrough: buffer %p is not DMA-able memory", buf);
		return -EINVAL;
	}
	if (len > ctrlr->max_xfer_size) {
		PNVME_ERRLOG("admin passthrough: %u bytes exceed the %u-byte transfer limit", len,
			     ctrlr->max_xfer_size);
		return -EINVAL;
	}
	local = *cmd;
	memset(&local.dptr, 0, sizeof(local.dptr));
	return nvme_ctrlr_submit_admin(ctrlr, &local, buf, len, cb_fn, cb_arg);
}

int
nvme_ctrlr_cmd_identify(struct pnvme_ctrlr *ctrlr, uint8_t cns, uint32_t nsid, uint8_t csi,
			void *buf, pnvme_cmd_cb cb_fn, void *cb_arg)
{
	struct pnvme_cmd cmd;

	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = PNVME_OPC_IDENTIFY;
	cmd.nsid = nsid;
	cmd.cdw10 = cns;
	cmd.cdw11 = (uint32_t)csi << 24;
	return nvme_ctrlr_submit_admin(ctrlr, &cmd, buf, PNVME_IDENTIFY_DATA_SIZE, cb_fn, cb_arg);
}

int
nvme_ctrlr_cmd_set_features(struct pnvme_ctrlr *ctrlr, uint8_t fid, uint32_t cdw11,
			    pnvme_cmd_cb cb_fn, void *cb_arg)
{
	struct pnvme_cmd cmd;

	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = PNVME_OPC_SET_FEATURES;
	cmd.cdw10 = fid;
	cmd.cdw11 = cdw11;
	return nvme_ctrlr_submit_admin(ctrlr, &cmd, NULL, 0, cb_fn, cb_arg);
}

int
nvme_ctrlr_admin_sync(struct pnvme_ctrlr *ctrlr, const struct pnvme_cmd *cmd, void *buf,
		      uint32_t len, struct pnvme_cpl *cpl)
{
	struct nvme_sync_cmd w = {.done = false};
	char what[48];
	int rc;

	snprintf(what, sizeof(what), "admin opcode 0x%02x", cmd->opc);
	pthread_mutex_lock(&ctrlr->lock);
	rc = nvme_ctrlr_submit_admin(ctrlr, cmd, buf, len, nvme_sync_cmd_done, &w);
	if (rc == 0) {
		rc = nvme_qpair_wait_sync(ctrlr->adminq, &w, ctrlr->opts.admin_timeout_ms, what);
	}
	pthread_mutex_unlock(&ctrlr->lock);
	if (rc == 0) {
		*cpl = w.cpl;
	}
	return rc;
}
