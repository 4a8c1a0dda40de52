/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Subsystem and controller state shared by the connection threads. Each
 * controller has its own lock; the subsystem lock only guards the table
 * of controllers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "subsystem.h"

/* Offsets of Connect data fields, reported with Invalid Parameters. */
#define CONNECT_DATA_CNTLID_OFFSET 16u
#define CONNECT_DATA_HOSTNQN_OFFSET 512u

int
target_subsys_init(struct target_subsys *subsys, const char *nqn, uint64_t ns_bytes,
		   bool null_ns)
{
	memset(subsys, 0, sizeof(*subsys));
	if (strlen(nqn) >= TARGET_NQN_SIZE || nqn[0] == '\0') {
		return -EINVAL;
	}
	snprintf(subsys->nqn, sizeof(subsys->nqn), "%s", nqn);
	pthread_mutex_init(&subsys->lock, NULL);
	subsys->next_cntlid = 1;
	subsys->fused_supported = true;
	return target_ns_init(&subsys->ns, ns_bytes, null_ns);
}

void
target_subsys_fini(struct target_subsys *subsys)
{
	uint32_t i;

	for (i = 0; i < TARGET_MAX_CTRLRS; i++) {
		if (subsys->ctrlrs[i] != NULL) {
			pthread_mutex_destroy(&subsys->ctrlrs[i]->lock);
			free(subsys->ctrlrs[i]);
			subsys->ctrlrs[i] = NULL;
		}
	}
	target_ns_fini(&subsys->ns);
	pthread_mutex_destroy(&subsys->lock);
}

struct target_ctrlr *
target_ctrlr_create(struct target_subsys *subsys, const char *hostnqn, const uint8_t hostid[16],
		    uint32_t kato_ms)
{
	struct target_ctrlr *ctrlr;
	uint32_t i, slot = TARGET_MAX_CTRLRS;

	ctrlr = calloc(1, sizeof(*ctrlr));
	if (ctrlr == NULL) {
		return NULL;
	}
	ctrlr->subsys = subsys;
	snprintf(ctrlr->hostnqn, sizeof(ctrlr->hostnqn), "%s", hostnqn);
	memcpy(ctrlr->hostid, hostid, sizeof(ctrlr->hostid));
	ctrlr->kato_ms = kato_ms;
	ctrlr->refs = 1;
	pthread_mutex_init(&ctrlr->lock, NULL);

	pthread_mutex_lock(&subsys->lock);
	for (i = 0; i < TARGET_MAX_CTRLRS; i++) {
		if (subsys->ctrlrs[i] == NULL) {
			slot = i;
			break;
		}
	}
	if (slot < TARGET_MAX_CTRLRS) {
		/* IDs 1..0xffef, in turn, so a gone controller's ID is not
		 * handed out again at once. */
		ctrlr->cntlid = subsys->next_cntlid;
		subsys->next_cntlid = (uint16_t)(subsys->next_cntlid % 0xffefu + 1u);
		subsys->ctrlrs[slot] = ctrlr;
	}
	pthread_mutex_unlock(&subsys->lock);
	if (slot == TARGET_MAX_CTRLRS) {
		pthread_mutex_destroy(&ctrlr->lock);
		free(ctrlr);
		return NULL;
	}
	return ctrlr;
}

uint16_t
target_ctrlr_connect_io_queue(struct target_subsys *subsys, uint16_t cntlid, const char *hostnqn,
			      const uint8_t hostid[16], uint16_t qid, struct target_ctrlr **out,
			      uint16_t *ipo)
{
	const uint16_t invalid = TARGET_STATUS(PNVME_SCT_COMMAND_SPECIFIC,
					       PNVME_SC_CONNECT_INVALID_PARAMETERS);
	struct target_ctrlr *ctrlr = NULL;
	uint16_t status = TARGET_SUCCESS;
	uint32_t i;

	*out = NULL;
	*ipo = CONNECT_DATA_CNTLID_OFFSET;
	pthread_mutex_lock(&subsys->lock);
	for (i = 0; i < TARGET_MAX_CTRLRS; i++) {
		if (subsys->ctrlrs[i] != NULL && subsys->ctrlrs[i]->cntlid == cntlid) {
			ctrlr = subsys->ctrlrs[i];
			break;
		}
	}
	if (ctrlr == NULL) {
		pthread_mutex_unlock(&subsys->lock);
		return invalid;
	}
	pthread_mutex_lock(&ctrlr->lock);
	if (strcmp(ctrlr->hostnqn, hostnqn) != 0 ||
	    memcmp(ctrlr->hostid, hostid, sizeof(ctrlr->hostid)) != 0) {
		/* Another host's controller. */
		*ipo = CONNECT_DATA_HOSTNQN_OFFSET;
		status = invalid;
	} else if (!(ctrlr->csts & 1u) || qid > ctrlr->num_io_queues) {
		/* Not enabled, or more queues than were granted. */
		status = invalid;
	} else if (ctrlr->qid_connected[qid]) {
		/* Maybe the host's previous connection for this ID is still
		 * being torn down here: the host may try again. */
		status = TARGET_GENERIC(PNVME_SC_COMMAND_SEQUENCE_ERROR);
	} else {
		ctrlr->qid_connected[qid] = true;
		ctrlr->refs++;
		*out = ctrlr;
	}
	pthread_mutex_unlock(&ctrlr->lock);
	pthread_mutex_unlock(&subsys->lock);
	return status;
}

void
target_ctrlr_disconnect_io_queue(struct target_ctrlr *ctrlr, uint16_t qid)
{
	pthread_mutex_lock(&ctrlr->lock);
	if (qid <= TARGET_MAX_IO_QUEUES) {
		ctrlr->qid_connected[qid] = false;
	}
	pthread_mutex_unlock(&ctrlr->lock);
}

void
target_ctrlr_put(struct target_ctrlr *ctrlr)
{
	struct target_subsys *subsys = ctrlr->subsys;
	bool last;
	uint32_t i;

	pthread_mutex_lock(&subsys->lock);
	pthread_mutex_lock(&ctrlr->lock);
	last = --ctrlr->refs == 0;
	pthread_mutex_unlock(&ctrlr->lock);
	if (last) {
		for (i = 0; i < TARGET_MAX_CTRLRS; i++) {
			if (subsys->ctrlrs[i] == ctrlr) {
				subsys->ctrlrs[i] = NULL;
			}
		}
	}
	pthread_mutex_unlock(&subsys->lock);
	if (last) {
		pthread_mutex_destroy(&ctrlr->lock);
		free(ctrlr);
	}
}

/* CAP: 128-entry queues, contiguous, 1 s ready timeout, NVM command set,
 * 4 KiB pages only. */
static uint64_t
cap_value(void)
{
	union pnvme_cap_register cap = {.raw = 0};

	cap.bits.mqes = TARGET_MQES;
	cap.bits.cqr = 1;
	cap.bits.to = 2;
	cap.bits.css = PNVME_CAP_CSS_NVM;
	cap.bits.mpsmin = 0;
	cap.bits.mpsmax = 0;
	return cap.raw;
}

uint16_t
target_ctrlr_prop_get(struct target_ctrlr *ctrlr, uint32_t offset, bool size8, uint64_t *value)
{
	uint16_t status = TARGET_SUCCESS;

	pthread_mutex_lock(&ctrlr->lock);
	switch (offset) {
	case PNVME_REG_CAP:
		*value = cap_value();
		break;
	case PNVME_REG_VS:
		*value = PNVME_VERSION(2, 0, 0);
		break;
	case PNVME_REG_CC:
		*value = ctrlr->cc;
		break;
	case PNVME_REG_CSTS:
		*value = ctrlr->csts;
		break;
	default:
		status = TARGET_GENERIC(PNVME_SC_INVALID_FIELD);
		break;
	}
	/* CAP is the one 8-byte property here; the others are 4 bytes. */
	if (status == TARGET_SUCCESS && size8 != (offset == PNVME_REG_CAP)) {
		status = TARGET_GENERIC(PNVME_SC_INVALID_FIELD);
	}
	pthread_mutex_unlock(&ctrlr->lock);
	return status;
}

uint16_t
target_ctrlr_prop_set(struct target_ctrlr *ctrlr, uint32_t offset, bool size8, uint64_t value)
{
	union pnvme_cc_register cc = {.raw = (uint32_t)value};
	union pnvme_csts_register csts;

	if (offset != PNVME_REG_CC || size8 || value > UINT32_MAX) {
		/* CC is the only writable property here. */
		return TARGET_GENERIC(PNVME_SC_INVALID_FIELD);
	}
	pthread_mutex_lock(&ctrlr->lock);
	csts.raw = ctrlr->csts;
	if (cc.bits.en && (cc.bits.iosqes != 6 || cc.bits.iocqes != 4 || cc.bits.css != 0 ||
			   cc.bits.mps != 0)) {
		/* Entry sizes, command set and page size we cannot honour:
		 * a real controller would fail to become ready. */
		csts.bits.cfs = 1;
	} else {
		/* Memory is ready at once: RDY follows EN. */
		csts.bits.rdy = cc.bits.en;
	}
	if (cc.bits.shn != PNVME_SHN_NONE) {
		csts.bits.shst = PNVME_SHST_COMPLETE; /* nothing to write back */
	} else if (!cc.bits.en) {
		csts.bits.shst = PNVME_SHST_NORMAL;
	}
	if (!cc.bits.en) {
		csts.bits.cfs = 0; /* a reset clears a fatal status */
	}
	ctrlr->cc = cc.raw;
	ctrlr->csts = csts.raw;
	pthread_mutex_unlock(&ctrlr->lock);
	return TARGET_SUCCESS;
}

uint32_t
target_ctrlr_set_num_queues(struct target_ctrlr *ctrlr, uint32_t nsqr, uint32_t ncqr)
{
	uint32_t want = (nsqr < ncqr ? nsqr : ncqr) + 1;
	uint32_t granted;

	pthread_mutex_lock(&ctrlr->lock);
	ctrlr->num_io_queues = want < TARGET_MAX_IO_QUEUES ? want : TARGET_MAX_IO_QUEUES;
	granted = ctrlr->num_io_queues - 1;
	pthread_mutex_unlock(&ctrlr->lock);
	return granted | (granted << 16);
}

uint32_t
target_ctrlr_get_num_queues(struct target_ctrlr *ctrlr)
{
	uint32_t n;

	pthread_mutex_lock(&ctrlr->lock);
	n = ctrlr->num_io_queues ? ctrlr->num_io_queues - 1 : TARGET_MAX_IO_QUEUES - 1;
	pthread_mutex_unlock(&ctrlr->lock);
	return n | (n << 16);
}
