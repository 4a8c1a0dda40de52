/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Functional I/O checks against a real controller (QEMU's, in the rig):
 * every data check writes a distinct pattern and reads it back.
 * Prints "ok - NAME" / "not ok - NAME" per check; exits 1 on any failure.
 *
 *   pnvme_io_test -r TRID
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "check.h"
#include "fabrics_opts.h"
#include "pnvme/nvme.h"

static struct pnvme_ctrlr *g_ctrlr;
static struct pnvme_ns *g_ns;
static uint32_t g_block;
static uint64_t g_nblocks;
static int g_failures;
/* Fabrics controllers: any memory is a buffer; error statuses are the target's own. */
static bool g_fabrics;

struct waiter {
	int outstanding;
	int completions;
	struct pnvme_cpl last;
	int errors;
};

static void
done_cb(void *arg, const struct pnvme_cpl *cpl)
{
	struct waiter *w = arg;

	w->outstanding--;
	w->completions++;
	w->last = *cpl;
	if (pnvme_cpl_is_error(cpl)) {
		w->errors++;
	}
}

static int
wait_all(struct waiter *w, struct pnvme_qpair *qpair)
{
	while (w->outstanding > 0) {
		if (pnvme_qpair_process_completions(qpair, 0) < 0) {
			return -ENXIO;
		}
	}
	return 0;
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

/* Write @p blocks at @p lba from @p wbuf, read them into @p rbuf, compare. */
static bool
write_read(struct pnvme_qpair *qpair, uint8_t *wbuf, uint8_t *rbuf, uint64_t lba,
	   uint32_t blocks, uint64_t seed)
{
	struct waiter w = {.outstanding = 1};
	size_t len = (size_t)blocks * g_block;

	fill(wbuf, len, seed);
	memset(rbuf, 0xee, len);
	if (pnvme_ns_cmd_write(g_ns, qpair, wbuf, lba, blocks, done_cb, &w, 0) != 0 ||
	    wait_all(&w, qpair) != 0 || w.errors) {
		printf("# write of %u blocks: %s (sct %u sc 0x%02x)\n", blocks,
		       pnvme_status_string(&w.last.status), w.last.status.sct, w.last.status.sc);
		return false;
	}
	w.outstanding = 1;
	if (pnvme_ns_cmd_read(g_ns, qpair, rbuf, lba, blocks, done_cb, &w, 0) != 0 ||
	    wait_all(&w, qpair) != 0 || w.errors) {
		printf("# read of %u blocks: %s (sct %u sc 0x%02x)\n", blocks,
		       pnvme_status_string(&w.last.status), w.last.status.sct, w.last.status.sc);
		return false;
	}
	return memcmp(wbuf, rbuf, len) == 0 && w.completions == 2;
}

static void
test_sizes(struct pnvme_qpair *qpair)
{
	/* Up to beyond 4 MiB: the largest data a Linux NVMe/TCP target takes in
	 * one H2CData PDU, so such a write needs several. */
	static const uint32_t sizes[] = {512,	  4096,	   8704,    65536,		 131072,
					 524288, 1048576, 3 * 1048576 + 4096, 6 * 1048576 + 4096};
	uint32_t mdts = pnvme_ctrlr_get_max_xfer_size(g_ctrlr);
	uint8_t *wbuf = pnvme_dma_zmalloc(8 << 20, 4096, NULL);
	uint8_t *rbuf = pnvme_dma_zmalloc(8 << 20, 4096, NULL);
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint32_t blocks = sizes[i] / g_block;
		uint64_t lba = 1000 + i * 8192;

		if (blocks == 0) {
			continue;
		}
		CHECK(write_read(qpair, wbuf, rbuf, lba, blocks, i + 1),
		      "write then read %u bytes at LBA %llu%s", blocks * g_block,
		      (unsigned long long)lba, blocks * g_block > mdts ? " (split at MDTS)" : "");
	}
	/* A buffer that starts mid-page (PRP1 with an offset). */
	CHECK(write_read(qpair, wbuf + 512, rbuf + 1024, 77777, 64 * 1024 / g_block, 99),
	      "write then read 64 KiB from buffers that start mid-page");
	pnvme_dma_free(wbuf);
	pnvme_dma_free(rbuf);
}

static void
test_first_last(struct pnvme_qpair *qpair)
{
	uint8_t *wbuf = pnvme_dma_zmalloc(g_block * 2, 4096, NULL);
	uint8_t *rbuf = pnvme_dma_zmalloc(g_block * 2, 4096, NULL);
	uint8_t *keep = malloc(g_block);
	struct waiter w = {0};
	struct pnvme_cmd cmd;
	int rc;

	CHECK(write_read(qpair, wbuf, rbuf, 0, 1, 11), "first LBA");
	CHECK(write_read(qpair, wbuf, rbuf, g_nblocks - 1, 1, 12), "last LBA");
	memcpy(keep, wbuf, g_block);

	rc = pnvme_ns_cmd_write(g_ns, qpair, wbuf, g_nblocks - 1, 2, done_cb, &w, 0);
	CHECK(rc == -EINVAL, "write past the last LBA refused with -EINVAL (got %d)", rc);
	/* The same through passthrough reaches the device, which refuses it. */
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = PNVME_OPC_WRITE;
	cmd.nsid = pnvme_ns_get_id(g_ns);
	cmd.cdw10 = (uint32_t)(g_nblocks - 1);
	cmd.cdw11 = (uint32_t)((g_nblocks - 1) >> 32);
	cmd.cdw12 = 1; /* two blocks */
	fill(wbuf, 2 * g_block, 13);
	w.outstanding = 1;
	rc = pnvme_ctrlr_cmd_io_raw(g_ctrlr, qpair, &cmd, wbuf, 2 * g_block, done_cb, &w);
	if (rc == 0) {
		wait_all(&w, qpair);
	}
	if (g_fabrics) {
		/* The kernel target passes the write to its block device,
		 * which answers with an I/O error rather than a range status. */
		CHECK(rc == 0 && pnvme_cpl_is_error(&w.last),
		      "raw write past the last LBA completes with an error (sct %u sc 0x%02x)",
		      w.last.status.sct, w.last.status.sc);
	} else {
		CHECK(rc == 0 && w.last.status.sct == PNVME_SCT_GENERIC &&
			      w.last.status.sc == PNVME_SC_LBA_OUT_OF_RANGE,
		      "raw write past the last LBA completes with LBA OUT OF RANGE (sct %u sc "
		      "0x%02x)",
		      w.last.status.sct, w.last.status.sc);
	}
	w.outstanding = 1;
	w.errors = 0;
	rc = pnvme_ns_cmd_read(g_ns, qpair, rbuf, g_nblocks - 1, 1, done_cb, &w, 0);
	if (rc == 0) {
		wait_all(&w, qpair);
	}
	CHECK(rc == 0 && !w.errors && memcmp(rbuf, keep, g_block) == 0,
	      "last LBA unchanged by the refused writes");
	free(keep);
	pnvme_dma_free(wbuf);
	pnvme_dma_free(rbuf);
}

static void
test_vectored(struct pnvme_qpair *qpair)
{
	/* Uneven elements (SGL) and page-aligned ones (PRP rules). */
	static const size_t wlens[] = {512, 1536, 4096, 3072, 7168, 512};
	static const size_t rlens[] = {2048, 2048, 8192, 3072, 1536};
	size_t total = 0, i, off;
	struct iovec wiov[6], riov[5];
	struct waiter w = {0};
	uint8_t *wbuf, *rbuf;
	bool sgl = pnvme_ctrlr_get_flags(g_ctrlr) & PNVME_CTRLR_SGL_SUPPORTED;
	int rc;

	for (i = 0; i < 6; i++) {
		total += wlens[i];
	}
	wbuf = pnvme_dma_zmalloc(total + 65536, 4096, NULL);
	rbuf = pnvme_dma_zmalloc(total + 65536, 4096, NULL);
	fill(wbuf, total + 65536, 21);
	memset(rbuf, 0, total + 65536);
	/* Elements scattered through the buffer, 4-byte aligned. */
	for (i = 0, off = 0; i < 6; i++) {
		wiov[i].iov_base = wbuf + off + 8 * i;
		wiov[i].iov_len = wlens[i];
		off += wlens[i] + 8 * i + 4096;
		off &= ~(size_t)3;
	}
	for (i = 0, off = 0; i < 5; i++) {
		riov[i].iov_base = rbuf + off + 12 * i;
		riov[i].iov_len = rlens[i];
		off += rlens[i] + 12 * i + 4096;
	}
	if (!sgl) {
		printf("skip - vectored uneven elements: the controller has no SGL\n");
	} else {
		w.outstanding = 1;
		rc = pnvme_ns_cmd_writev(g_ns, qpair, wiov, 6, 5000, (uint32_t)(total / g_block),
					 done_cb, &w, 0);
		if (rc == 0) {
			wait_all(&w, qpair);
		}
		CHECK(rc == 0 && !w.errors, "writev with 6 uneven elements (rc %d)", rc);
		w.outstanding = 1;
		rc = pnvme_ns_cmd_readv(g_ns, qpair, riov, 5, 5000, (uint32_t)(total / g_block),
					done_cb, &w, 0);
		if (rc == 0) {
			wait_all(&w, qpair);
		}
		{
			/* Gather both sides and compare. */
			uint8_t *a = malloc(total), *b = calloc(1, total);
			size_t pa = 0, pb = 0;

			for (i = 0; i < 6; i++) {
				memcpy(a + pa, wiov[i].iov_base, wiov[i].iov_len);
				pa += wiov[i].iov_len;
			}
			for (i = 0; i < 5; i++) {
				memcpy(b + pb, riov[i].iov_base, riov[i].iov_len);
				pb += riov[i].iov_len;
			}
			CHECK(rc == 0 && !w.errors && pa == pb && memcmp(a, b, total) == 0,
			      "readv with 5 differently split elements returns the data");
			free(a);
			free(b);
		}
	}
	pnvme_dma_free(wbuf);
	pnvme_dma_free(rbuf);
}

static void
test_compare_zeroes_dsm_flush_copy(struct pnvme_qpair *qpair)
{
	const struct pnvme_ctrlr_data *cd = pnvme_ctrlr_get_data(g_ctrlr);
	uint32_t blocks = 8192 / g_block;
	uint8_t *wbuf = pnvme_dma_zmalloc(8192, 4096, NULL);
	uint8_t *rbuf = pnvme_dma_zmalloc(8192, 4096, NULL);
	uint8_t *zero = calloc(1, 8192);
	struct pnvme_dsm_range *range = pnvme_dma_zmalloc(sizeof(*range), 64, NULL);
	struct pnvme_copy_range *copy = pnvme_dma_zmalloc(sizeof(*copy), 64, NULL);
	struct waiter w = {0};
	int rc;

#define RUN(expr)                                 \
	do {                                      \
		w.outstanding = 1;                \
		w.errors = 0;                     \
		rc = (expr);                      \
		if (rc == 0) {                    \
			wait_all(&w, qpair);      \
		}                                 \
	} while (0)

	write_read(qpair, wbuf, rbuf, 20000, blocks, 31);
	if (cd->oncs & PNVME_ONCS_COMPARE) {
		RUN(pnvme_ns_cmd_compare(g_ns, qpair, wbuf, 20000, blocks, done_cb, &w, 0));
		CHECK(rc == 0 && !w.errors, "compare of equal data succeeds");
		wbuf[100] ^= 1;
		RUN(pnvme_ns_cmd_compare(g_ns, qpair, wbuf, 20000, blocks, done_cb, &w, 0));
		CHECK(rc == 0 && w.last.status.sct == PNVME_SCT_MEDIA_ERROR &&
			      w.last.status.sc == PNVME_SC_COMPARE_FAILURE,
		      "compare of different data fails with COMPARE FAILURE (sct %u sc 0x%02x)",
		      w.last.status.sct, w.last.status.sc);
	}
	rc = pnvme_ns_cmd_compare(g_ns, qpair, wbuf, 20000, 1, done_cb, &w,
				  PNVME_IO_FLAGS_FUSE_FIRST);
	if (pnvme_ctrlr_get_flags(g_ctrlr) & PNVME_CTRLR_FUSED_COMPARE_WRITE) {
		CHECK(rc == 0, "fused FIRST accepted by a controller with FUSES");
	} else {
		CHECK(rc == -ENOTSUP, "fused compare refused up front without FUSES (rc %d)", rc);
	}

	if (cd->oncs & PNVME_ONCS_WRITE_ZEROES) {
		write_read(qpair, wbuf, rbuf, 21000, blocks, 32);
		RUN(pnvme_ns_cmd_write_zeroes(g_ns, qpair, 21000, blocks, done_cb, &w, 0));
		CHECK(rc == 0 && !w.errors, "write zeroes");
		RUN(pnvme_ns_cmd_read(g_ns, qpair, rbuf, 21000, blocks, done_cb, &w, 0));
		CHECK(rc == 0 && !w.errors && memcmp(rbuf, zero, 8192) == 0,
		      "blocks read back as zeroes after write zeroes");
	}
	if (cd->oncs & PNVME_ONCS_DSM) {
		write_read(qpair, wbuf, rbuf, 22000, blocks, 33);
		range->starting_lba = 22000;
		range->length = blocks;
		RUN(pnvme_ns_cmd_dsm(g_ns, qpair, range, 1, PNVME_DSM_ATTR_DEALLOCATE, done_cb, &w));
		CHECK(rc == 0 && !w.errors, "dataset management deallocate");
		RUN(pnvme_ns_cmd_read(g_ns, qpair, rbuf, 22000, blocks, done_cb, &w, 0));
		if ((pnvme_ns_get_data(g_ns)->dlfeat & 7) == 1) {
			CHECK(rc == 0 && !w.errors && memcmp(rbuf, zero, 8192) == 0,
			      "deallocated blocks read as zeroes (DLFEAT)");
		} else {
			CHECK(rc == 0 && !w.errors, "deallocated blocks can be read");
		}
	}
	RUN(pnvme_ns_cmd_flush(g_ns, qpair, done_cb, &w));
	CHECK(rc == 0 && !w.errors, "flush");
	if (cd->oncs & PNVME_ONCS_VERIFY) {
		RUN(pnvme_ns_cmd_verify(g_ns, qpair, 20000, blocks, done_cb, &w, 0));
		CHECK(rc == 0 && !w.errors, "verify");
	}
	if (cd->oncs & PNVME_ONCS_COPY) {
		write_read(qpair, wbuf, rbuf, 23000, blocks, 34);
		memset(copy, 0, sizeof(*copy));
		copy->slba = 23000;
		copy->nlb = (uint16_t)(blocks - 1);
		RUN(pnvme_ns_cmd_copy(g_ns, qpair, copy, 1, 24000, done_cb, &w));
		CHECK(rc == 0 && !w.errors, "copy (sct %u sc 0x%02x)", w.last.status.sct,
		      w.last.status.sc);
		RUN(pnvme_ns_cmd_read(g_ns, qpair, rbuf, 24000, blocks, done_cb, &w, 0));
		CHECK(rc == 0 && !w.errors && memcmp(rbuf, wbuf, 8192) == 0,
		      "copied blocks hold the source data");
	}
#undef RUN
	free(zero);
	pnvme_dma_free(range);
	pnvme_dma_free(copy);
	pnvme_dma_free(wbuf);
	pnvme_dma_free(rbuf);
}

static void
test_bad_arguments(struct pnvme_qpair *qpair)
{
	uint8_t *dma = pnvme_dma_zmalloc(8192, 4096, NULL);
	uint8_t *heap = malloc(8192);
	struct iovec iov[PNVME_MAX_IOVCNT + 1];
	struct waiter w = {0};
	int i;

	CHECK(pnvme_ns_cmd_read(g_ns, qpair, dma, 0, 0, done_cb, &w, 0) == -EINVAL,
	      "zero blocks refused");
	if (g_fabrics) {
		int rc;

		w.outstanding = 1;
		rc = pnvme_ns_cmd_read(g_ns, qpair, heap, 0, 1, done_cb, &w, 0);
		if (rc == 0) {
			wait_all(&w, qpair);
		}
		CHECK(rc == 0 && !w.errors, "any memory is a buffer over a fabric (rc %d)", rc);
		memset(&w, 0, sizeof(w));
	} else {
		CHECK(pnvme_ns_cmd_read(g_ns, qpair, heap, 0, 1, done_cb, &w, 0) == -EINVAL,
		      "buffer outside DMA memory refused");
	}
	CHECK(pnvme_ns_cmd_read(g_ns, qpair, dma + 1, 0, 1, done_cb, &w, 0) == -EINVAL,
	      "misaligned buffer refused");
	for (i = 0; i <= PNVME_MAX_IOVCNT; i++) {
		iov[i].iov_base = dma;
		iov[i].iov_len = 4;
	}
	CHECK(pnvme_ns_cmd_readv(g_ns, qpair, iov, PNVME_MAX_IOVCNT + 1, 0, 1, done_cb, &w, 0) ==
		      -EINVAL,
	      "too many vector elements refused");
	CHECK(pnvme_ns_cmd_read(g_ns, qpair, dma, 0, 1, done_cb, &w, 0x00ff0000) == -EINVAL,
	      "unknown io_flags refused");
	CHECK(w.completions == 0, "no callback for a refused call");
	free(heap);
	pnvme_dma_free(dma);
}

static void
test_pool_and_queue_full(void)
{
	struct pnvme_io_qpair_opts opts;
	struct pnvme_qpair *qpair;
	uint8_t *buf = pnvme_dma_zmalloc(64 * 4096, 4096, NULL);
	struct waiter w = {0};
	int i, rc = 0, accepted = 0;

	pnvme_ctrlr_get_default_io_qpair_opts(g_ctrlr, &opts, sizeof(opts));
	opts.io_queue_size = 4;
	opts.io_queue_requests = 16;
	qpair = pnvme_ctrlr_alloc_io_qpair(g_ctrlr, &opts, sizeof(opts));
	CHECK(qpair != NULL, "qpair with 4 entries and 16 requests");
	if (qpair == NULL) {
		return;
	}
	for (i = 0; i < 17; i++) {
		rc = pnvme_ns_cmd_read(g_ns, qpair, buf + i * 4096, 100 + i, 1, done_cb, &w, 0);
		if (rc != 0) {
			break;
		}
		accepted++;
		w.outstanding++;
	}
	CHECK(accepted == 16 && rc == -ENOMEM,
	      "16 accepted on a 4-entry queue, the 17th gets -ENOMEM (accepted %d, rc %d)",
	      accepted, rc);
	wait_all(&w, qpair);
	CHECK(w.completions == 16 && w.errors == 0, "all 16 completed once (%d completions)",
	      w.completions);

	/* Free with requests outstanding: each completes once first. */
	w.completions = 0;
	for (i = 0; i < 8; i++) {
		if (pnvme_ns_cmd_read(g_ns, qpair, buf + i * 4096, 200 + i, 1, done_cb, &w, 0) ==
		    0) {
			w.outstanding++;
		}
	}
	pnvme_ctrlr_free_io_qpair(qpair);
	CHECK(w.completions == 8 && w.outstanding == 0,
	      "freeing a qpair completes its 8 outstanding requests exactly once (%d)",
	      w.completions);
	pnvme_dma_free(buf);
}

static void
test_qpair_limit(void)
{
	struct pnvme_qpair *qpairs[70];
	uint32_t granted = pnvme_ctrlr_get_num_io_queues(g_ctrlr);
	uint32_t n = 0, i;

	/* The test's own qpairs are already allocated: 1 of the granted. */
	while (n < 70 && (qpairs[n] = pnvme_ctrlr_alloc_io_qpair(g_ctrlr, NULL, 0)) != NULL) {
		n++;
	}
	CHECK(n + 1 == granted, "qpairs up to the %u granted, then a clear refusal (%u)", granted,
	      n + 1);
	for (i = 0; i < n; i++) {
		pnvme_ctrlr_free_io_qpair(qpairs[i]);
	}
}

struct thread_arg {
	int index;
	int failures;
};

static void *
thread_main(void *p)
{
	struct thread_arg *arg = p;
	struct pnvme_qpair *qpair = pnvme_ctrlr_alloc_io_qpair(g_ctrlr, NULL, 0);
	uint32_t blocks = 65536 / g_block;
	uint8_t *wbuf = pnvme_dma_zmalloc(65536, 4096, NULL);
	uint8_t *rbuf = pnvme_dma_zmalloc(65536, 4096, NULL);
	int round;

	if (qpair == NULL || wbuf == NULL || rbuf == NULL) {
		arg->failures++;
		return NULL;
	}
	for (round = 0; round < 32; round++) {
		uint64_t lba = 100000 + (uint64_t)arg->index * 20000 + (uint64_t)round * blocks;

		if (!write_read(qpair, wbuf, rbuf, lba, blocks, (uint64_t)arg->index * 1000 + round)) {
			arg->failures++;
		}
	}
	pnvme_ctrlr_free_io_qpair(qpair);
	pnvme_dma_free(wbuf);
	pnvme_dma_free(rbuf);
	return NULL;
}

static void
test_threads(void)
{
	pthread_t tids[4];
	struct thread_arg args[4];
	int i, failures = 0;

	for (i = 0; i < 4; i++) {
		args[i].index = i;
		args[i].failures = 0;
		pthread_create(&tids[i], NULL, thread_main, &args[i]);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(tids[i], NULL);
		failures += args[i].failures;
	}
	CHECK(failures == 0, "4 threads with 4 qpairs, 32 verified 64 KiB writes each (%d bad)",
	      failures);
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
	fabrics_opts_apply(opts);
	return g_ctrlr == NULL;
}

int
main(int argc, char **argv)
{
	struct pnvme_transport_id trid;
	struct pnvme_qpair *qpair;

	int i;

	if (argc < 3 || strcmp(argv[1], "-r") != 0 || pnvme_transport_id_parse(&trid, argv[2])) {
		fprintf(stderr, "usage: %s -r TRID [--header-digest] [--data-digest]\n", argv[0]);
		return 2;
	}
	for (i = 3; i < argc; i++) {
		if (!fabrics_opts_parse(strcmp(argv[i], "--header-digest") == 0
						? FABRICS_OPT_HEADER_DIGEST
					: strcmp(argv[i], "--data-digest") == 0 ? FABRICS_OPT_DATA_DIGEST
										 : 0)) {
			fprintf(stderr, "unknown option '%s'\n", argv[i]);
			return 2;
		}
	}
	g_fabrics = trid.trtype != PNVME_TRANSPORT_PCIE;
	if (pnvme_probe(&trid, NULL, probe_cb, attach_cb, NULL) != 0 || g_ctrlr == NULL) {
		printf("not ok - attach %s\n", argv[2]);
		return 1;
	}
	g_ns = pnvme_ctrlr_get_ns(g_ctrlr, pnvme_ctrlr_get_first_active_ns(g_ctrlr));
	qpair = pnvme_ctrlr_alloc_io_qpair(g_ctrlr, NULL, 0);
	if (g_ns == NULL || qpair == NULL) {
		printf("not ok - namespace and qpair\n");
		return 1;
	}
	g_block = pnvme_ns_get_sector_size(g_ns);
	g_nblocks = pnvme_ns_get_num_sectors(g_ns);
	printf("# %s: %llu blocks of %u bytes, MDTS %u bytes, SGL %s, shadow doorbells %s\n",
	       argv[2], (unsigned long long)g_nblocks, g_block,
	       pnvme_ctrlr_get_max_xfer_size(g_ctrlr),
	       (pnvme_ctrlr_get_flags(g_ctrlr) & PNVME_CTRLR_SGL_SUPPORTED) ? "yes" : "no",
	       (pnvme_ctrlr_get_flags(g_ctrlr) & PNVME_CTRLR_SHADOW_DOORBELL) ? "yes" : "no");

	test_sizes(qpair);
	test_first_last(qpair);
	test_vectored(qpair);
	test_compare_zeroes_dsm_flush_copy(qpair);
	test_bad_arguments(qpair);
	test_pool_and_queue_full();
	test_qpair_limit();
	test_threads();

	pnvme_ctrlr_free_io_qpair(qpair);
	CHECK(pnvme_detach(g_ctrlr) == 0, "detach");
	return g_failures ? 1 : 0;
}
