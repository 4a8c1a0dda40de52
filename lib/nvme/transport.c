/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The transport registry: one operations table per transport type.
 */
#include <errno.h>

#include "nvme/nvme_internal.h"

extern const struct nvme_transport_ops g_nvme_pcie_ops;
extern const struct nvme_transport_ops g_nvme_tcp_ops;

#define MAX_TRANSPORTS 8

static const struct nvme_transport_ops *g_transports[MAX_TRANSPORTS] = {
	&g_nvme_pcie_ops,
	&g_nvme_tcp_ops,
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
