/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private structures of the PCIe transport.
 */
#ifndef PNVME_PCIE_INTERNAL_H
#define PNVME_PCIE_INTERNAL_H

#include "nvme/nvme_internal.h"

/* PRP list entries held by one tracker: with the list first in a 4 KiB,
 * 4 KiB-aligned tracker, the list never crosses a page. */
#define PCIE_PRP_LIST_ENTRIES 503

/* Per-command state kept while the device owns the command. */
struct pcie_tracker {
	uint64_t prp_list[PCIE_PRP_LIST_ENTRIES];
	struct nvme_request *req;
	uint64_t prp_list_iova;
	uint16_t cid;
} __attribute__((aligned(4096)));
_Static_assert(sizeof(struct pcie_tracker) == 4096, "tracker is one page");

struct pcie_qpair {
	struct pnvme_qpair qpair;
	/* Hot fields first. */
	struct pnvme_cmd *sq;
	struct pnvme_cpl *cq;
	volatile uint32_t *sq_tdbl;
	volatile uint32_t *cq_hdbl;
	struct pcie_tracker *trackers;
	uint16_t *free_cids; /* stack of free tracker indexes */
	uint16_t num_free;
	uint16_t num_trackers; /* num_entries - 1: a full SQ keeps one slot empty */
	uint16_t num_entries;
	uint16_t sq_tail;
	uint16_t cq_head;
	uint16_t sq_head;
	uint8_t phase;
	uint32_t page_size;
	uint64_t sq_iova;
	uint64_t cq_iova;
};

struct pcie_ctrlr {
	struct pnvme_ctrlr ctrlr;
	struct pnvme_pci_device *dev;
	volatile uint8_t *regs;
	uint64_t regs_size;
	uint32_t doorbell_stride; /* bytes */
	struct pnvme_pci_id pci_id;
	struct pcie_qpair adminq;
};

static inline struct pcie_ctrlr *
pcie_ctrlr(struct pnvme_ctrlr *ctrlr)
{
	return (struct pcie_ctrlr *)ctrlr;
}

static inline struct pcie_qpair *
pcie_qpair(struct pnvme_qpair *qpair)
{
	return (struct pcie_qpair *)qpair;
}

extern const struct nvme_transport_ops g_nvme_pcie_ops;

int pcie_qpair_construct(struct pcie_qpair *pq, struct pnvme_ctrlr *ctrlr, uint16_t qid,
			 uint16_t num_entries, uint32_t num_reqs);
void pcie_qpair_destruct(struct pcie_qpair *pq);
/* Empty both rings (before the controller is pointed at them). */
void pcie_qpair_reset(struct pcie_qpair *pq);
int pcie_qpair_submit_request(struct pnvme_qpair *qpair, struct nvme_request *req);
int32_t pcie_qpair_process_completions(struct pnvme_qpair *qpair, uint32_t max);
void pcie_qpair_abort_reqs(struct pnvme_qpair *qpair);

/* Describe @p len bytes at @p buf with PRP1/PRP2 (and the tracker's list). */
int pcie_build_prps(struct pcie_tracker *tr, struct pnvme_cmd *cmd, void *buf, uint32_t len,
		    uint32_t page_size);

#endif /* PNVME_PCIE_INTERNAL_H */
