/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Enumeration and attachment: pnvme_probe(), pnvme_connect(), pnvme_detach().
 * Controllers found in one probe come up in parallel: their bring-up state
 * machines are polled in turn until each is ready or has failed.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "nvme/nvme_internal.h"

/* Probe, connect and detach may run from several threads; callbacks may
 * call back in (detach from attach_cb), hence recursive. */
static pthread_mutex_t g_probe_lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
static TAILQ_HEAD(, pnvme_ctrlr) g_attached = TAILQ_HEAD_INITIALIZER(g_attached);

bool
nvme_probe_is_attached(const struct pnvme_transport_id *trid)
{
	struct pnvme_ctrlr *ctrlr;

	TAILQ_FOREACH(ctrlr, &g_attached, link) {
		if (pnvme_transport_id_compare(&ctrlr->trid, trid) == 0) {
			return true;
		}
	}
	return false;
}

int
nvme_probe_offer(struct nvme_probe_ctx *probe, const struct pnvme_transport_id *trid,
		 void *devhandle)
{
	struct pnvme_ctrlr_opts opts;
	struct pnvme_ctrlr *ctrlr;

	pnvme_ctrlr_get_default_opts(&opts, sizeof(opts));
	if (probe->probe_cb != NULL && !probe->probe_cb(probe->cb_ctx, trid, &opts)) {
		return 0;
	}
	ctrlr = probe->ops->ctrlr_construct(trid, &opts, devhandle);
	if (ctrlr == NULL) {
		PNVME_ERRLOG("%s: cannot construct the controller", trid->traddr);
		if (probe->rc == 0) {
			probe->rc = -EIO;
		}
		return -EIO;
	}
	ctrlr->remove_cb = probe->remove_cb;
	ctrlr->remove_ctx = probe->cb_ctx;
	nvme_ctrlr_init_start(ctrlr);
	TAILQ_INSERT_TAIL(&probe->init_ctrlrs, ctrlr, link);
	return 0;
}

struct pnvme_ctrlr *
nvme_probe_connect_direct(const struct pnvme_transport_id *trid,
			  const struct pnvme_ctrlr_opts *opts)
{
	const struct nvme_transport_ops *ops = nvme_transport_get_ops(trid->trtype);
	struct pnvme_ctrlr *ctrlr;
	int rc;

	if (ops == NULL) {
		return NULL;
	}
	ctrlr = ops->ctrlr_construct(trid, opts, NULL);
	if (ctrlr == NULL) {
		return NULL;
	}
	nvme_ctrlr_init_start(ctrlr);
	while ((rc = nvme_ctrlr_init_poll(ctrlr)) == 0) {
	}
	if (rc < 0) {
		nvme_ctrlr_shutdown_and_free(ctrlr);
		return NULL;
	}
	return ctrlr;
}

/* Run @p remove_cb, once, for each controller attached with it that is
 * gone: found REMOVED (health check, hotplug monitor) or, asked now, no
 * longer present. */
static void
report_removed(pnvme_remove_cb remove_cb)
{
	struct pnvme_ctrlr *ctrlr;

	if (remove_cb == NULL) {
		return;
	}
	TAILQ_FOREACH(ctrlr, &g_attached, link) {
		if (ctrlr->remove_cb != remove_cb || ctrlr->remove_reported) {
			continue;
		}
		if (ctrlr->state != NVME_CTRLR_REMOVED && ctrlr->ops->ctrlr_is_present != NULL &&
		    !ctrlr->ops->ctrlr_is_present(ctrlr)) {
			nvme_ctrlr_set_removed(ctrlr, "device removed (unbound or gone from the bus)");
		}
		if (ctrlr->state != NVME_CTRLR_REMOVED) {
			continue;
		}
		ctrlr->remove_reported = true;
		ctrlr->remove_cb(ctrlr->remove_ctx, ctrlr);
	}
}

void
nvme_probe_report_removed(pnvme_remove_cb remove_cb)
{
	pthread_mutex_lock(&g_probe_lock);
	report_removed(remove_cb);
	pthread_mutex_unlock(&g_probe_lock);
}

bool
nvme_probe_set_removed(const struct pnvme_transport_id *trid, const char *why)
{
	struct pnvme_ctrlr *ctrlr;
	bool found = false;

	pthread_mutex_lock(&g_probe_lock);
	TAILQ_FOREACH(ctrlr, &g_attached, link) {
		if (pnvme_transport_id_compare(&ctrlr->trid, trid) == 0) {
			nvme_ctrlr_set_removed(ctrlr, why);
			found = true;
		}
	}
	pthread_mutex_unlock(&g_probe_lock);
	return found;
}

/* Poll every bring-up until none is left in progress. */
static void
probe_poll_init(struct nvme_probe_ctx *probe)
{
	struct pnvme_ctrlr *ctrlr, *next;
	int rc;

	while (!TAILQ_EMPTY(&probe->init_ctrlrs)) {
		for (ctrlr = TAILQ_FIRST(&probe->init_ctrlrs); ctrlr != NULL; ctrlr = next) {
			next = TAILQ_NEXT(ctrlr, link);
			rc = nvme_ctrlr_init_poll(ctrlr);
			if (rc == 0) {
				continue;
			}
			TAILQ_REMOVE(&probe->init_ctrlrs, ctrlr, link);
			if (rc < 0) {
				nvme_ctrlr_shutdown_and_free(ctrlr);
				if (probe->rc == 0) {
					probe->rc = -EIO;
				}
				continue;
			}
			TAILQ_INSERT_TAIL(&g_attached, ctrlr, link);
			if (probe->attach_cb != NULL) {
				probe->attach_cb(probe->cb_ctx, &ctrlr->trid, ctrlr, &ctrlr->opts);
			}
		}
	}
}

int
nvme_env_ready(void)
{
	int rc;

	if (pnvme_env_is_initialized()) {
		return 0;
	}
	rc = pnvme_env_init(NULL);
	return rc == -EALREADY ? 0 : rc;
}

static int
probe_run(const struct pnvme_transport_id *trid, void *cb_ctx, pnvme_probe_cb probe_cb,
	  pnvme_attach_cb attach_cb, pnvme_remove_cb remove_cb, bool direct)
{
	struct nvme_probe_ctx probe;
	int rc;

	memset(&probe, 0, sizeof(probe));
	probe.direct = direct;
	if (trid != NULL) {
		probe.trid = *trid;
	} else {
		probe.trid.trtype = PNVME_TRANSPORT_PCIE;
	}
	probe.ops = nvme_transport_get_ops(probe.trid.trtype);
	if (probe.ops == NULL) {
		PNVME_ERRLOG("probe: transport %s is not available in this build",
			     pnvme_transport_type_str(probe.trid.trtype)
				     ? pnvme_transport_type_str(probe.trid.trtype)
				     : "(unknown)");
		return -ENOTSUP;
	}
	rc = nvme_env_ready();
	if (rc != 0) {
		return rc;
	}
	probe.cb_ctx = cb_ctx;
	probe.probe_cb = probe_cb;
	probe.attach_cb = attach_cb;
	probe.remove_cb = remove_cb;
	TAILQ_INIT(&probe.init_ctrlrs);

	pthread_mutex_lock(&g_probe_lock);
	report_removed(probe.remove_cb);
	rc = probe.ops->scan(&probe);
	probe_poll_init(&probe);
	pthread_mutex_unlock(&g_probe_lock);
	return rc != 0 ? rc : probe.rc;
}

int
pnvme_probe(const struct pnvme_transport_id *trid, void *cb_ctx, pnvme_probe_cb probe_cb,
	    pnvme_attach_cb attach_cb, pnvme_remove_cb remove_cb)
{
	return probe_run(trid, cb_ctx, probe_cb, attach_cb, remove_cb, false);
}

struct connect_ctx {
	const struct pnvme_ctrlr_opts *opts;
	size_t opts_size;
	struct pnvme_ctrlr *ctrlr;
};

static bool
connect_probe_cb(void *cb_ctx, const struct pnvme_transport_id *trid,
		 struct pnvme_ctrlr_opts *opts)
{
	struct connect_ctx *ctx = cb_ctx;

	(void)trid;
	if (ctx->opts != NULL) {
		nvme_ctrlr_opts_copy(opts, ctx->opts, ctx->opts_size);
	}
	return true;
}

static void
connect_attach_cb(void *cb_ctx, const struct pnvme_transport_id *trid, struct pnvme_ctrlr *ctrlr,
		  const struct pnvme_ctrlr_opts *opts)
{
	struct connect_ctx *ctx = cb_ctx;

	(void)trid;
	(void)opts;
	ctx->ctrlr = ctrlr;
}

struct pnvme_ctrlr *
pnvme_connect(const struct pnvme_transport_id *trid, const struct pnvme_ctrlr_opts *opts,
	      size_t opts_size)
{
	struct connect_ctx ctx = {.opts = opts, .opts_size = opts_size};

	if (trid == NULL || trid->traddr[0] == '\0') {
		PNVME_ERRLOG("connect: a transport ID with traddr is required");
		return NULL;
	}
	if (opts != NULL && opts_size == 0) {
		PNVME_ERRLOG("connect: opts_size is 0");
		return NULL;
	}
	pthread_mutex_lock(&g_probe_lock);
	if (nvme_probe_is_attached(trid)) {
		pthread_mutex_unlock(&g_probe_lock);
		PNVME_ERRLOG("connect: %s is already attached", trid->traddr);
		return NULL;
	}
	probe_run(trid, &ctx, connect_probe_cb, connect_attach_cb, NULL, true);
	pthread_mutex_unlock(&g_probe_lock);
	return ctx.ctrlr;
}

int
pnvme_detach(struct pnvme_ctrlr *ctrlr)
{
	struct pnvme_ctrlr *it;
	int rc;

	if (ctrlr == NULL) {
		PNVME_ERRLOG("detach: NULL controller");
		return -EINVAL;
	}
	pthread_mutex_lock(&g_probe_lock);
	TAILQ_FOREACH(it, &g_attached, link) {
		if (it == ctrlr) {
			break;
		}
	}
	if (it == NULL) {
		pthread_mutex_unlock(&g_probe_lock);
		PNVME_ERRLOG("detach: %p is not an attached controller", (void *)ctrlr);
		return -EINVAL;
	}
	TAILQ_REMOVE(&g_attached, ctrlr, link);
	rc = nvme_ctrlr_shutdown_and_free(ctrlr);
	pthread_mutex_unlock(&g_probe_lock);
	return rc;
}
