/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The transport registry: one operations table per transport type, those
 * the build was configured with first, then any registered at run time.
 */
#include <errno.h>

#include "nvme/nvme_internal.h"

/* The transports this build has, as X(name) entries (each defines
 * g_nvme_<name>_ops): set by the build from ./configure, so a transport
 * left out is simply absent here. */
#ifndef NVME_TRANSPORT_LIST
#error "NVME_TRANSPORT_LIST must name the transports built (see the Makefile)"
#endif

#define X(name) extern const struct nvme_transport_ops g_nvme_##name##_ops;
NVME_TRANSPORT_LIST
#undef X

#define MAX_TRANSPORTS 8

static const struct nvme_transport_ops *g_transports[MAX_TRANSPORTS] = {
#define X(name) &g_nvme_##name##_ops,
	NVME_TRANSPORT_LIST
#undef X
};

const struct nvme_transport_ops *
nvme_transport_get_ops(enum pnvme_transport_type type)
{
	size_t i;

	for (i = 0; i < MAX_TRANSPORTS && g_transports[i] != NULL; i++) {
		if (g_transports[i]->type == type) {
			return g_transports[i];
		}
	}
	return NULL;
}

int
nvme_transport_register(const struct nvme_transport_ops *ops)
{
	size_t i;

	for (i = 0; i < MAX_TRANSPORTS; i++) {
		if (g_transports[i] == NULL) {
			g_transports[i] = ops;
			return 0;
		}
		if (g_transports[i]->type == ops->type) {
			return -EEXIST;
		}
	}
	return -ENOSPC;
}
