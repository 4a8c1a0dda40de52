/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NVMe/RDMA host transport: private structures shared by the controller
 * (rdma.c), device (rdma_device.c), connection (rdma_conn.c) and queue pair
 * (rdma_qpair.c) parts. Only these files include the verbs headers.
 */
#ifndef PNVME_RDMA_INTERNAL_H
#define PNVME_RDMA_INTERNAL_H

#include <infiniband/verbs.h>
#include <rdma/rdma_cma.h>
#include <sys/queue.h>

#include "nvme/nvme_internal.h"
#include "nvme/rdma_cmd.h"
#include "nvme/rdma_mem_map.h"

/* Scatter entries of one SEND: the capsule, then in-capsule data. */
#define RDMA_MAX_SEND_SGE 16u
/* Work completions taken per poll of the completion queue. */
#define RDMA_POLL_BATCH 32u
/* Attempts at a connection the target rejects as stale (its side of an
 * earlier connection with the same identity still exists). */
#define RDMA_STALE_CONN_RETRIES 5u
/* How often a qpair reads its connection manager events (a system call)
 * while polled: a peer's disconnect is also seen on the completion queue. */
#define RDMA_CM_CHECK_MS 10u
/* Longest wait for the provider to flush posted work after the queue pair
 * was moved to the error state. */
#define RDMA_DRAIN_TIMEOUT_MS 2000u
/* Devices one poll group shares completion queues on. */
#define RDMA_GROUP_MAX_DEVICES 4u
/* Work request IDs of a queue pair on a shared completion queue carry its
 * tag (its place among the queue's users, from 1) above kind and slot. */
#define RDMA_WR_TAG_SHIFT 40
#define RDMA_WR_TAG(wr_id) ((uint32_t)((wr_id) >> RDMA_WR_TAG_SHIFT))

/*
 * One RDMA device (verbs context) in use: its protection domain and the
 * environment's DMA memory registered with it, found per I/O in @p map.
 * Shared by every queue pair on the device; counted.
 */
struct rdma_device {
	struct ibv_context *verbs;
	struct ibv_pd *pd;
	struct rdma_mem_map *map;
	uint32_t refs;
	TAILQ_ENTRY(rdma_device) link;
};

struct rdma_qpair;

/*
 * A completion queue shared by the queue pairs of one poll group on one
 * device: one poll finds the work of all of them. Completions are handed
 * to their queue pair by the tag in the work request ID. Counted: the
 * group holds it, and so does each connection made through it (a qpair
 * removed from the group keeps it until its next connection).
 */
struct rdma_shared_cq {
	struct ibv_context *verbs;
	struct ibv_cq *cq;
	uint32_t size; /* entries */
	uint32_t used; /* entries the connections through it may fill */
	uint32_t refs;
	struct rdma_qpair **members; /* by tag - 1; NULL for a free tag */
	uint32_t room;
};

/* The RDMA part of a poll group. */
struct rdma_poll_group {
	struct nvme_transport_poll_group base;
	struct rdma_shared_cq *cqs[RDMA_GROUP_MAX_DEVICES];
	TAILQ_HEAD(, rdma_qpair) qpairs;
};

/* Connection set-up (rdma_conn.c), one step per connection manager event. */
enum rdma_open_step {
	RDMA_OPEN_ADDR,    /* resolving the address */
	RDMA_OPEN_ROUTE,   /* resolving the route */
	RDMA_OPEN_CONNECT, /* connect request sent, waiting for the answer */
	RDMA_OPEN_DONE,    /* established */
	/* rejected as a stale connection: a pause (open_deadline), then all
	 * over again on a new identifier */
	RDMA_OPEN_STALE_PAUSE,
};

/* A command's SEND and its scatter list, built once per connection. */
struct rdma_send {
	struct ibv_send_wr wr;
	struct ibv_sge sge[RDMA_MAX_SEND_SGE];
};

/* A receive buffer's RECV. */
struct rdma_recv {
	struct ibv_recv_wr wr;
	struct ibv_sge sge;
};

struct rdma_qpair {
	struct pnvme_qpair qpair;
	/* Hot: submission and polling. */
	struct ibv_qp *qp; /* NULL while not connected */
	struct ibv_cq *cq;
	struct rdma_mem_map *map; /* the device's */
	struct rdma_cmd_table table;
	struct rdma_capsule *capsules; /* one per command ID */
	struct pnvme_cpl *rsps;        /* one per receive buffer */
	struct rdma_send *sends;
	struct rdma_recv *recvs;
	/* Work waiting to be posted: one post call each per poll. */
	struct ibv_send_wr *send_head, *send_tail;
	struct ibv_recv_wr *recv_head, *recv_tail;
	uint32_t max_icd;      /* in-capsule data room, 0 for none */
	uint32_t max_descs;    /* keyed descriptors per command (MSDBD) */
	uint32_t max_send_sge; /* what the queue pair was created with */
	uint64_t next_cm_check;

	/* Connection. */
	struct rdma_event_channel *channel;
	struct rdma_cm_id *cm_id;
	struct rdma_device *dev;
	struct ibv_mr *capsule_mr;
	struct ibv_mr *rsp_mr;
	uint8_t open_step;
	bool qp_error; /* moved to the error state: nothing more reaches memory */
	uint32_t stale_retries;
	uint32_t open_timeout_ms;
	uint64_t open_deadline;

	/* Poll group: the group (its next connection shares the group's
	 * completion queue), the shared queue this connection uses (NULL: its
	 * own) and its tag there, and the completions another poll of that
	 * queue found for it, waiting in a ring. */
	struct rdma_poll_group *rgroup;
	TAILQ_ENTRY(rdma_qpair) rgroup_link;
	struct rdma_shared_cq *scq;
	uint32_t tag;
	struct ibv_wc *wc_ring;
	uint32_t wc_room, wc_head, wc_count;
	bool wc_overflow;

	/* Counters (pnvme_qpair_get_stats). */
	uint64_t send_wcs; /* SEND completions taken */
	uint64_t recv_wcs; /* RECV completions taken */
	uint64_t post_send_calls;
	uint64_t post_recv_calls;
	uint64_t cq_polls;
	uint64_t cq_empty_polls;
};

struct rdma_ctrlr {
	struct pnvme_ctrlr ctrlr;
	struct rdma_qpair adminq;
};

static inline struct rdma_qpair *
rdma_qpair(struct pnvme_qpair *qpair)
{
	return (struct rdma_qpair *)qpair;
}

static inline struct rdma_ctrlr *
rdma_ctrlr(struct pnvme_ctrlr *ctrlr)
{
	return (struct rdma_ctrlr *)ctrlr;
}

extern const struct nvme_transport_ops g_nvme_rdma_ops;

/* rdma_device.c: the device of a resolved connection, its protection
 * domain made and every region of DMA memory registered with it (now and
 * as memory comes and goes) on first use. NULL (logged) on failure. */
struct rdma_device *rdma_device_get(struct ibv_context *verbs);
void rdma_device_put(struct rdma_device *dev);

/* rdma_conn.c: open the connection of @p rq in steps (never waiting):
 * start, then poll until 0 (open) or -errno (logged, all released);
 * -EAGAIN while under way. Or in one call, sleeping on the events. */
int rdma_conn_open_start(struct rdma_qpair *rq, uint32_t timeout_ms);
int rdma_conn_open_poll(struct rdma_qpair *rq);
int rdma_conn_open(struct rdma_qpair *rq, uint32_t timeout_ms);
/* Stop all transfers: move the queue pair to the error state, then take
 * the flushed work back until every SEND and RECV posted is accounted for
 * (bounded). Commands are left to complete with an error afterwards. */
void rdma_conn_quiesce(struct rdma_qpair *rq);
/* Quiesce, then release the connection and everything made for it. */
void rdma_conn_close(struct rdma_qpair *rq);
/* true when the connection manager says the peer went away (read at most
 * every RDMA_CM_CHECK_MS). */
bool rdma_conn_peer_gone(struct rdma_qpair *rq);

/* rdma_poll_group.c: the connection of a qpair in a group uses the
 * group's completion queue for its device: @p need more entries, and a
 * tag. NULL (it makes its own) when that cannot be. */
struct ibv_cq *rdma_shared_cq_attach(struct rdma_qpair *rq, struct ibv_context *verbs,
				     uint32_t need);
/* The connection is gone: give back its tag and entries. */
void rdma_shared_cq_detach(struct rdma_qpair *rq);
/* Up to @p max work completions of @p rq: from its own completion queue,
 * or from the shared one (polled for every user when @p rq has none
 * waiting). Count, or -1 when the queue cannot be polled. */
int rdma_qpair_fetch_wcs(struct rdma_qpair *rq, struct ibv_wc *wcs, uint32_t max);
struct nvme_transport_poll_group *rdma_poll_group_create(void);
int rdma_poll_group_add(struct nvme_transport_poll_group *tgroup, struct pnvme_qpair *qpair);
void rdma_poll_group_remove(struct nvme_transport_poll_group *tgroup, struct pnvme_qpair *qpair);
int rdma_poll_group_wait(struct nvme_transport_poll_group *tgroup);
void rdma_poll_group_destroy(struct nvme_transport_poll_group *tgroup);

/* rdma_qpair.c */
int rdma_qpair_construct(struct rdma_qpair *rq, struct pnvme_ctrlr *ctrlr, uint16_t qid,
			 uint32_t entries, uint32_t num_reqs);
void rdma_qpair_destruct(struct rdma_qpair *rq);
/* The connection is up: build the work requests and post every RECV. */
int rdma_qpair_start(struct rdma_qpair *rq);
/* Take one work completion, judged by the command table; used while
 * polling and while draining. A command that has both halves is added to
 * @p done_cids; a receive buffer is queued to be posted again (unless the
 * queue pair is in the error state). @p why says what is wrong for
 * FLUSHED and MALFORMED. */
enum rdma_wc_verdict rdma_qpair_take_wc(struct rdma_qpair *rq, const struct ibv_wc *wc,
					uint16_t *done_cids, uint32_t *num_done, char *why,
					size_t why_len);
/* Drop the work queued to be posted (not yet counted as posted). */
void rdma_qpair_unpost_pending(struct rdma_qpair *rq);
/* Complete command @p cid with its answer. */
void rdma_qpair_complete_cid(struct rdma_qpair *rq, uint16_t cid);
/* Fail the connection: log @p why once, stop transfers, complete every
 * command once with an error. */
void rdma_qpair_fail_conn(struct rdma_qpair *rq, const char *why);
int rdma_qpair_submit_request(struct pnvme_qpair *qpair, struct nvme_request *req);
int32_t rdma_qpair_process_completions(struct pnvme_qpair *qpair, uint32_t max);
void rdma_qpair_abort_reqs(struct pnvme_qpair *qpair);
void rdma_qpair_get_stats(struct pnvme_qpair *qpair, struct pnvme_qpair_stats *stats);

#endif
