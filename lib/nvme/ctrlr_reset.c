/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Controller reset in place: the handles (controller, namespaces, qpairs)
 * stay valid. The reset stops the device (CC.EN=0, or the admin connection
 * closed), completes what it held once with an abort status, and runs the
 * bring-up table again. I/O qpairs follow in their own threads: see
 * nvme_qpair_follow_ctrlr.
 */
#include <errno.h>

#include "nvme/fabrics.h"

void
nvme_ctrlr_reset_quiesced(struct pnvme_ctrlr *ctrlr)
{
	struct pnvme_qpair *adminq = ctrlr->adminq;

	if (ctrlr->reset_quiesced) {
		return;
	}
	ctrlr->reset_quiesced = true;
	/* The device holds nothing now: its admin requests complete, once. */
	if (!adminq->failed) {
		nvme_qpair_fail(adminq);
	}
	/* PCIe reuses the admin rings (reset when enabled again); a fabrics
	 * admin queue comes back with its new connection. */
	adminq->failed = adminq->ops->fabric_qops != NULL;
	ctrlr->keep_alive_outstanding = false;
	ctrlr->next_keep_alive = 0;
	__atomic_add_fetch(&ctrlr->generation, 1, __ATOMIC_RELEASE);
	nvme_ctrlr_bump_epoch(ctrlr);
}

int
pnvme_ctrlr_disconnect(struct pnvme_ctrlr *ctrlr)
{
	enum nvme_ctrlr_state state;

	if (ctrlr == NULL) {
		PNVME_ERRLOG("ctrlr_disconnect: NULL controller");
		return -EINVAL;
	}
	pthread_mutex_lock(&ctrlr->lock);
	state = ctrlr->state;
	if (state != NVME_CTRLR_LIVE && state != NVME_CTRLR_FAILED) {
		pthread_mutex_unlock(&ctrlr->lock);
		PNVME_ERRLOG("%s: reset refused: the controller is %s", ctrlr->trid.traddr,
			     nvme_ctrlr_state_name(state));
		return state == NVME_CTRLR_REMOVED ? -ENXIO : -EBUSY;
	}
	PNVME_NOTICELOG("%s: resetting the controller (%s)", ctrlr->trid.traddr,
			nvme_ctrlr_state_name(state));
	nvme_ctrlr_set_state(ctrlr, NVME_CTRLR_RESETTING);
	ctrlr->reset_quiesced = false;
	/* Aborts waiting for the ACL limit would name commands of the old
	 * association: they end now. */
	nvme_abort_fail_queued(ctrlr);
	if (ctrlr->ops->fabric_qops != NULL) {
		/* Closing the admin connection ends the association: the
		 * target drops its I/O queues and nothing more arrives. */
		ctrlr->ops->fabric_qops->close(ctrlr->adminq);
		nvme_ctrlr_reset_quiesced(ctrlr);
	}
	/* PCIe: the table's DISABLE step stops the device; its ENABLE step
	 * calls nvme_ctrlr_reset_quiesced once CSTS.RDY reads 0. A live one
	 * has its I/O queues deleted first. */
	nvme_ctrlr_init_start(ctrlr);
	if (ctrlr->ops->fabric_qops == NULL && state == NVME_CTRLR_LIVE) {
		nvme_ctrlr_init_delete_io_queues(ctrlr);
	}
	pthread_mutex_unlock(&ctrlr->lock);
	return 0;
}

int
pnvme_ctrlr_reconnect_poll_async(struct pnvme_ctrlr *ctrlr)
{
	int rc;

	if (ctrlr == NULL) {
		PNVME_ERRLOG("ctrlr_reconnect_poll_async: NULL controller");
		return -EINVAL;
	}
	pthread_mutex_lock(&ctrlr->lock);
	switch (ctrlr->state) {
	case NVME_CTRLR_RESETTING:
		rc = nvme_ctrlr_init_poll(ctrlr);
		if (rc == 1) {
			PNVME_NOTICELOG("%s: reset done", ctrlr->trid.traddr);
		}
		rc = rc == 0 ? -EAGAIN : rc == 1 ? 0 : -ENXIO;
		break;
	case NVME_CTRLR_LIVE:
		rc = 0;
		break;
	case NVME_CTRLR_CONNECTING:
		rc = -EAGAIN;
		break;
	default:
		rc = -ENXIO;
		break;
	}
	pthread_mutex_unlock(&ctrlr->lock);
	return rc;
}

int
pnvme_ctrlr_reset(struct pnvme_ctrlr *ctrlr)
{
	int rc = pnvme_ctrlr_disconnect(ctrlr);

	if (rc != 0) {
		return rc;
	}
	/* Bring-up steps wait on the device with their own deadlines. */
	do {
		rc = pnvme_ctrlr_reconnect_poll_async(ctrlr);
	} while (rc == -EAGAIN);
	return rc;
}

void
nvme_ctrlr_request_reset(struct pnvme_ctrlr *ctrlr, const char *why)
{
	if (__atomic_exchange_n(&ctrlr->reset_requested, true, __ATOMIC_ACQ_REL)) {
		return; /* asked for already */
	}
	PNVME_WARNLOG("%s: %s: resetting the controller", ctrlr->trid.traddr, why);
}
