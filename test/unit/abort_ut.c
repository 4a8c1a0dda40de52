/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Abort command against a controller the PCIe transport built over a
 * heap BAR0: encoding, the ACL+1 limit with the rest waiting in order,
 * every Abort completing once (also when the controller fails first),
 * argument errors.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pcie_fixture.h"
#include "test_env.h"
#include "ut.h"

#define MAX_ABORTS 8

static int g_done;
static struct pnvme_cpl g_cpls[MAX_ABORTS];

static void
abort_cb(void *arg, const struct pnvme_cpl *cpl)
{
	(void)arg;
	if (g_done < MAX_ABORTS) {
		g_cpls[g_done] = *cpl;
	}
	g_done++;
}

/* Abort commands sitting in the admin SQ, not yet seen by the device. */
static int
aborts_in_sq(struct pcie_test_device *d)
{
	struct pcie_qpair *aq = pcie_qpair(d->ctrlr->adminq);
	int n = 0;
	uint16_t i;

	for (i = d->sq_head; i != aq->sq_tail; i = (uint16_t)((i + 1) % aq->num_entries)) {
		n += aq->sq[i].opc == PNVME_OPC_ABORT;
	}
	return n;
}

static void
test_abort_limit_and_encoding(void)
{
	struct pcie_test_device d;
	struct pcie_qpair *aq;
	int i;

	pcie_test_device_create(&d, 0x2000, pcie_test_cap(), 4);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d.ctrlr);
	aq = pcie_qpair(d.ctrlr->adminq);
	d.ctrlr->cdata.acl = 1; /* 0-based: two at once */
	d.admin_cdw0[PNVME_OPC_ABORT] = 1; /* "not aborted", as most controllers say */
	g_done = 0;
	for (i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(pnvme_ctrlr_cmd_abort(d.ctrlr, NULL, (uint16_t)(7 + i), abort_cb, NULL),
				0);
	}
	CU_ASSERT_EQUAL(aborts_in_sq(&d), 2); /* the third waits */
	CU_ASSERT_EQUAL(aq->sq[0].opc, PNVME_OPC_ABORT);
	CU_ASSERT_EQUAL(aq->sq[0].cdw10, (7u << 16) | 0u); /* CID 7 of SQ 0 */
	CU_ASSERT_EQUAL(aq->sq[1].cdw10, (8u << 16) | 0u);
	CU_ASSERT_EQUAL(pnvme_ctrlr_process_admin_completions(d.ctrlr) >= 0, true);
	CU_ASSERT_EQUAL(g_done, 2);
	CU_ASSERT_EQUAL(g_cpls[0].cdw0 & 1, 1);
	CU_ASSERT_EQUAL(aborts_in_sq(&d), 1); /* sent as one completed */
	pnvme_ctrlr_process_admin_completions(d.ctrlr);
	CU_ASSERT_EQUAL(g_done, 3);
	CU_ASSERT_EQUAL(d.admin_count[PNVME_OPC_ABORT], 3);
	CU_ASSERT_EQUAL(d.ctrlr->aborts_outstanding, 0);
	pcie_test_device_destroy(&d);
}

/* Aborts with the controller and those waiting all complete once when the
 * controller fails. */
static void
test_controller_failure_completes_every_abort(void)
{
	struct pcie_test_device d;
	int i;

	test_log_capture_start();
	pcie_test_device_create(&d, 0x2000, pcie_test_cap(), 4);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d.ctrlr);
	d.ctrlr->cdata.acl = 0; /* one at once */
	g_done = 0;
	for (i = 0; i < 4; i++) {
		CU_ASSERT_EQUAL(pnvme_ctrlr_cmd_abort(d.ctrlr, NULL, (uint16_t)i, abort_cb, NULL), 0);
	}
	nvme_ctrlr_fail(d.ctrlr, "test");
	CU_ASSERT_EQUAL(g_done, 4);
	for (i = 0; i < 4; i++) {
		CU_ASSERT_EQUAL(g_cpls[i].status.sc, PNVME_SC_ABORTED_SQ_DELETION);
	}
	CU_ASSERT_EQUAL(d.ctrlr->aborts_outstanding, 0);
	CU_ASSERT_EQUAL(pnvme_ctrlr_cmd_abort(d.ctrlr, NULL, 1, abort_cb, NULL), -ENXIO);
	pcie_test_device_destroy(&d);
	pnvme_log_set_handler(NULL);
}

static void
test_argument_errors(void)
{
	struct pcie_test_device d;
	struct pcie_fixture fx;

	test_log_capture_start();
	pcie_fixture_setup(&fx, 16, 32, 0);
	pcie_test_device_create(&d, 0x2000, pcie_test_cap(), 4);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d.ctrlr);
	CU_ASSERT_EQUAL(pnvme_ctrlr_cmd_abort(NULL, NULL, 1, abort_cb, NULL), -EINVAL);
	CU_ASSERT(test_log_contains("cmd_abort: NULL controller"));
	CU_ASSERT_EQUAL(pnvme_ctrlr_cmd_abort(d.ctrlr, &fx.pq->qpair, 1, abort_cb, NULL), -EINVAL);
	CU_ASSERT(test_log_contains("belongs to another controller"));
	CU_ASSERT_EQUAL(pnvme_ctrlr_cmd_abort(d.ctrlr, NULL, PNVME_CID_NOT_SUBMITTED, abort_cb,
					      NULL),
			-EINVAL);
	CU_ASSERT(test_log_contains("not with the device"));
	CU_ASSERT_EQUAL(aborts_in_sq(&d), 0);
	pcie_test_device_destroy(&d);
	pcie_fixture_teardown(&fx);
	pnvme_log_set_handler(NULL);
}

int
main(void)
{
	static const struct ut_test tests[] = {
		{"abort_limit_and_encoding", test_abort_limit_and_encoding},
		{"controller_failure_completes_every_abort",
		 test_controller_failure_completes_every_abort},
		{"argument_errors", test_argument_errors},
		{NULL, NULL},
	};

	return ut_run("abort", tests);
}
