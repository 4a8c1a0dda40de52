/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pnvme_env_test: DMA memory region notifications against the real
 * environment (hugepages on the host). A callback registered late still
 * hears of every region that exists; memory allocated later arrives as a
 * new region before the allocation returns; every buffer lies inside a
 * region it was told of; a refusing callback is not registered and gets
 * back what it accepted; an unregistered one hears nothing more.
 *
 *   pnvme_env_test        (exit 0 when every check passed)
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "pnvme/env.h"

static int g_failures;

#define MAX_REGIONS 256

struct region_log {
	uintptr_t start[MAX_REGIONS];
	size_t len[MAX_REGIONS];
	unsigned int num;       /* regions known now */
	unsigned int registers; /* REGISTER calls */
	unsigned int unregisters;
	unsigned int unknown_unregisters; /* UNREGISTER of a region never told of */
	int refuse_after;                 /* refuse the REGISTER after this many; -1 never */
};

static int
log_cb(void *ctx, enum pnvme_mem_event event, void *vaddr, size_t len)
{
	struct region_log *l = ctx;
	uintptr_t a = (uintptr_t)vaddr;
	unsigned int i;

	if (event == PNVME_MEM_EVENT_REGISTER) {
		if (l->refuse_after >= 0 && l->registers == (unsigned int)l->refuse_after) {
			return -EPERM;
		}
		l->registers++;
		if (l->num < MAX_REGIONS) {
			l->start[l->num] = a;
			l->len[l->num] = len;
			l->num++;
		}
		return 0;
	}
	l->unregisters++;
	for (i = 0; i < l->num; i++) {
		if (a >= l->start[i] && a + len <= l->start[i] + l->len[i]) {
			/* The region (or the part of it that goes) leaves the map. */
			if (a == l->start[i] && len == l->len[i]) {
				l->start[i] = l->start[l->num - 1];
				l->len[i] = l->len[l->num - 1];
				l->num--;
			}
			return 0;
		}
	}
	l->unknown_unregisters++;
	return 0;
}

static bool
known(const struct region_log *l, const void *buf, size_t len)
{
	uintptr_t a = (uintptr_t)buf;
	unsigned int i;

	for (i = 0; i < l->num; i++) {
		if (a >= l->start[i] && a + len <= l->start[i] + l->len[i]) {
			return true;
		}
	}
	return false;
}

int
main(void)
{
	static struct region_log log = {.refuse_after = -1}, refuser = {.refuse_after = 0}, counter;
	struct pnvme_env_opts opts;
	void *small, *big, *big2, *later;
	unsigned int before;
	int rc;

	CHECK(pnvme_env_mem_notify_register(log_cb, &log) == -EINVAL,
	      "registering before the environment exists is refused");
	pnvme_env_opts_init(&opts, sizeof(opts));
	opts.name = "pnvme_env_test";
	rc = pnvme_env_init(&opts);
	CHECK(rc == 0, "environment up (%d)", rc);
	if (rc != 0) {
		return 1;
	}
	small = pnvme_dma_zmalloc(4096, 4096, NULL);
	CHECK(small != NULL, "a 4 KiB buffer before any callback");

	rc = pnvme_env_mem_notify_register(log_cb, &log);
	CHECK(rc == 0 && log.registers > 0, "a late callback hears of the %u regions there are (%d)",
	      log.registers, rc);
	CHECK(known(&log, small, 4096), "the earlier buffer lies in one of them");

	/* More than the heap holds yet: new memory, told of before it is used. */
	before = log.registers;
	big = pnvme_dma_zmalloc(96u << 20, 2u << 20, NULL);
	CHECK(big != NULL, "a 96 MiB buffer");
	CHECK(log.registers > before, "its memory arrived as new regions (%u)",
	      log.registers - before);
	CHECK(big != NULL && known(&log, big, 96u << 20), "the new buffer lies in a region told of");

	/* A callback that refuses its first region is not registered. */
	rc = pnvme_env_mem_notify_register(log_cb, &refuser);
	CHECK(rc == -EPERM, "a refusing callback is not registered (%d)", rc);
	CHECK(refuser.registers == refuser.unregisters && refuser.unknown_unregisters == 0,
	      "what it accepted before refusing was given back (%u of %u)", refuser.unregisters,
	      refuser.registers);
	/* Releases name only regions told of. Freeing a buffer below another
	 * one leaves a hole, so the memory is two runs from then on. */
	big2 = pnvme_dma_zmalloc(32u << 20, 2u << 20, NULL);
	CHECK(big2 != NULL, "a 32 MiB buffer after it");
	pnvme_dma_free(big);
	CHECK(log.unknown_unregisters == 0, "every release names a region told of (%u releases)",
	      log.unregisters);
	CHECK(big2 != NULL && known(&log, big2, 32u << 20), "the later buffer is still known");

	/* Refusing the last region, after accepting the others: those come
	 * back. (DPDK may have the memory as one contiguous run: then there is
	 * no region before the last, and nothing to check.) */
	counter.refuse_after = -1;
	if (pnvme_env_mem_notify_register(log_cb, &counter) == 0) {
		pnvme_env_mem_notify_unregister(log_cb, &counter);
	}
	if (counter.registers >= 2) {
		refuser.refuse_after = (int)counter.registers - 1;
		refuser.registers = refuser.unregisters = 0;
		rc = pnvme_env_mem_notify_register(log_cb, &refuser);
		CHECK(rc == -EPERM && refuser.registers == counter.registers - 1 &&
			      refuser.unregisters == refuser.registers,
		      "refused on its last region: the %u before it given back (%d, %u)",
		      refuser.registers, rc, refuser.unregisters);
	} else {
		printf("# one contiguous region: no region comes before a refused one\n");
	}


	CHECK(pnvme_env_mem_notify_unregister(log_cb, &log) == 0, "unregistered");
	CHECK(pnvme_env_mem_notify_unregister(log_cb, &log) == -ENOENT,
	      "unregistering twice: -ENOENT");
	before = log.registers + log.unregisters;
	later = pnvme_dma_zmalloc(96u << 20, 2u << 20, NULL);
	pnvme_dma_free(later);
	CHECK(log.registers + log.unregisters == before, "nothing more after unregistering");

	pnvme_dma_free(big2);
	pnvme_dma_free(small);
	pnvme_env_fini();
	printf("env: %s\n", g_failures ? "FAILED" : "passed");
	return g_failures ? 1 : 0;
}
