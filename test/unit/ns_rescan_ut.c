/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Namespace rescans on the fake controller: a Namespace Attribute Changed
 * event re-identifies the namespaces, adds the new one, updates the
 * reformatted one in place and tells the namespace-change callback; a
 * removed namespace's commands get -ENXIO; a rescan asked for while one
 * runs gets one of its own; a failed rescan keeps the table and the
 * controller; every waiter completes once, detach included.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fake_ctrlr.h"
#include "test_env.h"
#include "ut.h"

#define POLLS 100

static struct {
	int calls;
	struct pnvme_ns *ns[8];
	enum pnvme_ns_change change[8];
} g_changes;

static void
ns_change_cb(void *arg, struct pnvme_ns *ns, enum pnvme_ns_change change)
{
	(void)arg;
	if (g_changes.calls < 8) {
		g_changes.ns[g_changes.calls] = ns;
		g_changes.change[g_changes.calls] = change;
	}
	g_changes.calls++;
}

static int g_waiter_calls;
static struct pnvme_cpl g_waiter_cpl;

static void
waiter_cb(void *arg, const struct pnvme_cpl *cpl)
{
	(void)arg;
	g_waiter_calls++;
	g_waiter_cpl = *cpl;
}

static struct fake_ctrlr *
live_fake(void)
{
	struct fake_ctrlr *f = fake_ctrlr_create();

	f->cdata.oaes = 1u << 8; /* namespace attribute notices */
	f->cdata.nn = 16;        /* room for namespaces attached later */
	CU_ASSERT_EQUAL_FATAL(fake_ctrlr_run_init(f, 1000), 1);
	pnvme_ctrlr_process_admin_completions(&f->ctrlr);
	memset(&g_changes, 0, sizeof(g_changes));
	g_waiter_calls = 0;
	CU_ASSERT_EQUAL(pnvme_ctrlr_register_ns_change_callback(&f->ctrlr, ns_change_cb, NULL), 0);
	return f;
}

static void
poll_admin(struct fake_ctrlr *f, int times)
{
	int i;

	for (i = 0; i < times; i++) {
		pnvme_ctrlr_process_admin_completions(&f->ctrlr);
	}
}

static void
test_event_adds_and_updates(void)
{
	struct fake_ctrlr *f = live_fake();
	struct pnvme_ns *ns1 = pnvme_ctrlr_get_ns(&f->ctrlr, 1), *ns2;
	int identifies = f->admin_count[PNVME_OPC_IDENTIFY];

	CU_ASSERT_PTR_NOT_NULL_FATAL(ns1);
	CU_ASSERT_EQUAL(pnvme_ns_get_sector_size(ns1), 512);
	CU_ASSERT_PTR_NULL(pnvme_ctrlr_get_ns(&f->ctrlr, 2));

	/* Namespace 2 attached, namespace 1 formatted to 4 KiB blocks, then
	 * the notice (log 04h, the changed namespace list). */
	fake_ctrlr_add_ns(f, 2, 1000, 9);
	f->nsdata[0].flbas = 1;
	f->nsdata[0].nsze = f->nsdata[0].ncap = f->nsdata[0].nuse = 1u << 18;
	CU_ASSERT(fake_ctrlr_post_aer(f, 2u | 0x00u << 8 | 0x04u << 16));
	poll_admin(f, POLLS);

	/* The changed list was read (clearing the event), then everything
	 * identified again. */
	CU_ASSERT_EQUAL(f->last_log_cmd.cdw10 & 0xff, PNVME_LOG_PAGE_CHANGED_NS_LIST);
	CU_ASSERT(f->admin_count[PNVME_OPC_IDENTIFY] > identifies);
	ns2 = pnvme_ctrlr_get_ns(&f->ctrlr, 2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ns2);
	CU_ASSERT_EQUAL(g_changes.calls, 2);
	/* The application's pointer to namespace 1 shows the new format. */
	CU_ASSERT_PTR_EQUAL(pnvme_ctrlr_get_ns(&f->ctrlr, 1), ns1);
	CU_ASSERT_EQUAL(pnvme_ns_get_sector_size(ns1), 4096);
	CU_ASSERT_EQUAL(pnvme_ns_get_num_sectors(ns1), 1u << 18);
	CU_ASSERT_EQUAL(pnvme_ns_get_md_size(ns1), 8);
	CU_ASSERT_PTR_EQUAL(g_changes.ns[0], ns1);
	CU_ASSERT_EQUAL(g_changes.change[0], PNVME_NS_CHANGED);
	CU_ASSERT_PTR_EQUAL(g_changes.ns[1], ns2);
	CU_ASSERT_EQUAL(g_changes.change[1], PNVME_NS_ADDED);
	CU_ASSERT_EQUAL(pnvme_ns_get_num_sectors(ns2), 1000);
	/* Nothing more is told by later polls. */
	poll_admin(f, 10);
	CU_ASSERT_EQUAL(g_changes.calls, 2);
	CU_ASSERT(!pnvme_ctrlr_is_failed(&f->ctrlr));
	fake_ctrlr_destroy(f);
}

static void
record_cb(void *arg, const struct pnvme_cpl *cpl)
{
	(void)arg;
	(void)cpl;
}

static void
test_removed_namespace_fails_cleanly(void)
{
	struct fake_ctrlr *f = live_fake();
	struct pnvme_qpair *qpair = pnvme_ctrlr_alloc_io_qpair(&f->ctrlr, NULL, 0);
	void *buf = pnvme_dma_zmalloc(4096, 4096, NULL);
	struct pnvme_ns *ns2;

	fake_ctrlr_add_ns(f, 2, 1000, 9);
	CU_ASSERT_EQUAL(pnvme_ctrlr_rescan_namespaces(&f->ctrlr, waiter_cb, NULL), 0);
	poll_admin(f, POLLS);
	CU_ASSERT_EQUAL(g_waiter_calls, 1);
	CU_ASSERT(!pnvme_cpl_is_error(&g_waiter_cpl));
	ns2 = pnvme_ctrlr_get_ns(&f->ctrlr, 2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ns2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(qpair);
	CU_ASSERT_EQUAL(pnvme_ns_cmd_read(ns2, qpair, buf, 0, 1, record_cb, NULL, 0), 0);
	pnvme_qpair_process_completions(qpair, 0);

	/* Detached: the next rescan marks it removed; the object stays. */
	f->num_active = 1;
	memset(&g_changes, 0, sizeof(g_changes));
	CU_ASSERT_EQUAL(pnvme_ctrlr_rescan_namespaces(&f->ctrlr, waiter_cb, NULL), 0);
	poll_admin(f, POLLS);
	CU_ASSERT_EQUAL(g_waiter_calls, 2);
	CU_ASSERT_EQUAL(g_changes.calls, 1);
	CU_ASSERT_PTR_EQUAL(g_changes.ns[0], ns2);
	CU_ASSERT_EQUAL(g_changes.change[0], PNVME_NS_REMOVED);
	CU_ASSERT(!pnvme_ns_is_active(ns2));
	CU_ASSERT_PTR_NULL(pnvme_ctrlr_get_ns(&f->ctrlr, 2));
	CU_ASSERT_EQUAL(pnvme_ns_cmd_read(ns2, qpair, buf, 0, 1, record_cb, NULL, 0), -ENXIO);
	/* Namespace 1 is untouched and still takes I/O. */
	CU_ASSERT_EQUAL(pnvme_ns_cmd_read(pnvme_ctrlr_get_ns(&f->ctrlr, 1), qpair, buf, 0, 1,
					  record_cb, NULL, 0),
			0);
	pnvme_qpair_process_completions(qpair, 0);

	/* Attached again: a new object, active. */
	fake_ctrlr_add_ns(f, 2, 2000, 9);
	CU_ASSERT_EQUAL(pnvme_ctrlr_rescan_namespaces(&f->ctrlr, NULL, NULL), 0);
	poll_admin(f, POLLS);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pnvme_ctrlr_get_ns(&f->ctrlr, 2));
	CU_ASSERT(pnvme_ns_is_active(pnvme_ctrlr_get_ns(&f->ctrlr, 2)));
	CU_ASSERT_EQUAL(pnvme_ns_get_num_sectors(pnvme_ctrlr_get_ns(&f->ctrlr, 2)), 2000);
	CU_ASSERT_EQUAL(g_changes.change[1], PNVME_NS_ADDED);
	pnvme_ctrlr_free_io_qpair(qpair);
	pnvme_dma_free(buf);
	fake_ctrlr_destroy(f);
}

static void
test_asked_while_running_gets_its_own(void)
{
	struct fake_ctrlr *f = live_fake();
	int lists = f->admin_count[PNVME_OPC_IDENTIFY];

	CU_ASSERT_EQUAL(pnvme_ctrlr_rescan_namespaces(&f->ctrlr, waiter_cb, NULL), 0);
	/* One poll starts it and sends the active list; the second ask
	 * arrives while it runs. */
	pnvme_ctrlr_process_admin_completions(&f->ctrlr);
	CU_ASSERT(f->ctrlr.init.rescan);
	fake_ctrlr_add_ns(f, 3, 77, 9);
	CU_ASSERT_EQUAL(pnvme_ctrlr_rescan_namespaces(&f->ctrlr, waiter_cb, NULL), 0);
	poll_admin(f, POLLS);
	CU_ASSERT_EQUAL(g_waiter_calls, 2);
	CU_ASSERT_PTR_NOT_NULL(pnvme_ctrlr_get_ns(&f->ctrlr, 3));
	/* Two rounds: each an active list plus Identify Namespace and the
	 * descriptors for each namespace. */
	CU_ASSERT(f->admin_count[PNVME_OPC_IDENTIFY] - lists >= 2 + 2 * 2);
	CU_ASSERT_EQUAL(g_changes.calls, 1);
	fake_ctrlr_destroy(f);
}

static void
test_failed_rescan_keeps_table(void)
{
	struct fake_ctrlr *f = live_fake();
	struct pnvme_ns *ns1 = pnvme_ctrlr_get_ns(&f->ctrlr, 1);

	fake_ctrlr_add_ns(f, 2, 1000, 9);
	f->active_list_garbage = true;
	test_log_capture_start();
	CU_ASSERT_EQUAL(pnvme_ctrlr_rescan_namespaces(&f->ctrlr, waiter_cb, NULL), 0);
	poll_admin(f, POLLS);
	CU_ASSERT(test_log_contains("out of order"));
	CU_ASSERT(test_log_contains("namespace rescan failed"));
	pnvme_log_set_handler(NULL);
	CU_ASSERT_EQUAL(g_waiter_calls, 1);
	CU_ASSERT(pnvme_cpl_is_error(&g_waiter_cpl));
	CU_ASSERT_EQUAL(g_changes.calls, 0);
	CU_ASSERT(!pnvme_ctrlr_is_failed(&f->ctrlr));
	CU_ASSERT_PTR_EQUAL(pnvme_ctrlr_get_ns(&f->ctrlr, 1), ns1);
	CU_ASSERT_PTR_NULL(pnvme_ctrlr_get_ns(&f->ctrlr, 2));

	/* The device's list makes sense again: the next rescan works. */
	f->active_list_garbage = false;
	CU_ASSERT_EQUAL(pnvme_ctrlr_rescan_namespaces(&f->ctrlr, waiter_cb, NULL), 0);
	poll_admin(f, POLLS);
	CU_ASSERT_EQUAL(g_waiter_calls, 2);
	CU_ASSERT(!pnvme_cpl_is_error(&g_waiter_cpl));
	CU_ASSERT_PTR_NOT_NULL(pnvme_ctrlr_get_ns(&f->ctrlr, 2));
	fake_ctrlr_destroy(f);
}

static void
test_detach_completes_waiters(void)
{
	struct fake_ctrlr *f = live_fake();

	CU_ASSERT_EQUAL(pnvme_ctrlr_rescan_namespaces(&f->ctrlr, waiter_cb, NULL), 0);
	pnvme_ctrlr_process_admin_completions(&f->ctrlr); /* running */
	CU_ASSERT_EQUAL(pnvme_ctrlr_rescan_namespaces(&f->ctrlr, waiter_cb, NULL), 0);
	CU_ASSERT_EQUAL(g_waiter_calls, 0);
	fake_ctrlr_destroy(f);
	CU_ASSERT_EQUAL(g_waiter_calls, 2);
	CU_ASSERT(pnvme_cpl_is_error(&g_waiter_cpl));
	CU_ASSERT_EQUAL(pnvme_ctrlr_rescan_namespaces(NULL, NULL, NULL), -EINVAL);
	CU_ASSERT_EQUAL(pnvme_ctrlr_register_ns_change_callback(NULL, NULL, NULL), -EINVAL);
}

static void
test_reset_answers_waiters(void)
{
	struct fake_ctrlr *f = live_fake();

	fake_ctrlr_add_ns(f, 2, 1000, 9);
	CU_ASSERT_EQUAL(pnvme_ctrlr_rescan_namespaces(&f->ctrlr, waiter_cb, NULL), 0);
	/* A reset before the rescan started: its bring-up identifies every
	 * namespace, which is what the waiter wanted. */
	CU_ASSERT_EQUAL(pnvme_ctrlr_reset(&f->ctrlr), 0);
	CU_ASSERT_EQUAL(g_waiter_calls, 1);
	CU_ASSERT(!pnvme_cpl_is_error(&g_waiter_cpl));
	CU_ASSERT_EQUAL(g_changes.calls, 1);
	CU_ASSERT_EQUAL(g_changes.change[0], PNVME_NS_ADDED);
	CU_ASSERT_PTR_NOT_NULL(pnvme_ctrlr_get_ns(&f->ctrlr, 2));
	fake_ctrlr_destroy(f);
}

int
main(void)
{
	static const struct ut_test tests[] = {
		{"event_adds_and_updates", test_event_adds_and_updates},
		{"removed_namespace_fails_cleanly", test_removed_namespace_fails_cleanly},
		{"asked_while_running_gets_its_own", test_asked_while_running_gets_its_own},
		{"failed_rescan_keeps_table", test_failed_rescan_keeps_table},
		{"detach_completes_waiters", test_detach_completes_waiters},
		{"reset_answers_waiters", test_reset_answers_waiters},
		{NULL, NULL},
	};

	return ut_run("ns_rescan", tests);
}
