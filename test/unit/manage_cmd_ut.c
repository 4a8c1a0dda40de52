/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The management admin commands on the fake controller: their encodings,
 * their argument and capability checks, Format NVM and Namespace
 * Attachment seen by the namespace objects before the caller's callback,
 * and Firmware Image Download cut at the transfer limit and the update
 * granularity.
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
	struct pnvme_cpl cpl;
	/* What the namespace looked like when the callback ran. */
	uint32_t sector_size;
	bool ns_present;
} g_done;

static struct pnvme_ctrlr *g_ctrlr;
static uint32_t g_watch_nsid;

static void
done_cb(void *arg, const struct pnvme_cpl *cpl)
{
	struct pnvme_ns *ns = pnvme_ctrlr_get_ns(g_ctrlr, g_watch_nsid);

	(void)arg;
	g_done.calls++;
	g_done.cpl = *cpl;
	g_done.ns_present = ns != NULL;
	g_done.sector_size = ns != NULL ? pnvme_ns_get_sector_size(ns) : 0;
}

static int g_changes;
static enum pnvme_ns_change g_last_change;

static void
ns_change_cb(void *arg, struct pnvme_ns *ns, enum pnvme_ns_change change)
{
	(void)arg;
	(void)ns;
	g_changes++;
	g_last_change = change;
}

static struct fake_ctrlr *
live_fake(uint16_t oacs)
{
	struct fake_ctrlr *f = fake_ctrlr_create();

	f->cdata.oacs = oacs;
	f->cdata.nn = 8;
	f->cdata.cntlid = 5;
	CU_ASSERT_EQUAL_FATAL(fake_ctrlr_run_init(f, 1000), 1);
	g_ctrlr = &f->ctrlr;
	memset(&g_done, 0, sizeof(g_done));
	g_changes = 0;
	pnvme_ctrlr_register_ns_change_callback(&f->ctrlr, ns_change_cb, NULL);
	return f;
}

static void
wait_done(struct fake_ctrlr *f, int calls)
{
	int i;

	for (i = 0; i < POLLS && g_done.calls < calls; i++) {
		pnvme_ctrlr_process_admin_completions(&f->ctrlr);
	}
	CU_ASSERT_EQUAL(g_done.calls, calls);
}

static void
test_format_seen_before_callback(void)
{
	struct fake_ctrlr *f = live_fake(PNVME_OACS_FORMAT);
	struct pnvme_ns *ns1 = pnvme_ctrlr_get_ns(&f->ctrlr, 1);
	struct pnvme_format fmt = {.lbaf = 1, .mset = true, .pi = 1, .pil = true, .ses = 1};

	g_watch_nsid = 1;
	CU_ASSERT_EQUAL(pnvme_ns_get_sector_size(ns1), 512);
	CU_ASSERT_EQUAL(pnvme_ctrlr_cmd_format(&f->ctrlr, 1, &fmt, done_cb, NULL), 0);
	wait_done(f, 1);
	CU_ASSERT(!pnvme_cpl_is_error(&g_done.cpl));
	CU_ASSERT_EQUAL(f->last_admin_cmd.opc == PNVME_OPC_IDENTIFY ||
				f->last_admin_cmd.opc == PNVME_OPC_FORMAT_NVM,
			1);
	/* The callback already saw 4 KiB blocks with 8 bytes of metadata,
	 * on the same object. */
	CU_ASSERT_EQUAL(g_done.sector_size, 4096);
	CU_ASSERT_PTR_EQUAL(pnvme_ctrlr_get_ns(&f->ctrlr, 1), ns1);
	CU_ASSERT_EQUAL(pnvme_ns_get_md_size(ns1), 8);
	CU_ASSERT_EQUAL(g_changes, 1);
	CU_ASSERT_EQUAL(g_last_change, PNVME_NS_CHANGED);

	/* The encoding: LBAF 3:0 and 13:12, MSET, PI, PIL, SES. */
	fmt.lbaf = 17;
	CU_ASSERT_EQUAL(pnvme_ctrlr_cmd_format(&f->ctrlr, 1, &fmt, done_cb, NULL), 0);
	pnvme_ctrlr_process_admin_completions(&f->ctrlr);
	CU_ASSERT_EQUAL(f->admin_count[PNVME_OPC_FORMAT_NVM], 2);
	wait_done(f, 2);

	/* A failed format: the controller's status, no rescan needed. */
	fmt.lbaf = 5; /* the fake has formats 0 and 1 */
	CU_ASSERT_EQUAL(pnvme_ctrlr_cmd_format(&f->ctrlr, 1, &fmt, done_cb, NULL), 0);
	wait_done(f, 3);
	CU_ASSERT(pnvme_cpl_is_error(&g_done.cpl));
	CU_ASSERT_EQUAL(g_done.cpl.status.sc, PNVME_SC_INVALID_FIELD);

	test_log_capture_start();
	fmt.lbaf = 64;
	CU_ASSERT_EQUAL(pnvme_ctrlr_cmd_format(&f->ctrlr, 1, &fmt, done_cb, NULL), -EINVAL);
	CU_ASSERT(test_log_contains("out of range"));
	fmt.lbaf = 0;
	fmt.pi = 4;
	CU_ASSERT_EQUAL(pnvme_ctrlr_cmd_format(&f->ctrlr, 1, &fmt, done_cb, NULL), -EINVAL);
	fmt.pi = 0;
	fmt.ses = 3;
	CU_ASSERT_EQUAL(pnvme_ctrlr_cmd_format(&f->ctrlr, 1, &fmt, done_cb, NULL), -EINVAL);
	fmt.ses = 0;
	CU_ASSERT_EQUAL(pnvme_ctrlr_cmd_format(&f->ctrlr, 0, &fmt, done_cb, NULL), -EINVAL);
	CU_ASSERT_EQUAL(pnvme_ctrlr_cmd_format(&f->ctrlr, 1, NULL, done_cb, NULL), -EINVAL);
	f->ctrlr.cdata.oacs = 0;
	CU_ASSERT_EQUAL(pnvme_ctrlr_cmd_format(&f->ctrlr, 1, &fmt, done_cb, NULL), -ENOTSUP);
	CU_ASSERT(test_log_contains("format: the controller does not support it"));
	pnvme_log_set_handler(NULL);
	CU_ASSERT_EQUAL(f->admin_count[PNVME_OPC_FORMAT_NVM], 3);
	fake_ctrlr_destroy(f);
}

static void
test_format_encoding(void)
{
	struct fake_ctrlr *f = live_fake(PNVME_OACS_FORMAT);
	struct pnvme_format fmt = {.lbaf = 17, .mset = true, .pi = 3, .pil = true, .ses = 2};

	struct nvme_request *req, *sent = NULL;

	f->admin_hang = true; /* keep the command as sent */
	CU_ASSERT_EQUAL(pnvme_ctrlr_cmd_format(&f->ctrlr, PNVME_NSID_ALL, &fmt, done_cb, NULL), 0);
	STAILQ_FOREACH(req, &f->pending, link) {
		if (req->cmd.opc == PNVME_OPC_FORMAT_NVM) {
			sent = req;
		}
	}
	CU_ASSERT_PTR_NOT_NULL_FATAL(sent);
	CU_ASSERT_EQUAL(sent->cmd.cdw10, 1u | 1u << 4 | 3u << 5 | 1u << 8 | 2u << 9 | 1u << 12);
	CU_ASSERT_EQUAL(sent->cmd.nsid, PNVME_NSID_ALL);
	f->admin_hang = false;
	wait_done(f, 1);
	fake_ctrlr_destroy(f);
}

static void
test_attach_detach(void)
{
	struct fake_ctrlr *f = live_fake(PNVME_OACS_NS_MANAGE);
	void *buf = pnvme_dma_zmalloc(4096, 4096, NULL);
	struct pnvme_qpair *qpair = pnvme_ctrlr_alloc_io_qpair(&f->ctrlr, NULL, 0);
	struct pnvme_ns *ns2;

	/* Namespace 2 exists but is attached to no controller. */
	f->nsdata[1].nsze = f->nsdata[1].ncap = f->nsdata[1].nuse = 4096;
	f->nsdata[1].nlbaf = 0;
	f->nsdata[1].lbaf[0].lbads = 12;
	g_watch_nsid = 2;
	CU_ASSERT_EQUAL(pnvme_ctrlr_cmd_ns_attach(&f->ctrlr, PNVME_NS_ATTACH_CTRLRS, 2, NULL,
						  done_cb, NULL),
			0);
	wait_done(f, 1);
	CU_ASSERT(!pnvme_cpl_is_error(&g_done.cpl));
	/* Usable when the callback runs: attached to this controller (its
	 * ID in the list), identified, told to the change callback. */
	CU_ASSERT(g_done.ns_present);
	CU_ASSERT_EQUAL(g_done.sector_size, 4096);
	CU_ASSERT_EQUAL(g_changes, 1);
	CU_ASSERT_EQUAL(g_last_change, PNVME_NS_ADDED);
	ns2 = pnvme_ctrlr_get_ns(&f->ctrlr, 2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ns2);
	CU_ASSERT_EQUAL(pnvme_ns_cmd_read(ns2, qpair, buf, 0, 1, done_cb, NULL, 0), 0);
	pnvme_qpair_process_completions(qpair, 0);
	CU_ASSERT_EQUAL(g_done.calls, 2);

	CU_ASSERT_EQUAL(pnvme_ctrlr_cmd_ns_attach(&f->ctrlr, PNVME_NS_DETACH_CTRLRS, 2, NULL,
						  done_cb, NULL),
			0);
	wait_done(f, 3);
	CU_ASSERT(!g_done.ns_present);
	CU_ASSERT_EQUAL(g_last_change, PNVME_NS_REMOVED);
	CU_ASSERT(!pnvme_ns_is_active(ns2));
	CU_ASSERT_EQUAL(pnvme_ns_cmd_read(ns2, qpair, buf, 0, 1, done_cb, NULL, 0), -ENXIO);

	/* Detached twice: the controller's status, named. */
	CU_ASSERT_EQUAL(pnvme_ctrlr_cmd_ns_attach(&f->ctrlr, PNVME_NS_DETACH_CTRLRS, 2, NULL,
						  done_cb, NULL),
			0);
	wait_done(f, 4);
	CU_ASSERT(pnvme_cpl_is_error(&g_done.cpl));
	CU_ASSERT_STRING_EQUAL(pnvme_status_string(&g_done.cpl.status), "NAMESPACE NOT ATTACHED");

	test_log_capture_start();
	CU_ASSERT_EQUAL(pnvme_ctrlr_cmd_ns_attach(&f->ctrlr, PNVME_NS_ATTACH_CTRLRS, 0, NULL,
						  done_cb, NULL),
			-EINVAL);
	CU_ASSERT_EQUAL(pnvme_ctrlr_cmd_ns_attach(&f->ctrlr, 2, 2, NULL, done_cb, NULL), -EINVAL);
	CU_ASSERT_EQUAL(pnvme_ctrlr_cmd_ns_manage(&f->ctrlr, PNVME_NS_MANAGE_CREATE, 3, &f->nsdata[0],
						  done_cb, NULL),
			-EINVAL);
	CU_ASSERT_EQUAL(pnvme_ctrlr_cmd_ns_manage(&f->ctrlr, PNVME_NS_MANAGE_DELETE, 0, NULL,
						  done_cb, NULL),
			-EINVAL);
	pnvme_log_set_handler(NULL);

	/* Namespace Management: create (SEL 0, the structure sent), delete. */
	CU_ASSERT_EQUAL(pnvme_ctrlr_cmd_ns_manage(&f->ctrlr, PNVME_NS_MANAGE_CREATE, 0, &f->nsdata[0],
						  done_cb, NULL),
			0);
	wait_done(f, 5);
	CU_ASSERT_EQUAL(f->admin_count[PNVME_OPC_NS_MANAGEMENT], 1);
	CU_ASSERT_EQUAL(pnvme_ctrlr_cmd_ns_manage(&f->ctrlr, PNVME_NS_MANAGE_DELETE, 2, NULL,
						  done_cb, NULL),
			0);
	wait_done(f, 6);
	CU_ASSERT_EQUAL(f->admin_count[PNVME_OPC_NS_MANAGEMENT], 2);

	f->ctrlr.cdata.oacs = 0;
	test_log_capture_start();
	CU_ASSERT_EQUAL(pnvme_ctrlr_cmd_ns_attach(&f->ctrlr, PNVME_NS_ATTACH_CTRLRS, 2, NULL,
						  done_cb, NULL),
			-ENOTSUP);
	pnvme_log_set_handler(NULL);
	pnvme_ctrlr_free_io_qpair(qpair);
	pnvme_dma_free(buf);
	fake_ctrlr_destroy(f);
}

static void
test_fw_download_pieces(void)
{
	struct fake_ctrlr *f = live_fake(PNVME_OACS_FIRMWARE);
	uint8_t *image = malloc(30000);
	int i;

	for (i = 0; i < 30000; i++) {
		image[i] = (uint8_t)(i * 13 + 5);
	}
	/* No granularity given: pieces of the transfer limit, through a DMA
	 * copy (heap memory), each at its dword offset. */
	f->ctrlr.max_xfer_size = 4096;
	CU_ASSERT_EQUAL(pnvme_ctrlr_cmd_fw_download(&f->ctrlr, image, 10000, 0, done_cb, NULL), 0);
	wait_done(f, 1);
	CU_ASSERT(!pnvme_cpl_is_error(&g_done.cpl));
	CU_ASSERT_EQUAL(f->fw_pieces, 3);
	CU_ASSERT_EQUAL(memcmp(f->fw_image, image, 10000), 0);
	CU_ASSERT_EQUAL(f->last_admin_cmd.cdw10, (10000 - 8192) / 4 - 1);
	CU_ASSERT_EQUAL(f->last_admin_cmd.cdw11, 8192 / 4);

	/* FWUG 3 (12 KiB granules) under a 16 KiB limit: 12 KiB pieces. */
	f->ctrlr.max_xfer_size = 16384;
	f->ctrlr.cdata.fwug = 3;
	f->fw_pieces = 0;
	memset(f->fw_image, 0, sizeof(f->fw_image));
	CU_ASSERT_EQUAL(pnvme_ctrlr_cmd_fw_download(&f->ctrlr, image, 30000, 12288, done_cb, NULL),
			0);
	wait_done(f, 2);
	CU_ASSERT_EQUAL(f->fw_pieces, 3);
	CU_ASSERT_EQUAL(memcmp(f->fw_image + 12288, image, 30000), 0);
	CU_ASSERT_EQUAL(f->last_admin_cmd.cdw11, (12288 + 24576) / 4);

	test_log_capture_start();
	CU_ASSERT_EQUAL(pnvme_ctrlr_cmd_fw_download(&f->ctrlr, image, 8192, 4096, done_cb, NULL),
			-EINVAL);
	CU_ASSERT(test_log_contains("granularity is 12288 bytes"));
	f->ctrlr.max_xfer_size = 8192;
	CU_ASSERT_EQUAL(pnvme_ctrlr_cmd_fw_download(&f->ctrlr, image, 8192, 0, done_cb, NULL),
			-EINVAL);
	CU_ASSERT_EQUAL(pnvme_ctrlr_cmd_fw_download(&f->ctrlr, image, 6, 0, done_cb, NULL), -EINVAL);
	CU_ASSERT_EQUAL(pnvme_ctrlr_cmd_fw_download(&f->ctrlr, NULL, 8, 0, done_cb, NULL), -EINVAL);

	/* Commit: slot within FRMW's count, a defined action. */
	f->ctrlr.cdata.frmw = 2u << 1;
	CU_ASSERT_EQUAL(pnvme_ctrlr_cmd_fw_commit(&f->ctrlr, 3, PNVME_FW_COMMIT_REPLACE, false,
						  done_cb, NULL),
			-EINVAL);
	CU_ASSERT_EQUAL(pnvme_ctrlr_cmd_fw_commit(&f->ctrlr, 1, 4, false, done_cb, NULL), -EINVAL);
	pnvme_log_set_handler(NULL);
	CU_ASSERT_EQUAL(pnvme_ctrlr_cmd_fw_commit(&f->ctrlr, 2, PNVME_FW_COMMIT_REPLACE_AND_ACTIVATE,
						  false, done_cb, NULL),
			0);
	wait_done(f, 3);
	CU_ASSERT_EQUAL(f->last_admin_cmd.opc, PNVME_OPC_FIRMWARE_COMMIT);
	CU_ASSERT_EQUAL(f->last_admin_cmd.cdw10, 2u | 1u << 3);

	f->ctrlr.cdata.oacs = 0;
	test_log_capture_start();
	CU_ASSERT_EQUAL(pnvme_ctrlr_cmd_fw_download(&f->ctrlr, image, 8, 0, done_cb, NULL),
			-ENOTSUP);
	CU_ASSERT(test_log_contains("fw_download: the controller does not support it"));
	pnvme_log_set_handler(NULL);
	free(image);
	fake_ctrlr_destroy(f);
}

static void
test_self_test_and_sanitize(void)
{
	struct fake_ctrlr *f = live_fake(PNVME_OACS_SELF_TEST);
	struct pnvme_sanitize san = {.action = PNVME_SANITIZE_OVERWRITE, .ause = true, .owpass = 3,
				     .oipbp = true, .ndas = true, .ovrpat = 0xa5a5a5a5u};

	CU_ASSERT_EQUAL(pnvme_ctrlr_cmd_self_test(&f->ctrlr, PNVME_NSID_ALL, PNVME_SELF_TEST_SHORT,
						  done_cb, NULL),
			0);
	wait_done(f, 1);
	CU_ASSERT_EQUAL(f->last_admin_cmd.opc, PNVME_OPC_DEVICE_SELF_TEST);
	CU_ASSERT_EQUAL(f->last_admin_cmd.cdw10, 1);
	CU_ASSERT_EQUAL(f->last_admin_cmd.nsid, PNVME_NSID_ALL);
	test_log_capture_start();
	CU_ASSERT_EQUAL(pnvme_ctrlr_cmd_self_test(&f->ctrlr, 0, 3, done_cb, NULL), -EINVAL);

	/* Sanitize: only the actions SANICAP offers. */
	CU_ASSERT_EQUAL(pnvme_ctrlr_cmd_sanitize(&f->ctrlr, &san, done_cb, NULL), -ENOTSUP);
	CU_ASSERT(test_log_contains("does not offer action 3"));
	f->ctrlr.cdata.sanicap = 1u << 2;
	san.owpass = 16;
	CU_ASSERT_EQUAL(pnvme_ctrlr_cmd_sanitize(&f->ctrlr, &san, done_cb, NULL), -EINVAL);
	san.owpass = 3;
	pnvme_log_set_handler(NULL);
	CU_ASSERT_EQUAL(pnvme_ctrlr_cmd_sanitize(&f->ctrlr, &san, done_cb, NULL), 0);
	wait_done(f, 2);
	CU_ASSERT_EQUAL(f->last_admin_cmd.opc, PNVME_OPC_SANITIZE);
	CU_ASSERT_EQUAL(f->last_admin_cmd.cdw10, 3u | 1u << 3 | 3u << 4 | 1u << 8 | 1u << 9);
	CU_ASSERT_EQUAL(f->last_admin_cmd.cdw11, 0xa5a5a5a5u);

	f->ctrlr.cdata.oacs = 0;
	test_log_capture_start();
	CU_ASSERT_EQUAL(pnvme_ctrlr_cmd_self_test(&f->ctrlr, 0, PNVME_SELF_TEST_SHORT, done_cb,
						  NULL),
			-ENOTSUP);
	pnvme_log_set_handler(NULL);
	fake_ctrlr_destroy(f);
}

int
main(void)
{
	static const struct ut_test tests[] = {
		{"format_seen_before_callback", test_format_seen_before_callback},
		{"format_encoding", test_format_encoding},
		{"attach_detach", test_attach_detach},
		{"fw_download_pieces", test_fw_download_pieces},
		{"self_test_and_sanitize", test_self_test_and_sanitize},
		{NULL, NULL},
	};

	return ut_run("manage_cmd", tests);
}
