/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * I/O queue pair lifecycle: options, queue ID allocation, creation and
 * deletion through the transport, and the public completion poll.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nvme/nvme_internal.h"

#define DEFAULT_IO_QUEUE_SIZE 256u

void
pnvme_ctrlr_get_default_io_qpair_opts(struct pnvme_ctrlr *ctrlr, struct pnvme_io_qpair_opts *opts,
				      size_t opts_size)
{
	struct pnvme_io_qpair_opts d;

	if (opts == NULL || opts_size == 0) {
		return;
	}
	memset(&d, 0, sizeof(d));
	d.io_queue_size = DEFAULT_IO_QUEUE_SIZE;
	if (ctrlr != NULL && d.io_queue_size > ctrlr->cap.bits.mqes + 1u) {
		d.io_queue_size = ctrlr->cap.bits.mqes + 1u;
	}
	d.io_queue_requests = 2 * d.io_queue_size;
	d.qprio = PNVME_QPRIO_URGENT;
	d.delay_cmd_submit = false;
	d.opts_size = PNVME_MIN(opts_size, sizeof(d));
	memcpy(opts, &d, d.opts_size);
}

static int
take_qid(struct pnvme_ctrlr *ctrlr)
{
	uint32_t qid, i;

	if (ctrlr->free_qids == NULL) {
		ctrlr->free_qids = calloc(ctrlr->num_io_queues + 1u, 1);
		if (ctrlr->free_qids == NULL) {
			return -ENOMEM;
		}
		memset(ctrlr->free_qids + 1, 1, ctrlr->num_io_queues);
	}
	/* Hand out IDs in turn rather than the lowest free one: a fabrics
	 * target may still be tearing down the queue of a just-freed ID. */
	for (i = 0; i < ctrlr->num_io_queues; i++) {
		qid = 1 + (ctrlr->next_qid + i) % ctrlr->num_io_queues;
		if (ctrlr->free_qids[qid]) {
			ctrlr->free_qids[qid] = 0;
			ctrlr->next_qid = qid % ctrlr->num_io_queues;
			return (int)qid;
		}
	}
	return -ENOSPC;
}

struct pnvme_qpair *
pnvme_ctrlr_alloc_io_qpair(struct pnvme_ctrlr *ctrlr, const struct pnvme_io_qpair_opts *user_opts,
			   size_t opts_size)
{
	struct pnvme_io_qpair_opts opts;
	struct pnvme_qpair *qpair;
	int qid;

	if (ctrlr == NULL) {
		PNVME_ERRLOG("alloc_io_qpair: NULL controller");
		return NULL;
	}
	if (nvme_ctrlr_is_failed(ctrlr)) {
		PNVME_ERRLOG("%s: alloc_io_qpair: the controller has failed", ctrlr->trid.traddr);
		return NULL;
	}
	pnvme_ctrlr_get_default_io_qpair_opts(ctrlr, &opts, sizeof(opts));
	if (user_opts != NULL) {
		memcpy(&opts, user_opts, PNVME_MIN(opts_size, sizeof(opts)));
		opts.opts_size = sizeof(opts);
	}
	if (opts.io_queue_size < 2 || opts.io_queue_size > ctrlr->cap.bits.mqes + 1u) {
		PNVME_ERRLOG("%s: alloc_io_qpair: queue size %u is outside 2-%u (CAP.MQES)",
			     ctrlr->trid.traddr, opts.io_queue_size, ctrlr->cap.bits.mqes + 1u);
		return NULL;
	}
	if (opts.io_queue_requests < 1 || opts.io_queue_requests > 65536) {
		PNVME_ERRLOG("%s: alloc_io_qpair: %u requests is outside 1-65536",
			     ctrlr->trid.traddr, opts.io_queue_requests);
		return NULL;
	}
	if ((unsigned)opts.qprio > PNVME_QPRIO_LOW) {
		PNVME_ERRLOG("%s: alloc_io_qpair: priority %u is not 0-3", ctrlr->trid.traddr,
			     (unsigned)opts.qprio);
		return NULL;
	}

	pthread_mutex_lock(&ctrlr->lock);
	qid = take_qid(ctrlr);
	if (qid < 0) {
		pthread_mutex_unlock(&ctrlr->lock);
		PNVME_ERRLOG("%s: alloc_io_qpair: all %u I/O queues the controller granted are "
			     "in use",
			     ctrlr->trid.traddr, ctrlr->num_io_queues);
		return NULL;
	}
	qpair = ctrlr->ops->io_qpair_create(ctrlr, (uint16_t)qid, &opts);
	if (qpair == NULL) {
		ctrlr->free_qids[qid] = 1;
		pthread_mutex_unlock(&ctrlr->lock);
		return NULL;
	}
	qpair->timeout_ticks = ctrlr->io_timeout_ticks;
	nvme_qpair_update_submit_hooks(qpair);
	TAILQ_INSERT_TAIL(&ctrlr->io_qpairs, qpair, ctrlr_link);
	pthread_mutex_unlock(&ctrlr->lock);
	return qpair;
}

int
pnvme_ctrlr_free_io_qpair(struct pnvme_qpair *qpair)
{
	struct pnvme_ctrlr *ctrlr;
	uint16_t qid;

	if (qpair == NULL || qpair->id == 0) {
		PNVME_ERRLOG("free_io_qpair: %s", qpair == NULL ? "NULL qpair" : "the admin qpair");
		return -EINVAL;
	}
	ctrlr = qpair->ctrlr;
	qid = qpair->id;
	pthread_mutex_lock(&ctrlr->lock);
	TAILQ_REMOVE(&ctrlr->io_qpairs, qpair, ctrlr_link);
	ctrlr->ops->io_qpair_destroy(qpair);
	ctrlr->free_qids[qid] = 1;
	pthread_mutex_unlock(&ctrlr->lock);
	return 0;
}

int32_t
pnvme_qpair_process_completions(struct pnvme_qpair *qpair, uint32_t max)
{
	/* A failed controller is noticed by each qpair in its own thread:
	 * no cross-thread teardown, no lock. */
	if (nvme_ctrlr_is_failed(qpair->ctrlr) && !qpair->failed) {
		nvme_qpair_fail(qpair);
	}
	return nvme_qpair_process_completions(qpair, max);
}

/* Destroy every I/O qpair still allocated (detach). */
void
nvme_ctrlr_free_io_qpairs(struct pnvme_ctrlr *ctrlr)
{
	struct pnvme_qpair *qpair;

	while ((qpair = TAILQ_FIRST(&ctrlr->io_qpairs)) != NULL) {
		PNVME_WARNLOG("%s: detach frees I/O qpair %u the application did not free",
			      ctrlr->trid.traddr, qpair->id);
		pnvme_ctrlr_free_io_qpair(qpair);
	}
}

int
pnvme_qpair_get_stats(struct pnvme_qpair *qpair, struct pnvme_qpair_stats *stats,
		      size_t stats_size)
{
	struct pnvme_qpair_stats s;

	if (qpair == NULL || stats == NULL || stats_size == 0) {
		PNVME_ERRLOG("qpair_get_stats: NULL qpair or stats");
		return -EINVAL;
	}
	memset(&s, 0, sizeof(s));
	if (qpair->ops->qpair_get_stats != NULL) {
		qpair->ops->qpair_get_stats(qpair, &s);
	}
	memcpy(stats, &s, PNVME_MIN(stats_size, sizeof(s)));
	return 0;
}
