/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NVMe/TCP connection set-up, step by step: the socket's connect, then
 * ICReq out and ICResp in, each advanced by a poll that never waits, with
 * one deadline for the whole. Bring-up polls it like any other step; the
 * synchronous open (an I/O queue's Connect) sleeps on the socket between
 * polls.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "nvme/tcp_internal.h"
#include "nvme/tcp_sock.h"

/* Longest sleep on the socket between polls of a synchronous open. */
#define OPEN_WAIT_SLICE_MS 10

int
tcp_qpair_open_start(struct tcp_qpair *tq, bool hdgst, bool ddgst, uint32_t timeout_ms)
{
	int fd = tcp_sock_connect_start(&tq->qpair.ctrlr->trid);

	if (fd < 0) {
		return fd;
	}
	tq->fd = fd;
	tq->ic_done = false;
	tq->open_step = TCP_OPEN_CONNECT;
	tq->open_done = 0;
	tq->open_timeout_ms = timeout_ms;
	tq->open_deadline = pnvme_get_ticks() + nvme_ms_to_ticks(timeout_ms);
	tcp_pdu_build_ic_req(&tq->ic.req, hdgst, ddgst);
	tq->open_hdgst = hdgst;
	tq->open_ddgst = ddgst;
	return 0;
}

static int
open_fail(struct tcp_qpair *tq, int rc, const char *what)
{
	const struct pnvme_transport_id *trid = &tq->qpair.ctrlr->trid;

	PNVME_ERRLOG("%s:%s: qpair %u: %s: %s", trid->traddr, trid->trsvcid, tq->qpair.id, what,
		     rc == -ETIMEDOUT ? "timed out" : strerror(-rc));
	tcp_qpair_close_socket(tq);
	return rc;
}

/* The ICResp has arrived: check it, then the connection carries PDUs. */
static int
open_finish(struct tcp_qpair *tq)
{
	const struct pnvme_transport_id *trid = &tq->qpair.ctrlr->trid;
	struct tcp_ic_resp *icresp = &tq->ic.resp;
	uint32_t rest;
	char why[160];

	if (tcp_pdu_check_common(&icresp->ch, &tq->params, false, &rest, why, sizeof(why)) != 0 ||
	    tcp_pdu_check_ic_resp(icresp, tq->open_hdgst, tq->open_ddgst, &tq->params, why,
				  sizeof(why)) != 0) {
		PNVME_ERRLOG("%s:%s: qpair %u: %s", trid->traddr, trid->trsvcid, tq->qpair.id, why);
		tcp_qpair_close_socket(tq);
		return -EPROTO;
	}
	tq->ic_done = true;
	tcp_zcopy_enable(tq);
	tq->rstate = TCP_RECV_HEADER;
	tq->rbuf_head = tq->rbuf_tail = 0;
	tq->rgot = 0;
	tq->rwant = TCP_CAPSULE_RESP_HLEN + (tq->params.hdgst ? TCP_DIGEST_LEN : 0);
	return 0;
}

int
tcp_qpair_open_poll(struct tcp_qpair *tq)
{
	int rc = 0;

	if (tq->ic_done) {
		return 0;
	}
	switch (tq->open_step) {
	case TCP_OPEN_CONNECT:
		rc = tcp_sock_connect_done(tq->fd);
		if (rc != 0) {
			break;
		}
		tq->open_step = TCP_OPEN_ICREQ;
		tq->open_done = 0;
		/* fall through */
	case TCP_OPEN_ICREQ:
		rc = tcp_sock_send_some(tq->fd, &tq->ic.req, sizeof(tq->ic.req), &tq->open_done);
		if (rc != 0) {
			break;
		}
		tq->open_step = TCP_OPEN_ICRESP;
		tq->open_done = 0;
		/* fall through */
	case TCP_OPEN_ICRESP:
		rc = tcp_sock_recv_some(tq->fd, &tq->ic.resp, sizeof(tq->ic.resp), &tq->open_done);
		if (rc == 0) {
			return open_finish(tq);
		}
		break;
	}
	if (rc == -EAGAIN && pnvme_get_ticks() > tq->open_deadline) {
		rc = -ETIMEDOUT;
	}
	if (rc == -EAGAIN) {
		return rc;
	}
	return open_fail(tq, rc, tq->open_step == TCP_OPEN_CONNECT ? "cannot connect" : "no ICResp");
}

int
tcp_qpair_open(struct tcp_qpair *tq, bool hdgst, bool ddgst, uint32_t timeout_ms)
{
	int rc = tcp_qpair_open_start(tq, hdgst, ddgst, timeout_ms);

	while (rc == 0 && (rc = tcp_qpair_open_poll(tq)) == -EAGAIN) {
		rc = tcp_sock_wait(tq->fd, tq->open_step == TCP_OPEN_ICRESP ? POLLIN : POLLOUT,
				   OPEN_WAIT_SLICE_MS);
	}
	return rc;
}
