/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * PCI access for NVMe controllers: enumeration through libpciaccess, the
 * bound driver from sysfs, and device ownership through UIO (sysfs resource
 * files) or VFIO (DPDK's VFIO container, so its DMA memory is mapped in the
 * IOMMU). DPDK's own PCI bus is not used.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/vfio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pciaccess.h>
#include <rte_vfio.h>

#include "pnvme/env.h"
#include "util/util.h"

#define SYSFS_PCI_DEVICES "/sys/bus/pci/devices"
#define PCI_COMMAND 0x04
#define PCI_COMMAND_MEMORY 0x0002
#define PCI_COMMAND_MASTER 0x0004
#define PCI_COMMAND_INTX_DISABLE 0x0400
#define PCI_MAX_BARS 6

struct pci_bar_map {
	void *addr;
	uint64_t size;
};

struct pnvme_pci_device {
	struct pnvme_pci_device_info info;
	char bdf[PNVME_PCI_ADDR_STRLEN];
	char sysfs[PATH_MAX];
	int cfg_fd;       /* UIO: sysfs config file; VFIO: the device fd */
	off_t cfg_offset; /* where configuration space starts in cfg_fd */
	bool vfio;
	/* VFIO: the kernel asks through this eventfd for the device back (it
	 * is being removed or unbound), -1 when it could not be set up; and
	 * whether it has asked. */
	int release_fd;
	bool release_asked;
	struct pci_bar_map bars[PCI_MAX_BARS];
};

static enum pnvme_pci_driver_kind
driver_kind(const char *driver)
{
	if (driver[0] == '\0') {
		return PNVME_PCI_DRIVER_NONE;
	}
	if (strcmp(driver, "vfio-pci") == 0) {
		return PNVME_PCI_DRIVER_VFIO;
	}
	if (strcmp(driver, "uio_pci_generic") == 0) {
		return PNVME_PCI_DRIVER_UIO;
	}
	return PNVME_PCI_DRIVER_KERNEL;
}

/* The driver's name is the last component of the sysfs "driver" link. */
static void
read_driver(const char *bdf, char *driver, size_t size)
{
	char path[PATH_MAX], target[PATH_MAX];
	const char *slash;
	ssize_t n;

	driver[0] = '\0';
	snprintf(path, sizeof(path), SYSFS_PCI_DEVICES "/%s/driver", bdf);
	n = readlink(path, target, sizeof(target) - 1);
	if (n <= 0) {
		return;
	}
	target[n] = '\0';
	slash = strrchr(target, '/');
	pnvme_strlcpy(driver, slash ? slash + 1 : target, size);
}

static void
fill_driver(struct pnvme_pci_device_info *info)
{
	char bdf[PNVME_PCI_ADDR_STRLEN];

	pnvme_pci_addr_fmt(bdf, sizeof(bdf), &info->addr);
	read_driver(bdf, info->driver, sizeof(info->driver));
	info->driver_kind = driver_kind(info->driver);
}

int
pnvme_pci_enumerate_nvme(pnvme_pci_enum_cb cb, void *ctx)
{
	struct pci_id_match match = {
		.vendor_id = PCI_MATCH_ANY,
		.device_id = PCI_MATCH_ANY,
		.subvendor_id = PCI_MATCH_ANY,
		.subdevice_id = PCI_MATCH_ANY,
		.device_class = PNVME_PCI_CLASS_NVME,
		.device_class_mask = 0xffffff,
	};
	struct pnvme_pci_device_info info;
	struct pci_device_iterator *it;
	struct pci_device *dev;
	int rc, count = 0;

	rc = pci_system_init();
	if (rc != 0) {
		PNVME_ERRLOG("pci: cannot read the PCI bus: %s", strerror(rc));
		return -rc;
	}
	it = pci_id_match_iterator_create(&match);
	if (it == NULL) {
		pci_system_cleanup();
		return -ENOMEM;
	}
	while ((dev = pci_device_next(it)) != NULL) {
		memset(&info, 0, sizeof(info));
		info.addr.domain = dev->domain;
		info.addr.bus = dev->bus;
		info.addr.dev = dev->dev;
		info.addr.func = dev->func;
		info.id.vendor_id = dev->vendor_id;
		info.id.device_id = dev->device_id;
		info.id.subvendor_id = dev->subvendor_id;
		info.id.subdevice_id = dev->subdevice_id;
		info.id.class_id = dev->device_class & 0xffffff;
		fill_driver(&info);
		count++;
		if (cb(ctx, &info) != 0) {
			break;
		}
	}
	pci_iterator_destroy(it);
	pci_system_cleanup();
	return count;
}

static int
read_sysfs_hex(const char *dir, const char *name, uint32_t *value)
{
	char path[PATH_MAX];
	unsigned long v;
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (f == NULL) {
		return -errno;
	}
	n = fscanf(f, "%lx", &v);
	fclose(f);
	if (n != 1) {
		return -EIO;
	}
	*value = (uint32_t)v;
	return 0;
}

int
pnvme_pci_device_lookup(const struct pnvme_pci_addr *addr, struct pnvme_pci_device_info *info)
{
	char dir[PATH_MAX], bdf[PNVME_PCI_ADDR_STRLEN];
	uint32_t v[5];
	struct stat st;

	pnvme_pci_addr_fmt(bdf, sizeof(bdf), addr);
	snprintf(dir, sizeof(dir), SYSFS_PCI_DEVICES "/%s", bdf);
	if (stat(dir, &st) != 0) {
		return -ENODEV;
	}
	if (read_sysfs_hex(dir, "vendor", &v[0]) != 0 || read_sysfs_hex(dir, "device", &v[1]) ||
	    read_sysfs_hex(dir, "subsystem_vendor", &v[2]) != 0 ||
	    read_sysfs_hex(dir, "subsystem_device", &v[3]) != 0 ||
	    read_sysfs_hex(dir, "class", &v[4]) != 0) {
		return -EIO;
	}
	memset(info, 0, sizeof(*info));
	info->addr = *addr;
	info->id.vendor_id = (uint16_t)v[0];
	info->id.device_id = (uint16_t)v[1];
	info->id.subvendor_id = (uint16_t)v[2];
	info->id.subdevice_id = (uint16_t)v[3];
	info->id.class_id = v[4] & 0xffffff;
	fill_driver(info);
	return 0;
}

static int
cfg_access(struct pnvme_pci_device *dev, void *buf, size_t len, uint32_t offset, bool write)
{
	ssize_t n;

	if (offset + len > 4096) {
		return -EINVAL;
	}
	n = write ? pwrite(dev->cfg_fd, buf, len, dev->cfg_offset + offset)
		  : pread(dev->cfg_fd, buf, len, dev->cfg_offset + offset);
	return n == (ssize_t)len ? 0 : -EIO;
}

int
pnvme_pci_device_cfg_read32(struct pnvme_pci_device *dev, uint32_t offset, uint32_t *value)
{
	return cfg_access(dev, value, sizeof(*value), offset, false);
}

int
pnvme_pci_device_cfg_write32(struct pnvme_pci_device *dev, uint32_t offset, uint32_t value)
{
	return cfg_access(dev, &value, sizeof(value), offset, true);
}

/* Memory decoding and bus mastering on; legacy interrupts off (polled). */
static int
enable_device(struct pnvme_pci_device *dev)
{
	uint16_t cmd;
	int rc;

	rc = cfg_access(dev, &cmd, sizeof(cmd), PCI_COMMAND, false);
	if (rc != 0) {
		return rc;
	}
	cmd |= PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE;
	return cfg_access(dev, &cmd, sizeof(cmd), PCI_COMMAND, true);
}

static int
attach_uio(struct pnvme_pci_device *dev)
{
	char path[PATH_MAX + 16];

	snprintf(path, sizeof(path), "%s/config", dev->sysfs);
	dev->cfg_fd = open(path, O_RDWR | O_CLOEXEC);
	if (dev->cfg_fd < 0) {
		PNVME_ERRLOG("%s: cannot open %s: %s", dev->bdf, path, strerror(errno));
		return -errno;
	}
	dev->cfg_offset = 0;
	return 0;
}

/* Point VFIO's request interrupt at an eventfd (or, with @p fd -1, at
 * nothing): 0 or -errno. */
static int
set_release_eventfd(struct pnvme_pci_device *dev, int fd)
{
	char buf[sizeof(struct vfio_irq_set) + sizeof(int32_t)];
	struct vfio_irq_set *irq = (struct vfio_irq_set *)buf;

	memset(buf, 0, sizeof(buf));
	irq->argsz = sizeof(buf);
	irq->index = VFIO_PCI_REQ_IRQ_INDEX;
	irq->start = 0;
	if (fd >= 0) {
		irq->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
		irq->count = 1;
		memcpy(irq->data, &fd, sizeof(int32_t));
	} else {
		irq->flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;
		irq->argsz = sizeof(*irq);
		irq->count = 0;
	}
	return ioctl(dev->cfg_fd, VFIO_DEVICE_SET_IRQS, irq) == 0 ? 0 : -errno;
}

/*
 * Without a request channel the kernel's removal of a VFIO device waits
 * until the process lets the device go, so the device never leaves and its
 * removal is never seen. With one, the request is read by
 * pnvme_pci_device_is_present() (the health check) as "removed", and the
 * detach that follows hands the device back.
 */
static void
watch_release_request(struct pnvme_pci_device *dev)
{
	int rc;

	dev->release_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (dev->release_fd < 0) {
		PNVME_NOTICELOG("%s: no eventfd for VFIO release requests (%s): a removal will "
				"not be seen",
				dev->bdf, strerror(errno));
		return;
	}
	rc = set_release_eventfd(dev, dev->release_fd);
	if (rc != 0) {
		PNVME_NOTICELOG("%s: VFIO release requests cannot be watched (%s): a removal "
				"will not be seen",
				dev->bdf, strerror(-rc));
		close(dev->release_fd);
		dev->release_fd = -1;
	}
}

static int
attach_vfio(struct pnvme_pci_device *dev)
{
	struct vfio_device_info dev_info = {.argsz = sizeof(dev_info)};
	struct vfio_region_info reg = {.argsz = sizeof(reg)};
	int fd = -1;

	if (rte_vfio_setup_device(SYSFS_PCI_DEVICES, dev->bdf, &fd, &dev_info) != 0) {
		PNVME_ERRLOG("%s: VFIO setup failed: is the IOMMU group viable (every device in "
			     "it bound to vfio-pci) and /dev/vfio accessible?",
			     dev->bdf);
		return -EIO;
	}
	dev->vfio = true;
	dev->cfg_fd = fd;
	reg.index = VFIO_PCI_CONFIG_REGION_INDEX;
	if (ioctl(fd, VFIO_DEVICE_GET_REGION_INFO, &reg) != 0) {
		PNVME_ERRLOG("%s: cannot locate configuration space: %s", dev->bdf,
			     strerror(errno));
		return -errno;
	}
	dev->cfg_offset = (off_t)reg.offset;
	watch_release_request(dev);
	return 0;
}

int
pnvme_pci_device_attach(const struct pnvme_pci_addr *addr, struct pnvme_pci_device **out)
{
	struct pnvme_pci_device *dev;
	int rc;

	dev = calloc(1, sizeof(*dev));
	if (dev == NULL) {
		return -ENOMEM;
	}
	dev->cfg_fd = -1;
	dev->release_fd = -1;
	pnvme_pci_addr_fmt(dev->bdf, sizeof(dev->bdf), addr);
	snprintf(dev->sysfs, sizeof(dev->sysfs), SYSFS_PCI_DEVICES "/%s", dev->bdf);
	rc = pnvme_pci_device_lookup(addr, &dev->info);
	if (rc != 0) {
		PNVME_ERRLOG("%s: no such PCI device", dev->bdf);
		free(dev);
		return -ENODEV;
	}
	switch (dev->info.driver_kind) {
	case PNVME_PCI_DRIVER_UIO:
		rc = attach_uio(dev);
		break;
	case PNVME_PCI_DRIVER_VFIO:
		rc = attach_vfio(dev);
		break;
	case PNVME_PCI_DRIVER_KERNEL:
		PNVME_ERRLOG("%s is bound to the kernel %s driver; run scripts/setup.sh", dev->bdf,
			     dev->info.driver);
		rc = -EBUSY;
		break;
	default:
		PNVME_ERRLOG("%s is bound to no driver; run scripts/setup.sh", dev->bdf);
		rc = -ENXIO;
		break;
	}
	if (rc == 0) {
		rc = enable_device(dev);
		if (rc != 0) {
			PNVME_ERRLOG("%s: cannot enable bus mastering", dev->bdf);
		}
	}
	if (rc != 0) {
		pnvme_pci_device_detach(dev);
		return rc;
	}
	*out = dev;
	return 0;
}

void
pnvme_pci_device_detach(struct pnvme_pci_device *dev)
{
	int i;

	if (dev == NULL) {
		return;
	}
	for (i = 0; i < PCI_MAX_BARS; i++) {
		if (dev->bars[i].addr != NULL) {
			pnvme_bar_guard_remove(dev->bars[i].addr);
			munmap(dev->bars[i].addr, dev->bars[i].size);
		}
	}
	if (dev->release_fd >= 0) {
		set_release_eventfd(dev, -1);
		close(dev->release_fd);
	}
	if (dev->vfio) {
		rte_vfio_release_device(SYSFS_PCI_DEVICES, dev->bdf, dev->cfg_fd);
	} else if (dev->cfg_fd >= 0) {
		close(dev->cfg_fd);
	}
	free(dev);
}

static int
map_bar_uio(struct pnvme_pci_device *dev, uint32_t bar, struct pci_bar_map *map)
{
	char path[PATH_MAX + 16];
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "%s/resource%u", dev->sysfs, bar);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		PNVME_ERRLOG("%s: cannot open %s: %s", dev->bdf, path, strerror(errno));
		return -errno;
	}
	if (fstat(fd, &st) != 0 || st.st_size == 0) {
		close(fd);
		return -EINVAL;
	}
	map->addr = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (map->addr == MAP_FAILED) {
		map->addr = NULL;
		return -errno;
	}
	map->size = (uint64_t)st.st_size;
	return 0;
}

static int
map_bar_vfio(struct pnvme_pci_device *dev, uint32_t bar, struct pci_bar_map *map)
{
	struct vfio_region_info reg = {.argsz = sizeof(reg), .index = bar};

	if (ioctl(dev->cfg_fd, VFIO_DEVICE_GET_REGION_INFO, &reg) != 0) {
		return -errno;
	}
	if (!(reg.flags & VFIO_REGION_INFO_FLAG_MMAP) || reg.size == 0) {
		PNVME_ERRLOG("%s: BAR%u cannot be mapped through VFIO", dev->bdf, bar);
		return -ENOTSUP;
	}
	map->addr = mmap(NULL, reg.size, PROT_READ | PROT_WRITE, MAP_SHARED, dev->cfg_fd,
			 (off_t)reg.offset);
	if (map->addr == MAP_FAILED) {
		map->addr = NULL;
		PNVME_ERRLOG("%s: mmap of BAR%u failed: %s", dev->bdf, bar, strerror(errno));
		return -errno;
	}
	map->size = reg.size;
	return 0;
}

int
pnvme_pci_device_map_bar(struct pnvme_pci_device *dev, uint32_t bar, void **addr,
			 uint64_t *size)
{
	struct pci_bar_map *map;
	int rc;

	if (dev == NULL || bar >= PCI_MAX_BARS || addr == NULL || size == NULL) {
		return -EINVAL;
	}
	map = &dev->bars[bar];
	if (map->addr == NULL) {
		rc = dev->vfio ? map_bar_vfio(dev, bar, map) : map_bar_uio(dev, bar, map);
		if (rc != 0) {
			return rc;
		}
		/* After a surprise removal an access may raise SIGBUS: it then
		 * reads all ones instead, which the driver judges as removed. */
		pnvme_bar_guard_add(map->addr, map->size);
	}
	*addr = map->addr;
	*size = map->size;
	return 0;
}

const struct pnvme_pci_device_info *
pnvme_pci_device_get_info(const struct pnvme_pci_device *dev)
{
	return &dev->info;
}

bool
pnvme_pci_device_is_present(const struct pnvme_pci_device *dev)
{
	struct stat st;
	uint64_t asked;
	uint16_t cmd;

	if (dev->release_fd >= 0 && !dev->release_asked &&
	    read(dev->release_fd, &asked, sizeof(asked)) == (ssize_t)sizeof(asked)) {
		/* Asked once, the device is on its way out for good. */
		((struct pnvme_pci_device *)dev)->release_asked = true;
	}
	if (dev->release_asked || stat(dev->sysfs, &st) != 0) {
		return false;
	}
	/* Attach switched bus mastering on and nothing here switches it off:
	 * off means the device was unbound (its removal starts so), and a
	 * device gone answers all ones. The device then cannot reach memory,
	 * which it reports as a fatal status: this is what tells the two
	 * apart. */
	if (cfg_access((struct pnvme_pci_device *)dev, &cmd, sizeof(cmd), PCI_COMMAND, false) != 0) {
		return false;
	}
	return cmd != 0xFFFF && (cmd & PCI_COMMAND_MASTER) != 0;
}
