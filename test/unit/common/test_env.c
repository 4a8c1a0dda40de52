/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Heap-backed implementation of pnvme/env.h for unit tests.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_env.h"

uint64_t g_test_ticks;
uint64_t g_test_tick_step = 1;
struct test_pci_device g_test_pci_devices[8];
int g_test_num_pci_devices;

static bool g_initialized;

#define MAX_ALLOCS 4096
static struct {
	uintptr_t start;
	size_t size;
} g_allocs[MAX_ALLOCS];

void
test_env_reset(void)
{
	g_test_ticks = 0;
	g_test_tick_step = 1;
	g_test_num_pci_devices = 0;
	memset(g_test_pci_devices, 0, sizeof(g_test_pci_devices));
}

void
pnvme_env_opts_init(struct pnvme_env_opts *opts, size_t opts_size)
{
	memset(opts, 0, opts_size);
	opts->opts_size = opts_size;
}

int
pnvme_env_init(const struct pnvme_env_opts *opts)
{
	(void)opts;
	if (g_initialized) {
		return -EALREADY;
	}
	g_initialized = true;
	return 0;
}

bool
pnvme_env_is_initialized(void)
{
	return g_initialized;
}

bool
pnvme_env_has_dma_memory(void)
{
	return g_initialized;
}

void
pnvme_env_fini(void)
{
	g_initialized = false;
}

void *
pnvme_dma_zmalloc(size_t size, size_t align, uint64_t *iova)
{
	size_t rounded;
	void *buf;
	int i;

	if (size == 0) {
		return NULL;
	}
	align = align ? align : 64;
	rounded = (size + align - 1) & ~(align - 1);
	buf = aligned_alloc(align, rounded);
	if (buf == NULL) {
		return NULL;
	}
	memset(buf, 0, rounded);
	for (i = 0; i < MAX_ALLOCS; i++) {
		if (g_allocs[i].start == 0) {
			g_allocs[i].start = (uintptr_t)buf;
			g_allocs[i].size = rounded;
			break;
		}
	}
	if (iova != NULL) {
		*iova = (uint64_t)(uintptr_t)buf;
	}
	return buf;
}

void
pnvme_dma_free(void *buf)
{
	int i;

	if (buf == NULL) {
		return;
	}
	for (i = 0; i < MAX_ALLOCS; i++) {
		if (g_allocs[i].start == (uintptr_t)buf) {
			g_allocs[i].start = 0;
			break;
		}
	}
	free(buf);
}

/* Identity translation, but only inside memory from pnvme_dma_zmalloc. */
uint64_t
pnvme_vtophys(const void *buf, uint64_t *size)
{
	uintptr_t p = (uintptr_t)buf;
	int i;

	for (i = 0; i < MAX_ALLOCS; i++) {
		if (g_allocs[i].start != 0 && p >= g_allocs[i].start &&
		    p < g_allocs[i].start + g_allocs[i].size) {
			if (size != NULL && *size > g_allocs[i].start + g_allocs[i].size - p) {
				*size = g_allocs[i].start + g_allocs[i].size - p;
			}
			return (uint64_t)p;
		}
	}
	return PNVME_VTOPHYS_ERROR;
}

uint64_t
pnvme_get_ticks(void)
{
	g_test_ticks += g_test_tick_step;
	return g_test_ticks;
}

uint64_t
pnvme_get_ticks_hz(void)
{
	return 1000000;
}

void
pnvme_delay_us(uint32_t us)
{
	g_test_ticks += us;
}

/* ---------------- scripted PCI bus ---------------- */

struct pnvme_pci_device {
	struct test_pci_device *dev;
};

int
pnvme_pci_enumerate_nvme(pnvme_pci_enum_cb cb, void *ctx)
{
	int i, n = 0;

	for (i = 0; i < g_test_num_pci_devices; i++) {
		if (g_test_pci_devices[i].info.id.class_id != PNVME_PCI_CLASS_NVME ||
		    !g_test_pci_devices[i].present) {
			continue;
		}
		n++;
		if (cb(ctx, &g_test_pci_devices[i].info) != 0) {
			break;
		}
	}
	return n;
}

static struct test_pci_device *
find_device(const struct pnvme_pci_addr *addr)
{
	int i;

	for (i = 0; i < g_test_num_pci_devices; i++) {
		if (g_test_pci_devices[i].present &&
		    pnvme_pci_addr_compare(&g_test_pci_devices[i].info.addr, addr) == 0) {
			return &g_test_pci_devices[i];
		}
	}
	return NULL;
}

int
pnvme_pci_device_lookup(const struct pnvme_pci_addr *addr, struct pnvme_pci_device_info *info)
{
	struct test_pci_device *d = find_device(addr);

	if (d == NULL) {
		return -ENODEV;
	}
	*info = d->info;
	return 0;
}

int
pnvme_pci_device_attach(const struct pnvme_pci_addr *addr, struct pnvme_pci_device **out)
{
	struct test_pci_device *d = find_device(addr);

	if (d == NULL) {
		return -ENODEV;
	}
	*out = calloc(1, sizeof(**out));
	if (*out == NULL) {
		return -ENOMEM;
	}
	(*out)->dev = d;
	return 0;
}

void
pnvme_pci_device_detach(struct pnvme_pci_device *dev)
{
	free(dev);
}

int
pnvme_pci_device_map_bar(struct pnvme_pci_device *dev, uint32_t bar, void **addr,
			 uint64_t *size)
{
	if (bar != 0 || dev->dev->bar0 == NULL) {
		return -EINVAL;
	}
	*addr = dev->dev->bar0;
	*size = dev->dev->bar0_size;
	return 0;
}

int
pnvme_pci_device_cfg_read32(struct pnvme_pci_device *dev, uint32_t offset, uint32_t *value)
{
	(void)dev;
	(void)offset;
	*value = 0;
	return 0;
}

int
pnvme_pci_device_cfg_write32(struct pnvme_pci_device *dev, uint32_t offset, uint32_t value)
{
	(void)dev;
	(void)offset;
	(void)value;
	return 0;
}

const struct pnvme_pci_device_info *
pnvme_pci_device_get_info(const struct pnvme_pci_device *dev)
{
	return &dev->dev->info;
}

bool
pnvme_pci_device_is_present(const struct pnvme_pci_device *dev)
{
	return dev->dev->present;
}

/* ---------------- log capture ---------------- */

static char g_log[16384];

static void
capture(enum pnvme_log_level level, const char *line)
{
	size_t used = strlen(g_log);

	(void)level;
	snprintf(g_log + used, sizeof(g_log) - used, "%s\n", line);
}

void
test_log_capture_start(void)
{
	g_log[0] = '\0';
	pnvme_log_set_level(PNVME_LOG_DEBUG);
	pnvme_log_set_handler(capture);
}

const char *
test_log_text(void)
{
	return g_log;
}

bool
test_log_contains(const char *needle)
{
	return strstr(g_log, needle) != NULL;
}

int
test_log_lines(void)
{
	const char *p = g_log;
	int n = 0;

	for (; *p != '\0'; p++) {
		n += *p == '\n';
	}
	return n;
}

/* The test environment's DMA memory is heap: there are no regions to
 * report, now or later. */
int
pnvme_env_mem_notify_register(pnvme_mem_notify_cb cb, void *ctx)
{
	(void)ctx;
	return cb == NULL ? -EINVAL : 0;
}

int
pnvme_env_mem_notify_unregister(pnvme_mem_notify_cb cb, void *ctx)
{
	(void)cb;
	(void)ctx;
	return 0;
}
