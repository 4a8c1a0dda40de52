/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The test target's NVM subsystem and its controllers (dynamic controller
 * model: every admin Connect makes a new one). A controller holds the
 * fabrics properties (CAP, VS, CC, CSTS), the I/O queues granted and
 * connected, and lives until its admin queue and every I/O queue are gone.
 */
#ifndef PNVME_TEST_TARGET_SUBSYSTEM_H
#define PNVME_TEST_TARGET_SUBSYSTEM_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "nvm_ns.h"

/** I/O queues one controller may have. */
#define TARGET_MAX_IO_QUEUES 64u
/** CAP.MQES: largest queue, 0's based. */
#define TARGET_MQES 127u
/** Controllers alive at once. */
#define TARGET_MAX_CTRLRS 64u
/** NQN text with its terminator. */
#define TARGET_NQN_SIZE 257u

struct target_subsys;

struct target_ctrlr {
	struct target_subsys *subsys;
	uint16_t cntlid;
	char hostnqn[TARGET_NQN_SIZE];
	uint8_t hostid[16];
	/** Guards everything below: admin and I/O connections run in their own threads. */
	pthread_mutex_t lock;
	uint32_t cc;
	uint32_t csts;
	uint32_t kato_ms;
	/** I/O queues granted by Set Features Number of Queues (0: not asked yet). */
	uint32_t num_io_queues;
	bool qid_connected[TARGET_MAX_IO_QUEUES + 1];
	/** An Asynchronous Event Request is outstanding (never completed). */
	bool aer_parked;
	int refs;
};

struct target_subsys {
	char nqn[TARGET_NQN_SIZE];
	struct target_ns ns;
	/** FUSES bit 0 offered (the default); off, the target behaves like a
	 * controller without fused operations, to test hosts against both. */
	bool fused_supported;
	pthread_mutex_t lock; /**< guards ctrlrs and next_cntlid */
	struct target_ctrlr *ctrlrs[TARGET_MAX_CTRLRS];
	uint16_t next_cntlid;
};

/** Set up the subsystem with a namespace of @p ns_bytes, a null one (no
 * memory, reads return zeroes) with @p null_ns. 0 or -errno. */
int target_subsys_init(struct target_subsys *subsys, const char *nqn, uint64_t ns_bytes,
		       bool null_ns);
void target_subsys_fini(struct target_subsys *subsys);

/** A new controller for an admin queue (one reference, the admin queue's); NULL when full. */
struct target_ctrlr *target_ctrlr_create(struct target_subsys *subsys, const char *hostnqn,
					 const uint8_t hostid[16], uint32_t kato_ms);

/**
 * Bind I/O queue @p qid to controller @p cntlid of the same host. On success
 * (0) *out holds a reference. Otherwise returns the Connect status and sets
 * *ipo to the offset of the offending field in the Connect data.
 */
uint16_t target_ctrlr_connect_io_queue(struct target_subsys *subsys, uint16_t cntlid,
				       const char *hostnqn, const uint8_t hostid[16], uint16_t qid,
				       struct target_ctrlr **out, uint16_t *ipo);

/** An I/O queue went away. */
void target_ctrlr_disconnect_io_queue(struct target_ctrlr *ctrlr, uint16_t qid);

/** Drop a reference; the last one frees the controller and its ID. */
void target_ctrlr_put(struct target_ctrlr *ctrlr);

/** Property Get: @p size8 for an 8-byte access. Returns 0 or a status. */
uint16_t target_ctrlr_prop_get(struct target_ctrlr *ctrlr, uint32_t offset, bool size8,
			       uint64_t *value);
/** Property Set (CC drives CSTS.RDY and shutdown). Returns 0 or a status. */
uint16_t target_ctrlr_prop_set(struct target_ctrlr *ctrlr, uint32_t offset, bool size8,
			       uint64_t value);

/** Grant up to @p nsqr/@p ncqr (0's based) I/O queues; returns Set Features' dword 0. */
uint32_t target_ctrlr_set_num_queues(struct target_ctrlr *ctrlr, uint32_t nsqr, uint32_t ncqr);
/** Number of Queues as Get Features reports it. */
uint32_t target_ctrlr_get_num_queues(struct target_ctrlr *ctrlr);

#endif
