/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private structures of the core: requests, queue pairs, controllers,
 * namespaces and the transport operations table.
 */
#ifndef PNVME_NVME_INTERNAL_H
#define PNVME_NVME_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include "pnvme/env.h"
#include "pnvme/nvme.h"
#include "util/util.h"

struct nvme_probe_ctx;

/* ------------------------------------------------------------------ */
/* Requests and queue pairs                                            */
/* ------------------------------------------------------------------ */

/* One command in flight. Preallocated per qpair; hot fields first. */
struct nvme_request {
	struct pnvme_cmd cmd;
	pnvme_cmd_cb cb_fn;
	void *cb_arg;
	/* Data: a contiguous buffer, or @p iov from byte @p payload_offset. */
	void *payload;
	const struct iovec *iov;
	uint32_t payload_size;
	uint32_t payload_offset;
	uint16_t iovcnt;
	/* Splitting: children point at their parent; the parent counts them. */
	uint16_t num_children;
	struct nvme_request *parent;
	struct pnvme_cpl parent_cpl; /* first error among the children */
	struct pnvme_qpair *qpair;
	/* Work a completion must do besides the callback (NVME_REQ_*): one
	 * test on the hot path, zero nearly always. */
	uint8_t completion_hooks;
	/* Error injection (err_inject.c): complete with this status instead
	 * of the device's; a held request completes at @p held_until. */
	uint8_t injected_sct;
	uint8_t injected_sc;
	uint64_t held_until;
	/* Timeouts (timeout.c), only while the qpair has one: when it was
	 * submitted, its place among the qpair's commands, reported yet. */
	bool timeout_reported;
	uint64_t submit_tick;
	TAILQ_ENTRY(nvme_request) timeout_link;
	STAILQ_ENTRY(nvme_request) link;
};

/* nvme_request.completion_hooks */
#define NVME_REQ_TIMEOUT_TRACKED (1u << 0) /* on the qpair's timed_reqs */
#define NVME_REQ_STATUS_INJECTED (1u << 1) /* complete with injected_sct/sc */

/* A line about a controller, prefixed with its address. */
#define CTRLR_ERRLOG(ctrlr, fmt, ...) \
	PNVME_ERRLOG("%s: " fmt, (ctrlr)->trid.traddr, ##__VA_ARGS__)
#define CTRLR_NOTICELOG(ctrlr, fmt, ...) \
	PNVME_NOTICELOG("%s: " fmt, (ctrlr)->trid.traddr, ##__VA_ARGS__)

struct nvme_err_injection;
struct nvme_abort;
struct nvme_aer;
struct nvme_fabric_queue_ops;

/* Generic part of a queue pair; each transport embeds it first. */
struct pnvme_qpair {
	const struct nvme_transport_ops *ops; /* cached: no lookup per I/O */
	struct pnvme_ctrlr *ctrlr;
	uint16_t id;
	/* Not connected: submissions get -ENXIO. A reset clears it again
	 * (nvme_qpair_follow_ctrlr, pnvme_ctrlr_reconnect_io_qpair). */
	bool failed;
	/* The controller's epoch this qpair has acted on, and the association
	 * (reset generation) its connection belongs to. */
	uint32_t epoch;
	uint32_t generation;
	/* Entries of its queue (the transport's ring or connection). */
	uint32_t queue_size;
	/* Requests submitted but not yet completed, for leak-free teardown. */
	uint32_t num_outstanding;
	STAILQ_HEAD(, nvme_request) free_reqs;
	uint32_t num_free_reqs;
	/* Requests waiting, in order, for a free submission slot. */
	STAILQ_HEAD(, nvme_request) queued_reqs;
	struct nvme_request *reqs;
	uint32_t num_reqs;
	/* A fused FIRST waiting for its SECOND; nothing else may come between. */
	struct nvme_request *fused_first;
	/* Error injection or a timeout set: the submit path has work beyond
	 * the transport (one test on the hot path). */
	bool submit_hooks;
	/* Error injection: NULL unless the application set one, and the
	 * requests held back from the device. */
	struct nvme_err_injection *err_injections;
	STAILQ_HEAD(, nvme_request) held_reqs;
	/* Timeouts: ticks a command may take (0: none recorded), and the
	 * commands recorded, oldest first. */
	uint64_t timeout_ticks;
	TAILQ_HEAD(, nvme_request) timed_reqs;
	TAILQ_ENTRY(pnvme_qpair) ctrlr_link; /* in the controller's I/O qpair list */
	/* Poll group membership (poll_group.c): the group, the transport's
	 * part of it (NULL when the transport has none), and, for the
	 * group's current poll only, "the transport's readiness check found
	 * nothing to receive" (the receive call is skipped). */
	struct pnvme_poll_group *group;
	struct nvme_transport_poll_group *tgroup;
	bool recv_idle;
	TAILQ_ENTRY(pnvme_qpair) group_link;
};

int nvme_qpair_init(struct pnvme_qpair *qpair, struct pnvme_ctrlr *ctrlr, uint16_t id,
		    uint32_t num_reqs);
void nvme_qpair_fini(struct pnvme_qpair *qpair);

static inline struct nvme_request *
nvme_qpair_alloc_request(struct pnvme_qpair *qpair, pnvme_cmd_cb cb_fn, void *cb_arg)
{
	struct nvme_request *req = STAILQ_FIRST(&qpair->free_reqs);

	if (pnvme_unlikely(req == NULL)) {
		return NULL;
	}
	STAILQ_REMOVE_HEAD(&qpair->free_reqs, link);
	qpair->num_free_reqs--;
	req->cb_fn = cb_fn;
	req->cb_arg = cb_arg;
	req->payload = NULL;
	req->iov = NULL;
	req->iovcnt = 0;
	req->payload_size = 0;
	req->payload_offset = 0;
	req->num_children = 0;
	req->parent = NULL;
	req->completion_hooks = 0;
	return req;
}

static inline void
nvme_qpair_free_request(struct pnvme_qpair *qpair, struct nvme_request *req)
{
	STAILQ_INSERT_HEAD(&qpair->free_reqs, req, link);
	qpair->num_free_reqs++;
}

/* Hand a request to the transport, or queue it behind earlier ones. */
int nvme_qpair_submit_request(struct pnvme_qpair *qpair, struct nvme_request *req);
/* Run the callback and return the request to the pool. */
void nvme_qpair_complete_request(struct pnvme_qpair *qpair, struct nvme_request *req,
				 const struct pnvme_cpl *cpl);
/* Complete a request that never reached the device with @p sc, DNR set. */
void nvme_qpair_complete_request_status(struct pnvme_qpair *qpair, struct nvme_request *req,
					uint8_t sct, uint8_t sc);
/* A command waited for synchronously (control path only): its callback
 * argument, filled by nvme_sync_cmd_done. */
struct nvme_sync_cmd {
	bool done;
	struct pnvme_cpl cpl;
};
void nvme_sync_cmd_done(void *arg, const struct pnvme_cpl *cpl);
/*
 * Poll @p qpair until @p sc is done: 0, -ENXIO (the queue failed), or
 * -ETIMEDOUT after @p timeout_ms. On a timeout the queue is failed first
 * (the controller, for the admin queue) with one line naming @p what, so
 * the command has completed, exactly once, before this returns: its
 * callback argument may live in the caller's frame.
 */
int nvme_qpair_wait_sync(struct pnvme_qpair *qpair, struct nvme_sync_cmd *sc, uint32_t timeout_ms,
			 const char *what);
/* Error injection (err_inject.c), reached only when one is set. true when
 * @p req was held back from the device (it completes later, as injected). */
bool nvme_err_inject_submit(struct pnvme_qpair *qpair, struct nvme_request *req);
/* Complete the held requests whose time has come (all of them, aborted,
 * when @p fail). */
void nvme_err_inject_complete_held(struct pnvme_qpair *qpair, bool fail);
/* Drop every injection of @p qpair (it is being freed). */
void nvme_err_inject_clear(struct pnvme_qpair *qpair);
/* Recompute qpair->submit_hooks after an injection or timeout changed. */
static inline void
nvme_qpair_update_submit_hooks(struct pnvme_qpair *qpair)
{
	qpair->submit_hooks = qpair->err_injections != NULL || qpair->timeout_ticks != 0;
}

/* Timeouts (timeout.c), reached only while the qpair has one. */
void nvme_timeout_track(struct pnvme_qpair *qpair, struct nvme_request *req);
void nvme_timeout_untrack(struct pnvme_qpair *qpair, struct nvme_request *req);
/* Report each recorded command older than the qpair's timeout, once. */
void nvme_timeout_check(struct pnvme_qpair *qpair);
/* Resubmit queued requests while the transport accepts them. */
void nvme_qpair_resubmit_queued(struct pnvme_qpair *qpair);
/* Mark failed and complete every outstanding and queued request once. */
void nvme_qpair_fail(struct pnvme_qpair *qpair);
/* The controller's epoch moved (failure, reset): act on it in the qpair's
 * own thread. Disconnect a connection of an earlier association (its
 * requests complete once, aborted) and, on PCIe, connect it again once the
 * controller is live. Never on the I/O path unless the epoch changed. */
void nvme_qpair_follow_ctrlr(struct pnvme_qpair *qpair);
/* Connect @p qpair again in the current association (ctrlr lock taken):
 * 0, -EAGAIN while the controller resets, or -ENXIO (logged). */
int nvme_qpair_reconnect(struct pnvme_qpair *qpair);
/* Disconnect: the transport tears down the device side (what the device
 * gives back completes), then everything left completes aborted. */
void nvme_qpair_disconnect(struct pnvme_qpair *qpair);
int32_t nvme_qpair_process_completions(struct pnvme_qpair *qpair, uint32_t max);

/* ------------------------------------------------------------------ */
/* Transports                                                          */
/* ------------------------------------------------------------------ */

struct nvme_transport_ops {
	const char *name;
	enum pnvme_transport_type type;
	/* Registers are properties reached by admin commands; keep-alive applies. */
	bool fabrics;
	/* Data buffers may be any memory (no DMA translation needed). */
	bool any_memory;

	/* Find controllers matching probe->trid; nvme_probe_offer() each. */
	int (*scan)(struct nvme_probe_ctx *probe);
	/* Build a controller object with its admin qpair (not yet enabled). */
	struct pnvme_ctrlr *(*ctrlr_construct)(const struct pnvme_transport_id *trid,
					       const struct pnvme_ctrlr_opts *opts,
					       void *devhandle);
	void (*ctrlr_destruct)(struct pnvme_ctrlr *ctrlr);

	int (*ctrlr_get_reg_4)(struct pnvme_ctrlr *ctrlr, uint32_t offset, uint32_t *value);
	int (*ctrlr_get_reg_8)(struct pnvme_ctrlr *ctrlr, uint32_t offset, uint64_t *value);
	int (*ctrlr_set_reg_4)(struct pnvme_ctrlr *ctrlr, uint32_t offset, uint32_t value);
	int (*ctrlr_set_reg_8)(struct pnvme_ctrlr *ctrlr, uint32_t offset, uint64_t value);

	/* An I/O qpair's lifetime is split so a reset can disconnect and
	 * connect it again while its memory, requests and handle stay:
	 * allocate queue @p qid (memory only, not connected) ... */
	struct pnvme_qpair *(*io_qpair_alloc)(struct pnvme_ctrlr *ctrlr, uint16_t qid,
					      const struct pnvme_io_qpair_opts *opts);
	/* ... connect it in the current association (admin lock held): 0 or
	 * -errno (logged) ... */
	int (*qpair_connect)(struct pnvme_qpair *qpair);
	/* ... tear down the device side: delete the queue while the device
	 * still has it, close a connection; requests the device gives back
	 * complete, the core aborts the rest ... */
	void (*qpair_disconnect)(struct pnvme_qpair *qpair);
	/* ... and free it (disconnected, nothing outstanding). */
	void (*io_qpair_free)(struct pnvme_qpair *qpair);
	/* Fabrics: open and close a queue's connection (admin Connect runs as
	 * a bring-up step over it). NULL for PCIe. */
	const struct nvme_fabric_queue_ops *fabric_qops;
	/* Optional step at the end of bring-up (shadow doorbells); 0 or errno. */
	int (*ctrlr_ready)(struct pnvme_ctrlr *ctrlr);
	/* Reset the admin queue and point the controller at it (before CC.EN=1). */
	int (*ctrlr_enable)(struct pnvme_ctrlr *ctrlr);
	/* false once the device is gone from the system. */
	bool (*ctrlr_is_present)(struct pnvme_ctrlr *ctrlr);
	/* Largest transfer the transport can describe for one command. */
	uint32_t (*ctrlr_get_max_xfer_size)(struct pnvme_ctrlr *ctrlr);
	/* Optional: separate pieces of memory one I/O command can describe
	 * (vectored I/O is split to fit); NULL for no limit. */
	uint32_t (*ctrlr_get_max_data_pieces)(struct pnvme_ctrlr *ctrlr);
	int (*ctrlr_get_pci_id)(const struct pnvme_ctrlr *ctrlr, struct pnvme_pci_id *id);

	/* 0, or -EAGAIN when no submission slot is free. */
	int (*qpair_submit_request)(struct pnvme_qpair *qpair, struct nvme_request *req);
	int32_t (*qpair_process_completions)(struct pnvme_qpair *qpair, uint32_t max);
	/* Complete every request the transport holds with an aborted status. */
	void (*qpair_abort_reqs)(struct pnvme_qpair *qpair);
	/* Optional: fill transport counters (zeroed by the caller). */
	void (*qpair_get_stats)(struct pnvme_qpair *qpair, struct pnvme_qpair_stats *stats);

	/* Poll groups, optional: a transport without them has its qpairs
	 * polled in turn. One transport group per poll group; add and remove
	 * return 0 or -errno (logged). */
	struct nvme_transport_poll_group *(*poll_group_create)(void);
	int (*poll_group_add)(struct nvme_transport_poll_group *tgroup, struct pnvme_qpair *qpair);
	void (*poll_group_remove)(struct nvme_transport_poll_group *tgroup,
				  struct pnvme_qpair *qpair);
	/* Once per group poll, its qpairs' recv_idle all set: clear it on
	 * each that has something to receive. 0, or -errno (logged). */
	int (*poll_group_wait)(struct nvme_transport_poll_group *tgroup);
	void (*poll_group_destroy)(struct nvme_transport_poll_group *tgroup);
};

/* A transport's part of a poll group (embedded first in its own struct). */
struct nvme_transport_poll_group {
	const struct nvme_transport_ops *ops;
	uint32_t num_qpairs;
	uint64_t readiness_calls;
};

const struct nvme_transport_ops *nvme_transport_get_ops(enum pnvme_transport_type type);
/* Add a transport (tests register fakes). 0, -EEXIST or -ENOSPC. */
int nvme_transport_register(const struct nvme_transport_ops *ops);

/* ------------------------------------------------------------------ */
/* Namespaces                                                          */
/* ------------------------------------------------------------------ */

struct pnvme_ns {
	struct pnvme_ctrlr *ctrlr;
	uint32_t id;
	uint32_t sector_size;
	uint32_t extended_lba_size;
	uint32_t md_size;
	uint32_t optimal_io_boundary;
	/* Gone after a reset (no longer active): commands get -ENXIO. The
	 * object stays until detach, so the application's pointer does. */
	bool removed;
	/* End-to-end protection: the type (0 none) and whether its 8 bytes
	 * open the metadata (DPS bit 3) rather than close it. */
	uint8_t pi_type;
	bool pi_first;
	uint8_t csi;
	bool has_uuid;
	bool has_nguid;
	bool has_eui64;
	uint8_t uuid[16];
	uint8_t nguid[16];
	uint8_t eui64[8];
	struct pnvme_ns_data data;
};

/* Fill the derived fields from ns->data. -EINVAL when the data is unusable. */
int nvme_ns_apply_identify(struct pnvme_ns *ns);
/* Parse a Namespace Identification Descriptor list (CNS 03h) into @p ns. */
int nvme_ns_apply_id_descs(struct pnvme_ns *ns, const uint8_t *buf, size_t len);

/* ------------------------------------------------------------------ */
/* Controllers                                                         */
/* ------------------------------------------------------------------ */

enum nvme_init_state {
	NVME_INIT_DELETE_IO_QUEUES,
	NVME_INIT_OPEN_ADMIN,
	NVME_INIT_CONNECT_ADMIN,
	NVME_INIT_READ_CAP,
	NVME_INIT_CHECK_EN,
	NVME_INIT_DISABLE,
	NVME_INIT_ENABLE,
	NVME_INIT_IDENTIFY,
	NVME_INIT_SET_NUM_QUEUES,
	NVME_INIT_CONFIGURE_AER,
	NVME_INIT_ACTIVE_NS,
	NVME_INIT_IDENTIFY_NS,
	NVME_INIT_NS_ID_DESCS,
	NVME_INIT_READY,
	NVME_INIT_FAILED,
};

/* What the current state waits for before its completion step runs. */
enum nvme_init_wait {
	NVME_WAIT_NONE,
	NVME_WAIT_RDY_0,
	NVME_WAIT_RDY_1,
	NVME_WAIT_ADMIN,
	NVME_WAIT_OPEN, /* fabrics: the admin queue's connection */
};

struct nvme_ctrlr_init {
	enum nvme_init_state state;
	enum nvme_init_wait wait;
	uint64_t deadline;
	/* Earliest tick at which CSTS may be read (quirk). */
	uint64_t not_before;
	bool admin_done;
	struct pnvme_cpl admin_cpl;
	void *buf; /* 4 KiB DMA buffer for identify data */
	uint32_t next_nsid; /* active namespace list paging */
	uint32_t ns_index;  /* namespace being identified */
	uint32_t *active_ids;
	uint32_t num_active;
	uint32_t active_cap;
	/* Registers read or written by the current step (fabrics: answers to
	 * Property Get/Set, kept until the step moves on), and the one
	 * outstanding. */
	struct nvme_init_reg {
		uint32_t offset;
		bool written;
		uint64_t value;
	} regs[4];
	uint32_t num_regs;
	bool reg_pending;
	bool reg_done;
	struct nvme_init_reg reg_asked;
	uint8_t reg_size;
	uint64_t reg_deadline;
	struct pnvme_cpl reg_cpl;
	/* A reset of a live PCIe controller: the I/O queues to delete before
	 * it is disabled, and how far that went (SQ, then CQ, of each). */
	uint16_t *delete_qids;
	uint32_t num_delete_qids;
	uint32_t delete_index; /* 2 per queue: even SQ, odd CQ */
	/* The namespace table being built (it replaces ctrlr->ns at the end,
	 * keeping the objects of namespaces still active). */
	struct pnvme_ns **new_ns;
	uint32_t num_new_ns;
	/* What the table being built changes, told at READY (ns_table.c). */
	struct nvme_ns_change_rec {
		struct pnvme_ns *ns;
		enum pnvme_ns_change change;
	} *ns_changes;
	uint32_t num_ns_changes;
	/* Only the namespace steps run, on a live controller (ns_rescan.c). */
	bool rescan;
};

/*
 * Controller lifecycle: one state, changed only by nvme_ctrlr_set_state().
 *
 *   CONNECTING -> LIVE       bring-up reached READY
 *   CONNECTING -> FAILED     bring-up failed
 *   LIVE       -> FAILED     fatal status, lost connection, admin timeout,
 *                            a completion the device had no business posting
 *   LIVE       -> RESETTING  pnvme_ctrlr_disconnect / reset, timeout action
 *   FAILED     -> RESETTING  the same: a reset is the way out of FAILED
 *   RESETTING  -> LIVE       the bring-up table ran again to READY
 *   RESETTING  -> FAILED     it did not (one line names the state)
 *   any        -> REMOVED    the device left the system
 *
 * In FAILED and REMOVED every request completes with an error and later
 * submissions get -ENXIO; REMOVED is final. The failed states sort last,
 * so one compare tells a poll to stop.
 */
enum nvme_ctrlr_state {
	NVME_CTRLR_CONNECTING,
	NVME_CTRLR_LIVE,
	NVME_CTRLR_RESETTING,
	NVME_CTRLR_FAILED,
	NVME_CTRLR_REMOVED,
};

/* Quirk flags (quirks.c). */
#define NVME_QUIRK_MMIO_MAX_8B (1u << 0)          /* no device access wider than 8 bytes */
#define NVME_QUIRK_DELAY_BEFORE_CHK_RDY (1u << 1) /* wait 2 ms after CC.EN before CSTS */

uint64_t nvme_quirks_lookup(const struct pnvme_pci_id *id);

struct pnvme_ctrlr {
	const struct nvme_transport_ops *ops;
	struct pnvme_qpair *adminq;
	struct pnvme_transport_id trid;
	struct pnvme_ctrlr_opts opts;
	union pnvme_cap_register cap;
	union pnvme_vs_register vs;
	uint32_t page_size;
	uint32_t min_page_size;
	uint32_t max_xfer_size;
	uint32_t num_io_queues;
	uint64_t flags;
	uint64_t quirks;
	/* Written by the admin path, read by every I/O thread's poll. */
	volatile enum nvme_ctrlr_state state;
	/* Bumped (after the state is written) whenever the I/O qpairs must
	 * act: the controller failed, a reset stopped the device, a reset
	 * finished. A qpair compares it with its own copy, one load on the
	 * I/O path, and catches up in its own thread: no lock there. */
	volatile uint32_t epoch;
	/* The association: bumped once a reset has stopped the device (or
	 * closed the admin connection). A qpair connected in an earlier one
	 * has lost its queue on the device. */
	volatile uint32_t generation;
	/* This reset has stopped the device and aborted the admin queue. */
	bool reset_quiesced;
	/* CC.EN as last written by us: a register mirror (the shutdown and the
	 * RDY health check need it), not a lifecycle state. */
	bool enabled;
	/* probe.c: the application's remove_cb has run for this controller. */
	bool remove_reported;
	uint64_t next_health_check;
	/* Abort (abort.c): how many are with the controller, and those
	 * waiting for the ACL+1 limit. */
	uint32_t aborts_outstanding;
	STAILQ_HEAD(, nvme_abort) queued_aborts;
	/* Timeouts (pnvme_ctrlr_register_timeout_callback). */
	uint64_t io_timeout_ticks;
	pnvme_timeout_cb timeout_cb;
	void *timeout_cb_arg;
	enum pnvme_timeout_action timeout_action;
	/* A reset the timeout action asked for, started by the next admin
	 * poll (any thread may set it). */
	volatile bool reset_requested;
	/* Fabrics: the controller ID the admin Connect was given, and the
	 * Keep Alive Timeout agreed there (0 = none). */
	uint16_t cntlid;
	uint32_t kato_ms;
	uint64_t next_keep_alive;
	bool keep_alive_outstanding;
	bool is_discovery; /* a discovery controller: no I/O, no namespaces */

	/* Asynchronous events (aer.c): the events enabled, the application's
	 * callback, and the requests kept outstanding. */
	uint32_t aec;
	pnvme_aer_cb aer_cb;
	void *aer_cb_arg;
	uint32_t aer_limit;
	struct nvme_aer *aers; /* aer_limit of them */
	bool discovery_read_due; /* an event's discovery log waits for the poll */

	/* Namespace rescans (ns_rescan.c): the application's callback, those
	 * waiting for the next rescan and for the one running, and whether
	 * one more is wanted. */
	pnvme_ns_change_cb ns_change_cb;
	void *ns_change_cb_arg;
	STAILQ_HEAD(nvme_rescan_waiters, nvme_ns_rescan_waiter) rescan_waiters;
	struct nvme_rescan_waiters rescan_running;
	bool rescan_wanted;

	struct nvme_ctrlr_init init;

	/* Admin queue and queue ID allocation (never taken on the I/O path). */
	pthread_mutex_t lock;
	uint8_t *free_qids; /* 1 = free, index = queue ID */
	uint32_t next_qid;  /* where the search for a free ID starts (0-based) */
	TAILQ_HEAD(, pnvme_qpair) io_qpairs;

	/* Active namespaces, sorted by ID (each allocated on its own, so a
	 * reset can update the table without moving them), and those a reset
	 * found gone, kept until detach. */
	struct pnvme_ns **ns;
	uint32_t num_ns;
	struct pnvme_ns **gone_ns;
	uint32_t num_gone_ns;

	struct pnvme_ctrlr_data cdata;

	/* Probe bookkeeping (probe.c). */
	TAILQ_ENTRY(pnvme_ctrlr) link;
	pnvme_remove_cb remove_cb;
	void *remove_ctx;
};

/* Common construction/destruction used by every transport. */
int nvme_ctrlr_construct(struct pnvme_ctrlr *ctrlr, const struct nvme_transport_ops *ops,
			 const struct pnvme_transport_id *trid,
			 const struct pnvme_ctrlr_opts *opts);
void nvme_ctrlr_destruct_common(struct pnvme_ctrlr *ctrlr);
/* Shut down (CC.SHN) and free. */
int nvme_ctrlr_shutdown_and_free(struct pnvme_ctrlr *ctrlr);
/* Read CSTS once and judge it, the one check every caller shares: 0;
 * -ENODEV when it cannot be read or reads all ones (device gone); -EIO on
 * CSTS.CFS when @p cfs_is_fatal. @p why gets the reason. */
int nvme_ctrlr_read_csts(struct pnvme_ctrlr *ctrlr, union pnvme_csts_register *csts,
			 bool cfs_is_fatal, char *why, size_t why_len);
/* VS of a device that left the bus: all ones (a PCIe read nobody answers)
 * or zero (some platforms, emulated ones among them). A live controller's
 * VS is never either. */
static inline bool
nvme_vs_means_removed(uint32_t vs)
{
	return vs == 0 || vs == UINT32_MAX;
}
/* For a CSTS that looks wrong (all ones, CFS, RDY dropped while enabled):
 * read VS and judge whether the device is gone. true with @p why filled
 * ("device removed ...") when it is; false for fabrics controllers. */
bool nvme_ctrlr_regs_say_removed(struct pnvme_ctrlr *ctrlr, union pnvme_csts_register csts,
				 char *why, size_t why_len);
/* The judging part alone, for a CSTS value read some other way. */
int nvme_ctrlr_judge_csts(union pnvme_csts_register csts, bool cfs_is_fatal, char *why,
			  size_t why_len);
/* Move to @p state if the transition is one of those documented above;
 * false (with a line) otherwise. */
bool nvme_ctrlr_set_state(struct pnvme_ctrlr *ctrlr, enum nvme_ctrlr_state state);
/* Tell every I/O qpair to look at the controller again (see epoch). */
static inline void
nvme_ctrlr_bump_epoch(struct pnvme_ctrlr *ctrlr)
{
	__atomic_add_fetch(&ctrlr->epoch, 1, __ATOMIC_RELEASE);
}
/* Reset (ctrlr_reset.c): the device is stopped (CC.EN=0 and CSTS.RDY=0, or
 * the admin connection closed): abort the admin queue's requests, start a
 * new association and tell the I/O qpairs. Once per reset. */
void nvme_ctrlr_reset_quiesced(struct pnvme_ctrlr *ctrlr);
/* Ask for a reset from any thread or callback (one line naming @p why);
 * the next pnvme_ctrlr_process_admin_completions() starts it. */
void nvme_ctrlr_request_reset(struct pnvme_ctrlr *ctrlr, const char *why);
const char *nvme_ctrlr_state_name(enum nvme_ctrlr_state state);

static inline bool
nvme_ctrlr_is_failed(const struct pnvme_ctrlr *ctrlr)
{
	return pnvme_unlikely(ctrlr->state >= NVME_CTRLR_FAILED);
}

/* The device left the system: mark the controller REMOVED (@p why, one
 * line, once) and complete every request with an error, so nothing
 * touches the device again. Also from FAILED (found gone later). */
void nvme_ctrlr_set_removed(struct pnvme_ctrlr *ctrlr, const char *why);
/* Complete every Abort still waiting for the limit with an error (the
 * controller failed or is going away). */
void nvme_abort_fail_queued(struct pnvme_ctrlr *ctrlr);
/* Fail the controller: every qpair's requests complete with an error. */
void nvme_ctrlr_fail(struct pnvme_ctrlr *ctrlr, const char *why);
/* Copy the caller's options, honouring their opts_size. */
void nvme_ctrlr_opts_copy(struct pnvme_ctrlr_opts *dst, const struct pnvme_ctrlr_opts *src,
			  size_t src_size);

/* Bring-up state machine (ctrlr_init.c). */
void nvme_ctrlr_init_start(struct pnvme_ctrlr *ctrlr);
/* Advance; returns 0 while in progress, 1 when ready, negative errno when failed. */
int nvme_ctrlr_init_poll(struct pnvme_ctrlr *ctrlr);
const char *nvme_ctrlr_init_state_name(enum nvme_init_state state);

/* aer.c: the Asynchronous Event Configuration to set (what the controller
 * supports); send the AERs not outstanding (the controller is ready); free
 * their buffers (nothing outstanding any more). */
uint32_t nvme_aer_config(const struct pnvme_ctrlr *ctrlr);
void nvme_aer_arm(struct pnvme_ctrlr *ctrlr);
void nvme_aer_fini(struct pnvme_ctrlr *ctrlr);
/* From the admin poll, outside completion callbacks: read the discovery
 * log an event announced, tell the application, listen again. */
void nvme_aer_poll(struct pnvme_ctrlr *ctrlr);
/* A reset of a live PCIe controller: begin by deleting the I/O queues it
 * has (after nvme_ctrlr_init_start, under the admin lock). */
void nvme_ctrlr_init_delete_io_queues(struct pnvme_ctrlr *ctrlr);
/* Free bring-up buffers (after READY, or once the controller is disabled). */
void nvme_ctrlr_init_cleanup(struct pnvme_ctrlr *ctrlr);

/* Admin commands (ctrlr_cmd.c). */
int nvme_ctrlr_cmd_identify(struct pnvme_ctrlr *ctrlr, uint8_t cns, uint32_t nsid, uint8_t csi,
			    void *buf, pnvme_cmd_cb cb_fn, void *cb_arg);
int nvme_ctrlr_cmd_set_features(struct pnvme_ctrlr *ctrlr, uint8_t fid, uint32_t cdw11,
				pnvme_cmd_cb cb_fn, void *cb_arg);
int nvme_ctrlr_submit_admin(struct pnvme_ctrlr *ctrlr, const struct pnvme_cmd *cmd, void *buf,
			    uint32_t len, pnvme_cmd_cb cb_fn, void *cb_arg);
/* How an admin transfer is cut: not at all (it must fit the transfer
 * limit), as Get Log Page pieces (NUMD and offset), or as Firmware Image
 * Download pieces (NUMD and OFST). */
enum nvme_admin_split {
	NVME_ADMIN_SPLIT_NONE,
	NVME_ADMIN_SPLIT_LOG,
	NVME_ADMIN_SPLIT_FW,
};
/* Move @p len bytes of @p buf for @p cmd (to the host, or from it), in
 * pieces of at most @p piece_max (0: the transfer limit) starting at
 * @p offset, through a DMA copy when @p buf is not DMA-able; @p cb_fn runs
 * once. @p what names the call in the line an oversized transfer logs. */
int nvme_admin_xfer_start(struct pnvme_ctrlr *ctrlr, const struct pnvme_cmd *cmd, void *buf,
			  uint32_t len, bool to_host, enum nvme_admin_split split,
			  uint32_t piece_max, uint64_t offset, pnvme_cmd_cb cb_fn, void *cb_arg,
			  const char *what);
/* Submit and poll until done: 0 with *cpl filled, -ETIMEDOUT, -ENXIO. */
int nvme_ctrlr_admin_sync(struct pnvme_ctrlr *ctrlr, const struct pnvme_cmd *cmd, void *buf,
			  uint32_t len, struct pnvme_cpl *cpl);

/* Free the I/O qpairs left at detach (ctrlr_io_qpair.c). */
void nvme_ctrlr_free_io_qpairs(struct pnvme_ctrlr *ctrlr);

/* Namespace table built at the end of bring-up (ctrlr.c). */
void nvme_ctrlr_free_namespaces(struct pnvme_ctrlr *ctrlr);
/* Bring-up identified namespace @p nsid (@p data): add it to the table being
 * built, reusing the object of the same namespace from before a reset.
 * 0, or -ENOMEM. An unusable one (logged) is left out. */
int nvme_ctrlr_ns_found(struct pnvme_ctrlr *ctrlr, uint32_t nsid,
			const struct pnvme_ns_data *data);
/* Replace the table with the one built; namespaces no longer active are
 * marked removed (one line each) and kept until detach. */
void nvme_ctrlr_ns_table_commit(struct pnvme_ctrlr *ctrlr);
/* Drop a table bring-up did not finish (it failed). */
void nvme_ctrlr_ns_table_discard(struct pnvme_ctrlr *ctrlr);
/* Tell the namespace-change callback what the table committed changed
 * (not at first bring-up), then forget it. */
void nvme_ctrlr_ns_report_changes(struct pnvme_ctrlr *ctrlr);

/* Namespace rescans (ns_rescan.c). Ask for one (@p cb_fn, optional, runs
 * once it is done); drive it from the admin poll; the bring-up steps
 * reached READY (@p by_reset: a whole bring-up, which rescanned every
 * namespace) or failed (@p rc < 0); complete every waiter at detach. */
int nvme_ctrlr_ns_rescan(struct pnvme_ctrlr *ctrlr, pnvme_cmd_cb cb_fn, void *cb_arg);
void nvme_ctrlr_ns_rescan_poll(struct pnvme_ctrlr *ctrlr);
void nvme_ctrlr_ns_rescan_done(struct pnvme_ctrlr *ctrlr, int rc, bool by_reset);
void nvme_ctrlr_ns_rescan_fini(struct pnvme_ctrlr *ctrlr);
/* Run only the namespace steps of bring-up again on a ready controller:
 * 0 when started, -EBUSY when bring-up is not at READY, -ENOMEM. */
int nvme_ctrlr_init_rescan_start(struct pnvme_ctrlr *ctrlr);

/* Register access through the transport. */
static inline int
nvme_ctrlr_get_csts(struct pnvme_ctrlr *ctrlr, union pnvme_csts_register *csts)
{
	return ctrlr->ops->ctrlr_get_reg_4(ctrlr, PNVME_REG_CSTS, &csts->raw);
}

static inline int
nvme_ctrlr_get_cc(struct pnvme_ctrlr *ctrlr, union pnvme_cc_register *cc)
{
	return ctrlr->ops->ctrlr_get_reg_4(ctrlr, PNVME_REG_CC, &cc->raw);
}

static inline int
nvme_ctrlr_set_cc(struct pnvme_ctrlr *ctrlr, const union pnvme_cc_register *cc)
{
	return ctrlr->ops->ctrlr_set_reg_4(ctrlr, PNVME_REG_CC, cc->raw);
}

static inline uint64_t
nvme_ms_to_ticks(uint64_t ms)
{
	return ms * pnvme_get_ticks_hz() / 1000;
}

/* ------------------------------------------------------------------ */
/* Probe                                                               */
/* ------------------------------------------------------------------ */

struct nvme_probe_ctx {
	const struct nvme_transport_ops *ops;
	struct pnvme_transport_id trid; /* filter: traddr empty = every controller */
	void *cb_ctx;
	pnvme_probe_cb probe_cb;
	pnvme_attach_cb attach_cb;
	pnvme_remove_cb remove_cb;
	TAILQ_HEAD(, pnvme_ctrlr) init_ctrlrs;
	int rc;      /* first error met */
	bool direct; /* connect to trid itself, even a discovery service */
};

/* A transport found a controller: offer it to the application. */
int nvme_probe_offer(struct nvme_probe_ctx *probe, const struct pnvme_transport_id *trid,
		     void *devhandle);
/* true when a controller with @p trid is attached already. */
bool nvme_probe_is_attached(const struct pnvme_transport_id *trid);
/* Run @p remove_cb once for every controller attached with it that is
 * REMOVED (or no longer present), in the caller's thread. */
void nvme_probe_report_removed(pnvme_remove_cb remove_cb);
/* The attached controller with @p trid left the system (@p why, one
 * line): mark it REMOVED. false when none is attached with it. */
bool nvme_probe_set_removed(const struct pnvme_transport_id *trid, const char *why);
/* Initialise the environment with defaults unless the application did. */
int nvme_env_ready(void);
/* Bring one controller up outside any probe (not attached; free it with
 * nvme_ctrlr_shutdown_and_free). NULL on failure (logged). */
struct pnvme_ctrlr *nvme_probe_connect_direct(const struct pnvme_transport_id *trid,
					      const struct pnvme_ctrlr_opts *opts);

#endif /* PNVME_NVME_INTERNAL_H */
