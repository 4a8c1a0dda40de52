/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The fake verbs device (see fake_verbs.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* ---------------------------------------------------------------- */
/* Connection manager                                                */
/* ---------------------------------------------------------------- */

struct fake_cm g_fake_cm;

void
fake_cm_reset(struct fake_dev *dev)
{
	memset(&g_fake_cm, 0, sizeof(g_fake_cm));
	g_fake_cm.dev = dev;
	snprintf(g_fake_cm.device.name, sizeof(g_fake_cm.device.name), "fake0");
	dev->ctx.device = &g_fake_cm.device;
	g_fake_next_cq_dev = dev;
}

void
fake_cm_script(enum rdma_cm_event_type type, int status, const void *priv, uint8_t len)
{
	struct fake_cm_event *e = &g_fake_cm.script[g_fake_cm.num_script++];

	e->type = type;
	e->status = status;
	e->priv_len = len;
	if (priv != NULL) {
		memcpy(e->priv, priv, len);
	}
}

struct rdma_event_channel *
rdma_create_event_channel(void)
{
	struct rdma_event_channel *ch = calloc(1, sizeof(*ch));

	ch->fd = open("/dev/null", O_RDONLY);
	g_fake_cm.channels++;
	return ch;
}

void
rdma_destroy_event_channel(struct rdma_event_channel *channel)
{
	close(channel->fd);
	free(channel);
	g_fake_cm.channels_destroyed++;
}

int
rdma_create_id(struct rdma_event_channel *channel, struct rdma_cm_id **id, void *context,
	       enum rdma_port_space ps)
{
	struct rdma_cm_id *i = calloc(1, sizeof(*i));

	i->channel = channel;
	i->context = context;
	i->ps = ps;
	i->verbs = &g_fake_cm.dev->ctx;
	*id = i;
	g_fake_cm.ids++;
	return 0;
}

int
rdma_destroy_id(struct rdma_cm_id *id)
{
	free(id);
	g_fake_cm.ids_destroyed++;
	return 0;
}

int
rdma_resolve_addr(struct rdma_cm_id *id, struct sockaddr *src, struct sockaddr *dst,
		  int timeout_ms)
{
	(void)id;
	(void)src;
	(void)dst;
	(void)timeout_ms;
	g_fake_cm.resolve_addr++;
	return 0;
}

int
rdma_resolve_route(struct rdma_cm_id *id, int timeout_ms)
{
	(void)id;
	(void)timeout_ms;
	g_fake_cm.resolve_route++;
	return 0;
}

int
rdma_get_cm_event(struct rdma_event_channel *channel, struct rdma_cm_event **event)
{
	struct fake_cm_event *e;

	(void)channel;
	if (g_fake_cm.next_event == g_fake_cm.num_script) {
		errno = EAGAIN;
		return -1;
	}
	e = &g_fake_cm.script[g_fake_cm.next_event++];
	memset(&g_fake_cm.event, 0, sizeof(g_fake_cm.event));
	g_fake_cm.event.event = e->type;
	g_fake_cm.event.status = e->status;
	g_fake_cm.event.param.conn.private_data = e->priv_len ? e->priv : NULL;
	g_fake_cm.event.param.conn.private_data_len = e->priv_len;
	*event = &g_fake_cm.event;
	return 0;
}

int
rdma_ack_cm_event(struct rdma_cm_event *event)
{
	(void)event;
	return 0;
}

int
rdma_create_qp(struct rdma_cm_id *id, struct ibv_pd *pd, struct ibv_qp_init_attr *attr)
{
	(void)pd;
	g_fake_cm.dev->qp.send_cq = attr->send_cq;
	id->qp = &g_fake_cm.dev->qp;
	g_fake_cm.qps++;
	return 0;
}

void
rdma_destroy_qp(struct rdma_cm_id *id)
{
	id->qp = NULL;
	g_fake_cm.qps_destroyed++;
}

int
rdma_connect(struct rdma_cm_id *id, struct rdma_conn_param *param)
{
	(void)id;
	g_fake_cm.param = *param;
	memcpy(g_fake_cm.priv, param->private_data,
	       param->private_data_len < 32 ? param->private_data_len : 32);
	g_fake_cm.recvs_posted_at_connect = g_fake_cm.dev->recvs_posted;
	g_fake_cm.connects++;
	return 0;
}

int
ibv_query_device(struct ibv_context *context, struct ibv_device_attr *attr)
{
	(void)context;
	memset(attr, 0, sizeof(*attr));
	attr->max_sge = 32;
	attr->max_qp_rd_atom = 16;
	attr->max_qp_init_rd_atom = 16;
	return 0;
}

struct ibv_pd *
ibv_alloc_pd(struct ibv_context *context)
{
	struct ibv_pd *pd = calloc(1, sizeof(*pd));

	pd->context = context;
	g_fake_cm.pds++;
	return pd;
}

int
ibv_dealloc_pd(struct ibv_pd *pd)
{
	free(pd);
	g_fake_cm.pds_destroyed++;
	return 0;
}

struct ibv_mr *
(ibv_reg_mr)(struct ibv_pd *pd, void *addr, size_t length, int access)
{
	struct ibv_mr *mr = calloc(1, sizeof(*mr));

	(void)access;
	mr->pd = pd;
	mr->addr = addr;
	mr->length = length;
	mr->lkey = 0x100 + g_fake_cm.mrs;
	mr->rkey = 0x200 + g_fake_cm.mrs;
	g_fake_cm.mrs++;
	return mr;
}

int
ibv_dereg_mr(struct ibv_mr *mr)
{
	free(mr);
	g_fake_cm.mrs_destroyed++;
	return 0;
}
