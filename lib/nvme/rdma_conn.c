/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NVMe/RDMA connections through the connection manager, in steps that
 * never wait: resolve the address, resolve the route, make the queue pair
 * and post its receive buffers, connect with the NVMe/RDMA private data
 * (queue sizes), each step advanced by one event read from a non-blocking
 * event channel, with one deadline for the whole. A "stale connection"
 * reject starts over, a bounded number of times.
 *
 * Closing moves the queue pair to the error state first and takes back
 * every SEND and RECV the provider flushes before anything is freed: the
 * device may write into a receive buffer until its RECV is accounted for.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nvme/rdma_internal.h"

/* Longest sleep on the event channel between polls of a synchronous open. */
#define OPEN_WAIT_SLICE_MS 10
/* Pause before connecting again after a stale-connection reject. */
#define STALE_RETRY_DELAY_MS 10u

/* A failed call's errno as a negative value, never 0. */
static int
neg_errno(void)
{
	return errno > 0 ? -errno : -EIO;
}

static void
conn_log(const struct rdma_qpair *rq, const char *what, const char *detail)
{
	const struct pnvme_transport_id *trid = &rq->qpair.ctrlr->trid;

	PNVME_ERRLOG("%s:%s: qpair %u: %s%s%s", trid->traddr, trid->trsvcid, rq->qpair.id, what,
		     detail != NULL ? ": " : "", detail != NULL ? detail : "");
}

/* The controller's address from the transport ID. */
static int
resolve_target(const struct pnvme_transport_id *trid, struct sockaddr_storage *sa)
{
	struct addrinfo hints, *res = NULL;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = trid->adrfam == PNVME_ADRFAM_IPV6 ? AF_INET6 : AF_INET;
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(trid->traddr, trid->trsvcid[0] != '\0' ? trid->trsvcid : "4420", &hints,
			 &res);
	if (rc != 0 || res == NULL || res->ai_addrlen > sizeof(*sa)) {
		PNVME_ERRLOG("%s:%s: cannot resolve the address: %s", trid->traddr, trid->trsvcid,
			     rc != 0 ? gai_strerror(rc) : "no address");
		if (res != NULL) {
			freeaddrinfo(res);
		}
		return -EINVAL;
	}
	memcpy(sa, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	return 0;
}

/* Posted work the provider will not give back counts as gone. */
static void
forget_posted_work(struct rdma_qpair *rq)
{
	memset(rq->table.recv_posted, 0, rq->table.num_recvs * sizeof(*rq->table.recv_posted));
	rq->table.sends_in_flight = 0;
	rq->table.recvs_in_flight = 0;
}

/* Release what the connection holds; the qpair may open again after. */
static void
conn_release(struct rdma_qpair *rq)
{
	if (rq->cm_id != NULL && rq->cm_id->qp != NULL) {
		rdma_destroy_qp(rq->cm_id);
	}
	rq->qp = NULL;
	if (rq->scq != NULL) {
		rdma_shared_cq_detach(rq);
	} else if (rq->cq != NULL) {
		ibv_destroy_cq(rq->cq);
	}
	rq->cq = NULL;
	if (rq->capsule_mr != NULL) {
		ibv_dereg_mr(rq->capsule_mr);
		rq->capsule_mr = NULL;
	}
	if (rq->rsp_mr != NULL) {
		ibv_dereg_mr(rq->rsp_mr);
		rq->rsp_mr = NULL;
	}
	if (rq->dev != NULL) {
		rdma_device_put(rq->dev);
		rq->dev = NULL;
		rq->map = NULL;
	}
	if (rq->cm_id != NULL) {
		rdma_destroy_id(rq->cm_id);
		rq->cm_id = NULL;
	}
	if (rq->channel != NULL) {
		rdma_destroy_event_channel(rq->channel);
		rq->channel = NULL;
	}
	/* Whatever the provider did not flush is gone with the queue pair. */
	forget_posted_work(rq);
	rq->send_head = rq->send_tail = NULL;
	rq->recv_head = rq->recv_tail = NULL;
	rq->qp_error = false;
	rq->open_step = RDMA_OPEN_ADDR;
}

static int
open_fail(struct rdma_qpair *rq, int rc, const char *what, const char *detail)
{
	conn_log(rq, what, rc == -ETIMEDOUT ? "timed out" : detail);
	rdma_conn_close(rq);
	return rc;
}

int
rdma_conn_open_start(struct rdma_qpair *rq, uint32_t timeout_ms)
{
	struct sockaddr_storage sa;
	int rc;

	rc = resolve_target(&rq->qpair.ctrlr->trid, &sa);
	if (rc != 0) {
		return rc;
	}
	rq->channel = rdma_create_event_channel();
	if (rq->channel == NULL) {
		return open_fail(rq, neg_errno(), "cannot make an event channel", strerror(errno));
	}
	if (fcntl(rq->channel->fd, F_SETFL, fcntl(rq->channel->fd, F_GETFL) | O_NONBLOCK) != 0 ||
	    rdma_create_id(rq->channel, &rq->cm_id, rq, RDMA_PS_TCP) != 0) {
		return open_fail(rq, neg_errno(), "cannot make a connection identifier",
				 strerror(errno));
	}
	rq->open_timeout_ms = timeout_ms;
	rq->open_deadline = pnvme_get_ticks() + nvme_ms_to_ticks(timeout_ms);
	rq->open_step = RDMA_OPEN_ADDR;
	if (rdma_resolve_addr(rq->cm_id, NULL, (struct sockaddr *)&sa, timeout_ms) != 0) {
		return open_fail(rq, neg_errno(), "cannot resolve the address", strerror(errno));
	}
	return 0;
}

/* The route is known: the device, its memory, the queue pair and its
 * receive buffers, then the connect request with the queue sizes. */
static int
open_connect(struct rdma_qpair *rq)
{
	struct rdma_cmd_table *t = &rq->table;
	struct ibv_qp_init_attr qattr;
	struct rdma_conn_param param;
	struct rdma_cm_req_data priv;
	struct ibv_device_attr dattr;
	struct ibv_context *verbs = rq->cm_id->verbs;
	int rc;

	if (ibv_query_device(verbs, &dattr) != 0) {
		return neg_errno();
	}
	rq->dev = rdma_device_get(verbs);
	if (rq->dev == NULL) {
		return -ENOMEM;
	}
	rq->map = rq->dev->map;
	/* Room for every SEND and RECV it may have posted. In a poll group,
	 * the group's queue for this device, when it has room. */
	rq->cq = rq->rgroup != NULL ? rdma_shared_cq_attach(rq, verbs, 2 * t->entries) : NULL;
	if (rq->cq == NULL) {
		rq->cq = ibv_create_cq(verbs, (int)(2 * t->entries), rq, NULL, 0);
	}
	if (rq->cq == NULL) {
		return neg_errno();
	}
	memset(&qattr, 0, sizeof(qattr));
	qattr.qp_context = rq;
	qattr.send_cq = rq->cq;
	qattr.recv_cq = rq->cq;
	qattr.qp_type = IBV_QPT_RC;
	qattr.cap.max_send_wr = t->entries;
	qattr.cap.max_recv_wr = t->num_recvs;
	qattr.cap.max_send_sge = PNVME_MIN(RDMA_MAX_SEND_SGE, (uint32_t)dattr.max_sge);
	qattr.cap.max_recv_sge = 1;
	if (rdma_create_qp(rq->cm_id, rq->dev->pd, &qattr) != 0) {
		return neg_errno();
	}
	rq->qp = rq->cm_id->qp;
	rq->max_send_sge = PNVME_MIN(qattr.cap.max_send_sge, RDMA_MAX_SEND_SGE);
	rq->capsule_mr = ibv_reg_mr(rq->dev->pd, rq->capsules, t->entries * sizeof(*rq->capsules),
				    IBV_ACCESS_LOCAL_WRITE);
	rq->rsp_mr = ibv_reg_mr(rq->dev->pd, rq->rsps, t->num_recvs * sizeof(*rq->rsps),
				IBV_ACCESS_LOCAL_WRITE);
	if (rq->capsule_mr == NULL || rq->rsp_mr == NULL) {
		return neg_errno();
	}
	rc = rdma_qpair_start(rq);
	if (rc != 0) {
		return rc;
	}

	memset(&priv, 0, sizeof(priv));
	priv.recfmt = 0;
	priv.qid = rq->qpair.id;
	priv.hrqsize = (uint16_t)t->num_recvs;
	priv.hsqsize = (uint16_t)(t->entries - 1);
	priv.cntlid = rq->qpair.id == 0 ? 0xffff : rq->qpair.ctrlr->cntlid;
	memset(&param, 0, sizeof(param));
	param.private_data = &priv;
	param.private_data_len = sizeof(priv);
	/* The controller reads write data from us: allow what the device
	 * allows. Retries (7: the most) ride out a busy or lossy fabric; an
	 * RNR retry count of 7 means "retry for ever", and every response has
	 * its RECV posted before the command goes out anyway. */
	param.responder_resources = (uint8_t)PNVME_MIN(dattr.max_qp_rd_atom, 255);
	param.initiator_depth = (uint8_t)PNVME_MIN(dattr.max_qp_init_rd_atom, 255);
	param.flow_control = 1;
	param.retry_count = 7;
	param.rnr_retry_count = 7;
	if (rdma_connect(rq->cm_id, &param) != 0) {
		return neg_errno();
	}
	return 0;
}

/* A stale-connection reject: start over with a new identifier after a
 * pause (polled, not slept), giving the target time to drop the old one. */
static int
open_retry_stale(struct rdma_qpair *rq)
{
	uint32_t retries = rq->stale_retries + 1;

	conn_release(rq);
	rq->stale_retries = retries;
	rq->open_step = RDMA_OPEN_STALE_PAUSE;
	rq->open_deadline = pnvme_get_ticks() + nvme_ms_to_ticks(STALE_RETRY_DELAY_MS);
	return -EAGAIN;
}

/* The controller accepted: check its answer. */
static int
open_established(struct rdma_qpair *rq, const void *data, uint8_t len)
{
	struct rdma_cm_rep_data rep;
	char detail[96];

	if (data != NULL && len >= 4) {
		memset(&rep, 0, sizeof(rep));
		memcpy(&rep, data, PNVME_MIN(len, (uint8_t)sizeof(rep)));
		if (rep.recfmt != 0) {
			snprintf(detail, sizeof(detail), "record format %u, expected 0", rep.recfmt);
			return open_fail(rq, -EPROTO, "the controller's accept is not understood",
					 detail);
		}
	}
	rq->open_step = RDMA_OPEN_DONE;
	rq->stale_retries = 0;
	rq->next_cm_check = pnvme_get_ticks() + nvme_ms_to_ticks(RDMA_CM_CHECK_MS);
	return 0;
}

static int
open_rejected(struct rdma_qpair *rq, int status, const void *data, uint8_t len)
{
	struct rdma_cm_rej_data rej;
	char detail[96], buf[24];

	if (status == RDMA_CM_REJ_STALE_CONN && rq->stale_retries < RDMA_STALE_CONN_RETRIES) {
		return open_retry_stale(rq);
	}
	if (data != NULL && len >= sizeof(rej)) {
		memcpy(&rej, data, sizeof(rej));
		snprintf(detail, sizeof(detail), "%s (reason %d)",
			 rdma_cm_reject_string(rej.sts, buf, sizeof(buf)), status);
	} else {
		snprintf(detail, sizeof(detail), "reason %d%s", status,
			 status == RDMA_CM_REJ_STALE_CONN ? ", a stale connection, again" : "");
	}
	return open_fail(rq, -ECONNREFUSED, "the controller rejected the connection", detail);
}

int
rdma_conn_open_poll(struct rdma_qpair *rq)
{
	struct rdma_cm_event *ev;
	enum rdma_cm_event_type type;
	uint8_t data[UINT8_MAX + 1], len;
	int status, rc;

	if (rq->open_step == RDMA_OPEN_DONE) {
		return 0;
	}
	if (rq->open_step == RDMA_OPEN_STALE_PAUSE) {
		if (pnvme_get_ticks() < rq->open_deadline) {
			return -EAGAIN;
		}
		rc = rdma_conn_open_start(rq, rq->open_timeout_ms);
		return rc == 0 ? -EAGAIN : rc;
	}
	if (rdma_get_cm_event(rq->channel, &ev) != 0) {
		if (errno != EAGAIN) {
			return open_fail(rq, neg_errno(), "reading connection events failed",
					 strerror(errno));
		}
		if (pnvme_get_ticks() > rq->open_deadline) {
			return open_fail(rq, -ETIMEDOUT,
					 rq->open_step == RDMA_OPEN_CONNECT ? "cannot connect"
									    : "cannot resolve",
					 NULL);
		}
		return -EAGAIN;
	}
	/* Copy what is needed, then give the event back at once. */
	type = ev->event;
	status = ev->status;
	len = ev->param.conn.private_data_len; /* 8 bits: data holds any */
	if (ev->param.conn.private_data != NULL && len > 0) {
		memcpy(data, ev->param.conn.private_data, len);
	} else {
		len = 0;
	}
	rdma_ack_cm_event(ev);

	switch (rq->open_step) {
	case RDMA_OPEN_ADDR:
		if (type != RDMA_CM_EVENT_ADDR_RESOLVED) {
			return open_fail(rq, -EHOSTUNREACH, "cannot resolve the address",
					 rdma_event_str(type));
		}
		if (rdma_resolve_route(rq->cm_id, (int)rq->open_timeout_ms) != 0) {
			return open_fail(rq, neg_errno(), "cannot resolve the route", strerror(errno));
		}
		rq->open_step = RDMA_OPEN_ROUTE;
		return -EAGAIN;
	case RDMA_OPEN_ROUTE:
		if (type != RDMA_CM_EVENT_ROUTE_RESOLVED) {
			return open_fail(rq, -EHOSTUNREACH, "cannot resolve the route",
					 rdma_event_str(type));
		}
		rc = open_connect(rq);
		if (rc != 0) {
			return open_fail(rq, rc, "cannot connect", strerror(-rc));
		}
		rq->open_step = RDMA_OPEN_CONNECT;
		return -EAGAIN;
	case RDMA_OPEN_CONNECT:
		if (type == RDMA_CM_EVENT_ESTABLISHED) {
			return open_established(rq, data, len);
		}
		if (type == RDMA_CM_EVENT_REJECTED) {
			return open_rejected(rq, status, data, len);
		}
		return open_fail(rq, -ECONNREFUSED, "cannot connect", rdma_event_str(type));
	default:
		return open_fail(rq, -EPROTO, "connection in an unknown step", NULL);
	}
}

int
rdma_conn_open(struct rdma_qpair *rq, uint32_t timeout_ms)
{
	struct pollfd pfd;
	int rc = rdma_conn_open_start(rq, timeout_ms);

	if (rc != 0) {
		return rc;
	}
	while ((rc = rdma_conn_open_poll(rq)) == -EAGAIN) {
		/* No channel during a pause before a retry: just sleep. */
		pfd.fd = rq->channel != NULL ? rq->channel->fd : -1;
		pfd.events = POLLIN;
		(void)poll(&pfd, 1, OPEN_WAIT_SLICE_MS);
	}
	return rc;
}

bool
rdma_conn_peer_gone(struct rdma_qpair *rq)
{
	struct rdma_cm_event *ev;
	enum rdma_cm_event_type type;
	uint64_t now = pnvme_get_ticks();

	if (now < rq->next_cm_check || rq->channel == NULL) {
		return false;
	}
	rq->next_cm_check = now + nvme_ms_to_ticks(RDMA_CM_CHECK_MS);
	while (rdma_get_cm_event(rq->channel, &ev) == 0) {
		type = ev->event;
		rdma_ack_cm_event(ev);
		if (type == RDMA_CM_EVENT_DISCONNECTED || type == RDMA_CM_EVENT_DEVICE_REMOVAL ||
		    type == RDMA_CM_EVENT_TIMEWAIT_EXIT || type == RDMA_CM_EVENT_ADDR_CHANGE) {
			return true;
		}
	}
	return false;
}

void
rdma_conn_quiesce(struct rdma_qpair *rq)
{
	struct ibv_qp_attr attr;
	struct ibv_wc wcs[RDMA_POLL_BATCH];
	uint16_t done[RDMA_POLL_BATCH];
	uint32_t ndone, i;
	uint64_t deadline;
	char why[128];
	int n;

	if (rq->qp == NULL || rq->qp_error) {
		return;
	}
	rq->qp_error = true;
	/* A disconnect moves the queue pair to the error state and tells the
	 * peer; when the peer is gone already, move it by hand. */
	if (rdma_disconnect(rq->cm_id) != 0) {
		memset(&attr, 0, sizeof(attr));
		attr.qp_state = IBV_QPS_ERR;
		(void)ibv_modify_qp(rq->qp, &attr, IBV_QP_STATE);
	}
	/* Work still waiting to be posted never reached the device. */
	rdma_qpair_unpost_pending(rq);
	deadline = pnvme_get_ticks() + nvme_ms_to_ticks(RDMA_DRAIN_TIMEOUT_MS);
	while (rq->table.sends_in_flight > 0 || rq->table.recvs_in_flight > 0) {
		n = rdma_qpair_fetch_wcs(rq, wcs, RDMA_POLL_BATCH);
		if (n < 0) {
			break;
		}
		if (n == 0) {
			if (pnvme_get_ticks() > deadline) {
				break;
			}
			pnvme_delay_us(100);
			continue;
		}
		/* Only accounted: the connection is over, and its commands
		 * complete with an error (even one whose answer is here), as
		 * every command of a failed connection does. Malformed
		 * completions are left out of the count. */
		ndone = 0;
		for (i = 0; i < (uint32_t)n; i++) {
			(void)rdma_qpair_take_wc(rq, &wcs[i], done, &ndone, why, sizeof(why));
		}
	}
	if (rq->table.sends_in_flight > 0 || rq->table.recvs_in_flight > 0) {
		snprintf(why, sizeof(why), "%u SENDs and %u RECVs were not given back in %u ms",
			 rq->table.sends_in_flight, rq->table.recvs_in_flight,
			 RDMA_DRAIN_TIMEOUT_MS);
		conn_log(rq, "closing", why);
		/* Not coming back: the queue pair is in the error state, and
		 * destroying it (at close) ends all of it. */
		forget_posted_work(rq);
	}
}

void
rdma_conn_close(struct rdma_qpair *rq)
{
	rdma_conn_quiesce(rq);
	conn_release(rq);
	rq->stale_retries = 0;
}
