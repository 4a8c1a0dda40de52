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
	if (ctrlr->state != NVME_CTRLR_LIVE) {
		PNVME_ERRLOG("%s: alloc_io_qpair: the controller is %s", ctrlr->trid.traddr,
			     nvme_ctrlr_state_name(ctrlr->state));
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
	qpair = ctrlr->ops->io_qpair_alloc(ctrlr, (uint16_t)qid, &opts);
	if (qpair != NULL) {
		qpair->queue_size = opts.io_queue_size;
		qpair->epoch = ctrlr->epoch;
		qpair->generation = ctrlr->generation;
		if (ctrlr->state != NVME_CTRLR_LIVE || ctrlr->ops->qpair_connect(qpair) != 0) {
			nvme_qpair_disconnect(qpair);
			ctrlr->ops->io_qpair_free(qpair);
			qpair = NULL;
		}
	}
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
	nvme_qpair_disconnect(qpair);
	pthread_mutex_unlock(&ctrlr->lock);
	/* Disconnected first: a transport has no connection to move to
	 * another completion mechanism as the qpair leaves its group. */
	if (qpair->group != NULL) {
		pnvme_poll_group_remove(qpair->group, qpair);
	}
	pthread_mutex_lock(&ctrlr->lock);
	ctrlr->ops->io_qpair_free(qpair);
	ctrlr->free_qids[qid] = 1;
	pthread_mutex_unlock(&ctrlr->lock);
	return 0;
}

int32_t
pnvme_qpair_process_completions(struct pnvme_qpair *qpair, uint32_t max)
{
	/* A failure or reset is noticed by each qpair in its own thread: no
	 * cross-thread teardown, no lock. */
	if (pnvme_unlikely(qpair->epoch != qpair->ctrlr->epoch)) {
		nvme_qpair_follow_ctrlr(qpair);
	}
	return nvme_qpair_process_completions(qpair, max);
}

void
nvme_qpair_disconnect(struct pnvme_qpair *qpair)
{
	qpair->ops->qpair_disconnect(qpair);
	nvme_qpair_fail(qpair);
}

void
nvme_qpair_follow_ctrlr(struct pnvme_qpair *qpair)
{
	struct pnvme_ctrlr *ctrlr = qpair->ctrlr;
	uint32_t epoch = __atomic_load_n(&ctrlr->epoch, __ATOMIC_ACQUIRE);
	enum nvme_ctrlr_state state = ctrlr->state;

	if (!qpair->failed && (state >= NVME_CTRLR_FAILED || qpair->generation != ctrlr->generation)) {
		/* Failed, or its queue went with an earlier association: what
		 * it held completes now, aborted, once. */
		nvme_qpair_disconnect(qpair);
	}
	qpair->epoch = epoch;
	/* PCIe queues are re-created in place once the controller is back;
	 * a fabrics qpair waits for pnvme_ctrlr_reconnect_io_qpair (a new
	 * connection is the application's call to make). */
	if (qpair->failed && state == NVME_CTRLR_LIVE && qpair->ops->fabric_qops == NULL &&
	    qpair->generation != ctrlr->generation) {
		nvme_qpair_reconnect(qpair);
	}
}

int
nvme_qpair_reconnect(struct pnvme_qpair *qpair)
{
	struct pnvme_ctrlr *ctrlr = qpair->ctrlr;
	int rc;

	pthread_mutex_lock(&ctrlr->lock);
	if (ctrlr->state != NVME_CTRLR_LIVE) {
		rc = ctrlr->state == NVME_CTRLR_RESETTING ? -EAGAIN : -ENXIO;
		pthread_mutex_unlock(&ctrlr->lock);
		return rc;
	}
	if (!qpair->failed) {
		nvme_qpair_disconnect(qpair);
	}
	/* Its requests, injections and handle stay; only the connection is new. */
	qpair->generation = ctrlr->generation;
	qpair->failed = false;
	rc = qpair->ops->qpair_connect(qpair);
	if (rc != 0) {
		qpair->failed = true;
		PNVME_ERRLOG("%s: qpair %u could not be connected again (%d)", ctrlr->trid.traddr,
			     qpair->id, rc);
		rc = -ENXIO;
	}
	pthread_mutex_unlock(&ctrlr->lock);
	return rc;
}

int
pnvme_ctrlr_reconnect_io_qpair(struct pnvme_qpair *qpair)
{
	if (qpair == NULL || qpair->id == 0) {
		PNVME_ERRLOG("reconnect_io_qpair: %s", qpair == NULL ? "NULL qpair" : "the admin "
			     "qpair");
		return -EINVAL;
	}
	qpair->epoch = __atomic_load_n(&qpair->ctrlr->epoch, __ATOMIC_ACQUIRE);
	if (!qpair->failed && qpair->generation == qpair->ctrlr->generation &&
	    qpair->ctrlr->state == NVME_CTRLR_LIVE) {
		return 0; /* connected already */
	}
	return nvme_qpair_reconnect(qpair);
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
