/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * PCIe queue pairs: submission and completion rings in DMA memory, command
 * trackers, PRP building and doorbells. Polled: no interrupts.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nvme/pcie_internal.h"

int
pcie_qpair_construct(struct pcie_qpair *pq, struct pnvme_ctrlr *ctrlr, uint16_t qid,
		     uint16_t num_entries, uint32_t num_reqs)
{
	struct pcie_ctrlr *pctrlr = pcie_ctrlr(ctrlr);
	uint64_t tracker_iova;
	uint16_t i;
	int rc;

	if (num_entries < 2) {
		PNVME_ERRLOG("qpair %u: %u entries is below the minimum of 2", qid, num_entries);
		return -EINVAL;
	}
	rc = nvme_qpair_init(&pq->qpair, ctrlr, qid, num_reqs);
	if (rc != 0) {
		return rc;
	}
	pq->num_entries = num_entries;
	pq->num_trackers = num_entries - 1;
	pq->page_size = 4096;
	pq->sq = pnvme_dma_zmalloc(num_entries * sizeof(*pq->sq), 4096, &pq->sq_iova);
	pq->cq = pnvme_dma_zmalloc(num_entries * sizeof(*pq->cq), 4096, &pq->cq_iova);
	pq->trackers = pnvme_dma_zmalloc(pq->num_trackers * sizeof(*pq->trackers), 4096,
					 &tracker_iova);
	pq->free_cids = calloc(pq->num_trackers, sizeof(*pq->free_cids));
	if (pq->sq == NULL || pq->cq == NULL || pq->trackers == NULL || pq->free_cids == NULL) {
		PNVME_ERRLOG("qpair %u: cannot allocate rings for %u entries", qid, num_entries);
		pcie_qpair_destruct(pq);
		return -ENOMEM;
	}
	for (i = 0; i < pq->num_trackers; i++) {
		struct pcie_tracker *tr = &pq->trackers[i];

		tr->cid = i;
		tr->prp_list_iova = pnvme_vtophys(tr->prp_list, NULL);
		if (tr->prp_list_iova == PNVME_VTOPHYS_ERROR) {
			PNVME_ERRLOG("qpair %u: tracker memory has no IOVA", qid);
			pcie_qpair_destruct(pq);
			return -EFAULT;
		}
	}
	if (pctrlr->regs != NULL) {
		pq->sq_tdbl = (volatile uint32_t *)(pctrlr->regs + PNVME_REG_DOORBELL_BASE +
						     (2u * qid) * pctrlr->doorbell_stride);
		pq->cq_hdbl = (volatile uint32_t *)(pctrlr->regs + PNVME_REG_DOORBELL_BASE +
						     (2u * qid + 1) * pctrlr->doorbell_stride);
	}
	pcie_qpair_reset(pq);
	return 0;
}

void
pcie_qpair_destruct(struct pcie_qpair *pq)
{
	pnvme_dma_free(pq->sq);
	pnvme_dma_free(pq->cq);
	pnvme_dma_free(pq->trackers);
	free(pq->free_cids);
	pq->sq = NULL;
	pq->cq = NULL;
	pq->trackers = NULL;
	pq->free_cids = NULL;
	nvme_qpair_fini(&pq->qpair);
}

void
pcie_qpair_reset(struct pcie_qpair *pq)
{
	uint16_t i;

	pq->sq_tail = 0;
	pq->cq_head = 0;
	pq->sq_head = 0;
	/* The controller posts its first pass with phase 1 over zeroed entries. */
	pq->phase = 1;
	memset(pq->sq, 0, pq->num_entries * sizeof(*pq->sq));
	memset(pq->cq, 0, pq->num_entries * sizeof(*pq->cq));
	pq->num_free = 0;
	for (i = pq->num_trackers; i > 0; i--) {
		pq->trackers[i - 1].req = NULL;
		pq->free_cids[pq->num_free++] = i - 1;
	}
}

int
pcie_build_prps(struct pcie_tracker *tr, struct pnvme_cmd *cmd, void *buf, uint32_t len,
		uint32_t page_size)
{
	uintptr_t va = (uintptr_t)buf;
	uint64_t iova, first;
	uint32_t remaining, step, nprps = 0;

	cmd->psdt = PNVME_PSDT_PRP;
	cmd->dptr.prp.prp1 = 0;
	cmd->dptr.prp.prp2 = 0;
	if (len == 0) {
		return 0;
	}
	iova = pnvme_vtophys(buf, NULL);
	if (iova == PNVME_VTOPHYS_ERROR) {
		PNVME_ERRLOG("PRP: buffer %p is not DMA-able memory", buf);
		return -EINVAL;
	}
	if (iova & 3) {
		PNVME_ERRLOG("PRP: buffer %p is not dword-aligned", buf);
		return -EINVAL;
	}
	cmd->dptr.prp.prp1 = iova;
	first = page_size - (iova & (page_size - 1));
	if (len <= first) {
		return 0;
	}
	remaining = len - (uint32_t)first;
	va += first;
	while (remaining > 0) {
		iova = pnvme_vtophys((void *)va, NULL);
		if (iova == PNVME_VTOPHYS_ERROR) {
			PNVME_ERRLOG("PRP: buffer %p is not DMA-able at offset %zu", buf,
				     (size_t)(va - (uintptr_t)buf));
			return -EINVAL;
		}
		if (iova & (page_size - 1)) {
			PNVME_ERRLOG("PRP: page at offset %zu of %p is not page-aligned in IOVA "
				     "space",
				     (size_t)(va - (uintptr_t)buf), buf);
			return -EINVAL;
		}
		if (nprps == PCIE_PRP_LIST_ENTRIES) {
			PNVME_ERRLOG("PRP: %u bytes need more than %u list entries", len,
				     PCIE_PRP_LIST_ENTRIES);
			return -EINVAL;
		}
		tr->prp_list[nprps++] = iova;
		step = PNVME_MIN(remaining, page_size);
		remaining -= step;
		va += step;
	}
	/* Two pages: PRP2 is the second page itself; more: PRP2 is the list. */
	cmd->dptr.prp.prp2 = nprps == 1 ? tr->prp_list[0] : tr->prp_list_iova;
	return 0;
}

int
pcie_qpair_submit_request(struct pnvme_qpair *qpair, struct nvme_request *req)
{
	struct pcie_qpair *pq = pcie_qpair(qpair);
	struct pcie_tracker *tr;
	int rc;

	if (pnvme_unlikely(pq->num_free == 0)) {
		return -EAGAIN;
	}
	tr = &pq->trackers[pq->free_cids[pq->num_free - 1]];
	req->cmd.cid = tr->cid;
	rc = pcie_build_prps(tr, &req->cmd, req->payload, req->payload_size, pq->page_size);
	if (pnvme_unlikely(rc != 0)) {
		return rc;
	}
	pq->num_free--;
	tr->req = req;
	pq->sq[pq->sq_tail] = req->cmd;
	if (++pq->sq_tail == pq->num_entries) {
		pq->sq_tail = 0;
	}
	/* The entry must be visible before the doorbell tells the device. */
	pnvme_wmb();
	*pq->sq_tdbl = pq->sq_tail;
	return 0;
}

int32_t
pcie_qpair_process_completions(struct pnvme_qpair *qpair, uint32_t max)
{
	struct pcie_qpair *pq = pcie_qpair(qpair);
	struct pcie_tracker *tr;
	struct nvme_request *req;
	struct pnvme_cpl cpl;
	uint32_t consumed = 0;
	int32_t done = 0;

	if (max == 0 || max > pq->num_trackers) {
		max = pq->num_trackers;
	}
	while (consumed < pq->num_entries) {
		volatile struct pnvme_cpl *entry = &pq->cq[pq->cq_head];

		if (entry->status.p != pq->phase) {
			break;
		}
		/* Read the rest of the entry only after seeing its phase. */
		pnvme_rmb();
		cpl = *(const struct pnvme_cpl *)entry;
		consumed++;
		if (++pq->cq_head == pq->num_entries) {
			pq->cq_head = 0;
			pq->phase ^= 1;
		}
		/* Device data is untrusted: the ID must name a command in flight. */
		if (pnvme_unlikely(cpl.cid >= pq->num_trackers ||
				   pq->trackers[cpl.cid].req == NULL)) {
			PNVME_ERRLOG("qpair %u: completion for command ID %u, which is not "
				     "outstanding; ignored",
				     qpair->id, cpl.cid);
			continue;
		}
		if (pnvme_likely(cpl.sqhd < pq->num_entries)) {
			pq->sq_head = cpl.sqhd;
		}
		tr = &pq->trackers[cpl.cid];
		req = tr->req;
		tr->req = NULL;
		pq->free_cids[pq->num_free++] = tr->cid;
		nvme_qpair_complete_request(qpair, req, &cpl);
		if ((uint32_t)++done == max) {
			break;
		}
	}
	if (consumed > 0) {
		*pq->cq_hdbl = pq->cq_head;
	}
	return done;
}

void
pcie_qpair_abort_reqs(struct pnvme_qpair *qpair)
{
	struct pcie_qpair *pq = pcie_qpair(qpair);
	struct nvme_request *req;
	uint16_t i;

	for (i = 0; i < pq->num_trackers; i++) {
		req = pq->trackers[i].req;
		if (req == NULL) {
			continue;
		}
		pq->trackers[i].req = NULL;
		pq->free_cids[pq->num_free++] = i;
		nvme_qpair_complete_request_status(qpair, req, PNVME_SCT_GENERIC,
						   PNVME_SC_ABORTED_SQ_DELETION);
	}
}
