/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NVMe/TCP host transport, controller side: the controller and I/O queue
 * objects and their connections. Connect, registers (properties), Keep
 * Alive and scanning are the fabrics layer's (fabrics.c, discovery.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "nvme/fabrics.h"
#include "nvme/tcp_internal.h"

/* Largest transfer one command carries when data digests are off. */
#define TCP_MAX_XFER_SIZE (8u * 1024 * 1024)

/* The fabrics layer's view of a queue: one connection, with ICReq/ICResp,
 * opened in one call or step by step. */
static int
tcp_queue_open(struct pnvme_qpair *qpair)
{
	const struct pnvme_ctrlr_opts *opts = &qpair->ctrlr->opts;
	int rc = tcp_qpair_open(tcp_qpair(qpair), opts->header_digest, opts->data_digest,
				opts->admin_timeout_ms);

	if (rc == 0) {
		tcp_poll_group_watch(tcp_qpair(qpair));
	}
	return rc;
}

static int
tcp_queue_open_start(struct pnvme_qpair *qpair)
{
	const struct pnvme_ctrlr_opts *opts = &qpair->ctrlr->opts;

	return tcp_qpair_open_start(tcp_qpair(qpair), opts->header_digest, opts->data_digest,
				    opts->admin_timeout_ms);
}

static int
tcp_queue_open_poll(struct pnvme_qpair *qpair)
{
	int rc = tcp_qpair_open_poll(tcp_qpair(qpair));

	if (rc == 0) {
		tcp_poll_group_watch(tcp_qpair(qpair));
	}
	return rc;
}

static void
tcp_queue_close(struct pnvme_qpair *qpair)
{
	tcp_qpair_close_socket(tcp_qpair(qpair));
}

static const struct nvme_fabric_queue_ops g_tcp_queue_ops = {
	.open = tcp_queue_open,
	.open_start = tcp_queue_open_start,
	.open_poll = tcp_queue_open_poll,
	.close = tcp_queue_close,
};

static struct pnvme_ctrlr *
tcp_ctrlr_construct(const struct pnvme_transport_id *trid, const struct pnvme_ctrlr_opts *opts,
		    void *devhandle)
{
	struct tcp_ctrlr *c;
	uint32_t entries;
	int rc;

	(void)devhandle;
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		return NULL;
	}
	nvme_ctrlr_construct(&c->ctrlr, &g_nvme_tcp_ops, trid, opts);
	nvme_fabric_trid_default_subnqn(&c->ctrlr.trid);
	c->ctrlr.is_discovery = nvme_fabric_nqn_is_discovery(c->ctrlr.trid.subnqn);
	entries = c->ctrlr.opts.admin_queue_size;
	rc = tcp_qpair_construct(&c->adminq, &c->ctrlr, 0, entries, entries);
	if (rc != 0) {
		nvme_ctrlr_destruct_common(&c->ctrlr);
		free(c);
		return NULL;
	}
	c->adminq.qpair.queue_size = entries;
	/* Connected by the first bring-up step. */
	c->ctrlr.adminq = &c->adminq.qpair;
	return &c->ctrlr;
}

static void
tcp_ctrlr_destruct(struct pnvme_ctrlr *ctrlr)
{
	struct tcp_ctrlr *c = tcp_ctrlr(ctrlr);

	if (ctrlr->adminq != NULL) {
		if (!ctrlr->adminq->failed) {
			nvme_qpair_fail(ctrlr->adminq);
		}
		tcp_qpair_destruct(&c->adminq);
		ctrlr->adminq = NULL;
	}
	nvme_ctrlr_destruct_common(ctrlr);
	free(c);
}

static int
tcp_ctrlr_enable(struct pnvme_ctrlr *ctrlr)
{
	/* The admin queue is the connection, set up at construction. */
	return ctrlr->adminq->failed ? -ENXIO : 0;
}

static uint32_t
tcp_ctrlr_get_max_xfer_size(struct pnvme_ctrlr *ctrlr)
{
	struct tcp_ctrlr *c = tcp_ctrlr(ctrlr);

	/* One command carries at most MAXH2CDATA: the Linux target refuses
	 * larger ones (DATA SGL LENGTH INVALID, reads too) although it reports
	 * no MDTS, and checks a data digest over the whole command. Larger
	 * calls are split like any MDTS split. */
	return PNVME_MIN(c->adminq.params.maxh2cdata, TCP_MAX_XFER_SIZE);
}

static struct pnvme_qpair *
tcp_io_qpair_alloc(struct pnvme_ctrlr *ctrlr, uint16_t qid, const struct pnvme_io_qpair_opts *opts)
{
	uint32_t ioccsz = ctrlr->cdata.ioccsz;
	struct tcp_qpair *tq;

	if (ctrlr->is_discovery) {
		PNVME_ERRLOG("%s: a discovery controller has no I/O queues", ctrlr->trid.traddr);
		return NULL;
	}
	tq = calloc(1, sizeof(*tq));
	if (tq == NULL) {
		return NULL;
	}
	if (tcp_qpair_construct(tq, ctrlr, qid, opts->io_queue_size, opts->io_queue_requests) !=
	    0) {
		free(tq);
		return NULL;
	}
	tq->delay_send = opts->delay_cmd_submit;
	/* In-capsule data room: IOCCSZ (16-byte units) less the command, and
	 * only when the data starts right after it (ICDOFF 0). */
	tq->max_icd = ioccsz > 4 && ctrlr->cdata.icdoff == 0 ? (ioccsz - 4) * 16 : 0;
	return &tq->qpair;
}

static void
tcp_io_qpair_free(struct pnvme_qpair *qpair)
{
	struct tcp_qpair *tq = tcp_qpair(qpair);

	tcp_qpair_destruct(tq);
	free(tq);
}

const struct nvme_transport_ops g_nvme_tcp_ops = {
	.name = "TCP",
	.type = PNVME_TRANSPORT_TCP,
	.fabrics = true,
	.any_memory = true,
	.scan = nvme_fabric_scan,
	.ctrlr_construct = tcp_ctrlr_construct,
	.ctrlr_destruct = tcp_ctrlr_destruct,
	.ctrlr_get_reg_4 = nvme_fabric_get_reg_4,
	.ctrlr_get_reg_8 = nvme_fabric_get_reg_8,
	.ctrlr_set_reg_4 = nvme_fabric_set_reg_4,
	.ctrlr_set_reg_8 = nvme_fabric_set_reg_8,
	.ctrlr_enable = tcp_ctrlr_enable,
	.io_qpair_alloc = tcp_io_qpair_alloc,
	.qpair_connect = nvme_fabric_qpair_connect,
	.qpair_disconnect = nvme_fabric_qpair_disconnect,
	.io_qpair_free = tcp_io_qpair_free,
	.fabric_qops = &g_tcp_queue_ops,
	.ctrlr_get_max_xfer_size = tcp_ctrlr_get_max_xfer_size,
	.qpair_submit_request = tcp_qpair_submit_request,
	.qpair_process_completions = tcp_qpair_process_completions,
	.qpair_abort_reqs = tcp_qpair_abort_reqs,
	.qpair_get_stats = tcp_qpair_get_stats,
	.poll_group_create = tcp_poll_group_create,
	.poll_group_add = tcp_poll_group_add,
	.poll_group_remove = tcp_poll_group_remove,
	.poll_group_wait = tcp_poll_group_wait,
	.poll_group_destroy = tcp_poll_group_destroy,
};
