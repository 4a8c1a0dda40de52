/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Admin command construction and submission.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
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

/* ---------------------------------------------------------------- */
/* Typed admin commands with data                                    */
/* ---------------------------------------------------------------- */

/*
 * An admin transfer carried out for the caller: through a DMA buffer when
 * the caller's memory is not DMA-able (and the transport needs it to be),
 * and for Get Log Page and Firmware Image Download in pieces, each at its
 * offset. The caller's callback runs once.
 */
struct admin_xfer {
	struct pnvme_ctrlr *ctrlr;
	struct pnvme_cmd cmd;
	uint8_t *user_buf;
	uint8_t *bounce; /* DMA copy of the current piece, or NULL */
	uint32_t len;    /* bytes in all */
	uint32_t done;   /* bytes finished */
	uint32_t piece;  /* bytes of the current piece */
	uint64_t offset; /* offset of the first byte (log or image) */
	uint32_t piece_max;
	bool to_host;
	enum nvme_admin_split split;
	pnvme_cmd_cb cb_fn;
	void *cb_arg;
};

/* LPA bit 2: Get Log Page takes an offset and a 32-bit dword count. */
#define LPA_EXTENDED_DATA (1u << 2)

static bool
dma_able(const struct pnvme_ctrlr *ctrlr, const void *buf, uint32_t len)
{
	return ctrlr->ops->any_memory ||
	       (pnvme_vtophys(buf, NULL) != PNVME_VTOPHYS_ERROR &&
		pnvme_vtophys((const uint8_t *)buf + len - 1, NULL) != PNVME_VTOPHYS_ERROR);
}

static void admin_xfer_done(void *arg, const struct pnvme_cpl *cpl);

static int
admin_xfer_submit(struct admin_xfer *x)
{
	uint32_t numd;
	uint64_t off;

	x->piece = PNVME_MIN(x->len - x->done, x->piece_max);
	if (x->split == NVME_ADMIN_SPLIT_LOG) {
		numd = x->piece / 4 - 1;
		off = x->offset + x->done;
		x->cmd.cdw10 = (x->cmd.cdw10 & 0xffff) | (numd & 0xffff) << 16;
		x->cmd.cdw11 = (x->cmd.cdw11 & 0xffff0000u) | numd >> 16;
		x->cmd.cdw12 = (uint32_t)off;
		x->cmd.cdw13 = (uint32_t)(off >> 32);
	} else if (x->split == NVME_ADMIN_SPLIT_FW) {
		/* NUMD is 0's based; OFST counts dwords. */
		x->cmd.cdw10 = x->piece / 4 - 1;
		x->cmd.cdw11 = (uint32_t)((x->offset + x->done) / 4);
	}
	if (x->bounce != NULL && !x->to_host) {
		memcpy(x->bounce, x->user_buf + x->done, x->piece);
	}
	return nvme_ctrlr_submit_admin(x->ctrlr, &x->cmd,
				       x->bounce != NULL ? x->bounce : x->user_buf + x->done,
				       x->piece, admin_xfer_done, x);
}

static void
admin_xfer_finish(struct admin_xfer *x, const struct pnvme_cpl *cpl)
{
	pnvme_cmd_cb cb_fn = x->cb_fn;
	void *cb_arg = x->cb_arg;

	pnvme_dma_free(x->bounce);
	free(x);
	cb_fn(cb_arg, cpl);
}

static void
admin_xfer_done(void *arg, const struct pnvme_cpl *cpl)
{
	struct admin_xfer *x = arg;
	struct pnvme_cpl failed;

	if (pnvme_cpl_is_error(cpl)) {
		admin_xfer_finish(x, cpl);
		return;
	}
	if (x->bounce != NULL && x->to_host) {
		memcpy(x->user_buf + x->done, x->bounce, x->piece);
	}
	x->done += x->piece;
	if (x->done == x->len) {
		admin_xfer_finish(x, cpl);
		return;
	}
	if (admin_xfer_submit(x) != 0) {
		/* The controller failed (or is resetting) between pieces. */
		failed = *cpl;
		failed.status.sct = PNVME_SCT_GENERIC;
		failed.status.sc = PNVME_SC_ABORTED_SQ_DELETION;
		failed.status.dnr = 1;
		admin_xfer_finish(x, &failed);
	}
}

int
nvme_admin_xfer_start(struct pnvme_ctrlr *ctrlr, const struct pnvme_cmd *cmd, void *buf,
		      uint32_t len, bool to_host, enum nvme_admin_split split, uint32_t piece_max,
		      uint64_t offset, pnvme_cmd_cb cb_fn, void *cb_arg, const char *what)
{
	struct admin_xfer *x;
	int rc;

	if (len == 0 || buf == NULL) {
		return nvme_ctrlr_submit_admin(ctrlr, cmd, NULL, 0, cb_fn, cb_arg);
	}
	if (piece_max == 0 || piece_max > ctrlr->max_xfer_size) {
		piece_max = ctrlr->max_xfer_size;
	}
	if (split == NVME_ADMIN_SPLIT_NONE && len > ctrlr->max_xfer_size) {
		PNVME_ERRLOG("%s: %u bytes exceed the %u-byte transfer limit", what, len,
			     ctrlr->max_xfer_size);
		return -EINVAL;
	}
	x = calloc(1, sizeof(*x));
	if (x == NULL) {
		return -ENOMEM;
	}
	x->ctrlr = ctrlr;
	x->cmd = *cmd;
	x->user_buf = buf;
	x->len = len;
	x->offset = offset;
	x->piece_max = piece_max;
	x->to_host = to_host;
	x->split = split;
	x->cb_fn = cb_fn;
	x->cb_arg = cb_arg;
	if (!dma_able(ctrlr, buf, len)) {
		x->bounce = pnvme_dma_zmalloc(PNVME_MIN(len, piece_max), 4096, NULL);
		if (x->bounce == NULL) {
			free(x);
			return -ENOMEM;
		}
	}
	rc = admin_xfer_submit(x);
	if (rc != 0) {
		pnvme_dma_free(x->bounce);
		free(x);
	}
	return rc;
}

int
pnvme_ctrlr_cmd_get_log_page(struct pnvme_ctrlr *ctrlr, uint8_t lid, uint32_t nsid, void *buf,
			     uint32_t len, const struct pnvme_log_page_opts *opts,
			     pnvme_cmd_cb cb_fn, void *cb_arg)
{
	struct pnvme_log_page_opts o = {.opts_size = sizeof(o)};
	struct pnvme_cmd cmd;

	if (opts != NULL) {
		memcpy(&o, opts, PNVME_MIN(opts->opts_size, sizeof(o)));
	}
	if (ctrlr == NULL || buf == NULL || cb_fn == NULL) {
		PNVME_ERRLOG("get_log_page: NULL controller, buffer or callback");
		return -EINVAL;
	}
	if (len == 0 || len % 4 != 0 || o.offset % 4 != 0 || o.lsp > 127) {
		PNVME_ERRLOG("get_log_page 0x%02x: length %u and offset %llu must be non-zero "
			     "multiples of 4 (offset may be 0), LSP %u at most 127",
			     lid, len, (unsigned long long)o.offset, o.lsp);
		return -EINVAL;
	}
	if (!(ctrlr->cdata.lpa & LPA_EXTENDED_DATA) &&
	    (o.offset != 0 || len > PNVME_MIN(ctrlr->max_xfer_size, 16384u))) {
		PNVME_ERRLOG("get_log_page 0x%02x: the controller takes no log offset (LPA 0x%02x): "
			     "offset %llu, %u bytes",
			     lid, ctrlr->cdata.lpa, (unsigned long long)o.offset, len);
		return -EINVAL;
	}
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = PNVME_OPC_GET_LOG_PAGE;
	cmd.nsid = nsid;
	cmd.cdw10 = lid | (uint32_t)o.lsp << 8 | (o.rae ? PNVME_LOG_PAGE_RAE : 0);
	cmd.cdw11 = (uint32_t)o.lsi << 16;
	cmd.cdw14 = (uint32_t)o.csi << 24;
	return nvme_admin_xfer_start(ctrlr, &cmd, buf, len, true, NVME_ADMIN_SPLIT_LOG, 0, o.offset,
				     cb_fn, cb_arg, "get_log_page");
}

int
pnvme_ctrlr_cmd_get_feature(struct pnvme_ctrlr *ctrlr, uint8_t fid, enum pnvme_feat_sel sel,
			    uint32_t nsid, uint32_t cdw11, void *buf, uint32_t len,
			    pnvme_cmd_cb cb_fn, void *cb_arg)
{
	struct pnvme_cmd cmd;

	if (ctrlr == NULL || cb_fn == NULL || (buf == NULL) != (len == 0) ||
	    (unsigned int)sel > PNVME_FEAT_SEL_SUPPORTED) {
		PNVME_ERRLOG("get_feature 0x%02x: NULL controller or callback, a buffer without a "
			     "length (or the reverse), or selection %d outside 0-3",
			     fid, (int)sel);
		return -EINVAL;
	}
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = PNVME_OPC_GET_FEATURES;
	cmd.nsid = nsid;
	cmd.cdw10 = fid | (uint32_t)sel << 8;
	cmd.cdw11 = cdw11;
	return nvme_admin_xfer_start(ctrlr, &cmd, buf, len, true, NVME_ADMIN_SPLIT_NONE, 0, 0, cb_fn,
				     cb_arg, "get_feature");
}

int
pnvme_ctrlr_cmd_set_feature(struct pnvme_ctrlr *ctrlr, uint8_t fid, bool save, uint32_t nsid,
			    uint32_t cdw11, uint32_t cdw12, void *buf, uint32_t len,
			    pnvme_cmd_cb cb_fn, void *cb_arg)
{
	struct pnvme_cmd cmd;

	if (ctrlr == NULL || cb_fn == NULL || (buf == NULL) != (len == 0)) {
		PNVME_ERRLOG("set_feature 0x%02x: NULL controller or callback, or a buffer "
			     "without a length (or the reverse)",
			     fid);
		return -EINVAL;
	}
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = PNVME_OPC_SET_FEATURES;
	cmd.nsid = nsid;
	cmd.cdw10 = fid | (save ? 1u << 31 : 0);
	cmd.cdw11 = cdw11;
	cmd.cdw12 = cdw12;
	return nvme_admin_xfer_start(ctrlr, &cmd, buf, len, false, NVME_ADMIN_SPLIT_NONE, 0, 0,
				     cb_fn, cb_arg, "set_feature");
}
