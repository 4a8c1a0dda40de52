/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * PCIe controller and qpair over heap memory, for unit tests.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcie_fixture.h"
#include "test_env.h"

/* The fixture's queue lives on no device: nothing to delete there. */
static void
fixture_qpair_disconnect(struct pnvme_qpair *qpair)
{
	(void)qpair;
}

static const struct nvme_transport_ops g_fixture_ops = {
	.name = "pcie-fixture",
	.type = PNVME_TRANSPORT_PCIE,
	.qpair_disconnect = fixture_qpair_disconnect,
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
	cpl->sqid = fx->pq->qpair.id;
	cpl->sqhd = fx->cq_slot;
	cpl->status.sc = sc;
	cpl->status.p = fx->cq_phase;
	if (++fx->cq_slot == fx->pq->num_entries) {
		fx->cq_slot = 0;
		fx->cq_phase ^= 1;
	}
}

/* ---------------- a controller built by the transport ---------------- */

static struct pcie_test_device *g_device;
static struct nvme_transport_ops g_device_admin_ops;

/* The device's side of the admin queue: consume every command up to the
 * SQ tail doorbell and post its completion, then let the host poll. */
static int32_t
device_admin_poll(struct pnvme_qpair *qpair, uint32_t max)
{
	struct pcie_test_device *d = g_device;
	struct pcie_qpair *aq = pcie_qpair(qpair);
	uint32_t tail = *(volatile uint32_t *)(d->bar + PNVME_REG_DOORBELL_BASE);

	while (d->sq_head != tail) {
		const struct pnvme_cmd *cmd = &aq->sq[d->sq_head];
		struct pnvme_cpl *cpl = &aq->cq[d->cq_tail];

		d->sq_head = (uint16_t)((d->sq_head + 1) % aq->num_entries);
		memset(cpl, 0, sizeof(*cpl));
		cpl->cid = cmd->cid;
		cpl->sqid = 0;
		cpl->sqhd = d->sq_head;
		cpl->status.sct = d->admin_sct[cmd->opc];
		cpl->status.sc = d->admin_sc[cmd->opc];
		cpl->cdw0 = d->admin_cdw0[cmd->opc];
		d->admin_count[cmd->opc]++;
		pnvme_wmb();
		cpl->status.p = d->phase;
		if (++d->cq_tail == aq->num_entries) {
			d->cq_tail = 0;
			d->phase ^= 1;
		}
	}
	return pcie_qpair_process_completions(qpair, max);
}

union pnvme_cap_register
pcie_test_cap(void)
{
	union pnvme_cap_register cap = {.raw = 0};

	cap.bits.mqes = 1023;
	cap.bits.to = 2;
	cap.bits.css = PNVME_CAP_CSS_NVM;
	return cap;
}

void
pcie_test_device_create(struct pcie_test_device *d, uint64_t bar_size,
			union pnvme_cap_register cap, uint32_t num_io_queues)
{
	struct test_pci_device *dev = &g_test_pci_devices[0];
	struct pnvme_transport_id trid;
	struct pnvme_ctrlr_opts opts;

	memset(d, 0, sizeof(*d));
	d->phase = 1;
	d->bar = calloc(1, bar_size);
	memcpy(d->bar + PNVME_REG_CAP, &cap.raw, sizeof(cap.raw));
	test_env_reset();
	memset(dev, 0, sizeof(*dev));
	pnvme_pci_addr_parse(&dev->info.addr, "0000:00:0a.0");
	dev->info.id.class_id = PNVME_PCI_CLASS_NVME;
	dev->info.driver_kind = PNVME_PCI_DRIVER_VFIO;
	dev->bar0 = d->bar;
	dev->bar0_size = bar_size;
	dev->present = true;
	g_test_num_pci_devices = 1;

	memset(&trid, 0, sizeof(trid));
	trid.trtype = PNVME_TRANSPORT_PCIE;
	strcpy(trid.traddr, "0000:00:0a.0");
	pnvme_ctrlr_get_default_opts(&opts, sizeof(opts));
	opts.num_io_queues = num_io_queues;
	d->ctrlr = g_nvme_pcie_ops.ctrlr_construct(&trid, &opts, &dev->info);
	if (d->ctrlr != NULL) {
		d->ctrlr->state = NVME_CTRLR_LIVE; /* as after bring-up */
	}
	if (d->ctrlr != NULL) {
		g_device = d;
		g_device_admin_ops = g_nvme_pcie_ops;
		g_device_admin_ops.qpair_process_completions = device_admin_poll;
		d->ctrlr->adminq->ops = &g_device_admin_ops;
	}
}

void
pcie_test_device_destroy(struct pcie_test_device *d)
{
	if (d->ctrlr != NULL) {
		nvme_ctrlr_shutdown_and_free(d->ctrlr);
	}
	g_device = NULL;
	free(d->bar);
	test_env_reset();
}
