/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Transport-independent queue pair logic: the request pool, in-order
 * queueing when the submission queue is full, completion and failure.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nvme/nvme_internal.h"

int
nvme_qpair_init(struct pnvme_qpair *qpair, struct pnvme_ctrlr *ctrlr, uint16_t id,
		uint32_t num_reqs)
{
	uint32_t i;

	qpair->ctrlr = ctrlr;
	qpair->ops = ctrlr->ops;
	qpair->id = id;
	qpair->failed = false;
	qpair->num_outstanding = 0;
	qpair->fused_first = NULL;
	qpair->err_injections = NULL;
	qpair->timeout_ticks = 0;
	qpair->submit_hooks = false;
	STAILQ_INIT(&qpair->free_reqs);
	STAILQ_INIT(&qpair->queued_reqs);
	STAILQ_INIT(&qpair->held_reqs);
	TAILQ_INIT(&qpair->timed_reqs);
	qpair->reqs = calloc(num_reqs, sizeof(*qpair->reqs));
	if (qpair->reqs == NULL) {
		PNVME_ERRLOG("qpair %u: cannot allocate %u requests", id, num_reqs);
		return -ENOMEM;
	}
	qpair->num_reqs = num_reqs;
	qpair->num_free_reqs = num_reqs;
	for (i = 0; i < num_reqs; i++) {
		qpair->reqs[i].qpair = qpair;
		STAILQ_INSERT_TAIL(&qpair->free_reqs, &qpair->reqs[i], link);
	}
	return 0;
}

void
nvme_qpair_fini(struct pnvme_qpair *qpair)
{
	nvme_err_inject_clear(qpair);
	free(qpair->reqs);
	qpair->reqs = NULL;
	qpair->num_reqs = 0;
	STAILQ_INIT(&qpair->free_reqs);
	STAILQ_INIT(&qpair->queued_reqs);
}

void
nvme_qpair_complete_request(struct pnvme_qpair *qpair, struct nvme_request *req,
			    const struct pnvme_cpl *cpl)
{
	struct pnvme_cpl injected;

	qpair->num_outstanding--;
	if (pnvme_unlikely(req->completion_hooks != 0)) {
		if (req->completion_hooks & NVME_REQ_TIMEOUT_TRACKED) {
			nvme_timeout_untrack(qpair, req);
		}
		if (req->completion_hooks & NVME_REQ_STATUS_INJECTED) {
			injected = *cpl;
			injected.status.sct = req->injected_sct & 0x7;
			injected.status.sc = req->injected_sc;
			injected.status.dnr = 0;
			cpl = &injected;
		}
	}
	if (req->cb_fn != NULL) {
		req->cb_fn(req->cb_arg, cpl);
	}
	nvme_qpair_free_request(qpair, req);
}

void
nvme_qpair_complete_request_status(struct pnvme_qpair *qpair, struct nvme_request *req,
				   uint8_t sct, uint8_t sc)
{
	struct pnvme_cpl cpl;

	memset(&cpl, 0, sizeof(cpl));
	cpl.sqid = qpair->id;
	cpl.cid = req->cmd.cid;
	cpl.status.sct = sct & 0x7;
	cpl.status.sc = sc;
	cpl.status.dnr = 1;
	nvme_qpair_complete_request(qpair, req, &cpl);
}

/* Fused pairs: hold the FIRST until the SECOND arrives, then send both
 * back to back so they occupy adjacent slots under one doorbell. */
static int
fused_check(struct pnvme_qpair *qpair, struct nvme_request *req)
{
	if (req->cmd.fuse > PNVME_FUSE_SECOND) {
		PNVME_ERRLOG("qpair %u: fused operation value %u is reserved", qpair->id,
			     req->cmd.fuse);
		return -EINVAL;
	}
	if (req->cmd.fuse == PNVME_FUSE_FIRST) {
		if (qpair->fused_first != NULL) {
			PNVME_ERRLOG("qpair %u: a fused FIRST is already waiting for its SECOND",
				     qpair->id);
			return -EINVAL;
		}
		return 0;
	}
	if (req->cmd.fuse == PNVME_FUSE_SECOND && qpair->fused_first == NULL) {
		PNVME_ERRLOG("qpair %u: fused SECOND without a FIRST before it", qpair->id);
		return -EINVAL;
	}
	if (req->cmd.fuse == PNVME_FUSE_NONE && qpair->fused_first != NULL) {
		PNVME_ERRLOG("qpair %u: a fused FIRST must be followed by its SECOND, not opcode "
			     "0x%02x",
			     qpair->id, req->cmd.opc);
		return -EINVAL;
	}
	return 0;
}

static PNVME_ALWAYS_INLINE int
submit_one(struct pnvme_qpair *qpair, struct nvme_request *req)
{
	int rc;

	if (pnvme_unlikely(qpair->submit_hooks)) {
		if (qpair->timeout_ticks != 0) {
			nvme_timeout_track(qpair, req);
		}
		if (qpair->err_injections != NULL && nvme_err_inject_submit(qpair, req)) {
			return 0;
		}
	}
	/* Keep submission order: nothing overtakes a queued request. */
	if (!STAILQ_EMPTY(&qpair->queued_reqs)) {
		STAILQ_INSERT_TAIL(&qpair->queued_reqs, req, link);
		return 0;
	}
	rc = qpair->ops->qpair_submit_request(qpair, req);
	if (pnvme_likely(rc == 0)) {
		return 0;
	}
	if (rc == -EAGAIN) {
		STAILQ_INSERT_TAIL(&qpair->queued_reqs, req, link);
		return 0;
	}
	if (req->completion_hooks & NVME_REQ_TIMEOUT_TRACKED) {
		nvme_timeout_untrack(qpair, req); /* refused: the caller frees it */
	}
	return rc;
}

int
nvme_qpair_submit_request(struct pnvme_qpair *qpair, struct nvme_request *req)
{
	struct nvme_request *first;
	int rc;

	if (pnvme_unlikely(qpair->failed)) {
		nvme_qpair_free_request(qpair, req);
		return -ENXIO;
	}
	if (pnvme_unlikely(req->cmd.fuse != PNVME_FUSE_NONE || qpair->fused_first != NULL)) {
		rc = fused_check(qpair, req);
		if (rc != 0) {
			nvme_qpair_free_request(qpair, req);
			return rc;
		}
		if (req->cmd.fuse == PNVME_FUSE_FIRST) {
			qpair->fused_first = req;
			qpair->num_outstanding++;
			return 0;
		}
		/* The SECOND: the pair goes out together. */
		first = qpair->fused_first;
		qpair->fused_first = NULL;
		qpair->num_outstanding++;
		rc = submit_one(qpair, first);
		if (rc != 0) {
			/* Neither was sent: both complete with the error. */
			nvme_qpair_complete_request_status(qpair, first, PNVME_SCT_GENERIC,
							   PNVME_SC_ABORTED_MISSING_FUSED);
			nvme_qpair_complete_request_status(qpair, req, PNVME_SCT_GENERIC,
							   PNVME_SC_ABORTED_MISSING_FUSED);
			return 0;
		}
		if (submit_one(qpair, req) != 0) {
			/* The FIRST is in the device's hands and completes from
			 * there (aborted, missing its SECOND); only the SECOND
			 * completes here. */
			nvme_qpair_complete_request_status(qpair, req, PNVME_SCT_GENERIC,
							   PNVME_SC_ABORTED_MISSING_FUSED);
		}
		return 0;
	}
	qpair->num_outstanding++;
	rc = submit_one(qpair, req);
	if (pnvme_unlikely(rc != 0)) {
		qpair->num_outstanding--;
		nvme_qpair_free_request(qpair, req);
	}
	return rc;
}

void
nvme_qpair_resubmit_queued(struct pnvme_qpair *qpair)
{
	struct nvme_request *req;
	int rc;

	while ((req = STAILQ_FIRST(&qpair->queued_reqs)) != NULL && !qpair->failed) {
		rc = qpair->ops->qpair_submit_request(qpair, req);
		if (rc == -EAGAIN) {
			return;
		}
		STAILQ_REMOVE_HEAD(&qpair->queued_reqs, link);
		if (rc != 0) {
			nvme_qpair_complete_request_status(qpair, req, PNVME_SCT_GENERIC,
							   PNVME_SC_INTERNAL_DEVICE_ERROR);
		}
	}
}

int32_t
nvme_qpair_process_completions(struct pnvme_qpair *qpair, uint32_t max)
{
	int32_t n;

	if (pnvme_unlikely(qpair->failed)) {
		return -ENXIO;
	}
	n = qpair->ops->qpair_process_completions(qpair, max);
	if (pnvme_unlikely(!STAILQ_EMPTY(&qpair->queued_reqs))) {
		nvme_qpair_resubmit_queued(qpair);
	}
	if (pnvme_unlikely(!STAILQ_EMPTY(&qpair->held_reqs)) && n >= 0) {
		nvme_err_inject_complete_held(qpair, false);
	}
	if (pnvme_unlikely(!TAILQ_EMPTY(&qpair->timed_reqs)) && n >= 0) {
		nvme_timeout_check(qpair);
	}
	return n;
}

void
nvme_qpair_fail(struct pnvme_qpair *qpair)
{
	struct nvme_request *req;

	if (qpair->failed) {
		return;
	}
	qpair->failed = true;
	/* Requests in the device's hands first, then those never sent. */
	qpair->ops->qpair_abort_reqs(qpair);
	if (qpair->fused_first != NULL) {
		req = qpair->fused_first;
		qpair->fused_first = NULL;
		nvme_qpair_complete_request_status(qpair, req, PNVME_SCT_GENERIC,
						   PNVME_SC_ABORTED_SQ_DELETION);
	}
	while ((req = STAILQ_FIRST(&qpair->queued_reqs)) != NULL) {
		STAILQ_REMOVE_HEAD(&qpair->queued_reqs, link);
		nvme_qpair_complete_request_status(qpair, req, PNVME_SCT_GENERIC,
						   PNVME_SC_ABORTED_SQ_DELETION);
	}
	nvme_err_inject_complete_held(qpair, true);
}

void
nvme_sync_cmd_done(void *arg, const struct pnvme_cpl *cpl)
{
	struct nvme_sync_cmd *sc = arg;

	sc->cpl = *cpl;
	sc->done = true;
}

int
nvme_qpair_wait_sync(struct pnvme_qpair *qpair, struct nvme_sync_cmd *sc, uint32_t timeout_ms,
		     const char *what)
{
	uint64_t deadline = pnvme_get_ticks() + nvme_ms_to_ticks(timeout_ms);
	char why[128];

	while (!sc->done) {
		if (nvme_qpair_process_completions(qpair, 0) < 0 && !sc->done) {
			return -ENXIO;
		}
		if (!sc->done && pnvme_get_ticks() > deadline) {
			snprintf(why, sizeof(why), "%s got no answer in %u ms", what, timeout_ms);
			if (qpair->id == 0) {
				nvme_ctrlr_fail(qpair->ctrlr, why);
			} else {
				PNVME_ERRLOG("%s: qpair %u: %s", qpair->ctrlr->trid.traddr, qpair->id,
					     why);
			}
			nvme_qpair_fail(qpair);
			return -ETIMEDOUT;
		}
	}
	return 0;
}
