/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NVMe/RDMA memory map (see rdma_mem_map.h).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "nvme/rdma_mem_map.h"

/* One published array of regions, sorted by start, never changed. */
struct region_array {
	uint32_t num;
	struct region_array *retired_next; /* older arrays, freed at destroy */
	struct rdma_mem_region r[];
};

/* Generations are unique across every map ever made, so a thread's
 * remembered region can never match a later map at the same address. */
static _Atomic uint64_t g_next_generation = 1;

struct rdma_mem_map {
	_Atomic(struct region_array *) cur;
	/* New with every update: a thread's remembered region is stale then. */
	_Atomic uint64_t generation;
	pthread_mutex_t update_lock; /* updates only; readers never take it */
	struct region_array *retired;
};

/* The last region this thread found, and in which map and generation. */
static __thread struct {
	const struct rdma_mem_map *map;
	uint64_t generation;
	struct rdma_mem_region region;
} t_last;

static struct region_array *
array_new(uint32_t num)
{
	struct region_array *a = calloc(1, sizeof(*a) + sizeof(a->r[0]) * num);

	if (a != NULL) {
		a->num = num;
	}
	return a;
}

struct rdma_mem_map *
rdma_mem_map_create(void)
{
	struct rdma_mem_map *map = calloc(1, sizeof(*map));
	struct region_array *empty = array_new(0);

	if (map == NULL || empty == NULL) {
		free(map);
		free(empty);
		return NULL;
	}
	atomic_init(&map->cur, empty);
	atomic_init(&map->generation, atomic_fetch_add(&g_next_generation, 1));
	pthread_mutex_init(&map->update_lock, NULL);
	return map;
}

void
rdma_mem_map_destroy(struct rdma_mem_map *map)
{
	struct region_array *a, *next;

	if (map == NULL) {
		return;
	}
	free(atomic_load(&map->cur));
	for (a = map->retired; a != NULL; a = next) {
		next = a->retired_next;
		free(a);
	}
	pthread_mutex_destroy(&map->update_lock);
	free(map);
}

/* Publish @p next in place of the current array (update lock held). */
static void
publish(struct rdma_mem_map *map, struct region_array *next)
{
	struct region_array *old = atomic_load_explicit(&map->cur, memory_order_relaxed);

	atomic_store_explicit(&map->cur, next, memory_order_release);
	atomic_store_explicit(&map->generation, atomic_fetch_add(&g_next_generation, 1),
			      memory_order_release);
	old->retired_next = map->retired;
	map->retired = old;
}

int
rdma_mem_map_add(struct rdma_mem_map *map, const struct rdma_mem_region *region)
{
	struct region_array *cur, *next;
	uint32_t i, at;

	pthread_mutex_lock(&map->update_lock);
	cur = atomic_load_explicit(&map->cur, memory_order_relaxed);
	for (at = 0; at < cur->num && cur->r[at].start < region->start; at++) {
	}
	/* Neither the region before nor the one after may reach into it. */
	if ((at > 0 && cur->r[at - 1].start + cur->r[at - 1].len > region->start) ||
	    (at < cur->num && region->start + region->len > cur->r[at].start)) {
		pthread_mutex_unlock(&map->update_lock);
		return -EEXIST;
	}
	next = array_new(cur->num + 1);
	if (next == NULL) {
		pthread_mutex_unlock(&map->update_lock);
		return -ENOMEM;
	}
	for (i = 0; i < at; i++) {
		next->r[i] = cur->r[i];
	}
	next->r[at] = *region;
	for (i = at; i < cur->num; i++) {
		next->r[i + 1] = cur->r[i];
	}
	publish(map, next);
	pthread_mutex_unlock(&map->update_lock);
	return 0;
}

int
rdma_mem_map_remove(struct rdma_mem_map *map, uintptr_t start, struct rdma_mem_region *out)
{
	struct region_array *cur, *next;
	uint32_t i, j;

	pthread_mutex_lock(&map->update_lock);
	cur = atomic_load_explicit(&map->cur, memory_order_relaxed);
	for (i = 0; i < cur->num && cur->r[i].start != start; i++) {
	}
	if (i == cur->num) {
		pthread_mutex_unlock(&map->update_lock);
		return -ENOENT;
	}
	next = array_new(cur->num - 1);
	if (next == NULL) {
		pthread_mutex_unlock(&map->update_lock);
		return -ENOMEM;
	}
	*out = cur->r[i];
	for (j = 0; j < cur->num; j++) {
		if (j != i) {
			next->r[j < i ? j : j - 1] = cur->r[j];
		}
	}
	publish(map, next);
	pthread_mutex_unlock(&map->update_lock);
	return 0;
}

static bool
covers(const struct rdma_mem_region *r, uintptr_t a, size_t len)
{
	return a >= r->start && len <= r->len && a - r->start <= r->len - len;
}

int
rdma_mem_map_find(struct rdma_mem_map *map, const void *addr, size_t len, uint32_t *lkey,
		  uint32_t *rkey)
{
	uint64_t gen = atomic_load_explicit(&map->generation, memory_order_acquire);
	const struct region_array *cur;
	uintptr_t a = (uintptr_t)addr;
	uint32_t lo, hi, mid;

	if (t_last.map == map && t_last.generation == gen && covers(&t_last.region, a, len)) {
		*lkey = t_last.region.lkey;
		*rkey = t_last.region.rkey;
		return 0;
	}
	cur = atomic_load_explicit(&map->cur, memory_order_acquire);
	/* The last region starting at or below the address. */
	lo = 0;
	hi = cur->num;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (cur->r[mid].start <= a) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	if (lo == 0 || !covers(&cur->r[lo - 1], a, len)) {
		return -EINVAL;
	}
	t_last.map = map;
	t_last.generation = gen;
	t_last.region = cur->r[lo - 1];
	*lkey = t_last.region.lkey;
	*rkey = t_last.region.rkey;
	return 0;
}

const struct rdma_mem_region *
rdma_mem_map_regions(struct rdma_mem_map *map, uint32_t *num)
{
	const struct region_array *cur = atomic_load_explicit(&map->cur, memory_order_acquire);

	*num = cur->num;
	return cur->r;
}
