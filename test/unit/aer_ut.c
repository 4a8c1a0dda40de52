/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Asynchronous events and the typed admin commands they use, on the fake
 * controller: the configuration set at bring-up, AERL+1 requests held, an
 * event's log read (and cleared) before the callback and the request sent
 * again, an event whose log is not read, a reset aborting the requests
 * silently and sending them again once ready; Get Log Page split at the
 * transfer limit through a DMA copy, and its argument checks.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fake_ctrlr.h"
#include "test_env.h"
#include "ut.h"

#define POLLS 1000

static struct {
	int calls;
	struct pnvme_async_event ev;
	uint8_t log[512];
} g_seen;

static void
aer_cb(void *arg, const struct pnvme_async_event *ev)
{
	(void)arg;
	g_seen.calls++;
	g_seen.ev = *ev;
	if (ev->log != NULL) {
		memcpy(g_seen.log, ev->log, PNVME_MIN(ev->log_len, (uint32_t)sizeof(g_seen.log)));
	}
}

static int
held_aers(struct fake_ctrlr *f)
{
	struct nvme_request *req;
	int n = 0;

	STAILQ_FOREACH(req, &f->aers, link) {
		n++;
	}
	return n;
}

static struct fake_ctrlr *
live_fake(uint8_t aerl)
{
	struct fake_ctrlr *f = fake_ctrlr_create();

	f->cdata.aerl = aerl;
	f->cdata.oaes = 1u << 8; /* namespace attribute notices */
	CU_ASSERT_EQUAL_FATAL(fake_ctrlr_run_init(f, POLLS), 1);
	/* The requests reach the controller with the next admin poll. */
	pnvme_ctrlr_process_admin_completions(&f->ctrlr);
	memset(&g_seen, 0, sizeof(g_seen));
	return f;
}

static void
test_event_read_reported_rearmed(void)
{
	struct fake_ctrlr *f = live_fake(1);

	/* SMART warnings and the notices OAES offers are enabled; AERL+1
	 * requests wait at the controller. */
	CU_ASSERT_EQUAL(f->ctrlr.aec, 0x1fu | PNVME_AEC_NS_ATTRIBUTE);
	CU_ASSERT_EQUAL(held_aers(f), 2);
	CU_ASSERT_EQUAL(pnvme_ctrlr_register_aer_callback(&f->ctrlr, aer_cb, NULL), 0);

	/* A SMART event (spare and reliability warnings): the health log is
	 * read, clearing the event, before the callback. */
	f->log_data[0] = 0x05;
	CU_ASSERT(fake_ctrlr_post_aer(f, 1u | 0x01u << 8 | 0x02u << 16));
	CU_ASSERT_EQUAL(g_seen.calls, 0);
	CU_ASSERT_EQUAL(held_aers(f), 1);
	CU_ASSERT_EQUAL(pnvme_ctrlr_process_admin_completions(&f->ctrlr) >= 0, 1);
	CU_ASSERT_EQUAL(g_seen.calls, 1);
	CU_ASSERT_EQUAL(g_seen.ev.type, PNVME_ASYNC_EVENT_TYPE_SMART);
	CU_ASSERT_EQUAL(g_seen.ev.info, 1);
	CU_ASSERT_EQUAL(g_seen.ev.log_page, PNVME_LOG_PAGE_HEALTH_INFORMATION);
	CU_ASSERT_EQUAL(g_seen.ev.log_rc, 0);
	CU_ASSERT_EQUAL(g_seen.ev.log_len, 512);
	CU_ASSERT_EQUAL(((struct pnvme_health_log *)g_seen.log)->critical_warning, 0x05);
	CU_ASSERT_EQUAL(f->last_log_cmd.cdw10 & 0xff, PNVME_LOG_PAGE_HEALTH_INFORMATION);
	CU_ASSERT_EQUAL(f->last_log_cmd.cdw10 & PNVME_LOG_PAGE_RAE, 0);
	CU_ASSERT_EQUAL(f->last_log_cmd.cdw10 >> 16, 512 / 4 - 1);
	CU_ASSERT_EQUAL(f->last_log_cmd.nsid, PNVME_NSID_ALL);
	/* Sent again after the callback. */
	CU_ASSERT_EQUAL(held_aers(f), 2);

	/* An event whose log the library does not read: reported at once. */
	CU_ASSERT(fake_ctrlr_post_aer(f, 2u | 0x03u << 8 | 0x80u << 16));
	CU_ASSERT_EQUAL(g_seen.calls, 2);
	CU_ASSERT_EQUAL(g_seen.ev.type, PNVME_ASYNC_EVENT_TYPE_NOTICE);
	CU_ASSERT_EQUAL(g_seen.ev.log_page, 0x80);
	CU_ASSERT_EQUAL(g_seen.ev.log_rc, -ENOTSUP);
	CU_ASSERT_PTR_NULL(g_seen.ev.log);
	pnvme_ctrlr_process_admin_completions(&f->ctrlr);
	CU_ASSERT_EQUAL(held_aers(f), 2);
	fake_ctrlr_destroy(f);
}

static void
test_reset_aborts_silently_and_rearms(void)
{
	struct fake_ctrlr *f = live_fake(9);

	/* AERL+1 is 10: at most 4 are kept. */
	CU_ASSERT_EQUAL(held_aers(f), 4);
	CU_ASSERT_EQUAL(pnvme_ctrlr_register_aer_callback(&f->ctrlr, aer_cb, NULL), 0);
	test_log_capture_start();
	CU_ASSERT_EQUAL(pnvme_ctrlr_reset(&f->ctrlr), 0);
	/* The aborted requests tell the application nothing and log nothing;
	 * the ready controller gets them again. */
	CU_ASSERT_EQUAL(g_seen.calls, 0);
	CU_ASSERT(!test_log_contains("Asynchronous Event Request ended"));
	pnvme_log_set_handler(NULL);
	pnvme_ctrlr_process_admin_completions(&f->ctrlr);
	CU_ASSERT_EQUAL(held_aers(f), 4);
	CU_ASSERT(fake_ctrlr_post_aer(f, 1u | 0x02u << 16));
	CU_ASSERT_EQUAL(pnvme_ctrlr_process_admin_completions(&f->ctrlr) >= 0, 1);
	CU_ASSERT_EQUAL(g_seen.calls, 1);
	CU_ASSERT_EQUAL(held_aers(f), 4);
	fake_ctrlr_destroy(f);
}

static int g_log_done;
static struct pnvme_cpl g_log_cpl;

static void
log_cb(void *arg, const struct pnvme_cpl *cpl)
{
	(void)arg;
	g_log_done++;
	g_log_cpl = *cpl;
}

static void
test_log_page_split_and_checks(void)
{
	struct fake_ctrlr *f = live_fake(0);
	struct pnvme_log_page_opts opts = {.opts_size = sizeof(opts), .offset = 8192, .lsp = 3,
					   .rae = true, .lsi = 7};
	uint8_t *heap = malloc(10240);
	int polls, i, logs_before = f->admin_count[PNVME_OPC_GET_LOG_PAGE];
	bool same = true;

	for (i = 0; i < (int)sizeof(f->log_data); i++) {
		f->log_data[i] = (uint8_t)(i * 7 + 1);
	}
	memset(heap, 0, 10240);
	f->ctrlr.max_xfer_size = 4096;
	f->ctrlr.cdata.lpa |= 1u << 2; /* offsets taken */
	g_log_done = 0;
	/* 10 KiB of a vendor log from offset 8 KiB into heap memory: three
	 * pieces, each through a DMA copy, one callback. */
	CU_ASSERT_EQUAL(pnvme_ctrlr_cmd_get_log_page(&f->ctrlr, 0xc0, 0, heap, 10240, &opts, log_cb,
						     NULL),
			0);
	for (polls = 0; polls < 10 && g_log_done == 0; polls++) {
		pnvme_ctrlr_process_admin_completions(&f->ctrlr);
	}
	CU_ASSERT_EQUAL(g_log_done, 1);
	CU_ASSERT(!pnvme_cpl_is_error(&g_log_cpl));
	CU_ASSERT_EQUAL(f->admin_count[PNVME_OPC_GET_LOG_PAGE] - logs_before, 3);
	/* The last piece: 2 KiB at offset 8 KiB + 8 KiB, the fields kept. */
	CU_ASSERT_EQUAL(f->last_log_cmd.cdw10 & 0xff, 0xc0);
	CU_ASSERT_EQUAL((f->last_log_cmd.cdw10 >> 8) & 0x7f, 3);
	CU_ASSERT(f->last_log_cmd.cdw10 & PNVME_LOG_PAGE_RAE);
	CU_ASSERT_EQUAL(f->last_log_cmd.cdw10 >> 16, 2048 / 4 - 1);
	CU_ASSERT_EQUAL(f->last_log_cmd.cdw11 >> 16, 7);
	CU_ASSERT_EQUAL(f->last_log_cmd.cdw12, 16384);
	CU_ASSERT_EQUAL(f->last_log_cmd.cdw13, 0);
	/* Each piece landed where it belongs (the fake answers every piece
	 * from the start of its data). */
	for (i = 0; i < 10240; i++) {
		same &= heap[i] == f->log_data[i % 4096];
	}
	CU_ASSERT(same);

	test_log_capture_start();
	CU_ASSERT_EQUAL(pnvme_ctrlr_cmd_get_log_page(&f->ctrlr, 2, 0, heap, 6, NULL, log_cb, NULL),
			-EINVAL);
	CU_ASSERT(test_log_contains("must be non-zero multiples of 4"));
	CU_ASSERT_EQUAL(pnvme_ctrlr_cmd_get_log_page(&f->ctrlr, 2, 0, heap, 0, NULL, log_cb, NULL),
			-EINVAL);
	opts.offset = 2;
	CU_ASSERT_EQUAL(pnvme_ctrlr_cmd_get_log_page(&f->ctrlr, 2, 0, heap, 512, &opts, log_cb,
						     NULL),
			-EINVAL);
	CU_ASSERT_EQUAL(pnvme_ctrlr_cmd_get_log_page(NULL, 2, 0, heap, 512, NULL, log_cb, NULL),
			-EINVAL);
	/* Without extended data (LPA bit 2) no offset is possible. */
	f->ctrlr.cdata.lpa &= (uint8_t)~(1u << 2);
	opts.offset = 4096;
	CU_ASSERT_EQUAL(pnvme_ctrlr_cmd_get_log_page(&f->ctrlr, 2, 0, heap, 512, &opts, log_cb,
						     NULL),
			-EINVAL);
	CU_ASSERT(test_log_contains("takes no log offset"));
	CU_ASSERT_EQUAL(pnvme_ctrlr_cmd_get_feature(&f->ctrlr, 6, 4, 0, 0, NULL, 0, log_cb, NULL),
			-EINVAL);
	pnvme_log_set_handler(NULL);
	CU_ASSERT_EQUAL(g_log_done, 1);

	/* Features: Set (saved) then Get, each completed once. */
	CU_ASSERT_EQUAL(pnvme_ctrlr_cmd_set_feature(&f->ctrlr, PNVME_FEAT_VOLATILE_WRITE_CACHE,
						    true, 0, 1, 0, NULL, 0, log_cb, NULL),
			0);
	CU_ASSERT_EQUAL(pnvme_ctrlr_cmd_get_feature(&f->ctrlr, PNVME_FEAT_VOLATILE_WRITE_CACHE,
						    PNVME_FEAT_SEL_CURRENT, 0, 0, NULL, 0, log_cb,
						    NULL),
			0);
	pnvme_ctrlr_process_admin_completions(&f->ctrlr);
	CU_ASSERT_EQUAL(g_log_done, 3);
	free(heap);
	fake_ctrlr_destroy(f);
}

static void
test_discovery_log_change(void)
{
	struct fake_ctrlr *f = fake_ctrlr_create_fabrics();
	struct pnvme_discovery_log_header *hdr = (void *)f->log_data;

	f->ctrlr.is_discovery = true;
	f->cdata.oaes = PNVME_AEC_DISCOVERY_LOG_CHANGE | 1u << 8;
	CU_ASSERT_EQUAL_FATAL(fake_ctrlr_run_init(f, POLLS), 1);
	/* Only the discovery log change is enabled on a discovery controller. */
	CU_ASSERT_EQUAL(f->ctrlr.aec, PNVME_AEC_DISCOVERY_LOG_CHANGE);
	pnvme_ctrlr_process_admin_completions(&f->ctrlr);
	CU_ASSERT_EQUAL(held_aers(f), 1);
	memset(&g_seen, 0, sizeof(g_seen));
	CU_ASSERT_EQUAL(pnvme_ctrlr_register_aer_callback(&f->ctrlr, aer_cb, NULL), 0);

	/* The log changed: one record now. The event is answered inside a
	 * completion callback; the log is read by the poll after it. */
	hdr->genctr = 7;
	hdr->numrec = 1;
	hdr->recfmt = 0;
	CU_ASSERT(fake_ctrlr_post_aer(f, 2u | 0xf0u << 8 | 0x70u << 16));
	CU_ASSERT_EQUAL(g_seen.calls, 0);
	pnvme_ctrlr_process_admin_completions(&f->ctrlr);
	CU_ASSERT_EQUAL(g_seen.calls, 1);
	CU_ASSERT_EQUAL(g_seen.ev.info, PNVME_AER_NOTICE_DISCOVERY_LOG_CHANGE);
	CU_ASSERT_EQUAL(g_seen.ev.log_page, PNVME_LOG_PAGE_DISCOVERY);
	CU_ASSERT_EQUAL(g_seen.ev.log_rc, 0);
	CU_ASSERT_EQUAL(g_seen.ev.log_len, sizeof(struct pnvme_discovery_log_entry));
	/* Read with RAE clear (the read clears the event), then listened
	 * for again. */
	CU_ASSERT_EQUAL(f->last_log_cmd.cdw10 & 0xff, PNVME_LOG_PAGE_DISCOVERY);
	CU_ASSERT_EQUAL(f->last_log_cmd.cdw10 & PNVME_LOG_PAGE_RAE, 0);
	pnvme_ctrlr_process_admin_completions(&f->ctrlr); /* the request reaches it */
	CU_ASSERT_EQUAL(held_aers(f), 1);

	/* A log that cannot be read is told as such, and listened for again. */
	hdr->recfmt = 9;
	test_log_capture_start();
	CU_ASSERT(fake_ctrlr_post_aer(f, 2u | 0xf0u << 8 | 0x70u << 16));
	pnvme_ctrlr_process_admin_completions(&f->ctrlr);
	pnvme_log_set_handler(NULL);
	CU_ASSERT_EQUAL(g_seen.calls, 2);
	CU_ASSERT(g_seen.ev.log_rc < 0);
	CU_ASSERT_PTR_NULL(g_seen.ev.log);
	pnvme_ctrlr_process_admin_completions(&f->ctrlr);
	CU_ASSERT_EQUAL(held_aers(f), 1);
	fake_ctrlr_destroy(f);
}

int
main(void)
{
	static const struct ut_test tests[] = {
		{"event_read_reported_rearmed", test_event_read_reported_rearmed},
		{"reset_aborts_silently_and_rearms", test_reset_aborts_silently_and_rearms},
		{"log_page_split_and_checks", test_log_page_split_and_checks},
		{"discovery_log_change", test_discovery_log_change},
		{NULL, NULL},
	};

	return ut_run("aer", tests);
}
