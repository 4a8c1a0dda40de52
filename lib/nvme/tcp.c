/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NVMe/TCP host transport, controller side: the admin connection, registers
 * as fabrics properties, I/O queue connections, and scanning (a subsystem
 * directly, or every subsystem a discovery service lists).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nvme/fabrics.h"
#include "nvme/tcp_internal.h"

/* Largest transfer one command carries when data digests are off. */
#define TCP_MAX_XFER_SIZE (8u * 1024 * 1024)
/* Pause before connecting a queue again when the controller was busy. */
#define CONNECT_RETRY_US 20000

static void tcp_ctrlr_destruct(struct pnvme_ctrlr *ctrlr);

static bool
is_discovery_nqn(const char *nqn)
{
	return strcmp(nqn, PNVME_DISCOVERY_NQN) == 0;
}

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
	if (c->ctrlr.trid.subnqn[0] == '\0') {
		snprintf(c->ctrlr.trid.subnqn, sizeof(c->ctrlr.trid.subnqn), "%s",
			 PNVME_DISCOVERY_NQN);
	}
	c->ctrlr.is_discovery = is_discovery_nqn(c->ctrlr.trid.subnqn);
	entries = c->ctrlr.opts.admin_queue_size;
	rc = tcp_qpair_construct(&c->adminq, &c->ctrlr, 0, entries, entries);
	if (rc != 0) {
		nvme_ctrlr_destruct_common(&c->ctrlr);
		free(c);
		return NULL;
	}
	c->ctrlr.adminq = &c->adminq.qpair;
	rc = tcp_qpair_open(&c->adminq, &c->ctrlr.trid, c->ctrlr.opts.header_digest,
			    c->ctrlr.opts.data_digest, c->ctrlr.opts.admin_timeout_ms);
	if (rc == 0) {
		/* A discovery controller is short-lived: no keep-alive. */
		c->ctrlr.kato_ms = c->ctrlr.is_discovery ? 0 : c->ctrlr.opts.keep_alive_timeout_ms;
		rc = nvme_fabric_connect(&c->adminq.qpair, 0, (uint16_t)(entries - 1),
					 c->ctrlr.kato_ms, 0xffff, c->ctrlr.opts.admin_timeout_ms,
					 &c->cntlid);
	}
	if (rc != 0) {
		tcp_ctrlr_destruct(&c->ctrlr);
		return NULL;
	}
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
tcp_get_reg_4(struct pnvme_ctrlr *ctrlr, uint32_t offset, uint32_t *value)
{
	uint64_t v;
	int rc = nvme_fabric_prop_get(ctrlr, offset, 4, &v);

	if (rc == 0) {
		*value = (uint32_t)v;
	}
	return rc;
}

static int
tcp_get_reg_8(struct pnvme_ctrlr *ctrlr, uint32_t offset, uint64_t *value)
{
	return nvme_fabric_prop_get(ctrlr, offset, 8, value);
}

static int
tcp_set_reg_4(struct pnvme_ctrlr *ctrlr, uint32_t offset, uint32_t value)
{
	return nvme_fabric_prop_set(ctrlr, offset, 4, value);
}

static int
tcp_set_reg_8(struct pnvme_ctrlr *ctrlr, uint32_t offset, uint64_t value)
{
	return nvme_fabric_prop_set(ctrlr, offset, 8, value);
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
tcp_io_qpair_create(struct pnvme_ctrlr *ctrlr, uint16_t qid, const struct pnvme_io_qpair_opts *opts)
{
	struct tcp_ctrlr *c = tcp_ctrlr(ctrlr);
	uint32_t ioccsz = ctrlr->cdata.ioccsz;
	struct tcp_qpair *tq;
	uint64_t deadline;
	int rc;

	if (ctrlr->is_discovery) {
		PNVME_ERRLOG("%s: a discovery controller has no I/O queues", ctrlr->trid.traddr);
		return NULL;
	}
	tq = calloc(1, sizeof(*tq));
	if (tq == NULL) {
		return NULL;
	}
	rc = tcp_qpair_construct(tq, ctrlr, qid, opts->io_queue_size, opts->io_queue_requests);
	if (rc != 0) {
		free(tq);
		return NULL;
	}
	tq->delay_send = opts->delay_cmd_submit;
	/* In-capsule data room: IOCCSZ (16-byte units) less the command, and
	 * only when the data starts right after it (ICDOFF 0). */
	tq->max_icd = ioccsz > 4 && ctrlr->cdata.icdoff == 0 ? (ioccsz - 4) * 16 : 0;
	deadline = pnvme_get_ticks() + nvme_ms_to_ticks(ctrlr->opts.admin_timeout_ms);
	do {
		rc = tcp_qpair_open(tq, &ctrlr->trid, ctrlr->opts.header_digest,
				    ctrlr->opts.data_digest, ctrlr->opts.admin_timeout_ms);
		if (rc == 0) {
			rc = nvme_fabric_connect(&tq->qpair, qid, (uint16_t)(opts->io_queue_size - 1),
						 0, c->cntlid, ctrlr->opts.admin_timeout_ms, NULL);
		}
		if (rc == -EAGAIN) {
			close(tq->fd);
			tq->fd = -1;
			usleep(CONNECT_RETRY_US);
		}
	} while (rc == -EAGAIN && pnvme_get_ticks() < deadline);
	if (rc == -EAGAIN) {
		PNVME_ERRLOG("%s: queue %u: the controller stayed busy for %u ms", ctrlr->trid.traddr,
			     qid, ctrlr->opts.admin_timeout_ms);
	}
	if (rc != 0) {
		if (!tq->qpair.failed) {
			nvme_qpair_fail(&tq->qpair);
		}
		tcp_qpair_destruct(tq);
		free(tq);
		return NULL;
	}
	return &tq->qpair;
}

static void
tcp_io_qpair_destroy(struct pnvme_qpair *qpair)
{
	struct tcp_qpair *tq = tcp_qpair(qpair);

	/* Closing the connection deletes the queue on the controller; what
	 * was outstanding completes here, aborted, once. */
	if (tq->fd >= 0) {
		close(tq->fd);
		tq->fd = -1;
	}
	if (!qpair->failed) {
		nvme_qpair_fail(qpair);
	}
	tcp_qpair_destruct(tq);
	free(tq);
}

/* Offer every NVM subsystem reachable over TCP that the discovery service
 * at probe->trid lists. */
static int
tcp_scan_discovery(struct nvme_probe_ctx *probe, const struct pnvme_transport_id *dtrid)
{
	struct pnvme_discovery_log_entry *entries = NULL;
	struct pnvme_transport_id trid;
	uint32_t num = 0, i;
	int rc;

	rc = nvme_discovery_fetch(dtrid, NULL, &entries, &num, NULL);
	if (rc != 0) {
		return rc;
	}
	for (i = 0; i < num; i++) {
		if (entries[i].subtype != PNVME_DISC_SUBTYPE_NVM ||
		    entries[i].trtype != PNVME_DISC_TRTYPE_TCP ||
		    nvme_discovery_entry_to_trid(&entries[i], &trid) != 0 ||
		    nvme_probe_is_attached(&trid)) {
			continue;
		}
		nvme_probe_offer(probe, &trid, NULL);
	}
	free(entries);
	return 0;
}

static int
tcp_scan(struct nvme_probe_ctx *probe)
{
	struct pnvme_transport_id trid = probe->trid;

	if (trid.subnqn[0] == '\0') {
		snprintf(trid.subnqn, sizeof(trid.subnqn), "%s", PNVME_DISCOVERY_NQN);
	}
	if (is_discovery_nqn(trid.subnqn) && !probe->direct) {
		return tcp_scan_discovery(probe, &trid);
	}
	if (nvme_probe_is_attached(&trid)) {
		return 0;
	}
	return nvme_probe_offer(probe, &trid, NULL);
}

const struct nvme_transport_ops g_nvme_tcp_ops = {
	.name = "TCP",
	.type = PNVME_TRANSPORT_TCP,
	.fabrics = true,
	.any_memory = true,
	.scan = tcp_scan,
	.ctrlr_construct = tcp_ctrlr_construct,
	.ctrlr_destruct = tcp_ctrlr_destruct,
	.ctrlr_get_reg_4 = tcp_get_reg_4,
	.ctrlr_get_reg_8 = tcp_get_reg_8,
	.ctrlr_set_reg_4 = tcp_set_reg_4,
	.ctrlr_set_reg_8 = tcp_set_reg_8,
	.ctrlr_enable = tcp_ctrlr_enable,
	.io_qpair_create = tcp_io_qpair_create,
	.io_qpair_destroy = tcp_io_qpair_destroy,
	.ctrlr_get_max_xfer_size = tcp_ctrlr_get_max_xfer_size,
	.qpair_submit_request = tcp_qpair_submit_request,
	.qpair_process_completions = tcp_qpair_process_completions,
	.qpair_abort_reqs = tcp_qpair_abort_reqs,
	.qpair_get_stats = tcp_qpair_get_stats,
};
