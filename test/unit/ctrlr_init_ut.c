/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The controller bring-up state machine against a fake register file.
 */
#include <errno.h>
#include <string.h>

#include "fake_ctrlr.h"
#include "test_env.h"
#include "ut.h"

#define POLLS 10000

/* Bring-up fails with @p rc and exactly one line, which holds @p line. */
static void
expect_init_fails(struct fake_ctrlr *f, int rc, const char *line)
{
	CU_ASSERT_EQUAL(fake_ctrlr_run_init(f, POLLS), rc);
	CU_ASSERT(test_log_contains(line));
	CU_ASSERT_EQUAL(test_log_lines(), 1);
}

static void
test_ready_after_polls(void)
{
	struct fake_ctrlr *f = fake_ctrlr_create();
	struct pnvme_ns *ns;

	f->rdy_after = 7;
	CU_ASSERT_EQUAL(fake_ctrlr_run_init(f, POLLS), 1);
	CU_ASSERT_EQUAL(f->ctrlr.init.state, NVME_INIT_READY);
	CU_ASSERT_EQUAL(f->enable_calls, 1);
	/* One write enabling the controller: it started disabled. */
	CU_ASSERT_EQUAL(f->cc_writes, 1);
	CU_ASSERT_EQUAL(f->cc.bits.en, 1);
	CU_ASSERT_EQUAL(f->cc.bits.iosqes, 6);
	CU_ASSERT_EQUAL(f->cc.bits.iocqes, 4);
	CU_ASSERT_EQUAL(f->cc.bits.mps, 0);
	CU_ASSERT(memcmp(pnvme_ctrlr_get_data(&f->ctrlr)->sn, "FAKESERIAL", 10) == 0);
	/* 6 SQs and 4 CQs granted, 8 asked: the smallest wins. */
	CU_ASSERT_EQUAL(pnvme_ctrlr_get_num_io_queues(&f->ctrlr), 4);
	/* MDTS 5 with 4 KiB pages is 128 KiB, equal to the transport's limit. */
	CU_ASSERT_EQUAL(pnvme_ctrlr_get_max_xfer_size(&f->ctrlr), 128 * 1024);
	CU_ASSERT(pnvme_ctrlr_get_flags(&f->ctrlr) & PNVME_CTRLR_SGL_SUPPORTED);
	CU_ASSERT_FALSE(pnvme_ctrlr_get_flags(&f->ctrlr) & PNVME_CTRLR_FUSED_COMPARE_WRITE);
	CU_ASSERT_EQUAL(pnvme_ctrlr_get_first_active_ns(&f->ctrlr), 1);
	CU_ASSERT_EQUAL(pnvme_ctrlr_get_next_active_ns(&f->ctrlr, 1), 0);
	ns = pnvme_ctrlr_get_ns(&f->ctrlr, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ns);
	CU_ASSERT_EQUAL(pnvme_ns_get_sector_size(ns), 512);
	CU_ASSERT_EQUAL(pnvme_ns_get_size(ns), (1ull << 21) * 512);
	CU_ASSERT_PTR_NULL(pnvme_ctrlr_get_ns(&f->ctrlr, 2));
	/* Bring-up buffers are gone once ready. */
	CU_ASSERT_PTR_NULL(f->ctrlr.init.buf);
	fake_ctrlr_destroy(f);
}

/* One controller state: CONNECTING until bring-up ends, then LIVE or
 * FAILED; REMOVED from anywhere; nothing leads back out of FAILED. */
static void
test_controller_states(void)
{
	struct fake_ctrlr *f = fake_ctrlr_create();

	CU_ASSERT_EQUAL(f->ctrlr.state, NVME_CTRLR_CONNECTING);
	CU_ASSERT_EQUAL(fake_ctrlr_run_init(f, POLLS), 1);
	CU_ASSERT_EQUAL(f->ctrlr.state, NVME_CTRLR_LIVE);
	CU_ASSERT_FALSE(pnvme_ctrlr_is_failed(&f->ctrlr));
	test_log_capture_start();
	nvme_ctrlr_fail(&f->ctrlr, "test failure");
	CU_ASSERT_EQUAL(f->ctrlr.state, NVME_CTRLR_FAILED);
	CU_ASSERT(pnvme_ctrlr_is_failed(&f->ctrlr));
	CU_ASSERT_FALSE(nvme_ctrlr_set_state(&f->ctrlr, NVME_CTRLR_LIVE));
	CU_ASSERT(test_log_contains("controller state FAILED cannot become LIVE"));
	CU_ASSERT_EQUAL(f->ctrlr.state, NVME_CTRLR_FAILED);
	nvme_ctrlr_set_removed(&f->ctrlr, "gone");
	CU_ASSERT_EQUAL(f->ctrlr.state, NVME_CTRLR_REMOVED);
	CU_ASSERT(pnvme_ctrlr_is_failed(&f->ctrlr));
	CU_ASSERT_FALSE(nvme_ctrlr_set_state(&f->ctrlr, NVME_CTRLR_FAILED));
	pnvme_log_set_handler(NULL);
	fake_ctrlr_destroy(f);

	/* A bring-up that fails ends FAILED. */
	f = fake_ctrlr_create();
	test_log_capture_start();
	f->cap.bits.css = 0;
	CU_ASSERT(fake_ctrlr_run_init(f, POLLS) < 0);
	CU_ASSERT_EQUAL(f->ctrlr.state, NVME_CTRLR_FAILED);
	pnvme_log_set_handler(NULL);
	fake_ctrlr_destroy(f);
}

/* Fabrics: the admin Connect and every register access (Property Get/Set)
 * are steps like any other: a poll never waits for the peer, so the
 * controllers of one probe come up side by side. */
static void
test_fabrics_bring_up_never_blocks(void)
{
	struct fake_ctrlr *f[2] = {fake_ctrlr_create_fabrics(), fake_ctrlr_create_fabrics()};
	int i, k, rc[2] = {0, 0}, props_out_while_hung = 0;

	for (k = 0; k < 2; k++) {
		f[k]->admin_hang = true; /* the peers take their time */
		nvme_ctrlr_init_start(&f[k]->ctrlr);
	}
	for (i = 0; i < 10; i++) {
		for (k = 0; k < 2; k++) {
			CU_ASSERT_EQUAL(nvme_ctrlr_init_poll(&f[k]->ctrlr), 0);
		}
	}
	for (k = 0; k < 2; k++) {
		/* Both have their Connect out at once, nothing else. */
		CU_ASSERT_EQUAL(f[k]->ctrlr.init.state, NVME_INIT_CONNECT_ADMIN);
		CU_ASSERT_EQUAL(f[k]->opens, 1);
		CU_ASSERT_EQUAL(f[k]->ctrlr.adminq->num_outstanding, 1);
	}
	/* The peers answer every other poll: a poll never waits for them,
	 * also while a Property Get/Set is out. */
	for (i = 0; i < POLLS && (rc[0] == 0 || rc[1] == 0); i++) {
		for (k = 0; k < 2; k++) {
			f[k]->admin_hang = i % 2 == 0;
			if (rc[k] == 0) {
				rc[k] = nvme_ctrlr_init_poll(&f[k]->ctrlr);
				props_out_while_hung += f[k]->admin_hang && f[k]->ctrlr.init.reg_pending;
			}
		}
	}
	CU_ASSERT(props_out_while_hung >= 6);
	for (k = 0; k < 2; k++) {
		CU_ASSERT_EQUAL(rc[k], 1);
		CU_ASSERT_EQUAL(f[k]->ctrlr.state, NVME_CTRLR_LIVE);
		CU_ASSERT_EQUAL(f[k]->ctrlr.cntlid, 1);
		CU_ASSERT_EQUAL(f[k]->fabric_count[PNVME_FCTYPE_CONNECT], 1);
		/* CAP, VS, CC, CSTS at least; CC.EN=1 written as a property. */
		CU_ASSERT(f[k]->fabric_count[PNVME_FCTYPE_PROPERTY_GET] >= 4);
		CU_ASSERT(f[k]->fabric_count[PNVME_FCTYPE_PROPERTY_SET] >= 1);
		CU_ASSERT_EQUAL(f[k]->cc.bits.en, 1);
		CU_ASSERT_PTR_NOT_NULL(pnvme_ctrlr_get_ns(&f[k]->ctrlr, 1));
		fake_ctrlr_destroy(f[k]);
	}
}

/* A Property Get the peer refuses fails bring-up with one line naming
 * the register and the state. */
static void
test_fabrics_property_error_named(void)
{
	struct fake_ctrlr *f = fake_ctrlr_create_fabrics();

	test_log_capture_start();
	f->prop_refused = PNVME_REG_VS;
	CU_ASSERT_EQUAL(fake_ctrlr_run_init(f, POLLS), -EIO);
	CU_ASSERT(test_log_contains("fake0: Property Get of offset 0x8 failed in state READ_CAP: "
				    "INVALID FIELD (sct 0, sc 0x02)"));
	CU_ASSERT_EQUAL(test_log_lines(), 1);
	CU_ASSERT_EQUAL(f->ctrlr.state, NVME_CTRLR_FAILED);
	pnvme_log_set_handler(NULL);
	fake_ctrlr_destroy(f);
}

static void
test_mdts_limits_transfer(void)
{
	struct fake_ctrlr *f = fake_ctrlr_create();

	f->cdata.mdts = 3;
	f->cdata.fuses = PNVME_FUSES_COMPARE_AND_WRITE;
	CU_ASSERT_EQUAL(fake_ctrlr_run_init(f, POLLS), 1);
	CU_ASSERT_EQUAL(pnvme_ctrlr_get_max_xfer_size(&f->ctrlr), 32 * 1024);
	CU_ASSERT(pnvme_ctrlr_get_flags(&f->ctrlr) & PNVME_CTRLR_FUSED_COMPARE_WRITE);
	fake_ctrlr_destroy(f);
}

static void
test_never_ready_times_out(void)
{
	struct fake_ctrlr *f = fake_ctrlr_create();

	test_log_capture_start();
	f->rdy_after = -1;
	g_test_tick_step = 1000; /* 1 ms per tick read */
	CU_ASSERT_EQUAL(fake_ctrlr_run_init(f, POLLS), -ETIMEDOUT);
	CU_ASSERT_EQUAL(f->ctrlr.init.state, NVME_INIT_FAILED);
	CU_ASSERT(pnvme_ctrlr_is_failed(&f->ctrlr));
	CU_ASSERT(test_log_contains("timed out in state ENABLE waiting for CSTS.RDY=1 (1000 ms)"));
	CU_ASSERT_EQUAL(test_log_lines(), 1); /* the failure is one line */
	/* The poll keeps answering failed, without new log lines. */
	CU_ASSERT_EQUAL(nvme_ctrlr_init_poll(&f->ctrlr), -EIO);
	g_test_tick_step = 1;
	pnvme_log_set_handler(NULL);
	fake_ctrlr_destroy(f);
}

static void
test_deadline_follows_cap_to(void)
{
	struct fake_ctrlr *f = fake_ctrlr_create();
	uint64_t start;
	int rc = 0;

	test_log_capture_start();
	f->rdy_after = -1;
	f->cap.bits.to = 10; /* 5 s */
	g_test_tick_step = 1000;
	nvme_ctrlr_init_start(&f->ctrlr);
	start = g_test_ticks;
	while (rc == 0) {
		rc = nvme_ctrlr_init_poll(&f->ctrlr);
	}
	CU_ASSERT_EQUAL(rc, -ETIMEDOUT);
	/* Not before 5 s, and not long after. */
	CU_ASSERT(g_test_ticks - start >= 5000000);
	CU_ASSERT(g_test_ticks - start < 5100000);
	g_test_tick_step = 1;
	pnvme_log_set_handler(NULL);
	fake_ctrlr_destroy(f);
}

static void
test_cfs_fails_enable(void)
{
	struct fake_ctrlr *f = fake_ctrlr_create();

	test_log_capture_start();
	f->rdy_after = -1;
	f->cfs = true;
	CU_ASSERT_EQUAL(fake_ctrlr_run_init(f, POLLS), -EIO);
	CU_ASSERT(test_log_contains("controller fatal status (CSTS.CFS) in state ENABLE"));
	pnvme_log_set_handler(NULL);
	fake_ctrlr_destroy(f);
}

static void
test_cfs_while_disabling_is_reset(void)
{
	struct fake_ctrlr *f = fake_ctrlr_create();

	/* Enabled with a fatal status: the disable is the recovery. */
	f->cc.bits.en = 1;
	f->rdy = true;
	f->cfs = true;
	f->rdy_after = 2;
	CU_ASSERT_EQUAL(fake_ctrlr_run_init(f, POLLS), 1);
	CU_ASSERT_EQUAL(((union pnvme_cc_register){.raw = f->cc_history[0]}).bits.en, 0);
	fake_ctrlr_destroy(f);
}

static void
test_enabled_controller_is_disabled_first(void)
{
	struct fake_ctrlr *f = fake_ctrlr_create();
	union pnvme_cc_register first, second;

	f->cc.bits.en = 1;
	f->rdy = true;
	CU_ASSERT_EQUAL(fake_ctrlr_run_init(f, POLLS), 1);
	CU_ASSERT_EQUAL(f->cc_writes, 2);
	first.raw = f->cc_history[0];
	second.raw = f->cc_history[1];
	CU_ASSERT_EQUAL(first.bits.en, 0);
	CU_ASSERT_EQUAL(second.bits.en, 1);
	fake_ctrlr_destroy(f);
}

static void
test_enabling_controller_waits_for_ready_before_disable(void)
{
	struct fake_ctrlr *f = fake_ctrlr_create();
	int polls = 0;

	/* EN=1 but RDY=0: the controller is still coming up. */
	f->cc.bits.en = 1;
	f->rdy = false;
	f->rdy_after = 4;
	nvme_ctrlr_init_start(&f->ctrlr);
	while (f->cc_writes == 0 && polls++ < 100) {
		CU_ASSERT_EQUAL(nvme_ctrlr_init_poll(&f->ctrlr), 0);
	}
	/* The disabling write came only after RDY reached 1. */
	CU_ASSERT(f->rdy);
	CU_ASSERT_EQUAL(((union pnvme_cc_register){.raw = f->cc_history[0]}).bits.en, 0);
	CU_ASSERT_EQUAL(fake_ctrlr_run_init(f, POLLS), 1);
	fake_ctrlr_destroy(f);
}

static void
test_admin_timeout_names_state(void)
{
	struct fake_ctrlr *f = fake_ctrlr_create();

	test_log_capture_start();
	f->admin_hang = true;
	f->ctrlr.opts.admin_timeout_ms = 50;
	g_test_tick_step = 1000;
	CU_ASSERT_EQUAL(fake_ctrlr_run_init(f, POLLS), -ETIMEDOUT);
	CU_ASSERT(test_log_contains("timed out in state IDENTIFY waiting for an admin command"));
	/* The command was abandoned to the device: freeing must complete it once. */
	g_test_tick_step = 1;
	pnvme_log_set_handler(NULL);
	fake_ctrlr_destroy(f);
}

static int g_aborted;

static void
count_abort(void *arg, const struct pnvme_cpl *cpl)
{
	(void)arg;
	CU_ASSERT_EQUAL(cpl->status.sc, PNVME_SC_ABORTED_SQ_DELETION);
	CU_ASSERT_EQUAL(cpl->status.dnr, 1);
	g_aborted++;
}

static void
test_fail_completes_outstanding_once(void)
{
	struct fake_ctrlr *f = fake_ctrlr_create();
	struct pnvme_cmd cmd = {.opc = PNVME_OPC_GET_FEATURES};
	int i;

	CU_ASSERT_EQUAL(fake_ctrlr_run_init(f, POLLS), 1);
	f->admin_hang = true;
	g_aborted = 0;
	for (i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(nvme_ctrlr_submit_admin(&f->ctrlr, &cmd, NULL, 0, count_abort, NULL), 0);
	}
	test_log_capture_start();
	nvme_ctrlr_fail(&f->ctrlr, "test");
	nvme_ctrlr_fail(&f->ctrlr, "test again");
	CU_ASSERT_EQUAL(g_aborted, 3);
	CU_ASSERT_EQUAL(pnvme_ctrlr_process_admin_completions(&f->ctrlr), -ENXIO);
	CU_ASSERT_EQUAL(nvme_ctrlr_submit_admin(&f->ctrlr, &cmd, NULL, 0, count_abort, NULL), -ENXIO);
	CU_ASSERT_EQUAL(g_aborted, 3);
	CU_ASSERT(test_log_contains("controller failed: test"));
	CU_ASSERT_FALSE(test_log_contains("test again"));
	pnvme_log_set_handler(NULL);
	fake_ctrlr_destroy(f);
}

static void
test_health_check_detects_rdy_drop(void)
{
	struct fake_ctrlr *f = fake_ctrlr_create();

	CU_ASSERT_EQUAL(fake_ctrlr_run_init(f, POLLS), 1);
	test_log_capture_start();
	f->rdy_after = -1;
	f->rdy = false; /* reset behind the driver's back; VS still reads */
	g_test_tick_step = 200000;
	CU_ASSERT_EQUAL(pnvme_ctrlr_process_admin_completions(&f->ctrlr), -ENXIO);
	CU_ASSERT(pnvme_ctrlr_is_failed(&f->ctrlr));
	CU_ASSERT(test_log_contains("CSTS.RDY dropped"));
	g_test_tick_step = 1;
	pnvme_log_set_handler(NULL);
	fake_ctrlr_destroy(f);
}

static void
test_several_namespaces_and_gaps(void)
{
	struct fake_ctrlr *f = fake_ctrlr_create();
	struct pnvme_ns *ns;

	fake_ctrlr_add_ns(f, 3, 1000, 12);
	fake_ctrlr_add_ns(f, 7, 2000, 9);
	f->nsdata[6].flbas = 1; /* 4 KiB + 8 B metadata */
	CU_ASSERT_EQUAL(fake_ctrlr_run_init(f, POLLS), 1);
	CU_ASSERT_EQUAL(pnvme_ctrlr_get_first_active_ns(&f->ctrlr), 1);
	CU_ASSERT_EQUAL(pnvme_ctrlr_get_next_active_ns(&f->ctrlr, 1), 3);
	CU_ASSERT_EQUAL(pnvme_ctrlr_get_next_active_ns(&f->ctrlr, 3), 7);
	CU_ASSERT_EQUAL(pnvme_ctrlr_get_next_active_ns(&f->ctrlr, 7), 0);
	CU_ASSERT_PTR_NULL(pnvme_ctrlr_get_ns(&f->ctrlr, 2));
	ns = pnvme_ctrlr_get_ns(&f->ctrlr, 3);
	CU_ASSERT_EQUAL(pnvme_ns_get_sector_size(ns), 4096);
	CU_ASSERT_EQUAL(pnvme_ns_get_num_sectors(ns), 1000);
	ns = pnvme_ctrlr_get_ns(&f->ctrlr, 7);
	CU_ASSERT_EQUAL(pnvme_ns_get_sector_size(ns), 4096);
	CU_ASSERT_EQUAL(pnvme_ns_get_md_size(ns), 8);
	CU_ASSERT_EQUAL(pnvme_ns_get_extended_sector_size(ns), 4096);
	CU_ASSERT_EQUAL(pnvme_ctrlr_get_num_ns(&f->ctrlr), 7);
	fake_ctrlr_destroy(f);
}

static void
test_unusable_namespace_skipped(void)
{
	struct fake_ctrlr *f = fake_ctrlr_create();

	test_log_capture_start();
	fake_ctrlr_add_ns(f, 2, 1000, 9);
	fake_ctrlr_add_ns(f, 4, 0, 9); /* allocated, not attached */
	f->nsdata[1].flbas = 5;         /* only formats 0 and 1 exist */
	CU_ASSERT_EQUAL(fake_ctrlr_run_init(f, POLLS), 1);
	CU_ASSERT_PTR_NOT_NULL(pnvme_ctrlr_get_ns(&f->ctrlr, 1));
	CU_ASSERT_PTR_NULL(pnvme_ctrlr_get_ns(&f->ctrlr, 2));
	CU_ASSERT_PTR_NULL(pnvme_ctrlr_get_ns(&f->ctrlr, 4));
	CU_ASSERT(test_log_contains("namespace 2: FLBAS selects format 5 but only 2 exist"));
	pnvme_log_set_handler(NULL);
	fake_ctrlr_destroy(f);
}

static void
test_active_list_out_of_order_fails(void)
{
	struct fake_ctrlr *f = fake_ctrlr_create();

	test_log_capture_start();
	fake_ctrlr_add_ns(f, 2, 1000, 9);
	f->active_list_garbage = true;
	expect_init_fails(f, -EINVAL, "active namespace list entry 1 (1) is out of order");
	pnvme_log_set_handler(NULL);
	fake_ctrlr_destroy(f);
}

static void
test_old_version_uses_nn(void)
{
	struct fake_ctrlr *f = fake_ctrlr_create();

	f->vs = PNVME_VERSION(1, 0, 0);
	fake_ctrlr_add_ns(f, 2, 1000, 9);
	CU_ASSERT_EQUAL(fake_ctrlr_run_init(f, POLLS), 1);
	CU_ASSERT_EQUAL(f->admin_count[PNVME_OPC_IDENTIFY], 1 + 2); /* ctrlr + 2 ns, no lists */
	CU_ASSERT_PTR_NOT_NULL(pnvme_ctrlr_get_ns(&f->ctrlr, 2));
	fake_ctrlr_destroy(f);
}

static void
test_id_descriptors(void)
{
	struct fake_ctrlr *f = fake_ctrlr_create();
	uint8_t *d = f->id_descs[0];
	const uint8_t *uuid;
	struct pnvme_ns *ns;
	int i;

	d[0] = PNVME_NIDT_UUID;
	d[1] = 16;
	for (i = 0; i < 16; i++) {
		d[4 + i] = (uint8_t)(0xa0 + i);
	}
	d[20] = PNVME_NIDT_CSI;
	d[21] = 1;
	d[24] = PNVME_CSI_NVM;
	CU_ASSERT_EQUAL(fake_ctrlr_run_init(f, POLLS), 1);
	ns = pnvme_ctrlr_get_ns(&f->ctrlr, 1);
	uuid = pnvme_ns_get_uuid(ns);
	CU_ASSERT_PTR_NOT_NULL_FATAL(uuid);
	CU_ASSERT_EQUAL(uuid[0], 0xa0);
	CU_ASSERT_EQUAL(uuid[15], 0xaf);
	CU_ASSERT_PTR_NULL(pnvme_ns_get_nguid(ns));
	fake_ctrlr_destroy(f);
}

static void
test_id_descriptors_unsupported_or_malformed(void)
{
	struct fake_ctrlr *f = fake_ctrlr_create();
	uint8_t *d;

	f->id_descs_unsupported = true;
	CU_ASSERT_EQUAL(fake_ctrlr_run_init(f, POLLS), 1);
	CU_ASSERT_PTR_NULL(pnvme_ns_get_uuid(pnvme_ctrlr_get_ns(&f->ctrlr, 1)));
	fake_ctrlr_destroy(f);

	f = fake_ctrlr_create();
	test_log_capture_start();
	d = f->id_descs[0];
	d[0] = PNVME_NIDT_UUID;
	d[1] = 12; /* a UUID is 16 bytes */
	CU_ASSERT_EQUAL(fake_ctrlr_run_init(f, POLLS), 1);
	CU_ASSERT_PTR_NULL(pnvme_ns_get_uuid(pnvme_ctrlr_get_ns(&f->ctrlr, 1)));
	CU_ASSERT(test_log_contains("descriptor type 3 has length 12"));
	pnvme_log_set_handler(NULL);
	fake_ctrlr_destroy(f);
}

static void
test_bad_cap_refused(void)
{
	struct fake_ctrlr *f = fake_ctrlr_create();

	test_log_capture_start();
	f->cap.raw = UINT64_MAX;
	CU_ASSERT_EQUAL(fake_ctrlr_run_init(f, POLLS), -ENODEV);
	CU_ASSERT(test_log_contains("no controller responds"));
	fake_ctrlr_destroy(f);

	f = fake_ctrlr_create();
	f->cap.bits.css = PNVME_CAP_CSS_NOIO;
	CU_ASSERT_EQUAL(fake_ctrlr_run_init(f, POLLS), -ENOTSUP);
	CU_ASSERT(test_log_contains("lacks the NVM command set"));
	pnvme_log_set_handler(NULL);
	fake_ctrlr_destroy(f);
}

static void
test_cap_bounds(void)
{
	struct fake_ctrlr *f = fake_ctrlr_create();
	uint64_t start;
	int rc = 0;

	test_log_capture_start();
	f->cap.bits.mqes = 0;
	CU_ASSERT_EQUAL(fake_ctrlr_run_init(f, POLLS), -EINVAL);
	CU_ASSERT(test_log_contains("CAP.MQES 0 is invalid"));
	fake_ctrlr_destroy(f);

	f = fake_ctrlr_create();
	f->cap.bits.mpsmin = 3;
	f->cap.bits.mpsmax = 2;
	CU_ASSERT_EQUAL(fake_ctrlr_run_init(f, POLLS), -EINVAL);
	CU_ASSERT(test_log_contains("CAP.MPSMIN 3 > CAP.MPSMAX 2"));
	fake_ctrlr_destroy(f);

	/* No 4 KiB pages: the device's minimum goes to CC.MPS and the PRPs. */
	f = fake_ctrlr_create();
	f->cap.bits.mpsmin = 2;
	f->cap.bits.mpsmax = 4;
	f->cdata.mdts = 31; /* 16 KiB << 31 does not overflow: no limit */
	CU_ASSERT_EQUAL(fake_ctrlr_run_init(f, POLLS), 1);
	CU_ASSERT_EQUAL(f->cc.bits.mps, 2);
	CU_ASSERT_EQUAL(f->ctrlr.page_size, 16384);
	CU_ASSERT_EQUAL(pnvme_ctrlr_get_max_xfer_size(&f->ctrlr), 128 * 1024);
	fake_ctrlr_destroy(f);

	/* CAP.TO 0 still waits 500 ms for RDY. */
	f = fake_ctrlr_create();
	f->rdy_after = -1;
	f->cap.bits.to = 0;
	g_test_tick_step = 1000;
	nvme_ctrlr_init_start(&f->ctrlr);
	start = g_test_ticks;
	while (rc == 0) {
		rc = nvme_ctrlr_init_poll(&f->ctrlr);
	}
	CU_ASSERT_EQUAL(rc, -ETIMEDOUT);
	CU_ASSERT(g_test_ticks - start >= 500000);
	CU_ASSERT(test_log_contains("waiting for CSTS.RDY=1 (500 ms)"));
	g_test_tick_step = 1;
	fake_ctrlr_destroy(f);
	pnvme_log_set_handler(NULL);
}

static void
test_identify_error_fails(void)
{
	struct fake_ctrlr *f = fake_ctrlr_create();

	test_log_capture_start();
	f->identify_sc[PNVME_IDENTIFY_CTRLR] = PNVME_SC_INVALID_FIELD;
	expect_init_fails(f, -EIO, "fake0: Identify Controller failed in state IDENTIFY: "
				   "INVALID FIELD (sct 0, sc 0x02)");
	CU_ASSERT(pnvme_ctrlr_is_failed(&f->ctrlr));
	pnvme_log_set_handler(NULL);
	fake_ctrlr_destroy(f);

	/* A peer that answers and then drops the queue (as a fabrics target
	 * refusing a Connect does): the answer still names the failure. */
	f = fake_ctrlr_create();
	test_log_capture_start();
	f->identify_sc[PNVME_IDENTIFY_CTRLR] = PNVME_SC_INVALID_FIELD;
	f->fail_after_answer = true;
	CU_ASSERT(fake_ctrlr_run_init(f, POLLS) < 0);
	CU_ASSERT(test_log_contains("Identify Controller failed in state IDENTIFY: INVALID FIELD"));
	CU_ASSERT_FALSE(test_log_contains("cannot become"));
	pnvme_log_set_handler(NULL);
	fake_ctrlr_destroy(f);
}

static void
test_set_num_queues_error_or_bad_answer_fails(void)
{
	struct fake_ctrlr *f = fake_ctrlr_create();

	test_log_capture_start();
	f->set_features_sc = PNVME_SC_INVALID_FIELD;
	expect_init_fails(f, -EIO, "Set Features Number of Queues failed in state "
				   "SET_NUM_QUEUES: INVALID FIELD");
	fake_ctrlr_destroy(f);

	/* NCQA FFFFh would be 65536 queues. */
	test_log_capture_start();
	f = fake_ctrlr_create();
	f->queues_granted = 0xffff0003u;
	expect_init_fails(f, -EINVAL, "Number of Queues answer 0xffff0003: NSQA 3 / NCQA 65535");
	fake_ctrlr_destroy(f);

	/* More granted than asked: the driver uses what it asked for. */
	f = fake_ctrlr_create();
	f->queues_granted = 0xfffe00ffu;
	CU_ASSERT_EQUAL(fake_ctrlr_run_init(f, POLLS), 1);
	CU_ASSERT_EQUAL(pnvme_ctrlr_get_num_io_queues(&f->ctrlr), 8);
	fake_ctrlr_destroy(f);
	pnvme_log_set_handler(NULL);
}

static void
test_active_list_error_fails(void)
{
	struct fake_ctrlr *f = fake_ctrlr_create();

	test_log_capture_start();
	/* The buffer still holds Identify Controller data: never parse it. */
	f->cdata.vid = 0x0001;
	f->cdata.ssvid = 0x0000;
	f->identify_sc[PNVME_IDENTIFY_ACTIVE_NS_LIST] = PNVME_SC_INVALID_FIELD;
	expect_init_fails(f, -EIO, "Identify Active Namespace List failed in state ACTIVE_NS: "
				   "INVALID FIELD");
	pnvme_log_set_handler(NULL);
	fake_ctrlr_destroy(f);
}

static void
test_nn_broadcast_fails(void)
{
	struct fake_ctrlr *f = fake_ctrlr_create();

	test_log_capture_start();
	f->vs = PNVME_VERSION(1, 0, 0); /* would scan 1..NN */
	f->cdata.nn = 0xffffffffu;
	expect_init_fails(f, -EINVAL, "Identify Controller NN 0xffffffff is the broadcast "
				      "namespace ID");
	pnvme_log_set_handler(NULL);
	fake_ctrlr_destroy(f);
}

static void
test_nn_huge_scan_is_bounded(void)
{
	struct fake_ctrlr *f = fake_ctrlr_create();

	test_log_capture_start();
	f->vs = PNVME_VERSION(1, 0, 0);
	fake_ctrlr_add_ns(f, 2, 1000, 9);
	f->cdata.nn = 0xfffffffeu; /* the largest valid NN */
	CU_ASSERT_EQUAL(fake_ctrlr_run_init(f, 100000), 1);
	/* Controller, then IDs 1-1024 (inactive ones read as zeroes). */
	CU_ASSERT_EQUAL(f->admin_count[PNVME_OPC_IDENTIFY], 1 + 1024);
	CU_ASSERT_PTR_NOT_NULL(pnvme_ctrlr_get_ns(&f->ctrlr, 1));
	CU_ASSERT_PTR_NOT_NULL(pnvme_ctrlr_get_ns(&f->ctrlr, 2));
	CU_ASSERT_PTR_NULL(pnvme_ctrlr_get_ns(&f->ctrlr, 3));
	CU_ASSERT(test_log_contains("more than 1024 namespaces (NN 4294967294); pnvme uses the "
				    "first 1024"));
	pnvme_log_set_handler(NULL);
	fake_ctrlr_destroy(f);
}

static void
test_identify_ctrlr_field_bounds(void)
{
	static struct nvme_transport_ops fabrics_ops;
	struct fake_ctrlr *f = fake_ctrlr_create();

	/* SGLS 11b is reserved: no SGLs. */
	f->cdata.sgls = 3;
	CU_ASSERT_EQUAL(fake_ctrlr_run_init(f, POLLS), 1);
	CU_ASSERT_FALSE(pnvme_ctrlr_get_flags(&f->ctrlr) & PNVME_CTRLR_SGL_SUPPORTED);
	fake_ctrlr_destroy(f);
	f = fake_ctrlr_create();
	f->cdata.sgls = 2; /* dword-aligned SGLs */
	CU_ASSERT_EQUAL(fake_ctrlr_run_init(f, POLLS), 1);
	CU_ASSERT(pnvme_ctrlr_get_flags(&f->ctrlr) & PNVME_CTRLR_SGL_SUPPORTED);
	fake_ctrlr_destroy(f);

	/* A fabrics I/O controller: capsule sizes hold a command/completion. */
	fabrics_ops = g_fake_ops;
	fabrics_ops.fabrics = true;
	test_log_capture_start();
	f = fake_ctrlr_create();
	f->ctrlr.ops = &fabrics_ops;
	f->cdata.ioccsz = 0;
	f->cdata.iorcsz = 1;
	expect_init_fails(f, -EINVAL, "Identify Controller IOCCSZ 0 is outside 4-268435455");
	fake_ctrlr_destroy(f);
	f = fake_ctrlr_create();
	f->ctrlr.ops = &fabrics_ops;
	f->cdata.ioccsz = 0xffffffffu; /* (IOCCSZ - 4) * 16 would wrap */
	f->cdata.iorcsz = 1;
	CU_ASSERT_EQUAL(fake_ctrlr_run_init(f, POLLS), -EINVAL);
	fake_ctrlr_destroy(f);
	f = fake_ctrlr_create();
	f->ctrlr.ops = &fabrics_ops;
	f->cdata.ioccsz = 4;
	f->cdata.iorcsz = 0;
	CU_ASSERT_EQUAL(fake_ctrlr_run_init(f, POLLS), -EINVAL);
	CU_ASSERT(test_log_contains("IORCSZ 0"));
	fake_ctrlr_destroy(f);
	f = fake_ctrlr_create();
	f->ctrlr.ops = &fabrics_ops;
	f->cdata.ioccsz = 4;
	f->cdata.iorcsz = 1;
	CU_ASSERT_EQUAL(fake_ctrlr_run_init(f, POLLS), 1);
	fake_ctrlr_destroy(f);
	pnvme_log_set_handler(NULL);
}

static void
test_namespace_field_bounds(void)
{
	struct fake_ctrlr *f = fake_ctrlr_create();
	struct pnvme_ns *ns;

	test_log_capture_start();
	fake_ctrlr_add_ns(f, 2, 1000, 9);
	f->nsdata[1].nlbaf = 64; /* formats 0-64: one more than exist */
	fake_ctrlr_add_ns(f, 3, 1000, 9);
	f->nsdata[2].ncap = 1001; /* NCAP > NSZE */
	fake_ctrlr_add_ns(f, 4, 1000, 9);
	f->nsdata[3].nuse = 999;
	f->nsdata[3].ncap = 998; /* NUSE > NCAP */
	fake_ctrlr_add_ns(f, 5, 0, 12);
	f->nsdata[4].nsze = f->nsdata[4].ncap = f->nsdata[4].nuse = UINT64_MAX >> 11;
	fake_ctrlr_add_ns(f, 6, 1000, 12);
	f->nsdata[5].nlbaf = 63;
	f->nsdata[5].lbaf[1].lbads = 200; /* present, not in use: never shifted */
	f->nsdata[5].lbaf[63].lbads = 255;
	CU_ASSERT_EQUAL(fake_ctrlr_run_init(f, POLLS), 1);
	CU_ASSERT_PTR_NULL(pnvme_ctrlr_get_ns(&f->ctrlr, 2));
	CU_ASSERT(test_log_contains("namespace 2: NLBAF 64 is above 63"));
	CU_ASSERT_PTR_NULL(pnvme_ctrlr_get_ns(&f->ctrlr, 3));
	CU_ASSERT(test_log_contains("namespace 3: NSZE 1000, NCAP 1001, NUSE 1000 break"));
	CU_ASSERT_PTR_NULL(pnvme_ctrlr_get_ns(&f->ctrlr, 4));
	CU_ASSERT(test_log_contains("namespace 4: NSZE 1000, NCAP 998, NUSE 999 break"));
	CU_ASSERT_PTR_NULL(pnvme_ctrlr_get_ns(&f->ctrlr, 5));
	CU_ASSERT(test_log_contains("namespace 5: NSZE 9007199254740991 blocks of 2^12 bytes "
				    "overflow 64 bits"));
	ns = pnvme_ctrlr_get_ns(&f->ctrlr, 6);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ns);
	CU_ASSERT_EQUAL(pnvme_ns_get_sector_size(ns), 4096);
	CU_ASSERT_EQUAL(pnvme_ns_get_size(ns), 1000ull * 4096);
	pnvme_log_set_handler(NULL);
	fake_ctrlr_destroy(f);
}

static void
test_options_respect_size(void)
{
	struct pnvme_ctrlr_opts opts, copy;
	size_t old_size = offsetof(struct pnvme_ctrlr_opts, admin_timeout_ms);

	memset(&opts, 0xff, sizeof(opts));
	pnvme_ctrlr_get_default_opts(&opts, old_size);
	CU_ASSERT_EQUAL(opts.opts_size, old_size);
	CU_ASSERT_EQUAL(opts.num_io_queues, 64);
	/* Bytes past what the caller knows are untouched. */
	CU_ASSERT_EQUAL(opts.admin_timeout_ms, 0xffffffffu);

	opts.num_io_queues = 3;
	nvme_ctrlr_opts_copy(&copy, &opts, old_size);
	CU_ASSERT_EQUAL(copy.num_io_queues, 3);
	CU_ASSERT_EQUAL(copy.admin_timeout_ms, 10000);
	CU_ASSERT_EQUAL(copy.opts_size, sizeof(copy));
	CU_ASSERT(strncmp(copy.hostnqn, "nqn.2014-08.org.nvmexpress:uuid:", 32) == 0);
}

int
main(void)
{
	static const struct ut_test tests[] = {
		{"ready_after_polls", test_ready_after_polls},
		{"controller_states", test_controller_states},
		{"fabrics_bring_up_never_blocks", test_fabrics_bring_up_never_blocks},
		{"fabrics_property_error_named", test_fabrics_property_error_named},
		{"mdts_limits_transfer", test_mdts_limits_transfer},
		{"never_ready_times_out", test_never_ready_times_out},
		{"deadline_follows_cap_to", test_deadline_follows_cap_to},
		{"cfs_fails_enable", test_cfs_fails_enable},
		{"cfs_while_disabling_is_reset", test_cfs_while_disabling_is_reset},
		{"enabled_controller_is_disabled_first", test_enabled_controller_is_disabled_first},
		{"enabling_controller_waits_for_ready_before_disable",
		 test_enabling_controller_waits_for_ready_before_disable},
		{"admin_timeout_names_state", test_admin_timeout_names_state},
		{"fail_completes_outstanding_once", test_fail_completes_outstanding_once},
		{"health_check_detects_rdy_drop", test_health_check_detects_rdy_drop},
		{"several_namespaces_and_gaps", test_several_namespaces_and_gaps},
		{"unusable_namespace_skipped", test_unusable_namespace_skipped},
		{"active_list_out_of_order_fails", test_active_list_out_of_order_fails},
		{"old_version_uses_nn", test_old_version_uses_nn},
		{"id_descriptors", test_id_descriptors},
		{"id_descriptors_unsupported_or_malformed", test_id_descriptors_unsupported_or_malformed},
		{"bad_cap_refused", test_bad_cap_refused},
		{"options_respect_size", test_options_respect_size},
		{"cap_bounds", test_cap_bounds},
		{"identify_error_fails", test_identify_error_fails},
		{"set_num_queues_error_or_bad_answer_fails",
		 test_set_num_queues_error_or_bad_answer_fails},
		{"active_list_error_fails", test_active_list_error_fails},
		{"nn_broadcast_fails", test_nn_broadcast_fails},
		{"nn_huge_scan_is_bounded", test_nn_huge_scan_is_bounded},
		{"identify_ctrlr_field_bounds", test_identify_ctrlr_field_bounds},
		{"namespace_field_bounds", test_namespace_field_bounds},
		{NULL, NULL},
	};

	return ut_run("ctrlr_init", tests);
}
