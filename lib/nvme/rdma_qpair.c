/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NVMe/RDMA queue pair: each command is one SEND (the SQE, its SGL
 * descriptors, and write data up to the in-capsule limit); the controller
 * moves other data itself with RDMA READ and WRITE on the caller's
 * registered buffer, and answers with a SEND into one of our receive
 * buffers (one per queue entry). SENDs and RECVs are posted in one call
 * each per poll.
 *
 * A command completes only when both its SEND has completed and its
 * response has arrived: until its SEND completes the device may still read
 * the capsule and the data. Every work completion is judged by the command
 * table (rdma_cmd.c) before anything in it is used. The response is copied
 * out and its RECV queued again before the caller's callback runs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "nvme/rdma_internal.h"

static void
rdma_qpair_free_arrays(struct rdma_qpair *rq)
{
	free(rq->capsules);
	free(rq->rsps);
	free(rq->sends);
	free(rq->recvs);
	free(rq->wc_ring);
	rq->wc_ring = NULL;
	rq->wc_room = 0;
	rq->capsules = NULL;
	rq->rsps = NULL;
	rq->sends = NULL;
	rq->recvs = NULL;
	rdma_cmd_table_fini(&rq->table);
}

int
rdma_qpair_construct(struct rdma_qpair *rq, struct pnvme_ctrlr *ctrlr, uint16_t qid,
		     uint32_t entries, uint32_t num_reqs)
{
	int rc;

	if (entries < 2 || entries > 65536) {
		PNVME_ERRLOG("qpair %u: %u entries is outside 2-65536", qid, entries);
		return -EINVAL;
	}
	rc = rdma_cmd_table_init(&rq->table, entries);
	if (rc != 0) {
		return rc;
	}
	rq->capsules = aligned_alloc(64, entries * sizeof(*rq->capsules));
	rq->rsps = aligned_alloc(64, entries * sizeof(*rq->rsps));
	rq->sends = calloc(entries, sizeof(*rq->sends));
	rq->recvs = calloc(entries, sizeof(*rq->recvs));
	if (rq->capsules == NULL || rq->rsps == NULL || rq->sends == NULL || rq->recvs == NULL) {
		rdma_qpair_free_arrays(rq);
		return -ENOMEM;
	}
	memset(rq->capsules, 0, entries * sizeof(*rq->capsules));
	memset(rq->rsps, 0, entries * sizeof(*rq->rsps));
	rq->max_descs = 1;
	rq->open_step = RDMA_OPEN_ADDR;
	rc = nvme_qpair_init(&rq->qpair, ctrlr, qid, num_reqs);
	if (rc != 0) {
		rdma_qpair_free_arrays(rq);
	}
	return rc;
}

void
rdma_qpair_destruct(struct rdma_qpair *rq)
{
	rdma_conn_close(rq);
	if (rq->capsules != NULL) {
		nvme_qpair_fini(&rq->qpair);
	}
	rdma_qpair_free_arrays(rq);
}

/* Queue receive buffer @p slot to be posted with the poll's others. */
static void
recv_queue(struct rdma_qpair *rq, uint32_t slot)
{
	struct ibv_recv_wr *wr = &rq->recvs[slot].wr;

	wr->next = NULL;
	if (rq->recv_tail != NULL) {
		rq->recv_tail->next = wr;
	} else {
		rq->recv_head = wr;
	}
	rq->recv_tail = wr;
}

static int post_pending(struct rdma_qpair *rq);

int
rdma_qpair_start(struct rdma_qpair *rq)
{
	struct rdma_cmd_table *t = &rq->table;
	uint32_t i;

	for (i = 0; i < t->entries; i++) {
		struct rdma_send *s = &rq->sends[i];

		memset(&s->wr, 0, sizeof(s->wr));
		s->wr.wr_id = RDMA_WR_ID(RDMA_WR_SEND, i) | (uint64_t)rq->tag << RDMA_WR_TAG_SHIFT;
		s->wr.sg_list = s->sge;
		s->wr.num_sge = 1;
		s->wr.opcode = IBV_WR_SEND;
		s->wr.send_flags = IBV_SEND_SIGNALED;
		s->sge[0].addr = (uintptr_t)&rq->capsules[i];
		s->sge[0].lkey = rq->capsule_mr->lkey;
	}
	rq->recv_head = rq->recv_tail = NULL;
	for (i = 0; i < t->num_recvs; i++) {
		struct rdma_recv *r = &rq->recvs[i];

		memset(&r->wr, 0, sizeof(r->wr));
		r->wr.wr_id = RDMA_WR_ID(RDMA_WR_RECV, i) | (uint64_t)rq->tag << RDMA_WR_TAG_SHIFT;
		r->wr.sg_list = &r->sge;
		r->wr.num_sge = 1;
		r->sge.addr = (uintptr_t)&rq->rsps[i];
		r->sge.length = sizeof(rq->rsps[i]);
		r->sge.lkey = rq->rsp_mr->lkey;
		recv_queue(rq, i);
	}
	rq->send_head = rq->send_tail = NULL;
	rq->qp_error = false;
	/* Every receive buffer is posted before the connect request goes. */
	return post_pending(rq);
}

void
rdma_qpair_unpost_pending(struct rdma_qpair *rq)
{
	rq->send_head = rq->send_tail = NULL;
	rq->recv_head = rq->recv_tail = NULL;
}

/*
 * Post the RECVs and SENDs queued since the last call: 0 or -errno. Work
 * counts as posted (the command table then accepts its completion) only
 * from here: a completion for a buffer or command still waiting in a chain
 * is one the device cannot have made. Work the device refused is taken
 * back.
 */
static int
post_pending(struct rdma_qpair *rq)
{
	struct rdma_cmd_table *t = &rq->table;
	struct ibv_send_wr *sbad = NULL, *s;
	struct ibv_recv_wr *rbad = NULL, *r;
	int rc = 0;

	if (rq->recv_head != NULL) {
		for (r = rq->recv_head; r != NULL; r = r->next) {
			rdma_cmd_table_recv_posted(t, (uint32_t)r->wr_id);
		}
		rc = ibv_post_recv(rq->qp, rq->recv_head, &rbad);
		rq->post_recv_calls++;
		if (rc != 0) {
			for (r = rbad; r != NULL; r = r->next) {
				t->recv_posted[(uint32_t)r->wr_id] = false;
				t->recvs_in_flight--;
			}
			rdma_qpair_unpost_pending(rq);
			return -rc;
		}
		rq->recv_head = rq->recv_tail = NULL;
	}
	if (rq->send_head != NULL) {
		for (s = rq->send_head; s != NULL; s = s->next) {
			rdma_cmd_table_sent(t, (uint16_t)s->wr_id);
		}
		rc = ibv_post_send(rq->qp, rq->send_head, &sbad);
		rq->post_send_calls++;
		if (rc != 0) {
			for (s = sbad; s != NULL; s = s->next) {
				t->slots[(uint16_t)s->wr_id].sent = false;
				t->sends_in_flight--;
			}
			rdma_qpair_unpost_pending(rq);
			return -rc;
		}
		rq->send_head = rq->send_tail = NULL;
	}
	return 0;
}

/* Data direction from the opcode's low bits (the fabrics type's for 0x7f):
 * 1 host to controller, 2 controller to host. */
static uint32_t
cmd_dir(const struct pnvme_cmd *cmd)
{
	uint8_t code = cmd->opc == PNVME_OPC_FABRIC ? (uint8_t)cmd->nsid : (uint8_t)cmd->opc;

	return code & 3;
}

/*
 * The pieces of the request's data, as the controller addresses them (keys
 * from the device's memory map), merging pieces that follow each other in
 * one region. Returns the count; -EINVAL (logged) for memory that is not
 * registered; -E2BIG for more than @p max pieces.
 */
static int
data_pieces(struct rdma_qpair *rq, const struct nvme_request *req, struct rdma_remote_piece *p,
	    uint32_t max, struct ibv_sge *local)
{
	uint32_t n = 0, left = req->payload_size, off = req->payload_offset, len, lkey, rkey;
	const struct iovec *iov = req->iov;
	uint16_t i = 0;
	uint8_t *addr;

	if (iov == NULL) {
		if (rdma_mem_map_find(rq->map, req->payload, left, &lkey, &rkey) != 0) {
			PNVME_ERRLOG("qpair %u: buffer %p (%u bytes) is not registered DMA memory "
				     "(pnvme_dma_zmalloc)",
				     rq->qpair.id, req->payload, left);
			return -EINVAL;
		}
		p[0] = (struct rdma_remote_piece){(uintptr_t)req->payload, left, rkey};
		local[0] = (struct ibv_sge){(uintptr_t)req->payload, left, lkey};
		return 1;
	}
	while (i < req->iovcnt && off >= iov[i].iov_len) {
		off -= (uint32_t)iov[i].iov_len;
		i++;
	}
	for (; left > 0 && i < req->iovcnt; i++, off = 0) {
		addr = (uint8_t *)iov[i].iov_base + off;
		len = PNVME_MIN(left, (uint32_t)(iov[i].iov_len - off));
		if (rdma_mem_map_find(rq->map, addr, len, &lkey, &rkey) != 0) {
			PNVME_ERRLOG("qpair %u: vector element %u (%p, %u bytes) is not registered "
				     "DMA memory",
				     rq->qpair.id, i, (void *)addr, len);
			return -EINVAL;
		}
		left -= len;
		if (n > 0 && p[n - 1].addr + p[n - 1].len == (uintptr_t)addr &&
		    p[n - 1].rkey == rkey && p[n - 1].len + len <= RDMA_MAX_SGL_LEN) {
			p[n - 1].len += len;
			local[n - 1].length += len;
			continue;
		}
		if (n == max) {
			return -E2BIG;
		}
		p[n] = (struct rdma_remote_piece){(uintptr_t)addr, len, rkey};
		local[n] = (struct ibv_sge){(uintptr_t)addr, len, lkey};
		n++;
	}
	return (int)n;
}

int
rdma_qpair_submit_request(struct pnvme_qpair *qpair, struct nvme_request *req)
{
	struct rdma_qpair *rq = rdma_qpair(qpair);
	struct rdma_remote_piece pieces[RDMA_MAX_SGL_DESCS];
	struct ibv_sge local[RDMA_MAX_SGL_DESCS];
	uint32_t len = req->payload_size, dir, icd_room, n = 0;
	struct rdma_capsule *cap;
	struct rdma_send *s;
	char why[128];
	int cid, rc;

	if (pnvme_unlikely(rq->qp == NULL || rq->qp_error)) {
		return -ENXIO;
	}
	/* A fused FIRST goes out only with room for its SECOND right behind
	 * it: the controller holds the FIRST until the SECOND arrives. */
	if (pnvme_unlikely(rq->table.num_free < (req->cmd.fuse == PNVME_FUSE_FIRST ? 2u : 1u))) {
		return -EAGAIN;
	}
	dir = len != 0 ? cmd_dir(&req->cmd) : 0;
	if (pnvme_unlikely(len != 0 && (dir == 0 || dir == 3))) {
		PNVME_ERRLOG("qpair %u: opcode 0x%02x moves data in both directions or none, "
			     "but %u bytes were given",
			     qpair->id, req->cmd.opc, len);
		return -EINVAL;
	}
	cid = rdma_cmd_table_take(&rq->table, req);
	cap = &rq->capsules[cid];
	s = &rq->sends[cid];
	cap->sqe = req->cmd;
	cap->sqe.cid = (uint16_t)cid;
	req->cmd.cid = (uint16_t)cid; /* what a timeout reports */
	s->sge[0].length = sizeof(cap->sqe);
	s->wr.num_sge = 1;
	if (len != 0) {
		/* Write data rides in the capsule when it fits, as scatter
		 * entries of the SEND itself; other data is described by keyed
		 * descriptors, at most MSDBD. */
		icd_room = dir == 1 && len <= rq->max_icd ? rq->max_send_sge - 1 : 0;
		rc = data_pieces(rq, req, pieces, RDMA_MAX_SGL_DESCS, local);
		n = (uint32_t)rc;
		if (pnvme_unlikely(rc < 0 || (n > icd_room && n > rq->max_descs))) {
			if (rc != -EINVAL) {
				PNVME_ERRLOG("qpair %u: the data is in more than %u pieces of memory",
					     qpair->id,
					     rc < 0 ? RDMA_MAX_SGL_DESCS : PNVME_MAX(icd_room, rq->max_descs));
			}
			rdma_cmd_table_release(&rq->table, (uint16_t)cid);
			return -EINVAL;
		}
		if (n <= icd_room) {
			memcpy(&s->sge[1], local, n * sizeof(local[0]));
			s->wr.num_sge = (int)(1 + n);
		}
	}
	rc = rdma_capsule_set_data(cap, pieces, s->wr.num_sge > 1 ? 0 : n, rq->max_descs,
				   s->wr.num_sge > 1 ? len : 0, why, sizeof(why));
	if (pnvme_unlikely(rc < 0)) {
		PNVME_ERRLOG("qpair %u: %s", qpair->id, why);
		rdma_cmd_table_release(&rq->table, (uint16_t)cid);
		return rc;
	}
	s->sge[0].length = (uint32_t)rc;
	s->wr.next = NULL;
	if (rq->send_tail != NULL) {
		rq->send_tail->next = &s->wr;
	} else {
		rq->send_head = &s->wr;
	}
	rq->send_tail = &s->wr;
	return 0;
}

enum rdma_wc_verdict
rdma_qpair_take_wc(struct rdma_qpair *rq, const struct ibv_wc *wc, uint16_t *done_cids,
		   uint32_t *num_done, char *why, size_t why_len)
{
	struct rdma_wc_view view = {
		.wr_id = wc->wr_id,
		.success = wc->status == IBV_WC_SUCCESS,
		.byte_len = wc->byte_len,
	};
	enum rdma_wc_verdict v;
	uint32_t recv_slot = UINT32_MAX;
	uint16_t cid = 0;

	if (pnvme_unlikely(RDMA_WR_TAG(wc->wr_id) != rq->tag)) {
		snprintf(why, why_len, "work completion with ID 0x%016llx, not of this queue pair",
			 (unsigned long long)wc->wr_id);
		return RDMA_WC_MALFORMED;
	}
	v = rdma_cmd_table_judge(&rq->table, &view, (const uint8_t *)rq->rsps,
				 sizeof(rq->rsps[0]), &cid, &recv_slot, why, why_len);
	if (v == RDMA_WC_MALFORMED) {
		return v;
	}
	if (recv_slot != UINT32_MAX) {
		rq->recv_wcs++;
		/* The response is copied out: the buffer takes the next one. */
		if (!rq->qp_error) {
			recv_queue(rq, recv_slot);
		}
	} else {
		rq->send_wcs++;
	}
	if (v == RDMA_WC_COMPLETE) {
		done_cids[(*num_done)++] = cid;
	} else if (v == RDMA_WC_FLUSHED) {
		snprintf(why, why_len, "%s completed with status %s",
			 recv_slot != UINT32_MAX ? "a RECV" : "a SEND", ibv_wc_status_str(wc->status));
	}
	return v;
}

void
rdma_qpair_complete_cid(struct rdma_qpair *rq, uint16_t cid)
{
	struct rdma_cmd_slot *s = &rq->table.slots[cid];
	struct nvme_request *req = s->req;
	struct pnvme_cpl cpl = s->cpl;

	rdma_cmd_table_release(&rq->table, cid);
	nvme_qpair_complete_request(&rq->qpair, req, &cpl);
}

void
rdma_qpair_fail_conn(struct rdma_qpair *rq, const char *why)
{
	struct pnvme_ctrlr *ctrlr = rq->qpair.ctrlr;

	if (rq->qp != NULL && !rq->qp_error) {
		PNVME_ERRLOG("%s:%s: qpair %u: %s; closing the connection", ctrlr->trid.traddr,
			     ctrlr->trid.trsvcid, rq->qpair.id, why);
	}
	rdma_conn_quiesce(rq);
	if (rq->qpair.id == 0) {
		nvme_ctrlr_fail(ctrlr, why);
	} else {
		nvme_qpair_fail(&rq->qpair);
	}
}

int32_t
rdma_qpair_process_completions(struct pnvme_qpair *qpair, uint32_t max)
{
	struct rdma_qpair *rq = rdma_qpair(qpair);
	struct ibv_wc wcs[RDMA_POLL_BATCH];
	uint16_t done[RDMA_POLL_BATCH], late[RDMA_POLL_BATCH];
	uint32_t total = 0, ndone, nlate, want, i;
	enum rdma_wc_verdict v;
	char why[160], late_why[160];
	bool broken;
	int n, rc;

	if (pnvme_unlikely(rq->qp == NULL || rq->qp_error)) {
		rdma_qpair_fail_conn(rq, "not connected");
		return -ENXIO;
	}
	rc = post_pending(rq);
	/* In a poll group whose poll of the shared completion queue found
	 * nothing for this qpair: nothing to take. */
	while (rc == 0 && (max == 0 || total < max) && !(qpair->recv_idle && rq->scq != NULL)) {
		want = max == 0 ? RDMA_POLL_BATCH : PNVME_MIN(RDMA_POLL_BATCH, max - total);
		n = rdma_qpair_fetch_wcs(rq, wcs, want);
		rq->cq_polls++;
		if (pnvme_unlikely(n < 0 || rq->wc_overflow)) {
			rdma_qpair_fail_conn(rq, n < 0 ? "polling the completion queue failed"
							: "more work completions than work posted");
			return -ENXIO;
		}
		if (n == 0) {
			rq->cq_empty_polls++;
			break;
		}
		ndone = 0;
		nlate = 0;
		broken = false;
		for (i = 0; i < (uint32_t)n; i++) {
			if (!broken) {
				v = rdma_qpair_take_wc(rq, &wcs[i], done, &ndone, why, sizeof(why));
				broken = v == RDMA_WC_MALFORMED || v == RDMA_WC_FLUSHED;
			} else {
				/* Taken from the queue after the connection broke:
				 * only accounted (its command completes with an
				 * error), or the drain would wait for it. */
				(void)rdma_qpair_take_wc(rq, &wcs[i], late, &nlate, late_why,
							 sizeof(late_why));
			}
		}
		/* Receive buffers go back before any callback runs. */
		if (!broken) {
			rc = post_pending(rq);
		}
		for (i = 0; i < ndone; i++) {
			rdma_qpair_complete_cid(rq, done[i]);
		}
		total += ndone;
		if (pnvme_unlikely(broken)) {
			rdma_qpair_fail_conn(rq, why);
			return -ENXIO;
		}
		if ((uint32_t)n < want) {
			break;
		}
	}
	/* Commands the callbacks submitted go out now. */
	if (rc == 0 && rq->send_head != NULL) {
		rc = post_pending(rq);
	}
	if (pnvme_unlikely(rc != 0)) {
		snprintf(why, sizeof(why), "posting work failed: %s", strerror(rc < 0 ? -rc : rc));
		rdma_qpair_fail_conn(rq, why);
		return -ENXIO;
	}
	if (pnvme_unlikely(rdma_conn_peer_gone(rq))) {
		rdma_qpair_fail_conn(rq, "the controller closed the connection");
		return -ENXIO;
	}
	return (int32_t)total;
}

void
rdma_qpair_abort_reqs(struct pnvme_qpair *qpair)
{
	struct rdma_qpair *rq = rdma_qpair(qpair);
	struct rdma_cmd_table *t = &rq->table;
	struct nvme_request *req;
	uint32_t i;

	/* Nothing may reach a buffer once its command is given back. */
	rdma_conn_quiesce(rq);
	for (i = 0; i < t->entries; i++) {
		req = t->slots[i].req;
		if (req == NULL) {
			continue;
		}
		rdma_cmd_table_release(t, (uint16_t)i);
		nvme_qpair_complete_request_status(qpair, req, PNVME_SCT_GENERIC,
						   PNVME_SC_ABORTED_SQ_DELETION);
	}
}

void
rdma_qpair_get_stats(struct pnvme_qpair *qpair, struct pnvme_qpair_stats *stats)
{
	struct rdma_qpair *rq = rdma_qpair(qpair);

	stats->pdus_sent = rq->send_wcs;
	stats->pdus_received = rq->recv_wcs;
	stats->post_send_calls = rq->post_send_calls;
	stats->post_recv_calls = rq->post_recv_calls;
	stats->cq_polls = rq->cq_polls;
	stats->cq_empty_polls = rq->cq_empty_polls;
}
