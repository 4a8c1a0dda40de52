/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A PCIe controller and I/O qpair whose BAR is heap memory: tests read the
 * submission queue and doorbells, and post completions as the device would.
 */
#ifndef PNVME_PCIE_FIXTURE_H
#define PNVME_PCIE_FIXTURE_H

#include "nvme/pcie_internal.h"

struct pcie_fixture {
	struct pcie_ctrlr ctrlr;
	uint8_t *bar;
	struct pcie_qpair *pq; /* qid 1 */
	struct pnvme_ns ns;    /* namespace 1 of the controller */
	uint16_t cq_slot;      /* the device's next CQ slot */
	uint8_t cq_phase;
};

/* @p entries SQ/CQ entries, @p num_reqs requests; flags as the controller's. */
void pcie_fixture_setup(struct pcie_fixture *fx, uint16_t entries, uint32_t num_reqs,
			uint64_t ctrlr_flags);
void pcie_fixture_teardown(struct pcie_fixture *fx);
/* Doorbell values as last written by MMIO. */
uint32_t pcie_fixture_sq_doorbell(struct pcie_fixture *fx);
uint32_t pcie_fixture_cq_doorbell(struct pcie_fixture *fx);
/* The device completes SQ entry @p sq_index with status @p sc. */
void pcie_fixture_complete(struct pcie_fixture *fx, uint16_t sq_index, uint8_t sc);
/* The device posts a completion for command ID @p cid (valid or not). */
void pcie_fixture_complete_cid(struct pcie_fixture *fx, uint16_t cid, uint8_t sc);

/* A controller built by the PCIe transport itself (construct, BAR0 checks,
 * admin queue) over a heap BAR0 on the scripted PCI bus. Admin commands are
 * answered, in order, whenever the admin queue is polled. One at a time. */
struct pcie_test_device {
	uint8_t *bar;
	struct pnvme_ctrlr *ctrlr; /* NULL when construction refused the device */
	/* Answer for each admin opcode (sct, sc; 0/0: success) and a count. */
	uint8_t admin_sct[256];
	uint8_t admin_sc[256];
	uint32_t admin_cdw0[256];
	int admin_count[256];
	uint16_t sq_head;
	uint16_t cq_tail;
	uint8_t phase;
};

/* Build it: BAR0 of @p bar_size bytes holding @p cap; the application asks
 * for @p num_io_queues. Look at d->ctrlr for the outcome. */
void pcie_test_device_create(struct pcie_test_device *d, uint64_t bar_size,
			     union pnvme_cap_register cap, uint32_t num_io_queues);
void pcie_test_device_destroy(struct pcie_test_device *d);
/* A CAP a controller could report: NVM command set, 1024-entry queues. */
union pnvme_cap_register pcie_test_cap(void);

#endif
