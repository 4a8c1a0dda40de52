/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * PCIe queue pairs: submission and completion rings in DMA memory, command
 * trackers, PRP building and doorbells. Polled: no interrupts.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "nvme/pcie_internal.h"

/* Queues must be contiguous in IOVA space: aligning an allocation to its
 * size (a power of two up to the 2 MiB hugepage) keeps it inside one page.
 * The device also needs queue bases aligned to its memory page (CC.MPS). */
void *
pcie_contig_zmalloc(size_t size, size_t align, uint64_t *iova)
{
	uint64_t contig = size;
	void *buf;

	align = PNVME_MAX(align, (size_t)4096);
	while (align < size && align < PCIE_MAX_PAGE_SIZE) {
		align <<= 1;
	}
	buf = pnvme_dma_zmalloc(size, align, iova);
	if (buf != NULL && (pnvme_vtophys(buf, &contig) == PNVME_VTOPHYS_ERROR || contig < size)) {
		PNVME_ERRLOG("DMA memory of %zu bytes is not contiguous for the device", size);
		pnvme_dma_free(buf);
		return NULL;
	}
	return buf;
}

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
	/* The page size the controller is (or will be) programmed with. */
	pq->page_size = PNVME_MAX(ctrlr->page_size, 4096u);
	pq->sq = pcie_contig_zmalloc(num_entries * sizeof(*pq->sq), pq->page_size, &pq->sq_iova);
	pq->cq = pcie_contig_zmalloc(num_entries * sizeof(*pq->cq), pq->page_size, &pq->cq_iova);
	/* A 4 KiB-aligned 4 KiB tracker never crosses a boundary of any larger
	 * page either, so a PRP list in it never needs chaining. */
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
pcie_qpair_keep_dma_memory(struct pcie_qpair *pq)
{
	pq->sq = NULL;
	pq->cq = NULL;
	pq->trackers = NULL;
}

void
pcie_qpair_reset(struct pcie_qpair *pq)
{
	uint16_t i;

	pq->sq_tail = 0;
	pq->cq_head = 0;
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

/* Walks a payload one virtually contiguous piece (iov element) at a time. */
struct payload_cursor {
	const struct pcie_payload *p;
	int idx;
	uint32_t skip;      /* bytes of the current element already used */
	uint32_t remaining; /* payload bytes not yet returned */
};

static void
cursor_init(struct payload_cursor *c, const struct pcie_payload *p)
{
	uint32_t off = p->offset;

	c->p = p;
	c->idx = 0;
	c->remaining = p->len;
	if (p->iov != NULL) {
		while (c->idx < p->iovcnt && off >= p->iov[c->idx].iov_len) {
			off -= (uint32_t)p->iov[c->idx].iov_len;
			c->idx++;
		}
	}
	c->skip = off;
}

/* Next piece: false when the payload is done. -EINVAL via *err when the
 * vector holds fewer bytes than the payload claims. */
static bool
cursor_next(struct payload_cursor *c, uintptr_t *va, uint32_t *len, int *err)
{
	const struct pcie_payload *p = c->p;
	uint32_t avail;

	if (c->remaining == 0) {
		return false;
	}
	if (p->iov == NULL) {
		*va = (uintptr_t)p->buf + c->skip;
		*len = c->remaining;
		c->remaining = 0;
		return true;
	}
	while (c->idx < p->iovcnt && p->iov[c->idx].iov_len <= c->skip) {
		c->idx++;
		c->skip = 0;
	}
	if (c->idx == p->iovcnt) {
		PNVME_ERRLOG("payload: vector ends %u bytes short", c->remaining);
		*err = -EINVAL;
		return false;
	}
	avail = (uint32_t)p->iov[c->idx].iov_len - c->skip;
	*va = (uintptr_t)p->iov[c->idx].iov_base + c->skip;
	*len = PNVME_MIN(avail, c->remaining);
	c->remaining -= *len;
	c->idx++;
	c->skip = 0;
	return true;
}

/* The common case on the I/O path: one buffer on at most two pages, so no
 * list. false sends the payload down the general path (which also names
 * any problem). */
static inline bool
build_prps_fast(struct pnvme_cmd *cmd, const struct pcie_payload *payload, uint32_t page_size)
{
	uintptr_t va = (uintptr_t)payload->buf + payload->offset;
	uint64_t iova, iova2;
	uint32_t page_off;

	if (payload->len > 2 * page_size) {
		return false; /* a list: no use translating here */
	}
	iova = pnvme_vtophys((void *)va, NULL);
	page_off = (uint32_t)(iova & (page_size - 1));
	if (pnvme_unlikely(iova == PNVME_VTOPHYS_ERROR || (iova & 3) != 0)) {
		return false;
	}
	if (page_off + payload->len <= page_size) {
		cmd->dptr.prp.prp1 = iova;
		cmd->dptr.prp.prp2 = 0;
		return true;
	}
	if (page_off + payload->len > 2 * page_size) {
		return false;
	}
	iova2 = pnvme_vtophys((void *)(va + page_size - page_off), NULL);
	if (pnvme_unlikely(iova2 == PNVME_VTOPHYS_ERROR || (iova2 & (page_size - 1)) != 0)) {
		return false;
	}
	cmd->dptr.prp.prp1 = iova;
	cmd->dptr.prp.prp2 = iova2;
	return true;
}

int
pcie_build_prps(struct pcie_tracker *tr, struct pnvme_cmd *cmd, const struct pcie_payload *payload,
		uint32_t page_size)
{
	struct payload_cursor cur;
	uint32_t nprps = 0, len, chunk, page_off;
	bool first = true, open_page = false;
	uintptr_t va;
	uint64_t iova;
	int err = 0;

	cmd->psdt = PNVME_PSDT_PRP;
	if (payload->len == 0) {
		return 0; /* no data, or a pointer the caller set (queue creation) */
	}
	if (payload->iov == NULL && build_prps_fast(cmd, payload, page_size)) {
		return 0;
	}
	cmd->dptr.prp.prp1 = 0;
	cmd->dptr.prp.prp2 = 0;
	cursor_init(&cur, payload);
	while (cursor_next(&cur, &va, &len, &err)) {
		while (len > 0) {
			iova = pnvme_vtophys((void *)va, NULL);
			if (iova == PNVME_VTOPHYS_ERROR) {
				PNVME_ERRLOG("PRP: buffer %p is not DMA-able memory", (void *)va);
				return -EINVAL;
			}
			page_off = (uint32_t)(iova & (page_size - 1));
			chunk = PNVME_MIN(len, page_size - page_off);
			if (first) {
				if (iova & 3) {
					PNVME_ERRLOG("PRP: buffer %p is not dword-aligned", (void *)va);
					return -EINVAL;
				}
				cmd->dptr.prp.prp1 = iova;
				first = false;
			} else {
				/* Every page after the first starts at offset 0 and
				 * follows a page that was used to its end. */
				if (page_off != 0 || open_page) {
					PNVME_ERRLOG("PRP: data at %p does not meet page boundaries "
						     "(PRP rules; SGLs would be needed)",
						     (void *)va);
					return -EINVAL;
				}
				if (nprps == PCIE_PRP_LIST_ENTRIES) {
					PNVME_ERRLOG("PRP: %u bytes need more than %u list entries",
						     payload->len, PCIE_PRP_LIST_ENTRIES);
					return -EINVAL;
				}
				tr->prp_list[nprps++] = iova;
			}
			open_page = page_off + chunk != page_size;
			va += chunk;
			len -= chunk;
		}
	}
	if (err != 0) {
		return err;
	}
	/* Two pages: PRP2 is the second page itself; more: PRP2 is the list. */
	if (nprps == 1) {
		cmd->dptr.prp.prp2 = tr->prp_list[0];
	} else if (nprps > 1) {
		cmd->dptr.prp.prp2 = tr->prp_list_iova;
	}
	return 0;
}

int
pcie_build_sgl(struct pcie_tracker *tr, struct pnvme_cmd *cmd, const struct pcie_payload *payload)
{
	struct pnvme_sgl_descriptor *sgl1 = &cmd->dptr.sgl1;
	struct payload_cursor cur;
	uint32_t nsge = 0, len;
	uint64_t iova, contig;
	uintptr_t va;
	int err = 0;

	cmd->psdt = PNVME_PSDT_SGL_MPTR_CONTIG;
	memset(sgl1, 0, sizeof(*sgl1));
	cursor_init(&cur, payload);
	while (cursor_next(&cur, &va, &len, &err)) {
		while (len > 0) {
			contig = len;
			iova = pnvme_vtophys((void *)va, &contig);
			if (iova == PNVME_VTOPHYS_ERROR) {
				PNVME_ERRLOG("SGL: buffer %p is not DMA-able memory", (void *)va);
				return -EINVAL;
			}
			if (iova & 3) {
				PNVME_ERRLOG("SGL: buffer %p is not dword-aligned", (void *)va);
				return -EINVAL;
			}
			if (nsge == PCIE_SGL_ENTRIES) {
				PNVME_ERRLOG("SGL: payload needs more than %u descriptors",
					     PCIE_SGL_ENTRIES);
				return -EINVAL;
			}
			tr->sgl[nsge].address = iova;
			tr->sgl[nsge].length = (uint32_t)contig;
			tr->sgl[nsge].type = PNVME_SGL_TYPE_DATA_BLOCK;
			tr->sgl[nsge].subtype = 0;
			nsge++;
			va += contig;
			len -= (uint32_t)contig;
		}
	}
	if (err != 0) {
		return err;
	}
	if (nsge == 1) {
		*sgl1 = tr->sgl[0]; /* one block: no segment needed */
	} else if (nsge > 1) {
		sgl1->address = tr->prp_list_iova;
		sgl1->length = nsge * (uint32_t)sizeof(struct pnvme_sgl_descriptor);
		sgl1->type = PNVME_SGL_TYPE_LAST_SEGMENT;
	}
	return 0;
}

/* Shadow doorbell rule: write the real doorbell only when the device's
 * event index lies in (old, new]. */
static inline bool
dbbuf_need_event(uint16_t event_idx, uint16_t new_idx, uint16_t old_idx)
{
	return (uint16_t)(new_idx - event_idx - 1) < (uint16_t)(new_idx - old_idx);
}

static inline void
ring_doorbell(volatile uint32_t *mmio, volatile uint32_t *shadow, volatile uint32_t *eventidx,
	      uint16_t value, uint64_t *mmio_writes)
{
	uint16_t old;

	if (shadow != NULL) {
		old = (uint16_t)*shadow;
		*shadow = value;
		/* The shadow value must be visible before the event index is read. */
		pnvme_mb();
		if (!dbbuf_need_event((uint16_t)*eventidx, value, old)) {
			return;
		}
	}
	*mmio = value;
	(*mmio_writes)++;
}

static PNVME_ALWAYS_INLINE void
ring_sq_doorbell(struct pcie_qpair *pq)
{
	/* Entries must be visible before the doorbell tells the device. */
	pnvme_wmb();
	ring_doorbell(pq->sq_tdbl, pq->shadow_sq_tdbl, pq->sq_eventidx, pq->sq_tail,
		      &pq->sq_mmio_writes);
	pq->sq_doorbell_pending = false;
}

void
pcie_qpair_ring_sq_doorbell(struct pcie_qpair *pq)
{
	ring_sq_doorbell(pq);
}

int
pcie_qpair_submit_request(struct pnvme_qpair *qpair, struct nvme_request *req)
{
	struct pcie_qpair *pq = pcie_qpair(qpair);
	struct pcie_payload payload = {
		.buf = req->payload,
		.iov = req->iov,
		.iovcnt = req->iovcnt,
		.offset = req->payload_offset,
		.len = req->payload_size,
	};
	struct pcie_tracker *tr;
	int rc;

	if (pnvme_unlikely(pq->num_free < (req->cmd.fuse == PNVME_FUSE_FIRST ? 2 : 1))) {
		return -EAGAIN;
	}
	tr = &pq->trackers[pq->free_cids[pq->num_free - 1]];
	req->cmd.cid = tr->cid;
	if (req->iov != NULL && pq->use_sgl) {
		rc = pcie_build_sgl(tr, &req->cmd, &payload);
	} else if (pnvme_likely(req->iov == NULL && payload.len != 0) &&
		   build_prps_fast(&req->cmd, &payload, pq->page_size)) {
		req->cmd.psdt = PNVME_PSDT_PRP; /* the common case, without a call */
		rc = 0;
	} else {
		rc = pcie_build_prps(tr, &req->cmd, &payload, pq->page_size);
	}
	if (pnvme_unlikely(rc != 0)) {
		return rc;
	}
	pq->num_free--;
	tr->req = req;
	pq->sq[pq->sq_tail] = req->cmd;
	if (++pq->sq_tail == pq->num_entries) {
		pq->sq_tail = 0;
	}
	if (pq->delay_doorbell || req->cmd.fuse == PNVME_FUSE_FIRST) {
		pq->sq_doorbell_pending = true;
	} else {
		ring_sq_doorbell(pq);
	}
	return 0;
}

/* A completion the device had no business posting: the device cannot be
 * trusted with any command, so the controller fails (one line) and this
 * queue's requests complete at once, each exactly once. */
static void
pcie_qpair_fail_bad_completion(struct pcie_qpair *pq, const struct pnvme_cpl *cpl)
{
	struct pnvme_qpair *qpair = &pq->qpair;
	char why[128];

	if (cpl->cid >= pq->num_trackers || pq->trackers[cpl->cid].req == NULL) {
		snprintf(why, sizeof(why), "qpair %u: completion for command ID %u, which is not "
			 "outstanding", qpair->id, cpl->cid);
	} else if (cpl->sqid != qpair->id) {
		snprintf(why, sizeof(why), "qpair %u: completion names SQ ID %u", qpair->id,
			 cpl->sqid);
	} else {
		snprintf(why, sizeof(why), "qpair %u: completion SQ head %u is outside the "
			 "%u-entry queue", qpair->id, cpl->sqhd, pq->num_entries);
	}
	nvme_ctrlr_fail(qpair->ctrlr, why);
	nvme_qpair_fail(qpair);
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

	if (pq->sq_doorbell_pending) {
		pcie_qpair_ring_sq_doorbell(pq);
	}
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
		/* Device data is untrusted: the ID must name a command in flight,
		 * on this queue, with the SQ head inside the ring. */
		if (pnvme_unlikely(cpl.cid >= pq->num_trackers ||
				   pq->trackers[cpl.cid].req == NULL || cpl.sqid != qpair->id ||
				   cpl.sqhd >= pq->num_entries)) {
			pcie_qpair_fail_bad_completion(pq, &cpl);
			return -ENXIO;
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
		ring_doorbell(pq->cq_hdbl, pq->shadow_cq_hdbl, pq->cq_eventidx, pq->cq_head,
			      &pq->cq_mmio_writes);
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

void
pcie_qpair_get_stats(struct pnvme_qpair *qpair, struct pnvme_qpair_stats *stats)
{
	struct pcie_qpair *pq = pcie_qpair(qpair);

	stats->sq_doorbell_writes = pq->sq_mmio_writes;
	stats->cq_doorbell_writes = pq->cq_mmio_writes;
	stats->shadow_doorbells = pq->shadow_sq_tdbl != NULL;
}
