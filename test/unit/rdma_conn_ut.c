/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NVMe/RDMA connection steps over a fake connection manager
 * (test/unit/common/fake_verbs.c), for what the kernel's target never does
 * on demand: a stale-connection reject (retried, a bounded number of
 * times), a reject with the controller's status, an accept that is not
 * understood, no answer at all. Also the request itself: every receive
 * buffer posted before it, the private data (queue ID and sizes), retry
 * counts. The successful path is tested against the real target in the
 * rig (test/system/rdma_run.sh).
 */
#include <errno.h>
#include <string.h>

#include "fake_verbs.h"
#include "test_env.h"
#include "ut.h"

struct fixture {
	struct pnvme_ctrlr ctrlr;
	struct rdma_qpair rq;
	struct fake_dev dev;
};

static void
fx_setup(struct fixture *fx)
{
	struct pnvme_transport_id trid = {.trtype = PNVME_TRANSPORT_RDMA,
					  .adrfam = PNVME_ADRFAM_IPV4,
					  .traddr = "127.0.0.1",
					  .trsvcid = "4420"};

	memset(fx, 0, sizeof(*fx));
	fake_devs_reset();
	fake_dev_init(&fx->dev);
	fake_cm_reset(&fx->dev);
	CU_ASSERT_EQUAL_FATAL(nvme_ctrlr_construct(&fx->ctrlr, &g_nvme_rdma_ops, &trid, NULL), 0);
	fx->ctrlr.cntlid = 0x21;
	CU_ASSERT_EQUAL_FATAL(rdma_qpair_construct(&fx->rq, &fx->ctrlr, 3, 8, 16), 0);
	test_log_capture_start();
}

/* Everything made for a connection was released again. */
static void
check_released(void)
{
	CU_ASSERT_EQUAL(g_fake_cm.channels, g_fake_cm.channels_destroyed);
	CU_ASSERT_EQUAL(g_fake_cm.ids, g_fake_cm.ids_destroyed);
	CU_ASSERT_EQUAL(g_fake_cm.qps, g_fake_cm.qps_destroyed);
	CU_ASSERT_EQUAL(g_fake_cm.mrs, g_fake_cm.mrs_destroyed);
	CU_ASSERT_EQUAL(g_fake_cm.pds, g_fake_cm.pds_destroyed);
}

static void
fx_teardown(struct fixture *fx)
{
	pnvme_log_set_handler(NULL);
	if (!fx->rq.qpair.failed) {
		nvme_qpair_fail(&fx->rq.qpair);
	}
	rdma_qpair_destruct(&fx->rq);
	nvme_ctrlr_destruct_common(&fx->ctrlr);
	check_released();
}

/* Poll the open until it ends; the number of polls in *polls. */
static int
open_until_done(struct fixture *fx, uint32_t timeout_ms, uint32_t *polls)
{
	int rc = rdma_conn_open_start(&fx->rq, timeout_ms);

	*polls = 0;
	if (rc != 0) {
		return rc;
	}
	while ((rc = rdma_conn_open_poll(&fx->rq)) == -EAGAIN && *polls < 100000) {
		(*polls)++;
	}
	return rc;
}

static void
script_attempt(enum rdma_cm_event_type last, int status, const void *priv, uint8_t len)
{
	fake_cm_script(RDMA_CM_EVENT_ADDR_RESOLVED, 0, NULL, 0);
	fake_cm_script(RDMA_CM_EVENT_ROUTE_RESOLVED, 0, NULL, 0);
	fake_cm_script(last, status, priv, len);
}

static void
test_connect_request(void)
{
	struct rdma_cm_rep_data rep = {0};
	struct rdma_cm_req_data req;
	struct fixture fx;
	uint32_t polls;

	fx_setup(&fx);
	rep.crqsize = 8;
	script_attempt(RDMA_CM_EVENT_ESTABLISHED, 0, &rep, sizeof(rep));
	CU_ASSERT_EQUAL(open_until_done(&fx, 1000, &polls), 0);
	/* One step per event: address, route, then established. */
	CU_ASSERT_EQUAL(polls, 2);
	CU_ASSERT_EQUAL(g_fake_cm.resolve_addr, 1);
	CU_ASSERT_EQUAL(g_fake_cm.resolve_route, 1);
	CU_ASSERT_EQUAL(g_fake_cm.connects, 1);
	CU_ASSERT_EQUAL(fx.rq.open_step, RDMA_OPEN_DONE);
	CU_ASSERT(fx.rq.qp != NULL);
	/* Every receive buffer was posted before the request went out. */
	CU_ASSERT_EQUAL(g_fake_cm.recvs_posted_at_connect, 8);
	CU_ASSERT_EQUAL(fx.rq.table.recvs_in_flight, 8);
	memcpy(&req, g_fake_cm.priv, sizeof(req));
	CU_ASSERT_EQUAL(g_fake_cm.param.private_data_len, 32);
	CU_ASSERT_EQUAL(req.recfmt, 0);
	CU_ASSERT_EQUAL(req.qid, 3);
	CU_ASSERT_EQUAL(req.hrqsize, 8);
	CU_ASSERT_EQUAL(req.hsqsize, 7);
	CU_ASSERT_EQUAL(req.cntlid, 0x21);
	CU_ASSERT_EQUAL(g_fake_cm.param.retry_count, 7);
	CU_ASSERT_EQUAL(g_fake_cm.param.rnr_retry_count, 7);
	CU_ASSERT_EQUAL(g_fake_cm.param.responder_resources, 16);
	CU_ASSERT_EQUAL(test_log_lines(), 0);
	rdma_conn_close(&fx.rq);
	CU_ASSERT(fx.rq.qp == NULL);
	CU_ASSERT(fx.dev.error_state); /* moved to the error state, then destroyed */
	CU_ASSERT_EQUAL(fx.rq.table.recvs_in_flight, 0);
	check_released();
	fx_teardown(&fx);
}

static void
test_stale_connection_retried(void)
{
	struct rdma_cm_rep_data rep = {0};
	struct fixture fx;
	uint32_t polls, i;

	fx_setup(&fx);
	for (i = 0; i < 3; i++) {
		script_attempt(RDMA_CM_EVENT_REJECTED, RDMA_CM_REJ_STALE_CONN, NULL, 0);
	}
	script_attempt(RDMA_CM_EVENT_ESTABLISHED, 0, &rep, sizeof(rep));
	CU_ASSERT_EQUAL(open_until_done(&fx, 1000, &polls), 0);
	/* Each attempt on a new identifier and queue pair; the old released. */
	CU_ASSERT_EQUAL(g_fake_cm.connects, 4);
	CU_ASSERT_EQUAL(g_fake_cm.ids, 4);
	CU_ASSERT_EQUAL(g_fake_cm.ids_destroyed, 3);
	CU_ASSERT_EQUAL(g_fake_cm.qps_destroyed, 3);
	CU_ASSERT_EQUAL(fx.rq.stale_retries, 0);
	CU_ASSERT_EQUAL(test_log_lines(), 0);
	rdma_conn_close(&fx.rq);
	fx_teardown(&fx);
}

static void
test_stale_connection_bounded(void)
{
	struct fixture fx;
	uint32_t polls, i;

	fx_setup(&fx);
	for (i = 0; i < RDMA_STALE_CONN_RETRIES + 2; i++) {
		script_attempt(RDMA_CM_EVENT_REJECTED, RDMA_CM_REJ_STALE_CONN, NULL, 0);
	}
	CU_ASSERT_EQUAL(open_until_done(&fx, 1000, &polls), -ECONNREFUSED);
	CU_ASSERT_EQUAL(g_fake_cm.connects, 1 + RDMA_STALE_CONN_RETRIES);
	CU_ASSERT(test_log_contains("rejected the connection: reason 10, a stale connection, "
				    "again"));
	CU_ASSERT_EQUAL(test_log_lines(), 1);
	CU_ASSERT(fx.rq.qp == NULL);
	check_released();
	fx_teardown(&fx);
}

static void
test_rejects_and_silence(void)
{
	struct rdma_cm_rej_data rej = {.recfmt = 0, .sts = 6};
	struct rdma_cm_rep_data rep = {.recfmt = 1};
	struct fixture fx;
	uint32_t polls;

	/* The controller's reason, in words. */
	fx_setup(&fx);
	script_attempt(RDMA_CM_EVENT_REJECTED, 28, &rej, sizeof(rej));
	CU_ASSERT_EQUAL(open_until_done(&fx, 1000, &polls), -ECONNREFUSED);
	CU_ASSERT(test_log_contains("rejected the connection: no resources (reason 28)"));
	CU_ASSERT_EQUAL(g_fake_cm.connects, 1);
	CU_ASSERT(fx.dev.error_state); /* posted RECVs flushed before release */
	check_released();
	fx_teardown(&fx);

	/* An accept in a record format not known. */
	fx_setup(&fx);
	script_attempt(RDMA_CM_EVENT_ESTABLISHED, 0, &rep, sizeof(rep));
	CU_ASSERT_EQUAL(open_until_done(&fx, 1000, &polls), -EPROTO);
	CU_ASSERT(test_log_contains("record format 1, expected 0"));
	check_released();
	fx_teardown(&fx);

	/* The route never resolves. */
	fx_setup(&fx);
	fake_cm_script(RDMA_CM_EVENT_ADDR_RESOLVED, 0, NULL, 0);
	fake_cm_script(RDMA_CM_EVENT_ROUTE_ERROR, -ETIMEDOUT, NULL, 0);
	CU_ASSERT_EQUAL(open_until_done(&fx, 1000, &polls), -EHOSTUNREACH);
	CU_ASSERT(test_log_contains("cannot resolve the route"));
	check_released();
	fx_teardown(&fx);

	/* No answer at all: the deadline ends it (test ticks are 1 us). */
	fx_setup(&fx);
	fake_cm_script(RDMA_CM_EVENT_ADDR_RESOLVED, 0, NULL, 0);
	fake_cm_script(RDMA_CM_EVENT_ROUTE_RESOLVED, 0, NULL, 0);
	CU_ASSERT_EQUAL(open_until_done(&fx, 2, &polls), -ETIMEDOUT);
	CU_ASSERT(polls > 2 && polls < 100000);
	CU_ASSERT(test_log_contains("cannot connect: timed out"));
	check_released();
	fx_teardown(&fx);
}

int
main(void)
{
	static const struct ut_test tests[] = {
		{"connect_request", test_connect_request},
		{"stale_connection_retried", test_stale_connection_retried},
		{"stale_connection_bounded", test_stale_connection_bounded},
		{"rejects_and_silence", test_rejects_and_silence},
		{NULL, NULL},
	};

	return ut_run("rdma_conn", tests);
}
