/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The PCIe hotplug monitor's parts that tests reach (pcie_hotplug.c).
 */
#ifndef PNVME_PCIE_HOTPLUG_H
#define PNVME_PCIE_HOTPLUG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pnvme/env.h"
#include "pnvme/nvme.h"

enum nvme_uevent_action {
	NVME_UEVENT_OTHER,
	NVME_UEVENT_ADD,
	NVME_UEVENT_REMOVE,
	NVME_UEVENT_BIND,
	NVME_UEVENT_UNBIND,
};

/* What the monitor needs from one kernel uevent of a PCI device. */
struct nvme_uevent {
	enum nvme_uevent_action action;
	struct pnvme_pci_addr addr; /* PCI_SLOT_NAME */
	char driver[32];            /* DRIVER, "" when absent or too long */
	bool has_class;
	uint32_t pci_class; /* PCI_CLASS (24 bits) */
};

/*
 * Parse one kernel uevent ("ACTION@DEVPATH" then "KEY=VALUE" fields, each
 * NUL-terminated, @p len bytes in all). The bytes are untrusted: nothing is
 * read past @p len and every field must end with its NUL. 0 with @p ev
 * filled for an event of the PCI subsystem with a valid PCI_SLOT_NAME;
 * -EINVAL for anything else (other subsystems, udev's own messages,
 * truncated or malformed ones).
 */
int nvme_uevent_parse(const void *buf, size_t len, struct nvme_uevent *ev);

/* The application's callbacks for one pnvme_hotplug_poll() call. */
struct nvme_hotplug_cbs {
	void *cb_ctx;
	pnvme_probe_cb probe_cb;
	pnvme_attach_cb attach_cb;
	pnvme_remove_cb remove_cb;
};

/*
 * Act on one uevent: an NVMe controller bound to uio_pci_generic or
 * vfio-pci is probed; the removal (or unbind) of an attached controller's
 * device marks it REMOVED. Anything else is ignored. Returns 1 when the
 * event was acted on, 0 when ignored.
 */
int nvme_hotplug_handle_uevent(const void *buf, size_t len, const struct nvme_hotplug_cbs *cbs);

#endif /* PNVME_PCIE_HOTPLUG_H */
