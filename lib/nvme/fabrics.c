/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NVMe over Fabrics commands: Connect, Property Get/Set and the Discovery
 * Log Page, independent of the transport that carries them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nvme/fabrics.h"

/* Highest controller ID a subsystem may hand out (FFF0h-FFFFh reserved). */
#define NVME_FABRIC_MAX_CNTLID 0xffefu
/* Times the discovery log is read again when it changes under us. */
#define DISCOVERY_RETRIES 10

struct fabric_wait {
	bool done;
	struct pnvme_cpl cpl;
};

static void
fabric_wait_done(void *arg, const struct pnvme_cpl *cpl)
{
	struct fabric_wait *w = arg;

	w->cpl = *cpl;
	w->done = true;
}

int
nvme_fabric_connect(struct pnvme_qpair *qpair, uint16_t qid, uint16_t sqsize, uint32_t kato_ms,
		    uint16_t cntlid, uint32_t timeout_ms, uint16_t *cntlid_out)
{
	struct pnvme_ctrlr *ctrlr = qpair->ctrlr;
	struct pnvme_fabric_connect_data *data;
	struct fabric_wait w = {.done = false};
	struct nvme_request *req;
	uint64_t deadline;
	int rc;

	data = calloc(1, sizeof(*data));
	if (data == NULL) {
		PNVME_ERRLOG("%s: Connect of queue %u: out of memory", ctrlr->trid.traddr, qid);
		return -ENOMEM;
	}
	req = nvme_qpair_alloc_request(qpair, fabric_wait_done, &w);
	if (req == NULL) {
		PNVME_ERRLOG("%s: Connect of queue %u: no free request", ctrlr->trid.traddr, qid);
		free(data);
		return -ENOMEM;
	}
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

	rc = nvme_qpair_submit_request(qpair, req);
	deadline = pnvme_get_ticks() + nvme_ms_to_ticks(timeout_ms);
	while (rc == 0 && !w.done) {
		if (nvme_qpair_process_completions(qpair, 0) < 0 && !w.done) {
			rc = -ENXIO;
		} else if (!w.done && pnvme_get_ticks() > deadline) {
			PNVME_ERRLOG("%s: Connect of queue %u got no answer in %u ms",
				     ctrlr->trid.traddr, qid, timeout_ms);
			rc = -ETIMEDOUT;
		}
	}
	if (!w.done) {
		/* The request still points at @w and @data, which end with this
		 * call: fail the queue now so it completes here, exactly once. */
		nvme_qpair_fail(qpair);
	}
	free(data);
	if (rc != 0) {
		return rc;
	}
	if (pnvme_cpl_is_error(&w.cpl)) {
		if ((w.cpl.status.sct == PNVME_SCT_COMMAND_SPECIFIC &&
		     w.cpl.status.sc == PNVME_SC_CONNECT_CONTROLLER_BUSY) ||
		    (qid != 0 && w.cpl.status.sct == PNVME_SCT_GENERIC &&
		     w.cpl.status.sc == PNVME_SC_COMMAND_SEQUENCE_ERROR)) {
			/* Busy, or an ID whose previous queue is still being
			 * torn down: worth another try (the caller's). */
			return -EAGAIN;
		}
		PNVME_ERRLOG("%s: %s refused the Connect of queue %u: %s (sct %u sc 0x%02x, "
			     "dword 0 0x%08x)",
			     ctrlr->trid.traddr, ctrlr->trid.subnqn, qid,
			     pnvme_status_string(&w.cpl.status), w.cpl.status.sct, w.cpl.status.sc,
			     w.cpl.cdw0);
		return -ECONNREFUSED;
	}
	/* The admin Connect hands out the controller ID every I/O Connect
	 * names: FFF0h-FFFFh are reserved and never a controller's. */
	if (qid == 0 && (w.cpl.cdw0 & 0xffff) > NVME_FABRIC_MAX_CNTLID) {
		PNVME_ERRLOG("%s: Connect answered with controller ID 0x%04x, a reserved value",
			     ctrlr->trid.traddr, w.cpl.cdw0 & 0xffff);
		return -EPROTO;
	}
	if (cntlid_out != NULL) {
		*cntlid_out = (uint16_t)(w.cpl.cdw0 & 0xffff);
	}
	return 0;
}

/* Property Get or Set of @p size bytes at @p offset; *cpl gets the answer. */
static int
fabric_prop_cmd(struct pnvme_ctrlr *ctrlr, uint8_t fctype, uint32_t offset, uint8_t size,
		uint64_t value, struct pnvme_cpl *cpl)
{
	struct pnvme_cmd cmd;
	int rc;

	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = PNVME_OPC_FABRIC;
	cmd.nsid = fctype;
	cmd.cdw10 = size == 8 ? 1 : 0; /* ATTRIB: property size */
	cmd.cdw11 = offset;
	cmd.cdw12 = (uint32_t)value; /* Set only */
	cmd.cdw13 = (uint32_t)(value >> 32);
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
		*value = size == 8 ? ((uint64_t)cpl.cdw1 << 32 | cpl.cdw0) : cpl.cdw0;
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
/* Discovery                                                         */
/* ---------------------------------------------------------------- */

int
nvme_discovery_log_read(nvme_discovery_read_fn read_fn, void *ctx, uint32_t chunk,
			struct pnvme_discovery_log_entry **entries, uint32_t *num, uint64_t *genctr)
{
	const uint32_t esz = sizeof(struct pnvme_discovery_log_entry);
	struct pnvme_discovery_log_header hdr;
	struct pnvme_discovery_log_entry *buf = NULL;
	uint64_t gen, numrec, off, total;
	uint32_t len, per = PNVME_MAX(chunk / esz, 1u) * esz;
	int attempt, rc;

	for (attempt = 0; attempt < DISCOVERY_RETRIES; attempt++) {
		rc = read_fn(ctx, 0, &hdr, sizeof(hdr));
		if (rc != 0) {
			goto fail;
		}
		gen = hdr.genctr;
		numrec = hdr.numrec;
		if (hdr.recfmt != 0) {
			PNVME_ERRLOG("discovery log: record format %u is unknown", hdr.recfmt);
			rc = -EPROTO;
			goto fail;
		}
		if (numrec > NVME_DISCOVERY_MAX_ENTRIES) {
			PNVME_ERRLOG("discovery log: %llu entries is more than the %u read",
				     (unsigned long long)numrec, NVME_DISCOVERY_MAX_ENTRIES);
			rc = -E2BIG;
			goto fail;
		}
		free(buf);
		buf = calloc(numrec ? numrec : 1, esz);
		if (buf == NULL) {
			rc = -ENOMEM;
			goto fail;
		}
		total = numrec * esz;
		for (off = 0; off < total; off += len) {
			len = (uint32_t)PNVME_MIN(total - off, (uint64_t)per);
			rc = read_fn(ctx, sizeof(hdr) + off, (uint8_t *)buf + off, len);
			if (rc != 0) {
				goto fail;
			}
		}
		/* The log is consistent only if nobody changed it meanwhile. */
		rc = read_fn(ctx, 0, &hdr, sizeof(hdr));
		if (rc != 0) {
			goto fail;
		}
		if (hdr.genctr == gen && hdr.numrec == numrec) {
			*entries = buf;
			*num = (uint32_t)numrec;
			if (genctr != NULL) {
				*genctr = gen;
			}
			return 0;
		}
	}
	PNVME_ERRLOG("discovery log: still changing after %d reads", DISCOVERY_RETRIES);
	rc = -EAGAIN;
fail:
	free(buf);
	return rc;
}

/* Copy a padded, maybe unterminated field; false when it does not fit,
 * holds nothing, or holds anything but printable ASCII (the field is an
 * ASCII string, and it ends up in log lines and on terminals). */
static bool
copy_field(char *dst, size_t dst_size, const char *src, size_t src_size)
{
	size_t n = strnlen(src, src_size), i;

	while (n > 0 && src[n - 1] == ' ') {
		n--; /* some targets pad with spaces */
	}
	if (n == 0 || n >= dst_size) {
		return false;
	}
	for (i = 0; i < n; i++) {
		if (src[i] < 0x20 || src[i] > 0x7e) {
			return false;
		}
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
	return true;
}

int
nvme_discovery_entry_to_trid(const struct pnvme_discovery_log_entry *entry,
			     struct pnvme_transport_id *trid)
{
	memset(trid, 0, sizeof(*trid));
	switch (entry->trtype) {
	case PNVME_DISC_TRTYPE_TCP:
		trid->trtype = PNVME_TRANSPORT_TCP;
		break;
	case PNVME_DISC_TRTYPE_RDMA:
		trid->trtype = PNVME_TRANSPORT_RDMA;
		break;
	default:
		PNVME_ERRLOG("discovery log: transport type %u is not supported", entry->trtype);
		return -ENOTSUP;
	}
	if (entry->adrfam != PNVME_ADRFAM_IPV4 && entry->adrfam != PNVME_ADRFAM_IPV6) {
		PNVME_ERRLOG("discovery log: address family %u is not supported", entry->adrfam);
		return -ENOTSUP;
	}
	trid->adrfam = (enum pnvme_adrfam)entry->adrfam;
	if (!copy_field(trid->traddr, sizeof(trid->traddr), entry->traddr,
			sizeof(entry->traddr)) ||
	    !copy_field(trid->trsvcid, sizeof(trid->trsvcid), entry->trsvcid,
			sizeof(entry->trsvcid)) ||
	    !copy_field(trid->subnqn, sizeof(trid->subnqn), entry->subnqn,
			sizeof(entry->subnqn))) {
		PNVME_ERRLOG("discovery log: an entry has an empty, overlong or unprintable address, "
			     "port or NQN");
		return -EINVAL;
	}
	return 0;
}

struct log_reader {
	struct pnvme_ctrlr *ctrlr;
	void *dma; /* bounce buffer: the admin path wants DMA-able memory */
	uint32_t dma_size;
};

static int
read_discovery_chunk(void *ctx, uint64_t offset, void *buf, uint32_t len)
{
	struct log_reader *r = ctx;
	uint32_t numd = len / 4 - 1;
	struct pnvme_cpl cpl;
	struct pnvme_cmd cmd;
	int rc;

	if (len > r->dma_size || (len & 3) != 0) {
		return -EINVAL;
	}
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = PNVME_OPC_GET_LOG_PAGE;
	cmd.cdw10 = PNVME_LOG_DISCOVERY | (numd & 0xffff) << 16;
	cmd.cdw11 = numd >> 16;
	cmd.cdw12 = (uint32_t)offset;
	cmd.cdw13 = (uint32_t)(offset >> 32);
	rc = nvme_ctrlr_admin_sync(r->ctrlr, &cmd, r->dma, len, &cpl);
	if (rc != 0) {
		return rc;
	}
	if (pnvme_cpl_is_error(&cpl)) {
		PNVME_ERRLOG("%s: reading the discovery log failed: %s", r->ctrlr->trid.traddr,
			     pnvme_status_string(&cpl.status));
		return -EIO;
	}
	memcpy(buf, r->dma, len);
	return 0;
}

int
nvme_fabric_read_discovery_log(struct pnvme_ctrlr *ctrlr,
			       struct pnvme_discovery_log_entry **entries, uint32_t *num,
			       uint64_t *genctr)
{
	struct log_reader r = {.ctrlr = ctrlr, .dma_size = 16 * 1024};
	int rc;

	r.dma = pnvme_dma_zmalloc(r.dma_size, 4096, NULL);
	if (r.dma == NULL) {
		return -ENOMEM;
	}
	rc = nvme_discovery_log_read(read_discovery_chunk, &r, r.dma_size, entries, num, genctr);
	pnvme_dma_free(r.dma);
	return rc;
}
