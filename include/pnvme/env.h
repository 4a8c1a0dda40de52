/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The environment pnvme runs on: DMA-able memory, virtual-to-IOVA
 * translation, PCI device access and time.
 *
 * The library reaches hardware only through these calls. The shipped
 * implementation (lib/env_dpdk) uses hugepage memory and VFIO/UIO; unit tests
 * link a heap-backed one instead.
 */
#ifndef PNVME_ENV_H
#define PNVME_ENV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Returned by pnvme_vtophys() for an address that is not DMA-able. */
#define PNVME_VTOPHYS_ERROR UINT64_MAX

/** Options for pnvme_env_init(). */
struct pnvme_env_opts {
	/** Size of this structure as the caller knows it (ABI growth). */
	size_t opts_size;
	/** Process name, used in log lines. Default "pnvme". */
	const char *name;
	/** Cores the process may run on, as a hexadecimal mask. Default "0x1". */
	const char *core_mask;
	/** Hugepage memory to reserve up front, in MiB; 0 = grow on demand. */
	size_t mem_size_mb;
	/** IOVA mode: NULL or "auto" (VA with an IOMMU, else PA), "pa", "va". */
	const char *iova_mode;
	/** Print the environment's own informational messages. */
	bool verbose;
	/**
	 * Plain process memory instead of hugepages (mem_size_mb of it, 256
	 * MiB when 0). For fabrics transports only, which need no DMA: PCIe
	 * controllers are refused. Lets a TCP-only process run on a machine
	 * without hugepages, or under a memory checker.
	 */
	bool no_hugepages;
};

/**
 * Fill @p opts with defaults.
 *
 * @param opts structure to fill.
 * @param opts_size sizeof(*opts) as the caller was compiled with.
 */
void pnvme_env_opts_init(struct pnvme_env_opts *opts, size_t opts_size);

/**
 * Initialise the environment. Call once per process before any other pnvme
 * call that touches a device; pnvme_probe() calls it with defaults when the
 * application has not.
 *
 * @param opts options, or NULL for defaults.
 * @return 0, -EALREADY when already initialised, -ENOMEM when no hugepages
 *         are free, -EINVAL for bad options, or another negative errno.
 */
int pnvme_env_init(const struct pnvme_env_opts *opts);

/** @return true once pnvme_env_init() has succeeded. */
bool pnvme_env_is_initialized(void);

/** @return true when the environment's memory can be handed to a PCIe
 * device (hugepages; not with pnvme_env_opts.no_hugepages). */
bool pnvme_env_has_dma_memory(void);

/** Release everything pnvme_env_init() acquired. */
void pnvme_env_fini(void);

/**
 * Allocate zeroed DMA-able memory.
 *
 * @param size bytes, > 0.
 * @param align alignment in bytes (a power of two), or 0 for 64.
 * @param iova if not NULL, receives the IO virtual address of the buffer.
 * @return the buffer, or NULL.
 */
void *pnvme_dma_zmalloc(size_t size, size_t align, uint64_t *iova);

/** Free memory from pnvme_dma_zmalloc(); NULL is ignored. */
void pnvme_dma_free(void *buf);

/**
 * Translate a virtual address in DMA-able memory to the address the device
 * uses.
 *
 * @param buf virtual address.
 * @param size if not NULL: on input the length the caller needs; on output
 *        the number of bytes from @p buf that are contiguous in IOVA space
 *        (at most the input value).
 * @return the IOVA, or PNVME_VTOPHYS_ERROR when @p buf is not DMA-able.
 */
uint64_t pnvme_vtophys(const void *buf, uint64_t *size);

/** What happens to a region of DMA memory (pnvme_env_mem_notify_register()). */
enum pnvme_mem_event {
	PNVME_MEM_EVENT_REGISTER,   /**< the region exists (or has just appeared) */
	PNVME_MEM_EVENT_UNREGISTER, /**< the region is about to go */
};

/**
 * Called for each region of DMA memory: for every region that exists when
 * the callback is registered, for each that appears later, and before each
 * goes. Every pnvme_dma_zmalloc() buffer lies within one region. Runs with
 * the environment's memory lock held: it must not allocate or free DMA
 * memory. Its return value (0 or -errno) is logged when not 0; for an
 * existing region at registration it makes the registration fail.
 *
 * A transport that must register memory with its device (NVMe/RDMA) keeps
 * its own map of the regions from this.
 */
typedef int (*pnvme_mem_notify_cb)(void *ctx, enum pnvme_mem_event event, void *vaddr,
				   size_t len);

/**
 * Start notifying @p cb: it is first called, before this returns, for each
 * region that exists now.
 *
 * @return 0; -EINVAL for a NULL callback or an environment not initialised;
 *         -ENOMEM; or the callback's error for an existing region (then
 *         the callback is not registered, and regions it already accepted
 *         are given to it again as UNREGISTER).
 */
int pnvme_env_mem_notify_register(pnvme_mem_notify_cb cb, void *ctx);

/**
 * Stop notifying @p cb (with the same @p ctx). No UNREGISTER calls are made.
 *
 * @return 0, or -ENOENT when not registered.
 */
int pnvme_env_mem_notify_unregister(pnvme_mem_notify_cb cb, void *ctx);

/** @return a monotonic tick counter (no system call). */
uint64_t pnvme_get_ticks(void);

/** @return ticks per second. */
uint64_t pnvme_get_ticks_hz(void);

/** Busy-wait @p us microseconds. */
void pnvme_delay_us(uint32_t us);

/** A PCI address (domain:bus:device.function). */
struct pnvme_pci_addr {
	uint32_t domain; /**< PCI domain (segment) */
	uint8_t bus;     /**< bus number */
	uint8_t dev;     /**< device number, 0-31 */
	uint8_t func;    /**< function number, 0-7 */
};

/** Length of a formatted PCI address, with its terminator: room for a
 * 32-bit domain (domains above FFFFh exist, e.g. behind volume management
 * devices). */
#define PNVME_PCI_ADDR_STRLEN 17

/**
 * Parse "DDDD:BB:DD.F" or "BB:DD.F" (hexadecimal).
 * @return 0 or -EINVAL.
 */
int pnvme_pci_addr_parse(struct pnvme_pci_addr *addr, const char *str);

/** Format @p addr as "DDDD:BB:DD.F" into @p buf (at least PNVME_PCI_ADDR_STRLEN). */
int pnvme_pci_addr_fmt(char *buf, size_t size, const struct pnvme_pci_addr *addr);

/** @return <0, 0, >0 as @p a sorts before, equal to or after @p b. */
int pnvme_pci_addr_compare(const struct pnvme_pci_addr *a, const struct pnvme_pci_addr *b);

/** PCI identification of a device. */
struct pnvme_pci_id {
	uint16_t vendor_id;    /**< vendor ID */
	uint16_t device_id;    /**< device ID */
	uint16_t subvendor_id; /**< subsystem vendor ID */
	uint16_t subdevice_id; /**< subsystem device ID */
	uint32_t class_id; /**< 24-bit class code, 0x010802 for NVMe */
};

/** PCI class code of an NVM Express controller. */
#define PNVME_PCI_CLASS_NVME 0x010802u

/** Kernel drivers through which pnvme can own a device. */
enum pnvme_pci_driver_kind {
	PNVME_PCI_DRIVER_NONE = 0,    /**< no driver bound */
	PNVME_PCI_DRIVER_VFIO = 1,    /**< vfio-pci */
	PNVME_PCI_DRIVER_UIO = 2,     /**< uio_pci_generic */
	PNVME_PCI_DRIVER_KERNEL = 3,  /**< any other kernel driver (e.g. nvme) */
};

/** What enumeration reports for one NVMe-class device. */
struct pnvme_pci_device_info {
	struct pnvme_pci_addr addr;             /**< where the device is */
	struct pnvme_pci_id id;                 /**< what the device is */
	enum pnvme_pci_driver_kind driver_kind; /**< the kind of driver bound to it */
	char driver[32]; /**< kernel driver name, "" when none */
};

/**
 * Callback for pnvme_pci_enumerate_nvme(); return non-zero to stop.
 */
typedef int (*pnvme_pci_enum_cb)(void *ctx, const struct pnvme_pci_device_info *info);

/**
 * Call @p cb for every NVMe-class PCI device in the system, whatever driver
 * it is bound to, in address order.
 *
 * @return the number of devices visited, or a negative errno.
 */
int pnvme_pci_enumerate_nvme(pnvme_pci_enum_cb cb, void *ctx);

/**
 * Look up one device by address.
 * @return 0, or -ENODEV when there is no PCI device at @p addr.
 */
int pnvme_pci_device_lookup(const struct pnvme_pci_addr *addr, struct pnvme_pci_device_info *info);

/** An attached PCI device (opaque). */
struct pnvme_pci_device;

/**
 * Take a device bound to vfio-pci or uio_pci_generic for this process: map
 * its registers and enable bus mastering.
 *
 * @return 0; -ENODEV when no device is at @p addr; -EBUSY when it is bound to
 *         a kernel driver (the log says which); or another negative errno.
 */
int pnvme_pci_device_attach(const struct pnvme_pci_addr *addr, struct pnvme_pci_device **dev);

/** Unmap and release a device from pnvme_pci_device_attach(). */
void pnvme_pci_device_detach(struct pnvme_pci_device *dev);

/**
 * Map a memory BAR.
 * @param dev the device, from pnvme_pci_device_attach().
 * @param bar BAR index 0-5.
 * @param addr receives the virtual address of the mapping.
 * @param size receives its length.
 * @return 0 or a negative errno.
 */
int pnvme_pci_device_map_bar(struct pnvme_pci_device *dev, uint32_t bar, void **addr,
			     uint64_t *size);

/** Read 4 bytes of configuration space. @return 0 or a negative errno. */
int pnvme_pci_device_cfg_read32(struct pnvme_pci_device *dev, uint32_t offset, uint32_t *value);

/** Write 4 bytes of configuration space. @return 0 or a negative errno. */
int pnvme_pci_device_cfg_write32(struct pnvme_pci_device *dev, uint32_t offset, uint32_t value);

/** @return what the device was when attached. */
const struct pnvme_pci_device_info *pnvme_pci_device_get_info(const struct pnvme_pci_device *dev);

/**
 * @return true when the device is still present in the system and still
 *         this process's: false once it disappeared from sysfs, or once its
 *         bus mastering was switched off behind our back (the kernel does
 *         that when it unbinds the device from its driver, the first step
 *         of a removal).
 */
bool pnvme_pci_device_is_present(const struct pnvme_pci_device *dev);

#ifdef __cplusplus
}
#endif

#endif /* PNVME_ENV_H */
