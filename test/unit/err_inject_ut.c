/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Software error injection on a PCIe qpair over heap memory: commands held
 * back from the device and completed later with the chosen status,
 * commands sent with their status replaced, counts, removal, failure while
 * held, argument errors.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pcie_fixture.h"
#include "test_env.h"
#include "ut.h"

static int g_done;
static struct pnvme_cpl g_cpl;

static void
done_cb(void *arg, const struct pnvme_cpl *cpl)
{
	(void)arg;
	g_done++;
	g_cpl = *cpl;
}

static int
read_block(struct pcie_fixture *fx, void *buf, uint64_t lba)
{
	return pnvme_ns_cmd_read(&fx->ns, &fx->pq->qpair, buf, lba, 1, done_cb, NULL, 0);
}

/* do_not_submit: nothing reaches the device; the status comes at the
 * timeout, and only for the count asked for. */
static void
test_held_command_completes_at_timeout(void)
{
	struct pcie_fixture fx;
	struct pnvme_qpair *q;
	uint8_t *buf = pnvme_dma_zmalloc(4096, 4096, NULL);

	pcie_fixture_setup(&fx, 16, 32, 0);
	q = &fx.pq->qpair;
	g_done = 0;
	CU_ASSERT_EQUAL(pnvme_qpair_add_cmd_error_injection(&fx.ctrlr.ctrlr, q, PNVME_OPC_READ, true,
							    1000, 1, PNVME_SCT_GENERIC,
							    PNVME_SC_INTERNAL_DEVICE_ERROR),
			0);
	CU_ASSERT_EQUAL(read_block(&fx, buf, 0), 0);
	CU_ASSERT_EQUAL(fx.pq->sq_tail, 0); /* never sent */
	CU_ASSERT_EQUAL(q->num_outstanding, 1);
	CU_ASSERT_EQUAL(pnvme_qpair_process_completions(q, 0), 0);
	CU_ASSERT_EQUAL(g_done, 0); /* not yet: 1 ms has not passed */
	g_test_ticks += 2000;
	pnvme_qpair_process_completions(q, 0);
	CU_ASSERT_EQUAL(g_done, 1);
	CU_ASSERT_EQUAL(g_cpl.status.sct, PNVME_SCT_GENERIC);
	CU_ASSERT_EQUAL(g_cpl.status.sc, PNVME_SC_INTERNAL_DEVICE_ERROR);
	CU_ASSERT_EQUAL(q->num_outstanding, 0);
	/* The count is used up: the next read goes to the device. */
	CU_ASSERT_PTR_NULL(q->err_injections);
	CU_ASSERT_EQUAL(read_block(&fx, buf, 1), 0);
	CU_ASSERT_EQUAL(fx.pq->sq_tail, 1);
	pcie_fixture_complete(&fx, 0, 0);
	pnvme_qpair_process_completions(q, 0);
	CU_ASSERT_EQUAL(g_done, 2);
	CU_ASSERT_FALSE(pnvme_cpl_is_error(&g_cpl));
	pcie_fixture_teardown(&fx);
	pnvme_dma_free(buf);
}

/* Sent as usual, its completion carries the injected status; other
 * opcodes are untouched. */
static void
test_sent_command_status_replaced(void)
{
	struct pcie_fixture fx;
	struct pnvme_qpair *q;
	uint8_t *buf = pnvme_dma_zmalloc(4096, 4096, NULL);
	int i;

	pcie_fixture_setup(&fx, 16, 32, 0);
	q = &fx.pq->qpair;
	g_done = 0;
	CU_ASSERT_EQUAL(pnvme_qpair_add_cmd_error_injection(&fx.ctrlr.ctrlr, q, PNVME_OPC_READ, false,
							    0, 2, PNVME_SCT_MEDIA_ERROR, 0x81),
			0);
	for (i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(read_block(&fx, buf, (uint64_t)i), 0);
		CU_ASSERT_EQUAL(fx.pq->sq_tail, i + 1); /* each one sent */
		pcie_fixture_complete(&fx, (uint16_t)i, 0);
		pnvme_qpair_process_completions(q, 0);
		CU_ASSERT_EQUAL(g_done, i + 1);
		if (i < 2) {
			CU_ASSERT_EQUAL(g_cpl.status.sct, PNVME_SCT_MEDIA_ERROR);
			CU_ASSERT_EQUAL(g_cpl.status.sc, 0x81);
		} else {
			CU_ASSERT_FALSE(pnvme_cpl_is_error(&g_cpl)); /* count used up */
		}
	}
	/* Another opcode is not affected. */
	CU_ASSERT_EQUAL(pnvme_qpair_add_cmd_error_injection(&fx.ctrlr.ctrlr, q, PNVME_OPC_WRITE, false,
							    0, 1, PNVME_SCT_GENERIC,
							    PNVME_SC_INVALID_FIELD),
			0);
	CU_ASSERT_EQUAL(read_block(&fx, buf, 9), 0);
	pcie_fixture_complete(&fx, 3, 0);
	pnvme_qpair_process_completions(q, 0);
	CU_ASSERT_FALSE(pnvme_cpl_is_error(&g_cpl));
	pnvme_qpair_remove_cmd_error_injection(&fx.ctrlr.ctrlr, q, PNVME_OPC_WRITE);
	CU_ASSERT_PTR_NULL(q->err_injections);
	pcie_fixture_teardown(&fx);
	pnvme_dma_free(buf);
}

/* A qpair that fails completes its held commands once, aborted; removal
 * ends an injection before its count. */
static void
test_fail_and_remove(void)
{
	struct pcie_fixture fx;
	struct pnvme_qpair *q;
	uint8_t *buf = pnvme_dma_zmalloc(4096, 4096, NULL);

	pcie_fixture_setup(&fx, 16, 32, 0);
	q = &fx.pq->qpair;
	g_done = 0;
	CU_ASSERT_EQUAL(pnvme_qpair_add_cmd_error_injection(&fx.ctrlr.ctrlr, q, PNVME_OPC_READ, true,
							    60000000, 10, PNVME_SCT_GENERIC,
							    PNVME_SC_INTERNAL_DEVICE_ERROR),
			0);
	CU_ASSERT_EQUAL(read_block(&fx, buf, 0), 0);
	CU_ASSERT_EQUAL(read_block(&fx, buf, 1), 0);
	pnvme_qpair_remove_cmd_error_injection(&fx.ctrlr.ctrlr, q, PNVME_OPC_READ);
	CU_ASSERT_EQUAL(read_block(&fx, buf, 2), 0);
	CU_ASSERT_EQUAL(fx.pq->sq_tail, 1); /* only the third reached the device */
	nvme_qpair_fail(q);
	CU_ASSERT_EQUAL(g_done, 3);
	CU_ASSERT_EQUAL(g_cpl.status.sc, PNVME_SC_ABORTED_SQ_DELETION);
	CU_ASSERT_EQUAL(q->num_outstanding, 0);
	CU_ASSERT_TRUE(STAILQ_EMPTY(&q->held_reqs));
	pcie_fixture_teardown(&fx);
	pnvme_dma_free(buf);
}

static void
test_argument_errors(void)
{
	struct pcie_fixture fx, other;

	test_log_capture_start();
	pcie_fixture_setup(&fx, 16, 32, 0);
	pcie_fixture_setup(&other, 16, 32, 0);
	CU_ASSERT_EQUAL(pnvme_qpair_add_cmd_error_injection(NULL, &fx.pq->qpair, PNVME_OPC_READ,
							    false, 0, 1, 0, 1),
			-EINVAL);
	CU_ASSERT(test_log_contains("NULL controller"));
	CU_ASSERT_EQUAL(pnvme_qpair_add_cmd_error_injection(&fx.ctrlr.ctrlr, &fx.pq->qpair,
							    PNVME_OPC_READ, false, 0, 0, 0, 1),
			-EINVAL);
	CU_ASSERT(test_log_contains("an error count of 0 injects nothing"));
	CU_ASSERT_EQUAL(pnvme_qpair_add_cmd_error_injection(&fx.ctrlr.ctrlr, &other.pq->qpair,
							    PNVME_OPC_READ, false, 0, 1, 0, 1),
			-EINVAL);
	CU_ASSERT(test_log_contains("belongs to another controller"));
	CU_ASSERT_PTR_NULL(fx.pq->qpair.err_injections);
	pcie_fixture_teardown(&other);
	pcie_fixture_teardown(&fx);
	pnvme_log_set_handler(NULL);
}

int
main(void)
{
	static const struct ut_test tests[] = {
		{"held_command_completes_at_timeout", test_held_command_completes_at_timeout},
		{"sent_command_status_replaced", test_sent_command_status_replaced},
		{"fail_and_remove", test_fail_and_remove},
		{"argument_errors", test_argument_errors},
		{NULL, NULL},
	};

	return ut_run("err_inject", tests);
}
