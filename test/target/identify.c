/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Identify Controller, Identify Namespace and the Namespace Identification
 * Descriptor list. Strings are space padded, as the specification wants.
 */
#include <string.h>

#include "identify.h"

/* Copy @p s into a fixed field padded with spaces. */
static void
pad_copy(void *field, size_t size, const char *s)
{
	size_t n = strlen(s);

	memset(field, ' ', size);
	memcpy(field, s, n < size ? n : size);
}

void
target_identify_ctrlr(const struct target_ctrlr *ctrlr, struct pnvme_ctrlr_data *cd)
{
	const struct target_subsys *subsys = ctrlr->subsys;
	uint32_t max_blocks = TARGET_MAX_DATA / TARGET_NS_BLOCK_SIZE;

	memset(cd, 0, sizeof(*cd));
	pad_copy(cd->sn, sizeof(cd->sn), "PNVMETGT0001");
	pad_copy(cd->mn, sizeof(cd->mn), "pnvme fused test target");
	pad_copy(cd->fr, sizeof(cd->fr), "0.1");
	cd->mdts = TARGET_MDTS;
	cd->cntlid = ctrlr->cntlid;
	cd->ver = PNVME_VERSION(2, 0, 0);
	cd->cntrltype = 1; /* I/O controller */
	cd->acl = 3;
	cd->aerl = 0;
	cd->elpe = 0; /* one error log entry */
	cd->kas = 10; /* Keep Alive granularity: 1 s (100 ms units) */
	cd->sqes = 0x66; /* 64-byte entries only */
	cd->cqes = 0x44; /* 16-byte entries only */
	cd->maxcmd = TARGET_MQES + 1;
	cd->nn = 1;
	cd->oncs = PNVME_ONCS_COMPARE | PNVME_ONCS_DSM | PNVME_ONCS_WRITE_ZEROES | PNVME_ONCS_VERIFY;
	cd->fuses = subsys->fused_supported ? PNVME_FUSES_COMPARE_AND_WRITE : 0;
	cd->vwc = 0;
	/* Every command is atomic here (one namespace lock), the largest
	 * compare-and-write included. 0's based, in blocks. */
	cd->awun = (uint16_t)(max_blocks - 1);
	cd->awupf = (uint16_t)(max_blocks - 1);
	cd->acwu = (uint16_t)(max_blocks - 1);
	/* SGLs (bits 1:0), and an SGL address that is an offset into the
	 * capsule (bit 20): how NVMe/TCP carries in-capsule data. */
	cd->sgls = PNVME_SGLS_SUPPORTED | (1u << 20);
	memcpy(cd->subnqn, subsys->nqn, strnlen(subsys->nqn, sizeof(cd->subnqn) - 1));
	/* Fabrics: capsule and response sizes in 16-byte units, data right
	 * after the command, dynamic controller model, one SGL descriptor. */
	cd->ioccsz = (64u + TARGET_IO_ICD_MAX) / 16u;
	cd->iorcsz = 16u / 16u;
	cd->icdoff = 0;
	cd->fcatt = 0;
	cd->msdbd = 1;
	cd->psd[0].mp = 100; /* 1 W: a made-up figure */
}

void
target_identify_ns(const struct target_ns *ns, struct pnvme_ns_data *nsd)
{
	uint32_t max_blocks = TARGET_MAX_DATA / TARGET_NS_BLOCK_SIZE;

	memset(nsd, 0, sizeof(*nsd));
	nsd->nsze = ns->nblocks;
	nsd->ncap = ns->nblocks;
	nsd->nuse = ns->nblocks;
	/* DLFEAT: deallocated blocks read as zeroes (bits 2:0 = 1), and Write
	 * Zeroes may deallocate (bit 3). */
	nsd->dlfeat = 1u | (1u << 3);
	nsd->nacwu = (uint16_t)(max_blocks - 1);
	nsd->nlbaf = 0;
	nsd->flbas = 0;
	nsd->lbaf[0].ms = 0;
	nsd->lbaf[0].lbads = TARGET_NS_BLOCK_SHIFT;
	memcpy(nsd->nguid, ns->nguid, sizeof(nsd->nguid));
}

/* Append one descriptor at *off. */
static void
put_desc(uint8_t *buf, size_t *off, uint8_t type, const void *id, uint8_t len)
{
	struct pnvme_ns_id_desc desc = {.nidt = type, .nidl = len};

	memcpy(buf + *off, &desc, sizeof(desc));
	memcpy(buf + *off + sizeof(desc), id, len);
	*off += sizeof(desc) + len;
}

void
target_identify_ns_id_descs(const struct target_ns *ns, uint8_t *buf)
{
	size_t off = 0;

	memset(buf, 0, PNVME_IDENTIFY_DATA_SIZE);
	put_desc(buf, &off, PNVME_NIDT_NGUID, ns->nguid, sizeof(ns->nguid));
	put_desc(buf, &off, PNVME_NIDT_UUID, ns->uuid, sizeof(ns->uuid));
}
