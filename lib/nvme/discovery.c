/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reading a discovery service's log: for probing (the transports) and for
 * pnvme_discover(), for applications and tools that want to see the entries
 * rather than attach them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nvme/fabrics.h"

int
nvme_discovery_fetch(const struct pnvme_transport_id *dtrid, const struct pnvme_ctrlr_opts *opts,
		     struct pnvme_discovery_log_entry **entries, uint32_t *num, uint64_t *genctr)
{
	struct pnvme_ctrlr *ctrlr;
	int rc;

	ctrlr = nvme_probe_connect_direct(dtrid, opts);
	if (ctrlr == NULL) {
		PNVME_ERRLOG("%s:%s: cannot reach the discovery service", dtrid->traddr,
			     dtrid->trsvcid);
		return -EIO;
	}
	rc = nvme_fabric_read_discovery_log(ctrlr, entries, num, genctr);
	nvme_ctrlr_shutdown_and_free(ctrlr);
	return rc;
}

int
pnvme_discover(const struct pnvme_transport_id *trid, const struct pnvme_ctrlr_opts *opts,
	       size_t opts_size, void *cb_ctx, pnvme_discovery_cb cb, uint64_t *genctr)
{
	struct pnvme_discovery_log_entry *entries = NULL;
	struct pnvme_transport_id dtrid, etrid;
	const struct nvme_transport_ops *ops;
	struct pnvme_ctrlr_opts o;
	uint32_t num = 0, i;
	int rc;

	if (trid == NULL || cb == NULL) {
		PNVME_ERRLOG("discover: NULL transport ID or callback");
		return -EINVAL;
	}
	ops = nvme_transport_get_ops(trid->trtype);
	if (ops == NULL || !ops->fabrics) {
		PNVME_ERRLOG("discover: %s is not a fabrics transport available in this build",
			     pnvme_transport_type_str(trid->trtype) ? pnvme_transport_type_str(trid->trtype)
								     : "(unknown)");
		return -EINVAL;
	}
	dtrid = *trid;
	if (dtrid.subnqn[0] == '\0') {
		snprintf(dtrid.subnqn, sizeof(dtrid.subnqn), "%s", PNVME_DISCOVERY_NQN);
	}
	if (strcmp(dtrid.subnqn, PNVME_DISCOVERY_NQN) != 0) {
		PNVME_ERRLOG("discover: %s is not the discovery NQN (%s)", dtrid.subnqn,
			     PNVME_DISCOVERY_NQN);
		return -EINVAL;
	}
	rc = nvme_env_ready();
	if (rc != 0) {
		return rc;
	}
	nvme_ctrlr_opts_copy(&o, opts, opts != NULL ? opts_size : 0);
	rc = nvme_discovery_fetch(&dtrid, &o, &entries, &num, genctr);
	if (rc != 0) {
		return rc;
	}
	for (i = 0; i < num; i++) {
		rc = nvme_discovery_entry_to_trid(&entries[i], &etrid);
		cb(cb_ctx, &entries[i], rc == 0 ? &etrid : NULL);
	}
	free(entries);
	return 0;
}
