/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The NVMe/RDMA queue pair over a fake verbs device (fake_verbs.c; the
 * transport itself is tested against the kernel's target in the rig).
 * Checked: the capsule and its descriptors as
 * posted (keyed, in-capsule), one post call per poll, completion only with
 * both halves in either order, the receive buffer posted again before the
 * callback runs, unregistered memory refused, and a malformed or failed
 * completion failing the connection with every command completed once.
 * A shared completion queue hands each completion to its qpair.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "fake_verbs.h"
#include "test_env.h"
#include "ut.h"

struct fixture {
	struct pnvme_ctrlr ctrlr;
	struct rdma_qpair rq;
	struct fake_dev dev;
	uint8_t *buf; /* registered: keys 0x11 / 0x22 */
};

static int g_done, g_errors;
static uint32_t g_recvs_posted_at_callback;
static struct fake_dev *g_cb_dev;

static void
done_cb(void *arg, const struct pnvme_cpl *cpl)
{
	(void)arg;
	g_done++;
	g_errors += pnvme_cpl_is_error(cpl);
	if (g_cb_dev != NULL) {
		g_recvs_posted_at_callback = g_cb_dev->recvs_posted;
	}
}

/* A qpair on fake device @p fx->dev; in group @p rg (then its connection
 * uses the group's completion queue for @p verbs), or with its own. */
static void
fx_setup_in(struct fixture *fx, uint32_t entries, uint32_t max_icd, uint32_t max_descs,
	    struct rdma_poll_group *rg, struct ibv_context *verbs)
{
	struct pnvme_transport_id trid = {.trtype = PNVME_TRANSPORT_RDMA, .traddr = "peer"};
	struct rdma_mem_region region;

	memset(fx, 0, sizeof(*fx));
	fake_dev_init(&fx->dev);
	CU_ASSERT_EQUAL_FATAL(nvme_ctrlr_construct(&fx->ctrlr, &g_nvme_rdma_ops, &trid, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(rdma_qpair_construct(&fx->rq, &fx->ctrlr, 1, entries, 2 * entries),
			      0);
	fx->buf = aligned_alloc(4096, 1 << 20);
	fx->rq.map = rdma_mem_map_create();
	region = (struct rdma_mem_region){(uintptr_t)fx->buf, 1 << 20, 0x11, 0x22, NULL};
	CU_ASSERT_EQUAL_FATAL(rdma_mem_map_add(fx->rq.map, &region), 0);
	fx->rq.qp = &fx->dev.qp;
	fx->rq.cq = &fx->dev.cq;
	if (rg != NULL) {
		fx->rq.rgroup = rg;
		fx->rq.cq = rdma_shared_cq_attach(&fx->rq, verbs, 2 * entries);
		CU_ASSERT_FATAL(fx->rq.cq != NULL);
	}
	fx->dev.qp.send_cq = fx->rq.cq;
	fx->rq.capsule_mr = &fx->dev.mr;
	fx->rq.rsp_mr = &fx->dev.mr;
	fx->rq.max_send_sge = RDMA_MAX_SEND_SGE;
	fx->rq.max_icd = max_icd;
	fx->rq.max_descs = max_descs;
	CU_ASSERT_EQUAL_FATAL(rdma_qpair_start(&fx->rq), 0);
	/* What the core sets when a connection is made. */
	fx->rq.capsule_mr = NULL;
	fx->rq.rsp_mr = NULL;
	g_done = g_errors = 0;
	g_cb_dev = NULL;
}

static void
fx_setup(struct fixture *fx, uint32_t entries, uint32_t max_icd, uint32_t max_descs)
{
	fake_devs_reset();
	fx_setup_in(fx, entries, max_icd, max_descs, NULL, NULL);
}

static void
fx_teardown(struct fixture *fx)
{
	struct rdma_mem_map *map = fx->rq.map;

	if (!fx->rq.qpair.failed) {
		nvme_qpair_fail(&fx->rq.qpair);
	}
	rdma_qpair_destruct(&fx->rq);
	rdma_mem_map_destroy(map);
	nvme_ctrlr_destruct_common(&fx->ctrlr);
	free(fx->buf);
}

static int
submit(struct fixture *fx, uint8_t opc, void *buf, uint32_t len)
{
	struct nvme_request *req = nvme_qpair_alloc_request(&fx->rq.qpair, done_cb, NULL);
	if (req == NULL) {
		return -ENOMEM;
	}
	memset(&req->cmd, 0, sizeof(req->cmd));
	req->cmd.opc = opc;
	req->cmd.nsid = 1;
	req->payload = buf;
	req->payload_size = len;
	return nvme_qpair_submit_request(&fx->rq.qpair, req);
}

/* The controller answers command @p cid in receive buffer @p slot. */
static void
respond(struct fixture *fx, uint32_t slot, uint16_t cid, uint8_t sc)
{
	struct pnvme_cpl *rsp = &fx->rq.rsps[slot];

	memset(rsp, 0, sizeof(*rsp));
	rsp->cid = cid;
	rsp->status.sc = sc;
	fake_wc_push(&fx->dev, RDMA_WR_ID(RDMA_WR_RECV, slot), IBV_WC_SUCCESS, sizeof(*rsp));
}

static void
send_done(struct fixture *fx, uint16_t cid, enum ibv_wc_status status)
{
	fake_wc_push(&fx->dev, RDMA_WR_ID(RDMA_WR_SEND, cid), status, 0);
}

static uint32_t
keyed_len(const struct pnvme_sgl_descriptor *sgl)
{
	struct pnvme_sgl_keyed_descriptor k;

	memcpy(&k, sgl, sizeof(k));
	return k.length[0] | (uint32_t)k.length[1] << 8 | (uint32_t)k.length[2] << 16;
}

static uint32_t
keyed_key(const struct pnvme_sgl_descriptor *sgl)
{
	struct pnvme_sgl_keyed_descriptor k;

	memcpy(&k, sgl, sizeof(k));
	return k.key[0] | (uint32_t)k.key[1] << 8 | (uint32_t)k.key[2] << 16 |
	       (uint32_t)k.key[3] << 24;
}

static void
test_both_halves_either_order(void)
{
	struct fixture fx;
	const struct pnvme_cmd *sqe;

	fx_setup(&fx, 8, 4096, 1);
	CU_ASSERT_EQUAL(fx.dev.post_recv_calls, 1); /* all 8 RECVs, one call */
	CU_ASSERT_EQUAL(fx.dev.recvs_posted, 8);
	CU_ASSERT_EQUAL(submit(&fx, PNVME_OPC_READ, fx.buf, 8192), 0);
	CU_ASSERT_EQUAL(submit(&fx, PNVME_OPC_READ, fx.buf + 8192, 4096), 0);
	/* Nothing goes out until the poll, then both in one call. */
	CU_ASSERT_EQUAL(fx.dev.post_send_calls, 0);
	CU_ASSERT_EQUAL(pnvme_qpair_process_completions(&fx.rq.qpair, 0), 0);
	CU_ASSERT_EQUAL(fx.dev.post_send_calls, 1);
	CU_ASSERT_EQUAL_FATAL(fx.dev.num_last_sends, 2);
	/* A read: one keyed block in the SQE, the caller's buffer and key. */
	sqe = &fx.dev.last_caps[0].sqe;
	CU_ASSERT_EQUAL(fx.dev.last_sends[0].num_sge, 1);
	CU_ASSERT_EQUAL(fx.dev.last_sges[0][0].length, 64);
	CU_ASSERT_EQUAL(fx.dev.last_sends[0].opcode, IBV_WR_SEND);
	CU_ASSERT(fx.dev.last_sends[0].send_flags & IBV_SEND_SIGNALED);
	CU_ASSERT_EQUAL(sqe->psdt, PNVME_PSDT_SGL_MPTR_CONTIG);
	CU_ASSERT_EQUAL(sqe->dptr.sgl1.type, PNVME_SGL_TYPE_KEYED_DATA_BLOCK);
	CU_ASSERT_EQUAL(sqe->dptr.sgl1.address, (uintptr_t)fx.buf);
	CU_ASSERT_EQUAL(keyed_len(&sqe->dptr.sgl1), 8192);
	CU_ASSERT_EQUAL(keyed_key(&sqe->dptr.sgl1), 0x22);
	CU_ASSERT_EQUAL(sqe->cid, 0);
	CU_ASSERT_EQUAL(fx.dev.last_caps[1].sqe.cid, 1);

	/* Command 0: the response first, then its SEND's completion. */
	g_cb_dev = &fx.dev;
	respond(&fx, 3, 0, 0);
	CU_ASSERT_EQUAL(pnvme_qpair_process_completions(&fx.rq.qpair, 0), 0);
	CU_ASSERT_EQUAL(g_done, 0);
	CU_ASSERT_EQUAL(fx.dev.recvs_posted, 9); /* buffer 3 went back at once */
	send_done(&fx, 0, IBV_WC_SUCCESS);
	CU_ASSERT_EQUAL(pnvme_qpair_process_completions(&fx.rq.qpair, 0), 1);
	CU_ASSERT_EQUAL(g_done, 1);
	/* Command 1: the SEND's completion first, then the response; its
	 * buffer is posted again before the callback runs. */
	send_done(&fx, 1, IBV_WC_SUCCESS);
	CU_ASSERT_EQUAL(pnvme_qpair_process_completions(&fx.rq.qpair, 0), 0);
	CU_ASSERT_EQUAL(g_done, 1);
	respond(&fx, 5, 1, 0);
	CU_ASSERT_EQUAL(pnvme_qpair_process_completions(&fx.rq.qpair, 0), 1);
	CU_ASSERT_EQUAL(g_done, 2);
	CU_ASSERT_EQUAL(g_recvs_posted_at_callback, 10);
	CU_ASSERT_EQUAL(g_errors, 0);
	CU_ASSERT_EQUAL(fx.rq.table.num_free, 8);
	fx_teardown(&fx);
}

static void
test_in_capsule_and_unregistered(void)
{
	struct fixture fx;
	const struct pnvme_cmd *sqe;
	uint8_t heap[512];

	fx_setup(&fx, 8, 4096, 1);
	/* A small write rides in the SEND: the capsule, then the buffer. */
	CU_ASSERT_EQUAL(submit(&fx, PNVME_OPC_WRITE, fx.buf + 512, 512), 0);
	/* A write beyond the in-capsule room goes keyed. */
	CU_ASSERT_EQUAL(submit(&fx, PNVME_OPC_WRITE, fx.buf, 8192), 0);
	CU_ASSERT_EQUAL(pnvme_qpair_process_completions(&fx.rq.qpair, 0), 0);
	CU_ASSERT_EQUAL_FATAL(fx.dev.num_last_sends, 2);
	sqe = &fx.dev.last_caps[0].sqe;
	CU_ASSERT_EQUAL(fx.dev.last_sends[0].num_sge, 2);
	CU_ASSERT_EQUAL(fx.dev.last_sges[0][1].addr, (uintptr_t)fx.buf + 512);
	CU_ASSERT_EQUAL(fx.dev.last_sges[0][1].length, 512);
	CU_ASSERT_EQUAL(fx.dev.last_sges[0][1].lkey, 0x11);
	CU_ASSERT_EQUAL(sqe->dptr.sgl1.type, PNVME_SGL_TYPE_DATA_BLOCK);
	CU_ASSERT_EQUAL(sqe->dptr.sgl1.subtype, PNVME_SGL_SUBTYPE_OFFSET);
	CU_ASSERT_EQUAL(sqe->dptr.sgl1.address, 0);
	CU_ASSERT_EQUAL(sqe->dptr.sgl1.length, 512);
	CU_ASSERT_EQUAL(fx.dev.last_sends[1].num_sge, 1);
	CU_ASSERT_EQUAL(fx.dev.last_caps[1].sqe.dptr.sgl1.type, PNVME_SGL_TYPE_KEYED_DATA_BLOCK);

	/* A vector: three pieces ride in one SEND as a write; as a read they
	 * would need three keyed descriptors, more than MSDBD 1: refused. */
	{
		struct iovec iov[3] = {{fx.buf + 4096, 512}, {fx.buf + 16384, 1024},
				       {fx.buf + 32768, 512}};
		struct nvme_request *req = nvme_qpair_alloc_request(&fx.rq.qpair, done_cb, NULL);
		int rc;

		CU_ASSERT_FATAL(req != NULL);
		req->cmd.opc = PNVME_OPC_WRITE;
		req->iov = iov;
		req->iovcnt = 3;
		req->payload_size = 2048;
		CU_ASSERT_EQUAL(nvme_qpair_submit_request(&fx.rq.qpair, req), 0);
		CU_ASSERT_EQUAL(pnvme_qpair_process_completions(&fx.rq.qpair, 0), 0);
		CU_ASSERT_EQUAL(fx.dev.last_sends[0].num_sge, 4);
		CU_ASSERT_EQUAL(fx.dev.last_sges[0][2].addr, (uintptr_t)fx.buf + 16384);
		CU_ASSERT_EQUAL(fx.dev.last_caps[0].sqe.dptr.sgl1.length, 2048);
		req = nvme_qpair_alloc_request(&fx.rq.qpair, done_cb, NULL);
		CU_ASSERT_FATAL(req != NULL);
		req->cmd.opc = PNVME_OPC_READ;
		req->iov = iov;
		req->iovcnt = 3;
		req->payload_size = 2048;
		test_log_capture_start();
		rc = nvme_qpair_submit_request(&fx.rq.qpair, req);
		CU_ASSERT_EQUAL(rc, -EINVAL);
		CU_ASSERT(test_log_contains("more than 1 pieces of memory"));
		pnvme_log_set_handler(NULL);
	}

	/* Memory that is not registered: refused with a line, nothing sent,
	 * no command ID taken. */
	test_log_capture_start();
	CU_ASSERT_EQUAL(submit(&fx, PNVME_OPC_READ, heap, sizeof(heap)), -EINVAL);
	CU_ASSERT(test_log_contains("is not registered DMA memory"));
	pnvme_log_set_handler(NULL);
	CU_ASSERT_EQUAL(fx.rq.table.num_free, 5);
	CU_ASSERT_EQUAL(fx.rq.send_head, NULL);
	fx_teardown(&fx);
}

/* Every outstanding command completed once with an error, the poll says
 * -ENXIO, the queue pair went to the error state and everything posted
 * was taken back before anything was freed; new submissions are refused. */
static void
check_failed_once(struct fixture *fx, int outstanding)
{
	CU_ASSERT_EQUAL(pnvme_qpair_process_completions(&fx->rq.qpair, 0), -ENXIO);
	CU_ASSERT(fx->dev.error_state);
	CU_ASSERT_EQUAL(g_done, outstanding);
	CU_ASSERT_EQUAL(g_errors, outstanding);
	CU_ASSERT_EQUAL(fx->rq.table.sends_in_flight, 0);
	CU_ASSERT_EQUAL(fx->rq.table.recvs_in_flight, 0);
	CU_ASSERT_EQUAL(fx->rq.table.num_free, fx->rq.table.entries);
	CU_ASSERT_EQUAL(fx->dev.wc_count, 0);
	CU_ASSERT_EQUAL(submit(fx, PNVME_OPC_READ, fx->buf, 512), -ENXIO);
	CU_ASSERT_EQUAL(pnvme_qpair_process_completions(&fx->rq.qpair, 0), -ENXIO);
	CU_ASSERT_EQUAL(g_done, outstanding);
}

static void
test_malformed_completion_fails_connection(void)
{
	static const struct {
		const char *name;
		const char *line;
	} cases[] = {
		{"response for a command not outstanding", "which is not outstanding"},
		{"second response", "second response for command ID 0"},
		{"short response", "response of 8 bytes"},
		{"unknown work request", "unknown ID"},
		{"another qpair's tag", "not of this queue pair"},
		{"failed SEND", "completed with status"},
	};
	struct fixture fx;
	uint32_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fx_setup(&fx, 8, 4096, 1);
		CU_ASSERT_EQUAL(submit(&fx, PNVME_OPC_READ, fx.buf, 4096), 0);
		CU_ASSERT_EQUAL(submit(&fx, PNVME_OPC_READ, fx.buf + 4096, 4096), 0);
		CU_ASSERT_EQUAL(submit(&fx, PNVME_OPC_WRITE, fx.buf + 8192, 512), 0);
		CU_ASSERT_EQUAL(pnvme_qpair_process_completions(&fx.rq.qpair, 0), 0);
		test_log_capture_start();
		switch (i) {
		case 0:
			respond(&fx, 0, 6, 0);
			break;
		case 1:
			respond(&fx, 0, 0, 0);
			respond(&fx, 1, 0, 0);
			break;
		case 2:
			respond(&fx, 0, 0, 0);
			fx.dev.wcs[(fx.dev.wc_head + fx.dev.wc_count - 1) % FAKE_MAX_WORK].byte_len = 8;
			break;
		case 3:
			fake_wc_push(&fx.dev, RDMA_WR_ID(7, 0), IBV_WC_SUCCESS, 0);
			break;
		case 4:
			fake_wc_push(&fx.dev, RDMA_WR_ID(RDMA_WR_SEND, 0) | (2ull << RDMA_WR_TAG_SHIFT),
				IBV_WC_SUCCESS, 0);
			break;
		default:
			send_done(&fx, 1, IBV_WC_RETRY_EXC_ERR);
			break;
		}
		check_failed_once(&fx, 3);
		if (!test_log_contains(cases[i].line)) {
			CU_FAIL(cases[i].name);
		}
		pnvme_log_set_handler(NULL);
		fx_teardown(&fx);
	}
}

/* Two qpairs on one shared completion queue: one poll finds the work of
 * both; each gets its own, by tag. */
static void
test_shared_cq_dispatch(void)
{
	struct rdma_poll_group *rg = (struct rdma_poll_group *)rdma_poll_group_create();
	struct fixture a, b;
	struct fake_dev shared;

	fake_devs_reset();
	fake_dev_init(&shared);
	g_fake_next_cq_dev = &shared;
	/* Both connect through the group's queue for the device (the verbs
	 * context is the device's: the same for both). */
	fx_setup_in(&a, 8, 4096, 1, rg, &shared.ctx);
	fx_setup_in(&b, 8, 4096, 1, rg, &shared.ctx);
	CU_ASSERT_EQUAL(a.rq.cq, &shared.cq);
	CU_ASSERT_EQUAL(b.rq.cq, &shared.cq);
	CU_ASSERT_EQUAL(a.rq.tag, 1);
	CU_ASSERT_EQUAL(b.rq.tag, 2);
	CU_ASSERT(shared.cq.cqe >= 32);
	CU_ASSERT_EQUAL(rg->cqs[0]->refs, 3);
	CU_ASSERT_EQUAL(submit(&a, PNVME_OPC_READ, a.buf, 512), 0);
	CU_ASSERT_EQUAL(submit(&b, PNVME_OPC_READ, b.buf, 512), 0);
	CU_ASSERT_EQUAL(pnvme_qpair_process_completions(&a.rq.qpair, 0), 0);
	CU_ASSERT_EQUAL(pnvme_qpair_process_completions(&b.rq.qpair, 0), 0);
	CU_ASSERT_EQUAL(a.dev.last_sends[0].wr_id >> RDMA_WR_TAG_SHIFT, 1);
	CU_ASSERT_EQUAL(b.dev.last_sends[0].wr_id >> RDMA_WR_TAG_SHIFT, 2);

	/* b's answer arrives on the shared queue; a polls first. */
	b.rq.rsps[2].cid = 0;
	b.rq.rsps[2].status.sc = 0;
	fake_wc_push(&shared, RDMA_WR_ID(RDMA_WR_SEND, 0) | 2ull << RDMA_WR_TAG_SHIFT, IBV_WC_SUCCESS, 0);
	fake_wc_push(&shared, RDMA_WR_ID(RDMA_WR_RECV, 2) | 2ull << RDMA_WR_TAG_SHIFT, IBV_WC_SUCCESS,
		16);
	/* Work of no user (a connection already closed): dropped. */
	fake_wc_push(&shared, RDMA_WR_ID(RDMA_WR_SEND, 3) | 9ull << RDMA_WR_TAG_SHIFT,
		IBV_WC_WR_FLUSH_ERR, 0);
	CU_ASSERT_EQUAL(pnvme_qpair_process_completions(&a.rq.qpair, 0), 0);
	CU_ASSERT_EQUAL(g_done, 0);
	CU_ASSERT_EQUAL(b.rq.wc_count, 2);
	/* The group's poll marks a idle (nothing for it) and b not. */
	TAILQ_INSERT_TAIL(&rg->qpairs, &a.rq, rgroup_link);
	TAILQ_INSERT_TAIL(&rg->qpairs, &b.rq, rgroup_link);
	CU_ASSERT_EQUAL(rdma_poll_group_wait(&rg->base), 0);
	CU_ASSERT(a.rq.qpair.recv_idle);
	CU_ASSERT(!b.rq.qpair.recv_idle);
	CU_ASSERT_EQUAL(pnvme_qpair_process_completions(&b.rq.qpair, 0), 1);
	CU_ASSERT_EQUAL(g_done, 1);
	CU_ASSERT_EQUAL(g_errors, 0);
	TAILQ_INIT(&rg->qpairs);
	a.rq.qpair.recv_idle = b.rq.qpair.recv_idle = false;

	/* The connections go: tags and the queue's room come back; the queue
	 * itself goes with the group's own reference. */
	fx_teardown(&a);
	fx_teardown(&b);
	CU_ASSERT_EQUAL(rg->cqs[0]->refs, 1);
	CU_ASSERT_EQUAL(rg->cqs[0]->used, 0);
	rdma_poll_group_destroy(&rg->base);
}

int
main(void)
{
	static const struct ut_test tests[] = {
		{"both_halves_either_order", test_both_halves_either_order},
		{"in_capsule_and_unregistered", test_in_capsule_and_unregistered},
		{"malformed_completion_fails_connection", test_malformed_completion_fails_connection},
		{"shared_cq_dispatch", test_shared_cq_dispatch},
		{NULL, NULL},
	};

	return ut_run("rdma_qpair", tests);
}
