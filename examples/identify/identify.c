/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pnvme_identify: print what NVMe controllers and their namespaces report
 * about themselves, for a person or (--json) for a script. Every value is
 * read from the device.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uuid/uuid.h>

#include "fabrics_opts.h"
#include "json_writer.h"
#include "pnvme/nvme.h"
#include "printable.h"

#define MAX_CTRLRS 64
#define MAX_TRIDS 16

struct identify_app {
	bool json;
	struct pnvme_ctrlr *ctrlrs[MAX_CTRLRS];
	int num_ctrlrs;
};

static void
usage(const char *prog)
{
	printf("Usage: %s [-r TRID]... [--json] [--discover] [-v] [-h]\n"
	       "Print controller and namespace data of NVMe controllers.\n\n"
	       "  -r, --trid TRID   controller to identify, e.g. 'trtype:PCIe traddr:0000:00:04.0'\n"
	       "                    or 'trtype:TCP traddr:192.0.2.1 trsvcid:4420 subnqn:NQN'\n"
	       "                    (default: every controller bound to vfio-pci/uio_pci_generic);\n"
	       "                    a discovery service (no subnqn, or the discovery NQN) stands\n"
	       "                    for every NVM subsystem it lists\n"
	       "  -d, --discover    print the discovery log of each -r instead\n"
	       "  -j, --json        machine-readable output\n"
	       "  -v, --verbose     more log output\n"
	       "  -h, --help        this text\n" FABRICS_USAGE,
	       prog);
}

static void
attach_cb(void *cb_ctx, const struct pnvme_transport_id *trid, struct pnvme_ctrlr *ctrlr,
	  const struct pnvme_ctrlr_opts *opts)
{
	struct identify_app *app = cb_ctx;

	char traddr[4 * PNVME_TRADDR_MAX_LEN + 1];

	(void)trid;
	(void)opts;
	if (app->num_ctrlrs < MAX_CTRLRS) {
		app->ctrlrs[app->num_ctrlrs++] = ctrlr;
	} else {
		/* A discovery log can name the address: print it escaped. */
		printable_copy(traddr, sizeof(traddr), pnvme_ctrlr_get_transport_id(ctrlr)->traddr,
			       PNVME_TRADDR_MAX_LEN);
		fprintf(stderr, "identify: more than %d controllers; %s not shown\n", MAX_CTRLRS,
			traddr);
		pnvme_detach(ctrlr);
	}
}

static void
hex_string(char *dst, const uint8_t *src, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		sprintf(dst + 2 * i, "%02x", src[i]);
	}
	dst[2 * len] = '\0';
}

/* 128-bit little-endian capacity fields, printed when they fit 64 bits. */
static uint64_t
u128_low(const uint8_t *v, bool *overflow)
{
	uint64_t lo, hi;

	memcpy(&lo, v, 8);
	memcpy(&hi, v + 8, 8);
	*overflow = hi != 0;
	return lo;
}

static void
version_string(char *buf, size_t size, uint32_t ver)
{
	union pnvme_vs_register vs = {.raw = ver};

	if (ver == 0) {
		snprintf(buf, size, "(not reported)");
	} else {
		snprintf(buf, size, "%u.%u.%u", vs.bits.mjr, vs.bits.mnr, vs.bits.ter);
	}
}

struct bit_name {
	uint32_t bit;
	const char *name;
};

static const struct bit_name g_oacs_names[] = {
	{PNVME_OACS_SECURITY, "security"},
	{PNVME_OACS_FORMAT, "format"},
	{PNVME_OACS_FIRMWARE, "firmware"},
	{PNVME_OACS_NS_MANAGE, "ns-management"},
	{PNVME_OACS_SELF_TEST, "self-test"},
	{PNVME_OACS_DIRECTIVES, "directives"},
	{PNVME_OACS_NVME_MI, "nvme-mi"},
	{PNVME_OACS_VIRT_MGMT, "virtualization"},
	{PNVME_OACS_DOORBELL_BUFFER_CONFIG, "doorbell-buffer-config"},
	{PNVME_OACS_GET_LBA_STATUS, "get-lba-status"},
	{0, NULL},
};

static const struct bit_name g_oncs_names[] = {
	{PNVME_ONCS_COMPARE, "compare"},
	{PNVME_ONCS_WRITE_UNCORRECTABLE, "write-uncorrectable"},
	{PNVME_ONCS_DSM, "dataset-management"},
	{PNVME_ONCS_WRITE_ZEROES, "write-zeroes"},
	{PNVME_ONCS_SAVE_SELECT_FEATURES, "save-select-features"},
	{PNVME_ONCS_RESERVATIONS, "reservations"},
	{PNVME_ONCS_TIMESTAMP, "timestamp"},
	{PNVME_ONCS_VERIFY, "verify"},
	{PNVME_ONCS_COPY, "copy"},
	{0, NULL},
};

static void
bits_string(char *buf, size_t size, uint32_t value, const struct bit_name *names)
{
	size_t used = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; names[i].name != NULL; i++) {
		if (value & names[i].bit) {
			used += (size_t)snprintf(buf + used, size - used, "%s%s", used ? " " : "",
						 names[i].name);
			if (used >= size) {
				break;
			}
		}
	}
	if (buf[0] == '\0') {
		snprintf(buf, size, "none");
	}
}

static void
json_bits(struct json_writer *w, const char *key, uint32_t value, const struct bit_name *names)
{
	int i;

	json_begin_array(w, key);
	for (i = 0; names[i].name != NULL; i++) {
		if (value & names[i].bit) {
			json_string(w, NULL, names[i].name);
		}
	}
	json_end_array(w);
}

/* Everything printed about a controller, gathered once for both formats. */
struct ctrlr_view {
	/* Device-reported text, escaped (each byte may take 4 characters). */
	char trid[2048];
	char traddr[4 * PNVME_TRADDR_MAX_LEN + 1];
	bool has_pci;
	struct pnvme_pci_id pci;
	char sn[81], mn[161], fr[33], subnqn[1025];
	char version[32], cdata_version[32];
	char oacs[256], oncs[256];
	const struct pnvme_ctrlr_data *cdata;
	union pnvme_cap_register cap;
	uint32_t max_xfer;
	uint32_t num_io_queues;
	uint64_t flags;
	uint64_t tnvmcap;
	bool tnvmcap_overflow;
};

static void
ctrlr_view_fill(struct ctrlr_view *v, struct pnvme_ctrlr *ctrlr)
{
	const struct pnvme_ctrlr_data *cd = pnvme_ctrlr_get_data(ctrlr);
	const struct pnvme_transport_id *trid = pnvme_ctrlr_get_transport_id(ctrlr);
	char raw[512];

	memset(v, 0, sizeof(*v));
	v->cdata = cd;
	/* A transport ID from a discovery log carries the service's strings. */
	pnvme_transport_id_fmt(raw, sizeof(raw), trid);
	printable_copy(v->trid, sizeof(v->trid), raw, sizeof(raw));
	printable_copy(v->traddr, sizeof(v->traddr), trid->traddr, sizeof(trid->traddr));
	v->has_pci = pnvme_ctrlr_get_pci_id(ctrlr, &v->pci) == 0;
	printable_fixed(v->sn, sizeof(v->sn), cd->sn, sizeof(cd->sn));
	printable_fixed(v->mn, sizeof(v->mn), cd->mn, sizeof(cd->mn));
	printable_fixed(v->fr, sizeof(v->fr), cd->fr, sizeof(cd->fr));
	printable_fixed(v->subnqn, sizeof(v->subnqn), cd->subnqn, sizeof(cd->subnqn));
	version_string(v->version, sizeof(v->version), pnvme_ctrlr_get_regs_vs(ctrlr).raw);
	version_string(v->cdata_version, sizeof(v->cdata_version), cd->ver);
	bits_string(v->oacs, sizeof(v->oacs), cd->oacs, g_oacs_names);
	bits_string(v->oncs, sizeof(v->oncs), cd->oncs, g_oncs_names);
	v->cap = pnvme_ctrlr_get_regs_cap(ctrlr);
	v->max_xfer = pnvme_ctrlr_get_max_xfer_size(ctrlr);
	v->num_io_queues = pnvme_ctrlr_get_num_io_queues(ctrlr);
	v->flags = pnvme_ctrlr_get_flags(ctrlr);
	v->tnvmcap = u128_low(cd->tnvmcap, &v->tnvmcap_overflow);
}

struct ns_view {
	uint32_t nsid;
	const struct pnvme_ns_data *nsdata;
	uint32_t sector_size, md_size;
	uint8_t flbas_index;
	char nguid[33], eui64[17], uuid[37];
	bool has_nguid, has_eui64, has_uuid;
};

static void
ns_view_fill(struct ns_view *v, const struct pnvme_ns *ns)
{
	const uint8_t *id;

	memset(v, 0, sizeof(*v));
	v->nsid = pnvme_ns_get_id(ns);
	v->nsdata = pnvme_ns_get_data(ns);
	v->sector_size = pnvme_ns_get_sector_size(ns);
	v->md_size = pnvme_ns_get_md_size(ns);
	v->flbas_index = pnvme_ns_data_flbas_index(v->nsdata);
	if ((id = pnvme_ns_get_nguid(ns)) != NULL) {
		hex_string(v->nguid, id, 16);
		v->has_nguid = true;
	}
	if ((id = pnvme_ns_get_eui64(ns)) != NULL) {
		hex_string(v->eui64, id, 8);
		v->has_eui64 = true;
	}
	if ((id = pnvme_ns_get_uuid(ns)) != NULL) {
		uuid_unparse_lower(id, v->uuid);
		v->has_uuid = true;
	}
}

static void
print_size(const char *label, uint64_t blocks, uint32_t block_size)
{
	double bytes = (double)blocks * block_size;
	const char *unit = "B";

	if (bytes >= 1ull << 40) {
		bytes /= (double)(1ull << 40), unit = "TiB";
	} else if (bytes >= 1ull << 30) {
		bytes /= (double)(1ull << 30), unit = "GiB";
	} else if (bytes >= 1ull << 20) {
		bytes /= (double)(1ull << 20), unit = "MiB";
	} else if (bytes >= 1ull << 10) {
		bytes /= (double)(1ull << 10), unit = "KiB";
	}
	printf("  %-30s %" PRIu64 " blocks (%.2f %s)\n", label, blocks, bytes, unit);
}

static void
print_ns_text(const struct pnvme_ns *ns)
{
	struct ns_view v;
	uint32_t i;

	ns_view_fill(&v, ns);
	printf("\nNamespace %u\n", v.nsid);
	print_size("Size:", v.nsdata->nsze, v.sector_size);
	print_size("Capacity:", v.nsdata->ncap, v.sector_size);
	print_size("Utilization:", v.nsdata->nuse, v.sector_size);
	printf("  %-30s %u bytes\n", "Sector size:", v.sector_size);
	printf("  %-30s %u bytes%s\n", "Metadata size:", v.md_size,
	       (v.nsdata->flbas & PNVME_FLBAS_EXTENDED_METADATA) ? " (extended LBA)" : "");
	if (pnvme_ns_get_pi_type(ns) != PNVME_PI_NONE) {
		printf("  %-30s type %d, in the %s 8 bytes of metadata\n", "Protection information:",
		       (int)pnvme_ns_get_pi_type(ns), pnvme_ns_pi_is_first(ns) ? "first" : "last");
	} else {
		printf("  %-30s none\n", "Protection information:");
	}
	printf("  %-30s %u blocks\n", "Optimal I/O boundary:", pnvme_ns_get_optimal_io_boundary(ns));
	printf("  %-30s %u\n", "Command set (CSI):", pnvme_ns_get_csi(ns));
	printf("  %-30s %s\n", "NGUID:", v.has_nguid ? v.nguid : "(none)");
	printf("  %-30s %s\n", "EUI64:", v.has_eui64 ? v.eui64 : "(none)");
	printf("  %-30s %s\n", "UUID:", v.has_uuid ? v.uuid : "(none)");
	printf("  LBA formats (%u):\n", v.nsdata->nlbaf + 1u);
	for (i = 0; i <= v.nsdata->nlbaf && i < 64; i++) {
		const struct pnvme_lbaf *f = &v.nsdata->lbaf[i];
		char data[16];

		/* Only the format in use was validated: the others may hold
		 * any LBADS, so shift only what fits. */
		if (f->lbads < 32) {
			snprintf(data, sizeof(data), "%6u", 1u << f->lbads);
		} else {
			snprintf(data, sizeof(data), "2^%u", f->lbads);
		}
		printf("    LBA format #%02u: data %s  metadata %3u  relative performance %u%s\n", i,
		       data, f->ms, f->rp, i == v.flbas_index ? "  (in use)" : "");
	}
}

static void
print_ctrlr_text(struct pnvme_ctrlr *ctrlr)
{
	struct ctrlr_view v;
	const struct pnvme_ctrlr_data *cd;
	uint32_t nsid, num_active = 0;

	ctrlr_view_fill(&v, ctrlr);
	cd = v.cdata;
	printf("=====================================================\n");
	printf("NVMe controller at %s\n", v.trid);
	printf("=====================================================\n");
	if (v.has_pci) {
		printf("  %-30s %04x:%04x (subsystem %04x:%04x)\n", "PCI vendor:device:", v.pci.vendor_id,
		       v.pci.device_id, v.pci.subvendor_id, v.pci.subdevice_id);
	}
	printf("  %-30s 0x%04x\n", "Vendor ID (VID):", cd->vid);
	printf("  %-30s 0x%04x\n", "Subsystem vendor ID (SSVID):", cd->ssvid);
	printf("  %-30s %s\n", "Serial number:", v.sn);
	printf("  %-30s %s\n", "Model number:", v.mn);
	printf("  %-30s %s\n", "Firmware revision:", v.fr);
	printf("  %-30s %02x%02x%02x\n", "IEEE OUI:", cd->ieee[2], cd->ieee[1], cd->ieee[0]);
	printf("  %-30s %s (Identify: %s)\n", "NVMe version:", v.version, v.cdata_version);
	printf("  %-30s %u\n", "Controller ID (CNTLID):", cd->cntlid);
	if (cd->mdts == 0) {
		printf("  %-30s unlimited\n", "MDTS:");
	} else {
		/* Up to 2^27 << 255: past 64 bits from a shift of 37 on. */
		if (12u + v.cap.bits.mpsmin + cd->mdts < 64) {
			printf("  %-30s %u (%" PRIu64 " bytes with the minimum page size)\n", "MDTS:",
			       cd->mdts, (uint64_t)1 << (12 + v.cap.bits.mpsmin + cd->mdts));
		} else {
			printf("  %-30s %u (beyond 2^64 bytes)\n", "MDTS:", cd->mdts);
		}
	}
	printf("  %-30s %u bytes\n", "Max transfer size (driver):", v.max_xfer);
	printf("  %-30s 0x%04x (%s)\n", "OACS:", cd->oacs, v.oacs);
	printf("  %-30s 0x%04x (%s)\n", "ONCS:", cd->oncs, v.oncs);
	printf("  %-30s 0x%04x (compare-and-write %s)\n", "FUSES:", cd->fuses,
	       (cd->fuses & PNVME_FUSES_COMPARE_AND_WRITE) ? "supported" : "not supported");
	printf("  %-30s 0x%08x (%s)\n", "SGLS:", cd->sgls,
	       (cd->sgls & PNVME_SGLS_SUPPORTED_MASK) ? "SGLs supported" : "no SGLs");
	printf("  %-30s %s\n", "Volatile write cache:", (cd->vwc & 1) ? "present" : "absent");
	printf("  %-30s %u\n", "Number of namespaces (NN):", cd->nn);
	printf("  %-30s %u\n", "Async event request limit:", cd->aerl + 1u);
	printf("  %-30s %u\n", "Abort command limit:", cd->acl + 1u);
	printf("  %-30s %u / %u bytes\n", "SQ / CQ entry size:", 1u << (cd->sqes & 0xf),
	       1u << (cd->cqes & 0xf));
	printf("  %-30s %u us / %u us\n", "RTD3 resume / entry latency:", cd->rtd3r, cd->rtd3e);
	if (!v.tnvmcap_overflow) {
		printf("  %-30s %" PRIu64 " bytes\n", "Total NVM capacity:", v.tnvmcap);
	}
	printf("  %-30s %s\n", "Subsystem NQN:", v.subnqn[0] ? v.subnqn : "(none)");
	printf("  Capabilities (CAP)\n");
	printf("    %-28s %u\n", "Max queue entries:", v.cap.bits.mqes + 1u);
	printf("    %-28s %s\n", "Contiguous queues required:", v.cap.bits.cqr ? "yes" : "no");
	printf("    %-28s %u ms\n", "Ready timeout:", v.cap.bits.to * 500u);
	printf("    %-28s %u bytes\n", "Doorbell stride:", 4u << v.cap.bits.dstrd);
	printf("    %-28s %u - %u bytes\n", "Memory page size:", 1u << (12 + v.cap.bits.mpsmin),
	       1u << (12 + v.cap.bits.mpsmax));
	printf("    %-28s 0x%02x\n", "Command sets (CSS):", v.cap.bits.css);
	printf("    %-28s %s\n", "NVM subsystem reset:", v.cap.bits.nssrs ? "supported" : "no");
	printf("  %-30s %u\n", "I/O queue pairs granted:", v.num_io_queues);
	printf("  %-30s %s\n", "Shadow doorbells:",
	       (v.flags & PNVME_CTRLR_SHADOW_DOORBELL) ? "offered" : "not offered");
	for (nsid = pnvme_ctrlr_get_first_active_ns(ctrlr); nsid != 0;
	     nsid = pnvme_ctrlr_get_next_active_ns(ctrlr, nsid)) {
		num_active++;
	}
	printf("  %-30s %u\n", "Active namespaces:", num_active);
	for (nsid = pnvme_ctrlr_get_first_active_ns(ctrlr); nsid != 0;
	     nsid = pnvme_ctrlr_get_next_active_ns(ctrlr, nsid)) {
		print_ns_text(pnvme_ctrlr_get_ns(ctrlr, nsid));
	}
	printf("\n");
}

static void
json_ns(struct json_writer *w, const struct pnvme_ns *ns)
{
	struct ns_view v;
	uint32_t i;

	ns_view_fill(&v, ns);
	json_begin_object(w, NULL);
	json_uint(w, "nsid", v.nsid);
	json_uint(w, "size_blocks", v.nsdata->nsze);
	json_uint(w, "capacity_blocks", v.nsdata->ncap);
	json_uint(w, "utilization_blocks", v.nsdata->nuse);
	json_uint(w, "size_bytes", pnvme_ns_get_size(ns));
	json_uint(w, "sector_size", v.sector_size);
	json_uint(w, "metadata_size", v.md_size);
	json_bool(w, "extended_lba", (v.nsdata->flbas & PNVME_FLBAS_EXTENDED_METADATA) != 0);
	json_uint(w, "pi_type", (uint64_t)pnvme_ns_get_pi_type(ns));
	json_bool(w, "pi_first", pnvme_ns_pi_is_first(ns));
	json_uint(w, "optimal_io_boundary", pnvme_ns_get_optimal_io_boundary(ns));
	json_uint(w, "csi", pnvme_ns_get_csi(ns));
	v.has_nguid ? json_string(w, "nguid", v.nguid) : json_null(w, "nguid");
	v.has_eui64 ? json_string(w, "eui64", v.eui64) : json_null(w, "eui64");
	v.has_uuid ? json_string(w, "uuid", v.uuid) : json_null(w, "uuid");
	json_uint(w, "lba_format_in_use", v.flbas_index);
	json_begin_array(w, "lba_formats");
	for (i = 0; i <= v.nsdata->nlbaf && i < 64; i++) {
		json_begin_object(w, NULL);
		json_uint(w, "index", i);
		json_uint(w, "lbads", v.nsdata->lbaf[i].lbads);
		if (v.nsdata->lbaf[i].lbads < 32) {
			json_uint(w, "data_size", 1u << v.nsdata->lbaf[i].lbads);
		} else {
			json_null(w, "data_size");
		}
		json_uint(w, "metadata_size", v.nsdata->lbaf[i].ms);
		json_uint(w, "relative_performance", v.nsdata->lbaf[i].rp);
		json_end_object(w);
	}
	json_end_array(w);
	json_end_object(w);
}

static void
json_ctrlr(struct json_writer *w, struct pnvme_ctrlr *ctrlr)
{
	struct ctrlr_view v;
	const struct pnvme_ctrlr_data *cd;
	uint32_t nsid;

	ctrlr_view_fill(&v, ctrlr);
	cd = v.cdata;
	json_begin_object(w, NULL);
	json_string(w, "trid", v.trid);
	json_string(w, "traddr", v.traddr);
	if (v.has_pci) {
		json_begin_object(w, "pci");
		json_uint(w, "vendor_id", v.pci.vendor_id);
		json_uint(w, "device_id", v.pci.device_id);
		json_uint(w, "subvendor_id", v.pci.subvendor_id);
		json_uint(w, "subdevice_id", v.pci.subdevice_id);
		json_end_object(w);
	}
	json_uint(w, "vid", cd->vid);
	json_uint(w, "ssvid", cd->ssvid);
	json_string(w, "serial_number", v.sn);
	json_string(w, "model_number", v.mn);
	json_string(w, "firmware_revision", v.fr);
	json_string(w, "version", v.version);
	json_uint(w, "cntlid", cd->cntlid);
	json_uint(w, "mdts", cd->mdts);
	json_uint(w, "max_xfer_size", v.max_xfer);
	json_uint(w, "oacs", cd->oacs);
	json_bits(w, "oacs_names", cd->oacs, g_oacs_names);
	json_uint(w, "oncs", cd->oncs);
	json_bits(w, "oncs_names", cd->oncs, g_oncs_names);
	json_uint(w, "fuses", cd->fuses);
	json_bool(w, "fused_compare_write", (v.flags & PNVME_CTRLR_FUSED_COMPARE_WRITE) != 0);
	json_uint(w, "sgls", cd->sgls);
	json_bool(w, "volatile_write_cache", (cd->vwc & 1) != 0);
	json_uint(w, "nn", cd->nn);
	json_uint(w, "aerl", cd->aerl);
	json_uint(w, "rtd3r", cd->rtd3r);
	json_uint(w, "rtd3e", cd->rtd3e);
	json_string(w, "subnqn", v.subnqn);
	json_begin_object(w, "cap");
	json_uint(w, "mqes", v.cap.bits.mqes);
	json_bool(w, "cqr", v.cap.bits.cqr);
	json_uint(w, "timeout_ms", v.cap.bits.to * 500u);
	json_uint(w, "dstrd", v.cap.bits.dstrd);
	json_uint(w, "mpsmin_bytes", 1u << (12 + v.cap.bits.mpsmin));
	json_uint(w, "mpsmax_bytes", 1u << (12 + v.cap.bits.mpsmax));
	json_uint(w, "css", v.cap.bits.css);
	json_end_object(w);
	json_uint(w, "io_queues_granted", v.num_io_queues);
	json_bool(w, "shadow_doorbells", (v.flags & PNVME_CTRLR_SHADOW_DOORBELL) != 0);
	json_begin_array(w, "namespaces");
	for (nsid = pnvme_ctrlr_get_first_active_ns(ctrlr); nsid != 0;
	     nsid = pnvme_ctrlr_get_next_active_ns(ctrlr, nsid)) {
		json_ns(w, pnvme_ctrlr_get_ns(ctrlr, nsid));
	}
	json_end_array(w);
	json_end_object(w);
}

static const char *
subtype_name(uint8_t subtype)
{
	switch (subtype) {
	case PNVME_DISC_SUBTYPE_REFERRAL:
		return "discovery referral";
	case PNVME_DISC_SUBTYPE_NVM:
		return "NVM subsystem";
	case PNVME_DISC_SUBTYPE_CURRENT:
		return "this discovery service";
	default:
		return "unknown";
	}
}

struct discovery_print {
	struct json_writer *w;
	uint32_t count;
};

static void
discovery_entry_cb(void *cb_ctx, const struct pnvme_discovery_log_entry *e,
		   const struct pnvme_transport_id *trid)
{
	struct discovery_print *p = cb_ctx;
	char raw[PNVME_TRADDR_MAX_LEN + PNVME_NQN_MAX_LEN + 96];
	char trid_str[4 * sizeof(raw)] = "(not usable by pnvme)";

	if (trid != NULL) {
		/* The entry's strings come from the discovery service: escaped. */
		pnvme_transport_id_fmt(raw, sizeof(raw), trid);
		printable_copy(trid_str, sizeof(trid_str), raw, sizeof(raw));
	}
	if (p->w != NULL) {
		json_begin_object(p->w, NULL);
		json_uint(p->w, "trtype", e->trtype);
		json_uint(p->w, "adrfam", e->adrfam);
		json_uint(p->w, "subtype", e->subtype);
		json_uint(p->w, "treq", e->treq);
		json_uint(p->w, "portid", e->portid);
		json_uint(p->w, "cntlid", e->cntlid);
		json_string(p->w, "trid", trid != NULL ? trid_str : "");
		json_end_object(p->w);
	} else {
		printf("Entry %u: %s (subtype %u), port %u, treq 0x%x\n  %s\n", p->count,
		       subtype_name(e->subtype), e->subtype, e->portid, e->treq, trid_str);
	}
	p->count++;
}

/* pnvme_identify --discover: each -r's discovery log. */
static int
print_discovery(const struct pnvme_transport_id *trids, int num_trids, bool json)
{
	struct pnvme_ctrlr_opts opts;
	struct json_writer w;
	struct discovery_print p;
	uint64_t genctr = 0;
	int i, rc, failures = 0;

	if (num_trids == 0) {
		fprintf(stderr, "identify: --discover needs -r with a discovery service\n");
		return 2;
	}
	pnvme_ctrlr_get_default_opts(&opts, sizeof(opts));
	fabrics_opts_apply(&opts);
	if (json) {
		json_init(&w, stdout);
		json_begin_object(&w, NULL);
		json_begin_array(&w, "discovery");
	}
	for (i = 0; i < num_trids; i++) {
		memset(&p, 0, sizeof(p));
		if (json) {
			json_begin_object(&w, NULL);
			json_string(&w, "service", trids[i].traddr);
			json_begin_array(&w, "entries");
			p.w = &w;
		} else {
			printf("Discovery log of %s:%s\n", trids[i].traddr, trids[i].trsvcid);
		}
		rc = pnvme_discover(&trids[i], &opts, sizeof(opts), &p, discovery_entry_cb, &genctr);
		if (json) {
			json_end_array(&w);
			json_uint(&w, "genctr", genctr);
			json_end_object(&w);
		} else if (rc == 0) {
			printf("%u entries, generation %llu\n", p.count, (unsigned long long)genctr);
		}
		if (rc != 0) {
			fprintf(stderr, "identify: %s: discovery failed: %s\n", trids[i].traddr,
				strerror(-rc));
			failures++;
		}
	}
	if (json) {
		json_end_array(&w);
		json_end_object(&w);
	}
	return failures ? 1 : 0;
}

int
main(int argc, char **argv)
{
	static const struct option long_opts[] = {
		{"trid", required_argument, NULL, 'r'},
		{"json", no_argument, NULL, 'j'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{"discover", no_argument, NULL, 'd'},
		FABRICS_LONG_OPTIONS,
		{NULL, 0, NULL, 0},
	};
	struct pnvme_transport_id trids[MAX_TRIDS];
	struct identify_app app = {0};
	struct pnvme_env_opts env_opts;
	struct json_writer w;
	int num_trids = 0, failures = 0;
	bool verbose = false, discover = false;
	int c, i, rc;

	while ((c = getopt_long(argc, argv, "r:jvhd", long_opts, NULL)) != -1) {
		if (fabrics_opts_parse(c)) {
			continue;
		}
		switch (c) {
		case 'r':
			if (num_trids == MAX_TRIDS) {
				fprintf(stderr, "identify: at most %d -r options\n", MAX_TRIDS);
				return 2;
			}
			if (pnvme_transport_id_parse(&trids[num_trids], optarg) != 0) {
				fprintf(stderr, "identify: invalid transport ID '%s'\n", optarg);
				return 2;
			}
			num_trids++;
			break;
		case 'j':
			app.json = true;
			break;
		case 'v':
			verbose = true;
			break;
		case 'd':
			discover = true;
			break;
		case 'h':
			usage(argv[0]);
			return 0;
		default:
			usage(argv[0]);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "identify: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (verbose) {
		pnvme_log_set_level(PNVME_LOG_DEBUG);
	}

	pnvme_env_opts_init(&env_opts, sizeof(env_opts));
	env_opts.name = "pnvme_identify";
	env_opts.verbose = verbose;
	rc = pnvme_env_init(&env_opts);
	if (rc != 0) {
		fprintf(stderr, "identify: cannot initialise the environment (%s)\n", strerror(-rc));
		return 1;
	}

	if (discover) {
		return print_discovery(trids, num_trids, app.json);
	}
	if (num_trids == 0) {
		rc = pnvme_probe(NULL, &app, NULL, attach_cb, NULL);
		failures += rc != 0;
	}
	for (i = 0; i < num_trids; i++) {
		rc = pnvme_probe(&trids[i], &app, fabrics_opts_probe_cb, attach_cb, NULL);
		if (rc != 0) {
			fprintf(stderr, "identify: %s: %s\n", trids[i].traddr, strerror(-rc));
			failures++;
		}
	}
	if (app.num_ctrlrs == 0 && failures == 0) {
		fprintf(stderr, "identify: no NVMe controller bound to vfio-pci or uio_pci_generic "
				"was found; run scripts/setup.sh\n");
		failures++;
	}

	if (app.json) {
		json_init(&w, stdout);
		json_begin_object(&w, NULL);
		json_begin_array(&w, "controllers");
		for (i = 0; i < app.num_ctrlrs; i++) {
			json_ctrlr(&w, app.ctrlrs[i]);
		}
		json_end_array(&w);
		json_end_object(&w);
	} else {
		for (i = 0; i < app.num_ctrlrs; i++) {
			print_ctrlr_text(app.ctrlrs[i]);
		}
	}
	for (i = 0; i < app.num_ctrlrs; i++) {
		if (pnvme_detach(app.ctrlrs[i]) != 0) {
			failures++;
		}
	}
	pnvme_env_fini();
	return failures ? 1 : 0;
}
