/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The fake verbs device (see fake_verbs.h).
 */
#include <errno.h>
#include <string.h>

#include "fake_verbs.h"

/* Every fake device of the running test (work request IDs are unique
 * across them: tags differ). */
static struct fake_dev *g_devs[4];
static uint32_t g_num_devs;
struct fake_dev *g_fake_next_cq_dev;

static struct fake_dev *
dev_of(struct ibv_context *ctx)
{
	return (struct fake_dev *)ctx;
}

static void
open_add(struct fake_dev *d, uint64_t wr_id)
{
	if (d->num_open < FAKE_MAX_WORK) {
		d->open_wr[d->num_open++] = wr_id;
	}
}

static int
fake_post_send(struct ibv_qp *qp, struct ibv_send_wr *wr, struct ibv_send_wr **bad)
{
	struct fake_dev *d = dev_of(qp->context);
	uint32_t n;

	d->post_send_calls++;
	d->num_last_sends = 0;
	for (; wr != NULL; wr = wr->next) {
		n = d->num_last_sends;
		if (n < 16 && wr->num_sge >= 1 && wr->num_sge <= (int)RDMA_MAX_SEND_SGE) {
			d->last_sends[n] = *wr;
			memcpy(d->last_sges[n], wr->sg_list,
			       (size_t)wr->num_sge * sizeof(wr->sg_list[0]));
			memcpy(&d->last_caps[n], (void *)(uintptr_t)wr->sg_list[0].addr,
			       wr->sg_list[0].length);
			d->num_last_sends++;
		}
		open_add(d, wr->wr_id);
	}
	*bad = NULL;
	return 0;
}

static int
fake_post_recv(struct ibv_qp *qp, struct ibv_recv_wr *wr, struct ibv_recv_wr **bad)
{
	struct fake_dev *d = dev_of(qp->context);

	d->post_recv_calls++;
	for (; wr != NULL; wr = wr->next) {
		d->recvs_posted++;
		open_add(d, wr->wr_id);
	}
	*bad = NULL;
	return 0;
}

static int
fake_poll_cq(struct ibv_cq *cq, int n, struct ibv_wc *wc)
{
	struct fake_dev *d = dev_of(cq->context);
	int i;

	for (i = 0; i < n && d->wc_count > 0; i++) {
		wc[i] = d->wcs[d->wc_head];
		d->wc_head = (d->wc_head + 1) % FAKE_MAX_WORK;
		d->wc_count--;
	}
	return i;
}

void
fake_devs_reset(void)
{
	g_num_devs = 0;
}

void
fake_dev_init(struct fake_dev *d)
{
	memset(d, 0, sizeof(*d));
	if (g_num_devs < 4) {
		g_devs[g_num_devs++] = d;
	}
	d->ctx.ops.poll_cq = fake_poll_cq;
	d->ctx.ops.post_send = fake_post_send;
	d->ctx.ops.post_recv = fake_post_recv;
	d->qp.context = &d->ctx;
	d->cq.context = &d->ctx;
	d->mr.lkey = 0x77;
}

void
fake_wc_push(struct fake_dev *d, uint64_t wr_id, enum ibv_wc_status status, uint32_t len)
{
	struct ibv_wc *wc;
	struct fake_dev *o;
	uint32_t i, j;

	if (d->wc_count < FAKE_MAX_WORK) {
		wc = &d->wcs[(d->wc_head + d->wc_count++) % FAKE_MAX_WORK];
		memset(wc, 0, sizeof(*wc));
		wc->wr_id = wr_id;
		wc->status = status;
		wc->byte_len = len;
	}
	for (j = 0; j < g_num_devs; j++) {
		o = g_devs[j];
		for (i = 0; i < o->num_open; i++) {
			if (o->open_wr[i] == wr_id) {
				o->open_wr[i] = o->open_wr[--o->num_open];
				return;
			}
		}
	}
}

/* The provider side of a state change: everything the queue pair posted
 * is flushed to its completion queue. */
int
ibv_modify_qp(struct ibv_qp *qp, struct ibv_qp_attr *attr, int mask)
{
	struct fake_dev *d = dev_of(qp->context);

	if ((mask & IBV_QP_STATE) && attr->qp_state == IBV_QPS_ERR) {
		d->error_state = true;
		while (d->num_open > 0) {
			fake_wc_push(dev_of(qp->send_cq->context), d->open_wr[0],
				     IBV_WC_WR_FLUSH_ERR, 0);
		}
	}
	return 0;
}

/* No connection manager here: the queue pair is moved by hand. */
int
rdma_disconnect(struct rdma_cm_id *id)
{
	(void)id;
	errno = ENOTCONN;
	return -1;
}

int
ibv_destroy_cq(struct ibv_cq *cq)
{
	(void)cq;
	return 0;
}

int
ibv_resize_cq(struct ibv_cq *cq, int cqe)
{
	cq->cqe = cqe;
	return 0;
}

struct ibv_cq *
ibv_create_cq(struct ibv_context *ctx, int cqe, void *cq_context, struct ibv_comp_channel *ch,
	      int vector)
{
	(void)ctx;
	(void)cq_context;
	(void)ch;
	(void)vector;
	g_fake_next_cq_dev->cq.cqe = cqe;
	return &g_fake_next_cq_dev->cq;
}
