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

/* The device posts a completion for @p cid, then the test spoils a field
 * of it; the fixture keeps the slot and phase. */
enum cpl_fault { CPL_IDLE_CID, CPL_NO_SUCH_CID, CPL_SQHD, CPL_SQID };

static void
check_bad_completion(enum cpl_fault fault, const char *expect)
{
	struct pcie_fixture fx;
	struct pnvme_cpl *cpl;
	int i;

	pcie_fixture_setup(&fx, 4, 8, 0);
	g_num_seen = 0;
	CU_ASSERT_EQUAL(submit(&fx, 1), 0);
	CU_ASSERT_EQUAL(submit(&fx, 2), 0);
	CU_ASSERT_EQUAL(submit(&fx, 3), 0);
	device_complete(&fx, fx.pq->sq[0].cid, 0); /* a good one first */
	device_complete(&fx, fx.pq->sq[1].cid, 0);
	cpl = &fx.pq->cq[1];
	switch (fault) {
	case CPL_IDLE_CID:
		cpl->cid = 0; /* tracker 0's request completes just before */
		break;
	case CPL_NO_SUCH_CID:
		cpl->cid = 1000;
		break;
	case CPL_SQHD:
		cpl->sqhd = 4; /* the ring has entries 0-3 */
		break;
	case CPL_SQID:
		cpl->sqid = 2;
		break;
	}
	test_log_capture_start();
	/* The good completion is delivered; the bad one fails the controller
	 * and every request still outstanding completes once, aborted. */
	CU_ASSERT_EQUAL(nvme_qpair_process_completions(&fx.pq->qpair, 0), -ENXIO);
	CU_ASSERT(pnvme_ctrlr_is_failed(&fx.ctrlr.ctrlr));
	CU_ASSERT(fx.pq->qpair.failed);
	CU_ASSERT_EQUAL(g_num_seen, 3);
	CU_ASSERT_EQUAL(g_seen[0], 1);
	CU_ASSERT_EQUAL(g_seen_cpl[0].status.sc, 0);
	for (i = 1; i < g_num_seen; i++) {
		CU_ASSERT_EQUAL(g_seen_cpl[i].status.sc, PNVME_SC_ABORTED_SQ_DELETION);
		CU_ASSERT_EQUAL(g_seen_cpl[i].status.dnr, 1);
	}
	CU_ASSERT_EQUAL(fx.pq->qpair.num_outstanding, 0);
	CU_ASSERT(test_log_contains(expect));
	CU_ASSERT_EQUAL(test_log_lines(), 1);
	CU_ASSERT_EQUAL(nvme_qpair_process_completions(&fx.pq->qpair, 0), -ENXIO);
	CU_ASSERT_EQUAL(g_num_seen, 3);
	pnvme_log_set_handler(NULL);
	pcie_fixture_teardown(&fx);
}

static void
test_ring_untrusted_cid(void)
{
	check_bad_completion(CPL_IDLE_CID, "controller failed: qpair 1: completion for command "
					   "ID 0, which is not outstanding");
	check_bad_completion(CPL_NO_SUCH_CID, "controller failed: qpair 1: completion for "
					      "command ID 1000, which is not outstanding");
}

static void
test_ring_untrusted_sqhd_sqid(void)
{
	check_bad_completion(CPL_SQHD, "controller failed: qpair 1: completion SQ head 4 is "
				       "outside the 4-entry queue");
	check_bad_completion(CPL_SQID, "controller failed: qpair 1: completion names SQ ID 2");
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

/* ---------------- CAP and BAR0, as the transport reads them ---------------- */

static void
test_dstrd_admin_doorbells_outside_bar_refused(void)
{
	union pnvme_cap_register cap = pcie_test_cap();
	struct pcie_test_device d;

	test_log_capture_start();
	cap.bits.dstrd = 10; /* 4 KiB stride: CQ 0's doorbell at 2000h */
	pcie_test_device_create(&d, 0x2000, cap, 4);
	CU_ASSERT_PTR_NULL(d.ctrlr);
	CU_ASSERT(test_log_contains("0000:00:0a.0: CAP.DSTRD 10 (doorbell stride 4096 bytes) puts "
				    "the admin doorbells outside the 8192-byte BAR0"));
	pcie_test_device_destroy(&d);
	pnvme_log_set_handler(NULL);
}

/* An I/O qpair allocated and created on the device, as
 * pnvme_ctrlr_alloc_io_qpair does it (without the queue ID bookkeeping). */
static struct pnvme_qpair *
test_io_qpair_create(struct pnvme_ctrlr *ctrlr, uint16_t qid,
		     const struct pnvme_io_qpair_opts *opts)
{
	struct pnvme_qpair *qpair = g_nvme_pcie_ops.io_qpair_alloc(ctrlr, qid, opts);

	if (qpair != NULL && g_nvme_pcie_ops.qpair_connect(qpair) != 0) {
		nvme_qpair_disconnect(qpair);
		g_nvme_pcie_ops.io_qpair_free(qpair);
		qpair = NULL;
	}
	return qpair;
}

static void
test_io_qpair_destroy(struct pnvme_qpair *qpair)
{
	nvme_qpair_disconnect(qpair);
	g_nvme_pcie_ops.io_qpair_free(qpair);
}

static void
test_dstrd_limits_io_queues_to_bar(void)
{
	union pnvme_cap_register cap = pcie_test_cap();
	struct pnvme_io_qpair_opts opts;
	struct pcie_test_device d;
	struct pcie_ctrlr *p;

	test_log_capture_start();
	/* 4 KiB of doorbells at 4 bytes: CQ 511's is the last that fits. */
	pcie_test_device_create(&d, 0x2000, cap, 1024);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d.ctrlr);
	p = pcie_ctrlr(d.ctrlr);
	CU_ASSERT_EQUAL(d.ctrlr->opts.num_io_queues, 511);
	CU_ASSERT_EQUAL(p->max_io_qid, 511);
	CU_ASSERT(test_log_contains("BAR0 (8192 bytes) holds doorbells for 511 I/O queues at "
				    "CAP.DSTRD 0"));
	/* A queue ID past them is never created (no MMIO outside BAR0). */
	pnvme_ctrlr_get_default_io_qpair_opts(d.ctrlr, &opts, sizeof(opts));
	opts.io_queue_size = 4;
	CU_ASSERT_PTR_NULL(test_io_qpair_create(d.ctrlr, 512, &opts));
	CU_ASSERT(test_log_contains("queue ID 512 has no doorbells inside BAR0"));
	CU_ASSERT_EQUAL(d.admin_count[PNVME_OPC_CREATE_IO_CQ], 0);
	/* CAP.MQES FFFFh allows 65536 entries: more than a PCIe SQ holds in one
	 * hugepage, refused with a line rather than wrapped to 16 bits. */
	opts.io_queue_size = 65536;
	CU_ASSERT_PTR_NULL(test_io_qpair_create(d.ctrlr, 1, &opts));
	CU_ASSERT(test_log_contains("queue size 65536 is above the 32768 entries"));
	CU_ASSERT_EQUAL(d.admin_count[PNVME_OPC_CREATE_IO_CQ], 0);
	pcie_test_device_destroy(&d);

	/* 16 KiB BAR, 4 KiB stride: the admin queue only. */
	cap.bits.dstrd = 10;
	pcie_test_device_create(&d, 0x4000, cap, 64);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d.ctrlr);
	CU_ASSERT_EQUAL(d.ctrlr->opts.num_io_queues, 0);
	CU_ASSERT_PTR_NULL(test_io_qpair_create(d.ctrlr, 1, &opts));
	pcie_test_device_destroy(&d);
	pnvme_log_set_handler(NULL);
}

/* [start, end) of the DMA allocation holding @p buf. */
static bool
inside_allocation(const void *base, const volatile void *slot, size_t len)
{
	uint64_t left = UINT64_MAX;

	if (pnvme_vtophys(base, &left) == PNVME_VTOPHYS_ERROR) {
		return false;
	}
	return (const uint8_t *)slot >= (const uint8_t *)base &&
	       (const uint8_t *)slot + len <= (const uint8_t *)base + left;
}

static void
test_shadow_doorbells_cover_every_queue(void)
{
	union pnvme_cap_register cap = pcie_test_cap();
	struct pnvme_io_qpair_opts opts;
	struct pcie_test_device d;
	struct pnvme_qpair *qpair;
	struct pcie_qpair *pq;
	struct pcie_ctrlr *p;

	pcie_test_device_create(&d, 0x4000, cap, 1024);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d.ctrlr);
	p = pcie_ctrlr(d.ctrlr);
	d.ctrlr->page_size = 4096; /* as bring-up programs it */
	d.ctrlr->num_io_queues = 1024; /* as granted */
	d.ctrlr->flags = PNVME_CTRLR_SHADOW_DOORBELL;
	CU_ASSERT_EQUAL(g_nvme_pcie_ops.ctrlr_ready(d.ctrlr), 0);
	CU_ASSERT_EQUAL(d.admin_count[PNVME_OPC_DOORBELL_BUFFER_CONFIG], 1);
	CU_ASSERT(d.ctrlr->flags & PNVME_CTRLR_SHADOW_DOORBELL);
	pnvme_ctrlr_get_default_io_qpair_opts(d.ctrlr, &opts, sizeof(opts));
	opts.io_queue_size = 4;
	/* Queue 1000's slots lie 8000 bytes in: past a single 4 KiB page. */
	qpair = test_io_qpair_create(d.ctrlr, 1000, &opts);
	CU_ASSERT_PTR_NOT_NULL_FATAL(qpair);
	pq = pcie_qpair(qpair);
	CU_ASSERT(inside_allocation(p->shadow_doorbells, pq->shadow_sq_tdbl, 4));
	CU_ASSERT(inside_allocation(p->shadow_doorbells, pq->shadow_cq_hdbl, 4));
	CU_ASSERT(inside_allocation(p->eventidx, pq->sq_eventidx, 4));
	CU_ASSERT(inside_allocation(p->eventidx, pq->cq_eventidx, 4));
	test_io_qpair_destroy(qpair);
	CU_ASSERT_EQUAL(d.admin_count[PNVME_OPC_DELETE_IO_SQ], 1);
	CU_ASSERT_EQUAL(d.admin_count[PNVME_OPC_DELETE_IO_CQ], 1);
	pcie_test_device_destroy(&d);

	/* 1 KiB stride, 1024 queues: 2 MiB and more, not one contiguous
	 * buffer: MMIO doorbells, not a buffer too small. */
	test_log_capture_start();
	cap.bits.dstrd = 8;
	pcie_test_device_create(&d, 0x1000 + 2050 * 1024, cap, 1024);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d.ctrlr);
	d.ctrlr->page_size = 4096;
	d.ctrlr->num_io_queues = 1024;
	d.ctrlr->flags = PNVME_CTRLR_SHADOW_DOORBELL;
	CU_ASSERT_EQUAL(g_nvme_pcie_ops.ctrlr_ready(d.ctrlr), 0);
	CU_ASSERT_FALSE(d.ctrlr->flags & PNVME_CTRLR_SHADOW_DOORBELL);
	CU_ASSERT_EQUAL(d.admin_count[PNVME_OPC_DOORBELL_BUFFER_CONFIG], 0);
	CU_ASSERT(test_log_contains("using MMIO doorbells"));
	pcie_test_device_destroy(&d);
	pnvme_log_set_handler(NULL);
}

static void
test_cap_mqes_and_page_size_bounds(void)
{
	union pnvme_cap_register cap = pcie_test_cap();
	struct pcie_test_device d;

	test_log_capture_start();
	cap.bits.mqes = 0;
	pcie_test_device_create(&d, 0x2000, cap, 4);
	CU_ASSERT_PTR_NULL(d.ctrlr);
	CU_ASSERT(test_log_contains("CAP.MQES 0 is invalid: a queue needs at least 2 entries"));
	pcie_test_device_destroy(&d);

	cap = pcie_test_cap();
	cap.bits.mpsmin = 2;
	cap.bits.mpsmax = 1;
	pcie_test_device_create(&d, 0x2000, cap, 4);
	CU_ASSERT_PTR_NULL(d.ctrlr);
	CU_ASSERT(test_log_contains("CAP.MPSMIN 2 > CAP.MPSMAX 1"));
	pcie_test_device_destroy(&d);

	cap = pcie_test_cap();
	cap.bits.mpsmin = 10; /* 4 MiB pages */
	cap.bits.mpsmax = 10;
	pcie_test_device_create(&d, 0x2000, cap, 4);
	CU_ASSERT_PTR_NULL(d.ctrlr);
	CU_ASSERT(test_log_contains("CAP.MPSMIN 10 asks for 4096 KiB memory pages; pnvme supports "
				    "up to 2048 KiB"));
	pcie_test_device_destroy(&d);
	pnvme_log_set_handler(NULL);
}

static void
test_queues_aligned_to_device_page(void)
{
	union pnvme_cap_register cap = pcie_test_cap();
	struct pnvme_io_qpair_opts opts;
	struct pnvme_qpair *qpairs[6];
	struct pcie_test_device d;
	struct pcie_ctrlr *p;
	uint16_t qid;

	cap.bits.mpsmin = 1; /* the device takes 8 KiB pages at least */
	cap.bits.mpsmax = 2;
	pcie_test_device_create(&d, 0x2000, cap, 8);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d.ctrlr);
	p = pcie_ctrlr(d.ctrlr);
	CU_ASSERT_EQUAL(d.ctrlr->page_size, 8192);
	CU_ASSERT_EQUAL(p->adminq.page_size, 8192);
	CU_ASSERT_EQUAL(p->adminq.sq_iova % 8192, 0);
	CU_ASSERT_EQUAL(p->adminq.cq_iova % 8192, 0);
	pnvme_ctrlr_get_default_io_qpair_opts(d.ctrlr, &opts, sizeof(opts));
	opts.io_queue_size = 2; /* 128-byte SQ, 32-byte CQ: far below a page */
	for (qid = 1; qid <= 6; qid++) {
		qpairs[qid - 1] = test_io_qpair_create(d.ctrlr, qid, &opts);
		CU_ASSERT_PTR_NOT_NULL_FATAL(qpairs[qid - 1]);
		CU_ASSERT_EQUAL(pcie_qpair(qpairs[qid - 1])->page_size, 8192);
		CU_ASSERT_EQUAL(pcie_qpair(qpairs[qid - 1])->sq_iova % 8192, 0);
		CU_ASSERT_EQUAL(pcie_qpair(qpairs[qid - 1])->cq_iova % 8192, 0);
	}
	for (qid = 1; qid <= 6; qid++) {
		test_io_qpair_destroy(qpairs[qid - 1]);
	}
	pcie_test_device_destroy(&d);
}

static void
test_cap_change_before_enable_refused(void)
{
	struct pcie_test_device d;

	test_log_capture_start();
	pcie_test_device_create(&d, 0x2000, pcie_test_cap(), 4);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d.ctrlr);
	/* Bring-up read CAP again and got another stride. */
	d.ctrlr->cap.bits.dstrd = 1;
	CU_ASSERT_EQUAL(g_nvme_pcie_ops.ctrlr_enable(d.ctrlr), -EINVAL);
	CU_ASSERT(test_log_contains("CAP changed since BAR0 was mapped"));
	d.ctrlr->cap.bits.dstrd = 0;
	CU_ASSERT_EQUAL(g_nvme_pcie_ops.ctrlr_enable(d.ctrlr), 0);
	pcie_test_device_destroy(&d);
	pnvme_log_set_handler(NULL);
}

static void
test_delete_sq_refused_keeps_memory(void)
{
	struct pnvme_io_qpair_opts opts;
	struct pcie_test_device d;
	struct pnvme_qpair *qpair;
	struct pcie_qpair *pq;
	void *sq, *cq, *trackers;
	int i;

	pcie_test_device_create(&d, 0x2000, pcie_test_cap(), 4);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d.ctrlr);
	pnvme_ctrlr_get_default_io_qpair_opts(d.ctrlr, &opts, sizeof(opts));
	opts.io_queue_size = 8;
	qpair = test_io_qpair_create(d.ctrlr, 1, &opts);
	CU_ASSERT_PTR_NOT_NULL_FATAL(qpair);
	pq = pcie_qpair(qpair);
	g_num_seen = 0;
	for (i = 0; i < 2; i++) {
		struct nvme_request *req = nvme_qpair_alloc_request(qpair, record_cb,
								    (void *)(intptr_t)i);

		memset(&req->cmd, 0, sizeof(req->cmd));
		req->cmd.opc = PNVME_OPC_FLUSH;
		CU_ASSERT_EQUAL(nvme_qpair_submit_request(qpair, req), 0);
	}
	sq = pq->sq;
	cq = pq->cq;
	trackers = pq->trackers;

	test_log_capture_start();
	d.admin_sct[PNVME_OPC_DELETE_IO_SQ] = PNVME_SCT_COMMAND_SPECIFIC;
	d.admin_sc[PNVME_OPC_DELETE_IO_SQ] = PNVME_SC_INVALID_QUEUE_IDENTIFIER;
	test_io_qpair_destroy(qpair);
	/* The device kept a queue it was told to drop: it is not trusted with
	 * anything any more, and it may still DMA into that queue's memory. */
	CU_ASSERT(pnvme_ctrlr_is_failed(d.ctrlr));
	CU_ASSERT_EQUAL(g_num_seen, 2);
	for (i = 0; i < g_num_seen; i++) {
		CU_ASSERT_EQUAL(g_seen_cpl[i].status.sc, PNVME_SC_ABORTED_SQ_DELETION);
	}
	CU_ASSERT(test_log_contains("0000:00:0a.0: controller failed: Delete I/O SQ 1 failed: "
				    "INVALID QUEUE IDENTIFIER (sct 1, sc 0x01); its memory is kept"));
	CU_ASSERT_EQUAL(test_log_lines(), 1);
	CU_ASSERT_EQUAL(d.admin_count[PNVME_OPC_DELETE_IO_CQ], 0);
	CU_ASSERT_NOT_EQUAL(pnvme_vtophys(sq, NULL), PNVME_VTOPHYS_ERROR);
	CU_ASSERT_NOT_EQUAL(pnvme_vtophys(cq, NULL), PNVME_VTOPHYS_ERROR);
	CU_ASSERT_NOT_EQUAL(pnvme_vtophys(trackers, NULL), PNVME_VTOPHYS_ERROR);
	if (pnvme_vtophys(sq, NULL) != PNVME_VTOPHYS_ERROR) {
		/* The test knows the device is gone: give the memory back. */
		pnvme_dma_free(sq);
		pnvme_dma_free(cq);
		pnvme_dma_free(trackers);
	}
	pcie_test_device_destroy(&d);
	pnvme_log_set_handler(NULL);
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
		{"ring_untrusted_sqhd_sqid", test_ring_untrusted_sqhd_sqid},
		{"ring_abort_exactly_once", test_ring_abort_exactly_once},
		{"probe_errors", test_probe_errors},
		{"quirks_and_status", test_quirks_and_status},
		{"dstrd_admin_doorbells_outside_bar_refused",
		 test_dstrd_admin_doorbells_outside_bar_refused},
		{"dstrd_limits_io_queues_to_bar", test_dstrd_limits_io_queues_to_bar},
		{"shadow_doorbells_cover_every_queue", test_shadow_doorbells_cover_every_queue},
		{"cap_mqes_and_page_size_bounds", test_cap_mqes_and_page_size_bounds},
		{"queues_aligned_to_device_page", test_queues_aligned_to_device_page},
		{"cap_change_before_enable_refused", test_cap_change_before_enable_refused},
		{"delete_sq_refused_keeps_memory", test_delete_sq_refused_keeps_memory},
		{NULL, NULL},
	};

	return ut_run("pcie", tests);
}
