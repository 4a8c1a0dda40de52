/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The driver's own cost per I/O on the PCIe path, without a device: 4 KiB
 * reads are submitted to a qpair whose BAR and queues are heap memory, a
 * loop posts their completions as the device would, and the qpair reaps
 * them. Run under an instruction counter that collects only inside
 * pnvme_ns_cmd_read() and pnvme_qpair_process_completions() (see
 * scripts/bench.sh) to get instructions per I/O; the posting loop is
 * outside both and so is not counted.
 *
 *   pnvme_pcie_path_cost DEPTH IOS [shadow]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcie_fixture.h"

static unsigned long g_completed;

static void
io_done(void *arg, const struct pnvme_cpl *cpl)
{
	(void)arg;
	if (!pnvme_cpl_is_error(cpl)) {
		g_completed++;
	}
}

int
main(int argc, char **argv)
{
	uint32_t shadow[4] = {0}, eventidx[4] = {0};
	struct pcie_fixture fx;
	unsigned long depth, ios, submitted = 0, i;
	uint64_t lba = 0;
	void *buf;

	if (argc < 3 || (depth = strtoul(argv[1], NULL, 10)) == 0 || depth > 255 ||
	    (ios = strtoul(argv[2], NULL, 10)) == 0) {
		fprintf(stderr, "usage: %s DEPTH(1-255) IOS [shadow]\n", argv[0]);
		return 2;
	}
	/* First allocation: the test environment finds it first when translating. */
	buf = pnvme_dma_zmalloc(4096, 4096, NULL);
	pcie_fixture_setup(&fx, 256, 256, 0);
	if (argc > 3 && strcmp(argv[3], "shadow") == 0) {
		/* The device publishes the last tail/head it saw as the event index,
		 * as QEMU's controller does: the first doorbell of a batch is MMIO. */
		fx.pq->shadow_sq_tdbl = &shadow[0];
		fx.pq->shadow_cq_hdbl = &shadow[1];
		fx.pq->sq_eventidx = &eventidx[0];
		fx.pq->cq_eventidx = &eventidx[1];
	}
	while (g_completed < ios) {
		for (i = 0; i < depth && submitted < ios; i++, submitted++) {
			lba = (lba * 6364136223846793005ull + 1442695040888963407ull) >> 44;
			if (pnvme_ns_cmd_read(&fx.ns, &fx.pq->qpair, buf, lba, 8, io_done, NULL, 0) !=
			    0) {
				fprintf(stderr, "submission failed\n");
				return 1;
			}
		}
		/* The device: complete everything submitted, in order. */
		while (fx.cq_slot != fx.pq->sq_tail) {
			pcie_fixture_complete(&fx, fx.cq_slot, 0);
		}
		pnvme_qpair_process_completions(&fx.pq->qpair, 0);
		eventidx[0] = shadow[0];
		eventidx[1] = shadow[1];
	}
	printf("ios %lu depth %lu sq_mmio %llu cq_mmio %llu\n", g_completed, depth,
	       (unsigned long long)fx.pq->sq_mmio_writes, (unsigned long long)fx.pq->cq_mmio_writes);
	pcie_fixture_teardown(&fx);
	pnvme_dma_free(buf);
	return 0;
}
