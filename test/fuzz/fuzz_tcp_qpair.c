/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NVMe/TCP queue pair receive path. The input is a script: the host
 * submits reads, writes (in-capsule or through R2T, contiguous or
 * vectored) and data-less commands, polls or leaves the socket unread,
 * runs a Connect or a Property Get; the controller end of the socket pair
 * writes raw bytes, PDUs built from the input around outstanding command
 * IDs (CapsuleResp, C2HData, R2T, C2HTermReq, lightly damaged or not), or a
 * well-behaved answer to one command, reads what the host sent, or closes.
 *
 * After every step the harness checks that the queue pair's bookkeeping is
 * whole: every command completes exactly once (and with an error once the
 * connection failed), free + outstanding command IDs = queue size, the send
 * queue holds only outstanding commands and ends, the request pool adds up.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz_check.h"
#include "fuzz_input.h"
#include "nvme/fabrics.h"
#include "nvme/tcp_internal.h"
#include "req_tracker.h"
#include "tcp_peer.h"
#include "test_env.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_STEPS 256
#define MAX_ENTRIES 8
#define MAX_DATA_LEN 40000u
#define DRAIN_ALL (1u << 20)

enum op {
	OP_HOST_READ,
	OP_HOST_WRITE_SMALL,
	OP_HOST_WRITE_LARGE,
	OP_HOST_NO_DATA,
	OP_HOST_POLL,
	OP_HOST_POLL_AGAIN, /* polls are the common case: two slots */
	OP_HOST_CONNECT,
	OP_HOST_PROPERTY_GET,
	OP_PEER_RESP,
	OP_PEER_C2H,
	OP_PEER_R2T,
	OP_PEER_TERM,
	OP_PEER_RAW,
	OP_PEER_DRAIN,
	OP_PEER_DRAIN_ALL,
	OP_PEER_ANSWER,
	OP_PEER_ANSWER_AGAIN,
	OP_PEER_SHUTDOWN_WRITE,
	OP_PEER_CLOSE,
	OP_COUNT,
};

struct harness {
	struct fuzz_input in;
	struct pnvme_ctrlr ctrlr;
	struct tcp_qpair tq;
	bool admin;
	struct req_tracker tracker;
	struct tcp_peer peer;
};

static struct harness g_h;
/* Bytes the controller sends as read data. */
static uint8_t g_pattern[MAX_DATA_LEN];

/* ---------------------------------------------------------------- */
/* Invariants                                                        */
/* ---------------------------------------------------------------- */

FUZZ_NO_COVERAGE static void
check_invariants(struct harness *h)
{
	struct tcp_qpair *tq = &h->tq;
	struct pnvme_qpair *q = &tq->qpair;
	bool free_seen[MAX_ENTRIES] = {false};
	uint32_t i, busy = 0, queued = 0, walked = 0;
	struct tcp_req *tr;

	for (i = 0; i < tq->num_entries; i++) {
		tr = &tq->reqs[i];
		FUZZ_CHECK(tr->cid == i, "command slot %u holds command ID %u", i, tr->cid);
		if (tr->queued) {
			queued++;
			FUZZ_CHECK(tr->req != NULL, "free command ID %u is still on the send queue",
				   i);
		}
		if (tr->req == NULL) {
			continue;
		}
		busy++;
		FUZZ_CHECK(tr->req >= q->reqs && tr->req < q->reqs + q->num_reqs,
			   "command ID %u points outside the request pool", i);
		if (tr->req->cb_fn == req_tracker_cb) {
			const struct req_token *tok = tr->req->cb_arg;

			FUZZ_CHECK(tok->state == REQ_TOKEN_OUTSTANDING,
				   "command ID %u holds token %u, which is no longer outstanding", i,
				   tok->index);
		}
	}
	FUZZ_CHECK(tq->num_free + busy == tq->num_entries,
		   "free command IDs %u + outstanding %u != queue size %u", (unsigned)tq->num_free,
		   busy, (unsigned)tq->num_entries);
	for (i = 0; i < tq->num_free; i++) {
		uint16_t cid = tq->free_cids[i];

		FUZZ_CHECK(cid < tq->num_entries, "free command ID %u out of range", cid);
		FUZZ_CHECK(!free_seen[cid], "command ID %u is free twice", cid);
		FUZZ_CHECK(tq->reqs[cid].req == NULL, "free command ID %u is outstanding", cid);
		free_seen[cid] = true;
	}
	TAILQ_FOREACH(tr, &tq->send_queue, send_link) {
		FUZZ_CHECK(walked++ < tq->num_entries, "the send queue loops");
		FUZZ_CHECK(tr->queued, "command ID %u is on the send queue unmarked", tr->cid);
	}
	FUZZ_CHECK(walked == queued, "send queue holds %u commands, %u are marked queued", walked,
		   queued);
	if (tq->rstate == TCP_RECV_DATA) {
		FUZZ_CHECK(tq->rreq != NULL && tq->rreq->req != NULL,
			   "receiving C2HData for a command that is not outstanding");
	}
	if (tq->fd < 0) {
		FUZZ_CHECK(q->failed, "connection closed but the qpair is not failed");
	}
	if (q->failed) {
		FUZZ_CHECK(busy == 0, "failed qpair still has %u command IDs outstanding", busy);
		FUZZ_CHECK(walked == 0, "failed qpair still has PDUs to send");
	}
	req_tracker_check(&h->tracker);
}

/* ---------------------------------------------------------------- */
/* Host side                                                         */
/* ---------------------------------------------------------------- */

static uint8_t
opcode_for(const struct harness *h, enum tcp_dir dir)
{
	switch (dir) {
	case TCP_DIR_C2H:
		return h->admin ? PNVME_OPC_IDENTIFY : PNVME_OPC_READ;
	case TCP_DIR_H2C:
		return h->admin ? PNVME_OPC_SET_FEATURES : PNVME_OPC_WRITE;
	default:
		return h->admin ? PNVME_OPC_KEEP_ALIVE : PNVME_OPC_FLUSH;
	}
}

/* Give @p req @p len bytes of data: one buffer, or up to three separately
 * allocated pieces, maybe starting some bytes into the first. */
static bool
attach_payload(struct harness *h, struct req_token *tok, struct nvme_request *req, uint32_t len,
	       uint8_t shape)
{
	uint32_t left = len, skip = (shape & 4) ? fuzz_range(&h->in, 1, 64) : 0, piece;
	int pieces = 1 + (shape & 3) % 3, i;
	uint8_t *buf;

	if (!(shape & 8)) {
		buf = req_token_alloc(tok, len);
		req->payload = buf;
		return buf != NULL;
	}
	for (i = 0; i < pieces && left > 0; i++) {
		piece = i == pieces - 1 ? left : fuzz_range(&h->in, 1, left);
		if (req_token_alloc(tok, piece + (i == 0 ? skip : 0)) == NULL) {
			return false;
		}
		left -= piece;
	}
	req->iov = tok->iov;
	req->iovcnt = (uint16_t)tok->nbufs;
	req->payload_offset = skip;
	return true;
}

static void
fill_write_data(struct req_token *tok)
{
	int i;

	for (i = 0; i < tok->nbufs; i++) {
		memset(tok->bufs[i], 0x30 + i, tok->iov[i].iov_len);
	}
}

static void
host_submit(struct harness *h, enum tcp_dir dir, uint32_t len, uint8_t shape)
{
	struct req_token *tok = req_tracker_new(&h->tracker);
	struct nvme_request *req;

	if (tok == NULL) {
		return;
	}
	req = req_token_request(tok);
	if (req == NULL) {
		return;
	}
	req->cmd.opc = opcode_for(h, dir);
	req->cmd.nsid = 1;
	if (dir == TCP_DIR_H2C && h->admin && (shape & 0x20)) {
		/* A fabrics command: its type, not the opcode, gives the direction. */
		req->cmd.opc = PNVME_OPC_FABRIC;
		req->cmd.nsid = PNVME_FCTYPE_CONNECT;
	}
	if (dir == TCP_DIR_NONE && (shape & 0x40)) {
		len = fuzz_range(&h->in, 1, 512); /* data for an opcode that moves none */
	}
	if (len > 0 && !attach_payload(h, tok, req, len, shape)) {
		nvme_qpair_free_request(&h->tq.qpair, req);
		return;
	}
	if (dir == TCP_DIR_H2C) {
		fill_write_data(tok);
	}
	req->payload_size = len;
	tok->resubmit = (shape & 0x10) != 0;
	(void)req_tracker_submit(tok, req);
}

/* From a completion callback: the application submits again. */
static void
resubmit_from_callback(struct req_tracker *t)
{
	host_submit(t->ctx, TCP_DIR_NONE, 0, 0);
}

static void
host_poll(struct harness *h)
{
	uint32_t max = fuzz_u8(&h->in) % 4;
	unsigned int before = h->tracker.used, outstanding = h->tracker.outstanding;
	int32_t rc;

	rc = nvme_qpair_process_completions(&h->tq.qpair, max);
	if (rc < 0) {
		FUZZ_CHECK(rc == -ENXIO && h->tq.qpair.failed,
			   "poll returned %d with the qpair %s", rc,
			   h->tq.qpair.failed ? "failed" : "not failed");
		return;
	}
	/* Commands submitted from callbacks raise the count again. */
	FUZZ_CHECK((unsigned int)rc <= outstanding + (h->tracker.used - before),
		   "poll reports %d completions with %u outstanding", rc, outstanding);
	if (max != 0) {
		FUZZ_CHECK((uint32_t)rc <= max, "poll reports %d completions, max %u", rc, max);
	}
}

static void
host_connect(struct harness *h)
{
	uint32_t timeout_ms = fuzz_range(&h->in, 1, 3);

	(void)nvme_fabric_connect(&h->tq.qpair, h->tq.qpair.id, (uint16_t)(h->tq.num_entries - 1),
				  0, h->admin ? 0xffff : 1, timeout_ms, NULL);
}

static void
host_property_get(struct harness *h)
{
	uint32_t offset = fuzz_u8(&h->in) & 0xfc;
	uint64_t value;

	if (!h->admin) {
		return; /* properties live on the admin queue */
	}
	(void)nvme_fabric_prop_get(&h->ctrlr, offset, fuzz_bool(&h->in) ? 8 : 4, &value);
}

/* ---------------------------------------------------------------- */
/* Controller side                                                   */
/* ---------------------------------------------------------------- */

/* A command ID: mostly an outstanding one, sometimes the next the host
 * will use, sometimes anything. */
static uint16_t
pick_cid(struct harness *h)
{
	struct tcp_qpair *tq = &h->tq;
	uint8_t sel = fuzz_u8(&h->in);
	uint16_t busy[MAX_ENTRIES];
	uint32_t i, n = 0;

	if (sel >= 0xf0) {
		return fuzz_u16(&h->in);
	}
	if (sel >= 0xe0 && tq->num_free > 0) {
		return tq->free_cids[tq->num_free - 1];
	}
	for (i = 0; i < tq->num_entries; i++) {
		if (tq->reqs[i].req != NULL) {
			busy[n++] = (uint16_t)i;
		}
	}
	return n > 0 ? busy[sel % n] : (uint16_t)(sel % tq->num_entries);
}

static struct tcp_req *
cid_req(struct harness *h, uint16_t cid)
{
	if (cid >= h->tq.num_entries || h->tq.reqs[cid].req == NULL) {
		return NULL;
	}
	return &h->tq.reqs[cid];
}

/* Status field (phase bit clear): mostly success. */
static uint16_t
pick_status(struct harness *h)
{
	return fuzz_u8(&h->in) < 0xd0 ? 0 : (uint16_t)(fuzz_u16(&h->in) & ~1u);
}

static void
pick_damage(struct harness *h, struct tcp_peer_damage *d)
{
	uint8_t k = fuzz_u8(&h->in);

	memset(d, 0, sizeof(*d));
	if (k < 0xc0) {
		return;
	}
	d->xor_at = fuzz_u8(&h->in);
	d->xor_val = fuzz_u8(&h->in);
	d->bad_hdgst = k & 1;
	d->bad_ddgst = k & 2;
}

static void
peer_resp(struct harness *h)
{
	struct tcp_peer_damage d;
	uint16_t cid = pick_cid(h), status = pick_status(h);
	uint32_t cdw0 = fuzz_u32(&h->in);

	pick_damage(h, &d);
	tcp_peer_send_resp(&h->peer, cid, status, cdw0, &d);
}

static void
peer_c2h(struct harness *h)
{
	uint16_t cid = pick_cid(h);
	struct tcp_req *tr = cid_req(h, cid);
	uint8_t mode = fuzz_u8(&h->in), flags = fuzz_u8(&h->in);
	uint32_t off, len, left;
	struct tcp_peer_damage d;

	off = (tr != NULL && !(mode & 1)) ? tr->c2h_done : fuzz_u16(&h->in);
	left = tr != NULL && tr->data_len > off ? tr->data_len - off : 0;
	if ((mode & 2) && left > 0) {
		len = left; /* exactly the rest */
	} else if ((mode & 4) && left > 0) {
		len = fuzz_range(&h->in, 1, left);
	} else {
		len = fuzz_range(&h->in, 1, 8192);
	}
	pick_damage(h, &d);
	tcp_peer_send_c2h(&h->peer, cid, off, g_pattern, PNVME_MIN(len, MAX_DATA_LEN), flags, &d);
}

static void
peer_r2t(struct harness *h)
{
	uint16_t cid = pick_cid(h);
	struct tcp_req *tr = cid_req(h, cid);
	uint8_t mode = fuzz_u8(&h->in);
	uint16_t ttag = fuzz_u16(&h->in);
	uint32_t off, len, left;
	struct tcp_peer_damage d;

	off = (tr != NULL && !(mode & 1)) ? tr->h2c_next : fuzz_u32(&h->in);
	left = tr != NULL && tr->data_len > off ? tr->data_len - off : 0;
	if (!(mode & 2) && left > 0) {
		len = fuzz_range(&h->in, 1, left);
	} else {
		len = fuzz_u32(&h->in);
	}
	pick_damage(h, &d);
	tcp_peer_send_r2t(&h->peer, cid, ttag, off, len, &d);
}

static void
peer_term(struct harness *h)
{
	uint16_t fes = fuzz_u16(&h->in);
	uint32_t fei = fuzz_u32(&h->in);

	tcp_peer_send_term(&h->peer, fes, fei, fuzz_range(&h->in, 0, 140));
}

static void
peer_raw(struct harness *h)
{
	uint8_t buf[256];
	size_t len = fuzz_u8(&h->in);

	len = fuzz_bytes(&h->in, buf, len);
	tcp_peer_queue(&h->peer, buf, len);
}

/* What a correct controller would send next for one outstanding command
 * whose capsule has gone out. */
static void
peer_answer(struct harness *h)
{
	uint16_t cid = pick_cid(h);
	struct tcp_req *tr = cid_req(h, cid);
	uint8_t mode = fuzz_u8(&h->in);
	uint32_t left, first;

	if (tr == NULL || (tr->queued && tr->send_kind == TCP_SEND_CAPSULE)) {
		return;
	}
	switch (tr->dir) {
	case TCP_DIR_C2H:
		left = tr->data_len - tr->c2h_done;
		if (left == 0) {
			break;
		}
		first = (mode & 1) && left > 1 ? fuzz_range(&h->in, 1, left - 1) : left;
		if (first < left) {
			tcp_peer_send_c2h(&h->peer, cid, tr->c2h_done, g_pattern, first, 0, NULL);
		}
		tcp_peer_send_c2h(&h->peer, cid, tr->c2h_done + first, g_pattern + first,
				  left - first, TCP_FLAG_LAST_PDU | ((mode & 2) ? TCP_FLAG_SUCCESS : 0),
				  NULL);
		if (mode & 2) {
			return; /* SUCCESS: no response follows */
		}
		break;
	case TCP_DIR_H2C:
		if (!tr->in_capsule && !tr->queued && tr->h2c_next == tr->r2t_end &&
		    tr->h2c_next < tr->data_len) {
			left = tr->data_len - tr->h2c_next;
			tcp_peer_send_r2t(&h->peer, cid, fuzz_u16(&h->in), tr->h2c_next,
					  (mode & 1) ? fuzz_range(&h->in, 1, left) : left, NULL);
			return;
		}
		if (tr->queued || tr->h2c_next < tr->data_len) {
			return; /* data still on its way */
		}
		break;
	default:
		break;
	}
	tcp_peer_send_resp(&h->peer, cid, (mode & 4) ? pick_status(h) : 0, 0, NULL);
}

/* ---------------------------------------------------------------- */
/* Set-up, script, teardown                                          */
/* ---------------------------------------------------------------- */

static bool
setup(struct harness *h)
{
	static const uint32_t icd_choices[] = {0, 512, 4096, 8192};
	struct pnvme_transport_id trid = {.trtype = PNVME_TRANSPORT_TCP};
	uint8_t flags = fuzz_u8(&h->in);
	bool hdgst = flags & 1, ddgst = flags & 2;
	uint32_t entries = fuzz_range(&h->in, 2, MAX_ENTRIES);
	uint32_t num_reqs = entries + fuzz_range(&h->in, 0, 8);
	int sv[2], one = 1;

	h->admin = (flags & 4) != 0;
	strcpy(trid.traddr, "fuzz-peer");
	strcpy(trid.trsvcid, "4420");
	strcpy(trid.subnqn, "nqn.2026-11.io.pnvme:fuzz");
	memset(&h->ctrlr, 0, sizeof(h->ctrlr));
	memset(&h->tq, 0, sizeof(h->tq));
	FUZZ_CHECK(nvme_ctrlr_construct(&h->ctrlr, &g_nvme_tcp_ops, &trid, NULL) == 0,
		   "controller construction failed");
	h->ctrlr.opts.admin_timeout_ms = 2;
	if (tcp_qpair_construct(&h->tq, &h->ctrlr, h->admin ? 0 : 1, entries, num_reqs) != 0) {
		nvme_ctrlr_destruct_common(&h->ctrlr);
		return false;
	}
	if (h->admin) {
		h->ctrlr.adminq = &h->tq.qpair;
	}
	FUZZ_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == 0,
		   "socketpair: %s", strerror(errno));
	if (flags & 0x10) {
		/* The smallest buffers the kernel allows: sends back up early. */
		setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &one, sizeof(one));
		setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &one, sizeof(one));
		setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &one, sizeof(one));
		setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &one, sizeof(one));
	}
	h->tq.fd = sv[0];
	h->tq.ic_done = true;
	h->tq.delay_send = (flags & 8) != 0;
	h->tq.params.hdgst = hdgst;
	h->tq.params.ddgst = ddgst;
	h->tq.params.maxh2cdata = 4096 * fuzz_range(&h->in, 1, 4);
	h->tq.max_icd = icd_choices[fuzz_u8(&h->in) % 4];
	h->tq.rwant = TCP_CAPSULE_RESP_HLEN + (hdgst ? TCP_DIGEST_LEN : 0);
	tcp_peer_init(&h->peer, sv[1], hdgst, ddgst);
	req_tracker_init(&h->tracker, &h->tq.qpair, false);
	h->tracker.resubmit = resubmit_from_callback;
	h->tracker.ctx = h;
	return true;
}

static void
teardown(struct harness *h)
{
	/* What destroying the qpair does: everything left completes, aborted. */
	if (!h->tq.qpair.failed) {
		nvme_qpair_fail(&h->tq.qpair);
	}
	check_invariants(h);
	req_tracker_finish(&h->tracker);
	tcp_qpair_destruct(&h->tq);
	tcp_peer_close(&h->peer);
	nvme_ctrlr_destruct_common(&h->ctrlr);
}

static void
step(struct harness *h, enum op op)
{
	uint8_t shape;

	switch (op) {
	case OP_HOST_READ:
		shape = fuzz_u8(&h->in);
		host_submit(h, TCP_DIR_C2H, fuzz_range(&h->in, 1, MAX_DATA_LEN), shape);
		break;
	case OP_HOST_WRITE_SMALL:
		shape = fuzz_u8(&h->in);
		host_submit(h, TCP_DIR_H2C, fuzz_range(&h->in, 1, 1024), shape);
		break;
	case OP_HOST_WRITE_LARGE:
		shape = fuzz_u8(&h->in);
		host_submit(h, TCP_DIR_H2C, fuzz_range(&h->in, 1, MAX_DATA_LEN), shape);
		break;
	case OP_HOST_NO_DATA:
		host_submit(h, TCP_DIR_NONE, 0, fuzz_u8(&h->in));
		break;
	case OP_HOST_POLL:
	case OP_HOST_POLL_AGAIN:
		host_poll(h);
		break;
	case OP_HOST_CONNECT:
		host_connect(h);
		break;
	case OP_HOST_PROPERTY_GET:
		host_property_get(h);
		break;
	case OP_PEER_RESP:
		peer_resp(h);
		break;
	case OP_PEER_C2H:
		peer_c2h(h);
		break;
	case OP_PEER_R2T:
		peer_r2t(h);
		break;
	case OP_PEER_TERM:
		peer_term(h);
		break;
	case OP_PEER_RAW:
		peer_raw(h);
		break;
	case OP_PEER_DRAIN:
		tcp_peer_drain(&h->peer, fuzz_u16(&h->in));
		break;
	case OP_PEER_DRAIN_ALL:
		tcp_peer_drain(&h->peer, DRAIN_ALL);
		break;
	case OP_PEER_ANSWER:
	case OP_PEER_ANSWER_AGAIN:
		peer_answer(h);
		break;
	case OP_PEER_SHUTDOWN_WRITE:
		tcp_peer_flush(&h->peer);
		if (h->peer.fd >= 0) {
			shutdown(h->peer.fd, SHUT_WR);
		}
		break;
	case OP_PEER_CLOSE:
		tcp_peer_close(&h->peer);
		break;
	default:
		break;
	}
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	uint32_t i;

	(void)argc;
	(void)argv;
	fuzz_log_init();
	signal(SIGPIPE, SIG_IGN);
	/* Half a millisecond per tick read: Connect and admin timeouts of a
	 * few milliseconds pass in a few polls. */
	g_test_tick_step = 500;
	for (i = 0; i < MAX_DATA_LEN; i++) {
		g_pattern[i] = (uint8_t)(i * 7 + 3);
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct harness *h = &g_h;
	int steps;

	fuzz_input_init(&h->in, data, size);
	if (!setup(h)) {
		return 0;
	}
	check_invariants(h);
	for (steps = 0; steps < MAX_STEPS && !fuzz_input_empty(&h->in); steps++) {
		step(h, (enum op)(fuzz_u8(&h->in) % OP_COUNT));
		tcp_peer_flush(&h->peer);
		check_invariants(h);
	}
	teardown(h);
	return 0;
}
