/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * PCIe transport: PRP building, submission/completion rings with phase
 * tracking, doorbells, queueing when full, abort, and probe errors.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pcie_fixture.h"
#include "test_env.h"
#include "ut.h"

#define PAGE 4096u

/* ---------------- PRP ---------------- */

static int
prps(struct pcie_tracker *tr, struct pnvme_cmd *cmd, void *buf, uint32_t len)
{
	struct pcie_payload p = {.buf = buf, .len = len};

	return pcie_build_prps(tr, cmd, &p, PAGE);
}

static struct pcie_tracker *
new_tracker(void)
{
	struct pcie_tracker *tr = pnvme_dma_zmalloc(sizeof(*tr), 4096, NULL);

	tr->prp_list_iova = pnvme_vtophys(tr->prp_list, NULL);
	return tr;
}

static void
test_prp_single_page(void)
{
	struct pcie_tracker *tr = new_tracker();
	uint8_t *buf = pnvme_dma_zmalloc(4 * PAGE, PAGE, NULL);
	struct pnvme_cmd cmd;

	memset(&cmd, 0xff, sizeof(cmd));
	CU_ASSERT_EQUAL(prps(tr, &cmd, buf, PAGE), 0);
	CU_ASSERT_EQUAL(cmd.psdt, PNVME_PSDT_PRP);
	CU_ASSERT_EQUAL(cmd.dptr.prp.prp1, (uintptr_t)buf);
	CU_ASSERT_EQUAL(cmd.dptr.prp.prp2, 0);
	/* Unaligned start that still ends inside the page. */
	CU_ASSERT_EQUAL(prps(tr, &cmd, buf + 100, PAGE - 100), 0);
	CU_ASSERT_EQUAL(cmd.dptr.prp.prp1, (uintptr_t)buf + 100);
	CU_ASSERT_EQUAL(cmd.dptr.prp.prp2, 0);
	/* No data: the pointer the caller set stays (queue creation sets one). */
	cmd.dptr.prp.prp1 = 0x123000;
	CU_ASSERT_EQUAL(prps(tr, &cmd, NULL, 0), 0);
	CU_ASSERT_EQUAL(cmd.dptr.prp.prp1, 0x123000);
	pnvme_dma_free(buf);
	pnvme_dma_free(tr);
}

static void
test_prp_two_pages(void)
{
	struct pcie_tracker *tr = new_tracker();
	uint8_t *buf = pnvme_dma_zmalloc(4 * PAGE, PAGE, NULL);
	struct pnvme_cmd cmd;

	CU_ASSERT_EQUAL(prps(tr, &cmd, buf, 2 * PAGE), 0);
	CU_ASSERT_EQUAL(cmd.dptr.prp.prp1, (uintptr_t)buf);
	CU_ASSERT_EQUAL(cmd.dptr.prp.prp2, (uintptr_t)buf + PAGE);
	/* 512 bytes crossing a page boundary also takes PRP2. */
	CU_ASSERT_EQUAL(prps(tr, &cmd, buf + PAGE - 256, 512), 0);
	CU_ASSERT_EQUAL(cmd.dptr.prp.prp1, (uintptr_t)buf + PAGE - 256);
	CU_ASSERT_EQUAL(cmd.dptr.prp.prp2, (uintptr_t)buf + PAGE);
	pnvme_dma_free(buf);
	pnvme_dma_free(tr);
}

static void
test_prp_list(void)
{
	struct pcie_tracker *tr = new_tracker();
	uint8_t *buf = pnvme_dma_zmalloc(16 * PAGE, PAGE, NULL);
	struct pnvme_cmd cmd;
	uint32_t i;

	CU_ASSERT_EQUAL(prps(tr, &cmd, buf, 8 * PAGE), 0);
	CU_ASSERT_EQUAL(cmd.dptr.prp.prp1, (uintptr_t)buf);
	CU_ASSERT_EQUAL(cmd.dptr.prp.prp2, tr->prp_list_iova);
	for (i = 0; i < 7; i++) {
		CU_ASSERT_EQUAL(tr->prp_list[i], (uintptr_t)buf + (i + 1) * PAGE);
	}
	/* Unaligned: first entry keeps the offset, later ones are page aligned. */
	CU_ASSERT_EQUAL(prps(tr, &cmd, buf + 8, 3 * PAGE), 0);
	CU_ASSERT_EQUAL(cmd.dptr.prp.prp1, (uintptr_t)buf + 8);
	CU_ASSERT_EQUAL(cmd.dptr.prp.prp2, tr->prp_list_iova);
	CU_ASSERT_EQUAL(tr->prp_list[0], (uintptr_t)buf + PAGE);
	CU_ASSERT_EQUAL(tr->prp_list[1], (uintptr_t)buf + 2 * PAGE);
	CU_ASSERT_EQUAL(tr->prp_list[2], (uintptr_t)buf + 3 * PAGE);
	/* The list lives inside one page of the tracker. */
	CU_ASSERT_EQUAL(tr->prp_list_iova / PAGE,
			(tr->prp_list_iova + sizeof(tr->prp_list) - 1) / PAGE);
	pnvme_dma_free(buf);
	pnvme_dma_free(tr);
}

static void
test_prp_errors(void)
{
	struct pcie_tracker *tr = new_tracker();
	uint8_t *buf = pnvme_dma_zmalloc(PAGE, PAGE, NULL);
	uint8_t heap[64];
	uint8_t *big;
	struct pnvme_cmd cmd;

	test_log_capture_start();
	CU_ASSERT_EQUAL(prps(tr, &cmd, buf + 2, 16), -EINVAL);
	CU_ASSERT(test_log_contains("not dword-aligned"));
	CU_ASSERT_EQUAL(prps(tr, &cmd, heap, sizeof(heap)), -EINVAL);
	CU_ASSERT(test_log_contains("not DMA-able"));
	/* Runs past the end of the DMA allocation. */
	CU_ASSERT_EQUAL(prps(tr, &cmd, buf, 2 * PAGE), -EINVAL);
	big = pnvme_dma_zmalloc((PCIE_PRP_LIST_ENTRIES + 2) * PAGE, PAGE, NULL);
	CU_ASSERT_EQUAL(prps(tr, &cmd, big, (PCIE_PRP_LIST_ENTRIES + 1) * PAGE), 0);
	CU_ASSERT_EQUAL(prps(tr, &cmd, big, (PCIE_PRP_LIST_ENTRIES + 2) * PAGE),
			-EINVAL);
	CU_ASSERT(test_log_contains("more than 503 list entries"));
	pnvme_log_set_handler(NULL);
	pnvme_dma_free(big);
	pnvme_dma_free(buf);
	pnvme_dma_free(tr);
}

/* ---------------- rings ---------------- */

/* The device completes command @p cid (the fixture tracks slot and phase). */
static void
device_complete(struct pcie_fixture *fx, uint16_t cid, uint8_t sc)
{
	pcie_fixture_complete_cid(fx, cid, sc);
}

#define MAX_SEEN 64
static int g_seen[MAX_SEEN];
static struct pnvme_cpl g_seen_cpl[MAX_SEEN];
static int g_num_seen;

static void
record_cb(void *arg, const struct pnvme_cpl *cpl)
{
	if (g_num_seen < MAX_SEEN) {
		g_seen_cpl[g_num_seen] = *cpl;
		g_seen[g_num_seen++] = (int)(intptr_t)arg;
	}
}

static int
submit(struct pcie_fixture *fx, int tag)
{
	struct nvme_request *req = nvme_qpair_alloc_request(&fx->pq->qpair, record_cb,
							    (void *)(intptr_t)tag);

	if (req == NULL) {
		return -ENOMEM;
	}
	memset(&req->cmd, 0, sizeof(req->cmd));
	req->cmd.opc = PNVME_OPC_GET_FEATURES;
	req->cmd.cdw10 = (uint32_t)tag;
	return nvme_qpair_submit_request(&fx->pq->qpair, req);
}

static void
test_ring_submit_and_complete(void)
{
	struct pcie_fixture fx;
	int round, i;

	pcie_fixture_setup(&fx, 4, 16, 0);
	g_num_seen = 0;
	/* Several passes around a 4-entry ring flip the phase each time. */
	for (round = 0; round < 5; round++) {
		for (i = 0; i < 3; i++) {
			CU_ASSERT_EQUAL(submit(&fx, round * 10 + i), 0);
		}
		CU_ASSERT_EQUAL(pcie_fixture_sq_doorbell(&fx), fx.pq->sq_tail);
		for (i = 0; i < 3; i++) {
			struct pnvme_cmd *sqe = &fx.pq->sq[(fx.pq->sq_tail + 4 - 3 + i) % 4];

			CU_ASSERT_EQUAL(sqe->cdw10, (uint32_t)(round * 10 + i));
			device_complete(&fx, sqe->cid, 0);
		}
		CU_ASSERT_EQUAL(nvme_qpair_process_completions(&fx.pq->qpair, 0), 3);
		CU_ASSERT_EQUAL(pcie_fixture_cq_doorbell(&fx), fx.pq->cq_head);
		/* Nothing new: nothing completes. */
		CU_ASSERT_EQUAL(nvme_qpair_process_completions(&fx.pq->qpair, 0), 0);
	}
	CU_ASSERT_EQUAL(g_num_seen, 15);
	for (i = 0; i < 15; i++) {
		CU_ASSERT_EQUAL(g_seen[i], (i / 3) * 10 + i % 3);
	}
	CU_ASSERT_EQUAL(fx.pq->qpair.num_outstanding, 0);
	pcie_fixture_teardown(&fx);
}

static void
test_ring_max_completions(void)
{
	struct pcie_fixture fx;
	int i;

	pcie_fixture_setup(&fx, 8, 16, 0);
	g_num_seen = 0;
	for (i = 0; i < 5; i++) {
		CU_ASSERT_EQUAL(submit(&fx, i), 0);
		device_complete(&fx, fx.pq->sq[i].cid, 0);
	}
	CU_ASSERT_EQUAL(nvme_qpair_process_completions(&fx.pq->qpair, 2), 2);
	CU_ASSERT_EQUAL(pcie_fixture_cq_doorbell(&fx), 2);
	CU_ASSERT_EQUAL(nvme_qpair_process_completions(&fx.pq->qpair, 0), 3);
	CU_ASSERT_EQUAL(pcie_fixture_cq_doorbell(&fx), 5);
	CU_ASSERT_EQUAL(g_num_seen, 5);
	pcie_fixture_teardown(&fx);
}

static void
test_ring_full_queues_in_order(void)
{
	struct pcie_fixture fx;
	int i;

	pcie_fixture_setup(&fx, 4, 8, 0); /* 3 trackers, 8 requests */
	g_num_seen = 0;
	for (i = 0; i < 8; i++) {
		CU_ASSERT_EQUAL(submit(&fx, i), 0);
	}
	/* Pool exhausted: refused, nothing lost. */
	CU_ASSERT_EQUAL(submit(&fx, 99), -ENOMEM);
	CU_ASSERT_EQUAL(fx.pq->num_free, 0);
	CU_ASSERT_EQUAL(fx.pq->qpair.num_outstanding, 8);
	while (g_num_seen < 8) {
		uint16_t tail = fx.pq->sq_tail;
		int inflight = 3 - fx.pq->num_free;

		/* Complete everything the device holds, oldest first. */
		for (i = inflight; i > 0; i--) {
			device_complete(&fx, fx.pq->sq[(tail + 4 - i) % 4].cid, 0);
		}
		CU_ASSERT(nvme_qpair_process_completions(&fx.pq->qpair, 0) > 0);
	}
	for (i = 0; i < 8; i++) {
		CU_ASSERT_EQUAL(g_seen[i], i);
	}
	pcie_fixture_teardown(&fx);
}

static void
test_ring_untrusted_cid(void)
{
	struct pcie_fixture fx;

	pcie_fixture_setup(&fx, 4, 8, 0);
	g_num_seen = 0;
	test_log_capture_start();
	CU_ASSERT_EQUAL(submit(&fx, 1), 0);
	device_complete(&fx, 2, 0);    /* tracker 2 is idle */
	device_complete(&fx, 1000, 0); /* no such tracker */
	device_complete(&fx, fx.pq->sq[0].cid, 0);
	CU_ASSERT_EQUAL(nvme_qpair_process_completions(&fx.pq->qpair, 0), 1);
	CU_ASSERT_EQUAL(g_num_seen, 1);
	CU_ASSERT(test_log_contains("command ID 2, which is not outstanding"));
	CU_ASSERT(test_log_contains("command ID 1000, which is not outstanding"));
	/* All three entries were consumed. */
	CU_ASSERT_EQUAL(pcie_fixture_cq_doorbell(&fx), 3);
	pnvme_log_set_handler(NULL);
	pcie_fixture_teardown(&fx);
}

static void
test_ring_abort_exactly_once(void)
{
	struct pcie_fixture fx;
	int i;

	pcie_fixture_setup(&fx, 4, 8, 0);
	g_num_seen = 0;
	for (i = 0; i < 6; i++) {
		CU_ASSERT_EQUAL(submit(&fx, i), 0);
	}
	nvme_qpair_fail(&fx.pq->qpair);
	nvme_qpair_fail(&fx.pq->qpair);
	CU_ASSERT_EQUAL(g_num_seen, 6);
	for (i = 0; i < 6; i++) {
		CU_ASSERT_EQUAL(g_seen_cpl[i].status.sc, PNVME_SC_ABORTED_SQ_DELETION);
		CU_ASSERT_EQUAL(g_seen_cpl[i].status.dnr, 1);
	}
	CU_ASSERT_EQUAL(fx.pq->qpair.num_outstanding, 0);
	CU_ASSERT_EQUAL(nvme_qpair_process_completions(&fx.pq->qpair, 0), -ENXIO);
	CU_ASSERT_EQUAL(submit(&fx, 7), -ENXIO);
	CU_ASSERT_EQUAL(g_num_seen, 6);
	pcie_fixture_teardown(&fx);
}

/* ---------------- probe errors on a scripted bus ---------------- */

static bool
never_probe(void *ctx, const struct pnvme_transport_id *trid, struct pnvme_ctrlr_opts *opts)
{
	(void)trid;
	(void)opts;
	(*(int *)ctx)++;
	return false;
}

static void
add_device(const char *bdf, uint32_t class_id, const char *driver,
	   enum pnvme_pci_driver_kind kind)
{
	struct test_pci_device *d = &g_test_pci_devices[g_test_num_pci_devices++];

	memset(d, 0, sizeof(*d));
	pnvme_pci_addr_parse(&d->info.addr, bdf);
	d->info.id.vendor_id = 0x1b36;
	d->info.id.device_id = 0x0010;
	d->info.id.class_id = class_id;
	strcpy(d->info.driver, driver);
	d->info.driver_kind = kind;
	d->present = true;
}

static void
test_probe_errors(void)
{
	struct pnvme_transport_id trid;
	int offered = 0;

	test_env_reset();
	add_device("0000:00:04.0", PNVME_PCI_CLASS_NVME, "nvme", PNVME_PCI_DRIVER_KERNEL);
	add_device("0000:00:05.0", PNVME_PCI_CLASS_NVME, "", PNVME_PCI_DRIVER_NONE);
	add_device("0000:00:06.0", PNVME_PCI_CLASS_NVME, "vfio-pci", PNVME_PCI_DRIVER_VFIO);
	add_device("0000:00:07.0", 0x020000, "e1000", PNVME_PCI_DRIVER_KERNEL);
	test_log_capture_start();

	pnvme_transport_id_parse(&trid, "trtype:PCIe traddr:0000:00:04.0");
	CU_ASSERT_EQUAL(pnvme_probe(&trid, &offered, never_probe, NULL, NULL), -EBUSY);
	CU_ASSERT(test_log_contains("0000:00:04.0 is bound to the kernel nvme driver; run "
				    "scripts/setup.sh"));
	pnvme_transport_id_parse(&trid, "trtype:PCIe traddr:0000:00:05.0");
	CU_ASSERT_EQUAL(pnvme_probe(&trid, &offered, never_probe, NULL, NULL), -ENXIO);
	CU_ASSERT(test_log_contains("0000:00:05.0 is bound to no driver"));
	pnvme_transport_id_parse(&trid, "trtype:PCIe traddr:0000:00:09.0");
	CU_ASSERT_EQUAL(pnvme_probe(&trid, &offered, never_probe, NULL, NULL), -ENODEV);
	CU_ASSERT(test_log_contains("0000:00:09.0: no such PCI device"));
	pnvme_transport_id_parse(&trid, "trtype:PCIe traddr:0000:00:07.0");
	CU_ASSERT_EQUAL(pnvme_probe(&trid, &offered, never_probe, NULL, NULL), -ENODEV);
	CU_ASSERT(test_log_contains("0000:00:07.0 is not an NVMe controller (PCI class 0x020000)"));
	CU_ASSERT_EQUAL(offered, 0);

	/* Every controller: only the one bound to a userspace driver is offered. */
	CU_ASSERT_EQUAL(pnvme_probe(NULL, &offered, never_probe, NULL, NULL), 0);
	CU_ASSERT_EQUAL(offered, 1);
	CU_ASSERT(test_log_contains("0000:00:04.0 skipped: bound to the kernel nvme driver"));
	pnvme_log_set_handler(NULL);
}

static void
test_quirks_and_status(void)
{
	struct pnvme_pci_id qemu = {0x1b36, 0x0010, 0x1af4, 0x1100, PNVME_PCI_CLASS_NVME};
	struct pnvme_pci_id other = {0x8086, 0x0953, 0x8086, 0x3702, PNVME_PCI_CLASS_NVME};
	struct pnvme_status st = {0};

	CU_ASSERT(nvme_quirks_lookup(&qemu) & NVME_QUIRK_MMIO_MAX_8B);
	CU_ASSERT_EQUAL(nvme_quirks_lookup(&other), 0);

	st.sct = PNVME_SCT_GENERIC;
	st.sc = PNVME_SC_INVALID_FIELD;
	CU_ASSERT_STRING_EQUAL(pnvme_status_string(&st), "INVALID FIELD");
	st.sct = PNVME_SCT_MEDIA_ERROR;
	st.sc = PNVME_SC_COMPARE_FAILURE;
	CU_ASSERT_STRING_EQUAL(pnvme_status_string(&st), "COMPARE FAILURE");
	st.sct = PNVME_SCT_COMMAND_SPECIFIC;
	st.sc = PNVME_SC_INVALID_QUEUE_SIZE;
	CU_ASSERT_STRING_EQUAL(pnvme_status_string(&st), "INVALID QUEUE SIZE");
	st.sc = 0x7e;
	CU_ASSERT_STRING_EQUAL(pnvme_status_string(&st), "UNKNOWN STATUS");
}

int
main(void)
{
	static const struct ut_test tests[] = {
		{"prp_single_page", test_prp_single_page},
		{"prp_two_pages", test_prp_two_pages},
		{"prp_list", test_prp_list},
		{"prp_errors", test_prp_errors},
		{"ring_submit_and_complete", test_ring_submit_and_complete},
		{"ring_max_completions", test_ring_max_completions},
		{"ring_full_queues_in_order", test_ring_full_queues_in_order},
		{"ring_untrusted_cid", test_ring_untrusted_cid},
		{"ring_abort_exactly_once", test_ring_abort_exactly_once},
		{"probe_errors", test_probe_errors},
		{"quirks_and_status", test_quirks_and_status},
		{NULL, NULL},
	};

	return ut_run("pcie", tests);
}
