/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A fake verbs device for the NVMe/RDMA queue pair's unit tests and fuzz
 * harness (never for the transport's real tests, which run against the
 * kernel's target). Its queue pair records what is posted; its completion
 * queue hands out the work completions a test queues; moved to the error
 * state, the queue pair flushes everything posted to its completion queue
 * like a real provider. The verbs and connection-manager calls the
 * transport makes outside the data path (state change, disconnect,
 * completion queue make / resize / destroy) are replaced here.
 */
#ifndef PNVME_FAKE_VERBS_H
#define PNVME_FAKE_VERBS_H

#include "nvme/rdma_internal.h"

#define FAKE_MAX_WORK 256

/* One fake device: its queue pair and completion queue. */
struct fake_dev {
	struct ibv_context ctx;
	struct ibv_qp qp;
	struct ibv_cq cq;
	struct ibv_mr mr;
	/* Work posted and not yet completed. */
	uint64_t open_wr[FAKE_MAX_WORK];
	uint32_t num_open;
	/* Completions poll_cq hands out, in order. */
	struct ibv_wc wcs[FAKE_MAX_WORK];
	uint32_t wc_head, wc_count;
	/* What was posted. */
	uint32_t post_send_calls, post_recv_calls, recvs_posted;
	struct ibv_send_wr last_sends[16];
	struct ibv_sge last_sges[16][RDMA_MAX_SEND_SGE];
	struct rdma_capsule last_caps[16];
	uint32_t num_last_sends;
	bool error_state;
};

/* Forget every device (a new test); then make each with fake_dev_init. */
void fake_devs_reset(void);
void fake_dev_init(struct fake_dev *d);
/* Queue a completion on the completion queue of @p d (lost when the queue
 * is full, as on an overrun); the work is no longer open on whichever
 * queue pair posted it. */
void fake_wc_push(struct fake_dev *d, uint64_t wr_id, enum ibv_wc_status status, uint32_t len);
/* The completion queue ibv_create_cq hands out next. */
extern struct fake_dev *g_fake_next_cq_dev;

/*
 * The connection manager and the verbs a connection is made with, faked
 * for the connection steps' unit tests: each call is counted, the queue
 * pair made is the device's in g_fake_cm.dev, and rdma_get_cm_event hands
 * out the scripted events in order (none left: EAGAIN).
 */
struct fake_cm_event {
	enum rdma_cm_event_type type;
	int status;
	uint8_t priv[32];
	uint8_t priv_len;
};

struct fake_cm {
	struct fake_dev *dev;
	struct ibv_device device;
	struct fake_cm_event script[32];
	uint32_t num_script, next_event;
	struct rdma_cm_event event; /* the one handed out */
	/* Counts of the calls made. */
	uint32_t channels, channels_destroyed, ids, ids_destroyed, resolve_addr, resolve_route;
	uint32_t qps, qps_destroyed, connects, mrs, mrs_destroyed, pds, pds_destroyed;
	/* The last connect request: its parameters and private data, and the
	 * receive buffers posted when it went. */
	struct rdma_conn_param param;
	uint8_t priv[32];
	uint32_t recvs_posted_at_connect;
};

extern struct fake_cm g_fake_cm;

/* Start a script on device @p dev (fake_dev_init'ed). */
void fake_cm_reset(struct fake_dev *dev);
void fake_cm_script(enum rdma_cm_event_type type, int status, const void *priv, uint8_t len);

#endif
