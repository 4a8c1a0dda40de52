/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Host-side end-to-end protection information (16-bit guard format): the
 * 8 bytes in each block's metadata that the controller checks, generated
 * and checked here the way the controller does, for data the host writes
 * without PRACT or reads back to check itself.
 *
 *   guard    big-endian CRC-16 T10-DIF of the block's data and of any
 *            metadata bytes before the protection information
 *   app tag  big-endian, the caller's
 *   ref tag  big-endian, the LBA's low 32 bits (counting up per block)
 */
#include <errno.h>
#include <string.h>

#include <isa-l/crc.h>

#include "nvme/nvme_internal.h"

#define PI_SIZE 8u
#define APPTAG_ESCAPE 0xffffu
#define REFTAG_ESCAPE 0xffffffffu

struct pi {
	uint16_t guard;
	uint16_t apptag;
	uint32_t reftag;
};

/* Where block @p i's data and metadata are, and the bytes the guard covers. */
struct block_view {
	const uint8_t *data;
	const uint8_t *md;
	uint32_t pi_offset; /* within the metadata */
};

static int
check_args(const struct pnvme_ns *ns, const void *buf, const void *md_buf, const char *what)
{
	if (ns == NULL || buf == NULL) {
		PNVME_ERRLOG("%s: NULL namespace or buffer", what);
		return -EINVAL;
	}
	if (ns->pi_type == PNVME_PI_NONE) {
		PNVME_ERRLOG("%s: namespace %u has no protection information", what, ns->id);
		return -EINVAL;
	}
	if (pnvme_ns_supports_extended_lba(ns) != (md_buf == NULL)) {
		PNVME_ERRLOG("%s: namespace %u keeps metadata %s: %s", what, ns->id,
			     pnvme_ns_supports_extended_lba(ns) ? "within the data" : "apart",
			     md_buf == NULL ? "a metadata buffer is needed" : "no metadata buffer");
		return -EINVAL;
	}
	return 0;
}

static struct block_view
block_at(const struct pnvme_ns *ns, const void *buf, const void *md_buf, uint32_t i)
{
	struct block_view v;

	if (md_buf == NULL) {
		v.data = (const uint8_t *)buf + (size_t)i * ns->extended_lba_size;
		v.md = v.data + ns->sector_size;
	} else {
		v.data = (const uint8_t *)buf + (size_t)i * ns->sector_size;
		v.md = (const uint8_t *)md_buf + (size_t)i * ns->md_size;
	}
	v.pi_offset = ns->pi_first ? 0 : ns->md_size - PI_SIZE;
	return v;
}

static uint16_t
block_guard(const struct pnvme_ns *ns, const struct block_view *v)
{
	uint16_t crc = crc16_t10dif(0, (unsigned char *)v->data, ns->sector_size);

	return v->pi_offset == 0 ? crc : crc16_t10dif(crc, (unsigned char *)v->md, v->pi_offset);
}

static struct pi
pi_read(const uint8_t *p)
{
	struct pi pi;

	pi.guard = (uint16_t)(p[0] << 8 | p[1]);
	pi.apptag = (uint16_t)(p[2] << 8 | p[3]);
	pi.reftag = (uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 | (uint32_t)p[6] << 8 | p[7];
	return pi;
}

static void
pi_write(uint8_t *p, const struct pi *pi)
{
	p[0] = (uint8_t)(pi->guard >> 8);
	p[1] = (uint8_t)pi->guard;
	p[2] = (uint8_t)(pi->apptag >> 8);
	p[3] = (uint8_t)pi->apptag;
	p[4] = (uint8_t)(pi->reftag >> 24);
	p[5] = (uint8_t)(pi->reftag >> 16);
	p[6] = (uint8_t)(pi->reftag >> 8);
	p[7] = (uint8_t)pi->reftag;
}

int
pnvme_ns_dif_generate(const struct pnvme_ns *ns, void *buf, void *md_buf, uint64_t lba,
		      uint32_t lba_count, uint16_t apptag)
{
	struct block_view v;
	struct pi pi;
	uint32_t i;
	int rc = check_args(ns, buf, md_buf, "dif_generate");

	if (rc != 0) {
		return rc;
	}
	for (i = 0; i < lba_count; i++) {
		v = block_at(ns, buf, md_buf, i);
		pi.guard = block_guard(ns, &v);
		pi.apptag = apptag;
		pi.reftag = (uint32_t)(lba + i);
		pi_write((uint8_t *)v.md + v.pi_offset, &pi);
	}
	return 0;
}

int
pnvme_ns_dif_verify(const struct pnvme_ns *ns, const void *buf, const void *md_buf, uint64_t lba,
		    uint32_t lba_count, uint32_t prchk_flags, uint16_t apptag_mask, uint16_t apptag,
		    uint64_t *err_lba)
{
	const char *field = NULL;
	struct block_view v;
	struct pi pi;
	uint32_t i;
	int rc = check_args(ns, buf, md_buf, "dif_verify");

	if (rc != 0) {
		return rc;
	}
	for (i = 0; i < lba_count && field == NULL; i++) {
		v = block_at(ns, buf, md_buf, i);
		pi = pi_read(v.md + v.pi_offset);
		/* The escape values switch checking off for the block. */
		if (pi.apptag == APPTAG_ESCAPE &&
		    (ns->pi_type != PNVME_PI_TYPE3 || pi.reftag == REFTAG_ESCAPE)) {
			continue;
		}
		if ((prchk_flags & PNVME_IO_FLAGS_PRCHK_GUARD) && pi.guard != block_guard(ns, &v)) {
			field = "guard";
		} else if ((prchk_flags & PNVME_IO_FLAGS_PRCHK_APPTAG) &&
			   ((pi.apptag ^ apptag) & apptag_mask) != 0) {
			field = "application tag";
		} else if ((prchk_flags & PNVME_IO_FLAGS_PRCHK_REFTAG) &&
			   ns->pi_type != PNVME_PI_TYPE3 && pi.reftag != (uint32_t)(lba + i)) {
			field = "reference tag";
		}
	}
	if (field == NULL) {
		return 0;
	}
	if (err_lba != NULL) {
		*err_lba = lba + i - 1;
	}
	PNVME_ERRLOG("dif_verify: namespace %u, block %llu: the %s does not match", ns->id,
		     (unsigned long long)(lba + i - 1), field);
	return -EILSEQ;
}
