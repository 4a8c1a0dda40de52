/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Asynchronous events: up to AERL+1 (at most NVME_MAX_AERS) Asynchronous
 * Event Requests kept outstanding on the admin queue. Each one, when the
 * controller answers it, reads the log page the event names (which clears
 * the event), tells the application, and goes out again. A request the
 * controller gives back with an error (a reset aborts them all) is not
 * sent again until the controller is ready once more.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nvme/fabrics.h"

#define NVME_MAX_AERS 4u
/* The log read for an event: at most this much of it. */
#define AER_LOG_MAX 4096u

/* One Asynchronous Event Request and the log read for its event. */
struct nvme_aer {
	struct pnvme_ctrlr *ctrlr;
	bool outstanding; /* the request, or its log read, is with the controller */
	/* A discovery log change: the log is read by the next admin poll. */
	bool discovery_read_due;
	struct pnvme_async_event event;
	void *log; /* AER_LOG_MAX bytes of DMA memory */
};

/* SMART/health critical warning bits 0-4 (spare, temperature, reliability,
 * read-only, volatile memory backup) are defined since NVMe 1.0. */
#define AEC_SMART_WARNINGS 0x1fu
/* OAES bits that enable the notice of the same bit in the configuration:
 * namespace attribute, firmware activation, ANA change, predictable
 * latency, LBA status, endurance group (8, 9, 11-14). */
#define OAES_NOTICES 0x7b00u
/* LPA bit 3: telemetry host-initiated log, whose notices bit 10 enables. */
#define LPA_TELEMETRY (1u << 3)

uint32_t
nvme_aer_config(const struct pnvme_ctrlr *ctrlr)
{
	uint32_t aec = AEC_SMART_WARNINGS | (ctrlr->cdata.oaes & OAES_NOTICES);

	if (ctrlr->is_discovery) {
		/* Only its log changes: OAES bit 31 enables bit 31. */
		return ctrlr->cdata.oaes & PNVME_AEC_DISCOVERY_LOG_CHANGE;
	}

	if (ctrlr->cdata.lpa & LPA_TELEMETRY) {
		aec |= PNVME_AEC_TELEMETRY_LOG;
	}
	return aec;
}

/* Bytes of log page @p lid read for an event (0: not read). */
static uint32_t
event_log_len(const struct pnvme_ctrlr *ctrlr, uint8_t lid)
{
	switch (lid) {
	case PNVME_LOG_PAGE_ERROR:
		/* One 64-byte entry each, ELPE+1 of them. */
		return PNVME_MIN(64u * (ctrlr->cdata.elpe + 1u), AER_LOG_MAX);
	case PNVME_LOG_PAGE_HEALTH_INFORMATION:
	case PNVME_LOG_PAGE_FIRMWARE_SLOT:
		return 512;
	case PNVME_LOG_PAGE_CHANGED_NS_LIST:
		return 4096;
	default:
		return 0;
	}
}

static void aer_send(struct nvme_aer *aer);

/* The event is read: tell the application, then listen again. */
static void
aer_report(struct nvme_aer *aer)
{
	struct pnvme_ctrlr *ctrlr = aer->ctrlr;

	if (aer->event.type == PNVME_ASYNC_EVENT_TYPE_NOTICE &&
	    aer->event.info == PNVME_AER_NOTICE_NS_ATTRIBUTE_CHANGED) {
		/* The changed list may have overflowed: identify them all. */
		nvme_ctrlr_ns_rescan(ctrlr, NULL, NULL);
	}
	if (ctrlr->aer_cb != NULL) {
		ctrlr->aer_cb(ctrlr->aer_cb_arg, &aer->event);
	}
	if (ctrlr->state == NVME_CTRLR_LIVE) {
		aer_send(aer);
	}
}

static void
aer_log_done(void *arg, const struct pnvme_cpl *cpl)
{
	struct nvme_aer *aer = arg;

	aer->outstanding = false;
	if (pnvme_cpl_is_error(cpl)) {
		aer->event.log = NULL;
		aer->event.log_rc = -EIO;
		CTRLR_ERRLOG(aer->ctrlr, "reading log page 0x%02x for an asynchronous event: %s",
			     aer->event.log_page, pnvme_status_string(&cpl->status));
	}
	aer_report(aer);
}

static void
aer_done(void *arg, const struct pnvme_cpl *cpl)
{
	struct nvme_aer *aer = arg;
	struct pnvme_ctrlr *ctrlr = aer->ctrlr;
	struct pnvme_async_event *ev = &aer->event;
	struct pnvme_log_page_opts opts = {.opts_size = sizeof(opts)};
	uint32_t len;
	int rc;

	aer->outstanding = false;
	if (pnvme_cpl_is_error(cpl)) {
		/* Aborted by a reset or a failure: sent again once the
		 * controller is ready. Other errors (the limit, an
		 * unsupported command) stop this one. */
		if (!(cpl->status.sct == PNVME_SCT_GENERIC &&
		      cpl->status.sc == PNVME_SC_ABORTED_SQ_DELETION)) {
			CTRLR_NOTICELOG(ctrlr, "an Asynchronous Event Request ended: %s",
					pnvme_status_string(&cpl->status));
		}
		return;
	}
	memset(ev, 0, sizeof(*ev));
	ev->cdw0 = cpl->cdw0;
	ev->type = cpl->cdw0 & 7;
	ev->info = (uint8_t)(cpl->cdw0 >> 8);
	ev->log_page = (uint8_t)(cpl->cdw0 >> 16);
	if (ctrlr->is_discovery && ev->log_page == PNVME_LOG_PAGE_DISCOVERY) {
		/* The whole log, header first and again if it changes while
		 * read: a synchronous walk, so not inside this callback. */
		aer->outstanding = true;
		aer->discovery_read_due = true;
		ctrlr->discovery_read_due = true;
		return;
	}
	len = event_log_len(ctrlr, ev->log_page);
	if (len == 0) {
		ev->log_rc = -ENOTSUP;
		aer_report(aer);
		return;
	}
	/* Read with RAE clear: reading the log is what clears the event, so
	 * the controller may report the next one. */
	memset(aer->log, 0, len);
	ev->log = aer->log;
	ev->log_len = len;
	aer->outstanding = true;
	rc = pnvme_ctrlr_cmd_get_log_page(ctrlr, ev->log_page, PNVME_NSID_ALL, aer->log, len, &opts,
					  aer_log_done, aer);
	if (rc != 0) {
		aer->outstanding = false;
		ev->log = NULL;
		ev->log_rc = rc;
		aer_report(aer);
	}
}

static void
aer_send(struct nvme_aer *aer)
{
	struct pnvme_cmd cmd;
	int rc;

	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = PNVME_OPC_ASYNC_EVENT_REQUEST;
	aer->outstanding = true;
	rc = nvme_ctrlr_submit_admin(aer->ctrlr, &cmd, NULL, 0, aer_done, aer);
	if (rc != 0) {
		aer->outstanding = false;
		CTRLR_NOTICELOG(aer->ctrlr, "cannot send an Asynchronous Event Request (%d)", rc);
	}
}

void
nvme_aer_arm(struct pnvme_ctrlr *ctrlr)
{
	uint32_t limit = PNVME_MIN(ctrlr->cdata.aerl + 1u, NVME_MAX_AERS), i;

	if (ctrlr->aec == 0) {
		return;
	}
	if (ctrlr->aers == NULL) {
		ctrlr->aers = calloc(NVME_MAX_AERS, sizeof(*ctrlr->aers));
		if (ctrlr->aers == NULL) {
			CTRLR_ERRLOG(ctrlr, "no memory for asynchronous events");
			return;
		}
	}
	ctrlr->aer_limit = limit;
	for (i = 0; i < limit; i++) {
		struct nvme_aer *aer = &ctrlr->aers[i];

		aer->ctrlr = ctrlr;
		if (aer->log == NULL) {
			aer->log = pnvme_dma_zmalloc(AER_LOG_MAX, 4096, NULL);
			if (aer->log == NULL) {
				CTRLR_ERRLOG(ctrlr, "no DMA memory for asynchronous event logs");
				return;
			}
		}
		if (!aer->outstanding) {
			aer_send(aer);
		}
	}
}

void
nvme_aer_poll(struct pnvme_ctrlr *ctrlr)
{
	struct pnvme_discovery_log_entry *entries;
	struct nvme_aer *aer;
	uint64_t genctr;
	uint32_t i, num;

	ctrlr->discovery_read_due = false;
	for (i = 0; i < ctrlr->aer_limit; i++) {
		aer = &ctrlr->aers[i];
		if (!aer->discovery_read_due) {
			continue;
		}
		entries = NULL;
		num = 0;
		aer->event.log_rc = nvme_fabric_read_discovery_log(ctrlr, &entries, &num, &genctr);
		aer->event.log = aer->event.log_rc == 0 ? entries : NULL;
		aer->event.log_len = aer->event.log_rc == 0 ? num * (uint32_t)sizeof(*entries) : 0;
		aer->discovery_read_due = false;
		aer->outstanding = false;
		aer_report(aer);
		free(entries);
	}
}

void
nvme_aer_fini(struct pnvme_ctrlr *ctrlr)
{
	uint32_t i;

	if (ctrlr->aers == NULL) {
		return;
	}
	for (i = 0; i < NVME_MAX_AERS; i++) {
		pnvme_dma_free(ctrlr->aers[i].log);
	}
	free(ctrlr->aers);
	ctrlr->aers = NULL;
}

int
pnvme_ctrlr_register_aer_callback(struct pnvme_ctrlr *ctrlr, pnvme_aer_cb cb, void *arg)
{
	if (ctrlr == NULL) {
		PNVME_ERRLOG("register_aer_callback: NULL controller");
		return -EINVAL;
	}
	pthread_mutex_lock(&ctrlr->lock);
	ctrlr->aer_cb = cb;
	ctrlr->aer_cb_arg = arg;
	pthread_mutex_unlock(&ctrlr->lock);
	return 0;
}
