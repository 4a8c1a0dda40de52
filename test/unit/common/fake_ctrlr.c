/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A fake transport for unit tests: registers in memory, admin commands
 * answered from canned Identify data.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_ctrlr.h"
#include "nvme/fabrics.h"

int g_fake_shutdowns;

static struct fake_ctrlr *
fake(struct pnvme_ctrlr *ctrlr)
{
	return (struct fake_ctrlr *)ctrlr;
}

static int
fake_get_reg_4(struct pnvme_ctrlr *ctrlr, uint32_t offset, uint32_t *value)
{
	struct fake_ctrlr *f = fake(ctrlr);
	union pnvme_csts_register csts = {.raw = 0};

	switch (offset) {
	case PNVME_REG_VS:
		*value = f->vs;
		return 0;
	case PNVME_REG_CC:
		*value = f->cc.raw;
		return 0;
	case PNVME_REG_CSTS:
		if (f->rdy_after >= 0 && f->reads_since_change >= f->rdy_after) {
			f->rdy = f->cc.bits.en;
		}
		f->reads_since_change++;
		csts.bits.rdy = f->rdy;
		csts.bits.cfs = f->cfs;
		csts.bits.shst = f->cc.bits.shn ? PNVME_SHST_COMPLETE : PNVME_SHST_NORMAL;
		*value = csts.raw;
		return 0;
	case PNVME_REG_AQA:
		*value = f->aqa;
		return 0;
	default:
		return -EINVAL;
	}
}

static int
fake_set_reg_4(struct pnvme_ctrlr *ctrlr, uint32_t offset, uint32_t value)
{
	struct fake_ctrlr *f = fake(ctrlr);
	union pnvme_cc_register cc = {.raw = value};

	switch (offset) {
	case PNVME_REG_CC:
		if (f->cc_writes < 32) {
			f->cc_history[f->cc_writes] = value;
		}
		f->cc_writes++;
		if (cc.bits.en != f->cc.bits.en) {
			f->reads_since_change = 0;
		}
		if (cc.bits.shn == PNVME_SHN_NORMAL && f->cc.bits.shn != PNVME_SHN_NORMAL) {
			g_fake_shutdowns++;
		}
		if (f->cc.bits.en && !cc.bits.en) {
			f->cfs = false; /* a controller reset clears the fatal status */
		}
		f->cc = cc;
		return 0;
	case PNVME_REG_AQA:
		f->aqa = value;
		return 0;
	default:
		return -EINVAL;
	}
}

static int
fake_get_reg_8(struct pnvme_ctrlr *ctrlr, uint32_t offset, uint64_t *value)
{
	if (offset != PNVME_REG_CAP) {
		return -EINVAL;
	}
	*value = fake(ctrlr)->cap.raw;
	return 0;
}

static int
fake_set_reg_8(struct pnvme_ctrlr *ctrlr, uint32_t offset, uint64_t value)
{
	(void)ctrlr;
	(void)value;
	return offset == PNVME_REG_ASQ || offset == PNVME_REG_ACQ ? 0 : -EINVAL;
}

static int
fake_enable(struct pnvme_ctrlr *ctrlr)
{
	fake(ctrlr)->enable_calls++;
	return 0;
}

static bool
fake_is_present(struct pnvme_ctrlr *ctrlr)
{
	return fake(ctrlr)->present;
}

static uint32_t
fake_max_xfer(struct pnvme_ctrlr *ctrlr)
{
	(void)ctrlr;
	return 128 * 1024;
}

static int
fake_submit(struct pnvme_qpair *qpair, struct nvme_request *req)
{
	struct fake_ctrlr *f = fake(qpair->ctrlr);

	if (qpair->id != 0) {
		STAILQ_INSERT_TAIL(&((struct fake_io_qpair *)qpair)->pending, req, link);
		return 0;
	}
	STAILQ_INSERT_TAIL(&f->pending, req, link);
	return 0;
}

/* I/O queues: commands wait until the test lets them complete. */
static int32_t
fake_io_process(struct fake_io_qpair *fq)
{
	struct nvme_request *req;
	struct pnvme_cpl cpl;
	int32_t n = 0;

	if (fq->hold) {
		return 0;
	}
	while ((req = STAILQ_FIRST(&fq->pending)) != NULL) {
		STAILQ_REMOVE_HEAD(&fq->pending, link);
		memset(&cpl, 0, sizeof(cpl));
		cpl.cid = req->cmd.cid;
		cpl.sqid = fq->qpair.id;
		nvme_qpair_complete_request(&fq->qpair, req, &cpl);
		n++;
	}
	return n;
}

static struct pnvme_qpair *
fake_io_qpair_alloc(struct pnvme_ctrlr *ctrlr, uint16_t qid, const struct pnvme_io_qpair_opts *opts)
{
	struct fake_io_qpair *fq = calloc(1, sizeof(*fq));

	if (fq == NULL) {
		return NULL;
	}
	STAILQ_INIT(&fq->pending);
	if (nvme_qpair_init(&fq->qpair, ctrlr, qid, opts->io_queue_requests) != 0) {
		free(fq);
		return NULL;
	}
	return &fq->qpair;
}

static int
fake_qpair_connect(struct pnvme_qpair *qpair)
{
	struct fake_io_qpair *fq = (struct fake_io_qpair *)qpair;

	fq->connects++;
	return fake(qpair->ctrlr)->io_connect_rc;
}

static void
fake_qpair_disconnect(struct pnvme_qpair *qpair)
{
	((struct fake_io_qpair *)qpair)->disconnects++;
}

static void
fake_io_qpair_free(struct pnvme_qpair *qpair)
{
	nvme_qpair_fini(qpair);
	free(qpair);
}

static void
fake_identify(struct fake_ctrlr *f, const struct pnvme_cmd *cmd, void *buf, struct pnvme_cpl *cpl)
{
	uint32_t *list = buf;
	int i, n = 0;

	if (f->identify_sc[cmd->cdw10 & 0xff] != 0) {
		cpl->status.sc = f->identify_sc[cmd->cdw10 & 0xff];
		return; /* the buffer keeps whatever it held */
	}
	switch (cmd->cdw10 & 0xff) {
	case PNVME_IDENTIFY_CTRLR:
		memcpy(buf, &f->cdata, sizeof(f->cdata));
		return;
	case PNVME_IDENTIFY_ACTIVE_NS_LIST:
		memset(buf, 0, PNVME_IDENTIFY_DATA_SIZE);
		for (i = 0; i < f->num_active; i++) {
			if (f->active[i] > cmd->nsid) {
				list[n++] = f->active[i];
			}
		}
		if (f->active_list_garbage && n > 1) {
			uint32_t t = list[0];

			list[0] = list[1];
			list[1] = t;
		}
		return;
	case PNVME_IDENTIFY_NS:
		if (cmd->nsid == 0 || cmd->nsid > f->cdata.nn) {
			cpl->status.sc = PNVME_SC_INVALID_NAMESPACE_OR_FORMAT;
			return;
		}
		if (cmd->nsid > FAKE_MAX_NS) {
			/* A valid ID with no namespace: zeroes (inactive). */
			memset(buf, 0, PNVME_IDENTIFY_DATA_SIZE);
			return;
		}
		memcpy(buf, &f->nsdata[cmd->nsid - 1], sizeof(struct pnvme_ns_data));
		return;
	case PNVME_IDENTIFY_NS_ID_DESCRIPTOR_LIST:
		if (f->id_descs_unsupported || cmd->nsid == 0 || cmd->nsid > FAKE_MAX_NS) {
			cpl->status.sc = PNVME_SC_INVALID_FIELD;
			return;
		}
		memcpy(buf, f->id_descs[cmd->nsid - 1], PNVME_IDENTIFY_DATA_SIZE);
		return;
	default:
		cpl->status.sc = PNVME_SC_INVALID_FIELD;
	}
}

/* Fabrics commands: Connect, and registers as properties. */
static void
fake_fabric_cmd(struct fake_ctrlr *f, const struct pnvme_cmd *cmd, struct pnvme_cpl *cpl)
{
	bool wide = cmd->cdw10 & 1;
	uint64_t v64 = 0;
	uint32_t v32 = 0;
	int rc;

	f->fabric_count[cmd->nsid & 0xff]++;
	switch (cmd->nsid & 0xff) {
	case PNVME_FCTYPE_CONNECT:
		cpl->cdw0 = 1; /* controller ID */
		return;
	case PNVME_FCTYPE_PROPERTY_GET:
		rc = wide ? fake_get_reg_8(&f->ctrlr, cmd->cdw11, &v64)
			  : fake_get_reg_4(&f->ctrlr, cmd->cdw11, &v32);
		v64 = wide ? v64 : v32;
		cpl->cdw0 = (uint32_t)v64;
		cpl->cdw1 = (uint32_t)(v64 >> 32);
		break;
	case PNVME_FCTYPE_PROPERTY_SET:
		rc = wide ? fake_set_reg_8(&f->ctrlr, cmd->cdw11,
					   cmd->cdw12 | (uint64_t)cmd->cdw13 << 32)
			  : fake_set_reg_4(&f->ctrlr, cmd->cdw11, cmd->cdw12);
		break;
	default:
		rc = -EINVAL;
	}
	if (rc != 0 || (f->prop_refused != 0 && cmd->cdw11 == f->prop_refused)) {
		cpl->status.sc = PNVME_SC_INVALID_FIELD;
	}
}

/* Index of @p nsid in the active list, or -1. */
static int
fake_active_index(const struct fake_ctrlr *f, uint32_t nsid)
{
	int i;

	for (i = 0; i < f->num_active; i++) {
		if (f->active[i] == nsid) {
			return i;
		}
	}
	return -1;
}

static void
fake_manage(struct fake_ctrlr *f, const struct pnvme_cmd *cmd, const void *payload,
	    struct pnvme_cpl *cpl)
{
	const struct pnvme_ctrlr_list *list = payload;
	uint32_t len, off;
	int i;

	switch (cmd->opc) {
	case PNVME_OPC_FORMAT_NVM:
		if (cmd->nsid == 0 || cmd->nsid > FAKE_MAX_NS ||
		    (cmd->cdw10 & 0xf) > f->nsdata[cmd->nsid - 1].nlbaf) {
			cpl->status.sc = PNVME_SC_INVALID_FIELD;
			return;
		}
		f->nsdata[cmd->nsid - 1].flbas = cmd->cdw10 & 0xf;
		return;
	case PNVME_OPC_NS_ATTACHMENT:
		i = fake_active_index(f, cmd->nsid);
		if (list == NULL || list->num != 1 || list->ids[0] != f->cdata.cntlid ||
		    cmd->nsid == 0 || cmd->nsid > FAKE_MAX_NS) {
			cpl->status.sc = PNVME_SC_INVALID_FIELD;
		} else if ((cmd->cdw10 & 0xf) == 0 && i < 0) {
			fake_ctrlr_add_ns(f, cmd->nsid, f->nsdata[cmd->nsid - 1].nsze,
					  f->nsdata[cmd->nsid - 1].lbaf[0].lbads);
		} else if ((cmd->cdw10 & 0xf) == 1 && i >= 0) {
			memmove(&f->active[i], &f->active[i + 1],
				(size_t)(f->num_active - i - 1) * sizeof(f->active[0]));
			f->num_active--;
		} else {
			cpl->status.sct = PNVME_SCT_COMMAND_SPECIFIC;
			cpl->status.sc = i < 0 ? PNVME_SC_NS_NOT_ATTACHED : PNVME_SC_NS_ALREADY_ATTACHED;
		}
		return;
	case PNVME_OPC_FIRMWARE_IMAGE_DOWNLOAD:
		len = (cmd->cdw10 + 1) * 4;
		off = cmd->cdw11 * 4;
		if (off > sizeof(f->fw_image) || len > sizeof(f->fw_image) - off) {
			cpl->status.sc = PNVME_SC_INVALID_FIELD;
			return;
		}
		memcpy(f->fw_image + off, payload, len);
		f->fw_pieces++;
		return;
	default:
		return;
	}
}

static int32_t
fake_process(struct pnvme_qpair *qpair, uint32_t max)
{
	struct fake_ctrlr *f = fake(qpair->ctrlr);
	STAILQ_HEAD(, nvme_request) kept = STAILQ_HEAD_INITIALIZER(kept);
	struct nvme_request *req;
	struct pnvme_cpl cpl;
	int32_t n = 0;

	(void)max;
	if (qpair->id != 0) {
		return fake_io_process((struct fake_io_qpair *)qpair);
	}
	if (f->admin_hang) {
		return 0;
	}
	while ((req = STAILQ_FIRST(&f->pending)) != NULL) {
		STAILQ_REMOVE_HEAD(&f->pending, link);
		if (f->never_answer_opc != 0 && req->cmd.opc == f->never_answer_opc) {
			STAILQ_INSERT_TAIL(&kept, req, link);
			continue;
		}
		memset(&cpl, 0, sizeof(cpl));
		cpl.cid = req->cmd.cid;
		f->admin_count[req->cmd.opc]++;
		switch (req->cmd.opc) {
		case PNVME_OPC_IDENTIFY:
			fake_identify(f, &req->cmd, req->payload, &cpl);
			break;
		case PNVME_OPC_SET_FEATURES:
			if (f->set_features_sc != 0) {
				cpl.status.sc = f->set_features_sc;
			} else if ((req->cmd.cdw10 & 0xff) == PNVME_FEAT_NUMBER_OF_QUEUES) {
				cpl.cdw0 = f->queues_granted;
			}
			break;
		case PNVME_OPC_FABRIC:
			fake_fabric_cmd(f, &req->cmd, &cpl);
			break;
		case PNVME_OPC_ABORT:
			cpl.status.sc = f->abort_sc;
			cpl.cdw0 = f->abort_cdw0;
			break;
		case PNVME_OPC_ASYNC_EVENT_REQUEST:
			STAILQ_INSERT_TAIL(&f->aers, req, link);
			continue;
		case PNVME_OPC_GET_LOG_PAGE:
			f->last_log_cmd = req->cmd;
			memcpy(req->payload, f->log_data,
			       PNVME_MIN(req->payload_size, (uint32_t)sizeof(f->log_data)));
			break;
		case PNVME_OPC_FORMAT_NVM:
		case PNVME_OPC_NS_ATTACHMENT:
		case PNVME_OPC_FIRMWARE_IMAGE_DOWNLOAD:
		case PNVME_OPC_FIRMWARE_COMMIT:
		case PNVME_OPC_DEVICE_SELF_TEST:
		case PNVME_OPC_SANITIZE:
		case PNVME_OPC_NS_MANAGEMENT:
			fake_manage(f, &req->cmd, req->payload, &cpl);
			break;
		default:
			cpl.status.sc = PNVME_SC_INVALID_OPCODE;
		}
		f->last_admin_cmd = req->cmd;
		nvme_qpair_complete_request(qpair, req, &cpl);
		n++;
	}
	STAILQ_CONCAT(&f->pending, &kept);
	if (f->fail_after_answer && n > 0 && f->admin_count[PNVME_OPC_IDENTIFY] > 0) {
		nvme_ctrlr_fail(qpair->ctrlr, "the fake dropped its admin queue");
		return -ENXIO;
	}
	return n;
}

static void
fake_abort(struct pnvme_qpair *qpair)
{
	struct fake_ctrlr *f = fake(qpair->ctrlr);
	struct nvme_request *req;

	if (qpair->id != 0) {
		struct fake_io_qpair *fq = (struct fake_io_qpair *)qpair;

		while ((req = STAILQ_FIRST(&fq->pending)) != NULL) {
			STAILQ_REMOVE_HEAD(&fq->pending, link);
			nvme_qpair_complete_request_status(qpair, req, PNVME_SCT_GENERIC,
							   PNVME_SC_ABORTED_SQ_DELETION);
		}
		return;
	}
	while ((req = STAILQ_FIRST(&f->pending)) != NULL) {
		STAILQ_REMOVE_HEAD(&f->pending, link);
		nvme_qpair_complete_request_status(qpair, req, PNVME_SCT_GENERIC,
						   PNVME_SC_ABORTED_SQ_DELETION);
	}
	while ((req = STAILQ_FIRST(&f->aers)) != NULL) {
		STAILQ_REMOVE_HEAD(&f->aers, link);
		nvme_qpair_complete_request_status(qpair, req, PNVME_SCT_GENERIC,
						   PNVME_SC_ABORTED_SQ_DELETION);
	}
}

bool
fake_ctrlr_post_aer(struct fake_ctrlr *f, uint32_t cdw0)
{
	struct nvme_request *req = STAILQ_FIRST(&f->aers);
	struct pnvme_cpl cpl;

	if (req == NULL) {
		return false;
	}
	STAILQ_REMOVE_HEAD(&f->aers, link);
	memset(&cpl, 0, sizeof(cpl));
	cpl.cid = req->cmd.cid;
	cpl.cdw0 = cdw0;
	nvme_qpair_complete_request(&f->adminq, req, &cpl);
	return true;
}

static void
fake_destruct(struct pnvme_ctrlr *ctrlr)
{
	struct fake_ctrlr *f = fake(ctrlr);

	nvme_qpair_fini(&f->adminq);
	nvme_ctrlr_destruct_common(ctrlr);
	free(f);
}

int g_fake_scan_count;
struct fake_ctrlr *g_fake_constructed[8];
int g_fake_num_constructed;
int g_fake_never_ready_index = -1;

static struct fake_ctrlr *fake_ctrlr_new(const struct pnvme_transport_id *trid,
					 const struct pnvme_ctrlr_opts *opts);

static int
fake_scan(struct nvme_probe_ctx *probe)
{
	struct pnvme_transport_id trid = {.trtype = FAKE_TRANSPORT_TYPE};
	int i;

	for (i = 0; i < g_fake_scan_count; i++) {
		snprintf(trid.traddr, sizeof(trid.traddr), "fake%d", i);
		if (probe->trid.traddr[0] != '\0' && strcmp(probe->trid.traddr, trid.traddr) != 0) {
			continue;
		}
		if (!nvme_probe_is_attached(&trid)) {
			nvme_probe_offer(probe, &trid, NULL);
		}
	}
	return 0;
}

static struct pnvme_ctrlr *
fake_construct(const struct pnvme_transport_id *trid, const struct pnvme_ctrlr_opts *opts,
	       void *devhandle)
{
	struct fake_ctrlr *f = fake_ctrlr_new(trid, opts);

	(void)devhandle;
	if (f != NULL && g_fake_num_constructed == g_fake_never_ready_index) {
		f->rdy_after = -1;
	}
	if (f != NULL && g_fake_num_constructed < 8) {
		g_fake_constructed[g_fake_num_constructed++] = f;
	}
	return f != NULL ? &f->ctrlr : NULL;
}

const struct nvme_transport_ops g_fake_ops = {
	.name = "fake",
	.type = FAKE_TRANSPORT_TYPE,
	.scan = fake_scan,
	.ctrlr_construct = fake_construct,
	.ctrlr_destruct = fake_destruct,
	.ctrlr_get_reg_4 = fake_get_reg_4,
	.ctrlr_get_reg_8 = fake_get_reg_8,
	.ctrlr_set_reg_4 = fake_set_reg_4,
	.ctrlr_set_reg_8 = fake_set_reg_8,
	.ctrlr_enable = fake_enable,
	.ctrlr_is_present = fake_is_present,
	.ctrlr_get_max_xfer_size = fake_max_xfer,
	.io_qpair_alloc = fake_io_qpair_alloc,
	.qpair_connect = fake_qpair_connect,
	.qpair_disconnect = fake_qpair_disconnect,
	.io_qpair_free = fake_io_qpair_free,
	.qpair_submit_request = fake_submit,
	.qpair_process_completions = fake_process,
	.qpair_abort_reqs = fake_abort,
};

void
fake_ctrlr_add_ns(struct fake_ctrlr *f, uint32_t nsid, uint64_t blocks, uint8_t lbads)
{
	struct pnvme_ns_data *nd = &f->nsdata[nsid - 1];
	int i = f->num_active;

	memset(nd, 0, sizeof(*nd));
	nd->nsze = nd->ncap = nd->nuse = blocks;
	nd->nlbaf = 1;
	nd->flbas = 0;
	nd->lbaf[0].lbads = lbads;
	nd->lbaf[1].lbads = 12;
	nd->lbaf[1].ms = 8;
	/* Keep the list ascending. */
	while (i > 0 && f->active[i - 1] > nsid) {
		f->active[i] = f->active[i - 1];
		i--;
	}
	f->active[i] = nsid;
	f->num_active++;
	if (nsid > f->cdata.nn) {
		f->cdata.nn = nsid;
	}
}

static struct fake_ctrlr *
fake_ctrlr_new(const struct pnvme_transport_id *trid, const struct pnvme_ctrlr_opts *opts)
{
	struct fake_ctrlr *f = calloc(1, sizeof(*f));

	if (f == NULL) {
		return NULL;
	}
	nvme_ctrlr_construct(&f->ctrlr, &g_fake_ops, trid, opts);
	STAILQ_INIT(&f->pending);
	STAILQ_INIT(&f->aers);
	if (nvme_qpair_init(&f->adminq, &f->ctrlr, 0, 32) != 0) {
		free(f);
		return NULL;
	}
	f->ctrlr.adminq = &f->adminq;
	f->present = true;
	f->cap.bits.mqes = 1023;
	f->cap.bits.to = 2; /* 1 s */
	f->cap.bits.css = PNVME_CAP_CSS_NVM;
	f->vs = PNVME_VERSION(1, 4, 0);
	f->rdy_after = 3;
	f->queues_granted = (3u << 16) | 5u; /* 6 SQs, 4 CQs */
	memcpy(f->cdata.sn, "FAKESERIAL          ", 20);
	memcpy(f->cdata.mn, "Fake Controller                         ", 40);
	f->cdata.mdts = 5;
	f->cdata.sgls = 1;
	fake_ctrlr_add_ns(f, 1, 1u << 21, 9);
	return f;
}

/* Fabrics: the admin queue's connection, counted. */
static int
fake_queue_open(struct pnvme_qpair *qpair)
{
	fake(qpair->ctrlr)->opens++;
	return 0;
}

static void
fake_queue_close(struct pnvme_qpair *qpair)
{
	fake(qpair->ctrlr)->closes++;
}

static int
fake_queue_open_poll(struct pnvme_qpair *qpair)
{
	(void)qpair;
	return 0;
}

static const struct nvme_fabric_queue_ops g_fake_queue_ops = {
	.open = fake_queue_open,
	.open_start = fake_queue_open,
	.open_poll = fake_queue_open_poll,
	.close = fake_queue_close,
};

struct fake_ctrlr *
fake_ctrlr_create_fabrics(void)
{
	struct fake_ctrlr *f = fake_ctrlr_create();

	if (f != NULL) {
		/* The same fake, its registers reached only as properties. */
		f->fabric_ops = g_fake_ops;
		f->fabric_ops.fabrics = true;
		f->fabric_ops.fabric_qops = &g_fake_queue_ops;
		f->fabric_ops.ctrlr_get_reg_4 = nvme_fabric_get_reg_4;
		f->fabric_ops.ctrlr_get_reg_8 = nvme_fabric_get_reg_8;
		f->fabric_ops.ctrlr_set_reg_4 = nvme_fabric_set_reg_4;
		f->fabric_ops.ctrlr_set_reg_8 = nvme_fabric_set_reg_8;
		f->ctrlr.ops = &f->fabric_ops;
		f->adminq.ops = &f->fabric_ops;
		f->adminq.queue_size = 32;
		f->cdata.ioccsz = 4; /* the 64-byte command */
		f->cdata.iorcsz = 1; /* the 16-byte completion */
	}
	return f;
}

struct fake_ctrlr *
fake_ctrlr_create(void)
{
	struct pnvme_transport_id trid = {.trtype = FAKE_TRANSPORT_TYPE};
	struct pnvme_ctrlr_opts opts;

	strcpy(trid.traddr, "fake0");
	pnvme_ctrlr_get_default_opts(&opts, sizeof(opts));
	opts.num_io_queues = 8;
	return fake_ctrlr_new(&trid, &opts);
}

int
fake_ctrlr_run_init(struct fake_ctrlr *f, int max_polls)
{
	int i, rc = 0;

	nvme_ctrlr_init_start(&f->ctrlr);
	for (i = 0; i < max_polls; i++) {
		rc = nvme_ctrlr_init_poll(&f->ctrlr);
		if (rc != 0) {
			return rc;
		}
	}
	return rc;
}

void
fake_ctrlr_destroy(struct fake_ctrlr *f)
{
	fake_destruct(&f->ctrlr);
}
