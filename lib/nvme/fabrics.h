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

/* A fabrics transport's queue connection (the transport's part of a
 * Connect): open it (0 or -errno, logged) and close it again. */
struct nvme_fabric_queue_ops {
	int (*open)(struct pnvme_qpair *qpair);
	/* The same in steps (bring-up): start, then poll until 0 (open) or
	 * -errno (logged); -EAGAIN while under way. Never waits. */
	int (*open_start)(struct pnvme_qpair *qpair);
	int (*open_poll)(struct pnvme_qpair *qpair);
	void (*close)(struct pnvme_qpair *qpair);
};

/*
 * Connect I/O qpair @p qpair (its ID and queue size) on a new connection
 * of its transport, to the controller the admin queue connected to. While
 * the controller is busy or still tearing down an earlier queue with this
 * ID, again, for up to the admin timeout. 0 or -errno (logged); on failure
 * the connection is closed. The transport ops' qpair_connect for fabrics.
 */
int nvme_fabric_qpair_connect(struct pnvme_qpair *qpair);
/* Close its connection (the target deletes the queue): qpair_disconnect. */
void nvme_fabric_qpair_disconnect(struct pnvme_qpair *qpair);

/*
 * Bring-up's second step on fabrics, once the admin queue's connection is
 * open: submit its Connect (a new controller ID, and the association's
 * Keep Alive Timeout), with @p buf (1 KiB or more, kept until completion)
 * for its data. 0 or -errno (logged).
 */
int nvme_fabric_admin_connect_start(struct pnvme_ctrlr *ctrlr, void *buf, pnvme_cmd_cb cb_fn,
				    void *cb_arg);
/* Its completion: records the controller ID; 0 or -errno (logged). */
int nvme_fabric_admin_connect_done(struct pnvme_ctrlr *ctrlr, const struct pnvme_cpl *cpl);

/* true when @p nqn is the well-known discovery NQN. */
bool nvme_fabric_nqn_is_discovery(const char *nqn);
/* A transport ID without a subsystem NQN names the discovery service. */
void nvme_fabric_trid_default_subnqn(struct pnvme_transport_id *trid);

/* The transport ops' scan for every fabrics transport: the subsystem named
 * by probe->trid, or every NVM subsystem on the same transport that the
 * discovery service it names lists. */
int nvme_fabric_scan(struct nvme_probe_ctx *probe);

/* Keep Alive every KATO/2 (called from the admin poll at @p now). */
void nvme_fabric_keep_alive(struct pnvme_ctrlr *ctrlr, uint64_t now);

/* Registers as properties: the transport ops' register access for every
 * fabrics transport (synchronous admin commands). */
int nvme_fabric_get_reg_4(struct pnvme_ctrlr *ctrlr, uint32_t offset, uint32_t *value);
int nvme_fabric_get_reg_8(struct pnvme_ctrlr *ctrlr, uint32_t offset, uint64_t *value);
int nvme_fabric_set_reg_4(struct pnvme_ctrlr *ctrlr, uint32_t offset, uint32_t value);
int nvme_fabric_set_reg_8(struct pnvme_ctrlr *ctrlr, uint32_t offset, uint64_t value);

/* Property Get/Set of a controller register (4 or 8 bytes), synchronous. */
int nvme_fabric_prop_get(struct pnvme_ctrlr *ctrlr, uint32_t offset, uint8_t size,
			 uint64_t *value);
int nvme_fabric_prop_set(struct pnvme_ctrlr *ctrlr, uint32_t offset, uint8_t size,
			 uint64_t value);

/* The same, not waited for (bring-up's steps): 0 or -errno; the answer
 * comes to @p cb_fn, and nvme_fabric_prop_value() reads a Get's value. */
int nvme_fabric_prop_submit(struct pnvme_ctrlr *ctrlr, bool set, uint32_t offset, uint8_t size,
			    uint64_t value, pnvme_cmd_cb cb_fn, void *cb_arg);
uint64_t nvme_fabric_prop_value(const struct pnvme_cpl *cpl, uint8_t size);

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
