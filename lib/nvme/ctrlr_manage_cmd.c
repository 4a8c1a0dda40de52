/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Typed admin commands that manage the device: Format NVM, Namespace
 * Management and Attachment, Firmware Image Download and Commit, Device
 * Self-test and Sanitize. Each checks its arguments and what the controller
 * says it supports before anything is sent; the ones that change the
 * namespaces identify them again before the caller hears of the success.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nvme/nvme_internal.h"

/* SANICAP bits: crypto erase, block erase, overwrite. */
#define SANICAP_CRYPTO (1u << 0)
#define SANICAP_BLOCK (1u << 1)
#define SANICAP_OVERWRITE (1u << 2)
/* FRMW: bit 0 slot 1 read-only, bits 3:1 number of slots. */
#define FRMW_SLOTS(frmw) (((frmw) >> 1) & 7u)
/* FWUG: 4 KiB units; 0 says nothing, FFh means any granularity. */
#define FWUG_UNIT 4096u
#define FWUG_ANY 0xffu

/* One line and -ENOTSUP when OACS lacks @p bit. */
static int
check_oacs(const struct pnvme_ctrlr *ctrlr, uint16_t bit, const char *what)
{
	if (ctrlr->cdata.oacs & bit) {
		return 0;
	}
	CTRLR_ERRLOG(ctrlr, "%s: the controller does not support it (OACS 0x%04x)", what,
		     ctrlr->cdata.oacs);
	return -ENOTSUP;
}

/* A namespace-changing command: its success is told once the namespaces
 * are identified again. */
struct ns_changing_cmd {
	struct pnvme_ctrlr *ctrlr;
	struct pnvme_cpl cpl;
	pnvme_cmd_cb cb_fn;
	void *cb_arg;
	void *owned_data; /* data the library made for the command */
};

static void
ns_changing_rescanned(void *arg, const struct pnvme_cpl *rescan_cpl)
{
	struct ns_changing_cmd *c = arg;

	/* The command's completion either way: the device did what it was
	 * asked; a rescan that failed was logged. */
	(void)rescan_cpl;
	c->cb_fn(c->cb_arg, &c->cpl);
	free(c->owned_data);
	free(c);
}

static void
ns_changing_done(void *arg, const struct pnvme_cpl *cpl)
{
	struct ns_changing_cmd *c = arg;

	c->cpl = *cpl;
	if (pnvme_cpl_is_error(cpl) || nvme_ctrlr_ns_rescan(c->ctrlr, ns_changing_rescanned, c) != 0) {
		ns_changing_rescanned(c, cpl);
	}
}

/* Submit @p cmd with @p len bytes of @p buf to the controller; @p owned
 * (or NULL) is freed once the caller has heard, whatever happened. */
static int
submit_ns_changing(struct pnvme_ctrlr *ctrlr, const struct pnvme_cmd *cmd, void *buf,
		   uint32_t len, void *owned, pnvme_cmd_cb cb_fn, void *cb_arg, const char *what)
{
	struct ns_changing_cmd *c = calloc(1, sizeof(*c));
	int rc;

	if (c == NULL) {
		free(owned);
		return -ENOMEM;
	}
	c->ctrlr = ctrlr;
	c->owned_data = owned;
	c->cb_fn = cb_fn;
	c->cb_arg = cb_arg;
	rc = nvme_admin_xfer_start(ctrlr, cmd, buf, len, false, NVME_ADMIN_SPLIT_NONE, 0, 0,
				   ns_changing_done, c, what);
	if (rc != 0) {
		free(owned);
		free(c);
	}
	return rc;
}

int
pnvme_ctrlr_cmd_format(struct pnvme_ctrlr *ctrlr, uint32_t nsid, const struct pnvme_format *fmt,
		       pnvme_cmd_cb cb_fn, void *cb_arg)
{
	struct pnvme_cmd cmd;
	int rc;

	if (ctrlr == NULL || fmt == NULL || cb_fn == NULL) {
		PNVME_ERRLOG("format: NULL controller, settings or callback");
		return -EINVAL;
	}
	if (fmt->lbaf > 63 || fmt->pi > 3 || fmt->ses > 2 || nsid == 0) {
		CTRLR_ERRLOG(ctrlr, "format: namespace %u, LBA format %u (0-63), PI type %u (0-3), "
			     "secure erase %u (0-2): out of range",
			     nsid, fmt->lbaf, fmt->pi, fmt->ses);
		return -EINVAL;
	}
	rc = check_oacs(ctrlr, PNVME_OACS_FORMAT, "format");
	if (rc != 0) {
		return rc;
	}
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = PNVME_OPC_FORMAT_NVM;
	cmd.nsid = nsid;
	/* LBAF's low 4 bits in 3:0, its high 2 in 13:12. */
	cmd.cdw10 = (fmt->lbaf & 0xfu) | (fmt->mset ? 1u << 4 : 0) | (uint32_t)fmt->pi << 5 |
		    (fmt->pil ? 1u << 8 : 0) | (uint32_t)fmt->ses << 9 |
		    (uint32_t)(fmt->lbaf >> 4) << 12;
	return submit_ns_changing(ctrlr, &cmd, NULL, 0, NULL, cb_fn, cb_arg, "format");
}

int
pnvme_ctrlr_cmd_ns_manage(struct pnvme_ctrlr *ctrlr, enum pnvme_ns_manage_sel sel,
			  uint32_t nsid, const struct pnvme_ns_data *data, pnvme_cmd_cb cb_fn,
			  void *cb_arg)
{
	struct pnvme_cmd cmd;
	int rc;

	if (ctrlr == NULL || cb_fn == NULL) {
		PNVME_ERRLOG("ns_manage: NULL controller or callback");
		return -EINVAL;
	}
	if ((sel == PNVME_NS_MANAGE_CREATE && (data == NULL || nsid != 0)) ||
	    (sel == PNVME_NS_MANAGE_DELETE && (data != NULL || nsid == 0)) ||
	    (sel != PNVME_NS_MANAGE_CREATE && sel != PNVME_NS_MANAGE_DELETE)) {
		CTRLR_ERRLOG(ctrlr, "ns_manage: selection %d with namespace %u and %s data: create "
			     "takes data and namespace 0, delete a namespace and no data",
			     (int)sel, nsid, data != NULL ? "some" : "no");
		return -EINVAL;
	}
	rc = check_oacs(ctrlr, PNVME_OACS_NS_MANAGE, "ns_manage");
	if (rc != 0) {
		return rc;
	}
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = PNVME_OPC_NS_MANAGEMENT;
	cmd.nsid = nsid;
	cmd.cdw10 = (uint32_t)sel;
	/* The structure is only read by the controller. */
	return submit_ns_changing(ctrlr, &cmd, (void *)data, data != NULL ? sizeof(*data) : 0, NULL,
				  cb_fn, cb_arg, "ns_manage");
}

int
pnvme_ctrlr_cmd_ns_attach(struct pnvme_ctrlr *ctrlr, enum pnvme_ns_attach_sel sel,
			  uint32_t nsid, const struct pnvme_ctrlr_list *ctrlrs,
			  pnvme_cmd_cb cb_fn, void *cb_arg)
{
	struct pnvme_ctrlr_list *own = NULL;
	struct pnvme_cmd cmd;
	int rc;

	if (ctrlr == NULL || cb_fn == NULL) {
		PNVME_ERRLOG("ns_attach: NULL controller or callback");
		return -EINVAL;
	}
	if ((sel != PNVME_NS_ATTACH_CTRLRS && sel != PNVME_NS_DETACH_CTRLRS) || nsid == 0 ||
	    nsid == PNVME_NSID_ALL || (ctrlrs != NULL && ctrlrs->num > 2047)) {
		CTRLR_ERRLOG(ctrlr, "ns_attach: selection %d, namespace %u, %u controllers: a "
			     "selection of 0 or 1, one namespace and at most 2047 controllers",
			     (int)sel, nsid, ctrlrs != NULL ? ctrlrs->num : 1u);
		return -EINVAL;
	}
	rc = check_oacs(ctrlr, PNVME_OACS_NS_MANAGE, "ns_attach");
	if (rc != 0) {
		return rc;
	}
	if (ctrlrs == NULL) {
		own = calloc(1, sizeof(*own));
		if (own == NULL) {
			return -ENOMEM;
		}
		own->num = 1;
		own->ids[0] = ctrlr->cdata.cntlid;
		ctrlrs = own;
	}
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = PNVME_OPC_NS_ATTACHMENT;
	cmd.nsid = nsid;
	cmd.cdw10 = (uint32_t)sel;
	/* Our own list lives until the command is done: a transport may
	 * send from it later. */
	return submit_ns_changing(ctrlr, &cmd, (void *)ctrlrs, sizeof(*ctrlrs), own, cb_fn, cb_arg,
				  "ns_attach");
}

int
pnvme_ctrlr_cmd_fw_download(struct pnvme_ctrlr *ctrlr, const void *image, uint32_t len,
			    uint32_t offset, pnvme_cmd_cb cb_fn, void *cb_arg)
{
	uint32_t gran = 0, piece_max;
	struct pnvme_cmd cmd;
	int rc;

	if (ctrlr == NULL || image == NULL || cb_fn == NULL) {
		PNVME_ERRLOG("fw_download: NULL controller, image or callback");
		return -EINVAL;
	}
	if (len == 0 || len % 4 != 0 || offset % 4 != 0) {
		CTRLR_ERRLOG(ctrlr, "fw_download: %u bytes at offset %u: both must be multiples of 4 "
			     "(and the length non-zero)",
			     len, offset);
		return -EINVAL;
	}
	rc = check_oacs(ctrlr, PNVME_OACS_FIRMWARE, "fw_download");
	if (rc != 0) {
		return rc;
	}
	piece_max = ctrlr->max_xfer_size;
	if (ctrlr->cdata.fwug != 0 && ctrlr->cdata.fwug != FWUG_ANY) {
		gran = ctrlr->cdata.fwug * FWUG_UNIT;
		if (gran > ctrlr->max_xfer_size || offset % gran != 0) {
			CTRLR_ERRLOG(ctrlr, "fw_download: the update granularity is %u bytes (FWUG %u): "
				     "offset %u is not on it, or it exceeds the %u-byte transfer "
				     "limit",
				     gran, ctrlr->cdata.fwug, offset, ctrlr->max_xfer_size);
			return -EINVAL;
		}
		/* Every piece but the last a whole number of granules. */
		piece_max -= piece_max % gran;
	}
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = PNVME_OPC_FIRMWARE_IMAGE_DOWNLOAD;
	return nvme_admin_xfer_start(ctrlr, &cmd, (void *)image, len, false, NVME_ADMIN_SPLIT_FW,
				     piece_max, offset, cb_fn, cb_arg, "fw_download");
}

int
pnvme_ctrlr_cmd_fw_commit(struct pnvme_ctrlr *ctrlr, uint8_t slot,
			  enum pnvme_fw_commit_action action, bool bpid, pnvme_cmd_cb cb_fn,
			  void *cb_arg)
{
	struct pnvme_cmd cmd;
	int rc;

	if (ctrlr == NULL || cb_fn == NULL) {
		PNVME_ERRLOG("fw_commit: NULL controller or callback");
		return -EINVAL;
	}
	rc = check_oacs(ctrlr, PNVME_OACS_FIRMWARE, "fw_commit");
	if (rc != 0) {
		return rc;
	}
	if (slot > 7 || slot > FRMW_SLOTS(ctrlr->cdata.frmw) ||
	    (action > PNVME_FW_COMMIT_REPLACE_ACTIVATE_NOW &&
	     action != PNVME_FW_COMMIT_REPLACE_BOOT_PARTITION &&
	     action != PNVME_FW_COMMIT_ACTIVATE_BOOT_PARTITION)) {
		CTRLR_ERRLOG(ctrlr, "fw_commit: slot %u (the controller has %u) or action %d "
			     "(0-3, 6, 7) out of range",
			     slot, FRMW_SLOTS(ctrlr->cdata.frmw), (int)action);
		return -EINVAL;
	}
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = PNVME_OPC_FIRMWARE_COMMIT;
	cmd.cdw10 = slot | (uint32_t)action << 3 | (bpid ? 1u << 31 : 0);
	return nvme_ctrlr_submit_admin(ctrlr, &cmd, NULL, 0, cb_fn, cb_arg);
}

int
pnvme_ctrlr_cmd_self_test(struct pnvme_ctrlr *ctrlr, uint32_t nsid,
			  enum pnvme_self_test_code code, pnvme_cmd_cb cb_fn, void *cb_arg)
{
	struct pnvme_cmd cmd;
	int rc;

	if (ctrlr == NULL || cb_fn == NULL) {
		PNVME_ERRLOG("self_test: NULL controller or callback");
		return -EINVAL;
	}
	if (code != PNVME_SELF_TEST_SHORT && code != PNVME_SELF_TEST_EXTENDED &&
	    code != PNVME_SELF_TEST_VENDOR && code != PNVME_SELF_TEST_ABORT) {
		CTRLR_ERRLOG(ctrlr, "self_test: code %d is not 1, 2, 14 or 15", (int)code);
		return -EINVAL;
	}
	rc = check_oacs(ctrlr, PNVME_OACS_SELF_TEST, "self_test");
	if (rc != 0) {
		return rc;
	}
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = PNVME_OPC_DEVICE_SELF_TEST;
	cmd.nsid = nsid;
	cmd.cdw10 = (uint32_t)code;
	return nvme_ctrlr_submit_admin(ctrlr, &cmd, NULL, 0, cb_fn, cb_arg);
}

int
pnvme_ctrlr_cmd_sanitize(struct pnvme_ctrlr *ctrlr, const struct pnvme_sanitize *opts,
			 pnvme_cmd_cb cb_fn, void *cb_arg)
{
	static const uint32_t needs[] = {
		[PNVME_SANITIZE_BLOCK_ERASE] = SANICAP_BLOCK,
		[PNVME_SANITIZE_OVERWRITE] = SANICAP_OVERWRITE,
		[PNVME_SANITIZE_CRYPTO_ERASE] = SANICAP_CRYPTO,
	};
	struct pnvme_cmd cmd;

	if (ctrlr == NULL || opts == NULL || cb_fn == NULL) {
		PNVME_ERRLOG("sanitize: NULL controller, settings or callback");
		return -EINVAL;
	}
	if (opts->action < PNVME_SANITIZE_EXIT_FAILURE || opts->action > PNVME_SANITIZE_CRYPTO_ERASE ||
	    opts->owpass > 15) {
		CTRLR_ERRLOG(ctrlr, "sanitize: action %d (1-4) or %u overwrite passes (0-15) out of "
			     "range",
			     (int)opts->action, opts->owpass);
		return -EINVAL;
	}
	if (opts->action != PNVME_SANITIZE_EXIT_FAILURE &&
	    !(ctrlr->cdata.sanicap & needs[opts->action])) {
		CTRLR_ERRLOG(ctrlr, "sanitize: the controller does not offer action %d (SANICAP "
			     "0x%08x)",
			     (int)opts->action, ctrlr->cdata.sanicap);
		return -ENOTSUP;
	}
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = PNVME_OPC_SANITIZE;
	cmd.cdw10 = (uint32_t)opts->action | (opts->ause ? 1u << 3 : 0) |
		    (uint32_t)opts->owpass << 4 | (opts->oipbp ? 1u << 8 : 0) |
		    (opts->ndas ? 1u << 9 : 0);
	cmd.cdw11 = opts->ovrpat;
	return nvme_ctrlr_submit_admin(ctrlr, &cmd, NULL, 0, cb_fn, cb_arg);
}
