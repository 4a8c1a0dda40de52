/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Abort command: at most ACL+1 with the controller at once (Identify
 * Controller ACL, 0-based), the rest waiting in order; every Abort
 * completes exactly once, also when the controller fails first.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nvme/nvme_internal.h"

struct nvme_abort {
	struct pnvme_ctrlr *ctrlr;
	struct pnvme_cmd cmd;
	pnvme_cmd_cb cb_fn;
	void *cb_arg;
	STAILQ_ENTRY(nvme_abort) link;
};

static void abort_done(void *arg, const struct pnvme_cpl *cpl);

/* Hand waiting Aborts to the controller while the limit allows. */
static void
send_queued(struct pnvme_ctrlr *ctrlr)
{
	struct nvme_abort *a;
	struct pnvme_cpl cpl;

	while ((a = STAILQ_FIRST(&ctrlr->queued_aborts)) != NULL &&
	       ctrlr->aborts_outstanding < ctrlr->cdata.acl + 1u) {
		STAILQ_REMOVE_HEAD(&ctrlr->queued_aborts, link);
		ctrlr->aborts_outstanding++;
		if (nvme_ctrlr_submit_admin(ctrlr, &a->cmd, NULL, 0, abort_done, a) != 0) {
			/* The admin queue is gone or full: this one ends here. */
			memset(&cpl, 0, sizeof(cpl));
			cpl.status.sct = PNVME_SCT_GENERIC;
			cpl.status.sc = PNVME_SC_ABORTED_SQ_DELETION;
			cpl.status.dnr = 1;
			abort_done(a, &cpl);
		}
	}
}

static void
abort_done(void *arg, const struct pnvme_cpl *cpl)
{
	struct nvme_abort *a = arg;
	struct pnvme_ctrlr *ctrlr = a->ctrlr;

	ctrlr->aborts_outstanding--;
	if (a->cb_fn != NULL) {
		a->cb_fn(a->cb_arg, cpl);
	}
	free(a);
	if (!nvme_ctrlr_is_failed(ctrlr)) {
		send_queued(ctrlr);
	}
}

int
pnvme_ctrlr_cmd_abort(struct pnvme_ctrlr *ctrlr, struct pnvme_qpair *qpair, uint16_t cid,
		      pnvme_cmd_cb cb_fn, void *cb_arg)
{
	struct nvme_abort *a;

	if (ctrlr == NULL) {
		PNVME_ERRLOG("cmd_abort: NULL controller");
		return -EINVAL;
	}
	if (qpair != NULL && qpair->ctrlr != ctrlr) {
		PNVME_ERRLOG("%s: cmd_abort: qpair %u belongs to another controller",
			     ctrlr->trid.traddr, qpair->id);
		return -EINVAL;
	}
	if (cid == PNVME_CID_NOT_SUBMITTED) {
		PNVME_ERRLOG("%s: cmd_abort: the command is not with the device (held back by "
			     "error injection); it completes as injected",
			     ctrlr->trid.traddr);
		return -EINVAL;
	}
	if (nvme_ctrlr_is_failed(ctrlr)) {
		return -ENXIO;
	}
	a = calloc(1, sizeof(*a));
	if (a == NULL) {
		PNVME_ERRLOG("%s: cmd_abort: out of memory", ctrlr->trid.traddr);
		return -ENOMEM;
	}
	a->ctrlr = ctrlr;
	a->cb_fn = cb_fn;
	a->cb_arg = cb_arg;
	a->cmd.opc = PNVME_OPC_ABORT;
	a->cmd.cdw10 = (uint32_t)(qpair != NULL ? qpair->id : 0) | (uint32_t)cid << 16;
	pthread_mutex_lock(&ctrlr->lock);
	STAILQ_INSERT_TAIL(&ctrlr->queued_aborts, a, link);
	send_queued(ctrlr);
	pthread_mutex_unlock(&ctrlr->lock);
	return 0;
}

void
nvme_abort_fail_queued(struct pnvme_ctrlr *ctrlr)
{
	struct nvme_abort *a;
	struct pnvme_cpl cpl;

	memset(&cpl, 0, sizeof(cpl));
	cpl.status.sct = PNVME_SCT_GENERIC;
	cpl.status.sc = PNVME_SC_ABORTED_SQ_DELETION;
	cpl.status.dnr = 1;
	while ((a = STAILQ_FIRST(&ctrlr->queued_aborts)) != NULL) {
		STAILQ_REMOVE_HEAD(&ctrlr->queued_aborts, link);
		ctrlr->aborts_outstanding++; /* abort_done counts it back */
		abort_done(a, &cpl);
	}
}
