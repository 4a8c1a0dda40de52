/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Command timeouts: while a controller has a timeout callback, each queue
 * records its commands in submission order with their submit tick, and its
 * poll reports the late ones, oldest first, stopping at the first that is
 * not late. Without a timeout nothing is recorded (one compare per submit).
 */
#include <errno.h>

#include "nvme/nvme_internal.h"

static uint64_t
us_to_ticks(uint64_t us)
{
	/* In two parts, so a timeout of years does not overflow. */
	return us / 1000000u * pnvme_get_ticks_hz() + us % 1000000u * pnvme_get_ticks_hz() / 1000000u;
}

int
pnvme_ctrlr_register_timeout_callback(struct pnvme_ctrlr *ctrlr, uint64_t io_timeout_us,
				      uint64_t admin_timeout_us, pnvme_timeout_cb cb_fn,
				      void *cb_arg)
{
	struct pnvme_qpair *qpair;

	if (ctrlr == NULL) {
		PNVME_ERRLOG("register_timeout_callback: NULL controller");
		return -EINVAL;
	}
	pthread_mutex_lock(&ctrlr->lock);
	ctrlr->timeout_cb = cb_fn;
	ctrlr->timeout_cb_arg = cb_arg;
	ctrlr->io_timeout_ticks = us_to_ticks(io_timeout_us);
	if (ctrlr->adminq != NULL) {
		ctrlr->adminq->timeout_ticks = us_to_ticks(admin_timeout_us);
		nvme_qpair_update_submit_hooks(ctrlr->adminq);
	}
	TAILQ_FOREACH(qpair, &ctrlr->io_qpairs, ctrlr_link) {
		qpair->timeout_ticks = ctrlr->io_timeout_ticks;
		nvme_qpair_update_submit_hooks(qpair);
	}
	pthread_mutex_unlock(&ctrlr->lock);
	return 0;
}

void
nvme_timeout_track(struct pnvme_qpair *qpair, struct nvme_request *req)
{
	/* Commands meant to wait as long as the controller likes. */
	if (qpair->id == 0 && (req->cmd.opc == PNVME_OPC_KEEP_ALIVE ||
			       req->cmd.opc == PNVME_OPC_ASYNC_EVENT_REQUEST)) {
		return;
	}
	req->submit_tick = pnvme_get_ticks();
	req->timeout_reported = false;
	req->completion_hooks |= NVME_REQ_TIMEOUT_TRACKED;
	TAILQ_INSERT_TAIL(&qpair->timed_reqs, req, timeout_link);
}

void
nvme_timeout_untrack(struct pnvme_qpair *qpair, struct nvme_request *req)
{
	TAILQ_REMOVE(&qpair->timed_reqs, req, timeout_link);
	req->completion_hooks &= (uint8_t)~NVME_REQ_TIMEOUT_TRACKED;
}

/* The oldest late command not yet reported, or NULL. */
static struct nvme_request *
first_late(struct pnvme_qpair *qpair, uint64_t now)
{
	struct nvme_request *req;

	TAILQ_FOREACH(req, &qpair->timed_reqs, timeout_link) {
		if (now - req->submit_tick < qpair->timeout_ticks) {
			return NULL; /* submission order: the rest are younger */
		}
		if (!req->timeout_reported) {
			return req;
		}
	}
	return NULL;
}

/* An Abort sent by the timeout action: escalate unless it took. */
static void
abort_escalate(void *arg, const struct pnvme_cpl *cpl)
{
	struct pnvme_ctrlr *ctrlr = arg;

	if (pnvme_cpl_is_error(cpl)) {
		nvme_ctrlr_request_reset(ctrlr, "an Abort for a late command failed");
	} else if (cpl->cdw0 & 1) {
		nvme_ctrlr_request_reset(ctrlr, "the controller did not abort a late command");
	}
}

static void
timeout_act(struct pnvme_qpair *qpair, uint16_t cid)
{
	struct pnvme_ctrlr *ctrlr = qpair->ctrlr;

	switch (ctrlr->timeout_action) {
	case PNVME_TIMEOUT_ACTION_ABORT:
		if (qpair->id != 0 && cid != PNVME_CID_NOT_SUBMITTED &&
		    pnvme_ctrlr_cmd_abort(ctrlr, qpair, cid, abort_escalate, ctrlr) == 0) {
			return;
		}
		nvme_ctrlr_request_reset(ctrlr, qpair->id == 0 ? "an admin command timed out"
							       : "a late command cannot be aborted");
		return;
	case PNVME_TIMEOUT_ACTION_RESET:
		nvme_ctrlr_request_reset(ctrlr, "a command timed out");
		return;
	default:
		return;
	}
}

void
nvme_timeout_check(struct pnvme_qpair *qpair)
{
	struct pnvme_ctrlr *ctrlr = qpair->ctrlr;
	uint64_t now = pnvme_get_ticks();
	struct nvme_request *req;

	if (qpair->timeout_ticks == 0) {
		return;
	}
	/* From the start again after each callback: it may complete or
	 * abort commands, changing the list. */
	while ((req = first_late(qpair, now)) != NULL) {
		req->timeout_reported = true;
		PNVME_WARNLOG("%s: qpair %u: command ID %u (opcode 0x%02x) outstanding for more "
			      "than %llu us",
			      ctrlr->trid.traddr, qpair->id, req->cmd.cid, req->cmd.opc,
			      (unsigned long long)((__uint128_t)qpair->timeout_ticks * 1000000u /
						   pnvme_get_ticks_hz()));
		if (ctrlr->timeout_cb != NULL) {
			ctrlr->timeout_cb(ctrlr->timeout_cb_arg, ctrlr, qpair->id == 0 ? NULL : qpair,
					  req->cmd.cid);
		}
		timeout_act(qpair, req->cmd.cid);
	}
}

int
pnvme_ctrlr_set_timeout_action(struct pnvme_ctrlr *ctrlr, enum pnvme_timeout_action action)
{
	if (ctrlr == NULL || (unsigned)action > PNVME_TIMEOUT_ACTION_RESET) {
		PNVME_ERRLOG("set_timeout_action: %s",
			     ctrlr == NULL ? "NULL controller" : "unknown action");
		return -EINVAL;
	}
	ctrlr->timeout_action = action;
	return 0;
}
