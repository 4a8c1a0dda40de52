/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NVMe/RDMA devices: one protection domain per RDMA device, shared by every
 * queue pair on it, with all of the environment's DMA memory registered
 * (the regions there when the device is first used, and each region that
 * appears later, told by the environment's memory hook). A command's keys
 * are then found in the device's memory map with no system call.
 *
 * The list of devices changes only when connections open and close, under
 * a mutex; the I/O path never touches it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "nvme/rdma_internal.h"
#include "pnvme/env.h"

static pthread_mutex_t g_devices_lock = PTHREAD_MUTEX_INITIALIZER;
static TAILQ_HEAD(, rdma_device) g_devices = TAILQ_HEAD_INITIALIZER(g_devices);

/* The environment's memory hook: register a region with the device's
 * protection domain, or deregister it before it goes. */
static int
device_mem_event(void *ctx, enum pnvme_mem_event event, void *vaddr, size_t len)
{
	struct rdma_device *dev = ctx;
	struct rdma_mem_region region;
	struct ibv_mr *mr;
	int rc;

	if (event == PNVME_MEM_EVENT_UNREGISTER) {
		if (rdma_mem_map_remove(dev->map, (uintptr_t)vaddr, &region) == 0) {
			ibv_dereg_mr(region.handle);
		}
		return 0;
	}
	mr = ibv_reg_mr(dev->pd, vaddr, len,
			IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_READ | IBV_ACCESS_REMOTE_WRITE);
	if (mr == NULL) {
		rc = errno != 0 ? -errno : -ENOMEM;
		PNVME_ERRLOG("%s: cannot register %zu bytes of DMA memory at %p: %s",
			     ibv_get_device_name(dev->verbs->device), len, vaddr, strerror(-rc));
		return rc;
	}
	region.start = (uintptr_t)vaddr;
	region.len = len;
	region.lkey = mr->lkey;
	region.rkey = mr->rkey;
	region.handle = mr;
	rc = rdma_mem_map_add(dev->map, &region);
	if (rc != 0) {
		PNVME_ERRLOG("%s: DMA memory at %p (%zu bytes): %s",
			     ibv_get_device_name(dev->verbs->device), vaddr, len,
			     rc == -EEXIST ? "overlaps a region already registered" : strerror(-rc));
		ibv_dereg_mr(mr);
	}
	return rc;
}

static void
device_free(struct rdma_device *dev)
{
	const struct rdma_mem_region *regions;
	uint32_t num, i;

	if (dev->map != NULL) {
		regions = rdma_mem_map_regions(dev->map, &num);
		for (i = 0; i < num; i++) {
			ibv_dereg_mr(regions[i].handle);
		}
		rdma_mem_map_destroy(dev->map);
	}
	if (dev->pd != NULL) {
		ibv_dealloc_pd(dev->pd);
	}
	free(dev);
}

static struct rdma_device *
device_create(struct ibv_context *verbs)
{
	struct rdma_device *dev = calloc(1, sizeof(*dev));
	const char *name = ibv_get_device_name(verbs->device);
	int rc;

	if (dev == NULL) {
		PNVME_ERRLOG("%s: out of memory", name);
		return NULL;
	}
	dev->verbs = verbs;
	dev->pd = ibv_alloc_pd(verbs);
	dev->map = rdma_mem_map_create();
	if (dev->pd == NULL || dev->map == NULL) {
		PNVME_ERRLOG("%s: cannot make a protection domain: %s", name,
			     dev->pd == NULL ? strerror(errno) : "out of memory");
		device_free(dev);
		return NULL;
	}
	rc = pnvme_env_mem_notify_register(device_mem_event, dev);
	if (rc != 0) {
		PNVME_ERRLOG("%s: cannot register the DMA memory: %s", name,
			     rc == -EINVAL ? "the environment is not initialised" : strerror(-rc));
		device_free(dev);
		return NULL;
	}
	dev->refs = 1;
	return dev;
}

struct rdma_device *
rdma_device_get(struct ibv_context *verbs)
{
	struct rdma_device *dev;

	pthread_mutex_lock(&g_devices_lock);
	TAILQ_FOREACH(dev, &g_devices, link) {
		if (dev->verbs == verbs) {
			dev->refs++;
			break;
		}
	}
	if (dev == NULL) {
		dev = device_create(verbs);
		if (dev != NULL) {
			TAILQ_INSERT_TAIL(&g_devices, dev, link);
		}
	}
	pthread_mutex_unlock(&g_devices_lock);
	return dev;
}

void
rdma_device_put(struct rdma_device *dev)
{
	bool last;

	pthread_mutex_lock(&g_devices_lock);
	last = --dev->refs == 0;
	if (last) {
		TAILQ_REMOVE(&g_devices, dev, link);
	}
	pthread_mutex_unlock(&g_devices_lock);
	if (last) {
		/* No more events; then no reader of the map remains. */
		pnvme_env_mem_notify_unregister(device_mem_event, dev);
		device_free(dev);
	}
}
