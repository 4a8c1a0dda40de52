/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Functional I/O checks against a real controller (QEMU's, in the rig; the
 * kernel's NVMe/TCP target; the fused-capable test target): every data
 * check writes a distinct pattern and reads it back. Fused compare-and-write
 * is exercised end to end when the controller offers it (FUSES), and
 * refused up front when it does not.
 * Prints "ok - NAME" / "not ok - NAME" per check; exits 1 on any failure.
 *
 *   pnvme_io_test -r TRID
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/uio.h>

#include "check.h"
#include "fabrics_opts.h"
#include "pnvme/nvme.h"

static struct pnvme_ctrlr *g_ctrlr;
static struct pnvme_ns *g_ns;
static uint32_t g_block;
static uint64_t g_nblocks;
static int g_failures;
/* Fabrics controllers: error statuses are the target's own. */
static bool g_fabrics;
/* NVMe/TCP: any memory is a buffer (sent and received through sockets). */
static bool g_any_memory;

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

static int g_regions_added;

static int
count_regions(void *ctx, enum pnvme_mem_event event, void *vaddr, size_t len)
{
	(void)ctx;
	(void)vaddr;
	(void)len;
	g_regions_added += event == PNVME_MEM_EVENT_REGISTER;
	return 0;
}

/* DMA memory that appears after the qpair connected is as good a buffer
 * as any: the transports that register memory with their device (NVMe/RDMA)
 * must have it registered by the time the allocation returns. Allocations
 * grow until the environment maps a new region, then carry I/O. */
static void
test_memory_after_connect(struct pnvme_qpair *qpair)
{
	uint8_t *bufs[16] = {0}, *rbuf = pnvme_dma_zmalloc(1 << 20, 4096, NULL);
	int before, i, n = 0;
	bool ok;

	CHECK(pnvme_env_mem_notify_register(count_regions, NULL) == 0,
	      "memory region notifications registered");
	before = g_regions_added;
	while (n < 16 && g_regions_added == before) {
		bufs[n] = pnvme_dma_zmalloc(16 << 20, 4096, NULL);
		if (bufs[n++] == NULL) {
			break;
		}
	}
	ok = n > 0 && bufs[n - 1] != NULL && g_regions_added > before;
	CHECK(ok, "a new region of DMA memory after the connection (%d new, %d allocations of 16 MiB)",
	      g_regions_added - before, n);
	if (ok && rbuf != NULL) {
		/* The last allocation lies in the new region. */
		CHECK(write_read(qpair, bufs[n - 1] + (15 << 20), rbuf, 300000, 1024 * 1024 / g_block,
				 77),
		      "write from and read back 1 MiB of memory mapped after the connection");
	}
	pnvme_env_mem_notify_unregister(count_regions, NULL);
	for (i = 0; i < n; i++) {
		pnvme_dma_free(bufs[i]);
	}
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

/* ------------------------------------------------------------------ */
/* Fused compare-and-write                                             */
/* ------------------------------------------------------------------ */

/* Pair checks run here, clear of the other checks' blocks. */
#define FUSED_LBA 90000u
#define FUSED_BIG_LBA 90200u
/* Shared records of the multi-thread check: 4 records of 8 blocks. */
#define FUSED_SHARED_LBA 91000u
#define FUSED_RECORDS 4u
#define FUSED_RECORD_BLOCKS 8u
#define FUSED_THREADS 4
#define FUSED_PAIRS_PER_THREAD 100
/* Attempts a thread may make (miscompares included) before giving up. */
#define FUSED_MAX_ATTEMPTS (FUSED_PAIRS_PER_THREAD * 100)

/* Commands that reached the device so far (PDUs on TCP, doorbells on PCIe). */
static uint64_t
sent_count(struct pnvme_qpair *qpair)
{
	struct pnvme_qpair_stats stats;

	memset(&stats, 0, sizeof(stats));
	pnvme_qpair_get_stats(qpair, &stats, sizeof(stats));
	return stats.pdus_sent + stats.sq_doorbell_writes;
}

/*
 * Compare @p cmp against @p blocks at @p lba, then write @p wr there, as one
 * fused pair; wait for both completions. 0 (statuses in *cmp_cpl and
 * *wr_cpl), or the negative errno of a refused submission.
 */
static int
fused_pair(struct pnvme_qpair *qpair, void *cmp, void *wr, uint64_t lba, uint32_t blocks,
	   struct pnvme_cpl *cmp_cpl, struct pnvme_cpl *wr_cpl)
{
	struct waiter wc = {.outstanding = 1}, ww = {.outstanding = 1};
	int rc;

	rc = pnvme_ns_cmd_compare(g_ns, qpair, cmp, lba, blocks, done_cb, &wc,
				  PNVME_IO_FLAGS_FUSE_FIRST);
	if (rc != 0) {
		return rc;
	}
	rc = pnvme_ns_cmd_write(g_ns, qpair, wr, lba, blocks, done_cb, &ww,
				PNVME_IO_FLAGS_FUSE_SECOND);
	if (rc != 0) {
		/* The FIRST stays held on the qpair: the caller frees the qpair. */
		return rc;
	}
	while (wc.outstanding > 0 || ww.outstanding > 0) {
		if (pnvme_qpair_process_completions(qpair, 0) < 0) {
			return -ENXIO;
		}
	}
	*cmp_cpl = wc.last;
	*wr_cpl = ww.last;
	return 0;
}

static bool
cpl_is(const struct pnvme_cpl *cpl, unsigned int sct, unsigned int sc)
{
	return cpl->status.sct == sct && cpl->status.sc == sc;
}

/* Read @p blocks at @p lba into @p buf; true on success. */
static bool
read_blocks(struct pnvme_qpair *qpair, void *buf, uint64_t lba, uint32_t blocks)
{
	struct waiter w = {.outstanding = 1};

	return pnvme_ns_cmd_read(g_ns, qpair, buf, lba, blocks, done_cb, &w, 0) == 0 &&
	       wait_all(&w, qpair) == 0 && w.errors == 0;
}

/* A matching pair: both succeed and the blocks then hold the new data. */
static void
check_matching_pair(struct pnvme_qpair *qpair, uint64_t lba, uint32_t blocks, const char *what)
{
	size_t len = (size_t)blocks * g_block;
	uint8_t *old = pnvme_dma_zmalloc(len, 4096, NULL);
	uint8_t *new = pnvme_dma_zmalloc(len, 4096, NULL);
	uint8_t *rbuf = pnvme_dma_zmalloc(len, 4096, NULL);
	struct pnvme_cpl c, w;
	int rc;

	memset(&c, 0, sizeof(c));
	memset(&w, 0, sizeof(w));
	write_read(qpair, old, rbuf, lba, blocks, 41 + lba);
	fill(new, len, 42 + lba);
	rc = fused_pair(qpair, old, new, lba, blocks, &c, &w);
	CHECK(rc == 0 && !pnvme_cpl_is_error(&c) && !pnvme_cpl_is_error(&w),
	      "fused compare-and-write of %zu bytes (%s) with matching data: both succeed (rc %d, "
	      "compare sct %u sc 0x%02x, write sct %u sc 0x%02x)",
	      len, what, rc, c.status.sct, c.status.sc, w.status.sct, w.status.sc);
	CHECK(read_blocks(qpair, rbuf, lba, blocks) && memcmp(rbuf, new, len) == 0,
	      "the blocks read back as the fused pair's new data (%s)", what);
	pnvme_dma_free(old);
	pnvme_dma_free(new);
	pnvme_dma_free(rbuf);
}

/* A miscomparing pair: COMPARE FAILURE, the write aborted, nothing written. */
static void
check_miscompare(struct pnvme_qpair *qpair)
{
	uint32_t blocks = FUSED_RECORD_BLOCKS;
	size_t len = (size_t)blocks * g_block;
	uint8_t *cur = pnvme_dma_zmalloc(len, 4096, NULL);
	uint8_t *wrong = pnvme_dma_zmalloc(len, 4096, NULL);
	uint8_t *new = pnvme_dma_zmalloc(len, 4096, NULL);
	uint8_t *rbuf = pnvme_dma_zmalloc(len, 4096, NULL);
	struct pnvme_cpl c, w;
	int rc;

	memset(&c, 0, sizeof(c));
	memset(&w, 0, sizeof(w));
	write_read(qpair, cur, rbuf, FUSED_LBA, blocks, 51);
	memcpy(wrong, cur, len);
	wrong[len - 1] ^= 0x80; /* differs in the last byte of the last block only */
	fill(new, len, 52);
	rc = fused_pair(qpair, wrong, new, FUSED_LBA, blocks, &c, &w);
	CHECK(rc == 0 && cpl_is(&c, PNVME_SCT_MEDIA_ERROR, PNVME_SC_COMPARE_FAILURE),
	      "fused compare of different data fails with COMPARE FAILURE (rc %d, sct %u sc "
	      "0x%02x)",
	      rc, c.status.sct, c.status.sc);
	CHECK(rc == 0 && cpl_is(&w, PNVME_SCT_GENERIC, PNVME_SC_ABORTED_FAILED_FUSED),
	      "its fused write is ABORTED - FAILED FUSED (sct %u sc 0x%02x)", w.status.sct,
	      w.status.sc);
	CHECK(read_blocks(qpair, rbuf, FUSED_LBA, blocks) && memcmp(rbuf, cur, len) == 0,
	      "the blocks are unchanged after the failed fused pair");
	pnvme_dma_free(cur);
	pnvme_dma_free(wrong);
	pnvme_dma_free(new);
	pnvme_dma_free(rbuf);
}

/* What the library refuses before anything reaches the controller. */
static void
check_fused_refusals(struct pnvme_qpair *qpair)
{
	uint32_t max_blocks = pnvme_ctrlr_get_max_xfer_size(g_ctrlr) / g_block;
	uint32_t blocks = FUSED_RECORD_BLOCKS;
	size_t len = (size_t)blocks * g_block;
	uint8_t *cur = pnvme_dma_zmalloc(len, 4096, NULL);
	uint8_t *new = pnvme_dma_zmalloc(len, 4096, NULL);
	uint8_t *rbuf = pnvme_dma_zmalloc(len, 4096, NULL);
	uint8_t *big = pnvme_dma_zmalloc((size_t)(max_blocks + 1) * g_block, 4096, NULL);
	struct waiter wc = {.outstanding = 1}, ww = {.outstanding = 1}, wr = {0};
	uint64_t before;
	int rc, rc_other;

	write_read(qpair, cur, rbuf, FUSED_LBA, blocks, 61);
	fill(new, len, 62);

	/* A FIRST followed by something other than its SECOND. */
	before = sent_count(qpair);
	rc = pnvme_ns_cmd_compare(g_ns, qpair, cur, FUSED_LBA, blocks, done_cb, &wc,
				  PNVME_IO_FLAGS_FUSE_FIRST);
	rc_other = pnvme_ns_cmd_read(g_ns, qpair, rbuf, FUSED_LBA, blocks, done_cb, &wr, 0);
	CHECK(rc == 0 && rc_other < 0 && wr.completions == 0 && sent_count(qpair) == before,
	      "a read between a fused FIRST and its SECOND is refused, nothing sent (rc %d, %d)",
	      rc, rc_other);
	/* The FIRST is still held and pairs with its SECOND. */
	if (rc == 0) {
		rc = pnvme_ns_cmd_write(g_ns, qpair, new, FUSED_LBA, blocks, done_cb, &ww,
					PNVME_IO_FLAGS_FUSE_SECOND);
		if (rc == 0) {
			while ((wc.outstanding > 0 || ww.outstanding > 0) &&
			       pnvme_qpair_process_completions(qpair, 0) >= 0) {
			}
		}
		CHECK(rc == 0 && wc.errors == 0 && ww.errors == 0 && wc.outstanding == 0 &&
			      ww.outstanding == 0 && read_blocks(qpair, rbuf, FUSED_LBA, blocks) &&
			      memcmp(rbuf, new, len) == 0,
		      "the held FIRST then completes with its SECOND (rc %d)", rc);
	}

	/* A SECOND with no FIRST before it. */
	before = sent_count(qpair);
	memset(&ww, 0, sizeof(ww));
	rc = pnvme_ns_cmd_write(g_ns, qpair, new, FUSED_LBA, blocks, done_cb, &ww,
				PNVME_IO_FLAGS_FUSE_SECOND);
	CHECK(rc < 0 && ww.completions == 0 && sent_count(qpair) == before,
	      "a fused SECOND with no FIRST is refused, nothing sent (rc %d)", rc);

	/* A pair that would have to be split: one command cannot carry it. */
	if (big != NULL && (uint64_t)FUSED_BIG_LBA + max_blocks + 1 <= g_nblocks) {
		before = sent_count(qpair);
		memset(&wc, 0, sizeof(wc));
		rc = pnvme_ns_cmd_compare(g_ns, qpair, big, FUSED_BIG_LBA, max_blocks + 1, done_cb,
					  &wc, PNVME_IO_FLAGS_FUSE_FIRST);
		CHECK(rc == -EINVAL && wc.completions == 0 && sent_count(qpair) == before,
		      "a fused compare larger than one command (%u blocks, %u per command) is "
		      "refused, nothing sent (rc %d)",
		      max_blocks + 1, max_blocks, rc);
		CHECK(read_blocks(qpair, rbuf, FUSED_LBA, blocks),
		      "the qpair takes plain commands after the refused pair (no FIRST held)");
	}
	pnvme_dma_free(cur);
	pnvme_dma_free(new);
	pnvme_dma_free(rbuf);
	pnvme_dma_free(big);
}

/* A shared record: its counter, then words that depend on the counter and
 * the record, so any mix of two versions (a torn write) shows. */
static void
record_fill(uint8_t *buf, uint32_t rec, uint64_t counter)
{
	size_t words = (size_t)FUSED_RECORD_BLOCKS * g_block / sizeof(uint64_t), i;
	uint64_t w;

	for (i = 0; i < words; i++) {
		w = i == 0 ? counter
			   : (counter + 1) * 0x9e3779b97f4a7c15ull ^ ((uint64_t)rec << 56) ^
				     (i * 0xff51afd7ed558ccdull);
		memcpy(buf + i * sizeof(w), &w, sizeof(w));
	}
}

/* Parse a record read back: true, with its counter, when it is whole. */
static bool
record_parse(const uint8_t *buf, uint32_t rec, uint64_t *counter, uint8_t *scratch)
{
	memcpy(counter, buf, sizeof(*counter));
	record_fill(scratch, rec, *counter);
	return memcmp(buf, scratch, (size_t)FUSED_RECORD_BLOCKS * g_block) == 0;
}

struct fused_thread_arg {
	int index;
	uint64_t successes[FUSED_RECORDS];
	int pairs;
	int miscompares;
	int torn;
	int errors;
};

/* Increment the shared records' counters by compare(old) -> write(old + 1)
 * until FUSED_PAIRS_PER_THREAD pairs succeeded; re-read after a miscompare. */
static void *
fused_thread_main(void *p)
{
	struct fused_thread_arg *arg = p;
	size_t len = (size_t)FUSED_RECORD_BLOCKS * g_block;
	struct pnvme_qpair *qpair = pnvme_ctrlr_alloc_io_qpair(g_ctrlr, NULL, 0);
	uint8_t *old = pnvme_dma_zmalloc(len, 4096, NULL);
	uint8_t *new = pnvme_dma_zmalloc(len, 4096, NULL);
	uint8_t *rbuf = pnvme_dma_zmalloc(len, 4096, NULL);
	uint8_t *scratch = malloc(len);
	uint64_t guess[FUSED_RECORDS] = {0}, lba;
	struct pnvme_cpl c, w;
	uint32_t rec;
	int attempt, rc;

	if (qpair == NULL || old == NULL || new == NULL || rbuf == NULL || scratch == NULL) {
		arg->errors++;
		goto out;
	}
	for (attempt = 0; attempt < FUSED_MAX_ATTEMPTS && arg->pairs < FUSED_PAIRS_PER_THREAD;
	     attempt++) {
		rec = (uint32_t)(arg->index + attempt) % FUSED_RECORDS;
		lba = FUSED_SHARED_LBA + (uint64_t)rec * FUSED_RECORD_BLOCKS;
		record_fill(old, rec, guess[rec]);
		record_fill(new, rec, guess[rec] + 1);
		rc = fused_pair(qpair, old, new, lba, FUSED_RECORD_BLOCKS, &c, &w);
		if (rc != 0) {
			printf("# thread %d: fused pair refused (rc %d)\n", arg->index, rc);
			arg->errors++;
			break;
		}
		if (!pnvme_cpl_is_error(&c) && !pnvme_cpl_is_error(&w)) {
			arg->successes[rec]++;
			arg->pairs++;
			guess[rec]++;
			continue;
		}
		if (!cpl_is(&c, PNVME_SCT_MEDIA_ERROR, PNVME_SC_COMPARE_FAILURE) ||
		    !cpl_is(&w, PNVME_SCT_GENERIC, PNVME_SC_ABORTED_FAILED_FUSED)) {
			printf("# thread %d: compare sct %u sc 0x%02x, write sct %u sc 0x%02x\n",
			       arg->index, c.status.sct, c.status.sc, w.status.sct, w.status.sc);
			arg->errors++;
			break;
		}
		/* Another thread got there first: learn the record's counter. */
		arg->miscompares++;
		if (!read_blocks(qpair, rbuf, lba, FUSED_RECORD_BLOCKS)) {
			arg->errors++;
			break;
		}
		if (!record_parse(rbuf, rec, &guess[rec], scratch)) {
			arg->torn++;
		}
	}
out:
	if (qpair != NULL) {
		pnvme_ctrlr_free_io_qpair(qpair);
	}
	pnvme_dma_free(old);
	pnvme_dma_free(new);
	pnvme_dma_free(rbuf);
	free(scratch);
	return NULL;
}

/* Several qpairs race on the same records: the pairs never tear and every
 * successful pair is one increment. */
static void
check_fused_threads(struct pnvme_qpair *qpair)
{
	size_t len = (size_t)FUSED_RECORD_BLOCKS * g_block;
	uint8_t *buf = pnvme_dma_zmalloc(len, 4096, NULL);
	uint8_t *scratch = malloc(len);
	struct fused_thread_arg args[FUSED_THREADS];
	pthread_t tids[FUSED_THREADS];
	uint64_t want, got = 0;
	int i, pairs = 0, miscompares = 0, torn = 0, errors = 0, bad_records = 0;
	uint32_t rec;

	for (rec = 0; rec < FUSED_RECORDS; rec++) {
		struct waiter w = {.outstanding = 1};

		record_fill(buf, rec, 0);
		if (pnvme_ns_cmd_write(g_ns, qpair, buf,
				       FUSED_SHARED_LBA + (uint64_t)rec * FUSED_RECORD_BLOCKS,
				       FUSED_RECORD_BLOCKS, done_cb, &w, 0) != 0 ||
		    wait_all(&w, qpair) != 0 || w.errors) {
			errors++;
		}
	}
	memset(args, 0, sizeof(args));
	for (i = 0; i < FUSED_THREADS; i++) {
		args[i].index = i;
		pthread_create(&tids[i], NULL, fused_thread_main, &args[i]);
	}
	for (i = 0; i < FUSED_THREADS; i++) {
		pthread_join(tids[i], NULL);
		pairs += args[i].pairs;
		miscompares += args[i].miscompares;
		torn += args[i].torn;
		errors += args[i].errors;
	}
	CHECK(errors == 0 && pairs == FUSED_THREADS * FUSED_PAIRS_PER_THREAD,
	      "%d threads with their own qpairs: %d fused compare-and-write pairs succeeded on "
	      "%u shared records (%d miscompares retried, %d errors)",
	      FUSED_THREADS, pairs, FUSED_RECORDS, miscompares, errors);
	CHECK(torn == 0, "no read between the pairs saw a torn record (%d torn)", torn);
	for (rec = 0; rec < FUSED_RECORDS; rec++) {
		want = 0;
		for (i = 0; i < FUSED_THREADS; i++) {
			want += args[i].successes[rec];
		}
		if (!read_blocks(qpair, buf,
				 FUSED_SHARED_LBA + (uint64_t)rec * FUSED_RECORD_BLOCKS,
				 FUSED_RECORD_BLOCKS) ||
		    !record_parse(buf, rec, &got, scratch) || got != want) {
			printf("# record %u: counter %llu, %llu pairs succeeded on it\n", rec,
			       (unsigned long long)got, (unsigned long long)want);
			bad_records++;
		}
	}
	CHECK(bad_records == 0,
	      "each shared record is whole and its counter equals the pairs that succeeded on "
	      "it (%d records off)",
	      bad_records);
	pnvme_dma_free(buf);
	free(scratch);
}

static void
test_fused(struct pnvme_qpair *qpair)
{
	uint32_t max = pnvme_ctrlr_get_max_xfer_size(g_ctrlr);
	uint32_t big_blocks = (max < 65536 ? max : 65536) / g_block;
	struct waiter w = {0};
	uint8_t *buf;
	uint64_t before;
	int rc;

	if (!(pnvme_ctrlr_get_flags(g_ctrlr) & PNVME_CTRLR_FUSED_COMPARE_WRITE)) {
		buf = pnvme_dma_zmalloc(g_block, 4096, NULL);
		before = sent_count(qpair);
		rc = pnvme_ns_cmd_compare(g_ns, qpair, buf, FUSED_LBA, 1, done_cb, &w,
					  PNVME_IO_FLAGS_FUSE_FIRST);
		CHECK(rc == -ENOTSUP && w.completions == 0 && sent_count(qpair) == before,
		      "fused compare refused up front without FUSES, nothing sent (rc %d)", rc);
		pnvme_dma_free(buf);
		return;
	}
	check_matching_pair(qpair, FUSED_LBA, FUSED_RECORD_BLOCKS, "data in the capsule");
	if (big_blocks > FUSED_RECORD_BLOCKS) {
		check_matching_pair(qpair, FUSED_BIG_LBA, big_blocks, "data sent on request");
	}
	check_miscompare(qpair);
	check_fused_refusals(qpair);
	check_fused_threads(qpair);
}

static double
now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* The library's clock (the environment's ticks) and this program's
 * (CLOCK_MONOTONIC) may disagree by a few percent in an emulated guest:
 * the time checks below allow 10%. */

/* Software error injection against the real peer: a stalled command never
 * reaches it and completes at its timeout with the chosen status; a sent
 * one reaches it and completes with the chosen status instead of its own. */
static void
test_error_injection(struct pnvme_qpair *qpair)
{
	uint8_t *wbuf = pnvme_dma_zmalloc(4096, 4096, NULL);
	uint8_t *rbuf = pnvme_dma_zmalloc(4096, 4096, NULL);
	uint32_t blocks = 4096 / g_block;
	struct waiter w = {0};
	double t0;
	uint64_t before;
	double waited;
	int rc;

	write_read(qpair, wbuf, rbuf, 23000, blocks, 71);
	rc = pnvme_qpair_add_cmd_error_injection(g_ctrlr, qpair, PNVME_OPC_READ, true, 200000, 1,
						 PNVME_SCT_GENERIC, PNVME_SC_INTERNAL_DEVICE_ERROR);
	CHECK(rc == 0, "error injection set: the next read stalls 200 ms (rc %d)", rc);
	before = sent_count(qpair);
	t0 = now_s();
	w.outstanding = 1;
	rc = pnvme_ns_cmd_read(g_ns, qpair, rbuf, 23000, blocks, done_cb, &w, 0);
	if (rc == 0) {
		wait_all(&w, qpair);
	}
	waited = now_s() - t0;
	CHECK(rc == 0 && w.completions == 1 && w.last.status.sct == PNVME_SCT_GENERIC &&
		      w.last.status.sc == PNVME_SC_INTERNAL_DEVICE_ERROR && waited >= 0.18 &&
		      sent_count(qpair) == before,
	      "the stalled read never reached the controller and completed once after %.3f s "
	      "with the injected status (sct %u sc 0x%02x)",
	      waited, w.last.status.sct, w.last.status.sc);

	fill(wbuf, 4096, 72);
	rc = pnvme_qpair_add_cmd_error_injection(g_ctrlr, qpair, PNVME_OPC_WRITE, false, 0, 1,
						 PNVME_SCT_MEDIA_ERROR, PNVME_SC_COMPARE_FAILURE);
	memset(&w, 0, sizeof(w));
	w.outstanding = 1;
	before = sent_count(qpair);
	if (rc == 0) {
		rc = pnvme_ns_cmd_write(g_ns, qpair, wbuf, 23000, blocks, done_cb, &w, 0);
	}
	if (rc == 0) {
		wait_all(&w, qpair);
	}
	CHECK(rc == 0 && w.last.status.sct == PNVME_SCT_MEDIA_ERROR &&
		      w.last.status.sc == PNVME_SC_COMPARE_FAILURE && sent_count(qpair) > before,
	      "a write sent to the controller completes with the injected status (sct %u sc "
	      "0x%02x)",
	      w.last.status.sct, w.last.status.sc);
	CHECK(read_blocks(qpair, rbuf, 23000, blocks) && memcmp(rbuf, wbuf, 4096) == 0,
	      "the injections are used up: the next read succeeds and shows that write's data");
	pnvme_dma_free(wbuf);
	pnvme_dma_free(rbuf);
}

/* Timeouts against the real peer: a command stalled by injection is
 * reported late within its budget, once, and still completes. */
static int g_timeouts_not_submitted;
static double g_first_timeout_at;

static void
timeout_cb(void *arg, struct pnvme_ctrlr *ctrlr, struct pnvme_qpair *qpair, uint16_t cid)
{
	(void)arg;
	(void)ctrlr;
	(void)qpair;
	if (cid == PNVME_CID_NOT_SUBMITTED && g_timeouts_not_submitted++ == 0) {
		g_first_timeout_at = now_s();
	}
}

static void
test_timeout(struct pnvme_qpair *qpair)
{
	uint8_t *rbuf = pnvme_dma_zmalloc(4096, 4096, NULL);
	struct waiter w = {.outstanding = 1};
	double t0, done_at, late;
	int rc;

	rc = pnvme_ctrlr_register_timeout_callback(g_ctrlr, 300000, 0, timeout_cb, NULL);
	if (rc == 0) {
		rc = pnvme_qpair_add_cmd_error_injection(g_ctrlr, qpair, PNVME_OPC_READ, true,
							 1000000, 1, PNVME_SCT_GENERIC,
							 PNVME_SC_ABORTED_BY_REQUEST);
	}
	t0 = now_s();
	if (rc == 0) {
		rc = pnvme_ns_cmd_read(g_ns, qpair, rbuf, 23000, 1, done_cb, &w, 0);
	}
	if (rc == 0) {
		wait_all(&w, qpair);
	}
	done_at = now_s();
	late = g_first_timeout_at - t0;
	CHECK(rc == 0 && g_timeouts_not_submitted == 1 && late >= 0.27 && late < 1.0,
	      "a stalled read is reported late once, after %.3f s (timeout 0.3 s, stall 1 s)", late);
	CHECK(w.completions == 1 && w.last.status.sc == PNVME_SC_ABORTED_BY_REQUEST &&
		      done_at - t0 >= 0.9,
	      "and still completes once, when its stall ends (%.3f s)", done_at - t0);
	CHECK(pnvme_ctrlr_register_timeout_callback(g_ctrlr, 0, 0, NULL, NULL) == 0,
	      "timeouts turned off again");
	pnvme_dma_free(rbuf);
}

/* Abort against the real peer: a command still in flight (reported late
 * by a 1 us timeout) is named by an Abort the controller accepts; the
 * command still completes exactly once, aborted or not. */
struct abort_test {
	struct pnvme_qpair *qpair;
	bool sent;
	int answered;
	struct pnvme_cpl cpl;
	int reads_done;
	int reads_failed; /* with anything but ABORTED - BY REQUEST */
};

static void
abort_answered(void *arg, const struct pnvme_cpl *cpl)
{
	struct abort_test *a = arg;

	a->answered++;
	a->cpl = *cpl;
}

static void
abort_test_read_done(void *arg, const struct pnvme_cpl *cpl)
{
	struct abort_test *a = arg;

	a->reads_done++;
	if (pnvme_cpl_is_error(cpl) && !(cpl->status.sct == PNVME_SCT_GENERIC &&
					 cpl->status.sc == PNVME_SC_ABORTED_BY_REQUEST)) {
		a->reads_failed++;
	}
}

static void
abort_late_command(void *arg, struct pnvme_ctrlr *ctrlr, struct pnvme_qpair *qpair, uint16_t cid)
{
	struct abort_test *a = arg;

	if (!a->sent && qpair == a->qpair && cid != PNVME_CID_NOT_SUBMITTED &&
	    pnvme_ctrlr_cmd_abort(ctrlr, qpair, cid, abort_answered, a) == 0) {
		a->sent = true;
	}
}

static void
test_abort(struct pnvme_qpair *qpair)
{
	/* Large reads stay in flight across polls even on a fast peer. */
	uint32_t len = pnvme_ctrlr_get_max_xfer_size(g_ctrlr);
	uint8_t *rbuf = pnvme_dma_zmalloc(4u << 20, 4096, NULL);
	struct abort_test a = {.qpair = qpair};
	int round, i, submitted = 0;
	double deadline = now_s() + 30;

	len = len > (1u << 20) ? 1u << 20 : len;
	pnvme_ctrlr_register_timeout_callback(g_ctrlr, 1, 0, abort_late_command, &a);
	for (round = 0; round < 20 && !a.sent; round++) {
		for (i = 0; i < 4; i++) {
			submitted += pnvme_ns_cmd_read(g_ns, qpair, rbuf + (size_t)i * len,
						       24000 + (uint64_t)i * (len / g_block),
						       len / g_block, abort_test_read_done, &a,
						       0) == 0;
		}
		while (a.reads_done < submitted && now_s() < deadline &&
		       pnvme_qpair_process_completions(qpair, 0) >= 0) {
		}
	}
	while (a.sent && a.answered == 0 && now_s() < deadline) {
		pnvme_ctrlr_process_admin_completions(g_ctrlr);
	}
	pnvme_ctrlr_register_timeout_callback(g_ctrlr, 0, 0, NULL, NULL);
	CHECK(a.sent && a.answered == 1 && !pnvme_cpl_is_error(&a.cpl),
	      "an Abort naming a command in flight is accepted (status 0x%x, %s)",
	      (unsigned)(a.cpl.status.sct << 8 | a.cpl.status.sc),
	      (a.cpl.cdw0 & 1) ? "not aborted" : "aborted");
	CHECK(submitted > 0 && a.reads_done == submitted && a.reads_failed == 0,
	      "every read completed exactly once, aborted or not (%d of %d, %d failed otherwise)",
	      a.reads_done, submitted, a.reads_failed);
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
	if (g_any_memory) {
		int rc;

		w.outstanding = 1;
		rc = pnvme_ns_cmd_read(g_ns, qpair, heap, 0, 1, done_cb, &w, 0);
		if (rc == 0) {
			wait_all(&w, qpair);
		}
		CHECK(rc == 0 && !w.errors, "any memory is a buffer over a fabric (rc %d)", rc);
		memset(&w, 0, sizeof(w));
	} else {
		/* PCIe needs an address the device can reach, NVMe/RDMA a
		 * buffer registered with the device. */
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
	g_any_memory = trid.trtype == PNVME_TRANSPORT_TCP;
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
	test_memory_after_connect(qpair);
	test_compare_zeroes_dsm_flush_copy(qpair);
	test_fused(qpair);
	test_error_injection(qpair);
	test_timeout(qpair);
	test_abort(qpair);
	test_bad_arguments(qpair);
	test_pool_and_queue_full();
	test_qpair_limit();
	test_threads();

	pnvme_ctrlr_free_io_qpair(qpair);
	CHECK(pnvme_detach(g_ctrlr) == 0, "detach");
	return g_failures ? 1 : 0;
}
