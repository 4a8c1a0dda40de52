/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Poll groups: one thread polls many I/O qpairs with one call. Each
 * transport that can tell which of its qpairs have something to receive
 * (NVMe/TCP, through one epoll set) gets a part of the group behind the
 * transport ops table and is asked once per poll; the qpairs it names idle
 * skip their receive call. Every qpair is still polled, cheaply, for its
 * sends, software queue, timeouts and a reset to follow.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nvme/nvme_internal.h"

/* Transports one group can span (PCIe, TCP, RDMA and a spare). */
#define POLL_GROUP_MAX_TRANSPORTS 4

struct pnvme_poll_group {
	void *ctx;
	TAILQ_HEAD(, pnvme_qpair) qpairs;
	uint32_t num_qpairs;
	/* Parts of transports that have poll-group ops, created on first use. */
	struct nvme_transport_poll_group *tgroups[POLL_GROUP_MAX_TRANSPORTS];
	struct pnvme_poll_group_stats stats;
};

struct pnvme_poll_group *
pnvme_poll_group_create(void *ctx)
{
	struct pnvme_poll_group *group = calloc(1, sizeof(*group));

	if (group == NULL) {
		PNVME_ERRLOG("poll_group_create: out of memory");
		return NULL;
	}
	group->ctx = ctx;
	TAILQ_INIT(&group->qpairs);
	return group;
}

/* The group's part for @p ops, created if needed; NULL with *rc set when
 * it cannot be. */
static struct nvme_transport_poll_group *
tgroup_get(struct pnvme_poll_group *group, const struct nvme_transport_ops *ops, int *rc)
{
	struct nvme_transport_poll_group *tgroup;
	int i, free_slot = -1;

	for (i = 0; i < POLL_GROUP_MAX_TRANSPORTS; i++) {
		if (group->tgroups[i] != NULL && group->tgroups[i]->ops == ops) {
			return group->tgroups[i];
		}
		if (group->tgroups[i] == NULL && free_slot < 0) {
			free_slot = i;
		}
	}
	if (free_slot < 0) {
		PNVME_ERRLOG("poll_group_add: more than %d transports in one group",
			     POLL_GROUP_MAX_TRANSPORTS);
		*rc = -ENOSPC;
		return NULL;
	}
	tgroup = ops->poll_group_create();
	if (tgroup == NULL) {
		*rc = -ENOMEM; /* logged by the transport */
		return NULL;
	}
	tgroup->ops = ops;
	group->tgroups[free_slot] = tgroup;
	return tgroup;
}

int
pnvme_poll_group_add(struct pnvme_poll_group *group, struct pnvme_qpair *qpair)
{
	struct nvme_transport_poll_group *tgroup = NULL;
	int rc = 0;

	if (group == NULL || qpair == NULL || qpair->id == 0 || qpair->group != NULL) {
		PNVME_ERRLOG("poll_group_add: %s",
			     group == NULL || qpair == NULL ? "NULL argument"
			     : qpair->id == 0		    ? "the admin qpair cannot join a group"
							    : "the qpair is already in a group");
		return -EINVAL;
	}
	if (qpair->ops->poll_group_create != NULL) {
		tgroup = tgroup_get(group, qpair->ops, &rc);
		if (tgroup == NULL) {
			return rc;
		}
		rc = qpair->ops->poll_group_add(tgroup, qpair);
		if (rc != 0) {
			return rc;
		}
		tgroup->num_qpairs++;
	}
	qpair->group = group;
	qpair->tgroup = tgroup;
	qpair->recv_idle = false;
	TAILQ_INSERT_TAIL(&group->qpairs, qpair, group_link);
	group->num_qpairs++;
	return 0;
}

int
pnvme_poll_group_remove(struct pnvme_poll_group *group, struct pnvme_qpair *qpair)
{
	if (group == NULL || qpair == NULL || qpair->group != group) {
		PNVME_ERRLOG("poll_group_remove: %s", group == NULL || qpair == NULL
							  ? "NULL argument"
							  : "the qpair is not in this group");
		return -EINVAL;
	}
	if (qpair->tgroup != NULL) {
		qpair->ops->poll_group_remove(qpair->tgroup, qpair);
		qpair->tgroup->num_qpairs--;
	}
	TAILQ_REMOVE(&group->qpairs, qpair, group_link);
	group->num_qpairs--;
	qpair->group = NULL;
	qpair->tgroup = NULL;
	qpair->recv_idle = false;
	return 0;
}

/* Ask each transport part which of its qpairs have something to receive. */
static void
poll_group_wait(struct pnvme_poll_group *group)
{
	struct nvme_transport_poll_group *tgroup;
	struct pnvme_qpair *qpair;
	int i;

	TAILQ_FOREACH(qpair, &group->qpairs, group_link) {
		qpair->recv_idle = qpair->tgroup != NULL;
	}
	for (i = 0; i < POLL_GROUP_MAX_TRANSPORTS; i++) {
		tgroup = group->tgroups[i];
		if (tgroup == NULL || tgroup->num_qpairs == 0) {
			continue;
		}
		if (tgroup->ops->poll_group_wait(tgroup) != 0) {
			/* Not knowing is no reason to miss data: poll them all. */
			TAILQ_FOREACH(qpair, &group->qpairs, group_link) {
				if (qpair->tgroup == tgroup) {
					qpair->recv_idle = false;
				}
			}
		}
	}
}

int64_t
pnvme_poll_group_process_completions(struct pnvme_poll_group *group,
				     uint32_t completions_per_qpair,
				     pnvme_poll_group_disconnected_cb disconnected_cb)
{
	struct pnvme_qpair *qpair, *next;
	int64_t total = 0;
	int32_t rc;

	if (pnvme_unlikely(group == NULL || disconnected_cb == NULL)) {
		PNVME_ERRLOG("poll_group_process_completions: %s",
			     group == NULL ? "NULL group" : "no disconnected-qpair callback");
		return -EINVAL;
	}
	group->stats.polls++;
	poll_group_wait(group);
	for (qpair = TAILQ_FIRST(&group->qpairs); qpair != NULL; qpair = next) {
		next = TAILQ_NEXT(qpair, group_link);
		group->stats.idle_qpair_skips += qpair->recv_idle;
		rc = pnvme_qpair_process_completions(qpair, completions_per_qpair);
		qpair->recv_idle = false;
		if (rc >= 0) {
			total += rc;
		} else {
			/* May remove or free the qpair: nothing touches it after. */
			disconnected_cb(qpair, group->ctx);
		}
	}
	return total;
}

void *
pnvme_poll_group_get_ctx(const struct pnvme_poll_group *group)
{
	return group == NULL ? NULL : group->ctx;
}

int
pnvme_poll_group_get_stats(const struct pnvme_poll_group *group,
			   struct pnvme_poll_group_stats *stats, size_t stats_size)
{
	struct pnvme_poll_group_stats s;
	int i;

	if (group == NULL || stats == NULL || stats_size == 0) {
		PNVME_ERRLOG("poll_group_get_stats: NULL argument");
		return -EINVAL;
	}
	s = group->stats;
	for (i = 0; i < POLL_GROUP_MAX_TRANSPORTS; i++) {
		if (group->tgroups[i] != NULL) {
			s.readiness_calls += group->tgroups[i]->readiness_calls;
		}
	}
	memcpy(stats, &s, PNVME_MIN(stats_size, sizeof(s)));
	return 0;
}

int
pnvme_poll_group_destroy(struct pnvme_poll_group *group)
{
	int i;

	if (group == NULL) {
		PNVME_ERRLOG("poll_group_destroy: NULL group");
		return -EINVAL;
	}
	if (group->num_qpairs > 0) {
		PNVME_ERRLOG("poll_group_destroy: %u qpairs are still in the group",
			     group->num_qpairs);
		return -EBUSY;
	}
	for (i = 0; i < POLL_GROUP_MAX_TRANSPORTS; i++) {
		if (group->tgroups[i] != NULL) {
			group->tgroups[i]->ops->poll_group_destroy(group->tgroups[i]);
		}
	}
	free(group);
	return 0;
}
