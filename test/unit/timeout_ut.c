/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Command timeouts on a PCIe qpair over heap memory: nothing recorded
 * without a timeout, late commands reported once each in submission order,
 * the scan stopping at the first command that is not late, commands held
 * by error injection, admin commands meant to wait, argument errors.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pcie_fixture.h"
#include "test_env.h"
#include "ut.h"

#define MAX_REPORTS 16

static uint16_t g_cids[MAX_REPORTS];
static struct pnvme_qpair *g_qpairs[MAX_REPORTS];
static int g_reports;
static int g_done;

static void
timeout_cb(void *arg, struct pnvme_ctrlr *ctrlr, struct pnvme_qpair *qpair, uint16_t cid)
{
	(void)arg;
	(void)ctrlr;
	if (g_reports < MAX_REPORTS) {
		g_cids[g_reports] = cid;
		g_qpairs[g_reports] = qpair;
	}
	g_reports++;
}

static void
done_cb(void *arg, const struct pnvme_cpl *cpl)
{
	(void)arg;
	(void)cpl;
	g_done++;
}

static int
read_block(struct pcie_fixture *fx, void *buf, uint64_t lba)
{
	return pnvme_ns_cmd_read(&fx->ns, &fx->pq->qpair, buf, lba, 1, done_cb, NULL, 0);
}

/* The fixture's qpair as one of its controller's I/O qpairs. */
static void
setup(struct pcie_fixture *fx)
{
	pcie_fixture_setup(fx, 16, 32, 0);
	TAILQ_INIT(&fx->ctrlr.ctrlr.io_qpairs);
	TAILQ_INSERT_TAIL(&fx->ctrlr.ctrlr.io_qpairs, &fx->pq->qpair, ctrlr_link);
	g_reports = 0;
	g_done = 0;
}

static void
test_nothing_recorded_without_timeout(void)
{
	struct pcie_fixture fx;
	uint8_t *buf = pnvme_dma_zmalloc(4096, 4096, NULL);

	setup(&fx);
	CU_ASSERT_EQUAL(read_block(&fx, buf, 0), 0);
	CU_ASSERT_TRUE(TAILQ_EMPTY(&fx.pq->qpair.timed_reqs));
	g_test_ticks += 10000000;
	pnvme_qpair_process_completions(&fx.pq->qpair, 0);
	CU_ASSERT_EQUAL(g_reports, 0);
	pcie_fixture_teardown(&fx);
	pnvme_dma_free(buf);
}

/* Late commands are reported once each, oldest first, with their IDs; the
 * scan stops at the first that is not late; completion ends the record. */
static void
test_late_commands_reported_once(void)
{
	struct pcie_fixture fx;
	uint8_t *buf = pnvme_dma_zmalloc(4096, 4096, NULL);
	uint16_t cid0, cid1;

	setup(&fx);
	CU_ASSERT_EQUAL(pnvme_ctrlr_register_timeout_callback(&fx.ctrlr.ctrlr, 1000, 0, timeout_cb,
							      NULL),
			0);
	CU_ASSERT_EQUAL(read_block(&fx, buf, 0), 0);
	CU_ASSERT_EQUAL(read_block(&fx, buf, 1), 0);
	cid0 = fx.pq->sq[0].cid;
	cid1 = fx.pq->sq[1].cid;
	g_test_ticks += 600;
	CU_ASSERT_EQUAL(read_block(&fx, buf, 2), 0);
	pnvme_qpair_process_completions(&fx.pq->qpair, 0);
	CU_ASSERT_EQUAL(g_reports, 0); /* nothing late yet */
	g_test_ticks += 600;
	pnvme_qpair_process_completions(&fx.pq->qpair, 0);
	CU_ASSERT_EQUAL(g_reports, 2); /* the first two; the third is 600 us old */
	CU_ASSERT_EQUAL(g_cids[0], cid0);
	CU_ASSERT_EQUAL(g_cids[1], cid1);
	CU_ASSERT_PTR_EQUAL(g_qpairs[0], &fx.pq->qpair);
	pnvme_qpair_process_completions(&fx.pq->qpair, 0);
	CU_ASSERT_EQUAL(g_reports, 2); /* once each */
	g_test_ticks += 1000;
	pnvme_qpair_process_completions(&fx.pq->qpair, 0);
	CU_ASSERT_EQUAL(g_reports, 3);
	pcie_fixture_complete(&fx, 0, 0);
	pcie_fixture_complete(&fx, 1, 0);
	pcie_fixture_complete(&fx, 2, 0);
	pnvme_qpair_process_completions(&fx.pq->qpair, 0);
	CU_ASSERT_EQUAL(g_done, 3);
	CU_ASSERT_TRUE(TAILQ_EMPTY(&fx.pq->qpair.timed_reqs));
	pcie_fixture_teardown(&fx);
	pnvme_dma_free(buf);
}

/* A command held back by error injection is late like any other; it has no
 * ID on the device. */
static void
test_held_command_times_out(void)
{
	struct pcie_fixture fx;
	uint8_t *buf = pnvme_dma_zmalloc(4096, 4096, NULL);

	setup(&fx);
	CU_ASSERT_EQUAL(pnvme_ctrlr_register_timeout_callback(&fx.ctrlr.ctrlr, 1000, 0, timeout_cb,
							      NULL),
			0);
	CU_ASSERT_EQUAL(pnvme_qpair_add_cmd_error_injection(&fx.ctrlr.ctrlr, &fx.pq->qpair,
							    PNVME_OPC_READ, true, 5000, 1,
							    PNVME_SCT_GENERIC,
							    PNVME_SC_ABORTED_BY_REQUEST),
			0);
	CU_ASSERT_EQUAL(read_block(&fx, buf, 0), 0);
	g_test_ticks += 2000;
	pnvme_qpair_process_completions(&fx.pq->qpair, 0);
	CU_ASSERT_EQUAL(g_reports, 1);
	CU_ASSERT_EQUAL(g_cids[0], PNVME_CID_NOT_SUBMITTED);
	CU_ASSERT_EQUAL(g_done, 0);
	g_test_ticks += 4000;
	pnvme_qpair_process_completions(&fx.pq->qpair, 0);
	CU_ASSERT_EQUAL(g_done, 1);
	CU_ASSERT_TRUE(TAILQ_EMPTY(&fx.pq->qpair.timed_reqs));
	pcie_fixture_teardown(&fx);
	pnvme_dma_free(buf);
}

/* Keep Alive and AERs wait by design: never recorded on the admin queue. */
static void
test_admin_exemptions(void)
{
	struct pnvme_qpair admin;
	struct nvme_request ka, aer, identify;

	memset(&admin, 0, sizeof(admin));
	TAILQ_INIT(&admin.timed_reqs);
	memset(&ka, 0, sizeof(ka));
	memset(&aer, 0, sizeof(aer));
	memset(&identify, 0, sizeof(identify));
	ka.cmd.opc = PNVME_OPC_KEEP_ALIVE;
	aer.cmd.opc = PNVME_OPC_ASYNC_EVENT_REQUEST;
	identify.cmd.opc = PNVME_OPC_IDENTIFY;
	nvme_timeout_track(&admin, &ka);
	nvme_timeout_track(&admin, &aer);
	nvme_timeout_track(&admin, &identify);
	CU_ASSERT_FALSE(ka.completion_hooks & NVME_REQ_TIMEOUT_TRACKED);
	CU_ASSERT_FALSE(aer.completion_hooks & NVME_REQ_TIMEOUT_TRACKED);
	CU_ASSERT_TRUE(identify.completion_hooks & NVME_REQ_TIMEOUT_TRACKED);
	CU_ASSERT_PTR_EQUAL(TAILQ_FIRST(&admin.timed_reqs), &identify);
	nvme_timeout_untrack(&admin, &identify);
	CU_ASSERT_TRUE(TAILQ_EMPTY(&admin.timed_reqs));
}

static void
test_argument_errors(void)
{
	struct pcie_fixture fx;

	test_log_capture_start();
	setup(&fx);
	CU_ASSERT_EQUAL(pnvme_ctrlr_register_timeout_callback(NULL, 1, 1, timeout_cb, NULL),
			-EINVAL);
	CU_ASSERT(test_log_contains("NULL controller"));
	CU_ASSERT_EQUAL(pnvme_ctrlr_set_timeout_action(NULL, PNVME_TIMEOUT_ACTION_RESET), -EINVAL);
	CU_ASSERT_EQUAL(pnvme_ctrlr_set_timeout_action(&fx.ctrlr.ctrlr, 3), -EINVAL);
	CU_ASSERT(test_log_contains("set_timeout_action: unknown action"));
	/* No callback: late commands are logged and left to the action. */
	CU_ASSERT_EQUAL(pnvme_ctrlr_register_timeout_callback(&fx.ctrlr.ctrlr, 1, 0, NULL, NULL), 0);
	CU_ASSERT_NOT_EQUAL(fx.pq->qpair.timeout_ticks, 0);
	CU_ASSERT_EQUAL(pnvme_ctrlr_register_timeout_callback(&fx.ctrlr.ctrlr, 0, 0, NULL, NULL), 0);
	CU_ASSERT_EQUAL(fx.pq->qpair.timeout_ticks, 0);
	pcie_fixture_teardown(&fx);
	pnvme_log_set_handler(NULL);
}

int
main(void)
{
	static const struct ut_test tests[] = {
		{"nothing_recorded_without_timeout", test_nothing_recorded_without_timeout},
		{"late_commands_reported_once", test_late_commands_reported_once},
		{"held_command_times_out", test_held_command_times_out},
		{"admin_exemptions", test_admin_exemptions},
		{"argument_errors", test_argument_errors},
		{NULL, NULL},
	};

	return ut_run("timeout", tests);
}
