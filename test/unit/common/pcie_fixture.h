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

#endif
