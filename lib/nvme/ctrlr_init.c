/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Controller bring-up: a non-blocking state machine polled by probe/connect.
 *
 * Each state has a start step that acts (writes a register, submits an admin
 * command) and either moves on at once or names what it waits for: a CSTS.RDY
 * value or the completion of its admin command. One generic wait handles
 * every state, with a deadline, so the table stays short: no state exists
 * only to wait for the one before it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nvme/fabrics.h"

/* Entries in one page of the active namespace list. */
#define ACTIVE_NS_PAGE_ENTRIES (PNVME_IDENTIFY_DATA_SIZE / sizeof(uint32_t))
/* How often an admin wait looks at CSTS for a fatal status. */
#define HEALTH_CHECK_MS 100
/* Delay some controllers need between CC.EN=1 and reading CSTS. */
#define CHK_RDY_DELAY_MS 2
/* Namespaces kept per controller: bounds bring-up (one Identify each) and
 * the namespace table (each entry holds a 4 KiB Identify Namespace copy). */
#define MAX_ACTIVE_NS 1024u
/* How long a reset waits for each Delete I/O SQ/CQ before disabling. */
#define DELETE_QUEUE_TIMEOUT_MS 1000u
/* FFFFFFFFh is the broadcast namespace ID, never a namespace. */
#define NSID_BROADCAST 0xffffffffu

struct init_step {
	const char *name;
	int (*start)(struct pnvme_ctrlr *ctrlr);
	/* Runs once the wait is satisfied; NULL when start never waits. */
	int (*done)(struct pnvme_ctrlr *ctrlr);
};

/* Registers kept for a step are forgotten once it moves on or waits. */
static void
init_regs_forget(struct pnvme_ctrlr *ctrlr)
{
	ctrlr->init.num_regs = 0;
}

static void
init_goto(struct pnvme_ctrlr *ctrlr, enum nvme_init_state state)
{
	ctrlr->init.state = state;
	ctrlr->init.wait = NVME_WAIT_NONE;
	init_regs_forget(ctrlr);
}

/* Fail bring-up with one line naming what the device got wrong; the
 * failure path adds no line of its own. Returns @p rc. */
static int __attribute__((format(printf, 3, 4)))
init_error(struct pnvme_ctrlr *ctrlr, int rc, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	CTRLR_ERRLOG(ctrlr, "%s", why);
	ctrlr->init.state = NVME_INIT_FAILED;
	return rc;
}

/* The state's admin command completed with an error: fail, naming both. */
static int
init_admin_error(struct pnvme_ctrlr *ctrlr, const char *what)
{
	const struct pnvme_status *st = &ctrlr->init.admin_cpl.status;

	return init_error(ctrlr, -EIO, "%s failed in state %s: %s (sct %u, sc 0x%02x)", what,
			  nvme_ctrlr_init_state_name(ctrlr->init.state), pnvme_status_string(st),
			  st->sct, st->sc);
}

static void
init_wait_rdy(struct pnvme_ctrlr *ctrlr, unsigned int value)
{
	uint64_t now = pnvme_get_ticks();
	uint64_t timeout_ms = PNVME_MAX(ctrlr->cap.bits.to, 1u) * 500ull;

	init_regs_forget(ctrlr);
	ctrlr->init.wait = value ? NVME_WAIT_RDY_1 : NVME_WAIT_RDY_0;
	ctrlr->init.deadline = now + nvme_ms_to_ticks(timeout_ms);
	ctrlr->init.not_before = now;
	if (ctrlr->quirks & NVME_QUIRK_DELAY_BEFORE_CHK_RDY) {
		ctrlr->init.not_before += nvme_ms_to_ticks(CHK_RDY_DELAY_MS);
	}
}

static void
init_admin_done(void *arg, const struct pnvme_cpl *cpl)
{
	struct pnvme_ctrlr *ctrlr = arg;

	ctrlr->init.admin_cpl = *cpl;
	ctrlr->init.admin_done = true;
}

/* Call after submitting the state's admin command (rc from the submit). */
static int
init_wait_admin(struct pnvme_ctrlr *ctrlr, int submit_rc)
{
	if (submit_rc != 0) {
		return submit_rc;
	}
	init_regs_forget(ctrlr);
	ctrlr->init.wait = NVME_WAIT_ADMIN;
	ctrlr->init.admin_done = false;
	ctrlr->init.deadline = pnvme_get_ticks() + nvme_ms_to_ticks(ctrlr->opts.admin_timeout_ms);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Registers                                                           */
/* ------------------------------------------------------------------ */

/*
 * A step's register access. PCIe: a load or store, done at once. Fabrics:
 * a Property Get or Set, submitted like any admin command and never waited
 * for here: the call returns -EINPROGRESS, the driver polls the answer,
 * and the step's start runs again, finding the answer kept for it (reads
 * and writes already done) until the step moves on or waits. So every
 * step stays non-blocking on every transport.
 */
static void
init_reg_answered(void *arg, const struct pnvme_cpl *cpl)
{
	struct pnvme_ctrlr *ctrlr = arg;

	ctrlr->init.reg_cpl = *cpl;
	ctrlr->init.reg_done = true;
}

static const struct nvme_init_reg *
init_reg_kept(const struct pnvme_ctrlr *ctrlr, uint32_t offset, bool written, uint64_t value)
{
	uint32_t i;

	for (i = 0; i < ctrlr->init.num_regs; i++) {
		const struct nvme_init_reg *r = &ctrlr->init.regs[i];

		if (r->offset == offset && r->written == written && (!written || r->value == value)) {
			return r;
		}
	}
	return NULL;
}

static int
init_reg_ask(struct pnvme_ctrlr *ctrlr, uint32_t offset, uint8_t size, bool write, uint64_t value)
{
	struct nvme_ctrlr_init *init = &ctrlr->init;
	int rc;

	if (init->num_regs == PNVME_ARRAY_SIZE(init->regs)) {
		return -ENOSPC; /* a step uses at most two registers */
	}
	rc = nvme_fabric_prop_submit(ctrlr, write, offset, size, value, init_reg_answered, ctrlr);
	if (rc != 0) {
		return rc;
	}
	init->reg_pending = true;
	init->reg_done = false;
	init->reg_asked.offset = offset;
	init->reg_asked.written = write;
	init->reg_asked.value = value;
	init->reg_size = size;
	init->reg_deadline = pnvme_get_ticks() + nvme_ms_to_ticks(ctrlr->opts.admin_timeout_ms);
	return -EINPROGRESS;
}

static int
init_reg_get(struct pnvme_ctrlr *ctrlr, uint32_t offset, uint8_t size, uint64_t *value)
{
	const struct nvme_init_reg *kept;
	uint32_t v32;
	int rc;

	if (ctrlr->ops->fabric_qops == NULL) {
		if (size == 8) {
			return ctrlr->ops->ctrlr_get_reg_8(ctrlr, offset, value);
		}
		rc = ctrlr->ops->ctrlr_get_reg_4(ctrlr, offset, &v32);
		*value = v32;
		return rc;
	}
	kept = init_reg_kept(ctrlr, offset, false, 0);
	if (kept != NULL) {
		*value = kept->value;
		return 0;
	}
	return init_reg_ask(ctrlr, offset, size, false, 0);
}

static int
init_reg_set(struct pnvme_ctrlr *ctrlr, uint32_t offset, uint32_t value)
{
	if (ctrlr->ops->fabric_qops == NULL) {
		return ctrlr->ops->ctrlr_set_reg_4(ctrlr, offset, value);
	}
	if (init_reg_kept(ctrlr, offset, true, value) != NULL) {
		return 0;
	}
	return init_reg_ask(ctrlr, offset, 4, true, value);
}

/* The outstanding Property Get/Set: 0 (answered, or still out) or -errno. */
static int
init_reg_poll(struct pnvme_ctrlr *ctrlr)
{
	struct nvme_ctrlr_init *init = &ctrlr->init;
	const struct pnvme_status *st = &init->reg_cpl.status;
	int32_t n = nvme_qpair_process_completions(ctrlr->adminq, 0);

	if (init->reg_done) {
		init->reg_pending = false;
		if (pnvme_cpl_is_error(&init->reg_cpl)) {
			return init_error(ctrlr, -EIO, "Property %s of offset 0x%x failed in state %s: "
					  "%s (sct %u, sc 0x%02x)",
					  init->reg_asked.written ? "Set" : "Get",
					  init->reg_asked.offset,
					  nvme_ctrlr_init_state_name(init->state),
					  pnvme_status_string(st), st->sct, st->sc);
		}
		if (!init->reg_asked.written) {
			init->reg_asked.value = nvme_fabric_prop_value(&init->reg_cpl, init->reg_size);
		}
		init->regs[init->num_regs++] = init->reg_asked;
		return 0;
	}
	if (n < 0) {
		return n;
	}
	if (pnvme_get_ticks() > init->reg_deadline) {
		return init_error(ctrlr, -ETIMEDOUT, "timed out in state %s waiting for a Property "
				  "%s of offset 0x%x (%u ms)",
				  nvme_ctrlr_init_state_name(init->state),
				  init->reg_asked.written ? "Set" : "Get", init->reg_asked.offset,
				  ctrlr->opts.admin_timeout_ms);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Steps                                                               */
/* ------------------------------------------------------------------ */

/*
 * A reset of a live PCIe controller deletes its I/O queues first, as the
 * mature drivers do: the device then completes or cancels what each queue
 * holds by the well-trodden Delete path before CC.EN=0 (a device may
 * handle a disable with commands in flight less well). A refusal or a
 * timeout only leaves the rest to the disable.
 */
static int
delete_io_queues_start(struct pnvme_ctrlr *ctrlr)
{
	struct nvme_ctrlr_init *init = &ctrlr->init;
	struct pnvme_cmd cmd;
	int rc;

	if (init->delete_index == 2 * init->num_delete_qids) {
		init_goto(ctrlr, NVME_INIT_OPEN_ADMIN);
		return 0;
	}
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = init->delete_index % 2 == 0 ? PNVME_OPC_DELETE_IO_SQ : PNVME_OPC_DELETE_IO_CQ;
	cmd.cdw10 = init->delete_qids[init->delete_index / 2];
	rc = init_wait_admin(ctrlr, nvme_ctrlr_submit_admin(ctrlr, &cmd, NULL, 0, init_admin_done,
							    ctrlr));
	init->deadline = pnvme_get_ticks() + nvme_ms_to_ticks(DELETE_QUEUE_TIMEOUT_MS);
	return rc;
}

static int
delete_io_queues_done(struct pnvme_ctrlr *ctrlr)
{
	ctrlr->init.delete_index++;
	init_goto(ctrlr, NVME_INIT_DELETE_IO_QUEUES);
	return 0;
}

void
nvme_ctrlr_init_delete_io_queues(struct pnvme_ctrlr *ctrlr)
{
	struct nvme_ctrlr_init *init = &ctrlr->init;
	struct pnvme_qpair *qpair;
	uint32_t n = 0;

	TAILQ_FOREACH(qpair, &ctrlr->io_qpairs, ctrlr_link) {
		n++;
	}
	init->delete_qids = n > 0 ? calloc(n, sizeof(*init->delete_qids)) : NULL;
	if (init->delete_qids == NULL) {
		return; /* nothing to delete, or the disable does it */
	}
	/* The owners' flags are read without their lock: a queue missed or
	 * named twice costs only a refused Delete or a plain disable. */
	TAILQ_FOREACH(qpair, &ctrlr->io_qpairs, ctrlr_link) {
		if (!qpair->failed && qpair->generation == ctrlr->generation) {
			init->delete_qids[init->num_delete_qids++] = qpair->id;
		}
	}
	init->delete_index = 0;
	init->state = NVME_INIT_DELETE_IO_QUEUES;
}

/* Fabrics: the admin queue's connection, then its Connect, the first steps
 * (registers are properties reached through it). */
static int
open_admin_start(struct pnvme_ctrlr *ctrlr)
{
	int rc;

	if (ctrlr->ops->fabric_qops == NULL) {
		init_goto(ctrlr, NVME_INIT_READ_CAP);
		return 0;
	}
	rc = ctrlr->ops->fabric_qops->open_start(ctrlr->adminq);
	if (rc != 0) {
		ctrlr->init.state = NVME_INIT_FAILED; /* logged */
		return rc;
	}
	ctrlr->init.wait = NVME_WAIT_OPEN;
	return 0;
}

static int
open_admin_done(struct pnvme_ctrlr *ctrlr)
{
	init_goto(ctrlr, NVME_INIT_CONNECT_ADMIN);
	return 0;
}

static int
connect_admin_start(struct pnvme_ctrlr *ctrlr)
{
	return init_wait_admin(ctrlr, nvme_fabric_admin_connect_start(ctrlr, ctrlr->init.buf,
								       init_admin_done, ctrlr));
}

static int
connect_admin_done(struct pnvme_ctrlr *ctrlr)
{
	int rc = nvme_fabric_admin_connect_done(ctrlr, &ctrlr->init.admin_cpl);

	if (rc != 0) {
		ctrlr->init.state = NVME_INIT_FAILED; /* the refusal was logged */
		return rc;
	}
	init_goto(ctrlr, NVME_INIT_READ_CAP);
	return 0;
}

static int
read_cap_start(struct pnvme_ctrlr *ctrlr)
{
	uint64_t vs;
	uint32_t mps;
	int rc;

	rc = init_reg_get(ctrlr, PNVME_REG_CAP, 8, &ctrlr->cap.raw);
	if (rc == 0) {
		rc = init_reg_get(ctrlr, PNVME_REG_VS, 4, &vs);
		ctrlr->vs.raw = (uint32_t)vs;
	}
	if (rc == -EINPROGRESS) {
		return rc;
	}
	if (rc != 0) {
		return init_error(ctrlr, rc, "cannot read CAP/VS (%d)", rc);
	}
	if ((ctrlr->cap.raw == UINT64_MAX || ctrlr->cap.raw == 0) &&
	    nvme_vs_means_removed(ctrlr->vs.raw) && ctrlr->ops->fabric_qops == NULL) {
		return init_error(ctrlr, -ENODEV, "device removed (CAP 0x%016llx, VS 0x%08x)",
				  (unsigned long long)ctrlr->cap.raw, ctrlr->vs.raw);
	}
	if (ctrlr->cap.raw == UINT64_MAX || ctrlr->cap.raw == 0) {
		return init_error(ctrlr, -ENODEV, "CAP reads 0x%016llx: no controller responds",
				  (unsigned long long)ctrlr->cap.raw);
	}
	if (!(ctrlr->cap.bits.css & PNVME_CAP_CSS_NVM)) {
		return init_error(ctrlr, -ENOTSUP, "CAP.CSS 0x%x lacks the NVM command set",
				  ctrlr->cap.bits.css);
	}
	if (ctrlr->cap.bits.mqes < 1) {
		return init_error(ctrlr, -EINVAL, "CAP.MQES 0 is invalid: a queue needs at least "
				  "2 entries");
	}
	/* 4 KiB pages when allowed, else the smallest the controller takes
	 * (the transport refuses page sizes it cannot align queues to). */
	mps = ctrlr->cap.bits.mpsmin;
	if (mps > ctrlr->cap.bits.mpsmax) {
		return init_error(ctrlr, -EINVAL, "CAP.MPSMIN %u > CAP.MPSMAX %u", mps,
				  ctrlr->cap.bits.mpsmax);
	}
	ctrlr->min_page_size = 1u << (12 + mps);
	ctrlr->page_size = ctrlr->min_page_size;
	/* CAP.TO 0 would be no time at all: init_wait_rdy waits 500 ms at least. */
	init_goto(ctrlr, NVME_INIT_CHECK_EN);
	return 0;
}

static int
check_en_start(struct pnvme_ctrlr *ctrlr)
{
	union pnvme_cc_register cc;
	union pnvme_csts_register csts;
	uint64_t v;
	int rc;

	rc = init_reg_get(ctrlr, PNVME_REG_CC, 4, &v);
	cc.raw = (uint32_t)v;
	if (rc == 0) {
		rc = init_reg_get(ctrlr, PNVME_REG_CSTS, 4, &v);
		csts.raw = (uint32_t)v;
	}
	if (rc != 0) {
		return rc;
	}
	if (cc.bits.en && !csts.bits.rdy) {
		/* Enabling is in progress: let it finish before disabling. */
		init_wait_rdy(ctrlr, 1);
		return 0;
	}
	init_goto(ctrlr, (cc.bits.en || csts.bits.rdy) ? NVME_INIT_DISABLE : NVME_INIT_ENABLE);
	return 0;
}

static int
check_en_done(struct pnvme_ctrlr *ctrlr)
{
	init_goto(ctrlr, NVME_INIT_DISABLE);
	return 0;
}

static int
disable_start(struct pnvme_ctrlr *ctrlr)
{
	union pnvme_cc_register cc;
	uint64_t v;
	int rc;

	rc = init_reg_get(ctrlr, PNVME_REG_CC, 4, &v);
	if (rc != 0) {
		return rc;
	}
	cc.raw = (uint32_t)v;
	cc.bits.en = 0;
	rc = init_reg_set(ctrlr, PNVME_REG_CC, cc.raw);
	if (rc != 0) {
		return rc;
	}
	ctrlr->enabled = false;
	init_wait_rdy(ctrlr, 0);
	return 0;
}

static int
disable_done(struct pnvme_ctrlr *ctrlr)
{
	init_goto(ctrlr, NVME_INIT_ENABLE);
	return 0;
}

static int
enable_start(struct pnvme_ctrlr *ctrlr)
{
	union pnvme_cc_register cc;
	int rc;

	/* The controller is disabled (RDY 0 seen): a reset may now complete
	 * what the device held, before the admin queue is set up again. */
	if (ctrlr->state == NVME_CTRLR_RESETTING) {
		nvme_ctrlr_reset_quiesced(ctrlr);
	}
	rc = ctrlr->ops->ctrlr_enable(ctrlr);
	if (rc != 0) {
		return init_error(ctrlr, rc, "cannot set up the admin queue (%d)", rc);
	}
	cc.raw = 0;
	cc.bits.css = 0; /* NVM command set */
	cc.bits.mps = ctrlr->cap.bits.mpsmin;
	cc.bits.iosqes = 6; /* 64-byte SQ entries */
	cc.bits.iocqes = 4; /* 16-byte CQ entries */
	cc.bits.en = 1;
	rc = init_reg_set(ctrlr, PNVME_REG_CC, cc.raw);
	if (rc != 0) {
		return rc;
	}
	ctrlr->enabled = true;
	init_wait_rdy(ctrlr, 1);
	return 0;
}

static int
enable_done(struct pnvme_ctrlr *ctrlr)
{
	init_goto(ctrlr, NVME_INIT_IDENTIFY);
	return 0;
}

static int
identify_start(struct pnvme_ctrlr *ctrlr)
{
	return init_wait_admin(ctrlr, nvme_ctrlr_cmd_identify(ctrlr, PNVME_IDENTIFY_CTRLR, 0, 0,
							     ctrlr->init.buf, init_admin_done,
							     ctrlr));
}

/* Identify Controller fields the driver relies on, checked before use. */
static int
identify_check(struct pnvme_ctrlr *ctrlr, const struct pnvme_ctrlr_data *cdata)
{
	if (ctrlr->is_discovery) {
		return 0; /* no namespaces, no I/O queues: nothing below applies */
	}
	if (cdata->nn == NSID_BROADCAST) {
		return init_error(ctrlr, -EINVAL, "Identify Controller NN 0x%08x is the broadcast "
				  "namespace ID, not a count",
				  cdata->nn);
	}
	/* Fabrics capsules: IOCCSZ holds at least the 64-byte command and its
	 * byte size fits 32 bits; IORCSZ at least the 16-byte completion. */
	if (ctrlr->ops->fabrics && (cdata->ioccsz < 4 || cdata->ioccsz > UINT32_MAX / 16)) {
		return init_error(ctrlr, -EINVAL, "Identify Controller IOCCSZ %u is outside 4-%u",
				  cdata->ioccsz, UINT32_MAX / 16);
	}
	if (ctrlr->ops->fabrics && cdata->iorcsz < 1) {
		return init_error(ctrlr, -EINVAL, "Identify Controller IORCSZ 0 is below the "
				  "16-byte completion");
	}
	return 0;
}

static int
identify_done(struct pnvme_ctrlr *ctrlr)
{
	const struct pnvme_ctrlr_data *cdata = &ctrlr->cdata;
	uint32_t transport_max = ctrlr->ops->ctrlr_get_max_xfer_size(ctrlr);
	uint32_t sgl_support;
	uint64_t mdts_bytes;
	int rc;

	if (pnvme_cpl_is_error(&ctrlr->init.admin_cpl)) {
		return init_admin_error(ctrlr, "Identify Controller");
	}
	memcpy(&ctrlr->cdata, ctrlr->init.buf, sizeof(ctrlr->cdata));
	rc = identify_check(ctrlr, cdata);
	if (rc != 0) {
		return rc;
	}

	ctrlr->max_xfer_size = transport_max;
	if (cdata->mdts != 0) {
		/* MDTS is in units of the minimum page size (at most 2^27): a
		 * shift of 32 or more is past any 32-bit size, so no limit. */
		mdts_bytes = cdata->mdts >= 32 ? UINT64_MAX
					       : (uint64_t)ctrlr->min_page_size << cdata->mdts;
		if (mdts_bytes < ctrlr->max_xfer_size) {
			ctrlr->max_xfer_size = (uint32_t)mdts_bytes;
		}
	}

	ctrlr->flags = 0;
	if (cdata->fuses & PNVME_FUSES_COMPARE_AND_WRITE) {
		ctrlr->flags |= PNVME_CTRLR_FUSED_COMPARE_WRITE;
	}
	/* SGLS bits 1:0 = 11b is reserved: no SGLs rather than a guess. */
	sgl_support = cdata->sgls & PNVME_SGLS_SUPPORTED_MASK;
	if (sgl_support == PNVME_SGLS_SUPPORTED || sgl_support == PNVME_SGLS_SUPPORTED_DWORD_ALIGNED) {
		ctrlr->flags |= PNVME_CTRLR_SGL_SUPPORTED;
	}
	if (cdata->oacs & PNVME_OACS_DOORBELL_BUFFER_CONFIG) {
		ctrlr->flags |= PNVME_CTRLR_SHADOW_DOORBELL;
	}
	if (cdata->vwc & 1) {
		ctrlr->flags |= PNVME_CTRLR_VOLATILE_WRITE_CACHE;
	}
	/* A discovery controller has no queues or namespaces to set up, only
	 * its log change notices when it offers them. */
	if (ctrlr->is_discovery) {
		init_goto(ctrlr, nvme_aer_config(ctrlr) != 0 ? NVME_INIT_CONFIGURE_AER
							   : NVME_INIT_READY);
	} else {
		init_goto(ctrlr, NVME_INIT_SET_NUM_QUEUES);
	}
	return 0;
}

static int
set_num_queues_start(struct pnvme_ctrlr *ctrlr)
{
	uint32_t n = PNVME_MAX(ctrlr->opts.num_io_queues, 1u) - 1;

	if (n > 0xfffe) {
		n = 0xfffe;
	}
	return init_wait_admin(ctrlr, nvme_ctrlr_cmd_set_features(ctrlr,
								  PNVME_FEAT_NUMBER_OF_QUEUES,
								  (n << 16) | n, init_admin_done,
								  ctrlr));
}

static int
set_num_queues_done(struct pnvme_ctrlr *ctrlr)
{
	uint32_t cdw0 = ctrlr->init.admin_cpl.cdw0;
	uint32_t nsqa = cdw0 & 0xffff, ncqa = cdw0 >> 16;

	if (pnvme_cpl_is_error(&ctrlr->init.admin_cpl)) {
		return init_admin_error(ctrlr, "Set Features Number of Queues");
	}
	/* 0-based counts of at most 65535 queues: FFFFh is not a count. */
	if (nsqa == 0xffff || ncqa == 0xffff) {
		return init_error(ctrlr, -EINVAL, "Number of Queues answer 0x%08x: NSQA %u / NCQA "
				  "%u, 65535 is invalid",
				  cdw0, nsqa, ncqa);
	}
	ctrlr->num_io_queues = PNVME_MIN(PNVME_MIN(nsqa + 1, ncqa + 1), ctrlr->opts.num_io_queues);
	init_goto(ctrlr, NVME_INIT_CONFIGURE_AER);
	return 0;
}

/* Enable the asynchronous events the controller supports; the requests go
 * out once it is ready (aer.c). */
static int
configure_aer_start(struct pnvme_ctrlr *ctrlr)
{
	return init_wait_admin(ctrlr, nvme_ctrlr_cmd_set_features(ctrlr,
								  PNVME_FEAT_ASYNC_EVENT_CONFIGURATION,
								  nvme_aer_config(ctrlr),
								  init_admin_done, ctrlr));
}

static int
configure_aer_done(struct pnvme_ctrlr *ctrlr)
{
	/* Not fatal: the controller works without telling its events. */
	if (pnvme_cpl_is_error(&ctrlr->init.admin_cpl)) {
		CTRLR_NOTICELOG(ctrlr, "Set Features Asynchronous Event Configuration 0x%08x: %s; "
				"no asynchronous events",
				nvme_aer_config(ctrlr),
				pnvme_status_string(&ctrlr->init.admin_cpl.status));
		ctrlr->aec = 0;
	} else {
		ctrlr->aec = nvme_aer_config(ctrlr);
	}
	init_goto(ctrlr, ctrlr->is_discovery ? NVME_INIT_READY : NVME_INIT_ACTIVE_NS);
	return 0;
}

/* Record @p nsid. false once MAX_ACTIVE_NS are kept (logged once). */
static int
active_ids_append(struct pnvme_ctrlr *ctrlr, uint32_t nsid, bool *full)
{
	struct nvme_ctrlr_init *init = &ctrlr->init;
	uint32_t *grown;
	uint32_t cap;

	if (init->num_active == MAX_ACTIVE_NS) {
		PNVME_NOTICELOG("%s: more than %u namespaces (NN %u); pnvme uses the first %u",
				ctrlr->trid.traddr, MAX_ACTIVE_NS, ctrlr->cdata.nn, MAX_ACTIVE_NS);
		*full = true;
		return 0;
	}
	if (init->num_active == init->active_cap) {
		/* Bounded by MAX_ACTIVE_NS: the doubling cannot wrap. */
		cap = init->active_cap ? PNVME_MIN(init->active_cap * 2, MAX_ACTIVE_NS) : 64;
		grown = realloc(init->active_ids, cap * sizeof(*grown));
		if (grown == NULL) {
			return -ENOMEM;
		}
		init->active_ids = grown;
		init->active_cap = cap;
	}
	init->active_ids[init->num_active++] = nsid;
	return 0;
}

static int
active_ns_start(struct pnvme_ctrlr *ctrlr)
{
	bool full = false;
	uint64_t nsid; /* NN may be FFFFFFFEh: a 32-bit counter would never pass it */
	int rc;

	if (ctrlr->vs.raw < PNVME_VERSION(1, 1, 0)) {
		/* No active namespace list before 1.1: every ID up to NN. */
		for (nsid = 1; nsid <= ctrlr->cdata.nn && !full; nsid++) {
			rc = active_ids_append(ctrlr, (uint32_t)nsid, &full);
			if (rc != 0) {
				return rc;
			}
		}
		init_goto(ctrlr, NVME_INIT_IDENTIFY_NS);
		return 0;
	}
	return init_wait_admin(ctrlr, nvme_ctrlr_cmd_identify(ctrlr,
							     PNVME_IDENTIFY_ACTIVE_NS_LIST,
							     ctrlr->init.next_nsid, 0,
							     ctrlr->init.buf, init_admin_done,
							     ctrlr));
}

static int
active_ns_done(struct pnvme_ctrlr *ctrlr)
{
	const uint32_t *list = ctrlr->init.buf;
	uint32_t prev = ctrlr->init.next_nsid;
	bool full = false;
	size_t i;
	int rc;

	/* Mandatory from 1.1 (older versions never ask): a failure is the
	 * device's, and the buffer holds nothing of this command. */
	if (pnvme_cpl_is_error(&ctrlr->init.admin_cpl)) {
		return init_admin_error(ctrlr, "Identify Active Namespace List");
	}
	for (i = 0; i < ACTIVE_NS_PAGE_ENTRIES && list[i] != 0 && !full; i++) {
		/* Untrusted: IDs must ascend (so no duplicates) and stay within NN. */
		if (list[i] <= prev || list[i] > ctrlr->cdata.nn) {
			return init_error(ctrlr, -EINVAL, "active namespace list entry %zu (%u) is "
					  "out of order or above NN %u",
					  i, list[i], ctrlr->cdata.nn);
		}
		rc = active_ids_append(ctrlr, list[i], &full);
		if (rc != 0) {
			return rc;
		}
		prev = list[i];
	}
	if (!full && i == ACTIVE_NS_PAGE_ENTRIES && prev < ctrlr->cdata.nn) {
		ctrlr->init.next_nsid = prev; /* full page: ask for the next one */
		init_goto(ctrlr, NVME_INIT_ACTIVE_NS);
		return 0;
	}
	init_goto(ctrlr, NVME_INIT_IDENTIFY_NS);
	return 0;
}

static int
identify_ns_start(struct pnvme_ctrlr *ctrlr)
{
	struct nvme_ctrlr_init *init = &ctrlr->init;

	if (init->ns_index == init->num_active) {
		nvme_ctrlr_ns_table_commit(ctrlr);
		init->ns_index = 0;
		init_goto(ctrlr, NVME_INIT_NS_ID_DESCS);
		return 0;
	}
	return init_wait_admin(ctrlr, nvme_ctrlr_cmd_identify(ctrlr, PNVME_IDENTIFY_NS,
							     init->active_ids[init->ns_index], 0,
							     init->buf, init_admin_done, ctrlr));
}

static int
identify_ns_done(struct pnvme_ctrlr *ctrlr)
{
	struct nvme_ctrlr_init *init = &ctrlr->init;
	uint32_t nsid = init->active_ids[init->ns_index++];

	init_goto(ctrlr, NVME_INIT_IDENTIFY_NS);
	if (pnvme_cpl_is_error(&init->admin_cpl)) {
		PNVME_WARNLOG("%s: Identify Namespace %u failed: %s; namespace skipped",
			      ctrlr->trid.traddr, nsid,
			      pnvme_status_string(&init->admin_cpl.status));
		return 0;
	}
	return nvme_ctrlr_ns_found(ctrlr, nsid, init->buf);
}

static int
ns_id_descs_start(struct pnvme_ctrlr *ctrlr)
{
	struct nvme_ctrlr_init *init = &ctrlr->init;

	if (ctrlr->vs.raw < PNVME_VERSION(1, 3, 0) || init->ns_index == ctrlr->num_ns) {
		init_goto(ctrlr, NVME_INIT_READY);
		return 0;
	}
	memset(init->buf, 0, PNVME_IDENTIFY_DATA_SIZE);
	return init_wait_admin(ctrlr, nvme_ctrlr_cmd_identify(ctrlr,
							     PNVME_IDENTIFY_NS_ID_DESCRIPTOR_LIST,
							     ctrlr->ns[init->ns_index]->id, 0,
							     init->buf, init_admin_done, ctrlr));
}

static int
ns_id_descs_done(struct pnvme_ctrlr *ctrlr)
{
	struct nvme_ctrlr_init *init = &ctrlr->init;
	struct pnvme_ns *ns = ctrlr->ns[init->ns_index++];

	init_goto(ctrlr, NVME_INIT_NS_ID_DESCS);
	/* The list is optional for a controller; its absence is not an error.
	 * A malformed list (logged) leaves the namespace without those IDs. */
	if (!pnvme_cpl_is_error(&init->admin_cpl) &&
	    nvme_ns_apply_id_descs(ns, init->buf, PNVME_IDENTIFY_DATA_SIZE) != 0) {
		ns->has_uuid = false;
		ns->csi = PNVME_CSI_NVM;
	}
	return 0;
}

static const struct init_step g_steps[] = {
	[NVME_INIT_DELETE_IO_QUEUES] = {"DELETE_IO_QUEUES", delete_io_queues_start,
					 delete_io_queues_done},
	[NVME_INIT_OPEN_ADMIN] = {"OPEN_ADMIN", open_admin_start, open_admin_done},
	[NVME_INIT_CONNECT_ADMIN] = {"CONNECT_ADMIN", connect_admin_start, connect_admin_done},
	[NVME_INIT_READ_CAP] = {"READ_CAP", read_cap_start, NULL},
	[NVME_INIT_CHECK_EN] = {"CHECK_EN", check_en_start, check_en_done},
	[NVME_INIT_DISABLE] = {"DISABLE", disable_start, disable_done},
	[NVME_INIT_ENABLE] = {"ENABLE", enable_start, enable_done},
	[NVME_INIT_IDENTIFY] = {"IDENTIFY", identify_start, identify_done},
	[NVME_INIT_SET_NUM_QUEUES] = {"SET_NUM_QUEUES", set_num_queues_start,
				      set_num_queues_done},
	[NVME_INIT_CONFIGURE_AER] = {"CONFIGURE_AER", configure_aer_start, configure_aer_done},
	[NVME_INIT_ACTIVE_NS] = {"ACTIVE_NS", active_ns_start, active_ns_done},
	[NVME_INIT_IDENTIFY_NS] = {"IDENTIFY_NS", identify_ns_start, identify_ns_done},
	[NVME_INIT_NS_ID_DESCS] = {"NS_ID_DESCS", ns_id_descs_start, ns_id_descs_done},
	[NVME_INIT_READY] = {"READY", NULL, NULL},
	[NVME_INIT_FAILED] = {"FAILED", NULL, NULL},
};

const char *
nvme_ctrlr_init_state_name(enum nvme_init_state state)
{
	return state < PNVME_ARRAY_SIZE(g_steps) ? g_steps[state].name : "UNKNOWN";
}

/* ------------------------------------------------------------------ */
/* Driver                                                              */
/* ------------------------------------------------------------------ */

void
nvme_ctrlr_init_cleanup(struct pnvme_ctrlr *ctrlr)
{
	pnvme_dma_free(ctrlr->init.buf);
	ctrlr->init.buf = NULL;
	free(ctrlr->init.active_ids);
	ctrlr->init.active_ids = NULL;
	ctrlr->init.num_active = ctrlr->init.active_cap = 0;
	free(ctrlr->init.delete_qids);
	ctrlr->init.delete_qids = NULL;
	ctrlr->init.num_delete_qids = 0;
}

/* A rescan that failed leaves the controller as it was: the table it
 * committed (if it got that far) stays, and so does the old one otherwise. */
static int
rescan_fail(struct pnvme_ctrlr *ctrlr, int rc)
{
	struct nvme_ctrlr_init *init = &ctrlr->init;

	if (!nvme_ctrlr_is_failed(ctrlr)) {
		CTRLR_ERRLOG(ctrlr, "namespace rescan failed in state %s (%d); the namespace table "
			     "stays as it was",
			     nvme_ctrlr_init_state_name(init->state), rc);
	}
	init->state = NVME_INIT_READY;
	init->wait = NVME_WAIT_NONE;
	init->rescan = false;
	nvme_ctrlr_ns_table_discard(ctrlr);
	free(init->active_ids);
	init->active_ids = NULL;
	init->num_active = init->active_cap = 0;
	if (rc == -ETIMEDOUT) {
		/* The device may still write the buffer: kept for the reset,
		 * which is also what an unanswered admin command calls for. */
		nvme_ctrlr_request_reset(ctrlr, "a namespace rescan's admin command timed out");
	} else {
		nvme_ctrlr_init_cleanup(ctrlr);
	}
	nvme_ctrlr_ns_rescan_done(ctrlr, rc, false);
	return rc;
}

static int
init_fail(struct pnvme_ctrlr *ctrlr, int rc)
{
	if (ctrlr->init.rescan) {
		return rescan_fail(ctrlr, rc);
	}
	/* One line per failure: a step that named the problem, or the
	 * controller failure (logged), leaves nothing to add. */
	if (ctrlr->init.state != NVME_INIT_FAILED && !nvme_ctrlr_is_failed(ctrlr)) {
		CTRLR_ERRLOG(ctrlr, "bring-up failed in state %s (%d)",
			     nvme_ctrlr_init_state_name(ctrlr->init.state), rc);
	}
	ctrlr->init.state = NVME_INIT_FAILED;
	ctrlr->init.wait = NVME_WAIT_NONE;
	nvme_ctrlr_ns_table_discard(ctrlr);
	nvme_ctrlr_ns_rescan_done(ctrlr, rc, true);
	if (ctrlr->state == NVME_CTRLR_RESETTING) {
		/* Every qpair has to hear of it; the line above named the state. */
		nvme_ctrlr_fail(ctrlr, "the reset did not bring the controller back");
	} else if (!nvme_ctrlr_is_failed(ctrlr)) {
		nvme_ctrlr_set_state(ctrlr, NVME_CTRLR_FAILED);
	}
	/* The buffer stays until the controller is disabled: a command that
	 * timed out may still write to it. */
	return rc < 0 ? rc : -EIO;
}

void
nvme_ctrlr_init_start(struct pnvme_ctrlr *ctrlr)
{
	/* A reset after a failed bring-up finds the buffer kept (a command
	 * that timed out might still have written to it): reuse it. */
	void *buf = ctrlr->init.buf;

	nvme_ctrlr_ns_table_discard(ctrlr);
	free(ctrlr->init.active_ids);
	free(ctrlr->init.delete_qids);
	memset(&ctrlr->init, 0, sizeof(ctrlr->init));
	ctrlr->init.state = NVME_INIT_OPEN_ADMIN;
	ctrlr->init.buf = buf != NULL ? buf : pnvme_dma_zmalloc(PNVME_IDENTIFY_DATA_SIZE, 4096, NULL);
	if (ctrlr->init.buf == NULL) {
		init_fail(ctrlr, init_error(ctrlr, -ENOMEM, "cannot allocate a 4 KiB DMA buffer "
					    "for bring-up"));
	}
}

int
nvme_ctrlr_init_rescan_start(struct pnvme_ctrlr *ctrlr)
{
	struct nvme_ctrlr_init *init = &ctrlr->init;

	if (init->state != NVME_INIT_READY) {
		return -EBUSY;
	}
	if (init->buf == NULL) {
		init->buf = pnvme_dma_zmalloc(PNVME_IDENTIFY_DATA_SIZE, 4096, NULL);
		if (init->buf == NULL) {
			return -ENOMEM;
		}
	}
	free(init->active_ids);
	init->active_ids = NULL;
	init->num_active = init->active_cap = 0;
	init->next_nsid = 0;
	init->ns_index = 0;
	init->rescan = true;
	init_goto(ctrlr, NVME_INIT_ACTIVE_NS);
	return 0;
}

/* A CSTS that looks wrong or keeps a wait going: when VS says the device
 * left the bus, bring-up ends here as a removal (one line), not as a fatal
 * status or a timeout. */
static bool
init_device_removed(struct pnvme_ctrlr *ctrlr, union pnvme_csts_register csts)
{
	char why[96], line[160];

	if (!nvme_ctrlr_regs_say_removed(ctrlr, csts, why, sizeof(why))) {
		return false;
	}
	snprintf(line, sizeof(line), "%s in state %s", why,
		 nvme_ctrlr_init_state_name(ctrlr->init.state));
	ctrlr->init.state = NVME_INIT_FAILED;
	nvme_ctrlr_set_removed(ctrlr, line);
	return true;
}

/* Judge CSTS; fail on a fatal status or a vanished device. */
static int
init_judge_csts(struct pnvme_ctrlr *ctrlr, int read_rc, union pnvme_csts_register csts,
		bool cfs_is_fatal)
{
	char why[64];
	int rc = read_rc != 0 ? -ENODEV : nvme_ctrlr_judge_csts(csts, cfs_is_fatal, why, sizeof(why));

	if (read_rc != 0) {
		snprintf(why, sizeof(why), "cannot read CSTS");
	}
	if (rc != 0 && read_rc == 0 && init_device_removed(ctrlr, csts)) {
		return -ENODEV;
	}
	if (rc != 0) {
		return init_error(ctrlr, rc, "%s in state %s", why,
				  nvme_ctrlr_init_state_name(ctrlr->init.state));
	}
	return 0;
}

static int
init_poll_wait(struct pnvme_ctrlr *ctrlr)
{
	struct nvme_ctrlr_init *init = &ctrlr->init;
	union pnvme_csts_register csts;
	uint64_t now = pnvme_get_ticks(), v = 0;
	unsigned int want;
	int32_t n;
	int rc;

	switch (init->wait) {
	case NVME_WAIT_RDY_0:
	case NVME_WAIT_RDY_1:
		if (now < init->not_before) {
			return 0;
		}
		want = init->wait == NVME_WAIT_RDY_1;
		rc = init_reg_get(ctrlr, PNVME_REG_CSTS, 4, &v);
		if (rc == -EINPROGRESS) {
			return 0; /* the answer is polled for */
		}
		init_regs_forget(ctrlr); /* the next look reads it again */
		csts.raw = (uint32_t)v;
		/* A fatal status while disabling is what the reset clears. */
		rc = init_judge_csts(ctrlr, rc, csts, want == 1);
		if (rc != 0) {
			return rc;
		}
		if (csts.bits.rdy == want) {
			init->wait = NVME_WAIT_NONE;
			return g_steps[init->state].done(ctrlr);
		}
		if (init_device_removed(ctrlr, csts)) {
			return -ENODEV;
		}
		if (now > init->deadline) {
			return init_error(ctrlr, -ETIMEDOUT,
					  "timed out in state %s waiting for CSTS.RDY=%u (%u ms)",
					  nvme_ctrlr_init_state_name(init->state), want,
					  PNVME_MAX(ctrlr->cap.bits.to, 1u) * 500u);
		}
		return 0;
	case NVME_WAIT_ADMIN:
		n = nvme_qpair_process_completions(ctrlr->adminq, 0);
		/* A peer may answer and then close (a refused Connect): the
		 * answer is what tells why. */
		if (init->admin_done) {
			init->wait = NVME_WAIT_NONE;
			return g_steps[init->state].done(ctrlr);
		}
		if (n < 0) {
			return n;
		}
		/* CSTS of a fabrics controller is a round trip away: its lost
		 * connection is what tells it is gone. */
		if (ctrlr->ops->fabric_qops == NULL &&
		    (now >= ctrlr->next_health_check || now > init->deadline)) {
			ctrlr->next_health_check = now + nvme_ms_to_ticks(HEALTH_CHECK_MS);
			rc = init_judge_csts(ctrlr, nvme_ctrlr_get_csts(ctrlr, &csts), csts, true);
			if (rc != 0) {
				return rc;
			}
			/* Enabled, so RDY must be set: clear, it may be gone. */
			if (!csts.bits.rdy && init_device_removed(ctrlr, csts)) {
				return -ENODEV;
			}
		}
		if (now > init->deadline && init->state == NVME_INIT_DELETE_IO_QUEUES) {
			/* Unanswered: the disable stops the queues instead (the
			 * command completes, aborted, once the device is stopped). */
			PNVME_NOTICELOG("%s: Delete I/O queue unanswered in %u ms; disabling",
					ctrlr->trid.traddr, DELETE_QUEUE_TIMEOUT_MS);
			init_goto(ctrlr, NVME_INIT_OPEN_ADMIN);
			return 0;
		}
		if (now > init->deadline) {
			return init_error(ctrlr, -ETIMEDOUT,
					  "timed out in state %s waiting for an admin command (%u ms)",
					  nvme_ctrlr_init_state_name(init->state),
					  ctrlr->opts.admin_timeout_ms);
		}
		return 0;
	case NVME_WAIT_OPEN:
		/* The transport keeps the deadline (the admin timeout). */
		rc = ctrlr->ops->fabric_qops->open_poll(ctrlr->adminq);
		if (rc == -EAGAIN) {
			return 0;
		}
		if (rc != 0) {
			init->state = NVME_INIT_FAILED; /* logged */
			return rc;
		}
		init->wait = NVME_WAIT_NONE;
		return g_steps[init->state].done(ctrlr);
	default:
		return 0;
	}
}

int
nvme_ctrlr_init_poll(struct pnvme_ctrlr *ctrlr)
{
	struct nvme_ctrlr_init *init = &ctrlr->init;
	int rc;

	/* Run start steps back to back until one has to wait. */
	for (;;) {
		if (init->state == NVME_INIT_READY) {
			/* The buffer is there only on arrival (cleanup frees it). */
			bool arrived = init->buf != NULL, was_rescan = init->rescan;

			if (arrived && !was_rescan && ctrlr->ops->ctrlr_ready != NULL) {
				/* Transport extras; failures there only cost speed. */
				ctrlr->ops->ctrlr_ready(ctrlr);
			}
			nvme_ctrlr_init_cleanup(ctrlr);
			init->rescan = false;
			if (ctrlr->state == NVME_CTRLR_CONNECTING ||
			    ctrlr->state == NVME_CTRLR_RESETTING) {
				nvme_ctrlr_set_state(ctrlr, NVME_CTRLR_LIVE);
				nvme_ctrlr_bump_epoch(ctrlr); /* I/O qpairs may reconnect */
				nvme_aer_arm(ctrlr);
			}
			if (arrived) {
				/* Told once live: a callback may use the controller. */
				nvme_ctrlr_ns_report_changes(ctrlr);
				nvme_ctrlr_ns_rescan_done(ctrlr, 0, !was_rescan);
			}
			return nvme_ctrlr_is_failed(ctrlr) ? -EIO : 1;
		}
		if (init->state == NVME_INIT_FAILED) {
			return -EIO;
		}
		if (init->reg_pending) {
			rc = init_reg_poll(ctrlr);
			if (rc != 0) {
				return init_fail(ctrlr, rc);
			}
			if (init->reg_pending) {
				return 0; /* still out */
			}
			continue; /* the step (or its wait) runs again with the answer */
		}
		if (init->wait != NVME_WAIT_NONE) {
			rc = init_poll_wait(ctrlr);
			if (rc != 0) {
				return init_fail(ctrlr, rc);
			}
			if (init->wait != NVME_WAIT_NONE) {
				return 0; /* still waiting */
			}
			continue;
		}
		rc = g_steps[init->state].start(ctrlr);
		if (rc != 0 && rc != -EINPROGRESS) {
			return init_fail(ctrlr, rc);
		}
	}
}
