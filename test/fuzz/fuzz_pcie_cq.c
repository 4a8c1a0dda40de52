/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * PCIe completion processing. The input picks a queue pair: an I/O qpair
 * of the unit tests' PCIe fixture (heap BAR, 4-byte doorbell stride), or
 * the admin qpair of a controller the PCIe transport maps from a scripted
 * PCI device whose BAR size and CAP register (MQES, DSTRD, ...) come from
 * the input. Then a script: the host submits commands (contiguous,
 * vectored, misaligned or untranslatable buffers) and polls; the device
 * posts completions with any command ID, SQ head, status and phase, or
 * writes raw bytes into completion slots.
 *
 * After every step: every command completes exactly once (an error after
 * the qpair failed), free + busy trackers = trackers, ring indexes and the
 * doorbell values written stay inside the rings, doorbells lie inside BAR0.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "fuzz_input.h"
#include "pcie_fixture.h"
#include "req_tracker.h"
#include "test_env.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_STEPS 256
#define MAX_ENTRIES 16
#define MAX_DATA_LEN (3u * 4096)

enum op {
	OP_SUBMIT,
	OP_SUBMIT_AGAIN,
	OP_POST_CQE,
	OP_POST_CQE_AGAIN,
	OP_POST_RAW,
	OP_POLL,
	OP_POLL_AGAIN,
	OP_TOGGLE_DELAY,
	OP_FAIL,
	OP_COUNT,
};

struct harness {
	struct fuzz_input in;
	bool mapped; /* the admin qpair of a mapped controller, not the fixture */
	struct pcie_fixture fx;
	struct pnvme_ctrlr *ctrlr;
	uint8_t *bar;
	uint64_t bar_size;
	struct pcie_qpair *pq;
	/* The device's side of the completion queue. */
	uint16_t cq_tail;
	uint8_t cq_phase;
	struct req_tracker tracker;
};

static struct harness g_h;

/* ---------------------------------------------------------------- */
/* Invariants                                                        */
/* ---------------------------------------------------------------- */

FUZZ_NO_COVERAGE static void
check_doorbell(const struct harness *h, volatile uint32_t *db, const char *name)
{
	const uint8_t *p = (const uint8_t *)db;

	FUZZ_CHECK(p >= h->bar && p + 4 <= h->bar + h->bar_size,
		   "%s doorbell at BAR0 offset 0x%llx, outside the %llu-byte BAR", name,
		   (unsigned long long)(p - h->bar), (unsigned long long)h->bar_size);
	FUZZ_CHECK(*db < h->pq->num_entries, "%s doorbell value %u with %u entries", name, *db,
		   h->pq->num_entries);
}

FUZZ_NO_COVERAGE static void
check_invariants(struct harness *h)
{
	struct pcie_qpair *pq = h->pq;
	bool free_seen[MAX_ENTRIES] = {false};
	uint32_t i, busy = 0;

	for (i = 0; i < pq->num_trackers; i++) {
		const struct nvme_request *req = pq->trackers[i].req;

		FUZZ_CHECK(pq->trackers[i].cid == i, "tracker %u has command ID %u", i,
			   pq->trackers[i].cid);
		if (req == NULL) {
			continue;
		}
		busy++;
		if (req->cb_fn == req_tracker_cb) {
			const struct req_token *tok = req->cb_arg;

			FUZZ_CHECK(tok->state == REQ_TOKEN_OUTSTANDING,
				   "tracker %u holds token %u, which is no longer outstanding", i,
				   tok->index);
		}
	}
	FUZZ_CHECK(pq->num_free + busy == pq->num_trackers,
		   "free trackers %u + busy %u != %u trackers", pq->num_free, busy,
		   pq->num_trackers);
	for (i = 0; i < pq->num_free; i++) {
		uint16_t cid = pq->free_cids[i];

		FUZZ_CHECK(cid < pq->num_trackers, "free command ID %u out of range", cid);
		FUZZ_CHECK(!free_seen[cid], "command ID %u is free twice", cid);
		FUZZ_CHECK(pq->trackers[cid].req == NULL, "free command ID %u is busy", cid);
		free_seen[cid] = true;
	}
	FUZZ_CHECK(pq->sq_tail < pq->num_entries && pq->cq_head < pq->num_entries,
		   "SQ tail %u / CQ head %u with %u entries", pq->sq_tail, pq->cq_head,
		   pq->num_entries);
	FUZZ_CHECK(pq->phase <= 1, "phase %u", pq->phase);
	check_doorbell(h, pq->sq_tdbl, "SQ tail");
	check_doorbell(h, pq->cq_hdbl, "CQ head");
	if (pq->qpair.failed) {
		FUZZ_CHECK(busy == 0, "failed qpair still has %u busy trackers", busy);
	}
	req_tracker_check(&h->tracker);
}

/* ---------------------------------------------------------------- */
/* Host                                                              */
/* ---------------------------------------------------------------- */

static void
host_submit(struct harness *h)
{
	static const uint8_t opcodes[] = {PNVME_OPC_READ, PNVME_OPC_WRITE, PNVME_OPC_FLUSH,
					  PNVME_OPC_COMPARE};
	struct req_token *tok = req_tracker_new(&h->tracker);
	uint8_t shape = fuzz_u8(&h->in);
	uint32_t len = (shape & 3) == 0 ? 0 : fuzz_range(&h->in, 1, MAX_DATA_LEN);
	uint32_t off = (shape & 4) ? fuzz_range(&h->in, 1, 4095) : 0, left, piece;
	struct nvme_request *req;
	uint8_t *buf;
	int i, pieces;

	if (tok == NULL || (req = req_token_request(tok)) == NULL) {
		return;
	}
	req->cmd.opc = opcodes[(shape >> 3) & 3];
	req->cmd.nsid = 1;
	/* Fused pairs held back and sent together (the reserved value 3 is
	 * an API misuse case, not completion processing: left out). */
	req->cmd.fuse = (shape & 0x80) ? fuzz_u8(&h->in) % 3 : 0;
	if (len > 0 && !(shape & 0x20)) {
		buf = req_token_alloc(tok, len + off);
		/* Memory the test environment cannot translate, now and then. */
		req->payload = (shape & 0x40) ? (void *)&h->fx : buf + off;
	} else if (len > 0) {
		pieces = 1 + fuzz_u8(&h->in) % REQ_TOKEN_MAX_BUFS;
		for (i = 0, left = len; i < pieces && left > 0; i++) {
			piece = i == pieces - 1 ? left : fuzz_range(&h->in, 1, left);
			req_token_alloc(tok, piece + (i == 0 ? off : 0));
			left -= piece;
		}
		req->iov = tok->iov;
		req->iovcnt = (uint16_t)tok->nbufs;
		req->payload_offset = off;
	}
	req->payload_size = len;
	(void)req_tracker_submit(tok, req);
}

static void
host_poll(struct harness *h)
{
	uint32_t max = fuzz_u8(&h->in) % 4;
	unsigned int outstanding = h->tracker.outstanding;
	int32_t rc = nvme_qpair_process_completions(&h->pq->qpair, max);

	if (rc < 0) {
		FUZZ_CHECK(rc == -ENXIO && h->pq->qpair.failed, "poll returned %d", rc);
		return;
	}
	FUZZ_CHECK((unsigned int)rc <= outstanding, "poll reports %d completions, %u outstanding",
		   rc, outstanding);
	if (max != 0) {
		FUZZ_CHECK((uint32_t)rc <= max, "poll reports %d completions, max %u", rc, max);
	}
}

/* ---------------------------------------------------------------- */
/* Device                                                            */
/* ---------------------------------------------------------------- */

static uint16_t
pick_cid(struct harness *h)
{
	struct pcie_qpair *pq = h->pq;
	uint8_t sel = fuzz_u8(&h->in);
	uint16_t busy[MAX_ENTRIES];
	uint32_t i, n = 0;

	if (sel >= 0xf0) {
		return fuzz_u16(&h->in);
	}
	if (sel >= 0xe0) {
		return pq->sq[sel % pq->num_entries].cid; /* whatever the SQ slot holds */
	}
	for (i = 0; i < pq->num_trackers; i++) {
		if (pq->trackers[i].req != NULL) {
			busy[n++] = (uint16_t)i;
		}
	}
	return n > 0 ? busy[sel % n] : sel;
}

static void
device_post(struct harness *h)
{
	struct pnvme_cpl *slot = &h->pq->cq[h->cq_tail];
	uint8_t mode = fuzz_u8(&h->in);
	struct pnvme_cpl cpl;

	memset(&cpl, 0, sizeof(cpl));
	cpl.cid = pick_cid(h);
	cpl.sqhd = (mode & 1) ? fuzz_u16(&h->in) : h->pq->sq_tail;
	cpl.sqid = h->pq->qpair.id;
	cpl.cdw0 = (mode & 2) ? fuzz_u32(&h->in) : 0;
	if (mode & 4) {
		cpl.status_raw = fuzz_u16(&h->in);
	}
	cpl.status.p = (mode & 8) ? !h->cq_phase : h->cq_phase;
	*slot = cpl;
	if (++h->cq_tail == h->pq->num_entries) {
		h->cq_tail = 0;
		h->cq_phase ^= 1;
	}
}

static void
device_post_raw(struct harness *h)
{
	uint8_t slot = fuzz_u8(&h->in) % h->pq->num_entries;

	fuzz_bytes(&h->in, &h->pq->cq[slot], sizeof(struct pnvme_cpl));
}

/* ---------------------------------------------------------------- */
/* Set-up and teardown                                               */
/* ---------------------------------------------------------------- */

static bool
setup_mapped(struct harness *h)
{
	struct test_pci_device *d;
	struct pnvme_transport_id trid = {.trtype = PNVME_TRANSPORT_PCIE};
	struct pnvme_ctrlr_opts opts;
	uint64_t cap = fuzz_u64(&h->in);

	test_env_reset();
	h->bar_size = fuzz_range(&h->in, PNVME_REG_DOORBELL_BASE + 8, 0x4000) & ~3u;
	h->bar = calloc(1, h->bar_size);
	FUZZ_CHECK(h->bar != NULL, "out of memory");
	memcpy(h->bar + PNVME_REG_CAP, &cap, sizeof(cap));
	d = &g_test_pci_devices[g_test_num_pci_devices++];
	pnvme_pci_addr_parse(&d->info.addr, "0000:00:04.0");
	d->info.id.class_id = PNVME_PCI_CLASS_NVME;
	d->info.driver_kind = PNVME_PCI_DRIVER_VFIO;
	d->bar0 = h->bar;
	d->bar0_size = h->bar_size;
	d->present = true;
	strcpy(trid.traddr, "0000:00:04.0");
	pnvme_ctrlr_get_default_opts(&opts, sizeof(opts));
	opts.admin_queue_size = fuzz_range(&h->in, 2, MAX_ENTRIES);
	h->ctrlr = g_nvme_pcie_ops.ctrlr_construct(&trid, &opts, &d->info);
	if (h->ctrlr == NULL) {
		free(h->bar);
		return false; /* refused the device: fine */
	}
	h->pq = pcie_qpair(h->ctrlr->adminq);
	return true;
}

static bool
setup(struct harness *h)
{
	uint8_t flags = fuzz_u8(&h->in);
	uint16_t entries;

	h->mapped = (flags & 1) != 0;
	h->cq_tail = 0;
	h->cq_phase = 1;
	if (h->mapped) {
		if (!setup_mapped(h)) {
			return false;
		}
	} else {
		entries = (uint16_t)fuzz_range(&h->in, 2, MAX_ENTRIES);
		pcie_fixture_setup(&h->fx, entries, fuzz_range(&h->in, 1, 2 * MAX_ENTRIES),
				   (flags & 2) ? PNVME_CTRLR_SGL_SUPPORTED : 0);
		h->pq = h->fx.pq;
		h->bar = h->fx.bar;
		h->bar_size = h->fx.ctrlr.regs_size;
	}
	h->pq->delay_doorbell = (flags & 4) != 0;
	req_tracker_init(&h->tracker, &h->pq->qpair, true);
	return true;
}

static void
teardown(struct harness *h)
{
	if (!h->pq->qpair.failed) {
		nvme_qpair_fail(&h->pq->qpair);
	}
	check_invariants(h);
	req_tracker_finish(&h->tracker);
	if (h->mapped) {
		g_nvme_pcie_ops.ctrlr_destruct(h->ctrlr);
		free(h->bar);
	} else {
		pcie_fixture_teardown(&h->fx);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct harness *h = &g_h;
	int steps;

	fuzz_input_init(&h->in, data, size);
	if (!setup(h)) {
		return 0;
	}
	check_invariants(h);
	for (steps = 0; steps < MAX_STEPS && !fuzz_input_empty(&h->in); steps++) {
		switch ((enum op)(fuzz_u8(&h->in) % OP_COUNT)) {
		case OP_SUBMIT:
		case OP_SUBMIT_AGAIN:
			host_submit(h);
			break;
		case OP_POST_CQE:
		case OP_POST_CQE_AGAIN:
			device_post(h);
			break;
		case OP_POST_RAW:
			device_post_raw(h);
			break;
		case OP_POLL:
		case OP_POLL_AGAIN:
			host_poll(h);
			break;
		case OP_TOGGLE_DELAY:
			h->pq->delay_doorbell = !h->pq->delay_doorbell;
			break;
		case OP_FAIL:
			nvme_qpair_fail(&h->pq->qpair);
			break;
		default:
			break;
		}
		check_invariants(h);
	}
	teardown(h);
	return 0;
}
