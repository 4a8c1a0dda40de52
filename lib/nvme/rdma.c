/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NVMe/RDMA host transport, controller side: the controller and I/O queue
 * objects and their connections. Connect, registers (properties), Keep
 * Alive, reset and scanning are the fabrics layer's (fabrics.c,
 * discovery.c), shared with NVMe/TCP.
 */
#include <errno.h>
#include <stdlib.h>

#include "nvme/fabrics.h"
#include "nvme/rdma_internal.h"

/* Largest transfer one command carries: one keyed descriptor's length is
 * 24 bits, and the controller's MDTS usually allows less. */
#define RDMA_MAX_XFER_SIZE (8u * 1024 * 1024)

static int
rdma_queue_open(struct pnvme_qpair *qpair)
{
	return rdma_conn_open(rdma_qpair(qpair), qpair->ctrlr->opts.admin_timeout_ms);
}

static int
rdma_queue_open_start(struct pnvme_qpair *qpair)
{
	return rdma_conn_open_start(rdma_qpair(qpair), qpair->ctrlr->opts.admin_timeout_ms);
}

static int
rdma_queue_open_poll(struct pnvme_qpair *qpair)
{
	return rdma_conn_open_poll(rdma_qpair(qpair));
}

static void
rdma_queue_close(struct pnvme_qpair *qpair)
{
	rdma_conn_close(rdma_qpair(qpair));
}

static const struct nvme_fabric_queue_ops g_rdma_queue_ops = {
	.open = rdma_queue_open,
	.open_start = rdma_queue_open_start,
	.open_poll = rdma_queue_open_poll,
	.close = rdma_queue_close,
};

static struct pnvme_ctrlr *
rdma_ctrlr_construct(const struct pnvme_transport_id *trid, const struct pnvme_ctrlr_opts *opts,
		     void *devhandle)
{
	struct rdma_ctrlr *c;
	uint32_t entries;
	int rc;

	(void)devhandle;
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		return NULL;
	}
	nvme_ctrlr_construct(&c->ctrlr, &g_nvme_rdma_ops, trid, opts);
	nvme_fabric_trid_default_subnqn(&c->ctrlr.trid);
	c->ctrlr.is_discovery = nvme_fabric_nqn_is_discovery(c->ctrlr.trid.subnqn);
	entries = c->ctrlr.opts.admin_queue_size;
	rc = rdma_qpair_construct(&c->adminq, &c->ctrlr, 0, entries, entries);
	if (rc != 0) {
		nvme_ctrlr_destruct_common(&c->ctrlr);
		free(c);
		return NULL;
	}
	c->adminq.qpair.queue_size = entries;
	/* The admin queue takes no in-capsule data and one keyed descriptor:
	 * the controller's limits are for I/O queues. */
	c->adminq.max_icd = 0;
	c->adminq.max_descs = 1;
	/* Connected by the first bring-up step. */
	c->ctrlr.adminq = &c->adminq.qpair;
	return &c->ctrlr;
}

static void
rdma_ctrlr_destruct(struct pnvme_ctrlr *ctrlr)
{
	struct rdma_ctrlr *c = rdma_ctrlr(ctrlr);

	if (ctrlr->adminq != NULL) {
		if (!ctrlr->adminq->failed) {
			nvme_qpair_fail(ctrlr->adminq);
		}
		rdma_qpair_destruct(&c->adminq);
		ctrlr->adminq = NULL;
	}
	nvme_ctrlr_destruct_common(ctrlr);
	free(c);
}

static int
rdma_ctrlr_enable(struct pnvme_ctrlr *ctrlr)
{
	/* The admin queue is the connection, set up at construction. */
	return ctrlr->adminq->failed ? -ENXIO : 0;
}

static uint32_t
rdma_ctrlr_get_max_xfer_size(struct pnvme_ctrlr *ctrlr)
{
	(void)ctrlr;
	return RDMA_MAX_XFER_SIZE;
}

/* Keyed descriptors an I/O command may carry: MSDBD (0: no limit). */
static uint32_t
rdma_ctrlr_max_descs(const struct pnvme_ctrlr *ctrlr)
{
	uint8_t msdbd = ctrlr->cdata.msdbd;

	return msdbd == 0 ? RDMA_MAX_SGL_DESCS : PNVME_MIN((uint32_t)msdbd, RDMA_MAX_SGL_DESCS);
}

static uint32_t
rdma_ctrlr_get_max_data_pieces(struct pnvme_ctrlr *ctrlr)
{
	return rdma_ctrlr_max_descs(ctrlr);
}

static struct pnvme_qpair *
rdma_io_qpair_alloc(struct pnvme_ctrlr *ctrlr, uint16_t qid, const struct pnvme_io_qpair_opts *opts)
{
	uint32_t ioccsz = ctrlr->cdata.ioccsz;
	struct rdma_qpair *rq;

	if (ctrlr->is_discovery) {
		PNVME_ERRLOG("%s: a discovery controller has no I/O queues", ctrlr->trid.traddr);
		return NULL;
	}
	rq = calloc(1, sizeof(*rq));
	if (rq == NULL) {
		return NULL;
	}
	if (rdma_qpair_construct(rq, ctrlr, qid, opts->io_queue_size, opts->io_queue_requests) !=
	    0) {
		free(rq);
		return NULL;
	}
	/* In-capsule data room: IOCCSZ (16-byte units) less the command, and
	 * only when the data starts right after it (ICDOFF 0). */
	rq->max_icd = ioccsz > 4 && ctrlr->cdata.icdoff == 0 ? (ioccsz - 4) * 16 : 0;
	rq->max_descs = rdma_ctrlr_max_descs(ctrlr);
	return &rq->qpair;
}

static void
rdma_io_qpair_free(struct pnvme_qpair *qpair)
{
	struct rdma_qpair *rq = rdma_qpair(qpair);

	rdma_qpair_destruct(rq);
	free(rq);
}

const struct nvme_transport_ops g_nvme_rdma_ops = {
	.name = "RDMA",
	.type = PNVME_TRANSPORT_RDMA,
	.fabrics = true,
	.any_memory = false,
	.scan = nvme_fabric_scan,
	.ctrlr_construct = rdma_ctrlr_construct,
	.ctrlr_destruct = rdma_ctrlr_destruct,
	.ctrlr_get_reg_4 = nvme_fabric_get_reg_4,
	.ctrlr_get_reg_8 = nvme_fabric_get_reg_8,
	.ctrlr_set_reg_4 = nvme_fabric_set_reg_4,
	.ctrlr_set_reg_8 = nvme_fabric_set_reg_8,
	.ctrlr_enable = rdma_ctrlr_enable,
	.io_qpair_alloc = rdma_io_qpair_alloc,
	.qpair_connect = nvme_fabric_qpair_connect,
	.qpair_disconnect = nvme_fabric_qpair_disconnect,
	.io_qpair_free = rdma_io_qpair_free,
	.fabric_qops = &g_rdma_queue_ops,
	.ctrlr_get_max_xfer_size = rdma_ctrlr_get_max_xfer_size,
	.ctrlr_get_max_data_pieces = rdma_ctrlr_get_max_data_pieces,
	.qpair_submit_request = rdma_qpair_submit_request,
	.qpair_process_completions = rdma_qpair_process_completions,
	.qpair_abort_reqs = rdma_qpair_abort_reqs,
	.qpair_get_stats = rdma_qpair_get_stats,
	.poll_group_create = rdma_poll_group_create,
	.poll_group_add = rdma_poll_group_add,
	.poll_group_remove = rdma_poll_group_remove,
	.poll_group_wait = rdma_poll_group_wait,
	.poll_group_destroy = rdma_poll_group_destroy,
};
