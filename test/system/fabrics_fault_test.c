/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NVMe over Fabrics (TCP, RDMA) against a real target, for what unit tests
 * cannot show:
 *
 *   pnvme_fabrics_fault_test -r TRID idle SECONDS
 *       I/O, then SECONDS with only admin polling (keep-alive must hold the
 *       association), then I/O again.
 *   pnvme_fabrics_fault_test -r TRID cut JOBDIR [reconnect]
 *       Verified I/O at depth 16; JOBDIR/io.started tells the host to take
 *       the target away. Every request must complete exactly once, with an
 *       error for those in flight, and polling must report the failure
 *       instead of hanging. With "reconnect": wait for JOBDIR/target.back,
 *       then reset the failed controller in place (pnvme_ctrlr_reset,
 *       again while the port is not back yet), reconnect the same qpair
 *       and verify I/O through the same handles.
 *
 * Prints "ok - ..." / "not ok - ..." lines; exit 0 when all are ok.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "pnvme/nvme.h"

#define DEPTH 16
#define IO_BLOCKS 8

static int g_failures;

struct slot {
	uint8_t *buf;
	int completions; /* must end at the number of submissions */
	int submissions;
	int errors;
};

static struct slot g_slots[DEPTH];

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
slot_done(void *arg, const struct pnvme_cpl *cpl)
{
	struct slot *s = arg;

	s->completions++;
	if (pnvme_cpl_is_error(cpl)) {
		s->errors++;
	}
}

static struct pnvme_ctrlr *
connect_ctrlr(const struct pnvme_transport_id *trid)
{
	return pnvme_connect(trid, NULL, 0);
}

/* Write a pattern to @p lba and read it back through @p qpair. */
static bool
verified_io(struct pnvme_ns *ns, struct pnvme_qpair *qpair, uint64_t lba, uint8_t seed)
{
	uint32_t len = IO_BLOCKS * pnvme_ns_get_sector_size(ns), i;
	uint8_t *w = pnvme_dma_zmalloc(len, 4096, NULL), *r = pnvme_dma_zmalloc(len, 4096, NULL);
	struct slot s = {0};
	double deadline = now_s() + 30;
	bool ok = false;

	for (i = 0; i < len; i++) {
		w[i] = (uint8_t)(seed + i * 31);
	}
	if (pnvme_ns_cmd_write(ns, qpair, w, lba, IO_BLOCKS, slot_done, &s, 0) != 0) {
		goto out;
	}
	while (s.completions < 1 && now_s() < deadline) {
		if (pnvme_qpair_process_completions(qpair, 0) < 0) {
			goto out;
		}
	}
	if (s.completions != 1 || s.errors ||
	    pnvme_ns_cmd_read(ns, qpair, r, lba, IO_BLOCKS, slot_done, &s, 0) != 0) {
		goto out;
	}
	while (s.completions < 2 && now_s() < deadline) {
		if (pnvme_qpair_process_completions(qpair, 0) < 0) {
			goto out;
		}
	}
	ok = s.completions == 2 && !s.errors && memcmp(w, r, len) == 0;
out:
	pnvme_dma_free(w);
	pnvme_dma_free(r);
	return ok;
}

static int
run_idle(const struct pnvme_transport_id *trid, int seconds)
{
	struct pnvme_ctrlr *ctrlr = connect_ctrlr(trid);
	struct pnvme_qpair *qpair;
	struct pnvme_ns *ns;
	double end;
	int32_t rc = 0;

	CHECK(ctrlr != NULL, "connect");
	if (ctrlr == NULL) {
		return 1;
	}
	ns = pnvme_ctrlr_get_ns(ctrlr, pnvme_ctrlr_get_first_active_ns(ctrlr));
	qpair = pnvme_ctrlr_alloc_io_qpair(ctrlr, NULL, 0);
	CHECK(ns != NULL && qpair != NULL && verified_io(ns, qpair, 100, 1), "I/O before idling");
	if (ns == NULL || qpair == NULL) {
		return 1;
	}
	end = now_s() + seconds;
	while (now_s() < end && rc >= 0) {
		rc = pnvme_ctrlr_process_admin_completions(ctrlr);
		usleep(100000);
	}
	CHECK(rc >= 0 && !pnvme_ctrlr_is_failed(ctrlr),
	      "association held over %d idle seconds with only admin polling (keep-alive)",
	      seconds);
	CHECK(verified_io(ns, qpair, 200, 2), "I/O after idling");
	pnvme_ctrlr_free_io_qpair(qpair);
	CHECK(pnvme_detach(ctrlr) == 0, "detach");
	return g_failures ? 1 : 0;
}

static void
submit_slot(struct pnvme_ns *ns, struct pnvme_qpair *qpair, int i, uint64_t *next_lba)
{
	struct slot *s = &g_slots[i];
	int rc;

	/* Alternate writes and reads over the slot's own range. */
	if (s->submissions % 2 == 0) {
		memset(s->buf, i + s->submissions, IO_BLOCKS * pnvme_ns_get_sector_size(ns));
		rc = pnvme_ns_cmd_write(ns, qpair, s->buf, *next_lba, IO_BLOCKS, slot_done, s, 0);
	} else {
		rc = pnvme_ns_cmd_read(ns, qpair, s->buf, *next_lba, IO_BLOCKS, slot_done, s, 0);
	}
	if (rc == 0) {
		s->submissions++;
	}
	*next_lba = (*next_lba + IO_BLOCKS) % 100000;
}

static int
run_cut(const struct pnvme_transport_id *trid, const char *job, bool reconnect)
{
	struct pnvme_ctrlr *ctrlr = connect_ctrlr(trid);
	struct pnvme_qpair *qpair;
	struct pnvme_ns *ns;
	uint64_t lba = 0, total_done = 0;
	char path[4096];
	bool signalled = false, once = true;
	double deadline;
	int32_t rc = 0;
	int i, errors = 0, outstanding, pending = 0, ended_before = 0, answered;
	FILE *f;

	CHECK(ctrlr != NULL, "connect");
	if (ctrlr == NULL) {
		return 1;
	}
	ns = pnvme_ctrlr_get_ns(ctrlr, pnvme_ctrlr_get_first_active_ns(ctrlr));
	qpair = pnvme_ctrlr_alloc_io_qpair(ctrlr, NULL, 0);
	if (ns == NULL || qpair == NULL) {
		CHECK(false, "namespace and qpair");
		return 1;
	}
	for (i = 0; i < DEPTH; i++) {
		g_slots[i].buf = pnvme_dma_zmalloc(IO_BLOCKS * pnvme_ns_get_sector_size(ns), 4096,
						   NULL);
		submit_slot(ns, qpair, i, &lba);
	}
	deadline = now_s() + 90;
	while (now_s() < deadline) {
		/* What was in flight, and how it had ended, before this poll. */
		pending = 0;
		ended_before = 0;
		for (i = 0; i < DEPTH; i++) {
			pending += g_slots[i].submissions - g_slots[i].completions;
			ended_before += g_slots[i].completions - g_slots[i].errors;
		}
		rc = pnvme_qpair_process_completions(qpair, 0);
		pnvme_ctrlr_process_admin_completions(ctrlr);
		if (rc < 0) {
			break;
		}
		total_done += (uint64_t)rc;
		if (!signalled && total_done >= 2000) {
			snprintf(path, sizeof(path), "%s/io.started", job);
			f = fopen(path, "w");
			if (f != NULL) {
				fclose(f);
			}
			signalled = true;
		}
		for (i = 0; i < DEPTH; i++) {
			if (g_slots[i].completions == g_slots[i].submissions) {
				submit_slot(ns, qpair, i, &lba);
			}
		}
	}
	CHECK(signalled, "I/O ran before the target went away (%llu completions)",
	      (unsigned long long)total_done);
	CHECK(rc == -ENXIO, "polling reports the lost connection (%d) instead of hanging", rc);
	outstanding = 0;
	answered = -ended_before;
	for (i = 0; i < DEPTH; i++) {
		errors += g_slots[i].errors;
		outstanding += g_slots[i].submissions - g_slots[i].completions;
		once = once && g_slots[i].completions == g_slots[i].submissions;
		answered += g_slots[i].completions - g_slots[i].errors;
	}
	CHECK(once, "every request completed exactly once (%d not completed)", outstanding);
	/* A target that drains its queue before closing answers everything in
	 * flight (seen when its port goes away); otherwise what it never
	 * answered completes with an error status. */
	CHECK(errors > 0 || answered == pending,
	      "requests in flight when the connection dropped completed with an error status "
	      "(%d errors; %d of %d answered before the close)",
	      errors, answered, pending);
	if (!reconnect) {
		double t0 = now_s();
		int drc;

		CHECK(pnvme_ctrlr_free_io_qpair(qpair) == 0, "free the failed qpair");
		drc = pnvme_detach(ctrlr);
		/* Nothing to shut down over a dead connection: it must not wait long. */
		CHECK(now_s() - t0 < 15, "detaching the failed controller returns (rc %d, %.1f s)",
		      drc, now_s() - t0);
	} else {
		int resets = 0, rrc = -ENXIO, qrc;

		snprintf(path, sizeof(path), "%s/io.failed", job);
		f = fopen(path, "w");
		if (f != NULL) {
			fclose(f);
		}
		snprintf(path, sizeof(path), "%s/target.back", job);
		deadline = now_s() + 120;
		while (access(path, F_OK) != 0 && now_s() < deadline) {
			usleep(200000);
		}
		CHECK(pnvme_ctrlr_is_failed(ctrlr), "the controller failed with its connection");
		while (rrc != 0 && now_s() < deadline) {
			resets++;
			rrc = pnvme_ctrlr_reset(ctrlr);
			if (rrc != 0) {
				usleep(500000);
			}
		}
		CHECK(rrc == 0 && !pnvme_ctrlr_is_failed(ctrlr),
		      "reset in place once the target's port is back (%d attempts)", resets);
		qrc = pnvme_ctrlr_reconnect_io_qpair(qpair);
		CHECK(qrc == 0, "the same qpair reconnects (%d)", qrc);
		CHECK(pnvme_ctrlr_get_ns(ctrlr, pnvme_ns_get_id(ns)) == ns &&
			      verified_io(ns, qpair, 300, 3),
		      "verified I/O through the same namespace and qpair handles");
		CHECK(pnvme_ctrlr_free_io_qpair(qpair) == 0, "free the qpair");
		CHECK(pnvme_detach(ctrlr) == 0, "detach");
	}
	for (i = 0; i < DEPTH; i++) {
		pnvme_dma_free(g_slots[i].buf);
	}
	return g_failures ? 1 : 0;
}

int
main(int argc, char **argv)
{
	struct pnvme_transport_id trid;

	if (argc < 5 || strcmp(argv[1], "-r") != 0 || pnvme_transport_id_parse(&trid, argv[2])) {
		fprintf(stderr, "usage: %s -r TRID idle SECONDS | cut JOBDIR [reconnect]\n",
			argv[0]);
		return 2;
	}
	if (pnvme_env_init(NULL) != 0) {
		printf("not ok - environment\n");
		return 1;
	}
	if (strcmp(argv[3], "idle") == 0) {
		return run_idle(&trid, atoi(argv[4]));
	}
	if (strcmp(argv[3], "cut") == 0) {
		return run_cut(&trid, argv[4], argc > 5 && strcmp(argv[5], "reconnect") == 0);
	}
	fprintf(stderr, "unknown mode '%s'\n", argv[3]);
	return 2;
}
