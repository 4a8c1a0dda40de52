/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NVMe over RDMA, the part that needs no verbs: command capsules (the SQE
 * and its SGL descriptors as one SEND) and the command table that judges
 * every work completion before anything in it is used and completes a
 * command only once both its SEND has completed and its response has come.
 *
 * Work request IDs carry their kind and slot (RDMA_WR_ID), so a completion
 * is matched without trusting its opcode or length: after a disconnect a
 * provider flushes work with only wr_id and status defined (and soft
 * providers have been seen to fill the rest wrongly).
 */
#ifndef PNVME_RDMA_CMD_H
#define PNVME_RDMA_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pnvme/nvme_spec.h"

/* Keyed descriptors one capsule carries at most (MSDBD may allow fewer). */
#define RDMA_MAX_SGL_DESCS 16u
/* A keyed descriptor's length field is 24 bits. */
#define RDMA_MAX_SGL_LEN ((1u << 24) - 1u)

/* Host memory as the controller addresses it: address, length, remote key. */
struct rdma_remote_piece {
	uint64_t addr;
	uint32_t len;
	uint32_t rkey;
};

/* What one SEND carries: the SQE, then the descriptor list of a Last
 * Segment (or, instead, the in-capsule data, sent from the caller's
 * buffer as a second piece of the same SEND). */
struct rdma_capsule {
	struct pnvme_cmd sqe;
	struct pnvme_sgl_keyed_descriptor descs[RDMA_MAX_SGL_DESCS];
};

/*
 * Set @p cap's data pointer (PSDT SGL). With @p in_capsule_len > 0 the data
 * rides in the capsule: a Data Block at offset 0. Otherwise @p n pieces of
 * host memory: none (a zero Keyed Data Block), one (Keyed Data Block in
 * the SQE), or several (a Last Segment at offset 0 of the capsule's data,
 * listing one Keyed Data Block each). Returns the capsule's bytes before
 * any in-capsule data (64, or 64 + 16 n), or -EINVAL with @p why filled:
 * more pieces than @p max_descs, or a piece empty or of 2^24 bytes or more.
 */
int rdma_capsule_set_data(struct rdma_capsule *cap, const struct rdma_remote_piece *pieces,
			  uint32_t n, uint32_t max_descs, uint32_t in_capsule_len, char *why,
			  size_t why_len);

/* NVMe/RDMA connection manager private data (the RDMA transport binding):
 * the host's request, the controller's accept and reject. */
struct rdma_cm_req_data {
	uint16_t recfmt;  /* record format: 0 */
	uint16_t qid;     /* the queue this connection carries */
	uint16_t hrqsize; /* host receive queue size: RECVs posted for responses */
	uint16_t hsqsize; /* host send queue size, 0's based */
	uint16_t cntlid;  /* controller ID (I/O queues), FFFFh for the admin queue */
	uint8_t reserved[22];
};
_Static_assert(sizeof(struct rdma_cm_req_data) == 32, "RDMA CM request private data");

struct rdma_cm_rep_data {
	uint16_t recfmt;
	uint16_t crqsize; /* controller receive queue size */
	uint8_t reserved[28];
};
_Static_assert(sizeof(struct rdma_cm_rep_data) == 32, "RDMA CM accept private data");

struct rdma_cm_rej_data {
	uint16_t recfmt;
	uint16_t sts; /* why the controller refused (rdma_cm_reject_string) */
};

/* The connection manager's reject reason for a stale connection: the peer
 * still holds an earlier connection with the same identity. Worth a retry. */
#define RDMA_CM_REJ_STALE_CONN 10

/* The controller's reject status, in words ("status N" when unknown). */
const char *rdma_cm_reject_string(uint16_t sts, char *buf, size_t len);

/* Work request IDs: kind in the high half, slot (command ID or receive
 * buffer) in the low half. */
enum rdma_wr_kind {
	RDMA_WR_SEND = 1,
	RDMA_WR_RECV = 2,
};
#define RDMA_WR_ID(kind, slot) (((uint64_t)(kind) << 32) | (uint32_t)(slot))

/* A work completion as the transport hands it over (from ibv_wc). */
struct rdma_wc_view {
	uint64_t wr_id;
	bool success;      /* status == IBV_WC_SUCCESS */
	uint32_t byte_len; /* receives only; undefined on error */
};

/* One command in flight; the table's index is its command ID. */
struct rdma_cmd_slot {
	void *req;      /* the request; NULL when the slot is free */
	bool sent;      /* its SEND is posted */
	bool send_done; /* its SEND has completed */
	bool answered;  /* its response has come, held in cpl */
	struct pnvme_cpl cpl;
};

struct rdma_cmd_table {
	uint32_t entries;
	struct rdma_cmd_slot *slots;
	uint16_t *free_cids;
	uint32_t num_free;
	/* Receive buffers, one per queue entry: posted, not yet completed. */
	uint32_t num_recvs;
	bool *recv_posted;
	/* Work posted and not yet seen complete: what a disconnect drains. */
	uint32_t sends_in_flight;
	uint32_t recvs_in_flight;
};

/* 0, -EINVAL (entries outside 2-65536), -ENOMEM. */
int rdma_cmd_table_init(struct rdma_cmd_table *t, uint32_t entries);
void rdma_cmd_table_fini(struct rdma_cmd_table *t);

/* A free command ID for @p req, or -EAGAIN. */
int rdma_cmd_table_take(struct rdma_cmd_table *t, void *req);
/* The command's SEND, and a receive buffer, were posted (handed to the
 * device: from then on a completion for them is accepted). */
void rdma_cmd_table_sent(struct rdma_cmd_table *t, uint16_t cid);
void rdma_cmd_table_recv_posted(struct rdma_cmd_table *t, uint32_t slot);
/* Free @p cid (its command completed). */
void rdma_cmd_table_release(struct rdma_cmd_table *t, uint16_t cid);

/* What a judged work completion means. */
enum rdma_wc_verdict {
	RDMA_WC_WAIT,      /* fine; the command still waits for its other half */
	RDMA_WC_COMPLETE,  /* fine; the command (*cid) has both halves: complete it */
	RDMA_WC_FLUSHED,   /* posted work given back with an error status (disconnect) */
	RDMA_WC_MALFORMED, /* fails a check: why says which; the connection is over */
};

/*
 * Judge one work completion. Receive buffer i is @p rsp_size bytes at
 * @p rsp_bufs + i * @p rsp_size; a response in it is copied into the
 * command's slot. Checked, in order: the wr_id's kind and slot, that the
 * work was posted and not yet completed, the status (an error status is
 * only accounted: RDMA_WC_FLUSHED), a receive's length (a whole CQE, within
 * the buffer), the response's command ID in range and outstanding, its
 * SEND posted, and no second response. Sets *cid for a command's work and
 * *recv_slot for a receive (to post again). Accounts the work as completed
 * in every case but MALFORMED.
 */
enum rdma_wc_verdict rdma_cmd_table_judge(struct rdma_cmd_table *t, const struct rdma_wc_view *wc,
					  const uint8_t *rsp_bufs, uint32_t rsp_size, uint16_t *cid,
					  uint32_t *recv_slot, char *why, size_t why_len);

#endif
