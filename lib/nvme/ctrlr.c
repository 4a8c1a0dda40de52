/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Controller object: options, health watching, failure, shutdown and the
 * public getters. Bring-up lives in ctrlr_init.c.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uuid/uuid.h>

#include "nvme/fabrics.h"

#define HEALTH_CHECK_MS 100
#define SHUTDOWN_MIN_TIMEOUT_MS 10000
#define DISABLE_TIMEOUT_MS 2000

/* The admin lock is recursive: completion callbacks may submit again. */
static pthread_mutexattr_t g_recursive_attr;

__attribute__((constructor)) static void
recursive_attr_init(void)
{
	pthread_mutexattr_init(&g_recursive_attr);
	pthread_mutexattr_settype(&g_recursive_attr, PTHREAD_MUTEX_RECURSIVE);
}

/* One host identity per process, as fabrics targets expect. */
static uint8_t g_host_id[16];
static char g_hostnqn[PNVME_NQN_MAX_LEN + 1];
static pthread_once_t g_host_id_once = PTHREAD_ONCE_INIT;

static void
host_id_init(void)
{
	char str[37];

	uuid_generate(g_host_id);
	uuid_unparse_lower(g_host_id, str);
	snprintf(g_hostnqn, sizeof(g_hostnqn), "nqn.2014-08.org.nvmexpress:uuid:%s", str);
}

void
pnvme_ctrlr_get_default_opts(struct pnvme_ctrlr_opts *opts, size_t opts_size)
{
	struct pnvme_ctrlr_opts d;

	if (opts == NULL || opts_size == 0) {
		return;
	}
	pthread_once(&g_host_id_once, host_id_init);
	memset(&d, 0, sizeof(d));
	d.num_io_queues = 64;
	d.admin_queue_size = 32;
	d.admin_timeout_ms = 10000;
	d.keep_alive_timeout_ms = 10000;
	memcpy(d.hostnqn, g_hostnqn, sizeof(d.hostnqn));
	memcpy(d.extended_host_id, g_host_id, sizeof(d.extended_host_id));
	d.opts_size = PNVME_MIN(opts_size, sizeof(d));
	memcpy(opts, &d, d.opts_size);
}

void
nvme_ctrlr_opts_copy(struct pnvme_ctrlr_opts *dst, const struct pnvme_ctrlr_opts *src,
		     size_t src_size)
{
	pnvme_ctrlr_get_default_opts(dst, sizeof(*dst));
	if (src != NULL) {
		/* Fields beyond what the caller knows keep their defaults. */
		memcpy(dst, src, PNVME_MIN(src_size, sizeof(*dst)));
	}
	dst->opts_size = sizeof(*dst);
	if (dst->admin_queue_size < 2) {
		dst->admin_queue_size = 2;
	} else if (dst->admin_queue_size > 4096) {
		dst->admin_queue_size = 4096;
	}
	if (dst->num_io_queues == 0) {
		dst->num_io_queues = 1;
	}
	if (dst->admin_timeout_ms == 0) {
		dst->admin_timeout_ms = 10000;
	}
}

int
nvme_ctrlr_construct(struct pnvme_ctrlr *ctrlr, const struct nvme_transport_ops *ops,
		     const struct pnvme_transport_id *trid, const struct pnvme_ctrlr_opts *opts)
{
	ctrlr->ops = ops;
	ctrlr->trid = *trid;
	nvme_ctrlr_opts_copy(&ctrlr->opts, opts, opts != NULL ? opts->opts_size : 0);
	ctrlr->state = NVME_CTRLR_CONNECTING;
	ctrlr->enabled = false;
	ctrlr->ns = NULL;
	ctrlr->num_ns = 0;
	ctrlr->gone_ns = NULL;
	ctrlr->num_gone_ns = 0;
	ctrlr->free_qids = NULL;
	TAILQ_INIT(&ctrlr->io_qpairs);
	STAILQ_INIT(&ctrlr->queued_aborts);
	STAILQ_INIT(&ctrlr->rescan_waiters);
	STAILQ_INIT(&ctrlr->rescan_running);
	ctrlr->aborts_outstanding = 0;
	return pthread_mutex_init(&ctrlr->lock, &g_recursive_attr) == 0 ? 0 : -ENOMEM;
}

void
nvme_ctrlr_destruct_common(struct pnvme_ctrlr *ctrlr)
{
	nvme_ctrlr_init_cleanup(ctrlr);
	nvme_aer_fini(ctrlr);
	nvme_ctrlr_ns_rescan_fini(ctrlr);
	nvme_ctrlr_free_namespaces(ctrlr);
	free(ctrlr->free_qids);
	ctrlr->free_qids = NULL;
	pthread_mutex_destroy(&ctrlr->lock);
}

const char *
nvme_ctrlr_state_name(enum nvme_ctrlr_state state)
{
	switch (state) {
	case NVME_CTRLR_CONNECTING:
		return "CONNECTING";
	case NVME_CTRLR_LIVE:
		return "LIVE";
	case NVME_CTRLR_RESETTING:
		return "RESETTING";
	case NVME_CTRLR_FAILED:
		return "FAILED";
	case NVME_CTRLR_REMOVED:
		return "REMOVED";
	}
	return "unknown";
}

bool
nvme_ctrlr_set_state(struct pnvme_ctrlr *ctrlr, enum nvme_ctrlr_state state)
{
	enum nvme_ctrlr_state from = ctrlr->state;
	bool ok;

	switch (state) {
	case NVME_CTRLR_LIVE:
		ok = from == NVME_CTRLR_CONNECTING || from == NVME_CTRLR_RESETTING;
		break;
	case NVME_CTRLR_RESETTING:
		ok = from == NVME_CTRLR_LIVE || from == NVME_CTRLR_FAILED;
		break;
	case NVME_CTRLR_FAILED:
		ok = from == NVME_CTRLR_CONNECTING || from == NVME_CTRLR_LIVE ||
		     from == NVME_CTRLR_RESETTING;
		break;
	case NVME_CTRLR_REMOVED:
		ok = true;
		break;
	default:
		ok = false;
		break;
	}
	if (!ok) {
		PNVME_ERRLOG("%s: controller state %s cannot become %s", ctrlr->trid.traddr,
			     nvme_ctrlr_state_name(from), nvme_ctrlr_state_name(state));
		return false;
	}
	ctrlr->state = state;
	return true;
}

/* Stop the controller in @p state (FAILED or REMOVED): every request
 * completes with an error and the I/O qpairs are told through the epoch.
 * The state is written before the epoch, so a qpair that follows it sees
 * the final one. */
static void
ctrlr_stop(struct pnvme_ctrlr *ctrlr, enum nvme_ctrlr_state state)
{
	bool was_failed = nvme_ctrlr_is_failed(ctrlr);

	nvme_ctrlr_set_state(ctrlr, state);
	nvme_ctrlr_bump_epoch(ctrlr);
	if (was_failed) {
		return; /* its requests were completed when it failed */
	}
	pthread_mutex_lock(&ctrlr->lock);
	if (ctrlr->adminq != NULL) {
		nvme_qpair_fail(ctrlr->adminq);
	}
	nvme_abort_fail_queued(ctrlr);
	pthread_mutex_unlock(&ctrlr->lock);
}

void
nvme_ctrlr_set_removed(struct pnvme_ctrlr *ctrlr, const char *why)
{
	if (ctrlr->state == NVME_CTRLR_REMOVED) {
		return;
	}
	PNVME_ERRLOG("%s: controller removed: %s", ctrlr->trid.traddr, why);
	ctrlr_stop(ctrlr, NVME_CTRLR_REMOVED);
}

void
nvme_ctrlr_fail(struct pnvme_ctrlr *ctrlr, const char *why)
{
	if (nvme_ctrlr_is_failed(ctrlr)) {
		return;
	}
	PNVME_ERRLOG("%s: controller failed: %s", ctrlr->trid.traddr, why);
	ctrlr_stop(ctrlr, NVME_CTRLR_FAILED);
}

bool
nvme_ctrlr_regs_say_removed(struct pnvme_ctrlr *ctrlr, union pnvme_csts_register csts, char *why,
			    size_t why_len)
{
	uint32_t vs = 0;

	/* A fabrics controller's registers are a round trip away; its lost
	 * connection is what tells it is gone. */
	if (ctrlr->ops->fabrics || ctrlr->ops->ctrlr_get_reg_4(ctrlr, PNVME_REG_VS, &vs) != 0) {
		return false;
	}
	if (nvme_vs_means_removed(vs)) {
		snprintf(why, why_len, "device removed (CSTS 0x%08x, VS 0x%08x)", csts.raw, vs);
		return true;
	}
	/* Registers still answer while the kernel unbinds the device on its
	 * way out; a device that lost bus mastering then reports a fatal
	 * status of its own making. */
	if (ctrlr->ops->ctrlr_is_present != NULL && !ctrlr->ops->ctrlr_is_present(ctrlr)) {
		snprintf(why, why_len, "device removed (CSTS 0x%08x; unbound or gone from the bus)",
			 csts.raw);
		return true;
	}
	return false;
}

int
nvme_ctrlr_read_csts(struct pnvme_ctrlr *ctrlr, union pnvme_csts_register *csts,
		     bool cfs_is_fatal, char *why, size_t why_len)
{
	if (nvme_ctrlr_get_csts(ctrlr, csts) != 0) {
		snprintf(why, why_len, "cannot read CSTS");
		return -ENODEV;
	}
	return nvme_ctrlr_judge_csts(*csts, cfs_is_fatal, why, why_len);
}

int
nvme_ctrlr_judge_csts(union pnvme_csts_register csts, bool cfs_is_fatal, char *why,
		      size_t why_len)
{
	const union pnvme_csts_register *cs = &csts;

	if (cs->raw == UINT32_MAX) {
		snprintf(why, why_len, "CSTS reads all ones (device gone)");
		return -ENODEV;
	}
	if (cfs_is_fatal && cs->bits.cfs) {
		snprintf(why, why_len, "controller fatal status (CSTS.CFS)");
		return -EIO;
	}
	return 0;
}

/* Look at the device between admin polls: removal, fatal status, reset. */
static void
ctrlr_check_health(struct pnvme_ctrlr *ctrlr)
{
	union pnvme_csts_register csts = {.raw = 0};
	char why[96];
	int rc;

	if (ctrlr->ops->ctrlr_is_present != NULL && !ctrlr->ops->ctrlr_is_present(ctrlr)) {
		nvme_ctrlr_set_removed(ctrlr, "device removed (unbound or gone from the bus)");
		return;
	}
	if (ctrlr->ops->fabrics) {
		/* CSTS is a round trip away; a lost connection or keep-alive
		 * failure is what tells that this controller is gone. */
		return;
	}
	rc = nvme_ctrlr_read_csts(ctrlr, &csts, true, why, sizeof(why));
	if (rc == 0 && ctrlr->enabled && !csts.bits.rdy) {
		snprintf(why, sizeof(why), "CSTS.RDY dropped (CSTS 0x%08x): controller reset",
			 csts.raw);
		rc = -EIO;
	}
	if (rc == 0) {
		return;
	}
	/* A CSTS that looks wrong may belong to a device that left the bus:
	 * its registers then read all ones (or zero on some platforms), and
	 * VS, never 0 or all ones on a live controller, tells which. */
	if (nvme_ctrlr_regs_say_removed(ctrlr, csts, why, sizeof(why))) {
		nvme_ctrlr_set_removed(ctrlr, why);
	} else {
		nvme_ctrlr_fail(ctrlr, why);
	}
}

int32_t
pnvme_ctrlr_process_admin_completions(struct pnvme_ctrlr *ctrlr)
{
	uint64_t now;
	int32_t n;

	if (ctrlr == NULL) {
		PNVME_ERRLOG("process_admin_completions: NULL controller");
		return -EINVAL;
	}
	if (pnvme_unlikely(ctrlr->reset_requested) && ctrlr->state != NVME_CTRLR_RESETTING) {
		ctrlr->reset_requested = false;
		pnvme_ctrlr_disconnect(ctrlr);
	}
	if (nvme_ctrlr_is_failed(ctrlr)) {
		return -ENXIO;
	}
	if (ctrlr->state == NVME_CTRLR_RESETTING) {
		/* The reset's steps, from whichever thread started it. */
		return pnvme_ctrlr_reconnect_poll_async(ctrlr) == -ENXIO ? -ENXIO : 0;
	}
	pthread_mutex_lock(&ctrlr->lock);
	n = nvme_qpair_process_completions(ctrlr->adminq, 0);
	now = pnvme_get_ticks();
	if (now >= ctrlr->next_health_check) {
		ctrlr->next_health_check = now + nvme_ms_to_ticks(HEALTH_CHECK_MS);
		ctrlr_check_health(ctrlr);
	}
	if (!nvme_ctrlr_is_failed(ctrlr) && ctrlr->ops->fabrics) {
		nvme_fabric_keep_alive(ctrlr, now);
	}
	if (!nvme_ctrlr_is_failed(ctrlr)) {
		nvme_ctrlr_ns_rescan_poll(ctrlr);
	}
	if (pnvme_unlikely(ctrlr->discovery_read_due) && !nvme_ctrlr_is_failed(ctrlr)) {
		nvme_aer_poll(ctrlr);
	}
	pthread_mutex_unlock(&ctrlr->lock);
	return nvme_ctrlr_is_failed(ctrlr) ? -ENXIO : n;
}

/* Wait for CSTS to satisfy (csts & mask) == value, polling each ms. */
static int
wait_csts(struct pnvme_ctrlr *ctrlr, uint32_t mask, uint32_t value, uint32_t timeout_ms)
{
	uint64_t deadline = pnvme_get_ticks() + nvme_ms_to_ticks(timeout_ms);
	union pnvme_csts_register csts;
	char why[96];

	for (;;) {
		if (nvme_ctrlr_read_csts(ctrlr, &csts, false, why, sizeof(why)) != 0) {
			return -ENODEV;
		}
		if ((csts.raw & mask) == value) {
			return 0;
		}
		/* A removed device would be waited for until the deadline. */
		if (nvme_ctrlr_regs_say_removed(ctrlr, csts, why, sizeof(why))) {
			nvme_ctrlr_set_removed(ctrlr, why);
			return -ENODEV;
		}
		if (pnvme_get_ticks() > deadline) {
			return -ETIMEDOUT;
		}
		pnvme_delay_us(1000);
	}
}

static int
ctrlr_shutdown(struct pnvme_ctrlr *ctrlr)
{
	union pnvme_csts_register shst_mask = {.raw = 0};
	union pnvme_csts_register shst_done = {.raw = 0};
	union pnvme_cc_register cc;
	uint32_t timeout_ms;
	int rc;

	if (nvme_ctrlr_get_cc(ctrlr, &cc) != 0) {
		return -ENODEV;
	}
	if (ctrlr->init.state != NVME_INIT_READY) {
		/* Half-initialised: a plain disable stops any DMA. */
		cc.bits.en = 0;
		if (nvme_ctrlr_set_cc(ctrlr, &cc) != 0) {
			return -ENODEV;
		}
		ctrlr->enabled = false;
		return wait_csts(ctrlr, 1u, 0u, DISABLE_TIMEOUT_MS);
	}
	cc.bits.shn = PNVME_SHN_NORMAL;
	if (nvme_ctrlr_set_cc(ctrlr, &cc) != 0) {
		return -ENODEV;
	}
	timeout_ms = PNVME_MAX(ctrlr->cdata.rtd3e / 1000u, (uint32_t)SHUTDOWN_MIN_TIMEOUT_MS);
	shst_mask.bits.shst = 3;
	shst_done.bits.shst = PNVME_SHST_COMPLETE;
	rc = wait_csts(ctrlr, shst_mask.raw, shst_done.raw, timeout_ms);
	if (rc == -ETIMEDOUT) {
		PNVME_ERRLOG("%s: shutdown did not complete within %u ms", ctrlr->trid.traddr,
			     timeout_ms);
	}
	return rc;
}

int
nvme_ctrlr_shutdown_and_free(struct pnvme_ctrlr *ctrlr)
{
	int rc = 0;

	nvme_ctrlr_free_io_qpairs(ctrlr);
	if (ctrlr->state != NVME_CTRLR_REMOVED && ctrlr->enabled) {
		rc = ctrlr_shutdown(ctrlr);
		if (rc == -ENODEV) {
			rc = 0; /* nothing left to shut down */
		}
	}
	/* Complete whatever is still outstanding before memory goes away. */
	if (ctrlr->adminq != NULL && !ctrlr->adminq->failed) {
		nvme_qpair_fail(ctrlr->adminq);
	}
	nvme_abort_fail_queued(ctrlr);
	ctrlr->ops->ctrlr_destruct(ctrlr);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Getters                                                             */
/* ------------------------------------------------------------------ */

const struct pnvme_ctrlr_data *
pnvme_ctrlr_get_data(const struct pnvme_ctrlr *ctrlr)
{
	return &ctrlr->cdata;
}

union pnvme_cap_register
pnvme_ctrlr_get_regs_cap(const struct pnvme_ctrlr *ctrlr)
{
	return ctrlr->cap;
}

union pnvme_vs_register
pnvme_ctrlr_get_regs_vs(const struct pnvme_ctrlr *ctrlr)
{
	return ctrlr->vs;
}

const struct pnvme_transport_id *
pnvme_ctrlr_get_transport_id(const struct pnvme_ctrlr *ctrlr)
{
	return &ctrlr->trid;
}

int
pnvme_ctrlr_get_pci_id(const struct pnvme_ctrlr *ctrlr, struct pnvme_pci_id *id)
{
	if (ctrlr == NULL || id == NULL) {
		PNVME_ERRLOG("get_pci_id: NULL argument");
		return -EINVAL;
	}
	if (ctrlr->ops->ctrlr_get_pci_id == NULL) {
		return -ENOTSUP;
	}
	return ctrlr->ops->ctrlr_get_pci_id(ctrlr, id);
}

uint64_t
pnvme_ctrlr_get_flags(const struct pnvme_ctrlr *ctrlr)
{
	return ctrlr->flags;
}

uint32_t
pnvme_ctrlr_get_max_xfer_size(const struct pnvme_ctrlr *ctrlr)
{
	return ctrlr->max_xfer_size;
}

uint32_t
pnvme_ctrlr_get_num_io_queues(const struct pnvme_ctrlr *ctrlr)
{
	return ctrlr->num_io_queues;
}

uint32_t
pnvme_ctrlr_get_num_ns(const struct pnvme_ctrlr *ctrlr)
{
	return ctrlr->cdata.nn;
}

bool
pnvme_ctrlr_is_failed(const struct pnvme_ctrlr *ctrlr)
{
	return nvme_ctrlr_is_failed(ctrlr);
}
