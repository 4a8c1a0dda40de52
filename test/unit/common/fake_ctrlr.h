/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A fake transport whose controller is a register file plus an admin
 * command handler, for driving the core's state machine in unit tests.
 */
#ifndef PNVME_FAKE_CTRLR_H
#define PNVME_FAKE_CTRLR_H

#include "nvme/nvme_internal.h"

#define FAKE_MAX_NS 8
/* The fake transport's type: a value no real transport claims. */
#define FAKE_TRANSPORT_TYPE ((enum pnvme_transport_type)0x7e)

/* An I/O queue of the fake: commands wait on it until polled. */
struct fake_io_qpair {
	struct pnvme_qpair qpair;
	STAILQ_HEAD(, nvme_request) pending;
	bool hold;       /* the poll completes nothing */
	int connects;    /* qpair_connect calls */
	int disconnects; /* qpair_disconnect calls */
};

struct fake_ctrlr {
	struct pnvme_ctrlr ctrlr;
	struct pnvme_qpair adminq;

	/* Registers. */
	union pnvme_cap_register cap;
	uint32_t vs;
	union pnvme_cc_register cc;
	bool rdy;
	bool cfs;
	uint32_t aqa;
	/* CSTS reads after a CC.EN change before RDY follows; -1: never. */
	int rdy_after;
	int reads_since_change;
	int cc_writes;
	uint32_t cc_history[32];
	int enable_calls;

	/* Admin command handling. */
	STAILQ_HEAD(, nvme_request) pending;
	bool admin_hang;              /* never complete admin commands */
	struct pnvme_ctrlr_data cdata;
	uint32_t active[FAKE_MAX_NS]; /* active namespace IDs, ascending */
	int num_active;
	struct pnvme_ns_data nsdata[FAKE_MAX_NS]; /* by nsid - 1 */
	uint8_t id_descs[FAKE_MAX_NS][PNVME_IDENTIFY_DATA_SIZE];
	bool id_descs_unsupported;
	bool active_list_garbage;     /* answer the active list out of order */
	uint32_t queues_granted;      /* Set Features Number of Queues cdw0 */
	uint8_t identify_sc[256];     /* generic status for Identify, by CNS (0: success) */
	uint8_t set_features_sc;      /* generic status for Set Features (0: success) */
	int admin_count[256];         /* commands seen, by opcode */
	bool present;                 /* false: hot-removed */
	int io_connect_rc;            /* what connecting an I/O queue returns */
	bool fail_after_answer;       /* fail the controller right after answering Identify */
	uint8_t never_answer_opc;     /* admin opcode left unanswered (0: none) */
	/* Fabrics (fake_ctrlr_create_fabrics): its ops, connections opened and
	 * closed, and fabrics commands seen by type. */
	struct nvme_transport_ops fabric_ops;
	int opens;
	int closes;
	int fabric_count[256];
	uint32_t prop_refused; /* a property offset answered INVALID FIELD (0: none) */
	uint8_t abort_sc;             /* Abort: generic status, and dword 0 */
	uint32_t abort_cdw0;
	/* Asynchronous Event Requests held until fake_ctrlr_post_aer(); Get
	 * Log Page answers from log_data, the last one's command kept. */
	STAILQ_HEAD(, nvme_request) aers;
	uint8_t log_data[4096];
	struct pnvme_cmd last_log_cmd;
	/* Management: the last admin command of any kind; Format NVM sets the
	 * namespace's FLBAS; Namespace Attachment makes a namespace with data
	 * active or not; Firmware Image Download assembles fw_image (pieces
	 * counted). Other management opcodes succeed. */
	struct pnvme_cmd last_admin_cmd;
	uint8_t fw_image[65536];
	int fw_pieces;
};

/* Answer the oldest held Asynchronous Event Request with @p cdw0: false
 * when none is held. */
bool fake_ctrlr_post_aer(struct fake_ctrlr *f, uint32_t cdw0);

/* Controllers the fake transport's scan finds: "fake0", "fake1", ... */
extern int g_fake_scan_count;
/* Every controller the fake transport constructed, in order. */
extern struct fake_ctrlr *g_fake_constructed[8];
extern int g_fake_num_constructed;
/* Index (in construction order) of a controller that never becomes ready; -1 none. */
extern int g_fake_never_ready_index;
/* Normal shutdown notifications (CC.SHN = 01b) written to any fake. */
extern int g_fake_shutdowns;

/* A ready-to-init fake: NVMe 1.4, one 1 GiB namespace of 512 B blocks,
 * RDY following EN after 3 reads. */
struct fake_ctrlr *fake_ctrlr_create(void);
/* The same, as a fabrics controller: an admin connection opened by
 * bring-up, registers only through Property Get/Set. */
struct fake_ctrlr *fake_ctrlr_create_fabrics(void);
/* Add namespace @p nsid with @p blocks of 2^@p lbads bytes. */
void fake_ctrlr_add_ns(struct fake_ctrlr *f, uint32_t nsid, uint64_t blocks, uint8_t lbads);
/* Poll bring-up until it leaves the in-progress state; returns its result. */
int fake_ctrlr_run_init(struct fake_ctrlr *f, int max_polls);
void fake_ctrlr_destroy(struct fake_ctrlr *f);

extern const struct nvme_transport_ops g_fake_ops;

#endif
