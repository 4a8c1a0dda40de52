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

/* SGL descriptors that fit in the same space. */
#define PCIE_SGL_ENTRIES (PCIE_PRP_LIST_ENTRIES * 8 / 16)

/* Largest memory page size (CC.MPS) the transport programs: queue memory
 * aligned to it must stay inside one 2 MiB hugepage to be contiguous. */
#define PCIE_MAX_PAGE_SIZE (2u << 20)
/* Most entries a queue takes: its 64-byte SQ must fit one 2 MiB hugepage
 * (CAP.MQES may allow up to 65536). */
#define PCIE_MAX_QUEUE_ENTRIES (PCIE_MAX_PAGE_SIZE / 64u)

/* Per-command state kept while the device owns the command. */
struct pcie_tracker {
	union {
		uint64_t prp_list[PCIE_PRP_LIST_ENTRIES];
		struct pnvme_sgl_descriptor sgl[PCIE_SGL_ENTRIES];
	};
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
	uint8_t phase;
	/* Ring the SQ doorbell once per poll instead of per command. */
	bool delay_doorbell;
	bool sq_doorbell_pending;
	/* Vectored payloads go out as SGLs (I/O queues of SGL controllers). */
	bool use_sgl;
	/* Created on the device (an I/O queue) in its association. */
	bool on_device;
	/* The device was not seen letting go of the rings: never reuse or
	 * free them. */
	bool device_may_own;
	uint8_t qprio;
	uint32_t page_size;
	/* Shadow doorbells and event indexes (Doorbell Buffer Config), or NULL. */
	volatile uint32_t *shadow_sq_tdbl;
	volatile uint32_t *shadow_cq_hdbl;
	volatile uint32_t *sq_eventidx;
	volatile uint32_t *cq_eventidx;
	/* Counters for benchmarks and tests: MMIO doorbell writes. */
	uint64_t sq_mmio_writes;
	uint64_t cq_mmio_writes;
	uint64_t sq_iova;
	uint64_t cq_iova;
};

struct pcie_ctrlr {
	struct pnvme_ctrlr ctrlr;
	struct pnvme_pci_device *dev;
	/* Doorbell Buffer Config buffers, or NULL when not in use; each holds
	 * the two slots of queues 0..shadow_max_qid at the doorbell stride. */
	uint32_t *shadow_doorbells;
	uint32_t *eventidx;
	uint32_t shadow_max_qid;
	uint64_t shadow_size;
	uint64_t shadow_iova;
	uint64_t eventidx_iova;
	volatile uint8_t *regs;
	uint64_t regs_size;
	/* CAP as read when BAR0 was mapped: the stride, page size and admin
	 * queue size below were derived from it. */
	union pnvme_cap_register mapped_cap;
	uint32_t doorbell_stride; /* bytes */
	uint32_t max_io_qid;      /* highest queue ID whose doorbells lie in BAR0 */
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

/* Zeroed DMA memory the device reaches with one pointer: IOVA-contiguous and
 * aligned to at least @p align (a power of two). NULL (logged) otherwise. */
void *pcie_contig_zmalloc(size_t size, size_t align, uint64_t *iova);

int pcie_qpair_construct(struct pcie_qpair *pq, struct pnvme_ctrlr *ctrlr, uint16_t qid,
			 uint16_t num_entries, uint32_t num_reqs);
void pcie_qpair_destruct(struct pcie_qpair *pq);
/* Leave the rings and trackers allocated for good: the device may still own
 * them (a queue it did not confirm deleted). pcie_qpair_destruct frees the rest. */
void pcie_qpair_keep_dma_memory(struct pcie_qpair *pq);
/* Empty both rings (before the controller is pointed at them). */
void pcie_qpair_reset(struct pcie_qpair *pq);
/* Publish sq_tail to the device (shadow doorbell rules apply). */
void pcie_qpair_ring_sq_doorbell(struct pcie_qpair *pq);
int pcie_qpair_submit_request(struct pnvme_qpair *qpair, struct nvme_request *req);
int32_t pcie_qpair_process_completions(struct pnvme_qpair *qpair, uint32_t max);
void pcie_qpair_abort_reqs(struct pnvme_qpair *qpair);
void pcie_qpair_get_stats(struct pnvme_qpair *qpair, struct pnvme_qpair_stats *stats);

/* The data of one command: a buffer, or @p len bytes of @p iov from @p offset. */
struct pcie_payload {
	void *buf;
	const struct iovec *iov;
	uint16_t iovcnt;
	uint32_t offset;
	uint32_t len;
};

/* Describe the payload with PRP1/PRP2 (and the tracker's list). */
int pcie_build_prps(struct pcie_tracker *tr, struct pnvme_cmd *cmd,
		    const struct pcie_payload *payload, uint32_t page_size);
/* Describe the payload with an SGL (in the command, or a segment in the tracker). */
int pcie_build_sgl(struct pcie_tracker *tr, struct pnvme_cmd *cmd,
		   const struct pcie_payload *payload);

#endif /* PNVME_PCIE_INTERNAL_H */
