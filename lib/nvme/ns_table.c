/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A controller's namespace table: built by bring-up, rebuilt by each reset
 * without moving the namespace objects the application holds, and looked
 * up by ID.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nvme/nvme_internal.h"

/* Index of the first namespace with ID >= nsid in a sorted table. */
static uint32_t
ns_lower_bound(struct pnvme_ns *const *table, uint32_t num, uint32_t nsid)
{
	uint32_t lo = 0, hi = num;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (table[mid]->id < nsid) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return lo;
}

static struct pnvme_ns *
ns_find(struct pnvme_ns *const *table, uint32_t num, uint32_t nsid)
{
	uint32_t i = ns_lower_bound(table, num, nsid);

	return (i < num && table[i]->id == nsid) ? table[i] : NULL;
}

/* What a rescan found changed in a namespace: size or format (one line).
 * true when something did. */
static bool
ns_log_change(const struct pnvme_ns *ns, const struct pnvme_ns *now)
{
	if (ns->data.nsze == now->data.nsze && ns->sector_size == now->sector_size &&
	    ns->md_size == now->md_size && ns->data.flbas == now->data.flbas) {
		return false;
	}
	PNVME_NOTICELOG("%s: namespace %u changed: %llu blocks of %u bytes (+%u metadata) "
			"now %llu of %u (+%u)",
			ns->ctrlr->trid.traddr, ns->id, (unsigned long long)ns->data.nsze,
			ns->sector_size, ns->md_size, (unsigned long long)now->data.nsze,
			now->sector_size, now->md_size);
	return true;
}

/* Keep @p change for the namespace-change callback. A record that finds no
 * memory is only not told (the table itself is right). */
static void
ns_record_change(struct pnvme_ctrlr *ctrlr, struct pnvme_ns *ns, enum pnvme_ns_change change)
{
	struct nvme_ctrlr_init *init = &ctrlr->init;
	struct nvme_ns_change_rec *grown;

	grown = realloc(init->ns_changes, (init->num_ns_changes + 1) * sizeof(*grown));
	if (grown == NULL) {
		PNVME_ERRLOG("%s: no memory to report namespace %u's change", ctrlr->trid.traddr,
			     ns->id);
		return;
	}
	init->ns_changes = grown;
	init->ns_changes[init->num_ns_changes].ns = ns;
	init->ns_changes[init->num_ns_changes++].change = change;
}

int
nvme_ctrlr_ns_found(struct pnvme_ctrlr *ctrlr, uint32_t nsid, const struct pnvme_ns_data *data)
{
	struct nvme_ctrlr_init *init = &ctrlr->init;
	struct pnvme_ns *fresh, *old;

	if (init->new_ns == NULL) {
		/* One slot per active ID: the table never grows past it. */
		init->new_ns = calloc(PNVME_MAX(init->num_active, 1u), sizeof(*init->new_ns));
		if (init->new_ns == NULL) {
			return -ENOMEM;
		}
	}
	fresh = calloc(1, sizeof(*fresh));
	if (fresh == NULL) {
		return -ENOMEM;
	}
	fresh->ctrlr = ctrlr;
	fresh->id = nsid;
	memcpy(&fresh->data, data, sizeof(fresh->data));
	if (data->nsze == 0 || nvme_ns_apply_identify(fresh) != 0) {
		/* Allocated but not attached (inactive), or unusable (logged). */
		free(fresh);
		return 0;
	}
	old = ns_find(ctrlr->ns, ctrlr->num_ns, nsid);
	if (old != NULL) {
		/* The application may hold this object: update it in place. */
		if (ns_log_change(old, fresh)) {
			ns_record_change(ctrlr, old, PNVME_NS_CHANGED);
		}
		*old = *fresh;
		free(fresh);
		fresh = old;
	} else {
		ns_record_change(ctrlr, fresh, PNVME_NS_ADDED);
	}
	init->new_ns[init->num_new_ns++] = fresh;
	return 0;
}

void
nvme_ctrlr_ns_table_commit(struct pnvme_ctrlr *ctrlr)
{
	struct nvme_ctrlr_init *init = &ctrlr->init;
	struct pnvme_ns **gone;
	uint32_t i;

	for (i = 0; i < ctrlr->num_ns; i++) {
		struct pnvme_ns *ns = ctrlr->ns[i];

		if (ns_find(init->new_ns, init->num_new_ns, ns->id) == ns) {
			continue;
		}
		PNVME_NOTICELOG("%s: namespace %u is gone; its commands fail from now on",
				ctrlr->trid.traddr, ns->id);
		ns->removed = true;
		ns_record_change(ctrlr, ns, PNVME_NS_REMOVED);
		gone = realloc(ctrlr->gone_ns, (ctrlr->num_gone_ns + 1) * sizeof(*gone));
		if (gone == NULL) {
			/* Leaked rather than freed under the application's pointer. */
			continue;
		}
		ctrlr->gone_ns = gone;
		ctrlr->gone_ns[ctrlr->num_gone_ns++] = ns;
	}
	free(ctrlr->ns);
	ctrlr->ns = init->new_ns;
	ctrlr->num_ns = init->num_new_ns;
	init->new_ns = NULL;
	init->num_new_ns = 0;
}

void
nvme_ctrlr_ns_table_discard(struct pnvme_ctrlr *ctrlr)
{
	struct nvme_ctrlr_init *init = &ctrlr->init;
	uint32_t i;

	if (init->new_ns == NULL) {
		/* Committed (or never built): what it changed is true. */
		nvme_ctrlr_ns_report_changes(ctrlr);
		return;
	}
	/* It holds new objects and some of the current table's: free only
	 * the new ones. */
	for (i = 0; i < init->num_new_ns; i++) {
		if (ns_find(ctrlr->ns, ctrlr->num_ns, init->new_ns[i]->id) != init->new_ns[i]) {
			free(init->new_ns[i]);
		}
	}
	free(init->new_ns);
	init->new_ns = NULL;
	init->num_new_ns = 0;
	/* The records name objects just freed (added) or still in the old
	 * table: nothing was committed, so nothing is told. */
	free(init->ns_changes);
	init->ns_changes = NULL;
	init->num_ns_changes = 0;
}

void
nvme_ctrlr_ns_report_changes(struct pnvme_ctrlr *ctrlr)
{
	struct nvme_ctrlr_init *init = &ctrlr->init;
	struct nvme_ns_change_rec *changes = init->ns_changes;
	uint32_t i, num = init->num_ns_changes;

	/* Taken first: a callback may ask for another rescan. */
	init->ns_changes = NULL;
	init->num_ns_changes = 0;
	for (i = 0; i < num && ctrlr->ns_change_cb != NULL; i++) {
		ctrlr->ns_change_cb(ctrlr->ns_change_cb_arg, changes[i].ns, changes[i].change);
	}
	free(changes);
}

void
nvme_ctrlr_free_namespaces(struct pnvme_ctrlr *ctrlr)
{
	uint32_t i;

	/* Detach: nothing is told any more. */
	free(ctrlr->init.ns_changes);
	ctrlr->init.ns_changes = NULL;
	ctrlr->init.num_ns_changes = 0;
	nvme_ctrlr_ns_table_discard(ctrlr);
	for (i = 0; i < ctrlr->num_ns; i++) {
		free(ctrlr->ns[i]);
	}
	for (i = 0; i < ctrlr->num_gone_ns; i++) {
		free(ctrlr->gone_ns[i]);
	}
	free(ctrlr->ns);
	free(ctrlr->gone_ns);
	ctrlr->ns = NULL;
	ctrlr->num_ns = 0;
	ctrlr->gone_ns = NULL;
	ctrlr->num_gone_ns = 0;
}

uint32_t
pnvme_ctrlr_get_first_active_ns(const struct pnvme_ctrlr *ctrlr)
{
	return ctrlr->num_ns > 0 ? ctrlr->ns[0]->id : 0;
}

uint32_t
pnvme_ctrlr_get_next_active_ns(const struct pnvme_ctrlr *ctrlr, uint32_t prev_nsid)
{
	uint32_t i;

	if (prev_nsid == UINT32_MAX) {
		return 0;
	}
	i = ns_lower_bound(ctrlr->ns, ctrlr->num_ns, prev_nsid + 1);
	return i < ctrlr->num_ns ? ctrlr->ns[i]->id : 0;
}

struct pnvme_ns *
pnvme_ctrlr_get_ns(struct pnvme_ctrlr *ctrlr, uint32_t nsid)
{
	return ns_find(ctrlr->ns, ctrlr->num_ns, nsid);
}
