/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NVMe/RDMA work completions. An I/O qpair on the fake verbs device
 * (test/unit/common/fake_verbs.c) whose size, in-capsule room and
 * descriptor limit come from the input; then a script: the host submits
 * commands (contiguous or vectored, any direction, fused pairs) and polls;
 * the device completes SENDs and RECVs, posted or not, with any status and
 * length, after writing any response (command ID, status) into the
 * receive buffer; or raw work completions with any ID; or the queue pair
 * fails.
 *
 * After every step: every command completes exactly once (an error after
 * the connection failed), the command table's free IDs and busy slots add
 * up, work in flight never exceeds what can be posted, and a failed
 * connection holds nothing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fake_verbs.h"
#include "fuzz_check.h"
#include "fuzz_input.h"
#include "req_tracker.h"
#include "test_env.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_STEPS 256
#define MAX_DATA_LEN (3u * 4096)

enum op {
	OP_SUBMIT,
	OP_SUBMIT_AGAIN,
	OP_SEND_DONE,
	OP_RESPOND,
	OP_RESPOND_AGAIN,
	OP_RAW_WC,
	OP_POLL,
	OP_POLL_AGAIN,
	OP_FAIL,
	OP_COUNT,
};

struct harness {
	struct fuzz_input in;
	struct pnvme_ctrlr ctrlr;
	struct rdma_qpair rq;
	struct fake_dev dev;
	struct req_tracker tracker;
	bool constructed;
};

static struct harness g_h;

FUZZ_NO_COVERAGE static void
check_invariants(struct harness *h)
{
	const struct rdma_cmd_table *t = &h->rq.table;
	uint32_t i, busy = 0, recvs = 0;

	for (i = 0; i < t->entries; i++) {
		busy += t->slots[i].req != NULL;
		recvs += t->recv_posted[i];
	}
	FUZZ_CHECK(t->num_free + busy == t->entries, "free IDs %u + busy slots %u != %u entries",
		   t->num_free, busy, t->entries);
	FUZZ_CHECK(t->sends_in_flight <= busy, "%u SENDs in flight for %u busy slots",
		   t->sends_in_flight, busy);
	FUZZ_CHECK(t->recvs_in_flight == recvs, "%u RECVs in flight, %u buffers marked posted",
		   t->recvs_in_flight, recvs);
	if (h->rq.qpair.failed) {
		FUZZ_CHECK(busy == 0 && t->sends_in_flight == 0 && t->recvs_in_flight == 0,
			   "a failed connection still holds %u commands, %u SENDs, %u RECVs", busy,
			   t->sends_in_flight, t->recvs_in_flight);
	}
	req_tracker_check(&h->tracker);
}

static bool
setup(struct harness *h)
{
	struct pnvme_transport_id trid = {.trtype = PNVME_TRANSPORT_RDMA, .traddr = "fuzz"};
	/* Every address counts as registered: the keys are not under test. */
	struct rdma_mem_region all = {0x1000, ((size_t)1 << 47) - 0x1000, 0x11, 0x22, NULL};
	uint32_t entries = fuzz_range(&h->in, 2, 16);
	uint8_t shape = fuzz_u8(&h->in);

	memset(&h->ctrlr, 0, sizeof(h->ctrlr));
	memset(&h->rq, 0, sizeof(h->rq));
	test_env_reset();
	fake_devs_reset();
	fake_dev_init(&h->dev);
	if (nvme_ctrlr_construct(&h->ctrlr, &g_nvme_rdma_ops, &trid, NULL) != 0) {
		return false;
	}
	if (rdma_qpair_construct(&h->rq, &h->ctrlr, 1, entries, 2 * entries) != 0) {
		nvme_ctrlr_destruct_common(&h->ctrlr);
		return false;
	}
	h->constructed = true;
	h->rq.map = rdma_mem_map_create();
	FUZZ_CHECK(h->rq.map != NULL && rdma_mem_map_add(h->rq.map, &all) == 0,
		   "memory map set-up");
	h->rq.qp = &h->dev.qp;
	h->rq.cq = &h->dev.cq;
	h->dev.qp.send_cq = &h->dev.cq;
	h->rq.capsule_mr = &h->dev.mr;
	h->rq.rsp_mr = &h->dev.mr;
	h->rq.max_send_sge = 1 + (shape & 3);
	h->rq.max_icd = (shape & 4) ? 4096 : 0;
	h->rq.max_descs = 1 + ((shape >> 3) & 15);
	FUZZ_CHECK(rdma_qpair_start(&h->rq) == 0, "posting the receive buffers");
	h->rq.capsule_mr = NULL;
	h->rq.rsp_mr = NULL;
	req_tracker_init(&h->tracker, &h->rq.qpair, true);
	return true;
}

static void
teardown(struct harness *h)
{
	struct rdma_mem_map *map = h->rq.map;

	if (!h->rq.qpair.failed) {
		nvme_qpair_fail(&h->rq.qpair);
	}
	req_tracker_finish(&h->tracker);
	rdma_qpair_destruct(&h->rq);
	rdma_mem_map_destroy(map);
	nvme_ctrlr_destruct_common(&h->ctrlr);
	h->constructed = false;
}

static void
host_submit(struct harness *h)
{
	static const uint8_t opcodes[] = {PNVME_OPC_READ, PNVME_OPC_WRITE, PNVME_OPC_FLUSH,
					  PNVME_OPC_COMPARE};
	struct req_token *tok = req_tracker_new(&h->tracker);
	uint8_t shape = fuzz_u8(&h->in);
	uint32_t len = (shape & 3) == 0 ? 0 : fuzz_range(&h->in, 1, MAX_DATA_LEN), left, piece;
	struct nvme_request *req;
	int i, pieces;

	if (tok == NULL || (req = req_token_request(tok)) == NULL) {
		return;
	}
	req->cmd.opc = opcodes[(shape >> 3) & 3];
	req->cmd.nsid = 1;
	req->cmd.fuse = (shape & 0x80) ? fuzz_u8(&h->in) % 3 : 0;
	if (len > 0 && !(shape & 0x20)) {
		req->payload = req_token_alloc(tok, len);
	} else if (len > 0) {
		pieces = 1 + fuzz_u8(&h->in) % REQ_TOKEN_MAX_BUFS;
		for (i = 0, left = len; i < pieces && left > 0; i++) {
			piece = i == pieces - 1 ? left : fuzz_range(&h->in, 1, left);
			req_token_alloc(tok, piece);
			left -= piece;
		}
		req->iov = tok->iov;
		req->iovcnt = (uint16_t)tok->nbufs;
	}
	req->payload_size = len;
	(void)req_tracker_submit(tok, req);
}

/* A SEND completes: mostly one the device has, sometimes any slot. */
static void
device_send_done(struct harness *h)
{
	uint32_t slot = fuzz_u8(&h->in) % (h->rq.table.entries + 1);
	enum ibv_wc_status status = fuzz_u8(&h->in) % 8 == 0 ? IBV_WC_RETRY_EXC_ERR : IBV_WC_SUCCESS;

	fake_wc_push(&h->dev, RDMA_WR_ID(RDMA_WR_SEND, slot), status, 0);
}

/* A response lands in a receive buffer: any command ID, status, length. */
static void
device_respond(struct harness *h)
{
	uint32_t slot = fuzz_u8(&h->in) % (h->rq.table.num_recvs + 1);
	uint8_t shape = fuzz_u8(&h->in);
	struct pnvme_cpl cpl;
	uint32_t len = sizeof(cpl);

	memset(&cpl, 0, sizeof(cpl));
	cpl.cid = (shape & 1) ? fuzz_u16(&h->in) : fuzz_u8(&h->in) % (h->rq.table.entries + 1);
	if (shape & 2) {
		cpl.status.sct = fuzz_u8(&h->in) & 7;
		cpl.status.sc = fuzz_u8(&h->in);
	}
	cpl.cdw0 = fuzz_u32(&h->in);
	if (shape & 4) {
		len = fuzz_u8(&h->in) % 40;
	}
	if (slot < h->rq.table.num_recvs) {
		h->rq.rsps[slot] = cpl;
	}
	fake_wc_push(&h->dev, RDMA_WR_ID(RDMA_WR_RECV, slot),
		     (shape & 8) ? IBV_WC_WR_FLUSH_ERR : IBV_WC_SUCCESS, len);
}

static void
device_raw_wc(struct harness *h)
{
	uint64_t wr_id = fuzz_u64(&h->in);
	uint8_t status = fuzz_u8(&h->in) % 23;

	fake_wc_push(&h->dev, wr_id, (enum ibv_wc_status)status, fuzz_u32(&h->in));
}

static void
host_poll(struct harness *h)
{
	int32_t rc = pnvme_qpair_process_completions(&h->rq.qpair, fuzz_u8(&h->in) % 4);

	FUZZ_CHECK(rc >= 0 || rc == -ENXIO, "poll returned %d", rc);
	FUZZ_CHECK(rc != -ENXIO || h->rq.qpair.failed, "-ENXIO from a qpair not failed");
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
		case OP_SEND_DONE:
			device_send_done(h);
			break;
		case OP_RESPOND:
		case OP_RESPOND_AGAIN:
			device_respond(h);
			break;
		case OP_RAW_WC:
			device_raw_wc(h);
			break;
		case OP_POLL:
		case OP_POLL_AGAIN:
			host_poll(h);
			break;
		case OP_FAIL:
			nvme_qpair_fail(&h->rq.qpair);
			break;
		default:
			break;
		}
		check_invariants(h);
	}
	teardown(h);
	return 0;
}
