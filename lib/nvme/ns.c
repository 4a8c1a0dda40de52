/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Namespaces: derived geometry from Identify Namespace, identifiers from the
 * Namespace Identification Descriptor list, and the public getters.
 */
#include <errno.h>
#include <string.h>

#include "nvme/nvme_internal.h"

/* Largest logical block the driver takes: 2^16 bytes. */
#define NS_MAX_LBADS 16
/* Formats an Identify Namespace can describe (NLBAF is 0-based). */
#define NS_MAX_NLBAF 63

int
nvme_ns_apply_identify(struct pnvme_ns *ns)
{
	const struct pnvme_ns_data *nsdata = &ns->data;
	uint8_t index = pnvme_ns_data_flbas_index(nsdata);
	const struct pnvme_lbaf *lbaf;
	static const uint8_t zero[16];

	/* Device data is untrusted: the format in use must exist and be sane.
	 * Formats not in use are never interpreted. */
	if (nsdata->nlbaf > NS_MAX_NLBAF) {
		PNVME_ERRLOG("namespace %u: NLBAF %u is above %u; namespace not used", ns->id,
			     nsdata->nlbaf, NS_MAX_NLBAF);
		return -EINVAL;
	}
	if (index > nsdata->nlbaf) {
		PNVME_ERRLOG("namespace %u: FLBAS selects format %u but only %u exist", ns->id,
			     index, nsdata->nlbaf + 1u);
		return -EINVAL;
	}
	lbaf = &nsdata->lbaf[index];
	if (lbaf->lbads < 9 || lbaf->lbads > NS_MAX_LBADS) {
		PNVME_ERRLOG("namespace %u: LBA data size 2^%u is outside 512 B-64 KiB", ns->id,
			     lbaf->lbads);
		return -EINVAL;
	}
	if (nsdata->ncap > nsdata->nsze || nsdata->nuse > nsdata->ncap) {
		PNVME_ERRLOG("namespace %u: NSZE %llu, NCAP %llu, NUSE %llu break NUSE <= NCAP <= "
			     "NSZE; namespace not used",
			     ns->id, (unsigned long long)nsdata->nsze,
			     (unsigned long long)nsdata->ncap, (unsigned long long)nsdata->nuse);
		return -EINVAL;
	}
	/* The size in bytes (pnvme_ns_get_size) must fit 64 bits. */
	if (nsdata->nsze > (UINT64_MAX >> lbaf->lbads)) {
		PNVME_ERRLOG("namespace %u: NSZE %llu blocks of 2^%u bytes overflow 64 bits", ns->id,
			     (unsigned long long)nsdata->nsze, lbaf->lbads);
		return -EINVAL;
	}
	/* Protection information lives in the metadata: 8 bytes of it. */
	if ((nsdata->dps & 7) > 3 || ((nsdata->dps & 7) != 0 && lbaf->ms < 8)) {
		PNVME_ERRLOG("namespace %u: protection type %u with %u bytes of metadata is not "
			     "a valid format; namespace not used",
			     ns->id, nsdata->dps & 7, lbaf->ms);
		return -EINVAL;
	}
	ns->pi_type = nsdata->dps & 7;
	ns->pi_first = (nsdata->dps & 8) != 0;
	ns->sector_size = 1u << lbaf->lbads;
	ns->md_size = lbaf->ms;
	ns->extended_lba_size = ns->sector_size;
	if (nsdata->flbas & PNVME_FLBAS_EXTENDED_METADATA) {
		ns->extended_lba_size += ns->md_size;
	}
	/* NOIOB is a hint (0: none); any 16-bit count of blocks is usable, as
	 * splitting computes in blocks. */
	ns->optimal_io_boundary = nsdata->noiob;
	ns->csi = PNVME_CSI_NVM;
	if (memcmp(nsdata->nguid, zero, sizeof(nsdata->nguid)) != 0) {
		memcpy(ns->nguid, nsdata->nguid, sizeof(ns->nguid));
		ns->has_nguid = true;
	}
	if (memcmp(nsdata->eui64, zero, sizeof(nsdata->eui64)) != 0) {
		memcpy(ns->eui64, nsdata->eui64, sizeof(ns->eui64));
		ns->has_eui64 = true;
	}
	return 0;
}

int
nvme_ns_apply_id_descs(struct pnvme_ns *ns, const uint8_t *buf, size_t len)
{
	static const uint8_t zero[16];
	size_t off = 0;

	while (off + sizeof(struct pnvme_ns_id_desc) <= len) {
		const struct pnvme_ns_id_desc *desc = (const void *)(buf + off);
		size_t need;
		uint8_t *dst = NULL;
		bool *has = NULL;

		if (desc->nidt == 0) {
			break; /* end of list */
		}
		need = sizeof(*desc) + desc->nidl;
		if (desc->nidl == 0 || off + need > len) {
			PNVME_ERRLOG("namespace %u: identification descriptor at offset %zu "
				     "overruns the list",
				     ns->id, off);
			return -EINVAL;
		}
		switch (desc->nidt) {
		case PNVME_NIDT_EUI64:
			if (desc->nidl == 8) {
				dst = ns->eui64;
				has = &ns->has_eui64;
			}
			break;
		case PNVME_NIDT_NGUID:
			if (desc->nidl == 16) {
				dst = ns->nguid;
				has = &ns->has_nguid;
			}
			break;
		case PNVME_NIDT_UUID:
			if (desc->nidl == 16) {
				dst = ns->uuid;
				has = &ns->has_uuid;
			}
			break;
		case PNVME_NIDT_CSI:
			if (desc->nidl == 1) {
				ns->csi = desc->nid[0];
				off += need;
				continue;
			}
			break;
		default:
			/* Unknown types are skipped by their length. */
			off += need;
			continue;
		}
		if (dst == NULL) {
			PNVME_ERRLOG("namespace %u: descriptor type %u has length %u", ns->id,
				     desc->nidt, desc->nidl);
			return -EINVAL;
		}
		if (memcmp(desc->nid, zero, desc->nidl) != 0) {
			memcpy(dst, desc->nid, desc->nidl);
			*has = true;
		}
		off += need;
	}
	return 0;
}

uint32_t
pnvme_ns_get_id(const struct pnvme_ns *ns)
{
	return ns->id;
}

const struct pnvme_ns_data *
pnvme_ns_get_data(const struct pnvme_ns *ns)
{
	return &ns->data;
}

uint32_t
pnvme_ns_get_sector_size(const struct pnvme_ns *ns)
{
	return ns->sector_size;
}

uint32_t
pnvme_ns_get_extended_sector_size(const struct pnvme_ns *ns)
{
	return ns->extended_lba_size;
}

uint32_t
pnvme_ns_get_md_size(const struct pnvme_ns *ns)
{
	return ns->md_size;
}

uint64_t
pnvme_ns_get_num_sectors(const struct pnvme_ns *ns)
{
	return ns->data.nsze;
}

uint64_t
pnvme_ns_get_size(const struct pnvme_ns *ns)
{
	return ns->data.nsze * ns->sector_size;
}

uint32_t
pnvme_ns_get_optimal_io_boundary(const struct pnvme_ns *ns)
{
	return ns->optimal_io_boundary;
}

const uint8_t *
pnvme_ns_get_uuid(const struct pnvme_ns *ns)
{
	return ns->has_uuid ? ns->uuid : NULL;
}

const uint8_t *
pnvme_ns_get_nguid(const struct pnvme_ns *ns)
{
	return ns->has_nguid ? ns->nguid : NULL;
}

const uint8_t *
pnvme_ns_get_eui64(const struct pnvme_ns *ns)
{
	return ns->has_eui64 ? ns->eui64 : NULL;
}

uint8_t
pnvme_ns_get_csi(const struct pnvme_ns *ns)
{
	return ns->csi;
}

struct pnvme_ctrlr *
pnvme_ns_get_ctrlr(const struct pnvme_ns *ns)
{
	return ns->ctrlr;
}

enum pnvme_pi_type
pnvme_ns_get_pi_type(const struct pnvme_ns *ns)
{
	return (enum pnvme_pi_type)ns->pi_type;
}

bool
pnvme_ns_supports_extended_lba(const struct pnvme_ns *ns)
{
	return ns->md_size != 0 && (ns->data.flbas & PNVME_FLBAS_EXTENDED_METADATA) != 0;
}

bool
pnvme_ns_pi_is_first(const struct pnvme_ns *ns)
{
	return ns->pi_first;
}

bool
pnvme_ns_is_active(const struct pnvme_ns *ns)
{
	return !ns->removed;
}
