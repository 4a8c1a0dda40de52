/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Metadata and end-to-end protection on a real controller (QEMU's, with
 * namespaces formatted with 8 bytes of metadata, interleaved or apart, and
 * protection types 1, 2 and 3; see pi_run.sh):
 *
 *   pnvme_pi_test -r TRID
 *
 * For every namespace with protection information:
 *  - a write with protection information the host generated, every check
 *    on; read back with every check on; the data and the host's own check
 *    of what came back agree;
 *  - a write where the controller inserts it (PRACT), read back without
 *    PRACT: the host's check of the controller's protection information
 *    passes (the two compute the same guard), and read with PRACT: only
 *    the data;
 *  - a write whose guard is wrong is refused by the controller with GUARD
 *    CHECK ERROR, one whose reference tag is wrong with REFERENCE TAG
 *    CHECK ERROR (types 1 and 2; type 3 has none to check, and the library
 *    refuses the flag there as the controller would), one whose
 *    application tag is wrong with APPLICATION TAG CHECK ERROR;
 *  - compare with the host's metadata (pnvme_ns_cmd_compare_with_md):
 *    equal; other data, other metadata or another guard miscompare; a
 *    stored block with a wrong guard fails PRCHK guard on a compare.
 * Prints "ok - ..." / "not ok - ...".
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "pnvme/nvme.h"

#define BLOCKS 8
#define APPTAG 0x1234
#define GUARD_APPTAG (PNVME_IO_FLAGS_PRCHK_GUARD | PNVME_IO_FLAGS_PRCHK_APPTAG)

static struct pnvme_ctrlr *g_ctrlr;
static struct pnvme_qpair *g_qpair;
static int g_failures;

struct wait {
	bool done;
	struct pnvme_cpl cpl;
};

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
done_cb(void *arg, const struct pnvme_cpl *cpl)
{
	struct wait *w = arg;

	w->cpl = *cpl;
	w->done = true;
}

/* Wait for @p w (submitted with @p rc): the completion, or a made-up
 * error when it could not be submitted or never came. */
static struct pnvme_cpl
finish(struct wait *w, int rc)
{
	struct timespec start, now;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (rc == 0 && !w->done) {
		pnvme_qpair_process_completions(g_qpair, 0);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec > 10) {
			break;
		}
	}
	if (rc != 0 || !w->done) {
		memset(&w->cpl, 0, sizeof(w->cpl));
		w->cpl.status.sct = 7;
		w->cpl.status.sc = 0xff;
	}
	return w->cpl;
}

static bool
status_is(const struct pnvme_cpl *cpl, uint8_t sct, uint8_t sc)
{
	return cpl->status.sct == sct && cpl->status.sc == sc;
}

struct layout {
	struct pnvme_ns *ns;
	uint32_t data_bytes; /* per block in the data buffer, PRACT off */
	bool apart;
	uint8_t *buf, *md, *check, *check_md;
};

static void
fill(struct layout *l, uint8_t seed)
{
	uint32_t i, bs = pnvme_ns_get_sector_size(l->ns), md = pnvme_ns_get_md_size(l->ns);
	uint32_t b;

	/* Data bytes only; the metadata bytes are left to the PI helpers. */
	memset(l->buf, 0, (size_t)BLOCKS * l->data_bytes);
	for (b = 0; b < BLOCKS; b++) {
		for (i = 0; i < bs; i++) {
			l->buf[b * l->data_bytes + i] = (uint8_t)(b * 131 + i * 7 + seed);
		}
	}
	if (l->apart) {
		memset(l->md, 0, (size_t)BLOCKS * md);
	}
}

static struct pnvme_cpl
write_md(struct layout *l, uint8_t *buf, uint8_t *md, uint64_t lba, uint32_t flags,
	 uint16_t apptag)
{
	struct wait w = {0};

	return finish(&w, pnvme_ns_cmd_write_with_md(l->ns, g_qpair, buf, md, lba, BLOCKS, done_cb,
						     &w, flags, 0xffff, apptag));
}

static struct pnvme_cpl
read_md(struct layout *l, uint8_t *buf, uint8_t *md, uint64_t lba, uint32_t flags)
{
	struct wait w = {0};

	return finish(&w, pnvme_ns_cmd_read_with_md(l->ns, g_qpair, buf, md, lba, BLOCKS, done_cb,
						    &w, flags, 0xffff, APPTAG));
}

static struct pnvme_cpl
compare_md(struct layout *l, uint8_t *buf, uint8_t *md, uint64_t lba, uint32_t flags)
{
	struct wait w = {0};

	return finish(&w, pnvme_ns_cmd_compare_with_md(l->ns, g_qpair, buf, md, lba, BLOCKS,
						       done_cb, &w, flags, 0xffff, APPTAG));
}

/*
 * Compare against the blocks at @p lba, which hold l->buf and l->md as the
 * host wrote them: equal (every check on); a data byte different; a
 * metadata byte outside the protection information different (metadata
 * larger than 8 bytes); a wrong guard in what the host sends (the
 * protection information is compared like the rest of the metadata).
 * Then the blocks are written with a wrong guard, unchecked: a compare
 * with those very bytes is equal, unless PRCHK has the controller check
 * the protection information of the blocks it read. Leaves l->buf and
 * l->md as they were, and the blocks at @p lba with the wrong guard.
 */
static void
test_compare(struct layout *l, uint64_t lba, uint32_t all)
{
	uint32_t id = pnvme_ns_get_id(l->ns), bs = pnvme_ns_get_sector_size(l->ns);
	uint32_t mds = pnvme_ns_get_md_size(l->ns);
	size_t md_at = pnvme_ns_pi_is_first(l->ns) ? 8 : 0; /* a byte outside the PI */
	uint8_t *md0 = l->apart ? l->md : l->buf + bs;      /* block 0's metadata */
	uint8_t *pi = md0 + (pnvme_ns_pi_is_first(l->ns) ? 0 : mds - 8);
	struct pnvme_cpl cpl;

	cpl = compare_md(l, l->buf, l->md, lba, all);
	CHECK(!pnvme_cpl_is_error(&cpl),
	      "ns %u: compare with the data and protection information written, every check "
	      "on: %s", id, pnvme_status_string(&cpl.status));

	l->buf[2 * l->data_bytes + 100] ^= 0x10;
	pnvme_ns_dif_generate(l->ns, l->buf, l->md, lba, BLOCKS, APPTAG);
	cpl = compare_md(l, l->buf, l->md, lba, all);
	CHECK(status_is(&cpl, PNVME_SCT_MEDIA_ERROR, PNVME_SC_COMPARE_FAILURE),
	      "ns %u: compare of other data (its protection information valid) fails with "
	      "COMPARE FAILURE: %s", id, pnvme_status_string(&cpl.status));
	l->buf[2 * l->data_bytes + 100] ^= 0x10;
	pnvme_ns_dif_generate(l->ns, l->buf, l->md, lba, BLOCKS, APPTAG);

	if (mds > 8) {
		md0[md_at] ^= 0x01;
		pnvme_ns_dif_generate(l->ns, l->buf, l->md, lba, BLOCKS, APPTAG);
		cpl = compare_md(l, l->buf, l->md, lba, all);
		CHECK(status_is(&cpl, PNVME_SCT_MEDIA_ERROR, PNVME_SC_COMPARE_FAILURE),
		      "ns %u: compare of the same data with other metadata fails with COMPARE "
		      "FAILURE (the metadata is compared too): %s",
		      id, pnvme_status_string(&cpl.status));
		md0[md_at] ^= 0x01;
		pnvme_ns_dif_generate(l->ns, l->buf, l->md, lba, BLOCKS, APPTAG);
	}

	pi[0] ^= 0x5a; /* block 0's guard */
	cpl = compare_md(l, l->buf, l->md, lba, 0);
	CHECK(status_is(&cpl, PNVME_SCT_MEDIA_ERROR, PNVME_SC_COMPARE_FAILURE),
	      "ns %u: compare of the same data with a wrong guard fails with COMPARE FAILURE "
	      "(the protection information is compared too): %s",
	      id, pnvme_status_string(&cpl.status));

	/* The stored blocks' own protection information, checked or not. */
	cpl = write_md(l, l->buf, l->md, lba, 0, APPTAG);
	CHECK(!pnvme_cpl_is_error(&cpl), "ns %u: write with a wrong guard and no checks: %s", id,
	      pnvme_status_string(&cpl.status));
	cpl = compare_md(l, l->buf, l->md, lba, 0);
	CHECK(!pnvme_cpl_is_error(&cpl),
	      "ns %u: compare with those very bytes, no checks: equal: %s", id,
	      pnvme_status_string(&cpl.status));
	cpl = compare_md(l, l->buf, l->md, lba, PNVME_IO_FLAGS_PRCHK_GUARD);
	CHECK(status_is(&cpl, PNVME_SCT_MEDIA_ERROR, PNVME_SC_GUARD_CHECK_ERROR),
	      "ns %u: the same compare with PRCHK guard: GUARD CHECK ERROR (the controller "
	      "checks the blocks it read): %s",
	      id, pnvme_status_string(&cpl.status));
	pi[0] ^= 0x5a;
}

/* The data of every block equal in two buffers whose blocks are @p sa and
 * @p sb bytes apart. */
static bool
same_data(const struct layout *l, const uint8_t *a, uint32_t sa, const uint8_t *b, uint32_t sb)
{
	uint32_t i, bs = pnvme_ns_get_sector_size(l->ns);

	for (i = 0; i < BLOCKS; i++) {
		if (memcmp(a + (size_t)i * sa, b + (size_t)i * sb, bs) != 0) {
			return false;
		}
	}
	return true;
}

static void
test_namespace(struct pnvme_ns *ns)
{
	uint32_t id = pnvme_ns_get_id(ns), bs = pnvme_ns_get_sector_size(ns);
	uint32_t mds = pnvme_ns_get_md_size(ns);
	enum pnvme_pi_type type = pnvme_ns_get_pi_type(ns);
	struct layout l = {.ns = ns, .apart = !pnvme_ns_supports_extended_lba(ns)};
	/* Every check the namespace's type has. */
	uint32_t all = GUARD_APPTAG | (type != PNVME_PI_TYPE3 ? PNVME_IO_FLAGS_PRCHK_REFTAG : 0);
	struct pnvme_cpl cpl;
	uint64_t lba = 64 * id, bad;
	int rc;
	uint8_t *pi;

	l.data_bytes = l.apart ? bs : bs + mds;
	l.buf = pnvme_dma_zmalloc((size_t)BLOCKS * l.data_bytes, 4096, NULL);
	l.check = pnvme_dma_zmalloc((size_t)BLOCKS * l.data_bytes, 4096, NULL);
	l.md = l.apart ? pnvme_dma_zmalloc((size_t)BLOCKS * mds, 4096, NULL) : NULL;
	l.check_md = l.apart ? pnvme_dma_zmalloc((size_t)BLOCKS * mds, 4096, NULL) : NULL;
	printf("# namespace %u: %u-byte blocks, %u bytes of metadata %s, protection type %d in the "
	       "%s bytes\n",
	       id, bs, mds, l.apart ? "apart" : "interleaved", (int)type,
	       pnvme_ns_pi_is_first(ns) ? "first" : "last");

	/* Host-generated protection information, every check on. */
	fill(&l, 1);
	pnvme_ns_dif_generate(ns, l.buf, l.md, lba, BLOCKS, APPTAG);
	cpl = write_md(&l, l.buf, l.md, lba, all, APPTAG);
	CHECK(!pnvme_cpl_is_error(&cpl), "ns %u: write with the host's protection information, "
	      "every check on: %s", id, pnvme_status_string(&cpl.status));
	cpl = read_md(&l, l.check, l.check_md, lba, all);
	CHECK(!pnvme_cpl_is_error(&cpl) &&
		      same_data(&l, l.buf, l.data_bytes, l.check, l.data_bytes) &&
		      pnvme_ns_dif_verify(ns, l.check, l.check_md, lba, BLOCKS, all, 0xffff,
					  APPTAG, &bad) == 0,
	      "ns %u: read back with every check on: the data, and protection information the "
	      "host's check accepts (%s)", id, pnvme_status_string(&cpl.status));
	if (pnvme_ctrlr_get_data(g_ctrlr)->oncs & PNVME_ONCS_COMPARE) {
		test_compare(&l, lba, all);
	} else {
		printf("not ok - ns %u: the controller has no compare (ONCS 0x%04x)\n", id,
		       pnvme_ctrlr_get_data(g_ctrlr)->oncs);
		g_failures++;
	}

	/* The controller inserts it (8 bytes of metadata: nothing but the
	 * protection information, so the host sends data alone, block after
	 * block); the host's check of the controller's guard must agree. */
	if (mds == 8) {
		uint8_t *plain = pnvme_dma_zmalloc((size_t)BLOCKS * bs, 4096, NULL);
		uint32_t i;

		for (i = 0; i < BLOCKS * bs; i++) {
			plain[i] = (uint8_t)(i * 13 + 2);
		}
		cpl = write_md(&l, plain, NULL, lba, PNVME_IO_FLAGS_PRACT, APPTAG);
		CHECK(!pnvme_cpl_is_error(&cpl),
		      "ns %u: write with PRACT (the controller generates): %s", id,
		      pnvme_status_string(&cpl.status));
		cpl = read_md(&l, l.check, l.check_md, lba, PNVME_IO_FLAGS_PRCHK_GUARD);
		CHECK(!pnvme_cpl_is_error(&cpl) && same_data(&l, plain, bs, l.check, l.data_bytes) &&
			      pnvme_ns_dif_verify(ns, l.check, l.check_md, lba, BLOCKS,
						  PNVME_IO_FLAGS_PRCHK_GUARD |
							  (type != PNVME_PI_TYPE3
								   ? PNVME_IO_FLAGS_PRCHK_REFTAG
								   : 0),
						  0, 0, &bad) == 0,
		      "ns %u: the controller's protection information passes the host's own "
		      "check (guard%s)",
		      id, type != PNVME_PI_TYPE3 ? ", reference tag" : "");
		memset(l.check, 0, (size_t)BLOCKS * l.data_bytes);
		cpl = read_md(&l, l.check, NULL, lba,
			      PNVME_IO_FLAGS_PRACT | PNVME_IO_FLAGS_PRCHK_GUARD);
		CHECK(!pnvme_cpl_is_error(&cpl) && same_data(&l, plain, bs, l.check, bs),
		      "ns %u: read with PRACT: the data alone, checked by the controller", id);
		pnvme_dma_free(plain);
	}

	/* Wrong protection information, each refused by the controller. */
	fill(&l, 3);
	pnvme_ns_dif_generate(ns, l.buf, l.md, lba, BLOCKS, APPTAG);
	pi = (l.apart ? l.md : l.buf + bs) + (pnvme_ns_pi_is_first(ns) ? 0 : mds - 8);
	pi[0] ^= 0x5a; /* block 0's guard */
	cpl = write_md(&l, l.buf, l.md, lba, PNVME_IO_FLAGS_PRCHK_GUARD, APPTAG);
	CHECK(status_is(&cpl, PNVME_SCT_MEDIA_ERROR, PNVME_SC_GUARD_CHECK_ERROR),
	      "ns %u: a wrong guard is refused: %s", id, pnvme_status_string(&cpl.status));
	pi[0] ^= 0x5a;
	pnvme_ns_dif_generate(ns, l.buf, l.md, lba + 1, BLOCKS, APPTAG);
	if (type == PNVME_PI_TYPE3) {
		rc = pnvme_ns_cmd_write_with_md(ns, g_qpair, l.buf, l.md, lba, BLOCKS, done_cb, NULL,
						PNVME_IO_FLAGS_PRCHK_REFTAG, 0xffff, APPTAG);
		cpl = write_md(&l, l.buf, l.md, lba, PNVME_IO_FLAGS_PRCHK_GUARD, APPTAG);
		CHECK(rc == -EINVAL && !pnvme_cpl_is_error(&cpl),
		      "ns %u: type 3 has no reference tag to check: the flag is refused (%d), and "
		      "another block's tag is written: %s",
		      id, rc, pnvme_status_string(&cpl.status));
	} else {
		cpl = write_md(&l, l.buf, l.md, lba, PNVME_IO_FLAGS_PRCHK_REFTAG, APPTAG);
		CHECK(status_is(&cpl, PNVME_SCT_MEDIA_ERROR, PNVME_SC_REFERENCE_TAG_CHECK_ERROR),
		      "ns %u: a wrong reference tag is refused: %s", id,
		      pnvme_status_string(&cpl.status));
	}
	pnvme_ns_dif_generate(ns, l.buf, l.md, lba, BLOCKS, APPTAG + 1);
	cpl = write_md(&l, l.buf, l.md, lba, PNVME_IO_FLAGS_PRCHK_APPTAG, APPTAG);
	CHECK(status_is(&cpl, PNVME_SCT_MEDIA_ERROR, PNVME_SC_APPLICATION_TAG_CHECK_ERROR),
	      "ns %u: a wrong application tag is refused: %s", id, pnvme_status_string(&cpl.status));

	pnvme_dma_free(l.buf);
	pnvme_dma_free(l.check);
	pnvme_dma_free(l.md);
	pnvme_dma_free(l.check_md);
}

int
main(int argc, char **argv)
{
	struct pnvme_transport_id trid;
	uint32_t nsid;
	int tested = 0;

	if (argc != 3 || strcmp(argv[1], "-r") != 0 || pnvme_transport_id_parse(&trid, argv[2])) {
		fprintf(stderr, "usage: %s -r TRID\n", argv[0]);
		return 2;
	}
	if (pnvme_probe(&trid, NULL, NULL, attach_cb, NULL) != 0 || g_ctrlr == NULL) {
		printf("not ok - attach %s\n", argv[2]);
		return 1;
	}
	g_qpair = pnvme_ctrlr_alloc_io_qpair(g_ctrlr, NULL, 0);
	if (g_qpair == NULL) {
		printf("not ok - an I/O qpair\n");
		return 1;
	}
	for (nsid = pnvme_ctrlr_get_first_active_ns(g_ctrlr); nsid != 0;
	     nsid = pnvme_ctrlr_get_next_active_ns(g_ctrlr, nsid)) {
		struct pnvme_ns *ns = pnvme_ctrlr_get_ns(g_ctrlr, nsid);

		if (pnvme_ns_get_pi_type(ns) != PNVME_PI_NONE) {
			test_namespace(ns);
			tested++;
		}
	}
	CHECK(tested > 0, "%d namespaces with protection information tested", tested);
	pnvme_ctrlr_free_io_qpair(g_qpair);
	CHECK(pnvme_detach(g_ctrlr) == 0, "detach");
	return g_failures ? 1 : 0;
}
