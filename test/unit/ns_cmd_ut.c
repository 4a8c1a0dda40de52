/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Namespace commands on a PCIe qpair over heap memory: command encoding,
 * splitting, argument checks, fused placement and doorbells, SGLs, shadow
 * doorbells and batching. The submission queue is read back as the device
 * would read it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "pcie_fixture.h"
#include "test_env.h"
#include "ut.h"

static int g_done;
static struct pnvme_cpl g_cpl;

static void
done_cb(void *arg, const struct pnvme_cpl *cpl)
{
	(void)arg;
	g_done++;
	g_cpl = *cpl;
}

static uint64_t
cmd_lba(const struct pnvme_cmd *cmd)
{
	return ((uint64_t)cmd->cdw11 << 32) | cmd->cdw10;
}

static void
test_read_encoding(void)
{
	struct pcie_fixture fx;
	uint8_t *buf = pnvme_dma_zmalloc(8192, 4096, NULL);
	struct pnvme_cmd *cmd;

	pcie_fixture_setup(&fx, 16, 32, 0);
	fx.ns.data.nsze = 1ull << 40; /* LBAs above 32 bits */
	g_done = 0;
	CU_ASSERT_EQUAL(pnvme_ns_cmd_read(&fx.ns, &fx.pq->qpair, buf, 0x123456789ull, 16, done_cb,
					  NULL, PNVME_IO_FLAGS_FUA),
			0);
	cmd = &fx.pq->sq[0];
	CU_ASSERT_EQUAL(cmd->opc, PNVME_OPC_READ);
	CU_ASSERT_EQUAL(cmd->nsid, 1);
	CU_ASSERT_EQUAL(cmd_lba(cmd), 0x123456789ull);
	CU_ASSERT_EQUAL(cmd->cdw12 & 0xffff, 15);
	CU_ASSERT(cmd->cdw12 & PNVME_IO_FLAGS_FUA);
	CU_ASSERT_EQUAL(cmd->psdt, PNVME_PSDT_PRP);
	CU_ASSERT_EQUAL(cmd->dptr.prp.prp1, (uintptr_t)buf);
	CU_ASSERT_EQUAL(cmd->dptr.prp.prp2, (uintptr_t)buf + 4096);
	CU_ASSERT_EQUAL(pcie_fixture_sq_doorbell(&fx), 1);
	pcie_fixture_complete(&fx, 0, 0);
	CU_ASSERT_EQUAL(pnvme_qpair_process_completions(&fx.pq->qpair, 0), 1);
	CU_ASSERT_EQUAL(g_done, 1);
	pcie_fixture_teardown(&fx);
	pnvme_dma_free(buf);
}

/* A completion callback that fails the controller and submits again, in
 * the middle of the poll: the submission is refused, the poll goes on
 * with the ring it is walking, and each command completes exactly once. */
static struct pcie_fixture *g_fx;
static void *g_buf;
static int g_resubmit_rc = 1;

static void
fail_and_resubmit_cb(void *arg, const struct pnvme_cpl *cpl)
{
	done_cb(arg, cpl);
	if (g_done == 1) {
		nvme_ctrlr_fail(&g_fx->ctrlr.ctrlr, "test: failed from a callback");
		g_resubmit_rc = pnvme_ns_cmd_read(&g_fx->ns, &g_fx->pq->qpair, g_buf, 0, 1, done_cb,
						  NULL, 0);
	}
}

static void
test_submit_from_callback_after_a_change(void)
{
	struct pcie_fixture fx;

	g_buf = pnvme_dma_zmalloc(4096, 4096, NULL);
	g_fx = &fx;
	pcie_fixture_setup(&fx, 16, 32, 0);
	g_done = 0;
	test_log_capture_start();
	CU_ASSERT_EQUAL(pnvme_ns_cmd_read(&fx.ns, &fx.pq->qpair, g_buf, 0, 1, fail_and_resubmit_cb,
					  NULL, 0),
			0);
	CU_ASSERT_EQUAL(pnvme_ns_cmd_read(&fx.ns, &fx.pq->qpair, g_buf, 8, 1, fail_and_resubmit_cb,
					  NULL, 0),
			0);
	pcie_fixture_complete(&fx, 0, 0);
	pcie_fixture_complete(&fx, 1, 0);
	CU_ASSERT_EQUAL(pnvme_qpair_process_completions(&fx.pq->qpair, 0), 2);
	CU_ASSERT_EQUAL(g_resubmit_rc, -ENXIO);
	CU_ASSERT_EQUAL(g_done, 2);
	CU_ASSERT_FALSE(test_log_contains("not outstanding"));
	/* The next poll catches up: nothing is left to complete. */
	CU_ASSERT_EQUAL(pnvme_qpair_process_completions(&fx.pq->qpair, 0), -ENXIO);
	CU_ASSERT_EQUAL(g_done, 2);
	CU_ASSERT_EQUAL(fx.pq->qpair.num_free_reqs, 32);
	pnvme_log_set_handler(NULL);
	pcie_fixture_teardown(&fx);
	pnvme_dma_free(g_buf);
}

static void
test_split_at_mdts_and_boundary(void)
{
	struct pcie_fixture fx;
	uint8_t *buf = pnvme_dma_zmalloc(1 << 20, 4096, NULL);
	int i;

	/* 128 KiB MDTS = 256 blocks; 600 blocks -> 256 + 256 + 88. */
	pcie_fixture_setup(&fx, 16, 32, 0);
	g_done = 0;
	CU_ASSERT_EQUAL(pnvme_ns_cmd_write(&fx.ns, &fx.pq->qpair, buf, 1000, 600, done_cb, NULL, 0),
			0);
	CU_ASSERT_EQUAL(fx.pq->sq_tail, 3);
	CU_ASSERT_EQUAL(cmd_lba(&fx.pq->sq[0]), 1000);
	CU_ASSERT_EQUAL(fx.pq->sq[0].cdw12 & 0xffff, 255);
	CU_ASSERT_EQUAL(cmd_lba(&fx.pq->sq[1]), 1256);
	CU_ASSERT_EQUAL(fx.pq->sq[1].dptr.prp.prp1, (uintptr_t)buf + 256 * 512);
	CU_ASSERT_EQUAL(cmd_lba(&fx.pq->sq[2]), 1512);
	CU_ASSERT_EQUAL(fx.pq->sq[2].cdw12 & 0xffff, 87);
	/* One completion to the caller, after the last child; first error wins. */
	pcie_fixture_complete(&fx, 1, PNVME_SC_DATA_TRANSFER_ERROR);
	pcie_fixture_complete(&fx, 0, 0);
	CU_ASSERT_EQUAL(pnvme_qpair_process_completions(&fx.pq->qpair, 0), 2);
	CU_ASSERT_EQUAL(g_done, 0);
	pcie_fixture_complete(&fx, 2, 0);
	pnvme_qpair_process_completions(&fx.pq->qpair, 0);
	CU_ASSERT_EQUAL(g_done, 1);
	CU_ASSERT_EQUAL(g_cpl.status.sc, PNVME_SC_DATA_TRANSFER_ERROR);
	CU_ASSERT_EQUAL(fx.pq->qpair.num_free_reqs, 32);
	pcie_fixture_teardown(&fx);

	/* Optimal I/O boundary of 64 blocks: 100 blocks from 50 -> 14 + 64 + 22. */
	pcie_fixture_setup(&fx, 16, 32, 0);
	fx.ns.optimal_io_boundary = 64;
	CU_ASSERT_EQUAL(pnvme_ns_cmd_read(&fx.ns, &fx.pq->qpair, buf, 50, 100, done_cb, NULL, 0), 0);
	CU_ASSERT_EQUAL(fx.pq->sq_tail, 3);
	CU_ASSERT_EQUAL(fx.pq->sq[0].cdw12 & 0xffff, 13);
	CU_ASSERT_EQUAL(cmd_lba(&fx.pq->sq[1]), 64);
	CU_ASSERT_EQUAL(fx.pq->sq[1].cdw12 & 0xffff, 63);
	CU_ASSERT_EQUAL(cmd_lba(&fx.pq->sq[2]), 128);
	CU_ASSERT_EQUAL(fx.pq->sq[2].cdw12 & 0xffff, 21);
	for (i = 0; i < 3; i++) {
		pcie_fixture_complete(&fx, (uint16_t)i, 0);
	}
	g_done = 0;
	pnvme_qpair_process_completions(&fx.pq->qpair, 0);
	CU_ASSERT_EQUAL(g_done, 1);
	pcie_fixture_teardown(&fx);
	pnvme_dma_free(buf);
}

/* A namespace of 512-byte blocks with 8 bytes of metadata, type 1. */
static void
format_with_pi(struct pcie_fixture *fx, bool extended)
{
	fx->ns.md_size = 8;
	fx->ns.sector_size = 512;
	fx->ns.extended_lba_size = extended ? 520 : 512;
	fx->ns.data.flbas = extended ? PNVME_FLBAS_EXTENDED_METADATA : 0;
	fx->ns.pi_type = PNVME_PI_TYPE1;
}

static void
test_metadata_and_pi(void)
{
	struct pcie_fixture fx;
	uint8_t *buf = pnvme_dma_zmalloc(1 << 20, 4096, NULL);
	uint8_t *md = pnvme_dma_zmalloc(8192, 4096, NULL);
	const uint32_t chk = PNVME_IO_FLAGS_PRCHK_GUARD | PNVME_IO_FLAGS_PRCHK_REFTAG;
	struct pnvme_cmd *cmd;

	/* Metadata apart: MPTR, the checks, the expected tags. */
	pcie_fixture_setup(&fx, 16, 32, 0);
	format_with_pi(&fx, false);
	test_log_capture_start();
	CU_ASSERT_EQUAL(pnvme_ns_cmd_read(&fx.ns, &fx.pq->qpair, buf, 100, 8, done_cb, NULL, 0),
			-EINVAL);
	CU_ASSERT(test_log_contains("separate buffer"));
	CU_ASSERT_EQUAL(pnvme_ns_cmd_read_with_md(&fx.ns, &fx.pq->qpair, buf, md + 3, 100, 8,
						  done_cb, NULL, chk, 0xffff, 0x1234),
			-EINVAL);
	pnvme_log_set_handler(NULL);
	CU_ASSERT_EQUAL(pnvme_ns_cmd_read_with_md(&fx.ns, &fx.pq->qpair, buf, md, 100, 8, done_cb,
						  NULL, chk, 0xffff, 0x1234),
			0);
	cmd = &fx.pq->sq[0];
	CU_ASSERT_EQUAL(cmd->mptr, (uintptr_t)md);
	CU_ASSERT_EQUAL(cmd->cdw12, 7u | chk);
	CU_ASSERT_EQUAL(cmd->cdw14, 100);
	CU_ASSERT_EQUAL(cmd->cdw15, 0xffff1234u);
	CU_ASSERT_EQUAL(cmd->dptr.prp.prp1, (uintptr_t)buf);
	/* PRACT with protection-only metadata: none is transferred. */
	CU_ASSERT_EQUAL(pnvme_ns_cmd_write_with_md(&fx.ns, &fx.pq->qpair, buf, NULL, 0, 16, done_cb,
						   NULL, PNVME_IO_FLAGS_PRACT, 0, 0),
			0);
	CU_ASSERT_EQUAL(fx.pq->sq[1].mptr, 0);
	CU_ASSERT_EQUAL(fx.pq->sq[1].cdw12, 15u | PNVME_IO_FLAGS_PRACT);
	/* Split at MDTS (256 blocks): each child's metadata at its block. */
	CU_ASSERT_EQUAL(pnvme_ns_cmd_write_with_md(&fx.ns, &fx.pq->qpair, buf, md, 1000, 300,
						   done_cb, NULL, 0, 0, 0),
			0);
	CU_ASSERT_EQUAL(fx.pq->sq[2].mptr, (uintptr_t)md);
	CU_ASSERT_EQUAL(fx.pq->sq[3].mptr, (uintptr_t)md + 256 * 8);
	CU_ASSERT_EQUAL(fx.pq->sq[3].cdw14, 1256);
	/* Verify carries the checks asked for, and the expected tags. */
	CU_ASSERT_EQUAL(pnvme_ns_cmd_verify(&fx.ns, &fx.pq->qpair, 500, 8, done_cb, NULL, chk), 0);
	CU_ASSERT_EQUAL(fx.pq->sq[4].opc, PNVME_OPC_VERIFY);
	CU_ASSERT_EQUAL(fx.pq->sq[4].cdw12, 7u | chk);
	CU_ASSERT_EQUAL(fx.pq->sq[4].cdw14, 500);
	pcie_fixture_teardown(&fx);

	/* Compare: the metadata goes along (MPTR) with the checks and tags;
	 * without it the metadata kept apart has nowhere to come from. */
	pcie_fixture_setup(&fx, 16, 32, PNVME_CTRLR_FUSED_COMPARE_WRITE);
	format_with_pi(&fx, false);
	test_log_capture_start();
	CU_ASSERT_EQUAL(pnvme_ns_cmd_compare(&fx.ns, &fx.pq->qpair, buf, 100, 8, done_cb, NULL, 0),
			-EINVAL);
	CU_ASSERT(test_log_contains("compare: namespace 1 keeps 8 bytes of metadata"));
	pnvme_log_set_handler(NULL);
	CU_ASSERT_EQUAL(pnvme_ns_cmd_compare_with_md(&fx.ns, &fx.pq->qpair, buf, md, 300, 8,
						     done_cb, NULL, chk, 0xff00, 0x4200),
			0);
	cmd = &fx.pq->sq[0];
	CU_ASSERT_EQUAL(cmd->opc, PNVME_OPC_COMPARE);
	CU_ASSERT_EQUAL(cmd->mptr, (uintptr_t)md);
	CU_ASSERT_EQUAL(cmd->cdw12, 7u | chk);
	CU_ASSERT_EQUAL(cmd->cdw14, 300);
	CU_ASSERT_EQUAL(cmd->cdw15, 0xff004200u);
	/* A fused pair on that namespace: both halves carry their metadata. */
	CU_ASSERT_EQUAL(pnvme_ns_cmd_compare_with_md(&fx.ns, &fx.pq->qpair, buf, md, 400, 4,
						     done_cb, NULL,
						     PNVME_IO_FLAGS_FUSE_FIRST |
							     PNVME_IO_FLAGS_PRCHK_GUARD,
						     0, 0),
			0);
	CU_ASSERT_EQUAL(pnvme_ns_cmd_write_with_md(&fx.ns, &fx.pq->qpair, buf + 4 * 512, md + 32,
						   400, 4, done_cb, NULL,
						   PNVME_IO_FLAGS_FUSE_SECOND |
							   PNVME_IO_FLAGS_PRCHK_GUARD,
						   0, 0),
			0);
	CU_ASSERT_EQUAL(fx.pq->sq[1].fuse, PNVME_FUSE_FIRST);
	CU_ASSERT_EQUAL(fx.pq->sq[1].mptr, (uintptr_t)md);
	CU_ASSERT_EQUAL(fx.pq->sq[2].fuse, PNVME_FUSE_SECOND);
	CU_ASSERT_EQUAL(fx.pq->sq[2].opc, PNVME_OPC_WRITE);
	CU_ASSERT_EQUAL(fx.pq->sq[2].mptr, (uintptr_t)md + 32);
	CU_ASSERT_EQUAL(fx.pq->sq[2].cdw14, 400);
	/* Without ONCS compare, refused by name. */
	fx.ctrlr.ctrlr.cdata.oncs = 0;
	test_log_capture_start();
	CU_ASSERT_EQUAL(pnvme_ns_cmd_compare_with_md(&fx.ns, &fx.pq->qpair, buf, md, 0, 1, done_cb,
						     NULL, 0, 0, 0),
			-ENOTSUP);
	CU_ASSERT(test_log_contains("compare_with_md: the controller does not support it"));
	pnvme_log_set_handler(NULL);
	pcie_fixture_teardown(&fx);

	/* Interleaved: blocks of 520 bytes, unless PRACT strips the 8. */
	pcie_fixture_setup(&fx, 16, 32, 0);
	format_with_pi(&fx, true);
	test_log_capture_start();
	CU_ASSERT_EQUAL(pnvme_ns_cmd_read_with_md(&fx.ns, &fx.pq->qpair, buf, md, 0, 8, done_cb,
						  NULL, 0, 0, 0),
			-EINVAL);
	pnvme_log_set_handler(NULL);
	CU_ASSERT_EQUAL(pnvme_ns_cmd_read(&fx.ns, &fx.pq->qpair, buf, 0, 8, done_cb, NULL, 0), 0);
	/* 8 x 520 bytes cross a page: a second PRP. */
	CU_ASSERT_EQUAL(fx.pq->sq[0].dptr.prp.prp2, (uintptr_t)buf + 4096);
	CU_ASSERT_EQUAL(pnvme_ns_cmd_read(&fx.ns, &fx.pq->qpair, buf, 0, 8, done_cb, NULL,
					  PNVME_IO_FLAGS_PRACT),
			0);
	CU_ASSERT_EQUAL(fx.pq->sq[1].dptr.prp.prp2, 0);
	/* Type 3 has no reference tag to check (nor to send). */
	fx.ns.pi_type = PNVME_PI_TYPE3;
	test_log_capture_start();
	CU_ASSERT_EQUAL(pnvme_ns_cmd_read(&fx.ns, &fx.pq->qpair, buf, 0, 1, done_cb, NULL,
					  PNVME_IO_FLAGS_PRCHK_REFTAG),
			-EINVAL);
	CU_ASSERT(test_log_contains("type 3"));
	pnvme_log_set_handler(NULL);
	CU_ASSERT_EQUAL(pnvme_ns_cmd_read(&fx.ns, &fx.pq->qpair, buf, 77, 1, done_cb, NULL,
					  PNVME_IO_FLAGS_PRCHK_GUARD),
			0);
	CU_ASSERT_EQUAL(fx.pq->sq[2].cdw14, 0);
	pcie_fixture_teardown(&fx);

	/* Protection flags on a namespace without protection information. */
	pcie_fixture_setup(&fx, 16, 32, 0);
	test_log_capture_start();
	CU_ASSERT_EQUAL(pnvme_ns_cmd_read(&fx.ns, &fx.pq->qpair, buf, 0, 1, done_cb, NULL,
					  PNVME_IO_FLAGS_PRCHK_GUARD),
			-EINVAL);
	CU_ASSERT(test_log_contains("has none"));
	pnvme_log_set_handler(NULL);
	pcie_fixture_teardown(&fx);
	pnvme_dma_free(md);
	pnvme_dma_free(buf);
}

static void
test_dif_generate_verify(void)
{
	struct pcie_fixture fx;
	uint8_t *buf = calloc(8, 520), *data = calloc(8, 512), *md = calloc(8, 16);
	uint64_t bad = 0;
	int i;

	for (i = 0; i < 8 * 520; i++) {
		buf[i] = (uint8_t)(i * 7);
	}
	pcie_fixture_setup(&fx, 16, 32, 0);
	format_with_pi(&fx, true);
	/* Generated, then checked as the controller would: clean. */
	CU_ASSERT_EQUAL(pnvme_ns_dif_generate(&fx.ns, buf, NULL, 5000, 8, 0x42), 0);
	/* The reference tag of block 3: big-endian LBA 5003, last 4 bytes. */
	CU_ASSERT_EQUAL(buf[3 * 520 + 512 + 7], (5003 & 0xff));
	CU_ASSERT_EQUAL(buf[3 * 520 + 512 + 2], 0x00);
	CU_ASSERT_EQUAL(buf[3 * 520 + 512 + 3], 0x42);
	CU_ASSERT_EQUAL(pnvme_ns_dif_verify(&fx.ns, buf, NULL, 5000, 8,
					    PNVME_IO_FLAGS_PRCHK_GUARD | PNVME_IO_FLAGS_PRCHK_APPTAG |
						    PNVME_IO_FLAGS_PRCHK_REFTAG,
					    0xffff, 0x42, &bad),
			0);
	test_log_capture_start();
	/* A data bit flipped: the guard, at that block. */
	buf[5 * 520 + 17] ^= 1;
	CU_ASSERT_EQUAL(pnvme_ns_dif_verify(&fx.ns, buf, NULL, 5000, 8, PNVME_IO_FLAGS_PRCHK_GUARD,
					    0, 0, &bad),
			-EILSEQ);
	CU_ASSERT_EQUAL(bad, 5005);
	CU_ASSERT(test_log_contains("block 5005: the guard"));
	/* Not asked to check the guard: passes. */
	CU_ASSERT_EQUAL(pnvme_ns_dif_verify(&fx.ns, buf, NULL, 5000, 8, PNVME_IO_FLAGS_PRCHK_REFTAG,
					    0, 0, &bad),
			0);
	buf[5 * 520 + 17] ^= 1;
	/* Read back as if from other LBAs: the reference tag. */
	CU_ASSERT_EQUAL(pnvme_ns_dif_verify(&fx.ns, buf, NULL, 6000, 8, PNVME_IO_FLAGS_PRCHK_REFTAG,
					    0, 0, &bad),
			-EILSEQ);
	CU_ASSERT(test_log_contains("reference tag"));
	/* Type 3 checks no reference tag. */
	fx.ns.pi_type = PNVME_PI_TYPE3;
	CU_ASSERT_EQUAL(pnvme_ns_dif_verify(&fx.ns, buf, NULL, 6000, 8, PNVME_IO_FLAGS_PRCHK_REFTAG,
					    0, 0, &bad),
			0);
	fx.ns.pi_type = PNVME_PI_TYPE1;
	/* The application tag under its mask; FFFFh switches checks off. */
	CU_ASSERT_EQUAL(pnvme_ns_dif_verify(&fx.ns, buf, NULL, 5000, 8, PNVME_IO_FLAGS_PRCHK_APPTAG,
					    0x00ff, 0x1142, &bad),
			0);
	CU_ASSERT_EQUAL(pnvme_ns_dif_verify(&fx.ns, buf, NULL, 5000, 8, PNVME_IO_FLAGS_PRCHK_APPTAG,
					    0xffff, 0x1142, &bad),
			-EILSEQ);
	CU_ASSERT_EQUAL(pnvme_ns_dif_generate(&fx.ns, buf, NULL, 5000, 8, 0xffff), 0);
	buf[17] ^= 1;
	CU_ASSERT_EQUAL(pnvme_ns_dif_verify(&fx.ns, buf, NULL, 5000, 8, PNVME_IO_FLAGS_PRCHK_GUARD,
					    0, 0, &bad),
			0);

	/* Metadata apart, 16 bytes, protection information first: the guard
	 * covers the data only; last: data and the 8 bytes before it. */
	fx.ns.md_size = 16;
	fx.ns.extended_lba_size = 512;
	fx.ns.data.flbas = 0;
	CU_ASSERT_EQUAL(pnvme_ns_dif_generate(&fx.ns, data, NULL, 0, 8, 0), -EINVAL);
	fx.ns.pi_first = true;
	CU_ASSERT_EQUAL(pnvme_ns_dif_generate(&fx.ns, data, md, 0, 8, 7), 0);
	CU_ASSERT_EQUAL(md[16 + 3], 7);
	md[16 + 9] ^= 1; /* metadata after the protection information: not covered */
	CU_ASSERT_EQUAL(pnvme_ns_dif_verify(&fx.ns, data, md, 0, 8, PNVME_IO_FLAGS_PRCHK_GUARD, 0, 0,
					    &bad),
			0);
	fx.ns.pi_first = false;
	CU_ASSERT_EQUAL(pnvme_ns_dif_generate(&fx.ns, data, md, 0, 8, 7), 0);
	CU_ASSERT_EQUAL(md[16 + 8 + 3], 7);
	md[16 + 1] ^= 1; /* metadata before it: covered */
	CU_ASSERT_EQUAL(pnvme_ns_dif_verify(&fx.ns, data, md, 0, 8, PNVME_IO_FLAGS_PRCHK_GUARD, 0, 0,
					    &bad),
			-EILSEQ);
	CU_ASSERT_EQUAL(bad, 1);
	fx.ns.pi_type = PNVME_PI_NONE;
	CU_ASSERT_EQUAL(pnvme_ns_dif_generate(&fx.ns, data, md, 0, 8, 7), -EINVAL);
	pnvme_log_set_handler(NULL);
	pcie_fixture_teardown(&fx);
	free(buf);
	free(data);
	free(md);
}

static void
test_argument_errors(void)
{
	struct pcie_fixture fx;
	uint8_t *buf = pnvme_dma_zmalloc(1 << 16, 4096, NULL);
	uint8_t heap[1024];
	struct iovec iov[3];

	pcie_fixture_setup(&fx, 16, 32, 0);
	test_log_capture_start();
	CU_ASSERT_EQUAL(pnvme_ns_cmd_read(&fx.ns, &fx.pq->qpair, buf, 0, 0, done_cb, NULL, 0),
			-EINVAL);
	CU_ASSERT(test_log_contains("read: zero blocks"));
	CU_ASSERT_EQUAL(pnvme_ns_cmd_read(&fx.ns, &fx.pq->qpair, buf, (1u << 20) - 1, 2, done_cb,
					  NULL, 0),
			-EINVAL);
	CU_ASSERT(test_log_contains("lie beyond namespace 1's 1048576 blocks"));
	CU_ASSERT_EQUAL(pnvme_ns_cmd_write(&fx.ns, &fx.pq->qpair, heap, 0, 1, done_cb, NULL, 0),
			-EINVAL);
	CU_ASSERT(test_log_contains("is not DMA-able memory"));
	CU_ASSERT_EQUAL(pnvme_ns_cmd_write(&fx.ns, &fx.pq->qpair, buf + 2, 0, 1, done_cb, NULL, 0),
			-EINVAL);
	CU_ASSERT(test_log_contains("not dword-aligned"));
	/* Without SGLs, inner vector edges must fall on pages. */
	iov[0].iov_base = buf;
	iov[0].iov_len = 1024;
	iov[1].iov_base = buf + 8192;
	iov[1].iov_len = 1024;
	CU_ASSERT_EQUAL(pnvme_ns_cmd_writev(&fx.ns, &fx.pq->qpair, iov, 2, 0, 4, done_cb, NULL, 0),
			-EINVAL);
	CU_ASSERT(test_log_contains("page boundaries"));
	iov[0].iov_len = 4096;
	iov[1].iov_len = 4096;
	iov[2].iov_base = buf + 16384;
	iov[2].iov_len = 512;
	/* 8704 bytes in the vector, 16 blocks (8192 bytes) asked for. */
	CU_ASSERT_EQUAL(pnvme_ns_cmd_writev(&fx.ns, &fx.pq->qpair, iov, 3, 0, 16, done_cb, NULL, 0),
			-EINVAL);
	CU_ASSERT(test_log_contains("vector holds 8704 bytes, the blocks need 8192"));
	CU_ASSERT_EQUAL(pnvme_ns_cmd_writev(&fx.ns, &fx.pq->qpair, iov, PNVME_MAX_IOVCNT + 1, 0, 1,
					   done_cb, NULL, 0),
			-EINVAL);
	CU_ASSERT_EQUAL(pnvme_ns_cmd_read(&fx.ns, &fx.pq->qpair, buf, 0, 1, done_cb, NULL, 1u << 20),
			-EINVAL);
	CU_ASSERT(test_log_contains("unknown io_flags"));
	/* The admin qpair is not for I/O. */
	fx.pq->qpair.id = 0;
	CU_ASSERT_EQUAL(pnvme_ns_cmd_read(&fx.ns, &fx.pq->qpair, buf, 0, 1, done_cb, NULL, 0),
			-EINVAL);
	fx.pq->qpair.id = 1;
	/* Nothing reached the queue. */
	CU_ASSERT_EQUAL(fx.pq->sq_tail, 0);
	fx.ctrlr.ctrlr.cdata.oncs = 0;
	CU_ASSERT_EQUAL(pnvme_ns_cmd_write_zeroes(&fx.ns, &fx.pq->qpair, 0, 1, done_cb, NULL, 0),
			-ENOTSUP);
	CU_ASSERT(test_log_contains("write_zeroes: the controller does not support it"));
	pnvme_log_set_handler(NULL);
	pcie_fixture_teardown(&fx);
	pnvme_dma_free(buf);
}

/*
 * A transfer that needs more child requests than the qpair has at all is
 * an argument error, not a shortage: -ENOMEM would have the caller retry
 * forever.
 */
static void
test_split_larger_than_pool(void)
{
	struct pcie_fixture fx;
	uint8_t *buf = pnvme_dma_zmalloc(1 << 20, 4096, NULL);

	test_log_capture_start();
	pcie_fixture_setup(&fx, 16, 3, 0);
	/* 600 blocks at 256 per command: 3 children + the parent, 3 requests. */
	CU_ASSERT_EQUAL(pnvme_ns_cmd_read(&fx.ns, &fx.pq->qpair, buf, 0, 600, done_cb, NULL, 0),
			-EINVAL);
	CU_ASSERT(test_log_contains("need 4 commands"));
	CU_ASSERT_EQUAL(fx.pq->sq_tail, 0);
	CU_ASSERT_EQUAL(fx.pq->qpair.num_free_reqs, 3);
	/* 2 children + the parent fit exactly. */
	CU_ASSERT_EQUAL(pnvme_ns_cmd_read(&fx.ns, &fx.pq->qpair, buf, 0, 512, done_cb, NULL, 0), 0);
	CU_ASSERT_EQUAL(fx.pq->sq_tail, 2);
	pcie_fixture_teardown(&fx);
	pnvme_log_set_handler(NULL);
	pnvme_dma_free(buf);
}

/* The fuse field's value 3 is reserved: refused, never taken as a SECOND. */
static void
test_reserved_fuse_value(void)
{
	struct pcie_fixture fx;
	struct pnvme_cmd cmd;

	test_log_capture_start();
	pcie_fixture_setup(&fx, 16, 32, PNVME_CTRLR_FUSED_COMPARE_WRITE);
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = PNVME_OPC_FLUSH;
	cmd.nsid = 1;
	cmd.fuse = 3;
	CU_ASSERT_EQUAL(pnvme_ctrlr_cmd_io_raw(&fx.ctrlr.ctrlr, &fx.pq->qpair, &cmd, NULL, 0,
					       done_cb, NULL),
			-EINVAL);
	CU_ASSERT(test_log_contains("fused operation value 3 is reserved"));
	CU_ASSERT_EQUAL(fx.pq->sq_tail, 0);
	CU_ASSERT_EQUAL(fx.pq->qpair.num_free_reqs, 32);
	pcie_fixture_teardown(&fx);
	pnvme_log_set_handler(NULL);
}

static int g_order[64];
static int g_num_order;

static void
order_cb(void *arg, const struct pnvme_cpl *cpl)
{
	CU_ASSERT(!pnvme_cpl_is_error(cpl));
	if (g_num_order < 64) {
		g_order[g_num_order] = (int)(uintptr_t)arg;
	}
	g_num_order++;
}

/* Four times as many commands as the queue holds (what perf -q 4N does on
 * an N-entry queue): the rest wait in software and go out in order as
 * slots free; each completes once. */
static void
test_depth_four_times_the_queue(void)
{
	struct pcie_fixture fx;
	uint8_t *buf = pnvme_dma_zmalloc(4096, 4096, NULL);
	int i, polls;

	pcie_fixture_setup(&fx, 4, 16, 0);
	g_num_order = 0;
	for (i = 0; i < 16; i++) {
		CU_ASSERT_EQUAL(pnvme_ns_cmd_read(&fx.ns, &fx.pq->qpair, buf, (uint64_t)i, 1,
						  order_cb, (void *)(uintptr_t)i, 0),
				0);
	}
	for (polls = 0; polls < 64 && g_num_order < 16; polls++) {
		uint16_t inflight = (uint16_t)(fx.pq->num_trackers - fx.pq->num_free);
		uint16_t tail = fx.pq->sq_tail;

		CU_ASSERT(inflight <= 3); /* a 4-entry SQ holds 3 */
		for (i = inflight; i > 0; i--) {
			pcie_fixture_complete(&fx, (uint16_t)((tail + 4 - i) % 4), 0);
		}
		CU_ASSERT(pnvme_qpair_process_completions(&fx.pq->qpair, 0) >= 0);
	}
	CU_ASSERT_EQUAL_FATAL(g_num_order, 16);
	for (i = 0; i < 16; i++) {
		CU_ASSERT_EQUAL(g_order[i], i);
	}
	CU_ASSERT_EQUAL(fx.pq->qpair.num_free_reqs, 16);
	pcie_fixture_teardown(&fx);
	pnvme_dma_free(buf);
}

static void
test_pool_exhaustion_loses_nothing(void)
{
	struct pcie_fixture fx;
	uint8_t *buf = pnvme_dma_zmalloc(1 << 20, 4096, NULL);
	int i, accepted = 0;

	pcie_fixture_setup(&fx, 4, 6, 0);
	g_done = 0;
	/* A split needing 3 children + parent when only 2 requests are free. */
	for (i = 0; i < 4; i++) {
		CU_ASSERT_EQUAL(pnvme_ns_cmd_read(&fx.ns, &fx.pq->qpair, buf, (uint64_t)i, 1, done_cb,
						  NULL, 0),
				0);
	}
	CU_ASSERT_EQUAL(pnvme_ns_cmd_read(&fx.ns, &fx.pq->qpair, buf, 0, 600, done_cb, NULL, 0),
			-ENOMEM);
	for (i = 0; i < 3; i++) {
		if (pnvme_ns_cmd_read(&fx.ns, &fx.pq->qpair, buf, 0, 1, done_cb, NULL, 0) == 0) {
			accepted++;
		}
	}
	CU_ASSERT_EQUAL(accepted, 2);
	/* 3 in the device, 3 queued: complete them all in order. */
	while (g_done < 6) {
		uint16_t inflight = (uint16_t)(fx.pq->num_trackers - fx.pq->num_free);
		uint16_t tail = fx.pq->sq_tail;

		for (i = inflight; i > 0; i--) {
			pcie_fixture_complete(&fx, (uint16_t)((tail + 4 - i) % 4), 0);
		}
		if (pnvme_qpair_process_completions(&fx.pq->qpair, 0) <= 0) {
			break;
		}
	}
	CU_ASSERT_EQUAL(g_done, 6);
	CU_ASSERT_EQUAL(fx.pq->qpair.num_free_reqs, 6);
	pcie_fixture_teardown(&fx);
	pnvme_dma_free(buf);
}

static void
test_fused_refused_without_fuses(void)
{
	struct pcie_fixture fx;
	uint8_t *buf = pnvme_dma_zmalloc(4096, 4096, NULL);

	pcie_fixture_setup(&fx, 16, 32, 0);
	test_log_capture_start();
	CU_ASSERT_EQUAL(pnvme_ns_cmd_compare(&fx.ns, &fx.pq->qpair, buf, 0, 1, done_cb, NULL,
					     PNVME_IO_FLAGS_FUSE_FIRST),
			-ENOTSUP);
	CU_ASSERT(test_log_contains("does not support fused compare-and-write"));
	CU_ASSERT_EQUAL(fx.pq->sq_tail, 0);
	pnvme_log_set_handler(NULL);
	pcie_fixture_teardown(&fx);
	pnvme_dma_free(buf);
}

static void
test_fused_adjacent_one_doorbell(void)
{
	struct pcie_fixture fx;
	uint8_t *cbuf = pnvme_dma_zmalloc(4096, 4096, NULL);
	uint8_t *wbuf = pnvme_dma_zmalloc(4096, 4096, NULL);

	pcie_fixture_setup(&fx, 16, 32, PNVME_CTRLR_FUSED_COMPARE_WRITE);
	g_done = 0;
	CU_ASSERT_EQUAL(pnvme_ns_cmd_read(&fx.ns, &fx.pq->qpair, wbuf, 5, 1, done_cb, NULL, 0), 0);
	CU_ASSERT_EQUAL(fx.pq->sq_mmio_writes, 1);
	CU_ASSERT_EQUAL(pnvme_ns_cmd_compare(&fx.ns, &fx.pq->qpair, cbuf, 9, 1, done_cb, NULL,
					     PNVME_IO_FLAGS_FUSE_FIRST),
			0);
	/* The FIRST waits for its SECOND: not in the queue, no doorbell. */
	CU_ASSERT_EQUAL(fx.pq->sq_tail, 1);
	CU_ASSERT_EQUAL(fx.pq->sq_mmio_writes, 1);
	CU_ASSERT_EQUAL(pnvme_ns_cmd_write(&fx.ns, &fx.pq->qpair, wbuf, 9, 1, done_cb, NULL,
					   PNVME_IO_FLAGS_FUSE_SECOND),
			0);
	CU_ASSERT_EQUAL(fx.pq->sq_tail, 3);
	CU_ASSERT_EQUAL(fx.pq->sq[1].opc, PNVME_OPC_COMPARE);
	CU_ASSERT_EQUAL(fx.pq->sq[1].fuse, PNVME_FUSE_FIRST);
	CU_ASSERT_EQUAL(fx.pq->sq[2].opc, PNVME_OPC_WRITE);
	CU_ASSERT_EQUAL(fx.pq->sq[2].fuse, PNVME_FUSE_SECOND);
	/* Exactly one doorbell for the pair, showing both. */
	CU_ASSERT_EQUAL(fx.pq->sq_mmio_writes, 2);
	CU_ASSERT_EQUAL(pcie_fixture_sq_doorbell(&fx), 3);
	pcie_fixture_teardown(&fx);
	pnvme_dma_free(cbuf);
	pnvme_dma_free(wbuf);
}

static void
test_fused_rules(void)
{
	struct pcie_fixture fx;
	uint8_t *buf = pnvme_dma_zmalloc(1 << 20, 4096, NULL);

	pcie_fixture_setup(&fx, 16, 32, PNVME_CTRLR_FUSED_COMPARE_WRITE);
	test_log_capture_start();
	/* Unpaired SECOND. */
	CU_ASSERT_EQUAL(pnvme_ns_cmd_write(&fx.ns, &fx.pq->qpair, buf, 9, 1, done_cb, NULL,
					   PNVME_IO_FLAGS_FUSE_SECOND),
			-EINVAL);
	CU_ASSERT(test_log_contains("fused SECOND without a FIRST"));
	/* Wrong commands for the roles. */
	CU_ASSERT_EQUAL(pnvme_ns_cmd_write(&fx.ns, &fx.pq->qpair, buf, 9, 1, done_cb, NULL,
					   PNVME_IO_FLAGS_FUSE_FIRST),
			-EINVAL);
	/* A pair that would need splitting. */
	CU_ASSERT_EQUAL(pnvme_ns_cmd_compare(&fx.ns, &fx.pq->qpair, buf, 0, 600, done_cb, NULL,
					     PNVME_IO_FLAGS_FUSE_FIRST),
			-EINVAL);
	CU_ASSERT(test_log_contains("a fused command may not be split"));
	/* FIRST followed by something else. */
	CU_ASSERT_EQUAL(pnvme_ns_cmd_compare(&fx.ns, &fx.pq->qpair, buf, 9, 1, done_cb, NULL,
					     PNVME_IO_FLAGS_FUSE_FIRST),
			0);
	CU_ASSERT_EQUAL(pnvme_ns_cmd_read(&fx.ns, &fx.pq->qpair, buf, 1, 1, done_cb, NULL, 0),
			-EINVAL);
	CU_ASSERT(test_log_contains("must be followed by its SECOND"));
	CU_ASSERT_EQUAL(fx.pq->sq_tail, 0);
	/* Failing the qpair completes the held FIRST once. */
	g_done = 0;
	nvme_qpair_fail(&fx.pq->qpair);
	CU_ASSERT_EQUAL(g_done, 1);
	CU_ASSERT_EQUAL(g_cpl.status.sc, PNVME_SC_ABORTED_SQ_DELETION);
	pnvme_log_set_handler(NULL);
	pcie_fixture_teardown(&fx);
	pnvme_dma_free(buf);
}

static void
test_fused_pair_stays_adjacent_when_queued(void)
{
	struct pcie_fixture fx;
	uint8_t *buf = pnvme_dma_zmalloc(4096, 4096, NULL);

	/* 4 entries = 3 trackers; 2 in use leave 1: the pair must wait. */
	pcie_fixture_setup(&fx, 4, 16, PNVME_CTRLR_FUSED_COMPARE_WRITE);
	g_done = 0;
	CU_ASSERT_EQUAL(pnvme_ns_cmd_read(&fx.ns, &fx.pq->qpair, buf, 1, 1, done_cb, NULL, 0), 0);
	CU_ASSERT_EQUAL(pnvme_ns_cmd_read(&fx.ns, &fx.pq->qpair, buf, 2, 1, done_cb, NULL, 0), 0);
	CU_ASSERT_EQUAL(pnvme_ns_cmd_compare(&fx.ns, &fx.pq->qpair, buf, 9, 1, done_cb, NULL,
					     PNVME_IO_FLAGS_FUSE_FIRST),
			0);
	CU_ASSERT_EQUAL(pnvme_ns_cmd_write(&fx.ns, &fx.pq->qpair, buf, 9, 1, done_cb, NULL,
					   PNVME_IO_FLAGS_FUSE_SECOND),
			0);
	CU_ASSERT_EQUAL(fx.pq->sq_tail, 2);
	pcie_fixture_complete(&fx, 0, 0);
	pcie_fixture_complete(&fx, 1, 0);
	CU_ASSERT_EQUAL(pnvme_qpair_process_completions(&fx.pq->qpair, 0), 2);
	/* Both went out together, in adjacent slots 2 and 3. */
	CU_ASSERT_EQUAL(fx.pq->sq_tail, 0);
	CU_ASSERT_EQUAL(fx.pq->sq[2].fuse, PNVME_FUSE_FIRST);
	CU_ASSERT_EQUAL(fx.pq->sq[3].fuse, PNVME_FUSE_SECOND);
	CU_ASSERT_EQUAL(pcie_fixture_sq_doorbell(&fx), 0);
	pcie_fixture_teardown(&fx);
	pnvme_dma_free(buf);
}

static int g_first_done, g_second_done;

static void
count_first(void *arg, const struct pnvme_cpl *cpl)
{
	(void)arg;
	(void)cpl;
	g_first_done++;
}

static void
count_second(void *arg, const struct pnvme_cpl *cpl)
{
	(void)arg;
	CU_ASSERT_EQUAL(cpl->status.sc, PNVME_SC_ABORTED_MISSING_FUSED);
	g_second_done++;
}

static void
test_fused_second_fails_first_completes_once(void)
{
	struct pcie_fixture fx;
	uint8_t *buf = pnvme_dma_zmalloc(4096, 4096, NULL);
	static uint8_t heap[512];
	struct nvme_request *first, *second;

	pcie_fixture_setup(&fx, 16, 32, PNVME_CTRLR_FUSED_COMPARE_WRITE);
	g_first_done = g_second_done = 0;
	first = nvme_qpair_alloc_request(&fx.pq->qpair, count_first, NULL);
	if (first == NULL) {
		CU_FAIL("request pool empty");
		return;
	}
	memset(&first->cmd, 0, sizeof(first->cmd));
	first->cmd.opc = PNVME_OPC_COMPARE;
	first->cmd.fuse = PNVME_FUSE_FIRST;
	first->payload = buf;
	first->payload_size = 512;
	CU_ASSERT_EQUAL(nvme_qpair_submit_request(&fx.pq->qpair, first), 0);
	/* The SECOND's data cannot be described: the transport refuses it. */
	second = nvme_qpair_alloc_request(&fx.pq->qpair, count_second, NULL);
	if (second == NULL) {
		CU_FAIL("request pool empty");
		return;
	}
	memset(&second->cmd, 0, sizeof(second->cmd));
	second->cmd.opc = PNVME_OPC_WRITE;
	second->cmd.fuse = PNVME_FUSE_SECOND;
	second->payload = heap;
	second->payload_size = 512;
	test_log_capture_start();
	CU_ASSERT_EQUAL(nvme_qpair_submit_request(&fx.pq->qpair, second), 0);
	CU_ASSERT_EQUAL(g_second_done, 1);
	/* The FIRST went to the device: it completes from there, once. */
	CU_ASSERT_EQUAL(g_first_done, 0);
	CU_ASSERT_EQUAL(fx.pq->sq_tail, 1);
	pcie_fixture_complete(&fx, 0, PNVME_SC_ABORTED_MISSING_FUSED);
	CU_ASSERT_EQUAL(pnvme_qpair_process_completions(&fx.pq->qpair, 0), 1);
	CU_ASSERT_EQUAL(g_first_done, 1);
	CU_ASSERT_EQUAL(fx.pq->qpair.num_outstanding, 0);
	pnvme_log_set_handler(NULL);
	pcie_fixture_teardown(&fx);
	pnvme_dma_free(buf);
}

static void
test_sgl_vectored(void)
{
	struct pcie_fixture fx;
	uint8_t *buf = pnvme_dma_zmalloc(65536, 4096, NULL);
	struct pcie_tracker *tr;
	struct iovec iov[3];
	struct pnvme_cmd *cmd;

	pcie_fixture_setup(&fx, 16, 32, PNVME_CTRLR_SGL_SUPPORTED);
	iov[0].iov_base = buf + 100 * 4;
	iov[0].iov_len = 1536;
	iov[1].iov_base = buf + 20000;
	iov[1].iov_len = 3072;
	iov[2].iov_base = buf + 40000;
	iov[2].iov_len = 512;
	CU_ASSERT_EQUAL(pnvme_ns_cmd_writev(&fx.ns, &fx.pq->qpair, iov, 3, 7, 10, done_cb, NULL, 0),
			0);
	cmd = &fx.pq->sq[0];
	CU_ASSERT_EQUAL(cmd->psdt, PNVME_PSDT_SGL_MPTR_CONTIG);
	CU_ASSERT_EQUAL(cmd->dptr.sgl1.type, PNVME_SGL_TYPE_LAST_SEGMENT);
	CU_ASSERT_EQUAL(cmd->dptr.sgl1.length, 3 * 16);
	tr = &fx.pq->trackers[cmd->cid];
	CU_ASSERT_EQUAL(cmd->dptr.sgl1.address, tr->prp_list_iova);
	CU_ASSERT_EQUAL(tr->sgl[0].address, (uintptr_t)buf + 400);
	CU_ASSERT_EQUAL(tr->sgl[0].length, 1536);
	CU_ASSERT_EQUAL(tr->sgl[1].address, (uintptr_t)buf + 20000);
	CU_ASSERT_EQUAL(tr->sgl[1].length, 3072);
	CU_ASSERT_EQUAL(tr->sgl[2].length, 512);
	CU_ASSERT_EQUAL(tr->sgl[2].type, PNVME_SGL_TYPE_DATA_BLOCK);
	/* One element: a data block right in the command. */
	CU_ASSERT_EQUAL(pnvme_ns_cmd_readv(&fx.ns, &fx.pq->qpair, &iov[1], 1, 7, 6, done_cb, NULL, 0),
			0);
	cmd = &fx.pq->sq[1];
	CU_ASSERT_EQUAL(cmd->dptr.sgl1.type, PNVME_SGL_TYPE_DATA_BLOCK);
	CU_ASSERT_EQUAL(cmd->dptr.sgl1.address, (uintptr_t)buf + 20000);
	CU_ASSERT_EQUAL(cmd->dptr.sgl1.length, 3072);
	/* A split vectored transfer: children start at the right offset. */
	pcie_fixture_teardown(&fx);
	pnvme_dma_free(buf);
}

/* A transport whose commands describe at most g_max_pieces pieces of
 * memory (NVMe/RDMA's MSDBD): here PCIe's ops with that limit added. */
static uint32_t g_max_pieces;

static uint32_t
limited_max_pieces(struct pnvme_ctrlr *ctrlr)
{
	(void)ctrlr;
	return g_max_pieces;
}

static uint32_t
sgl_total(struct pcie_fixture *fx, const struct pnvme_cmd *cmd, uint32_t *pieces)
{
	struct pcie_tracker *tr = &fx->pq->trackers[cmd->cid];
	uint32_t i, total = 0;

	if (cmd->dptr.sgl1.type == PNVME_SGL_TYPE_DATA_BLOCK) {
		*pieces = 1;
		return cmd->dptr.sgl1.length;
	}
	*pieces = cmd->dptr.sgl1.length / 16;
	for (i = 0; i < *pieces; i++) {
		total += tr->sgl[i].length;
	}
	return total;
}

static void
test_vectored_split_to_piece_limit(void)
{
	static struct nvme_transport_ops limited_ops;
	struct pcie_fixture fx;
	uint8_t *buf = pnvme_dma_zmalloc(65536, 4096, NULL);
	uint32_t pieces, i;
	struct iovec iov[5];
	static const uint32_t lens[5] = {512, 1536, 1024, 2048, 512};

	pcie_fixture_setup(&fx, 16, 32, PNVME_CTRLR_SGL_SUPPORTED);
	limited_ops = *fx.ctrlr.ctrlr.ops;
	limited_ops.ctrlr_get_max_data_pieces = limited_max_pieces;
	fx.ctrlr.ctrlr.ops = &limited_ops;
	for (i = 0; i < 5; i++) {
		iov[i].iov_base = buf + 8192 * i + 4 * i;
		iov[i].iov_len = lens[i];
	}
	/* Two pieces a command: 512+1536, 1024+2048, 512 -> 4, 6 and 1 blocks,
	 * each child starting where the last one ended. */
	g_max_pieces = 2;
	g_done = 0;
	CU_ASSERT_EQUAL(pnvme_ns_cmd_writev(&fx.ns, &fx.pq->qpair, iov, 5, 100, 11, done_cb, NULL,
					    0),
			0);
	CU_ASSERT_EQUAL(fx.pq->sq_tail, 3);
	CU_ASSERT_EQUAL(cmd_lba(&fx.pq->sq[0]), 100);
	CU_ASSERT_EQUAL(fx.pq->sq[0].cdw12 & 0xffff, 3);
	CU_ASSERT_EQUAL(sgl_total(&fx, &fx.pq->sq[0], &pieces), 2048);
	CU_ASSERT_EQUAL(pieces, 2);
	CU_ASSERT_EQUAL(cmd_lba(&fx.pq->sq[1]), 104);
	CU_ASSERT_EQUAL(fx.pq->sq[1].cdw12 & 0xffff, 5);
	CU_ASSERT_EQUAL(sgl_total(&fx, &fx.pq->sq[1], &pieces), 3072);
	CU_ASSERT_EQUAL(pieces, 2);
	CU_ASSERT_EQUAL(cmd_lba(&fx.pq->sq[2]), 110);
	CU_ASSERT_EQUAL(fx.pq->sq[2].cdw12 & 0xffff, 0);
	CU_ASSERT_EQUAL(fx.pq->sq[2].dptr.sgl1.address, (uintptr_t)iov[4].iov_base);
	for (i = 0; i < 3; i++) {
		pcie_fixture_complete(&fx, (uint16_t)i, 0);
	}
	pnvme_qpair_process_completions(&fx.pq->qpair, 0);
	CU_ASSERT_EQUAL(g_done, 1);

	/* One piece a command, an element split mid-way: 1536 bytes -> 3
	 * blocks, then the rest of the transfer from the next element. */
	g_max_pieces = 1;
	iov[0].iov_len = 1536;
	iov[1].iov_len = 512;
	CU_ASSERT_EQUAL(pnvme_ns_cmd_readv(&fx.ns, &fx.pq->qpair, iov, 2, 200, 4, done_cb, NULL, 0),
			0);
	CU_ASSERT_EQUAL(fx.pq->sq_tail, 5);
	CU_ASSERT_EQUAL(fx.pq->sq[3].cdw12 & 0xffff, 2);
	CU_ASSERT_EQUAL(fx.pq->sq[3].dptr.sgl1.address, (uintptr_t)iov[0].iov_base);
	CU_ASSERT_EQUAL(fx.pq->sq[4].cdw12 & 0xffff, 0);
	CU_ASSERT_EQUAL(fx.pq->sq[4].dptr.sgl1.address, (uintptr_t)iov[1].iov_base);

	/* An element that cannot carry a whole block alone: refused up front,
	 * nothing sent, with a line naming it. */
	iov[0].iov_len = 768;
	iov[1].iov_len = 256;
	test_log_capture_start();
	CU_ASSERT_EQUAL(pnvme_ns_cmd_writev(&fx.ns, &fx.pq->qpair, iov, 2, 300, 2, done_cb, NULL, 0),
			-EINVAL);
	CU_ASSERT(test_log_contains("hold less than one 512-byte block in 1 pieces"));
	pnvme_log_set_handler(NULL);
	CU_ASSERT_EQUAL(fx.pq->sq_tail, 5);
	/* Only the read above holds requests: its parent and two children. */
	CU_ASSERT_EQUAL(fx.pq->qpair.num_free_reqs, 32 - 3);
	pcie_fixture_teardown(&fx);
	pnvme_dma_free(buf);
}

static void
test_doorbell_batching(void)
{
	struct pnvme_qpair_stats stats;
	struct pcie_fixture fx;
	uint8_t *buf = pnvme_dma_zmalloc(4096, 4096, NULL);
	int i;

	pcie_fixture_setup(&fx, 16, 32, 0);
	fx.pq->delay_doorbell = true;
	for (i = 0; i < 5; i++) {
		CU_ASSERT_EQUAL(pnvme_ns_cmd_read(&fx.ns, &fx.pq->qpair, buf, (uint64_t)i, 1, done_cb,
						  NULL, 0),
				0);
	}
	CU_ASSERT_EQUAL(fx.pq->sq_mmio_writes, 0);
	CU_ASSERT_EQUAL(pnvme_qpair_process_completions(&fx.pq->qpair, 0), 0);
	CU_ASSERT_EQUAL(fx.pq->sq_mmio_writes, 1);
	CU_ASSERT_EQUAL(pcie_fixture_sq_doorbell(&fx), 5);
	/* Completions: one CQ doorbell per poll, however many were reaped. */
	for (i = 0; i < 5; i++) {
		pcie_fixture_complete(&fx, (uint16_t)i, 0);
	}
	CU_ASSERT_EQUAL(pnvme_qpair_process_completions(&fx.pq->qpair, 0), 5);
	CU_ASSERT_EQUAL(fx.pq->cq_mmio_writes, 1);
	CU_ASSERT_EQUAL(pcie_fixture_cq_doorbell(&fx), 5);
	/* The public counters are the ones the doorbell path keeps. */
	memset(&stats, 0xff, sizeof(stats));
	CU_ASSERT_EQUAL(pnvme_qpair_get_stats(&fx.pq->qpair, &stats, sizeof(stats)), 0);
	CU_ASSERT_EQUAL(stats.sq_doorbell_writes, 1);
	CU_ASSERT_EQUAL(stats.cq_doorbell_writes, 1);
	CU_ASSERT_FALSE(stats.shadow_doorbells);
	CU_ASSERT_EQUAL(pnvme_qpair_get_stats(NULL, &stats, sizeof(stats)), -EINVAL);
	CU_ASSERT_EQUAL(pnvme_qpair_get_stats(&fx.pq->qpair, NULL, sizeof(stats)), -EINVAL);
	pcie_fixture_teardown(&fx);
	pnvme_dma_free(buf);
}

static void
test_shadow_doorbells(void)
{
	struct pnvme_qpair_stats stats;
	struct pcie_fixture fx;
	uint8_t *buf = pnvme_dma_zmalloc(4096, 4096, NULL);
	uint32_t shadow[4] = {0}, eventidx[4] = {0};

	pcie_fixture_setup(&fx, 16, 32, 0);
	fx.pq->shadow_sq_tdbl = &shadow[0];
	fx.pq->shadow_cq_hdbl = &shadow[1];
	fx.pq->sq_eventidx = &eventidx[0];
	fx.pq->cq_eventidx = &eventidx[1];
	/* Device asks to hear about tail 1 (event index 0): MMIO needed. */
	CU_ASSERT_EQUAL(pnvme_ns_cmd_read(&fx.ns, &fx.pq->qpair, buf, 0, 1, done_cb, NULL, 0), 0);
	CU_ASSERT_EQUAL(shadow[0], 1);
	CU_ASSERT_EQUAL(fx.pq->sq_mmio_writes, 1);
	/* Device is polling the shadow (event index far ahead): no MMIO. */
	eventidx[0] = 100;
	CU_ASSERT_EQUAL(pnvme_ns_cmd_read(&fx.ns, &fx.pq->qpair, buf, 1, 1, done_cb, NULL, 0), 0);
	CU_ASSERT_EQUAL(pnvme_ns_cmd_read(&fx.ns, &fx.pq->qpair, buf, 2, 1, done_cb, NULL, 0), 0);
	CU_ASSERT_EQUAL(shadow[0], 3);
	CU_ASSERT_EQUAL(fx.pq->sq_mmio_writes, 1);
	/* Event index inside (old, new]: the device wants a doorbell. */
	eventidx[0] = 3;
	CU_ASSERT_EQUAL(pnvme_ns_cmd_read(&fx.ns, &fx.pq->qpair, buf, 3, 1, done_cb, NULL, 0), 0);
	CU_ASSERT_EQUAL(fx.pq->sq_mmio_writes, 2);
	CU_ASSERT_EQUAL(pcie_fixture_sq_doorbell(&fx), 4);
	CU_ASSERT_EQUAL(pnvme_qpair_get_stats(&fx.pq->qpair, &stats, sizeof(stats)), 0);
	CU_ASSERT_TRUE(stats.shadow_doorbells);
	CU_ASSERT_EQUAL(stats.sq_doorbell_writes, 2);
	pcie_fixture_teardown(&fx);
	pnvme_dma_free(buf);
}

static void
test_copy_and_dsm_encoding(void)
{
	struct pcie_fixture fx;
	struct pnvme_copy_range *ranges = pnvme_dma_zmalloc(4 * sizeof(*ranges), 64, NULL);
	struct pnvme_dsm_range *dsm = pnvme_dma_zmalloc(2 * sizeof(*dsm), 64, NULL);
	struct pnvme_cmd *cmd;

	pcie_fixture_setup(&fx, 16, 32, 0);
	ranges[0].slba = 100;
	ranges[0].nlb = 7;
	ranges[1].slba = 300;
	ranges[1].nlb = 15;
	/* Zero limits or no format 0: refused up front, nothing sent. */
	fx.ctrlr.ctrlr.cdata.ocfs = 1;
	test_log_capture_start();
	CU_ASSERT_EQUAL(pnvme_ns_cmd_copy(&fx.ns, &fx.pq->qpair, ranges, 2, 0, done_cb, NULL),
			-ENOTSUP);
	CU_ASSERT(test_log_contains("accepts none (MSSRL 0, MCL 0"));
	fx.ns.data.mssrl = 128;
	fx.ns.data.mcl = 256;
	fx.ctrlr.ctrlr.cdata.ocfs = 0;
	CU_ASSERT_EQUAL(pnvme_ns_cmd_copy(&fx.ns, &fx.pq->qpair, ranges, 2, 0, done_cb, NULL),
			-ENOTSUP);
	CU_ASSERT_EQUAL(fx.pq->sq_tail, 0);
	fx.ctrlr.ctrlr.cdata.ocfs = 1;
	CU_ASSERT_EQUAL(pnvme_ns_cmd_copy(&fx.ns, &fx.pq->qpair, ranges, 2, 0x100000001ull & 0xfffff,
					  done_cb, NULL),
			0);
	cmd = &fx.pq->sq[0];
	CU_ASSERT_EQUAL(cmd->opc, PNVME_OPC_COPY);
	CU_ASSERT_EQUAL(cmd->nsid, 1);
	CU_ASSERT_EQUAL(cmd_lba(cmd), 0x100000001ull & 0xfffff);
	CU_ASSERT_EQUAL(cmd->cdw12 & 0xff, 1);       /* two ranges, 0-based */
	CU_ASSERT_EQUAL((cmd->cdw12 >> 8) & 0xf, 0); /* format 0 */
	CU_ASSERT_EQUAL(cmd->dptr.prp.prp1, (uintptr_t)ranges);
	test_log_capture_start();
	/* MSRC 3 allows 4 ranges; MSSRL 128 blocks a range; MCL 256 in all. */
	CU_ASSERT_EQUAL(pnvme_ns_cmd_copy(&fx.ns, &fx.pq->qpair, ranges, 5, 0, done_cb, NULL),
			-EINVAL);
	CU_ASSERT(test_log_contains("5 ranges is outside 1-4 (MSRC)"));
	ranges[1].nlb = 200;
	CU_ASSERT_EQUAL(pnvme_ns_cmd_copy(&fx.ns, &fx.pq->qpair, ranges, 2, 0, done_cb, NULL),
			-EINVAL);
	CU_ASSERT(test_log_contains("above MSSRL 128"));
	ranges[1].nlb = 15;
	ranges[1].slba = (1u << 20) - 4;
	CU_ASSERT_EQUAL(pnvme_ns_cmd_copy(&fx.ns, &fx.pq->qpair, ranges, 2, 0, done_cb, NULL),
			-EINVAL);

	dsm[0].starting_lba = 10;
	dsm[0].length = 8;
	dsm[1].starting_lba = 50;
	dsm[1].length = 1;
	CU_ASSERT_EQUAL(pnvme_ns_cmd_dsm(&fx.ns, &fx.pq->qpair, dsm, 2, PNVME_DSM_ATTR_DEALLOCATE,
					 done_cb, NULL),
			0);
	cmd = &fx.pq->sq[1];
	CU_ASSERT_EQUAL(cmd->opc, PNVME_OPC_DATASET_MANAGEMENT);
	CU_ASSERT_EQUAL(cmd->cdw10, 1);
	CU_ASSERT_EQUAL(cmd->cdw11, PNVME_DSM_ATTR_DEALLOCATE);
	CU_ASSERT_EQUAL(cmd->dptr.prp.prp1, (uintptr_t)dsm);
	dsm[1].length = 0;
	CU_ASSERT_EQUAL(pnvme_ns_cmd_dsm(&fx.ns, &fx.pq->qpair, dsm, 2, PNVME_DSM_ATTR_DEALLOCATE,
					 done_cb, NULL),
			-EINVAL);
	CU_ASSERT_EQUAL(fx.pq->sq_tail, 2);
	pnvme_log_set_handler(NULL);
	pcie_fixture_teardown(&fx);
	pnvme_dma_free(ranges);
	pnvme_dma_free(dsm);
}

int
main(void)
{
	static const struct ut_test tests[] = {
		{"read_encoding", test_read_encoding},
		{"submit_from_callback_after_a_change", test_submit_from_callback_after_a_change},
		{"split_at_mdts_and_boundary", test_split_at_mdts_and_boundary},
		{"argument_errors", test_argument_errors},
		{"pool_exhaustion_loses_nothing", test_pool_exhaustion_loses_nothing},
		{"depth_four_times_the_queue", test_depth_four_times_the_queue},
		{"split_larger_than_pool", test_split_larger_than_pool},
		{"reserved_fuse_value", test_reserved_fuse_value},
		{"fused_refused_without_fuses", test_fused_refused_without_fuses},
		{"fused_adjacent_one_doorbell", test_fused_adjacent_one_doorbell},
		{"fused_rules", test_fused_rules},
		{"fused_pair_stays_adjacent_when_queued", test_fused_pair_stays_adjacent_when_queued},
		{"fused_second_fails_first_completes_once",
		 test_fused_second_fails_first_completes_once},
		{"sgl_vectored", test_sgl_vectored},
		{"vectored_split_to_piece_limit", test_vectored_split_to_piece_limit},
		{"doorbell_batching", test_doorbell_batching},
		{"shadow_doorbells", test_shadow_doorbells},
		{"copy_and_dsm_encoding", test_copy_and_dsm_encoding},
		{"metadata_and_pi", test_metadata_and_pi},
		{"dif_generate_verify", test_dif_generate_verify},
		{NULL, NULL},
	};

	return ut_run("ns_cmd", tests);
}
