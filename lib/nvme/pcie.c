/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * PCIe transport: finding controllers, mapping BAR0, register access and
 * the admin queue.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nvme/pcie_internal.h"

/* Largest transfer one tracker's PRP list can describe. */
#define PCIE_MAX_XFER_SIZE (PCIE_PRP_LIST_ENTRIES * 4096u)

/* ------------------------------------------------------------------ */
/* Scan                                                                */
/* ------------------------------------------------------------------ */

struct pcie_scan_ctx {
	struct nvme_probe_ctx *probe;
	struct pnvme_pci_addr want;
	bool has_want;
	bool found;
	int rc;
};

static int
pcie_scan_one(void *arg, const struct pnvme_pci_device_info *info)
{
	struct pcie_scan_ctx *ctx = arg;
	struct pnvme_transport_id trid;
	char bdf[PNVME_PCI_ADDR_STRLEN];

	if (ctx->has_want && pnvme_pci_addr_compare(&ctx->want, &info->addr) != 0) {
		return 0;
	}
	ctx->found = true;
	pnvme_pci_addr_fmt(bdf, sizeof(bdf), &info->addr);
	memset(&trid, 0, sizeof(trid));
	trid.trtype = PNVME_TRANSPORT_PCIE;
	memcpy(trid.traddr, bdf, sizeof(bdf));

	if (nvme_probe_is_attached(&trid)) {
		if (ctx->has_want) {
			PNVME_NOTICELOG("%s: already attached by this process", bdf);
		}
		return 0;
	}
	switch (info->driver_kind) {
	case PNVME_PCI_DRIVER_VFIO:
	case PNVME_PCI_DRIVER_UIO:
		nvme_probe_offer(ctx->probe, &trid, (void *)info);
		return 0;
	case PNVME_PCI_DRIVER_KERNEL:
		if (ctx->has_want) {
			PNVME_ERRLOG("%s is bound to the kernel %s driver; run scripts/setup.sh "
				     "to give it to pnvme",
				     bdf, info->driver);
			ctx->rc = -EBUSY;
		} else {
			PNVME_NOTICELOG("%s skipped: bound to the kernel %s driver", bdf,
					info->driver);
		}
		return 0;
	default:
		if (ctx->has_want) {
			PNVME_ERRLOG("%s is bound to no driver; run scripts/setup.sh to bind it "
				     "to vfio-pci or uio_pci_generic",
				     bdf);
			ctx->rc = -ENXIO;
		} else {
			PNVME_NOTICELOG("%s skipped: bound to no driver", bdf);
		}
		return 0;
	}
}

static int
pcie_scan(struct nvme_probe_ctx *probe)
{
	struct pcie_scan_ctx ctx = {.probe = probe};
	struct pnvme_pci_device_info info;
	int rc;

	if (pnvme_env_is_initialized() && !pnvme_env_has_dma_memory()) {
		PNVME_ERRLOG("probe: PCIe controllers need hugepage memory; the environment "
			     "runs without (no_hugepages)");
		return -ENOTSUP;
	}
	if (probe->trid.traddr[0] != '\0') {
		if (pnvme_pci_addr_parse(&ctx.want, probe->trid.traddr) != 0) {
			PNVME_ERRLOG("probe: '%s' is not a PCI address", probe->trid.traddr);
			return -EINVAL;
		}
		ctx.has_want = true;
	}
	rc = pnvme_pci_enumerate_nvme(pcie_scan_one, &ctx);
	if (rc < 0) {
		return rc;
	}
	if (ctx.has_want && !ctx.found) {
		if (pnvme_pci_device_lookup(&ctx.want, &info) == 0) {
			PNVME_ERRLOG("%s is not an NVMe controller (PCI class 0x%06x)",
				     probe->trid.traddr, info.id.class_id);
		} else {
			PNVME_ERRLOG("%s: no such PCI device", probe->trid.traddr);
		}
		return -ENODEV;
	}
	return ctx.rc;
}

/* ------------------------------------------------------------------ */
/* Registers                                                           */
/* ------------------------------------------------------------------ */

static int
pcie_get_reg_4(struct pnvme_ctrlr *ctrlr, uint32_t offset, uint32_t *value)
{
	struct pcie_ctrlr *p = pcie_ctrlr(ctrlr);

	if (offset + 4 > p->regs_size) {
		return -EINVAL;
	}
	*value = *(volatile uint32_t *)(p->regs + offset);
	return 0;
}

static int
pcie_set_reg_4(struct pnvme_ctrlr *ctrlr, uint32_t offset, uint32_t value)
{
	struct pcie_ctrlr *p = pcie_ctrlr(ctrlr);

	if (offset + 4 > p->regs_size) {
		return -EINVAL;
	}
	*(volatile uint32_t *)(p->regs + offset) = value;
	return 0;
}

/* 8-byte registers as two 4-byte accesses, low half first: every
 * controller accepts that, not every one accepts a single 8-byte access. */
static int
pcie_get_reg_8(struct pnvme_ctrlr *ctrlr, uint32_t offset, uint64_t *value)
{
	uint32_t lo, hi;
	int rc = pcie_get_reg_4(ctrlr, offset, &lo);

	if (rc == 0) {
		rc = pcie_get_reg_4(ctrlr, offset + 4, &hi);
	}
	if (rc == 0) {
		*value = ((uint64_t)hi << 32) | lo;
	}
	return rc;
}

static int
pcie_set_reg_8(struct pnvme_ctrlr *ctrlr, uint32_t offset, uint64_t value)
{
	int rc = pcie_set_reg_4(ctrlr, offset, (uint32_t)value);

	return rc != 0 ? rc : pcie_set_reg_4(ctrlr, offset + 4, (uint32_t)(value >> 32));
}

/* ------------------------------------------------------------------ */
/* Controller                                                          */
/* ------------------------------------------------------------------ */

static void pcie_ctrlr_destruct(struct pnvme_ctrlr *ctrlr);

/* CAP as the transport uses it before bring-up: queue sizes, the page size
 * queue memory is aligned to, and where every doorbell lies. */
static int
pcie_ctrlr_check_cap(struct pcie_ctrlr *p, union pnvme_cap_register cap)
{
	const char *addr = p->ctrlr.trid.traddr;
	/* DSTRD is a 4-bit field (0-15): the stride is at most 128 KiB. */
	uint64_t stride = 4ull << cap.bits.dstrd;
	uint64_t page_size = 1ull << (12 + cap.bits.mpsmin);
	uint64_t last_doorbell, max_qid;

	if (cap.raw == UINT64_MAX || cap.raw == 0) {
		uint32_t vs = 0;

		pcie_get_reg_4(&p->ctrlr, PNVME_REG_VS, &vs);
		if (nvme_vs_means_removed(vs)) {
			PNVME_ERRLOG("%s: device removed (CAP 0x%016llx, VS 0x%08x)", addr,
				     (unsigned long long)cap.raw, vs);
		} else {
			PNVME_ERRLOG("%s: CAP reads 0x%016llx: device not responding", addr,
				     (unsigned long long)cap.raw);
		}
		return -ENODEV;
	}
	if (cap.bits.mqes < 1) {
		PNVME_ERRLOG("%s: CAP.MQES 0 is invalid: a queue needs at least 2 entries", addr);
		return -EINVAL;
	}
	if (cap.bits.mpsmin > cap.bits.mpsmax) {
		PNVME_ERRLOG("%s: CAP.MPSMIN %u > CAP.MPSMAX %u", addr, cap.bits.mpsmin,
			     cap.bits.mpsmax);
		return -EINVAL;
	}
	if (page_size > PCIE_MAX_PAGE_SIZE) {
		PNVME_ERRLOG("%s: CAP.MPSMIN %u asks for %llu KiB memory pages; pnvme supports up "
			     "to %u KiB",
			     addr, cap.bits.mpsmin, (unsigned long long)(page_size >> 10),
			     PCIE_MAX_PAGE_SIZE >> 10);
		return -ENOTSUP;
	}
	/* Doorbell k (SQ y: k = 2y, CQ y: k = 2y + 1) is 4 bytes at
	 * 1000h + k * stride; every one the driver writes must lie in BAR0. */
	last_doorbell = (p->regs_size - PNVME_REG_DOORBELL_BASE - 4) / stride;
	if (last_doorbell < 1) {
		PNVME_ERRLOG("%s: CAP.DSTRD %u (doorbell stride %llu bytes) puts the admin doorbells "
			     "outside the %llu-byte BAR0",
			     addr, cap.bits.dstrd, (unsigned long long)stride,
			     (unsigned long long)p->regs_size);
		return -EINVAL;
	}
	max_qid = PNVME_MIN((last_doorbell - 1) / 2, (uint64_t)UINT16_MAX);
	if (p->ctrlr.opts.num_io_queues > max_qid) {
		PNVME_NOTICELOG("%s: BAR0 (%llu bytes) holds doorbells for %llu I/O queues at "
				"CAP.DSTRD %u; asking for no more than that",
				addr, (unsigned long long)p->regs_size,
				(unsigned long long)max_qid, cap.bits.dstrd);
		p->ctrlr.opts.num_io_queues = (uint32_t)max_qid;
	}
	p->mapped_cap = cap;
	p->ctrlr.cap = cap;
	p->doorbell_stride = (uint32_t)stride;
	p->max_io_qid = (uint32_t)max_qid;
	/* 4 KiB when allowed, else the smallest page the controller takes:
	 * the admin queue built next is aligned to it. */
	p->ctrlr.min_page_size = (uint32_t)page_size;
	p->ctrlr.page_size = (uint32_t)page_size;
	return 0;
}

static int
pcie_ctrlr_map(struct pcie_ctrlr *p, const struct pnvme_pci_device_info *info)
{
	union pnvme_cap_register cap;
	void *bar;
	int rc;

	rc = pnvme_pci_device_attach(&info->addr, &p->dev);
	if (rc != 0) {
		return rc;
	}
	p->pci_id = pnvme_pci_device_get_info(p->dev)->id;
	rc = pnvme_pci_device_map_bar(p->dev, 0, &bar, &p->regs_size);
	if (rc != 0) {
		PNVME_ERRLOG("%s: cannot map BAR0 (%d)", p->ctrlr.trid.traddr, rc);
		return rc;
	}
	p->regs = bar;
	if (p->regs_size < PNVME_REG_DOORBELL_BASE + 8) {
		PNVME_ERRLOG("%s: BAR0 is only %llu bytes", p->ctrlr.trid.traddr,
			     (unsigned long long)p->regs_size);
		return -EINVAL;
	}
	/* Doorbell stride and queue limits are needed before bring-up. */
	rc = pcie_get_reg_8(&p->ctrlr, PNVME_REG_CAP, &cap.raw);
	if (rc != 0) {
		return rc;
	}
	rc = pcie_ctrlr_check_cap(p, cap);
	if (rc != 0) {
		return rc;
	}
	p->ctrlr.quirks = nvme_quirks_lookup(&p->pci_id);
	return 0;
}

static struct pnvme_ctrlr *
pcie_ctrlr_construct(const struct pnvme_transport_id *trid, const struct pnvme_ctrlr_opts *opts,
		     void *devhandle)
{
	const struct pnvme_pci_device_info *info = devhandle;
	struct pcie_ctrlr *p;
	uint32_t entries;
	int rc;

	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		return NULL;
	}
	nvme_ctrlr_construct(&p->ctrlr, &g_nvme_pcie_ops, trid, opts);
	rc = pcie_ctrlr_map(p, info);
	if (rc != 0) {
		pcie_ctrlr_destruct(&p->ctrlr);
		return NULL;
	}
	entries = PNVME_MIN(p->ctrlr.opts.admin_queue_size, p->ctrlr.cap.bits.mqes + 1u);
	rc = pcie_qpair_construct(&p->adminq, &p->ctrlr, 0, (uint16_t)entries, entries);
	if (rc != 0) {
		pcie_ctrlr_destruct(&p->ctrlr);
		return NULL;
	}
	p->adminq.qpair.queue_size = entries;
	p->ctrlr.adminq = &p->adminq.qpair;
	return &p->ctrlr;
}

static void
pcie_ctrlr_destruct(struct pnvme_ctrlr *ctrlr)
{
	struct pcie_ctrlr *p = pcie_ctrlr(ctrlr);

	if (ctrlr->adminq != NULL) {
		pcie_qpair_destruct(&p->adminq);
		ctrlr->adminq = NULL;
	}
	nvme_ctrlr_destruct_common(ctrlr);
	pnvme_dma_free(p->shadow_doorbells);
	pnvme_dma_free(p->eventidx);
	if (p->dev != NULL) {
		pnvme_pci_device_detach(p->dev);
	}
	free(p);
}

static int
pcie_ctrlr_enable(struct pnvme_ctrlr *ctrlr)
{
	struct pcie_ctrlr *p = pcie_ctrlr(ctrlr);
	union pnvme_cap_register now = ctrlr->cap, then = p->mapped_cap;
	union pnvme_aqa_register aqa;
	int rc;

	/* Doorbells, queue memory and the admin queue size were derived from
	 * CAP as first read: bring-up's reading must say the same. */
	if (now.bits.dstrd != then.bits.dstrd || now.bits.mpsmin != then.bits.mpsmin ||
	    now.bits.mqes < p->adminq.num_entries - 1u) {
		PNVME_ERRLOG("%s: CAP changed since BAR0 was mapped (0x%016llx, now 0x%016llx)",
			     ctrlr->trid.traddr, (unsigned long long)then.raw,
			     (unsigned long long)now.raw);
		return -EINVAL;
	}
	pcie_qpair_reset(&p->adminq);
	p->adminq.page_size = ctrlr->page_size;
	aqa.raw = 0;
	aqa.bits.asqs = p->adminq.num_entries - 1u;
	aqa.bits.acqs = p->adminq.num_entries - 1u;
	rc = pcie_set_reg_4(ctrlr, PNVME_REG_AQA, aqa.raw);
	if (rc == 0) {
		rc = pcie_set_reg_8(ctrlr, PNVME_REG_ASQ, p->adminq.sq_iova);
	}
	if (rc == 0) {
		rc = pcie_set_reg_8(ctrlr, PNVME_REG_ACQ, p->adminq.cq_iova);
	}
	return rc;
}

/* ------------------------------------------------------------------ */
/* I/O queues and shadow doorbells                                     */
/* ------------------------------------------------------------------ */

/* One admin command, waited for: 0 with *cpl filled (its status may be an
 * error), or -ETIMEDOUT / -ENXIO (the controller has failed). */
static int
pcie_admin_queue_cmd(struct pnvme_ctrlr *ctrlr, uint8_t opc, uint32_t cdw10, uint32_t cdw11,
		     uint64_t prp1, uint64_t prp2, struct pnvme_cpl *cpl)
{
	struct pnvme_cmd cmd;

	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = opc;
	cmd.cdw10 = cdw10;
	cmd.cdw11 = cdw11;
	cmd.dptr.prp.prp1 = prp1;
	cmd.dptr.prp.prp2 = prp2;
	return nvme_ctrlr_admin_sync(ctrlr, &cmd, NULL, 0, cpl);
}

/* The same, 0 only on success; an error status is logged. */
static int
pcie_admin_queue_cmd_ok(struct pnvme_ctrlr *ctrlr, uint8_t opc, uint32_t cdw10, uint32_t cdw11,
			uint64_t prp1, uint64_t prp2)
{
	struct pnvme_cpl cpl;
	int rc;

	rc = pcie_admin_queue_cmd(ctrlr, opc, cdw10, cdw11, prp1, prp2, &cpl);
	if (rc != 0) {
		return rc;
	}
	if (pnvme_cpl_is_error(&cpl)) {
		PNVME_ERRLOG("%s: admin opcode 0x%02x (cdw10 0x%x) failed: %s (sct %u, sc 0x%02x)",
			     ctrlr->trid.traddr, opc, cdw10, pnvme_status_string(&cpl.status),
			     cpl.status.sct, cpl.status.sc);
		return -EIO;
	}
	return 0;
}

/* Delete I/O SQ or CQ @p qid. false when the device did not confirm it: it
 * may still own the queue's memory. A refusal fails the controller (one
 * line); a timeout has failed it already. */
static bool
pcie_delete_queue(struct pnvme_ctrlr *ctrlr, uint8_t opc, uint16_t qid)
{
	struct pnvme_cpl cpl;
	char why[160];
	int rc;

	rc = pcie_admin_queue_cmd(ctrlr, opc, qid, 0, 0, 0, &cpl);
	if (rc == 0 && !pnvme_cpl_is_error(&cpl)) {
		return true;
	}
	if (rc == 0) {
		snprintf(why, sizeof(why), "Delete I/O %s %u failed: %s (sct %u, sc 0x%02x); its "
			 "memory is kept, the device may still use it",
			 opc == PNVME_OPC_DELETE_IO_SQ ? "SQ" : "CQ", qid,
			 pnvme_status_string(&cpl.status), cpl.status.sct, cpl.status.sc);
		nvme_ctrlr_fail(ctrlr, why);
	}
	return false;
}

static int
pcie_io_qpair_attach_shadow(struct pcie_ctrlr *p, struct pcie_qpair *pq)
{
	uint32_t stride = p->doorbell_stride / 4, qid = pq->qpair.id;

	pq->shadow_sq_tdbl = pq->shadow_cq_hdbl = pq->sq_eventidx = pq->cq_eventidx = NULL;
	if (p->shadow_doorbells == NULL || !(p->ctrlr.flags & PNVME_CTRLR_SHADOW_DOORBELL)) {
		return 0;
	}
	/* The buffers were sized for the queues granted; never index past them. */
	if (qid > p->shadow_max_qid) {
		PNVME_ERRLOG("%s: queue %u has no shadow doorbell slot (buffers hold queues 0-%u)",
			     p->ctrlr.trid.traddr, qid, p->shadow_max_qid);
		return -EINVAL;
	}
	pq->shadow_sq_tdbl = &p->shadow_doorbells[2 * qid * stride];
	pq->shadow_cq_hdbl = &p->shadow_doorbells[(2 * qid + 1) * stride];
	pq->sq_eventidx = &p->eventidx[2 * qid * stride];
	pq->cq_eventidx = &p->eventidx[(2 * qid + 1) * stride];
	*pq->shadow_sq_tdbl = 0;
	*pq->shadow_cq_hdbl = 0;
	*pq->sq_eventidx = 0;
	*pq->cq_eventidx = 0;
	return 0;
}

static struct pnvme_qpair *
pcie_io_qpair_alloc(struct pnvme_ctrlr *ctrlr, uint16_t qid, const struct pnvme_io_qpair_opts *opts)
{
	struct pcie_ctrlr *p = pcie_ctrlr(ctrlr);
	struct pcie_qpair *pq;

	/* Its doorbells must lie inside BAR0 (the queue count asked for was
	 * limited to that at construction). */
	if (qid == 0 || qid > p->max_io_qid) {
		PNVME_ERRLOG("%s: queue ID %u has no doorbells inside BAR0 (I/O queues 1-%u)",
			     ctrlr->trid.traddr, qid, p->max_io_qid);
		return NULL;
	}
	if (opts->io_queue_size > PCIE_MAX_QUEUE_ENTRIES) {
		PNVME_ERRLOG("%s: queue size %u is above the %u entries a PCIe queue takes "
			     "(its SQ must fit one 2 MiB page)",
			     ctrlr->trid.traddr, opts->io_queue_size, PCIE_MAX_QUEUE_ENTRIES);
		return NULL;
	}
	pq = calloc(1, sizeof(*pq));
	if (pq == NULL) {
		return NULL;
	}
	if (pcie_qpair_construct(pq, ctrlr, qid, (uint16_t)opts->io_queue_size,
				 opts->io_queue_requests) != 0) {
		free(pq);
		return NULL;
	}
	pq->delay_doorbell = opts->delay_cmd_submit;
	pq->qprio = (uint8_t)opts->qprio;
	return &pq->qpair;
}

/* Create the CQ and SQ on the device over the qpair's (emptied) rings. */
static int
pcie_qpair_connect(struct pnvme_qpair *qpair)
{
	struct pcie_qpair *pq = pcie_qpair(qpair);
	struct pnvme_ctrlr *ctrlr = qpair->ctrlr;
	uint16_t qid = qpair->id;
	uint32_t sizes = ((uint32_t)(pq->num_entries - 1u) << 16) | qid;

	if (pq->device_may_own) {
		PNVME_ERRLOG("%s: qpair %u: the device may still own its memory", ctrlr->trid.traddr,
			     qid);
		return -EBUSY;
	}
	pcie_qpair_reset(pq);
	pq->use_sgl = (ctrlr->flags & PNVME_CTRLR_SGL_SUPPORTED) != 0;
	if (pcie_io_qpair_attach_shadow(pcie_ctrlr(ctrlr), pq) != 0) {
		return -EINVAL;
	}
	/* CQ: physically contiguous, interrupts off (polled; vector 0). */
	if (pcie_admin_queue_cmd_ok(ctrlr, PNVME_OPC_CREATE_IO_CQ, sizes, 1u, pq->cq_iova, 0) !=
	    0) {
		goto fail;
	}
	/* SQ: physically contiguous, priority, bound to the CQ of the same ID. */
	if (pcie_admin_queue_cmd_ok(ctrlr, PNVME_OPC_CREATE_IO_SQ, sizes,
				    ((uint32_t)qid << 16) | ((uint32_t)pq->qprio << 1) | 1u,
				    pq->sq_iova, 0) != 0) {
		if (!nvme_ctrlr_is_failed(ctrlr)) {
			pcie_delete_queue(ctrlr, PNVME_OPC_DELETE_IO_CQ, qid);
		}
		goto fail;
	}
	pq->on_device = true;
	return 0;
fail:
	/* A create that timed out or a CQ the device would not delete: it
	 * may still act on this memory. */
	pq->device_may_own = nvme_ctrlr_is_failed(ctrlr);
	return -EIO;
}

static void
pcie_qpair_disconnect(struct pnvme_qpair *qpair)
{
	struct pcie_qpair *pq = pcie_qpair(qpair);
	struct pnvme_ctrlr *ctrlr = qpair->ctrlr;

	/* Delete only a queue of this association on a working controller: a
	 * reset took the queues of earlier ones with it. */
	if (!pq->on_device || ctrlr->state != NVME_CTRLR_LIVE ||
	    qpair->generation != ctrlr->generation) {
		/* A reset that has not stopped the device yet: it still owns
		 * the queue. */
		if (pq->on_device && ctrlr->state == NVME_CTRLR_RESETTING &&
		    qpair->generation == ctrlr->generation) {
			pq->device_may_own = true;
		}
		pq->on_device = false;
		return;
	}
	pq->on_device = false;
	if (!pcie_delete_queue(ctrlr, PNVME_OPC_DELETE_IO_SQ, qpair->id)) {
		/* Refused or unanswered: the SQ may live on and the device may
		 * still read it, its PRP lists and write its CQ. */
		pq->device_may_own = true;
		return;
	}
	/* The device has completed or aborted everything it held: hand those
	 * completions over before the core aborts what is left. */
	pcie_qpair_process_completions(qpair, 0);
	if (!nvme_ctrlr_is_failed(ctrlr) &&
	    !pcie_delete_queue(ctrlr, PNVME_OPC_DELETE_IO_CQ, qpair->id)) {
		pq->device_may_own = true;
	}
}

static void
pcie_io_qpair_free(struct pnvme_qpair *qpair)
{
	struct pcie_qpair *pq = pcie_qpair(qpair);

	if (pq->device_may_own) {
		/* Leaked on purpose: freed memory would be reused while the
		 * device can still DMA into it. */
		pcie_qpair_keep_dma_memory(pq);
	}
	pcie_qpair_destruct(pq);
	free(pq);
}

/* Doorbell Buffer Config: shadow doorbells in host memory, with the
 * device's event indexes telling when an MMIO write is still needed. The
 * device indexes both buffers like BAR0 doorbells (qid, stride), so each
 * must hold every queue ID that can be handed out. */
static int
pcie_ctrlr_ready(struct pnvme_ctrlr *ctrlr)
{
	struct pcie_ctrlr *p = pcie_ctrlr(ctrlr);
	uint64_t db_iova, ei_iova;
	uint64_t size = ((uint64_t)ctrlr->num_io_queues + 1) * 2 * p->doorbell_stride;

	if (!(ctrlr->flags & PNVME_CTRLR_SHADOW_DOORBELL)) {
		return 0;
	}
	if (p->shadow_doorbells != NULL) {
		/* A reset: the device forgot the buffers. Hand the same ones
		 * over again (an I/O thread may still hold pointers into them
		 * until it follows the reset), emptied like its queues. */
		memset(p->shadow_doorbells, 0, p->shadow_size);
		memset(p->eventidx, 0, p->shadow_size);
		if (pcie_admin_queue_cmd_ok(ctrlr, PNVME_OPC_DOORBELL_BUFFER_CONFIG, 0, 0,
					    p->shadow_iova, p->eventidx_iova) != 0) {
			PNVME_WARNLOG("%s: shadow doorbells refused after the reset",
				      ctrlr->trid.traddr);
			ctrlr->flags &= ~(uint64_t)PNVME_CTRLR_SHADOW_DOORBELL;
		}
		return 0;
	}
	/* Whole memory pages, one pointer each: contiguous, so at most 2 MiB. */
	size = (size + ctrlr->page_size - 1) & ~((uint64_t)ctrlr->page_size - 1);
	if (size > PCIE_MAX_PAGE_SIZE) {
		PNVME_WARNLOG("%s: shadow doorbells for %u queues at a %u-byte stride need %llu "
			      "bytes, more than %u KiB; using MMIO doorbells",
			      ctrlr->trid.traddr, ctrlr->num_io_queues, p->doorbell_stride,
			      (unsigned long long)size, PCIE_MAX_PAGE_SIZE >> 10);
		ctrlr->flags &= ~(uint64_t)PNVME_CTRLR_SHADOW_DOORBELL;
		return 0;
	}
	p->shadow_doorbells = pcie_contig_zmalloc(size, ctrlr->page_size, &db_iova);
	p->eventidx = pcie_contig_zmalloc(size, ctrlr->page_size, &ei_iova);
	p->shadow_max_qid = ctrlr->num_io_queues;
	p->shadow_size = size;
	p->shadow_iova = db_iova;
	p->eventidx_iova = ei_iova;
	if (p->shadow_doorbells == NULL || p->eventidx == NULL ||
	    pcie_admin_queue_cmd_ok(ctrlr, PNVME_OPC_DOORBELL_BUFFER_CONFIG, 0, 0, db_iova,
				    ei_iova) != 0) {
		PNVME_WARNLOG("%s: shadow doorbells unavailable; using MMIO doorbells",
			      ctrlr->trid.traddr);
		pnvme_dma_free(p->shadow_doorbells);
		pnvme_dma_free(p->eventidx);
		p->shadow_doorbells = NULL;
		p->eventidx = NULL;
		ctrlr->flags &= ~(uint64_t)PNVME_CTRLR_SHADOW_DOORBELL;
	}
	return 0;
}

static bool
pcie_ctrlr_is_present(struct pnvme_ctrlr *ctrlr)
{
	return pnvme_pci_device_is_present(pcie_ctrlr(ctrlr)->dev);
}

static uint32_t
pcie_ctrlr_get_max_xfer_size(struct pnvme_ctrlr *ctrlr)
{
	(void)ctrlr;
	return PCIE_MAX_XFER_SIZE;
}

static int
pcie_ctrlr_get_pci_id(const struct pnvme_ctrlr *ctrlr, struct pnvme_pci_id *id)
{
	*id = ((const struct pcie_ctrlr *)ctrlr)->pci_id;
	return 0;
}

const struct nvme_transport_ops g_nvme_pcie_ops = {
	.name = "PCIe",
	.type = PNVME_TRANSPORT_PCIE,
	.scan = pcie_scan,
	.ctrlr_construct = pcie_ctrlr_construct,
	.ctrlr_destruct = pcie_ctrlr_destruct,
	.ctrlr_get_reg_4 = pcie_get_reg_4,
	.ctrlr_get_reg_8 = pcie_get_reg_8,
	.ctrlr_set_reg_4 = pcie_set_reg_4,
	.ctrlr_set_reg_8 = pcie_set_reg_8,
	.ctrlr_enable = pcie_ctrlr_enable,
	.ctrlr_ready = pcie_ctrlr_ready,
	.io_qpair_alloc = pcie_io_qpair_alloc,
	.qpair_connect = pcie_qpair_connect,
	.qpair_disconnect = pcie_qpair_disconnect,
	.io_qpair_free = pcie_io_qpair_free,
	.ctrlr_is_present = pcie_ctrlr_is_present,
	.ctrlr_get_max_xfer_size = pcie_ctrlr_get_max_xfer_size,
	.ctrlr_get_pci_id = pcie_ctrlr_get_pci_id,
	.qpair_submit_request = pcie_qpair_submit_request,
	.qpair_process_completions = pcie_qpair_process_completions,
	.qpair_abort_reqs = pcie_qpair_abort_reqs,
	.qpair_get_stats = pcie_qpair_get_stats,
};
