/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SIGBUS after surprise removal: on some platforms an access to the BAR of
 * a device that left the bus raises SIGBUS instead of reading all ones.
 * The handler replaces the mapped BAR under the faulting address with
 * anonymous memory filled with 0xFF bytes, so the access, retried on
 * return, reads all ones and the driver's removal check sees a device that
 * is gone. Faults outside every guarded range go to the handler installed
 * before ours.
 *
 * The handler takes no lock and allocates nothing: ranges live in a fixed
 * table whose slots are published with atomic stores.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "util/util.h"

#define BAR_GUARD_SLOTS 64

struct bar_guard_slot {
	uintptr_t start; /* 0: free */
	size_t len;
};

static struct bar_guard_slot g_slots[BAR_GUARD_SLOTS];
static pthread_mutex_t g_guard_lock = PTHREAD_MUTEX_INITIALIZER;
static bool g_handler_installed;
static struct sigaction g_previous;

/* Hand a fault that is not ours to whoever handled SIGBUS before. */
static void
chain_previous(int sig, siginfo_t *info, void *uctx)
{
	if (g_previous.sa_flags & SA_SIGINFO) {
		if (g_previous.sa_sigaction != NULL) {
			g_previous.sa_sigaction(sig, info, uctx);
			return;
		}
	} else if (g_previous.sa_handler == SIG_IGN) {
		return;
	} else if (g_previous.sa_handler != SIG_DFL && g_previous.sa_handler != NULL) {
		g_previous.sa_handler(sig);
		return;
	}
	/* The default action: terminate as if we had never been here. SIGBUS
	 * is blocked while this runs, so the raised one is taken on return. */
	signal(SIGBUS, SIG_DFL);
	raise(SIGBUS);
}

static void
bar_guard_handler(int sig, siginfo_t *info, void *uctx)
{
	uintptr_t addr = (uintptr_t)info->si_addr;
	uintptr_t start;
	size_t len, i;
	void *p;

	for (i = 0; i < BAR_GUARD_SLOTS; i++) {
		start = __atomic_load_n(&g_slots[i].start, __ATOMIC_ACQUIRE);
		len = __atomic_load_n(&g_slots[i].len, __ATOMIC_RELAXED);
		if (start == 0 || addr < start || addr - start >= len) {
			continue;
		}
		/* Not on POSIX's list, but on Linux mmap is a bare system
		 * call with no user-space state: safe in a handler. */
		p = mmap((void *)start, len, PROT_READ | PROT_WRITE,
			 MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			break;
		}
		for (volatile uint8_t *b = p; b < (volatile uint8_t *)p + len; b++) {
			*b = 0xFF;
		}
		return;
	}
	chain_previous(sig, info, uctx);
}

static int
install_handler(void)
{
	struct sigaction sa;

	if (g_handler_installed) {
		return 0;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = bar_guard_handler;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, &g_previous) != 0) {
		return -errno;
	}
	g_handler_installed = true;
	return 0;
}

int
pnvme_bar_guard_add(void *addr, size_t len)
{
	size_t i;
	int rc;

	if (addr == NULL || len == 0) {
		return -EINVAL;
	}
	pthread_mutex_lock(&g_guard_lock);
	rc = install_handler();
	if (rc != 0) {
		pthread_mutex_unlock(&g_guard_lock);
		PNVME_WARNLOG("cannot install the SIGBUS handler: %s", strerror(-rc));
		return rc;
	}
	for (i = 0; i < BAR_GUARD_SLOTS; i++) {
		if (g_slots[i].start == 0) {
			/* Length first: the handler trusts it once start is set. */
			__atomic_store_n(&g_slots[i].len, len, __ATOMIC_RELAXED);
			__atomic_store_n(&g_slots[i].start, (uintptr_t)addr, __ATOMIC_RELEASE);
			pthread_mutex_unlock(&g_guard_lock);
			return 0;
		}
	}
	pthread_mutex_unlock(&g_guard_lock);
	PNVME_WARNLOG("more than %d BARs mapped: a SIGBUS on the next one is not caught",
		      BAR_GUARD_SLOTS);
	return -ENOSPC;
}

void
pnvme_bar_guard_remove(void *addr)
{
	size_t i;

	pthread_mutex_lock(&g_guard_lock);
	for (i = 0; i < BAR_GUARD_SLOTS; i++) {
		if (g_slots[i].start == (uintptr_t)addr && addr != NULL) {
			__atomic_store_n(&g_slots[i].start, 0, __ATOMIC_RELEASE);
		}
	}
	pthread_mutex_unlock(&g_guard_lock);
}
