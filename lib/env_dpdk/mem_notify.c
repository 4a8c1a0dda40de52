/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DMA memory region notifications. Registrations change only with DPDK's
 * memory lock held for reading (and a mutex among registrants), and
 * events arrive with it held for writing, so the walk of existing regions
 * and the events that follow never miss or repeat a region, and the event
 * path reads the list without a lock of its own (taking one there could
 * deadlock with a registrant waiting for the memory lock).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include <rte_eal_memconfig.h>
#include <rte_memory.h>

#include "env_dpdk/mem_notify.h"
#include "util/util.h"

struct notifier {
	pnvme_mem_notify_cb cb;
	void *ctx;
	struct notifier *next;
};

static struct notifier *g_notifiers;
static pthread_mutex_t g_notifiers_lock = PTHREAD_MUTEX_INITIALIZER;

struct walk_ctx {
	const struct notifier *n;
	enum pnvme_mem_event event;
	/* Stop before this region (NULL: walk them all). */
	const void *stop_at;
	/* The callback's refusal and the region it refused. */
	int rc;
	const void *refused;
};

/* Each contiguous run of DMA memory (external memory is not ours). */
static int
walk_one(const struct rte_memseg_list *msl, const struct rte_memseg *ms, size_t len, void *arg)
{
	struct walk_ctx *w = arg;

	if (msl->external) {
		return 0;
	}
	if (w->stop_at != NULL && ms->addr == w->stop_at) {
		return 1;
	}
	w->rc = w->n->cb(w->n->ctx, w->event, ms->addr, len);
	if (w->rc != 0) {
		w->refused = ms->addr;
		return 1;
	}
	return 0;
}

int
pnvme_env_mem_notify_register(pnvme_mem_notify_cb cb, void *ctx)
{
	struct walk_ctx w = {.event = PNVME_MEM_EVENT_REGISTER};
	struct notifier *n;

	if (cb == NULL || !pnvme_env_is_initialized()) {
		PNVME_ERRLOG("env: mem_notify_register: %s",
			     cb == NULL ? "NULL callback" : "the environment is not initialised");
		return -EINVAL;
	}
	n = calloc(1, sizeof(*n));
	if (n == NULL) {
		PNVME_ERRLOG("env: mem_notify_register: out of memory");
		return -ENOMEM;
	}
	n->cb = cb;
	n->ctx = ctx;
	w.n = n;
	rte_mcfg_mem_read_lock();
	pthread_mutex_lock(&g_notifiers_lock);
	rte_memseg_contig_walk_thread_unsafe(walk_one, &w);
	if (w.rc != 0) {
		/* Give back what was accepted, up to the region refused. */
		struct walk_ctx undo = {
			.n = n, .event = PNVME_MEM_EVENT_UNREGISTER, .stop_at = w.refused};

		rte_memseg_contig_walk_thread_unsafe(walk_one, &undo);
		pthread_mutex_unlock(&g_notifiers_lock);
		rte_mcfg_mem_read_unlock();
		PNVME_ERRLOG("env: mem_notify_register: the region at %p was refused (%d)",
			     w.refused, w.rc);
		free(n);
		return w.rc;
	}
	n->next = g_notifiers;
	g_notifiers = n;
	pthread_mutex_unlock(&g_notifiers_lock);
	rte_mcfg_mem_read_unlock();
	return 0;
}

int
pnvme_env_mem_notify_unregister(pnvme_mem_notify_cb cb, void *ctx)
{
	struct notifier **p, *n = NULL;

	rte_mcfg_mem_read_lock();
	pthread_mutex_lock(&g_notifiers_lock);
	for (p = &g_notifiers; *p != NULL; p = &(*p)->next) {
		if ((*p)->cb == cb && (*p)->ctx == ctx) {
			n = *p;
			*p = n->next;
			break;
		}
	}
	pthread_mutex_unlock(&g_notifiers_lock);
	rte_mcfg_mem_read_unlock();
	if (n == NULL) {
		PNVME_ERRLOG("env: mem_notify_unregister: callback not registered");
		return -ENOENT;
	}
	free(n);
	return 0;
}

void
env_mem_notify_event(enum pnvme_mem_event event, void *vaddr, size_t len)
{
	const struct notifier *n;
	int rc;

	for (n = g_notifiers; n != NULL; n = n->next) {
		rc = n->cb(n->ctx, event, vaddr, len);
		if (rc != 0) {
			PNVME_ERRLOG("env: a memory %s of %zu bytes at %p was refused (%d)",
				     event == PNVME_MEM_EVENT_REGISTER ? "region" : "release", len,
				     vaddr, rc);
		}
	}
}

void
env_mem_notify_reset(void)
{
	struct notifier *n;

	while ((n = g_notifiers) != NULL) {
		g_notifiers = n->next;
		free(n);
	}
}
