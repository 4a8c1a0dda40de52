/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Controller reset in place against the fake transport: what was
 * outstanding completes once, aborted, and only after the device stopped;
 * I/O qpairs come back in their own poll with the same handle; a reset
 * during a reset is refused; namespaces are identified again; a controller
 * that does not come back fails naming the state, and a later reset brings
 * it back.
 */
#include <errno.h>
#include <string.h>

#include "fake_ctrlr.h"
#include "test_env.h"
#include "ut.h"

#define POLLS 10000
#define MAX_SEEN 16

static int g_num_seen;
static struct pnvme_cpl g_seen[MAX_SEEN];

static void
record_cb(void *arg, const struct pnvme_cpl *cpl)
{
	(void)arg;
	if (g_num_seen < MAX_SEEN) {
		g_seen[g_num_seen] = *cpl;
	}
	g_num_seen++;
}

static int
submit_flush(struct pnvme_qpair *qpair)
{
	struct nvme_request *req = nvme_qpair_alloc_request(qpair, record_cb, NULL);

	if (req == NULL) {
		return -ENOMEM;
	}
	memset(&req->cmd, 0, sizeof(req->cmd));
	req->cmd.opc = PNVME_OPC_FLUSH;
	req->cmd.nsid = 1;
	return nvme_qpair_submit_request(qpair, req);
}

static int
run_reset(struct fake_ctrlr *f)
{
	int i, rc = pnvme_ctrlr_disconnect(&f->ctrlr);

	for (i = 0; rc == 0 && i < POLLS; i++) {
		rc = pnvme_ctrlr_reconnect_poll_async(&f->ctrlr);
		if (rc != -EAGAIN) {
			return rc;
		}
		rc = 0;
	}
	return -EAGAIN;
}

static struct fake_ctrlr *
live_fake(void)
{
	struct fake_ctrlr *f = fake_ctrlr_create();

	CU_ASSERT_EQUAL_FATAL(fake_ctrlr_run_init(f, POLLS), 1);
	return f;
}

static void
test_reset_completes_outstanding_once_and_recreates_qpair(void)
{
	struct fake_ctrlr *f = live_fake();
	struct pnvme_cmd cmd = {.opc = PNVME_OPC_GET_LOG_PAGE};
	struct pnvme_qpair *qpair;
	struct fake_io_qpair *fq;
	uint32_t epoch;
	int i;

	qpair = pnvme_ctrlr_alloc_io_qpair(&f->ctrlr, NULL, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(qpair);
	fq = (struct fake_io_qpair *)qpair;
	CU_ASSERT_EQUAL(fq->connects, 1);
	fq->hold = true;
	g_num_seen = 0;
	for (i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(submit_flush(qpair), 0);
	}
	/* An admin command the device sits on. */
	f->admin_hang = true;
	f->never_answer_opc = PNVME_OPC_GET_LOG_PAGE;
	CU_ASSERT_EQUAL(nvme_ctrlr_submit_admin(&f->ctrlr, &cmd, NULL, 0, record_cb, NULL), 0);
	epoch = f->ctrlr.epoch;

	test_log_capture_start();
	CU_ASSERT_EQUAL(pnvme_ctrlr_disconnect(&f->ctrlr), 0);
	CU_ASSERT_EQUAL(f->ctrlr.state, NVME_CTRLR_RESETTING);
	CU_ASSERT_FALSE(pnvme_ctrlr_is_failed(&f->ctrlr));
	/* Nothing completes before the device is seen stopped: it may still
	 * be moving data for those commands. */
	CU_ASSERT_EQUAL(g_num_seen, 0);
	CU_ASSERT_EQUAL(f->ctrlr.epoch, epoch);
	/* A reset during a reset is refused; so is a new qpair. */
	CU_ASSERT_EQUAL(pnvme_ctrlr_reset(&f->ctrlr), -EBUSY);
	CU_ASSERT(test_log_contains("reset refused: the controller is RESETTING"));
	CU_ASSERT_PTR_NULL(pnvme_ctrlr_alloc_io_qpair(&f->ctrlr, NULL, 0));
	CU_ASSERT_EQUAL(pnvme_ctrlr_reconnect_io_qpair(qpair), -EAGAIN);

	f->admin_hang = false;
	for (i = 0; i < POLLS && pnvme_ctrlr_reconnect_poll_async(&f->ctrlr) == -EAGAIN; i++) {
	}
	CU_ASSERT_EQUAL(f->ctrlr.state, NVME_CTRLR_LIVE);
	CU_ASSERT(test_log_contains("reset done"));
	/* The live controller's I/O queue was deleted first, then CC.EN went
	 * 1 -> 0 -> 1 and the admin queue was set up again. */
	CU_ASSERT_EQUAL(f->admin_count[PNVME_OPC_DELETE_IO_SQ], 1);
	CU_ASSERT_EQUAL(f->admin_count[PNVME_OPC_DELETE_IO_CQ], 1);
	CU_ASSERT_EQUAL(f->cc.bits.en, 1);
	CU_ASSERT_EQUAL(f->enable_calls, 2);
	/* The admin command completed once, aborted, in the reset's thread. */
	CU_ASSERT_EQUAL(g_num_seen, 1);
	CU_ASSERT_EQUAL(g_seen[0].status.sc, PNVME_SC_ABORTED_SQ_DELETION);

	/* The I/O qpair's commands complete in its own poll, once each, and
	 * its queue is created again under the same handle. */
	CU_ASSERT_EQUAL(pnvme_qpair_process_completions(qpair, 0), 0);
	CU_ASSERT_EQUAL(g_num_seen, 4);
	for (i = 1; i < 4; i++) {
		CU_ASSERT_EQUAL(g_seen[i].status.sct, PNVME_SCT_GENERIC);
		CU_ASSERT_EQUAL(g_seen[i].status.sc, PNVME_SC_ABORTED_SQ_DELETION);
	}
	CU_ASSERT_EQUAL(fq->connects, 2);
	CU_ASSERT_EQUAL(fq->disconnects, 1);
	CU_ASSERT_EQUAL(qpair->num_outstanding, 0);
	CU_ASSERT_EQUAL(qpair->num_free_reqs, qpair->num_reqs);
	fq->hold = false;
	CU_ASSERT_EQUAL(submit_flush(qpair), 0);
	CU_ASSERT_EQUAL(pnvme_qpair_process_completions(qpair, 0), 1);
	CU_ASSERT_EQUAL(g_num_seen, 5);
	CU_ASSERT_FALSE(pnvme_cpl_is_error(&g_seen[4]));
	/* Polling again changes nothing. */
	CU_ASSERT_EQUAL(pnvme_qpair_process_completions(qpair, 0), 0);
	CU_ASSERT_EQUAL(fq->connects, 2);
	CU_ASSERT_EQUAL(pnvme_ctrlr_free_io_qpair(qpair), 0);
	pnvme_log_set_handler(NULL);
	fake_ctrlr_destroy(f);
}

/* Fabrics: the reset closes the admin connection (nothing more can
 * arrive, so what was outstanding completes at once), opens a new one with
 * a new Connect, and an I/O qpair waits for its owner to reconnect it. */
static void
test_fabrics_reset(void)
{
	struct fake_ctrlr *f = fake_ctrlr_create_fabrics();
	struct pnvme_qpair *qpair;
	struct fake_io_qpair *fq;
	int i;

	CU_ASSERT_EQUAL_FATAL(fake_ctrlr_run_init(f, POLLS), 1);
	qpair = pnvme_ctrlr_alloc_io_qpair(&f->ctrlr, NULL, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(qpair);
	fq = (struct fake_io_qpair *)qpair;
	fq->hold = true;
	g_num_seen = 0;
	CU_ASSERT_EQUAL(submit_flush(qpair), 0);
	test_log_capture_start();
	CU_ASSERT_EQUAL(pnvme_ctrlr_disconnect(&f->ctrlr), 0);
	CU_ASSERT_EQUAL(f->closes, 1);
	CU_ASSERT_EQUAL(pnvme_qpair_process_completions(qpair, 0), -ENXIO);
	CU_ASSERT_EQUAL(g_num_seen, 1);
	CU_ASSERT_EQUAL(g_seen[0].status.sc, PNVME_SC_ABORTED_SQ_DELETION);
	CU_ASSERT_EQUAL(fq->disconnects, 1);
	CU_ASSERT_EQUAL(submit_flush(qpair), -ENXIO);
	CU_ASSERT_EQUAL(pnvme_ctrlr_reconnect_io_qpair(qpair), -EAGAIN);
	for (i = 0; i < POLLS && pnvme_ctrlr_process_admin_completions(&f->ctrlr) == 0 &&
		    f->ctrlr.state != NVME_CTRLR_LIVE;
	     i++) {
	}
	CU_ASSERT_EQUAL(f->ctrlr.state, NVME_CTRLR_LIVE);
	CU_ASSERT_EQUAL(f->opens, 2);
	CU_ASSERT_EQUAL(f->fabric_count[PNVME_FCTYPE_CONNECT], 2);
	/* Not connected behind its owner's back. */
	CU_ASSERT_EQUAL(pnvme_qpair_process_completions(qpair, 0), -ENXIO);
	CU_ASSERT_EQUAL(fq->connects, 1);
	CU_ASSERT_EQUAL(pnvme_ctrlr_reconnect_io_qpair(qpair), 0);
	CU_ASSERT_EQUAL(fq->connects, 2);
	fq->hold = false;
	CU_ASSERT_EQUAL(submit_flush(qpair), 0);
	CU_ASSERT_EQUAL(pnvme_qpair_process_completions(qpair, 0), 1);
	CU_ASSERT_EQUAL(g_num_seen, 2);
	pnvme_ctrlr_free_io_qpair(qpair);
	pnvme_log_set_handler(NULL);
	fake_ctrlr_destroy(f);
}

/* A qpair nobody polled during the reset refuses submissions until its
 * poll has caught up (never from inside a completion callback); that poll
 * completes its old commands, aborted, and creates its queue again. */
static void
test_qpair_catches_up_in_its_poll(void)
{
	struct fake_ctrlr *f = live_fake();
	struct pnvme_qpair *qpair = pnvme_ctrlr_alloc_io_qpair(&f->ctrlr, NULL, 0);
	struct fake_io_qpair *fq = (struct fake_io_qpair *)qpair;
	struct pnvme_ns *ns = pnvme_ctrlr_get_ns(&f->ctrlr, 1);
	void *buf = pnvme_dma_zmalloc(4096, 4096, NULL);

	CU_ASSERT_PTR_NOT_NULL_FATAL(qpair);
	fq->hold = true;
	g_num_seen = 0;
	CU_ASSERT_EQUAL(submit_flush(qpair), 0);
	test_log_capture_start();
	CU_ASSERT_EQUAL(pnvme_ctrlr_reset(&f->ctrlr), 0);
	CU_ASSERT_EQUAL(g_num_seen, 0);
	CU_ASSERT_EQUAL(pnvme_ns_cmd_read(ns, qpair, buf, 0, 1, record_cb, NULL, 0), -ENXIO);
	CU_ASSERT_EQUAL(g_num_seen, 0);
	CU_ASSERT_EQUAL(fq->connects, 1);
	CU_ASSERT_EQUAL(pnvme_qpair_process_completions(qpair, 0), 0);
	CU_ASSERT_EQUAL(g_num_seen, 1);
	CU_ASSERT_EQUAL(g_seen[0].status.sc, PNVME_SC_ABORTED_SQ_DELETION);
	CU_ASSERT_EQUAL(fq->connects, 2);
	fq->hold = false;
	CU_ASSERT_EQUAL(pnvme_ns_cmd_read(ns, qpair, buf, 0, 1, record_cb, NULL, 0), 0);
	CU_ASSERT_EQUAL(pnvme_qpair_process_completions(qpair, 0), 1);
	CU_ASSERT_EQUAL(g_num_seen, 2);
	CU_ASSERT_FALSE(pnvme_cpl_is_error(&g_seen[1]));
	pnvme_ctrlr_free_io_qpair(qpair);
	pnvme_dma_free(buf);
	pnvme_log_set_handler(NULL);
	fake_ctrlr_destroy(f);
}

static void
test_namespaces_identified_again(void)
{
	struct fake_ctrlr *f = fake_ctrlr_create();
	struct pnvme_ns *ns1, *ns2, *ns3;
	void *buf = pnvme_dma_zmalloc(4096, 4096, NULL);
	struct pnvme_qpair *qpair;

	fake_ctrlr_add_ns(f, 2, 1000, 12);
	CU_ASSERT_EQUAL_FATAL(fake_ctrlr_run_init(f, POLLS), 1);
	ns1 = pnvme_ctrlr_get_ns(&f->ctrlr, 1);
	ns2 = pnvme_ctrlr_get_ns(&f->ctrlr, 2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ns1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ns2);
	qpair = pnvme_ctrlr_alloc_io_qpair(&f->ctrlr, NULL, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(qpair);

	/* While it resets: namespace 1 grows and takes 4 KiB blocks,
	 * namespace 2 goes, namespace 3 comes. */
	f->nsdata[0].nsze = f->nsdata[0].ncap = f->nsdata[0].nuse = 4096;
	f->nsdata[0].flbas = 1;
	f->num_active = 1;
	fake_ctrlr_add_ns(f, 3, 2048, 9);
	test_log_capture_start();
	CU_ASSERT_EQUAL(run_reset(f), 0);
	CU_ASSERT(test_log_contains("namespace 1 changed: 2097152 blocks of 512 bytes (+0 "
				    "metadata) now 4096 of 4096 (+8)"));
	CU_ASSERT(test_log_contains("namespace 2 is gone"));
	/* The same objects: the application's pointers hold. */
	CU_ASSERT_PTR_EQUAL(pnvme_ctrlr_get_ns(&f->ctrlr, 1), ns1);
	CU_ASSERT_EQUAL(pnvme_ns_get_num_sectors(ns1), 4096);
	CU_ASSERT_EQUAL(pnvme_ns_get_sector_size(ns1), 4096);
	CU_ASSERT(pnvme_ns_is_active(ns1));
	CU_ASSERT_PTR_NULL(pnvme_ctrlr_get_ns(&f->ctrlr, 2));
	CU_ASSERT_FALSE(pnvme_ns_is_active(ns2));
	CU_ASSERT_EQUAL(pnvme_ns_cmd_read(ns2, qpair, buf, 0, 1, record_cb, NULL, 0), -ENXIO);
	ns3 = pnvme_ctrlr_get_ns(&f->ctrlr, 3);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ns3);
	CU_ASSERT(pnvme_ns_is_active(ns3));
	CU_ASSERT_EQUAL(pnvme_ctrlr_get_first_active_ns(&f->ctrlr), 1);
	CU_ASSERT_EQUAL(pnvme_ctrlr_get_next_active_ns(&f->ctrlr, 1), 3);
	CU_ASSERT_EQUAL(pnvme_ctrlr_get_next_active_ns(&f->ctrlr, 3), 0);
	pnvme_ctrlr_free_io_qpair(qpair);
	pnvme_dma_free(buf);
	pnvme_log_set_handler(NULL);
	fake_ctrlr_destroy(f); /* frees the gone namespace too (ASan checks) */
}

static void
test_failed_reset_then_recovery(void)
{
	struct fake_ctrlr *f = live_fake();
	struct pnvme_qpair *qpair = pnvme_ctrlr_alloc_io_qpair(&f->ctrlr, NULL, 0);
	struct fake_io_qpair *fq = (struct fake_io_qpair *)qpair;

	CU_ASSERT_PTR_NOT_NULL_FATAL(qpair);
	fq->hold = true;
	g_num_seen = 0;
	CU_ASSERT_EQUAL(submit_flush(qpair), 0);

	/* It never becomes ready again. */
	test_log_capture_start();
	f->rdy_after = -1;
	g_test_tick_step = 1000;
	CU_ASSERT_EQUAL(pnvme_ctrlr_reset(&f->ctrlr), -ENXIO);
	g_test_tick_step = 1;
	CU_ASSERT_EQUAL(f->ctrlr.state, NVME_CTRLR_FAILED);
	CU_ASSERT(test_log_contains("timed out in state DISABLE waiting for CSTS.RDY=0"));
	CU_ASSERT(test_log_contains("controller failed: the reset did not bring the controller "
				    "back"));
	/* The device was never seen stopped, yet the controller failed: its
	 * commands complete now, once, with an error. */
	CU_ASSERT_EQUAL(pnvme_qpair_process_completions(qpair, 0), -ENXIO);
	CU_ASSERT_EQUAL(g_num_seen, 1);
	CU_ASSERT_EQUAL(submit_flush(qpair), -ENXIO);
	CU_ASSERT_EQUAL(pnvme_ctrlr_reconnect_io_qpair(qpair), -ENXIO);

	/* A reset is the way out of FAILED (no Delete for a failed one). */
	f->rdy_after = 3;
	CU_ASSERT_EQUAL(pnvme_ctrlr_reset(&f->ctrlr), 0);
	CU_ASSERT_EQUAL(f->admin_count[PNVME_OPC_DELETE_IO_SQ], 1); /* the first reset's */
	CU_ASSERT_EQUAL(f->ctrlr.state, NVME_CTRLR_LIVE);
	fq->hold = false;
	CU_ASSERT_EQUAL(pnvme_qpair_process_completions(qpair, 0), 0);
	CU_ASSERT_EQUAL(fq->connects, 2);
	CU_ASSERT_EQUAL(submit_flush(qpair), 0);
	CU_ASSERT_EQUAL(pnvme_qpair_process_completions(qpair, 0), 1);
	CU_ASSERT_EQUAL(g_num_seen, 2);
	pnvme_ctrlr_free_io_qpair(qpair);
	pnvme_log_set_handler(NULL);
	fake_ctrlr_destroy(f);
}

/* A qpair whose queue cannot be created again stays disconnected; the
 * application's reconnect tries again. */
static void
test_reconnect_failure_and_retry(void)
{
	struct fake_ctrlr *f = live_fake();
	struct pnvme_qpair *qpair = pnvme_ctrlr_alloc_io_qpair(&f->ctrlr, NULL, 0);

	CU_ASSERT_PTR_NOT_NULL_FATAL(qpair);
	test_log_capture_start();
	CU_ASSERT_EQUAL(pnvme_ctrlr_reset(&f->ctrlr), 0);
	f->io_connect_rc = -EIO;
	CU_ASSERT_EQUAL(pnvme_qpair_process_completions(qpair, 0), -ENXIO);
	CU_ASSERT(test_log_contains("qpair 1 could not be connected again"));
	CU_ASSERT_EQUAL(pnvme_ctrlr_reconnect_io_qpair(qpair), -ENXIO);
	f->io_connect_rc = 0;
	CU_ASSERT_EQUAL(pnvme_ctrlr_reconnect_io_qpair(qpair), 0);
	CU_ASSERT_EQUAL(pnvme_qpair_process_completions(qpair, 0), 0);
	CU_ASSERT_EQUAL(submit_flush(qpair), 0);
	CU_ASSERT_EQUAL(pnvme_ctrlr_reconnect_io_qpair(qpair), 0); /* connected: nothing */
	CU_ASSERT_EQUAL(((struct fake_io_qpair *)qpair)->connects, 4);
	pnvme_ctrlr_free_io_qpair(qpair);
	pnvme_log_set_handler(NULL);
	fake_ctrlr_destroy(f);
}

/* Poll the admin queue until no reset is pending or running. */
static void
admin_poll_until_live(struct fake_ctrlr *f)
{
	int i;

	for (i = 0; i < POLLS && (f->ctrlr.reset_requested ||
				  f->ctrlr.state != NVME_CTRLR_LIVE); i++) {
		pnvme_ctrlr_process_admin_completions(&f->ctrlr);
	}
}

/* A late command, the timeout action, and recovery: with RESET the next
 * admin poll resets; with ABORT an Abort goes out first, and the reset
 * follows only when the Abort fails or says it did not abort. */
static void
run_timeout_action(enum pnvme_timeout_action action, uint8_t abort_sc, uint32_t abort_cdw0,
		   bool expect_reset)
{
	struct fake_ctrlr *f = live_fake();
	struct pnvme_qpair *qpair = pnvme_ctrlr_alloc_io_qpair(&f->ctrlr, NULL, 0);
	struct fake_io_qpair *fq = (struct fake_io_qpair *)qpair;

	CU_ASSERT_PTR_NOT_NULL_FATAL(qpair);
	f->abort_sc = abort_sc;
	f->abort_cdw0 = abort_cdw0;
	CU_ASSERT_EQUAL(pnvme_ctrlr_register_timeout_callback(&f->ctrlr, 1000, 0, NULL, NULL), 0);
	CU_ASSERT_EQUAL(pnvme_ctrlr_set_timeout_action(&f->ctrlr, action), 0);
	fq->hold = true;
	g_num_seen = 0;
	test_log_capture_start();
	CU_ASSERT_EQUAL(submit_flush(qpair), 0);
	g_test_tick_step = 1000;
	CU_ASSERT_EQUAL(pnvme_qpair_process_completions(qpair, 0), 0);
	g_test_tick_step = 1;
	CU_ASSERT(test_log_contains("outstanding for more than 1000 us"));
	CU_ASSERT_EQUAL(f->admin_count[PNVME_OPC_ABORT], 0);
	/* Nothing happens inside the I/O poll: the admin poll acts. */
	CU_ASSERT_EQUAL(f->ctrlr.state, NVME_CTRLR_LIVE);
	pnvme_ctrlr_process_admin_completions(&f->ctrlr);
	CU_ASSERT_EQUAL(f->admin_count[PNVME_OPC_ABORT], action == PNVME_TIMEOUT_ACTION_ABORT);
	admin_poll_until_live(f);
	CU_ASSERT_EQUAL(f->enable_calls, expect_reset ? 2 : 1);
	CU_ASSERT_EQUAL(test_log_contains("resetting the controller"), expect_reset);
	CU_ASSERT_EQUAL(pnvme_qpair_process_completions(qpair, 0), 0);
	if (expect_reset) {
		/* The late command completed once, aborted by the reset. */
		CU_ASSERT_EQUAL(g_num_seen, 1);
		CU_ASSERT_EQUAL(g_seen[0].status.sc, PNVME_SC_ABORTED_SQ_DELETION);
		CU_ASSERT_EQUAL(fq->connects, 2);
	} else {
		/* The Abort took (the fake leaves the command to complete). */
		CU_ASSERT_EQUAL(g_num_seen, 0);
		fq->hold = false;
		CU_ASSERT_EQUAL(pnvme_qpair_process_completions(qpair, 0), 1);
	}
	pnvme_ctrlr_free_io_qpair(qpair);
	pnvme_log_set_handler(NULL);
	fake_ctrlr_destroy(f);
}

static void
test_timeout_actions(void)
{
	run_timeout_action(PNVME_TIMEOUT_ACTION_NONE, 0, 0, false);
	run_timeout_action(PNVME_TIMEOUT_ACTION_RESET, 0, 0, true);
	/* Abort accepted and done (dword 0 bit 0 clear): no reset. */
	run_timeout_action(PNVME_TIMEOUT_ACTION_ABORT, 0, 0, false);
	/* Abort answered "not aborted": escalate. */
	run_timeout_action(PNVME_TIMEOUT_ACTION_ABORT, 0, 1, true);
	/* Abort failed: escalate. */
	run_timeout_action(PNVME_TIMEOUT_ACTION_ABORT, PNVME_SC_INVALID_FIELD, 0, true);
}

static void
test_argument_errors(void)
{
	struct fake_ctrlr *f = live_fake();

	test_log_capture_start();
	CU_ASSERT_EQUAL(pnvme_ctrlr_reset(NULL), -EINVAL);
	CU_ASSERT_EQUAL(pnvme_ctrlr_disconnect(NULL), -EINVAL);
	CU_ASSERT_EQUAL(pnvme_ctrlr_reconnect_poll_async(NULL), -EINVAL);
	CU_ASSERT_EQUAL(pnvme_ctrlr_reconnect_io_qpair(NULL), -EINVAL);
	CU_ASSERT_EQUAL(pnvme_ctrlr_reconnect_io_qpair(f->ctrlr.adminq), -EINVAL);
	CU_ASSERT_EQUAL(test_log_lines(), 5);
	/* No reset in progress: nothing to advance. */
	CU_ASSERT_EQUAL(pnvme_ctrlr_reconnect_poll_async(&f->ctrlr), 0);
	nvme_ctrlr_set_removed(&f->ctrlr, "gone");
	CU_ASSERT_EQUAL(pnvme_ctrlr_reset(&f->ctrlr), -ENXIO);
	pnvme_log_set_handler(NULL);
	fake_ctrlr_destroy(f);
}

int
main(void)
{
	static const struct ut_test tests[] = {
		{"reset_completes_outstanding_once_and_recreates_qpair",
		 test_reset_completes_outstanding_once_and_recreates_qpair},
		{"qpair_catches_up_in_its_poll", test_qpair_catches_up_in_its_poll},
		{"fabrics_reset", test_fabrics_reset},
		{"namespaces_identified_again", test_namespaces_identified_again},
		{"failed_reset_then_recovery", test_failed_reset_then_recovery},
		{"reconnect_failure_and_retry", test_reconnect_failure_and_retry},
		{"timeout_actions", test_timeout_actions},
		{"argument_errors", test_argument_errors},
		{NULL, NULL},
	};

	return ut_run("ctrlr_reset", tests);
}
