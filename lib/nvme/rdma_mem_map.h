/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NVMe/RDMA memory map: the regions of DMA memory registered with one
 * protection domain and their keys, found per I/O with no system call and
 * no lock.
 *
 * The regions live in a sorted array that is never changed in place: an
 * update (rare: memory appears or goes, told by the environment, from any
 * thread) builds a new array and publishes it with one atomic store. A
 * reader takes the current array with one atomic load; arrays replaced
 * stay allocated until the map is destroyed, so a reader is never left
 * holding freed memory. Each thread also remembers the last region it
 * found, checked against the map's generation.
 */
#ifndef PNVME_RDMA_MEM_MAP_H
#define PNVME_RDMA_MEM_MAP_H

#include <stddef.h>
#include <stdint.h>

/* One registered region: its range, keys, and the registration handle. */
struct rdma_mem_region {
	uintptr_t start;
	size_t len;
	uint32_t lkey;
	uint32_t rkey;
	void *handle;
};

struct rdma_mem_map;

/* NULL when out of memory. */
struct rdma_mem_map *rdma_mem_map_create(void);
/* Frees the map and every array it ever published (no reader may remain). */
void rdma_mem_map_destroy(struct rdma_mem_map *map);

/* Add a region: 0, -EEXIST when it overlaps one already there, -ENOMEM. */
int rdma_mem_map_add(struct rdma_mem_map *map, const struct rdma_mem_region *region);
/* Take out the region that starts at @p start: 0 and *out filled (the
 * caller deregisters out->handle), or -ENOENT. */
int rdma_mem_map_remove(struct rdma_mem_map *map, uintptr_t start, struct rdma_mem_region *out);

/* The keys of [@p addr, @p addr + @p len): 0, or -EINVAL when the range is
 * not inside one registered region. Lock-free. */
int rdma_mem_map_find(struct rdma_mem_map *map, const void *addr, size_t len, uint32_t *lkey,
		      uint32_t *rkey);

/* Regions in the map now (tests, teardown): the current array and its size. */
const struct rdma_mem_region *rdma_mem_map_regions(struct rdma_mem_map *map, uint32_t *num);

#endif
