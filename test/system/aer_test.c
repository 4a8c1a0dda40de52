/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Asynchronous events from a real controller (QEMU's, whose SMART critical
 * warnings the host sets through QMP; see aer_run.sh):
 *
 *   pnvme_aer_test -r TRID JOBDIR
 *
 * Attaches, writes JOBDIR/aer.ready, then polls the admin queue. Each event
 * is checked and appended to JOBDIR/aer.events ("type info log-page
 * critical-warning"). Two are expected: a SMART event for the spare warning
 * (bit 0), then, once the host adds the reliability warning (bit 2), a
 * second one: it can only come if the first was cleared by reading its log
 * and the request was sent again. Prints "ok - ..." / "not ok - ...".
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "pnvme/nvme.h"

static struct pnvme_ctrlr *g_ctrlr;
static int g_failures;
static int g_events;
static const char *g_job;

static void
attach_cb(void *ctx, const struct pnvme_transport_id *trid, struct pnvme_ctrlr *ctrlr,
	  const struct pnvme_ctrlr_opts *opts)
{
	(void)ctx;
	(void)trid;
	(void)opts;
	if (g_ctrlr == NULL) {
		g_ctrlr = ctrlr;
	} else {
		pnvme_detach(ctrlr);
	}
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
aer_cb(void *arg, const struct pnvme_async_event *ev)
{
	const struct pnvme_health_log *h = ev->log;
	static const uint8_t expect[] = {0x01, 0x05};
	char path[4096];
	FILE *f;

	(void)arg;
	g_events++;
	CHECK(ev->type == PNVME_ASYNC_EVENT_TYPE_SMART &&
		      ev->log_page == PNVME_LOG_PAGE_HEALTH_INFORMATION && ev->log_rc == 0 &&
		      h != NULL && ev->log_len == sizeof(*h),
	      "event %d: SMART/health, its log read (type %u info 0x%02x log 0x%02x, rc %d)",
	      g_events, ev->type, ev->info, ev->log_page, ev->log_rc);
	if (h != NULL && g_events <= 2) {
		CHECK(h->critical_warning == expect[g_events - 1],
		      "event %d: the health log carries critical warning 0x%02x (expected 0x%02x)",
		      g_events, h->critical_warning, expect[g_events - 1]);
	}
	snprintf(path, sizeof(path), "%s/aer.events", g_job);
	f = fopen(path, "a");
	if (f != NULL) {
		fprintf(f, "%u %u %u %u\n", ev->type, ev->info, ev->log_page,
			h != NULL ? h->critical_warning : 0xffu);
		fclose(f);
	}
}

int
main(int argc, char **argv)
{
	struct pnvme_transport_id trid;
	char path[4096];
	double deadline;
	FILE *f;

	if (argc != 4 || strcmp(argv[1], "-r") != 0 || pnvme_transport_id_parse(&trid, argv[2])) {
		fprintf(stderr, "usage: %s -r TRID JOBDIR\n", argv[0]);
		return 2;
	}
	g_job = argv[3];
	if (pnvme_probe(&trid, NULL, NULL, attach_cb, NULL) != 0 || g_ctrlr == NULL) {
		printf("not ok - attach %s\n", argv[2]);
		return 1;
	}
	CHECK(pnvme_ctrlr_register_aer_callback(g_ctrlr, aer_cb, NULL) == 0,
	      "AER callback registered");
	/* The requests reach the controller with the first admin poll. */
	pnvme_ctrlr_process_admin_completions(g_ctrlr);
	snprintf(path, sizeof(path), "%s/aer.ready", g_job);
	f = fopen(path, "w");
	if (f != NULL) {
		fclose(f);
	}
	deadline = now_s() + 120;
	while (g_events < 2 && now_s() < deadline) {
		if (pnvme_ctrlr_process_admin_completions(g_ctrlr) < 0) {
			break;
		}
	}
	CHECK(g_events == 2, "two SMART events, the second after the first was cleared (%d)",
	      g_events);
	CHECK(pnvme_detach(g_ctrlr) == 0, "detach with the requests outstanding");
	return g_failures ? 1 : 0;
}
