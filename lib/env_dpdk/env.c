/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Environment start-up, DMA memory, address translation and time, on DPDK's
 * EAL. No DPDK header is included outside lib/env_dpdk.
 */
#include <ctype.h>
#include <errno.h>
#include <stdatomic.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_memory.h>

#include "env_dpdk/mem_notify.h"
#include "pnvme/env.h"
#include "util/util.h"

static bool g_env_initialized;
static bool g_no_hugepages;
static bool g_iova_is_va;

/*
 * Address translation runs several times per I/O, so each thread remembers
 * the last memory segment it resolved. DPDK may release and re-map hugepages
 * as its heap shrinks and grows; every such event bumps the generation and
 * so invalidates every thread's remembered segment.
 */
struct seg_cache {
	uintptr_t start;
	uint64_t len;
	uint64_t iova;
	uint64_t generation;
};
static __thread struct seg_cache t_seg;
static _Atomic uint64_t g_mem_generation = 1;

static void
mem_event_cb(enum rte_mem_event event, const void *addr, size_t len, void *arg)
{
	(void)arg;
	atomic_fetch_add_explicit(&g_mem_generation, 1, memory_order_release);
	env_mem_notify_event(event == RTE_MEM_EVENT_ALLOC ? PNVME_MEM_EVENT_REGISTER
							  : PNVME_MEM_EVENT_UNREGISTER,
			     (void *)addr, len);
}

void
pnvme_env_opts_init(struct pnvme_env_opts *opts, size_t opts_size)
{
	struct pnvme_env_opts d;

	if (opts == NULL || opts_size == 0) {
		return;
	}
	memset(&d, 0, sizeof(d));
	d.name = "pnvme";
	d.core_mask = "0x1";
	d.opts_size = PNVME_MIN(opts_size, sizeof(d));
	memcpy(opts, &d, d.opts_size);
}

bool
pnvme_env_is_initialized(void)
{
	return g_env_initialized;
}

bool
pnvme_env_has_dma_memory(void)
{
	return g_env_initialized && !g_no_hugepages;
}

/* Free hugepages of every size, summed in pages. */
static unsigned long
free_hugepages(void)
{
	unsigned long total = 0, n;
	glob_t g;
	size_t i;
	FILE *f;

	if (glob("/sys/kernel/mm/hugepages/hugepages-*/free_hugepages", 0, NULL, &g) != 0) {
		return 0;
	}
	for (i = 0; i < g.gl_pathc; i++) {
		f = fopen(g.gl_pathv[i], "r");
		if (f == NULL) {
			continue;
		}
		if (fscanf(f, "%lu", &n) == 1) {
			total += n;
		}
		fclose(f);
	}
	globfree(&g);
	return total;
}

static bool
is_hex_mask(const char *s)
{
	if (strncasecmp(s, "0x", 2) == 0) {
		s += 2;
	}
	if (*s == '\0') {
		return false;
	}
	for (; *s != '\0'; s++) {
		if (!isxdigit((unsigned char)*s)) {
			return false;
		}
	}
	return true;
}

int
pnvme_env_init(const struct pnvme_env_opts *user_opts)
{
	struct pnvme_env_opts opts;
	char core_arg[64], mem_arg[32], iova_arg[32], log_arg[48];
	char *argv[16];
	int argc = 0;
	int rc;

	if (g_env_initialized) {
		return -EALREADY;
	}
	pnvme_env_opts_init(&opts, sizeof(opts));
	if (user_opts != NULL) {
		memcpy(&opts, user_opts, PNVME_MIN(user_opts->opts_size, sizeof(opts)));
	}
	if (opts.name == NULL) {
		opts.name = "pnvme";
	}
	if (opts.core_mask == NULL || !is_hex_mask(opts.core_mask)) {
		PNVME_ERRLOG("env: core mask '%s' is not a hexadecimal mask",
			     opts.core_mask ? opts.core_mask : "(null)");
		return -EINVAL;
	}
	if (opts.iova_mode != NULL && strcasecmp(opts.iova_mode, "auto") != 0 &&
	    strcasecmp(opts.iova_mode, "pa") != 0 && strcasecmp(opts.iova_mode, "va") != 0) {
		PNVME_ERRLOG("env: IOVA mode '%s' is not auto, pa or va", opts.iova_mode);
		return -EINVAL;
	}
	if (!opts.no_hugepages && free_hugepages() == 0) {
		PNVME_ERRLOG("env: no free hugepages; reserve some with 'scripts/setup.sh config' "
			     "(HUGEMEM=<MiB>)");
		return -ENOMEM;
	}

	argv[argc++] = (char *)opts.name;
	snprintf(core_arg, sizeof(core_arg), "-c%s", opts.core_mask);
	argv[argc++] = core_arg;
	/* pnvme drives PCI itself; DPDK only provides memory. No files in
	 * /var/run or hugetlbfs, so several processes can run side by side. */
	argv[argc++] = (char *)"--no-pci";
	/* Without hugepages there are no hugetlbfs files; --in-memory does
	 * not go with --no-huge, --no-shconf does the rest of its job. */
	argv[argc++] = (char *)(opts.no_hugepages ? "--no-shconf" : "--in-memory");
	argv[argc++] = (char *)"--no-telemetry";
	snprintf(log_arg, sizeof(log_arg), "--log-level=%s", opts.verbose ? "info" : "error");
	argv[argc++] = log_arg;
	if (opts.no_hugepages) {
		argv[argc++] = (char *)"--no-huge";
		if (opts.mem_size_mb == 0) {
			opts.mem_size_mb = 256;
		}
	}
	if (opts.mem_size_mb > 0) {
		snprintf(mem_arg, sizeof(mem_arg), "-m%zu", opts.mem_size_mb);
		argv[argc++] = mem_arg;
	}
	if (opts.iova_mode != NULL && strcasecmp(opts.iova_mode, "auto") != 0) {
		snprintf(iova_arg, sizeof(iova_arg), "--iova-mode=%s", opts.iova_mode);
		argv[argc++] = iova_arg;
	}
	argv[argc] = NULL;

	rc = rte_eal_init(argc, argv);
	if (rc < 0) {
		PNVME_ERRLOG("env: initialisation failed: %s", rte_strerror(rte_errno));
		return rte_errno > 0 ? -rte_errno : -EIO;
	}
	g_env_initialized = true;
	g_no_hugepages = opts.no_hugepages;
	g_iova_is_va = rte_eal_iova_mode() == RTE_IOVA_VA;
	if (rte_mem_event_callback_register("pnvme-vtophys", mem_event_cb, NULL) != 0 &&
	    rte_errno != ENOTSUP) {
		/* ENOTSUP: legacy memory, never released, so no events to miss. */
		PNVME_ERRLOG("env: cannot watch memory events: %s", rte_strerror(rte_errno));
		rte_eal_cleanup();
		g_env_initialized = false;
		return -rte_errno;
	}
	PNVME_INFOLOG("env: ready, IOVA mode %s",
		      rte_eal_iova_mode() == RTE_IOVA_VA ? "VA" : "PA");
	return 0;
}

void
pnvme_env_fini(void)
{
	if (g_env_initialized) {
		env_mem_notify_reset();
		rte_eal_cleanup();
		g_env_initialized = false;
	}
}

void *
pnvme_dma_zmalloc(size_t size, size_t align, uint64_t *iova)
{
	void *buf;

	if (size == 0 || (align & (align - 1)) != 0) {
		PNVME_ERRLOG("dma_zmalloc: size %zu or alignment %zu is invalid", size, align);
		return NULL;
	}
	buf = rte_zmalloc(NULL, size, align ? align : 64);
	if (buf != NULL && iova != NULL) {
		*iova = pnvme_vtophys(buf, NULL);
	}
	return buf;
}

void
pnvme_dma_free(void *buf)
{
	rte_free(buf);
}

uint64_t
pnvme_vtophys(const void *buf, uint64_t *size)
{
	uint64_t generation = atomic_load_explicit(&g_mem_generation, memory_order_acquire);
	uintptr_t va = (uintptr_t)buf;
	const struct rte_memseg *ms;
	uint64_t offset;

	if (t_seg.generation != generation || va - t_seg.start >= t_seg.len) {
		/* Only hugepage memory is pinned and mapped for the device. */
		ms = rte_mem_virt2memseg(buf, NULL);
		if (ms == NULL || ms->iova == RTE_BAD_IOVA) {
			return PNVME_VTOPHYS_ERROR;
		}
		t_seg.start = (uintptr_t)ms->addr;
		t_seg.len = ms->len;
		t_seg.iova = ms->iova;
		t_seg.generation = generation;
	}
	offset = va - t_seg.start;
	if (size != NULL && !g_iova_is_va) {
		/* In VA mode IOVA equals VA: contiguous everywhere. */
		*size = PNVME_MIN(*size, t_seg.len - offset);
	}
	return t_seg.iova + offset;
}

uint64_t
pnvme_get_ticks(void)
{
	return rte_get_timer_cycles();
}

uint64_t
pnvme_get_ticks_hz(void)
{
	return rte_get_timer_hz();
}

void
pnvme_delay_us(uint32_t us)
{
	rte_delay_us_block(us);
}
