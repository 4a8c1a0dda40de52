/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pnvme_probe / pnvme_connect / pnvme_detach on the fake transport:
 * callbacks, options, parallel bring-up, failures and removal.
 */
#include <errno.h>
#include <string.h>

#include "fake_ctrlr.h"
#include "test_env.h"
#include "ut.h"

struct probe_log {
	int probed;
	int attached;
	int removed;
	bool refuse;
	uint32_t num_io_queues;
	struct pnvme_ctrlr *ctrlrs[8];
	struct pnvme_ctrlr *removed_ctrlr;
};

static bool
probe_cb(void *ctx, const struct pnvme_transport_id *trid, struct pnvme_ctrlr_opts *opts)
{
	struct probe_log *log = ctx;

	CU_ASSERT_EQUAL(trid->trtype, FAKE_TRANSPORT_TYPE);
	log->probed++;
	if (log->num_io_queues) {
		opts->num_io_queues = log->num_io_queues;
	}
	return !log->refuse;
}

static void
attach_cb(void *ctx, const struct pnvme_transport_id *trid, struct pnvme_ctrlr *ctrlr,
	  const struct pnvme_ctrlr_opts *opts)
{
	struct probe_log *log = ctx;

	CU_ASSERT_STRING_EQUAL(trid->traddr, pnvme_ctrlr_get_transport_id(ctrlr)->traddr);
	CU_ASSERT_EQUAL(opts->num_io_queues, log->num_io_queues ? log->num_io_queues : 64);
	/* Attached means ready: identify data is there. */
	CU_ASSERT(memcmp(pnvme_ctrlr_get_data(ctrlr)->sn, "FAKESERIAL", 10) == 0);
	log->ctrlrs[log->attached++] = ctrlr;
}

static void
remove_cb(void *ctx, struct pnvme_ctrlr *ctrlr)
{
	struct probe_log *log = ctx;

	CU_ASSERT(pnvme_ctrlr_is_failed(ctrlr));
	log->removed++;
	log->removed_ctrlr = ctrlr;
}

static const struct pnvme_transport_id g_fake_trid = {.trtype = FAKE_TRANSPORT_TYPE};

static void
reset_fake(int count)
{
	g_fake_scan_count = count;
	g_fake_num_constructed = 0;
}

static void
test_probe_attaches_all_in_parallel(void)
{
	struct probe_log log = {0};
	int i;

	reset_fake(3);
	log.num_io_queues = 2;
	CU_ASSERT_EQUAL(pnvme_probe(&g_fake_trid, &log, probe_cb, attach_cb, NULL), 0);
	CU_ASSERT_EQUAL(log.probed, 3);
	CU_ASSERT_EQUAL(log.attached, 3);
	/* The probe_cb's option reached the controller. */
	CU_ASSERT_EQUAL(pnvme_ctrlr_get_num_io_queues(log.ctrlrs[0]), 2);
	/* Attached controllers are not offered again. */
	CU_ASSERT_EQUAL(pnvme_probe(&g_fake_trid, &log, probe_cb, attach_cb, NULL), 0);
	CU_ASSERT_EQUAL(log.probed, 3);
	g_fake_shutdowns = 0;
	for (i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(pnvme_detach(log.ctrlrs[i]), 0);
	}
	/* Every detach requested a normal shutdown (CC.SHN = 01b). */
	CU_ASSERT_EQUAL(g_fake_shutdowns, 3);
}

static void
test_probe_cb_refuses(void)
{
	struct probe_log log = {.refuse = true};

	reset_fake(2);
	CU_ASSERT_EQUAL(pnvme_probe(&g_fake_trid, &log, probe_cb, attach_cb, NULL), 0);
	CU_ASSERT_EQUAL(log.probed, 2);
	CU_ASSERT_EQUAL(log.attached, 0);
	CU_ASSERT_EQUAL(g_fake_num_constructed, 0);
}

static void
test_failed_bringup_reported(void)
{
	struct probe_log log = {0};

	reset_fake(3);
	g_fake_never_ready_index = 1;
	test_log_capture_start();
	g_test_tick_step = 1000;
	/* One of three never becomes ready: the others still attach. */
	CU_ASSERT_EQUAL(pnvme_probe(&g_fake_trid, &log, probe_cb, attach_cb, NULL), -EIO);
	CU_ASSERT_EQUAL(log.attached, 2);
	CU_ASSERT(test_log_contains("fake1: timed out in state ENABLE"));
	CU_ASSERT_STRING_EQUAL(pnvme_ctrlr_get_transport_id(log.ctrlrs[0])->traddr, "fake0");
	CU_ASSERT_STRING_EQUAL(pnvme_ctrlr_get_transport_id(log.ctrlrs[1])->traddr, "fake2");
	CU_ASSERT_EQUAL(pnvme_detach(log.ctrlrs[0]), 0);
	CU_ASSERT_EQUAL(pnvme_detach(log.ctrlrs[1]), 0);
	g_fake_never_ready_index = -1;
	g_test_tick_step = 1;
	pnvme_log_set_handler(NULL);
}

static void
test_connect_and_detach(void)
{
	struct pnvme_transport_id trid = g_fake_trid;
	struct pnvme_ctrlr_opts opts;
	struct pnvme_ctrlr *ctrlr, *again;

	reset_fake(2);
	strcpy(trid.traddr, "fake1");
	pnvme_ctrlr_get_default_opts(&opts, sizeof(opts));
	opts.num_io_queues = 3;
	ctrlr = pnvme_connect(&trid, &opts, sizeof(opts));
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctrlr);
	CU_ASSERT_STRING_EQUAL(pnvme_ctrlr_get_transport_id(ctrlr)->traddr, "fake1");
	CU_ASSERT_EQUAL(pnvme_ctrlr_get_num_io_queues(ctrlr), 3);
	test_log_capture_start();
	again = pnvme_connect(&trid, NULL, 0);
	CU_ASSERT_PTR_NULL(again);
	CU_ASSERT(test_log_contains("fake1 is already attached"));
	CU_ASSERT_EQUAL(pnvme_detach(ctrlr), 0);
	/* Detaching twice, or something never attached, is refused. */
	CU_ASSERT_EQUAL(pnvme_detach(ctrlr), -EINVAL);
	CU_ASSERT_EQUAL(pnvme_detach(NULL), -EINVAL);
	CU_ASSERT(test_log_contains("is not an attached controller"));
	pnvme_log_set_handler(NULL);
}

static void
test_removal_reported_once(void)
{
	struct probe_log log = {0};

	reset_fake(2);
	CU_ASSERT_EQUAL(pnvme_probe(&g_fake_trid, &log, probe_cb, attach_cb, remove_cb), 0);
	CU_ASSERT_EQUAL(log.attached, 2);
	test_log_capture_start();
	g_fake_constructed[1]->present = false;
	g_fake_scan_count = 1; /* gone from the bus as well */
	CU_ASSERT_EQUAL(pnvme_probe(&g_fake_trid, &log, probe_cb, attach_cb, remove_cb), 0);
	CU_ASSERT_EQUAL(log.removed, 1);
	CU_ASSERT_PTR_EQUAL(log.removed_ctrlr, log.ctrlrs[1]);
	CU_ASSERT(test_log_contains("fake1: controller removed: device removed"));
	CU_ASSERT_FALSE(pnvme_ctrlr_is_failed(log.ctrlrs[0]));
	CU_ASSERT_EQUAL(pnvme_probe(&g_fake_trid, &log, probe_cb, attach_cb, remove_cb), 0);
	CU_ASSERT_EQUAL(log.removed, 1);
	/* A removed controller detaches without touching the device. */
	CU_ASSERT_EQUAL(pnvme_detach(log.ctrlrs[1]), 0);
	CU_ASSERT_EQUAL(pnvme_detach(log.ctrlrs[0]), 0);
	pnvme_log_set_handler(NULL);
}

static void
test_unknown_transport(void)
{
	/* A type value no transport claims. */
	struct pnvme_transport_id trid = {.trtype = (enum pnvme_transport_type)99};

	test_log_capture_start();
	CU_ASSERT_EQUAL(pnvme_probe(&trid, NULL, NULL, NULL, NULL), -ENOTSUP);
	CU_ASSERT(test_log_contains("transport (unknown) is not available in this build"));
	pnvme_log_set_handler(NULL);
}

/* The registry holds exactly the transports the build was configured with. */
static void
test_configured_transports(void)
{
	struct pnvme_transport_id trid;

	CU_ASSERT_PTR_NOT_NULL(nvme_transport_get_ops(PNVME_TRANSPORT_PCIE));
	CU_ASSERT_EQUAL(nvme_transport_get_ops(PNVME_TRANSPORT_TCP) != NULL, PNVME_CONFIG_TCP);
	if (!PNVME_CONFIG_TCP) {
		test_log_capture_start();
		CU_ASSERT_EQUAL_FATAL(pnvme_transport_id_parse(&trid, "trtype:TCP adrfam:IPv4 "
							   "traddr:127.0.0.1 trsvcid:4420"),
				      0);
		CU_ASSERT_EQUAL(pnvme_probe(&trid, NULL, NULL, NULL, NULL), -ENOTSUP);
		CU_ASSERT(test_log_contains("transport TCP is not available in this build"));
		pnvme_log_set_handler(NULL);
	}
}

int
main(void)
{
	static const struct ut_test tests[] = {
		{"probe_attaches_all_in_parallel", test_probe_attaches_all_in_parallel},
		{"probe_cb_refuses", test_probe_cb_refuses},
		{"failed_bringup_reported", test_failed_bringup_reported},
		{"connect_and_detach", test_connect_and_detach},
		{"removal_reported_once", test_removal_reported_once},
		{"unknown_transport", test_unknown_transport},
		{"configured_transports", test_configured_transports},
		{NULL, NULL},
	};

	if (nvme_transport_register(&g_fake_ops) != 0) {
		return 2;
	}
	return ut_run("probe", tests);
}
