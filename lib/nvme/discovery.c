/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Discovery services: reading and decoding the Discovery Log Page, probing
 * every subsystem it lists (the scan of every fabrics transport), and
 * pnvme_discover(), for applications and tools that want to see the entries
 * rather than attach them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nvme/fabrics.h"

/* Times the discovery log is read again when it changes under us. */
#define DISCOVERY_RETRIES 10

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

int
nvme_discovery_fetch(const struct pnvme_transport_id *dtrid, const struct pnvme_ctrlr_opts *opts,
		     struct pnvme_discovery_log_entry **entries, uint32_t *num, uint64_t *genctr)
{
	struct pnvme_ctrlr *ctrlr;
	int rc;

	ctrlr = nvme_probe_connect_direct(dtrid, opts);
	if (ctrlr == NULL) {
		PNVME_ERRLOG("%s:%s: cannot reach the discovery service", dtrid->traddr,
			     dtrid->trsvcid);
		return -EIO;
	}
	rc = nvme_fabric_read_discovery_log(ctrlr, entries, num, genctr);
	nvme_ctrlr_shutdown_and_free(ctrlr);
	return rc;
}

int
pnvme_discover(const struct pnvme_transport_id *trid, const struct pnvme_ctrlr_opts *opts,
	       size_t opts_size, void *cb_ctx, pnvme_discovery_cb cb, uint64_t *genctr)
{
	struct pnvme_discovery_log_entry *entries = NULL;
	struct pnvme_transport_id dtrid, etrid;
	const struct nvme_transport_ops *ops;
	struct pnvme_ctrlr_opts o;
	uint32_t num = 0, i;
	int rc;

	if (trid == NULL || cb == NULL) {
		PNVME_ERRLOG("discover: NULL transport ID or callback");
		return -EINVAL;
	}
	ops = nvme_transport_get_ops(trid->trtype);
	if (ops == NULL || !ops->fabrics) {
		PNVME_ERRLOG("discover: %s is not a fabrics transport available in this build",
			     pnvme_transport_type_str(trid->trtype) ? pnvme_transport_type_str(trid->trtype)
								     : "(unknown)");
		return -EINVAL;
	}
	dtrid = *trid;
	nvme_fabric_trid_default_subnqn(&dtrid);
	if (!nvme_fabric_nqn_is_discovery(dtrid.subnqn)) {
		PNVME_ERRLOG("discover: %s is not the discovery NQN (%s)", dtrid.subnqn,
			     PNVME_DISCOVERY_NQN);
		return -EINVAL;
	}
	rc = nvme_env_ready();
	if (rc != 0) {
		return rc;
	}
	nvme_ctrlr_opts_copy(&o, opts, opts != NULL ? opts_size : 0);
	rc = nvme_discovery_fetch(&dtrid, &o, &entries, &num, genctr);
	if (rc != 0) {
		return rc;
	}
	for (i = 0; i < num; i++) {
		rc = nvme_discovery_entry_to_trid(&entries[i], &etrid);
		cb(cb_ctx, &entries[i], rc == 0 ? &etrid : NULL);
	}
	free(entries);
	return 0;
}

/* true when @p entry is reached over transport @p type. */
static bool
entry_on_transport(const struct pnvme_discovery_log_entry *entry, enum pnvme_transport_type type)
{
	switch (type) {
	case PNVME_TRANSPORT_TCP:
		return entry->trtype == PNVME_DISC_TRTYPE_TCP;
	case PNVME_TRANSPORT_RDMA:
		return entry->trtype == PNVME_DISC_TRTYPE_RDMA;
	default:
		return false;
	}
}

/* Offer every NVM subsystem the discovery service at @p dtrid lists that is
 * reached over the same transport. */
static int
scan_discovery(struct nvme_probe_ctx *probe, const struct pnvme_transport_id *dtrid)
{
	struct pnvme_discovery_log_entry *entries = NULL;
	struct pnvme_transport_id trid;
	uint32_t num = 0, i;
	int rc;

	rc = nvme_discovery_fetch(dtrid, NULL, &entries, &num, NULL);
	if (rc != 0) {
		return rc;
	}
	for (i = 0; i < num; i++) {
		if (entries[i].subtype != PNVME_DISC_SUBTYPE_NVM ||
		    !entry_on_transport(&entries[i], dtrid->trtype) ||
		    nvme_discovery_entry_to_trid(&entries[i], &trid) != 0 ||
		    nvme_probe_is_attached(&trid)) {
			continue;
		}
		nvme_probe_offer(probe, &trid, NULL);
	}
	free(entries);
	return 0;
}

int
nvme_fabric_scan(struct nvme_probe_ctx *probe)
{
	struct pnvme_transport_id trid = probe->trid;

	nvme_fabric_trid_default_subnqn(&trid);
	if (nvme_fabric_nqn_is_discovery(trid.subnqn) && !probe->direct) {
		return scan_discovery(probe, &trid);
	}
	if (nvme_probe_is_attached(&trid)) {
		return 0;
	}
	return nvme_probe_offer(probe, &trid, NULL);
}
