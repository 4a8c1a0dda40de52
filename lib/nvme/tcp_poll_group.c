/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NVMe/TCP part of a poll group: one epoll set holds every connected
 * socket of the group's TCP qpairs, so one epoll_wait per group poll tells
 * which connections have something to receive; the others skip their
 * receive call. Level-triggered: a connection whose data is not all read
 * in one poll is reported again in the next.
 *
 * A connection joins the set when it opens (tcp_poll_group_watch) and
 * leaves it when its socket closes (the kernel drops a closed socket from
 * the set by itself), so a qpair reconnected after a reset stays watched.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "nvme/tcp_internal.h"

struct tcp_poll_group {
	struct nvme_transport_poll_group base;
	int epfd;
	/* Room for one event per qpair: one call always sees every ready one. */
	struct epoll_event *events;
	uint32_t events_room;
};

static struct tcp_poll_group *
tcp_poll_group(struct nvme_transport_poll_group *tgroup)
{
	return (struct tcp_poll_group *)tgroup;
}

struct nvme_transport_poll_group *
tcp_poll_group_create(void)
{
	struct tcp_poll_group *tg = calloc(1, sizeof(*tg));

	if (tg == NULL) {
		PNVME_ERRLOG("TCP poll group: out of memory");
		return NULL;
	}
	tg->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (tg->epfd < 0) {
		PNVME_ERRLOG("TCP poll group: epoll_create1: %s", strerror(errno));
		free(tg);
		return NULL;
	}
	return &tg->base;
}

void
tcp_poll_group_watch(struct tcp_qpair *tq)
{
	struct epoll_event ev;
	struct tcp_poll_group *tg;

	if (tq->qpair.tgroup == NULL || tq->fd < 0 || tq->watched) {
		return;
	}
	tg = tcp_poll_group(tq->qpair.tgroup);
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = tq;
	if (epoll_ctl(tg->epfd, EPOLL_CTL_ADD, tq->fd, &ev) != 0) {
		/* Unwatched, the qpair is simply read every poll. */
		PNVME_ERRLOG("%s: qpair %u: epoll_ctl: %s; read on every poll",
			     tq->qpair.ctrlr->trid.traddr, tq->qpair.id, strerror(errno));
		return;
	}
	tq->watched = true;
}

int
tcp_poll_group_add(struct nvme_transport_poll_group *tgroup, struct pnvme_qpair *qpair)
{
	struct tcp_poll_group *tg = tcp_poll_group(tgroup);
	struct epoll_event *events;

	if (tgroup->num_qpairs + 1 > tg->events_room) {
		events = realloc(tg->events, sizeof(*events) * (tgroup->num_qpairs + 1u) * 2u);
		if (events == NULL) {
			PNVME_ERRLOG("TCP poll group: out of memory");
			return -ENOMEM;
		}
		tg->events = events;
		tg->events_room = (tgroup->num_qpairs + 1u) * 2u;
	}
	/* The core sets qpair->tgroup after this returns; watch with it set. */
	qpair->tgroup = tgroup;
	tcp_poll_group_watch(tcp_qpair(qpair));
	return 0;
}

void
tcp_poll_group_remove(struct nvme_transport_poll_group *tgroup, struct pnvme_qpair *qpair)
{
	struct tcp_qpair *tq = tcp_qpair(qpair);

	if (tq->watched) {
		(void)epoll_ctl(tcp_poll_group(tgroup)->epfd, EPOLL_CTL_DEL, tq->fd, NULL);
		tq->watched = false;
	}
}

int
tcp_poll_group_wait(struct nvme_transport_poll_group *tgroup)
{
	struct tcp_poll_group *tg = tcp_poll_group(tgroup);
	struct tcp_qpair *tq;
	int n, i;

	tgroup->readiness_calls++;
	n = epoll_wait(tg->epfd, tg->events, (int)tg->events_room, 0);
	if (n < 0) {
		if (errno == EINTR) {
			return -EINTR;
		}
		PNVME_ERRLOG("TCP poll group: epoll_wait: %s", strerror(errno));
		return -errno;
	}
	for (i = 0; i < n; i++) {
		/* Readable, closed by the peer or in error: the receive says which. */
		tq = tg->events[i].data.ptr;
		tq->qpair.recv_idle = false;
	}
	return 0;
}

void
tcp_poll_group_destroy(struct nvme_transport_poll_group *tgroup)
{
	struct tcp_poll_group *tg = tcp_poll_group(tgroup);

	close(tg->epfd);
	free(tg->events);
	free(tg);
}
