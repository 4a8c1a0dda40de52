/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The smallest complete pnvme program: find a controller, open a queue pair,
 * write a block, read it back, check it, and detach.
 *
 *   build/bin/pnvme_hello_world [-r 'trtype:PCIe traddr:0000:01:00.0']
 */
#include <stdio.h>
#include <string.h>

#include "pnvme/nvme.h"

struct hello {
	struct pnvme_ctrlr *ctrlr;
	int outstanding;
	int errors;
};

static void
attach_cb(void *ctx, const struct pnvme_transport_id *trid, struct pnvme_ctrlr *ctrlr,
	  const struct pnvme_ctrlr_opts *opts)
{
	struct hello *h = ctx;

	(void)opts;
	if (h->ctrlr == NULL) {
		printf("attached %s\n", trid->traddr);
		h->ctrlr = ctrlr; /* use the first controller */
	} else {
		pnvme_detach(ctrlr);
	}
}

static void
io_done(void *arg, const struct pnvme_cpl *cpl)
{
	struct hello *h = arg;

	if (pnvme_cpl_is_error(cpl)) {
		fprintf(stderr, "I/O failed: %s\n", pnvme_status_string(&cpl->status));
		h->errors++;
	}
	h->outstanding--;
}

/* Submit happened; poll until the command completes. */
static int
wait_io(struct hello *h, struct pnvme_qpair *qpair)
{
	while (h->outstanding > 0) {
		if (pnvme_qpair_process_completions(qpair, 0) < 0) {
			return -1;
		}
	}
	return h->errors ? -1 : 0;
}

int
main(int argc, char **argv)
{
	struct pnvme_transport_id trid, *tridp = NULL;
	struct hello h = {0};
	struct pnvme_qpair *qpair;
	struct pnvme_ns *ns;
	char *wbuf, *rbuf;
	uint32_t block;
	int rc = 1;

	if (argc == 3 && strcmp(argv[1], "-r") == 0) {
		if (pnvme_transport_id_parse(&trid, argv[2]) != 0) {
			return 1;
		}
		tridp = &trid;
	}
	if (pnvme_probe(tridp, &h, NULL, attach_cb, NULL) != 0 && h.ctrlr == NULL) {
		fprintf(stderr, "no controller attached\n");
		return 1;
	}
	if (h.ctrlr == NULL) {
		fprintf(stderr, "no controller found (run scripts/setup.sh)\n");
		return 1;
	}
	ns = pnvme_ctrlr_get_ns(h.ctrlr, pnvme_ctrlr_get_first_active_ns(h.ctrlr));
	qpair = pnvme_ctrlr_alloc_io_qpair(h.ctrlr, NULL, 0);
	if (ns == NULL || qpair == NULL) {
		fprintf(stderr, "no namespace or no qpair\n");
		goto detach;
	}
	block = pnvme_ns_get_sector_size(ns);
	wbuf = pnvme_dma_zmalloc(block, 4096, NULL);
	rbuf = pnvme_dma_zmalloc(block, 4096, NULL);
	if (wbuf == NULL || rbuf == NULL) {
		goto free_bufs;
	}
	snprintf(wbuf, block, "Hello from pnvme!");

	h.outstanding = 1;
	if (pnvme_ns_cmd_write(ns, qpair, wbuf, 0, 1, io_done, &h, 0) != 0 || wait_io(&h, qpair)) {
		goto free_bufs;
	}
	h.outstanding = 1;
	if (pnvme_ns_cmd_read(ns, qpair, rbuf, 0, 1, io_done, &h, 0) != 0 || wait_io(&h, qpair)) {
		goto free_bufs;
	}
	if (memcmp(wbuf, rbuf, block) == 0) {
		printf("read back: %s\n", rbuf);
		rc = 0;
	} else {
		fprintf(stderr, "data read back differs from data written\n");
	}
free_bufs:
	pnvme_dma_free(wbuf);
	pnvme_dma_free(rbuf);
	if (qpair != NULL) {
		pnvme_ctrlr_free_io_qpair(qpair);
	}
detach:
	pnvme_detach(h.ctrlr);
	return rc;
}
