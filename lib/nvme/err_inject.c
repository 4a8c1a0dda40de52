/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Software error injection: chosen commands fail with a chosen status,
 * either held back from the device for a while (a stall) or sent and their
 * completion's status replaced. For testing applications' (and the
 * library's own) error handling. The I/O path looks here only while an
 * injection is set on the qpair (one pointer compare otherwise).
 */
#include <errno.h>
#include <stdlib.h>

#include "nvme/nvme_internal.h"

struct nvme_err_injection {
	struct nvme_err_injection *next;
	uint8_t opc;
	bool do_not_submit;
	uint64_t timeout_ticks;
	uint32_t left; /* commands still to affect */
	uint8_t sct;
	uint8_t sc;
};

/* The qpair an application call names: @p qpair, or the admin queue. */
static struct pnvme_qpair *
target_qpair(struct pnvme_ctrlr *ctrlr, struct pnvme_qpair *qpair, const char *what)
{
	if (ctrlr == NULL) {
		PNVME_ERRLOG("%s: NULL controller", what);
		return NULL;
	}
	if (qpair != NULL && qpair->ctrlr != ctrlr) {
		PNVME_ERRLOG("%s: qpair %u belongs to another controller", what, qpair->id);
		return NULL;
	}
	return qpair != NULL ? qpair : ctrlr->adminq;
}

static struct nvme_err_injection **
find(struct pnvme_qpair *qpair, uint8_t opc)
{
	struct nvme_err_injection **p = &qpair->err_injections;

	while (*p != NULL && (*p)->opc != opc) {
		p = &(*p)->next;
	}
	return p;
}

int
pnvme_qpair_add_cmd_error_injection(struct pnvme_ctrlr *ctrlr, struct pnvme_qpair *qpair,
				    uint8_t opc, bool do_not_submit, uint64_t timeout_us,
				    uint32_t err_count, uint8_t sct, uint8_t sc)
{
	struct pnvme_qpair *q = target_qpair(ctrlr, qpair, "add_cmd_error_injection");
	struct nvme_err_injection **p, *inj;

	if (q == NULL) {
		return -EINVAL;
	}
	if (err_count == 0) {
		PNVME_ERRLOG("add_cmd_error_injection: qpair %u: an error count of 0 injects nothing",
			     q->id);
		return -EINVAL;
	}
	p = find(q, opc);
	inj = *p;
	if (inj == NULL) {
		inj = calloc(1, sizeof(*inj));
		if (inj == NULL) {
			PNVME_ERRLOG("add_cmd_error_injection: out of memory");
			return -ENOMEM;
		}
		inj->opc = opc;
		*p = inj;
		nvme_qpair_update_submit_hooks(q);
	}
	inj->do_not_submit = do_not_submit;
	/* In two parts, so a timeout of years does not overflow. */
	inj->timeout_ticks = timeout_us / 1000000u * pnvme_get_ticks_hz() +
			     timeout_us % 1000000u * pnvme_get_ticks_hz() / 1000000u;
	inj->left = err_count;
	inj->sct = sct;
	inj->sc = sc;
	return 0;
}

static void
remove_at(struct pnvme_qpair *qpair, struct nvme_err_injection **p)
{
	struct nvme_err_injection *inj = *p;

	*p = inj->next;
	free(inj);
	nvme_qpair_update_submit_hooks(qpair);
}

void
pnvme_qpair_remove_cmd_error_injection(struct pnvme_ctrlr *ctrlr, struct pnvme_qpair *qpair,
				       uint8_t opc)
{
	struct pnvme_qpair *q = target_qpair(ctrlr, qpair, "remove_cmd_error_injection");
	struct nvme_err_injection **p;

	if (q == NULL) {
		return;
	}
	p = find(q, opc);
	if (*p != NULL) {
		remove_at(q, p);
	}
}

bool
nvme_err_inject_submit(struct pnvme_qpair *qpair, struct nvme_request *req)
{
	struct nvme_err_injection **p = find(qpair, req->cmd.opc);
	struct nvme_err_injection *inj = *p;
	bool held;

	if (inj == NULL) {
		return false;
	}
	req->completion_hooks |= NVME_REQ_STATUS_INJECTED;
	req->injected_sct = inj->sct;
	req->injected_sc = inj->sc;
	held = inj->do_not_submit;
	if (held) {
		req->cmd.cid = PNVME_CID_NOT_SUBMITTED; /* what a timeout reports */
		req->held_until = pnvme_get_ticks() + inj->timeout_ticks;
		STAILQ_INSERT_TAIL(&qpair->held_reqs, req, link);
	}
	if (--inj->left == 0) {
		remove_at(qpair, p);
	}
	return held;
}

/* The first held request that is due (any, when @p fail). */
static struct nvme_request *
first_due(struct pnvme_qpair *qpair, bool fail, uint64_t now)
{
	struct nvme_request *req;

	STAILQ_FOREACH(req, &qpair->held_reqs, link) {
		if (fail || req->held_until <= now) {
			return req;
		}
	}
	return NULL;
}

void
nvme_err_inject_complete_held(struct pnvme_qpair *qpair, bool fail)
{
	struct nvme_request *req;
	uint64_t now = pnvme_get_ticks();

	/* Few, and only while an application injects: look again from the
	 * start after each callback, which may have changed the list. */
	while ((req = first_due(qpair, fail, now)) != NULL) {
		STAILQ_REMOVE(&qpair->held_reqs, req, nvme_request, link);
		if (fail) {
			req->completion_hooks &= (uint8_t)~NVME_REQ_STATUS_INJECTED;
			nvme_qpair_complete_request_status(qpair, req, PNVME_SCT_GENERIC,
							   PNVME_SC_ABORTED_SQ_DELETION);
		} else {
			nvme_qpair_complete_request_status(qpair, req, req->injected_sct,
							   req->injected_sc);
		}
	}
}

void
nvme_err_inject_clear(struct pnvme_qpair *qpair)
{
	while (qpair->err_injections != NULL) {
		remove_at(qpair, &qpair->err_injections);
	}
}
