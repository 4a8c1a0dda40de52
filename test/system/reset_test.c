/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Controller reset against a real controller (QEMU's over PCIe in the rig,
 * the kernel's NVMe/TCP target): resets while 4 threads run verified I/O,
 * a command stalled by injection recovered by the timeout action, and 100
 * resets in a row with I/O between them and nothing leaked.
 * Prints "ok - NAME" / "not ok - NAME" per check; exits 1 on any failure.
 *
 *   pnvme_reset_test -r TRID [--resets N]
 */
#include <dirent.h>
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "pnvme/nvme.h"

#define THREADS 4
#define SLOTS 8
#define SLOT_BLOCKS 8

static struct pnvme_ctrlr *g_ctrlr;
static struct pnvme_ns *g_ns;
static uint32_t g_block;
static int g_failures;

static double
now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void
fill(uint8_t *buf, size_t len, uint64_t seed)
{
	uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;
	size_t i;

	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		buf[i] = (uint8_t)x;
	}
}

/* Poll @p qpair once; after a reset (or a lost connection) try to connect
 * it again (the reset may still run: the caller polls again). -ENXIO when
 * it cannot come back. */
static int
poll_or_reconnect(struct pnvme_qpair *qpair)
{
	int rc = pnvme_qpair_process_completions(qpair, 0);

	if (rc >= 0) {
		return rc;
	}
	rc = pnvme_ctrlr_reconnect_io_qpair(qpair);
	if (rc == -EAGAIN) {
		usleep(1000);
	}
	return rc == 0 || rc == -EAGAIN ? 0 : -ENXIO;
}

/* ------------------------------------------------------------------ */
/* Resets while threads run verified I/O                               */
/* ------------------------------------------------------------------ */

enum slot_step { SLOT_WRITE, SLOT_READ };

/* One block range of a thread: written with a pattern until a write
 * succeeds, then read until a read succeeds and compared with it. A command
 * a reset aborted is sent again, so what the device holds is known. */
struct slot {
	struct io_thread *t;
	enum slot_step step;
	bool busy;
	uint64_t lba;
	uint64_t gen;
	uint8_t *wbuf;
	uint8_t *rbuf;
};

struct io_thread {
	int index;
	pthread_t tid;
	struct pnvme_qpair *qpair;
	struct slot slots[SLOTS];
	uint64_t submitted, completed, aborted, other_errors, mismatches, verified;
	uint64_t verified_after_resets;
	int failures;
};

static volatile bool g_stop;
static volatile bool g_resets_done;

static void slot_submit(struct slot *s);

static void
slot_done(void *arg, const struct pnvme_cpl *cpl)
{
	struct slot *s = arg;
	struct io_thread *t = s->t;
	size_t len = (size_t)SLOT_BLOCKS * g_block;

	t->completed++;
	s->busy = false;
	if (pnvme_cpl_is_error(cpl)) {
		if (cpl->status.sct == PNVME_SCT_GENERIC &&
		    cpl->status.sc == PNVME_SC_ABORTED_SQ_DELETION) {
			t->aborted++;
		} else {
			t->other_errors++;
			printf("# thread %d: %s failed: %s (sct %u sc 0x%02x)\n", t->index,
			       s->step == SLOT_WRITE ? "write" : "read",
			       pnvme_status_string(&cpl->status), cpl->status.sct, cpl->status.sc);
		}
		return; /* the same step again */
	}
	if (s->step == SLOT_WRITE) {
		s->step = SLOT_READ;
		return;
	}
	if (memcmp(s->wbuf, s->rbuf, len) != 0) {
		t->mismatches++;
	}
	t->verified++;
	if (g_resets_done) {
		t->verified_after_resets++;
	}
	s->gen++;
	fill(s->wbuf, len, ((uint64_t)t->index << 40) | (s->lba << 8) | (s->gen & 0xff));
	s->step = SLOT_WRITE;
}

static void
slot_submit(struct slot *s)
{
	struct io_thread *t = s->t;
	int rc;

	if (s->step == SLOT_WRITE) {
		rc = pnvme_ns_cmd_write(g_ns, t->qpair, s->wbuf, s->lba, SLOT_BLOCKS, slot_done, s, 0);
	} else {
		memset(s->rbuf, 0xee, (size_t)SLOT_BLOCKS * g_block);
		rc = pnvme_ns_cmd_read(g_ns, t->qpair, s->rbuf, s->lba, SLOT_BLOCKS, slot_done, s, 0);
	}
	if (rc == 0) {
		s->busy = true;
		t->submitted++;
	}
	/* -ENXIO while the qpair is disconnected: tried again after the poll. */
}

static void *
io_thread_main(void *arg)
{
	struct io_thread *t = arg;
	int i, rc = 0;
	bool busy;

	for (i = 0; i < SLOTS; i++) {
		struct slot *s = &t->slots[i];

		s->t = t;
		s->lba = 200000 + (uint64_t)t->index * 4096 + (uint64_t)i * SLOT_BLOCKS;
		s->wbuf = pnvme_dma_zmalloc((size_t)SLOT_BLOCKS * g_block, 4096, NULL);
		s->rbuf = pnvme_dma_zmalloc((size_t)SLOT_BLOCKS * g_block, 4096, NULL);
		if (s->wbuf == NULL || s->rbuf == NULL) {
			t->failures++;
			return NULL;
		}
		fill(s->wbuf, (size_t)SLOT_BLOCKS * g_block, ((uint64_t)t->index << 40) | s->lba);
	}
	while (!g_stop && rc >= 0) {
		for (i = 0; i < SLOTS; i++) {
			if (!t->slots[i].busy) {
				slot_submit(&t->slots[i]);
			}
		}
		rc = poll_or_reconnect(t->qpair);
	}
	/* Drain: every command submitted completes, once. */
	do {
		busy = false;
		for (i = 0; i < SLOTS; i++) {
			busy = busy || t->slots[i].busy;
		}
		if (busy && poll_or_reconnect(t->qpair) < 0) {
			break;
		}
	} while (busy);
	if (rc < 0) {
		printf("# thread %d: its qpair did not come back\n", t->index);
		t->failures++;
	}
	return NULL;
}

static void
test_reset_during_threaded_io(void)
{
	struct io_thread threads[THREADS];
	uint64_t submitted = 0, completed = 0, aborted = 0, errors = 0, mismatches = 0;
	uint64_t verified = 0, min_after = UINT64_MAX;
	double worst = 0, t0;
	int i, resets_ok = 0, failures = 0;

	memset(threads, 0, sizeof(threads));
	g_stop = false;
	g_resets_done = false;
	for (i = 0; i < THREADS; i++) {
		threads[i].index = i;
		threads[i].qpair = pnvme_ctrlr_alloc_io_qpair(g_ctrlr, NULL, 0);
		if (threads[i].qpair == NULL) {
			CHECK(false, "qpair for thread %d", i);
			return;
		}
		pthread_create(&threads[i].tid, NULL, io_thread_main, &threads[i]);
	}
	usleep(300000);
	for (i = 0; i < 3; i++) {
		t0 = now_s();
		resets_ok += pnvme_ctrlr_reset(g_ctrlr) == 0;
		worst = now_s() - t0 > worst ? now_s() - t0 : worst;
		usleep(300000);
	}
	g_resets_done = true;
	usleep(500000);
	g_stop = true;
	for (i = 0; i < THREADS; i++) {
		struct io_thread *t = &threads[i];

		pthread_join(t->tid, NULL);
		submitted += t->submitted;
		completed += t->completed;
		aborted += t->aborted;
		errors += t->other_errors;
		mismatches += t->mismatches;
		verified += t->verified;
		failures += t->failures;
		min_after = t->verified_after_resets < min_after ? t->verified_after_resets
								 : min_after;
	}
	CHECK(resets_ok == 3, "3 resets while 4 threads run I/O (%d succeeded, longest %.3f s)",
	      resets_ok, worst);
	CHECK(failures == 0 && submitted == completed,
	      "every request completed exactly once (%llu submitted, %llu completed; %llu "
	      "aborted by the resets)",
	      (unsigned long long)submitted, (unsigned long long)completed,
	      (unsigned long long)aborted);
	CHECK(errors == 0, "no completion failed with anything but the reset's abort (%llu)",
	      (unsigned long long)errors);
	CHECK(min_after >= 10, "every qpair keeps working after the resets (fewest verified "
	      "after them: %llu)",
	      (unsigned long long)min_after);
	CHECK(mismatches == 0 && verified > 0, "the data verifies (%llu ranges, %llu mismatches)",
	      (unsigned long long)verified, (unsigned long long)mismatches);
	for (i = 0; i < THREADS; i++) {
		int s;

		pnvme_ctrlr_free_io_qpair(threads[i].qpair);
		for (s = 0; s < SLOTS; s++) {
			pnvme_dma_free(threads[i].slots[s].wbuf);
			pnvme_dma_free(threads[i].slots[s].rbuf);
		}
	}
}

/* ------------------------------------------------------------------ */
/* A stalled command, its timeout and the reset that recovers          */
/* ------------------------------------------------------------------ */

struct waiter {
	int done;
	struct pnvme_cpl cpl;
};

static void
waiter_done(void *arg, const struct pnvme_cpl *cpl)
{
	struct waiter *w = arg;

	w->done++;
	w->cpl = *cpl;
}

/* Run one command to completion (the admin poll drives any reset). */
static bool
wait_cmd(struct pnvme_qpair *qpair, struct waiter *w, double limit_s)
{
	double deadline = now_s() + limit_s;

	while (w->done == 0 && now_s() < deadline) {
		poll_or_reconnect(qpair);
		pnvme_ctrlr_process_admin_completions(g_ctrlr);
	}
	return w->done == 1;
}

/* Let a reset in progress finish, then bring @p qpair back (a PCIe qpair
 * would come back by itself; a fabrics one needs the call). */
static bool
reset_finished(struct pnvme_qpair *qpair)
{
	int rc;

	while ((rc = pnvme_ctrlr_reconnect_poll_async(g_ctrlr)) == -EAGAIN) {
	}
	return rc == 0 && pnvme_ctrlr_reconnect_io_qpair(qpair) == 0;
}

static bool
verified_io(struct pnvme_qpair *qpair, uint64_t lba, uint64_t seed)
{
	uint8_t *wbuf = pnvme_dma_zmalloc(4096, 4096, NULL);
	uint8_t *rbuf = pnvme_dma_zmalloc(4096, 4096, NULL);
	uint32_t blocks = 4096 / g_block;
	struct waiter w = {0};
	bool ok;

	fill(wbuf, 4096, seed);
	ok = wbuf != NULL && rbuf != NULL &&
	     pnvme_ns_cmd_write(g_ns, qpair, wbuf, lba, blocks, waiter_done, &w, 0) == 0 &&
	     wait_cmd(qpair, &w, 10) && !pnvme_cpl_is_error(&w.cpl);
	w.done = 0;
	ok = ok && pnvme_ns_cmd_read(g_ns, qpair, rbuf, lba, blocks, waiter_done, &w, 0) == 0 &&
	     wait_cmd(qpair, &w, 10) && !pnvme_cpl_is_error(&w.cpl) &&
	     memcmp(wbuf, rbuf, 4096) == 0;
	pnvme_dma_free(wbuf);
	pnvme_dma_free(rbuf);
	return ok;
}

static void
test_stall_timeout_reset(void)
{
	struct pnvme_qpair *qpair = pnvme_ctrlr_alloc_io_qpair(g_ctrlr, NULL, 0);
	uint8_t *rbuf = pnvme_dma_zmalloc(4096, 4096, NULL);
	struct waiter w = {0};
	double t0, took;
	int rc;

	if (qpair == NULL || rbuf == NULL) {
		CHECK(false, "qpair for the stall test");
		return;
	}
	rc = pnvme_ctrlr_register_timeout_callback(g_ctrlr, 200000, 0, NULL, NULL);
	if (rc == 0) {
		rc = pnvme_ctrlr_set_timeout_action(g_ctrlr, PNVME_TIMEOUT_ACTION_RESET);
	}
	/* The read never reaches the device: it would complete after 60 s. */
	if (rc == 0) {
		rc = pnvme_qpair_add_cmd_error_injection(g_ctrlr, qpair, PNVME_OPC_READ, true,
							 60000000, 1, PNVME_SCT_GENERIC,
							 PNVME_SC_INTERNAL_DEVICE_ERROR);
	}
	t0 = now_s();
	if (rc == 0) {
		rc = pnvme_ns_cmd_read(g_ns, qpair, rbuf, 230000, 4096 / g_block, waiter_done, &w, 0);
	}
	CHECK(rc == 0 && wait_cmd(qpair, &w, 20), "a read stalled for 60 s completes once "
	      "(rc %d, %d completions)",
	      rc, w.done);
	took = now_s() - t0;
	CHECK(w.done == 1 && w.cpl.status.sct == PNVME_SCT_GENERIC &&
		      w.cpl.status.sc == PNVME_SC_ABORTED_SQ_DELETION && took >= 0.18 && took < 10,
	      "its 200 ms timeout reset the controller, which aborted it after %.3f s (sct %u "
	      "sc 0x%02x)",
	      took, w.cpl.status.sct, w.cpl.status.sc);
	pnvme_ctrlr_set_timeout_action(g_ctrlr, PNVME_TIMEOUT_ACTION_NONE);
	pnvme_ctrlr_register_timeout_callback(g_ctrlr, 0, 0, NULL, NULL);
	pnvme_qpair_remove_cmd_error_injection(g_ctrlr, qpair, PNVME_OPC_READ);
	CHECK(reset_finished(qpair) && verified_io(qpair, 230000, 991),
	      "the same qpair does verified I/O after the recovery");
	pnvme_ctrlr_free_io_qpair(qpair);
	pnvme_dma_free(rbuf);
}

/* ------------------------------------------------------------------ */
/* Many resets: nothing leaks                                          */
/* ------------------------------------------------------------------ */

static int
count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (d == NULL) {
		return -1;
	}
	while (readdir(d) != NULL) {
		n++;
	}
	closedir(d);
	return n;
}

/* Submit as many reads as the qpair has requests: all are accepted only if
 * none leaked. */
static bool
request_pool_whole(struct pnvme_qpair *qpair, uint32_t num_reqs, uint8_t *buf)
{
	struct waiter w = {0};
	uint32_t i, accepted = 0;
	double deadline = now_s() + 10;

	for (i = 0; i < num_reqs; i++) {
		accepted += pnvme_ns_cmd_read(g_ns, qpair, buf, 240000 + i % 64, 1, waiter_done, &w,
					      0) == 0;
	}
	while ((uint32_t)w.done < accepted && now_s() < deadline) {
		poll_or_reconnect(qpair);
	}
	printf("# %u of %u requests accepted, %d completed\n", accepted, num_reqs, w.done);
	return accepted == num_reqs && (uint32_t)w.done == accepted;
}

static void
test_many_resets(int resets)
{
	struct pnvme_io_qpair_opts opts;
	struct pnvme_qpair *qpair;
	uint8_t *buf = pnvme_dma_zmalloc(65536, 4096, NULL);
	size_t heap_before, heap_after;
	int fds_before, fds_after, i, ok = 0, io_ok = 0;
	double t0;

	pnvme_ctrlr_get_default_io_qpair_opts(g_ctrlr, &opts, sizeof(opts));
	qpair = pnvme_ctrlr_alloc_io_qpair(g_ctrlr, &opts, sizeof(opts));
	if (qpair == NULL || buf == NULL) {
		CHECK(false, "qpair for the reset loop");
		return;
	}
	/* One round first, so lazily made things exist before counting. */
	pnvme_ctrlr_reset(g_ctrlr);
	reset_finished(qpair);
	verified_io(qpair, 250000, 1);
	heap_before = mallinfo2().uordblks;
	fds_before = count_fds();
	t0 = now_s();
	for (i = 0; i < resets; i++) {
		ok += pnvme_ctrlr_reset(g_ctrlr) == 0 && reset_finished(qpair);
		io_ok += verified_io(qpair, 250000 + (uint64_t)(i % 16) * 8, 1000 + (uint64_t)i);
	}
	heap_after = mallinfo2().uordblks;
	fds_after = count_fds();
	CHECK(ok == resets && io_ok == resets, "%d resets in a row, verified I/O after each (%d "
	      "resets and %d I/O rounds succeeded, %.1f ms per round)",
	      resets, ok, io_ok, (now_s() - t0) * 1000 / resets);
	CHECK(fds_after == fds_before, "no file descriptor leaked (%d before, %d after)",
	      fds_before, fds_after);
	CHECK(heap_after <= heap_before + 16384, "no memory leaked (heap in use %zu bytes before, "
	      "%zu after)",
	      heap_before, heap_after);
	CHECK(request_pool_whole(qpair, opts.io_queue_requests, buf),
	      "no request leaked: all %u of the qpair's requests are usable",
	      opts.io_queue_requests);
	pnvme_ctrlr_free_io_qpair(qpair);
	pnvme_dma_free(buf);
}

static void
attach_cb(void *ctx, const struct pnvme_transport_id *trid, struct pnvme_ctrlr *ctrlr,
	  const struct pnvme_ctrlr_opts *opts)
{
	(void)ctx;
	(void)trid;
	(void)opts;
	g_ctrlr = ctrlr;
}

static bool
probe_cb(void *ctx, const struct pnvme_transport_id *trid, struct pnvme_ctrlr_opts *opts)
{
	(void)ctx;
	(void)trid;
	opts->num_io_queues = 8;
	return g_ctrlr == NULL;
}

int
main(int argc, char **argv)
{
	struct pnvme_transport_id trid;
	int resets = 100;

	if (argc < 3 || strcmp(argv[1], "-r") != 0 || pnvme_transport_id_parse(&trid, argv[2]) ||
	    (argc == 5 && strcmp(argv[3], "--resets") != 0) || (argc != 3 && argc != 5)) {
		fprintf(stderr, "usage: %s -r TRID [--resets N]\n", argv[0]);
		return 2;
	}
	if (argc == 5) {
		resets = atoi(argv[4]);
	}
	if (pnvme_probe(&trid, NULL, probe_cb, attach_cb, NULL) != 0 || g_ctrlr == NULL) {
		printf("not ok - attach %s\n", argv[2]);
		return 1;
	}
	g_ns = pnvme_ctrlr_get_ns(g_ctrlr, pnvme_ctrlr_get_first_active_ns(g_ctrlr));
	if (g_ns == NULL) {
		printf("not ok - a namespace\n");
		return 1;
	}
	g_block = pnvme_ns_get_sector_size(g_ns);

	test_reset_during_threaded_io();
	test_stall_timeout_reset();
	test_many_resets(resets);
	CHECK(pnvme_ns_is_active(g_ns) &&
		      pnvme_ctrlr_get_ns(g_ctrlr, pnvme_ns_get_id(g_ns)) == g_ns,
	      "the namespace handle survived every reset");
	CHECK(pnvme_detach(g_ctrlr) == 0, "detach");
	return g_failures ? 1 : 0;
}
