/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NVMe/TCP queue pair: one non-blocking connection, polled. Commands go out
 * as CapsuleCmd PDUs (write data in the capsule when it fits, else through
 * R2T and H2CData); reads arrive as C2HData straight into the caller's
 * buffer. No copies of data, no threads, no waiting on the data path.
 *
 * The controller is untrusted: every received header is checked before any
 * of its fields is used, and a violation fails the connection with a line
 * naming it. A failed connection completes every outstanding command once.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "nvme/crc32c.h"
#include "nvme/tcp_internal.h"
#include "nvme/tcp_sock.h"

/* Vector entries one sendmsg/readv call takes. */
#define TCP_MAX_IOV 64

static void
tcp_qpair_free_arrays(struct tcp_qpair *tq)
{
	free(tq->reqs);
	free(tq->free_cids);
	free(tq->rbuf);
	tq->reqs = NULL;
	tq->free_cids = NULL;
	tq->rbuf = NULL;
}

int
tcp_qpair_construct(struct tcp_qpair *tq, struct pnvme_ctrlr *ctrlr, uint16_t qid,
		    uint32_t entries, uint32_t num_reqs)
{
	uint32_t i;
	int rc;

	tq->fd = -1;
	if (entries < 2 || entries > 65536) {
		PNVME_ERRLOG("qpair %u: %u entries is outside 2-65536", qid, entries);
		return -EINVAL;
	}
	tq->num_entries = entries;
	TAILQ_INIT(&tq->send_queue);
	TAILQ_INIT(&tq->zc_held);
	tq->reqs = calloc(entries, sizeof(*tq->reqs));
	tq->free_cids = calloc(entries, sizeof(*tq->free_cids));
	tq->rbuf = malloc(TCP_RBUF_SIZE);
	tq->rbuf_head = tq->rbuf_tail = 0;
	if (tq->reqs == NULL || tq->free_cids == NULL || tq->rbuf == NULL) {
		tcp_qpair_free_arrays(tq);
		return -ENOMEM;
	}
	for (i = 0; i < entries; i++) {
		tq->reqs[i].cid = (uint16_t)i;
		tq->free_cids[i] = (uint16_t)(entries - 1 - i);
	}
	tq->num_free = entries;
	rc = nvme_qpair_init(&tq->qpair, ctrlr, qid, num_reqs);
	if (rc != 0) {
		tcp_qpair_free_arrays(tq);
	}
	return rc;
}

void
tcp_qpair_destruct(struct tcp_qpair *tq)
{
	tcp_qpair_close_socket(tq);
	if (tq->reqs != NULL) {
		nvme_qpair_fini(&tq->qpair);
	}
	tcp_qpair_free_arrays(tq);
}

static uint32_t
hdgst_len(const struct tcp_qpair *tq)
{
	return tq->params.hdgst ? TCP_DIGEST_LEN : 0;
}

static uint32_t
ddgst_len(const struct tcp_qpair *tq)
{
	return tq->params.ddgst ? TCP_DIGEST_LEN : 0;
}

/* ---------------------------------------------------------------- */
/* Data of a request as vectors                                      */
/* ---------------------------------------------------------------- */

/* Describe bytes [off, off + len) of @p req's data in @p out (at most @p max
 * entries); returns the entries used and, in *covered, the bytes they hold. */
static int
payload_iov(const struct nvme_request *req, uint32_t off, uint32_t len, struct iovec *out, int max,
	    uint32_t *covered)
{
	size_t skip;
	int i, n = 0;

	*covered = 0;
	if (len == 0 || max == 0) {
		return 0;
	}
	if (req->iov == NULL) {
		out[0].iov_base = (uint8_t *)req->payload + off;
		out[0].iov_len = len;
		*covered = len;
		return 1;
	}
	skip = (size_t)req->payload_offset + off;
	for (i = 0; i < req->iovcnt && len > 0 && n < max; i++) {
		size_t take;

		if (skip >= req->iov[i].iov_len) {
			skip -= req->iov[i].iov_len;
			continue;
		}
		take = PNVME_MIN(req->iov[i].iov_len - skip, (size_t)len);
		out[n].iov_base = (uint8_t *)req->iov[i].iov_base + skip;
		out[n].iov_len = take;
		n++;
		len -= (uint32_t)take;
		*covered += (uint32_t)take;
		skip = 0;
	}
	return n;
}

static uint32_t
payload_crc(const struct nvme_request *req, uint32_t off, uint32_t len)
{
	if (req->iov == NULL) {
		return crc32c((const uint8_t *)req->payload + off, len);
	}
	return crc32c_finish(crc32c_update_iov(CRC32C_INIT, req->iov, req->iovcnt,
					       (size_t)req->payload_offset + off, len));
}

/* ---------------------------------------------------------------- */
/* Sending                                                           */
/* ---------------------------------------------------------------- */

static uint32_t
pdu_total(const struct tcp_qpair *tq, const struct tcp_req *tr)
{
	return tr->hdr_len + tr->pdu_data_len + (tr->pdu_data_len ? ddgst_len(tq) : 0);
}

static void
send_queue_add(struct tcp_qpair *tq, struct tcp_req *tr)
{
	tr->send_done = 0;
	tr->queued = true;
	TAILQ_INSERT_TAIL(&tq->send_queue, tr, send_link);
}

/* Next H2CData PDU of the window the controller asked for. */
static void
build_h2c(struct tcp_qpair *tq, struct tcp_req *tr)
{
	struct tcp_data_hdr *h = &tr->hdr.h2c;
	uint32_t off = tr->h2c_next;
	uint32_t len = PNVME_MIN(tr->r2t_end - off, tq->params.maxh2cdata);

	memset(h, 0, sizeof(*h));
	h->ch.type = TCP_PDU_H2C_DATA;
	h->ch.hlen = TCP_DATA_HLEN;
	h->ch.pdo = (uint8_t)(TCP_DATA_HLEN + hdgst_len(tq));
	h->ch.plen = TCP_DATA_HLEN + hdgst_len(tq) + len + ddgst_len(tq);
	h->ch.flags = (uint8_t)((tq->params.hdgst ? TCP_FLAG_HDGST : 0) |
				(tq->params.ddgst ? TCP_FLAG_DDGST : 0) |
				(off + len == tr->r2t_end ? TCP_FLAG_LAST_PDU : 0));
	h->cccid = tr->cid;
	h->ttag = tr->ttag;
	h->datao = off;
	h->datal = len;
	if (tq->params.hdgst) {
		tcp_pdu_set_hdgst(&h->ch);
	}
	tr->send_kind = TCP_SEND_H2C_DATA;
	tr->hdr_len = TCP_DATA_HLEN + hdgst_len(tq);
	tr->pdu_data_off = off;
	tr->pdu_data_len = len;
	if (tq->params.ddgst) {
		tr->ddgst = payload_crc(tr->req, off, len);
	}
	tr->h2c_next = off + len;
	send_queue_add(tq, tr);
}

/* Vectors for what is left of @p tr's PDU; *whole is false when they could
 * not all fit. */
static int
pdu_iov(const struct tcp_qpair *tq, struct tcp_req *tr, struct iovec *iov, int max, bool *whole)
{
	uint32_t done = tr->send_done, covered, dd = tr->pdu_data_len ? ddgst_len(tq) : 0;
	int n = 0;

	*whole = false;
	if (max == 0) {
		return 0;
	}
	if (done < tr->hdr_len) {
		iov[n].iov_base = tr->hdr.raw + done;
		iov[n].iov_len = tr->hdr_len - done;
		n++;
		done = 0;
	} else {
		done -= tr->hdr_len;
	}
	if (done < tr->pdu_data_len) {
		n += payload_iov(tr->req, tr->pdu_data_off + done, tr->pdu_data_len - done, iov + n,
				 max - n, &covered);
		if (covered != tr->pdu_data_len - done) {
			return n;
		}
		done = 0;
	} else {
		done -= tr->pdu_data_len;
	}
	if (done < dd) {
		if (n == max) {
			return n;
		}
		iov[n].iov_base = (uint8_t *)&tr->ddgst + done;
		iov[n].iov_len = dd - done;
		n++;
	}
	*whole = true;
	return n;
}

/* A PDU has gone out whole: the next one of the same command, if any. */
static void
pdu_sent(struct tcp_qpair *tq, struct tcp_req *tr)
{
	tq->pdus_sent++;
	if (tr->send_kind == TCP_SEND_CAPSULE) {
		tr->capsule_sent = true;
	}
	if (tr->send_kind == TCP_SEND_H2C_DATA && tr->h2c_next < tr->r2t_end) {
		build_h2c(tq, tr);
	}
}

/* The PDU in @p tr->hdr is the command's last: nothing rewrites hdr before
 * the command completes (an R2T write's capsule is followed by H2CData
 * headers built in the same place). */
static bool
pdu_is_commands_last(const struct tcp_req *tr)
{
	if (tr->send_kind == TCP_SEND_CAPSULE) {
		return tr->dir != TCP_DIR_H2C || tr->in_capsule;
	}
	return tr->pdu_data_off + tr->pdu_data_len == tr->data_len;
}

/* Write queued PDUs, several per call, until done or the socket is full.
 * A large call whose PDUs are each their command's last goes zero-copy
 * (tcp_zcopy.c). 0, or -errno when the connection is broken. */
static int
tcp_flush(struct tcp_qpair *tq)
{
	struct iovec iov[TCP_MAX_IOV];
	bool whole, zc, zc_refused = false;
	struct msghdr msg;
	struct tcp_req *tr;
	uint32_t left, seq = 0;
	size_t bytes;
	ssize_t sent;
	int n, i;

	while (!TAILQ_EMPTY(&tq->send_queue)) {
		n = 0;
		zc = tq->zcopy && !zc_refused && tq->zc_sent - tq->zc_done < TCP_ZCOPY_MAX_PENDING;
		TAILQ_FOREACH(tr, &tq->send_queue, send_link) {
			n += pdu_iov(tq, tr, iov + n, TCP_MAX_IOV - n, &whole);
			zc = zc && pdu_is_commands_last(tr);
			if (!whole || n == TCP_MAX_IOV) {
				break;
			}
		}
		for (i = 0, bytes = 0; zc && i < n; i++) {
			bytes += iov[i].iov_len;
		}
		zc = zc && bytes >= TCP_ZCOPY_MIN_BYTES;
		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = iov;
		msg.msg_iovlen = (size_t)n;
		sent = sendmsg(tq->fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL | (zc ? MSG_ZEROCOPY : 0));
		tq->send_calls++;
		if (sent < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				return 0;
			}
			if (errno == EINTR) {
				continue;
			}
			if (zc && errno == ENOBUFS) {
				zc_refused = true; /* no room to track it: copy this time */
				continue;
			}
			return -errno;
		}
		if (zc) {
			seq = tq->zc_sent++;
			tq->zcopy_sends++;
		}
		while (sent > 0 && (tr = TAILQ_FIRST(&tq->send_queue)) != NULL) {
			if (zc) {
				tr->zc_wait = true;
				tr->zc_seq = seq;
			}
			left = pdu_total(tq, tr) - tr->send_done;
			if ((size_t)sent < left) {
				tr->send_done += (uint32_t)sent;
				break;
			}
			sent -= left;
			TAILQ_REMOVE(&tq->send_queue, tr, send_link);
			tr->queued = false;
			pdu_sent(tq, tr);
		}
	}
	return 0;
}

/* Data direction from the opcode's low bits (the fabrics type's for 0x7f). */
static enum tcp_dir
cmd_dir(const struct pnvme_cmd *cmd)
{
	uint8_t code = cmd->opc == PNVME_OPC_FABRIC ? (uint8_t)cmd->nsid : (uint8_t)cmd->opc;

	switch (code & 3) {
	case 1:
		return TCP_DIR_H2C;
	case 2:
		return TCP_DIR_C2H;
	default:
		return TCP_DIR_NONE;
	}
}

int
tcp_qpair_submit_request(struct pnvme_qpair *qpair, struct nvme_request *req)
{
	struct tcp_qpair *tq = tcp_qpair(qpair);
	struct pnvme_sgl_descriptor *sgl;
	struct tcp_capsule_cmd *cap;
	uint32_t len = req->payload_size, icd_max;
	struct tcp_req *tr;
	enum tcp_dir dir;

	if (pnvme_unlikely(tq->fd < 0)) {
		return -ENXIO;
	}
	/* A fused FIRST goes out only with room for its SECOND right behind
	 * it: the controller holds the FIRST until the SECOND arrives. */
	if (pnvme_unlikely(tq->num_free < (req->cmd.fuse == PNVME_FUSE_FIRST ? 2u : 1u))) {
		return -EAGAIN;
	}
	dir = len ? cmd_dir(&req->cmd) : TCP_DIR_NONE;
	if (pnvme_unlikely(len != 0 && dir == TCP_DIR_NONE)) {
		PNVME_ERRLOG("qpair %u: opcode 0x%02x moves data in both directions or none, "
			     "but %u bytes were given",
			     qpair->id, req->cmd.opc, len);
		return -EINVAL;
	}
	tr = &tq->reqs[tq->free_cids[--tq->num_free]];
	tr->req = req;
	tr->capsule_sent = false;
	tr->dir = (uint8_t)dir;
	tr->data_len = len;
	tr->c2h_done = 0;
	tr->h2c_next = 0;
	tr->r2t_end = 0;

	req->cmd.cid = tr->cid; /* what a timeout reports */
	cap = &tr->hdr.capsule;
	cap->cmd = req->cmd;
	cap->cmd.psdt = PNVME_PSDT_SGL_MPTR_CONTIG;
	sgl = &cap->cmd.dptr.sgl1;
	memset(sgl, 0, sizeof(*sgl));
	sgl->length = len;
	icd_max = req->cmd.opc == PNVME_OPC_FABRIC || qpair->id == 0 ? TCP_ADMIN_ICD_MAX
								     : tq->max_icd;
	tr->in_capsule = dir == TCP_DIR_H2C && len <= icd_max;
	if (tr->in_capsule) {
		sgl->type = PNVME_SGL_TYPE_DATA_BLOCK;
		sgl->subtype = 0x1; /* offset into the capsule's data */
		tr->h2c_next = tr->r2t_end = len;
	} else {
		sgl->type = PNVME_SGL_TYPE_TRANSPORT_DATA_BLOCK;
		sgl->subtype = 0xa; /* transport specific: data moved by PDUs */
	}

	memset(&cap->ch, 0, sizeof(cap->ch));
	cap->ch.type = TCP_PDU_CAPSULE_CMD;
	cap->ch.hlen = TCP_CAPSULE_CMD_HLEN;
	cap->ch.flags = tq->params.hdgst ? TCP_FLAG_HDGST : 0;
	tr->hdr_len = TCP_CAPSULE_CMD_HLEN + hdgst_len(tq);
	tr->pdu_data_off = 0;
	tr->pdu_data_len = tr->in_capsule ? len : 0;
	if (tr->in_capsule) {
		cap->ch.pdo = (uint8_t)tr->hdr_len;
		if (tq->params.ddgst) {
			cap->ch.flags |= TCP_FLAG_DDGST;
			tr->ddgst = payload_crc(req, 0, len);
		}
	}
	cap->ch.plen = pdu_total(tq, tr);
	if (tq->params.hdgst) {
		tcp_pdu_set_hdgst(&cap->ch);
	}
	tr->send_kind = TCP_SEND_CAPSULE;
	send_queue_add(tq, tr);
	if (!tq->delay_send) {
		/* A broken connection is reported (and this command completed)
		 * by the poll that follows. */
		(void)tcp_flush(tq);
	}
	return 0;
}

/* ---------------------------------------------------------------- */
/* Receiving                                                         */
/* ---------------------------------------------------------------- */

void
tcp_qpair_fail_conn(struct tcp_qpair *tq, const char *why)
{
	struct pnvme_ctrlr *ctrlr = tq->qpair.ctrlr;

	if (tq->fd >= 0) {
		PNVME_ERRLOG("%s:%s: qpair %u: %s; closing the connection", ctrlr->trid.traddr,
			     ctrlr->trid.trsvcid, tq->qpair.id, why);
		tcp_qpair_close_socket(tq);
	}
	if (tq->qpair.id == 0) {
		nvme_ctrlr_fail(ctrlr, why);
	} else {
		nvme_qpair_fail(&tq->qpair);
	}
}

/*
 * A protocol error in the header just received: tell the controller which
 * (H2CTermReq with the fatal error status, the field's offset and the
 * offending header; best effort, never waiting), then fail the connection.
 */
static void
protocol_error(struct tcp_qpair *tq, uint16_t fes, uint32_t fei, const char *why)
{
	struct {
		struct tcp_term_hdr t;
		uint8_t hdr[TCP_TERM_MAX_PLEN - TCP_TERM_HLEN];
	} term;
	uint32_t n = PNVME_MIN(tq->rgot ? tq->rgot : tq->rwant, (uint32_t)sizeof(term.hdr));

	if (tq->fd >= 0) {
		memset(&term, 0, sizeof(term));
		term.t.ch.type = TCP_PDU_H2C_TERM_REQ;
		term.t.ch.hlen = TCP_TERM_HLEN;
		term.t.ch.plen = TCP_TERM_HLEN + n;
		term.t.fes = fes;
		term.t.feil = (uint16_t)fei;
		term.t.feiu = (uint16_t)(fei >> 16);
		memcpy(term.hdr, tq->rhdr.raw, n);
		(void)send(tq->fd, &term, term.t.ch.plen, MSG_DONTWAIT | MSG_NOSIGNAL);
	}
	tcp_qpair_fail_conn(tq, why);
}

/*
 * The command a received PDU names. It must be outstanding and its whole
 * CapsuleCmd must have gone out: the controller cannot answer, ask for data
 * or send data for a command it has not received. This is the one place
 * that rule is checked, for every PDU type that names a command.
 */
static struct tcp_req *
lookup(struct tcp_qpair *tq, uint16_t cid, const char *pdu)
{
	char why[128];

	if (cid < tq->num_entries && tq->reqs[cid].req != NULL && tq->reqs[cid].capsule_sent &&
	    !tq->reqs[cid].zc_held) {
		return &tq->reqs[cid];
	}
	if (cid < tq->num_entries && tq->reqs[cid].zc_held) {
		snprintf(why, sizeof(why), "%s for command ID %u, which was already answered",
			 pdu, cid);
	} else if (cid < tq->num_entries && tq->reqs[cid].req != NULL) {
		snprintf(why, sizeof(why), "%s for command ID %u, whose command is not sent yet",
			 pdu, cid);
	} else {
		snprintf(why, sizeof(why), "%s for command ID %u, which is not outstanding", pdu,
			 cid);
	}
	/* The command ID sits at byte 8 of every PDU type that carries one
	 * (in the CQE: byte 8 + 12). */
	protocol_error(tq, TCP_FES_INVALID_HEADER_FIELD,
		       tq->rhdr.ch.type == TCP_PDU_CAPSULE_RESP ? 20 : 8, why);
	return NULL;
}

void
tcp_req_complete_now(struct tcp_qpair *tq, struct tcp_req *tr, const struct pnvme_cpl *cpl)
{
	struct nvme_request *req = tr->req;

	tr->req = NULL;
	tr->zc_wait = false;
	tq->free_cids[tq->num_free++] = tr->cid;
	nvme_qpair_complete_request(&tq->qpair, req, cpl);
}

/*
 * Complete @p tr with @p cpl. A command still on the send queue (H2CData the
 * controller no longer wants, e.g. after an early error response) leaves it
 * first; if part of its PDU is already on the wire the stream cannot be
 * ended cleanly, so the connection fails instead (which completes it). A
 * command whose bytes the kernel may still read (zero-copy send) is held
 * until it is done. Returns true when the command completed now.
 */
static bool
complete(struct tcp_qpair *tq, struct tcp_req *tr, const struct pnvme_cpl *cpl)
{
	char why[128];

	if (tr->queued) {
		if (tr->send_done != 0) {
			snprintf(why, sizeof(why),
				 "command ID %u completed while its PDU is still being sent", tr->cid);
			tcp_qpair_fail_conn(tq, why);
			return false;
		}
		TAILQ_REMOVE(&tq->send_queue, tr, send_link);
		tr->queued = false;
	}
	if (pnvme_unlikely(tr->zc_wait) && !tcp_zcopy_seq_done(tq, tr->zc_seq)) {
		tr->zc_cpl = *cpl;
		tr->zc_held = true;
		TAILQ_INSERT_TAIL(&tq->zc_held, tr, zc_link);
		return false;
	}
	tcp_req_complete_now(tq, tr, cpl);
	return true;
}

static void
handle_capsule_resp(struct tcp_qpair *tq, uint32_t *done)
{
	struct pnvme_cpl cpl = tq->rhdr.resp.cpl;
	struct tcp_req *tr = lookup(tq, cpl.cid, "CapsuleResp");
	char why[128];

	if (tr == NULL) {
		return;
	}
	if (!pnvme_cpl_is_error(&cpl) && tr->dir == TCP_DIR_C2H && tr->c2h_done != tr->data_len) {
		snprintf(why, sizeof(why), "command ID %u succeeded with %u of its %u bytes read",
			 cpl.cid, tr->c2h_done, tr->data_len);
		tcp_qpair_fail_conn(tq, why);
		return;
	}
	if (!pnvme_cpl_is_error(&cpl) && tr->dir == TCP_DIR_H2C &&
	    (tr->h2c_next != tr->data_len || tr->queued)) {
		snprintf(why, sizeof(why),
			 "command ID %u succeeded before all %u bytes of its data were sent", cpl.cid,
			 tr->data_len);
		tcp_qpair_fail_conn(tq, why);
		return;
	}
	cpl.sqid = tq->qpair.id;
	if (complete(tq, tr, &cpl)) {
		(*done)++;
	}
}

static void
handle_r2t(struct tcp_qpair *tq)
{
	const struct tcp_r2t_hdr *r2t = &tq->rhdr.r2t;
	struct tcp_req *tr = lookup(tq, r2t->cccid, "R2T");
	char why[160];

	if (tr == NULL) {
		return;
	}
	if (tr->dir != TCP_DIR_H2C || tr->in_capsule || tr->queued) {
		snprintf(why, sizeof(why), "R2T for command ID %u, which has no data waiting for one",
			 r2t->cccid);
		protocol_error(tq, TCP_FES_PDU_SEQUENCE_ERROR, 0, why);
		return;
	}
	if (r2t->r2tl == 0 || r2t->r2to != tr->h2c_next || r2t->r2tl > tr->data_len - r2t->r2to) {
		snprintf(why, sizeof(why),
			 "R2T for command ID %u asks for %u bytes at offset %u (sent %u of %u)",
			 r2t->cccid, r2t->r2tl, r2t->r2to, tr->h2c_next, tr->data_len);
		protocol_error(tq, TCP_FES_DATA_OUT_OF_RANGE, 12, why);
		return;
	}
	tr->ttag = r2t->ttag;
	tr->r2t_end = r2t->r2to + r2t->r2tl;
	build_h2c(tq, tr);
}

static void
handle_c2h_data_header(struct tcp_qpair *tq)
{
	const struct tcp_data_hdr *h = &tq->rhdr.data;
	struct tcp_req *tr = lookup(tq, h->cccid, "C2HData");
	uint32_t datal;
	char why[160];

	if (tr == NULL) {
		return;
	}
	datal = h->ch.plen - h->ch.pdo - ddgst_len(tq);
	if (tr->dir != TCP_DIR_C2H) {
		snprintf(why, sizeof(why), "C2HData for command ID %u, which reads no data",
			 h->cccid);
	} else if (h->datal != datal) {
		snprintf(why, sizeof(why), "C2HData DATAL %u disagrees with PLEN %u", h->datal,
			 h->ch.plen);
	} else if (h->datao != tr->c2h_done) {
		snprintf(why, sizeof(why),
			 "C2HData for command ID %u at offset %u, expected %u (out of order)",
			 h->cccid, h->datao, tr->c2h_done);
	} else if (datal > tr->data_len - h->datao) {
		snprintf(why, sizeof(why),
			 "C2HData of %u bytes at offset %u runs past command ID %u's %u-byte buffer",
			 datal, h->datao, h->cccid, tr->data_len);
	} else {
		tq->rreq = tr;
		tq->rdata_off = h->datao;
		tq->rdata_len = datal;
		tq->rcrc = CRC32C_INIT;
		tq->rstate = TCP_RECV_DATA;
		return;
	}
	protocol_error(tq, TCP_FES_DATA_OUT_OF_RANGE, 12, why);
}

static void
handle_term_req(struct tcp_qpair *tq)
{
	const struct tcp_term_hdr *t = &tq->rhdr.term;
	char why[128];

	snprintf(why, sizeof(why),
		 "the controller ended the connection (C2HTermReq, FES %u, FEI 0x%08x)", t->fes,
		 (uint32_t)t->feil | ((uint32_t)t->feiu << 16));
	tcp_qpair_fail_conn(tq, why);
}

static void
header_received(struct tcp_qpair *tq, uint32_t *done)
{
	const struct tcp_common_hdr *ch = &tq->rhdr.ch;

	tq->pdus_received++;
	if (ch->type != TCP_PDU_C2H_TERM_REQ && tq->params.hdgst && !tcp_pdu_hdgst_ok(ch)) {
		protocol_error(tq, TCP_FES_HDGST_ERROR, 0, "header digest mismatch");
		return;
	}
	switch (ch->type) {
	case TCP_PDU_CAPSULE_RESP:
		handle_capsule_resp(tq, done);
		break;
	case TCP_PDU_R2T:
		handle_r2t(tq);
		break;
	case TCP_PDU_C2H_DATA:
		handle_c2h_data_header(tq);
		break;
	default:
		handle_term_req(tq);
		break;
	}
}

static void
data_received(struct tcp_qpair *tq, uint32_t *done)
{
	struct tcp_req *tr = tq->rreq;
	uint8_t flags = tq->rhdr.ch.flags;
	struct pnvme_cpl cpl;
	uint32_t want;
	char why[128];

	tq->rstate = TCP_RECV_HEADER;
	tq->rreq = NULL;
	if (tq->params.ddgst) {
		memcpy(&want, tq->rddgst, sizeof(want));
		if (crc32c_finish(tq->rcrc) != want) {
			snprintf(why, sizeof(why), "data digest mismatch in C2HData for command ID %u",
				 tr->cid);
			tcp_qpair_fail_conn(tq, why);
			return;
		}
	}
	tr->c2h_done += tq->rdata_len;
	if (!(flags & TCP_FLAG_SUCCESS)) {
		return; /* a CapsuleResp follows */
	}
	if (tr->c2h_done != tr->data_len) {
		snprintf(why, sizeof(why), "C2HData SUCCESS for command ID %u after %u of %u bytes",
			 tr->cid, tr->c2h_done, tr->data_len);
		tcp_qpair_fail_conn(tq, why);
		return;
	}
	/* The controller's way of saying "succeeded" without a CapsuleResp. */
	memset(&cpl, 0, sizeof(cpl));
	cpl.cid = tr->cid;
	cpl.sqid = tq->qpair.id;
	if (complete(tq, tr, &cpl)) {
		(*done)++;
	}
}

/* recv() result: bytes, 0 when nothing is there, or -errno (EOF: -ECONNRESET). */
static ssize_t
recv_result(ssize_t n)
{
	if (n > 0) {
		return n;
	}
	if (n == 0) {
		return -ECONNRESET;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
		return 0;
	}
	return -errno;
}

/*
 * The receive buffer: one recv per poll takes what the socket holds, up to
 * its size, and every whole PDU in it is parsed from there. A read that
 * comes back short means the socket is empty: no more calls this poll.
 */
static uint32_t
rbuf_avail(const struct tcp_qpair *tq)
{
	return tq->rbuf_tail - tq->rbuf_head;
}

static uint32_t
rbuf_take(struct tcp_qpair *tq, void *dst, uint32_t len)
{
	len = PNVME_MIN(len, rbuf_avail(tq));
	memcpy(dst, tq->rbuf + tq->rbuf_head, len);
	tq->rbuf_head += len;
	return len;
}

/* Refill the (empty) buffer: bytes, 0 when the socket had nothing this
 * poll, or -errno. */
static ssize_t
rbuf_fill(struct tcp_qpair *tq)
{
	ssize_t n;

	if (tq->rdrained) {
		return 0;
	}
	tq->rbuf_head = tq->rbuf_tail = 0;
	n = recv_result(recv(tq->fd, tq->rbuf, TCP_RBUF_SIZE, MSG_DONTWAIT));
	tq->recv_calls++;
	tq->recv_empty_calls += n == 0;
	if (n >= 0 && n < (ssize_t)TCP_RBUF_SIZE) {
		tq->rdrained = true;
	}
	if (n > 0) {
		tq->rbuf_tail = (uint32_t)n;
	}
	return n;
}

/* The data digest, over payload bytes just written where they land (the
 * first @p len bytes of @p iov), while they are still in cache. */
static void
rcrc_landed(struct tcp_qpair *tq, const struct iovec *iov, int cnt, uint32_t len)
{
	uint32_t take;
	int i;

	for (i = 0; i < cnt && len > 0 && tq->params.ddgst; i++) {
		take = (uint32_t)PNVME_MIN(iov[i].iov_len, (size_t)len);
		tq->rcrc = crc32c_update(tq->rcrc, iov[i].iov_base, take);
		len -= take;
	}
}

/* Buffered bytes of the C2HData payload (then its digest) into place. */
static void
data_from_rbuf(struct tcp_qpair *tq)
{
	struct iovec iov[TCP_MAX_IOV];
	uint32_t covered, want;
	int cnt, i;

	while (rbuf_avail(tq) > 0 && tq->rgot < tq->rdata_len) {
		want = PNVME_MIN(tq->rdata_len - tq->rgot, rbuf_avail(tq));
		cnt = payload_iov(tq->rreq->req, tq->rdata_off + tq->rgot, want, iov, TCP_MAX_IOV,
				  &covered);
		for (i = 0; i < cnt; i++) {
			tq->rgot += rbuf_take(tq, iov[i].iov_base, (uint32_t)iov[i].iov_len);
			rcrc_landed(tq, &iov[i], 1, (uint32_t)iov[i].iov_len);
		}
	}
	if (tq->rgot >= tq->rdata_len) {
		tq->rgot += rbuf_take(tq, tq->rddgst + (tq->rgot - tq->rdata_len),
				      tq->rdata_len + ddgst_len(tq) - tq->rgot);
	}
}

/* One receive step: >0 progress, 0 nothing to read, <0 connection failed. */
static int
recv_step(struct tcp_qpair *tq, uint32_t *done)
{
	struct iovec iov[TCP_MAX_IOV];
	uint32_t rest, covered, asked, dd = ddgst_len(tq);
	char why[160];
	ssize_t n;
	int cnt, fes;

	if (tq->rstate == TCP_RECV_HEADER) {
		if (rbuf_avail(tq) == 0) {
			n = rbuf_fill(tq);
			if (n <= 0) {
				return (int)n;
			}
		}
		n = rbuf_take(tq, tq->rhdr.raw + tq->rgot, tq->rwant - tq->rgot);
		tq->rgot += (uint32_t)n;
		if (tq->rgot < sizeof(struct tcp_common_hdr)) {
			return 1;
		}
		/* The first read asks for the common size of every PDU a host
		 * receives; once the common header is in, the check (done once
		 * per PDU) fixes the real one. */
		if (tq->rgot - (uint32_t)n < sizeof(struct tcp_common_hdr)) {
			fes = tcp_pdu_check_common(&tq->rhdr.ch, &tq->params, true, &rest, why,
						   sizeof(why));
			if (fes != 0) {
				protocol_error(tq, (uint16_t)fes, 0, why);
				return -EPROTO;
			}
			tq->rwant = (uint32_t)sizeof(struct tcp_common_hdr) + rest;
			if (tq->rgot > tq->rwant) {
				/* A shorter PDU than the first read asked for: the
				 * rest belongs to the next one. */
				tq->rbuf_head -= tq->rgot - tq->rwant;
				tq->rgot = tq->rwant;
			} else if (tq->rgot < tq->rwant) {
				tq->rgot += rbuf_take(tq, tq->rhdr.raw + tq->rgot,
						      tq->rwant - tq->rgot);
			}
		}
		if (tq->rgot < tq->rwant) {
			return 1;
		}
		header_received(tq, done);
		tq->rgot = 0;
		tq->rwant = TCP_CAPSULE_RESP_HLEN + hdgst_len(tq);
		return tq->fd < 0 ? -ENXIO : 1;
	}

	/* C2HData payload: what the buffer holds is copied; the rest is read
	 * straight into the command's buffer, then its digest, with the same
	 * call picking up the next PDUs into the (empty) receive buffer. */
	data_from_rbuf(tq);
	if (tq->rgot < tq->rdata_len + dd) {
		if (tq->rdrained) {
			return 0;
		}
		cnt = 0;
		asked = 0;
		if (tq->rgot < tq->rdata_len) {
			cnt = payload_iov(tq->rreq->req, tq->rdata_off + tq->rgot,
					  tq->rdata_len - tq->rgot, iov, TCP_MAX_IOV - 2, &covered);
			asked = covered;
			if (covered == tq->rdata_len - tq->rgot && dd) {
				iov[cnt].iov_base = tq->rddgst;
				iov[cnt].iov_len = dd;
				asked += dd;
				cnt++;
			}
		} else {
			iov[0].iov_base = tq->rddgst + (tq->rgot - tq->rdata_len);
			iov[0].iov_len = tq->rdata_len + dd - tq->rgot;
			asked = (uint32_t)iov[0].iov_len;
			cnt = 1;
		}
		tq->rbuf_head = tq->rbuf_tail = 0;
		iov[cnt].iov_base = tq->rbuf;
		iov[cnt].iov_len = TCP_RBUF_SIZE;
		cnt++;
		n = recv_result(readv(tq->fd, iov, cnt));
		tq->recv_calls++;
		tq->recv_empty_calls += n == 0;
		if (n >= 0 && (size_t)n < asked + TCP_RBUF_SIZE) {
			tq->rdrained = true;
		}
		if (n <= 0) {
			return (int)n;
		}
		if ((uint32_t)n > asked) {
			tq->rbuf_tail = (uint32_t)n - asked;
			n = asked;
		}
		if (tq->rgot < tq->rdata_len) {
			rcrc_landed(tq, iov, cnt, PNVME_MIN((uint32_t)n, tq->rdata_len - tq->rgot));
		}
		tq->rgot += (uint32_t)n;
	}
	if (tq->rgot == tq->rdata_len + dd) {
		tq->rgot = 0;
		data_received(tq, done);
		if (tq->fd < 0) {
			return -ENXIO;
		}
	}
	return 1;
}

int32_t
tcp_qpair_process_completions(struct pnvme_qpair *qpair, uint32_t max)
{
	struct tcp_qpair *tq = tcp_qpair(qpair);
	uint32_t done = 0;
	char why[96];
	int rc;

	if (tq->fd < 0) {
		tcp_qpair_fail_conn(tq, "not connected");
		return -ENXIO;
	}
	rc = tcp_flush(tq);
	/* One read that comes back short per poll; none when the poll group's
	 * epoll set says the socket holds nothing (what is buffered is still
	 * parsed). */
	tq->rdrained = qpair->recv_idle && tq->watched;
	while (rc == 0 && (max == 0 || done < max)) {
		rc = recv_step(tq, &done);
		if (rc > 0) {
			rc = 0;
			continue;
		}
		if (rc == 0) {
			break;
		}
		if (tq->fd >= 0) {
			snprintf(why, sizeof(why), "receive failed: %s",
				 rc == -ECONNRESET ? "connection closed by the controller"
						   : strerror(-rc));
			tcp_qpair_fail_conn(tq, why);
		}
		return -ENXIO;
	}
	/* Data the controller asked for while we were reading. */
	if (rc == 0 && tq->fd >= 0 && !TAILQ_EMPTY(&tq->send_queue)) {
		rc = tcp_flush(tq);
	}
	/* Commands answered while the kernel may still read their bytes. A
	 * release note wakes a poll group's readiness check like data does. */
	if (pnvme_unlikely(tcp_zcopy_pending(tq) || !TAILQ_EMPTY(&tq->zc_held)) && rc == 0 &&
	    !(qpair->recv_idle && tq->watched)) {
		tcp_zcopy_reap(tq, &done);
	}
	if (rc < 0 && tq->fd >= 0) {
		snprintf(why, sizeof(why), "send failed: %s", strerror(-rc));
		tcp_qpair_fail_conn(tq, why);
	}
	return tq->fd < 0 ? -ENXIO : (int32_t)done;
}

void
tcp_qpair_abort_reqs(struct pnvme_qpair *qpair)
{
	struct tcp_qpair *tq = tcp_qpair(qpair);
	struct nvme_request *req;
	uint32_t i;

	TAILQ_INIT(&tq->send_queue);
	TAILQ_INIT(&tq->zc_held); /* closed with a reset: the kernel let go */
	tq->zc_sent = tq->zc_done = 0;
	tq->zc_ahead = 0;
	tq->rreq = NULL;
	tq->rstate = TCP_RECV_HEADER;
	tq->rbuf_head = tq->rbuf_tail = 0; /* bytes of a connection that is gone */
	for (i = 0; i < tq->num_entries; i++) {
		req = tq->reqs[i].req;
		if (req == NULL) {
			continue;
		}
		tq->reqs[i].queued = false;
		if (tq->reqs[i].zc_held) {
			/* Answered already: that answer, not an abort. */
			tq->reqs[i].zc_held = false;
			tcp_req_complete_now(tq, &tq->reqs[i], &tq->reqs[i].zc_cpl);
			continue;
		}
		tq->reqs[i].req = NULL;
		tq->reqs[i].zc_wait = false;
		tq->free_cids[tq->num_free++] = (uint16_t)i;
		nvme_qpair_complete_request_status(qpair, req, PNVME_SCT_GENERIC,
						   PNVME_SC_ABORTED_SQ_DELETION);
	}
}

void
tcp_qpair_get_stats(struct pnvme_qpair *qpair, struct pnvme_qpair_stats *stats)
{
	struct tcp_qpair *tq = tcp_qpair(qpair);

	stats->pdus_sent = tq->pdus_sent;
	stats->pdus_received = tq->pdus_received;
	stats->recv_calls = tq->recv_calls;
	stats->recv_empty_calls = tq->recv_empty_calls;
	stats->send_calls = tq->send_calls;
	stats->zero_copy_sends = tq->zcopy_sends;
}
