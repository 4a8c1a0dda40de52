/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Hot insert seen through pnvme_hotplug_poll() (see hotplug_run.sh):
 *
 *   pnvme_hotplug_test JOBDIR SECONDS
 *
 * Calls pnvme_hotplug_poll() every 10 ms; after the first call (the full
 * probe) writes JOBDIR/hotplug.ready, so the host may add a controller and
 * the guest bind it to a userspace driver. Once attach_cb reports it,
 * writes a pattern to its first namespace, reads it back and compares.
 * Gives up after SECONDS. Prints "ok - ..." / "not ok - ..."; exit 0 when
 * all passed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "pnvme/env.h"
#include "pnvme/nvme.h"

#define IO_BLOCKS 16

static struct pnvme_ctrlr *g_ctrlr;
static int g_failures;
static int g_attached;
static int g_removed;

static bool
probe_cb(void *ctx, const struct pnvme_transport_id *trid, struct pnvme_ctrlr_opts *opts)
{
	(void)ctx;
	(void)opts;
	printf("# offered %s\n", trid->traddr);
	return true;
}

static void
attach_cb(void *ctx, const struct pnvme_transport_id *trid, struct pnvme_ctrlr *ctrlr,
	  const struct pnvme_ctrlr_opts *opts)
{
	(void)ctx;
	(void)opts;
	printf("# attached %s\n", trid->traddr);
	g_attached++;
	if (g_ctrlr == NULL) {
		g_ctrlr = ctrlr;
	}
}

static void
remove_cb(void *ctx, struct pnvme_ctrlr *ctrlr)
{
	(void)ctx;
	printf("# removed %s\n", pnvme_ctrlr_get_transport_id(ctrlr)->traddr);
	g_removed++;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

struct io_wait {
	bool done;
	bool error;
};

static void
io_done(void *arg, const struct pnvme_cpl *cpl)
{
	struct io_wait *w = arg;

	w->done = true;
	w->error = pnvme_cpl_is_error(cpl);
}

/* One command, polled to its end (bounded): 0 on success. */
static int
io_wait(struct pnvme_qpair *qpair, struct io_wait *w)
{
	double deadline = now_s() + 30;

	while (!w->done && now_s() < deadline) {
		if (pnvme_qpair_process_completions(qpair, 0) < 0) {
			return -ENXIO;
		}
	}
	return w->done && !w->error ? 0 : -EIO;
}

static void
verified_io(struct pnvme_ctrlr *ctrlr)
{
	struct pnvme_ns *ns = pnvme_ctrlr_get_ns(ctrlr, pnvme_ctrlr_get_first_active_ns(ctrlr));
	struct pnvme_qpair *qpair;
	struct io_wait w = {0};
	uint32_t bs, i, len;
	uint8_t *wbuf, *rbuf;
	int rc;

	CHECK(ns != NULL, "the new controller has an active namespace");
	if (ns == NULL) {
		return;
	}
	bs = pnvme_ns_get_sector_size(ns);
	len = bs * IO_BLOCKS;
	qpair = pnvme_ctrlr_alloc_io_qpair(ctrlr, NULL, 0);
	wbuf = pnvme_dma_zmalloc(len, 4096, NULL);
	rbuf = pnvme_dma_zmalloc(len, 4096, NULL);
	CHECK(qpair != NULL && wbuf != NULL && rbuf != NULL, "an I/O qpair and buffers");
	if (qpair == NULL || wbuf == NULL || rbuf == NULL) {
		goto out;
	}
	srand((unsigned int)time(NULL));
	for (i = 0; i < len; i++) {
		wbuf[i] = (uint8_t)rand();
	}
	rc = pnvme_ns_cmd_write(ns, qpair, wbuf, 8, IO_BLOCKS, io_done, &w, 0);
	rc = rc != 0 ? rc : io_wait(qpair, &w);
	CHECK(rc == 0, "write %u blocks to the new controller (%d)", IO_BLOCKS, rc);
	memset(&w, 0, sizeof(w));
	rc = pnvme_ns_cmd_read(ns, qpair, rbuf, 8, IO_BLOCKS, io_done, &w, 0);
	rc = rc != 0 ? rc : io_wait(qpair, &w);
	CHECK(rc == 0 && memcmp(wbuf, rbuf, len) == 0,
	      "read them back: the data written (%d)", rc);
out:
	if (qpair != NULL) {
		pnvme_ctrlr_free_io_qpair(qpair);
	}
	pnvme_dma_free(wbuf);
	pnvme_dma_free(rbuf);
}

int
main(int argc, char **argv)
{
	struct pnvme_env_opts opts;
	char path[4096];
	double deadline, t0;
	FILE *f;
	int rc;

	if (argc != 3 || atoi(argv[2]) <= 0) {
		fprintf(stderr, "usage: %s JOBDIR SECONDS\n", argv[0]);
		return 2;
	}
	pnvme_env_opts_init(&opts, sizeof(opts));
	opts.name = "pnvme_hotplug_test";
	if (pnvme_env_init(&opts) != 0) {
		printf("not ok - environment\n");
		return 1;
	}
	CHECK(pnvme_hotplug_poll(NULL, probe_cb, NULL, remove_cb) == -EINVAL,
	      "pnvme_hotplug_poll refuses a NULL attach_cb");
	rc = pnvme_hotplug_poll(NULL, probe_cb, attach_cb, remove_cb);
	CHECK(rc == 0, "the first pnvme_hotplug_poll probes the bus (%d)", rc);
	CHECK(g_attached == 0, "nothing to attach before the new controller (%d)", g_attached);
	snprintf(path, sizeof(path), "%s/hotplug.ready", argv[1]);
	f = fopen(path, "w");
	if (f != NULL) {
		fclose(f);
	}
	t0 = now_s();
	deadline = t0 + atoi(argv[2]);
	while (g_ctrlr == NULL && now_s() < deadline) {
		pnvme_hotplug_poll(NULL, probe_cb, attach_cb, remove_cb);
		usleep(10000);
	}
	CHECK(g_ctrlr != NULL && g_attached == 1,
	      "pnvme_hotplug_poll attached the controller bound after it started (%.1f s)",
	      now_s() - t0);
	if (g_ctrlr != NULL) {
		verified_io(g_ctrlr);
		CHECK(g_removed == 0, "no removal reported meanwhile");
		pnvme_detach(g_ctrlr);
	}
	pnvme_env_fini();
	return g_failures == 0 ? 0 : 1;
}
