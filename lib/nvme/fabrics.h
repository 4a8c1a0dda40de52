/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NVMe over Fabrics commands shared by the fabrics transports: Connect,
 * Property Get/Set, and reading the Discovery Log Page.
 */
#ifndef PNVME_FABRICS_H
#define PNVME_FABRICS_H

#include "nvme/nvme_internal.h"

/* Most discovery log entries read (1 MiB of log). */
#define NVME_DISCOVERY_MAX_ENTRIES 1024u

/*
 * Connect @p qpair (queue @p qid, @p sqsize entries) to the controller's
 * subsystem, polling it until the answer or @p timeout_ms. @p cntlid is
 * 0xffff for the admin queue; *cntlid_out gets the controller's ID.
 * 0; -EAGAIN when the controller is busy or still tearing down an earlier
 * queue with this ID (not logged: the caller retries); or another -errno
 * with a line naming the refusal.
 */
int nvme_fabric_connect(struct pnvme_qpair *qpair, uint16_t qid, uint16_t sqsize, uint32_t kato_ms,
			uint16_t cntlid, uint32_t timeout_ms, uint16_t *cntlid_out);

/* Property Get/Set of a controller register (4 or 8 bytes), synchronous. */
int nvme_fabric_prop_get(struct pnvme_ctrlr *ctrlr, uint32_t offset, uint8_t size,
			 uint64_t *value);
int nvme_fabric_prop_set(struct pnvme_ctrlr *ctrlr, uint32_t offset, uint8_t size,
			 uint64_t value);

/* Read @p len bytes of the log from byte @p offset into @p buf: 0 or -errno. */
typedef int (*nvme_discovery_read_fn)(void *ctx, uint64_t offset, void *buf, uint32_t len);

/*
 * Read a whole, consistent Discovery Log Page: the header, then the entries
 * (in pieces of at most @p chunk bytes), then the header again; when the
 * generation counter changed meanwhile, start over (a few times at most).
 * On success *entries (malloc'd, free() it) holds *num entries.
 */
int nvme_discovery_log_read(nvme_discovery_read_fn read_fn, void *ctx, uint32_t chunk,
			    struct pnvme_discovery_log_entry **entries, uint32_t *num,
			    uint64_t *genctr);

/* The transport ID an entry describes: 0, or -ENOTSUP / -EINVAL (logged). */
int nvme_discovery_entry_to_trid(const struct pnvme_discovery_log_entry *entry,
				 struct pnvme_transport_id *trid);

/* Connect to the discovery service at @p dtrid (opts may be NULL), read its
 * whole log, disconnect. 0 or -errno (logged). */
int nvme_discovery_fetch(const struct pnvme_transport_id *dtrid, const struct pnvme_ctrlr_opts *opts,
			 struct pnvme_discovery_log_entry **entries, uint32_t *num,
			 uint64_t *genctr);

/* Read the Discovery Log Page of a connected discovery controller. */
int nvme_fabric_read_discovery_log(struct pnvme_ctrlr *ctrlr,
				   struct pnvme_discovery_log_entry **entries, uint32_t *num,
				   uint64_t *genctr);

#endif
