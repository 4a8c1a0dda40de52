/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NVMe over Fabrics association, shared by every fabrics transport: queue
 * Connect (with its retries), registers as properties (Property Get/Set),
 * Keep Alive and the discovery NQN default. A transport supplies only its
 * queue operations: open and close a connection, submit, poll.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nvme/fabrics.h"

/* Highest controller ID a subsystem may hand out (FFF0h-FFFFh reserved). */
#define NVME_FABRIC_MAX_CNTLID 0xffefu
/* Pause before connecting a queue again when the controller was busy. */
#define CONNECT_RETRY_US 20000

/* Submit a Connect of queue @p qid on @p qpair; @p data (1 KiB, kept by
 * the caller until completion) carries the host and subsystem. */
static int
fabric_connect_submit(struct pnvme_qpair *qpair, uint16_t qid, uint16_t sqsize, uint32_t kato_ms,
		      uint16_t cntlid, struct pnvme_fabric_connect_data *data, pnvme_cmd_cb cb_fn,
		      void *cb_arg)
{
	struct pnvme_ctrlr *ctrlr = qpair->ctrlr;
	struct nvme_request *req;

	req = nvme_qpair_alloc_request(qpair, cb_fn, cb_arg);
	if (req == NULL) {
		PNVME_ERRLOG("%s: Connect of queue %u: no free request", ctrlr->trid.traddr, qid);
		return -ENOMEM;
	}
	memset(data, 0, sizeof(*data));
	memcpy(data->hostid, ctrlr->opts.extended_host_id, sizeof(data->hostid));
	data->cntlid = cntlid;
	snprintf(data->subnqn, sizeof(data->subnqn), "%s", ctrlr->trid.subnqn);
	snprintf(data->hostnqn, sizeof(data->hostnqn), "%s", ctrlr->opts.hostnqn);

	memset(&req->cmd, 0, sizeof(req->cmd));
	req->cmd.opc = PNVME_OPC_FABRIC;
	req->cmd.nsid = PNVME_FCTYPE_CONNECT; /* byte 4: the fabrics command type */
	req->cmd.cdw10 = (uint32_t)qid << 16;  /* RECFMT 0 */
	/* The host keeps its own flow control: no SQ head reports needed, and
	 * reads may end with a C2HData SUCCESS instead of a response. */
	req->cmd.cdw11 = sqsize | ((uint32_t)PNVME_CONNECT_ATTR_DISABLE_SQ_FLOW << 16);
	req->cmd.cdw12 = kato_ms;
	req->payload = data;
	req->payload_size = sizeof(*data);
	return nvme_qpair_submit_request(qpair, req);
}

/* Command-specific statuses mean other things for Connect than for I/O. */
static const char *
connect_status_string(const struct pnvme_status *st)
{
	static const char *const names[] = {
		[PNVME_SC_CONNECT_INCOMPATIBLE_FORMAT - 0x80] = "CONNECT INCOMPATIBLE FORMAT",
		[PNVME_SC_CONNECT_CONTROLLER_BUSY - 0x80] = "CONNECT CONTROLLER BUSY",
		[PNVME_SC_CONNECT_INVALID_PARAMETERS - 0x80] = "CONNECT INVALID PARAMETERS",
		[PNVME_SC_CONNECT_RESTART_DISCOVERY - 0x80] = "CONNECT RESTART DISCOVERY",
		[PNVME_SC_CONNECT_INVALID_HOST - 0x80] = "CONNECT INVALID HOST",
	};

	if (st->sct == PNVME_SCT_COMMAND_SPECIFIC && st->sc >= 0x80 &&
	    st->sc < 0x80 + PNVME_ARRAY_SIZE(names)) {
		return names[st->sc - 0x80];
	}
	return pnvme_status_string(st);
}

/* Judge a Connect's completion: 0 (with *cntlid_out for the admin queue),
 * -EAGAIN (busy: not logged, the caller retries) or -errno (logged). */
static int
fabric_connect_check(struct pnvme_qpair *qpair, uint16_t qid, const struct pnvme_cpl *cpl,
		     uint16_t *cntlid_out)
{
	struct pnvme_ctrlr *ctrlr = qpair->ctrlr;

	if (pnvme_cpl_is_error(cpl)) {
		if ((cpl->status.sct == PNVME_SCT_COMMAND_SPECIFIC &&
		     cpl->status.sc == PNVME_SC_CONNECT_CONTROLLER_BUSY) ||
		    (qid != 0 && cpl->status.sct == PNVME_SCT_GENERIC &&
		     cpl->status.sc == PNVME_SC_COMMAND_SEQUENCE_ERROR)) {
			/* Busy, or an ID whose previous queue is still being
			 * torn down: worth another try (the caller's). */
			return -EAGAIN;
		}
		PNVME_ERRLOG("%s: %s refused the Connect of queue %u: %s (sct %u sc 0x%02x, "
			     "dword 0 0x%08x)",
			     ctrlr->trid.traddr, ctrlr->trid.subnqn, qid,
			     connect_status_string(&cpl->status), cpl->status.sct, cpl->status.sc,
			     cpl->cdw0);
		return -ECONNREFUSED;
	}
	/* The admin Connect hands out the controller ID every I/O Connect
	 * names: FFF0h-FFFFh are reserved and never a controller's. */
	if (qid == 0 && (cpl->cdw0 & 0xffff) > NVME_FABRIC_MAX_CNTLID) {
		PNVME_ERRLOG("%s: Connect answered with controller ID 0x%04x, a reserved value",
			     ctrlr->trid.traddr, cpl->cdw0 & 0xffff);
		return -EPROTO;
	}
	if (cntlid_out != NULL) {
		*cntlid_out = (uint16_t)(cpl->cdw0 & 0xffff);
	}
	return 0;
}

int
nvme_fabric_connect(struct pnvme_qpair *qpair, uint16_t qid, uint16_t sqsize, uint32_t kato_ms,
		    uint16_t cntlid, uint32_t timeout_ms, uint16_t *cntlid_out)
{
	struct pnvme_fabric_connect_data *data;
	struct nvme_sync_cmd w = {.done = false};
	char what[32];
	int rc;

	/* DMA memory: a transport may need it registered (NVMe/RDMA). */
	data = pnvme_dma_zmalloc(sizeof(*data), 0, NULL);
	if (data == NULL) {
		PNVME_ERRLOG("%s: Connect of queue %u: out of memory", qpair->ctrlr->trid.traddr,
			     qid);
		return -ENOMEM;
	}
	rc = fabric_connect_submit(qpair, qid, sqsize, kato_ms, cntlid, data, nvme_sync_cmd_done,
				   &w);
	if (rc == 0) {
		snprintf(what, sizeof(what), "Connect of queue %u", qid);
		rc = nvme_qpair_wait_sync(qpair, &w, timeout_ms, what);
	}
	pnvme_dma_free(data);
	return rc != 0 ? rc : fabric_connect_check(qpair, qid, &w.cpl, cntlid_out);
}

static void
fabric_prop_build(struct pnvme_cmd *cmd, bool set, uint32_t offset, uint8_t size, uint64_t value)
{
	memset(cmd, 0, sizeof(*cmd));
	cmd->opc = PNVME_OPC_FABRIC;
	cmd->nsid = set ? PNVME_FCTYPE_PROPERTY_SET : PNVME_FCTYPE_PROPERTY_GET;
	cmd->cdw10 = size == 8 ? 1 : 0; /* ATTRIB: property size */
	cmd->cdw11 = offset;
	cmd->cdw12 = (uint32_t)value; /* Set only */
	cmd->cdw13 = (uint32_t)(value >> 32);
}

int
nvme_fabric_prop_submit(struct pnvme_ctrlr *ctrlr, bool set, uint32_t offset, uint8_t size,
			uint64_t value, pnvme_cmd_cb cb_fn, void *cb_arg)
{
	struct pnvme_cmd cmd;

	fabric_prop_build(&cmd, set, offset, size, value);
	return nvme_ctrlr_submit_admin(ctrlr, &cmd, NULL, 0, cb_fn, cb_arg);
}

uint64_t
nvme_fabric_prop_value(const struct pnvme_cpl *cpl, uint8_t size)
{
	return size == 8 ? ((uint64_t)cpl->cdw1 << 32 | cpl->cdw0) : cpl->cdw0;
}

/* Property Get or Set of @p size bytes at @p offset; *cpl gets the answer. */
static int
fabric_prop_cmd(struct pnvme_ctrlr *ctrlr, uint8_t fctype, uint32_t offset, uint8_t size,
		uint64_t value, struct pnvme_cpl *cpl)
{
	struct pnvme_cmd cmd;
	int rc;

	fabric_prop_build(&cmd, fctype == PNVME_FCTYPE_PROPERTY_SET, offset, size, value);
	rc = nvme_ctrlr_admin_sync(ctrlr, &cmd, NULL, 0, cpl);
	if (rc != 0) {
		return rc;
	}
	if (pnvme_cpl_is_error(cpl)) {
		PNVME_ERRLOG("%s: Property %s of offset 0x%x failed: %s", ctrlr->trid.traddr,
			     fctype == PNVME_FCTYPE_PROPERTY_GET ? "Get" : "Set", offset,
			     pnvme_status_string(&cpl->status));
		return -EIO;
	}
	return 0;
}

int
nvme_fabric_prop_get(struct pnvme_ctrlr *ctrlr, uint32_t offset, uint8_t size, uint64_t *value)
{
	struct pnvme_cpl cpl;
	int rc = fabric_prop_cmd(ctrlr, PNVME_FCTYPE_PROPERTY_GET, offset, size, 0, &cpl);

	if (rc == 0) {
		*value = nvme_fabric_prop_value(&cpl, size);
	}
	return rc;
}

int
nvme_fabric_prop_set(struct pnvme_ctrlr *ctrlr, uint32_t offset, uint8_t size, uint64_t value)
{
	struct pnvme_cpl cpl;

	return fabric_prop_cmd(ctrlr, PNVME_FCTYPE_PROPERTY_SET, offset, size, value, &cpl);
}

/* ---------------------------------------------------------------- */
/* Registers as properties                                           */
/* ---------------------------------------------------------------- */

int
nvme_fabric_get_reg_4(struct pnvme_ctrlr *ctrlr, uint32_t offset, uint32_t *value)
{
	uint64_t v;
	int rc = nvme_fabric_prop_get(ctrlr, offset, 4, &v);

	if (rc == 0) {
		*value = (uint32_t)v;
	}
	return rc;
}

int
nvme_fabric_get_reg_8(struct pnvme_ctrlr *ctrlr, uint32_t offset, uint64_t *value)
{
	return nvme_fabric_prop_get(ctrlr, offset, 8, value);
}

int
nvme_fabric_set_reg_4(struct pnvme_ctrlr *ctrlr, uint32_t offset, uint32_t value)
{
	return nvme_fabric_prop_set(ctrlr, offset, 4, value);
}

int
nvme_fabric_set_reg_8(struct pnvme_ctrlr *ctrlr, uint32_t offset, uint64_t value)
{
	return nvme_fabric_prop_set(ctrlr, offset, 8, value);
}

/* ---------------------------------------------------------------- */
/* Queue connection                                                  */
/* ---------------------------------------------------------------- */

bool
nvme_fabric_nqn_is_discovery(const char *nqn)
{
	return strcmp(nqn, PNVME_DISCOVERY_NQN) == 0;
}

void
nvme_fabric_trid_default_subnqn(struct pnvme_transport_id *trid)
{
	if (trid->subnqn[0] == '\0') {
		snprintf(trid->subnqn, sizeof(trid->subnqn), "%s", PNVME_DISCOVERY_NQN);
	}
}

int
nvme_fabric_admin_connect_start(struct pnvme_ctrlr *ctrlr, void *buf, pnvme_cmd_cb cb_fn,
				void *cb_arg)
{
	struct pnvme_qpair *adminq = ctrlr->adminq;
	int rc;

	adminq->failed = false;
	adminq->generation = ctrlr->generation;
	/* A discovery controller is short-lived: no Keep Alive. */
	ctrlr->kato_ms = ctrlr->is_discovery ? 0 : ctrlr->opts.keep_alive_timeout_ms;
	rc = fabric_connect_submit(adminq, 0, (uint16_t)(adminq->queue_size - 1), ctrlr->kato_ms,
				   0xffff, buf, cb_fn, cb_arg);
	if (rc != 0) {
		ctrlr->ops->fabric_qops->close(adminq);
	}
	return rc;
}

int
nvme_fabric_admin_connect_done(struct pnvme_ctrlr *ctrlr, const struct pnvme_cpl *cpl)
{
	int rc = fabric_connect_check(ctrlr->adminq, 0, cpl, &ctrlr->cntlid);

	if (rc == -EAGAIN) {
		PNVME_ERRLOG("%s: %s is busy: the admin Connect was refused", ctrlr->trid.traddr,
			     ctrlr->trid.subnqn);
		rc = -EBUSY;
	}
	return rc;
}

/* An I/O queue of the controller the admin queue connected to; busy or
 * still tearing down an earlier queue with this ID: again, on a new
 * connection, until the admin timeout. */
static int
connect_io(struct pnvme_qpair *qpair, uint16_t qid, uint32_t entries,
	   const struct nvme_fabric_queue_ops *qops)
{
	struct pnvme_ctrlr *ctrlr = qpair->ctrlr;
	uint64_t deadline = pnvme_get_ticks() + nvme_ms_to_ticks(ctrlr->opts.admin_timeout_ms);
	int rc;

	do {
		rc = qops->open(qpair);
		if (rc != 0) {
			return rc;
		}
		rc = nvme_fabric_connect(qpair, qid, (uint16_t)(entries - 1), 0, ctrlr->cntlid,
					 ctrlr->opts.admin_timeout_ms, NULL);
		if (rc != 0) {
			qops->close(qpair);
		}
		if (rc == -EAGAIN) {
			pnvme_delay_us(CONNECT_RETRY_US);
		}
	} while (rc == -EAGAIN && pnvme_get_ticks() < deadline);
	if (rc == -EAGAIN) {
		PNVME_ERRLOG("%s: queue %u: the controller stayed busy for %u ms", ctrlr->trid.traddr,
			     qid, ctrlr->opts.admin_timeout_ms);
	}
	return rc;
}

int
nvme_fabric_qpair_connect(struct pnvme_qpair *qpair)
{
	if (qpair->queue_size < 2 || qpair->queue_size > 65536) {
		PNVME_ERRLOG("%s: queue %u: %u entries is outside 2-65536",
			     qpair->ctrlr->trid.traddr, qpair->id, qpair->queue_size);
		return -EINVAL;
	}
	return connect_io(qpair, qpair->id, qpair->queue_size, qpair->ops->fabric_qops);
}

void
nvme_fabric_qpair_disconnect(struct pnvme_qpair *qpair)
{
	/* Closing the connection deletes the queue on the controller. */
	qpair->ops->fabric_qops->close(qpair);
}

/* ---------------------------------------------------------------- */
/* Keep Alive                                                        */
/* ---------------------------------------------------------------- */

static void
keep_alive_done(void *arg, const struct pnvme_cpl *cpl)
{
	struct pnvme_ctrlr *ctrlr = arg;
	char why[96];

	ctrlr->keep_alive_outstanding = false;
	/* Aborted by a reset (or a failure already reported): not news. */
	if (pnvme_cpl_is_error(cpl) && ctrlr->state == NVME_CTRLR_LIVE) {
		snprintf(why, sizeof(why), "Keep Alive failed: %s (sct %u sc 0x%02x)",
			 pnvme_status_string(&cpl->status), cpl->status.sct, cpl->status.sc);
		nvme_ctrlr_fail(ctrlr, why);
	}
}

void
nvme_fabric_keep_alive(struct pnvme_ctrlr *ctrlr, uint64_t now)
{
	struct pnvme_cmd cmd;

	if (ctrlr->kato_ms == 0 || ctrlr->init.state != NVME_INIT_READY ||
	    ctrlr->keep_alive_outstanding || now < ctrlr->next_keep_alive) {
		return;
	}
	ctrlr->next_keep_alive = now + nvme_ms_to_ticks(ctrlr->kato_ms / 2);
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = PNVME_OPC_KEEP_ALIVE;
	if (nvme_ctrlr_submit_admin(ctrlr, &cmd, NULL, 0, keep_alive_done, ctrlr) == 0) {
		ctrlr->keep_alive_outstanding = true;
	}
}
