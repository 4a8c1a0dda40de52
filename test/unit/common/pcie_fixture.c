/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * PCIe controller and qpair over heap memory, for unit tests.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcie_fixture.h"

static const struct nvme_transport_ops g_fixture_ops = {
	.name = "pcie-fixture",
	.type = PNVME_TRANSPORT_PCIE,
	.qpair_submit_request = pcie_qpair_submit_request,
	.qpair_process_completions = pcie_qpair_process_completions,
	.qpair_abort_reqs = pcie_qpair_abort_reqs,
	.qpair_get_stats = pcie_qpair_get_stats,
};

void
pcie_fixture_setup(struct pcie_fixture *fx, uint16_t entries, uint32_t num_reqs,
		   uint64_t ctrlr_flags)
{
	memset(fx, 0, sizeof(*fx));
	fx->bar = calloc(1, 0x2000);
	fx->ctrlr.regs = fx->bar;
	fx->ctrlr.regs_size = 0x2000;
	fx->ctrlr.doorbell_stride = 4;
	fx->ctrlr.ctrlr.ops = &g_fixture_ops;
	fx->ctrlr.ctrlr.flags = ctrlr_flags;
	fx->ctrlr.ctrlr.page_size = 4096;
	fx->ctrlr.ctrlr.max_xfer_size = 128 * 1024;
	fx->ctrlr.ctrlr.cdata.oncs = 0xffff;
	fx->pq = calloc(1, sizeof(*fx->pq));
	/* Also used outside CUnit (test/bench), so no CUnit assertion here. */
	if (fx->pq == NULL ||
	    pcie_qpair_construct(fx->pq, &fx->ctrlr.ctrlr, 1, entries, num_reqs) != 0) {
		fprintf(stderr, "pcie fixture: cannot construct the qpair\n");
		abort();
	}
	fx->pq->use_sgl = (ctrlr_flags & PNVME_CTRLR_SGL_SUPPORTED) != 0;
	fx->ns.ctrlr = &fx->ctrlr.ctrlr;
	fx->ns.id = 1;
	fx->ns.sector_size = 512;
	fx->ns.extended_lba_size = 512;
	fx->ns.data.nsze = 1u << 20;
	fx->ns.data.msrc = 3;
	fx->cq_phase = 1;
}

void
pcie_fixture_teardown(struct pcie_fixture *fx)
{
	pcie_qpair_destruct(fx->pq);
	free(fx->pq);
	free(fx->bar);
}

uint32_t
pcie_fixture_sq_doorbell(struct pcie_fixture *fx)
{
	return *(uint32_t *)(fx->bar + 0x1000 + 2 * 4);
}

uint32_t
pcie_fixture_cq_doorbell(struct pcie_fixture *fx)
{
	return *(uint32_t *)(fx->bar + 0x1000 + 3 * 4);
}

void
pcie_fixture_complete(struct pcie_fixture *fx, uint16_t sq_index, uint8_t sc)
{
	pcie_fixture_complete_cid(fx, fx->pq->sq[sq_index].cid, sc);
}

void
pcie_fixture_complete_cid(struct pcie_fixture *fx, uint16_t cid, uint8_t sc)
{
	struct pnvme_cpl *cpl = &fx->pq->cq[fx->cq_slot];

	memset(cpl, 0, sizeof(*cpl));
	cpl->cid = cid;
	cpl->sqhd = fx->cq_slot;
	cpl->status.sc = sc;
	cpl->status.p = fx->cq_phase;
	if (++fx->cq_slot == fx->pq->num_entries) {
		fx->cq_slot = 0;
		fx->cq_phase ^= 1;
	}
}
