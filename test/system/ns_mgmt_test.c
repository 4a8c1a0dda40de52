/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Namespace management on a real controller (QEMU's, with namespace 1
 * attached and namespace NSID declared detached; see manage_run.sh):
 *
 *   pnvme_ns_mgmt_test -r TRID NSID
 *   pnvme_ns_mgmt_test -r TRID --watch NSID JOBDIR
 *
 * In one attachment, without a restart:
 *  - attach namespace NSID: the namespace-change callback says ADDED, the
 *    controller's Namespace Attribute Changed event arrives with the
 *    changed namespace list naming it, and verified I/O runs on it;
 *  - detach it: REMOVED, and its commands fail cleanly (-ENXIO) while
 *    namespace 1 still works;
 *  - format namespace 1 to the 4096-byte LBA format: CHANGED, the same
 *    namespace object reports 4096-byte blocks, and verified I/O runs in
 *    them; then back to 512 bytes.
 * With --watch it changes nothing itself: the target adds namespace NSID
 * (an NVMe-oF target, through its configuration) once JOBDIR/ns.ready
 * appears, and removes it once JOBDIR/ns.added appears; each must reach
 * the namespace-change callback, the addition with the target's event
 * naming it and verified I/O on it, the removal with -ENXIO after.
 * Prints "ok - ..." / "not ok - ...".
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "pnvme/nvme.h"

static struct pnvme_ctrlr *g_ctrlr;
static int g_failures;

static struct {
	int added, changed, removed;
	uint32_t last_nsid;
} g_ns_events;

static struct {
	int ns_attr_events;
	bool lists_nsid;
	uint32_t want_nsid;
} g_aer;

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

static void
ns_change_cb(void *arg, struct pnvme_ns *ns, enum pnvme_ns_change change)
{
	(void)arg;
	g_ns_events.last_nsid = pnvme_ns_get_id(ns);
	if (change == PNVME_NS_ADDED) {
		g_ns_events.added++;
	} else if (change == PNVME_NS_CHANGED) {
		g_ns_events.changed++;
	} else {
		g_ns_events.removed++;
	}
}

static void
aer_cb(void *arg, const struct pnvme_async_event *ev)
{
	const struct pnvme_changed_ns_list *list = ev->log;
	uint32_t i;

	(void)arg;
	if (ev->type != PNVME_ASYNC_EVENT_TYPE_NOTICE ||
	    ev->info != PNVME_AER_NOTICE_NS_ATTRIBUTE_CHANGED) {
		return;
	}
	g_aer.ns_attr_events++;
	for (i = 0; list != NULL && i < 1024 && list->nsid[i] != 0; i++) {
		g_aer.lists_nsid |= list->nsid[i] == g_aer.want_nsid;
	}
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

struct wait {
	bool done;
	struct pnvme_cpl cpl;
};

static void
done_cb(void *arg, const struct pnvme_cpl *cpl)
{
	struct wait *w = arg;

	w->cpl = *cpl;
	w->done = true;
}

/* Poll the admin queue (and @p qpair) until @p w is done or @p cond holds
 * (NULL: just @p w), for at most @p seconds. */
static bool
poll_until(struct wait *w, const int *counter, int target, struct pnvme_qpair *qpair,
	   double seconds)
{
	double deadline = now_s() + seconds;

	while (now_s() < deadline) {
		if (pnvme_ctrlr_process_admin_completions(g_ctrlr) < 0) {
			return false;
		}
		if (qpair != NULL) {
			pnvme_qpair_process_completions(qpair, 0);
		}
		if ((w == NULL || w->done) && (counter == NULL || *counter >= target)) {
			return true;
		}
	}
	return false;
}

/* Write a pattern to blocks 0-7 of @p ns and read it back: true when the
 * data came back. */
static bool
verified_io(struct pnvme_ns *ns, struct pnvme_qpair *qpair, uint8_t seed)
{
	uint32_t bs = pnvme_ns_get_sector_size(ns), len = 8 * bs, i;
	uint8_t *wbuf = pnvme_dma_zmalloc(len, 4096, NULL), *rbuf = pnvme_dma_zmalloc(len, 4096, NULL);
	struct wait w = {0};
	bool ok = false;

	if (wbuf == NULL || rbuf == NULL) {
		goto out;
	}
	for (i = 0; i < len; i++) {
		wbuf[i] = (uint8_t)(i * 31 + seed);
	}
	if (pnvme_ns_cmd_write(ns, qpair, wbuf, 0, 8, done_cb, &w, 0) != 0 ||
	    !poll_until(&w, NULL, 0, qpair, 10) || pnvme_cpl_is_error(&w.cpl)) {
		goto out;
	}
	memset(&w, 0, sizeof(w));
	if (pnvme_ns_cmd_read(ns, qpair, rbuf, 0, 8, done_cb, &w, 0) != 0 ||
	    !poll_until(&w, NULL, 0, qpair, 10) || pnvme_cpl_is_error(&w.cpl)) {
		goto out;
	}
	ok = memcmp(wbuf, rbuf, len) == 0;
out:
	pnvme_dma_free(wbuf);
	pnvme_dma_free(rbuf);
	return ok;
}

/* The index of the LBA format with @p bytes of data and no metadata, or -1. */
static int
find_lbaf(const struct pnvme_ns *ns, uint32_t bytes)
{
	const struct pnvme_ns_data *d = pnvme_ns_get_data(ns);
	int i;

	for (i = 0; i <= d->nlbaf; i++) {
		if (d->lbaf[i].ms == 0 && (1u << d->lbaf[i].lbads) == bytes) {
			return i;
		}
	}
	return -1;
}

static void
format_to(struct pnvme_ns *ns1, struct pnvme_qpair *qpair, uint32_t bytes)
{
	struct pnvme_format fmt = {0};
	struct wait w = {0};
	int lbaf = find_lbaf(ns1, bytes), changed = g_ns_events.changed, rc;

	CHECK(lbaf >= 0, "namespace 1 offers a %u-byte LBA format (%d)", bytes, lbaf);
	if (lbaf < 0) {
		return;
	}
	fmt.lbaf = (uint8_t)lbaf;
	rc = pnvme_ctrlr_cmd_format(g_ctrlr, 1, &fmt, done_cb, &w);
	CHECK(rc == 0 && poll_until(&w, NULL, 0, NULL, 60) && !pnvme_cpl_is_error(&w.cpl),
	      "format namespace 1 to LBA format %d (%u bytes): %s", lbaf, bytes,
	      rc != 0 ? strerror(-rc) : pnvme_status_string(&w.cpl.status));
	/* The completion came after the library identified it again. */
	CHECK(pnvme_ns_get_sector_size(ns1) == bytes && pnvme_ctrlr_get_ns(g_ctrlr, 1) == ns1,
	      "the same namespace object reports %u-byte blocks when the callback runs (%u)",
	      bytes, pnvme_ns_get_sector_size(ns1));
	CHECK(g_ns_events.changed == changed + 1 && g_ns_events.last_nsid == 1,
	      "the namespace-change callback said CHANGED for namespace 1");
	CHECK(verified_io(ns1, qpair, (uint8_t)bytes), "verified I/O in %u-byte blocks", bytes);
}

static void
touch(const char *dir, const char *name)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (f != NULL) {
		fclose(f);
	}
}

/* The target adds, then removes, namespace @p nsid while we are connected. */
static int
watch(uint32_t nsid, const char *job)
{
	struct pnvme_qpair *qpair = pnvme_ctrlr_alloc_io_qpair(g_ctrlr, NULL, 0);
	struct pnvme_ns *ns;
	struct wait w = {0};
	void *buf;
	int rc;

	CHECK(qpair != NULL && pnvme_ctrlr_get_ns(g_ctrlr, nsid) == NULL,
	      "connected; namespace %u absent at start", nsid);
	if (qpair == NULL) {
		return 1;
	}
	touch(job, "ns.ready");
	CHECK(poll_until(NULL, &g_ns_events.added, 1, qpair, 60) &&
		      g_ns_events.last_nsid == nsid,
	      "namespace %u added by the target while connected: the namespace-change callback "
	      "said ADDED",
	      nsid);
	CHECK(poll_until(NULL, &g_aer.ns_attr_events, 1, qpair, 10) && g_aer.lists_nsid,
	      "the target's Namespace Attribute Changed event came, its changed list naming it");
	ns = pnvme_ctrlr_get_ns(g_ctrlr, nsid);
	CHECK(ns != NULL && verified_io(ns, qpair, 3), "verified I/O on the new namespace");
	touch(job, "ns.added");
	CHECK(poll_until(NULL, &g_ns_events.removed, 1, qpair, 60),
	      "namespace %u removed by the target: the namespace-change callback said REMOVED",
	      nsid);
	buf = pnvme_dma_zmalloc(4096, 4096, NULL);
	rc = ns != NULL ? pnvme_ns_cmd_read(ns, qpair, buf, 0, 1, done_cb, &w, 0) : 0;
	CHECK(rc == -ENXIO, "a read of the removed namespace gets -ENXIO (%d)", rc);
	pnvme_dma_free(buf);
	pnvme_ctrlr_free_io_qpair(qpair);
	CHECK(pnvme_detach(g_ctrlr) == 0, "detach");
	return g_failures ? 1 : 0;
}

int
main(int argc, char **argv)
{
	struct pnvme_transport_id trid;
	struct pnvme_qpair *qpair;
	struct pnvme_ns *ns, *ns1;
	struct wait w = {0};
	uint32_t nsid;
	void *buf;
	bool watching = argc == 6 && strcmp(argv[3], "--watch") == 0;
	int rc;

	if ((argc != 4 && !watching) || strcmp(argv[1], "-r") != 0 ||
	    pnvme_transport_id_parse(&trid, argv[2]) ||
	    sscanf(argv[watching ? 4 : 3], "%u", &nsid) != 1) {
		fprintf(stderr, "usage: %s -r TRID NSID | -r TRID --watch NSID JOBDIR\n", argv[0]);
		return 2;
	}
	if (pnvme_probe(&trid, NULL, NULL, attach_cb, NULL) != 0 || g_ctrlr == NULL) {
		printf("not ok - attach %s\n", argv[2]);
		return 1;
	}
	pnvme_ctrlr_register_ns_change_callback(g_ctrlr, ns_change_cb, NULL);
	pnvme_ctrlr_register_aer_callback(g_ctrlr, aer_cb, NULL);
	g_aer.want_nsid = nsid;
	if (watching) {
		return watch(nsid, argv[5]);
	}
	qpair = pnvme_ctrlr_alloc_io_qpair(g_ctrlr, NULL, 0);
	ns1 = pnvme_ctrlr_get_ns(g_ctrlr, 1);
	CHECK(qpair != NULL && ns1 != NULL && pnvme_ctrlr_get_ns(g_ctrlr, nsid) == NULL,
	      "namespace 1 active, namespace %u not attached at start", nsid);
	if (qpair == NULL || ns1 == NULL) {
		return 1;
	}

	/* Attach: usable when the callback runs, told twice over (our own
	 * rescan, and the controller's event naming it). */
	rc = pnvme_ctrlr_cmd_ns_attach(g_ctrlr, PNVME_NS_ATTACH_CTRLRS, nsid, NULL, done_cb, &w);
	CHECK(rc == 0 && poll_until(&w, NULL, 0, NULL, 20) && !pnvme_cpl_is_error(&w.cpl),
	      "attach namespace %u to this controller: %s", nsid,
	      rc != 0 ? strerror(-rc) : pnvme_status_string(&w.cpl.status));
	ns = pnvme_ctrlr_get_ns(g_ctrlr, nsid);
	CHECK(ns != NULL && pnvme_ns_is_active(ns), "namespace %u is active without a restart",
	      nsid);
	CHECK(g_ns_events.added == 1 && g_ns_events.last_nsid == nsid,
	      "the namespace-change callback said ADDED for it (%d)", g_ns_events.added);
	CHECK(poll_until(NULL, &g_aer.ns_attr_events, 1, NULL, 20) && g_aer.lists_nsid,
	      "the controller's Namespace Attribute Changed event came, its changed list "
	      "naming namespace %u",
	      nsid);
	if (ns == NULL) {
		return 1;
	}
	CHECK(verified_io(ns, qpair, 7), "verified I/O on the attached namespace");

	/* Detach: its commands fail cleanly; namespace 1 goes on. */
	memset(&w, 0, sizeof(w));
	rc = pnvme_ctrlr_cmd_ns_attach(g_ctrlr, PNVME_NS_DETACH_CTRLRS, nsid, NULL, done_cb, &w);
	CHECK(rc == 0 && poll_until(&w, NULL, 0, NULL, 20) && !pnvme_cpl_is_error(&w.cpl),
	      "detach namespace %u: %s", nsid,
	      rc != 0 ? strerror(-rc) : pnvme_status_string(&w.cpl.status));
	CHECK(g_ns_events.removed == 1 && !pnvme_ns_is_active(ns) &&
		      pnvme_ctrlr_get_ns(g_ctrlr, nsid) == NULL,
	      "the namespace-change callback said REMOVED; the namespace is inactive");
	buf = pnvme_dma_zmalloc(4096, 4096, NULL);
	memset(&w, 0, sizeof(w));
	rc = pnvme_ns_cmd_read(ns, qpair, buf, 0, 1, done_cb, &w, 0);
	CHECK(rc == -ENXIO && !w.done, "a read of the detached namespace gets -ENXIO (%d)", rc);
	pnvme_dma_free(buf);
	CHECK(verified_io(ns1, qpair, 9), "namespace 1 still takes verified I/O");

	/* Format: the new block size, seen without a restart. */
	format_to(ns1, qpair, 4096);
	format_to(ns1, qpair, 512);

	pnvme_ctrlr_free_io_qpair(qpair);
	CHECK(pnvme_detach(g_ctrlr) == 0, "detach");
	return g_failures ? 1 : 0;
}
