/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-device quirks, keyed by PCI IDs.
 */
#include "nvme/nvme_internal.h"

#define ANY_ID 0xffffu

struct quirk_entry {
	struct pnvme_pci_id id; /* subvendor/subdevice ANY_ID match any */
	uint64_t flags;
};

static const struct quirk_entry g_quirks[] = {
	/* QEMU's emulated controller: device memory accepts accesses of at
	 * most 8 bytes. */
	{{0x1b36, 0x0010, ANY_ID, ANY_ID, 0}, NVME_QUIRK_MMIO_MAX_8B},
	/* Controllers that report RDY before they are ready for commands. */
	{{0x144d, 0xa821, ANY_ID, ANY_ID, 0}, NVME_QUIRK_DELAY_BEFORE_CHK_RDY},
	{{0x144d, 0xa822, ANY_ID, ANY_ID, 0}, NVME_QUIRK_DELAY_BEFORE_CHK_RDY},
};

static bool
id_match(const struct pnvme_pci_id *pattern, const struct pnvme_pci_id *id)
{
	return pattern->vendor_id == id->vendor_id && pattern->device_id == id->device_id &&
	       (pattern->subvendor_id == ANY_ID || pattern->subvendor_id == id->subvendor_id) &&
	       (pattern->subdevice_id == ANY_ID || pattern->subdevice_id == id->subdevice_id);
}

uint64_t
nvme_quirks_lookup(const struct pnvme_pci_id *id)
{
	size_t i;

	for (i = 0; i < PNVME_ARRAY_SIZE(g_quirks); i++) {
		if (id_match(&g_quirks[i].id, id)) {
			return g_quirks[i].flags;
		}
	}
	return 0;
}
