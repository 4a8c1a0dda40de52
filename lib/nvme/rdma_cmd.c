/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NVMe over RDMA command capsules and the command table (see rdma_cmd.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nvme/rdma_cmd.h"

static void
keyed_set(struct pnvme_sgl_keyed_descriptor *d, const struct rdma_remote_piece *p)
{
	memset(d, 0, sizeof(*d));
	d->type = PNVME_SGL_TYPE_KEYED_DATA_BLOCK;
	d->subtype = PNVME_SGL_SUBTYPE_ADDRESS;
	if (p == NULL) {
		return;
	}
	d->address = p->addr;
	d->length[0] = (uint8_t)p->len;
	d->length[1] = (uint8_t)(p->len >> 8);
	d->length[2] = (uint8_t)(p->len >> 16);
	d->key[0] = (uint8_t)p->rkey;
	d->key[1] = (uint8_t)(p->rkey >> 8);
	d->key[2] = (uint8_t)(p->rkey >> 16);
	d->key[3] = (uint8_t)(p->rkey >> 24);
}

int
rdma_capsule_set_data(struct rdma_capsule *cap, const struct rdma_remote_piece *pieces,
		      uint32_t n, uint32_t max_descs, uint32_t in_capsule_len, char *why,
		      size_t why_len)
{
	struct pnvme_sgl_descriptor *sgl = &cap->sqe.dptr.sgl1;
	uint32_t i;

	cap->sqe.psdt = PNVME_PSDT_SGL_MPTR_CONTIG;
	memset(sgl, 0, sizeof(*sgl));
	if (in_capsule_len > 0) {
		sgl->type = PNVME_SGL_TYPE_DATA_BLOCK;
		sgl->subtype = PNVME_SGL_SUBTYPE_OFFSET;
		sgl->length = in_capsule_len;
		return (int)sizeof(cap->sqe);
	}
	if (n > max_descs || n > RDMA_MAX_SGL_DESCS) {
		snprintf(why, why_len, "%u pieces of memory, more than the %u descriptors allowed", n,
			 max_descs < RDMA_MAX_SGL_DESCS ? max_descs : RDMA_MAX_SGL_DESCS);
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		if (pieces[i].len == 0 || pieces[i].len > RDMA_MAX_SGL_LEN) {
			snprintf(why, why_len, "piece %u is %u bytes, outside 1-%u", i, pieces[i].len,
				 RDMA_MAX_SGL_LEN);
			return -EINVAL;
		}
	}
	if (n <= 1) {
		struct pnvme_sgl_keyed_descriptor keyed;

		keyed_set(&keyed, n == 1 ? &pieces[0] : NULL);
		memcpy(sgl, &keyed, sizeof(keyed));
		return (int)sizeof(cap->sqe);
	}
	for (i = 0; i < n; i++) {
		keyed_set(&cap->descs[i], &pieces[i]);
	}
	sgl->type = PNVME_SGL_TYPE_LAST_SEGMENT;
	sgl->subtype = PNVME_SGL_SUBTYPE_OFFSET;
	sgl->length = n * (uint32_t)sizeof(cap->descs[0]);
	return (int)(sizeof(cap->sqe) + sgl->length);
}

int
rdma_cmd_table_init(struct rdma_cmd_table *t, uint32_t entries)
{
	uint32_t i;

	memset(t, 0, sizeof(*t));
	if (entries < 2 || entries > 65536) {
		return -EINVAL;
	}
	t->entries = entries;
	t->num_recvs = entries;
	t->slots = calloc(entries, sizeof(*t->slots));
	t->free_cids = calloc(entries, sizeof(*t->free_cids));
	t->recv_posted = calloc(entries, sizeof(*t->recv_posted));
	if (t->slots == NULL || t->free_cids == NULL || t->recv_posted == NULL) {
		rdma_cmd_table_fini(t);
		return -ENOMEM;
	}
	for (i = 0; i < entries; i++) {
		t->free_cids[i] = (uint16_t)(entries - 1 - i); /* 0 first */
	}
	t->num_free = entries;
	return 0;
}

void
rdma_cmd_table_fini(struct rdma_cmd_table *t)
{
	free(t->slots);
	free(t->free_cids);
	free(t->recv_posted);
	memset(t, 0, sizeof(*t));
}

int
rdma_cmd_table_take(struct rdma_cmd_table *t, void *req)
{
	uint16_t cid;

	if (t->num_free == 0) {
		return -EAGAIN;
	}
	cid = t->free_cids[--t->num_free];
	memset(&t->slots[cid], 0, sizeof(t->slots[cid]));
	t->slots[cid].req = req;
	return cid;
}

void
rdma_cmd_table_sent(struct rdma_cmd_table *t, uint16_t cid)
{
	t->slots[cid].sent = true;
	t->sends_in_flight++;
}

void
rdma_cmd_table_recv_posted(struct rdma_cmd_table *t, uint32_t slot)
{
	t->recv_posted[slot] = true;
	t->recvs_in_flight++;
}

void
rdma_cmd_table_release(struct rdma_cmd_table *t, uint16_t cid)
{
	t->slots[cid].req = NULL;
	t->free_cids[t->num_free++] = cid;
}

/* A SEND's completion: the command's first or second half. */
static enum rdma_wc_verdict
judge_send(struct rdma_cmd_table *t, const struct rdma_wc_view *wc, uint32_t slot, uint16_t *cid,
	   char *why, size_t why_len)
{
	struct rdma_cmd_slot *s;

	if (slot >= t->entries || t->slots[slot].req == NULL || !t->slots[slot].sent ||
	    t->slots[slot].send_done) {
		snprintf(why, why_len, "SEND completion for command ID %u, which has no SEND posted",
			 slot);
		return RDMA_WC_MALFORMED;
	}
	s = &t->slots[slot];
	s->send_done = true;
	t->sends_in_flight--;
	*cid = (uint16_t)slot;
	if (!wc->success) {
		return RDMA_WC_FLUSHED;
	}
	return s->answered ? RDMA_WC_COMPLETE : RDMA_WC_WAIT;
}

/* A RECV's completion: a response capsule (the CQE). */
static enum rdma_wc_verdict
judge_recv(struct rdma_cmd_table *t, const struct rdma_wc_view *wc, uint32_t slot,
	   const uint8_t *rsp_bufs, uint32_t rsp_size, uint16_t *cid, uint32_t *recv_slot,
	   char *why, size_t why_len)
{
	struct pnvme_cpl cpl;
	struct rdma_cmd_slot *s;

	if (slot >= t->num_recvs || !t->recv_posted[slot]) {
		snprintf(why, why_len, "receive completion for buffer %u, which was not posted", slot);
		return RDMA_WC_MALFORMED;
	}
	t->recv_posted[slot] = false;
	t->recvs_in_flight--;
	*recv_slot = slot;
	if (!wc->success) {
		return RDMA_WC_FLUSHED;
	}
	if (wc->byte_len < sizeof(cpl) || wc->byte_len > rsp_size) {
		snprintf(why, why_len, "response of %u bytes, expected %zu (at most %u)", wc->byte_len,
			 sizeof(cpl), rsp_size);
		return RDMA_WC_MALFORMED;
	}
	memcpy(&cpl, rsp_bufs + (size_t)slot * rsp_size, sizeof(cpl));
	if (cpl.cid >= t->entries || t->slots[cpl.cid].req == NULL) {
		snprintf(why, why_len, "response for command ID %u, which is not outstanding", cpl.cid);
		return RDMA_WC_MALFORMED;
	}
	s = &t->slots[cpl.cid];
	if (!s->sent) {
		snprintf(why, why_len, "response for command ID %u, whose command was never sent",
			 cpl.cid);
		return RDMA_WC_MALFORMED;
	}
	if (s->answered) {
		snprintf(why, why_len, "second response for command ID %u", cpl.cid);
		return RDMA_WC_MALFORMED;
	}
	s->cpl = cpl;
	s->answered = true;
	*cid = cpl.cid;
	return s->send_done ? RDMA_WC_COMPLETE : RDMA_WC_WAIT;
}

enum rdma_wc_verdict
rdma_cmd_table_judge(struct rdma_cmd_table *t, const struct rdma_wc_view *wc,
		     const uint8_t *rsp_bufs, uint32_t rsp_size, uint16_t *cid, uint32_t *recv_slot,
		     char *why, size_t why_len)
{
	/* Bits above the kind are the transport's (a shared queue's tag). */
	uint32_t kind = (uint32_t)(wc->wr_id >> 32) & 0xff, slot = (uint32_t)wc->wr_id;

	switch (kind) {
	case RDMA_WR_SEND:
		return judge_send(t, wc, slot, cid, why, why_len);
	case RDMA_WR_RECV:
		return judge_recv(t, wc, slot, rsp_bufs, rsp_size, cid, recv_slot, why, why_len);
	default:
		snprintf(why, why_len, "work completion with an unknown ID 0x%016llx",
			 (unsigned long long)wc->wr_id);
		return RDMA_WC_MALFORMED;
	}
}

const char *
rdma_cm_reject_string(uint16_t sts, char *buf, size_t len)
{
	static const char *const names[] = {
		[1] = "invalid private data length",
		[2] = "invalid record format",
		[3] = "invalid queue ID",
		[4] = "invalid host send queue size",
		[5] = "invalid host receive queue size",
		[6] = "no resources",
		[7] = "invalid IRD",
		[8] = "invalid ORD",
		[9] = "invalid controller ID",
	};

	if (sts < sizeof(names) / sizeof(names[0]) && names[sts] != NULL) {
		return names[sts];
	}
	snprintf(buf, len, "status %u", sts);
	return buf;
}
