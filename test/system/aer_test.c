/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Asynchronous events from a real controller (QEMU's, whose SMART critical
 * warnings the host sets through QMP; see aer_run.sh):
 *
 *   pnvme_aer_test -r TRID JOBDIR
 *   pnvme_aer_test --discovery -r TRID JOBDIR
 *
 * Attaches, writes JOBDIR/aer.ready, then polls the admin queue. Each event
 * is checked and appended to JOBDIR/aer.events ("type info log-page
 * critical-warning"). Two are expected: a SMART event for the spare warning
 * (bit 0), then, once the host adds the reliability warning (bit 2), a
 * second one: it can only come if the first was cleared by reading its log
 * and the request was sent again.
 *
 * With --discovery, TRID names an NVMe-oF discovery service: the program
 * stays connected to it, writes JOBDIR/discovery.ready, and expects two log
 * change events while the target takes a subsystem off its port and puts
 * it back; each event carries the log read again, and the count of its
 * entries goes to JOBDIR/discovery.events. The second must list one more
 * than the first. Prints "ok - ..." / "not ok - ...".
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

/* Register @p cb, send the requests, write JOBDIR/@p ready_name, then poll
 * the admin queue until two events came or two minutes passed. */
static void
listen_for_two_events(pnvme_aer_cb cb, const char *ready_name)
{
	char path[4096];
	double deadline;
	FILE *f;

	CHECK(pnvme_ctrlr_register_aer_callback(g_ctrlr, cb, NULL) == 0, "AER callback registered");
	/* The requests reach the controller with the first admin poll. */
	pnvme_ctrlr_process_admin_completions(g_ctrlr);
	snprintf(path, sizeof(path), "%s/%s", g_job, ready_name);
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
}

static uint32_t g_disc_entries[2];

static void
discovery_cb(void *arg, const struct pnvme_async_event *ev)
{
	char path[4096];
	FILE *f;

	(void)arg;
	CHECK(ev->type == PNVME_ASYNC_EVENT_TYPE_NOTICE &&
		      ev->info == PNVME_AER_NOTICE_DISCOVERY_LOG_CHANGE &&
		      ev->log_page == PNVME_LOG_PAGE_DISCOVERY && ev->log_rc == 0 &&
		      ev->log_len % sizeof(struct pnvme_discovery_log_entry) == 0,
	      "event %d: discovery log change, the log read again (%u bytes, rc %d)", g_events + 1,
	      ev->log_len, ev->log_rc);
	if (g_events < 2) {
		g_disc_entries[g_events] = ev->log_len / sizeof(struct pnvme_discovery_log_entry);
	}
	g_events++;
	snprintf(path, sizeof(path), "%s/discovery.events", g_job);
	f = fopen(path, "a");
	if (f != NULL) {
		fprintf(f, "%u\n", ev->log_len / (uint32_t)sizeof(struct pnvme_discovery_log_entry));
		fclose(f);
	}
}

/* Stay connected to a discovery service through two log changes. */
static int
watch_discovery(const struct pnvme_transport_id *trid)
{
	g_ctrlr = pnvme_connect(trid, NULL, 0);
	if (g_ctrlr == NULL) {
		printf("not ok - connect to the discovery service\n");
		return 1;
	}
	listen_for_two_events(discovery_cb, "discovery.ready");
	CHECK(g_events == 2 && g_disc_entries[1] == g_disc_entries[0] + 1,
	      "two log changes: a subsystem gone (%u entries), then back (%u)",
	      g_disc_entries[0], g_disc_entries[1]);
	CHECK(pnvme_detach(g_ctrlr) == 0, "detach from the discovery service");
	return g_failures ? 1 : 0;
}

int
main(int argc, char **argv)
{
	struct pnvme_transport_id trid;
	bool discovery = argc > 1 && strcmp(argv[1], "--discovery") == 0;

	if (discovery) {
		argc--;
		argv++;
	}
	if (argc != 4 || strcmp(argv[1], "-r") != 0 || pnvme_transport_id_parse(&trid, argv[2])) {
		fprintf(stderr, "usage: %s [--discovery] -r TRID JOBDIR\n", argv[0]);
		return 2;
	}
	g_job = argv[3];
	if (discovery) {
		return watch_discovery(&trid);
	}
	if (pnvme_probe(&trid, NULL, NULL, attach_cb, NULL) != 0 || g_ctrlr == NULL) {
		printf("not ok - attach %s\n", argv[2]);
		return 1;
	}
	listen_for_two_events(aer_cb, "aer.ready");
	CHECK(g_events == 2, "two SMART events, the second after the first was cleared (%d)",
	      g_events);
	CHECK(pnvme_detach(g_ctrlr) == 0, "detach with the requests outstanding");
	return g_failures ? 1 : 0;
}
