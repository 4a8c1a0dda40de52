/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NVMe/TCP host transport: private structures shared by the controller
 * (tcp.c) and queue pair (tcp_qpair.c) halves.
 */
#ifndef PNVME_TCP_INTERNAL_H
#define PNVME_TCP_INTERNAL_H

#include <sys/queue.h>
#include <unistd.h>

#include "nvme/nvme_internal.h"
#include "nvme/tcp_pdu.h"

enum tcp_dir {
	TCP_DIR_NONE,
	TCP_DIR_H2C, /* data from host to controller (write) */
	TCP_DIR_C2H, /* data from controller to host (read) */
};

enum tcp_send_kind {
	TCP_SEND_CAPSULE,
	TCP_SEND_H2C_DATA,
};

/* Receive buffer of a connection: one recv takes up to this much. */
#define TCP_RBUF_SIZE (64u * 1024)

/* One command in flight; index in the qpair's array = command ID. */
struct tcp_req {
	struct nvme_request *req; /* NULL when free */
	uint16_t cid;
	uint16_t ttag;
	uint8_t dir;
	bool in_capsule;
	/* The whole CapsuleCmd has gone out: only then may the controller
	 * send anything about this command. */
	bool capsule_sent;
	bool queued; /* on the send queue */
	uint8_t send_kind;
	uint32_t data_len;
	uint32_t c2h_done; /* bytes received, in order */
	uint32_t h2c_next; /* next byte to send */
	uint32_t r2t_end;  /* end of what the controller asked for */
	/* The PDU being sent: header (+ digest), a slice of the data, digest. */
	uint32_t send_done;
	uint32_t hdr_len;
	uint32_t pdu_data_off;
	uint32_t pdu_data_len;
	uint32_t ddgst;
	/* Zero-copy send (tcp_zcopy.c): bytes of this command went out in
	 * MSG_ZEROCOPY send number zc_seq (the last such), so the kernel may
	 * still read them from the buffer and from hdr; its answer is then
	 * held in zc_cpl (zc_held) until the kernel says it is done. */
	bool zc_wait;
	bool zc_held;
	uint32_t zc_seq;
	struct pnvme_cpl zc_cpl;
	TAILQ_ENTRY(tcp_req) zc_link;
	union {
		struct tcp_capsule_cmd capsule;
		struct tcp_data_hdr h2c;
		uint8_t raw[TCP_CAPSULE_CMD_HLEN + TCP_DIGEST_LEN];
	} hdr;
	TAILQ_ENTRY(tcp_req) send_link;
};

enum tcp_recv_state {
	TCP_RECV_HEADER, /* header (+ digest) of the next PDU */
	TCP_RECV_DATA,   /* C2HData payload (+ digest) into the command's buffer */
};

/* Connection set-up (tcp_open.c). */
enum tcp_open_step {
	TCP_OPEN_CONNECT, /* the socket's connect */
	TCP_OPEN_ICREQ,   /* ICReq going out */
	TCP_OPEN_ICRESP,  /* ICResp coming in */
};

struct tcp_qpair {
	struct pnvme_qpair qpair;
	int fd;
	bool ic_done;
	/* Connection set-up in progress: its step, bytes of the PDU moved,
	 * deadline, and the PDU. */
	uint8_t open_step;
	bool open_hdgst;
	bool open_ddgst;
	size_t open_done;
	uint32_t open_timeout_ms;
	uint64_t open_deadline;
	union {
		struct tcp_ic_req req;
		struct tcp_ic_resp resp;
	} ic;
	bool delay_send; /* send once per poll instead of per submission */
	struct tcp_conn_params params;
	uint32_t max_icd; /* in-capsule data limit for non-fabrics commands */
	/* Up to 65536 entries (CAP.MQES allows it): command IDs are 0..65535. */
	uint32_t num_entries;
	struct tcp_req *reqs;
	uint16_t *free_cids;
	uint32_t num_free;
	TAILQ_HEAD(, tcp_req) send_queue;

	/* Receive side. */
	enum tcp_recv_state rstate;
	uint32_t rgot;  /* bytes of the current header or data part received */
	uint32_t rwant; /* bytes of the header expected so far */
	union {
		struct tcp_common_hdr ch;
		struct tcp_capsule_resp resp;
		struct tcp_data_hdr data;
		struct tcp_r2t_hdr r2t;
		struct tcp_term_hdr term;
		struct tcp_ic_resp ic;
		uint8_t raw[TCP_MAX_RECV_HDR];
	} rhdr;
	/* Received and not yet parsed: [rbuf_head, rbuf_tail) of rbuf. The
	 * socket came back short this poll: it is empty. */
	uint8_t *rbuf;
	uint32_t rbuf_head, rbuf_tail;
	bool rdrained;
	struct tcp_req *rreq; /* C2HData being received */
	uint32_t rdata_off, rdata_len;
	uint32_t rcrc; /* data digest so far, over the payload bytes landed */
	uint8_t rddgst[TCP_DIGEST_LEN];

	/* In a poll group whose epoll set watches this connection: the
	 * group's readiness check may then spare the receive call. */
	bool watched;

	/* Zero-copy send (tcp_zcopy.c): on while the kernel really sends from
	 * our memory (a loopback peer makes it copy: then off). MSG_ZEROCOPY
	 * sends numbered 0.. per connection: zc_sent made, every one below
	 * zc_done released by the kernel, bit i of zc_ahead: zc_done + i
	 * released out of order. Commands answered while the kernel still
	 * has their bytes wait in zc_held. */
	bool zcopy;
	uint32_t zc_sent;
	uint32_t zc_done;
	uint64_t zc_ahead;
	TAILQ_HEAD(, tcp_req) zc_held;

	/* Counters (pnvme_qpair_get_stats). */
	uint64_t pdus_sent;
	uint64_t pdus_received;
	uint64_t recv_calls; /* recv/readv system calls */
	uint64_t recv_empty_calls; /* of them, those that found nothing */
	uint64_t send_calls; /* sendmsg system calls */
	uint64_t zcopy_sends; /* of them with MSG_ZEROCOPY */
};

struct tcp_ctrlr {
	struct pnvme_ctrlr ctrlr;
	struct tcp_qpair adminq;
};

static inline struct tcp_qpair *
tcp_qpair(struct pnvme_qpair *qpair)
{
	return (struct tcp_qpair *)qpair;
}

static inline struct tcp_ctrlr *
tcp_ctrlr(struct pnvme_ctrlr *ctrlr)
{
	return (struct tcp_ctrlr *)ctrlr;
}

extern const struct nvme_transport_ops g_nvme_tcp_ops;

/* tcp_zcopy.c */
/* Zero-copy sends pay off from this many bytes in one call. */
#define TCP_ZCOPY_MIN_BYTES (32u * 1024)
/* MSG_ZEROCOPY sends the kernel may hold at once (zc_ahead's bits). */
#define TCP_ZCOPY_MAX_PENDING 64u
/* A connection just opened: ask for zero-copy sends (SO_ZEROCOPY). */
void tcp_zcopy_enable(struct tcp_qpair *tq);
/* The kernel released MSG_ZEROCOPY sends @p lo to @p hi (inclusive). */
void tcp_zcopy_released(struct tcp_qpair *tq, uint32_t lo, uint32_t hi);
/* Read the kernel's release notes (one call per poll while sends are
 * pending) and complete the held commands whose bytes are free; adds them
 * to *done. */
void tcp_zcopy_reap(struct tcp_qpair *tq, uint32_t *done);
/* true when the kernel no longer reads bytes of send number @p seq. */
static inline bool
tcp_zcopy_seq_done(const struct tcp_qpair *tq, uint32_t seq)
{
	return (int32_t)(seq - tq->zc_done) < 0;
}
static inline bool
tcp_zcopy_pending(const struct tcp_qpair *tq)
{
	return tq->zc_sent != tq->zc_done;
}
/* Close the socket now, dropping what it still holds to send, so the
 * kernel lets go of memory lent to it by zero-copy sends. */
void tcp_zcopy_close(int fd);

/* Close the connection's socket, if open (a poll group's epoll set drops
 * it by itself). */
static inline void
tcp_qpair_close_socket(struct tcp_qpair *tq)
{
	if (tq->fd >= 0) {
		if (tcp_zcopy_pending(tq)) {
			tcp_zcopy_close(tq->fd);
		} else {
			close(tq->fd);
		}
		tq->fd = -1;
	}
	tq->watched = false;
}

/* tcp_poll_group.c: a connection just opened joins its poll group's epoll
 * set (nothing when not in a group). */
void tcp_poll_group_watch(struct tcp_qpair *tq);

/* tcp_qpair.c */
int tcp_qpair_construct(struct tcp_qpair *tq, struct pnvme_ctrlr *ctrlr, uint16_t qid,
			uint32_t entries, uint32_t num_reqs);
void tcp_qpair_destruct(struct tcp_qpair *tq);
/* tcp_open.c: open the connection to the controller's address and
 * exchange ICReq/ICResp within @p timeout_ms. Start it, then poll: 0 once
 * open, -EAGAIN while under way, -errno (logged, socket closed). Or all in
 * one call, sleeping on the socket between polls. */
int tcp_qpair_open_start(struct tcp_qpair *tq, bool hdgst, bool ddgst, uint32_t timeout_ms);
int tcp_qpair_open_poll(struct tcp_qpair *tq);
int tcp_qpair_open(struct tcp_qpair *tq, bool hdgst, bool ddgst, uint32_t timeout_ms);
/* Fail the connection: log @p why once, complete everything, close. */
void tcp_qpair_fail_conn(struct tcp_qpair *tq, const char *why);
int tcp_qpair_submit_request(struct pnvme_qpair *qpair, struct nvme_request *req);
int32_t tcp_qpair_process_completions(struct pnvme_qpair *qpair, uint32_t max);
void tcp_qpair_abort_reqs(struct pnvme_qpair *qpair);
void tcp_qpair_get_stats(struct pnvme_qpair *qpair, struct pnvme_qpair_stats *stats);
/* Complete @p tr now with @p cpl (its answer, or an abort). */
void tcp_req_complete_now(struct tcp_qpair *tq, struct tcp_req *tr, const struct pnvme_cpl *cpl);
/* tcp_poll_group.c: the transport's poll-group ops. */
struct nvme_transport_poll_group *tcp_poll_group_create(void);
int tcp_poll_group_add(struct nvme_transport_poll_group *tgroup, struct pnvme_qpair *qpair);
void tcp_poll_group_remove(struct nvme_transport_poll_group *tgroup, struct pnvme_qpair *qpair);
int tcp_poll_group_wait(struct nvme_transport_poll_group *tgroup);
void tcp_poll_group_destroy(struct nvme_transport_poll_group *tgroup);

#endif
