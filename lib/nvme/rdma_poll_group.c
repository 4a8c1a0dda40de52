/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NVMe/RDMA part of a poll group: the qpairs of one group on one device
 * share a completion queue, so one poll of it per group poll finds the
 * work of all of them; each completion goes to its qpair's ring by the tag
 * in its work request ID, and qpairs with nothing there skip their poll.
 *
 * A queue pair is bound to its completion queue when it is made, so a
 * qpair uses the shared queue from its next connection on. Adding an idle
 * connected qpair connects it again at once; a busy one keeps its own
 * queue until it reconnects (a reset). Removing works the same way back.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nvme/rdma_internal.h"

static struct rdma_poll_group *
rdma_poll_group(struct nvme_transport_poll_group *tgroup)
{
	return (struct rdma_poll_group *)tgroup;
}

struct nvme_transport_poll_group *
rdma_poll_group_create(void)
{
	struct rdma_poll_group *rg = calloc(1, sizeof(*rg));

	if (rg == NULL) {
		PNVME_ERRLOG("RDMA poll group: out of memory");
		return NULL;
	}
	TAILQ_INIT(&rg->qpairs);
	return &rg->base;
}

static void
shared_cq_put(struct rdma_shared_cq *scq)
{
	if (--scq->refs > 0) {
		return;
	}
	ibv_destroy_cq(scq->cq);
	free(scq->members);
	free(scq);
}

/* The group's shared queue for @p verbs, made on first use. */
static struct rdma_shared_cq *
shared_cq_get(struct rdma_poll_group *rg, struct ibv_context *verbs, uint32_t need)
{
	struct rdma_shared_cq *scq;
	uint32_t i, free_slot = RDMA_GROUP_MAX_DEVICES;

	for (i = 0; i < RDMA_GROUP_MAX_DEVICES; i++) {
		if (rg->cqs[i] != NULL && rg->cqs[i]->verbs == verbs) {
			return rg->cqs[i];
		}
		if (rg->cqs[i] == NULL && free_slot == RDMA_GROUP_MAX_DEVICES) {
			free_slot = i;
		}
	}
	if (free_slot == RDMA_GROUP_MAX_DEVICES) {
		return NULL;
	}
	scq = calloc(1, sizeof(*scq));
	if (scq == NULL) {
		return NULL;
	}
	scq->cq = ibv_create_cq(verbs, (int)need, NULL, NULL, 0);
	if (scq->cq == NULL) {
		free(scq);
		return NULL;
	}
	scq->verbs = verbs;
	scq->size = (uint32_t)scq->cq->cqe;
	scq->refs = 1; /* the group's */
	rg->cqs[free_slot] = scq;
	return scq;
}

/* A free tag of @p scq for @p rq (the member table grows as needed). */
static uint32_t
shared_cq_tag(struct rdma_shared_cq *scq, struct rdma_qpair *rq)
{
	struct rdma_qpair **members;
	uint32_t i, room;

	for (i = 0; i < scq->room; i++) {
		if (scq->members[i] == NULL) {
			scq->members[i] = rq;
			return i + 1;
		}
	}
	room = scq->room == 0 ? 16 : 2 * scq->room;
	members = realloc(scq->members, room * sizeof(*members));
	if (members == NULL) {
		return 0;
	}
	memset(members + scq->room, 0, (room - scq->room) * sizeof(*members));
	scq->members = members;
	i = scq->room;
	scq->room = room;
	scq->members[i] = rq;
	return i + 1;
}

struct ibv_cq *
rdma_shared_cq_attach(struct rdma_qpair *rq, struct ibv_context *verbs, uint32_t need)
{
	struct rdma_shared_cq *scq = shared_cq_get(rq->rgroup, verbs, need);
	struct ibv_wc *ring;

	if (scq == NULL) {
		return NULL;
	}
	if (rq->wc_room < need) {
		ring = realloc(rq->wc_ring, need * sizeof(*ring));
		if (ring == NULL) {
			return NULL;
		}
		rq->wc_ring = ring;
		rq->wc_room = need;
	}
	/* Room in the queue for everything every user may have posted. */
	if (scq->used + rq->wc_room > scq->size) {
		if (ibv_resize_cq(scq->cq, (int)(scq->used + rq->wc_room)) != 0) {
			return NULL;
		}
		scq->size = (uint32_t)scq->cq->cqe;
	}
	rq->tag = shared_cq_tag(scq, rq);
	if (rq->tag == 0) {
		return NULL;
	}
	scq->used += rq->wc_room;
	scq->refs++;
	rq->scq = scq;
	rq->wc_head = rq->wc_count = 0;
	rq->wc_overflow = false;
	return scq->cq;
}

void
rdma_shared_cq_detach(struct rdma_qpair *rq)
{
	struct rdma_shared_cq *scq = rq->scq;

	if (scq == NULL) {
		return;
	}
	scq->members[rq->tag - 1] = NULL;
	scq->used -= rq->wc_room;
	rq->scq = NULL;
	rq->tag = 0;
	rq->wc_head = rq->wc_count = 0;
	rq->wc_overflow = false;
	shared_cq_put(scq);
}

/* Poll the shared queue until it is empty and hand every completion to
 * its qpair. A completion whose tag names no user (work of a connection
 * closed before its provider gave everything back) is dropped. */
static int
shared_cq_reap(struct rdma_shared_cq *scq)
{
	struct ibv_wc wcs[RDMA_POLL_BATCH];
	struct rdma_qpair *rq;
	uint32_t tag, slot;
	int n, i, total = 0;

	do {
		n = ibv_poll_cq(scq->cq, RDMA_POLL_BATCH, wcs);
		if (n < 0) {
			return n;
		}
		for (i = 0; i < n; i++) {
			tag = RDMA_WR_TAG(wcs[i].wr_id);
			rq = tag >= 1 && tag <= scq->room ? scq->members[tag - 1] : NULL;
			if (rq == NULL) {
				continue;
			}
			if (rq->wc_count == rq->wc_room) {
				/* More completions than work posted. */
				rq->wc_overflow = true;
				continue;
			}
			slot = (rq->wc_head + rq->wc_count) % rq->wc_room;
			rq->wc_ring[slot] = wcs[i];
			rq->wc_count++;
		}
		total += n;
	} while (n == (int)RDMA_POLL_BATCH);
	return total;
}

int
rdma_qpair_fetch_wcs(struct rdma_qpair *rq, struct ibv_wc *wcs, uint32_t max)
{
	uint32_t n = 0;

	if (rq->scq == NULL) {
		return ibv_poll_cq(rq->cq, (int)max, wcs);
	}
	if (rq->wc_count == 0 && shared_cq_reap(rq->scq) < 0) {
		return -1;
	}
	while (n < max && rq->wc_count > 0) {
		wcs[n++] = rq->wc_ring[rq->wc_head];
		rq->wc_head = (rq->wc_head + 1) % rq->wc_room;
		rq->wc_count--;
	}
	return (int)n;
}

static bool
qpair_idle(struct rdma_qpair *rq)
{
	return rq->qp != NULL && !rq->qp_error && rq->qpair.num_outstanding == 0 &&
	       rq->table.num_free == rq->table.entries;
}

/* Connect an idle qpair again so its completion queue follows its group
 * membership now; a busy one follows at its next connection. */
static void
follow_group(struct rdma_qpair *rq)
{
	if (qpair_idle(rq) && (rq->rgroup != NULL) != (rq->scq != NULL)) {
		(void)nvme_qpair_reconnect(&rq->qpair); /* logs; the next poll reports it */
	}
}

int
rdma_poll_group_add(struct nvme_transport_poll_group *tgroup, struct pnvme_qpair *qpair)
{
	struct rdma_poll_group *rg = rdma_poll_group(tgroup);
	struct rdma_qpair *rq = rdma_qpair(qpair);

	rq->rgroup = rg;
	TAILQ_INSERT_TAIL(&rg->qpairs, rq, rgroup_link);
	follow_group(rq);
	return 0;
}

void
rdma_poll_group_remove(struct nvme_transport_poll_group *tgroup, struct pnvme_qpair *qpair)
{
	struct rdma_poll_group *rg = rdma_poll_group(tgroup);
	struct rdma_qpair *rq = rdma_qpair(qpair);

	TAILQ_REMOVE(&rg->qpairs, rq, rgroup_link);
	rq->rgroup = NULL;
	follow_group(rq);
}

static bool
shared_cq_of(const struct rdma_poll_group *rg, const struct rdma_shared_cq *scq)
{
	uint32_t i;

	for (i = 0; scq != NULL && i < RDMA_GROUP_MAX_DEVICES; i++) {
		if (rg->cqs[i] == scq) {
			return true;
		}
	}
	return false;
}

int
rdma_poll_group_wait(struct nvme_transport_poll_group *tgroup)
{
	struct rdma_poll_group *rg = rdma_poll_group(tgroup);
	struct rdma_qpair *rq;
	uint32_t i;
	int rc = 0;

	for (i = 0; i < RDMA_GROUP_MAX_DEVICES; i++) {
		if (rg->cqs[i] != NULL && rg->cqs[i]->refs > 1) {
			tgroup->readiness_calls++;
			if (shared_cq_reap(rg->cqs[i]) < 0) {
				PNVME_ERRLOG("RDMA poll group: polling a shared completion queue "
					     "failed");
				rc = -EIO;
			}
		}
	}
	/* Idle: on a shared queue of this group, just polled, nothing there. */
	TAILQ_FOREACH(rq, &rg->qpairs, rgroup_link) {
		rq->qpair.recv_idle = rc == 0 && shared_cq_of(rg, rq->scq) && rq->wc_count == 0 &&
				      !rq->wc_overflow;
	}
	return rc;
}

void
rdma_poll_group_destroy(struct nvme_transport_poll_group *tgroup)
{
	struct rdma_poll_group *rg = rdma_poll_group(tgroup);
	uint32_t i;

	for (i = 0; i < RDMA_GROUP_MAX_DEVICES; i++) {
		if (rg->cqs[i] != NULL) {
			shared_cq_put(rg->cqs[i]);
		}
	}
	free(rg);
}
