/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Namespace rescans on a live controller: a Namespace Attribute Changed
 * event, or a command of this library that changes namespaces (Format NVM,
 * Namespace Attachment, Namespace Management), asks for one. The rescan is
 * the bring-up's own namespace steps (active list, Identify Namespace, the
 * identification descriptors) run again from the admin poll, so the table
 * is built and committed by the same code as at bring-up and after a reset.
 *
 * Who asked waits for the next whole rescan: one asked for while a rescan
 * runs might have been missed by it, so it waits for the one after.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nvme/nvme_internal.h"

struct nvme_ns_rescan_waiter {
	pnvme_cmd_cb cb_fn;
	void *cb_arg;
	STAILQ_ENTRY(nvme_ns_rescan_waiter) link;
};

static void
waiters_complete(struct nvme_rescan_waiters *list, bool ok)
{
	struct nvme_ns_rescan_waiter *w;
	struct pnvme_cpl cpl;

	memset(&cpl, 0, sizeof(cpl));
	if (!ok) {
		cpl.status.sct = PNVME_SCT_GENERIC;
		cpl.status.sc = PNVME_SC_ABORTED_SQ_DELETION;
		cpl.status.dnr = 1;
	}
	while ((w = STAILQ_FIRST(list)) != NULL) {
		STAILQ_REMOVE_HEAD(list, link);
		w->cb_fn(w->cb_arg, &cpl);
		free(w);
	}
}

/* Start the wanted rescan if the controller can run one now. */
static void
rescan_kick(struct pnvme_ctrlr *ctrlr)
{
	int rc;

	if (!ctrlr->rescan_wanted || ctrlr->state != NVME_CTRLR_LIVE ||
	    ctrlr->init.state != NVME_INIT_READY) {
		return;
	}
	ctrlr->rescan_wanted = false;
	STAILQ_CONCAT(&ctrlr->rescan_running, &ctrlr->rescan_waiters);
	rc = nvme_ctrlr_init_rescan_start(ctrlr);
	if (rc != 0) {
		CTRLR_ERRLOG(ctrlr, "cannot start a namespace rescan (%d)", rc);
		waiters_complete(&ctrlr->rescan_running, false);
	}
}

int
nvme_ctrlr_ns_rescan(struct pnvme_ctrlr *ctrlr, pnvme_cmd_cb cb_fn, void *cb_arg)
{
	struct nvme_ns_rescan_waiter *w = NULL;

	if (nvme_ctrlr_is_failed(ctrlr)) {
		return -ENXIO;
	}
	if (cb_fn != NULL) {
		w = calloc(1, sizeof(*w));
		if (w == NULL) {
			return -ENOMEM;
		}
		w->cb_fn = cb_fn;
		w->cb_arg = cb_arg;
	}
	pthread_mutex_lock(&ctrlr->lock);
	if (w != NULL) {
		STAILQ_INSERT_TAIL(&ctrlr->rescan_waiters, w, link);
	}
	ctrlr->rescan_wanted = true;
	pthread_mutex_unlock(&ctrlr->lock);
	/* Started by the next admin poll: this may run inside a completion
	 * callback of the admin queue. */
	return 0;
}

void
nvme_ctrlr_ns_rescan_poll(struct pnvme_ctrlr *ctrlr)
{
	if (ctrlr->init.rescan) {
		/* Its result reaches nvme_ctrlr_ns_rescan_done(). */
		nvme_ctrlr_init_poll(ctrlr);
	}
	rescan_kick(ctrlr);
}

void
nvme_ctrlr_ns_rescan_done(struct pnvme_ctrlr *ctrlr, int rc, bool by_reset)
{
	waiters_complete(&ctrlr->rescan_running, rc == 0);
	if (by_reset) {
		/* A whole bring-up identified every namespace after they asked. */
		ctrlr->rescan_wanted = false;
		waiters_complete(&ctrlr->rescan_waiters, rc == 0);
	}
}

void
nvme_ctrlr_ns_rescan_fini(struct pnvme_ctrlr *ctrlr)
{
	ctrlr->rescan_wanted = false;
	waiters_complete(&ctrlr->rescan_running, false);
	waiters_complete(&ctrlr->rescan_waiters, false);
}

int
pnvme_ctrlr_rescan_namespaces(struct pnvme_ctrlr *ctrlr, pnvme_cmd_cb cb_fn, void *cb_arg)
{
	if (ctrlr == NULL) {
		PNVME_ERRLOG("rescan_namespaces: NULL controller");
		return -EINVAL;
	}
	return nvme_ctrlr_ns_rescan(ctrlr, cb_fn, cb_arg);
}

int
pnvme_ctrlr_register_ns_change_callback(struct pnvme_ctrlr *ctrlr, pnvme_ns_change_cb cb,
					void *arg)
{
	if (ctrlr == NULL) {
		PNVME_ERRLOG("register_ns_change_callback: NULL controller");
		return -EINVAL;
	}
	pthread_mutex_lock(&ctrlr->lock);
	ctrlr->ns_change_cb = cb;
	ctrlr->ns_change_cb_arg = arg;
	pthread_mutex_unlock(&ctrlr->lock);
	return 0;
}
